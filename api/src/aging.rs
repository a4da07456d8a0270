//! `arledger aging`: the aging report (read-models.md "Aging") from the
//! command line, at any point in time: business date `--as-of`, as known
//! at `--known-at` (a moment) or `--known-at-position`, or now. The
//! receivables projection catches up from its stored checkpoint first.
//! With `--customer`, the customer's receivable items instead.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, anyhow};
use arledger_core::ids::CustomerId;
use arledger_core::log::Ledger;
use arledger_core::money::Currency;
use arledger_projections::engine::{Engine, EngineError, Handle};
use arledger_projections::receivables::{AgingBasis, AgingGroup, AgingQuery, Receivables};
use arledger_replay::{Point, resolve_point};
use chrono::{DateTime, NaiveDate, Utc};

use crate::aging_format::{self, Format};
use crate::shared::{self, DataDir};

/// How long the projection may take to catch up before the command gives up.
const CATCH_UP_MAX: Duration = Duration::from_secs(3_600);

/// `arledger aging [--data DIR] [--as-of D] [--known-at T | --known-at-position P] ...`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    data: DataDir,
    /// The business date: documents dated after it do not exist, ages are
    /// measured to it (default: today, UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    as_of: Option<NaiveDate>,
    /// Only what the ledger had recorded by this moment (RFC 3339).
    #[arg(long, value_name = "T", conflicts_with = "known_at_position")]
    known_at: Option<DateTime<Utc>>,
    /// Only the log up to this position.
    #[arg(long, value_name = "P")]
    known_at_position: Option<u64>,
    /// What the days count from.
    #[arg(long, value_enum, default_value = "due-date")]
    basis: Basis,
    /// What the rows are.
    #[arg(long, value_enum, default_value = "customer")]
    group_by: Group,
    /// Upper bounds of the buckets, in days.
    #[arg(
        long,
        value_name = "DAYS",
        value_delimiter = ',',
        default_value = "30,60,90,120"
    )]
    buckets: Vec<u32>,
    /// Only this currency (ISO 4217 code).
    #[arg(long, value_name = "CODE")]
    currency: Option<String>,
    /// The receivable items of one customer instead of the report.
    #[arg(long, value_name = "UUID")]
    customer: Option<uuid::Uuid>,
    /// How to print it.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum Basis {
    DueDate,
    InvoiceDate,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum Group {
    Customer,
    Region,
    Salesperson,
    Currency,
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let ledger = shared::open_ledger(&args.data.path)?;
    let point = resolve_point(&ledger, args.known_at, args.known_at_position)?;
    let receivables = caught_up(&ledger, point.position)?;
    let query = query(args, point.position)?;
    let state = receivables.read();
    match args.customer {
        Some(customer) => {
            let items = state.items(&query, CustomerId(customer))?;
            aging_format::print_items(&items, &query, &point, args.format)?;
        }
        None => {
            let report = state.aging(&query)?;
            aging_format::print_report(&report, &point, args.format)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The query the arguments ask for at `position`.
fn query(args: &Args, position: u64) -> anyhow::Result<AgingQuery> {
    #[allow(clippy::disallowed_methods)] // a binary may read the wall clock
    let today = Utc::now().date_naive();
    let mut query = AgingQuery::new(args.as_of.unwrap_or(today), position);
    query.basis = match args.basis {
        Basis::DueDate => AgingBasis::DueDate,
        Basis::InvoiceDate => AgingBasis::InvoiceDate,
    };
    query.group_by = match args.group_by {
        Group::Customer => AgingGroup::Customer,
        Group::Region => AgingGroup::Region,
        Group::Salesperson => AgingGroup::Salesperson,
        Group::Currency => AgingGroup::Currency,
    };
    query.bucket_days.clone_from(&args.buckets);
    query.currency = match &args.currency {
        Some(code) => Some(Currency::parse(code).context("--currency")?),
        None => None,
    };
    Ok(query)
}

/// The receivables projection, caught up to `position` (with a progress
/// bar while it catches up from its stored checkpoint).
fn caught_up(ledger: &Ledger, position: u64) -> anyhow::Result<Handle<Receivables>> {
    let mut builder = Engine::builder(ledger);
    let receivables = builder.add::<Receivables>()?;
    let engine = builder.start()?;
    let mut bar = shared::Progress::start("aging");
    let deadline = std::time::Instant::now() + CATCH_UP_MAX;
    loop {
        bar.update(engine.applied(), position);
        match engine.wait_for(position, Duration::from_millis(200)) {
            Ok(()) => break,
            Err(EngineError::Behind { .. }) if std::time::Instant::now() < deadline => {}
            Err(e) => return Err(anyhow!(e)),
        }
    }
    bar.finish();
    // Dropping the engine stores the projection's state with its
    // checkpoint: the next command starts from there.
    drop(engine);
    Ok(receivables)
}

/// For the format module: the point's description.
pub fn describe(point: &Point) -> String {
    format!("position {} (hash {})", point.position, point.hash_hex())
}
