//! Ready-made valid commands for tests, benchmarks and the crash test: a
//! customer, a product with a lot, invoices, payments and allocations. Each
//! builder takes the ids it needs, so callers decide what refers to what.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::domain::commands::*;
use crate::domain::terms::{PaymentTerms, TermsBase};
use crate::domain::types::{
    Actor, CollectionChannel, CreditReason, CustomerKind, PaymentMethod, RiskClass, RiskGrade, Role,
};
use crate::ids::{
    CommandId, CreditNoteId, CustomerId, InvoiceId, OrderId, PaymentId, RecallId, ShipmentId,
};
use crate::log::Submission;

/// A GTIN-14 with a valid check digit.
pub const GTIN: &str = "09504000059118";

/// An admin actor.
pub fn admin() -> Actor {
    Actor {
        user_id: "admin".into(),
        role: Role::Admin,
    }
}

/// A business date: 2026-01-01 plus `days`.
pub fn date(days: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(2026, 1, 1)
        .and_then(|d| d.checked_add_days(chrono::Days::new(u64::from(days))))
    {
        Some(date) => date,
        None => panic!("2026-01-01 plus {days} days is past the last date"),
    }
}

/// Wraps a command as an admin submission with a fresh command id.
pub fn submit(command: Command) -> Submission {
    Submission::new(CommandId(Uuid::new_v4()), admin(), command)
}

/// Registers a hospital.
pub fn register_customer(id: CustomerId) -> Command {
    Command::RegisterCustomer(RegisterCustomer {
        customer_id: id,
        name: format!("Hospital {}", id.0.simple()),
        kind: CustomerKind::Hospital,
        region: "East".into(),
        salesperson_id: "s-1".into(),
        tax_id: None,
    })
}

/// Sets a CNY credit limit, grade B.
pub fn set_credit_limit(id: CustomerId, limit: Decimal) -> Command {
    Command::SetCreditLimit(SetCreditLimit {
        customer_id: id,
        limit,
        currency: "CNY".into(),
        grade: RiskGrade::B,
        reason: "annual review".into(),
    })
}

/// Registers the sample product [`GTIN`].
pub fn register_product() -> Command {
    Command::RegisterProduct(RegisterProduct {
        gtin: GTIN.into(),
        name: "Infusion pump".into(),
        model: Some("IP-200".into()),
        risk_class: RiskClass::II,
        registration_no: None,
        company_prefix_len: None,
    })
}

/// Releases lot `lot` of [`GTIN`] with `quantity` units, expiring in 2030.
pub fn release_lot(lot: &str, quantity: i64) -> Command {
    release_lot_of(GTIN, lot, quantity)
}

/// Releases lot `lot` of `gtin` with `quantity` units, expiring in 2030.
pub fn release_lot_of(gtin: &str, lot: &str, quantity: i64) -> Command {
    Command::ReleaseLot(ReleaseLot {
        gtin: gtin.into(),
        lot: lot.into(),
        manufactured_on: date(0),
        // 2030-01-01.
        expires_on: date(1_461),
        quantity,
    })
}

/// A service invoice (no shipment) of `amount` CNY, net 30.
pub fn service_invoice(id: InvoiceId, customer: CustomerId, amount: Decimal) -> Command {
    Command::IssueInvoice(IssueInvoice {
        invoice_id: id,
        number: format!("INV-{}", id.0.simple()),
        customer_id: customer,
        invoice_date: date(10),
        currency: "CNY".into(),
        terms: Some(PaymentTerms::single(30, TermsBase::Invoice)),
        lines: vec![InvoiceLineRequest {
            shipment_id: None,
            line_no: None,
            quantity: None,
            description: Some("Maintenance service".into()),
            amount,
            tax: Decimal::ZERO,
        }],
        contract_id: None,
    })
}

/// A bank transfer of `amount` CNY.
pub fn receive_payment(id: PaymentId, customer: CustomerId, amount: Decimal) -> Command {
    Command::ReceivePayment(payment(id, customer, amount, false))
}

/// A bank transfer of `amount` CNY applied to open installments, oldest
/// due first.
pub fn auto_allocating_payment(id: PaymentId, customer: CustomerId, amount: Decimal) -> Command {
    Command::ReceivePayment(payment(id, customer, amount, true))
}

fn payment(
    id: PaymentId,
    customer: CustomerId,
    amount: Decimal,
    auto_allocate: bool,
) -> ReceivePayment {
    ReceivePayment {
        payment_id: id,
        customer_id: customer,
        amount,
        currency: "CNY".into(),
        received_on: date(20),
        method: PaymentMethod::BankTransfer,
        bank_reference: Some("REF".into()),
        auto_allocate,
    }
}

/// Allocates `amount` of a payment to an invoice.
pub fn allocate(payment: PaymentId, invoice: InvoiceId, amount: Decimal) -> Command {
    Command::AllocatePayment(AllocatePayment {
        payment_id: payment,
        invoice_id: invoice,
        amount,
        installment_no: None,
    })
}

/// A business date; the scenario's dates are all valid.
fn day(year: i32, month: u32, day: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(date) => date,
        None => panic!("{year}-{month}-{day} is not a date"),
    }
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

/// Commands that, decided in order by an admin on an empty ledger, produce
/// every event type at least once, with fixed ids: the golden files' scenario
/// (`core/tests/golden.rs`), and a ledger holding every event type for the
/// export tests.
pub fn every_event_type() -> Vec<Command> {
    let customer = CustomerId(id(1));
    let order = OrderId(id(2));
    let shipment = ShipmentId(id(3));
    let invoice = InvoiceId(id(4));
    let payment = PaymentId(id(5));
    let recall = RecallId(id(6));
    [
        master_data_commands(customer),
        sales_commands(customer, order, shipment, invoice),
        receivables_commands(customer, invoice, payment),
        recall_commands(customer, recall),
        held_order_commands(customer),
    ]
    .concat()
}

/// Section 3: the customer, its limit and terms, the product and its lot.
fn master_data_commands(customer: CustomerId) -> Vec<Command> {
    vec![
        register_customer(customer),
        Command::UpdateCustomer(UpdateCustomer {
            customer_id: customer,
            name: None,
            kind: None,
            region: Some("North".into()),
            salesperson_id: None,
            tax_id: Some("91310000MA1FL0000X".into()),
        }),
        set_credit_limit(customer, Decimal::new(10_000_000, 2)),
        Command::SetPaymentTerms(SetPaymentTerms {
            customer_id: customer,
            contract_id: Some("C-7".into()),
            terms: PaymentTerms::single(60, TermsBase::Acceptance),
        }),
        register_product(),
        release_lot("L1", 100),
    ]
}

/// Order, shipment, acceptance and invoice.
fn sales_commands(
    customer: CustomerId,
    order: OrderId,
    shipment: ShipmentId,
    invoice: InvoiceId,
) -> Vec<Command> {
    vec![
        Command::PlaceOrder(PlaceOrder {
            order_id: order,
            number: "SO-1".into(),
            customer_id: customer,
            currency: "CNY".into(),
            placed_on: day(2026, 2, 1),
            lines: vec![OrderLineRequest {
                line_no: 1,
                gtin: GTIN.into(),
                quantity: 10,
                unit_price: Decimal::new(150_000, 2),
            }],
        }),
        Command::ShipOrder(ShipOrder {
            shipment_id: shipment,
            order_id: order,
            shipped_on: day(2026, 2, 3),
            ship_to: "Ward 3".into(),
            lines: vec![ShipLineRequest {
                line_no: 1,
                gtin: GTIN.into(),
                lot: "L1".into(),
                quantity: 2,
                serials: vec!["SN1".into(), "SN2".into()],
                udis: vec!["(01)09504000059118(17)300101(10)L1(21)SN1".into()],
            }],
        }),
        Command::AcceptDelivery(AcceptDelivery {
            shipment_id: shipment,
            accepted_on: day(2026, 2, 5),
            accepted_by: "Head nurse".into(),
        }),
        Command::IssueInvoice(IssueInvoice {
            invoice_id: invoice,
            number: "INV-1".into(),
            customer_id: customer,
            invoice_date: day(2026, 2, 6),
            currency: "CNY".into(),
            terms: None,
            lines: vec![InvoiceLineRequest {
                shipment_id: Some(shipment),
                line_no: Some(1),
                quantity: None,
                description: None,
                amount: Decimal::new(300_000, 2),
                tax: Decimal::new(39_000, 2),
            }],
            contract_id: Some("C-7".into()),
        }),
    ]
}

/// Credit note, payment and allocation, dispute, collection, write-off,
/// recovery and reversal.
fn receivables_commands(
    customer: CustomerId,
    invoice: InvoiceId,
    payment: PaymentId,
) -> Vec<Command> {
    vec![
        Command::IssueCreditNote(IssueCreditNote {
            credit_note_id: CreditNoteId(id(7)),
            invoice_id: invoice,
            amount: Decimal::new(9_000, 2),
            reason: CreditReason::PriceAdjustment,
            issued_on: day(2026, 2, 7),
        }),
        receive_payment(payment, customer, Decimal::new(100_000, 2)),
        allocate(payment, invoice, Decimal::new(80_000, 2)),
        Command::OpenDispute(OpenDispute {
            invoice_id: invoice,
            amount: Decimal::new(10_000, 2),
            reason: "damaged box".into(),
            opened_on: day(2026, 2, 10),
        }),
        Command::ResolveDispute(ResolveDispute {
            invoice_id: invoice,
            outcome: "accepted as is".into(),
            resolved_on: day(2026, 2, 11),
        }),
        Command::RecordCollectionActivity(RecordCollectionActivity {
            customer_id: customer,
            invoice_ids: vec![invoice],
            channel: CollectionChannel::Call,
            outcome: "promised".into(),
            promised_pay_date: Some(day(2026, 3, 1)),
            on: day(2026, 2, 12),
        }),
        Command::WriteOffInvoice(WriteOffInvoice {
            invoice_id: invoice,
            amount: Decimal::new(5_000, 2),
            reason: "small balance".into(),
            written_off_on: day(2026, 2, 13),
        }),
        Command::RecoverWriteOff(RecoverWriteOff {
            invoice_id: invoice,
            amount: Decimal::new(2_000, 2),
            recovered_on: day(2026, 2, 14),
        }),
        Command::ReversePayment(ReversePayment {
            payment_id: payment,
            reason: "bounced".into(),
            reversed_on: day(2026, 2, 15),
        }),
    ]
}

/// A recall, its acknowledgement and a return.
fn recall_commands(customer: CustomerId, recall: RecallId) -> Vec<Command> {
    vec![
        Command::IssueRecall(IssueRecall {
            recall_id: recall,
            gtin: GTIN.into(),
            lots: vec!["L1".into()],
            serials: vec![],
            class: RiskClass::II,
            reason: "battery".into(),
            issued_on: day(2026, 2, 16),
        }),
        Command::AcknowledgeRecall(AcknowledgeRecall {
            recall_id: recall,
            customer_id: customer,
            acknowledged_on: day(2026, 2, 17),
        }),
        Command::RecordRecallReturn(RecordRecallReturn {
            recall_id: recall,
            customer_id: customer,
            quantity: 2,
            returned_on: day(2026, 2, 18),
        }),
    ]
}

/// A held order to release (and then cancel) and one to reject.
fn held_order_commands(customer: CustomerId) -> Vec<Command> {
    let held = |n: u128, number: &str| {
        Command::PlaceOrder(PlaceOrder {
            order_id: OrderId(id(n)),
            number: number.into(),
            customer_id: customer,
            currency: "CNY".into(),
            placed_on: day(2026, 2, 20),
            lines: vec![OrderLineRequest {
                line_no: 1,
                gtin: GTIN.into(),
                quantity: 1000,
                unit_price: Decimal::new(100_000, 2),
            }],
        })
    };
    vec![
        held(8, "SO-8"),
        Command::ReleaseOrder(ReleaseOrder {
            order_id: OrderId(id(8)),
            note: Some("ok".into()),
        }),
        held(9, "SO-9"),
        Command::RejectOrder(RejectOrder {
            order_id: OrderId(id(9)),
            note: None,
        }),
        Command::CancelOrder(CancelOrder {
            order_id: OrderId(id(8)),
            reason: "customer".into(),
        }),
    ]
}
