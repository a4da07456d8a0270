//! Subscriptions: every durable event from a position on, in order, with
//! no gaps, including events appended while catching up.

use super::*;

/// An ordered, gap-free stream of durable events.
pub struct Subscription {
    pub(super) ledger: Ledger,
    pub(super) next: u64,
    pub(super) buffer: std::collections::VecDeque<StoredEvent>,
}

/// Events fetched per read while catching up.
const SUBSCRIPTION_CHUNK: usize = 4_096;

impl Subscription {
    /// The position the next delivered event will have.
    pub fn next_position(&self) -> u64 {
        self.next
    }

    /// The next event, waiting at most `timeout` for one to be appended.
    /// Right after open, an event the scrub has not checked yet is not
    /// delivered: it is waited for within the same `timeout`.
    pub fn next_timeout(&mut self, timeout: Duration) -> Result<Option<StoredEvent>, LogError> {
        if self.buffer.is_empty() {
            let started = std::time::Instant::now();
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
            // (A timeout too long to add to now waits as long as it takes.)
            if !shared.wait_checked_until(next, started.checked_add(timeout))? {
                return Ok(None);
            }
            // Only as far as the scrub has come, so that the read does not
            // wait for it.
            let checked_up_to = shared.servable_through();
            let limit = (checked_up_to.saturating_sub(next).saturating_add(1))
                .min(len_u64(SUBSCRIPTION_CHUNK));
            self.buffer.extend(self.ledger.read(next, to_usize(limit))?);
        }
        match self.buffer.pop_front() {
            Some(event) if event.position == self.next => {
                self.next += 1;
                Ok(Some(event))
            }
            Some(event) => Err(LogError::Gap {
                expected: self.next,
                found: event.position,
            }),
            None => Ok(None),
        }
    }
}
