//! Regressions of the GS1 UDI parser: inputs found by fuzzing it
//! (`fuzz/`, target `udi_parse`) or while reviewing it, each asserting
//! what the parser returns, so none of them can come back as a panic or
//! as a wrong reading.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

use arledger_core::udi::{self, GS, UdiForm};
use chrono::{Datelike, NaiveDate};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 6).unwrap()
}

/// Found by the fuzzer (its round-trip property, not a panic): a serial
/// holding `(01)` is read from an element string, but written in the
/// human-readable form it reads as a second AI (01). That form is
/// ambiguous by design (GS1 character set 82 has parentheses), so the
/// parser refuses it, naming the AI, and the other two forms round-trip.
#[test]
fn a_serial_holding_an_ai_in_parentheses_round_trips_except_in_the_human_form() {
    let input = format!("]d2010950400005911817141120107654321D{GS}21d(01)ddd09ddddd5");
    let u = udi::parse(&input, today()).unwrap();
    assert_eq!(u.form, UdiForm::ElementString);
    assert_eq!(u.serial.as_deref(), Some("d(01)ddd09ddddd5"));
    for form in [
        udi::element_string(&u, ""),
        udi::digital_link(&u, "x.example"),
    ] {
        let back = udi::parse(&form, today()).unwrap();
        assert_eq!(
            (back.gtin, back.lot, back.serial, back.expiry),
            (u.gtin.clone(), u.lot.clone(), u.serial.clone(), u.expiry),
            "{form:?}"
        );
    }
    let human = udi::human_readable(&u);
    assert_eq!(
        human,
        "(01)09504000059118(17)141120(10)7654321D(21)d(01)ddd09ddddd5"
    );
    let e = udi::parse(&human, today()).unwrap_err();
    assert_eq!(e.ai.as_deref(), Some("01"), "{e}");
    assert!(e.to_string().contains("11 characters"), "{e}");
}

/// Found in review: the Digital Link test looked at the first 8 bytes as
/// a string, so `http://` followed by a character of several bytes (an
/// internationalised host) was not seen as a Digital Link at all.
#[test]
fn http_followed_by_a_non_ascii_host_is_a_digital_link() {
    let u = udi::parse("http://é.example/01/09506000134352/10/ABC", today()).unwrap();
    assert_eq!(u.form, UdiForm::DigitalLink);
    assert_eq!(
        (u.gtin.as_str(), u.lot.as_deref()),
        ("09506000134352", Some("ABC"))
    );
    let upper = udi::parse("HTTP://é.example/01/09506000134352", today()).unwrap();
    assert_eq!(upper.form, UdiForm::DigitalLink);
    let e = udi::parse("http:/", today()).unwrap_err();
    assert_eq!(e.ai, None, "{e}");
}

/// Found in review: a Digital Link's GTIN of any length under 14 was
/// padded with zeros, so `/01/0` read as the GTIN 00000000000000. Only
/// GTIN-8, -12 and -13 are padded.
#[test]
fn a_digital_link_gtin_is_padded_only_from_8_12_or_13_digits() {
    for short in ["0", "00", "0000000", "000000000", "00000000000"] {
        let e = udi::parse(&format!("https://x.example/01/{short}"), today()).unwrap_err();
        assert_eq!(e.ai.as_deref(), Some("01"), "{short}: {e}");
        assert!(
            e.to_string()
                .contains(&format!("has {} characters", short.len())),
            "{short}: {e}"
        );
    }
    for (given, gtin) in [
        ("96385074", "00000096385074"),
        ("614141000036", "00614141000036"),
        ("9506000134352", "09506000134352"),
    ] {
        let u = udi::parse(&format!("https://x.example/01/{given}"), today()).unwrap();
        assert_eq!(u.gtin.as_str(), gtin);
    }
}

/// Found in review, with the reference dates the fuzzer also tries: a
/// two-digit year the century rule places past chrono's last year is
/// refused as out of range, not as a day the month lacks.
#[test]
fn a_date_past_the_calendars_last_year_is_refused_as_out_of_range() {
    let reference = NaiveDate::MAX;
    let yy = (reference.year() % 100 + 48) % 100;
    let input = format!("(01)09504000059118(17){yy:02}0115");
    let e = udi::parse(&input, reference).unwrap_err();
    assert_eq!(e.ai.as_deref(), Some("17"), "{e}");
    assert!(e.to_string().contains("out of range"), "{e}");
    let last_day = format!("(01)09504000059118(17){yy:02}0100");
    let e = udi::parse(&last_day, reference).unwrap_err();
    assert!(e.to_string().contains("out of range"), "{e}");
    // The earliest reference: a year before the calendar's first.
    let first = NaiveDate::MIN;
    let yy = (first.year().rem_euclid(100) + 60) % 100;
    let e = udi::parse(&format!("(01)09504000059118(11){yy:02}0115"), first).unwrap_err();
    assert_eq!(e.ai.as_deref(), Some("11"), "{e}");
    assert!(e.to_string().contains("out of range"), "{e}");
}
