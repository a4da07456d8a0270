//! API tokens and who they stand for (domain.md 7). A token is shown once,
//! when it is made; the data directory keeps only a salted SHA-256 of it,
//! in `tokens.json` beside the log, which `arledger token` edits while a
//! server may be running (the server reads the file again when it
//! changed). `ARLEDGER_ADMIN_TOKEN`, when set, is an admin token too.

use std::path::{Path, PathBuf};
use std::sync::RwLock;

use arledger_core::domain::{Actor, Role};
use arledger_core::ids::CustomerId;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The file of token hashes in a data directory.
pub const TOKENS_FILE: &str = "tokens.json";
/// The environment variable whose value is accepted as an admin token.
pub const ADMIN_TOKEN_ENV: &str = "ARLEDGER_ADMIN_TOKEN";
const TOKEN_PREFIX: &str = "arl_";

/// Who a request acts as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The user the token was made for: every event it appends records it.
    pub user_id: String,
    /// Its role.
    pub role: Role,
    /// For sales: the customers it may see, when listed; otherwise those
    /// whose salesperson is `user_id`.
    pub customers: Vec<CustomerId>,
}

impl Principal {
    /// The actor recorded on the events its commands produce.
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.user_id.clone(),
            role: self.role,
        }
    }
}

/// One stored token: never the token itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredToken {
    /// The token's public id (its first part).
    pub id: String,
    /// The user it acts as.
    pub user: String,
    /// Its role, as domain.md names it.
    pub role: String,
    /// Customers a sales token is limited to (empty: by salesperson).
    #[serde(default)]
    pub customers: Vec<CustomerId>,
    /// Hex salt.
    pub salt: String,
    /// Hex SHA-256 of salt ‖ token.
    pub hash: String,
    /// When it was made (RFC 3339).
    pub created_at: String,
    /// Revoked tokens stay listed, and open nothing.
    #[serde(default)]
    pub revoked: bool,
    /// Made by `serve --demo` (replaced by the next demo start).
    #[serde(default)]
    pub demo: bool,
}

/// Why a token file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a token list.
    #[error("{path} is not a list of tokens: {reason}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// No token has that id.
    #[error("no token {0}")]
    Unknown(String),
}

/// The tokens of a data directory.
pub fn tokens_path(data: &Path) -> PathBuf {
    data.join(TOKENS_FILE)
}

/// Reads the stored tokens (none when the file does not exist).
pub fn read_tokens(path: &Path) -> Result<Vec<StoredToken>, TokenError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(TokenError::Io {
                path: path.into(),
                source,
            });
        }
    };
    serde_json::from_str(&text).map_err(|e| TokenError::Malformed {
        path: path.into(),
        reason: e.to_string(),
    })
}

/// Writes the tokens (to a temporary file, then renamed over the old one,
/// so a reader never sees half a file). To change the list, use
/// [`update_tokens`], which keeps other writers out meanwhile.
pub fn write_tokens(path: &Path, tokens: &[StoredToken]) -> Result<(), TokenError> {
    let io = |source| TokenError::Io {
        path: path.into(),
        source,
    };
    let text = serde_json::to_string_pretty(tokens).map_err(|e| TokenError::Malformed {
        path: path.into(),
        reason: e.to_string(),
    })?;
    let temporary = path.with_extension(format!("json.{}.tmp", std::process::id()));
    std::fs::write(&temporary, text).map_err(io)?;
    std::fs::rename(&temporary, path).map_err(io)
}

/// Reads the tokens, lets `change` edit them, and writes them back, with
/// an exclusive lock on `tokens.json.lock` throughout: two `token`
/// commands at once (or one beside `serve --demo`) never lose an edit.
/// An unchanged list is not written.
pub fn update_tokens<T>(
    path: &Path,
    change: impl FnOnce(&mut Vec<StoredToken>) -> T,
) -> Result<T, TokenError> {
    let lock_path = path.with_extension("json.lock");
    let io = |source| TokenError::Io {
        path: lock_path.clone(),
        source,
    };
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(io)?;
    lock.lock().map_err(io)?;
    let before = read_tokens(path)?;
    let mut tokens = before.clone();
    let answer = change(&mut tokens);
    if tokens != before {
        write_tokens(path, &tokens)?;
    }
    // Dropping the file releases the lock.
    drop(lock);
    Ok(answer)
}

/// Makes a token for `user` in `role`: returns the token (to show once)
/// and what to store.
pub fn mint(
    user: &str,
    role: Role,
    customers: Vec<CustomerId>,
    created_at: &str,
) -> (String, StoredToken) {
    let mut rng = rand::thread_rng();
    let mut id = [0u8; 4];
    let mut secret = [0u8; 24];
    let mut salt = [0u8; 16];
    rng.fill_bytes(&mut id);
    rng.fill_bytes(&mut secret);
    rng.fill_bytes(&mut salt);
    let id = hex::encode(id);
    let token = format!("{TOKEN_PREFIX}{id}_{}", hex::encode(secret));
    let stored = StoredToken {
        id,
        user: user.to_string(),
        role: role.name().to_string(),
        customers,
        salt: hex::encode(salt),
        hash: hex::encode(salted_hash(&salt, &token)),
        created_at: created_at.to_string(),
        revoked: false,
        demo: false,
    };
    (token, stored)
}

fn salted_hash(salt: &[u8], token: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(token.as_bytes());
    hasher.finalize().into()
}

/// Whether `token` is the one `stored` was made from.
fn matches(stored: &StoredToken, token: &str) -> bool {
    let (Ok(salt), Ok(hash)) = (hex::decode(&stored.salt), hex::decode(&stored.hash)) else {
        return false;
    };
    let computed = salted_hash(&salt, token);
    // Compared in constant time: a mismatch position tells nothing.
    hash.len() == computed.len()
        && hash
            .iter()
            .zip(computed)
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

/// The server's view of the token file, read again when it changes.
pub struct TokenStore {
    path: PathBuf,
    admin_token: Option<String>,
    cached: RwLock<(Option<FileVersion>, Vec<StoredToken>)>,
}

impl TokenStore {
    /// The tokens of the data directory `data`, and the admin token from
    /// the environment if set.
    pub fn new(data: &Path, admin_token: Option<String>) -> TokenStore {
        TokenStore {
            path: tokens_path(data),
            admin_token: admin_token.filter(|t| !t.is_empty()),
            cached: RwLock::new((None, Vec::new())),
        }
    }

    /// Who `token` stands for, if anyone.
    pub fn authenticate(&self, token: &str) -> Option<Principal> {
        if self.admin_token.as_deref() == Some(token) {
            return Some(Principal {
                user_id: "admin-token".into(),
                role: Role::Admin,
                customers: Vec::new(),
            });
        }
        let id = token.strip_prefix(TOKEN_PREFIX)?.split('_').next()?;
        self.refresh();
        let cached = self.cached.read().unwrap_or_else(|e| e.into_inner());
        let stored = cached.1.iter().find(|t| t.id == id && !t.revoked)?;
        if !matches(stored, token) {
            return None;
        }
        Some(Principal {
            user_id: stored.user.clone(),
            role: Role::parse(&stored.role).ok()?,
            customers: stored.customers.clone(),
        })
    }

    /// Reads the file again if it changed since it was last read: another
    /// inode (every write renames a new file in), size or change time.
    fn refresh(&self) {
        let seen = std::fs::metadata(&self.path)
            .ok()
            .map(|m| FileVersion::of(&m));
        if self.cached.read().unwrap_or_else(|e| e.into_inner()).0 == seen && seen.is_some() {
            return;
        }
        match read_tokens(&self.path) {
            Ok(tokens) => *self.cached.write().unwrap_or_else(|e| e.into_inner()) = (seen, tokens),
            Err(e) => {
                tracing::warn!(error = %e, "the token file could not be read; keeping the tokens read before")
            }
        }
    }
}

/// What tells one version of the token file from another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileVersion {
    inode: u64,
    size: u64,
    changed: (i64, i64),
    modified: (i64, i64),
}

impl FileVersion {
    fn of(metadata: &std::fs::Metadata) -> FileVersion {
        use std::os::unix::fs::MetadataExt;
        FileVersion {
            inode: metadata.ino(),
            size: metadata.size(),
            changed: (metadata.ctime(), metadata.ctime_nsec()),
            modified: (metadata.mtime(), metadata.mtime_nsec()),
        }
    }
}
