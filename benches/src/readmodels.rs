//! `readmodels`: the read side on a realistic ledger built by the fixture
//! generator through the bulk path. Each figure is measured in the same
//! run: reading and decoding the log alone beside rebuilding every
//! projection from position 0; aging at the head and at 100 random past
//! points; the DSO trend, the sorted credit exposures and the alerts at the
//! head (20 times each); the engine following the append benchmark's mix; peak memory
//! and the projections' bytes on disk.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use arledger_core::ids::CustomerId;
use arledger_core::log::Ledger;
use arledger_core::money::Currency;
use arledger_fixtures::{FixtureConfig, populate};
use arledger_projections::Projection;
use arledger_projections::alerts::{AlertQuery, AlertSettings, alerts};
use arledger_projections::credit::{Credit, ExposureQuery};
use arledger_projections::engine::{Engine, Handle};
use arledger_projections::receivables::{AgingQuery, DsoQuery, Receivables};
use chrono::NaiveDate;
use rand::{Rng, SeedableRng, rngs::StdRng};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::{append_pipelined, bench, open, per_second, workload};

/// Queries timed for each kind of aging figure.
const QUERIES: usize = 100;
/// Times each heavier report (DSO trend, exposures, alerts) is timed.
const REPORT_QUERIES: usize = 20;
/// Every projection the server keeps, by tree name.
const PROJECTIONS: [&str; 2] = ["receivables", "credit"];
/// How long the engine may take to catch up before the benchmark fails.
const CATCH_UP_MAX: Duration = Duration::from_secs(3_600);

/// Runs the benchmark on a ledger of about `events` events, built in
/// `data` (kept) or in a temporary directory.
pub fn readmodels(events: u64, seed: u64, data: Option<PathBuf>) -> Result<()> {
    let temp = tempfile::tempdir()?;
    let dir = data.unwrap_or_else(|| temp.path().to_path_buf());
    let config = FixtureConfig::new(seed, events);
    let ledger = build(&dir, &config)?;
    let head = ledger.head().position;
    bench("readmodels_events", head);
    bench("rss_after_open_mb", rss_mb("VmRSS:"));
    let scan = scan_decode(&ledger)?;
    bench(
        "rebuild_receivables_only_events_per_s",
        rebuild_alone::<Receivables>(&ledger)?,
    );
    bench(
        "rebuild_credit_only_events_per_s",
        rebuild_alone::<Credit>(&ledger)?,
    );
    let rebuild = rebuild_all(&ledger)?;
    bench("rss_after_rebuild_mb", rss_mb("VmRSS:"));
    bench("raw_scan_decode_events_per_s", scan);
    bench("rebuild_all_events_per_s", rebuild.rate);
    bench("rebuild_vs_scan_ratio", ratio(rebuild.rate, scan));
    // The last business day of the fixture: "today" for its books.
    let last_day = config.end().pred_opt().unwrap_or(config.start);
    time_aging(&rebuild.receivables, last_day, head, config.start)?;
    time_reports(&rebuild, last_day, head);
    follow(&ledger, &rebuild.engine)?;
    bench(
        "projections_bytes_per_event",
        projection_bytes(&ledger)? / head.max(1),
    );
    bench("peak_rss_mb", rss_mb("VmHWM:"));
    Ok(())
}

/// The ledger in `dir`, populated by the generator unless it already
/// holds events (then it is reused as it is).
pub(crate) fn build(dir: &Path, config: &FixtureConfig) -> Result<Ledger> {
    let ledger = open(dir, 1_000)?;
    if ledger.head().position > 0 {
        return Ok(ledger);
    }
    let started = Instant::now();
    let summary = populate(&ledger, config, |_| {}).context("populate the ledger")?;
    bench(
        "populate_events_per_s",
        per_second(usize::try_from(summary.events_appended)?, started),
    );
    Ok(ledger)
}

/// Reads and decodes the whole log, nothing else; events per second.
fn scan_decode(ledger: &Ledger) -> Result<u64> {
    let head = ledger.head().position;
    let started = Instant::now();
    let mut next = 1;
    let mut decoded = 0usize;
    while next <= head {
        let events = ledger.read(next, 4_096)?;
        for event in &events {
            std::hint::black_box(event.event()?);
            decoded += 1;
        }
        match events.last() {
            Some(last) => next = last.position + 1,
            None => bail!("the log ended at {next} before its head {head}"),
        }
    }
    Ok(per_second(decoded, started))
}

/// The engine after rebuilding every projection from position 0.
struct Rebuilt {
    engine: Engine,
    receivables: Handle<Receivables>,
    credit: Handle<Credit>,
    rate: u64,
}

/// Rebuilds projection `P` alone from position 0 (beside every
/// projection, to show what each costs); events per second.
fn rebuild_alone<P: Projection>(ledger: &Ledger) -> Result<u64> {
    ledger.projection_tree(P::NAME)?.clear()?;
    let started = Instant::now();
    let mut builder = Engine::builder(ledger);
    builder.add::<P>()?;
    let engine = builder.start()?;
    let head = ledger.head().position;
    engine.wait_for(head, CATCH_UP_MAX)?;
    Ok(per_second(usize::try_from(head)?, started))
}

/// Clears every projection and rebuilds it from position 0.
fn rebuild_all(ledger: &Ledger) -> Result<Rebuilt> {
    for name in PROJECTIONS {
        ledger.projection_tree(name)?.clear()?;
    }
    let started = Instant::now();
    let mut builder = Engine::builder(ledger);
    let receivables = builder.add::<Receivables>()?;
    let credit = builder.add::<Credit>()?;
    let engine = builder.start()?;
    let head = ledger.head().position;
    engine.wait_for(head, CATCH_UP_MAX)?;
    let rate = per_second(usize::try_from(head)?, started);
    Ok(Rebuilt {
        engine,
        receivables,
        credit,
        rate,
    })
}

/// Aging at the head (the last business day, everything known) and at
/// `QUERIES` random (D, p), each timed; prints p50 and p99 in ms.
fn time_aging(
    receivables: &Handle<Receivables>,
    last_day: NaiveDate,
    head: u64,
    first_day: NaiveDate,
) -> Result<()> {
    let mut latest = Vec::with_capacity(QUERIES);
    for _ in 0..QUERIES {
        latest.push(timed_aging(receivables, &AgingQuery::new(last_day, head))?);
    }
    let mut rng = StdRng::seed_from_u64(0x00a9_1e55);
    let days = (last_day - first_day).num_days().max(1);
    let mut past = Vec::with_capacity(QUERIES);
    for _ in 0..QUERIES {
        let day = first_day + chrono::Days::new(u64::try_from(rng.gen_range(0..=days))?);
        let position = rng.gen_range(1..=head.max(1));
        past.push(timed_aging(receivables, &AgingQuery::new(day, position))?);
    }
    for (name, mut times) in [("aging_latest", latest), ("aging_asof", past)] {
        times.sort_unstable();
        bench(&format!("{name}_ms_p50"), millis(times[times.len() / 2]));
        bench(
            &format!("{name}_ms_p99"),
            millis(times[times.len() * 99 / 100]),
        );
    }
    Ok(())
}

/// The 12-month DSO trend of every customer in CNY, the full sorted list
/// of credit exposures (with what is overdue) and every alert, at the
/// last business day as known at the head; prints p50 and p99 in ms.
fn time_reports(rebuilt: &Rebuilt, last_day: NaiveDate, head: u64) {
    let dso = DsoQuery {
        as_of: last_day,
        known_at_position: head,
        period_days: 90,
        currency: Currency::CNY,
        customer: None,
        region: None,
        salesperson: None,
        scope: None,
    };
    let exposure = ExposureQuery {
        as_of: last_day,
        known_at_position: head,
        scope: None,
    };
    let alert = AlertQuery {
        as_of: last_day,
        known_at_position: head,
        customer: None,
        scope: None,
    };
    let settings = AlertSettings::default();
    let (r, c) = (&rebuilt.receivables, &rebuilt.credit);
    let reports: [(&str, &dyn Fn() -> usize); 3] = [
        ("dso_trend", &|| {
            r.read().dso_trend(&dso, 12).map_or(0, |t| t.len())
        }),
        ("exposures", &|| {
            let overdue = r.read().overdue(last_day, head);
            c.read().exposures(&exposure, None, &overdue).len()
        }),
        ("alerts", &|| {
            alerts(&r.read(), &c.read(), &settings, &alert).len()
        }),
    ];
    for (name, report) in reports {
        let mut times: Vec<Duration> = (0..REPORT_QUERIES)
            .map(|_| {
                let started = Instant::now();
                std::hint::black_box(report());
                started.elapsed()
            })
            .collect();
        times.sort_unstable();
        bench(
            &format!("{name}_rows"),
            u64::try_from(report()).unwrap_or(0),
        );
        bench(&format!("{name}_ms_p50"), millis(times[times.len() / 2]));
        bench(
            &format!("{name}_ms_p99"),
            millis(times[times.len() * 99 / 100]),
        );
    }
}

fn timed_aging(receivables: &Handle<Receivables>, query: &AgingQuery) -> Result<Duration> {
    let started = Instant::now();
    let report = receivables.read().aging(query)?;
    let elapsed = started.elapsed();
    std::hint::black_box(report);
    Ok(elapsed)
}

/// Milliseconds with two decimals.
fn millis(duration: Duration) -> Decimal {
    let micros = i64::try_from(duration.as_micros()).unwrap_or(i64::MAX);
    Decimal::new(micros, 3).round_dp(2)
}

/// The engine following the append benchmark's mix: events per second
/// from the first append until every projection applied the last, and
/// the lag right after the last append was acknowledged.
fn follow(ledger: &Ledger, engine: &Engine) -> Result<()> {
    let customers: Vec<CustomerId> = (0..1_000).map(|n| CustomerId(Uuid::from_u128(n))).collect();
    let batch = customers
        .iter()
        .map(|c| arledger_core::sample::submit(arledger_core::sample::register_customer(*c)))
        .collect();
    // Customers the fixture did not register (ids of another shape).
    ledger.submit_batch(batch)?;
    engine.wait_for(ledger.head().position, CATCH_UP_MAX)?;
    let work = workload(&customers, 300_000);
    let started = Instant::now();
    let appended = append_pipelined(ledger, work, 1_000)?;
    bench("projection_lag_after_append_events", engine.lag());
    engine.wait_for(ledger.head().position, CATCH_UP_MAX)?;
    bench(
        "projection_follow_events_per_s",
        per_second(usize::try_from(appended)?, started),
    );
    Ok(())
}

/// Bytes the projections store (keys and values) in their trees.
fn projection_bytes(ledger: &Ledger) -> Result<u64> {
    let mut bytes = 0u64;
    for name in PROJECTIONS {
        for entry in ledger.projection_tree(name)?.entries() {
            let (key, value) = entry?;
            bytes += u64::try_from(key.len() + value.len())?;
        }
    }
    Ok(bytes)
}

/// The process's resident memory now (`VmRSS:`) or at its peak
/// (`VmHWM:`), from `/proc` (0 where unreadable).
fn rss_mb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1_024)
}

/// `a / b` with two decimals.
fn ratio(a: u64, b: u64) -> Decimal {
    (Decimal::from(a) / Decimal::from(b.max(1))).round_dp(2)
}
