//! arledger-projections: the read side. One engine follows the log in
//! position order, decodes each event once and hands it to every
//! projection's pure `apply`; each projection keeps its state in memory,
//! persists what changed together with its checkpoint in one atomic batch
//! (sled trees beside the log, through `arledger_core::log`), and answers
//! queries at any point in time.
//!
//! - [`projection`]: the [`Projection`] trait every read model implements.
//! - [`chunks`]: append-only records stored packed in aligned chunks.
//! - [`engine`]: the reader, checkpoints, rebuilds, lag and read-your-writes.
//! - [`alerts`]: collections alerts over receivables and credit
//!   (read-models.md "Collections and early warning").
//! - [`credit`]: credit exposure, limits, held orders and promises to pay
//!   (read-models.md "Credit exposure").
//! - [`trace`]: lot, serial, customer and recall chains for regulators
//!   (traceability.md).
//! - [`receivables`]: receivable items and aging (read-models.md
//!   "Receivable items", "Aging").

pub mod alerts;
pub mod chunks;
pub mod credit;
pub mod engine;
pub mod projection;
pub mod receivables;
pub mod scalars;
pub mod stored;
pub mod trace;

pub use projection::{Applied, Changes, LoadError, Projection};
