//! arledger's server: the GraphQL API of `api-contract.graphql` on axum,
//! its tokens and roles, limits and metrics. The `arledger` binary's
//! commands (`serve`, `verify`, `export`, `aging`, `import`, `token`,
//! `fixtures`) live in `main.rs` and its modules; the benchmarks start the
//! same server in process.

pub mod auth;
pub mod graphql;
pub mod import;
pub mod server;
pub mod settings;
