//! The event log: one hash-chained, append-only sequence of events, stored in
//! sled as one record per commit, written by a single writer with group
//! commit.
//!
//! The durability contract is in the crate docs ([`crate`]).

mod bookkeeping;
pub mod codec;
mod errors;
mod flush_sizes;
mod flusher;
mod framer;
mod rebuild;
mod scrub;
mod store;
mod subscription;
mod threads;
mod writer;

use std::path::Path;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use rustc_hash::FxHashMap;
use smallvec::SmallVec;
use uuid::Uuid;

use crate::clock::Clock;
use crate::counts::{len_u64, to_usize};
use crate::domain::decide::{Context, decide_in};
use crate::domain::events::PayloadError;
use crate::domain::state::{ApplyError, CreditPolicy, Half, Tally};
use crate::domain::{Actor, Command, CommandError, Event, WriteModel};
use crate::ids::{CommandId, EventId, StreamId};
use bookkeeping::{CommandRecord, WriterState};
use codec::{
    BodyHash, CanonicalRef, CommandEntry, DecodeError, FrameBuilder, FrameRef, GENESIS_HASH, Hash,
    StoredEvent, encode_canonical, event_hash, parse_frame,
};
pub use errors::{LogError, OpenError, SubmitError};
use flush_sizes::FlushSizes;
pub use flush_sizes::{FLUSH_SIZE_BOUNDS, FlushStats};
use flusher::{flusher_loop, repeats_loop};
use framer::{FramerQueues, Written, framer_loop};
pub use store::{
    AcknowledgedHead, HEAD_FILE, ProjectionMeta, ProjectionTree, SEGMENT_SIZE, StoreError,
    config as sled_config, open_sled,
};
use store::{FrameBytes, Store};
pub use subscription::Subscription;
use threads::Threads;
use writer::{Batch, Decision, Pending, PendingEvent, Reply, WriterQueues, writer_loop};

/// Most commands gathered into one commit.
pub const COMMIT_COMMANDS_MAX: usize = 5_000;
/// Most commands in one `submit_batch` call.
pub const BATCH_COMMANDS_MAX: usize = 5_000;
/// Most events one command may produce.
pub const EVENTS_PER_COMMAND_MAX: usize = 1_000;
/// Largest payload of one event, in bytes (a shipment with thousands of
/// serials and UDIs fits; more must be split into several shipments).
pub const EVENT_PAYLOAD_BYTES_MAX: usize = 4 * 1024 * 1024;

/// Options for [`Ledger::open`].
pub struct LedgerOptions {
    /// Source of `recorded_at`.
    pub clock: Arc<dyn Clock>,
    /// Credit-control settings of the write model.
    pub credit_policy: CreditPolicy,
    /// Most commands the writer gathers into one commit (group commit).
    pub commit_commands_max: usize,
    /// Whether open itself recomputes the SHA-256 chain of the whole log
    /// before it returns (no command is decided on an unchecked log), or
    /// leaves that to the scrub after it (the default: commands are taken
    /// at once; see the crate docs).
    pub check_chain_at_open: bool,
}

impl LedgerOptions {
    /// Default options with `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> LedgerOptions {
        LedgerOptions {
            clock,
            credit_policy: CreditPolicy::default(),
            commit_commands_max: COMMIT_COMMANDS_MAX,
            check_chain_at_open: false,
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
    /// Idempotency key. Sending it again with the same body, as the same
    /// user, returns the original outcome (`duplicate: true`) and appends
    /// nothing; with another body, or from another user, it is refused with
    /// `IdempotencyMismatch`.
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

/// The message a panic carried, for an error that reports it.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic")
}

/// Calls a completion. A completion that panics is the caller's bug; it
/// must not take a ledger thread, and the other completions, down with it.
fn complete(done: Completion, result: BatchResult) {
    let called = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || done(result)));
    if called.is_err() {
        tracing::error!("a submit completion panicked");
    }
}

/// Results of a batch, one per command, in order. `Err` means the answers
/// could not be given (the ledger is poisoned or closed, or the stored
/// original of a repeated command id could not be read back); some of the
/// batch's commands may still have been accepted, and sending the batch
/// again with the same command ids is safe.
pub type BatchResult = Result<Vec<Result<Outcome, CommandError>>, LogError>;
/// Called once a batch is durable (or failed): on the ledger's flusher
/// thread, which acknowledges every other commit too (a repeat waiting
/// for the scrub after open is answered on the repeats thread, and a batch
/// refused as a whole on the writer's thread or the caller's). A
/// completion must be quick and must not wait on the ledger. Hand the result over (a channel
/// send, waking a task) and do any follow-up work elsewhere: a `submit`
/// inside a completion waits for the very thread running it and never
/// returns, and a `submit_with` there blocks that thread while the writer's
/// queue is full, which stalls every submitter.
pub type Completion = Box<dyn FnOnce(BatchResult) + Send>;

/// One submission call on its way to the writer.
struct Request {
    batch: Batch,
    done: Completion,
}

/// Something waiting for an answer: a completion, alone or with the
/// decisions it is to be told.
trait Waiter {
    fn into_completion(self) -> Completion;
}

impl Waiter for Completion {
    fn into_completion(self) -> Completion {
        self
    }
}

impl Waiter for Reply {
    fn into_completion(self) -> Completion {
        self.0
    }
}

/// Fails every waiter with the same error: what each stage does with the
/// commits it can no longer carry.
fn fail_all<W: Waiter>(waiters: impl IntoIterator<Item = W>, error: impl Fn() -> LogError) {
    for waiter in waiters {
        complete(waiter.into_completion(), Err(error()));
    }
}

struct Shared {
    store: Store,
    state: Mutex<WriterState>,
    head: Mutex<Head>,
    head_changed: Condvar,
    poisoned: Mutex<Option<String>>,
    /// How far the scrub has checked the SHA-256 chain (see `scrub`).
    chain: Mutex<scrub::ChainState>,
    chain_changed: Condvar,
    /// Events per durable flush, for operators.
    flush_sizes: FlushSizes,
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

    /// Stops the ledger for a failure that reopening gets past (storage,
    /// a broken invariant); returns the reason to answer with.
    fn stop_until_reopen(&self, what: impl std::fmt::Display) -> String {
        let why = format!("{what}; reopen the ledger to go on");
        self.poison(why.clone());
        why
    }

    /// [`Shared::stop_until_reopen`], then fails `waiters` with the reason.
    fn stop_and_fail<W: Waiter>(
        &self,
        what: impl std::fmt::Display,
        waiters: impl IntoIterator<Item = W>,
    ) {
        let why = self.stop_until_reopen(what);
        fail_all(waiters, || LogError::Poisoned(why.clone()));
    }

    /// `waiters` back while the ledger accepts commands; once it has
    /// stopped, fails them with the reason and returns `None`.
    fn refuse_if_poisoned<W: Waiter>(&self, waiters: Vec<W>) -> Option<Vec<W>> {
        match self.poisoned() {
            None => Some(waiters),
            Some(why) => {
                fail_all(waiters, || LogError::Poisoned(why.clone()));
                None
            }
        }
    }
}

struct Inner {
    shared: Arc<Shared>,
    tx: Option<SyncSender<Request>>,
    threads: Threads,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the queue ends the writer, which ends the flusher after
        // the last pending commit is flushed and acknowledged.
        self.tx.take();
        // The scrub stops, and whatever waits for it is told so.
        self.shared.close_scrub();
        // The last handle may be dropped inside a completion, which runs on
        // one of the ledger's own threads: joining them from there would
        // wait on itself. The threads then end on their own.
        if !self.threads.is_current() {
            self.threads.join();
        }
    }
}

/// The ledger: decide, append, read and subscribe. Cheap to clone; the last
/// clone dropped flushes pending commits, stops the ledger's threads and
/// waits for them, which releases the store for the next open. (Dropped
/// inside a completion, on a ledger thread, it cannot wait for its own
/// thread: the threads then end on their own, shortly after.)
#[derive(Clone)]
pub struct Ledger {
    inner: Arc<Inner>,
}

impl Ledger {
    /// Opens the ledger at `path`, checking the whole log (CRCs, layout,
    /// positions, stream versions, command tables, each commit naming the
    /// previous one's stored hash, and that it holds everything
    /// acknowledged before) and rebuilding the write model from it; then
    /// starts the scrub, which recomputes the SHA-256 chain in the
    /// background (reads wait for it; see [`Ledger::chain_checked`]).
    /// Blocking: it reads the whole log, and waits up to two seconds for
    /// sled's file lock if the store was just closed (another process
    /// holding it makes it fail then); async callers run it on a blocking
    /// thread.
    pub fn open(path: &Path, options: LedgerOptions) -> Result<Ledger, OpenError> {
        let store = Store::open(path)?;
        let acknowledged = store.acknowledged_at_open();
        let check = if options.check_chain_at_open {
            rebuild::checked_frame_and_hashes
        } else {
            rebuild::checked_frame
        };
        let rebuilt = rebuild::rebuild(
            &store,
            options.credit_policy,
            acknowledged.map(|a| a.position),
            check,
        )?;
        let state = rebuilt.state;
        let head = Head {
            position: state.next_position - 1,
            hash: rebuilt.last_hash,
            recorded_at: state.last_recorded_at,
        };
        if let Some(acknowledged) = acknowledged {
            check_acknowledged(&acknowledged, &head, rebuilt.watched)?;
        }
        // The scrub checks the chain after open, unless open just did.
        let scrubbing = head.position > 0 && !options.check_chain_at_open;
        if acknowledged.is_none_or(|a| a.position != head.position) {
            store.record_head(&AcknowledgedHead {
                position: head.position,
                hash: head.hash,
            })?;
        }
        tracing::info!(head = head.position, "ledger opened");
        let shared = Arc::new(Shared {
            store,
            state: Mutex::new(state),
            head: Mutex::new(head),
            head_changed: Condvar::new(),
            poisoned: Mutex::new(None),
            chain: Mutex::new(scrub::ChainState::new(
                head.position,
                if scrubbing { 0 } else { head.position },
            )),
            chain_changed: Condvar::new(),
            flush_sizes: FlushSizes::default(),
        });
        let start = threads::Start {
            clock: options.clock,
            commit_max: options.commit_commands_max.clamp(1, COMMIT_COMMANDS_MAX),
            opened: head,
            scrubbing,
        };
        let (tx, threads) = Threads::start(&shared, start).map_err(OpenError::Thread)?;
        Ok(Ledger {
            inner: Arc::new(Inner {
                shared,
                tx: Some(tx),
                threads,
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

    /// Appends a batch and calls `done` exactly once: on a ledger thread
    /// once the batch is durable (or failed; see [`Completion`]), or at
    /// once on the caller's thread when the batch is refused as a whole
    /// (too large, ledger poisoned or closed). For async callers: send into a oneshot channel.
    pub fn submit_with(&self, batch: Vec<Submission>, done: Completion) {
        if batch.len() > BATCH_COMMANDS_MAX {
            complete(
                done,
                Err(LogError::BatchTooLarge {
                    max: BATCH_COMMANDS_MAX,
                    got: batch.len(),
                }),
            );
            return;
        }
        if let Some(why) = self.inner.shared.poisoned() {
            complete(done, Err(LogError::Poisoned(why)));
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
            complete(done, Err(LogError::Closed));
            return;
        };
        if let Err(mpsc::SendError(request)) = tx.send(Request { batch, done }) {
            complete(request.done, Err(LogError::Closed));
        }
    }

    /// Durable flushes since open and the events each carried.
    pub fn flush_stats(&self) -> FlushStats {
        self.inner.shared.flush_sizes.snapshot()
    }

    /// The durable head.
    pub fn head(&self) -> Head {
        self.inner.shared.head()
    }

    /// The durable head once it is past `position`, or as it is after
    /// `timeout` (for followers that wait without reading: a server
    /// waking its subscribers).
    pub fn wait_head_past(&self, position: u64, timeout: Duration) -> Head {
        let shared = &self.inner.shared;
        let head = shared.head.lock().unwrap_or_else(|e| e.into_inner());
        let (head, _) = shared
            .head_changed
            .wait_timeout_while(head, timeout, |h| h.position <= position)
            .unwrap_or_else(|e| e.into_inner());
        *head
    }

    /// Up to `limit` durable events from `from` (1-based) on, in order.
    /// Right after open, waits for the scrub to have checked them.
    pub fn read(&self, from: u64, limit: usize) -> Result<Vec<StoredEvent>, LogError> {
        let head = self.head().position;
        let from = from.max(1);
        let mut out = Vec::new();
        if from > head || limit == 0 {
            return Ok(out);
        }
        let last = head.min(from.saturating_add(len_u64(limit - 1)));
        self.inner.shared.wait_checked(last)?;
        for item in self.inner.shared.store.frames_from(from)? {
            let (first, bytes) = item?;
            if first > head {
                break;
            }
            // Parsed in place: only the events returned are copied.
            let frame = parse_stored(first, &bytes)?;
            let wanted = (frame.events.iter())
                .filter(|e| (from..=head).contains(&e.parsed.position))
                .take(limit - out.len());
            out.extend(wanted.map(|e| e.parsed.to_stored(e.hash)));
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    /// Every durable event of one stream, in version order. Right after
    /// open, waits for the scrub to have checked them.
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
        if let Some(&last) = positions.last() {
            self.inner.shared.wait_checked(last)?;
        }
        let mut out: Vec<StoredEvent> = Vec::with_capacity(positions.len());
        for position in positions {
            if out.last().is_some_and(|e| e.position >= position) {
                continue;
            }
            // Decode only the commit that holds this position; its other
            // events of the stream come along.
            let stored = self.inner.shared.store.frames_from(position)?.next();
            let Some((first, bytes)) = stored.transpose()? else {
                break;
            };
            let frame = parse_stored(first, &bytes)?;
            out.extend(
                (frame.events.iter())
                    .filter(|e| {
                        let p = &e.parsed;
                        p.stream_id == stream && p.position >= position && p.position <= head
                    })
                    .map(|e| e.parsed.to_stored(e.hash)),
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

    /// The sled tree of projection `name`, beside the log (read models
    /// keep their state and checkpoint there: see `arledger-projections`).
    pub fn projection_tree(&self, name: &str) -> Result<ProjectionTree, StoreError> {
        self.inner.shared.store.projection_tree(name)
    }

    /// The hash chain's value at `position` (`GENESIS_HASH` at 0), once
    /// the scrub has checked it: what a report computed at that position
    /// names to tie itself to the log.
    pub fn hash_at(&self, position: u64) -> Result<Hash, LogError> {
        if position == 0 {
            return Ok(GENESIS_HASH);
        }
        match self.read(position, 1)?.pop() {
            Some(event) => Ok(event.hash),
            None => Err(LogError::Gap {
                expected: position,
                found: self.head().position,
            }),
        }
    }

    /// Runs `f` on the write model. It may include decided events whose
    /// commit is not yet durable: this is not a read API, read models are.
    pub fn with_model<R>(&self, f: impl FnOnce(&WriteModel) -> R) -> R {
        f(&self.inner.shared.state().model)
    }

    /// Waits for the scrub that open started to finish recomputing the
    /// SHA-256 chain of the log open found: that head's position, or
    /// [`LogError::Altered`] naming where the chain does not hold, or
    /// [`LogError::Unchecked`] if the scrub could not go on.
    pub fn chain_checked(&self) -> Result<u64, LogError> {
        self.inner.shared.wait_scrubbed()
    }

    /// Re-checks the whole durable log now, on the calling thread: CRCs,
    /// positions, the SHA-256 chain, and that it ends exactly at the head
    /// this ledger acknowledged.
    pub fn verify(&self) -> Result<u64, OpenError> {
        let head = self.head();
        let whole = rebuild::check_chain_to(&self.inner.shared.store, &head, |_| true)?;
        assert!(whole, "a check told to go on throughout reaches the head");
        Ok(head.position)
    }
}

/// Open's last check: the log holds everything the ledger ever acknowledged.
/// sled's recovery silently ends its log at the first damaged record, so a
/// log shorter than the recorded head lost acknowledged events there.
fn check_acknowledged(
    acknowledged: &AcknowledgedHead,
    head: &Head,
    hash_there: Option<Hash>,
) -> Result<(), OpenError> {
    if acknowledged.position > head.position {
        return Err(OpenError::Corrupt {
            position: head.position + 1,
            reason: format!(
                "the log ends at {} but positions up to {} were acknowledged: the records from {} on are lost or unreadable (sled stops reading its log at a torn or corrupt record)",
                head.position,
                acknowledged.position,
                head.position + 1
            ),
        });
    }
    if hash_there != Some(acknowledged.hash) {
        return Err(OpenError::Corrupt {
            position: acknowledged.position,
            reason: format!(
                "the log's hash at position {} is not the one acknowledged: the log up to there was replaced",
                acknowledged.position
            ),
        });
    }
    Ok(())
}

/// Parses a stored frame in place, naming its position if it does not
/// decode.
fn parse_stored(first: u64, bytes: &[u8]) -> Result<FrameRef<'_>, LogError> {
    parse_frame(bytes).map_err(|source| LogError::Decode {
        position: first,
        source,
    })
}

/// The fingerprint of a command's body for idempotency: XXH3-128 of its
/// bincode bytes (see [`codec`] for why not SHA-256).
pub fn body_hash(command: &Command) -> BodyHash {
    thread_local! {
        static BODY: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BODY.with_borrow_mut(|body| {
        body.clear();
        // Serializing plain data into a Vec cannot fail.
        let _ = bincode::serialize_into(&mut *body, command);
        xxhash_rust::xxh3::xxh3_128(body).to_be_bytes()
    })
}

#[cfg(test)]
mod tests;
