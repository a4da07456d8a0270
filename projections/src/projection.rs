//! The contract between the engine and a read model.
//!
//! A projection is a pure fold: [`Projection::apply`] sees every event in
//! position order exactly once (no IO, no clock, no reading the log, no
//! write model). The engine asks it from time to time for what changed
//! ([`Projection::drain_changes`]) and stores those entries together with
//! the projection's checkpoint in one atomic batch; after a restart, or a
//! `kill -9` at any moment, [`Projection::load`] rebuilds the state from
//! the stored entries and the engine resumes after the checkpoint. So that
//! a rebuild from position 0 stores exactly the bytes incremental
//! processing stored, entries must be a function of the events alone.

use arledger_core::domain::Event;
use arledger_core::ids::{CommandId, StreamId};
use chrono::{DateTime, Utc};

/// One event as a projection sees it: decoded once by the engine.
#[derive(Clone, Copy, Debug)]
pub struct Applied<'a> {
    /// Its log position.
    pub position: u64,
    /// When the ledger recorded it.
    pub recorded_at: DateTime<Utc>,
    /// Its stream.
    pub stream_id: StreamId,
    /// The command that produced it.
    pub command_id: CommandId,
    /// The event.
    pub event: &'a Event,
}

/// Entries to store with the next checkpoint: keys and values of the
/// projection's own sled tree (`None` removes the key). Keys starting with
/// a zero byte are the engine's.
#[derive(Debug, Default)]
pub struct Changes {
    /// In the order they were made; a later write to a key wins.
    pub entries: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl Changes {
    /// Stores `value` under `key`.
    pub fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        debug_assert!(
            key.first() != Some(&0),
            "keys starting with 0 are the engine's"
        );
        self.entries.push((key, Some(value)));
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: Vec<u8>) {
        self.entries.push((key, None));
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Stored entries that do not load: written by another version of the
/// code, or damaged. The engine then rebuilds the projection from 0.
#[derive(Debug, thiserror::Error)]
#[error("stored entry {key} of projection {projection} does not load: {reason}")]
pub struct LoadError {
    /// The projection.
    pub projection: &'static str,
    /// The entry's key, in hex.
    pub key: String,
    /// Why.
    pub reason: String,
}

/// A read model folded from the log.
pub trait Projection: Send + Sync + Sized + 'static {
    /// Its name: the sled tree it is stored in, and how logs and metrics
    /// name it.
    const NAME: &'static str;
    /// The version of its code and stored format: when it changes, the
    /// engine rebuilds the projection from position 0 at start-up.
    const VERSION: u32;

    /// The state before any event.
    fn empty() -> Self;

    /// Folds one event.
    fn apply(&mut self, applied: &Applied<'_>);

    /// Moves what changed since the last call into `changes`.
    fn drain_changes(&mut self, changes: &mut Changes);

    /// The state that the stored `entries` (in key order) describe.
    fn load(entries: &mut dyn Iterator<Item = (Vec<u8>, Vec<u8>)>) -> Result<Self, LoadError>;
}
