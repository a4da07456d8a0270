//! domain.md 6, credit control at order placement: what counts in a
//! customer's exposure, and when a placed order is held (OrderHeld): over
//! the limit, overdue above the threshold, grade D, or no limit set.

use arledger_core::domain::commands::*;
use arledger_core::domain::events::*;
use arledger_core::domain::state::{CreditPolicy, Exposure, OrderStatus};
use arledger_core::domain::types::{HoldReason, RiskGrade};
use arledger_core::domain::{Command, Event};
use arledger_core::ids::OrderId;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::commands::*;
use crate::fixtures::*;
use crate::harness::*;
use crate::values::*;

/// The world, with DEALER given `limit` USD and `grade`.
fn dealer_with_limit(limit: Decimal, grade: RiskGrade) -> Given {
    let mut g = world();
    g.apply(&[credit_limit_set(DEALER, limit, grade)]);
    g
}

/// DEALER (limit 1 000.00, grade A) owes 500.00 on I2, due 2026-01-11.
fn dealer_with_overdue_invoice(policy: CreditPolicy) -> Given {
    let mut events = world_events();
    events.push(credit_limit_set(DEALER, dec!(1000.00), RiskGrade::A));
    given_with(policy, events).and(Command::IssueInvoice(service_invoice(
        I2,
        DEALER,
        "2026-01-01",
        dec!(500.00),
        net(10),
    )))
}

fn held(order: OrderId, reasons: Vec<HoldReason>, exposure: Decimal, limit: Decimal) -> Event {
    Event::OrderHeld(OrderHeld {
        order_id: order,
        reasons,
        exposure: usd(exposure),
        limit: usd(limit),
    })
}

fn is_held(events: &[Event]) -> bool {
    events.iter().any(|e| matches!(e, Event::OrderHeld(_)))
}

#[test]
fn an_order_under_the_limit_is_not_held() {
    let g = dealer_with_limit(dec!(1000.00), RiskGrade::A);
    let events = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O2, DEALER, 9, dec!(100.00))),
    ));
    assert_eq!(events.len(), 1);
    assert!(matches!(&events[0], Event::OrderPlaced(_)));
}

#[test]
fn an_order_that_exactly_reaches_the_limit_is_not_held() {
    let g = dealer_with_limit(dec!(1000.00), RiskGrade::A);
    let events = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O2, DEALER, 10, dec!(100.00))),
    ));
    assert!(!is_held(&events), "{events:?}");
}

#[test]
fn an_order_over_the_credit_limit_is_placed_and_held() {
    let mut g = dealer_with_limit(dec!(1000.00), RiskGrade::A);
    let events = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O2, DEALER, 11, dec!(100.00))),
    ));
    assert_eq!(events.len(), 2);
    assert!(matches!(&events[0], Event::OrderPlaced(o) if o.order_id == O2));
    assert_eq!(
        events[1],
        held(
            O2,
            vec![HoldReason::CreditLimitExceeded],
            dec!(1100.00),
            dec!(1000.00)
        )
    );
    g.apply(&events);
    assert_eq!(g.order_status(O2), OrderStatus::Held);
    assert_eq!(g.exposure(DEALER).open_orders, dec!(0));
}

#[test]
fn an_order_is_held_for_an_overdue_balance_above_80_percent_of_the_limit() {
    let g = dealer_with_overdue_invoice(CreditPolicy::default());
    // 500.00 open and overdue + 350.00 = 850.00 > 800.00, within the limit.
    let events = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O2, DEALER, 35, dec!(10.00))),
    ));
    assert_eq!(
        events.get(1),
        Some(&held(
            O2,
            vec![HoldReason::OverdueBalance],
            dec!(850.00),
            dec!(1000.00)
        ))
    );
}

#[test]
fn an_overdue_customer_at_or_below_80_percent_of_the_limit_is_not_held() {
    let g = dealer_with_overdue_invoice(CreditPolicy::default());
    let events = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O2, DEALER, 30, dec!(10.00))),
    ));
    assert!(!is_held(&events), "{events:?}");
}

#[test]
fn a_balance_not_yet_past_its_due_date_does_not_count_as_overdue() {
    let g = dealer_with_overdue_invoice(CreditPolicy::default());
    // Due 2026-01-11: on that day it is not yet overdue.
    let events = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(PlaceOrder {
            placed_on: d("2026-01-11"),
            ..order_of(O2, DEALER, 35, dec!(10.00))
        }),
    ));
    assert!(!is_held(&events), "{events:?}");
}

#[test]
fn a_paid_overdue_invoice_no_longer_holds_orders() {
    let g = dealer_with_overdue_invoice(CreditPolicy::default())
        .and(Command::ReceivePayment(payment(P2, DEALER, dec!(500.00))))
        .and(Command::AllocatePayment(allocate(P2, I2, dec!(500.00))));
    let events = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O2, DEALER, 85, dec!(10.00))),
    ));
    assert!(!is_held(&events), "{events:?}");
}

#[test]
fn the_overdue_threshold_is_configurable() {
    let policy = CreditPolicy {
        overdue_threshold_percent: dec!(50),
    };
    let g = dealer_with_overdue_invoice(policy);
    // 500.00 + 10.00 = 510.00 > 50% of 1 000.00.
    let events = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O2, DEALER, 1, dec!(10.00))),
    ));
    assert_eq!(
        events.get(1),
        Some(&held(
            O2,
            vec![HoldReason::OverdueBalance],
            dec!(510.00),
            dec!(1000.00)
        ))
    );
}

#[test]
fn an_order_over_the_limit_with_an_overdue_balance_names_both_reasons() {
    let g = dealer_with_overdue_invoice(CreditPolicy::default());
    let events = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O2, DEALER, 60, dec!(10.00))),
    ));
    assert_eq!(
        events.get(1),
        Some(&held(
            O2,
            vec![HoldReason::CreditLimitExceeded, HoldReason::OverdueBalance],
            dec!(1100.00),
            dec!(1000.00)
        ))
    );
}

#[test]
fn every_order_of_a_grade_d_customer_is_held() {
    let g = dealer_with_limit(dec!(1000.00), RiskGrade::D);
    let events = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O2, DEALER, 1, dec!(10.00))),
    ));
    assert_eq!(
        events.get(1),
        Some(&held(
            O2,
            vec![HoldReason::GradeD],
            dec!(10.00),
            dec!(1000.00)
        ))
    );
}

#[test]
fn a_grade_d_order_over_the_limit_names_both_reasons() {
    let g = dealer_with_limit(dec!(1000.00), RiskGrade::D);
    let events = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O2, DEALER, 20, dec!(100.00))),
    ));
    assert_eq!(
        events.get(1),
        Some(&held(
            O2,
            vec![HoldReason::CreditLimitExceeded, HoldReason::GradeD],
            dec!(2000.00),
            dec!(1000.00)
        ))
    );
}

#[test]
fn an_order_of_a_customer_without_a_credit_limit_is_held_against_a_limit_of_zero() {
    let g = world();
    let events = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O2, DEALER, 5, dec!(10.00))),
    ));
    assert_eq!(
        events.get(1),
        Some(&held(
            O2,
            vec![HoldReason::CreditLimitExceeded],
            dec!(50.00),
            dec!(0)
        ))
    );
}

/// domain.md 6: "A customer with no credit limit set has limit 0: every order
/// is held until a limit is set or the order is released" — even when money
/// on account makes the exposure after the order zero or negative.
#[test]
fn an_order_of_a_customer_without_a_credit_limit_is_held_even_when_prepaid() {
    let g = world().and(Command::ReceivePayment(payment(P2, DEALER, dec!(1000.00))));
    assert_eq!(g.exposure(DEALER).total(), dec!(-1000.00));
    let events = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O2, DEALER, 5, dec!(10.00))),
    ));
    assert!(
        is_held(&events),
        "a customer without a credit limit had an order accepted unheld: {events:?}"
    );
}

#[test]
fn released_orders_count_in_exposure_and_held_ones_do_not() {
    let mut g = dealer_with_limit(dec!(1000.00), RiskGrade::A);
    let first = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O1, DEALER, 15, dec!(100.00))),
    ));
    assert!(is_held(&first));
    g.apply(&first);
    assert_eq!(g.exposure(DEALER).open_orders, dec!(0));

    // The held 1 500.00 does not count: 900.00 fits the limit.
    let second = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O2, DEALER, 9, dec!(100.00))),
    ));
    assert!(!is_held(&second), "{second:?}");
    g.apply(&second);
    assert_eq!(g.exposure(DEALER).open_orders, dec!(900.00));

    // Once released, the 1 500.00 counts.
    let released = accepted(when(&g, &finance_manager(), release(O1)));
    g.apply(&released);
    assert_eq!(g.exposure(DEALER).open_orders, dec!(2400.00));
    let third = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O3, DEALER, 1, dec!(10.00))),
    ));
    assert_eq!(
        third.get(1),
        Some(&held(
            O3,
            vec![HoldReason::CreditLimitExceeded],
            dec!(2410.00),
            dec!(1000.00)
        ))
    );
}

#[test]
fn rejected_and_cancelled_orders_do_not_count_in_exposure() {
    let g = dealer_with_limit(dec!(1000.00), RiskGrade::A)
        .and(Command::PlaceOrder(order_of(O1, DEALER, 15, dec!(100.00))))
        .and(reject(O1))
        .and(Command::PlaceOrder(order_of(O2, DEALER, 9, dec!(100.00))))
        .and(cancel(O2));
    assert_eq!(g.exposure(DEALER), Exposure::default());
    let events = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O3, DEALER, 10, dec!(100.00))),
    ));
    assert!(!is_held(&events), "{events:?}");
}

#[test]
fn shipped_but_not_invoiced_value_counts_in_exposure() {
    let mut g = with_shipment();
    assert_eq!(
        g.exposure(HOSPITAL),
        Exposure {
            open_receivables: dec!(0),
            shipped_not_invoiced: dec!(1000.00),
            open_orders: dec!(100.00),
            unallocated: dec!(0),
        }
    );
    g.apply(&[credit_limit_set(HOSPITAL, dec!(1100.00), RiskGrade::A)]);
    let events = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O3, HOSPITAL, 1, dec!(0.01))),
    ));
    assert_eq!(
        events.get(1),
        Some(&held(
            O3,
            vec![HoldReason::CreditLimitExceeded],
            dec!(1100.01),
            dec!(1100.00)
        ))
    );
}

#[test]
fn open_receivables_count_and_unallocated_payments_reduce_exposure() {
    let mut g = with_payment();
    assert_eq!(
        g.exposure(HOSPITAL),
        Exposure {
            open_receivables: dec!(1130.00),
            shipped_not_invoiced: dec!(0),
            open_orders: dec!(100.00),
            unallocated: dec!(500.00),
        }
    );
    g.apply(&[credit_limit_set(HOSPITAL, dec!(1000.00), RiskGrade::A)]);
    // 1 130.00 + 100.00 - 500.00 = 730.00; + 270.00 reaches the limit exactly.
    let fits = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O3, HOSPITAL, 27, dec!(10.00))),
    ));
    assert!(!is_held(&fits), "{fits:?}");
    let over = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O3, HOSPITAL, 28, dec!(10.00))),
    ));
    assert_eq!(
        over.get(1),
        Some(&held(
            O3,
            vec![HoldReason::CreditLimitExceeded],
            dec!(1010.00),
            dec!(1000.00)
        ))
    );
}
