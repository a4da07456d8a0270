//! Checks of command input common to every rule (domain.md 1: money with
//! its currency's minor units, explicit business dates), and the limits on
//! input sizes and amounts that keep every sum and count far from overflow.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::domain::error::CommandError;
use crate::money::{Currency, Money};

/// Most lines on one order, shipment or invoice.
pub const LINES_MAX: usize = 1_000;
/// Longest free text (names, reasons, notes), in bytes.
pub const TEXT_LEN_MAX: usize = 1_000;
/// Most serials or UDIs on one shipment line.
pub const SERIALS_PER_LINE_MAX: usize = 10_000;
/// Largest quantity on one line.
pub const QUANTITY_MAX: i64 = 1_000_000_000;
/// Longest lot or serial number (GS1 AI 10 / AI 21 allow 20 characters).
pub const LOT_LEN_MAX: usize = 20;
/// Longest raw UDI string, in bytes (GS1 element strings are far shorter).
pub const UDI_LEN_MAX: usize = crate::udi::UDI_LEN_MAX;
/// Most serials and UDIs on one shipment, over all its lines.
pub const SERIALS_PER_SHIPMENT_MAX: usize = 100_000;
/// Largest amount, price or document total: 10^15 in the currency's units.
/// Keeping every amount far below `Decimal::MAX` (about 7.9 * 10^28) means
/// sums over any realistic number of documents cannot overflow.
pub const AMOUNT_MAX: Decimal = Decimal::from_parts(0xa4c6_8000, 0x0003_8d7e, 0, false, 0);
/// `AMOUNT_MAX` is 10 to this power.
const AMOUNT_MAX_DIGITS: u32 = 15;
/// Most allocations one auto-allocating payment makes; the rest of the
/// money stays on account.
pub const AUTO_ALLOCATIONS_MAX: usize = 999;

/// The first business date accepted: no receivable of a living business
/// is older.
pub const BUSINESS_DATE_MIN: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(date) => date,
    None => NaiveDate::MIN,
};
/// The last business date accepted: the last of ISO 8601's four-digit
/// years, which the API's `Date` can carry. Due dates computed from it
/// (at most `TERM_DAYS_MAX` later) stay well inside what dates can hold.
pub const BUSINESS_DATE_MAX: NaiveDate = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(date) => date,
    None => NaiveDate::MAX,
};

/// Whether a non-negative `amount` is above `AMOUNT_MAX`: its mantissa
/// against 10^(15 + scale), without rescaling.
fn above_amount_max(amount: Decimal) -> bool {
    // A limit beyond u128 is beyond any mantissa (at most 2^96) too.
    10u128
        .checked_pow(AMOUNT_MAX_DIGITS + amount.scale())
        .is_some_and(|limit| amount.mantissa().unsigned_abs() > limit)
}

/// Refuses a business date outside `BUSINESS_DATE_MIN..=BUSINESS_DATE_MAX`.
pub(super) fn business_date(field: &'static str, date: NaiveDate) -> Result<(), CommandError> {
    if (BUSINESS_DATE_MIN..=BUSINESS_DATE_MAX).contains(&date) {
        return Ok(());
    }
    Err(CommandError::invalid(
        field,
        format!(
            "{date} is outside the business dates accepted, {BUSINESS_DATE_MIN} to {BUSINESS_DATE_MAX}"
        ),
    ))
}

/// Which amounts a field accepts.
pub(super) enum Sign {
    /// Above zero (payments, allocations, credits).
    Positive,
    /// Zero or above (limits, prices, invoice lines).
    NonNegative,
}

/// A currency code, parsed.
pub(super) fn currency(code: &str) -> Result<Currency, CommandError> {
    Ok(Currency::parse(code)?)
}

/// An amount of a command, checked (sign, `AMOUNT_MAX`, the currency's
/// minor units) and in its one encoding ([`Money::canonical`]), which is
/// what goes into events.
pub(super) fn amount(
    field: &str,
    amount: Decimal,
    currency: Currency,
    sign: Sign,
) -> Result<Money, CommandError> {
    // Every amount passes here: plain sign and mantissa checks instead of
    // Decimal comparisons, which rescale.
    let ok = match sign {
        Sign::Positive => amount.is_sign_positive() && !amount.is_zero(),
        Sign::NonNegative => amount.is_sign_positive() || amount.is_zero(),
    };
    if ok && above_amount_max(amount) {
        return Err(CommandError::invalid(
            field,
            format!("{amount} {currency} exceeds the largest amount arledger takes, {AMOUNT_MAX}"),
        ));
    }
    if !ok {
        let rule = match sign {
            Sign::Positive => "must be greater than zero",
            Sign::NonNegative => "must not be negative",
        };
        return Err(CommandError::invalid(
            field,
            format!("{amount} {currency} {rule}"),
        ));
    }
    Money::canonical(amount, currency).map_err(|e| CommandError::invalid(field, e.to_string()))
}

/// An amount the rules computed from amounts in the write model or the
/// command (exposure, the credit limit, an invoice total, an
/// auto-allocation), in its one encoding.
///
/// # Panics
///
/// If it is not money in `currency`: sums and differences of checked
/// amounts always are, so the write model would be broken.
pub(super) fn computed(what: &str, amount: Decimal, currency: Currency) -> Money {
    Money::canonical(amount, currency)
        .unwrap_or_else(|e| panic!("the {what} computed, {amount} {currency}, is not money: {e}"))
}

/// A quantity of units, 1 to `QUANTITY_MAX`.
pub(super) fn quantity(field: &str, quantity: i64) -> Result<u64, CommandError> {
    if quantity <= 0 || quantity > QUANTITY_MAX {
        return Err(CommandError::invalid(
            field,
            format!("quantity {quantity} must be between 1 and {QUANTITY_MAX}"),
        ));
    }
    u64::try_from(quantity).map_err(|_| CommandError::invalid(field, "quantity out of range"))
}

/// Non-empty text of at most `TEXT_LEN_MAX` bytes.
pub(super) fn text(field: &str, value: &str) -> Result<(), CommandError> {
    if value.trim().is_empty() {
        return Err(CommandError::invalid(field, "must not be empty"));
    }
    text_len(field, value)
}

/// Free text may be empty but not longer than `TEXT_LEN_MAX`.
pub(super) fn text_len(field: &str, value: &str) -> Result<(), CommandError> {
    if value.len() > TEXT_LEN_MAX {
        return Err(CommandError::invalid(
            field,
            format!("at most {TEXT_LEN_MAX} bytes, got {}", value.len()),
        ));
    }
    Ok(())
}

/// Optional free text, when given, as [`text_len`].
pub(super) fn opt_text(field: &str, value: &Option<String>) -> Result<(), CommandError> {
    value.as_deref().map_or(Ok(()), |v| text_len(field, v))
}

/// A lot or serial number: 1 to `LOT_LEN_MAX` printable ASCII characters.
pub(super) fn lot_text(field: &str, value: &str) -> Result<(), CommandError> {
    if value.is_empty() || value.len() > LOT_LEN_MAX {
        return Err(CommandError::invalid(
            field,
            format!("{value:?} must be 1 to {LOT_LEN_MAX} characters (GS1 AI 10/21)"),
        ));
    }
    if !value.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(CommandError::invalid(
            field,
            format!("{value:?} may hold printable ASCII only"),
        ));
    }
    Ok(())
}

/// A document's number of lines, 1 to `LINES_MAX`.
pub(super) fn lines_count(field: &str, n: usize) -> Result<(), CommandError> {
    if n == 0 || n > LINES_MAX {
        return Err(CommandError::invalid(
            field,
            format!("need 1 to {LINES_MAX} lines, got {n}"),
        ));
    }
    Ok(())
}

/// What is left of `total` units once `taken` are gone (ordered minus
/// shipped, shipped minus invoiced, released minus shipped).
///
/// # Panics
///
/// If more were taken than there are: `apply` refuses every event that
/// would make it so, so the write model would be broken.
pub(super) fn units_left(what: &str, total: u64, taken: u64) -> u64 {
    let Some(left) = total.checked_sub(taken) else {
        panic!("{what}: {taken} units taken of {total}");
    };
    left
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn amount_max_is_ten_to_its_digits() {
        assert_eq!(AMOUNT_MAX, Decimal::from(10i64.pow(AMOUNT_MAX_DIGITS)));
    }

    /// The mantissa check agrees with Decimal's own comparison at every
    /// scale, on both sides of the limit and at the extremes.
    #[test]
    fn the_amount_cap_check_agrees_with_decimal_comparison() {
        let mantissa_max = (1i128 << 96) - 1;
        for scale in 0..=28u32 {
            let mut mantissas = vec![0, 1, 7, mantissa_max, mantissa_max - 1];
            if let Some(limit) = 10i128.checked_pow(AMOUNT_MAX_DIGITS + scale) {
                mantissas.extend([limit - 1, limit, limit + 1]);
                mantissas.extend(limit.checked_mul(2).and_then(|m| m.checked_add(3)));
            }
            for m in mantissas
                .into_iter()
                .filter(|m| (0..=mantissa_max).contains(m))
            {
                let amount = Decimal::from_i128_with_scale(m, scale);
                assert_eq!(
                    above_amount_max(amount),
                    amount > AMOUNT_MAX,
                    "{amount} (mantissa {m}, scale {scale})"
                );
            }
        }
    }

    #[test]
    fn an_amount_of_a_command_comes_out_at_the_currency_scale() {
        let kwd = Currency::parse("KWD").unwrap();
        for (given, currency, expected) in [
            (dec!(100), Currency::USD, "100.00"),
            (dec!(100.0), Currency::USD, "100.00"),
            (dec!(5), Currency::JPY, "5"),
            (dec!(5.00), Currency::JPY, "5"),
            (dec!(2), kwd, "2.000"),
            (-dec!(0.0), Currency::USD, "0.00"),
        ] {
            let money = amount("amount", given, currency, Sign::NonNegative).unwrap();
            assert_eq!(money.amount.to_string(), expected, "{given} {currency}");
            assert!(money.amount.is_sign_positive(), "{given} {currency}");
        }
    }

    #[test]
    #[should_panic(expected = "is not money")]
    fn a_computed_amount_that_is_not_money_stops_loudly() {
        computed("exposure", dec!(0.001), Currency::USD);
    }

    #[test]
    #[should_panic(expected = "units taken")]
    fn more_units_taken_than_there_are_stops_loudly() {
        units_left("order line 1", 2, 3);
    }
}
