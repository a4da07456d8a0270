//! Collections and early warning (read-models.md "Collections and early
//! warning"): rules over the receivables and credit projections at any
//! (D, p), with settings a file may change.

mod rules;
mod settings;

pub use rules::{Alert, AlertQuery, alerts};
pub use settings::{AlertSettings, Escalation, SETTING_DAYS_MAX, SettingError};
