//! Aging buckets (read-models.md "Aging" and the contract's comment on
//! `AgingBucket`): inclusive day ranges from the query's upper bounds.
//! Due-date basis with [30, 60, 90, 120]: "not due" (up to 0 days overdue,
//! or due date unknown), 1-30, 31-60, 61-90, 91-120, 121+. Invoice-date
//! basis: 0-30, 31-60, 61-90, 91-120, 121+.

use chrono::NaiveDate;

use super::query::{AgingBasis, AgingError, check_bucket_days};
use super::report::AgingBucket;

/// The buckets of one query.
#[derive(Clone, Copy, Debug)]
pub(super) struct Buckets<'a> {
    basis: AgingBasis,
    bounds: &'a [u32],
}

impl<'a> Buckets<'a> {
    /// The buckets of `basis` and `bounds`, once the bounds are checked.
    pub fn new(basis: AgingBasis, bounds: &'a [u32]) -> Result<Buckets<'a>, AgingError> {
        check_bucket_days(bounds)?;
        Ok(Buckets { basis, bounds })
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        match self.basis {
            AgingBasis::DueDate => self.bounds.len() + 2,
            AgingBasis::InvoiceDate => self.bounds.len() + 1,
        }
    }

    /// Labels and ranges, in order.
    pub fn describe(&self) -> Vec<AgingBucket> {
        let mut buckets = Vec::with_capacity(self.len());
        let mut from = match self.basis {
            AgingBasis::DueDate => {
                buckets.push(AgingBucket {
                    label: "not due".into(),
                    from_days: None,
                    to_days: Some(0),
                });
                1
            }
            AgingBasis::InvoiceDate => 0,
        };
        for &bound in self.bounds {
            let to = i64::from(bound);
            buckets.push(AgingBucket {
                label: format!("{from}-{to}"),
                from_days: Some(from),
                to_days: Some(to),
            });
            from = to + 1;
        }
        buckets.push(AgingBucket {
            label: format!("{from}+"),
            from_days: Some(from),
            to_days: None,
        });
        buckets
    }

    /// An item's days at `as_of`: overdue (none while its due date is
    /// unknown) or age, per basis.
    pub fn days(
        &self,
        as_of: NaiveDate,
        invoice_date: NaiveDate,
        due: Option<NaiveDate>,
    ) -> Option<i64> {
        match self.basis {
            AgingBasis::DueDate => due.map(|due| (as_of - due).num_days()),
            AgingBasis::InvoiceDate => Some((as_of - invoice_date).num_days()),
        }
    }

    /// The bucket of an item with these `days`.
    pub fn of(&self, days: Option<i64>) -> usize {
        let beyond = |d: i64| self.bounds.partition_point(|&b| i64::from(b) < d);
        match (self.basis, days) {
            (AgingBasis::DueDate, Some(d)) if d > 0 => 1 + beyond(d),
            (AgingBasis::DueDate, _) => 0,
            (AgingBasis::InvoiceDate, d) => beyond(d.unwrap_or(0)),
        }
    }
}
