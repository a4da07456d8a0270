//! What an event touches: the customers, payments and lots whose running
//! totals `apply` checks after folding it, in debug builds only (see
//! `invariants`). Each is checked against its own documents, so the check
//! costs what those cost, not what the whole model does.

use smallvec::SmallVec;

use super::WriteModel;
use super::invariants::{InvariantError, check_lot, check_payment};
use crate::domain::events::*;
use crate::domain::types::Gtin;
use crate::ids::{CustomerId, InvoiceId, PaymentId};

/// The customers, payments and lots whose totals an event may move,
/// gathered before it is folded (a reversal empties the allocations that
/// name the invoices it reopens). Only debug builds check after each event.
#[derive(Default)]
pub(super) struct Touched<'e> {
    customers: SmallVec<[CustomerId; 2]>,
    payment: Option<PaymentId>,
    lots: SmallVec<[(&'e Gtin, &'e str); 2]>,
}

impl<'e> Touched<'e> {
    /// What `event` touches in `model`, the model it is about to be folded
    /// into.
    pub(super) fn by(model: &WriteModel, event: &'e Event) -> Touched<'e> {
        let mut touched = Touched::default();
        match event {
            Event::CustomerRegistered(CustomerRegistered { customer_id, .. })
            | Event::CustomerUpdated(CustomerUpdated { customer_id, .. })
            | Event::CreditLimitSet(CreditLimitSet { customer_id, .. })
            | Event::PaymentTermsSet(PaymentTermsSet { customer_id, .. })
            | Event::CollectionActivityRecorded(CollectionActivityRecorded {
                customer_id, ..
            })
            | Event::OrderPlaced(OrderPlaced { customer_id, .. })
            | Event::InvoiceIssued(InvoiceIssued { customer_id, .. }) => {
                touched.customer(Some(*customer_id));
            }
            Event::OrderHeld(OrderHeld { order_id, .. })
            | Event::OrderReleased(OrderReleased { order_id, .. })
            | Event::OrderRejected(OrderRejected { order_id, .. })
            | Event::OrderCancelled(OrderCancelled { order_id, .. }) => {
                touched.customer(model.orders.get(order_id).map(|o| o.customer_id));
            }
            Event::OrderShipped(e) => {
                touched.customer(model.orders.get(&e.order_id).map(|o| o.customer_id));
                for line in &e.lines {
                    touched.lot(&line.gtin, &line.lot);
                }
            }
            Event::DeliveryAccepted(e) => {
                touched.customer(model.shipments.get(&e.shipment_id).map(|s| s.customer_id));
            }
            Event::CreditNoteIssued(CreditNoteIssued { invoice_id, .. })
            | Event::InvoiceWrittenOff(InvoiceWrittenOff { invoice_id, .. })
            | Event::WriteOffRecovered(WriteOffRecovered { invoice_id, .. })
            | Event::DisputeOpened(DisputeOpened { invoice_id, .. })
            | Event::DisputeResolved(DisputeResolved { invoice_id, .. }) => {
                touched.invoice(model, *invoice_id);
            }
            Event::PaymentReceived(e) => {
                touched.customer(Some(e.customer_id));
                touched.payment = Some(e.payment_id);
            }
            Event::PaymentAllocated(e) => {
                touched.payment(model, e.payment_id);
                touched.invoice(model, e.invoice_id);
            }
            Event::PaymentReversed(e) => touched.reversal(model, e.payment_id),
            Event::LotReleased(e) => touched.lot(&e.gtin, &e.lot),
            Event::RecallIssued(e) => {
                for lot in &e.lots {
                    touched.lot(&e.gtin, lot);
                }
            }
            Event::ProductRegistered(_)
            | Event::RecallNoticeAcknowledged(_)
            | Event::RecallUnitsReturned(_) => {}
        }
        touched
    }

    fn customer(&mut self, id: Option<CustomerId>) {
        if let Some(id) = id.filter(|id| !self.customers.contains(id)) {
            self.customers.push(id);
        }
    }

    fn invoice(&mut self, model: &WriteModel, id: InvoiceId) {
        self.customer(model.invoices.get(&id).map(|i| i.customer_id));
    }

    fn payment(&mut self, model: &WriteModel, id: PaymentId) {
        self.payment = Some(id);
        self.customer(model.payments.get(&id).map(|p| p.customer_id));
    }

    /// A reversal touches the payment, its customer and the customers of
    /// the invoices its allocations reopen.
    fn reversal(&mut self, model: &WriteModel, id: PaymentId) {
        self.payment(model, id);
        let Some(payment) = model.payments.get(&id) else {
            return;
        };
        for (invoice_id, _, _) in &payment.allocations {
            self.invoice(model, *invoice_id);
        }
    }

    fn lot(&mut self, gtin: &'e Gtin, lot: &'e str) {
        if !self.lots.contains(&(gtin, lot)) {
            self.lots.push((gtin, lot));
        }
    }

    /// Checks the totals of what the event touched, now that it is folded.
    /// An entity the model does not hold has nothing to check: the fold
    /// would have refused the event had it needed it.
    pub(super) fn check(&self, model: &WriteModel) -> Result<(), InvariantError> {
        for id in &self.customers {
            if let Some(customer) = model.customers.get(id) {
                model.check_customer(*id, customer)?;
            }
        }
        if let Some((id, payment)) = self
            .payment
            .and_then(|id| model.payments.get(&id).map(|p| (id, p)))
        {
            check_payment(id, payment)?;
        }
        for (gtin, number) in &self.lots {
            if let Some(lot) = model.lot(gtin, number) {
                check_lot(gtin, number, lot)?;
            }
        }
        Ok(())
    }
}
