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
use super::{Customer, Exposure, Invoice, Lot, Payment, WriteModel};
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
    /// (from zero to its amount). Also checks that every order, shipment,
    /// invoice and payment is listed by its customer.
    ///
    /// The first total found wrong is the error. The cost is linear in the
    /// size of the model.
    pub fn check_invariants(&self) -> Result<(), InvariantError> {
        for (id, customer) in &self.customers {
            self.check_customer(*id, customer)?;
        }
        for (id, payment) in &self.payments {
            check_payment(*id, payment)?;
        }
        for (gtin, lots) in &self.lots {
            for (number, lot) in lots {
                check_lot(gtin, number, lot)?;
            }
        }
        self.check_listings()
    }

    /// Every document is listed by one customer: the lists are what the
    /// exposure is recomputed from, and `check_customer` checks that each
    /// listed document is there and the customer's.
    fn check_listings(&self) -> Result<(), InvariantError> {
        let listed =
            |count: fn(&Customer) -> usize| -> usize { self.customers.values().map(count).sum() };
        let model = Entity::Model;
        same(
            model,
            "orders listed by customers",
            listed(|c| c.orders.len()),
            self.orders.len(),
        )?;
        same(
            model,
            "shipments listed by customers",
            listed(|c| c.shipments.len()),
            self.shipments.len(),
        )?;
        same(
            model,
            "invoices listed by customers",
            listed(|c| c.invoices.len()),
            self.invoices.len(),
        )?;
        same(
            model,
            "payments listed by customers",
            listed(|c| c.payments.len()),
            self.payments.len(),
        )
    }

    /// Checks a customer's exposure and the totals of its orders, shipments
    /// and invoices, reading only the customer's own documents.
    pub(super) fn check_customer(
        &self,
        id: CustomerId,
        customer: &Customer,
    ) -> Result<(), InvariantError> {
        let mut exposure: Vec<(Currency, Exposure)> = Vec::new();
        for invoice_id in &customer.invoices {
            let invoice = own(&self.invoices, "invoice", invoice_id, id, |i| i.customer_id)?;
            check_installments(*invoice_id, invoice)?;
            exposure_entry(&mut exposure, invoice.currency).open_receivables += invoice.open();
        }
        let shipped = self.recompute_shipments(id, customer, &mut exposure)?;
        self.recompute_orders(id, customer, &shipped, &mut exposure)?;
        for payment_id in &customer.payments {
            let payment = own(&self.payments, "payment", payment_id, id, |p| p.customer_id)?;
            if !payment.reversed {
                let allocated: Decimal = payment.allocations.iter().map(|(_, _, a)| *a).sum();
                exposure_entry(&mut exposure, payment.amount.currency).unallocated +=
                    payment.amount.amount - allocated;
            }
        }
        compare_exposure(id, customer, &exposure)
    }

    /// Adds the customer's shipped but not invoiced value to `exposure`,
    /// checks that no shipment line is invoiced beyond its units, and
    /// returns the units shipped per order line.
    fn recompute_shipments(
        &self,
        id: CustomerId,
        customer: &Customer,
        exposure: &mut Vec<(Currency, Exposure)>,
    ) -> Result<FxHashMap<(OrderId, u32), u128>, InvariantError> {
        let mut shipped: FxHashMap<(OrderId, u32), u128> = FxHashMap::default();
        for shipment_id in &customer.shipments {
            let shipment = own(&self.shipments, "shipment", shipment_id, id, |s| {
                s.customer_id
            })?;
            let entry = exposure_entry(exposure, shipment.currency);
            for line in &shipment.lines {
                let entity = Entity::ShipmentLine(*shipment_id, line.line_no);
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
        }
        Ok(shipped)
    }

    /// Adds the unshipped value of the customer's live orders to
    /// `exposure`, and checks each order line's shipped units against
    /// `shipped`, the units its shipments carry.
    fn recompute_orders(
        &self,
        id: CustomerId,
        customer: &Customer,
        shipped: &FxHashMap<(OrderId, u32), u128>,
        exposure: &mut Vec<(Currency, Exposure)>,
    ) -> Result<(), InvariantError> {
        for order_id in &customer.orders {
            let order = own(&self.orders, "order", order_id, id, |o| o.customer_id)?;
            for line in &order.lines {
                let entity = Entity::OrderLine(*order_id, line.line_no);
                // A line no shipment carries has shipped nothing.
                let carried = shipped.get(&(*order_id, line.line_no)).copied();
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
                exposure_entry(exposure, order.currency).open_orders += order.unshipped_value();
            }
        }
        Ok(())
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
