//! Given/when/then rules of collections alerts at (D, p) (read-models.md
//! "Collections and early warning"): each default rule firing on its day
//! and not the day before, the escalation levels, risky grades, key
//! amounts, the customer total, disputes, promises to pay, held orders and
//! a changed setting; each on a small history reached through `decide`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

mod support;

use arledger_core::domain::Command;
use arledger_core::domain::commands::{RecordCollectionActivity, SetCreditLimit};
use arledger_core::domain::types::{CollectionChannel, RiskGrade};
use arledger_projections::alerts::{Alert, AlertQuery, AlertSettings, Escalation, alerts};
use arledger_projections::credit::Credit;
use arledger_projections::receivables::Receivables;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use support::*;

/// Both read models fed the whole history.
fn read_models(h: &History) -> (Receivables, Credit) {
    (h.fed(h.head()), h.fed(h.head()))
}

/// The alerts on `on` at the head, with `settings`.
fn alerts_with(h: &History, on: &str, settings: &AlertSettings) -> Vec<Alert> {
    let (r, c) = read_models(h);
    let query = AlertQuery {
        as_of: d(on),
        known_at_position: h.head(),
        customer: None,
        scope: None,
    };
    alerts(&r, &c, settings, &query)
}

/// The alerts on `on` at the head, with the default settings.
fn alerts_on(h: &History, on: &str) -> Vec<Alert> {
    alerts_with(h, on, &AlertSettings::default())
}

/// (reason code, level, role) of each alert.
fn codes(alerts: &[Alert]) -> Vec<(String, i32, String)> {
    let mut out: Vec<_> = (alerts.iter())
        .map(|a| (a.reason_code.clone(), a.level, a.assignee_role.clone()))
        .collect();
    out.sort();
    out
}

fn code(c: &str, level: i32, role: &str) -> (String, i32, String) {
    (c.to_string(), level, role.to_string())
}

fn limit(grade: RiskGrade, amount: Decimal) -> Command {
    Command::SetCreditLimit(SetCreditLimit {
        customer_id: customer(1),
        limit: amount,
        currency: "USD".into(),
        grade,
        reason: "review".into(),
    })
}

/// Customer 1 of `grade` with one USD service invoice of `amount`, net 30,
/// dated 2026-01-01: due 2026-01-31.
fn one_invoice(grade: RiskGrade, amount: Decimal) -> History {
    let mut h = History::new();
    h.run(register(customer(1), "City Hospital", "East", "sam"));
    h.run(limit(grade, dec!(10_000_000.00)));
    let inv = ("2026-01-01", "USD");
    h.run(service_invoice(
        invoice_id(1),
        customer(1),
        "INV-1",
        inv,
        amount,
        net(30),
    ));
    h
}

#[test]
fn the_reminder_comes_seven_days_before_due_and_not_the_day_before() {
    let h = one_invoice(RiskGrade::A, dec!(1000.00));
    assert!(alerts_on(&h, "2026-01-23").is_empty());
    let soon = alerts_on(&h, "2026-01-24");
    assert_eq!(codes(&soon), vec![code("DUE_SOON", 1, "sales")]);
    assert_eq!(soon[0].amount, Some(dec!(1000.00)));
    assert_eq!(soon[0].due_date, Some(d("2026-01-31")));
    assert_eq!(
        codes(&alerts_on(&h, "2026-01-30")),
        vec![code("DUE_SOON", 1, "sales")]
    );
}

#[test]
fn risky_grades_get_the_reminder_fifteen_days_before_due() {
    for grade in [RiskGrade::C, RiskGrade::D] {
        let h = one_invoice(grade, dec!(1000.00));
        assert!(alerts_on(&h, "2026-01-15").is_empty(), "{grade:?}");
        assert_eq!(
            codes(&alerts_on(&h, "2026-01-16")),
            vec![code("DUE_SOON", 1, "sales")]
        );
    }
    let b = one_invoice(RiskGrade::B, dec!(1000.00));
    assert!(alerts_on(&b, "2026-01-16").is_empty());
}

#[test]
fn the_due_date_notices_sales_and_finance() {
    let h = one_invoice(RiskGrade::A, dec!(1000.00));
    let today = alerts_on(&h, "2026-01-31");
    assert_eq!(
        codes(&today),
        vec![
            code("DUE_TODAY", 2, "finance"),
            code("DUE_TODAY", 2, "sales")
        ]
    );
    let late = alerts_on(&h, "2026-02-01");
    assert_eq!(
        codes(&late),
        vec![code("OVERDUE", 2, "finance"), code("OVERDUE", 2, "sales")]
    );
}

#[test]
fn escalation_levels_come_at_15_30_and_60_days_overdue() {
    let h = one_invoice(RiskGrade::A, dec!(1000.00));
    let steps = [
        (
            "2026-02-14",
            vec![code("OVERDUE", 2, "finance"), code("OVERDUE", 2, "sales")],
        ),
        ("2026-02-15", vec![code("OVERDUE_15", 3, "sales_manager")]),
        ("2026-03-01", vec![code("OVERDUE_15", 3, "sales_manager")]),
        ("2026-03-02", vec![code("OVERDUE_30", 4, "finance_manager")]),
        ("2026-03-31", vec![code("OVERDUE_30", 4, "finance_manager")]),
        (
            "2026-04-01",
            vec![code("OVERDUE_60", 5, "finance_director")],
        ),
    ];
    for (on, expected) in steps {
        assert_eq!(codes(&alerts_on(&h, on)), expected, "on {on}");
    }
}

#[test]
fn a_risky_customer_gets_a_new_daily_task_each_day_it_is_overdue() {
    let h = one_invoice(RiskGrade::D, dec!(1000.00));
    assert!(
        !alerts_on(&h, "2026-01-31")
            .iter()
            .any(|a| a.reason_code == "DAILY_TASK")
    );
    let task = |on: &str| {
        let all = alerts_on(&h, on);
        let tasks: Vec<&Alert> = all
            .iter()
            .filter(|a| a.reason_code == "DAILY_TASK")
            .collect();
        assert_eq!(tasks.len(), 1, "on {on}");
        (tasks[0].id.clone(), tasks[0].assignee_role.clone())
    };
    let (first, role) = task("2026-02-01");
    let (second, _) = task("2026-02-02");
    assert_eq!(role, "finance");
    assert_ne!(first, second, "each day's task is a new alert");
}

#[test]
fn an_item_of_the_key_amount_is_monitored_from_issue() {
    let key = one_invoice(RiskGrade::A, dec!(500_000.00));
    assert!(
        alerts_on(&key, "2025-12-31").is_empty(),
        "not before it is issued"
    );
    let issued = alerts_on(&key, "2026-01-01");
    assert_eq!(
        codes(&issued),
        vec![code("KEY_AMOUNT", 2, "finance_manager")]
    );
    let below = one_invoice(RiskGrade::A, dec!(499_999.99));
    assert!(alerts_on(&below, "2026-01-01").is_empty());
}

#[test]
fn a_customer_overdue_by_a_million_in_total_goes_to_management() {
    let mut h = one_invoice(RiskGrade::A, dec!(400_000.00));
    let inv = ("2026-01-01", "USD");
    h.run(service_invoice(
        invoice_id(2),
        customer(1),
        "INV-2",
        inv,
        dec!(599_999.99),
        net(30),
    ));
    let is_total = |a: &Alert| a.reason_code == "CUSTOMER_OVERDUE_TOTAL";
    assert!(
        !alerts_on(&h, "2026-02-01").iter().any(is_total),
        "999,999.99"
    );
    h.run(service_invoice(
        invoice_id(3),
        customer(1),
        "INV-3",
        inv,
        dec!(0.01),
        net(30),
    ));
    assert!(
        !alerts_on(&h, "2026-01-31").iter().any(is_total),
        "not overdue yet"
    );
    let all = alerts_on(&h, "2026-02-01");
    let total: Vec<&Alert> = all.iter().filter(|a| is_total(a)).collect();
    assert_eq!(total.len(), 1);
    assert_eq!(
        (total[0].level, total[0].amount),
        (5, Some(dec!(1_000_000.00)))
    );
    assert_eq!(total[0].assignee_role, "management");
}

#[test]
fn a_disputed_amount_raises_no_dunning() {
    let mut h = one_invoice(RiskGrade::A, dec!(1000.00));
    h.run(open_dispute(invoice_id(1), dec!(1000.00), "2026-01-20"));
    assert!(alerts_on(&h, "2026-02-20").is_empty());
    h.run(resolve_dispute(invoice_id(1), "2026-02-21"));
    h.run(open_dispute(invoice_id(1), dec!(400.00), "2026-02-21"));
    let partly = alerts_on(&h, "2026-02-22");
    assert_eq!(codes(&partly), vec![code("OVERDUE_15", 3, "sales_manager")]);
    assert_eq!(
        partly[0].amount,
        Some(dec!(600.00)),
        "only the undisputed part"
    );
}

fn promise(on: &str, promised: &str) -> Command {
    Command::RecordCollectionActivity(RecordCollectionActivity {
        customer_id: customer(1),
        invoice_ids: vec![invoice_id(1)],
        channel: CollectionChannel::Call,
        outcome: "will pay".into(),
        promised_pay_date: Some(d(promised)),
        on: d(on),
    })
}

#[test]
fn a_promise_to_pay_quiets_the_customer_until_three_days_after_it() {
    let mut h = one_invoice(RiskGrade::A, dec!(1000.00));
    h.run(promise("2026-02-10", "2026-02-20"));
    assert!(!alerts_on(&h, "2026-02-09").is_empty(), "before the call");
    for on in ["2026-02-10", "2026-02-20", "2026-02-23"] {
        assert!(alerts_on(&h, on).is_empty(), "quiet on {on}");
    }
    assert_eq!(
        codes(&alerts_on(&h, "2026-02-24")),
        vec![code("OVERDUE_15", 3, "sales_manager")]
    );
}

#[test]
fn a_held_order_raises_an_alert_until_it_is_released() {
    let mut h = History::new();
    h.run(register(customer(1), "City Hospital", "East", "sam"));
    for command in goods_master_data() {
        h.run(command);
    }
    h.run(place_order(order_id(1), customer(1), "USD", 3));
    let held = alerts_on(&h, "2026-01-02");
    assert_eq!(codes(&held), vec![code("ORDER_HELD", 3, "finance_manager")]);
    assert_eq!(held[0].amount, Some(dec!(300.00)));
    assert!(
        alerts_on(&h, "2026-01-01").is_empty(),
        "not before it was placed"
    );
    h.run(release_order(order_id(1)));
    assert!(alerts_on(&h, "2026-01-02").is_empty());
}

#[test]
fn a_changed_setting_takes_effect() {
    let h = one_invoice(RiskGrade::A, dec!(1000.00));
    let settings = AlertSettings {
        reminder_days_before_due: 10,
        escalations: vec![Escalation {
            days: 5,
            role: "collections_agency".into(),
        }],
        ..AlertSettings::default()
    };
    assert!(alerts_with(&h, "2026-01-20", &settings).is_empty());
    assert_eq!(
        codes(&alerts_with(&h, "2026-01-21", &settings)),
        vec![code("DUE_SOON", 1, "sales")]
    );
    assert_eq!(
        codes(&alerts_with(&h, "2026-02-05", &settings)),
        vec![code("OVERDUE_5", 3, "collections_agency")]
    );
}

#[test]
fn bad_settings_are_refused_by_name() {
    let bad = [
        (
            AlertSettings {
                escalations: vec![
                    Escalation {
                        days: 30,
                        role: "a".into(),
                    },
                    Escalation {
                        days: 15,
                        role: "b".into(),
                    },
                ],
                ..AlertSettings::default()
            },
            "escalations",
        ),
        (
            AlertSettings {
                key_amount: Decimal::ZERO,
                ..AlertSettings::default()
            },
            "key_amount",
        ),
        (
            AlertSettings {
                reminder_role: "Sales Team".into(),
                ..AlertSettings::default()
            },
            "reminder_role",
        ),
    ];
    for (settings, name) in bad {
        assert_eq!(settings.validate().unwrap_err().name, name);
    }
    AlertSettings::default().validate().unwrap();
}

#[test]
fn an_alert_keeps_its_id_as_days_and_positions_pass() {
    let mut h = one_invoice(RiskGrade::A, dec!(1000.00));
    let before = alerts_on(&h, "2026-02-16");
    h.run(register(customer(2), "Other Clinic", "West", "kim"));
    let after = alerts_on(&h, "2026-02-17");
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].id, after[0].id);
    let (r, c) = read_models(&h);
    let at_earlier = AlertQuery {
        as_of: d("2026-02-16"),
        known_at_position: h.head() - 1,
        customer: None,
        scope: None,
    };
    assert_eq!(
        alerts(&r, &c, &AlertSettings::default(), &at_earlier),
        before
    );
}
