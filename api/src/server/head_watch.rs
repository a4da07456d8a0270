//! One thread that follows the ledger's durable head and publishes it to
//! the async tasks that wait for it (subscriptions), so that a subscriber
//! holds no thread while it waits.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use arledger_core::log::Ledger;
use tokio::sync::watch;

/// How long the thread waits for the head before it looks whether it
/// should stop.
const POLL: Duration = Duration::from_millis(200);

/// The durable head, published to async tasks.
pub struct HeadWatch {
    head: watch::Receiver<u64>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl HeadWatch {
    /// Starts the `arledger-head-watch` thread on `ledger`.
    pub fn start(ledger: Ledger) -> std::io::Result<HeadWatch> {
        let (tx, head) = watch::channel(ledger.head().position);
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::Builder::new()
            .name("arledger-head-watch".into())
            .spawn({
                let stop = Arc::clone(&stop);
                move || follow(&ledger, &tx, &stop)
            })?;
        Ok(HeadWatch {
            head,
            stop,
            thread: Some(thread),
        })
    }

    /// A receiver of every new durable head position.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.head.clone()
    }
}

fn follow(ledger: &Ledger, tx: &watch::Sender<u64>, stop: &AtomicBool) {
    let mut seen = *tx.borrow();
    while !stop.load(Ordering::Relaxed) {
        let head = ledger.wait_head_past(seen, POLL).position;
        if head != seen {
            seen = head;
            tx.send_replace(head);
        }
    }
}

impl Drop for HeadWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            // The thread only waits and publishes: a panic there has
            // nothing left to clean up.
            let _ = thread.join();
        }
    }
}
