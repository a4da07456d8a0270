//! The only code in arledger-core that touches sled: one tree of commit
//! frames keyed by their first position (big-endian, so key order is
//! position order). Nothing per event is written.

use std::path::Path;

/// Storage failure.
#[derive(Debug, thiserror::Error)]
#[error("storage: {0}")]
pub struct StoreError(#[from] sled::Error);

/// The frame store.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    commits: sled::Tree,
}

impl Store {
    /// Opens (or creates) the store at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let db = config(path).open()?;
        let commits = db.open_tree("commits")?;
        Ok(Store { db, commits })
    }

    /// Writes one frame (not yet durable).
    pub fn put(&self, first_position: u64, frame: &[u8]) -> Result<(), StoreError> {
        self.commits.insert(first_position.to_be_bytes(), frame)?;
        Ok(())
    }

    /// Makes every previous write durable (sled `flush`: see the durability
    /// contract in the `log` docs for what it does not promise).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    /// Frames in position order, starting with the one holding `position`.
    pub fn frames_from(
        &self,
        position: u64,
    ) -> impl Iterator<Item = Result<(u64, sled::IVec), StoreError>> + use<> {
        let start = self
            .commits
            .range(..=position.to_be_bytes())
            .next_back()
            .and_then(|r| r.ok())
            .map_or(position, |(k, _)| key_position(&k));
        self.commits
            .range(start.to_be_bytes()..)
            .map(|r| r.map(|(k, v)| (key_position(&k), v)).map_err(StoreError))
    }

    /// Overwrites a stored frame: for tests that simulate disk corruption.
    #[cfg(test)]
    pub fn tamper(&self, first_position: u64, frame: &[u8]) -> Result<(), StoreError> {
        self.put(first_position, frame)?;
        self.flush()
    }

    /// Deletes a stored frame: for tests that simulate a lost record.
    #[cfg(test)]
    pub fn remove(&self, first_position: u64) -> Result<(), StoreError> {
        self.commits.remove(first_position.to_be_bytes())?;
        self.flush()
    }
}

/// Segment size of the sled log. sled stores a value larger than a quarter
/// segment as a separate blob file (created per value, never synced); with
/// 8 MiB segments a commit frame of up to 2 MiB (about 6,000 events) stays
/// inline in sled's log, which is also measurably faster than a file per
/// commit (see the append benchmark).
pub const SEGMENT_SIZE: usize = 8 * 1024 * 1024;

/// The sled configuration the ledger uses (also used by the benchmarks to
/// measure raw sled on equal terms).
pub fn config(path: &Path) -> sled::Config {
    // Background flushing is off: the ledger flushes exactly when it
    // acknowledges, so an unflushed write is never mistaken for durable.
    sled::Config::new()
        .path(path)
        .flush_every_ms(None)
        .segment_size(SEGMENT_SIZE)
        .cache_capacity(256 * 1024 * 1024)
}

fn key_position(key: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    if key.len() == 8 {
        b.copy_from_slice(key);
    }
    u64::from_be_bytes(b)
}
