//! The projection engine (see the crate docs).
