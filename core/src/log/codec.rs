//! Byte formats of the log: the canonical encoding of one event (what its
//! hash covers) and the framed commit stored as one sled record.
//!
//! # Canonical event bytes (format 1)
//!
//! `docs/canonical-encoding.md` specifies them completely, for a reader
//! with no Rust: every field of the envelope and of every event type's
//! payload in order, every enum's variant numbers, the encodings of
//! decimals, dates, timestamps, UUIDs and strings, and a worked example
//! byte by byte. `core/tests/canonical_encoding.rs` generates its tables
//! from this code and re-encodes every event type from the document's
//! rules, so the two cannot drift apart. In short, all envelope integers
//! are big-endian:
//!
//! | bytes | field |
//! |---|---|
//! | 1 | format, always 1 |
//! | 8 | position (u64) |
//! | 16 | stream id (UUID bytes) |
//! | 8 | stream version (u64) |
//! | 16 | event id |
//! | 1 + n | event type name, length-prefixed ASCII |
//! | 2 | schema version (u16) |
//! | 8 | recorded_at, microseconds since 1970-01-01T00:00:00Z (i64) |
//! | 16 | command id |
//! | 1 + n | actor user id, length-prefixed UTF-8 (at most 255 bytes) |
//! | 1 + n | actor role name (`finance_manager`), length-prefixed |
//! | 1 (+ 16) | correlation id: 0, or 1 followed by the UUID |
//! | 4 + n | payload: length, then the event's struct as bincode 1.3's legacy `bincode::serialize` writes it (little-endian) |
//!
//! content_hash(n) = SHA-256(canonical bytes of event n);
//! hash(n) = SHA-256(hash(n-1) ‖ position n as u64 big-endian ‖ content_hash(n)),
//! hash(0) = 32 zero bytes. The payload's bytes are hashed as stored:
//! checking the chain needs only them. A new event has exactly one
//! encoding (`decide` stores amounts at their currency's scale, never as
//! a negative zero).
//!
//! # Commit frame
//!
//! `"ARL2"`, first position (u64), event count (u32), hash of the event
//! before the first (32 bytes); then per event: canonical length (u32),
//! canonical bytes, hash (32); then the command count (u32) and per command:
//! command id (16), body hash (16), its event count (u32); finally a CRC-32
//! (IEEE) of everything before it.
//!
//! The body hash is XXH3-128 (big-endian) of the command's bincode bytes
//! (legacy fixed-width options). It only tells a repeated command id with
//! the same body from one with another body, so it needs to be fast and
//! wide, not cryptographic (measured: hashing a command 203 -> 94 ns with
//! SHA-256 -> XXH3, `domain` bench). XXH3 does not resist a crafted
//! collision, so a repeat also needs the original's user: a forged body
//! could only ever be passed off as one of the forger's own commands.
//!
//! The command table serves idempotency only. At open its command ids are
//! checked against the events' envelopes, but its body hashes are covered
//! by the CRC alone, not by the SHA-256 chain: a deliberate rewrite of a
//! body hash would change how a repeated command id is answered, never what
//! the log says happened.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::counts::len_u32;
use crate::domain::events::{EVENT_TYPES, Event, PayloadError};
use crate::domain::types::{Actor, Role};
use crate::ids::{CommandId, EventId, StreamId};

/// A 32-byte SHA-256 digest.
pub type Hash = [u8; 32];

/// A command body's fingerprint for idempotency (see the module docs).
pub type BodyHash = [u8; 16];

/// The hash before the first event.
pub const GENESIS_HASH: Hash = [0; 32];

const CANONICAL_FORMAT: u8 = 1;
const FRAME_MAGIC: &[u8; 4] = b"ARL2";
/// Longest actor user id, in bytes (it is length-prefixed with one byte).
pub const USER_ID_LEN_MAX: usize = 255;

/// Why stored bytes could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The record ended early or has a bad length.
    #[error("truncated or malformed record: {0}")]
    Malformed(&'static str),
    /// The CRC does not match the bytes.
    #[error("checksum mismatch: stored {stored:08x}, computed {computed:08x}")]
    Checksum {
        /// CRC in the record.
        stored: u32,
        /// CRC of the bytes.
        computed: u32,
    },
    /// The payload does not decode.
    #[error(transparent)]
    Payload(#[from] PayloadError),
}

/// An event as stored: envelope, the stored payload bytes, and its hashes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEvent {
    /// Global position (1-based, gap-free).
    pub position: u64,
    /// Stream (entity).
    pub stream_id: StreamId,
    /// Version within the stream (1-based).
    pub stream_version: u64,
    /// The event's own id.
    pub event_id: EventId,
    /// Type name.
    pub event_type: &'static str,
    /// Schema version the payload was stored at.
    pub schema_version: u16,
    /// When the ledger recorded it (UTC, from the injected clock).
    pub recorded_at: DateTime<Utc>,
    /// The command that produced it.
    pub command_id: CommandId,
    /// Who issued that command.
    pub actor: Actor,
    /// Optional correlation id.
    pub correlation_id: Option<Uuid>,
    /// The payload exactly as stored.
    pub payload: Vec<u8>,
    /// hash(position), per the chain definition.
    pub hash: Hash,
}

impl StoredEvent {
    /// The canonical bytes of this event (see the module docs).
    ///
    /// # Panics
    ///
    /// As [`encode_canonical`], for an event built by hand with a field
    /// longer than the format holds (one read from the log never is).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128 + self.payload.len());
        encode_canonical(&self.fields(), &mut out);
        out
    }

    /// The fields the canonical bytes cover, borrowed.
    pub fn fields(&self) -> CanonicalRef<'_> {
        CanonicalRef {
            position: self.position,
            stream_id: self.stream_id,
            stream_version: self.stream_version,
            event_id: self.event_id,
            event_type: self.event_type,
            schema_version: self.schema_version,
            recorded_at: self.recorded_at,
            command_id: self.command_id,
            user_id: &self.actor.user_id,
            role: self.actor.role,
            correlation_id: self.correlation_id,
            payload: &self.payload,
        }
    }

    /// SHA-256 of the canonical bytes.
    pub fn content_hash(&self) -> Hash {
        content_hash(&self.canonical_bytes())
    }

    /// Decodes the payload, upcasting old schema versions.
    pub fn event(&self) -> Result<Event, PayloadError> {
        self.fields().event()
    }
}

/// content_hash(n): SHA-256 of an event's canonical bytes.
pub fn content_hash(canonical: &[u8]) -> Hash {
    Sha256::digest(canonical).into()
}

/// hash(n) from hash(n-1), the position and event n's canonical bytes: what
/// the log stores with each event, and checks at open.
pub fn event_hash(prev: &Hash, position: u64, canonical: &[u8]) -> Hash {
    chain_hash(prev, position, &content_hash(canonical))
}

/// hash(n) from hash(n-1), the position and the content hash.
pub fn chain_hash(prev: &Hash, position: u64, content_hash: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(position.to_be_bytes());
    h.update(content_hash);
    h.finalize().into()
}

/// Appends the canonical bytes of an event to `out`.
///
/// # Panics
///
/// If a field is longer than the format can hold: a user id, type name or
/// role name over 255 bytes, a payload over 4 GiB. The ledger refuses such
/// commands before they are encoded (`codec::USER_ID_LEN_MAX`,
/// `EVENT_PAYLOAD_BYTES_MAX`).
pub fn encode_canonical(e: &CanonicalRef<'_>, out: &mut Vec<u8>) {
    out.push(CANONICAL_FORMAT);
    out.extend_from_slice(&e.position.to_be_bytes());
    out.extend_from_slice(e.stream_id.0.as_bytes());
    out.extend_from_slice(&e.stream_version.to_be_bytes());
    out.extend_from_slice(e.event_id.0.as_bytes());
    put_short(out, e.event_type.as_bytes());
    out.extend_from_slice(&e.schema_version.to_be_bytes());
    out.extend_from_slice(&e.recorded_at.timestamp_micros().to_be_bytes());
    out.extend_from_slice(e.command_id.0.as_bytes());
    put_short(out, e.user_id.as_bytes());
    put_short(out, e.role.name().as_bytes());
    match e.correlation_id {
        Some(id) => {
            out.push(1);
            out.extend_from_slice(id.as_bytes());
        }
        None => out.push(0),
    }
    let len = len_u32(e.payload.len(), "a payload length");
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(e.payload);
}

/// A field of at most 255 bytes, after its one-byte length. The writer
/// refuses longer user ids; type and role names are short.
fn put_short(out: &mut Vec<u8>, bytes: &[u8]) {
    match u8::try_from(bytes.len()) {
        Ok(len) => out.push(len),
        Err(_) => panic!("a field of {} bytes has a one-byte length", bytes.len()),
    }
    out.extend_from_slice(bytes);
}

/// A reader over a byte slice that fails with `Malformed` instead of panicking.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.bytes.len() < n {
            return Err(DecodeError::Malformed("record ends early"));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    fn uuid(&mut self) -> Result<Uuid, DecodeError> {
        Ok(Uuid::from_bytes(self.array()?))
    }

    fn short(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = usize::from(self.u8()?);
        self.take(n)
    }

    fn len(&mut self) -> Result<usize, DecodeError> {
        usize::try_from(self.u32()?).map_err(|_| DecodeError::Malformed("length"))
    }
}

/// The fields an event's canonical bytes cover, borrowed: what is encoded,
/// and what parsing stored bytes yields without copying.
#[derive(Clone, Copy, Debug)]
pub struct CanonicalRef<'a> {
    /// Position.
    pub position: u64,
    /// Stream.
    pub stream_id: StreamId,
    /// Stream version.
    pub stream_version: u64,
    /// Event id.
    pub event_id: EventId,
    /// Type name (one of `EVENT_TYPES`).
    pub event_type: &'static str,
    /// Schema version.
    pub schema_version: u16,
    /// Recorded at.
    pub recorded_at: DateTime<Utc>,
    /// Command id.
    pub command_id: CommandId,
    /// Actor's user id.
    pub user_id: &'a str,
    /// Actor's role.
    pub role: Role,
    /// Correlation id.
    pub correlation_id: Option<Uuid>,
    /// Stored payload.
    pub payload: &'a [u8],
}

impl CanonicalRef<'_> {
    /// Decodes the payload, upcasting old schema versions.
    pub fn event(&self) -> Result<Event, PayloadError> {
        Event::decode(self.event_type, self.schema_version, self.payload)
    }

    /// An owned copy.
    pub fn to_stored(&self, hash: Hash) -> StoredEvent {
        StoredEvent {
            position: self.position,
            stream_id: self.stream_id,
            stream_version: self.stream_version,
            event_id: self.event_id,
            event_type: self.event_type,
            schema_version: self.schema_version,
            recorded_at: self.recorded_at,
            command_id: self.command_id,
            actor: Actor {
                user_id: self.user_id.to_string(),
                role: self.role,
            },
            correlation_id: self.correlation_id,
            payload: self.payload.to_vec(),
            hash,
        }
    }
}

/// Parses canonical bytes in place.
pub fn parse_canonical(bytes: &[u8]) -> Result<CanonicalRef<'_>, DecodeError> {
    let mut r = Reader { bytes };
    if r.u8()? != CANONICAL_FORMAT {
        return Err(DecodeError::Malformed("unknown canonical format"));
    }
    let position = r.u64()?;
    let stream_id = StreamId(r.uuid()?);
    let stream_version = r.u64()?;
    let event_id = EventId(r.uuid()?);
    let type_name = r.short()?;
    let event_type = EVENT_TYPES
        .iter()
        .find(|t| t.as_bytes() == type_name)
        .copied()
        .ok_or_else(|| {
            DecodeError::Payload(PayloadError::UnknownType(
                String::from_utf8_lossy(type_name).into_owned(),
            ))
        })?;
    let schema_version = r.u16()?;
    let micros = i64::from_be_bytes(r.array()?);
    let recorded_at = DateTime::from_timestamp_micros(micros)
        .ok_or(DecodeError::Malformed("recorded_at out of range"))?;
    let command_id = CommandId(r.uuid()?);
    let user_id = std::str::from_utf8(r.short()?)
        .map_err(|_| DecodeError::Malformed("user id is not UTF-8"))?;
    let role_name = std::str::from_utf8(r.short()?).map_err(|_| DecodeError::Malformed("role"))?;
    let role = Role::parse(role_name).map_err(|_| DecodeError::Malformed("unknown role"))?;
    let correlation_id = match r.u8()? {
        0 => None,
        1 => Some(r.uuid()?),
        _ => return Err(DecodeError::Malformed("correlation flag")),
    };
    let n = r.len()?;
    let payload = r.take(n)?;
    if !r.bytes.is_empty() {
        return Err(DecodeError::Malformed("trailing bytes after payload"));
    }
    Ok(CanonicalRef {
        position,
        stream_id,
        stream_version,
        event_id,
        event_type,
        schema_version,
        recorded_at,
        command_id,
        user_id,
        role,
        correlation_id,
        payload,
    })
}

/// Decodes canonical bytes (without the hash) into an owned event.
pub fn decode_canonical(bytes: &[u8], hash: Hash) -> Result<StoredEvent, DecodeError> {
    Ok(parse_canonical(bytes)?.to_stored(hash))
}

/// One command's entry in a frame: what idempotency needs after reopen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommandEntry {
    /// The command id.
    pub command_id: CommandId,
    /// Fingerprint of the command body.
    pub body_hash: BodyHash,
    /// How many events it produced (consecutive in the frame).
    pub event_count: u32,
}

/// Builds a frame in place: header, events, command table, CRC. The counts
/// in the header are patched at `finish`, so nothing is copied twice.
pub struct FrameBuilder {
    out: Vec<u8>,
    commands: Vec<CommandEntry>,
    event_count: u32,
}

impl FrameBuilder {
    /// A frame whose first event will be at `first_position`, after
    /// `prev_hash`, built in `out` (cleared first: the framer hands back the
    /// previous frame's buffer, so its pages are not faulted in afresh).
    pub fn new(first_position: u64, prev_hash: Hash, mut out: Vec<u8>) -> FrameBuilder {
        out.clear();
        out.extend_from_slice(FRAME_MAGIC);
        out.extend_from_slice(&first_position.to_be_bytes());
        out.extend_from_slice(&0u32.to_be_bytes());
        out.extend_from_slice(&prev_hash);
        FrameBuilder {
            out,
            commands: Vec::new(),
            event_count: 0,
        }
    }

    /// Records a command entry (its events are pushed with `push_event`).
    pub fn push_command(&mut self, entry: CommandEntry) {
        self.commands.push(entry);
    }

    /// Appends one event: `encode` writes its canonical bytes straight into
    /// the frame, `seal` turns them into the event's chain hash, which is
    /// stored after them and returned.
    pub fn push_event(
        &mut self,
        encode: impl FnOnce(&mut Vec<u8>),
        seal: impl FnOnce(&[u8]) -> Hash,
    ) -> Hash {
        let len_at = self.out.len();
        self.out.extend_from_slice(&[0; 4]);
        encode(&mut self.out);
        let canonical = &self.out[len_at + 4..];
        let len = len_u32(canonical.len(), "canonical bytes");
        let hash = seal(canonical);
        self.out[len_at..len_at + 4].copy_from_slice(&len.to_be_bytes());
        self.out.extend_from_slice(&hash);
        self.event_count += 1;
        hash
    }

    /// The finished frame, CRC appended.
    pub fn finish(mut self) -> Vec<u8> {
        self.out[12..16].copy_from_slice(&self.event_count.to_be_bytes());
        let commands = len_u32(self.commands.len(), "a commit's command count");
        self.out.extend_from_slice(&commands.to_be_bytes());
        for c in &self.commands {
            self.out.extend_from_slice(c.command_id.0.as_bytes());
            self.out.extend_from_slice(&c.body_hash);
            self.out.extend_from_slice(&c.event_count.to_be_bytes());
        }
        let crc = crc32fast::hash(&self.out);
        self.out.extend_from_slice(&crc.to_be_bytes());
        self.out
    }
}

/// One event of a parsed frame: its canonical bytes, parsed in place, and
/// its stored hash.
#[derive(Clone, Copy, Debug)]
pub struct EventRef<'a> {
    /// The canonical bytes, as hashed.
    pub canonical: &'a [u8],
    /// The parsed envelope and payload.
    pub parsed: CanonicalRef<'a>,
    /// hash(position) as stored.
    pub hash: Hash,
}

/// A frame parsed in place, CRC verified.
#[derive(Clone, Debug)]
pub struct FrameRef<'a> {
    /// Position of its first event.
    pub first_position: u64,
    /// hash(first_position - 1).
    pub prev_hash: Hash,
    /// Commands, in order.
    pub commands: Vec<CommandEntry>,
    /// Events, in order.
    pub events: Vec<EventRef<'a>>,
}

/// Parses a frame in place, verifying its CRC.
pub fn parse_frame(bytes: &[u8]) -> Result<FrameRef<'_>, DecodeError> {
    if bytes.len() < 4 {
        return Err(DecodeError::Malformed("frame shorter than its checksum"));
    }
    let (body, crc) = bytes.split_at(bytes.len() - 4);
    let stored = u32::from_be_bytes([crc[0], crc[1], crc[2], crc[3]]);
    let computed = crc32fast::hash(body);
    if stored != computed {
        return Err(DecodeError::Checksum { stored, computed });
    }
    let mut r = Reader { bytes: body };
    if r.take(4)? != FRAME_MAGIC {
        return Err(DecodeError::Malformed("not a commit frame"));
    }
    let first_position = r.u64()?;
    let event_count = r.len()?;
    let prev_hash = r.array()?;
    // Counts come from stored bytes: reserve no more than the bytes left
    // could hold (an event takes at least its length, a minimal envelope
    // and its hash; a command entry 36 bytes).
    let mut events = Vec::with_capacity(event_count.min(r.bytes.len() / (4 + 32 + 64)));
    for _ in 0..event_count {
        let n = r.len()?;
        let canonical = r.take(n)?;
        let hash: Hash = r.array()?;
        events.push(EventRef {
            canonical,
            parsed: parse_canonical(canonical)?,
            hash,
        });
    }
    let command_count = r.len()?;
    let mut commands = Vec::with_capacity(command_count.min(r.bytes.len() / 36));
    for _ in 0..command_count {
        commands.push(CommandEntry {
            command_id: CommandId(r.uuid()?),
            body_hash: r.array()?,
            event_count: r.u32()?,
        });
    }
    if !r.bytes.is_empty() {
        return Err(DecodeError::Malformed("trailing bytes in frame"));
    }
    Ok(FrameRef {
        first_position,
        prev_hash,
        commands,
        events,
    })
}
