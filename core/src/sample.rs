//! Ready-made valid commands for tests, benchmarks and the crash test: a
//! customer, a product with a lot, invoices, payments and allocations. Each
//! builder takes the ids it needs, so callers decide what refers to what.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::domain::commands::*;
use crate::domain::terms::{PaymentTerms, TermsBase};
use crate::domain::types::{Actor, CustomerKind, PaymentMethod, RiskClass, RiskGrade, Role};
use crate::ids::{CommandId, CustomerId, InvoiceId, PaymentId};
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
