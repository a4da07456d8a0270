//! One error type for the API: every refusal is a GraphQL error whose
//! `extensions.code` is one of the contract's `ErrorCode`s (plus the codes
//! this server adds: `PROJECTION_LAG`, `RATE_LIMITED`, `UNAVAILABLE`), with
//! a message a person can act on. Internal details (paths, type names,
//! panic texts) never leave the server: they are logged, and the client
//! gets a sentence.

use arledger_core::domain::CommandError;
use arledger_core::log::{LogError, SubmitError};
use async_graphql::ErrorExtensions;

/// An API error: a contract code and a message for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// The `extensions.code`.
    pub code: &'static str,
    /// What went wrong and what to do.
    pub message: String,
}

impl ApiError {
    /// An error with `code` and `message`.
    pub fn new(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
        }
    }

    /// Malformed input.
    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new("INVALID_INPUT", message)
    }

    /// The caller's role may not do or see this.
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new("FORBIDDEN", message)
    }

    /// A limit on how much one caller may ask at once.
    pub fn rate_limited(message: impl Into<String>) -> ApiError {
        ApiError::new("RATE_LIMITED", message)
    }

    /// The server cannot answer now (the ledger stopped, the store failed);
    /// the detail is logged, not sent.
    pub fn unavailable(detail: &dyn std::fmt::Display) -> ApiError {
        tracing::error!(detail = %detail, "request failed inside the server");
        ApiError::new(
            "UNAVAILABLE",
            "the ledger cannot answer this now; try again, and tell an operator if it persists",
        )
    }
}

impl From<CommandError> for ApiError {
    fn from(e: CommandError) -> ApiError {
        ApiError::new(e.code().as_str(), e.to_string())
    }
}

impl From<LogError> for ApiError {
    fn from(e: LogError) -> ApiError {
        match e {
            LogError::BatchTooLarge { max, got } => ApiError::invalid(format!(
                "a request may hold at most {max} commands, this one holds {got}"
            )),
            other => ApiError::unavailable(&other),
        }
    }
}

impl From<SubmitError> for ApiError {
    fn from(e: SubmitError) -> ApiError {
        match e {
            SubmitError::Refused(refused) => refused.into(),
            SubmitError::Log(log) => log.into(),
        }
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(e: ApiError) -> async_graphql::Error {
        async_graphql::Error::new(e.message).extend_with(|_, ext| ext.set("code", e.code))
    }
}

/// What resolvers return.
pub type ApiResult<T> = Result<T, async_graphql::Error>;
