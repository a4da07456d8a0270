//! The readable payload of an export line: a stored payload shown as JSON
//! that mirrors, field by field, the structure its canonical bytes encode.
//!
//! [`to_value`] is a `serde::Serializer` producing a `serde_json::Value`.
//! It reports `is_human_readable() == false`, so every type serializes
//! exactly as it does into the stored (bincode) payload, and each of those
//! serde calls becomes one JSON value:
//!
//! | serde call (as stored) | what it is in a payload | readable JSON |
//! |---|---|---|
//! | `u128` | a decimal (`money::decimal_bytes`) | exact string keeping its scale: `"1234.50"`, `"-0.00"` |
//! | `i32` | a date (`domain::date_serde`) | `"YYYY-MM-DD"` |
//! | 16 bytes | a UUID | hyphenated lower-case string |
//! | newtype `Currency` of 3 bytes | a currency | its code, `"CNY"` |
//! | unit variant | an enum | the variant's name |
//! | option | an option | `null` or the value |
//! | sequence | a sequence | an array |
//! | struct | a struct | an object, fields in order |
//! | `u8`, `u32`, `u64`, string | the same | number, string |
//!
//! Every `u128` in a payload is a decimal and every `i32` a date, the
//! convention `docs/canonical-encoding.md` and its test
//! (`core/tests/canonical_encoding.rs`) rely on; `replay/tests/readable.rs`
//! fails if a payload gains a `u128` or `i32` field that is not one. Any
//! serde shape the document has no rule for (floats, maps, enum variants
//! with fields, other byte strings) is refused, never guessed.

use std::fmt::Display;

use arledger_core::domain::Event;
use arledger_core::domain::events::PayloadError;
use chrono::{Datelike, NaiveDate};
use serde::ser::{self, Impossible, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

/// Why a value has no readable form.
#[derive(Debug, thiserror::Error)]
pub enum ReadableError {
    /// A serde shape no payload has and the canonical-encoding document
    /// has no rule for.
    #[error("{0} has no readable form: the canonical-encoding document has no rule for it")]
    Unsupported(&'static str),
    /// A `u128` that is not a decimal's 16 bytes.
    #[error("{0:#034x} is not a decimal (unused flag bits set, or a scale above 28)")]
    NotDecimal(u128),
    /// An `i32` that is not the day number of a date from 0001-01-01 to
    /// 9999-12-31 (what `YYYY-MM-DD` can write).
    #[error("day number {0} is not a date from 0001-01-01 to 9999-12-31")]
    NotDate(i32),
    /// A currency that is not three ASCII letters.
    #[error("currency bytes {0:?} are not three ASCII letters")]
    NotCurrency(Vec<u8>),
    /// The stored payload does not decode.
    #[error(transparent)]
    Payload(#[from] PayloadError),
    /// The decoded payload does not encode back to the stored bytes, so its
    /// readable form would not show what is stored (a bug, not damage: the
    /// log's payloads are read strictly).
    #[error("the payload decodes but does not encode back to its stored bytes")]
    NotStoredBytes,
    /// A type's own `Serialize` failed.
    #[error("{0}")]
    Custom(String),
}

impl ser::Error for ReadableError {
    fn custom<T: Display>(msg: T) -> Self {
        ReadableError::Custom(msg.to_string())
    }
}

/// The readable form of any payload value (see the module docs).
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, ReadableError> {
    value.serialize(Readable)
}

/// The readable form of a stored payload of `event_type` at
/// `schema_version`, exactly as stored: an old schema version is shown
/// with its own fields, not upcast. Refused unless the decoded payload
/// encodes back to the very bytes stored.
pub fn payload(
    event_type: &str,
    schema_version: u16,
    bytes: &[u8],
) -> Result<Value, ReadableError> {
    if let Some(old) = old_versions::readable(event_type, schema_version, bytes) {
        return old;
    }
    let event = Event::decode(event_type, schema_version, bytes)?;
    let mut again = Vec::with_capacity(bytes.len());
    event
        .encode_payload(&mut again)
        .map_err(|e| ReadableError::Custom(e.to_string()))?;
    if again != bytes {
        return Err(ReadableError::NotStoredBytes);
    }
    event_value(&event)
}

/// The readable form of an event's payload at its current schema version.
pub fn event_value(event: &Event) -> Result<Value, ReadableError> {
    match event {
        Event::CustomerRegistered(e) => to_value(e),
        Event::CustomerUpdated(e) => to_value(e),
        Event::CreditLimitSet(e) => to_value(e),
        Event::PaymentTermsSet(e) => to_value(e),
        Event::ProductRegistered(e) => to_value(e),
        Event::LotReleased(e) => to_value(e),
        Event::OrderPlaced(e) => to_value(e),
        Event::OrderHeld(e) => to_value(e),
        Event::OrderReleased(e) => to_value(e),
        Event::OrderRejected(e) => to_value(e),
        Event::OrderCancelled(e) => to_value(e),
        Event::OrderShipped(e) => to_value(e),
        Event::DeliveryAccepted(e) => to_value(e),
        Event::InvoiceIssued(e) => to_value(e),
        Event::CreditNoteIssued(e) => to_value(e),
        Event::PaymentReceived(e) => to_value(e),
        Event::PaymentAllocated(e) => to_value(e),
        Event::PaymentReversed(e) => to_value(e),
        Event::InvoiceWrittenOff(e) => to_value(e),
        Event::WriteOffRecovered(e) => to_value(e),
        Event::DisputeOpened(e) => to_value(e),
        Event::DisputeResolved(e) => to_value(e),
        Event::CollectionActivityRecorded(e) => to_value(e),
        Event::RecallIssued(e) => to_value(e),
        Event::RecallNoticeAcknowledged(e) => to_value(e),
        Event::RecallUnitsReturned(e) => to_value(e),
    }
}

/// Payloads stored at an old schema version, read with their own fields
/// (section 9 of `docs/canonical-encoding.md`): core only reads them
/// upcast to the current shape, which would show fields that are not in
/// the stored bytes.
mod old_versions {
    use arledger_core::domain::events::old::{
        DisputeOpenedV1, ProductRegisteredV1, RecallIssuedV1, RecallUnitsReturnedV1,
    };
    use bincode::Options;
    use serde::{Deserialize, Serialize};
    use serde_json::Value;

    use super::{ReadableError, to_value};

    /// `None` when `event_type` at `schema_version` is not an old version
    /// this module reads.
    pub(super) fn readable(
        event_type: &str,
        schema_version: u16,
        bytes: &[u8],
    ) -> Option<Result<Value, ReadableError>> {
        match (event_type, schema_version) {
            ("ProductRegistered", 1) => Some(strictly::<ProductRegisteredV1>(bytes)),
            ("DisputeOpened", 1) => Some(strictly::<DisputeOpenedV1>(bytes)),
            ("RecallIssued", 1) => Some(strictly::<RecallIssuedV1>(bytes)),
            ("RecallUnitsReturned", 1) => Some(strictly::<RecallUnitsReturnedV1>(bytes)),
            _ => None,
        }
    }

    /// Decodes as the log does (fixed-width integers, nothing after the
    /// payload), and checks the bytes encode back the same.
    fn strictly<T: Serialize + for<'de> Deserialize<'de>>(
        bytes: &[u8],
    ) -> Result<Value, ReadableError> {
        let options = bincode::DefaultOptions::new().with_fixint_encoding();
        let decoded: T = options
            .deserialize(bytes)
            .map_err(|e| ReadableError::Custom(format!("the payload does not decode: {e}")))?;
        match options.serialize(&decoded) {
            Ok(again) if again == bytes => to_value(&decoded),
            _ => Err(ReadableError::NotStoredBytes),
        }
    }
}

/// A decimal's 16 bytes (as a little-endian `u128`: flags word, then the
/// 96-bit mantissa) written exactly: sign, every digit of the mantissa,
/// the point `scale` digits from the right. `"-0.00"` stays negative.
fn decimal_text(n: u128) -> Result<String, ReadableError> {
    let bytes = n.to_le_bytes();
    let flags = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let scale = (flags >> 16) & 0xff;
    if flags & !0x80ff_0000 != 0 || scale > 28 {
        return Err(ReadableError::NotDecimal(n));
    }
    // At most 28: fits any usize.
    let scale = usize::try_from(scale).map_err(|_| ReadableError::NotDecimal(n))?;
    let digits = format!("{:0>width$}", n >> 32, width = scale + 1);
    let (whole, fraction) = digits.split_at(digits.len() - scale);
    let sign = if flags >> 31 == 1 { "-" } else { "" };
    Ok(if scale == 0 {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{fraction}")
    })
}

/// A day number (0001-01-01 is day 1) as `YYYY-MM-DD`.
fn date_text(days: i32) -> Result<String, ReadableError> {
    NaiveDate::from_num_days_from_ce_opt(days)
        .filter(|d| (1..=9999).contains(&d.year()))
        .map(|d| d.format("%Y-%m-%d").to_string())
        .ok_or(ReadableError::NotDate(days))
}

/// A currency's three bytes, given as the array its newtype serializes.
fn currency_text(value: Value) -> Result<String, ReadableError> {
    let bytes: Vec<u8> = match &value {
        Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_u64().and_then(|n| u8::try_from(n).ok()))
            .collect(),
        _ => Vec::new(),
    };
    let three_letters = bytes.len() == 3 && bytes.iter().all(u8::is_ascii_uppercase);
    match (three_letters, String::from_utf8(bytes.clone())) {
        (true, Ok(code)) => Ok(code),
        _ => Err(ReadableError::NotCurrency(bytes)),
    }
}

/// The serializer (see the module docs).
struct Readable;

type Refused = Impossible<Value, ReadableError>;

impl ser::Serializer for Readable {
    type Ok = Value;
    type Error = ReadableError;
    type SerializeSeq = Items;
    type SerializeTuple = Items;
    type SerializeTupleStruct = Items;
    type SerializeTupleVariant = Refused;
    type SerializeMap = Refused;
    type SerializeStruct = Fields;
    type SerializeStructVariant = Refused;

    /// Not human-readable: types serialize as into the stored payload
    /// (UUIDs as bytes, decimals as `u128`, dates as `i32`).
    fn is_human_readable(&self) -> bool {
        false
    }

    fn serialize_bool(self, v: bool) -> Result<Value, ReadableError> {
        Ok(Value::Bool(v))
    }

    fn serialize_i8(self, v: i8) -> Result<Value, ReadableError> {
        Ok(Value::from(v))
    }

    fn serialize_i16(self, v: i16) -> Result<Value, ReadableError> {
        Ok(Value::from(v))
    }

    /// Every `i32` in a payload is a date (`domain::date_serde`).
    fn serialize_i32(self, v: i32) -> Result<Value, ReadableError> {
        date_text(v).map(Value::String)
    }

    fn serialize_i64(self, v: i64) -> Result<Value, ReadableError> {
        Ok(Value::from(v))
    }

    fn serialize_i128(self, _: i128) -> Result<Value, ReadableError> {
        Err(ReadableError::Unsupported("an i128"))
    }

    fn serialize_u8(self, v: u8) -> Result<Value, ReadableError> {
        Ok(Value::from(v))
    }

    fn serialize_u16(self, v: u16) -> Result<Value, ReadableError> {
        Ok(Value::from(v))
    }

    fn serialize_u32(self, v: u32) -> Result<Value, ReadableError> {
        Ok(Value::from(v))
    }

    fn serialize_u64(self, v: u64) -> Result<Value, ReadableError> {
        Ok(Value::from(v))
    }

    /// Every `u128` in a payload is a decimal (`money::decimal_bytes`).
    fn serialize_u128(self, v: u128) -> Result<Value, ReadableError> {
        decimal_text(v).map(Value::String)
    }

    #[expect(
        clippy::disallowed_types,
        reason = "serde's Serializer trait has this method; it refuses floats"
    )]
    fn serialize_f32(self, _: f32) -> Result<Value, ReadableError> {
        Err(ReadableError::Unsupported("a float"))
    }

    #[expect(
        clippy::disallowed_types,
        reason = "serde's Serializer trait has this method; it refuses floats"
    )]
    fn serialize_f64(self, _: f64) -> Result<Value, ReadableError> {
        Err(ReadableError::Unsupported("a float"))
    }

    fn serialize_char(self, v: char) -> Result<Value, ReadableError> {
        Ok(Value::String(v.to_string()))
    }

    fn serialize_str(self, v: &str) -> Result<Value, ReadableError> {
        Ok(Value::String(v.to_string()))
    }

    /// The only byte strings in payloads are UUIDs' 16 bytes.
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, ReadableError> {
        match Uuid::from_slice(v) {
            Ok(id) => Ok(Value::String(id.hyphenated().to_string())),
            Err(_) => Err(ReadableError::Unsupported(
                "a byte string of other than 16 bytes",
            )),
        }
    }

    fn serialize_none(self) -> Result<Value, ReadableError> {
        Ok(Value::Null)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, ReadableError> {
        value.serialize(Readable)
    }

    fn serialize_unit(self) -> Result<Value, ReadableError> {
        Ok(Value::Null)
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<Value, ReadableError> {
        Ok(Value::Null)
    }

    /// Enums are stored by variant number; the readable form names it.
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Value, ReadableError> {
        Ok(Value::String(variant.to_string()))
    }

    /// Newtypes (ids, GTINs) are their inner value; a `Currency` is its code.
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Value, ReadableError> {
        let inner = value.serialize(Readable)?;
        if name == "Currency" {
            return currency_text(inner).map(Value::String);
        }
        Ok(inner)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Value, ReadableError> {
        Err(ReadableError::Unsupported("an enum variant with fields"))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Items, ReadableError> {
        Ok(Items(Vec::with_capacity(len.unwrap_or(0))))
    }

    fn serialize_tuple(self, len: usize) -> Result<Items, ReadableError> {
        Ok(Items(Vec::with_capacity(len)))
    }

    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Items, ReadableError> {
        Ok(Items(Vec::with_capacity(len)))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Refused, ReadableError> {
        Err(ReadableError::Unsupported("an enum variant with fields"))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Refused, ReadableError> {
        Err(ReadableError::Unsupported("a map"))
    }

    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Fields, ReadableError> {
        Ok(Fields(Map::with_capacity(len)))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Refused, ReadableError> {
        Err(ReadableError::Unsupported("an enum variant with fields"))
    }
}

/// A sequence or tuple being built: an array.
struct Items(Vec<Value>);

impl Items {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ReadableError> {
        self.0.push(value.serialize(Readable)?);
        Ok(())
    }
}

impl ser::SerializeSeq for Items {
    type Ok = Value;
    type Error = ReadableError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        self.push(value)
    }

    fn end(self) -> Result<Value, ReadableError> {
        Ok(Value::Array(self.0))
    }
}

impl ser::SerializeTuple for Items {
    type Ok = Value;
    type Error = ReadableError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        self.push(value)
    }

    fn end(self) -> Result<Value, ReadableError> {
        Ok(Value::Array(self.0))
    }
}

impl ser::SerializeTupleStruct for Items {
    type Ok = Value;
    type Error = ReadableError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        self.push(value)
    }

    fn end(self) -> Result<Value, ReadableError> {
        Ok(Value::Array(self.0))
    }
}

/// A struct being built: an object keeping the fields' order (serde_json's
/// `preserve_order`), the order the canonical bytes have them in.
struct Fields(Map<String, Value>);

impl ser::SerializeStruct for Fields {
    type Ok = Value;
    type Error = ReadableError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Self::Error> {
        self.0.insert(key.to_string(), value.serialize(Readable)?);
        Ok(())
    }

    fn end(self) -> Result<Value, ReadableError> {
        Ok(Value::Object(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_keep_their_scale_and_sign() {
        let cases: [(i64, u32, bool, &str); 6] = [
            (123_450, 2, false, "1234.50"),
            (123_450, 2, true, "-1234.50"),
            (0, 2, false, "0.00"),
            (0, 2, true, "-0.00"),
            (5, 3, false, "0.005"),
            (100, 0, false, "100"),
        ];
        for (mantissa, scale, negative, text) in cases {
            let mut d = rust_decimal::Decimal::new(mantissa, scale);
            d.set_sign_negative(negative);
            let n = u128::from_le_bytes(d.serialize());
            assert_eq!(decimal_text(n).unwrap(), text);
        }
        let max = u128::from_le_bytes(rust_decimal::Decimal::MAX.serialize());
        assert_eq!(
            decimal_text(max).unwrap(),
            rust_decimal::Decimal::MAX.to_string()
        );
        assert!(decimal_text(1).is_err(), "an unused flag bit");
        assert!(decimal_text(29 << 16).is_err(), "scale 29");
    }

    #[test]
    fn dates_are_day_numbers_from_0001_01_01() {
        assert_eq!(date_text(1).unwrap(), "0001-01-01");
        assert_eq!(date_text(739_653).unwrap(), "2026-02-06");
        assert_eq!(date_text(3_652_059).unwrap(), "9999-12-31");
        assert!(date_text(0).is_err());
        assert!(date_text(3_652_060).is_err());
    }

    #[test]
    fn shapes_without_a_rule_are_refused() {
        let map = std::collections::BTreeMap::from([(1u8, 2u8)]);
        assert!(matches!(to_value(&map), Err(ReadableError::Unsupported(_))));
        assert!(to_value(&[0u8; 3].as_slice()).is_ok(), "a sequence of u8");
        assert!(matches!(
            to_value(&Bytes(&[1, 2, 3])),
            Err(ReadableError::Unsupported(_))
        ));
        assert_eq!(
            to_value(&Bytes(Uuid::from_u128(1).as_bytes())).unwrap(),
            "00000000-0000-0000-0000-000000000001"
        );
    }

    /// Types that serialize otherwise for people (uuid, chrono) must
    /// serialize as into the stored payload.
    #[test]
    fn the_serializer_is_not_human_readable() {
        assert_eq!(to_value(&Probe).unwrap(), 0);
    }

    /// A string for people, a number otherwise.
    struct Probe;

    impl Serialize for Probe {
        fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            if s.is_human_readable() {
                s.serialize_str("for people")
            } else {
                s.serialize_u8(0)
            }
        }
    }

    /// Serialized as a byte string, as a UUID's 16 bytes are.
    struct Bytes<'a>(&'a [u8]);

    impl Serialize for Bytes<'_> {
        fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(self.0)
        }
    }
}
