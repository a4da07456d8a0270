//! Subscriptions over WebSocket (graphql-transport-ws): every event
//! appended from now on, or from a position, catching up first. A
//! subscriber holds no thread: it waits on the head the server publishes
//! (`server::head_watch`) and reads the log in short blocking reads.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use arledger_core::log::codec::StoredEvent;
use async_graphql::{Context, Subscription as SubscriptionObject};
use futures_util::Stream;
use tokio::sync::watch;

use std::collections::HashSet;
use std::time::Duration;

use arledger_projections::alerts::{self as al, AlertQuery};
use arledger_projections::receivables::Scope;

use super::access;
use super::errors::{ApiError, ApiResult};
use super::report_types::Alert;
use super::reports::alerts_at;
use super::scalars::Position;
use super::types::Event;
use crate::server::state::AppState;

/// Events read from the log at a time.
const READ_CHUNK: usize = 256;

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
        let slot = Slot::take(&state, ctx.data_opt::<ConnectionSubscriptions>())?;
        let head = state.head.subscribe();
        let from = from_position.map_or(*head.borrow() + 1, |p| p.0.max(1));
        let prev = access::blocking({
            let state = Arc::clone(&state);
            move || Ok(state.ledger.hash_at(from - 1)?)
        })
        .await?;
        let follower = Follower {
            state,
            head,
            next: from,
            prev,
            buffer: VecDeque::new(),
            failed: false,
            _slot: slot,
        };
        Ok(futures_util::stream::unfold(follower, |mut f| async move {
            f.next().await.map(|item| (item, f))
        }))
    }

    /// Alerts as rules raise them: at each new head, and when the day
    /// changes, every alert at (today, head) that was not there before
    /// (ids are stable, so an alert still standing is not sent again).
    async fn alerts(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = ApiResult<Alert>> + use<>, async_graphql::Error> {
        let scope = access::amounts_scope(access::principal(ctx)?)?;
        let state = Arc::clone(access::state(ctx)?);
        let slot = Slot::take(&state, ctx.data_opt::<ConnectionSubscriptions>())?;
        let head = state.head.subscribe();
        let position = *head.borrow();
        let state_today = state.clock.now().date_naive();
        let mut watcher = AlertWatcher {
            state,
            head,
            scope,
            position,
            seen: HashSet::new(),
            date: state_today,
            buffer: VecDeque::new(),
            failed: false,
            _slot: slot,
        };
        let standing = watcher.alerts_at(position).await?;
        watcher.seen = standing.into_iter().map(|a| a.id).collect();
        Ok(futures_util::stream::unfold(watcher, |mut w| async move {
            w.next().await.map(|item| (item, w))
        }))
    }
}

/// How long an alerts subscriber waits, in all, for the read models to
/// reach a new head before it reports PROJECTION_LAG.
const ALERTS_CATCH_UP: Duration = Duration::from_secs(60);

/// An alerts subscriber: the alerts it has seen at the last head.
struct AlertWatcher {
    state: Arc<AppState>,
    head: watch::Receiver<u64>,
    scope: Option<Scope>,
    position: u64,
    seen: HashSet<String>,
    /// The ledger's day the alerts in `seen` were computed on.
    date: chrono::NaiveDate,
    buffer: VecDeque<Alert>,
    failed: bool,
    _slot: Slot,
}

impl AlertWatcher {
    /// The next new alert; `None` when the server stops or after an error.
    async fn next(&mut self) -> Option<ApiResult<Alert>> {
        loop {
            if let Some(alert) = self.buffer.pop_front() {
                return Some(Ok(alert));
            }
            if self.failed {
                return None;
            }
            let head = self.next_point().await?;
            match self.alerts_at(head).await {
                Ok(alerts) => {
                    let fresh = alerts.iter().filter(|a| !self.seen.contains(&a.id));
                    self.buffer.extend(fresh.cloned().map(Alert::from));
                    self.seen = alerts.into_iter().map(|a| a.id).collect();
                    self.position = head;
                    self.date = self.today();
                }
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e.into()));
                }
            }
        }
    }

    /// Waits for a new head, or for the ledger's day to change with none
    /// (time-based rules fire on their day without any event); the head
    /// to answer at, `None` when the server stops.
    async fn next_point(&mut self) -> Option<u64> {
        let position = self.position;
        loop {
            let waited = tokio::time::timeout(
                self.state.limits.alerts_day_check,
                self.head.wait_for(|head| *head > position),
            )
            .await
            .map(|head| head.map(|h| *h));
            match waited {
                Ok(Ok(head)) => return Some(head),
                Ok(Err(_)) => return None,
                Err(_) if self.today() != self.date => return Some(position),
                Err(_) => {}
            }
        }
    }

    fn today(&self) -> chrono::NaiveDate {
        self.state.clock.now().date_naive()
    }

    /// The alerts at (today, `position`), once the read models have it.
    async fn alerts_at(&self, position: u64) -> Result<Vec<al::Alert>, ApiError> {
        let state = Arc::clone(&self.state);
        let scope = self.scope.clone();
        access::blocking(move || {
            state
                .engine
                .wait_for(position, ALERTS_CATCH_UP)
                .map_err(|e| ApiError::new("PROJECTION_LAG", e.to_string()))?;
            let query = AlertQuery {
                as_of: state.clock.now().date_naive(),
                known_at_position: position,
                customer: None,
                scope,
            };
            Ok(alerts_at(&state, &query))
        })
        .await
    }
}

/// The subscriptions open on one WebSocket connection.
#[derive(Clone, Default)]
pub struct ConnectionSubscriptions(pub Arc<AtomicUsize>);

/// One open subscription, counted on its connection and in the server
/// until it is dropped.
struct Slot {
    state: Arc<AppState>,
    connection: Option<ConnectionSubscriptions>,
}

impl Slot {
    /// Counts one more subscription, or refuses it past either limit.
    fn take(
        state: &Arc<AppState>,
        connection: Option<&ConnectionSubscriptions>,
    ) -> Result<Slot, ApiError> {
        let limits = &state.limits;
        // Counted first, so that a refusal, dropping the slot, uncounts it.
        state.subscriptions.fetch_add(1, Ordering::Relaxed);
        if let Some(connection) = connection {
            connection.0.fetch_add(1, Ordering::Relaxed);
        }
        let slot = Slot {
            state: Arc::clone(state),
            connection: connection.cloned(),
        };
        if state.subscriptions.load(Ordering::Relaxed) > limits.subscriptions_max {
            return Err(ApiError::rate_limited(format!(
                "the server has {} subscriptions open, its most: try again later",
                limits.subscriptions_max
            )));
        }
        if let Some(connection) = connection
            && connection.0.load(Ordering::Relaxed) > limits.subscriptions_per_connection_max
        {
            return Err(ApiError::rate_limited(format!(
                "at most {} subscriptions per connection: complete one, or open another connection",
                limits.subscriptions_per_connection_max
            )));
        }
        Ok(slot)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.state.subscriptions.fetch_sub(1, Ordering::Relaxed);
        if let Some(connection) = &self.connection {
            connection.0.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// A subscriber's place in the log.
struct Follower {
    state: Arc<AppState>,
    head: watch::Receiver<u64>,
    /// The position of the next event to deliver.
    next: u64,
    /// The hash before it.
    prev: [u8; 32],
    buffer: VecDeque<StoredEvent>,
    /// Set after an error was delivered: the stream ends.
    failed: bool,
    _slot: Slot,
}

impl Follower {
    /// The next event, once it is durable; `None` when the server stops.
    async fn next(&mut self) -> Option<ApiResult<Event>> {
        while !self.failed && self.buffer.is_empty() {
            let next = self.next;
            self.head.wait_for(|head| *head >= next).await.ok()?;
            let state = Arc::clone(&self.state);
            let read = access::blocking(move || Ok(state.ledger.read(next, READ_CHUNK)?)).await;
            match read {
                Ok(events) => self.buffer.extend(events),
                Err(e) => return self.fail(e),
            }
        }
        let stored = self.buffer.pop_front()?;
        if stored.position != self.next {
            let gap = ApiError::unavailable(&format!(
                "the log skipped from {} to {}",
                self.next, stored.position
            ));
            return self.fail(gap);
        }
        let event = Event::from_stored(&stored, &self.prev);
        self.prev = stored.hash;
        self.next += 1;
        match event {
            Ok(event) => Some(Ok(event)),
            Err(e) => self.fail(e),
        }
    }

    fn fail(&mut self, error: ApiError) -> Option<ApiResult<Event>> {
        self.failed = true;
        Some(Err(error.into()))
    }
}
