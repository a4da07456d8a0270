//! The ledger's threads and the queues between them, all started here when
//! [`Ledger::open`] has rebuilt the state (ARCHITECTURE.md has their
//! table). Every queue is bounded by a constant of its own; a full queue
//! makes the stage before it wait.
//!
//! ```text
//! submitters ─requests─▶ writer ─decided─▶ framer ─written─▶ flusher ─repeats─▶ repeats
//!                          ▲                  │                         (only while the scrub runs)
//!                          └──────spent───────┘
//! scrub (only after an open that left the SHA-256 chain to it)
//! ```
//!
//! Shutting down runs the same way: the last `Ledger` handle drops the
//! request queue, each stage ends when its input queue is closed and
//! empty, and so closes the next one's.

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
/// Replies waiting for the scrub on the repeats thread; beyond this many
/// the flusher waits for the scrub too.
pub(super) const REPEATS_QUEUE_MAX: usize = 1_024;

/// The running threads of one ledger.
pub(super) struct Threads {
    /// In shutdown order: each ends after the one before it.
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
    /// already running end by themselves: their queues close when this
    /// returns.
    pub(super) fn start(
        shared: &Arc<Shared>,
        start: Start,
    ) -> Result<(SyncSender<Request>, Threads), std::io::Error> {
        let (requests_tx, requests) = mpsc::sync_channel::<Request>(WRITER_QUEUE_MAX);
        let (decided_tx, decided) = mpsc::sync_channel::<Pending>(FRAMER_QUEUE_MAX);
        let (written_tx, written) = mpsc::sync_channel::<Written>(FLUSHER_QUEUE_MAX);
        let (spent_tx, spent) = mpsc::sync_channel::<Vec<PendingEvent>>(SPENT_QUEUE_MAX);
        let (repeats_tx, repeats) = start
            .scrubbing
            .then(|| mpsc::sync_channel::<Reply>(REPEATS_QUEUE_MAX))
            .unzip();
        let mut threads = Threads {
            handles: Vec::with_capacity(5),
        };
        let writer = WriterQueues {
            requests,
            decided: decided_tx,
            spent,
        };
        let (clock, commit_max) = (start.clock, start.commit_max);
        threads.spawn(shared, WRITER_THREAD, move |shared| {
            writer_loop(shared, clock.as_ref(), &writer, commit_max);
        })?;
        let framer = FramerQueues {
            decided,
            written: written_tx,
            spent: spent_tx,
        };
        let opened = start.opened;
        threads.spawn(shared, FRAMER_THREAD, move |shared| {
            framer_loop(shared, &framer, opened.hash);
        })?;
        threads.spawn(shared, FLUSHER_THREAD, move |shared| {
            flusher_loop(shared, &written, repeats_tx.as_ref());
        })?;
        if let Some(repeats) = repeats {
            threads.spawn(shared, REPEATS_THREAD, move |shared| {
                repeats_loop(shared, &repeats);
            })?;
            threads.spawn(shared, SCRUB_THREAD, move |shared| {
                scrub::scrub(shared, opened);
            })?;
        }
        Ok((requests_tx, threads))
    }

    /// Starts one thread running `body` on the shared state. A scrub
    /// already started stops at its next frame if this fails.
    fn spawn(
        &mut self,
        shared: &Arc<Shared>,
        name: &str,
        body: impl FnOnce(&Shared) + Send + 'static,
    ) -> Result<(), std::io::Error> {
        let shared_here = Arc::clone(shared);
        let spawned = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || body(&shared_here));
        match spawned {
            Ok(handle) => {
                self.handles.push(handle);
                Ok(())
            }
            Err(e) => {
                shared.close_scrub();
                Err(e)
            }
        }
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
