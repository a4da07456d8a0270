//! The auditor's check of a stored log: CRCs and the SHA-256 chain over a
//! range of positions, through core's public API only.
//!
//! [`Ledger::open`] checks every record's CRC, layout and positions and
//! refuses a damaged log ([`OpenError::Corrupt`], whose position is
//! reported as the first bad one); it leaves the SHA-256 chain to its
//! scrub, which reads wait on, so a record rewritten with a matching CRC
//! is reported by the read that reaches it ([`LogError::Altered`]). On top
//! of that, [`check`] reads the range in chunks (each frame parsed again,
//! CRC included) and recomputes every event's content hash from its
//! canonical bytes and its chain link from the hash before it, compared
//! with the stored hash: a second opinion that does not rest on the
//! ledger's own checks.

use std::ops::RangeInclusive;
use std::path::Path;

use arledger_core::log::codec::{Hash, chain_hash, content_hash};
use arledger_core::log::{Ledger, LedgerOptions, LogError, OpenError};

use crate::range::{PositionRange, RangeError};

/// Events read per chunk: enough to amortise a read, few enough that
/// progress moves and memory stays small.
pub const CHUNK_EVENTS: u64 = 1_024;

/// The first position found bad, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadPosition {
    /// The position.
    pub position: u64,
    /// What is wrong there.
    pub reason: String,
}

/// What [`check`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The positions asked for (`None`: an empty log, nothing asked).
    pub range: Option<RangeInclusive<u64>>,
    /// Events whose CRC and chain hash were found good.
    pub checked: u64,
    /// hash(last position checked), to compare with a hash obtained
    /// independently (`None` when nothing was checked).
    pub last_hash: Option<(u64, Hash)>,
    /// The first bad position; `None` when everything checked holds.
    pub first_bad: Option<BadPosition>,
}

impl Report {
    /// True when every position asked for was checked and holds.
    pub fn verified(&self) -> bool {
        self.first_bad.is_none()
    }
}

/// Why a check could not be carried out (as opposed to finding the log
/// bad, which [`Report::first_bad`] tells).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The ledger could not be opened for another reason than damage
    /// (storage, lock, threads).
    #[error(transparent)]
    Open(OpenError),
    /// The range names no stored positions.
    #[error(transparent)]
    Range(#[from] RangeError),
    /// Reading failed for another reason than damage (storage, closed).
    #[error(transparent)]
    Log(LogError),
}

/// Where a log error says the log itself is damaged, its position and
/// reason; `None` for failures that say nothing about the log.
pub fn damaged_at(error: &LogError) -> Option<BadPosition> {
    let (position, reason) = match error {
        LogError::Altered { position, reason } => (*position, reason.clone()),
        LogError::Decode { position, source } => (*position, source.to_string()),
        LogError::Gap { expected, found } => (
            *expected,
            format!("the log skips from position {expected} to {found}"),
        ),
        _ => return None,
    };
    Some(BadPosition { position, reason })
}

/// Opens the ledger at `path` and checks `range` (see the module docs). A
/// log open refuses as corrupt is a report with its position, not an
/// error.
pub fn open_and_check(
    path: &Path,
    options: LedgerOptions,
    range: &PositionRange,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Report, VerifyError> {
    // The default open: the chain is left to the scrub, which the reads
    // below wait on, so only the prefix up to the range's end is hashed
    // twice and a rewritten record is still found (`LogError::Altered`).
    let ledger = match Ledger::open(path, options) {
        Ok(ledger) => ledger,
        Err(OpenError::Corrupt { position, reason }) => {
            return Ok(Report {
                range: None,
                checked: 0,
                last_hash: None,
                first_bad: Some(BadPosition { position, reason }),
            });
        }
        Err(other) => return Err(VerifyError::Open(other)),
    };
    check(&ledger, range, progress)
}

/// Checks `range` of an open ledger: every event's position, content hash
/// and chain link recomputed and compared with the stored hash, from
/// hash(from - 1). Calls `progress(done, total)` after each chunk.
pub fn check(
    ledger: &Ledger,
    range: &PositionRange,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Report, VerifyError> {
    let head = ledger.head().position;
    let Some(positions) = range.resolve(head)? else {
        return Ok(Report {
            range: None,
            checked: 0,
            last_hash: None,
            first_bad: None,
        });
    };
    tracing::info!(from = positions.start(), to = positions.end(), "verifying");
    let mut walk = Walk {
        next: *positions.start(),
        prev: None,
        checked: 0,
    };
    let first_bad = walk.run(ledger, &positions, progress)?;
    let first_bad = match first_bad {
        // Reading up to the head has waited for the scrub to get there:
        // this only makes its verdict on the whole log explicit.
        None if *positions.end() == head => {
            ledger.chain_checked().err().map(bad_or_error).transpose()?
        }
        other => other,
    };
    Ok(Report {
        last_hash: walk
            .prev
            .filter(|_| walk.checked > 0)
            .map(|h| (walk.next - 1, h)),
        range: Some(positions),
        checked: walk.checked,
        first_bad,
    })
}

/// How many events to read from `next`: a chunk, or what is left.
pub(crate) fn chunk_len(next: u64, positions: &RangeInclusive<u64>) -> usize {
    let left = positions.end().saturating_sub(next).saturating_add(1);
    // At most CHUNK_EVENTS, which fits any usize.
    usize::try_from(CHUNK_EVENTS.min(left)).unwrap_or(usize::MAX)
}

/// A log error as a bad position, or as a failure to check.
fn bad_or_error(error: LogError) -> Result<BadPosition, VerifyError> {
    damaged_at(&error).ok_or(VerifyError::Log(error))
}

/// The walk along the chain: the next position expected and the hash
/// before it.
struct Walk {
    next: u64,
    prev: Option<Hash>,
    checked: u64,
}

impl Walk {
    /// Checks chunk after chunk up to the range's end; the first bad
    /// position, if any.
    fn run(
        &mut self,
        ledger: &Ledger,
        positions: &RangeInclusive<u64>,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Option<BadPosition>, VerifyError> {
        let total = positions.end() - positions.start() + 1;
        let prev = match ledger.hash_at(self.next - 1) {
            Ok(hash) => hash,
            Err(e) => return bad_or_error(e).map(Some),
        };
        self.prev = Some(prev);
        while self.next <= *positions.end() {
            let events = match ledger.read(self.next, chunk_len(self.next, positions)) {
                Ok(events) => events,
                Err(e) => return bad_or_error(e).map(Some),
            };
            if events.is_empty() {
                return Ok(Some(BadPosition {
                    position: self.next,
                    reason: "the log ends before this position".into(),
                }));
            }
            if let Some(bad) = events.iter().find_map(|event| self.step(event)) {
                return Ok(Some(bad));
            }
            progress(self.checked, total);
        }
        Ok(None)
    }

    /// Checks one event against the walk; the reason it is bad, if it is.
    fn step(&mut self, event: &arledger_core::log::codec::StoredEvent) -> Option<BadPosition> {
        let position = self.next;
        let bad = |reason: String| Some(BadPosition { position, reason });
        if event.position != position {
            return bad(format!(
                "expected position {position}, read {}",
                event.position
            ));
        }
        let prev = self.prev.unwrap_or_default();
        let recomputed = chain_hash(&prev, position, &content_hash(&event.canonical_bytes()));
        if recomputed != event.hash {
            return bad(format!(
                "stored hash {} is not SHA-256(hash({}) ‖ position ‖ SHA-256(canonical bytes)) = {}",
                hex::encode(event.hash),
                position - 1,
                hex::encode(recomputed)
            ));
        }
        if let Err(e) = event.event() {
            return bad(format!("the payload does not decode: {e}"));
        }
        self.prev = Some(event.hash);
        self.next += 1;
        self.checked += 1;
        None
    }
}

#[cfg(test)]
mod tests {
    use arledger_core::domain::{Actor, Event, Role};
    use arledger_core::ids::{CommandId, CustomerId, EventId};
    use arledger_core::log::codec::StoredEvent;
    use arledger_core::sample;
    use chrono::DateTime;
    use uuid::Uuid;

    use super::*;

    /// A customer registration stored at `position` after `prev`.
    fn stored(position: u64, prev: &Hash) -> StoredEvent {
        let event = Event::CustomerRegistered(arledger_core::domain::events::CustomerRegistered {
            customer_id: CustomerId(Uuid::from_u128(1)),
            name: "Hospital".into(),
            kind: arledger_core::domain::types::CustomerKind::Clinic,
            region: "East".into(),
            salesperson_id: "s-1".into(),
            tax_id: None,
        });
        let mut payload = Vec::new();
        event.encode_payload(&mut payload).unwrap();
        let mut stored = StoredEvent {
            position,
            stream_id: event.stream_id(),
            stream_version: 1,
            event_id: EventId(Uuid::from_u128(2)),
            event_type: event.type_name(),
            schema_version: event.schema_version(),
            recorded_at: DateTime::from_timestamp_micros(1_000_000).unwrap(),
            command_id: CommandId(Uuid::from_u128(3)),
            actor: Actor {
                user_id: sample::admin().user_id,
                role: Role::Admin,
            },
            correlation_id: None,
            payload,
            hash: [0; 32],
        };
        stored.hash = chain_hash(prev, position, &stored.content_hash());
        stored
    }

    fn walk_at(next: u64, prev: Hash) -> Walk {
        Walk {
            next,
            prev: Some(prev),
            checked: 0,
        }
    }

    #[test]
    fn an_event_whose_hash_holds_moves_the_walk_on() {
        let event = stored(5, &[7; 32]);
        let mut walk = walk_at(5, [7; 32]);
        assert_eq!(walk.step(&event), None);
        assert_eq!(
            (walk.next, walk.prev, walk.checked),
            (6, Some(event.hash), 1)
        );
    }

    /// The walk's own recomputation, apart from the ledger's checks: a
    /// changed field, another hash before it, or a position out of turn.
    #[test]
    fn a_changed_field_another_link_or_position_is_a_bad_position() {
        let mut edited = stored(5, &[7; 32]);
        edited.actor.user_id = "admiN".into();
        let other_link = stored(5, &[8; 32]);
        let out_of_turn = stored(6, &[7; 32]);
        for (what, event) in [
            ("edited", edited),
            ("link", other_link),
            ("turn", out_of_turn),
        ] {
            let mut walk = walk_at(5, [7; 32]);
            let bad = walk.step(&event).unwrap_or_else(|| panic!("{what} passed"));
            assert_eq!(bad.position, 5, "{what}");
            assert_eq!((walk.next, walk.checked), (5, 0), "{what}");
        }
    }
}
