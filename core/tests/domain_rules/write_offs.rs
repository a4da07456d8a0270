//! domain.md 4, sales and receivables: write-offs. InvoiceWrittenOff
//! (WriteOffInvoice) and WriteOffRecovered (RecoverWriteOff). That writing
//! off needs the finance-manager role is in `roles` (7).

use arledger_core::domain::commands::*;
use arledger_core::domain::events::*;
use arledger_core::domain::{Command, Event};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::commands::*;
use crate::fixtures::*;
use crate::harness::*;
use crate::values::*;

#[test]
fn a_finance_manager_writes_off_part_of_an_invoice() {
    let mut g = with_invoice();
    let events = accepted(when(
        &g,
        &finance_manager(),
        Command::WriteOffInvoice(write_off(I1, dec!(130.00))),
    ));
    assert_eq!(
        events,
        vec![Event::InvoiceWrittenOff(InvoiceWrittenOff {
            invoice_id: I1,
            amount: usd(dec!(130.00)),
            reason: "customer insolvent".into(),
            approved_by: "fiona".into(),
            written_off_on: d("2026-06-30"),
        })]
    );
    g.apply(&events);
    assert_eq!(g.invoice_open(I1), dec!(1000.00));
    assert_eq!(g.0.invoices[&I1].written_off, dec!(130.00));
    assert_eq!(g.exposure(HOSPITAL).open_receivables, dec!(1000.00));
}

#[test]
fn writing_off_without_a_reason_is_refused() {
    let g = with_invoice();
    assert_invalid(
        when(
            &g,
            &finance_manager(),
            Command::WriteOffInvoice(WriteOffInvoice {
                reason: " ".into(),
                ..write_off(I1, dec!(1.00))
            }),
        ),
        "reason",
    );
}

#[test]
fn writing_off_an_unknown_invoice_is_refused() {
    let g = with_invoice();
    assert_not_found(
        when(
            &g,
            &finance_manager(),
            Command::WriteOffInvoice(write_off(NO_SUCH_INVOICE, dec!(1.00))),
        ),
        "invoice",
    );
}

#[test]
fn writing_off_zero_or_too_precise_an_amount_is_refused() {
    let g = with_invoice();
    for amount in [dec!(0), dec!(-1.00), dec!(1.001)] {
        assert_invalid(
            when(
                &g,
                &finance_manager(),
                Command::WriteOffInvoice(write_off(I1, amount)),
            ),
            "amount",
        );
    }
}

#[test]
fn writing_off_more_than_the_open_amount_is_refused() {
    let g = with_invoice();
    assert_over_credit(when(
        &g,
        &finance_manager(),
        Command::WriteOffInvoice(write_off(I1, dec!(1130.01))),
    ));
    let g = g.and(Command::IssueCreditNote(credit_note(
        CN1,
        I1,
        dec!(1000.00),
    )));
    assert_over_credit(when(
        &g,
        &finance_manager(),
        Command::WriteOffInvoice(write_off(I1, dec!(130.01))),
    ));
}

fn with_write_off(amount: Decimal) -> Given {
    with_invoice().and(Command::WriteOffInvoice(write_off(I1, amount)))
}

#[test]
fn a_recovery_on_a_written_off_invoice_is_recorded() {
    let mut g = with_write_off(dec!(500.00));
    let events = accepted(when(
        &g,
        &finance(),
        Command::RecoverWriteOff(recover(I1, dec!(200.00))),
    ));
    assert_eq!(
        events,
        vec![Event::WriteOffRecovered(WriteOffRecovered {
            invoice_id: I1,
            amount: usd(dec!(200.00)),
            recovered_on: d("2026-09-30"),
        })]
    );
    g.apply(&events);
    assert_eq!(g.0.invoices[&I1].recovered, dec!(200.00));
}

#[test]
fn a_recovery_on_an_unknown_invoice_is_refused() {
    let g = with_write_off(dec!(500.00));
    assert_not_found(
        when(
            &g,
            &finance(),
            Command::RecoverWriteOff(recover(NO_SUCH_INVOICE, dec!(1.00))),
        ),
        "invoice",
    );
}

#[test]
fn a_recovery_of_zero_or_too_precise_an_amount_is_refused() {
    let g = with_write_off(dec!(500.00));
    for amount in [dec!(0), dec!(-1.00), dec!(1.001)] {
        assert_invalid(
            when(
                &g,
                &finance(),
                Command::RecoverWriteOff(recover(I1, amount)),
            ),
            "amount",
        );
    }
}

#[test]
fn recovering_on_an_invoice_never_written_off_is_refused() {
    let g = with_invoice();
    assert_over_credit(when(
        &g,
        &finance(),
        Command::RecoverWriteOff(recover(I1, dec!(0.01))),
    ));
}

#[test]
fn recovering_more_than_written_off_and_not_yet_recovered_is_refused() {
    let g = with_write_off(dec!(500.00));
    assert_over_credit(when(
        &g,
        &finance(),
        Command::RecoverWriteOff(recover(I1, dec!(500.01))),
    ));
    let g = g.and(Command::RecoverWriteOff(recover(I1, dec!(300.00))));
    assert_over_credit(when(
        &g,
        &finance(),
        Command::RecoverWriteOff(recover(I1, dec!(200.01))),
    ));
    assert!(
        when(
            &g,
            &finance(),
            Command::RecoverWriteOff(recover(I1, dec!(200.00)))
        )
        .is_ok()
    );
}
