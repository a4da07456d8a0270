#![allow(missing_docs)] // the fields are the contract's inputs; domain.md gives their meaning
//! The contract's command inputs, and how each becomes a core command.
//! The same types read the lines of `arledger import` (serde, camelCase,
//! with a `command` field naming the mutation), so a command means the
//! same through the API and through an import.

use arledger_core::domain::commands::{self as core, Command};
use arledger_core::domain::terms::{InstallmentTerms, PaymentTerms};
use arledger_core::ids::*;
use async_graphql::InputObject;
use serde::Deserialize;
use uuid::Uuid;

use super::enums::{self, CustomerKind, RecallClass, RiskGrade, TermsBase};
use super::errors::ApiError;
use super::scalars::{Date, Dec};

/// What every command input gives: its id (idempotency) and the command.
pub trait CommandInput {
    /// The command id and the core command.
    fn into_command(self) -> Result<(CommandId, Command), ApiError>;
}

/// A count from the API as the core takes it.
fn count(field: &str, n: i32) -> Result<u32, ApiError> {
    u32::try_from(n).map_err(|_| ApiError::invalid(format!("{field}: {n} must not be negative")))
}

/// Register a customer.
#[derive(InputObject, Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct RegisterCustomerInput {
    pub command_id: Uuid,
    pub customer_id: Uuid,
    pub name: String,
    pub kind: CustomerKind,
    pub region: String,
    pub salesperson_id: String,
    pub tax_id: Option<String>,
}

impl CommandInput for RegisterCustomerInput {
    fn into_command(self) -> Result<(CommandId, Command), ApiError> {
        Ok((
            CommandId(self.command_id),
            Command::RegisterCustomer(core::RegisterCustomer {
                customer_id: CustomerId(self.customer_id),
                name: self.name,
                kind: self.kind.into(),
                region: self.region,
                salesperson_id: self.salesperson_id,
                tax_id: self.tax_id,
            }),
        ))
    }
}

/// Set a customer's credit limit and grade.
#[derive(InputObject, Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct SetCreditLimitInput {
    pub command_id: Uuid,
    pub customer_id: Uuid,
    pub limit: Dec,
    pub currency: String,
    pub grade: RiskGrade,
    pub reason: Option<String>,
}

impl CommandInput for SetCreditLimitInput {
    fn into_command(self) -> Result<(CommandId, Command), ApiError> {
        Ok((
            CommandId(self.command_id),
            Command::SetCreditLimit(core::SetCreditLimit {
                customer_id: CustomerId(self.customer_id),
                limit: self.limit.0,
                currency: self.currency,
                grade: self.grade.into(),
                reason: self.reason.unwrap_or_default(),
            }),
        ))
    }
}

/// Register a product (UDI-DI).
#[derive(InputObject, Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct RegisterProductInput {
    pub command_id: Uuid,
    pub gtin: String,
    pub name: String,
    pub model: Option<String>,
    pub risk_class: RecallClass,
    pub registration_no: Option<String>,
}

impl CommandInput for RegisterProductInput {
    fn into_command(self) -> Result<(CommandId, Command), ApiError> {
        Ok((
            CommandId(self.command_id),
            Command::RegisterProduct(core::RegisterProduct {
                gtin: self.gtin,
                name: self.name,
                model: self.model,
                risk_class: self.risk_class.into(),
                registration_no: self.registration_no,
                company_prefix_len: None,
            }),
        ))
    }
}

/// Release a production lot.
#[derive(InputObject, Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseLotInput {
    pub command_id: Uuid,
    pub gtin: String,
    pub lot: String,
    pub manufactured_on: Date,
    pub expires_on: Date,
    pub quantity: i64,
}

impl CommandInput for ReleaseLotInput {
    fn into_command(self) -> Result<(CommandId, Command), ApiError> {
        Ok((
            CommandId(self.command_id),
            Command::ReleaseLot(core::ReleaseLot {
                gtin: self.gtin,
                lot: self.lot,
                manufactured_on: self.manufactured_on.0,
                expires_on: self.expires_on.0,
                quantity: self.quantity,
            }),
        ))
    }
}

/// One order line.
#[derive(InputObject, Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct OrderLineInput {
    pub line_no: i32,
    pub gtin: String,
    pub quantity: i64,
    pub unit_price: Dec,
}

/// Place an order.
#[derive(InputObject, Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct PlaceOrderInput {
    pub command_id: Uuid,
    pub order_id: Uuid,
    pub number: String,
    pub customer_id: Uuid,
    pub currency: String,
    pub placed_on: Date,
    pub lines: Vec<OrderLineInput>,
}

impl CommandInput for PlaceOrderInput {
    fn into_command(self) -> Result<(CommandId, Command), ApiError> {
        let lines = self
            .lines
            .into_iter()
            .map(|l| {
                Ok(core::OrderLineRequest {
                    line_no: count("lineNo", l.line_no)?,
                    gtin: l.gtin,
                    quantity: l.quantity,
                    unit_price: l.unit_price.0,
                })
            })
            .collect::<Result<_, ApiError>>()?;
        Ok((
            CommandId(self.command_id),
            Command::PlaceOrder(core::PlaceOrder {
                order_id: OrderId(self.order_id),
                number: self.number,
                customer_id: CustomerId(self.customer_id),
                currency: self.currency,
                placed_on: self.placed_on.0,
                lines,
            }),
        ))
    }
}

/// One shipment line.
#[derive(InputObject, Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct ShipLineInput {
    pub line_no: i32,
    pub gtin: String,
    pub lot: String,
    pub quantity: i64,
    pub serials: Option<Vec<String>>,
    pub udis: Option<Vec<String>>,
}

/// Ship (part of) an order.
#[derive(InputObject, Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct ShipOrderInput {
    pub command_id: Uuid,
    pub shipment_id: Uuid,
    pub order_id: Uuid,
    pub shipped_on: Date,
    pub lines: Vec<ShipLineInput>,
    /// Where the goods went (added to the contract; default empty).
    pub ship_to: Option<String>,
}

impl CommandInput for ShipOrderInput {
    fn into_command(self) -> Result<(CommandId, Command), ApiError> {
        let lines = self
            .lines
            .into_iter()
            .map(|l| {
                Ok(core::ShipLineRequest {
                    line_no: count("lineNo", l.line_no)?,
                    gtin: l.gtin,
                    lot: l.lot,
                    quantity: l.quantity,
                    serials: l.serials.unwrap_or_default(),
                    udis: l.udis.unwrap_or_default(),
                })
            })
            .collect::<Result<_, ApiError>>()?;
        Ok((
            CommandId(self.command_id),
            Command::ShipOrder(core::ShipOrder {
                shipment_id: ShipmentId(self.shipment_id),
                order_id: OrderId(self.order_id),
                shipped_on: self.shipped_on.0,
                ship_to: self.ship_to.unwrap_or_default(),
                lines,
            }),
        ))
    }
}

/// One installment of payment terms.
#[derive(InputObject, Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct InstallmentInput {
    pub share_percent: Dec,
    pub days: i32,
    pub after: TermsBase,
}

/// Payment terms: installments whose shares sum to 100.
#[derive(InputObject, Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct PaymentTermsInput {
    pub installments: Vec<InstallmentInput>,
}

impl PaymentTermsInput {
    /// The core's terms.
    pub fn terms(self) -> Result<PaymentTerms, ApiError> {
        let installments = self
            .installments
            .into_iter()
            .map(|i| {
                Ok(InstallmentTerms {
                    share_percent: i.share_percent.0,
                    days: count("days", i.days)?,
                    base: i.after.into(),
                })
            })
            .collect::<Result<_, ApiError>>()?;
        Ok(PaymentTerms { installments })
    }
}

/// One invoice line: a shipment line's units, or a service.
#[derive(InputObject, Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceLineInput {
    pub shipment_id: Option<Uuid>,
    pub line_no: Option<i32>,
    pub quantity: Option<i64>,
    pub description: Option<String>,
    pub amount: Dec,
    /// Tax on the line (added to the contract; default 0).
    pub tax: Option<Dec>,
}

/// Issue an invoice.
#[derive(InputObject, Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct IssueInvoiceInput {
    pub command_id: Uuid,
    pub invoice_id: Uuid,
    pub number: String,
    pub customer_id: Uuid,
    pub invoice_date: Date,
    pub currency: String,
    pub terms: PaymentTermsInput,
    pub lines: Vec<InvoiceLineInput>,
    /// The contract whose terms apply (added to the contract).
    pub contract_id: Option<String>,
}

impl CommandInput for IssueInvoiceInput {
    fn into_command(self) -> Result<(CommandId, Command), ApiError> {
        let lines = self
            .lines
            .into_iter()
            .map(|l| {
                Ok(core::InvoiceLineRequest {
                    shipment_id: l.shipment_id.map(ShipmentId),
                    line_no: l.line_no.map(|n| count("lineNo", n)).transpose()?,
                    quantity: l.quantity,
                    description: l.description,
                    amount: l.amount.0,
                    tax: l.tax.map_or(rust_decimal::Decimal::ZERO, |t| t.0),
                })
            })
            .collect::<Result<_, ApiError>>()?;
        Ok((
            CommandId(self.command_id),
            Command::IssueInvoice(core::IssueInvoice {
                invoice_id: InvoiceId(self.invoice_id),
                number: self.number,
                customer_id: CustomerId(self.customer_id),
                invoice_date: self.invoice_date.0,
                currency: self.currency,
                terms: Some(self.terms.terms()?),
                lines,
                contract_id: self.contract_id,
            }),
        ))
    }
}

/// Issue a credit note against an invoice.
#[derive(InputObject, Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct IssueCreditNoteInput {
    pub command_id: Uuid,
    pub credit_note_id: Uuid,
    pub invoice_id: Uuid,
    pub amount: Dec,
    /// RETURN, RECALL, PRICE_ADJUSTMENT, REBATE or OTHER.
    pub reason: String,
    pub issued_on: Date,
}

impl CommandInput for IssueCreditNoteInput {
    fn into_command(self) -> Result<(CommandId, Command), ApiError> {
        Ok((
            CommandId(self.command_id),
            Command::IssueCreditNote(core::IssueCreditNote {
                credit_note_id: CreditNoteId(self.credit_note_id),
                invoice_id: InvoiceId(self.invoice_id),
                amount: self.amount.0,
                reason: enums::credit_reason(&self.reason)?,
                issued_on: self.issued_on.0,
            }),
        ))
    }
}

/// Record a payment received.
#[derive(InputObject, Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct ReceivePaymentInput {
    pub command_id: Uuid,
    pub payment_id: Uuid,
    pub customer_id: Uuid,
    pub amount: Dec,
    pub currency: String,
    pub received_on: Date,
    /// BANK_TRANSFER (default), BANK_ACCEPTANCE_BILL, CASH or OTHER.
    pub method: Option<String>,
    pub bank_reference: Option<String>,
    /// Nullable with a default, as the contract has it.
    #[graphql(default_with = "Some(false)")]
    #[serde(default)]
    pub auto_allocate: Option<bool>,
}

impl CommandInput for ReceivePaymentInput {
    fn into_command(self) -> Result<(CommandId, Command), ApiError> {
        Ok((
            CommandId(self.command_id),
            Command::ReceivePayment(core::ReceivePayment {
                payment_id: PaymentId(self.payment_id),
                customer_id: CustomerId(self.customer_id),
                amount: self.amount.0,
                currency: self.currency,
                received_on: self.received_on.0,
                method: enums::payment_method(self.method.as_deref())?,
                bank_reference: self.bank_reference,
                auto_allocate: self.auto_allocate.unwrap_or(false),
            }),
        ))
    }
}

/// Allocate (part of) a payment to an invoice.
#[derive(InputObject, Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct AllocatePaymentInput {
    pub command_id: Uuid,
    pub payment_id: Uuid,
    pub invoice_id: Uuid,
    pub amount: Dec,
    pub installment_no: Option<i32>,
}

impl CommandInput for AllocatePaymentInput {
    fn into_command(self) -> Result<(CommandId, Command), ApiError> {
        Ok((
            CommandId(self.command_id),
            Command::AllocatePayment(core::AllocatePayment {
                payment_id: PaymentId(self.payment_id),
                invoice_id: InvoiceId(self.invoice_id),
                amount: self.amount.0,
                installment_no: self
                    .installment_no
                    .map(|n| count("installmentNo", n))
                    .transpose()?,
            }),
        ))
    }
}

/// Write (part of) an invoice off.
#[derive(InputObject, Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct WriteOffInput {
    pub command_id: Uuid,
    pub invoice_id: Uuid,
    pub amount: Dec,
    pub reason: String,
    pub written_off_on: Date,
}

impl CommandInput for WriteOffInput {
    fn into_command(self) -> Result<(CommandId, Command), ApiError> {
        Ok((
            CommandId(self.command_id),
            Command::WriteOffInvoice(core::WriteOffInvoice {
                invoice_id: InvoiceId(self.invoice_id),
                amount: self.amount.0,
                reason: self.reason,
                written_off_on: self.written_off_on.0,
            }),
        ))
    }
}

/// Record a collection activity.
#[derive(InputObject, Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct CollectionActivityInput {
    pub command_id: Uuid,
    pub customer_id: Uuid,
    pub invoice_ids: Option<Vec<Uuid>>,
    /// CALL, EMAIL, VISIT or LETTER.
    pub channel: String,
    pub outcome: String,
    pub promised_pay_date: Option<Date>,
    pub on: Date,
}

impl CommandInput for CollectionActivityInput {
    fn into_command(self) -> Result<(CommandId, Command), ApiError> {
        Ok((
            CommandId(self.command_id),
            Command::RecordCollectionActivity(core::RecordCollectionActivity {
                customer_id: CustomerId(self.customer_id),
                invoice_ids: (self.invoice_ids.unwrap_or_default().into_iter())
                    .map(InvoiceId)
                    .collect(),
                channel: enums::channel(&self.channel)?,
                outcome: self.outcome,
                promised_pay_date: self.promised_pay_date.map(|d| d.0),
                on: self.on.0,
            }),
        ))
    }
}

/// Issue a recall of lots of a product.
#[derive(InputObject, Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct IssueRecallInput {
    pub command_id: Uuid,
    pub recall_id: Uuid,
    pub gtin: String,
    pub lots: Vec<String>,
    pub class: RecallClass,
    pub reason: String,
    pub issued_on: Date,
    /// Only these serials of the lots (added to the contract).
    pub serials: Option<Vec<String>>,
}

impl CommandInput for IssueRecallInput {
    fn into_command(self) -> Result<(CommandId, Command), ApiError> {
        Ok((
            CommandId(self.command_id),
            Command::IssueRecall(core::IssueRecall {
                recall_id: RecallId(self.recall_id),
                gtin: self.gtin,
                lots: self.lots,
                serials: self.serials.unwrap_or_default(),
                class: self.class.into(),
                reason: self.reason,
                issued_on: self.issued_on.0,
            }),
        ))
    }
}

/// The mutations whose contract takes plain arguments, as records: the
/// resolvers build them from their arguments, `arledger import` reads them.
macro_rules! args_command {
    ($(#[$doc:meta])* $name:ident { $($field:ident : $ty:ty),* $(,)? } => |$s:ident| $command:expr) => {
        $(#[$doc])*
        #[derive(Deserialize, Clone, Debug)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            /// The command id (idempotency key).
            pub command_id: Uuid,
            $(#[allow(missing_docs)] pub $field: $ty,)*
        }

        impl CommandInput for $name {
            fn into_command(self) -> Result<(CommandId, Command), ApiError> {
                let $s = self;
                Ok((CommandId($s.command_id), $command))
            }
        }
    };
}

args_command! {
    /// Release a held order.
    ReleaseOrderArgs { order_id: Uuid, note: Option<String> }
    => |s| Command::ReleaseOrder(core::ReleaseOrder { order_id: OrderId(s.order_id), note: s.note })
}

args_command! {
    /// Reject a held order.
    RejectOrderArgs { order_id: Uuid, note: Option<String> }
    => |s| Command::RejectOrder(core::RejectOrder { order_id: OrderId(s.order_id), note: s.note })
}

args_command! {
    /// Cancel an order's unshipped rest.
    CancelOrderArgs { order_id: Uuid, reason: String }
    => |s| Command::CancelOrder(core::CancelOrder { order_id: OrderId(s.order_id), reason: s.reason })
}

args_command! {
    /// Record a delivery acceptance.
    AcceptDeliveryArgs { shipment_id: Uuid, accepted_on: Date, accepted_by: Option<String> }
    => |s| Command::AcceptDelivery(core::AcceptDelivery {
        shipment_id: ShipmentId(s.shipment_id),
        accepted_on: s.accepted_on.0,
        accepted_by: s.accepted_by.unwrap_or_else(|| "customer".into()),
    })
}

args_command! {
    /// Reverse a bounced payment.
    ReversePaymentArgs { payment_id: Uuid, reason: String, reversed_on: Date }
    => |s| Command::ReversePayment(core::ReversePayment {
        payment_id: PaymentId(s.payment_id),
        reason: s.reason,
        reversed_on: s.reversed_on.0,
    })
}

args_command! {
    /// Open a dispute over part of an invoice.
    OpenDisputeArgs { invoice_id: Uuid, amount: Dec, reason: String, opened_on: Date }
    => |s| Command::OpenDispute(core::OpenDispute {
        invoice_id: InvoiceId(s.invoice_id),
        amount: s.amount.0,
        reason: s.reason,
        opened_on: s.opened_on.0,
    })
}

args_command! {
    /// Resolve an invoice's open dispute.
    ResolveDisputeArgs { invoice_id: Uuid, outcome: String, resolved_on: Date }
    => |s| Command::ResolveDispute(core::ResolveDispute {
        invoice_id: InvoiceId(s.invoice_id),
        outcome: s.outcome,
        resolved_on: s.resolved_on.0,
    })
}

args_command! {
    /// Record that a customer acknowledged a recall notice.
    AcknowledgeRecallArgs { recall_id: Uuid, customer_id: Uuid, acknowledged_on: Date }
    => |s| Command::AcknowledgeRecall(core::AcknowledgeRecall {
        recall_id: RecallId(s.recall_id),
        customer_id: CustomerId(s.customer_id),
        acknowledged_on: s.acknowledged_on.0,
    })
}

args_command! {
    /// Record recalled units returned by a customer.
    RecordRecallReturnArgs { recall_id: Uuid, customer_id: Uuid, quantity: i64, returned_on: Date }
    => |s| Command::RecordRecallReturn(core::RecordRecallReturn {
        recall_id: RecallId(s.recall_id),
        customer_id: CustomerId(s.customer_id),
        quantity: s.quantity,
        returned_on: s.returned_on.0,
    })
}

args_command! {
    /// Record money recovered on a written-off invoice.
    RecoverWriteOffArgs { invoice_id: Uuid, amount: Dec, recovered_on: Date }
    => |s| Command::RecoverWriteOff(core::RecoverWriteOff {
        invoice_id: InvoiceId(s.invoice_id),
        amount: s.amount.0,
        recovered_on: s.recovered_on.0,
    })
}

/// Change a customer's master data (added to the contract).
#[derive(InputObject, Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct UpdateCustomerInput {
    pub command_id: Uuid,
    pub customer_id: Uuid,
    pub name: Option<String>,
    pub kind: Option<CustomerKind>,
    pub region: Option<String>,
    pub salesperson_id: Option<String>,
    pub tax_id: Option<String>,
}

impl CommandInput for UpdateCustomerInput {
    fn into_command(self) -> Result<(CommandId, Command), ApiError> {
        Ok((
            CommandId(self.command_id),
            Command::UpdateCustomer(core::UpdateCustomer {
                customer_id: CustomerId(self.customer_id),
                name: self.name,
                kind: self.kind.map(Into::into),
                region: self.region,
                salesperson_id: self.salesperson_id,
                tax_id: self.tax_id,
            }),
        ))
    }
}

/// Set a customer's default payment terms, or a contract's (added to the
/// contract).
#[derive(InputObject, Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct SetPaymentTermsInput {
    pub command_id: Uuid,
    pub customer_id: Uuid,
    pub contract_id: Option<String>,
    pub terms: PaymentTermsInput,
}

impl CommandInput for SetPaymentTermsInput {
    fn into_command(self) -> Result<(CommandId, Command), ApiError> {
        Ok((
            CommandId(self.command_id),
            Command::SetPaymentTerms(core::SetPaymentTerms {
                customer_id: CustomerId(self.customer_id),
                contract_id: self.contract_id,
                terms: self.terms.terms()?,
            }),
        ))
    }
}

/// One line of an import file: a mutation's name in `command`, and its
/// input's fields beside it.
#[derive(Deserialize, Clone, Debug)]
#[serde(tag = "command", rename_all = "camelCase")]
pub enum ImportLine {
    RegisterCustomer(RegisterCustomerInput),
    UpdateCustomer(UpdateCustomerInput),
    SetCreditLimit(SetCreditLimitInput),
    SetPaymentTerms(SetPaymentTermsInput),
    RegisterProduct(RegisterProductInput),
    ReleaseLot(ReleaseLotInput),
    PlaceOrder(PlaceOrderInput),
    ReleaseOrder(ReleaseOrderArgs),
    RejectOrder(RejectOrderArgs),
    CancelOrder(CancelOrderArgs),
    ShipOrder(ShipOrderInput),
    AcceptDelivery(AcceptDeliveryArgs),
    IssueInvoice(IssueInvoiceInput),
    IssueCreditNote(IssueCreditNoteInput),
    ReceivePayment(ReceivePaymentInput),
    AllocatePayment(AllocatePaymentInput),
    ReversePayment(ReversePaymentArgs),
    WriteOffInvoice(WriteOffInput),
    RecoverWriteOff(RecoverWriteOffArgs),
    OpenDispute(OpenDisputeArgs),
    ResolveDispute(ResolveDisputeArgs),
    RecordCollectionActivity(CollectionActivityInput),
    IssueRecall(IssueRecallInput),
    AcknowledgeRecall(AcknowledgeRecallArgs),
    RecordRecallReturn(RecordRecallReturnArgs),
}

impl CommandInput for ImportLine {
    fn into_command(self) -> Result<(CommandId, Command), ApiError> {
        match self {
            ImportLine::RegisterCustomer(i) => i.into_command(),
            ImportLine::UpdateCustomer(i) => i.into_command(),
            ImportLine::SetCreditLimit(i) => i.into_command(),
            ImportLine::SetPaymentTerms(i) => i.into_command(),
            ImportLine::RegisterProduct(i) => i.into_command(),
            ImportLine::ReleaseLot(i) => i.into_command(),
            ImportLine::PlaceOrder(i) => i.into_command(),
            ImportLine::ReleaseOrder(i) => i.into_command(),
            ImportLine::RejectOrder(i) => i.into_command(),
            ImportLine::CancelOrder(i) => i.into_command(),
            ImportLine::ShipOrder(i) => i.into_command(),
            ImportLine::AcceptDelivery(i) => i.into_command(),
            ImportLine::IssueInvoice(i) => i.into_command(),
            ImportLine::IssueCreditNote(i) => i.into_command(),
            ImportLine::ReceivePayment(i) => i.into_command(),
            ImportLine::AllocatePayment(i) => i.into_command(),
            ImportLine::ReversePayment(i) => i.into_command(),
            ImportLine::WriteOffInvoice(i) => i.into_command(),
            ImportLine::RecoverWriteOff(i) => i.into_command(),
            ImportLine::OpenDispute(i) => i.into_command(),
            ImportLine::ResolveDispute(i) => i.into_command(),
            ImportLine::RecordCollectionActivity(i) => i.into_command(),
            ImportLine::IssueRecall(i) => i.into_command(),
            ImportLine::AcknowledgeRecall(i) => i.into_command(),
            ImportLine::RecordRecallReturn(i) => i.into_command(),
        }
    }
}
