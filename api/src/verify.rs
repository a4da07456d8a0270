//! `arledger verify`: checks the CRCs and the SHA-256 chain over a range
//! of positions (`arledger_replay::verify`); prints how many events were
//! checked and the first bad position with its reason. Exit status 0 only
//! when everything asked for verifies; 1 when a position is bad.

use std::process::ExitCode;

use arledger_replay::verify::{self, Report, VerifyError};

use crate::shared::{self, DataDir, EXIT_DAMAGED, Range};

/// `arledger verify [--data DIR] [--from P] [--to P]`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    data: DataDir,
    #[command(flatten)]
    range: Range,
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let dir = &args.data.path;
    shared::existing_dir(dir)?;
    let mut bar = shared::Progress::start("verifying");
    let mut progress = |done: u64, total: u64| bar.update(done, total);
    let report = verify::open_and_check(
        dir,
        shared::ledger_options(),
        &args.range.positions(),
        &mut progress,
    );
    bar.finish();
    let report = match report {
        Ok(report) => report,
        Err(VerifyError::Open(e)) => return Err(shared::open_error(dir, e)),
        Err(other) => return Err(other.into()),
    };
    print_report(&report);
    Ok(if report.verified() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_DAMAGED)
    })
}

/// The result on stdout: the count and range checked, the last hash (to
/// compare with one obtained independently) or the first bad position.
fn print_report(report: &Report) {
    let range = match &report.range {
        Some(r) => format!(" of positions {} to {}", r.start(), r.end()),
        None => String::new(),
    };
    println!("checked {} events{range}", report.checked);
    if let Some((position, hash)) = report.last_hash {
        println!("hash({position}) = {}", hex::encode(hash));
    }
    match &report.first_bad {
        None => println!("ok: the CRCs and the SHA-256 chain hold"),
        Some(bad) => println!("first bad position {}: {}", bad.position, bad.reason),
    }
}
