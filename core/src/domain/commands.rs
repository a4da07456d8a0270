//! Commands: imperative requests, validated by `decide`. Fields arrive as the
//! client sent them (currency codes, GTINs and quantities unparsed), so that
//! every malformed value is refused by a rule with a typed error.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::error::CommandError;
use super::terms::PaymentTerms;
use super::types::{
    CollectionChannel, CreditReason, CustomerKind, PaymentMethod, RiskClass, RiskGrade, Role,
};
use crate::ids::{CreditNoteId, CustomerId, InvoiceId, OrderId, PaymentId, RecallId, ShipmentId};

/// Register a customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterCustomer {
    /// New id.
    pub customer_id: CustomerId,
    /// Legal name (non-empty).
    pub name: String,
    /// Kind.
    pub kind: CustomerKind,
    /// Region.
    pub region: String,
    /// Salesperson.
    pub salesperson_id: String,
    /// Tax id.
    pub tax_id: Option<String>,
}

/// Change a customer's master data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateCustomer {
    /// The customer.
    pub customer_id: CustomerId,
    /// New name.
    pub name: Option<String>,
    /// New kind.
    pub kind: Option<CustomerKind>,
    /// New region.
    pub region: Option<String>,
    /// New salesperson.
    pub salesperson_id: Option<String>,
    /// New tax id.
    pub tax_id: Option<String>,
}

/// Set a customer's credit limit and grade.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetCreditLimit {
    /// The customer.
    pub customer_id: CustomerId,
    /// Limit (>= 0).
    #[serde(with = "crate::money::decimal_bytes")]
    pub limit: Decimal,
    /// ISO 4217 code; fixed per customer once set.
    pub currency: String,
    /// Grade.
    pub grade: RiskGrade,
    /// Why.
    pub reason: String,
}

/// Set a customer's default payment terms, or the terms of one of its
/// contracts (which apply only to invoices naming that contract).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetPaymentTerms {
    /// The customer.
    pub customer_id: CustomerId,
    /// Contract, if the terms belong to one; `None` sets the default terms.
    pub contract_id: Option<String>,
    /// The terms.
    pub terms: PaymentTerms,
}

/// Register a product.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterProduct {
    /// GTIN (check digit verified).
    pub gtin: String,
    /// Name.
    pub name: String,
    /// Model.
    pub model: Option<String>,
    /// Risk class.
    pub risk_class: RiskClass,
    /// Registration certificate number.
    pub registration_no: Option<String>,
    /// GS1 company prefix length (6..=12); default 7.
    pub company_prefix_len: Option<u8>,
}

/// Release a lot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseLot {
    /// Product.
    pub gtin: String,
    /// Lot number.
    pub lot: String,
    /// Manufacture date.
    #[serde(with = "super::date_serde")]
    pub manufactured_on: NaiveDate,
    /// Expiry date.
    #[serde(with = "super::date_serde")]
    pub expires_on: NaiveDate,
    /// Units (> 0).
    pub quantity: i64,
}

/// An order line as requested.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLineRequest {
    /// Line number (unique in the order).
    pub line_no: u32,
    /// Product.
    pub gtin: String,
    /// Units (> 0).
    pub quantity: i64,
    /// Price per unit (>= 0).
    #[serde(with = "crate::money::decimal_bytes")]
    pub unit_price: Decimal,
}

/// Place an order (runs the credit check).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceOrder {
    /// New id.
    pub order_id: OrderId,
    /// Order number (unique).
    pub number: String,
    /// The customer.
    pub customer_id: CustomerId,
    /// ISO 4217 code.
    pub currency: String,
    /// Business date.
    #[serde(with = "super::date_serde")]
    pub placed_on: NaiveDate,
    /// Lines.
    pub lines: Vec<OrderLineRequest>,
}

/// Release a held order (finance manager).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseOrder {
    /// The order.
    pub order_id: OrderId,
    /// Note.
    pub note: Option<String>,
}

/// Reject a held order (finance manager).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectOrder {
    /// The order.
    pub order_id: OrderId,
    /// Note.
    pub note: Option<String>,
}

/// Cancel the unshipped remainder of an order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelOrder {
    /// The order.
    pub order_id: OrderId,
    /// Why.
    pub reason: String,
}

/// A shipment line as requested.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipLineRequest {
    /// The order line.
    pub line_no: u32,
    /// Product (must be the order line's).
    pub gtin: String,
    /// Lot.
    pub lot: String,
    /// Units (> 0).
    pub quantity: i64,
    /// Serials (none, or exactly one per unit).
    pub serials: Vec<String>,
    /// Raw UDI strings scanned at packing.
    pub udis: Vec<String>,
}

/// Ship goods of an order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipOrder {
    /// New id.
    pub shipment_id: ShipmentId,
    /// The order.
    pub order_id: OrderId,
    /// Business date.
    #[serde(with = "super::date_serde")]
    pub shipped_on: NaiveDate,
    /// Ship-to.
    pub ship_to: String,
    /// Lines.
    pub lines: Vec<ShipLineRequest>,
}

/// Record the customer's acceptance of a delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptDelivery {
    /// The shipment.
    pub shipment_id: ShipmentId,
    /// Business date.
    #[serde(with = "super::date_serde")]
    pub accepted_on: NaiveDate,
    /// Who accepted at the customer.
    pub accepted_by: String,
}

/// An invoice line as requested.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLineRequest {
    /// The shipment billed; `None` for services.
    pub shipment_id: Option<ShipmentId>,
    /// The shipment line (order line number).
    pub line_no: Option<u32>,
    /// Units; default: all not yet invoiced.
    pub quantity: Option<i64>,
    /// Text (required for services).
    pub description: Option<String>,
    /// Net amount (>= 0).
    #[serde(with = "crate::money::decimal_bytes")]
    pub amount: Decimal,
    /// Tax (>= 0).
    #[serde(with = "crate::money::decimal_bytes")]
    pub tax: Decimal,
}

/// Issue an invoice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueInvoice {
    /// New id.
    pub invoice_id: InvoiceId,
    /// Invoice number (unique).
    pub number: String,
    /// The customer.
    pub customer_id: CustomerId,
    /// Business date.
    #[serde(with = "super::date_serde")]
    pub invoice_date: NaiveDate,
    /// ISO 4217 code.
    pub currency: String,
    /// Terms; when absent, those of `contract_id`, else the customer's
    /// default terms.
    pub terms: Option<PaymentTerms>,
    /// Lines.
    pub lines: Vec<InvoiceLineRequest>,
    /// The customer's contract this invoice falls under, if any (it must
    /// have terms set for the customer). Left out of the serialized body
    /// when absent, so that an invoice without one hashes as it did before
    /// the field existed and its retries stay idempotent (commands are
    /// serialized only to hash them, never read back from bincode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_id: Option<String>,
}

/// Issue a credit note against an invoice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueCreditNote {
    /// New id.
    pub credit_note_id: CreditNoteId,
    /// The invoice.
    pub invoice_id: InvoiceId,
    /// Amount in the invoice's currency.
    #[serde(with = "crate::money::decimal_bytes")]
    pub amount: Decimal,
    /// Why.
    pub reason: CreditReason,
    /// Business date.
    #[serde(with = "super::date_serde")]
    pub issued_on: NaiveDate,
}

/// Record a received payment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivePayment {
    /// New id.
    pub payment_id: PaymentId,
    /// Payer.
    pub customer_id: CustomerId,
    /// Amount (> 0).
    #[serde(with = "crate::money::decimal_bytes")]
    pub amount: Decimal,
    /// ISO 4217 code.
    pub currency: String,
    /// Business date.
    #[serde(with = "super::date_serde")]
    pub received_on: NaiveDate,
    /// How.
    pub method: PaymentMethod,
    /// Bank reference.
    pub bank_reference: Option<String>,
    /// Apply to open installments, oldest due first.
    pub auto_allocate: bool,
}

/// Apply part of a payment to an invoice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllocatePayment {
    /// The payment.
    pub payment_id: PaymentId,
    /// The invoice.
    pub invoice_id: InvoiceId,
    /// Amount (> 0).
    #[serde(with = "crate::money::decimal_bytes")]
    pub amount: Decimal,
    /// Installment, if named.
    pub installment_no: Option<u32>,
}

/// Undo a payment and its allocations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReversePayment {
    /// The payment.
    pub payment_id: PaymentId,
    /// Why.
    pub reason: String,
    /// Business date.
    #[serde(with = "super::date_serde")]
    pub reversed_on: NaiveDate,
}

/// Write off part of an invoice (finance manager).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteOffInvoice {
    /// The invoice.
    pub invoice_id: InvoiceId,
    /// Amount (> 0, <= open).
    #[serde(with = "crate::money::decimal_bytes")]
    pub amount: Decimal,
    /// Why.
    pub reason: String,
    /// Business date.
    #[serde(with = "super::date_serde")]
    pub written_off_on: NaiveDate,
}

/// Record money recovered on a written-off invoice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoverWriteOff {
    /// The invoice.
    pub invoice_id: InvoiceId,
    /// Amount (> 0, <= written off and not yet recovered).
    #[serde(with = "crate::money::decimal_bytes")]
    pub amount: Decimal,
    /// Business date.
    #[serde(with = "super::date_serde")]
    pub recovered_on: NaiveDate,
}

/// Open a dispute on an invoice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenDispute {
    /// The invoice.
    pub invoice_id: InvoiceId,
    /// Amount (> 0, <= open).
    #[serde(with = "crate::money::decimal_bytes")]
    pub amount: Decimal,
    /// Why.
    pub reason: String,
    /// Business date.
    #[serde(with = "super::date_serde")]
    pub opened_on: NaiveDate,
}

/// Resolve the open dispute of an invoice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolveDispute {
    /// The invoice.
    pub invoice_id: InvoiceId,
    /// Outcome.
    pub outcome: String,
    /// Business date.
    #[serde(with = "super::date_serde")]
    pub resolved_on: NaiveDate,
}

/// Record a collection activity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordCollectionActivity {
    /// The customer.
    pub customer_id: CustomerId,
    /// Invoices discussed (the customer's).
    pub invoice_ids: Vec<InvoiceId>,
    /// Channel.
    pub channel: CollectionChannel,
    /// Outcome.
    pub outcome: String,
    /// Promised pay date.
    #[serde(with = "super::date_serde::option")]
    pub promised_pay_date: Option<NaiveDate>,
    /// Business date.
    #[serde(with = "super::date_serde")]
    pub on: NaiveDate,
}

/// Issue a recall.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueRecall {
    /// New id.
    pub recall_id: RecallId,
    /// Product.
    pub gtin: String,
    /// Lots (non-empty, each released).
    pub lots: Vec<String>,
    /// Serials, when only some units are affected.
    pub serials: Vec<String>,
    /// Class.
    pub class: RiskClass,
    /// Why.
    pub reason: String,
    /// Business date.
    #[serde(with = "super::date_serde")]
    pub issued_on: NaiveDate,
}

/// Record that a customer acknowledged a recall notice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcknowledgeRecall {
    /// The recall.
    pub recall_id: RecallId,
    /// The customer.
    pub customer_id: CustomerId,
    /// Business date.
    #[serde(with = "super::date_serde")]
    pub acknowledged_on: NaiveDate,
}

/// Record units a customer returned under a recall.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordRecallReturn {
    /// The recall.
    pub recall_id: RecallId,
    /// The customer.
    pub customer_id: CustomerId,
    /// Units (> 0).
    pub quantity: i64,
    /// Business date.
    #[serde(with = "super::date_serde")]
    pub returned_on: NaiveDate,
}

macro_rules! commands {
    ($($name:ident => $action:literal : [$($role:ident),*]),* $(,)?) => {
        /// Every command arledger accepts.
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        pub enum Command {
            $(
                #[allow(missing_docs)]
                $name($name),
            )*
        }

        impl Command {
            /// The command's name.
            pub fn name(&self) -> &'static str {
                match self { $(Command::$name(_) => stringify!($name),)* }
            }

            /// What the command does, for refusal messages ("place orders").
            pub fn action(&self) -> &'static str {
                match self { $(Command::$name(_) => $action,)* }
            }

            /// Roles besides admin and finance manager that may run it.
            pub fn roles(&self) -> &'static [Role] {
                match self { $(Command::$name(_) => &[$(Role::$role),*],)* }
            }
        }
    };
}

commands! {
    RegisterCustomer => "register customers": [Finance],
    UpdateCustomer => "update customers": [Finance],
    SetCreditLimit => "set credit limits": [],
    SetPaymentTerms => "set payment terms": [Finance],
    RegisterProduct => "register products": [Quality],
    ReleaseLot => "release lots": [Quality, Warehouse],
    PlaceOrder => "place orders": [Sales],
    ReleaseOrder => "release held orders": [],
    RejectOrder => "reject held orders": [],
    CancelOrder => "cancel orders": [Sales],
    ShipOrder => "ship orders": [Warehouse],
    AcceptDelivery => "record delivery acceptance": [Warehouse],
    IssueInvoice => "issue invoices": [Finance],
    IssueCreditNote => "issue credit notes": [Finance],
    ReceivePayment => "record payments": [Finance],
    AllocatePayment => "allocate payments": [Finance],
    ReversePayment => "reverse payments": [Finance],
    WriteOffInvoice => "write off invoices": [],
    RecoverWriteOff => "record write-off recoveries": [Finance],
    OpenDispute => "open disputes": [Finance],
    ResolveDispute => "resolve disputes": [Finance],
    RecordCollectionActivity => "record collection activity": [Finance, Sales],
    IssueRecall => "issue recalls": [Quality],
    AcknowledgeRecall => "record recall acknowledgements": [Quality],
    RecordRecallReturn => "record recall returns": [Quality, Warehouse],
}

impl Command {
    /// The business dates the command carries, with their field names (every
    /// command's dates go through one range check in `decide`).
    pub fn business_dates(&self) -> [Option<(&'static str, NaiveDate)>; 2] {
        use Command as C;
        match self {
            C::ReleaseLot(c) => [
                Some(("manufactured_on", c.manufactured_on)),
                Some(("expires_on", c.expires_on)),
            ],
            C::PlaceOrder(c) => [Some(("placed_on", c.placed_on)), None],
            C::ShipOrder(c) => [Some(("shipped_on", c.shipped_on)), None],
            C::AcceptDelivery(c) => [Some(("accepted_on", c.accepted_on)), None],
            C::IssueInvoice(c) => [Some(("invoice_date", c.invoice_date)), None],
            C::IssueCreditNote(c) => [Some(("issued_on", c.issued_on)), None],
            C::ReceivePayment(c) => [Some(("received_on", c.received_on)), None],
            C::ReversePayment(c) => [Some(("reversed_on", c.reversed_on)), None],
            C::WriteOffInvoice(c) => [Some(("written_off_on", c.written_off_on)), None],
            C::RecoverWriteOff(c) => [Some(("recovered_on", c.recovered_on)), None],
            C::OpenDispute(c) => [Some(("opened_on", c.opened_on)), None],
            C::ResolveDispute(c) => [Some(("resolved_on", c.resolved_on)), None],
            C::RecordCollectionActivity(c) => [
                Some(("on", c.on)),
                c.promised_pay_date.map(|d| ("promised_pay_date", d)),
            ],
            C::IssueRecall(c) => [Some(("issued_on", c.issued_on)), None],
            C::AcknowledgeRecall(c) => [Some(("acknowledged_on", c.acknowledged_on)), None],
            C::RecordRecallReturn(c) => [Some(("returned_on", c.returned_on)), None],
            C::RegisterCustomer(_)
            | C::UpdateCustomer(_)
            | C::SetCreditLimit(_)
            | C::SetPaymentTerms(_)
            | C::RegisterProduct(_)
            | C::ReleaseOrder(_)
            | C::RejectOrder(_)
            | C::CancelOrder(_)
            | C::AllocatePayment(_) => [None, None],
        }
    }

    /// Whether `role` may run this command (domain.md 7): admin and finance
    /// manager may run every command; auditor and regulator none.
    pub fn permits(&self, role: Role) -> bool {
        matches!(role, Role::Admin | Role::FinanceManager) || self.roles().contains(&role)
    }

    /// The refusal for a `role` that may not run this command.
    pub fn forbidden_for(&self, role: Role) -> CommandError {
        let mut needed = vec!["admin", "finance_manager"];
        needed.extend(self.roles().iter().map(|r| r.name()));
        CommandError::Forbidden {
            role,
            action: self.action(),
            needed: needed.join(", "),
        }
    }
}
