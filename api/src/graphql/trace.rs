//! Traceability queries (traceability.md; the contract's `lot`, `udi`,
//! `recallImpact` and `recalls`): each as known at a log position. The
//! regulator, quality, warehouse, finance, admins and auditors read them;
//! a sales user is refused (the chains name every consignee). Amounts in
//! them (`RecallCustomer.openInvoiceAmount`) follow the amount roles: the
//! regulator is refused on them (`FORBIDDEN`), never shown zeros.

use std::sync::Arc;

use arledger_core::domain::Role;
use arledger_core::domain::types::Gtin;
use arledger_core::ids::RecallId;
use arledger_core::udi;
use arledger_projections::trace as tr;
use async_graphql::{ComplexObject, Context, Object, SimpleObject};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::access::{self, amounts_scope, blocking, point_applied};
use super::enums::RecallClass;
use super::errors::{ApiError, ApiResult};
use super::scalars::{Date, Dec, Position};
use crate::server::limits::REPORT_COMPLEXITY;
use crate::server::state::AppState;

/// The traceability queries, merged into the root `Query`.
#[derive(Default)]
pub struct TraceQuery;

/// One shipment of a lot.
#[derive(SimpleObject, Clone, Debug)]
pub struct ShipmentTrace {
    /// The shipment.
    pub shipment_id: Uuid,
    /// Its order.
    pub order_id: Uuid,
    /// The consignee.
    pub customer_id: Uuid,
    /// Its name.
    pub customer_name: Option<String>,
    /// Ship date.
    pub shipped_on: Date,
    /// Units.
    pub quantity: i64,
    /// Their serials.
    pub serials: Vec<String>,
    /// Invoices billing the shipment.
    pub invoice_ids: Vec<Uuid>,
    /// When the consignee accepted it (added to the contract).
    pub accepted_on: Option<Date>,
}

/// A lot's chain.
#[derive(SimpleObject, Clone, Debug)]
pub struct LotTrace {
    /// The product.
    pub gtin: String,
    /// The lot.
    pub lot: String,
    /// The product's name.
    pub product_name: Option<String>,
    /// Expiry date.
    pub expiry: Option<Date>,
    /// Units released.
    pub released_quantity: i64,
    /// Units shipped.
    pub shipped_quantity: i64,
    /// Released less shipped.
    pub in_stock: i64,
    /// Every shipment, in log order.
    pub shipments: Vec<ShipmentTrace>,
    /// Recalls naming the lot.
    pub recalls: Vec<Uuid>,
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl From<tr::ShipmentTrace> for ShipmentTrace {
    fn from(s: tr::ShipmentTrace) -> ShipmentTrace {
        ShipmentTrace {
            shipment_id: s.shipment_id.0,
            order_id: s.order_id.0,
            customer_id: s.customer_id.0,
            customer_name: s.customer_name,
            shipped_on: Date(s.shipped_on),
            quantity: count(s.quantity),
            serials: s.serials,
            invoice_ids: s.invoice_ids.into_iter().map(|i| i.0).collect(),
            accepted_on: s.accepted_on.map(Date),
        }
    }
}

impl From<tr::LotTrace> for LotTrace {
    fn from(l: tr::LotTrace) -> LotTrace {
        LotTrace {
            gtin: l.gtin.to_string(),
            lot: l.lot,
            product_name: l.product_name,
            expiry: Some(Date(l.expiry)),
            released_quantity: count(l.released_quantity),
            shipped_quantity: count(l.shipped_quantity),
            in_stock: count(l.in_stock),
            shipments: l.shipments.into_iter().map(ShipmentTrace::from).collect(),
            recalls: l.recalls.into_iter().map(|r| r.0).collect(),
        }
    }
}

/// The fields of a parsed UDI.
#[derive(SimpleObject, Clone, Debug)]
pub struct UdiFields {
    /// AI 01.
    pub gtin: String,
    /// AI 10.
    pub lot: Option<String>,
    /// AI 21.
    pub serial: Option<String>,
    /// AI 17 (or 7003's day).
    pub expiry: Option<Date>,
    /// AI 11.
    pub production_date: Option<Date>,
}

/// A UDI and the chain of its lot (narrowed to its serial).
#[derive(SimpleObject, Clone, Debug)]
pub struct UdiTrace {
    /// What the UDI says.
    pub fields: UdiFields,
    /// Its lot's chain, when the lot (or the serial's shipment) is known.
    pub lot: Option<LotTrace>,
}

/// One consignee of a recall.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct RecallCustomer {
    /// The consignee.
    pub customer_id: Uuid,
    /// Its name.
    pub name: Option<String>,
    /// Units of recalled goods it received.
    pub quantity_shipped: i64,
    /// Units it returned.
    pub quantity_returned: i64,
    /// When it acknowledged the notice.
    pub acknowledged_on: Option<Date>,
    /// The shipments that carried recalled goods.
    pub shipments: Vec<Uuid>,
    /// What its invoices have open per currency, read only by who may
    /// read amounts.
    #[graphql(skip)]
    pub open_amounts: Vec<tr::OpenAmount>,
}

/// An amount in a currency.
#[derive(SimpleObject, Clone, Debug)]
pub struct CurrencyAmount {
    /// ISO 4217 code.
    pub currency: String,
    /// The amount, at the currency's scale.
    pub amount: Dec,
}

/// Refuses who may not read amounts in a recall.
fn amount_reader(ctx: &Context<'_>) -> Result<(), ApiError> {
    let principal = access::principal(ctx)?;
    if principal.role == Role::Sales {
        return Err(ApiError::forbidden(
            "sales users do not read recall amounts",
        ));
    }
    amounts_scope(principal).map(|_| ())
}

#[ComplexObject]
impl RecallCustomer {
    /// What the invoices carrying recalled goods have open (finance,
    /// admins and auditors; the regulator is refused), when they are in
    /// one currency (else see `openInvoiceAmounts`).
    async fn open_invoice_amount(&self, ctx: &Context<'_>) -> ApiResult<Dec> {
        amount_reader(ctx)?;
        match self.open_amounts.as_slice() {
            [] => Ok(Dec(Decimal::ZERO)),
            [one] => Ok(Dec(one.amount)),
            _ => Err(ApiError::new(
                "INVALID_STATE",
                "the invoices are in several currencies, which are never added: read openInvoiceAmounts",
            )
            .into()),
        }
    }

    /// What the invoices carrying recalled goods have open, per currency
    /// (added to the contract).
    async fn open_invoice_amounts(&self, ctx: &Context<'_>) -> ApiResult<Vec<CurrencyAmount>> {
        amount_reader(ctx)?;
        Ok((self.open_amounts.iter())
            .map(|a| CurrencyAmount {
                currency: a.currency.to_string(),
                amount: Dec(a.amount),
            })
            .collect())
    }
}

/// A recall's impact.
#[derive(SimpleObject, Clone, Debug)]
pub struct RecallImpact {
    /// The recall.
    pub recall_id: Uuid,
    /// The product.
    pub gtin: String,
    /// Its lots.
    pub lots: Vec<String>,
    /// Its class.
    pub class: RecallClass,
    /// Every consignee.
    pub customers: Vec<RecallCustomer>,
    /// Units shipped in all.
    pub total_shipped: i64,
    /// Units returned in all.
    pub total_returned: i64,
    /// Share of consignees that acknowledged, 0..1.
    pub completion: Dec,
    /// The chain as a GS1 EPCIS 2.0 JSON-LD document.
    pub epcis: String,
}

/// A line of the recall list.
#[derive(SimpleObject, Clone, Debug)]
pub struct RecallSummary {
    /// The recall.
    pub recall_id: Uuid,
    /// The product.
    pub gtin: String,
    /// Its lots.
    pub lots: Vec<String>,
    /// Its class.
    pub class: RecallClass,
    /// Issue date.
    pub issued_on: Date,
    /// Consignees reached.
    pub affected_customers: i32,
    /// Share that acknowledged.
    pub completion: Dec,
}

/// A page of recalls.
#[derive(SimpleObject, Clone, Debug)]
pub struct RecallConnection {
    /// The recalls.
    pub nodes: Vec<RecallSummary>,
    /// The cursor after the last (its id).
    pub end_cursor: Option<String>,
    /// Whether more follow.
    pub has_next_page: bool,
}

/// Refuses a sales user: the chains name every consignee.
fn trace_reader(ctx: &Context<'_>) -> Result<(), ApiError> {
    match access::principal(ctx)?.role {
        Role::Sales => Err(ApiError::forbidden(
            "traceability chains name every consignee: quality, warehouse, finance, auditors and regulators read them",
        )),
        _ => Ok(()),
    }
}

fn gtin_of(text: &str) -> Result<Gtin, ApiError> {
    Gtin::parse(text).map_err(|e| ApiError::invalid(format!("gtin: {e}")))
}

#[Object(name = "TraceQueries")]
impl TraceQuery {
    /// A lot's chain as known at a position; null when the lot is unknown.
    #[graphql(complexity = "REPORT_COMPLEXITY")]
    async fn lot(
        &self,
        ctx: &Context<'_>,
        gtin: String,
        lot: String,
        known_at_position: Option<Position>,
    ) -> ApiResult<Option<LotTrace>> {
        trace_reader(ctx)?;
        let gtin = gtin_of(&gtin)?;
        let state = access::state(ctx)?;
        let p = point_applied(state, None, known_at_position)
            .await?
            .position;
        let state = Arc::clone(state);
        let found = blocking(move || Ok(state.trace.read().lot(&gtin, &lot, None, p))).await?;
        Ok(found.map(LotTrace::from))
    }

    /// A UDI string (any GS1 form) parsed, and its lot's chain narrowed to
    /// its serial.
    #[graphql(complexity = "REPORT_COMPLEXITY")]
    async fn udi(
        &self,
        ctx: &Context<'_>,
        udi: String,
        known_at_position: Option<Position>,
    ) -> ApiResult<UdiTrace> {
        trace_reader(ctx)?;
        let state = access::state(ctx)?;
        let today = state.clock.now().date_naive();
        let parsed =
            udi::parse(&udi, today).map_err(|e| ApiError::new("UDI_INVALID", e.to_string()))?;
        let p = point_applied(state, None, known_at_position)
            .await?
            .position;
        let state = Arc::clone(state);
        let (u, found) = blocking(move || {
            let trace = state.trace.read();
            let serial = parsed.serial.as_deref();
            let lot = (parsed.lot.clone())
                .or_else(|| serial.and_then(|s| trace.lot_of_serial(&parsed.gtin, s, p)));
            let found = lot.and_then(|l| trace.lot(&parsed.gtin, &l, serial, p));
            Ok((parsed, found))
        })
        .await?;
        Ok(UdiTrace {
            fields: UdiFields {
                gtin: u.gtin.to_string(),
                lot: u.lot,
                serial: u.serial,
                expiry: u.expiry.map(Date),
                production_date: u.production.map(Date),
            },
            lot: found.map(LotTrace::from),
        })
    }

    /// A recall's impact as known at a position, with its EPCIS document.
    #[graphql(complexity = "REPORT_COMPLEXITY")]
    async fn recall_impact(
        &self,
        ctx: &Context<'_>,
        recall_id: Uuid,
        known_at_position: Option<Position>,
    ) -> ApiResult<RecallImpact> {
        trace_reader(ctx)?;
        let state = access::state(ctx)?;
        let p = point_applied(state, None, known_at_position)
            .await?
            .position;
        let state = Arc::clone(state);
        Ok(blocking(move || recall_impact(&state, RecallId(recall_id), p)).await?)
    }

    /// The recalls issued by a position, in the order issued.
    async fn recalls(
        &self,
        ctx: &Context<'_>,
        known_at_position: Option<Position>,
        #[graphql(default_with = "Some(50)")] first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<RecallConnection> {
        trace_reader(ctx)?;
        let state = access::state(ctx)?;
        let max = state.limits.page_size_max;
        let first = first.unwrap_or(50);
        let first = usize::try_from(first)
            .ok()
            .filter(|&n| (1..=max).contains(&n))
            .ok_or_else(|| ApiError::invalid(format!("first: {first} must be 1 to {max}")))?;
        let p = point_applied(state, None, known_at_position)
            .await?
            .position;
        let state = Arc::clone(state);
        let all = blocking(move || Ok(state.trace.read().recalls(p))).await?;
        let start = match after {
            None => 0,
            Some(cursor) => (all.iter().position(|r| r.recall_id.to_string() == cursor))
                .map(|i| i + 1)
                .ok_or_else(|| {
                    ApiError::invalid(format!("after: {cursor:?} is not a recall of this list"))
                })?,
        };
        let nodes: Vec<RecallSummary> = (all.iter().skip(start).take(first))
            .map(|r| RecallSummary {
                recall_id: r.recall_id.0,
                gtin: r.gtin.to_string(),
                lots: r.lots.clone(),
                class: r.class.into(),
                issued_on: Date(r.issued_on),
                affected_customers: i32::try_from(r.affected_customers).unwrap_or(i32::MAX),
                completion: Dec(r.completion),
            })
            .collect();
        Ok(RecallConnection {
            has_next_page: start + nodes.len() < all.len(),
            end_cursor: nodes.last().map(|r| r.recall_id.to_string()),
            nodes,
        })
    }
}

/// The impact of `recall` at `p`, with the open amounts of its invoices
/// (receivables at today, p) and the EPCIS document.
fn recall_impact(state: &AppState, recall: RecallId, p: u64) -> Result<RecallImpact, ApiError> {
    let today = state.clock.now().date_naive();
    let open = state.receivables.read().open_by_invoice(today, p);
    let created = arledger_replay::recorded_at(&state.ledger, p)?;
    let trace = state.trace.read();
    let not_found = || {
        ApiError::new(
            "NOT_FOUND",
            format!("recall {recall} is not known at log position {p}"),
        )
    };
    let impact = trace
        .recall_impact(recall, p, &|i| open.get(&i).copied())
        .ok_or_else(not_found)?;
    let epcis = trace
        .recall_epcis(recall, p, created)
        .ok_or_else(not_found)?;
    Ok(RecallImpact {
        recall_id: impact.recall_id.0,
        gtin: impact.gtin.to_string(),
        lots: impact.lots,
        class: impact.class.into(),
        customers: (impact.customers.into_iter())
            .map(|c| RecallCustomer {
                customer_id: c.customer_id.0,
                name: c.name,
                quantity_shipped: count(c.quantity_shipped),
                quantity_returned: count(c.quantity_returned),
                acknowledged_on: c.acknowledged_on.map(Date),
                shipments: c.shipments.iter().map(|s| s.shipment_id.0).collect(),
                open_amounts: c.open_invoice_amounts,
            })
            .collect(),
        total_shipped: count(impact.total_shipped),
        total_returned: count(impact.total_returned),
        completion: Dec(impact.completion),
        epcis: epcis.to_string(),
    })
}
