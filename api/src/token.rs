//! `arledger token create|list|revoke`: the API tokens of a data
//! directory (`tokens.json`, see `arledger::auth`). A token is printed
//! once, when it is made; the file keeps only its salted hash. The file
//! may be edited while a server runs: every write goes to a temporary file
//! renamed over the old one, and the server reads the file again when its
//! modification time changes. These commands never open the ledger (a
//! running server holds it).

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};
use arledger::auth::{self, StoredToken};
use arledger_core::domain::Role;
use arledger_core::ids::CustomerId;
use chrono::{SecondsFormat, Utc};
use uuid::Uuid;

use crate::shared::DataDir;

/// `arledger token` arguments.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand, Debug)]
enum Action {
    /// Make a token and print it (once: only its salted hash is kept).
    Create(CreateArgs),
    /// The tokens: id, user, role, customers, created, revoked (never a
    /// hash).
    List(ListArgs),
    /// Revoke a token: it opens nothing from then on, and stays listed.
    Revoke(RevokeArgs),
}

#[derive(clap::Args, Debug)]
struct CreateArgs {
    /// The role (domain.md 7): admin, finance_manager, finance, sales,
    /// warehouse, quality, auditor or regulator.
    #[arg(long, value_name = "ROLE")]
    role: String,
    /// The user recorded on every event the token appends (default: the
    /// role's name).
    #[arg(long, value_name = "NAME")]
    user: Option<String>,
    /// For sales only: the customers it may see (default: those whose
    /// salesperson is the user).
    #[arg(long, value_name = "UUID,UUID", value_delimiter = ',')]
    customers: Vec<Uuid>,
    #[command(flatten)]
    data: DataDir,
}

#[derive(clap::Args, Debug)]
struct ListArgs {
    #[command(flatten)]
    data: DataDir,
}

#[derive(clap::Args, Debug)]
struct RevokeArgs {
    /// The token's id (the first column of `arledger token list`).
    #[arg(value_name = "ID")]
    id: String,
    #[command(flatten)]
    data: DataDir,
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    match &args.action {
        Action::Create(create_args) => create(create_args),
        Action::List(list_args) => list(&list_args.data.path),
        Action::Revoke(revoke_args) => revoke(&revoke_args.data.path, &revoke_args.id),
    }?;
    Ok(ExitCode::SUCCESS)
}

/// Mints a token, stores its hash, prints it.
fn create(args: &CreateArgs) -> anyhow::Result<()> {
    let role = Role::parse(&args.role).map_err(|e| anyhow!("--role: {e}"))?;
    if !args.customers.is_empty() && role != Role::Sales {
        bail!(
            "--customers limits what a sales token sees; role {} is not limited by customer (leave --customers out, or use --role sales)",
            role.name()
        );
    }
    let user = args.user.clone().unwrap_or_else(|| role.name().to_string());
    if user.trim().is_empty() {
        bail!("--user must not be empty");
    }
    let dir = &args.data.path;
    data_dir(dir)?;
    let path = auth::tokens_path(dir);
    #[allow(clippy::disallowed_methods)] // a binary may read the wall clock
    let now = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let customers = args.customers.iter().copied().map(CustomerId).collect();
    let (token, stored) = auth::mint(&user, role, customers, &now);
    auth::update_tokens(&path, |tokens| tokens.push(stored.clone()))?;
    println!(
        "token {} for user {} (role {}), created {}:",
        stored.id, stored.user, stored.role, stored.created_at
    );
    println!("{token}");
    println!(
        "It is shown only now: {} keeps only a salted hash of it. Send it as Authorization: Bearer <token>.",
        path.display()
    );
    Ok(())
}

/// The data directory the token file goes in: created when missing (a
/// token may be made before the server first starts there).
fn data_dir(dir: &Path) -> anyhow::Result<()> {
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(anyhow!("{} is not a directory", dir.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
            eprintln!("created the data directory {}", dir.display());
            Ok(())
        }
        Err(e) => Err(anyhow!("cannot use {}: {e}", dir.display())),
    }
}

/// Prints the tokens as a table.
fn list(dir: &Path) -> anyhow::Result<()> {
    let path = auth::tokens_path(dir);
    let tokens = auth::read_tokens(&path)?;
    if tokens.is_empty() {
        println!("no tokens in {}", path.display());
        return Ok(());
    }
    let header = ["ID", "USER", "ROLE", "CUSTOMERS", "CREATED", "REVOKED"].map(String::from);
    let rows: Vec<[String; 6]> = std::iter::once(header)
        .chain(tokens.iter().map(row))
        .collect();
    let mut widths = [0usize; 6];
    for r in &rows {
        for (width, cell) in widths.iter_mut().zip(r) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for r in &rows {
        let cells: Vec<String> = r
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        println!("{}", cells.join("  ").trim_end());
    }
    Ok(())
}

/// One token's row: never its hash or salt.
fn row(token: &StoredToken) -> [String; 6] {
    let customers = if token.customers.is_empty() {
        "-".to_string()
    } else {
        let ids: Vec<String> = token.customers.iter().map(|c| c.0.to_string()).collect();
        ids.join(",")
    };
    let user = if token.demo {
        format!("{} (demo)", token.user)
    } else {
        token.user.clone()
    };
    [
        token.id.clone(),
        user,
        token.role.clone(),
        customers,
        token.created_at.clone(),
        if token.revoked { "yes" } else { "no" }.to_string(),
    ]
}

/// Marks a token revoked.
fn revoke(dir: &Path, id: &str) -> anyhow::Result<()> {
    let path = auth::tokens_path(dir);
    let revoked = auth::update_tokens(&path, |tokens| {
        let token = tokens.iter_mut().find(|t| t.id == id)?;
        let was = token.revoked;
        token.revoked = true;
        Some((token.user.clone(), was))
    })?;
    match revoked {
        None => bail!(
            "no token {id} in {} (arledger token list --data {} shows the ids)",
            path.display(),
            dir.display()
        ),
        Some((_, true)) => println!("token {id} was already revoked"),
        Some((user, false)) => {
            println!("revoked token {id} (user {user}): it opens nothing from now on")
        }
    }
    Ok(())
}
