//! Open installments at (D, p) for the reports built on receivables:
//! what is overdue per customer (credit exposure, read-models.md "Credit
//! exposure") and every open item with its disputed part (collections
//! alerts, read-models.md "Collections and early warning").

use arledger_core::ids::{CustomerId, InvoiceId};
use arledger_core::money::Currency;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use super::fill::Scratch;
use super::stamp::At;
use super::state::{Invoice, State};

/// What a customer has overdue in one currency at (D, p).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Overdue {
    /// Open amount of installments due before D.
    pub amount: Decimal,
    /// Days overdue of the oldest of them (D - its due date).
    pub oldest_days: i64,
}

/// One open installment at (D, p).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenItem {
    /// The customer billed.
    pub customer_id: CustomerId,
    /// Its invoice.
    pub invoice_id: InvoiceId,
    /// The invoice's number.
    pub invoice_number: String,
    /// Currency.
    pub currency: Currency,
    /// Installment number.
    pub installment_no: u32,
    /// The invoice date.
    pub invoice_date: NaiveDate,
    /// The due date as known at (D, p); `None` while awaiting acceptance.
    pub due_date: Option<NaiveDate>,
    /// The installment's amount.
    pub amount: Decimal,
    /// Open at (D, p).
    pub open: Decimal,
    /// What of `open` is under a dispute open at (D, p): an invoice's
    /// disputed amount covers its open installments oldest due first.
    pub disputed: Decimal,
}

impl State {
    /// Per (customer, currency), what is overdue at (`as_of`, `position`);
    /// of one customer only when `only` names it.
    pub(super) fn overdue(
        &self,
        as_of: NaiveDate,
        position: u64,
        only: Option<CustomerId>,
    ) -> FxHashMap<(CustomerId, Currency), Overdue> {
        let only = only.map(|id| self.customer_index.get(&id).copied());
        let at = At {
            date: as_of,
            position,
        };
        let mut out: FxHashMap<(CustomerId, Currency), Overdue> = FxHashMap::default();
        let mut s = Scratch::default();
        for (screen, invoice) in self.invoices_known(position) {
            let other = only.is_some_and(|c| c != Some(invoice.customer));
            if other || !screen.may_be_open(at, None) {
                continue;
            }
            self.fill(invoice, at, &mut s);
            let Some(id) = self.customer_id(invoice.customer) else {
                continue;
            };
            let overdue = (s.open.iter().zip(&s.due))
                .filter_map(|(&open, &due)| Some((open, due?)))
                .filter(|&(open, due)| due < as_of && open > Decimal::ZERO);
            for (open, due) in overdue {
                let entry = out.entry((id, invoice.currency)).or_default();
                entry.amount += open;
                entry.oldest_days = entry.oldest_days.max((as_of - due).num_days());
            }
        }
        out
    }

    /// Every open installment at (`as_of`, `position`), of one customer
    /// when given, in invoice position order.
    pub(super) fn open_items(
        &self,
        as_of: NaiveDate,
        position: u64,
        customer: Option<CustomerId>,
    ) -> Vec<OpenItem> {
        let at = At {
            date: as_of,
            position,
        };
        let only = customer.map(|id| self.customer_index.get(&id).copied());
        let mut items = Vec::new();
        let mut s = Scratch::default();
        for (i, (screen, invoice)) in self.invoices_known(position).enumerate() {
            if !screen.may_be_open(at, None) || only.is_some_and(|c| c != Some(invoice.customer)) {
                continue;
            }
            self.fill(invoice, at, &mut s);
            self.push_items(i, invoice, at, &s, &mut items);
        }
        items
    }

    fn push_items(
        &self,
        i: usize,
        invoice: &Invoice,
        at: At,
        s: &Scratch,
        items: &mut Vec<OpenItem>,
    ) {
        let (Some(customer_id), Some(&invoice_id)) =
            (self.customer_id(invoice.customer), self.invoice_ids.get(i))
        else {
            return;
        };
        let mut disputed = self.dispute_at(invoice, at).unwrap_or_default();
        let installments = self.installments_of(invoice);
        let mut order: Vec<usize> = (0..installments.len()).collect();
        order.sort_by_key(|&k| {
            let due = s.due.get(k).copied().flatten();
            (due.is_none(), due, installments.get(k).map(|i| i.no))
        });
        for k in order {
            let (Some(inst), Some(&open), Some(&due)) =
                (installments.get(k), s.open.get(k), s.due.get(k))
            else {
                continue;
            };
            if open <= Decimal::ZERO {
                continue;
            }
            let part = disputed.min(open);
            disputed -= part;
            items.push(OpenItem {
                customer_id,
                invoice_id,
                invoice_number: self.invoice_numbers.get(i).to_string(),
                currency: invoice.currency,
                installment_no: inst.no,
                invoice_date: invoice.invoice_date,
                due_date: due,
                amount: inst.amount,
                open,
                disputed: part,
            });
        }
    }

    fn customer_id(&self, customer: u32) -> Option<CustomerId> {
        usize::try_from(customer)
            .ok()
            .and_then(|c| self.customers.get(c))
            .map(|c| c.id)
    }
}

impl State {
    /// Per invoice with anything open at (`as_of`, `position`): its
    /// currency and open amount.
    pub(super) fn open_by_invoice(
        &self,
        as_of: NaiveDate,
        position: u64,
    ) -> FxHashMap<InvoiceId, (Currency, Decimal)> {
        let at = At {
            date: as_of,
            position,
        };
        let mut out = FxHashMap::default();
        let mut s = Scratch::default();
        for (i, (screen, invoice)) in self.invoices_known(position).enumerate() {
            if !screen.may_be_open(at, None) {
                continue;
            }
            let open = self.fill(invoice, at, &mut s);
            if let (true, Some(&id)) = (open > Decimal::ZERO, self.invoice_ids.get(i)) {
                out.insert(id, (invoice.currency, open));
            }
        }
        out
    }
}
