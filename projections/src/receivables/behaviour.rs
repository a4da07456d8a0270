//! A customer's payment behaviour over the 12 months (365 days) ending on
//! D, as known at p (read-models.md "Collections and early warning"), and
//! the grade it suggests beside the grade finance set.
//!
//! Every installment of the customer due in (D - 365, D] counts, with its
//! amount as weight: what was open on its due date (at (due, p)) was paid
//! late, the rest on time; the late part is late until the day the
//! installment was settled (the first reduction date, after the due date,
//! at which nothing of it is open at p), or still at D when it is open.
//! - on-time share = amount paid on time / amount due;
//! - average days late = Σ late amount × days late / amount due (on-time
//!   money counts 0 days).
//!
//! Suggested grade, by how late the money comes on average: A at most 5
//! days late with at least 80 % paid on time, B at most 15 days, C at most
//! 45 days, else D. Both figures are rounded for display: the share to 4 decimals,
//! days to 2, half away from zero.

use arledger_core::domain::types::RiskGrade;
use arledger_core::ids::CustomerId;
use chrono::{Duration, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use super::fill::Scratch;
use super::stamp::At;
use super::state::{Invoice, State};
use crate::scalars::decimal;

/// The window the score looks back over, in days.
pub const BEHAVIOUR_DAYS: i64 = 365;

/// A customer's payment behaviour at (D, p).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentBehaviour {
    /// The customer.
    pub customer_id: CustomerId,
    /// Installments due in the window.
    pub installments: u32,
    /// Share of the amount due paid by its due date (0 to 1).
    #[serde(serialize_with = "decimal")]
    pub on_time_share: Decimal,
    /// Days late, weighted by amount.
    #[serde(serialize_with = "decimal")]
    pub average_days_late: Decimal,
    /// The grade the behaviour suggests.
    pub suggested_grade: RiskGrade,
}

#[derive(Default)]
struct Tally {
    count: u32,
    due: Decimal,
    on_time: Decimal,
    late_days: Decimal,
}

impl State {
    /// `customer`'s behaviour at (D, p); `None` when nothing fell due in
    /// the window (or the customer is unknown at p).
    pub(super) fn payment_behaviour(
        &self,
        customer: CustomerId,
        as_of: NaiveDate,
        position: u64,
    ) -> Option<PaymentBehaviour> {
        let index = *self.customer_index.get(&customer)?;
        self.version_at(index, position)?;
        let invoices = &self.customers.get(usize::try_from(index).ok()?)?.invoices;
        let from = as_of - Duration::days(BEHAVIOUR_DAYS);
        let mut tally = Tally::default();
        let mut s = Scratch::default();
        for &i in invoices {
            let invoice = self.invoices.get(usize::try_from(i).ok()?)?;
            if invoice.position > position {
                break;
            }
            if invoice.invoice_date <= as_of {
                self.tally_behaviour(invoice, (from, as_of), position, &mut s, &mut tally);
            }
        }
        if tally.due <= Decimal::ZERO {
            return None;
        }
        let share = tally.on_time / tally.due;
        let days = tally.late_days / tally.due;
        Some(PaymentBehaviour {
            customer_id: customer,
            installments: tally.count,
            on_time_share: rounded(share, 4),
            average_days_late: rounded(days, 2),
            suggested_grade: suggest(share, days),
        })
    }

    fn tally_behaviour(
        &self,
        invoice: &Invoice,
        (from, to): (NaiveDate, NaiveDate),
        position: u64,
        s: &mut Scratch,
        tally: &mut Tally,
    ) {
        let at_end = At { date: to, position };
        self.fill(invoice, at_end, s);
        let dues: Vec<(usize, NaiveDate, Decimal)> =
            (self.installments_of(invoice).iter().enumerate())
                .filter_map(|(k, inst)| Some((k, s.due.get(k).copied().flatten()?, inst.amount)))
                .filter(|&(_, due, _)| due > from && due <= to)
                .collect();
        for (k, due, amount) in dues {
            self.fill(
                invoice,
                At {
                    date: due,
                    position,
                },
                s,
            );
            let late = s.open.get(k).copied().unwrap_or_default();
            tally.count += 1;
            tally.due += amount;
            tally.on_time += amount - late;
            if late > Decimal::ZERO {
                let settled = self.settled_on(invoice, k, due, at_end, s).unwrap_or(to);
                tally.late_days += late * Decimal::from((settled - due).num_days());
            }
        }
    }

    /// The first reduction date after `due` and by D at which installment
    /// `k` has nothing open.
    fn settled_on(
        &self,
        invoice: &Invoice,
        k: usize,
        due: NaiveDate,
        at: At,
        s: &mut Scratch,
    ) -> Option<NaiveDate> {
        let mut dates: Vec<NaiveDate> = (invoice.reductions.iter())
            .take_while(|r| r.position <= at.position)
            .map(|r| r.on)
            .filter(|&on| on > due && on <= at.date)
            .collect();
        dates.sort_unstable();
        dates.dedup();
        dates.into_iter().find(|&on| {
            self.fill(
                invoice,
                At {
                    date: on,
                    position: at.position,
                },
                s,
            );
            s.open.get(k).is_some_and(|o| *o <= Decimal::ZERO)
        })
    }
}

fn rounded(value: Decimal, dp: u32) -> Decimal {
    let mut v = value.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    v.rescale(dp);
    v
}

/// The grade a share paid on time and average days late suggest.
fn suggest(share: Decimal, days: Decimal) -> RiskGrade {
    let within = |max_days: i64| days <= Decimal::from(max_days);
    if within(5) && share * Decimal::ONE_HUNDRED >= Decimal::from(80) {
        RiskGrade::A
    } else if within(15) {
        RiskGrade::B
    } else if within(45) {
        RiskGrade::C
    } else {
        RiskGrade::D
    }
}
