//! The read-side reports beyond aging over HTTP against the real server
//! (read-models.md "DSO and collection ratios", "Credit exposure",
//! "Collections and early warning"): `dso` and `dsoTrend` on worked
//! numbers, `creditExposure` part by part from order to payment,
//! `creditExposures` over a utilization page by page, `alerts` rule by rule
//! over business dates (items awaiting acceptance and installments
//! included), the `alerts` subscription over WebSocket, who may read them
//! (domain.md 7), answers at a past position and after a restart, the
//! write side's credit check against the `available` shown, and bad input.
//!
//! Business dates are fixed in 2026 (as in every server test), before the
//! server's today; each report names its `asOfDate` except where "today"
//! is the point (the subscription), and there the expected alerts are read
//! from the `alerts` query at the same position.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

mod server_support;

use std::collections::BTreeSet;
use std::time::Duration;

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};
use server_support::books::{Cmd, LOT, cmd, decimal};
use server_support::client::{assert_clean_error, position};
use server_support::reports::{ALERTS_SUBSCRIPTION, at, more};
use server_support::ws::Subscriber;
use server_support::{Harness, OTHER_REP, OWN_REP, Reply, Tokens};
use uuid::Uuid;

use arledger_core::domain::Role;

/// D of the DSO worked numbers.
const D: &str = "2026-06-30";

// ---------------------------------------------------------------- DSO

/// Customers of the DSO books: `a` with the worked numbers, `r` whose DSO
/// is exactly 0.225 days, `o` with receivables but no sales in the period.
struct DsoBooks {
    a: Uuid,
    r: Uuid,
    o: Uuid,
    head: u64,
}

/// Customer `a` (net 30, D = 2026-06-30, N = 90):
/// - A1 2026-03-01 1,000.00 (before the period; open, overdue);
/// - A2 2026-05-20 500.00, 200.00 paid 2026-06-25 and allocated (open 300.00, overdue);
/// - A3 2026-06-15 800.00, credit note 30.00 on 2026-06-20 (open 770.00, not due);
/// - A4 2026-07-02 50.00 (after D: absent);
/// - 100.00 received 2026-06-28, on account (AR is gross).
///
/// So AR(D) = 2,070.00, S = 1,270.00, not due 770.00.
/// `r` (rep-other): 400.00 on 2026-06-01, 399.00 paid: AR 1.00, S 400.00.
/// `o`: 500.00 on 2026-01-10, nothing since: AR 500.00, S 0.
fn dso_books(h: &Harness) -> DsoBooks {
    let (a, r, o) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let (a2, a3, pay_a) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let (r1, pay_r) = (Uuid::new_v4(), Uuid::new_v4());
    let commands = [
        cmd::register_customer(a, OWN_REP),
        cmd::register_customer(r, OTHER_REP),
        cmd::register_customer(o, OWN_REP),
        more::service_invoice(Uuid::new_v4(), a, "1000.00", "2026-03-01"),
        more::service_invoice(a2, a, "500.00", "2026-05-20"),
        more::payment(pay_a, a, "200.00", "2026-06-25"),
        cmd::allocate_payment(pay_a, a2, "200.00"),
        more::service_invoice(a3, a, "800.00", "2026-06-15"),
        cmd::issue_credit_note(a3, "30.00").with("issuedOn", json!("2026-06-20")),
        more::service_invoice(Uuid::new_v4(), a, "50.00", "2026-07-02"),
        more::payment(Uuid::new_v4(), a, "100.00", "2026-06-28"),
        more::service_invoice(r1, r, "400.00", "2026-06-01"),
        more::payment(pay_r, r, "399.00", "2026-06-10"),
        cmd::allocate_payment(pay_r, r1, "399.00"),
        more::service_invoice(Uuid::new_v4(), o, "500.00", "2026-01-10"),
    ];
    let head = h.api.all_ok(h.admin(), &commands);
    DsoBooks { a, r, o, head }
}

/// receivables × N / credit sales, 2 decimals half away from zero; `None`
/// when credit sales are 0 (from the report's own amounts).
fn formula_dso(report: &Value) -> Option<Decimal> {
    let sales = decimal(&report["creditSales"]);
    if sales.is_zero() {
        return None;
    }
    let n = Decimal::from(report["periodDays"].as_i64().unwrap());
    let dso = decimal(&report["receivables"]) * n / sales;
    Some(dso.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero))
}

/// A DSO report's `dso`, checked against [`formula_dso`].
fn checked_dso(report: &Value) -> Option<String> {
    let shown = report["dso"].as_str().map(str::to_string);
    assert_eq!(
        shown.as_deref().map(|s| decimal(&json!(s))),
        formula_dso(report),
        "dso = receivables × N / creditSales in {report}"
    );
    shown
}

/// The report `field` of `args` at the DSO books' head, as finance.
fn dso_report(h: &Harness, books: &DsoBooks, field: &str, mut args: Value) -> Value {
    args["knownAtPosition"] = at(books.head);
    if args.get("currency").is_none() {
        args["currency"] = json!("USD");
    }
    let reply = h.api.report(h.tokens.of(Role::Finance), field, args);
    reply.field().clone()
}

#[test]
fn dso_is_receivables_times_days_over_credit_sales_rounded_half_away_from_zero() {
    let h = Harness::start();
    let books = dso_books(&h);
    let a = dso_report(
        &h,
        &books,
        "dso",
        json!({ "customerId": books.a, "asOfDate": D }),
    );
    let fields = [
        "asOfDate",
        "periodDays",
        "currency",
        "receivables",
        "creditSales",
        "notDue",
        "dso",
        "bestPossibleDso",
        "countbackDso",
        "cei",
        "knownAtPosition",
    ];
    let shown: Vec<Value> = fields.iter().map(|f| a[f].clone()).collect();
    let head = books.head.to_string();
    // 2,070 × 90 / 1,270 = 146.6929; 770 × 90 / 1,270 = 54.5669;
    // countback: June 770 and May 500 used up, April has none, 800 of
    // March's 1,000: 30 + 31 + 30 + 31 × 0.8 = 115.80;
    // CEI (1,000 + 1,270 - 2,070) / (1,000 + 1,270 - 770) = 13.33 %.
    let expected = json!([
        D, 90, "USD", "2070.00", "1270.00", "770.00", "146.69", "54.57", "115.80", "13.33", head
    ]);
    assert_eq!(Value::Array(shown), expected, "{a}");
    assert_eq!(checked_dso(&a).as_deref(), Some("146.69"));
    let delinquent = decimal(&a["averageDaysDelinquent"]);
    let difference = decimal(&a["dso"]) - decimal(&a["bestPossibleDso"]);
    assert!(
        (delinquent - difference).abs() <= Decimal::new(1, 2),
        "average days delinquent = DSO - best possible: {a}"
    );
    // 1.00 × 90 / 400.00 = 0.225 exactly: half away from zero is 0.23
    // (half to even would show 0.22).
    let r = dso_report(
        &h,
        &books,
        "dso",
        json!({ "customerId": books.r, "asOfDate": D }),
    );
    assert_eq!(
        (&r["receivables"], &r["creditSales"]),
        (&json!("1.00"), &json!("400.00"))
    );
    assert_eq!(checked_dso(&r).as_deref(), Some("0.23"), "{r}");
    let by_rep = dso_report(
        &h,
        &books,
        "dso",
        json!({ "salespersonId": OTHER_REP, "asOfDate": D }),
    );
    assert_eq!(by_rep, r, "rep-other's only customer is r");
    // Everyone: 2,571.00 × 90 / 1,670.00 = 138.5569.
    let all = dso_report(&h, &books, "dso", json!({ "asOfDate": D }));
    assert_eq!(
        (&all["receivables"], &all["creditSales"]),
        (&json!("2571.00"), &json!("1670.00"))
    );
    assert_eq!(checked_dso(&all).as_deref(), Some("138.56"));
    // N = 30: S = 770.00 (A3 less its note), 2,070 × 30 / 770 = 80.6494.
    let month = json!({ "customerId": books.a, "asOfDate": D, "periodDays": 30 });
    let month = dso_report(&h, &books, "dso", month);
    assert_eq!(
        (&month["creditSales"], &month["periodDays"]),
        (&json!("770.00"), &json!(30))
    );
    assert_eq!(checked_dso(&month).as_deref(), Some("80.65"));
    dso_is_null_without_credit_sales(&h, &books);
}

/// `o` sold nothing in the period, and nobody sold in EUR: DSO is null,
/// not zero or infinite.
fn dso_is_null_without_credit_sales(h: &Harness, books: &DsoBooks) {
    let o = dso_report(
        h,
        books,
        "dso",
        json!({ "customerId": books.o, "asOfDate": D }),
    );
    assert_eq!(
        (&o["receivables"], &o["creditSales"]),
        (&json!("500.00"), &json!("0.00")),
        "{o}"
    );
    for field in ["dso", "bestPossibleDso", "averageDaysDelinquent"] {
        assert_eq!(o[field], Value::Null, "{field} without credit sales: {o}");
    }
    let eur = dso_report(h, books, "dso", json!({ "currency": "EUR", "asOfDate": D }));
    assert_eq!(eur["creditSales"], "0.00", "{eur}");
    assert_eq!(eur["receivables"], "0.00", "{eur}");
    assert_eq!(eur["currency"], "EUR");
    assert_eq!(eur["dso"], Value::Null, "{eur}");
}

#[test]
fn the_dso_trend_has_one_point_per_month_end_oldest_first_ending_with_the_dso_at_d() {
    let h = Harness::start();
    let books = dso_books(&h);
    let args = json!({ "customerId": books.a, "asOfDate": D, "months": 3 });
    let trend = dso_report(&h, &books, "dsoTrend", args);
    let points = trend.as_array().unwrap();
    let dates: Vec<&Value> = points.iter().map(|p| &p["asOfDate"]).collect();
    assert_eq!(dates, ["2026-04-30", "2026-05-31", D]);
    // April: A1 alone, 1,000 × 90 / 1,000. May: A1 (before the period)
    // and A2 open, A2 sold: 1,500 × 90 / 500.
    let dso: Vec<Option<String>> = points.iter().map(checked_dso).collect();
    let expected = [Some("90.00"), Some("270.00"), Some("146.69")].map(|s| s.map(String::from));
    assert_eq!(dso, expected, "{trend}");
    let at_d = dso_report(
        &h,
        &books,
        "dso",
        json!({ "customerId": books.a, "asOfDate": D }),
    );
    assert_eq!(points.last(), Some(&at_d), "the last point is the DSO at D");
    let year = dso_report(&h, &books, "dsoTrend", json!({ "asOfDate": D }));
    let year = year.as_array().unwrap();
    assert_eq!(year.len(), 12, "12 months by default");
    assert_eq!(year[0]["asOfDate"], "2025-07-31");
    assert_eq!(year[11]["asOfDate"], D);
}

// ------------------------------------------------------- credit exposure

/// `customer`'s exposure at `p` with overdue counted at `as_of`, as finance.
fn exposure(h: &Harness, customer: Uuid, p: u64, as_of: &str) -> Reply {
    let args = json!({ "customerId": customer, "knownAtPosition": at(p), "asOfDate": as_of });
    h.api
        .report(h.tokens.of(Role::Finance), "creditExposure", args)
}

/// The parts of an exposure, the limit's sums and utilization.
fn parts(e: &Value) -> Vec<Value> {
    [
        "openReceivables",
        "shippedNotInvoiced",
        "openOrders",
        "unallocatedPayments",
        "exposure",
        "available",
        "utilization",
    ]
    .iter()
    .map(|f| e[f].clone())
    .collect()
}

#[test]
fn credit_exposure_moves_part_by_part_from_order_to_shipment_invoice_and_payment() {
    let h = Harness::start();
    let admin = h.admin();
    let e = Uuid::new_v4();
    let (order, shipment, invoice, pay) = (
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
    );
    h.api.all_ok(
        admin,
        &[
            cmd::register_product(),
            cmd::release_lot(LOT, "2030-01-01", 10_000),
            cmd::register_customer(e, OWN_REP),
        ],
    );
    #[rustfmt::skip]
    let steps = [
        // open receivables, shipped not invoiced, open orders, unallocated, exposure, available, utilization
        (more::limit(e, "10000.00", "B"), ["0.00", "0.00", "0.00", "0.00", "0.00", "10000.00", "0.0000"]),
        (cmd::place_order(order, e, 100, "10.00"), ["0.00", "0.00", "1000.00", "0.00", "1000.00", "9000.00", "0.1000"]),
        (cmd::ship_order(shipment, order, LOT, 40), ["0.00", "400.00", "600.00", "0.00", "1000.00", "9000.00", "0.1000"]),
        (cmd::issue_invoice(invoice, e, Some((shipment, 30)), "300.00"), ["300.00", "100.00", "600.00", "0.00", "1000.00", "9000.00", "0.1000"]),
        (cmd::receive_payment(pay, e, "250.00"), ["300.00", "100.00", "600.00", "250.00", "750.00", "9250.00", "0.0750"]),
        (cmd::allocate_payment(pay, invoice, "200.00"), ["100.00", "100.00", "600.00", "50.00", "750.00", "9250.00", "0.0750"]),
    ];
    let mut answered = Vec::new();
    for (command, expected) in steps {
        let p = position(&h.api.ok(admin, &command)["position"]);
        let reply = exposure(&h, e, p, "2026-07-10");
        let found = reply.field();
        assert_eq!(
            parts(found),
            expected.map(Value::from),
            "after {}",
            command.mutation
        );
        assert_eq!(
            (&found["creditLimit"], &found["grade"], &found["currency"]),
            (&json!("10000.00"), &json!("B"), &json!("USD"))
        );
        answered.push((p, reply.body));
    }
    for (p, body) in &answered {
        assert_eq!(&exposure(&h, e, *p, "2026-07-10").body, body, "at {p}");
    }
    let last = answered.last().unwrap().0;
    overdue_and_behaviour(&h, e, last);
    // Reversed: the allocation is open again, the rest on account gone.
    let reversed = h.api.ok(admin, &cmd::reverse_payment(pay));
    let reversed = exposure(&h, e, position(&reversed["position"]), "2026-07-10");
    let expected = [
        "300.00", "100.00", "600.00", "0.00", "1000.00", "9000.00", "0.1000",
    ];
    assert_eq!(parts(reversed.field()), expected.map(Value::from));
    the_credit_check_agrees_with_available(&h);
    held_then_released(&h, e);
}

/// The write side's credit check at placement agrees with the `available`
/// the read side shows (a customer with nothing overdue, so the limit
/// alone decides): an order of one cent more is held, one of exactly
/// `available` is not and leaves nothing available.
fn the_credit_check_agrees_with_available(h: &Harness) {
    let f = Uuid::new_v4();
    let head = h.api.all_ok(
        h.admin(),
        &[
            cmd::register_customer(f, OWN_REP),
            more::limit(f, "1000.00", "A"),
            cmd::place_order(Uuid::new_v4(), f, 60, "10.00"),
            more::payment(Uuid::new_v4(), f, "100.00", "2026-06-01"),
        ],
    );
    let shown = exposure(h, f, head, "2026-06-01");
    let available = decimal(&shown.field()["available"]);
    assert_eq!(available, Decimal::new(50_000, 2), "{}", shown.body);
    let (over, exact) = (Uuid::new_v4(), Uuid::new_v4());
    let cent_more = (available + Decimal::new(1, 2)).to_string();
    let placed = h
        .api
        .ok(h.admin(), &cmd::place_order(over, f, 1, &cent_more));
    assert_eq!(placed["status"], "HELD", "{placed}");
    let held = exposure(h, f, position(&placed["position"]), "2026-06-01");
    assert_eq!(held.field()["heldOrders"], json!([over]));
    assert_eq!(held.field()["available"], "500.00");
    let placed = h.api.ok(
        h.admin(),
        &cmd::place_order(exact, f, 1, &available.to_string()),
    );
    assert_ne!(placed["status"], "HELD", "{placed}");
    let full = exposure(h, f, position(&placed["position"]), "2026-06-01");
    let full = full.field();
    let expected = [
        "0.00", "0.00", "1100.00", "100.00", "1000.00", "0.00", "1.0000",
    ];
    assert_eq!(parts(full), expected.map(Value::from));
    let rejected = h.api.ok(h.admin(), &cmd::reject_order(over));
    let after = exposure(h, f, position(&rejected["position"]), "2026-06-01");
    assert_eq!(
        after.field()["heldOrders"],
        json!([]),
        "a rejected order is no longer held"
    );
    assert_eq!(parts(after.field()), parts(full), "nor ever counted");
}

/// The invoice (300.00, 2026-06-03, due 2026-07-03) has 100.00 open after
/// 200.00 paid on 2026-07-01.
fn overdue_and_behaviour(h: &Harness, e: Uuid, p: u64) {
    let late = exposure(h, e, p, "2026-07-10");
    let late = late.field();
    assert_eq!(
        (&late["overdue"], &late["oldestOverdueDays"]),
        (&json!("100.00"), &json!(7))
    );
    // 200 of 300 paid by the due date; 100 late 7 days so far: 700 / 300.
    let behaviour = &late["paymentBehaviour"];
    let expected = json!({ "installments": 1, "onTimeShare": "0.6667", "averageDaysLate": "2.33", "suggestedGrade": "B" });
    assert_eq!(behaviour, &expected, "{late}");
    let on_due_date = exposure(h, e, p, "2026-07-03");
    let on_due_date = on_due_date.field();
    assert_eq!(on_due_date["overdue"], "0.00", "due today is not overdue");
    assert_eq!(on_due_date["oldestOverdueDays"], Value::Null);
    assert_eq!(
        parts(on_due_date),
        parts(late),
        "the parts are as known at p"
    );
    let before_due = exposure(h, e, p, "2026-07-02");
    assert_eq!(
        before_due.field()["paymentBehaviour"],
        Value::Null,
        "nothing fell due yet"
    );
}

/// An order over the limit is held: listed, not counted; released, counted.
fn held_then_released(h: &Harness, e: Uuid) {
    let order = Uuid::new_v4();
    let placed = h
        .api
        .ok(h.admin(), &cmd::place_order(order, e, 2_000, "10.00"));
    assert_eq!(placed["status"], "HELD", "{placed}");
    let held = exposure(h, e, position(&placed["position"]), "2026-07-10");
    let held = held.field();
    assert_eq!(held["heldOrders"], json!([order]));
    assert_eq!(held["exposure"], "1000.00", "a held order is not exposure");
    let released = h.api.ok(h.admin(), &cmd::release_order(order));
    let now = exposure(h, e, position(&released["position"]), "2026-07-10");
    let now = now.field();
    assert_eq!(now["heldOrders"], json!([]));
    let expected = [
        "300.00",
        "100.00",
        "20600.00",
        "0.00",
        "21000.00",
        "-11000.00",
        "2.1000",
    ];
    assert_eq!(parts(now), expected.map(Value::from));
}

/// `ids` of a page of exposures or alerts.
fn node_keys(page: &Value, key: &str) -> Vec<String> {
    (page["nodes"].as_array().unwrap().iter())
        .map(|n| n[key].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn credit_exposures_lists_customers_at_or_over_a_utilization_highest_first_page_by_page() {
    let h = Harness::start();
    let admin = h.admin();
    h.api.ok(admin, &cmd::register_product());
    // Limits of 1,000.00 with open orders of 900, 700, 500 and 100.
    let mut by_units = Vec::new();
    for units in [50, 10, 90, 70] {
        let c = Uuid::new_v4();
        h.api.all_ok(
            admin,
            &[
                cmd::register_customer(c, OWN_REP),
                more::limit(c, "1000.00", "A"),
                cmd::place_order(Uuid::new_v4(), c, units, "10.00"),
            ],
        );
        by_units.push((units, c.to_string()));
    }
    by_units.sort();
    let ids: Vec<String> = by_units.into_iter().map(|(_, c)| c).collect();
    let [u10, u50, u70, u90] = [0, 1, 2, 3].map(|i| ids[i].as_str());
    // No limit: with something exposed above any utilization, without it 0.
    let (unlimited, idle) = (Uuid::new_v4(), Uuid::new_v4());
    let head = h.api.all_ok(
        admin,
        &[
            cmd::register_customer(unlimited, OWN_REP),
            more::service_invoice(Uuid::new_v4(), unlimited, "10.00", "2026-06-03"),
            cmd::register_customer(idle, OWN_REP),
        ],
    );
    let (unlimited, idle) = (unlimited.to_string(), idle.to_string());
    let (unlimited, idle) = (unlimited.as_str(), idle.as_str());
    let list = |args: Value| {
        let mut args = args;
        args["knownAtPosition"] = at(head);
        let reply = h
            .api
            .report(h.tokens.of(Role::Finance), "creditExposures", args);
        reply.field().clone()
    };
    let first = list(json!({ "minUtilization": "0.5", "first": 2 }));
    assert_eq!(node_keys(&first, "customerId"), [unlimited, u90]);
    let utilization: Vec<&Value> = first["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| &n["utilization"])
        .collect();
    assert_eq!(utilization, [&Value::Null, &json!("0.9000")]);
    assert_eq!(first["hasNextPage"], true);
    assert_eq!(first["endCursor"], json!(u90));
    let second = list(json!({ "minUtilization": "0.5", "first": 2, "after": u90 }));
    assert_eq!(
        node_keys(&second, "customerId"),
        [u70, u50],
        "0.5000 is at the threshold"
    );
    assert_eq!(second["hasNextPage"], false);
    assert_eq!(second["endCursor"], json!(u50));
    let above = list(json!({ "minUtilization": "0.5001" }));
    assert_eq!(node_keys(&above, "customerId"), [unlimited, u90, u70]);
    let high = list(json!({ "minUtilization": "0.95" }));
    assert_eq!(node_keys(&high, "customerId"), [unlimited]);
    let everyone = list(json!({}));
    assert_eq!(
        node_keys(&everyone, "customerId"),
        [unlimited, u90, u70, u50, u10, idle]
    );
    assert_eq!(everyone["hasNextPage"], false);
}

// ---------------------------------------------------------------- alerts

/// Books for the collections rules, every invoice 2026-06-03 net 30 (due
/// 2026-07-03): `hold`'s order over its limit held at placement (2026-06-01),
/// `key` with two items of 600,000.00, `dun` (grade A) and `risky`
/// (grade C) with 100.00 each.
struct AlertBooks {
    hold: Uuid,
    held_order: Uuid,
    key: Uuid,
    key_invoices: [Uuid; 2],
    dun: Uuid,
    dun_invoice: Uuid,
    risky: Uuid,
    risky_invoice: Uuid,
    head: u64,
}

fn alert_books(h: &Harness) -> AlertBooks {
    let b = AlertBooks {
        hold: Uuid::new_v4(),
        held_order: Uuid::new_v4(),
        key: Uuid::new_v4(),
        key_invoices: [Uuid::new_v4(), Uuid::new_v4()],
        dun: Uuid::new_v4(),
        dun_invoice: Uuid::new_v4(),
        risky: Uuid::new_v4(),
        risky_invoice: Uuid::new_v4(),
        head: 0,
    };
    let admin = h.admin();
    h.api.all_ok(
        admin,
        &[
            cmd::register_product(),
            cmd::register_customer(b.hold, OWN_REP),
            more::limit(b.hold, "1000.00", "A"),
        ],
    );
    let placed = h
        .api
        .ok(admin, &cmd::place_order(b.held_order, b.hold, 200, "10.00"));
    assert_eq!(
        placed["status"], "HELD",
        "2,000.00 over a 1,000.00 limit: {placed}"
    );
    let mut commands = Vec::new();
    for (c, limit, grade) in [
        (b.key, "5000000.00", "A"),
        (b.dun, "1000000.00", "A"),
        (b.risky, "1000000.00", "C"),
    ] {
        commands.push(cmd::register_customer(c, OWN_REP));
        commands.push(more::limit(c, limit, grade));
    }
    for (invoice, c, amount) in [
        (b.key_invoices[0], b.key, "600000.00"),
        (b.key_invoices[1], b.key, "600000.00"),
        (b.dun_invoice, b.dun, "100.00"),
        (b.risky_invoice, b.risky, "100.00"),
    ] {
        commands.push(more::service_invoice(invoice, c, amount, "2026-06-03"));
    }
    let head = h.api.all_ok(admin, &commands);
    AlertBooks { head, ..b }
}

/// Every alert at (`as_of`, `p`), of one customer when given, as finance;
/// checked to come highest level first, each with its code in its id.
fn alerts(h: &Harness, p: u64, as_of: &str, customer: Option<Uuid>) -> Vec<Value> {
    let mut args = json!({ "knownAtPosition": at(p), "asOfDate": as_of, "first": 1000 });
    if let Some(c) = customer {
        args["customerId"] = json!(c);
    }
    let reply = h.api.report(h.tokens.of(Role::Finance), "alerts", args);
    let page = reply.field();
    assert_eq!(page["hasNextPage"], false);
    let nodes = page["nodes"].as_array().unwrap().clone();
    let levels: Vec<i64> = nodes.iter().map(|a| a["level"].as_i64().unwrap()).collect();
    assert!(
        levels.windows(2).all(|w| w[0] >= w[1]),
        "highest level first: {levels:?}"
    );
    for a in &nodes {
        let (id, code) = (a["id"].as_str().unwrap(), a["reasonCode"].as_str().unwrap());
        assert!(id.starts_with(&format!("{code}:")), "{a}");
        assert!(!a["reason"].as_str().unwrap().is_empty(), "{a}");
    }
    nodes
}

/// (id, level, assignee role) of each alert, as a set.
fn summary(alerts: &[Value]) -> BTreeSet<(String, i64, String)> {
    (alerts.iter())
        .map(|a| {
            let text = |f: &str| a[f].as_str().unwrap().to_string();
            (
                text("id"),
                a["level"].as_i64().unwrap(),
                text("assigneeRole"),
            )
        })
        .collect()
}

/// The expected summary: (id, level, role).
fn expect(rows: &[(String, i64, &str)]) -> BTreeSet<(String, i64, String)> {
    (rows.iter())
        .map(|(id, level, role)| (id.clone(), *level, role.to_string()))
        .collect()
}

#[test]
fn a_held_order_and_a_key_amount_raise_alerts_from_their_dates() {
    let h = Harness::start();
    let b = alert_books(&h);
    assert_eq!(alerts(&h, b.head, "2026-05-31", None), Vec::<Value>::new());
    let june = alerts(&h, b.head, "2026-06-10", None);
    let mut keys: Vec<String> = (b.key_invoices.iter())
        .map(|i| format!("KEY_AMOUNT:{i}:1"))
        .collect();
    keys.sort();
    let ids: Vec<&str> = june.iter().map(|a| a["id"].as_str().unwrap()).collect();
    let held = format!("ORDER_HELD:{}", b.held_order);
    assert_eq!(ids, [held.as_str(), &keys[0], &keys[1]]);
    let mut order_held = june[0].clone();
    order_held.as_object_mut().unwrap().remove("reason");
    let expected = json!({ "id": held, "customerId": b.hold, "invoiceId": null, "level": 3,
        "assigneeRole": "finance_manager", "reasonCode": "ORDER_HELD", "dueDate": null,
        "amount": "2000.00", "currency": "USD" });
    assert_eq!(order_held, expected);
    let key = june
        .iter()
        .find(|a| a["invoiceId"] == json!(b.key_invoices[0]))
        .unwrap();
    let mut key = key.clone();
    key.as_object_mut().unwrap().remove("reason");
    let expected = json!({ "id": format!("KEY_AMOUNT:{}:1", b.key_invoices[0]), "customerId": b.key,
        "invoiceId": b.key_invoices[0], "level": 2, "assigneeRole": "finance_manager",
        "reasonCode": "KEY_AMOUNT", "dueDate": "2026-07-03", "amount": "600000.00", "currency": "USD" });
    assert_eq!(key, expected);
    // Placed 2026-06-01, issued 2026-06-03: not there the day before.
    let ids = |d| {
        summary(&alerts(&h, b.head, d, None))
            .into_iter()
            .map(|s| s.0)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids("2026-06-01"), std::slice::from_ref(&held));
    assert_eq!(ids("2026-06-02"), [held]);
    // Released: no longer held at the new position; still at the old one.
    let released = h.api.ok(h.admin(), &cmd::release_order(b.held_order));
    let now = alerts(
        &h,
        position(&released["position"]),
        "2026-06-10",
        Some(b.hold),
    );
    assert_eq!(now, Vec::<Value>::new());
    assert_eq!(alerts(&h, b.head, "2026-06-10", Some(b.hold)).len(), 1);
}

#[test]
fn an_item_is_reminded_then_chased_then_escalated_as_days_pass() {
    let h = Harness::start();
    let b = alert_books(&h);
    let inv = b.dun_invoice;
    let soon = vec![(format!("DUE_SOON:{inv}:1"), 1, "sales")];
    let today = vec![
        (format!("DUE_TODAY:{inv}:1:sales"), 2, "sales"),
        (format!("DUE_TODAY:{inv}:1:finance"), 2, "finance"),
    ];
    let overdue = vec![
        (format!("OVERDUE:{inv}:1:sales"), 2, "sales"),
        (format!("OVERDUE:{inv}:1:finance"), 2, "finance"),
    ];
    let step = |days: i64, level: i64, role: &'static str| {
        vec![(format!("OVERDUE_{days}:{inv}:1"), level, role)]
    };
    let table = [
        ("2026-06-25", vec![]),
        ("2026-06-26", soon.clone()),
        ("2026-07-02", soon),
        ("2026-07-03", today),
        ("2026-07-04", overdue.clone()),
        ("2026-07-17", overdue),
        ("2026-07-18", step(15, 3, "sales_manager")),
        ("2026-08-01", step(15, 3, "sales_manager")),
        ("2026-08-02", step(30, 4, "finance_manager")),
        ("2026-08-31", step(30, 4, "finance_manager")),
        ("2026-09-01", step(60, 5, "finance_director")),
    ];
    for (date, rows) in table {
        let found = alerts(&h, b.head, date, Some(b.dun));
        assert_eq!(summary(&found), expect(&rows), "on {date}");
        for a in &found {
            assert_eq!(
                (&a["amount"], &a["dueDate"]),
                (&json!("100.00"), &json!("2026-07-03"))
            );
            assert_eq!(
                (&a["customerId"], &a["invoiceId"]),
                (&json!(b.dun), &json!(inv))
            );
        }
    }
    risky_grade_is_reminded_earlier_and_followed_daily(&h, &b);
}

/// Grade C: the reminder 15 days before due, a daily task while overdue.
fn risky_grade_is_reminded_earlier_and_followed_daily(h: &Harness, b: &AlertBooks) {
    let inv = b.risky_invoice;
    let chased = |d: &str| {
        vec![
            (format!("OVERDUE:{inv}:1:sales"), 2, "sales"),
            (format!("OVERDUE:{inv}:1:finance"), 2, "finance"),
            (format!("DAILY_TASK:{inv}:1:{d}"), 2, "finance"),
        ]
    };
    let table = [
        ("2026-06-17", vec![]),
        (
            "2026-06-18",
            vec![(format!("DUE_SOON:{inv}:1"), 1, "sales")],
        ),
        ("2026-07-10", chased("2026-07-10")),
        ("2026-07-11", chased("2026-07-11")),
    ];
    for (date, rows) in table {
        let found = alerts(h, b.head, date, Some(b.risky));
        assert_eq!(summary(&found), expect(&rows), "grade C on {date}");
    }
}

#[test]
fn a_customer_overdue_in_total_over_the_threshold_is_escalated_and_alerts_page() {
    let h = Harness::start();
    let b = alert_books(&h);
    let found = alerts(&h, b.head, "2026-07-10", Some(b.key));
    let mut rows = vec![(
        format!("CUSTOMER_OVERDUE_TOTAL:{}:USD", b.key),
        5,
        "management",
    )];
    for i in b.key_invoices {
        rows.push((format!("KEY_AMOUNT:{i}:1"), 2, "finance_manager"));
        rows.push((format!("OVERDUE:{i}:1:sales"), 2, "sales"));
        rows.push((format!("OVERDUE:{i}:1:finance"), 2, "finance"));
    }
    assert_eq!(summary(&found), expect(&rows));
    assert_eq!(found[0]["amount"], "1200000.00", "{}", found[0]);
    assert_eq!(found[0]["invoiceId"], Value::Null);
    // Page by page, 3 at a time: the same 7, in the same order.
    let mut paged = Vec::new();
    let mut after: Option<Value> = None;
    for expected_next in [true, true, false] {
        let mut args = json!({ "knownAtPosition": at(b.head), "asOfDate": "2026-07-10",
            "customerId": b.key, "first": 3 });
        if let Some(cursor) = &after {
            args["after"] = cursor.clone();
        }
        let reply = h.api.report(h.tokens.of(Role::Finance), "alerts", args);
        let page = reply.field();
        assert_eq!(page["hasNextPage"], expected_next, "{page}");
        let nodes = page["nodes"].as_array().unwrap();
        assert_eq!(page["endCursor"], nodes.last().unwrap()["id"]);
        paged.extend(nodes.iter().cloned());
        after = Some(page["endCursor"].clone());
    }
    assert_eq!(paged, found);
    // Asked for every customer, the total is there once.
    let all = alerts(&h, b.head, "2026-07-17", None);
    let totals = all
        .iter()
        .filter(|a| a["reasonCode"] == "CUSTOMER_OVERDUE_TOTAL")
        .count();
    assert_eq!(totals, 1);
}

#[test]
fn a_payment_a_dispute_and_a_promise_to_pay_end_or_quiet_the_dunning() {
    let h = Harness::start();
    let b = alert_books(&h);
    let pay = Uuid::new_v4();
    let head = h.api.all_ok(
        h.admin(),
        &[
            more::payment(pay, b.dun, "100.00", "2026-07-05"),
            cmd::allocate_payment(pay, b.dun_invoice, "100.00"),
            cmd::open_dispute(b.risky_invoice, "40.00"),
            more::promise(b.key, "2026-07-15", "2026-08-01"),
        ],
    );
    // Paid on 2026-07-05: overdue the day before, nothing after.
    assert_eq!(alerts(&h, head, "2026-07-04", Some(b.dun)).len(), 2);
    assert_eq!(
        alerts(&h, head, "2026-07-10", Some(b.dun)),
        Vec::<Value>::new()
    );
    // 40.00 of 100.00 disputed from 2026-06-20: only 60.00 is chased.
    let risky = alerts(&h, head, "2026-07-10", Some(b.risky));
    assert_eq!(risky.len(), 3, "{risky:?}");
    for a in &risky {
        assert_eq!(
            a["amount"], "60.00",
            "the disputed part raises no dunning: {a}"
        );
    }
    let before_dispute = alerts(&h, head, "2026-06-18", Some(b.risky));
    assert_eq!(before_dispute[0]["amount"], "100.00");
    // Promised on 2026-07-15 to pay on 2026-08-01: quiet until 2026-08-04
    // but for the key items, which chase no one.
    let codes = |d: &str| -> Vec<String> {
        let found = alerts(&h, head, d, Some(b.key));
        let mut codes: Vec<String> = found
            .iter()
            .map(|a| a["reasonCode"].as_str().unwrap().to_string())
            .collect();
        codes.sort();
        codes
    };
    let expected = |overdue: &[&str]| {
        let mut all: Vec<String> = (["CUSTOMER_OVERDUE_TOTAL", "KEY_AMOUNT", "KEY_AMOUNT"].iter())
            .chain(overdue)
            .map(|s| s.to_string())
            .collect();
        all.sort();
        all
    };
    let key = ["KEY_AMOUNT", "KEY_AMOUNT"].map(String::from).to_vec();
    assert_eq!(
        codes("2026-07-14"),
        expected(&["OVERDUE"; 4]),
        "before the promise was made"
    );
    assert_eq!(codes("2026-07-15"), key);
    assert_eq!(codes("2026-08-04"), key);
    assert_eq!(codes("2026-08-05"), expected(&["OVERDUE_30"; 2]));
}

/// The DSO's "not due" and an exposure's overdue of customer `c` at (`d`, `p`).
fn not_due_and_overdue(h: &Harness, c: Uuid, d: &str, p: u64) -> (Value, Value) {
    let args =
        json!({ "currency": "USD", "customerId": c, "asOfDate": d, "knownAtPosition": at(p) });
    let dso = h.api.report(h.tokens.of(Role::Finance), "dso", args);
    let exposure = exposure(h, c, p, d);
    (
        dso.field()["notDue"].clone(),
        exposure.field()["overdue"].clone(),
    )
}

#[test]
fn an_item_awaiting_acceptance_is_chased_only_once_its_due_date_is_known() {
    let h = Harness::start();
    let c = Uuid::new_v4();
    let (order, shipment, invoice) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let on_acceptance =
        json!({ "installments": [{ "sharePercent": "100", "days": 10, "after": "ACCEPTANCE" }] });
    let waiting = h.api.all_ok(
        h.admin(),
        &[
            cmd::register_product(),
            cmd::release_lot(LOT, "2030-01-01", 1_000),
            cmd::register_customer(c, OWN_REP),
            more::limit(c, "1000000.00", "A"),
            cmd::place_order(order, c, 100, "10.00"),
            cmd::ship_order(shipment, order, LOT, 50),
            cmd::issue_invoice(invoice, c, Some((shipment, 50)), "500.00")
                .with("terms", on_acceptance),
        ],
    );
    // No due date yet: nothing to chase, all of it not due.
    assert_eq!(
        alerts(&h, waiting, "2026-07-10", Some(c)),
        Vec::<Value>::new()
    );
    let (not_due, overdue) = not_due_and_overdue(&h, c, "2026-07-10", waiting);
    assert_eq!((not_due, overdue), (json!("500.00"), json!("0.00")));
    // Accepted on 2026-06-05: due 2026-06-15, 25 days overdue on 2026-07-10.
    let accepted = position(&h.api.ok(h.admin(), &cmd::accept_delivery(shipment))["position"]);
    let chased = alerts(&h, accepted, "2026-07-10", Some(c));
    let rows = [(format!("OVERDUE_15:{invoice}:1"), 3, "sales_manager")];
    assert_eq!(summary(&chased), expect(&rows));
    assert_eq!(chased[0]["dueDate"], "2026-06-15");
    let (not_due, overdue) = not_due_and_overdue(&h, c, "2026-07-10", accepted);
    assert_eq!((not_due, overdue), (json!("0.00"), json!("500.00")));
    let exposure = exposure(&h, c, accepted, "2026-07-10");
    assert_eq!(exposure.field()["oldestOverdueDays"], 25);
    // Before the acceptance's date, or as known before it, still waiting.
    let (not_due, _) = not_due_and_overdue(&h, c, "2026-06-04", accepted);
    assert_eq!(not_due, "500.00");
    assert_eq!(
        alerts(&h, waiting, "2026-07-10", Some(c)),
        Vec::<Value>::new()
    );
}

#[test]
fn each_installment_is_an_item_reminded_chased_and_monitored_on_its_own() {
    let h = Harness::start();
    let (c, invoice, pay) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let halves = json!({ "installments": [
        { "sharePercent": "50", "days": 30, "after": "INVOICE" },
        { "sharePercent": "50", "days": 60, "after": "INVOICE" } ] });
    let issued = h.api.all_ok(
        h.admin(),
        &[
            cmd::register_customer(c, OWN_REP),
            more::limit(c, "5000000.00", "A"),
            more::service_invoice(invoice, c, "1000000.00", "2026-06-03").with("terms", halves),
        ],
    );
    // Due 2026-07-03 and 2026-08-02, 500,000.00 each: both key items.
    let july = alerts(&h, issued, "2026-07-10", Some(c));
    let rows = [
        (format!("KEY_AMOUNT:{invoice}:1"), 2, "finance_manager"),
        (format!("KEY_AMOUNT:{invoice}:2"), 2, "finance_manager"),
        (format!("OVERDUE:{invoice}:1:sales"), 2, "sales"),
        (format!("OVERDUE:{invoice}:1:finance"), 2, "finance"),
    ];
    assert_eq!(summary(&july), expect(&rows));
    assert!(july.iter().all(|a| a["amount"] == "500000.00"), "{july:?}");
    let (not_due, overdue) = not_due_and_overdue(&h, c, "2026-07-10", issued);
    assert_eq!((not_due, overdue), (json!("500000.00"), json!("500000.00")));
    // 600,000.00 paid on 2026-07-20 fills the oldest due first.
    let paid = h.api.all_ok(
        h.admin(),
        &[
            more::payment(pay, c, "600000.00", "2026-07-20"),
            cmd::allocate_payment(pay, invoice, "600000.00"),
        ],
    );
    let before_payment = alerts(&h, paid, "2026-07-19", Some(c));
    let rows = [
        (format!("KEY_AMOUNT:{invoice}:1"), 2, "finance_manager"),
        (format!("KEY_AMOUNT:{invoice}:2"), 2, "finance_manager"),
        (format!("OVERDUE_15:{invoice}:1"), 3, "sales_manager"),
    ];
    assert_eq!(summary(&before_payment), expect(&rows));
    let after = alerts(&h, paid, "2026-07-27", Some(c));
    let rows = [
        (format!("KEY_AMOUNT:{invoice}:2"), 2, "finance_manager"),
        (format!("DUE_SOON:{invoice}:2"), 1, "sales"),
    ];
    assert_eq!(summary(&after), expect(&rows));
    assert!(
        after
            .iter()
            .all(|a| a["amount"] == "400000.00" && a["dueDate"] == "2026-08-02"),
        "{after:?}"
    );
    let (not_due, overdue) = not_due_and_overdue(&h, c, "2026-07-27", paid);
    assert_eq!((not_due, overdue), (json!("400000.00"), json!("0.00")));
}

// ---------------------------------------------------------- subscription

/// The alert of a subscription's result.
fn pushed(payload: &Value) -> Value {
    assert!(payload.get("errors").is_none(), "{payload}");
    payload["data"]["alerts"].clone()
}

/// The alerts at `p` and today (the subscription's day), as `token`, by id.
fn standing(h: &Harness, token: &str, p: u64) -> std::collections::BTreeMap<String, Value> {
    let args = json!({ "knownAtPosition": at(p), "first": 1000 });
    let reply = h.api.report(token, "alerts", args);
    assert_eq!(reply.field()["hasNextPage"], false);
    (reply.field()["nodes"].as_array().unwrap().iter())
        .map(|a| (a["id"].as_str().unwrap().to_string(), a.clone()))
        .collect()
}

/// Calls `raise` (which commits something raising one alert, and returns
/// its id) until the subscription pushes an alert: it starts from the head
/// it finds when it handles `subscribe`, which the protocol does not
/// acknowledge. Then the alerts raised after the first pushed follow, in
/// order. Returns every alert pushed.
fn until_subscribed(sub: &mut Subscriber, mut raise: impl FnMut() -> String) -> Vec<Value> {
    let mut raised = Vec::new();
    let first = loop {
        assert!(raised.len() < 10, "nothing pushed after {raised:?}");
        raised.push(raise());
        if let Some(payload) = sub.next_within(Duration::from_secs(2)) {
            break pushed(&payload);
        }
    };
    let k = (raised.iter())
        .position(|id| first["id"] == id.as_str())
        .unwrap_or_else(|| panic!("{first} is none of those raised after subscribing: {raised:?}"));
    let mut received = vec![first];
    for id in &raised[k + 1..] {
        let next = pushed(&sub.next());
        assert_eq!(next["id"], id.as_str(), "in the order raised");
        received.push(next);
    }
    received
}

/// Places an order for `customer` (no limit: held); its alert's id.
fn held_order(h: &Harness, customer: Uuid) -> String {
    let order = Uuid::new_v4();
    let placed = h
        .api
        .ok(h.admin(), &cmd::place_order(order, customer, 1, "1.00"));
    assert_eq!(placed["status"], "HELD", "{placed}");
    format!("ORDER_HELD:{order}")
}

#[test]
fn the_alerts_subscription_pushes_each_new_alert_once_and_never_the_standing_ones() {
    let h = Harness::start();
    let admin = h.admin();
    let (unlimited, key) = (Uuid::new_v4(), Uuid::new_v4());
    h.api.all_ok(
        admin,
        &[
            cmd::register_product(),
            cmd::register_customer(unlimited, OWN_REP),
            cmd::register_customer(key, OWN_REP),
            more::limit(key, "5000000.00", "A"),
            more::service_invoice(Uuid::new_v4(), key, "600000.00", "2026-06-03"),
        ],
    );
    held_order(&h, unlimited);
    let before = standing(&h, admin, h.api.head(admin));
    let codes: BTreeSet<&str> = before
        .values()
        .map(|a| a["reasonCode"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains("ORDER_HELD") && codes.contains("KEY_AMOUNT"),
        "{before:?}"
    );
    let mut sub = Subscriber::connect(&h.server.addr, admin).unwrap();
    sub.subscribe("alerts", ALERTS_SUBSCRIPTION);
    let received = until_subscribed(&mut sub, || held_order(&h, unlimited));
    for alert in &received {
        let id = alert["id"].as_str().unwrap();
        assert!(
            !before.contains_key(id),
            "a standing alert was pushed: {alert}"
        );
        assert_eq!(alert["customerId"], json!(unlimited));
    }
    // A commit that raises nothing pushes nothing: the next is the next raised.
    h.api
        .ok(admin, &cmd::register_customer(Uuid::new_v4(), OWN_REP));
    let next = held_order(&h, unlimited);
    assert_eq!(pushed(&sub.next())["id"], next.as_str());
    // An invoice raising several at once: exactly those new at its
    // position, as the query shows them, once each.
    let old = standing(&h, admin, h.api.head(admin));
    let invoice = Uuid::new_v4();
    let issued = more::service_invoice(invoice, key, "600000.00", "2026-06-03");
    let p = position(&h.api.ok(admin, &issued)["position"]);
    let mut fresh = standing(&h, admin, p);
    fresh.retain(|id, _| !old.contains_key(id));
    assert!(
        fresh.contains_key(&format!("KEY_AMOUNT:{invoice}:1")),
        "{fresh:?}"
    );
    let mut got = std::collections::BTreeMap::new();
    for _ in 0..fresh.len() {
        let alert = pushed(&sub.next());
        assert!(
            got.insert(alert["id"].as_str().unwrap().to_string(), alert)
                .is_none()
        );
    }
    assert_eq!(got, fresh);
    let last = held_order(&h, unlimited);
    assert_eq!(
        pushed(&sub.next())["id"],
        last.as_str(),
        "nothing else was pushed"
    );
}

// ----------------------------------------------------------------- roles

/// `own` (rep-own) and `theirs` (rep-other), each with a held order
/// (2,000.00 over a 1,000.00 limit) and an invoice of 600,000.00 on
/// 2026-06-03.
struct RoleBooks {
    own: Uuid,
    theirs: Uuid,
    head: u64,
}

fn role_books(h: &Harness) -> RoleBooks {
    let (own, theirs) = (Uuid::new_v4(), Uuid::new_v4());
    h.api.ok(h.admin(), &cmd::register_product());
    let mut head = 0;
    for (c, rep) in [(own, OWN_REP), (theirs, OTHER_REP)] {
        let order = Uuid::new_v4();
        head = h.api.all_ok(
            h.admin(),
            &[
                cmd::register_customer(c, rep),
                more::limit(c, "1000.00", "A"),
                cmd::place_order(order, c, 200, "10.00"),
                more::service_invoice(Uuid::new_v4(), c, "600000.00", "2026-06-03"),
            ],
        );
    }
    RoleBooks { own, theirs, head }
}

/// One call of each report at `p`, on fixed business dates.
fn report_calls(b: &RoleBooks, p: u64) -> Vec<(&'static str, Value)> {
    let p = at(p);
    vec![
        (
            "dso",
            json!({ "currency": "USD", "asOfDate": D, "knownAtPosition": p }),
        ),
        (
            "dsoTrend",
            json!({ "currency": "USD", "asOfDate": D, "months": 3, "knownAtPosition": p }),
        ),
        (
            "creditExposure",
            json!({ "customerId": b.own, "asOfDate": "2026-07-10", "knownAtPosition": p }),
        ),
        (
            "creditExposures",
            json!({ "asOfDate": "2026-07-10", "knownAtPosition": p }),
        ),
        (
            "alerts",
            json!({ "asOfDate": "2026-07-10", "knownAtPosition": p }),
        ),
    ]
}

#[test]
fn the_regulator_is_forbidden_dso_exposure_and_alerts_rather_than_shown_zeros() {
    let h = Harness::start();
    let b = role_books(&h);
    for role in [Role::Regulator, Role::Warehouse, Role::Quality] {
        for (field, args) in report_calls(&b, b.head) {
            let reply = h.api.report(h.tokens.of(role), field, args);
            reply.assert_code("FORBIDDEN");
            assert_eq!(
                reply.body["data"],
                Value::Null,
                "{role} {field}: {}",
                reply.body
            );
        }
    }
    let regulator = h.tokens.of(Role::Regulator);
    let mut sub = Subscriber::connect(&h.server.addr, regulator).unwrap();
    sub.subscribe("alerts", ALERTS_SUBSCRIPTION);
    let refused = sub.message();
    assert_eq!(refused["type"], "next", "{refused}");
    assert_eq!(refused["payload"]["data"], Value::Null, "{refused}");
    let errors = refused["payload"]["errors"].as_array().unwrap();
    errors.iter().for_each(assert_clean_error);
    assert_eq!(errors[0]["extensions"]["code"], "FORBIDDEN");
}

/// The customers of a page of exposures or alerts, as a set.
fn customers_of(h: &Harness, token: &str, field: &str, p: u64) -> BTreeSet<String> {
    let args = json!({ "asOfDate": "2026-07-10", "knownAtPosition": at(p) });
    let reply = h.api.report(token, field, args);
    node_keys(reply.field(), "customerId").into_iter().collect()
}

#[test]
fn a_salesperson_sees_only_their_own_customers_exposure_and_alerts() {
    let h = Harness::start();
    let b = role_books(&h);
    let (own, theirs) = (b.own.to_string(), b.theirs.to_string());
    let (sales, other) = (h.tokens.of(Role::Sales), h.tokens.other_rep());
    for field in ["creditExposures", "alerts"] {
        let all = customers_of(&h, h.tokens.of(Role::Finance), field, b.head);
        assert_eq!(
            all,
            BTreeSet::from([own.clone(), theirs.clone()]),
            "{field}"
        );
        assert_eq!(
            customers_of(&h, sales, field, b.head),
            BTreeSet::from([own.clone()])
        );
        assert_eq!(
            customers_of(&h, other, field, b.head),
            BTreeSet::from([theirs.clone()])
        );
    }
    let one = |token: &str, c: Uuid| {
        let args = json!({ "customerId": c, "knownAtPosition": at(b.head) });
        h.api.report(token, "creditExposure", args)
    };
    assert_eq!(one(sales, b.own).field()["customerId"], own);
    one(sales, b.theirs).assert_code("FORBIDDEN");
    one(other, b.own).assert_code("FORBIDDEN");
    let dso = |token: &str| {
        let args = json!({ "currency": "USD", "asOfDate": D, "knownAtPosition": at(b.head) });
        h.api.report(token, "dso", args).field()["receivables"].clone()
    };
    assert_eq!(dso(h.tokens.of(Role::Finance)), "1200000.00");
    assert_eq!(
        dso(sales),
        "600000.00",
        "their own customers' receivables only"
    );
    // A token made for listed customers sees those alone.
    let listed = vec![arledger_core::ids::CustomerId(b.theirs)];
    let token = Tokens::mint_sales_for(&h.data(), "rep-key-accounts", listed);
    for field in ["creditExposures", "alerts"] {
        assert_eq!(
            customers_of(&h, &token, field, b.head),
            BTreeSet::from([theirs.clone()])
        );
    }
    one(&token, b.own).assert_code("FORBIDDEN");
}

/// Like `receivableItems` and `creditExposure`, which answer FORBIDDEN
/// for a customer that is not the salesperson's, the reports that take a
/// `customerId` must refuse it rather than answer zeros (or nothing) for a
/// customer who owes 600,000.00.
#[test]
fn a_salesperson_naming_another_salespersons_customer_is_forbidden_not_shown_zeros() {
    let h = Harness::start();
    let b = role_books(&h);
    let sales = h.tokens.of(Role::Sales);
    let p = at(b.head);
    let mut answered = Vec::new();
    for (field, args) in [
        (
            "dso",
            json!({ "currency": "USD", "customerId": b.theirs, "asOfDate": D, "knownAtPosition": p }),
        ),
        (
            "dsoTrend",
            json!({ "currency": "USD", "customerId": b.theirs, "asOfDate": D, "knownAtPosition": p }),
        ),
        (
            "alerts",
            json!({ "customerId": b.theirs, "asOfDate": "2026-07-10", "knownAtPosition": p }),
        ),
    ] {
        let reply = h.api.report(sales, field, args);
        if reply.code().as_deref() != Some("FORBIDDEN") {
            let body = reply.body.to_string();
            let shown = &body[..body.len().min(400)];
            answered.push(format!("{field}: HTTP {} {shown}", reply.status));
        }
    }
    assert!(
        answered.is_empty(),
        "answered instead of FORBIDDEN:\n{}",
        answered.join("\n")
    );
}

#[test]
fn a_customer_moved_to_another_salesperson_is_theirs_from_that_position_on() {
    let h = Harness::start();
    let b = role_books(&h);
    let move_it = Cmd::input(
        "updateCustomer",
        json!({ "customerId": b.own, "salespersonId": OTHER_REP }),
    );
    let head = position(&h.api.ok(h.admin(), &move_it)["position"]);
    let (own, theirs) = (b.own.to_string(), b.theirs.to_string());
    let (sales, other) = (h.tokens.of(Role::Sales), h.tokens.other_rep());
    for field in ["creditExposures", "alerts"] {
        assert_eq!(
            customers_of(&h, sales, field, b.head),
            BTreeSet::from([own.clone()]),
            "{field}"
        );
        assert_eq!(
            customers_of(&h, sales, field, head),
            BTreeSet::new(),
            "{field}"
        );
        assert_eq!(
            customers_of(&h, other, field, head),
            BTreeSet::from([own.clone(), theirs.clone()]),
            "{field}"
        );
    }
    let one = |p: u64| {
        let args = json!({ "customerId": b.own, "knownAtPosition": at(p) });
        h.api.report(sales, "creditExposure", args)
    };
    assert_eq!(one(b.head).field()["customerId"], own);
    one(head).assert_code("FORBIDDEN");
    let receivables = |token: &str, args: Value, p: u64| {
        let mut args = args;
        args["knownAtPosition"] = at(p);
        args["asOfDate"] = json!(D);
        args["currency"] = json!("USD");
        h.api.report(token, "dso", args).field()["receivables"].clone()
    };
    let finance = h.tokens.of(Role::Finance);
    let by_rep = json!({ "salespersonId": OWN_REP });
    assert_eq!(receivables(finance, by_rep.clone(), b.head), "600000.00");
    assert_eq!(receivables(finance, by_rep, head), "0.00");
    assert_eq!(receivables(sales, json!({}), b.head), "600000.00");
    assert_eq!(receivables(sales, json!({}), head), "0.00");
    assert_eq!(receivables(other, json!({}), head), "1200000.00");
}

/// Every report over the alert books at `p`, on fixed business dates.
fn every_report(b: &AlertBooks, p: u64) -> Vec<(&'static str, Value)> {
    let p = at(p);
    let mut calls = vec![
        (
            "dso",
            json!({ "currency": "USD", "asOfDate": "2026-07-31", "knownAtPosition": p }),
        ),
        (
            "dsoTrend",
            json!({ "currency": "USD", "asOfDate": "2026-07-31", "months": 4, "knownAtPosition": p }),
        ),
        (
            "creditExposures",
            json!({ "asOfDate": "2026-07-10", "knownAtPosition": p }),
        ),
    ];
    for c in [b.hold, b.key, b.dun, b.risky] {
        calls.push((
            "creditExposure",
            json!({ "customerId": c, "asOfDate": "2026-07-20", "knownAtPosition": p }),
        ));
    }
    for d in ["2026-06-10", "2026-07-10", "2026-07-20", "2026-08-05"] {
        calls.push(("alerts", json!({ "asOfDate": d, "knownAtPosition": p })));
    }
    calls
}

#[test]
fn the_reports_answer_the_same_after_a_clean_stop_and_after_a_crash() {
    let mut h = Harness::start();
    let b = alert_books(&h);
    let (pay, order, shipment, invoice) = (
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
    );
    let head = h.api.all_ok(
        h.admin(),
        &[
            cmd::release_lot(LOT, "2030-01-01", 1_000),
            more::payment(pay, b.dun, "150.00", "2026-07-05"),
            cmd::allocate_payment(pay, b.dun_invoice, "60.00"),
            cmd::issue_credit_note(b.risky_invoice, "10.00"),
            cmd::open_dispute(b.risky_invoice, "20.00"),
            more::promise(b.key, "2026-07-15", "2026-08-01"),
            cmd::place_order(order, b.dun, 50, "10.00"),
            cmd::ship_order(shipment, order, LOT, 20),
            cmd::issue_invoice(invoice, b.dun, Some((shipment, 10)), "100.00"),
            cmd::reverse_payment(pay),
            cmd::write_off_invoice(b.key_invoices[1], "1000.00"),
        ],
    );
    let read = |h: &Harness| -> Vec<Value> {
        (every_report(&b, head).into_iter())
            .map(|(field, args)| {
                let reply = h.api.report(h.tokens.of(Role::Finance), field, args);
                reply.field();
                reply.body
            })
            .collect()
    };
    let before = read(&h);
    h.restart_cleanly();
    assert_eq!(
        read(&h),
        before,
        "after a clean stop (the read models loaded)"
    );
    h.restart();
    assert_eq!(read(&h), before, "after a crash");
}

#[test]
fn a_salesperson_subscribed_to_alerts_is_pushed_only_their_customers() {
    let h = Harness::start();
    let b = role_books(&h);
    let (own, theirs) = (Uuid::new_v4(), Uuid::new_v4());
    h.api.all_ok(
        h.admin(),
        &[
            cmd::register_customer(own, OWN_REP),
            cmd::register_customer(theirs, OTHER_REP),
        ],
    );
    let mut sub = Subscriber::connect(&h.server.addr, h.tokens.of(Role::Sales)).unwrap();
    sub.subscribe("alerts", ALERTS_SUBSCRIPTION);
    let received = until_subscribed(&mut sub, || {
        held_order(&h, theirs);
        held_order(&h, own)
    });
    assert!(
        received.iter().all(|a| a["customerId"] == json!(own)),
        "{received:?}"
    );
    held_order(&h, theirs);
    let next = held_order(&h, own);
    assert_eq!(pushed(&sub.next())["id"], next.as_str(), "not rep-other's");
    assert_ne!(b.own, own);
}

#[test]
fn an_auditor_reads_the_reports_at_a_past_position_identically_after_later_commands() {
    let h = Harness::start();
    let b = role_books(&h);
    let auditor = h.tokens.of(Role::Auditor);
    let read = |p: u64| -> Vec<Value> {
        (report_calls(&b, p).into_iter())
            .map(|(field, args)| {
                let reply = h.api.report(auditor, field, args);
                reply.field();
                reply.body
            })
            .collect()
    };
    let before = read(b.head);
    // Later commands touching every report: a payment on own's invoice
    // (dated in the period), own's held order released, a backdated
    // invoice for theirs, a new customer, a new limit.
    let (pay, invoice, late) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    h.api.all_ok(
        h.admin(),
        &[
            more::service_invoice(invoice, b.own, "1000.00", "2026-06-10"),
            more::payment(pay, b.own, "1000.00", "2026-06-20"),
            cmd::allocate_payment(pay, invoice, "1000.00"),
            more::service_invoice(Uuid::new_v4(), b.theirs, "700000.00", "2026-06-15"),
            cmd::register_customer(late, OWN_REP),
            more::limit(b.own, "900000.00", "C"),
        ],
    );
    let held = h.api.report(
        h.tokens.of(Role::Finance),
        "creditExposure",
        json!({ "customerId": b.own, "knownAtPosition": at(b.head) }),
    );
    let order: Uuid = serde_json::from_value(held.field()["heldOrders"][0].clone()).unwrap();
    let head = position(&h.api.ok(h.admin(), &cmd::release_order(order))["position"]);
    assert_eq!(
        read(b.head),
        before,
        "the same answers at the same position"
    );
    let now = read(head);
    for ((field, _), (then, now)) in report_calls(&b, head).iter().zip(before.iter().zip(&now)) {
        assert_ne!(
            then, now,
            "{field} did not change at the head: the test proves nothing"
        );
    }
}

// ------------------------------------------------------------ bad input

#[test]
fn bad_report_arguments_are_refused_with_a_code_and_append_nothing() {
    let h = Harness::start();
    let b = role_books(&h);
    let finance = h.tokens.of(Role::Finance);
    let later = Uuid::new_v4();
    let head = h
        .api
        .all_ok(h.admin(), &[cmd::register_customer(later, OWN_REP)]);
    let (unknown, beyond) = (Uuid::new_v4(), at(head + 1_000));
    let usd = |mut args: Value| {
        args["currency"] = json!("USD");
        args
    };
    let cases = [
        ("dso", usd(json!({ "periodDays": 0 })), "INVALID_INPUT"),
        ("dso", usd(json!({ "periodDays": -1 })), "INVALID_INPUT"),
        ("dso", usd(json!({ "periodDays": 3661 })), "INVALID_INPUT"),
        ("dso", json!({ "currency": "XYZ" }), "INVALID_INPUT"),
        ("dso", json!({ "currency": "dollars" }), "INVALID_INPUT"),
        ("dso", usd(json!({ "customerId": unknown })), "NOT_FOUND"),
        (
            "dso",
            usd(json!({ "knownAtPosition": beyond })),
            "INVALID_INPUT",
        ),
        ("dsoTrend", usd(json!({ "months": 0 })), "INVALID_INPUT"),
        ("dsoTrend", usd(json!({ "months": 121 })), "INVALID_INPUT"),
        ("dsoTrend", usd(json!({ "periodDays": 0 })), "INVALID_INPUT"),
        ("dsoTrend", json!({ "currency": "XYZ" }), "INVALID_INPUT"),
        (
            "creditExposure",
            json!({ "customerId": unknown }),
            "NOT_FOUND",
        ),
        (
            "creditExposure",
            json!({ "customerId": later, "knownAtPosition": at(b.head) }),
            "NOT_FOUND",
        ),
        ("creditExposures", json!({ "first": 1001 }), "INVALID_INPUT"),
        ("creditExposures", json!({ "first": 0 }), "INVALID_INPUT"),
        (
            "creditExposures",
            json!({ "after": "no such customer" }),
            "INVALID_INPUT",
        ),
        (
            "creditExposures",
            json!({ "knownAtPosition": beyond }),
            "INVALID_INPUT",
        ),
        ("alerts", json!({ "first": 1001 }), "INVALID_INPUT"),
        ("alerts", json!({ "first": -1 }), "INVALID_INPUT"),
        (
            "alerts",
            json!({ "after": "no such alert" }),
            "INVALID_INPUT",
        ),
    ];
    for (field, args, code) in cases {
        let reply = h.api.report(finance, field, args.clone());
        assert_eq!(
            reply.code().as_deref(),
            Some(code),
            "{field}({args}): HTTP {} {}",
            reply.status,
            reply.body
        );
        assert_eq!(reply.body["data"], Value::Null, "{field}({args})");
    }
    assert_eq!(
        h.api.head(h.admin()),
        head,
        "a refused read appends nothing"
    );
    let own = h
        .api
        .report(finance, "creditExposure", json!({ "customerId": b.own }));
    assert_eq!(own.field()["customerId"], json!(b.own));
}
