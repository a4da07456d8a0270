//! Orders (domain.md 4): OrderPlaced with the credit check's OrderHeld
//! (domain.md 6, in `credit.rs`), OrderReleased / OrderRejected of a held
//! order, and OrderCancelled.

use rust_decimal::Decimal;

use super::Context;
use super::credit::credit_check;
use super::inputs::{AMOUNT_MAX, Sign, amount, currency, lines_count, quantity, text};
use super::lookup::{find_customer, find_order};
use crate::domain::commands::{
    CancelOrder, OrderLineRequest, PlaceOrder, RejectOrder, ReleaseOrder,
};
use crate::domain::error::CommandError;
use crate::domain::events::{
    Event, OrderCancelled, OrderHeld, OrderLine, OrderPlaced, OrderRejected, OrderReleased,
};
use crate::domain::state::{OrderStatus, WriteModel};
use crate::domain::types::{Actor, Gtin};
use crate::ids::OrderId;
use crate::money::Currency;

/// OrderPlaced, and OrderHeld when the credit check fails: the customer
/// and every product exist, quantities > 0, prices >= 0, and the order id
/// and number are new.
pub(super) fn place_order(
    model: &WriteModel,
    c: &PlaceOrder,
    context: Context,
) -> Result<Vec<Event>, CommandError> {
    text("number", &c.number)?;
    let currency = currency(&c.currency)?;
    let cust = find_customer(model, c.customer_id)?;
    lines_count("lines", c.lines.len())?;
    let (lines, value) = order_lines(model, &c.lines, currency)?;
    if model.orders.contains_key(&c.order_id) {
        return Err(CommandError::exists("order", c.order_id));
    }
    if model.order_numbers.contains(&c.number) {
        return Err(CommandError::exists("order number", &c.number));
    }
    // Overdue as of the later of the order's date and the recording date:
    // backdating an order must not dodge the overdue hold.
    let as_of = context
        .recorded_on
        .map_or(c.placed_on, |d| d.max(c.placed_on));
    let check = credit_check(model, cust, currency, value, as_of)?;
    let mut events = vec![Event::OrderPlaced(OrderPlaced {
        order_id: c.order_id,
        number: c.number.clone(),
        customer_id: c.customer_id,
        currency,
        placed_on: c.placed_on,
        lines,
    })];
    if !check.reasons.is_empty() {
        events.push(Event::OrderHeld(OrderHeld {
            order_id: c.order_id,
            reasons: check.reasons,
            exposure: check.exposure,
            limit: check.limit,
        }));
    }
    Ok(events)
}

/// The order's lines, checked, and its value (at most `AMOUNT_MAX`).
fn order_lines(
    model: &WriteModel,
    requested: &[OrderLineRequest],
    currency: Currency,
) -> Result<(Vec<OrderLine>, Decimal), CommandError> {
    let mut lines: Vec<OrderLine> = Vec::with_capacity(requested.len());
    let mut value = Decimal::ZERO;
    for l in requested {
        let gtin = Gtin::parse(&l.gtin)?;
        if !model.products.contains_key(&gtin) {
            return Err(CommandError::not_found("product", &gtin));
        }
        if lines.iter().any(|x| x.line_no == l.line_no) {
            return Err(CommandError::invalid(
                "lines",
                format!("line number {} appears twice", l.line_no),
            ));
        }
        let quantity = quantity("quantity", l.quantity)?;
        let price = amount("unit_price", l.unit_price, currency, Sign::NonNegative)?;
        value += Decimal::from(quantity) * price.amount;
        if value > AMOUNT_MAX {
            return Err(CommandError::invalid(
                "lines",
                format!("the order's value exceeds {AMOUNT_MAX} {currency}"),
            ));
        }
        lines.push(OrderLine {
            line_no: l.line_no,
            gtin,
            quantity,
            unit_price: price.amount,
        });
    }
    Ok((lines, value))
}

/// OrderReleased: only a held order (the finance-manager role is checked
/// with every command's roles).
pub(super) fn release_order(
    model: &WriteModel,
    actor: &Actor,
    c: &ReleaseOrder,
) -> Result<Vec<Event>, CommandError> {
    held_order(model, c.order_id, "released")?;
    Ok(vec![Event::OrderReleased(OrderReleased {
        order_id: c.order_id,
        by: actor.user_id.clone(),
        note: c.note.clone(),
    })])
}

/// OrderRejected: only a held order.
pub(super) fn reject_order(
    model: &WriteModel,
    actor: &Actor,
    c: &RejectOrder,
) -> Result<Vec<Event>, CommandError> {
    held_order(model, c.order_id, "rejected")?;
    Ok(vec![Event::OrderRejected(OrderRejected {
        order_id: c.order_id,
        by: actor.user_id.clone(),
        note: c.note.clone(),
    })])
}

/// A held order, for release or rejection (`verb`).
fn held_order(model: &WriteModel, id: OrderId, verb: &str) -> Result<(), CommandError> {
    let order = find_order(model, id)?;
    if order.status != OrderStatus::Held {
        return Err(CommandError::state(
            "order",
            id,
            format!(
                "only a held order can be {verb}; it is {}",
                order.status.name()
            ),
        ));
    }
    Ok(())
}

/// OrderCancelled: only an unshipped remainder, so not an order shipped in
/// full, cancelled or rejected.
pub(super) fn cancel_order(
    model: &WriteModel,
    c: &CancelOrder,
) -> Result<Vec<Event>, CommandError> {
    text("reason", &c.reason)?;
    let order = find_order(model, c.order_id)?;
    if matches!(
        order.status,
        OrderStatus::Shipped | OrderStatus::Cancelled | OrderStatus::Rejected
    ) {
        return Err(CommandError::state(
            "order",
            c.order_id,
            format!(
                "it is {}; only an unshipped remainder can be cancelled",
                order.status.name()
            ),
        ));
    }
    Ok(vec![Event::OrderCancelled(OrderCancelled {
        order_id: c.order_id,
        reason: c.reason.clone(),
    })])
}
