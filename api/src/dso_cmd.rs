//! `arledger dso`: DSO and the collection ratios (read-models.md "DSO and
//! collection ratios") from the command line, per currency, for everyone
//! or one customer, region or salesperson, over the `--period-days`
//! ending on `--as-of`, as known at `--known-at` (a moment) or
//! `--known-at-position`, or now; with `--trend`, the same at the end of
//! each of the last `--months` calendar months. The read models catch up
//! from their stored checkpoints first.
//!
//! A figure the spec leaves undefined (every DSO but countback when
//! there were no credit sales in the period, CEI when its divisor is 0)
//! is null in JSON, empty in CSV, and "—" in a table, which says why.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use arledger_core::ids::CustomerId;
use arledger_core::money::Currency;
use arledger_projections::receivables::{AgingError, DsoQuery, DsoReport};
use arledger_replay::{Point, resolve_point};
use chrono::{DateTime, NaiveDate, Utc};

use crate::aging::describe;
use crate::report_format::{self, Align, Column, Format, NONE, optional, with_point};
use crate::shared::{self, DataDir};

/// Months of a trend when `--months` is not given.
const TREND_MONTHS_DEFAULT: u32 = 12;

/// `arledger dso --currency CODE [--as-of D] [--period-days N] [--trend] ...`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    data: DataDir,
    /// The currency everything is counted in (ISO 4217 code).
    #[arg(long, value_name = "CODE")]
    currency: String,
    /// D, the period's last day (default: today, UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    as_of: Option<NaiveDate>,
    /// N, the period's length in days.
    #[arg(long, value_name = "N", default_value_t = 90)]
    period_days: u32,
    /// Only this customer.
    #[arg(long, value_name = "UUID", conflicts_with_all = ["region", "salesperson"])]
    customer: Option<uuid::Uuid>,
    /// Only the customers of this region (as known at the position).
    #[arg(long, value_name = "REGION", conflicts_with = "salesperson")]
    region: Option<String>,
    /// Only the customers of this salesperson (as known at the position).
    #[arg(long, value_name = "SALESPERSON")]
    salesperson: Option<String>,
    /// The same at the end of each of the last --months calendar months,
    /// oldest first (the last at --as-of).
    #[arg(long)]
    trend: bool,
    /// Months of the trend (default 12).
    #[arg(long, value_name = "M", requires = "trend")]
    months: Option<u32>,
    /// Only what the ledger had recorded by this moment (RFC 3339).
    #[arg(long, value_name = "T", conflicts_with = "known_at_position")]
    known_at: Option<DateTime<Utc>>,
    /// Only the log up to this position.
    #[arg(long, value_name = "P")]
    known_at_position: Option<u64>,
    /// How to print it.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let currency = Currency::parse(&args.currency).context("--currency")?;
    let ledger = shared::open_ledger(&args.data.path)?;
    let point = resolve_point(&ledger, args.known_at, args.known_at_position)?;
    let models = report_format::caught_up(&ledger, "dso")?;
    let query = DsoQuery {
        as_of: args.as_of.unwrap_or_else(report_format::today),
        known_at_position: point.position,
        period_days: args.period_days,
        currency,
        customer: args.customer.map(CustomerId),
        region: args.region.clone(),
        salesperson: args.salesperson.clone(),
        scope: None,
    };
    let receivables = models.receivables.read();
    let reports = if args.trend {
        let months = args.months.unwrap_or(TREND_MONTHS_DEFAULT);
        receivables.dso_trend(&query, months)
    } else {
        receivables.dso(&query).map(|r| vec![r])
    }
    .map_err(flag_error)?;
    drop(receivables);
    let about = About {
        point: &point,
        whom: whom(args),
        trend: args.trend,
    };
    print(&reports, &about, args.format)?;
    Ok(ExitCode::SUCCESS)
}

/// A refusal naming the query's field as the command's flag names it.
fn flag_error(e: AgingError) -> anyhow::Error {
    match e {
        AgingError::InvalidInput { field, reason } => {
            anyhow!("--{}: {reason}", field.replace('_', "-"))
        }
        other => anyhow!(other),
    }
}

/// What the reports are of, for their titles.
struct About<'a> {
    point: &'a Point,
    whom: String,
    trend: bool,
}

/// Whose receivables the arguments ask about.
fn whom(args: &Args) -> String {
    match (&args.customer, &args.region, &args.salesperson) {
        (Some(c), _, _) => format!("customer {c}"),
        (_, Some(r), _) => format!("region {r}"),
        (_, _, Some(s)) => format!("salesperson {s}"),
        _ => "all customers".into(),
    }
}

/// Prints one report (or, with `--trend`, the list) in `format`.
fn print(reports: &[DsoReport], about: &About<'_>, format: Format) -> anyhow::Result<()> {
    if format == Format::Json {
        let values = reports
            .iter()
            .map(|r| Ok(with_point(serde_json::to_value(r)?, about.point)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        return match (about.trend, values.as_slice()) {
            (false, [one]) => report_format::print_json(one),
            _ => report_format::print_json(&serde_json::Value::Array(values)),
        };
    }
    let out = &mut std::io::stdout().lock();
    match (format, about.trend, reports) {
        (Format::Table, false, [one]) => print_measures(out, one, about),
        _ => print_columns(out, reports, about, format),
    }
}

/// The measures, their labels and values as a table shows them.
fn measures(r: &DsoReport) -> [(&'static str, String); 9] {
    let shown = |v| optional(v, Format::Table);
    [
        ("receivables AR(D)", r.receivables.to_string()),
        ("credit sales S", r.credit_sales.to_string()),
        ("not yet due", r.not_due.to_string()),
        ("DSO (days)", shown(r.dso)),
        ("countback DSO (days)", shown(r.countback_dso)),
        ("best possible DSO (days)", shown(r.best_possible_dso)),
        ("average days delinquent", shown(r.average_days_delinquent)),
        ("CEI (%)", shown(r.cei)),
        ("period (days)", r.period_days.to_string()),
    ]
}

/// One report as a table: a line per measure, then why any is "—".
fn print_measures(out: &mut dyn Write, r: &DsoReport, about: &About<'_>) -> anyhow::Result<()> {
    let title = format!(
        "DSO in {}, {}, the {} days ending {}, as known at {}",
        r.currency,
        about.whom,
        r.period_days,
        r.as_of_date,
        describe(about.point)
    );
    let columns: [Column; 2] = [("measure", Align::Left), ("value", Align::Right)];
    let rows: Vec<Vec<String>> = measures(r)
        .into_iter()
        .map(|(label, value)| vec![label.to_string(), value])
        .collect();
    report_format::write_rows(out, &title, &columns, &rows, Format::Table, "")?;
    for why in why_undefined(r) {
        writeln!(out, "{NONE} {why}")?;
    }
    Ok(())
}

/// Reports as columns: a table with a line per report (the trend), or
/// CSV (one header, a line per report; an undefined figure is empty).
fn print_columns(
    out: &mut dyn Write,
    reports: &[DsoReport],
    about: &About<'_>,
    format: Format,
) -> anyhow::Result<()> {
    let columns: [Column; 11] = [
        ("asOfDate", Align::Left),
        ("periodDays", Align::Right),
        ("currency", Align::Left),
        ("receivables", Align::Right),
        ("creditSales", Align::Right),
        ("notDue", Align::Right),
        ("dso", Align::Right),
        ("countbackDso", Align::Right),
        ("bestPossibleDso", Align::Right),
        ("averageDaysDelinquent", Align::Right),
        ("cei", Align::Right),
    ];
    let rows: Vec<Vec<String>> = reports.iter().map(|r| row(r, format)).collect();
    let title = format!(
        "DSO trend in {}, {}, {} months, each over the {} days ending on its date, as known at {}",
        reports.first().map_or("", |r| r.currency.code()),
        about.whom,
        reports.len(),
        reports.first().map_or(0, |r| r.period_days),
        describe(about.point)
    );
    report_format::write_rows(out, &title, &columns, &rows, format, "no months")?;
    if format == Format::Table {
        for r in reports {
            for why in why_undefined(r) {
                writeln!(out, "{NONE} {}: {why}", r.as_of_date)?;
            }
        }
    }
    Ok(())
}

fn row(r: &DsoReport, format: Format) -> Vec<String> {
    vec![
        r.as_of_date.to_string(),
        r.period_days.to_string(),
        r.currency.code().to_string(),
        r.receivables.to_string(),
        r.credit_sales.to_string(),
        r.not_due.to_string(),
        optional(r.dso, format),
        optional(r.countback_dso, format),
        optional(r.best_possible_dso, format),
        optional(r.average_days_delinquent, format),
        optional(r.cei, format),
    ]
}

/// Why each undefined figure of `r` is undefined, one sentence each.
fn why_undefined(r: &DsoReport) -> Vec<String> {
    let mut why = Vec::new();
    if r.dso.is_none() {
        why.push(format!(
            "DSO, best possible DSO and average days delinquent are undefined: no credit sales in {} in the {} days ending {} (S = {}; DSO divides by S)",
            r.currency, r.period_days, r.as_of_date, r.credit_sales
        ));
    }
    if r.countback_dso.is_none() {
        why.push(
            "countback DSO is undefined: the credit sales of the months before D never use AR(D) up"
                .into(),
        );
    }
    if r.cei.is_none() {
        why.push(
            "CEI is undefined: AR at the period's start + credit sales - AR not yet due is 0 (its divisor)"
                .into(),
        );
    }
    why
}
