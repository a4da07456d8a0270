//! DSO and collection ratios (read-models.md "DSO and collection ratios"),
//! computed by hand: the arithmetic of every expected figure is written
//! next to it. The books are a real ledger on sled in a temp dir; the
//! projection engine follows it and each test waits on the engine's
//! checkpoint (`Engine::wait_for`) before it asks.
//!
//! Unless a test says otherwise: D = 2026-06-30, N = 90, USD, so the
//! period is (D - N, D] = (2026-04-01, 2026-06-30]: an invoice dated
//! 2026-04-01 is not a credit sale of the period but is open at its start.
//! Every figure is shown as `projections/src/receivables/dso.rs` documents
//! it: amounts at the currency's 2 decimals, days and CEI at 2 decimals,
//! rounded once, half away from zero.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

mod support;

use std::sync::Arc;
use std::time::Duration;

use arledger_core::clock::ManualClock;
use arledger_core::domain::Command;
use arledger_core::domain::commands::UpdateCustomer;
use arledger_core::ids::{CustomerId, InvoiceId};
use arledger_core::log::{Ledger, LedgerOptions};
use arledger_core::money::Currency;
use arledger_core::sample;
use arledger_projections::engine::{Engine, Handle};
use arledger_projections::receivables::{
    AgingError, DsoQuery, DsoReport, PERIOD_DAYS_MAX, Receivables, Scope, TREND_MONTHS_MAX,
};
use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use support::{
    allocate, credit_note, customer, d, invoice_id, net, payment, payment_id, register,
    service_invoice, update_region,
};

const WAIT: Duration = Duration::from_secs(60);

/// A ledger in a temp dir with the receivables projection run by the
/// engine. Fields drop in order: the engine stops before the dir goes.
struct Books {
    engine: Engine,
    receivables: Handle<Receivables>,
    ledger: Ledger,
    _dir: tempfile::TempDir,
}

impl Books {
    fn open() -> Books {
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).unwrap());
        let ledger = Ledger::open(dir.path(), LedgerOptions::new(Arc::new(clock))).unwrap();
        let mut builder = Engine::builder(&ledger);
        let receivables = builder.add::<Receivables>().unwrap();
        let engine = builder.start().unwrap();
        Books {
            engine,
            receivables,
            ledger,
            _dir: dir,
        }
    }

    /// Submits `command` as admin (it must be accepted), waits until the
    /// engine has applied it, and returns the position of its last event.
    fn run(&self, command: Command) -> u64 {
        let name = command.name();
        let outcome = self
            .ledger
            .submit(sample::submit(command))
            .unwrap_or_else(|e| panic!("{name} was refused: {e}"));
        self.engine.wait_for(outcome.last_position, WAIT).unwrap();
        outcome.last_position
    }

    fn head(&self) -> u64 {
        self.ledger.head().position
    }

    /// A USD service invoice, net 30 (due 30 days after `on`).
    fn invoice(&self, n: u128, c: CustomerId, on: &str, amount: Decimal) -> u64 {
        self.invoice_in(n, c, (on, "USD"), amount)
    }

    fn invoice_in(&self, n: u128, c: CustomerId, dated: (&str, &str), amount: Decimal) -> u64 {
        let number = format!("INV-{n}");
        self.run(service_invoice(
            invoice_id(n),
            c,
            &number,
            dated,
            amount,
            net(30),
        ))
    }

    /// A USD payment received `on`, allocated in full to `invoice`.
    fn paid(&self, n: u128, c: CustomerId, invoice: InvoiceId, on: &str, amount: Decimal) {
        self.run(payment(payment_id(n), c, (on, "USD"), amount, false));
        self.run(allocate(payment_id(n), invoice, amount, None));
    }

    fn dso(&self, query: &DsoQuery) -> DsoReport {
        self.receivables.read().dso(query).unwrap()
    }
}

/// The query for D = `as_of`, N = 90, USD, everyone, at position `p`.
fn query(as_of: &str, p: u64) -> DsoQuery {
    DsoQuery {
        as_of: d(as_of),
        known_at_position: p,
        period_days: 90,
        currency: Currency::USD,
        customer: None,
        region: None,
        salesperson: None,
        scope: None,
    }
}

/// The report's figures as printed, labelled ("none" for a `None`):
/// AR(D), S, not due, DSO, countback DSO, best possible DSO, average days
/// delinquent, CEI.
fn figures(r: &DsoReport) -> Vec<String> {
    let days = |label: &str, v: Option<Decimal>| match v {
        Some(v) => format!("{label} {v}"),
        None => format!("{label} none"),
    };
    vec![
        format!("AR {}", r.receivables),
        format!("S {}", r.credit_sales),
        format!("not due {}", r.not_due),
        days("DSO", r.dso),
        days("countback", r.countback_dso),
        days("best", r.best_possible_dso),
        days("ADD", r.average_days_delinquent),
        days("CEI", r.cei),
    ]
}

// ---------------------------------------------------------------------------
// The main example: three customers
// ---------------------------------------------------------------------------

const C1: u128 = 1; // City Hospital, region East, salesperson sam
const C2: u128 = 2; // Lake Clinic, region West, salesperson kim
const C3: u128 = 3; // Hill Dealer, region East, salesperson kim

/// City Hospital (all USD, net 30):
/// - INV-11 2026-03-10 600.00 (due 04-09), paid in full 2026-04-20: open
///   at the period start, settled by D;
/// - INV-12 2026-04-15 1,000.00 (due 05-15), 400.00 paid 2026-06-10: open
///   600.00 at D, overdue;
/// - INV-13 2026-05-20 800.00 (due 06-19): open, overdue;
/// - INV-14 2026-06-10 1,200.00 (due 07-10), credit note 200.00 dated
///   2026-06-20: open 1,000.00, not due;
/// - INV-15 2026-07-02 999.00: dated after D, absent;
/// - 100.00 received 2026-06-28 and not allocated: AR(D) is gross, it
///   does not count.
fn city_hospital(b: &Books) {
    let c = customer(C1);
    b.run(register(c, "City Hospital", "East", "sam"));
    b.invoice(11, c, "2026-03-10", dec!(600.00));
    b.paid(11, c, invoice_id(11), "2026-04-20", dec!(600.00));
    b.invoice(12, c, "2026-04-15", dec!(1000.00));
    b.paid(12, c, invoice_id(12), "2026-06-10", dec!(400.00));
    b.invoice(13, c, "2026-05-20", dec!(800.00));
    b.invoice(14, c, "2026-06-10", dec!(1200.00));
    b.run(credit_note(1, invoice_id(14), dec!(200.00), "2026-06-20"));
    b.invoice(15, c, "2026-07-02", dec!(999.00));
    b.run(payment(
        payment_id(13),
        c,
        ("2026-06-28", "USD"),
        dec!(100.00),
        false,
    ));
}

/// Lake Clinic: INV-21 2026-05-31 500.00 USD, due 06-30 = D: not due
/// (due on or after D); INV-22 2026-06-01 700.00 CNY, due 07-01.
/// Hill Dealer: INV-31 2026-04-01 250.00 (the period's first day is
/// 04-02), paid in full 2026-06-15; INV-32 2026-05-01 300.00, due 05-31:
/// open, overdue.
fn the_others(b: &Books) {
    let (c2, c3) = (customer(C2), customer(C3));
    b.run(register(c2, "Lake Clinic", "West", "kim"));
    b.run(register(c3, "Hill Dealer", "East", "kim"));
    b.invoice(21, c2, "2026-05-31", dec!(500.00));
    b.invoice_in(22, c2, ("2026-06-01", "CNY"), dec!(700.00));
    b.invoice(31, c3, "2026-04-01", dec!(250.00));
    b.paid(31, c3, invoice_id(31), "2026-06-15", dec!(250.00));
    b.invoice(32, c3, "2026-05-01", dec!(300.00));
}

fn three_customers() -> Books {
    let b = Books::open();
    city_hospital(&b);
    the_others(&b);
    b
}

#[test]
fn standard_best_possible_delinquent_cei_and_countback_of_one_customer() {
    let b = three_customers();
    let q = DsoQuery {
        customer: Some(customer(C1)),
        ..query("2026-06-30", b.head())
    };
    let r = b.dso(&q);
    assert_eq!(
        (r.as_of_date, r.period_days, r.currency),
        (d("2026-06-30"), 90, Currency::USD)
    );
    assert_eq!(
        figures(&r),
        [
            // INV-12 600 + INV-13 800 + INV-14 1,000 (INV-11 settled,
            // INV-15 after D, the 100 on account not netted).
            "AR 2400.00",
            // Dated in (04-01, 06-30]: INV-12 1,000 + INV-13 800 + INV-14
            // 1,200 - the credit note of 06-20 200 = 2,800.
            "S 2800.00",
            // INV-14, due 07-10.
            "not due 1000.00",
            // 2,400 × 90 / 2,800 = 77.142857...
            "DSO 77.14",
            // From D back: June's sales 1,200 - 200 = 1,000 < 2,400: 30 days,
            // 1,400 left; May's 800 < 1,400: 31 days, 600 left; April's
            // 1,000 >= 600: 30 × 600 / 1,000 = 18. 30 + 31 + 18 = 79.
            "countback 79.00",
            // 1,000 × 90 / 2,800 = 32.142857...
            "best 32.14",
            // 77.142857... - 32.142857... = 1,400 × 90 / 2,800 = 45.
            "ADD 45.00",
            // AR(04-01) = INV-11 600 (paid 04-20). (600 + 2,800 - 2,400) /
            // (600 + 2,800 - 1,000) × 100 = 1,000 / 2,400 × 100 = 41.666...
            "CEI 41.67",
        ]
    );
    // Exact Decimals, at the documented scale.
    assert_eq!(r.dso, Some(dec!(77.14)));
    assert_eq!(r.dso.map(|v| v.scale()), Some(2));
    assert_eq!(r.countback_dso, Some(dec!(79.00)));
    assert_eq!(r.best_possible_dso, Some(dec!(32.14)));
    assert_eq!(r.average_days_delinquent, Some(dec!(45.00)));
    assert_eq!(r.cei, Some(dec!(41.67)));
    assert_eq!(r.receivables.scale(), 2);
}

#[test]
fn everyone_in_usd_and_the_other_currency_apart() {
    let b = three_customers();
    let all = b.dso(&query("2026-06-30", b.head()));
    assert_eq!(
        figures(&all),
        [
            // City 2,400 + Lake INV-21 500 + Hill INV-32 300.
            "AR 3200.00",
            // City 2,800 + INV-21 500 + INV-32 300 (INV-31 is dated 04-01,
            // outside the period; INV-22 is CNY).
            "S 3600.00",
            // INV-14 1,000 + INV-21 500 (due on D).
            "not due 1500.00",
            // 3,200 × 90 / 3,600 = 80.
            "DSO 80.00",
            // June: 1,000 (City) < 3,200: 30 days, 2,200 left; May: 800 +
            // 300 + 500 = 1,600: 31 days, 600 left; April: 1,000 + 250
            // (INV-31) = 1,250: 30 × 600 / 1,250 = 14.4. 75.4.
            "countback 75.40",
            // 1,500 × 90 / 3,600 = 37.5.
            "best 37.50",
            // 80 - 37.5.
            "ADD 42.50",
            // AR(04-01) = INV-11 600 + INV-31 250 = 850. (850 + 3,600 -
            // 3,200) / (850 + 3,600 - 1,500) × 100 = 1,250 / 2,950 × 100 =
            // 42.372...
            "CEI 42.37",
        ]
    );
    let cny = b.dso(&DsoQuery {
        currency: Currency::CNY,
        ..query("2026-06-30", b.head())
    });
    assert_eq!(cny.currency, Currency::CNY);
    assert_eq!(
        figures(&cny),
        [
            "AR 700.00",
            "S 700.00",
            // INV-22 is due 07-01.
            "not due 700.00",
            // 700 × 90 / 700.
            "DSO 90.00",
            // June's sales 700 >= 700: 30 × 700 / 700.
            "countback 30.00",
            "best 90.00",
            "ADD 0.00",
            // (0 + 700 - 700) / (0 + 700 - 700): the divisor is 0.
            "CEI none",
        ]
    );
}

#[test]
fn scope_by_region_salesperson_and_the_callers_scope() {
    let b = three_customers();
    let p = b.head();
    let east = b.dso(&DsoQuery {
        region: Some("East".into()),
        ..query("2026-06-30", p)
    });
    assert_eq!(
        figures(&east),
        [
            // City Hospital and Hill Dealer: 2,400 + 300.
            "AR 2700.00",
            // 2,800 + 300.
            "S 3100.00",
            "not due 1000.00",
            // 2,700 × 90 / 3,100 = 78.387...
            "DSO 78.39",
            // June 1,000: 30 days, 1,700 left; May 800 + 300 = 1,100: 31
            // days, 600 left; April 1,000 + 250: 30 × 600 / 1,250 = 14.4.
            "countback 75.40",
            // 1,000 × 90 / 3,100 = 29.032...
            "best 29.03",
            // 1,700 × 90 / 3,100 = 49.354... (from the unrounded figures:
            // 78.39 - 29.03 would be 49.36).
            "ADD 49.35",
            // AR(04-01) = 600 + 250. (850 + 3,100 - 2,700) / (850 + 3,100
            // - 1,000) × 100 = 1,250 / 2,950 × 100 = 42.372...
            "CEI 42.37",
        ]
    );
    let kim = DsoQuery {
        salesperson: Some("kim".into()),
        ..query("2026-06-30", p)
    };
    assert_eq!(
        figures(&b.dso(&kim)),
        [
            // Lake Clinic INV-21 500 + Hill Dealer INV-32 300.
            "AR 800.00",
            "S 800.00",
            // INV-21, due on D.
            "not due 500.00",
            // 800 × 90 / 800.
            "DSO 90.00",
            // June has no sales of theirs: used up whole, 30 days; May 500
            // + 300 = 800 >= 800: 31 × 800 / 800 = 31. 61.
            "countback 61.00",
            // 500 × 90 / 800 = 56.25.
            "best 56.25",
            "ADD 33.75",
            // AR(04-01) = INV-31 250. (250 + 800 - 800) / (250 + 800 - 500)
            // × 100 = 250 / 550 × 100 = 45.4545...
            "CEI 45.45",
        ]
    );
    let hill = figures(&b.dso(&DsoQuery {
        region: Some("East".into()),
        ..kim.clone()
    }));
    // Hill Dealer alone: AR 300, S 300, nothing due later; DSO 300 × 90 /
    // 300 = 90; countback June (none) 30 + May 31 × 300 / 300 = 61; best
    // 0; ADD 90; CEI (250 + 300 - 300) / (250 + 300 - 0) × 100 = 45.45.
    let expected = [
        "AR 300.00",
        "S 300.00",
        "not due 0.00",
        "DSO 90.00",
        "countback 61.00",
        "best 0.00",
        "ADD 90.00",
        "CEI 45.45",
    ];
    assert_eq!(hill, expected);
    // The caller's scope narrows as the filters do.
    let scoped = b.dso(&DsoQuery {
        scope: Some(Scope::Customers(vec![customer(C3)])),
        ..query("2026-06-30", p)
    });
    assert_eq!(figures(&scoped), expected);
    let scoped = b.dso(&DsoQuery {
        scope: Some(Scope::Salesperson("kim".into())),
        ..query("2026-06-30", p)
    });
    assert_eq!(figures(&scoped), figures(&b.dso(&kim)));
}

#[test]
fn a_region_or_salesperson_is_the_one_known_at_p() {
    let b = three_customers();
    let before = b.head();
    // Hill Dealer moves to the West and to salesperson sam.
    b.run(update_region(customer(C3), "West"));
    let moved = b.run(Command::UpdateCustomer(UpdateCustomer {
        customer_id: customer(C3),
        name: None,
        kind: None,
        region: None,
        salesperson_id: Some("sam".into()),
        tax_id: None,
    }));
    let east = |p: u64| {
        let r = b.dso(&DsoQuery {
            region: Some("East".into()),
            ..query("2026-06-30", p)
        });
        (r.receivables, r.credit_sales)
    };
    // Known at `before`: City Hospital and Hill Dealer, 2,400 + 300 and
    // 2,800 + 300; then City Hospital alone.
    assert_eq!(east(before), (dec!(2700.00), dec!(3100.00)));
    assert_eq!(east(moved), (dec!(2400.00), dec!(2800.00)));
    let sam = |p: u64| {
        b.dso(&DsoQuery {
            salesperson: Some("sam".into()),
            ..query("2026-06-30", p)
        })
        .receivables
    };
    assert_eq!((sam(before), sam(moved)), (dec!(2400.00), dec!(2700.00)));
}

#[test]
fn no_credit_sales_in_scope_gives_no_ratios() {
    let b = three_customers();
    let nobody = b.dso(&DsoQuery {
        region: Some("Nowhere".into()),
        ..query("2026-06-30", b.head())
    });
    assert_eq!(
        figures(&nobody),
        [
            "AR 0.00",
            "S 0.00",
            "not due 0.00",
            "DSO none",
            // Nothing open: nothing to count back.
            "countback 0.00",
            "best none",
            "ADD none",
            "CEI none",
        ]
    );
    let unknown = customer(99);
    assert_eq!(
        b.receivables.read().dso(&DsoQuery {
            customer: Some(unknown),
            ..query("2026-06-30", b.head())
        }),
        Err(AgingError::UnknownCustomer {
            customer: unknown,
            known_at_position: b.head()
        })
    );
}

// ---------------------------------------------------------------------------
// Credit notes, zero sales, rounding
// ---------------------------------------------------------------------------

#[test]
fn credit_notes_dated_in_the_period_reduce_credit_sales() {
    let b = Books::open();
    let c = customer(4);
    b.run(register(c, "River Hospital", "North", "lee"));
    // INV-41 2026-03-15 1,000.00 (due 04-14), before the period, with a
    // credit note of 50.00 dated 03-20 (before the period too).
    b.invoice(41, c, "2026-03-15", dec!(1000.00));
    b.run(credit_note(41, invoice_id(41), dec!(50.00), "2026-03-20"));
    // INV-42 2026-05-10 2,000.00, net 60 (due 07-09), with a credit note of
    // 300.00 dated 07-05, after D.
    b.run(service_invoice(
        invoice_id(42),
        c,
        "INV-42",
        ("2026-05-10", "USD"),
        dec!(2000.00),
        net(60),
    ));
    let before_note = b.run(credit_note(43, invoice_id(42), dec!(300.00), "2026-07-05"));
    // Recorded last, dated 05-05 (in the period, though its invoice is
    // not): a credit note of 100.00 on INV-41.
    b.run(credit_note(42, invoice_id(41), dec!(100.00), "2026-05-05"));
    let q = DsoQuery {
        customer: Some(c),
        ..query("2026-06-30", b.head())
    };
    assert_eq!(
        figures(&b.dso(&q)),
        [
            // INV-41 1,000 - 50 - 100 = 850 + INV-42 2,000 (its note is
            // dated after D).
            "AR 2850.00",
            // INV-42 2,000 - the 05-05 note 100 (the 03-20 one is before the
            // period, the 07-05 one after D).
            "S 1900.00",
            "not due 2000.00",
            // 2,850 × 90 / 1,900 = 135.
            "DSO 135.00",
            // June none: 30; May 2,000 - 100 = 1,900: 31 days, 950 left;
            // April none: 30; March 1,000 - 50 = 950 >= 950: 31. 122.
            "countback 122.00",
            // 2,000 × 90 / 1,900 = 94.736...
            "best 94.74",
            // 850 × 90 / 1,900 = 40.263...
            "ADD 40.26",
            // AR(04-01) = 1,000 - 50 = 950. (950 + 1,900 - 2,850) / (950 +
            // 1,900 - 2,000) = 0 / 850.
            "CEI 0.00",
        ]
    );
    // As known before the 05-05 note was recorded (same D): AR 950 + 2,000
    // = 2,950, S 2,000, DSO 2,950 × 90 / 2,000 = 132.75; best 2,000 × 90
    // / 2,000 = 90; ADD 42.75.
    let then = b.dso(&DsoQuery {
        known_at_position: before_note,
        ..q.clone()
    });
    assert_eq!(
        (then.receivables, then.credit_sales, then.dso),
        (dec!(2950.00), dec!(2000.00), Some(dec!(132.75)))
    );
    assert_eq!(
        (then.best_possible_dso, then.average_days_delinquent),
        (Some(dec!(90.00)), Some(dec!(42.75)))
    );
}

#[test]
fn zero_credit_sales_give_no_dso_best_possible_or_delinquency() {
    let b = Books::open();
    let c = customer(5);
    b.run(register(c, "Valley Clinic", "South", "lee"));
    // INV-51 2026-01-10 400.00 (due 02-09), open; INV-52 2026-06-05 250.00
    // credited in full on 06-06: S = 250 - 250 = 0.
    b.invoice(51, c, "2026-01-10", dec!(400.00));
    b.invoice(52, c, "2026-06-05", dec!(250.00));
    b.run(credit_note(51, invoice_id(52), dec!(250.00), "2026-06-06"));
    let r = b.dso(&DsoQuery {
        customer: Some(c),
        ..query("2026-06-30", b.head())
    });
    assert_eq!(r.dso, None, "undefined, not zero nor infinite");
    assert_eq!(
        figures(&r),
        [
            "AR 400.00",
            "S 0.00",
            "not due 0.00",
            "DSO none",
            // Months without sales are used up whole: June 30 + May 31 +
            // April 30 + March 31 + February 28 = 150; January's 400 >= 400:
            // 31 × 400 / 400 = 31. 181.
            "countback 181.00",
            "best none",
            "ADD none",
            // AR(04-01) 400. (400 + 0 - 400) / (400 + 0 - 0) = 0.
            "CEI 0.00",
        ]
    );
}

#[test]
fn figures_are_rounded_half_away_from_zero() {
    let b = Books::open();
    let c = customer(6);
    b.run(register(c, "Bay Hospital", "South", "lee"));
    // N = 8: the period is (06-22, 06-30]. INV-61 2026-05-01 869.00 (due
    // 05-31), INV-62 2026-06-25 1,600.00 (due 07-25).
    b.invoice(61, c, "2026-05-01", dec!(869.00));
    b.invoice(62, c, "2026-06-25", dec!(1600.00));
    let r = b.dso(&DsoQuery {
        customer: Some(c),
        period_days: 8,
        ..query("2026-06-30", b.head())
    });
    assert_eq!(
        figures(&r),
        [
            "AR 2469.00",
            "S 1600.00",
            "not due 1600.00",
            // 2,469 × 8 / 1,600 = 12.345 exactly: half away from zero, not
            // to even (which would give 12.34).
            "DSO 12.35",
            // June 1,600 < 2,469: 30 days, 869 left; May 869: 31. 61.
            "countback 61.00",
            // 1,600 × 8 / 1,600.
            "best 8.00",
            // 869 × 8 / 1,600 = 4.345 exactly.
            "ADD 4.35",
            // AR(06-22) 869. (869 + 1,600 - 2,469) / (869 + 1,600 - 1,600).
            "CEI 0.00",
        ]
    );
}

// ---------------------------------------------------------------------------
// Trend and refusals
// ---------------------------------------------------------------------------

/// A trend point's date and figures.
fn point(r: &DsoReport) -> (String, Vec<String>) {
    (r.as_of_date.to_string(), figures(r))
}

fn owned(figures: [&str; 8]) -> Vec<String> {
    figures.iter().map(ToString::to_string).collect()
}

/// Nothing at all: the figures of a point without documents.
fn nothing() -> Vec<String> {
    owned([
        "AR 0.00",
        "S 0.00",
        "not due 0.00",
        "DSO none",
        "countback 0.00",
        "best none",
        "ADD none",
        "CEI none",
    ])
}

/// City Hospital's trend points from 2026-02-28 to 2026-05-31.
fn city_hospital_spring() -> Vec<(String, Vec<String>)> {
    let expected = [
        // D = 02-28: INV-11 (03-10) is not dated yet.
        ("2026-02-28", nothing()),
        // D = 03-31, period (12-31, 03-31]: INV-11 600, open (paid 04-20),
        // due 04-09: AR 600, S 600, not due 600; DSO = best = 90; countback
        // March 31 × 600 / 600 = 31; CEI (0 + 600 - 600) / (0 + 600 - 600):
        // none.
        (
            "2026-03-31",
            owned([
                "AR 600.00",
                "S 600.00",
                "not due 600.00",
                "DSO 90.00",
                "countback 31.00",
                "best 90.00",
                "ADD 0.00",
                "CEI none",
            ]),
        ),
        // D = 04-30, period (01-30, 04-30]: S = INV-11 600 + INV-12 1,000;
        // AR = INV-12 1,000 (INV-11 paid 04-20), due 05-15: not due. DSO =
        // best = 1,000 × 90 / 1,600 = 56.25; countback April 30 × 1,000 /
        // 1,000 = 30; CEI (0 + 1,600 - 1,000) / (0 + 1,600 - 1,000) = 100.
        (
            "2026-04-30",
            owned([
                "AR 1000.00",
                "S 1600.00",
                "not due 1000.00",
                "DSO 56.25",
                "countback 30.00",
                "best 56.25",
                "ADD 0.00",
                "CEI 100.00",
            ]),
        ),
        // D = 05-31, period (03-02, 05-31]: S = 600 + 1,000 + 800 = 2,400;
        // AR = INV-12 1,000 (paid 06-10, overdue since 05-15) + INV-13 800
        // (due 06-19) = 1,800; DSO 1,800 × 90 / 2,400 = 67.5; best 800 × 90
        // / 2,400 = 30; countback May 800: 31 days, 1,000 left; April
        // 1,000: 30. 61; CEI (0 + 2,400 - 1,800) / (0 + 2,400 - 800) = 37.5.
        (
            "2026-05-31",
            owned([
                "AR 1800.00",
                "S 2400.00",
                "not due 800.00",
                "DSO 67.50",
                "countback 61.00",
                "best 30.00",
                "ADD 37.50",
                "CEI 37.50",
            ]),
        ),
    ];
    expected
        .into_iter()
        .map(|(on, f)| (on.to_string(), f))
        .collect()
}

#[test]
fn a_twelve_month_trend_ends_with_the_report_at_d() {
    let b = three_customers();
    let q = DsoQuery {
        customer: Some(customer(C1)),
        ..query("2026-06-30", b.head())
    };
    let trend = b.receivables.read().dso_trend(&q, 12).unwrap();
    let dates: Vec<String> = trend.iter().map(|r| r.as_of_date.to_string()).collect();
    assert_eq!(
        dates,
        [
            "2025-07-31",
            "2025-08-31",
            "2025-09-30",
            "2025-10-31",
            "2025-11-30",
            "2025-12-31",
            "2026-01-31",
            "2026-02-28",
            "2026-03-31",
            "2026-04-30",
            "2026-05-31",
            "2026-06-30",
        ],
        "month ends, oldest first"
    );
    assert_eq!(trend.last(), Some(&b.dso(&q)));
    assert!(
        trend
            .iter()
            .all(|r| r.period_days == 90 && r.currency == Currency::USD)
    );
    for r in &trend[..7] {
        assert_eq!(
            figures(r),
            nothing(),
            "at {}: City Hospital had nothing",
            r.as_of_date
        );
    }
    let seen: Vec<(String, Vec<String>)> = trend[7..11].iter().map(point).collect();
    assert_eq!(seen, city_hospital_spring());
}

#[test]
fn a_trend_from_the_middle_of_a_month_ends_on_d() {
    let b = three_customers();
    let q = query("2026-06-15", b.head());
    let trend = b.receivables.read().dso_trend(&q, 3).unwrap();
    let dates: Vec<String> = trend.iter().map(|r| r.as_of_date.to_string()).collect();
    assert_eq!(dates, ["2026-04-30", "2026-05-31", "2026-06-15"]);
    assert_eq!(trend.last(), Some(&b.dso(&q)));
    // D's own month counts its days up to D. AR(06-15) = City 600 (INV-12
    // less 06-10's 400) + 800 + 1,200 (its note is dated 06-20) + Lake 500
    // + Hill 300 (INV-31 paid on 06-15) = 3,400. June to the 15th: 1,200:
    // 15 days, 2,200 left; May 800 + 500 + 300 = 1,600: 31 days, 600 left;
    // April 1,000 + 250: 30 × 600 / 1,250 = 14.4. 60.4.
    let last = &trend[2];
    assert_eq!(
        (last.receivables, last.countback_dso),
        (dec!(3400.00), Some(dec!(60.40)))
    );
    let one = b.receivables.read().dso_trend(&q, 1).unwrap();
    assert_eq!(one, [b.dso(&q)]);
}

#[test]
fn a_period_of_zero_days_and_bad_trend_lengths_are_refused() {
    let b = three_customers();
    let p = b.head();
    let zero = DsoQuery {
        period_days: 0,
        ..query("2026-06-30", p)
    };
    let projection = b.receivables.read();
    let refused = |r: Result<_, AgingError>, field: &str| {
        assert!(
            matches!(&r, Err(AgingError::InvalidInput { field: f, .. }) if *f == field),
            "{field}: {r:?}"
        );
    };
    refused(projection.dso(&zero).map(|_| ()), "period_days");
    refused(projection.dso_trend(&zero, 12).map(|_| ()), "period_days");
    let too_long = DsoQuery {
        period_days: PERIOD_DAYS_MAX + 1,
        ..query("2026-06-30", p)
    };
    refused(projection.dso(&too_long).map(|_| ()), "period_days");
    let longest = DsoQuery {
        period_days: PERIOD_DAYS_MAX,
        ..query("2026-06-30", p)
    };
    assert!(projection.dso(&longest).is_ok());
    let q = query("2026-06-30", p);
    refused(projection.dso_trend(&q, 0).map(|_| ()), "months");
    refused(
        projection.dso_trend(&q, TREND_MONTHS_MAX + 1).map(|_| ()),
        "months",
    );
    assert_eq!(
        projection.dso_trend(&q, TREND_MONTHS_MAX).map(|t| t.len()),
        Ok(usize::try_from(TREND_MONTHS_MAX).unwrap())
    );
}
