//! Open amounts at (D, p) (read-models.md "Receivable items", "Aging"),
//! recomputed from the facts for each query: nothing here depends on a
//! fact recorded after p, and nothing replays the log.
//!
//! An invoice's reductions that exist at (D, p) (recorded at or before p,
//! effective on or before D, and, for allocations, of a payment not
//! reversed at (D, p)) fill its installments in the order they are dated
//! (effective date, then position): the named installment first, else
//! oldest due date first (due dates unknown at (D, p) last, ties by
//! number), never below zero. What a named installment cannot take goes to
//! the others in that order: at (D, p) an earlier-dated reduction recorded
//! later may have filled it already, and the invoice's open amount must
//! still be its amount less its reductions (read-models.md's invariant).
//!
//! With that rule the amounts the installments end with do not depend on
//! the order the reductions are taken in (checked exhaustively on small
//! cases), only on which exist at (D, p); the date order is kept because
//! it is the rule read-models.md states, and costs one small sort.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::stamp::At;
use super::state::{
    Installment, Invoice, InvoiceExtra, NONE, Payment, RecallTally, Reduction, Screen, State,
};

/// Buffers reused across the invoices of one query.
#[derive(Debug, Default)]
pub(super) struct Scratch {
    /// Open amount of each installment, in installment order.
    pub open: Vec<Decimal>,
    /// Due date of each installment as known at (D, p).
    pub due: Vec<Option<NaiveDate>>,
    /// Installment positions, oldest due first.
    order: Vec<usize>,
    /// The reductions that exist: (effective date, amount, named installment or 0).
    reductions: Vec<(NaiveDate, Decimal, u32)>,
}

/// Takes what it can of `rest` from `open`; returns what is left of `rest`.
fn take(open: &mut Decimal, rest: Decimal) -> Decimal {
    let taken = rest.min(*open);
    *open -= taken;
    rest - taken
}

impl State {
    /// The invoices recorded at or before `position`, with their screens:
    /// a prefix of each.
    pub(super) fn invoices_known(
        &self,
        position: u64,
    ) -> impl Iterator<Item = (&Screen, &Invoice)> {
        let n = self.invoices.partition_point(|i| i.position <= position);
        self.invoice_screens.iter().zip(&self.invoices).take(n)
    }

    /// The payments recorded at or before `position`, with their screens:
    /// a prefix of each.
    pub(super) fn payments_known(
        &self,
        position: u64,
    ) -> impl Iterator<Item = (&Screen, &Payment)> {
        let n = self.payments.partition_point(|p| p.position <= position);
        self.payment_screens.iter().zip(&self.payments).take(n)
    }

    /// Invoice `invoice`'s installments.
    pub(super) fn installments_of(&self, invoice: &Invoice) -> &[Installment] {
        usize::try_from(invoice.first)
            .ok()
            .zip(usize::try_from(invoice.count).ok())
            .and_then(|(first, count)| self.installments.get(first..first.checked_add(count)?))
            .unwrap_or(&[])
    }

    fn extra_of(&self, invoice: &Invoice) -> Option<&InvoiceExtra> {
        if invoice.extra == NONE {
            return None;
        }
        self.extras.get(usize::try_from(invoice.extra).ok()?)
    }

    /// Fills `s.open` and `s.due` for `invoice`'s installments at `at`;
    /// returns its open amount. The invoice must exist at `at`.
    pub(super) fn fill(&self, invoice: &Invoice, at: At, s: &mut Scratch) -> Decimal {
        let installments = self.installments_of(invoice);
        let dues_known = self
            .extra_of(invoice)
            .and_then(|e| e.dues_known)
            .is_some_and(|k| k.holds_at(at));
        s.open.clear();
        s.due.clear();
        for i in installments {
            s.open.push(i.amount);
            s.due
                .push(i.due_on.or(i.due_on_acceptance.filter(|_| dues_known)));
        }
        if invoice
            .earliest
            .is_none_or(|e| e.date > at.date || e.position > at.position)
        {
            // No reduction exists at `at`: everything is open.
            return s.open.iter().sum();
        }
        let exists =
            |r: &&Reduction| r.on <= at.date && !r.reversed.is_some_and(|v| v.holds_at(at));
        let known = invoice
            .reductions
            .iter()
            .take_while(|r| r.position <= at.position)
            .filter(exists);
        if let [only] = s.open.as_mut_slice() {
            // One installment takes every reduction, in any order.
            let reduced: Decimal = known.map(|r| r.amount).sum();
            *only = (*only - reduced).max(Decimal::ZERO);
            return *only;
        }
        s.reductions.clear();
        s.reductions
            .extend(known.map(|r| (r.on, r.amount, r.installment)));
        fill_in_date_order(installments, s);
        s.open.iter().sum()
    }

    /// The disputed amount of `invoice` at `at`: that of the latest dispute
    /// a person opened and did not resolve by then, plus what recalls
    /// dispute and credit notes have not settled; `None` when neither.
    /// (Readers count at most what is open.)
    pub(super) fn dispute_at(&self, invoice: &Invoice, at: At) -> Option<Decimal> {
        let extra = self.extra_of(invoice)?;
        let by_person = extra
            .disputes
            .iter()
            .rev()
            .find(|d| d.opened.holds_at(at) && !d.resolved.is_some_and(|r| r.holds_at(at)))
            .map(|d| d.amount);
        let by_recalls: Decimal = RecallTally::of(
            extra
                .recall_disputes
                .iter()
                .filter(|c| c.stamp.holds_at(at)),
        )
        .iter()
        .map(RecallTally::disputed)
        .sum();
        match (by_person, by_recalls > Decimal::ZERO) {
            (None, false) => None,
            (by_person, _) => Some(by_person.unwrap_or_default() + by_recalls),
        }
    }

    /// What `payment` has on account at `at`: nothing before it is
    /// received or once it is reversed, else its amount less the
    /// allocations that exist at `at`.
    pub(super) fn unallocated_at(&self, payment: &Payment, at: At) -> Decimal {
        if payment.received_on > at.date || payment.reversed.is_some_and(|r| r.holds_at(at)) {
            return Decimal::ZERO;
        }
        let allocated: Decimal = payment
            .allocations
            .iter()
            .take_while(|a| a.position <= at.position)
            .filter(|a| a.on <= at.date)
            .map(|a| a.amount)
            .sum();
        payment.amount - allocated
    }
}

/// The reductions in `s.reductions` fill `s.open` in date order (a stable
/// sort: position order within a date), each its named installment first,
/// then oldest due first.
fn fill_in_date_order(installments: &[Installment], s: &mut Scratch) {
    s.reductions.sort_by_key(|r| r.0);
    s.order.clear();
    s.order.extend(0..installments.len());
    s.order.sort_by_key(|&k| {
        let due = s.due.get(k).copied().flatten();
        (due.is_none(), due, installments.get(k).map(|i| i.no))
    });
    for &(_, amount, named) in &s.reductions {
        let mut rest = amount;
        let named_at = installments
            .iter()
            .position(|i| named != 0 && i.no == named);
        if let Some(open) = named_at.and_then(|k| s.open.get_mut(k)) {
            rest = take(open, rest);
        }
        for &k in &s.order {
            if rest <= Decimal::ZERO {
                break;
            }
            if let Some(open) = s.open.get_mut(k) {
                rest = take(open, rest);
            }
        }
    }
}
