//! The facts of an event (read-models.md "Receivable items"): what it
//! changes about receivable items, with the lookups it needs in the state
//! (the indexes of the entities it names, an allocation's effective date,
//! due dates computed once every billed shipment is accepted, as the write
//! model's `refresh_due_dates` does).

use arledger_core::domain::Event;
use arledger_core::domain::events::{CustomerUpdated, InvoiceIssued, PaymentAllocated};
use arledger_core::domain::terms::{BaseDates, due_date};
use arledger_core::domain::types::CreditReason;
use arledger_core::ids::{CustomerId, InvoiceId, PaymentId, ShipmentId};
use rust_decimal::Decimal;

use super::facts::{
    AcceptedFact, CustomerChange, CustomerFact, DisputeFact, DueDatesFact, DueFact, Fact,
    InstallmentFact, InvoiceFact, PaymentFact, RecallChangeKind, RecallDisputeFact, Reducer,
    ReductionFact, ResolutionFact, ReversalFact, ShippedFact,
};
use super::state::{State, Unfit};

impl State {
    fn customer(&self, id: CustomerId) -> Result<u32, Unfit> {
        self.customer_index
            .get(&id)
            .copied()
            .ok_or_else(|| Unfit(format!("customer {id} unknown")))
    }

    fn shipment(&self, id: ShipmentId) -> Result<u32, Unfit> {
        self.shipment_index
            .get(&id)
            .copied()
            .ok_or_else(|| Unfit(format!("shipment {id} unknown")))
    }

    fn invoice(&self, id: InvoiceId) -> Result<u32, Unfit> {
        self.invoice_index
            .get(&id)
            .copied()
            .ok_or_else(|| Unfit(format!("invoice {id} unknown")))
    }

    fn payment(&self, id: PaymentId) -> Result<u32, Unfit> {
        self.payment_index
            .get(&id)
            .copied()
            .ok_or_else(|| Unfit(format!("payment {id} unknown")))
    }

    /// The fact `event` adds, if it changes receivables. An error names an
    /// entity the state does not know: a log the write model would not
    /// have accepted.
    pub(super) fn fact_of(&self, event: &Event) -> Result<Option<Fact>, Unfit> {
        let reduction = |invoice, by, amount: &arledger_core::money::Money, on| {
            Ok::<_, Unfit>(Some(Fact::Reduced(ReductionFact {
                invoice: self.invoice(invoice)?,
                by,
                installment: None,
                amount: amount.amount,
                on,
            })))
        };
        match event {
            Event::CustomerRegistered(e) => Ok(Some(Fact::Customer(CustomerFact {
                id: e.customer_id,
                name: e.name.clone(),
                region: e.region.clone(),
                salesperson: e.salesperson_id.clone(),
            }))),
            Event::CustomerUpdated(e) => self.customer_change(e),
            Event::OrderShipped(e) => Ok(Some(Fact::Shipped(ShippedFact {
                id: e.shipment_id,
                shipped_on: e.shipped_on,
            }))),
            Event::DeliveryAccepted(e) => Ok(Some(Fact::Accepted(AcceptedFact {
                shipment: self.shipment(e.shipment_id)?,
                accepted_on: e.accepted_on,
            }))),
            Event::InvoiceIssued(e) => self.invoice_fact(e).map(Some),
            Event::CreditNoteIssued(e) => {
                reduction(e.invoice_id, Reducer::CreditNote, &e.amount, e.issued_on)
            }
            Event::InvoiceWrittenOff(e) => {
                reduction(e.invoice_id, Reducer::WriteOff, &e.amount, e.written_off_on)
            }
            Event::PaymentReceived(e) => Ok(Some(Fact::Paid(PaymentFact {
                id: e.payment_id,
                customer: self.customer(e.customer_id)?,
                currency: e.amount.currency,
                amount: e.amount.amount,
                received_on: e.received_on,
            }))),
            Event::PaymentAllocated(e) => self.allocation_fact(e).map(Some),
            Event::PaymentReversed(e) => Ok(Some(Fact::Reversed(ReversalFact {
                payment: self.payment(e.payment_id)?,
                reversed_on: e.reversed_on,
            }))),
            // A recall's dispute is among `recall_facts`.
            Event::DisputeOpened(e) if e.recall_id.is_some() => Ok(None),
            Event::DisputeOpened(e) => Ok(Some(Fact::DisputeOpened(DisputeFact {
                invoice: self.invoice(e.invoice_id)?,
                amount: e.amount.amount,
                opened_on: e.opened_on,
            }))),
            Event::DisputeResolved(e) => Ok(Some(Fact::DisputeResolved(ResolutionFact {
                invoice: self.invoice(e.invoice_id)?,
                resolved_on: e.resolved_on,
            }))),
            // A recovery brings money in on a written-off invoice; it opens
            // nothing again (the write model's open amounts ignore it too).
            Event::WriteOffRecovered(_)
            | Event::CreditLimitSet(_)
            | Event::PaymentTermsSet(_)
            | Event::ProductRegistered(_)
            | Event::LotReleased(_)
            | Event::OrderPlaced(_)
            | Event::OrderHeld(_)
            | Event::OrderReleased(_)
            | Event::OrderRejected(_)
            | Event::OrderCancelled(_)
            | Event::CollectionActivityRecorded(_)
            | Event::RecallIssued(_)
            | Event::RecallNoticeAcknowledged(_)
            | Event::RecallUnitsReturned(_) => Ok(None),
        }
    }

    /// What `event` changes of recall disputes (after its other fact is
    /// added): a recall opens one per invoice it names, an invoice billing
    /// recalled goods opens its own, a return settles what it names, and a
    /// credit note for a recall or a return settles on an invoice that
    /// recalls disputed.
    pub(super) fn recall_facts(&self, event: &Event) -> Result<Vec<Fact>, Unfit> {
        use RecallChangeKind::{Credited, Opened, Returned};
        let fact = |invoice, recall, kind, amount, on| {
            Fact::RecallDispute(RecallDisputeFact {
                invoice,
                recall,
                kind,
                amount,
                on,
            })
        };
        match event {
            Event::RecallIssued(e) => (e.disputes.iter())
                .map(|d| {
                    let invoice = self.invoice(d.invoice_id)?;
                    Ok(fact(
                        invoice,
                        e.recall_id,
                        Opened,
                        d.amount.amount,
                        e.issued_on,
                    ))
                })
                .collect(),
            Event::RecallUnitsReturned(e) => (e.settles.iter())
                .map(|d| {
                    let invoice = self.invoice(d.invoice_id)?;
                    Ok(fact(
                        invoice,
                        e.recall_id,
                        Returned,
                        d.amount.amount,
                        e.returned_on,
                    ))
                })
                .collect(),
            Event::DisputeOpened(e) => match e.recall_id {
                Some(recall) => {
                    let invoice = self.invoice(e.invoice_id)?;
                    Ok(vec![fact(
                        invoice,
                        recall,
                        Opened,
                        e.amount.amount,
                        e.opened_on,
                    )])
                }
                None => Ok(Vec::new()),
            },
            Event::CreditNoteIssued(e)
                if matches!(e.reason, CreditReason::Recall | CreditReason::Return) =>
            {
                let invoice = self.invoice(e.invoice_id)?;
                let mut rest = e.amount.amount;
                let settled = self.recall_tallies(invoice).into_iter().filter_map(|t| {
                    let take = rest.min(t.opened - t.credited);
                    rest -= take;
                    (take > Decimal::ZERO)
                        .then(|| fact(invoice, t.recall, Credited, take, e.issued_on))
                });
                Ok(settled.collect())
            }
            _ => Ok(Vec::new()),
        }
    }

    /// A change of what the report groups by; none for other master data.
    fn customer_change(&self, e: &CustomerUpdated) -> Result<Option<Fact>, Unfit> {
        let customer = self.customer(e.customer_id)?;
        if e.name.is_none() && e.region.is_none() && e.salesperson_id.is_none() {
            return Ok(None);
        }
        Ok(Some(Fact::CustomerChanged(CustomerChange {
            customer,
            name: e.name.clone(),
            region: e.region.clone(),
            salesperson: e.salesperson_id.clone(),
        })))
    }

    fn invoice_fact(&self, e: &InvoiceIssued) -> Result<Fact, Unfit> {
        let installments: Vec<InstallmentFact> = e
            .installments
            .iter()
            .map(|i| InstallmentFact {
                no: i.no,
                amount: i.amount.amount,
                due_on: i.due_on,
                awaiting: i.due_on.is_none().then(|| i.terms.clone()),
            })
            .collect();
        let shipments = if installments.iter().any(|i| i.awaiting.is_some()) {
            self.billed_shipments(e)?
        } else {
            Vec::new()
        };
        Ok(Fact::Invoiced(InvoiceFact {
            id: e.invoice_id,
            number: e.number.clone(),
            customer: self.customer(e.customer_id)?,
            currency: e.currency,
            invoice_date: e.invoice_date,
            installments,
            shipments,
        }))
    }

    /// The shipments `e` bills, in the order its lines first name them.
    fn billed_shipments(&self, e: &InvoiceIssued) -> Result<Vec<u32>, Unfit> {
        let mut shipments = Vec::new();
        for line in e.lines.iter().filter_map(|l| l.shipment_line) {
            let shipment = self.shipment(line.shipment_id)?;
            if !shipments.contains(&shipment) {
                shipments.push(shipment);
            }
        }
        Ok(shipments)
    }

    /// An allocation takes effect on the later of its payment's and its
    /// invoice's dates: until then the money is on account.
    fn allocation_fact(&self, e: &PaymentAllocated) -> Result<Fact, Unfit> {
        let payment = self.payment(e.payment_id)?;
        let invoice = self.invoice(e.invoice_id)?;
        let received_on = usize::try_from(payment)
            .ok()
            .and_then(|p| self.payments.get(p))
            .map(|p| p.received_on);
        let invoice_date = usize::try_from(invoice)
            .ok()
            .and_then(|i| self.invoices.get(i))
            .map(|i| i.invoice_date);
        let (Some(received_on), Some(invoice_date)) = (received_on, invoice_date) else {
            return Err(Unfit(format!(
                "payment {} or invoice {} unknown",
                e.payment_id, e.invoice_id
            )));
        };
        Ok(Fact::Reduced(ReductionFact {
            invoice,
            by: Reducer::Payment(payment),
            installment: e.installment_no,
            amount: e.amount.amount,
            on: received_on.max(invoice_date),
        }))
    }

    /// After shipment `shipment` was accepted: the due dates of the
    /// invoices awaiting it whose shipments are now all accepted.
    pub(super) fn dues_completed_by(&self, shipment: u32) -> Vec<Fact> {
        let awaiting = usize::try_from(shipment)
            .ok()
            .and_then(|s| self.shipments.get(s))
            .map_or(&[][..], |s| &s.awaiting[..]);
        awaiting
            .iter()
            .filter_map(|&invoice| self.dues_known(invoice))
            .map(Fact::DueDatesKnown)
            .collect()
    }

    /// Invoice `invoice`'s acceptance-based due dates, once every shipment
    /// it bills is accepted (and not before, nor twice).
    fn dues_known(&self, invoice: u32) -> Option<DueDatesFact> {
        let record = self.invoices.get(usize::try_from(invoice).ok()?)?;
        let extra = self.extras.get(usize::try_from(record.extra).ok()?)?;
        if extra.dues_known.is_some() {
            return None;
        }
        let mut shipped_on = None;
        let mut accepted_on = None;
        for &s in &extra.shipments {
            let shipment = self.shipments.get(usize::try_from(s).ok()?)?;
            let accepted = shipment.accepted?;
            shipped_on = shipped_on.max(Some(shipment.shipped_on));
            accepted_on = accepted_on.max(Some(accepted.date));
        }
        let base = BaseDates {
            invoice_date: record.invoice_date,
            shipped_on,
            accepted_on,
            has_goods: !extra.shipments.is_empty(),
        };
        let dues = extra
            .awaiting
            .iter()
            .filter_map(|(no, terms)| {
                due_date(terms, &base).map(|due_on| DueFact { no: *no, due_on })
            })
            .collect();
        Some(DueDatesFact {
            invoice,
            accepted_on: accepted_on?,
            dues,
        })
    }
}
