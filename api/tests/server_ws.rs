//! The `events` subscription over WebSocket (`/graphql/ws`,
//! graphql-transport-ws) against the real server: live events appended
//! after it started, a catch-up from a position first, and refusals.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

mod server_support;

use std::time::Duration;

use serde_json::Value;
use server_support::books::{Books, cmd};
use server_support::client::{assert_clean_error, position};
use server_support::ws::Subscriber;
use server_support::{Harness, OWN_REP};
use uuid::Uuid;

use arledger_core::domain::Role;

const EVENTS: &str = "subscription { events { position eventType hash prevHash actor } }";

/// The event of a `next` payload.
fn event(payload: &Value) -> &Value {
    &payload["data"]["events"]
}

/// Appends a customer as the admin; its position.
fn append(h: &Harness) -> u64 {
    let command = cmd::register_customer(Uuid::new_v4(), OWN_REP);
    position(&h.api.ok(h.admin(), &command)["position"])
}

/// Events received until (and with) `last`, their positions.
fn positions_until(subscriber: &mut Subscriber, last: u64) -> Vec<u64> {
    let mut seen = Vec::new();
    while seen.last() != Some(&last) {
        seen.push(position(&event(&subscriber.next())["position"]));
    }
    seen
}

#[test]
fn a_subscriber_receives_the_events_appended_after_it_subscribed() {
    let h = Harness::start();
    let mut subscriber = Subscriber::connect(&h.server.addr, h.admin()).unwrap();
    subscriber.subscribe("1", EVENTS);
    // The server reads from its head once it has handled `subscribe`,
    // which the protocol does not acknowledge: append until the first
    // event arrives (bounded), then every later one must follow in order.
    let mut appended = Vec::new();
    let first = loop {
        assert!(
            appended.len() < 10,
            "no event after {appended:?} were appended"
        );
        appended.push(append(&h));
        if let Some(payload) = subscriber.next_within(Duration::from_secs(2)) {
            break position(&event(&payload)["position"]);
        }
    };
    assert!(
        appended.contains(&first),
        "{first} was not appended after subscribing"
    );
    let last = append(&h);
    let rest = positions_until(&mut subscriber, last);
    assert_eq!(rest, (first + 1..=last).collect::<Vec<_>>());
}

#[test]
fn a_subscription_from_a_position_catches_up_first_then_follows_the_log() {
    let h = Harness::start();
    let books = Books::open(&h.api, h.admin());
    let mut subscriber = Subscriber::connect(&h.server.addr, h.admin()).unwrap();
    let from_three = EVENTS.replace("events {", "events(fromPosition: \"3\") {");
    subscriber.subscribe("catch-up", &from_three);
    let mut received = Vec::new();
    for _ in 3..=books.head {
        received.push(event(&subscriber.next()).clone());
    }
    let live = append(&h);
    received.push(event(&subscriber.next()).clone());
    let positions: Vec<u64> = received.iter().map(|e| position(&e["position"])).collect();
    assert_eq!(positions, (3..=live).collect::<Vec<_>>());
    for pair in received.windows(2) {
        assert_eq!(
            pair[1]["prevHash"], pair[0]["hash"],
            "the chain at {}",
            pair[1]["position"]
        );
    }
    let logged = h.api.events(h.admin(), 3, 1, None);
    assert_eq!(received[0]["hash"], logged.field()["nodes"][0]["hash"]);
    assert_eq!(received.last().unwrap()["actor"], "u-admin (admin)");
}

#[test]
fn a_role_that_may_not_read_the_log_is_refused_the_subscription() {
    let h = Harness::start();
    for role in [Role::Sales, Role::Regulator, Role::Warehouse] {
        let mut subscriber = Subscriber::connect(&h.server.addr, h.tokens.of(role)).unwrap();
        subscriber.subscribe("1", EVENTS);
        // A resolver's refusal is a result with errors (an `error` message
        // is for a document that does not validate).
        let refused = subscriber.message();
        assert_eq!(refused["type"], "next", "{role}: {refused}");
        assert_eq!(refused["payload"]["data"], Value::Null, "{role}: {refused}");
        let errors = refused["payload"]["errors"].as_array().unwrap();
        errors.iter().for_each(assert_clean_error);
        assert_eq!(errors[0]["extensions"]["code"], "FORBIDDEN", "{role}");
    }
}

#[test]
fn a_subscription_that_does_not_validate_is_refused_with_a_code() {
    let h = Harness::start();
    let mut subscriber = Subscriber::connect(&h.server.addr, h.admin()).unwrap();
    for (id, query) in [
        ("unknown field", "subscription { events { noSuchField } }"),
        (
            "bad position",
            "subscription { events(fromPosition: \"minus one\") { position } }",
        ),
    ] {
        subscriber.subscribe(id, query);
        let refused = subscriber.message();
        let errors = (refused["payload"]
            .get("errors")
            .unwrap_or(&refused["payload"]))
        .as_array()
        .unwrap_or_else(|| panic!("{id}: no errors in {refused}"))
        .clone();
        errors.iter().for_each(assert_clean_error);
        assert_eq!(errors[0]["extensions"]["code"], "INVALID_INPUT", "{id}");
        while subscriber.message()["type"] != "complete" {}
    }
}
