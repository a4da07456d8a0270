//! The write model: what `decide` needs to know, folded from events by
//! `apply`. It lives in memory and is rebuilt from the log at open.
//!
//! `apply` only folds. An event that could not have been accepted (an
//! invoice for an unknown customer, say) is an `ApplyError`: it means the log
//! and this code disagree, and the ledger refuses to serve rather than guess.
//!
//! Each module folds the events of one part of domain.md:
//! - `master`: customers, credit limits, payment terms, products and lots
//!   (section 3), and each customer's running exposure (section 6);
//! - `orders`: orders placed, held, released, rejected and cancelled (section 4);
//! - `shipments`: shipments and delivery acceptance (section 4);
//! - `invoices`: invoices and their installments, credit notes, write-offs,
//!   recoveries and disputes (sections 4 and 5);
//! - `payments`: payments received, allocated and reversed (section 4);
//! - `recalls`: recalls, their acknowledgements and returns (section 4);
//! - `invariants`: the running totals checked against a recomputation from
//!   the documents they summarise (sections 4 and 6), and `touched`, what
//!   each event touched, which debug builds check after every `apply`.

mod invariants;
mod invoices;
mod master;
mod orders;
mod payments;
mod recalls;
mod shipments;
#[cfg(debug_assertions)]
mod touched;

use std::fmt::Display;
use std::hash::Hash;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rustc_hash::{FxHashMap, FxHashSet};

use super::events::Event;
use super::terms::BaseDates;
use super::types::Gtin;
use crate::ids::{CreditNoteId, CustomerId, InvoiceId, OrderId, PaymentId, RecallId, ShipmentId};

pub use invariants::{Half, InvariantError, Tally};
pub use invoices::{InstallmentState, Invoice, OpenRecallDispute};
pub use master::{Credit, Customer, Exposure, Lot, LotLine, Product, ShippedSerial};
pub use orders::{Order, OrderLineState, OrderStatus};
pub use payments::Payment;
pub use recalls::{Recall, recalled_units};
pub use shipments::{Billed, Shipment, ShippedLine};

/// An event that does not fit the state it is applied to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{event} cannot follow the state it was applied to: {reason}")]
pub struct ApplyError {
    /// Event type.
    pub event: &'static str,
    /// What is inconsistent.
    pub reason: String,
}

/// Why an event cannot be folded. The folds of each module return it, and
/// `apply` names the event: the folds need not pass its name around.
struct Broken(String);

/// What every fold returns.
type Folded = Result<(), Broken>;

fn broken(reason: impl Into<String>) -> Broken {
    Broken(reason.into())
}

/// The entry `id` of `map`, or why the event naming it cannot be folded.
fn known<'a, K, V>(map: &'a mut FxHashMap<K, V>, kind: &str, id: &K) -> Result<&'a mut V, Broken>
where
    K: Eq + Hash + Display,
{
    map.get_mut(id)
        .ok_or_else(|| broken(format!("{kind} {id} unknown")))
}

/// Inserts a new entity; an id already taken means the log repeats a fact
/// `decide` would have refused.
fn insert_new<K, V>(
    map: &mut FxHashMap<K, V>,
    id: K,
    value: V,
    twice: impl FnOnce() -> String,
) -> Folded
where
    K: Eq + Hash,
{
    if map.insert(id, value).is_some() {
        return Err(broken(twice()));
    }
    Ok(())
}

/// Adds units counted in the log: a sum that overflows is a broken log, not
/// a wrapped count.
fn add_units(total: u64, more: u64) -> Result<u64, Broken> {
    total
        .checked_add(more)
        .ok_or_else(|| broken("a unit count overflows"))
}

/// Credit-control settings (domain.md 6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreditPolicy {
    /// With overdue receivables, an order is held when exposure after it
    /// exceeds this share of the limit, in percent. Default 80.
    pub overdue_threshold_percent: Decimal,
}

impl Default for CreditPolicy {
    fn default() -> Self {
        CreditPolicy {
            overdue_threshold_percent: Decimal::from(80),
        }
    }
}

/// Human document numbers in use (unique per kind, domain.md 1), kept as
/// 128-bit XXH3 fingerprints: no string is copied or compared per document
/// (a chance collision, about n^2 / 2^129, would refuse a new number as
/// taken; it never lets a duplicate through).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DocumentNumbers(FxHashSet<u128>);

impl DocumentNumbers {
    /// Whether `number` is in use.
    pub fn contains(&self, number: &str) -> bool {
        self.0
            .contains(&xxhash_rust::xxh3::xxh3_128(number.as_bytes()))
    }

    /// Marks `number` as in use.
    pub fn insert(&mut self, number: &str) {
        self.0
            .insert(xxhash_rust::xxh3::xxh3_128(number.as_bytes()));
    }
}

/// The write model.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteModel {
    /// Credit-control settings.
    pub policy: CreditPolicy,
    /// Customers.
    pub customers: FxHashMap<CustomerId, Customer>,
    /// Products by GTIN.
    pub products: FxHashMap<Gtin, Product>,
    /// Lots by GTIN, then lot number.
    pub lots: FxHashMap<Gtin, FxHashMap<String, Lot>>,
    /// Orders.
    pub orders: FxHashMap<OrderId, Order>,
    /// Order numbers in use.
    pub order_numbers: DocumentNumbers,
    /// Shipments.
    pub shipments: FxHashMap<ShipmentId, Shipment>,
    /// Invoices. Large values are boxed: growing the map then moves
    /// pointers, not whole invoices (measured with `arledger-benches domain`: apply
    /// about a third faster).
    pub invoices: FxHashMap<InvoiceId, Box<Invoice>>,
    /// Invoice numbers in use.
    pub invoice_numbers: DocumentNumbers,
    /// Credit note ids in use.
    pub credit_notes: FxHashSet<CreditNoteId>,
    /// Payments.
    pub payments: FxHashMap<PaymentId, Box<Payment>>,
    /// Recalls.
    pub recalls: FxHashMap<RecallId, Recall>,
    /// Shipment lines (shipment, order line number) that carried recalled
    /// units, with the recalls and their units on each: what an invoice
    /// billing them later is disputed for.
    pub recalled_lines: FxHashMap<(ShipmentId, u32), Vec<(RecallId, u64)>>,
}

impl WriteModel {
    /// An empty model with `policy`.
    pub fn new(policy: CreditPolicy) -> WriteModel {
        WriteModel {
            policy,
            ..WriteModel::default()
        }
    }

    /// A lot, if released.
    pub fn lot(&self, gtin: &Gtin, lot: &str) -> Option<&Lot> {
        self.lots.get(gtin).and_then(|lots| lots.get(lot))
    }

    /// Base dates of an invoice's due dates, from its shipments.
    pub fn base_dates(&self, invoice_date: NaiveDate, shipments: &[ShipmentId]) -> BaseDates {
        let found: Vec<&Shipment> = shipments
            .iter()
            .filter_map(|id| self.shipments.get(id))
            .collect();
        let all_accepted = found.iter().all(|s| s.accepted_on.is_some());
        BaseDates {
            invoice_date,
            shipped_on: found.iter().map(|s| s.shipped_on).max(),
            accepted_on: if all_accepted {
                found.iter().filter_map(|s| s.accepted_on).max()
            } else {
                None
            },
            has_goods: !found.is_empty(),
        }
    }

    /// Folds one event into the model.
    ///
    /// In debug builds (every test) it then checks the running totals of
    /// the customers, payments and lots the event touched against a
    /// recomputation from their documents, and panics with the
    /// [`InvariantError`] when one broke: a fold that keeps a total wrong
    /// fails the test that reached it, at the event that broke it. Release
    /// builds skip this (apply runs at millions of events per second); the
    /// whole model can be checked with [`WriteModel::check_invariants`].
    pub fn apply(&mut self, event: &Event) -> Result<(), ApplyError> {
        #[cfg(debug_assertions)]
        let touched = touched::Touched::by(self, event);
        self.fold(event).map_err(|Broken(reason)| ApplyError {
            event: event.type_name(),
            reason,
        })?;
        #[cfg(debug_assertions)]
        if let Err(e) = touched.check(self) {
            panic!("{} broke an invariant: {e}", event.type_name());
        }
        Ok(())
    }

    /// One fold per event type, in the module of its part of domain.md.
    fn fold(&mut self, event: &Event) -> Folded {
        match event {
            Event::CustomerRegistered(e) => self.customer_registered(e),
            Event::CustomerUpdated(e) => self.customer_updated(e),
            Event::CreditLimitSet(e) => self.credit_limit_set(e),
            Event::PaymentTermsSet(e) => self.payment_terms_set(e),
            Event::CollectionActivityRecorded(e) => self.collection_activity_recorded(e),
            Event::ProductRegistered(e) => self.product_registered(e),
            Event::LotReleased(e) => self.lot_released(e),
            Event::OrderPlaced(e) => self.order_placed(e),
            Event::OrderHeld(e) => self.order_held(e),
            Event::OrderReleased(e) => self.order_released(e),
            Event::OrderRejected(e) => self.order_rejected(e),
            Event::OrderCancelled(e) => self.order_cancelled(e),
            Event::OrderShipped(e) => self.order_shipped(e),
            Event::DeliveryAccepted(e) => self.delivery_accepted(e),
            Event::InvoiceIssued(e) => self.invoice_issued(e),
            Event::CreditNoteIssued(e) => self.credit_note_issued(e),
            Event::InvoiceWrittenOff(e) => self.invoice_written_off(e),
            Event::WriteOffRecovered(e) => self.write_off_recovered(e),
            Event::DisputeOpened(e) => self.dispute_opened(e),
            Event::DisputeResolved(e) => self.dispute_resolved(e),
            Event::PaymentReceived(e) => self.payment_received(e),
            Event::PaymentAllocated(e) => self.payment_allocated(e),
            Event::PaymentReversed(e) => self.payment_reversed(e),
            Event::RecallIssued(e) => self.recall_issued(e),
            Event::RecallNoticeAcknowledged(e) => self.recall_notice_acknowledged(e),
            Event::RecallUnitsReturned(e) => self.recall_units_returned(e),
        }
    }
}
