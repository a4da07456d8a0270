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
mod export;
mod serve;
mod shared;
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
    /// The GraphQL server (with --demo: a demo company and a token per role).
    Serve(serve::Args),
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
        Command::Serve(args) => serve::run(&args),
    };
    shared::exit_code(result)
}
