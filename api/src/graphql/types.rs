//! The contract's output types, built from the core's and the read
//! models' own (GraphQL types are kept apart from domain types).

use arledger_core::log::codec::StoredEvent;
use arledger_projections::receivables as rv;
use async_graphql::SimpleObject;
use uuid::Uuid;

use super::enums::{AgingBasis, OrderStatus};
use super::errors::ApiError;
use super::scalars::{Date, DateTime, Dec, Position};

/// The head of the log.
#[derive(SimpleObject, Clone, Debug)]
pub struct LedgerHead {
    /// Its last position.
    pub position: Position,
    /// hash(position), hex.
    pub hash: String,
    /// When it was recorded.
    pub recorded_at: Option<DateTime>,
}

/// What a command did.
#[derive(SimpleObject, Clone, Debug)]
pub struct CommandResult {
    /// The position of its last event: a query at or after it sees it.
    pub position: Position,
    /// Its events.
    pub event_ids: Vec<Uuid>,
    /// True when this command id was accepted before (nothing appended).
    pub duplicate: bool,
}

/// What placing an order did.
#[derive(SimpleObject, Clone, Debug)]
pub struct OrderResult {
    /// The position of its last event.
    pub position: Position,
    /// Its events.
    pub event_ids: Vec<Uuid>,
    /// True when this command id was accepted before.
    pub duplicate: bool,
    /// OPEN, or HELD by the credit check.
    pub status: OrderStatus,
    /// Why it was held, when it was.
    pub hold_reason: Option<String>,
}

/// An aging bucket: inclusive day bounds, open-ended where null.
#[derive(SimpleObject, Clone, Debug)]
pub struct AgingBucket {
    /// "not due", "1-30", "121+".
    pub label: String,
    /// First day.
    pub from_days: Option<i32>,
    /// Last day.
    pub to_days: Option<i32>,
}

/// One group's receivables in one currency.
#[derive(SimpleObject, Clone, Debug)]
pub struct AgingRow {
    /// Customer id, region, salesperson id or currency.
    pub key: String,
    /// The customer's name, grouped by customer.
    pub name: Option<String>,
    /// Currency.
    pub currency: String,
    /// One per bucket.
    pub amounts: Vec<Dec>,
    /// Gross open.
    pub total: Dec,
    /// Payments on account.
    pub unallocated: Dec,
    /// Disputed (also in the buckets).
    pub disputed: Dec,
    /// total - unallocated.
    pub net: Dec,
}

/// The rows of one currency, summed.
#[derive(SimpleObject, Clone, Debug)]
pub struct AgingTotal {
    /// Currency.
    pub currency: String,
    /// Per bucket.
    pub amounts: Vec<Dec>,
    /// Gross open.
    pub total: Dec,
    /// Payments on account.
    pub unallocated: Dec,
    /// Disputed.
    pub disputed: Dec,
    /// total - unallocated.
    pub net: Dec,
}

/// An aging report at (asOfDate, knownAtPosition).
#[derive(SimpleObject, Clone, Debug)]
pub struct AgingReport {
    /// D.
    pub as_of_date: Date,
    /// p.
    pub known_at_position: Position,
    /// hash(p), hex: ties the report to the log (added to the contract).
    pub known_at_hash: String,
    /// What the days count from.
    pub basis: AgingBasis,
    /// In order.
    pub buckets: Vec<AgingBucket>,
    /// One per group and currency.
    pub rows: Vec<AgingRow>,
    /// One per currency.
    pub totals: Vec<AgingTotal>,
}

fn days(n: Option<i64>) -> Option<i32> {
    n.and_then(|n| i32::try_from(n).ok())
}

fn decs(amounts: &[rust_decimal::Decimal]) -> Vec<Dec> {
    amounts.iter().copied().map(Dec).collect()
}

impl AgingReport {
    /// The report as the contract shapes it, with hash(p).
    pub fn from_report(report: rv::AgingReport, hash: String) -> AgingReport {
        AgingReport {
            as_of_date: Date(report.as_of_date),
            known_at_position: Position(report.known_at_position),
            known_at_hash: hash,
            basis: match report.basis {
                rv::AgingBasis::DueDate => AgingBasis::DueDate,
                rv::AgingBasis::InvoiceDate => AgingBasis::InvoiceDate,
            },
            buckets: (report.buckets.into_iter())
                .map(|b| AgingBucket {
                    label: b.label,
                    from_days: days(b.from_days),
                    to_days: days(b.to_days),
                })
                .collect(),
            rows: (report.rows.into_iter())
                .map(|r| AgingRow {
                    key: r.key,
                    name: r.name,
                    currency: r.currency.to_string(),
                    amounts: decs(&r.amounts),
                    total: Dec(r.total),
                    unallocated: Dec(r.unallocated),
                    disputed: Dec(r.disputed),
                    net: Dec(r.net),
                })
                .collect(),
            totals: (report.totals.into_iter())
                .map(|t| AgingTotal {
                    currency: t.currency.to_string(),
                    amounts: decs(&t.amounts),
                    total: Dec(t.total),
                    unallocated: Dec(t.unallocated),
                    disputed: Dec(t.disputed),
                    net: Dec(t.net),
                })
                .collect(),
        }
    }
}

/// One open receivable item (added to the contract: the drill-down).
#[derive(SimpleObject, Clone, Debug)]
pub struct ReceivableItem {
    /// Its invoice.
    pub invoice_id: Uuid,
    /// The invoice's number.
    pub invoice_number: String,
    /// The customer.
    pub customer_id: Uuid,
    /// Currency.
    pub currency: String,
    /// The installment.
    pub installment_no: i32,
    /// Invoice date.
    pub invoice_date: Date,
    /// Due date; null while awaiting acceptance.
    pub due_date: Option<Date>,
    /// Days overdue (or of age, by invoice date).
    pub days: Option<i32>,
    /// Index of its bucket.
    pub bucket: i32,
    /// Installment amount.
    pub amount: Dec,
    /// Open at (D, p).
    pub open: Dec,
    /// Under an open dispute.
    pub disputed: bool,
}

impl From<rv::ReceivableItem> for ReceivableItem {
    fn from(i: rv::ReceivableItem) -> ReceivableItem {
        ReceivableItem {
            invoice_id: i.invoice_id.0,
            invoice_number: i.invoice_number,
            customer_id: i.customer_id.0,
            currency: i.currency.to_string(),
            installment_no: i32::try_from(i.installment_no).unwrap_or(i32::MAX),
            invoice_date: Date(i.invoice_date),
            due_date: i.due_date.map(Date),
            days: days(i.days),
            bucket: i32::try_from(i.bucket).unwrap_or(i32::MAX),
            amount: Dec(i.amount),
            open: Dec(i.open),
            disputed: i.disputed,
        }
    }
}

/// One event of the log, with what an auditor needs to check it.
#[derive(SimpleObject, Clone, Debug)]
pub struct Event {
    /// Position.
    pub position: Position,
    /// Stream.
    pub stream_id: Uuid,
    /// Version in its stream.
    pub stream_version: i32,
    /// Type name.
    pub event_type: String,
    /// When it was recorded.
    pub recorded_at: DateTime,
    /// Who: "user (role)".
    pub actor: String,
    /// The command that produced it.
    pub command_id: Option<Uuid>,
    /// Its payload as readable JSON (decimals as strings, dates, ids).
    pub payload: String,
    /// hash(position), hex.
    pub hash: String,
    /// hash(position - 1), hex.
    pub prev_hash: String,
    /// Its canonical bytes, hex (added: SHA-256 of them is its content hash).
    pub canonical: String,
}

impl Event {
    /// The API's form of a stored event whose predecessor's hash is `prev`.
    pub fn from_stored(e: &StoredEvent, prev: &[u8; 32]) -> Result<Event, ApiError> {
        let payload =
            arledger_replay::readable::payload(e.event_type, e.schema_version, &e.payload)
                .map_err(|err| ApiError::unavailable(&err))?;
        Ok(Event {
            position: Position(e.position),
            stream_id: e.stream_id.0,
            stream_version: i32::try_from(e.stream_version).unwrap_or(i32::MAX),
            event_type: e.event_type.to_string(),
            recorded_at: DateTime(e.recorded_at),
            actor: format!("{} ({})", e.actor.user_id, e.actor.role),
            command_id: Some(e.command_id.0),
            payload: payload.to_string(),
            hash: hex::encode(e.hash),
            prev_hash: hex::encode(prev),
            canonical: hex::encode(e.canonical_bytes()),
        })
    }
}

/// A page of events.
#[derive(SimpleObject, Clone, Debug)]
pub struct EventConnection {
    /// The events.
    pub nodes: Vec<Event>,
    /// The last position on the page.
    pub end_cursor: Option<String>,
    /// Whether more follow.
    pub has_next_page: bool,
}

/// What a chain check found.
#[derive(SimpleObject, Clone, Debug)]
pub struct ChainVerification {
    /// Everything asked for holds.
    pub ok: bool,
    /// Events found good.
    pub checked: i64,
    /// The first bad position.
    pub first_bad_position: Option<Position>,
    /// Why it is bad (added to the contract).
    pub reason: Option<String>,
}
