//! The event log: one hash-chained, append-only sequence of events, stored in
//! sled as one record per commit, written by a single writer with group
//! commit.
//!
//! The durability contract is in the crate docs ([`crate`]).

pub mod codec;
mod store;

use std::path::Path;
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rustc_hash::FxHashMap;
use sha2::{Digest, Sha256};
use smallvec::SmallVec;
use uuid::Uuid;

use crate::clock::Clock;
use crate::domain::decide::{Context, decide_in};
use crate::domain::events::PayloadError;
use crate::domain::state::CreditPolicy;
use crate::domain::{Actor, Command, CommandError, Event, WriteModel};
use crate::ids::{CommandId, EventId, StreamId};
use codec::{
    CanonicalFields, CommandEntry, DecodeError, FrameBuilder, GENESIS_HASH, Hash, StoredEvent,
    chain_hash, decode_frame, encode_canonical,
};
use store::Store;
pub use store::{SEGMENT_SIZE, StoreError, config as sled_config};

/// Most commands gathered into one commit.
pub const COMMIT_COMMANDS_MAX: usize = 5_000;
/// Most commands in one `submit_batch` call.
pub const BATCH_COMMANDS_MAX: usize = 5_000;
/// Most events one command may produce.
pub const EVENTS_PER_COMMAND_MAX: usize = 1_000;
/// Largest payload of one event, in bytes (a shipment with thousands of
/// serials and UDIs fits; more must be split into several shipments).
pub const EVENT_PAYLOAD_BYTES_MAX: usize = 4 * 1024 * 1024;
const WRITER_THREAD: &str = "arledger-writer";
const FRAMER_THREAD: &str = "arledger-framer";
const FLUSHER_THREAD: &str = "arledger-flusher";
/// Requests waiting for the writer before submitters block.
const WRITER_QUEUE_MAX: usize = 1_024;
/// Decided commits waiting for their flush.
const FLUSH_QUEUE_MAX: usize = 4;

/// Options for [`Ledger::open`].
pub struct LedgerOptions {
    /// Source of `recorded_at`.
    pub clock: Arc<dyn Clock>,
    /// Credit-control settings of the write model.
    pub credit_policy: CreditPolicy,
    /// Most commands the writer gathers into one commit (group commit).
    pub commit_commands_max: usize,
}

impl LedgerOptions {
    /// Default options with `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> LedgerOptions {
        LedgerOptions {
            clock,
            credit_policy: CreditPolicy::default(),
            commit_commands_max: COMMIT_COMMANDS_MAX,
        }
    }
}

/// What version a command expects its stream to be at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpectedVersion {
    /// No check.
    Any,
    /// The stream must not exist yet.
    NoStream,
    /// The stream must be at exactly this version.
    Exact(u64),
}

/// A command with everything the log needs to append it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submission {
    /// Idempotency key.
    pub command_id: CommandId,
    /// Who issues it.
    pub actor: Actor,
    /// Optional correlation id, recorded on its events.
    pub correlation_id: Option<Uuid>,
    /// Expected version of the command's stream.
    pub expected_version: ExpectedVersion,
    /// The command.
    pub command: Command,
}

impl Submission {
    /// A submission without correlation id or version check.
    pub fn new(command_id: CommandId, actor: Actor, command: Command) -> Submission {
        Submission {
            command_id,
            actor,
            correlation_id: None,
            expected_version: ExpectedVersion::Any,
            command,
        }
    }
}

/// The result of an accepted (or repeated) command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Position of its first event.
    pub first_position: u64,
    /// Position of its last event.
    pub last_position: u64,
    /// Its events' ids.
    pub event_ids: Vec<EventId>,
    /// True when this is a repeat of an already accepted command id.
    pub duplicate: bool,
}

/// The log's failures (as opposed to refused commands).
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// sled failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored record does not decode.
    #[error("record at position {position}: {source}")]
    Decode {
        /// Position (or frame start) of the record.
        position: u64,
        /// Why.
        source: DecodeError,
    },
    /// A flush failed earlier; nothing more is accepted until reopen.
    #[error("the ledger stopped accepting commands after a storage failure: {0}; reopen it")]
    Poisoned(String),
    /// The ledger is shut down.
    #[error("the ledger is closed")]
    Closed,
    /// A batch is larger than `BATCH_COMMANDS_MAX`.
    #[error("a batch holds at most {max} commands, got {got}")]
    BatchTooLarge {
        /// Allowed.
        max: usize,
        /// Given.
        got: usize,
    },
}

/// Why [`Ledger::open`] failed.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// sled failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A thread of the ledger could not be started.
    #[error("cannot start a ledger thread: {0}")]
    Thread(std::io::Error),
    /// The stored log is damaged at `position`; it is not served.
    #[error("log corrupt at position {position}: {reason}")]
    Corrupt {
        /// First position affected.
        position: u64,
        /// What is wrong.
        reason: String,
    },
}

/// Why a single `submit` did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The command broke a rule; nothing was appended.
    #[error(transparent)]
    Refused(#[from] CommandError),
    /// The log failed.
    #[error(transparent)]
    Log(#[from] LogError),
}

/// The head of the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    /// Last durable position (0 when empty).
    pub position: u64,
    /// hash(position).
    pub hash: Hash,
    /// recorded_at of the last event.
    pub recorded_at: Option<DateTime<Utc>>,
}

/// Results of a batch, one per command, in order.
pub type BatchResult = Result<Vec<Result<Outcome, CommandError>>, LogError>;
/// Called once a batch is durable (or failed).
pub type Completion = Box<dyn FnOnce(BatchResult) + Send>;

struct Request {
    batch: Vec<(Submission, Hash)>,
    done: Completion,
}

/// What idempotency remembers of an accepted command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct CommandRecord {
    body_hash: Hash,
    first_position: u64,
    event_count: u32,
}

/// Everything the writer decides against. Rebuilt from the log at open.
struct WriterState {
    model: WriteModel,
    /// Positions of each stream's events; the stream's version is the length.
    /// Most streams hold one to a few events (an invoice, a payment), so
    /// their positions live inline, with no allocation per stream.
    streams: FxHashMap<StreamId, SmallVec<[u64; 2]>>,
    commands: FxHashMap<CommandId, CommandRecord>,
    next_position: u64,
    last_recorded_at: Option<DateTime<Utc>>,
}

struct Shared {
    store: Store,
    state: Mutex<WriterState>,
    head: Mutex<Head>,
    head_changed: Condvar,
    poisoned: Mutex<Option<String>>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, WriterState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn head(&self) -> Head {
        *self.head.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn poisoned(&self) -> Option<String> {
        self.poisoned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn poison(&self, why: String) {
        tracing::error!(reason = %why, "ledger stops accepting commands");
        let mut p = self.poisoned.lock().unwrap_or_else(|e| e.into_inner());
        p.get_or_insert(why);
    }
}

struct Inner {
    shared: Arc<Shared>,
    tx: Option<SyncSender<Request>>,
    writer: Option<JoinHandle<()>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the queue ends the writer, which ends the flusher after
        // the last pending commit is flushed and acknowledged.
        self.tx.take();
        // The last handle may be dropped inside a completion, on the
        // flusher thread: joining the writer there would wait on itself.
        if std::thread::current().name() == Some(FLUSHER_THREAD) {
            return;
        }
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

/// The ledger: decide, append, read and subscribe. Cheap to clone; the last
/// clone dropped flushes pending commits and stops the writer.
#[derive(Clone)]
pub struct Ledger {
    inner: Arc<Inner>,
}

impl Ledger {
    /// Opens the ledger at `path`, checking the whole log and rebuilding the
    /// write model from it.
    pub fn open(path: &Path, options: LedgerOptions) -> Result<Ledger, OpenError> {
        let store = Store::open(path)?;
        let (state, last_hash) = rebuild(&store, options.credit_policy)?;
        let head = Head {
            position: state.next_position - 1,
            hash: last_hash,
            recorded_at: state.last_recorded_at,
        };
        tracing::info!(head = head.position, "ledger opened");
        let shared = Arc::new(Shared {
            store,
            state: Mutex::new(state),
            head: Mutex::new(head),
            head_changed: Condvar::new(),
            poisoned: Mutex::new(None),
        });
        let (tx, rx) = mpsc::sync_channel::<Request>(WRITER_QUEUE_MAX);
        let writer_shared = Arc::clone(&shared);
        let clock = options.clock;
        let commit_max = options.commit_commands_max.clamp(1, COMMIT_COMMANDS_MAX);
        let writer = std::thread::Builder::new()
            .name(WRITER_THREAD.into())
            .spawn(move || writer_loop(&writer_shared, clock.as_ref(), &rx, commit_max))
            .map_err(OpenError::Thread)?;
        Ok(Ledger {
            inner: Arc::new(Inner {
                shared,
                tx: Some(tx),
                writer: Some(writer),
            }),
        })
    }

    /// Appends one command; returns once it is durable, or why it was refused.
    pub fn submit(&self, submission: Submission) -> Result<Outcome, SubmitError> {
        let mut results = self.submit_batch(vec![submission])?;
        match results.pop() {
            Some(result) => Ok(result?),
            None => Err(SubmitError::Log(LogError::Closed)),
        }
    }

    /// Appends many commands in one commit (the bulk path). Each command
    /// keeps its own idempotency and its own refusal; returns once the
    /// commit is durable.
    pub fn submit_batch(&self, batch: Vec<Submission>) -> BatchResult {
        let (tx, rx) = mpsc::sync_channel(1);
        self.submit_with(
            batch,
            Box::new(move |result| {
                let _ = tx.send(result);
            }),
        );
        rx.recv().unwrap_or_else(|_| {
            // The completion was dropped unanswered: the writer stopped.
            Err(match self.inner.shared.poisoned() {
                Some(why) => LogError::Poisoned(why),
                None => LogError::Closed,
            })
        })
    }

    /// Appends a batch and calls `done` exactly once: from the flusher thread
    /// once the batch is durable (or failed), or at once on the caller's
    /// thread when the batch is refused as a whole (too large, ledger
    /// poisoned or closed). For async callers: send into a oneshot channel.
    pub fn submit_with(&self, batch: Vec<Submission>, done: Completion) {
        if batch.len() > BATCH_COMMANDS_MAX {
            done(Err(LogError::BatchTooLarge {
                max: BATCH_COMMANDS_MAX,
                got: batch.len(),
            }));
            return;
        }
        if let Some(why) = self.inner.shared.poisoned() {
            done(Err(LogError::Poisoned(why)));
            return;
        }
        // The body hash is computed here, on the caller's thread, to keep
        // the single writer's work small.
        let batch = batch
            .into_iter()
            .map(|s| {
                let hash = body_hash(&s.command);
                (s, hash)
            })
            .collect();
        let Some(tx) = &self.inner.tx else {
            done(Err(LogError::Closed));
            return;
        };
        if let Err(mpsc::SendError(request)) = tx.send(Request { batch, done }) {
            (request.done)(Err(LogError::Closed));
        }
    }

    /// The durable head.
    pub fn head(&self) -> Head {
        self.inner.shared.head()
    }

    /// Up to `limit` durable events from `from` (1-based) on, in order.
    pub fn read(&self, from: u64, limit: usize) -> Result<Vec<StoredEvent>, LogError> {
        let head = self.head().position;
        let from = from.max(1);
        let mut out = Vec::new();
        if from > head || limit == 0 {
            return Ok(out);
        }
        for item in self.inner.shared.store.frames_from(from) {
            let (first, bytes) = item?;
            if first > head {
                break;
            }
            let frame = decode_frame(&bytes, None).map_err(|source| LogError::Decode {
                position: first,
                source,
            })?;
            for event in frame.events {
                if event.position > head || out.len() >= limit {
                    return Ok(out);
                }
                if event.position >= from {
                    out.push(event);
                }
            }
        }
        Ok(out)
    }

    /// Every durable event of one stream, in version order.
    pub fn read_stream(&self, stream: StreamId) -> Result<Vec<StoredEvent>, LogError> {
        let head = self.head().position;
        let positions: Vec<u64> = self
            .inner
            .shared
            .state()
            .streams
            .get(&stream)
            .map(|p| p.iter().copied().filter(|&p| p <= head).collect())
            .unwrap_or_default();
        let mut out: Vec<StoredEvent> = Vec::with_capacity(positions.len());
        for position in positions {
            if out.last().is_some_and(|e| e.position >= position) {
                continue;
            }
            // Decode only the commit that holds this position; its other
            // events of the stream come along.
            let Some(item) = self.inner.shared.store.frames_from(position).next() else {
                break;
            };
            let (first, bytes) = item?;
            let frame = decode_frame(&bytes, None).map_err(|source| LogError::Decode {
                position: first,
                source,
            })?;
            out.extend(
                frame.events.into_iter().filter(|e| {
                    e.stream_id == stream && e.position >= position && e.position <= head
                }),
            );
        }
        Ok(out)
    }

    /// A subscription delivering every durable event from `from` on, in
    /// position order with no gaps, including events appended meanwhile.
    pub fn subscribe(&self, from: u64) -> Subscription {
        Subscription {
            ledger: self.clone(),
            next: from.max(1),
            buffer: std::collections::VecDeque::new(),
        }
    }

    /// Runs `f` on the write model. It may include decided events whose
    /// commit is not yet durable: this is not a read API, read models are.
    pub fn with_model<R>(&self, f: impl FnOnce(&WriteModel) -> R) -> R {
        f(&self.inner.shared.state().model)
    }

    /// Re-checks the whole durable log: CRCs, positions and the hash chain.
    pub fn verify(&self) -> Result<u64, OpenError> {
        let head = self.head().position;
        let mut checker = ChainChecker::new();
        for item in self.inner.shared.store.frames_from(1) {
            let (first, bytes) = item?;
            if first > head {
                break;
            }
            checker.frame(first, &bytes)?;
        }
        Ok(checker.next_position - 1)
    }
}

/// An ordered, gap-free stream of durable events.
pub struct Subscription {
    ledger: Ledger,
    next: u64,
    buffer: std::collections::VecDeque<StoredEvent>,
}

/// Events fetched per read while catching up.
const SUBSCRIPTION_CHUNK: usize = 4_096;

impl Subscription {
    /// The position the next delivered event will have.
    pub fn next_position(&self) -> u64 {
        self.next
    }

    /// The next event, waiting at most `timeout` for one to be appended.
    pub fn next_timeout(&mut self, timeout: Duration) -> Result<Option<StoredEvent>, LogError> {
        if self.buffer.is_empty() {
            let shared = &self.ledger.inner.shared;
            let next = self.next;
            let head = shared.head.lock().unwrap_or_else(|e| e.into_inner());
            if head.position < next {
                let _unused = shared
                    .head_changed
                    .wait_timeout_while(head, timeout, |h| h.position < next)
                    .unwrap_or_else(|e| e.into_inner());
            } else {
                drop(head);
            }
            self.buffer
                .extend(self.ledger.read(self.next, SUBSCRIPTION_CHUNK)?);
        }
        match self.buffer.pop_front() {
            Some(event) => {
                assert_eq!(
                    event.position, self.next,
                    "subscription must not skip positions"
                );
                self.next += 1;
                Ok(Some(event))
            }
            None => Ok(None),
        }
    }
}

/// SHA-256 of a command's body (bincode), for idempotency.
pub fn body_hash(command: &Command) -> Hash {
    let mut h = Sha256::new();
    // Serializing into a hasher cannot fail for these plain types; if it
    // ever did, the empty hash still makes a repeat compare unequal.
    let _ = bincode::serialize_into(HashWriter(&mut h), command);
    h.finalize().into()
}

struct HashWriter<'a>(&'a mut Sha256);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Checks frames in order: CRC, positions, and the hash chain.
struct ChainChecker {
    next_position: u64,
    last_hash: Hash,
}

impl ChainChecker {
    fn new() -> ChainChecker {
        ChainChecker {
            next_position: 1,
            last_hash: GENESIS_HASH,
        }
    }

    fn frame(&mut self, key: u64, bytes: &[u8]) -> Result<codec::Frame, OpenError> {
        let corrupt = |position: u64, reason: String| OpenError::Corrupt { position, reason };
        if key != self.next_position {
            return Err(corrupt(
                self.next_position,
                format!(
                    "expected a commit starting at {}, found one at {key}",
                    self.next_position
                ),
            ));
        }
        let mut position = key;
        let mut prev = self.last_hash;
        let mut bad: Option<(u64, String)> = None;
        let mut check = |canonical: &[u8], stored: &Hash| {
            let content: Hash = Sha256::digest(canonical).into();
            let expected = chain_hash(&prev, position, &content);
            if bad.is_none() && &expected != stored {
                bad = Some((
                    position,
                    "hash chain broken: stored hash differs from SHA-256 of the event".into(),
                ));
            }
            prev = *stored;
            position += 1;
        };
        let frame = decode_frame(bytes, Some(&mut check))
            .map_err(|e| corrupt(key, format!("commit record does not decode: {e}")))?;
        if let Some((p, why)) = bad {
            return Err(corrupt(p, why));
        }
        if frame.first_position != key {
            return Err(corrupt(
                key,
                format!(
                    "record key {key} holds a commit for {}",
                    frame.first_position
                ),
            ));
        }
        if frame.prev_hash != self.last_hash {
            return Err(corrupt(
                key,
                "hash chain broken: the commit does not follow the previous one".into(),
            ));
        }
        for (i, e) in frame.events.iter().enumerate() {
            let expected = key + u64::try_from(i).unwrap_or(u64::MAX);
            if e.position != expected {
                return Err(corrupt(
                    expected,
                    format!("event holds position {}", e.position),
                ));
            }
        }
        let counted: u64 = frame
            .commands
            .iter()
            .map(|c| u64::from(c.event_count))
            .sum();
        let events = u64::try_from(frame.events.len()).unwrap_or(u64::MAX);
        if counted != events {
            return Err(corrupt(
                key,
                "command entries do not cover the commit's events".into(),
            ));
        }
        self.next_position = key + events;
        self.last_hash = prev;
        Ok(frame)
    }
}

/// Frames checked and decoded, waiting to be folded at open.
const REBUILD_QUEUE_MAX: usize = 4;

/// A checked frame with its decoded payloads.
type CheckedFrame = (codec::Frame, Vec<Result<Event, PayloadError>>);

/// Reads the whole log, checks it, and folds the write model. Reading,
/// checking (CRC, SHA-256 chain) and payload decoding run on one thread,
/// folding on another, so the two cores share the work.
fn rebuild(store: &Store, policy: CreditPolicy) -> Result<(WriterState, Hash), OpenError> {
    let mut state = WriterState {
        model: WriteModel::new(policy),
        streams: FxHashMap::default(),
        commands: FxHashMap::default(),
        next_position: 1,
        last_recorded_at: None,
    };
    let (tx, rx) = mpsc::sync_channel::<Result<CheckedFrame, OpenError>>(REBUILD_QUEUE_MAX);
    let checked = std::thread::scope(|scope| {
        let reader = scope.spawn(move || {
            let mut checker = ChainChecker::new();
            for item in store.frames_from(1) {
                let checked = item.map_err(OpenError::from).and_then(|(key, bytes)| {
                    let frame = checker.frame(key, &bytes)?;
                    let events = frame.events.iter().map(StoredEvent::event).collect();
                    Ok((frame, events))
                });
                let failed = checked.is_err();
                if tx.send(checked).is_err() || failed {
                    break;
                }
            }
            (checker.next_position, checker.last_hash)
        });
        let folded = fold_frames(&mut state, &rx);
        // Dropping the receiver lets a reader blocked on a full queue end.
        drop(rx);
        let checked = reader.join();
        folded.map(|()| checked)
    })?;
    let (next_position, last_hash) = checked.map_err(|_| OpenError::Corrupt {
        position: state.next_position,
        reason: "the log reader thread panicked".into(),
    })?;
    state.next_position = next_position;
    Ok((state, last_hash))
}

fn fold_frames(
    state: &mut WriterState,
    rx: &Receiver<Result<CheckedFrame, OpenError>>,
) -> Result<(), OpenError> {
    while let Ok(checked) = rx.recv() {
        let (frame, decoded) = checked?;
        let mut events = frame.events.iter().zip(decoded);
        for entry in &frame.commands {
            let mut first = None;
            for _ in 0..entry.event_count {
                let Some((e, event)) = events.next() else {
                    break;
                };
                if e.command_id != entry.command_id {
                    return Err(OpenError::Corrupt {
                        position: e.position,
                        reason: format!(
                            "the commit's command table names command {} for an event of command {}",
                            entry.command_id.0, e.command_id.0
                        ),
                    });
                }
                first.get_or_insert(e.position);
                let event = event.map_err(|err| OpenError::Corrupt {
                    position: e.position,
                    reason: err.to_string(),
                })?;
                fold(state, e, &event)?;
            }
            state.commands.insert(
                entry.command_id,
                CommandRecord {
                    body_hash: entry.body_hash,
                    first_position: first.unwrap_or(frame.first_position),
                    event_count: entry.event_count,
                },
            );
        }
        state.next_position =
            frame.first_position + u64::try_from(frame.events.len()).unwrap_or(u64::MAX);
    }
    Ok(())
}

fn fold(state: &mut WriterState, e: &StoredEvent, event: &Event) -> Result<(), OpenError> {
    let corrupt = |reason: String| OpenError::Corrupt {
        position: e.position,
        reason,
    };
    let positions = state.streams.entry(e.stream_id).or_default();
    let expected = u64::try_from(positions.len()).unwrap_or(u64::MAX) + 1;
    if e.stream_version != expected {
        return Err(corrupt(format!(
            "stream {} jumps to version {}, expected {expected}",
            e.stream_id, e.stream_version
        )));
    }
    positions.push(e.position);
    state
        .model
        .apply(event)
        .map_err(|err| corrupt(err.to_string()))?;
    if state.last_recorded_at.is_some_and(|t| e.recorded_at < t) {
        return Err(corrupt("recorded_at goes backwards".into()));
    }
    state.last_recorded_at = Some(e.recorded_at);
    Ok(())
}

/// An accepted event waiting to be encoded by the framer.
struct PendingEvent {
    event: Event,
    stream_id: StreamId,
    stream_version: u64,
    event_id: EventId,
    /// Which submission produced it: (batch, index in the batch).
    submission: (usize, usize),
}

/// A decided commit on its way to the framer, which encodes, hashes and
/// writes it: that work overlaps with deciding the next commit on the
/// writer thread, and the submissions are dropped there too.
struct Pending {
    first_position: u64,
    /// recorded_at of this commit's events.
    recorded_at: DateTime<Utc>,
    /// recorded_at of the log's last event once this commit is durable.
    head_recorded_at: Option<DateTime<Utc>>,
    batches: Vec<Vec<(Submission, Hash)>>,
    events: Vec<PendingEvent>,
    commands: Vec<CommandEntry>,
    replies: Vec<(Completion, Vec<Decision>)>,
}

enum Decision {
    Accepted(Outcome),
    Duplicate(CommandRecord),
    Refused(CommandError),
}

fn writer_loop(shared: &Arc<Shared>, clock: &dyn Clock, rx: &Receiver<Request>, commit_max: usize) {
    let (frame_tx, frame_rx) = mpsc::sync_channel::<Pending>(FLUSH_QUEUE_MAX);
    let framer_shared = Arc::clone(shared);
    let framer = std::thread::Builder::new()
        .name(FRAMER_THREAD.into())
        .spawn(move || {
            let last_hash = framer_shared.head().hash;
            framer_loop(&framer_shared, &frame_rx, last_hash);
        });
    let framer = match framer {
        Ok(f) => f,
        Err(e) => {
            shared.poison(format!("cannot start the framer thread: {e}"));
            while let Ok(request) = rx.recv() {
                (request.done)(Err(LogError::Poisoned(e.to_string())));
            }
            return;
        }
    };
    while let Ok(first) = rx.recv() {
        let mut requests = vec![first];
        let mut commands = requests[0].batch.len();
        while commands < commit_max {
            match rx.try_recv() {
                Ok(r) => {
                    commands += r.batch.len();
                    requests.push(r);
                }
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        if let Some(why) = shared.poisoned() {
            for r in requests {
                (r.done)(Err(LogError::Poisoned(why.clone())));
            }
            continue;
        }
        // A panic while deciding means a broken invariant (the model and the
        // rules disagree): stop accepting commands rather than die silently.
        let (batches, dones): (Vec<_>, Vec<_>) =
            requests.into_iter().map(|r| (r.batch, r.done)).unzip();
        let decided = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            decide_commit(shared, clock, &batches)
        }));
        let pending = match decided {
            Ok((pending, decisions)) => Pending {
                batches,
                replies: dones.into_iter().zip(decisions).collect(),
                ..pending
            },
            Err(panic) => {
                let why = panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("unknown panic");
                let why = format!("internal error while deciding a commit: {why}");
                shared.poison(why.clone());
                for done in dones {
                    done(Err(LogError::Poisoned(why.clone())));
                }
                continue;
            }
        };
        if let Err(mpsc::SendError(p)) = frame_tx.send(pending) {
            for (done, _) in p.replies {
                done(Err(LogError::Closed));
            }
        }
    }
    drop(frame_tx);
    let _ = framer.join();
}

/// Decides every command of the gathered batches against the write model
/// and folds the accepted ones in. Returns the commit (without its
/// submissions and completions) and each batch's decisions.
fn decide_commit(
    shared: &Shared,
    clock: &dyn Clock,
    batches: &[Vec<(Submission, Hash)>],
) -> (Pending, Vec<Vec<Decision>>) {
    let mut guard = shared.state();
    let state = &mut *guard;
    // recorded_at never goes backwards, whatever the clock does.
    let now = clock.now();
    let recorded_at = match state.last_recorded_at {
        Some(last) if last > now => last,
        _ => now,
    };
    let first_position = state.next_position;
    let mut pending_events: Vec<PendingEvent> = Vec::with_capacity(1024);
    let mut commands = Vec::new();
    let context = Context {
        recorded_on: Some(recorded_at.date_naive()),
    };
    let mut replies = Vec::with_capacity(batches.len());
    for (batch_index, batch) in batches.iter().enumerate() {
        let mut decisions = Vec::with_capacity(batch.len());
        for (index, (s, body_hash)) in batch.iter().enumerate() {
            if let Some(record) = state.commands.get(&s.command_id) {
                decisions.push(if !s.command.permits(s.actor.role) {
                    // A repeat must not reveal another user's outcome to
                    // a role that could not have run the command.
                    Decision::Refused(s.command.forbidden_for(s.actor.role))
                } else if record.body_hash == *body_hash {
                    Decision::Duplicate(*record)
                } else {
                    Decision::Refused(CommandError::IdempotencyMismatch {
                        command_id: s.command_id.to_string(),
                    })
                });
                continue;
            }
            let user_id = s.actor.user_id.trim();
            if user_id.is_empty() || s.actor.user_id.len() > codec::USER_ID_LEN_MAX {
                decisions.push(Decision::Refused(CommandError::InvalidInput {
                    field: "actor.user_id".into(),
                    reason: format!("must be 1 to {} bytes", codec::USER_ID_LEN_MAX),
                }));
                continue;
            }
            let events = match decide_in(&state.model, &s.actor, &s.command, context) {
                Ok(events) => events,
                Err(e) => {
                    decisions.push(Decision::Refused(e));
                    continue;
                }
            };
            assert!(
                !events.is_empty() && events.len() <= EVENTS_PER_COMMAND_MAX,
                "decide produced {} events for {}",
                events.len(),
                s.command.name()
            );
            let stream_id = events[0].stream_id();
            assert!(
                events.iter().all(|e| e.stream_id() == stream_id),
                "a command's events share one stream"
            );
            let version = state
                .streams
                .get(&stream_id)
                .map_or(0, |p| u64::try_from(p.len()).unwrap_or(u64::MAX));
            let conflict = match s.expected_version {
                ExpectedVersion::Any => None,
                ExpectedVersion::NoStream if version == 0 => None,
                ExpectedVersion::NoStream => Some("no stream".to_string()),
                ExpectedVersion::Exact(v) if v == version => None,
                ExpectedVersion::Exact(v) => Some(v.to_string()),
            };
            if let Some(expected) = conflict {
                decisions.push(Decision::Refused(CommandError::ConcurrencyConflict {
                    stream: stream_id.to_string(),
                    expected,
                    actual: version,
                }));
                continue;
            }
            // Only shipments and recalls can carry enough serials and UDIs
            // to outgrow an event; measure them before folding, so that an
            // oversized command is refused while the model is untouched.
            let largest = events
                .iter()
                .filter(|e| matches!(e, Event::OrderShipped(_) | Event::RecallIssued(_)))
                .map(|e| e.payload_len())
                .max()
                .unwrap_or(0);
            if largest > EVENT_PAYLOAD_BYTES_MAX {
                decisions.push(Decision::Refused(CommandError::InvalidInput {
                    field: s.command.name().into(),
                    reason: format!(
                        "the command would record {largest} bytes in one event; at most {EVENT_PAYLOAD_BYTES_MAX}: split it"
                    ),
                }));
                continue;
            }
            let command_first = state.next_position;
            let mut event_ids = Vec::with_capacity(events.len());
            let event_count = u32::try_from(events.len()).unwrap_or(u32::MAX);
            for event in events {
                if let Err(e) = state.model.apply(&event) {
                    // decide accepted what apply cannot fold: the model is
                    // now inconsistent, so the ledger must stop here.
                    panic!(
                        "write model invariant broken after decide accepted {}: {e}",
                        s.command.name()
                    );
                }
                let positions = state.streams.entry(stream_id).or_default();
                positions.push(state.next_position);
                let event_id = EventId(Uuid::new_v4());
                pending_events.push(PendingEvent {
                    event,
                    stream_id,
                    stream_version: u64::try_from(positions.len()).unwrap_or(u64::MAX),
                    event_id,
                    submission: (batch_index, index),
                });
                state.next_position += 1;
                event_ids.push(event_id);
            }
            let record = CommandRecord {
                body_hash: *body_hash,
                first_position: command_first,
                event_count,
            };
            state.commands.insert(s.command_id, record);
            commands.push(CommandEntry {
                command_id: s.command_id,
                body_hash: *body_hash,
                event_count,
            });
            decisions.push(Decision::Accepted(Outcome {
                first_position: command_first,
                last_position: state.next_position - 1,
                event_ids,
                duplicate: false,
            }));
        }
        replies.push(decisions);
    }
    if !pending_events.is_empty() {
        state.last_recorded_at = Some(recorded_at);
    }
    let pending = Pending {
        first_position,
        recorded_at,
        head_recorded_at: state.last_recorded_at,
        batches: Vec::new(),
        events: pending_events,
        commands,
        replies: Vec::new(),
    };
    (pending, replies)
}

/// A commit written to sled but not yet flushed, on its way to the flusher.
struct Written {
    /// The head once this commit is durable; `None` when it appended nothing.
    head: Option<Head>,
    replies: Vec<(Completion, Vec<Decision>)>,
}

fn reply_all(replies: Vec<(Completion, Vec<Decision>)>, error: impl Fn() -> LogError) {
    for (done, _) in replies {
        done(Err(error()));
    }
}

/// Hashes, frames and writes each decided commit to sled (not yet durable),
/// then hands it to the flusher: hashing and inserting commit n+1 overlaps
/// with waiting for the disk on commit n.
fn framer_loop(shared: &Arc<Shared>, rx: &Receiver<Pending>, mut last_hash: Hash) {
    let (tx, flush_rx) = mpsc::sync_channel::<Written>(FLUSH_QUEUE_MAX);
    let flusher_shared = Arc::clone(shared);
    let flusher = std::thread::Builder::new()
        .name(FLUSHER_THREAD.into())
        .spawn(move || flusher_loop(&flusher_shared, &flush_rx));
    let flusher = match flusher {
        Ok(f) => f,
        Err(e) => {
            shared.poison(format!("cannot start the flusher thread: {e}"));
            while let Ok(pending) = rx.recv() {
                reply_all(pending.replies, || LogError::Poisoned(e.to_string()));
            }
            return;
        }
    };
    let mut payload = Vec::with_capacity(1024);
    let mut canonical = Vec::with_capacity(1024);
    while let Ok(pending) = rx.recv() {
        if let Some(why) = shared.poisoned() {
            reply_all(pending.replies, || LogError::Poisoned(why.clone()));
            continue;
        }
        let mut head = None;
        if !pending.events.is_empty() {
            let mut frame = FrameBuilder::new(
                pending.first_position,
                last_hash,
                pending.events.len() * 320,
            );
            let mut position = pending.first_position;
            let mut unencodable = None;
            for e in &pending.events {
                payload.clear();
                if let Err(err) = e.event.encode_payload(&mut payload) {
                    unencodable = Some(format!("event at {position} does not encode: {err}"));
                    break;
                }
                let (batch, index) = e.submission;
                let s = &pending.batches[batch][index].0;
                let fields = CanonicalFields {
                    position,
                    stream_id: e.stream_id,
                    stream_version: e.stream_version,
                    event_id: e.event_id,
                    event_type: e.event.type_name(),
                    schema_version: e.event.schema_version(),
                    recorded_at: pending.recorded_at,
                    command_id: s.command_id,
                    actor: &s.actor,
                    correlation_id: s.correlation_id,
                    payload: &payload,
                };
                canonical.clear();
                encode_canonical(&fields, &mut canonical);
                let content: Hash = Sha256::digest(&canonical).into();
                last_hash = chain_hash(&last_hash, position, &content);
                frame.push_event(&canonical, &last_hash);
                position += 1;
            }
            if let Some(why) = unencodable {
                shared.poison(why.clone());
                reply_all(pending.replies, || LogError::Poisoned(why.clone()));
                continue;
            }
            for entry in &pending.commands {
                frame.push_command(*entry);
            }
            let frame = frame.finish();
            if let Err(e) = shared.store.put(pending.first_position, &frame) {
                shared.poison(e.to_string());
                reply_all(pending.replies, || LogError::Poisoned(e.to_string()));
                continue;
            }
            head = Some(Head {
                position: position - 1,
                hash: last_hash,
                recorded_at: pending.head_recorded_at,
            });
        }
        let written = Written {
            head,
            replies: pending.replies,
        };
        if let Err(mpsc::SendError(w)) = tx.send(written) {
            reply_all(w.replies, || LogError::Closed);
        }
    }
    drop(tx);
    let _ = flusher.join();
}

/// Flushes everything written so far with one `flush`, then advances the
/// durable head, wakes subscribers and acknowledges, in commit order.
fn flusher_loop(shared: &Shared, rx: &Receiver<Written>) {
    while let Ok(first) = rx.recv() {
        // Every commit already handed over was written before it was sent,
        // so one flush makes all of them durable.
        let mut batch = vec![first];
        while let Ok(more) = rx.try_recv() {
            batch.push(more);
        }
        if let Some(why) = shared.poisoned() {
            for w in batch {
                reply_all(w.replies, || LogError::Poisoned(why.clone()));
            }
            continue;
        }
        let last_head = batch.iter().rev().find_map(|w| w.head);
        if let Some(head) = last_head {
            if let Err(e) = shared.store.flush() {
                shared.poison(e.to_string());
                for w in batch {
                    reply_all(w.replies, || LogError::Poisoned(e.to_string()));
                }
                continue;
            }
            *shared.head.lock().unwrap_or_else(|e| e.into_inner()) = head;
            shared.head_changed.notify_all();
        }
        for w in batch {
            for (done, decisions) in w.replies {
                let results = decisions
                    .into_iter()
                    .map(|d| match d {
                        Decision::Accepted(outcome) => Ok(Ok(outcome)),
                        Decision::Refused(e) => Ok(Err(e)),
                        Decision::Duplicate(record) => duplicate_outcome(shared, record).map(Ok),
                    })
                    .collect::<Result<Vec<_>, LogError>>();
                done(results);
            }
        }
    }
}

/// The original outcome of a repeated command, read back from the log.
fn duplicate_outcome(shared: &Shared, record: CommandRecord) -> Result<Outcome, LogError> {
    let count = usize::try_from(record.event_count).unwrap_or(usize::MAX);
    let mut event_ids = Vec::with_capacity(count);
    'frames: for item in shared.store.frames_from(record.first_position) {
        let (first, bytes) = item?;
        let frame = decode_frame(&bytes, None).map_err(|source| LogError::Decode {
            position: first,
            source,
        })?;
        for e in frame.events {
            if e.position >= record.first_position {
                event_ids.push(e.event_id);
                if event_ids.len() == count {
                    break 'frames;
                }
            }
        }
    }
    Ok(Outcome {
        first_position: record.first_position,
        last_position: record.first_position + u64::from(record.event_count) - 1,
        event_ids,
        duplicate: true,
    })
}

#[cfg(test)]
mod tests;
