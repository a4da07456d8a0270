//! Shipments (domain.md 4: OrderShipped, DeliveryAccepted) and their fold.
//! Shipping moves value from the customer's open orders to shipped but not
//! invoiced (domain.md 6) and counts the units out of their lots; an
//! acceptance fixes the due dates that count from it (domain.md 5).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use smallvec::SmallVec;

use super::master::lot_in;
use super::{Broken, Folded, WriteModel, add_units, broken, insert_new, known};
use crate::domain::events::{DeliveryAccepted, OrderShipped, ShipmentLine};
use crate::ids::{CustomerId, InvoiceId, OrderId};
use crate::money::Currency;

use super::{Lot, LotLine, Order, OrderStatus, ShippedSerial};

/// Units of one order line in a shipment, and how many are invoiced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShippedLine {
    /// Order line number.
    pub line_no: u32,
    /// Units shipped on this shipment.
    pub quantity: u64,
    /// Units invoiced so far.
    pub invoiced: u64,
    /// Unit price of the order line.
    pub unit_price: Decimal,
    /// The invoice lines billing it (most lines are billed once: kept
    /// inline).
    pub billed: SmallVec<[Billed; 1]>,
}

/// An invoice line's billing of a shipment line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Billed {
    /// The invoice.
    pub invoice_id: InvoiceId,
    /// What the invoice line charges for the units it bills: amount and
    /// tax.
    pub gross: Decimal,
}

/// A shipment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shipment {
    /// Order.
    pub order_id: OrderId,
    /// Customer.
    pub customer_id: CustomerId,
    /// Currency of the order.
    pub currency: Currency,
    /// Ship date.
    pub shipped_on: NaiveDate,
    /// Acceptance date.
    pub accepted_on: Option<NaiveDate>,
    /// Lines, one per order line.
    pub lines: Vec<ShippedLine>,
    /// Invoices billing it.
    pub invoices: Vec<InvoiceId>,
}

impl WriteModel {
    pub(super) fn order_shipped(&mut self, e: &OrderShipped) -> Folded {
        let order = known(&mut self.orders, "order", &e.order_id)?;
        // Only a live order's rest counts in exposure, so only it can
        // ship (decide refuses the others; a forged log may not).
        if !order.status.is_live() {
            return Err(broken(format!(
                "order {} is {} and cannot ship",
                e.order_id,
                order.status.name()
            )));
        }
        let mut lines: Vec<ShippedLine> = Vec::new();
        let mut value = Decimal::ZERO;
        for line in &e.lines {
            let unit_price = ship_from_order(order, line)?;
            value += Decimal::from(line.quantity) * unit_price;
            add_to_shipment(&mut lines, line, unit_price)?;
            let lot = lot_in(&mut self.lots, &line.gtin, &line.lot)?;
            let to = ShippedSerial {
                customer_id: order.customer_id,
                shipment_id: e.shipment_id,
                lot: lot.index,
            };
            ship_from_lot(lot, line, to)?;
            let product = known(&mut self.products, "product", &line.gtin)?;
            (product.serials).extend(line.serials.iter().map(|s| (s.clone(), to)));
        }
        order.status = if order.lines.iter().all(|l| l.shipped == l.quantity) {
            OrderStatus::Shipped
        } else {
            OrderStatus::PartiallyShipped
        };
        let (customer_id, currency) = (order.customer_id, order.currency);
        let customer = known(&mut self.customers, "customer", &customer_id)?;
        let exposure = customer.exposure_mut(currency);
        exposure.open_orders -= value;
        exposure.shipped_not_invoiced += value;
        customer.shipments.push(e.shipment_id);
        let shipment = Shipment {
            order_id: e.order_id,
            customer_id,
            currency,
            shipped_on: e.shipped_on,
            accepted_on: None,
            lines,
            invoices: Vec::new(),
        };
        insert_new(&mut self.shipments, e.shipment_id, shipment, || {
            format!("shipment {} shipped twice", e.shipment_id)
        })
    }

    pub(super) fn delivery_accepted(&mut self, e: &DeliveryAccepted) -> Folded {
        let shipment = known(&mut self.shipments, "shipment", &e.shipment_id)?;
        shipment.accepted_on = Some(e.accepted_on);
        let invoices = shipment.invoices.clone();
        for id in invoices {
            self.refresh_due_dates(id)?;
        }
        Ok(())
    }
}

/// Counts a shipment line as shipped on its order line; returns the order
/// line's unit price.
fn ship_from_order(order: &mut Order, line: &ShipmentLine) -> Result<Decimal, Broken> {
    let ol = order
        .lines
        .iter_mut()
        .find(|l| l.line_no == line.line_no)
        .ok_or_else(|| broken(format!("order line {} unknown", line.line_no)))?;
    ol.shipped = add_units(ol.shipped, line.quantity)?;
    if ol.shipped > ol.quantity {
        return Err(broken(format!(
            "line {} shipped beyond its quantity",
            line.line_no
        )));
    }
    Ok(ol.unit_price)
}

/// Adds a shipment line to the shipment's lines: one per order line, even
/// when the event ships an order line from several lots.
fn add_to_shipment(
    lines: &mut Vec<ShippedLine>,
    line: &ShipmentLine,
    unit_price: Decimal,
) -> Folded {
    match lines.iter_mut().find(|s| s.line_no == line.line_no) {
        Some(s) => s.quantity = add_units(s.quantity, line.quantity)?,
        None => lines.push(ShippedLine {
            line_no: line.line_no,
            quantity: line.quantity,
            invoiced: 0,
            unit_price,
            billed: SmallVec::new(),
        }),
    }
    Ok(())
}

/// Counts a shipment line's units out of its lot.
fn ship_from_lot(lot: &mut Lot, line: &ShipmentLine, to: ShippedSerial) -> Folded {
    lot.shipped = add_units(lot.shipped, line.quantity)?;
    if lot.shipped > lot.released {
        return Err(broken(format!(
            "lot {} of {} shipped beyond its release",
            line.lot, line.gtin
        )));
    }
    let to_customer = lot.shipped_to.entry(to.customer_id).or_default();
    *to_customer = add_units(*to_customer, line.quantity)?;
    lot.lines.push(LotLine {
        shipment_id: to.shipment_id,
        line_no: line.line_no,
        quantity: line.quantity,
    });
    Ok(())
}
