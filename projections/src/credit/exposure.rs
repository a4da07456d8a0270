//! The `CreditExposure` report (read-models.md "Credit exposure"): the
//! parts of domain.md 6 in the customer's limit currency as known at p,
//! limit, available = limit - exposure, utilization = exposure / limit
//! (`None` when the limit is 0; rounded to [`UTILIZATION_DECIMALS`], half
//! away from zero, for display only), what is overdue at (D, p), grade and
//! held orders; and the list of customers at or over a utilization,
//! highest first.
//!
//! The currency is the limit's (the credit check compares exposure in it
//! alone); before a limit is set, the currency the customer first dealt
//! in; before that, CNY. A customer with no limit (limit 0) and a positive
//! exposure is over any threshold: it sorts first.

use std::cmp::Ordering;

use arledger_core::domain::types::RiskGrade;
use arledger_core::ids::{CustomerId, OrderId};
use arledger_core::money::Currency;
use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use rustc_hash::FxHashMap;
use serde::Serialize;

use super::Credit;
use super::state::{Customer, last_at};
use crate::receivables::{Overdue, Scope};
use crate::scalars::{at_scale, currency_code, decimal, optional_decimal};

/// Utilization is shown with this many decimals (0.8532 is 85.32 %).
pub const UTILIZATION_DECIMALS: u32 = 4;

/// Where an exposure is asked for: overdue at D, everything else as
/// known at p.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExposureQuery {
    /// D, for what is overdue.
    pub as_of: NaiveDate,
    /// p.
    pub known_at_position: u64,
    /// Only these customers (a sales user's own).
    pub scope: Option<Scope>,
}

/// Why an exposure query is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExposureError {
    /// The customer is not registered at p, or not the caller's to see.
    #[error("customer {customer} is not known at log position {known_at_position}")]
    UnknownCustomer {
        /// The customer.
        customer: CustomerId,
        /// p.
        known_at_position: u64,
    },
}

/// One customer's credit exposure: the contract's `CreditExposure`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreditExposure {
    /// The customer.
    pub customer_id: CustomerId,
    /// Its name at p.
    pub name: Option<String>,
    /// The currency of every amount.
    #[serde(serialize_with = "currency_code")]
    pub currency: Currency,
    /// Open receivables.
    #[serde(serialize_with = "decimal")]
    pub open_receivables: Decimal,
    /// Value shipped but not invoiced.
    #[serde(serialize_with = "decimal")]
    pub shipped_not_invoiced: Decimal,
    /// Unshipped rest of open and released orders.
    #[serde(serialize_with = "decimal")]
    pub open_orders: Decimal,
    /// Payments on account.
    #[serde(serialize_with = "decimal")]
    pub unallocated_payments: Decimal,
    /// open receivables + shipped not invoiced + open orders - unallocated.
    #[serde(serialize_with = "decimal")]
    pub exposure: Decimal,
    /// The limit (0 when none is set).
    #[serde(serialize_with = "decimal")]
    pub credit_limit: Decimal,
    /// limit - exposure.
    #[serde(serialize_with = "decimal")]
    pub available: Decimal,
    /// exposure / limit; `None` when the limit is 0.
    #[serde(serialize_with = "optional_decimal")]
    pub utilization: Option<Decimal>,
    /// Open amount due before D.
    #[serde(serialize_with = "decimal")]
    pub overdue: Decimal,
    /// Days overdue of the oldest overdue item.
    pub oldest_overdue_days: Option<i64>,
    /// The grade set with the limit.
    pub grade: Option<RiskGrade>,
    /// Orders held at p.
    pub held_orders: Vec<OrderId>,
}

impl Credit {
    /// `customer`'s exposure at the query's point; `overdue` is the
    /// receivables' [`crate::receivables::Receivables::overdue`] at (D, p).
    pub fn exposure(
        &self,
        customer: CustomerId,
        query: &ExposureQuery,
        overdue: &FxHashMap<(CustomerId, Currency), Overdue>,
    ) -> Result<CreditExposure, ExposureError> {
        let p = query.known_at_position;
        self.state
            .customer(customer)
            .filter(|c| self.visible(c, query))
            .map(|c| self.report(c, p, overdue))
            .ok_or(ExposureError::UnknownCustomer {
                customer,
                known_at_position: p,
            })
    }

    /// Every customer the query may see with a utilization at or over
    /// `min_utilization` (all of them when `None`), highest first (no
    /// limit and a positive exposure first of all), then by customer id.
    pub fn exposures(
        &self,
        query: &ExposureQuery,
        min_utilization: Option<Decimal>,
        overdue: &FxHashMap<(CustomerId, Currency), Overdue>,
    ) -> Vec<CreditExposure> {
        let p = query.known_at_position;
        let mut list: Vec<CreditExposure> = (self.state.customers.iter())
            .filter(|c| self.visible(c, query))
            .map(|c| self.report(c, p, overdue))
            .filter(|e| min_utilization.is_none_or(|m| over(e, m)))
            .collect();
        list.sort_by(|a, b| by_utilization(b, a).then(a.customer_id.cmp(&b.customer_id)));
        list
    }

    /// Whether `customer` exists at p and the query may see it.
    fn visible(&self, customer: &Customer, query: &ExposureQuery) -> bool {
        let p = query.known_at_position;
        let Some(version) = last_at(&customer.versions, p, |v| v.position) else {
            return false;
        };
        match &query.scope {
            None => true,
            Some(Scope::Customers(ids)) => ids.contains(&customer.id),
            Some(Scope::Salesperson(s)) => version.salesperson == *s,
        }
    }

    fn report(
        &self,
        customer: &Customer,
        p: u64,
        overdue: &FxHashMap<(CustomerId, Currency), Overdue>,
    ) -> CreditExposure {
        let limit = last_at(&customer.limits, p, |l| l.position);
        let currency = limit.map(|l| l.currency).unwrap_or_else(|| {
            (customer.series.iter())
                .find(|(_, points)| points.first().is_some_and(|f| f.position <= p))
                .map_or(Currency::CNY, |(c, _)| *c)
        });
        let parts = self.state.parts_at(customer.id, currency, p);
        let exposure = parts.exposure();
        let credit_limit = limit.map(|l| l.limit).unwrap_or_default();
        let due = overdue.get(&(customer.id, currency)).copied();
        let c = currency;
        CreditExposure {
            customer_id: customer.id,
            name: last_at(&customer.versions, p, |v| v.position).map(|v| v.name.clone()),
            currency,
            open_receivables: at_scale(parts.open_receivables, c),
            shipped_not_invoiced: at_scale(parts.shipped_not_invoiced, c),
            open_orders: at_scale(parts.open_orders, c),
            unallocated_payments: at_scale(parts.unallocated, c),
            exposure: at_scale(exposure, c),
            credit_limit: at_scale(credit_limit, c),
            available: at_scale(credit_limit - exposure, c),
            utilization: utilization(exposure, credit_limit),
            overdue: at_scale(due.map(|d| d.amount).unwrap_or_default(), c),
            oldest_overdue_days: due.map(|d| d.oldest_days),
            grade: limit.map(|l| l.grade),
            held_orders: (self.state.held_at(customer.id, p).into_iter())
                .map(|h| h.order_id)
                .collect(),
        }
    }
}

/// exposure / limit for display; `None` when the limit is 0.
fn utilization(exposure: Decimal, limit: Decimal) -> Option<Decimal> {
    if limit.is_zero() {
        return None;
    }
    let mut u = exposure
        .checked_div(limit)?
        .round_dp_with_strategy(UTILIZATION_DECIMALS, RoundingStrategy::MidpointAwayFromZero);
    u.rescale(UTILIZATION_DECIMALS);
    if u.is_zero() {
        u.set_sign_positive(true);
    }
    Some(u)
}

/// Whether `e` is at or over `min`: exactly, not as rounded for display.
fn over(e: &CreditExposure, min: Decimal) -> bool {
    if e.credit_limit.is_zero() {
        return e.exposure > Decimal::ZERO || min <= Decimal::ZERO;
    }
    e.exposure >= e.credit_limit * min
}

/// Orders by utilization, exactly: no limit with a positive exposure is
/// above any utilization; no limit and nothing exposed is 0.
fn by_utilization(a: &CreditExposure, b: &CreditExposure) -> Ordering {
    let key = |e: &CreditExposure| -> (bool, Decimal) {
        match e.exposure.checked_div(e.credit_limit) {
            Some(u) if !e.credit_limit.is_zero() => (false, u),
            _ => (e.exposure > Decimal::ZERO, Decimal::ZERO),
        }
    };
    let (ka, kb) = (key(a), key(b));
    ka.0.cmp(&kb.0).then(ka.1.cmp(&kb.1))
}
