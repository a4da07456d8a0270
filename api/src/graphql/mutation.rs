//! Mutations: every command of the contract (and the few the contract
//! does not name yet), each appended as the token's user and role. A
//! refused command is a GraphQL error with the rule's code, and appends
//! nothing; an accepted one returns its position, so that a query at or
//! after it sees its effect.

use std::sync::Arc;

use arledger_core::domain::events::Event as CoreEvent;
use arledger_core::domain::{Command, Role};
use arledger_core::ids::{CommandId, CustomerId};
use arledger_core::log::{Outcome, Submission};
use async_graphql::{Context, Object};
use uuid::Uuid;

use super::access;
use super::enums::OrderStatus;
use super::errors::{ApiError, ApiResult};
use super::inputs::*;
use super::scalars::{Date, Dec, Position};
use super::types::{CommandResult, OrderResult};
use crate::auth::Principal;
use crate::server::state::AppState;

/// The root of mutations.
pub struct Mutation;

/// Appends one command as `principal`; its outcome once durable.
pub async fn submit(
    state: &Arc<AppState>,
    principal: &Principal,
    command_id: CommandId,
    command: Command,
) -> Result<Outcome, ApiError> {
    own_customer(state, principal, &command)?;
    let submission = Submission::new(command_id, principal.actor(), command);
    let (tx, rx) = tokio::sync::oneshot::channel();
    state.ledger.submit_with(
        vec![submission],
        Box::new(move |result| {
            let _ = tx.send(result);
        }),
    );
    let mut results = rx
        .await
        .map_err(|_| ApiError::unavailable(&"the ledger dropped a command unanswered"))??;
    let outcome = results
        .pop()
        .ok_or_else(|| ApiError::unavailable(&"the ledger answered no result"))??;
    state.metrics.command();
    Ok(outcome)
}

/// A sales user's commands name only their own customers.
fn own_customer(
    state: &AppState,
    principal: &Principal,
    command: &Command,
) -> Result<(), ApiError> {
    if principal.role != Role::Sales {
        return Ok(());
    }
    let customer = match command {
        Command::PlaceOrder(c) => Some(c.customer_id),
        Command::RecordCollectionActivity(c) => Some(c.customer_id),
        Command::CancelOrder(c) => state
            .ledger
            .with_model(|m| m.orders.get(&c.order_id).map(|o| o.customer_id)),
        _ => None,
    };
    let Some(customer) = customer else {
        return Ok(());
    };
    if is_own(state, principal, customer) {
        return Ok(());
    }
    Err(ApiError::forbidden(format!(
        "customer {customer} is not one of {}'s customers",
        principal.user_id
    )))
}

/// Whether `customer` is one of a sales user's own (listed on the token,
/// or with the user as its salesperson). Unknown customers pass: the rules
/// then refuse them as NOT_FOUND.
fn is_own(state: &AppState, principal: &Principal, customer: CustomerId) -> bool {
    if !principal.customers.is_empty() {
        return principal.customers.contains(&customer);
    }
    state.ledger.with_model(|m| {
        m.customers
            .get(&customer)
            .is_none_or(|c| c.salesperson_id == principal.user_id)
    })
}

fn result(outcome: &Outcome) -> CommandResult {
    CommandResult {
        position: Position(outcome.last_position),
        event_ids: outcome.event_ids.iter().map(|e| e.0).collect(),
        duplicate: outcome.duplicate,
    }
}

/// Runs one command input as the request's user.
async fn run(ctx: &Context<'_>, input: impl CommandInput) -> ApiResult<CommandResult> {
    let principal = access::principal(ctx)?;
    let state = access::state(ctx)?;
    let (command_id, command) = input.into_command()?;
    let outcome = submit(state, principal, command_id, command).await?;
    Ok(result(&outcome))
}

/// The status of an order a `placeOrder` outcome placed: HELD, with the
/// reasons, when the credit check held it.
fn order_result(state: &AppState, outcome: &Outcome) -> Result<OrderResult, ApiError> {
    let count = outcome.event_ids.len();
    let events = state.ledger.read(outcome.first_position, count)?;
    let held = events.iter().find_map(|e| match e.event() {
        Ok(CoreEvent::OrderHeld(held)) => Some(held),
        _ => None,
    });
    let base = result(outcome);
    Ok(OrderResult {
        position: base.position,
        event_ids: base.event_ids,
        duplicate: base.duplicate,
        status: if held.is_some() {
            OrderStatus::Held
        } else {
            OrderStatus::Open
        },
        hold_reason: held.map(|h| {
            let reasons: Vec<&str> = h.reasons.iter().map(|r| r.describe()).collect();
            format!(
                "{} (exposure {} against limit {})",
                reasons.join(", "),
                h.exposure,
                h.limit
            )
        }),
    })
}

#[Object]
impl Mutation {
    async fn register_customer(
        &self,
        ctx: &Context<'_>,
        input: RegisterCustomerInput,
    ) -> ApiResult<CommandResult> {
        run(ctx, input).await
    }

    /// Changes a customer's master data (added to the contract).
    async fn update_customer(
        &self,
        ctx: &Context<'_>,
        input: UpdateCustomerInput,
    ) -> ApiResult<CommandResult> {
        run(ctx, input).await
    }

    async fn set_credit_limit(
        &self,
        ctx: &Context<'_>,
        input: SetCreditLimitInput,
    ) -> ApiResult<CommandResult> {
        run(ctx, input).await
    }

    /// Sets default or contract payment terms (added to the contract).
    async fn set_payment_terms(
        &self,
        ctx: &Context<'_>,
        input: SetPaymentTermsInput,
    ) -> ApiResult<CommandResult> {
        run(ctx, input).await
    }

    async fn register_product(
        &self,
        ctx: &Context<'_>,
        input: RegisterProductInput,
    ) -> ApiResult<CommandResult> {
        run(ctx, input).await
    }

    async fn release_lot(
        &self,
        ctx: &Context<'_>,
        input: ReleaseLotInput,
    ) -> ApiResult<CommandResult> {
        run(ctx, input).await
    }

    async fn place_order(
        &self,
        ctx: &Context<'_>,
        input: PlaceOrderInput,
    ) -> ApiResult<OrderResult> {
        let principal = access::principal(ctx)?;
        let state = access::state(ctx)?;
        let (command_id, command) = input.into_command()?;
        let outcome = submit(state, principal, command_id, command).await?;
        let state = Arc::clone(state);
        Ok(access::blocking(move || order_result(&state, &outcome)).await?)
    }

    async fn release_order(
        &self,
        ctx: &Context<'_>,
        command_id: Uuid,
        order_id: Uuid,
        note: Option<String>,
    ) -> ApiResult<CommandResult> {
        run(
            ctx,
            ReleaseOrderArgs {
                command_id,
                order_id,
                note,
            },
        )
        .await
    }

    /// Rejects a held order (added to the contract).
    async fn reject_order(
        &self,
        ctx: &Context<'_>,
        command_id: Uuid,
        order_id: Uuid,
        note: Option<String>,
    ) -> ApiResult<CommandResult> {
        run(
            ctx,
            RejectOrderArgs {
                command_id,
                order_id,
                note,
            },
        )
        .await
    }

    async fn cancel_order(
        &self,
        ctx: &Context<'_>,
        command_id: Uuid,
        order_id: Uuid,
        reason: String,
    ) -> ApiResult<CommandResult> {
        run(
            ctx,
            CancelOrderArgs {
                command_id,
                order_id,
                reason,
            },
        )
        .await
    }

    async fn ship_order(
        &self,
        ctx: &Context<'_>,
        input: ShipOrderInput,
    ) -> ApiResult<CommandResult> {
        run(ctx, input).await
    }

    async fn accept_delivery(
        &self,
        ctx: &Context<'_>,
        command_id: Uuid,
        shipment_id: Uuid,
        accepted_on: Date,
        accepted_by: Option<String>,
    ) -> ApiResult<CommandResult> {
        run(
            ctx,
            AcceptDeliveryArgs {
                command_id,
                shipment_id,
                accepted_on,
                accepted_by,
            },
        )
        .await
    }

    async fn issue_invoice(
        &self,
        ctx: &Context<'_>,
        input: IssueInvoiceInput,
    ) -> ApiResult<CommandResult> {
        run(ctx, input).await
    }

    async fn issue_credit_note(
        &self,
        ctx: &Context<'_>,
        input: IssueCreditNoteInput,
    ) -> ApiResult<CommandResult> {
        run(ctx, input).await
    }

    async fn receive_payment(
        &self,
        ctx: &Context<'_>,
        input: ReceivePaymentInput,
    ) -> ApiResult<CommandResult> {
        run(ctx, input).await
    }

    async fn allocate_payment(
        &self,
        ctx: &Context<'_>,
        input: AllocatePaymentInput,
    ) -> ApiResult<CommandResult> {
        run(ctx, input).await
    }

    async fn reverse_payment(
        &self,
        ctx: &Context<'_>,
        command_id: Uuid,
        payment_id: Uuid,
        reason: String,
        reversed_on: Date,
    ) -> ApiResult<CommandResult> {
        run(
            ctx,
            ReversePaymentArgs {
                command_id,
                payment_id,
                reason,
                reversed_on,
            },
        )
        .await
    }

    async fn write_off_invoice(
        &self,
        ctx: &Context<'_>,
        input: WriteOffInput,
    ) -> ApiResult<CommandResult> {
        run(ctx, input).await
    }

    /// Records money recovered on a written-off invoice (added to the contract).
    async fn recover_write_off(
        &self,
        ctx: &Context<'_>,
        command_id: Uuid,
        invoice_id: Uuid,
        amount: Dec,
        recovered_on: Date,
    ) -> ApiResult<CommandResult> {
        run(
            ctx,
            RecoverWriteOffArgs {
                command_id,
                invoice_id,
                amount,
                recovered_on,
            },
        )
        .await
    }

    async fn open_dispute(
        &self,
        ctx: &Context<'_>,
        command_id: Uuid,
        invoice_id: Uuid,
        amount: Dec,
        reason: String,
        opened_on: Date,
    ) -> ApiResult<CommandResult> {
        run(
            ctx,
            OpenDisputeArgs {
                command_id,
                invoice_id,
                amount,
                reason,
                opened_on,
            },
        )
        .await
    }

    async fn resolve_dispute(
        &self,
        ctx: &Context<'_>,
        command_id: Uuid,
        invoice_id: Uuid,
        outcome: String,
        resolved_on: Date,
    ) -> ApiResult<CommandResult> {
        run(
            ctx,
            ResolveDisputeArgs {
                command_id,
                invoice_id,
                outcome,
                resolved_on,
            },
        )
        .await
    }

    async fn record_collection_activity(
        &self,
        ctx: &Context<'_>,
        input: CollectionActivityInput,
    ) -> ApiResult<CommandResult> {
        run(ctx, input).await
    }

    async fn issue_recall(
        &self,
        ctx: &Context<'_>,
        input: IssueRecallInput,
    ) -> ApiResult<CommandResult> {
        run(ctx, input).await
    }

    async fn acknowledge_recall(
        &self,
        ctx: &Context<'_>,
        command_id: Uuid,
        recall_id: Uuid,
        customer_id: Uuid,
        acknowledged_on: Date,
    ) -> ApiResult<CommandResult> {
        run(
            ctx,
            AcknowledgeRecallArgs {
                command_id,
                recall_id,
                customer_id,
                acknowledged_on,
            },
        )
        .await
    }

    async fn record_recall_return(
        &self,
        ctx: &Context<'_>,
        command_id: Uuid,
        recall_id: Uuid,
        customer_id: Uuid,
        quantity: i32,
        returned_on: Date,
    ) -> ApiResult<CommandResult> {
        let quantity = i64::from(quantity);
        run(
            ctx,
            RecordRecallReturnArgs {
                command_id,
                recall_id,
                customer_id,
                quantity,
                returned_on,
            },
        )
        .await
    }
}
