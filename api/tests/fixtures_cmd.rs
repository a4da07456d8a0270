//! `arledger fixtures`, run as a process: a small ledger made, verified,
//! and a second run on it refused.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

mod support;

use support::*;

/// The number after `prefix` on the line that starts with it.
fn number_after(stdout: &str, prefix: &str) -> u64 {
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no line {prefix:?} in {stdout}"));
    line.split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn a_fixture_fills_a_new_ledger_that_verifies_and_is_not_filled_twice() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("new").join("ledger");
    let args = ["--events", "2000", "--seed", "7"];
    let output = arledger_in("fixtures", &data, &args);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    let events = number_after(&stdout, "appended ");
    assert!((2_000..2_100).contains(&events), "{stdout}");
    assert!(stdout.contains("business dates 2025-12-01 to "), "{stdout}");
    assert!(
        stdout.contains(&format!("head: position {events}, hash ")),
        "{stdout}"
    );
    let per_type: u64 = stdout
        .lines()
        .skip_while(|l| *l != "events by type:")
        .skip(1)
        .map(|l| l.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(per_type, events, "{stdout}");

    let output = arledger_in("verify", &data, &[]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("checked {events} events")),
        "{stdout}"
    );

    // A second run leaves the ledger as it is.
    let output = arledger_in("fixtures", &data, &args);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!("already holds {events} events")),
        "{stderr}"
    );
    let output = arledger_in("verify", &data, &[]);
    let (stdout, _) = text(&output);
    assert!(
        stdout.contains(&format!("checked {events} events")),
        "{stdout}"
    );
}

#[test]
fn an_out_of_range_size_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let output = arledger_in("fixtures", dir.path(), &["--events", "0", "--seed", "7"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}{stderr}");
    assert!(stderr.contains("events must be 1 to"), "{stderr}");
}
