//! One encoding per value: however a client writes an amount (100, 100.0,
//! 100.00), the events a command produces hold it at its currency's scale
//! (100.00 USD, 5 JPY, 2.000 KWD), never as a negative zero, and percent
//! shares of payment terms normalised (50, not 50.00). Decimal comparison
//! ignores the scale, so these tests compare encoded payload bytes and
//! scales, not values.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

use arledger_core::domain::commands::*;
use arledger_core::domain::events::CreditLimitSet;
use arledger_core::domain::terms::{InstallmentTerms, PaymentTerms, TermsBase};
use arledger_core::domain::types::{CreditReason, PaymentMethod, RiskGrade};
use arledger_core::domain::{Command, Event, WriteModel, decide};
use arledger_core::ids::{CreditNoteId, CustomerId, InvoiceId, OrderId, PaymentId, ShipmentId};
use arledger_core::money::{Currency, Money};
use arledger_core::sample;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use uuid::Uuid;

const CUSTOMER: CustomerId = CustomerId(Uuid::from_u128(0xC001));
const ORDER: OrderId = OrderId(Uuid::from_u128(0x0D01));
const SHIPMENT: ShipmentId = ShipmentId(Uuid::from_u128(0x5001));
const INVOICE: InvoiceId = InvoiceId(Uuid::from_u128(0x1001));
const P1: PaymentId = PaymentId(Uuid::from_u128(0x9001));
const P2: PaymentId = PaymentId(Uuid::from_u128(0x9002));

/// `units` written with `decimals` trailing zeros: 100 with 2 is 100.00.
fn written(units: i64, decimals: u32) -> Decimal {
    Decimal::new(units * 10i64.pow(decimals), decimals)
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Decides `command` as admin and folds what it produced.
fn run(model: &mut WriteModel, command: Command) -> Vec<Event> {
    let name = command.name();
    let events = decide(model, &sample::admin(), &command)
        .unwrap_or_else(|e| panic!("{name} was refused: {e}"));
    for e in &events {
        model.apply(e).unwrap();
    }
    events
}

/// Each event's type and encoded payload.
fn payloads(events: &[Event]) -> Vec<(&'static str, Vec<u8>)> {
    events
        .iter()
        .map(|e| {
            let mut payload = Vec::new();
            e.encode_payload(&mut payload).unwrap();
            (e.type_name(), payload)
        })
        .collect()
}

/// Every money amount an event carries, with what it is.
fn amounts(event: &Event) -> Vec<(&'static str, Decimal)> {
    let m = |what, money: &Money| (what, money.amount);
    match event {
        Event::CreditLimitSet(e) => vec![m("limit", &e.limit)],
        Event::OrderPlaced(e) => e
            .lines
            .iter()
            .map(|l| ("unit_price", l.unit_price))
            .collect(),
        Event::OrderHeld(e) => vec![m("exposure", &e.exposure), m("limit", &e.limit)],
        Event::InvoiceIssued(e) => {
            let lines = e
                .lines
                .iter()
                .flat_map(|l| [("line amount", l.amount), ("tax", l.tax)]);
            let installments = e.installments.iter().map(|i| m("installment", &i.amount));
            lines.chain(installments).collect()
        }
        Event::CreditNoteIssued(e) => vec![m("credit note", &e.amount)],
        Event::PaymentReceived(e) => vec![m("payment", &e.amount)],
        Event::PaymentAllocated(e) => vec![m("allocation", &e.amount)],
        Event::InvoiceWrittenOff(e) => vec![m("write-off", &e.amount)],
        Event::WriteOffRecovered(e) => vec![m("recovery", &e.amount)],
        Event::DisputeOpened(e) => vec![m("dispute", &e.amount)],
        _ => Vec::new(),
    }
}

/// Every percent share an event carries.
fn shares(event: &Event) -> Vec<Decimal> {
    let of = |terms: &PaymentTerms| {
        terms
            .installments
            .iter()
            .map(|i| i.share_percent)
            .collect::<Vec<_>>()
    };
    match event {
        Event::PaymentTermsSet(e) => of(&e.terms),
        Event::InvoiceIssued(e) => {
            let mut shares = of(&e.terms);
            shares.extend(e.installments.iter().map(|i| i.terms.share_percent));
            shares
        }
        _ => Vec::new(),
    }
}

/// Terms of three installments, 40/30/30 percent, each share written
/// with `decimals` trailing zeros.
fn three_installments(decimals: u32) -> PaymentTerms {
    let share = |percent, days| InstallmentTerms {
        share_percent: written(percent, decimals),
        days,
        base: TermsBase::Invoice,
    };
    PaymentTerms {
        installments: vec![share(40, 30), share(30, 60), share(30, 90)],
    }
}

fn credit_limit(currency: &str, limit: Decimal) -> Command {
    Command::SetCreditLimit(SetCreditLimit {
        customer_id: CUSTOMER,
        limit,
        currency: currency.into(),
        grade: RiskGrade::B,
        reason: "review".into(),
    })
}

fn order(currency: &str, unit_price: Decimal) -> Command {
    Command::PlaceOrder(PlaceOrder {
        order_id: ORDER,
        number: "SO-1".into(),
        customer_id: CUSTOMER,
        currency: currency.into(),
        placed_on: d("2026-02-01"),
        lines: vec![OrderLineRequest {
            line_no: 1,
            gtin: sample::GTIN.into(),
            quantity: 2,
            unit_price,
        }],
    })
}

fn shipment() -> Command {
    Command::ShipOrder(ShipOrder {
        shipment_id: SHIPMENT,
        order_id: ORDER,
        shipped_on: d("2026-02-03"),
        ship_to: "Ward 3".into(),
        lines: vec![ShipLineRequest {
            line_no: 1,
            gtin: sample::GTIN.into(),
            lot: "L1".into(),
            quantity: 2,
            serials: vec![],
            udis: vec![],
        }],
    })
}

fn invoice(currency: &str, amount: Decimal, tax: Decimal, terms: PaymentTerms) -> Command {
    Command::IssueInvoice(IssueInvoice {
        invoice_id: INVOICE,
        number: "INV-1".into(),
        customer_id: CUSTOMER,
        invoice_date: d("2026-02-06"),
        currency: currency.into(),
        terms: Some(terms),
        lines: vec![InvoiceLineRequest {
            shipment_id: None,
            line_no: None,
            quantity: None,
            description: Some("Maintenance service".into()),
            amount,
            tax,
        }],
        contract_id: None,
    })
}

fn payment(id: PaymentId, currency: &str, amount: Decimal, auto_allocate: bool) -> Command {
    Command::ReceivePayment(ReceivePayment {
        payment_id: id,
        customer_id: CUSTOMER,
        amount,
        currency: currency.into(),
        received_on: d("2026-02-08"),
        method: PaymentMethod::BankTransfer,
        bank_reference: None,
        auto_allocate,
    })
}

/// A customer with a product and a lot to order from.
fn registered() -> WriteModel {
    let mut model = WriteModel::default();
    run(&mut model, sample::register_customer(CUSTOMER));
    run(&mut model, sample::register_product());
    run(&mut model, sample::release_lot("L1", 100));
    model
}

/// Every command that carries an amount or a percent share, in USD, with
/// each number written with `decimals` trailing zeros; returns the events.
fn scenario_in_usd(decimals: u32) -> Vec<Event> {
    let n = |units| written(units, decimals);
    let mut model = registered();
    let terms = Command::SetPaymentTerms(SetPaymentTerms {
        customer_id: CUSTOMER,
        contract_id: None,
        terms: three_installments(decimals),
    });
    let mut commands = vec![
        terms,
        credit_limit("USD", n(50)),
        // Held: 2 x 100 is over the limit of 50.
        order("USD", n(100)),
        Command::ReleaseOrder(ReleaseOrder {
            order_id: ORDER,
            note: None,
        }),
        shipment(),
        invoice("USD", n(200), n(0), three_installments(decimals)),
        Command::IssueCreditNote(IssueCreditNote {
            credit_note_id: CreditNoteId(Uuid::from_u128(0xC401)),
            invoice_id: INVOICE,
            amount: n(10),
            reason: CreditReason::PriceAdjustment,
            issued_on: d("2026-02-07"),
        }),
        // 70 to the first installment (80 less the credit note), 30 to the second.
        payment(P1, "USD", n(100), true),
        payment(P2, "USD", n(50), false),
        sample::allocate(P2, INVOICE, n(20)),
    ];
    commands.extend([
        Command::OpenDispute(OpenDispute {
            invoice_id: INVOICE,
            amount: n(10),
            reason: "damaged box".into(),
            opened_on: d("2026-02-10"),
        }),
        Command::WriteOffInvoice(WriteOffInvoice {
            invoice_id: INVOICE,
            amount: n(5),
            reason: "small balance".into(),
            written_off_on: d("2026-02-13"),
        }),
        Command::RecoverWriteOff(RecoverWriteOff {
            invoice_id: INVOICE,
            amount: n(2),
            recovered_on: d("2026-02-14"),
        }),
    ]);
    commands
        .into_iter()
        .flat_map(|command| run(&mut model, command))
        .collect()
}

#[test]
fn every_amount_written_as_100_100_0_100_00_or_100_000_is_stored_in_the_same_bytes() {
    let stored = payloads(&scenario_in_usd(2));
    for decimals in [0, 1, 3] {
        assert_eq!(
            payloads(&scenario_in_usd(decimals)),
            stored,
            "numbers written with {decimals} decimals"
        );
    }
}

#[test]
fn every_amount_of_every_event_is_at_the_currency_scale() {
    let events = scenario_in_usd(0);
    let allocations = events
        .iter()
        .filter(|e| matches!(e, Event::PaymentAllocated(_)))
        .count();
    assert_eq!(allocations, 3, "two auto-allocations and one by hand");
    assert!(events.iter().any(|e| matches!(e, Event::OrderHeld(_))));
    let mut checked = 0;
    for event in &events {
        for (what, amount) in amounts(event) {
            assert_eq!(amount.scale(), 2, "{} {what} {amount}", event.type_name());
            assert!(amount.is_sign_positive(), "{} {what}", event.type_name());
            checked += 1;
        }
    }
    assert_eq!(checked, 18, "every amount of the scenario was looked at");
}

#[test]
fn percent_shares_are_stored_normalised() {
    for decimals in [0, 2] {
        let events = scenario_in_usd(decimals);
        let shares: Vec<String> = events
            .iter()
            .flat_map(shares)
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            shares.len(),
            9,
            "terms set, and the invoice's terms and installments"
        );
        for share in &shares {
            assert!(["40", "30"].contains(&share.as_str()), "share {share}");
        }
    }
}

#[test]
fn installments_of_a_three_way_split_come_out_at_the_currency_scale() {
    let mut model = registered();
    let events = run(
        &mut model,
        invoice("USD", written(100, 0), written(0, 0), three_installments(0)),
    );
    let Event::InvoiceIssued(issued) = &events[0] else {
        panic!("not an invoice: {events:?}");
    };
    let installments: Vec<String> = issued
        .installments
        .iter()
        .map(|i| i.amount.amount.to_string())
        .collect();
    assert_eq!(installments, ["40.00", "30.00", "30.00"]);
}

#[test]
fn a_negative_zero_is_stored_as_a_positive_zero_at_the_currency_scale() {
    let negative_zero = -Decimal::ZERO;
    assert!(negative_zero.is_sign_negative());
    let mut model = registered();
    let mut events = run(&mut model, credit_limit("USD", negative_zero));
    events.extend(run(&mut model, order("USD", negative_zero)));
    events.extend(run(
        &mut model,
        invoice("USD", written(100, 0), negative_zero, three_installments(0)),
    ));
    let zeros: Vec<_> = events
        .iter()
        .flat_map(amounts)
        .filter(|(_, amount)| amount.is_zero())
        .collect();
    // The limit, the order's unit price (an order of nothing passes a limit
    // of zero) and the invoice's tax.
    assert_eq!(zeros.len(), 3, "{zeros:?}");
    for (what, zero) in zeros {
        assert_eq!(
            zero.serialize(),
            Decimal::new(0, 2).serialize(),
            "{what} {zero}"
        );
    }
}

#[test]
fn an_order_held_for_want_of_a_limit_records_a_zero_limit_at_the_currency_scale() {
    let mut model = registered();
    let events = run(&mut model, order("USD", written(100, 0)));
    let Some(Event::OrderHeld(held)) = events.get(1) else {
        panic!("not held: {events:?}");
    };
    assert_eq!(held.limit.amount.to_string(), "0.00");
    assert_eq!(held.exposure.amount.to_string(), "200.00");
}

#[test]
fn yen_have_no_decimals_and_kuwaiti_dinars_three() {
    for (currency, typed, stored) in [
        ("JPY", written(5, 2), "5"),
        ("JPY", written(5, 0), "5"),
        ("KWD", written(2, 0), "2.000"),
        ("KWD", written(2, 1), "2.000"),
    ] {
        let mut model = registered();
        let mut events = run(&mut model, credit_limit(currency, typed));
        events.extend(run(&mut model, payment(P1, currency, typed, false)));
        for (what, amount) in events.iter().flat_map(amounts) {
            assert_eq!(amount.to_string(), stored, "{what} {typed} {currency}");
        }
    }
}

/// Logs written before amounts were normalised hold amounts such as
/// 50.000 JPY (valid: its decimals are zeros). They stay readable as they
/// are, and an amount decide computes from them is stored at the
/// currency's scale all the same.
#[test]
fn a_hold_against_a_limit_stored_as_50_000_jpy_records_a_limit_of_50_jpy() {
    let mut model = registered();
    let old_limit = Event::CreditLimitSet(CreditLimitSet {
        customer_id: CUSTOMER,
        limit: Money::new(written(50, 3), Currency::JPY).unwrap(),
        grade: RiskGrade::B,
        reason: "review".into(),
        approved_by: "admin".into(),
    });
    model.apply(&old_limit).unwrap();
    let events = run(&mut model, order("JPY", written(100, 0)));
    let Some(Event::OrderHeld(held)) = events.get(1) else {
        panic!("not held: {events:?}");
    };
    assert_eq!(held.limit.amount.to_string(), "50");
    assert_eq!(held.exposure.amount.to_string(), "200");
}

/// As above, for an installment stored as 200.000 JPY.
#[test]
fn an_auto_allocation_to_an_installment_stored_as_200_000_jpy_records_200_jpy() {
    let mut model = registered();
    let terms = PaymentTerms::single(30, TermsBase::Invoice);
    let command = invoice("JPY", written(200, 0), written(0, 0), terms);
    let mut old_invoice = decide(&model, &sample::admin(), &command).unwrap();
    let Some(Event::InvoiceIssued(issued)) = old_invoice.first_mut() else {
        panic!("not an invoice: {old_invoice:?}");
    };
    for installment in &mut issued.installments {
        installment.amount.amount.rescale(3);
    }
    model.apply(&old_invoice[0]).unwrap();
    let events = run(&mut model, payment(P1, "JPY", written(300, 0), true));
    let Some(Event::PaymentAllocated(allocated)) = events.get(1) else {
        panic!("not allocated: {events:?}");
    };
    assert_eq!(allocated.amount.amount.to_string(), "200");
}
