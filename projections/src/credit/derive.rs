//! The credit fact of an event, with the indexes of the entities it names.

use std::collections::hash_map::HashMap;
use std::hash::{BuildHasher, Hash};

use arledger_core::domain::Event;
use arledger_core::domain::events::{InvoiceIssued, OrderPlaced};

use super::facts::{Fact, OrderFact, OrderLineFact};
use super::state::{State, Unfit};

/// The index of `id` in `index`, or why the fact does not fit.
fn find<K: Hash + Eq + std::fmt::Display, S: BuildHasher>(
    index: &HashMap<K, u32, S>,
    id: &K,
    kind: &str,
) -> Result<u32, Unfit> {
    index
        .get(id)
        .copied()
        .ok_or_else(|| Unfit(format!("{kind} {id} unknown")))
}

impl State {
    /// The fact `event` adds, if it concerns credit.
    pub(super) fn fact_of(&self, event: &Event) -> Result<Option<Fact>, Unfit> {
        let customer = |id| find(&self.customer_index, id, "customer");
        let order = |id| find(&self.order_index, id, "order");
        let invoice = |id| find(&self.invoice_index, id, "invoice");
        let payment = |id| find(&self.payment_index, id, "payment");
        let fact = match event {
            Event::CustomerRegistered(e) => Fact::Customer {
                id: e.customer_id,
                name: e.name.clone(),
                salesperson: e.salesperson_id.clone(),
            },
            Event::CustomerUpdated(e) if e.name.is_some() || e.salesperson_id.is_some() => {
                Fact::CustomerChanged {
                    customer: customer(&e.customer_id)?,
                    name: e.name.clone(),
                    salesperson: e.salesperson_id.clone(),
                }
            }
            Event::CreditLimitSet(e) => Fact::Limit {
                customer: customer(&e.customer_id)?,
                limit: e.limit.amount,
                currency: e.limit.currency,
                grade: e.grade,
            },
            Event::OrderPlaced(e) => Fact::Ordered(self.order_fact(e)?),
            Event::OrderHeld(e) => Fact::Held {
                order: order(&e.order_id)?,
                reasons: e.reasons.clone(),
            },
            Event::OrderReleased(e) => Fact::Released {
                order: order(&e.order_id)?,
            },
            Event::OrderRejected(e) => Fact::Rejected {
                order: order(&e.order_id)?,
            },
            Event::OrderCancelled(e) => Fact::Cancelled {
                order: order(&e.order_id)?,
            },
            Event::OrderShipped(e) => Fact::Shipped {
                id: e.shipment_id,
                order: order(&e.order_id)?,
                lines: e.lines.iter().map(|l| (l.line_no, l.quantity)).collect(),
            },
            Event::InvoiceIssued(e) => self.invoice_fact(e)?,
            Event::CreditNoteIssued(e) => Fact::Reduced {
                invoice: invoice(&e.invoice_id)?,
                amount: e.amount.amount,
            },
            Event::InvoiceWrittenOff(e) => Fact::Reduced {
                invoice: invoice(&e.invoice_id)?,
                amount: e.amount.amount,
            },
            Event::PaymentReceived(e) => Fact::Paid {
                id: e.payment_id,
                customer: customer(&e.customer_id)?,
                currency: e.amount.currency,
                amount: e.amount.amount,
            },
            Event::PaymentAllocated(e) => Fact::Allocated {
                payment: payment(&e.payment_id)?,
                invoice: invoice(&e.invoice_id)?,
                amount: e.amount.amount,
            },
            Event::PaymentReversed(e) => Fact::Reversed {
                payment: payment(&e.payment_id)?,
            },
            Event::CollectionActivityRecorded(e) => match e.promised_pay_date {
                Some(promised) => Fact::Promised {
                    customer: customer(&e.customer_id)?,
                    on: e.on,
                    promised,
                },
                None => return Ok(None),
            },
            _ => return Ok(None),
        };
        Ok(Some(fact))
    }

    fn order_fact(&self, e: &OrderPlaced) -> Result<OrderFact, Unfit> {
        Ok(OrderFact {
            id: e.order_id,
            number: e.number.clone(),
            customer: find(&self.customer_index, &e.customer_id, "customer")?,
            currency: e.currency,
            placed_on: e.placed_on,
            lines: (e.lines.iter())
                .map(|l| OrderLineFact {
                    line_no: l.line_no,
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                })
                .collect(),
        })
    }

    fn invoice_fact(&self, e: &InvoiceIssued) -> Result<Fact, Unfit> {
        let mut billed = Vec::new();
        for line in &e.lines {
            if let Some(r) = &line.shipment_line {
                let shipment = find(&self.shipment_index, &r.shipment_id, "shipment")?;
                billed.push((shipment, r.line_no, line.quantity));
            }
        }
        Ok(Fact::Invoiced {
            id: e.invoice_id,
            customer: find(&self.customer_index, &e.customer_id, "customer")?,
            currency: e.currency,
            total: e.installments.iter().map(|i| i.amount.amount).sum(),
            billed,
        })
    }
}
