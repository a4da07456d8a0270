//! The chains (traceability.md "Chains regulators ask for") as known at a
//! log position p: by lot (narrowed to a serial), by customer, and a
//! recall's impact. Nothing recorded after p is in an answer.

use arledger_core::domain::types::{Gtin, RiskClass};
use arledger_core::ids::{CustomerId, InvoiceId, OrderId, RecallId, ShipmentId};
use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use super::Trace;
use super::state::{Line, Recall, Shipment, State};
use arledger_core::money::Currency;

use crate::scalars::{at_scale, currency_code, decimal};

/// One shipment of a lot (or of a serial).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentTrace {
    /// The shipment.
    pub shipment_id: ShipmentId,
    /// Its order and the order's number.
    pub order_id: OrderId,
    /// The order's number.
    pub order_number: String,
    /// The consignee.
    pub customer_id: CustomerId,
    /// Its name at p.
    pub customer_name: Option<String>,
    /// Its region at p.
    pub region: Option<String>,
    /// Ship date.
    pub shipped_on: NaiveDate,
    /// Where it went.
    pub ship_to: String,
    /// Units of this lot (or the serial: 1).
    pub quantity: u64,
    /// Their serials.
    pub serials: Vec<String>,
    /// Invoices billing the shipment, recorded by p.
    pub invoice_ids: Vec<InvoiceId>,
    /// Their numbers.
    pub invoice_numbers: Vec<String>,
    /// When the consignee accepted it, if recorded by p.
    pub accepted_on: Option<NaiveDate>,
    /// The log position that recorded it.
    pub position: u64,
}

/// A lot's chain: the contract's `LotTrace`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LotTrace {
    /// The product.
    pub gtin: Gtin,
    /// The lot.
    pub lot: String,
    /// The product's name.
    pub product_name: Option<String>,
    /// The GS1 company prefix length recorded with the product.
    pub company_prefix_len: u8,
    /// Manufacture date.
    pub manufactured_on: NaiveDate,
    /// Expiry date.
    pub expiry: NaiveDate,
    /// Units released.
    pub released_quantity: u64,
    /// Units shipped by p.
    pub shipped_quantity: u64,
    /// Released less shipped.
    pub in_stock: u64,
    /// Every shipment by p, in log order.
    pub shipments: Vec<ShipmentTrace>,
    /// Recalls naming the lot, issued by p.
    pub recalls: Vec<RecallId>,
    /// The serial it was narrowed to, if any.
    pub serial: Option<String>,
}

/// What a customer received: every lot and serial.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerTrace {
    /// The customer.
    pub customer_id: CustomerId,
    /// Its name at p.
    pub name: Option<String>,
    /// Every shipment line it received: (product, lot, shipment).
    pub received: Vec<(Gtin, String, ShipmentTrace)>,
}

/// One consignee of a recall.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecallCustomer {
    /// The consignee.
    pub customer_id: CustomerId,
    /// Its name at p.
    pub name: Option<String>,
    /// Units of the recalled lots (or serials) it received.
    pub quantity_shipped: u64,
    /// Units it returned under the recall, by p.
    pub quantity_returned: u64,
    /// When it acknowledged the notice, if by p.
    pub acknowledged_on: Option<NaiveDate>,
    /// The shipments that carried recalled goods.
    pub shipments: Vec<ShipmentTrace>,
    /// What the invoices carrying them have open (gross, disputed or
    /// not), per currency, at each currency's scale, sorted by code.
    pub open_invoice_amounts: Vec<OpenAmount>,
}

/// An amount open in one currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenAmount {
    /// The currency.
    #[serde(serialize_with = "currency_code")]
    pub currency: Currency,
    /// The amount.
    #[serde(serialize_with = "decimal")]
    pub amount: Decimal,
}

/// A recall's impact as known at p: the contract's `RecallImpact`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecallImpact {
    /// The recall.
    pub recall_id: RecallId,
    /// The product.
    pub gtin: Gtin,
    /// Its lots.
    pub lots: Vec<String>,
    /// The serials it names (empty: the whole lots).
    pub serials: Vec<String>,
    /// Its class.
    pub class: RiskClass,
    /// Why.
    pub reason: String,
    /// Issue date.
    pub issued_on: NaiveDate,
    /// Every consignee, in the order it first received recalled goods.
    pub customers: Vec<RecallCustomer>,
    /// Units shipped in all.
    pub total_shipped: u64,
    /// Units returned in all.
    pub total_returned: u64,
    /// Share of the consignees that acknowledged (0 to 1, 4 decimals; 1
    /// when nothing shipped).
    #[serde(serialize_with = "decimal")]
    pub completion: Decimal,
}

/// A line of the recall list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecallSummary {
    /// The recall.
    pub recall_id: RecallId,
    /// The product.
    pub gtin: Gtin,
    /// Its lots.
    pub lots: Vec<String>,
    /// Its class.
    pub class: RiskClass,
    /// Issue date.
    pub issued_on: NaiveDate,
    /// Consignees reached.
    pub affected_customers: u64,
    /// Share that acknowledged.
    #[serde(serialize_with = "decimal")]
    pub completion: Decimal,
}

impl State {
    fn customer_at(&self, id: CustomerId, p: u64) -> (Option<String>, Option<String>) {
        let version = self
            .customers
            .get(&id)
            .and_then(|c| c.versions.iter().rev().find(|(at, _, _)| *at <= p));
        (
            version.map(|(_, name, _)| name.clone()),
            version.map(|(_, _, region)| region.clone()),
        )
    }

    fn shipment_of(&self, line: &Line) -> Option<&Shipment> {
        self.shipments.get(usize::try_from(line.shipment).ok()?)
    }

    /// A line's shipment as known at p (`None` when recorded after p),
    /// with `serials` and `quantity` as given.
    fn trace_line(
        &self,
        line: &Line,
        p: u64,
        serials: Vec<String>,
        quantity: u64,
    ) -> Option<ShipmentTrace> {
        let s = self.shipment_of(line).filter(|s| s.position <= p)?;
        let (name, region) = self.customer_at(s.customer, p);
        let invoices: Vec<&(InvoiceId, String, u64)> =
            s.invoices.iter().filter(|(_, _, at)| *at <= p).collect();
        Some(ShipmentTrace {
            shipment_id: s.id,
            order_id: s.order_id,
            order_number: s.order_number.clone(),
            customer_id: s.customer,
            customer_name: name,
            region,
            shipped_on: s.shipped_on,
            ship_to: s.ship_to.clone(),
            quantity,
            serials,
            invoice_ids: invoices.iter().map(|(id, _, _)| *id).collect(),
            invoice_numbers: invoices.iter().map(|(_, n, _)| n.clone()).collect(),
            accepted_on: s
                .accepted
                .filter(|(_, at, _)| *at <= p)
                .map(|(on, _, _)| on),
            position: s.position,
        })
    }

    fn lines_of<'s>(&'s self, indexes: &'s [u32]) -> impl Iterator<Item = &'s Line> + 's {
        indexes
            .iter()
            .filter_map(|&i| self.lines.get(usize::try_from(i).ok()?))
    }
}

impl Trace {
    /// Lot `lot` of `gtin` as known at `p`, narrowed to `serial` when
    /// given; `None` when the lot (or the serial's shipment) is unknown at p.
    pub fn lot(&self, gtin: &Gtin, lot: &str, serial: Option<&str>, p: u64) -> Option<LotTrace> {
        let st = &self.state;
        let record = st
            .lots
            .get(&(gtin.clone(), lot.to_string()))
            .filter(|l| l.position <= p)?;
        let product = st.products.get(gtin).filter(|pr| pr.position <= p);
        let mut shipments = Vec::new();
        let mut shipped = 0u64;
        for line in st.lines_of(&record.lines) {
            let Some(trace) = st.trace_line(line, p, line.serials.clone(), line.quantity) else {
                continue;
            };
            shipped = shipped.saturating_add(line.quantity);
            match serial {
                Some(s) if line.serials.iter().any(|x| x == s) => shipments.push(ShipmentTrace {
                    serials: vec![s.to_string()],
                    quantity: 1,
                    ..trace
                }),
                Some(_) => {}
                None => shipments.push(trace),
            }
        }
        let recalls = (record.recalls.iter())
            .filter(|r| st.recalls.get(r).is_some_and(|rc| rc.position <= p))
            .copied()
            .collect();
        Some(LotTrace {
            gtin: gtin.clone(),
            lot: lot.to_string(),
            product_name: product.map(|pr| pr.name.clone()),
            company_prefix_len: product.map_or(7, |pr| pr.company_prefix_len),
            manufactured_on: record.manufactured_on,
            expiry: record.expires_on,
            released_quantity: record.released,
            shipped_quantity: shipped,
            in_stock: record.released.saturating_sub(shipped),
            shipments,
            recalls,
            serial: serial.map(str::to_string),
        })
    }

    /// The lot a serial of `gtin` shipped from, if shipped by `p`.
    pub fn lot_of_serial(&self, gtin: &Gtin, serial: &str, p: u64) -> Option<String> {
        let st = &self.state;
        let line = st
            .lines
            .get(usize::try_from(*st.serials.get(&(gtin.clone(), serial.to_string()))?).ok()?)?;
        st.shipment_of(line).filter(|s| s.position <= p)?;
        Some(line.lot.clone())
    }

    /// Every lot and serial `customer` received by `p`; `None` when the
    /// customer is unknown at p.
    pub fn customer(&self, customer: CustomerId, p: u64) -> Option<CustomerTrace> {
        let st = &self.state;
        let record = st.customers.get(&customer)?;
        let (name, _) = st.customer_at(customer, p);
        name.as_ref()?;
        let received = st
            .lines_of(&record.lines)
            .filter_map(|l| {
                let trace = st.trace_line(l, p, l.serials.clone(), l.quantity)?;
                Some((l.gtin.clone(), l.lot.clone(), trace))
            })
            .collect();
        Some(CustomerTrace {
            customer_id: customer,
            name,
            received,
        })
    }

    /// The recalls issued by `p`, in the order issued.
    pub fn recalls(&self, p: u64) -> Vec<RecallSummary> {
        let st = &self.state;
        (st.recall_order.iter())
            .filter_map(|id| st.recalls.get(id))
            .filter(|r| r.position <= p)
            .map(|r| {
                let customers = self.affected(r, p);
                RecallSummary {
                    recall_id: r.issued.recall_id,
                    gtin: r.issued.gtin.clone(),
                    lots: r.issued.lots.clone(),
                    class: r.issued.class,
                    issued_on: r.issued.issued_on,
                    affected_customers: u64::try_from(customers.len()).unwrap_or(u64::MAX),
                    completion: completion(&customers),
                }
            })
            .collect()
    }

    /// Recall `recall`'s impact as known at `p`; `open_of` gives what an
    /// invoice has open and in which currency (from the receivables at p). `None` when the recall
    /// is unknown at p.
    pub fn recall_impact(
        &self,
        recall: RecallId,
        p: u64,
        open_of: &dyn Fn(InvoiceId) -> Option<(Currency, Decimal)>,
    ) -> Option<RecallImpact> {
        let r = self
            .state
            .recalls
            .get(&recall)
            .filter(|r| r.position <= p)?;
        let mut customers = self.affected(r, p);
        for c in &mut customers {
            let mut invoices: Vec<InvoiceId> = c
                .shipments
                .iter()
                .flat_map(|s| s.invoice_ids.clone())
                .collect();
            invoices.sort_unstable();
            invoices.dedup();
            c.open_invoice_amounts = open_amounts(invoices.into_iter().filter_map(open_of));
        }
        let total_shipped = customers.iter().map(|c| c.quantity_shipped).sum();
        let total_returned = customers.iter().map(|c| c.quantity_returned).sum();
        Some(RecallImpact {
            recall_id: recall,
            gtin: r.issued.gtin.clone(),
            lots: r.issued.lots.clone(),
            serials: r.issued.serials.clone(),
            class: r.issued.class,
            reason: r.issued.reason.clone(),
            issued_on: r.issued.issued_on,
            completion: completion(&customers),
            customers,
            total_shipped,
            total_returned,
        })
    }

    /// The consignees of a recall's goods at p, with their shipments,
    /// acknowledgement and returns (open amounts left at zero).
    fn affected(&self, r: &Recall, p: u64) -> Vec<RecallCustomer> {
        let st = &self.state;
        let mut out: Vec<RecallCustomer> = Vec::new();
        let lines = (r.issued.lots.iter())
            .filter_map(|lot| st.lots.get(&(r.issued.gtin.clone(), lot.clone())))
            .flat_map(|record| st.lines_of(&record.lines));
        for line in lines {
            let (serials, quantity) = recalled_units(r, line);
            let trace = (quantity > 0)
                .then(|| st.trace_line(line, p, serials, quantity))
                .flatten();
            if let Some(trace) = trace {
                consignee(&mut out, r, p, trace);
            }
        }
        out
    }
}

/// The units of `line` a recall reaches: all of them, or its serials the
/// recall names.
fn recalled_units(r: &Recall, line: &Line) -> (Vec<String>, u64) {
    if r.issued.serials.is_empty() {
        return (line.serials.clone(), line.quantity);
    }
    let serials: Vec<String> = (line.serials.iter())
        .filter(|s| r.issued.serials.contains(s))
        .cloned()
        .collect();
    let n = u64::try_from(serials.len()).unwrap_or(u64::MAX);
    (serials, n)
}

/// Adds `trace` to its consignee's entry (made on first sight).
fn consignee(out: &mut Vec<RecallCustomer>, r: &Recall, p: u64, trace: ShipmentTrace) {
    let id = trace.customer_id;
    let at = match out.iter().position(|c| c.customer_id == id) {
        Some(i) => i,
        None => {
            let returned = (r.returned.iter())
                .filter(|(c, _, _, at)| *c == id && *at <= p)
                .map(|(_, n, _, _)| *n)
                .sum();
            let acknowledged_on = (r.acknowledged.iter())
                .find(|(c, _, at)| *c == id && *at <= p)
                .map(|(_, on, _)| *on);
            out.push(RecallCustomer {
                customer_id: id,
                name: trace.customer_name.clone(),
                quantity_shipped: 0,
                quantity_returned: returned,
                acknowledged_on,
                shipments: Vec::new(),
                open_invoice_amounts: Vec::new(),
            });
            out.len() - 1
        }
    };
    if let Some(c) = out.get_mut(at) {
        c.quantity_shipped = c.quantity_shipped.saturating_add(trace.quantity);
        c.shipments.push(trace);
    }
}

/// Share of consignees that acknowledged, 4 decimals; 1 when none.
fn completion(customers: &[RecallCustomer]) -> Decimal {
    let total = customers.len();
    let acknowledged = customers
        .iter()
        .filter(|c| c.acknowledged_on.is_some())
        .count();
    let share = if total == 0 {
        Decimal::ONE
    } else {
        Decimal::from(acknowledged) / Decimal::from(total)
    };
    let mut share = share.round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero);
    share.rescale(4);
    share
}

/// Amounts summed per currency, at each currency's scale, by code.
fn open_amounts(amounts: impl Iterator<Item = (Currency, Decimal)>) -> Vec<OpenAmount> {
    let mut sums: std::collections::BTreeMap<Currency, Decimal> = std::collections::BTreeMap::new();
    for (currency, amount) in amounts {
        *sums.entry(currency).or_default() += amount;
    }
    (sums.into_iter())
        .map(|(currency, amount)| OpenAmount {
            currency,
            amount: at_scale(amount, currency),
        })
        .collect()
}

impl Trace {
    /// Every lot released by `p` with how many consignees it reached by
    /// then, most first (ties by product and lot).
    pub fn lots_by_reach(&self, p: u64) -> Vec<(Gtin, String, usize)> {
        let st = &self.state;
        let mut out: Vec<(Gtin, String, usize)> = (st.lots.iter())
            .filter(|(_, lot)| lot.position <= p)
            .map(|((gtin, lot), record)| {
                let mut consignees: Vec<CustomerId> = (st.lines_of(&record.lines))
                    .filter_map(|l| st.shipment_of(l).filter(|s| s.position <= p))
                    .map(|s| s.customer)
                    .collect();
                consignees.sort_unstable();
                consignees.dedup();
                (gtin.clone(), lot.clone(), consignees.len())
            })
            .collect();
        out.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| (&a.0, &a.1).cmp(&(&b.0, &b.1))));
        out
    }
}
