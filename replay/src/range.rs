//! The positions an auditor's command covers: `--from` and `--to`, checked
//! against the log's head.

use std::ops::RangeInclusive;

/// Positions asked for; either end may be left open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PositionRange {
    /// First position (1 when absent).
    pub from: Option<u64>,
    /// Last position (the head when absent).
    pub to: Option<u64>,
}

/// Why a range cannot be served.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    /// Positions start at 1.
    #[error("positions start at 1; --from 0 names none")]
    FromZero,
    /// `from` after `to`.
    #[error("--from {from} is after --to {to}")]
    Reversed {
        /// Asked first position.
        from: u64,
        /// Asked last position.
        to: u64,
    },
    /// A position past the head was asked for: refused rather than
    /// shortened, so that a range reported as checked is the one asked.
    #[error("position {asked} is past the end of the log, at position {head}")]
    PastHead {
        /// The position asked.
        asked: u64,
        /// The log's head.
        head: u64,
    },
}

impl PositionRange {
    /// The positions to cover in a log whose head is `head`: `None` when
    /// the log is empty and no end was given.
    pub fn resolve(&self, head: u64) -> Result<Option<RangeInclusive<u64>>, RangeError> {
        if self.from == Some(0) {
            return Err(RangeError::FromZero);
        }
        if let (Some(from), Some(to)) = (self.from, self.to)
            && from > to
        {
            return Err(RangeError::Reversed { from, to });
        }
        for asked in [self.from, self.to].into_iter().flatten() {
            if asked > head {
                return Err(RangeError::PastHead { asked, head });
            }
        }
        if head == 0 {
            return Ok(None);
        }
        Ok(Some(self.from.unwrap_or(1)..=self.to.unwrap_or(head)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(from: Option<u64>, to: Option<u64>) -> PositionRange {
        PositionRange { from, to }
    }

    #[test]
    fn open_ends_are_the_first_position_and_the_head() {
        assert_eq!(range(None, None).resolve(9), Ok(Some(1..=9)));
        assert_eq!(range(Some(3), None).resolve(9), Ok(Some(3..=9)));
        assert_eq!(range(None, Some(4)).resolve(9), Ok(Some(1..=4)));
        assert_eq!(range(Some(9), Some(9)).resolve(9), Ok(Some(9..=9)));
        assert_eq!(range(None, None).resolve(0), Ok(None));
    }

    #[test]
    fn ranges_naming_no_stored_position_are_refused() {
        assert_eq!(range(Some(0), None).resolve(9), Err(RangeError::FromZero));
        assert_eq!(
            range(Some(5), Some(4)).resolve(9),
            Err(RangeError::Reversed { from: 5, to: 4 })
        );
        assert_eq!(
            range(None, Some(10)).resolve(9),
            Err(RangeError::PastHead { asked: 10, head: 9 })
        );
        assert_eq!(
            range(Some(1), None).resolve(0),
            Err(RangeError::PastHead { asked: 1, head: 0 })
        );
    }
}
