//! Golden files of encoded events. A stored event must stay readable
//! forever: these files pin the payload bytes of every event type at its
//! current schema version, the canonical envelope bytes and hash chain, and
//! old schema versions that must still upcast.
//!
//! After an intended change of an encoding, regenerate with
//! `UPDATE_GOLDEN=1 cargo test -p arledger-core --test golden` and review
//! the diff; a changed line for an existing version means stored logs would
//! no longer read, so bump the schema version and add an upcaster instead.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

use std::path::PathBuf;

use arledger_core::domain::commands::*;
use arledger_core::domain::events::{EVENT_TYPES, Event, ProductRegistered};
use arledger_core::domain::types::*;
use arledger_core::domain::{Command, WriteModel, decide};
use arledger_core::ids::*;
use arledger_core::log::codec::{
    CommandEntry, FrameBuilder, GENESIS_HASH, StoredEvent, chain_hash, decode_canonical,
    event_hash, parse_frame,
};
use arledger_core::sample;
use chrono::{TimeZone, Utc};
use uuid::Uuid;

fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

/// Compares `actual` with the golden file, or rewrites it under UPDATE_GOLDEN.
fn check_golden(name: &str, actual: &str) {
    let path = golden_path(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} is missing; run with UPDATE_GOLDEN=1", path.display()));
    assert_eq!(
        actual,
        expected,
        "{} differs from the encoding now",
        path.display()
    );
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

/// A scenario that produces every event type, decided and folded like the
/// ledger does, with fixed ids.
fn scenario() -> Vec<Event> {
    let mut model = WriteModel::default();
    let mut events = Vec::new();
    let admin = sample::admin();
    for command in scenario_commands() {
        let produced =
            decide(&model, &admin, &command).unwrap_or_else(|e| panic!("{}: {e}", command.name()));
        for e in &produced {
            model.apply(e).unwrap();
        }
        events.extend(produced);
    }
    events
}

/// The commands of the scenario, in order.
fn scenario_commands() -> Vec<Command> {
    sample::every_event_type()
}

/// Command body hashes answer repeated command ids for as long as a log
/// lives: a change of how commands serialize would turn every retry of an
/// already stored command into an idempotency mismatch.
#[test]
fn command_body_hashes_match_their_golden_file() {
    let mut out = String::new();
    for command in scenario_commands() {
        let hash = arledger_core::log::body_hash(&command);
        out.push_str(&format!("{} {}\n", command.name(), hex::encode(hash)));
    }
    // The scenario's invoice without a contract: a command of the shape
    // before `contract_id` existed, whose hash must not have changed.
    for command in scenario_commands() {
        if let Command::IssueInvoice(invoice) = command {
            let without = Command::IssueInvoice(IssueInvoice {
                contract_id: None,
                ..invoice
            });
            let hash = arledger_core::log::body_hash(&without);
            out.push_str(&format!(
                "IssueInvoice-without-contract {}\n",
                hex::encode(hash)
            ));
        }
    }
    check_golden("body_hashes.txt", &out);
}

#[test]
fn every_event_type_encodes_exactly_as_its_golden_file() {
    let events = scenario();
    for name in EVENT_TYPES {
        assert!(
            events.iter().any(|e| e.type_name() == *name),
            "the scenario lacks {name}"
        );
    }
    let mut out = String::new();
    for e in &events {
        let mut payload = Vec::new();
        e.encode_payload(&mut payload).unwrap();
        out.push_str(&format!(
            "{} v{} {}\n",
            e.type_name(),
            e.schema_version(),
            hex::encode(&payload)
        ));
    }
    let stored = std::fs::read_to_string(golden_path("events.txt")).unwrap_or_default();
    let upcast = std::fs::read_to_string(golden_path("upcast.txt")).unwrap_or_default();
    versions_are_kept(&stored, &out, &upcast);
    check_golden("events.txt", &out);
}

/// Even under UPDATE_GOLDEN, no stored payload is lost: each line of the
/// old events.txt must still be written, or have moved to upcast.txt,
/// whose payloads must decode forever. (A changed encoding of a type also
/// needs a new schema version, with an upcaster for the old one.)
fn versions_are_kept(stored: &str, now: &str, upcast: &str) {
    for old in stored.lines() {
        assert!(
            now.lines().chain(upcast.lines()).any(|l| l == old),
            "this stored payload is no longer written; move its line to upcast.txt:\n{old}"
        );
    }
}

/// Every payload ever stored at an old version still decodes.
#[test]
fn every_payload_kept_in_upcast_txt_decodes() {
    let kept = golden_payloads("upcast.txt");
    assert!(!kept.is_empty());
    for (type_name, version, bytes) in kept {
        assert!(
            Event::decode(&type_name, version, &bytes).is_ok(),
            "{type_name} v{version} no longer decodes"
        );
    }
}

/// What each golden line holds: type name, version, payload bytes.
fn golden_payloads(name: &str) -> Vec<(String, u16, Vec<u8>)> {
    std::fs::read_to_string(golden_path(name))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|line| {
            let mut parts = line.split(' ');
            let type_name = parts.next().unwrap().to_string();
            let version = parts
                .next()
                .unwrap()
                .trim_start_matches('v')
                .parse()
                .unwrap();
            (
                type_name,
                version,
                hex::decode(parts.next().unwrap()).unwrap(),
            )
        })
        .collect()
}

/// Stored bytes are read strictly: a payload with a byte after it, or one
/// read under another version than it was written at, is refused.
#[test]
fn a_payload_with_bytes_after_it_or_of_another_version_is_refused() {
    for (type_name, version, mut bytes) in golden_payloads("events.txt") {
        bytes.push(0);
        assert!(
            Event::decode(&type_name, version, &bytes).is_err(),
            "{type_name} v{version} with a trailing byte decoded"
        );
    }
    let (_, _, v2) = golden_payloads("events.txt")
        .into_iter()
        .find(|(t, v, _)| t == "ProductRegistered" && *v == 2)
        .unwrap();
    assert!(Event::decode("ProductRegistered", 1, &v2).is_err());
}

/// Amounts, currencies and GTINs are checked when read back, not only when
/// a command brings them: bytes rust_decimal would silently change, a
/// currency not on the list, or a GTIN with a wrong check digit are refused.
#[test]
fn a_stored_amount_currency_or_gtin_that_is_not_one_is_refused() {
    let (_, version, bytes) = golden_payloads("events.txt")
        .into_iter()
        .find(|(t, _, _)| t == "PaymentReceived")
        .unwrap();
    assert!(Event::decode("PaymentReceived", version, &bytes).is_ok());
    let currency = bytes.windows(3).position(|w| w == b"CNY").unwrap();
    let amount = currency - 16;
    let mut unused_flag = bytes.clone();
    unused_flag[amount] |= 0x01;
    let mut scale_29 = bytes.clone();
    scale_29[amount + 2] = 29;
    let mut unknown_currency = bytes.clone();
    unknown_currency[currency..currency + 3].copy_from_slice(b"XQZ");
    for (what, bad) in [
        ("an unused flag bit", unused_flag),
        ("scale 29", scale_29),
        ("an unknown currency", unknown_currency),
    ] {
        assert!(
            Event::decode("PaymentReceived", version, &bad).is_err(),
            "a payment with {what} decoded"
        );
    }
    let (_, version, mut product) = golden_payloads("events.txt")
        .into_iter()
        .find(|(t, _, _)| t == "ProductRegistered")
        .unwrap();
    let gtin = product
        .windows(14)
        .position(|w| w == sample::GTIN.as_bytes())
        .unwrap();
    product[gtin + 13] = if product[gtin + 13] == b'9' {
        b'0'
    } else {
        b'9'
    };
    assert!(
        Event::decode("ProductRegistered", version, &product).is_err(),
        "a GTIN with a wrong check digit decoded"
    );
}

#[test]
fn every_golden_payload_decodes_back_to_the_same_event() {
    let events = scenario();
    let stored = golden_payloads("events.txt");
    assert_eq!(stored.len(), events.len());
    for ((type_name, version, bytes), expected) in stored.iter().zip(&events) {
        assert_eq!(
            &Event::decode(type_name, *version, bytes).unwrap(),
            expected
        );
    }
}

/// ProductRegistered v1 (before the company prefix length), as it was stored.
#[test]
fn a_version_1_product_registration_upcasts_with_the_default_company_prefix() {
    let text = std::fs::read_to_string(golden_path("upcast.txt")).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("ProductRegistered v1 "))
        .unwrap();
    let bytes = hex::decode(line.rsplit(' ').next().unwrap()).unwrap();
    let event = Event::decode("ProductRegistered", 1, &bytes).unwrap();
    assert_eq!(
        event,
        Event::ProductRegistered(ProductRegistered {
            gtin: Gtin::parse(sample::GTIN).unwrap(),
            name: "Infusion pump".into(),
            model: Some("IP-200".into()),
            risk_class: RiskClass::II,
            registration_no: Some("NMPA-2026-001".into()),
            company_prefix_len: 7,
        })
    );
    assert!(
        Event::decode("ProductRegistered", 9, &bytes).is_err(),
        "unknown versions are refused"
    );
}

#[test]
fn canonical_bytes_and_chain_hashes_match_their_golden_file() {
    let events = scenario();
    let recorded_at = Utc.with_ymd_and_hms(2026, 7, 5, 9, 0, 0).unwrap();
    let mut prev = GENESIS_HASH;
    let mut out = String::new();
    for (i, event) in events.iter().take(3).enumerate() {
        let mut payload = Vec::new();
        event.encode_payload(&mut payload).unwrap();
        let position = u64::try_from(i).unwrap() + 1;
        let mut stored = StoredEvent {
            position,
            stream_id: event.stream_id(),
            stream_version: position,
            event_id: EventId(id(100 + u128::from(position))),
            event_type: event.type_name(),
            schema_version: event.schema_version(),
            recorded_at,
            command_id: CommandId(id(200 + u128::from(position))),
            actor: Actor {
                user_id: "alice".into(),
                role: Role::FinanceManager,
            },
            correlation_id: (position == 2).then(|| id(300)),
            payload,
            hash: [0; 32],
        };
        let canonical = stored.canonical_bytes();
        let content = stored.content_hash();
        stored.hash = chain_hash(&prev, position, &content);
        assert_eq!(decode_canonical(&canonical, stored.hash).unwrap(), stored);
        out.push_str(&format!(
            "position {position}\ncanonical {}\ncontent_hash {}\nhash {}\n",
            hex::encode(&canonical),
            hex::encode(content),
            hex::encode(stored.hash)
        ));
        prev = stored.hash;
    }
    check_golden("canonical.txt", &out);
}

/// The commit frame's layout (header, length-prefixed canonical events with
/// their hashes, command table, CRC), pinned: a change would leave stored
/// logs unreadable. Its events carry a recorded_at with microseconds, which
/// the canonical bytes keep.
#[test]
fn the_commit_frame_layout_matches_its_golden_file() {
    let events = scenario();
    let recorded_at = Utc.with_ymd_and_hms(2026, 7, 5, 9, 0, 0).unwrap()
        + chrono::Duration::microseconds(123_456);
    let mut frame = FrameBuilder::new(1, GENESIS_HASH, Vec::new());
    let mut prev = GENESIS_HASH;
    for (i, event) in events.iter().take(2).enumerate() {
        let mut payload = Vec::new();
        event.encode_payload(&mut payload).unwrap();
        let position = u64::try_from(i).unwrap() + 1;
        let stored = StoredEvent {
            position,
            stream_id: event.stream_id(),
            stream_version: position,
            event_id: EventId(id(400 + u128::from(position))),
            event_type: event.type_name(),
            schema_version: event.schema_version(),
            recorded_at,
            command_id: CommandId(id(500)),
            actor: Actor {
                user_id: "bob".into(),
                role: Role::Finance,
            },
            correlation_id: None,
            payload,
            hash: [0; 32],
        };
        let canonical = stored.canonical_bytes();
        prev = frame.push_event(
            |out| out.extend_from_slice(&canonical),
            |bytes| event_hash(&prev, position, bytes),
        );
    }
    frame.push_command(CommandEntry {
        command_id: CommandId(id(500)),
        body_hash: [7; 16],
        event_count: 2,
    });
    let bytes = frame.finish();
    let parsed = parse_frame(&bytes).unwrap();
    assert_eq!(parsed.events.len(), 2);
    assert_eq!(parsed.events[1].hash, prev);
    assert_eq!(parsed.events[0].parsed.recorded_at, recorded_at);
    check_golden("frame.txt", &format!("{}\n", hex::encode(&bytes)));
}

/// DisputeOpened v1 (before recall disputes), RecallIssued v1 (before a
/// recall opened disputes) and RecallUnitsReturned v1 (before a return
/// settled them), as they were stored, read as version 2 with the
/// new field empty: the same bytes followed by an absent option or an empty
/// sequence decode to the same event.
#[test]
fn version_1_disputes_and_recalls_upcast_with_no_recall_dispute() {
    let kept = golden_payloads("upcast.txt");
    for (type_name, suffix) in [
        ("DisputeOpened", vec![0u8]),
        ("RecallIssued", vec![0u8; 8]),
        ("RecallUnitsReturned", vec![0u8; 8]),
    ] {
        let (_, _, v1) = kept
            .iter()
            .find(|(t, v, _)| t == type_name && *v == 1)
            .unwrap();
        let upcast = Event::decode(type_name, 1, v1).unwrap();
        let mut v2 = v1.clone();
        v2.extend(&suffix);
        assert_eq!(Event::decode(type_name, 2, &v2).unwrap(), upcast);
        match &upcast {
            Event::DisputeOpened(e) => assert_eq!(e.recall_id, None),
            Event::RecallIssued(e) => assert!(e.disputes.is_empty()),
            Event::RecallUnitsReturned(e) => assert!(e.settles.is_empty()),
            other => panic!("{other:?}"),
        }
    }
}
