//! Importing commands from JSON lines (`arledger import`, and the
//! benchmarks): each line is one [`ImportLine`], a mutation's name in
//! `command` beside its input's fields, as the GraphQL contract spells
//! them:
//!
//! ```json
//! {"command":"receivePayment","commandId":"…","paymentId":"…","customerId":"…","amount":"1200.00","currency":"CNY","receivedOn":"2026-03-01"}
//! ```
//!
//! One line is one command is one submission: a line that does not parse
//! (bad JSON, an unknown command, a missing field, a number where an
//! amount must be a string) is reported as malformed and skipped, never
//! half applied. The others are appended in file order through the bulk
//! path: batches of up to [`BATCH_LINES_MAX`] lines, up to
//! [`IN_FLIGHT_MAX`] batches in flight, while a thread of its own reads and
//! parses the lines after them. Each command keeps its own refusal (the
//! rule and code it broke) and its own idempotency: command ids make a
//! second import of the same file, as the same user, append nothing and
//! count duplicates.

use std::io::{self, BufRead};
use std::sync::mpsc;

use arledger_core::domain::Actor;
use arledger_core::log::{BatchResult, Ledger, LogError, Submission};

use crate::graphql::inputs::{CommandInput, ImportLine};

/// Most lines in one batch (so at most that many submissions per commit).
pub const BATCH_LINES_MAX: usize = 1_000;
/// Batches submitted and not yet answered, at most (as the fixtures'
/// `populate` and the benchmarks' `append_pipelined`).
pub const IN_FLIGHT_MAX: usize = 8;
/// Longest line read, in bytes: a bound on memory, far above any command
/// the ledger accepts (an event's payload is at most 4 MiB).
pub const LINE_BYTES_MAX: usize = 16 * 1024 * 1024;
/// Parsed batches waiting for the submitting thread, at most: the parser
/// runs this far ahead and then waits.
const PARSED_QUEUE_MAX: usize = 4;

/// A line the ledger refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// 1-based line number in the input.
    pub line: u64,
    /// The mutation's name, as on the line (`receivePayment`).
    pub command: String,
    /// The contract's error code (`OVERALLOCATION`).
    pub code: &'static str,
    /// Which rule or role it broke.
    pub message: String,
}

/// A line that is not a command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Malformed {
    /// 1-based line number in the input.
    pub line: u64,
    /// What is wrong with it (the JSON or shape error).
    pub reason: String,
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Lines read (blank ones included).
    pub lines: u64,
    /// Blank lines, skipped.
    pub blank: u64,
    /// Commands the ledger accepted and appended now.
    pub accepted: u64,
    /// Events those commands appended.
    pub events_appended: u64,
    /// Commands the ledger already held (same command id, same body, same
    /// user): answered with their original outcome, nothing appended.
    pub duplicates: u64,
    /// Commands the ledger refused, in line order.
    pub refused: Vec<Refusal>,
    /// Lines that are not commands, in line order.
    pub malformed: Vec<Malformed>,
}

impl ImportSummary {
    /// Whether every line was accepted, a duplicate, or blank.
    pub fn all_good(&self) -> bool {
        self.refused.is_empty() && self.malformed.is_empty()
    }
}

/// How far an import has come, for a progress bar.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportProgress {
    /// Lines read and parsed so far.
    pub lines_read: u64,
    /// Bytes read so far.
    pub bytes_read: u64,
    /// Lines whose outcome is known (answered by the ledger, malformed or
    /// blank).
    pub lines_done: u64,
}

/// Why an import stopped before the end of its input. Commands answered
/// before are durable; importing the same input again appends only what
/// is missing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The input could not be read.
    #[error(
        "cannot read the input at line {line}: {source} (the lines before it were imported; importing the input again appends only what is missing)"
    )]
    Read {
        /// The line being read.
        line: u64,
        /// Why.
        source: io::Error,
    },
    /// The ledger failed a whole batch.
    #[error(
        "the ledger failed the batch of lines {first_line} to {last_line}: {source} (some commands may have been appended; importing the input again appends only what is missing)"
    )]
    Log {
        /// First line of the batch.
        first_line: u64,
        /// Last line of the batch.
        last_line: u64,
        /// Why.
        source: LogError,
    },
    /// The ledger dropped a batch without answering it (its threads ended).
    #[error(
        "the ledger dropped the batch of lines {first_line} to {last_line} without answering it"
    )]
    Unanswered {
        /// First line of the batch.
        first_line: u64,
        /// Last line of the batch.
        last_line: u64,
    },
    /// The parsing thread could not be started.
    #[error("cannot start the import's parsing thread: {0}")]
    Thread(io::Error),
}

/// Imports the JSON lines of `reader` into `ledger` as `actor`, calling
/// `progress` on the caller's thread as lines are read and answered.
/// Returns once every batch is answered: with the summary, or with why it
/// stopped (a read error, a failed batch); in either case nothing is left
/// in flight.
pub fn import<R: BufRead + Send>(
    ledger: &Ledger,
    reader: R,
    actor: &Actor,
    mut progress: impl FnMut(&ImportProgress),
) -> Result<ImportSummary, ImportError> {
    let (tx, rx) = mpsc::sync_channel(PARSED_QUEUE_MAX);
    std::thread::scope(|scope| {
        let parser = std::thread::Builder::new()
            .name("arledger-import-parse".into())
            .spawn_scoped(scope, move || parse_lines(reader, actor, &tx))
            .map_err(ImportError::Thread)?;
        // `rx` is dropped when this returns, early or not, so a parser
        // blocked on a full queue ends instead of waiting for ever.
        let submitted = submit_batches(ledger, rx, &mut progress);
        // A panic in the parser is a bug: carry it on rather than hide it.
        if let Err(panic) = parser.join() {
            std::panic::resume_unwind(panic);
        }
        submitted
    })
}

/// One line, parsed.
#[expect(
    clippy::large_enum_variant,
    reason = "nearly every line is a command: boxing it would cost an allocation per line to save space on the rare others"
)]
enum Parsed {
    /// A command to submit.
    Command(Submission),
    /// Not a command.
    Malformed(String),
    /// Empty or only whitespace.
    Blank,
}

/// Up to [`BATCH_LINES_MAX`] consecutive lines, parsed, with the input's
/// counters after them; or why reading stopped.
struct ParsedBatch {
    first_line: u64,
    lines: Vec<Parsed>,
    lines_read: u64,
    bytes_read: u64,
}

type ParsedItem = Result<ParsedBatch, ImportError>;

/// The parsing thread: reads lines, parses each into a submission, sends
/// them on in batches. Ends at the end of the input, at a read error (sent
/// on after the lines read before it), or when the submitting side hangs
/// up.
fn parse_lines<R: BufRead>(mut reader: R, actor: &Actor, tx: &mpsc::SyncSender<ParsedItem>) {
    let mut input = Input {
        buf: Vec::new(),
        line_no: 0,
        bytes_read: 0,
    };
    loop {
        let (batch, next) = input.next_batch(&mut reader, actor);
        if !batch.lines.is_empty() && tx.send(Ok(batch)).is_err() {
            return;
        }
        match next {
            Next::More => {}
            Next::End => return,
            Next::Failed(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        }
    }
}

/// Where the parsing thread is in its input.
struct Input {
    buf: Vec<u8>,
    line_no: u64,
    bytes_read: u64,
}

/// What follows a batch.
enum Next {
    More,
    End,
    Failed(ImportError),
}

impl Input {
    /// The next batch of lines, parsed, and what follows it.
    fn next_batch<R: BufRead>(&mut self, reader: &mut R, actor: &Actor) -> (ParsedBatch, Next) {
        let mut batch = ParsedBatch {
            first_line: self.line_no + 1,
            lines: Vec::with_capacity(BATCH_LINES_MAX),
            lines_read: 0,
            bytes_read: 0,
        };
        let mut next = Next::More;
        while batch.lines.len() < BATCH_LINES_MAX {
            let read = match read_line_capped(reader, &mut self.buf) {
                Ok(Some(read)) => read,
                Ok(None) => {
                    next = Next::End;
                    break;
                }
                Err(source) => {
                    let line = self.line_no + 1;
                    next = Next::Failed(ImportError::Read { line, source });
                    break;
                }
            };
            self.line_no += 1;
            self.bytes_read += read.bytes;
            batch.lines.push(if read.too_long {
                Parsed::Malformed(format!("the line is longer than {LINE_BYTES_MAX} bytes"))
            } else {
                parse_line(&self.buf, actor)
            });
        }
        (batch.lines_read, batch.bytes_read) = (self.line_no, self.bytes_read);
        (batch, next)
    }
}

/// What [`read_line_capped`] read.
struct LineRead {
    /// Bytes consumed from the input, newline included.
    bytes: u64,
    /// The line was longer than [`LINE_BYTES_MAX`]: `buf` holds only its
    /// start, and the rest was skipped.
    too_long: bool,
}

/// Reads the next line into `buf` (without its newline), keeping at most
/// [`LINE_BYTES_MAX`] bytes of it; `None` at the end of the input.
fn read_line_capped<R: BufRead>(reader: &mut R, buf: &mut Vec<u8>) -> io::Result<Option<LineRead>> {
    buf.clear();
    let cap = u64::try_from(LINE_BYTES_MAX).unwrap_or(u64::MAX);
    let read = io::Read::take(&mut *reader, cap + 1).read_until(b'\n', buf)?;
    if read == 0 {
        return Ok(None);
    }
    let mut bytes = u64::try_from(read).unwrap_or(u64::MAX);
    let ended_line = buf.last() == Some(&b'\n');
    let too_long = buf.len() > LINE_BYTES_MAX && !ended_line;
    if too_long {
        bytes = bytes.saturating_add(skip_line(reader)?);
    } else if ended_line {
        buf.pop();
    }
    Ok(Some(LineRead { bytes, too_long }))
}

/// Skips the input up to and including the next newline; returns the
/// bytes skipped.
fn skip_line<R: BufRead>(reader: &mut R) -> io::Result<u64> {
    let mut skipped = 0u64;
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok(skipped);
        }
        let (used, found) = match available.iter().position(|&b| b == b'\n') {
            Some(at) => (at + 1, true),
            None => (available.len(), false),
        };
        reader.consume(used);
        skipped = skipped.saturating_add(u64::try_from(used).unwrap_or(u64::MAX));
        if found {
            return Ok(skipped);
        }
    }
}

/// One line as a submission by `actor`, or why it is not one.
fn parse_line(line: &[u8], actor: &Actor) -> Parsed {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return Parsed::Blank;
    }
    let parsed: ImportLine = match serde_json::from_slice(line) {
        Ok(parsed) => parsed,
        Err(e) => return Parsed::Malformed(json_reason(&e)),
    };
    match parsed.into_command() {
        Ok((command_id, command)) => {
            Parsed::Command(Submission::new(command_id, actor.clone(), command))
        }
        Err(e) => Parsed::Malformed(format!("{}: {}", e.code, e.message)),
    }
}

/// serde's message, with a hint where a number stood for an amount: the
/// contract takes amounts as strings, since a JSON number may already
/// have been rounded through a float.
fn json_reason(error: &serde_json::Error) -> String {
    let mut text = error.to_string();
    // serde counts lines within the one line it was given: keep the column.
    let at = format!(" at line {} column {}", error.line(), error.column());
    if let Some(reason) = text.strip_suffix(&at) {
        text = format!("{reason} (column {})", error.column());
    }
    if text.contains("floating point") {
        format!(
            "{text} (write amounts as strings, e.g. \"1234.50\": a JSON number may have passed through a float)"
        )
    } else {
        text
    }
}

/// A batch on its way through the ledger: where its answer comes, and
/// the line and mutation name of each of its submissions.
struct Sent {
    answer: mpsc::Receiver<BatchResult>,
    first_line: u64,
    last_line: u64,
    lines: Vec<(u64, &'static str)>,
}

/// The submitting side: takes parsed batches in order, records malformed
/// lines, submits the commands with up to [`IN_FLIGHT_MAX`] batches in
/// flight, and tallies the answers.
fn submit_batches(
    ledger: &Ledger,
    rx: mpsc::Receiver<ParsedItem>,
    progress: &mut impl FnMut(&ImportProgress),
) -> Result<ImportSummary, ImportError> {
    let mut tally = Tally::default();
    let mut in_flight: std::collections::VecDeque<Sent> = Default::default();
    let mut failure = None;
    for item in rx.iter() {
        let batch = match item {
            Ok(batch) => batch,
            Err(e) => {
                failure = Some(e);
                break;
            }
        };
        tally.progress.lines_read = batch.lines_read;
        tally.progress.bytes_read = batch.bytes_read;
        if in_flight.len() == IN_FLIGHT_MAX
            && let Err(e) = tally.answer_oldest(&mut in_flight)
        {
            failure = Some(e);
            break;
        }
        if let Some(sent) = tally.submit(ledger, batch) {
            in_flight.push_back(sent);
        }
        progress(&tally.progress);
    }
    drop(rx);
    while !in_flight.is_empty() {
        let answered = tally.answer_oldest(&mut in_flight);
        failure = failure.or(answered.err());
        progress(&tally.progress);
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(tally.summary),
    }
}

/// The summary so far, and the progress.
#[derive(Default)]
struct Tally {
    summary: ImportSummary,
    progress: ImportProgress,
}

impl Tally {
    /// Records a batch's malformed and blank lines and submits its
    /// commands (if any) in one call of the bulk path.
    fn submit(&mut self, ledger: &Ledger, batch: ParsedBatch) -> Option<Sent> {
        let count = u64::try_from(batch.lines.len()).unwrap_or(u64::MAX);
        self.summary.lines += count;
        let mut submissions = Vec::with_capacity(batch.lines.len());
        let mut lines = Vec::with_capacity(batch.lines.len());
        for (line, parsed) in (batch.first_line..).zip(batch.lines) {
            match parsed {
                Parsed::Command(submission) => {
                    lines.push((line, submission.command.name()));
                    submissions.push(submission);
                }
                Parsed::Malformed(reason) => {
                    self.summary.malformed.push(Malformed { line, reason });
                    self.progress.lines_done += 1;
                }
                Parsed::Blank => {
                    self.summary.blank += 1;
                    self.progress.lines_done += 1;
                }
            }
        }
        if submissions.is_empty() {
            return None;
        }
        let (tx, answer) = mpsc::sync_channel(1);
        ledger.submit_with(
            submissions,
            Box::new(move |result| {
                let _ = tx.send(result);
            }),
        );
        Some(Sent {
            answer,
            first_line: batch.first_line,
            last_line: batch.first_line + count - 1,
            lines,
        })
    }

    /// Waits for the oldest batch's answer and tallies it. The ledger
    /// answers batches in the order they were submitted; a completion it
    /// drops unanswered (its writer stopped) is an error, not a wait for
    /// ever.
    fn answer_oldest(
        &mut self,
        in_flight: &mut std::collections::VecDeque<Sent>,
    ) -> Result<(), ImportError> {
        let Some(sent) = in_flight.pop_front() else {
            return Ok(());
        };
        let (first_line, last_line) = (sent.first_line, sent.last_line);
        let result = sent
            .answer
            .recv()
            .map_err(|_| ImportError::Unanswered {
                first_line,
                last_line,
            })?
            .map_err(|source| ImportError::Log {
                first_line,
                last_line,
                source,
            })?;
        for ((line, name), outcome) in sent.lines.into_iter().zip(result) {
            self.progress.lines_done += 1;
            match outcome {
                Ok(outcome) if outcome.duplicate => self.summary.duplicates += 1,
                Ok(outcome) => {
                    self.summary.accepted += 1;
                    let events = u64::try_from(outcome.event_ids.len()).unwrap_or(u64::MAX);
                    self.summary.events_appended += events;
                }
                Err(refused) => self.summary.refused.push(Refusal {
                    line,
                    command: mutation_name(name),
                    code: refused.code().as_str(),
                    message: refused.to_string(),
                }),
            }
        }
        Ok(())
    }
}

/// A core command's name as the mutation's (`ReceivePayment` →
/// `receivePayment`): the import lines name their command so.
pub fn mutation_name(command: &str) -> String {
    let mut chars = command.chars();
    match chars.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    fn lines_of(input: &[u8]) -> Vec<(Vec<u8>, u64, bool)> {
        let mut reader = Cursor::new(input.to_vec());
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while let Some(read) = read_line_capped(&mut reader, &mut buf).unwrap() {
            out.push((buf.clone(), read.bytes, read.too_long));
        }
        out
    }

    #[test]
    fn lines_are_split_on_newlines_and_the_last_needs_none() {
        let lines = lines_of(b"a\r\n\nbc");
        assert_eq!(
            lines,
            [
                (b"a\r".to_vec(), 3, false),
                (Vec::new(), 1, false),
                (b"bc".to_vec(), 2, false)
            ]
        );
    }

    #[test]
    fn a_line_over_the_limit_is_cut_and_the_next_one_read_whole() {
        let mut input = vec![b'x'; LINE_BYTES_MAX + 10];
        input.extend_from_slice(b"\nnext\n");
        let lines = lines_of(&input);
        assert_eq!(lines.len(), 2);
        assert!(lines[0].2, "the long line is marked");
        assert_eq!(lines[0].1, u64::try_from(LINE_BYTES_MAX + 11).unwrap());
        assert_eq!(lines[1], (b"next".to_vec(), 5, false));
    }

    /// Reads nothing: fails.
    struct Failing;

    impl io::Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("the disk went away"))
        }
    }

    #[test]
    fn a_read_error_stops_the_import_after_appending_the_lines_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let clock = std::sync::Arc::new(arledger_core::clock::ManualClock::new(
            chrono::DateTime::UNIX_EPOCH,
        ));
        let ledger =
            Ledger::open(dir.path(), arledger_core::log::LedgerOptions::new(clock)).unwrap();
        let lines: String = (1..=3u128)
            .map(|n| {
                format!(
                    "{{\"command\":\"registerCustomer\",\"commandId\":\"{}\",\"customerId\":\"{}\",\"name\":\"C{n}\",\"kind\":\"CLINIC\",\"region\":\"East\",\"salespersonId\":\"s-1\"}}\n",
                    uuid::Uuid::from_u128(100 + n),
                    uuid::Uuid::from_u128(n)
                )
            })
            .collect();
        let reader = io::BufReader::new(io::Read::chain(Cursor::new(lines), Failing));
        let actor = arledger_core::sample::admin();
        let result = import(&ledger, reader, &actor, |_| {});
        assert!(
            matches!(result, Err(ImportError::Read { line: 4, .. })),
            "{result:?}"
        );
        assert_eq!(ledger.head().position, 3);
    }

    #[test]
    fn blank_lines_and_carriage_returns_are_not_commands() {
        let actor = arledger_core::sample::admin();
        assert!(matches!(parse_line(b" \t\r", &actor), Parsed::Blank));
        let Parsed::Malformed(reason) = parse_line(b"{\"command\":\"x\"}\r", &actor) else {
            panic!("an unknown command is malformed");
        };
        assert!(reason.starts_with("unknown variant `x`"), "{reason}");
        assert!(reason.ends_with("(column 14)"), "{reason}");
    }
}
