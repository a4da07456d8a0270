//! `knownAt`: what the ledger knew at a moment is the log up to the last
//! position recorded at or before it. `recorded_at` never goes backwards
//! along the log, so that position is found by binary search over the
//! log itself, with no index to keep.

use arledger_core::log::{Ledger, LogError};
use chrono::{DateTime, Utc};

/// The last position recorded at or before `moment` (0 when the ledger
/// recorded nothing by then). Reads about log2(head) events.
pub fn position_known_at(ledger: &Ledger, moment: DateTime<Utc>) -> Result<u64, LogError> {
    // Invariant: everything up to `low` was recorded by `moment`, nothing
    // after `high`.
    let (mut low, mut high) = (0u64, ledger.head().position);
    while low < high {
        let middle = low + (high - low).div_ceil(2);
        if recorded_at(ledger, middle)? <= moment {
            low = middle;
        } else {
            high = middle - 1;
        }
    }
    Ok(low)
}

/// When the event at `position` (within the head) was recorded.
fn recorded_at(ledger: &Ledger, position: u64) -> Result<DateTime<Utc>, LogError> {
    match ledger.read(position, 1)?.pop() {
        Some(event) => Ok(event.recorded_at),
        None => Err(LogError::Gap {
            expected: position,
            found: ledger.head().position,
        }),
    }
}
