//! How the receivables projection stores its facts (read-models.md: a
//! rebuild from position 0 gives exactly the state incremental processing
//! gave): append-only records in chunks of positions, which load back into
//! the same state, on a history with every kind of fact.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

mod support;

use std::collections::BTreeMap;

use arledger_core::domain::terms::TermsBase;
use arledger_projections::receivables::Receivables;
use arledger_projections::{Projection, chunks};
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

/// Every stored record, in stored order, with its chunk.
fn records(entries: &[(Vec<u8>, Vec<u8>)]) -> Vec<(u64, u64, u16, Vec<u8>)> {
    let mut out = Vec::new();
    for (key, value) in entries {
        let chunk = chunks::parse_chunk_key(b'f', key).expect("a chunk of facts");
        for r in chunks::records(chunk, value).unwrap() {
            out.push((chunk, r.position, r.seq, r.bytes.to_vec()));
        }
    }
    out
}

#[test]
fn facts_are_stored_in_chunks_of_positions_in_log_order() {
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
        assert_eq!(key.len(), 9, "a tag and a chunk number");
        assert_ne!(key[0], 0, "keys starting with 0 are the engine's");
    }
    let records = records(&entries);
    for (chunk, position, _, _) in &records {
        assert!((1..=h.head()).contains(position));
        assert_eq!(position / chunks::CHUNK_POSITIONS, *chunk);
    }
    let order: Vec<(u64, u16)> = records.iter().map(|r| (r.1, r.2)).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "in log order");
    // The acceptance of shipment 2 also makes INV-2's due dates known:
    // two facts at one position.
    assert!(order.windows(2).any(|w| w[0].0 == w[1].0));
    // Orders, products and recoveries change no receivable item.
    assert!(records.len() < usize::try_from(h.head()).unwrap());
}

#[test]
fn a_chunk_grows_in_place_and_the_next_one_starts_at_its_boundary() {
    let mut writer = chunks::ChunkWriter::default();
    let drained = |writer: &mut chunks::ChunkWriter| {
        let mut changes = arledger_projections::Changes::default();
        writer.drain(b'f', &mut changes);
        changes.entries
    };
    let boundary = chunks::CHUNK_POSITIONS;
    writer.push(boundary - 2, 0, b"a");
    let first = drained(&mut writer);
    assert_eq!(first.len(), 1);
    writer.push(boundary - 1, 0, b"b");
    writer.push(boundary, 0, b"c");
    let second = drained(&mut writer);
    // The first chunk again, now complete, and the next one.
    assert_eq!(second.len(), 2);
    assert_eq!(second[0].0, first[0].0);
    assert_eq!(chunks::parse_chunk_key(b'f', &second[1].0), Some(1));
    let bytes = second[0].1.as_ref().unwrap();
    let kept: Vec<&[u8]> = chunks::records(0, bytes)
        .unwrap()
        .iter()
        .map(|r| r.bytes)
        .collect();
    assert_eq!(kept, [b"a".as_slice(), b"b".as_slice()]);
    assert!(drained(&mut writer).is_empty());
    assert!(
        chunks::records(1, bytes).is_err(),
        "records outside the chunk's positions"
    );
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
    let damage = |edit: &dyn Fn(&mut Vec<u8>)| {
        let mut damaged = entries.clone();
        edit(&mut damaged[0].1);
        load(damaged)
    };
    assert!(damage(&|v| v.push(0)).is_err(), "trailing bytes");
    assert!(damage(&|v| v.truncate(v.len() - 2)).is_err(), "cut short");
    let mut damaged = entries.clone();
    damaged[0].0[0] = b'x';
    let refused = load(damaged).unwrap_err();
    assert_eq!(refused.projection, "receivables");
    assert!(refused.key.starts_with("78"), "{refused}");
    // Records rewritten in another order, or some of them dropped.
    let rebuilt = |keep: &dyn Fn(usize, &[u8]) -> bool, swap: bool| {
        let mut records = records(&entries);
        if swap {
            records.swap(1, 2);
        }
        let mut writer = chunks::ChunkWriter::default();
        for (i, (_, position, seq, bytes)) in records.iter().enumerate() {
            if keep(i, bytes) {
                writer.push(*position, *seq, bytes);
            }
        }
        let mut changes = arledger_projections::Changes::default();
        writer.drain(b'f', &mut changes);
        load(
            changes
                .entries
                .into_iter()
                .map(|(k, v)| (k, v.unwrap()))
                .collect(),
        )
    };
    assert!(
        rebuilt(&|_, _| true, false).unwrap() == p,
        "rewritten as it was"
    );
    assert!(rebuilt(&|_, _| true, true).is_err(), "out of order");
    // An allocation before its payment names what does not exist.
    assert!(
        rebuilt(&|_, bytes| bytes.first() != Some(&6), false).is_err(),
        "facts naming unknown records"
    );
    let mut with_engine = vec![(vec![0, 1, 2], vec![9, 9])];
    with_engine.extend(entries);
    assert!(load(with_engine).unwrap() == p);
}

#[test]
fn its_name_and_version() {
    assert_eq!(Receivables::NAME, "receivables");
    assert_eq!(Receivables::VERSION, 1);
}
