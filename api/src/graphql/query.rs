//! Queries: the head of the log, aging at any point, the raw log and its
//! verification. The other read models' queries arrive with their issues.

use std::sync::Arc;

use arledger_core::ids::{CustomerId, StreamId};
use arledger_core::money::Currency;
use arledger_projections::receivables as rv;
use arledger_replay::range::PositionRange;
use arledger_replay::verify;
use async_graphql::{Context, Object};
use uuid::Uuid;

use super::access::{self, amounts_scope, blocking, point_applied};
use super::enums::{AgingBasis, AgingGroup};
use super::errors::{ApiError, ApiResult};
use super::scalars::{Date, DateTime, Position};
use super::types::{
    AgingReport, ChainVerification, Event, EventConnection, LedgerHead, ReceivableItem,
};
use crate::server::limits::REPORT_COMPLEXITY;
use crate::server::state::AppState;

/// The queries of the log and of aging.
#[derive(Default)]
pub struct Query;

/// `events(first:)` when not given (or null).
const EVENTS_PAGE_DEFAULT: i32 = 100;

/// The aging query for a request.
fn aging_query(
    state: &AppState,
    as_of: Option<Date>,
    position: u64,
    basis: AgingBasis,
    bucket_days: Option<Vec<i32>>,
    group_by: AgingGroup,
    currency: Option<String>,
) -> Result<rv::AgingQuery, ApiError> {
    let today = state.clock.now().date_naive();
    let mut query = rv::AgingQuery::new(as_of.map_or(today, |d| d.0), position);
    query.basis = match basis {
        AgingBasis::DueDate => rv::AgingBasis::DueDate,
        AgingBasis::InvoiceDate => rv::AgingBasis::InvoiceDate,
    };
    query.group_by = match group_by {
        AgingGroup::Customer => rv::AgingGroup::Customer,
        AgingGroup::Region => rv::AgingGroup::Region,
        AgingGroup::Salesperson => rv::AgingGroup::Salesperson,
        AgingGroup::Currency => rv::AgingGroup::Currency,
    };
    if let Some(days) = bucket_days {
        query.bucket_days = (days.into_iter())
            .map(|d| {
                u32::try_from(d).map_err(|_| {
                    ApiError::invalid(format!("bucketDays: {d} must be a positive number of days"))
                })
            })
            .collect::<Result<_, _>>()?;
    }
    query.currency = currency
        .map(|c| Currency::parse(&c).map_err(|e| ApiError::invalid(format!("currency: {e}"))))
        .transpose()?;
    Ok(query)
}

fn aging_error(e: rv::AgingError) -> ApiError {
    match e {
        rv::AgingError::InvalidInput { field, reason } => {
            ApiError::invalid(format!("{field}: {reason}"))
        }
        e @ rv::AgingError::UnknownCustomer { .. } => ApiError::new("NOT_FOUND", e.to_string()),
    }
}

#[Object(name = "LogQueries")]
impl Query {
    /// Head of the log: its last position, hash and time.
    async fn ledger_head(&self, ctx: &Context<'_>) -> ApiResult<LedgerHead> {
        access::principal(ctx)?;
        let head = access::state(ctx)?.ledger.head();
        Ok(LedgerHead {
            position: Position(head.position),
            hash: hex::encode(head.hash),
            recorded_at: head.recorded_at.map(DateTime),
        })
    }

    /// The aging report at a business date (default today), as known at a
    /// moment or position (default now).
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "REPORT_COMPLEXITY")]
    async fn aging(
        &self,
        ctx: &Context<'_>,
        as_of_date: Option<Date>,
        known_at: Option<DateTime>,
        known_at_position: Option<Position>,
        // Nullable with a default, as the contract has them: a client may
        // send null (or a nullable variable) for the default.
        #[graphql(default_with = "Some(AgingBasis::DueDate)")] basis: Option<AgingBasis>,
        bucket_days: Option<Vec<i32>>,
        #[graphql(default_with = "Some(AgingGroup::Customer)")] group_by: Option<AgingGroup>,
        currency: Option<String>,
    ) -> ApiResult<AgingReport> {
        let scope = amounts_scope(access::principal(ctx)?)?;
        let state = access::state(ctx)?;
        let point = point_applied(state, known_at, known_at_position).await?;
        let mut query = aging_query(
            state,
            as_of_date,
            point.position,
            basis.unwrap_or_default(),
            bucket_days,
            group_by.unwrap_or_default(),
            currency,
        )?;
        query.scope = scope;
        let state = Arc::clone(state);
        let report =
            blocking(move || state.receivables.read().aging(&query).map_err(aging_error)).await?;
        Ok(AgingReport::from_report(report, point.hash_hex()))
    }

    /// One customer's open receivable items at (asOfDate, knownAt…): the
    /// drill-down of an aging row (added to the contract).
    #[graphql(complexity = "REPORT_COMPLEXITY")]
    async fn receivable_items(
        &self,
        ctx: &Context<'_>,
        customer_id: Uuid,
        as_of_date: Option<Date>,
        known_at: Option<DateTime>,
        known_at_position: Option<Position>,
        #[graphql(default)] basis: AgingBasis,
    ) -> ApiResult<Vec<ReceivableItem>> {
        let scope = amounts_scope(access::principal(ctx)?)?;
        let state = access::state(ctx)?;
        let point = point_applied(state, known_at, known_at_position).await?;
        let mut query = aging_query(
            state,
            as_of_date,
            point.position,
            basis,
            None,
            AgingGroup::Customer,
            None,
        )?;
        query.scope = scope;
        let state = Arc::clone(state);
        let customer = CustomerId(customer_id);
        let items = blocking(move || {
            let receivables = state.receivables.read();
            if query.scope.is_some() {
                // A sales user sees a customer only if a scoped report has it.
                let report = receivables.aging(&query).map_err(aging_error)?;
                if !report.rows.iter().any(|r| r.key == customer.to_string()) {
                    return Err(ApiError::forbidden("this customer is not one of yours"));
                }
            }
            receivables.items(&query, customer).map_err(aging_error)
        })
        .await?;
        Ok(items.into_iter().map(ReceivableItem::from).collect())
    }

    /// The raw log, for audit. Hashes let a client verify the chain itself.
    async fn events(
        &self,
        ctx: &Context<'_>,
        from_position: Option<Position>,
        #[graphql(default_with = "Some(EVENTS_PAGE_DEFAULT)")] first: Option<i32>,
        stream_id: Option<Uuid>,
    ) -> ApiResult<EventConnection> {
        access::raw_log(access::principal(ctx)?)?;
        let state = Arc::clone(access::state(ctx)?);
        let max = state.limits.page_size_max;
        let first = first.unwrap_or(EVENTS_PAGE_DEFAULT);
        let first = usize::try_from(first)
            .ok()
            .filter(|&n| (1..=max).contains(&n))
            .ok_or_else(|| ApiError::invalid(format!("first: {first} must be 1 to {max}")))?;
        let from = from_position.map_or(1, |p| p.0.max(1));
        Ok(blocking(move || events_page(&state, from, first, stream_id.map(StreamId))).await?)
    }

    /// Checks the CRCs and the SHA-256 chain over a range of positions.
    async fn verify_chain(
        &self,
        ctx: &Context<'_>,
        from_position: Option<Position>,
        to_position: Option<Position>,
    ) -> ApiResult<ChainVerification> {
        access::principal(ctx)?;
        let state = Arc::clone(access::state(ctx)?);
        let range = PositionRange {
            from: from_position.map(|p| p.0),
            to: to_position.map(|p| p.0),
        };
        let report = blocking(move || {
            verify::check(&state.ledger, &range, &mut |_, _| {}).map_err(|e| match e {
                verify::VerifyError::Range(r) => ApiError::invalid(r.to_string()),
                other => ApiError::unavailable(&other),
            })
        })
        .await?;
        Ok(ChainVerification {
            ok: report.verified(),
            checked: i64::try_from(report.checked).unwrap_or(i64::MAX),
            first_bad_position: report.first_bad.as_ref().map(|b| Position(b.position)),
            reason: report.first_bad.map(|b| b.reason),
        })
    }
}

/// A page of `first` events from `from` (of one stream, if given).
fn events_page(
    state: &AppState,
    from: u64,
    first: usize,
    stream: Option<StreamId>,
) -> Result<EventConnection, ApiError> {
    let stored = match stream {
        Some(stream) => {
            let all = state.ledger.read_stream(stream)?;
            all.into_iter()
                .filter(|e| e.position >= from)
                .take(first + 1)
                .collect()
        }
        None => state.ledger.read(from, first + 1)?,
    };
    let has_next_page = stored.len() > first;
    let mut nodes = Vec::with_capacity(first);
    // Consecutive events chain to each other: only a gap reads a hash.
    let mut prev: Option<(u64, [u8; 32])> = None;
    for e in stored.iter().take(first) {
        let prev_hash = match prev {
            Some((position, hash)) if position + 1 == e.position => hash,
            _ => state.ledger.hash_at(e.position - 1)?,
        };
        nodes.push(Event::from_stored(e, &prev_hash)?);
        prev = Some((e.position, e.hash));
    }
    Ok(EventConnection {
        end_cursor: nodes.last().map(|e| e.position.0.to_string()),
        nodes,
        has_next_page,
    })
}
