//! The contract's scalars: `Date` ("2026-06-30"), `DateTime` (RFC 3339,
//! UTC), `Decimal` (a string, never a float), `Position` (a u64 as a
//! string). `UUID` is async-graphql's own.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{NaiveDate, SecondsFormat, Utc};
use rust_decimal::Decimal;

/// A business date, "YYYY-MM-DD".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => s.parse().map(Date).map_err(|_| {
                InputValueError::custom(format!("{s:?} is not a date; write YYYY-MM-DD"))
            }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

/// A moment, RFC 3339 in UTC ("2026-07-05T09:00:00Z").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateTime(pub chrono::DateTime<Utc>);

#[Scalar(name = "DateTime")]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => chrono::DateTime::parse_from_rfc3339(s)
                .map(|t| DateTime(t.with_timezone(&Utc)))
                .map_err(|_| {
                    InputValueError::custom(format!(
                        "{s:?} is not an RFC 3339 moment, e.g. 2026-07-05T09:00:00Z"
                    ))
                }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

/// An exact decimal amount, written as a string ("1234.50"). Numbers are
/// refused: a JSON number may already have been rounded through a float.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dec(pub Decimal);

#[Scalar(name = "Decimal")]
impl ScalarType for Dec {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => s.trim().parse().map(Dec).map_err(|_| {
                InputValueError::custom(format!("{s:?} is not a decimal amount, e.g. \"1234.50\""))
            }),
            Value::Number(n) => Err(InputValueError::custom(format!(
                "write the amount {n} as a string (\"{n}\"): numbers may have passed through a float"
            ))),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

/// A log position, a u64 written as a string ("42").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position(pub u64);

#[Scalar(name = "Position")]
impl ScalarType for Position {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => s.parse().map(Position).map_err(|_| {
                InputValueError::custom(format!("{s:?} is not a log position, e.g. \"42\""))
            }),
            Value::Number(n) => n
                .as_u64()
                .map(Position)
                .ok_or_else(|| InputValueError::custom(format!("{n} is not a log position"))),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map(Date).map_err(|_| {
            serde::de::Error::custom(format!("{text:?} is not a date; write YYYY-MM-DD"))
        })
    }
}

impl<'de> serde::Deserialize<'de> for Dec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Dec, D::Error> {
        // Only a string: a JSON number may have been rounded through a float.
        let text = String::deserialize(d)?;
        text.trim().parse().map(Dec).map_err(|_| {
            serde::de::Error::custom(format!(
                "{text:?} is not a decimal amount, e.g. \"1234.50\""
            ))
        })
    }
}
