//! domain.md 5, payment terms: the installment schedule an invoice gets and
//! each installment's due date: days after invoice, shipment or acceptance,
//! end of month, contract terms, split schedules and where rounding goes;
//! and the range of business dates, which keeps every due date
//! representable.

use arledger_core::domain::commands::*;
use arledger_core::domain::terms::{Installment, PaymentTerms, TermsBase};
use arledger_core::domain::{Command, CommandError, Event};
use arledger_core::ids::InvoiceId;
use arledger_core::money::{Currency, Money};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::commands::*;
use crate::fixtures::*;
use crate::harness::*;
use crate::values::*;

/// The installments of the single `InvoiceIssued` in `events`.
fn installments_of(events: &[Event]) -> Vec<Installment> {
    match events {
        [Event::InvoiceIssued(i)] => i.installments.clone(),
        other => panic!("expected one InvoiceIssued, got {other:?}"),
    }
}

/// Due dates of an invoice's installments as the write model knows them now.
fn due_dates(g: &Given, invoice: InvoiceId) -> Vec<Option<NaiveDate>> {
    g.0.invoices[&invoice]
        .installments
        .iter()
        .map(|i| i.plan.due_on)
        .collect()
}

#[test]
fn explicit_invoice_terms_override_the_customers_terms() {
    let g = with_shipment();
    let events = accepted(issue(&g, with_terms(issue_i1(), net(60))));
    assert_eq!(installments_of(&events)[0].due_on, Some(d("2026-03-16")));
}

/// Business dates run from 1900-01-01 to 9999-12-31 (the API's `Date` has
/// four-digit years); outside, a command is refused naming the field, so
/// that no due date is ever beyond what a date can hold (which would read
/// as "awaiting acceptance").
#[test]
fn business_dates_outside_1900_to_9999_are_refused_naming_the_field() {
    let g = with_payment();
    let year = |y: i32, m: u32, day: u32| NaiveDate::from_ymd_opt(y, m, day).unwrap();
    let cases: Vec<(Command, &str)> = vec![
        (
            Command::IssueInvoice(IssueInvoice {
                invoice_date: year(262_142, 12, 20),
                ..service_invoice(I2, HOSPITAL, "2026-01-15", dec!(10.00), net(30))
            }),
            "invoice_date",
        ),
        (
            Command::ReceivePayment(ReceivePayment {
                received_on: year(1899, 12, 31),
                ..payment(P2, HOSPITAL, dec!(1.00))
            }),
            "received_on",
        ),
        (
            Command::ReleaseLot(ReleaseLot {
                expires_on: year(10_000, 1, 1),
                ..release_lot(GTIN_B, "B9", 10)
            }),
            "expires_on",
        ),
        (
            Command::RecordCollectionActivity(RecordCollectionActivity {
                promised_pay_date: Some(year(10_000, 1, 1)),
                ..collection(HOSPITAL, vec![I1])
            }),
            "promised_pay_date",
        ),
    ];
    for (command, field) in cases {
        let name = command.name();
        let err = refused(when(&g, &admin(), command));
        assert!(
            matches!(&err, CommandError::InvalidInput { field: f, .. } if f == field),
            "{name}: {err:?}"
        );
    }
    let last_day = accepted(when(
        &g,
        &finance(),
        Command::IssueInvoice(IssueInvoice {
            invoice_date: year(9_999, 12, 31),
            ..service_invoice(I2, HOSPITAL, "2026-01-15", dec!(10.00), net(30))
        }),
    ));
    assert_eq!(
        installments_of(&last_day)[0].due_on,
        Some(year(10_000, 1, 30))
    );
    accepted(when(
        &g,
        &finance(),
        Command::ReceivePayment(ReceivePayment {
            received_on: year(1900, 1, 1),
            ..payment(P2, HOSPITAL, dec!(1.00))
        }),
    ));
}

/// Contract terms apply to the invoices naming the contract only; the
/// others keep the customer's default terms (net 30 for HOSPITAL).
#[test]
fn an_invoice_naming_a_contract_takes_its_terms_and_the_others_do_not() {
    let g = with_shipment().and(Command::SetPaymentTerms(set_contract_terms(
        HOSPITAL,
        "K-9",
        net(90),
    )));
    let plain = accepted(issue(&g, issue_i1()));
    assert_eq!(installments_of(&plain)[0].due_on, Some(d("2026-02-14")));
    let under_contract = accepted(issue(
        &g,
        IssueInvoice {
            contract_id: Some("K-9".into()),
            ..issue_i1()
        },
    ));
    assert_eq!(
        installments_of(&under_contract)[0].due_on,
        Some(d("2026-04-15"))
    );
    let explicit = accepted(issue(
        &g,
        IssueInvoice {
            contract_id: Some("K-9".into()),
            ..with_terms(issue_i1(), net(60))
        },
    ));
    assert_eq!(
        installments_of(&explicit)[0].due_on,
        Some(d("2026-03-16")),
        "terms given on the invoice still come first"
    );
}

#[test]
fn an_invoice_naming_a_contract_without_terms_is_refused() {
    let g = with_shipment().and(Command::SetPaymentTerms(set_contract_terms(
        CLINIC,
        "K-9",
        net(90),
    )));
    // K-9 is CLINIC's contract, not HOSPITAL's.
    assert_not_found(
        issue(
            &g,
            IssueInvoice {
                contract_id: Some("K-9".into()),
                ..issue_i1()
            },
        ),
        "contract",
    );
    assert_invalid(
        issue(
            &g,
            IssueInvoice {
                contract_id: Some(long_text()),
                ..issue_i1()
            },
        ),
        "contract_id",
    );
}

#[test]
fn days_after_shipment_count_from_the_latest_ship_date() {
    let g = with_shipment().and(Command::ShipOrder(shipment(
        S2,
        O1,
        "2026-01-13",
        vec![ship_line(2, GTIN_B, "B1", 5)],
    )));
    let one = accepted(issue(
        &g,
        with_terms(issue_i1(), PaymentTerms::single(20, TermsBase::Shipment)),
    ));
    assert_eq!(installments_of(&one)[0].due_on, Some(d("2026-01-30")));
    let both = accepted(issue(
        &g,
        IssueInvoice {
            lines: vec![
                bill(S1, 1, dec!(1000.00), dec!(0)),
                bill(S2, 2, dec!(100.00), dec!(0)),
            ],
            ..with_terms(issue_i1(), PaymentTerms::single(20, TermsBase::Shipment))
        },
    ));
    assert_eq!(installments_of(&both)[0].due_on, Some(d("2026-02-02")));
}

#[test]
fn an_acceptance_based_due_date_becomes_known_when_the_delivery_is_accepted() {
    let mut g = with_shipment();
    let events = accepted(issue(
        &g,
        with_terms(issue_i1(), PaymentTerms::single(30, TermsBase::Acceptance)),
    ));
    assert_eq!(installments_of(&events)[0].due_on, None);
    g.apply(&events);
    assert_eq!(due_dates(&g, I1), vec![None]);
    // Awaiting acceptance is never overdue.
    assert!(!g.0.invoices[&I1].overdue_on(d("2030-01-01")));

    let accepted_events = accepted(when(&g, &warehouse(), accept(S1, "2026-01-12")));
    g.apply(&accepted_events);
    assert_eq!(due_dates(&g, I1), vec![Some(d("2026-02-11"))]);
    assert!(g.0.invoices[&I1].overdue_on(d("2026-02-12")));
}

#[test]
fn an_invoice_issued_after_acceptance_knows_its_acceptance_based_due_date() {
    let g = with_shipment().and(accept(S1, "2026-01-12"));
    let events = accepted(issue(
        &g,
        with_terms(issue_i1(), PaymentTerms::single(30, TermsBase::Acceptance)),
    ));
    assert_eq!(installments_of(&events)[0].due_on, Some(d("2026-02-11")));
}

#[test]
fn an_acceptance_based_due_date_waits_for_every_billed_shipment_and_counts_from_the_last() {
    let mut g = with_shipment()
        .and(Command::ShipOrder(shipment(
            S2,
            O1,
            "2026-01-11",
            vec![ship_line(2, GTIN_B, "B1", 5)],
        )))
        .and(Command::IssueInvoice(IssueInvoice {
            lines: vec![
                bill(S1, 1, dec!(1000.00), dec!(0)),
                bill(S2, 2, dec!(100.00), dec!(0)),
            ],
            ..with_terms(issue_i1(), PaymentTerms::single(30, TermsBase::Acceptance))
        }));
    let first = accepted(when(&g, &warehouse(), accept(S2, "2026-01-20")));
    g.apply(&first);
    assert_eq!(due_dates(&g, I1), vec![None]);
    let second = accepted(when(&g, &warehouse(), accept(S1, "2026-01-14")));
    g.apply(&second);
    assert_eq!(due_dates(&g, I1), vec![Some(d("2026-02-19"))]);
}

#[test]
fn end_of_month_terms_count_from_the_last_day_of_the_invoice_month() {
    let g = with_shipment();
    let events = accepted(issue(
        &g,
        with_terms(issue_i1(), PaymentTerms::single(30, TermsBase::EndOfMonth)),
    ));
    assert_eq!(installments_of(&events)[0].due_on, Some(d("2026-03-02")));
    let events = accepted(issue(
        &g,
        IssueInvoice {
            invoice_date: d("2028-02-03"),
            ..with_terms(issue_i1(), PaymentTerms::single(0, TermsBase::EndOfMonth))
        },
    ));
    assert_eq!(installments_of(&events)[0].due_on, Some(d("2028-02-29")));
}

#[test]
fn a_service_only_invoice_counts_shipment_and_acceptance_terms_from_the_invoice_date() {
    let g = world();
    for base in [TermsBase::Shipment, TermsBase::Acceptance] {
        let events = accepted(issue(
            &g,
            service_invoice(
                I2,
                HOSPITAL,
                "2026-01-20",
                dec!(10.00),
                PaymentTerms::single(10, base),
            ),
        ));
        assert_eq!(installments_of(&events)[0].due_on, Some(d("2026-01-30")));
    }
}

#[test]
fn each_installment_of_a_split_schedule_has_its_own_base() {
    let mut g = with_shipment();
    let terms = PaymentTerms {
        installments: vec![
            installment(dec!(30), 0, TermsBase::Invoice),
            installment(dec!(70), 60, TermsBase::Acceptance),
        ],
    };
    let events = accepted(issue(&g, with_terms(issue_i1(), terms.clone())));
    assert_eq!(
        installments_of(&events),
        vec![
            Installment {
                no: 1,
                amount: usd(dec!(339.00)),
                terms: terms.installments[0].clone(),
                due_on: Some(d("2026-01-15")),
            },
            Installment {
                no: 2,
                amount: usd(dec!(791.00)),
                terms: terms.installments[1].clone(),
                due_on: None,
            },
        ]
    );
    g.apply(&events);
    let accepted_events = accepted(when(&g, &warehouse(), accept(S1, "2026-01-12")));
    g.apply(&accepted_events);
    assert_eq!(
        due_dates(&g, I1),
        vec![Some(d("2026-01-15")), Some(d("2026-03-13"))]
    );
}

#[test]
fn installment_rounding_differences_go_to_the_last_installment() {
    let g = world();
    let thirds = PaymentTerms {
        installments: vec![
            installment(dec!(33.33), 30, TermsBase::Invoice),
            installment(dec!(33.33), 60, TermsBase::Invoice),
            installment(dec!(33.34), 90, TermsBase::Invoice),
        ],
    };
    let events = accepted(issue(
        &g,
        service_invoice(I2, HOSPITAL, "2026-01-20", dec!(100.01), thirds.clone()),
    ));
    let amounts: Vec<Decimal> = installments_of(&events)
        .iter()
        .map(|i| i.amount.amount)
        .collect();
    assert_eq!(amounts, vec![dec!(33.33), dec!(33.33), dec!(33.35)]);
    assert_eq!(amounts.iter().sum::<Decimal>(), dec!(100.01));

    let yen = accepted(issue(
        &g,
        IssueInvoice {
            currency: "JPY".into(),
            ..service_invoice(I2, HOSPITAL, "2026-01-20", dec!(1000), thirds)
        },
    ));
    let amounts: Vec<Money> = installments_of(&yen).iter().map(|i| i.amount).collect();
    assert_eq!(
        amounts,
        vec![
            money(dec!(333), Currency::JPY),
            money(dec!(333), Currency::JPY),
            money(dec!(334), Currency::JPY),
        ]
    );
}
