//! Master data (domain.md 3): customers with their credit limits and payment
//! terms, products and lots, and the fold of their events. A customer also
//! keeps its running credit exposure (domain.md 6), which the other modules
//! move as orders, shipments, invoices and payments change, and the lists
//! of its documents that exposure is recomputed from (see `invariants`).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use super::{Broken, Folded, WriteModel, broken, insert_new, known};
use crate::domain::events::{
    CollectionActivityRecorded, CreditLimitSet, CustomerRegistered, CustomerUpdated, LotReleased,
    PaymentTermsSet, ProductRegistered,
};
use crate::domain::terms::PaymentTerms;
use crate::domain::types::{CustomerKind, Gtin, RiskGrade};
use crate::ids::{CustomerId, InvoiceId, OrderId, PaymentId, RecallId, ShipmentId};
use crate::money::{Currency, Money};

/// The parts of a customer's credit exposure in one currency (domain.md 6).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exposure {
    /// Open receivables.
    pub open_receivables: Decimal,
    /// Value shipped but not invoiced.
    pub shipped_not_invoiced: Decimal,
    /// Unshipped rest of open and released orders.
    pub open_orders: Decimal,
    /// Payments not allocated.
    pub unallocated: Decimal,
}

impl Exposure {
    /// open receivables + shipped not invoiced + open orders - unallocated.
    pub fn total(&self) -> Decimal {
        self.open_receivables + self.shipped_not_invoiced + self.open_orders - self.unallocated
    }
}

/// A customer's credit limit and grade.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credit {
    /// Limit.
    pub limit: Money,
    /// Grade.
    pub grade: RiskGrade,
}

/// A customer as the write side knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Customer {
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: CustomerKind,
    /// Region.
    pub region: String,
    /// Salesperson.
    pub salesperson_id: String,
    /// Tax id.
    pub tax_id: Option<String>,
    /// Credit limit, once set.
    pub credit: Option<Credit>,
    /// Default terms, once set.
    pub terms: Option<PaymentTerms>,
    /// Terms agreed in a contract, by contract id: they apply to invoices
    /// naming the contract, and leave the default terms alone.
    pub contract_terms: BTreeMap<String, PaymentTerms>,
    /// Exposure per currency.
    pub exposure: Vec<(Currency, Exposure)>,
    /// Invoices, in issue order.
    pub invoices: Vec<InvoiceId>,
    /// Orders, in placing order: with the shipments, invoices and payments
    /// they let the exposure be recomputed from this customer's own
    /// documents alone.
    pub orders: Vec<OrderId>,
    /// Shipments, in shipping order.
    pub shipments: Vec<ShipmentId>,
    /// Payments, in receipt order.
    pub payments: Vec<PaymentId>,
}

impl Customer {
    /// Exposure parts in `currency` (zero when none).
    pub fn exposure_in(&self, currency: Currency) -> Exposure {
        self.exposure
            .iter()
            .find(|(c, _)| *c == currency)
            .map(|(_, e)| e.clone())
            .unwrap_or_default()
    }

    /// The exposure in `currency`, added at zero on first use.
    pub(super) fn exposure_mut(&mut self, currency: Currency) -> &mut Exposure {
        exposure_entry(&mut self.exposure, currency)
    }
}

/// The entry of `currency` in a list of exposures per currency, added at
/// zero on first use.
pub(super) fn exposure_entry(
    exposure: &mut Vec<(Currency, Exposure)>,
    currency: Currency,
) -> &mut Exposure {
    let index = match exposure.iter().position(|(c, _)| *c == currency) {
        Some(i) => i,
        None => {
            exposure.push((currency, Exposure::default()));
            exposure.len() - 1
        }
    };
    &mut exposure[index].1
}

/// A registered product.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Product {
    /// Name.
    pub name: String,
    /// GS1 company prefix length.
    pub company_prefix_len: u8,
    /// Every serial shipped of it, whatever the lot (a GS1 serial is
    /// unique per GTIN), with where it went.
    pub serials: FxHashMap<String, ShippedSerial>,
}

/// A released lot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lot {
    /// Manufacture date.
    pub manufactured_on: NaiveDate,
    /// Expiry date.
    pub expires_on: NaiveDate,
    /// Units released.
    pub released: u64,
    /// Units shipped.
    pub shipped: u64,
    /// The recall blocking it, if any.
    pub recalled_by: Option<RecallId>,
    /// Serials blocked by a recall that names serials (the rest of the
    /// lot may still ship).
    pub recalled_serials: FxHashMap<String, RecallId>,
    /// Units shipped per customer.
    pub shipped_to: FxHashMap<CustomerId, u64>,
    /// Its number among its product's lots, in release order (what a
    /// shipped serial names it by).
    pub index: u32,
    /// The shipment lines that carried units of it, in shipping order
    /// (what a recall follows to the invoices billing them).
    pub lines: Vec<LotLine>,
}

/// Where a shipped serial went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShippedSerial {
    /// The consignee.
    pub customer_id: CustomerId,
    /// The shipment that carried it.
    pub shipment_id: ShipmentId,
    /// Its lot ([`Lot::index`]).
    pub lot: u32,
}

/// Units of a lot on one shipment line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LotLine {
    /// The shipment.
    pub shipment_id: ShipmentId,
    /// Its line (the order line number).
    pub line_no: u32,
    /// Units of the lot on it.
    pub quantity: u64,
}

impl WriteModel {
    pub(super) fn customer_registered(&mut self, e: &CustomerRegistered) -> Folded {
        let customer = Customer {
            name: e.name.clone(),
            kind: e.kind,
            region: e.region.clone(),
            salesperson_id: e.salesperson_id.clone(),
            tax_id: e.tax_id.clone(),
            credit: None,
            terms: None,
            contract_terms: BTreeMap::new(),
            exposure: Vec::new(),
            invoices: Vec::new(),
            orders: Vec::new(),
            shipments: Vec::new(),
            payments: Vec::new(),
        };
        insert_new(&mut self.customers, e.customer_id, customer, || {
            format!("customer {} registered twice", e.customer_id)
        })
    }

    pub(super) fn customer_updated(&mut self, e: &CustomerUpdated) -> Folded {
        let c = known(&mut self.customers, "customer", &e.customer_id)?;
        if let Some(v) = &e.name {
            c.name = v.clone();
        }
        if let Some(v) = e.kind {
            c.kind = v;
        }
        if let Some(v) = &e.region {
            c.region = v.clone();
        }
        if let Some(v) = &e.salesperson_id {
            c.salesperson_id = v.clone();
        }
        if let Some(v) = &e.tax_id {
            c.tax_id = Some(v.clone());
        }
        Ok(())
    }

    pub(super) fn credit_limit_set(&mut self, e: &CreditLimitSet) -> Folded {
        known(&mut self.customers, "customer", &e.customer_id)?.credit = Some(Credit {
            limit: e.limit,
            grade: e.grade,
        });
        Ok(())
    }

    pub(super) fn payment_terms_set(&mut self, e: &PaymentTermsSet) -> Folded {
        let customer = known(&mut self.customers, "customer", &e.customer_id)?;
        match &e.contract_id {
            Some(contract) => {
                customer
                    .contract_terms
                    .insert(contract.clone(), e.terms.clone());
            }
            None => customer.terms = Some(e.terms.clone()),
        }
        Ok(())
    }

    /// Collection activity changes no state; the customer must exist.
    pub(super) fn collection_activity_recorded(
        &mut self,
        e: &CollectionActivityRecorded,
    ) -> Folded {
        known(&mut self.customers, "customer", &e.customer_id)?;
        Ok(())
    }

    pub(super) fn product_registered(&mut self, e: &ProductRegistered) -> Folded {
        let product = Product {
            name: e.name.clone(),
            company_prefix_len: e.company_prefix_len,
            serials: FxHashMap::default(),
        };
        insert_new(&mut self.products, e.gtin.clone(), product, || {
            format!("product {} registered twice", e.gtin)
        })
    }

    pub(super) fn lot_released(&mut self, e: &LotReleased) -> Folded {
        if !self.products.contains_key(&e.gtin) {
            return Err(broken(format!("product {} unknown", e.gtin)));
        }
        let lots = self.lots.entry(e.gtin.clone()).or_default();
        let index = u32::try_from(lots.len())
            .map_err(|_| broken(format!("too many lots of {}", e.gtin)))?;
        let lot = Lot {
            index,
            manufactured_on: e.manufactured_on,
            expires_on: e.expires_on,
            released: e.quantity,
            shipped: 0,
            recalled_by: None,
            recalled_serials: FxHashMap::default(),
            shipped_to: FxHashMap::default(),
            lines: Vec::new(),
        };
        insert_new(lots, e.lot.clone(), lot, || {
            format!("lot {} of {} released twice", e.lot, e.gtin)
        })
    }
}

/// The lot `lot` of `gtin`, or why the event naming it cannot be folded.
pub(super) fn lot_in<'a>(
    lots: &'a mut FxHashMap<Gtin, FxHashMap<String, Lot>>,
    gtin: &Gtin,
    lot: &str,
) -> Result<&'a mut Lot, Broken> {
    lots.get_mut(gtin)
        .and_then(|lots| lots.get_mut(lot))
        .ok_or_else(|| broken(format!("lot {lot} of {gtin} unknown")))
}
