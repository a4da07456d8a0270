//! `decide`: every business rule of domain.md sections 3-7. Given the write
//! model, an actor and a command, it returns the events to append or the rule
//! the command broke. It reads no clock, does no IO and changes nothing.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rustc_hash::{FxHashMap, FxHashSet};

use super::commands::*;
use super::error::CommandError;
use super::events::*;
use super::state::{Invoice, OrderStatus, WriteModel};
use super::terms::{BaseDates, schedule};
use super::types::{Actor, Gtin, HoldReason, RiskGrade};
use crate::ids::ShipmentId;
use crate::money::{Currency, Money};

/// Most lines on one order, shipment or invoice.
pub const LINES_MAX: usize = 1_000;
/// Longest free text (names, reasons, notes), in bytes.
pub const TEXT_LEN_MAX: usize = 1_000;
/// Most serials or UDIs on one shipment line.
pub const SERIALS_PER_LINE_MAX: usize = 10_000;
/// Largest quantity on one line.
pub const QUANTITY_MAX: i64 = 1_000_000_000;
/// Longest lot or serial number (GS1 AI 10 / AI 21 allow 20 characters).
pub const LOT_LEN_MAX: usize = 20;
/// Longest raw UDI string, in bytes (GS1 element strings are far shorter).
pub const UDI_LEN_MAX: usize = 512;
/// Most serials and UDIs on one shipment, over all its lines.
pub const SERIALS_PER_SHIPMENT_MAX: usize = 100_000;
/// Largest amount, price or document total: 10^15 in the currency's units.
/// Keeping every amount far below `Decimal::MAX` (about 7.9 * 10^28) means
/// sums over any realistic number of documents cannot overflow.
pub const AMOUNT_MAX: Decimal = Decimal::from_parts(0xa4c6_8000, 0x0003_8d7e, 0, false, 0);
/// `AMOUNT_MAX` is 10 to this power.
const AMOUNT_MAX_DIGITS: u32 = 15;

/// Whether a non-negative `amount` is above `AMOUNT_MAX`: its mantissa
/// against 10^(15 + scale), without rescaling.
fn above_amount_max(amount: Decimal) -> bool {
    // A limit beyond u128 is beyond any mantissa (at most 2^96) too.
    10u128
        .checked_pow(AMOUNT_MAX_DIGITS + amount.scale())
        .is_some_and(|limit| amount.mantissa().unsigned_abs() > limit)
}

/// The first business date accepted: no receivable of a living business
/// is older.
pub const BUSINESS_DATE_MIN: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(date) => date,
    None => NaiveDate::MIN,
};
/// The last business date accepted: the last of ISO 8601's four-digit
/// years, which the API's `Date` can carry. Due dates computed from it
/// (at most `TERM_DAYS_MAX` later) stay well inside what dates can hold.
pub const BUSINESS_DATE_MAX: NaiveDate = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(date) => date,
    None => NaiveDate::MAX,
};

fn business_date(field: &'static str, date: NaiveDate) -> Result<(), CommandError> {
    if (BUSINESS_DATE_MIN..=BUSINESS_DATE_MAX).contains(&date) {
        return Ok(());
    }
    Err(CommandError::invalid(
        field,
        format!(
            "{date} is outside the business dates accepted, {BUSINESS_DATE_MIN} to {BUSINESS_DATE_MAX}"
        ),
    ))
}

/// Most allocations one auto-allocating payment makes; the rest of the
/// money stays on account.
pub const AUTO_ALLOCATIONS_MAX: usize = 999;

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
        business_date(field, date)?;
    }
    let by = || actor.user_id.clone();
    match command {
        Command::RegisterCustomer(c) => {
            text("name", &c.name)?;
            text("region", &c.region)?;
            text("salesperson_id", &c.salesperson_id)?;
            opt_text("tax_id", &c.tax_id)?;
            if model.customers.contains_key(&c.customer_id) {
                return Err(CommandError::exists("customer", c.customer_id));
            }
            Ok(vec![Event::CustomerRegistered(CustomerRegistered {
                customer_id: c.customer_id,
                name: c.name.trim().to_string(),
                kind: c.kind,
                region: c.region.clone(),
                salesperson_id: c.salesperson_id.clone(),
                tax_id: c.tax_id.clone(),
            })])
        }
        Command::UpdateCustomer(c) => {
            find_customer(model, c.customer_id)?;
            if let Some(name) = &c.name {
                text("name", name)?;
            }
            if let Some(region) = &c.region {
                text("region", region)?;
            }
            if let Some(s) = &c.salesperson_id {
                text("salesperson_id", s)?;
            }
            opt_text("tax_id", &c.tax_id)?;
            if c.name.is_none()
                && c.kind.is_none()
                && c.region.is_none()
                && c.salesperson_id.is_none()
                && c.tax_id.is_none()
            {
                return Err(CommandError::invalid(
                    "fields",
                    "an update must change at least one field",
                ));
            }
            Ok(vec![Event::CustomerUpdated(CustomerUpdated {
                customer_id: c.customer_id,
                name: c.name.as_ref().map(|n| n.trim().to_string()),
                kind: c.kind,
                region: c.region.clone(),
                salesperson_id: c.salesperson_id.clone(),
                tax_id: c.tax_id.clone(),
            })])
        }
        Command::SetCreditLimit(c) => {
            let currency = currency(&c.currency)?;
            let limit = amount("limit", c.limit, currency, Sign::NonNegative)?;
            text_len("reason", &c.reason)?;
            let cust = find_customer(model, c.customer_id)?;
            if let Some(credit) = &cust.credit
                && credit.limit.currency != currency
            {
                return Err(CommandError::CurrencyMismatch {
                    expected: credit.limit.currency.to_string(),
                    got: currency.to_string(),
                });
            }
            Ok(vec![Event::CreditLimitSet(CreditLimitSet {
                customer_id: c.customer_id,
                limit,
                grade: c.grade,
                reason: c.reason.clone(),
                approved_by: by(),
            })])
        }
        Command::SetPaymentTerms(c) => {
            find_customer(model, c.customer_id)?;
            c.terms.validate()?;
            opt_text("contract_id", &c.contract_id)?;
            Ok(vec![Event::PaymentTermsSet(PaymentTermsSet {
                customer_id: c.customer_id,
                contract_id: c.contract_id.clone(),
                terms: c.terms.clone(),
            })])
        }
        Command::RegisterProduct(c) => {
            let gtin = Gtin::parse(&c.gtin)?;
            text("name", &c.name)?;
            opt_text("model", &c.model)?;
            opt_text("registration_no", &c.registration_no)?;
            let company_prefix_len = c.company_prefix_len.unwrap_or(COMPANY_PREFIX_LEN_DEFAULT);
            if !(6..=12).contains(&company_prefix_len) {
                return Err(CommandError::invalid(
                    "company_prefix_len",
                    format!("a GS1 company prefix has 6 to 12 digits, got {company_prefix_len}"),
                ));
            }
            if model.products.contains_key(&gtin) {
                return Err(CommandError::exists("product", gtin));
            }
            Ok(vec![Event::ProductRegistered(ProductRegistered {
                gtin,
                name: c.name.trim().to_string(),
                model: c.model.clone(),
                risk_class: c.risk_class,
                registration_no: c.registration_no.clone(),
                company_prefix_len,
            })])
        }
        Command::ReleaseLot(c) => {
            let gtin = Gtin::parse(&c.gtin)?;
            lot_text("lot", &c.lot)?;
            let quantity = quantity("quantity", c.quantity)?;
            if c.expires_on <= c.manufactured_on {
                return Err(CommandError::invalid(
                    "expires_on",
                    format!(
                        "a lot must expire after it is manufactured ({} is not after {})",
                        c.expires_on, c.manufactured_on
                    ),
                ));
            }
            if !model.products.contains_key(&gtin) {
                return Err(CommandError::not_found("product", &gtin));
            }
            if model.lot(&gtin, &c.lot).is_some() {
                return Err(CommandError::exists("lot", format!("{} of {gtin}", c.lot)));
            }
            Ok(vec![Event::LotReleased(LotReleased {
                gtin,
                lot: c.lot.clone(),
                manufactured_on: c.manufactured_on,
                expires_on: c.expires_on,
                quantity,
            })])
        }
        Command::PlaceOrder(c) => place_order(model, c, context),
        Command::ReleaseOrder(c) => {
            held_order(model, c.order_id, "released")?;
            Ok(vec![Event::OrderReleased(OrderReleased {
                order_id: c.order_id,
                by: by(),
                note: c.note.clone(),
            })])
        }
        Command::RejectOrder(c) => {
            held_order(model, c.order_id, "rejected")?;
            Ok(vec![Event::OrderRejected(OrderRejected {
                order_id: c.order_id,
                by: by(),
                note: c.note.clone(),
            })])
        }
        Command::CancelOrder(c) => {
            text("reason", &c.reason)?;
            let order = find_order(model, c.order_id)?;
            if matches!(
                order.status,
                OrderStatus::Shipped | OrderStatus::Cancelled | OrderStatus::Rejected
            ) {
                return Err(CommandError::state(
                    "order",
                    c.order_id,
                    format!(
                        "it is {}; only an unshipped remainder can be cancelled",
                        order.status.name()
                    ),
                ));
            }
            Ok(vec![Event::OrderCancelled(OrderCancelled {
                order_id: c.order_id,
                reason: c.reason.clone(),
            })])
        }
        Command::ShipOrder(c) => ship_order(model, c),
        Command::AcceptDelivery(c) => {
            text("accepted_by", &c.accepted_by)?;
            let shipment = find_shipment(model, c.shipment_id)?;
            if let Some(on) = shipment.accepted_on {
                return Err(CommandError::state(
                    "shipment",
                    c.shipment_id,
                    format!("its delivery was already accepted on {on}"),
                ));
            }
            if c.accepted_on < shipment.shipped_on {
                return Err(CommandError::invalid(
                    "accepted_on",
                    format!(
                        "{} is before the ship date {}",
                        c.accepted_on, shipment.shipped_on
                    ),
                ));
            }
            Ok(vec![Event::DeliveryAccepted(DeliveryAccepted {
                shipment_id: c.shipment_id,
                order_id: shipment.order_id,
                accepted_on: c.accepted_on,
                accepted_by: c.accepted_by.clone(),
            })])
        }
        Command::IssueInvoice(c) => issue_invoice(model, c),
        Command::IssueCreditNote(c) => {
            let invoice = find_invoice(model, c.invoice_id)?;
            let amount = amount("amount", c.amount, invoice.currency, Sign::Positive)?;
            let open = invoice.open();
            if amount.amount > open {
                return Err(CommandError::OverCredit(format!(
                    "credit note of {amount} exceeds invoice {}'s open amount {open}",
                    c.invoice_id
                )));
            }
            if model.credit_notes.contains(&c.credit_note_id) {
                return Err(CommandError::exists("credit note", c.credit_note_id));
            }
            Ok(vec![Event::CreditNoteIssued(CreditNoteIssued {
                credit_note_id: c.credit_note_id,
                invoice_id: c.invoice_id,
                amount,
                reason: c.reason,
                issued_on: c.issued_on,
            })])
        }
        Command::ReceivePayment(c) => receive_payment(model, c),
        Command::AllocatePayment(c) => {
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
            let open = match c.installment_no {
                Some(no) => inv
                    .installments
                    .iter()
                    .find(|i| i.plan.no == no)
                    .map(|i| i.open)
                    .ok_or_else(|| {
                        CommandError::not_found(
                            "installment",
                            format!("{no} of invoice {}", c.invoice_id),
                        )
                    })?,
                None => inv.open(),
            };
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
        Command::ReversePayment(c) => {
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
        Command::WriteOffInvoice(c) => {
            text("reason", &c.reason)?;
            let inv = find_invoice(model, c.invoice_id)?;
            let amount = amount("amount", c.amount, inv.currency, Sign::Positive)?;
            let open = inv.open();
            if amount.amount > open {
                return Err(CommandError::OverCredit(format!(
                    "write-off of {amount} exceeds invoice {}'s open amount {open}",
                    c.invoice_id
                )));
            }
            Ok(vec![Event::InvoiceWrittenOff(InvoiceWrittenOff {
                invoice_id: c.invoice_id,
                amount,
                reason: c.reason.clone(),
                approved_by: by(),
                written_off_on: c.written_off_on,
            })])
        }
        Command::RecoverWriteOff(c) => {
            let inv = find_invoice(model, c.invoice_id)?;
            let amount = amount("amount", c.amount, inv.currency, Sign::Positive)?;
            let recoverable = inv.written_off - inv.recovered;
            if amount.amount > recoverable {
                return Err(CommandError::OverCredit(format!(
                    "recovery of {amount} exceeds the {recoverable} written off and not yet recovered on invoice {}",
                    c.invoice_id
                )));
            }
            Ok(vec![Event::WriteOffRecovered(WriteOffRecovered {
                invoice_id: c.invoice_id,
                amount,
                recovered_on: c.recovered_on,
            })])
        }
        Command::OpenDispute(c) => {
            text("reason", &c.reason)?;
            let inv = find_invoice(model, c.invoice_id)?;
            let amount = amount("amount", c.amount, inv.currency, Sign::Positive)?;
            if let Some(disputed) = inv.disputed {
                return Err(CommandError::state(
                    "invoice",
                    c.invoice_id,
                    format!("a dispute over {disputed} is already open; resolve it first"),
                ));
            }
            let open = inv.open();
            if amount.amount > open {
                return Err(CommandError::invalid(
                    "amount",
                    format!(
                        "disputed {amount} exceeds invoice {}'s open amount {open}",
                        c.invoice_id
                    ),
                ));
            }
            Ok(vec![Event::DisputeOpened(DisputeOpened {
                invoice_id: c.invoice_id,
                amount,
                reason: c.reason.clone(),
                opened_on: c.opened_on,
            })])
        }
        Command::ResolveDispute(c) => {
            text("outcome", &c.outcome)?;
            let inv = find_invoice(model, c.invoice_id)?;
            if inv.disputed.is_none() {
                return Err(CommandError::state(
                    "invoice",
                    c.invoice_id,
                    "it has no open dispute",
                ));
            }
            Ok(vec![Event::DisputeResolved(DisputeResolved {
                invoice_id: c.invoice_id,
                outcome: c.outcome.clone(),
                resolved_on: c.resolved_on,
            })])
        }
        Command::RecordCollectionActivity(c) => {
            text("outcome", &c.outcome)?;
            find_customer(model, c.customer_id)?;
            if c.invoice_ids.len() > LINES_MAX {
                return Err(CommandError::invalid(
                    "invoice_ids",
                    format!("at most {LINES_MAX} invoices"),
                ));
            }
            for id in &c.invoice_ids {
                let inv = find_invoice(model, *id)?;
                if inv.customer_id != c.customer_id {
                    return Err(CommandError::invalid(
                        "invoice_ids",
                        format!(
                            "invoice {id} belongs to customer {}, not {}",
                            inv.customer_id, c.customer_id
                        ),
                    ));
                }
            }
            if let Some(promised) = c.promised_pay_date
                && promised < c.on
            {
                return Err(CommandError::invalid(
                    "promised_pay_date",
                    format!("{promised} is before the activity date {}", c.on),
                ));
            }
            Ok(vec![Event::CollectionActivityRecorded(
                CollectionActivityRecorded {
                    customer_id: c.customer_id,
                    invoice_ids: c.invoice_ids.clone(),
                    channel: c.channel,
                    outcome: c.outcome.clone(),
                    promised_pay_date: c.promised_pay_date,
                    on: c.on,
                    by: by(),
                },
            )])
        }
        Command::IssueRecall(c) => {
            let gtin = Gtin::parse(&c.gtin)?;
            text("reason", &c.reason)?;
            if c.lots.is_empty() || c.lots.len() > LINES_MAX {
                return Err(CommandError::invalid(
                    "lots",
                    format!("a recall names 1 to {LINES_MAX} lots"),
                ));
            }
            if c.serials.len() > SERIALS_PER_SHIPMENT_MAX {
                return Err(CommandError::invalid(
                    "serials",
                    format!("a recall names at most {SERIALS_PER_SHIPMENT_MAX} serials"),
                ));
            }
            for serial in &c.serials {
                lot_text("serials", serial)?;
            }
            if !model.products.contains_key(&gtin) {
                return Err(CommandError::not_found("product", &gtin));
            }
            for lot in &c.lots {
                if model.lot(&gtin, lot).is_none() {
                    return Err(CommandError::not_found("lot", format!("{lot} of {gtin}")));
                }
            }
            if model.recalls.contains_key(&c.recall_id) {
                return Err(CommandError::exists("recall", c.recall_id));
            }
            Ok(vec![Event::RecallIssued(RecallIssued {
                recall_id: c.recall_id,
                gtin,
                lots: c.lots.clone(),
                serials: c.serials.clone(),
                class: c.class,
                reason: c.reason.clone(),
                issued_on: c.issued_on,
            })])
        }
        Command::AcknowledgeRecall(c) => {
            let recall = find_recall(model, c.recall_id)?;
            find_customer(model, c.customer_id)?;
            if recalled_units_shipped(model, &recall.gtin, &recall.lots, c.customer_id) == 0 {
                return Err(CommandError::state(
                    "recall",
                    c.recall_id,
                    format!("customer {} received no affected lot", c.customer_id),
                ));
            }
            if recall.acknowledged.contains(&c.customer_id) {
                return Err(CommandError::state(
                    "recall",
                    c.recall_id,
                    format!("customer {} already acknowledged it", c.customer_id),
                ));
            }
            Ok(vec![Event::RecallNoticeAcknowledged(
                RecallNoticeAcknowledged {
                    recall_id: c.recall_id,
                    customer_id: c.customer_id,
                    acknowledged_on: c.acknowledged_on,
                },
            )])
        }
        Command::RecordRecallReturn(c) => {
            let quantity = quantity("quantity", c.quantity)?;
            let recall = find_recall(model, c.recall_id)?;
            find_customer(model, c.customer_id)?;
            let shipped = recalled_units_shipped(model, &recall.gtin, &recall.lots, c.customer_id);
            let returned = recall.returned.get(&c.customer_id).copied().unwrap_or(0);
            if returned + quantity > shipped {
                return Err(CommandError::InvalidState {
                    entity: "recall",
                    id: c.recall_id.to_string(),
                    reason: format!(
                        "customer {} received {shipped} affected units and returned {returned}; {quantity} more cannot be returned",
                        c.customer_id
                    ),
                });
            }
            Ok(vec![Event::RecallUnitsReturned(RecallUnitsReturned {
                recall_id: c.recall_id,
                customer_id: c.customer_id,
                quantity,
                returned_on: c.returned_on,
            })])
        }
    }
}

fn place_order(
    model: &WriteModel,
    c: &PlaceOrder,
    context: Context,
) -> Result<Vec<Event>, CommandError> {
    text("number", &c.number)?;
    let currency = currency(&c.currency)?;
    let cust = find_customer(model, c.customer_id)?;
    lines_count("lines", c.lines.len())?;
    let mut lines = Vec::with_capacity(c.lines.len());
    let mut value = Decimal::ZERO;
    for l in &c.lines {
        let gtin = Gtin::parse(&l.gtin)?;
        if !model.products.contains_key(&gtin) {
            return Err(CommandError::not_found("product", &gtin));
        }
        if lines.iter().any(|x: &OrderLine| x.line_no == l.line_no) {
            return Err(CommandError::invalid(
                "lines",
                format!("line number {} appears twice", l.line_no),
            ));
        }
        let quantity = quantity("quantity", l.quantity)?;
        let price = amount("unit_price", l.unit_price, currency, Sign::NonNegative)?;
        value += Decimal::from(quantity) * price.amount;
        if value > AMOUNT_MAX {
            return Err(CommandError::invalid(
                "lines",
                format!("the order's value exceeds {AMOUNT_MAX} {currency}"),
            ));
        }
        lines.push(OrderLine {
            line_no: l.line_no,
            gtin,
            quantity,
            unit_price: price.amount,
        });
    }
    if model.orders.contains_key(&c.order_id) {
        return Err(CommandError::exists("order", c.order_id));
    }
    if model.order_numbers.contains(&c.number) {
        return Err(CommandError::exists("order number", &c.number));
    }
    let (limit, grade) = match &cust.credit {
        Some(credit) if credit.limit.currency != currency => {
            return Err(CommandError::CurrencyMismatch {
                expected: credit.limit.currency.to_string(),
                got: currency.to_string(),
            });
        }
        Some(credit) => (credit.limit.amount, Some(credit.grade)),
        None => (Decimal::ZERO, None),
    };
    let exposure = cust.exposure_in(currency).total() + value;
    // Overdue as of the later of the order's date and the recording date:
    // backdating an order must not dodge the overdue hold.
    let as_of = context
        .recorded_on
        .map_or(c.placed_on, |d| d.max(c.placed_on));
    let overdue = cust
        .invoices
        .iter()
        .filter_map(|id| model.invoices.get(id))
        .any(|inv| inv.overdue_on(as_of));
    let mut reasons = Vec::new();
    // No limit set means limit 0, and every order is held until a limit is
    // set or the order is released, even when money on account covers it.
    if exposure > limit || cust.credit.is_none() {
        reasons.push(HoldReason::CreditLimitExceeded);
    }
    if overdue && exposure > limit * model.policy.overdue_threshold_percent / Decimal::ONE_HUNDRED {
        reasons.push(HoldReason::OverdueBalance);
    }
    if grade == Some(RiskGrade::D) {
        reasons.push(HoldReason::GradeD);
    }
    let mut events = vec![Event::OrderPlaced(OrderPlaced {
        order_id: c.order_id,
        number: c.number.clone(),
        customer_id: c.customer_id,
        currency,
        placed_on: c.placed_on,
        lines,
    })];
    if !reasons.is_empty() {
        events.push(Event::OrderHeld(OrderHeld {
            order_id: c.order_id,
            reasons,
            exposure: Money {
                amount: exposure,
                currency,
            },
            limit: Money {
                amount: limit,
                currency,
            },
        }));
    }
    Ok(events)
}

fn ship_order(model: &WriteModel, c: &ShipOrder) -> Result<Vec<Event>, CommandError> {
    text_len("ship_to", &c.ship_to)?;
    lines_count("lines", c.lines.len())?;
    let order = find_order(model, c.order_id)?;
    if order.status == OrderStatus::Shipped {
        // Released, but nothing is left: the quantity rule is what refuses.
        return Err(CommandError::Overshipment {
            detail: format!(
                "order {} has shipped in full; nothing is left to ship",
                c.order_id
            ),
        });
    }
    if !order.status.is_live() {
        let hint = match order.status {
            OrderStatus::Held => "a finance manager must release it first",
            _ => "it can no longer ship",
        };
        return Err(CommandError::OrderNotReleased {
            order: c.order_id.to_string(),
            status: order.status.name(),
            hint,
        });
    }
    if model.shipments.contains_key(&c.shipment_id) {
        return Err(CommandError::exists("shipment", c.shipment_id));
    }
    let mut lines = Vec::with_capacity(c.lines.len());
    // Units this shipment takes per order line and per lot, to check the
    // totals when one order line ships from several lots.
    let mut per_line: Vec<(u32, u64)> = Vec::new();
    let mut per_lot: Vec<(&Gtin, &str, u64)> = Vec::new();
    let mut shipped_serials: FxHashSet<(&Gtin, &str, &str)> = FxHashSet::default();
    let mut identifiers = 0usize;
    for l in &c.lines {
        let gtin = Gtin::parse(&l.gtin)?;
        lot_text("lot", &l.lot)?;
        let quantity = quantity("quantity", l.quantity)?;
        let ol = order
            .lines
            .iter()
            .find(|x| x.line_no == l.line_no)
            .ok_or_else(|| {
                CommandError::not_found(
                    "order line",
                    format!("{} of order {}", l.line_no, c.order_id),
                )
            })?;
        if ol.gtin != gtin {
            return Err(CommandError::invalid(
                "gtin",
                format!(
                    "order line {} is for {}, the shipment line names {gtin}",
                    l.line_no, ol.gtin
                ),
            ));
        }
        let lot = model
            .lot(&gtin, &l.lot)
            .ok_or_else(|| CommandError::not_found("lot", format!("{} of {gtin}", l.lot)))?;
        if lot.expires_on < c.shipped_on {
            return Err(CommandError::LotExpired {
                gtin: gtin.to_string(),
                lot: l.lot.clone(),
                expires_on: lot.expires_on,
                shipped_on: c.shipped_on,
            });
        }
        if let Some(recall) = lot.recalled_by {
            return Err(CommandError::LotRecalled {
                gtin: gtin.to_string(),
                lot: l.lot.clone(),
                recall: recall.to_string(),
            });
        }
        if l.serials.len() > SERIALS_PER_LINE_MAX || l.udis.len() > SERIALS_PER_LINE_MAX {
            return Err(CommandError::invalid(
                "serials",
                format!("at most {SERIALS_PER_LINE_MAX} serials or UDIs per line"),
            ));
        }
        if !l.serials.is_empty() && u64::try_from(l.serials.len()).ok() != Some(quantity) {
            return Err(CommandError::invalid(
                "serials",
                format!(
                    "line {} ships {quantity} units with {} serials; give one serial per unit or none",
                    l.line_no,
                    l.serials.len()
                ),
            ));
        }
        identifiers += l.serials.len() + l.udis.len();
        if identifiers > SERIALS_PER_SHIPMENT_MAX {
            return Err(CommandError::invalid(
                "serials",
                format!("at most {SERIALS_PER_SHIPMENT_MAX} serials and UDIs per shipment"),
            ));
        }
        for serial in &l.serials {
            lot_text("serials", serial)?;
            let fresh = shipped_serials.insert((&ol.gtin, l.lot.as_str(), serial.as_str()));
            if lot.serials.contains(serial) || !fresh {
                return Err(CommandError::state(
                    "serial",
                    serial,
                    format!("it was already shipped from lot {} of {gtin}", l.lot),
                ));
            }
        }
        for udi in &l.udis {
            if udi.is_empty() || udi.len() > UDI_LEN_MAX {
                return Err(CommandError::UdiInvalid(format!(
                    "UDI strings must be 1 to {UDI_LEN_MAX} bytes"
                )));
            }
        }
        let line_total = add_to(&mut per_line, l.line_no, quantity);
        let left = ol.quantity - ol.shipped;
        if line_total > left {
            return Err(CommandError::Overshipment {
                detail: format!(
                    "order line {} has {left} units ordered and not yet shipped; the shipment takes {line_total}",
                    l.line_no
                ),
            });
        }
        let lot_total = match per_lot
            .iter_mut()
            .find(|(g, n, _)| **g == gtin && *n == l.lot)
        {
            Some(entry) => {
                entry.2 += quantity;
                entry.2
            }
            None => {
                per_lot.push((&ol.gtin, &l.lot, quantity));
                quantity
            }
        };
        let lot_left = lot.released.saturating_sub(lot.shipped);
        if lot_total > lot_left {
            return Err(CommandError::Overshipment {
                detail: format!(
                    "lot {} of {gtin} has {lot_left} released units left; the shipment takes {lot_total}",
                    l.lot
                ),
            });
        }
        lines.push(ShipmentLine {
            line_no: l.line_no,
            gtin,
            lot: l.lot.clone(),
            expires_on: lot.expires_on,
            serials: l.serials.clone(),
            quantity,
            udis: l.udis.clone(),
        });
    }
    Ok(vec![Event::OrderShipped(OrderShipped {
        shipment_id: c.shipment_id,
        order_id: c.order_id,
        shipped_on: c.shipped_on,
        ship_to: c.ship_to.clone(),
        lines,
    })])
}

fn issue_invoice(model: &WriteModel, c: &IssueInvoice) -> Result<Vec<Event>, CommandError> {
    text("number", &c.number)?;
    let currency = currency(&c.currency)?;
    let cust = find_customer(model, c.customer_id)?;
    lines_count("lines", c.lines.len())?;
    opt_text("contract_id", &c.contract_id)?;
    let contract_terms = match &c.contract_id {
        Some(contract) => Some(cust.contract_terms.get(contract).ok_or_else(|| {
            CommandError::not_found(
                "contract",
                format!("{contract} (no terms set for customer {})", c.customer_id),
            )
        })?),
        None => None,
    };
    let terms = match (&c.terms, contract_terms, &cust.terms) {
        (Some(t), _, _) | (None, Some(t), _) | (None, None, Some(t)) => t.clone(),
        (None, None, None) => {
            return Err(CommandError::invalid(
                "terms",
                format!(
                    "the invoice names no terms and customer {} has none set",
                    c.customer_id
                ),
            ));
        }
    };
    terms.validate()?;
    let mut lines = Vec::with_capacity(c.lines.len());
    let mut total = Decimal::ZERO;
    let mut billed: Vec<(ShipmentId, u32, u64)> = Vec::new();
    let mut shipments: Vec<ShipmentId> = Vec::new();
    for l in &c.lines {
        let net = amount("amount", l.amount, currency, Sign::NonNegative)?;
        let tax = amount("tax", l.tax, currency, Sign::NonNegative)?;
        total += net.amount + tax.amount;
        if total > AMOUNT_MAX {
            return Err(CommandError::invalid(
                "lines",
                format!("the invoice total exceeds {AMOUNT_MAX} {currency}"),
            ));
        }
        let description = l.description.clone().unwrap_or_default();
        if description.len() > TEXT_LEN_MAX {
            return Err(CommandError::invalid(
                "description",
                format!("at most {TEXT_LEN_MAX} bytes"),
            ));
        }
        let (shipment_line, quantity) = match (l.shipment_id, l.line_no) {
            (None, None) => {
                if description.trim().is_empty() {
                    return Err(CommandError::invalid(
                        "description",
                        "a line without a shipment (service, training) needs a description",
                    ));
                }
                let quantity = match l.quantity {
                    Some(q) => quantity("quantity", q)?,
                    None => 1,
                };
                (None, quantity)
            }
            (Some(shipment_id), Some(line_no)) => {
                let shipment = find_shipment(model, shipment_id)?;
                if shipment.customer_id != c.customer_id {
                    return Err(CommandError::invalid(
                        "shipment_id",
                        format!(
                            "shipment {shipment_id} went to customer {}, not {}",
                            shipment.customer_id, c.customer_id
                        ),
                    ));
                }
                if shipment.currency != currency {
                    return Err(CommandError::CurrencyMismatch {
                        expected: shipment.currency.to_string(),
                        got: currency.to_string(),
                    });
                }
                let sl = shipment
                    .lines
                    .iter()
                    .find(|x| x.line_no == line_no)
                    .ok_or_else(|| {
                        CommandError::not_found(
                            "shipment line",
                            format!("{line_no} of shipment {shipment_id}"),
                        )
                    })?;
                let already = billed
                    .iter()
                    .find(|(s, n, _)| *s == shipment_id && *n == line_no)
                    .map_or(0, |(_, _, q)| *q);
                let remaining = sl.quantity - sl.invoiced - already;
                let quantity = match l.quantity {
                    Some(q) => quantity("quantity", q)?,
                    None => remaining,
                };
                if quantity == 0 || quantity > remaining {
                    return Err(CommandError::DoubleBilling {
                        shipment: shipment_id.to_string(),
                        line_no,
                        remaining,
                        requested: quantity,
                    });
                }
                match billed
                    .iter_mut()
                    .find(|(s, n, _)| *s == shipment_id && *n == line_no)
                {
                    Some(entry) => entry.2 += quantity,
                    None => billed.push((shipment_id, line_no, quantity)),
                }
                if !shipments.contains(&shipment_id) {
                    shipments.push(shipment_id);
                }
                (
                    Some(ShipmentLineRef {
                        shipment_id,
                        line_no,
                    }),
                    quantity,
                )
            }
            _ => {
                return Err(CommandError::invalid(
                    "line_no",
                    "a shipment line needs both shipment_id and line_no",
                ));
            }
        };
        lines.push(InvoiceLine {
            shipment_line,
            quantity,
            description,
            amount: net.amount,
            tax: tax.amount,
        });
    }
    if total <= Decimal::ZERO {
        return Err(CommandError::invalid(
            "lines",
            "an invoice must total more than zero",
        ));
    }
    if model.invoices.contains_key(&c.invoice_id) {
        return Err(CommandError::exists("invoice", c.invoice_id));
    }
    if model.invoice_numbers.contains(&c.number) {
        return Err(CommandError::exists("invoice number", &c.number));
    }
    let base: BaseDates = model.base_dates(c.invoice_date, &shipments);
    let installments = schedule(
        Money {
            amount: total,
            currency,
        },
        &terms,
        &base,
    );
    Ok(vec![Event::InvoiceIssued(InvoiceIssued {
        invoice_id: c.invoice_id,
        number: c.number.clone(),
        customer_id: c.customer_id,
        invoice_date: c.invoice_date,
        currency,
        lines,
        terms,
        installments,
    })])
}

fn receive_payment(model: &WriteModel, c: &ReceivePayment) -> Result<Vec<Event>, CommandError> {
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
        // Oldest due date first over all the customer's open installments in
        // the payment's currency; whatever is left stays on account.
        let mut items: Vec<(Option<NaiveDate>, u32, &Invoice, usize)> = Vec::new();
        let mut invoice_ids = Vec::new();
        for id in &cust.invoices {
            let Some(inv) = model.invoices.get(id) else {
                continue;
            };
            if inv.currency != currency {
                continue;
            }
            for (i, inst) in inv.installments.iter().enumerate() {
                if inst.open > Decimal::ZERO {
                    items.push((inst.plan.due_on, inst.plan.no, inv, i));
                    invoice_ids.push(*id);
                }
            }
        }
        let mut keyed: Vec<_> = items.into_iter().zip(invoice_ids).collect();
        keyed.sort_by_key(|((due, no, inv, _), _)| (due.is_none(), *due, inv.invoice_date, *no));
        let mut rest = amount.amount;
        for ((_, no, inv, i), invoice_id) in keyed {
            if rest <= Decimal::ZERO || events.len() > AUTO_ALLOCATIONS_MAX {
                break;
            }
            let take = rest.min(inv.installments[i].open);
            rest -= take;
            events.push(Event::PaymentAllocated(PaymentAllocated {
                payment_id: c.payment_id,
                invoice_id,
                installment_no: Some(no),
                amount: Money {
                    amount: take,
                    currency,
                },
            }));
        }
    }
    Ok(events)
}

fn add_to(totals: &mut Vec<(u32, u64)>, key: u32, quantity: u64) -> u64 {
    match totals.iter_mut().find(|(k, _)| *k == key) {
        Some(entry) => {
            entry.1 += quantity;
            entry.1
        }
        None => {
            totals.push((key, quantity));
            quantity
        }
    }
}

fn recalled_units_shipped(
    model: &WriteModel,
    gtin: &Gtin,
    lots: &[String],
    customer: crate::ids::CustomerId,
) -> u64 {
    lots.iter()
        .filter_map(|lot| model.lot(gtin, lot))
        .filter_map(|lot| lot.shipped_to.get(&customer))
        .sum()
}

/// The entity under `id` in `map`, or `NOT_FOUND` naming it as `entity`.
fn find<'a, K, V>(
    map: &'a FxHashMap<K, V>,
    entity: &'static str,
    id: K,
) -> Result<&'a V, CommandError>
where
    K: std::hash::Hash + Eq + std::fmt::Display,
{
    map.get(&id)
        .ok_or_else(|| CommandError::not_found(entity, id))
}

fn find_customer(
    model: &WriteModel,
    id: crate::ids::CustomerId,
) -> Result<&super::state::Customer, CommandError> {
    find(&model.customers, "customer", id)
}

fn find_order(
    model: &WriteModel,
    id: crate::ids::OrderId,
) -> Result<&super::state::Order, CommandError> {
    find(&model.orders, "order", id)
}

fn find_invoice(model: &WriteModel, id: crate::ids::InvoiceId) -> Result<&Invoice, CommandError> {
    find(&model.invoices, "invoice", id).map(|invoice| &**invoice)
}

fn find_payment(
    model: &WriteModel,
    id: crate::ids::PaymentId,
) -> Result<&super::state::Payment, CommandError> {
    find(&model.payments, "payment", id).map(|payment| &**payment)
}

fn find_shipment(
    model: &WriteModel,
    id: ShipmentId,
) -> Result<&super::state::Shipment, CommandError> {
    find(&model.shipments, "shipment", id)
}

fn find_recall(
    model: &WriteModel,
    id: crate::ids::RecallId,
) -> Result<&super::state::Recall, CommandError> {
    find(&model.recalls, "recall", id)
}

/// A held order, for release or rejection (`verb`).
fn held_order(model: &WriteModel, id: crate::ids::OrderId, verb: &str) -> Result<(), CommandError> {
    let order = find_order(model, id)?;
    if order.status != OrderStatus::Held {
        return Err(CommandError::state(
            "order",
            id,
            format!(
                "only a held order can be {verb}; it is {}",
                order.status.name()
            ),
        ));
    }
    Ok(())
}

enum Sign {
    Positive,
    NonNegative,
}

fn currency(code: &str) -> Result<Currency, CommandError> {
    Ok(Currency::parse(code)?)
}

fn amount(
    field: &str,
    amount: Decimal,
    currency: Currency,
    sign: Sign,
) -> Result<Money, CommandError> {
    // Every amount passes here: plain sign and mantissa checks instead of
    // Decimal comparisons, which rescale.
    let ok = match sign {
        Sign::Positive => amount.is_sign_positive() && !amount.is_zero(),
        Sign::NonNegative => amount.is_sign_positive() || amount.is_zero(),
    };
    if ok && above_amount_max(amount) {
        return Err(CommandError::invalid(
            field,
            format!("{amount} {currency} exceeds the largest amount arledger takes, {AMOUNT_MAX}"),
        ));
    }
    if !ok {
        let rule = match sign {
            Sign::Positive => "must be greater than zero",
            Sign::NonNegative => "must not be negative",
        };
        return Err(CommandError::invalid(
            field,
            format!("{amount} {currency} {rule}"),
        ));
    }
    Money::new(amount, currency).map_err(|e| CommandError::invalid(field, e.to_string()))
}

fn quantity(field: &str, quantity: i64) -> Result<u64, CommandError> {
    if quantity <= 0 || quantity > QUANTITY_MAX {
        return Err(CommandError::invalid(
            field,
            format!("quantity {quantity} must be between 1 and {QUANTITY_MAX}"),
        ));
    }
    u64::try_from(quantity).map_err(|_| CommandError::invalid(field, "quantity out of range"))
}

fn text(field: &str, value: &str) -> Result<(), CommandError> {
    if value.trim().is_empty() {
        return Err(CommandError::invalid(field, "must not be empty"));
    }
    text_len(field, value)
}

/// Free text may be empty but not longer than `TEXT_LEN_MAX`.
fn text_len(field: &str, value: &str) -> Result<(), CommandError> {
    if value.len() > TEXT_LEN_MAX {
        return Err(CommandError::invalid(
            field,
            format!("at most {TEXT_LEN_MAX} bytes, got {}", value.len()),
        ));
    }
    Ok(())
}

fn opt_text(field: &str, value: &Option<String>) -> Result<(), CommandError> {
    value.as_deref().map_or(Ok(()), |v| text_len(field, v))
}

fn lot_text(field: &str, value: &str) -> Result<(), CommandError> {
    if value.is_empty() || value.len() > LOT_LEN_MAX {
        return Err(CommandError::invalid(
            field,
            format!("{value:?} must be 1 to {LOT_LEN_MAX} characters (GS1 AI 10/21)"),
        ));
    }
    if !value.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(CommandError::invalid(
            field,
            format!("{value:?} may hold printable ASCII only"),
        ));
    }
    Ok(())
}

fn lines_count(field: &str, n: usize) -> Result<(), CommandError> {
    if n == 0 || n > LINES_MAX {
        return Err(CommandError::invalid(
            field,
            format!("need 1 to {LINES_MAX} lines, got {n}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amount_max_is_ten_to_its_digits() {
        assert_eq!(AMOUNT_MAX, Decimal::from(10i64.pow(AMOUNT_MAX_DIGITS)));
    }

    /// The mantissa check agrees with Decimal's own comparison at every
    /// scale, on both sides of the limit and at the extremes.
    #[test]
    fn the_amount_cap_check_agrees_with_decimal_comparison() {
        let mantissa_max = (1i128 << 96) - 1;
        for scale in 0..=28u32 {
            let mut mantissas = vec![0, 1, 7, mantissa_max, mantissa_max - 1];
            if let Some(limit) = 10i128.checked_pow(AMOUNT_MAX_DIGITS + scale) {
                mantissas.extend([limit - 1, limit, limit + 1]);
                mantissas.extend(limit.checked_mul(2).and_then(|m| m.checked_add(3)));
            }
            for m in mantissas
                .into_iter()
                .filter(|m| (0..=mantissa_max).contains(m))
            {
                let amount = Decimal::from_i128_with_scale(m, scale);
                assert_eq!(
                    above_amount_max(amount),
                    amount > AMOUNT_MAX,
                    "{amount} (mantissa {m}, scale {scale})"
                );
            }
        }
    }
}
