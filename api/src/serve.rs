//! `arledger serve [--data DIR] [--listen ADDR] [--demo]`: the GraphQL
//! server. It binds its address first (a port in use is said at once),
//! opens the ledger (checking it; a corrupt log is refused with its
//! position), with `--demo` fills an empty ledger from the fixture
//! generator and prints a token per role, lets the read models catch up,
//! then serves until Ctrl-C or SIGTERM: requests in flight are answered,
//! the read models store their state, the ledger flushes and closes.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow};
use arledger::auth::{self, ADMIN_TOKEN_ENV, TokenStore};
use arledger::server::limits::Limits;
use arledger::server::router;
use arledger::server::state::{AppState, Parts, start_read_models};
use arledger::settings::{self, Settings};
use arledger_core::domain::Role;
use arledger_core::log::Ledger;
use arledger_fixtures::{FixtureConfig, populate_dated};
use chrono::{SecondsFormat, Utc};

use crate::shared::{self, DataDir, PacedClock, SystemClock};

/// `arledger serve` arguments.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    data: DataDir,
    /// Where to listen.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Fill an empty ledger with a demo company and print a token per role.
    #[arg(long)]
    demo: bool,
    /// The settings file (TOML; default `<data>/settings.toml` when it
    /// exists): the collections rules' thresholds, offsets and roles.
    #[arg(long, value_name = "FILE")]
    settings: Option<std::path::PathBuf>,
    #[command(flatten)]
    limits: LimitArgs,
}

/// The limits of requests (defaults: `Limits::default()`).
#[derive(clap::Args, Debug)]
struct LimitArgs {
    /// Largest request body, in bytes.
    #[arg(long, default_value_t = Limits::default().body_bytes_max)]
    body_bytes_max: usize,
    /// Deepest query nesting.
    #[arg(long, default_value_t = Limits::default().query_depth_max)]
    query_depth_max: usize,
    /// Largest query complexity (a report costs 100).
    #[arg(long, default_value_t = Limits::default().query_complexity_max)]
    query_complexity_max: usize,
    /// Largest page of a paged query (`first`).
    #[arg(long, default_value_t = Limits::default().page_size_max)]
    page_size_max: usize,
    /// Longest a request may run, in seconds.
    #[arg(long, default_value_t = Limits::default().request_timeout.as_secs())]
    request_timeout_secs: u64,
    /// Requests per second one token may make.
    #[arg(long, default_value_t = Limits::default().requests_per_second_per_token)]
    requests_per_second: u32,
    /// Most open WebSocket connections.
    #[arg(long, default_value_t = Limits::default().websocket_connections_max)]
    websocket_connections_max: usize,
    /// Most subscriptions on one WebSocket connection.
    #[arg(long, default_value_t = Limits::default().subscriptions_per_connection_max)]
    subscriptions_per_connection_max: usize,
    /// Most subscriptions open in the server.
    #[arg(long, default_value_t = Limits::default().subscriptions_max)]
    subscriptions_max: usize,
    /// Longest a query waits for the read models, in milliseconds, before
    /// PROJECTION_LAG.
    #[arg(long, default_value_t = 5_000)]
    projection_wait_ms: u64,
}

impl LimitArgs {
    fn limits(&self) -> Limits {
        Limits {
            body_bytes_max: self.body_bytes_max,
            query_depth_max: self.query_depth_max,
            query_complexity_max: self.query_complexity_max,
            page_size_max: self.page_size_max,
            request_timeout: Duration::from_secs(self.request_timeout_secs),
            requests_per_second_per_token: self.requests_per_second,
            websocket_connections_max: self.websocket_connections_max,
            subscriptions_per_connection_max: self.subscriptions_per_connection_max,
            subscriptions_max: self.subscriptions_max,
            projection_wait: Duration::from_millis(self.projection_wait_ms),
            alerts_day_check: Limits::default().alerts_day_check,
        }
    }
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(args))?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(args: &Args) -> anyhow::Result<()> {
    let dir = args.data.path.clone();
    usable_dir(&dir)?;
    let settings = settings::load(args.settings.as_deref(), &dir)?;
    let listener = tokio::net::TcpListener::bind(args.listen).await.map_err(|e| {
        anyhow!("cannot listen on {}: {e} (is another server running there? choose another with --listen)", args.listen)
    })?;
    let address = listener.local_addr().unwrap_or(args.listen);
    let clock = Arc::new(PacedClock::default());
    let ledger = blocking({
        let clock = Arc::clone(&clock);
        move || open(&dir, clock)
    })
    .await?;
    if args.demo {
        let ledger = ledger.clone();
        blocking(move || demo(&ledger, &clock)).await?;
    }
    let state = Arc::new(
        blocking({
            let (ledger, dir) = (ledger.clone(), args.data.path.clone());
            let limits = args.limits.limits();
            move || start_state(ledger, &dir, limits, settings)
        })
        .await?,
    );
    if args.demo {
        print_demo_tokens(&ledger, &args.data.path)?;
    }
    println!("arledger listening on http://{address} (GraphiQL: http://{address}/graphql)");
    tracing::info!(%address, head = ledger.head().position, "serving");
    axum::serve(listener, router(Arc::clone(&state)))
        .with_graceful_shutdown(shutdown())
        .await
        .context("the server stopped")?;
    tracing::info!("shutting down: storing the read models and closing the ledger");
    drop(state);
    drop(ledger);
    println!("arledger stopped");
    Ok(())
}

/// Runs blocking work (opening, catching up) off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .context("a start-up task failed")?
}

/// A data directory the server can use: an existing directory, or one it
/// may create.
fn usable_dir(dir: &Path) -> anyhow::Result<()> {
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(anyhow!(
            "{} is not a directory: give a data directory with --data DIR",
            dir.display()
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the data directory {}", dir.display())),
        Err(e) => Err(anyhow!("cannot use {}: {e}", dir.display())),
    }
}

/// Opens the ledger (checking every record), with a spinner.
fn open(dir: &Path, clock: Arc<PacedClock>) -> anyhow::Result<Ledger> {
    let progress = shared::Progress::start("serve");
    let options = arledger_core::log::LedgerOptions::new(clock);
    let ledger = Ledger::open(dir, options).map_err(|e| shared::open_error(dir, e));
    progress.finish();
    let ledger = ledger?;
    tracing::info!(head = ledger.head().position, "ledger opened");
    Ok(ledger)
}

/// Fills an empty ledger with the demo company; says so when it is not.
fn demo(ledger: &Ledger, clock: &PacedClock) -> anyhow::Result<()> {
    let head = ledger.head().position;
    if head > 0 {
        println!(
            "the ledger already holds {head} events: serving it as it is (no demo data added)"
        );
        return Ok(());
    }
    let config = FixtureConfig::demo();
    let mut progress = shared::Progress::start("demo");
    // Each day's events recorded on that day, so that the demo answers
    // "as known at" a past moment; then the wall clock again.
    let summary = populate_dated(
        ledger,
        &config,
        |done| progress.update(done, config.events),
        |date| clock.set_day(date),
    );
    clock.follow_wall();
    let summary = summary.context("filling the demo ledger")?;
    progress.finish();
    println!(
        "demo ledger: {} events of a medical-device company, {} to {}, each recorded on its business day",
        summary.events_appended,
        config.start,
        config.end()
    );
    Ok(())
}

/// The read models caught up, the tokens and the limits.
fn start_state(
    ledger: Ledger,
    dir: &Path,
    limits: Limits,
    settings: Settings,
) -> anyhow::Result<AppState> {
    let mut progress = shared::Progress::start("read models");
    let read_models = start_read_models(&ledger, |applied, head| progress.update(applied, head))?;
    progress.finish();
    let state = AppState::new(Parts {
        tokens: TokenStore::new(dir, std::env::var(ADMIN_TOKEN_ENV).ok()),
        limits,
        clock: Arc::new(SystemClock),
        ledger,
        read_models,
        alert_settings: settings.alerts,
    })
    .context("cannot start the server's threads")?;
    Ok(state)
}

/// Mints a token per role for the demo (replacing the last demo's) and
/// prints them. The sales token is one of the demo's salespeople.
fn print_demo_tokens(ledger: &Ledger, dir: &Path) -> anyhow::Result<()> {
    let salesperson = ledger.with_model(|m| {
        let mut people: Vec<&str> = m
            .customers
            .values()
            .map(|c| c.salesperson_id.as_str())
            .collect();
        people.sort_unstable();
        people.first().map(|s| s.to_string())
    });
    #[allow(clippy::disallowed_methods)] // a binary may read the wall clock
    let now = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let minted: Vec<_> = Role::ALL
        .into_iter()
        .map(|role| {
            let user = match (role, &salesperson) {
                (Role::Sales, Some(person)) => person.clone(),
                _ => format!("demo-{}", role.name().replace('_', "-")),
            };
            let (token, mut entry) = auth::mint(&user, role, Vec::new(), &now);
            entry.demo = true;
            (role, user, token, entry)
        })
        .collect();
    auth::update_tokens(&auth::tokens_path(dir), |stored| {
        stored.retain(|t| !t.demo);
        stored.extend(minted.iter().map(|(.., entry)| entry.clone()));
    })?;
    println!("demo tokens (send as Authorization: Bearer <token>):");
    for (role, user, token, _) in &minted {
        println!("  {:<16} {token}   (user {user})", role.name());
    }
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    println!("shutting down: answering the requests in flight");
}
