//! Value types of the domain: GTINs, roles, actors, enumerations.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::error::CommandError;

/// A GTIN-14 (the UDI device identifier), check digit verified (also when
/// read back from stored bytes).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct Gtin(String);

impl TryFrom<String> for Gtin {
    type Error = CommandError;

    fn try_from(text: String) -> Result<Gtin, CommandError> {
        Gtin::parse(&text)
    }
}

impl Gtin {
    /// Parses a GTIN-14: 14 digits whose last is the GS1 mod-10 check digit.
    /// Shorter GTINs (8, 12, 13 digits) are padded with leading zeros.
    pub fn parse(text: &str) -> Result<Gtin, CommandError> {
        let invalid = |reason: String| CommandError::InvalidInput {
            field: "gtin".into(),
            reason,
        };
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(format!("GTIN {text:?} must contain digits only")));
        }
        if ![8, 12, 13, 14].contains(&text.len()) {
            return Err(invalid(format!(
                "GTIN {text:?} has {} digits; a GTIN has 8, 12, 13 or 14",
                text.len()
            )));
        }
        let padded = format!("{text:0>14}");
        let expected = gs1_check_digit(&padded.as_bytes()[..13]);
        let given = padded.as_bytes()[13] - b'0';
        if expected != given {
            return Err(invalid(format!(
                "GTIN {text} has check digit {given}, expected {expected} (GS1 mod-10)"
            )));
        }
        Ok(Gtin(padded))
    }

    /// A GTIN-14 whose 14 digits and check digit the caller has checked
    /// (the UDI parser, which names the expected digit itself).
    pub(crate) fn from_checked(digits: &str) -> Gtin {
        debug_assert!(Gtin::parse(digits).is_ok_and(|g| g.0 == digits));
        Gtin(digits.to_string())
    }

    /// The 14 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The GS1 mod-10 check digit of `digits` (ASCII), weights 3,1 from the right.
pub fn gs1_check_digit(digits: &[u8]) -> u8 {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| u32::from(d - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    match u8::try_from((10 - sum % 10) % 10) {
        Ok(digit) => digit,
        Err(_) => unreachable!("a remainder of a division by 10 is a digit"),
    }
}

impl fmt::Display for Gtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Gtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Gtin({})", self.0)
    }
}

/// What a user may do (domain.md section 7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    /// Everything, including API tokens.
    Admin,
    /// All commands, releases held orders, writes off.
    FinanceManager,
    /// Invoices, payments, allocations, credit notes, disputes, collections.
    Finance,
    /// Orders and collection activity.
    Sales,
    /// Shipments, acceptance, lots.
    Warehouse,
    /// Products, lots, recalls, recall acknowledgements.
    Quality,
    /// Reads everything; no command.
    Auditor,
    /// Reads traceability and recalls; no command.
    Regulator,
}

impl Role {
    /// All roles, in the order of domain.md.
    pub const ALL: [Role; 8] = [
        Role::Admin,
        Role::FinanceManager,
        Role::Finance,
        Role::Sales,
        Role::Warehouse,
        Role::Quality,
        Role::Auditor,
        Role::Regulator,
    ];

    /// The role's name as written in domain.md (`finance_manager`).
    pub fn name(&self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::FinanceManager => "finance_manager",
            Role::Finance => "finance",
            Role::Sales => "sales",
            Role::Warehouse => "warehouse",
            Role::Quality => "quality",
            Role::Auditor => "auditor",
            Role::Regulator => "regulator",
        }
    }

    /// Parses a role name; an unknown name is a typed error listing the known ones.
    pub fn parse(name: &str) -> Result<Role, CommandError> {
        Role::ALL
            .into_iter()
            .find(|r| r.name() == name)
            .ok_or_else(|| CommandError::UnknownRole(name.to_string()))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Who issued a command: recorded on every event it produces.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Actor {
    /// The user's id (login or token subject).
    pub user_id: String,
    /// The role the user acted in.
    pub role: Role,
}

impl Actor {
    /// Builds an actor from a user id and a role name.
    pub fn new(user_id: &str, role: &str) -> Result<Actor, CommandError> {
        if user_id.trim().is_empty() {
            return Err(CommandError::InvalidInput {
                field: "actor.user_id".into(),
                reason: "the acting user's id must not be empty".into(),
            });
        }
        Ok(Actor {
            user_id: user_id.to_string(),
            role: Role::parse(role)?,
        })
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.user_id, self.role)
    }
}

/// Kind of customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

/// Credit risk grade.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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

/// Device risk class, also used for recall classes (I, II, III).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RiskClass {
    /// Class I.
    I,
    /// Class II.
    II,
    /// Class III.
    III,
}

/// Why an order was held at placement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HoldReason {
    /// Exposure after the order exceeds the credit limit.
    CreditLimitExceeded,
    /// Overdue receivables and exposure above the overdue threshold share of the limit.
    OverdueBalance,
    /// The customer's grade is D.
    GradeD,
}

impl HoldReason {
    /// A short text for people.
    pub fn describe(&self) -> &'static str {
        match self {
            HoldReason::CreditLimitExceeded => "credit limit exceeded",
            HoldReason::OverdueBalance => "overdue balance",
            HoldReason::GradeD => "risk grade D",
        }
    }
}

/// Why a credit note was issued.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CreditReason {
    /// Goods returned.
    Return,
    /// Goods recalled.
    Recall,
    /// Price corrected.
    PriceAdjustment,
    /// Rebate.
    Rebate,
    /// Anything else.
    Other,
}

/// How a payment arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PaymentMethod {
    /// Bank transfer.
    BankTransfer,
    /// Bank acceptance bill.
    BankAcceptanceBill,
    /// Cash.
    Cash,
    /// Anything else.
    Other,
}

/// Channel of a collection activity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CollectionChannel {
    /// Phone call.
    Call,
    /// Email.
    Email,
    /// Visit.
    Visit,
    /// Letter.
    Letter,
}
