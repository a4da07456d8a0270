//! Time travel on a real ledger with the projection engine: the aging
//! report at (D, p) equals the report of a from-scratch fold of the log
//! prefix 1..p, and stays byte-identical however many events are appended
//! afterwards, backdated corrections dated before D included; a later p
//! sees them.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

use std::sync::Arc;
use std::time::Duration;

use arledger_core::clock::ManualClock;
use arledger_core::domain::commands::*;
use arledger_core::domain::types::CreditReason;
use arledger_core::ids::{CreditNoteId, CustomerId, InvoiceId, PaymentId};
use arledger_core::log::{Ledger, LedgerOptions};
use arledger_core::sample;
use arledger_projections::engine::{Engine, Handle};
use arledger_projections::receivables::{AgingBasis, AgingQuery, Receivables};
use arledger_replay::{fold_prefix, resolve_point};
use chrono::{NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(60);

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn customer(n: u128) -> CustomerId {
    CustomerId(Uuid::from_u128(n))
}

/// Invoices for a few customers (dated 2026-01-11, net 30), with part
/// paid; each customer's last invoice is left open.
fn first_half(ledger: &Ledger) {
    for c in 1..=4u128 {
        ledger
            .submit(sample::submit(sample::register_customer(customer(c))))
            .unwrap();
        for n in 0..3u128 {
            let invoice = InvoiceId(Uuid::from_u128(c * 100 + n));
            let amount = Decimal::new(10_000 + i64::try_from(c * 100 + n).unwrap(), 2);
            let payment = PaymentId(Uuid::from_u128(c * 1_000 + n));
            let commands = [
                sample::service_invoice(invoice, customer(c), amount),
                sample::receive_payment(payment, customer(c), Decimal::new(5_000, 2)),
                sample::allocate(payment, invoice, Decimal::new(5_000, 2)),
            ];
            for command in commands {
                ledger.submit(sample::submit(command)).unwrap();
            }
        }
    }
}

/// Later appends: more invoices and payments, and a credit note dated
/// back before D on an invoice of the first half.
fn second_half(ledger: &Ledger) {
    for c in 1..=4u128 {
        let invoice = InvoiceId(Uuid::from_u128(c * 100 + 50));
        ledger
            .submit(sample::submit(sample::service_invoice(
                invoice,
                customer(c),
                Decimal::new(77_700, 2),
            )))
            .unwrap();
    }
    let backdated = Command::IssueCreditNote(IssueCreditNote {
        credit_note_id: CreditNoteId(Uuid::from_u128(9)),
        invoice_id: InvoiceId(Uuid::from_u128(102)),
        amount: Decimal::new(2_500, 2),
        reason: CreditReason::PriceAdjustment,
        issued_on: d("2026-01-20"),
    });
    ledger.submit(sample::submit(backdated)).unwrap();
}

fn report_json(receivables: &Handle<Receivables>, query: &AgingQuery) -> String {
    serde_json::to_string(&receivables.read().aging(query).unwrap()).unwrap()
}

fn queries(as_of: NaiveDate, position: u64) -> Vec<AgingQuery> {
    let mut by_invoice_date = AgingQuery::new(as_of, position);
    by_invoice_date.basis = AgingBasis::InvoiceDate;
    vec![AgingQuery::new(as_of, position), by_invoice_date]
}

#[test]
fn a_report_at_a_past_point_is_the_fold_of_its_prefix_and_never_changes() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).unwrap(),
    ));
    let ledger = Ledger::open(dir.path(), LedgerOptions::new(clock)).unwrap();
    let mut builder = Engine::builder(&ledger);
    let receivables = builder.add::<Receivables>().unwrap();
    let engine = builder.start().unwrap();
    first_half(&ledger);
    let p = resolve_point(&ledger, None, None).unwrap();
    engine.wait_for(p.position, WAIT).unwrap();
    let as_of = d("2026-03-31");
    let before: Vec<String> = queries(as_of, p.position)
        .iter()
        .map(|q| report_json(&receivables, q))
        .collect();
    // The reference: a fold of the prefix from scratch.
    let reference: Receivables = fold_prefix(&ledger, p.position).unwrap();
    for (query, live) in queries(as_of, p.position).iter().zip(&before) {
        assert_eq!(
            &serde_json::to_string(&reference.aging(query).unwrap()).unwrap(),
            live
        );
    }
    second_half(&ledger);
    let head = ledger.head().position;
    engine.wait_for(head, WAIT).unwrap();
    let after: Vec<String> = queries(as_of, p.position)
        .iter()
        .map(|q| report_json(&receivables, q))
        .collect();
    assert_eq!(
        before, after,
        "the answer at (D, p) changed after later appends"
    );
    // The same point, resolved again: the same position and hash.
    assert_eq!(resolve_point(&ledger, None, Some(p.position)).unwrap(), p);
    // At the head, the backdated credit note counts for D.
    let now = report_json(&receivables, &AgingQuery::new(as_of, head));
    assert_ne!(now, before[0]);
    let reference: Receivables = fold_prefix(&ledger, head).unwrap();
    let at_head = serde_json::to_string(&reference.aging(&AgingQuery::new(as_of, head)).unwrap());
    assert_eq!(now, at_head.unwrap());
}
