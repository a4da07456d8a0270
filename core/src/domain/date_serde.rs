//! Business dates in stored payloads: a day number (i32, where 0001-01-01 of
//! the proleptic Gregorian calendar is day 1: chrono's `num_days_from_ce`),
//! four bytes instead of a formatted string that must be parsed back on
//! every rebuild.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serializer, de::Error};

/// Serializes a date as its day number.
pub fn serialize<S: Serializer>(date: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_i32(date.num_days_from_ce())
}

/// Reads a date from its day number.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    let days = i32::deserialize(d)?;
    NaiveDate::from_num_days_from_ce_opt(days)
        .ok_or_else(|| D::Error::custom(format!("day number {days} is out of range")))
}

/// The same for `Option<NaiveDate>`.
pub mod option {
    use super::*;

    /// Serializes an optional date as an optional day number.
    pub fn serialize<S: Serializer>(date: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
        match date {
            Some(d) => s.serialize_some(&d.num_days_from_ce()),
            None => s.serialize_none(),
        }
    }

    /// Reads an optional day number.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        match Option::<i32>::deserialize(d)? {
            Some(days) => NaiveDate::from_num_days_from_ce_opt(days)
                .map(Some)
                .ok_or_else(|| D::Error::custom(format!("day number {days} is out of range"))),
            None => Ok(None),
        }
    }
}
