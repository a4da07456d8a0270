//! The disputes a recall opens (traceability in domain.md 4): on every
//! invoice that bills recalled units, their invoiced value still open, so
//! that customers are not dunned for goods they must send back. Returns
//! settle the returned share of them (recorded with the return), and
//! credit notes for the recall or the return settle them too (the write
//! model's fold of `CreditNoteIssued`): whichever comes first, nothing is
//! settled twice.
//!
//! The recalled value of an invoice line is its amount and tax times the
//! recalled share of the shipment line it bills (units of recalled lots, or
//! the named serials, over the line's units), summed per invoice, rounded
//! once to the currency's scale half away from zero, and at most what the
//! invoice has open and not yet disputed by an earlier recall.

use std::collections::BTreeMap;

use rust_decimal::{Decimal, RoundingStrategy};

use crate::domain::error::CommandError;
use crate::domain::events::{DisputeOpened, Event, InvoiceIssued, InvoiceLine, RecallDispute};
use crate::domain::state::{Lot, WriteModel};
use crate::domain::types::Gtin;
use crate::ids::{CustomerId, InvoiceId, RecallId, ShipmentId};
use crate::money::{Currency, Money};

/// Recalled units per shipment line (shipment, order line number).
type Recalled = BTreeMap<(ShipmentId, u32), u64>;

/// What is being recalled: a product's lots, or only the named serials of
/// them.
pub(super) struct Scope<'a> {
    /// The product.
    pub gtin: &'a Gtin,
    /// Its lots.
    pub lots: &'a [String],
    /// The serials named (empty: the whole lots).
    pub serials: &'a [String],
}

/// The disputes a recall of `scope` opens, by invoice id.
pub(super) fn recall_disputes(
    model: &WriteModel,
    scope: &Scope,
) -> Result<Vec<RecallDispute>, CommandError> {
    let mut recalled = Recalled::new();
    for lot_no in scope.lots {
        if let Some(lot) = model.lot(scope.gtin, lot_no) {
            recalled_units(lot, scope.serials, &mut recalled);
        }
    }
    let mut values: BTreeMap<InvoiceId, Decimal> = BTreeMap::new();
    for (&(shipment_id, line_no), &units) in &recalled {
        let Some(line) = model
            .shipments
            .get(&shipment_id)
            .and_then(|s| s.lines.iter().find(|l| l.line_no == line_no))
        else {
            continue;
        };
        for billed in &line.billed {
            *values.entry(billed.invoice_id).or_default() +=
                share(billed.gross, units, line.quantity);
        }
    }
    let mut disputes = Vec::with_capacity(values.len());
    for (invoice_id, value) in values {
        if let Some(dispute) = dispute_of(model, invoice_id, value)? {
            disputes.push(dispute);
        }
    }
    Ok(disputes)
}

/// The recalled value an invoice's lines bill, per recall.
fn disputes_of_lines(model: &WriteModel, lines: &[InvoiceLine]) -> BTreeMap<RecallId, Decimal> {
    let mut values: BTreeMap<RecallId, Decimal> = BTreeMap::new();
    for line in lines {
        let Some(r) = line.shipment_line else {
            continue;
        };
        let Some(shipment) = model.shipments.get(&r.shipment_id) else {
            continue;
        };
        let Some(sl) = shipment.lines.iter().find(|l| l.line_no == r.line_no) else {
            continue;
        };
        let gtin = model
            .orders
            .get(&shipment.order_id)
            .and_then(|o| o.lines.iter().find(|l| l.line_no == r.line_no))
            .map(|l| &l.gtin);
        for (lot_no, quantity) in &sl.lots {
            let Some(lot) = gtin.and_then(|g| model.lot(g, lot_no)) else {
                continue;
            };
            for (recall_id, units) in recalls_of_part(lot, r.shipment_id, *quantity) {
                *values.entry(recall_id).or_default() +=
                    share(line.amount + line.tax, units, sl.quantity);
            }
        }
    }
    values
}

/// The disputes that open with a new invoice billing goods recalled before
/// it (one per recall), each at most what the invoice leaves undisputed.
pub(super) fn opened_with_invoice(
    model: &WriteModel,
    invoice: &InvoiceIssued,
    total: Decimal,
) -> Result<Vec<Event>, CommandError> {
    let mut room = total;
    let mut events = Vec::new();
    for (recall_id, value) in disputes_of_lines(model, &invoice.lines) {
        let amount = bounded(value, room, invoice.currency);
        if amount <= Decimal::ZERO {
            continue;
        }
        room -= amount;
        let amount = Money::canonical(amount, invoice.currency)
            .map_err(|e| CommandError::invalid("amount", e.to_string()))?;
        events.push(Event::DisputeOpened(DisputeOpened {
            invoice_id: invoice.invoice_id,
            amount,
            reason: format!("billed goods under recall {recall_id}"),
            opened_on: invoice.invoice_date,
            recall_id: Some(recall_id),
        }));
    }
    Ok(events)
}

/// A return of recalled units by a customer.
pub(super) struct Returned {
    /// The recall.
    pub recall_id: RecallId,
    /// The customer.
    pub customer_id: CustomerId,
    /// Units returned now.
    pub quantity: u64,
    /// Units it returned before.
    pub before: u64,
    /// Recalled units it received.
    pub of: u64,
}

/// What a return settles of the recall's disputes on the customer's
/// invoices: of each, the returned share of what it opened (`quantity` of
/// `of` units), at most what is left of it; the last return settles all
/// that is left.
pub(super) fn settled_by_return(
    model: &WriteModel,
    r: &Returned,
) -> Result<Vec<RecallDispute>, CommandError> {
    let Some(customer) = model.customers.get(&r.customer_id) else {
        return Ok(Vec::new());
    };
    let last = r.before + r.quantity >= r.of;
    let mut settles = Vec::new();
    for &invoice_id in &customer.invoices {
        let Some(invoice) = model.invoices.get(&invoice_id) else {
            continue;
        };
        for dispute in invoice
            .recall_disputes
            .iter()
            .filter(|d| d.recall_id == r.recall_id)
        {
            let amount = if last {
                dispute.amount
            } else {
                bounded(
                    share(dispute.opened, r.quantity, r.of),
                    dispute.amount,
                    invoice.currency,
                )
            };
            if amount > Decimal::ZERO {
                let amount = Money::canonical(amount, invoice.currency)
                    .map_err(|e| CommandError::invalid("quantity", e.to_string()))?;
                settles.push(RecallDispute { invoice_id, amount });
            }
        }
    }
    Ok(settles)
}

/// The recalls blocking units of `lot` on one shipment (`quantity` units
/// of it), with the units each reaches.
fn recalls_of_part(lot: &Lot, shipment_id: ShipmentId, quantity: u64) -> Vec<(RecallId, u64)> {
    if let Some(recall_id) = lot.recalled_by {
        return vec![(recall_id, quantity)];
    }
    let mut units: BTreeMap<RecallId, u64> = BTreeMap::new();
    for (serial, recall_id) in &lot.recalled_serials {
        if lot
            .serials
            .get(serial)
            .is_some_and(|to| to.shipment_id == shipment_id)
        {
            *units.entry(*recall_id).or_default() += 1;
        }
    }
    units.into_iter().collect()
}

/// Adds the recalled units of `lot` to the shipment lines that carried
/// them: every unit, or only the named serials.
fn recalled_units(lot: &Lot, serials: &[String], recalled: &mut Recalled) {
    if serials.is_empty() {
        for l in &lot.lines {
            *recalled.entry((l.shipment_id, l.line_no)).or_default() += l.quantity;
        }
        return;
    }
    let mut per_shipment: BTreeMap<ShipmentId, u64> = BTreeMap::new();
    for serial in serials {
        if let Some(to) = lot.serials.get(serial) {
            *per_shipment.entry(to.shipment_id).or_default() += 1;
        }
    }
    // A shipment carrying the lot on several lines: its serials fill them
    // in line order.
    for l in &lot.lines {
        if let Some(rest) = per_shipment.get_mut(&l.shipment_id) {
            let take = (*rest).min(l.quantity);
            *rest -= take;
            if take > 0 {
                *recalled.entry((l.shipment_id, l.line_no)).or_default() += take;
            }
        }
    }
}

/// `gross` times `units` over `of`: the value of `units` of a line's `of`.
fn share(gross: Decimal, units: u64, of: u64) -> Decimal {
    if of == 0 {
        return Decimal::ZERO;
    }
    gross * Decimal::from(units) / Decimal::from(of)
}

/// The dispute of `value` on an invoice, rounded and bounded by what it
/// has open and not yet disputed by recalls; none when nothing is left.
fn dispute_of(
    model: &WriteModel,
    invoice_id: InvoiceId,
    value: Decimal,
) -> Result<Option<RecallDispute>, CommandError> {
    let Some(invoice) = model.invoices.get(&invoice_id) else {
        return Ok(None);
    };
    let amount = bounded(
        value,
        invoice.open() - invoice.recall_disputed(),
        invoice.currency,
    );
    if amount <= Decimal::ZERO {
        return Ok(None);
    }
    let amount = Money::canonical(amount, invoice.currency)
        .map_err(|e| CommandError::invalid("amount", e.to_string()))?;
    Ok(Some(RecallDispute { invoice_id, amount }))
}

/// `value` rounded to `currency`'s scale, half away from zero, and at most
/// `room`.
fn bounded(value: Decimal, room: Decimal, currency: Currency) -> Decimal {
    value
        .round_dp_with_strategy(
            currency.minor_units(),
            RoundingStrategy::MidpointAwayFromZero,
        )
        .min(room)
}
