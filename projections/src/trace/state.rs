//! The traceability state: products, lots, consignees, shipments with
//! their lots, serials, orders and invoices, acceptances and recalls with
//! their acknowledgements and returns, each with the log position that
//! recorded it, so that an answer at position p leaves out what came
//! after. [`State::add`] is the one way a fact gets in (apply and load).

use arledger_core::domain::events::{
    CustomerRegistered, CustomerUpdated, DeliveryAccepted, LotReleased, OrderShipped,
    ProductRegistered, RecallIssued, RecallNoticeAcknowledged, RecallUnitsReturned,
};
use arledger_core::domain::types::Gtin;
use arledger_core::ids::{CustomerId, InvoiceId, OrderId, RecallId, ShipmentId};
use chrono::{DateTime, NaiveDate, Utc};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// One fact about traceability: the parts of an event the chains need.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) enum Fact {
    Product(ProductRegistered),
    Lot(LotReleased),
    Customer(CustomerRegistered),
    CustomerUpdated(CustomerUpdated),
    Order {
        id: OrderId,
        customer: CustomerId,
        number: String,
    },
    Shipped(OrderShipped),
    Accepted(DeliveryAccepted),
    Invoiced {
        id: InvoiceId,
        number: String,
        shipments: Vec<ShipmentId>,
    },
    Recall(RecallIssued),
    Acknowledged(RecallNoticeAcknowledged),
    Returned(RecallUnitsReturned),
}

/// A fact that does not fit the state.
#[derive(Debug)]
pub(super) struct Unfit(pub String);

/// A product.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Product {
    pub position: u64,
    pub name: String,
    pub company_prefix_len: u8,
}

/// A released lot and the shipment lines that took from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Lot {
    pub position: u64,
    pub recorded_at: DateTime<Utc>,
    pub manufactured_on: NaiveDate,
    pub expires_on: NaiveDate,
    pub released: u64,
    /// Indexes into `lines`, in position order.
    pub lines: Vec<u32>,
    /// Recalls naming it, in position order.
    pub recalls: Vec<RecallId>,
}

/// A consignee: its name and region as known from each position on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Customer {
    pub versions: Vec<(u64, String, String)>,
    /// Indexes into `lines` of what it received, in position order.
    pub lines: Vec<u32>,
}

/// A shipment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Shipment {
    pub id: ShipmentId,
    pub position: u64,
    pub recorded_at: DateTime<Utc>,
    pub order_id: OrderId,
    pub order_number: String,
    pub customer: CustomerId,
    pub shipped_on: NaiveDate,
    pub ship_to: String,
    /// Acceptance: date, position, when recorded.
    pub accepted: Option<(NaiveDate, u64, DateTime<Utc>)>,
    /// Invoices billing it: (id, number, position).
    pub invoices: Vec<(InvoiceId, String, u64)>,
}

/// One line of a shipment: units of one lot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Line {
    pub shipment: u32,
    pub gtin: Gtin,
    pub lot: String,
    pub quantity: u64,
    pub serials: Vec<String>,
}

/// A recall with what followed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Recall {
    pub position: u64,
    pub recorded_at: DateTime<Utc>,
    pub issued: RecallIssued,
    /// (customer, date, position).
    pub acknowledged: Vec<(CustomerId, NaiveDate, u64)>,
    /// (customer, units, date, position).
    pub returned: Vec<(CustomerId, u64, NaiveDate, u64)>,
}

/// The state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct State {
    pub products: FxHashMap<Gtin, Product>,
    pub lots: FxHashMap<(Gtin, String), Lot>,
    pub customers: FxHashMap<CustomerId, Customer>,
    pub orders: FxHashMap<OrderId, (CustomerId, String)>,
    pub shipments: Vec<Shipment>,
    pub shipment_index: FxHashMap<ShipmentId, u32>,
    pub lines: Vec<Line>,
    /// (GTIN, serial) → the line that shipped it.
    pub serials: FxHashMap<(Gtin, String), u32>,
    pub recalls: FxHashMap<RecallId, Recall>,
    /// Recall ids in position order.
    pub recall_order: Vec<RecallId>,
}

fn index(len: usize) -> Result<u32, Unfit> {
    u32::try_from(len).map_err(|_| Unfit("too many records".into()))
}

impl State {
    /// Adds the fact of the event at `position`.
    pub fn add(&mut self, position: u64, at: DateTime<Utc>, fact: &Fact) -> Result<(), Unfit> {
        match fact {
            Fact::Product(e) => {
                let product = Product {
                    position,
                    name: e.name.clone(),
                    company_prefix_len: e.company_prefix_len,
                };
                self.products.insert(e.gtin.clone(), product);
            }
            Fact::Lot(e) => {
                let lot = Lot {
                    position,
                    recorded_at: at,
                    manufactured_on: e.manufactured_on,
                    expires_on: e.expires_on,
                    released: e.quantity,
                    lines: Vec::new(),
                    recalls: Vec::new(),
                };
                self.lots.insert((e.gtin.clone(), e.lot.clone()), lot);
            }
            Fact::Customer(e) => {
                let customer = Customer {
                    versions: vec![(position, e.name.clone(), e.region.clone())],
                    lines: Vec::new(),
                };
                self.customers.insert(e.customer_id, customer);
            }
            Fact::CustomerUpdated(e) => self.update_customer(position, e)?,
            Fact::Order {
                id,
                customer,
                number,
            } => {
                self.orders.insert(*id, (*customer, number.clone()));
            }
            Fact::Shipped(e) => self.ship(position, at, e)?,
            Fact::Accepted(e) => {
                let shipment = self.shipment_mut(e.shipment_id)?;
                shipment.accepted = Some((e.accepted_on, position, at));
            }
            Fact::Invoiced {
                id,
                number,
                shipments,
            } => {
                for s in shipments {
                    self.shipment_mut(*s)?
                        .invoices
                        .push((*id, number.clone(), position));
                }
            }
            Fact::Recall(e) => self.recall(position, at, e)?,
            Fact::Acknowledged(e) => self.recall_mut(e.recall_id)?.acknowledged.push((
                e.customer_id,
                e.acknowledged_on,
                position,
            )),
            Fact::Returned(e) => self.recall_mut(e.recall_id)?.returned.push((
                e.customer_id,
                e.quantity,
                e.returned_on,
                position,
            )),
        }
        Ok(())
    }

    fn update_customer(&mut self, position: u64, e: &CustomerUpdated) -> Result<(), Unfit> {
        let customer = self
            .customers
            .get_mut(&e.customer_id)
            .ok_or_else(|| Unfit(format!("customer {} unknown", e.customer_id)))?;
        let (_, name, region) = customer
            .versions
            .last()
            .cloned()
            .ok_or_else(|| Unfit("a customer without master data".into()))?;
        customer.versions.push((
            position,
            e.name.clone().unwrap_or(name),
            e.region.clone().unwrap_or(region),
        ));
        Ok(())
    }

    fn ship(&mut self, position: u64, at: DateTime<Utc>, e: &OrderShipped) -> Result<(), Unfit> {
        let (customer, number) = self
            .orders
            .get(&e.order_id)
            .cloned()
            .ok_or_else(|| Unfit(format!("order {} unknown", e.order_id)))?;
        let shipment = index(self.shipments.len())?;
        self.shipment_index.insert(e.shipment_id, shipment);
        self.shipments.push(Shipment {
            id: e.shipment_id,
            position,
            recorded_at: at,
            order_id: e.order_id,
            order_number: number,
            customer,
            shipped_on: e.shipped_on,
            ship_to: e.ship_to.clone(),
            accepted: None,
            invoices: Vec::new(),
        });
        for l in &e.lines {
            let line = index(self.lines.len())?;
            self.lots
                .get_mut(&(l.gtin.clone(), l.lot.clone()))
                .ok_or_else(|| Unfit(format!("lot {} of {} unknown", l.lot, l.gtin)))?
                .lines
                .push(line);
            if let Some(c) = self.customers.get_mut(&customer) {
                c.lines.push(line);
            }
            for serial in &l.serials {
                self.serials.insert((l.gtin.clone(), serial.clone()), line);
            }
            self.lines.push(Line {
                shipment,
                gtin: l.gtin.clone(),
                lot: l.lot.clone(),
                quantity: l.quantity,
                serials: l.serials.clone(),
            });
        }
        Ok(())
    }

    fn recall(&mut self, position: u64, at: DateTime<Utc>, e: &RecallIssued) -> Result<(), Unfit> {
        for lot in &e.lots {
            self.lots
                .get_mut(&(e.gtin.clone(), lot.clone()))
                .ok_or_else(|| Unfit(format!("lot {lot} of {} unknown", e.gtin)))?
                .recalls
                .push(e.recall_id);
        }
        self.recall_order.push(e.recall_id);
        let recall = Recall {
            position,
            recorded_at: at,
            issued: e.clone(),
            acknowledged: Vec::new(),
            returned: Vec::new(),
        };
        self.recalls.insert(e.recall_id, recall);
        Ok(())
    }

    fn shipment_mut(&mut self, id: ShipmentId) -> Result<&mut Shipment, Unfit> {
        let i = self
            .shipment_index
            .get(&id)
            .and_then(|&i| usize::try_from(i).ok())
            .ok_or_else(|| Unfit(format!("shipment {id} unknown")))?;
        self.shipments
            .get_mut(i)
            .ok_or_else(|| Unfit(format!("shipment {id} unknown")))
    }

    fn recall_mut(&mut self, id: RecallId) -> Result<&mut Recall, Unfit> {
        self.recalls
            .get_mut(&id)
            .ok_or_else(|| Unfit(format!("recall {id} unknown")))
    }
}
