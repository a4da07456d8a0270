//! The log's errors: what failed, and what the caller can do about it.

use super::*;

/// The log's failures (as opposed to refused commands).
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// sled failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored record does not decode.
    #[error("record at position {position}: {source}")]
    Decode {
        /// Position (or frame start) of the record.
        position: u64,
        /// Why.
        source: DecodeError,
    },
    /// The stored log skips positions (damaged after open).
    #[error("the log skips from position {expected} to {found}; reopen to have it checked")]
    Gap {
        /// The position expected next.
        expected: u64,
        /// The position found.
        found: u64,
    },
    /// The scrub found a stored record rewritten (its SHA-256 chain does not
    /// hold): nothing from `position` on is served, and no more commands
    /// are accepted.
    #[error(
        "the stored log is altered at position {position}: {reason}; nothing from there on is served and no command is accepted: restore the log from a copy you trust"
    )]
    Altered {
        /// First position whose stored hash does not hold.
        position: u64,
        /// What is wrong.
        reason: String,
    },
    /// The scrub could not check the chain from `position` on (a storage
    /// error, or a bug): nothing from there on is served and no more
    /// commands are accepted. This says nothing about the log itself.
    #[error(
        "the hash chain could not be checked from position {position}: {reason}; nothing from there on is served and no command is accepted: reopen the ledger"
    )]
    Unchecked {
        /// First position not checked.
        position: u64,
        /// Why.
        reason: String,
    },
    /// The ledger stopped accepting commands earlier: a storage failure or
    /// a broken invariant (reopen to go on), or an altered log. The text
    /// says which, and what to do.
    #[error("the ledger stopped accepting commands: {0}")]
    Poisoned(String),
    /// The ledger is shut down.
    #[error("the ledger is closed")]
    Closed,
    /// A batch is larger than `BATCH_COMMANDS_MAX`.
    #[error("a batch holds at most {max} commands, got {got}")]
    BatchTooLarge {
        /// Allowed.
        max: usize,
        /// Given.
        got: usize,
    },
}

/// Why [`Ledger::open`] failed.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// sled failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A thread of the ledger could not be started.
    #[error("cannot start a ledger thread: {0}")]
    Thread(std::io::Error),
    /// The stored log is damaged at `position`; it is not served.
    #[error("log corrupt at position {position}: {reason}")]
    Corrupt {
        /// First position affected.
        position: u64,
        /// What is wrong.
        reason: String,
    },
}

/// Why a single `submit` did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The command broke a rule; nothing was appended.
    #[error(transparent)]
    Refused(#[from] CommandError),
    /// The log failed.
    #[error(transparent)]
    Log(#[from] LogError),
}
