//! `knownAt` → position and the reference fold of a log prefix, on a real
//! ledger whose clock moves between commits.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

use std::sync::Arc;

use arledger_core::clock::ManualClock;
use arledger_core::ids::CustomerId;
use arledger_core::log::{Ledger, LedgerOptions};
use arledger_core::sample;
use arledger_projections::{Applied, Changes, LoadError, Projection};
use arledger_replay::{FoldError, fold_prefix, position_known_at};
use chrono::{DateTime, Duration, TimeZone, Utc};
use uuid::Uuid;

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).unwrap()
}

/// A ledger whose commit n (one event each) is recorded at start + n
/// minutes, n = 1..=`commits`; the three commits after the first are
/// recorded within the same minute.
fn ledger_with_clock(dir: &std::path::Path, commits: u64) -> Ledger {
    let clock = Arc::new(ManualClock::new(start()));
    let ledger = Ledger::open(dir, LedgerOptions::new(clock.clone())).unwrap();
    for n in 1..=commits {
        if !(3..=4).contains(&n) {
            clock.advance(Duration::minutes(1));
        }
        let customer = CustomerId(Uuid::from_u128(u128::from(n)));
        ledger
            .submit(sample::submit(sample::register_customer(customer)))
            .unwrap();
    }
    ledger
}

#[test]
fn known_at_maps_a_moment_to_the_last_position_recorded_by_then() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = ledger_with_clock(dir.path(), 9);
    let at = |minutes: i64, seconds: i64| {
        position_known_at(
            &ledger,
            start() + Duration::minutes(minutes) + Duration::seconds(seconds),
        )
        .unwrap()
    };
    assert_eq!(at(0, 0), 0, "nothing recorded yet");
    assert_eq!(at(0, 59), 0);
    assert_eq!(at(1, 0), 1, "recorded at exactly that moment");
    // Positions 2, 3 and 4 share minute 2.
    assert_eq!(at(2, 0), 4);
    assert_eq!(at(2, 30), 4);
    assert_eq!(at(3, 0), 5);
    assert_eq!(at(7, 0), 9);
    assert_eq!(at(60, 0), 9, "everything");
    // Every position is found from its own recorded_at.
    for event in ledger.read(1, 100).unwrap() {
        let found = position_known_at(&ledger, event.recorded_at).unwrap();
        assert!(found >= event.position);
        let last_then = ledger.read(found, 1).unwrap().pop().unwrap();
        assert_eq!(last_then.recorded_at, event.recorded_at);
    }
}

/// Counts the events it folded and sums their positions.
#[derive(Debug, Default, PartialEq)]
struct Count(u64, u64);

impl Projection for Count {
    const NAME: &'static str = "test-count";
    const VERSION: u32 = 1;

    fn empty() -> Self {
        Count::default()
    }

    fn apply(&mut self, applied: &Applied<'_>) {
        self.0 += 1;
        self.1 += applied.position;
    }

    fn drain_changes(&mut self, _: &mut Changes) {}

    fn load(_: &mut dyn Iterator<Item = (Vec<u8>, Vec<u8>)>) -> Result<Self, LoadError> {
        Ok(Count::default())
    }
}

#[test]
fn the_reference_fold_folds_exactly_the_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = ledger_with_clock(dir.path(), 9);
    for prefix in [0u64, 1, 4, 9] {
        let count: Count = fold_prefix(&ledger, prefix).unwrap();
        assert_eq!(
            count,
            Count(prefix, prefix * (prefix + 1) / 2),
            "prefix {prefix}"
        );
    }
    assert!(matches!(
        fold_prefix::<Count>(&ledger, 10),
        Err(FoldError::BeyondHead {
            wanted: 10,
            head: 9
        })
    ));
}
