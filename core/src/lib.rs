//! arledger-core: the receivables ledger's domain rules and its event log.
//!
//! - [`money`]: `Decimal` amounts with ISO 4217 currencies; never floats.
//! - [`domain`]: commands, events, `decide` (every business rule) and the
//!   in-memory write model folded by `apply`. Pure: no IO, no clock.
//! - [`log`]: the only module that touches sled.
//!
//! # Durability contract
//!
//! - An append is **acknowledged** (its `submit` returns `Ok`, or its callback
//!   runs with `Ok`) only after the commit frame holding its events was
//!   written to sled *and* `sled::Db::flush` returned. Every event of an
//!   acknowledged command survives a crash of the process (`kill -9`) at any
//!   later moment; reopening finds it, with gap-free positions and a valid
//!   hash chain (unless records before it were deliberately rewritten: see
//!   the scrub below).
//! - A commit that was not acknowledged may or may not be present after a
//!   crash, but always whole: a commit is one sled record, so its commands
//!   land together or not at all.
//! - sled 0.34's `flush` writes its log with `pwrite` and then calls
//!   `sync_file_range`, not `fsync`/`fdatasync`. That survives a process
//!   crash (the data is in the kernel's page cache) but promises nothing
//!   about a power loss or kernel crash: acknowledged events may be lost
//!   then, and metadata of a newly grown file may not be on disk. Run on a
//!   file system and device with power-loss protection, or replicate, if
//!   that matters. Any item sled logs that is larger than a quarter of its
//!   segment (2 MiB with arledger's 8 MiB segments) goes to a sled blob
//!   file, which sled writes without any sync: a commit frame of 1,000
//!   ordinary commands stays far below that, but sled rewrites whole leaf
//!   nodes of up to 16 frames as it consolidates them, and such leaves do
//!   become blob files. They too survive `kill -9`, not power loss.
//! - At open the whole log is checked: each frame's CRC and layout,
//!   gap-free positions, per-stream versions, command tables, and that each
//!   commit names the previous one's last stored hash. A torn or corrupt
//!   record is reported as [`log::OpenError::Corrupt`] with its position;
//!   the ledger then refuses to open rather than drop or serve it.
//! - Then the scrub recomputes the SHA-256 chain of everything open found,
//!   from hash(0), on a thread of its own. Whatever would serve a position
//!   the scrub has not passed yet waits for it: reads, subscriptions
//!   (within their timeout), the answer to a repeated command id. A record
//!   rewritten with a matching CRC (which takes a deliberate edit) breaks
//!   the chain: the ledger then serves nothing from that position on
//!   ([`log::LogError::Altered`]) and accepts no more commands. Commands
//!   are decided and acknowledged while the scrub runs, against the write
//!   model open folded; if the scrub then finds the log altered, those
//!   commits stay in the log, chained to the altered one.
//!   [`log::LedgerOptions::check_chain_at_open`] makes open recompute the
//!   chain itself before it returns instead (no scrub then).
//!   [`log::Ledger::chain_checked`] waits for the scrub;
//!   [`log::Ledger::verify`] checks the whole log again on demand.
//! - sled's own recovery ends its log at the first record that fails sled's
//!   checksum, without a word, dropping everything after it. So after every
//!   flush, before acknowledging, the ledger records the acknowledged head
//!   (position and hash) in a small file beside sled's
//!   ([`log::HEAD_FILE`]); open refuses a log that ends before that head or
//!   has another hash there, naming the first position lost. A damaged head
//!   record is reported too ([`log::StoreError::HeadDamaged`]); removing the
//!   file accepts the log as it stands.
//! - If a flush fails, or an internal invariant breaks while deciding (a
//!   panic in the writer), the ledger stops accepting commands (every later
//!   submit fails with [`log::LogError::Poisoned`]); reopen to continue.
//!
//! Sled is touched by `log::store` only.

pub mod clock;
mod counts;
pub mod domain;
pub mod ids;
pub mod log;
pub mod money;
pub mod sample;
pub mod udi;
