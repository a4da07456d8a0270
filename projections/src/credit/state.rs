//! The credit state: per customer, its exposure parts per currency as a
//! series of points (one per event that moved them, cumulative), its
//! master data, limits and grades, held orders and promises to pay, each
//! with the log position that recorded it; and what folding later events
//! needs of orders, shipments, invoices and payments. An answer at
//! position p reads the last point, version or limit at or before p.
//!
//! The parts move exactly as the write model's (core `state`): placing an
//! order adds its value to open orders; holding, rejecting and cancelling
//! take the unshipped rest out, releasing puts it back; shipping moves
//! value from open orders to shipped-not-invoiced; an invoice adds its
//! total to open receivables and takes the value of the shipment lines it
//! bills (at the order's prices) from shipped-not-invoiced; credit notes
//! and write-offs reduce open receivables; a payment adds to unallocated,
//! an allocation moves it off unallocated and off open receivables, a
//! reversal takes what was unallocated away and opens the allocations
//! again. [`State::add`] is the one way a fact gets in, for apply and load.

use arledger_core::domain::types::{HoldReason, RiskGrade};
use arledger_core::ids::{CustomerId, InvoiceId, OrderId, PaymentId, ShipmentId};
use arledger_core::money::Currency;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use super::facts::{Fact, OrderFact};

/// A fact that does not fit the state.
#[derive(Debug)]
pub(super) struct Unfit(pub String);

/// The parts of a customer's exposure in one currency (domain.md 6).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Parts {
    /// Open receivables.
    pub open_receivables: Decimal,
    /// Value shipped but not invoiced.
    pub shipped_not_invoiced: Decimal,
    /// Unshipped rest of open and released orders.
    pub open_orders: Decimal,
    /// Payments not allocated.
    pub unallocated: Decimal,
}

impl Parts {
    /// open receivables + shipped not invoiced + open orders - unallocated.
    pub fn exposure(&self) -> Decimal {
        self.open_receivables + self.shipped_not_invoiced + self.open_orders - self.unallocated
    }
}

/// The parts from `position` on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Point {
    pub position: u64,
    pub parts: Parts,
}

/// Master data from `position` on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Version {
    pub position: u64,
    pub name: String,
    pub salesperson: String,
}

/// A limit and grade from `position` on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Limit {
    pub position: u64,
    pub limit: Decimal,
    pub currency: Currency,
    pub grade: RiskGrade,
}

/// An order held at placement, until released, rejected or cancelled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Held {
    /// The order.
    pub order_id: OrderId,
    /// Its number.
    pub number: String,
    /// Its placing date.
    pub placed_on: NaiveDate,
    /// Its value.
    pub value: Decimal,
    /// Its currency.
    pub currency: Currency,
    /// Why.
    pub reasons: Vec<HoldReason>,
    /// The position that held it.
    pub held_at: u64,
    /// The position that released, rejected or cancelled it.
    pub ended_at: Option<u64>,
}

/// A promise to pay, recorded at `position` on business date `on`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Promise {
    /// Where it was recorded.
    pub position: u64,
    /// The activity's date.
    pub on: NaiveDate,
    /// The date promised.
    pub promised: NaiveDate,
}

/// A customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Customer {
    pub id: CustomerId,
    pub versions: Vec<Version>,
    pub limits: Vec<Limit>,
    /// Per currency, in the order first used.
    pub series: Vec<(Currency, Vec<Point>)>,
    pub held: Vec<Held>,
    pub promises: Vec<Promise>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct OrderLine {
    pub line_no: u32,
    pub quantity: u64,
    pub shipped: u64,
    pub unit_price: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Order {
    pub customer: u32,
    pub currency: Currency,
    pub lines: Vec<OrderLine>,
    pub live: bool,
    /// Its entry in its customer's `held`, while held.
    pub held: Option<usize>,
}

impl Order {
    fn unshipped_value(&self) -> Decimal {
        (self.lines.iter())
            .map(|l| (Decimal::from(l.quantity) - Decimal::from(l.shipped)) * l.unit_price)
            .sum()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Shipment {
    pub order: u32,
    /// (order line, unit price).
    pub prices: Vec<(u32, Decimal)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Document {
    pub customer: u32,
    pub currency: Currency,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Payment {
    pub doc: Document,
    pub amount: Decimal,
    pub allocated: Decimal,
    pub reversed: bool,
}

/// The state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct State {
    pub customers: Vec<Customer>,
    pub customer_index: FxHashMap<CustomerId, u32>,
    pub orders: Vec<Order>,
    pub order_index: FxHashMap<OrderId, u32>,
    pub shipments: Vec<Shipment>,
    pub shipment_index: FxHashMap<ShipmentId, u32>,
    pub invoices: Vec<Document>,
    pub invoice_index: FxHashMap<InvoiceId, u32>,
    pub payments: Vec<Payment>,
    pub payment_index: FxHashMap<PaymentId, u32>,
    /// The order placed last, until a hold takes it.
    pub last_placed: Option<Placed>,
}

/// What a held order shows of its placing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Placed {
    pub id: OrderId,
    pub number: String,
    pub placed_on: NaiveDate,
    pub value: Decimal,
}

/// `items[i]`, or why a fact naming it does not fit.
pub(super) fn nth<'a, T>(items: &'a [T], i: u32, kind: &str) -> Result<&'a T, Unfit> {
    usize::try_from(i)
        .ok()
        .and_then(|i| items.get(i))
        .ok_or_else(|| Unfit(format!("{kind} {i} unknown")))
}

fn nth_mut<'a, T>(items: &'a mut [T], i: u32, kind: &str) -> Result<&'a mut T, Unfit> {
    usize::try_from(i)
        .ok()
        .and_then(|i| items.get_mut(i))
        .ok_or_else(|| Unfit(format!("{kind} {i} unknown")))
}

/// Pushes `item` under `id`; refuses an id seen before.
fn push_new<K: std::hash::Hash + Eq + std::fmt::Display + Copy, T>(
    items: &mut Vec<T>,
    index: &mut FxHashMap<K, u32>,
    id: K,
    item: T,
) -> Result<(), Unfit> {
    let i = u32::try_from(items.len()).map_err(|_| Unfit("too many records".into()))?;
    if index.insert(id, i).is_some() {
        return Err(Unfit(format!("{id} recorded twice")));
    }
    items.push(item);
    Ok(())
}

impl State {
    /// Adds the fact of the event at `position`.
    pub fn add(&mut self, position: u64, fact: &Fact) -> Result<(), Unfit> {
        if position == 0 {
            return Err(Unfit("positions start at 1".into()));
        }
        match fact {
            Fact::Customer {
                id,
                name,
                salesperson,
            } => {
                let customer = Customer {
                    id: *id,
                    versions: vec![Version {
                        position,
                        name: name.clone(),
                        salesperson: salesperson.clone(),
                    }],
                    limits: Vec::new(),
                    series: Vec::new(),
                    held: Vec::new(),
                    promises: Vec::new(),
                };
                push_new(&mut self.customers, &mut self.customer_index, *id, customer)
            }
            Fact::CustomerChanged {
                customer,
                name,
                salesperson,
            } => {
                let c = nth_mut(&mut self.customers, *customer, "customer")?;
                let last = c
                    .versions
                    .last()
                    .cloned()
                    .ok_or_else(|| Unfit("no master data".into()))?;
                c.versions.push(Version {
                    position,
                    name: name.clone().unwrap_or(last.name),
                    salesperson: salesperson.clone().unwrap_or(last.salesperson),
                });
                Ok(())
            }
            Fact::Limit {
                customer,
                limit,
                currency,
                grade,
            } => {
                nth_mut(&mut self.customers, *customer, "customer")?
                    .limits
                    .push(Limit {
                        position,
                        limit: *limit,
                        currency: *currency,
                        grade: *grade,
                    });
                Ok(())
            }
            Fact::Promised {
                customer,
                on,
                promised,
            } => {
                nth_mut(&mut self.customers, *customer, "customer")?
                    .promises
                    .push(Promise {
                        position,
                        on: *on,
                        promised: *promised,
                    });
                Ok(())
            }
            _ => self.add_movement(position, fact),
        }
    }

    /// The facts that move exposure.
    fn add_movement(&mut self, position: u64, fact: &Fact) -> Result<(), Unfit> {
        match fact {
            Fact::Ordered(f) => self.order(position, f),
            Fact::Held { order, reasons } => self.hold(position, *order, reasons),
            Fact::Released { order } => self.set_live(position, *order, true),
            Fact::Rejected { order } | Fact::Cancelled { order } => {
                self.set_live(position, *order, false)
            }
            Fact::Shipped { id, order, lines } => self.ship(position, *id, *order, lines),
            Fact::Invoiced {
                id,
                customer,
                currency,
                total,
                billed,
            } => {
                let doc = Document {
                    customer: *customer,
                    currency: *currency,
                };
                self.invoice(position, *id, doc, *total, billed)
            }
            Fact::Reduced { invoice, amount } => {
                let doc = *nth(&self.invoices, *invoice, "invoice")?;
                self.move_parts(position, doc, |p| p.open_receivables -= *amount)
            }
            Fact::Paid {
                id,
                customer,
                currency,
                amount,
            } => {
                let doc = Document {
                    customer: *customer,
                    currency: *currency,
                };
                let payment = Payment {
                    doc,
                    amount: *amount,
                    allocated: Decimal::ZERO,
                    reversed: false,
                };
                push_new(&mut self.payments, &mut self.payment_index, *id, payment)?;
                self.move_parts(position, doc, |p| p.unallocated += *amount)
            }
            Fact::Allocated {
                payment,
                invoice,
                amount,
            } => {
                nth(&self.invoices, *invoice, "invoice")?;
                let pay = nth_mut(&mut self.payments, *payment, "payment")?;
                pay.allocated += *amount;
                let doc = pay.doc;
                self.move_parts(position, doc, |p| {
                    p.unallocated -= *amount;
                    p.open_receivables -= *amount;
                })
            }
            Fact::Reversed { payment } => {
                let pay = nth_mut(&mut self.payments, *payment, "payment")?;
                let (unallocated, allocated) = (pay.amount - pay.allocated, pay.allocated);
                pay.allocated = Decimal::ZERO;
                pay.reversed = true;
                let doc = pay.doc;
                self.move_parts(position, doc, |p| {
                    p.unallocated -= unallocated;
                    p.open_receivables += allocated;
                })
            }
            Fact::Customer { .. }
            | Fact::CustomerChanged { .. }
            | Fact::Limit { .. }
            | Fact::Promised { .. } => Ok(()),
        }
    }

    /// Changes `doc`'s customer's parts in `doc`'s currency by `change`,
    /// as of `position`.
    fn move_parts(
        &mut self,
        position: u64,
        doc: Document,
        change: impl FnOnce(&mut Parts),
    ) -> Result<(), Unfit> {
        let customer = nth_mut(&mut self.customers, doc.customer, "customer")?;
        let series = match customer.series.iter().position(|(c, _)| *c == doc.currency) {
            Some(i) => &mut customer.series[i].1,
            None => {
                customer.series.push((doc.currency, Vec::new()));
                &mut customer
                    .series
                    .last_mut()
                    .ok_or_else(|| Unfit("no series".into()))?
                    .1
            }
        };
        let mut parts = series.last().map(|p| p.parts).unwrap_or_default();
        change(&mut parts);
        match series.last_mut() {
            Some(last) if last.position == position => last.parts = parts,
            _ => series.push(Point { position, parts }),
        }
        Ok(())
    }

    fn order(&mut self, position: u64, f: &OrderFact) -> Result<(), Unfit> {
        nth(&self.customers, f.customer, "customer")?;
        let order = Order {
            customer: f.customer,
            currency: f.currency,
            lines: (f.lines.iter())
                .map(|l| OrderLine {
                    line_no: l.line_no,
                    quantity: l.quantity,
                    shipped: 0,
                    unit_price: l.unit_price,
                })
                .collect(),
            live: true,
            held: None,
        };
        let value = order.unshipped_value();
        let doc = Document {
            customer: f.customer,
            currency: f.currency,
        };
        push_new(&mut self.orders, &mut self.order_index, f.id, order)?;
        // What a hold, which follows its placing in the same commit, shows.
        self.last_placed = Some(Placed {
            id: f.id,
            number: f.number.clone(),
            placed_on: f.placed_on,
            value,
        });
        self.move_parts(position, doc, |p| p.open_orders += value)
    }

    fn hold(&mut self, position: u64, order: u32, reasons: &[HoldReason]) -> Result<(), Unfit> {
        self.set_live(position, order, false)?;
        let o = nth(&self.orders, order, "order")?;
        let (customer, currency) = (o.customer, o.currency);
        let placed = (self.last_placed.take())
            .filter(|p| self.order_index.get(&p.id) == Some(&order))
            .ok_or_else(|| Unfit(format!("order {order} held, but not just placed")))?;
        let c = nth_mut(&mut self.customers, customer, "customer")?;
        c.held.push(Held {
            order_id: placed.id,
            number: placed.number,
            placed_on: placed.placed_on,
            value: placed.value,
            currency,
            reasons: reasons.to_vec(),
            held_at: position,
            ended_at: None,
        });
        let slot = c.held.len() - 1;
        nth_mut(&mut self.orders, order, "order")?.held = Some(slot);
        Ok(())
    }

    /// An order comes alive (released) or stops being live (held,
    /// rejected, cancelled): its unshipped rest moves in or out of open
    /// orders; a held one stops being held.
    fn set_live(&mut self, position: u64, order: u32, live: bool) -> Result<(), Unfit> {
        let o = nth_mut(&mut self.orders, order, "order")?;
        let was = o.live;
        o.live = live;
        let value = o.unshipped_value();
        let doc = Document {
            customer: o.customer,
            currency: o.currency,
        };
        let slot = o.held;
        if was != live {
            let change = if live { value } else { -value };
            self.move_parts(position, doc, |p| p.open_orders += change)?;
        }
        let customer = nth_mut(&mut self.customers, doc.customer, "customer")?;
        if let Some(held) = slot.and_then(|s| customer.held.get_mut(s))
            && held.ended_at.is_none()
        {
            held.ended_at = Some(position);
        }
        Ok(())
    }

    fn ship(
        &mut self,
        position: u64,
        id: ShipmentId,
        order: u32,
        lines: &[(u32, u64)],
    ) -> Result<(), Unfit> {
        let o = nth_mut(&mut self.orders, order, "order")?;
        let mut value = Decimal::ZERO;
        let mut prices = Vec::new();
        for &(line_no, units) in lines {
            let line = (o.lines.iter_mut())
                .find(|l| l.line_no == line_no)
                .ok_or_else(|| Unfit(format!("order line {line_no} unknown")))?;
            line.shipped = line.shipped.saturating_add(units);
            value += Decimal::from(units) * line.unit_price;
            if !prices.iter().any(|&(n, _)| n == line_no) {
                prices.push((line_no, line.unit_price));
            }
        }
        let doc = Document {
            customer: o.customer,
            currency: o.currency,
        };
        push_new(
            &mut self.shipments,
            &mut self.shipment_index,
            id,
            Shipment { order, prices },
        )?;
        self.move_parts(position, doc, |p| {
            p.open_orders -= value;
            p.shipped_not_invoiced += value;
        })
    }

    fn invoice(
        &mut self,
        position: u64,
        id: InvoiceId,
        doc: Document,
        total: Decimal,
        billed: &[(u32, u32, u64)],
    ) -> Result<(), Unfit> {
        let mut value = Decimal::ZERO;
        for &(shipment, line_no, units) in billed {
            let s = nth(&self.shipments, shipment, "shipment")?;
            let price = (s.prices.iter())
                .find(|(n, _)| *n == line_no)
                .map(|(_, p)| *p)
                .ok_or_else(|| Unfit(format!("shipment line {line_no} unknown")))?;
            value += Decimal::from(units) * price;
        }
        push_new(&mut self.invoices, &mut self.invoice_index, id, doc)?;
        self.move_parts(position, doc, |p| {
            p.open_receivables += total;
            p.shipped_not_invoiced -= value;
        })
    }
}

/// The last of `items` (in position order) recorded at or before `position`.
pub(super) fn last_at<T>(items: &[T], position: u64, at: impl Fn(&T) -> u64) -> Option<&T> {
    let n = items.partition_point(|i| at(i) <= position);
    items.get(n.checked_sub(1)?)
}

impl State {
    /// Customer `id`.
    pub(super) fn customer(&self, id: CustomerId) -> Option<&Customer> {
        let i = usize::try_from(*self.customer_index.get(&id)?).ok()?;
        self.customers.get(i)
    }

    /// `id`'s parts in `currency` at `position`.
    pub(super) fn parts_at(&self, id: CustomerId, currency: Currency, position: u64) -> Parts {
        (self.customer(id))
            .and_then(|c| c.series.iter().find(|(cur, _)| *cur == currency))
            .and_then(|(_, points)| last_at(points, position, |p| p.position))
            .map(|p| p.parts)
            .unwrap_or_default()
    }

    /// `id`'s orders held at `position`.
    pub(super) fn held_at(&self, id: CustomerId, position: u64) -> Vec<Held> {
        (self
            .customer(id)
            .map(|c| &c.held[..])
            .unwrap_or_default()
            .iter())
        .filter(|h| h.held_at <= position && h.ended_at.is_none_or(|e| e > position))
        .map(|h| Held {
            // Its end, recorded after `position`, is not known there.
            ended_at: None,
            ..h.clone()
        })
        .collect()
    }
}
