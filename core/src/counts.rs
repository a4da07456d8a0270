//! Counts and lengths between integer widths. Each conversion here cannot
//! fail for the values arledger keeps within its limits (and `usize` has
//! at most 64 bits on every platform it builds for); if one did, a count
//! would be wrong, so it stops loudly instead of saturating to a made-up
//! value.

/// A length or count as a `u64`.
pub(crate) fn len_u64(n: usize) -> u64 {
    match u64::try_from(n) {
        Ok(n) => n,
        Err(_) => panic!("a length of {n} does not fit 64 bits"),
    }
}

/// A length or count that a format stores in 32 bits; `what` names it in
/// the panic. Callers keep it within `u32` by their own limits.
pub(crate) fn len_u32(n: usize, what: &str) -> u32 {
    match u32::try_from(n) {
        Ok(n) => n,
        Err(_) => panic!("{what} of {n} does not fit the 32 bits stored"),
    }
}

/// A count already bounded by a `usize` limit, as a `usize`.
pub(crate) fn to_usize(n: u64) -> usize {
    match usize::try_from(n) {
        Ok(n) => n,
        Err(_) => panic!("a count of {n} does not fit this platform's usize"),
    }
}
