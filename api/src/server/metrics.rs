//! Counters for `GET /metrics`, in Prometheus' text format: events
//! appended and commit sizes (from the ledger), projection lag (from the
//! engine), requests and their latency by operation, errors by code.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

use arledger_core::log::{FLUSH_SIZE_BOUNDS, FlushStats};

/// Latency bucket bounds, in milliseconds.
const LATENCY_BOUNDS_MS: [u64; 8] = [1, 5, 10, 25, 50, 100, 500, 2_500];

#[derive(Default)]
struct Operation {
    count: u64,
    micros_sum: u64,
    /// Requests at or under each bound of `LATENCY_BOUNDS_MS`.
    buckets: [u64; LATENCY_BOUNDS_MS.len()],
}

#[derive(Default)]
struct Counters {
    operations: BTreeMap<String, Operation>,
    errors: BTreeMap<String, u64>,
    commands: u64,
    websocket_connections: u64,
}

/// The server's counters.
#[derive(Default)]
pub struct Metrics {
    counters: Mutex<Counters>,
}

impl Metrics {
    fn counters(&self) -> std::sync::MutexGuard<'_, Counters> {
        self.counters.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One request of `operation` that took `elapsed`.
    pub fn request(&self, operation: &str, elapsed: Duration) {
        let millis = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let mut counters = self.counters();
        let op = counters
            .operations
            .entry(operation.to_string())
            .or_default();
        op.count += 1;
        op.micros_sum = op.micros_sum.saturating_add(micros);
        for (bucket, bound) in op.buckets.iter_mut().zip(LATENCY_BOUNDS_MS) {
            if millis <= bound {
                *bucket += 1;
            }
        }
    }

    /// One error answered with `code`.
    pub fn error(&self, code: &str) {
        *self.counters().errors.entry(code.to_string()).or_default() += 1;
    }

    /// One command accepted through the API.
    pub fn command(&self) {
        self.counters().commands += 1;
    }

    /// A WebSocket connection opened (+1) or closed (-1).
    pub fn websocket(&self, opened: bool) {
        let mut counters = self.counters();
        counters.websocket_connections = if opened {
            counters.websocket_connections + 1
        } else {
            counters.websocket_connections.saturating_sub(1)
        };
    }

    /// Open WebSocket connections.
    pub fn websocket_connections(&self) -> u64 {
        self.counters().websocket_connections
    }

    /// The text of `/metrics`, with the ledger's and the engine's gauges.
    pub fn render(&self, head: u64, projection_lag: u64, flushes: &FlushStats) -> String {
        let counters = self.counters();
        let mut out = String::new();
        let _ = writeln!(out, "# TYPE arledger_events_appended gauge");
        let _ = writeln!(out, "arledger_events_appended {head}");
        render_flushes(&mut out, flushes);
        let _ = writeln!(out, "# TYPE arledger_projection_lag_events gauge");
        let _ = writeln!(out, "arledger_projection_lag_events {projection_lag}");
        let _ = writeln!(out, "# TYPE arledger_commands_total counter");
        let _ = writeln!(out, "arledger_commands_total {}", counters.commands);
        let _ = writeln!(out, "# TYPE arledger_websocket_connections gauge");
        let _ = writeln!(
            out,
            "arledger_websocket_connections {}",
            counters.websocket_connections
        );
        let _ = writeln!(out, "# TYPE arledger_request_duration_seconds histogram");
        for (name, op) in &counters.operations {
            for (bound, count) in LATENCY_BOUNDS_MS.iter().zip(op.buckets) {
                let le = format!("{}.{:03}", bound / 1_000, bound % 1_000);
                let _ = writeln!(
                    out,
                    "arledger_request_duration_seconds_bucket{{operation=\"{name}\",le=\"{le}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "arledger_request_duration_seconds_bucket{{operation=\"{name}\",le=\"+Inf\"}} {}",
                op.count
            );
            let sum = format!(
                "{}.{:06}",
                op.micros_sum / 1_000_000,
                op.micros_sum % 1_000_000
            );
            let _ = writeln!(
                out,
                "arledger_request_duration_seconds_sum{{operation=\"{name}\"}} {sum}"
            );
            let _ = writeln!(
                out,
                "arledger_request_duration_seconds_count{{operation=\"{name}\"}} {}",
                op.count
            );
        }
        let _ = writeln!(out, "# TYPE arledger_errors_total counter");
        for (code, count) in &counters.errors {
            let _ = writeln!(out, "arledger_errors_total{{code=\"{code}\"}} {count}");
        }
        out
    }
}

/// The group commit's sizes: a histogram of events per durable flush.
fn render_flushes(out: &mut String, flushes: &FlushStats) {
    let _ = writeln!(out, "# TYPE arledger_commit_events histogram");
    for (bound, count) in FLUSH_SIZE_BOUNDS.iter().zip(flushes.at_most) {
        let _ = writeln!(
            out,
            "arledger_commit_events_bucket{{le=\"{bound}\"}} {count}"
        );
    }
    let _ = writeln!(
        out,
        "arledger_commit_events_bucket{{le=\"+Inf\"}} {}",
        flushes.flushes
    );
    let _ = writeln!(out, "arledger_commit_events_sum {}", flushes.events);
    let _ = writeln!(out, "arledger_commit_events_count {}", flushes.flushes);
}
