//! What an aging query answers: the `AgingReport` of the GraphQL contract
//! (read-models.md "Aging") and the receivable items behind a row
//! (read-models.md "Receivable items"). Serialized as the contract names
//! them: camelCase fields, amounts as decimal strings at the currency's
//! scale, dates "YYYY-MM-DD", currencies by code, positions as strings.

use arledger_core::ids::{CustomerId, InvoiceId};
use arledger_core::money::Currency;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

pub(super) use crate::scalars::at_scale;
use crate::scalars::{as_string, currency_code, decimal, decimals};

use super::query::AgingBasis;

/// An aging report at (D, p).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgingReport {
    /// D.
    pub as_of_date: NaiveDate,
    /// p.
    #[serde(serialize_with = "as_string")]
    pub known_at_position: u64,
    /// What the days count from.
    pub basis: AgingBasis,
    /// In order; the first is "not due" on the due-date basis.
    pub buckets: Vec<AgingBucket>,
    /// One per group and currency with anything in it, sorted by key, then
    /// currency code.
    pub rows: Vec<AgingRow>,
    /// One per currency of the rows, sorted by code: the sums of its rows.
    pub totals: Vec<AgingTotal>,
}

/// One bucket: inclusive day bounds, `None` where open-ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgingBucket {
    /// "not due", "1-30", "121+", ...
    pub label: String,
    /// First day in the bucket.
    pub from_days: Option<i64>,
    /// Last day in the bucket.
    pub to_days: Option<i64>,
}

/// One group's receivables in one currency.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgingRow {
    /// Customer id, region, salesperson id or currency code.
    pub key: String,
    /// The customer's name (as known at p) when grouped by customer.
    pub name: Option<String>,
    /// Currency.
    #[serde(serialize_with = "currency_code")]
    pub currency: Currency,
    /// Open amounts, one per bucket.
    #[serde(serialize_with = "decimals")]
    pub amounts: Vec<Decimal>,
    /// Gross open: the sum of `amounts`.
    #[serde(serialize_with = "decimal")]
    pub total: Decimal,
    /// Payments on account (positive here; shown negative in tables).
    #[serde(serialize_with = "decimal")]
    pub unallocated: Decimal,
    /// Disputed, also counted in the buckets.
    #[serde(serialize_with = "decimal")]
    pub disputed: Decimal,
    /// `total - unallocated`.
    #[serde(serialize_with = "decimal")]
    pub net: Decimal,
}

/// The sums of the rows of one currency.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgingTotal {
    /// Currency.
    #[serde(serialize_with = "currency_code")]
    pub currency: Currency,
    /// Per bucket.
    #[serde(serialize_with = "decimals")]
    pub amounts: Vec<Decimal>,
    /// Gross open.
    #[serde(serialize_with = "decimal")]
    pub total: Decimal,
    /// Payments on account.
    #[serde(serialize_with = "decimal")]
    pub unallocated: Decimal,
    /// Disputed.
    #[serde(serialize_with = "decimal")]
    pub disputed: Decimal,
    /// `total - unallocated`.
    #[serde(serialize_with = "decimal")]
    pub net: Decimal,
}

/// One open installment at (D, p).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceivableItem {
    /// Its invoice.
    pub invoice_id: InvoiceId,
    /// The invoice's number.
    pub invoice_number: String,
    /// The customer billed.
    pub customer_id: CustomerId,
    /// Currency.
    #[serde(serialize_with = "currency_code")]
    pub currency: Currency,
    /// Installment number (from 1).
    pub installment_no: u32,
    /// The invoice date.
    pub invoice_date: NaiveDate,
    /// Its due date as known at (D, p); `None` while awaiting acceptance.
    pub due_date: Option<NaiveDate>,
    /// Days overdue (due-date basis; `None` while the due date is unknown)
    /// or age (invoice-date basis) at D.
    pub days: Option<i64>,
    /// Its bucket: an index into the report's buckets.
    pub bucket: usize,
    /// The installment's amount.
    #[serde(serialize_with = "decimal")]
    pub amount: Decimal,
    /// Its open amount at (D, p).
    #[serde(serialize_with = "decimal")]
    pub open: Decimal,
    /// Whether its invoice is under a dispute open at (D, p).
    pub disputed: bool,
}
