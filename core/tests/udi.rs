//! GS1 UDI parsing (traceability.md "Parsing UDI strings"): a table of
//! strings in all three forms with the fields expected or the error, and
//! a property: any GTIN, lot, serial and expiry written in each form
//! parses back to the same fields.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

use arledger_core::domain::types::{Gtin, gs1_check_digit};
use arledger_core::udi::{self, GS, Udi, UdiForm};
use chrono::NaiveDate;
use proptest::prelude::*;
use proptest::test_runner::{RngAlgorithm, RngSeed, TestRunner};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// The reference date two-digit years are placed around.
fn today() -> NaiveDate {
    d("2026-12-06")
}

fn ok(input: &str) -> Udi {
    udi::parse(input, today()).unwrap_or_else(|e| panic!("{input:?}: {e}"))
}

/// The error's message, which must name `ai` (when given) and contain
/// `words`.
fn refused(input: &str, ai: Option<&str>, words: &str) {
    let e = udi::parse(input, today()).expect_err(input);
    assert_eq!(e.ai.as_deref(), ai, "{input:?}: {e}");
    assert!(
        e.to_string().contains(words),
        "{input:?}: {e} (expected {words:?})"
    );
}

/// (gtin, lot, serial, expiry) of a parsed UDI.
fn fields(u: &Udi) -> (String, Option<String>, Option<String>, Option<NaiveDate>) {
    (
        u.gtin.as_str().to_string(),
        u.lot.clone(),
        u.serial.clone(),
        u.expiry,
    )
}

fn expect(
    gtin: &str,
    lot: Option<&str>,
    serial: Option<&str>,
    expiry: Option<&str>,
) -> (String, Option<String>, Option<String>, Option<NaiveDate>) {
    (
        gtin.to_string(),
        lot.map(str::to_string),
        serial.map(str::to_string),
        expiry.map(d),
    )
}

#[test]
fn the_specs_example_in_every_form() {
    let want = expect(
        "09504000059118",
        Some("7654321D"),
        Some("10987654d321"),
        Some("2014-11-20"),
    );
    let human = ok("(01)09504000059118(17)141120(10)7654321D(21)10987654d321");
    assert_eq!(
        (fields(&human), human.form),
        (want.clone(), UdiForm::HumanReadable)
    );
    assert_eq!(human.ais, ["01", "17", "10", "21"]);
    let raw = format!("0109504000059118171411201076543 21D{GS}2110987654d321").replace(' ', "");
    for prefix in ["", "]d2", "]C1", "]Q3", "]e0", "\u{1d}"] {
        let parsed = ok(&format!("{prefix}{raw}"));
        assert_eq!(
            (fields(&parsed), parsed.form),
            (want.clone(), UdiForm::ElementString),
            "{prefix:?}"
        );
    }
    let link = ok("https://id.gs1.org/01/09504000059118/10/7654321D/21/10987654d321?17=141120");
    assert_eq!((fields(&link), link.form), (want, UdiForm::DigitalLink));
}

#[test]
fn the_digital_link_of_traceability_md() {
    let u = ok("https://id.gs1.org/01/09506000134352/10/ABC123/21/1234");
    assert_eq!(
        fields(&u),
        expect("09506000134352", Some("ABC123"), Some("1234"), None)
    );
}

#[test]
fn day_00_is_the_last_day_of_the_month_leap_years_included() {
    assert_eq!(
        ok("(01)09504000059118(17)240200").expiry,
        Some(d("2024-02-29"))
    );
    assert_eq!(
        ok("(01)09504000059118(17)250200").expiry,
        Some(d("2025-02-28"))
    );
    assert_eq!(
        ok("(01)09504000059118(17)261100").expiry,
        Some(d("2026-11-30"))
    );
    assert_eq!(
        ok("0109504000059118172612001012").expiry,
        Some(d("2026-12-31"))
    );
}

#[test]
fn two_digit_years_follow_the_gs1_century_rule() {
    // Around 2026: up to 50 years ahead stays in this century, 51 wraps back.
    assert_eq!(
        ok("(01)09504000059118(17)760101").expiry,
        Some(d("2076-01-01"))
    );
    assert_eq!(
        ok("(01)09504000059118(17)770101").expiry,
        Some(d("1977-01-01"))
    );
    assert_eq!(
        ok("(01)09504000059118(11)000101").production,
        Some(d("2000-01-01"))
    );
    let late = udi::parse("(01)09504000059118(17)300101", d("2099-06-01")).unwrap();
    assert_eq!(
        late.expiry,
        Some(d("2130-01-01")),
        "49 behind 2099 wraps ahead"
    );
}

#[test]
fn a_lot_without_a_trailing_gs_swallows_the_rest() {
    let u = ok("01095040000591181012345172612311");
    assert_eq!(u.lot.as_deref(), Some("12345172612311"));
    assert_eq!(u.expiry, None, "no guessing where the lot ends");
    let with_gs = ok(&format!("010950400005911810ABC{GS}17261231"));
    assert_eq!(
        (with_gs.lot.as_deref(), with_gs.expiry),
        (Some("ABC"), Some(d("2026-12-31")))
    );
}

#[test]
fn bad_strings_are_refused_naming_the_ai_and_what_is_wrong() {
    refused("(01)09504000059119", Some("01"), "expected 8");
    refused("(01)09504000059118(17)261301", Some("17"), "month 13");
    refused("(01)09504000059118(17)260230", Some("17"), "has 28 days");
    refused("(01)09504000059118(17)261232", Some("17"), "day 32");
    refused("(01)09504000059118(10)AB#CD", Some("10"), "'#'");
    refused(
        "(01)09504000059118(10)ABCDEFGHIJKLMNOPQRSTU",
        Some("10"),
        "21 characters",
    );
    refused("(01)0950400005911", Some("01"), "13 characters");
    refused("(01)09504000059118(89)123", Some("89"), "does not know");
    refused(
        "010950400005911889123",
        None,
        "\"8912\" does not start an application identifier",
    );
    refused("(17)261231(10)ABC", None, "AI (01)");
    refused("(01)09504000059118(10)A(10)B", Some("10"), "given twice");
    refused("01095040000591", Some("01"), "fewer are left");
    refused(
        "]A0010950400005911817261231",
        None,
        "does not carry GS1 data",
    );
    refused("", None, "empty");
    refused("https://example.com/10/ABC", None, "no GTIN");
    refused(
        "(01)09504000059118(7003)2612000930",
        Some("7003"),
        "DD = 00",
    );
}

#[test]
fn hibcc_and_iccbba_strings_are_recognised_and_refused_by_name() {
    refused("+A99912345/$$52001510X33", None, "HIBCC");
    refused("=/A9999XYZ100T0944", None, "ICCBBA");
    refused("&,1000000000000XYZ12345", None, "ICCBBA");
}

#[test]
fn digital_links_with_percent_encoding_a_prefix_a_query_and_short_names() {
    let encoded = ok("https://example.com/01/09506000134352/10/AB%2FC%25%3F1/21/S%2B1");
    assert_eq!(encoded.lot.as_deref(), Some("AB/C%?1"));
    assert_eq!(encoded.serial.as_deref(), Some("S+1"));
    let query = ok(
        "https://brand.example/products/pumps/01/09506000134352/10/ABC?17=261231&11=250115&linkType=gs1:pip#top",
    );
    assert_eq!(
        (query.expiry, query.production),
        (Some(d("2026-12-31")), Some(d("2025-01-15")))
    );
    assert_eq!(query.lot.as_deref(), Some("ABC"));
    let short = ok("https://x.example/gtin/09506000134352/lot/ABC/ser/12");
    assert_eq!(
        fields(&short),
        expect("09506000134352", Some("ABC"), Some("12"), None)
    );
    let gtin13 = ok("https://x.example/01/9506000134352");
    assert_eq!(gtin13.gtin.as_str(), "09506000134352");
}

#[test]
fn ai_7003_30_and_240_are_read() {
    let u = ok("(01)09504000059118(7003)2612311530(30)12(240)PUMP-7");
    let at = d("2026-12-31").and_hms_opt(15, 30, 0).unwrap();
    assert_eq!((u.expiry_time, u.expiry), (Some(at), Some(d("2026-12-31"))));
    assert_eq!(
        (u.count, u.additional_id.as_deref()),
        (Some(12), Some("PUMP-7"))
    );
    let raw = ok(&format!("01095040000591183012{GS}240PUMP-7"));
    assert_eq!(
        (raw.count, raw.additional_id.as_deref()),
        (Some(12), Some("PUMP-7"))
    );
}

/// A valid GTIN-14 from 13 digits.
fn gtin_of(body: &str) -> Gtin {
    let check = gs1_check_digit(body.as_bytes());
    Gtin::parse(&format!("{body}{check}")).unwrap()
}

/// Characters of GS1's set 82 that cannot open an AI in the human form.
const SAFE: &str =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!\"%&'*+,-./:;<=>?_";

fn text(max: usize) -> impl Strategy<Value = String> {
    let chars: Vec<char> = SAFE.chars().collect();
    prop::collection::vec(prop::sample::select(chars), 1..=max)
        .prop_map(|v| v.into_iter().collect())
}

#[test]
fn any_udi_written_in_each_form_parses_back_to_the_same_fields() {
    let seed = std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_206u64);
    eprintln!("udi property seed {seed} (set PROPTEST_RNG_SEED to change)");
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 2_000,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(seed),
        ..ProptestConfig::default()
    });
    let days = -(49 * 365)..(49 * 365i64);
    let strategy = (
        "[0-9]{13}",
        prop::option::of(text(20)),
        prop::option::of(text(20)),
        prop::option::of(days),
    );
    let result = runner.run(&strategy, |(body, lot, serial, offset)| {
        let udi = Udi {
            gtin: gtin_of(&body),
            lot,
            serial,
            expiry: offset.map(|o| today() + chrono::Duration::days(o)),
            expiry_time: None,
            production: None,
            count: None,
            additional_id: None,
            ais: Vec::new(),
            form: UdiForm::HumanReadable,
        };
        let written = [
            udi::human_readable(&udi),
            udi::element_string(&udi, ""),
            udi::element_string(&udi, "]d2"),
            udi::digital_link(&udi, "id.example.com"),
        ];
        for form in written {
            let back = udi::parse(&form, today())
                .map_err(|e| TestCaseError::fail(format!("{form:?}: {e}")))?;
            prop_assert_eq!(fields(&back), fields(&udi), "{:?}", form);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}\n(seed {seed}: PROPTEST_RNG_SEED={seed} reproduces it)");
    }
}

use proptest::test_runner::TestCaseError;
