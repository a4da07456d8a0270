//! Who may do and read what (domain.md 7, `graphql/access.rs`), over HTTP
//! against the real server: every role against one read of each kind and
//! one command of each kind, allowed or FORBIDDEN; a sales token limited
//! to its own customers; every event recording its token's user and role.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

mod server_support;

use std::collections::HashMap;

use serde_json::Value;
use server_support::books::{Books, Cmd, LOT, RECALL_LOT, actor_of, cmd};
use server_support::{Harness, OTHER_REP, OWN_REP, Reply, Tokens};
use uuid::Uuid;

use arledger_core::domain::Role;

/// What a role is tried on: four reads and a command of each kind.
#[derive(Clone, Copy, Debug)]
enum Action {
    Aging,
    Events,
    VerifyChain,
    LedgerHead,
    /// Master data: registerCustomer.
    Customer,
    /// Master data of products: releaseLot.
    Lot,
    /// placeOrder (for `rep-own`'s customer).
    Order,
    /// shipOrder.
    Shipment,
    /// issueInvoice.
    Invoice,
    /// receivePayment.
    Payment,
    /// writeOffInvoice.
    WriteOff,
    /// issueRecall.
    Recall,
}

use Action::*;

const ACTIONS: [Action; 12] = [
    Aging,
    Events,
    VerifyChain,
    LedgerHead,
    Customer,
    Lot,
    Order,
    Shipment,
    Invoice,
    Payment,
    WriteOff,
    Recall,
];

const Y: bool = true;
const N: bool = false;

/// The matrix: whether each role may do each of [`ACTIONS`].
#[rustfmt::skip]
const MATRIX: [(Role, [bool; 12]); 8] = [
    //                    aging events verify head  cust  lot   order ship  inv   pay   w-off recall
    (Role::Admin,          [Y,   Y,     Y,     Y,    Y,    Y,    Y,    Y,    Y,    Y,    Y,    Y]),
    (Role::FinanceManager, [Y,   Y,     Y,     Y,    Y,    Y,    Y,    Y,    Y,    Y,    Y,    Y]),
    (Role::Finance,        [Y,   Y,     Y,     Y,    Y,    N,    N,    N,    Y,    Y,    N,    N]),
    (Role::Sales,          [Y,   N,     Y,     Y,    N,    N,    Y,    N,    N,    N,    N,    N]),
    (Role::Warehouse,      [N,   N,     Y,     Y,    N,    Y,    N,    Y,    N,    N,    N,    N]),
    (Role::Quality,        [N,   N,     Y,     Y,    N,    Y,    N,    N,    N,    N,    N,    Y]),
    (Role::Auditor,        [Y,   Y,     Y,     Y,    N,    N,    N,    N,    N,    N,    N,    N]),
    (Role::Regulator,      [N,   N,     Y,     Y,    N,    N,    N,    N,    N,    N,    N,    N]),
];

/// The command an action sends (fresh ids each time), if it is one.
fn command(action: Action, books: &Books) -> Option<Cmd> {
    let id = Uuid::new_v4();
    let lot = format!("L-{}", &id.simple().to_string()[..8]);
    Some(match action {
        Aging | Events | VerifyChain | LedgerHead => return None,
        Customer => cmd::register_customer(id, OWN_REP),
        Lot => cmd::release_lot(&lot, "2030-01-01", 10),
        Order => cmd::place_order(id, books.customer, 1, "10.00"),
        Shipment => cmd::ship_order(id, books.order, LOT, 1),
        Invoice => cmd::issue_invoice(id, books.customer, None, "10.00"),
        Payment => cmd::receive_payment(id, books.customer, "1.00"),
        WriteOff => cmd::write_off_invoice(books.invoice, "1.00"),
        Recall => cmd::issue_recall(id, RECALL_LOT),
    })
}

/// Does `action` as `token`.
fn attempt(h: &Harness, token: &str, action: Action, books: &Books) -> (Reply, Option<Cmd>) {
    let read = |query: &str| h.api.query(token, query);
    let reply = match action {
        Aging => h.api.aging(token, books.head),
        Events => h.api.events(token, 1, 10, None),
        VerifyChain => read("{ verifyChain { ok checked } }"),
        LedgerHead => read("{ ledgerHead { position hash } }"),
        _ => {
            let command = command(action, books).expect("a command");
            return (h.api.run(token, &command), Some(command));
        }
    };
    (reply, None)
}

#[test]
fn every_role_may_do_what_domain_md_section_7_allows_and_is_forbidden_the_rest() {
    let h = Harness::start();
    let books = Books::open(&h.api, h.admin());
    let head = h.api.head(h.admin());
    let (mut wrong, mut actors, mut appended) = (Vec::new(), HashMap::new(), 0);
    for (role, allowed) in MATRIX {
        for (action, allowed) in ACTIONS.into_iter().zip(allowed) {
            let (reply, command) = attempt(&h, h.tokens.of(role), action, &books);
            let got = reply.code();
            let expected = if allowed { None } else { Some("FORBIDDEN") };
            if got.as_deref() != expected {
                wrong.push(format!(
                    "{role} {action:?}: expected {expected:?}, got {}",
                    reply.body
                ));
            }
            if let (None, Some(command)) = (got, command) {
                actors.insert(command.command_id().to_string(), actor_of(role));
                appended += reply.field()["eventIds"].as_array().unwrap().len();
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the role matrix differs:\n{}",
        wrong.join("\n")
    );
    let events = h.api.all_events(h.admin());
    assert_eq!(
        events.len() as u64,
        head + appended as u64,
        "refused commands appended"
    );
    for event in &events[usize::try_from(head).unwrap()..] {
        let command = event["commandId"].as_str().unwrap();
        assert_eq!(event["actor"], actors[command].as_str(), "{event}");
    }
}

#[test]
fn the_regulator_is_refused_amounts_and_the_raw_log_rather_than_shown_zeros() {
    let h = Harness::start();
    let books = Books::open(&h.api, h.admin());
    let regulator = h.tokens.of(Role::Regulator);
    for reply in [
        h.api.aging(regulator, books.head),
        h.api.items(regulator, books.customer, books.head),
        h.api.events(regulator, 1, 10, None),
    ] {
        reply.assert_code("FORBIDDEN");
        assert_eq!(reply.body["data"], Value::Null, "{}", reply.body);
    }
}

/// The customer keys of an aging report.
fn row_keys(reply: &Reply) -> Vec<String> {
    (reply.field()["rows"].as_array().unwrap().iter())
        .map(|r| r["key"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_salesperson_sees_only_their_own_customers_in_aging_and_their_items() {
    let h = Harness::start();
    let books = Books::open(&h.api, h.admin());
    let theirs = Books::another_customer(&h.api, h.admin(), OTHER_REP);
    let invoice = cmd::issue_invoice(Uuid::new_v4(), theirs, None, "70.00");
    let head = h.api.ok(h.admin(), &invoice)["position"].clone();
    let head = server_support::client::position(&head);
    let all = h.api.aging(h.tokens.of(Role::Finance), head);
    assert_eq!(row_keys(&all).len(), 2);
    let own = h.tokens.of(Role::Sales);
    let sales = h.api.aging(own, head);
    assert_eq!(row_keys(&sales), [books.customer.to_string()]);
    assert_eq!(sales.field()["totals"][0]["total"], "100.00");
    let other = h.api.aging(h.tokens.other_rep(), head);
    assert_eq!(row_keys(&other), [theirs.to_string()]);
    h.api.items(own, books.customer, head).field();
    h.api.items(own, theirs, head).assert_code("FORBIDDEN");
}

#[test]
fn a_salesperson_may_not_order_cancel_or_collect_for_another_salespersons_customer() {
    let h = Harness::start();
    let books = Books::open(&h.api, h.admin());
    let theirs = Books::another_customer(&h.api, h.admin(), OTHER_REP);
    let their_order = Uuid::new_v4();
    h.api
        .ok(h.admin(), &cmd::place_order(their_order, theirs, 1, "1.00"));
    let own = h.tokens.of(Role::Sales);
    let head = h.api.head(h.admin());
    for command in [
        cmd::place_order(Uuid::new_v4(), theirs, 1, "1.00"),
        cmd::cancel_order(their_order),
        cmd::record_collection_activity(theirs),
    ] {
        h.api.run(own, &command).assert_code("FORBIDDEN");
    }
    assert_eq!(h.api.head(h.admin()), head);
    h.api.ok(
        own,
        &cmd::place_order(Uuid::new_v4(), books.customer, 1, "1.00"),
    );
    h.api
        .ok(own, &cmd::record_collection_activity(books.customer));
    h.api.ok(own, &cmd::cancel_order(books.order));
}

#[test]
fn a_sales_token_made_for_listed_customers_sees_only_those() {
    let h = Harness::start();
    let books = Books::open(&h.api, h.admin());
    let listed = Books::another_customer(&h.api, h.admin(), OTHER_REP);
    let invoice = cmd::issue_invoice(Uuid::new_v4(), listed, None, "30.00");
    let head = server_support::client::position(&h.api.ok(h.admin(), &invoice)["position"]);
    let customers = vec![arledger_core::ids::CustomerId(listed)];
    // Written while the server runs: it reads tokens.json again.
    let token = Tokens::mint_sales_for(&h.data(), "rep-key-accounts", customers);
    let aging = h.api.aging(&token, head);
    assert_eq!(row_keys(&aging), [listed.to_string()]);
    h.api
        .items(&token, books.customer, head)
        .assert_code("FORBIDDEN");
}

#[test]
fn the_admin_token_from_the_environment_is_accepted_and_recorded_as_the_actor() {
    let secret = "env-admin-token-for-the-test";
    let h = Harness::start_with(&[], &[("ARLEDGER_ADMIN_TOKEN", secret)]);
    let customer = Uuid::new_v4();
    h.api.ok(secret, &cmd::register_customer(customer, OWN_REP));
    let events = h.api.events(secret, 1, 10, Some(customer));
    assert_eq!(events.field()["nodes"][0]["actor"], "admin-token (admin)");
}
