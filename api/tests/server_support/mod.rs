//! What the server's end-to-end tests share: the real `arledger serve`
//! binary started on a loopback port the OS picks, in a temp dir, with
//! tokens minted into its `tokens.json` before it starts; a GraphQL client
//! over HTTP (`client`), the commands and a small set of books
//! (`books`), the read-side reports beyond aging (`reports`), and a
//! graphql-transport-ws client (`ws`).

#![allow(dead_code)] // each test file uses its own part

pub mod books;
pub mod client;
pub mod reports;
pub mod trace;
pub mod ws;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use arledger::auth;
use arledger_core::domain::Role;
use arledger_core::ids::CustomerId;
use tempfile::TempDir;

#[allow(unused_imports)] // not every test file names both
pub use client::{Api, Reply};

/// How long a server may take to say it listens (a debug build filling
/// the demo ledger included).
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// The salesperson the `sales` token acts as.
pub const OWN_REP: &str = "rep-own";
/// Another salesperson, with a token of their own (`Tokens::other_rep`).
pub const OTHER_REP: &str = "rep-other";

/// A running `arledger serve`, killed (SIGKILL) when dropped.
pub struct Server {
    child: Child,
    /// `127.0.0.1:PORT`, as the server printed it.
    pub addr: String,
    /// What it printed before it listened (demo tokens among them).
    pub stdout: Vec<String>,
    /// What it prints after.
    lines: mpsc::Receiver<String>,
}

impl Server {
    /// Starts `arledger serve --data <data> --listen 127.0.0.1:0 <extra>`,
    /// its stderr in `log`, and waits for its "listening" line.
    pub fn start(data: &Path, log: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let stderr = std::fs::File::create(log).expect("a log file for the server");
        let mut command = Command::new(env!("CARGO_BIN_EXE_arledger"));
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .args(extra)
            .env_remove("RUST_LOG")
            .env_remove(auth::ADMIN_TOKEN_ENV)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr);
        let mut child = command.spawn().expect("the arledger binary starts");
        let stdout = child.stdout.take().expect("the server's stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            // Drains stdout for the server's whole life (a full pipe would
            // block it); the test stops listening once it has the address.
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut server = Server {
            child,
            addr: String::new(),
            stdout: Vec::new(),
            lines: rx,
        };
        server.addr = server.wait_for_listening(log);
        server
    }

    /// The address from "arledger listening on http://ADDR (…)".
    fn wait_for_listening(&mut self, log: &Path) -> String {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = self.lines.recv_timeout(left) else {
                let _ = self.child.kill();
                let log = std::fs::read_to_string(log).unwrap_or_default();
                panic!(
                    "the server did not say it listens within {START_TIMEOUT:?}; it printed {:?}, and on stderr:\n{log}",
                    self.stdout
                );
            };
            if let Some(rest) = line.strip_prefix("arledger listening on http://") {
                return rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
            }
            self.stdout.push(line);
        }
    }

    /// Kills the server with SIGKILL, as a crash would, and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops the server with SIGTERM, as an operator (or a service
    /// manager) would; its exit status and what it printed meanwhile.
    pub fn terminate(&mut self) -> (std::process::ExitStatus, Vec<String>) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -TERM {pid}");
        let status = self.child.wait().expect("the server exits");
        // Its stdout closed when it exited: every line is there.
        (status, self.lines.iter().collect())
    }

    /// The server's base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Tokens by name: one per role (its user `u-<role>`, the sales token's
/// `rep-own`), and `rep-other` (sales) for another salesperson.
pub struct Tokens(HashMap<String, String>);

impl Tokens {
    /// Mints the tokens into `data`'s `tokens.json` (before a server starts).
    pub fn mint(data: &Path) -> Tokens {
        let mut stored = Vec::new();
        let mut tokens = HashMap::new();
        let mut users: Vec<(String, Role)> = (Role::ALL.iter())
            .map(|&role| (user_of(role), role))
            .collect();
        users.push((OTHER_REP.to_string(), Role::Sales));
        for (user, role) in users {
            let (token, entry) = auth::mint(&user, role, Vec::new(), "2026-07-01T09:00:00Z");
            stored.push(entry);
            tokens.insert(user, token);
        }
        auth::write_tokens(&auth::tokens_path(data), &stored).expect("tokens.json written");
        Tokens(tokens)
    }

    /// Adds a sales token limited to the listed customers; returns it.
    pub fn mint_sales_for(data: &Path, user: &str, customers: Vec<CustomerId>) -> String {
        let path = auth::tokens_path(data);
        let mut stored = auth::read_tokens(&path).expect("tokens.json read");
        let (token, entry) = auth::mint(user, Role::Sales, customers, "2026-07-01T09:00:00Z");
        stored.push(entry);
        auth::write_tokens(&path, &stored).expect("tokens.json written");
        token
    }

    /// The token of `role`'s user.
    pub fn of(&self, role: Role) -> &str {
        &self.0[&user_of(role)]
    }

    /// The admin's token.
    pub fn admin(&self) -> &str {
        self.of(Role::Admin)
    }

    /// The token of the other salesperson.
    pub fn other_rep(&self) -> &str {
        &self.0[OTHER_REP]
    }
}

/// The user a role's test token acts as.
pub fn user_of(role: Role) -> String {
    match role {
        Role::Sales => OWN_REP.to_string(),
        role => format!("u-{}", role.name()),
    }
}

/// A server on a fresh temp dir with [`Tokens`], and a client for it.
pub struct Harness {
    /// Tokens of every role.
    pub tokens: Tokens,
    /// The client, pointed at the server.
    pub api: Api,
    /// The server (dropped before the dir).
    pub server: Server,
    /// Holds `data/` and `server.log`.
    pub dir: TempDir,
}

impl Harness {
    /// A fresh ledger served with the test tokens.
    pub fn start() -> Harness {
        Harness::start_with(&[], &[])
    }

    /// As [`Harness::start`], with extra `serve` arguments and environment.
    pub fn start_with(extra: &[&str], env: &[(&str, &str)]) -> Harness {
        let dir = tempfile::tempdir().expect("a temp dir");
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).expect("the data dir");
        let tokens = Tokens::mint(&data);
        let server = Server::start(&data, &dir.path().join("server.log"), extra, env);
        let api = Api::new(&server.url());
        Harness {
            tokens,
            api,
            server,
            dir,
        }
    }

    /// The data directory.
    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Kills the server (SIGKILL) if it still runs, and starts another on
    /// the same data.
    pub fn restart(&mut self) {
        self.server.kill();
        let log = self.dir.path().join("server-restarted.log");
        self.server = Server::start(&self.data(), &log, &[], &[]);
        self.api = Api::new(&self.server.url());
    }

    /// Stops the server with SIGTERM (it stores what its read models
    /// applied and exits cleanly, checked) and starts another on the same
    /// data.
    pub fn restart_cleanly(&mut self) {
        let (status, _) = self.server.terminate();
        assert!(status.success(), "the server stopped with {status}");
        let log = self.dir.path().join("server-restarted-cleanly.log");
        self.server = Server::start(&self.data(), &log, &[], &[]);
        self.api = Api::new(&self.server.url());
    }

    /// The admin's token.
    pub fn admin(&self) -> &str {
        self.tokens.admin()
    }
}
