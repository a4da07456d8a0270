//! What the commands share: the data directory and how opening it fails,
//! the `--from`/`--to` range, progress bars, logs and exit codes.

use std::fmt;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow};
use arledger_core::clock::Clock;
use arledger_core::log::{Ledger, LedgerOptions, OpenError, StoreError};
use arledger_replay::range::PositionRange;
use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Where the ledger's files are (`--data`).
#[derive(clap::Args, Debug)]
pub struct DataDir {
    /// The ledger's data directory.
    #[arg(long = "data", value_name = "DIR", default_value = "./arledger-data")]
    pub path: PathBuf,
}

/// Which positions (`--from`, `--to`).
#[derive(clap::Args, Debug)]
pub struct Range {
    /// First position (default: 1).
    #[arg(long, value_name = "P")]
    pub from: Option<u64>,
    /// Last position (default: the log's head).
    #[arg(long, value_name = "P")]
    pub to: Option<u64>,
}

impl Range {
    /// The range as the replay crate takes it.
    pub fn positions(&self) -> PositionRange {
        PositionRange {
            from: self.from,
            to: self.to,
        }
    }
}

/// An error saying the log itself is damaged at a position: exit status 1
/// instead of 2.
#[derive(Debug)]
pub struct Damaged(pub String);

impl fmt::Display for Damaged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Damaged {}

/// Status 1 for a damaged log, 2 for anything else that stopped a command.
pub const EXIT_DAMAGED: u8 = 1;
/// See [`EXIT_DAMAGED`].
pub const EXIT_FAILED: u8 = 2;

/// A command's result as the process's exit status; an error is printed
/// as one line on stderr.
pub fn exit_code(result: anyhow::Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("arledger: {error:#}");
            if error.downcast_ref::<Damaged>().is_some() {
                ExitCode::from(EXIT_DAMAGED)
            } else {
                ExitCode::from(EXIT_FAILED)
            }
        }
    }
}

/// Logs to stderr: what `RUST_LOG` asks for, else `default` ("off" for
/// the one-shot commands, whose failures already end in one line saying
/// what went wrong; "info" for the server).
pub fn init_tracing(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// The wall clock: binaries may read it; it stamps `recorded_at`.
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The wall clock, or a day's business moment while a demo is filled as of
/// its dates (so that "as known at" a past moment answers as a company's
/// books would have).
#[derive(Default)]
pub struct PacedClock {
    at: std::sync::Mutex<Option<DateTime<Utc>>>,
}

/// When a paced day's events are recorded: 10:00 UTC, 18:00 in Beijing.
const PACED_HOUR: u32 = 10;

impl PacedClock {
    /// From now on, `date` at [`PACED_HOUR`] UTC (never past the wall
    /// clock).
    pub fn set_day(&self, date: chrono::NaiveDate) {
        let at = date
            .and_hms_opt(PACED_HOUR, 0, 0)
            .map(|t| t.and_utc().min(SystemClock.now()));
        *self.at.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }

    /// Back to the wall clock.
    pub fn follow_wall(&self) {
        *self.at.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

impl Clock for PacedClock {
    fn now(&self) -> DateTime<Utc> {
        let at = *self.at.lock().unwrap_or_else(|e| e.into_inner());
        at.unwrap_or_else(|| SystemClock.now())
    }
}

/// Options for opening an existing ledger to read it.
pub fn ledger_options() -> LedgerOptions {
    LedgerOptions::new(Arc::new(SystemClock))
}

/// Refuses a data directory that does not exist, or is empty: sled would
/// create an empty ledger there, and an audit of nothing would pass.
pub fn existing_dir(dir: &Path) -> anyhow::Result<()> {
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {
            let mut entries =
                std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
            match entries.next() {
                Some(_) => Ok(()),
                None => Err(anyhow!(
                    "no ledger at {}: the directory is empty",
                    dir.display()
                )),
            }
        }
        Ok(_) => Err(anyhow!("{} is not a directory", dir.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(anyhow!(
            "no ledger at {}: the directory does not exist (give the data directory with --data DIR)",
            dir.display()
        )),
        Err(e) => Err(anyhow!("cannot read {}: {e}", dir.display())),
    }
}

/// Opens the ledger in `dir` (which must exist) to read it.
pub fn open_ledger(dir: &Path) -> anyhow::Result<Ledger> {
    existing_dir(dir)?;
    tracing::info!(dir = %dir.display(), "opening the ledger");
    Ledger::open(dir, ledger_options()).map_err(|e| open_error(dir, e))
}

/// One line saying why `dir` could not be opened.
pub fn open_error(dir: &Path, error: OpenError) -> anyhow::Error {
    match error {
        OpenError::Corrupt { position, reason } => anyhow::Error::new(Damaged(format!(
            "the log in {} is damaged at position {position}: {reason}",
            dir.display()
        ))),
        OpenError::Store(StoreError::Sled(e))
            if e.to_string().contains("could not acquire lock") =>
        {
            anyhow!(
                "the data directory {} is in use by another process (it holds sled's lock): stop it, or work on a copy",
                dir.display()
            )
        }
        // sled's own checksums failed somewhere it cannot place in the log.
        OpenError::Store(StoreError::Sled(e)) if e.to_string().contains("corrupted data") => {
            anyhow::Error::new(Damaged(format!(
                "the ledger's storage in {} is damaged (sled found corrupt data and names no position): {e}",
                dir.display()
            )))
        }
        other => anyhow!("cannot open the ledger in {}: {other}", dir.display()),
    }
}

/// Progress on stderr, hidden when stderr is not a terminal (a pipe, a
/// log file, a test): a spinner while the ledger opens (it checks every
/// record first), then a bar of events once the range is known.
pub struct Progress {
    bar: ProgressBar,
    what: &'static str,
    counting: bool,
}

impl Progress {
    /// Starts the spinner.
    pub fn start(what: &'static str) -> Progress {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(None, target);
        bar.set_message(format!("{what}: opening the ledger"));
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress {
            bar,
            what,
            counting: false,
        }
    }

    /// `done` of `total` events.
    pub fn update(&mut self, done: u64, total: u64) {
        if !self.counting {
            let template = "{msg} {wide_bar} {pos}/{len} events ({per_sec}, {eta} left)";
            let style = ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            self.bar.set_style(style);
            self.bar.set_message(self.what);
            self.counting = true;
        }
        self.bar.set_length(total);
        self.bar.set_position(done);
    }

    /// Clears it, before the result is printed.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for Progress {
    /// Cleared on every way out, errors included.
    fn drop(&mut self) {
        self.finish();
    }
}
