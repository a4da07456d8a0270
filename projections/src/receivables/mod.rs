//! Receivable items and aging at any point in time (read-models.md
//! "Receivable items", "Aging", "Time travel"; the `aging` query of the
//! GraphQL contract).
//!
//! The state is bitemporal facts: everything that changes an item carries
//! its business date and its log position, in compact position-ordered
//! records (`state`). An answer at (D, p), business date D as known at
//! log position p, is a filter over them (`date <= D and position <= p`):
//! the log is never replayed per query, and nothing in an answer depends
//! on a fact recorded after p, so the same (D, p) gives the same bytes
//! however many events (backdated ones included) are appended later.
//!
//! - `facts`: the facts, and their stored entries (append-only, keyed by
//!   position and sequence within the event);
//! - `derive`: the facts of an event;
//! - `state`: the records and indexes facts are added to;
//! - `fill`: open amounts at (D, p): reductions fill installments in the
//!   order they are dated;
//! - `buckets`, `aging`: the report and the drill-down;
//! - `query`, `report`: what is asked and what is answered.
//!
//! Where read-models.md is silent:
//! - an item is open at (D, p) by its amount less the allocations, credit
//!   notes and write-offs that exist at (D, p); an allocation takes effect
//!   on the later of its payment's and its invoice's dates; an allocation
//!   of a payment reversed at (D, p) does not exist;
//! - what a named installment cannot take (an earlier-dated reduction,
//!   recorded later, filled it) goes to the others, oldest due first, so
//!   an invoice's open amount is always its amount less its reductions;
//! - `WriteOffRecovered` changes no open amount, as in the write model;
//! - an acceptance-based due date is known from the position of the last
//!   acceptance of the invoice's shipments and the latest acceptance date;
//!   before then the item is "not due" and its `days` unknown;
//! - the disputed amount of an invoice is that of its latest dispute open
//!   at (D, p), at most its open amount;
//! - drill-down items are the open ones; report rows with nothing in them
//!   are left out, and totals list the currencies of the rows.

mod aging;
mod behaviour;
mod buckets;
mod derive;
mod dso;
mod facts;
mod fill;
mod open_items;
mod query;
mod report;
mod stamp;
mod state;
mod texts;

use arledger_core::ids::CustomerId;

use crate::chunks::{self, ChunkWriter};
use crate::projection::{Applied, Changes, LoadError, Projection};
use facts::Fact;
use state::{State, Unfit};

pub use behaviour::{BEHAVIOUR_DAYS, PaymentBehaviour};
pub use dso::{DISPLAY_DECIMALS, DsoQuery, DsoReport, PERIOD_DAYS_MAX, TREND_MONTHS_MAX};
pub use open_items::{OpenItem, Overdue};
pub use query::{
    AgingBasis, AgingError, AgingGroup, AgingQuery, BUCKET_DAYS_MAX, DEFAULT_BUCKET_DAYS, Scope,
};
pub use report::{AgingBucket, AgingReport, AgingRow, AgingTotal, ReceivableItem};

/// The receivables read model: receivable items and aging at any (D, p).
///
/// Two are equal when they hold the same facts: what is still to be
/// stored (kept until the engine drains it) is bookkeeping, not state.
#[derive(Clone, Debug, Default)]
pub struct Receivables {
    state: State,
    /// The facts' records, stored in chunks of positions.
    chunks: ChunkWriter,
}

impl Receivables {
    /// The aging report at the query's (D, p).
    ///
    /// p should be a position this projection has applied: the answer at
    /// a later p would change as the events up to it arrive.
    pub fn aging(&self, query: &AgingQuery) -> Result<AgingReport, AgingError> {
        self.state.aging(query)
    }

    /// The open items of `customer` at the query's (D, p) (its grouping is
    /// ignored), sorted by invoice date, invoice number and installment.
    pub fn items(
        &self,
        query: &AgingQuery,
        customer: CustomerId,
    ) -> Result<Vec<ReceivableItem>, AgingError> {
        self.state.items(query, customer)
    }

    /// The DSO family at the query's (D, p) (read-models.md "DSO and
    /// collection ratios").
    pub fn dso(&self, query: &DsoQuery) -> Result<DsoReport, AgingError> {
        self.state.dso(query)
    }

    /// The DSO family at D and at the ends of the `months - 1` calendar
    /// months before, oldest first.
    pub fn dso_trend(&self, query: &DsoQuery, months: u32) -> Result<Vec<DsoReport>, AgingError> {
        self.state.dso_trend(query, months)
    }

    /// Per (customer, currency), what is overdue at (`as_of`, `position`):
    /// installments due before D, on the due-date basis.
    pub fn overdue(
        &self,
        as_of: chrono::NaiveDate,
        position: u64,
    ) -> rustc_hash::FxHashMap<(CustomerId, arledger_core::money::Currency), Overdue> {
        self.state.overdue(as_of, position, None)
    }

    /// What `customer` alone has overdue at (`as_of`, `position`), per
    /// currency: the entries of [`Receivables::overdue`] for it, without
    /// filling every other customer's invoices.
    pub fn overdue_of(
        &self,
        customer: CustomerId,
        as_of: chrono::NaiveDate,
        position: u64,
    ) -> rustc_hash::FxHashMap<(CustomerId, arledger_core::money::Currency), Overdue> {
        self.state.overdue(as_of, position, Some(customer))
    }

    /// Per invoice with anything open at (`as_of`, `position`): its
    /// currency and open amount (what a recall's impact reports).
    pub fn open_by_invoice(
        &self,
        as_of: chrono::NaiveDate,
        position: u64,
    ) -> rustc_hash::FxHashMap<
        arledger_core::ids::InvoiceId,
        (arledger_core::money::Currency, rust_decimal::Decimal),
    > {
        self.state.open_by_invoice(as_of, position)
    }

    /// Every open installment at (`as_of`, `position`), with its disputed
    /// part; of one customer when given.
    pub fn open_items(
        &self,
        as_of: chrono::NaiveDate,
        position: u64,
        customer: Option<CustomerId>,
    ) -> Vec<OpenItem> {
        self.state.open_items(as_of, position, customer)
    }

    /// `customer`'s payment behaviour over the 365 days ending on
    /// `as_of`, as known at `position`, and the grade it suggests.
    pub fn payment_behaviour(
        &self,
        customer: CustomerId,
        as_of: chrono::NaiveDate,
        position: u64,
    ) -> Option<PaymentBehaviour> {
        self.state.payment_behaviour(customer, as_of, position)
    }

    /// Adds the `seq`-th fact of the event at `position` and keeps its
    /// entry for the next drain.
    fn record(&mut self, position: u64, seq: &mut u16, fact: &Fact) {
        let value = match facts::encode(fact) {
            Ok(value) => value,
            Err(e) => return broken(position, &format!("a fact does not encode: {e}")),
        };
        if let Err(Unfit(reason)) = self.state.add(position, fact) {
            return broken(position, &reason);
        }
        self.chunks.push(position, *seq, &value);
        match seq.checked_add(1) {
            Some(next) => *seq = next,
            None => broken(position, "more than 65,536 facts in one event"),
        }
    }
}

impl PartialEq for Receivables {
    fn eq(&self, other: &Receivables) -> bool {
        self.state == other.state
    }
}

/// An event that cannot be folded: the log holds what the write model
/// would have refused, or this code is wrong. The trait gives `apply` no
/// error to return; the event is left out, loudly, and tests fail on it.
fn broken(position: u64, reason: &str) {
    tracing::error!(position, reason, "receivables: event left out");
    if cfg!(debug_assertions) {
        panic!("receivables: event at position {position} left out: {reason}");
    }
}

impl Projection for Receivables {
    const NAME: &'static str = "receivables";
    const VERSION: u32 = 1;

    fn empty() -> Self {
        Receivables::default()
    }

    fn apply(&mut self, applied: &Applied<'_>) {
        let position = applied.position;
        let mut seq = 0;
        let fact = match self.state.fact_of(applied.event) {
            Ok(fact) => fact,
            Err(Unfit(reason)) => return broken(position, &reason),
        };
        if let Some(fact) = &fact {
            self.record(position, &mut seq, fact);
        }
        if let Some(Fact::Accepted(accepted)) = &fact {
            for due_dates in self.state.dues_completed_by(accepted.shipment) {
                self.record(position, &mut seq, &due_dates);
            }
        }
        match self.state.recall_facts(applied.event) {
            Ok(facts) => {
                for fact in &facts {
                    self.record(position, &mut seq, fact);
                }
            }
            Err(Unfit(reason)) => broken(position, &reason),
        }
    }

    fn drain_changes(&mut self, changes: &mut Changes) {
        self.chunks.drain(facts::FACT_TAG, changes);
    }

    fn load(entries: &mut dyn Iterator<Item = (Vec<u8>, Vec<u8>)>) -> Result<Self, LoadError> {
        let mut state = State::default();
        let chunks =
            chunks::load_records(Self::NAME, facts::FACT_TAG, entries, |position, bytes| {
                let fact = facts::decode(bytes).map_err(|e| e.to_string())?;
                state.add(position, &fact).map_err(|Unfit(reason)| reason)
            })?;
        Ok(Receivables { state, chunks })
    }
}
