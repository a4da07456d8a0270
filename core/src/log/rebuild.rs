//! Opening the log: every frame is checked (CRC, positions, the SHA-256
//! chain, the command table against the envelopes) and the write model,
//! stream index and idempotency records are folded from it.

use super::*;

/// Checks frames in order: CRC, positions, and the hash chain.
pub(super) struct ChainChecker {
    pub(super) next_position: u64,
    pub(super) last_hash: Hash,
}

impl ChainChecker {
    pub(super) fn new() -> ChainChecker {
        ChainChecker {
            next_position: 1,
            last_hash: GENESIS_HASH,
        }
    }

    pub(super) fn frame<'a>(
        &mut self,
        key: u64,
        bytes: &'a [u8],
    ) -> Result<FrameRef<'a>, OpenError> {
        let corrupt = |position: u64, reason: String| OpenError::Corrupt { position, reason };
        if key != self.next_position {
            return Err(corrupt(
                self.next_position,
                format!(
                    "expected a commit starting at {}, found one at {key}",
                    self.next_position
                ),
            ));
        }
        let frame = parse_frame(bytes)
            .map_err(|e| corrupt(key, format!("commit record does not decode: {e}")))?;
        let mut prev = self.last_hash;
        for (position, e) in (key..).zip(&frame.events) {
            let content: Hash = Sha256::digest(e.canonical).into();
            if chain_hash(&prev, position, &content) != e.hash {
                return Err(corrupt(
                    position,
                    "hash chain broken: stored hash differs from SHA-256 of the event".into(),
                ));
            }
            prev = e.hash;
        }
        if frame.first_position != key {
            return Err(corrupt(
                key,
                format!(
                    "record key {key} holds a commit for {}",
                    frame.first_position
                ),
            ));
        }
        if frame.prev_hash != self.last_hash {
            return Err(corrupt(
                key,
                "hash chain broken: the commit does not follow the previous one".into(),
            ));
        }
        for (i, e) in frame.events.iter().enumerate() {
            let expected = key + u64::try_from(i).unwrap_or(u64::MAX);
            if e.parsed.position != expected {
                return Err(corrupt(
                    expected,
                    format!("event holds position {}", e.parsed.position),
                ));
            }
        }
        let counted: u64 = frame
            .commands
            .iter()
            .map(|c| u64::from(c.event_count))
            .sum();
        let events = u64::try_from(frame.events.len()).unwrap_or(u64::MAX);
        if counted != events {
            return Err(corrupt(
                key,
                "command entries do not cover the commit's events".into(),
            ));
        }
        if events == 0 || frame.commands.iter().any(|c| c.event_count == 0) {
            return Err(corrupt(
                key,
                "a commit or a command without events was stored; the ledger never writes one"
                    .into(),
            ));
        }
        self.next_position = key + events;
        self.last_hash = prev;
        Ok(frame)
    }
}

const READER_THREAD: &str = "arledger-reader";

/// Frames checked and decoded, waiting to be folded at open.
const REBUILD_QUEUE_MAX: usize = 4;

/// What folding needs of an event's envelope (no heap data: the stored
/// event itself is dropped on the reader thread).
#[derive(Clone, Copy)]
struct Envelope {
    position: u64,
    stream_id: StreamId,
    stream_version: u64,
    command_id: CommandId,
    recorded_at: DateTime<Utc>,
}

/// A checked frame: its first position, command table, and each event's
/// envelope with its decoded payload.
struct CheckedFrame {
    first_position: u64,
    commands: Vec<CommandEntry>,
    events: Vec<(Envelope, Result<Event, PayloadError>)>,
}

/// Reads the whole log, checks it, and folds the write model. Reading,
/// checking (CRC, SHA-256 chain) and payload decoding run on one thread,
/// folding on another, so the two cores share the work.
pub(super) fn rebuild(
    store: &Store,
    policy: CreditPolicy,
) -> Result<(WriterState, Hash), OpenError> {
    let mut state = WriterState {
        model: WriteModel::new(policy),
        streams: FxHashMap::default(),
        commands: FxHashMap::default(),
        next_position: 1,
        last_recorded_at: None,
    };
    let (tx, rx) = mpsc::sync_channel::<Result<CheckedFrame, OpenError>>(REBUILD_QUEUE_MAX);
    let checked = std::thread::scope(|scope| {
        let reader = std::thread::Builder::new()
            .name(READER_THREAD.into())
            .spawn_scoped(scope, move || {
                let mut checker = ChainChecker::new();
                for item in store.frames_from(1) {
                    let checked = item.map_err(OpenError::from).and_then(|(key, bytes)| {
                        let frame = checker.frame(key, &bytes)?;
                        let events = frame
                            .events
                            .iter()
                            .map(|e| {
                                let e = &e.parsed;
                                let envelope = Envelope {
                                    position: e.position,
                                    stream_id: e.stream_id,
                                    stream_version: e.stream_version,
                                    command_id: e.command_id,
                                    recorded_at: e.recorded_at,
                                };
                                (envelope, e.event())
                            })
                            .collect();
                        Ok(CheckedFrame {
                            first_position: frame.first_position,
                            commands: frame.commands,
                            events,
                        })
                    });
                    let failed = checked.is_err();
                    if tx.send(checked).is_err() || failed {
                        break;
                    }
                }
                (checker.next_position, checker.last_hash)
            });
        let reader = match reader {
            Ok(reader) => reader,
            Err(e) => return Err(OpenError::Thread(e)),
        };
        let folded = fold_frames(&mut state, &rx);
        // Dropping the receiver lets a reader blocked on a full queue end.
        drop(rx);
        let checked = reader.join();
        folded.map(|()| checked)
    })?;
    let (next_position, last_hash) = checked.map_err(|_| OpenError::Corrupt {
        position: state.next_position,
        reason: "the log reader thread panicked".into(),
    })?;
    state.next_position = next_position;
    Ok((state, last_hash))
}

fn fold_frames(
    state: &mut WriterState,
    rx: &Receiver<Result<CheckedFrame, OpenError>>,
) -> Result<(), OpenError> {
    while let Ok(checked) = rx.recv() {
        let frame = checked?;
        let event_count = u64::try_from(frame.events.len()).unwrap_or(u64::MAX);
        let mut events = frame.events.into_iter();
        for entry in &frame.commands {
            let mut first = None;
            for _ in 0..entry.event_count {
                let Some((e, event)) = events.next() else {
                    break;
                };
                if e.command_id != entry.command_id {
                    return Err(OpenError::Corrupt {
                        position: e.position,
                        reason: format!(
                            "the commit's command table names command {} for an event of command {}",
                            entry.command_id.0, e.command_id.0
                        ),
                    });
                }
                first.get_or_insert(e.position);
                let event = event.map_err(|err| OpenError::Corrupt {
                    position: e.position,
                    reason: err.to_string(),
                })?;
                fold(state, &e, &event)?;
            }
            let record = CommandRecord {
                body_hash: entry.body_hash,
                first_position: first.unwrap_or(frame.first_position),
                event_count: entry.event_count,
            };
            if state.commands.insert(entry.command_id, record).is_some() {
                return Err(OpenError::Corrupt {
                    position: record.first_position,
                    reason: format!("command {} was stored twice", entry.command_id.0),
                });
            }
        }
        state.next_position = frame.first_position + event_count;
    }
    Ok(())
}

fn fold(state: &mut WriterState, e: &Envelope, event: &Event) -> Result<(), OpenError> {
    let corrupt = |reason: String| OpenError::Corrupt {
        position: e.position,
        reason,
    };
    let positions = state.streams.entry(e.stream_id).or_default();
    let expected = u64::try_from(positions.len()).unwrap_or(u64::MAX) + 1;
    if e.stream_version != expected {
        return Err(corrupt(format!(
            "stream {} jumps to version {}, expected {expected}",
            e.stream_id, e.stream_version
        )));
    }
    positions.push(e.position);
    state
        .model
        .apply(event)
        .map_err(|err| corrupt(err.to_string()))?;
    if state.last_recorded_at.is_some_and(|t| e.recorded_at < t) {
        return Err(corrupt("recorded_at goes backwards".into()));
    }
    state.last_recorded_at = Some(e.recorded_at);
    Ok(())
}
