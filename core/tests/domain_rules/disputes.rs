//! domain.md 4, sales and receivables: disputes. DisputeOpened /
//! DisputeResolved (OpenDispute, ResolveDispute): a disputed amount stays
//! open, flagged.

use arledger_core::domain::commands::*;
use arledger_core::domain::events::*;
use arledger_core::domain::{Command, Event};
use rust_decimal_macros::dec;

use crate::commands::*;
use crate::fixtures::*;
use crate::harness::*;
use crate::values::*;

#[test]
fn opening_a_dispute_flags_the_amount_but_keeps_it_open() {
    let mut g = with_invoice();
    let events = accepted(when(
        &g,
        &finance(),
        Command::OpenDispute(open_dispute(I1, dec!(200.00))),
    ));
    assert_eq!(
        events,
        vec![Event::DisputeOpened(DisputeOpened {
            invoice_id: I1,
            amount: usd(dec!(200.00)),
            reason: "two units damaged".into(),
            opened_on: d("2026-01-20"),
            recall_id: None,
        })]
    );
    g.apply(&events);
    assert_eq!(g.0.invoices[&I1].disputed, Some(dec!(200.00)));
    assert_eq!(g.invoice_open(I1), dec!(1130.00));
}

#[test]
fn a_dispute_without_a_reason_is_refused() {
    let g = with_invoice();
    assert_invalid(
        when(
            &g,
            &finance(),
            Command::OpenDispute(OpenDispute {
                reason: String::new(),
                ..open_dispute(I1, dec!(1.00))
            }),
        ),
        "reason",
    );
}

#[test]
fn a_dispute_on_an_unknown_invoice_is_refused() {
    let g = with_invoice();
    assert_not_found(
        when(
            &g,
            &finance(),
            Command::OpenDispute(open_dispute(NO_SUCH_INVOICE, dec!(1.00))),
        ),
        "invoice",
    );
}

#[test]
fn a_dispute_of_zero_or_too_precise_an_amount_is_refused() {
    let g = with_invoice();
    for amount in [dec!(0), dec!(-1.00), dec!(1.001)] {
        assert_invalid(
            when(
                &g,
                &finance(),
                Command::OpenDispute(open_dispute(I1, amount)),
            ),
            "amount",
        );
    }
}

#[test]
fn a_second_dispute_while_one_is_open_is_refused() {
    let g = with_invoice().and(Command::OpenDispute(open_dispute(I1, dec!(200.00))));
    assert_invalid_state(
        when(
            &g,
            &finance(),
            Command::OpenDispute(open_dispute(I1, dec!(10.00))),
        ),
        "invoice",
    );
    let g = g.and(Command::ResolveDispute(resolve_dispute(I1)));
    assert!(
        when(
            &g,
            &finance(),
            Command::OpenDispute(open_dispute(I1, dec!(10.00)))
        )
        .is_ok()
    );
}

#[test]
fn disputing_more_than_the_open_amount_is_refused() {
    let g = with_invoice();
    assert_invalid(
        when(
            &g,
            &finance(),
            Command::OpenDispute(open_dispute(I1, dec!(1130.01))),
        ),
        "amount",
    );
}

#[test]
fn resolving_a_dispute_clears_the_flag() {
    let mut g = with_invoice().and(Command::OpenDispute(open_dispute(I1, dec!(200.00))));
    let events = accepted(when(
        &g,
        &finance(),
        Command::ResolveDispute(resolve_dispute(I1)),
    ));
    assert_eq!(
        events,
        vec![Event::DisputeResolved(DisputeResolved {
            invoice_id: I1,
            outcome: "credit note agreed".into(),
            resolved_on: d("2026-01-25"),
        })]
    );
    g.apply(&events);
    assert_eq!(g.0.invoices[&I1].disputed, None);
}

#[test]
fn resolving_without_an_outcome_is_refused() {
    let g = with_invoice().and(Command::OpenDispute(open_dispute(I1, dec!(200.00))));
    assert_invalid(
        when(
            &g,
            &finance(),
            Command::ResolveDispute(ResolveDispute {
                outcome: " ".into(),
                ..resolve_dispute(I1)
            }),
        ),
        "outcome",
    );
}

#[test]
fn resolving_a_dispute_on_an_unknown_invoice_is_refused() {
    let g = with_invoice();
    assert_not_found(
        when(
            &g,
            &finance(),
            Command::ResolveDispute(resolve_dispute(NO_SUCH_INVOICE)),
        ),
        "invoice",
    );
}

#[test]
fn resolving_when_no_dispute_is_open_is_refused() {
    let g = with_invoice();
    assert_invalid_state(
        when(&g, &finance(), Command::ResolveDispute(resolve_dispute(I1))),
        "invoice",
    );
}
