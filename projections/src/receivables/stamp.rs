//! When a fact holds, on the two clocks of read-models.md "Time travel":
//! the business date it takes effect and the log position that recorded it.

use chrono::NaiveDate;

/// The point a query asks about: business date D as known at log position p.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct At {
    /// D: documents dated after it do not exist, ages are measured to it.
    pub date: NaiveDate,
    /// p: facts recorded after it do not exist.
    pub position: u64,
}

/// A fact's two clocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Stamp {
    /// The business date it takes effect.
    pub date: NaiveDate,
    /// The log position of the event it comes from.
    pub position: u64,
}

impl Stamp {
    /// Whether the fact exists at `at`: recorded at or before p and
    /// effective on or before D.
    pub fn holds_at(self, at: At) -> bool {
        self.position <= at.position && self.date <= at.date
    }

    /// The later of two stamps on each clock: a set of facts all hold at
    /// `at` exactly when this holds at `at`.
    pub fn latest(self, other: Stamp) -> Stamp {
        Stamp {
            date: self.date.max(other.date),
            position: self.position.max(other.position),
        }
    }
}
