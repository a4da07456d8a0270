//! `arledger`: the ledger's command-line entry point.
//!
//! One subcommand per module: a new command is one variant of [`Command`]
//! and one module with its `Args` and `run`; what commands share (the data
//! directory, ranges, progress bars, exit codes) is in [`shared`].
//!
//! Exit status: 0 when the command did what it was asked; 1 when the log
//! is damaged (a position is named); 2 when the command could not run
//! (bad arguments, a missing or busy data directory, a failed write).

mod aging;
mod aging_format;
mod alerts_cmd;
mod dso_cmd;
mod epcis_cmd;
mod export;
mod exposure_cmd;
mod fixtures_cmd;
mod import_cmd;
mod report_format;
mod serve;
mod shared;
mod token;
mod trace_cmd;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc, as in the benchmarks: the ledger's threads free what others
/// allocated, which glibc's allocator handles poorly.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// arledger: an event-sourced receivables ledger with a SHA-256
/// hash-chained log.
#[derive(Parser)]
#[command(name = "arledger", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check the log's CRCs and SHA-256 chain over a range of positions.
    Verify(verify::Args),
    /// Write the events of a range as JSON lines, with their canonical
    /// bytes and hashes (check them with tools/verify_export.py).
    Export(export::Args),
    /// The aging report at a business date, as known at a moment or
    /// position (or a customer's receivable items).
    Aging(aging::Args),
    /// DSO and the collection ratios (countback, best possible, average
    /// days delinquent, CEI) in a currency, or their monthly trend.
    Dso(dso_cmd::Args),
    /// Credit exposure: one customer's, or every customer's (at or over a
    /// utilization), highest utilization first.
    Exposure(exposure_cmd::Args),
    /// The collections alerts at a business date, highest level first.
    Alerts(alerts_cmd::Args),
    /// Traceability chains as known at any point: a lot's (or serial's)
    /// shipments, a UDI's, what a customer received, a recall's consignees.
    Trace(trace_cmd::Args),
    /// A lot's or a recall's chain as a GS1 EPCIS 2.0 JSON-LD document.
    #[command(name = "export-epcis")]
    ExportEpcis(epcis_cmd::Args),
    /// The GraphQL server (with --demo: a demo company and a token per role).
    Serve(serve::Args),
    /// Append the commands of a JSON-lines file (or - for standard input),
    /// reporting every line refused or malformed; safe to run again.
    Import(import_cmd::Args),
    /// Make, list and revoke API tokens (only salted hashes are kept).
    Token(token::Args),
    /// Fill an empty ledger with a generated company (deterministic from
    /// --seed).
    Fixtures(fixtures_cmd::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    shared::init_tracing(match cli.command {
        Command::Serve(_) => "info,sled=warn",
        _ => "off",
    });
    let result = match cli.command {
        Command::Verify(args) => verify::run(&args),
        Command::Export(args) => export::run(&args),
        Command::Aging(args) => aging::run(&args),
        Command::Dso(args) => dso_cmd::run(&args),
        Command::Exposure(args) => exposure_cmd::run(&args),
        Command::Alerts(args) => alerts_cmd::run(&args),
        Command::Trace(args) => trace_cmd::run(&args),
        Command::ExportEpcis(args) => epcis_cmd::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Import(args) => import_cmd::run(&args),
        Command::Token(args) => token::run(&args),
        Command::Fixtures(args) => fixtures_cmd::run(&args),
    };
    shared::exit_code(result)
}
