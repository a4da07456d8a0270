//! arledger-replay: the point-in-time machinery and the auditor's tools.
//!
//! - `known_at`: a `knownAt` timestamp mapped to the last position
//!   recorded at or before it; `point`: a query's position and the chain
//!   hash every answer states.
//! - `reference`: the from-scratch fold of a log prefix, what tests compare
//!   the live read models with.
//! - `verify`, `export`: the chain checked over a range, and every event
//!   exported with its canonical bytes and hashes for checking without
//!   arledger's code (`tools/verify_export.py`).
//! - `readable`: a stored payload as JSON mirroring its canonical
//!   structure field by field (decimals as exact strings, dates, UUIDs).
//! - `range`: the `--from` / `--to` positions of the auditor's commands.

pub mod export;
pub mod known_at;
pub mod point;
pub mod range;
pub mod readable;
pub mod reference;
pub mod verify;

pub use known_at::position_known_at;
pub use point::{Point, PointError, recorded_at, resolve_point};
pub use reference::{FoldError, fold_prefix};
