//! The contract's enums, and the free-text fields the contract leaves as
//! strings (payment method, collection channel, credit-note reason),
//! parsed with a message naming what is accepted.

use arledger_core::domain::terms::TermsBase as CoreBase;
use arledger_core::domain::types::{
    CollectionChannel, CreditReason, CustomerKind as CoreKind, PaymentMethod, RiskClass,
    RiskGrade as CoreGrade,
};
use async_graphql::Enum;
use serde::{Deserialize, Serialize};

use super::errors::ApiError;

/// Kind of customer.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CustomerKind {
    /// A hospital.
    Hospital,
    /// A clinic.
    Clinic,
    /// A distributor.
    Distributor,
    /// A dealer.
    Dealer,
    /// Anything else.
    Other,
}

impl From<CustomerKind> for CoreKind {
    fn from(kind: CustomerKind) -> CoreKind {
        match kind {
            CustomerKind::Hospital => CoreKind::Hospital,
            CustomerKind::Clinic => CoreKind::Clinic,
            CustomerKind::Distributor => CoreKind::Distributor,
            CustomerKind::Dealer => CoreKind::Dealer,
            CustomerKind::Other => CoreKind::Other,
        }
    }
}

/// Credit risk grade.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RiskGrade {
    /// Best.
    A,
    /// Good.
    B,
    /// Watch.
    C,
    /// Every order is held.
    D,
}

impl From<RiskGrade> for CoreGrade {
    fn from(grade: RiskGrade) -> CoreGrade {
        match grade {
            RiskGrade::A => CoreGrade::A,
            RiskGrade::B => CoreGrade::B,
            RiskGrade::C => CoreGrade::C,
            RiskGrade::D => CoreGrade::D,
        }
    }
}

/// Device risk class, also recall class.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecallClass {
    /// Class I.
    I,
    /// Class II.
    II,
    /// Class III.
    III,
}

impl From<RecallClass> for RiskClass {
    fn from(class: RecallClass) -> RiskClass {
        match class {
            RecallClass::I => RiskClass::I,
            RecallClass::II => RiskClass::II,
            RecallClass::III => RiskClass::III,
        }
    }
}

/// What an installment's days count from.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TermsBase {
    /// The invoice date.
    Invoice,
    /// The ship date of the goods invoiced.
    Shipment,
    /// The customer's acceptance of the goods invoiced.
    Acceptance,
    /// The last day of the invoice date's month.
    EndOfMonth,
}

impl From<TermsBase> for CoreBase {
    fn from(base: TermsBase) -> CoreBase {
        match base {
            TermsBase::Invoice => CoreBase::Invoice,
            TermsBase::Shipment => CoreBase::Shipment,
            TermsBase::Acceptance => CoreBase::Acceptance,
            TermsBase::EndOfMonth => CoreBase::EndOfMonth,
        }
    }
}

/// Where an order stands.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderStatus {
    /// Placed, passed the credit check.
    Open,
    /// Held by the credit check.
    Held,
    /// Released after a hold.
    Released,
    /// Rejected after a hold.
    Rejected,
    /// Remainder cancelled.
    Cancelled,
    /// Some goods shipped.
    PartiallyShipped,
    /// Everything shipped.
    Shipped,
}

/// What an aging report's days count from.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AgingBasis {
    /// Days overdue.
    #[default]
    DueDate,
    /// Days since the invoice date.
    InvoiceDate,
}

/// What an aging report's rows are.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AgingGroup {
    /// Customers.
    #[default]
    Customer,
    /// Sales regions.
    Region,
    /// Salespeople.
    Salesperson,
    /// Currencies.
    Currency,
}

/// `text` as one of `choices` (case and spaces ignored, `-` as `_`).
fn one_of<T: Copy>(field: &str, text: &str, choices: &[(&str, T)]) -> Result<T, ApiError> {
    let wanted = text.trim().to_ascii_uppercase().replace([' ', '-'], "_");
    choices
        .iter()
        .find(|(name, _)| *name == wanted)
        .map(|(_, value)| *value)
        .ok_or_else(|| {
            let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
            ApiError::invalid(format!(
                "{field}: {text:?} is not one of {}",
                names.join(", ")
            ))
        })
}

/// A payment method (default: bank transfer).
pub fn payment_method(text: Option<&str>) -> Result<PaymentMethod, ApiError> {
    text.map_or(Ok(PaymentMethod::BankTransfer), |t| {
        one_of(
            "method",
            t,
            &[
                ("BANK_TRANSFER", PaymentMethod::BankTransfer),
                ("BANK_ACCEPTANCE_BILL", PaymentMethod::BankAcceptanceBill),
                ("CASH", PaymentMethod::Cash),
                ("OTHER", PaymentMethod::Other),
            ],
        )
    })
}

/// A collection channel.
pub fn channel(text: &str) -> Result<CollectionChannel, ApiError> {
    one_of(
        "channel",
        text,
        &[
            ("CALL", CollectionChannel::Call),
            ("EMAIL", CollectionChannel::Email),
            ("VISIT", CollectionChannel::Visit),
            ("LETTER", CollectionChannel::Letter),
        ],
    )
}

/// A credit note's reason.
pub fn credit_reason(text: &str) -> Result<CreditReason, ApiError> {
    one_of(
        "reason",
        text,
        &[
            ("RETURN", CreditReason::Return),
            ("RECALL", CreditReason::Recall),
            ("PRICE_ADJUSTMENT", CreditReason::PriceAdjustment),
            ("REBATE", CreditReason::Rebate),
            ("OTHER", CreditReason::Other),
        ],
    )
}

/// The codes of an error's `extensions.code`: the contract's `ErrorCode`
/// and the codes this server adds. No field returns it; the schema lists
/// it (`mod.rs` registers it) so that clients can generate it.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// Malformed field, unknown reference format, too many decimals.
    InvalidInput,
    /// A referenced entity does not exist.
    NotFound,
    /// The entity or document number already exists.
    AlreadyExists,
    /// No token, or an unknown one.
    Unauthenticated,
    /// The role may not do this or see this.
    Forbidden,
    /// The expected version did not match.
    ConcurrencyConflict,
    /// The same command id with a different body.
    IdempotencyMismatch,
    /// Currencies differ.
    CurrencyMismatch,
    /// More than ordered and not yet shipped.
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
    /// A shipment line already invoiced.
    DoubleBilling,
    /// More than the payment's rest or the invoice's open amount.
    Overallocation,
    /// A credit note or write-off larger than the open amount.
    OverCredit,
    /// Anything else the entity's state forbids.
    InvalidState,
    /// Added: the read models did not reach the position asked for in time.
    ProjectionLag,
    /// Added: too many requests per token, or subscriptions open.
    RateLimited,
    /// Added: the ledger cannot answer now.
    Unavailable,
    /// Added: the request ran longer than the server allows.
    Timeout,
}

impl From<CoreGrade> for RiskGrade {
    fn from(grade: CoreGrade) -> RiskGrade {
        match grade {
            CoreGrade::A => RiskGrade::A,
            CoreGrade::B => RiskGrade::B,
            CoreGrade::C => RiskGrade::C,
            CoreGrade::D => RiskGrade::D,
        }
    }
}

impl From<RiskClass> for RecallClass {
    fn from(class: RiskClass) -> RecallClass {
        match class {
            RiskClass::I => RecallClass::I,
            RiskClass::II => RecallClass::II,
            RiskClass::III => RecallClass::III,
        }
    }
}
