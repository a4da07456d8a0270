//! Invoices (domain.md 4): InvoiceIssued, with its installment schedule
//! derived from the payment terms (domain.md 5), and CreditNoteIssued.
//!
//! Each shipment line is invoiced at most once in total quantity (no
//! double billing); service and training lines need no shipment.

use rust_decimal::Decimal;

use super::inputs::{
    AMOUNT_MAX, Sign, TEXT_LEN_MAX, amount, computed, currency, lines_count, opt_text, quantity,
    text, units_left,
};
use super::lookup::{find_customer, find_invoice, find_shipment};
use super::recall_disputes;
use crate::domain::commands::{InvoiceLineRequest, IssueCreditNote, IssueInvoice};
use crate::domain::error::CommandError;
use crate::domain::events::{CreditNoteIssued, Event, InvoiceIssued, InvoiceLine, ShipmentLineRef};
use crate::domain::state::{Customer, WriteModel};
use crate::domain::terms::{PaymentTerms, schedule};
use crate::ids::ShipmentId;
use crate::money::Currency;

/// InvoiceIssued: the customer exists, the terms are known and valid, every
/// line is checked by [`Billing::add`], the total is above zero, and the
/// invoice id and number are new.
pub(super) fn issue_invoice(
    model: &WriteModel,
    c: &IssueInvoice,
) -> Result<Vec<Event>, CommandError> {
    text("number", &c.number)?;
    let currency = currency(&c.currency)?;
    let cust = find_customer(model, c.customer_id)?;
    lines_count("lines", c.lines.len())?;
    opt_text("contract_id", &c.contract_id)?;
    let terms = invoice_terms(cust, c)?;
    let mut billing = Billing::with_capacity(c.lines.len());
    for l in &c.lines {
        billing.add(model, c, currency, l)?;
    }
    if billing.total <= Decimal::ZERO {
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
    let base = model.base_dates(c.invoice_date, &billing.shipments);
    let total = computed("invoice total", billing.total, currency);
    let installments = schedule(total, &terms, &base);
    let issued = InvoiceIssued {
        invoice_id: c.invoice_id,
        number: c.number.clone(),
        customer_id: c.customer_id,
        invoice_date: c.invoice_date,
        currency,
        lines: billing.lines,
        terms,
        installments,
    };
    let disputes = recall_disputes::opened_with_invoice(model, &issued, total.amount)?;
    let mut events = Vec::with_capacity(1 + disputes.len());
    events.push(Event::InvoiceIssued(issued));
    events.extend(disputes);
    Ok(events)
}

/// The invoice's terms, valid and normalised: its own first, then those of
/// the contract it names, then the customer's default.
fn invoice_terms(cust: &Customer, c: &IssueInvoice) -> Result<PaymentTerms, CommandError> {
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
        (Some(t), _, _) | (None, Some(t), _) | (None, None, Some(t)) => t,
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
    Ok(terms.canonical())
}

/// The lines of an invoice as they are checked, and what they bill.
struct Billing {
    /// The lines checked so far.
    lines: Vec<InvoiceLine>,
    /// Their total, net and tax.
    total: Decimal,
    /// Units billed per shipment line by these lines.
    billed: Vec<(ShipmentId, u32, u64)>,
    /// The shipments billed, in the order the lines name them.
    shipments: Vec<ShipmentId>,
}

impl Billing {
    fn with_capacity(lines: usize) -> Billing {
        Billing {
            lines: Vec::with_capacity(lines),
            total: Decimal::ZERO,
            billed: Vec::new(),
            shipments: Vec::new(),
        }
    }

    /// Checks and adds one line: amount and tax >= 0, the total at most
    /// `AMOUNT_MAX`, and either a service line with a description or a
    /// shipment line with units left to bill.
    fn add(
        &mut self,
        model: &WriteModel,
        c: &IssueInvoice,
        currency: Currency,
        l: &InvoiceLineRequest,
    ) -> Result<(), CommandError> {
        let net = amount("amount", l.amount, currency, Sign::NonNegative)?;
        let tax = amount("tax", l.tax, currency, Sign::NonNegative)?;
        self.total += net.amount + tax.amount;
        if self.total > AMOUNT_MAX {
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
            (None, None) => (None, service_quantity(l, &description)?),
            (Some(shipment_id), Some(line_no)) => {
                let line = ShipmentLineRef {
                    shipment_id,
                    line_no,
                };
                let quantity = self.bill_shipment_line(model, c, currency, line, l.quantity)?;
                (Some(line), quantity)
            }
            _ => {
                return Err(CommandError::invalid(
                    "line_no",
                    "a shipment line needs both shipment_id and line_no",
                ));
            }
        };
        self.lines.push(InvoiceLine {
            shipment_line,
            quantity,
            description,
            amount: net.amount,
            tax: tax.amount,
        });
        Ok(())
    }

    /// Bills `requested` units (all that are left when `None`) of a
    /// shipment line that went to the invoice's customer in its currency;
    /// more than are left to bill is double billing.
    fn bill_shipment_line(
        &mut self,
        model: &WriteModel,
        c: &IssueInvoice,
        currency: Currency,
        line: ShipmentLineRef,
        requested: Option<i64>,
    ) -> Result<u64, CommandError> {
        let ShipmentLineRef {
            shipment_id,
            line_no,
        } = line;
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
        let billed = self
            .billed
            .iter_mut()
            .find(|(s, n, _)| *s == shipment_id && *n == line_no);
        let already = billed.as_ref().map_or(0, |(_, _, q)| *q);
        let uninvoiced = units_left("a shipment line", sl.quantity, sl.invoiced);
        let remaining = units_left("a shipment line", uninvoiced, already);
        let quantity = match requested {
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
        match billed {
            Some(entry) => entry.2 += quantity,
            None => self.billed.push((shipment_id, line_no, quantity)),
        }
        if !self.shipments.contains(&shipment_id) {
            self.shipments.push(shipment_id);
        }
        Ok(quantity)
    }
}

/// The units of a service or training line (1 unless given), which needs
/// a description since no shipment says what it bills.
fn service_quantity(l: &InvoiceLineRequest, description: &str) -> Result<u64, CommandError> {
    if description.trim().is_empty() {
        return Err(CommandError::invalid(
            "description",
            "a line without a shipment (service, training) needs a description",
        ));
    }
    match l.quantity {
        Some(q) => quantity("quantity", q),
        None => Ok(1),
    }
}

/// CreditNoteIssued: the amount is at most the invoice's open amount, and
/// the credit note id is new.
pub(super) fn issue_credit_note(
    model: &WriteModel,
    c: &IssueCreditNote,
) -> Result<Vec<Event>, CommandError> {
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
