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
//! invoice billed and earlier recalls did not dispute (units an earlier
//! recall reached are not counted again). Readers count at most what is
//! open. A return and a credit note for the same goods settle them once.

use std::collections::BTreeMap;

use rust_decimal::{Decimal, RoundingStrategy};

use crate::domain::error::CommandError;
use crate::domain::events::{DisputeOpened, Event, InvoiceIssued, InvoiceLine, RecallDispute};
use crate::domain::state::{WriteModel, recalled_units};
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
    let Some(product) = model.products.get(scope.gtin) else {
        return Ok(Vec::new());
    };
    for lot_no in scope.lots {
        if let Some(lot) = model.lot(scope.gtin, lot_no) {
            for (line, units) in recalled_units(product, lot, scope.serials) {
                *recalled.entry(line).or_default() += units;
            }
        }
    }
    // Units an earlier recall reached are disputed already.
    for (line, units) in &mut recalled {
        *units = model.newly_recalled(*line, *units);
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
        let Some(recalls) = model.recalled_lines.get(&(r.shipment_id, r.line_no)) else {
            continue;
        };
        let Some(sl) = (model.shipments.get(&r.shipment_id))
            .and_then(|s| s.lines.iter().find(|l| l.line_no == r.line_no))
        else {
            continue;
        };
        for &(recall_id, units) in recalls {
            *values.entry(recall_id).or_default() +=
                share(line.amount + line.tax, units, sl.quantity);
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
            let left = dispute.opened - dispute.returned;
            let amount = if last {
                left
            } else {
                bounded(
                    share(dispute.opened, r.quantity, r.of),
                    left,
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

/// `gross` times `units` over `of`: the value of `units` of a line's `of`.
fn share(gross: Decimal, units: u64, of: u64) -> Decimal {
    if of == 0 {
        return Decimal::ZERO;
    }
    gross * Decimal::from(units) / Decimal::from(of)
}

/// The dispute of `value` on an invoice, rounded and bounded by what it
/// billed and earlier recalls did not dispute; none when nothing is left.
/// (Readers count at most what is open: what is paid is not disputed, and
/// a payment reversed is disputed again.)
fn dispute_of(
    model: &WriteModel,
    invoice_id: InvoiceId,
    value: Decimal,
) -> Result<Option<RecallDispute>, CommandError> {
    let Some(invoice) = model.invoices.get(&invoice_id) else {
        return Ok(None);
    };
    let total: Decimal = (invoice.installments.iter())
        .map(|i| i.plan.amount.amount)
        .sum();
    let amount = bounded(value, total - invoice.recall_opened(), invoice.currency);
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
