//! The reference fold: a projection built from scratch over a prefix of
//! the log, event by event. It is what the live read models must equal
//! at every point (the tests compare them), and what an auditor can run
//! to reproduce an answer without trusting the engine's stored state.

use arledger_core::log::{Ledger, LogError};
use arledger_projections::{Applied, Projection};

/// Events read at a time.
const CHUNK: usize = 4_096;

/// Why a prefix could not be folded.
#[derive(Debug, thiserror::Error)]
pub enum FoldError {
    /// Reading the log failed.
    #[error(transparent)]
    Log(#[from] LogError),
    /// A stored event does not decode.
    #[error("the event at position {position} does not decode: {reason}")]
    Decode {
        /// Its position.
        position: u64,
        /// Why.
        reason: String,
    },
    /// The prefix asked for is longer than the log.
    #[error("the log ends at {head}; it has no prefix up to {wanted}")]
    BeyondHead {
        /// The prefix asked for.
        wanted: u64,
        /// The durable head.
        head: u64,
    },
}

/// Projection `P` folded from scratch over positions `1..=prefix`.
pub fn fold_prefix<P: Projection>(ledger: &Ledger, prefix: u64) -> Result<P, FoldError> {
    let head = ledger.head().position;
    if prefix > head {
        return Err(FoldError::BeyondHead {
            wanted: prefix,
            head,
        });
    }
    let mut state = P::empty();
    let mut next = 1;
    while next <= prefix {
        let events = ledger.read(next, CHUNK)?;
        if events.is_empty() {
            return Err(FoldError::BeyondHead {
                wanted: prefix,
                head: ledger.head().position,
            });
        }
        for stored in events.iter().take_while(|e| e.position <= prefix) {
            let event = stored.event().map_err(|e| FoldError::Decode {
                position: stored.position,
                reason: e.to_string(),
            })?;
            state.apply(&Applied {
                position: stored.position,
                recorded_at: stored.recorded_at,
                stream_id: stored.stream_id,
                command_id: stored.command_id,
                event: &event,
            });
            next = stored.position + 1;
        }
    }
    Ok(state)
}
