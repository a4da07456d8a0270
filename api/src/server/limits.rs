//! Every limit a request meets, each a named setting with a clear error
//! (TigerBeetle's "put a limit on everything").

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The limits of requests. Defaults suit the 2-core development machine.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest request body, in bytes.
    pub body_bytes_max: usize,
    /// Deepest query nesting.
    pub query_depth_max: usize,
    /// Largest query complexity (a report costs `REPORT_COMPLEXITY`, so a
    /// flood of aliased reports is refused).
    pub query_complexity_max: usize,
    /// Largest page (`first`).
    pub page_size_max: usize,
    /// Longest a request may run.
    pub request_timeout: Duration,
    /// Requests per second one token may make (a burst of as many).
    pub requests_per_second_per_token: u32,
    /// Most open WebSocket connections.
    pub websocket_connections_max: usize,
    /// Most subscriptions open on one WebSocket connection.
    pub subscriptions_per_connection_max: usize,
    /// Most subscriptions open in the whole server.
    pub subscriptions_max: usize,
    /// Longest a query waits for the read models to reach the position it
    /// names before `PROJECTION_LAG`.
    pub projection_wait: Duration,
    /// How often an alerts subscription with no new event looks whether
    /// the ledger's day changed (time-based rules fire on their day).
    pub alerts_day_check: Duration,
}

/// What one report field costs in query complexity.
pub const REPORT_COMPLEXITY: usize = 100;

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            body_bytes_max: 1024 * 1024,
            query_depth_max: 12,
            query_complexity_max: 10 * REPORT_COMPLEXITY,
            page_size_max: 1_000,
            request_timeout: Duration::from_secs(30),
            requests_per_second_per_token: 20_000,
            websocket_connections_max: 256,
            subscriptions_per_connection_max: 16,
            subscriptions_max: 1_024,
            projection_wait: Duration::from_secs(5),
            alerts_day_check: Duration::from_secs(60),
        }
    }
}

/// A token bucket per user: `rate` requests per second, bursts of as many.
pub struct RateLimiter {
    rate: u32,
    /// Per user: requests left, in thousandths (whole numbers, no
    /// floats), and when last refilled.
    buckets: Mutex<HashMap<String, (u64, Instant)>>,
}

impl RateLimiter {
    /// A limiter of `rate` requests per second per user.
    pub fn new(rate: u32) -> RateLimiter {
        RateLimiter {
            rate: rate.max(1),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `user` may make one more request now.
    pub fn allow(&self, user: &str) -> bool {
        let capacity = u64::from(self.rate) * 1_000;
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let (left, since) = buckets.entry(user.to_string()).or_insert((capacity, now));
        let refill = u64::try_from(now.duration_since(*since).as_millis())
            .unwrap_or(u64::MAX)
            .saturating_mul(u64::from(self.rate));
        *left = left.saturating_add(refill).min(capacity);
        *since = now;
        if *left >= 1_000 {
            *left -= 1_000;
            true
        } else {
            false
        }
    }
}
