//! The projection engine against a real ledger on sled in temp dirs: it
//! follows appends, resumes from its checkpoint without skipping or
//! applying anything twice, rebuilds a projection whose code version
//! changed, and answers read-your-writes waits. A child process killed
//! with SIGKILL at random moments while it applies batches leaves every
//! projection equal to a rebuild from position 0 (seed printed;
//! `ARLEDGER_ENGINE_CRASH_SEED` replays it).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Command as Process;
use std::sync::Arc;
use std::time::Duration;

use arledger_core::clock::ManualClock;
use arledger_core::ids::{CustomerId, InvoiceId, PaymentId};
use arledger_core::log::{Ledger, LedgerOptions};
use arledger_core::sample;
use arledger_projections::engine::{Engine, EngineError};
use arledger_projections::receivables::Receivables;
use arledger_projections::{Applied, Changes, LoadError, Projection};
use chrono::{TimeZone, Utc};
use rand::{Rng, SeedableRng, rngs::StdRng};
use rust_decimal::Decimal;
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(60);
const CUSTOMERS: u128 = 300;

/// A projection whose stored entries are overwritten, not appended: it
/// counts events per type and sums their positions, so an event applied
/// twice or skipped shows in both.
#[derive(Clone, Debug, Default, PartialEq)]
struct Tally {
    counts: BTreeMap<String, u64>,
    position_sum: u64,
    changed: bool,
}

impl Tally {
    /// Without the bookkeeping of what changed.
    fn totals(&self) -> (BTreeMap<String, u64>, u64) {
        (self.counts.clone(), self.position_sum)
    }
}

const SUM_KEY: &[u8] = b"\x02sum";

impl Projection for Tally {
    const NAME: &'static str = "test-tally";
    const VERSION: u32 = 1;

    fn empty() -> Self {
        Tally::default()
    }

    fn apply(&mut self, applied: &Applied<'_>) {
        *self
            .counts
            .entry(applied.event.type_name().to_string())
            .or_default() += 1;
        self.position_sum += applied.position;
        self.changed = true;
    }

    fn drain_changes(&mut self, changes: &mut Changes) {
        if !std::mem::take(&mut self.changed) {
            return;
        }
        for (name, count) in &self.counts {
            let mut key = vec![1u8];
            key.extend_from_slice(name.as_bytes());
            changes.put(key, count.to_be_bytes().to_vec());
        }
        changes.put(SUM_KEY.to_vec(), self.position_sum.to_be_bytes().to_vec());
    }

    fn load(entries: &mut dyn Iterator<Item = (Vec<u8>, Vec<u8>)>) -> Result<Self, LoadError> {
        let mut tally = Tally::default();
        for (key, value) in entries {
            let number =
                u64::from_be_bytes(value.as_slice().try_into().map_err(|_| LoadError {
                    projection: Self::NAME,
                    key: format!("{key:?}"),
                    reason: "not a u64".into(),
                })?);
            if key == SUM_KEY {
                tally.position_sum = number;
            } else {
                let name = String::from_utf8_lossy(&key[1..]).into_owned();
                tally.counts.insert(name, number);
            }
        }
        Ok(tally)
    }
}

/// The same projection at another code version.
#[derive(Debug, Default, PartialEq)]
struct TallyV2(Tally);

impl Projection for TallyV2 {
    const NAME: &'static str = Tally::NAME;
    const VERSION: u32 = 2;

    fn empty() -> Self {
        TallyV2::default()
    }

    fn apply(&mut self, applied: &Applied<'_>) {
        self.0.apply(applied);
    }

    fn drain_changes(&mut self, changes: &mut Changes) {
        self.0.drain_changes(changes);
    }

    fn load(entries: &mut dyn Iterator<Item = (Vec<u8>, Vec<u8>)>) -> Result<Self, LoadError> {
        Tally::load(entries).map(TallyV2)
    }
}

fn open(dir: &Path) -> Ledger {
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).unwrap());
    Ledger::open(dir, LedgerOptions::new(Arc::new(clock))).unwrap()
}

/// Appends `rounds` × (an invoice, a payment, its allocation) for a few
/// customers, in bulk batches; registers the customers first if needed.
fn append_workload(ledger: &Ledger, first: u128, rounds: u128) {
    // Many customers, few documents each: debug builds check a customer's
    // running totals against all its documents after every event.
    let customers: Vec<CustomerId> = (1..=CUSTOMERS)
        .map(|n| CustomerId(Uuid::from_u128(n)))
        .collect();
    if ledger.head().position == 0 {
        let batch = customers
            .iter()
            .map(|c| sample::submit(sample::register_customer(*c)))
            .collect();
        ledger.submit_batch(batch).unwrap();
    }
    let mut batch = Vec::new();
    for n in first..first + rounds {
        let customer = customers[usize::try_from(n % CUSTOMERS).unwrap()];
        let invoice = InvoiceId(Uuid::from_u128(1_000_000 + n));
        let payment = PaymentId(Uuid::from_u128(2_000_000 + n));
        let amount = Decimal::new(10_000 + i64::try_from(n % 500).unwrap(), 2);
        batch.push(sample::submit(sample::service_invoice(
            invoice, customer, amount,
        )));
        batch.push(sample::submit(sample::receive_payment(
            payment, customer, amount,
        )));
        batch.push(sample::submit(sample::allocate(payment, invoice, amount)));
        if batch.len() >= 900 {
            for r in ledger.submit_batch(std::mem::take(&mut batch)).unwrap() {
                r.unwrap();
            }
        }
    }
    for r in ledger.submit_batch(batch).unwrap() {
        r.unwrap();
    }
}

/// `P` folded from position 1 up to `prefix`.
fn fold_to<P: Projection>(ledger: &Ledger, prefix: u64) -> P {
    let mut state = P::empty();
    for e in ledger.read(1, usize::try_from(prefix).unwrap()).unwrap() {
        let event = e.event().unwrap();
        state.apply(&Applied {
            position: e.position,
            recorded_at: e.recorded_at,
            stream_id: e.stream_id,
            command_id: e.command_id,
            event: &event,
        });
    }
    state
}

/// The tally a fold of the whole log from position 1 gives.
fn rebuilt(ledger: &Ledger) -> Tally {
    fold_to(ledger, ledger.head().position)
}

/// The entries `P` stores when built from scratch in one pass.
fn drained<P: Projection>(mut state: P) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut changes = Changes::default();
    state.drain_changes(&mut changes);
    let mut entries: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    for (key, value) in changes.entries {
        match value {
            Some(value) => entries.insert(key, value),
            None => entries.remove(&key),
        };
    }
    entries.into_iter().collect()
}

/// The entries of `P`'s tree, checkpoint excluded.
fn stored_entries(ledger: &Ledger, name: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    let tree = ledger.projection_tree(name).unwrap();
    tree.entries().map(Result::unwrap).collect()
}

/// The entries a rebuild of `P` from position 1 stores.
fn rebuilt_entries(tally: &Tally) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut fresh = Tally {
        changed: true,
        ..tally.clone()
    };
    let mut changes = Changes::default();
    fresh.drain_changes(&mut changes);
    let mut entries: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    for (key, value) in changes.entries {
        entries.insert(key, value.unwrap());
    }
    entries.into_iter().collect()
}

#[test]
fn the_engine_follows_appends_and_resumes_from_its_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    append_workload(&ledger, 0, 100);
    let mut builder = Engine::builder(&ledger);
    let tally = builder.add::<Tally>().unwrap();
    let engine = builder.start().unwrap();
    engine.wait_for(ledger.head().position, WAIT).unwrap();
    assert_eq!(tally.read().totals(), rebuilt(&ledger).totals());
    // Appended while it runs: followed.
    append_workload(&ledger, 100, 50);
    engine.wait_for(ledger.head().position, WAIT).unwrap();
    assert_eq!(tally.read().totals(), rebuilt(&ledger).totals());
    assert_eq!(engine.lag(), 0);
    drop(engine);
    // Appended while it is stopped: resumed from the checkpoint, nothing
    // applied twice.
    append_workload(&ledger, 150, 30);
    let mut builder = Engine::builder(&ledger);
    let tally = builder.add::<Tally>().unwrap();
    let engine = builder.start().unwrap();
    engine.wait_for(ledger.head().position, WAIT).unwrap();
    assert_eq!(tally.read().totals(), rebuilt(&ledger).totals());
    drop(engine);
    assert_eq!(
        stored_entries(&ledger, Tally::NAME),
        rebuilt_entries(&rebuilt(&ledger))
    );
}

/// Incremental processing (two engine runs with appends between and
/// stores every few events) stores exactly the bytes a rebuild from
/// position 0 stores, and holds the same state.
#[test]
fn incremental_receivables_store_the_bytes_of_a_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    append_workload(&ledger, 0, 60);
    for (first, rounds) in [(60, 30), (90, 45)] {
        let mut builder = Engine::builder(&ledger).persist_every(41);
        builder.add::<Receivables>().unwrap();
        let engine = builder.start().unwrap();
        append_workload(&ledger, first, rounds);
        engine.wait_for(ledger.head().position, WAIT).unwrap();
    }
    let head = ledger.head().position;
    let mut builder = Engine::builder(&ledger);
    let live = builder.add::<Receivables>().unwrap();
    let engine = builder.start().unwrap();
    engine.wait_for(head, WAIT).unwrap();
    let from_scratch: Receivables = fold_to(&ledger, head);
    assert!(*live.read() == from_scratch);
    drop(engine);
    assert_eq!(
        stored_entries(&ledger, Receivables::NAME),
        drained(from_scratch)
    );
}

#[test]
fn a_projection_whose_code_version_changed_is_rebuilt_from_position_zero() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    append_workload(&ledger, 0, 40);
    let mut builder = Engine::builder(&ledger);
    builder.add::<Tally>().unwrap();
    let engine = builder.start().unwrap();
    engine.wait_for(ledger.head().position, WAIT).unwrap();
    drop(engine);
    let tree = ledger.projection_tree(Tally::NAME).unwrap();
    assert_eq!(tree.meta().unwrap().unwrap().version, 1);
    let mut builder = Engine::builder(&ledger);
    let v2 = builder.add::<TallyV2>().unwrap();
    // Cleared at load: nothing applied yet.
    assert_eq!(v2.read().0.totals(), Tally::default().totals());
    let engine = builder.start().unwrap();
    engine.wait_for(ledger.head().position, WAIT).unwrap();
    assert_eq!(v2.read().0.totals(), rebuilt(&ledger).totals());
    drop(engine);
    assert_eq!(tree.meta().unwrap().unwrap().version, 2);
}

#[test]
fn waiting_for_a_position_beyond_the_head_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    append_workload(&ledger, 0, 3);
    let mut builder = Engine::builder(&ledger);
    builder.add::<Tally>().unwrap();
    assert!(matches!(
        builder.add::<Tally>(),
        Err(EngineError::AddedTwice(_))
    ));
    let engine = builder.start().unwrap();
    let head = ledger.head().position;
    assert!(matches!(
        engine.wait_for(head + 1, Duration::ZERO),
        Err(EngineError::BeyondHead { wanted, head: h }) if wanted == head + 1 && h == head
    ));
    engine.wait_for(head, WAIT).unwrap();
    assert_eq!(engine.applied(), head);
    assert_eq!(engine.positions(), vec![(Tally::NAME, head)]);
}

// ---------------------------------------------------------------------------
// Crash test
// ---------------------------------------------------------------------------

const CHILD_ENV: &str = "ARLEDGER_ENGINE_CHILD";
const ROUNDS: usize = 24;
const CRASH_TEST: &str = "a_projection_killed_at_random_moments_equals_a_rebuild";
const STARTED: &str = "ENGINE APPLYING";

#[test]
fn a_projection_killed_at_random_moments_equals_a_rebuild() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        run_child(Path::new(&dir));
    }
    let seed: u64 = std::env::var("ARLEDGER_ENGINE_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_cafe);
    println!("engine crash test seed {seed} (set ARLEDGER_ENGINE_CRASH_SEED to replay)");
    let mut rng = StdRng::seed_from_u64(seed);
    let dir = tempfile::tempdir().unwrap();
    let mut progressed = 0usize;
    for round in 0..ROUNDS {
        let context = format!("round {round}, seed {seed}");
        {
            let ledger = open(dir.path());
            append_workload(&ledger, u128::try_from(round).unwrap() * 400, 400);
        }
        let before = checkpoint(dir.path());
        let mut child = Process::new(std::env::current_exe().unwrap())
            .args([CRASH_TEST, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir.path())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Killed at a random moment once its engine applies: while it
        // applies and stores the round's batches, or after.
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        assert!(
            lines.any(|l| l.is_ok_and(|l| l == STARTED)),
            "{context}: the child did not start its engine"
        );
        std::thread::sleep(Duration::from_millis(rng.gen_range(0..120)));
        child.kill().unwrap();
        child.wait().unwrap();
        let after = checkpoint(dir.path());
        progressed += usize::from(after.0 > before.0 && after.1 > before.1);
        check_against_rebuild(dir.path(), &context);
    }
    // Restarted once more: it catches up to exactly a rebuild.
    let ledger = open(dir.path());
    let mut builder = Engine::builder(&ledger);
    let tally = builder.add::<Tally>().unwrap();
    let engine = builder.start().unwrap();
    engine.wait_for(ledger.head().position, WAIT).unwrap();
    assert_eq!(
        tally.read().totals(),
        rebuilt(&ledger).totals(),
        "seed {seed}"
    );
    drop(engine);
    assert_eq!(
        stored_entries(&ledger, Tally::NAME),
        rebuilt_entries(&rebuilt(&ledger)),
        "seed {seed}"
    );
    println!(
        "{progressed} of {ROUNDS} rounds were killed after both projections stored some batches"
    );
    assert!(
        progressed >= ROUNDS / 3,
        "too few rounds stored anything before the kill: {progressed} of {ROUNDS}"
    );
}

/// The stored checkpoints of the tally and the receivables (0 when none).
fn checkpoint(dir: &Path) -> (u64, u64) {
    let ledger = open(dir);
    let stored = |name| {
        let tree = ledger.projection_tree(name).unwrap();
        tree.meta().unwrap().map_or(0, |m| m.checkpoint)
    };
    (stored(Tally::NAME), stored(Receivables::NAME))
}

/// After a kill: the stored state loads to exactly what a fold of the
/// log up to its checkpoint gives, and the engine then catches up to a
/// rebuild of the whole log.
fn check_against_rebuild(dir: &Path, context: &str) {
    let ledger = open(dir);
    let tree = ledger.projection_tree(Tally::NAME).unwrap();
    if let Some(meta) = tree.meta().unwrap() {
        let mut entries = tree.entries().map(Result::unwrap);
        let loaded = Tally::load(&mut entries).unwrap();
        let prefix: Tally = fold_to(&ledger, meta.checkpoint);
        assert_eq!(
            loaded.totals(),
            prefix.totals(),
            "{context}: stored tally vs its checkpoint"
        );
    }
    let tree = ledger.projection_tree(Receivables::NAME).unwrap();
    if let Some(meta) = tree.meta().unwrap() {
        let mut entries = tree.entries().map(Result::unwrap);
        let loaded = Receivables::load(&mut entries).unwrap();
        let prefix: Receivables = fold_to(&ledger, meta.checkpoint);
        assert!(
            loaded == prefix,
            "{context}: stored receivables vs their checkpoint"
        );
        assert_eq!(
            stored_entries(&ledger, Receivables::NAME),
            drained(prefix),
            "{context}: stored receivables entries vs a rebuild's"
        );
    }
}

/// Runs the engine over the ledger with a store after every few events,
/// until killed.
fn run_child(dir: &Path) -> ! {
    let ledger = open(dir);
    let mut builder = Engine::builder(&ledger).persist_every(97);
    builder.add::<Tally>().unwrap();
    builder.add::<Receivables>().unwrap();
    let engine = builder.start().unwrap();
    // Once it applies past where it started (on a line of its own: libtest
    // has printed "test <name> ... " before).
    let from = engine.applied();
    engine.wait_for(from + 1, Duration::from_secs(120)).unwrap();
    println!("\n{STARTED}");
    loop {
        std::thread::park();
    }
}
