//! domain.md 4, sales and receivables: invoices. InvoiceIssued
//! (IssueInvoice), including double billing: each shipment line is invoiced
//! at most once in total quantity; services may be invoiced without a
//! shipment. How the terms set the installments' due dates is in `terms` (5).

use arledger_core::domain::commands::*;
use arledger_core::domain::events::*;
use arledger_core::domain::terms::{Installment, PaymentTerms, TermsBase};
use arledger_core::domain::{Command, CommandError, ErrorCode, Event};
use arledger_core::money::Currency;
use rust_decimal_macros::dec;

use crate::commands::*;
use crate::fixtures::*;
use crate::harness::*;
use crate::values::*;

// IssueInvoice

#[test]
fn invoicing_a_shipment_line_bills_it_under_the_customers_terms() {
    let mut g = with_shipment();
    let events = accepted(issue(&g, issue_i1()));
    assert_eq!(
        events,
        vec![Event::InvoiceIssued(InvoiceIssued {
            invoice_id: I1,
            number: "INV-1".into(),
            customer_id: HOSPITAL,
            invoice_date: d("2026-01-15"),
            currency: Currency::USD,
            lines: vec![InvoiceLine {
                shipment_line: Some(ShipmentLineRef {
                    shipment_id: S1,
                    line_no: 1,
                }),
                quantity: 10,
                description: String::new(),
                amount: dec!(1000.00),
                tax: dec!(130.00),
            }],
            terms: net(30),
            installments: vec![Installment {
                no: 1,
                amount: usd(dec!(1130.00)),
                terms: installment(dec!(100), 30, TermsBase::Invoice),
                due_on: Some(d("2026-02-14")),
            }],
        })]
    );
    g.apply(&events);
    assert_eq!(g.0.shipments[&S1].lines[0].invoiced, 10);
    assert_eq!(g.invoice_open(I1), dec!(1130.00));
    assert_eq!(g.0.customers[&HOSPITAL].invoices, vec![I1]);
    let e = g.exposure(HOSPITAL);
    assert_eq!(
        (e.open_receivables, e.shipped_not_invoiced),
        (dec!(1130.00), dec!(0))
    );
}

#[test]
fn a_service_may_be_invoiced_without_a_shipment() {
    let g = world();
    let events = accepted(issue(
        &g,
        service_invoice(I2, HOSPITAL, "2026-01-20", dec!(250.00), net(15)),
    ));
    assert!(
        matches!(
            &events[..],
            [Event::InvoiceIssued(i)] if i.lines[0].shipment_line.is_none()
                && i.lines[0].quantity == 1
                && i.lines[0].description == "Training"
                && i.installments[0].due_on == Some(d("2026-02-04"))
        ),
        "{events:?}"
    );
}

#[test]
fn an_invoice_without_a_number_is_refused() {
    let g = with_shipment();
    assert_invalid(
        issue(
            &g,
            IssueInvoice {
                number: String::new(),
                ..issue_i1()
            },
        ),
        "number",
    );
}

#[test]
fn an_invoice_in_an_unknown_currency_is_refused() {
    let g = with_shipment();
    assert_invalid(
        issue(
            &g,
            IssueInvoice {
                currency: "XYZ".into(),
                ..issue_i1()
            },
        ),
        "currency",
    );
}

#[test]
fn an_invoice_for_an_unknown_customer_is_refused() {
    let g = with_shipment();
    assert_not_found(
        issue(
            &g,
            IssueInvoice {
                customer_id: NO_SUCH_CUSTOMER,
                ..issue_i1()
            },
        ),
        "customer",
    );
}

#[test]
fn an_invoice_without_lines_is_refused() {
    let g = with_shipment();
    assert_invalid(
        issue(
            &g,
            IssueInvoice {
                lines: vec![],
                ..issue_i1()
            },
        ),
        "lines",
    );
}

#[test]
fn an_invoice_without_terms_for_a_customer_without_terms_is_refused() {
    let g = world();
    assert_invalid(
        issue(
            &g,
            invoice(
                I2,
                "INV-2",
                DEALER,
                "2026-01-20",
                vec![service("Training", dec!(10.00))],
            ),
        ),
        "terms",
    );
}

#[test]
fn an_invoice_whose_installment_shares_do_not_sum_to_one_hundred_is_refused() {
    let g = with_shipment();
    let terms = PaymentTerms {
        installments: vec![
            installment(dec!(50), 30, TermsBase::Invoice),
            installment(dec!(49.99), 60, TermsBase::Invoice),
        ],
    };
    assert_invalid(issue(&g, with_terms(issue_i1(), terms)), "terms");
}

#[test]
fn an_invoice_line_with_a_negative_amount_or_tax_is_refused() {
    let g = with_shipment();
    assert_invalid(
        issue(
            &g,
            IssueInvoice {
                lines: vec![bill(S1, 1, dec!(-1.00), dec!(0))],
                ..issue_i1()
            },
        ),
        "amount",
    );
    assert_invalid(
        issue(
            &g,
            IssueInvoice {
                lines: vec![bill(S1, 1, dec!(1.00), dec!(-0.01))],
                ..issue_i1()
            },
        ),
        "tax",
    );
}

#[test]
fn an_invoice_amount_with_more_decimals_than_its_currency_is_refused() {
    let g = with_shipment();
    assert_invalid(
        issue(
            &g,
            IssueInvoice {
                lines: vec![bill(S1, 1, dec!(10.005), dec!(0))],
                ..issue_i1()
            },
        ),
        "amount",
    );
    assert_invalid(
        issue(
            &g,
            IssueInvoice {
                currency: "JPY".into(),
                ..service_invoice(I2, HOSPITAL, "2026-01-20", dec!(1.5), net(30))
            },
        ),
        "amount",
    );
}

#[test]
fn an_invoice_line_with_an_overlong_description_is_refused() {
    let g = world();
    assert_invalid(
        issue(
            &g,
            IssueInvoice {
                lines: vec![service(&long_text(), dec!(10.00))],
                ..service_invoice(I2, HOSPITAL, "2026-01-20", dec!(1.00), net(30))
            },
        ),
        "description",
    );
}

#[test]
fn a_service_line_without_a_description_is_refused() {
    let g = world();
    for description in [None, Some(" ".to_string())] {
        assert_invalid(
            issue(
                &g,
                IssueInvoice {
                    lines: vec![InvoiceLineRequest {
                        description,
                        ..service("x", dec!(10.00))
                    }],
                    ..service_invoice(I2, HOSPITAL, "2026-01-20", dec!(1.00), net(30))
                },
            ),
            "description",
        );
    }
}

#[test]
fn a_service_line_of_zero_or_negative_quantity_is_refused() {
    let g = world();
    for quantity in [0, -2] {
        assert_invalid(
            issue(
                &g,
                IssueInvoice {
                    lines: vec![InvoiceLineRequest {
                        quantity: Some(quantity),
                        ..service("Training", dec!(10.00))
                    }],
                    ..service_invoice(I2, HOSPITAL, "2026-01-20", dec!(1.00), net(30))
                },
            ),
            "quantity",
        );
    }
}

#[test]
fn invoicing_an_unknown_shipment_is_refused() {
    let g = with_shipment();
    assert_not_found(
        issue(
            &g,
            IssueInvoice {
                lines: vec![bill(NO_SUCH_SHIPMENT, 1, dec!(1.00), dec!(0))],
                ..issue_i1()
            },
        ),
        "shipment",
    );
}

#[test]
fn invoicing_another_customers_shipment_is_refused() {
    let g = with_shipment();
    assert_invalid(
        issue(
            &g,
            IssueInvoice {
                customer_id: CLINIC,
                ..issue_i1()
            },
        ),
        "shipment_id",
    );
}

#[test]
fn invoicing_a_shipment_in_another_currency_than_its_order_is_refused() {
    let g = with_shipment();
    let err = assert_refused!(
        issue(
            &g,
            IssueInvoice {
                currency: "EUR".into(),
                ..issue_i1()
            },
        ),
        CommandError::CurrencyMismatch { expected, got } if expected == "USD" && got == "EUR"
    );
    assert_eq!(err.code(), ErrorCode::CurrencyMismatch);
}

#[test]
fn invoicing_a_line_the_shipment_does_not_have_is_refused() {
    let g = with_shipment();
    // S1 shipped only order line 1.
    assert_not_found(
        issue(
            &g,
            IssueInvoice {
                lines: vec![bill(S1, 2, dec!(100.00), dec!(0))],
                ..issue_i1()
            },
        ),
        "shipment line",
    );
}

#[test]
fn a_shipment_line_reference_needs_both_shipment_and_line() {
    let g = with_shipment();
    let half = [
        InvoiceLineRequest {
            line_no: None,
            ..bill(S1, 1, dec!(1.00), dec!(0))
        },
        InvoiceLineRequest {
            shipment_id: None,
            ..bill(S1, 1, dec!(1.00), dec!(0))
        },
    ];
    for l in half {
        assert_invalid(
            issue(
                &g,
                IssueInvoice {
                    lines: vec![l],
                    ..issue_i1()
                },
            ),
            "line_no",
        );
    }
}

#[test]
fn an_invoice_totalling_zero_is_refused() {
    let g = with_shipment();
    assert_invalid(
        issue(
            &g,
            IssueInvoice {
                lines: vec![bill(S1, 1, dec!(0), dec!(0))],
                ..issue_i1()
            },
        ),
        "lines",
    );
}

#[test]
fn issuing_an_invoice_id_or_number_twice_is_refused() {
    let g = with_invoice();
    assert_exists(
        issue(
            &g,
            IssueInvoice {
                invoice_id: I1,
                ..service_invoice(I1, HOSPITAL, "2026-01-20", dec!(1.00), net(30))
            },
        ),
        "invoice",
    );
    assert_exists(
        issue(
            &g,
            IssueInvoice {
                number: "INV-1".into(),
                ..service_invoice(I2, HOSPITAL, "2026-01-20", dec!(1.00), net(30))
            },
        ),
        "invoice number",
    );
}

// Double billing

fn assert_double_billing(result: Result<Vec<Event>, CommandError>, remaining: u64, requested: u64) {
    let err = assert_refused!(
        result,
        CommandError::DoubleBilling { remaining: r, requested: q, .. }
            if *r == remaining && *q == requested
    );
    assert_eq!(err.code(), ErrorCode::DoubleBilling);
}

#[test]
fn invoicing_an_already_invoiced_shipment_line_again_is_double_billing() {
    let g = with_invoice();
    assert_double_billing(
        issue(
            &g,
            IssueInvoice {
                invoice_id: I2,
                number: "INV-2".into(),
                ..issue_i1()
            },
        ),
        0,
        0,
    );
    assert_double_billing(
        issue(
            &g,
            invoice(
                I2,
                "INV-2",
                HOSPITAL,
                "2026-01-16",
                vec![bill_units(S1, 1, 1)],
            ),
        ),
        0,
        1,
    );
}

#[test]
fn a_shipment_line_may_be_invoiced_in_parts_up_to_its_quantity() {
    let g = with_shipment()
        .and(Command::IssueInvoice(invoice(
            I1,
            "INV-1",
            HOSPITAL,
            "2026-01-15",
            vec![bill_units(S1, 1, 4)],
        )))
        .and(Command::IssueInvoice(invoice(
            I2,
            "INV-2",
            HOSPITAL,
            "2026-01-16",
            vec![bill_units(S1, 1, 6)],
        )));
    assert_eq!(g.0.shipments[&S1].lines[0].invoiced, 10);
    assert_eq!(g.exposure(HOSPITAL).shipped_not_invoiced, dec!(0));
    assert_double_billing(
        issue(
            &g,
            invoice(
                I3,
                "INV-3",
                HOSPITAL,
                "2026-01-17",
                vec![bill_units(S1, 1, 1)],
            ),
        ),
        0,
        1,
    );
}

#[test]
fn billing_more_than_shipped_within_one_invoice_is_double_billing() {
    let g = with_shipment();
    assert_double_billing(
        issue(
            &g,
            invoice(
                I1,
                "INV-1",
                HOSPITAL,
                "2026-01-15",
                vec![bill_units(S1, 1, 6), bill_units(S1, 1, 6)],
            ),
        ),
        4,
        6,
    );
    assert_double_billing(
        issue(
            &g,
            invoice(
                I1,
                "INV-1",
                HOSPITAL,
                "2026-01-15",
                vec![bill_units(S1, 1, 11)],
            ),
        ),
        10,
        11,
    );
}

#[test]
fn an_explicit_zero_quantity_on_a_shipment_line_is_refused() {
    let g = with_shipment();
    assert_invalid(
        issue(
            &g,
            invoice(
                I1,
                "INV-1",
                HOSPITAL,
                "2026-01-15",
                vec![bill_units(S1, 1, 0)],
            ),
        ),
        "quantity",
    );
}
