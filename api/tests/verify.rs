//! `arledger verify`, run as a process on ledgers built in temp dirs.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

mod support;

use support::*;

#[test]
fn a_good_ledger_verifies_with_its_count_and_last_hash() {
    let dir = tempfile::tempdir().unwrap();
    let head = every_event_type(dir.path());
    let output = arledger_in("verify", dir.path(), &[]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("checked {head} events of positions 1 to {head}")),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("hash({head}) = ")), "{stdout}");
    assert!(stdout.contains("ok"), "{stdout}");
}

#[test]
fn a_range_is_checked_from_the_hash_before_it() {
    let dir = tempfile::tempdir().unwrap();
    every_event_type(dir.path());
    let output = arledger_in("verify", dir.path(), &["--from", "3", "--to", "7"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("checked 5 events of positions 3 to 7"),
        "{stdout}"
    );
    assert!(stdout.contains("hash(7) = "), "{stdout}");
}

#[test]
fn a_range_past_the_head_or_reversed_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    five_commits(dir.path());
    for range in [["--to", "6"], ["--from", "0"]] {
        let output = arledger_in("verify", dir.path(), &range);
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{stdout}{stderr}");
    }
    let output = arledger_in("verify", dir.path(), &["--from", "4", "--to", "2"]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--from 4 is after --to 2"), "{stderr}");
}

#[test]
fn a_flipped_byte_in_sleds_file_is_found_at_its_position() {
    let dir = tempfile::tempdir().unwrap();
    five_commits(dir.path());
    flip_byte_of_frame(dir.path(), 3);
    let output = arledger_in("verify", dir.path(), &[]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("checked 0 events"), "{stdout}");
    assert!(stdout.contains("first bad position 3: "), "{stdout}");
}

#[test]
fn a_record_rewritten_with_a_matching_crc_is_found_by_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    five_commits(dir.path());
    forge_actor(dir.path(), 4);
    let output = arledger_in("verify", dir.path(), &[]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("first bad position 4: "), "{stdout}");
    // Before the forged record, the range holds.
    let output = arledger_in("verify", dir.path(), &["--to", "3"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("checked 3 events of positions 1 to 3"),
        "{stdout}"
    );
}

#[test]
fn a_data_directory_in_use_is_refused_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    five_commits(dir.path());
    let held = open_with(dir.path(), clock());
    for command in ["verify", "export"] {
        let output = arledger_in(command, dir.path(), &[]);
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{command}: {stdout}{stderr}");
        assert!(stderr.contains("is in use by another process"), "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    }
    drop(held);
}

#[test]
fn a_missing_or_empty_data_directory_is_refused_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nothing-here");
    for command in ["verify", "export"] {
        let output = arledger_in(command, &missing, &[]);
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{command}: {stdout}{stderr}");
        assert!(stderr.contains("does not exist"), "{stderr}");
        assert!(!missing.exists(), "{command} created the directory");
    }
    // An empty directory holds no ledger either: nothing is created in it.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let output = arledger_in("verify", &empty, &[]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("the directory is empty"), "{stderr}");
    assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0);
}

/// sled's own checks may refuse damage before the ledger's do (here, after
/// a reopen left a snapshot of sled's): still the damage exit status, in
/// one line, never a panic.
#[test]
fn damage_sled_finds_first_is_reported_as_damage() {
    let dir = tempfile::tempdir().unwrap();
    every_event_type(dir.path());
    assert_eq!(
        arledger_in("verify", dir.path(), &[]).status.code(),
        Some(0)
    );
    flip_byte_of_frame(dir.path(), 3);
    let output = arledger_in("verify", dir.path(), &[]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    let by_position = stdout.contains("first bad position 3: ");
    let by_sled = stderr.contains("is damaged") && stderr.trim().lines().count() == 1;
    assert!(by_position || by_sled, "{stdout}{stderr}");
}
