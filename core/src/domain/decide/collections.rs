//! Collections (domain.md 4): CollectionActivityRecorded.

use super::inputs::{LINES_MAX, text};
use super::lookup::{find_customer, find_invoice};
use crate::domain::commands::RecordCollectionActivity;
use crate::domain::error::CommandError;
use crate::domain::events::{CollectionActivityRecorded, Event};
use crate::domain::state::WriteModel;
use crate::domain::types::Actor;

/// CollectionActivityRecorded: the customer exists, the invoices named are
/// its own, and a promised pay date is not before the activity.
pub(super) fn record_collection_activity(
    model: &WriteModel,
    actor: &Actor,
    c: &RecordCollectionActivity,
) -> Result<Vec<Event>, CommandError> {
    text("outcome", &c.outcome)?;
    find_customer(model, c.customer_id)?;
    if c.invoice_ids.len() > LINES_MAX {
        return Err(CommandError::invalid(
            "invoice_ids",
            format!("at most {LINES_MAX} invoices"),
        ));
    }
    for id in &c.invoice_ids {
        let inv = find_invoice(model, *id)?;
        if inv.customer_id != c.customer_id {
            return Err(CommandError::invalid(
                "invoice_ids",
                format!(
                    "invoice {id} belongs to customer {}, not {}",
                    inv.customer_id, c.customer_id
                ),
            ));
        }
    }
    if let Some(promised) = c.promised_pay_date
        && promised < c.on
    {
        return Err(CommandError::invalid(
            "promised_pay_date",
            format!("{promised} is before the activity date {}", c.on),
        ));
    }
    Ok(vec![Event::CollectionActivityRecorded(
        CollectionActivityRecorded {
            customer_id: c.customer_id,
            invoice_ids: c.invoice_ids.clone(),
            channel: c.channel,
            outcome: c.outcome.clone(),
            promised_pay_date: c.promised_pay_date,
            on: c.on,
            by: actor.user_id.clone(),
        },
    )])
}
