//! Events: past-tense business facts, each with a type name and a schema
//! version. The stored payload of an event is the bincode encoding of its
//! struct at the current schema version; older versions are upcast on read
//! (`Event::decode`), never rewritten.

use bincode::Options;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::terms::{Installment, PaymentTerms};
use super::types::{
    CollectionChannel, CreditReason, CustomerKind, Gtin, HoldReason, PaymentMethod, RiskClass,
    RiskGrade,
};
use crate::ids::{
    CreditNoteId, CustomerId, InvoiceId, OrderId, PaymentId, RecallId, ShipmentId, StreamId,
};
use crate::money::{Currency, Money};

pub mod old;

/// A customer was registered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRegistered {
    /// The customer.
    pub customer_id: CustomerId,
    /// Legal name.
    pub name: String,
    /// Kind.
    pub kind: CustomerKind,
    /// Sales region.
    pub region: String,
    /// Responsible salesperson.
    pub salesperson_id: String,
    /// Tax id.
    pub tax_id: Option<String>,
}

/// Master data of a customer changed; `None` fields are unchanged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerUpdated {
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

/// A credit limit and grade were set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditLimitSet {
    /// The customer.
    pub customer_id: CustomerId,
    /// The limit; its currency is the customer's credit currency.
    pub limit: Money,
    /// Risk grade.
    pub grade: RiskGrade,
    /// Why.
    pub reason: String,
    /// Who approved it.
    pub approved_by: String,
}

/// Default payment terms of a customer were set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentTermsSet {
    /// The customer.
    pub customer_id: CustomerId,
    /// Contract the terms belong to, if any.
    pub contract_id: Option<String>,
    /// The terms.
    pub terms: PaymentTerms,
}

/// A product (UDI-DI) was registered. Schema version 2 added the GS1
/// company prefix length; version 1 records are upcast with the default 7.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductRegistered {
    /// GTIN-14.
    pub gtin: Gtin,
    /// Name.
    pub name: String,
    /// Model.
    pub model: Option<String>,
    /// Risk class.
    pub risk_class: RiskClass,
    /// Registration certificate number.
    pub registration_no: Option<String>,
    /// Length of the GS1 company prefix inside the GTIN (6..=12).
    pub company_prefix_len: u8,
}

/// A production lot was released for sale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotReleased {
    /// Product.
    pub gtin: Gtin,
    /// Lot number.
    pub lot: String,
    /// Manufacture date.
    #[serde(with = "super::date_serde")]
    pub manufactured_on: NaiveDate,
    /// Expiry date (usable through this date).
    #[serde(with = "super::date_serde")]
    pub expires_on: NaiveDate,
    /// Units released.
    pub quantity: u64,
}

/// One line of an order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    /// Line number, unique within the order.
    pub line_no: u32,
    /// Product.
    pub gtin: Gtin,
    /// Units ordered.
    pub quantity: u64,
    /// Price per unit in the order's currency.
    #[serde(with = "crate::money::decimal_bytes")]
    pub unit_price: Decimal,
}

/// An order was placed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderPlaced {
    /// The order.
    pub order_id: OrderId,
    /// Human order number.
    pub number: String,
    /// The customer.
    pub customer_id: CustomerId,
    /// Currency of all lines.
    pub currency: Currency,
    /// Business date.
    #[serde(with = "super::date_serde")]
    pub placed_on: NaiveDate,
    /// Lines.
    pub lines: Vec<OrderLine>,
}

/// The credit check held an order at placement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderHeld {
    /// The order.
    pub order_id: OrderId,
    /// Every reason that applied.
    pub reasons: Vec<HoldReason>,
    /// Exposure after the order, at the time.
    pub exposure: Money,
    /// The credit limit at the time (zero when none was set).
    pub limit: Money,
}

/// A held order was released by a finance manager.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderReleased {
    /// The order.
    pub order_id: OrderId,
    /// Who released it.
    pub by: String,
    /// Note.
    pub note: Option<String>,
}

/// A held order was rejected by a finance manager.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRejected {
    /// The order.
    pub order_id: OrderId,
    /// Who rejected it.
    pub by: String,
    /// Note.
    pub note: Option<String>,
}

/// The unshipped remainder of an order was cancelled.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCancelled {
    /// The order.
    pub order_id: OrderId,
    /// Why.
    pub reason: String,
}

/// One line of a shipment: what physically left, with its identity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentLine {
    /// The order line shipped against.
    pub line_no: u32,
    /// Product.
    pub gtin: Gtin,
    /// Lot.
    pub lot: String,
    /// The lot's expiry.
    #[serde(with = "super::date_serde")]
    pub expires_on: NaiveDate,
    /// Serial numbers, for serialised devices.
    pub serials: Vec<String>,
    /// Units.
    pub quantity: u64,
    /// Raw UDI strings scanned at packing.
    pub udis: Vec<String>,
}

/// Goods of an order were shipped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderShipped {
    /// The shipment.
    pub shipment_id: ShipmentId,
    /// The order.
    pub order_id: OrderId,
    /// Business date.
    #[serde(with = "super::date_serde")]
    pub shipped_on: NaiveDate,
    /// Ship-to address or site.
    pub ship_to: String,
    /// Lines.
    pub lines: Vec<ShipmentLine>,
}

/// The customer accepted a delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryAccepted {
    /// The shipment.
    pub shipment_id: ShipmentId,
    /// Its order (the stream this event lives in).
    pub order_id: OrderId,
    /// Business date.
    #[serde(with = "super::date_serde")]
    pub accepted_on: NaiveDate,
    /// Who accepted at the customer.
    pub accepted_by: String,
}

/// The shipment line an invoice line bills.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ShipmentLineRef {
    /// The shipment.
    pub shipment_id: ShipmentId,
    /// Its line number (the order line number).
    pub line_no: u32,
}

/// One invoice line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLine {
    /// The shipment line billed; `None` for services and training.
    pub shipment_line: Option<ShipmentLineRef>,
    /// Units billed of that shipment line.
    pub quantity: u64,
    /// Text.
    pub description: String,
    /// Net amount.
    #[serde(with = "crate::money::decimal_bytes")]
    pub amount: Decimal,
    /// Tax on it.
    #[serde(with = "crate::money::decimal_bytes")]
    pub tax: Decimal,
}

/// An invoice was issued.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceIssued {
    /// The invoice.
    pub invoice_id: InvoiceId,
    /// Human invoice (fapiao) number.
    pub number: String,
    /// The customer.
    pub customer_id: CustomerId,
    /// Business date.
    #[serde(with = "super::date_serde")]
    pub invoice_date: NaiveDate,
    /// Currency.
    pub currency: Currency,
    /// Lines.
    pub lines: Vec<InvoiceLine>,
    /// Terms.
    pub terms: PaymentTerms,
    /// Installment schedule derived from the terms (due dates known at issue).
    pub installments: Vec<Installment>,
}

/// A credit note reduced an invoice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditNoteIssued {
    /// The credit note.
    pub credit_note_id: CreditNoteId,
    /// The invoice.
    pub invoice_id: InvoiceId,
    /// Amount.
    pub amount: Money,
    /// Why.
    pub reason: CreditReason,
    /// Business date.
    #[serde(with = "super::date_serde")]
    pub issued_on: NaiveDate,
}

/// Money arrived from a customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentReceived {
    /// The payment.
    pub payment_id: PaymentId,
    /// The payer.
    pub customer_id: CustomerId,
    /// Amount.
    pub amount: Money,
    /// Business date.
    #[serde(with = "super::date_serde")]
    pub received_on: NaiveDate,
    /// How.
    pub method: PaymentMethod,
    /// Bank reference.
    pub bank_reference: Option<String>,
}

/// Part of a payment was applied to an invoice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentAllocated {
    /// The payment.
    pub payment_id: PaymentId,
    /// The invoice.
    pub invoice_id: InvoiceId,
    /// The installment named, if any (else oldest due first).
    pub installment_no: Option<u32>,
    /// Amount.
    pub amount: Money,
}

/// A payment (and all its allocations) was undone, e.g. a bounced transfer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentReversed {
    /// The payment.
    pub payment_id: PaymentId,
    /// Why.
    pub reason: String,
    /// Business date.
    #[serde(with = "super::date_serde")]
    pub reversed_on: NaiveDate,
}

/// Part of an invoice was written off as uncollectible.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceWrittenOff {
    /// The invoice.
    pub invoice_id: InvoiceId,
    /// Amount.
    pub amount: Money,
    /// Why.
    pub reason: String,
    /// Approving finance manager.
    pub approved_by: String,
    /// Business date.
    #[serde(with = "super::date_serde")]
    pub written_off_on: NaiveDate,
}

/// Money was recovered on a written-off invoice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteOffRecovered {
    /// The invoice.
    pub invoice_id: InvoiceId,
    /// Amount.
    pub amount: Money,
    /// Business date.
    #[serde(with = "super::date_serde")]
    pub recovered_on: NaiveDate,
}

/// The customer disputed part of an invoice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeOpened {
    /// The invoice.
    pub invoice_id: InvoiceId,
    /// Disputed amount.
    pub amount: Money,
    /// Why.
    pub reason: String,
    /// Business date.
    #[serde(with = "super::date_serde")]
    pub opened_on: NaiveDate,
    /// The recall whose goods the invoice bills, when the dispute is a
    /// recall's (opened with an invoice issued after the recall); `None`
    /// for a dispute a person opened.
    pub recall_id: Option<RecallId>,
}

/// A dispute was settled.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeResolved {
    /// The invoice.
    pub invoice_id: InvoiceId,
    /// Outcome.
    pub outcome: String,
    /// Business date.
    #[serde(with = "super::date_serde")]
    pub resolved_on: NaiveDate,
}

/// Someone chased a customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectionActivityRecorded {
    /// The customer.
    pub customer_id: CustomerId,
    /// Invoices discussed.
    pub invoice_ids: Vec<InvoiceId>,
    /// Channel.
    pub channel: CollectionChannel,
    /// Outcome.
    pub outcome: String,
    /// Date the customer promised to pay.
    #[serde(with = "super::date_serde::option")]
    pub promised_pay_date: Option<NaiveDate>,
    /// Business date.
    #[serde(with = "super::date_serde")]
    pub on: NaiveDate,
    /// Who.
    pub by: String,
}

/// Lots of a product were recalled.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecallIssued {
    /// The recall.
    pub recall_id: RecallId,
    /// Product.
    pub gtin: Gtin,
    /// Lots.
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
    /// The disputes the recall opens: on each invoice billing recalled
    /// goods, their invoiced value still open, so that it leaves dunning
    /// (domain.md 4; credit notes for the recall or the return settle it).
    pub disputes: Vec<RecallDispute>,
}

/// A dispute a recall opens on one invoice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecallDispute {
    /// The invoice billing recalled goods.
    pub invoice_id: InvoiceId,
    /// The invoiced value (amount and tax) of the recalled units on it,
    /// at most its open amount when the recall was issued.
    pub amount: Money,
}

/// A customer acknowledged a recall notice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecallNoticeAcknowledged {
    /// The recall.
    pub recall_id: RecallId,
    /// The customer.
    pub customer_id: CustomerId,
    /// Business date.
    #[serde(with = "super::date_serde")]
    pub acknowledged_on: NaiveDate,
}

/// A customer returned recalled units.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecallUnitsReturned {
    /// The recall.
    pub recall_id: RecallId,
    /// The customer.
    pub customer_id: CustomerId,
    /// Units returned.
    pub quantity: u64,
    /// Business date.
    #[serde(with = "super::date_serde")]
    pub returned_on: NaiveDate,
    /// What the return settles of the recall's disputes on the customer's
    /// invoices: the returned share of the units they dispute (the last
    /// return settles the rest).
    pub settles: Vec<RecallDispute>,
}

macro_rules! events {
    ($($name:ident = $version:literal),* $(,)?) => {
        /// Every business fact arledger records.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum Event {
            $(
                #[allow(missing_docs)]
                $name($name),
            )*
        }

        /// The names of all event types, for documentation and exports.
        pub const EVENT_TYPES: &[&str] = &[$(stringify!($name)),*];

        impl Event {
            /// The event type's name, as stored in the envelope.
            pub fn type_name(&self) -> &'static str {
                match self { $(Event::$name(_) => stringify!($name),)* }
            }

            /// The current schema version of this event type.
            pub fn schema_version(&self) -> u16 {
                match self { $(Event::$name(_) => $version,)* }
            }

            /// The payload in the current schema version (bincode 1.3's
            /// legacy `bincode::serialize` format: fixed-width little-endian
            /// integers, u64-length-prefixed strings and sequences; see
            /// "Payload bytes" in `log::codec`).
            pub fn encode_payload(&self, out: &mut Vec<u8>) -> Result<(), bincode::Error> {
                match self { $(Event::$name(e) => bincode::serialize_into(out, e),)* }
            }

            /// Length of the encoded payload, without encoding it.
            pub fn payload_len(&self) -> usize {
                let len = match self { $(Event::$name(e) => bincode::serialized_size(e),)* };
                // Sizing plain data cannot fail: if it did, encoding would too.
                match len {
                    Ok(len) => crate::counts::to_usize(len),
                    Err(e) => panic!("{} cannot be sized: {e}", self.type_name()),
                }
            }

            /// Decodes a payload stored at the *current* version of `type_name`.
            pub(crate) fn decode_current(type_name: &str, bytes: &[u8]) -> Option<Result<Event, bincode::Error>> {
                match type_name {
                    $(stringify!($name) => Some(payload_options().deserialize(bytes).map(Event::$name)),)*
                    _ => None,
                }
            }

            /// The current schema version of a type name, if known.
            pub fn current_version_of(type_name: &str) -> Option<u16> {
                match type_name {
                    $(stringify!($name) => Some($version),)*
                    _ => None,
                }
            }
        }
    };
}

events! {
    CustomerRegistered = 1,
    CustomerUpdated = 1,
    CreditLimitSet = 1,
    PaymentTermsSet = 1,
    ProductRegistered = 2,
    LotReleased = 1,
    OrderPlaced = 1,
    OrderHeld = 1,
    OrderReleased = 1,
    OrderRejected = 1,
    OrderCancelled = 1,
    OrderShipped = 1,
    DeliveryAccepted = 1,
    InvoiceIssued = 1,
    CreditNoteIssued = 1,
    PaymentReceived = 1,
    PaymentAllocated = 1,
    PaymentReversed = 1,
    InvoiceWrittenOff = 1,
    WriteOffRecovered = 1,
    DisputeOpened = 2,
    DisputeResolved = 1,
    CollectionActivityRecorded = 1,
    RecallIssued = 2,
    RecallNoticeAcknowledged = 1,
    RecallUnitsReturned = 2,
}

/// How payloads are read: the bytes `bincode::serialize` writes (fixed-width
/// little-endian integers), and nothing after them: a payload with trailing
/// bytes is refused rather than read as a shorter one.
fn payload_options() -> impl Options {
    bincode::DefaultOptions::new().with_fixint_encoding()
}

/// GS1 company prefix length assumed for products registered before it was recorded.
pub const COMPANY_PREFIX_LEN_DEFAULT: u8 = 7;

/// Why a stored payload could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    /// The type name is not one arledger knows.
    #[error("unknown event type {0:?}")]
    UnknownType(String),
    /// The version is newer than this build, or one no upcaster handles.
    #[error("event type {type_name} has no reader for schema version {version}")]
    UnknownVersion {
        /// Type name.
        type_name: String,
        /// Stored version.
        version: u16,
    },
    /// The bytes do not decode.
    #[error("payload of {type_name} v{version} does not decode: {source}")]
    Decode {
        /// Type name.
        type_name: String,
        /// Stored version.
        version: u16,
        /// Decoder error.
        source: bincode::Error,
    },
}

impl Event {
    /// Decodes a stored payload of any supported version, upcasting old
    /// versions to the current shape.
    pub fn decode(type_name: &str, version: u16, bytes: &[u8]) -> Result<Event, PayloadError> {
        let current = Event::current_version_of(type_name)
            .ok_or_else(|| PayloadError::UnknownType(type_name.to_string()))?;
        let decode_err = |source| PayloadError::Decode {
            type_name: type_name.to_string(),
            version,
            source,
        };
        if version == current {
            return match Event::decode_current(type_name, bytes) {
                Some(result) => result.map_err(decode_err),
                None => Err(PayloadError::UnknownType(type_name.to_string())),
            };
        }
        match (type_name, version) {
            ("ProductRegistered", 1) => {
                old::upcast::<old::ProductRegisteredV1>(bytes).map_err(decode_err)
            }
            ("DisputeOpened", 1) => old::upcast::<old::DisputeOpenedV1>(bytes).map_err(decode_err),
            ("RecallIssued", 1) => old::upcast::<old::RecallIssuedV1>(bytes).map_err(decode_err),
            ("RecallUnitsReturned", 1) => {
                old::upcast::<old::RecallUnitsReturnedV1>(bytes).map_err(decode_err)
            }
            _ => Err(PayloadError::UnknownVersion {
                type_name: type_name.to_string(),
                version,
            }),
        }
    }

    /// The stream (entity) this event belongs to.
    pub fn stream_id(&self) -> StreamId {
        match self {
            Event::CustomerRegistered(e) => e.customer_id.into(),
            Event::CustomerUpdated(e) => e.customer_id.into(),
            Event::CreditLimitSet(e) => e.customer_id.into(),
            Event::PaymentTermsSet(e) => e.customer_id.into(),
            Event::CollectionActivityRecorded(e) => e.customer_id.into(),
            Event::ProductRegistered(e) => StreamId::of_product(&e.gtin),
            Event::LotReleased(e) => StreamId::of_lot(&e.gtin, &e.lot),
            Event::OrderPlaced(e) => e.order_id.into(),
            Event::OrderHeld(e) => e.order_id.into(),
            Event::OrderReleased(e) => e.order_id.into(),
            Event::OrderRejected(e) => e.order_id.into(),
            Event::OrderCancelled(e) => e.order_id.into(),
            Event::OrderShipped(e) => e.order_id.into(),
            Event::DeliveryAccepted(e) => e.order_id.into(),
            Event::InvoiceIssued(e) => e.invoice_id.into(),
            Event::CreditNoteIssued(e) => e.invoice_id.into(),
            Event::InvoiceWrittenOff(e) => e.invoice_id.into(),
            Event::WriteOffRecovered(e) => e.invoice_id.into(),
            Event::DisputeOpened(e) => e.invoice_id.into(),
            Event::DisputeResolved(e) => e.invoice_id.into(),
            Event::PaymentReceived(e) => e.payment_id.into(),
            Event::PaymentAllocated(e) => e.payment_id.into(),
            Event::PaymentReversed(e) => e.payment_id.into(),
            Event::RecallIssued(e) => e.recall_id.into(),
            Event::RecallNoticeAcknowledged(e) => e.recall_id.into(),
            Event::RecallUnitsReturned(e) => e.recall_id.into(),
        }
    }
}
