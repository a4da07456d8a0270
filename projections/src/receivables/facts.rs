//! The facts the receivables projection keeps and stores (read-models.md
//! "Time travel"): what an event changes about receivable items, with its
//! business date; its log position is the position of its stored entry.
//!
//! Entries are append-only. Key: a tag byte, the event's position as 8
//! bytes big-endian and a u16 sequence within the event, so that key order
//! is log order (the tag keeps keys off the zero first byte the engine
//! reserves: a big-endian position starts with zeros). Value: the fact in
//! bincode with variable-length integers; customers, shipments, invoices
//! and payments are named by their index (the order their facts were
//! added), amounts as mantissa and scale, dates as day numbers.

use arledger_core::domain::date_serde;
use arledger_core::domain::terms::InstallmentTerms;
use arledger_core::ids::{CustomerId, InvoiceId, PaymentId, RecallId, ShipmentId};
use arledger_core::money::Currency;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub(super) use crate::stored::{compact_decimal, decode, encode};

/// The first byte of every fact's key.
pub(super) const FACT_TAG: u8 = b'f';

/// One fact about receivables.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) enum Fact {
    /// A customer was registered.
    Customer(CustomerFact),
    /// A customer's name, region or salesperson changed.
    CustomerChanged(CustomerChange),
    /// Goods shipped: a ship date that acceptance-based due dates count from.
    Shipped(ShippedFact),
    /// A delivery was accepted.
    Accepted(AcceptedFact),
    /// An invoice was issued: its installments.
    Invoiced(InvoiceFact),
    /// Every shipment an invoice bills was accepted: the due dates of its
    /// installments that awaited acceptance.
    DueDatesKnown(DueDatesFact),
    /// A payment was received.
    Paid(PaymentFact),
    /// An allocation, credit note or write-off reduced an invoice.
    Reduced(ReductionFact),
    /// A payment was reversed.
    Reversed(ReversalFact),
    /// A dispute was opened on an invoice.
    DisputeOpened(DisputeFact),
    /// The open dispute of an invoice was resolved.
    DisputeResolved(ResolutionFact),
    /// A recall disputed recalled goods on an invoice, or a credit note
    /// for the recall or the return settled some of that.
    RecallDispute(RecallDisputeFact),
}

/// A customer and the master data the report groups by.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct CustomerFact {
    pub id: CustomerId,
    pub name: String,
    pub region: String,
    pub salesperson: String,
}

/// New master data of customer number `customer`; `None` is unchanged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct CustomerChange {
    pub customer: u32,
    pub name: Option<String>,
    pub region: Option<String>,
    pub salesperson: Option<String>,
}

/// A shipment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct ShippedFact {
    pub id: ShipmentId,
    #[serde(with = "date_serde")]
    pub shipped_on: NaiveDate,
}

/// Shipment number `shipment` was accepted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct AcceptedFact {
    pub shipment: u32,
    #[serde(with = "date_serde")]
    pub accepted_on: NaiveDate,
}

/// An invoice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct InvoiceFact {
    pub id: InvoiceId,
    pub number: String,
    pub customer: u32,
    pub currency: Currency,
    #[serde(with = "date_serde")]
    pub invoice_date: NaiveDate,
    pub installments: Vec<InstallmentFact>,
    /// The shipments it bills, when an installment awaits their acceptance
    /// (empty otherwise: nothing else needs them).
    pub shipments: Vec<u32>,
}

/// One installment of an invoice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct InstallmentFact {
    pub no: u32,
    #[serde(with = "compact_decimal")]
    pub amount: Decimal,
    #[serde(with = "date_serde::option")]
    pub due_on: Option<NaiveDate>,
    /// Its terms, while its due date awaits acceptance.
    pub awaiting: Option<InstallmentTerms>,
}

/// Due dates of invoice number `invoice` known from the acceptances:
/// `accepted_on` is the latest of them, the business date they are known on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct DueDatesFact {
    pub invoice: u32,
    #[serde(with = "date_serde")]
    pub accepted_on: NaiveDate,
    pub dues: Vec<DueFact>,
}

/// The due date of installment `no`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct DueFact {
    pub no: u32,
    #[serde(with = "date_serde")]
    pub due_on: NaiveDate,
}

/// A payment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct PaymentFact {
    pub id: PaymentId,
    pub customer: u32,
    pub currency: Currency,
    #[serde(with = "compact_decimal")]
    pub amount: Decimal,
    #[serde(with = "date_serde")]
    pub received_on: NaiveDate,
}

/// What reduced an invoice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum Reducer {
    /// An allocation of payment number n.
    Payment(u32),
    /// A credit note.
    CreditNote,
    /// A write-off.
    WriteOff,
}

/// A reduction of invoice number `invoice`, effective on `on`: an
/// allocation on the later of its payment's and its invoice's dates, a
/// credit note on its issue date, a write-off on its date.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct ReductionFact {
    pub invoice: u32,
    pub by: Reducer,
    /// The installment named, if any.
    pub installment: Option<u32>,
    #[serde(with = "compact_decimal")]
    pub amount: Decimal,
    #[serde(with = "date_serde")]
    pub on: NaiveDate,
}

/// Payment number `payment` was reversed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct ReversalFact {
    pub payment: u32,
    #[serde(with = "date_serde")]
    pub reversed_on: NaiveDate,
}

/// A dispute over `amount` of invoice number `invoice`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct DisputeFact {
    pub invoice: u32,
    #[serde(with = "compact_decimal")]
    pub amount: Decimal,
    #[serde(with = "date_serde")]
    pub opened_on: NaiveDate,
}

/// What recall `recall` disputes on invoice number `invoice`: it opened a
/// dispute of `amount`, or a return or a credit note settled `amount` of
/// it (a return and a credit note for the same goods settle them once:
/// the larger counts).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct RecallDisputeFact {
    pub invoice: u32,
    pub recall: RecallId,
    pub kind: RecallChangeKind,
    #[serde(with = "compact_decimal")]
    pub amount: Decimal,
    #[serde(with = "date_serde")]
    pub on: NaiveDate,
}

/// How a recall's dispute changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum RecallChangeKind {
    /// The recall (or an invoice billing its goods) opened it.
    Opened,
    /// A return settled some.
    Returned,
    /// A credit note for the recall or the return settled some.
    Credited,
}

/// The open dispute of invoice number `invoice` was resolved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct ResolutionFact {
    pub invoice: u32,
    #[serde(with = "date_serde")]
    pub resolved_on: NaiveDate,
}
