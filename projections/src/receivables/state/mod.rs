//! The receivables state (read-models.md "Receivable items", "Time
//! travel"): every fact, each with its business date and log position, in
//! compact records indexed for answers at any (D, p). Invoices and payments
//! are kept in position order (a query takes the prefix recorded at or
//! before p), and so are the reductions of each invoice and the
//! allocations of each payment.
//!
//! [`State::add`] is the one way a fact gets in: `apply` adds the facts it
//! derives and `load` the stored ones, so both reach the same state.
//!
//! Besides the facts, two caches let a query skip in O(1) what is settled
//! for it: per invoice, the stamp from which the reductions it has at the
//! head (those of payments never reversed) cover it in full, and per
//! payment, the stamp from which its allocations use it up. Each is a
//! function of the facts, so apply and load agree on them; neither says
//! anything a recomputation at (D, p) would not. They live in a
//! [`Screen`] per document, apart from the records, with what else a query
//! tests first: a query scans 24 bytes a document, not its whole record.

use arledger_core::domain::terms::InstallmentTerms;
use arledger_core::ids::{CustomerId, InvoiceId, PaymentId, RecallId, ShipmentId};
use arledger_core::money::Currency;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use super::facts::{
    AcceptedFact, CustomerChange, CustomerFact, Fact, PaymentFact, RecallChangeKind, ShippedFact,
};
use super::stamp::{At, Stamp};
use super::texts::{Arena, Interner};

/// "None" for the indexes of records.
pub(super) const NONE: u32 = u32::MAX;

/// A fact that does not fit the state: stored entries that were damaged or
/// written by other code.
#[derive(Debug)]
pub(super) struct Unfit(pub String);

/// The state: facts in records, and the indexes from ids to records.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct State {
    /// Customer names, regions and salespeople.
    pub texts: Interner,
    pub customers: Vec<Customer>,
    pub customer_index: FxHashMap<CustomerId, u32>,
    pub shipments: Vec<Shipment>,
    pub shipment_index: FxHashMap<ShipmentId, u32>,
    /// In position order.
    pub invoices: Vec<Invoice>,
    /// Of `invoices`, in the same order.
    pub invoice_screens: Vec<Screen>,
    /// Of `invoices`, in the same order: cold, read for drill-downs only.
    pub invoice_ids: Vec<InvoiceId>,
    pub invoice_numbers: Arena,
    pub invoice_index: FxHashMap<InvoiceId, u32>,
    /// The installments of every invoice, each invoice's together.
    pub installments: Vec<Installment>,
    /// What few invoices need besides: disputes, acceptance-based dues.
    pub extras: Vec<InvoiceExtra>,
    /// In position order.
    pub payments: Vec<Payment>,
    /// Of `payments`, in the same order.
    pub payment_screens: Vec<Screen>,
    pub payment_index: FxHashMap<PaymentId, u32>,
}

/// A customer: its master data as known at each position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Customer {
    pub id: CustomerId,
    /// In position order; the first is its registration.
    pub versions: Vec<CustomerVersion>,
    /// Its invoices (indexes), in position order.
    pub invoices: Vec<u32>,
}

/// A customer's master data from `position` on (interned strings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct CustomerVersion {
    pub position: u64,
    pub name: u32,
    pub region: u32,
    pub salesperson: u32,
}

/// A shipment, as acceptance-based due dates need it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Shipment {
    pub shipped_on: NaiveDate,
    pub accepted: Option<Stamp>,
    /// Invoices with installments awaiting its acceptance.
    pub awaiting: Vec<u32>,
}

/// An invoice.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Invoice {
    pub position: u64,
    /// The sum of its installments.
    pub amount: Decimal,
    /// What its reductions of payments not reversed at the head sum to:
    /// when they cover it, its screen is settled.
    pub reduced: Decimal,
    /// The earliest effective date and the first position of its
    /// reductions: when either is after the query's, none exists for it
    /// and the reductions need not be read (one cache miss fewer for most
    /// open invoices).
    pub earliest: Option<Stamp>,
    /// Allocations, credit notes and write-offs, in position order.
    pub reductions: Vec<Reduction>,
    pub customer: u32,
    pub invoice_date: NaiveDate,
    pub currency: Currency,
    /// Its installments: `installments[first..first + count]`.
    pub first: u32,
    pub count: u32,
    /// Its entry in `extras`, or `NONE`.
    pub extra: u32,
}

/// One installment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Installment {
    pub amount: Decimal,
    pub no: u32,
    /// Its due date as issued.
    pub due_on: Option<NaiveDate>,
    /// Its due date once its invoice's shipments are accepted, when it was
    /// issued awaiting acceptance.
    pub due_on_acceptance: Option<NaiveDate>,
}

/// One allocation, credit note or write-off of an invoice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Reduction {
    pub position: u64,
    pub amount: Decimal,
    /// Effective date.
    pub on: NaiveDate,
    /// The installment named, or 0 (installment numbers start at 1).
    pub installment: u32,
    /// The reversal of the allocating payment, once recorded: kept here
    /// so that a query reads no payment to know it.
    pub reversed: Option<Stamp>,
    /// Whether it is a credit note (which DSO's credit sales subtract).
    pub credit_note: bool,
}

/// What few invoices need besides their installments and reductions.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct InvoiceExtra {
    /// The shipments it bills, while due dates await their acceptance.
    pub shipments: Vec<u32>,
    /// The terms of the installments awaiting acceptance, by number.
    pub awaiting: Vec<(u32, InstallmentTerms)>,
    /// When their due dates became known.
    pub dues_known: Option<Stamp>,
    /// In position order; at most the last is unresolved at the head.
    pub disputes: Vec<Dispute>,
    /// What recalls dispute: openings and settlements, in position order.
    pub recall_disputes: Vec<RecallChange>,
}

/// A change of what a recall disputes on an invoice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct RecallChange {
    pub stamp: Stamp,
    pub recall: RecallId,
    pub kind: RecallChangeKind,
    pub amount: Decimal,
}

/// One recall's dispute on an invoice, from its changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct RecallTally {
    pub recall: RecallId,
    pub opened: Decimal,
    pub returned: Decimal,
    pub credited: Decimal,
}

impl RecallTally {
    /// What it still disputes (as the write model's `OpenRecallDispute`).
    pub fn disputed(&self) -> Decimal {
        (self.opened - self.returned.max(self.credited)).max(Decimal::ZERO)
    }

    /// Each recall's dispute from `changes`, in the order they opened.
    pub fn of<'a>(changes: impl Iterator<Item = &'a RecallChange>) -> Vec<RecallTally> {
        let mut tallies: Vec<RecallTally> = Vec::new();
        for c in changes {
            let i = match tallies.iter().position(|t| t.recall == c.recall) {
                Some(i) => i,
                None => {
                    tallies.push(RecallTally {
                        recall: c.recall,
                        opened: Decimal::ZERO,
                        returned: Decimal::ZERO,
                        credited: Decimal::ZERO,
                    });
                    tallies.len() - 1
                }
            };
            let t = &mut tallies[i];
            match c.kind {
                RecallChangeKind::Opened => t.opened += c.amount,
                RecallChangeKind::Returned => t.returned += c.amount,
                RecallChangeKind::Credited => t.credited += c.amount,
            }
        }
        tallies
    }
}

/// A dispute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Dispute {
    pub opened: Stamp,
    pub amount: Decimal,
    pub resolved: Option<Stamp>,
}

/// A payment.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Payment {
    pub position: u64,
    pub amount: Decimal,
    /// What its allocations sum to: when they use it up, its screen is
    /// settled.
    pub allocated: Decimal,
    pub reversed: Option<Stamp>,
    /// In position order.
    pub allocations: Vec<Allocation>,
    pub customer: u32,
    pub received_on: NaiveDate,
    pub currency: Currency,
}

/// What a query tests of an invoice or a payment before reading it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Screen {
    /// Invoice date, or the date a payment was received.
    pub date: NaiveDate,
    pub currency: Currency,
    /// From when nothing is open (cache, see the module docs): an invoice
    /// covered by reductions of payments never reversed, a payment used up
    /// by its allocations.
    pub settled: Option<Stamp>,
}

impl Screen {
    /// Whether the document (recorded at or before p) may have anything
    /// open at `at`: dated on or before D, in `currency` if one is asked
    /// for, and not settled by then.
    pub fn may_be_open(&self, at: At, currency: Option<Currency>) -> bool {
        self.date <= at.date
            && currency.is_none_or(|c| c == self.currency)
            && !self.settled.is_some_and(|s| s.holds_at(at))
    }
}

/// One allocation, as its payment sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Allocation {
    pub position: u64,
    pub amount: Decimal,
    /// Effective date.
    pub on: NaiveDate,
    pub invoice: u32,
}

/// `items[i]`, or why a fact naming it does not fit.
fn nth<'a, T>(items: &'a [T], i: u32, kind: &str) -> Result<&'a T, Unfit> {
    usize::try_from(i)
        .ok()
        .and_then(|i| items.get(i))
        .ok_or_else(|| Unfit(format!("{kind} {i} unknown")))
}

/// `items[i]` to change, or why a fact naming it does not fit.
fn nth_mut<'a, T>(items: &'a mut [T], i: u32, kind: &str) -> Result<&'a mut T, Unfit> {
    usize::try_from(i)
        .ok()
        .and_then(|i| items.get_mut(i))
        .ok_or_else(|| Unfit(format!("{kind} {i} unknown")))
}

/// The index the next record of `items` gets.
fn next_index<T>(items: &[T], kind: &str) -> Result<u32, Unfit> {
    u32::try_from(items.len())
        .ok()
        .filter(|&i| i != NONE)
        .ok_or_else(|| Unfit(format!("too many {kind}s")))
}

impl State {
    /// Adds the fact of the event at `position`.
    pub fn add(&mut self, position: u64, fact: &Fact) -> Result<(), Unfit> {
        if position == 0 {
            return Err(Unfit("positions start at 1".into()));
        }
        match fact {
            Fact::Customer(f) => self.add_customer(position, f),
            Fact::CustomerChanged(f) => self.change_customer(position, f),
            Fact::Shipped(f) => self.add_shipment(f),
            Fact::Accepted(f) => self.accept(position, f),
            Fact::Invoiced(f) => self.add_invoice(position, f),
            Fact::DueDatesKnown(f) => self.know_due_dates(position, f),
            Fact::Paid(f) => self.add_payment(position, f),
            Fact::Reduced(f) => self.reduce(position, f),
            Fact::Reversed(f) => self.reverse(position, f),
            Fact::DisputeOpened(f) => self.open_dispute(position, f),
            Fact::DisputeResolved(f) => self.resolve_dispute(position, f),
            Fact::RecallDispute(f) => self.change_recall_dispute(position, f),
        }
    }

    fn intern(&mut self, s: &str) -> Result<u32, Unfit> {
        self.texts
            .intern(s)
            .ok_or_else(|| Unfit("too many distinct strings".into()))
    }

    fn add_customer(&mut self, position: u64, f: &CustomerFact) -> Result<(), Unfit> {
        let index = next_index(&self.customers, "customer")?;
        if self.customer_index.insert(f.id, index).is_some() {
            return Err(Unfit(format!("customer {} registered twice", f.id)));
        }
        let version = CustomerVersion {
            position,
            name: self.intern(&f.name)?,
            region: self.intern(&f.region)?,
            salesperson: self.intern(&f.salesperson)?,
        };
        self.customers.push(Customer {
            id: f.id,
            versions: vec![version],
            invoices: Vec::new(),
        });
        Ok(())
    }

    fn change_customer(&mut self, position: u64, f: &CustomerChange) -> Result<(), Unfit> {
        let last = nth(&self.customers, f.customer, "customer")?
            .versions
            .last()
            .copied()
            .ok_or_else(|| Unfit(format!("customer {} has no master data", f.customer)))?;
        let mut version = CustomerVersion { position, ..last };
        if let Some(name) = &f.name {
            version.name = self.intern(name)?;
        }
        if let Some(region) = &f.region {
            version.region = self.intern(region)?;
        }
        if let Some(salesperson) = &f.salesperson {
            version.salesperson = self.intern(salesperson)?;
        }
        nth_mut(&mut self.customers, f.customer, "customer")?
            .versions
            .push(version);
        Ok(())
    }

    fn add_shipment(&mut self, f: &ShippedFact) -> Result<(), Unfit> {
        let index = next_index(&self.shipments, "shipment")?;
        if self.shipment_index.insert(f.id, index).is_some() {
            return Err(Unfit(format!("shipment {} shipped twice", f.id)));
        }
        self.shipments.push(Shipment {
            shipped_on: f.shipped_on,
            accepted: None,
            awaiting: Vec::new(),
        });
        Ok(())
    }

    fn accept(&mut self, position: u64, f: &AcceptedFact) -> Result<(), Unfit> {
        let shipment = nth_mut(&mut self.shipments, f.shipment, "shipment")?;
        if shipment.accepted.is_some() {
            return Err(Unfit(format!("shipment {} accepted twice", f.shipment)));
        }
        shipment.accepted = Some(Stamp {
            date: f.accepted_on,
            position,
        });
        Ok(())
    }

    fn add_payment(&mut self, position: u64, f: &PaymentFact) -> Result<(), Unfit> {
        let index = next_index(&self.payments, "payment")?;
        nth(&self.customers, f.customer, "customer")?;
        if self.payment_index.insert(f.id, index).is_some() {
            return Err(Unfit(format!("payment {} received twice", f.id)));
        }
        self.payment_screens.push(Screen {
            date: f.received_on,
            currency: f.currency,
            settled: None,
        });
        self.payments.push(Payment {
            position,
            amount: f.amount,
            allocated: Decimal::ZERO,
            reversed: None,
            allocations: Vec::new(),
            customer: f.customer,
            received_on: f.received_on,
            currency: f.currency,
        });
        Ok(())
    }
}

mod invoices;
