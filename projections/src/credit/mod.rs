//! Credit exposure per customer at any log position (read-models.md
//! "Credit exposure"; domain.md 6), with what collections alerts need of
//! credit: limits and grades, held orders, promises to pay.
//!
//! Exposure is "as known at" a position, like the write side's own (which
//! keeps it regardless of business dates): each customer's parts are a
//! series of cumulative points, one per event that moved them, and an
//! answer at p reads the last point at or before p. Overdue amounts are
//! the receivables projection's, at (D, p).
//!
//! - `facts`, `derive`: the facts and how an event gives them;
//! - `state`: the series, and the fold (the same moves as the write model);
//! - `exposure`: the `CreditExposure` report and the sorted list.

mod derive;
mod exposure;
mod facts;
mod state;

use arledger_core::ids::CustomerId;
use arledger_core::money::Currency;

use crate::chunks::{self, ChunkWriter};
use crate::projection::{Applied, Changes, LoadError, Projection};
use facts::Fact;
use state::{State, Unfit};

pub use exposure::{CreditExposure, ExposureError, ExposureQuery, UTILIZATION_DECIMALS};
pub use state::{Held, Parts, Promise};

/// The credit read model.
#[derive(Clone, Debug, Default)]
pub struct Credit {
    state: State,
    chunks: ChunkWriter,
}

impl PartialEq for Credit {
    fn eq(&self, other: &Credit) -> bool {
        self.state == other.state
    }
}

impl Credit {
    /// The exposure parts of `customer` in `currency` as known at
    /// `position` (zero when nothing moved them).
    pub fn parts_at(&self, customer: CustomerId, currency: Currency, position: u64) -> Parts {
        self.state.parts_at(customer, currency, position)
    }

    /// Every customer registered at `position`, in registration order.
    pub fn customers_at(&self, position: u64) -> Vec<CustomerId> {
        (self.state.customers.iter())
            .filter(|c| c.versions.first().is_some_and(|v| v.position <= position))
            .map(|c| c.id)
            .collect()
    }

    /// The orders of `customer` held at `position`.
    pub fn held_at(&self, customer: CustomerId, position: u64) -> Vec<Held> {
        self.state.held_at(customer, position)
    }

    /// The promises to pay of `customer` recorded at or before `position`.
    pub fn promises_at(&self, customer: CustomerId, position: u64) -> Vec<Promise> {
        self.state
            .customer(customer)
            .map(|c| {
                c.promises
                    .iter()
                    .take_while(|p| p.position <= position)
                    .copied()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The grade of `customer` at `position`, once a limit is set.
    pub fn grade_at(
        &self,
        customer: CustomerId,
        position: u64,
    ) -> Option<arledger_core::domain::types::RiskGrade> {
        self.state
            .customer(customer)
            .and_then(|c| state::last_at(&c.limits, position, |l| l.position))
            .map(|l| l.grade)
    }

    /// The salesperson of `customer` at `position`.
    pub fn salesperson_at(&self, customer: CustomerId, position: u64) -> Option<String> {
        self.state
            .customer(customer)
            .and_then(|c| state::last_at(&c.versions, position, |v| v.position))
            .map(|v| v.salesperson.clone())
    }

    fn record(&mut self, position: u64, fact: &Fact) {
        let value = match crate::stored::encode(fact) {
            Ok(value) => value,
            Err(e) => return broken(position, &format!("a fact does not encode: {e}")),
        };
        if let Err(Unfit(reason)) = self.state.add(position, fact) {
            return broken(position, &reason);
        }
        self.chunks.push(position, 0, &value);
    }
}

/// An event that cannot be folded (see the receivables projection).
fn broken(position: u64, reason: &str) {
    tracing::error!(position, reason, "credit: event left out");
    if cfg!(debug_assertions) {
        panic!("credit: event at position {position} left out: {reason}");
    }
}

impl Projection for Credit {
    const NAME: &'static str = "credit";
    const VERSION: u32 = 1;

    fn empty() -> Self {
        Credit::default()
    }

    fn apply(&mut self, applied: &Applied<'_>) {
        match self.state.fact_of(applied.event) {
            Ok(Some(fact)) => self.record(applied.position, &fact),
            Ok(None) => {}
            Err(Unfit(reason)) => broken(applied.position, &reason),
        }
    }

    fn drain_changes(&mut self, changes: &mut Changes) {
        self.chunks.drain(facts::FACT_TAG, changes);
    }

    fn load(entries: &mut dyn Iterator<Item = (Vec<u8>, Vec<u8>)>) -> Result<Self, LoadError> {
        let mut state = State::default();
        let chunks =
            chunks::load_records(Self::NAME, facts::FACT_TAG, entries, |position, bytes| {
                let fact: Fact = crate::stored::decode(bytes).map_err(|e| e.to_string())?;
                state.add(position, &fact).map_err(|Unfit(reason)| reason)
            })?;
        Ok(Credit { state, chunks })
    }
}
