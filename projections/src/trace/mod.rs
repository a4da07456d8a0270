//! Traceability for regulators (traceability.md "Chains regulators ask
//! for"; read-models.md "Traceability"): by lot, by UDI, by customer, and
//! recall impact, each as known at any log position (an inspector asks
//! what the company knew, and when). Business dates are the documents';
//! "as known at" p leaves out every fact recorded after p.
//!
//! - `state`: the facts and the fold;
//! - `query`: the chains and the recall impact;
//! - `epcis`: a lot's or a recall's chain as a GS1 EPCIS 2.0 document.

mod epcis;
mod query;
mod state;

use arledger_core::domain::Event;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::chunks::{self, ChunkWriter};
use crate::projection::{Applied, Changes, LoadError, Projection};
use state::{Fact, State, Unfit};

pub use epcis::{EPCIS_CONTEXT, lgtin, sgtin};
pub use query::{
    CustomerTrace, LotTrace, OpenAmount, RecallCustomer, RecallImpact, RecallSummary, ShipmentTrace,
};

/// The first byte of every fact's key.
const FACT_TAG: u8 = b't';

/// A stored fact with the moment the ledger recorded its event.
#[derive(Serialize, Deserialize)]
struct Stored {
    recorded_at_micros: i64,
    fact: Fact,
}

/// The traceability read model.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    state: State,
    chunks: ChunkWriter,
}

impl PartialEq for Trace {
    fn eq(&self, other: &Trace) -> bool {
        self.state == other.state
    }
}

/// The fact of `event`, if the chains need it.
fn fact_of(event: &Event) -> Option<Fact> {
    Some(match event {
        Event::ProductRegistered(e) => Fact::Product(e.clone()),
        Event::LotReleased(e) => Fact::Lot(e.clone()),
        Event::CustomerRegistered(e) => Fact::Customer(e.clone()),
        Event::CustomerUpdated(e) if e.name.is_some() || e.region.is_some() => {
            Fact::CustomerUpdated(e.clone())
        }
        Event::OrderPlaced(e) => Fact::Order {
            id: e.order_id,
            customer: e.customer_id,
            number: e.number.clone(),
        },
        Event::OrderShipped(e) => Fact::Shipped(e.clone()),
        Event::DeliveryAccepted(e) => Fact::Accepted(e.clone()),
        Event::InvoiceIssued(e) => {
            let mut shipments = Vec::new();
            for r in e.lines.iter().filter_map(|l| l.shipment_line.as_ref()) {
                if !shipments.contains(&r.shipment_id) {
                    shipments.push(r.shipment_id);
                }
            }
            if shipments.is_empty() {
                return None;
            }
            Fact::Invoiced {
                id: e.invoice_id,
                number: e.number.clone(),
                shipments,
            }
        }
        Event::RecallIssued(e) => Fact::Recall(e.clone()),
        Event::RecallNoticeAcknowledged(e) => Fact::Acknowledged(e.clone()),
        Event::RecallUnitsReturned(e) => Fact::Returned(e.clone()),
        _ => return None,
    })
}

/// An event that cannot be folded (see the receivables projection).
fn broken(position: u64, reason: &str) {
    tracing::error!(position, reason, "trace: event left out");
    if cfg!(debug_assertions) {
        panic!("trace: event at position {position} left out: {reason}");
    }
}

impl Projection for Trace {
    const NAME: &'static str = "trace";
    const VERSION: u32 = 1;

    fn empty() -> Self {
        Trace::default()
    }

    fn apply(&mut self, applied: &Applied<'_>) {
        let Some(fact) = fact_of(applied.event) else {
            return;
        };
        let stored = Stored {
            recorded_at_micros: applied.recorded_at.timestamp_micros(),
            fact,
        };
        let bytes = match crate::stored::encode(&stored) {
            Ok(bytes) => bytes,
            Err(e) => return broken(applied.position, &format!("a fact does not encode: {e}")),
        };
        if let Err(Unfit(reason)) =
            self.state
                .add(applied.position, applied.recorded_at, &stored.fact)
        {
            return broken(applied.position, &reason);
        }
        self.chunks.push(applied.position, 0, &bytes);
    }

    fn drain_changes(&mut self, changes: &mut Changes) {
        self.chunks.drain(FACT_TAG, changes);
    }

    fn load(entries: &mut dyn Iterator<Item = (Vec<u8>, Vec<u8>)>) -> Result<Self, LoadError> {
        let mut state = State::default();
        let chunks = chunks::load_records(Self::NAME, FACT_TAG, entries, |position, bytes| {
            let stored: Stored = crate::stored::decode(bytes).map_err(|e| e.to_string())?;
            let at = DateTime::<Utc>::from_timestamp_micros(stored.recorded_at_micros)
                .ok_or_else(|| "a recorded time out of range".to_string())?;
            state
                .add(position, at, &stored.fact)
                .map_err(|Unfit(reason)| reason)
        })?;
        Ok(Trace { state, chunks })
    }
}
