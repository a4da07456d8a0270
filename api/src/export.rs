//! `arledger export`: the events of a range as JSON lines
//! (`arledger_replay::export`), on stdout or into a file.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use arledger_replay::export::{self, ExportError, Exported};
use arledger_replay::verify::damaged_at;

use crate::shared::{self, Damaged, DataDir, Progress, Range};

/// `arledger export [--data DIR] [--from P] [--to P] [--out FILE]`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    data: DataDir,
    #[command(flatten)]
    range: Range,
    /// Write the lines into FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let dir = &args.data.path;
    let mut bar = shared::Progress::start("exporting");
    let ledger = shared::open_ledger(dir)?;
    let exported = match &args.out {
        None => write_lines(&ledger, args, &mut std::io::stdout().lock(), &mut bar),
        Some(path) => into_file(&ledger, args, path, &mut bar),
    }?;
    bar.finish();
    let what = match exported.range {
        Some((from, to)) => format!("positions {from} to {to}"),
        None => "the log is empty".to_string(),
    };
    let whither = match &args.out {
        Some(path) => path.display().to_string(),
        None => "stdout".to_string(),
    };
    eprintln!("exported {} events ({what}) to {whither}", exported.lines);
    Ok(ExitCode::SUCCESS)
}

/// Exports into `path`; a partial file is removed, so that no file is
/// taken for a whole export.
fn into_file(
    ledger: &arledger_core::log::Ledger,
    args: &Args,
    path: &Path,
    bar: &mut Progress,
) -> anyhow::Result<Exported> {
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut out = BufWriter::new(file);
    let exported = write_lines(ledger, args, &mut out, bar).and_then(|exported| {
        out.into_inner()
            .map_err(|e| anyhow::Error::new(e.into_error()))
            .and_then(|file| Ok(file.sync_all()?))
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(exported)
    });
    if exported.is_err() {
        let _ = std::fs::remove_file(path);
    }
    exported
}

/// The export proper, with a progress bar.
fn write_lines(
    ledger: &arledger_core::log::Ledger,
    args: &Args,
    out: &mut dyn Write,
    bar: &mut Progress,
) -> anyhow::Result<Exported> {
    let mut progress = |done: u64, total: u64| bar.update(done, total);
    let result = export::export(ledger, &args.range.positions(), out, &mut progress);
    result.map_err(|e| match e {
        ExportError::Log(log) => match damaged_at(&log) {
            Some(bad) => anyhow::Error::new(Damaged(format!(
                "the log is damaged at position {}: {}",
                bad.position, bad.reason
            ))),
            None => anyhow::Error::new(log),
        },
        other => anyhow::Error::new(other),
    })
}
