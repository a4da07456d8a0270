//! `arledger`: the ledger's command-line entry point.

fn main() {}
