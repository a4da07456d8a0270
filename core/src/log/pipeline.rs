//! The append pipeline: the writer decides and folds, the framer encodes,
//! hashes and writes each commit to sled, the flusher makes everything
//! written durable with one flush and then acknowledges, in order.

use chrono::SubsecRound;

use super::*;

/// Largest event buffer the writer keeps for reuse (events, not bytes).
const PENDING_EVENTS_KEPT_MAX: usize = 16 * 1024;

/// An accepted event waiting to be encoded by the framer.
struct PendingEvent {
    event: Event,
    stream_id: StreamId,
    stream_version: u64,
    event_id: EventId,
    /// Which submission produced it: (batch, index in the batch).
    submission: (usize, usize),
}

/// A decided commit on its way to the framer, which encodes, hashes and
/// writes it: that work overlaps with deciding the next commit on the
/// writer thread, and the submissions are dropped there too.
struct Pending {
    first_position: u64,
    /// recorded_at of this commit's events (the head's, once it is durable).
    recorded_at: DateTime<Utc>,
    batches: Vec<Vec<(Submission, BodyHash)>>,
    events: Vec<PendingEvent>,
    commands: Vec<CommandEntry>,
    replies: Vec<(Completion, Vec<Decision>)>,
}

enum Decision {
    Accepted(Outcome),
    /// A command id seen before: the flusher compares the body with the
    /// one stored in the original's commit and answers from there.
    Repeat {
        command_id: CommandId,
        body_hash: BodyHash,
        user_id: String,
        record: CommandRecord,
    },
    Refused(CommandError),
}

pub(super) fn writer_loop(
    shared: &Arc<Shared>,
    clock: &dyn Clock,
    rx: &Receiver<Request>,
    commit_max: usize,
) {
    let (frame_tx, frame_rx) = mpsc::sync_channel::<Pending>(FLUSH_QUEUE_MAX);
    // The framer hands encoded events back, so that they are freed by the
    // thread that allocated them (cheaper than freeing across threads).
    let (spent_tx, spent_rx) = mpsc::sync_channel::<Vec<PendingEvent>>(FLUSH_QUEUE_MAX);
    let framer_shared = Arc::clone(shared);
    let framer = std::thread::Builder::new()
        .name(FRAMER_THREAD.into())
        .spawn(move || {
            let last_hash = framer_shared.head().hash;
            framer_loop(&framer_shared, &frame_rx, &spent_tx, last_hash);
        });
    let framer = match framer {
        Ok(f) => f,
        Err(e) => {
            let why = shared.stop_until_reopen(format!("cannot start the framer thread: {e}"));
            while let Ok(request) = rx.recv() {
                complete(request.done, Err(LogError::Poisoned(why.clone())));
            }
            return;
        }
    };
    // Event buffers come back from the framer and are reused: a fresh one
    // per commit would be fresh memory for the kernel to fault in and zero.
    let mut spare: Vec<Vec<PendingEvent>> = Vec::new();
    while let Ok(first) = rx.recv() {
        for mut events in spent_rx.try_iter() {
            if spare.len() < FLUSH_QUEUE_MAX && events.capacity() <= PENDING_EVENTS_KEPT_MAX {
                events.clear();
                spare.push(events);
            }
        }
        let mut requests = vec![first];
        let mut commands = requests[0].batch.len();
        while commands < commit_max {
            match rx.try_recv() {
                Ok(r) => {
                    commands += r.batch.len();
                    requests.push(r);
                }
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        if let Some(why) = shared.poisoned() {
            for r in requests {
                complete(r.done, Err(LogError::Poisoned(why.clone())));
            }
            continue;
        }
        // A panic while deciding means a broken invariant (the model and the
        // rules disagree): stop accepting commands rather than die silently.
        let (batches, dones): (Vec<_>, Vec<_>) =
            requests.into_iter().map(|r| (r.batch, r.done)).unzip();
        let decided = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let events = spare.pop().unwrap_or_default();
            decide_commit(shared, clock, &batches, events)
        }));
        let pending = match decided {
            Ok((pending, decisions)) => Pending {
                batches,
                replies: dones.into_iter().zip(decisions).collect(),
                ..pending
            },
            Err(panic) => {
                let why = shared.stop_until_reopen(format!(
                    "internal error while deciding a commit: {}",
                    panic_message(panic.as_ref())
                ));
                for done in dones {
                    complete(done, Err(LogError::Poisoned(why.clone())));
                }
                continue;
            }
        };
        if let Err(mpsc::SendError(p)) = frame_tx.send(pending) {
            for (done, _) in p.replies {
                complete(done, Err(LogError::Closed));
            }
        }
    }
    drop(frame_tx);
    let _ = framer.join();
}

/// Decides every command of the gathered batches against the write model
/// and folds the accepted ones in. Returns the commit (without its
/// submissions and completions) and each batch's decisions.
fn decide_commit(
    shared: &Shared,
    clock: &dyn Clock,
    batches: &[Vec<(Submission, BodyHash)>],
    mut pending_events: Vec<PendingEvent>,
) -> (Pending, Vec<Vec<Decision>>) {
    let mut guard = shared.state();
    let state = &mut *guard;
    // recorded_at never goes backwards, whatever the clock does; it is kept
    // to the microsecond the log stores, so the live head and events equal
    // what a reopen reads back.
    let now = clock.now().trunc_subsecs(6);
    let recorded_at = match state.last_recorded_at {
        Some(last) if last > now => last,
        _ => now,
    };
    let first_position = state.next_position;
    pending_events.clear();
    let mut commands = Vec::new();
    let context = Context {
        recorded_on: Some(recorded_at.date_naive()),
    };
    let mut replies = Vec::with_capacity(batches.len());
    for (batch_index, batch) in batches.iter().enumerate() {
        let mut decisions = Vec::with_capacity(batch.len());
        for (index, (s, body_hash)) in batch.iter().enumerate() {
            if let Some(record) = state.commands.get(&s.command_id) {
                decisions.push(if !s.command.permits(s.actor.role) {
                    // A repeat must not reveal another user's outcome to
                    // a role that could not have run the command.
                    Decision::Refused(s.command.forbidden_for(s.actor.role))
                } else {
                    Decision::Repeat {
                        command_id: s.command_id,
                        body_hash: *body_hash,
                        user_id: s.actor.user_id.clone(),
                        record: *record,
                    }
                });
                continue;
            }
            let user_id = s.actor.user_id.trim();
            if user_id.is_empty() || s.actor.user_id.len() > codec::USER_ID_LEN_MAX {
                decisions.push(Decision::Refused(CommandError::InvalidInput {
                    field: "actor.user_id".into(),
                    reason: format!("must be 1 to {} bytes", codec::USER_ID_LEN_MAX),
                }));
                continue;
            }
            let events = match decide_in(&state.model, &s.actor, &s.command, context) {
                Ok(events) => events,
                Err(e) => {
                    decisions.push(Decision::Refused(e));
                    continue;
                }
            };
            assert!(
                !events.is_empty() && events.len() <= EVENTS_PER_COMMAND_MAX,
                "decide produced {} events for {}",
                events.len(),
                s.command.name()
            );
            let stream_id = events[0].stream_id();
            assert!(
                events.iter().all(|e| e.stream_id() == stream_id),
                "a command's events share one stream"
            );
            let version = state
                .streams
                .get(&stream_id)
                .map_or(0, |p| u64::try_from(p.len()).unwrap_or(u64::MAX));
            let conflict = match s.expected_version {
                ExpectedVersion::Any => None,
                ExpectedVersion::NoStream if version == 0 => None,
                ExpectedVersion::NoStream => Some("no stream".to_string()),
                ExpectedVersion::Exact(v) if v == version => None,
                ExpectedVersion::Exact(v) => Some(v.to_string()),
            };
            if let Some(expected) = conflict {
                decisions.push(Decision::Refused(CommandError::ConcurrencyConflict {
                    stream: stream_id.to_string(),
                    expected,
                    actual: version,
                }));
                continue;
            }
            // Only shipments and recalls can carry enough serials and UDIs
            // to outgrow an event; measure them before folding, so that an
            // oversized command is refused while the model is untouched.
            let largest = events
                .iter()
                .filter(|e| matches!(e, Event::OrderShipped(_) | Event::RecallIssued(_)))
                .map(|e| e.payload_len())
                .max()
                .unwrap_or(0);
            if largest > EVENT_PAYLOAD_BYTES_MAX {
                decisions.push(Decision::Refused(CommandError::InvalidInput {
                    field: s.command.name().into(),
                    reason: format!(
                        "the command would record {largest} bytes in one event; at most {EVENT_PAYLOAD_BYTES_MAX}: split it"
                    ),
                }));
                continue;
            }
            let command_first = state.next_position;
            let mut event_ids = Vec::with_capacity(events.len());
            let event_count = u32::try_from(events.len()).unwrap_or(u32::MAX);
            for event in events {
                if let Err(e) = state.model.apply(&event) {
                    // decide accepted what apply cannot fold: the model is
                    // now inconsistent, so the ledger must stop here.
                    panic!(
                        "write model invariant broken after decide accepted {}: {e}",
                        s.command.name()
                    );
                }
                let positions = state.streams.entry(stream_id).or_default();
                positions.push(state.next_position);
                let event_id = EventId(Uuid::new_v4());
                pending_events.push(PendingEvent {
                    event,
                    stream_id,
                    stream_version: u64::try_from(positions.len()).unwrap_or(u64::MAX),
                    event_id,
                    submission: (batch_index, index),
                });
                state.next_position += 1;
                event_ids.push(event_id);
            }
            let record = CommandRecord {
                first_position: command_first,
                event_count,
            };
            state.commands.insert(s.command_id, record);
            commands.push(CommandEntry {
                command_id: s.command_id,
                body_hash: *body_hash,
                event_count,
            });
            decisions.push(Decision::Accepted(Outcome {
                first_position: command_first,
                last_position: state.next_position - 1,
                event_ids,
                duplicate: false,
            }));
        }
        replies.push(decisions);
    }
    if !pending_events.is_empty() {
        state.last_recorded_at = Some(recorded_at);
    }
    let pending = Pending {
        first_position,
        recorded_at,
        batches: Vec::new(),
        events: pending_events,
        commands,
        replies: Vec::new(),
    };
    (pending, replies)
}

/// A commit written to sled but not yet flushed, on its way to the flusher.
struct Written {
    /// The head once this commit is durable; `None` when it appended nothing.
    head: Option<Head>,
    replies: Vec<(Completion, Vec<Decision>)>,
    /// The commit's submissions, freed by the flusher after it answered:
    /// freeing them is work the framer, the busiest stage, need not do.
    batches: Vec<Vec<(Submission, BodyHash)>>,
}

fn reply_all(replies: Vec<(Completion, Vec<Decision>)>, error: impl Fn() -> LogError) {
    for (done, _) in replies {
        complete(done, Err(error()));
    }
}

/// Hashes, frames and writes each decided commit to sled (not yet durable),
/// then hands it to the flusher: hashing and inserting commit n+1 overlaps
/// with waiting for the disk on commit n.
fn framer_loop(
    shared: &Arc<Shared>,
    rx: &Receiver<Pending>,
    spent: &SyncSender<Vec<PendingEvent>>,
    mut last_hash: Hash,
) {
    let (tx, flush_rx) = mpsc::sync_channel::<Written>(FLUSH_QUEUE_MAX);
    let flusher_shared = Arc::clone(shared);
    let flusher = std::thread::Builder::new()
        .name(FLUSHER_THREAD.into())
        .spawn(move || flusher_loop(&flusher_shared, &flush_rx));
    let flusher = match flusher {
        Ok(f) => f,
        Err(e) => {
            let why = shared.stop_until_reopen(format!("cannot start the flusher thread: {e}"));
            while let Ok(pending) = rx.recv() {
                reply_all(pending.replies, || LogError::Poisoned(why.clone()));
            }
            return;
        }
    };
    let mut payload = Vec::with_capacity(1024);
    // The frame buffer is reused from commit to commit (sled copies it).
    let mut buffer = Vec::new();
    while let Ok(pending) = rx.recv() {
        if let Some(why) = shared.poisoned() {
            reply_all(pending.replies, || LogError::Poisoned(why.clone()));
            continue;
        }
        let mut head = None;
        if !pending.events.is_empty() {
            let mut frame = FrameBuilder::new(
                pending.first_position,
                last_hash,
                std::mem::take(&mut buffer),
            );
            let mut position = pending.first_position;
            let mut unencodable = None;
            for e in &pending.events {
                payload.clear();
                if let Err(err) = e.event.encode_payload(&mut payload) {
                    unencodable = Some(format!("event at {position} does not encode: {err}"));
                    break;
                }
                let (batch, index) = e.submission;
                let s = &pending.batches[batch][index].0;
                let fields = CanonicalRef {
                    position,
                    stream_id: e.stream_id,
                    stream_version: e.stream_version,
                    event_id: e.event_id,
                    event_type: e.event.type_name(),
                    schema_version: e.event.schema_version(),
                    recorded_at: pending.recorded_at,
                    command_id: s.command_id,
                    user_id: &s.actor.user_id,
                    role: s.actor.role,
                    correlation_id: s.correlation_id,
                    payload: &payload,
                };
                last_hash = frame.push_event(
                    |out| encode_canonical(&fields, out),
                    |canonical| event_hash(&last_hash, position, canonical),
                );
                position += 1;
            }
            if let Some(what) = unencodable {
                let why = shared.stop_until_reopen(what);
                reply_all(pending.replies, || LogError::Poisoned(why.clone()));
                continue;
            }
            for entry in &pending.commands {
                frame.push_command(*entry);
            }
            let frame = frame.finish();
            let stored = shared.store.put(pending.first_position, &frame);
            buffer = frame;
            if let Err(e) = stored {
                let why = shared.stop_until_reopen(e);
                reply_all(pending.replies, || LogError::Poisoned(why.clone()));
                continue;
            }
            head = Some(Head {
                position: position - 1,
                hash: last_hash,
                recorded_at: Some(pending.recorded_at),
            });
        }
        // If the writer is busy with a backlog of them, or has stopped,
        // they are simply freed here.
        let _ = spent.try_send(pending.events);
        let written = Written {
            head,
            replies: pending.replies,
            batches: pending.batches,
        };
        if let Err(mpsc::SendError(w)) = tx.send(written) {
            reply_all(w.replies, || LogError::Closed);
        }
    }
    drop(tx);
    let _ = flusher.join();
}

/// Flushes everything written so far with one `flush`, then advances the
/// durable head, wakes subscribers and acknowledges, in commit order. A
/// reply that repeats a command id from a commit the scrub has not checked
/// yet goes to a thread of its own, which waits for the scrub: the other
/// acknowledgements do not wait with it.
fn flusher_loop(shared: &Arc<Shared>, rx: &Receiver<Written>) {
    // Started the first time a repeat must wait (so only after an open
    // whose scrub is still running).
    let mut repeats: Option<Repeats> = None;
    while let Ok(first) = rx.recv() {
        // Every commit already handed over was written before it was sent,
        // so one flush makes all of them durable.
        let mut batch = vec![first];
        while let Ok(more) = rx.try_recv() {
            batch.push(more);
        }
        if let Some(why) = shared.poisoned() {
            for w in batch {
                reply_all(w.replies, || LogError::Poisoned(why.clone()));
            }
            continue;
        }
        let last_head = batch.iter().rev().find_map(|w| w.head);
        if let Some(head) = last_head {
            // The acknowledged head is recorded once durable, before anyone
            // is told, so that open can tell a lost tail (see `store`).
            let durable = shared.store.flush().and_then(|()| {
                shared.store.record_head(&AcknowledgedHead {
                    position: head.position,
                    hash: head.hash,
                })
            });
            if let Err(e) = durable {
                let why = shared.stop_until_reopen(e);
                for w in batch {
                    reply_all(w.replies, || LogError::Poisoned(why.clone()));
                }
                continue;
            }
            *shared.head.lock().unwrap_or_else(|e| e.into_inner()) = head;
            shared.head_changed.notify_all();
        }
        let mut answered = Vec::with_capacity(batch.len());
        for w in batch {
            answered.push(w.batches);
            for (done, decisions) in w.replies {
                let waits = decisions.iter().any(|d| match d {
                    Decision::Repeat { record, .. } => !shared.answerable(record.last_position()),
                    Decision::Accepted(_) | Decision::Refused(_) => false,
                });
                if waits && repeats.is_none() {
                    repeats = start_repeats(shared);
                }
                match &repeats {
                    Some((tx, _)) if waits => {
                        if let Err(mpsc::SendError((done, decisions))) = tx.send((done, decisions))
                        {
                            answer(shared, done, decisions);
                        }
                    }
                    _ => answer(shared, done, decisions),
                }
            }
        }
        // Freed once everyone is answered.
        drop(answered);
    }
    if let Some((tx, handle)) = repeats {
        drop(tx);
        let _ = handle.join();
    }
}

/// The thread answering replies that wait for the scrub, and its queue.
type Repeats = (mpsc::Sender<(Completion, Vec<Decision>)>, JoinHandle<()>);

/// Starts the repeats thread; `None` if it cannot start (such replies are
/// then answered on the flusher, waiting for the scrub there).
fn start_repeats(shared: &Arc<Shared>) -> Option<Repeats> {
    let (tx, rx) = mpsc::channel::<(Completion, Vec<Decision>)>();
    let repeats_shared = Arc::clone(shared);
    let started = std::thread::Builder::new()
        .name(REPEATS_THREAD.into())
        .spawn(move || {
            for (done, decisions) in rx {
                answer(&repeats_shared, done, decisions);
            }
        });
    match started {
        Ok(handle) => Some((tx, handle)),
        Err(e) => {
            tracing::warn!(error = %e, "cannot start the thread for repeated command ids");
            None
        }
    }
}

/// Answers one reply: accepted and refused commands as decided, repeated
/// command ids from their stored commits.
fn answer(shared: &Shared, done: Completion, decisions: Vec<Decision>) {
    let results = decisions
        .into_iter()
        .map(|d| match d {
            Decision::Accepted(outcome) => Ok(Ok(outcome)),
            Decision::Refused(e) => Ok(Err(e)),
            Decision::Repeat {
                command_id,
                body_hash,
                user_id,
                record,
            } => repeat_outcome(shared, command_id, &body_hash, &user_id, record),
        })
        .collect::<Result<Vec<_>, LogError>>();
    complete(done, results);
}

/// The answer to a repeated command id, from the original's commit (it is
/// durable: acknowledged, or flushed just before this): its original
/// outcome if the same user sent the same body, else a refusal. Binding a
/// command id to its user means that a body hash collision, which XXH3
/// does not rule out against someone who crafts one, could only ever be
/// used against one's own commands.
fn repeat_outcome(
    shared: &Shared,
    command_id: CommandId,
    body_hash: &BodyHash,
    user_id: &str,
    record: CommandRecord,
) -> Result<Result<Outcome, CommandError>, LogError> {
    let count = usize::try_from(record.event_count).unwrap_or(usize::MAX);
    let last_position = record.last_position();
    let gap = |found: usize| LogError::Gap {
        expected: record.first_position + u64::try_from(found).unwrap_or(0),
        found: last_position,
    };
    // The answer comes from the stored commit: right after open, only once
    // the scrub has checked it.
    shared.wait_checked(last_position)?;
    // A command's events all land in one commit.
    let Some(item) = shared.store.frames_from(record.first_position)?.next() else {
        return Err(gap(0));
    };
    let (first, bytes) = item?;
    let frame = parse_frame(&bytes).map_err(|source| LogError::Decode {
        position: first,
        source,
    })?;
    let Some(entry) = frame.commands.iter().find(|c| c.command_id == command_id) else {
        return Err(LogError::Decode {
            position: record.first_position,
            source: DecodeError::Malformed("the commit's command table lacks a command it holds"),
        });
    };
    let events: Vec<&CanonicalRef<'_>> = frame
        .events
        .iter()
        .map(|e| &e.parsed)
        .filter(|e| (record.first_position..=last_position).contains(&e.position))
        .collect();
    if events.len() != count {
        return Err(gap(events.len()));
    }
    let same_user = events.first().is_some_and(|e| e.user_id == user_id);
    if entry.body_hash != *body_hash || !same_user {
        return Ok(Err(CommandError::IdempotencyMismatch {
            command_id: command_id.to_string(),
        }));
    }
    let event_ids: Vec<EventId> = events.iter().map(|e| e.event_id).collect();
    Ok(Ok(Outcome {
        first_position: record.first_position,
        last_position,
        event_ids,
        duplicate: true,
    }))
}
