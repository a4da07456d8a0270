//! The contract's outputs of the read-side reports beyond aging: DSO,
//! credit exposure, alerts (read-models.md), and the payment behaviour
//! added beside the exposure.

use arledger_projections::alerts as al;
use arledger_projections::credit as cr;
use arledger_projections::receivables as rv;
use async_graphql::{ComplexObject, Context, SimpleObject};
use uuid::Uuid;

use super::access::{self, blocking};
use super::enums::RiskGrade;
use super::errors::ApiResult;
use super::scalars::{Date, Dec, Position};

/// The DSO family for a period ending on `asOfDate`. Days and CEI are
/// computed exactly and rounded half away from zero to 2 decimals;
/// amounts are at the currency's scale.
#[derive(SimpleObject, Clone, Debug)]
pub struct DsoReport {
    /// D.
    pub as_of_date: Date,
    /// N.
    pub period_days: i32,
    /// The currency.
    pub currency: String,
    /// AR(D): total open on D.
    pub receivables: Dec,
    /// Invoices less credit notes dated in the period.
    pub credit_sales: Dec,
    /// What of AR(D) is not yet due on D.
    pub not_due: Dec,
    /// AR(D) / credit sales × N; null when credit sales are 0.
    pub dso: Option<Dec>,
    /// Countback DSO: months of credit sales AR(D) stands for, in days.
    pub countback_dso: Option<Dec>,
    /// Not due / credit sales × N; null when credit sales are 0.
    pub best_possible_dso: Option<Dec>,
    /// DSO - best possible DSO.
    pub average_days_delinquent: Option<Dec>,
    /// Collection effectiveness index, percent.
    pub cei: Option<Dec>,
    /// The log position the report was computed at (added to the contract).
    pub known_at_position: Position,
}

impl DsoReport {
    /// The contract's shape of a read-model report at `position`.
    pub fn from_report(r: rv::DsoReport, position: u64) -> DsoReport {
        DsoReport {
            as_of_date: Date(r.as_of_date),
            period_days: i32::try_from(r.period_days).unwrap_or(i32::MAX),
            currency: r.currency.to_string(),
            receivables: Dec(r.receivables),
            credit_sales: Dec(r.credit_sales),
            not_due: Dec(r.not_due),
            dso: r.dso.map(Dec),
            countback_dso: r.countback_dso.map(Dec),
            best_possible_dso: r.best_possible_dso.map(Dec),
            average_days_delinquent: r.average_days_delinquent.map(Dec),
            cei: r.cei.map(Dec),
            known_at_position: Position(position),
        }
    }
}

/// One customer's credit exposure (domain.md 6) as known at a position.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct CreditExposure {
    /// The customer.
    pub customer_id: Uuid,
    /// Its name.
    pub name: Option<String>,
    /// The limit's currency (every amount is in it).
    pub currency: String,
    /// Open receivables.
    pub open_receivables: Dec,
    /// Shipped, not yet invoiced, at order prices.
    pub shipped_not_invoiced: Dec,
    /// Unshipped rest of open and released orders.
    pub open_orders: Dec,
    /// Payments on account.
    pub unallocated_payments: Dec,
    /// The sum of the above, less unallocated payments.
    pub exposure: Dec,
    /// 0 when none is set.
    pub credit_limit: Dec,
    /// limit - exposure.
    pub available: Dec,
    /// exposure / limit, 4 decimals; null when the limit is 0.
    pub utilization: Option<Dec>,
    /// Open amount due before the report date.
    pub overdue: Dec,
    /// Days overdue of the oldest overdue item.
    pub oldest_overdue_days: Option<i32>,
    /// The grade finance set.
    pub grade: Option<RiskGrade>,
    /// Orders held by the credit check and not yet decided.
    pub held_orders: Vec<Uuid>,
    /// Where it was answered: (D, p), for the fields resolved later.
    #[graphql(skip)]
    pub point: (chrono::NaiveDate, u64),
}

#[ComplexObject]
impl CreditExposure {
    /// The customer's payment behaviour over the 365 days before the
    /// report date and the grade it suggests (added to the contract);
    /// null when nothing fell due in them.
    async fn payment_behaviour(&self, ctx: &Context<'_>) -> ApiResult<Option<PaymentBehaviour>> {
        let state = std::sync::Arc::clone(access::state(ctx)?);
        let (customer, (date, position)) = (self.customer_id, self.point);
        let id = arledger_core::ids::CustomerId(customer);
        let found = blocking(move || {
            Ok(state
                .receivables
                .read()
                .payment_behaviour(id, date, position))
        })
        .await?;
        Ok(found.map(|b| PaymentBehaviour {
            installments: i32::try_from(b.installments).unwrap_or(i32::MAX),
            on_time_share: Dec(b.on_time_share),
            average_days_late: Dec(b.average_days_late),
            suggested_grade: b.suggested_grade.into(),
        }))
    }
}

impl CreditExposure {
    /// The contract's shape of the read model's answer at (D, p).
    pub fn from_report(e: cr::CreditExposure, point: (chrono::NaiveDate, u64)) -> CreditExposure {
        CreditExposure {
            customer_id: e.customer_id.0,
            name: e.name,
            currency: e.currency.to_string(),
            open_receivables: Dec(e.open_receivables),
            shipped_not_invoiced: Dec(e.shipped_not_invoiced),
            open_orders: Dec(e.open_orders),
            unallocated_payments: Dec(e.unallocated_payments),
            exposure: Dec(e.exposure),
            credit_limit: Dec(e.credit_limit),
            available: Dec(e.available),
            utilization: e.utilization.map(Dec),
            overdue: Dec(e.overdue),
            oldest_overdue_days: e
                .oldest_overdue_days
                .map(|d| i32::try_from(d).unwrap_or(i32::MAX)),
            grade: e.grade.map(RiskGrade::from),
            held_orders: e.held_orders.into_iter().map(|o| o.0).collect(),
            point,
        }
    }
}

/// How a customer paid over the last 12 months.
#[derive(SimpleObject, Clone, Debug)]
pub struct PaymentBehaviour {
    /// Installments that fell due.
    pub installments: i32,
    /// Share of the amount due paid by its due date (0 to 1, 4 decimals).
    pub on_time_share: Dec,
    /// Days late weighted by amount (2 decimals).
    pub average_days_late: Dec,
    /// A: ≤ 5 days late on average and ≥ 80 % on time; B ≤ 15 days; C ≤ 45 days; else D.
    pub suggested_grade: RiskGrade,
}

/// A page of exposures.
#[derive(SimpleObject, Clone, Debug)]
pub struct CreditExposureConnection {
    /// The exposures.
    pub nodes: Vec<CreditExposure>,
    /// The cursor after the last node (its customer id).
    pub end_cursor: Option<String>,
    /// Whether more follow.
    pub has_next_page: bool,
}

/// An alert raised by a collections rule.
#[derive(SimpleObject, Clone, Debug)]
pub struct Alert {
    /// Stable: the same condition keeps its id.
    pub id: String,
    /// The customer.
    pub customer_id: Uuid,
    /// The invoice, for rules on an item.
    pub invoice_id: Option<Uuid>,
    /// Escalation level, from 1.
    pub level: i32,
    /// Who should act.
    pub assignee_role: String,
    /// DUE_SOON, DUE_TODAY, OVERDUE, OVERDUE_15, OVERDUE_30, OVERDUE_60,
    /// DAILY_TASK, KEY_AMOUNT, CUSTOMER_OVERDUE_TOTAL, ORDER_HELD.
    pub reason_code: String,
    /// The sentence.
    pub reason: String,
    /// The item's due date.
    pub due_date: Option<Date>,
    /// The amount concerned.
    pub amount: Option<Dec>,
    /// Its currency (added to the contract).
    pub currency: String,
}

impl From<al::Alert> for Alert {
    fn from(a: al::Alert) -> Alert {
        Alert {
            id: a.id,
            customer_id: a.customer_id.0,
            invoice_id: a.invoice_id.map(|i| i.0),
            level: a.level,
            assignee_role: a.assignee_role,
            reason_code: a.reason_code,
            reason: a.reason,
            due_date: a.due_date.map(Date),
            amount: a.amount.map(Dec),
            currency: a.currency.to_string(),
        }
    }
}

/// A page of alerts.
#[derive(SimpleObject, Clone, Debug)]
pub struct AlertConnection {
    /// The alerts.
    pub nodes: Vec<Alert>,
    /// The cursor after the last node (its id).
    pub end_cursor: Option<String>,
    /// Whether more follow.
    pub has_next_page: bool,
}
