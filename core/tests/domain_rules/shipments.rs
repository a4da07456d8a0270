//! domain.md 4, sales and receivables: shipments. OrderShipped (ShipOrder:
//! a released order, quantities within what was ordered and released, lots
//! neither expired nor recalled, serials, raw UDIs) and DeliveryAccepted
//! (AcceptDelivery).

use arledger_core::domain::commands::*;
use arledger_core::domain::events::*;
use arledger_core::domain::state::OrderStatus;
use arledger_core::domain::{Command, CommandError, ErrorCode, Event};
use rust_decimal_macros::dec;

use crate::commands::*;
use crate::fixtures::*;
use crate::harness::*;
use crate::values::*;

// ShipOrder

fn ship(g: &Given, command: ShipOrder) -> Result<Vec<Event>, CommandError> {
    when(g, &warehouse(), Command::ShipOrder(command))
}

fn assert_overshipment(result: Result<Vec<Event>, CommandError>) {
    let err = assert_refused!(result, CommandError::Overshipment { .. });
    assert_eq!(err.code(), ErrorCode::Overshipment);
}

fn assert_not_released(result: Result<Vec<Event>, CommandError>, status: &str) {
    let err = assert_refused!(
        result,
        CommandError::OrderNotReleased { status: s, .. } if *s == status
    );
    assert_eq!(err.code(), ErrorCode::OrderNotReleased);
}

#[test]
fn shipping_records_lot_and_expiry_and_moves_the_value_to_shipped_not_invoiced() {
    let mut g = with_order();
    let events = accepted(ship(&g, ship_s1()));
    assert_eq!(
        events,
        vec![Event::OrderShipped(OrderShipped {
            shipment_id: S1,
            order_id: O1,
            shipped_on: d("2026-01-10"),
            ship_to: "Ward 3".into(),
            lines: vec![ShipmentLine {
                line_no: 1,
                gtin: gtin(GTIN_A),
                lot: "L1".into(),
                expires_on: d("2027-12-31"),
                serials: vec![],
                quantity: 10,
                udis: vec![],
            }],
        })]
    );
    g.apply(&events);
    assert_eq!(g.order_status(O1), OrderStatus::PartiallyShipped);
    let lot =
        g.0.lot(&gtin(GTIN_A), "L1")
            .map(|l| (l.shipped, l.shipped_to.get(&HOSPITAL).copied()));
    assert_eq!(lot, Some((10, Some(10))));
    let e = g.exposure(HOSPITAL);
    assert_eq!(
        (e.open_orders, e.shipped_not_invoiced),
        (dec!(100.00), dec!(1000.00))
    );
}

#[test]
fn shipping_every_line_in_full_marks_the_order_shipped() {
    let mut g = with_order();
    let events = accepted(ship(
        &g,
        shipment(
            S1,
            O1,
            "2026-01-10",
            vec![
                ship_line(1, GTIN_A, "L1", 10),
                ship_line(2, GTIN_B, "B1", 5),
            ],
        ),
    ));
    g.apply(&events);
    assert_eq!(g.order_status(O1), OrderStatus::Shipped);
    assert_eq!(g.exposure(HOSPITAL).open_orders, dec!(0));
}

#[test]
fn one_order_line_may_ship_from_several_lots() {
    let mut g = with_order();
    let events = accepted(ship(
        &g,
        shipment(
            S1,
            O1,
            "2026-01-10",
            vec![ship_line(1, GTIN_A, "L1", 6), ship_line(1, GTIN_A, "L2", 4)],
        ),
    ));
    g.apply(&events);
    assert_eq!(g.0.orders[&O1].lines[0].shipped, 10);
    assert_eq!(g.0.lot(&gtin(GTIN_A), "L2").map(|l| l.shipped), Some(4));
}

#[test]
fn a_released_order_ships() {
    let g = with_held_order().and(release(O2));
    assert!(
        ship(
            &g,
            shipment(S2, O2, "2026-02-02", vec![ship_line(1, GTIN_A, "L1", 5)])
        )
        .is_ok()
    );
}

#[test]
fn shipping_serialised_units_records_their_serials() {
    let mut g = with_order();
    let events = accepted(ship(
        &g,
        shipment(
            S1,
            O1,
            "2026-01-10",
            vec![ShipLineRequest {
                serials: vec!["SN1".into(), "SN2".into()],
                ..ship_line(1, GTIN_A, "L1", 2)
            }],
        ),
    ));
    g.apply(&events);
    let index = g.0.lot(&gtin(GTIN_A), "L1").map(|l| l.index);
    let serials = &g.0.products[&gtin(GTIN_A)].serials;
    assert_eq!(serials.len(), 2);
    assert!(
        serials
            .values()
            .all(|to| Some(to.lot) == index && to.shipment_id == S1)
    );
}

#[test]
fn shipping_with_an_overlong_ship_to_is_refused() {
    let g = with_order();
    assert_invalid(
        ship(
            &g,
            ShipOrder {
                ship_to: long_text(),
                ..ship_s1()
            },
        ),
        "ship_to",
    );
}

#[test]
fn a_shipment_without_lines_is_refused() {
    let g = with_order();
    assert_invalid(
        ship(
            &g,
            ShipOrder {
                lines: vec![],
                ..ship_s1()
            },
        ),
        "lines",
    );
}

#[test]
fn shipping_an_unknown_order_is_refused() {
    let g = with_order();
    assert_not_found(
        ship(
            &g,
            ShipOrder {
                order_id: NO_SUCH_ORDER,
                ..ship_s1()
            },
        ),
        "order",
    );
}

#[test]
fn shipping_a_held_order_is_refused() {
    let g = with_held_order();
    assert_not_released(
        ship(
            &g,
            shipment(S2, O2, "2026-02-02", vec![ship_line(1, GTIN_A, "L1", 5)]),
        ),
        "HELD",
    );
}

#[test]
fn shipping_a_rejected_or_cancelled_order_is_refused() {
    let rejected = with_held_order().and(reject(O2));
    assert_not_released(
        ship(
            &rejected,
            shipment(S2, O2, "2026-02-02", vec![ship_line(1, GTIN_A, "L1", 5)]),
        ),
        "REJECTED",
    );
    let cancelled = with_order().and(cancel(O1));
    assert_not_released(ship(&cancelled, ship_s1()), "CANCELLED");
}

/// `apply` trusts nothing a log says: a stored shipment taking more of a lot
/// than was released (a log no command could have written) is refused as a
/// broken log, rather than wrapping the lot's remaining count.
#[test]
fn folding_a_shipment_beyond_its_lots_release_is_refused() {
    let mut g = with_order();
    let mut events = accepted(ship(
        &g,
        shipment(S2, O1, "2026-01-11", vec![ship_line(1, GTIN_A, "L2", 5)]),
    ));
    let Some(Event::OrderShipped(shipped)) = events.first_mut() else {
        panic!("expected OrderShipped, got {events:?}");
    };
    shipped.lines[0].quantity = 8; // L2 released 5; O1 line 1 ordered 10.
    let err =
        g.0.apply(&events[0])
            .expect_err("a lot shipped beyond its release");
    assert!(err.to_string().contains("beyond its release"), "{err}");

    // After 5 units of B1 shipped, a count that would wrap around u64 is
    // refused too: it neither panics nor wraps back under the limits.
    let mut g = with_shipment().and(Command::ShipOrder(shipment(
        S2,
        O1,
        "2026-01-11",
        vec![ship_line(2, GTIN_B, "B1", 2)],
    )));
    let mut events = accepted(ship(
        &g,
        shipment(S3, O1, "2026-01-12", vec![ship_line(2, GTIN_B, "B1", 1)]),
    ));
    let Some(Event::OrderShipped(shipped)) = events.first_mut() else {
        panic!("expected OrderShipped, got {events:?}");
    };
    shipped.lines[0].quantity = u64::MAX - 1;
    let err = g.0.apply(&events[0]).expect_err("a count that wraps");
    assert!(err.to_string().contains("overflows"), "{err}");
}

/// A fully shipped order is still released; what refuses more is the
/// quantity rule (shipped <= ordered minus already shipped).
#[test]
fn shipping_a_fully_shipped_order_again_is_an_overshipment() {
    let g = with_shipment().and(Command::ShipOrder(shipment(
        S2,
        O1,
        "2026-01-11",
        vec![ship_line(2, GTIN_B, "B1", 5)],
    )));
    assert_eq!(g.order_status(O1), OrderStatus::Shipped);
    let err = assert_refused!(
        ship(
            &g,
            shipment(S3, O1, "2026-01-12", vec![ship_line(1, GTIN_A, "L1", 1)]),
        ),
        CommandError::Overshipment { detail } if detail.contains("shipped in full")
    );
    assert_eq!(err.code(), ErrorCode::Overshipment);
}

#[test]
fn shipping_under_a_shipment_id_already_used_is_refused() {
    let g = with_shipment();
    assert_exists(
        ship(
            &g,
            shipment(S1, O1, "2026-01-11", vec![ship_line(2, GTIN_B, "B1", 1)]),
        ),
        "shipment",
    );
}

#[test]
fn a_shipment_line_with_an_invalid_gtin_lot_or_quantity_is_refused() {
    let g = with_order();
    let cases = [
        (ship_line(1, "09506000134353", "L1", 1), "gtin"),
        (ship_line(1, GTIN_A, "", 1), "lot"),
        (ship_line(1, GTIN_A, "LOT WITH SPACES", 1), "lot"),
        (ship_line(1, GTIN_A, "L1", 0), "quantity"),
        (ship_line(1, GTIN_A, "L1", -3), "quantity"),
    ];
    for (l, field) in cases {
        assert_invalid(ship(&g, shipment(S1, O1, "2026-01-10", vec![l])), field);
    }
}

#[test]
fn shipping_against_an_unknown_order_line_is_refused() {
    let g = with_order();
    assert_not_found(
        ship(
            &g,
            shipment(S1, O1, "2026-01-10", vec![ship_line(9, GTIN_A, "L1", 1)]),
        ),
        "order line",
    );
}

#[test]
fn shipping_another_product_than_the_order_line_is_refused() {
    let g = with_order();
    assert_invalid(
        ship(
            &g,
            shipment(S1, O1, "2026-01-10", vec![ship_line(1, GTIN_B, "B1", 1)]),
        ),
        "gtin",
    );
}

#[test]
fn shipping_an_unknown_lot_is_refused() {
    let g = with_order();
    assert_not_found(
        ship(
            &g,
            shipment(S1, O1, "2026-01-10", vec![ship_line(1, GTIN_A, "L9", 1)]),
        ),
        "lot",
    );
}

#[test]
fn shipping_a_lot_expired_on_the_ship_date_is_refused() {
    let g = with_order();
    let err = assert_refused!(
        ship(&g, shipment(S1, O1, "2026-02-01", vec![ship_line(1, GTIN_A, "OLD", 1)])),
        CommandError::LotExpired { lot, expires_on, shipped_on, .. }
            if lot == "OLD" && *expires_on == d("2026-01-31") && *shipped_on == d("2026-02-01")
    );
    assert_eq!(err.code(), ErrorCode::LotExpired);
}

#[test]
fn a_lot_may_ship_on_its_expiry_date() {
    let g = with_order();
    assert!(
        ship(
            &g,
            shipment(S1, O1, "2026-01-31", vec![ship_line(1, GTIN_A, "OLD", 1)])
        )
        .is_ok()
    );
}

#[test]
fn shipping_a_recalled_lot_is_refused() {
    let g = with_order().and(Command::IssueRecall(recall(R1, GTIN_A, &["L1"])));
    let err = assert_refused!(
        ship(&g, ship_s1()),
        CommandError::LotRecalled { lot, recall, .. } if lot == "L1" && *recall == R1.to_string()
    );
    assert_eq!(err.code(), ErrorCode::LotRecalled);
    // Another lot of the same product is not affected.
    assert!(
        ship(
            &g,
            shipment(S1, O1, "2026-01-10", vec![ship_line(1, GTIN_A, "L2", 5)])
        )
        .is_ok()
    );
}

#[test]
fn shipping_more_than_the_ordered_quantity_is_refused() {
    let g = with_order();
    assert_overshipment(ship(
        &g,
        shipment(S1, O1, "2026-01-10", vec![ship_line(1, GTIN_A, "L1", 11)]),
    ));
}

#[test]
fn shipping_more_than_ordered_across_several_lots_is_refused() {
    let g = with_order();
    assert_overshipment(ship(
        &g,
        shipment(
            S1,
            O1,
            "2026-01-10",
            vec![ship_line(1, GTIN_A, "L1", 6), ship_line(1, GTIN_A, "L2", 5)],
        ),
    ));
}

#[test]
fn shipping_more_than_ordered_minus_already_shipped_is_refused() {
    let g = with_order().and(Command::ShipOrder(shipment(
        S1,
        O1,
        "2026-01-10",
        vec![ship_line(1, GTIN_A, "L1", 4)],
    )));
    assert_overshipment(ship(
        &g,
        shipment(S2, O1, "2026-01-11", vec![ship_line(1, GTIN_A, "L1", 7)]),
    ));
    assert!(
        ship(
            &g,
            shipment(S2, O1, "2026-01-11", vec![ship_line(1, GTIN_A, "L1", 6)])
        )
        .is_ok()
    );
}

#[test]
fn shipping_more_than_the_lots_released_quantity_is_refused() {
    let g = with_order();
    // L2 released 5 units; the order line has 10.
    assert_overshipment(ship(
        &g,
        shipment(S1, O1, "2026-01-10", vec![ship_line(1, GTIN_A, "L2", 6)]),
    ));
}

#[test]
fn shipping_more_than_the_lot_has_left_after_earlier_shipments_is_refused() {
    let g = with_order()
        .and(Command::ShipOrder(shipment(
            S1,
            O1,
            "2026-01-10",
            vec![ship_line(1, GTIN_A, "L2", 4)],
        )))
        .and(Command::PlaceOrder(order_of(O3, CLINIC, 3, dec!(100.00))));
    assert_overshipment(ship(
        &g,
        shipment(S2, O3, "2026-02-02", vec![ship_line(1, GTIN_A, "L2", 2)]),
    ));
}

#[test]
fn two_order_lines_taking_more_than_one_lot_holds_are_refused() {
    let g = world().and(Command::PlaceOrder(order(
        O3,
        "SO-3",
        HOSPITAL,
        "2026-01-05",
        vec![
            line(1, GTIN_A, 4, dec!(100.00)),
            line(2, GTIN_A, 4, dec!(90.00)),
        ],
    )));
    assert_overshipment(ship(
        &g,
        shipment(
            S1,
            O3,
            "2026-01-10",
            vec![ship_line(1, GTIN_A, "L2", 3), ship_line(2, GTIN_A, "L2", 3)],
        ),
    ));
}

#[test]
fn serials_must_be_one_per_unit_or_none() {
    let g = with_order();
    assert_invalid(
        ship(
            &g,
            shipment(
                S1,
                O1,
                "2026-01-10",
                vec![ShipLineRequest {
                    serials: vec!["SN1".into()],
                    ..ship_line(1, GTIN_A, "L1", 2)
                }],
            ),
        ),
        "serials",
    );
}

#[test]
fn a_serial_that_is_empty_or_not_printable_ascii_is_refused() {
    let g = with_order();
    for serial in ["", "SN 1"] {
        assert_invalid(
            ship(
                &g,
                shipment(
                    S1,
                    O1,
                    "2026-01-10",
                    vec![ShipLineRequest {
                        serials: vec![serial.into()],
                        ..ship_line(1, GTIN_A, "L1", 1)
                    }],
                ),
            ),
            "serials",
        );
    }
}

#[test]
fn a_serial_shipped_twice_is_refused() {
    let serialised = |id, serials: &[&str]| {
        shipment(
            id,
            O1,
            "2026-01-10",
            vec![ShipLineRequest {
                serials: serials.iter().map(|s| s.to_string()).collect(),
                ..ship_line(1, GTIN_A, "L1", i64::try_from(serials.len()).unwrap_or(0))
            }],
        )
    };
    let g = with_order();
    assert_invalid_state(ship(&g, serialised(S1, &["SN1", "SN1"])), "serial");
    let g = g.and(Command::ShipOrder(serialised(S1, &["SN1"])));
    assert_invalid_state(ship(&g, serialised(S2, &["SN2", "SN1"])), "serial");
}

#[test]
fn more_serials_or_udis_than_a_line_may_carry_are_refused() {
    let g = with_order();
    assert_invalid(
        ship(
            &g,
            shipment(
                S1,
                O1,
                "2026-01-10",
                vec![ShipLineRequest {
                    udis: vec!["x".into(); 10_001],
                    ..ship_line(1, GTIN_A, "L1", 1)
                }],
            ),
        ),
        "serials",
    );
}

fn ship_with_udis(udis: &[&str], serials: &[&str]) -> ShipOrder {
    shipment(
        S1,
        O1,
        "2026-01-10",
        vec![ShipLineRequest {
            udis: udis.iter().map(|u| u.to_string()).collect(),
            serials: serials.iter().map(|s| s.to_string()).collect(),
            ..ship_line(1, GTIN_A, "L1", 2)
        }],
    )
}

#[test]
fn a_udi_that_agrees_with_its_line_is_accepted_and_kept_raw() {
    let g = with_order();
    let udis = [
        "(01)09506000134352(17)271231(10)L1(21)SN1",
        "(01)09506000134352(17)271231(10)L1(21)SN2",
    ];
    let events = accepted(ship(&g, ship_with_udis(&udis, &["SN1", "SN2"])));
    assert!(
        matches!(&events[..], [Event::OrderShipped(s)] if s.lines[0].udis == udis),
        "{events:?}"
    );
}

#[test]
fn an_empty_or_overlong_udi_string_is_refused() {
    let g = with_order();
    let overlong = "1".repeat(1_001);
    for udi in ["", overlong.as_str()] {
        let err = assert_refused!(
            ship(&g, ship_with_udis(&[udi], &[])),
            CommandError::UdiInvalid(_)
        );
        assert_eq!(err.code(), ErrorCode::UdiInvalid);
    }
}

#[test]
fn a_udi_that_does_not_parse_is_refused_saying_why() {
    let g = with_order();
    let cases = [
        ("(01)09506000134353(10)L1", "expected 2"),
        ("(01)09506000134352(17)271301", "month 13"),
        ("+A99912345/$$52001510X33", "HIBCC"),
    ];
    for (udi, words) in cases {
        let err = assert_refused!(
            ship(&g, ship_with_udis(&[udi], &[])),
            CommandError::UdiInvalid(_)
        );
        assert_eq!(err.code(), ErrorCode::UdiInvalid);
        assert!(err.to_string().contains(words), "{udi}: {err}");
    }
}

#[test]
fn a_udi_that_disagrees_with_its_line_is_a_mismatch() {
    let g = with_order();
    let cases = [
        ("(01)09504000059118(10)L1", "names GTIN"),
        ("(01)09506000134352(10)L2", "names lot L2"),
        ("(01)09506000134352(17)271130(10)L1", "expires 2027-11-30"),
        (
            "https://id.gs1.org/01/09506000134352/10/L1/21/SN9",
            "serial SN9",
        ),
    ];
    for (udi, words) in cases {
        let err = assert_refused!(
            ship(&g, ship_with_udis(&[udi], &["SN1", "SN2"])),
            CommandError::UdiMismatch(_)
        );
        assert_eq!(err.code(), ErrorCode::UdiMismatch);
        assert!(err.to_string().contains(words), "{udi}: {err}");
    }
    // Every form of the same identity agrees.
    let agreeing = [
        "]d201095060001343521727123110L1\u{1d}21SN1",
        "https://example.com/01/09506000134352/10/L1/21/SN2?17=271231",
    ];
    assert!(ship(&g, ship_with_udis(&agreeing, &["SN1", "SN2"])).is_ok());
}

#[test]
fn a_recall_naming_serials_blocks_those_serials_not_the_lot() {
    let g = with_order().and(Command::IssueRecall(IssueRecall {
        serials: vec!["SN1".into()],
        ..recall(R1, GTIN_A, &["L1"])
    }));
    let err = assert_refused!(
        ship(&g, ship_with_udis(&[], &["SN1", "SN2"])),
        CommandError::SerialRecalled { serial, recall, .. } if serial == "SN1" && *recall == R1.to_string()
    );
    assert_eq!(err.code(), ErrorCode::LotRecalled);
    assert!(
        ship(&g, ship_with_udis(&[], &["SN2", "SN3"])).is_ok(),
        "the rest of the lot ships"
    );
}

// AcceptDelivery

#[test]
fn accepting_a_delivery_records_it_on_the_shipment() {
    let mut g = with_shipment();
    let events = accepted(when(&g, &warehouse(), accept(S1, "2026-01-12")));
    assert_eq!(
        events,
        vec![Event::DeliveryAccepted(DeliveryAccepted {
            shipment_id: S1,
            order_id: O1,
            accepted_on: d("2026-01-12"),
            accepted_by: "Head nurse Li".into(),
        })]
    );
    g.apply(&events);
    assert_eq!(g.0.shipments[&S1].accepted_on, Some(d("2026-01-12")));
}

#[test]
fn a_delivery_may_be_accepted_on_its_ship_date() {
    let g = with_shipment();
    assert!(when(&g, &warehouse(), accept(S1, "2026-01-10")).is_ok());
}

#[test]
fn accepting_without_naming_who_accepted_is_refused() {
    let g = with_shipment();
    assert_invalid(
        when(
            &g,
            &warehouse(),
            Command::AcceptDelivery(AcceptDelivery {
                shipment_id: S1,
                accepted_on: d("2026-01-12"),
                accepted_by: " ".into(),
            }),
        ),
        "accepted_by",
    );
}

#[test]
fn accepting_an_unknown_shipment_is_refused() {
    let g = with_shipment();
    assert_not_found(
        when(&g, &warehouse(), accept(NO_SUCH_SHIPMENT, "2026-01-12")),
        "shipment",
    );
}

#[test]
fn a_delivery_is_accepted_once() {
    let g = with_shipment().and(accept(S1, "2026-01-12"));
    assert_invalid_state(when(&g, &warehouse(), accept(S1, "2026-01-13")), "shipment");
}

#[test]
fn accepting_before_the_ship_date_is_refused() {
    let g = with_shipment();
    assert_invalid(
        when(&g, &warehouse(), accept(S1, "2026-01-09")),
        "accepted_on",
    );
}
