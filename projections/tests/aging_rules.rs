//! Given/when/then rules of receivable items and aging at (D, p)
//! (read-models.md "Receivable items", "Aging", "Time travel"), each on a
//! small history reached through `decide`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

mod support;

use arledger_core::domain::terms::TermsBase;
use arledger_core::money::Currency;
use arledger_projections::receivables::{
    AgingBasis, AgingError, AgingGroup, AgingQuery, ReceivableItem, Receivables, Scope,
};
use chrono::Days;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use support::*;

/// The items of customer 1 at `q`.
fn items(p: &Receivables, q: &AgingQuery) -> Vec<ReceivableItem> {
    p.items(q, customer(1)).unwrap()
}

/// (installment number, open amount) of each open item.
fn open_by_installment(items: &[ReceivableItem]) -> Vec<(u32, String)> {
    items
        .iter()
        .map(|i| (i.installment_no, i.open.to_string()))
        .collect()
}

/// The open amounts of customer 1's row in USD, per bucket.
fn usd_row(p: &Receivables, q: &AgingQuery) -> (Vec<String>, Decimal, Decimal, Decimal) {
    let report = p.aging(q).unwrap();
    match report
        .rows
        .iter()
        .find(|r| r.key == customer(1).to_string())
    {
        Some(r) => (strings(&r.amounts), r.total, r.unallocated, r.net),
        None => (vec![], Decimal::ZERO, Decimal::ZERO, Decimal::ZERO),
    }
}

/// Customer 1 with one USD service invoice of 1,000.00, net 30, dated 2026-01-01.
fn one_invoice() -> History {
    let mut h = History::new();
    h.run(register(customer(1), "City Hospital", "East", "sam"));
    h.run(service_invoice(
        invoice_id(1),
        customer(1),
        "INV-1",
        ("2026-01-01", "USD"),
        dec!(1000.00),
        net(30),
    ));
    h
}

#[test]
fn bucket_boundaries_on_the_due_date_basis() {
    let h = one_invoice();
    let p = h.projection();
    let due = d("2026-01-31");
    let expected = [
        (-1, "not due"),
        (0, "not due"),
        (1, "1-30"),
        (30, "1-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "91-120"),
        (120, "91-120"),
        (121, "121+"),
        (1000, "121+"),
    ];
    for (days, label) in expected {
        let as_of = due
            .checked_add_signed(chrono::Duration::days(days))
            .unwrap();
        let q = AgingQuery::new(as_of, h.head());
        let report = p.aging(&q).unwrap();
        let [item] = &items(&p, &q)[..] else {
            panic!("one item")
        };
        assert_eq!(item.days, Some(days));
        assert_eq!(
            report.buckets[item.bucket].label, label,
            "{days} days overdue"
        );
        let total = &report.totals[0];
        assert_eq!(total.amounts[item.bucket], dec!(1000.00), "{days} days");
        assert_eq!(total.total, dec!(1000.00));
    }
}

#[test]
fn bucket_boundaries_on_the_invoice_date_basis() {
    let h = one_invoice();
    let p = h.projection();
    let invoiced = d("2026-01-01");
    let expected = [
        (0, "0-30"),
        (1, "0-30"),
        (30, "0-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (120, "91-120"),
        (121, "121+"),
    ];
    for (days, label) in expected {
        let q = AgingQuery {
            basis: AgingBasis::InvoiceDate,
            ..AgingQuery::new(invoiced + Days::new(days), h.head())
        };
        let report = p.aging(&q).unwrap();
        assert_eq!(report.buckets.len(), 5);
        let [item] = &items(&p, &q)[..] else {
            panic!("one item")
        };
        assert_eq!(item.days, Some(i64::try_from(days).unwrap()));
        assert_eq!(report.buckets[item.bucket].label, label, "{days} days old");
        assert_eq!(report.totals[0].amounts[item.bucket], dec!(1000.00));
    }
    let bounds: Vec<_> = AgingQuery {
        basis: AgingBasis::InvoiceDate,
        ..query("2026-01-01", h.head())
    }
    .pipe(|q| p.aging(&q).unwrap().buckets)
    .into_iter()
    .map(|b| (b.from_days, b.to_days))
    .collect();
    assert_eq!(
        bounds,
        [
            (Some(0), Some(30)),
            (Some(31), Some(60)),
            (Some(61), Some(90)),
            (Some(91), Some(120)),
            (Some(121), None)
        ]
    );
}

/// `value.pipe(f)` is `f(value)`.
trait Pipe: Sized {
    fn pipe<T>(self, f: impl FnOnce(Self) -> T) -> T {
        f(self)
    }
}
impl<T> Pipe for T {}

#[test]
fn an_invoice_dated_after_d_does_not_exist() {
    let h = one_invoice();
    let p = h.projection();
    let report = p.aging(&query("2025-12-31", h.head())).unwrap();
    assert!(
        report.rows.is_empty() && report.totals.is_empty(),
        "{}",
        json(&report)
    );
    assert!(items(&p, &query("2025-12-31", h.head())).is_empty());
    assert_eq!(
        p.aging(&query("2026-01-01", h.head())).unwrap().rows.len(),
        1
    );
}

/// 300.00 in three installments due 30, 60 and 90 days after 2026-01-01.
fn three_installments() -> History {
    let mut h = History::new();
    h.run(register(customer(1), "City Hospital", "East", "sam"));
    let third = dec!(33.33);
    let terms = installments(&[
        (third, 90, TermsBase::Invoice),
        (third, 30, TermsBase::Invoice),
        (dec!(33.34), 60, TermsBase::Invoice),
    ]);
    h.run(service_invoice(
        invoice_id(1),
        customer(1),
        "INV-1",
        ("2026-01-01", "USD"),
        dec!(300.00),
        terms,
    ));
    h
}

#[test]
fn reductions_fill_installments_oldest_due_first() {
    let mut h = three_installments();
    // Installment 2 is due first (30 days), then 3 (60), then 1 (90).
    h.run(payment(
        payment_id(1),
        customer(1),
        ("2026-02-01", "USD"),
        dec!(150.00),
        false,
    ));
    h.run(allocate(payment_id(1), invoice_id(1), dec!(150.00), None));
    let p = h.projection();
    let q = query("2026-06-30", h.head());
    assert_eq!(
        open_by_installment(&items(&p, &q)),
        [(1, "99.99".into()), (3, "50.01".into())],
        "installment 2 (99.99) filled, then 50.01 of installment 3 (100.02)"
    );
    // A named installment is filled first.
    h.run(payment(
        payment_id(2),
        customer(1),
        ("2026-02-02", "USD"),
        dec!(10.00),
        false,
    ));
    h.run(allocate(payment_id(2), invoice_id(1), dec!(10.00), Some(1)));
    let p = h.projection();
    let q = query("2026-06-30", h.head());
    assert_eq!(
        open_by_installment(&items(&p, &q)),
        [(1, "89.99".into()), (3, "50.01".into())]
    );
}

/// Reductions fill in the order they are dated. With a named installment
/// already filled passing the rest on, the amounts each installment ends
/// with do not depend on that order (only on which reductions exist at
/// (D, p)); what this pins is that nothing is lost when the order puts an
/// earlier-dated, later-recorded reduction first.
#[test]
fn a_named_installment_filled_by_an_earlier_dated_reduction_passes_the_rest_on() {
    let mut h = three_installments();
    // Recorded first, dated later: 99.99 named on installment 2.
    h.run(payment(
        payment_id(1),
        customer(1),
        ("2026-03-10", "USD"),
        dec!(99.99),
        false,
    ));
    h.run(allocate(payment_id(1), invoice_id(1), dec!(99.99), Some(2)));
    // Recorded later, dated earlier: a credit note of 99.99, unnamed.
    h.run(credit_note(1, invoice_id(1), dec!(99.99), "2026-03-01"));
    let p = h.projection();
    // On 2026-03-05 only the credit note exists: it fills installment 2.
    assert_eq!(
        open_by_installment(&items(&p, &query("2026-03-05", h.head()))),
        [(1, "99.99".into()), (3, "100.02".into())]
    );
    // From 2026-03-10 the credit note came first and filled installment 2:
    // the allocation naming it goes to the next due, installment 3. The
    // invoice's open amount is its amount less both.
    assert_eq!(
        open_by_installment(&items(&p, &query("2026-03-10", h.head()))),
        [(1, "99.99".into()), (3, "0.03".into())]
    );
    let (_, total, _, _) = usd_row(&p, &query("2026-03-10", h.head()));
    assert_eq!(total, dec!(100.02));
}

#[test]
fn a_partial_payment_followed_by_a_credit_note() {
    let mut h = one_invoice();
    h.run(payment(
        payment_id(1),
        customer(1),
        ("2026-02-10", "USD"),
        dec!(300.00),
        false,
    ));
    h.run(allocate(payment_id(1), invoice_id(1), dec!(300.00), None));
    h.run(credit_note(1, invoice_id(1), dec!(200.00), "2026-02-20"));
    let p = h.projection();
    let open = |as_of| usd_row(&p, &query(as_of, h.head())).1;
    assert_eq!(open("2026-02-05"), dec!(1000.00), "nothing yet");
    assert_eq!(open("2026-02-15"), dec!(700.00), "the payment");
    assert_eq!(open("2026-02-25"), dec!(500.00), "and the credit note");
    let (amounts, total, unallocated, net) = usd_row(&p, &query("2026-02-25", h.head()));
    assert_eq!(amounts, ["0.00", "500.00", "0.00", "0.00", "0.00", "0.00"]);
    assert_eq!(
        (total, unallocated, net),
        (dec!(500.00), dec!(0), dec!(500.00))
    );
}

#[test]
fn a_residual_of_one_cent_is_still_shown() {
    let mut h = one_invoice();
    h.run(payment(
        payment_id(1),
        customer(1),
        ("2026-02-10", "USD"),
        dec!(999.99),
        false,
    ));
    h.run(allocate(payment_id(1), invoice_id(1), dec!(999.99), None));
    let p = h.projection();
    let q = query("2026-03-01", h.head());
    let (amounts, total, _, _) = usd_row(&p, &q);
    assert_eq!(amounts[1], "0.01");
    assert_eq!(total.to_string(), "0.01");
    assert_eq!(open_by_installment(&items(&p, &q)), [(1, "0.01".into())]);
}

#[test]
fn a_settled_invoice_leaves_no_row() {
    let mut h = one_invoice();
    h.run(payment(
        payment_id(1),
        customer(1),
        ("2026-02-10", "USD"),
        dec!(1000.00),
        true,
    ));
    let p = h.projection();
    let q = query("2026-03-01", h.head());
    assert!(p.aging(&q).unwrap().rows.is_empty());
    assert!(items(&p, &q).is_empty());
    assert_eq!(usd_row(&p, &query("2026-02-09", h.head())).1, dec!(1000.00));
}

#[test]
fn a_payment_dated_after_d_is_ignored() {
    let mut h = one_invoice();
    h.run(payment(
        payment_id(1),
        customer(1),
        ("2026-07-05", "USD"),
        dec!(400.00),
        false,
    ));
    h.run(allocate(payment_id(1), invoice_id(1), dec!(250.00), None));
    let p = h.projection();
    let (_, total, unallocated, net) = usd_row(&p, &query("2026-06-30", h.head()));
    assert_eq!(
        (total, unallocated, net),
        (dec!(1000.00), dec!(0), dec!(1000.00))
    );
    let (_, total, unallocated, net) = usd_row(&p, &query("2026-07-05", h.head()));
    assert_eq!(
        (total, unallocated, net),
        (dec!(750.00), dec!(150.00), dec!(600.00))
    );
}

#[test]
fn unallocated_payments_have_their_own_column() {
    let mut h = one_invoice();
    h.run(payment(
        payment_id(1),
        customer(1),
        ("2026-02-01", "USD"),
        dec!(250.00),
        false,
    ));
    h.run(payment(
        payment_id(2),
        customer(1),
        ("2026-02-02", "USD"),
        dec!(500.00),
        false,
    ));
    h.run(allocate(payment_id(2), invoice_id(1), dec!(200.00), None));
    let p = h.projection();
    let (amounts, total, unallocated, net) = usd_row(&p, &query("2026-02-15", h.head()));
    assert_eq!(amounts, ["0.00", "800.00", "0.00", "0.00", "0.00", "0.00"]);
    assert_eq!(
        total,
        dec!(800.00),
        "unallocated money is not in the buckets"
    );
    assert_eq!(unallocated, dec!(550.00));
    assert_eq!(net, dec!(250.00));
}

#[test]
fn an_allocation_takes_effect_on_the_later_of_the_payment_and_invoice_dates() {
    let mut h = one_invoice();
    // Money received in December, before the invoice dated 2026-01-01.
    h.run(payment(
        payment_id(1),
        customer(1),
        ("2025-12-20", "USD"),
        dec!(300.00),
        false,
    ));
    h.run(allocate(payment_id(1), invoice_id(1), dec!(300.00), None));
    let p = h.projection();
    let report = p.aging(&query("2025-12-31", h.head())).unwrap();
    let row = row(&report, &customer(1).to_string(), "USD");
    assert_eq!(
        (row.total, row.unallocated),
        (dec!(0.00), dec!(300.00)),
        "on account"
    );
    let (_, total, unallocated, _) = usd_row(&p, &query("2026-01-01", h.head()));
    assert_eq!((total, unallocated), (dec!(700.00), dec!(0)));
}

#[test]
fn write_offs_reduce_and_recoveries_change_nothing() {
    let mut h = one_invoice();
    h.run(write_off(invoice_id(1), dec!(400.00), "2026-04-01"));
    let before = h
        .projection()
        .aging(&query("2026-05-01", h.head()))
        .unwrap();
    assert_eq!(before.totals[0].total, dec!(600.00));
    h.run(recover(invoice_id(1), dec!(100.00), "2026-04-15"));
    let after = h
        .projection()
        .aging(&query("2026-05-01", h.head()))
        .unwrap();
    assert_eq!(after.totals, before.totals);
    assert_eq!(
        usd_row(&h.projection(), &query("2026-03-31", h.head())).1,
        dec!(1000.00)
    );
}

/// Customer 1's goods invoice of 1,000.00 dated 2026-03-05 on a shipment
/// of 2026-03-01, half due 10 days after the invoice, half 30 days after
/// acceptance; returns the history and the position of the invoice.
fn awaiting_acceptance() -> (History, u64) {
    let mut h = History::new();
    h.run(register(customer(1), "City Hospital", "East", "sam"));
    for c in goods_master_data() {
        h.run(c);
    }
    let (order, shipment) = (order_id(1), shipment_id(1));
    order_and_ship(
        &mut h,
        (order, shipment),
        customer(1),
        ("2026-03-01", "USD"),
        10,
    );
    let terms = installments(&[
        (dec!(50), 10, TermsBase::Invoice),
        (dec!(50), 30, TermsBase::Acceptance),
    ]);
    let at = h.run(goods_invoice(
        invoice_id(1),
        customer(1),
        "INV-1",
        ("2026-03-05", "USD"),
        (shipment, None),
        dec!(1000.00),
        terms,
    ));
    (h, at)
}

#[test]
fn items_awaiting_acceptance_are_not_due_until_it() {
    let (mut h, invoiced) = awaiting_acceptance();
    let accepted = h.run(accept(shipment_id(1), "2026-04-10"));
    let p = h.projection();
    let due_of = |as_of, position| {
        items(&p, &query(as_of, position))
            .iter()
            .map(|i| (i.installment_no, i.due_date, i.days, i.bucket))
            .collect::<Vec<_>>()
    };
    // Before the acceptance is recorded: awaiting, "not due", days unknown.
    let first = (1, Some(d("2026-03-15")), Some(107), 4);
    assert_eq!(due_of("2026-06-30", invoiced), [first, (2, None, None, 0)]);
    // Recorded, but dated after D: still awaiting.
    assert_eq!(
        due_of("2026-04-09", accepted),
        [(1, Some(d("2026-03-15")), Some(25), 1), (2, None, None, 0)]
    );
    // Known and dated by D: due 30 days after acceptance.
    assert_eq!(
        due_of("2026-06-30", accepted),
        [first, (2, Some(d("2026-05-10")), Some(51), 2)]
    );
    let report = p.aging(&query("2026-06-30", invoiced)).unwrap();
    assert_eq!(
        report.totals[0].amounts[0],
        dec!(500.00),
        "not due, awaiting acceptance"
    );
}

#[test]
fn payments_fill_installments_awaiting_acceptance_last() {
    let (mut h, _) = awaiting_acceptance();
    h.run(payment(
        payment_id(1),
        customer(1),
        ("2026-03-20", "USD"),
        dec!(600.00),
        false,
    ));
    h.run(allocate(payment_id(1), invoice_id(1), dec!(600.00), None));
    let p = h.projection();
    assert_eq!(
        open_by_installment(&items(&p, &query("2026-03-31", h.head()))),
        [(2, "400.00".into())]
    );
}

/// Customer 1's invoice paid in full on 2026-02-10 by a payment reversed
/// on 2026-03-15; returns the history and the position before the reversal.
fn reversed_payment() -> (History, u64) {
    let mut h = one_invoice();
    h.run(payment(
        payment_id(1),
        customer(1),
        ("2026-02-10", "USD"),
        dec!(1200.00),
        false,
    ));
    let paid = h.run(allocate(payment_id(1), invoice_id(1), dec!(1000.00), None));
    h.run(reverse(payment_id(1), "2026-03-15"));
    (h, paid)
}

#[test]
fn a_reversal_reopens_what_it_paid_from_its_date() {
    let (h, before_reversal) = reversed_payment();
    let p = h.projection();
    let at = |as_of, position| {
        let (_, total, unallocated, _) = usd_row(&p, &query(as_of, position));
        (total, unallocated)
    };
    // Before its date the payment counts as usual.
    assert_eq!(at("2026-03-14", h.head()), (dec!(0), dec!(200.00)));
    // From its date the money bounced: the invoice is open again and
    // nothing is on account.
    assert_eq!(at("2026-03-15", h.head()), (dec!(1000.00), dec!(0)));
    // Before the reversal was recorded, nobody knew.
    assert_eq!(at("2026-03-20", before_reversal), (dec!(0), dec!(200.00)));
    let items = items(&p, &query("2026-03-20", h.head()));
    assert_eq!(open_by_installment(&items), [(1, "1000.00".into())]);
}

#[test]
fn a_backdated_credit_note_changes_an_earlier_d_only_once_known() {
    let mut h = one_invoice();
    let p1 = h.head();
    let at_p1 = json(&h.projection().aging(&query("2026-06-30", p1)).unwrap());
    h.run(credit_note(1, invoice_id(1), dec!(200.00), "2026-06-15"));
    h.run(service_invoice(
        invoice_id(2),
        customer(1),
        "INV-2",
        ("2026-06-01", "USD"),
        dec!(50.00),
        net(30),
    ));
    let p2 = h.head();
    let p = h.projection();
    assert_eq!(
        json(&p.aging(&query("2026-06-30", p1)).unwrap()),
        at_p1,
        "the answer at p1 is the same, byte for byte"
    );
    let (_, total, _, _) = usd_row(&p, &query("2026-06-30", p2));
    assert_eq!(total, dec!(850.00));
    let (_, total, _, _) = usd_row(&p, &query("2026-06-14", p2));
    assert_eq!(total, dec!(1050.00), "the credit note is dated 2026-06-15");
}

#[test]
fn disputed_amounts_are_flagged_and_still_counted() {
    let mut h = one_invoice();
    h.run(open_dispute(invoice_id(1), dec!(300.00), "2026-02-10"));
    h.run(payment(
        payment_id(1),
        customer(1),
        ("2026-02-20", "USD"),
        dec!(800.00),
        false,
    ));
    h.run(allocate(payment_id(1), invoice_id(1), dec!(800.00), None));
    h.run(resolve_dispute(invoice_id(1), "2026-03-01"));
    let p = h.projection();
    let disputed = |as_of| {
        let report = p.aging(&query(as_of, h.head())).unwrap();
        let row = row(&report, &customer(1).to_string(), "USD");
        let flagged = items(&p, &query(as_of, h.head()))[0].disputed;
        (row.total, row.disputed, flagged)
    };
    assert_eq!(disputed("2026-02-09"), (dec!(1000.00), dec!(0), false));
    assert_eq!(disputed("2026-02-15"), (dec!(1000.00), dec!(300.00), true));
    assert_eq!(
        disputed("2026-02-25"),
        (dec!(200.00), dec!(200.00), true),
        "at most open"
    );
    assert_eq!(
        disputed("2026-03-01"),
        (dec!(200.00), dec!(0), false),
        "resolved"
    );
}

/// Two customers in two regions, with invoices in two currencies;
/// customer 2 moves to the East later.
fn two_customers() -> (History, u64) {
    let mut h = History::new();
    h.run(register(customer(1), "City Hospital", "East", "sam"));
    h.run(register(customer(2), "Lake Clinic", "West", "kim"));
    let invoices = [
        (1, 1, "USD", dec!(100.00)),
        (2, 2, "USD", dec!(20.00)),
        (3, 2, "EUR", dec!(30.00)),
    ];
    for (n, c, currency, amount) in invoices {
        h.run(service_invoice(
            invoice_id(n),
            customer(c),
            &format!("INV-{n}"),
            ("2026-01-01", currency),
            amount,
            net(30),
        ));
    }
    h.run(payment(
        payment_id(1),
        customer(2),
        ("2026-01-05", "EUR"),
        dec!(5.00),
        false,
    ));
    let before_move = h.head();
    h.run(update_region(customer(2), "East"));
    (h, before_move)
}

#[test]
fn grouping_by_region_salesperson_and_currency_as_known_at_p() {
    let (h, before_move) = two_customers();
    let p = h.projection();
    let keys = |group_by, position| {
        let q = AgingQuery {
            group_by,
            ..query("2026-02-15", position)
        };
        let report = p.aging(&q).unwrap();
        let rows: Vec<_> = report
            .rows
            .iter()
            .map(|r| {
                (
                    r.key.clone(),
                    r.currency.code().to_string(),
                    r.total.to_string(),
                    r.net.to_string(),
                )
            })
            .collect();
        (rows, report.totals)
    };
    let row = |k: &str, c: &str, total: &str, net: &str| {
        (
            k.to_string(),
            c.to_string(),
            total.to_string(),
            net.to_string(),
        )
    };
    let (by_region, totals) = keys(AgingGroup::Region, before_move);
    assert_eq!(
        by_region,
        [
            row("East", "USD", "100.00", "100.00"),
            row("West", "EUR", "30.00", "25.00"),
            row("West", "USD", "20.00", "20.00")
        ]
    );
    let (by_region, totals_later) = keys(AgingGroup::Region, h.head());
    assert_eq!(
        by_region,
        [
            row("East", "EUR", "30.00", "25.00"),
            row("East", "USD", "120.00", "120.00")
        ]
    );
    assert_eq!(
        totals, totals_later,
        "regrouping moves nothing between currencies"
    );
    let (by_salesperson, _) = keys(AgingGroup::Salesperson, h.head());
    assert_eq!(by_salesperson[0].0, "kim");
    let (by_currency, _) = keys(AgingGroup::Currency, h.head());
    assert_eq!(
        by_currency,
        [
            row("EUR", "EUR", "30.00", "25.00"),
            row("USD", "USD", "120.00", "120.00")
        ]
    );
    let (by_customer, _) = keys(AgingGroup::Customer, h.head());
    assert_eq!(by_customer.len(), 3);
}

#[test]
fn totals_per_currency_are_the_sums_of_the_rows() {
    let (h, _) = two_customers();
    let report = h
        .projection()
        .aging(&query("2026-02-15", h.head()))
        .unwrap();
    let currencies: Vec<_> = report.totals.iter().map(|t| t.currency.code()).collect();
    assert_eq!(currencies, ["EUR", "USD"]);
    for total in &report.totals {
        let rows: Vec<_> = report
            .rows
            .iter()
            .filter(|r| r.currency == total.currency)
            .collect();
        for (bucket, amount) in total.amounts.iter().enumerate() {
            let sum: Decimal = rows.iter().map(|r| r.amounts[bucket]).sum();
            assert_eq!(*amount, sum);
        }
        let sum = |f: fn(&&arledger_projections::receivables::AgingRow) -> Decimal| -> Decimal {
            rows.iter().map(f).sum()
        };
        assert_eq!(total.total, sum(|r| r.total));
        assert_eq!(total.unallocated, sum(|r| r.unallocated));
        assert_eq!(total.disputed, sum(|r| r.disputed));
        assert_eq!(total.net, sum(|r| r.net));
    }
}

#[test]
fn a_currency_filter_keeps_one_currency() {
    let (h, _) = two_customers();
    let q = AgingQuery {
        currency: Some(Currency::EUR),
        ..query("2026-02-15", h.head())
    };
    let report = h.projection().aging(&q).unwrap();
    assert!(report.rows.iter().all(|r| r.currency == Currency::EUR));
    assert_eq!(report.totals.len(), 1);
    let p = h.projection();
    let items = p.items(&q, customer(2)).unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].currency, Currency::EUR);
}

#[test]
fn bucket_bounds_are_checked_and_named() {
    let h = one_invoice();
    let p = h.projection();
    for bad in [vec![], vec![0, 30], vec![30, 30], vec![60, 30], vec![1; 40]] {
        let q = AgingQuery {
            bucket_days: bad.clone(),
            ..query("2026-06-30", h.head())
        };
        let refused = p.aging(&q).unwrap_err();
        assert!(
            matches!(
                &refused,
                AgingError::InvalidInput {
                    field: "bucket_days",
                    ..
                }
            ),
            "{bad:?}: {refused}"
        );
        assert_eq!(p.items(&q, customer(1)).unwrap_err(), refused);
    }
    let q = AgingQuery {
        bucket_days: vec![7, 14],
        ..query("2026-02-10", h.head())
    };
    let report = p.aging(&q).unwrap();
    let labels: Vec<_> = report.buckets.iter().map(|b| b.label.as_str()).collect();
    assert_eq!(labels, ["not due", "1-7", "8-14", "15+"]);
    assert_eq!(
        strings(&report.totals[0].amounts),
        ["0.00", "0.00", "1000.00", "0.00"]
    );
}

#[test]
fn a_drill_down_names_a_customer_known_at_p() {
    let (h, _) = two_customers();
    let p = h.projection();
    let unknown = customer(9);
    assert_eq!(
        p.items(&query("2026-02-15", h.head()), unknown),
        Err(AgingError::UnknownCustomer {
            customer: unknown,
            known_at_position: h.head()
        })
    );
    assert!(matches!(
        p.items(&query("2026-02-15", 1), customer(2)),
        Err(AgingError::UnknownCustomer { .. })
    ));
}

#[test]
fn a_scope_limits_the_report_to_its_customers_or_a_salespersons() {
    let mut h = History::new();
    h.run(register(customer(1), "City Hospital", "East", "sam"));
    h.run(register(customer(2), "Lake Clinic", "West", "kim"));
    h.run(register(customer(3), "Hill Clinic", "West", "sam"));
    for c in 1..=3 {
        h.run(service_invoice(
            invoice_id(c),
            customer(c),
            &format!("INV-{c}"),
            ("2026-05-01", "USD"),
            dec!(100.00),
            net(30),
        ));
    }
    let p = h.projection();
    let keys = |scope: Option<Scope>| {
        let mut q = query("2026-06-30", h.head());
        q.scope = scope;
        let report = p.aging(&q).unwrap();
        report
            .rows
            .iter()
            .map(|r| r.key.clone())
            .collect::<Vec<_>>()
    };
    let all = keys(None);
    assert_eq!(all.len(), 3);
    assert_eq!(
        keys(Some(Scope::Customers(vec![customer(2)]))),
        vec![customer(2).to_string()]
    );
    let sams = keys(Some(Scope::Salesperson("sam".into())));
    assert_eq!(sams.len(), 2);
    assert!(!sams.contains(&customer(2).to_string()));
    assert!(keys(Some(Scope::Salesperson("nobody".into()))).is_empty());
}
