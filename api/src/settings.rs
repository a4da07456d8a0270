//! The settings file `arledger serve` reads at start-up (TOML): today the
//! collections rules (`[alerts]`, every key of `AlertSettings`, amounts as
//! strings). `--settings FILE`, else `<data>/settings.toml` when it
//! exists, else the spec's defaults. A bad setting stops the start with
//! its name.
//!
//! ```toml
//! [alerts]
//! reminder_days_before_due = 10
//! key_amount = "250000.00"
//! escalations = [{ days = 20, role = "sales_manager" }]
//! ```

use std::path::{Path, PathBuf};

use arledger_projections::alerts::AlertSettings;
use serde::Deserialize;

/// The file's name in a data directory.
pub const SETTINGS_FILE: &str = "settings.toml";

/// Every setting.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The collections rules.
    pub alerts: AlertSettings,
}

/// Why the settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The file cannot be read.
    #[error("cannot read the settings file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML of these settings.
    #[error("settings file {path}: {reason}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the key and line.
        reason: String,
    },
    /// A setting's value cannot be used.
    #[error("settings file {path}: setting alerts.{name}: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The setting, as the file names it (within `[alerts]`).
        name: &'static str,
        /// What is wrong and what is expected.
        reason: String,
    },
}

/// The settings of `file`, or of `<data>/settings.toml` when it exists,
/// or the defaults.
pub fn load(file: Option<&Path>, data: &Path) -> Result<Settings, SettingsError> {
    let in_data = data.join(SETTINGS_FILE);
    let path = match file {
        Some(file) => file.to_path_buf(),
        None if in_data.is_file() => in_data,
        None => return Ok(Settings::default()),
    };
    let text = std::fs::read_to_string(&path).map_err(|source| SettingsError::Read {
        path: path.clone(),
        source,
    })?;
    parse(&text, &path)
}

/// The settings written in `text` (read from `path`).
pub fn parse(text: &str, path: &Path) -> Result<Settings, SettingsError> {
    let settings: Settings = toml::from_str(text).map_err(|e| SettingsError::Parse {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    settings
        .alerts
        .validate()
        .map_err(|e| SettingsError::Invalid {
            path: path.to_path_buf(),
            name: e.name,
            reason: e.reason,
        })?;
    Ok(settings)
}
