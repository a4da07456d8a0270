//! Every mutation and query of the API, over HTTP against the real
//! `arledger serve` binary, with their effects checked: positions move on,
//! an order over the credit limit is held with a reason, an invoice or a
//! payment shows in aging at the position its mutation returned
//! (read-your-writes), the log pages and chains by hash.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

mod server_support;

use rust_decimal::Decimal;
use serde_json::{Value, json};
use server_support::books::{Books, GTIN, LOT, cmd, decimal, nodes, open_total};
use server_support::client::position;
use server_support::{Harness, OWN_REP};
use uuid::Uuid;

use arledger_core::domain::Role;

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn event_types(reply: &server_support::Reply) -> Vec<String> {
    nodes(reply)
        .iter()
        .map(|e| e["eventType"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn master_data_commands_each_append_one_event_at_a_later_position() {
    let h = Harness::start();
    let customer = Uuid::new_v4();
    let commands = [
        cmd::register_product(),
        cmd::release_lot(LOT, "2030-01-01", 500),
        cmd::register_customer(customer, OWN_REP),
        cmd::update_customer(customer, "west"),
        cmd::set_credit_limit(customer, "5000.00"),
        cmd::set_payment_terms(customer, 60),
    ];
    let mut last = 0;
    for command in &commands {
        let result = h.api.ok(h.admin(), command);
        let at = position(&result["position"]);
        assert!(
            at > last,
            "{} appended at {at}, after {last}",
            command.mutation
        );
        assert_eq!(result["duplicate"], false);
        assert_eq!(result["eventIds"].as_array().unwrap().len(), 1);
        last = at;
    }
    assert_eq!(h.api.head(h.admin()), last);
    let stream = h.api.events(h.admin(), 1, 100, Some(customer));
    assert_eq!(
        event_types(&stream),
        [
            "CustomerRegistered",
            "CustomerUpdated",
            "CreditLimitSet",
            "PaymentTermsSet"
        ]
    );
}

#[test]
fn an_order_within_the_limit_is_open_and_one_without_a_limit_is_held_with_a_reason() {
    let h = Harness::start();
    let books = Books::open(&h.api, h.admin());
    let open = h.api.ok(
        h.admin(),
        &cmd::place_order(Uuid::new_v4(), books.customer, 5, "10.00"),
    );
    assert_eq!(open["status"], "OPEN");
    assert_eq!(open["holdReason"], Value::Null);

    let no_limit = Uuid::new_v4();
    h.api
        .ok(h.admin(), &cmd::register_customer(no_limit, OWN_REP));
    let held_order = Uuid::new_v4();
    let held = h.api.ok(
        h.admin(),
        &cmd::place_order(held_order, no_limit, 3, "10.00"),
    );
    assert_eq!(held["status"], "HELD");
    let reason = held["holdReason"].as_str().unwrap();
    assert!(reason.contains("credit limit exceeded"), "{reason}");
    assert_eq!(held["eventIds"].as_array().unwrap().len(), 2);
    let stream = h.api.events(h.admin(), 1, 10, Some(held_order));
    assert_eq!(event_types(&stream), ["OrderPlaced", "OrderHeld"]);
}

#[test]
fn a_held_order_is_released_or_rejected_and_an_open_one_cancelled() {
    let h = Harness::start();
    let books = Books::open(&h.api, h.admin());
    let manager = h.tokens.of(Role::FinanceManager);
    let no_limit = Uuid::new_v4();
    h.api
        .ok(h.admin(), &cmd::register_customer(no_limit, OWN_REP));
    let (released, rejected) = (Uuid::new_v4(), Uuid::new_v4());
    for order in [released, rejected] {
        h.api
            .ok(h.admin(), &cmd::place_order(order, no_limit, 2, "10.00"));
    }
    h.api.ok(manager, &cmd::release_order(released));
    h.api.ok(manager, &cmd::reject_order(rejected));
    let shipped = cmd::ship_order(Uuid::new_v4(), released, LOT, 2);
    h.api.ok(h.tokens.of(Role::Warehouse), &shipped);
    h.api.ok(h.admin(), &cmd::cancel_order(books.order));
    let types = |order| event_types(&h.api.events(h.admin(), 1, 10, Some(order)));
    assert_eq!(
        types(released),
        ["OrderPlaced", "OrderHeld", "OrderReleased", "OrderShipped"]
    );
    assert_eq!(
        types(rejected),
        ["OrderPlaced", "OrderHeld", "OrderRejected"]
    );
    assert_eq!(
        types(books.order),
        ["OrderPlaced", "OrderShipped", "OrderCancelled"]
    );
}

#[test]
fn aging_at_the_position_a_mutation_returned_already_shows_its_effect() {
    let h = Harness::start();
    let books = Books::open(&h.api, h.admin());
    let customer = books.customer.to_string();
    let mut expected = dec("100.00");
    for n in 1..=5 {
        let invoice = cmd::issue_invoice(Uuid::new_v4(), books.customer, None, "25.00");
        let at = h.api.ok(h.admin(), &invoice);
        expected += dec("25.00");
        let reply = h.api.aging(h.admin(), position(&at["position"]));
        let report = reply.field();
        assert_eq!(report["knownAtPosition"], at["position"]);
        let row = (report["rows"].as_array().unwrap().iter())
            .find(|r| r["key"] == customer.as_str())
            .expect("the customer's row");
        assert_eq!(decimal(&row["total"]), expected, "after invoice {n}");
        assert_eq!(decimal(&report["totals"][0]["total"]), expected);
    }
    let before = h.api.aging(h.admin(), books.head - 1);
    let rows = before.field()["rows"].as_array().unwrap().clone();
    assert!(
        rows.is_empty(),
        "nothing invoiced before the invoice: {rows:?}"
    );
}

#[test]
fn aging_known_at_a_moment_is_the_log_as_it_stood_then() {
    let h = Harness::start();
    let books = Books::open(&h.api, h.admin());
    // The shipment, the event before the invoice: its moment.
    let shipped = nodes(&h.api.events(h.admin(), books.head - 1, 1, None));
    let moment = shipped[0]["recordedAt"].clone();
    let query = "query($t: DateTime) { aging(knownAt: $t, asOfDate: \"2026-12-31\") {
        knownAtPosition knownAtHash rows { key } } }";
    let then = h.api.post(Some(h.admin()), query, json!({ "t": moment }));
    let report = then.field();
    assert_eq!(position(&report["knownAtPosition"]), books.head - 1);
    assert_eq!(report["knownAtHash"], shipped[0]["hash"]);
    assert_eq!(report["rows"], json!([]), "the invoice came later");
}

/// One step of [`payments_credit_notes_disputes_and_write_offs_change_what_is_open`]:
/// the command, then the invoice's open amount, the customer's payments
/// on account and disputed amount.
struct Step(
    server_support::books::Cmd,
    &'static str,
    &'static str,
    &'static str,
);

#[test]
fn payments_credit_notes_disputes_and_write_offs_change_what_is_open() {
    let h = Harness::start();
    let books = Books::open(&h.api, h.admin());
    let (invoice, payment) = (books.invoice, Uuid::new_v4());
    let steps = [
        Step(cmd::issue_credit_note(invoice, "10.00"), "90.00", "0", "0"),
        Step(
            cmd::receive_payment(payment, books.customer, "30.00"),
            "90.00",
            "30.00",
            "0",
        ),
        Step(
            cmd::allocate_payment(payment, invoice, "30.00"),
            "60.00",
            "0",
            "0",
        ),
        Step(cmd::reverse_payment(payment), "90.00", "0", "0"),
        Step(cmd::open_dispute(invoice, "20.00"), "90.00", "0", "20.00"),
        Step(cmd::resolve_dispute(invoice), "90.00", "0", "0"),
        Step(cmd::write_off_invoice(invoice, "40.00"), "50.00", "0", "0"),
    ];
    for Step(command, open, unallocated, disputed) in &steps {
        let at = h.api.ok(h.admin(), command);
        let at = position(&at["position"]);
        let items = h.api.items(h.admin(), books.customer, at);
        assert_eq!(
            open_total(&items),
            dec(open),
            "open after {}",
            command.mutation
        );
        let aging = h.api.aging(h.admin(), at);
        let row = &aging.field()["rows"][0];
        assert_eq!(
            decimal(&row["unallocated"]),
            dec(unallocated),
            "after {}",
            command.mutation
        );
        assert_eq!(
            decimal(&row["disputed"]),
            dec(disputed),
            "after {}",
            command.mutation
        );
    }
    h.api
        .ok(h.admin(), &cmd::recover_write_off(invoice, "15.00"));
    let types = event_types(&h.api.events(h.admin(), 1, 20, Some(invoice)));
    assert_eq!(
        types,
        [
            "InvoiceIssued",
            "CreditNoteIssued",
            "DisputeOpened",
            "DisputeResolved",
            "InvoiceWrittenOff",
            "WriteOffRecovered"
        ]
    );
}

#[test]
fn deliveries_collections_and_recalls_are_recorded_in_their_streams() {
    let h = Harness::start();
    let books = Books::open(&h.api, h.admin());
    let recall = Uuid::new_v4();
    let commands = [
        cmd::accept_delivery(books.shipment),
        cmd::record_collection_activity(books.customer),
        cmd::issue_recall(recall, LOT),
        cmd::acknowledge_recall(recall, books.customer),
        cmd::record_recall_return(recall, books.customer, 2),
    ];
    for command in &commands {
        h.api.ok(h.admin(), command);
    }
    let types = |stream| event_types(&h.api.events(h.admin(), 1, 10, Some(stream)));
    assert_eq!(
        types(books.order),
        ["OrderPlaced", "OrderShipped", "DeliveryAccepted"]
    );
    assert_eq!(
        types(books.customer),
        [
            "CustomerRegistered",
            "CreditLimitSet",
            "CollectionActivityRecorded"
        ]
    );
    assert_eq!(
        types(recall),
        [
            "RecallIssued",
            "RecallNoticeAcknowledged",
            "RecallUnitsReturned"
        ]
    );
    let returned = h.api.run(
        h.admin(),
        &cmd::record_recall_return(recall, books.customer, 9),
    );
    returned.assert_code("INVALID_STATE"); // 10 shipped, 2 returned: 8 left
}

#[test]
fn events_page_through_the_whole_log_each_chained_to_the_one_before() {
    let h = Harness::start();
    let books = Books::open(&h.api, h.admin());
    let (mut from, mut seen, mut prev_hash) = (1, Vec::new(), "0".repeat(64));
    loop {
        let reply = h.api.events(h.admin(), from, 3, None);
        let page = reply.field();
        for event in nodes(&reply) {
            assert_eq!(
                event["prevHash"],
                prev_hash.as_str(),
                "chain at {}",
                event["position"]
            );
            prev_hash = event["hash"].as_str().unwrap().to_string();
            seen.push(position(&event["position"]));
        }
        if !page["hasNextPage"].as_bool().unwrap() {
            break;
        }
        from = position(&page["endCursor"]) + 1;
    }
    assert_eq!(seen, (1..=books.head).collect::<Vec<_>>());
    let head = h
        .api
        .query(h.admin(), "{ ledgerHead { position hash recordedAt } }");
    let head = head.field();
    assert_eq!(position(&head["position"]), books.head);
    assert_eq!(head["hash"], prev_hash.as_str());
    assert!(head["recordedAt"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn events_of_one_stream_come_in_stream_version_order_from_a_position() {
    let h = Harness::start();
    let books = Books::open(&h.api, h.admin());
    let all = nodes(&h.api.events(h.admin(), 1, 100, Some(books.order)));
    let versions: Vec<&Value> = all.iter().map(|e| &e["streamVersion"]).collect();
    assert_eq!(versions, [&json!(1), &json!(2)]);
    assert!(
        all.iter()
            .all(|e| e["streamId"] == books.order.to_string().as_str())
    );
    let shipped_at = position(&all[1]["position"]);
    let later = nodes(&h.api.events(h.admin(), shipped_at, 100, Some(books.order)));
    assert_eq!(later.len(), 1);
    assert_eq!(later[0]["eventType"], "OrderShipped");
    let payload: Value = serde_json::from_str(later[0]["payload"].as_str().unwrap()).unwrap();
    assert!(payload.to_string().contains(GTIN), "{payload}");
}

#[test]
fn verify_chain_checks_every_event_or_the_range_asked_for() {
    let h = Harness::start();
    let books = Books::open(&h.api, h.admin());
    let all = h
        .api
        .query(h.admin(), "{ verifyChain { ok checked firstBadPosition } }");
    assert_eq!(
        all.field(),
        &json!({ "ok": true, "checked": books.head, "firstBadPosition": null })
    );
    let part = h.api.query(
        h.admin(),
        "{ verifyChain(fromPosition: \"2\", toPosition: \"4\") { ok checked } }",
    );
    assert_eq!(part.field(), &json!({ "ok": true, "checked": 3 }));
}

#[test]
fn a_command_sent_again_is_a_duplicate_at_the_same_position_and_appends_nothing() {
    let h = Harness::start();
    let command = cmd::register_customer(Uuid::new_v4(), OWN_REP);
    let first = h.api.ok(h.admin(), &command);
    let head = h.api.head(h.admin());
    let again = h.api.ok(h.admin(), &command);
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["position"], first["position"]);
    assert_eq!(again["eventIds"], first["eventIds"]);
    assert_eq!(h.api.head(h.admin()), head);
}
