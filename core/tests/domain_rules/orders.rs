//! domain.md 4, sales and receivables: orders. OrderPlaced (PlaceOrder),
//! OrderReleased / OrderRejected (ReleaseOrder, RejectOrder: only a held
//! order) and OrderCancelled (CancelOrder: only the unshipped remainder).
//! When a placed order is held (OrderHeld) is credit control, in `credit` (6).

use arledger_core::domain::commands::*;
use arledger_core::domain::events::*;
use arledger_core::domain::state::OrderStatus;
use arledger_core::domain::{Command, CommandError, ErrorCode, Event};
use arledger_core::money::Currency;
use rust_decimal_macros::dec;

use crate::commands::*;
use crate::fixtures::*;
use crate::harness::*;
use crate::values::*;

// PlaceOrder

#[test]
fn placing_an_order_within_the_limit_records_it_without_a_hold() {
    let mut g = world();
    let events = accepted(when(&g, &sales(), Command::PlaceOrder(place_o1())));
    assert_eq!(
        events,
        vec![Event::OrderPlaced(OrderPlaced {
            order_id: O1,
            number: "SO-1".into(),
            customer_id: HOSPITAL,
            currency: Currency::USD,
            placed_on: d("2026-01-05"),
            lines: vec![
                OrderLine {
                    line_no: 1,
                    gtin: gtin(GTIN_A),
                    quantity: 10,
                    unit_price: dec!(100.00),
                },
                OrderLine {
                    line_no: 2,
                    gtin: gtin(GTIN_B),
                    quantity: 5,
                    unit_price: dec!(20.00),
                },
            ],
        })]
    );
    g.apply(&events);
    assert_eq!(g.order_status(O1), OrderStatus::Open);
    assert_eq!(g.exposure(HOSPITAL).open_orders, dec!(1100.00));
}

#[test]
fn an_order_line_at_price_zero_is_allowed() {
    let g = world();
    let events = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O3, HOSPITAL, 2, dec!(0))),
    ));
    assert!(matches!(&events[..], [Event::OrderPlaced(o)] if o.lines[0].unit_price.is_zero()));
}

#[test]
fn an_order_without_a_number_is_refused() {
    let g = world();
    assert_invalid(
        when(
            &g,
            &sales(),
            Command::PlaceOrder(PlaceOrder {
                number: " ".into(),
                ..place_o1()
            }),
        ),
        "number",
    );
}

#[test]
fn an_order_in_an_unknown_currency_is_refused() {
    let g = world();
    assert_invalid(
        when(
            &g,
            &sales(),
            Command::PlaceOrder(PlaceOrder {
                currency: "XYZ".into(),
                ..place_o1()
            }),
        ),
        "currency",
    );
}

#[test]
fn an_order_for_an_unknown_customer_is_refused() {
    let g = world();
    assert_not_found(
        when(
            &g,
            &sales(),
            Command::PlaceOrder(PlaceOrder {
                customer_id: NO_SUCH_CUSTOMER,
                ..place_o1()
            }),
        ),
        "customer",
    );
}

#[test]
fn an_order_without_lines_or_with_more_than_a_thousand_is_refused() {
    let g = world();
    for lines in [vec![], vec![line(1, GTIN_A, 1, dec!(1.00)); 1_001]] {
        assert_invalid(
            when(
                &g,
                &sales(),
                Command::PlaceOrder(PlaceOrder {
                    lines,
                    ..place_o1()
                }),
            ),
            "lines",
        );
    }
}

#[test]
fn an_order_line_with_an_invalid_gtin_is_refused() {
    let g = world();
    assert_invalid(
        when(
            &g,
            &sales(),
            Command::PlaceOrder(PlaceOrder {
                lines: vec![line(1, "09506000134353", 1, dec!(1.00))],
                ..place_o1()
            }),
        ),
        "gtin",
    );
}

#[test]
fn an_order_line_for_an_unknown_product_is_refused() {
    let g = world();
    assert_not_found(
        when(
            &g,
            &sales(),
            Command::PlaceOrder(PlaceOrder {
                lines: vec![line(1, GTIN_UNREGISTERED, 1, dec!(1.00))],
                ..place_o1()
            }),
        ),
        "product",
    );
}

#[test]
fn an_order_with_a_line_number_twice_is_refused() {
    let g = world();
    assert_invalid(
        when(
            &g,
            &sales(),
            Command::PlaceOrder(PlaceOrder {
                lines: vec![
                    line(1, GTIN_A, 1, dec!(1.00)),
                    line(1, GTIN_B, 1, dec!(1.00)),
                ],
                ..place_o1()
            }),
        ),
        "lines",
    );
}

#[test]
fn an_order_line_of_zero_negative_or_huge_quantity_is_refused() {
    let g = world();
    for quantity in [0, -1, 1_000_000_001] {
        assert_invalid(
            when(
                &g,
                &sales(),
                Command::PlaceOrder(order_of(O3, HOSPITAL, quantity, dec!(1.00))),
            ),
            "quantity",
        );
    }
}

#[test]
fn an_order_line_with_a_negative_price_is_refused() {
    let g = world();
    assert_invalid(
        when(
            &g,
            &sales(),
            Command::PlaceOrder(order_of(O3, HOSPITAL, 1, dec!(-1.00))),
        ),
        "unit_price",
    );
}

#[test]
fn an_order_price_with_more_decimals_than_its_currency_is_refused() {
    let g = world();
    assert_invalid(
        when(
            &g,
            &sales(),
            Command::PlaceOrder(order_of(O3, HOSPITAL, 1, dec!(10.005))),
        ),
        "unit_price",
    );
    assert_invalid(
        when(
            &g,
            &sales(),
            Command::PlaceOrder(PlaceOrder {
                currency: "JPY".into(),
                ..order_of(O3, DEALER, 1, dec!(1.5))
            }),
        ),
        "unit_price",
    );
}

#[test]
fn placing_an_order_id_or_number_twice_is_refused() {
    let g = with_order();
    assert_exists(
        when(
            &g,
            &sales(),
            Command::PlaceOrder(PlaceOrder {
                number: "SO-99".into(),
                ..place_o1()
            }),
        ),
        "order",
    );
    assert_exists(
        when(
            &g,
            &sales(),
            Command::PlaceOrder(PlaceOrder {
                order_id: O3,
                ..place_o1()
            }),
        ),
        "order number",
    );
}

#[test]
fn an_order_in_another_currency_than_the_credit_limit_is_refused() {
    let g = world();
    let err = assert_refused!(
        when(
            &g,
            &sales(),
            Command::PlaceOrder(PlaceOrder {
                currency: "EUR".into(),
                ..place_o1()
            }),
        ),
        CommandError::CurrencyMismatch { expected, got } if expected == "USD" && got == "EUR"
    );
    assert_eq!(err.code(), ErrorCode::CurrencyMismatch);
}

// ReleaseOrder / RejectOrder / CancelOrder

#[test]
fn a_finance_manager_releases_a_held_order() {
    let mut g = with_held_order();
    let events = accepted(when(&g, &finance_manager(), release(O2)));
    assert_eq!(
        events,
        vec![Event::OrderReleased(OrderReleased {
            order_id: O2,
            by: "fiona".into(),
            note: Some("paid in advance".into()),
        })]
    );
    g.apply(&events);
    assert_eq!(g.order_status(O2), OrderStatus::Released);
    assert_eq!(g.exposure(DEALER).open_orders, dec!(50.00));
}

#[test]
fn releasing_an_unknown_order_is_refused() {
    let g = world();
    assert_not_found(
        when(&g, &finance_manager(), release(NO_SUCH_ORDER)),
        "order",
    );
}

#[test]
fn only_a_held_order_can_be_released() {
    let g = with_order();
    assert_invalid_state(when(&g, &finance_manager(), release(O1)), "order");
    let g = with_held_order().and(release(O2));
    assert_invalid_state(when(&g, &finance_manager(), release(O2)), "order");
}

#[test]
fn a_finance_manager_rejects_a_held_order() {
    let mut g = with_held_order();
    let events = accepted(when(&g, &finance_manager(), reject(O2)));
    assert_eq!(
        events,
        vec![Event::OrderRejected(OrderRejected {
            order_id: O2,
            by: "fiona".into(),
            note: Some("too risky".into()),
        })]
    );
    g.apply(&events);
    assert_eq!(g.order_status(O2), OrderStatus::Rejected);
    assert_eq!(g.exposure(DEALER).open_orders, dec!(0));
}

#[test]
fn rejecting_an_unknown_order_is_refused() {
    let g = world();
    assert_not_found(when(&g, &finance_manager(), reject(NO_SUCH_ORDER)), "order");
}

#[test]
fn only_a_held_order_can_be_rejected() {
    let g = with_order();
    assert_invalid_state(when(&g, &finance_manager(), reject(O1)), "order");
    let g = with_held_order().and(reject(O2));
    assert_invalid_state(when(&g, &finance_manager(), reject(O2)), "order");
}

#[test]
fn cancelling_an_open_order_removes_it_from_exposure() {
    let mut g = with_order();
    let events = accepted(when(&g, &sales(), cancel(O1)));
    assert_eq!(
        events,
        vec![Event::OrderCancelled(OrderCancelled {
            order_id: O1,
            reason: "customer withdrew".into(),
        })]
    );
    g.apply(&events);
    assert_eq!(g.order_status(O1), OrderStatus::Cancelled);
    assert_eq!(g.exposure(HOSPITAL).open_orders, dec!(0));
}

#[test]
fn cancelling_a_partially_shipped_order_cancels_only_the_unshipped_rest() {
    let mut g = with_shipment();
    let events = accepted(when(&g, &sales(), cancel(O1)));
    g.apply(&events);
    let e = g.exposure(HOSPITAL);
    assert_eq!(
        (e.open_orders, e.shipped_not_invoiced),
        (dec!(0), dec!(1000.00))
    );
    // What shipped can still be invoiced.
    assert!(when(&g, &finance(), Command::IssueInvoice(issue_i1())).is_ok());
}

#[test]
fn a_held_order_can_be_cancelled() {
    let mut g = with_held_order();
    let events = accepted(when(&g, &sales(), cancel(O2)));
    g.apply(&events);
    assert_eq!(g.order_status(O2), OrderStatus::Cancelled);
    assert_eq!(g.exposure(DEALER).open_orders, dec!(0));
}

#[test]
fn cancelling_without_a_reason_is_refused() {
    let g = with_order();
    assert_invalid(
        when(
            &g,
            &sales(),
            Command::CancelOrder(CancelOrder {
                order_id: O1,
                reason: " ".into(),
            }),
        ),
        "reason",
    );
}

#[test]
fn cancelling_an_unknown_order_is_refused() {
    let g = world();
    assert_not_found(when(&g, &sales(), cancel(NO_SUCH_ORDER)), "order");
}

#[test]
fn a_shipped_cancelled_or_rejected_order_cannot_be_cancelled() {
    let shipped = with_shipment().and(Command::ShipOrder(shipment(
        S2,
        O1,
        "2026-01-11",
        vec![ship_line(2, GTIN_B, "B1", 5)],
    )));
    assert_eq!(shipped.order_status(O1), OrderStatus::Shipped);
    assert_invalid_state(when(&shipped, &sales(), cancel(O1)), "order");
    let cancelled = with_order().and(cancel(O1));
    assert_invalid_state(when(&cancelled, &sales(), cancel(O1)), "order");
    let rejected = with_held_order().and(reject(O2));
    assert_invalid_state(when(&rejected, &sales(), cancel(O2)), "order");
}
