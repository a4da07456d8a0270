//! The write model's running totals against their recomputation from the
//! documents (`WriteModel::check_invariants`, and the check `apply` runs in
//! debug builds on what each event touched).
//!
//! Every test starts from one history reached through `decide`, so only
//! states the rules allow: two customers in two currencies, orders passed,
//! held and released, held and rejected, partially shipped from several lots
//! and cancelled, delivery accepted, invoices with two installments billing
//! part of their shipments, a service invoice, payments allocated by hand and
//! automatically, a reversal, a credit note, a write-off and its recovery, a
//! dispute and a recall with a return. The tests then corrupt one running
//! total directly (the fields are public) and expect it named.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

use arledger_core::domain::commands::*;
use arledger_core::domain::events::*;
use arledger_core::domain::state::{InvariantError, WriteModel};
use arledger_core::domain::terms::{InstallmentTerms, PaymentTerms, TermsBase};
use arledger_core::domain::types::{
    Actor, CollectionChannel, CreditReason, CustomerKind, Gtin, PaymentMethod, RiskClass, RiskGrade,
};
use arledger_core::domain::{Command, Event, decide};
use arledger_core::ids::{
    CreditNoteId, CustomerId, InvoiceId, OrderId, PaymentId, RecallId, ShipmentId,
};
use arledger_core::money::{Currency, Money};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use uuid::Uuid;

const HOSPITAL: CustomerId = CustomerId(Uuid::from_u128(0xC001));
const CLINIC: CustomerId = CustomerId(Uuid::from_u128(0xC002));
const O1: OrderId = OrderId(Uuid::from_u128(0x0D01));
const O2: OrderId = OrderId(Uuid::from_u128(0x0D02));
const O3: OrderId = OrderId(Uuid::from_u128(0x0D03));
const O4: OrderId = OrderId(Uuid::from_u128(0x0D04));
const S1: ShipmentId = ShipmentId(Uuid::from_u128(0x5001));
const S2: ShipmentId = ShipmentId(Uuid::from_u128(0x5002));
const S3: ShipmentId = ShipmentId(Uuid::from_u128(0x5003));
const I1: InvoiceId = InvoiceId(Uuid::from_u128(0x1001));
const I2: InvoiceId = InvoiceId(Uuid::from_u128(0x1002));
const I3: InvoiceId = InvoiceId(Uuid::from_u128(0x1003));
const I4: InvoiceId = InvoiceId(Uuid::from_u128(0x1004));
const P1: PaymentId = PaymentId(Uuid::from_u128(0x9001));
const P2: PaymentId = PaymentId(Uuid::from_u128(0x9002));
const P3: PaymentId = PaymentId(Uuid::from_u128(0x9003));
const P4: PaymentId = PaymentId(Uuid::from_u128(0x9004));
const GTIN_A: &str = "09506000134352";
const GTIN_B: &str = "09504000059118";

// ---------------------------------------------------------------------------
// The history
// ---------------------------------------------------------------------------

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn gtin(s: &str) -> Gtin {
    Gtin::parse(s).unwrap()
}

fn admin() -> Actor {
    Actor::new("ada", "admin").unwrap()
}

/// Decides `command` as admin against `model` and folds what it produced.
fn run(model: &mut WriteModel, command: Command) {
    let name = command.name();
    let events = decide(model, &admin(), &command)
        .unwrap_or_else(|e| panic!("history command {name} was refused: {e}"));
    for event in &events {
        model
            .apply(event)
            .unwrap_or_else(|e| panic!("apply {}: {e}", event.type_name()));
    }
}

fn register(id: CustomerId, name: &str) -> Command {
    Command::RegisterCustomer(RegisterCustomer {
        customer_id: id,
        name: name.into(),
        kind: CustomerKind::Hospital,
        region: "East".into(),
        salesperson_id: "sam".into(),
        tax_id: None,
    })
}

fn credit_limit(id: CustomerId, limit: Decimal, currency: &str) -> Command {
    Command::SetCreditLimit(SetCreditLimit {
        customer_id: id,
        limit,
        currency: currency.into(),
        grade: RiskGrade::B,
        reason: "annual review".into(),
    })
}

fn terms(id: CustomerId, terms: PaymentTerms) -> Command {
    Command::SetPaymentTerms(SetPaymentTerms {
        customer_id: id,
        contract_id: None,
        terms,
    })
}

/// Half 30 days after the invoice, half 30 days after acceptance.
fn half_and_half() -> PaymentTerms {
    let half = |base| InstallmentTerms {
        share_percent: dec!(50),
        days: 30,
        base,
    };
    PaymentTerms {
        installments: vec![half(TermsBase::Invoice), half(TermsBase::Acceptance)],
    }
}

fn product(g: &str) -> Command {
    Command::RegisterProduct(RegisterProduct {
        gtin: g.into(),
        name: "Infusion pump".into(),
        model: None,
        risk_class: RiskClass::II,
        registration_no: None,
        company_prefix_len: None,
    })
}

fn lot(g: &str, lot: &str, quantity: i64) -> Command {
    Command::ReleaseLot(ReleaseLot {
        gtin: g.into(),
        lot: lot.into(),
        manufactured_on: d("2026-01-01"),
        expires_on: d("2028-01-01"),
        quantity,
    })
}

fn order(
    id: OrderId,
    customer: CustomerId,
    currency: &str,
    lines: &[(&str, i64, Decimal)],
) -> Command {
    Command::PlaceOrder(PlaceOrder {
        order_id: id,
        number: format!("SO-{id}"),
        customer_id: customer,
        currency: currency.into(),
        placed_on: d("2026-01-05"),
        lines: (1..)
            .zip(lines)
            .map(|(line_no, (g, quantity, unit_price))| OrderLineRequest {
                line_no,
                gtin: (*g).into(),
                quantity: *quantity,
                unit_price: *unit_price,
            })
            .collect(),
    })
}

/// Ships (order line, GTIN, lot, units).
fn ship(id: ShipmentId, order: OrderId, on: &str, lines: &[(u32, &str, &str, i64)]) -> Command {
    Command::ShipOrder(ShipOrder {
        shipment_id: id,
        order_id: order,
        shipped_on: d(on),
        ship_to: "Ward 3".into(),
        lines: lines
            .iter()
            .map(|(line_no, g, lot, quantity)| ShipLineRequest {
                line_no: *line_no,
                gtin: (*g).into(),
                lot: (*lot).into(),
                quantity: *quantity,
                serials: vec![],
                udis: vec![],
            })
            .collect(),
    })
}

/// Bills `quantity` units of line 1 of `shipment` for `amount`, dated `on`.
fn invoice(
    id: InvoiceId,
    customer: CustomerId,
    (currency, on): (&str, &str),
    (shipment, quantity): (ShipmentId, i64),
    amount: Decimal,
) -> Command {
    Command::IssueInvoice(IssueInvoice {
        invoice_id: id,
        number: format!("INV-{id}"),
        customer_id: customer,
        invoice_date: d(on),
        currency: currency.into(),
        terms: None,
        lines: vec![InvoiceLineRequest {
            shipment_id: Some(shipment),
            line_no: Some(1),
            quantity: Some(quantity),
            description: None,
            amount,
            tax: Decimal::ZERO,
        }],
        contract_id: None,
    })
}

fn service_invoice(id: InvoiceId, customer: CustomerId, amount: Decimal) -> Command {
    Command::IssueInvoice(IssueInvoice {
        invoice_id: id,
        number: format!("INV-{id}"),
        customer_id: customer,
        invoice_date: d("2026-02-10"),
        currency: "USD".into(),
        terms: Some(PaymentTerms::single(30, TermsBase::Invoice)),
        lines: vec![InvoiceLineRequest {
            shipment_id: None,
            line_no: None,
            quantity: None,
            description: Some("Training".into()),
            amount,
            tax: Decimal::ZERO,
        }],
        contract_id: None,
    })
}

fn payment(
    id: PaymentId,
    customer: CustomerId,
    amount: Decimal,
    currency: &str,
    auto_allocate: bool,
) -> Command {
    Command::ReceivePayment(ReceivePayment {
        payment_id: id,
        customer_id: customer,
        amount,
        currency: currency.into(),
        received_on: d("2026-03-01"),
        method: PaymentMethod::BankTransfer,
        bank_reference: None,
        auto_allocate,
    })
}

fn allocate(
    payment: PaymentId,
    invoice: InvoiceId,
    amount: Decimal,
    installment_no: Option<u32>,
) -> Command {
    Command::AllocatePayment(AllocatePayment {
        payment_id: payment,
        invoice_id: invoice,
        amount,
        installment_no,
    })
}

fn collection_call(customer: CustomerId) -> Command {
    Command::RecordCollectionActivity(RecordCollectionActivity {
        customer_id: customer,
        invoice_ids: vec![],
        channel: CollectionChannel::Call,
        outcome: "promised to pay".into(),
        promised_pay_date: None,
        on: d("2026-03-10"),
    })
}

/// The history every test starts from, checked to reach a state where
/// each kind of total is non-zero (so no check below compares zeros only).
fn history() -> WriteModel {
    let mut m = WriteModel::default();
    let phases = [
        master_data(),
        orders_and_shipments(),
        invoices_and_payments(),
        corrections(),
        recall(),
    ];
    for command in phases.into_iter().flatten() {
        run(&mut m, command);
    }
    let hospital = m.customers[&HOSPITAL].exposure_in(Currency::USD);
    assert_ne!(hospital.open_receivables, Decimal::ZERO);
    assert_ne!(hospital.shipped_not_invoiced, Decimal::ZERO);
    assert_ne!(hospital.open_orders, Decimal::ZERO);
    assert_ne!(hospital.unallocated, Decimal::ZERO);
    assert_ne!(
        m.customers[&CLINIC].exposure_in(Currency::EUR).total(),
        Decimal::ZERO
    );
    m
}

fn master_data() -> Vec<Command> {
    vec![
        register(HOSPITAL, "City Hospital"),
        credit_limit(HOSPITAL, dec!(10000.00), "USD"),
        terms(HOSPITAL, half_and_half()),
        register(CLINIC, "Lake Clinic"),
        credit_limit(CLINIC, dec!(5000.00), "EUR"),
        terms(CLINIC, PaymentTerms::single(30, TermsBase::Invoice)),
        product(GTIN_A),
        product(GTIN_B),
        lot(GTIN_A, "L1", 100),
        lot(GTIN_A, "L2", 100),
        lot(GTIN_B, "L3", 50),
    ]
}

fn orders_and_shipments() -> Vec<Command> {
    let o1 = [(GTIN_A, 10, dec!(100.00)), (GTIN_B, 5, dec!(20.00))];
    // Line 1 of O1 from two lots, line 2 in part.
    let s1 = [
        (1, GTIN_A, "L1", 6),
        (1, GTIN_A, "L2", 4),
        (2, GTIN_B, "L3", 2),
    ];
    vec![
        // O1 passes the credit check; O2 is held and released; O3 is held
        // and rejected; O4 is the clinic's, in euros.
        order(O1, HOSPITAL, "USD", &o1),
        order(O2, HOSPITAL, "USD", &[(GTIN_A, 200, dec!(100.00))]),
        Command::ReleaseOrder(ReleaseOrder {
            order_id: O2,
            note: None,
        }),
        order(O3, HOSPITAL, "USD", &[(GTIN_A, 150, dec!(100.00))]),
        Command::RejectOrder(RejectOrder {
            order_id: O3,
            note: None,
        }),
        order(O4, CLINIC, "EUR", &[(GTIN_B, 3, dec!(50.00))]),
        ship(S1, O1, "2026-01-10", &s1),
        ship(S2, O2, "2026-01-12", &[(1, GTIN_A, "L1", 30)]),
        ship(S3, O4, "2026-01-12", &[(1, GTIN_B, "L3", 3)]),
        Command::AcceptDelivery(AcceptDelivery {
            shipment_id: S1,
            accepted_on: d("2026-01-20"),
            accepted_by: "nurse".into(),
        }),
        // The rest of O2 is cancelled once part of it shipped.
        Command::CancelOrder(CancelOrder {
            order_id: O2,
            reason: "budget cut".into(),
        }),
    ]
}

fn invoices_and_payments() -> Vec<Command> {
    vec![
        invoice(I1, HOSPITAL, ("USD", "2026-02-01"), (S1, 10), dec!(1000.00)),
        // Only 20 of S2's 30 units are billed: 10 stay shipped but not invoiced.
        invoice(I2, HOSPITAL, ("USD", "2026-02-05"), (S2, 20), dec!(2000.00)),
        service_invoice(I3, HOSPITAL, dec!(500.00)),
        invoice(I4, CLINIC, ("EUR", "2026-02-01"), (S3, 3), dec!(150.00)),
        payment(P1, HOSPITAL, dec!(800.00), "USD", false),
        allocate(P1, I1, dec!(300.00), Some(1)),
        allocate(P1, I3, dec!(200.00), None),
        payment(P2, HOSPITAL, dec!(400.00), "USD", true),
        // P3 pays part of I2 and bounces.
        payment(P3, HOSPITAL, dec!(600.00), "USD", false),
        allocate(P3, I2, dec!(600.00), None),
        Command::ReversePayment(ReversePayment {
            payment_id: P3,
            reason: "bounced".into(),
            reversed_on: d("2026-03-05"),
        }),
        payment(P4, CLINIC, dec!(100.00), "EUR", false),
    ]
}

fn corrections() -> Vec<Command> {
    vec![
        Command::IssueCreditNote(IssueCreditNote {
            credit_note_id: CreditNoteId(Uuid::from_u128(0xC4ED)),
            invoice_id: I1,
            amount: dec!(100.00),
            reason: CreditReason::PriceAdjustment,
            issued_on: d("2026-03-02"),
        }),
        Command::WriteOffInvoice(WriteOffInvoice {
            invoice_id: I3,
            amount: dec!(100.00),
            reason: "settled".into(),
            written_off_on: d("2026-03-03"),
        }),
        Command::RecoverWriteOff(RecoverWriteOff {
            invoice_id: I3,
            amount: dec!(50.00),
            recovered_on: d("2026-03-04"),
        }),
        Command::OpenDispute(OpenDispute {
            invoice_id: I2,
            amount: dec!(200.00),
            reason: "damaged".into(),
            opened_on: d("2026-03-04"),
        }),
    ]
}

/// Lot L1 of A is recalled; the hospital acknowledges and returns 5 units.
fn recall() -> Vec<Command> {
    let recall = RecallId(Uuid::from_u128(0xEC11));
    vec![
        Command::IssueRecall(IssueRecall {
            recall_id: recall,
            gtin: GTIN_A.into(),
            lots: vec!["L1".into()],
            serials: vec![],
            class: RiskClass::II,
            reason: "faulty valve".into(),
            issued_on: d("2026-03-06"),
        }),
        Command::AcknowledgeRecall(AcknowledgeRecall {
            recall_id: recall,
            customer_id: HOSPITAL,
            acknowledged_on: d("2026-03-07"),
        }),
        Command::RecordRecallReturn(RecordRecallReturn {
            recall_id: recall,
            customer_id: HOSPITAL,
            quantity: 5,
            returned_on: d("2026-03-08"),
        }),
    ]
}

/// The error `check_invariants` reports once `corrupt` changed the history.
fn reported(corrupt: impl FnOnce(&mut WriteModel)) -> String {
    let mut m = history();
    corrupt(&mut m);
    match m.check_invariants() {
        Ok(()) => panic!("the corrupted model passed check_invariants"),
        Err(e) => e.to_string(),
    }
}

fn hospital() -> String {
    format!("customer {HOSPITAL}")
}

// ---------------------------------------------------------------------------
// A consistent history passes
// ---------------------------------------------------------------------------

#[test]
fn every_running_total_of_a_realistic_history_equals_its_recomputation() {
    assert_eq!(history().check_invariants(), Ok(()));
}

/// The two halves run on two threads (as open runs them) find what the
/// serial check finds, and report the same first error: here a payment
/// total (second half) and an installment (first half) both broken.
#[test]
fn the_check_split_over_two_threads_reports_what_the_serial_check_does() {
    let on_two_threads = |m: &WriteModel| {
        m.check_invariants_joined(|sales, payments| {
            std::thread::scope(|scope| {
                let sales = scope.spawn(sales);
                let payments = payments();
                (sales.join().unwrap(), payments)
            })
        })
    };
    let mut m = history();
    assert_eq!(on_two_threads(&m), Ok(()));
    m.payments.get_mut(&P1).unwrap().allocated += dec!(1.00);
    let payment_only = on_two_threads(&m);
    assert!(payment_only.is_err());
    assert_eq!(payment_only, m.check_invariants());
    let installment = &mut m.invoices.get_mut(&I1).unwrap().installments[0];
    installment.open = -installment.open;
    let both = on_two_threads(&m);
    assert!(
        both.as_ref()
            .is_err_and(|e| e.to_string().contains("installment"))
    );
    assert_eq!(both, m.check_invariants());
}

// ---------------------------------------------------------------------------
// Exposure (domain.md 6)
// ---------------------------------------------------------------------------

#[test]
fn open_receivables_out_of_step_with_the_customers_invoices_are_reported() {
    let before = history();
    let open: Decimal = [I1, I2, I3].iter().map(|i| before.invoices[i].open()).sum();
    let error = reported(|m| {
        m.customers.get_mut(&HOSPITAL).unwrap().exposure[0]
            .1
            .open_receivables += dec!(0.01);
    });
    assert_eq!(
        error,
        format!(
            "{}: open receivables in USD is kept as {}, but recomputes to {open}",
            hospital(),
            open + dec!(0.01)
        )
    );
}

#[test]
fn shipped_not_invoiced_out_of_step_with_the_customers_shipments_is_reported() {
    // S2's 10 unbilled units at 100.00 and S1's 2 unbilled units of B at
    // 20.00.
    let error = reported(|m| {
        m.customers.get_mut(&HOSPITAL).unwrap().exposure[0]
            .1
            .shipped_not_invoiced -= dec!(1);
    });
    assert_eq!(
        error,
        format!(
            "{}: shipped not invoiced in USD is kept as 1039.00, but recomputes to 1040.00",
            hospital()
        )
    );
}

#[test]
fn open_orders_out_of_step_with_the_customers_live_orders_are_reported() {
    // Only O1's unshipped 3 × B at 20.00 is live: O2 is cancelled, O3 rejected.
    let error = reported(|m| {
        m.customers.get_mut(&HOSPITAL).unwrap().exposure[0]
            .1
            .open_orders = dec!(17060.00);
    });
    assert_eq!(
        error,
        format!(
            "{}: open orders in USD is kept as 17060.00, but recomputes to 60.00",
            hospital()
        )
    );
}

#[test]
fn unallocated_payments_out_of_step_with_the_customers_payments_are_reported() {
    // P1 keeps 300.00 on account; P2 allocated itself in full; P3 bounced.
    let error = reported(|m| {
        m.customers.get_mut(&HOSPITAL).unwrap().exposure[0]
            .1
            .unallocated = dec!(900.00);
    });
    assert_eq!(
        error,
        format!(
            "{}: unallocated payments in USD is kept as 900.00, but recomputes to 300.00",
            hospital()
        )
    );
}

#[test]
fn exposure_kept_in_a_currency_without_documents_is_reported() {
    let error = reported(|m| {
        let clinic = m.customers.get_mut(&CLINIC).unwrap();
        clinic.exposure.push((Currency::JPY, Default::default()));
        clinic.exposure.last_mut().unwrap().1.open_orders = dec!(5);
    });
    assert_eq!(
        error,
        format!("customer {CLINIC}: open orders in JPY is kept as 5, but recomputes to 0")
    );
}

#[test]
fn exposure_missing_a_currency_the_customers_documents_are_in_is_reported() {
    let error = reported(|m| m.customers.get_mut(&CLINIC).unwrap().exposure.clear());
    assert_eq!(
        error,
        format!(
            "customer {CLINIC}: open receivables in EUR is kept as 0, but recomputes to 150.00"
        )
    );
}

// ---------------------------------------------------------------------------
// Payments
// ---------------------------------------------------------------------------

#[test]
fn a_payments_allocated_amount_out_of_step_with_its_allocations_is_reported() {
    let error = reported(|m| m.payments.get_mut(&P1).unwrap().allocated -= dec!(200.00));
    assert_eq!(
        error,
        format!("payment {P1}: amount allocated is kept as 300.00, but recomputes to 500.00")
    );
}

#[test]
fn a_reversed_payment_still_holding_an_allocation_is_reported() {
    let error = reported(|m| {
        let p3 = m.payments.get_mut(&P3).unwrap();
        p3.allocations.push((I2, 1, dec!(10.00)));
        p3.allocated = dec!(10.00);
    });
    assert_eq!(
        error,
        format!("payment {P3}: allocations after its reversal is kept as 1, but recomputes to 0")
    );
}

#[test]
fn a_payment_allocated_beyond_its_amount_is_reported() {
    // Allocations, their sum and the exposure agree: only the bound breaks.
    let error = reported(|m| {
        let p1 = m.payments.get_mut(&P1).unwrap();
        p1.allocations[0].2 += dec!(400.00);
        p1.allocated += dec!(400.00);
        m.customers.get_mut(&HOSPITAL).unwrap().exposure[0]
            .1
            .unallocated -= dec!(400.00);
    });
    assert_eq!(
        error,
        format!(
            "payment {P1}: amount allocated is kept as 900.00, but must be at most its amount 800.00"
        )
    );
}

#[test]
fn a_payment_allocated_below_zero_is_reported() {
    // Allocations, their sum and the exposure agree: only the bound breaks.
    let error = reported(|m| {
        let p4 = m.payments.get_mut(&P4).unwrap();
        p4.allocations.push((I4, 1, dec!(-10.00)));
        p4.allocated = dec!(-10.00);
        m.customers.get_mut(&CLINIC).unwrap().exposure[0]
            .1
            .unallocated += dec!(10.00);
    });
    assert_eq!(
        error,
        format!("payment {P4}: amount allocated is kept as -10.00, but must be at least 0")
    );
}

// ---------------------------------------------------------------------------
// Lots, order lines, shipment lines, installments
// ---------------------------------------------------------------------------

fn lot_mut<'a>(
    m: &'a mut WriteModel,
    g: &str,
    lot: &str,
) -> &'a mut arledger_core::domain::state::Lot {
    m.lots.get_mut(&gtin(g)).unwrap().get_mut(lot).unwrap()
}

#[test]
fn a_lots_shipped_units_out_of_step_with_its_units_per_customer_are_reported() {
    let error = reported(|m| {
        *lot_mut(m, GTIN_B, "L3")
            .shipped_to
            .get_mut(&CLINIC)
            .unwrap() += 1
    });
    assert_eq!(
        error,
        format!("lot L3 of {GTIN_B}: units shipped is kept as 5, but recomputes to 6")
    );
}

#[test]
fn a_lot_shipped_beyond_its_release_is_reported() {
    let error = reported(|m| lot_mut(m, GTIN_A, "L1").released = 35);
    assert_eq!(
        error,
        format!(
            "lot L1 of {GTIN_A}: units shipped is kept as 36, but must be at most units released 35"
        )
    );
}

#[test]
fn an_order_lines_shipped_units_out_of_step_with_its_shipments_are_reported() {
    let error = reported(|m| m.orders.get_mut(&O1).unwrap().lines[1].shipped = 3);
    assert_eq!(
        error,
        format!("order {O1} line 2: units shipped is kept as 3, but recomputes to 2")
    );
}

#[test]
fn an_order_line_shipped_beyond_its_quantity_is_reported() {
    let error = reported(|m| m.orders.get_mut(&O1).unwrap().lines[0].quantity = 9);
    assert_eq!(
        error,
        format!(
            "order {O1} line 1: units shipped is kept as 10, but must be at most units ordered 9"
        )
    );
}

#[test]
fn a_shipment_line_invoiced_beyond_its_units_is_reported() {
    let error = reported(|m| m.shipments.get_mut(&S2).unwrap().lines[0].invoiced = 31);
    assert_eq!(
        error,
        format!(
            "shipment {S2} line 1: units invoiced is kept as 31, but must be at most units shipped 30"
        )
    );
}

#[test]
fn invoiced_units_out_of_step_with_the_customers_exposure_are_reported() {
    // One more unit counted as invoiced leaves 100.00 less shipped but not
    // invoiced than the exposure keeps.
    let error = reported(|m| m.shipments.get_mut(&S2).unwrap().lines[0].invoiced = 21);
    assert_eq!(
        error,
        format!(
            "{}: shipped not invoiced in USD is kept as 1040.00, but recomputes to 940.00",
            hospital()
        )
    );
}

#[test]
fn an_installment_open_below_zero_is_reported() {
    let error = reported(|m| m.invoices.get_mut(&I4).unwrap().installments[0].open = dec!(-0.01));
    assert_eq!(
        error,
        format!("invoice {I4} installment 1: amount open is kept as -0.01, but must be at least 0")
    );
}

#[test]
fn an_installment_open_beyond_its_amount_is_reported() {
    let error = reported(|m| m.invoices.get_mut(&I4).unwrap().installments[0].open = dec!(150.01));
    assert_eq!(
        error,
        format!(
            "invoice {I4} installment 1: amount open is kept as 150.01, but must be at most its amount 150.00"
        )
    );
}

// ---------------------------------------------------------------------------
// The customers' lists of documents
// ---------------------------------------------------------------------------

#[test]
fn a_customer_listing_an_invoice_the_model_does_not_hold_is_reported() {
    let unknown = InvoiceId(Uuid::from_u128(0x10FF));
    let error = reported(|m| m.customers.get_mut(&CLINIC).unwrap().invoices.push(unknown));
    assert_eq!(
        error,
        format!(
            "customer {CLINIC} lists invoice {unknown}, which the model does not hold as its own"
        )
    );
}

#[test]
fn a_customer_listing_another_customers_payment_is_reported() {
    let error = reported(|m| m.customers.get_mut(&CLINIC).unwrap().payments.push(P1));
    assert_eq!(
        error,
        format!("customer {CLINIC} lists payment {P1}, which the model does not hold as its own")
    );
}

#[test]
fn a_payment_its_customer_does_not_list_is_reported() {
    // P3 bounced: it adds nothing to the exposure, so only the count tells.
    let error = reported(|m| {
        m.customers
            .get_mut(&HOSPITAL)
            .unwrap()
            .payments
            .retain(|p| *p != P3)
    });
    assert_eq!(
        error,
        "the write model: payments listed by customers is kept as 3, but recomputes to 4"
    );
}

// ---------------------------------------------------------------------------
// Folds refuse what decide refuses and would break a total (a forged log)
// ---------------------------------------------------------------------------

/// The reason `apply` gives for refusing `event` after the history.
fn fold_refused(event: Event) -> String {
    match history().apply(&event) {
        Ok(()) => panic!("{} was folded", event.type_name()),
        Err(e) => e.reason,
    }
}

fn allocation(payment: PaymentId, invoice: InvoiceId, amount: Money) -> Event {
    Event::PaymentAllocated(PaymentAllocated {
        payment_id: payment,
        invoice_id: invoice,
        installment_no: None,
        amount,
    })
}

#[test]
fn folding_an_allocation_beyond_its_payment_in_another_currency_or_from_a_bounced_one_is_refused() {
    let eur = |amount| Money::new(amount, Currency::EUR).unwrap();
    let usd = |amount| Money::new(amount, Currency::USD).unwrap();
    // P4: the clinic's 100.00 EUR, unallocated; I4 has 150.00 EUR open.
    for refused in [
        allocation(P4, I4, eur(dec!(100.01))),
        allocation(P4, I4, usd(dec!(10.00))),
        allocation(P3, I1, usd(dec!(1.00))),
    ] {
        let reason = fold_refused(refused);
        assert!(reason.contains("cannot allocate"), "{reason}");
    }
    let mut m = history();
    m.apply(&allocation(P4, I4, eur(dec!(100.00)))).unwrap();
    assert_eq!(m.check_invariants(), Ok(()));
}

#[test]
fn folding_a_shipment_of_an_order_that_is_not_live_is_refused() {
    // O3 was held and rejected.
    let shipped = Event::OrderShipped(OrderShipped {
        shipment_id: ShipmentId(Uuid::from_u128(0x5009)),
        order_id: O3,
        shipped_on: d("2026-03-10"),
        ship_to: "Ward 9".into(),
        lines: vec![ShipmentLine {
            line_no: 1,
            gtin: gtin(GTIN_A),
            lot: "L1".into(),
            expires_on: d("2030-01-01"),
            serials: vec![],
            quantity: 1,
            udis: vec![],
        }],
    });
    let reason = fold_refused(shipped);
    assert!(reason.contains("REJECTED and cannot ship"), "{reason}");
}

#[test]
fn folding_an_invoice_billing_another_customers_shipment_is_refused() {
    // S3 went to the clinic, in euros.
    let invoiced = Event::InvoiceIssued(InvoiceIssued {
        invoice_id: InvoiceId(Uuid::from_u128(0x1009)),
        number: "INV-FORGED".into(),
        customer_id: HOSPITAL,
        invoice_date: d("2026-03-10"),
        currency: Currency::USD,
        lines: vec![InvoiceLine {
            shipment_line: Some(ShipmentLineRef {
                shipment_id: S3,
                line_no: 1,
            }),
            quantity: 1,
            description: String::new(),
            amount: dec!(50.00),
            tax: Decimal::ZERO,
        }],
        terms: PaymentTerms::single(30, TermsBase::Invoice),
        installments: vec![],
    });
    let reason = fold_refused(invoiced);
    assert!(reason.contains("not to the invoice's"), "{reason}");
}

// ---------------------------------------------------------------------------
// The check apply runs in debug builds
// ---------------------------------------------------------------------------

#[cfg(debug_assertions)]
#[test]
#[should_panic(
    expected = "CollectionActivityRecorded broke an invariant: customer 00000000-0000-0000-0000-00000000c001: unallocated payments in USD is kept as 300.01, but recomputes to 300.00"
)]
fn apply_panics_on_an_event_for_a_customer_whose_exposure_was_corrupted() {
    let mut m = history();
    m.customers.get_mut(&HOSPITAL).unwrap().exposure[0]
        .1
        .unallocated += dec!(0.01);
    run(&mut m, collection_call(HOSPITAL));
}

#[cfg(debug_assertions)]
#[test]
#[should_panic(
    expected = "PaymentAllocated broke an invariant: payment 00000000-0000-0000-0000-000000009001: amount allocated is kept as 511.00, but recomputes to 510.00"
)]
fn apply_panics_on_an_allocation_from_a_payment_whose_allocated_amount_was_corrupted() {
    let mut m = history();
    m.payments.get_mut(&P1).unwrap().allocated += dec!(1.00);
    run(&mut m, allocate(P1, I2, dec!(10.00), None));
}

#[cfg(debug_assertions)]
#[test]
#[should_panic(
    expected = "OrderShipped broke an invariant: lot L3 of 09504000059118: units shipped is kept as 7, but recomputes to 6"
)]
fn apply_panics_on_a_shipment_from_a_lot_whose_shipped_units_were_corrupted() {
    let mut m = history();
    lot_mut(&mut m, GTIN_B, "L3").shipped += 1;
    run(
        &mut m,
        ship(
            ShipmentId(Uuid::from_u128(0x5004)),
            O1,
            "2026-03-10",
            &[(2, GTIN_B, "L3", 1)],
        ),
    );
}

#[cfg(debug_assertions)]
#[test]
fn apply_checks_only_what_the_event_touched() {
    // A corrupted hospital is left alone by an event for the clinic: the
    // check costs what the clinic's own documents cost, whatever the size
    // of the model. The whole-model check still finds it.
    let mut m = history();
    m.customers.get_mut(&HOSPITAL).unwrap().exposure[0]
        .1
        .unallocated += dec!(0.01);
    run(&mut m, collection_call(CLINIC));
    assert!(matches!(
        m.check_invariants(),
        Err(InvariantError::Mismatch { .. })
    ));
}
