//! The traceability read model on the recall replay of the issue: lot L1
//! shipped to H1 (10 units, March 1) and H2 (5 units, March 5), lot L2 to
//! H1; a recall of L1 lists H1 10 and H2 5 with dates and documents; as
//! known at a position between the two shipments the lot's chain lists H1
//! only; after H2 returns its units it shows 5 returned, and the earlier
//! answers stay the same. Also: a serial's chain, a customer's, and a
//! recall naming serials.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

mod support;

use arledger_core::domain::Command;
use arledger_core::domain::commands::{AcknowledgeRecall, IssueRecall, RecordRecallReturn};
use arledger_core::domain::types::{Gtin, RiskClass};
use arledger_core::ids::{InvoiceId, RecallId};
use arledger_core::money::Currency;
use arledger_core::sample;
use arledger_projections::trace::{OpenAmount, Trace};
use rust_decimal_macros::dec;
use support::*;
use uuid::Uuid;

const R1: RecallId = RecallId(Uuid::from_u128(0xCA11));

fn traced(h: &History) -> Trace {
    h.fed(h.head())
}

fn gtin() -> Gtin {
    Gtin::parse(sample::GTIN).unwrap()
}

/// H1 and H2, lots L1 and L2; positions after H1's and H2's L1 shipments.
fn replay() -> (History, u64, u64) {
    let mut h = History::new();
    for c in goods_master_data() {
        h.run(c);
    }
    h.run(sample::release_lot("L2", 1_000));
    h.run(register(customer(1), "H1 County Hospital", "East", "sam"));
    h.run(register(customer(2), "H2 City Clinic", "West", "kim"));
    for (order, c, units) in [(1, 1, 10), (2, 2, 5), (3, 1, 3)] {
        h.run(place_order(order_id(order), customer(c), "USD", units));
        let _held_or_not = h.try_run(&release_order(order_id(order)));
    }
    let after_h1 = h.run(ship_from(
        "L1",
        shipment_id(1),
        order_id(1),
        "2026-03-01",
        10,
    ));
    h.run(goods_invoice(
        invoice_id(1),
        customer(1),
        "INV-H1",
        ("2026-03-02", "USD"),
        (shipment_id(1), None),
        dec!(1000.00),
        net(30),
    ));
    let after_h2 = h.run(ship_from(
        "L1",
        shipment_id(2),
        order_id(2),
        "2026-03-05",
        5,
    ));
    h.run(ship_serials(
        "L2",
        (shipment_id(3), order_id(3)),
        "2026-03-06",
        3,
        &["SN-1", "SN-2", "SN-3"],
    ));
    (h, after_h1, after_h2)
}

fn recall_l1() -> Command {
    recall_lot(R1, "L1", "2026-04-01")
}

#[test]
fn the_chain_of_a_lot_as_known_at_any_position() {
    let (h, after_h1, after_h2) = replay();
    let t = traced(&h);
    let then = t.lot(&gtin(), "L1", None, after_h1).unwrap();
    let names: Vec<_> = then
        .shipments
        .iter()
        .map(|s| s.customer_name.clone().unwrap())
        .collect();
    assert_eq!(names, ["H1 County Hospital"]);
    assert_eq!((then.shipped_quantity, then.in_stock), (10, 999_990));
    assert!(then.shipments[0].invoice_ids.is_empty(), "invoiced after");
    let now = t.lot(&gtin(), "L1", None, h.head()).unwrap();
    let shipped: Vec<_> = (now.shipments.iter())
        .map(|s| (s.customer_id, s.quantity, s.shipped_on.to_string()))
        .collect();
    assert_eq!(
        shipped,
        [
            (customer(1), 10, "2026-03-01".into()),
            (customer(2), 5, "2026-03-05".into())
        ]
    );
    assert_eq!(now.shipments[0].invoice_ids, [invoice_id(1)]);
    assert_eq!(now.shipments[0].order_id, order_id(1));
    assert!(
        t.lot(&gtin(), "L1", None, after_h2)
            .unwrap()
            .shipments
            .len()
            == 2
    );
    assert!(t.lot(&gtin(), "NOPE", None, h.head()).is_none());
}

#[test]
fn a_recall_lists_every_consignee_and_later_returns_change_no_earlier_answer() {
    let (mut h, _, _) = replay();
    let recalled = h.run(recall_l1());
    let open = |_: InvoiceId| Some((Currency::USD, dec!(1000.00)));
    let before = traced(&h).recall_impact(R1, recalled, &open).unwrap();
    let rows: Vec<_> = (before.customers.iter())
        .map(|c| {
            (
                c.customer_id,
                c.quantity_shipped,
                c.quantity_returned,
                c.acknowledged_on,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [(customer(1), 10, 0, None), (customer(2), 5, 0, None)]
    );
    assert_eq!(before.customers[0].shipments[0].shipped_on, d("2026-03-01"));
    assert_eq!(before.customers[1].shipments[0].shipped_on, d("2026-03-05"));
    assert_eq!(
        before.customers[0].open_invoice_amounts,
        [OpenAmount {
            currency: Currency::USD,
            amount: dec!(1000.00)
        }],
        "INV-H1 carries L1"
    );
    assert!(
        before.customers[1].open_invoice_amounts.is_empty(),
        "H2 not invoiced"
    );
    assert_eq!(
        (before.total_shipped, before.completion),
        (15, dec!(0.0000))
    );
    h.run(Command::AcknowledgeRecall(AcknowledgeRecall {
        recall_id: R1,
        customer_id: customer(2),
        acknowledged_on: d("2026-04-03"),
    }));
    h.run(Command::RecordRecallReturn(RecordRecallReturn {
        recall_id: R1,
        customer_id: customer(2),
        quantity: 5,
        returned_on: d("2026-04-05"),
    }));
    let t = traced(&h);
    let after = t.recall_impact(R1, h.head(), &open).unwrap();
    assert_eq!(after.customers[1].quantity_returned, 5);
    assert_eq!(after.customers[1].acknowledged_on, Some(d("2026-04-03")));
    assert_eq!((after.total_returned, after.completion), (5, dec!(0.5000)));
    assert_eq!(
        t.recall_impact(R1, recalled, &open).unwrap(),
        before,
        "the earlier answer stays"
    );
    assert!(
        t.recall_impact(R1, recalled - 1, &open).is_none(),
        "not issued yet then"
    );
    let listed = t.recalls(h.head());
    assert_eq!((listed.len(), listed[0].affected_customers), (1, 2));
}

#[test]
fn a_serial_a_customer_and_a_recall_of_serials() {
    let (mut h, _, _) = replay();
    let t = traced(&h);
    assert_eq!(
        t.lot_of_serial(&gtin(), "SN-2", h.head()).as_deref(),
        Some("L2")
    );
    let one = t.lot(&gtin(), "L2", Some("SN-2"), h.head()).unwrap();
    assert_eq!(one.shipments.len(), 1);
    assert_eq!(
        (one.shipments[0].quantity, one.shipments[0].serials.clone()),
        (1, vec!["SN-2".to_string()])
    );
    let h1 = t.customer(customer(1), h.head()).unwrap();
    let lots: Vec<_> = h1
        .received
        .iter()
        .map(|(_, lot, s)| (lot.clone(), s.quantity))
        .collect();
    assert_eq!(lots, [("L1".to_string(), 10), ("L2".to_string(), 3)]);
    h.run(Command::IssueRecall(IssueRecall {
        recall_id: R1,
        gtin: sample::GTIN.into(),
        lots: vec!["L2".into()],
        serials: vec!["SN-1".into(), "SN-3".into()],
        class: RiskClass::I,
        reason: "firmware".into(),
        issued_on: d("2026-04-01"),
    }));
    let impact = traced(&h).recall_impact(R1, h.head(), &|_| None).unwrap();
    assert_eq!(impact.customers.len(), 1);
    assert_eq!(
        impact.customers[0].quantity_shipped, 2,
        "only the named serials"
    );
    assert_eq!(impact.customers[0].shipments[0].serials, ["SN-1", "SN-3"]);
}
