//! Fuzzes `arledger_core::udi::parse`: it must never panic, and whatever
//! it accepts, written again in each of the three forms, must parse back
//! to the same GTIN (and lot, serial, expiry and production date, the
//! fields the writers write).

#![no_main]

use arledger_core::udi::{self, Udi};
use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Valid UTF-8 is read as it is; anything else lossily (U+FFFD for
    // each bad sequence), which is the same string when it is valid.
    match std::str::from_utf8(data) {
        Ok(text) => check(text, data),
        Err(_) => check(&String::from_utf8_lossy(data), data),
    }
});

/// The reference dates two-digit years are placed around: the tests'
/// one, chrono's extremes, and one picked by the input's bytes.
fn references(data: &[u8]) -> [NaiveDate; 4] {
    let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap_or_default();
    let hash = data.iter().fold(0x811c_9dc5_u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    // Days since 1 CE within about +-200,000 years (chrono's range).
    let days = i32::try_from(hash % 146_000_000).unwrap_or(0) - 73_000_000;
    let picked = NaiveDate::from_num_days_from_ce_opt(days).unwrap_or(today);
    [today, NaiveDate::MIN, NaiveDate::MAX, picked]
}

fn check(text: &str, data: &[u8]) {
    for reference in references(data) {
        match udi::parse(text, reference) {
            Ok(parsed) => round_trip(text, &parsed, reference),
            // The message is built too: it quotes the input.
            Err(e) => drop(e.to_string()),
        }
    }
}

/// (gtin, lot, serial, expiry, production) of a UDI.
type Fields = (
    String,
    Option<String>,
    Option<String>,
    Option<NaiveDate>,
    Option<NaiveDate>,
);

fn fields(u: &Udi) -> Fields {
    (
        u.gtin.as_str().to_string(),
        u.lot.clone(),
        u.serial.clone(),
        u.expiry,
        u.production,
    )
}

/// Whether `value` holds what opens an AI in the human-readable form,
/// `(` and 2 to 4 digits and `)` (as the parser looks for one).
fn opens_ai(value: &str) -> bool {
    value.match_indices('(').any(|(i, _)| {
        value[i + 1..].split_once(')').is_some_and(|(code, _)| {
            (2..=4).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit())
        })
    })
}

fn round_trip(input: &str, parsed: &Udi, reference: NaiveDate) {
    let want = fields(parsed);
    let mut written = vec![
        udi::element_string(parsed, ""),
        udi::digital_link(parsed, "x.example"),
    ];
    // The human-readable form is ambiguous by design when a lot or serial
    // holds "(NN)": `(10)A(21)B` is lot A and serial B, whatever wrote it
    // (GS1 character set 82 allows parentheses). Checked unless so.
    let ambiguous = [&parsed.lot, &parsed.serial]
        .into_iter()
        .flatten()
        .any(|v| opens_ai(v));
    if !ambiguous {
        written.push(udi::human_readable(parsed));
    }
    for form in written {
        match udi::parse(&form, reference) {
            Ok(back) => assert_eq!(
                fields(&back),
                want,
                "{input:?} (reference {reference}) written as {form:?} parses back otherwise"
            ),
            Err(e) => panic!(
                "{input:?} (reference {reference}) parsed, but written as {form:?} it does not: {e}"
            ),
        }
    }
}
