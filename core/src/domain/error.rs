//! Why a command was refused. Every variant names the rule it broke, so a
//! person reading the message knows what to change; `code()` maps it to the
//! public `ErrorCode` of the GraphQL contract.

use super::types::Role;

/// The public error codes (api-contract.graphql `ErrorCode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// Malformed field, unknown reference format, too many decimals.
    InvalidInput,
    /// A referenced entity does not exist.
    NotFound,
    /// The entity or document number already exists.
    AlreadyExists,
    /// No identity.
    Unauthenticated,
    /// The role may not do this.
    Forbidden,
    /// Expected version did not match.
    ConcurrencyConflict,
    /// Same command id, different body.
    IdempotencyMismatch,
    /// Currencies differ.
    CurrencyMismatch,
    /// More than ordered and not yet shipped, or than the lot has left.
    Overshipment,
    /// Shipping a held, rejected or cancelled order.
    OrderNotReleased,
    /// The lot is expired on the ship date.
    LotExpired,
    /// The lot is under recall.
    LotRecalled,
    /// A UDI does not parse.
    UdiInvalid,
    /// A UDI disagrees with its line.
    UdiMismatch,
    /// A shipment line would be invoiced twice.
    DoubleBilling,
    /// More than the payment's rest or the invoice's open amount.
    Overallocation,
    /// A credit note or write-off larger than the open amount.
    OverCredit,
    /// Anything else the entity's state forbids.
    InvalidState,
}

impl ErrorCode {
    /// The code as written in the GraphQL contract.
    pub fn as_str(&self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "INVALID_INPUT",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::AlreadyExists => "ALREADY_EXISTS",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::ConcurrencyConflict => "CONCURRENCY_CONFLICT",
            ErrorCode::IdempotencyMismatch => "IDEMPOTENCY_MISMATCH",
            ErrorCode::CurrencyMismatch => "CURRENCY_MISMATCH",
            ErrorCode::Overshipment => "OVERSHIPMENT",
            ErrorCode::OrderNotReleased => "ORDER_NOT_RELEASED",
            ErrorCode::LotExpired => "LOT_EXPIRED",
            ErrorCode::LotRecalled => "LOT_RECALLED",
            ErrorCode::UdiInvalid => "UDI_INVALID",
            ErrorCode::UdiMismatch => "UDI_MISMATCH",
            ErrorCode::DoubleBilling => "DOUBLE_BILLING",
            ErrorCode::Overallocation => "OVERALLOCATION",
            ErrorCode::OverCredit => "OVER_CREDIT",
            ErrorCode::InvalidState => "INVALID_STATE",
        }
    }
}

/// A refused command. Nothing was appended.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// A field is malformed or out of range.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// The offending field.
        field: String,
        /// What is wrong and what is allowed.
        reason: String,
    },
    /// The role name is not one of domain.md's roles.
    #[error(
        "unknown role {0:?}; roles are admin, finance_manager, finance, sales, warehouse, quality, auditor, regulator"
    )]
    UnknownRole(String),
    /// A referenced entity does not exist.
    #[error("{entity} {id} does not exist")]
    NotFound {
        /// Kind of entity.
        entity: &'static str,
        /// Its id or key.
        id: String,
    },
    /// The id or document number is taken.
    #[error("{entity} {id} already exists")]
    AlreadyExists {
        /// Kind of entity.
        entity: &'static str,
        /// Its id or key.
        id: String,
    },
    /// The actor's role may not run this command.
    #[error("role {role} may not {action}; it needs one of: {needed}")]
    Forbidden {
        /// The actor's role.
        role: Role,
        /// What was attempted.
        action: &'static str,
        /// Roles that may.
        needed: String,
    },
    /// The stream moved on since the client read it.
    #[error(
        "stream {stream} is at version {actual}, the command expected {expected}; re-read and retry"
    )]
    ConcurrencyConflict {
        /// The stream.
        stream: String,
        /// What the command expected.
        expected: String,
        /// The stream's version now.
        actual: u64,
    },
    /// The command id was used before with a different body.
    #[error(
        "command id {command_id} was already used for a different command; use a new command id"
    )]
    IdempotencyMismatch {
        /// The reused id.
        command_id: String,
    },
    /// Currencies differ where one currency is required.
    #[error("currency mismatch: expected {expected}, got {got}")]
    CurrencyMismatch {
        /// The currency required.
        expected: String,
        /// The currency given.
        got: String,
    },
    /// More than ordered and not yet shipped, or more than the lot has left.
    #[error("overshipment: {detail}")]
    Overshipment {
        /// Which quantity was exceeded.
        detail: String,
    },
    /// The order is held, rejected or cancelled.
    #[error("order {order} is {status} and cannot be shipped; {hint}")]
    OrderNotReleased {
        /// The order.
        order: String,
        /// Its status.
        status: &'static str,
        /// What would make it shippable.
        hint: &'static str,
    },
    /// The lot expires before the ship date.
    #[error("lot {lot} of {gtin} expired on {expires_on}, before the ship date {shipped_on}")]
    LotExpired {
        /// Product.
        gtin: String,
        /// Lot.
        lot: String,
        /// Expiry.
        expires_on: chrono::NaiveDate,
        /// Ship date.
        shipped_on: chrono::NaiveDate,
    },
    /// The lot is under recall.
    #[error("lot {lot} of {gtin} is under recall {recall} and may not be shipped")]
    LotRecalled {
        /// Product.
        gtin: String,
        /// Lot.
        lot: String,
        /// The recall.
        recall: String,
    },
    /// A serial is under a recall that names serials.
    #[error(
        "serial {serial} of lot {lot} of {gtin} is under recall {recall} and may not be shipped"
    )]
    SerialRecalled {
        /// Product.
        gtin: String,
        /// Lot.
        lot: String,
        /// Serial.
        serial: String,
        /// The recall.
        recall: String,
    },
    /// A UDI string does not parse.
    #[error("invalid UDI: {0}")]
    UdiInvalid(String),
    /// A UDI disagrees with its shipment line.
    #[error("UDI does not match the line: {0}")]
    UdiMismatch(String),
    /// The shipment line's quantity has already been invoiced.
    #[error(
        "double billing: shipment {shipment} line {line_no} has {remaining} units left to invoice, the invoice asks for {requested}"
    )]
    DoubleBilling {
        /// The shipment.
        shipment: String,
        /// Its line.
        line_no: u32,
        /// Units not yet invoiced.
        remaining: u64,
        /// Units on the invoice.
        requested: u64,
    },
    /// An allocation exceeds the payment's rest or the invoice's open amount.
    #[error("overallocation: {0}")]
    Overallocation(String),
    /// A credit note, write-off or recovery exceeds what is open.
    #[error("over credit: {0}")]
    OverCredit(String),
    /// The entity's state forbids the command.
    #[error("{entity} {id}: {reason}")]
    InvalidState {
        /// Kind of entity.
        entity: &'static str,
        /// Its id.
        id: String,
        /// The rule.
        reason: String,
    },
}

impl CommandError {
    /// The public error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            CommandError::InvalidInput { .. } => ErrorCode::InvalidInput,
            CommandError::UnknownRole(_) => ErrorCode::InvalidInput,
            CommandError::NotFound { .. } => ErrorCode::NotFound,
            CommandError::AlreadyExists { .. } => ErrorCode::AlreadyExists,
            CommandError::Forbidden { .. } => ErrorCode::Forbidden,
            CommandError::ConcurrencyConflict { .. } => ErrorCode::ConcurrencyConflict,
            CommandError::IdempotencyMismatch { .. } => ErrorCode::IdempotencyMismatch,
            CommandError::CurrencyMismatch { .. } => ErrorCode::CurrencyMismatch,
            CommandError::Overshipment { .. } => ErrorCode::Overshipment,
            CommandError::OrderNotReleased { .. } => ErrorCode::OrderNotReleased,
            CommandError::LotExpired { .. } => ErrorCode::LotExpired,
            CommandError::LotRecalled { .. } | CommandError::SerialRecalled { .. } => {
                ErrorCode::LotRecalled
            }
            CommandError::UdiInvalid(_) => ErrorCode::UdiInvalid,
            CommandError::UdiMismatch(_) => ErrorCode::UdiMismatch,
            CommandError::DoubleBilling { .. } => ErrorCode::DoubleBilling,
            CommandError::Overallocation(_) => ErrorCode::Overallocation,
            CommandError::OverCredit(_) => ErrorCode::OverCredit,
            CommandError::InvalidState { .. } => ErrorCode::InvalidState,
        }
    }

    pub(crate) fn invalid(field: &str, reason: impl Into<String>) -> CommandError {
        CommandError::InvalidInput {
            field: field.to_string(),
            reason: reason.into(),
        }
    }

    pub(crate) fn not_found(entity: &'static str, id: impl ToString) -> CommandError {
        CommandError::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    pub(crate) fn exists(entity: &'static str, id: impl ToString) -> CommandError {
        CommandError::AlreadyExists {
            entity,
            id: id.to_string(),
        }
    }

    pub(crate) fn state(
        entity: &'static str,
        id: impl ToString,
        reason: impl Into<String>,
    ) -> CommandError {
        CommandError::InvalidState {
            entity,
            id: id.to_string(),
            reason: reason.into(),
        }
    }
}

impl From<crate::money::MoneyError> for CommandError {
    fn from(e: crate::money::MoneyError) -> Self {
        use crate::money::MoneyError;
        match e {
            MoneyError::CurrencyMismatch { left, right } => CommandError::CurrencyMismatch {
                expected: left.to_string(),
                got: right.to_string(),
            },
            MoneyError::UnknownCurrency(_) => CommandError::invalid("currency", e.to_string()),
            MoneyError::TooManyDecimals { .. } => CommandError::invalid("amount", e.to_string()),
            MoneyError::Overflow => CommandError::invalid("amount", e.to_string()),
        }
    }
}
