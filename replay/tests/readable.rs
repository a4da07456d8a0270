//! The readable payload of every event type, against the golden payloads
//! of `core/tests/golden/` and the field tables of
//! `docs/canonical-encoding.md`: same fields in the same order, each value
//! written as its documented encoding calls for. The exact readable form of
//! every golden payload is pinned in `tests/golden/readable.txt`
//! (`UPDATE_GOLDEN=1` rewrites it; review the diff).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use arledger_core::domain::events::EVENT_TYPES;
use arledger_replay::readable::{self, ReadableError};
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// (type, schema version, payload bytes) of every line of a golden file
/// of core's.
fn golden_payloads(name: &str) -> Vec<(String, u16, Vec<u8>)> {
    let text = std::fs::read_to_string(root().join("core/tests/golden").join(name)).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|line| {
            let parts: Vec<&str> = line.split(' ').collect();
            let version = parts[1].trim_start_matches('v').parse().unwrap();
            (
                parts[0].to_string(),
                version,
                hex::decode(parts[2]).unwrap(),
            )
        })
        .collect()
}

/// Every payload core pins: the golden scenario's (every event type at
/// its current version) and the old versions kept to upcast.
fn every_golden_payload() -> Vec<(String, u16, Vec<u8>)> {
    let mut all = golden_payloads("events.txt");
    all.extend(golden_payloads("upcast.txt"));
    all
}

// ---------------------------------------------------------------------------
// The document's tables, read as an auditor would.

type Fields = Vec<(String, String)>;

struct Doc {
    /// (type, version) → fields: section 6 and the old versions of section 9.
    payloads: BTreeMap<(String, u16), Fields>,
    /// Nested types, section 7.
    structs: BTreeMap<String, Fields>,
    /// Enum → variant names, section 8.
    enums: BTreeMap<String, BTreeSet<String>>,
}

fn generated<'a>(doc: &'a str, name: &str) -> &'a str {
    let start = doc
        .find(&format!("<!-- generated: {name} -->"))
        .unwrap_or_else(|| panic!("no generated section {name}"));
    let end = start + doc[start..].find("<!-- end generated -->").unwrap();
    &doc[start..end]
}

/// The text under each heading starting with `marker` (`#### `, `### `).
fn blocks<'a>(text: &'a str, marker: &str) -> Vec<(&'a str, &'a str)> {
    text.split(&format!("\n{marker}"))
        .skip(1)
        .map(|block| block.split_once('\n').unwrap())
        .collect()
}

/// The body rows of the tables in `text`, as cells.
fn rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("|---"))
        .map(|l| {
            let cells = l.trim().trim_matches('|').split('|');
            cells
                .map(|c| c.trim().trim_matches('`').to_string())
                .collect()
        })
        .filter(|cells: &Vec<String>| cells[0] != "#" && cells[0] != "variant")
        .collect()
}

fn field_rows(text: &str) -> Fields {
    rows(text)
        .into_iter()
        .map(|cells| (cells[1].clone(), cells[2].clone()))
        .collect()
}

fn read_doc() -> Doc {
    let doc = std::fs::read_to_string(root().join("docs/canonical-encoding.md")).unwrap();
    let mut payloads = BTreeMap::new();
    for (name, body) in blocks(generated(&doc, "payload-fields"), "#### ") {
        let version = body.split("Schema version ").nth(1).unwrap();
        let version = version.split('.').next().unwrap().parse().unwrap();
        payloads.insert((name.to_string(), version), field_rows(body));
    }
    let old = &doc[doc.find("## 9. ").unwrap()..doc.find("## 10. ").unwrap()];
    for (heading, body) in blocks(old, "### ") {
        let (name, version) = heading.split_once(" version ").unwrap();
        payloads.insert(
            (name.to_string(), version.parse().unwrap()),
            field_rows(body),
        );
    }
    let structs = blocks(generated(&doc, "nested-types"), "#### ")
        .into_iter()
        .map(|(name, body)| (name.to_string(), field_rows(body)))
        .collect();
    let enums = blocks(generated(&doc, "enums"), "#### ")
        .into_iter()
        .map(|(name, body)| {
            (
                name.to_string(),
                rows(body).into_iter().map(|c| c[0].clone()).collect(),
            )
        })
        .collect();
    Doc {
        payloads,
        structs,
        enums,
    }
}

/// The type a `[Name](#name)` link names.
fn linked(text: &str) -> &str {
    text.trim_start_matches('[').split(']').next().unwrap()
}

/// Checks that `value` is written as `encoding` calls for.
fn check_value(doc: &Doc, encoding: &str, value: &Value, path: &str) {
    if let Some(inner) = encoding.strip_prefix("option of ") {
        if !value.is_null() {
            check_value(doc, inner, value, path);
        }
        return;
    }
    if let Some(inner) = encoding.strip_prefix("sequence of ") {
        let items = value
            .as_array()
            .unwrap_or_else(|| panic!("{path}: not an array"));
        for (i, item) in items.iter().enumerate() {
            check_value(doc, inner, item, &format!("{path}[{i}]"));
        }
        return;
    }
    if let Some(link) = encoding.strip_prefix("enum ") {
        let variant = value
            .as_str()
            .unwrap_or_else(|| panic!("{path}: not a name"));
        assert!(
            doc.enums[linked(link)].contains(variant),
            "{path}: {variant}"
        );
        return;
    }
    if encoding.starts_with('[') {
        check_fields(doc, &doc.structs[linked(encoding)], value, path);
        return;
    }
    assert!(
        primitive_ok(encoding, value),
        "{path}: {value} is not a {encoding}"
    );
}

/// Whether `value` is the readable form of the primitive `encoding`.
fn primitive_ok(encoding: &str, value: &Value) -> bool {
    let text = value.as_str().unwrap_or("");
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match encoding {
        "string" => value.is_string(),
        "u8" => value.as_u64().is_some_and(|n| n <= u64::from(u8::MAX)),
        "u32" => value.as_u64().is_some_and(|n| n <= u64::from(u32::MAX)),
        "u64" => value.is_u64(),
        "UUID" => uuid::Uuid::parse_str(text).is_ok_and(|u| u.hyphenated().to_string() == text),
        "currency" => text.len() == 3 && text.bytes().all(|b| b.is_ascii_uppercase()),
        "GTIN" => text.len() == 14 && digits(text),
        "date" => text.len() == 10 && chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok(),
        "decimal" => {
            let unsigned = text.strip_prefix('-').unwrap_or(text);
            let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "1"));
            digits(whole) && digits(fraction) && (whole == "0" || !whole.starts_with('0'))
        }
        other => panic!("the document names an encoding this test does not know: {other}"),
    }
}

fn check_fields(doc: &Doc, fields: &Fields, value: &Value, path: &str) {
    let object = value
        .as_object()
        .unwrap_or_else(|| panic!("{path}: not an object"));
    let keys: Vec<&String> = object.keys().collect();
    let names: Vec<&String> = fields.iter().map(|(name, _)| name).collect();
    assert_eq!(keys, names, "{path}: the fields, in the document's order");
    for (name, encoding) in fields {
        check_value(doc, encoding, &object[name], &format!("{path}.{name}"));
    }
}

// ---------------------------------------------------------------------------

#[test]
fn every_event_types_readable_payload_has_the_documents_fields_and_encodings() {
    let doc = read_doc();
    let golden = every_golden_payload();
    let types: BTreeSet<&str> = golden.iter().map(|(t, _, _)| t.as_str()).collect();
    assert_eq!(types, EVENT_TYPES.iter().copied().collect());
    for (type_name, version, bytes) in &golden {
        let value = readable::payload(type_name, *version, bytes)
            .unwrap_or_else(|e| panic!("{type_name} v{version}: {e}"));
        let fields = &doc.payloads[&(type_name.clone(), *version)];
        check_fields(&doc, fields, &value, &format!("{type_name} v{version}"));
    }
}

#[test]
fn every_golden_payload_reads_as_its_golden_readable_form() {
    let mut out = String::new();
    for (type_name, version, bytes) in every_golden_payload() {
        let value = readable::payload(&type_name, version, &bytes).unwrap();
        out.push_str(&format!("{type_name} v{version} {value}\n"));
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/readable.txt");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &out).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} is missing; run with UPDATE_GOLDEN=1", path.display()));
    assert_eq!(
        out,
        expected,
        "{} differs from the readable form now",
        path.display()
    );
}

/// What the readable form does with each kind of value, on the golden
/// invoice (decimals keep their scale, dates, UUIDs, currency, options,
/// nested structs and sequences, enums by name).
#[test]
fn the_golden_invoice_reads_field_by_field() {
    let (_, version, bytes) = golden_payloads("events.txt")
        .into_iter()
        .find(|(t, _, _)| t == "InvoiceIssued")
        .unwrap();
    let value = readable::payload("InvoiceIssued", version, &bytes).unwrap();
    assert_eq!(value["invoice_id"], "00000000-0000-0000-0000-000000000004");
    assert_eq!(value["invoice_date"], "2026-02-06");
    assert_eq!(value["currency"], "CNY");
    let line = &value["lines"][0];
    assert_eq!(line["amount"], "3000.00");
    assert_eq!(line["tax"], "390.00");
    assert_eq!(line["quantity"], 2);
    assert_eq!(line["shipment_line"]["line_no"], 1);
    let installment = &value["installments"][0];
    assert_eq!(installment["amount"]["amount"], "3390.00");
    assert_eq!(installment["terms"]["share_percent"], "100");
    assert_eq!(installment["terms"]["base"], "Acceptance");
    assert_eq!(installment["due_on"], "2026-04-06");
}

/// An old schema version is shown with its own fields, not upcast.
#[test]
fn an_old_version_reads_with_its_own_fields() {
    let (_, _, bytes) = golden_payloads("upcast.txt")
        .into_iter()
        .find(|(t, v, _)| t == "ProductRegistered" && *v == 1)
        .unwrap();
    let value = readable::payload("ProductRegistered", 1, &bytes).unwrap();
    assert!(value.get("company_prefix_len").is_none(), "{value}");
    assert_eq!(value["gtin"], "09504000059118");
}

#[test]
fn a_payload_that_does_not_decode_exactly_has_no_readable_form() {
    for (type_name, version, mut bytes) in every_golden_payload() {
        bytes.push(0);
        assert!(
            readable::payload(&type_name, version, &bytes).is_err(),
            "{type_name} v{version} with a byte after it"
        );
    }
    assert!(matches!(
        readable::payload("ProductRegistered", 9, &[]),
        Err(ReadableError::Payload(_))
    ));
}

/// The readable form shows every `u128` as a decimal and every `i32` as a
/// date. The document's tables are generated from the code's types (a u128
/// is called "decimal", an i32 "date"), so a new field of either type that
/// is not one shows up here, by name, before it is exported wrongly.
#[test]
fn every_u128_in_a_payload_is_a_decimal_and_every_i32_a_date() {
    // The fields serialized with `money::decimal_bytes`. A new one that is
    // a decimal too belongs here; one that is not needs its own readable
    // form (and rule in the document) instead.
    const DECIMALS: [&str; 4] = ["amount", "tax", "unit_price", "share_percent"];
    let doc = read_doc();
    let tables = doc.payloads.iter().map(|((name, _), f)| (name, f));
    for (container, fields) in tables.chain(&doc.structs) {
        for (name, encoding) in fields {
            if encoding.ends_with("decimal") {
                assert!(
                    DECIMALS.contains(&name.as_str()),
                    "{container}.{name} is a u128 but not a known decimal field"
                );
            }
            if encoding.ends_with("date") {
                let date_named = name == "on" || name.ends_with("_on") || name.ends_with("_date");
                assert!(
                    date_named,
                    "{container}.{name} is an i32 but not named as a date"
                );
            }
        }
    }
}
