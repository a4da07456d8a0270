//! The GraphQL API of `../shared/spec/api-contract.graphql` (its names,
//! arguments and meanings; a few additions, each documented as added).
//! GraphQL types are kept apart from the domain's: `inputs` turns the
//! contract's inputs into core commands, `types` the core's and the read
//! models' answers into the contract's outputs.

pub mod access;
pub mod enums;
pub mod error_codes;
pub mod errors;
pub mod inputs;
pub mod mutation;
pub mod query;
pub mod report_types;
pub mod reports;
pub mod scalars;
pub mod subscription;
pub mod trace;
pub mod types;

use std::sync::Arc;

use async_graphql::{MergedObject, Schema};

use crate::server::limits::Limits;
use crate::server::state::AppState;

/// The root of queries: the log's and aging's, and the other reports'.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(query::Query, reports::ReportQuery, trace::TraceQuery);

/// The served schema.
pub type ApiSchema = Schema<QueryRoot, mutation::Mutation, subscription::Subscription>;

/// The schema with the server's state and limits.
pub fn schema(state: Arc<AppState>, limits: &Limits) -> ApiSchema {
    Schema::build(
        QueryRoot::default(),
        mutation::Mutation,
        subscription::Subscription,
    )
    .register_output_type::<enums::ErrorCode>()
    .extension(error_codes::ErrorCodes)
    .data(state)
    .limit_depth(limits.query_depth_max)
    .limit_complexity(limits.query_complexity_max)
    .finish()
}

/// The schema's SDL, without state (for the contract test and docs).
pub fn sdl() -> String {
    Schema::build(
        QueryRoot::default(),
        mutation::Mutation,
        subscription::Subscription,
    )
    .register_output_type::<enums::ErrorCode>()
    .finish()
    .sdl()
}
