//! EPCIS 2.0 export (traceability.md "EPCIS 2.0 export"): the documents
//! of a lot and of a recall validate against GS1's EPCIS 2.0 JSON schema
//! (our copy: tests/epcis/, its source in SOURCE.md), and their events
//! agree with the traceability answers: one commissioning per lot, one
//! shipping event per shipment to its consignee with its quantity or
//! serials, receiving for each acceptance, and the recall.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

mod support;

use arledger_core::domain::Command;
use arledger_core::domain::commands::{AcceptDelivery, IssueRecall};
use arledger_core::domain::types::{Gtin, RiskClass};
use arledger_core::ids::RecallId;
use arledger_core::sample;
use arledger_projections::trace::{Trace, lgtin, sgtin};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;
use support::*;
use uuid::Uuid;

const R1: RecallId = RecallId(Uuid::from_u128(0xCA11));

fn schema() -> jsonschema::Validator {
    let text = include_str!("epcis/EPCIS-JSON-Schema.json");
    let schema: Value = serde_json::from_str(text).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

fn assert_valid(document: &Value) {
    let validator = schema();
    let errors: Vec<String> = validator
        .iter_errors(document)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{document:#}");
}

fn recorded(position: u64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap()
        + chrono::Duration::minutes(i64::try_from(position).unwrap())
}

fn traced(h: &History) -> Trace {
    h.fed(h.head())
}

/// L1 to H1 (10, invoiced, accepted) and H2 (5); L2 serials to H1; L1 recalled.
fn history() -> History {
    let mut h = History::new();
    for c in goods_master_data() {
        h.run(c);
    }
    h.run(sample::release_lot("L2", 100));
    h.run(register(customer(1), "H1", "East", "sam"));
    h.run(register(customer(2), "H2", "West", "kim"));
    for (order, c, units) in [(1, 1, 10), (2, 2, 5), (3, 1, 2)] {
        h.run(place_order(order_id(order), customer(c), "USD", units));
        let _held_or_not = h.try_run(&release_order(order_id(order)));
    }
    h.run(ship_from(
        "L1",
        shipment_id(1),
        order_id(1),
        "2026-03-01",
        10,
    ));
    h.run(goods_invoice(
        invoice_id(1),
        customer(1),
        "INV-1",
        ("2026-03-02", "USD"),
        (shipment_id(1), None),
        rust_decimal_macros::dec!(1000.00),
        net(30),
    ));
    h.run(Command::AcceptDelivery(AcceptDelivery {
        shipment_id: shipment_id(1),
        accepted_on: d("2026-03-03"),
        accepted_by: "nurse".into(),
    }));
    h.run(ship_from(
        "L1",
        shipment_id(2),
        order_id(2),
        "2026-03-05",
        5,
    ));
    h.run(ship_serials(
        "L2",
        (shipment_id(3), order_id(3)),
        "2026-03-06",
        2,
        &["S/1", "S#2"],
    ));
    h.run(Command::IssueRecall(IssueRecall {
        recall_id: R1,
        gtin: sample::GTIN.into(),
        lots: vec!["L1".into()],
        serials: vec![],
        class: RiskClass::II,
        reason: "seal".into(),
        issued_on: d("2026-04-01"),
    }));
    h
}

fn events(document: &Value) -> &Vec<Value> {
    document["epcisBody"]["eventList"].as_array().unwrap()
}

fn of_step<'a>(document: &'a Value, step: &str) -> Vec<&'a Value> {
    events(document)
        .iter()
        .filter(|e| e["bizStep"] == step)
        .collect()
}

#[test]
fn a_lots_document_validates_and_agrees_with_its_trace() {
    let h = history();
    let t = traced(&h);
    let gtin = Gtin::parse(sample::GTIN).unwrap();
    let doc = t
        .lot_epcis(&gtin, "L1", h.head(), recorded(h.head()))
        .unwrap();
    assert_valid(&doc);
    assert_eq!(
        doc["@context"][0],
        "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
    );
    let trace = t.lot(&gtin, "L1", None, h.head()).unwrap();
    let class = lgtin(&gtin, 7, "L1");
    assert_eq!(class, "urn:epc:class:lgtin:9504000.005911.L1");
    let released = of_step(&doc, "commissioning");
    assert_eq!(released.len(), 1);
    assert_eq!(
        released[0]["quantityList"][0]["quantity"],
        trace.released_quantity
    );
    let shipped = of_step(&doc, "shipping");
    assert_eq!(shipped.len(), trace.shipments.len());
    for (event, s) in shipped.iter().zip(&trace.shipments) {
        assert_eq!(
            event["destinationList"][0]["destination"],
            format!("urn:uuid:{}", s.customer_id)
        );
        assert_eq!(event["quantityList"][0]["epcClass"], class);
        assert_eq!(event["quantityList"][0]["quantity"], s.quantity);
        assert_eq!(
            event["eventTime"],
            format!("{}T00:00:00.000Z", s.shipped_on)
        );
        assert_eq!(event["disposition"], "in_transit");
    }
    assert_eq!(
        shipped[0]["bizTransactionList"][1]["bizTransaction"],
        format!("urn:uuid:{}", invoice_id(1))
    );
    assert_eq!(of_step(&doc, "receiving").len(), 1, "H1 accepted");
    let recalled: Vec<&Value> = events(&doc)
        .iter()
        .filter(|e| e["disposition"] == "recalled")
        .collect();
    assert_eq!(recalled.len(), 1);
    let again = t
        .lot_epcis(&gtin, "L1", h.head(), recorded(h.head()))
        .unwrap();
    assert_eq!(
        doc.to_string(),
        again.to_string(),
        "the same bytes each time"
    );
}

#[test]
fn serials_are_sgtins_escaped_as_epc_uris() {
    let h = history();
    let t = traced(&h);
    let gtin = Gtin::parse(sample::GTIN).unwrap();
    let doc = t
        .lot_epcis(&gtin, "L2", h.head(), recorded(h.head()))
        .unwrap();
    assert_valid(&doc);
    let shipped = of_step(&doc, "shipping");
    assert_eq!(
        shipped[0]["epcList"],
        serde_json::json!([sgtin(&gtin, 7, "S/1"), sgtin(&gtin, 7, "S#2")])
    );
    assert_eq!(
        sgtin(&gtin, 7, "S#2"),
        "urn:epc:id:sgtin:9504000.005911.S%232"
    );
}

#[test]
fn a_recalls_document_validates_and_agrees_with_its_impact() {
    let h = history();
    let t = traced(&h);
    let doc = t.recall_epcis(R1, h.head(), recorded(h.head())).unwrap();
    assert_valid(&doc);
    let impact = t.recall_impact(R1, h.head(), &|_| None).unwrap();
    let consignees: Vec<String> = of_step(&doc, "shipping")
        .iter()
        .map(|e| {
            e["destinationList"][0]["destination"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let expected: Vec<String> = impact
        .customers
        .iter()
        .map(|c| format!("urn:uuid:{}", c.customer_id))
        .collect();
    assert_eq!(consignees, expected);
    let units: u64 = of_step(&doc, "shipping")
        .iter()
        .map(|e| e["quantityList"][0]["quantity"].as_u64().unwrap())
        .sum();
    assert_eq!(units, impact.total_shipped);
    let last = events(&doc).last().unwrap();
    assert_eq!(
        (last["disposition"].as_str(), last["eventTime"].as_str()),
        (Some("recalled"), Some("2026-04-01T00:00:00.000Z"))
    );
    assert!(
        t.recall_epcis(R1, h.head() - 1, recorded(h.head()))
            .is_none(),
        "unknown before it was issued"
    );
}
