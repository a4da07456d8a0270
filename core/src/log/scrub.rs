//! The scrub: after open, one background thread recomputes the SHA-256
//! chain of everything open found, from hash(0), and compares it with the
//! stored hashes. Open itself checks CRCs, layout, positions and that each
//! commit names the previous one's last stored hash, which catches torn and
//! corrupt records; only a record rewritten with a matching CRC, as a
//! forger would, needs SHA-256 to be told apart.
//!
//! Until the scrub has passed a position, whatever would serve it waits:
//! reads, subscriptions (within their timeout), and the answer to a
//! repeated command id (on a thread of its own, so that other
//! acknowledgements do not wait with it). Commands are decided and
//! appended meanwhile, against the write model open folded. If the scrub
//! finds the chain broken, nothing from that position on is served and the
//! ledger accepts no more commands (it is poisoned); what was appended in
//! between stays in the log, chained to the altered one. With
//! `LedgerOptions::check_chain_at_open`, open recomputes the chain itself
//! and no scrub runs.

use std::time::Instant;

use super::*;

/// How far the scrub has come.
pub(super) struct ChainState {
    /// The head open found: what the scrub checks.
    opened: u64,
    /// Positions up to here are checked.
    through: u64,
    /// Why the scrub stopped short; set once, then final.
    stopped: Option<Stopped>,
}

/// Why the scrub stopped before `opened`.
#[derive(Clone)]
struct Stopped {
    /// The first position not checked.
    position: u64,
    reason: String,
    /// True: the chain does not hold there. False: the scrub could not go
    /// on (storage error, panic), which says nothing about the log.
    altered: bool,
}

impl Stopped {
    fn error(&self) -> LogError {
        let (position, reason) = (self.position, self.reason.clone());
        if self.altered {
            LogError::Altered { position, reason }
        } else {
            LogError::Unchecked { position, reason }
        }
    }
}

impl ChainState {
    /// A log open found ending at `opened`, checked up to `through` (0 for
    /// the scrub to do; `opened` when open checked the chain itself).
    pub(super) fn new(opened: u64, through: u64) -> ChainState {
        ChainState {
            opened,
            through,
            stopped: None,
        }
    }

    /// Sets how far the scrub has come: for tests that stand in for it.
    #[cfg(test)]
    pub(super) fn through_for_tests(&mut self, position: u64) {
        self.through = position;
    }

    /// `Some(Ok)` once positions up to `last` may be served, `Some(Err)`
    /// if they never will be, `None` while the scrub is still to reach them.
    fn servable(&self, last: u64) -> Option<Result<(), LogError>> {
        if self.through >= last.min(self.opened) {
            return Some(Ok(()));
        }
        self.stopped.as_ref().map(|s| Err(s.error()))
    }
}

impl Shared {
    fn chain(&self) -> MutexGuard<'_, ChainState> {
        self.chain.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until every position up to `last` that open found is checked;
    /// an error if the scrub stopped before reaching `last`.
    pub(super) fn wait_checked(&self, last: u64) -> Result<(), LogError> {
        self.wait_checked_until(last, None).map(drop)
    }

    /// [`Shared::wait_checked`], giving up at `deadline` if there is one:
    /// `Ok(false)` if the scrub has not reached `last` by then.
    pub(super) fn wait_checked_until(
        &self,
        last: u64,
        deadline: Option<Instant>,
    ) -> Result<bool, LogError> {
        let mut chain = self.chain();
        loop {
            if let Some(answer) = chain.servable(last) {
                return answer.map(|()| true);
            }
            match self.wait_for_scrub(chain, deadline) {
                Some(changed) => chain = changed,
                None => return Ok(false),
            }
        }
    }

    /// Waits for the scrub's progress to change, until `deadline` if there
    /// is one: `None` once it has passed.
    fn wait_for_scrub<'a>(
        &self,
        chain: MutexGuard<'a, ChainState>,
        deadline: Option<Instant>,
    ) -> Option<MutexGuard<'a, ChainState>> {
        let Some(deadline) = deadline else {
            return Some(
                self.chain_changed
                    .wait(chain)
                    .unwrap_or_else(|e| e.into_inner()),
            );
        };
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        let (chain, _) = self
            .chain_changed
            .wait_timeout(chain, left)
            .unwrap_or_else(|e| e.into_inner());
        Some(chain)
    }

    /// Whether what serves positions up to `last` can be answered now,
    /// served or refused, without waiting for the scrub.
    pub(super) fn answerable(&self, last: u64) -> bool {
        self.chain().servable(last).is_some()
    }

    /// Stops the scrub as the ledger closes: whatever still waits for it is
    /// told that the rest was not checked.
    pub(super) fn close_scrub(&self) {
        let mut chain = self.chain();
        if chain.through < chain.opened && chain.stopped.is_none() {
            chain.stopped = Some(Stopped {
                position: chain.through + 1,
                reason: "the ledger closed before the scrub got there".into(),
                altered: false,
            });
        }
        drop(chain);
        self.chain_changed.notify_all();
    }

    /// The last position that may be served without waiting (`u64::MAX`
    /// once everything open found is checked).
    pub(super) fn servable_through(&self) -> u64 {
        let chain = self.chain();
        if chain.through >= chain.opened {
            u64::MAX
        } else {
            chain.through
        }
    }

    /// Waits for the scrub to finish: the head open found, checked, or why
    /// the scrub stopped short of it.
    pub(super) fn wait_scrubbed(&self) -> Result<u64, LogError> {
        let opened = self.chain().opened;
        self.wait_checked(opened).map(|()| opened)
    }

    /// Records that the scrub checked up to `position`; `false` once it has
    /// been stopped (the ledger is closing), so that it ends.
    fn checked_through(&self, position: u64) -> bool {
        let mut chain = self.chain();
        chain.through = chain.through.max(position);
        let go_on = chain.stopped.is_none();
        drop(chain);
        self.chain_changed.notify_all();
        go_on
    }

    fn stopped_at(&self, stopped: Stopped) {
        self.poison(stopped.error().to_string());
        let mut chain = self.chain();
        if chain.stopped.is_none() {
            // Everything before the first bad position was checked.
            chain.through = chain.through.max(stopped.position.saturating_sub(1));
            chain.stopped = Some(stopped);
        }
        drop(chain);
        self.chain_changed.notify_all();
    }
}

/// The scrub's thread body: checks the log up to `opened` (the head open
/// found), publishing its progress frame by frame. Stops early, leaving
/// the rest unchecked, once the ledger is closing: nobody reads then.
pub(super) fn scrub(shared: &Shared, opened: Head) {
    let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // The last position waits for the check of the log's end.
        let checked = rebuild::check_chain_to(&shared.store, &opened, |end| {
            shared.checked_through(end.min(opened.position.saturating_sub(1)))
        });
        // Stopped early (the ledger is closing), the rest stays unchecked:
        // what still waits is told so, never served.
        checked.map(|whole| whole && shared.checked_through(opened.position))
    }));
    let next = || shared.chain().through + 1;
    let stopped = match checked {
        Ok(Ok(_)) => return,
        Ok(Err(OpenError::Corrupt { position, reason })) => Stopped {
            position,
            reason,
            altered: true,
        },
        Ok(Err(other)) => Stopped {
            position: next(),
            reason: other.to_string(),
            altered: false,
        },
        Err(panic) => Stopped {
            position: next(),
            reason: format!("the scrub panicked: {}", panic_message(panic.as_ref())),
            altered: false,
        },
    };
    tracing::error!(
        position = stopped.position,
        reason = %stopped.reason,
        altered = stopped.altered,
        "the scrub stopped"
    );
    shared.stopped_at(stopped);
}
