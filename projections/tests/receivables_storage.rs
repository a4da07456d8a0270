//! How the receivables projection stores its facts (read-models.md: a
//! rebuild from position 0 gives exactly the state incremental processing
//! gave): append-only entries keyed by position and sequence, which load
//! back into the same state, on a history with every kind of fact.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

mod support;

use std::collections::BTreeMap;

use arledger_core::domain::terms::TermsBase;
use arledger_projections::Projection;
use arledger_projections::receivables::Receivables;
use rust_decimal_macros::dec;
use support::*;

/// Customers moving region, goods shipped, accepted and invoiced in
/// installments, payments allocated by hand and automatically, a reversal,
/// a credit note, a write-off and its recovery, a dispute opened and
/// resolved.
fn rich_history() -> History {
    let mut h = History::new();
    h.run(register(customer(1), "City Hospital", "East", "sam"));
    h.run(register(customer(2), "Lake Clinic", "West", "kim"));
    for c in goods_master_data() {
        h.run(c);
    }
    order_and_ship(
        &mut h,
        (order_id(1), shipment_id(1)),
        customer(1),
        ("2026-02-01", "USD"),
        5,
    );
    order_and_ship(
        &mut h,
        (order_id(2), shipment_id(2)),
        customer(1),
        ("2026-02-03", "USD"),
        5,
    );
    let half = installments(&[
        (dec!(50), 10, TermsBase::Invoice),
        (dec!(50), 30, TermsBase::Acceptance),
    ]);
    h.run(goods_invoice(
        invoice_id(1),
        customer(1),
        "INV-1",
        ("2026-02-05", "USD"),
        (shipment_id(1), None),
        dec!(500.00),
        half.clone(),
    ));
    h.run(accept(shipment_id(1), "2026-02-10"));
    h.run(goods_invoice(
        invoice_id(2),
        customer(1),
        "INV-2",
        ("2026-02-06", "USD"),
        (shipment_id(2), Some(2)),
        dec!(200.00),
        half,
    ));
    h.run(service_invoice(
        invoice_id(3),
        customer(2),
        "INV-3",
        ("2026-02-07", "EUR"),
        dec!(90.00),
        net(30),
    ));
    h.run(payment(
        payment_id(1),
        customer(1),
        ("2026-02-20", "USD"),
        dec!(300.00),
        true,
    ));
    h.run(payment(
        payment_id(2),
        customer(1),
        ("2026-02-21", "USD"),
        dec!(100.00),
        false,
    ));
    h.run(allocate(payment_id(2), invoice_id(2), dec!(60.00), Some(2)));
    h.run(reverse(payment_id(1), "2026-03-01"));
    h.run(accept(shipment_id(2), "2026-03-02"));
    h.run(credit_note(1, invoice_id(3), dec!(10.00), "2026-02-08"));
    h.run(write_off(invoice_id(3), dec!(20.00), "2026-04-01"));
    h.run(recover(invoice_id(3), dec!(5.00), "2026-04-02"));
    h.run(open_dispute(invoice_id(1), dec!(50.00), "2026-03-03"));
    h.run(resolve_dispute(invoice_id(1), "2026-03-20"));
    h.run(update_region(customer(2), "East"));
    h
}

#[test]
fn entries_are_keyed_by_position_and_sequence_in_log_order() {
    let h = rich_history();
    let mut p = h.projection();
    let entries = drain(&mut p);
    assert!(
        drain(&mut p).is_empty(),
        "a drain hands each entry out once"
    );
    assert!(
        entries.windows(2).all(|w| w[0].0 < w[1].0),
        "strictly increasing keys"
    );
    for (key, _) in &entries {
        assert_eq!(key.len(), 11);
        assert_ne!(key[0], 0, "keys starting with 0 are the engine's");
        let position = u64::from_be_bytes(key[1..9].try_into().unwrap());
        assert!((1..=h.head()).contains(&position));
    }
    // The acceptance of shipment 2 also makes INV-2's due dates known:
    // two facts at one position.
    let positions: Vec<u64> = entries
        .iter()
        .map(|(k, _)| u64::from_be_bytes(k[1..9].try_into().unwrap()))
        .collect();
    assert!(positions.windows(2).any(|w| w[0] == w[1]));
    // Orders, products and recoveries change no receivable item.
    assert!(entries.len() < usize::try_from(h.head()).unwrap());
}

#[test]
fn loading_the_entries_gives_the_state_that_stored_them() {
    let h = rich_history();
    let mut p = h.projection();
    let entries = drain(&mut p);
    let loaded = Receivables::load(&mut entries.clone().into_iter()).unwrap();
    assert!(loaded == p);
    let q = query("2026-03-31", h.head());
    assert_eq!(
        json(&loaded.aging(&q).unwrap()),
        json(&p.aging(&q).unwrap())
    );
}

#[test]
fn a_rebuild_stores_the_bytes_incremental_processing_stored() {
    let h = rich_history();
    let mut one_pass = h.projection();
    let all = drain(&mut one_pass);
    for every in 1..=4 {
        let mut store: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        let mut p = Receivables::empty();
        let mut fed = 0;
        while fed < h.head() {
            let to = (fed + every).min(h.head());
            h.feed(&mut p, fed + 1, to);
            fed = to;
            store.extend(drain(&mut p));
            p = Receivables::load(&mut store.clone().into_iter()).unwrap();
        }
        assert!(p == one_pass, "reloaded every {every} events");
        assert_eq!(store.into_iter().collect::<Vec<_>>(), all);
    }
}

#[test]
fn damaged_entries_do_not_load_and_the_engines_are_skipped() {
    let h = rich_history();
    let mut p = h.projection();
    let entries = drain(&mut p);
    let load = |entries: Vec<(Vec<u8>, Vec<u8>)>| Receivables::load(&mut entries.into_iter());
    let mut damaged = entries.clone();
    damaged[3].1.push(0);
    assert!(load(damaged).is_err(), "trailing bytes");
    let mut damaged = entries.clone();
    damaged[3].1.truncate(2);
    assert!(load(damaged).is_err(), "cut short");
    let mut damaged = entries.clone();
    damaged[0].0[0] = b'x';
    let refused = load(damaged).unwrap_err();
    assert_eq!(refused.projection, "receivables");
    assert!(refused.key.starts_with("78"), "{refused}");
    let mut reordered = entries.clone();
    reordered.swap(1, 2);
    assert!(load(reordered).is_err(), "out of order");
    // An allocation before its payment names what does not exist.
    let dropped: Vec<_> = entries
        .iter()
        .filter(|(_, v)| v.first() != Some(&6))
        .cloned()
        .collect();
    assert!(dropped.len() < entries.len());
    assert!(load(dropped).is_err(), "facts naming unknown records");
    let mut with_engine = vec![(vec![0, 1, 2], vec![9, 9])];
    with_engine.extend(entries);
    assert!(load(with_engine).unwrap() == p);
}

#[test]
fn its_name_and_version() {
    assert_eq!(Receivables::NAME, "receivables");
    assert_eq!(Receivables::VERSION, 1);
}
