//! The running totals of the write model checked against a recomputation
//! from the documents they summarise (domain.md 4 and 6).
//!
//! The folds keep totals so that `decide` reads them in constant time: each
//! customer's exposure per currency (domain.md 6), each payment's allocated
//! amount, each lot's shipped units (in all and per customer), each order
//! line's shipped units and each shipment line's invoiced units. A fold that
//! moves a total wrongly would go unnoticed until a credit check or an
//! allocation decided on it, so here each total is recomputed from the
//! customer's, payment's or lot's own documents and compared. Decimal sums
//! are exact: totals are compared with `==`.
//!
//! `WriteModel::check_invariants` checks the whole model. In debug builds
//! `apply` checks, after each event, the customers, payments and lots that
//! event touched (see `touched`), at a cost proportional to their own
//! documents.

use std::fmt::{self, Display};

use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use super::master::exposure_entry;
use super::{Customer, Exposure, Invoice, Lot, Order, Payment, Shipment, WriteModel};
use crate::domain::types::Gtin;
use crate::ids::{CustomerId, InvoiceId, OrderId, PaymentId, ShipmentId};
use crate::money::Currency;

/// A running total of the write model that disagrees with the documents it
/// summarises. The write model is then wrong, whatever the log says: the
/// message names the entity, the total, the value kept and the value
/// recomputed (or the bound it broke).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvariantError {
    /// A total differs from its recomputation from the documents.
    #[error("{entity}: {total} is kept as {kept}, but recomputes to {recomputed}")]
    Mismatch {
        /// The entity keeping the total, e.g. `customer <id>`.
        entity: String,
        /// Which total, e.g. `open receivables in USD`.
        total: String,
        /// The value the model keeps.
        kept: String,
        /// The value recomputed from the documents.
        recomputed: String,
    },
    /// A total beyond what its document allows.
    #[error("{entity}: {total} is kept as {kept}, but must be {bound}")]
    OutOfBounds {
        /// The entity keeping the total, e.g. `lot <lot> of <GTIN>`.
        entity: String,
        /// Which total, e.g. `units shipped`.
        total: String,
        /// The value the model keeps.
        kept: String,
        /// The bound it breaks, with the value the document sets, e.g.
        /// `at most units released 10`.
        bound: String,
    },
    /// A customer lists a document that the model does not hold, or holds
    /// as another customer's: its exposure cannot be recomputed.
    #[error("{entity} lists {document}, which the model does not hold as its own")]
    Unlisted {
        /// The customer, e.g. `customer <id>`.
        entity: String,
        /// The document, e.g. `invoice <id>`.
        document: String,
    },
}

/// What keeps a total, named in an [`InvariantError`]. Built for every
/// check and turned into text only when one fails.
#[derive(Clone, Copy)]
enum Entity<'a> {
    Customer(CustomerId),
    Payment(PaymentId),
    Lot(&'a Gtin, &'a str),
    OrderLine(OrderId, u32),
    ShipmentLine(ShipmentId, u32),
    Installment(InvoiceId, u32),
    Model,
}

impl Display for Entity<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Entity::Customer(id) => write!(f, "customer {id}"),
            Entity::Payment(id) => write!(f, "payment {id}"),
            Entity::Lot(gtin, lot) => write!(f, "lot {lot} of {gtin}"),
            Entity::OrderLine(id, no) => write!(f, "order {id} line {no}"),
            Entity::ShipmentLine(id, no) => write!(f, "shipment {id} line {no}"),
            Entity::Installment(id, no) => write!(f, "invoice {id} installment {no}"),
            Entity::Model => write!(f, "the write model"),
        }
    }
}

/// `kept` must equal `recomputed`.
fn same<T: PartialEq + Display>(
    entity: Entity<'_>,
    total: impl Display,
    kept: T,
    recomputed: T,
) -> Result<(), InvariantError> {
    if kept == recomputed {
        return Ok(());
    }
    Err(InvariantError::Mismatch {
        entity: entity.to_string(),
        total: total.to_string(),
        kept: kept.to_string(),
        recomputed: recomputed.to_string(),
    })
}

/// `kept` must not exceed `bound`, the value of `what` in its document.
fn at_most<T: PartialOrd + Display>(
    entity: Entity<'_>,
    total: &str,
    kept: T,
    what: &str,
    bound: T,
) -> Result<(), InvariantError> {
    if kept <= bound {
        return Ok(());
    }
    Err(InvariantError::OutOfBounds {
        entity: entity.to_string(),
        total: total.to_string(),
        kept: kept.to_string(),
        bound: format!("at most {what} {bound}"),
    })
}

/// `kept` must not be negative.
fn not_negative(entity: Entity<'_>, total: &str, kept: Decimal) -> Result<(), InvariantError> {
    if kept >= Decimal::ZERO {
        return Ok(());
    }
    Err(InvariantError::OutOfBounds {
        entity: entity.to_string(),
        total: total.to_string(),
        kept: kept.to_string(),
        bound: "at least 0".to_string(),
    })
}

/// The document `id` of `map` when it is customer `owner`'s.
fn own<'a, K, V>(
    map: &'a FxHashMap<K, V>,
    kind: &str,
    id: &K,
    owner: CustomerId,
    owner_of: impl Fn(&V) -> CustomerId,
) -> Result<&'a V, InvariantError>
where
    K: Eq + std::hash::Hash + Display,
{
    map.get(id)
        .filter(|document| owner_of(document) == owner)
        .ok_or_else(|| InvariantError::Unlisted {
            entity: Entity::Customer(owner).to_string(),
            document: format!("{kind} {id}"),
        })
}

/// What a customer's documents add up to: its exposure per currency,
/// the units shipped per order line, and a fingerprint of which documents
/// they are. Both checks build it document by document: the whole-model
/// check in one pass over each table, the per-customer check from the
/// customer's own lists.
#[derive(Default)]
struct Recomputed {
    exposure: Vec<(Currency, Exposure)>,
    /// An order-independent fingerprint of the customer's documents (a
    /// wrapping sum of a 128-bit hash of each kind and id).
    documents: u128,
}

/// How many documents of one kind a customer lists.
type ListLength = fn(&Customer) -> usize;

/// The recomputation of customer `id`'s documents.
fn of(by_customer: &mut FxHashMap<CustomerId, Recomputed>, id: CustomerId) -> &mut Recomputed {
    by_customer.entry(id).or_default()
}

/// Units shipped per order line, summed over the shipments.
type ShippedUnits = FxHashMap<(OrderId, u32), u128>;

/// A document's share of its customer's fingerprint.
fn fingerprint(kind: u8, id: uuid::Uuid) -> u128 {
    let mut bytes = [0u8; 17];
    bytes[0] = kind;
    bytes[1..].copy_from_slice(id.as_bytes());
    xxhash_rust::xxh3::xxh3_128(&bytes)
}

const INVOICE: u8 = 1;
const SHIPMENT: u8 = 2;
const ORDER: u8 = 3;
const PAYMENT: u8 = 4;

/// The fingerprint of the documents `customer` lists.
fn listed_documents(customer: &Customer) -> u128 {
    let ids = (customer.invoices.iter().map(|id| (INVOICE, id.0)))
        .chain(customer.shipments.iter().map(|id| (SHIPMENT, id.0)))
        .chain(customer.orders.iter().map(|id| (ORDER, id.0)))
        .chain(customer.payments.iter().map(|id| (PAYMENT, id.0)));
    ids.fold(0u128, |sum, (kind, id)| {
        sum.wrapping_add(fingerprint(kind, id))
    })
}

/// One half of the whole-model check, as [`WriteModel::check_invariants_joined`]
/// hands it to its `join`.
pub type Half<'a> = dyn Fn() -> Tally + Sync + 'a;

/// What one half of the whole-model check found: the documents it
/// recomputed per customer, or the first total it found wrong.
pub struct Tally(Result<FxHashMap<CustomerId, Recomputed>, InvariantError>);

impl Recomputed {
    /// Adds what another pass recomputed for the same customer.
    fn add(&mut self, more: Recomputed) {
        for (currency, part) in more.exposure {
            let entry = exposure_entry(&mut self.exposure, currency);
            entry.open_receivables += part.open_receivables;
            entry.shipped_not_invoiced += part.shipped_not_invoiced;
            entry.open_orders += part.open_orders;
            entry.unallocated += part.unallocated;
        }
        self.documents = self.documents.wrapping_add(more.documents);
    }

    fn document(&mut self, kind: u8, id: uuid::Uuid) {
        self.documents = self.documents.wrapping_add(fingerprint(kind, id));
    }

    /// An invoice: its installments' bounds, its open amount.
    fn invoice(&mut self, id: InvoiceId, invoice: &Invoice) -> Result<(), InvariantError> {
        check_installments(id, invoice)?;
        self.document(INVOICE, id.0);
        exposure_entry(&mut self.exposure, invoice.currency).open_receivables += invoice.open();
        Ok(())
    }

    /// A shipment: no line invoiced beyond its units; its uninvoiced value;
    /// its units per order line into `shipped`.
    fn shipment(
        &mut self,
        id: ShipmentId,
        shipment: &Shipment,
        shipped: &mut ShippedUnits,
    ) -> Result<(), InvariantError> {
        self.document(SHIPMENT, id.0);
        let entry = exposure_entry(&mut self.exposure, shipment.currency);
        for line in &shipment.lines {
            let entity = Entity::ShipmentLine(id, line.line_no);
            at_most(
                entity,
                "units invoiced",
                line.invoiced,
                "units shipped",
                line.quantity,
            )?;
            entry.shipped_not_invoiced +=
                (Decimal::from(line.quantity) - Decimal::from(line.invoiced)) * line.unit_price;
            *shipped
                .entry((shipment.order_id, line.line_no))
                .or_default() += u128::from(line.quantity);
        }
        Ok(())
    }

    /// An order: each line's shipped units against `shipped` (the units
    /// its shipments carry) and its quantity; a live order's unshipped
    /// value.
    fn order(
        &mut self,
        id: OrderId,
        order: &Order,
        shipped: &ShippedUnits,
    ) -> Result<(), InvariantError> {
        self.document(ORDER, id.0);
        for line in &order.lines {
            let entity = Entity::OrderLine(id, line.line_no);
            // A line no shipment carries has shipped nothing.
            let carried = shipped.get(&(id, line.line_no)).copied();
            same(
                entity,
                "units shipped",
                u128::from(line.shipped),
                carried.unwrap_or_default(),
            )?;
            at_most(
                entity,
                "units shipped",
                line.shipped,
                "units ordered",
                line.quantity,
            )?;
        }
        if order.status.is_live() {
            exposure_entry(&mut self.exposure, order.currency).open_orders +=
                order.unshipped_value();
        }
        Ok(())
    }

    /// A payment: what it leaves unallocated (nothing once reversed).
    fn payment(&mut self, id: PaymentId, payment: &Payment) {
        self.document(PAYMENT, id.0);
        if !payment.reversed {
            let allocated: Decimal = payment.allocations.iter().map(|(_, _, a)| *a).sum();
            exposure_entry(&mut self.exposure, payment.amount.currency).unallocated +=
                payment.amount.amount - allocated;
        }
    }
}

impl WriteModel {
    /// Checks every running total against a recomputation from the
    /// documents it summarises: each customer's exposure per currency
    /// (domain.md 6: its invoices' open installments, its shipments'
    /// uninvoiced units at their unit price, its live orders' unshipped
    /// value, its payments' unallocated amounts), each payment's allocated
    /// amount (the sum of its allocations, none once reversed, at most its
    /// amount), each lot's shipped units (the sum per customer, at most
    /// those released), each order line's shipped units (the sum over its
    /// shipments, at most those ordered), each shipment line's invoiced
    /// units (at most those shipped) and each installment's open amount
    /// (from zero to its amount). Also checks that each customer lists
    /// exactly the orders, shipments, invoices and payments that name it.
    ///
    /// The first total found wrong is the error. One pass over each table,
    /// in table order rather than by looking each document up from its
    /// customer (measured with `arledger-benches rebuild`, where open ends
    /// with this check: the lookups cost about twice the pass).
    pub fn check_invariants(&self) -> Result<(), InvariantError> {
        self.check_invariants_joined(|sales, payments| (sales(), payments()))
    }

    /// [`WriteModel::check_invariants`] in two halves that `join` may run
    /// on two threads (the ledger's open does; the model knows nothing of
    /// threads): one recomputes from invoices, shipments and orders, the
    /// other from payments and lots. The result is the same, the first
    /// error in the same order.
    pub fn check_invariants_joined(
        &self,
        join: impl FnOnce(&Half<'_>, &Half<'_>) -> (Tally, Tally),
    ) -> Result<(), InvariantError> {
        let (sales, payments) = join(&|| self.tally_sales(), &|| self.tally_payments());
        let mut by_customer = sales.0?;
        for (id, more) in payments.0? {
            of(&mut by_customer, id).add(more);
        }
        for (id, customer) in &self.customers {
            let again = by_customer.remove(id).unwrap_or_default();
            compare_exposure(*id, customer, &again.exposure)?;
            if again.documents != listed_documents(customer) {
                return Err(self.misfiled(*id, customer));
            }
        }
        self.check_listings()
    }

    /// Invoices, shipments and orders recomputed per customer.
    fn tally_sales(&self) -> Tally {
        let mut by_customer: FxHashMap<CustomerId, Recomputed> = FxHashMap::default();
        let mut tally = || {
            for (id, invoice) in &self.invoices {
                of(&mut by_customer, invoice.customer_id).invoice(*id, invoice)?;
            }
            let mut shipped = ShippedUnits::default();
            for (id, shipment) in &self.shipments {
                of(&mut by_customer, shipment.customer_id).shipment(*id, shipment, &mut shipped)?;
            }
            for (id, order) in &self.orders {
                of(&mut by_customer, order.customer_id).order(*id, order, &shipped)?;
            }
            Ok(())
        };
        Tally(tally().map(|()| by_customer))
    }

    /// Payments recomputed per customer, and every payment's and lot's own
    /// totals.
    fn tally_payments(&self) -> Tally {
        let mut by_customer: FxHashMap<CustomerId, Recomputed> = FxHashMap::default();
        let mut tally = || {
            for (id, payment) in &self.payments {
                check_payment(*id, payment)?;
                of(&mut by_customer, payment.customer_id).payment(*id, payment);
            }
            let lots =
                (self.lots.iter()).flat_map(|(gtin, lots)| lots.iter().map(move |l| (gtin, l)));
            for (gtin, (number, lot)) in lots {
                check_lot(gtin, number, lot)?;
            }
            Ok(())
        };
        Tally(tally().map(|()| by_customer))
    }

    /// Why `customer` does not list exactly the documents that name it:
    /// the document it lists that is not its own, or else the counts.
    fn misfiled(&self, id: CustomerId, customer: &Customer) -> InvariantError {
        let explained = self
            .check_customer(id, customer)
            .and_then(|()| self.check_listings());
        match explained {
            Err(e) => e,
            Ok(()) => InvariantError::Unlisted {
                entity: Entity::Customer(id).to_string(),
                document: "a list of documents that differs from those naming it".into(),
            },
        }
    }

    /// Every document is listed by one customer: the lists are what the
    /// exposure is recomputed from, and `check_customer` checks that each
    /// listed document is there and the customer's.
    fn check_listings(&self) -> Result<(), InvariantError> {
        let listed =
            |count: fn(&Customer) -> usize| -> usize { self.customers.values().map(count).sum() };
        let lists: [(&str, ListLength, usize); 4] = [
            ("orders", |c| c.orders.len(), self.orders.len()),
            ("shipments", |c| c.shipments.len(), self.shipments.len()),
            ("invoices", |c| c.invoices.len(), self.invoices.len()),
            ("payments", |c| c.payments.len(), self.payments.len()),
        ];
        for (kind, count, held) in lists {
            let total = format_args!("{kind} listed by customers");
            same(Entity::Model, total, listed(count), held)?;
        }
        Ok(())
    }

    /// Checks a customer's exposure and the totals of its orders, shipments
    /// and invoices, reading only the customer's own documents (what debug
    /// builds check after every `apply`).
    pub(super) fn check_customer(
        &self,
        id: CustomerId,
        customer: &Customer,
    ) -> Result<(), InvariantError> {
        let mut again = Recomputed::default();
        for invoice_id in &customer.invoices {
            let invoice = own(&self.invoices, "invoice", invoice_id, id, |i| i.customer_id)?;
            again.invoice(*invoice_id, invoice)?;
        }
        let mut shipped = ShippedUnits::default();
        for shipment_id in &customer.shipments {
            let shipment = own(&self.shipments, "shipment", shipment_id, id, |s| {
                s.customer_id
            })?;
            again.shipment(*shipment_id, shipment, &mut shipped)?;
        }
        for order_id in &customer.orders {
            let order = own(&self.orders, "order", order_id, id, |o| o.customer_id)?;
            again.order(*order_id, order, &shipped)?;
        }
        for payment_id in &customer.payments {
            let payment = own(&self.payments, "payment", payment_id, id, |p| p.customer_id)?;
            again.payment(*payment_id, payment);
        }
        compare_exposure(id, customer, &again.exposure)
    }
}

/// Each installment's open amount is from zero to its amount.
fn check_installments(id: InvoiceId, invoice: &Invoice) -> Result<(), InvariantError> {
    for inst in &invoice.installments {
        let entity = Entity::Installment(id, inst.plan.no);
        not_negative(entity, "amount open", inst.open)?;
        at_most(
            entity,
            "amount open",
            inst.open,
            "its amount",
            inst.plan.amount.amount,
        )?;
    }
    Ok(())
}

/// Compares the exposure kept with the one recomputed, part by part, in
/// every currency either has.
fn compare_exposure(
    id: CustomerId,
    customer: &Customer,
    recomputed: &[(Currency, Exposure)],
) -> Result<(), InvariantError> {
    let currencies = customer
        .exposure
        .iter()
        .chain(recomputed)
        .map(|(currency, _)| *currency);
    for currency in currencies {
        let kept = customer.exposure_in(currency);
        let again = recomputed
            .iter()
            .find(|(c, _)| *c == currency)
            .map(|(_, e)| e.clone())
            .unwrap_or_default();
        let entity = Entity::Customer(id);
        let parts = [
            (
                "open receivables",
                kept.open_receivables,
                again.open_receivables,
            ),
            (
                "shipped not invoiced",
                kept.shipped_not_invoiced,
                again.shipped_not_invoiced,
            ),
            ("open orders", kept.open_orders, again.open_orders),
            ("unallocated payments", kept.unallocated, again.unallocated),
        ];
        for (part, kept, again) in parts {
            same(entity, format_args!("{part} in {currency}"), kept, again)?;
        }
    }
    Ok(())
}

/// A payment's allocated amount is the sum of its allocations (none once
/// reversed) and at most its amount.
pub(super) fn check_payment(id: PaymentId, payment: &Payment) -> Result<(), InvariantError> {
    let entity = Entity::Payment(id);
    let allocations: Decimal = payment.allocations.iter().map(|(_, _, a)| *a).sum();
    same(entity, "amount allocated", payment.allocated, allocations)?;
    if payment.reversed {
        same(
            entity,
            "allocations after its reversal",
            payment.allocations.len(),
            0,
        )?;
    }
    not_negative(entity, "amount allocated", payment.allocated)?;
    at_most(
        entity,
        "amount allocated",
        payment.allocated,
        "its amount",
        payment.amount.amount,
    )
}

/// A lot's shipped units are the sum of those shipped to each customer, and
/// at most those released.
pub(super) fn check_lot(gtin: &Gtin, number: &str, lot: &Lot) -> Result<(), InvariantError> {
    let entity = Entity::Lot(gtin, number);
    let per_customer: u128 = lot.shipped_to.values().map(|n| u128::from(*n)).sum();
    same(
        entity,
        "units shipped",
        u128::from(lot.shipped),
        per_customer,
    )?;
    at_most(
        entity,
        "units shipped",
        lot.shipped,
        "units released",
        lot.released,
    )
}
