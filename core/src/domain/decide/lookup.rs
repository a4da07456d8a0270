//! Looking up the entities a command names in the write model: a missing
//! one is the `NOT_FOUND` refusal of domain.md 3-4 ("customer exists",
//! "shipment exists", ...).

use rustc_hash::FxHashMap;

use crate::domain::error::CommandError;
use crate::domain::state::{Customer, Invoice, Order, Payment, Recall, Shipment, WriteModel};
use crate::ids::{CustomerId, InvoiceId, OrderId, PaymentId, RecallId, ShipmentId};

/// The entity under `id` in `map`, or `NOT_FOUND` naming it as `entity`.
fn find<'a, K, V>(
    map: &'a FxHashMap<K, V>,
    entity: &'static str,
    id: K,
) -> Result<&'a V, CommandError>
where
    K: std::hash::Hash + Eq + std::fmt::Display,
{
    map.get(&id)
        .ok_or_else(|| CommandError::not_found(entity, id))
}

/// A registered customer.
pub(super) fn find_customer(model: &WriteModel, id: CustomerId) -> Result<&Customer, CommandError> {
    find(&model.customers, "customer", id)
}

/// A placed order.
pub(super) fn find_order(model: &WriteModel, id: OrderId) -> Result<&Order, CommandError> {
    find(&model.orders, "order", id)
}

/// An issued invoice.
pub(super) fn find_invoice(model: &WriteModel, id: InvoiceId) -> Result<&Invoice, CommandError> {
    find(&model.invoices, "invoice", id).map(|invoice| &**invoice)
}

/// A received payment.
pub(super) fn find_payment(model: &WriteModel, id: PaymentId) -> Result<&Payment, CommandError> {
    find(&model.payments, "payment", id).map(|payment| &**payment)
}

/// A shipment.
pub(super) fn find_shipment(model: &WriteModel, id: ShipmentId) -> Result<&Shipment, CommandError> {
    find(&model.shipments, "shipment", id)
}

/// An issued recall.
pub(super) fn find_recall(model: &WriteModel, id: RecallId) -> Result<&Recall, CommandError> {
    find(&model.recalls, "recall", id)
}

/// A customer's invoices, in issue order, with their ids.
///
/// # Panics
///
/// If the customer lists an invoice the model lacks: `apply` records an
/// invoice and its customer's list together, so the write model would be
/// broken, and skipping the invoice would hide receivables from the
/// credit check and from auto-allocation.
pub(super) fn customer_invoices<'a>(
    model: &'a WriteModel,
    customer: &'a Customer,
) -> impl Iterator<Item = (InvoiceId, &'a Invoice)> + 'a {
    customer.invoices.iter().map(move |id| {
        let Some(invoice) = model.invoices.get(id) else {
            panic!("a customer lists invoice {id}, which the write model lacks");
        };
        (*id, &**invoice)
    })
}
