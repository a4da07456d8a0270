//! domain.md 4, sales and receivables: collections.
//! CollectionActivityRecorded (RecordCollectionActivity).

use arledger_core::domain::commands::*;
use arledger_core::domain::events::*;
use arledger_core::domain::types::CollectionChannel;
use arledger_core::domain::{Command, CommandError, Event};

use crate::commands::*;
use crate::fixtures::*;
use crate::harness::*;
use crate::values::*;

fn record(g: &Given, command: RecordCollectionActivity) -> Result<Vec<Event>, CommandError> {
    when(g, &sales(), Command::RecordCollectionActivity(command))
}

#[test]
fn a_collection_activity_records_who_chased_whom() {
    let g = with_invoice();
    let events = accepted(record(&g, collection(HOSPITAL, vec![I1])));
    assert_eq!(
        events,
        vec![Event::CollectionActivityRecorded(
            CollectionActivityRecorded {
                customer_id: HOSPITAL,
                invoice_ids: vec![I1],
                channel: CollectionChannel::Call,
                outcome: "promised to pay".into(),
                promised_pay_date: Some(d("2026-03-10")),
                on: d("2026-03-01"),
                by: "sam".into(),
            }
        )]
    );
}

#[test]
fn a_collection_activity_may_name_no_invoice_and_no_promise() {
    let g = with_invoice();
    assert!(
        record(
            &g,
            RecordCollectionActivity {
                promised_pay_date: None,
                ..collection(HOSPITAL, vec![])
            },
        )
        .is_ok()
    );
}

#[test]
fn a_collection_activity_without_an_outcome_is_refused() {
    let g = with_invoice();
    assert_invalid(
        record(
            &g,
            RecordCollectionActivity {
                outcome: String::new(),
                ..collection(HOSPITAL, vec![I1])
            },
        ),
        "outcome",
    );
}

#[test]
fn a_collection_activity_for_an_unknown_customer_is_refused() {
    let g = with_invoice();
    assert_not_found(record(&g, collection(NO_SUCH_CUSTOMER, vec![])), "customer");
}

#[test]
fn a_collection_activity_naming_too_many_invoices_is_refused() {
    let g = with_invoice();
    assert_invalid(
        record(&g, collection(HOSPITAL, vec![I1; 1_001])),
        "invoice_ids",
    );
}

#[test]
fn a_collection_activity_naming_an_unknown_invoice_is_refused() {
    let g = with_invoice();
    assert_not_found(
        record(&g, collection(HOSPITAL, vec![I1, NO_SUCH_INVOICE])),
        "invoice",
    );
}

#[test]
fn a_collection_activity_naming_another_customers_invoice_is_refused() {
    let g = with_invoice();
    assert_invalid(record(&g, collection(CLINIC, vec![I1])), "invoice_ids");
}

#[test]
fn a_promised_pay_date_before_the_activity_is_refused() {
    let g = with_invoice();
    assert_invalid(
        record(
            &g,
            RecordCollectionActivity {
                promised_pay_date: Some(d("2026-02-28")),
                ..collection(HOSPITAL, vec![I1])
            },
        ),
        "promised_pay_date",
    );
}
