//! Payment terms and the installment schedule they produce (domain.md 5).

use chrono::{Datelike, Days, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::error::CommandError;
use crate::money::{Money, split_by_percent};

/// Upper bound on installments per invoice.
pub const INSTALLMENTS_MAX: usize = 60;
/// Upper bound on days in one term.
pub const TERM_DAYS_MAX: u32 = 3650;

/// What an installment's days count from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TermsBase {
    /// The invoice date.
    Invoice,
    /// The (latest) ship date of the goods invoiced.
    Shipment,
    /// The customer's (latest) delivery acceptance of the goods invoiced.
    Acceptance,
    /// The last day of the invoice date's month.
    EndOfMonth,
}

/// One installment's share and timing.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InstallmentTerms {
    /// Share of the invoice total, in percent.
    #[serde(with = "crate::money::decimal_bytes")]
    pub share_percent: Decimal,
    /// Days after the base date.
    pub days: u32,
    /// The base date.
    pub base: TermsBase,
}

/// Payment terms: installments whose shares sum to exactly 100.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PaymentTerms {
    /// Installments, in order.
    pub installments: Vec<InstallmentTerms>,
}

impl PaymentTerms {
    /// A single installment: `days` after `base` (net 30 is `single(30, Invoice)`).
    pub fn single(days: u32, base: TermsBase) -> PaymentTerms {
        PaymentTerms {
            installments: vec![InstallmentTerms {
                share_percent: Decimal::ONE_HUNDRED,
                days,
                base,
            }],
        }
    }

    /// The terms in their one encoding: every share normalised
    /// (`Decimal::normalize`: no trailing zeros, no negative zero), so
    /// that 50, 50.0 and 50.00 percent are stored alike.
    pub fn canonical(&self) -> PaymentTerms {
        PaymentTerms {
            installments: self
                .installments
                .iter()
                .map(|i| InstallmentTerms {
                    share_percent: i.share_percent.normalize(),
                    ..i.clone()
                })
                .collect(),
        }
    }

    /// Checks the terms: 1..=60 installments, each share > 0, shares summing to exactly 100.
    pub fn validate(&self) -> Result<(), CommandError> {
        let n = self.installments.len();
        if n == 0 || n > INSTALLMENTS_MAX {
            return Err(CommandError::invalid(
                "terms",
                format!("terms need 1 to {INSTALLMENTS_MAX} installments, got {n}"),
            ));
        }
        let mut sum = Decimal::ZERO;
        for (i, inst) in self.installments.iter().enumerate() {
            if inst.share_percent <= Decimal::ZERO || inst.share_percent > Decimal::ONE_HUNDRED {
                return Err(CommandError::invalid(
                    "terms",
                    format!(
                        "installment {} has share {}%; each share must be above 0% and at most 100%",
                        i + 1,
                        inst.share_percent
                    ),
                ));
            }
            if inst.days > TERM_DAYS_MAX {
                return Err(CommandError::invalid(
                    "terms",
                    format!(
                        "installment {} is {} days out; at most {TERM_DAYS_MAX}",
                        i + 1,
                        inst.days
                    ),
                ));
            }
            sum += inst.share_percent;
        }
        if sum != Decimal::ONE_HUNDRED {
            return Err(CommandError::invalid(
                "terms",
                format!("installment shares sum to {sum}%; they must sum to exactly 100%"),
            ));
        }
        Ok(())
    }
}

/// One receivable item of an invoice.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Installment {
    /// 1-based number.
    pub no: u32,
    /// Amount (shares rounded down; the rest on the last installment).
    pub amount: Money,
    /// The terms that decide its due date.
    pub terms: InstallmentTerms,
    /// Due date, when known; `None` while awaiting delivery acceptance.
    #[serde(with = "super::date_serde::option")]
    pub due_on: Option<NaiveDate>,
}

/// The dates a schedule's due dates count from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BaseDates {
    /// Invoice date.
    pub invoice_date: NaiveDate,
    /// Latest ship date of the invoiced goods; `None` for a service-only invoice.
    pub shipped_on: Option<NaiveDate>,
    /// Latest acceptance date of the invoiced goods; `None` while any is not accepted.
    pub accepted_on: Option<NaiveDate>,
    /// Whether the invoice bills any shipped goods.
    pub has_goods: bool,
}

/// The due date of one installment, or `None` while it awaits acceptance.
///
/// A service-only invoice (no goods) counts shipment- and acceptance-based
/// terms from the invoice date, since nothing will ever ship or be accepted.
///
/// # Panics
///
/// If the due date is beyond the last date `NaiveDate` holds: business
/// dates end in 9999 and terms at `TERM_DAYS_MAX` days, so it never is,
/// and `None` must keep meaning "awaiting acceptance" only.
pub fn due_date(terms: &InstallmentTerms, base: &BaseDates) -> Option<NaiveDate> {
    let start = match terms.base {
        TermsBase::Invoice => Some(base.invoice_date),
        TermsBase::Shipment if base.has_goods => base.shipped_on,
        TermsBase::Acceptance if base.has_goods => base.accepted_on,
        TermsBase::Shipment | TermsBase::Acceptance => Some(base.invoice_date),
        TermsBase::EndOfMonth => Some(end_of_month(base.invoice_date)),
    }?;
    let Some(due) = start.checked_add_days(Days::new(u64::from(terms.days))) else {
        panic!("{} days after {start} is beyond the calendar", terms.days);
    };
    Some(due)
}

/// The last day of `date`'s month.
///
/// # Panics
///
/// In December of `NaiveDate`'s last year, whose month end has no next
/// month to count back from; business dates end in 9999.
pub fn end_of_month(date: NaiveDate) -> NaiveDate {
    let (y, m) = if date.month() == 12 {
        (date.year() + 1, 1)
    } else {
        (date.year(), date.month() + 1)
    };
    let Some(last) = NaiveDate::from_ymd_opt(y, m, 1).and_then(|first| first.pred_opt()) else {
        panic!("the end of {date}'s month is beyond the calendar");
    };
    last
}

/// Derives the installment schedule of an invoice of `total` under `terms`.
/// Rounding differences go to the last installment, so amounts sum to `total`;
/// each amount is in its one encoding (`split_by_percent`), and the terms
/// copied into each installment are as given (pass [`PaymentTerms::canonical`]
/// ones for a new invoice).
pub fn schedule(total: Money, terms: &PaymentTerms, base: &BaseDates) -> Vec<Installment> {
    let shares: Vec<Decimal> = terms.installments.iter().map(|i| i.share_percent).collect();
    split_by_percent(total, &shares)
        .into_iter()
        .zip(&terms.installments)
        .zip(1u32..)
        .map(|((amount, t), no)| Installment {
            no,
            amount,
            terms: t.clone(),
            due_on: due_date(t, base),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use rust_decimal_macros::dec;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn base() -> BaseDates {
        BaseDates {
            invoice_date: d("2026-01-15"),
            shipped_on: Some(d("2026-01-10")),
            accepted_on: None,
            has_goods: true,
        }
    }

    #[test]
    fn every_terms_base_sets_its_due_date() {
        let t = |days, base| InstallmentTerms {
            share_percent: dec!(100),
            days,
            base,
        };
        assert_eq!(
            due_date(&t(30, TermsBase::Invoice), &base()),
            Some(d("2026-02-14"))
        );
        assert_eq!(
            due_date(&t(30, TermsBase::Shipment), &base()),
            Some(d("2026-02-09"))
        );
        assert_eq!(due_date(&t(30, TermsBase::Acceptance), &base()), None);
        let accepted = BaseDates {
            accepted_on: Some(d("2026-01-20")),
            ..base()
        };
        assert_eq!(
            due_date(&t(30, TermsBase::Acceptance), &accepted),
            Some(d("2026-02-19"))
        );
        assert_eq!(
            due_date(&t(30, TermsBase::EndOfMonth), &base()),
            Some(d("2026-03-02"))
        );
        let services = BaseDates {
            shipped_on: None,
            accepted_on: None,
            has_goods: false,
            ..base()
        };
        assert_eq!(
            due_date(&t(10, TermsBase::Acceptance), &services),
            Some(d("2026-01-25"))
        );
    }

    #[test]
    fn canonical_terms_have_normalised_shares() {
        let terms = PaymentTerms {
            installments: vec![
                InstallmentTerms {
                    share_percent: dec!(50.00),
                    days: 30,
                    base: TermsBase::Invoice,
                },
                InstallmentTerms {
                    share_percent: dec!(50.0),
                    days: 60,
                    base: TermsBase::Invoice,
                },
            ],
        };
        let canonical = terms.canonical();
        assert_eq!(canonical, terms, "the same shares, numerically");
        for inst in &canonical.installments {
            assert_eq!(inst.share_percent.serialize(), dec!(50).serialize());
        }
    }

    #[test]
    fn end_of_month_handles_leap_years_and_december() {
        assert_eq!(end_of_month(d("2028-02-03")), d("2028-02-29"));
        assert_eq!(end_of_month(d("2026-02-03")), d("2026-02-28"));
        assert_eq!(end_of_month(d("2026-12-31")), d("2026-12-31"));
    }

    #[test]
    fn shares_must_sum_to_exactly_one_hundred() {
        let terms = PaymentTerms {
            installments: vec![
                InstallmentTerms {
                    share_percent: dec!(50),
                    days: 30,
                    base: TermsBase::Invoice,
                },
                InstallmentTerms {
                    share_percent: dec!(49.99),
                    days: 60,
                    base: TermsBase::Invoice,
                },
            ],
        };
        assert!(matches!(
            terms.validate(),
            Err(CommandError::InvalidInput { .. })
        ));
        assert!(
            PaymentTerms {
                installments: vec![]
            }
            .validate()
            .is_err()
        );
    }

    #[test]
    fn schedule_amounts_sum_to_the_total_with_the_rest_on_the_last() {
        let third = InstallmentTerms {
            share_percent: dec!(33.33),
            days: 30,
            base: TermsBase::Invoice,
        };
        let terms = PaymentTerms {
            installments: vec![
                third.clone(),
                InstallmentTerms {
                    days: 60,
                    ..third.clone()
                },
                InstallmentTerms {
                    share_percent: dec!(33.34),
                    days: 90,
                    ..third
                },
            ],
        };
        terms.validate().unwrap();
        let total = Money::new(dec!(1000.01), Currency::CNY).unwrap();
        let s = schedule(total, &terms, &base());
        let amounts: Vec<_> = s.iter().map(|i| i.amount.amount).collect();
        assert_eq!(amounts, vec![dec!(333.30), dec!(333.30), dec!(333.41)]);
        assert_eq!(s.iter().map(|i| i.no).collect::<Vec<_>>(), vec![1, 2, 3]);
        assert_eq!(s[2].due_on, Some(d("2026-04-15")));
    }
}
