//! `arledger serve --demo` on an empty data directory: the demo company's
//! ledger loads (at least 5,000 events), the tokens it prints work in
//! their roles, the chain verifies, and the aging totals reconcile with
//! the open items of every customer.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

mod server_support;

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde_json::json;
use server_support::books::decimal;
use server_support::{Api, Server};
use tempfile::TempDir;
use uuid::Uuid;

use arledger_core::domain::Role;

/// A demo server and the tokens it printed, by role name.
struct Demo {
    tokens: HashMap<String, String>,
    api: Api,
    server: Server,
    dir: TempDir,
}

impl Demo {
    fn start() -> Demo {
        let dir = tempfile::tempdir().unwrap();
        Demo::start_in(dir)
    }

    fn start_in(dir: TempDir) -> Demo {
        let data = dir.path().join("data");
        let log = dir.path().join("server.log");
        let server = Server::start(&data, &log, &["--demo"], &[]);
        Demo {
            tokens: printed_tokens(&server.stdout),
            api: Api::new(&server.url()),
            server,
            dir,
        }
    }

    fn token(&self, role: Role) -> &str {
        &self.tokens[role.name()]
    }
}

/// The lines "  <role>  <token>   (user <user>)" after "demo tokens".
fn printed_tokens(stdout: &[String]) -> HashMap<String, String> {
    let start = (stdout.iter())
        .position(|l| l.starts_with("demo tokens"))
        .unwrap_or_else(|| panic!("no demo tokens printed: {stdout:?}"));
    (stdout[start + 1..].iter())
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let (role, token) = (words.next()?, words.next()?);
            Some((role.to_string(), token.to_string()))
        })
        .collect()
}

#[test]
fn the_demo_fills_an_empty_ledger_with_5000_events_whose_chain_verifies() {
    let demo = Demo::start();
    let admin = demo.token(Role::Admin);
    let head = demo.api.head(admin);
    assert!(head >= 5_000, "the demo holds {head} events");
    let verified = demo
        .api
        .query(admin, "{ verifyChain { ok checked firstBadPosition } }");
    assert_eq!(
        verified.field(),
        &json!({ "ok": true, "checked": head, "firstBadPosition": null })
    );
}

#[test]
fn every_printed_demo_token_works_in_its_role() {
    let demo = Demo::start();
    assert_eq!(
        demo.tokens.len(),
        Role::ALL.len(),
        "{:?}",
        demo.server.stdout
    );
    let head = demo.api.head(demo.token(Role::Admin));
    for role in Role::ALL {
        let token = demo.token(role);
        assert_eq!(demo.api.head(token), head, "{role}");
        let aging = demo.api.aging(token, head);
        match role {
            Role::Warehouse | Role::Quality | Role::Regulator => aging.assert_code("FORBIDDEN"),
            _ => assert!(
                !aging.field()["rows"].as_array().unwrap().is_empty(),
                "{role}"
            ),
        }
    }
    let rows = |role| demo.api.aging(demo.token(role), head).field()["rows"].clone();
    let (all, own) = (rows(Role::Finance), rows(Role::Sales));
    let (all, own) = (all.as_array().unwrap(), own.as_array().unwrap());
    assert!(
        own.len() < all.len(),
        "a salesperson sees {} of {} rows",
        own.len(),
        all.len()
    );
    assert!(own.iter().all(|row| all.contains(row)));
}

/// Sums by currency.
type Sums = HashMap<String, Decimal>;

/// The open items of every customer row of `report`, summed by currency;
/// each row's total checked against its customer's items.
fn open_items_by_currency(demo: &Demo, report: &serde_json::Value, head: u64) -> Sums {
    let admin = demo.token(Role::Admin);
    let mut sums = Sums::new();
    for row in report["rows"].as_array().unwrap() {
        let customer: Uuid = row["key"].as_str().unwrap().parse().unwrap();
        let items = demo.api.items(admin, customer, head);
        let currency = row["currency"].as_str().unwrap();
        let open: Decimal = (items.field().as_array().unwrap().iter())
            .filter(|item| item["currency"] == currency)
            .map(|item| decimal(&item["open"]))
            .sum();
        assert_eq!(
            open,
            decimal(&row["total"]),
            "customer {customer} in {currency}"
        );
        *sums.entry(currency.to_string()).or_default() += open;
    }
    sums
}

#[test]
fn the_demo_aging_totals_reconcile_with_the_open_items_of_every_customer() {
    let demo = Demo::start();
    let admin = demo.token(Role::Admin);
    let head = demo.api.head(admin);
    let reply = demo.api.aging(admin, head);
    let report = reply.field();
    let sums = open_items_by_currency(&demo, report, head);
    let totals = report["totals"].as_array().unwrap();
    assert_eq!(totals.len(), sums.len());
    for total in totals {
        let currency = total["currency"].as_str().unwrap();
        assert_eq!(decimal(&total["total"]), sums[currency], "{currency}");
        let buckets: Decimal = (total["amounts"].as_array().unwrap().iter())
            .map(decimal)
            .sum();
        assert_eq!(
            buckets, sums[currency],
            "{currency}: the buckets sum to the total"
        );
        let net = decimal(&total["total"]) - decimal(&total["unallocated"]);
        assert_eq!(decimal(&total["net"]), net, "{currency}");
    }
}

#[test]
fn a_second_demo_start_serves_the_ledger_as_it_is_with_new_tokens() {
    let first = Demo::start();
    let old_admin = first.token(Role::Admin).to_string();
    let head = first.api.head(&old_admin);
    let Demo { server, dir, .. } = first;
    drop(server);
    let second = Demo::start_in(dir);
    let said = second.server.stdout.join("\n");
    assert!(
        said.contains(&format!("already holds {head} events")),
        "{said}"
    );
    assert_eq!(second.api.head(second.token(Role::Admin)), head);
    let old = second.api.query(&old_admin, "{ ledgerHead { position } }");
    old.assert_code("UNAUTHENTICATED");
}
