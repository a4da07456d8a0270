//! Property: random valid and invalid command sequences, appended one by one
//! and in bulk, by users of every role, leave a log that reads back
//! identically after reopening, a write model equal to a fold from scratch,
//! and nothing appended for any refused command. A repeated command id
//! returns the original outcome; with another body it is refused; a role
//! that may not run a command is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use arledger_core::clock::ManualClock;
use arledger_core::domain::commands::*;
use arledger_core::domain::types::{CreditReason, Role};
use arledger_core::domain::{Actor, Command, CommandError, WriteModel};
use arledger_core::ids::{
    CommandId, CreditNoteId, CustomerId, InvoiceId, OrderId, PaymentId, ShipmentId,
};
use arledger_core::log::{Ledger, LedgerOptions, Outcome, Submission, SubmitError};
use arledger_core::sample;
use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use uuid::Uuid;

#[derive(Clone, Debug)]
enum Op {
    Register(u8),
    Limit(u8, i64, bool),
    Invoice(u8, u8, i64),
    Payment(u8, u8, i64),
    Allocate(u8, u8, i64),
    AutoPay(u8, u8, i64),
    Reverse(u8),
    WriteOff(u8, i64),
    CreditNote(u8, u8, i64),
    Order(u8, u8, i64),
    Release(u8),
    Ship(u8, u8, i64),
    Cancel(u8),
    Repeat(usize),
    RepeatWithOtherBody(usize),
    /// The command sent by a user of the role at this index of `Role::ALL`.
    AsRole(usize, Box<Op>),
    Bulk(Vec<Op>),
}

fn leaf() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..6).prop_map(Op::Register),
        (0u8..6, -5_000i64..5_000_000, any::<bool>()).prop_map(|(c, a, bad)| Op::Limit(c, a, bad)),
        (0u8..6, 0u8..8, -100i64..2_000_000).prop_map(|(c, i, a)| Op::Invoice(c, i, a)),
        (0u8..6, 0u8..8, -100i64..2_000_000).prop_map(|(c, p, a)| Op::Payment(c, p, a)),
        (0u8..8, 0u8..8, -100i64..2_000_000).prop_map(|(p, i, a)| Op::Allocate(p, i, a)),
        (0u8..6, 0u8..8, -100i64..2_000_000).prop_map(|(c, p, a)| Op::AutoPay(c, p, a)),
        (0u8..8).prop_map(Op::Reverse),
        (0u8..8, -100i64..2_000_000).prop_map(|(i, a)| Op::WriteOff(i, a)),
        (0u8..8, 0u8..4, -100i64..2_000_000).prop_map(|(i, n, a)| Op::CreditNote(i, n, a)),
        (0u8..6, 0u8..6, -2i64..40).prop_map(|(c, o, q)| Op::Order(c, o, q)),
        (0u8..6).prop_map(Op::Release),
        (0u8..6, 0u8..6, -2i64..40).prop_map(|(o, sh, q)| Op::Ship(o, sh, q)),
        (0u8..6).prop_map(Op::Cancel),
        (0usize..64).prop_map(Op::Repeat),
        (0usize..64).prop_map(Op::RepeatWithOtherBody),
    ]
}

/// A leaf, now and then sent by a user of another role than admin.
fn leaf_by_anyone() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => leaf(),
        1 => (0..Role::ALL.len(), leaf()).prop_map(|(r, op)| match op {
            Op::Repeat(_) | Op::RepeatWithOtherBody(_) => op,
            op => Op::AsRole(r, Box::new(op)),
        }),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => leaf_by_anyone(),
        1 => prop::collection::vec(leaf_by_anyone(), 1..8).prop_map(Op::Bulk),
    ]
}

fn uuid(kind: u128, n: u8) -> Uuid {
    Uuid::from_u128((kind << 64) | u128::from(n))
}

/// Amounts in cents; odd tenths-of-cents make some of them invalid.
fn money(cents: i64) -> Decimal {
    if cents % 97 == 0 {
        Decimal::new(cents * 10 + 5, 3)
    } else {
        Decimal::new(cents, 2)
    }
}

fn command(op: &Op) -> Command {
    match op {
        Op::Register(c) => sample::register_customer(CustomerId(uuid(1, *c))),
        Op::Limit(c, amount, bad_currency) => Command::SetCreditLimit(SetCreditLimit {
            customer_id: CustomerId(uuid(1, *c)),
            limit: money(*amount),
            currency: if *bad_currency {
                "XXZ".into()
            } else {
                "CNY".into()
            },
            grade: arledger_core::domain::types::RiskGrade::B,
            reason: "review".into(),
        }),
        Op::Invoice(c, i, amount) => sample::service_invoice(
            InvoiceId(uuid(2, *i)),
            CustomerId(uuid(1, *c)),
            money(*amount),
        ),
        Op::Payment(c, p, amount) => sample::receive_payment(
            PaymentId(uuid(3, *p)),
            CustomerId(uuid(1, *c)),
            money(*amount),
        ),
        Op::Allocate(p, i, amount) => sample::allocate(
            PaymentId(uuid(3, *p)),
            InvoiceId(uuid(2, *i)),
            money(*amount),
        ),
        Op::AutoPay(c, p, amount) => sample::auto_allocating_payment(
            PaymentId(uuid(3, *p)),
            CustomerId(uuid(1, *c)),
            money(*amount),
        ),
        Op::Reverse(p) => Command::ReversePayment(ReversePayment {
            payment_id: PaymentId(uuid(3, *p)),
            reason: "bounced".into(),
            reversed_on: sample::date(40),
        }),
        Op::WriteOff(i, amount) => Command::WriteOffInvoice(WriteOffInvoice {
            invoice_id: InvoiceId(uuid(2, *i)),
            amount: money(*amount),
            reason: "uncollectible".into(),
            written_off_on: sample::date(50),
        }),
        Op::CreditNote(i, n, amount) => Command::IssueCreditNote(IssueCreditNote {
            credit_note_id: CreditNoteId(uuid(4, *n)),
            invoice_id: InvoiceId(uuid(2, *i)),
            amount: money(*amount),
            reason: CreditReason::Return,
            issued_on: sample::date(45),
        }),
        Op::Order(c, o, quantity) => Command::PlaceOrder(PlaceOrder {
            order_id: OrderId(uuid(5, *o)),
            number: format!("SO-{o}"),
            customer_id: CustomerId(uuid(1, *c)),
            currency: "CNY".into(),
            placed_on: sample::date(30),
            lines: vec![OrderLineRequest {
                line_no: 1,
                gtin: sample::GTIN.into(),
                quantity: *quantity,
                unit_price: dec!(120.00),
            }],
        }),
        Op::Release(o) => Command::ReleaseOrder(ReleaseOrder {
            order_id: OrderId(uuid(5, *o)),
            note: None,
        }),
        Op::Ship(o, sh, quantity) => Command::ShipOrder(ShipOrder {
            shipment_id: ShipmentId(uuid(6, *sh)),
            order_id: OrderId(uuid(5, *o)),
            shipped_on: sample::date(35),
            ship_to: "Dock 2".into(),
            lines: vec![ShipLineRequest {
                line_no: 1,
                gtin: sample::GTIN.into(),
                lot: "L1".into(),
                quantity: *quantity,
                serials: vec![],
                udis: vec![],
            }],
        }),
        Op::Cancel(o) => Command::CancelOrder(CancelOrder {
            order_id: OrderId(uuid(5, *o)),
            reason: "changed".into(),
        }),
        Op::Repeat(_) | Op::RepeatWithOtherBody(_) | Op::AsRole(..) | Op::Bulk(_) => {
            unreachable!("resolved by the caller")
        }
    }
}

/// What the ledger must answer, whatever the state: only some ops are
/// decided by their form alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// The original outcome, marked duplicate.
    Duplicate,
    /// Refused: the id was taken by another body.
    Mismatch,
    /// Refused: the role may not run the command.
    Forbidden,
    /// Depends on the state.
    Any,
}

fn submission(op: &Op, history: &[Submission]) -> (Submission, Expect) {
    match op {
        Op::Repeat(k) if !history.is_empty() => {
            (history[k % history.len()].clone(), Expect::Duplicate)
        }
        Op::RepeatWithOtherBody(k) if !history.is_empty() => {
            let original = &history[k % history.len()];
            let other = sample::register_customer(CustomerId(Uuid::from_u128(999)));
            // A user whose role may not run the other body is refused for
            // that first, without learning anything of the original.
            let expect = if other.permits(original.actor.role) {
                Expect::Mismatch
            } else {
                Expect::Forbidden
            };
            (
                Submission {
                    command: other,
                    ..original.clone()
                },
                expect,
            )
        }
        Op::Repeat(_) | Op::RepeatWithOtherBody(_) => (
            sample::submit(sample::register_customer(CustomerId(uuid(1, 0)))),
            Expect::Any,
        ),
        Op::AsRole(r, inner) => {
            let actor = Actor::new(&format!("user-{r}"), Role::ALL[*r].name()).unwrap();
            let command = command(inner);
            let expect = if command.permits(actor.role) {
                Expect::Any
            } else {
                Expect::Forbidden
            };
            (
                Submission::new(CommandId(Uuid::new_v4()), actor, command),
                expect,
            )
        }
        _ => (
            Submission::new(CommandId(Uuid::new_v4()), sample::admin(), command(op)),
            Expect::Any,
        ),
    }
}

/// Checks a single answer against what its form requires.
fn answer_fits(expect: Expect, answer: &Result<Outcome, CommandError>) -> bool {
    match (expect, answer) {
        (Expect::Duplicate, Ok(outcome)) => outcome.duplicate,
        (Expect::Mismatch, Err(CommandError::IdempotencyMismatch { .. }))
        | (Expect::Forbidden, Err(CommandError::Forbidden { .. }))
        | (Expect::Any, _) => true,
        _ => false,
    }
}

/// Accepted and refused commands over every case, to show that the
/// generated sequences exercise both.
#[derive(Default)]
struct Answers {
    accepted: AtomicUsize,
    refused: AtomicUsize,
}

impl Answers {
    fn count<T, E>(&self, answer: &Result<T, E>) {
        let counter = if answer.is_ok() {
            &self.accepted
        } else {
            &self.refused
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

const CASES: u32 = 64;

fn seed() -> u64 {
    let seed = std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_125);
    eprintln!("log property seed {seed} (set PROPTEST_RNG_SEED to change)");
    seed
}

fn open(dir: &std::path::Path) -> Ledger {
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).unwrap());
    Ledger::open(dir, LedgerOptions::new(Arc::new(clock))).unwrap()
}

/// Runs the cases with a fixed seed (PROPTEST_RNG_SEED overrides it; a
/// failure prints the minimal failing sequence), then checks that they
/// exercised both acceptance and refusal.
#[test]
fn the_log_reopened_equals_the_log_before_closing() {
    let answers = Answers::default();
    let mut runner = TestRunner::new(ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(seed()),
        ..ProptestConfig::default()
    });
    let result = runner.run(&prop::collection::vec(op(), 1..60), |ops| {
        check_sequence(&ops, &answers)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let (accepted, refused) = (
        answers.accepted.load(Ordering::Relaxed),
        answers.refused.load(Ordering::Relaxed),
    );
    assert!(
        accepted > 100 && refused > 100,
        "the sequences exercised too little: {accepted} accepted, {refused} refused"
    );
}

/// One case: the sequence appended, then the log reopened and compared.
fn check_sequence(ops: &[Op], answers: &Answers) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    ledger
        .submit(sample::submit(sample::register_product()))
        .unwrap();
    ledger
        .submit(sample::submit(sample::release_lot("L1", 100)))
        .unwrap();
    let mut run = Run {
        ledger: &ledger,
        history: Vec::new(),
        outcomes: HashMap::new(),
    };
    for op in ops {
        match op {
            Op::Bulk(inner) => run.bulk(inner, answers)?,
            _ => run.single(op, answers)?,
        }
    }
    let Run {
        history, outcomes, ..
    } = run;
    check_reopened(dir.path(), ledger, &history, &outcomes)
}

/// A sequence being appended: what was accepted, and how.
struct Run<'a> {
    ledger: &'a Ledger,
    history: Vec<Submission>,
    outcomes: HashMap<CommandId, Outcome>,
}

impl Run<'_> {
    /// Appends a bulk batch and checks each answer.
    fn bulk(&mut self, inner: &[Op], answers: &Answers) -> Result<(), TestCaseError> {
        let before = self.ledger.head().position;
        let (batch, expected): (Vec<Submission>, Vec<Expect>) =
            inner.iter().map(|o| submission(o, &self.history)).unzip();
        let results = self.ledger.submit_batch(batch.clone()).unwrap();
        let mut appended = 0;
        for ((s, r), expect) in batch.into_iter().zip(results).zip(expected) {
            prop_assert!(answer_fits(expect, &r), "{:?} answered {:?}", expect, r);
            answers.count(&r);
            let Ok(outcome) = r else {
                continue;
            };
            if outcome.duplicate {
                let original = self.outcomes.get(&s.command_id).unwrap();
                prop_assert_eq!(&outcome.event_ids, &original.event_ids);
            } else {
                appended += outcome.last_position - outcome.first_position + 1;
                self.outcomes.insert(s.command_id, outcome);
                self.history.push(s);
            }
        }
        prop_assert_eq!(
            self.ledger.head().position,
            before + appended,
            "only accepted commands append"
        );
        Ok(())
    }

    /// Appends one command and checks its answer.
    fn single(&mut self, op: &Op, answers: &Answers) -> Result<(), TestCaseError> {
        let before = self.ledger.head().position;
        let (s, expect) = submission(op, &self.history);
        let answer = match self.ledger.submit(s.clone()) {
            Ok(outcome) => Ok(outcome),
            Err(SubmitError::Refused(e)) => Err(e),
            Err(SubmitError::Log(e)) => panic!("log failed: {e}"),
        };
        prop_assert!(
            answer_fits(expect, &answer),
            "{:?} answered {:?}",
            expect,
            answer
        );
        answers.count(&answer);
        match answer {
            Ok(outcome) if outcome.duplicate => {
                prop_assert_eq!(self.ledger.head().position, before);
                let original = self.outcomes.get(&s.command_id).unwrap();
                prop_assert_eq!(outcome.first_position, original.first_position);
                prop_assert_eq!(&outcome.event_ids, &original.event_ids);
            }
            Ok(outcome) => {
                prop_assert_eq!(outcome.first_position, before + 1);
                prop_assert_eq!(self.ledger.head().position, outcome.last_position);
                self.outcomes.insert(s.command_id, outcome);
                self.history.push(s);
            }
            Err(_) => prop_assert_eq!(self.ledger.head().position, before, "refused appended"),
        }
        Ok(())
    }
}

/// Closes `ledger`, reopens the log at `dir` and compares: head, events,
/// write model (also against a fold from scratch), and every accepted
/// command answered again as a repeat.
fn check_reopened(
    dir: &std::path::Path,
    ledger: Ledger,
    history: &[Submission],
    outcomes: &HashMap<CommandId, Outcome>,
) -> Result<(), TestCaseError> {
    let events = ledger.read(1, usize::MAX).unwrap();
    let model = ledger.with_model(Clone::clone);
    let head = ledger.head();
    drop(ledger);

    let reopened = open(dir);
    prop_assert_eq!(reopened.head(), head);
    prop_assert_eq!(reopened.read(1, usize::MAX).unwrap(), events.clone());
    prop_assert!(
        reopened.with_model(|m| *m == model),
        "write model differs after reopen"
    );
    let mut folded = WriteModel::default();
    for e in &events {
        folded.apply(&e.event().unwrap()).unwrap();
    }
    prop_assert!(
        folded == model,
        "write model differs from a fold from scratch"
    );
    for s in history {
        let again = reopened.submit(s.clone()).unwrap();
        prop_assert!(again.duplicate);
        prop_assert_eq!(&again.event_ids, &outcomes[&s.command_id].event_ids);
    }
    Ok(())
}
