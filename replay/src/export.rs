//! The auditor's export: every event of a range as one JSON line, with its
//! envelope and payload in readable form beside its canonical bytes and
//! hashes, so that `tools/verify_export.py` can rebuild the bytes from the
//! readable fields by `docs/canonical-encoding.md` alone and check the
//! chain with nothing but SHA-256.
//!
//! One line (keys in this order):
//!
//! | key | value |
//! |---|---|
//! | `position`, `stream_version`, `schema_version` | numbers |
//! | `stream_id`, `event_id`, `command_id` | UUIDs, hyphenated lower case |
//! | `event_type` | the type name |
//! | `recorded_at` | RFC 3339, UTC, microseconds: `2026-07-01T09:00:00.000000Z` |
//! | `recorded_at_micros` | the same as microseconds since 1970-01-01T00:00:00Z, what the bytes hold |
//! | `actor` | `{"user_id": ..., "role": ...}`, the role by name |
//! | `correlation_id` | a UUID or `null` |
//! | `payload` | the payload's readable form ([`crate::readable`]) |
//! | `canonical` | the canonical bytes, lower-case hex |
//! | `content_hash`, `prev_hash`, `hash` | SHA-256 of `canonical`; hash(position - 1); hash(position), as stored |

use std::io::Write;

use arledger_core::log::codec::{Hash, StoredEvent, content_hash};
use arledger_core::log::{Ledger, LogError};
use chrono::SecondsFormat;
use serde::Serialize;
use serde_json::Value;

use crate::range::{PositionRange, RangeError};
use crate::readable::{self, ReadableError};
use crate::verify::chunk_len;

/// One exported event (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Line {
    /// Position in the log.
    pub position: u64,
    /// Stream id.
    pub stream_id: String,
    /// Version within the stream.
    pub stream_version: u64,
    /// The event's own id.
    pub event_id: String,
    /// Type name.
    pub event_type: &'static str,
    /// Schema version stored.
    pub schema_version: u16,
    /// RFC 3339, UTC, with microseconds.
    pub recorded_at: String,
    /// Microseconds since 1970-01-01T00:00:00Z.
    pub recorded_at_micros: i64,
    /// Who issued the command.
    pub actor: LineActor,
    /// The command that produced it.
    pub command_id: String,
    /// Correlation id, if any.
    pub correlation_id: Option<String>,
    /// The payload in readable form.
    pub payload: Value,
    /// The canonical bytes, lower-case hex.
    pub canonical: String,
    /// SHA-256 of the canonical bytes, hex.
    pub content_hash: String,
    /// hash(position - 1), hex.
    pub prev_hash: String,
    /// hash(position) as stored, hex.
    pub hash: String,
}

/// The actor of a line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LineActor {
    /// User id.
    pub user_id: String,
    /// Role name (`finance_manager`).
    pub role: &'static str,
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The range names no stored positions.
    #[error(transparent)]
    Range(#[from] RangeError),
    /// Reading the log failed (damage is told by
    /// [`crate::verify::damaged_at`]).
    #[error(transparent)]
    Log(#[from] LogError),
    /// An event's payload has no readable form.
    #[error("position {position}: {source}")]
    Readable {
        /// The event's position.
        position: u64,
        /// Why.
        source: ReadableError,
    },
    /// Writing the output failed.
    #[error("writing the export: {0}")]
    Write(#[source] std::io::Error),
}

/// What was exported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exported {
    /// First and last position written (`None`: an empty log).
    pub range: Option<(u64, u64)>,
    /// Lines written.
    pub lines: u64,
}

/// The export line of `event`, whose predecessor's hash is `prev_hash`.
pub fn line(event: &StoredEvent, prev_hash: &Hash) -> Result<Line, ReadableError> {
    let canonical = event.canonical_bytes();
    Ok(Line {
        position: event.position,
        stream_id: event.stream_id.0.hyphenated().to_string(),
        stream_version: event.stream_version,
        event_id: event.event_id.0.hyphenated().to_string(),
        event_type: event.event_type,
        schema_version: event.schema_version,
        recorded_at: event
            .recorded_at
            .to_rfc3339_opts(SecondsFormat::Micros, true),
        recorded_at_micros: event.recorded_at.timestamp_micros(),
        actor: LineActor {
            user_id: event.actor.user_id.clone(),
            role: event.actor.role.name(),
        },
        command_id: event.command_id.0.hyphenated().to_string(),
        correlation_id: event.correlation_id.map(|id| id.hyphenated().to_string()),
        payload: readable::payload(event.event_type, event.schema_version, &event.payload)?,
        content_hash: hex::encode(content_hash(&canonical)),
        canonical: hex::encode(canonical),
        prev_hash: hex::encode(prev_hash),
        hash: hex::encode(event.hash),
    })
}

/// Writes the lines of `range` to `out`, reading in chunks; calls
/// `progress(done, total)` after each chunk. Events are served only once
/// the ledger's scrub has checked their chain, so a rewritten record stops
/// the export with [`LogError::Altered`] instead of being exported.
pub fn export(
    ledger: &Ledger,
    range: &PositionRange,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Exported, ExportError> {
    let Some(positions) = range.resolve(ledger.head().position)? else {
        return Ok(Exported {
            range: None,
            lines: 0,
        });
    };
    let (from, to) = (*positions.start(), *positions.end());
    tracing::info!(from, to, "exporting");
    let total = to - from + 1;
    let mut prev = ledger.hash_at(from - 1)?;
    let mut next = from;
    let mut text = Vec::new();
    while next <= to {
        let events = ledger.read(next, chunk_len(next, &positions))?;
        if events.is_empty() {
            return Err(LogError::Gap {
                expected: next,
                found: ledger.head().position,
            }
            .into());
        }
        for event in &events {
            let line = line(event, &prev).map_err(|source| ExportError::Readable {
                position: event.position,
                source,
            })?;
            text.clear();
            // A line of strings, numbers and JSON values always serializes.
            serde_json::to_writer(&mut text, &line)
                .map_err(|e| ExportError::Write(std::io::Error::other(e)))?;
            text.push(b'\n');
            out.write_all(&text).map_err(ExportError::Write)?;
            prev = event.hash;
            next = event.position + 1;
        }
        progress(next - from, total);
    }
    out.flush().map_err(ExportError::Write)?;
    Ok(Exported {
        range: Some((from, to)),
        lines: next - from,
    })
}
