//! The log against real sled in temp dirs.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use rust_decimal_macros::dec;

use super::codec::chain_hash;
use super::*;
use crate::clock::ManualClock;
use crate::ids::{CustomerId, InvoiceId, PaymentId};
use crate::sample;

fn options() -> LedgerOptions {
    LedgerOptions::new(Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).unwrap(),
    )))
}

fn cid(n: u128) -> CustomerId {
    CustomerId(Uuid::from_u128(n))
}

fn accepted(ledger: &Ledger, command: Command) -> Outcome {
    ledger.submit(sample::submit(command)).expect("accepted")
}

/// A closed ledger in a temp dir holding `n` customers, registered in one
/// commit each, and its store.
fn closed_with_customers(n: u128) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path(), options()).unwrap();
    for i in 1..=n {
        accepted(&ledger, sample::register_customer(cid(i)));
    }
    let store = ledger.inner.shared.store.clone();
    drop(ledger);
    (dir, store)
}

/// The stored frame that holds `position`.
fn frame_at(store: &Store, position: u64) -> FrameBytes {
    store
        .frames_from(position)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .1
}

/// Stores frame `key` with one bit flipped in its middle, CRC left as it was.
fn flip_a_middle_bit(store: &Store, key: u64) {
    let mut bytes = frame_at(store, key).to_vec();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    store.tamper(key, &bytes).unwrap();
}

/// Stores frame `key` edited by `edit` (its bytes without the CRC), with a
/// CRC that matches again, as a forger would.
fn tamper_keeping_the_crc(store: &Store, key: u64, frame: &[u8], edit: impl FnOnce(&mut Vec<u8>)) {
    let mut body = frame[..frame.len() - 4].to_vec();
    edit(&mut body);
    let crc = crc32fast::hash(&body);
    body.extend_from_slice(&crc.to_be_bytes());
    store.tamper(key, &body).unwrap();
}

/// Rewrites the name of the last customer registered in frame `key`
/// inside its canonical bytes, and fixes the CRC, as a forger would: only
/// the hash chain can tell.
fn rename_the_last_customer_keeping_the_crc(store: &Store, key: u64) {
    let bytes = frame_at(store, key);
    tamper_keeping_the_crc(store, key, &bytes, |body| {
        let at = body.windows(8).rposition(|w| w == b"Hospital").unwrap();
        body[at] = b'h';
    });
}

/// Rewrites the events of frame `key` as `edit` says, chained on from
/// `prev` with valid hashes and a matching CRC, as a forger would; returns
/// the hash of its last event.
fn forge_events(store: &Store, key: u64, mut prev: Hash, mut edit: impl FnMut(&mut Event)) -> Hash {
    let bytes = frame_at(store, key);
    let frame = parse_frame(&bytes).unwrap();
    let mut forged = FrameBuilder::new(key, prev, Vec::new());
    for e in &frame.events {
        let mut event = e.parsed.event().unwrap();
        edit(&mut event);
        let mut payload = Vec::new();
        event.encode_payload(&mut payload).unwrap();
        let mut fields = e.parsed;
        fields.payload = &payload;
        let position = fields.position;
        prev = forged.push_event(
            |out| encode_canonical(&fields, out),
            |canonical| event_hash(&prev, position, canonical),
        );
    }
    for c in &frame.commands {
        forged.push_command(*c);
    }
    store.tamper(key, &forged.finish()).unwrap();
    prev
}

/// Opening `dir` must fail with corruption at `position`, for a reason
/// that mentions `why`.
fn assert_corrupt_at(dir: &std::path::Path, position: u64, why: &str) {
    match Ledger::open(dir, options()) {
        Err(OpenError::Corrupt {
            position: at,
            reason,
        }) => {
            assert_eq!(at, position, "{reason}");
            assert!(reason.contains(why), "{reason}");
        }
        other => panic!(
            "expected corruption at {position}, got {:?}",
            other.map(|_| ())
        ),
    }
}

#[test]
fn appended_events_read_back_in_order_with_a_verifiable_chain() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path(), options()).unwrap();
    let a = accepted(&ledger, sample::register_customer(cid(1)));
    let b = accepted(&ledger, sample::set_credit_limit(cid(1), dec!(1000.00)));
    assert_eq!((a.first_position, b.first_position), (1, 2));
    let events = ledger.read(1, 10).unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1].stream_version, 2);
    assert_eq!(events[0].actor, sample::admin());
    let mut prev = GENESIS_HASH;
    for e in &events {
        assert_eq!(e.hash, chain_hash(&prev, e.position, &e.content_hash()));
        prev = e.hash;
    }
    assert_eq!(ledger.head().hash, prev);
    assert_eq!(ledger.verify().unwrap(), 2);
    assert_eq!(ledger.read_stream(StreamId(cid(1).0)).unwrap(), events);
}

#[test]
fn a_repeated_command_returns_its_original_outcome_and_appends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path(), options()).unwrap();
    let s = sample::submit(sample::register_customer(cid(1)));
    let first = ledger.submit(s.clone()).unwrap();
    let again = ledger.submit(s.clone()).unwrap();
    assert!(again.duplicate);
    assert_eq!(again.event_ids, first.event_ids);
    assert_eq!(again.first_position, first.first_position);
    assert_eq!(ledger.head().position, 1);
    drop(ledger);
    let ledger = Ledger::open(dir.path(), options()).unwrap();
    let after_reopen = ledger.submit(s).unwrap();
    assert!(after_reopen.duplicate);
    assert_eq!(after_reopen.event_ids, first.event_ids);
}

#[test]
fn the_same_command_id_with_another_body_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path(), options()).unwrap();
    let s = sample::submit(sample::register_customer(cid(1)));
    ledger.submit(s.clone()).unwrap();
    let other = Submission {
        command: sample::register_customer(cid(2)),
        ..s
    };
    let err = ledger.submit(other).unwrap_err();
    assert!(matches!(
        err,
        SubmitError::Refused(CommandError::IdempotencyMismatch { .. })
    ));
    assert_eq!(ledger.head().position, 1);
}

/// A command id belongs to the user who first sent it: another user
/// repeating it, even with the same body, is refused (and learns nothing of
/// the original), before and after reopening.
#[test]
fn a_command_id_repeated_by_another_user_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path(), options()).unwrap();
    let s = sample::submit(sample::register_customer(cid(1)));
    let first = ledger.submit(s.clone()).unwrap();
    let other_user = Submission {
        actor: Actor {
            user_id: "second-admin".into(),
            ..s.actor.clone()
        },
        ..s.clone()
    };
    let check = |ledger: &Ledger| {
        assert!(matches!(
            ledger.submit(other_user.clone()),
            Err(SubmitError::Refused(
                CommandError::IdempotencyMismatch { .. }
            ))
        ));
        let again = ledger.submit(s.clone()).unwrap();
        assert!(again.duplicate);
        assert_eq!(again.event_ids, first.event_ids);
        assert_eq!(ledger.head().position, 1);
    };
    check(&ledger);
    drop(ledger);
    check(&Ledger::open(dir.path(), options()).unwrap());
}

/// A repeat is answered from the original's commit (the body hash is not
/// kept in memory): the right command of a many-command commit is found,
/// before and after reopening, and within the batch that introduced it.
#[test]
fn repeats_are_judged_against_the_body_stored_in_the_original_commit() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path(), options()).unwrap();
    let batch: Vec<Submission> = (1..=3)
        .map(|n| sample::submit(sample::register_customer(cid(n))))
        .collect();
    let firsts: Vec<Outcome> = ledger
        .submit_batch(batch.clone())
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let middle = batch[1].clone();
    let forged = Submission {
        command: sample::register_customer(cid(9)),
        ..middle.clone()
    };
    let check = |ledger: &Ledger| {
        let results = ledger
            .submit_batch(vec![middle.clone(), forged.clone()])
            .unwrap();
        let again = results[0].as_ref().unwrap();
        assert!(again.duplicate);
        assert_eq!(again.event_ids, firsts[1].event_ids);
        assert_eq!(again.first_position, firsts[1].first_position);
        assert!(matches!(
            results[1],
            Err(CommandError::IdempotencyMismatch { .. })
        ));
        assert_eq!(ledger.head().position, 3);
    };
    check(&ledger);
    drop(ledger);
    let ledger = Ledger::open(dir.path(), options()).unwrap();
    check(&ledger);
    let fresh = sample::submit(sample::register_customer(cid(4)));
    let fresh_forged = Submission {
        command: sample::register_customer(cid(5)),
        ..fresh.clone()
    };
    let results = ledger.submit_batch(vec![fresh, fresh_forged]).unwrap();
    assert!(!results[0].as_ref().unwrap().duplicate);
    assert!(matches!(
        results[1],
        Err(CommandError::IdempotencyMismatch { .. })
    ));
    assert_eq!(ledger.head().position, 4);
}

#[test]
fn a_stale_expected_version_is_a_conflict_and_appends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path(), options()).unwrap();
    accepted(&ledger, sample::register_customer(cid(1)));
    let mut s = sample::submit(sample::set_credit_limit(cid(1), dec!(5.00)));
    s.expected_version = ExpectedVersion::Exact(0);
    let err = ledger.submit(s.clone()).unwrap_err();
    assert!(matches!(
        err,
        SubmitError::Refused(CommandError::ConcurrencyConflict { actual: 1, .. })
    ));
    assert_eq!(ledger.head().position, 1);
    s.expected_version = ExpectedVersion::Exact(1);
    assert_eq!(ledger.submit(s).unwrap().first_position, 2);
    let mut fresh = sample::submit(sample::set_credit_limit(cid(1), dec!(6.00)));
    fresh.expected_version = ExpectedVersion::NoStream;
    assert!(matches!(
        ledger.submit(fresh).unwrap_err(),
        SubmitError::Refused(CommandError::ConcurrencyConflict { .. })
    ));
}

#[test]
fn a_batch_keeps_each_commands_own_refusal_and_lands_in_one_commit() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path(), options()).unwrap();
    let results = ledger
        .submit_batch(vec![
            sample::submit(sample::register_customer(cid(1))),
            sample::submit(sample::register_customer(cid(1))),
            sample::submit(sample::service_invoice(
                InvoiceId(Uuid::from_u128(9)),
                cid(1),
                dec!(10.00),
            )),
        ])
        .unwrap();
    assert!(results[0].is_ok());
    assert!(matches!(
        results[1],
        Err(CommandError::AlreadyExists { .. })
    ));
    assert_eq!(results[2].as_ref().unwrap().first_position, 2);
    let frames: Vec<_> = ledger.inner.shared.store.frames_from(1).unwrap().collect();
    assert_eq!(frames.len(), 1, "one commit record for the whole batch");
}

#[test]
fn reopening_rebuilds_the_same_write_model_and_head() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path(), options()).unwrap();
    let invoice = InvoiceId(Uuid::from_u128(7));
    let payment = PaymentId(Uuid::from_u128(8));
    accepted(&ledger, sample::register_customer(cid(1)));
    accepted(
        &ledger,
        sample::service_invoice(invoice, cid(1), dec!(100.00)),
    );
    accepted(
        &ledger,
        sample::receive_payment(payment, cid(1), dec!(60.00)),
    );
    accepted(&ledger, sample::allocate(payment, invoice, dec!(40.00)));
    let before = ledger.with_model(Clone::clone);
    let head = ledger.head();
    drop(ledger);
    let ledger = Ledger::open(dir.path(), options()).unwrap();
    assert_eq!(ledger.head(), head);
    assert_eq!(ledger.with_model(Clone::clone), before);
    assert_eq!(before.invoices[&invoice].open(), dec!(60.00));
}

/// Appending and reopening book through the same path: after a mix of
/// single commands, a bulk batch with a refusal and a repeat, and a
/// command of several events, the reopened ledger's stream index, command
/// table, next position, last recorded_at and write model equal the live
/// ledger's.
#[test]
fn a_reopened_ledger_keeps_the_same_books_as_the_live_one() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path(), options()).unwrap();
    let (invoice, payment) = (InvoiceId(Uuid::from_u128(7)), PaymentId(Uuid::from_u128(8)));
    accepted(&ledger, sample::register_customer(cid(1)));
    let repeated = sample::submit(sample::set_credit_limit(cid(1), dec!(500.00)));
    ledger.submit(repeated.clone()).unwrap();
    let batch = vec![
        sample::submit(sample::service_invoice(invoice, cid(1), dec!(100.00))),
        sample::submit(sample::register_customer(cid(1))),
        repeated,
        sample::submit(sample::register_customer(cid(2))),
    ];
    let results = ledger.submit_batch(batch).unwrap();
    assert!(results[1].is_err() && results[2].as_ref().unwrap().duplicate);
    let several = sample::auto_allocating_payment(payment, cid(1), dec!(60.00));
    assert!(accepted(&ledger, several).event_ids.len() > 1);
    let live = std::mem::replace(
        &mut *ledger.inner.shared.state(),
        WriterState::new(options().credit_policy),
    );
    drop(ledger);
    let reopened = Ledger::open(dir.path(), options()).unwrap();
    assert_eq!(*reopened.inner.shared.state(), live);
}

#[test]
fn a_corrupt_record_is_reported_with_its_position_and_not_served() {
    let (dir, store) = closed_with_customers(3);
    flip_a_middle_bit(&store, 2);
    drop(store);
    assert_corrupt_at(dir.path(), 2, "checksum");
    assert!(parse_frame(&b"ARL2"[..]).is_err());
}

/// Frames are checked by several threads at open; whichever frame is bad,
/// the first bad one is reported, at its own position.
#[test]
fn with_many_commits_the_first_bad_one_is_reported_whichever_checker_saw_it() {
    for (bad, lose) in [(9u64, false), (10, false), (5, true), (11, true)] {
        let (dir, store) = closed_with_customers(12);
        if lose {
            store.remove(bad).unwrap();
        } else {
            flip_a_middle_bit(&store, bad);
        }
        drop(store);
        let why = if lose {
            "expected a commit"
        } else {
            "checksum"
        };
        assert_corrupt_at(dir.path(), bad, why);
    }
}

/// A checker thread that dies makes open fail with an error naming where
/// it stopped, not with a panic of the caller.
#[test]
fn a_checker_that_panics_fails_the_open_with_an_error() {
    let (_dir, store) = closed_with_customers(6);
    fn panics_at_3(key: u64, bytes: &[u8]) -> Result<rebuild::CheckedFrame, OpenError> {
        assert_ne!(key, 3, "a checker panic injected by the test");
        rebuild::checked_frame(key, bytes)
    }
    match rebuild::rebuild(&store, options().credit_policy, None, panics_at_3) {
        Err(OpenError::Corrupt { position, reason }) => {
            assert_eq!(position, 3, "{reason}");
            assert!(reason.contains("checker thread panicked"), "{reason}");
        }
        other => panic!("expected an error at 3, got {:?}", other.map(|_| ())),
    }
    assert!(
        rebuild::rebuild(
            &store,
            options().credit_policy,
            None,
            rebuild::checked_frame
        )
        .is_ok()
    );
}

/// Within one commit, the first bad event is the one reported, whichever
/// check finds it: here an undecodable payload at 1 comes before a stream
/// version jump at 2.
#[test]
fn within_a_commit_the_first_bad_event_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path(), options()).unwrap();
    let batch = vec![
        sample::submit(sample::register_customer(cid(1))),
        sample::submit(sample::register_customer(cid(2))),
    ];
    for r in ledger.submit_batch(batch).unwrap() {
        r.unwrap();
    }
    let store = ledger.inner.shared.store.clone();
    drop(ledger);
    let bytes = frame_at(&store, 1);
    let frame = parse_frame(&bytes).unwrap();
    assert_eq!(frame.events.len(), 2);
    // Rewritten as a forger would: canonical bytes, chain and CRC all valid.
    let mut forged = FrameBuilder::new(1, GENESIS_HASH, Vec::new());
    let mut prev = GENESIS_HASH;
    for (i, e) in frame.events.iter().enumerate() {
        let mut fields = e.parsed;
        if i == 0 {
            fields.payload = &e.parsed.payload[..3];
        } else {
            fields.stream_version = 7;
        }
        let position = fields.position;
        prev = forged.push_event(
            |out| encode_canonical(&fields, out),
            |canonical| event_hash(&prev, position, canonical),
        );
    }
    for c in &frame.commands {
        forged.push_command(*c);
    }
    store.tamper(1, &forged.finish()).unwrap();
    drop(store);
    assert_corrupt_at(dir.path(), 1, "does not decode");
}

/// A forged log whose amounts are so large that folding them overflows is
/// reported at the event that cannot be folded; open does not panic.
#[test]
fn an_event_that_cannot_be_folded_is_reported_at_its_position_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path(), options()).unwrap();
    accepted(&ledger, sample::register_customer(cid(1)));
    for p in 1..=2 {
        accepted(
            &ledger,
            sample::receive_payment(PaymentId(Uuid::from_u128(p)), cid(1), dec!(10.00)),
        );
    }
    let store = ledger.inner.shared.store.clone();
    drop(ledger);
    let first = frame_at(&store, 1);
    let mut prev = parse_frame(&first).unwrap().events[0].hash;
    // Both payments rewritten for rust_decimal's largest amount, chain and
    // CRC valid: the second one's fold overflows the customer's exposure.
    for key in [2u64, 3] {
        prev = forge_events(&store, key, prev, |event| {
            let Event::PaymentReceived(payment) = event else {
                panic!("expected a payment at {key}");
            };
            payment.amount.amount = rust_decimal::Decimal::MAX;
        });
    }
    drop(store);
    assert_corrupt_at(dir.path(), 3, "cannot be folded");
}

/// A forged log that allocates more than its payment holds passes every
/// CRC and hash, but folding it would leave running totals no
/// recomputation gives: open reports it at its position (it does not fold
/// it and then fail the invariant check of open's end).
#[test]
fn a_forged_allocation_beyond_its_payment_is_reported_at_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path(), options()).unwrap();
    let (invoice, payment) = (InvoiceId(Uuid::from_u128(7)), PaymentId(Uuid::from_u128(8)));
    accepted(&ledger, sample::register_customer(cid(1)));
    accepted(
        &ledger,
        sample::service_invoice(invoice, cid(1), dec!(100.00)),
    );
    accepted(
        &ledger,
        sample::receive_payment(payment, cid(1), dec!(10.00)),
    );
    let allocated = accepted(&ledger, sample::allocate(payment, invoice, dec!(5.00)));
    let key = allocated.first_position;
    let store = ledger.inner.shared.store.clone();
    drop(ledger);
    let prev = parse_frame(&frame_at(&store, key)).unwrap().prev_hash;
    forge_events(&store, key, prev, |event| {
        let Event::PaymentAllocated(allocation) = event else {
            panic!("expected an allocation at {key}");
        };
        allocation.amount.amount = dec!(50.00);
    });
    drop(store);
    // The acknowledged head names the old hash: without it, the fold is
    // what refuses the log.
    std::fs::remove_file(dir.path().join(HEAD_FILE)).unwrap();
    assert_corrupt_at(dir.path(), key, "cannot allocate");
}

/// The log must still hold the head the ledger acknowledged last: a lost
/// last commit, or a log replaced by another valid one, is reported.
#[test]
fn a_log_that_lost_or_replaced_what_was_acknowledged_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    for (path, first) in [(dir.path(), 1u128), (other.path(), 100)] {
        let ledger = Ledger::open(path, options()).unwrap();
        for n in first..first + 3 {
            accepted(&ledger, sample::register_customer(cid(n)));
        }
    }
    // Another ledger's commits, each valid and chained, in place of ours.
    let store = Store::open(dir.path()).unwrap();
    let replacement = Store::open(other.path()).unwrap();
    for frame in replacement.frames_from(1).unwrap() {
        let (first, bytes) = frame.unwrap();
        store.tamper(first, &bytes).unwrap();
    }
    drop((store, replacement));
    assert_corrupt_at(dir.path(), 3, "not the one acknowledged");

    let store = Store::open(other.path()).unwrap();
    store.remove(3).unwrap();
    drop(store);
    assert_corrupt_at(other.path(), 3, "were acknowledged");
}

/// A commit record of another frame format (here the earlier "ARL1", whose
/// body hashes were 32 bytes), with an intact CRC, is refused at its
/// position rather than misread.
#[test]
fn a_frame_of_another_format_is_refused_rather_than_misread() {
    let (dir, store) = closed_with_customers(2);
    let bytes = frame_at(&store, 2);
    tamper_keeping_the_crc(&store, 2, &bytes, |body| {
        assert_eq!(&body[..4], b"ARL2");
        body[..4].copy_from_slice(b"ARL1");
    });
    drop(store);
    assert_corrupt_at(dir.path(), 2, "not a commit frame");
}

/// A record rewritten with a matching CRC, as a forger would, passes
/// open's checks; the scrub's SHA-256 chain catches it before anything from
/// there on is served, and the ledger stops accepting commands.
#[test]
fn a_rewritten_event_with_a_valid_crc_breaks_the_chain_at_its_position() {
    let (dir, store) = closed_with_customers(3);
    rename_the_last_customer_keeping_the_crc(&store, 2);
    drop(store);
    let ledger = Ledger::open(dir.path(), options()).unwrap();
    // Read at once: a read that did not wait for the scrub would be served
    // the rewritten name.
    let altered_at_2 = |r: Result<Vec<StoredEvent>, LogError>| match r {
        Err(LogError::Altered { position, reason }) => {
            assert_eq!(position, 2, "{reason}");
            assert!(reason.contains("hash chain"), "{reason}");
        }
        other => panic!("expected the log altered at 2, got {other:?}"),
    };
    altered_at_2(ledger.read(1, 10));
    altered_at_2(ledger.read_stream(StreamId(cid(2).0)));
    assert_eq!(ledger.read(1, 1).unwrap()[0].position, 1);
    assert!(matches!(
        ledger.chain_checked(),
        Err(LogError::Altered { position: 2, .. })
    ));
    assert!(matches!(
        ledger.verify(),
        Err(OpenError::Corrupt { position: 2, .. })
    ));
    assert!(matches!(
        ledger.submit(sample::submit(sample::register_customer(cid(9)))),
        Err(SubmitError::Log(LogError::Poisoned(why))) if why.contains("altered at position 2")
    ));
    assert_eq!(ledger.head().position, 3);
}

/// Once the real scrub is done, sets its progress back, as if it had only
/// checked up to `through` of what open found: it stands still there until
/// the test moves it with `scrub_reaches`.
fn as_if_the_scrub_were_at(ledger: &Ledger, through: u64) {
    let opened = ledger.chain_checked().unwrap();
    *ledger.inner.shared.chain.lock().unwrap() = scrub::ChainState::new(opened, through);
}

/// A ledger of `n` customers, reopened, its scrub standing at `through`
/// (see `as_if_the_scrub_were_at`).
fn reopened_with_the_scrub_at(n: u128, through: u64) -> (tempfile::TempDir, Ledger) {
    let (dir, store) = closed_with_customers(n);
    drop(store);
    let ledger = Ledger::open(dir.path(), options()).unwrap();
    as_if_the_scrub_were_at(&ledger, through);
    (dir, ledger)
}

/// Submits `submission` and returns where its answer will arrive.
fn submitted_without_waiting(
    ledger: &Ledger,
    submission: Submission,
) -> mpsc::Receiver<BatchResult> {
    let (tx, answer) = mpsc::channel();
    ledger.submit_with(
        vec![submission],
        Box::new(move |r| {
            let _ = tx.send(r);
        }),
    );
    answer
}

/// Moves the stand-in scrub of `as_if_the_scrub_were_at` on.
fn scrub_reaches(ledger: &Ledger, through: u64) {
    let shared = &ledger.inner.shared;
    shared.chain.lock().unwrap().through_for_tests(through);
    shared.chain_changed.notify_all();
}

/// While the scrub checks what open found, commands are decided and
/// acknowledged, and reads of what it has not checked wait for it.
#[test]
fn appends_go_on_while_the_scrub_checks_what_open_found() {
    let (dir, ledger) = reopened_with_the_scrub_at(50, 10);
    let writer = ledger.clone();
    let appended =
        answered_within_a_minute(move || accepted(&writer, sample::register_customer(cid(51))));
    assert_eq!(appended.first_position, 51);
    assert_eq!(ledger.read(1, 10).unwrap().len(), 10);
    let (tx, rx) = mpsc::channel();
    let reader = ledger.clone();
    let waiting = std::thread::spawn(move || {
        let _ = tx.send(reader.read(1, 100).map(|e| e.len()));
    });
    // A read that did not wait would answer within microseconds; one that
    // waits cannot answer before the scrub moves on.
    assert!(
        matches!(
            rx.recv_timeout(Duration::from_millis(200)),
            Err(mpsc::RecvTimeoutError::Timeout)
        ),
        "a read of unchecked positions was answered before the scrub got there"
    );
    scrub_reaches(&ledger, 50);
    assert_eq!(rx.recv().unwrap().unwrap(), 51);
    waiting.join().unwrap();
    assert_eq!(ledger.verify().unwrap(), 51);
    drop(ledger);
    assert_eq!(
        Ledger::open(dir.path(), options())
            .unwrap()
            .chain_checked()
            .unwrap(),
        51
    );
}

/// A repeated command id whose commit the scrub has not checked waits for
/// it on a thread of its own: the acknowledgements of other commands do not
/// wait with it, and it is answered, with its original outcome, once the
/// scrub has passed.
#[test]
fn a_repeat_waiting_for_the_scrub_holds_up_no_other_acknowledgement() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path(), options()).unwrap();
    for i in 1..=4 {
        accepted(&ledger, sample::register_customer(cid(i)));
    }
    let repeated = sample::submit(sample::register_customer(cid(5)));
    let original = ledger.submit(repeated.clone()).unwrap();
    drop(ledger);
    let ledger = Ledger::open(dir.path(), options()).unwrap();
    as_if_the_scrub_were_at(&ledger, 2);
    let repeat = submitted_without_waiting(&ledger, repeated);
    let writer = ledger.clone();
    let fresh =
        answered_within_a_minute(move || accepted(&writer, sample::register_customer(cid(6))));
    assert_eq!(fresh.first_position, 6);
    assert!(
        matches!(repeat.try_recv(), Err(mpsc::TryRecvError::Empty)),
        "the repeat was answered from a commit the scrub had not checked"
    );
    scrub_reaches(&ledger, 5);
    let answered = repeat.recv().unwrap().unwrap().pop().unwrap().unwrap();
    assert_eq!(
        answered,
        Outcome {
            duplicate: true,
            ..original
        }
    );
}

/// A ledger dropped while a repeat waits for the scrub closes at once; the
/// repeat is told its commit was not checked, and the store is released.
#[test]
fn closing_while_a_repeat_waits_for_the_scrub_tells_it_and_releases_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path(), options()).unwrap();
    let repeated = sample::submit(sample::register_customer(cid(1)));
    ledger.submit(repeated.clone()).unwrap();
    accepted(&ledger, sample::register_customer(cid(2)));
    drop(ledger);
    let ledger = Ledger::open(dir.path(), options()).unwrap();
    as_if_the_scrub_were_at(&ledger, 0);
    let repeat = submitted_without_waiting(&ledger, repeated);
    answered_within_a_minute(move || drop(ledger));
    match repeat.recv().unwrap() {
        Err(LogError::Unchecked { position, reason }) => {
            assert_eq!(position, 1, "{reason}");
            assert!(reason.contains("closed"), "{reason}");
        }
        other => panic!("expected the repeat told its commit is unchecked, got {other:?}"),
    }
    assert_eq!(
        Ledger::open(dir.path(), options())
            .unwrap()
            .chain_checked()
            .unwrap(),
        2
    );
}

/// One commit holding customers 1 to 3 (positions 1 to 3), the name at
/// position 3 rewritten with a matching CRC.
fn one_commit_of_three_with_the_third_rewritten() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path(), options()).unwrap();
    let batch = (1..=3)
        .map(|i| sample::submit(sample::register_customer(cid(i))))
        .collect();
    for r in ledger.submit_batch(batch).unwrap() {
        r.unwrap();
    }
    let store = ledger.inner.shared.store.clone();
    drop(ledger);
    assert_eq!(
        parse_frame(&frame_at(&store, 1)).unwrap().events.len(),
        3,
        "one commit"
    );
    rename_the_last_customer_keeping_the_crc(&store, 1);
    drop(store);
    dir
}

/// Runs `f` on a thread of its own and returns its answer; fails the test,
/// instead of hanging it, if there is none within a minute.
fn answered_within_a_minute<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("no answer within a minute: it waits for something that never comes")
}

/// The scrub checks a commit event by event: a break at its third event
/// still lets the first two be served (a read waiting for the commit as a
/// whole would wait forever).
#[test]
fn a_break_inside_a_commit_still_serves_the_events_before_it() {
    let dir = one_commit_of_three_with_the_third_rewritten();
    let ledger = Ledger::open(dir.path(), options()).unwrap();
    assert!(matches!(
        ledger.chain_checked(),
        Err(LogError::Altered { position: 3, .. })
    ));
    let reader = ledger.clone();
    let (read, stream, delivered, after) = answered_within_a_minute(move || {
        let mut sub = reader.subscribe(1);
        let delivered: Vec<u64> = (0..2)
            .map(|_| {
                sub.next_timeout(Duration::from_secs(10))
                    .unwrap()
                    .unwrap()
                    .position
            })
            .collect();
        (
            reader.read(1, 2).map(|e| e.len()),
            reader.read_stream(StreamId(cid(2).0)).map(|e| e.len()),
            delivered,
            sub.next_timeout(Duration::from_secs(10)),
        )
    });
    assert_eq!((read.unwrap(), stream.unwrap()), (2, 1));
    assert_eq!(delivered, [1, 2]);
    assert!(matches!(after, Err(LogError::Altered { position: 3, .. })));
    assert!(matches!(
        ledger.read(2, 2),
        Err(LogError::Altered { position: 3, .. })
    ));
}

/// A repeated command id is answered from its stored commit, so right after
/// open that answer waits for the scrub too: here the commit was rewritten
/// and the repeat is refused with what the scrub found, not answered from
/// it. (The log is long enough for the scrub to still be busy when the
/// repeat arrives.)
#[test]
fn a_repeat_is_answered_only_from_a_commit_the_scrub_has_checked() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path(), options()).unwrap();
    for chunk in 0..4u128 {
        let batch = (1..=BATCH_COMMANDS_MAX as u128)
            .map(|i| sample::submit(sample::register_customer(cid(chunk * 10_000 + i))))
            .collect();
        ledger.submit_batch(batch).unwrap();
    }
    let last = sample::submit(sample::register_customer(cid(1_000_000)));
    let original = ledger.submit(last.clone()).unwrap();
    let key = original.first_position;
    let store = ledger.inner.shared.store.clone();
    drop(ledger);
    let bytes = frame_at(&store, key);
    let id = *original.event_ids[0].0.as_bytes();
    tamper_keeping_the_crc(&store, key, &bytes, |body| {
        let at = body.windows(16).position(|w| w == id).unwrap();
        body[at] ^= 0xff;
    });
    drop(store);
    let ledger = Ledger::open(dir.path(), options()).unwrap();
    // Refused either way: by the scrub's finding, or, if the scrub got
    // there before the repeat reached the writer, by the poisoned ledger.
    match ledger.submit(last) {
        Err(SubmitError::Log(LogError::Altered { position, .. })) => assert_eq!(position, key),
        Err(SubmitError::Log(LogError::Poisoned(why)))
            if why.contains(&format!("altered at position {key}")) => {}
        other => panic!("expected the repeat refused as altered at {key}, got {other:?}"),
    }
}

/// A subscription waits for the scrub within its own timeout, and then
/// delivers only what the scrub has checked.
#[test]
fn a_subscription_waits_for_the_scrub_no_longer_than_its_timeout() {
    let (_dir, ledger) = reopened_with_the_scrub_at(4, 1);
    let subscriber = ledger.clone();
    let (first, second, sub) = answered_within_a_minute(move || {
        let mut sub = subscriber.subscribe(1);
        let first = sub.next_timeout(Duration::from_millis(5)).unwrap();
        let second = sub.next_timeout(Duration::from_millis(5)).unwrap();
        (first.map(|e| e.position), second, sub)
    });
    assert_eq!((first, second), (Some(1), None));
    scrub_reaches(&ledger, 4);
    let mut sub = sub;
    let delivered = answered_within_a_minute(move || {
        (0..3)
            .map(|_| {
                sub.next_timeout(Duration::from_millis(5))
                    .unwrap()
                    .unwrap()
                    .position
            })
            .collect::<Vec<_>>()
    });
    assert_eq!(delivered, [2, 3, 4]);
}

/// With `check_chain_at_open`, open recomputes the chain itself: a
/// rewritten record is refused at open, as before the scrub existed.
#[test]
fn open_can_check_the_whole_chain_before_it_returns() {
    let strict = || LedgerOptions {
        check_chain_at_open: true,
        ..options()
    };
    let dir = one_commit_of_three_with_the_third_rewritten();
    match Ledger::open(dir.path(), strict()) {
        Err(OpenError::Corrupt { position, reason }) => {
            assert_eq!(position, 3, "{reason}");
            assert!(reason.contains("hash chain"), "{reason}");
        }
        other => panic!("expected corruption at 3, got {:?}", other.map(|_| ())),
    }
    let (dir, store) = closed_with_customers(3);
    drop(store);
    let ledger = Ledger::open(dir.path(), strict()).unwrap();
    assert!(!ledger.inner.threads.started(threads::SCRUB_THREAD));
    assert_eq!(ledger.chain_checked().unwrap(), 3);
    assert_eq!(ledger.read(1, 10).unwrap().len(), 3);
}

#[test]
fn a_subscription_delivers_every_event_including_those_appended_while_catching_up() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path(), options()).unwrap();
    for n in 0..50 {
        accepted(&ledger, sample::register_customer(cid(n)));
    }
    let mut sub = ledger.subscribe(1);
    let writer = ledger.clone();
    let appender = std::thread::spawn(move || {
        for n in 50..150 {
            writer
                .submit(sample::submit(sample::register_customer(cid(n))))
                .unwrap();
        }
    });
    let mut seen = Vec::new();
    while seen.len() < 150 {
        if let Some(e) = sub.next_timeout(Duration::from_secs(10)).unwrap() {
            seen.push(e.position);
        } else {
            panic!("subscription stalled at {}", sub.next_position());
        }
    }
    appender.join().unwrap();
    assert_eq!(seen, (1..=150).collect::<Vec<u64>>());
}

#[test]
fn concurrent_submitters_are_group_committed_gap_free() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path(), options()).unwrap();
    let threads: Vec<_> = (0..8u128)
        .map(|t| {
            let ledger = ledger.clone();
            std::thread::spawn(move || {
                (0..50u128)
                    .map(|n| {
                        ledger
                            .submit(sample::submit(sample::register_customer(cid(t * 1000 + n))))
                            .unwrap()
                            .first_position
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut positions: Vec<u64> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    positions.sort_unstable();
    assert_eq!(positions, (1..=400).collect::<Vec<u64>>());
    // Submitters that arrive while a commit is being flushed share the next
    // one: with eight threads there must be fewer commits than commands.
    let commits = ledger.inner.shared.store.frames_from(1).unwrap().count();
    assert!(
        commits < 400,
        "{commits} commits for 400 commands: no group commit"
    );
    assert_eq!(ledger.verify().unwrap(), 400);
}

#[test]
fn recorded_at_never_goes_backwards_even_when_the_clock_does() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).unwrap(),
    ));
    let ledger = Ledger::open(dir.path(), LedgerOptions::new(clock.clone())).unwrap();
    accepted(&ledger, sample::register_customer(cid(1)));
    clock.set(Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap());
    accepted(&ledger, sample::register_customer(cid(2)));
    let events = ledger.read(1, 10).unwrap();
    assert!(events[1].recorded_at >= events[0].recorded_at);
}

/// The log stores microseconds: a clock with nanoseconds must not make the
/// live head (or the write model) differ from what a reopen reads back.
#[test]
fn recorded_at_is_kept_to_the_microsecond_the_log_stores() {
    let dir = tempfile::tempdir().unwrap();
    let at = Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).unwrap()
        + chrono::Duration::nanoseconds(123_456_789);
    let clock = Arc::new(ManualClock::new(at));
    let ledger = Ledger::open(dir.path(), LedgerOptions::new(clock)).unwrap();
    accepted(&ledger, sample::register_customer(cid(1)));
    let live = ledger.head();
    let stored = ledger.read(1, 1).unwrap().remove(0).recorded_at;
    assert_eq!(live.recorded_at, Some(stored));
    assert_eq!(
        stored,
        at - chrono::Duration::nanoseconds(789),
        "truncated, not rounded"
    );
    drop(ledger);
    let reopened = Ledger::open(dir.path(), options()).unwrap();
    assert_eq!(reopened.head(), live);
}

/// A clock that fails on demand: a stand-in for any broken invariant met
/// while deciding a commit.
struct FailingClock(std::sync::atomic::AtomicBool);

impl Clock for FailingClock {
    fn now(&self) -> DateTime<Utc> {
        assert!(
            !self.0.load(std::sync::atomic::Ordering::SeqCst),
            "clock failure"
        );
        Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).unwrap()
    }
}

#[test]
fn a_panic_while_deciding_poisons_the_ledger_until_it_is_reopened() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FailingClock(std::sync::atomic::AtomicBool::new(false)));
    let ledger = Ledger::open(dir.path(), LedgerOptions::new(clock.clone())).unwrap();
    accepted(&ledger, sample::register_customer(cid(1)));
    clock.0.store(true, std::sync::atomic::Ordering::SeqCst);
    let (tx, rx) = mpsc::channel();
    ledger.submit_with(
        vec![sample::submit(sample::register_customer(cid(2)))],
        Box::new(move |r| tx.send(r).unwrap()),
    );
    let first = rx
        .recv()
        .expect("the completion is called even when the writer fails");
    assert!(matches!(first, Err(LogError::Poisoned(ref why)) if why.contains("clock failure")));
    clock.0.store(false, std::sync::atomic::Ordering::SeqCst);
    let later = ledger.submit(sample::submit(sample::register_customer(cid(3))));
    assert!(matches!(
        later,
        Err(SubmitError::Log(LogError::Poisoned(_)))
    ));
    assert_eq!(ledger.head().position, 1);
    drop(ledger);
    let ledger = Ledger::open(dir.path(), LedgerOptions::new(clock)).unwrap();
    assert_eq!(ledger.head().position, 1);
    accepted(&ledger, sample::register_customer(cid(3)));
}

#[test]
fn a_completion_that_panics_does_not_stop_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path(), options()).unwrap();
    ledger.submit_with(
        vec![sample::submit(sample::register_customer(cid(1)))],
        Box::new(|_| panic!("a careless caller")),
    );
    let outcome = ledger
        .submit(sample::submit(sample::register_customer(cid(2))))
        .unwrap();
    assert_eq!(outcome.first_position, 2);
    assert_eq!(ledger.head().position, 2);
}

#[test]
fn the_last_handle_may_be_dropped_inside_a_completion() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path(), options()).unwrap();
    let (tx, rx) = mpsc::channel();
    let last_handle = ledger.clone();
    drop(ledger);
    let inside = last_handle.clone();
    inside.submit_with(
        vec![sample::submit(sample::register_customer(cid(1)))],
        Box::new(move |result| {
            drop(last_handle);
            tx.send(result.map(|r| r.len())).unwrap();
        }),
    );
    drop(inside);
    let result = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the completion ran");
    assert_eq!(result.unwrap(), 1);
    // The ledger closed by itself: it reopens with the event.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let reopened = loop {
        match Ledger::open(dir.path(), options()) {
            Ok(l) => break l,
            // sled holds its file lock until the ledger's threads have ended.
            Err(OpenError::Store(_)) if std::time::Instant::now() < deadline => {
                std::thread::yield_now();
            }
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(reopened.head().position, 1);
}
