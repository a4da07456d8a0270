//! Disputes (domain.md 4): DisputeOpened and DisputeResolved. A disputed
//! amount stays in aging but is flagged and excluded from dunning.

use super::inputs::{Sign, amount, text};
use super::lookup::find_invoice;
use crate::domain::commands::{OpenDispute, ResolveDispute};
use crate::domain::error::CommandError;
use crate::domain::events::{DisputeOpened, DisputeResolved, Event};
use crate::domain::state::WriteModel;

/// DisputeOpened: no other dispute open on the invoice, and an amount at
/// most its open amount.
pub(super) fn open_dispute(
    model: &WriteModel,
    c: &OpenDispute,
) -> Result<Vec<Event>, CommandError> {
    text("reason", &c.reason)?;
    let inv = find_invoice(model, c.invoice_id)?;
    let amount = amount("amount", c.amount, inv.currency, Sign::Positive)?;
    if let Some(disputed) = inv.disputed {
        return Err(CommandError::state(
            "invoice",
            c.invoice_id,
            format!("a dispute over {disputed} is already open; resolve it first"),
        ));
    }
    // What recalls already dispute is out of dunning; a person disputes
    // the rest.
    let (open, by_recalls) = (inv.open(), inv.recall_disputed());
    if amount.amount > open - by_recalls {
        let beyond = if by_recalls.is_zero() {
            String::new()
        } else {
            format!(" beyond the {by_recalls} its recalls dispute")
        };
        return Err(CommandError::invalid(
            "amount",
            format!(
                "disputed {amount} exceeds invoice {}'s open amount {open}{beyond}",
                c.invoice_id
            ),
        ));
    }
    Ok(vec![Event::DisputeOpened(DisputeOpened {
        invoice_id: c.invoice_id,
        amount,
        reason: c.reason.clone(),
        opened_on: c.opened_on,
        recall_id: None,
    })])
}

/// DisputeResolved: a dispute is open on the invoice.
pub(super) fn resolve_dispute(
    model: &WriteModel,
    c: &ResolveDispute,
) -> Result<Vec<Event>, CommandError> {
    text("outcome", &c.outcome)?;
    let inv = find_invoice(model, c.invoice_id)?;
    if inv.disputed.is_none() {
        return Err(CommandError::state(
            "invoice",
            c.invoice_id,
            "it has no open dispute",
        ));
    }
    Ok(vec![Event::DisputeResolved(DisputeResolved {
        invoice_id: c.invoice_id,
        outcome: c.outcome.clone(),
        resolved_on: c.resolved_on,
    })])
}
