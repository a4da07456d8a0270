//! `arledger aging` on a real ledger holding read-models.md's worked
//! example (net 30, D = 2026-06-30): the report in every format, at a past
//! position, and a customer's items; the stored projection is reused by
//! the next run and gives the same bytes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

mod support;

use std::path::Path;

use arledger_core::domain::commands::*;
use arledger_core::domain::terms::{PaymentTerms, TermsBase};
use arledger_core::domain::types::PaymentMethod;
use arledger_core::ids::{CustomerId, InvoiceId, PaymentId};
use arledger_core::sample;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::Value;
use support::*;
use uuid::Uuid;

const CUSTOMER: CustomerId = CustomerId(Uuid::from_u128(0xC001));

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn invoice(n: u128, number: &str, on: &str, amount: Decimal) -> Command {
    Command::IssueInvoice(IssueInvoice {
        invoice_id: InvoiceId(Uuid::from_u128(n)),
        number: number.into(),
        customer_id: CUSTOMER,
        invoice_date: d(on),
        currency: "USD".into(),
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

fn payment(n: u128, on: &str, amount: Decimal) -> Command {
    Command::ReceivePayment(ReceivePayment {
        payment_id: PaymentId(Uuid::from_u128(n)),
        customer_id: CUSTOMER,
        amount,
        currency: "USD".into(),
        received_on: d(on),
        method: PaymentMethod::BankTransfer,
        bank_reference: None,
        auto_allocate: false,
    })
}

/// The worked example, one commit per command; returns the position just
/// before the 200.00 payment and its allocation.
fn worked_example(dir: &Path) -> u64 {
    let ledger = open_with(dir, clock());
    let mut commands = vec![sample::register_customer(CUSTOMER)];
    commands.extend([
        invoice(1, "INV-1", "2026-03-01", dec!(1000.00)),
        invoice(2, "INV-2", "2026-05-20", dec!(500.00)),
        invoice(3, "INV-3", "2026-06-15", dec!(800.00)),
        invoice(4, "INV-4", "2026-07-02", dec!(50.00)),
    ]);
    for command in commands {
        ledger.submit(sample::submit(command)).unwrap();
    }
    let before_payment = ledger.head().position;
    let paid = [
        payment(11, "2026-06-25", dec!(200.00)),
        Command::AllocatePayment(AllocatePayment {
            payment_id: PaymentId(Uuid::from_u128(11)),
            invoice_id: InvoiceId(Uuid::from_u128(2)),
            amount: dec!(200.00),
            installment_no: None,
        }),
        payment(12, "2026-06-28", dec!(100.00)),
    ];
    for command in paid {
        ledger.submit(sample::submit(command)).unwrap();
    }
    before_payment
}

fn json_of(output: &std::process::Output) -> Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn the_worked_example_reports_its_totals_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    worked_example(dir.path());
    let json = arledger_in(
        "aging",
        dir.path(),
        &["--as-of", "2026-06-30", "--format", "json"],
    );
    let report = json_of(&json);
    let total = &report["totals"][0];
    assert_eq!(total["currency"], "USD");
    assert_eq!(
        total["amounts"],
        serde_json::json!(["800.00", "300.00", "0.00", "0.00", "1000.00", "0.00"])
    );
    assert_eq!(total["total"], "2100.00");
    assert_eq!(total["unallocated"], "100.00");
    assert_eq!(total["net"], "2000.00");
    assert_eq!(report["knownAtPosition"], "8");
    assert_eq!(report["knownAtHash"].as_str().unwrap().len(), 64);
    // The stored projection is reused by the next run: the same bytes.
    let again = arledger_in(
        "aging",
        dir.path(),
        &["--as-of", "2026-06-30", "--format", "json"],
    );
    assert_eq!(json.stdout, again.stdout);

    let table = arledger_in("aging", dir.path(), &["--as-of", "2026-06-30"]);
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(
        text.starts_with("Aging as of 2026-06-30, as known at position 8 (hash "),
        "{text}"
    );
    let totals = text.lines().find(|l| l.starts_with("TOTAL")).unwrap();
    let cells: Vec<&str> = totals.split_whitespace().collect();
    assert_eq!(
        cells,
        [
            "TOTAL", "USD", "800.00", "300.00", "0.00", "0.00", "1000.00", "0.00", "2100.00",
            "-100.00", "0.00", "2000.00"
        ]
    );

    let csv = arledger_in(
        "aging",
        dir.path(),
        &["--as-of", "2026-06-30", "--format", "csv"],
    );
    let csv = String::from_utf8(csv.stdout).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "key,name,currency,not due,1-30,31-60,61-90,91-120,121+,total,unallocated,disputed,net"
    );
    assert!(
        csv.contains(
            "TOTAL,,USD,800.00,300.00,0.00,0.00,1000.00,0.00,2100.00,-100.00,0.00,2000.00"
        )
    );
}

#[test]
fn a_past_position_and_a_customers_items_are_answered() {
    let dir = tempfile::tempdir().unwrap();
    let before_payment = worked_example(dir.path());
    let past = arledger_in(
        "aging",
        dir.path(),
        &[
            "--as-of",
            "2026-06-30",
            "--known-at-position",
            &before_payment.to_string(),
            "--format",
            "json",
        ],
    );
    let report = json_of(&past);
    assert_eq!(report["knownAtPosition"], before_payment.to_string());
    assert_eq!(
        report["totals"][0]["total"], "2300.00",
        "before the payment"
    );
    assert_eq!(report["totals"][0]["unallocated"], "0.00");

    let items = arledger_in(
        "aging",
        dir.path(),
        &[
            "--as-of",
            "2026-06-30",
            "--customer",
            &Uuid::from_u128(0xC001).to_string(),
            "--format",
            "json",
        ],
    );
    let items = json_of(&items);
    let numbers: Vec<&str> = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["invoiceNumber"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["INV-1", "INV-2", "INV-3"]);
    assert_eq!(items["items"][1]["open"], "300.00");

    let beyond = arledger_in("aging", dir.path(), &["--known-at-position", "999"]);
    assert_eq!(beyond.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&beyond.stderr).contains("beyond the log's head"));
    let bad = arledger_in("aging", dir.path(), &["--buckets", "60,30"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("bucket_days"));
}
