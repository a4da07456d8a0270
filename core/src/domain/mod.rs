//! The domain: commands, events, the write model and the rules between them.
//! Pure: no IO, no clock, no sled, no tokio.

pub mod commands;
pub mod date_serde;
pub mod decide;
pub mod error;
pub mod events;
pub mod state;
pub mod terms;
pub mod types;

pub use commands::Command;
pub use decide::decide;
pub use error::{CommandError, ErrorCode};
pub use events::Event;
pub use state::WriteModel;
pub use types::{Actor, Gtin, Role};
