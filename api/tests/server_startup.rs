//! `arledger serve` starting and stopping: each reason it cannot start
//! (a port in use, a data directory that is a file, one another server
//! holds, a damaged log) said in a sentence with a non-zero exit; and
//! SIGTERM answered by a clean stop that loses nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

mod server_support;
mod support;

use std::path::Path;
use std::process::Output;

use server_support::Harness;
use server_support::books::cmd;
use support::{five_commits, flip_byte_of_frame, text};

/// `arledger serve --data <dir> --listen <listen>`, expected to fail:
/// its stderr.
fn refused(dir: &Path, listen: &str) -> String {
    let output: Output =
        support::arledger(&["serve", "--data", dir.to_str().unwrap(), "--listen", listen]);
    let (stdout, stderr) = text(&output);
    assert!(!output.status.success(), "serve started: {stdout}{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn a_port_in_use_is_refused_with_a_message() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let stderr = refused(dir.path(), &address);
    assert!(
        stderr.contains(&format!("cannot listen on {address}")),
        "{stderr}"
    );
    assert!(stderr.contains("--listen"), "says what to do: {stderr}");
}

#[test]
fn a_data_directory_that_is_a_file_is_refused_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ledger.txt");
    std::fs::write(&file, "not a ledger").unwrap();
    let stderr = refused(&file, "127.0.0.1:0");
    assert!(stderr.contains("is not a directory"), "{stderr}");
}

#[test]
fn a_data_directory_another_server_holds_is_refused_with_a_message() {
    let h = Harness::start();
    let stderr = refused(&h.data(), "127.0.0.1:0");
    assert!(stderr.contains("in use by another process"), "{stderr}");
    // The first server goes on.
    assert_eq!(h.api.head(h.admin()), 0);
}

#[test]
fn a_damaged_log_is_refused_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    five_commits(dir.path());
    flip_byte_of_frame(dir.path(), 3);
    let stderr = refused(dir.path(), "127.0.0.1:0");
    assert!(stderr.contains("is damaged"), "{stderr}");
    assert!(
        stderr.contains("at position 3") || stderr.contains("sled found corrupt data"),
        "names the position where it can: {stderr}"
    );
}

#[test]
fn sigterm_stops_the_server_cleanly_and_a_restart_serves_everything() {
    let mut h = Harness::start();
    let command = cmd::register_customer(uuid::Uuid::new_v4(), "rep-1");
    let registered = h.api.ok(h.admin(), &command);
    let (status, printed) = h.server.terminate();
    assert!(status.success(), "{status:?}: {printed:?}");
    assert!(
        printed.iter().any(|l| l == "arledger stopped"),
        "{printed:?}"
    );
    h.restart();
    assert_eq!(h.api.head(h.admin()), 1);
    // Acknowledged before the stop, so there after it: the same command
    // is answered as a duplicate at its position.
    let again = h.api.ok(h.admin(), &command);
    assert_eq!(again["duplicate"], true, "{again}");
    assert_eq!(again["position"], registered["position"]);
}
