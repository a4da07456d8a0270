//! `arledger import`, run as a process on files written in temp dirs:
//! good lines appended in order, refused and malformed lines reported by
//! line number (and code), and a second run appending nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

mod support;

use std::path::Path;

use arledger_core::domain::Role;
use arledger_core::log::Ledger;
use serde_json::{Value, json};
use support::*;
use uuid::Uuid;

const GTIN: &str = "09504000059118";

fn id(n: u128) -> String {
    Uuid::from_u128(n).to_string()
}

/// A command line: `command`, a fresh-but-fixed command id, and `fields`.
fn line(command: &str, n: u128, fields: Value) -> String {
    let mut object = fields.as_object().cloned().unwrap();
    object.insert("command".into(), json!(command));
    object.insert("commandId".into(), json!(id(0xc000 + n)));
    serde_json::to_string(&object).unwrap()
}

type Line = (String, &'static [&'static str]);

/// The import file: every line's text, and for each good line the event
/// types it appends. Customer 1, order 2 (placed), shipment 3, invoice 4,
/// payment 5, order 6 (held over the credit limit, released, cancelled),
/// credit note 7, recall 8, order 9 (held, rejected): every mutation of
/// the contract, the ten that take plain arguments included.
fn scenario() -> Vec<Line> {
    let c = id(1);
    [
        master_lines(&c),
        sales_lines(&c),
        bad_lines(&c),
        later_lines(&c),
        receivable_lines(&c),
        recall_and_order_lines(&c),
    ]
    .concat()
}

/// Lines 1-4.
fn master_lines(c: &str) -> Vec<Line> {
    vec![
        (
            line(
                "registerCustomer",
                1,
                json!({"customerId": c, "name": "City Hospital", "kind": "HOSPITAL", "region": "East", "salespersonId": "s-1"}),
            ),
            &["CustomerRegistered"],
        ),
        (
            line(
                "setCreditLimit",
                2,
                json!({"customerId": c, "limit": "100000.00", "currency": "CNY", "grade": "A"}),
            ),
            &["CreditLimitSet"],
        ),
        (
            line(
                "registerProduct",
                3,
                json!({"gtin": GTIN, "name": "Infusion pump", "riskClass": "II"}),
            ),
            &["ProductRegistered"],
        ),
        (
            line(
                "releaseLot",
                4,
                json!({"gtin": GTIN, "lot": "L1", "manufacturedOn": "2026-01-01", "expiresOn": "2030-01-01", "quantity": 100}),
            ),
            &["LotReleased"],
        ),
    ]
}

/// Lines 5-10: an order shipped, accepted, invoiced and partly paid.
fn sales_lines(c: &str) -> Vec<Line> {
    vec![
        (
            line(
                "placeOrder",
                5,
                json!({"orderId": id(2), "number": "SO-1", "customerId": c, "currency": "CNY", "placedOn": "2026-02-01", "lines": [{"lineNo": 1, "gtin": GTIN, "quantity": 10, "unitPrice": "1500.00"}]}),
            ),
            &["OrderPlaced"],
        ),
        (
            line(
                "shipOrder",
                6,
                json!({"shipmentId": id(3), "orderId": id(2), "shippedOn": "2026-02-03", "lines": [{"lineNo": 1, "gtin": GTIN, "lot": "L1", "quantity": 2, "serials": ["SN1", "SN2"]}]}),
            ),
            &["OrderShipped"],
        ),
        (
            line(
                "acceptDelivery",
                7,
                json!({"shipmentId": id(3), "acceptedOn": "2026-02-05", "acceptedBy": "Head nurse"}),
            ),
            &["DeliveryAccepted"],
        ),
        (
            line(
                "issueInvoice",
                8,
                json!({"invoiceId": id(4), "number": "INV-1", "customerId": c, "invoiceDate": "2026-02-06", "currency": "CNY", "terms": {"installments": [{"sharePercent": "100", "days": 30, "after": "INVOICE"}]}, "lines": [{"shipmentId": id(3), "lineNo": 1, "amount": "3000.00", "tax": "390.00"}]}),
            ),
            &["InvoiceIssued"],
        ),
        (
            line(
                "receivePayment",
                9,
                json!({"paymentId": id(5), "customerId": c, "amount": "1000.00", "currency": "CNY", "receivedOn": "2026-02-20"}),
            ),
            &["PaymentReceived"],
        ),
        (
            line(
                "allocatePayment",
                10,
                json!({"paymentId": id(5), "invoiceId": id(4), "amount": "800.00"}),
            ),
            &["PaymentAllocated"],
        ),
    ]
}

/// Lines 11-16: two refused, four malformed.
fn bad_lines(c: &str) -> Vec<Line> {
    vec![
        // 11, refused: 200.00 of the payment is left.
        (
            line(
                "allocatePayment",
                11,
                json!({"paymentId": id(5), "invoiceId": id(4), "amount": "500.00"}),
            ),
            &[],
        ),
        // 12, refused: no such customer.
        (
            line(
                "receivePayment",
                12,
                json!({"paymentId": id(6), "customerId": id(99), "amount": "10.00", "currency": "CNY", "receivedOn": "2026-02-20"}),
            ),
            &[],
        ),
        // 13-16: bad JSON, an unknown command, a missing field, a float amount.
        (
            r#"{"command":"receivePayment","commandId":"#.to_string(),
            &[],
        ),
        (line("launchRocket", 14, json!({"target": "moon"})), &[]),
        (
            line(
                "receivePayment",
                15,
                json!({"paymentId": id(7), "customerId": c, "currency": "CNY", "receivedOn": "2026-02-20"}),
            ),
            &[],
        ),
        (
            line(
                "receivePayment",
                16,
                json!({"paymentId": id(8), "customerId": c, "amount": 12.5, "currency": "CNY", "receivedOn": "2026-02-20"}),
            ),
            &[],
        ),
    ]
}

/// Lines 17-21: a held order released, a blank line, a collection call
/// and a dispute.
fn later_lines(c: &str) -> Vec<Line> {
    vec![
        (
            line(
                "placeOrder",
                17,
                json!({"orderId": id(6), "number": "SO-2", "customerId": c, "currency": "CNY", "placedOn": "2026-02-21", "lines": [{"lineNo": 1, "gtin": GTIN, "quantity": 90, "unitPrice": "10000.00"}]}),
            ),
            &["OrderPlaced", "OrderHeld"],
        ),
        (
            line(
                "releaseOrder",
                18,
                json!({"orderId": id(6), "note": "approved by the CFO"}),
            ),
            &["OrderReleased"],
        ),
        ("   ".to_string(), &[]),
        (
            line(
                "recordCollectionActivity",
                20,
                json!({"customerId": c, "invoiceIds": [id(4)], "channel": "CALL", "outcome": "promised", "on": "2026-03-10"}),
            ),
            &["CollectionActivityRecorded"],
        ),
        (
            line(
                "openDispute",
                21,
                json!({"invoiceId": id(4), "amount": "100.00", "reason": "damaged box", "openedOn": "2026-03-11"}),
            ),
            &["DisputeOpened"],
        ),
    ]
}

/// Lines 22-29: master data changed, the dispute resolved, a credit note,
/// a write-off and its recovery, a payment received and reversed.
fn receivable_lines(c: &str) -> Vec<Line> {
    vec![
        (
            line(
                "updateCustomer",
                22,
                json!({"customerId": c, "region": "North", "taxId": "91310000MA1FL0000X"}),
            ),
            &["CustomerUpdated"],
        ),
        (
            line(
                "setPaymentTerms",
                23,
                json!({"customerId": c, "contractId": "C-7", "terms": {"installments": [{"sharePercent": "30", "days": 0, "after": "INVOICE"}, {"sharePercent": "70", "days": 60, "after": "ACCEPTANCE"}]}}),
            ),
            &["PaymentTermsSet"],
        ),
        (
            line(
                "resolveDispute",
                24,
                json!({"invoiceId": id(4), "outcome": "accepted as is", "resolvedOn": "2026-03-12"}),
            ),
            &["DisputeResolved"],
        ),
        (
            line(
                "issueCreditNote",
                25,
                json!({"creditNoteId": id(7), "invoiceId": id(4), "amount": "90.00", "reason": "PRICE_ADJUSTMENT", "issuedOn": "2026-03-13"}),
            ),
            &["CreditNoteIssued"],
        ),
        (
            line(
                "writeOffInvoice",
                26,
                json!({"invoiceId": id(4), "amount": "50.00", "reason": "small balance", "writtenOffOn": "2026-03-14"}),
            ),
            &["InvoiceWrittenOff"],
        ),
        (
            line(
                "recoverWriteOff",
                27,
                json!({"invoiceId": id(4), "amount": "20.00", "recoveredOn": "2026-03-15"}),
            ),
            &["WriteOffRecovered"],
        ),
        // A second payment, reversed: reversing the first would change why
        // line 11 is refused when the file is imported again.
        (
            line(
                "receivePayment",
                28,
                json!({"paymentId": id(10), "customerId": c, "amount": "300.00", "currency": "CNY", "receivedOn": "2026-03-16", "method": "BANK_ACCEPTANCE_BILL", "bankReference": "BAB-1"}),
            ),
            &["PaymentReceived"],
        ),
        (
            line(
                "reversePayment",
                29,
                json!({"paymentId": id(10), "reason": "bounced", "reversedOn": "2026-03-17"}),
            ),
            &["PaymentReversed"],
        ),
    ]
}

/// Lines 30-35: a recall acknowledged and units returned; a held order
/// rejected, the released one cancelled.
fn recall_and_order_lines(c: &str) -> Vec<Line> {
    vec![
        (
            line(
                "issueRecall",
                30,
                json!({"recallId": id(8), "gtin": GTIN, "lots": ["L1"], "class": "II", "reason": "battery", "issuedOn": "2026-03-17"}),
            ),
            &["RecallIssued"],
        ),
        (
            line(
                "acknowledgeRecall",
                31,
                json!({"recallId": id(8), "customerId": c, "acknowledgedOn": "2026-03-18"}),
            ),
            &["RecallNoticeAcknowledged"],
        ),
        (
            line(
                "recordRecallReturn",
                32,
                json!({"recallId": id(8), "customerId": c, "quantity": 2, "returnedOn": "2026-03-19"}),
            ),
            &["RecallUnitsReturned"],
        ),
        (
            line(
                "placeOrder",
                33,
                json!({"orderId": id(9), "number": "SO-3", "customerId": c, "currency": "CNY", "placedOn": "2026-03-20", "lines": [{"lineNo": 1, "gtin": GTIN, "quantity": 50, "unitPrice": "10000.00"}]}),
            ),
            &["OrderPlaced", "OrderHeld"],
        ),
        (
            line("rejectOrder", 34, json!({"orderId": id(9)})),
            &["OrderRejected"],
        ),
        (
            line(
                "cancelOrder",
                35,
                json!({"orderId": id(6), "reason": "customer withdrew"}),
            ),
            &["OrderCancelled"],
        ),
    ]
}

fn write_file(dir: &Path, lines: &[Line]) -> std::path::PathBuf {
    let text: Vec<&str> = lines.iter().map(|(l, _)| l.as_str()).collect();
    let path = dir.join("commands.jsonl");
    std::fs::write(&path, text.join("\n") + "\n").unwrap();
    path
}

fn import(data: &Path, file: &Path, rest: &[&str]) -> (Option<i32>, String, String) {
    let mut args = vec![
        "import",
        file.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
    ];
    args.extend_from_slice(rest);
    let output = arledger(&args);
    let (stdout, stderr) = text(&output);
    (output.status.code(), stdout, stderr)
}

/// The report's lines about refused and malformed input, in order.
fn reported(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("line "))
        .map(str::trim)
        .collect()
}

fn check_report(stdout: &str, accepted: usize, duplicates: usize) {
    assert!(
        stdout.contains("lines read:        35 (1 blank)"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("commands accepted: {accepted} ")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("duplicates:        {duplicates}\n")),
        "{stdout}"
    );
    assert!(stdout.contains("refused:           2\n"), "{stdout}");
    assert!(stdout.contains("malformed:         4\n"), "{stdout}");
    let lines = reported(stdout);
    assert_eq!(lines.len(), 6, "{stdout}");
    assert!(
        lines[0].starts_with("line 11: allocatePayment OVERALLOCATION: "),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with("line 12: receivePayment NOT_FOUND: "),
        "{stdout}"
    );
    assert!(
        lines[2].starts_with("line 13: EOF while parsing"),
        "{stdout}"
    );
    assert!(
        lines[3].starts_with("line 14: unknown variant `launchRocket`"),
        "{stdout}"
    );
    assert!(
        lines[4].starts_with("line 15: missing field `amount`"),
        "{stdout}"
    );
    assert!(
        lines[5].starts_with("line 16: invalid type: floating point `12.5`"),
        "{stdout}"
    );
    assert!(lines[5].contains("write amounts as strings"), "{stdout}");
}

/// The ledger's events: each good line's, in order, as the import user.
fn check_ledger(data: &Path, lines: &[Line]) {
    // (event type, command id) of each good line's events, in file order.
    let expected: Vec<(&str, String)> = lines
        .iter()
        .flat_map(|(text, types)| {
            types.iter().map(move |t| {
                let fields: Value = serde_json::from_str(text).unwrap();
                (*t, fields["commandId"].as_str().unwrap().to_string())
            })
        })
        .collect();
    let ledger = Ledger::open(data, arledger_core::log::LedgerOptions::new(clock())).unwrap();
    let events = ledger.read(1, 1_000).unwrap();
    let found: Vec<(&str, String)> = events
        .iter()
        .map(|e| (e.event_type, e.command_id.0.to_string()))
        .collect();
    assert_eq!(found, expected);
    for (n, event) in (1u64..).zip(&events) {
        assert_eq!(event.position, n);
        assert_eq!(event.actor.user_id, "migration");
        assert_eq!(event.actor.role, Role::FinanceManager);
    }
    assert_eq!(
        ledger.head().position,
        u64::try_from(expected.len()).unwrap()
    );
}

#[test]
fn good_lines_are_appended_the_others_reported_and_a_second_run_appends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("ledger");
    let lines = scenario();
    let file = write_file(dir.path(), &lines);
    let actor = ["--user", "migration", "--role", "finance_manager"];

    let (code, first, stderr) = import(&data, &file, &actor);
    assert_eq!(code, Some(1), "{first}{stderr}");
    check_report(&first, 28, 0);
    check_ledger(&data, &lines);

    let (code, second, stderr) = import(&data, &file, &actor);
    assert_eq!(code, Some(1), "{second}{stderr}");
    assert!(
        second.contains("commands accepted: 0 (0 events appended)"),
        "{second}"
    );
    check_report(&second, 0, 28);
    assert_eq!(reported(&first), reported(&second));
    check_ledger(&data, &lines);
}

#[test]
fn a_clean_file_exits_0_and_standard_input_works() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("ledger");
    let lines: Vec<_> = scenario().into_iter().take(10).collect();
    let body: Vec<&str> = lines.iter().map(|(l, _)| l.as_str()).collect();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_arledger"))
        .args(["import", "-", "--data", data.to_str().unwrap()])
        .args(["--user", "migration", "--role", "finance_manager"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // No newline after the last line: it is a line all the same.
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(body.join("\n").as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("commands accepted: 10 (10 events appended)"),
        "{stdout}"
    );
    check_ledger(&data, &lines);
}

#[test]
fn another_user_is_refused_the_same_command_ids() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("ledger");
    let lines: Vec<_> = scenario().into_iter().take(2).collect();
    let file = write_file(dir.path(), &lines);
    let (code, stdout, stderr) = import(&data, &file, &[]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("imported as import (admin)"), "{stdout}");
    let (code, stdout, stderr) = import(&data, &file, &["--user", "someone-else"]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("line 1: registerCustomer IDEMPOTENCY_MISMATCH"),
        "{stdout}"
    );
}

#[test]
fn an_unusable_file_or_role_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("ledger");
    let (code, _, stderr) = import(&data, &dir.path().join("missing.jsonl"), &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("cannot read the import file"), "{stderr}");
    let file = write_file(dir.path(), &scenario()[..1]);
    let (code, _, stderr) = import(&data, &file, &["--role", "boss"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("finance_manager"), "{stderr}");
    let not_a_dir = dir.path().join("file");
    std::fs::write(&not_a_dir, "x").unwrap();
    let (code, _, stderr) = import(&not_a_dir, &file, &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("is not a directory"), "{stderr}");
}

#[test]
fn line_numbers_hold_across_batches_and_a_repeated_line_is_a_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("ledger");
    // 2,500 lines, in three batches of the bulk path: customers, three
    // lines that are not JSON (at both sides of the first batch's end, and
    // the last), and line 1,500 repeating line 1 exactly.
    let customer = |n: u128| {
        let fields = json!({"customerId": id(n), "name": format!("Clinic {n}"), "kind": "CLINIC", "region": "West", "salespersonId": "s-2"});
        line("registerCustomer", n, fields)
    };
    let lines: Vec<String> = (1..=2_500u128)
        .map(|n| match n {
            1_000 | 1_001 | 2_500 => format!("not json {n}"),
            1_500 => customer(1),
            n => customer(n),
        })
        .collect();
    let file = dir.path().join("customers.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let (code, stdout, stderr) = import(&data, &file, &[]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("lines read:        2500 (0 blank)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("commands accepted: 2496 (2496 events appended)"),
        "{stdout}"
    );
    assert!(stdout.contains("duplicates:        1\n"), "{stdout}");
    let reported: Vec<&str> = reported(&stdout)
        .iter()
        .map(|l| l.split(':').next().unwrap())
        .collect();
    assert_eq!(
        reported,
        ["line 1000", "line 1001", "line 2500"],
        "{stdout}"
    );
    let ledger = Ledger::open(&data, arledger_core::log::LedgerOptions::new(clock())).unwrap();
    let found: Vec<String> = (ledger.read(1, 3_000).unwrap().iter())
        .map(|e| e.command_id.0.to_string())
        .collect();
    let expected: Vec<String> = (1..=2_499u128)
        .filter(|n| ![1_000, 1_001, 1_500].contains(n))
        .map(|n| id(0xc000 + n))
        .collect();
    assert_eq!(found, expected);
}
