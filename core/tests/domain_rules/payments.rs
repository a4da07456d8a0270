//! domain.md 4, sales and receivables: payments. PaymentReceived
//! (ReceivePayment, and auto-allocation: oldest due date first, the rest on
//! account), PaymentAllocated (AllocatePayment) and PaymentReversed
//! (ReversePayment).

use arledger_core::domain::commands::*;
use arledger_core::domain::events::*;
use arledger_core::domain::state::Exposure;
use arledger_core::domain::terms::{PaymentTerms, TermsBase};
use arledger_core::domain::types::PaymentMethod;
use arledger_core::domain::{Command, CommandError, ErrorCode, Event};
use arledger_core::ids::{InvoiceId, PaymentId};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::commands::*;
use crate::fixtures::*;
use crate::harness::*;
use crate::values::*;

// ReceivePayment (and auto-allocation)

fn receive(g: &Given, command: ReceivePayment) -> Result<Vec<Event>, CommandError> {
    when(g, &finance(), Command::ReceivePayment(command))
}

fn allocated(
    payment: PaymentId,
    invoice: InvoiceId,
    installment_no: Option<u32>,
    amount: Decimal,
) -> Event {
    Event::PaymentAllocated(PaymentAllocated {
        payment_id: payment,
        invoice_id: invoice,
        installment_no,
        amount: usd(amount),
    })
}

#[test]
fn receiving_a_payment_puts_it_on_account() {
    let mut g = with_invoice();
    let events = accepted(receive(&g, payment(P1, HOSPITAL, dec!(500.00))));
    assert_eq!(
        events,
        vec![Event::PaymentReceived(PaymentReceived {
            payment_id: P1,
            customer_id: HOSPITAL,
            amount: usd(dec!(500.00)),
            received_on: d("2026-02-01"),
            method: PaymentMethod::BankTransfer,
            bank_reference: Some("TX-001".into()),
        })]
    );
    g.apply(&events);
    assert_eq!(g.0.payments[&P1].unallocated(), dec!(500.00));
    assert_eq!(g.exposure(HOSPITAL).unallocated, dec!(500.00));
    assert_eq!(g.invoice_open(I1), dec!(1130.00));
}

#[test]
fn a_payment_in_an_unknown_currency_is_refused() {
    let g = with_invoice();
    assert_invalid(
        receive(
            &g,
            ReceivePayment {
                currency: "XYZ".into(),
                ..payment(P1, HOSPITAL, dec!(1.00))
            },
        ),
        "currency",
    );
}

#[test]
fn a_payment_of_zero_or_a_negative_amount_is_refused() {
    let g = with_invoice();
    for amount in [dec!(0), dec!(-0.01)] {
        assert_invalid(receive(&g, payment(P1, HOSPITAL, amount)), "amount");
    }
}

#[test]
fn a_payment_with_more_decimals_than_its_currency_is_refused() {
    let g = with_invoice();
    assert_invalid(receive(&g, payment(P1, HOSPITAL, dec!(10.005))), "amount");
    assert_invalid(
        receive(
            &g,
            ReceivePayment {
                currency: "JPY".into(),
                ..payment(P1, HOSPITAL, dec!(1.5))
            },
        ),
        "amount",
    );
    // Trailing zeros are not extra precision.
    assert!(receive(&g, payment(P1, HOSPITAL, dec!(10.500))).is_ok());
}

#[test]
fn a_payment_with_an_overlong_bank_reference_is_refused() {
    let g = with_invoice();
    assert_invalid(
        receive(
            &g,
            ReceivePayment {
                bank_reference: Some(long_text()),
                ..payment(P1, HOSPITAL, dec!(1.00))
            },
        ),
        "bank_reference",
    );
}

#[test]
fn a_payment_from_an_unknown_customer_is_refused() {
    let g = with_invoice();
    assert_not_found(
        receive(&g, payment(P1, NO_SUCH_CUSTOMER, dec!(1.00))),
        "customer",
    );
}

#[test]
fn receiving_a_payment_id_twice_is_refused() {
    let g = with_payment();
    assert_exists(receive(&g, payment(P1, HOSPITAL, dec!(1.00))), "payment");
}

/// HOSPITAL owes I1 (300.00, due 01-31), I2 (200.00, due 01-20, issued later)
/// and I3 (100.00 EUR, due 01-06).
fn with_three_open_invoices() -> Given {
    world()
        .and(Command::IssueInvoice(service_invoice(
            I1,
            HOSPITAL,
            "2026-01-01",
            dec!(300.00),
            net(30),
        )))
        .and(Command::IssueInvoice(service_invoice(
            I2,
            HOSPITAL,
            "2026-01-10",
            dec!(200.00),
            net(10),
        )))
        .and(Command::IssueInvoice(IssueInvoice {
            currency: "EUR".into(),
            ..service_invoice(I3, HOSPITAL, "2026-01-01", dec!(100.00), net(5))
        }))
}

fn auto(command: ReceivePayment) -> ReceivePayment {
    ReceivePayment {
        auto_allocate: true,
        ..command
    }
}

#[test]
fn auto_allocation_pays_the_oldest_due_date_first_and_leaves_the_rest_on_account() {
    let mut g = with_three_open_invoices();
    let events = accepted(receive(&g, auto(payment(P1, HOSPITAL, dec!(600.00)))));
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(matches!(&events[0], Event::PaymentReceived(p) if p.payment_id == P1));
    // I2 is the newer invoice but falls due first; the EUR invoice is skipped.
    assert_eq!(
        events[1..],
        [
            allocated(P1, I2, Some(1), dec!(200.00)),
            allocated(P1, I1, Some(1), dec!(300.00)),
        ]
    );
    g.apply(&events);
    assert_eq!(g.0.payments[&P1].unallocated(), dec!(100.00));
    assert_eq!((g.invoice_open(I1), g.invoice_open(I2)), (dec!(0), dec!(0)));
    assert_eq!(g.invoice_open(I3), dec!(100.00));
    let e = g.exposure(HOSPITAL);
    assert_eq!((e.open_receivables, e.unallocated), (dec!(0), dec!(100.00)));
}

#[test]
fn auto_allocation_stops_when_the_payment_is_used_up() {
    let mut g = with_three_open_invoices();
    let events = accepted(receive(&g, auto(payment(P1, HOSPITAL, dec!(250.00)))));
    assert_eq!(
        events[1..],
        [
            allocated(P1, I2, Some(1), dec!(200.00)),
            allocated(P1, I1, Some(1), dec!(50.00)),
        ]
    );
    g.apply(&events);
    assert_eq!(g.0.payments[&P1].unallocated(), dec!(0));
    assert_eq!(g.invoice_open(I1), dec!(250.00));
}

#[test]
fn auto_allocation_orders_installments_across_invoices_by_due_date() {
    let halves = PaymentTerms {
        installments: vec![
            installment(dec!(50), 10, TermsBase::Invoice),
            installment(dec!(50), 40, TermsBase::Invoice),
        ],
    };
    let g = world()
        .and(Command::IssueInvoice(service_invoice(
            I1,
            HOSPITAL,
            "2026-01-01",
            dec!(200.00),
            halves,
        )))
        .and(Command::IssueInvoice(service_invoice(
            I2,
            HOSPITAL,
            "2026-01-05",
            dec!(100.00),
            net(30),
        )));
    // Due: I1#1 01-11, I2#1 02-04, I1#2 02-10.
    let events = accepted(receive(&g, auto(payment(P1, HOSPITAL, dec!(1000.00)))));
    assert_eq!(
        events[1..],
        [
            allocated(P1, I1, Some(1), dec!(100.00)),
            allocated(P1, I2, Some(1), dec!(100.00)),
            allocated(P1, I1, Some(2), dec!(100.00)),
        ]
    );
}

#[test]
fn auto_allocation_pays_installments_awaiting_acceptance_last() {
    let g = with_shipment()
        .and(Command::IssueInvoice(with_terms(
            issue_i1(),
            PaymentTerms::single(30, TermsBase::Acceptance),
        )))
        .and(Command::IssueInvoice(service_invoice(
            I2,
            HOSPITAL,
            "2026-01-20",
            dec!(100.00),
            net(30),
        )));
    let events = accepted(receive(&g, auto(payment(P1, HOSPITAL, dec!(200.00)))));
    assert_eq!(
        events[1..],
        [
            allocated(P1, I2, Some(1), dec!(100.00)),
            allocated(P1, I1, Some(1), dec!(100.00)),
        ]
    );
}

#[test]
fn auto_allocation_with_nothing_open_leaves_the_whole_payment_on_account() {
    let mut g = world();
    let events = accepted(receive(&g, auto(payment(P1, HOSPITAL, dec!(75.00)))));
    assert_eq!(events.len(), 1);
    g.apply(&events);
    assert_eq!(g.0.payments[&P1].unallocated(), dec!(75.00));
}

// AllocatePayment

fn allocate_as_finance(g: &Given, command: AllocatePayment) -> Result<Vec<Event>, CommandError> {
    when(g, &finance(), Command::AllocatePayment(command))
}

fn assert_overallocation(result: Result<Vec<Event>, CommandError>) {
    let err = assert_refused!(result, CommandError::Overallocation(_));
    assert_eq!(err.code(), ErrorCode::Overallocation);
}

/// I1 split 50/50 (565.00 due 02-14, 565.00 due 03-16), P1 of 500.00 on account.
fn with_split_invoice_and_payment() -> Given {
    let halves = PaymentTerms {
        installments: vec![
            installment(dec!(50), 30, TermsBase::Invoice),
            installment(dec!(50), 60, TermsBase::Invoice),
        ],
    };
    with_shipment()
        .and(Command::IssueInvoice(with_terms(issue_i1(), halves)))
        .and(Command::ReceivePayment(payment(P1, HOSPITAL, dec!(500.00))))
}

#[test]
fn allocating_a_payment_reduces_the_invoice_and_the_money_on_account() {
    let mut g = with_payment();
    let events = accepted(allocate_as_finance(&g, allocate(P1, I1, dec!(300.00))));
    assert_eq!(events, vec![allocated(P1, I1, None, dec!(300.00))]);
    g.apply(&events);
    assert_eq!(g.invoice_open(I1), dec!(830.00));
    assert_eq!(g.0.payments[&P1].unallocated(), dec!(200.00));
    let e = g.exposure(HOSPITAL);
    assert_eq!(
        (e.open_receivables, e.unallocated),
        (dec!(830.00), dec!(200.00))
    );
}

#[test]
fn allocating_to_a_named_installment_reduces_only_that_installment() {
    let mut g = with_split_invoice_and_payment();
    let events = accepted(allocate_as_finance(
        &g,
        AllocatePayment {
            installment_no: Some(2),
            ..allocate(P1, I1, dec!(400.00))
        },
    ));
    assert_eq!(events, vec![allocated(P1, I1, Some(2), dec!(400.00))]);
    g.apply(&events);
    let open: Vec<Decimal> = g.0.invoices[&I1]
        .installments
        .iter()
        .map(|i| i.open)
        .collect();
    assert_eq!(open, vec![dec!(565.00), dec!(165.00)]);
}

#[test]
fn allocating_an_unknown_payment_is_refused() {
    let g = with_payment();
    assert_not_found(
        allocate_as_finance(&g, allocate(NO_SUCH_PAYMENT, I1, dec!(1.00))),
        "payment",
    );
}

#[test]
fn allocating_a_reversed_payment_is_refused() {
    let g = with_payment().and(Command::ReversePayment(reverse(P1)));
    assert_invalid_state(
        allocate_as_finance(&g, allocate(P1, I1, dec!(1.00))),
        "payment",
    );
}

#[test]
fn allocating_to_an_unknown_invoice_is_refused() {
    let g = with_payment();
    assert_not_found(
        allocate_as_finance(&g, allocate(P1, NO_SUCH_INVOICE, dec!(1.00))),
        "invoice",
    );
}

#[test]
fn allocating_to_another_customers_invoice_is_refused() {
    let g = with_payment().and(Command::IssueInvoice(service_invoice(
        I2,
        CLINIC,
        "2026-01-20",
        dec!(100.00),
        net(30),
    )));
    assert_invalid_state(
        allocate_as_finance(&g, allocate(P1, I2, dec!(1.00))),
        "payment",
    );
}

#[test]
fn allocating_to_an_invoice_in_another_currency_is_refused() {
    let g = with_payment().and(Command::IssueInvoice(IssueInvoice {
        currency: "EUR".into(),
        ..service_invoice(I2, HOSPITAL, "2026-01-20", dec!(100.00), net(30))
    }));
    let err = assert_refused!(
        allocate_as_finance(&g, allocate(P1, I2, dec!(1.00))),
        CommandError::CurrencyMismatch { expected, got } if expected == "EUR" && got == "USD"
    );
    assert_eq!(err.code(), ErrorCode::CurrencyMismatch);
}

#[test]
fn allocating_zero_a_negative_or_too_precise_an_amount_is_refused() {
    let g = with_payment();
    for amount in [dec!(0), dec!(-5.00), dec!(10.005)] {
        assert_invalid(allocate_as_finance(&g, allocate(P1, I1, amount)), "amount");
    }
}

#[test]
fn allocating_beyond_the_payments_unallocated_rest_is_refused() {
    let g = with_payment();
    assert_overallocation(allocate_as_finance(&g, allocate(P1, I1, dec!(500.01))));
    let g = g.and(Command::AllocatePayment(allocate(P1, I1, dec!(300.00))));
    assert_overallocation(allocate_as_finance(&g, allocate(P1, I1, dec!(200.01))));
    assert!(allocate_as_finance(&g, allocate(P1, I1, dec!(200.00))).is_ok());
}

#[test]
fn allocating_beyond_the_invoices_open_amount_is_refused() {
    let g = with_invoice()
        .and(Command::IssueCreditNote(credit_note(CN1, I1, dec!(130.00))))
        .and(Command::ReceivePayment(payment(
            P1,
            HOSPITAL,
            dec!(2000.00),
        )));
    assert_overallocation(allocate_as_finance(&g, allocate(P1, I1, dec!(1000.01))));
    assert!(allocate_as_finance(&g, allocate(P1, I1, dec!(1000.00))).is_ok());
}

#[test]
fn allocating_beyond_a_named_installments_open_amount_is_refused() {
    let g = with_shipment()
        .and(Command::IssueInvoice(with_terms(
            issue_i1(),
            PaymentTerms {
                installments: vec![
                    installment(dec!(10), 0, TermsBase::Invoice),
                    installment(dec!(90), 30, TermsBase::Invoice),
                ],
            },
        )))
        .and(Command::ReceivePayment(payment(P1, HOSPITAL, dec!(500.00))));
    // Installment 1 has 113.00 open; the payment and the invoice have more.
    assert_overallocation(allocate_as_finance(
        &g,
        AllocatePayment {
            installment_no: Some(1),
            ..allocate(P1, I1, dec!(113.01))
        },
    ));
    assert!(
        allocate_as_finance(
            &g,
            AllocatePayment {
                installment_no: Some(1),
                ..allocate(P1, I1, dec!(113.00))
            },
        )
        .is_ok()
    );
}

#[test]
fn allocating_to_an_installment_the_invoice_does_not_have_is_refused() {
    let g = with_payment();
    assert_not_found(
        allocate_as_finance(
            &g,
            AllocatePayment {
                installment_no: Some(2),
                ..allocate(P1, I1, dec!(1.00))
            },
        ),
        "installment",
    );
}

// ReversePayment

#[test]
fn reversing_a_payment_restores_the_open_amounts_it_paid() {
    let mut g = with_payment().and(Command::AllocatePayment(allocate(P1, I1, dec!(300.00))));
    assert_eq!(g.invoice_open(I1), dec!(830.00));
    let events = accepted(when(&g, &finance(), Command::ReversePayment(reverse(P1))));
    assert_eq!(
        events,
        vec![Event::PaymentReversed(PaymentReversed {
            payment_id: P1,
            reason: "transfer bounced".into(),
            reversed_on: d("2026-02-05"),
        })]
    );
    g.apply(&events);
    assert_eq!(g.invoice_open(I1), dec!(1130.00));
    assert!(g.0.payments[&P1].reversed);
    assert_eq!(
        g.exposure(HOSPITAL),
        Exposure {
            open_receivables: dec!(1130.00),
            shipped_not_invoiced: dec!(0),
            open_orders: dec!(100.00),
            unallocated: dec!(0),
        }
    );
}

#[test]
fn reversing_an_auto_allocated_payment_restores_every_installment_it_paid() {
    let mut g = with_three_open_invoices().and(Command::ReceivePayment(auto(payment(
        P1,
        HOSPITAL,
        dec!(250.00),
    ))));
    let events = accepted(when(&g, &finance(), Command::ReversePayment(reverse(P1))));
    g.apply(&events);
    assert_eq!(
        (g.invoice_open(I1), g.invoice_open(I2)),
        (dec!(300.00), dec!(200.00))
    );
    let e = g.exposure(HOSPITAL);
    assert_eq!((e.open_receivables, e.unallocated), (dec!(500.00), dec!(0)));
}

#[test]
fn reversing_without_a_reason_is_refused() {
    let g = with_payment();
    assert_invalid(
        when(
            &g,
            &finance(),
            Command::ReversePayment(ReversePayment {
                reason: String::new(),
                ..reverse(P1)
            }),
        ),
        "reason",
    );
}

#[test]
fn reversing_an_unknown_payment_is_refused() {
    let g = with_payment();
    assert_not_found(
        when(
            &g,
            &finance(),
            Command::ReversePayment(reverse(NO_SUCH_PAYMENT)),
        ),
        "payment",
    );
}

#[test]
fn a_payment_is_reversed_once() {
    let g = with_payment().and(Command::ReversePayment(reverse(P1)));
    assert_invalid_state(
        when(&g, &finance(), Command::ReversePayment(reverse(P1))),
        "payment",
    );
}
