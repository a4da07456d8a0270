//! `arledger dso`, `arledger exposure` and `arledger alerts`, run as
//! processes: on a small ledger whose every figure is worked out below
//! (D = 2026-06-30, N = 90, CNY), and on one filled by `arledger
//! fixtures`; every format, a past position, the settings file, and the
//! refusals (unknown customer, bad setting, bad flags) with exit 2.
//!
//! The small ledger (net 30 from the invoice date):
//! - customer A (region East, salesperson s-1): limit 10,000.00 CNY,
//!   grade B; INV-A1 2026-04-10 6,000.00 (due 05-10), INV-A2 2026-06-01
//!   3,000.00 (due 07-01); 1,000.00 paid on 2026-06-20 and allocated to
//!   INV-A1 (the last commit);
//! - customer B (region West, salesperson s-2): no limit; INV-B1
//!   2026-05-15 2,000.00 (due 06-14);
//! - customer C: registered, nothing else.
//!
//! At D: S = 11,000.00, AR(D) = 10,000.00, not due 3,000.00 (INV-A2), AR
//! at the period's start (04-01) 0. DSO = 10,000 × 90 / 11,000 = 81.82;
//! best possible = 3,000 × 90 / 11,000 = 24.55; average days delinquent =
//! 81.8181... - 24.5454... = 57.27; CEI = (0 + 11,000 - 10,000) /
//! (0 + 11,000 - 3,000) × 100 = 12.50; countback: June 30 days (3,000,
//! 7,000 left), May 31 days (2,000, 5,000 left), then 30 × 5,000 / 6,000
//! = 25 days of April: 86.00.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

mod support;

use std::path::Path;
use std::process::Output;

use arledger_core::domain::commands::*;
use arledger_core::domain::terms::{PaymentTerms, TermsBase};
use arledger_core::domain::types::{CustomerKind, PaymentMethod, RiskGrade};
use arledger_core::ids::{CustomerId, InvoiceId, PaymentId};
use arledger_core::sample;
use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use rust_decimal_macros::dec;
use serde_json::Value;
use support::*;
use uuid::Uuid;

const A: CustomerId = CustomerId(Uuid::from_u128(0xA1));
const B: CustomerId = CustomerId(Uuid::from_u128(0xB2));
const C: CustomerId = CustomerId(Uuid::from_u128(0xC3));
const AS_OF: &str = "2026-06-30";

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn register(id: CustomerId, name: &str, region: &str, salesperson: &str) -> Command {
    Command::RegisterCustomer(RegisterCustomer {
        customer_id: id,
        name: name.into(),
        kind: CustomerKind::Hospital,
        region: region.into(),
        salesperson_id: salesperson.into(),
        tax_id: None,
    })
}

fn invoice(n: u128, customer: CustomerId, on: &str, amount: Decimal) -> Command {
    Command::IssueInvoice(IssueInvoice {
        invoice_id: InvoiceId(Uuid::from_u128(n)),
        number: format!("INV-{n}"),
        customer_id: customer,
        invoice_date: d(on),
        currency: "CNY".into(),
        terms: Some(PaymentTerms::single(30, TermsBase::Invoice)),
        lines: vec![InvoiceLineRequest {
            shipment_id: None,
            line_no: None,
            quantity: None,
            description: Some("Service".into()),
            amount,
            tax: Decimal::ZERO,
        }],
        contract_id: None,
    })
}

/// The small ledger of the module docs; returns the position before the
/// payment.
fn small_ledger(dir: &Path) -> u64 {
    let ledger = open_with(dir, clock());
    let commands = [
        register(A, "Hospital A", "East", "s-1"),
        register(B, "Clinic B, West", "West", "s-2"),
        register(C, "Hospital C", "East", "s-1"),
        Command::SetCreditLimit(SetCreditLimit {
            customer_id: A,
            limit: dec!(10000.00),
            currency: "CNY".into(),
            grade: RiskGrade::B,
            reason: "annual review".into(),
        }),
        invoice(1, A, "2026-04-10", dec!(6000.00)),
        invoice(2, A, "2026-06-01", dec!(3000.00)),
        invoice(3, B, "2026-05-15", dec!(2000.00)),
        Command::ReceivePayment(ReceivePayment {
            payment_id: PaymentId(Uuid::from_u128(11)),
            customer_id: A,
            amount: dec!(1000.00),
            currency: "CNY".into(),
            received_on: d("2026-06-20"),
            method: PaymentMethod::BankTransfer,
            bank_reference: None,
            auto_allocate: false,
        }),
    ];
    for command in commands {
        ledger.submit(sample::submit(command)).unwrap();
    }
    let before_allocation = ledger.head().position;
    let allocate = Command::AllocatePayment(AllocatePayment {
        payment_id: PaymentId(Uuid::from_u128(11)),
        invoice_id: InvoiceId(Uuid::from_u128(1)),
        amount: dec!(1000.00),
        installment_no: None,
    });
    ledger.submit(sample::submit(allocate)).unwrap();
    before_allocation
}

/// Runs `command` on `dir` and expects success.
fn ok(command: &str, dir: &Path, rest: &[&str]) -> String {
    let output = arledger_in(command, dir, rest);
    let (stdout, stderr) = text(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "arledger {command} {rest:?}: {stdout}{stderr}"
    );
    stdout
}

fn json(command: &str, dir: &Path, rest: &[&str]) -> Value {
    let mut args = rest.to_vec();
    args.extend(["--format", "json"]);
    let stdout = ok(command, dir, &args);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// Expects exit 2 and returns stderr.
fn refused(command: &str, dir: &Path, rest: &[&str]) -> String {
    let output: Output = arledger_in(command, dir, rest);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}{stderr}");
    assert!(stdout.is_empty(), "nothing printed on refusal: {stdout}");
    stderr
}

fn dec_of(value: &Value) -> Decimal {
    value
        .as_str()
        .unwrap_or_else(|| panic!("a decimal string, not {value}"))
        .parse()
        .unwrap()
}

/// receivables × N / creditSales to 2 decimals, half away from zero.
fn dso_of(report: &Value) -> Decimal {
    let n = Decimal::from(report["periodDays"].as_u64().unwrap());
    (dec_of(&report["receivables"]) * n / dec_of(&report["creditSales"]))
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// The cells of the table line that starts with `label`.
fn table_line<'a>(table: &'a str, label: &str) -> &'a str {
    table
        .lines()
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no line {label:?} in\n{table}"))
}

#[test]
fn dso_of_the_small_ledger_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    small_ledger(dir.path());
    let args = ["--currency", "CNY", "--as-of", AS_OF];
    let json_args = [&args[..], &["--format", "json"]].concat();
    let first = ok("dso", dir.path(), &json_args);
    let report: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(report["receivables"], "10000.00");
    assert_eq!(report["creditSales"], "11000.00");
    assert_eq!(report["notDue"], "3000.00");
    assert_eq!(report["dso"], "81.82");
    assert_eq!(dec_of(&report["dso"]), dso_of(&report));
    assert_eq!(report["bestPossibleDso"], "24.55");
    assert_eq!(report["averageDaysDelinquent"], "57.27");
    assert_eq!(report["cei"], "12.50");
    assert_eq!(report["countbackDso"], "86.00");
    assert_eq!(report["periodDays"], 90);
    assert_eq!(report["knownAtPosition"], "9");
    assert_eq!(report["knownAtHash"].as_str().unwrap().len(), 64);
    // The stored projections are reused by the next run: the same bytes.
    assert_eq!(ok("dso", dir.path(), &json_args), first);

    let table = ok("dso", dir.path(), &args);
    assert!(
        table.starts_with(
            "DSO in CNY, all customers, the 90 days ending 2026-06-30, as known at position 9 (hash "
        ),
        "{table}"
    );
    assert!(
        table_line(&table, "DSO (days)").ends_with(" 81.82"),
        "{table}"
    );
    assert!(table_line(&table, "CEI (%)").ends_with(" 12.50"), "{table}");
    assert!(!table.contains('—'), "every figure is defined: {table}");

    let csv = ok(
        "dso",
        dir.path(),
        &[&args[..], &["--format", "csv"]].concat(),
    );
    assert_eq!(
        csv,
        "asOfDate,periodDays,currency,receivables,creditSales,notDue,dso,countbackDso,bestPossibleDso,averageDaysDelinquent,cei\n\
         2026-06-30,90,CNY,10000.00,11000.00,3000.00,81.82,86.00,24.55,57.27,12.50\n"
    );
}

#[test]
fn dso_of_one_customer_region_or_salesperson_and_at_a_past_position() {
    let dir = tempfile::tempdir().unwrap();
    let before_allocation = small_ledger(dir.path());
    let base = ["--currency", "CNY", "--as-of", AS_OF];
    let a = A.0.to_string();
    let of_a = json(
        "dso",
        dir.path(),
        &[&base[..], &["--customer", &a]].concat(),
    );
    // S = 9,000.00, AR = 8,000.00: 8,000 × 90 / 9,000 = 80.
    assert_eq!(of_a["creditSales"], "9000.00");
    assert_eq!(of_a["dso"], "80.00");
    let west = json(
        "dso",
        dir.path(),
        &[&base[..], &["--region", "West"]].concat(),
    );
    assert_eq!(west["receivables"], "2000.00");
    assert_eq!(west["dso"], "90.00");
    let s2 = json(
        "dso",
        dir.path(),
        &[&base[..], &["--salesperson", "s-2"]].concat(),
    );
    assert_eq!(s2, west, "B is the West region and salesperson s-2 alike");

    // Before the allocation the 1,000.00 is on account: AR(D) = 11,000.
    let position = before_allocation.to_string();
    let past = json(
        "dso",
        dir.path(),
        &[&base[..], &["--known-at-position", &position]].concat(),
    );
    assert_eq!(past["knownAtPosition"], position.as_str());
    assert_eq!(past["receivables"], "11000.00");
    assert_eq!(past["dso"], "90.00");
    assert_eq!(dec_of(&past["dso"]), dso_of(&past));

    // As known at a moment: every event was recorded at 2026-07-01T09:00.
    let before = json(
        "dso",
        dir.path(),
        &[&base[..], &["--known-at", "2026-07-01T08:00:00Z"]].concat(),
    );
    assert_eq!(before["knownAtPosition"], "0");
    assert_eq!(before["creditSales"], "0.00");
    assert_eq!(before["dso"], Value::Null);
    let after = json(
        "dso",
        dir.path(),
        &[&base[..], &["--known-at", "2026-07-02T00:00:00Z"]].concat(),
    );
    assert_eq!(after["knownAtPosition"], "9");
    assert_eq!(after["dso"], "81.82");
}

#[test]
fn dso_without_credit_sales_is_undefined_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    small_ledger(dir.path());
    // No invoice in the 90 days ending 2026-03-31.
    let args = ["--currency", "CNY", "--as-of", "2026-03-31"];
    let report = json("dso", dir.path(), &args);
    assert_eq!(report["creditSales"], "0.00");
    for field in ["dso", "bestPossibleDso", "averageDaysDelinquent", "cei"] {
        assert_eq!(report[field], Value::Null, "{field}: {report}");
    }
    let table = ok("dso", dir.path(), &args);
    assert!(table_line(&table, "DSO (days)").ends_with(" —"), "{table}");
    assert!(table.contains("no credit sales in CNY"), "{table}");
    assert!(table.contains("CEI is undefined"), "{table}");
    let csv = ok(
        "dso",
        dir.path(),
        &[&args[..], &["--format", "csv"]].concat(),
    );
    assert_eq!(
        csv.lines().nth(1),
        Some("2026-03-31,90,CNY,0.00,0.00,0.00,,0.00,,,")
    );
}

#[test]
fn a_dso_trend_ends_with_the_report_at_d() {
    let dir = tempfile::tempdir().unwrap();
    small_ledger(dir.path());
    let args = [
        "--currency",
        "CNY",
        "--as-of",
        AS_OF,
        "--trend",
        "--months",
        "3",
    ];
    let trend = json("dso", dir.path(), &args);
    let trend = trend.as_array().unwrap();
    let dates: Vec<&str> = trend
        .iter()
        .map(|r| r["asOfDate"].as_str().unwrap())
        .collect();
    assert_eq!(dates, ["2026-04-30", "2026-05-31", "2026-06-30"]);
    let single = json("dso", dir.path(), &["--currency", "CNY", "--as-of", AS_OF]);
    assert_eq!(trend[2], single);
    // 2026-04-30: only INV-A1, open and not due: 6,000 × 90 / 6,000.
    assert_eq!(trend[0]["dso"], "90.00");
    assert_eq!(trend[0]["bestPossibleDso"], "90.00");
    for report in trend {
        assert_eq!(dec_of(&report["dso"]), dso_of(report), "{report}");
    }

    let csv = ok(
        "dso",
        dir.path(),
        &[&args[..], &["--format", "csv"]].concat(),
    );
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[3].starts_with("2026-06-30,90,CNY,10000.00,11000.00,3000.00,81.82,"));
    let table = ok("dso", dir.path(), &args);
    assert!(
        table.starts_with("DSO trend in CNY, all customers, 3 months"),
        "{table}"
    );
    assert!(table_line(&table, "2026-05-31").contains("CNY"), "{table}");
}

#[test]
fn dso_refuses_bad_flags_and_unknown_customers() {
    let dir = tempfile::tempdir().unwrap();
    small_ledger(dir.path());
    let unknown = Uuid::from_u128(0xDEAD).to_string();
    let stderr = refused(
        "dso",
        dir.path(),
        &["--currency", "CNY", "--customer", &unknown],
    );
    assert!(
        stderr.contains(&format!(
            "customer {unknown} is not known at log position 9"
        )),
        "{stderr}"
    );
    let stderr = refused(
        "dso",
        dir.path(),
        &["--currency", "CNY", "--period-days", "0"],
    );
    assert!(stderr.contains("--period-days: 0 asked"), "{stderr}");
    let stderr = refused(
        "dso",
        dir.path(),
        &["--currency", "CNY", "--trend", "--months", "0"],
    );
    assert!(stderr.contains("--months: 0 asked"), "{stderr}");
    let stderr = refused("dso", dir.path(), &["--currency", "XYZ"]);
    assert!(stderr.contains("--currency"), "{stderr}");
    let stderr = refused(
        "dso",
        dir.path(),
        &[
            "--currency",
            "CNY",
            "--region",
            "East",
            "--salesperson",
            "s-1",
        ],
    );
    assert!(stderr.contains("cannot be used with"), "{stderr}");
    let stderr = refused(
        "dso",
        dir.path(),
        &["--currency", "CNY", "--known-at-position", "99"],
    );
    assert!(stderr.contains("beyond the log's head"), "{stderr}");
    let missing = dir.path().join("missing");
    let stderr = refused("dso", &missing, &["--currency", "CNY"]);
    assert!(stderr.contains("does not exist"), "{stderr}");
}

#[test]
fn exposure_of_one_customer_and_the_sorted_list() {
    let dir = tempfile::tempdir().unwrap();
    small_ledger(dir.path());
    let a = A.0.to_string();
    let one = json(
        "exposure",
        dir.path(),
        &["--customer", &a, "--as-of", AS_OF],
    );
    assert_eq!(one["customerId"], a.as_str());
    assert_eq!(one["name"], "Hospital A");
    assert_eq!(one["currency"], "CNY");
    assert_eq!(one["openReceivables"], "8000.00");
    assert_eq!(one["exposure"], "8000.00");
    assert_eq!(one["creditLimit"], "10000.00");
    assert_eq!(one["available"], "2000.00");
    assert_eq!(one["utilization"], "0.8000");
    // INV-A1: 5,000.00 open, due 2026-05-10, 51 days before D.
    assert_eq!(one["overdue"], "5000.00");
    assert_eq!(one["oldestOverdueDays"], 51);
    assert_eq!(one["grade"], "B");
    assert_eq!(one["knownAtPosition"], "9");
    assert_eq!(one["asOfDate"], AS_OF);

    // B has no limit and 2,000.00 exposed: over any threshold, first; A is
    // at 0.8 exactly; C (nothing exposed, no limit) only without one.
    let over = json(
        "exposure",
        dir.path(),
        &["--as-of", AS_OF, "--min-utilization", "0.8"],
    );
    let ids: Vec<&str> = over["exposures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["customerId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [B.0.to_string(), a.clone()]);
    assert_eq!(over["exposures"][0]["utilization"], Value::Null);
    assert_eq!(over["minUtilization"], "0.8");

    let csv = ok(
        "exposure",
        dir.path(),
        &["--as-of", AS_OF, "--format", "csv"],
    );
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "customerId,name,currency,openReceivables,shippedNotInvoiced,openOrders,unallocatedPayments,exposure,creditLimit,available,utilization,overdue,oldestOverdueDays,grade,heldOrders"
    );
    assert_eq!(lines.len(), 4, "a header and one line per customer: {csv}");
    assert_eq!(
        lines[1],
        format!(
            "{},\"Clinic B, West\",CNY,2000.00,0.00,0.00,0.00,2000.00,0.00,-2000.00,,2000.00,16,,",
            B.0
        )
    );
    assert_eq!(
        lines[2],
        format!(
            "{a},Hospital A,CNY,8000.00,0.00,0.00,0.00,8000.00,10000.00,2000.00,0.8000,5000.00,51,B,"
        )
    );
    assert!(lines[3].starts_with(&C.0.to_string()), "{csv}");

    let table = ok(
        "exposure",
        dir.path(),
        &["--as-of", AS_OF, "--min-utilization", "0.9"],
    );
    assert!(
        table.starts_with(
            "Credit exposure, customers at or over utilization 0.9, as known at position 9"
        ),
        "{table}"
    );
    assert_eq!(
        table.lines().filter(|l| l.contains("Hospital A")).count(),
        0,
        "{table}"
    );
    assert!(table.contains("no credit limit is set"), "{table}");
    let one = ok(
        "exposure",
        dir.path(),
        &["--customer", &a, "--as-of", AS_OF],
    );
    assert!(
        one.starts_with("Credit exposure of Hospital A, as known at position 9"),
        "{one}"
    );
    assert!(table_line(&one, "utilization").ends_with("0.8000"), "{one}");
}

#[test]
fn exposure_refuses_an_unknown_customer() {
    let dir = tempfile::tempdir().unwrap();
    let before_allocation = small_ledger(dir.path());
    let unknown = Uuid::from_u128(0xDEAD).to_string();
    let stderr = refused("exposure", dir.path(), &["--customer", &unknown]);
    assert!(
        stderr.contains(&format!(
            "customer {unknown} is not known at log position 9"
        )),
        "{stderr}"
    );
    // C registered at position 3: unknown at position 2.
    let c = C.0.to_string();
    let stderr = refused(
        "exposure",
        dir.path(),
        &["--customer", &c, "--known-at-position", "2"],
    );
    assert!(
        stderr.contains("is not known at log position 2"),
        "{stderr}"
    );
    // At the position before the allocation, A's payment is on account.
    let position = before_allocation.to_string();
    let a = A.0.to_string();
    let past = json(
        "exposure",
        dir.path(),
        &[
            "--customer",
            &a,
            "--as-of",
            AS_OF,
            "--known-at-position",
            &position,
        ],
    );
    assert_eq!(past["openReceivables"], "9000.00");
    assert_eq!(past["unallocatedPayments"], "1000.00");
    assert_eq!(past["exposure"], "8000.00");
}

fn levels(report: &Value) -> Vec<i64> {
    report["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["level"].as_i64().unwrap())
        .collect()
}

fn codes(report: &Value) -> Vec<&str> {
    report["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["reasonCode"].as_str().unwrap())
        .collect()
}

#[test]
fn alerts_of_the_small_ledger_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    small_ledger(dir.path());
    // INV-A1 51 days overdue, INV-B1 16 days, INV-A2 due tomorrow.
    let report = json("alerts", dir.path(), &["--as-of", AS_OF]);
    assert_eq!(codes(&report), ["OVERDUE_30", "OVERDUE_15", "DUE_SOON"]);
    assert_eq!(levels(&report), [4, 3, 1]);
    assert_eq!(report["alerts"][0]["assigneeRole"], "finance_manager");
    assert_eq!(report["alerts"][0]["amount"], "5000.00");
    assert_eq!(report["alerts"][1]["customerId"], B.0.to_string());
    assert_eq!(report["knownAtPosition"], "9");

    let a = A.0.to_string();
    let of_a = json("alerts", dir.path(), &["--as-of", AS_OF, "--customer", &a]);
    assert_eq!(codes(&of_a), ["OVERDUE_30", "DUE_SOON"]);

    let csv = ok("alerts", dir.path(), &["--as-of", AS_OF, "--format", "csv"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "id,level,assigneeRole,reasonCode,customerId,invoiceId,dueDate,amount,currency,reason"
    );
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(
        lines[3].starts_with(&format!(
            "DUE_SOON:{}:1,1,sales,DUE_SOON,{a},{},2026-07-01,3000.00,CNY,",
            Uuid::from_u128(2),
            Uuid::from_u128(2)
        )),
        "{csv}"
    );

    let table = ok("alerts", dir.path(), &["--as-of", AS_OF]);
    assert!(
        table.starts_with("Alerts as of 2026-06-30, as known at position 9 (hash "),
        "{table}"
    );
    assert!(
        table.lines().next().unwrap().ends_with(": 3 alerts"),
        "{table}"
    );
    let first = table.lines().nth(2).unwrap();
    assert!(
        first
            .trim_start()
            .starts_with("4  finance_manager  OVERDUE_30"),
        "{table}"
    );
    let quiet = ok("alerts", dir.path(), &["--as-of", "2026-01-01"]);
    assert!(quiet.ends_with("no alerts\n"), "{quiet}");
}

#[test]
fn alerts_follow_the_settings_file_and_refuse_a_bad_setting() {
    let dir = tempfile::tempdir().unwrap();
    small_ledger(dir.path());
    let files = tempfile::tempdir().unwrap();
    let good = files.path().join("good.toml");
    std::fs::write(
        &good,
        "[alerts]\nkey_amount = \"2500.00\"\nreminder_days_before_due = 0\n",
    )
    .unwrap();
    let report = json(
        "alerts",
        dir.path(),
        &["--as-of", AS_OF, "--settings", good.to_str().unwrap()],
    );
    // INV-A1 and INV-A2 are key items now; INV-A2 is no longer due soon.
    assert_eq!(
        codes(&report),
        ["OVERDUE_30", "OVERDUE_15", "KEY_AMOUNT", "KEY_AMOUNT"]
    );
    assert_eq!(levels(&report), [4, 3, 2, 2]);

    let bad = files.path().join("bad.toml");
    std::fs::write(&bad, "[alerts]\nkey_amount = \"0\"\n").unwrap();
    let stderr = refused("alerts", dir.path(), &["--settings", bad.to_str().unwrap()]);
    assert!(stderr.contains("key_amount"), "{stderr}");
    assert!(stderr.contains("must be above 0"), "{stderr}");
    std::fs::write(
        &bad,
        "[alerts]\nescalations = [{ days = 30, role = \"x\" }, { days = 15, role = \"y\" }]\n",
    )
    .unwrap();
    let stderr = refused("alerts", dir.path(), &["--settings", bad.to_str().unwrap()]);
    assert!(stderr.contains("escalations"), "{stderr}");
    std::fs::write(&bad, "[alerts]\nkey_amonut = \"5\"\n").unwrap();
    let stderr = refused("alerts", dir.path(), &["--settings", bad.to_str().unwrap()]);
    assert!(stderr.contains("key_amonut"), "{stderr}");
    let missing = files.path().join("missing.toml");
    let stderr = refused(
        "alerts",
        dir.path(),
        &["--settings", missing.to_str().unwrap()],
    );
    assert!(stderr.contains("cannot read the settings file"), "{stderr}");

    // Without --settings, the data directory's settings.toml.
    std::fs::copy(&good, dir.path().join("settings.toml")).unwrap();
    let report = json("alerts", dir.path(), &["--as-of", AS_OF]);
    assert_eq!(levels(&report), [4, 3, 2, 2]);
}

#[test]
fn alerts_refuse_an_unknown_customer() {
    let dir = tempfile::tempdir().unwrap();
    small_ledger(dir.path());
    let unknown = Uuid::from_u128(0xDEAD).to_string();
    let stderr = refused(
        "alerts",
        dir.path(),
        &["--customer", &unknown, "--as-of", AS_OF],
    );
    assert!(
        stderr.contains(&format!(
            "customer {unknown} is not known at log position 9"
        )),
        "{stderr}"
    );
}

#[test]
fn the_reports_on_a_fixture_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("ledger");
    let fill = ok("fixtures", &data, &["--events", "2000", "--seed", "7"]);
    let customers: usize = fill
        .split(" customers,")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no customer count in {fill}"));
    assert!(customers > 0, "{fill}");
    let as_of = ["--as-of", "2026-03-31"];

    let dso = json("dso", &data, &[&as_of[..], &["--currency", "CNY"]].concat());
    assert!(dec_of(&dso["creditSales"]) > Decimal::ZERO, "{dso}");
    assert_eq!(dec_of(&dso["dso"]), dso_of(&dso), "{dso}");
    let best = dec_of(&dso["bestPossibleDso"]);
    let delinquent = dec_of(&dso["averageDaysDelinquent"]);
    // Three figures, each rounded once: within 3 × 0.005.
    assert!(
        (dec_of(&dso["dso"]) - best - delinquent).abs() <= dec!(0.015),
        "{dso}"
    );

    let csv = ok(
        "exposure",
        &data,
        &[&as_of[..], &["--format", "csv"]].concat(),
    );
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("customerId,name,currency,"), "{csv}");
    assert_eq!(
        lines.len(),
        customers + 1,
        "a header and one line per customer: {csv}"
    );
    let listed = json("exposure", &data, &as_of);
    let list = listed["exposures"].as_array().unwrap();
    assert_eq!(list.len(), customers);
    let over = json(
        "exposure",
        &data,
        &[&as_of[..], &["--min-utilization", "0.5"]].concat(),
    );
    for e in over["exposures"].as_array().unwrap() {
        if let Some(u) = e["utilization"].as_str() {
            // Rounded to 4 decimals for display: at or over 0.5 exactly.
            assert!(u.parse::<Decimal>().unwrap() >= dec!(0.5), "{e}");
        }
    }

    let alerts = json("alerts", &data, &as_of);
    let levels = levels(&alerts);
    assert!(!levels.is_empty(), "the fixture has alerts at 2026-03-31");
    assert!(
        levels.windows(2).all(|w| w[0] >= w[1]),
        "highest level first: {levels:?}"
    );
    let csv = ok(
        "alerts",
        &data,
        &[&as_of[..], &["--format", "csv"]].concat(),
    );
    assert_eq!(csv.lines().count(), levels.len() + 1, "{csv}");
}
