//! The write model: what `decide` needs to know, folded from events by
//! `apply`. It lives in memory and is rebuilt from the log at open.
//!
//! `apply` only folds. An event that could not have been accepted (an
//! invoice for an unknown customer, say) is an `ApplyError`: it means the log
//! and this code disagree, and the ledger refuses to serve rather than guess.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rustc_hash::{FxHashMap, FxHashSet};
use smallvec::SmallVec;

use super::events::*;
use super::terms::{BaseDates, Installment, PaymentTerms, TermsBase, due_date};
use super::types::{CustomerKind, Gtin, RiskGrade};
use crate::ids::{CreditNoteId, CustomerId, InvoiceId, OrderId, PaymentId, RecallId, ShipmentId};
use crate::money::{Currency, Money};

/// An event that does not fit the state it is applied to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{event} cannot follow the state it was applied to: {reason}")]
pub struct ApplyError {
    /// Event type.
    pub event: &'static str,
    /// What is inconsistent.
    pub reason: String,
}

fn broken(event: &'static str, reason: impl Into<String>) -> ApplyError {
    ApplyError {
        event,
        reason: reason.into(),
    }
}

/// Credit-control settings (domain.md 6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreditPolicy {
    /// With overdue receivables, an order is held when exposure after it
    /// exceeds this share of the limit, in percent. Default 80.
    pub overdue_threshold_percent: Decimal,
}

impl Default for CreditPolicy {
    fn default() -> Self {
        CreditPolicy {
            overdue_threshold_percent: Decimal::from(80),
        }
    }
}

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

    fn exposure_mut(&mut self, currency: Currency) -> &mut Exposure {
        let index = match self.exposure.iter().position(|(c, _)| *c == currency) {
            Some(i) => i,
            None => {
                self.exposure.push((currency, Exposure::default()));
                self.exposure.len() - 1
            }
        };
        &mut self.exposure[index].1
    }
}

/// A registered product.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Product {
    /// Name.
    pub name: String,
    /// GS1 company prefix length.
    pub company_prefix_len: u8,
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
    /// Units shipped per customer.
    pub shipped_to: FxHashMap<CustomerId, u64>,
    /// Serials shipped.
    pub serials: FxHashSet<String>,
}

/// Where an order stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Placed, passed the credit check.
    Open,
    /// Held by the credit check.
    Held,
    /// Released after a hold.
    Released,
    /// Rejected after a hold.
    Rejected,
    /// Remainder cancelled.
    Cancelled,
    /// Some goods shipped.
    PartiallyShipped,
    /// Everything shipped.
    Shipped,
}

impl OrderStatus {
    /// Name as in the GraphQL contract.
    pub fn name(&self) -> &'static str {
        match self {
            OrderStatus::Open => "OPEN",
            OrderStatus::Held => "HELD",
            OrderStatus::Released => "RELEASED",
            OrderStatus::Rejected => "REJECTED",
            OrderStatus::Cancelled => "CANCELLED",
            OrderStatus::PartiallyShipped => "PARTIALLY_SHIPPED",
            OrderStatus::Shipped => "SHIPPED",
        }
    }

    /// Whether its unshipped rest counts in exposure and may ship.
    pub fn is_live(&self) -> bool {
        matches!(
            self,
            OrderStatus::Open | OrderStatus::Released | OrderStatus::PartiallyShipped
        )
    }
}

/// One order line and how much of it has shipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderLineState {
    /// Line number.
    pub line_no: u32,
    /// Product.
    pub gtin: Gtin,
    /// Ordered.
    pub quantity: u64,
    /// Shipped so far.
    pub shipped: u64,
    /// Unit price.
    pub unit_price: Decimal,
}

/// An order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    /// Customer.
    pub customer_id: CustomerId,
    /// Currency.
    pub currency: Currency,
    /// Lines.
    pub lines: Vec<OrderLineState>,
    /// Status.
    pub status: OrderStatus,
}

impl Order {
    fn unshipped_value(&self) -> Decimal {
        self.lines
            .iter()
            .map(|l| Decimal::from(l.quantity - l.shipped) * l.unit_price)
            .sum()
    }
}

/// Units of one order line in a shipment, and how many are invoiced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShippedLine {
    /// Order line number.
    pub line_no: u32,
    /// Units shipped on this shipment.
    pub quantity: u64,
    /// Units invoiced so far.
    pub invoiced: u64,
    /// Unit price of the order line.
    pub unit_price: Decimal,
}

/// A shipment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shipment {
    /// Order.
    pub order_id: OrderId,
    /// Customer.
    pub customer_id: CustomerId,
    /// Currency of the order.
    pub currency: Currency,
    /// Ship date.
    pub shipped_on: NaiveDate,
    /// Acceptance date.
    pub accepted_on: Option<NaiveDate>,
    /// Lines, one per order line.
    pub lines: Vec<ShippedLine>,
    /// Invoices billing it.
    pub invoices: Vec<InvoiceId>,
}

/// An installment's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstallmentState {
    /// Schedule entry.
    pub plan: Installment,
    /// Open amount.
    pub open: Decimal,
}

/// An invoice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invoice {
    /// Customer.
    pub customer_id: CustomerId,
    /// Currency.
    pub currency: Currency,
    /// Invoice date.
    pub invoice_date: NaiveDate,
    /// Installments.
    /// Installments (most invoices have one: kept inline).
    pub installments: SmallVec<[InstallmentState; 1]>,
    /// Shipments billed.
    pub shipments: Vec<ShipmentId>,
    /// Written off so far.
    pub written_off: Decimal,
    /// Recovered after write-off.
    pub recovered: Decimal,
    /// Amount under an open dispute.
    pub disputed: Option<Decimal>,
}

impl Invoice {
    /// Open amount over all installments.
    pub fn open(&self) -> Decimal {
        self.installments.iter().map(|i| i.open).sum()
    }

    /// Whether any open installment is due before `date`.
    pub fn overdue_on(&self, date: NaiveDate) -> bool {
        self.installments
            .iter()
            .any(|i| i.open > Decimal::ZERO && i.plan.due_on.is_some_and(|due| due < date))
    }

    /// Reduces installments by `amount`, the named one or oldest due first
    /// (installments awaiting acceptance last); returns what each took.
    fn fill(&mut self, amount: Decimal, named: Option<u32>) -> SmallVec<[(u32, Decimal); 2]> {
        let mut order: SmallVec<[usize; 4]> = (0..self.installments.len()).collect();
        if let Some(no) = named {
            order.retain(|i| self.installments[*i].plan.no == no);
        } else if order.len() > 1 {
            order.sort_by_key(|&i| {
                let p = &self.installments[i].plan;
                (p.due_on.is_none(), p.due_on, p.no)
            });
        }
        let mut rest = amount;
        let mut taken = SmallVec::new();
        for i in order {
            if rest <= Decimal::ZERO {
                break;
            }
            let inst = &mut self.installments[i];
            let take = rest.min(inst.open);
            if take > Decimal::ZERO {
                inst.open -= take;
                rest -= take;
                taken.push((inst.plan.no, take));
            }
        }
        taken
    }
}

/// A payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payment {
    /// Payer.
    pub customer_id: CustomerId,
    /// Amount.
    pub amount: Money,
    /// Allocated so far.
    pub allocated: Decimal,
    /// Per invoice installment: amount allocated.
    pub allocations: SmallVec<[(InvoiceId, u32, Decimal); 1]>,
    /// Reversed.
    pub reversed: bool,
}

impl Payment {
    /// Not yet allocated (nothing, once reversed: the money bounced).
    pub fn unallocated(&self) -> Decimal {
        if self.reversed {
            return Decimal::ZERO;
        }
        self.amount.amount - self.allocated
    }
}

/// A recall.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recall {
    /// Product.
    pub gtin: Gtin,
    /// Lots.
    pub lots: Vec<String>,
    /// Customers who acknowledged.
    pub acknowledged: FxHashSet<CustomerId>,
    /// Units returned per customer.
    pub returned: FxHashMap<CustomerId, u64>,
}

/// Human document numbers in use (unique per kind, domain.md 1), kept as
/// 128-bit XXH3 fingerprints: no string is copied or compared per document
/// (a chance collision, about n^2 / 2^129, would refuse a new number as
/// taken; it never lets a duplicate through).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DocumentNumbers(FxHashSet<u128>);

impl DocumentNumbers {
    /// Whether `number` is in use.
    pub fn contains(&self, number: &str) -> bool {
        self.0
            .contains(&xxhash_rust::xxh3::xxh3_128(number.as_bytes()))
    }

    /// Marks `number` as in use.
    pub fn insert(&mut self, number: &str) {
        self.0
            .insert(xxhash_rust::xxh3::xxh3_128(number.as_bytes()));
    }
}

/// The write model.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteModel {
    /// Credit-control settings.
    pub policy: CreditPolicy,
    /// Customers.
    pub customers: FxHashMap<CustomerId, Customer>,
    /// Products by GTIN.
    pub products: FxHashMap<Gtin, Product>,
    /// Lots by GTIN, then lot number.
    pub lots: FxHashMap<Gtin, FxHashMap<String, Lot>>,
    /// Orders.
    pub orders: FxHashMap<OrderId, Order>,
    /// Order numbers in use.
    pub order_numbers: DocumentNumbers,
    /// Shipments.
    pub shipments: FxHashMap<ShipmentId, Shipment>,
    /// Invoices. Large values are boxed: growing the map then moves
    /// pointers, not whole invoices (measured with `arledger-benches domain`: apply
    /// about a third faster).
    pub invoices: FxHashMap<InvoiceId, Box<Invoice>>,
    /// Invoice numbers in use.
    pub invoice_numbers: DocumentNumbers,
    /// Credit note ids in use.
    pub credit_notes: FxHashSet<CreditNoteId>,
    /// Payments.
    pub payments: FxHashMap<PaymentId, Box<Payment>>,
    /// Recalls.
    pub recalls: FxHashMap<RecallId, Recall>,
}

impl WriteModel {
    /// An empty model with `policy`.
    pub fn new(policy: CreditPolicy) -> WriteModel {
        WriteModel {
            policy,
            ..WriteModel::default()
        }
    }

    /// A lot, if released.
    pub fn lot(&self, gtin: &Gtin, lot: &str) -> Option<&Lot> {
        self.lots.get(gtin).and_then(|lots| lots.get(lot))
    }

    /// Base dates of an invoice's due dates, from its shipments.
    pub fn base_dates(&self, invoice_date: NaiveDate, shipments: &[ShipmentId]) -> BaseDates {
        let found: Vec<&Shipment> = shipments
            .iter()
            .filter_map(|id| self.shipments.get(id))
            .collect();
        let all_accepted = found.iter().all(|s| s.accepted_on.is_some());
        BaseDates {
            invoice_date,
            shipped_on: found.iter().map(|s| s.shipped_on).max(),
            accepted_on: if all_accepted {
                found.iter().filter_map(|s| s.accepted_on).max()
            } else {
                None
            },
            has_goods: !found.is_empty(),
        }
    }

    /// Folds one event into the model.
    pub fn apply(&mut self, event: &Event) -> Result<(), ApplyError> {
        let name = event.type_name();
        match event {
            Event::CustomerRegistered(e) => {
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
                };
                if self.customers.insert(e.customer_id, customer).is_some() {
                    return Err(broken(
                        name,
                        format!("customer {} registered twice", e.customer_id),
                    ));
                }
            }
            Event::CustomerUpdated(e) => {
                let c = self.customer_mut(name, e.customer_id)?;
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
            }
            Event::CreditLimitSet(e) => {
                self.customer_mut(name, e.customer_id)?.credit = Some(Credit {
                    limit: e.limit,
                    grade: e.grade,
                });
            }
            Event::PaymentTermsSet(e) => {
                let customer = self.customer_mut(name, e.customer_id)?;
                match &e.contract_id {
                    Some(contract) => {
                        customer
                            .contract_terms
                            .insert(contract.clone(), e.terms.clone());
                    }
                    None => customer.terms = Some(e.terms.clone()),
                }
            }
            Event::CollectionActivityRecorded(e) => {
                self.customer_mut(name, e.customer_id)?;
            }
            Event::ProductRegistered(e) => {
                let product = Product {
                    name: e.name.clone(),
                    company_prefix_len: e.company_prefix_len,
                };
                if self.products.insert(e.gtin.clone(), product).is_some() {
                    return Err(broken(name, format!("product {} registered twice", e.gtin)));
                }
            }
            Event::LotReleased(e) => {
                if !self.products.contains_key(&e.gtin) {
                    return Err(broken(name, format!("product {} unknown", e.gtin)));
                }
                let lot = Lot {
                    manufactured_on: e.manufactured_on,
                    expires_on: e.expires_on,
                    released: e.quantity,
                    shipped: 0,
                    recalled_by: None,
                    shipped_to: FxHashMap::default(),
                    serials: FxHashSet::default(),
                };
                if self
                    .lots
                    .entry(e.gtin.clone())
                    .or_default()
                    .insert(e.lot.clone(), lot)
                    .is_some()
                {
                    return Err(broken(
                        name,
                        format!("lot {} of {} released twice", e.lot, e.gtin),
                    ));
                }
            }
            Event::OrderPlaced(e) => {
                let order = Order {
                    customer_id: e.customer_id,
                    currency: e.currency,
                    lines: e
                        .lines
                        .iter()
                        .map(|l| OrderLineState {
                            line_no: l.line_no,
                            gtin: l.gtin.clone(),
                            quantity: l.quantity,
                            shipped: 0,
                            unit_price: l.unit_price,
                        })
                        .collect(),
                    status: OrderStatus::Open,
                };
                let value = order.unshipped_value();
                self.customer_mut(name, e.customer_id)?
                    .exposure_mut(e.currency)
                    .open_orders += value;
                self.order_numbers.insert(&e.number);
                if self.orders.insert(e.order_id, order).is_some() {
                    return Err(broken(name, format!("order {} placed twice", e.order_id)));
                }
            }
            Event::OrderHeld(e) => {
                let (order, customers) = self.order_and_customers(name, e.order_id)?;
                if order.status != OrderStatus::Open {
                    return Err(broken(name, "only a just-placed order can be held"));
                }
                order.status = OrderStatus::Held;
                let value = order.unshipped_value();
                customer_in(customers, name, order.customer_id)?
                    .exposure_mut(order.currency)
                    .open_orders -= value;
            }
            Event::OrderReleased(e) => {
                let (order, customers) = self.order_and_customers(name, e.order_id)?;
                if order.status != OrderStatus::Held {
                    return Err(broken(name, "only a held order can be released"));
                }
                order.status = OrderStatus::Released;
                let value = order.unshipped_value();
                customer_in(customers, name, order.customer_id)?
                    .exposure_mut(order.currency)
                    .open_orders += value;
            }
            Event::OrderRejected(e) => {
                let order = self.order_mut(name, e.order_id)?;
                if order.status != OrderStatus::Held {
                    return Err(broken(name, "only a held order can be rejected"));
                }
                order.status = OrderStatus::Rejected;
            }
            Event::OrderCancelled(e) => {
                let (order, customers) = self.order_and_customers(name, e.order_id)?;
                if order.status.is_live() {
                    let value = order.unshipped_value();
                    customer_in(customers, name, order.customer_id)?
                        .exposure_mut(order.currency)
                        .open_orders -= value;
                }
                order.status = OrderStatus::Cancelled;
            }
            Event::OrderShipped(e) => self.apply_shipped(e)?,
            Event::DeliveryAccepted(e) => {
                let shipment = self
                    .shipments
                    .get_mut(&e.shipment_id)
                    .ok_or_else(|| broken(name, format!("shipment {} unknown", e.shipment_id)))?;
                shipment.accepted_on = Some(e.accepted_on);
                let invoices = shipment.invoices.clone();
                for id in invoices {
                    self.refresh_due_dates(id);
                }
            }
            Event::InvoiceIssued(e) => self.apply_invoice(e)?,
            Event::CreditNoteIssued(e) => {
                self.credit_notes.insert(e.credit_note_id);
                self.reduce_invoice(name, e.invoice_id, e.amount.amount, None)?;
            }
            Event::InvoiceWrittenOff(e) => {
                self.reduce_invoice(name, e.invoice_id, e.amount.amount, None)?;
                self.invoice_mut(name, e.invoice_id)?.written_off += e.amount.amount;
            }
            Event::WriteOffRecovered(e) => {
                self.invoice_mut(name, e.invoice_id)?.recovered += e.amount.amount;
            }
            Event::DisputeOpened(e) => {
                self.invoice_mut(name, e.invoice_id)?.disputed = Some(e.amount.amount);
            }
            Event::DisputeResolved(e) => {
                self.invoice_mut(name, e.invoice_id)?.disputed = None;
            }
            Event::PaymentReceived(e) => {
                self.customer_mut(name, e.customer_id)?
                    .exposure_mut(e.amount.currency)
                    .unallocated += e.amount.amount;
                let payment = Payment {
                    customer_id: e.customer_id,
                    amount: e.amount,
                    allocated: Decimal::ZERO,
                    allocations: SmallVec::new(),
                    reversed: false,
                };
                if self
                    .payments
                    .insert(e.payment_id, Box::new(payment))
                    .is_some()
                {
                    return Err(broken(
                        name,
                        format!("payment {} received twice", e.payment_id),
                    ));
                }
            }
            Event::PaymentAllocated(e) => {
                let amount = e.amount.amount;
                let taken = self.reduce_invoice(name, e.invoice_id, amount, e.installment_no)?;
                let payment = self
                    .payments
                    .get_mut(&e.payment_id)
                    .ok_or_else(|| broken(name, format!("payment {} unknown", e.payment_id)))?;
                payment.allocated += amount;
                payment
                    .allocations
                    .extend(taken.into_iter().map(|(no, a)| (e.invoice_id, no, a)));
                let customer_id = payment.customer_id;
                self.customer_mut(name, customer_id)?
                    .exposure_mut(e.amount.currency)
                    .unallocated -= amount;
            }
            Event::PaymentReversed(e) => {
                let payment = self
                    .payments
                    .get_mut(&e.payment_id)
                    .ok_or_else(|| broken(name, format!("payment {} unknown", e.payment_id)))?;
                let allocations = std::mem::take(&mut payment.allocations);
                let (customer_id, currency) = (payment.customer_id, payment.amount.currency);
                let unallocated = payment.unallocated();
                let allocated = payment.allocated;
                payment.allocated = Decimal::ZERO;
                payment.reversed = true;
                for (invoice_id, no, amount) in allocations {
                    let invoice = self.invoice_mut(name, invoice_id)?;
                    if let Some(inst) = invoice.installments.iter_mut().find(|i| i.plan.no == no) {
                        inst.open += amount;
                    }
                }
                let exposure = self.customer_mut(name, customer_id)?.exposure_mut(currency);
                exposure.unallocated -= unallocated;
                exposure.open_receivables += allocated;
            }
            Event::RecallIssued(e) => {
                for lot in &e.lots {
                    let found = self
                        .lots
                        .get_mut(&e.gtin)
                        .and_then(|lots| lots.get_mut(lot))
                        .ok_or_else(|| broken(name, format!("lot {lot} of {} unknown", e.gtin)))?;
                    found.recalled_by = Some(e.recall_id);
                }
                let recall = Recall {
                    gtin: e.gtin.clone(),
                    lots: e.lots.clone(),
                    acknowledged: FxHashSet::default(),
                    returned: FxHashMap::default(),
                };
                if self.recalls.insert(e.recall_id, recall).is_some() {
                    return Err(broken(name, format!("recall {} issued twice", e.recall_id)));
                }
            }
            Event::RecallNoticeAcknowledged(e) => {
                self.recall_mut(name, e.recall_id)?
                    .acknowledged
                    .insert(e.customer_id);
            }
            Event::RecallUnitsReturned(e) => {
                *self
                    .recall_mut(name, e.recall_id)?
                    .returned
                    .entry(e.customer_id)
                    .or_default() += e.quantity;
            }
        }
        Ok(())
    }

    fn apply_shipped(&mut self, e: &OrderShipped) -> Result<(), ApplyError> {
        // Counts of units come from the log: a sum that overflows is a
        // broken log, not a wrapped count.
        fn add_units(name: &'static str, total: u64, more: u64) -> Result<u64, ApplyError> {
            total
                .checked_add(more)
                .ok_or_else(|| broken(name, "a unit count overflows"))
        }
        let name = "OrderShipped";
        let order = self
            .orders
            .get_mut(&e.order_id)
            .ok_or_else(|| broken(name, format!("order {} unknown", e.order_id)))?;
        let mut shipped_lines: Vec<ShippedLine> = Vec::new();
        let mut value = Decimal::ZERO;
        for line in &e.lines {
            let ol = order
                .lines
                .iter_mut()
                .find(|l| l.line_no == line.line_no)
                .ok_or_else(|| broken(name, format!("order line {} unknown", line.line_no)))?;
            ol.shipped = add_units(name, ol.shipped, line.quantity)?;
            if ol.shipped > ol.quantity {
                return Err(broken(
                    name,
                    format!("line {} shipped beyond its quantity", line.line_no),
                ));
            }
            value += Decimal::from(line.quantity) * ol.unit_price;
            match shipped_lines.iter_mut().find(|s| s.line_no == line.line_no) {
                Some(s) => s.quantity += line.quantity,
                None => shipped_lines.push(ShippedLine {
                    line_no: line.line_no,
                    quantity: line.quantity,
                    invoiced: 0,
                    unit_price: ol.unit_price,
                }),
            }
            let lot = self
                .lots
                .get_mut(&line.gtin)
                .and_then(|lots| lots.get_mut(&line.lot))
                .ok_or_else(|| {
                    broken(name, format!("lot {} of {} unknown", line.lot, line.gtin))
                })?;
            lot.shipped = add_units(name, lot.shipped, line.quantity)?;
            if lot.shipped > lot.released {
                return Err(broken(
                    name,
                    format!(
                        "lot {} of {} shipped beyond its release",
                        line.lot, line.gtin
                    ),
                ));
            }
            let to_customer = lot.shipped_to.entry(order.customer_id).or_default();
            *to_customer = add_units(name, *to_customer, line.quantity)?;
            lot.serials.extend(line.serials.iter().cloned());
        }
        order.status = if order.lines.iter().all(|l| l.shipped == l.quantity) {
            OrderStatus::Shipped
        } else {
            OrderStatus::PartiallyShipped
        };
        let (customer_id, currency) = (order.customer_id, order.currency);
        let exposure = self.customer_mut(name, customer_id)?.exposure_mut(currency);
        exposure.open_orders -= value;
        exposure.shipped_not_invoiced += value;
        let shipment = Shipment {
            order_id: e.order_id,
            customer_id,
            currency,
            shipped_on: e.shipped_on,
            accepted_on: None,
            lines: shipped_lines,
            invoices: Vec::new(),
        };
        if self.shipments.insert(e.shipment_id, shipment).is_some() {
            return Err(broken(
                name,
                format!("shipment {} shipped twice", e.shipment_id),
            ));
        }
        Ok(())
    }

    fn apply_invoice(&mut self, e: &InvoiceIssued) -> Result<(), ApplyError> {
        let name = "InvoiceIssued";
        let mut shipments: Vec<ShipmentId> = Vec::new();
        let mut uninvoiced_value = Decimal::ZERO;
        for line in &e.lines {
            let Some(r) = line.shipment_line else {
                continue;
            };
            let shipment = self
                .shipments
                .get_mut(&r.shipment_id)
                .ok_or_else(|| broken(name, format!("shipment {} unknown", r.shipment_id)))?;
            let sl = shipment
                .lines
                .iter_mut()
                .find(|l| l.line_no == r.line_no)
                .ok_or_else(|| broken(name, format!("shipment line {} unknown", r.line_no)))?;
            sl.invoiced += line.quantity;
            if sl.invoiced > sl.quantity {
                return Err(broken(name, "shipment line invoiced beyond its quantity"));
            }
            uninvoiced_value += Decimal::from(line.quantity) * sl.unit_price;
            if !shipments.contains(&r.shipment_id) {
                shipments.push(r.shipment_id);
                shipment.invoices.push(e.invoice_id);
            }
        }
        let total: Decimal = e.installments.iter().map(|i| i.amount.amount).sum();
        let invoice = Invoice {
            customer_id: e.customer_id,
            currency: e.currency,
            invoice_date: e.invoice_date,
            installments: e
                .installments
                .iter()
                .map(|plan| InstallmentState {
                    open: plan.amount.amount,
                    plan: plan.clone(),
                })
                .collect(),
            shipments,
            written_off: Decimal::ZERO,
            recovered: Decimal::ZERO,
            disputed: None,
        };
        let customer = self.customer_mut(name, e.customer_id)?;
        customer.invoices.push(e.invoice_id);
        let exposure = customer.exposure_mut(e.currency);
        exposure.open_receivables += total;
        exposure.shipped_not_invoiced -= uninvoiced_value;
        self.invoice_numbers.insert(&e.number);
        if self
            .invoices
            .insert(e.invoice_id, Box::new(invoice))
            .is_some()
        {
            return Err(broken(
                name,
                format!("invoice {} issued twice", e.invoice_id),
            ));
        }
        Ok(())
    }

    /// Recomputes acceptance-based due dates after a delivery acceptance.
    fn refresh_due_dates(&mut self, invoice_id: InvoiceId) {
        let Some(invoice) = self.invoices.get(&invoice_id) else {
            return;
        };
        let base = self.base_dates(invoice.invoice_date, &invoice.shipments);
        if let Some(invoice) = self.invoices.get_mut(&invoice_id) {
            for inst in &mut invoice.installments {
                if inst.plan.terms.base == TermsBase::Acceptance {
                    inst.plan.due_on = due_date(&inst.plan.terms, &base);
                }
            }
        }
    }

    /// Reduces an invoice's installments and its customer's open receivables.
    fn reduce_invoice(
        &mut self,
        name: &'static str,
        invoice_id: InvoiceId,
        amount: Decimal,
        named: Option<u32>,
    ) -> Result<SmallVec<[(u32, Decimal); 2]>, ApplyError> {
        let invoice = self.invoice_mut(name, invoice_id)?;
        let taken = invoice.fill(amount, named);
        let filled: Decimal = taken.iter().map(|(_, a)| *a).sum();
        if filled != amount {
            return Err(broken(
                name,
                format!("{amount} exceeds what invoice {invoice_id} has open"),
            ));
        }
        let (customer_id, currency) = (invoice.customer_id, invoice.currency);
        self.customer_mut(name, customer_id)?
            .exposure_mut(currency)
            .open_receivables -= amount;
        Ok(taken)
    }

    fn customer_mut(
        &mut self,
        name: &'static str,
        id: CustomerId,
    ) -> Result<&mut Customer, ApplyError> {
        customer_in(&mut self.customers, name, id)
    }

    fn order_mut(&mut self, name: &'static str, id: OrderId) -> Result<&mut Order, ApplyError> {
        self.orders
            .get_mut(&id)
            .ok_or_else(|| broken(name, format!("order {id} unknown")))
    }

    fn order_and_customers(
        &mut self,
        name: &'static str,
        id: OrderId,
    ) -> Result<(&mut Order, &mut FxHashMap<CustomerId, Customer>), ApplyError> {
        let order = self
            .orders
            .get_mut(&id)
            .ok_or_else(|| broken(name, format!("order {id} unknown")))?;
        Ok((order, &mut self.customers))
    }

    fn invoice_mut(
        &mut self,
        name: &'static str,
        id: InvoiceId,
    ) -> Result<&mut Invoice, ApplyError> {
        self.invoices
            .get_mut(&id)
            .map(|invoice| &mut **invoice)
            .ok_or_else(|| broken(name, format!("invoice {id} unknown")))
    }

    fn recall_mut(&mut self, name: &'static str, id: RecallId) -> Result<&mut Recall, ApplyError> {
        self.recalls
            .get_mut(&id)
            .ok_or_else(|| broken(name, format!("recall {id} unknown")))
    }
}

fn customer_in<'a>(
    customers: &'a mut FxHashMap<CustomerId, Customer>,
    name: &'static str,
    id: CustomerId,
) -> Result<&'a mut Customer, ApplyError> {
    customers
        .get_mut(&id)
        .ok_or_else(|| broken(name, format!("customer {id} unknown")))
}
