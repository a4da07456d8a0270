//! Shipments (domain.md 4): OrderShipped and DeliveryAccepted.
//!
//! A shipment ships a released order's lines from lots that exist, are not
//! expired on the ship date and are not under recall, never more than
//! ordered and not yet shipped, nor more than a lot has left; a serial
//! ships once, never while a recall names it. Raw UDI strings must parse
//! (GS1, two-digit years around the ship date) and agree with the line's
//! GTIN, lot, expiry and serials.

use chrono::NaiveDate;
use rustc_hash::FxHashSet;

use super::inputs::{
    SERIALS_PER_LINE_MAX, SERIALS_PER_SHIPMENT_MAX, UDI_LEN_MAX, lines_count, lot_text, quantity,
    text, text_len, units_left,
};
use super::lookup::{find_order, find_shipment};
use crate::domain::commands::{AcceptDelivery, ShipLineRequest, ShipOrder};
use crate::domain::error::CommandError;
use crate::domain::events::{DeliveryAccepted, Event, OrderShipped, ShipmentLine};
use crate::domain::state::{Lot, Order, OrderLineState, OrderStatus, WriteModel};
use crate::domain::types::Gtin;
use crate::udi;

/// OrderShipped: a released order with units left, a new shipment id, and
/// every line checked by [`ship_line`].
pub(super) fn ship_order(model: &WriteModel, c: &ShipOrder) -> Result<Vec<Event>, CommandError> {
    text_len("ship_to", &c.ship_to)?;
    lines_count("lines", c.lines.len())?;
    let order = shippable_order(model, c)?;
    if model.shipments.contains_key(&c.shipment_id) {
        return Err(CommandError::exists("shipment", c.shipment_id));
    }
    let mut tally = Tally::default();
    let mut lines = Vec::with_capacity(c.lines.len());
    for l in &c.lines {
        lines.push(ship_line(model, order, c, l, &mut tally)?);
    }
    Ok(vec![Event::OrderShipped(OrderShipped {
        shipment_id: c.shipment_id,
        order_id: c.order_id,
        shipped_on: c.shipped_on,
        ship_to: c.ship_to.clone(),
        lines,
    })])
}

/// The order, if it may ship: released (or never held) and not yet
/// shipped in full.
fn shippable_order<'a>(model: &'a WriteModel, c: &ShipOrder) -> Result<&'a Order, CommandError> {
    let order = find_order(model, c.order_id)?;
    if order.status == OrderStatus::Shipped {
        // Released, but nothing is left: the quantity rule is what refuses.
        return Err(CommandError::Overshipment {
            detail: format!(
                "order {} has shipped in full; nothing is left to ship",
                c.order_id
            ),
        });
    }
    if !order.status.is_live() {
        let hint = match order.status {
            OrderStatus::Held => "a finance manager must release it first",
            _ => "it can no longer ship",
        };
        return Err(CommandError::OrderNotReleased {
            order: c.order_id.to_string(),
            status: order.status.name(),
            hint,
        });
    }
    Ok(order)
}

/// What the lines checked so far take, to check the totals when one
/// order line ships from several lots or one lot ships on several lines.
#[derive(Default)]
struct Tally<'a> {
    /// Units per order line number.
    per_line: Vec<(u32, u64)>,
    /// Units per lot.
    per_lot: Vec<(&'a Gtin, &'a str, u64)>,
    /// Serials shipped, per product.
    serials: FxHashSet<(&'a Gtin, &'a str)>,
    /// Serials and UDIs over all lines.
    identifiers: usize,
}

/// One shipment line, checked: an order line of the same product, a
/// shippable lot, its serials and UDIs, and the units left.
fn ship_line<'a>(
    model: &'a WriteModel,
    order: &'a Order,
    c: &ShipOrder,
    l: &'a ShipLineRequest,
    tally: &mut Tally<'a>,
) -> Result<ShipmentLine, CommandError> {
    let gtin = Gtin::parse(&l.gtin)?;
    lot_text("lot", &l.lot)?;
    let quantity = quantity("quantity", l.quantity)?;
    let ol = order
        .lines
        .iter()
        .find(|x| x.line_no == l.line_no)
        .ok_or_else(|| {
            CommandError::not_found(
                "order line",
                format!("{} of order {}", l.line_no, c.order_id),
            )
        })?;
    if ol.gtin != gtin {
        return Err(CommandError::invalid(
            "gtin",
            format!(
                "order line {} is for {}, the shipment line names {gtin}",
                l.line_no, ol.gtin
            ),
        ));
    }
    let lot = shippable_lot(model, &gtin, &l.lot, c.shipped_on)?;
    check_identifiers(model, l, quantity, &ol.gtin, lot, tally)?;
    check_udis(l, &gtin, lot, c.shipped_on)?;
    check_units_left(l, quantity, ol, lot, tally)?;
    Ok(ShipmentLine {
        line_no: l.line_no,
        gtin,
        lot: l.lot.clone(),
        expires_on: lot.expires_on,
        serials: l.serials.clone(),
        quantity,
        udis: l.udis.clone(),
    })
}

/// The lot, if it exists, is not expired on `shipped_on` and is not
/// under recall.
fn shippable_lot<'a>(
    model: &'a WriteModel,
    gtin: &Gtin,
    lot_no: &str,
    shipped_on: NaiveDate,
) -> Result<&'a Lot, CommandError> {
    let lot = model
        .lot(gtin, lot_no)
        .ok_or_else(|| CommandError::not_found("lot", format!("{lot_no} of {gtin}")))?;
    if lot.expires_on < shipped_on {
        return Err(CommandError::LotExpired {
            gtin: gtin.to_string(),
            lot: lot_no.to_string(),
            expires_on: lot.expires_on,
            shipped_on,
        });
    }
    if let Some(recall) = lot.recalled_by {
        return Err(CommandError::LotRecalled {
            gtin: gtin.to_string(),
            lot: lot_no.to_string(),
            recall: recall.to_string(),
        });
    }
    Ok(lot)
}

/// Serials and UDIs of a line: within the limits, one serial per unit or
/// none, each serial shipped once ever (per GTIN, whatever the lot), none
/// under a recall, each UDI of a sane length.
fn check_identifiers<'a>(
    model: &WriteModel,
    l: &'a ShipLineRequest,
    quantity: u64,
    gtin: &'a Gtin,
    lot: &Lot,
    tally: &mut Tally<'a>,
) -> Result<(), CommandError> {
    if l.serials.len() > SERIALS_PER_LINE_MAX || l.udis.len() > SERIALS_PER_LINE_MAX {
        return Err(CommandError::invalid(
            "serials",
            format!("at most {SERIALS_PER_LINE_MAX} serials or UDIs per line"),
        ));
    }
    if !l.serials.is_empty() && u64::try_from(l.serials.len()).ok() != Some(quantity) {
        return Err(CommandError::invalid(
            "serials",
            format!(
                "line {} ships {quantity} units with {} serials; give one serial per unit or none",
                l.line_no,
                l.serials.len()
            ),
        ));
    }
    tally.identifiers += l.serials.len() + l.udis.len();
    if tally.identifiers > SERIALS_PER_SHIPMENT_MAX {
        return Err(CommandError::invalid(
            "serials",
            format!("at most {SERIALS_PER_SHIPMENT_MAX} serials and UDIs per shipment"),
        ));
    }
    for serial in &l.serials {
        lot_text("serials", serial)?;
        if let Some(recall) = lot.recalled_serials.get(serial) {
            return Err(CommandError::SerialRecalled {
                gtin: gtin.to_string(),
                lot: l.lot.clone(),
                serial: serial.clone(),
                recall: recall.to_string(),
            });
        }
        if !tally.serials.insert((gtin, serial.as_str())) {
            return Err(CommandError::state(
                "serial",
                serial,
                format!("this shipment names it twice for {gtin}"),
            ));
        }
        // A GS1 serial is unique per GTIN, whichever lot names it.
        if let Some(from) = shipped_from(model, gtin, serial) {
            return Err(CommandError::state(
                "serial",
                serial,
                format!("it was already shipped from lot {from} of {gtin}"),
            ));
        }
    }
    if l.udis
        .iter()
        .any(|udi| udi.is_empty() || udi.len() > UDI_LEN_MAX)
    {
        return Err(CommandError::UdiInvalid(format!(
            "UDI strings must be 1 to {UDI_LEN_MAX} bytes"
        )));
    }
    Ok(())
}

/// The units of this line and the lines before it: at most what the
/// order line has ordered and not yet shipped, and at most what the lot
/// has released and not yet shipped.
fn check_units_left<'a>(
    l: &'a ShipLineRequest,
    quantity: u64,
    ol: &'a OrderLineState,
    lot: &Lot,
    tally: &mut Tally<'a>,
) -> Result<(), CommandError> {
    let line_total = add_to(&mut tally.per_line, l.line_no, quantity);
    let left = units_left("an order line", ol.quantity, ol.shipped);
    if line_total > left {
        return Err(CommandError::Overshipment {
            detail: format!(
                "order line {} has {left} units ordered and not yet shipped; the shipment takes {line_total}",
                l.line_no
            ),
        });
    }
    let lot_total = match tally
        .per_lot
        .iter_mut()
        .find(|(g, n, _)| **g == ol.gtin && *n == l.lot)
    {
        Some(entry) => {
            entry.2 += quantity;
            entry.2
        }
        None => {
            tally.per_lot.push((&ol.gtin, &l.lot, quantity));
            quantity
        }
    };
    let lot_left = units_left("a lot", lot.released, lot.shipped);
    if lot_total > lot_left {
        return Err(CommandError::Overshipment {
            detail: format!(
                "lot {} of {} has {lot_left} released units left; the shipment takes {lot_total}",
                l.lot, ol.gtin
            ),
        });
    }
    Ok(())
}

/// Adds `quantity` to `key`'s total in `totals`; returns the new total.
fn add_to(totals: &mut Vec<(u32, u64)>, key: u32, quantity: u64) -> u64 {
    match totals.iter_mut().find(|(k, _)| *k == key) {
        Some(entry) => {
            entry.1 += quantity;
            entry.1
        }
        None => {
            totals.push((key, quantity));
            quantity
        }
    }
}

/// DeliveryAccepted: the shipment exists, is accepted once, and not
/// before it shipped.
pub(super) fn accept_delivery(
    model: &WriteModel,
    c: &AcceptDelivery,
) -> Result<Vec<Event>, CommandError> {
    text("accepted_by", &c.accepted_by)?;
    let shipment = find_shipment(model, c.shipment_id)?;
    if let Some(on) = shipment.accepted_on {
        return Err(CommandError::state(
            "shipment",
            c.shipment_id,
            format!("its delivery was already accepted on {on}"),
        ));
    }
    if c.accepted_on < shipment.shipped_on {
        return Err(CommandError::invalid(
            "accepted_on",
            format!(
                "{} is before the ship date {}",
                c.accepted_on, shipment.shipped_on
            ),
        ));
    }
    Ok(vec![Event::DeliveryAccepted(DeliveryAccepted {
        shipment_id: c.shipment_id,
        order_id: shipment.order_id,
        accepted_on: c.accepted_on,
        accepted_by: c.accepted_by.clone(),
    })])
}

/// Each raw UDI of a line parses and agrees with it: the same GTIN, and
/// the line's lot, lot expiry and one of its serials where the UDI names
/// them.
fn check_udis(
    l: &ShipLineRequest,
    gtin: &Gtin,
    lot: &Lot,
    shipped_on: NaiveDate,
) -> Result<(), CommandError> {
    for raw in &l.udis {
        let parsed = udi::parse(raw, shipped_on)
            .map_err(|e| CommandError::UdiInvalid(format!("{raw:?}: {e}")))?;
        let mismatch = |what: String| Err(CommandError::UdiMismatch(format!("{raw:?} {what}")));
        if parsed.gtin != *gtin {
            return mismatch(format!("names GTIN {}, the line ships {gtin}", parsed.gtin));
        }
        if let Some(u) = parsed.lot.as_ref().filter(|u| **u != l.lot) {
            return mismatch(format!("names lot {u}, the line ships lot {}", l.lot));
        }
        if let Some(u) = parsed.expiry.filter(|u| *u != lot.expires_on) {
            return mismatch(format!(
                "expires {u}, lot {} expires {}",
                l.lot, lot.expires_on
            ));
        }
        if let Some(u) = parsed.serial.as_ref().filter(|u| !l.serials.contains(u)) {
            return mismatch(format!("names serial {u}, which the line does not list"));
        }
    }
    Ok(())
}

/// The lot of `gtin` that already shipped `serial`, if one did.
fn shipped_from<'m>(model: &'m WriteModel, gtin: &Gtin, serial: &str) -> Option<&'m str> {
    let to = model.products.get(gtin)?.serials.get(serial)?;
    model
        .lots
        .get(gtin)?
        .iter()
        .find(|(_, lot)| lot.index == to.lot)
        .map(|(no, _)| no.as_str())
}
