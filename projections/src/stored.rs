//! How read models store their facts: bincode with variable-length
//! integers, decimals as mantissa and scale, nothing read beyond a record.

use bincode::Options;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A fact's stored bytes.
pub fn encode<T: Serialize>(fact: &T) -> Result<Vec<u8>, bincode::Error> {
    bincode::DefaultOptions::new().serialize(fact)
}

/// The fact stored as `bytes` (nothing may follow it, and nothing is read
/// beyond them however large a length they claim).
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, bincode::Error> {
    let limit = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    bincode::DefaultOptions::new()
        .with_limit(limit)
        .deserialize(bytes)
}

/// A decimal as its mantissa and scale: a few bytes in variable-length
/// integers, where core's fixed 16 bytes would double most facts.
pub mod compact_decimal {
    use rust_decimal::Decimal;
    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Writes `value`.
    pub fn serialize<S: Serializer>(value: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        (value.mantissa(), value.scale()).serialize(s)
    }

    /// Reads a decimal.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let (mantissa, scale) = <(i128, u32)>::deserialize(d)?;
        Decimal::try_from_i128_with_scale(mantissa, scale).map_err(D::Error::custom)
    }
}
