//! The HTTP server: GraphQL on `POST /graphql`, GraphiQL on `GET /graphql`,
//! subscriptions on `/graphql/ws` (graphql-transport-ws), `GET /healthz`
//! (open) and `GET /metrics` (Prometheus text). Every request but
//! `/healthz` needs a token; each meets the limits of [`limits::Limits`].

pub mod head_watch;
pub mod limits;
pub mod metrics;
pub mod state;

use std::sync::Arc;
use std::time::Instant;

use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, GraphiQLSource};
use async_graphql::{Data, ErrorExtensions, ParseRequestError, ServerError};
use async_graphql_axum::rejection::GraphQLRejection;
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket};
use axum::Router;
use axum::extract::{DefaultBodyLimit, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tower_http::limit::RequestBodyLimitLayer;

use crate::auth::Principal;
use crate::graphql::errors::ApiError;
use crate::graphql::subscription::ConnectionSubscriptions;
use crate::graphql::{ApiSchema, schema};
use state::AppState;

/// The router with the server's state.
pub fn router(state: Arc<AppState>) -> Router {
    let schema = schema(Arc::clone(&state), &state.limits);
    let shared = Shared {
        state: Arc::clone(&state),
        schema,
    };
    Router::new()
        .route("/graphql", get(graphiql).post(graphql))
        .route("/graphql/ws", get(websocket))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(state.limits.body_bytes_max))
        // The GraphQL extractor reads the body as a stream, which
        // `DefaultBodyLimit` does not bound: this layer does (413).
        .layer(RequestBodyLimitLayer::new(state.limits.body_bytes_max))
        .with_state(shared)
}

#[derive(Clone)]
struct Shared {
    state: Arc<AppState>,
    schema: ApiSchema,
}

/// The principal a request's `Authorization: Bearer` token stands for.
fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Principal, ApiError> {
    let header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let token = header.strip_prefix("Bearer ").unwrap_or_default().trim();
    if token.is_empty() {
        return Err(ApiError::new(
            "UNAUTHENTICATED",
            "send a token: Authorization: Bearer <token> (see `arledger token create`)",
        ));
    }
    state.tokens.authenticate(token).ok_or_else(|| {
        ApiError::new(
            "UNAUTHENTICATED",
            "the token is unknown or revoked: ask an admin for one (`arledger token create`)",
        )
    })
}

/// A GraphQL error response outside the executor (authentication, rate).
fn refused(state: &AppState, status: StatusCode, error: ApiError) -> Response {
    state.metrics.error(error.code);
    let code = error.code;
    let server_error =
        ServerError::new(error.message, None).extend_with(|_, e| e.set("code", code));
    let body = serde_json::json!({ "data": null, "errors": [server_error] });
    (status, axum::Json(body)).into_response()
}

/// A body that is not a GraphQL request, said as a GraphQL error: never
/// the parser's own text (a Rust debug dump), which is logged instead.
fn unreadable(state: &AppState, error: &ParseRequestError) -> Response {
    tracing::debug!(%error, "a request body that is not a GraphQL request");
    // The body limit (`RequestBodyLimitLayer`) stops a chunked body while
    // it is read: its error arrives as an IO error.
    let too_large = match error {
        ParseRequestError::PayloadTooLarge => true,
        ParseRequestError::Io(e) => e.to_string().contains("length limit exceeded"),
        _ => false,
    };
    if too_large {
        let max = state.limits.body_bytes_max;
        let error = ApiError::invalid(format!("the request body is over {max} bytes"));
        return refused(state, StatusCode::PAYLOAD_TOO_LARGE, error);
    }
    let error = ApiError::invalid(
        "the body is not a GraphQL request: send JSON {\"query\": \"...\", \"variables\": {...}}",
    );
    refused(state, StatusCode::BAD_REQUEST, error)
}

async fn graphql(
    State(shared): State<Shared>,
    headers: HeaderMap,
    request: Result<GraphQLRequest, GraphQLRejection>,
) -> Response {
    let state = &shared.state;
    let principal = match authenticate(state, &headers) {
        Ok(principal) => principal,
        Err(e) => return refused(state, StatusCode::UNAUTHORIZED, e),
    };
    if !state.rate.allow(&principal.user_id) {
        let limit = state.limits.requests_per_second_per_token;
        let error = ApiError::new(
            "RATE_LIMITED",
            format!("at most {limit} requests per second per token: slow down and retry"),
        );
        return refused(state, StatusCode::TOO_MANY_REQUESTS, error);
    }
    let request = match request {
        Ok(request) => request.into_inner().data(principal),
        Err(rejection) => return unreadable(state, &rejection.0),
    };
    let operation = request
        .operation_name
        .clone()
        .unwrap_or_else(|| "anonymous".into());
    let started = Instant::now();
    let executed =
        tokio::time::timeout(state.limits.request_timeout, shared.schema.execute(request)).await;
    state.metrics.request(&operation, started.elapsed());
    let Ok(response) = executed else {
        let secs = state.limits.request_timeout.as_secs();
        let error = ApiError::new(
            "TIMEOUT",
            format!("the request ran longer than {secs} s and was stopped"),
        );
        return refused(state, StatusCode::REQUEST_TIMEOUT, error);
    };
    // Every error has its code and was counted (`graphql::error_codes`).
    GraphQLResponse::from(response).into_response()
}

async fn graphiql() -> impl IntoResponse {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .finish(),
    )
}

async fn metrics(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    let state = &shared.state;
    if let Err(e) = authenticate(state, &headers) {
        return refused(state, StatusCode::UNAUTHORIZED, e);
    }
    let body = state.metrics.render(
        state.ledger.head().position,
        state.engine.lag(),
        &state.ledger.flush_stats(),
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

/// Subscriptions: the token comes in the `connection_init` payload
/// (`{"Authorization": "Bearer <token>"}`) or the upgrade request's header.
async fn websocket(
    State(shared): State<Shared>,
    headers: HeaderMap,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let state = Arc::clone(&shared.state);
    if state.metrics.websocket_connections()
        >= u64::try_from(state.limits.websocket_connections_max).unwrap_or(u64::MAX)
    {
        let max = state.limits.websocket_connections_max;
        let error = ApiError::new(
            "RATE_LIMITED",
            format!("at most {max} subscriptions may be open at once"),
        );
        return refused(&state, StatusCode::SERVICE_UNAVAILABLE, error);
    }
    let from_header = authenticate(&state, &headers).ok();
    let schema = shared.schema.clone();
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| async move {
            state.metrics.websocket(true);
            let init_state = Arc::clone(&state);
            GraphQLWebSocket::new(socket, schema, protocol)
                .on_connection_init(move |payload| async move {
                    connection_principal(&init_state, &payload, from_header)
                })
                .serve()
                .await;
            state.metrics.websocket(false);
        })
}

/// Who a WebSocket connection acts as.
fn connection_principal(
    state: &AppState,
    payload: &serde_json::Value,
    from_header: Option<Principal>,
) -> async_graphql::Result<Data> {
    let token = payload
        .get("Authorization")
        .or_else(|| payload.get("authorization"))
        .and_then(|v| v.as_str())
        .map(|v| v.strip_prefix("Bearer ").unwrap_or(v).trim().to_string());
    let principal = match token {
        Some(token) => state.tokens.authenticate(&token),
        None => from_header,
    };
    let principal = principal.ok_or_else(|| {
        async_graphql::Error::from(ApiError::new(
            "UNAUTHENTICATED",
            "send the token in the connection_init payload: {\"Authorization\": \"Bearer <token>\"}",
        ))
    })?;
    let mut data = Data::default();
    data.insert(principal);
    data.insert(ConnectionSubscriptions::default());
    Ok(data)
}
