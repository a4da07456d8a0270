//! Every error code the API can produce, each at least once, over HTTP
//! against the real server: the error carries `extensions.code` and a
//! message for people (no file path, Rust type or panic text: see
//! `client::assert_clean_error`, which every `Reply::code` runs), and a
//! refused command appends nothing.
//!
//! Elsewhere: FORBIDDEN in `server_roles.rs`; RATE_LIMITED (too many
//! WebSocket connections, subscriptions) in `server_hostile.rs`;
//! RATE_LIMITED per token, TIMEOUT and PROJECTION_LAG in
//! `server_limits.rs`. Not produced by a test: UNAVAILABLE (a failing
//! store or a stopped ledger); CONCURRENCY_CONFLICT and UDI_MISMATCH
//! cannot come from the API (no expected version, no UDI parsing yet).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

mod server_support;

use serde_json::json;
use server_support::books::{Books, Cmd, GTIN, LOT, RECALL_LOT, cmd};
use server_support::ws::Subscriber;
use server_support::{Harness, OWN_REP};
use uuid::Uuid;

use arledger_core::domain::Role;

/// Sends every command, expecting its code; then checks the log did not
/// move.
fn refuse_all(h: &Harness, token: &str, cases: &[(Cmd, &str)]) {
    let head = h.api.head(h.admin());
    for (command, code) in cases {
        let reply = h.api.run(token, command);
        assert_eq!(
            reply.code().as_deref(),
            Some(*code),
            "{} {}: {}",
            command.mutation,
            command.args,
            reply.body
        );
    }
    assert_eq!(h.api.head(h.admin()), head, "a refused command appended");
}

#[test]
fn malformed_amounts_dates_and_names_are_invalid_input() {
    let h = Harness::start();
    let books = Books::open(&h.api, h.admin());
    let payment = || cmd::receive_payment(Uuid::new_v4(), books.customer, "10.00");
    let cases = [
        (payment().with("amount", json!(12.5)), "INVALID_INPUT"), // a float
        (payment().with("amount", json!("12,50")), "INVALID_INPUT"),
        (payment().with("amount", json!("1.005")), "INVALID_INPUT"), // USD has 2 decimals
        (payment().with("amount", json!("-5.00")), "INVALID_INPUT"),
        (
            payment().with("receivedOn", json!("2026-02-30")),
            "INVALID_INPUT",
        ),
        (
            payment().with("receivedOn", json!("30.06.2026")),
            "INVALID_INPUT",
        ),
        (
            payment().with("receivedOn", json!("1800-01-01")),
            "INVALID_INPUT",
        ),
        (
            payment().with("currency", json!("DOLLARS")),
            "INVALID_INPUT",
        ),
        (payment().with("method", json!("BITCOIN")), "INVALID_INPUT"),
        (
            cmd::register_customer(Uuid::new_v4(), OWN_REP).with("name", json!(" ")),
            "INVALID_INPUT",
        ),
        (
            cmd::register_product().with("gtin", json!("09504000059119")), // check digit
            "INVALID_INPUT",
        ),
        (
            cmd::register_customer(Uuid::new_v4(), OWN_REP).with("kind", json!("CASTLE")),
            "INVALID_INPUT",
        ),
    ];
    refuse_all(&h, h.admin(), &cases);
}

#[test]
fn a_float_written_into_the_query_text_is_invalid_input() {
    let h = Harness::start();
    let books = Books::open(&h.api, h.admin());
    let query = format!(
        "mutation {{ openDispute(commandId: \"{}\", invoiceId: \"{}\", amount: 12.5, reason: \"r\", openedOn: \"2026-06-20\") {{ position }} }}",
        Uuid::new_v4(),
        books.invoice
    );
    h.api.query(h.admin(), &query).assert_code("INVALID_INPUT");
    assert_eq!(h.api.head(h.admin()), books.head);
}

#[test]
fn malformed_queries_and_out_of_range_arguments_are_invalid_input() {
    let h = Harness::start();
    let books = Books::open(&h.api, h.admin());
    let beyond = (books.head + 10).to_string();
    let queries = [
        "{ ledgerHead { position ",
        "{ ledgerHead { noSuchField } }",
        "{ events(first: 0) { endCursor } }",
        "{ events(first: -1) { endCursor } }",
        "{ aging(asOfDate: \"2026-13-01\") { asOfDate } }",
        "{ aging(bucketDays: [30, -60]) { asOfDate } }",
        "{ aging(currency: \"usd dollars\") { asOfDate } }",
        "{ aging(knownAt: \"yesterday\") { asOfDate } }",
        "{ aging(knownAtPosition: \"minus one\") { asOfDate } }",
        "{ verifyChain(fromPosition: \"5\", toPosition: \"2\") { ok } }",
    ];
    for query in queries {
        h.api.query(h.admin(), query).assert_code("INVALID_INPUT");
    }
    let beyond_head = format!("{{ aging(knownAtPosition: \"{beyond}\") {{ asOfDate }} }}");
    h.api
        .query(h.admin(), &beyond_head)
        .assert_code("INVALID_INPUT");
}

#[test]
fn unknown_references_are_not_found_and_taken_ids_and_numbers_already_exist() {
    let h = Harness::start();
    let books = Books::open(&h.api, h.admin());
    let stranger = Uuid::new_v4();
    let taken_number = cmd::place_order(books.order, books.customer, 1, "1.00");
    let number = taken_number.args["input"]["number"].clone();
    let cases = [
        (
            cmd::place_order(Uuid::new_v4(), stranger, 1, "1.00"),
            "NOT_FOUND",
        ),
        (
            cmd::ship_order(Uuid::new_v4(), Uuid::new_v4(), LOT, 1),
            "NOT_FOUND",
        ),
        (
            cmd::ship_order(Uuid::new_v4(), books.order, "L-NONE", 1),
            "NOT_FOUND",
        ),
        (
            cmd::allocate_payment(Uuid::new_v4(), books.invoice, "1.00"),
            "NOT_FOUND",
        ),
        (
            cmd::register_customer(books.customer, OWN_REP),
            "ALREADY_EXISTS",
        ),
        (cmd::register_product(), "ALREADY_EXISTS"),
        (cmd::release_lot(LOT, "2030-01-01", 1), "ALREADY_EXISTS"),
        (taken_number, "ALREADY_EXISTS"),
        (
            cmd::place_order(Uuid::new_v4(), books.customer, 1, "1.00").with("number", number),
            "ALREADY_EXISTS",
        ),
    ];
    refuse_all(&h, h.admin(), &cases);
    let items = h.api.items(h.admin(), stranger, books.head);
    items.assert_code("NOT_FOUND");
}

#[test]
fn a_missing_or_unknown_token_is_unauthenticated() {
    let h = Harness::start();
    let head = "{ ledgerHead { position } }";
    let none = h.api.post(None, head, json!({}));
    assert_eq!(none.status, 401);
    none.assert_code("UNAUTHENTICATED");
    let forged = "arl_00000000_0000000000000000000000000000000000000000000000";
    for token in ["not-a-token", forged, "", "Bearer"] {
        let reply = h.api.query(token, head);
        assert_eq!(reply.status, 401, "token {token:?}");
        reply.assert_code("UNAUTHENTICATED");
    }
    let mut socket = Subscriber::upgrade(&h.server.addr).unwrap();
    let answer = socket.init("not-a-token");
    assert_eq!(
        answer,
        serde_json::Value::Null,
        "a bad token was answered: {answer}"
    );
}

#[test]
fn a_command_id_sent_again_with_another_body_is_an_idempotency_mismatch() {
    let h = Harness::start();
    let books = Books::open(&h.api, h.admin());
    let payment = cmd::receive_payment(Uuid::new_v4(), books.customer, "10.00");
    h.api.ok(h.admin(), &payment);
    let changed = payment.clone().with("amount", json!("11.00"));
    refuse_all(&h, h.admin(), &[(changed, "IDEMPOTENCY_MISMATCH")]);
}

#[test]
fn shipping_breaks_its_rules_with_a_code_for_each() {
    let h = Harness::start();
    let books = Books::open(&h.api, h.admin());
    h.api
        .ok(h.admin(), &cmd::release_lot("L-OLD", "2026-03-01", 50));
    h.api
        .ok(h.admin(), &cmd::issue_recall(Uuid::new_v4(), RECALL_LOT));
    let no_limit = Uuid::new_v4();
    h.api
        .ok(h.admin(), &cmd::register_customer(no_limit, OWN_REP));
    let held = Uuid::new_v4();
    h.api
        .ok(h.admin(), &cmd::place_order(held, no_limit, 5, "1.00"));
    let ship = |order, lot, quantity| cmd::ship_order(Uuid::new_v4(), order, lot, quantity);
    let empty_udi = json!([{ "lineNo": 1, "gtin": GTIN, "lot": LOT, "quantity": 1, "udis": [""] }]);
    let cases = [
        (ship(books.order, LOT, 91), "OVERSHIPMENT"), // 100 ordered, 10 shipped
        (ship(held, LOT, 1), "ORDER_NOT_RELEASED"),
        (ship(books.order, "L-OLD", 1), "LOT_EXPIRED"),
        (ship(books.order, RECALL_LOT, 1), "LOT_RECALLED"),
        (
            ship(books.order, LOT, 1).with("lines", empty_udi),
            "UDI_INVALID",
        ),
    ];
    refuse_all(&h, h.tokens.of(Role::Warehouse), &cases);
}

#[test]
fn billing_and_payments_break_their_rules_with_a_code_for_each() {
    let h = Harness::start();
    let books = Books::open(&h.api, h.admin());
    let (usd, eur) = (Uuid::new_v4(), Uuid::new_v4());
    h.api.ok(
        h.admin(),
        &cmd::receive_payment(usd, books.customer, "50.00"),
    );
    let euros = cmd::receive_payment(eur, books.customer, "50.00").with("currency", json!("EUR"));
    h.api.ok(h.admin(), &euros);
    let again = Some((books.shipment, 10));
    let cases = [
        (
            cmd::issue_invoice(Uuid::new_v4(), books.customer, again, "100.00"),
            "DOUBLE_BILLING",
        ),
        (
            cmd::allocate_payment(usd, books.invoice, "60.00"),
            "OVERALLOCATION",
        ),
        (
            cmd::allocate_payment(eur, books.invoice, "10.00"),
            "CURRENCY_MISMATCH",
        ),
        (
            cmd::issue_credit_note(books.invoice, "100.01"),
            "OVER_CREDIT",
        ),
        (
            cmd::write_off_invoice(books.invoice, "500.00"),
            "OVER_CREDIT",
        ),
        (cmd::recover_write_off(books.invoice, "1.00"), "OVER_CREDIT"),
        (
            cmd::place_order(Uuid::new_v4(), books.customer, 1, "1.00")
                .with("currency", json!("EUR")),
            "CURRENCY_MISMATCH",
        ),
    ];
    refuse_all(&h, h.admin(), &cases);
}

#[test]
fn commands_the_state_of_their_entity_forbids_are_invalid_state() {
    let h = Harness::start();
    let books = Books::open(&h.api, h.admin());
    let payment = Uuid::new_v4();
    h.api.ok(
        h.admin(),
        &cmd::receive_payment(payment, books.customer, "5.00"),
    );
    h.api.ok(h.admin(), &cmd::reverse_payment(payment));
    h.api
        .ok(h.admin(), &cmd::open_dispute(books.invoice, "5.00"));
    let recall = Uuid::new_v4();
    h.api.ok(h.admin(), &cmd::issue_recall(recall, RECALL_LOT));
    let cases = [
        (cmd::release_order(books.order), "INVALID_STATE"), // not held
        (cmd::reject_order(books.order), "INVALID_STATE"),
        (cmd::reverse_payment(payment), "INVALID_STATE"), // reversed already
        (
            cmd::allocate_payment(payment, books.invoice, "1.00"),
            "INVALID_STATE",
        ),
        (cmd::open_dispute(books.invoice, "1.00"), "INVALID_STATE"), // one is open
        (
            cmd::acknowledge_recall(recall, books.customer),
            "INVALID_STATE",
        ), // none shipped
    ];
    refuse_all(&h, h.admin(), &cases);
}
