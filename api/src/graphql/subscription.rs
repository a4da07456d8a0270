//! Subscriptions over WebSocket (graphql-transport-ws): every event
//! appended from now on, or from a position, catching up first.

use std::sync::Arc;
use std::time::Duration;

use async_graphql::{Context, Subscription as SubscriptionObject};
use futures_util::Stream;

use super::access;
use super::errors::{ApiError, ApiResult};
use super::scalars::Position;
use super::types::Event;
use crate::server::state::AppState;
use tokio::sync::mpsc::Sender;

/// Events buffered for a slow subscriber before its reader waits.
const SUBSCRIPTION_BUFFER_MAX: usize = 1_024;
/// How often a waiting reader looks whether its subscriber left.
const POLL: Duration = Duration::from_millis(500);

/// The root of subscriptions.
pub struct Subscription;

#[SubscriptionObject]
impl Subscription {
    /// Every event appended from now on (optionally from a position,
    /// catching up first).
    async fn events(
        &self,
        ctx: &Context<'_>,
        from_position: Option<Position>,
    ) -> Result<impl Stream<Item = ApiResult<Event>> + use<>, async_graphql::Error> {
        access::raw_log(access::principal(ctx)?)?;
        let state = Arc::clone(access::state(ctx)?);
        let from = from_position.map_or(state.ledger.head().position + 1, |p| p.0.max(1));
        let (tx, rx) = tokio::sync::mpsc::channel::<ApiResult<Event>>(SUBSCRIPTION_BUFFER_MAX);
        tokio::task::spawn_blocking(move || forward(&state, from, &tx));
        Ok(futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        }))
    }
}

/// The subscription's reader, on a blocking thread: sends every event from
/// `from` on until the subscriber leaves or the log fails.
fn forward(state: &AppState, from: u64, tx: &Sender<ApiResult<Event>>) {
    let mut subscription = state.ledger.subscribe(from);
    let mut prev = match state.ledger.hash_at(from - 1) {
        Ok(hash) => hash,
        Err(e) => {
            let _ = tx.blocking_send(Err(ApiError::from(e).into()));
            return;
        }
    };
    while !tx.is_closed() {
        let next = match subscription.next_timeout(POLL) {
            Ok(Some(stored)) => {
                let event = Event::from_stored(&stored, &prev);
                prev = stored.hash;
                event.map_err(Into::into)
            }
            Ok(None) => continue,
            Err(e) => Err(ApiError::from(e).into()),
        };
        let failed = next.is_err();
        if tx.blocking_send(next).is_err() || failed {
            return;
        }
    }
}
