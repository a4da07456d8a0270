//! Traceability over HTTP against the real server (traceability.md, the
//! contract's `lot`, `udi`, `recallImpact` and `recalls`): the recall
//! replay of the issue with answers as known at past positions staying
//! byte for byte what they were, its EPCIS 2.0 document, a UDI in each
//! GS1 form narrowed to its serial, the shipment checks refusing with
//! their codes and appending nothing, and who may read the chains and
//! their amounts (domain.md 7).
//!
//! Business dates are fixed in 2026; every read names the position a
//! command returned (`knownAtPosition`), never waits.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

mod server_support;

use rust_decimal::Decimal;
use serde_json::{Value, json};
use server_support::books::{GTIN, USD, cmd, decimal};
use server_support::trace::{
    L1, L2, RecallBooks, digital_link_udi, element_udi, human_udi, raw_answer, recall_customer,
    recall_impact_document, tcmd,
};
use server_support::{Harness, OWN_REP, Reply};
use uuid::Uuid;

use arledger_core::domain::Role;

/// The GS1 JSON-LD context every EPCIS 2.0 document names.
const EPCIS_CONTEXT: &str = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";

/// The LGTIN class of lot L1 (company prefix 7 digits, the default):
/// `<prefix>.<indicator><item reference>.<lot>`.
const L1_CLASS: &str = "urn:epc:class:lgtin:9504000.005911.L1";

/// The raw text of `recallImpact` (amounts included) as the admin, at `p`.
fn impact_text(h: &Harness, recall: Uuid, p: u64) -> (u16, String) {
    let variables = json!({ "r": recall, "p": p.to_string() });
    raw_answer(
        &h.server.url(),
        h.admin(),
        &recall_impact_document(true),
        &variables,
    )
}

/// The raw text of `lot(L1)` as the admin, at `p`.
fn lot_text(h: &Harness, p: u64) -> (u16, String) {
    let query = format!(
        "query($g: String!, $l: String!, $p: Position) {{ lot(gtin: $g, lot: $l, knownAtPosition: $p) {{ {} }} }}",
        server_support::trace::lot_fields()
    );
    let variables = json!({ "g": GTIN, "l": L1, "p": p.to_string() });
    raw_answer(&h.server.url(), h.admin(), &query, &variables)
}

/// The ids of a list of ids in an answer.
fn ids(value: &Value) -> Vec<Uuid> {
    serde_json::from_value(value.clone()).unwrap_or_else(|_| panic!("{value} is not a list of ids"))
}

/// Lot L1 between its two shipments names h1 only; after both, both.
fn check_lot_between_the_shipments(h: &Harness, b: &RecallBooks) {
    let then = h.api.lot(h.admin(), L1, Some(b.p1));
    let lot = then.field();
    assert_eq!(lot["gtin"], GTIN);
    assert_eq!(lot["lot"], L1);
    assert_eq!(lot["productName"], "Infusion pump");
    assert_eq!(lot["expiry"], "2030-01-01");
    assert_eq!(lot["releasedQuantity"], 100);
    assert_eq!(lot["shippedQuantity"], 10, "{lot}");
    assert_eq!(lot["inStock"], 90);
    assert_eq!(lot["recalls"], json!([]), "the recall came later");
    let shipments = lot["shipments"].as_array().unwrap();
    assert_eq!(shipments.len(), 1, "only h1's shipment at p1: {lot}");
    assert_eq!(shipments[0]["shipmentId"], b.s1.to_string().as_str());
    assert_eq!(shipments[0]["customerId"], b.h1.to_string().as_str());
    assert_eq!(shipments[0]["shippedOn"], "2026-03-01");
    assert_eq!(shipments[0]["quantity"], 10);
    assert_eq!(shipments[0]["invoiceIds"], json!([]), "invoiced later");

    let now = h.api.lot(h.admin(), L1, Some(b.recalled));
    let lot = now.field();
    let customers: Vec<&Value> = (lot["shipments"].as_array().unwrap().iter())
        .map(|s| &s["customerId"])
        .collect();
    assert_eq!(customers, [&json!(b.h1), &json!(b.h2)], "{lot}");
    assert_eq!(lot["shippedQuantity"], 15);
    assert_eq!(lot["inStock"], 85);
    assert_eq!(lot["recalls"], json!([b.recall]));
    assert_eq!(lot["shipments"][0]["invoiceIds"], json!([b.i1]));
    assert_eq!(lot["shipments"][1]["invoiceIds"], json!([b.i2]));
}

/// The impact right after the recall: h1 10 units (s1), h2 5 (s2), the
/// L2 shipment nowhere; nothing acknowledged or returned.
fn check_impact_at_the_recall(impact: &Value, b: &RecallBooks) {
    assert_eq!(impact["recallId"], b.recall.to_string().as_str());
    assert_eq!(impact["gtin"], GTIN);
    assert_eq!(impact["lots"], json!([L1]));
    assert_eq!(impact["class"], "II");
    assert_eq!(impact["totalShipped"], 15, "{impact}");
    assert_eq!(impact["totalReturned"], 0);
    assert_eq!(decimal(&impact["completion"]), Decimal::ZERO);
    let order: Vec<&Value> = (impact["customers"].as_array().unwrap().iter())
        .map(|c| &c["customerId"])
        .collect();
    assert_eq!(order, [&json!(b.h1), &json!(b.h2)], "{impact}");
    for (customer, quantity, shipment) in [(b.h1, 10, b.s1), (b.h2, 5, b.s2)] {
        let c = recall_customer(impact, customer);
        assert_eq!(c["quantityShipped"], quantity, "{c}");
        assert_eq!(c["quantityReturned"], 0, "{c}");
        assert_eq!(c["acknowledgedOn"], Value::Null, "{c}");
        assert_eq!(ids(&c["shipments"]), [shipment], "{c}");
        assert!(c["name"].as_str().unwrap().starts_with("Hospital-"), "{c}");
    }
}

/// The EPCIS document of the recall: an EPCISDocument 2.0, L1's release,
/// one shipping event per shipment of L1 to its consignee, the recall.
fn check_epcis(impact: &Value, b: &RecallBooks) {
    let text = impact["epcis"].as_str().expect("epcis is a string");
    let doc: Value = serde_json::from_str(text).expect("epcis parses as JSON");
    assert_eq!(doc["type"], "EPCISDocument", "{doc}");
    assert_eq!(doc["schemaVersion"], "2.0", "{doc}");
    let context = doc["@context"].as_array().expect("@context is a list");
    assert!(context.contains(&json!(EPCIS_CONTEXT)), "{context:?}");
    let events = doc["epcisBody"]["eventList"].as_array().expect("eventList");
    let of_step =
        |step: &str| -> Vec<&Value> { (events.iter()).filter(|e| e["bizStep"] == step).collect() };
    let shipping = of_step("shipping");
    let expected = [(b.h1, 10, "2026-03-01"), (b.h2, 5, "2026-03-05")];
    assert_eq!(
        shipping.len(),
        expected.len(),
        "one per shipment of L1: {doc}"
    );
    for (event, (customer, quantity, on)) in shipping.iter().zip(expected) {
        assert_eq!(event["type"], "ObjectEvent", "{event}");
        assert_eq!(event["action"], "OBSERVE", "{event}");
        assert_eq!(event["disposition"], "in_transit", "{event}");
        let destination = &event["destinationList"][0]["destination"];
        assert_eq!(
            destination,
            &json!(format!("urn:uuid:{customer}")),
            "{event}"
        );
        assert_eq!(event["destinationList"].as_array().unwrap().len(), 1);
        let goods = json!([{ "epcClass": L1_CLASS, "quantity": quantity }]);
        assert_eq!(event["quantityList"], goods, "{event}");
        assert!(
            event["eventTime"].as_str().unwrap().starts_with(on),
            "{event}"
        );
    }
    let released = of_step("commissioning");
    assert_eq!(released.len(), 1, "L1's release only: {doc}");
    assert_eq!(released[0]["action"], "ADD");
    let recalled: Vec<&Value> = (events.iter())
        .filter(|e| e["disposition"] == "recalled")
        .collect();
    assert_eq!(recalled.len(), 1, "{doc}");
    assert_eq!(recalled[0]["quantityList"][0]["epcClass"], L1_CLASS);
}

/// The list of recalls: none before the recall, then the one with its
/// two consignees, half of them acknowledged.
fn check_recalls(h: &Harness, b: &RecallBooks, acknowledged: u64) {
    let before = h.api.recalls(h.admin(), Some(b.before_recall));
    assert_eq!(before.field()["nodes"], json!([]), "{}", before.body);
    assert_eq!(before.field()["hasNextPage"], false);
    let after = h.api.recalls(h.admin(), Some(acknowledged));
    let page = after.field();
    assert_eq!(page["hasNextPage"], false);
    let nodes = page["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 1, "{page}");
    let r = &nodes[0];
    assert_eq!(r["recallId"], b.recall.to_string().as_str());
    assert_eq!(r["gtin"], GTIN);
    assert_eq!(r["lots"], json!([L1]));
    assert_eq!(r["class"], "II");
    assert_eq!(r["issuedOn"], "2026-08-01");
    assert_eq!(r["affectedCustomers"], 2, "{r}");
    assert_eq!(decimal(&r["completion"]), "0.5".parse::<Decimal>().unwrap());
    let at_recall = h.api.recalls(h.admin(), Some(b.recalled));
    assert_eq!(at_recall.field()["nodes"][0]["affectedCustomers"], 2);
    assert_eq!(
        decimal(&at_recall.field()["nodes"][0]["completion"]),
        Decimal::ZERO
    );
}

#[test]
fn a_recall_replayed_over_http_lists_its_consignees_and_past_answers_stay_byte_for_byte() {
    let h = Harness::start();
    let b = RecallBooks::open(&h);
    let admin = h.admin();
    check_lot_between_the_shipments(&h, &b);
    let (lot_status, lot_then) = lot_text(&h, b.p1);
    let (status, then) = impact_text(&h, b.recall, b.recalled);
    assert_eq!((lot_status, status), (200, 200), "{lot_then}\n{then}");

    let impact = h.api.recall_impact(admin, b.recall, Some(b.recalled), true);
    check_impact_at_the_recall(impact.field(), &b);
    check_epcis(impact.field(), &b);
    h.api
        .recall_impact(admin, b.recall, Some(b.before_recall), false)
        .assert_code("NOT_FOUND");

    let pay = Uuid::new_v4();
    let acknowledged = h.api.all_ok(
        admin,
        &[
            cmd::acknowledge_recall(b.recall, b.h2),
            cmd::record_recall_return(b.recall, b.h2, 5),
            cmd::receive_payment(pay, b.h1, "20.00"),
            cmd::allocate_payment(pay, b.i1, "20.00"),
        ],
    );
    let later = h
        .api
        .recall_impact(admin, b.recall, Some(acknowledged), true);
    let later = later.field();
    let h2 = recall_customer(later, b.h2);
    assert_eq!(h2["quantityReturned"], 5, "{h2}");
    assert_eq!(h2["acknowledgedOn"], "2026-08-05", "{h2}");
    assert_eq!(h2["quantityShipped"], 5);
    let h1 = recall_customer(later, b.h1);
    assert_eq!(h1["acknowledgedOn"], Value::Null, "{h1}");
    assert_eq!(h1["quantityReturned"], 0);
    assert_eq!(decimal(&h1["openInvoiceAmount"]), "50.00".parse().unwrap());
    assert_eq!(later["totalReturned"], 5);
    assert_eq!(
        decimal(&later["completion"]),
        "0.5".parse::<Decimal>().unwrap()
    );
    check_epcis(later, &b);

    assert_eq!(
        impact_text(&h, b.recall, b.recalled),
        (200, then),
        "the impact as known at the recall changed"
    );
    assert_eq!(
        lot_text(&h, b.p1),
        (200, lot_then),
        "lot L1 as known between its shipments changed"
    );
    check_recalls(&h, &b, acknowledged);
}

// ---------------------------------------------------------------- UDI

/// Serialised books: lot `LS` (100 units until 2030-01-01), a hospital,
/// SN1..SN3 shipped on 2026-04-01 with their UDIs; the shipment, the
/// customer, the head before the shipment and the shipment's position.
fn serial_books(h: &Harness) -> (Uuid, Uuid, u64, u64) {
    let (customer, order, shipment) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let before = h.api.all_ok(
        h.admin(),
        &[
            cmd::register_product(),
            cmd::release_lot("LS", "2030-01-01", 100),
            cmd::register_customer(customer, OWN_REP),
            cmd::set_credit_limit(customer, "1000000.00"),
            tcmd::order(order, customer, 3),
        ],
    );
    let serials = ["SN1", "SN2", "SN3"];
    let udis: Vec<String> = serials.iter().map(|s| human_udi("LS", s)).collect();
    let ship = tcmd::ship_serials(shipment, order, "LS", &serials, &udis, "2026-04-01");
    let shipped = h.api.run(h.admin(), &ship).position();
    (shipment, customer, before, shipped)
}

#[test]
fn a_udi_in_each_gs1_form_reads_the_same_fields_and_the_lot_narrowed_to_its_serial() {
    let h = Harness::start();
    let (shipment, customer, before, shipped) = serial_books(&h);
    let forms = [
        human_udi("LS", "SN2"),
        element_udi("LS", "SN2"),
        format!("]d2{}", element_udi("LS", "SN2")),
        digital_link_udi("LS", "SN2"),
    ];
    let answers: Vec<Value> = (forms.iter())
        .map(|u| h.api.udi(h.admin(), u, Some(shipped)).field().clone())
        .collect();
    for (form, answer) in forms.iter().zip(&answers) {
        assert_eq!(answer, &answers[0], "{form:?} reads differently");
    }
    let fields = &answers[0]["fields"];
    let expected = json!({ "gtin": GTIN, "lot": "LS", "serial": "SN2",
                           "expiry": null, "productionDate": null });
    assert_eq!(fields, &expected);
    let lot = &answers[0]["lot"];
    assert_eq!(lot["lot"], "LS");
    assert_eq!(lot["releasedQuantity"], 100);
    assert_eq!(lot["shippedQuantity"], 3);
    let shipments = lot["shipments"].as_array().unwrap();
    assert_eq!(shipments.len(), 1, "{lot}");
    assert_eq!(shipments[0]["shipmentId"], shipment.to_string().as_str());
    assert_eq!(shipments[0]["customerId"], customer.to_string().as_str());
    assert_eq!(shipments[0]["shippedOn"], "2026-04-01");
    assert_eq!(shipments[0]["serials"], json!(["SN2"]), "narrowed: {lot}");
    assert_eq!(shipments[0]["quantity"], 1, "narrowed: {lot}");

    // A serial without its lot: the lot is the one it shipped from.
    let bare = format!("(01){GTIN}(21)SN3");
    let by_serial = h.api.udi(h.admin(), &bare, Some(shipped));
    let by_serial = by_serial.field();
    assert_eq!(by_serial["fields"]["lot"], Value::Null);
    assert_eq!(by_serial["lot"]["lot"], "LS", "{by_serial}");
    assert_eq!(by_serial["lot"]["shipments"][0]["serials"], json!(["SN3"]));

    // Before the shipment the lot is known, the serial went nowhere.
    let then = h.api.udi(h.admin(), &human_udi("LS", "SN2"), Some(before));
    assert_eq!(then.field()["lot"]["shipments"], json!([]), "{}", then.body);
    let then = h.api.udi(h.admin(), &bare, Some(before));
    assert_eq!(then.field()["lot"], Value::Null, "{}", then.body);
}

#[test]
fn a_udi_with_a_wrong_check_digit_is_udi_invalid_naming_the_expected_digit() {
    let h = Harness::start();
    let (_, _, _, shipped) = serial_books(&h);
    // GTIN 09504000059118 with its check digit 8 written as 7.
    for udi in [
        "(01)09504000059117(10)LS(21)SN2".to_string(),
        "010950400005911710LS\u{1d}21SN2".to_string(),
        "https://id.gs1.org/01/09504000059117/10/LS/21/SN2".to_string(),
    ] {
        let reply = h.api.udi(h.admin(), &udi, Some(shipped));
        reply.assert_code("UDI_INVALID");
        let message = reply.errors()[0]["message"].as_str().unwrap().to_string();
        assert!(message.contains("expected 8"), "{udi:?}: {message}");
        assert_eq!(reply.body["data"], Value::Null, "{}", reply.body);
    }
}

// ---------------------------------------------------------------- shipments

/// Lots of the refusals: `LR` recalled whole, `LSR` with serial A2
/// recalled (A1 shipped before), `LX` expiring 2026-01-31, `LS`
/// serialised with B1 shipped, `LQ` of 3 units; an order of 100 units.
fn refusal_books(h: &Harness) -> Uuid {
    let (customer, order) = (Uuid::new_v4(), Uuid::new_v4());
    let ship = |lot: &str, serial: &str| {
        tcmd::ship_serials(Uuid::new_v4(), order, lot, &[serial], &[], "2026-04-01")
    };
    h.api.all_ok(
        h.admin(),
        &[
            cmd::register_product(),
            cmd::release_lot("LR", "2030-01-01", 100),
            cmd::release_lot("LSR", "2030-01-01", 100),
            cmd::release_lot("LX", "2026-01-31", 100),
            cmd::release_lot("LS", "2030-01-01", 100),
            cmd::release_lot("LQ", "2030-01-01", 3),
            cmd::register_customer(customer, OWN_REP),
            cmd::set_credit_limit(customer, "1000000.00"),
            tcmd::order(order, customer, 100),
            ship("LSR", "A1"),
            ship("LS", "B1"),
            cmd::issue_recall(Uuid::new_v4(), "LR"),
            tcmd::recall_serials(Uuid::new_v4(), "LSR", &["A2"]),
        ],
    );
    order
}

#[test]
fn refused_shipments_carry_their_code_and_append_nothing() {
    let h = Harness::start();
    let order = refusal_books(&h);
    let ship = |lot: &str, serials: &[&str], udis: &[String]| {
        tcmd::ship_serials(Uuid::new_v4(), order, lot, serials, udis, "2026-04-02")
    };
    let bad_digit = "(01)09504000059117(10)LS(21)B3".to_string();
    let refused = [
        (
            "a recalled lot",
            tcmd::ship(Uuid::new_v4(), order, "LR", 1, "2026-04-02"),
            "LOT_RECALLED",
            "LR",
        ),
        (
            "a recalled serial",
            ship("LSR", &["A2"], &[]),
            "LOT_RECALLED",
            "A2",
        ),
        (
            "an expired lot",
            tcmd::ship(Uuid::new_v4(), order, "LX", 1, "2026-02-01"),
            "LOT_EXPIRED",
            "LX",
        ),
        (
            "a serial shipped before",
            ship("LS", &["B1"], &[]),
            "INVALID_STATE",
            "B1",
        ),
        (
            "a serial twice in a shipment",
            ship("LS", &["B2", "B2"], &[]),
            "INVALID_STATE",
            "B2",
        ),
        (
            "more than released",
            tcmd::ship(Uuid::new_v4(), order, "LQ", 4, "2026-04-02"),
            "OVERSHIPMENT",
            "LQ",
        ),
        (
            "a UDI of another lot",
            ship("LS", &["B3"], &[human_udi("L-OTHER", "B3")]),
            "UDI_MISMATCH",
            "L-OTHER",
        ),
        (
            "a UDI of another serial",
            ship("LS", &["B3"], &[human_udi("LS", "B9")]),
            "UDI_MISMATCH",
            "B9",
        ),
        (
            "a UDI with a wrong check digit",
            ship("LS", &["B3"], &[bad_digit]),
            "UDI_INVALID",
            "expected 8",
        ),
        (
            "a UDI that is no UDI",
            ship("LS", &["B3"], &["not a udi".to_string()]),
            "UDI_INVALID",
            "",
        ),
    ];
    let mut wrong = Vec::new();
    for (what, command, code, names) in refused {
        let head = h.api.head(h.admin());
        let reply = h.api.run(h.admin(), &command);
        let message = (reply.errors().first())
            .and_then(|e| e["message"].as_str().map(str::to_string))
            .unwrap_or_default();
        if reply.code().as_deref() != Some(code) || !message.contains(names) {
            wrong.push(format!(
                "{what}: expected {code} naming {names:?}, got {}",
                reply.body
            ));
        }
        if h.api.head(h.admin()) != head {
            wrong.push(format!("{what}: the head moved from {head}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn what_the_refusals_leave_open_still_ships() {
    let h = Harness::start();
    let order = refusal_books(&h);
    let accepted = [
        // The rest of a lot whose serial A2 is recalled.
        tcmd::ship_serials(Uuid::new_v4(), order, "LSR", &["A3"], &[], "2026-04-02"),
        // A lot on its expiry date.
        tcmd::ship(Uuid::new_v4(), order, "LX", 1, "2026-01-31"),
        // All a lot released.
        tcmd::ship(Uuid::new_v4(), order, "LQ", 3, "2026-04-02"),
        // A UDI that agrees with its line.
        tcmd::ship_serials(
            Uuid::new_v4(),
            order,
            "LS",
            &["B3"],
            &[human_udi("LS", "B3")],
            "2026-04-02",
        ),
    ];
    for command in &accepted {
        let reply = h.api.run(h.admin(), command);
        assert_eq!(reply.code(), None, "{}: {}", command.args, reply.body);
    }
}

// ---------------------------------------------------------------- roles

/// Who reads traces, and who of them reads their amounts.
const TRACE_READERS: [(Role, bool); 7] = [
    (Role::Regulator, false),
    (Role::Quality, false),
    (Role::Warehouse, false),
    (Role::Finance, true),
    (Role::FinanceManager, true),
    (Role::Admin, true),
    (Role::Auditor, true),
];

/// The four traceability reads as `token`, at `p` (the recall without
/// amounts).
fn four_reads(h: &Harness, token: &str, b: &RecallBooks, p: u64) -> [Reply; 4] {
    [
        h.api.lot(token, L1, Some(p)),
        h.api.udi(token, &format!("(01){GTIN}(10){L2}"), Some(p)),
        h.api.recall_impact(token, b.recall, Some(p), false),
        h.api.recalls(token, Some(p)),
    ]
}

/// What a customer's invoice has open, by `receivableItems` as finance.
fn open_of_invoice(h: &Harness, customer: Uuid, invoice: Uuid, p: u64) -> Decimal {
    let items = h.api.items(h.tokens.of(Role::Finance), customer, p);
    (items.field().as_array().unwrap().iter())
        .filter(|i| i["invoiceId"] == invoice.to_string().as_str())
        .map(|i| decimal(&i["open"]))
        .sum()
}

#[test]
fn trace_readers_read_the_chains_and_only_amount_readers_their_open_invoices() {
    let h = Harness::start();
    let b = RecallBooks::open(&h);
    let p = b.recalled;
    let reference = four_reads(&h, h.admin(), &b, p).map(|r| r.field().clone());
    assert_eq!(reference[1]["lot"]["lot"], L2, "{}", reference[1]);
    let expected = [
        (b.h1, b.i1, open_of_invoice(&h, b.h1, b.i1, p)),
        (b.h2, b.i2, open_of_invoice(&h, b.h2, b.i2, p)),
    ];
    assert_eq!(
        expected[0].2,
        "70.00".parse().unwrap(),
        "100.00 less 30.00 paid"
    );
    assert_eq!(expected[1].2, "50.00".parse().unwrap());
    for (role, reads_amounts) in TRACE_READERS {
        let token = h.tokens.of(role);
        for (n, reply) in four_reads(&h, token, &b, p).iter().enumerate() {
            assert_eq!(reply.field(), &reference[n], "{role}, read {n}");
        }
        let amounts = h.api.recall_impact(token, b.recall, Some(p), true);
        if !reads_amounts {
            amounts.assert_code("FORBIDDEN");
            assert_eq!(
                amounts.body["data"],
                Value::Null,
                "{role}: {}",
                amounts.body
            );
            continue;
        }
        for (customer, invoice, open) in expected {
            let c = recall_customer(amounts.field(), customer);
            assert_eq!(
                decimal(&c["openInvoiceAmount"]),
                open,
                "{role} {invoice}: {c}"
            );
            let per_currency = json!([{ "currency": USD, "amount": c["openInvoiceAmount"] }]);
            assert_eq!(c["openInvoiceAmounts"], per_currency, "{role}: {c}");
        }
    }
}

#[test]
fn a_sales_token_is_refused_every_trace_read() {
    let h = Harness::start();
    let b = RecallBooks::open(&h);
    let sales = h.tokens.of(Role::Sales);
    let names = ["lot", "udi", "recallImpact", "recalls"];
    let mut replies = four_reads(&h, sales, &b, b.recalled).to_vec();
    replies.push(h.api.recall_impact(sales, b.recall, Some(b.recalled), true));
    for (n, reply) in replies.iter().enumerate() {
        let name = names.get(n).copied().unwrap_or("recallImpact with amounts");
        reply.assert_code("FORBIDDEN");
        let data = &reply.body["data"];
        let nothing = data.is_null()
            || data
                .as_object()
                .is_some_and(|d| d.values().all(Value::is_null));
        assert!(nothing, "{name} showed a sales user {}", reply.body);
    }
}

// ---------------------------------------------------------------- serial recalls

/// Serial recall books: lot `LSR` (100 units until 2030); h1 received A1
/// (`s1`, 2026-04-01), h2 A2 and A3 (`s2`, 2026-04-02); then a recall of
/// LSR naming serial A2 only.
struct SerialRecall {
    h1: Uuid,
    h2: Uuid,
    s2: Uuid,
    recall: Uuid,
    recalled: u64,
}

fn serial_recall_books(h: &Harness) -> SerialRecall {
    let id = Uuid::new_v4;
    let (h1, h2, o1, o2, s1, s2, recall) = (id(), id(), id(), id(), id(), id(), id());
    let recalled = h.api.all_ok(
        h.admin(),
        &[
            cmd::register_product(),
            cmd::release_lot("LSR", "2030-01-01", 100),
            cmd::register_customer(h1, OWN_REP),
            cmd::register_customer(h2, OWN_REP),
            cmd::set_credit_limit(h1, "1000000.00"),
            cmd::set_credit_limit(h2, "1000000.00"),
            tcmd::order(o1, h1, 5),
            tcmd::order(o2, h2, 5),
            tcmd::ship_serials(s1, o1, "LSR", &["A1"], &[], "2026-04-01"),
            tcmd::ship_serials(s2, o2, "LSR", &["A2", "A3"], &[], "2026-04-02"),
            tcmd::recall_serials(recall, "LSR", &["A2"]),
        ],
    );
    SerialRecall {
        h1,
        h2,
        s2,
        recall,
        recalled,
    }
}

#[test]
fn a_recall_naming_serials_reaches_only_the_consignees_of_those_serials() {
    let h = Harness::start();
    let r = serial_recall_books(&h);
    let impact = h
        .api
        .recall_impact(h.admin(), r.recall, Some(r.recalled), false);
    let impact = impact.field();
    let customers = impact["customers"].as_array().unwrap();
    assert_eq!(customers.len(), 1, "h2 only: {impact}");
    let c = recall_customer(impact, r.h2);
    assert_eq!(c["quantityShipped"], 1, "A2 only: {c}");
    assert_eq!(ids(&c["shipments"]), [r.s2]);
    assert_eq!(impact["totalShipped"], 1);
    let recalls = h.api.recalls(h.admin(), Some(r.recalled));
    assert_eq!(recalls.field()["nodes"][0]["affectedCustomers"], 1);

    let doc: Value = serde_json::from_str(impact["epcis"].as_str().unwrap()).unwrap();
    let events = doc["epcisBody"]["eventList"].as_array().unwrap();
    let shipping: Vec<&Value> = events
        .iter()
        .filter(|e| e["bizStep"] == "shipping")
        .collect();
    assert_eq!(shipping.len(), 1, "{doc}");
    let a2 = json!(["urn:epc:id:sgtin:9504000.005911.A2"]);
    assert_eq!(shipping[0]["epcList"], a2, "{doc}");
    let to_h2 = json!(format!("urn:uuid:{}", r.h2));
    assert_eq!(shipping[0]["destinationList"][0]["destination"], to_h2);
    let recall: Vec<&Value> = (events.iter())
        .filter(|e| e["disposition"] == "recalled")
        .collect();
    assert_eq!(recall.len(), 1, "{doc}");
    assert_eq!(recall[0]["epcList"], a2, "{doc}");
}

#[test]
fn under_a_serial_recall_only_the_recalled_units_are_acknowledged_and_returned() {
    let h = Harness::start();
    let r = serial_recall_books(&h);
    let head = h.api.head(h.admin());
    // h1 received A1, which the recall does not name.
    let acknowledged = h
        .api
        .run(h.admin(), &cmd::acknowledge_recall(r.recall, r.h1));
    // h2 received one recalled unit (A2) and one that is not (A3).
    let returned = h
        .api
        .run(h.admin(), &cmd::record_recall_return(r.recall, r.h2, 2));
    let mut wrong = Vec::new();
    for (what, reply) in [
        ("h1's acknowledgement", &acknowledged),
        ("h2's return of 2", &returned),
    ] {
        if reply.code().as_deref() != Some("INVALID_STATE") {
            wrong.push(format!(
                "{what}: expected INVALID_STATE, got {}",
                reply.body
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(h.api.head(h.admin()), head, "a refusal appended");
    let ok = h.api.all_ok(
        h.admin(),
        &[
            cmd::acknowledge_recall(r.recall, r.h2),
            cmd::record_recall_return(r.recall, r.h2, 1),
        ],
    );
    let impact = h.api.recall_impact(h.admin(), r.recall, Some(ok), false);
    let c = recall_customer(impact.field(), r.h2);
    assert_eq!(
        (&c["quantityShipped"], &c["quantityReturned"]),
        (&json!(1), &json!(1))
    );
    assert_eq!(decimal(&impact.field()["completion"]), Decimal::ONE);
}

#[test]
fn a_serial_ships_once_per_product_whichever_lot_names_it() {
    let h = Harness::start();
    let (customer, order) = (Uuid::new_v4(), Uuid::new_v4());
    h.api.all_ok(
        h.admin(),
        &[
            cmd::register_product(),
            cmd::release_lot("LS", "2030-01-01", 100),
            cmd::release_lot("LT", "2030-01-01", 100),
            cmd::register_customer(customer, OWN_REP),
            cmd::set_credit_limit(customer, "1000000.00"),
            tcmd::order(order, customer, 10),
            tcmd::ship_serials(Uuid::new_v4(), order, "LS", &["X1"], &[], "2026-04-01"),
        ],
    );
    let head = h.api.head(h.admin());
    // The SGTIN is the GTIN and the serial: X1 of this product shipped already.
    let again = tcmd::ship_serials(Uuid::new_v4(), order, "LT", &["X1"], &[], "2026-04-02");
    let reply = h.api.run(h.admin(), &again);
    reply.assert_code("INVALID_STATE");
    assert_eq!(h.api.head(h.admin()), head, "a refusal appended");
}

// ------------------------------------------------------- recall disputes

/// The disputed amount of `customer`'s aging row at `p`, as finance.
fn disputed_of(h: &Harness, customer: Uuid, p: u64) -> Decimal {
    let aging = h.api.aging(h.tokens.of(Role::Finance), p);
    let rows = aging.field()["rows"].as_array().unwrap().clone();
    (rows.iter())
        .filter(|r| r["key"] == customer.to_string().as_str())
        .map(|r| decimal(&r["disputed"]))
        .sum()
}

/// A credit note of `amount` on `invoice` for `reason`.
fn credit(invoice: Uuid, amount: &str, reason: &str) -> server_support::books::Cmd {
    cmd::issue_credit_note(invoice, amount).with("reason", json!(reason))
}

#[test]
fn a_recall_disputes_the_open_value_of_recalled_goods_until_returns_and_credit_notes_settle_it() {
    let h = Harness::start();
    let b = RecallBooks::open(&h);
    let admin = h.admin();
    // I1 bills H1's 10 units of L1 (100.00, 30.00 paid), I2 H2's 5 (50.00);
    // I3 bills lot L2, not recalled.
    assert_eq!(disputed_of(&h, b.h1, b.before_recall), Decimal::ZERO);
    assert_eq!(disputed_of(&h, b.h1, b.recalled), "70.00".parse().unwrap());
    assert_eq!(disputed_of(&h, b.h2, b.recalled), "50.00".parse().unwrap());

    let events = h.api.events(admin, b.recalled, 1, None);
    let recall = &events.field()["nodes"][0];
    assert_eq!(recall["eventType"], "RecallIssued", "{recall}");
    let payload: Value = serde_json::from_str(recall["payload"].as_str().unwrap()).unwrap();
    let disputes = payload["disputes"].as_array().unwrap();
    let mut opened: Vec<(String, String)> = (disputes.iter())
        .map(|d| {
            let amount = d["amount"]["amount"].as_str().unwrap().to_string();
            (d["invoice_id"].as_str().unwrap().to_string(), amount)
        })
        .collect();
    opened.sort();
    // The goods' value; aging counts what is open of it.
    let mut expected = vec![
        (b.i1.to_string(), "100.00".to_string()),
        (b.i2.to_string(), "50.00".to_string()),
    ];
    expected.sort();
    assert_eq!(opened, expected, "{recall}");

    let priced = h
        .api
        .all_ok(admin, &[credit(b.i1, "10.00", "PRICE_ADJUSTMENT")]);
    assert_eq!(
        disputed_of(&h, b.h1, priced),
        "60.00".parse().unwrap(),
        "all that is open (70.00 less 10.00) is the recalled goods'"
    );
    let settled = h.api.all_ok(
        admin,
        &[
            credit(b.i1, "20.00", "RECALL"),
            credit(b.i2, "50.00", "RETURN"),
        ],
    );
    assert_eq!(disputed_of(&h, b.h1, settled), "40.00".parse().unwrap());
    assert_eq!(disputed_of(&h, b.h2, settled), Decimal::ZERO);
    // Half of H1's 10 units come back: 50.00 of the 100.00 opened is
    // settled (the larger of returned 50.00 and credited 20.00), 50.00 is
    // still out, and all 40.00 open is disputed; the last half settles the
    // rest.
    let half = h
        .api
        .all_ok(admin, &[cmd::record_recall_return(b.recall, b.h1, 5)]);
    assert_eq!(disputed_of(&h, b.h1, half), "40.00".parse().unwrap());
    let all = h
        .api
        .all_ok(admin, &[cmd::record_recall_return(b.recall, b.h1, 5)]);
    assert_eq!(disputed_of(&h, b.h1, all), Decimal::ZERO);
    assert_eq!(
        disputed_of(&h, b.h1, b.recalled),
        "70.00".parse().unwrap(),
        "as known at the recall, unchanged"
    );
}
