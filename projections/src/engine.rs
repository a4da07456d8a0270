//! The projection engine: one reader follows the log in position order
//! (the ledger's subscription) and decodes each event once, on a decoder
//! thread, while the engine's own thread hands the batch before to every
//! projection's pure `apply` (a large batch, when catching up, to each
//! projection on a thread of its own at once); from time to time it stores what each
//! projection changed together with its checkpoint, in one atomic batch
//! per projection.
//!
//! - At start, a projection loads from its tree; one whose stored code
//!   version differs from its current one (or whose entries do not load)
//!   is cleared and rebuilt from position 0, with progress logged.
//! - After a crash or `kill -9`, each projection resumes from the
//!   checkpoint stored with its entries: nothing is skipped or applied
//!   twice, because both were written in the same batch.
//! - Queries read the in-memory state ([`Handle::read`]); a query that
//!   names a position waits, within a bound, until every projection has
//!   applied it ([`Engine::wait_for`]): read-your-writes for a command
//!   that returned that position.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Condvar, Mutex, RwLock, RwLockReadGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use arledger_core::domain::Event;
use arledger_core::log::{
    Ledger, LogError, ProjectionMeta, ProjectionTree, StoreError, Subscription, codec::StoredEvent,
};

use crate::projection::{Applied, Changes, Projection};

/// Most events the reader takes from the log before handing them on.
const READ_BATCH_MAX: usize = 4_096;
/// Events applied between two stores of a projection's changes.
const PERSIST_EVENTS_MAX: u64 = 50_000;
/// Longest time applied changes wait to be stored.
const PERSIST_INTERVAL: Duration = Duration::from_secs(1);
/// How long the reader waits for a new event before it stores what it
/// has and waits again.
const IDLE_WAIT: Duration = Duration::from_millis(100);
/// Events between two progress lines while a projection catches up.
const PROGRESS_EVERY: u64 = 250_000;
const READER_THREAD: &str = "arledger-projections";
const DECODER_THREAD: &str = "arledger-decoder";
/// The threads that apply a large batch to the second and later
/// projections while the engine's thread applies it to the first.
const APPLIER_THREAD: &str = "arledger-applier";
/// Batches of at least this many events are applied to the projections
/// in parallel.
const PARALLEL_BATCH_MIN: usize = 512;
/// Decoded batches waiting to be applied: decoding runs this far ahead.
const DECODED_QUEUE_MAX: usize = 2;

/// A batch of decoded events, or where and why reading stopped.
type DecodedBatch = Result<Vec<Decoded>, (u64, String)>;

/// Why the engine could not start or went on no further.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The projection store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Reading the log failed.
    #[error(transparent)]
    Log(#[from] LogError),
    /// The reader thread could not start.
    #[error("cannot start the projection reader: {0}")]
    Thread(std::io::Error),
    /// The engine stopped: a stored event did not decode, storing failed,
    /// or a projection panicked. Reopen to rebuild.
    #[error("the projections stopped at position {position}: {reason}")]
    Stopped {
        /// The position it could not get past.
        position: u64,
        /// Why.
        reason: String,
    },
    /// A query waited for a position the projections did not reach in time.
    #[error(
        "the read models have applied the log up to position {applied}, not yet {wanted}; try again shortly"
    )]
    Behind {
        /// The position asked for.
        wanted: u64,
        /// The position every projection has applied.
        applied: u64,
    },
    /// A projection was added twice.
    #[error("projection {0} is added twice")]
    AddedTwice(&'static str),
    /// A position beyond the log's head was asked for.
    #[error("position {wanted} is beyond the log's head {head}")]
    BeyondHead {
        /// The position asked for.
        wanted: u64,
        /// The durable head.
        head: u64,
    },
}

/// An event decoded once, for every projection.
struct Decoded {
    stored: StoredEvent,
    event: Event,
}

impl Decoded {
    fn applied(&self) -> Applied<'_> {
        Applied {
            position: self.stored.position,
            recorded_at: self.stored.recorded_at,
            stream_id: self.stored.stream_id,
            command_id: self.stored.command_id,
            event: &self.event,
        }
    }
}

/// What the engine does with one projection, whatever its type.
trait Slot: Send + Sync {
    fn name(&self) -> &'static str;
    /// The last position folded into the in-memory state.
    fn applied(&self) -> u64;
    /// Folds the events after `applied` (under one write lock).
    fn apply(&self, events: &[Decoded]) -> Result<(), String>;
    /// Stores what changed with the checkpoint, if anything did.
    fn persist(&self) -> Result<(), StoreError>;
}

/// A registered projection: its state, its tree and how far it is.
struct Registered<P: Projection> {
    state: Arc<RwLock<P>>,
    tree: ProjectionTree,
    applied: AtomicU64,
    stored: AtomicU64,
}

impl<P: Projection> Slot for Registered<P> {
    fn name(&self) -> &'static str {
        P::NAME
    }

    fn applied(&self) -> u64 {
        self.applied.load(Ordering::Acquire)
    }

    fn apply(&self, events: &[Decoded]) -> Result<(), String> {
        let from = self.applied();
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        let mut last = from;
        let folded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            for decoded in events.iter().filter(|d| d.stored.position > from) {
                state.apply(&decoded.applied());
                last = decoded.stored.position;
            }
        }));
        drop(state);
        match folded {
            Ok(()) => {
                self.applied.store(last, Ordering::Release);
                Ok(())
            }
            Err(panic) => Err(format!(
                "projection {} panicked after position {last}: {}",
                P::NAME,
                panic_message(panic.as_ref())
            )),
        }
    }

    fn persist(&self) -> Result<(), StoreError> {
        let checkpoint = self.applied();
        if checkpoint == self.stored.load(Ordering::Acquire) {
            return Ok(());
        }
        let mut changes = Changes::default();
        self.state
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .drain_changes(&mut changes);
        let meta = ProjectionMeta {
            checkpoint,
            version: P::VERSION,
        };
        self.tree.commit(changes.entries, meta)?;
        self.tree.flush()?;
        self.stored.store(checkpoint, Ordering::Release);
        Ok(())
    }
}

/// A projection's state, for queries.
pub struct Handle<P: Projection> {
    state: Arc<RwLock<P>>,
}

impl<P: Projection> Clone for Handle<P> {
    fn clone(&self) -> Self {
        Handle {
            state: Arc::clone(&self.state),
        }
    }
}

impl<P: Projection> Handle<P> {
    /// Reads the state (which may hold events beyond what a query asks
    /// for: a query names its position and filters).
    pub fn read(&self) -> RwLockReadGuard<'_, P> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }
}

/// Registers projections before the engine starts.
pub struct Builder {
    ledger: Ledger,
    slots: Vec<Arc<dyn Slot>>,
    persist_every: u64,
}

impl Builder {
    /// Loads projection `P` from its tree beside `ledger`'s log, or clears
    /// it for a rebuild from position 0 when its stored code version
    /// differs or its entries do not load.
    pub fn add<P: Projection>(&mut self) -> Result<Handle<P>, EngineError> {
        if self.slots.iter().any(|s| s.name() == P::NAME) {
            return Err(EngineError::AddedTwice(P::NAME));
        }
        let tree = self.ledger.projection_tree(P::NAME)?;
        let (state, checkpoint) = load::<P>(&tree)?;
        let state = Arc::new(RwLock::new(state));
        self.slots.push(Arc::new(Registered {
            state: Arc::clone(&state),
            tree,
            applied: AtomicU64::new(checkpoint),
            stored: AtomicU64::new(checkpoint),
        }));
        Ok(Handle { state })
    }

    /// Stores changes after at most `events` applied events (default
    /// `PERSIST_EVENTS_MAX`; at least one): fewer means less to apply again
    /// after a crash, more means fewer writes.
    pub fn persist_every(mut self, events: u64) -> Builder {
        self.persist_every = events.max(1);
        self
    }

    /// Starts the reader: each projection catches up from its checkpoint,
    /// then follows the log.
    pub fn start(self) -> Result<Engine, EngineError> {
        let shared = Arc::new(Shared {
            ledger: self.ledger,
            slots: self.slots,
            persist_every: self.persist_every,
            stop: AtomicBool::new(false),
            progress: Mutex::new(Progress::default()),
            progressed: Condvar::new(),
        });
        shared.publish(None);
        let reader_shared = Arc::clone(&shared);
        let reader = std::thread::Builder::new()
            .name(READER_THREAD.into())
            .spawn(move || reader_shared.run())
            .map_err(EngineError::Thread)?;
        Ok(Engine {
            shared,
            reader: Some(reader),
        })
    }
}

/// The state stored in `tree` and its checkpoint, or an empty state at 0
/// (the tree cleared) when it was stored by another code version or does
/// not load.
fn load<P: Projection>(tree: &ProjectionTree) -> Result<(P, u64), EngineError> {
    let Some(meta) = tree.meta()? else {
        return Ok((P::empty(), 0));
    };
    if meta.version != P::VERSION {
        tracing::info!(
            projection = P::NAME,
            stored = meta.version,
            current = P::VERSION,
            "the projection's code changed: rebuilding it from position 0"
        );
        tree.clear()?;
        return Ok((P::empty(), 0));
    }
    let mut failed = None;
    let mut entries = tree.entries().map_while(|entry| match entry {
        Ok(entry) => Some(entry),
        Err(e) => {
            failed = Some(e);
            None
        }
    });
    let loaded = P::load(&mut entries);
    if let Some(e) = failed {
        return Err(e.into());
    }
    match loaded {
        Ok(state) => Ok((state, meta.checkpoint)),
        Err(e) => {
            tracing::warn!(error = %e, "rebuilding the projection from position 0");
            tree.clear()?;
            Ok((P::empty(), 0))
        }
    }
}

/// How far the projections are, for waiters.
#[derive(Clone, Debug, Default)]
struct Progress {
    /// The position every projection has applied.
    applied: u64,
    /// Why the engine stopped, if it did.
    stopped: Option<(u64, String)>,
}

struct Shared {
    ledger: Ledger,
    slots: Vec<Arc<dyn Slot>>,
    persist_every: u64,
    stop: AtomicBool,
    progress: Mutex<Progress>,
    progressed: Condvar,
}

/// The running engine. Dropping it stores every projection's changes and
/// stops the reader.
pub struct Engine {
    shared: Arc<Shared>,
    reader: Option<JoinHandle<()>>,
}

impl Engine {
    /// Projections for `ledger`: add them, then start.
    pub fn builder(ledger: &Ledger) -> Builder {
        Builder {
            ledger: ledger.clone(),
            slots: Vec::new(),
            persist_every: PERSIST_EVENTS_MAX,
        }
    }

    /// The position every projection has applied.
    pub fn applied(&self) -> u64 {
        self.shared.progress().applied
    }

    /// Each projection's name and the position it has applied.
    pub fn positions(&self) -> Vec<(&'static str, u64)> {
        self.shared
            .slots
            .iter()
            .map(|s| (s.name(), s.applied()))
            .collect()
    }

    /// How many durable events the slowest projection has yet to apply.
    pub fn lag(&self) -> u64 {
        self.shared
            .ledger
            .head()
            .position
            .saturating_sub(self.applied())
    }

    /// Waits, at most `timeout`, until every projection has applied
    /// `position`; then a query at `position` sees everything up to it.
    pub fn wait_for(&self, position: u64, timeout: Duration) -> Result<(), EngineError> {
        let head = self.shared.ledger.head().position;
        if position > head {
            return Err(EngineError::BeyondHead {
                wanted: position,
                head,
            });
        }
        let deadline = Instant::now() + timeout;
        let mut progress = self.shared.progress();
        loop {
            if progress.applied >= position {
                return Ok(());
            }
            if let Some((position, reason)) = progress.stopped.clone() {
                return Err(EngineError::Stopped { position, reason });
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(EngineError::Behind {
                    wanted: position,
                    applied: progress.applied,
                });
            }
            progress = self
                .shared
                .progressed
                .wait_timeout(progress, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

impl Shared {
    fn progress(&self) -> std::sync::MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Publishes the slowest projection's position (and why the engine
    /// stopped, if it did) and wakes waiters.
    fn publish(&self, stopped: Option<(u64, String)>) {
        let applied = self.slots.iter().map(|s| s.applied()).min().unwrap_or(0);
        let mut progress = self.progress();
        progress.applied = applied;
        if progress.stopped.is_none() {
            progress.stopped = stopped;
        }
        drop(progress);
        self.progressed.notify_all();
    }

    /// The reader thread's body.
    fn run(self: &Arc<Self>) {
        let from = self.slots.iter().map(|s| s.applied()).min().unwrap_or(0) + 1;
        let (batches, decoded) = mpsc::sync_channel(DECODED_QUEUE_MAX);
        let decoder_shared = Arc::clone(self);
        let subscription = self.ledger.subscribe(from);
        let decoder = std::thread::Builder::new()
            .name(DECODER_THREAD.into())
            .spawn(move || decoder_shared.decode(subscription, &batches));
        let outcome = match decoder {
            Ok(decoder) => {
                let applied = self.follow(&decoded);
                // Whatever the applier stopped for, the decoder ends too.
                self.stop.store(true, Ordering::Release);
                drop(decoded);
                let _ = decoder.join();
                applied
            }
            Err(e) => Err((from, format!("cannot start the decoder thread: {e}"))),
        };
        let stored = self.persist_all();
        let stopped = outcome.and(stored).err();
        if let Some((position, reason)) = &stopped {
            tracing::error!(position, reason = %reason, "the projections stopped");
        }
        self.publish(stopped);
    }

    /// The decoder thread's body: reads and decodes the log in batches, in
    /// position order, while the reader applies the batch before.
    fn decode(&self, subscription: Subscription, batches: &SyncSender<DecodedBatch>) {
        let mut reader = Reader::new(subscription);
        while !self.stop.load(Ordering::Acquire) {
            let batch = reader.next_batch();
            let failed = batch.is_err();
            if matches!(&batch, Ok(b) if b.is_empty()) {
                continue;
            }
            if let Ok(b) = &batch
                && let Some(last) = b.last()
            {
                reader.report(&self.ledger, last.stored.position);
            }
            if batches.send(batch).is_err() || failed {
                return;
            }
        }
    }

    /// Applies decoded batches until told to stop, storing changes every
    /// `persist_every` events, every `PERSIST_INTERVAL` and when idle;
    /// `Err((position, why))` if it cannot go on.
    fn follow(&self, decoded: &Receiver<DecodedBatch>) -> Result<(), (u64, String)> {
        let mut unstored = 0u64;
        let mut last_store = Instant::now();
        while !self.stop.load(Ordering::Acquire) {
            let batch = match decoded.recv_timeout(IDLE_WAIT) {
                Ok(batch) => batch?,
                Err(RecvTimeoutError::Timeout) => Vec::new(),
                Err(RecvTimeoutError::Disconnected) => return Ok(()),
            };
            let (Some(first), Some(last)) = (
                batch.first().map(|d| d.stored.position),
                batch.last().map(|d| d.stored.position),
            ) else {
                self.persist_all()?;
                last_store = Instant::now();
                unstored = 0;
                continue;
            };
            self.apply_all(&batch).map_err(|why| (last, why))?;
            self.publish(None);
            // Positions are gap-free: the batch holds last - first + 1.
            unstored += last - first + 1;
            if unstored >= self.persist_every || last_store.elapsed() >= PERSIST_INTERVAL {
                self.persist_all()?;
                last_store = Instant::now();
                unstored = 0;
            }
        }
        Ok(())
    }

    /// Applies a batch to every projection. A large batch (catching up) is
    /// applied to each projection on a thread of its own beside this one,
    /// as the projections share nothing; a small one (following the log)
    /// to each in turn here, where a thread would cost more than it saves.
    fn apply_all(&self, batch: &[Decoded]) -> Result<(), String> {
        let Some((first, others)) = self.slots.split_first() else {
            return Ok(());
        };
        if batch.len() < PARALLEL_BATCH_MIN || others.is_empty() {
            return self.slots.iter().try_for_each(|slot| slot.apply(batch));
        }
        std::thread::scope(|scope| {
            let spawned: Vec<_> = (others.iter())
                .map(|slot| {
                    let handle = std::thread::Builder::new()
                        .name(APPLIER_THREAD.into())
                        .spawn_scoped(scope, || slot.apply(batch));
                    (slot, handle)
                })
                .collect();
            let mut result = first.apply(batch);
            for (slot, handle) in spawned {
                // A thread that could not start: this one applies instead.
                let stopped = || Err(format!("projection {} stopped its thread", slot.name()));
                let applied = match handle {
                    Ok(handle) => handle.join().unwrap_or_else(|_| stopped()),
                    Err(_) => slot.apply(batch),
                };
                result = result.and(applied);
            }
            result
        })
    }

    /// Stores every projection's changes with its checkpoint.
    fn persist_all(&self) -> Result<(), (u64, String)> {
        for slot in &self.slots {
            slot.persist().map_err(|e| {
                (
                    slot.applied(),
                    format!("storing projection {}: {e}", slot.name()),
                )
            })?;
        }
        Ok(())
    }
}

/// The reader's subscription and its progress log.
struct Reader {
    subscription: Subscription,
    next_report: u64,
}

impl Reader {
    fn new(subscription: Subscription) -> Reader {
        let next_report = subscription.next_position() + PROGRESS_EVERY;
        Reader {
            subscription,
            next_report,
        }
    }

    /// The next events, decoded, up to `READ_BATCH_MAX`: waits up to
    /// `IDLE_WAIT` for the first, takes only what is there after it.
    fn next_batch(&mut self) -> Result<Vec<Decoded>, (u64, String)> {
        let mut batch = Vec::new();
        let mut wait = IDLE_WAIT;
        while batch.len() < READ_BATCH_MAX {
            let position = self.subscription.next_position();
            let stored = self
                .subscription
                .next_timeout(wait)
                .map_err(|e| (position, e.to_string()))?;
            let Some(stored) = stored else {
                break;
            };
            let event = stored
                .event()
                .map_err(|e| (stored.position, format!("the event does not decode: {e}")))?;
            batch.push(Decoded { stored, event });
            wait = Duration::ZERO;
        }
        Ok(batch)
    }

    /// Logs progress while catching up on a long log.
    fn report(&mut self, ledger: &Ledger, applied: u64) {
        if applied < self.next_report {
            return;
        }
        self.next_report = applied + PROGRESS_EVERY;
        let head = ledger.head().position;
        tracing::info!(applied, head, "projections catching up");
    }
}

/// The message a panic carried.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic")
}
