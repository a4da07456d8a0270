//! `udi` and `trace`: the GS1 UDI parser on the three forms mixed, and the
//! traceability read model on a realistic ledger (the fixture generator):
//! a recall reaching about 1,000 consignees is issued at the head, then
//! its lot trace, its impact and its EPCIS export are timed.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use arledger_core::domain::Command;
use arledger_core::domain::commands::IssueRecall;
use arledger_core::domain::types::{Gtin, RiskClass, gs1_check_digit};
use arledger_core::ids::RecallId;
use arledger_core::udi::{self, Udi, UdiForm};
use arledger_fixtures::FixtureConfig;
use arledger_projections::engine::Engine;
use arledger_projections::receivables::Receivables;
use arledger_projections::trace::Trace;
use chrono::NaiveDate;
use rand::{Rng, SeedableRng, rngs::StdRng};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::{bench, per_second, readmodels};

/// Consignees the benchmark's recall should reach.
const REACH: usize = 1_000;
/// Times each query is timed.
const RUNS: usize = 20;

/// Parses `count` UDIs, a third in each form; parses per second.
pub fn udi_bench(count: usize) -> Result<()> {
    let reference = NaiveDate::from_ymd_opt(2026, 12, 6).context("a date")?;
    let mut rng = StdRng::seed_from_u64(0x0001_0d15);
    let mut texts = Vec::with_capacity(count);
    for i in 0..count {
        let body: String = (0..13)
            .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
            .collect();
        let check = gs1_check_digit(body.as_bytes());
        let u = Udi {
            gtin: Gtin::parse(&format!("{body}{check}"))?,
            lot: Some(format!("L{}", rng.gen_range(0..1_000_000u32))),
            serial: Some(format!("SN{}", rng.gen_range(0..100_000_000u64))),
            expiry: reference.checked_add_days(chrono::Days::new(rng.gen_range(0..3_000))),
            expiry_time: None,
            production: None,
            count: None,
            additional_id: None,
            ais: Vec::new(),
            form: UdiForm::HumanReadable,
        };
        texts.push(match i % 3 {
            0 => udi::human_readable(&u),
            1 => udi::element_string(&u, "]d2"),
            _ => udi::digital_link(&u, "id.gs1.org"),
        });
    }
    let started = Instant::now();
    for text in &texts {
        std::hint::black_box(
            udi::parse(text, reference).map_err(|e| anyhow::anyhow!("{text}: {e}"))?,
        );
    }
    bench("udi_parse_per_s", per_second(texts.len(), started));
    Ok(())
}

/// The traceability benchmark on a ledger of about `events` events.
pub fn trace_bench(events: u64, seed: u64, data: Option<PathBuf>) -> Result<()> {
    let temp = tempfile::tempdir()?;
    let dir = data.unwrap_or_else(|| temp.path().to_path_buf());
    let config = FixtureConfig::new(seed, events);
    let ledger = readmodels::build(&dir, &config)?;
    let mut builder = Engine::builder(&ledger);
    let receivables = builder.add::<Receivables>()?;
    let trace = builder.add::<Trace>()?;
    let engine = builder.start()?;
    engine.wait_for(ledger.head().position, Duration::from_secs(3_600))?;
    let head = ledger.head().position;
    let (gtin, lots) = busiest_lots(&trace.read(), head)?;
    let recall = RecallId(Uuid::new_v4());
    let issued_on = config.end().pred_opt().unwrap_or(config.start);
    let started = Instant::now();
    ledger.submit(arledger_core::sample::submit(Command::IssueRecall(
        IssueRecall {
            recall_id: recall,
            gtin: gtin.to_string(),
            lots: lots.clone(),
            serials: Vec::new(),
            class: RiskClass::II,
            reason: "benchmark".into(),
            issued_on,
        },
    )))?;
    // Deciding the recall finds its disputes: every invoice billing its lots.
    bench("recall_issue_ms", ms(started.elapsed()));
    let at = ledger.head().position;
    let disputes = ledger.with_model(|m| {
        m.invoices
            .values()
            .filter(|i| !i.recall_disputes.is_empty())
            .count()
    });
    bench("recall_disputes_opened", disputes);
    engine.wait_for(at, Duration::from_secs(600))?;
    let open = receivables.read().open_by_invoice(issued_on, at);
    let impact = trace
        .read()
        .recall_impact(recall, at, &|i| open.get(&i).copied())
        .context("the recall just issued")?;
    bench("recall_consignees", impact.customers.len());
    bench("recall_lots", lots.len());
    let first_lot = lots.first().cloned().unwrap_or_default();
    let timings: [(&str, usize, &dyn Fn()); 3] = [
        ("lot_trace", RUNS, &|| {
            std::hint::black_box(trace.read().lot(&gtin, &first_lot, None, at));
        }),
        ("recall_impact", RUNS, &|| {
            std::hint::black_box(
                trace
                    .read()
                    .recall_impact(recall, at, &|i| open.get(&i).copied()),
            );
        }),
        ("epcis_export", 5, &|| {
            let doc = trace
                .read()
                .recall_epcis(recall, at, chrono::DateTime::UNIX_EPOCH);
            std::hint::black_box(doc.map(|d| d.to_string().len()));
        }),
    ];
    for (name, runs, run) in timings {
        let mut times: Vec<Duration> = (0..runs)
            .map(|_| {
                let started = Instant::now();
                run();
                started.elapsed()
            })
            .collect();
        times.sort_unstable();
        bench(&format!("{name}_ms_p50"), ms(times[times.len() / 2]));
        if name == "epcis_export" {
            bench("epcis_export_ms", ms(times[times.len() / 2]));
        }
        bench(&format!("{name}_ms_p99"), ms(times[times.len() * 99 / 100]));
    }
    Ok(())
}

/// `d` in milliseconds, to two decimals.
fn ms(d: Duration) -> Decimal {
    Decimal::new(i64::try_from(d.as_micros()).unwrap_or(i64::MAX), 3).round_dp(2)
}

/// The product whose lots reached the most consignees, and its lots most
/// reached first, until their reach adds up to three times [`REACH`]
/// (lots share consignees; at most 100 lots): the benchmark reports how
/// many consignees the recall reached.
fn busiest_lots(trace: &Trace, head: u64) -> Result<(Gtin, Vec<String>)> {
    let reach = trace.lots_by_reach(head);
    let Some((gtin, _, _)) = reach.first().cloned() else {
        bail!("the ledger has no lots");
    };
    let mut lots = Vec::new();
    let mut reached = 0;
    for (_, lot, n) in reach.iter().filter(|(g, _, _)| *g == gtin) {
        if reached >= 3 * REACH || lots.len() >= 100 {
            break;
        }
        lots.push(lot.clone());
        reached += n;
    }
    Ok((gtin, lots))
}
