//! Recalls (domain.md 4): RecallIssued, RecallNoticeAcknowledged and
//! RecallUnitsReturned. A recall blocks its whole lots from shipping, even
//! when it names serials.

use super::inputs::{LINES_MAX, SERIALS_PER_SHIPMENT_MAX, lot_text, quantity, text};
use super::lookup::{find_customer, find_recall};
use super::recall_disputes::{Returned, Scope, recall_disputes, settled_by_return};
use crate::domain::commands::{AcknowledgeRecall, IssueRecall, RecordRecallReturn};
use crate::domain::error::CommandError;
use crate::domain::events::{Event, RecallIssued, RecallNoticeAcknowledged, RecallUnitsReturned};
use crate::domain::state::{Recall, WriteModel};
use crate::domain::types::Gtin;
use crate::ids::CustomerId;

/// RecallIssued: the product and every lot named exist, and the recall id
/// is new.
pub(super) fn issue_recall(
    model: &WriteModel,
    c: &IssueRecall,
) -> Result<Vec<Event>, CommandError> {
    let gtin = Gtin::parse(&c.gtin)?;
    text("reason", &c.reason)?;
    if c.lots.is_empty() || c.lots.len() > LINES_MAX {
        return Err(CommandError::invalid(
            "lots",
            format!("a recall names 1 to {LINES_MAX} lots"),
        ));
    }
    if c.serials.len() > SERIALS_PER_SHIPMENT_MAX {
        return Err(CommandError::invalid(
            "serials",
            format!("a recall names at most {SERIALS_PER_SHIPMENT_MAX} serials"),
        ));
    }
    for serial in &c.serials {
        lot_text("serials", serial)?;
    }
    named_once("lots", &c.lots)?;
    named_once("serials", &c.serials)?;
    if !model.products.contains_key(&gtin) {
        return Err(CommandError::not_found("product", &gtin));
    }
    if let Some(lot) = c.lots.iter().find(|lot| model.lot(&gtin, lot).is_none()) {
        return Err(CommandError::not_found("lot", format!("{lot} of {gtin}")));
    }
    if model.recalls.contains_key(&c.recall_id) {
        return Err(CommandError::exists("recall", c.recall_id));
    }
    let scope = Scope {
        gtin: &gtin,
        lots: &c.lots,
        serials: &c.serials,
    };
    let disputes = recall_disputes(model, &scope)?;
    Ok(vec![Event::RecallIssued(RecallIssued {
        recall_id: c.recall_id,
        gtin,
        lots: c.lots.clone(),
        serials: c.serials.clone(),
        class: c.class,
        reason: c.reason.clone(),
        issued_on: c.issued_on,
        disputes,
    })])
}

/// RecallNoticeAcknowledged: the customer received an affected lot, and
/// acknowledges once.
pub(super) fn acknowledge_recall(
    model: &WriteModel,
    c: &AcknowledgeRecall,
) -> Result<Vec<Event>, CommandError> {
    let recall = find_recall(model, c.recall_id)?;
    find_customer(model, c.customer_id)?;
    if recalled_units_shipped(model, recall, c.customer_id) == 0 {
        return Err(CommandError::state(
            "recall",
            c.recall_id,
            format!("customer {} received no affected lot", c.customer_id),
        ));
    }
    if recall.acknowledged.contains(&c.customer_id) {
        return Err(CommandError::state(
            "recall",
            c.recall_id,
            format!("customer {} already acknowledged it", c.customer_id),
        ));
    }
    Ok(vec![Event::RecallNoticeAcknowledged(
        RecallNoticeAcknowledged {
            recall_id: c.recall_id,
            customer_id: c.customer_id,
            acknowledged_on: c.acknowledged_on,
        },
    )])
}

/// RecallUnitsReturned: all the customer's returns together are at most
/// the affected units shipped to it; more is `INVALID_STATE` of the recall.
pub(super) fn record_recall_return(
    model: &WriteModel,
    c: &RecordRecallReturn,
) -> Result<Vec<Event>, CommandError> {
    let quantity = quantity("quantity", c.quantity)?;
    let recall = find_recall(model, c.recall_id)?;
    find_customer(model, c.customer_id)?;
    let shipped = recalled_units_shipped(model, recall, c.customer_id);
    // A customer who has returned nothing has no entry yet.
    let returned = recall.returned.get(&c.customer_id).copied().unwrap_or(0);
    if returned + quantity > shipped {
        return Err(CommandError::InvalidState {
            entity: "recall",
            id: c.recall_id.to_string(),
            reason: format!(
                "customer {} received {shipped} affected units and returned {returned}; {quantity} more cannot be returned",
                c.customer_id
            ),
        });
    }
    let returned = Returned {
        recall_id: c.recall_id,
        customer_id: c.customer_id,
        quantity,
        before: returned,
        of: shipped,
    };
    Ok(vec![Event::RecallUnitsReturned(RecallUnitsReturned {
        recall_id: c.recall_id,
        customer_id: c.customer_id,
        quantity,
        returned_on: c.returned_on,
        settles: settled_by_return(model, &returned)?,
    })])
}

/// Units of the recall's lots shipped to `customer`.
///
/// # Panics
///
/// If the model lacks a lot the recall names: the recall was issued only
/// for lots that exist, and lots are never removed.
fn recalled_units_shipped(model: &WriteModel, recall: &Recall, customer: CustomerId) -> u64 {
    recall
        .lots
        .iter()
        .map(|lot_no| {
            let Some(lot) = model.lot(&recall.gtin, lot_no) else {
                panic!(
                    "a recall names lot {lot_no} of {}, which the write model lacks",
                    recall.gtin
                );
            };
            if recall.serials.is_empty() {
                // No entry: nothing of that lot went to the customer.
                return lot.shipped_to.get(&customer).copied().unwrap_or(0);
            }
            // A recall of serials reaches only the units it names.
            let shipped = model.products.get(&recall.gtin).map(|p| &p.serials);
            let named = (recall.serials.iter())
                .filter(|s| {
                    shipped
                        .and_then(|serials| serials.get(*s))
                        .is_some_and(|to| to.lot == lot.index && to.customer_id == customer)
                })
                .count();
            u64::try_from(named).unwrap_or(u64::MAX)
        })
        .sum()
}

/// Refuses a list naming an entry twice (it would be recalled twice).
fn named_once(field: &str, names: &[String]) -> Result<(), CommandError> {
    let mut seen = std::collections::BTreeSet::new();
    match names.iter().find(|n| !seen.insert(n.as_str())) {
        Some(twice) => Err(CommandError::invalid(
            field,
            format!("{twice} is named twice"),
        )),
        None => Ok(()),
    }
}
