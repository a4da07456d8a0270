//! The framer thread: encodes each decided commit's events, chains their
//! SHA-256 hashes, frames them with the command table and a CRC, and writes
//! the frame to sled (not yet durable); then hands the commit to the
//! flusher. Hashing and inserting commit n+1 overlaps with the flusher
//! waiting for the disk on commit n.

use super::*;

/// A commit written to sled but not yet flushed, on its way to the flusher.
pub(super) struct Written {
    /// The head once this commit is durable; `None` when it appended
    /// nothing, or the ledger stopped before it was written (then the
    /// flusher refuses it).
    pub(super) head: Option<Head>,
    pub(super) replies: Vec<Reply>,
    /// The commit's submissions, freed by the flusher after it answered:
    /// freeing them is work the framer, the busiest stage, need not do.
    #[expect(dead_code, reason = "held only to be freed on the flusher")]
    pub(super) batches: Vec<Batch>,
}

/// The framer's queues: decided commits in, written commits out, and spent
/// event buffers back to the writer.
pub(super) struct FramerQueues {
    pub(super) decided: Receiver<Pending>,
    pub(super) written: SyncSender<Written>,
    pub(super) spent: SyncSender<Vec<PendingEvent>>,
}

/// The framer thread's body: runs until the writer is gone. `last_hash`
/// is the hash of the head the ledger opened at.
pub(super) fn framer_loop(shared: &Shared, queues: &FramerQueues, mut last_hash: Hash) {
    let mut framing = Framing::default();
    while let Ok(pending) = queues.decided.recv() {
        // A poisoned ledger writes nothing more; the flusher refuses the
        // commit's commands, as it answers those of a commit of refusals.
        let head = if shared.poisoned().is_some() || pending.events.is_empty() {
            None
        } else {
            // A panic while framing (a length past what the format holds)
            // is a broken invariant: the ledger stops, as for the writer.
            let written = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                framing.write(shared, &pending, last_hash)
            }))
            .unwrap_or_else(|panic| {
                Err(format!(
                    "internal error while framing a commit: {}",
                    panic_message(panic.as_ref())
                ))
            });
            match written {
                Ok(head) => Some(head),
                // The flusher refuses it, after the commits before it.
                Err(what) => {
                    shared.stop_until_reopen(what);
                    None
                }
            }
        };
        last_hash = head.map_or(last_hash, |h| h.hash);
        let Pending {
            events,
            replies,
            batches,
            ..
        } = pending;
        // If the writer is busy with a backlog of them, or has stopped,
        // they are simply freed here.
        let _ = queues.spent.try_send(events);
        let written = Written {
            head,
            replies,
            batches,
        };
        if let Err(mpsc::SendError(w)) = queues.written.send(written) {
            fail_all(w.replies, || LogError::Closed);
        }
    }
}

/// The framer's buffers, reused from commit to commit.
#[derive(Default)]
struct Framing {
    payload: Vec<u8>,
    /// The last frame's buffer (sled copies what it inserts).
    frame: Vec<u8>,
}

impl Framing {
    /// Encodes, chains, frames and writes one commit that has events;
    /// returns the head it will make once durable, or why the ledger must
    /// stop.
    fn write(&mut self, shared: &Shared, pending: &Pending, prev: Hash) -> Result<Head, String> {
        let mut frame = FrameBuilder::new(
            pending.first_position,
            prev,
            std::mem::take(&mut self.frame),
        );
        let mut last_hash = prev;
        let mut position = pending.first_position;
        for e in &pending.events {
            self.payload.clear();
            e.event
                .encode_payload(&mut self.payload)
                .map_err(|err| format!("event at {position} does not encode: {err}"))?;
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
                payload: &self.payload,
            };
            last_hash = frame.push_event(
                |out| encode_canonical(&fields, out),
                |canonical| event_hash(&last_hash, position, canonical),
            );
            position += 1;
        }
        for entry in &pending.commands {
            frame.push_command(*entry);
        }
        let frame = frame.finish();
        let stored = shared.store.put(pending.first_position, &frame);
        self.frame = frame;
        stored.map_err(|e| e.to_string())?;
        Ok(Head {
            position: position - 1,
            hash: last_hash,
            recorded_at: Some(pending.recorded_at),
        })
    }
}
