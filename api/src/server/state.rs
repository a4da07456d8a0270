//! What every request shares: the ledger, the projection engine and the
//! read models, the tokens, the metrics and the limits.

use std::sync::Arc;

use arledger_core::clock::Clock;
use arledger_core::log::Ledger;
use arledger_projections::engine::{Engine, Handle};
use arledger_projections::receivables::Receivables;

use crate::auth::TokenStore;
use crate::server::limits::{Limits, RateLimiter};
use crate::server::metrics::Metrics;

/// The server's shared state.
pub struct AppState {
    /// The ledger.
    pub ledger: Ledger,
    /// The projection engine (its applied position, lag, waits).
    pub engine: Engine,
    /// Receivable items and aging.
    pub receivables: Handle<Receivables>,
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
}
