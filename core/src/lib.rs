//! arledger-core: the receivables ledger's domain rules and its event log.
//!
//! - [`money`]: `Decimal` amounts with ISO 4217 currencies; never floats.
//! - [`domain`]: commands, events, `decide` (every business rule) and the
//!   in-memory write model folded by `apply`. Pure: no IO, no clock.
//! - [`log`]: the only module that touches sled.
//!
//! The durability contract is documented on [`log`].

pub mod clock;
pub mod domain;
pub mod ids;
pub mod log;
pub mod money;
pub mod sample;
