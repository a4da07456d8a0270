//! How reports write the GraphQL contract's scalars: amounts as decimal
//! strings at their currency's scale, positions as strings, currencies by
//! code. Shared by every read model's report.

use arledger_core::money::Currency;
use rust_decimal::Decimal;
use serde::Serializer;

/// An amount at `currency`'s scale and without a negative zero: the same
/// amount always prints the same.
pub fn at_scale(amount: Decimal, currency: Currency) -> Decimal {
    let mut amount = amount;
    amount.rescale(currency.minor_units());
    if amount.is_zero() {
        amount.set_sign_positive(true);
    }
    amount
}

/// A position (u64) as a string: JSON numbers lose precision above 2^53.
pub fn as_string<S: Serializer>(value: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

/// A currency by its ISO 4217 code.
pub fn currency_code<S: Serializer>(currency: &Currency, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(currency.code())
}

/// A decimal as a string.
pub fn decimal<S: Serializer>(value: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

/// A decimal as a string, or null.
pub fn optional_decimal<S: Serializer>(value: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

/// Decimals as strings.
pub fn decimals<S: Serializer>(values: &[Decimal], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(values.iter().map(ToString::to_string))
}
