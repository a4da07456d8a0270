//! DSO and collection ratios at (D, p) (read-models.md "DSO and collection
//! ratios"; the `dso` and `dsoTrend` queries of the GraphQL contract), per
//! currency, for all customers or one customer, region or salesperson (as
//! known at p).
//!
//! For the period of N days ending on D, (D - N, D]:
//! - credit sales S = invoices dated in the period - credit notes dated in
//!   the period;
//! - AR(D) = total open on D (gross: payments on account are not netted),
//!   "not due" = what of it is not yet due on D (due on or after D, or
//!   awaiting acceptance), as in aging;
//! - DSO = AR(D) × N / S; best possible DSO = not due × N / S; average days
//!   delinquent = DSO - best possible; all `None` when S is 0;
//! - CEI = (AR(D - N) + S - AR(D)) / (AR(D - N) + S - not due) × 100, `None`
//!   when the divisor is 0;
//! - countback DSO walks back from D month by month (D's own month counts
//!   its days up to D), taking each month's credit sales (invoices less
//!   credit notes dated in it) from AR(D): the days of the months fully
//!   used plus the days of the last one × what remained / its sales. A
//!   month whose sales are zero or negative is used up whole. AR(D) of 0 or
//!   less gives 0.
//!
//! Everything is computed in `Decimal` (28 significant digits) and rounded
//! once, for display: amounts to the currency's minor unit, days and CEI to
//! 2 decimals, half away from zero ([`DISPLAY_DECIMALS`]).

use std::collections::BTreeMap;

use arledger_core::ids::CustomerId;
use arledger_core::money::Currency;
use chrono::{Datelike, Duration, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use super::fill::Scratch;
use super::query::{AgingError, Scope};
use super::report::at_scale;
use super::stamp::At;
use super::state::{Invoice, Screen, State};
use crate::scalars::{currency_code, decimal, optional_decimal};

/// Days and CEI are shown with this many decimals (half away from zero).
pub const DISPLAY_DECIMALS: u32 = 2;
/// The longest period a DSO may look back over, in days (ten years).
pub const PERIOD_DAYS_MAX: u32 = 3_660;
/// The most months a trend may have.
pub const TREND_MONTHS_MAX: u32 = 120;
/// Countback stops after this many months without using AR(D) up (it
/// cannot: AR(D) never exceeds the credit sales before D).
const COUNTBACK_MONTHS_MAX: u32 = 1_200;

/// A DSO query: the period of `period_days` ending on D, as known at p.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DsoQuery {
    /// D.
    pub as_of: NaiveDate,
    /// p: ask only for a position the projection has applied.
    pub known_at_position: u64,
    /// N, from 1 to [`PERIOD_DAYS_MAX`].
    pub period_days: u32,
    /// The currency everything is counted in.
    pub currency: Currency,
    /// Only this customer.
    pub customer: Option<CustomerId>,
    /// Only customers of this region (as known at p).
    pub region: Option<String>,
    /// Only customers of this salesperson (as known at p).
    pub salesperson: Option<String>,
    /// Only what the caller may see (a sales user's own customers).
    pub scope: Option<Scope>,
}

/// The DSO family at (D, p): the `DsoReport` of the GraphQL contract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DsoReport {
    /// D.
    pub as_of_date: NaiveDate,
    /// N.
    pub period_days: u32,
    /// The currency.
    #[serde(serialize_with = "currency_code")]
    pub currency: Currency,
    /// AR(D): total open on D.
    #[serde(serialize_with = "decimal")]
    pub receivables: Decimal,
    /// S: invoices less credit notes dated in the period.
    #[serde(serialize_with = "decimal")]
    pub credit_sales: Decimal,
    /// What of AR(D) is not yet due on D.
    #[serde(serialize_with = "decimal")]
    pub not_due: Decimal,
    /// Standard DSO, in days; `None` when S is 0.
    #[serde(serialize_with = "optional_decimal")]
    pub dso: Option<Decimal>,
    /// Countback DSO, in days.
    #[serde(serialize_with = "optional_decimal")]
    pub countback_dso: Option<Decimal>,
    /// Best possible DSO, in days; `None` when S is 0.
    #[serde(serialize_with = "optional_decimal")]
    pub best_possible_dso: Option<Decimal>,
    /// DSO - best possible DSO; `None` when S is 0.
    #[serde(serialize_with = "optional_decimal")]
    pub average_days_delinquent: Option<Decimal>,
    /// Collection effectiveness index, in percent.
    #[serde(serialize_with = "optional_decimal")]
    pub cei: Option<Decimal>,
}

/// What one pass over the invoices adds up.
#[derive(Debug, Default)]
struct Sums {
    receivables: Decimal,
    not_due: Decimal,
    receivables_at_start: Decimal,
    credit_sales: Decimal,
    /// Credit sales per calendar month (year, month), dated on or before D.
    months: BTreeMap<(i32, u32), Decimal>,
}

impl State {
    /// The DSO family of `query`.
    pub(super) fn dso(&self, query: &DsoQuery) -> Result<DsoReport, AgingError> {
        check_period(query.period_days)?;
        let seen = self.dso_customers(query)?;
        let sales = self.sales_by_day(query, &seen);
        let dates = [query.as_of, period_start(query.as_of, query.period_days)];
        let open = self.open_at(&dates, query, &seen);
        let open = [open[0], open[1]];
        Ok(report(query, &State::sums_at(query, open, &sales)))
    }

    /// The DSO family at D and at the end of each of the `months - 1`
    /// calendar months before D's, oldest first: the last is `dso(query)`.
    /// Credit sales are read once, by day, for every point.
    pub(super) fn dso_trend(
        &self,
        query: &DsoQuery,
        months: u32,
    ) -> Result<Vec<DsoReport>, AgingError> {
        check_period(query.period_days)?;
        if months == 0 || months > TREND_MONTHS_MAX {
            return Err(AgingError::InvalidInput {
                field: "months",
                reason: format!("{months} asked; give 1 to {TREND_MONTHS_MAX}"),
            });
        }
        let seen = self.dso_customers(query)?;
        let sales = self.sales_by_day(query, &seen);
        let mut points = vec![query.as_of];
        let mut end = query.as_of;
        for _ in 1..months {
            end = first_of_month(end).pred_opt().unwrap_or(NaiveDate::MIN);
            points.push(end);
        }
        points.reverse();
        let dates: Vec<NaiveDate> = (points.iter())
            .flat_map(|&t| [t, period_start(t, query.period_days)])
            .collect();
        let open = self.open_at(&dates, query, &seen);
        Ok((points.iter().zip(open.chunks_exact(2)))
            .map(|(&as_of, open)| {
                let at = DsoQuery {
                    as_of,
                    ..query.clone()
                };
                report(&at, &State::sums_at(&at, [open[0], open[1]], &sales))
            })
            .collect())
    }

    /// Per customer index, whether the query counts it.
    fn dso_customers(&self, query: &DsoQuery) -> Result<Vec<bool>, AgingError> {
        let p = query.known_at_position;
        let mut seen = self
            .visible(query.scope.as_ref(), p)
            .unwrap_or_else(|| vec![true; self.customers.len()]);
        if let Some(id) = query.customer {
            let index = self
                .customer_index
                .get(&id)
                .copied()
                .filter(|&i| self.version_at(i, p).is_some())
                .ok_or(AgingError::UnknownCustomer {
                    customer: id,
                    known_at_position: p,
                })?;
            for (c, slot) in (0u32..).zip(seen.iter_mut()) {
                *slot &= c == index;
            }
        }
        for (c, slot) in (0u32..).zip(seen.iter_mut()) {
            let Some(version) = self.version_at(c, p) else {
                *slot = false;
                continue;
            };
            let text = |i: u32| self.texts.get(i);
            *slot &= query
                .region
                .as_deref()
                .is_none_or(|r| text(version.region) == r)
                && (query.salesperson.as_deref()).is_none_or(|s| text(version.salesperson) == s);
        }
        Ok(seen)
    }

    /// Net credit sales by business date (invoices less credit notes),
    /// dated on or before the query's D and recorded at or before p, of
    /// the customers counted, in the query's currency.
    fn sales_by_day(&self, query: &DsoQuery, seen: &[bool]) -> BTreeMap<NaiveDate, Decimal> {
        let (d, p) = (query.as_of, query.known_at_position);
        let mut sales: BTreeMap<NaiveDate, Decimal> = BTreeMap::new();
        for (_, invoice) in self.invoices_known(p) {
            if invoice.currency != query.currency
                || invoice.invoice_date > d
                || !counted(seen, invoice.customer)
            {
                continue;
            }
            *sales.entry(invoice.invoice_date).or_default() += invoice.amount;
            let credit_notes = (invoice.reductions.iter())
                .take_while(|r| r.position <= p)
                .filter(|r| r.credit_note && r.on <= d);
            for note in credit_notes {
                *sales.entry(note.on).or_default() -= note.amount;
            }
        }
        sales
    }

    /// The sums of `query` at D: AR and not due at D and AR at D - N
    /// from `open` (as [`State::open_at`] gave them for [D, D - N]),
    /// credit sales from `sales`.
    fn sums_at(
        query: &DsoQuery,
        open: [(Decimal, Decimal); 2],
        sales: &BTreeMap<NaiveDate, Decimal>,
    ) -> Sums {
        let start = period_start(query.as_of, query.period_days);
        let mut sums = Sums {
            receivables: open[0].0,
            not_due: open[0].1,
            receivables_at_start: open[1].0,
            ..Sums::default()
        };
        for (&on, &amount) in sales.range(..=query.as_of) {
            *sums.months.entry((on.year(), on.month())).or_default() += amount;
            if on > start {
                sums.credit_sales += amount;
            }
        }
        sums
    }

    /// For each of `dates`, as known at p: (AR, what of it is not yet
    /// due), in the query's currency for the customers counted. One pass
    /// over the invoices recorded at or before p: an invoice settled by
    /// the earliest date, or dated after the latest, is passed over once
    /// for all of them.
    fn open_at(
        &self,
        dates: &[NaiveDate],
        query: &DsoQuery,
        seen: &[bool],
    ) -> Vec<(Decimal, Decimal)> {
        let p = query.known_at_position;
        let mut out = vec![(Decimal::ZERO, Decimal::ZERO); dates.len()];
        let (Some(&first), Some(&last)) = (dates.iter().min(), dates.iter().max()) else {
            return out;
        };
        let earliest = At {
            date: first,
            position: p,
        };
        let mut s = Scratch::default();
        for (screen, invoice) in self.invoices_known(p) {
            let settled_throughout = screen.settled.is_some_and(|st| st.holds_at(earliest));
            if screen.currency != query.currency
                || screen.date > last
                || settled_throughout
                || !counted(seen, invoice.customer)
            {
                continue;
            }
            for (&date, sums) in dates.iter().zip(out.iter_mut()) {
                self.add_open(invoice, screen, At { date, position: p }, &mut s, sums);
            }
        }
        out
    }
}

impl State {
    /// Adds `invoice`'s open amount at `at`, and what of it is not yet
    /// due, to `sums` when it may be open then.
    fn add_open(
        &self,
        invoice: &Invoice,
        screen: &Screen,
        at: At,
        s: &mut Scratch,
        sums: &mut (Decimal, Decimal),
    ) {
        if screen.may_be_open(at, Some(invoice.currency)) {
            sums.0 += self.fill(invoice, at, s);
            sums.1 += not_due(s, at.date);
        }
    }
}

/// Whether customer number `customer` is counted.
fn counted(seen: &[bool], customer: u32) -> bool {
    usize::try_from(customer).ok().and_then(|c| seen.get(c)) == Some(&true)
}

/// What of the installments just filled is not yet due on `date`.
fn not_due(s: &Scratch, date: NaiveDate) -> Decimal {
    (s.open.iter().zip(&s.due))
        .filter(|(_, due)| due.is_none_or(|d| d >= date))
        .map(|(open, _)| *open)
        .sum()
}

fn check_period(days: u32) -> Result<(), AgingError> {
    if days == 0 || days > PERIOD_DAYS_MAX {
        return Err(AgingError::InvalidInput {
            field: "period_days",
            reason: format!("{days} asked; give 1 to {PERIOD_DAYS_MAX} days"),
        });
    }
    Ok(())
}

/// D - N: the last day before the period.
fn period_start(as_of: NaiveDate, days: u32) -> NaiveDate {
    as_of
        .checked_sub_signed(Duration::days(i64::from(days)))
        .unwrap_or(NaiveDate::MIN)
}

fn first_of_month(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

/// The days of the calendar month (year, month).
fn days_in_month(year: i32, month: u32) -> u32 {
    let first = NaiveDate::from_ymd_opt(year, month, 1);
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year.saturating_add(1), 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    match (first, next) {
        (Some(first), Some(next)) => u32::try_from((next - first).num_days()).unwrap_or(31),
        _ => 31,
    }
}

/// `a / b`, `None` when b is 0 (or the quotient does not fit).
fn ratio(a: Decimal, b: Decimal) -> Option<Decimal> {
    if b.is_zero() { None } else { a.checked_div(b) }
}

/// A figure as shown: [`DISPLAY_DECIMALS`], half away from zero.
fn shown(value: Decimal) -> Decimal {
    let mut v =
        value.round_dp_with_strategy(DISPLAY_DECIMALS, RoundingStrategy::MidpointAwayFromZero);
    v.rescale(DISPLAY_DECIMALS);
    if v.is_zero() {
        v.set_sign_positive(true);
    }
    v
}

/// Countback DSO of `receivables` over the monthly credit sales up to D.
fn countback(
    as_of: NaiveDate,
    receivables: Decimal,
    months: &BTreeMap<(i32, u32), Decimal>,
) -> Option<Decimal> {
    if receivables <= Decimal::ZERO {
        return Some(Decimal::ZERO);
    }
    let (mut year, mut month) = (as_of.year(), as_of.month());
    let mut days_of = as_of.day();
    let (mut days, mut rest) = (Decimal::ZERO, receivables);
    for _ in 0..COUNTBACK_MONTHS_MAX {
        let sales = months.get(&(year, month)).copied().unwrap_or_default();
        let month_days = Decimal::from(days_of);
        if sales > Decimal::ZERO && rest <= sales {
            return Some(days + month_days * rest / sales);
        }
        days += month_days;
        rest -= sales;
        (year, month) = if month == 1 {
            (year - 1, 12)
        } else {
            (year, month - 1)
        };
        days_of = days_in_month(year, month);
    }
    None
}

/// The report of one pass's sums.
fn report(query: &DsoQuery, sums: &Sums) -> DsoReport {
    let n = Decimal::from(query.period_days);
    let s = sums.credit_sales;
    let dso = ratio(sums.receivables * n, s);
    let best = ratio(sums.not_due * n, s);
    let cei = ratio(
        (sums.receivables_at_start + s - sums.receivables) * Decimal::ONE_HUNDRED,
        sums.receivables_at_start + s - sums.not_due,
    );
    let c = query.currency;
    DsoReport {
        as_of_date: query.as_of,
        period_days: query.period_days,
        currency: c,
        receivables: at_scale(sums.receivables, c),
        credit_sales: at_scale(s, c),
        not_due: at_scale(sums.not_due, c),
        average_days_delinquent: dso.zip(best).map(|(d, b)| shown(d - b)),
        dso: dso.map(shown),
        countback_dso: countback(query.as_of, sums.receivables, &sums.months).map(shown),
        best_possible_dso: best.map(shown),
        cei: cei.map(shown),
    }
}
