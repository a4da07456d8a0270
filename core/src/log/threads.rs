//! The ledger's threads and the queues between them, all started here when
//! [`Ledger::open`] has rebuilt the state (ARCHITECTURE.md has their
//! table). Every queue is bounded by a constant of its own; a full queue
//! makes the stage before it wait.
//!
//! ```text
//! submitters ─requests─▶ writer ─decided─▶ framer ─written─▶ flusher ─repeats─▶ repeats
//!                          ▲                  │
//!                          └──────spent───────┘
//! scrub
//! ```
//!
//! The scrub and the repeats thread run only after an open that left the
//! SHA-256 chain to the scrub; the repeats thread then lives as long as the
//! ledger, idle once the scrub is done.
//!
//! Shutting down runs the same way: the last `Ledger` handle drops the
//! request queue, each stage ends when its input queue is closed and
//! empty, and so closes the next one's; closing also stops the scrub.
//! A panic that escapes a thread stops the ledger (see `Threads::spawn`).

use super::*;

pub(super) const WRITER_THREAD: &str = "arledger-writer";
pub(super) const FRAMER_THREAD: &str = "arledger-framer";
pub(super) const FLUSHER_THREAD: &str = "arledger-flusher";
pub(super) const REPEATS_THREAD: &str = "arledger-repeats";
pub(super) const SCRUB_THREAD: &str = "arledger-scrub";

/// Requests (one `submit`, `submit_batch` or `submit_with` each) waiting
/// for the writer before submitters block.
pub(super) const WRITER_QUEUE_MAX: usize = 1_024;
/// Decided commits waiting for the framer: deciding runs this far ahead
/// of hashing and writing.
pub(super) const FRAMER_QUEUE_MAX: usize = 4;
/// Written commits waiting for the flusher; one flush covers them all.
pub(super) const FLUSHER_QUEUE_MAX: usize = 4;
/// Spent event buffers on their way back to the writer for reuse; the
/// framer frees any that do not fit.
pub(super) const SPENT_QUEUE_MAX: usize = 4;
/// Replies waiting for the scrub on the repeats thread; with more waiting,
/// the flusher answers the next one itself, and so waits for the scrub
/// (acknowledgements stall until it has passed that commit).
pub(super) const REPEATS_QUEUE_MAX: usize = 1_024;

/// The running threads of one ledger.
pub(super) struct Threads {
    /// In pipeline order: each stage ends after the one before it; the
    /// scrub ends when it is done or stopped (`Shared::close_scrub`).
    handles: Vec<JoinHandle<()>>,
}

/// What the threads are started with.
pub(super) struct Start {
    pub(super) clock: Arc<dyn Clock>,
    pub(super) commit_max: usize,
    /// The head open found; the framer chains on from its hash.
    pub(super) opened: Head,
    /// Whether the scrub (and the repeats thread) must run.
    pub(super) scrubbing: bool,
}

impl Threads {
    /// Starts every thread of the ledger, in pipeline order; returns the
    /// writer's request queue and the threads. If one cannot start, those
    /// already started are ended and joined before the error returns.
    pub(super) fn start(
        shared: &Arc<Shared>,
        start: Start,
    ) -> Result<(SyncSender<Request>, Threads), std::io::Error> {
        let (requests_tx, requests) = mpsc::sync_channel::<Request>(WRITER_QUEUE_MAX);
        let mut threads = Threads {
            handles: Vec::with_capacity(5),
        };
        match threads.spawn_all(shared, start, requests) {
            Ok(()) => Ok((requests_tx, threads)),
            Err(e) => {
                // Each stage ends once the queue before it is closed.
                drop(requests_tx);
                threads.join();
                Err(e)
            }
        }
    }

    fn spawn_all(
        &mut self,
        shared: &Arc<Shared>,
        start: Start,
        requests: Receiver<Request>,
    ) -> Result<(), std::io::Error> {
        let (decided_tx, decided) = mpsc::sync_channel::<Pending>(FRAMER_QUEUE_MAX);
        let (written_tx, written) = mpsc::sync_channel::<Written>(FLUSHER_QUEUE_MAX);
        let (spent_tx, spent) = mpsc::sync_channel::<Vec<PendingEvent>>(SPENT_QUEUE_MAX);
        let (repeats_tx, repeats) = start
            .scrubbing
            .then(|| mpsc::sync_channel::<Reply>(REPEATS_QUEUE_MAX))
            .unzip();
        let writer = WriterQueues {
            requests,
            decided: decided_tx,
            spent,
        };
        let (clock, commit_max) = (start.clock, start.commit_max);
        self.spawn(shared, WRITER_THREAD, move |shared| {
            writer_loop(shared, clock.as_ref(), &writer, commit_max);
        })?;
        let framer = FramerQueues {
            decided,
            written: written_tx,
            spent: spent_tx,
        };
        let opened = start.opened;
        self.spawn(shared, FRAMER_THREAD, move |shared| {
            framer_loop(shared, &framer, opened.hash);
        })?;
        self.spawn(shared, FLUSHER_THREAD, move |shared| {
            flusher_loop(shared, &written, repeats_tx.as_ref());
        })?;
        if let Some(repeats) = repeats {
            self.spawn(shared, REPEATS_THREAD, move |shared| {
                repeats_loop(shared, &repeats);
            })?;
            self.spawn(shared, SCRUB_THREAD, move |shared| {
                scrub::scrub(shared, opened);
            })?;
        }
        Ok(())
    }

    /// Starts one thread running `body` on the shared state.
    fn spawn(
        &mut self,
        shared: &Arc<Shared>,
        name: &str,
        body: impl FnOnce(&Shared) + Send + 'static,
    ) -> Result<(), std::io::Error> {
        let shared_here = Arc::clone(shared);
        let thread = name.to_string();
        // A panic that escapes a stage stops the ledger (what it had in
        // hand is lost, but nothing more is accepted and the reason is
        // told), rather than leaving the stages before it running on.
        let guarded = move || {
            let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(&shared_here)));
            if let Err(panic) = ran {
                shared_here.stop_until_reopen(format!(
                    "internal error on the {thread} thread: {}",
                    panic_message(panic.as_ref())
                ));
            }
        };
        let spawned = std::thread::Builder::new().name(name.into()).spawn(guarded);
        self.handles.push(spawned?);
        Ok(())
    }

    /// Whether the calling thread is one of these.
    pub(super) fn is_current(&self) -> bool {
        let current = std::thread::current().id();
        self.handles.iter().any(|h| h.thread().id() == current)
    }

    /// Whether a thread called `name` was started: for tests.
    #[cfg(test)]
    pub(super) fn started(&self, name: &str) -> bool {
        self.handles.iter().any(|h| h.thread().name() == Some(name))
    }

    /// Waits for every thread to end (the request queue must be closed).
    pub(super) fn join(&mut self) {
        for handle in self.handles.drain(..) {
            let _ = handle.join();
        }
    }
}
