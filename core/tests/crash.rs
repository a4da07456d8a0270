//! Crash test: a child process appends under load and reports every
//! acknowledged command; the parent kills it with SIGKILL at a random
//! moment, reopens the ledger and checks that nothing acknowledged was lost.
//!
//! The child is this same test binary, re-run with `ARLEDGER_CRASH_CHILD`
//! set to the ledger's directory. Seed: `ARLEDGER_CRASH_SEED` (printed).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command as Process, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arledger_core::clock::ManualClock;
use arledger_core::domain::{Command, WriteModel};
use arledger_core::ids::{CommandId, CustomerId, InvoiceId, PaymentId};
use arledger_core::log::{Ledger, LedgerOptions, Submission};
use arledger_core::sample;
use chrono::{TimeZone, Utc};
use rand::{Rng, SeedableRng, rngs::StdRng};
use rust_decimal::Decimal;
use uuid::Uuid;

const ROUNDS: usize = 20;
const CHILD_ENV: &str = "ARLEDGER_CRASH_CHILD";
const TEST_NAME: &str = "acknowledged_events_survive_kill_nine_at_random_moments";

fn options() -> LedgerOptions {
    LedgerOptions::new(Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).unwrap(),
    )))
}

#[test]
fn acknowledged_events_survive_kill_nine_at_random_moments() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        run_child(Path::new(&dir));
    }
    let seed: u64 = std::env::var("ARLEDGER_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x00c0_ffee);
    println!("crash test seed {seed} (set ARLEDGER_CRASH_SEED to replay)");
    let mut rng = StdRng::seed_from_u64(seed);
    let dir = tempfile::tempdir().unwrap();
    let mut acknowledged: Vec<(CommandId, u64, u64)> = Vec::new();
    for round in 0..ROUNDS {
        let kill_after_acks = rng.gen_range(1..400usize);
        let mut child = Process::new(std::env::current_exe().unwrap())
            .args([TEST_NAME, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut seen = 0usize;
        while seen < kill_after_acks {
            let Some(Ok(line)) = lines.next() else { break };
            if let Some(ack) = parse_ack(&line) {
                acknowledged.push(ack);
                seen += 1;
            }
        }
        child.kill().unwrap(); // SIGKILL on Unix
        // Acknowledgements already in the pipe were acknowledged before death.
        for line in lines.map_while(Result::ok) {
            if let Some(ack) = parse_ack(&line) {
                acknowledged.push(ack);
            }
        }
        child.wait().unwrap();
        check(dir.path(), &acknowledged, round, seed);
    }
    assert!(
        acknowledged.len() >= ROUNDS,
        "the child acknowledged too little to test anything"
    );
}

fn parse_ack(line: &str) -> Option<(CommandId, u64, u64)> {
    let mut parts = line.strip_prefix("ACK ")?.split(' ');
    let id = CommandId(parts.next()?.parse().ok()?);
    let first = parts.next()?.parse().ok()?;
    let last = parts.next()?.parse().ok()?;
    Some((id, first, last))
}

fn check(dir: &Path, acknowledged: &[(CommandId, u64, u64)], round: usize, seed: u64) {
    let context = format!("round {round}, seed {seed}");
    let ledger =
        Ledger::open(dir, options()).unwrap_or_else(|e| panic!("{context}: reopen failed: {e}"));
    let head = ledger.head().position;
    assert_eq!(
        ledger.verify().unwrap(),
        head,
        "{context}: chain does not verify to the head"
    );
    let events = ledger.read(1, usize::MAX).unwrap();
    let positions: Vec<u64> = events.iter().map(|e| e.position).collect();
    assert_eq!(
        positions,
        (1..=head).collect::<Vec<u64>>(),
        "{context}: positions have gaps"
    );
    for (id, first, last) in acknowledged {
        assert!(
            *last <= head,
            "{context}: acknowledged position {last} lost (head {head})"
        );
        for p in *first..=*last {
            let e = &events[usize::try_from(p - 1).unwrap()];
            assert_eq!(
                e.command_id, *id,
                "{context}: position {p} holds another command"
            );
        }
    }
    // Every command's events are contiguous: a command lands whole.
    let mut seen_commands = std::collections::HashSet::new();
    let mut multi_event_commands = 0usize;
    for (i, e) in events.iter().enumerate() {
        let continues = i > 0 && events[i - 1].command_id == e.command_id;
        if continues {
            if i < 2 || events[i - 2].command_id != e.command_id {
                multi_event_commands += 1;
            }
        } else {
            assert!(
                seen_commands.insert(e.command_id),
                "{context}: command {} has events in two places",
                e.command_id.0
            );
        }
    }
    if round + 1 == ROUNDS {
        assert!(
            multi_event_commands > 0,
            "{context}: no command with several events was exercised"
        );
    }
    let mut folded = WriteModel::default();
    for e in &events {
        folded.apply(&e.event().unwrap()).unwrap();
    }
    assert!(
        ledger.with_model(|m| *m == folded),
        "{context}: rebuilt write model differs from a fold from scratch"
    );
}

/// Appends from several threads until killed, printing `ACK <command id>
/// <first> <last>` for every acknowledged command.
fn run_child(dir: &Path) -> ! {
    let ledger = Ledger::open(dir, options()).expect("child opens the ledger");
    let counter = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let ledger = ledger.clone();
            let counter = Arc::clone(&counter);
            std::thread::spawn(move || child_worker(&ledger, t, &counter))
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
    std::process::exit(0);
}

fn child_worker(ledger: &Ledger, thread: u64, counter: &AtomicU64) {
    let mut rng = StdRng::seed_from_u64(thread ^ u64::from(std::process::id()));
    let mut mine: Vec<CustomerId> = Vec::new();
    loop {
        let n = counter.fetch_add(1, Ordering::Relaxed);
        let command = match (mine.last(), rng.gen_range(0..5)) {
            (Some(customer), 0) => sample::service_invoice(
                InvoiceId(Uuid::new_v4()),
                *customer,
                Decimal::new(rng.gen_range(1..100_000), 2),
            ),
            // A payment that allocates itself over open invoices: one
            // command, several events, which must land together or not at all.
            (Some(customer), 1) => sample::auto_allocating_payment(
                PaymentId(Uuid::new_v4()),
                *customer,
                Decimal::new(rng.gen_range(1..1_000_000), 2),
            ),
            // A refused command now and then: it must append nothing.
            (Some(customer), 2) => sample::register_customer(*customer),
            _ => {
                let id = CustomerId(Uuid::new_v4());
                mine.push(id);
                sample::register_customer(id)
            }
        };
        let batch_size = if n % 7 == 0 { 20 } else { 1 };
        let batch: Vec<Submission> = (0..batch_size)
            .map(|i| with_fresh_id(&command, i))
            .collect();
        let Ok(results) = ledger.submit_batch(batch.clone()) else {
            return;
        };
        for (s, r) in batch.iter().zip(results) {
            if let Ok(outcome) = r {
                println!(
                    "ACK {} {} {}",
                    s.command_id.0, outcome.first_position, outcome.last_position
                );
            }
        }
    }
}

fn with_fresh_id(command: &Command, i: usize) -> Submission {
    let command = match (command, i) {
        (c, 0) => c.clone(),
        // Further commands of a bulk batch: new customers.
        _ => sample::register_customer(CustomerId(Uuid::new_v4())),
    };
    sample::submit(command)
}
