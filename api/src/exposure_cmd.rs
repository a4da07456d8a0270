//! `arledger exposure`: credit exposure per customer (read-models.md
//! "Credit exposure"; domain.md 6) from the command line: one customer's
//! (`--customer`), or every customer at or over `--min-utilization`
//! (every customer without it), highest utilization first. Everything is
//! as known at `--known-at` (a moment) or `--known-at-position`, or now;
//! what is overdue is counted at the business date `--as-of`. The read
//! models catch up from their stored checkpoints first.
//!
//! Utilization is null (JSON), empty (CSV) or "—" (table) when the
//! customer has no credit limit (limit 0); such a customer with something
//! exposed sorts first, as over any threshold.

use std::io::Write;
use std::process::ExitCode;

use arledger_core::ids::CustomerId;
use arledger_projections::credit::{CreditExposure, ExposureQuery};
use arledger_replay::{Point, resolve_point};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::json;

use crate::aging::describe;
use crate::report_format::{self, Align, Column, Format, NONE, optional, with_point};
use crate::shared::{self, DataDir};

/// `arledger exposure [--customer ID | --min-utilization U] [--as-of D] ...`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    data: DataDir,
    /// Only this customer's exposure.
    #[arg(long, value_name = "UUID", conflicts_with = "min_utilization")]
    customer: Option<uuid::Uuid>,
    /// Only customers whose exposure is at least this share of their
    /// limit (0.8 is 80 %), highest first; without it, every customer.
    #[arg(long, value_name = "U")]
    min_utilization: Option<Decimal>,
    /// The business date what is overdue is counted at (default: today,
    /// UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    as_of: Option<NaiveDate>,
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
    let ledger = shared::open_ledger(&args.data.path)?;
    let point = resolve_point(&ledger, args.known_at, args.known_at_position)?;
    let models = report_format::caught_up(&ledger, "exposure")?;
    let query = ExposureQuery {
        as_of: args.as_of.unwrap_or_else(report_format::today),
        known_at_position: point.position,
        scope: None,
    };
    let overdue = {
        let receivables = models.receivables.read();
        let (d, p) = (query.as_of, query.known_at_position);
        match args.customer {
            Some(c) => receivables.overdue_of(CustomerId(c), d, p),
            None => receivables.overdue(d, p),
        }
    };
    let credit = models.credit.read();
    let list = match args.customer {
        Some(customer) => vec![credit.exposure(CustomerId(customer), &query, &overdue)?],
        None => credit.exposures(&query, args.min_utilization, &overdue),
    };
    drop(credit);
    let about = About {
        point: &point,
        as_of: query.as_of,
        min_utilization: args.min_utilization,
        one: args.customer.is_some(),
    };
    print(&list, &about, args.format)?;
    Ok(ExitCode::SUCCESS)
}

/// What the list was asked for, for its title and JSON.
struct About<'a> {
    point: &'a Point,
    as_of: NaiveDate,
    min_utilization: Option<Decimal>,
    /// One customer's exposure, not a list.
    one: bool,
}

/// The columns, named as in JSON.
const COLUMNS: [Column; 15] = [
    ("customerId", Align::Left),
    ("name", Align::Left),
    ("currency", Align::Left),
    ("openReceivables", Align::Right),
    ("shippedNotInvoiced", Align::Right),
    ("openOrders", Align::Right),
    ("unallocatedPayments", Align::Right),
    ("exposure", Align::Right),
    ("creditLimit", Align::Right),
    ("available", Align::Right),
    ("utilization", Align::Right),
    ("overdue", Align::Right),
    ("oldestOverdueDays", Align::Right),
    ("grade", Align::Left),
    ("heldOrders", Align::Right),
];

fn print(list: &[CreditExposure], about: &About<'_>, format: Format) -> anyhow::Result<()> {
    match (format, about.one, list) {
        (Format::Json, true, [one]) => {
            let mut value = with_point(serde_json::to_value(one)?, about.point);
            if let Some(object) = value.as_object_mut() {
                object.insert("asOfDate".into(), about.as_of.to_string().into());
            }
            report_format::print_json(&value)
        }
        (Format::Json, _, _) => {
            let value = json!({
                "asOfDate": about.as_of,
                "minUtilization": about.min_utilization.map(|m| m.to_string()),
                "exposures": list,
            });
            report_format::print_json(&with_point(value, about.point))
        }
        (Format::Table, true, [one]) => print_one(&mut std::io::stdout().lock(), one, about),
        _ => {
            let rows: Vec<Vec<String>> = list.iter().map(|e| row(e, format)).collect();
            let over = about.min_utilization.map_or(String::new(), |m| {
                format!(", customers at or over utilization {m}")
            });
            let title = format!("Credit exposure{over}, {}", point_words(about));
            let out = &mut std::io::stdout().lock();
            report_format::write_rows(out, &title, &COLUMNS, &rows, format, "no customers")?;
            no_limit_note(out, list, format)
        }
    }
}

/// "as known at ..., overdue as of D".
fn point_words(about: &About<'_>) -> String {
    format!(
        "as known at {}, overdue as of {}",
        describe(about.point),
        about.as_of
    )
}

/// One customer as a table: a line per figure.
fn print_one(out: &mut dyn Write, e: &CreditExposure, about: &About<'_>) -> anyhow::Result<()> {
    let title = format!(
        "Credit exposure of {}, {}",
        e.name.as_deref().unwrap_or("(no name)"),
        point_words(about)
    );
    let mut cells = row(e, Format::Table);
    if let Some(held) = cells.last_mut() {
        *held = if e.held_orders.is_empty() {
            "none".into()
        } else {
            held_ids(e, ", ")
        };
    }
    let rows: Vec<Vec<String>> = COLUMNS
        .iter()
        .zip(cells)
        .map(|((name, _), value)| vec![name.to_string(), value])
        .collect();
    let columns: [Column; 2] = [("figure", Align::Left), ("value", Align::Left)];
    report_format::write_rows(out, &title, &columns, &rows, Format::Table, "")?;
    no_limit_note(out, std::slice::from_ref(e), Format::Table)
}

/// In a table, why a utilization is "—".
fn no_limit_note(
    out: &mut dyn Write,
    list: &[CreditExposure],
    format: Format,
) -> anyhow::Result<()> {
    if format == Format::Table && list.iter().any(|e| e.utilization.is_none()) {
        writeln!(
            out,
            "{NONE} utilization: no credit limit is set (limit 0), so exposure / limit is undefined"
        )?;
    }
    Ok(())
}

/// A customer's line. Held orders: their count in a table, their ids
/// (separated by spaces) in CSV.
fn row(e: &CreditExposure, format: Format) -> Vec<String> {
    let absent = if format == Format::Csv { "" } else { NONE };
    vec![
        e.customer_id.to_string(),
        e.name.clone().unwrap_or_default(),
        e.currency.code().to_string(),
        e.open_receivables.to_string(),
        e.shipped_not_invoiced.to_string(),
        e.open_orders.to_string(),
        e.unallocated_payments.to_string(),
        e.exposure.to_string(),
        e.credit_limit.to_string(),
        e.available.to_string(),
        optional(e.utilization, format),
        e.overdue.to_string(),
        e.oldest_overdue_days
            .map_or(absent.to_string(), |d| d.to_string()),
        e.grade.map_or(absent.to_string(), |g| format!("{g:?}")),
        if format == Format::Csv {
            held_ids(e, " ")
        } else {
            e.held_orders.len().to_string()
        },
    ]
}

fn held_ids(e: &CreditExposure, separator: &str) -> String {
    let ids: Vec<String> = e.held_orders.iter().map(ToString::to_string).collect();
    ids.join(separator)
}
