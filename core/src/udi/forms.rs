//! The three written forms of a GS1 UDI, each split into (AI, value)
//! pairs: values are checked against their AI's rules afterwards, in one
//! place (`Fields::take`).

use std::borrow::Cow;

use percent_encoding::percent_decode_str;

use super::ai::{self, ai_length, from_short_name, predefined_length};
use super::{GS, UdiError, UdiForm};

/// Symbology identifiers that carry GS1 data (GS1-128, DataBar, Data
/// Matrix, QR, DotCode).
const GS1_SYMBOLOGIES: [&str; 5] = ["]C1", "]e0", "]d2", "]Q3", "]J1"];

/// An (AI, value) pair, borrowed from the input where it can be.
pub type Pair<'a> = (Cow<'a, str>, Cow<'a, str>);

/// The form of `text` and its (AI, value) pairs.
pub fn split(text: &str) -> Result<(UdiForm, Vec<Pair<'_>>), UdiError> {
    if text.starts_with('+') {
        return Err(UdiError::whole(
            "this is a HIBCC UDI (it starts with +): only GS1 UDIs are read for now",
        ));
    }
    if text.starts_with('=') || text.starts_with('&') {
        return Err(UdiError::whole(
            "this is an ICCBBA (ISBT 128) UDI (it starts with = or &): only GS1 UDIs are read",
        ));
    }
    if has_prefix_ignoring_case(text, "https://") || has_prefix_ignoring_case(text, "http://") {
        return Ok((UdiForm::DigitalLink, digital_link(text)?));
    }
    if text.starts_with('(') {
        return Ok((UdiForm::HumanReadable, human_readable(text)?));
    }
    let body = match text.strip_prefix(']') {
        Some(_) => {
            let prefix = text.get(..3).unwrap_or(text);
            if !GS1_SYMBOLOGIES.contains(&prefix) {
                return Err(UdiError::whole(format!(
                    "symbology identifier {prefix:?} does not carry GS1 data (expected one of {})",
                    GS1_SYMBOLOGIES.join(", ")
                )));
            }
            text.get(3..).unwrap_or_default()
        }
        None => text,
    };
    Ok((UdiForm::ElementString, element_string(body)?))
}

/// Whether `text` starts with the ASCII `prefix`, in any case (bytes are
/// compared: a character of several bytes after `http://` is the host's).
fn has_prefix_ignoring_case(text: &str, prefix: &str) -> bool {
    text.as_bytes()
        .get(..prefix.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(prefix.as_bytes()))
}

/// The AI at the start of `s`, by the GS1 AI prefixes; an error names
/// what stands there instead.
fn leading_ai(s: &str) -> Result<&str, UdiError> {
    let len = ai_length(s).ok_or_else(|| {
        let start: String = s.chars().take(4).collect();
        UdiError::whole(format!(
            "{start:?} does not start an application identifier"
        ))
    })?;
    s.get(..len)
        .filter(|a| a.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| UdiError::whole(format!("{s:?} ends inside an application identifier")))
}

/// An element string: AI, value, and a GS after every value of variable
/// length but the last (a GS after a fixed one, or before the first AI,
/// is tolerated).
fn element_string(body: &str) -> Result<Vec<Pair<'_>>, UdiError> {
    let mut pairs = Vec::new();
    let mut rest = body.trim_start_matches(GS);
    while !rest.is_empty() {
        let code = leading_ai(rest)?;
        let spec = ai::lookup(code).ok_or_else(|| {
            UdiError::of(code, "an application identifier this ledger does not know")
        })?;
        let after = rest.get(code.len()..).unwrap_or_default();
        let (value, next) = if predefined_length(code) {
            let cut = after
                .char_indices()
                .nth(spec.max)
                .map_or(after.len(), |(i, _)| i);
            let value = after.get(..cut).unwrap_or_default();
            if value.contains(GS) || value.chars().count() < spec.max {
                return Err(UdiError::of(
                    code,
                    format!(
                        "the {} takes {} characters; fewer are left",
                        spec.title, spec.max
                    ),
                ));
            }
            (value, after.get(cut..).unwrap_or_default())
        } else {
            // Ends at GS or at the end, as a scanner reads it: no guessing.
            match after.split_once(GS) {
                Some((value, next)) => (value, next),
                None => (after, ""),
            }
        };
        pairs.push((Cow::Borrowed(code), Cow::Borrowed(value)));
        rest = next.trim_start_matches(GS);
    }
    if pairs.is_empty() {
        return Err(UdiError::whole("no application identifiers"));
    }
    Ok(pairs)
}

/// `(AI)value(AI)value…`: a value runs to the next `(` that opens an AI
/// (two to four digits and `)`), or to the end.
fn human_readable(text: &str) -> Result<Vec<Pair<'_>>, UdiError> {
    let mut pairs = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let opened = rest.strip_prefix('(').ok_or_else(|| {
            UdiError::whole(format!(
                "expected (AI) at {:?}",
                rest.chars().take(8).collect::<String>()
            ))
        })?;
        let (code, after) = opened
            .split_once(')')
            .filter(|(c, _)| (2..=4).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| UdiError::whole("an AI in parentheses is 2 to 4 digits, e.g. (01)"))?;
        let end = next_ai_start(after).unwrap_or(after.len());
        let value = after.get(..end).unwrap_or_default().trim();
        pairs.push((Cow::Borrowed(code), Cow::Borrowed(value)));
        rest = after.get(end..).unwrap_or_default().trim_start();
    }
    Ok(pairs)
}

/// Where the next `(NN)` … `(NNNN)` starts in `s`.
fn next_ai_start(s: &str) -> Option<usize> {
    s.match_indices('(').map(|(i, _)| i).find(|&i| {
        let tail = s.get(i + 1..).unwrap_or_default();
        tail.split_once(')').is_some_and(|(code, _)| {
            (2..=4).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit())
        })
    })
}

/// A GS1 Digital Link URI: path segments from the GTIN's (`01` or `gtin`)
/// on are AI/value pairs (numbers or short names, percent-decoded); the
/// query string's numeric keys (or short names) are AIs too, its other
/// keys (`linkType`, …) are not this ledger's.
fn digital_link(uri: &str) -> Result<Vec<Pair<'_>>, UdiError> {
    let without_fragment = uri.split('#').next().unwrap_or(uri);
    let (path_part, query) = match without_fragment.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (without_fragment, None),
    };
    let after_scheme = path_part
        .split_once("://")
        .map_or(path_part, |(_, rest)| rest);
    let path = after_scheme.split_once('/').map_or("", |(_, path)| path);
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let start = segments
        .iter()
        .position(|s| *s == "01" || *s == "gtin")
        .ok_or_else(|| {
            UdiError::whole("the Digital Link names no GTIN (a path segment 01 or gtin)")
        })?;
    let mut pairs = Vec::new();
    let mut path_pairs = segments.get(start..).unwrap_or_default().chunks(2);
    for pair in &mut path_pairs {
        let [key, value] = pair else {
            return Err(UdiError::whole(format!(
                "the path segment {:?} has no value after it",
                pair.first().copied().unwrap_or("")
            )));
        };
        pairs.push((ai_of(key)?, decoded(key, value)?));
    }
    for (key, value) in query
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
    {
        if key.bytes().all(|b| b.is_ascii_digit()) || from_short_name(key).is_some() {
            pairs.push((ai_of(key)?, decoded(key, value)?));
        }
    }
    if let Some((_, gtin)) = pairs.first_mut().filter(|(ai, _)| ai == "01") {
        // A Digital Link may carry a GTIN-8, -12 or -13: GTIN-14 with zeros.
        // No other length is a GTIN (`/01/0` is not fourteen zeros).
        if matches!(gtin.len(), 8 | 12 | 13) && gtin.bytes().all(|b| b.is_ascii_digit()) {
            *gtin = Cow::Owned(format!("{gtin:0>14}"));
        }
    }
    Ok(pairs)
}

/// The AI a path segment or query key names.
fn ai_of(key: &str) -> Result<Cow<'_, str>, UdiError> {
    if key.bytes().all(|b| b.is_ascii_digit()) && (2..=4).contains(&key.len()) {
        return Ok(Cow::Borrowed(key));
    }
    from_short_name(key)
        .map(Cow::Borrowed)
        .ok_or_else(|| UdiError::whole(format!("{key:?} is not an application identifier")))
}

fn decoded<'a>(key: &str, value: &'a str) -> Result<Cow<'a, str>, UdiError> {
    percent_decode_str(value).decode_utf8().map_err(|_| {
        UdiError::whole(format!(
            "the value of {key} is not UTF-8 once percent-decoded"
        ))
    })
}
