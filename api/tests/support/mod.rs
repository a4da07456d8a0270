//! What the binary's tests share: ledgers built through
//! `arledger_core::log::Ledger` in temp dirs, the binary and the Python
//! verifier run as processes, and damage done to a stored log.

#![allow(dead_code)] // each test file uses its own part

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use arledger_core::clock::ManualClock;
use arledger_core::ids::CustomerId;
use arledger_core::log::codec::{FrameBuilder, parse_frame};
use arledger_core::log::{Ledger, LedgerOptions, open_sled};
use arledger_core::sample;
use chrono::{Duration, TimeZone, Utc};
use uuid::Uuid;

/// The workspace's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Opens (or creates) the ledger in `dir`, its clock standing at `clock`.
pub fn open_with(dir: &Path, clock: Arc<ManualClock>) -> Ledger {
    Ledger::open(dir, LedgerOptions::new(clock)).unwrap()
}

/// A clock at 2026-07-01T09:00:00.123456Z.
pub fn clock() -> Arc<ManualClock> {
    let start =
        Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).unwrap() + Duration::microseconds(123_456);
    Arc::new(ManualClock::new(start))
}

/// A ledger holding every event type: the golden scenario's commands
/// (`sample::every_event_type`), one commit each, the clock moving on by
/// a few microseconds between them, every other one with a correlation
/// id. Returns the head.
pub fn every_event_type(dir: &Path) -> u64 {
    let clock = clock();
    let ledger = open_with(dir, clock.clone());
    for (n, command) in sample::every_event_type().into_iter().enumerate() {
        let mut submission = sample::submit(command);
        if n % 2 == 1 {
            submission.correlation_id = Some(Uuid::from_u128(0xc0 + u128::try_from(n).unwrap()));
        }
        ledger.submit(submission).unwrap();
        clock.advance(Duration::microseconds(1_001));
    }
    ledger.head().position
}

/// Five commits of one event each (as `core/tests/disk_damage.rs`).
pub fn five_commits(dir: &Path) {
    let ledger = open_with(dir, clock());
    for n in 1..=5u128 {
        let customer = CustomerId(Uuid::from_u128(n));
        ledger
            .submit(sample::submit(sample::register_customer(customer)))
            .unwrap();
    }
}

/// Where sled's log file holds the commit frame of `position` (its last
/// copy, the one recovery reads), as `core/tests/disk_damage.rs` finds it.
pub fn frame_offset(bytes: &[u8], position: u64) -> usize {
    let mut needle = b"ARL2".to_vec();
    needle.extend_from_slice(&position.to_be_bytes());
    bytes
        .windows(needle.len())
        .rposition(|w| w == needle.as_slice())
        .unwrap_or_else(|| panic!("no frame of position {position} in sled's log file"))
}

/// Flips one byte inside the stored frame of `position`, in sled's file.
pub fn flip_byte_of_frame(dir: &Path, position: u64) {
    let path = dir.join("db");
    let mut bytes = std::fs::read(&path).unwrap();
    let at = frame_offset(&bytes, position) + 60;
    bytes[at] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
}

/// Rewrites the commit frame starting at `position` as a forger would:
/// the first event's actor renamed (same length), its CRC made right and
/// its stored hash kept, so only the SHA-256 chain tells.
pub fn forge_actor(dir: &Path, position: u64) {
    let db = open_sled(dir).unwrap();
    let commits = db.open_tree("commits").unwrap();
    let key = position.to_be_bytes();
    let stored = commits.get(key).unwrap().expect("a frame at that position");
    let frame = parse_frame(&stored).unwrap();
    let mut forged = FrameBuilder::new(frame.first_position, frame.prev_hash, Vec::new());
    for (i, event) in frame.events.iter().enumerate() {
        let mut canonical = event.canonical.to_vec();
        if i == 0 {
            let at = canonical
                .windows(6)
                .position(|w| w == b"\x05admin")
                .expect("the admin actor");
            canonical[at + 1..at + 6].copy_from_slice(b"admiN");
        }
        forged.push_event(|out| out.extend_from_slice(&canonical), |_| event.hash);
    }
    for command in &frame.commands {
        forged.push_command(*command);
    }
    commits.insert(key, forged.finish()).unwrap();
    db.flush().unwrap();
}

/// Runs the binary with `args`.
pub fn arledger(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_arledger"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

/// `arledger <command> --data <dir> <rest>`.
pub fn arledger_in(command: &str, dir: &Path, rest: &[&str]) -> Output {
    let mut args = vec![command, "--data", dir.to_str().unwrap()];
    args.extend_from_slice(rest);
    arledger(&args)
}

/// Runs `python3 tools/verify_export.py <export>`. Fails the test, saying
/// why, when python3 cannot be run: the check must not pass by being
/// skipped.
pub fn python_verify(export: &Path) -> Output {
    let script = root().join("tools/verify_export.py");
    match Command::new("python3").arg(&script).arg(export).output() {
        Ok(output) => output,
        Err(e) => panic!(
            "python3 is needed to run {} (the auditor's check of an export) and could not be started: {e}; install Python 3",
            script.display()
        ),
    }
}

/// stdout and stderr, for assertions and their messages.
pub fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
