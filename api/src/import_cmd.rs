//! `arledger import FILE [--data DIR] [--user NAME] [--role ROLE]`:
//! appends the commands of a JSON-lines file (`-`: standard input) through
//! the bulk path (`arledger::import`), with a progress bar, and prints
//! what happened to every line that was not appended: refused (line,
//! error code, message) or malformed (line, why). Running it again on the
//! same file, as the same user, appends nothing and counts duplicates.
//!
//! The data directory is created when it does not exist (an import may
//! start a ledger). Exit status: 0 when every line was accepted or a
//! duplicate (or blank), 1 when some were refused or malformed (the others
//! are appended all the same), 2 when the file or data directory cannot be
//! used, or the ledger failed.

use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use arledger::import::{BATCH_LINES_MAX, ImportProgress, ImportSummary, import};
use arledger_core::domain::{Actor, Role};
use arledger_core::log::{Ledger, LedgerOptions};
use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::shared::{self, DataDir};

/// Exit status when some lines were refused or malformed.
const EXIT_SOME_LINES_NOT_APPENDED: u8 = 1;
/// Bytes read from the file at a time.
const READ_BUFFER_BYTES: usize = 1 << 20;

/// `arledger import` arguments.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The JSON-lines file of commands, one per line ("-": standard input).
    #[arg(value_name = "FILE")]
    file: PathBuf,
    #[command(flatten)]
    data: DataDir,
    /// The user recorded on every event. Import a file again as the same
    /// user: a command id sent by another user is refused, not a duplicate.
    #[arg(long, value_name = "NAME", default_value = "import")]
    user: String,
    /// The role the user acts in (domain.md 7).
    #[arg(long, value_name = "ROLE", default_value = "admin")]
    role: String,
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let role = Role::parse(&args.role).map_err(|e| anyhow!("--role: {e}"))?;
    let actor = Actor::new(&args.user, role.name()).map_err(|e| anyhow!("--user: {e}"))?;
    let (reader, total_lines) = open_input(&args.file)?;
    let dir = &args.data.path;
    let ledger = open_or_create(dir)?;
    let bar = ImportBar::new(total_lines);
    let started = Instant::now();
    let result = import(&ledger, reader, &actor, |p| bar.update(p));
    let elapsed = started.elapsed();
    bar.finish();
    let head = ledger.head().position;
    drop(ledger);
    let summary = result?;
    print_summary(&summary, &actor, head, elapsed)?;
    Ok(if summary.all_good() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_SOME_LINES_NOT_APPENDED)
    })
}

/// The input as a buffered reader, and its line count when it is a
/// regular file (for the progress bar; standard input and pipes, which
/// can be read only once, show bytes instead).
fn open_input(path: &Path) -> anyhow::Result<(Box<dyn BufRead + Send>, Option<u64>)> {
    if path.as_os_str() == "-" {
        let stdin = BufReader::with_capacity(READ_BUFFER_BYTES, io::stdin());
        return Ok((Box::new(stdin), None));
    }
    let cannot = || format!("cannot read the import file {}", path.display());
    let meta = std::fs::metadata(path).with_context(cannot)?;
    if meta.is_dir() {
        return Err(anyhow!(
            "{} is a directory: give a JSON-lines file (or - for standard input)",
            path.display()
        ));
    }
    let lines = if meta.is_file() {
        Some(count_lines(File::open(path).with_context(cannot)?).with_context(cannot)?)
    } else {
        None
    };
    let file = File::open(path).with_context(cannot)?;
    Ok((
        Box::new(BufReader::with_capacity(READ_BUFFER_BYTES, file)),
        lines,
    ))
}

/// Lines in a file: its newlines, and one more for a last line without.
fn count_lines(mut file: File) -> io::Result<u64> {
    let mut buf = vec![0u8; READ_BUFFER_BYTES];
    let (mut lines, mut last) = (0u64, b'\n');
    loop {
        let read = file.read(&mut buf)?;
        let Some(chunk) = buf.get(..read).filter(|c| !c.is_empty()) else {
            break;
        };
        let newlines = chunk.iter().filter(|&&b| b == b'\n').count();
        lines += u64::try_from(newlines).unwrap_or(u64::MAX);
        last = chunk.last().copied().unwrap_or(last);
    }
    Ok(lines + u64::from(last != b'\n'))
}

/// Opens the ledger in `dir`, creating the directory if it does not exist.
fn open_or_create(dir: &Path) -> anyhow::Result<Ledger> {
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(anyhow!("{} is not a directory", dir.display())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the data directory {}", dir.display()))?,
        Err(e) => return Err(anyhow!("cannot use {}: {e}", dir.display())),
    }
    // Commits of at most one batch, as the benchmarks' bulk path: a larger
    // commit is no faster to append, and answering a repeated command id
    // (the next import of the same file) reads its whole commit back.
    let options = LedgerOptions {
        commit_commands_max: BATCH_LINES_MAX,
        ..shared::ledger_options()
    };
    let spinner = shared::Progress::start("import");
    let ledger = Ledger::open(dir, options).map_err(|e| shared::open_error(dir, e));
    spinner.finish();
    ledger
}

/// The progress bar: lines read of the file's lines, or lines and bytes
/// read from standard input; hidden when stderr is not a terminal.
struct ImportBar {
    bar: ProgressBar,
    sized: bool,
}

impl ImportBar {
    fn new(total_lines: Option<u64>) -> ImportBar {
        let target = if io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let template = match total_lines {
            Some(_) => "import {wide_bar} {human_pos}/{human_len} lines ({eta} left)",
            None => "{spinner} import: {human_pos} lines, {msg} read ({elapsed})",
        };
        let style =
            ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar());
        let bar = ProgressBar::with_draw_target(total_lines, target)
            .with_style(style)
            .with_message(HumanBytes(0).to_string());
        bar.enable_steady_tick(Duration::from_millis(200));
        ImportBar {
            bar,
            sized: total_lines.is_some(),
        }
    }

    fn update(&self, progress: &ImportProgress) {
        self.bar.set_position(progress.lines_read);
        if !self.sized {
            self.bar
                .set_message(HumanBytes(progress.bytes_read).to_string());
        }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for ImportBar {
    /// Cleared on every way out, errors included.
    fn drop(&mut self) {
        self.finish();
    }
}

/// The summary on stdout, then every line that was not appended (one
/// buffered writer: there may be a million of them). A reader that stops
/// early (`| head`) is no error.
fn print_summary(
    summary: &ImportSummary,
    actor: &Actor,
    head: u64,
    elapsed: Duration,
) -> anyhow::Result<()> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    match write_summary(&mut out, summary, actor, head, elapsed).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(anyhow!("cannot write the summary: {e}"))
        }
        _ => Ok(()),
    }
}

fn write_summary(
    out: &mut impl Write,
    summary: &ImportSummary,
    actor: &Actor,
    head: u64,
    elapsed: Duration,
) -> io::Result<()> {
    let millis = elapsed.as_millis().max(1);
    let rate = u128::from(summary.lines) * 1_000 / millis;
    writeln!(out, "imported as {} ({})", actor.user_id, actor.role)?;
    writeln!(
        out,
        "lines read:        {} ({} blank)",
        summary.lines, summary.blank
    )?;
    writeln!(
        out,
        "commands accepted: {} ({} events appended)",
        summary.accepted, summary.events_appended
    )?;
    writeln!(out, "duplicates:        {}", summary.duplicates)?;
    writeln!(out, "refused:           {}", summary.refused.len())?;
    writeln!(out, "malformed:         {}", summary.malformed.len())?;
    writeln!(out, "log head:          position {head}")?;
    writeln!(out, "time:              {millis} ms ({rate} lines/s)")?;
    if !summary.refused.is_empty() {
        writeln!(out, "refused lines:")?;
    }
    for r in &summary.refused {
        writeln!(
            out,
            "  line {}: {} {}: {}",
            r.line, r.command, r.code, r.message
        )?;
    }
    if !summary.malformed.is_empty() {
        writeln!(out, "malformed lines:")?;
    }
    for m in &summary.malformed {
        writeln!(out, "  line {}: {}", m.line, m.reason)?;
    }
    Ok(())
}
