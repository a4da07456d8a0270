//! A query's point in the log: `knownAtPosition`, or `knownAt` mapped to
//! a position, or the head; and that position's chain hash, which every
//! answer states so that it can be reproduced and tied to the log.

use arledger_core::log::codec::Hash;
use arledger_core::log::{Ledger, LogError};
use chrono::{DateTime, Utc};

use crate::known_at::position_known_at;

/// The log position a query is answered at, and the hash there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Point {
    /// The last position the answer takes into account.
    pub position: u64,
    /// hash(position): the SHA-256 chain's value there (32 zero bytes at 0).
    pub hash: Hash,
}

impl Point {
    /// The hash in lower-case hex.
    pub fn hash_hex(&self) -> String {
        hex::encode(self.hash)
    }
}

/// Why a point could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum PointError {
    /// Both `knownAt` and `knownAtPosition` were given.
    #[error("give knownAt or knownAtPosition, not both")]
    Both,
    /// The position is beyond the log's head.
    #[error("position {wanted} is beyond the log's head {head}")]
    BeyondHead {
        /// Asked for.
        wanted: u64,
        /// The durable head.
        head: u64,
    },
    /// Reading the log failed.
    #[error(transparent)]
    Log(#[from] LogError),
}

/// The point `known_at_position`, or the last position recorded at or
/// before `known_at`, or (neither given) the head.
pub fn resolve_point(
    ledger: &Ledger,
    known_at: Option<DateTime<Utc>>,
    known_at_position: Option<u64>,
) -> Result<Point, PointError> {
    let head = ledger.head().position;
    let position = match (known_at, known_at_position) {
        (Some(_), Some(_)) => return Err(PointError::Both),
        (Some(moment), None) => position_known_at(ledger, moment)?,
        (None, Some(position)) if position > head => {
            return Err(PointError::BeyondHead {
                wanted: position,
                head,
            });
        }
        (None, Some(position)) => position,
        (None, None) => head,
    };
    Ok(Point {
        position,
        hash: ledger.hash_at(position)?,
    })
}

/// When the ledger recorded position `p` (the epoch for position 0, an
/// empty log's head): the creation time of documents taken at p.
pub fn recorded_at(ledger: &Ledger, p: u64) -> Result<DateTime<Utc>, LogError> {
    if p == 0 {
        return Ok(DateTime::UNIX_EPOCH);
    }
    let read = ledger.read(p, 1)?;
    Ok(read
        .first()
        .filter(|e| e.position == p)
        .map_or(DateTime::UNIX_EPOCH, |e| e.recorded_at))
}
