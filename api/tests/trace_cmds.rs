//! `arledger trace (lot | udi | customer | recall)` and `arledger
//! export-epcis`, run as processes on a small ledger whose chains are
//! worked out below, and on one filled by `arledger fixtures` (its one
//! recall): JSON, table and CSV, past positions, and the refusals
//! (unknown lot, customer or recall; an invalid UDI) with exit 2.
//!
//! The small ledger (GTIN 09504000059118, company prefix 7 digits):
//! lot L1 (1,000 units) and lot L2 (100); H1 County Hospital (East)
//! receives 10 of L1 on 2026-03-01 (invoiced as INV-H1, 1,000.00 USD,
//! accepted 03-03) and serials SN-1..SN-3 of L2 on 03-06; "H2 City Clinic,
//! West" receives 5 of L1 on 03-05. Recall R1 of L1 (2026-04-01): H2
//! acknowledges (04-03) and returns its 5 units (04-05). The clock moves
//! on a second per commit.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

mod support;

use std::path::Path;
use std::process::Output;

use arledger_core::domain::commands::*;
use arledger_core::domain::terms::{PaymentTerms, TermsBase};
use arledger_core::domain::types::{CustomerKind, RiskClass};
use arledger_core::ids::{CustomerId, InvoiceId, OrderId, RecallId, ShipmentId};
use arledger_core::sample;
use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, Utc};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::Value;
use support::*;
use uuid::Uuid;

const GTIN: &str = sample::GTIN;
const H1: CustomerId = CustomerId(Uuid::from_u128(0x41));
const H2: CustomerId = CustomerId(Uuid::from_u128(0x42));
const R1: RecallId = RecallId(Uuid::from_u128(0xCA11));

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn register(id: CustomerId, name: &str, region: &str) -> Command {
    Command::RegisterCustomer(RegisterCustomer {
        customer_id: id,
        name: name.into(),
        kind: CustomerKind::Hospital,
        region: region.into(),
        salesperson_id: "s-1".into(),
        tax_id: None,
    })
}

fn order(n: u128, customer: CustomerId, quantity: i64) -> Command {
    Command::PlaceOrder(PlaceOrder {
        order_id: OrderId(Uuid::from_u128(n)),
        number: format!("SO-{n}"),
        customer_id: customer,
        currency: "USD".into(),
        placed_on: d("2026-02-20"),
        lines: vec![OrderLineRequest {
            line_no: 1,
            gtin: GTIN.into(),
            quantity,
            unit_price: Decimal::ONE_HUNDRED,
        }],
    })
}

fn ship(n: u128, lot: &str, on: &str, quantity: i64, serials: &[&str]) -> Command {
    Command::ShipOrder(ShipOrder {
        shipment_id: ShipmentId(Uuid::from_u128(0x500 + n)),
        order_id: OrderId(Uuid::from_u128(n)),
        shipped_on: d(on),
        ship_to: "Central store".into(),
        lines: vec![ShipLineRequest {
            line_no: 1,
            gtin: GTIN.into(),
            lot: lot.into(),
            quantity,
            serials: serials.iter().map(|s| s.to_string()).collect(),
            udis: vec![],
        }],
    })
}

fn invoice_h1() -> Command {
    Command::IssueInvoice(IssueInvoice {
        invoice_id: InvoiceId(Uuid::from_u128(0x1A)),
        number: "INV-H1".into(),
        customer_id: H1,
        invoice_date: d("2026-03-02"),
        currency: "USD".into(),
        terms: Some(PaymentTerms::single(30, TermsBase::Invoice)),
        lines: vec![InvoiceLineRequest {
            shipment_id: Some(ShipmentId(Uuid::from_u128(0x501))),
            line_no: Some(1),
            quantity: None,
            description: None,
            amount: dec!(1000.00),
            tax: Decimal::ZERO,
        }],
        contract_id: None,
    })
}

/// Positions of the small ledger worth asking about, and when the ledger
/// recorded some of them.
struct Marks {
    /// After H1's L1 shipment, before H2's.
    before_h2: u64,
    /// The recall, before any acknowledgement.
    recalled: u64,
    head: u64,
    /// When `before_h2` and the head were recorded, as EPCIS writes it.
    before_h2_at: String,
    head_at: String,
    /// Half a second after `before_h2` was recorded (RFC 3339).
    after_before_h2: String,
}

fn epcis_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The small ledger of the module docs.
fn small_ledger(dir: &Path) -> Marks {
    let clock = clock();
    let ledger = open_with(dir, clock.clone());
    let run = |command: Command| {
        ledger.submit(sample::submit(command)).unwrap();
        clock.advance(Duration::seconds(1));
        ledger.head().position
    };
    run(sample::register_product());
    run(sample::release_lot("L1", 1_000));
    run(sample::release_lot("L2", 100));
    run(register(H1, "H1 County Hospital", "East"));
    run(register(H2, "H2 City Clinic, West", "West"));
    for (n, customer, quantity) in [(1, H1, 10), (2, H2, 5), (3, H1, 3)] {
        run(order(n, customer, quantity));
        let release = Command::ReleaseOrder(ReleaseOrder {
            order_id: OrderId(Uuid::from_u128(n)),
            note: None,
        });
        // Refused when the credit check did not hold the order.
        let _held_or_not = ledger.submit(sample::submit(release));
    }
    run(ship(1, "L1", "2026-03-01", 10, &[]));
    run(invoice_h1());
    let before_h2 = run(Command::AcceptDelivery(AcceptDelivery {
        shipment_id: ShipmentId(Uuid::from_u128(0x501)),
        accepted_on: d("2026-03-03"),
        accepted_by: "nurse".into(),
    }));
    run(ship(2, "L1", "2026-03-05", 5, &[]));
    run(ship(3, "L2", "2026-03-06", 3, &["SN-1", "SN-2", "SN-3"]));
    let recalled = run(Command::IssueRecall(IssueRecall {
        recall_id: R1,
        gtin: GTIN.into(),
        lots: vec!["L1".into()],
        serials: vec![],
        class: RiskClass::II,
        reason: "seal may leak".into(),
        issued_on: d("2026-04-01"),
    }));
    run(Command::AcknowledgeRecall(AcknowledgeRecall {
        recall_id: R1,
        customer_id: H2,
        acknowledged_on: d("2026-04-03"),
    }));
    let head = run(Command::RecordRecallReturn(RecordRecallReturn {
        recall_id: R1,
        customer_id: H2,
        quantity: 5,
        returned_on: d("2026-04-05"),
    }));
    let recorded = |p: u64| ledger.read(p, 1).unwrap()[0].recorded_at;
    let at = |p: u64| epcis_time(recorded(p));
    Marks {
        before_h2,
        recalled,
        head,
        before_h2_at: at(before_h2),
        head_at: at(head),
        after_before_h2: (recorded(before_h2) + Duration::milliseconds(500)).to_rfc3339(),
    }
}

/// `arledger <args...> --data <dir> <rest>` (the data flag after the
/// subcommands).
fn run_in(args: &[&str], dir: &Path, rest: &[&str]) -> Output {
    let mut all = args.to_vec();
    all.extend(["--data", dir.to_str().unwrap()]);
    all.extend_from_slice(rest);
    arledger(&all)
}

/// Runs and expects success; returns stdout.
fn ok(args: &[&str], dir: &Path, rest: &[&str]) -> String {
    let output = run_in(args, dir, rest);
    let (stdout, stderr) = text(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "arledger {args:?} {rest:?}: {stdout}{stderr}"
    );
    stdout
}

fn json(args: &[&str], dir: &Path, rest: &[&str]) -> Value {
    let rest = [rest, &["--format", "json"]].concat();
    let stdout = ok(args, dir, &rest);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

fn epcis(dir: &Path, rest: &[&str]) -> Value {
    let stdout = ok(&["export-epcis"], dir, rest);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// Expects exit 2 with nothing on stdout; returns stderr.
fn refused(args: &[&str], dir: &Path, rest: &[&str]) -> String {
    let output = run_in(args, dir, rest);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}{stderr}");
    assert!(stdout.is_empty(), "nothing printed on refusal: {stdout}");
    stderr
}

fn u64_of(value: &Value) -> u64 {
    value
        .as_u64()
        .unwrap_or_else(|| panic!("a count, not {value}"))
}

fn sum_of(list: &Value, field: &str) -> u64 {
    list.as_array()
        .unwrap()
        .iter()
        .map(|x| u64_of(&x[field]))
        .sum()
}

/// The EPCIS events with `bizStep` (or, for `recalled`, disposition).
fn events<'a>(document: &'a Value, key: &str, value: &str) -> Vec<&'a Value> {
    document["epcisBody"]["eventList"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e[key] == value)
        .collect()
}

fn shipped_to(lot: &Value) -> Vec<(String, u64)> {
    (lot["shipments"].as_array().unwrap().iter())
        .map(|s| {
            (
                s["customerName"].as_str().unwrap().to_string(),
                u64_of(&s["quantity"]),
            )
        })
        .collect()
}

#[test]
fn a_lots_chain_in_json_table_and_csv_and_as_known_before_a_shipment() {
    let dir = tempfile::tempdir().unwrap();
    let marks = small_ledger(dir.path());
    let lot_args = ["--gtin", GTIN, "--lot", "L1"];
    let lot = json(&["trace", "lot"], dir.path(), &lot_args);
    assert_eq!(
        shipped_to(&lot),
        [
            ("H1 County Hospital".to_string(), 10),
            ("H2 City Clinic, West".to_string(), 5)
        ]
    );
    assert_eq!(u64_of(&lot["shippedQuantity"]), 15);
    assert_eq!(sum_of(&lot["shipments"], "quantity"), 15);
    assert_eq!(
        (u64_of(&lot["releasedQuantity"]), u64_of(&lot["inStock"])),
        (1_000, 985)
    );
    assert_eq!(lot["recalls"], serde_json::json!([R1.to_string()]));
    assert_eq!(lot["shipments"][0]["invoiceNumbers"][0], "INV-H1");
    assert_eq!(lot["shipments"][0]["acceptedOn"], "2026-03-03");
    assert_eq!(lot["knownAtPosition"], marks.head.to_string());

    let position = marks.before_h2.to_string();
    let past = json(
        &["trace", "lot"],
        dir.path(),
        &[&lot_args[..], &["--known-at-position", &position]].concat(),
    );
    assert_eq!(shipped_to(&past), [("H1 County Hospital".to_string(), 10)]);
    assert_eq!(past["recalls"], serde_json::json!([]), "not recalled yet");
    let moment = json(
        &["trace", "lot"],
        dir.path(),
        &[&lot_args[..], &["--known-at", &marks.after_before_h2]].concat(),
    );
    assert_eq!(
        moment, past,
        "--known-at a moment: the position recorded by then"
    );

    let table = ok(&["trace", "lot"], dir.path(), &lot_args);
    assert!(
        table.starts_with("Lot L1 of 09504000059118 (Infusion pump), as known at position "),
        "{table}"
    );
    assert!(
        table.contains("released 1000, shipped 15, in stock 985"),
        "{table}"
    );
    assert!(table.contains(&format!("Recalls: {R1}")), "{table}");
    let h1 = table
        .lines()
        .find(|l| l.starts_with("2026-03-01"))
        .unwrap_or_else(|| panic!("no line of H1's shipment in\n{table}"));
    for cell in [
        "H1 County Hospital",
        "East",
        " 10 ",
        "SO-1",
        "INV-H1",
        "2026-03-03",
    ] {
        assert!(h1.contains(cell), "{cell:?} in {h1:?}");
    }

    let csv = ok(
        &["trace", "lot"],
        dir.path(),
        &[&lot_args[..], &["--format", "csv"]].concat(),
    );
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "a header and one line per shipment: {csv}");
    assert!(lines[0].starts_with("gtin,lot,shipmentId,shippedOn,customerId,"));
    assert!(
        lines[2].contains(",\"H2 City Clinic, West\",West,Central store,5,"),
        "{csv}"
    );
}

#[test]
fn a_serials_chain_and_an_unknown_lot() {
    let dir = tempfile::tempdir().unwrap();
    small_ledger(dir.path());
    let one = json(
        &["trace", "lot"],
        dir.path(),
        &["--gtin", GTIN, "--lot", "L2", "--serial", "SN-2"],
    );
    assert_eq!(one["serial"], "SN-2");
    assert_eq!(shipped_to(&one), [("H1 County Hospital".to_string(), 1)]);
    assert_eq!(one["shipments"][0]["serials"], serde_json::json!(["SN-2"]));
    assert_eq!(
        u64_of(&one["shippedQuantity"]),
        3,
        "the lot's, not the serial's"
    );

    let stderr = refused(
        &["trace", "lot"],
        dir.path(),
        &["--gtin", GTIN, "--lot", "NOPE"],
    );
    assert!(
        stderr.contains("lot \"NOPE\" of GTIN 09504000059118 is not known at log position"),
        "{stderr}"
    );
    let stderr = refused(
        &["trace", "lot"],
        dir.path(),
        &["--gtin", GTIN, "--lot", "L2", "--serial", "SN-9"],
    );
    assert!(stderr.contains("serial \"SN-9\""), "{stderr}");
    let stderr = refused(
        &["trace", "lot"],
        dir.path(),
        &["--gtin", "09504000059119", "--lot", "L1"],
    );
    assert!(stderr.contains("--gtin"), "{stderr}");
}

#[test]
fn a_udi_in_each_form_shows_its_serials_shipment() {
    let dir = tempfile::tempdir().unwrap();
    small_ledger(dir.path());
    let found = json(
        &["trace", "udi", "(01)09504000059118(17)300101(10)L2(21)SN-2"],
        dir.path(),
        &[],
    );
    assert_eq!(found["fields"]["gtin"], GTIN);
    assert_eq!(found["fields"]["lot"], "L2");
    assert_eq!(found["fields"]["serial"], "SN-2");
    assert_eq!(found["fields"]["expiry"], "2030-01-01");
    assert_eq!(
        found["fields"]["ais"],
        serde_json::json!(["01", "17", "10", "21"])
    );
    assert_eq!(found["lot"]["lot"], "L2");
    assert_eq!(found["lot"]["shipments"].as_array().unwrap().len(), 1);
    assert_eq!(
        found["lot"]["shipments"][0]["serials"],
        serde_json::json!(["SN-2"])
    );

    // No lot in the UDI: the serial's lot, from its shipment.
    let link = json(
        &[
            "trace",
            "udi",
            "https://id.gs1.org/01/09504000059118/21/SN-3",
        ],
        dir.path(),
        &[],
    );
    assert_eq!(link["fields"]["form"], "digitalLink");
    assert_eq!(link["fields"]["lot"], Value::Null);
    assert_eq!(link["lot"]["lot"], "L2");
    assert_eq!(
        link["lot"]["shipments"][0]["serials"],
        serde_json::json!(["SN-3"])
    );

    let table = ok(
        &["trace", "udi", "(01)09504000059118(21)SN-1"],
        dir.path(),
        &[],
    );
    assert!(
        table.starts_with("UDI: GTIN 09504000059118, serial SN-1 (AIs 01, 21)\nLot L2 of "),
        "{table}"
    );
    let line = table
        .lines()
        .find(|l| l.starts_with("2026-03-06"))
        .unwrap_or_else(|| panic!("no shipment line in\n{table}"));
    assert!(
        line.contains("H1 County Hospital") && line.contains("SN-1"),
        "{line}"
    );
    assert!(!line.contains("SN-2"), "narrowed to the serial: {line}");
}

#[test]
fn an_invalid_udi_is_refused_naming_the_ai() {
    let dir = tempfile::tempdir().unwrap();
    small_ledger(dir.path());
    let stderr = refused(
        &["trace", "udi", "(01)09504000059119(10)L1"],
        dir.path(),
        &[],
    );
    assert!(stderr.contains("invalid UDI"), "{stderr}");
    assert!(stderr.contains("AI (01)"), "{stderr}");
    assert!(stderr.contains("expected 8"), "{stderr}");
    let stderr = refused(
        &["trace", "udi", "(01)09504000059118(17)301301"],
        dir.path(),
        &[],
    );
    assert!(stderr.contains("AI (17)"), "{stderr}");
    let stderr = refused(
        &["trace", "udi", "(01)09504000059118(21)SN-9"],
        dir.path(),
        &[],
    );
    assert!(
        stderr.contains("serial \"SN-9\" of GTIN 09504000059118 has not shipped"),
        "{stderr}"
    );
}

#[test]
fn what_a_customer_received() {
    let dir = tempfile::tempdir().unwrap();
    let marks = small_ledger(dir.path());
    let h1 = H1.0.to_string();
    let got = json(&["trace", "customer"], dir.path(), &["--customer", &h1]);
    assert_eq!(got["name"], "H1 County Hospital");
    let lines: Vec<(String, u64)> = (got["received"].as_array().unwrap().iter())
        .map(|l| {
            (
                l["lot"].as_str().unwrap().to_string(),
                u64_of(&l["quantity"]),
            )
        })
        .collect();
    assert_eq!(lines, [("L1".to_string(), 10), ("L2".to_string(), 3)]);
    assert_eq!(got["received"][1]["gtin"], GTIN);
    assert_eq!(
        got["received"][1]["serials"],
        serde_json::json!(["SN-1", "SN-2", "SN-3"])
    );
    let position = marks.before_h2.to_string();
    let past = json(
        &["trace", "customer"],
        dir.path(),
        &["--customer", &h1, "--known-at-position", &position],
    );
    assert_eq!(past["received"].as_array().unwrap().len(), 1);

    let table = ok(&["trace", "customer"], dir.path(), &["--customer", &h1]);
    assert!(
        table.starts_with(&format!(
            "What H1 County Hospital ({h1}) received, as known at position"
        )),
        "{table}"
    );
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("2026-03-01") && l.contains(" L1 ")),
        "{table}"
    );
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("2026-03-06") && l.contains("SN-1 SN-2 SN-3")),
        "{table}"
    );
    let csv = ok(
        &["trace", "customer"],
        dir.path(),
        &["--customer", &h1, "--format", "csv"],
    );
    assert_eq!(csv.lines().count(), 3, "{csv}");

    let unknown = Uuid::from_u128(0xDEAD).to_string();
    let stderr = refused(
        &["trace", "customer"],
        dir.path(),
        &["--customer", &unknown],
    );
    assert!(
        stderr.contains(&format!("customer {unknown} is not known at log position")),
        "{stderr}"
    );
}

#[test]
fn a_recalls_consignees_now_and_as_known_when_it_was_issued() {
    let dir = tempfile::tempdir().unwrap();
    let marks = small_ledger(dir.path());
    let r1 = R1.0.to_string();
    let impact = json(&["trace", "recall"], dir.path(), &["--recall", &r1]);
    let customers = &impact["customers"];
    assert_eq!(u64_of(&impact["totalShipped"]), 15);
    assert_eq!(sum_of(customers, "quantityShipped"), 15);
    assert_eq!(u64_of(&impact["totalReturned"]), 5);
    assert_eq!(sum_of(customers, "quantityReturned"), 5);
    assert_eq!(impact["completion"], "0.5000");
    assert_eq!(impact["reason"], "seal may leak");
    assert_eq!(customers[0]["name"], "H1 County Hospital");
    assert_eq!(
        customers[0]["openInvoiceAmounts"],
        serde_json::json!([{"currency": "USD", "amount": "1000.00"}]),
        "INV-H1 carries L1 and is unpaid"
    );
    assert_eq!(customers[1]["acknowledgedOn"], "2026-04-03");
    assert_eq!(customers[1]["openInvoiceAmounts"], serde_json::json!([]));

    let position = marks.recalled.to_string();
    let then = json(
        &["trace", "recall"],
        dir.path(),
        &["--recall", &r1, "--known-at-position", &position],
    );
    assert_eq!(then["completion"], "0.0000");
    assert_eq!(u64_of(&then["totalReturned"]), 0);
    assert_eq!(sum_of(&then["customers"], "quantityShipped"), 15);

    let table = ok(&["trace", "recall"], dir.path(), &["--recall", &r1]);
    assert!(
        table.starts_with(&format!(
            "Recall {r1} (class II, issued 2026-04-01), as known at position"
        )),
        "{table}"
    );
    assert!(table.contains("Reason: seal may leak"), "{table}");
    assert!(
        table.contains("2 consignees; shipped 15, returned 5; share acknowledged 0.5000"),
        "{table}"
    );
    let h2 = table
        .lines()
        .find(|l| l.contains("H2 City Clinic, West"))
        .unwrap_or_else(|| panic!("no line of H2 in\n{table}"));
    assert!(h2.contains("2026-04-03"), "{h2}");
    assert!(
        table
            .lines()
            .any(|l| l.contains("H1 County Hospital") && l.ends_with("1000.00 USD")),
        "{table}"
    );

    let csv = ok(
        &["trace", "recall"],
        dir.path(),
        &["--recall", &r1, "--format", "csv"],
    );
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "a header and one line per consignee: {csv}");
    assert_eq!(
        lines[0],
        "customerId,name,quantityShipped,quantityReturned,acknowledgedOn,shipments,openInvoiceAmounts,shipmentIds"
    );

    let before = (marks.recalled - 1).to_string();
    let stderr = refused(
        &["trace", "recall"],
        dir.path(),
        &["--recall", &r1, "--known-at-position", &before],
    );
    assert!(
        stderr.contains(&format!(
            "recall {r1} is not known at log position {before}: no recall is"
        )),
        "{stderr}"
    );
    let unknown = Uuid::from_u128(0xBAD).to_string();
    let stderr = refused(&["trace", "recall"], dir.path(), &["--recall", &unknown]);
    assert!(
        stderr.contains(&format!(
            "recall {unknown} is not known at log position {}",
            marks.head
        )),
        "{stderr}"
    );
    assert!(stderr.contains(&r1), "names the recall that is: {stderr}");
}

#[test]
fn export_epcis_of_a_lot_and_of_a_recall() {
    let dir = tempfile::tempdir().unwrap();
    let marks = small_ledger(dir.path());
    let lot_path = format!("{GTIN}/L1");
    let doc = epcis(dir.path(), &["--lot", &lot_path]);
    assert_eq!(doc["type"], "EPCISDocument");
    assert_eq!(doc["schemaVersion"], "2.0");
    assert_eq!(
        doc["@context"],
        serde_json::json!(["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"])
    );
    assert_eq!(doc["creationDate"], marks.head_at.as_str());
    let lot = json(
        &["trace", "lot"],
        dir.path(),
        &["--gtin", GTIN, "--lot", "L1"],
    );
    let shipping = events(&doc, "bizStep", "shipping");
    assert_eq!(
        shipping.len(),
        lot["shipments"].as_array().unwrap().len(),
        "one shipping event per shipment"
    );
    let quantities: Vec<u64> = (shipping.iter())
        .map(|e| u64_of(&e["quantityList"][0]["quantity"]))
        .collect();
    assert_eq!(quantities, [10, 5]);
    assert_eq!(
        shipping[0]["quantityList"][0]["epcClass"],
        "urn:epc:class:lgtin:9504000.005911.L1"
    );
    assert_eq!(
        shipping[1]["destinationList"][0]["destination"],
        format!("urn:uuid:{}", H2.0)
    );
    assert_eq!(events(&doc, "bizStep", "commissioning").len(), 1);
    assert_eq!(events(&doc, "bizStep", "receiving").len(), 1);
    assert_eq!(events(&doc, "disposition", "recalled").len(), 1);

    // --gtin G --lot L into a file: the same bytes.
    let out = dir.path().join("l1.json");
    let stdout = ok(
        &["export-epcis"],
        dir.path(),
        &[
            "--gtin",
            GTIN,
            "--lot",
            "L1",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(stdout.is_empty(), "{stdout}");
    let written = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        written,
        ok(&["export-epcis"], dir.path(), &["--lot", &lot_path])
    );

    let position = marks.before_h2.to_string();
    let past = epcis(
        dir.path(),
        &["--lot", &lot_path, "--known-at-position", &position],
    );
    assert_eq!(past["creationDate"], marks.before_h2_at.as_str());
    assert_eq!(events(&past, "bizStep", "shipping").len(), 1);
    assert!(events(&past, "disposition", "recalled").is_empty());

    let r1 = R1.0.to_string();
    let recall = epcis(dir.path(), &["--recall", &r1]);
    assert_eq!(recall["type"], "EPCISDocument");
    assert_eq!(events(&recall, "bizStep", "shipping").len(), 2);
    assert_eq!(events(&recall, "disposition", "recalled").len(), 1);
    assert_eq!(recall["creationDate"], marks.head_at.as_str());
}

#[test]
fn export_epcis_refusals() {
    let dir = tempfile::tempdir().unwrap();
    small_ledger(dir.path());
    let stderr = refused(
        &["export-epcis"],
        dir.path(),
        &["--lot", &format!("{GTIN}/NOPE")],
    );
    assert!(stderr.contains("lot \"NOPE\" of GTIN"), "{stderr}");
    let unknown = Uuid::from_u128(0xBAD).to_string();
    let stderr = refused(&["export-epcis"], dir.path(), &["--recall", &unknown]);
    assert!(
        stderr.contains(&format!("recall {unknown} is not known")),
        "{stderr}"
    );
    let stderr = refused(&["export-epcis"], dir.path(), &["--lot", "L1"]);
    assert!(stderr.contains("G/L"), "{stderr}");
    refused(&["export-epcis"], dir.path(), &[]);
    refused(
        &["export-epcis"],
        dir.path(),
        &["--lot", "L1", "--recall", &unknown],
    );
}

#[test]
fn the_recall_of_a_fixture_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("ledger");
    ok(&["fixtures"], &data, &["--events", "3000", "--seed", "7"]);
    // The recall's id, from the refusal of another.
    let nil = Uuid::nil().to_string();
    let stderr = refused(&["trace", "recall"], &data, &["--recall", &nil]);
    let recall = stderr
        .trim_end()
        .rsplit(' ')
        .next()
        .and_then(|id| Uuid::parse_str(id).ok())
        .unwrap_or_else(|| panic!("no recall named in {stderr}"))
        .to_string();
    let impact = json(&["trace", "recall"], &data, &["--recall", &recall]);
    let gtin = impact["gtin"].as_str().unwrap();
    let customers = &impact["customers"];
    assert!(!customers.as_array().unwrap().is_empty(), "consignees");
    assert_eq!(
        sum_of(customers, "quantityShipped"),
        u64_of(&impact["totalShipped"])
    );
    let mut shipped_of_lots = 0;
    for lot in impact["lots"].as_array().unwrap() {
        let lot = lot.as_str().unwrap();
        let chain = json(&["trace", "lot"], &data, &["--gtin", gtin, "--lot", lot]);
        assert_eq!(
            sum_of(&chain["shipments"], "quantity"),
            u64_of(&chain["shippedQuantity"]),
            "lot {lot}"
        );
        assert_eq!(chain["recalls"], serde_json::json!([recall]));
        shipped_of_lots += u64_of(&chain["shippedQuantity"]);
    }
    assert_eq!(impact["serials"], serde_json::json!([]), "whole lots");
    assert_eq!(shipped_of_lots, u64_of(&impact["totalShipped"]));
    let doc = epcis(&data, &["--recall", &recall]);
    let shipments: usize = (customers.as_array().unwrap().iter())
        .map(|c| c["shipments"].as_array().unwrap().len())
        .sum();
    assert_eq!(events(&doc, "bizStep", "shipping").len(), shipments);
}
