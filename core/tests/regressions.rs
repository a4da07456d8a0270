//! Named regression tests for failures found in review: each once crashed
//! the writer, let a rule slip, or reported a wrong figure.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

use std::sync::Arc;

use arledger_core::clock::ManualClock;
use arledger_core::domain::commands::*;
use arledger_core::domain::decide::{AUTO_ALLOCATIONS_MAX, Context, decide_in};
use arledger_core::domain::terms::{InstallmentTerms, PaymentTerms, TermsBase};
use arledger_core::domain::types::RiskGrade;
use arledger_core::domain::{Actor, Command, CommandError, Event, WriteModel, decide};
use arledger_core::ids::*;
use arledger_core::log::{Ledger, LedgerOptions, Submission, SubmitError};
use arledger_core::sample;
use chrono::{NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use uuid::Uuid;

fn ledger(dir: &std::path::Path) -> Ledger {
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).unwrap());
    Ledger::open(dir, LedgerOptions::new(Arc::new(clock))).unwrap()
}

fn cid(n: u128) -> CustomerId {
    CustomerId(Uuid::from_u128(n))
}

fn fold(commands: Vec<Command>) -> WriteModel {
    let mut model = WriteModel::default();
    for c in commands {
        for e in
            decide(&model, &sample::admin(), &c).unwrap_or_else(|e| panic!("{}: {e}", c.name()))
        {
            model.apply(&e).unwrap();
        }
    }
    model
}

#[test]
fn amounts_near_the_decimal_limit_are_refused_and_the_ledger_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = ledger(dir.path());
    ledger
        .submit(sample::submit(sample::register_customer(cid(1))))
        .unwrap();
    let huge = Decimal::from_i128_with_scale(50_000_000_000_000_000_000_000_000_000, 0);
    for command in [
        sample::service_invoice(InvoiceId(Uuid::from_u128(2)), cid(1), huge),
        sample::receive_payment(PaymentId(Uuid::from_u128(3)), cid(1), huge),
        sample::set_credit_limit(cid(1), huge),
        Command::SetPaymentTerms(SetPaymentTerms {
            customer_id: cid(1),
            contract_id: None,
            terms: PaymentTerms {
                installments: vec![
                    InstallmentTerms {
                        share_percent: huge,
                        days: 30,
                        base: TermsBase::Invoice,
                    },
                    InstallmentTerms {
                        share_percent: -huge + dec!(100),
                        days: 60,
                        base: TermsBase::Invoice,
                    },
                ],
            },
        }),
    ] {
        let err = ledger.submit(sample::submit(command)).unwrap_err();
        assert!(
            matches!(err, SubmitError::Refused(CommandError::InvalidInput { .. })),
            "{err}"
        );
    }
    // Two invoices each just under the cap still fold without overflow.
    for n in [4, 5] {
        let amount = arledger_core::domain::decide::AMOUNT_MAX;
        ledger
            .submit(sample::submit(sample::service_invoice(
                InvoiceId(Uuid::from_u128(n)),
                cid(1),
                amount,
            )))
            .unwrap();
    }
    assert_eq!(
        ledger.head().position,
        3,
        "the ledger still accepts commands"
    );
}

#[test]
fn auto_allocation_stops_before_the_per_command_event_limit_and_leaves_the_rest_on_account() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = ledger(dir.path());
    ledger
        .submit(sample::submit(sample::register_customer(cid(1))))
        .unwrap();
    let invoices: Vec<Submission> = (0..AUTO_ALLOCATIONS_MAX + 2)
        .map(|n| {
            sample::submit(sample::service_invoice(
                InvoiceId(Uuid::from_u128(1_000 + n as u128)),
                cid(1),
                dec!(1.00),
            ))
        })
        .collect();
    for r in ledger.submit_batch(invoices).unwrap() {
        r.unwrap();
    }
    let payment = PaymentId(Uuid::from_u128(9));
    let command = sample::auto_allocating_payment(payment, cid(1), dec!(5000.00));
    let outcome = ledger.submit(sample::submit(command)).unwrap();
    let events = usize::try_from(outcome.last_position - outcome.first_position + 1).unwrap();
    assert_eq!(events, 1 + AUTO_ALLOCATIONS_MAX);
    let on_account = ledger.with_model(|m| m.payments[&payment].unallocated());
    assert_eq!(
        on_account,
        dec!(5000.00) - Decimal::from(AUTO_ALLOCATIONS_MAX)
    );
    ledger
        .submit(sample::submit(sample::register_customer(cid(2))))
        .unwrap();
}

#[test]
fn repeating_a_command_id_in_a_role_that_may_not_run_it_is_forbidden() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = ledger(dir.path());
    let original = sample::submit(sample::register_customer(cid(1)));
    ledger.submit(original.clone()).unwrap();
    let repeat = Submission {
        actor: Actor::new("eve", "auditor").unwrap(),
        ..original
    };
    assert!(matches!(
        ledger.submit(repeat),
        Err(SubmitError::Refused(CommandError::Forbidden { .. }))
    ));
}

#[test]
fn an_empty_user_id_built_directly_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = ledger(dir.path());
    let mut s = sample::submit(sample::register_customer(cid(1)));
    s.actor.user_id = "  ".into();
    assert!(matches!(
        ledger.submit(s),
        Err(SubmitError::Refused(CommandError::InvalidInput { .. }))
    ));
    assert_eq!(ledger.head().position, 0);
}

#[test]
fn a_reversed_payment_has_nothing_on_account() {
    let payment = PaymentId(Uuid::from_u128(5));
    let model = fold(vec![
        sample::register_customer(cid(1)),
        sample::receive_payment(payment, cid(1), dec!(70.00)),
        Command::ReversePayment(ReversePayment {
            payment_id: payment,
            reason: "bounced".into(),
            reversed_on: sample::date(30),
        }),
    ]);
    assert_eq!(model.payments[&payment].unallocated(), Decimal::ZERO);
    let exposure = model.customers[&cid(1)].exposure_in(arledger_core::money::Currency::CNY);
    assert_eq!(exposure.unallocated, Decimal::ZERO);
}

fn order_with(lines: Vec<ShipLineRequest>) -> (WriteModel, ShipOrder) {
    let order = OrderId(Uuid::from_u128(20));
    let model = fold(vec![
        sample::register_customer(cid(1)),
        sample::set_credit_limit(cid(1), dec!(1000000.00)),
        sample::register_product(),
        sample::release_lot("L1", 100),
        Command::PlaceOrder(PlaceOrder {
            order_id: order,
            number: "SO-20".into(),
            customer_id: cid(1),
            currency: "CNY".into(),
            placed_on: sample::date(40),
            lines: vec![
                OrderLineRequest {
                    line_no: 1,
                    gtin: sample::GTIN.into(),
                    quantity: 20,
                    unit_price: dec!(10.00),
                },
                OrderLineRequest {
                    line_no: 2,
                    gtin: sample::GTIN.into(),
                    quantity: 20,
                    unit_price: dec!(10.00),
                },
            ],
        }),
    ]);
    let ship = ShipOrder {
        shipment_id: ShipmentId(Uuid::from_u128(21)),
        order_id: order,
        shipped_on: sample::date(41),
        ship_to: "Ward 1".into(),
        lines,
    };
    (model, ship)
}

#[test]
fn one_serial_on_two_lines_of_a_shipment_is_refused() {
    let line = |line_no| ShipLineRequest {
        line_no,
        gtin: sample::GTIN.into(),
        lot: "L1".into(),
        quantity: 1,
        serials: vec!["SN-7".into()],
        udis: vec![],
    };
    let (model, ship) = order_with(vec![line(1), line(2)]);
    let err = decide(&model, &sample::admin(), &Command::ShipOrder(ship)).unwrap_err();
    assert!(
        matches!(
            err,
            CommandError::InvalidState {
                entity: "serial",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn a_backdated_order_is_still_held_for_an_overdue_balance_as_of_the_recording_date() {
    let invoice = InvoiceId(Uuid::from_u128(30));
    let model = fold(vec![
        sample::register_customer(cid(1)),
        Command::SetCreditLimit(SetCreditLimit {
            customer_id: cid(1),
            limit: dec!(1000.00),
            currency: "CNY".into(),
            grade: RiskGrade::A,
            reason: "r".into(),
        }),
        // Invoice dated day 10, net 30: due day 40.
        sample::service_invoice(invoice, cid(1), dec!(700.00)),
    ]);
    let order = Command::PlaceOrder(PlaceOrder {
        order_id: OrderId(Uuid::from_u128(31)),
        number: "SO-31".into(),
        customer_id: cid(1),
        currency: "CNY".into(),
        // Backdated to before the due date.
        placed_on: sample::date(20),
        lines: vec![OrderLineRequest {
            line_no: 1,
            gtin: sample::GTIN.into(),
            quantity: 1,
            unit_price: dec!(150.00),
        }],
    });
    let mut model = model;
    for e in decide(&model, &sample::admin(), &sample::register_product()).unwrap() {
        model.apply(&e).unwrap();
    }
    let held = |recorded_on: Option<NaiveDate>| {
        decide_in(&model, &sample::admin(), &order, Context { recorded_on })
            .unwrap()
            .iter()
            .any(|e| matches!(e, Event::OrderHeld(_)))
    };
    assert!(!held(None), "as of the order's own date nothing is overdue");
    assert!(
        held(Some(sample::date(60))),
        "recorded on day 60 the invoice is overdue and 850 > 80% of 1000"
    );
}

fn assert_invalid_field(result: Result<Vec<Event>, CommandError>, expected: &str) {
    match result {
        Err(CommandError::InvalidInput { field, .. }) => assert_eq!(field, expected),
        other => panic!("expected an invalid {expected}, got {other:?}"),
    }
}

#[test]
fn an_order_worth_more_than_the_amount_cap_is_refused() {
    let (model, _) = order_with(vec![]);
    let order = Command::PlaceOrder(PlaceOrder {
        order_id: OrderId(Uuid::from_u128(40)),
        number: "SO-40".into(),
        customer_id: cid(1),
        currency: "CNY".into(),
        placed_on: sample::date(40),
        lines: vec![OrderLineRequest {
            line_no: 1,
            gtin: sample::GTIN.into(),
            quantity: 1_000_000_000,
            unit_price: dec!(10000000.00),
        }],
    });
    assert_invalid_field(decide(&model, &sample::admin(), &order), "lines");
}

#[test]
fn an_invoice_totalling_more_than_the_amount_cap_is_refused() {
    let model = fold(vec![sample::register_customer(cid(1))]);
    let line = || InvoiceLineRequest {
        shipment_id: None,
        line_no: None,
        quantity: None,
        description: Some("Service".into()),
        amount: arledger_core::domain::decide::AMOUNT_MAX,
        tax: Decimal::ZERO,
    };
    let invoice = match sample::service_invoice(InvoiceId(Uuid::from_u128(41)), cid(1), dec!(1)) {
        Command::IssueInvoice(i) => Command::IssueInvoice(IssueInvoice {
            lines: vec![line(), line()],
            ..i
        }),
        _ => unreachable!(),
    };
    assert_invalid_field(decide(&model, &sample::admin(), &invoice), "lines");
}

#[test]
fn a_recall_naming_a_malformed_serial_is_refused() {
    let model = fold(vec![
        sample::register_product(),
        sample::release_lot("L1", 10),
    ]);
    let recall = Command::IssueRecall(IssueRecall {
        recall_id: RecallId(Uuid::from_u128(42)),
        gtin: sample::GTIN.into(),
        lots: vec!["L1".into()],
        serials: vec!["S".repeat(21)],
        class: arledger_core::domain::types::RiskClass::II,
        reason: "battery".into(),
        issued_on: sample::date(50),
    });
    assert_invalid_field(decide(&model, &sample::admin(), &recall), "serials");
}

#[test]
fn a_shipment_with_more_serials_and_udis_than_one_shipment_may_carry_is_refused() {
    use arledger_core::domain::decide::{SERIALS_PER_LINE_MAX, SERIALS_PER_SHIPMENT_MAX};
    let lines = (0..=SERIALS_PER_SHIPMENT_MAX / SERIALS_PER_LINE_MAX)
        .map(|i| ShipLineRequest {
            line_no: 1 + u32::try_from(i % 2).unwrap(),
            gtin: sample::GTIN.into(),
            lot: "L1".into(),
            quantity: 1,
            serials: vec![],
            udis: vec![format!("(01){}(10)L1", sample::GTIN); SERIALS_PER_LINE_MAX],
        })
        .collect();
    let (model, ship) = order_with(lines);
    assert_invalid_field(
        decide(&model, &sample::admin(), &Command::ShipOrder(ship)),
        "serials",
    );
}

#[test]
fn a_command_whose_event_would_outgrow_the_payload_limit_is_refused_and_appends_nothing() {
    use arledger_core::domain::decide::{SERIALS_PER_LINE_MAX, UDI_LEN_MAX};
    use arledger_core::log::EVENT_PAYLOAD_BYTES_MAX;
    let dir = tempfile::tempdir().unwrap();
    let ledger = ledger(dir.path());
    let (model, ship) = order_with(vec![ShipLineRequest {
        line_no: 1,
        gtin: sample::GTIN.into(),
        lot: "L1".into(),
        quantity: 1,
        serials: vec![],
        udis: vec![long_udi(); SERIALS_PER_LINE_MAX],
    }]);
    assert!(long_udi().len() <= UDI_LEN_MAX);
    assert!(SERIALS_PER_LINE_MAX * long_udi().len() > EVENT_PAYLOAD_BYTES_MAX);
    // The rules accept it; only the log's payload limit refuses it.
    assert!(decide(&model, &sample::admin(), &Command::ShipOrder(ship.clone())).is_ok());
    let setup = [
        sample::register_customer(cid(1)),
        sample::set_credit_limit(cid(1), dec!(1000000.00)),
        sample::register_product(),
        sample::release_lot("L1", 100),
    ];
    for c in setup {
        ledger.submit(sample::submit(c)).unwrap();
    }
    let order = OrderId(Uuid::from_u128(20));
    ledger
        .submit(sample::submit(Command::PlaceOrder(PlaceOrder {
            order_id: order,
            number: "SO-20".into(),
            customer_id: cid(1),
            currency: "CNY".into(),
            placed_on: sample::date(40),
            lines: vec![OrderLineRequest {
                line_no: 1,
                gtin: sample::GTIN.into(),
                quantity: 5,
                unit_price: dec!(10.00),
            }],
        })))
        .unwrap();
    let head = ledger.head();
    let err = ledger
        .submit(sample::submit(Command::ShipOrder(ship)))
        .unwrap_err();
    assert!(
        matches!(err, SubmitError::Refused(CommandError::InvalidInput { ref field, .. }) if field == "ShipOrder"),
        "{err}"
    );
    assert_eq!(ledger.head(), head);
    ledger
        .submit(sample::submit(sample::register_customer(cid(2))))
        .unwrap();
}

/// A valid UDI of the line's product and lot, near the longest accepted:
/// five company-internal AIs of 90 characters each.
fn long_udi() -> String {
    let internal: String = (91..=95)
        .map(|ai| format!("({ai}){}", "X".repeat(90)))
        .collect();
    format!("(01){}(10)L1{internal}", sample::GTIN)
}
