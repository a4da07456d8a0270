//! GS1 UDIs (traceability.md "Parsing UDI strings"): the three forms a
//! scanner or a person produces, read into the device identifier (GTIN)
//! and the production identifiers (lot, serial, expiry, production date).
//! Pure: no IO, and no clock — the two-digit years are placed around a
//! reference date the caller gives (a shipment's date).
//!
//! - human-readable: `(01)09504000059118(17)141120(10)7654321D(21)10987654d321`;
//! - an element string with GS (0x1D) as FNC1, optionally after a
//!   symbology identifier (`]d2`, `]C1`, `]Q3`, `]e0`, `]J1`);
//! - a GS1 Digital Link URI (any host, path prefix allowed, AI numbers or
//!   short names, percent-decoded, AIs in the query string too).
//!
//! HIBCC (`+…`) and ICCBBA (`=…`, `&…`) strings are recognised and refused
//! saying which they are. Every failure is a [`UdiError`] naming the AI
//! and what is wrong; `decide` turns it into `UDI_INVALID`.

pub mod ai;
mod dates;
mod forms;
mod render;

use chrono::{NaiveDate, NaiveDateTime};

use crate::domain::types::{Gtin, gs1_check_digit};
use ai::{AiSpec, Kind};

pub use render::{digital_link, element_string, human_readable};

/// The GS character (FNC1 in an element string).
pub const GS: char = '\u{1d}';

/// Longest UDI string read (a Digital Link with every AI fits easily).
pub const UDI_LEN_MAX: usize = 512;

/// How a UDI was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UdiForm {
    /// `(01)…(17)…`.
    HumanReadable,
    /// AIs and values with GS separators, maybe after a symbology identifier.
    ElementString,
    /// `https://host/01/…`.
    DigitalLink,
}

/// A parsed GS1 UDI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Udi {
    /// The device identifier (AI 01).
    pub gtin: Gtin,
    /// AI 10.
    pub lot: Option<String>,
    /// AI 21.
    pub serial: Option<String>,
    /// AI 17, or the day of AI 7003.
    pub expiry: Option<NaiveDate>,
    /// AI 7003.
    pub expiry_time: Option<NaiveDateTime>,
    /// AI 11.
    pub production: Option<NaiveDate>,
    /// AI 30.
    pub count: Option<u64>,
    /// AI 240.
    pub additional_id: Option<String>,
    /// Every AI seen, in order.
    pub ais: Vec<String>,
    /// The form it was written in.
    pub form: UdiForm,
}

/// Why a string is not a GS1 UDI this ledger reads.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{reason}", ai.as_ref().map(|a| format!("AI ({a}): ")).unwrap_or_default())]
pub struct UdiError {
    /// The AI at fault, when one is.
    pub ai: Option<String>,
    /// What is wrong, and what is expected.
    pub reason: String,
}

impl UdiError {
    fn of(ai: &str, reason: impl Into<String>) -> UdiError {
        UdiError {
            ai: Some(ai.to_string()),
            reason: reason.into(),
        }
    }

    fn whole(reason: impl Into<String>) -> UdiError {
        UdiError {
            ai: None,
            reason: reason.into(),
        }
    }
}

/// Parses `input` in whichever form it is written, with two-digit years
/// placed around `reference`.
pub fn parse(input: &str, reference: NaiveDate) -> Result<Udi, UdiError> {
    let text = input.trim_end_matches(['\r', '\n']);
    if text.is_empty() {
        return Err(UdiError::whole("the UDI is empty"));
    }
    if text.len() > UDI_LEN_MAX {
        return Err(UdiError::whole(format!(
            "{} bytes; a UDI has at most {UDI_LEN_MAX}",
            text.len()
        )));
    }
    let (form, pairs) = forms::split(text)?;
    let mut fields = Fields::default();
    for (i, (ai, value)) in pairs.iter().enumerate() {
        let spec = checked(ai, value)?;
        let earlier = pairs.get(..i).unwrap_or_default().iter();
        match earlier.map(|(a, v)| (a, v)).find(|(a, _)| *a == ai) {
            Some((_, seen)) if seen != value => {
                return Err(UdiError::of(
                    ai,
                    format!("given twice, as {seen:?} and {value:?}"),
                ));
            }
            Some(_) => {}
            None => {
                fields.ais.push(ai.to_string());
                fields.keep(&spec, value, reference)?;
            }
        }
    }
    fields.into_udi(form)
}

/// The fields as they are read.
#[derive(Default)]
struct Fields {
    gtin: Option<Gtin>,
    lot: Option<String>,
    serial: Option<String>,
    expiry: Option<NaiveDate>,
    expiry_time: Option<NaiveDateTime>,
    production: Option<NaiveDate>,
    count: Option<u64>,
    additional_id: Option<String>,
    ais: Vec<String>,
}

impl Fields {
    /// Checks `value` against AI `ai`'s rules and keeps it.
    fn keep(&mut self, spec: &AiSpec, value: &str, reference: NaiveDate) -> Result<(), UdiError> {
        let bad = |reason: String| UdiError::of(spec.ai, reason);
        match (spec.ai, spec.kind) {
            ("01", _) => self.gtin = Some(gtin(value)?),
            ("10", _) => self.lot = Some(value.to_string()),
            ("21", _) => self.serial = Some(value.to_string()),
            ("240", _) => self.additional_id = Some(value.to_string()),
            ("30", _) => {
                self.count = Some(
                    value
                        .parse()
                        .map_err(|_| bad(format!("{value:?} is not a count")))?,
                )
            }
            ("11", _) => self.production = Some(dates::date(value, reference).map_err(bad)?),
            ("17", _) => self.expiry = Some(dates::date(value, reference).map_err(bad)?),
            ("7003", _) => {
                let at = dates::date_time(value, reference).map_err(bad)?;
                self.expiry_time = Some(at);
                self.expiry.get_or_insert(at.date());
            }
            (_, Kind::Date) => {
                dates::date(value, reference).map_err(bad)?;
            }
            (_, Kind::DateTime) => {
                dates::date_time(value, reference).map_err(bad)?;
            }
            (_, Kind::Gtin) => {
                gtin_of(spec.ai, value)?;
            }
            (_, Kind::Text) => {}
        }
        Ok(())
    }

    fn into_udi(self, form: UdiForm) -> Result<Udi, UdiError> {
        let gtin = self.gtin.ok_or_else(|| {
            UdiError::whole("no device identifier: a GS1 UDI starts with AI (01), the GTIN")
        })?;
        if let (Some(day), Some(at)) = (self.expiry, self.expiry_time)
            && day != at.date()
        {
            return Err(UdiError::of(
                "7003",
                format!("expires {at}, but AI (17) says {day}"),
            ));
        }
        Ok(Udi {
            gtin,
            lot: self.lot,
            serial: self.serial,
            expiry: self.expiry,
            expiry_time: self.expiry_time,
            production: self.production,
            count: self.count,
            additional_id: self.additional_id,
            ais: self.ais,
            form,
        })
    }
}

/// The spec of AI `ai`, once `value` is checked against it.
fn checked(ai: &str, value: &str) -> Result<AiSpec, UdiError> {
    let spec = ai::lookup(ai)
        .ok_or_else(|| UdiError::of(ai, "an application identifier this ledger does not know"))?;
    check_value(&spec, value)?;
    Ok(spec)
}

/// Checks a value's length and characters.
fn check_value(spec: &AiSpec, value: &str) -> Result<(), UdiError> {
    let n = value.chars().count();
    if spec.fixed() && n != spec.max {
        return Err(UdiError::of(
            spec.ai,
            format!(
                "{value:?} has {n} characters; the {} has {}",
                spec.title, spec.max
            ),
        ));
    }
    if n < spec.min || n > spec.max {
        return Err(UdiError::of(
            spec.ai,
            format!(
                "{value:?} has {n} characters; the {} has {} to {}",
                spec.title, spec.min, spec.max
            ),
        ));
    }
    if let Some(c) = value.chars().find(|&c| !spec.charset.allows(c)) {
        return Err(UdiError::of(
            spec.ai,
            format!(
                "{c:?} in {value:?} is not allowed: the {} takes {}",
                spec.title,
                spec.charset.describe()
            ),
        ));
    }
    Ok(())
}

/// The GTIN of AI (01), its check digit checked.
fn gtin(value: &str) -> Result<Gtin, UdiError> {
    gtin_of("01", value)
}

fn gtin_of(ai: &str, value: &str) -> Result<Gtin, UdiError> {
    let digits = value.as_bytes();
    let (body, last) = match digits.split_last() {
        Some((last, body)) if digits.len() == 14 && digits.iter().all(u8::is_ascii_digit) => {
            (body, *last)
        }
        _ => return Err(UdiError::of(ai, format!("{value:?} is not 14 digits"))),
    };
    let expected = gs1_check_digit(body);
    if last.wrapping_sub(b'0') != expected {
        return Err(UdiError::of(
            ai,
            format!(
                "GTIN {value} has check digit {}, expected {expected}",
                char::from(last)
            ),
        ));
    }
    Ok(Gtin::from_checked(value))
}
