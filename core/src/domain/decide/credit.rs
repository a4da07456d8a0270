//! Credit control at order placement (domain.md 6).
//!
//! Exposure = open receivables + value shipped but not invoiced + value of
//! open order lines - unallocated payments, kept per customer and currency
//! by the write model (`state::Exposure`) as it folds accepted events. An
//! order is placed but held when exposure after it exceeds the limit, when
//! the customer has overdue receivables and exposure after it exceeds the
//! policy's share of the limit (80% unless configured), or when the
//! customer's grade is D. A customer with no limit set has limit 0.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::inputs::computed;
use super::lookup::customer_invoices;
use crate::domain::error::CommandError;
use crate::domain::state::{Customer, WriteModel};
use crate::domain::types::{HoldReason, RiskGrade};
use crate::money::{Currency, Money};

/// The outcome of the credit check of one order (domain.md 6).
#[derive(Debug)]
pub(super) struct CreditCheck {
    /// The customer's exposure after the order, in the order's currency.
    pub exposure: Money,
    /// The credit limit it was checked against (zero when none is set).
    pub limit: Money,
    /// Every hold reason that applies; empty when the order passes.
    pub reasons: Vec<HoldReason>,
}

/// Runs the credit check of domain.md 6 for an order of `value` in
/// `currency` by `customer`, with overdue receivables judged `as_of`.
///
/// The limit is compared with the exposure in the limit's currency
/// (receivables in other currencies are never converted), so an order in
/// another currency than the customer's limit is a `CURRENCY_MISMATCH`.
/// Overdue receivables in any currency count.
pub(super) fn credit_check(
    model: &WriteModel,
    customer: &Customer,
    currency: Currency,
    value: Decimal,
    as_of: NaiveDate,
) -> Result<CreditCheck, CommandError> {
    let (limit, grade) = match &customer.credit {
        Some(credit) if credit.limit.currency != currency => {
            return Err(CommandError::CurrencyMismatch {
                expected: credit.limit.currency.to_string(),
                got: currency.to_string(),
            });
        }
        Some(credit) => (credit.limit.amount, Some(credit.grade)),
        None => (Decimal::ZERO, None),
    };
    let exposure = customer.exposure_in(currency).total() + value;
    let overdue = customer_invoices(model, customer).any(|(_, inv)| inv.overdue_on(as_of));
    let mut reasons = Vec::new();
    // No limit set means limit 0, and every order is held until a limit is
    // set or the order is released, even when money on account covers it.
    if exposure > limit || customer.credit.is_none() {
        reasons.push(HoldReason::CreditLimitExceeded);
    }
    if overdue && exposure > limit * model.policy.overdue_threshold_percent / Decimal::ONE_HUNDRED {
        reasons.push(HoldReason::OverdueBalance);
    }
    if grade == Some(RiskGrade::D) {
        reasons.push(HoldReason::GradeD);
    }
    Ok(CreditCheck {
        exposure: computed("exposure", exposure, currency),
        limit: computed("credit limit", limit, currency),
        reasons,
    })
}
