//! domain.md 4, sales and receivables: credit notes. CreditNoteIssued
//! (IssueCreditNote), at most the invoice's open amount.

use arledger_core::domain::events::*;
use arledger_core::domain::types::CreditReason;
use arledger_core::domain::{Command, Event};
use rust_decimal_macros::dec;

use crate::commands::*;
use crate::fixtures::*;
use crate::harness::*;
use crate::values::*;

#[test]
fn a_credit_note_reduces_the_invoice_and_the_exposure() {
    let mut g = with_invoice();
    let events = accepted(when(
        &g,
        &finance(),
        Command::IssueCreditNote(credit_note(CN1, I1, dec!(130.00))),
    ));
    assert_eq!(
        events,
        vec![Event::CreditNoteIssued(CreditNoteIssued {
            credit_note_id: CN1,
            invoice_id: I1,
            amount: usd(dec!(130.00)),
            reason: CreditReason::Return,
            issued_on: d("2026-01-20"),
        })]
    );
    g.apply(&events);
    assert_eq!(g.invoice_open(I1), dec!(1000.00));
    assert_eq!(g.exposure(HOSPITAL).open_receivables, dec!(1000.00));
}

#[test]
fn a_credit_note_may_clear_the_whole_open_amount() {
    let mut g = with_invoice();
    let events = accepted(when(
        &g,
        &finance(),
        Command::IssueCreditNote(credit_note(CN1, I1, dec!(1130.00))),
    ));
    g.apply(&events);
    assert_eq!(g.invoice_open(I1), dec!(0));
}

#[test]
fn a_credit_note_on_an_unknown_invoice_is_refused() {
    let g = with_invoice();
    assert_not_found(
        when(
            &g,
            &finance(),
            Command::IssueCreditNote(credit_note(CN1, NO_SUCH_INVOICE, dec!(1.00))),
        ),
        "invoice",
    );
}

#[test]
fn a_credit_note_of_zero_negative_or_too_precise_an_amount_is_refused() {
    let g = with_invoice();
    for amount in [dec!(0), dec!(-1.00), dec!(10.005)] {
        assert_invalid(
            when(
                &g,
                &finance(),
                Command::IssueCreditNote(credit_note(CN1, I1, amount)),
            ),
            "amount",
        );
    }
}

#[test]
fn a_credit_note_over_the_open_amount_is_refused() {
    let g = with_invoice();
    assert_over_credit(when(
        &g,
        &finance(),
        Command::IssueCreditNote(credit_note(CN1, I1, dec!(1130.01))),
    ));
    // What was paid is no longer open.
    let g = with_payment().and(Command::AllocatePayment(allocate(P1, I1, dec!(500.00))));
    assert_over_credit(when(
        &g,
        &finance(),
        Command::IssueCreditNote(credit_note(CN1, I1, dec!(630.01))),
    ));
    assert!(
        when(
            &g,
            &finance(),
            Command::IssueCreditNote(credit_note(CN1, I1, dec!(630.00))),
        )
        .is_ok()
    );
}

#[test]
fn issuing_a_credit_note_id_twice_is_refused() {
    let g = with_invoice().and(Command::IssueCreditNote(credit_note(CN1, I1, dec!(10.00))));
    assert_exists(
        when(
            &g,
            &finance(),
            Command::IssueCreditNote(credit_note(CN1, I1, dec!(10.00))),
        ),
        "credit note",
    );
    assert!(
        when(
            &g,
            &finance(),
            Command::IssueCreditNote(credit_note(CN2, I1, dec!(10.00))),
        )
        .is_ok()
    );
}
