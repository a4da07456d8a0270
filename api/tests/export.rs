//! `arledger export`, run as a process, and its export checked by
//! `tools/verify_export.py` (so `cargo test` runs the Python check).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use arledger_core::domain::events::EVENT_TYPES;
use serde_json::Value;
use support::*;

/// Exports the ledger in `dir` into `out`, checking the command succeeded.
fn export_into(dir: &Path, out: &Path, rest: &[&str]) {
    let mut args = vec!["--out", out.to_str().unwrap()];
    args.extend_from_slice(rest);
    let output = arledger_in("export", dir, &args);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn write_lines(path: &Path, lines: &[Value]) {
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(path, text).unwrap();
}

/// Runs the Python verifier, expecting it to pass.
fn assert_verifies(path: &Path) -> String {
    let output = python_verify(path);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    stdout
}

/// Runs the Python verifier, expecting it to fail at `position`, `field`.
fn assert_fails_at(path: &Path, position: u64, field: &str) {
    let output = python_verify(path);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    let expected = format!("MISMATCH at position {position}, field {field}:");
    assert!(
        stderr.contains(&expected),
        "expected {expected:?} in {stderr}"
    );
}

#[test]
fn an_export_of_every_event_type_verifies_by_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let head = every_event_type(dir.path());
    let out = dir.path().join("export.jsonl");
    export_into(dir.path(), &out, &[]);
    let exported = lines(&out);
    assert_eq!(exported.len(), usize::try_from(head).unwrap());
    let types: BTreeSet<&str> = exported
        .iter()
        .map(|l| l["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(types, EVENT_TYPES.iter().copied().collect());
    assert_eq!(exported[0]["prev_hash"], "0".repeat(64));
    assert_eq!(exported[0]["recorded_at"], "2026-07-01T09:00:00.123456Z");
    let stdout = assert_verifies(&out);
    assert!(
        stdout.contains(&format!("{head} events, positions 1 to {head}")),
        "{stdout}"
    );
}

#[test]
fn an_export_goes_to_stdout_by_default() {
    let dir = tempfile::tempdir().unwrap();
    five_commits(dir.path());
    let output = arledger_in("export", dir.path(), &[]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(stdout.lines().count(), 5);
    assert!(
        stderr.contains("exported 5 events (positions 1 to 5) to stdout"),
        "{stderr}"
    );
}

/// Edits one line of a good export with `edit`; the verifier must fail at
/// that line's position, naming `field`.
fn edited_export_fails(edit: impl Fn(&mut Value) -> u64, field: &str) {
    let dir = tempfile::tempdir().unwrap();
    every_event_type(dir.path());
    let out = dir.path().join("export.jsonl");
    export_into(dir.path(), &out, &[]);
    let mut exported = lines(&out);
    let position = exported.iter_mut().map(&edit).find(|&p| p > 0).unwrap();
    let edited = dir.path().join("edited.jsonl");
    write_lines(&edited, &exported);
    assert_fails_at(&edited, position, field);
}

#[test]
fn an_edited_amount_is_named_by_the_verifier() {
    edited_export_fails(
        |line| {
            if line["event_type"] != "PaymentReceived" {
                return 0;
            }
            assert_eq!(line["payload"]["amount"]["amount"], "1000.00");
            line["payload"]["amount"]["amount"] = "1000.01".into();
            line["position"].as_u64().unwrap()
        },
        "payload.amount.amount",
    );
}

#[test]
fn an_edited_actor_is_named_by_the_verifier() {
    edited_export_fails(
        |line| {
            if line["event_type"] != "InvoiceIssued" {
                return 0;
            }
            line["actor"]["user_id"] = "mallory".into();
            line["position"].as_u64().unwrap()
        },
        "actor.user_id",
    );
}

/// A longer text changes the payload's length too; the field is named.
#[test]
fn a_lengthened_text_is_named_by_the_verifier() {
    edited_export_fails(
        |line| {
            if line["event_type"] != "OrderCancelled" {
                return 0;
            }
            line["payload"]["reason"] = "customer asked".into();
            line["position"].as_u64().unwrap()
        },
        "payload.reason",
    );
}

#[test]
fn an_edited_date_in_a_nested_line_is_named_by_the_verifier() {
    edited_export_fails(
        |line| {
            if line["event_type"] != "OrderShipped" {
                return 0;
            }
            line["payload"]["lines"][0]["expires_on"] = "2031-01-01".into();
            line["position"].as_u64().unwrap()
        },
        "payload.lines[0].expires_on",
    );
}

#[test]
fn a_removed_line_breaks_the_positions() {
    let dir = tempfile::tempdir().unwrap();
    five_commits(dir.path());
    let out = dir.path().join("export.jsonl");
    export_into(dir.path(), &out, &[]);
    let mut exported = lines(&out);
    exported.remove(2);
    write_lines(&out, &exported);
    assert_fails_at(&out, 4, "position");
}

#[test]
fn a_range_exports_those_positions_and_verifies_from_its_first_prev_hash() {
    let dir = tempfile::tempdir().unwrap();
    every_event_type(dir.path());
    let whole = dir.path().join("whole.jsonl");
    export_into(dir.path(), &whole, &[]);
    let part = dir.path().join("part.jsonl");
    export_into(dir.path(), &part, &["--from", "4", "--to", "9"]);
    let (whole, exported) = (lines(&whole), lines(&part));
    let positions: Vec<u64> = exported
        .iter()
        .map(|l| l["position"].as_u64().unwrap())
        .collect();
    assert_eq!(positions, (4..=9).collect::<Vec<_>>());
    assert_eq!(
        exported,
        whole[3..9],
        "a range's lines are the whole export's"
    );
    assert_verifies(&dir.path().join("part.jsonl"));
    let output = arledger_in("export", dir.path(), &["--from", "9", "--to", "4"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn a_damaged_log_is_not_exported() {
    let dir = tempfile::tempdir().unwrap();
    five_commits(dir.path());
    flip_byte_of_frame(dir.path(), 3);
    let out = dir.path().join("export.jsonl");
    let output = arledger_in("export", dir.path(), &["--out", out.to_str().unwrap()]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("damaged at position 3"), "{stderr}");
    assert!(!out.exists(), "no export file is left");
}

#[test]
fn a_rewritten_record_stops_the_export_at_its_position() {
    let dir = tempfile::tempdir().unwrap();
    five_commits(dir.path());
    forge_actor(dir.path(), 4);
    let out = dir.path().join("export.jsonl");
    let output = arledger_in("export", dir.path(), &["--out", out.to_str().unwrap()]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("damaged at position 4"), "{stderr}");
    assert!(!out.exists(), "no partial export is left");
}

/// An event stored at an old schema version (ProductRegistered v1, from
/// core's golden files) is exported with its own fields, and the verifier
/// rebuilds it from the document's section 9.
#[test]
fn an_old_schema_version_verifies_by_section_9() {
    use arledger_core::domain::{Actor, Role};
    use arledger_core::ids::{CommandId, EventId, StreamId};
    use arledger_core::log::codec::{GENESIS_HASH, StoredEvent, chain_hash};

    let upcast = std::fs::read_to_string(root().join("core/tests/golden/upcast.txt")).unwrap();
    let line = upcast
        .lines()
        .find(|l| l.starts_with("ProductRegistered v1 "))
        .unwrap();
    let payload = hex::decode(line.rsplit(' ').next().unwrap()).unwrap();
    let gtin = arledger_core::domain::Gtin::parse("09504000059118").unwrap();
    let mut event = StoredEvent {
        position: 1,
        stream_id: StreamId::of_product(&gtin),
        stream_version: 1,
        event_id: EventId(uuid::Uuid::from_u128(11)),
        event_type: "ProductRegistered",
        schema_version: 1,
        recorded_at: chrono::DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap(),
        command_id: CommandId(uuid::Uuid::from_u128(12)),
        actor: Actor {
            user_id: "quality.lead".into(),
            role: Role::Quality,
        },
        correlation_id: None,
        payload,
        hash: [0; 32],
    };
    let content = arledger_core::log::codec::content_hash(&event.canonical_bytes());
    event.hash = chain_hash(&GENESIS_HASH, 1, &content);
    let exported = arledger_replay::export::line(&event, &GENESIS_HASH).unwrap();
    assert!(exported.payload.get("company_prefix_len").is_none());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.jsonl");
    write_lines(&path, &[serde_json::to_value(&exported).unwrap()]);
    assert_verifies(&path);
}

/// Hex of a hash in a line.
fn hash_of(line: &Value, key: &str) -> [u8; 32] {
    hex::decode(line[key].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

/// Sets a line's prev_hash and recomputes its hash from it, as a forger
/// splicing in a line from another chain would.
fn relink(line: &mut Value, prev: [u8; 32]) {
    let position = line["position"].as_u64().unwrap();
    let content = hash_of(line, "content_hash");
    let hash = arledger_core::log::codec::chain_hash(&prev, position, &content);
    line["prev_hash"] = hex::encode(prev).into();
    line["hash"] = hex::encode(hash).into();
}

#[test]
fn a_hash_that_is_not_the_chains_is_named() {
    let dir = tempfile::tempdir().unwrap();
    five_commits(dir.path());
    let out = dir.path().join("export.jsonl");
    export_into(dir.path(), &out, &[]);
    let mut exported = lines(&out);
    exported[2]["hash"] = "ab".repeat(32).into();
    write_lines(&out, &exported);
    assert_fails_at(&out, 3, "hash");
    let mut exported = lines(&out);
    exported[1]["content_hash"] = "ab".repeat(32).into();
    write_lines(&out, &exported);
    assert_fails_at(&out, 2, "content_hash");
}

#[test]
fn a_line_chained_to_another_hash_than_the_previous_lines_is_named() {
    let dir = tempfile::tempdir().unwrap();
    five_commits(dir.path());
    let out = dir.path().join("export.jsonl");
    export_into(dir.path(), &out, &[]);
    let good = lines(&out);
    let mut spliced = good.clone();
    relink(&mut spliced[2], [0x5a; 32]);
    write_lines(&out, &spliced);
    assert_fails_at(&out, 3, "prev_hash");
    // At position 1 the hash before is 32 zero bytes, not any given one.
    let mut first = good;
    relink(&mut first[0], [0x5a; 32]);
    write_lines(&out, &first[..1]);
    assert_fails_at(&out, 1, "prev_hash");
}
