//! Orders (domain.md 4: OrderPlaced, OrderHeld, OrderReleased /
//! OrderRejected, OrderCancelled) and their fold. The unshipped rest of a
//! live order counts in its customer's exposure (domain.md 6): placing,
//! holding, releasing and cancelling move it in or out. Shipping is folded in
//! `shipments`.

use rust_decimal::Decimal;

use super::{Folded, WriteModel, broken, insert_new, known};
use crate::domain::events::{OrderCancelled, OrderHeld, OrderPlaced, OrderRejected, OrderReleased};
use crate::domain::types::Gtin;
use crate::ids::{CustomerId, OrderId};
use crate::money::Currency;

/// Where an order stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Placed, passed the credit check.
    Open,
    /// Held by the credit check.
    Held,
    /// Released after a hold.
    Released,
    /// Rejected after a hold.
    Rejected,
    /// Remainder cancelled.
    Cancelled,
    /// Some goods shipped.
    PartiallyShipped,
    /// Everything shipped.
    Shipped,
}

impl OrderStatus {
    /// Name as in the GraphQL contract.
    pub fn name(&self) -> &'static str {
        match self {
            OrderStatus::Open => "OPEN",
            OrderStatus::Held => "HELD",
            OrderStatus::Released => "RELEASED",
            OrderStatus::Rejected => "REJECTED",
            OrderStatus::Cancelled => "CANCELLED",
            OrderStatus::PartiallyShipped => "PARTIALLY_SHIPPED",
            OrderStatus::Shipped => "SHIPPED",
        }
    }

    /// Whether its unshipped rest counts in exposure and may ship.
    pub fn is_live(&self) -> bool {
        matches!(
            self,
            OrderStatus::Open | OrderStatus::Released | OrderStatus::PartiallyShipped
        )
    }
}

/// One order line and how much of it has shipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderLineState {
    /// Line number.
    pub line_no: u32,
    /// Product.
    pub gtin: Gtin,
    /// Ordered.
    pub quantity: u64,
    /// Shipped so far.
    pub shipped: u64,
    /// Unit price.
    pub unit_price: Decimal,
}

/// An order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    /// Customer.
    pub customer_id: CustomerId,
    /// Currency.
    pub currency: Currency,
    /// Lines.
    pub lines: Vec<OrderLineState>,
    /// Status.
    pub status: OrderStatus,
}

impl Order {
    /// The value of what is still to ship. Counted in `Decimal`, not `u64`:
    /// a line shipped beyond its quantity then shows as a negative value
    /// that the invariant check reports, instead of a wrapped count.
    pub(super) fn unshipped_value(&self) -> Decimal {
        self.lines
            .iter()
            .map(|l| (Decimal::from(l.quantity) - Decimal::from(l.shipped)) * l.unit_price)
            .sum()
    }
}

impl WriteModel {
    pub(super) fn order_placed(&mut self, e: &OrderPlaced) -> Folded {
        let order = Order {
            customer_id: e.customer_id,
            currency: e.currency,
            lines: e
                .lines
                .iter()
                .map(|l| OrderLineState {
                    line_no: l.line_no,
                    gtin: l.gtin.clone(),
                    quantity: l.quantity,
                    shipped: 0,
                    unit_price: l.unit_price,
                })
                .collect(),
            status: OrderStatus::Open,
        };
        let value = order.unshipped_value();
        let customer = known(&mut self.customers, "customer", &e.customer_id)?;
        customer.exposure_mut(e.currency).open_orders += value;
        customer.orders.push(e.order_id);
        self.order_numbers.insert(&e.number);
        insert_new(&mut self.orders, e.order_id, order, || {
            format!("order {} placed twice", e.order_id)
        })
    }

    pub(super) fn order_held(&mut self, e: &OrderHeld) -> Folded {
        self.order_is(
            e.order_id,
            OrderStatus::Open,
            "only a just-placed order can be held",
        )?;
        self.set_order_status(e.order_id, OrderStatus::Held)
    }

    pub(super) fn order_released(&mut self, e: &OrderReleased) -> Folded {
        self.order_is(
            e.order_id,
            OrderStatus::Held,
            "only a held order can be released",
        )?;
        self.set_order_status(e.order_id, OrderStatus::Released)
    }

    pub(super) fn order_rejected(&mut self, e: &OrderRejected) -> Folded {
        self.order_is(
            e.order_id,
            OrderStatus::Held,
            "only a held order can be rejected",
        )?;
        self.set_order_status(e.order_id, OrderStatus::Rejected)
    }

    /// Only the unshipped rest is cancelled: what shipped stays shipped.
    pub(super) fn order_cancelled(&mut self, e: &OrderCancelled) -> Folded {
        self.set_order_status(e.order_id, OrderStatus::Cancelled)
    }

    /// Refuses to fold, saying `otherwise`, when order `id` is not in
    /// `status`. An unknown order is left to `set_order_status` to report.
    fn order_is(&self, id: OrderId, status: OrderStatus, otherwise: &str) -> Folded {
        match self.orders.get(&id) {
            Some(order) if order.status != status => Err(broken(otherwise)),
            _ => Ok(()),
        }
    }

    /// Sets an order's status, moving its unshipped rest into or out of its
    /// customer's exposure when the order comes alive or stops being live.
    fn set_order_status(&mut self, id: OrderId, to: OrderStatus) -> Folded {
        let order = known(&mut self.orders, "order", &id)?;
        let (was_live, is_live) = (order.status.is_live(), to.is_live());
        if was_live != is_live {
            let value = order.unshipped_value();
            let customer = known(&mut self.customers, "customer", &order.customer_id)?;
            let exposure = customer.exposure_mut(order.currency);
            if is_live {
                exposure.open_orders += value;
            } else {
                exposure.open_orders -= value;
            }
        }
        order.status = to;
        Ok(())
    }
}
