//! Recalls (domain.md 4: RecallIssued, RecallNoticeAcknowledged,
//! RecallUnitsReturned) and their fold. A recall blocks its lots from
//! shipping (or, when it names serials, those serials only), and counts
//! who acknowledged it and how many units came back.

use rustc_hash::{FxHashMap, FxHashSet};

use super::master::lot_in;
use super::{Folded, WriteModel, add_units, insert_new, known};
use crate::domain::events::{RecallIssued, RecallNoticeAcknowledged, RecallUnitsReturned};
use crate::domain::types::Gtin;
use crate::ids::CustomerId;

/// A recall.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recall {
    /// Product.
    pub gtin: Gtin,
    /// Lots.
    pub lots: Vec<String>,
    /// The serials it names (empty: the whole lots).
    pub serials: Vec<String>,
    /// Customers who acknowledged.
    pub acknowledged: FxHashSet<CustomerId>,
    /// Units returned per customer.
    pub returned: FxHashMap<CustomerId, u64>,
}

impl WriteModel {
    pub(super) fn recall_issued(&mut self, e: &RecallIssued) -> Folded {
        for lot in &e.lots {
            let lot = lot_in(&mut self.lots, &e.gtin, lot)?;
            if e.serials.is_empty() {
                lot.recalled_by = Some(e.recall_id);
            }
            for serial in &e.serials {
                lot.recalled_serials.insert(serial.clone(), e.recall_id);
            }
        }
        for dispute in &e.disputes {
            known(&mut self.invoices, "invoice", &dispute.invoice_id)?
                .open_recall_dispute(e.recall_id, dispute.amount)?;
        }
        let recall = Recall {
            gtin: e.gtin.clone(),
            lots: e.lots.clone(),
            serials: e.serials.clone(),
            acknowledged: FxHashSet::default(),
            returned: FxHashMap::default(),
        };
        insert_new(&mut self.recalls, e.recall_id, recall, || {
            format!("recall {} issued twice", e.recall_id)
        })
    }

    pub(super) fn recall_notice_acknowledged(&mut self, e: &RecallNoticeAcknowledged) -> Folded {
        known(&mut self.recalls, "recall", &e.recall_id)?
            .acknowledged
            .insert(e.customer_id);
        Ok(())
    }

    pub(super) fn recall_units_returned(&mut self, e: &RecallUnitsReturned) -> Folded {
        let recall = known(&mut self.recalls, "recall", &e.recall_id)?;
        let returned = recall.returned.entry(e.customer_id).or_default();
        *returned = add_units(*returned, e.quantity)?;
        for settled in &e.settles {
            known(&mut self.invoices, "invoice", &settled.invoice_id)?
                .settle_recall_dispute(e.recall_id, settled.amount)?;
        }
        Ok(())
    }
}
