//! Facts about invoices (read-models.md "Receivable items"): their
//! installments and due dates, the allocations, credit notes and write-offs
//! that reduce them, payment reversals that take allocations back, and
//! disputes. Each also keeps the settled caches of the module docs.

use rust_decimal::Decimal;

use super::{
    Allocation, Dispute, Installment, Invoice, InvoiceExtra, NONE, RecallChange, RecallTally,
    Reduction, Screen, State, Unfit, next_index, nth, nth_mut,
};
use crate::receivables::facts::{
    DisputeFact, DueDatesFact, InvoiceFact, RecallDisputeFact, Reducer, ReductionFact,
    ResolutionFact, ReversalFact,
};
use crate::receivables::stamp::Stamp;

impl State {
    pub(super) fn add_invoice(&mut self, position: u64, f: &InvoiceFact) -> Result<(), Unfit> {
        let index = next_index(&self.invoices, "invoice")?;
        nth(&self.customers, f.customer, "customer")?;
        if self.invoice_index.insert(f.id, index).is_some() {
            return Err(Unfit(format!("invoice {} issued twice", f.id)));
        }
        let first = next_index(&self.installments, "installment")?;
        let count = u32::try_from(f.installments.len())
            .map_err(|_| Unfit(format!("invoice {} has too many installments", f.id)))?;
        self.installments
            .extend(f.installments.iter().map(|i| Installment {
                amount: i.amount,
                no: i.no,
                due_on: i.due_on,
                due_on_acceptance: None,
            }));
        let awaiting: Vec<_> = f
            .installments
            .iter()
            .filter_map(|i| i.awaiting.clone().map(|terms| (i.no, terms)))
            .collect();
        let extra = if awaiting.is_empty() {
            NONE
        } else {
            self.await_acceptance(index, f, awaiting)?
        };
        self.invoice_screens.push(Screen {
            date: f.invoice_date,
            currency: f.currency,
            settled: None,
        });
        self.invoices.push(Invoice {
            position,
            amount: f.installments.iter().map(|i| i.amount).sum(),
            reduced: Decimal::ZERO,
            earliest: None,
            reductions: Vec::new(),
            customer: f.customer,
            invoice_date: f.invoice_date,
            currency: f.currency,
            first,
            count,
            extra,
        });
        self.invoice_ids.push(f.id);
        self.invoice_numbers.push(&f.number);
        nth_mut(&mut self.customers, f.customer, "customer")?
            .invoices
            .push(index);
        Ok(())
    }

    /// Notes invoice `index` on each shipment it bills that is not yet
    /// accepted (the last acceptance makes its due dates known); returns
    /// its new entry in `extras`.
    fn await_acceptance(
        &mut self,
        index: u32,
        f: &InvoiceFact,
        awaiting: Vec<(u32, arledger_core::domain::terms::InstallmentTerms)>,
    ) -> Result<u32, Unfit> {
        for &s in &f.shipments {
            let shipment = nth_mut(&mut self.shipments, s, "shipment")?;
            if shipment.accepted.is_none() {
                shipment.awaiting.push(index);
            }
        }
        let extra = next_index(&self.extras, "invoice extra")?;
        self.extras.push(InvoiceExtra {
            shipments: f.shipments.clone(),
            awaiting,
            ..InvoiceExtra::default()
        });
        Ok(extra)
    }

    /// The extra entry of invoice `invoice`, made if it has none.
    fn extra_mut(&mut self, invoice: u32) -> Result<&mut InvoiceExtra, Unfit> {
        let mut extra = nth(&self.invoices, invoice, "invoice")?.extra;
        if extra == NONE {
            extra = next_index(&self.extras, "invoice extra")?;
            self.extras.push(InvoiceExtra::default());
            nth_mut(&mut self.invoices, invoice, "invoice")?.extra = extra;
        }
        nth_mut(&mut self.extras, extra, "invoice extra")
    }

    pub(super) fn know_due_dates(&mut self, position: u64, f: &DueDatesFact) -> Result<(), Unfit> {
        let invoice = nth(&self.invoices, f.invoice, "invoice")?;
        let (first, count) = (invoice.first, invoice.count);
        let extra = self.extra_mut(f.invoice)?;
        if extra.dues_known.is_some() {
            return Err(Unfit(format!(
                "due dates of invoice {} known twice",
                f.invoice
            )));
        }
        extra.dues_known = Some(Stamp {
            date: f.accepted_on,
            position,
        });
        let installments = usize::try_from(first)
            .ok()
            .zip(usize::try_from(count).ok())
            .and_then(|(first, count)| self.installments.get_mut(first..first + count))
            .ok_or_else(|| Unfit(format!("installments of invoice {} unknown", f.invoice)))?;
        for due in &f.dues {
            let installment = installments
                .iter_mut()
                .find(|i| i.no == due.no)
                .ok_or_else(|| {
                    Unfit(format!(
                        "invoice {} has no installment {}",
                        f.invoice, due.no
                    ))
                })?;
            installment.due_on_acceptance = Some(due.due_on);
        }
        Ok(())
    }

    pub(super) fn reduce(&mut self, position: u64, f: &ReductionFact) -> Result<(), Unfit> {
        nth(&self.invoices, f.invoice, "invoice")?;
        if let Reducer::Payment(p) = f.by {
            self.allocate(p, position, f)?;
        }
        let invoice = nth_mut(&mut self.invoices, f.invoice, "invoice")?;
        invoice.reductions.push(Reduction {
            position,
            amount: f.amount,
            on: f.on,
            installment: f.installment.unwrap_or(0),
            reversed: None,
            credit_note: f.by == Reducer::CreditNote,
        });
        invoice.reduced += f.amount;
        invoice.earliest = Some(match invoice.earliest {
            Some(e) => Stamp {
                date: e.date.min(f.on),
                position: e.position,
            },
            None => Stamp {
                date: f.on,
                position,
            },
        });
        self.refresh_settled(f.invoice)
    }

    /// Payment `p`'s side of an allocation: used up once its allocations
    /// sum to its amount, from when they all hold.
    fn allocate(&mut self, p: u32, position: u64, f: &ReductionFact) -> Result<(), Unfit> {
        let payment = nth_mut(&mut self.payments, p, "payment")?;
        payment.allocations.push(Allocation {
            position,
            amount: f.amount,
            on: f.on,
            invoice: f.invoice,
        });
        payment.allocated += f.amount;
        if payment.allocated < payment.amount {
            return Ok(());
        }
        let used_up = payment
            .allocations
            .iter()
            .map(|a| a.stamp())
            .reduce(Stamp::latest);
        let screen = nth_mut(&mut self.payment_screens, p, "payment")?;
        if screen.settled.is_none() {
            screen.settled = used_up;
        }
        Ok(())
    }

    /// The money bounced: its allocations no longer count at the head, so
    /// the invoices they reduced are no longer settled there.
    pub(super) fn reverse(&mut self, position: u64, f: &ReversalFact) -> Result<(), Unfit> {
        let payment = nth_mut(&mut self.payments, f.payment, "payment")?;
        if payment.reversed.is_some() {
            return Err(Unfit(format!("payment {} reversed twice", f.payment)));
        }
        let reversal = Stamp {
            date: f.reversed_on,
            position,
        };
        payment.reversed = Some(reversal);
        let allocations = payment.allocations.clone();
        for a in allocations {
            let invoice = nth_mut(&mut self.invoices, a.invoice, "invoice")?;
            // One allocation event, one reduction: its position names it.
            let i = invoice
                .reductions
                .binary_search_by_key(&a.position, |r| r.position)
                .map_err(|_| Unfit(format!("invoice {} lost an allocation", a.invoice)))?;
            if let Some(r) = invoice.reductions.get_mut(i) {
                r.reversed = Some(reversal);
            }
            invoice.reduced -= a.amount;
            self.refresh_settled(a.invoice)?;
        }
        Ok(())
    }

    /// Recomputes when invoice `index` is settled by the reductions of
    /// payments never reversed (at the head).
    fn refresh_settled(&mut self, index: u32) -> Result<(), Unfit> {
        let invoice = nth(&self.invoices, index, "invoice")?;
        let settled = if invoice.reduced >= invoice.amount {
            invoice
                .reductions
                .iter()
                .filter(|r| r.reversed.is_none())
                .map(|r| Stamp {
                    date: r.on,
                    position: r.position,
                })
                .reduce(Stamp::latest)
        } else {
            None
        };
        nth_mut(&mut self.invoice_screens, index, "invoice")?.settled = settled;
        Ok(())
    }

    pub(super) fn open_dispute(&mut self, position: u64, f: &DisputeFact) -> Result<(), Unfit> {
        self.extra_mut(f.invoice)?.disputes.push(Dispute {
            opened: Stamp {
                date: f.opened_on,
                position,
            },
            amount: f.amount,
            resolved: None,
        });
        Ok(())
    }

    pub(super) fn change_recall_dispute(
        &mut self,
        position: u64,
        f: &RecallDisputeFact,
    ) -> Result<(), Unfit> {
        self.extra_mut(f.invoice)?
            .recall_disputes
            .push(RecallChange {
                stamp: Stamp {
                    date: f.on,
                    position,
                },
                recall: f.recall,
                kind: f.kind,
                amount: f.amount,
            });
        Ok(())
    }

    /// Each recall's dispute on invoice number `invoice` as the log stands
    /// (what a credit note settles is split among them as the write model
    /// does, oldest first).
    pub(in crate::receivables) fn recall_tallies(&self, invoice: u32) -> Vec<RecallTally> {
        nth(&self.invoices, invoice, "invoice")
            .ok()
            .filter(|i| i.extra != NONE)
            .and_then(|i| nth(&self.extras, i.extra, "invoice extra").ok())
            .map(|e| RecallTally::of(e.recall_disputes.iter()))
            .unwrap_or_default()
    }

    pub(super) fn resolve_dispute(
        &mut self,
        position: u64,
        f: &ResolutionFact,
    ) -> Result<(), Unfit> {
        let extra = nth(&self.invoices, f.invoice, "invoice")?.extra;
        let dispute = nth_mut(&mut self.extras, extra, "invoice extra")?
            .disputes
            .last_mut()
            .filter(|d| d.resolved.is_none())
            .ok_or_else(|| Unfit(format!("invoice {} has no open dispute", f.invoice)))?;
        dispute.resolved = Some(Stamp {
            date: f.resolved_on,
            position,
        });
        Ok(())
    }
}

impl Allocation {
    /// When it holds.
    fn stamp(&self) -> Stamp {
        Stamp {
            date: self.on,
            position: self.position,
        }
    }
}
