//! What an aging query asks (read-models.md "Aging", "Time travel"; the
//! `aging` query of the GraphQL contract), and how it is refused.

use arledger_core::ids::CustomerId;
use arledger_core::money::Currency;
use chrono::NaiveDate;
use serde::Serialize;

/// Default upper bounds of the aging buckets, in days.
pub const DEFAULT_BUCKET_DAYS: [u32; 4] = [30, 60, 90, 120];

/// At most this many bucket bounds: input from a client, kept to what a
/// report can show.
pub const BUCKET_DAYS_MAX: usize = 32;

/// What the days of an item count from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AgingBasis {
    /// Days overdue: D minus the due date; "not due" up to 0 or while the
    /// due date is unknown.
    #[default]
    DueDate,
    /// Age: D minus the invoice date.
    InvoiceDate,
}

/// What the rows of a report are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AgingGroup {
    /// One row per customer (key: its id; with its name).
    #[default]
    Customer,
    /// One row per sales region.
    Region,
    /// One row per salesperson id.
    Salesperson,
    /// One row per currency (key: its code).
    Currency,
}

/// An aging query: business date D as known at log position p.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgingQuery {
    /// D: documents dated after it do not exist; ages are measured to it.
    pub as_of: NaiveDate,
    /// p: only events at or before this log position count. Ask only for a
    /// position the projection has applied (the engine waits for it):
    /// beyond it the answer would still change.
    pub known_at_position: u64,
    /// What the days count from.
    pub basis: AgingBasis,
    /// Upper bounds of the buckets in days: not empty, none zero, strictly
    /// increasing, at most [`BUCKET_DAYS_MAX`].
    pub bucket_days: Vec<u32>,
    /// What the rows are.
    pub group_by: AgingGroup,
    /// Only this currency, when given.
    pub currency: Option<Currency>,
    /// Only these customers' receivables (a sales user's own), when given.
    pub scope: Option<Scope>,
}

/// The customers a query may see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// These customers.
    Customers(Vec<CustomerId>),
    /// The customers whose salesperson, as known at the query's position,
    /// is this one.
    Salesperson(String),
}

impl AgingQuery {
    /// The default query at (`as_of`, `known_at_position`): due-date
    /// basis, buckets [`DEFAULT_BUCKET_DAYS`], by customer, every currency.
    pub fn new(as_of: NaiveDate, known_at_position: u64) -> AgingQuery {
        AgingQuery {
            as_of,
            known_at_position,
            basis: AgingBasis::default(),
            bucket_days: DEFAULT_BUCKET_DAYS.to_vec(),
            group_by: AgingGroup::default(),
            currency: None,
            scope: None,
        }
    }
}

/// Why an aging query is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AgingError {
    /// A field of the query is malformed (the contract's INVALID_INPUT).
    #[error("{field}: {reason}")]
    InvalidInput {
        /// The field, as the query names it.
        field: &'static str,
        /// What is wrong and what is expected.
        reason: String,
    },
    /// The customer asked for is not registered at the queried position
    /// (the contract's NOT_FOUND).
    #[error("customer {customer} is not known at log position {known_at_position}")]
    UnknownCustomer {
        /// The customer.
        customer: CustomerId,
        /// The position asked about.
        known_at_position: u64,
    },
}

/// Checks the bucket bounds.
pub(super) fn check_bucket_days(days: &[u32]) -> Result<(), AgingError> {
    let refuse = |reason: String| AgingError::InvalidInput {
        field: "bucket_days",
        reason,
    };
    if days.is_empty() {
        return Err(refuse(
            "give at least one bucket bound, e.g. [30, 60, 90, 120]".into(),
        ));
    }
    if days.len() > BUCKET_DAYS_MAX {
        return Err(refuse(format!(
            "{} bounds given; at most {BUCKET_DAYS_MAX}",
            days.len()
        )));
    }
    if days.contains(&0) {
        return Err(refuse(
            "bounds are days after the start of a bucket: each must be above 0".into(),
        ));
    }
    if let Some(w) = days.windows(2).find(|w| w.first() >= w.last()) {
        return Err(refuse(format!(
            "bounds must be strictly increasing: {:?} is not",
            w
        )));
    }
    Ok(())
}
