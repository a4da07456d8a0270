//! The writer thread: gathers waiting requests into one commit (group
//! commit), decides each command against the write model and books the
//! accepted ones (`bookkeeping.rs`), then hands the decided commit to the
//! framer. It is the only thread that changes the writer's state.

use super::*;

/// Largest event buffer the writer keeps for reuse (events, not bytes).
const PENDING_EVENTS_KEPT_MAX: usize = 16 * 1024;
/// Most event buffers the writer keeps for reuse.
const SPARE_BUFFERS_MAX: usize = 4;

/// An accepted event waiting to be encoded by the framer.
pub(super) struct PendingEvent {
    pub(super) event: Event,
    pub(super) stream_id: StreamId,
    pub(super) stream_version: u64,
    pub(super) event_id: EventId,
    /// Which submission produced it: (batch, index in the batch).
    pub(super) submission: (usize, usize),
}

/// A decided commit on its way to the framer, which encodes, hashes and
/// writes it: that work overlaps with deciding the next commit on the
/// writer thread.
pub(super) struct Pending {
    pub(super) first_position: u64,
    /// recorded_at of this commit's events (the head's, once it is durable).
    pub(super) recorded_at: DateTime<Utc>,
    pub(super) batches: Vec<Batch>,
    pub(super) events: Vec<PendingEvent>,
    pub(super) commands: Vec<CommandEntry>,
    pub(super) replies: Vec<Reply>,
}

/// One request's submissions with their body hashes.
pub(super) type Batch = Vec<(Submission, BodyHash)>;

/// A request's completion and the decision on each of its commands.
pub(super) type Reply = (Completion, Vec<Decision>);

/// What became of one command.
pub(super) enum Decision {
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

/// The writer's queues: requests in, decided commits out, and the framer's
/// spent event buffers back for reuse.
pub(super) struct WriterQueues {
    pub(super) requests: Receiver<Request>,
    pub(super) decided: SyncSender<Pending>,
    pub(super) spent: Receiver<Vec<PendingEvent>>,
}

/// The writer thread's body: runs until every request sender is gone.
pub(super) fn writer_loop(
    shared: &Shared,
    clock: &dyn Clock,
    queues: &WriterQueues,
    commit_max: usize,
) {
    // Event buffers come back from the framer and are reused: a fresh one
    // per commit would be fresh memory for the kernel to fault in and zero.
    let mut spare: Vec<Vec<PendingEvent>> = Vec::new();
    while let Ok(first) = queues.requests.recv() {
        keep_spent(&mut spare, &queues.spent);
        let requests = gather(&queues.requests, first, commit_max);
        let (batches, dones): (Vec<_>, Vec<_>) =
            requests.into_iter().map(|r| (r.batch, r.done)).unzip();
        let Some(dones) = shared.refuse_if_poisoned(dones) else {
            continue;
        };
        // A panic while deciding means a broken invariant (the model and the
        // rules disagree): stop accepting commands rather than die silently.
        let decided = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let events = spare.pop().unwrap_or_default();
            decide_commit(&mut shared.state(), clock, &batches, events)
        }));
        let pending = match decided {
            Ok((pending, decisions)) => Pending {
                batches,
                replies: dones.into_iter().zip(decisions).collect(),
                ..pending
            },
            Err(panic) => {
                let what = format!(
                    "internal error while deciding a commit: {}",
                    panic_message(panic.as_ref())
                );
                shared.stop_and_fail(what, dones);
                continue;
            }
        };
        if let Err(mpsc::SendError(p)) = queues.decided.send(pending) {
            fail_all(p.replies, || LogError::Closed);
        }
    }
}

/// Takes back the event buffers the framer is done with, keeping a few.
fn keep_spent(spare: &mut Vec<Vec<PendingEvent>>, spent: &Receiver<Vec<PendingEvent>>) {
    for mut events in spent.try_iter() {
        if spare.len() < SPARE_BUFFERS_MAX && events.capacity() <= PENDING_EVENTS_KEPT_MAX {
            events.clear();
            spare.push(events);
        }
    }
}

/// `first` and whatever else is waiting, up to `commit_max` commands.
fn gather(requests: &Receiver<Request>, first: Request, commit_max: usize) -> Vec<Request> {
    let mut commands = first.batch.len();
    let mut gathered = vec![first];
    while commands < commit_max {
        let Ok(more) = requests.try_recv() else {
            break;
        };
        commands += more.batch.len();
        gathered.push(more);
    }
    gathered
}

/// Decides every command of the gathered batches against the write model
/// and books the accepted ones. Returns the commit (without its
/// submissions and completions) and each batch's decisions.
fn decide_commit(
    state: &mut WriterState,
    clock: &dyn Clock,
    batches: &[Batch],
    mut events: Vec<PendingEvent>,
) -> (Pending, Vec<Vec<Decision>>) {
    let recorded_at = state.commit_time(clock.now());
    let first_position = state.next_position;
    events.clear();
    let mut commit = Commit {
        recorded_at,
        context: Context {
            recorded_on: Some(recorded_at.date_naive()),
        },
        events,
        commands: Vec::new(),
    };
    let replies = batches
        .iter()
        .enumerate()
        .map(|(b, batch)| {
            batch
                .iter()
                .enumerate()
                .map(|(i, (s, hash))| commit.decide(state, s, *hash, (b, i)))
                .collect()
        })
        .collect();
    let pending = Pending {
        first_position,
        recorded_at,
        batches: Vec::new(),
        events: commit.events,
        commands: commit.commands,
        replies: Vec::new(),
    };
    (pending, replies)
}

/// A commit being decided.
struct Commit {
    recorded_at: DateTime<Utc>,
    context: Context,
    events: Vec<PendingEvent>,
    commands: Vec<CommandEntry>,
}

impl Commit {
    /// Decides one command and, if it is accepted, books its events.
    fn decide(
        &mut self,
        state: &mut WriterState,
        s: &Submission,
        body_hash: BodyHash,
        submission: (usize, usize),
    ) -> Decision {
        if let Some(record) = state.commands.get(&s.command_id) {
            return repeated(s, body_hash, *record);
        }
        match accept(state, s, self.context) {
            Ok(events) => Decision::Accepted(self.book(state, s, body_hash, submission, events)),
            Err(refusal) => Decision::Refused(refusal),
        }
    }

    /// Books an accepted command's events and records the command.
    fn book(
        &mut self,
        state: &mut WriterState,
        s: &Submission,
        body_hash: BodyHash,
        submission: (usize, usize),
        events: Vec<Event>,
    ) -> Outcome {
        let first_position = state.next_position;
        let event_count = command_event_count(events.len());
        let mut event_ids = Vec::with_capacity(events.len());
        for event in events {
            let stream_id = event.stream_id();
            // decide accepted what the books cannot take: the model is now
            // inconsistent, so the ledger must stop here.
            let slot = match state.fold_event(stream_id, self.recorded_at, &event) {
                Ok(slot) => slot,
                Err(e) => panic!(
                    "write model invariant broken after decide accepted {}: {e}",
                    s.command.name()
                ),
            };
            let event_id = EventId(Uuid::new_v4());
            event_ids.push(event_id);
            self.events.push(PendingEvent {
                event,
                stream_id,
                stream_version: slot.stream_version,
                event_id,
                submission,
            });
        }
        let record = CommandRecord {
            first_position,
            event_count,
        };
        if let Err(e) = state.record_command(s.command_id, record) {
            panic!("a command accepted as new was booked before: {e}");
        }
        self.commands.push(CommandEntry {
            command_id: s.command_id,
            body_hash,
            event_count,
        });
        Outcome {
            first_position,
            last_position: record.last_position(),
            event_ids,
            duplicate: false,
        }
    }
}

/// The decision on a command id seen before.
fn repeated(s: &Submission, body_hash: BodyHash, record: CommandRecord) -> Decision {
    if !s.command.permits(s.actor.role) {
        // A repeat must not reveal another user's outcome to a role that
        // could not have run the command.
        return Decision::Refused(s.command.forbidden_for(s.actor.role));
    }
    Decision::Repeat {
        command_id: s.command_id,
        body_hash,
        user_id: s.actor.user_id.clone(),
        record,
    }
}

/// The events a new command produces, or why it is refused: the actor,
/// the rules, the expected stream version and the size of its events.
fn accept(
    state: &WriterState,
    s: &Submission,
    context: Context,
) -> Result<Vec<Event>, CommandError> {
    let user_id = s.actor.user_id.trim();
    if user_id.is_empty() || s.actor.user_id.len() > codec::USER_ID_LEN_MAX {
        return Err(CommandError::InvalidInput {
            field: "actor.user_id".into(),
            reason: format!("must be 1 to {} bytes", codec::USER_ID_LEN_MAX),
        });
    }
    let events = decide_in(&state.model, &s.actor, &s.command, context)?;
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
    expected_version(
        s.expected_version,
        stream_id,
        state.stream_version(stream_id),
    )?;
    payload_sizes(&s.command, &events)?;
    Ok(events)
}

/// Refuses a command whose stream is not at the version it expects.
fn expected_version(
    expected: ExpectedVersion,
    stream: StreamId,
    actual: u64,
) -> Result<(), CommandError> {
    let conflict = match expected {
        ExpectedVersion::Any => None,
        ExpectedVersion::NoStream if actual == 0 => None,
        ExpectedVersion::NoStream => Some("no stream".to_string()),
        ExpectedVersion::Exact(v) if v == actual => None,
        ExpectedVersion::Exact(v) => Some(v.to_string()),
    };
    match conflict {
        None => Ok(()),
        Some(expected) => Err(CommandError::ConcurrencyConflict {
            stream: stream.to_string(),
            expected,
            actual,
        }),
    }
}

/// Refuses a command that would record an event larger than the log takes.
/// Only shipments and recalls can carry enough serials and UDIs to outgrow
/// an event; they are measured before anything is booked, so that an
/// oversized command is refused while the model is untouched.
fn payload_sizes(command: &Command, events: &[Event]) -> Result<(), CommandError> {
    let largest = events
        .iter()
        .filter(|e| matches!(e, Event::OrderShipped(_) | Event::RecallIssued(_)))
        .map(Event::payload_len)
        .max();
    match largest {
        Some(len) if len > EVENT_PAYLOAD_BYTES_MAX => Err(CommandError::InvalidInput {
            field: command.name().into(),
            reason: format!(
                "the command would record {len} bytes in one event; at most {EVENT_PAYLOAD_BYTES_MAX}: split it"
            ),
        }),
        _ => Ok(()),
    }
}

/// A command's event count as the command table stores it (`decide` keeps
/// it at or below `EVENTS_PER_COMMAND_MAX`).
fn command_event_count(n: usize) -> u32 {
    match u32::try_from(n) {
        Ok(n) if n > 0 => n,
        _ => panic!("a command with {n} events cannot be recorded"),
    }
}
