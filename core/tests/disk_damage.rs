//! Damage to the files on disk, below sled: sled's own recovery ends its log
//! at the first record that fails its checksum and reports nothing, so these
//! check that the ledger still refuses to open, naming the first position
//! lost, instead of silently serving a shorter log.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

use std::path::Path;
use std::sync::Arc;

use arledger_core::clock::ManualClock;
use arledger_core::ids::CustomerId;
use arledger_core::log::{HEAD_FILE, Ledger, LedgerOptions, OpenError, StoreError};
use arledger_core::sample;
use chrono::{TimeZone, Utc};
use uuid::Uuid;

fn open(dir: &Path) -> Result<Ledger, OpenError> {
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).unwrap());
    Ledger::open(dir, LedgerOptions::new(Arc::new(clock)))
}

/// Five acknowledged commits of one event each, then closed.
fn five_commits(dir: &Path) {
    let ledger = open(dir).unwrap();
    for n in 1..=5u128 {
        let customer = CustomerId(Uuid::from_u128(n));
        ledger
            .submit(sample::submit(sample::register_customer(customer)))
            .unwrap();
    }
    assert_eq!(ledger.head().position, 5);
}

/// Where sled's log file holds the commit frame of `position` (its last
/// copy, the one recovery reads).
fn frame_offset(bytes: &[u8], position: u64) -> usize {
    let mut needle = b"ARL2".to_vec();
    needle.extend_from_slice(&position.to_be_bytes());
    bytes
        .windows(needle.len())
        .rposition(|w| w == needle.as_slice())
        .unwrap_or_else(|| panic!("no frame of position {position} in sled's log file"))
}

/// Rewrites the file at `path` after `edit` has changed its bytes.
fn rewrite(path: &Path, edit: impl FnOnce(&mut Vec<u8>)) {
    let mut bytes = std::fs::read(path).unwrap();
    edit(&mut bytes);
    std::fs::write(path, &bytes).unwrap();
}

fn assert_lost_from(result: Result<Ledger, OpenError>, position: u64) {
    match result {
        Err(OpenError::Corrupt {
            position: at,
            reason,
        }) => {
            assert_eq!(at, position, "{reason}");
            assert!(reason.contains("acknowledged"), "{reason}");
        }
        Err(other) => panic!("expected the loss to be reported at {position}, got {other}"),
        Ok(ledger) => panic!(
            "the ledger opened with head {} instead of reporting the loss at {position}",
            ledger.head().position
        ),
    }
}

#[test]
fn one_flipped_bit_in_an_acknowledged_record_is_reported_not_dropped() {
    let dir = tempfile::tempdir().unwrap();
    five_commits(dir.path());
    rewrite(&dir.path().join("db"), |bytes| {
        let at = frame_offset(bytes, 3) + 60;
        bytes[at] ^= 0x01;
    });
    assert_lost_from(open(dir.path()), 3);
}

#[test]
fn a_log_file_torn_inside_an_acknowledged_record_is_reported_not_dropped() {
    let dir = tempfile::tempdir().unwrap();
    five_commits(dir.path());
    rewrite(&dir.path().join("db"), |bytes| {
        bytes.truncate(frame_offset(bytes, 3) + 60);
    });
    assert_lost_from(open(dir.path()), 3);
    // Nothing was served or appended meanwhile: the damage stays reported.
    assert_lost_from(open(dir.path()), 3);
}

/// The positions in the two slots of the head file (48 bytes each).
fn recorded_positions(bytes: &[u8]) -> Vec<u64> {
    bytes
        .chunks(48)
        .map(|slot| u64::from_be_bytes(slot[4..12].try_into().unwrap()))
        .collect()
}

#[test]
fn a_torn_newest_record_of_the_acknowledged_head_falls_back_to_the_other() {
    let dir = tempfile::tempdir().unwrap();
    five_commits(dir.path());
    let head_file = dir.path().join(HEAD_FILE);
    rewrite(&head_file, |bytes| {
        // Written in turn: 0 at open, then 1, 2, 3, 4, 5.
        assert_eq!(recorded_positions(bytes), vec![4, 5]);
        bytes[48 + 20] ^= 0xff;
    });
    let ledger = open(dir.path()).unwrap();
    assert_eq!(ledger.head().position, 5);
    drop(ledger);
    // The damaged slot was the one written next.
    assert_eq!(
        recorded_positions(&std::fs::read(&head_file).unwrap()),
        vec![4, 5]
    );
}

#[test]
fn a_damaged_record_of_the_acknowledged_head_is_reported_and_removing_it_accepts_the_log() {
    let dir = tempfile::tempdir().unwrap();
    five_commits(dir.path());
    let head_file = dir.path().join(HEAD_FILE);
    rewrite(&head_file, |bytes| {
        bytes[20] ^= 0xff;
        bytes[48 + 20] ^= 0xff;
    });
    match open(dir.path()) {
        Err(OpenError::Store(StoreError::HeadDamaged { path })) => assert_eq!(path, head_file),
        Err(other) => panic!("expected the head record to be reported damaged, got {other}"),
        Ok(_) => panic!("opened with a damaged head record"),
    }
    // The operator's way out: remove the record to accept the log as it is.
    std::fs::remove_file(&head_file).unwrap();
    let ledger = open(dir.path()).unwrap();
    assert_eq!(ledger.head().position, 5);
    assert_eq!(ledger.verify().unwrap(), 5);
    drop(ledger);
    assert_eq!(
        recorded_positions(&std::fs::read(&head_file).unwrap()),
        vec![5],
        "open records the head again"
    );
}
