//! Invoices and their installments (domain.md 4: InvoiceIssued,
//! CreditNoteIssued, InvoiceWrittenOff, WriteOffRecovered, DisputeOpened /
//! DisputeResolved; due dates from domain.md 5) and their fold. An invoice
//! moves its shipments' value from shipped but not invoiced to open
//! receivables (domain.md 6); credit notes, write-offs and allocations take
//! from its installments, oldest due first.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use smallvec::SmallVec;

use super::{Billed, Broken, Folded, WriteModel, add_units, broken, insert_new, known};
use crate::domain::events::{
    CreditNoteIssued, DisputeOpened, DisputeResolved, InvoiceIssued, InvoiceWrittenOff,
    WriteOffRecovered,
};
use crate::domain::terms::{Installment, TermsBase, due_date};
use crate::domain::types::CreditReason;
use crate::ids::{CustomerId, InvoiceId, RecallId, ShipmentId};
use crate::money::{Currency, Money};

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
    /// Installments (most invoices have one: kept inline).
    pub installments: SmallVec<[InstallmentState; 1]>,
    /// Shipments billed.
    pub shipments: Vec<ShipmentId>,
    /// Written off so far.
    pub written_off: Decimal,
    /// Recovered after write-off.
    pub recovered: Decimal,
    /// Amount under an open dispute a person opened.
    pub disputed: Option<Decimal>,
    /// Disputes recalls opened that credit notes have not yet settled,
    /// oldest first.
    pub recall_disputes: Vec<OpenRecallDispute>,
}

/// What a recall disputes on an invoice: the invoiced value of its goods,
/// less what returns or credit notes settled. A return and a credit note
/// for the same goods settle them once: the larger of the two counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenRecallDispute {
    /// The recall.
    pub recall_id: RecallId,
    /// The value it disputed.
    pub opened: Decimal,
    /// What returns settled.
    pub returned: Decimal,
    /// What credit notes for the recall or the return settled.
    pub credited: Decimal,
}

impl OpenRecallDispute {
    /// What it still disputes.
    pub fn amount(&self) -> Decimal {
        (self.opened - self.returned.max(self.credited)).max(Decimal::ZERO)
    }
}

/// What each installment took of an amount: (installment number, amount).
pub(super) type Taken = SmallVec<[(u32, Decimal); 2]>;

impl Invoice {
    /// Open amount over all installments.
    pub fn open(&self) -> Decimal {
        self.installments.iter().map(|i| i.open).sum()
    }

    /// What recalls still dispute of what it has open: their disputes,
    /// at most its open amount (a payment reversed gives back what it
    /// took, and the dispute with it).
    pub fn recall_disputed(&self) -> Decimal {
        let disputed: Decimal = self.recall_disputes.iter().map(|d| d.amount()).sum();
        disputed.min(self.open())
    }

    /// What recalls opened on it, in all.
    pub fn recall_opened(&self) -> Decimal {
        self.recall_disputes.iter().map(|d| d.opened).sum()
    }

    /// Settles recall disputes, oldest first, by a credit note of `amount`
    /// for recalled or returned goods: each takes up to what it opened
    /// and credit notes did not yet settle.
    fn settle_recall_disputes(&mut self, amount: Decimal) {
        let mut rest = amount;
        for dispute in &mut self.recall_disputes {
            let take = rest.min(dispute.opened - dispute.credited);
            dispute.credited += take;
            rest -= take;
        }
    }

    /// Settles `amount` of recall `recall_id`'s dispute, for units the
    /// customer returned.
    pub(super) fn settle_recall_dispute(&mut self, recall_id: RecallId, amount: Money) -> Folded {
        let dispute = self
            .recall_disputes
            .iter_mut()
            .find(|d| d.recall_id == recall_id)
            .filter(|d| amount.currency == self.currency && amount.amount <= d.opened - d.returned)
            .ok_or_else(|| {
                broken(format!(
                    "a return cannot settle {amount} of recall {recall_id}'s dispute"
                ))
            })?;
        dispute.returned += amount.amount;
        Ok(())
    }

    /// Whether any open installment is due before `date`.
    pub fn overdue_on(&self, date: NaiveDate) -> bool {
        self.installments
            .iter()
            .any(|i| i.open > Decimal::ZERO && i.plan.due_on.is_some_and(|due| due < date))
    }

    /// Reduces installments by `amount`, the named one or oldest due first
    /// (installments awaiting acceptance last); returns what each took.
    fn fill(&mut self, amount: Decimal, named: Option<u32>) -> Taken {
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

    /// Opens a recall's dispute of `amount` on it.
    pub(super) fn open_recall_dispute(&mut self, recall_id: RecallId, amount: Money) -> Folded {
        if amount.currency != self.currency || amount.amount <= Decimal::ZERO {
            return Err(broken(format!(
                "recall {recall_id} cannot dispute {amount} on an invoice in {}",
                self.currency
            )));
        }
        self.recall_disputes.push(OpenRecallDispute {
            recall_id,
            opened: amount.amount,
            returned: Decimal::ZERO,
            credited: Decimal::ZERO,
        });
        Ok(())
    }

    /// Gives back to installment `no` what an allocation took from it;
    /// `None` when the invoice has no such installment.
    pub(super) fn restore(&mut self, no: u32, amount: Decimal) -> Option<()> {
        let inst = self.installments.iter_mut().find(|i| i.plan.no == no)?;
        inst.open += amount;
        Some(())
    }
}

impl WriteModel {
    pub(super) fn invoice_issued(&mut self, e: &InvoiceIssued) -> Folded {
        let (shipments, uninvoiced_value) = self.bill_shipments(e)?;
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
            recall_disputes: Vec::new(),
        };
        let customer = known(&mut self.customers, "customer", &e.customer_id)?;
        customer.invoices.push(e.invoice_id);
        let exposure = customer.exposure_mut(e.currency);
        exposure.open_receivables += total;
        exposure.shipped_not_invoiced -= uninvoiced_value;
        self.invoice_numbers.insert(&e.number);
        insert_new(&mut self.invoices, e.invoice_id, Box::new(invoice), || {
            format!("invoice {} issued twice", e.invoice_id)
        })
    }

    /// Counts the invoice's lines as invoiced on the shipment lines they
    /// bill; returns the shipments billed, in first-billed order, and the
    /// shipped value that is now invoiced.
    fn bill_shipments(&mut self, e: &InvoiceIssued) -> Result<(Vec<ShipmentId>, Decimal), Broken> {
        let mut shipments: Vec<ShipmentId> = Vec::new();
        let mut value = Decimal::ZERO;
        for (r, line) in e
            .lines
            .iter()
            .filter_map(|l| l.shipment_line.map(|r| (r, l)))
        {
            let quantity = line.quantity;
            let shipment = known(&mut self.shipments, "shipment", &r.shipment_id)?;
            // What decide refuses, a forged log may hold: billing another
            // customer's goods, or in another currency, would move
            // exposure that is not the invoice's.
            if shipment.customer_id != e.customer_id || shipment.currency != e.currency {
                return Err(broken(format!(
                    "shipment {} went to customer {} in {}, not to the invoice's {} in {}",
                    r.shipment_id,
                    shipment.customer_id,
                    shipment.currency,
                    e.customer_id,
                    e.currency
                )));
            }
            let sl = shipment
                .lines
                .iter_mut()
                .find(|l| l.line_no == r.line_no)
                .ok_or_else(|| broken(format!("shipment line {} unknown", r.line_no)))?;
            sl.invoiced = add_units(sl.invoiced, quantity)?;
            sl.billed.push(Billed {
                invoice_id: e.invoice_id,
                gross: line.amount + line.tax,
            });
            if sl.invoiced > sl.quantity {
                return Err(broken("shipment line invoiced beyond its quantity"));
            }
            value += Decimal::from(quantity) * sl.unit_price;
            if !shipments.contains(&r.shipment_id) {
                shipments.push(r.shipment_id);
                shipment.invoices.push(e.invoice_id);
            }
        }
        Ok((shipments, value))
    }

    pub(super) fn credit_note_issued(&mut self, e: &CreditNoteIssued) -> Folded {
        self.credit_notes.insert(e.credit_note_id);
        self.reduce_invoice(e.invoice_id, e.amount, None)?;
        if matches!(e.reason, CreditReason::Recall | CreditReason::Return) {
            known(&mut self.invoices, "invoice", &e.invoice_id)?
                .settle_recall_disputes(e.amount.amount);
        }
        Ok(())
    }

    pub(super) fn invoice_written_off(&mut self, e: &InvoiceWrittenOff) -> Folded {
        self.reduce_invoice(e.invoice_id, e.amount, None)?;
        known(&mut self.invoices, "invoice", &e.invoice_id)?.written_off += e.amount.amount;
        Ok(())
    }

    pub(super) fn write_off_recovered(&mut self, e: &WriteOffRecovered) -> Folded {
        known(&mut self.invoices, "invoice", &e.invoice_id)?.recovered += e.amount.amount;
        Ok(())
    }

    pub(super) fn dispute_opened(&mut self, e: &DisputeOpened) -> Folded {
        let invoice = known(&mut self.invoices, "invoice", &e.invoice_id)?;
        match e.recall_id {
            Some(recall_id) => invoice.open_recall_dispute(recall_id, e.amount)?,
            None => invoice.disputed = Some(e.amount.amount),
        }
        Ok(())
    }

    pub(super) fn dispute_resolved(&mut self, e: &DisputeResolved) -> Folded {
        known(&mut self.invoices, "invoice", &e.invoice_id)?.disputed = None;
        Ok(())
    }

    /// Recomputes acceptance-based due dates after a delivery acceptance.
    pub(super) fn refresh_due_dates(&mut self, invoice_id: InvoiceId) -> Folded {
        let invoice = self
            .invoices
            .get(&invoice_id)
            .ok_or_else(|| broken(format!("invoice {invoice_id} unknown")))?;
        let base = self.base_dates(invoice.invoice_date, &invoice.shipments);
        let invoice = known(&mut self.invoices, "invoice", &invoice_id)?;
        for inst in &mut invoice.installments {
            if inst.plan.terms.base == TermsBase::Acceptance {
                inst.plan.due_on = due_date(&inst.plan.terms, &base);
            }
        }
        Ok(())
    }

    /// Reduces an invoice's installments and its customer's open
    /// receivables by `money`, which must be in the invoice's currency.
    pub(super) fn reduce_invoice(
        &mut self,
        invoice_id: InvoiceId,
        money: Money,
        named: Option<u32>,
    ) -> Result<Taken, Broken> {
        let amount = money.amount;
        let invoice = known(&mut self.invoices, "invoice", &invoice_id)?;
        if invoice.currency != money.currency {
            return Err(broken(format!(
                "{money} cannot reduce invoice {invoice_id} in {}",
                invoice.currency
            )));
        }
        let taken = invoice.fill(amount, named);
        let filled: Decimal = taken.iter().map(|(_, a)| *a).sum();
        if filled != amount {
            return Err(broken(format!(
                "{amount} exceeds what invoice {invoice_id} has open"
            )));
        }
        let (customer_id, currency) = (invoice.customer_id, invoice.currency);
        known(&mut self.customers, "customer", &customer_id)?
            .exposure_mut(currency)
            .open_receivables -= amount;
        Ok(taken)
    }
}
