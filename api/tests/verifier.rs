//! `tools/verify_export.py` on export lines built by hand with
//! `arledger_replay::export::line`: the document's worked example (its
//! hashes given in the document itself), values at the edges of each
//! encoding, and a document changed under the verifier, which must then
//! disagree: it takes the format from the document at run time.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

mod support;

use std::path::Path;
use std::process::Command;

use arledger_core::domain::events::*;
use arledger_core::domain::terms::{Installment, InstallmentTerms, PaymentTerms, TermsBase};
use arledger_core::domain::types::*;
use arledger_core::domain::{Actor, Event};
use arledger_core::ids::*;
use arledger_core::log::codec::{GENESIS_HASH, Hash, StoredEvent, chain_hash, content_hash};
use arledger_core::money::{Currency, Money};
use chrono::{NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use support::*;
use uuid::Uuid;

fn uuid(text: &str) -> Uuid {
    Uuid::parse_str(text).unwrap()
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn decimal(text: &str) -> Decimal {
    text.parse().unwrap()
}

/// `event` stored at `position` after `prev`, by `actor`; its hash chained.
fn stored(event: &Event, position: u64, prev: &Hash, actor: Actor) -> StoredEvent {
    let mut payload = Vec::new();
    event.encode_payload(&mut payload).unwrap();
    let mut stored = StoredEvent {
        position,
        stream_id: event.stream_id(),
        stream_version: 1,
        event_id: EventId(Uuid::from_u128(1_000 + u128::from(position))),
        event_type: event.type_name(),
        schema_version: event.schema_version(),
        recorded_at: Utc.with_ymd_and_hms(2026, 2, 6, 9, 30, 15).unwrap()
            + chrono::Duration::microseconds(123_456),
        command_id: CommandId(Uuid::from_u128(2_000 + u128::from(position))),
        actor,
        correlation_id: position.is_multiple_of(2).then(|| Uuid::from_u128(3_000)),
        payload,
        hash: [0; 32],
    };
    stored.hash = chain_hash(prev, position, &stored.content_hash());
    stored
}

/// The export of `events`, chained from `prev` at `first`, written to `path`.
fn export_events(path: &Path, events: &[Event], first: u64, mut prev: Hash) {
    let mut text = String::new();
    for (i, event) in events.iter().enumerate() {
        let position = first + u64::try_from(i).unwrap();
        let actor = Actor {
            user_id: "li.wei".into(),
            role: Role::Finance,
        };
        let event = stored(event, position, &prev, actor);
        let line = arledger_replay::export::line(&event, &prev).unwrap();
        text.push_str(&serde_json::to_string(&line).unwrap());
        text.push('\n');
        prev = event.hash;
    }
    std::fs::write(path, text).unwrap();
}

/// Runs the verifier on `export` with the document at `doc`.
fn verify_with_doc(export: &Path, doc: &Path) -> (Option<i32>, String) {
    let script = root().join("tools/verify_export.py");
    let output = Command::new("python3")
        .arg(&script)
        .arg("--doc")
        .arg(doc)
        .arg(export)
        .output()
        .unwrap_or_else(|e| panic!("python3 is needed to run {}: {e}", script.display()));
    let (stdout, stderr) = text(&output);
    (output.status.code(), stdout + &stderr)
}

fn verify(export: &Path) -> (Option<i32>, String) {
    verify_with_doc(export, &root().join("docs/canonical-encoding.md"))
}

/// Section 10's event, as `core/tests/canonical_encoding.rs` builds it.
fn worked_example() -> (Event, StoredEvent) {
    let net_30 = InstallmentTerms {
        share_percent: decimal("100"),
        days: 30,
        base: TermsBase::Invoice,
    };
    let event = Event::InvoiceIssued(InvoiceIssued {
        invoice_id: InvoiceId(uuid("3f2504e0-4f89-41d3-9a0c-0305e82c3301")),
        number: "INV-2026-0042".into(),
        customer_id: CustomerId(uuid("a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d")),
        invoice_date: day("2026-02-06"),
        currency: Currency::CNY,
        lines: vec![InvoiceLine {
            shipment_line: Some(ShipmentLineRef {
                shipment_id: ShipmentId(uuid("6f9619ff-8b86-4011-b42d-00c04fc964ff")),
                line_no: 1,
            }),
            quantity: 2,
            description: "Infusion pump IP-200".into(),
            amount: decimal("1234.50"),
            tax: decimal("160.49"),
        }],
        terms: PaymentTerms {
            installments: vec![net_30.clone()],
        },
        installments: vec![Installment {
            no: 1,
            amount: Money::new(decimal("1394.99"), Currency::CNY).unwrap(),
            terms: net_30,
            due_on: Some(day("2026-03-08")),
        }],
    });
    let mut stored = stored(
        &event,
        42,
        &GENESIS_HASH,
        Actor {
            user_id: "li.wei".into(),
            role: Role::Finance,
        },
    );
    stored.event_id = EventId(uuid("9b2d7c1e-5a4f-4c3b-8e6d-1f0a2b3c4d5e"));
    stored.command_id = CommandId(uuid("c0ffee00-1234-4abc-8def-0123456789ab"));
    stored.correlation_id = Some(uuid("5d4c3b2a-1908-4765-a432-10fedcba9876"));
    (event, stored)
}

/// A hex string of the document's, written with spaces.
fn doc_hex(text: &str) -> Hash {
    hex::decode(text.replace(' ', ""))
        .unwrap()
        .try_into()
        .unwrap()
}

#[test]
fn the_documents_worked_example_verifies_with_the_documents_hashes() {
    let (_, mut event) = worked_example();
    // Section 10 gives hash(41), content_hash(42) and hash(42).
    let prev = doc_hex(
        "8d 1f 6e 0b 3c 2a 49 58 7e 6f 1d 2c 3b 4a 59 68 7d 6e 5f 4a 3b 2c 1d 0e 9f 8a 7b 6c 5d 4e 3f 2a",
    );
    let content = doc_hex(
        "0c 89 63 ed b3 87 be b2 96 a6 cd 53 f3 8f 75 e7 c3 bd 31 94 4f 33 30 89 35 0d f6 5c d3 9d 98 ef",
    );
    let hash = doc_hex(
        "46 28 c3 a8 ce 34 bb db c2 84 c5 50 0d 5e 00 94 91 4d ff 27 f4 aa c5 ed 1a 86 e8 44 80 6a 80 b7",
    );
    assert_eq!(content_hash(&event.canonical_bytes()), content);
    event.hash = chain_hash(&prev, 42, &content);
    assert_eq!(event.hash, hash);
    let line = arledger_replay::export::line(&event, &prev).unwrap();
    assert_eq!(line.payload["lines"][0]["amount"], "1234.50");
    assert_eq!(line.recorded_at, "2026-02-06T09:30:15.123456Z");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("worked.jsonl");
    std::fs::write(&path, serde_json::to_string(&line).unwrap() + "\n").unwrap();
    let (code, out) = verify(&path);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains(&format!("hash(42) = {}", hex::encode(hash))),
        "{out}"
    );
}

/// Values at the edges of each encoding: a negative zero, three and zero
/// decimals, 28 decimals and the largest mantissa, the first and last
/// dates, the largest u64, empty and non-ASCII strings, absent options,
/// empty sequences.
fn edge_events() -> Vec<Event> {
    let customer = CustomerId(Uuid::from_u128(1));
    let kwd = Currency::parse("KWD").unwrap();
    let mut negative_zero = decimal("0.000");
    negative_zero.set_sign_negative(true);
    let share = |text: &str, base| InstallmentTerms {
        share_percent: decimal(text),
        days: u32::MAX,
        base,
    };
    vec![
        Event::CreditNoteIssued(CreditNoteIssued {
            credit_note_id: CreditNoteId(Uuid::from_u128(7)),
            invoice_id: InvoiceId(Uuid::from_u128(4)),
            amount: Money {
                amount: negative_zero,
                currency: kwd,
            },
            reason: CreditReason::Other,
            issued_on: day("0001-01-01"),
        }),
        Event::PaymentReceived(PaymentReceived {
            payment_id: PaymentId(Uuid::from_u128(5)),
            customer_id: customer,
            amount: Money::new(decimal("100"), Currency::JPY).unwrap(),
            received_on: day("9999-12-31"),
            method: PaymentMethod::Other,
            bank_reference: Some("Überweisung №42 — 東京 \"quoted\" \\ \n".into()),
        }),
        Event::CollectionActivityRecorded(CollectionActivityRecorded {
            customer_id: customer,
            invoice_ids: Vec::new(),
            channel: CollectionChannel::Letter,
            outcome: String::new(),
            promised_pay_date: None,
            on: day("2000-02-29"),
            by: "x".into(),
        }),
        Event::LotReleased(LotReleased {
            gtin: Gtin::parse("09504000059118").unwrap(),
            lot: "L/1".into(),
            manufactured_on: day("1900-01-01"),
            expires_on: day("2100-12-31"),
            quantity: u64::MAX,
        }),
        Event::PaymentTermsSet(PaymentTermsSet {
            customer_id: customer,
            contract_id: None,
            terms: PaymentTerms {
                installments: vec![
                    share("0.0000000000000000000000000001", TermsBase::EndOfMonth),
                    share("79228162514264337593543950335", TermsBase::Shipment),
                ],
            },
        }),
    ]
}

#[test]
fn values_at_the_edges_of_each_encoding_verify() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("edges.jsonl");
    export_events(&path, &edge_events(), 1, GENESIS_HASH);
    let (code, out) = verify(&path);
    assert_eq!(code, Some(0), "{out}");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains(r#""amount":"-0.000","currency":"KWD""#),
        "{text}"
    );
    // The sign of a zero is in the bytes: dropping it is found.
    std::fs::write(&path, text.replacen("\"-0.000\"", "\"0.000\"", 1)).unwrap();
    let (code, out) = verify(&path);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("MISMATCH at position 1, field payload.amount.amount"),
        "{out}"
    );
}

/// Copies the document with `edit` applied.
fn edited_doc(dir: &Path, edit: impl FnOnce(String) -> String) -> std::path::PathBuf {
    let doc = std::fs::read_to_string(root().join("docs/canonical-encoding.md")).unwrap();
    let path = dir.join("canonical-encoding.md");
    std::fs::write(&path, edit(doc)).unwrap();
    path
}

#[test]
fn the_verifier_takes_the_format_from_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("edges.jsonl");
    export_events(&export, &edge_events(), 1, GENESIS_HASH);
    // Another variant number for Letter: the document now says other bytes.
    let doc = edited_doc(dir.path(), |d| {
        d.replace(
            "| `Letter` | 3 | `03 00 00 00` |",
            "| `Letter` | 4 | `04 00 00 00` |",
        )
    });
    let (code, out) = verify_with_doc(&export, &doc);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("MISMATCH at position 3, field payload.channel"),
        "{out}"
    );
    // Two fields swapped in a payload table.
    let doc = edited_doc(dir.path(), |d| {
        d.replacen(
            "| 3 | `manufactured_on` | date | 4 |\n| 4 | `expires_on` | date | 4 |",
            "| 3 | `expires_on` | date | 4 |\n| 4 | `manufactured_on` | date | 4 |",
            1,
        )
    });
    let (code, out) = verify_with_doc(&export, &doc);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("MISMATCH at position 4, field payload.expires_on"),
        "{out}"
    );
    // An envelope this verifier does not implement: it refuses to run.
    let doc = edited_doc(dir.path(), |d| {
        d.replace(
            "| 12 | 1 or 17 | correlation id |",
            "| 12 | 17 | correlation id |",
        )
    });
    let (code, out) = verify_with_doc(&export, &doc);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("envelope (section 3)"), "{out}");
}
