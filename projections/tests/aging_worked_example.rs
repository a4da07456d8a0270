//! The worked example of read-models.md "Aging" (net 30, D = 2026-06-30),
//! as a golden report: `tests/golden/aging_worked_example.json` is the
//! report's pretty JSON. After an intended change of the report, rewrite
//! it with `UPDATE_GOLDEN=1 cargo test -p arledger-projections --test
//! aging_worked_example` and review the diff.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

mod support;

use std::path::PathBuf;

use rust_decimal_macros::dec;
use support::*;

/// Compares `actual` with the golden file, or rewrites it under UPDATE_GOLDEN.
fn check_golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} is missing; run with UPDATE_GOLDEN=1", path.display()));
    assert_eq!(
        actual,
        expected,
        "{} differs from the report now",
        path.display()
    );
}

/// INV-1..INV-4 and the unallocated payment of the worked example.
fn worked_example() -> History {
    let c = customer(1);
    let mut h = History::new();
    h.run(register(c, "City Hospital", "East", "sam"));
    let invoices = [
        (1, "INV-1", "2026-03-01", dec!(1000.00)),
        (2, "INV-2", "2026-05-20", dec!(500.00)),
        (3, "INV-3", "2026-06-15", dec!(800.00)),
        (4, "INV-4", "2026-07-02", dec!(50.00)),
    ];
    for (n, number, on, amount) in invoices {
        h.run(service_invoice(
            invoice_id(n),
            c,
            number,
            (on, "USD"),
            amount,
            net(30),
        ));
    }
    h.run(payment(
        payment_id(1),
        c,
        ("2026-06-25", "USD"),
        dec!(200.00),
        false,
    ));
    h.run(allocate(payment_id(1), invoice_id(2), dec!(200.00), None));
    h.run(payment(
        payment_id(2),
        c,
        ("2026-06-28", "USD"),
        dec!(100.00),
        false,
    ));
    h
}

#[test]
fn the_worked_example_of_read_models_md() {
    let h = worked_example();
    let report = h
        .projection()
        .aging(&query("2026-06-30", h.head()))
        .unwrap();
    let labels: Vec<&str> = report.buckets.iter().map(|b| b.label.as_str()).collect();
    assert_eq!(
        labels,
        ["not due", "1-30", "31-60", "61-90", "91-120", "121+"]
    );
    let [total] = &report.totals[..] else {
        panic!("one currency: {}", json(&report));
    };
    assert_eq!(
        strings(&total.amounts),
        ["800.00", "300.00", "0.00", "0.00", "1000.00", "0.00"]
    );
    assert_eq!(total.total, dec!(2100.00));
    assert_eq!(total.unallocated, dec!(100.00));
    assert_eq!(total.net, dec!(2000.00));
    assert_eq!(total.disputed, dec!(0));
    let row = row(&report, &customer(1).to_string(), "USD");
    assert_eq!(row.name.as_deref(), Some("City Hospital"));
    assert_eq!(row.amounts, total.amounts);
    check_golden("aging_worked_example.json", &json(&report));
}

#[test]
fn the_worked_example_item_by_item() {
    let h = worked_example();
    let items = h
        .projection()
        .items(&query("2026-06-30", h.head()), customer(1))
        .unwrap();
    let seen: Vec<_> = items
        .iter()
        .map(|i| {
            (
                i.invoice_number.as_str(),
                i.due_date.map(|d| d.to_string()),
                i.days,
                i.bucket,
                i.open.to_string(),
            )
        })
        .collect();
    let due = |s: &str| Some(s.to_string());
    assert_eq!(
        seen,
        [
            ("INV-1", due("2026-03-31"), Some(91), 4, "1000.00".into()),
            ("INV-2", due("2026-06-19"), Some(11), 1, "300.00".into()),
            ("INV-3", due("2026-07-15"), Some(-15), 0, "800.00".into()),
        ],
        "INV-4 is dated after D"
    );
}
