//! A server killed with SIGKILL while several clients send commands, then
//! restarted on the same data: every command it acknowledged is there
//! exactly once (domain.md 2: an append is acknowledged only once
//! durable). Sending an acknowledged command again is a duplicate at its
//! first position, and the log holds its events once.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

mod server_support;

use std::collections::HashMap;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use serde_json::Value;
use server_support::books::{Cmd, cmd};
use server_support::{Api, Harness, OWN_REP};
use uuid::Uuid;

/// Clients sending at once.
const CLIENTS: usize = 4;
/// Acknowledgements to wait for before the kill.
const ACKS_BEFORE_KILL: usize = 200;

/// A command the server acknowledged, and its result.
struct Acked {
    command: Cmd,
    result: Value,
}

/// The n-th command of a client: customers and payments in turn.
fn nth_command(n: usize, customer: Uuid) -> Cmd {
    if n.is_multiple_of(2) {
        cmd::register_customer(Uuid::new_v4(), OWN_REP)
    } else {
        cmd::receive_payment(Uuid::new_v4(), customer, "1.00")
    }
}

/// Sends commands until the server stops answering; tells `acks` of each
/// acknowledgement, returns them all.
fn client(api: &Api, token: &str, customer: Uuid, acks: &mpsc::Sender<()>) -> Vec<Acked> {
    let mut acked = Vec::new();
    for n in 0.. {
        let command = nth_command(n, customer);
        let Ok(reply) = api.try_run(token, &command) else {
            break; // the server died
        };
        if !reply.errors().is_empty() {
            panic!("a command was refused before the kill: {}", reply.body);
        }
        acked.push(Acked {
            result: reply.field().clone(),
            command,
        });
        let _ = acks.send(());
    }
    acked
}

/// Runs the clients, kills the server after `ACKS_BEFORE_KILL`
/// acknowledgements, and returns what every client had acknowledged.
fn kill_under_load(h: &mut Harness, customer: Uuid) -> Vec<Acked> {
    let (tx, rx) = mpsc::channel();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (url, token, tx) = (h.server.url(), h.admin().to_string(), tx.clone());
            thread::spawn(move || client(&Api::new(&url), &token, customer, &tx))
        })
        .collect();
    for n in 0..ACKS_BEFORE_KILL {
        rx.recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("only {n} commands acknowledged in 30 s"));
    }
    h.server.kill();
    clients
        .into_iter()
        .flat_map(|c| c.join().expect("a client"))
        .collect()
}

#[test]
fn every_command_acknowledged_before_a_sigkill_is_there_exactly_once_after_restart() {
    let mut h = Harness::start();
    let customer = Uuid::new_v4();
    h.api
        .ok(h.admin(), &cmd::register_customer(customer, OWN_REP));
    let acked = kill_under_load(&mut h, customer);
    assert!(acked.len() >= ACKS_BEFORE_KILL);
    h.restart();
    for Acked { command, result } in &acked {
        let again = h.api.ok(h.admin(), command);
        assert_eq!(again["duplicate"], true, "{command:?} was lost");
        assert_eq!(again["position"], result["position"]);
        assert_eq!(again["eventIds"], result["eventIds"]);
    }
    let mut per_command: HashMap<String, usize> = HashMap::new();
    for event in h.api.all_events(h.admin()) {
        *per_command
            .entry(event["commandId"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    for Acked { command, result } in &acked {
        let events = result["eventIds"].as_array().unwrap().len();
        assert_eq!(per_command[&command.command_id().to_string()], events);
    }
    let verified = h.api.query(h.admin(), "{ verifyChain { ok } }");
    assert_eq!(verified.field()["ok"], true);
}
