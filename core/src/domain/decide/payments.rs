//! Payments (domain.md 4): PaymentReceived with auto-allocation,
//! PaymentAllocated and PaymentReversed.

use rust_decimal::Decimal;

use super::inputs::{AUTO_ALLOCATIONS_MAX, Sign, amount, computed, currency, opt_text, text};
use super::lookup::{customer_invoices, find_customer, find_invoice, find_payment};
use crate::domain::commands::{AllocatePayment, ReceivePayment, ReversePayment};
use crate::domain::error::CommandError;
use crate::domain::events::{Event, PaymentAllocated, PaymentReceived, PaymentReversed};
use crate::domain::state::{Customer, Invoice, WriteModel};
use crate::ids::InvoiceId;
use crate::money::Money;

/// PaymentReceived: amount > 0, the customer exists and the payment id is
/// new; with `auto_allocate`, followed by its allocations.
pub(super) fn receive_payment(
    model: &WriteModel,
    c: &ReceivePayment,
) -> Result<Vec<Event>, CommandError> {
    let currency = currency(&c.currency)?;
    let amount = amount("amount", c.amount, currency, Sign::Positive)?;
    opt_text("bank_reference", &c.bank_reference)?;
    let cust = find_customer(model, c.customer_id)?;
    if model.payments.contains_key(&c.payment_id) {
        return Err(CommandError::exists("payment", c.payment_id));
    }
    let mut events = vec![Event::PaymentReceived(PaymentReceived {
        payment_id: c.payment_id,
        customer_id: c.customer_id,
        amount,
        received_on: c.received_on,
        method: c.method,
        bank_reference: c.bank_reference.clone(),
    })];
    if c.auto_allocate {
        auto_allocate(model, cust, c, amount, &mut events);
    }
    Ok(events)
}

/// Auto-allocation (domain.md 4): the payment goes to the customer's open
/// installments in its currency, oldest due date first (those awaiting
/// acceptance last), and whatever is left stays on account. At most
/// `AUTO_ALLOCATIONS_MAX` allocations are made.
fn auto_allocate(
    model: &WriteModel,
    cust: &Customer,
    c: &ReceivePayment,
    amount: Money,
    events: &mut Vec<Event>,
) {
    let currency = amount.currency;
    let mut open: Vec<(&Invoice, usize, InvoiceId)> = customer_invoices(model, cust)
        .filter(|(_, inv)| inv.currency == currency)
        .flat_map(|(id, inv)| {
            (0..inv.installments.len())
                .filter(move |&i| inv.installments[i].open > Decimal::ZERO)
                .map(move |i| (inv, i, id))
        })
        .collect();
    open.sort_by_key(|(inv, i, _)| {
        let plan = &inv.installments[*i].plan;
        (
            plan.due_on.is_none(),
            plan.due_on,
            inv.invoice_date,
            plan.no,
        )
    });
    let mut rest = amount.amount;
    for (inv, i, invoice_id) in open {
        if rest <= Decimal::ZERO || events.len() > AUTO_ALLOCATIONS_MAX {
            break;
        }
        let take = rest.min(inv.installments[i].open);
        rest -= take;
        events.push(Event::PaymentAllocated(PaymentAllocated {
            payment_id: c.payment_id,
            invoice_id,
            installment_no: Some(inv.installments[i].plan.no),
            amount: computed("auto-allocation", take, currency),
        }));
    }
}

/// PaymentAllocated: a payment not reversed, an invoice of the same
/// customer and currency, and an amount at most the payment's unallocated
/// rest and the invoice's (or the named installment's) open amount.
pub(super) fn allocate_payment(
    model: &WriteModel,
    c: &AllocatePayment,
) -> Result<Vec<Event>, CommandError> {
    let payment = find_payment(model, c.payment_id)?;
    if payment.reversed {
        return Err(CommandError::state(
            "payment",
            c.payment_id,
            "it was reversed",
        ));
    }
    let inv = find_invoice(model, c.invoice_id)?;
    if inv.customer_id != payment.customer_id {
        return Err(CommandError::state(
            "payment",
            c.payment_id,
            format!(
                "it came from customer {}, invoice {} belongs to {}",
                payment.customer_id, c.invoice_id, inv.customer_id
            ),
        ));
    }
    if inv.currency != payment.amount.currency {
        return Err(CommandError::CurrencyMismatch {
            expected: inv.currency.to_string(),
            got: payment.amount.currency.to_string(),
        });
    }
    let amount = amount("amount", c.amount, inv.currency, Sign::Positive)?;
    let rest = payment.unallocated();
    if amount.amount > rest {
        return Err(CommandError::Overallocation(format!(
            "{amount} exceeds payment {}'s unallocated {rest}",
            c.payment_id
        )));
    }
    let open = open_to_allocate(inv, c)?;
    if amount.amount > open {
        return Err(CommandError::Overallocation(format!(
            "{amount} exceeds the open amount {open} of invoice {}",
            c.invoice_id
        )));
    }
    Ok(vec![Event::PaymentAllocated(PaymentAllocated {
        payment_id: c.payment_id,
        invoice_id: c.invoice_id,
        installment_no: c.installment_no,
        amount,
    })])
}

/// What an allocation may take: the open amount of the installment it
/// names, or of the whole invoice.
fn open_to_allocate(inv: &Invoice, c: &AllocatePayment) -> Result<Decimal, CommandError> {
    let Some(no) = c.installment_no else {
        return Ok(inv.open());
    };
    inv.installments
        .iter()
        .find(|i| i.plan.no == no)
        .map(|i| i.open)
        .ok_or_else(|| {
            CommandError::not_found("installment", format!("{no} of invoice {}", c.invoice_id))
        })
}

/// PaymentReversed: a payment not yet reversed; it undoes the payment and
/// all its allocations (folded by `apply`).
pub(super) fn reverse_payment(
    model: &WriteModel,
    c: &ReversePayment,
) -> Result<Vec<Event>, CommandError> {
    text("reason", &c.reason)?;
    let payment = find_payment(model, c.payment_id)?;
    if payment.reversed {
        return Err(CommandError::state(
            "payment",
            c.payment_id,
            "it was already reversed",
        ));
    }
    Ok(vec![Event::PaymentReversed(PaymentReversed {
        payment_id: c.payment_id,
        reason: c.reason.clone(),
        reversed_on: c.reversed_on,
    })])
}
