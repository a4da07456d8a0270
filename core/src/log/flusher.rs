//! The flusher thread: makes every commit written so far durable with one
//! sled flush, records the acknowledged head, advances the durable head,
//! wakes subscribers and answers, in commit order. A reply that repeats a
//! command id from a commit the scrub has not checked yet goes to the
//! repeats thread, which waits for the scrub, so that the other
//! acknowledgements do not wait with it.

use super::*;

/// The flusher thread's body: runs until the framer is gone. `repeats` is
/// the repeats thread's queue, when one runs (only while a scrub may be
/// behind); without it a repeat is answered here.
pub(super) fn flusher_loop(
    shared: &Shared,
    written: &Receiver<Written>,
    repeats: Option<&SyncSender<Reply>>,
) {
    while let Ok(first) = written.recv() {
        // Every commit already handed over was written before it was sent,
        // so one flush makes all of them durable.
        let mut batch = vec![first];
        batch.extend(written.try_iter());
        let replies = batch
            .iter_mut()
            .flat_map(|w| std::mem::take(&mut w.replies));
        let Some(replies) = shared.refuse_if_poisoned(replies.collect()) else {
            continue;
        };
        if let Some(head) = batch.iter().rev().find_map(|w| w.head)
            && let Err(e) = make_durable(shared, head)
        {
            shared.stop_and_fail(e, replies);
            continue;
        }
        for reply in replies {
            answer_or_defer(shared, reply, repeats);
        }
        // The commits' submissions are freed once everyone is answered.
        drop(batch);
    }
}

/// Answers a reply now, or hands it to the repeats thread if it repeats a
/// command id from a commit the scrub has yet to check.
fn answer_or_defer(shared: &Shared, (done, decisions): Reply, repeats: Option<&SyncSender<Reply>>) {
    let waits = decisions.iter().any(|d| match d {
        Decision::Repeat { record, .. } => !shared.answerable(record.last_position()),
        Decision::Accepted(_) | Decision::Refused(_) => false,
    });
    let (done, decisions) = match repeats {
        // With the queue full (or the repeats thread gone), the flusher
        // answers the repeat itself, waiting for the scrub: a bound on
        // what waits, never a cycle through a completion that submits.
        Some(queue) if waits => match queue.try_send((done, decisions)) {
            Ok(()) => return,
            Err(mpsc::TrySendError::Full(reply) | mpsc::TrySendError::Disconnected(reply)) => reply,
        },
        _ => (done, decisions),
    };
    answer(shared, done, decisions);
}

/// Flushes, records `head` as acknowledged (before anyone is told, so
/// that open can tell a lost tail: see `store`), and publishes it.
fn make_durable(shared: &Shared, head: Head) -> Result<(), StoreError> {
    shared.store.flush()?;
    shared.store.record_head(&AcknowledgedHead {
        position: head.position,
        hash: head.hash,
    })?;
    let mut published = shared.head.lock().unwrap_or_else(|e| e.into_inner());
    shared
        .flush_sizes
        .record(head.position.saturating_sub(published.position));
    *published = head;
    drop(published);
    shared.head_changed.notify_all();
    Ok(())
}

/// The repeats thread's body: answers replies that wait for the scrub,
/// until the flusher is gone.
pub(super) fn repeats_loop(shared: &Shared, queue: &Receiver<Reply>) {
    for (done, decisions) in queue {
        answer(shared, done, decisions);
    }
}

/// Answers one reply: accepted and refused commands as decided, repeated
/// command ids from their stored commits (each commit read once per
/// reply, however many of its commands are repeated: a re-run import
/// repeats them all).
fn answer(shared: &Shared, done: Completion, decisions: Vec<Decision>) {
    let mut commit: Option<StoredCommit> = None;
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
            } => {
                let repeat = Repeat {
                    command_id,
                    body_hash: &body_hash,
                    user_id: &user_id,
                    record,
                };
                repeat_outcome(shared, &mut commit, &repeat)
            }
        })
        .collect::<Result<Vec<_>, LogError>>();
    complete(done, results);
}

/// A command id sent again, and what the ledger recorded for it.
struct Repeat<'a> {
    command_id: CommandId,
    body_hash: &'a BodyHash,
    user_id: &'a str,
    record: CommandRecord,
}

/// What answering repeats needs of one stored commit.
struct StoredCommit {
    /// Its first position.
    first: u64,
    /// Each command's body hash.
    commands: FxHashMap<CommandId, BodyHash>,
    /// Each event's id and user, by position from `first`.
    events: Vec<(EventId, String)>,
}

impl StoredCommit {
    /// The commit holding `position` (checked: its CRC, and positions
    /// following on from its first).
    fn read(shared: &Shared, position: u64) -> Result<StoredCommit, LogError> {
        let stored = shared.store.frames_from(position)?.next();
        let Some((first, bytes)) = stored.transpose()? else {
            return Err(LogError::Gap {
                expected: position,
                found: shared.head().position,
            });
        };
        let frame = parse_stored(first, &bytes)?;
        let mut events = Vec::with_capacity(frame.events.len());
        for (expected, event) in (first..).zip(&frame.events) {
            if event.parsed.position != expected {
                return Err(LogError::Gap {
                    expected,
                    found: event.parsed.position,
                });
            }
            events.push((event.parsed.event_id, event.parsed.user_id.to_string()));
        }
        let commands = frame
            .commands
            .iter()
            .map(|c| (c.command_id, c.body_hash))
            .collect();
        Ok(StoredCommit {
            first,
            commands,
            events,
        })
    }

    /// Its events from `first` to `last`, if it holds them all.
    fn events(&self, first: u64, last: u64) -> Option<&[(EventId, String)]> {
        let from = to_usize(first.checked_sub(self.first)?);
        let to = to_usize(last.checked_sub(self.first)?);
        self.events.get(from..=to)
    }
}

/// The answer to a repeated command id, from the original's commit (it is
/// durable: acknowledged, or flushed just before this): its original
/// outcome if the same user sent the same body, else a refusal. Binding a
/// command id to its user means that a body hash collision, which XXH3
/// does not rule out against someone who crafts one, could only ever be
/// used against one's own commands. `commit` keeps the last commit read.
fn repeat_outcome(
    shared: &Shared,
    commit: &mut Option<StoredCommit>,
    repeat: &Repeat<'_>,
) -> Result<Result<Outcome, CommandError>, LogError> {
    let (first, last) = (repeat.record.first_position, repeat.record.last_position());
    // The answer comes from the stored commit: right after open, only once
    // the scrub has checked it.
    shared.wait_checked(last)?;
    let stored = match commit.take() {
        Some(c) if c.events(first, last).is_some() => c,
        // A command's events all land in one commit.
        _ => StoredCommit::read(shared, first)?,
    };
    let stored = commit.insert(stored);
    let Some(events) = stored.events(first, last) else {
        return Err(LogError::Gap {
            expected: first,
            found: stored.first + len_u64(stored.events.len()),
        });
    };
    let Some(body_hash) = stored.commands.get(&repeat.command_id) else {
        return Err(LogError::Decode {
            position: first,
            source: DecodeError::Malformed("the commit's command table lacks a command it holds"),
        });
    };
    let same_user = events
        .first()
        .is_some_and(|(_, user)| user == repeat.user_id);
    if body_hash != repeat.body_hash || !same_user {
        return Ok(Err(CommandError::IdempotencyMismatch {
            command_id: repeat.command_id.to_string(),
        }));
    }
    Ok(Ok(Outcome {
        first_position: first,
        last_position: last,
        event_ids: events.iter().map(|(id, _)| *id).collect(),
        duplicate: true,
    }))
}
