//! Every error the schema answers carries a code: async-graphql's own
//! errors (a document that does not parse or validate, an argument of the
//! wrong type, a limit exceeded) get `INVALID_INPUT`, like every other bad
//! input, over HTTP and over WebSocket alike; and every code is counted
//! for `/metrics`.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextRequest, NextSubscribe,
};
use async_graphql::{Response, ServerError, Value};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use crate::server::state::AppState;

/// The extension's factory, registered in `schema()`.
pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodesExtension)
    }
}

struct ErrorCodesExtension;

#[async_trait::async_trait]
impl Extension for ErrorCodesExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        code_errors(ctx, &mut response.errors);
        response
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let state = ctx.data_opt::<Arc<AppState>>().cloned();
        next.run(ctx, stream)
            .map(move |mut response| {
                code_errors_in(state.as_deref(), &mut response.errors);
                response
            })
            .boxed()
    }
}

fn code_errors(ctx: &ExtensionContext<'_>, errors: &mut [ServerError]) {
    let state = ctx.data_opt::<Arc<AppState>>();
    code_errors_in(state.map(|s| &**s), errors);
}

/// Gives every error without a code `INVALID_INPUT`, and counts them all.
fn code_errors_in(state: Option<&AppState>, errors: &mut [ServerError]) {
    for error in errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", "INVALID_INPUT");
        }
        if let (Some(state), Some(Value::String(code))) = (state, extensions.get("code")) {
            state.metrics.error(code);
        }
    }
}
