//! Append-only records of a projection, stored packed in chunks of
//! `CHUNK_POSITIONS` log positions each: one sled entry per chunk instead
//! of one per record (sled's cost is per entry: measured with
//! `arledger-benches readmodels`, one entry per fact held a rebuild to
//! about 170,000 events/s).
//!
//! Chunks are aligned to fixed position ranges, so what is stored does not
//! depend on when the engine stored it: a rebuild from position 0 stores
//! the same bytes as incremental processing with any store cadence. Only
//! the last chunk is ever incomplete; it is stored again, with more
//! records, each time it grows.
//!
//! A chunk's key is a tag byte (the projection's, never 0) and the chunk's
//! number (u64, big-endian); its value is its records in position order,
//! each: position (u64 BE), sequence within the event (u16 BE), length
//! (u32 BE), bytes.

use crate::projection::{Changes, LoadError};

/// Log positions per chunk.
pub const CHUNK_POSITIONS: u64 = 4_096;

/// Records waiting to be stored, and the chunk still open.
#[derive(Clone, Debug, Default)]
pub struct ChunkWriter {
    /// Chunks complete since the last drain.
    complete: Vec<(u64, Vec<u8>)>,
    /// The last chunk (number, bytes so far), stored again as it grows.
    open: Option<(u64, Vec<u8>)>,
    /// Whether the open chunk grew since the last drain.
    grew: bool,
}

impl ChunkWriter {
    /// Adds a record of the event at `position` (positions never go back).
    pub fn push(&mut self, position: u64, seq: u16, record: &[u8]) {
        let chunk = position / CHUNK_POSITIONS;
        match &mut self.open {
            Some((open, _)) if *open == chunk => {}
            open => {
                if let Some(done) = open.take() {
                    self.complete.push(done);
                }
                *open = Some((chunk, Vec::new()));
            }
        }
        if let Some((_, bytes)) = &mut self.open {
            bytes.extend_from_slice(&position.to_be_bytes());
            bytes.extend_from_slice(&seq.to_be_bytes());
            let len = match u32::try_from(record.len()) {
                Ok(len) => len,
                Err(_) => panic!("a record of {} bytes is too long to store", record.len()),
            };
            bytes.extend_from_slice(&len.to_be_bytes());
            bytes.extend_from_slice(record);
        }
        self.grew = true;
    }

    /// Moves the complete chunks, and the open one if it grew, into
    /// `changes` under keys tagged `tag`.
    pub fn drain(&mut self, tag: u8, changes: &mut Changes) {
        for (chunk, bytes) in self.complete.drain(..) {
            changes.put(chunk_key(tag, chunk), bytes);
        }
        if std::mem::take(&mut self.grew)
            && let Some((chunk, bytes)) = &self.open
        {
            changes.put(chunk_key(tag, *chunk), bytes.clone());
        }
    }

    /// Continues after a load: `bytes` is the stored last chunk `chunk`.
    pub fn resume(&mut self, chunk: u64, bytes: Vec<u8>) {
        self.open = Some((chunk, bytes));
        self.grew = false;
    }
}

/// The key of chunk `chunk` under `tag`.
pub fn chunk_key(tag: u8, chunk: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(9);
    key.push(tag);
    key.extend_from_slice(&chunk.to_be_bytes());
    key
}

/// The chunk number of a key tagged `tag`.
pub fn parse_chunk_key(tag: u8, key: &[u8]) -> Option<u64> {
    let (&first, rest) = key.split_first()?;
    (first == tag)
        .then(|| <[u8; 8]>::try_from(rest).ok().map(u64::from_be_bytes))
        .flatten()
}

/// One stored record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// The event's position.
    pub position: u64,
    /// Its sequence among the event's records.
    pub seq: u16,
    /// Its bytes.
    pub bytes: &'a [u8],
}

/// The records of chunk `chunk`'s stored bytes, in order; `Err` names
/// what is malformed (a record outside the chunk's positions, a
/// truncated one).
pub fn records(chunk: u64, bytes: &[u8]) -> Result<Vec<Record<'_>>, String> {
    let mut out = Vec::new();
    let mut rest = bytes;
    let range = chunk.saturating_mul(CHUNK_POSITIONS)
        ..chunk.saturating_add(1).saturating_mul(CHUNK_POSITIONS);
    while !rest.is_empty() {
        let (head, tail) = rest
            .split_at_checked(14)
            .ok_or_else(|| "a record header is cut short".to_string())?;
        let position = u64::from_be_bytes([
            head[0], head[1], head[2], head[3], head[4], head[5], head[6], head[7],
        ]);
        let seq = u16::from_be_bytes([head[8], head[9]]);
        let len = u32::from_be_bytes([head[10], head[11], head[12], head[13]]);
        let len = usize::try_from(len).map_err(|_| "a record length is too long".to_string())?;
        let (record, tail) = tail
            .split_at_checked(len)
            .ok_or_else(|| format!("the record at position {position} is cut short"))?;
        if !range.contains(&position) {
            return Err(format!(
                "a record of position {position} is stored in chunk {chunk}"
            ));
        }
        out.push(Record {
            position,
            seq,
            bytes: record,
        });
        rest = tail;
    }
    Ok(out)
}

/// Reads a projection's stored chunks (`entries` in key order; the
/// engine's keys, starting with 0, are skipped) and hands each record to
/// `add` in (position, sequence) order; returns the writer to continue
/// with. `Err` names the entry that does not load.
pub fn load_records(
    projection: &'static str,
    tag: u8,
    entries: &mut dyn Iterator<Item = (Vec<u8>, Vec<u8>)>,
    mut add: impl FnMut(u64, &[u8]) -> Result<(), String>,
) -> Result<ChunkWriter, LoadError> {
    let mut last = None;
    let mut last_chunk = None;
    for (key, value) in entries {
        if key.first() == Some(&0) {
            continue;
        }
        let unfit = |reason: String| LoadError {
            projection,
            key: key.iter().map(|b| format!("{b:02x}")).collect(),
            reason,
        };
        let chunk =
            parse_chunk_key(tag, &key).ok_or_else(|| unfit("not a chunk of facts".into()))?;
        for record in records(chunk, &value).map_err(unfit)? {
            if last >= Some((record.position, record.seq)) {
                return Err(unfit("facts out of order".into()));
            }
            last = Some((record.position, record.seq));
            add(record.position, record.bytes).map_err(unfit)?;
        }
        last_chunk = Some((chunk, value));
    }
    let mut writer = ChunkWriter::default();
    if let Some((chunk, bytes)) = last_chunk {
        writer.resume(chunk, bytes);
    }
    Ok(writer)
}
