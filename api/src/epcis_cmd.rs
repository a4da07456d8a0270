//! `arledger export-epcis`: a lot's or a recall's chain as a GS1 EPCIS 2.0
//! JSON-LD document (traceability.md "EPCIS 2.0 export"), as known at
//! `--known-at` (a moment) or `--known-at-position`, or now; pretty JSON
//! on stdout or in `--out FILE`.
//!
//! The lot is `--lot G/L` (the GTIN, a slash, the lot: a GTIN has digits
//! only, so the first slash ends it) or `--gtin G --lot L`; a recall is
//! `--recall ID`. The document's `creationDate` is when the ledger
//! recorded the position it is taken at (the epoch for an empty ledger),
//! so the same chain at the same position exports the same bytes.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use arledger_core::domain::types::Gtin;
use arledger_core::ids::RecallId;

use crate::trace_cmd::{self, PointArgs, gtin_arg, unknown_lot, unknown_recall};

/// `arledger export-epcis (--lot G/L | --gtin G --lot L | --recall ID) ...`.
#[derive(clap::Args, Debug)]
#[command(group(
    clap::ArgGroup::new("chain").required(true).args(["lot", "recall"])
))]
pub struct Args {
    /// The lot: `G/L`, or `L` with --gtin.
    #[arg(long, value_name = "G/L | L")]
    lot: Option<String>,
    /// The product's GTIN (with --lot L).
    #[arg(long, value_name = "G", requires = "lot")]
    gtin: Option<String>,
    /// A recall's chain instead of a lot's.
    #[arg(long, value_name = "UUID", conflicts_with_all = ["lot", "gtin"])]
    recall: Option<uuid::Uuid>,
    #[command(flatten)]
    point: PointArgs,
    /// Where to write the document (default: standard output).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Which chain.
enum Chain {
    Lot(Gtin, String),
    Recall(RecallId),
}

/// The chain the arguments name.
fn chain(args: &Args) -> anyhow::Result<Chain> {
    match (&args.recall, &args.gtin, &args.lot) {
        (Some(recall), _, _) => Ok(Chain::Recall(RecallId(*recall))),
        (None, Some(gtin), Some(lot)) => Ok(Chain::Lot(gtin_arg(gtin)?, lot.clone())),
        (None, None, Some(both)) => {
            let (gtin, lot) = both.split_once('/').ok_or_else(|| {
                anyhow!("--lot {both:?}: give the GTIN and the lot as G/L, or the GTIN with --gtin")
            })?;
            if lot.is_empty() {
                return Err(anyhow!("--lot {both:?}: the lot after the slash is empty"));
            }
            Ok(Chain::Lot(gtin_arg(gtin)?, lot.to_string()))
        }
        (None, _, None) => Err(anyhow!("give --lot G/L, --gtin G --lot L, or --recall ID")),
    }
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let chain = chain(args)?;
    let (ledger, point, models) = trace_cmd::open_at(&args.point, "export-epcis")?;
    let created = arledger_replay::recorded_at(&ledger, point.position)
        .with_context(|| format!("reading the event at position {}", point.position))?;
    let trace = models.trace.read();
    let document = match &chain {
        Chain::Lot(gtin, lot) => trace
            .lot_epcis(gtin, lot, point.position, created)
            .ok_or_else(|| unknown_lot(gtin, lot, &point))?,
        Chain::Recall(recall) => trace
            .recall_epcis(*recall, point.position, created)
            .ok_or_else(|| unknown_recall(&trace, *recall, &point))?,
    };
    drop(trace);
    let mut text = serde_json::to_string_pretty(&document)?;
    text.push('\n');
    match &args.out {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => {
            let out = &mut std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
