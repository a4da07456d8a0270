//! domain.md 4, sales and receivables: recalls. RecallIssued (IssueRecall),
//! RecallNoticeAcknowledged (AcknowledgeRecall) and RecallUnitsReturned
//! (RecordRecallReturn). That a recalled lot no longer ships is in
//! `shipments`.

use arledger_core::domain::commands::*;
use arledger_core::domain::decide::{LINES_MAX, SERIALS_PER_SHIPMENT_MAX};
use arledger_core::domain::events::*;
use arledger_core::domain::types::RiskClass;
use arledger_core::domain::{Command, CommandError, Event};

use crate::commands::*;
use crate::fixtures::*;
use crate::harness::*;
use crate::values::*;

// IssueRecall

#[test]
fn issuing_a_recall_blocks_its_lots() {
    let mut g = with_shipment();
    let events = accepted(when(
        &g,
        &quality(),
        Command::IssueRecall(recall(R1, GTIN_A, &["L1", "L2"])),
    ));
    assert_eq!(
        events,
        vec![Event::RecallIssued(RecallIssued {
            recall_id: R1,
            gtin: gtin(GTIN_A),
            lots: vec!["L1".into(), "L2".into()],
            serials: vec![],
            class: RiskClass::II,
            reason: "seal may leak".into(),
            issued_on: d("2026-03-01"),
            disputes: vec![],
        })]
    );
    g.apply(&events);
    for lot in ["L1", "L2"] {
        assert_eq!(
            g.0.lot(&gtin(GTIN_A), lot).and_then(|l| l.recalled_by),
            Some(R1)
        );
    }
    assert_eq!(
        g.0.lot(&gtin(GTIN_A), "OLD").and_then(|l| l.recalled_by),
        None
    );
}

#[test]
fn a_recall_with_an_invalid_gtin_is_refused() {
    let g = with_shipment();
    assert_invalid(
        when(
            &g,
            &quality(),
            Command::IssueRecall(recall(R1, "09506000134353", &["L1"])),
        ),
        "gtin",
    );
}

#[test]
fn a_recall_without_a_reason_is_refused() {
    let g = with_shipment();
    assert_invalid(
        when(
            &g,
            &quality(),
            Command::IssueRecall(IssueRecall {
                reason: " ".into(),
                ..recall(R1, GTIN_A, &["L1"])
            }),
        ),
        "reason",
    );
}

#[test]
fn a_recall_naming_no_lot_is_refused() {
    let g = with_shipment();
    assert_invalid(
        when(
            &g,
            &quality(),
            Command::IssueRecall(recall(R1, GTIN_A, &[])),
        ),
        "lots",
    );
}

#[test]
fn a_recall_naming_too_many_lots_or_serials_is_refused() {
    let g = with_shipment();
    let lots: Vec<String> = (0..=LINES_MAX).map(|i| format!("L{i}")).collect();
    let lots: Vec<&str> = lots.iter().map(String::as_str).collect();
    assert_invalid(
        when(
            &g,
            &quality(),
            Command::IssueRecall(recall(R1, GTIN_A, &lots)),
        ),
        "lots",
    );
    assert_invalid(
        when(
            &g,
            &quality(),
            Command::IssueRecall(IssueRecall {
                serials: (0..=SERIALS_PER_SHIPMENT_MAX)
                    .map(|i| format!("SN{i}"))
                    .collect(),
                ..recall(R1, GTIN_A, &["L1"])
            }),
        ),
        "serials",
    );
}

#[test]
fn a_recall_of_an_unknown_product_is_refused() {
    let g = with_shipment();
    assert_not_found(
        when(
            &g,
            &quality(),
            Command::IssueRecall(recall(R1, GTIN_UNREGISTERED, &["L1"])),
        ),
        "product",
    );
}

#[test]
fn a_recall_of_an_unknown_lot_is_refused() {
    let g = with_shipment();
    // B1 is a lot of another product.
    for lot in ["L9", "B1"] {
        assert_not_found(
            when(
                &g,
                &quality(),
                Command::IssueRecall(recall(R1, GTIN_A, &["L1", lot])),
            ),
            "lot",
        );
    }
}

#[test]
fn issuing_a_recall_id_twice_is_refused() {
    let g = with_recall();
    assert_exists(
        when(
            &g,
            &quality(),
            Command::IssueRecall(recall(R1, GTIN_A, &["L2"])),
        ),
        "recall",
    );
}

// AcknowledgeRecall

#[test]
fn a_customer_that_received_an_affected_lot_acknowledges_the_recall() {
    let mut g = with_recall();
    let events = accepted(when(
        &g,
        &quality(),
        Command::AcknowledgeRecall(acknowledge(R1, HOSPITAL)),
    ));
    assert_eq!(
        events,
        vec![Event::RecallNoticeAcknowledged(RecallNoticeAcknowledged {
            recall_id: R1,
            customer_id: HOSPITAL,
            acknowledged_on: d("2026-03-02"),
        })]
    );
    g.apply(&events);
    assert!(g.0.recalls[&R1].acknowledged.contains(&HOSPITAL));
}

#[test]
fn acknowledging_an_unknown_recall_is_refused() {
    let g = with_recall();
    assert_not_found(
        when(
            &g,
            &quality(),
            Command::AcknowledgeRecall(acknowledge(NO_SUCH_RECALL, HOSPITAL)),
        ),
        "recall",
    );
}

#[test]
fn acknowledging_for_an_unknown_customer_is_refused() {
    let g = with_recall();
    assert_not_found(
        when(
            &g,
            &quality(),
            Command::AcknowledgeRecall(acknowledge(R1, NO_SUCH_CUSTOMER)),
        ),
        "customer",
    );
}

#[test]
fn a_customer_that_received_no_affected_lot_cannot_acknowledge() {
    let g = with_recall();
    assert_invalid_state(
        when(
            &g,
            &quality(),
            Command::AcknowledgeRecall(acknowledge(R1, CLINIC)),
        ),
        "recall",
    );
}

#[test]
fn a_recall_is_acknowledged_once_per_customer() {
    let g = with_recall().and(Command::AcknowledgeRecall(acknowledge(R1, HOSPITAL)));
    assert_invalid_state(
        when(
            &g,
            &quality(),
            Command::AcknowledgeRecall(acknowledge(R1, HOSPITAL)),
        ),
        "recall",
    );
}

// RecordRecallReturn

fn record_return(g: &Given, command: RecordRecallReturn) -> Result<Vec<Event>, CommandError> {
    when(g, &warehouse(), Command::RecordRecallReturn(command))
}

#[test]
fn returned_recalled_units_are_recorded_per_customer() {
    let mut g = with_recall();
    let events = accepted(record_return(&g, recall_return(R1, HOSPITAL, 4)));
    assert_eq!(
        events,
        vec![Event::RecallUnitsReturned(RecallUnitsReturned {
            recall_id: R1,
            customer_id: HOSPITAL,
            quantity: 4,
            returned_on: d("2026-03-05"),
            settles: vec![],
        })]
    );
    g.apply(&events);
    assert_eq!(g.0.recalls[&R1].returned.get(&HOSPITAL).copied(), Some(4));
    // The remaining six may come back too.
    assert!(record_return(&g, recall_return(R1, HOSPITAL, 6)).is_ok());
}

#[test]
fn a_return_of_zero_or_negative_units_is_refused() {
    let g = with_recall();
    for quantity in [0, -1] {
        assert_invalid(
            record_return(&g, recall_return(R1, HOSPITAL, quantity)),
            "quantity",
        );
    }
}

#[test]
fn a_return_under_an_unknown_recall_is_refused() {
    let g = with_recall();
    assert_not_found(
        record_return(&g, recall_return(NO_SUCH_RECALL, HOSPITAL, 1)),
        "recall",
    );
}

#[test]
fn a_return_from_an_unknown_customer_is_refused() {
    let g = with_recall();
    assert_not_found(
        record_return(&g, recall_return(R1, NO_SUCH_CUSTOMER, 1)),
        "customer",
    );
}

/// RecallUnitsReturned: at most what was shipped to that customer. Not an
/// overshipment (nothing ships): the recall's state forbids it.
#[test]
fn returning_more_than_was_shipped_to_the_customer_is_refused() {
    let g = with_recall();
    assert_invalid_state(record_return(&g, recall_return(R1, HOSPITAL, 11)), "recall");
    assert_invalid_state(record_return(&g, recall_return(R1, CLINIC, 1)), "recall");
    let g = g.and(Command::RecordRecallReturn(recall_return(R1, HOSPITAL, 6)));
    assert_invalid_state(record_return(&g, recall_return(R1, HOSPITAL, 5)), "recall");
}
