//! The limits a client can run into that `server_hostile.rs` does not
//! flood: a token's request rate (RATE_LIMITED, 429), the per-request
//! timeout (TIMEOUT), and the bound on waiting for the read models
//! (PROJECTION_LAG). Each over real HTTP on a loopback port; the last two
//! with the server in this process, whose read model the test holds back.
//! And the alerts subscription over a day that passes with no event, on
//! the in-process server whose clock the test moves.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

mod server_support;

use std::sync::Arc;
use std::time::Duration;

use arledger::auth::TokenStore;
use arledger::server::limits::Limits;
use arledger::server::router;
use arledger::server::state::{AppState, Parts, start_read_models};
use arledger_core::clock::ManualClock;
use arledger_core::domain::Role;
use arledger_core::log::{Ledger, LedgerOptions};
use arledger_projections::alerts::AlertSettings;
use chrono::{TimeZone, Utc};
use serde_json::json;
use server_support::Harness;
use server_support::books::cmd;
use server_support::client::{Api, Reply, position};
use uuid::Uuid;

const HEAD: &str = "{ ledgerHead { position } }";

#[test]
fn a_token_over_its_rate_is_rate_limited_while_other_tokens_are_served() {
    let h = Harness::start_with(&["--requests-per-second", "1"], &[]);
    // A burst of one: the first is served, the next within the second is
    // refused.
    assert_eq!(h.api.query(h.admin(), HEAD).status, 200);
    let refused = h.api.query(h.admin(), HEAD);
    assert_eq!(refused.status, 429, "{}", refused.body);
    refused.assert_code("RATE_LIMITED");
    let other = h.api.query(h.tokens.of(Role::Finance), HEAD);
    assert_eq!(other.status, 200, "another token is served: {}", other.body);
}

/// A server in this process, so that the test can hold its read model
/// back: while the test reads it, the engine cannot apply.
struct InProcess {
    state: Arc<AppState>,
    clock: Arc<ManualClock>,
    api: Api,
    runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

const ADMIN: &str = "arl_test_admin_token_for_the_lag_test";

impl InProcess {
    fn start(limits: Limits) -> InProcess {
        let dir = tempfile::tempdir().unwrap();
        let start = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        let clock = Arc::new(ManualClock::new(start));
        let ledger = Ledger::open(dir.path(), LedgerOptions::new(clock.clone())).unwrap();
        let test_clock = Arc::clone(&clock);
        let read_models = start_read_models(&ledger, |_, _| {}).unwrap();
        let state = Arc::new(
            AppState::new(Parts {
                tokens: TokenStore::new(dir.path(), Some(ADMIN.into())),
                limits,
                clock,
                ledger,
                read_models,
                alert_settings: AlertSettings::default(),
            })
            .unwrap(),
        );
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let address = listener.local_addr().unwrap();
        let app = router(Arc::clone(&state));
        runtime.spawn(async move { axum::serve(listener, app).await });
        InProcess {
            state,
            clock: test_clock,
            api: Api::new(&format!("http://{address}")),
            runtime,
            _dir: dir,
        }
    }
}

fn aging_at(api: &Api, p: u64) -> Reply {
    let query = "query($p: Position) { aging(knownAtPosition: $p) { knownAtPosition } }";
    api.post(Some(ADMIN), query, json!({ "p": p.to_string() }))
}

#[test]
fn a_query_past_what_the_read_models_applied_waits_then_is_projection_lag() {
    let limits = Limits {
        projection_wait: Duration::from_millis(300),
        ..Limits::default()
    };
    let server = InProcess::start(limits);
    let held = server.state.receivables.read();
    let registered = server
        .api
        .ok(ADMIN, &cmd::register_customer(Uuid::new_v4(), "rep-1"));
    let at = position(&registered["position"]);
    aging_at(&server.api, at).assert_code("PROJECTION_LAG");
    drop(held);
    // Released, the engine applies it and the same query is answered.
    let answered = aging_at(&server.api, at);
    assert_eq!(
        position(&answered.data()["aging"]["knownAtPosition"]),
        at,
        "{}",
        answered.body
    );
    drop(server.runtime);
}

#[test]
fn a_request_over_the_timeout_is_stopped_with_timeout() {
    let limits = Limits {
        projection_wait: Duration::from_secs(30),
        request_timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let server = InProcess::start(limits);
    let held = server.state.receivables.read();
    let registered = server
        .api
        .ok(ADMIN, &cmd::register_customer(Uuid::new_v4(), "rep-1"));
    let at = position(&registered["position"]);
    // The query waits for the read models longer than a request may run.
    let stopped = aging_at(&server.api, at);
    assert_eq!(stopped.status, 408, "{}", stopped.body);
    stopped.assert_code("TIMEOUT");
    drop(held);
    drop(server.runtime);
}

#[test]
fn the_alerts_subscription_pushes_what_a_new_day_raises_with_no_event() {
    use futures_util::StreamExt;
    use server_support::reports::more;

    let limits = Limits {
        alerts_day_check: Duration::from_millis(20),
        ..Limits::default()
    };
    let server = InProcess::start(limits.clone());
    let customer = Uuid::new_v4();
    server
        .api
        .ok(ADMIN, &cmd::register_customer(customer, "rep-1"));
    server
        .api
        .ok(ADMIN, &more::limit(customer, "100000.00", "A"));
    // Net 30 from 10 November: due 10 December, reminded from 3 December.
    let invoice = more::service_invoice(Uuid::new_v4(), customer, "900.00", "2026-11-10");
    let issued = server.api.ok(ADMIN, &invoice);
    let at = position(&issued["position"]);
    server
        .state
        .engine
        .wait_for(at, Duration::from_secs(30))
        .unwrap();
    let schema = arledger::graphql::schema(Arc::clone(&server.state), &limits);
    let admin = arledger::auth::Principal {
        user_id: "admin".into(),
        role: Role::Admin,
        customers: Vec::new(),
    };
    let request = async_graphql::Request::new("subscription { alerts { reasonCode dueDate } }");
    let mut alerts = schema.execute_stream(request.data(admin));
    server.runtime.block_on(async {
        // On 1 December nothing stands and nothing arises.
        let quiet = tokio::time::timeout(Duration::from_millis(200), alerts.next()).await;
        assert!(quiet.is_err(), "nothing arises on 1 December: {quiet:?}");
        server
            .clock
            .set(Utc.with_ymd_and_hms(2026, 12, 3, 9, 0, 0).unwrap());
        let next = tokio::time::timeout(Duration::from_secs(30), alerts.next()).await;
        let response = next.expect("an alert within 30 s of the new day").unwrap();
        assert!(response.errors.is_empty(), "{:?}", response.errors);
        let data = response.data.into_json().unwrap();
        assert_eq!(data["alerts"]["reasonCode"], "DUE_SOON", "{data}");
        assert_eq!(data["alerts"]["dueDate"], "2026-12-10", "{data}");
    });
}
