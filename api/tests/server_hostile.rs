//! Hostile requests refused, each with a clear error (HTTP status and/or
//! GraphQL code), while a well-behaved client keeps being answered: a
//! body over `body_bytes_max`, a query nested over `query_depth_max`, a
//! flood of aliased reports over the complexity limit, a page over
//! `page_size_max`, a bad token, a body of JSON nested deeper than any
//! parser should follow, and more WebSocket connections than
//! `websocket_connections_max` and more subscriptions on one connection than
//! `subscriptions_per_connection_max` (RATE_LIMITED).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

mod server_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use arledger::server::limits::Limits;
use serde_json::json;
use server_support::books::{self, Books};
use server_support::client::closed_while_sending;
use server_support::ws::Subscriber;
use server_support::{Api, Harness, Reply};

/// A client asking for the head and an aging report until told to stop;
/// says `answered` after each answer and returns the failures it met.
fn well_behaved(
    api: &Api,
    token: &str,
    stop: &AtomicBool,
    answered: &mpsc::Sender<()>,
) -> Vec<String> {
    let mut failures = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        for reply in [
            api.query(token, "{ ledgerHead { position } }"),
            api.aging(token, 1),
        ] {
            if reply.status != 200 || !reply.errors().is_empty() {
                failures.push(reply.body.to_string());
            }
        }
        let _ = answered.send(());
    }
    failures
}

/// A query nested `depth` deep (introspection types nest without end).
fn nested(depth: usize) -> String {
    let open = "{ __schema { types { fields { type ".to_string() + &"{ ofType ".repeat(depth);
    open + "{ name }" + &" }".repeat(depth) + " } } } }"
}

/// `count` aliased aging reports in one query.
fn alias_flood(count: usize) -> String {
    let fields: Vec<String> = (0..count)
        .map(|n| format!("a{n}: aging {{ asOfDate }}"))
        .collect();
    format!("{{ {} }}", fields.join(" "))
}

/// The hostile requests.
#[derive(Clone, Copy, Debug)]
enum Hostile {
    OversizedBody,
    OversizedChunkedBody,
    DeepJson,
    DeepQuery,
    AliasFlood,
    PageTooBig,
    BadToken,
}

use Hostile::*;

const HOSTILE: [Hostile; 7] = [
    OversizedBody,
    OversizedChunkedBody,
    DeepJson,
    DeepQuery,
    AliasFlood,
    PageTooBig,
    BadToken,
];

/// A body one byte over the limit (with a valid query in it).
fn oversized(limits: &Limits) -> Vec<u8> {
    let pad = "x".repeat(limits.body_bytes_max + 1);
    let body = json!({ "query": "{ ledgerHead { position } }", "variables": { "pad": pad } });
    serde_json::to_vec(&body).unwrap()
}

/// JSON arrays nested 100,000 deep.
fn deep_json() -> Vec<u8> {
    format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes()
}

/// Sends a hostile request (as the admin, but for the bad token): the
/// answer, or the connection the server closed while the body was sent.
fn send(h: &Harness, hostile: Hostile) -> reqwest::Result<Reply> {
    let limits = Limits::default();
    let admin = h.admin();
    Ok(match hostile {
        OversizedBody => return h.api.try_send(Some(admin), oversized(&limits)),
        OversizedChunkedBody => return h.api.try_send_chunked(Some(admin), oversized(&limits)),
        DeepJson => h.api.send(Some(admin), deep_json()),
        DeepQuery => h.api.query(admin, &nested(limits.query_depth_max + 8)),
        AliasFlood => h.api.query(admin, &alias_flood(300)),
        PageTooBig => {
            let first = i64::try_from(limits.page_size_max).unwrap() + 1;
            h.api.events(admin, 1, first, None)
        }
        BadToken => h.api.query("arl_dead_beef", "{ ledgerHead { position } }"),
    })
}

/// How each hostile request must be refused: an HTTP status, and the
/// GraphQL code when the answer is a GraphQL document. A body over the
/// limit may instead be cut off: the server answers 413 and closes the
/// connection while the client is still sending.
fn assert_refused(hostile: Hostile, sent: reqwest::Result<Reply>) {
    let reply = match sent {
        Ok(reply) => reply,
        Err(e) if matches!(hostile, OversizedBody | OversizedChunkedBody) => {
            assert!(closed_while_sending(&e), "{hostile:?}: {e}");
            return;
        }
        Err(e) => panic!("{hostile:?}: no answer: {e}"),
    };
    let expected = match hostile {
        OversizedBody => (413, None), // refused by its Content-Length, unread
        OversizedChunkedBody => (413, Some("INVALID_INPUT")),
        DeepJson => (400, Some("INVALID_INPUT")),
        BadToken => (401, Some("UNAUTHENTICATED")),
        DeepQuery | AliasFlood | PageTooBig => (200, Some("INVALID_INPUT")),
    };
    assert_eq!(reply.status, expected.0, "{hostile:?}: {}", reply.body);
    if let Some(code) = expected.1 {
        assert_eq!(
            reply.code().as_deref(),
            Some(code),
            "{hostile:?}: {}",
            reply.body
        );
    }
}

#[test]
fn hostile_requests_are_refused_while_a_well_behaved_client_keeps_being_answered() {
    let h = Harness::start();
    let books = Books::open(&h.api, h.admin());
    assert!(books.head > 1);
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, answered) = mpsc::channel();
    let good = {
        let (url, token, stop) = (h.server.url(), h.admin().to_string(), Arc::clone(&stop));
        thread::spawn(move || well_behaved(&Api::new(&url), &token, &stop, &tx))
    };
    for hostile in HOSTILE {
        assert_refused(hostile, send(&h, hostile));
        // The good client was answered after this hostile request.
        while answered.try_recv().is_ok() {}
        answered
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| {
                panic!("the well-behaved client was not answered after {hostile:?}")
            });
    }
    stop.store(true, Ordering::Relaxed);
    let failures = good.join().unwrap();
    assert!(
        failures.is_empty(),
        "the well-behaved client failed: {failures:?}"
    );
}

#[test]
fn too_many_websocket_connections_are_rate_limited_while_the_open_ones_are_served() {
    let h = Harness::start();
    let max = Limits::default().websocket_connections_max;
    // Each is acknowledged, so the server has counted it.
    let mut open: Vec<Subscriber> = (0..max)
        .map(|_| Subscriber::connect(&h.server.addr, h.admin()).unwrap())
        .collect();
    let refused = Subscriber::connect(&h.server.addr, h.admin())
        .err()
        .expect("one connection over the limit was refused");
    assert_eq!(refused.status, 503);
    let error = &refused.body["errors"][0];
    server_support::client::assert_clean_error(error);
    assert_eq!(error["extensions"]["code"], "RATE_LIMITED");
    open[0].subscribe(
        "1",
        "subscription { events(fromPosition: \"1\") { position } }",
    );
    let customer = uuid::Uuid::new_v4();
    let command = server_support::books::cmd::register_customer(customer, "rep-1");
    h.api.ok(h.admin(), &command);
    assert_eq!(open[0].next()["data"]["events"]["position"], "1");
    assert_eq!(h.api.head(h.admin()), 1);
}

#[test]
fn subscriptions_over_the_connection_limit_are_refused_and_others_are_served() {
    let h = Harness::start();
    h.api.ok(
        h.admin(),
        &books::cmd::register_customer(uuid::Uuid::new_v4(), "rep-1"),
    );
    let max = Limits::default().subscriptions_per_connection_max;
    let flood_size = 600;
    let mut flood = Subscriber::connect(&h.server.addr, h.admin()).unwrap();
    for n in 0..flood_size {
        flood.subscribe(
            &format!("s{n}"),
            "subscription { events(fromPosition: \"1\") { position } }",
        );
    }
    // Each accepted subscription delivers position 1; each refused one an
    // error with its code.
    let (mut delivered, mut limited) = (0, 0);
    while delivered + limited < flood_size {
        let message = flood
            .message_within(Duration::from_secs(30))
            .unwrap_or_else(|| panic!("{delivered} delivered, {limited} refused, then silence"));
        if message["type"] != "next" {
            continue;
        }
        let payload = &message["payload"];
        if let Some(error) = payload["errors"].get(0) {
            server_support::client::assert_clean_error(error);
            assert_eq!(error["extensions"]["code"], "RATE_LIMITED", "{message}");
            limited += 1;
        } else {
            assert_eq!(payload["data"]["events"]["position"], "1", "{message}");
            delivered += 1;
        }
    }
    assert_eq!(delivered, max);
    assert_eq!(limited, flood_size - max);
    let patient = Api::with_timeout(&h.server.url(), Duration::from_secs(5));
    let query = json!({ "query": "{ verifyChain { ok } }" });
    let answer = patient.try_send(Some(h.admin()), serde_json::to_vec(&query).unwrap());
    let answer = answer.unwrap_or_else(|e| panic!("no answer within 5 s: {e}"));
    assert_eq!(answer.data()["verifyChain"]["ok"], true);
}
