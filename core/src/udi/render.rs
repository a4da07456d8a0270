//! A UDI written in each of the three forms (for labels, fixtures and
//! tests): the GTIN, then expiry, production date, lot and serial.

use chrono::NaiveDate;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::{GS, Udi};

/// What a Digital Link path segment keeps as it is (RFC 3986 unreserved).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn yymmdd(date: NaiveDate) -> String {
    date.format("%y%m%d").to_string()
}

/// (AI, value) in the order they are written: fixed-length first, so an
/// element string needs a GS only between variable ones.
fn pairs(udi: &Udi) -> Vec<(&'static str, String)> {
    let mut out = vec![("01", udi.gtin.as_str().to_string())];
    if let Some(d) = udi.expiry {
        out.push(("17", yymmdd(d)));
    }
    if let Some(d) = udi.production {
        out.push(("11", yymmdd(d)));
    }
    if let Some(lot) = &udi.lot {
        out.push(("10", lot.clone()));
    }
    if let Some(serial) = &udi.serial {
        out.push(("21", serial.clone()));
    }
    out
}

/// `(01)…(17)…(11)…(10)…(21)…`.
pub fn human_readable(udi: &Udi) -> String {
    pairs(udi)
        .into_iter()
        .map(|(ai, v)| format!("({ai}){v}"))
        .collect()
}

/// The element string, after `symbology` (e.g. `]d2`, or empty), with a
/// GS after each variable-length value but the last.
pub fn element_string(udi: &Udi, symbology: &str) -> String {
    let mut out = symbology.to_string();
    let all = pairs(udi);
    let count = all.len();
    for (i, (ai, value)) in all.into_iter().enumerate() {
        out.push_str(ai);
        out.push_str(&value);
        let variable = ai == "10" || ai == "21";
        if variable && i + 1 < count {
            out.push(GS);
        }
    }
    out
}

/// `https://<host>/01/<gtin>/10/<lot>/21/<serial>?17=…&11=…`, values
/// percent-encoded.
pub fn digital_link(udi: &Udi, host: &str) -> String {
    let mut path = format!("https://{host}");
    let mut query = Vec::new();
    for (ai, value) in pairs(udi) {
        let value = utf8_percent_encode(&value, SEGMENT).to_string();
        match ai {
            "01" | "10" | "21" => path.push_str(&format!("/{ai}/{value}")),
            _ => query.push(format!("{ai}={value}")),
        }
    }
    if !query.is_empty() {
        path.push('?');
        path.push_str(&query.join("&"));
    }
    path
}
