//! A recall opens disputes for the invoiced, unpaid value of recalled goods,
//! so that they leave dunning; returns and credit notes for the recall or
//! the return settle them (traceability in domain.md 4, read-models.md "Collections").
//! H1 is billed 10 units of lot L1 on INV-H1 before the recall; H2 gets 5
//! units of L1 before it and is billed after it; every answer as known at
//! earlier positions stays as it was, and the receivables read model agrees
//! with the write model at the head.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

mod support;

use arledger_core::domain::Command;
use arledger_core::domain::commands::{IssueCreditNote, RecordRecallReturn};
use arledger_core::domain::types::CreditReason;
use arledger_core::ids::{CreditNoteId, InvoiceId, RecallId};
use arledger_projections::alerts::{AlertQuery, AlertSettings, alerts};
use arledger_projections::credit::Credit;
use arledger_projections::receivables::Receivables;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use support::*;
use uuid::Uuid;

const R1: RecallId = RecallId(Uuid::from_u128(0xCA11));

fn invoice(n: u128, on: &str, amount: Decimal) -> Command {
    goods_invoice(
        invoice_id(n),
        customer(n),
        &format!("INV-H{n}"),
        (on, "USD"),
        (shipment_id(n), None),
        amount,
        net(30),
    )
}

fn credit(n: u128, invoice: InvoiceId, amount: Decimal, reason: CreditReason) -> Command {
    Command::IssueCreditNote(IssueCreditNote {
        credit_note_id: CreditNoteId(id(4, n)),
        invoice_id: invoice,
        amount,
        reason,
        issued_on: d("2026-04-20"),
    })
}

/// H1 billed 1 000.00 for 10 units of L1 (due 2026-04-01), H2 shipped 5
/// units; then L1 recalled on 2026-04-01. Returns the position before the
/// recall and the recall's.
fn recalled() -> (History, u64, u64) {
    let mut h = History::new();
    for c in goods_master_data() {
        h.run(c);
    }
    h.run(register(customer(1), "H1 County Hospital", "East", "sam"));
    h.run(register(customer(2), "H2 City Clinic", "West", "kim"));
    for (n, units) in [(1, 10), (2, 5)] {
        h.run(place_order(order_id(n), customer(n), "USD", units));
        let _held_or_not = h.try_run(&release_order(order_id(n)));
    }
    h.run(ship_from(
        "L1",
        shipment_id(1),
        order_id(1),
        "2026-03-01",
        10,
    ));
    h.run(invoice(1, "2026-03-02", dec!(1000.00)));
    let before = h.run(ship_from(
        "L1",
        shipment_id(2),
        order_id(2),
        "2026-03-05",
        5,
    ));
    let recall = h.run(recall_lot(R1, "L1", "2026-04-01"));
    (h, before, recall)
}

/// (open, disputed) of invoice `n` as of `on`, as known at `p`.
fn item(r: &Receivables, n: u128, on: &str, p: u64) -> (Decimal, Decimal) {
    r.open_items(d(on), p, Some(customer(n)))
        .iter()
        .filter(|i| i.invoice_id == invoice_id(n))
        .fold((Decimal::ZERO, Decimal::ZERO), |(o, di), i| {
            (o + i.open, di + i.disputed)
        })
}

/// The reason codes of the alerts about customer `n` on `on` at `p`.
fn dunning(h: &History, n: u128, on: &str, p: u64) -> Vec<String> {
    let (r, c): (Receivables, Credit) = (h.fed(p), h.fed(p));
    let query = AlertQuery {
        as_of: d(on),
        known_at_position: p,
        customer: Some(customer(n)),
        scope: None,
    };
    alerts(&r, &c, &AlertSettings::default(), &query)
        .into_iter()
        .map(|a| a.reason_code)
        .collect()
}

/// What the write model says recalls dispute of each invoice equals what
/// the read model shows disputed at the head, far in the future.
fn agrees_with_the_write_model(h: &History) {
    let r: Receivables = h.fed(h.head());
    for n in [1, 2] {
        let Some(inv) = h.model().invoices.get(&invoice_id(n)) else {
            continue;
        };
        let (open, disputed) = item(&r, n, "2030-01-01", h.head());
        assert_eq!(open, inv.open(), "open of INV-H{n}");
        assert_eq!(disputed, inv.recall_disputed(), "disputed of INV-H{n}");
    }
}

#[test]
fn a_recall_takes_the_invoiced_recalled_goods_out_of_dunning() {
    let (h, before, recall) = recalled();
    let r: Receivables = h.fed(h.head());
    assert_eq!(
        item(&r, 1, "2026-04-20", recall),
        (dec!(1000.00), dec!(1000.00))
    );
    assert_eq!(
        item(&r, 1, "2026-04-20", before),
        (dec!(1000.00), dec!(0)),
        "as known before the recall"
    );
    assert_eq!(
        item(&r, 1, "2026-03-31", recall),
        (dec!(1000.00), dec!(0)),
        "as of the day before the recall"
    );
    assert!(dunning(&h, 1, "2026-04-20", recall).is_empty());
    assert_eq!(dunning(&h, 1, "2026-04-20", before), ["OVERDUE_15"]);
    agrees_with_the_write_model(&h);
}

#[test]
fn goods_recalled_before_they_are_billed_are_disputed_from_the_invoice() {
    let (mut h, _, recall) = recalled();
    let billed = h.run(invoice(2, "2026-04-02", dec!(500.00)));
    let r: Receivables = h.fed(h.head());
    assert_eq!(
        item(&r, 2, "2026-05-20", billed),
        (dec!(500.00), dec!(500.00))
    );
    assert!(dunning(&h, 2, "2026-05-20", billed).is_empty());
    assert_eq!(item(&r, 2, "2026-05-20", recall), (dec!(0), dec!(0)));
    agrees_with_the_write_model(&h);
}

#[test]
fn credit_notes_for_the_recall_or_the_return_settle_the_dispute() {
    let (mut h, _, recall) = recalled();
    let priced = h.run(credit(
        1,
        invoice_id(1),
        dec!(100.00),
        CreditReason::PriceAdjustment,
    ));
    let part = h.run(credit(2, invoice_id(1), dec!(400.00), CreditReason::Recall));
    agrees_with_the_write_model(&h);
    let rest = h.run(credit(3, invoice_id(1), dec!(500.00), CreditReason::Return));
    agrees_with_the_write_model(&h);
    let r: Receivables = h.fed(h.head());
    let on = "2026-04-25";
    assert_eq!(item(&r, 1, on, recall), (dec!(1000.00), dec!(1000.00)));
    // A price adjustment lowers what is open; the recall still disputes
    // all of it.
    assert_eq!(item(&r, 1, on, priced), (dec!(900.00), dec!(900.00)));
    assert_eq!(item(&r, 1, on, part), (dec!(500.00), dec!(500.00)));
    assert_eq!(item(&r, 1, on, rest), (dec!(0), dec!(0)));
    assert_eq!(
        item(&r, 1, "2026-04-19", rest),
        (dec!(1000.00), dec!(1000.00)),
        "as of before the credit notes"
    );
}

#[test]
fn a_payment_reversed_after_a_settlement_is_disputed_again_for_what_is_left() {
    let (mut h, _, _) = recalled();
    h.run(payment(
        payment_id(1),
        customer(1),
        ("2026-04-10", "USD"),
        dec!(300.00),
        false,
    ));
    h.run(allocate(payment_id(1), invoice_id(1), dec!(300.00), None));
    h.run(credit(1, invoice_id(1), dec!(700.00), CreditReason::Recall));
    agrees_with_the_write_model(&h);
    h.run(reverse(payment_id(1), "2026-04-22"));
    agrees_with_the_write_model(&h);
    let r: Receivables = h.fed(h.head());
    // The recall disputed 1 000.00, the credit note settled 700.00: the
    // 300.00 open again after the reversal is still the recall's.
    assert_eq!(
        item(&r, 1, "2026-04-25", h.head()),
        (dec!(300.00), dec!(300.00))
    );
}

#[test]
fn returns_settle_the_returned_share() {
    let (mut h, _, recall) = recalled();
    let back = |quantity, on: &str| {
        Command::RecordRecallReturn(RecordRecallReturn {
            recall_id: R1,
            customer_id: customer(1),
            quantity,
            returned_on: d(on),
        })
    };
    let four = h.run(back(4, "2026-04-10"));
    agrees_with_the_write_model(&h);
    let credited = h.run(credit(1, invoice_id(1), dec!(100.00), CreditReason::Return));
    agrees_with_the_write_model(&h);
    let rest = h.run(back(6, "2026-04-25"));
    agrees_with_the_write_model(&h);
    let r: Receivables = h.fed(h.head());
    let on = "2026-04-30";
    assert_eq!(item(&r, 1, on, recall), (dec!(1000.00), dec!(1000.00)));
    assert_eq!(item(&r, 1, on, four), (dec!(1000.00), dec!(600.00)));
    // A credit note for returned goods settles them once: 400.00 came
    // back, 100.00 was credited, 400.00 counts.
    assert_eq!(item(&r, 1, on, credited), (dec!(900.00), dec!(600.00)));
    // Goods all back and not all credited: what is left is due again.
    assert_eq!(item(&r, 1, on, rest), (dec!(900.00), dec!(0)));
    assert_eq!(
        item(&r, 1, "2026-04-09", rest),
        (dec!(1000.00), dec!(1000.00)),
        "as of before the first return"
    );
    assert_eq!(dunning(&h, 1, on, rest), ["OVERDUE_15"]);
}
