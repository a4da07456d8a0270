//! Crash test: a child process appends under load and reports every
//! acknowledged command; the parent kills it with SIGKILL at a random
//! moment, reopens the ledger and checks that nothing acknowledged was lost.
//!
//! The child is this same test binary, re-run with `ARLEDGER_CRASH_CHILD`
//! set to the ledger's directory. Seed: `ARLEDGER_CRASH_SEED` (printed). It
//! fixes the kill points and each round's workload (the child's commands,
//! their ids and amounts); which thread's command lands first, and so the
//! exact log, still varies with timing.
//!
//! Every fifth round kills the child while it opens the ledger (rebuilding
//! what the earlier rounds left); the others after a random number of
//! acknowledgements. A round in which the child stopped by itself, or was
//! no longer running when killed, fails with the child's stderr.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command as Process, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};

use arledger_core::clock::ManualClock;
use arledger_core::domain::{Command, CommandError, WriteModel};
use arledger_core::ids::{CommandId, CustomerId, InvoiceId, PaymentId, StreamId};
use arledger_core::log::codec::StoredEvent;
use arledger_core::log::{Ledger, LedgerOptions, Submission, SubmitError};
use arledger_core::sample;
use chrono::{TimeZone, Utc};
use rand::{Rng, SeedableRng, rngs::StdRng};
use rust_decimal::Decimal;
use uuid::Uuid;

const ROUNDS: usize = 20;
const CHILD_ENV: &str = "ARLEDGER_CRASH_CHILD";
const CHILD_SEED_ENV: &str = "ARLEDGER_CRASH_CHILD_SEED";
/// A round that has not reached its kill point by then has hung: the
/// watchdog kills the child, and the round fails instead of hanging CI.
const ROUND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);
/// What the child prints just before, and just after, it opens the ledger.
const OPENING: &str = "OPENING";
const OPENED: &str = "OPENED";
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
    let logs = tempfile::tempdir().unwrap();
    let mut acknowledged: Vec<(CommandId, u64, u64)> = Vec::new();
    let mut killed_while_opening = 0usize;
    for round in 0..ROUNDS {
        let context = format!("round {round}, seed {seed}");
        let during_open = round % 5 == 4;
        let kill_after_acks = if during_open {
            0
        } else {
            rng.gen_range(1..400usize)
        };
        let stderr_path = logs.path().join(format!("child-{round}.stderr"));
        let mut child = Process::new(std::env::current_exe().unwrap())
            .args([TEST_NAME, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir.path())
            .env(CHILD_SEED_ENV, (seed ^ round as u64).to_string())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_path).unwrap())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let (reached, watchdog) = watchdog(child.id());
        let mut seen = 0usize;
        loop {
            let Some(Ok(line)) = lines.next() else {
                panic!(
                    "{context}: the child stopped after {seen} acknowledgements, before its kill point{}: {}",
                    if watchdog.is_finished() {
                        " (killed by the watchdog after a hang)"
                    } else {
                        ""
                    },
                    child_stderr(&stderr_path)
                );
            };
            if let Some(ack) = parse_ack(&line) {
                acknowledged.push(ack);
                seen += 1;
            }
            if during_open && seen > 0 {
                panic!("{context}: the child acknowledged before it said it was opening");
            }
            if (during_open && line == OPENING) || (!during_open && seen >= kill_after_acks) {
                break;
            }
        }
        drop(reached);
        watchdog.join().unwrap();
        assert!(
            child.try_wait().unwrap().is_none(),
            "{context}: the child had exited before the kill: {}",
            child_stderr(&stderr_path)
        );
        child.kill().unwrap(); // SIGKILL on Unix
        // Acknowledgements already in the pipe were acknowledged before death.
        let mut opened = false;
        for line in lines.map_while(Result::ok) {
            opened |= line == OPENED;
            if let Some(ack) = parse_ack(&line) {
                acknowledged.push(ack);
            }
        }
        if during_open && !opened {
            killed_while_opening += 1;
        }
        child.wait().unwrap();
        check(dir.path(), &acknowledged, &context, round + 1 == ROUNDS);
    }
    assert!(
        acknowledged.len() >= ROUNDS,
        "the child acknowledged too little to test anything"
    );
    // Timing decides whether the kill lands before open ends: reported,
    // not asserted.
    println!(
        "{killed_while_opening} of {} kills landed while the child was opening the ledger",
        ROUNDS / 5
    );
}

/// Kills process `pid` unless the returned sender is dropped within
/// `ROUND_TIMEOUT`.
fn watchdog(pid: u32) -> (mpsc::Sender<()>, std::thread::JoinHandle<()>) {
    let (reached, wait) = mpsc::channel::<()>();
    let handle = std::thread::spawn(move || {
        if let Err(mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(ROUND_TIMEOUT) {
            let _ = Process::new("kill").args(["-9", &pid.to_string()]).status();
        }
    });
    (reached, handle)
}

fn child_stderr(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    if text.trim().is_empty() {
        "(its stderr is empty)".into()
    } else {
        format!("its stderr:\n{text}")
    }
}

fn parse_ack(line: &str) -> Option<(CommandId, u64, u64)> {
    let mut parts = line.strip_prefix("ACK ")?.split(' ');
    let id = CommandId(parts.next()?.parse().ok()?);
    let first = parts.next()?.parse().ok()?;
    let last = parts.next()?.parse().ok()?;
    Some((id, first, last))
}

fn check(dir: &Path, acknowledged: &[(CommandId, u64, u64)], context: &str, last_round: bool) {
    let ledger =
        Ledger::open(dir, options()).unwrap_or_else(|e| panic!("{context}: reopen failed: {e}"));
    let head = ledger.head().position;
    assert_eq!(
        ledger.verify().unwrap(),
        head,
        "{context}: chain does not verify to the head"
    );
    assert_eq!(
        ledger.chain_checked().unwrap(),
        head,
        "{context}: the scrub did not check the chain to the head"
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
    check_commands_land_whole(&events, context, last_round);
    let mut folded = WriteModel::default();
    for e in &events {
        folded.apply(&e.event().unwrap()).unwrap();
    }
    assert!(
        ledger.with_model(|m| *m == folded),
        "{context}: rebuilt write model differs from a fold from scratch"
    );
    check_stream_index(&ledger, &events, context);
    // The command index: an acknowledged command id is still taken; sent
    // again with another body it is refused, and nothing is appended.
    for (id, _, _) in acknowledged.iter().rev().take(20) {
        let other_body = Submission::new(
            *id,
            sample::admin(),
            sample::register_customer(CustomerId(Uuid::from_u128(u128::MAX))),
        );
        match ledger.submit(other_body) {
            Err(SubmitError::Refused(CommandError::IdempotencyMismatch { .. })) => {}
            other => panic!(
                "{context}: command {} sent again with another body: {other:?}",
                id.0
            ),
        }
    }
    assert_eq!(
        ledger.head().position,
        head,
        "{context}: a refused repeat appended"
    );
}

/// Every command's events are contiguous: a command lands whole. In the
/// last round, some command with several events must have been exercised.
fn check_commands_land_whole(events: &[StoredEvent], context: &str, last_round: bool) {
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
    if last_round {
        assert!(
            multi_event_commands > 0,
            "{context}: no command with several events was exercised"
        );
    }
}

/// The stream index: each stream reads back exactly its events, in version
/// order from 1.
fn check_stream_index(ledger: &Ledger, events: &[StoredEvent], context: &str) {
    let mut streams: std::collections::BTreeMap<StreamId, Vec<u64>> = Default::default();
    for e in events {
        streams.entry(e.stream_id).or_default().push(e.position);
    }
    for (stream, positions) in &streams {
        let read = ledger.read_stream(*stream).unwrap();
        let read_positions: Vec<u64> = read.iter().map(|e| e.position).collect();
        assert_eq!(&read_positions, positions, "{context}: stream {stream}");
        let versions: Vec<u64> = read.iter().map(|e| e.stream_version).collect();
        let expected: Vec<u64> = (1..=u64::try_from(read.len()).unwrap()).collect();
        assert_eq!(versions, expected, "{context}: versions of stream {stream}");
    }
}

/// Appends from several threads until killed, printing `ACK <command id>
/// <first> <last>` for every acknowledged command.
fn run_child(dir: &Path) -> ! {
    let seed: u64 = std::env::var(CHILD_SEED_ENV)
        .ok()
        .and_then(|s| s.parse().ok())
        .expect("the parent passes the child's seed");
    // On a line of its own: libtest has printed "test <name> ... " before.
    println!("\n{OPENING}");
    let ledger = Ledger::open(dir, options()).expect("child opens the ledger");
    println!("{OPENED}");
    let counter = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let ledger = ledger.clone();
            let counter = Arc::clone(&counter);
            let rng = StdRng::seed_from_u64(seed.rotate_left(8) ^ t);
            std::thread::spawn(move || child_worker(&ledger, rng, &counter))
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
    std::process::exit(0);
}

fn child_worker(ledger: &Ledger, mut rng: StdRng, counter: &AtomicU64) {
    let mut mine: Vec<CustomerId> = Vec::new();
    loop {
        let n = counter.fetch_add(1, Ordering::Relaxed);
        let command = match (mine.last(), rng.gen_range(0..5)) {
            (Some(customer), 0) => sample::service_invoice(
                InvoiceId(Uuid::from_u128(rng.r#gen())),
                *customer,
                Decimal::new(rng.gen_range(1..100_000), 2),
            ),
            // A payment that allocates itself over open invoices: one
            // command, several events, which must land together or not at all.
            (Some(customer), 1) => sample::auto_allocating_payment(
                PaymentId(Uuid::from_u128(rng.r#gen())),
                *customer,
                Decimal::new(rng.gen_range(1..1_000_000), 2),
            ),
            // A refused command now and then: it must append nothing.
            (Some(customer), 2) => sample::register_customer(*customer),
            _ => {
                let id = CustomerId(Uuid::from_u128(rng.r#gen()));
                mine.push(id);
                sample::register_customer(id)
            }
        };
        let batch_size = if n.is_multiple_of(7) { 20 } else { 1 };
        let batch: Vec<Submission> = (0..batch_size)
            .map(|i| with_fresh_id(&command, i, &mut rng))
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

fn with_fresh_id(command: &Command, i: usize, rng: &mut StdRng) -> Submission {
    let command = match (command, i) {
        (c, 0) => c.clone(),
        // Further commands of a bulk batch: new customers.
        _ => sample::register_customer(CustomerId(Uuid::from_u128(rng.r#gen()))),
    };
    Submission::new(
        CommandId(Uuid::from_u128(rng.r#gen())),
        sample::admin(),
        command,
    )
}
