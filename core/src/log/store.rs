//! The only code in arledger-core that touches sled: one tree of commit
//! frames keyed by their first position (big-endian, so key order is
//! position order). Nothing per event is written.
//!
//! Beside sled's files, one small file records the head the ledger last
//! acknowledged (position and hash), rewritten after every flush into one
//! of two slots in turn. sled's
//! recovery ends its log at the first damaged record and says nothing, so
//! without it a torn or corrupt acknowledged tail would vanish silently
//! (and its positions be given to new events); with it, open reports it.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::codec::Hash;

/// Storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// sled failed.
    #[error("storage: {0}")]
    Sled(#[from] sled::Error),
    /// The file recording the acknowledged head could not be read or written.
    #[error("storage: {path}: {source}")]
    HeadFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A key in the commit tree is not a position: the store was written
    /// by something other than the ledger.
    #[error(
        "storage: a commit key of {len} bytes was found where every key is an 8-byte position; the store was written by something other than arledger"
    )]
    ForeignKey {
        /// The key's length.
        len: usize,
    },
    /// The file recording the acknowledged head does not hold a valid record.
    #[error(
        "neither record of the last acknowledged head in {path} is readable, so a lost tail of the log could not be noticed; the log itself may be intact: check it, and remove the file to accept the log as it stands"
    )]
    HeadDamaged {
        /// The file.
        path: PathBuf,
    },
}

/// The last head the ledger acknowledged, as recorded beside the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AcknowledgedHead {
    /// Its position (0: nothing yet).
    pub position: u64,
    /// hash(position).
    pub hash: Hash,
}

/// The file holding the acknowledged head, in the ledger's directory.
pub const HEAD_FILE: &str = "acknowledged-head";
const HEAD_MAGIC: &[u8; 4] = b"ARLH";
/// One slot: magic, position (u64 big-endian), hash, CRC-32 of what
/// precedes it. The file holds two slots, written in turn.
const HEAD_LEN: usize = 4 + 8 + 32 + 4;

/// The head file and the slot its next record goes to.
struct HeadFile {
    file: File,
    next_slot: usize,
}

/// Why the head file could not be read at open.
enum HeadRead {
    Io(std::io::Error),
    Damaged,
}

impl HeadFile {
    /// The newest valid record; the next write then goes to the other slot,
    /// so that a torn write never destroys the last good record.
    fn read(&mut self) -> Result<Option<AcknowledgedHead>, HeadRead> {
        let mut bytes = Vec::with_capacity(2 * HEAD_LEN);
        self.file
            .seek(SeekFrom::Start(0))
            .and_then(|_| self.file.read_to_end(&mut bytes))
            .map_err(HeadRead::Io)?;
        if bytes.is_empty() {
            return Ok(None);
        }
        let (slot, newest) = bytes
            .chunks(HEAD_LEN)
            .take(2)
            .enumerate()
            .filter_map(|(slot, record)| parse_head(record).map(|h| (slot, h)))
            .max_by_key(|(_, h)| h.position)
            .ok_or(HeadRead::Damaged)?;
        self.next_slot = 1 - slot;
        Ok(Some(newest))
    }
}

/// A slot's record, if it is one.
fn parse_head(record: &[u8]) -> Option<AcknowledgedHead> {
    if record.len() != HEAD_LEN {
        return None;
    }
    let (body, crc) = record.split_at(HEAD_LEN - 4);
    if &body[..4] != HEAD_MAGIC || crc32fast::hash(body).to_be_bytes() != crc {
        return None;
    }
    let mut position = [0u8; 8];
    position.copy_from_slice(&body[4..12]);
    let mut hash = [0u8; 32];
    hash.copy_from_slice(&body[12..44]);
    Some(AcknowledgedHead {
        position: u64::from_be_bytes(position),
        hash,
    })
}

/// A stored frame's bytes, as sled hands them out (shared, not copied).
pub type FrameBytes = sled::IVec;

/// The frame store.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    commits: sled::Tree,
    head_path: PathBuf,
    head_file: Arc<Mutex<HeadFile>>,
    acknowledged: Option<AcknowledgedHead>,
}

impl Store {
    /// Opens (or creates) the store at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let db = open_sled(path)?;
        let commits = db.open_tree("commits")?;
        let head_path = path.join(HEAD_FILE);
        let head_file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&head_path)
            .map_err(|source| StoreError::HeadFile {
                path: head_path.clone(),
                source,
            })?;
        let mut head = HeadFile {
            file: head_file,
            next_slot: 0,
        };
        let acknowledged = head.read().map_err(|e| match e {
            HeadRead::Io(source) => StoreError::HeadFile {
                path: head_path.clone(),
                source,
            },
            HeadRead::Damaged => StoreError::HeadDamaged {
                path: head_path.clone(),
            },
        })?;
        Ok(Store {
            db,
            commits,
            head_path,
            head_file: Arc::new(Mutex::new(head)),
            acknowledged,
        })
    }

    /// The head last recorded by [`Store::record_head`], as found at open;
    /// `None` for a store that never recorded one (new, or its file was
    /// removed).
    pub fn acknowledged_at_open(&self) -> Option<AcknowledgedHead> {
        self.acknowledged
    }

    /// Records `head` as acknowledged: called after the flush that made it
    /// durable and before anyone is told. One small write in place, into
    /// the older of two slots (a write torn by a full disk or a power cut
    /// leaves the other intact); like sled's flush, it survives `kill -9`,
    /// not a power loss.
    pub fn record_head(&self, head: &AcknowledgedHead) -> Result<(), StoreError> {
        let mut record = [0u8; HEAD_LEN];
        record[..4].copy_from_slice(HEAD_MAGIC);
        record[4..12].copy_from_slice(&head.position.to_be_bytes());
        record[12..44].copy_from_slice(&head.hash);
        let crc = crc32fast::hash(&record[..HEAD_LEN - 4]);
        record[HEAD_LEN - 4..].copy_from_slice(&crc.to_be_bytes());
        let mut file = self.head_file();
        let offset = if file.next_slot == 0 {
            0
        } else {
            crate::counts::len_u64(HEAD_LEN)
        };
        file.file
            .seek(SeekFrom::Start(offset))
            .and_then(|_| file.file.write_all(&record))
            .map_err(|source| self.head_error(source))?;
        file.next_slot = 1 - file.next_slot;
        Ok(())
    }

    fn head_file(&self) -> std::sync::MutexGuard<'_, HeadFile> {
        self.head_file.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn head_error(&self, source: std::io::Error) -> StoreError {
        StoreError::HeadFile {
            path: self.head_path.clone(),
            source,
        }
    }

    /// Writes one frame (not yet durable).
    pub fn put(&self, first_position: u64, frame: &[u8]) -> Result<(), StoreError> {
        self.commits.insert(first_position.to_be_bytes(), frame)?;
        Ok(())
    }

    /// Makes every previous write durable (sled `flush`: see the durability
    /// contract in the crate docs for what it does not promise).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    /// Frames in position order, starting with the one holding `position`.
    pub fn frames_from(
        &self,
        position: u64,
    ) -> Result<impl Iterator<Item = Result<(u64, FrameBytes), StoreError>> + use<>, StoreError>
    {
        let start = match self.commits.range(..=position.to_be_bytes()).next_back() {
            Some(found) => key_position(&found?.0)?,
            None => position,
        };
        Ok(self.commits.range(start.to_be_bytes()..).map(|r| {
            let (key, frame) = r?;
            Ok((key_position(&key)?, frame))
        }))
    }

    /// The tree of projection `name`, beside the log.
    pub fn projection_tree(&self, name: &str) -> Result<ProjectionTree, StoreError> {
        Ok(ProjectionTree {
            db: self.db.clone(),
            tree: self.db.open_tree(format!("projection/{name}"))?,
        })
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

/// The key under which a projection tree keeps its checkpoint and code
/// version; a projection's own keys never start with a zero byte.
const PROJECTION_META_KEY: &[u8] = b"\0meta";

/// Where a projection stands in its tree: the last position folded into
/// what is stored, and the code version that stored it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProjectionMeta {
    /// Last position whose effect the stored entries hold (0: none).
    pub checkpoint: u64,
    /// The projection's code version when it stored them.
    pub version: u32,
}

/// A projection's sled tree beside the log: its entries and its
/// checkpoint, always written together in one atomic batch (sled's
/// `apply_batch` lands whole or not at all, also across a crash).
#[derive(Clone)]
pub struct ProjectionTree {
    db: sled::Db,
    tree: sled::Tree,
}

impl ProjectionTree {
    /// The checkpoint and version stored, if any.
    pub fn meta(&self) -> Result<Option<ProjectionMeta>, StoreError> {
        let Some(bytes) = self.tree.get(PROJECTION_META_KEY)? else {
            return Ok(None);
        };
        let meta = <[u8; 12]>::try_from(bytes.as_ref())
            .map(|b| ProjectionMeta {
                checkpoint: u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
                version: u32::from_be_bytes([b[8], b[9], b[10], b[11]]),
            })
            .map_err(|_| StoreError::ForeignKey { len: bytes.len() })?;
        Ok(Some(meta))
    }

    /// Every entry but the checkpoint, in key order.
    pub fn entries(&self) -> impl Iterator<Item = Result<(Vec<u8>, Vec<u8>), StoreError>> + use<> {
        self.tree.range(&[1u8][..]..).map(|r| {
            r.map(|(k, v)| (k.to_vec(), v.to_vec()))
                .map_err(StoreError::from)
        })
    }

    /// Writes `entries` (`None` removes a key) and `meta` in one atomic
    /// batch. Not yet durable: see [`ProjectionTree::flush`].
    pub fn commit(
        &self,
        entries: impl IntoIterator<Item = (Vec<u8>, Option<Vec<u8>>)>,
        meta: ProjectionMeta,
    ) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for (key, value) in entries {
            match value {
                Some(value) => batch.insert(key, value),
                None => batch.remove(key),
            }
        }
        let mut bytes = [0u8; 12];
        bytes[..8].copy_from_slice(&meta.checkpoint.to_be_bytes());
        bytes[8..].copy_from_slice(&meta.version.to_be_bytes());
        batch.insert(PROJECTION_META_KEY, &bytes[..]);
        self.tree.apply_batch(batch)?;
        Ok(())
    }

    /// Removes everything, checkpoint included: the projection starts
    /// again from position 0.
    pub fn clear(&self) -> Result<(), StoreError> {
        self.tree.clear()?;
        Ok(())
    }

    /// Makes what was committed durable (sled `flush`).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }
}

/// Segment size of the sled log. sled stores any item it logs that is
/// larger than a quarter segment as a separate blob file (created per item,
/// never synced); with 8 MiB segments a commit frame of up to 2 MiB (about
/// 6,000 events) is logged inline, which is measurably faster than a file
/// per commit (see the append benchmark). Leaf nodes, which sled rewrites
/// whole with up to 16 frames, still pass 2 MiB and become blob files.
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

/// How long opening waits for sled's file lock. After the last handle of a
/// store is dropped, sled's IO threads may still hold the lock for a moment
/// (sled's own tests block on it for that reason), so an immediate reopen
/// in the same process may find it taken. Another process holding the
/// store keeps it longer, and then opening fails.
const LOCK_WAIT: Duration = Duration::from_secs(2);

/// Opens sled at `path` configured as the ledger uses it, waiting a moment
/// for its file lock (see `LOCK_WAIT`); the benchmarks open raw sled so.
pub fn open_sled(path: &Path) -> Result<sled::Db, StoreError> {
    let deadline = Instant::now() + LOCK_WAIT;
    let mut pause = Duration::from_millis(1);
    loop {
        match config(path).open() {
            Err(sled::Error::Io(e))
                if e.to_string().contains("could not acquire lock")
                    && Instant::now() < deadline =>
            {
                tracing::debug!(path = %path.display(), "waiting for sled's file lock");
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            opened => return Ok(opened?),
        }
    }
}

/// The position a commit is stored under: its key's eight big-endian
/// bytes. Only the ledger writes this tree, so another key means the
/// store was written by something else.
fn key_position(key: &[u8]) -> Result<u64, StoreError> {
    <[u8; 8]>::try_from(key)
        .map(u64::from_be_bytes)
        .map_err(|_| StoreError::ForeignKey { len: key.len() })
}
