//! The scrub: after open, one background thread recomputes the SHA-256
//! chain of everything open found, from hash(0), and compares it with the
//! stored hashes (open itself checks CRCs, layout, positions and that each
//! commit names the previous one's last stored hash, which catches torn and
//! corrupt records; only a record rewritten with a matching CRC, as a
//! forger would, needs SHA-256 to be told apart).
//!
//! Until the scrub has passed a position, reads of it wait, so nothing
//! unchecked is ever served. Appends go on meanwhile: they chain on from
//! the stored head. If the scrub finds the chain broken, the ledger serves
//! nothing from there on and accepts no more commands (it is poisoned),
//! naming the position.

use std::sync::atomic::Ordering;

use super::*;

/// How far the scrub has come.
pub(super) struct ChainState {
    /// The head open found: what the scrub checks.
    opened: u64,
    /// Positions up to here are checked.
    through: u64,
    /// Where the chain was found broken, and why; set once, then final.
    broken: Option<(u64, String)>,
}

impl ChainState {
    /// Nothing checked yet of a log open found ending at `opened`.
    pub(super) fn new(opened: u64) -> ChainState {
        ChainState {
            opened,
            through: 0,
            broken: None,
        }
    }
}

impl Shared {
    fn chain(&self) -> MutexGuard<'_, ChainState> {
        self.chain.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until every position up to `last` that open found is checked;
    /// an error if the chain is broken at or before `last`.
    pub(super) fn wait_checked(&self, last: u64) -> Result<(), LogError> {
        let mut chain = self.chain();
        loop {
            if let Some((position, reason)) = &chain.broken {
                if *position <= last {
                    return Err(LogError::Altered {
                        position: *position,
                        reason: reason.clone(),
                    });
                }
            }
            if chain.through >= last.min(chain.opened) {
                return Ok(());
            }
            chain = self
                .chain_changed
                .wait(chain)
                .unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Waits for the scrub to finish: the head open found, checked, or
    /// where the chain is broken.
    pub(super) fn wait_scrubbed(&self) -> Result<u64, LogError> {
        let opened = self.chain().opened;
        self.wait_checked(opened).map(|()| opened)
    }

    fn checked_through(&self, position: u64) {
        self.chain().through = position;
        self.chain_changed.notify_all();
    }

    fn broken_at(&self, position: u64, reason: String) {
        self.poison(format!(
            "the stored log is altered at position {position}: {reason}"
        ));
        let mut chain = self.chain();
        if chain.broken.is_none() {
            chain.broken = Some((position, reason));
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
        check_chain(shared, &opened)
    }));
    let broken = match checked {
        Ok(Ok(())) => return,
        Ok(Err(OpenError::Corrupt { position, reason })) => (position, reason),
        Ok(Err(other)) => (
            shared.chain().through + 1,
            format!("cannot be read: {other}"),
        ),
        Err(panic) => (
            shared.chain().through + 1,
            format!("the scrub panicked: {}", panic_message(panic.as_ref())),
        ),
    };
    tracing::error!(position = broken.0, reason = %broken.1, "the scrub found the log altered");
    shared.broken_at(broken.0, broken.1);
}

fn check_chain(shared: &Shared, opened: &Head) -> Result<(), OpenError> {
    let mut checker = ChainChecker::new();
    for item in shared.store.frames_from(1)? {
        if shared.closing.load(Ordering::Relaxed) {
            return Ok(());
        }
        let (first, bytes) = item?;
        if first > opened.position {
            break;
        }
        checker.frame(first, &bytes)?;
        // The last position waits for the check of the end below.
        let end = checker.next_position - 1;
        shared.checked_through(end.min(opened.position.saturating_sub(1)));
    }
    let end = checker.next_position - 1;
    if end != opened.position || checker.last_hash != opened.hash {
        return Err(OpenError::Corrupt {
            position: end.min(opened.position) + 1,
            reason: format!(
                "hash chain broken: the stored log ends at {end}, open found it ending at {} with another hash",
                opened.position
            ),
        });
    }
    shared.checked_through(end);
    Ok(())
}
