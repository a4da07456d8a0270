//! The harness: `given(events)` folds events into a fresh `WriteModel`;
//! `Given::and(command)` runs a command as admin and folds what it produced
//! (so fixtures only ever reach states the rules allow); `when(&given, actor,
//! command)` is the command under test, `accepted` and `refused` take its
//! outcome apart, and the `assert_*` helpers check a refusal's kind and
//! error code.

use arledger_core::domain::commands::*;
use arledger_core::domain::state::{CreditPolicy, Exposure, OrderStatus, WriteModel};
use arledger_core::domain::types::{Actor, Role};
use arledger_core::domain::{Command, CommandError, ErrorCode, Event, decide};
use arledger_core::ids::{CustomerId, InvoiceId, OrderId};
use arledger_core::money::Currency;
use rust_decimal::Decimal;

use crate::values::*;

/// The state before the command under test.
pub(crate) struct Given(pub(crate) WriteModel);

/// A write model with the default credit policy, folded from `events`.
pub(crate) fn given(events: Vec<Event>) -> Given {
    given_with(CreditPolicy::default(), events)
}

/// A write model with `policy`, folded from `events`.
pub(crate) fn given_with(policy: CreditPolicy, events: Vec<Event>) -> Given {
    let mut g = Given(WriteModel::new(policy));
    g.apply(&events);
    g
}

impl Given {
    /// Runs `command` as admin and folds its events; a refusal is a broken fixture.
    pub(crate) fn and(mut self, command: Command) -> Given {
        let name = command.name();
        let events = match decide(&self.0, &admin(), &command) {
            Ok(events) => events,
            Err(e) => panic!("fixture command {name} was refused: {e}"),
        };
        self.apply(&events);
        self
    }

    /// Folds events (given ones, or the ones a command under test produced).
    pub(crate) fn apply(&mut self, events: &[Event]) {
        for e in events {
            if let Err(err) = self.0.apply(e) {
                panic!("apply {}: {err}", e.type_name());
            }
        }
    }

    pub(crate) fn exposure(&self, customer: CustomerId) -> Exposure {
        self.0.customers[&customer].exposure_in(Currency::USD)
    }

    pub(crate) fn invoice_open(&self, invoice: InvoiceId) -> Decimal {
        self.0.invoices[&invoice].open()
    }

    pub(crate) fn order_status(&self, order: OrderId) -> OrderStatus {
        self.0.orders[&order].status
    }
}

/// The command under test.
pub(crate) fn when(
    given: &Given,
    actor: &Actor,
    command: Command,
) -> Result<Vec<Event>, CommandError> {
    decide(&given.0, actor, &command)
}

pub(crate) fn issue(g: &Given, command: IssueInvoice) -> Result<Vec<Event>, CommandError> {
    when(g, &finance(), Command::IssueInvoice(command))
}

/// The events of a command that must succeed.
pub(crate) fn accepted(result: Result<Vec<Event>, CommandError>) -> Vec<Event> {
    match result {
        Ok(events) => events,
        Err(e) => panic!("expected success, the command was refused: {e} ({e:?})"),
    }
}

/// The error of a command that must be refused.
pub(crate) fn refused<T: std::fmt::Debug>(result: Result<T, CommandError>) -> CommandError {
    match result {
        Ok(v) => panic!("expected a refusal, the command succeeded with {v:?}"),
        Err(e) => e,
    }
}

/// Asserts a refusal matching `pattern` (matched against `&CommandError`) and
/// returns the error for further checks.
macro_rules! assert_refused {
    ($result:expr, $pattern:pat $(if $guard:expr)? $(,)?) => {{
        let err = refused($result);
        assert!(
            matches!(&err, $pattern $(if $guard)?),
            "unexpected refusal: {err:?}"
        );
        err
    }};
}
pub(crate) use assert_refused;

/// Asserts an `InvalidInput` refusal naming `field`.
pub(crate) fn assert_invalid(result: Result<Vec<Event>, CommandError>, field: &str) {
    let err = assert_refused!(result, CommandError::InvalidInput { field: f, .. } if f == field);
    assert_eq!(err.code(), ErrorCode::InvalidInput);
}

/// Asserts a `NotFound` refusal of an `entity`.
pub(crate) fn assert_not_found(result: Result<Vec<Event>, CommandError>, entity: &str) {
    let err = assert_refused!(result, CommandError::NotFound { entity: e, .. } if *e == entity);
    assert_eq!(err.code(), ErrorCode::NotFound);
}

/// Asserts an `AlreadyExists` refusal of an `entity`.
pub(crate) fn assert_exists(result: Result<Vec<Event>, CommandError>, entity: &str) {
    let err =
        assert_refused!(result, CommandError::AlreadyExists { entity: e, .. } if *e == entity);
    assert_eq!(err.code(), ErrorCode::AlreadyExists);
}

/// Asserts an `InvalidState` refusal of an `entity`.
pub(crate) fn assert_invalid_state(result: Result<Vec<Event>, CommandError>, entity: &str) {
    let err = assert_refused!(result, CommandError::InvalidState { entity: e, .. } if *e == entity);
    assert_eq!(err.code(), ErrorCode::InvalidState);
}

/// Asserts a `Forbidden` refusal for `role`.
pub(crate) fn assert_forbidden(result: Result<Vec<Event>, CommandError>, role: Role) {
    let err = assert_refused!(result, CommandError::Forbidden { role: r, .. } if *r == role);
    assert_eq!(err.code(), ErrorCode::Forbidden);
}

pub(crate) fn assert_over_credit(result: Result<Vec<Event>, CommandError>) {
    let err = assert_refused!(result, CommandError::OverCredit(_));
    assert_eq!(err.code(), ErrorCode::OverCredit);
}
