//! `arledger fixtures --events N --seed S [--data DIR]`: fills a new
//! ledger with a generated company (`arledger_fixtures::populate`, through
//! the bulk path) and prints what it holds: events, per type, and the
//! business dates they span.
//!
//! Only an empty ledger is filled: the directory is created when missing,
//! and a ledger that already holds events is refused (exit 2) and left as
//! it is. A fixture is a whole simulated history; appended after other
//! events it would be refused part way (its customers and documents
//! clash, or its credit checks decide otherwise), leaving half of it
//! behind. The same `--events` and `--seed` give the same ledger, byte for
//! byte apart from recording times.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, anyhow, bail};
use arledger_core::log::Ledger;
use arledger_fixtures::{FixtureConfig, PopulateSummary, populate};

use crate::shared::{self, DataDir};

/// `arledger fixtures` arguments.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// How many events to generate (generation stops at the first command
    /// that reaches it; its events may take the total a little past it).
    #[arg(long, value_name = "N")]
    events: u64,
    /// The seed of every choice and id.
    #[arg(long, value_name = "S")]
    seed: u64,
    #[command(flatten)]
    data: DataDir,
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let config = FixtureConfig::new(args.seed, args.events);
    config.validate()?;
    let dir = &args.data.path;
    let ledger = open_empty(dir)?;
    let mut bar = shared::Progress::start("fixtures");
    let started = Instant::now();
    let summary = populate(&ledger, &config, |done| {
        bar.update(done, config.events.max(done))
    });
    let elapsed = started.elapsed();
    bar.finish();
    let summary = summary.with_context(|| format!("filling the ledger in {}", dir.display()))?;
    let head = ledger.head();
    drop(ledger);
    print_summary(&config, &summary, head.position, &head.hash, elapsed);
    Ok(ExitCode::SUCCESS)
}

/// Opens the ledger in `dir` (creating the directory if missing) and
/// checks that it holds nothing yet.
fn open_empty(dir: &Path) -> anyhow::Result<Ledger> {
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => bail!("{} is not a directory", dir.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the data directory {}", dir.display()))?,
        Err(e) => bail!("cannot use {}: {e}", dir.display()),
    }
    let spinner = shared::Progress::start("fixtures");
    let ledger =
        Ledger::open(dir, shared::ledger_options()).map_err(|e| shared::open_error(dir, e));
    spinner.finish();
    let ledger = ledger?;
    let head = ledger.head().position;
    if head > 0 {
        return Err(anyhow!(
            "the ledger in {} already holds {head} events: fixtures fills only an empty ledger (give a new directory with --data DIR); nothing was appended",
            dir.display()
        ));
    }
    Ok(ledger)
}

/// What the ledger holds now, on stdout.
fn print_summary(
    config: &FixtureConfig,
    summary: &PopulateSummary,
    head: u64,
    hash: &[u8; 32],
    elapsed: std::time::Duration,
) {
    let millis = elapsed.as_millis().max(1);
    let rate = u128::from(summary.events_appended) * 1_000 / millis;
    println!(
        "appended {} events ({} commands, {} customers, seed {}) in {millis} ms ({rate} events/s)",
        summary.events_appended,
        summary.commands,
        config.customers(),
        config.seed
    );
    println!(
        "business dates {} to {}",
        config.start, summary.last_business_date
    );
    println!("head: position {head}, hash {}", hex::encode(hash));
    println!("events by type:");
    let width = summary
        .events_by_type
        .keys()
        .map(|name| name.len())
        .max()
        .unwrap_or(0);
    for (name, count) in summary.events_by_type.iter().filter(|(_, n)| **n > 0) {
        println!("  {name:<width$}  {count}");
    }
}
