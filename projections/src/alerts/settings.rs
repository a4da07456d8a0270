//! The collections rules' thresholds, offsets and roles (read-models.md
//! "Collections and early warning"): the spec's defaults, each one a named
//! setting a settings file may change; a bad one is refused by name.

use arledger_core::domain::types::RiskGrade;
use rust_decimal::Decimal;
use serde::Deserialize;

/// One escalation step: from `days` overdue, to `role`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    /// Days overdue from which it applies.
    pub days: u32,
    /// Who it goes to.
    pub role: String,
}

/// Every setting of the collections rules.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertSettings {
    /// Days before due of the first reminder (default 7).
    pub reminder_days_before_due: u32,
    /// Days before due of the first reminder to a risky grade (default 15).
    pub risky_reminder_days_before_due: u32,
    /// Grades that get the earlier reminder and a daily task while
    /// overdue (default C and D).
    pub risky_grades: Vec<RiskGrade>,
    /// Who gets the reminder (default sales: the customer's salesperson).
    pub reminder_role: String,
    /// Who gets the due-date notice and is chased until the first
    /// escalation (default sales and finance).
    pub due_roles: Vec<String>,
    /// Escalations by days overdue, ascending (default 15 → sales_manager,
    /// 30 → finance_manager, 60 → finance_director).
    pub escalations: Vec<Escalation>,
    /// Who gets a risky customer's daily task while overdue (default finance).
    pub daily_task_role: String,
    /// An item of this amount or more is under key monitoring from issue
    /// (default 500,000.00).
    #[serde(deserialize_with = "exact_amount")]
    pub key_amount: Decimal,
    /// Who monitors key items (default finance_manager).
    pub key_amount_role: String,
    /// A customer whose overdue total reaches this is escalated (default
    /// 1,000,000.00).
    #[serde(deserialize_with = "exact_amount")]
    pub customer_overdue_total: Decimal,
    /// To whom (default management).
    pub customer_overdue_role: String,
    /// Who decides on a held order (default finance_manager).
    pub held_order_role: String,
    /// Days after a promised pay date that a promise still quiets the
    /// customer's dunning (default 3).
    pub promise_grace_days: u32,
}

impl Default for AlertSettings {
    fn default() -> AlertSettings {
        AlertSettings {
            reminder_days_before_due: 7,
            risky_reminder_days_before_due: 15,
            risky_grades: vec![RiskGrade::C, RiskGrade::D],
            reminder_role: "sales".into(),
            due_roles: vec!["sales".into(), "finance".into()],
            escalations: vec![
                Escalation {
                    days: 15,
                    role: "sales_manager".into(),
                },
                Escalation {
                    days: 30,
                    role: "finance_manager".into(),
                },
                Escalation {
                    days: 60,
                    role: "finance_director".into(),
                },
            ],
            daily_task_role: "finance".into(),
            key_amount: Decimal::new(50_000_000, 2),
            key_amount_role: "finance_manager".into(),
            customer_overdue_total: Decimal::new(100_000_000, 2),
            customer_overdue_role: "management".into(),
            held_order_role: "finance_manager".into(),
            promise_grace_days: 3,
        }
    }
}

/// An amount written as a string ("500000.00") or a whole number; a
/// number with a fraction is refused, as it may have been rounded through
/// a float on its way.
fn exact_amount<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    struct Exact;
    impl serde::de::Visitor<'_> for Exact {
        type Value = Decimal;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an amount as a string, e.g. \"500000.00\"")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Decimal, E> {
            v.parse()
                .map_err(|_| E::custom(format!("{v:?} is not an amount")))
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Decimal, E> {
            Ok(Decimal::from(v))
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Decimal, E> {
            Ok(Decimal::from(v))
        }
    }
    d.deserialize_any(Exact)
}

/// A setting that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("setting {name}: {reason}")]
pub struct SettingError {
    /// The setting, as the file names it.
    pub name: &'static str,
    /// What is wrong and what is expected.
    pub reason: String,
}

/// At most this many days ahead or overdue a setting may name.
pub const SETTING_DAYS_MAX: u32 = 3_660;

impl AlertSettings {
    /// Checks every setting; the first bad one is named.
    pub fn validate(&self) -> Result<(), SettingError> {
        let bad = |name, reason: String| Err(SettingError { name, reason });
        for (name, days) in [
            ("reminder_days_before_due", self.reminder_days_before_due),
            (
                "risky_reminder_days_before_due",
                self.risky_reminder_days_before_due,
            ),
            ("promise_grace_days", self.promise_grace_days),
        ] {
            if days > SETTING_DAYS_MAX {
                return bad(name, format!("{days} days; at most {SETTING_DAYS_MAX}"));
            }
        }
        for (name, amount) in [
            ("key_amount", self.key_amount),
            ("customer_overdue_total", self.customer_overdue_total),
        ] {
            if amount <= Decimal::ZERO {
                return bad(name, format!("{amount}: must be above 0"));
            }
        }
        self.validate_roles()?;
        let days: Vec<u32> = self.escalations.iter().map(|e| e.days).collect();
        if days.first() == Some(&0) || days.windows(2).any(|w| w.first() >= w.last()) {
            return bad(
                "escalations",
                format!("days {days:?}: each above 0 and strictly increasing"),
            );
        }
        if days.iter().any(|&d| d > SETTING_DAYS_MAX) {
            return bad(
                "escalations",
                format!("days {days:?}: at most {SETTING_DAYS_MAX}"),
            );
        }
        Ok(())
    }

    fn validate_roles(&self) -> Result<(), SettingError> {
        let mut roles: Vec<(&'static str, &str)> = vec![
            ("reminder_role", &self.reminder_role),
            ("daily_task_role", &self.daily_task_role),
            ("key_amount_role", &self.key_amount_role),
            ("customer_overdue_role", &self.customer_overdue_role),
            ("held_order_role", &self.held_order_role),
        ];
        roles.extend(self.due_roles.iter().map(|r| ("due_roles", r.as_str())));
        roles.extend(
            self.escalations
                .iter()
                .map(|e| ("escalations", e.role.as_str())),
        );
        for (name, role) in roles {
            let fine = !role.is_empty()
                && role.len() <= 64
                && role.chars().all(|c| c.is_ascii_lowercase() || c == '_');
            if !fine {
                return Err(SettingError {
                    name,
                    reason: format!("role {role:?}: 1 to 64 of a-z and _"),
                });
            }
        }
        if self.due_roles.is_empty() {
            return Err(SettingError {
                name: "due_roles",
                reason: "name at least one role".into(),
            });
        }
        Ok(())
    }
}
