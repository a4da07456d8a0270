//! `decide`: every business rule of domain.md sections 3-7. Given the write
//! model, an actor and a command, it returns the events to append or the rule
//! the command broke. It reads no clock, does no IO and changes nothing.
//!
//! This module checks what every command shares (the roles of domain.md 7,
//! the business dates of domain.md 1) and hands each command to the module
//! of its domain.md section: `master` (3), `orders` with `credit` (4, 6),
//! `shipments`, `invoices`, `payments`, `write_offs`, `disputes`,
//! `collections` and `recalls` (4). `inputs` holds the checks of command
//! input and its limits, `lookup` the lookups of named entities.
//!
//! Every amount decide puts into an event is in its one encoding, at the
//! currency's scale and never a negative zero (`Money::canonical`), and
//! percent shares of payment terms are normalised
//! (`PaymentTerms::canonical`): the same command gives the same bytes
//! however its client wrote its numbers.

use chrono::NaiveDate;

use super::commands::Command;
use super::error::CommandError;
use super::events::Event;
use super::state::WriteModel;
use super::types::Actor;

mod collections;
mod credit;
mod disputes;
mod inputs;
mod invoices;
mod lookup;
mod master;
mod orders;
mod payments;
mod recall_disputes;
mod recalls;
mod shipments;
mod write_offs;

pub use inputs::{
    AMOUNT_MAX, AUTO_ALLOCATIONS_MAX, BUSINESS_DATE_MAX, BUSINESS_DATE_MIN, LINES_MAX, LOT_LEN_MAX,
    QUANTITY_MAX, SERIALS_PER_LINE_MAX, SERIALS_PER_SHIPMENT_MAX, TEXT_LEN_MAX, UDI_LEN_MAX,
};

/// What `decide` may know besides the model and the command: the business
/// date on which the ledger records the command (from its clock), so that
/// a client-supplied date cannot move the credit check into the past.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// The recording date, if known.
    pub recorded_on: Option<NaiveDate>,
}

/// Decides what a command means: the events it produces, or why it is refused.
pub fn decide(
    model: &WriteModel,
    actor: &Actor,
    command: &Command,
) -> Result<Vec<Event>, CommandError> {
    decide_in(model, actor, command, Context::default())
}

/// [`decide`] with the recording context the log supplies.
pub fn decide_in(
    model: &WriteModel,
    actor: &Actor,
    command: &Command,
    context: Context,
) -> Result<Vec<Event>, CommandError> {
    if !command.permits(actor.role) {
        return Err(command.forbidden_for(actor.role));
    }
    for (field, date) in command.business_dates().into_iter().flatten() {
        inputs::business_date(field, date)?;
    }
    match command {
        Command::RegisterCustomer(c) => master::register_customer(model, c),
        Command::UpdateCustomer(c) => master::update_customer(model, c),
        Command::SetCreditLimit(c) => master::set_credit_limit(model, actor, c),
        Command::SetPaymentTerms(c) => master::set_payment_terms(model, c),
        Command::RegisterProduct(c) => master::register_product(model, c),
        Command::ReleaseLot(c) => master::release_lot(model, c),
        Command::PlaceOrder(c) => orders::place_order(model, c, context),
        Command::ReleaseOrder(c) => orders::release_order(model, actor, c),
        Command::RejectOrder(c) => orders::reject_order(model, actor, c),
        Command::CancelOrder(c) => orders::cancel_order(model, c),
        Command::ShipOrder(c) => shipments::ship_order(model, c),
        Command::AcceptDelivery(c) => shipments::accept_delivery(model, c),
        Command::IssueInvoice(c) => invoices::issue_invoice(model, c),
        Command::IssueCreditNote(c) => invoices::issue_credit_note(model, c),
        Command::ReceivePayment(c) => payments::receive_payment(model, c),
        Command::AllocatePayment(c) => payments::allocate_payment(model, c),
        Command::ReversePayment(c) => payments::reverse_payment(model, c),
        Command::WriteOffInvoice(c) => write_offs::write_off_invoice(model, actor, c),
        Command::RecoverWriteOff(c) => write_offs::recover_write_off(model, c),
        Command::OpenDispute(c) => disputes::open_dispute(model, c),
        Command::ResolveDispute(c) => disputes::resolve_dispute(model, c),
        Command::RecordCollectionActivity(c) => {
            collections::record_collection_activity(model, actor, c)
        }
        Command::IssueRecall(c) => recalls::issue_recall(model, c),
        Command::AcknowledgeRecall(c) => recalls::acknowledge_recall(model, c),
        Command::RecordRecallReturn(c) => recalls::record_recall_return(model, c),
    }
}
