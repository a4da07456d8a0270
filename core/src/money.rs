//! Money: a `Decimal` amount with an ISO 4217 currency. Never a float.
//!
//! An amount must fit its currency's minor units exactly; more decimals are
//! refused, never rounded. Sums across currencies are refused too.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Errors of money arithmetic and parsing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The code is not an ISO 4217 currency arledger knows.
    #[error("unknown currency {0:?}: use an ISO 4217 code such as CNY, USD, EUR or JPY")]
    UnknownCurrency(String),
    /// The amount has more decimals than the currency's minor units.
    #[error(
        "{amount} has more than {minor_units} decimals, which {currency} allows; amounts are never rounded"
    )]
    TooManyDecimals {
        /// The refused amount.
        amount: Decimal,
        /// Its currency.
        currency: Currency,
        /// Decimals the currency allows.
        minor_units: u32,
    },
    /// Two amounts in different currencies were combined.
    #[error("cannot combine {left} with {right}: amounts in different currencies are never added")]
    CurrencyMismatch {
        /// Currency of the left operand.
        left: Currency,
        /// Currency of the right operand.
        right: Currency,
    },
    /// The result does not fit a Decimal.
    #[error("amount overflow")]
    Overflow,
}

/// ISO 4217 currencies with their minor units, sorted by code (looked up by
/// binary search). A closed list: an unknown code is an input error, not a
/// guess.
const CURRENCIES: &[(&str, u32)] = &[
    ("AED", 2),
    ("AUD", 2),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CNY", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("JPY", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("MXN", 2),
    ("MYR", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("PHP", 2),
    ("PLN", 2),
    ("SAR", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("THB", 2),
    ("TRY", 2),
    ("TWD", 2),
    ("USD", 2),
    ("VND", 0),
    ("ZAR", 2),
];

/// A code's three bytes as one number (big-endian), for comparing codes.
const fn code_key(code: &[u8]) -> u32 {
    (code[0] as u32) << 16 | (code[1] as u32) << 8 | code[2] as u32
}

/// The codes of `CURRENCIES` as numbers, in the same (sorted) order:
/// looked up for every command's currency and every stored amount.
const CURRENCY_KEYS: [u32; CURRENCIES.len()] = {
    let mut keys = [0; CURRENCIES.len()];
    let mut i = 0;
    while i < CURRENCIES.len() {
        keys[i] = code_key(CURRENCIES[i].0.as_bytes());
        i += 1;
    }
    keys
};

/// An ISO 4217 currency code, validated against arledger's list (also when
/// read back from stored bytes: three bytes that are not a listed code are
/// an error, not a currency).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "[u8; 3]")]
pub struct Currency([u8; 3]);

impl TryFrom<[u8; 3]> for Currency {
    type Error = MoneyError;

    fn try_from(bytes: [u8; 3]) -> Result<Currency, MoneyError> {
        Currency::listed(bytes)
            .ok_or_else(|| MoneyError::UnknownCurrency(String::from_utf8_lossy(&bytes).into()))
    }
}

impl Currency {
    /// Chinese yuan.
    pub const CNY: Currency = Currency(*b"CNY");
    /// US dollar.
    pub const USD: Currency = Currency(*b"USD");
    /// Euro.
    pub const EUR: Currency = Currency(*b"EUR");
    /// Japanese yen (no minor units).
    pub const JPY: Currency = Currency(*b"JPY");

    /// Parses an ISO 4217 code (upper case, three letters).
    pub fn parse(code: &str) -> Result<Currency, MoneyError> {
        <[u8; 3]>::try_from(code.as_bytes())
            .ok()
            .and_then(Currency::listed)
            .ok_or_else(|| MoneyError::UnknownCurrency(code.to_string()))
    }

    /// The currency of these three bytes, if listed.
    fn listed(bytes: [u8; 3]) -> Option<Currency> {
        CURRENCY_KEYS
            .binary_search(&code_key(&bytes))
            .ok()
            .map(|_| Currency(bytes))
    }

    /// The code as text.
    pub fn code(&self) -> &str {
        // Only `listed` and the constants above make a currency: its bytes
        // are always one of the ASCII codes of `CURRENCIES`.
        match std::str::from_utf8(&self.0) {
            Ok(code) => code,
            Err(_) => unreachable!("currency bytes {:?} are not a listed code", self.0),
        }
    }

    /// Decimals this currency's amounts may carry.
    pub fn minor_units(&self) -> u32 {
        // Asked for every amount checked: a match, kept equal to CURRENCIES
        // by a test, instead of a search.
        match &self.0 {
            b"JPY" | b"KRW" | b"VND" => 0,
            b"KWD" => 3,
            _ => 2,
        }
    }

    /// Checks that `amount` has no more decimals than this currency allows
    /// (trailing zeros do not count: 10.500 USD is fine).
    pub fn check_amount(&self, amount: Decimal) -> Result<(), MoneyError> {
        let minor_units = self.minor_units();
        if amount.scale() > minor_units && amount.normalize().scale() > minor_units {
            return Err(MoneyError::TooManyDecimals {
                amount,
                currency: *self,
                minor_units,
            });
        }
        Ok(())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::parse(s)
    }
}

/// An amount in a currency, exact to the currency's minor unit.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// The amount; its scale never exceeds the currency's minor units.
    #[serde(with = "decimal_bytes")]
    pub amount: Decimal,
    /// The currency.
    pub currency: Currency,
}

impl Money {
    /// Builds money, refusing amounts with too many decimals.
    pub fn new(amount: Decimal, currency: Currency) -> Result<Money, MoneyError> {
        currency.check_amount(amount)?;
        Ok(Money { amount, currency })
    }

    /// Money in its one encoding, the form every amount a command puts into
    /// an event takes: rescaled to the currency's minor units (100, 100.0
    /// and 100.00 USD all become 100.00; 5 JPY stays 5; KWD has 3), and a
    /// zero is never negative (-0 becomes 0.00). Amounts with more decimals
    /// than the currency allows are refused, never rounded, as by
    /// [`Money::new`].
    ///
    /// Decimal comparison ignores the scale, but the stored bytes and so
    /// the hash chain do not: without this, one amount could be recorded
    /// in several encodings depending on how a client typed it.
    pub fn canonical(amount: Decimal, currency: Currency) -> Result<Money, MoneyError> {
        let minor_units = currency.minor_units();
        // Most amounts arrive at their currency's scale already: they are
        // their own encoding unless they are a negative zero (every amount
        // of every command passes here; measured with `arledger-benches
        // domain`, the slow path alone cost about 40 ns a command).
        if amount.scale() == minor_units && !(amount.is_zero() && amount.is_sign_negative()) {
            return Ok(Money { amount, currency });
        }
        currency.check_amount(amount)?;
        let mut canonical = amount;
        canonical.rescale(minor_units);
        // `rescale` rounds when it lowers the scale (`check_amount` left
        // only zeros to drop) and stops short when raising it would
        // overflow the mantissa: only a full, exact rescale is the encoding.
        if canonical.scale() != minor_units || canonical != amount {
            return Err(MoneyError::Overflow);
        }
        // A negative zero (a client's "-0") keeps its sign through
        // `rescale`; it is the same amount as zero and gets its encoding.
        if canonical.is_zero() {
            canonical.set_sign_positive(true);
        }
        Ok(Money {
            amount: canonical,
            currency,
        })
    }

    /// Zero in `currency`, in its one encoding (0.00 USD, 0 JPY).
    pub fn zero(currency: Currency) -> Money {
        Money {
            amount: Decimal::new(0, currency.minor_units()),
            currency,
        }
    }

    /// `self + other`, refusing a currency mismatch.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let amount = self
            .amount
            .checked_add(other.amount)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money { amount, ..self })
    }

    /// `self - other`, refusing a currency mismatch.
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let amount = self
            .amount
            .checked_sub(other.amount)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money { amount, ..self })
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch {
                left: self.currency,
                right: other.currency,
            });
        }
        Ok(())
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Decimals in stored payloads: rust_decimal's documented, stable 16-byte
/// form (`Decimal::serialize`: flags, then the 96-bit mantissa, little
/// endian), which bincode writes as 16 plain bytes. A decimal string would
/// have to be formatted on every append and parsed on every rebuild.
///
/// The bytes travel as one little-endian `u128`: bincode's legacy
/// fixed-width options (the ones the log uses; varint options would not)
/// write exactly the same 16 bytes as for `[u8; 16]`, but read them in one
/// step instead of sixteen (measured with the `domain` benchmark: payload
/// decoding 2.9 M → 6.2 M events/s, encoding 13 M → 39 M).
pub mod decimal_bytes {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the 16-byte form.
    pub fn serialize<S: Serializer>(value: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u128(u128::from_le_bytes(value.serialize()))
    }

    /// Reads the 16-byte form, refusing bytes rust_decimal would silently
    /// change (flag bits it does not use, a scale above 28).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let bytes = u128::deserialize(d)?.to_le_bytes();
        let flags = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        let scale = (flags >> 16) & 0xff;
        if flags & !0x80ff_0000 != 0 || scale > 28 {
            return Err(serde::de::Error::custom(format!(
                "not a decimal: flags {flags:#010x}"
            )));
        }
        Ok(Decimal::deserialize(bytes))
    }
}

/// Splits `total` into shares given in percent (summing to 100), each rounded
/// down (toward zero) to the currency's minor unit; the rounding difference
/// goes to the last share, so the parts always sum to `total` exactly. Every
/// part is in its one encoding ([`Money::canonical`]).
///
/// # Panics
///
/// If `total` has more decimals than its currency allows (no [`Money`]
/// built by [`Money::new`] or [`Money::canonical`] has): its last part
/// could not be money either.
pub fn split_by_percent(total: Money, shares_percent: &[Decimal]) -> Vec<Money> {
    let units = total.currency.minor_units();
    let hundred = Decimal::ONE_HUNDRED;
    let mut parts = Vec::with_capacity(shares_percent.len());
    let mut allotted = Decimal::ZERO;
    for (i, share) in shares_percent.iter().enumerate() {
        let amount = if i + 1 == shares_percent.len() {
            total.amount - allotted
        } else {
            (total.amount * *share / hundred)
                .round_dp_with_strategy(units, rust_decimal::RoundingStrategy::ToZero)
        };
        allotted += amount;
        let part = Money::canonical(amount, total.currency)
            .unwrap_or_else(|e| panic!("a share of {total} is not money: {e}"));
        parts.push(part);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn an_amount_with_more_decimals_than_its_currency_is_refused() {
        assert!(Money::new(dec!(1.005), Currency::USD).is_err());
        assert!(Money::new(dec!(1.5), Currency::JPY).is_err());
        assert!(Money::new(dec!(1.50), Currency::USD).is_ok());
        assert!(Money::new(dec!(100.000), Currency::JPY).is_ok());
    }

    #[test]
    fn unknown_currencies_are_refused() {
        assert_eq!(
            Currency::parse("XXY"),
            Err(MoneyError::UnknownCurrency("XXY".into()))
        );
        assert_eq!(Currency::parse("CNY"), Ok(Currency::CNY));
    }

    /// Lookups are binary searches: the list must stay sorted, and every
    /// code must find itself and its own minor units.
    #[test]
    fn every_listed_currency_parses_to_itself_with_its_minor_units() {
        assert!(CURRENCIES.windows(2).all(|w| w[0].0 < w[1].0));
        for (code, units) in CURRENCIES {
            let currency = Currency::parse(code).unwrap();
            assert_eq!(currency.code(), *code);
            assert_eq!(currency.minor_units(), *units, "{code}");
        }
        assert_eq!(Currency::JPY.minor_units(), 0);
        for code in ["", "AAA", "ZZZ", "usd", "USDX", "KWE"] {
            assert!(Currency::parse(code).is_err(), "{code}");
        }
    }

    #[test]
    fn adding_different_currencies_is_an_error() {
        let a = Money::new(dec!(1), Currency::USD).unwrap();
        let b = Money::new(dec!(1), Currency::EUR).unwrap();
        assert!(matches!(
            a.checked_add(b),
            Err(MoneyError::CurrencyMismatch { .. })
        ));
    }

    #[test]
    fn canonical_money_has_the_currency_scale_whatever_scale_it_was_given() {
        let encodings = |amount, currency| {
            let money = Money::canonical(amount, currency).unwrap();
            (money.amount.to_string(), money.amount.serialize())
        };
        for amount in [dec!(100), dec!(100.0), dec!(100.00), dec!(100.000)] {
            assert_eq!(
                encodings(amount, Currency::USD),
                encodings(dec!(100.00), Currency::USD)
            );
            assert_eq!(encodings(amount, Currency::USD).0, "100.00");
        }
        assert_eq!(encodings(dec!(5), Currency::JPY).0, "5");
        assert_eq!(encodings(dec!(5.000), Currency::JPY).0, "5");
        let kwd = Currency::parse("KWD").unwrap();
        assert_eq!(encodings(dec!(1.5), kwd).0, "1.500");
    }

    #[test]
    fn canonical_money_turns_a_negative_zero_into_zero_at_the_currency_scale() {
        let negative_zero = -dec!(0.0);
        assert!(negative_zero.is_sign_negative());
        let zero = Money::canonical(negative_zero, Currency::USD).unwrap();
        assert!(zero.amount.is_sign_positive());
        assert_eq!(zero.amount.serialize(), dec!(0.00).serialize());
        assert_eq!(
            Money::zero(Currency::USD).amount.serialize(),
            dec!(0.00).serialize()
        );
    }

    #[test]
    fn canonical_money_refuses_what_it_cannot_encode_exactly() {
        assert!(matches!(
            Money::canonical(dec!(1.005), Currency::USD),
            Err(MoneyError::TooManyDecimals { .. })
        ));
        // Raising the scale of the largest decimals would overflow.
        assert_eq!(
            Money::canonical(Decimal::MAX, Currency::USD),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn percent_split_parts_are_at_the_currency_scale() {
        // Money::new keeps the scale it is given: 100, not 100.00.
        let total = Money::new(dec!(100), Currency::USD).unwrap();
        let parts = split_by_percent(total, &[dec!(50), dec!(25), dec!(25)]);
        for part in parts {
            assert_eq!(part.amount.scale(), 2, "{part}");
        }
    }

    #[test]
    fn percent_split_gives_the_rounding_difference_to_the_last_share() {
        let total = Money::new(dec!(100.00), Currency::USD).unwrap();
        let parts = split_by_percent(total, &[dec!(33.33), dec!(33.33), dec!(33.34)]);
        let amounts: Vec<_> = parts.iter().map(|m| m.amount).collect();
        assert_eq!(amounts, vec![dec!(33.33), dec!(33.33), dec!(33.34)]);
        let total = Money::new(dec!(10.00), Currency::USD).unwrap();
        let parts = split_by_percent(total, &[dec!(33.333), dec!(33.333), dec!(33.334)]);
        let amounts: Vec<_> = parts.iter().map(|m| m.amount).collect();
        assert_eq!(amounts, vec![dec!(3.33), dec!(3.33), dec!(3.34)]);
    }
}
