//! `api`: the GraphQL server as its clients see it. The real server (the
//! `arledger` library's router, served by `axum::serve` on a loopback TCP
//! port, on a multi-threaded tokio runtime of its own as `arledger serve`
//! runs it, its state assembled as `serve`'s `start_state` does) over a
//! fixture ledger built through the bulk path, driven by 64 HTTP/1.1
//! keep-alive connections of a hyper client on another tokio runtime
//! (`--client-threads`, one worker by default) in the same process. In
//! process rather than a separate one: on the 2-core host a client process
//! would compete for the same two cores anyway, and here one read of
//! `/proc` tells the server's threads' CPU from the client's (the
//! `…_cpu_us_per_request` figures). Measured on the demo ledger and on one
//! of `--events` events, each in the same run:
//!
//! - `{ ledgerHead { position } }` per second: the HTTP stack and the
//!   GraphQL executor alone, the base the others are compared with;
//! - `aging` (default arguments: today, everything known, the full
//!   report) latency alone, one request after another on one connection,
//!   and the same report with only its totals selected (the read model
//!   and the round trip without the rows' GraphQL values and JSON);
//! - `receivePayment` per second, each a new command acknowledged once
//!   durable (the ledger's group commit gathers the 64 connections'
//!   commands into shared commits);
//! - `aging` latency on a 65th connection while the 64 others send
//!   commands, then alone again on the ledger those commands grew (every
//!   payment stays on account, which aging sums);
//! - the CPU each kind of thread spends per request.
//!
//! Then, on the large ledger with the server stopped, importing a
//! JSON-lines file of `receivePayment` commands through the bulk path
//! (`arledger::import::import`), then the same file again (every line a
//! duplicate).

use std::io::{BufWriter, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use arledger::auth::TokenStore;
use arledger::server::limits::Limits;
use arledger::server::router;
use arledger::server::state::{AppState, Parts, start_read_models};
use arledger_core::domain::Actor;
use arledger_core::ids::CustomerId;
use arledger_core::log::{Ledger, LedgerOptions};
use arledger_fixtures::{FixtureConfig, populate};
use arledger_projections::alerts::AlertSettings;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use rust_decimal::Decimal;
use tokio::runtime::Runtime;
use uuid::Uuid;

use crate::{SystemClock, bench, rate, stat_cpu};

/// `api` arguments.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Events in the large ledger (the demo ledger is measured too).
    #[arg(long, default_value_t = 1_000_000)]
    events: u64,
    /// The large ledger's fixture seed.
    #[arg(long, default_value_t = 20_251_201)]
    seed: u64,
    /// Seconds each throughput phase is measured, after a second of
    /// warm-up.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Concurrent HTTP connections.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Worker threads of the client's runtime.
    #[arg(long, default_value_t = 1)]
    client_threads: usize,
    /// Commands in the import file (0: no import figure).
    #[arg(long, default_value_t = 1_000_000)]
    import_commands: usize,
    /// Measure the large ledger only.
    #[arg(long)]
    skip_demo: bool,
    /// The phases run on each ledger, in this order.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = Phase::ALL)]
    phases: Vec<Phase>,
    /// Aging requests timed alone, one after another.
    #[arg(long, default_value_t = 100)]
    aging_requests: usize,
}

/// A phase of the benchmark on one ledger.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// `ledgerHead` per second.
    Trivial,
    /// Aging alone, one request after another.
    Aging,
    /// `receivePayment` per second.
    Commands,
    /// Aging on one connection while the others send commands.
    Load,
}

impl Phase {
    const ALL: [Phase; 4] = [Phase::Trivial, Phase::Aging, Phase::Commands, Phase::Load];
}

/// A rate limit no benchmark reaches (requests per second per token).
const RATE_UNLIMITED: u32 = 1_000_000_000;
/// Warm-up before each throughput phase.
const WARM_UP: Duration = Duration::from_secs(1);
/// The thread name of the server's runtime.
const SERVER_THREADS: &str = "api-server";
/// The thread name of the client's runtime.
const CLIENT_THREADS: &str = "api-client";

/// Runs the benchmark.
pub fn api(args: &Args) -> Result<()> {
    host_load();
    let client = Client::start(args.client_threads)?;
    if !args.skip_demo {
        measure(&client, args, &FixtureConfig::demo(), "demo")?;
    }
    let config = FixtureConfig::new(args.seed, args.events);
    let built = measure(&client, args, &config, &size_label(args.events))?;
    if args.import_commands > 0 {
        import_bench(&built, args.import_commands)?;
    }
    host_load();
    Ok(())
}

/// The host's load average over the last minute, as `/proc/loadavg`
/// says it (the machine is shared: figures move with it).
fn host_load() {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    if let Some(last_minute) = load.split_whitespace().next() {
        bench("host_load_avg_1min", last_minute);
    }
}

/// `1m` for 1,000,000 events, `300k`, or the number itself.
fn size_label(events: u64) -> String {
    match events {
        0 => "0".into(),
        e if e % 1_000_000 == 0 => format!("{}m", e / 1_000_000),
        e if e % 1_000 == 0 => format!("{}k", e / 1_000),
        e => e.to_string(),
    }
}

/// A populated ledger in its own directory, and its customers.
struct Built {
    dir: tempfile::TempDir,
    ledger: Ledger,
    customers: Arc<Vec<CustomerId>>,
}

/// Builds the ledger of `config`, serves it and runs every phase on it.
fn measure(client: &Client, args: &Args, config: &FixtureConfig, label: &str) -> Result<Built> {
    eprintln!("api: {label} ledger: building ({} events)", config.events);
    let built = build(config)?;
    bench(
        &format!("graphql_ledger_events_{label}"),
        built.ledger.head().position,
    );
    bench(
        &format!("graphql_ledger_customers_{label}"),
        built.customers.len(),
    );
    let token = format!("bench-{}", Uuid::new_v4());
    let state = Arc::new(app_state(&built, &token)?);
    let server = Server::start(Arc::clone(&state))?;
    let driver = Arc::new(Driver::new(&server.address, &token, &built.customers)?);
    let phases = Phases {
        client,
        ledger: &built.ledger,
        driver,
        args,
        label,
    };
    let measured = phases.run();
    server.stop()?;
    drop(state);
    measured?;
    Ok(built)
}

/// A fresh ledger filled by the fixture generator through the bulk path.
fn build(config: &FixtureConfig) -> Result<Built> {
    let dir = tempfile::tempdir()?;
    let options = LedgerOptions::new(Arc::new(SystemClock));
    let ledger = Ledger::open(dir.path(), options).context("open the ledger")?;
    populate(&ledger, config, |_| {}).context("populate the ledger")?;
    let mut customers: Vec<CustomerId> =
        ledger.with_model(|m| m.customers.keys().copied().collect());
    customers.sort_unstable_by_key(|c| c.0);
    if customers.is_empty() {
        bail!("the fixture registered no customers");
    }
    Ok(Built {
        dir,
        ledger,
        customers: Arc::new(customers),
    })
}

/// The server's state as `arledger serve` assembles it (`start_state`):
/// the read models caught up, an admin token, and a rate limit no
/// benchmark reaches.
fn app_state(built: &Built, token: &str) -> Result<AppState> {
    let ledger = built.ledger.clone();
    let read_models = start_read_models(&ledger, |_, _| {})?;
    let limits = Limits {
        requests_per_second_per_token: RATE_UNLIMITED,
        ..Limits::default()
    };
    Ok(AppState::new(Parts {
        tokens: TokenStore::new(built.dir.path(), Some(token.to_string())),
        limits,
        clock: Arc::new(SystemClock),
        ledger,
        read_models,
        alert_settings: AlertSettings::default(),
    })?)
}

/// The real server on a loopback port, on its own runtime (as many
/// workers as cores, as `arledger serve`).
struct Server {
    runtime: Runtime,
    address: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    served: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    fn start(state: Arc<AppState>) -> Result<Server> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .thread_name(SERVER_THREADS)
            .enable_all()
            .build()?;
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
        let address = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = runtime.spawn(async move {
            axum::serve(listener, router(state))
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        Ok(Server {
            runtime,
            address,
            stop,
            served,
        })
    }

    /// Stops serving and waits for the server's tasks.
    fn stop(self) -> Result<()> {
        let _ = self.stop.send(());
        let served = self
            .runtime
            .block_on(async { tokio::time::timeout(Duration::from_secs(10), self.served).await });
        self.runtime.shutdown_timeout(Duration::from_secs(5));
        served
            .context("the server did not stop")?
            .context("the server's task failed")?
            .context("the server failed")
    }
}

/// The client's runtime, on threads of its own.
struct Client {
    runtime: Runtime,
}

impl Client {
    fn start(threads: usize) -> Result<Client> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .thread_name(CLIENT_THREADS)
            .enable_all()
            .build()?;
        Ok(Client { runtime })
    }
}

/// What a request asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// `{ ledgerHead { position } }`.
    Trivial,
    /// A new `receivePayment`.
    Command,
    /// The full aging report with default arguments.
    Aging,
    /// The same report, only its totals selected: the read model's work
    /// and the HTTP round trip without the rows' GraphQL values and JSON.
    AgingTotals,
}

/// The aging report as a client shows it: every row and total.
const AGING_QUERY: &str = "{ aging { asOfDate knownAtPosition knownAtHash buckets { label } rows { key name currency amounts total unallocated disputed net } totals { currency amounts total unallocated disputed net } } }";
/// The aging report's totals only.
const AGING_TOTALS_QUERY: &str =
    "{ aging { knownAtPosition totals { currency amounts total unallocated disputed net } } }";

/// Sends requests, each connection a keep-alive HTTP/1.1 connection of
/// its own.
struct Driver {
    address: SocketAddr,
    host: String,
    authorization: String,
    customers: Arc<Vec<CustomerId>>,
    /// Distinguishes this run's command and payment ids.
    run: u64,
    /// Requests made so far (numbers each command).
    sent: AtomicU64,
    /// The size of the last response's body.
    last_bytes: AtomicU64,
}

/// One client connection.
type Connection = SendRequest<Full<Bytes>>;

impl Driver {
    fn new(address: &SocketAddr, token: &str, customers: &Arc<Vec<CustomerId>>) -> Result<Driver> {
        Ok(Driver {
            address: *address,
            host: address.to_string(),
            authorization: format!("Bearer {token}"),
            customers: Arc::clone(customers),
            run: Uuid::new_v4().as_u64_pair().0,
            sent: AtomicU64::new(0),
            last_bytes: AtomicU64::new(0),
        })
    }

    /// Opens a connection to the server (its I/O driven by a task of the
    /// client's runtime).
    async fn connect(&self) -> Result<Connection> {
        let stream = tokio::net::TcpStream::connect(self.address).await?;
        stream.set_nodelay(true)?;
        let io = hyper_util::rt::TokioIo::new(stream);
        let (sender, connection) = http1::handshake(io).await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(sender)
    }

    /// The body of the `n`th request of `kind`.
    fn body(&self, kind: Kind, n: u64) -> String {
        match kind {
            Kind::Trivial => r#"{"query":"{ ledgerHead { position } }"}"#.into(),
            Kind::Aging => serde_json::json!({ "query": AGING_QUERY }).to_string(),
            Kind::AgingTotals => serde_json::json!({ "query": AGING_TOTALS_QUERY }).to_string(),
            Kind::Command => self.command_body(n),
        }
    }

    /// A `receivePayment` of a new payment, for a customer spread over
    /// the ledger's customers.
    fn command_body(&self, n: u64) -> String {
        let count = u64::try_from(self.customers.len()).unwrap_or(1).max(1);
        let at = usize::try_from(n.wrapping_mul(2_654_435_761) % count).unwrap_or(0);
        let customer = self.customers[at].0;
        let command = Uuid::from_u64_pair(self.run, n.wrapping_mul(2));
        let payment = Uuid::from_u64_pair(self.run, n.wrapping_mul(2) + 1);
        let amount = format!("{}.{:02}", 100 + n % 9_900, n % 100);
        format!(
            r#"{{"query":"mutation($i: ReceivePaymentInput!) {{ receivePayment(input: $i) {{ position }} }}","variables":{{"i":{{"commandId":"{command}","paymentId":"{payment}","customerId":"{customer}","amount":"{amount}","currency":"CNY","receivedOn":"2026-11-30"}}}}}}"#
        )
    }

    /// One request on `connection`; its latency, or why it failed.
    async fn request(&self, connection: &mut Connection, kind: Kind) -> Result<Duration> {
        let body = self.body(kind, self.sent.fetch_add(1, Ordering::Relaxed));
        let request = hyper::Request::post("/graphql")
            .header(HOST, &self.host)
            .header(AUTHORIZATION, &self.authorization)
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))?;
        let started = Instant::now();
        connection.ready().await?;
        let response = connection.send_request(request).await?;
        let status = response.status();
        let bytes = response.into_body().collect().await?.to_bytes();
        let elapsed = started.elapsed();
        if !status.is_success() || bytes.windows(8).any(|w| w == b"\"errors\"") {
            let shown = &bytes[..bytes.len().min(400)];
            bail!(
                "{kind:?} answered {status}: {}",
                String::from_utf8_lossy(shown)
            );
        }
        self.last_bytes
            .store(u64::try_from(bytes.len())?, Ordering::Relaxed);
        Ok(elapsed)
    }

    /// Requests of `kind` one after another on a connection of their own
    /// until `until`; their latencies.
    async fn connection(self: Arc<Self>, kind: Kind, until: Instant) -> Result<Vec<Duration>> {
        let mut connection = self.connect().await?;
        let mut times = Vec::new();
        while Instant::now() < until {
            times.push(self.request(&mut connection, kind).await?);
        }
        Ok(times)
    }

    /// `connections` connections sending `kind` until `until`; every
    /// latency.
    async fn load(
        self: &Arc<Self>,
        kind: Kind,
        connections: usize,
        until: Instant,
    ) -> Result<Vec<Duration>> {
        let tasks: Vec<_> = (0..connections)
            .map(|_| tokio::spawn(Arc::clone(self).connection(kind, until)))
            .collect();
        let mut times = Vec::new();
        for task in tasks {
            times.extend(task.await??);
        }
        Ok(times)
    }

    /// `count` requests of `kind` one after another on one connection;
    /// their latencies.
    async fn sequential(&self, kind: Kind, count: usize) -> Result<Vec<Duration>> {
        let mut connection = self.connect().await?;
        let mut times = Vec::with_capacity(count);
        for _ in 0..count {
            times.push(self.request(&mut connection, kind).await?);
        }
        Ok(times)
    }
}

/// The phases on one ledger.
struct Phases<'a> {
    client: &'a Client,
    ledger: &'a Ledger,
    driver: Arc<Driver>,
    args: &'a Args,
    label: &'a str,
}

impl Phases<'_> {
    fn run(&self) -> Result<()> {
        let phases = &self.args.phases;
        let mut trivial = None;
        if phases.contains(&Phase::Trivial) {
            self.say("trivial");
            let rate = self.throughput(Kind::Trivial, "trivial")?;
            bench(&self.name("graphql_trivial_per_s"), rate);
            trivial = Some(rate);
        }
        if phases.contains(&Phase::Aging) {
            self.say("aging alone");
            self.aging_alone("")?;
        }
        if phases.contains(&Phase::Commands) {
            self.say("commands");
            let commands = self.throughput(Kind::Command, "commands")?;
            bench(&self.name("graphql_commands_per_s"), commands);
            if let Some(trivial) = trivial {
                let name = self.name("graphql_commands_vs_trivial_ratio");
                bench(&name, ratio(commands, trivial));
            }
        }
        if phases.contains(&Phase::Load) {
            // The commands appended so far grew the ledger (payments left
            // on account): aging alone is timed again on it, after the load.
            let head = self.ledger.head().position;
            bench(&self.name("graphql_ledger_events_at_load"), head);
            self.say("aging under load");
            self.aging_under_load()?;
            self.say("aging alone after the load");
            self.aging_alone("_after_load")?;
        }
        Ok(())
    }

    /// Says on stderr which phase starts (for `perf record -p` to wait
    /// for).
    fn say(&self, phase: &str) {
        eprintln!("api: {} ledger: {phase}", self.label);
    }

    /// `name_<label>`.
    fn name(&self, name: &str) -> String {
        format!("{name}_{}", self.label)
    }

    fn seconds(&self) -> Duration {
        Duration::from_secs(self.args.seconds.max(1))
    }

    /// Requests of `kind` per second on every connection, after a
    /// warm-up; prints the CPU per request of each kind of thread.
    fn throughput(&self, kind: Kind, phase: &str) -> Result<u64> {
        let (driver, connections) = (&self.driver, self.args.connections);
        self.client.runtime.block_on(async {
            driver
                .load(kind, connections, Instant::now() + WARM_UP)
                .await
        })?;
        let before = ThreadCpu::now();
        let started = Instant::now();
        let until = started + self.seconds();
        let times = self
            .client
            .runtime
            .block_on(async { driver.load(kind, connections, until).await })?;
        let elapsed = started.elapsed();
        let requests = u64::try_from(times.len())?;
        let name = self.name(&format!("graphql_{phase}_cpu_us_per_request"));
        bench(
            &name,
            before.per_request(&ThreadCpu::now(), elapsed, requests),
        );
        let latency = self.name(&format!("graphql_{phase}_latency_ms"));
        bench(&latency, percentiles(times));
        Ok(rate(requests, elapsed))
    }

    /// Aging requests one after another, nothing else running: the full
    /// report, then its totals only (figures named with `suffix`).
    fn aging_alone(&self, suffix: &str) -> Result<()> {
        let (driver, count) = (&self.driver, self.args.aging_requests.max(1));
        for (kind, name) in [
            (Kind::Aging, format!("graphql_aging_alone{suffix}")),
            (
                Kind::AgingTotals,
                format!("graphql_aging_totals_only_alone{suffix}"),
            ),
        ] {
            let times = self.client.runtime.block_on(async {
                driver.sequential(kind, 5).await?;
                driver.sequential(kind, count).await
            })?;
            let (p50, p99) = p50_p99(times);
            bench(&self.name(&format!("{name}_ms_p50")), p50);
            bench(&self.name(&format!("{name}_ms_p99")), p99);
            let bytes = driver.last_bytes.load(Ordering::Relaxed);
            bench(&self.name(&format!("{name}_response_bytes")), bytes);
        }
        Ok(())
    }

    /// Aging requests one after another on one more connection while the
    /// others send commands.
    fn aging_under_load(&self) -> Result<()> {
        let (driver, connections) = (&self.driver, self.args.connections);
        let before = ThreadCpu::now();
        let started = Instant::now();
        let until = started + self.seconds();
        let (commands, aging) = self.client.runtime.block_on(async {
            let aging = tokio::spawn(Arc::clone(driver).connection(Kind::Aging, until));
            tokio::join!(driver.load(Kind::Command, connections, until), aging)
        });
        let elapsed = started.elapsed();
        let (commands, aging) = (commands?, aging??);
        let requests = u64::try_from(commands.len() + aging.len())?;
        let name = self.name("graphql_load_cpu_us_per_request");
        bench(
            &name,
            before.per_request(&ThreadCpu::now(), elapsed, requests),
        );
        bench(&self.name("graphql_aging_under_load_requests"), aging.len());
        let (p50, p99) = p50_p99(aging);
        bench(&self.name("graphql_aging_ms_p50"), p50);
        bench(&self.name("graphql_aging_ms_p99"), p99);
        bench(
            &self.name("graphql_commands_per_s_with_aging"),
            rate(u64::try_from(commands.len())?, elapsed),
        );
        Ok(())
    }
}

/// `a / b` with two decimals.
fn ratio(a: u64, b: u64) -> Decimal {
    (Decimal::from(a) / Decimal::from(b.max(1))).round_dp(2)
}

/// Milliseconds with two decimals.
fn millis(duration: Duration) -> Decimal {
    let micros = i64::try_from(duration.as_micros()).unwrap_or(i64::MAX);
    Decimal::new(micros, 3).round_dp(2)
}

/// The median and 99th percentile, in milliseconds.
fn p50_p99(mut times: Vec<Duration>) -> (Decimal, Decimal) {
    times.sort_unstable();
    let at = |permille: usize| {
        let index = (times.len() * permille / 1_000).min(times.len().saturating_sub(1));
        times.get(index).copied().map_or(Decimal::ZERO, millis)
    };
    (at(500), at(990))
}

/// `p50:…,p99:…` in milliseconds.
fn percentiles(times: Vec<Duration>) -> String {
    let (p50, p99) = p50_p99(times);
    format!("p50:{p50},p99:{p99}")
}

/// The kinds of threads whose CPU the benchmark reports, by the name
/// prefix `/proc` shows (15 bytes at most).
const THREAD_KINDS: [(&str, &str); 8] = [
    ("api-server", "server"),
    ("api-client", "client"),
    ("arledger-writer", "writer"),
    ("arledger-framer", "framer"),
    ("arledger-flushe", "flusher"),
    ("sled", "sled"),
    ("arledger-projec", "projections"),
    ("arledger-decode", "projections"),
];

/// CPU time per kind of thread, and of the whole process, at a moment.
struct ThreadCpu {
    kinds: Vec<(&'static str, Duration)>,
    total: Duration,
}

impl ThreadCpu {
    fn now() -> ThreadCpu {
        let mut kinds: Vec<(&'static str, Duration)> = Vec::new();
        let tasks = std::fs::read_dir("/proc/self/task").into_iter().flatten();
        for task in tasks.filter_map(|t| t.ok()) {
            let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
            let name = stat
                .split_once('(')
                .and_then(|(_, r)| r.rsplit_once(')'))
                .map_or("", |(n, _)| n);
            let kind = THREAD_KINDS
                .iter()
                .find(|(prefix, _)| name.starts_with(prefix))
                .map_or("other", |(_, kind)| kind);
            match kinds.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, total)) => *total += stat_cpu(&stat),
                None => kinds.push((kind, stat_cpu(&stat))),
            }
        }
        let total = stat_cpu(&std::fs::read_to_string("/proc/self/stat").unwrap_or_default());
        ThreadCpu { kinds, total }
    }

    /// `kind:µs,…,total:µs,capacity:µs` of CPU per request since `self`
    /// (capacity: the wall time per request times the cores).
    fn per_request(&self, after: &ThreadCpu, elapsed: Duration, requests: u64) -> String {
        let us = |d: Duration| {
            let nanos = i64::try_from(d.as_nanos()).unwrap_or(i64::MAX);
            (Decimal::new(nanos, 3) / Decimal::from(requests.max(1))).round_dp(1)
        };
        let of = |cpu: &ThreadCpu, kind: &str| {
            (cpu.kinds.iter())
                .find(|(k, _)| *k == kind)
                .map_or(Duration::ZERO, |(_, d)| *d)
        };
        let mut kinds: Vec<&str> = THREAD_KINDS.iter().map(|(_, kind)| *kind).collect();
        kinds.push("other");
        kinds.dedup();
        let mut out: Vec<String> = Vec::new();
        for kind in kinds {
            let spent = of(after, kind).saturating_sub(of(self, kind));
            out.push(format!("{kind}:{}", us(spent)));
        }
        out.push(format!(
            "total:{}",
            us(after.total.saturating_sub(self.total))
        ));
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        out.push(format!(
            "capacity:{}",
            us(elapsed * u32::try_from(cores).unwrap_or(1))
        ));
        out.join(",")
    }
}

/// Writes `commands` `receivePayment` lines over the ledger's customers,
/// then imports them into it (the server stopped).
fn import_bench(built: &Built, commands: usize) -> Result<()> {
    eprintln!("api: import of {commands} commands");
    let path = built.dir.path().join("import.jsonl");
    write_import_file(&path, &built.customers, commands)?;
    let reader = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&path)?);
    let actor = Actor {
        user_id: "import-bench".into(),
        role: arledger_core::domain::Role::Admin,
    };
    let head_before = built.ledger.head().position;
    let started = Instant::now();
    let summary = arledger::import::import(&built.ledger, reader, &actor, |_| {})?;
    let elapsed = started.elapsed();
    if !summary.all_good() {
        bail!(
            "the import refused {} lines and found {} malformed",
            summary.refused.len(),
            summary.malformed.len()
        );
    }
    bench("import_commands", summary.accepted);
    bench(
        "import_events_appended",
        built.ledger.head().position - head_before,
    );
    bench("import_commands_per_s", rate(summary.accepted, elapsed));
    // The same file again: every line a duplicate, nothing appended.
    let reader = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&path)?);
    let started = Instant::now();
    let again = arledger::import::import(&built.ledger, reader, &actor, |_| {})?;
    let elapsed = started.elapsed();
    if again.duplicates != summary.accepted || again.accepted != 0 {
        bail!("the second run accepted {} lines", again.accepted);
    }
    bench(
        "import_rerun_duplicates_per_s",
        rate(again.duplicates, elapsed),
    );
    std::fs::remove_file(&path)?;
    Ok(())
}

/// A JSON-lines file of `commands` new `receivePayment` commands.
fn write_import_file(path: &Path, customers: &[CustomerId], commands: usize) -> Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    for n in 0..commands {
        let customer = customers[n.wrapping_mul(2_654_435_761) % customers.len()].0;
        let (command, payment) = (Uuid::new_v4(), Uuid::new_v4());
        let amount = format!("{}.{:02}", 100 + n % 9_900, n % 100);
        writeln!(
            out,
            r#"{{"command":"receivePayment","commandId":"{command}","paymentId":"{payment}","customerId":"{customer}","amount":"{amount}","currency":"CNY","receivedOn":"2026-11-30"}}"#
        )?;
    }
    out.flush()?;
    Ok(())
}
