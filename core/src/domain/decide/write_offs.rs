//! Write-offs (domain.md 4): InvoiceWrittenOff and WriteOffRecovered.

use super::inputs::{Sign, amount, text};
use super::lookup::find_invoice;
use crate::domain::commands::{RecoverWriteOff, WriteOffInvoice};
use crate::domain::error::CommandError;
use crate::domain::events::{Event, InvoiceWrittenOff, WriteOffRecovered};
use crate::domain::state::WriteModel;
use crate::domain::types::Actor;

/// InvoiceWrittenOff: an amount at most the invoice's open amount (the
/// finance-manager role is checked with every command's roles).
pub(super) fn write_off_invoice(
    model: &WriteModel,
    actor: &Actor,
    c: &WriteOffInvoice,
) -> Result<Vec<Event>, CommandError> {
    text("reason", &c.reason)?;
    let inv = find_invoice(model, c.invoice_id)?;
    let amount = amount("amount", c.amount, inv.currency, Sign::Positive)?;
    let open = inv.open();
    if amount.amount > open {
        return Err(CommandError::OverCredit(format!(
            "write-off of {amount} exceeds invoice {}'s open amount {open}",
            c.invoice_id
        )));
    }
    Ok(vec![Event::InvoiceWrittenOff(InvoiceWrittenOff {
        invoice_id: c.invoice_id,
        amount,
        reason: c.reason.clone(),
        approved_by: actor.user_id.clone(),
        written_off_on: c.written_off_on,
    })])
}

/// WriteOffRecovered: an amount at most what was written off on the
/// invoice and not yet recovered.
pub(super) fn recover_write_off(
    model: &WriteModel,
    c: &RecoverWriteOff,
) -> Result<Vec<Event>, CommandError> {
    let inv = find_invoice(model, c.invoice_id)?;
    let amount = amount("amount", c.amount, inv.currency, Sign::Positive)?;
    let recoverable = inv.written_off - inv.recovered;
    if amount.amount > recoverable {
        return Err(CommandError::OverCredit(format!(
            "recovery of {amount} exceeds the {recoverable} written off and not yet recovered on invoice {}",
            c.invoice_id
        )));
    }
    Ok(vec![Event::WriteOffRecovered(WriteOffRecovered {
        invoice_id: c.invoice_id,
        amount,
        recovered_on: c.recovered_on,
    })])
}
