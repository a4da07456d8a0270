//! Queries of the read-side reports beyond aging (read-models.md): the DSO
//! family and its trend, credit exposure, collections alerts. Each answers
//! at a business date (default today) as known at a position (default
//! the head), once the read models have applied it; amounts follow the
//! roles of domain.md 7 (sales see their own customers, the regulator
//! none).

use std::sync::Arc;

use arledger_core::ids::CustomerId;
use arledger_core::money::Currency;
use arledger_projections::alerts::{self as al, AlertQuery};
use arledger_projections::credit::{ExposureError, ExposureQuery};
use arledger_projections::receivables::{self as rv, Scope};
use async_graphql::{Context, Object};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::access::{self, amounts_scope, blocking, point_applied};
use super::errors::{ApiError, ApiResult};
use super::report_types::{
    Alert, AlertConnection, CreditExposure, CreditExposureConnection, DsoReport,
};
use super::scalars::{Date, DateTime, Dec, Position};
use crate::server::limits::REPORT_COMPLEXITY;
use crate::server::state::AppState;

/// The report queries, merged into the root `Query`.
#[derive(Default)]
pub struct ReportQuery;

/// Page size when `first` is not given.
const PAGE_DEFAULT: i32 = 50;

/// What a DSO request names besides its point.
struct DsoArgs {
    as_of: Option<Date>,
    period_days: Option<i32>,
    customer_id: Option<Uuid>,
    region: Option<String>,
    salesperson_id: Option<String>,
    currency: String,
}

impl DsoArgs {
    fn query(
        self,
        state: &AppState,
        position: u64,
        scope: Option<Scope>,
    ) -> Result<rv::DsoQuery, ApiError> {
        let period = self.period_days.unwrap_or(90);
        Ok(rv::DsoQuery {
            as_of: self.as_of.map_or_else(|| today(state), |d| d.0),
            known_at_position: position,
            period_days: u32::try_from(period).map_err(|_| {
                ApiError::invalid(format!(
                    "periodDays: {period} must be 1 to {}",
                    rv::PERIOD_DAYS_MAX
                ))
            })?,
            currency: Currency::parse(&self.currency)
                .map_err(|e| ApiError::invalid(format!("currency: {e}")))?,
            customer: self.customer_id.map(CustomerId),
            region: self.region,
            salesperson: self.salesperson_id,
            scope,
        })
    }
}

fn today(state: &AppState) -> chrono::NaiveDate {
    state.clock.now().date_naive()
}

fn report_error(e: rv::AgingError) -> ApiError {
    match e {
        rv::AgingError::InvalidInput { field, reason } => {
            ApiError::invalid(format!("{field}: {reason}"))
        }
        e @ rv::AgingError::UnknownCustomer { .. } => ApiError::new("NOT_FOUND", e.to_string()),
    }
}

/// `first` checked against the page limit.
fn page_size(state: &AppState, first: Option<i32>) -> Result<usize, ApiError> {
    let max = state.limits.page_size_max;
    let first = first.unwrap_or(PAGE_DEFAULT);
    usize::try_from(first)
        .ok()
        .filter(|&n| (1..=max).contains(&n))
        .ok_or_else(|| ApiError::invalid(format!("first: {first} must be 1 to {max}")))
}

/// The page of `first` items after the one whose key is `after`.
fn page<T>(
    items: Vec<T>,
    first: usize,
    after: Option<String>,
    key: impl Fn(&T) -> String,
) -> Result<(Vec<T>, Option<String>, bool), ApiError> {
    let start = match after {
        None => 0,
        Some(cursor) => items
            .iter()
            .position(|i| key(i) == cursor)
            .map(|i| i + 1)
            .ok_or_else(|| {
                ApiError::invalid(format!(
                    "after: {cursor:?} is not in this list at this position; start again without it"
                ))
            })?,
    };
    let total = items.len();
    let nodes: Vec<T> = items.into_iter().skip(start).take(first).collect();
    let has_next = start + nodes.len() < total;
    let end = nodes.last().map(&key);
    Ok((nodes, end, has_next))
}

/// A customer a report names: `NOT_FOUND` when not registered at
/// `position`, `FORBIDDEN` when the caller's scope does not hold it (a
/// sales user naming another's customer is refused, not shown zeros).
fn check_customer(
    state: &AppState,
    scope: Option<&Scope>,
    customer: CustomerId,
    position: u64,
) -> Result<(), ApiError> {
    if state
        .credit
        .read()
        .salesperson_at(customer, position)
        .is_none()
    {
        return Err(ApiError::new(
            "NOT_FOUND",
            format!("customer {customer} is not known at log position {position}"),
        ));
    }
    if scope.is_some_and(|s| !in_scope(state, s, customer, position)) {
        return Err(ApiError::forbidden("this customer is not one of yours"));
    }
    Ok(())
}

/// The customer a report names, if any, checked as [`check_customer`] does.
fn check_named(
    state: &AppState,
    scope: Option<&Scope>,
    customer: Option<CustomerId>,
    position: u64,
) -> Result<(), ApiError> {
    customer.map_or(Ok(()), |c| check_customer(state, scope, c, position))
}

/// A DSO report of `query` on the receivables, off the async runtime,
/// once the customer it names (if any) is checked.
async fn dso_report<T: Send + 'static>(
    state: &Arc<AppState>,
    query: rv::DsoQuery,
    report: impl FnOnce(&rv::Receivables, &rv::DsoQuery) -> Result<T, rv::AgingError> + Send + 'static,
) -> Result<T, ApiError> {
    let state = Arc::clone(state);
    blocking(move || {
        check_named(
            &state,
            query.scope.as_ref(),
            query.customer,
            query.known_at_position,
        )?;
        report(&state.receivables.read(), &query).map_err(report_error)
    })
    .await
}

/// Whether `scope` lets its holder see `customer` at `position`.
fn in_scope(state: &AppState, scope: &Scope, customer: CustomerId, position: u64) -> bool {
    match scope {
        Scope::Customers(ids) => ids.contains(&customer),
        Scope::Salesperson(s) => {
            state
                .credit
                .read()
                .salesperson_at(customer, position)
                .as_deref()
                == Some(s.as_str())
        }
    }
}

#[Object(name = "ReportQueries")]
impl ReportQuery {
    /// The DSO family over the `periodDays` ending on `asOfDate` (default
    /// today), per currency, for everyone or one customer, region or
    /// salesperson (as known at the position).
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "REPORT_COMPLEXITY")]
    async fn dso(
        &self,
        ctx: &Context<'_>,
        as_of_date: Option<Date>,
        #[graphql(default_with = "Some(90)")] period_days: Option<i32>,
        known_at: Option<DateTime>,
        known_at_position: Option<Position>,
        customer_id: Option<Uuid>,
        region: Option<String>,
        salesperson_id: Option<String>,
        currency: String,
    ) -> ApiResult<DsoReport> {
        let scope = amounts_scope(access::principal(ctx)?)?;
        let state = access::state(ctx)?;
        let point = point_applied(state, known_at, known_at_position).await?;
        let args = DsoArgs {
            as_of: as_of_date,
            period_days,
            customer_id,
            region,
            salesperson_id,
            currency,
        };
        let query = args.query(state, point.position, scope)?;
        let report = dso_report(state, query, |r, q| r.dso(q)).await?;
        Ok(DsoReport::from_report(report, point.position))
    }

    /// The DSO family at the end of each of the last `months` calendar
    /// months up to asOfDate, oldest first (the last is at asOfDate).
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "REPORT_COMPLEXITY")]
    async fn dso_trend(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(12)")] months: Option<i32>,
        #[graphql(default_with = "Some(90)")] period_days: Option<i32>,
        as_of_date: Option<Date>,
        known_at_position: Option<Position>,
        customer_id: Option<Uuid>,
        region: Option<String>,
        salesperson_id: Option<String>,
        currency: String,
    ) -> ApiResult<Vec<DsoReport>> {
        let scope = amounts_scope(access::principal(ctx)?)?;
        let state = access::state(ctx)?;
        let point = point_applied(state, None, known_at_position).await?;
        let months = months.unwrap_or(12);
        let months = u32::try_from(months).map_err(|_| {
            ApiError::invalid(format!(
                "months: {months} must be 1 to {}",
                rv::TREND_MONTHS_MAX
            ))
        })?;
        let args = DsoArgs {
            as_of: as_of_date,
            period_days,
            customer_id,
            region,
            salesperson_id,
            currency,
        };
        let query = args.query(state, point.position, scope)?;
        let reports = dso_report(state, query, move |r, q| r.dso_trend(q, months)).await?;
        Ok(reports
            .into_iter()
            .map(|r| DsoReport::from_report(r, point.position))
            .collect())
    }

    /// One customer's credit exposure as known at a moment or position;
    /// what is overdue is counted at `asOfDate` (added; default today).
    #[graphql(complexity = "REPORT_COMPLEXITY")]
    async fn credit_exposure(
        &self,
        ctx: &Context<'_>,
        customer_id: Uuid,
        known_at: Option<DateTime>,
        known_at_position: Option<Position>,
        as_of_date: Option<Date>,
    ) -> ApiResult<CreditExposure> {
        let scope = amounts_scope(access::principal(ctx)?)?;
        let state = access::state(ctx)?;
        let point = point_applied(state, known_at, known_at_position).await?;
        let query = ExposureQuery {
            as_of: as_of_date.map_or_else(|| today(state), |d| d.0),
            known_at_position: point.position,
            scope: None,
        };
        let state = Arc::clone(state);
        let customer = CustomerId(customer_id);
        let found = blocking(move || {
            let overdue = (state.receivables.read()).overdue_of(
                customer,
                query.as_of,
                query.known_at_position,
            );
            let found = state.credit.read().exposure(customer, &query, &overdue);
            let found = found.map_err(|e @ ExposureError::UnknownCustomer { .. }| {
                ApiError::new("NOT_FOUND", e.to_string())
            })?;
            if scope.is_some_and(|s| !in_scope(&state, &s, customer, query.known_at_position)) {
                return Err(ApiError::forbidden("this customer is not one of yours"));
            }
            Ok((found, query))
        })
        .await?;
        let (found, query) = found;
        Ok(CreditExposure::from_report(
            found,
            (query.as_of, query.known_at_position),
        ))
    }

    /// Customers at or over a utilization (0..1+), highest first; with no
    /// threshold, every customer. Customers with no limit and something
    /// exposed come first.
    #[graphql(complexity = "REPORT_COMPLEXITY")]
    async fn credit_exposures(
        &self,
        ctx: &Context<'_>,
        min_utilization: Option<Dec>,
        known_at_position: Option<Position>,
        #[graphql(default_with = "Some(PAGE_DEFAULT)")] first: Option<i32>,
        after: Option<String>,
        as_of_date: Option<Date>,
    ) -> ApiResult<CreditExposureConnection> {
        let scope = amounts_scope(access::principal(ctx)?)?;
        let state = access::state(ctx)?;
        let first = page_size(state, first)?;
        let point = point_applied(state, None, known_at_position).await?;
        let query = ExposureQuery {
            as_of: as_of_date.map_or_else(|| today(state), |d| d.0),
            known_at_position: point.position,
            scope,
        };
        let min: Option<Decimal> = min_utilization.map(|d| d.0);
        let state = Arc::clone(state);
        let at = (query.as_of, query.known_at_position);
        let list = blocking(move || {
            let overdue = state
                .receivables
                .read()
                .overdue(query.as_of, query.known_at_position);
            Ok(state.credit.read().exposures(&query, min, &overdue))
        })
        .await?;
        let (nodes, end_cursor, has_next_page) =
            page(list, first, after, |e| e.customer_id.to_string())?;
        Ok(CreditExposureConnection {
            nodes: nodes
                .into_iter()
                .map(|e| CreditExposure::from_report(e, at))
                .collect(),
            end_cursor,
            has_next_page,
        })
    }

    /// The collections alerts at a business date (default today) as known
    /// at a position: highest level first.
    #[graphql(complexity = "REPORT_COMPLEXITY")]
    async fn alerts(
        &self,
        ctx: &Context<'_>,
        as_of_date: Option<Date>,
        known_at_position: Option<Position>,
        customer_id: Option<Uuid>,
        #[graphql(default_with = "Some(PAGE_DEFAULT)")] first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<AlertConnection> {
        let scope = amounts_scope(access::principal(ctx)?)?;
        let state = access::state(ctx)?;
        let first = page_size(state, first)?;
        let point = point_applied(state, None, known_at_position).await?;
        let query = AlertQuery {
            as_of: as_of_date.map_or_else(|| today(state), |d| d.0),
            known_at_position: point.position,
            customer: customer_id.map(CustomerId),
            scope,
        };
        let state = Arc::clone(state);
        let list = blocking(move || {
            check_named(
                &state,
                query.scope.as_ref(),
                query.customer,
                query.known_at_position,
            )?;
            Ok(alerts_at(&state, &query))
        })
        .await?;
        let (nodes, end_cursor, has_next_page) = page(list, first, after, |a| a.id.clone())?;
        Ok(AlertConnection {
            nodes: nodes.into_iter().map(Alert::from).collect(),
            end_cursor,
            has_next_page,
        })
    }
}

/// The alerts of `query` under the server's settings.
pub fn alerts_at(state: &AppState, query: &AlertQuery) -> Vec<al::Alert> {
    let receivables = state.receivables.read();
    let credit = state.credit.read();
    al::alerts(&receivables, &credit, &state.alert_settings, query)
}
