//! Who may read what (domain.md 7), and the point in time a query is
//! answered at.

use std::sync::Arc;

use arledger_core::domain::Role;
use arledger_projections::engine::EngineError;
use arledger_projections::receivables::Scope;
use arledger_replay::{Point, PointError, resolve_point};
use async_graphql::Context;

use super::errors::ApiError;
use super::scalars::{DateTime, Position};
use crate::auth::Principal;
use crate::server::state::AppState;

/// The server's state.
pub fn state<'a>(ctx: &Context<'a>) -> Result<&'a Arc<AppState>, ApiError> {
    ctx.data::<Arc<AppState>>()
        .map_err(|_| ApiError::unavailable(&"the request carries no server state"))
}

/// Runs `f` on tokio's blocking pool (it reads the log or a read model,
/// or waits for them).
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::unavailable(&e))?
}

/// Who makes the request.
pub fn principal<'a>(ctx: &Context<'a>) -> Result<&'a Principal, ApiError> {
    ctx.data::<Principal>().map_err(|_| {
        ApiError::new(
            "UNAUTHENTICATED",
            "send a token: Authorization: Bearer <token> (see `arledger token create`)",
        )
    })
}

/// Which customers' amounts `principal` may read: all (`None`), a sales
/// user's own, or none (`FORBIDDEN`).
pub fn amounts_scope(principal: &Principal) -> Result<Option<Scope>, ApiError> {
    match principal.role {
        Role::Admin | Role::FinanceManager | Role::Finance | Role::Auditor => Ok(None),
        Role::Sales if principal.customers.is_empty() => {
            Ok(Some(Scope::Salesperson(principal.user_id.clone())))
        }
        Role::Sales => Ok(Some(Scope::Customers(principal.customers.clone()))),
        role => Err(ApiError::forbidden(format!(
            "the {role} role may not read amounts (domain.md 7: finance, sales for their own customers, and auditors do)"
        ))),
    }
}

/// Whether `principal` may read the raw log (every customer's amounts).
pub fn raw_log(principal: &Principal) -> Result<(), ApiError> {
    match amounts_scope(principal)? {
        None => Ok(()),
        Some(_) => Err(ApiError::forbidden(
            "the raw log holds every customer's amounts: finance, admins and auditors may read it",
        )),
    }
}

/// The point a query names (`knownAtPosition`, `knownAt`, or the head),
/// once every read model has applied it: waits up to the configured bound,
/// then `PROJECTION_LAG`.
pub async fn point_applied(
    state: &Arc<AppState>,
    known_at: Option<DateTime>,
    known_at_position: Option<Position>,
) -> Result<Point, ApiError> {
    let state = Arc::clone(state);
    blocking(move || {
        let point = resolve_point(
            &state.ledger,
            known_at.map(|t| t.0),
            known_at_position.map(|p| p.0),
        )
        .map_err(|e| Waited::Point(e).into_api())?;
        state
            .engine
            .wait_for(point.position, state.limits.projection_wait)
            .map_err(|e| Waited::Engine(e).into_api())?;
        Ok(point)
    })
    .await
}

/// Why a point could not be had.
enum Waited {
    Point(PointError),
    Engine(EngineError),
}

impl Waited {
    fn into_api(self) -> ApiError {
        match self {
            Waited::Point(e @ (PointError::Both | PointError::BeyondHead { .. })) => {
                ApiError::invalid(e.to_string())
            }
            Waited::Point(PointError::Log(e)) => ApiError::unavailable(&e),
            Waited::Engine(e @ EngineError::Behind { .. }) => {
                ApiError::new("PROJECTION_LAG", e.to_string())
            }
            Waited::Engine(e @ EngineError::BeyondHead { .. }) => ApiError::invalid(e.to_string()),
            Waited::Engine(e) => ApiError::unavailable(&e),
        }
    }
}
