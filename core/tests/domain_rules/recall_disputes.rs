//! Traceability, domain.md 4: a recall opens disputes for the invoiced,
//! unpaid value of the recalled goods (so they leave dunning), an invoice
//! billing recalled goods after the recall opens its own, and returns and
//! credit notes for the recall or the return settle them.

use arledger_core::domain::commands::*;
use arledger_core::domain::events::*;
use arledger_core::domain::types::CreditReason;
use arledger_core::domain::{Command, Event};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::commands::*;
use crate::fixtures::*;
use crate::harness::*;
use crate::values::*;

/// The disputes the recall in `events` opens, as (invoice, amount).
fn opened(events: &[Event]) -> Vec<(arledger_core::ids::InvoiceId, Decimal)> {
    match events {
        [Event::RecallIssued(e)] => e
            .disputes
            .iter()
            .map(|d| (d.invoice_id, d.amount.amount))
            .collect(),
        other => panic!("expected one RecallIssued, got {other:?}"),
    }
}

fn recall_of(lots: &[&str], serials: &[&str]) -> Command {
    Command::IssueRecall(IssueRecall {
        serials: serials.iter().map(|s| s.to_string()).collect(),
        ..recall(R1, GTIN_A, lots)
    })
}

fn credit(id: arledger_core::ids::CreditNoteId, amount: Decimal, reason: CreditReason) -> Command {
    Command::IssueCreditNote(IssueCreditNote {
        reason,
        issued_on: d("2026-03-10"),
        ..credit_note(id, I1, amount)
    })
}

/// O1 line 1 shipped in S1 as 10 serialised units of L1, SN001 to SN010.
fn with_serials_shipped() -> Given {
    let serials: Vec<String> = (1..=10).map(|n| format!("SN{n:03}")).collect();
    with_order().and(Command::ShipOrder(shipment(
        S1,
        O1,
        "2026-01-10",
        vec![ShipLineRequest {
            serials,
            ..ship_line(1, GTIN_A, "L1", 10)
        }],
    )))
}

fn recall_disputed(g: &Given) -> Decimal {
    g.0.invoices[&I1].recall_disputed()
}

#[test]
fn a_recall_disputes_the_invoiced_value_of_its_goods() {
    let mut g = with_invoice();
    let events = accepted(when(&g, &quality(), recall_of(&["L1"], &[])));
    // S1 line 1 (10 units of L1) is billed 1 000.00 + 130.00 tax on I1.
    assert_eq!(opened(&events), vec![(I1, dec!(1130.00))]);
    g.apply(&events);
    assert_eq!(recall_disputed(&g), dec!(1130.00));
    // Still open: a dispute keeps the amount in aging.
    assert_eq!(g.invoice_open(I1), dec!(1130.00));
    // A recall of a lot nobody was billed for disputes nothing.
    let other = accepted(when(&with_invoice(), &quality(), recall_of(&["L2"], &[])));
    assert_eq!(opened(&other), vec![]);
}

#[test]
fn what_is_paid_is_not_disputed() {
    let g = with_payment().and(Command::AllocatePayment(allocate(P1, I1, dec!(500.00))));
    let mut g = g;
    let events = accepted(when(&g, &quality(), recall_of(&["L1"], &[])));
    // The recall disputes the goods' value; what is open of it counts.
    assert_eq!(opened(&events), vec![(I1, dec!(1130.00))]);
    g.apply(&events);
    assert_eq!(recall_disputed(&g), dec!(630.00));
    // A bounced payment: the recalled goods are disputed again in full.
    g = g.and(Command::ReversePayment(reverse(P1)));
    assert_eq!(recall_disputed(&g), dec!(1130.00));
}

#[test]
fn a_line_from_two_lots_disputes_the_recalled_lot_share() {
    let g = with_order()
        .and(Command::ShipOrder(shipment(
            S1,
            O1,
            "2026-01-10",
            vec![ship_line(1, GTIN_A, "L1", 7), ship_line(1, GTIN_A, "L2", 3)],
        )))
        .and(Command::IssueInvoice(issue_i1()));
    let events = accepted(when(&g, &quality(), recall_of(&["L2"], &[])));
    // 3 of the line's 10 units: 1 130.00 × 3 / 10.
    assert_eq!(opened(&events), vec![(I1, dec!(339.00))]);
}

#[test]
fn a_recall_of_serials_disputes_those_units_only() {
    let g = with_serials_shipped().and(Command::IssueInvoice(issue_i1()));
    let events = accepted(when(
        &g,
        &quality(),
        recall_of(&["L1"], &["SN002", "SN005", "SN009", "NOT-SHIPPED"]),
    ));
    // 3 of 10 units shipped: 1 130.00 × 3 / 10.
    assert_eq!(opened(&events), vec![(I1, dec!(339.00))]);
}

#[test]
fn an_invoice_billing_recalled_goods_opens_the_recall_dispute() {
    let g = with_shipment().and(recall_of(&["L1"], &[]));
    let events = accepted(issue(&g, issue_i1()));
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(matches!(events[0], Event::InvoiceIssued(_)));
    assert_eq!(
        events[1],
        Event::DisputeOpened(DisputeOpened {
            invoice_id: I1,
            amount: usd(dec!(1130.00)),
            reason: format!("billed goods under recall {R1}"),
            opened_on: d("2026-01-15"),
            recall_id: Some(R1),
        })
    );
    let mut g = g;
    g.apply(&events);
    assert_eq!(recall_disputed(&g), dec!(1130.00));
    assert_eq!(g.0.invoices[&I1].disputed, None);
}

#[test]
fn credit_notes_for_the_recall_or_the_return_settle_it() {
    let mut g = with_invoice().and(recall_of(&["L1"], &[]));
    // A price adjustment lowers what is open but settles no recall.
    g = g.and(credit(CN1, dec!(100.00), CreditReason::PriceAdjustment));
    assert_eq!(recall_disputed(&g), dec!(1030.00));
    assert_eq!(g.0.invoices[&I1].recall_disputes[0].amount(), dec!(1130.00));
    g = g.and(credit(CN2, dec!(500.00), CreditReason::Recall));
    assert_eq!(g.invoice_open(I1), dec!(530.00));
    assert_eq!(recall_disputed(&g), dec!(530.00));
    assert_eq!(g.0.invoices[&I1].recall_disputes[0].amount(), dec!(630.00));
    let cn3 = arledger_core::ids::CreditNoteId(uuid::Uuid::from_u128(0xC403));
    g = g.and(credit(cn3, dec!(530.00), CreditReason::Return));
    assert_eq!(recall_disputed(&g), dec!(0));
    assert_eq!(g.0.invoices[&I1].recall_disputes[0].amount(), dec!(100.00));
}

#[test]
fn a_person_disputes_only_what_recalls_leave() {
    let g = with_invoice().and(recall_of(&["L1"], &["SN1"]));
    // Nothing was serialised: the serial recall disputes nothing.
    assert_eq!(recall_disputed(&g), dec!(0));
    let g = with_payment()
        .and(Command::AllocatePayment(allocate(P1, I1, dec!(500.00))))
        .and(recall_of(&["L1"], &[]));
    let err = refused(when(
        &g,
        &finance(),
        Command::OpenDispute(open_dispute(I1, dec!(1.00))),
    ));
    assert!(
        err.to_string()
            .contains("beyond the 630.00 its recalls dispute"),
        "{err}"
    );
}

/// The (invoice, amount) each return in `events` settles.
fn settled(events: &[Event]) -> Vec<(arledger_core::ids::InvoiceId, Decimal)> {
    match events {
        [Event::RecallUnitsReturned(e)] => e
            .settles
            .iter()
            .map(|d| (d.invoice_id, d.amount.amount))
            .collect(),
        other => panic!("expected one RecallUnitsReturned, got {other:?}"),
    }
}

fn returned(g: &Given, quantity: i64) -> Vec<Event> {
    accepted(when(
        g,
        &warehouse(),
        Command::RecordRecallReturn(recall_return(R1, HOSPITAL, quantity)),
    ))
}

#[test]
fn returns_settle_the_returned_share_and_the_last_the_rest() {
    let mut g = with_invoice().and(recall_of(&["L1"], &[]));
    // 3 of the 10 units: 1 130.00 × 3 / 10.
    let first = returned(&g, 3);
    assert_eq!(settled(&first), vec![(I1, dec!(339.00))]);
    g.apply(&first);
    assert_eq!(recall_disputed(&g), dec!(791.00));
    // A credit note for the recall settles too, and returned goods it
    // credits are settled once: the larger of the two counts.
    g = g.and(credit(CN1, dec!(339.00), CreditReason::Recall));
    assert_eq!(recall_disputed(&g), dec!(791.00));
    g = g.and(credit(CN2, dec!(161.00), CreditReason::Recall));
    assert_eq!(recall_disputed(&g), dec!(630.00));
    let second = returned(&g, 3);
    assert_eq!(settled(&second), vec![(I1, dec!(339.00))]);
    g.apply(&second);
    // Returned 678.00 of goods, credited 500.00: 452.00 still out.
    assert_eq!(recall_disputed(&g), dec!(452.00));
    let last = returned(&g, 4);
    assert_eq!(settled(&last), vec![(I1, dec!(452.00))], "all that is left");
    g.apply(&last);
    assert_eq!(recall_disputed(&g), dec!(0));
}

#[test]
fn a_recall_names_each_lot_and_serial_once_and_units_are_recalled_once() {
    let g = with_invoice();
    let twice = refused(when(&g, &quality(), recall_of(&["L1", "L1"], &[])));
    assert!(twice.to_string().contains("L1 is named twice"), "{twice}");
    assert_invalid(
        when(&g, &quality(), recall_of(&["L1"], &["SN1", "SN1"])),
        "serials",
    );
    // A second recall of units already recalled disputes nothing more.
    let g = g.and(recall_of(&["L1"], &[]));
    let again = accepted(when(
        &g,
        &quality(),
        Command::IssueRecall(IssueRecall {
            recall_id: arledger_core::ids::RecallId(uuid::Uuid::from_u128(0x7002)),
            ..recall(R1, GTIN_A, &["L1"])
        }),
    ));
    assert_eq!(opened(&again), vec![]);
}

#[test]
fn the_last_return_settles_what_rounding_left() {
    let odd = invoice(
        I1,
        "INV-1",
        HOSPITAL,
        "2026-01-15",
        vec![bill(S1, 1, dec!(1000.00), dec!(0.01))],
    );
    let mut g = with_shipment()
        .and(Command::IssueInvoice(odd))
        .and(recall_of(&["L1"], &[]));
    for _ in 0..3 {
        let events = returned(&g, 3);
        // 1 000.01 × 3 / 10 = 300.003, rounded.
        assert_eq!(settled(&events), vec![(I1, dec!(300.00))]);
        g.apply(&events);
    }
    assert_eq!(settled(&returned(&g, 1)), vec![(I1, dec!(100.01))]);
}

#[test]
fn an_invoice_billing_recalled_serials_disputes_those_units() {
    let g = with_serials_shipped().and(recall_of(&["L1"], &["SN004", "SN007"]));
    let events = accepted(issue(&g, issue_i1()));
    match &events[..] {
        [Event::InvoiceIssued(_), Event::DisputeOpened(opened)] => {
            // 2 of 10 units: 1 130.00 × 2 / 10.
            assert_eq!(opened.amount, usd(dec!(226.00)));
            assert_eq!(opened.recall_id, Some(R1));
        }
        other => panic!("{other:?}"),
    }
}
