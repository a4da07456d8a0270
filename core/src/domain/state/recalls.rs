//! Recalls (domain.md 4: RecallIssued, RecallNoticeAcknowledged,
//! RecallUnitsReturned) and their fold. A recall blocks its lots from
//! shipping (or, when it names serials, those serials only), and counts
//! who acknowledged it and how many units came back.

use std::collections::BTreeMap;

use rustc_hash::{FxHashMap, FxHashSet};

use super::master::lot_in;
use super::{Folded, Lot, Product, WriteModel, add_units, broken, insert_new, known};
use crate::domain::events::{RecallIssued, RecallNoticeAcknowledged, RecallUnitsReturned};
use crate::domain::types::Gtin;
use crate::ids::{CustomerId, ShipmentId};

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

/// The units of `lot` a recall reaches, per shipment line (shipment, order
/// line number) that carried them: every unit, or only the named `serials`
/// (a shipment carrying the lot on several lines fills them in line order).
pub fn recalled_units(
    product: &Product,
    lot: &Lot,
    serials: &[String],
) -> BTreeMap<(ShipmentId, u32), u64> {
    let mut recalled = BTreeMap::new();
    if serials.is_empty() {
        for l in &lot.lines {
            *recalled.entry((l.shipment_id, l.line_no)).or_default() += l.quantity;
        }
        return recalled;
    }
    let mut per_shipment: BTreeMap<ShipmentId, u64> = BTreeMap::new();
    for serial in serials {
        if let Some(to) = product.serials.get(serial).filter(|to| to.lot == lot.index) {
            *per_shipment.entry(to.shipment_id).or_default() += 1;
        }
    }
    for l in &lot.lines {
        let Some(rest) = per_shipment.get_mut(&l.shipment_id) else {
            continue;
        };
        let take = (*rest).min(l.quantity);
        *rest -= take;
        if take > 0 {
            *recalled.entry((l.shipment_id, l.line_no)).or_default() += take;
        }
    }
    recalled
}

impl WriteModel {
    /// Of `units` a new recall reaches on shipment line `line`, those no
    /// earlier recall reached (a line's units are recalled once).
    pub fn newly_recalled(&self, line: (ShipmentId, u32), units: u64) -> u64 {
        let Some(quantity) = (self.shipments.get(&line.0))
            .and_then(|s| s.lines.iter().find(|l| l.line_no == line.1))
            .map(|l| l.quantity)
        else {
            return 0;
        };
        let earlier: u64 = (self.recalled_lines.get(&line))
            .map(|r| r.iter().map(|(_, n)| n).sum())
            .unwrap_or(0);
        units.min(quantity.saturating_sub(earlier))
    }

    pub(super) fn recall_issued(&mut self, e: &RecallIssued) -> Folded {
        let product = (self.products.get(&e.gtin))
            .ok_or_else(|| broken(format!("product {} unknown", e.gtin)))?;
        let mut reached = Vec::new();
        for lot in &e.lots {
            let lot = self
                .lots
                .get(&e.gtin)
                .and_then(|lots| lots.get(lot))
                .ok_or_else(|| broken(format!("lot {lot} of {} unknown", e.gtin)))?;
            reached.extend(recalled_units(product, lot, &e.serials));
        }
        for (line, units) in reached {
            let units = self.newly_recalled(line, units);
            if units > 0 {
                let recalls = self.recalled_lines.entry(line).or_default();
                recalls.push((e.recall_id, units));
            }
        }
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
