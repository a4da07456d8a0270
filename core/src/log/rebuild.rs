//! Opening the log: every frame is checked (CRC, layout, positions, the
//! command table against the envelopes, each commit naming the previous
//! one's last stored hash) and the write model, stream index and
//! idempotency records are folded from it. Recomputing the SHA-256 chain is
//! the scrub's work (`scrub.rs`), after open, or [`Ledger::verify`]'s.

use super::*;

/// Checks frames in order: each frame on its own ([`check_frame`]), then
/// that it continues the one before ([`ChainChecker::link`]).
pub(super) struct ChainChecker {
    pub(super) next_position: u64,
    pub(super) last_hash: Hash,
    /// A position whose hash to keep when a frame ends there.
    watch: Option<u64>,
    /// hash(watch), once linked.
    watched: Option<Hash>,
}

impl ChainChecker {
    pub(super) fn new() -> ChainChecker {
        ChainChecker::watching(None)
    }

    /// A checker that keeps hash(`watch`) if a frame ends there.
    fn watching(watch: Option<u64>) -> ChainChecker {
        ChainChecker {
            next_position: 1,
            last_hash: GENESIS_HASH,
            watch,
            watched: (watch == Some(0)).then_some(GENESIS_HASH),
        }
    }

    /// Checks the frame stored under `key` on its own, its SHA-256 chain
    /// included, then links it.
    pub(super) fn frame<'a>(
        &mut self,
        key: u64,
        bytes: &'a [u8],
    ) -> Result<FrameRef<'a>, OpenError> {
        self.expect(key)?;
        let frame = check_frame(key, bytes)?;
        check_hashes(key, &frame)?;
        self.link(key, &FrameEnds::from(&frame))?;
        Ok(frame)
    }

    /// Whether the next frame may be stored under `key`.
    fn expect(&self, key: u64) -> Result<(), OpenError> {
        if key == self.next_position {
            return Ok(());
        }
        Err(OpenError::Corrupt {
            position: self.next_position,
            reason: format!(
                "expected a commit starting at {}, found one at {key}",
                self.next_position
            ),
        })
    }

    /// Links a frame checked on its own to the ones before it, once
    /// [`ChainChecker::expect`] has accepted its key (callers check the key
    /// first, so that a misplaced frame is reported before what is inside
    /// it): it must name their last hash as its previous one.
    fn link(&mut self, key: u64, frame: &FrameEnds) -> Result<(), OpenError> {
        if frame.prev_hash != self.last_hash {
            return Err(OpenError::Corrupt {
                position: key,
                reason: "hash chain broken: the commit does not follow the previous one".into(),
            });
        }
        self.next_position = key + frame.events;
        self.last_hash = frame.last_hash;
        if self.watch == Some(self.next_position - 1) {
            self.watched = Some(self.last_hash);
        }
        Ok(())
    }
}

/// Checks the stored log from position 1 up to `head`, its SHA-256 chain
/// included, and that it ends exactly there with `head`'s hash: what
/// [`Ledger::verify`] and the scrub do. After each frame, `checked` is told
/// the last position it holds; returning `false` stops the check early.
/// `Ok(true)`: checked to the head; `Ok(false)`: stopped early.
pub(super) fn check_chain_to(
    store: &Store,
    head: &Head,
    mut checked: impl FnMut(u64) -> bool,
) -> Result<bool, OpenError> {
    let mut checker = ChainChecker::new();
    for item in store.frames_from(1)? {
        let (first, bytes) = item?;
        if first > head.position {
            break;
        }
        checker.frame(first, &bytes)?;
        if !checked(checker.next_position - 1) {
            return Ok(false);
        }
    }
    let end = checker.next_position - 1;
    if end != head.position || checker.last_hash != head.hash {
        return Err(OpenError::Corrupt {
            position: (end + 1).min(head.position),
            reason: format!(
                "hash chain broken: the stored log ends at {end}, the ledger's head is {} with another hash",
                head.position
            ),
        });
    }
    Ok(true)
}

/// What linking needs of a checked frame.
struct FrameEnds {
    prev_hash: Hash,
    last_hash: Hash,
    events: u64,
}

impl From<&FrameRef<'_>> for FrameEnds {
    fn from(frame: &FrameRef<'_>) -> FrameEnds {
        FrameEnds {
            prev_hash: frame.prev_hash,
            last_hash: frame.events.last().map_or(frame.prev_hash, |e| e.hash),
            events: len_u64(frame.events.len()),
        }
    }
}

/// Checks that every hash stored in a checked frame is the SHA-256 chain
/// from the frame's previous hash: what tells a record rewritten with a
/// matching CRC, as a forger would, from the one the ledger wrote.
pub(super) fn check_hashes(key: u64, frame: &FrameRef<'_>) -> Result<(), OpenError> {
    let mut prev = frame.prev_hash;
    for (position, e) in (key..).zip(&frame.events) {
        if event_hash(&prev, position, e.canonical) != e.hash {
            return Err(OpenError::Corrupt {
                position,
                reason: "hash chain broken: stored hash differs from SHA-256 of the event".into(),
            });
        }
        prev = e.hash;
    }
    Ok(())
}

/// Checks what a frame proves on its own without SHA-256: its CRC and
/// layout, that it holds the positions its key names, and that its command
/// table covers its events. Frames are independent here, so several threads
/// can check them.
fn check_frame(key: u64, bytes: &[u8]) -> Result<FrameRef<'_>, OpenError> {
    let corrupt = |position: u64, reason: String| OpenError::Corrupt { position, reason };
    let frame = parse_frame(bytes)
        .map_err(|e| corrupt(key, format!("commit record does not decode: {e}")))?;
    if frame.first_position != key {
        return Err(corrupt(
            key,
            format!(
                "record key {key} holds a commit for {}",
                frame.first_position
            ),
        ));
    }
    for (i, e) in frame.events.iter().enumerate() {
        let expected = key + len_u64(i);
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
    let events = len_u64(frame.events.len());
    if counted != events {
        return Err(corrupt(
            key,
            "command entries do not cover the commit's events".into(),
        ));
    }
    if events == 0 || frame.commands.iter().any(|c| c.event_count == 0) {
        return Err(corrupt(
            key,
            "a commit or a command without events was stored; the ledger never writes one".into(),
        ));
    }
    Ok(frame)
}

const READER_THREAD: &str = "arledger-reader";
const CHECKER_THREAD: &str = "arledger-checker";
const INVARIANTS_THREAD: &str = "arledger-invariants";

/// Frames waiting for each checker thread at open.
const CHECKER_QUEUE_MAX: usize = 4;
/// Checked frames from each checker waiting to be folded in order.
const CHECKED_QUEUE_MAX: usize = 4;
/// Folded frames on their way back to each checker to be freed (more are
/// freed by the folding thread).
const FOLDED_QUEUE_MAX: usize = 4;

/// Checker threads at open: one per core, within reason.
const CHECKERS_MAX: usize = 8;

/// What indexing needs of an event's envelope.
#[derive(Clone, Copy)]
struct Envelope {
    position: u64,
    stream_id: StreamId,
    stream_version: u64,
    command_id: CommandId,
    recorded_at: DateTime<Utc>,
}

/// A frame checked on its own and decoded, owning everything the ordered
/// part of the rebuild needs.
pub(super) struct CheckedFrame {
    ends: FrameEnds,
    commands: Vec<CommandEntry>,
    envelopes: Vec<Envelope>,
    events: Vec<Result<Event, PayloadError>>,
}

/// What a checker thread does with one frame: [`check_frame`], then copy
/// out the envelopes and decode the payloads.
pub(super) fn checked_frame(key: u64, bytes: &[u8]) -> Result<CheckedFrame, OpenError> {
    checked(key, bytes, false)
}

/// [`checked_frame`], and the frame's SHA-256 chain
/// (`LedgerOptions::check_chain_at_open`).
pub(super) fn checked_frame_and_hashes(key: u64, bytes: &[u8]) -> Result<CheckedFrame, OpenError> {
    checked(key, bytes, true)
}

fn checked(key: u64, bytes: &[u8], hashes: bool) -> Result<CheckedFrame, OpenError> {
    let frame = check_frame(key, bytes)?;
    if hashes {
        check_hashes(key, &frame)?;
    }
    let ends = FrameEnds::from(&frame);
    let envelopes = frame
        .events
        .iter()
        .map(|e| Envelope {
            position: e.parsed.position,
            stream_id: e.parsed.stream_id,
            stream_version: e.parsed.stream_version,
            command_id: e.parsed.command_id,
            recorded_at: e.parsed.recorded_at,
        })
        .collect();
    let events = frame.events.iter().map(|e| e.parsed.event()).collect();
    Ok(CheckedFrame {
        ends,
        commands: frame.commands,
        envelopes,
        events,
    })
}

/// What open rebuilt: the writer's state, the last hash, and the hash at
/// the position open was asked to watch, if a commit ended there.
pub(super) struct Rebuilt {
    pub(super) state: WriterState,
    pub(super) last_hash: Hash,
    pub(super) watched: Option<Hash>,
}

/// Reads the whole log, checks it, and folds the write model.
///
/// Frames are checked on their own (CRC, layout, positions, command table)
/// and decoded by one checker thread per core, frame n
/// going to checker n mod k; the calling thread takes them back in order,
/// links each to the one before, indexes streams and commands, and folds
/// the domain model. The hash at `watch` is kept (see [`Rebuilt`]).
/// `check` is what a checker does with each frame ([`checked_frame`], or
/// [`checked_frame_and_hashes`]; tests pass one that panics).
pub(super) fn rebuild(
    store: &Store,
    policy: CreditPolicy,
    watch: Option<u64>,
    check: fn(u64, &[u8]) -> Result<CheckedFrame, OpenError>,
) -> Result<Rebuilt, OpenError> {
    let checkers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .clamp(1, CHECKERS_MAX);
    let mut state = WriterState::new(policy);
    let mut checker = ChainChecker::watching(watch);
    std::thread::scope(|scope| {
        let mut lanes = Vec::with_capacity(checkers);
        for _ in 0..checkers {
            lanes.push(Lane::spawn(scope, check)?);
        }
        let (inputs, lanes): (Vec<_>, Vec<_>) = lanes.into_iter().unzip();
        let reader = std::thread::Builder::new()
            .name(READER_THREAD.into())
            .spawn_scoped(scope, move || read_frames(store, &inputs))
            .map_err(OpenError::Thread)?;
        let folded = fold_frames(&mut state, &mut checker, &lanes);
        // Dropping the receivers lets blocked checkers and the reader end.
        let handles: Vec<_> = lanes.into_iter().map(|lane| lane.handle).collect();
        let read = reader.join();
        // Every thread is joined, so that a panic comes back as an error
        // here instead of as a panic of the whole scope.
        let joined: Vec<bool> = handles.into_iter().map(|h| h.join().is_ok()).collect();
        let checked = joined.into_iter().all(|ok| ok);
        // Problems in log order: what the fold met first, then a thread
        // that died before handing over its frame, then the storage.
        let frames = folded?;
        let stopped = |what: &str| OpenError::Corrupt {
            position: checker.next_position,
            reason: format!("the log {what} thread panicked while opening"),
        };
        match read {
            Err(_) => Err(stopped("reader")),
            Ok(_) if !checked => Err(stopped("checker")),
            Ok(Ok(sent)) if sent == frames => Ok(()),
            Ok(Ok(_)) => Err(stopped("checker")),
            Ok(Err(e)) => Err(e),
        }
    })?;
    assert_eq!(
        state.next_position, checker.next_position,
        "the books end where the linked frames do"
    );
    // The running totals folded must equal a recomputation from the
    // documents: a difference is a bug in the fold, not in the log (debug
    // builds already checked this after every event).
    if let Err(broken) = state.model.check_invariants_joined(join) {
        panic!("the write model open rebuilt breaks an invariant: {broken}");
    }
    Ok(Rebuilt {
        state,
        last_hash: checker.last_hash,
        watched: checker.watched,
    })
}

/// Runs `a` on a thread of its own and `b` on this one; both here if no
/// thread can be started.
fn join(a: &Half<'_>, b: &Half<'_>) -> (Tally, Tally) {
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name(INVARIANTS_THREAD.into())
            .spawn_scoped(scope, a);
        let b = b();
        let a = match spawned {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(_) => a(),
        };
        (a, b)
    })
}

/// One checker thread and the queues from the reader and to the fold.
struct Lane<'scope> {
    checked: Receiver<(u64, Result<CheckedFrame, OpenError>)>,
    /// Folded frames go back to be freed by the thread that allocated them.
    folded: SyncSender<CheckedFrame>,
    handle: std::thread::ScopedJoinHandle<'scope, ()>,
}

impl<'scope> Lane<'scope> {
    /// Starts a checker running `check` on each frame it is sent; returns
    /// the queue to send it frames and its lane.
    fn spawn<'env>(
        scope: &'scope std::thread::Scope<'scope, 'env>,
        check: fn(u64, &[u8]) -> Result<CheckedFrame, OpenError>,
    ) -> Result<(SyncSender<(u64, FrameBytes)>, Lane<'scope>), OpenError> {
        let (frames_tx, frames) = mpsc::sync_channel::<(u64, FrameBytes)>(CHECKER_QUEUE_MAX);
        let (checked_tx, checked) = mpsc::sync_channel(CHECKED_QUEUE_MAX);
        let (folded, folded_rx) = mpsc::sync_channel::<CheckedFrame>(FOLDED_QUEUE_MAX);
        let handle = std::thread::Builder::new()
            .name(CHECKER_THREAD.into())
            .spawn_scoped(scope, move || {
                check_frames(check, &frames, &checked_tx, &folded_rx)
            })
            .map_err(OpenError::Thread)?;
        let lane = Lane {
            checked,
            folded,
            handle,
        };
        Ok((frames_tx, lane))
    }
}

/// A checker thread's body: checks each frame it is sent, until the
/// reader or the fold is gone. Folded frames come back to be freed here,
/// by the thread that allocated them, off the in-order thread.
fn check_frames(
    check: fn(u64, &[u8]) -> Result<CheckedFrame, OpenError>,
    frames: &Receiver<(u64, FrameBytes)>,
    checked: &SyncSender<(u64, Result<CheckedFrame, OpenError>)>,
    folded: &Receiver<CheckedFrame>,
) {
    for (key, bytes) in frames {
        folded.try_iter().for_each(drop);
        if checked.send((key, check(key, &bytes))).is_err() {
            break;
        }
    }
}

/// The reader thread's body: hands frame n to checker n mod k; returns how
/// many frames it handed out, or the storage error that stopped it.
fn read_frames(
    store: &Store,
    checkers: &[SyncSender<(u64, FrameBytes)>],
) -> Result<usize, OpenError> {
    let mut sent = 0usize;
    for item in store.frames_from(1)? {
        let frame = item.map_err(OpenError::from)?;
        if checkers[sent % checkers.len()].send(frame).is_err() {
            break;
        }
        sent += 1;
    }
    Ok(sent)
}

/// Takes checked frames back in order (frame n from checker n mod k) and
/// links and books them, so that the first bad position is the one
/// reported. Returns how many frames were folded.
fn fold_frames(
    state: &mut WriterState,
    checker: &mut ChainChecker,
    lanes: &[Lane<'_>],
) -> Result<usize, OpenError> {
    let mut frames = 0usize;
    while let Ok((key, checked)) = lanes[frames % lanes.len()].checked.recv() {
        checker.expect(key)?;
        let frame = checked?;
        checker.link(key, &frame.ends)?;
        book_frame(state, &frame)?;
        // A checker with a backlog of them, or one that has stopped, does
        // not take it back: then it is freed here.
        let _ = lanes[frames % lanes.len()].folded.try_send(frame);
        frames += 1;
    }
    Ok(frames)
}

/// Books a linked frame's commands and their events, in order, through the
/// same bookkeeping as the live writer.
fn book_frame(state: &mut WriterState, frame: &CheckedFrame) -> Result<(), OpenError> {
    let mut events = frame.envelopes.iter().zip(&frame.events);
    for entry in &frame.commands {
        let first_position = state.next_position;
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
            book_event(state, e, event)?;
        }
        let record = CommandRecord {
            first_position,
            event_count: entry.event_count,
        };
        state
            .record_command(entry.command_id, record)
            .map_err(|e| OpenError::Corrupt {
                position: record.first_position,
                reason: e.to_string(),
            })?;
    }
    Ok(())
}

/// Books one stored event through the same bookkeeping as the live
/// writer; it must be decodable, take the next position and be its
/// stream's next version. An event the code cannot fold, even by panicking
/// (an amount so large a sum overflows, in a forged log), is the log and
/// the code disagreeing at that position.
fn book_event(
    state: &mut WriterState,
    e: &Envelope,
    event: &Result<Event, PayloadError>,
) -> Result<(), OpenError> {
    let corrupt = |reason: String| OpenError::Corrupt {
        position: e.position,
        reason,
    };
    let event = event.as_ref().map_err(|err| corrupt(err.to_string()))?;
    let booked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        state.fold_event(e.stream_id, e.recorded_at, event)
    }));
    let slot = match booked {
        Ok(Ok(slot)) => slot,
        Ok(Err(err)) => return Err(corrupt(err.to_string())),
        Err(panic) => {
            return Err(corrupt(format!(
                "the event cannot be folded: {}",
                panic_message(panic.as_ref())
            )));
        }
    };
    // Positions were checked frame by frame and linked before.
    assert_eq!(e.position, slot.position, "positions are checked first");
    // (The state is dropped with the failed open: checking the version
    // after booking costs no second lookup of the stream.)
    if e.stream_version != slot.stream_version {
        return Err(corrupt(format!(
            "stream {} jumps to version {}, expected {}",
            e.stream_id, e.stream_version, slot.stream_version
        )));
    }
    Ok(())
}
