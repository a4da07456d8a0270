//! What every request shares: the ledger, the projection engine and the
//! read models, the tokens, the metrics and the limits.

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use arledger_core::clock::Clock;
use arledger_core::log::Ledger;
use std::time::Duration;

use arledger_projections::alerts::AlertSettings;
use arledger_projections::credit::Credit;
use arledger_projections::engine::{Engine, EngineError, Handle};
use arledger_projections::receivables::Receivables;
use arledger_projections::trace::Trace;

use crate::auth::TokenStore;
use crate::server::head_watch::HeadWatch;
use crate::server::limits::{Limits, RateLimiter};
use crate::server::metrics::Metrics;

/// The server's shared state.
pub struct AppState {
    /// The ledger.
    pub ledger: Ledger,
    /// The projection engine (its applied position, lag, waits).
    pub engine: Engine,
    /// Receivable items, aging, DSO and payment behaviour.
    pub receivables: Handle<Receivables>,
    /// Credit exposure, held orders and promises to pay.
    pub credit: Handle<Credit>,
    /// Lot, serial, customer and recall chains.
    pub trace: Handle<Trace>,
    /// The collections rules' settings.
    pub alert_settings: AlertSettings,
    /// API tokens.
    pub tokens: TokenStore,
    /// Counters for `/metrics`.
    pub metrics: Metrics,
    /// The limits of requests.
    pub limits: Limits,
    /// Requests per token.
    pub rate: RateLimiter,
    /// Today's date for reports that name none.
    pub clock: Arc<dyn Clock>,
    /// The durable head, for subscriptions to wait on.
    pub head: HeadWatch,
    /// Subscriptions open now.
    pub subscriptions: AtomicUsize,
}

/// What a server is made of; the rest of its state starts empty.
pub struct Parts {
    /// The ledger, open.
    pub ledger: Ledger,
    /// The engine and the read models it keeps.
    pub read_models: ReadModels,
    /// The collections rules' settings.
    pub alert_settings: AlertSettings,
    /// API tokens.
    pub tokens: TokenStore,
    /// The limits of requests.
    pub limits: Limits,
    /// The clock for "today".
    pub clock: Arc<dyn Clock>,
}

impl AppState {
    /// The state of a server on `parts`; starts the head watcher.
    pub fn new(parts: Parts) -> std::io::Result<AppState> {
        Ok(AppState {
            head: HeadWatch::start(parts.ledger.clone())?,
            subscriptions: AtomicUsize::new(0),
            metrics: Metrics::default(),
            rate: RateLimiter::new(parts.limits.requests_per_second_per_token),
            ledger: parts.ledger,
            engine: parts.read_models.engine,
            receivables: parts.read_models.receivables,
            credit: parts.read_models.credit,
            trace: parts.read_models.trace,
            alert_settings: parts.alert_settings,
            tokens: parts.tokens,
            limits: parts.limits,
            clock: parts.clock,
        })
    }
}

/// The engine, started, and the read models it keeps.
pub struct ReadModels {
    /// The engine.
    pub engine: Engine,
    /// Receivable items, aging, DSO and payment behaviour.
    pub receivables: Handle<Receivables>,
    /// Credit exposure, held orders and promises to pay.
    pub credit: Handle<Credit>,
    /// Lot, serial, customer and recall chains.
    pub trace: Handle<Trace>,
}

/// How often catching up reports its progress.
const CATCH_UP_TICK: Duration = Duration::from_millis(200);

/// Starts the engine with every read model the server serves and waits
/// until it has applied the ledger's head, telling `progress` (applied,
/// head) as it goes.
pub fn start_read_models(
    ledger: &Ledger,
    mut progress: impl FnMut(u64, u64),
) -> Result<ReadModels, EngineError> {
    let mut builder = Engine::builder(ledger);
    let receivables = builder.add::<Receivables>()?;
    let credit = builder.add::<Credit>()?;
    let trace = builder.add::<Trace>()?;
    let engine = builder.start()?;
    let head = ledger.head().position;
    loop {
        progress(engine.applied(), head);
        match engine.wait_for(head, CATCH_UP_TICK) {
            Ok(()) => {
                return Ok(ReadModels {
                    engine,
                    receivables,
                    credit,
                    trace,
                });
            }
            Err(EngineError::Behind { .. }) => {}
            Err(e) => return Err(e),
        }
    }
}
