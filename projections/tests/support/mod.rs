//! Histories built as the ledger builds them: each command decided by
//! `decide` against the write model and folded, each event then numbered
//! with its log position and handed to the receivables projection as the
//! engine hands it. Shared by the receivables tests (each uses some).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use arledger_core::domain::commands::*;
use arledger_core::domain::terms::{InstallmentTerms, PaymentTerms, TermsBase};
use arledger_core::domain::types::{CreditReason, CustomerKind, PaymentMethod, RiskClass};
use arledger_core::domain::{Command, CommandError, Event, WriteModel, decide};
use arledger_core::ids::{
    CommandId, CreditNoteId, CustomerId, InvoiceId, OrderId, PaymentId, RecallId, ShipmentId,
};
use arledger_core::sample;
use arledger_projections::receivables::{AgingQuery, AgingReport, AgingRow, Receivables};
use arledger_projections::{Applied, Changes, Projection};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

/// A history: the write model after it, and its events with the command
/// that produced each; the event at index i is at log position i + 1.
#[derive(Default)]
pub struct History {
    model: WriteModel,
    events: Vec<(CommandId, Event)>,
    commands: u128,
}

impl History {
    pub fn new() -> History {
        History::default()
    }

    /// Decides `command` as admin and folds its events; the error when
    /// refused (nothing recorded then).
    pub fn try_run(&mut self, command: &Command) -> Result<(), CommandError> {
        let events = decide(&self.model, &sample::admin(), command)?;
        self.commands += 1;
        let command_id = CommandId(Uuid::from_u128(self.commands));
        for event in events {
            self.model
                .apply(&event)
                .unwrap_or_else(|e| panic!("apply {}: {e}", event.type_name()));
            self.events.push((command_id, event));
        }
        Ok(())
    }

    /// Decides and folds `command`, which must be accepted; returns the
    /// position of its last event.
    pub fn run(&mut self, command: Command) -> u64 {
        let name = command.name();
        self.try_run(&command)
            .unwrap_or_else(|e| panic!("history command {name} was refused: {e}"));
        self.head()
    }

    /// The last position.
    pub fn head(&self) -> u64 {
        u64::try_from(self.events.len()).unwrap()
    }

    pub fn model(&self) -> &WriteModel {
        &self.model
    }

    /// The events, in position order.
    pub fn events(&self) -> impl Iterator<Item = &Event> {
        self.events.iter().map(|(_, e)| e)
    }

    /// Feeds the events at positions `from..=to` to `projection`.
    pub fn feed<P: Projection>(&self, projection: &mut P, from: u64, to: u64) {
        for position in from..=to {
            let index = usize::try_from(position - 1).unwrap();
            let (command_id, event) = &self.events[index];
            projection.apply(&Applied {
                position,
                recorded_at: recorded_at(position),
                stream_id: event.stream_id(),
                command_id: *command_id,
                event,
            });
        }
    }

    /// A fresh projection fed events 1..=`to`.
    pub fn projection_until(&self, to: u64) -> Receivables {
        let mut projection = Receivables::empty();
        self.feed(&mut projection, 1, to);
        projection
    }

    /// A fresh projection of any read model fed events 1..=`to`.
    pub fn fed<P: Projection>(&self, to: u64) -> P {
        let mut projection = P::empty();
        self.feed(&mut projection, 1, to);
        projection
    }

    /// A fresh projection fed the whole history.
    pub fn projection(&self) -> Receivables {
        self.projection_until(self.head())
    }
}

/// When position `position` was recorded: a second apart, from 2026.
fn recorded_at(position: u64) -> DateTime<Utc> {
    let base = Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap();
    base + chrono::Duration::seconds(i64::try_from(position).unwrap())
}

/// The entries `projection` has not handed out yet.
pub fn drain(projection: &mut Receivables) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut changes = Changes::default();
    projection.drain_changes(&mut changes);
    changes
        .entries
        .into_iter()
        .map(|(k, v)| (k, v.expect("receivables entries are never removed")))
        .collect()
}

/// A report as the pretty JSON the API and the golden files show.
pub fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap()
}

pub fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

pub fn id(kind: u128, n: u128) -> Uuid {
    Uuid::from_u128((kind << 64) | n)
}

pub fn customer(n: u128) -> CustomerId {
    CustomerId(id(1, n))
}

pub fn invoice_id(n: u128) -> InvoiceId {
    InvoiceId(id(2, n))
}

pub fn payment_id(n: u128) -> PaymentId {
    PaymentId(id(3, n))
}

pub fn order_id(n: u128) -> OrderId {
    OrderId(id(5, n))
}

pub fn shipment_id(n: u128) -> ShipmentId {
    ShipmentId(id(6, n))
}

/// The query at (`as_of`, `position`) with the defaults.
pub fn query(as_of: &str, position: u64) -> AgingQuery {
    AgingQuery::new(d(as_of), position)
}

/// The row of `key` in `currency`.
pub fn row<'a>(report: &'a AgingReport, key: &str, currency: &str) -> &'a AgingRow {
    report
        .rows
        .iter()
        .find(|r| r.key == key && r.currency.code() == currency)
        .unwrap_or_else(|| panic!("no row {key} {currency} in {}", json(report)))
}

/// Amounts as the report prints them.
pub fn strings(amounts: &[Decimal]) -> Vec<String> {
    amounts.iter().map(ToString::to_string).collect()
}

// ---------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------

pub fn register(id: CustomerId, name: &str, region: &str, salesperson: &str) -> Command {
    Command::RegisterCustomer(RegisterCustomer {
        customer_id: id,
        name: name.into(),
        kind: CustomerKind::Hospital,
        region: region.into(),
        salesperson_id: salesperson.into(),
        tax_id: None,
    })
}

pub fn update_region(id: CustomerId, region: &str) -> Command {
    Command::UpdateCustomer(UpdateCustomer {
        customer_id: id,
        name: None,
        kind: None,
        region: Some(region.into()),
        salesperson_id: None,
        tax_id: None,
    })
}

pub fn net(days: u32) -> PaymentTerms {
    PaymentTerms::single(days, TermsBase::Invoice)
}

/// Installments of (share in percent, days, base).
pub fn installments(parts: &[(Decimal, u32, TermsBase)]) -> PaymentTerms {
    PaymentTerms {
        installments: parts
            .iter()
            .map(|&(share_percent, days, base)| InstallmentTerms {
                share_percent,
                days,
                base,
            })
            .collect(),
    }
}

/// A service invoice (no goods) numbered `number`.
pub fn service_invoice(
    id: InvoiceId,
    customer: CustomerId,
    number: &str,
    (on, currency): (&str, &str),
    amount: Decimal,
    terms: PaymentTerms,
) -> Command {
    Command::IssueInvoice(IssueInvoice {
        invoice_id: id,
        number: number.into(),
        customer_id: customer,
        invoice_date: d(on),
        currency: currency.into(),
        terms: Some(terms),
        lines: vec![InvoiceLineRequest {
            shipment_id: None,
            line_no: None,
            quantity: None,
            description: Some("Maintenance service".into()),
            amount,
            tax: Decimal::ZERO,
        }],
        contract_id: None,
    })
}

/// An invoice of the units not yet billed of line 1 of `shipment`.
pub fn goods_invoice(
    id: InvoiceId,
    customer: CustomerId,
    number: &str,
    (on, currency): (&str, &str),
    (shipment, quantity): (ShipmentId, Option<i64>),
    amount: Decimal,
    terms: PaymentTerms,
) -> Command {
    Command::IssueInvoice(IssueInvoice {
        invoice_id: id,
        number: number.into(),
        customer_id: customer,
        invoice_date: d(on),
        currency: currency.into(),
        terms: Some(terms),
        lines: vec![InvoiceLineRequest {
            shipment_id: Some(shipment),
            line_no: Some(1),
            quantity,
            description: None,
            amount,
            tax: Decimal::ZERO,
        }],
        contract_id: None,
    })
}

pub fn payment(
    id: PaymentId,
    customer: CustomerId,
    (on, currency): (&str, &str),
    amount: Decimal,
    auto_allocate: bool,
) -> Command {
    Command::ReceivePayment(ReceivePayment {
        payment_id: id,
        customer_id: customer,
        amount,
        currency: currency.into(),
        received_on: d(on),
        method: PaymentMethod::BankTransfer,
        bank_reference: None,
        auto_allocate,
    })
}

pub fn allocate(
    payment: PaymentId,
    invoice: InvoiceId,
    amount: Decimal,
    installment_no: Option<u32>,
) -> Command {
    Command::AllocatePayment(AllocatePayment {
        payment_id: payment,
        invoice_id: invoice,
        amount,
        installment_no,
    })
}

pub fn credit_note(n: u128, invoice: InvoiceId, amount: Decimal, on: &str) -> Command {
    Command::IssueCreditNote(IssueCreditNote {
        credit_note_id: CreditNoteId(id(4, n)),
        invoice_id: invoice,
        amount,
        reason: CreditReason::PriceAdjustment,
        issued_on: d(on),
    })
}

pub fn write_off(invoice: InvoiceId, amount: Decimal, on: &str) -> Command {
    Command::WriteOffInvoice(WriteOffInvoice {
        invoice_id: invoice,
        amount,
        reason: "uncollectible".into(),
        written_off_on: d(on),
    })
}

pub fn recover(invoice: InvoiceId, amount: Decimal, on: &str) -> Command {
    Command::RecoverWriteOff(RecoverWriteOff {
        invoice_id: invoice,
        amount,
        recovered_on: d(on),
    })
}

pub fn reverse(payment: PaymentId, on: &str) -> Command {
    Command::ReversePayment(ReversePayment {
        payment_id: payment,
        reason: "bounced".into(),
        reversed_on: d(on),
    })
}

pub fn open_dispute(invoice: InvoiceId, amount: Decimal, on: &str) -> Command {
    Command::OpenDispute(OpenDispute {
        invoice_id: invoice,
        amount,
        reason: "damaged".into(),
        opened_on: d(on),
    })
}

pub fn resolve_dispute(invoice: InvoiceId, on: &str) -> Command {
    Command::ResolveDispute(ResolveDispute {
        invoice_id: invoice,
        outcome: "settled".into(),
        resolved_on: d(on),
    })
}

/// The product and lot every goods order ships from.
pub fn goods_master_data() -> Vec<Command> {
    vec![
        Command::RegisterProduct(RegisterProduct {
            gtin: sample::GTIN.into(),
            name: "Infusion pump".into(),
            model: None,
            risk_class: RiskClass::II,
            registration_no: None,
            company_prefix_len: None,
        }),
        sample::release_lot("L1", 1_000_000),
    ]
}

pub fn place_order(id: OrderId, customer: CustomerId, currency: &str, quantity: i64) -> Command {
    Command::PlaceOrder(PlaceOrder {
        order_id: id,
        number: format!("SO-{}", id.0.simple()),
        customer_id: customer,
        currency: currency.into(),
        placed_on: d("2026-01-02"),
        lines: vec![OrderLineRequest {
            line_no: 1,
            gtin: sample::GTIN.into(),
            quantity,
            unit_price: Decimal::ONE_HUNDRED,
        }],
    })
}

pub fn release_order(id: OrderId) -> Command {
    Command::ReleaseOrder(ReleaseOrder {
        order_id: id,
        note: None,
    })
}

pub fn ship(id: ShipmentId, order: OrderId, on: &str, quantity: i64) -> Command {
    ship_from("L1", id, order, on, quantity)
}

/// [`ship`] from lot `lot`.
pub fn ship_from(lot: &str, id: ShipmentId, order: OrderId, on: &str, quantity: i64) -> Command {
    ship_serials(lot, (id, order), on, quantity, &[])
}

/// `quantity` units of `lot` on line 1 of `order` as shipment `id`,
/// naming `serials` (none, or one per unit).
pub fn ship_serials(
    lot: &str,
    (id, order): (ShipmentId, OrderId),
    on: &str,
    quantity: i64,
    serials: &[&str],
) -> Command {
    Command::ShipOrder(ShipOrder {
        shipment_id: id,
        order_id: order,
        shipped_on: d(on),
        ship_to: "Ward 3".into(),
        lines: vec![ShipLineRequest {
            line_no: 1,
            gtin: sample::GTIN.into(),
            lot: lot.into(),
            quantity,
            serials: serials.iter().map(|s| s.to_string()).collect(),
            udis: vec![],
        }],
    })
}

/// Recall `id` of the whole lot `lot`, class II, issued on `on`.
pub fn recall_lot(id: RecallId, lot: &str, on: &str) -> Command {
    Command::IssueRecall(IssueRecall {
        recall_id: id,
        gtin: sample::GTIN.into(),
        lots: vec![lot.into()],
        serials: vec![],
        class: RiskClass::II,
        reason: "seal may leak".into(),
        issued_on: d(on),
    })
}

pub fn accept(shipment: ShipmentId, on: &str) -> Command {
    Command::AcceptDelivery(AcceptDelivery {
        shipment_id: shipment,
        accepted_on: d(on),
        accepted_by: "nurse".into(),
    })
}

/// Places an order of `quantity` units, releases it when the credit check
/// held it, and ships it all as `shipment`.
pub fn order_and_ship(
    h: &mut History,
    (order, shipment): (OrderId, ShipmentId),
    customer: CustomerId,
    (on, currency): (&str, &str),
    quantity: i64,
) {
    h.run(place_order(order, customer, currency, quantity));
    let _held_or_not = h.try_run(&release_order(order));
    h.run(ship(shipment, order, on, quantity));
}
