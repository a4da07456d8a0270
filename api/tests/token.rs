//! `arledger token`, run as a process on data directories in temp dirs,
//! checked against the server's own `TokenStore`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

mod support;

use std::path::Path;

use arledger::auth::{self, TokenStore};
use arledger_core::domain::Role;
use arledger_core::ids::CustomerId;
use support::*;
use uuid::Uuid;

fn token(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let mut all = vec!["token"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--data", dir.to_str().unwrap()]);
    let output = arledger(&all);
    let (stdout, stderr) = text(&output);
    (output.status.code(), stdout, stderr)
}

/// The token printed by `token create`: the one line that is a token.
fn printed_token(stdout: &str) -> String {
    let tokens: Vec<&str> = stdout.lines().filter(|l| l.starts_with("arl_")).collect();
    assert_eq!(tokens.len(), 1, "{stdout}");
    tokens[0].to_string()
}

#[test]
fn a_created_token_is_listed_without_its_hash_opens_the_server_until_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let customer = Uuid::from_u128(7);
    let customers = customer.to_string();
    let (code, stdout, stderr) = token(
        &data,
        &[
            "create",
            "--role",
            "sales",
            "--user",
            "s-1",
            "--customers",
            &customers,
        ],
    );
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let secret = printed_token(&stdout);
    let stored = auth::read_tokens(&auth::tokens_path(&data)).unwrap();
    assert_eq!(stored.len(), 1);
    let id = stored[0].id.clone();
    assert!(
        stdout.contains(&format!("token {id} for user s-1 (role sales)")),
        "{stdout}"
    );
    // Only the salted hash is kept.
    let file = std::fs::read_to_string(auth::tokens_path(&data)).unwrap();
    assert!(!file.contains(&secret[4..]), "{file}");

    let (code, stdout, stderr) = token(&data, &["create", "--role", "finance"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let (code, list, stderr) = token(&data, &["list"]);
    assert_eq!(code, Some(0), "{list}{stderr}");
    let rows: Vec<&str> = list.lines().collect();
    assert_eq!(rows.len(), 3, "{list}");
    assert!(rows[0].starts_with("ID"), "{list}");
    let sales: Vec<&str> = rows[1].split_whitespace().collect();
    assert_eq!(
        sales[..4],
        [id.as_str(), "s-1", "sales", customers.as_str()],
        "{list}"
    );
    assert_eq!(sales[5], "no", "{list}");
    // The user defaults to the role's name.
    assert!(
        rows[2]
            .split_whitespace()
            .take(3)
            .eq([stored_id(&data, 1).as_str(), "finance", "finance"]),
        "{list}"
    );
    for entry in auth::read_tokens(&auth::tokens_path(&data)).unwrap() {
        assert!(
            !list.contains(&entry.hash) && !list.contains(&entry.salt),
            "{list}"
        );
    }

    // The server's view of the file: the token opens it as its user.
    let store = TokenStore::new(&data, None);
    let principal = store
        .authenticate(&secret)
        .expect("the printed token is accepted");
    assert_eq!(principal.user_id, "s-1");
    assert_eq!(principal.role, Role::Sales);
    assert_eq!(principal.customers, vec![CustomerId(customer)]);
    assert!(store.authenticate(&format!("{secret}0")).is_none());

    // At once: the server tells a rewritten file by its new inode, not by
    // its modification time alone.
    let (code, stdout, stderr) = token(&data, &["revoke", &id]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        store.authenticate(&secret).is_none(),
        "a revoked token still opens the server"
    );
    assert!(TokenStore::new(&data, None).authenticate(&secret).is_none());
    let (_, list, _) = token(&data, &["list"]);
    let row: Vec<&str> = list.lines().nth(1).unwrap().split_whitespace().collect();
    assert_eq!((row[0], row[5]), (id.as_str(), "yes"), "{list}");
}

fn stored_id(data: &Path, n: usize) -> String {
    auth::read_tokens(&auth::tokens_path(data)).unwrap()[n]
        .id
        .clone()
}

#[test]
fn bad_roles_customers_for_other_roles_and_unknown_ids_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let (code, _, stderr) = token(data, &["create", "--role", "boss"]);
    assert_eq!(code, Some(2), "{stderr}");
    for role in Role::ALL {
        assert!(stderr.contains(role.name()), "{stderr}");
    }
    let customer = Uuid::from_u128(7).to_string();
    let (code, _, stderr) = token(
        data,
        &["create", "--role", "finance", "--customers", &customer],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--customers"), "{stderr}");
    let (code, _, stderr) = token(data, &["revoke", "deadbeef"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("no token deadbeef"), "{stderr}");
    // Nothing was written by the refused commands.
    assert!(!auth::tokens_path(data).exists());
}
