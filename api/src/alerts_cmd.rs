//! `arledger alerts`: the collections and early-warning alerts
//! (read-models.md "Collections and early warning") at the business date
//! `--as-of`, as known at `--known-at` (a moment) or `--known-at-position`,
//! or now; of every customer or of `--customer`. Highest level first,
//! then by customer and id, as the rules sort them.
//!
//! The rules' settings are those of `arledger serve`: `--settings FILE`,
//! else `<data>/settings.toml` when it exists, else the spec's defaults
//! ([`arledger::settings::load`]); a bad setting is refused by name
//! before the ledger is opened (exit 2).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::anyhow;
use arledger::settings;
use arledger_core::ids::CustomerId;
use arledger_projections::alerts::{Alert, AlertQuery, alerts};
use arledger_replay::{Point, resolve_point};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

use crate::aging::describe;
use crate::report_format::{self, Align, Column, Format, Models, NONE, with_point};
use crate::shared::{self, DataDir};

/// `arledger alerts [--as-of D] [--customer ID] [--settings FILE] ...`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    data: DataDir,
    /// The business date the rules look at (default: today, UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    as_of: Option<NaiveDate>,
    /// Only this customer's alerts.
    #[arg(long, value_name = "UUID")]
    customer: Option<uuid::Uuid>,
    /// Only what the ledger had recorded by this moment (RFC 3339).
    #[arg(long, value_name = "T", conflicts_with = "known_at_position")]
    known_at: Option<DateTime<Utc>>,
    /// Only the log up to this position.
    #[arg(long, value_name = "P")]
    known_at_position: Option<u64>,
    /// The settings file (TOML, its [alerts] table); default:
    /// <data>/settings.toml when it exists, else the spec's defaults.
    #[arg(long, value_name = "FILE")]
    settings: Option<PathBuf>,
    /// How to print it.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let settings = settings::load(args.settings.as_deref(), &args.data.path)?;
    let ledger = shared::open_ledger(&args.data.path)?;
    let point = resolve_point(&ledger, args.known_at, args.known_at_position)?;
    let models = report_format::caught_up(&ledger, "alerts")?;
    let query = AlertQuery {
        as_of: args.as_of.unwrap_or_else(report_format::today),
        known_at_position: point.position,
        customer: args.customer.map(CustomerId),
        scope: None,
    };
    if let Some(customer) = query.customer {
        known_customer(&models, customer, point.position)?;
    }
    let list = alerts(
        &models.receivables.read(),
        &models.credit.read(),
        &settings.alerts,
        &query,
    );
    print(&list, &query, &point, args.format)?;
    Ok(ExitCode::SUCCESS)
}

/// Refuses a customer not registered at `position` (the rules would
/// answer "no alerts", which would read as good news).
fn known_customer(models: &Models, customer: CustomerId, position: u64) -> anyhow::Result<()> {
    if models
        .credit
        .read()
        .customers_at(position)
        .contains(&customer)
    {
        Ok(())
    } else {
        Err(anyhow!(
            "customer {customer} is not known at log position {position}"
        ))
    }
}

/// The columns of CSV, named as in JSON.
const CSV_COLUMNS: [Column; 10] = [
    ("id", Align::Left),
    ("level", Align::Right),
    ("assigneeRole", Align::Left),
    ("reasonCode", Align::Left),
    ("customerId", Align::Left),
    ("invoiceId", Align::Left),
    ("dueDate", Align::Left),
    ("amount", Align::Right),
    ("currency", Align::Left),
    ("reason", Align::Left),
];

/// The columns of a table: the ids of the alert and the invoice are left
/// out (the reason names the invoice by number).
const TABLE_COLUMNS: [Column; 8] = [
    ("level", Align::Right),
    ("assigneeRole", Align::Left),
    ("reasonCode", Align::Left),
    ("customerId", Align::Left),
    ("dueDate", Align::Left),
    ("amount", Align::Right),
    ("currency", Align::Left),
    ("reason", Align::Left),
];

fn print(list: &[Alert], query: &AlertQuery, point: &Point, format: Format) -> anyhow::Result<()> {
    let out = &mut std::io::stdout().lock();
    match format {
        Format::Json => {
            let value = json!({
                "asOfDate": query.as_of,
                "customerId": query.customer,
                "alerts": list,
            });
            report_format::print_json(&with_point(value, point))
        }
        Format::Csv => {
            let rows: Vec<Vec<String>> = list.iter().map(csv_row).collect();
            report_format::write_rows(out, "", &CSV_COLUMNS, &rows, format, "")
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = list.iter().map(table_row).collect();
            let title = format!(
                "Alerts as of {}, as known at {}: {} alerts",
                query.as_of,
                describe(point),
                list.len()
            );
            report_format::write_rows(out, &title, &TABLE_COLUMNS, &rows, format, "no alerts")
        }
    }
}

fn csv_row(a: &Alert) -> Vec<String> {
    vec![
        a.id.clone(),
        a.level.to_string(),
        a.assignee_role.clone(),
        a.reason_code.clone(),
        a.customer_id.to_string(),
        a.invoice_id.map(|i| i.to_string()).unwrap_or_default(),
        a.due_date.map(|d| d.to_string()).unwrap_or_default(),
        a.amount.map(|d| d.to_string()).unwrap_or_default(),
        a.currency.code().to_string(),
        a.reason.clone(),
    ]
}

fn table_row(a: &Alert) -> Vec<String> {
    vec![
        a.level.to_string(),
        a.assignee_role.clone(),
        a.reason_code.clone(),
        a.customer_id.to_string(),
        a.due_date.map_or(NONE.to_string(), |d| d.to_string()),
        a.amount.map_or(NONE.to_string(), |d| d.to_string()),
        a.currency.code().to_string(),
        a.reason.clone(),
    ]
}
