//! Given/when/then tests of the domain rules (domain.md sections 3-7): for
//! every command, its success and every refusal its `decide` branch can
//! produce, plus the role table, credit control, installment schedules,
//! shipment checks, billing, allocation, credits and recalls.
//!
//! One module per section of domain.md, in its order:
//!
//! | module | domain.md |
//! |---|---|
//! | `master_data` | 3. Master data events |
//! | `orders` | 4. Sales and receivables: orders (placed, released, rejected, cancelled) |
//! | `shipments` | 4. shipments and delivery acceptance |
//! | `invoices` | 4. invoices, including double billing |
//! | `credit_notes` | 4. credit notes |
//! | `payments` | 4. payments: received, allocated (also automatically), reversed |
//! | `write_offs` | 4. write-offs and recoveries |
//! | `disputes` | 4. disputes |
//! | `collections` | 4. collection activity |
//! | `recalls` | 4. recalls, their acknowledgements and returned units |
//! | `terms` | 5. Payment terms: installment schedules and due dates |
//! | `credit` | 6. Credit control at order placement |
//! | `roles` | 7. Roles |
//!
//! Run one section by filtering on its module path, e.g. credit control:
//!
//! ```text
//! cargo test -p arledger-core --test domain_rules credit::
//! ```
//!
//! and `roles::`, `terms::`, `invoices::` and so on for the others.
//!
//! The harness (`harness`): `given(events)` folds events into a fresh
//! `WriteModel`; `Given::and(command)` runs a command as admin and folds what
//! it produced (so fixtures only ever reach states the rules allow);
//! `when(&given, actor, command)` is the command under test. After a success
//! the produced events are folded with `Given::apply` to check the resulting
//! state. Shared values and ids are in `values`, the world and the fixture
//! stages along the order-to-cash flow in `fixtures`, command builders in
//! `commands`; a helper only one section uses stays in that section's module.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

mod commands;
mod fixtures;
mod harness;
mod values;

// The sections, in domain.md's order (the blank lines keep rustfmt from
// sorting them).

// 3. Master data events
mod master_data;

// 4. Sales and receivables events
mod orders;

mod shipments;

mod invoices;

mod credit_notes;

mod payments;

mod write_offs;

mod disputes;

mod collections;

mod recalls;

mod recall_disputes;

// 5. Payment terms
mod terms;

// 6. Credit control
mod credit;

// 7. Roles
mod roles;
