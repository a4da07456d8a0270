//! Command builders: a valid command of each kind against the world or a
//! fixture stage, for tests to adjust with struct update syntax.

use arledger_core::domain::Command;
use arledger_core::domain::commands::*;
use arledger_core::domain::terms::PaymentTerms;
use arledger_core::domain::types::{
    CollectionChannel, CreditReason, CustomerKind, PaymentMethod, RiskClass, RiskGrade,
};
use arledger_core::ids::{
    CreditNoteId, CustomerId, InvoiceId, OrderId, PaymentId, RecallId, ShipmentId,
};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::values::*;

pub(crate) fn register_customer(id: CustomerId, name: &str) -> RegisterCustomer {
    RegisterCustomer {
        customer_id: id,
        name: name.into(),
        kind: CustomerKind::Clinic,
        region: "South".into(),
        salesperson_id: "sam".into(),
        tax_id: Some("91310000MA1K".into()),
    }
}

pub(crate) fn update_customer(id: CustomerId) -> UpdateCustomer {
    UpdateCustomer {
        customer_id: id,
        name: None,
        kind: None,
        region: Some("East".into()),
        salesperson_id: None,
        tax_id: None,
    }
}

pub(crate) fn set_credit_limit(id: CustomerId, limit: Decimal, currency: &str) -> SetCreditLimit {
    SetCreditLimit {
        customer_id: id,
        limit,
        currency: currency.into(),
        grade: RiskGrade::B,
        reason: "new contract".into(),
    }
}

/// The customer's default terms.
pub(crate) fn set_payment_terms(id: CustomerId, terms: PaymentTerms) -> SetPaymentTerms {
    SetPaymentTerms {
        customer_id: id,
        contract_id: None,
        terms,
    }
}

/// The terms of one of the customer's contracts.
pub(crate) fn set_contract_terms(
    id: CustomerId,
    contract: &str,
    terms: PaymentTerms,
) -> SetPaymentTerms {
    SetPaymentTerms {
        contract_id: Some(contract.into()),
        ..set_payment_terms(id, terms)
    }
}

pub(crate) fn register_product(g: &str) -> RegisterProduct {
    RegisterProduct {
        gtin: g.into(),
        name: "Infusion pump".into(),
        model: Some("IP-7".into()),
        risk_class: RiskClass::III,
        registration_no: Some("NMPA-2026-0001".into()),
        company_prefix_len: None,
    }
}

pub(crate) fn release_lot(g: &str, lot: &str, quantity: i64) -> ReleaseLot {
    ReleaseLot {
        gtin: g.into(),
        lot: lot.into(),
        manufactured_on: d("2026-01-01"),
        expires_on: d("2028-01-01"),
        quantity,
    }
}

pub(crate) fn line(line_no: u32, g: &str, quantity: i64, unit_price: Decimal) -> OrderLineRequest {
    OrderLineRequest {
        line_no,
        gtin: g.into(),
        quantity,
        unit_price,
    }
}

pub(crate) fn order(
    id: OrderId,
    number: &str,
    customer: CustomerId,
    placed_on: &str,
    lines: Vec<OrderLineRequest>,
) -> PlaceOrder {
    PlaceOrder {
        order_id: id,
        number: number.into(),
        customer_id: customer,
        currency: "USD".into(),
        placed_on: d(placed_on),
        lines,
    }
}

/// HOSPITAL orders 10 × A at 100.00 and 5 × B at 20.00 (1 100.00 USD).
pub(crate) fn place_o1() -> PlaceOrder {
    order(
        O1,
        "SO-1",
        HOSPITAL,
        "2026-01-05",
        vec![
            line(1, GTIN_A, 10, dec!(100.00)),
            line(2, GTIN_B, 5, dec!(20.00)),
        ],
    )
}

/// A one-line order of `quantity` × A at `unit_price`.
pub(crate) fn order_of(
    id: OrderId,
    customer: CustomerId,
    quantity: i64,
    unit_price: Decimal,
) -> PlaceOrder {
    order(
        id,
        &format!("SO-{id}"),
        customer,
        "2026-02-01",
        vec![line(1, GTIN_A, quantity, unit_price)],
    )
}

pub(crate) fn release(id: OrderId) -> Command {
    Command::ReleaseOrder(ReleaseOrder {
        order_id: id,
        note: Some("paid in advance".into()),
    })
}

pub(crate) fn reject(id: OrderId) -> Command {
    Command::RejectOrder(RejectOrder {
        order_id: id,
        note: Some("too risky".into()),
    })
}

pub(crate) fn cancel(id: OrderId) -> Command {
    Command::CancelOrder(CancelOrder {
        order_id: id,
        reason: "customer withdrew".into(),
    })
}

pub(crate) fn ship_line(line_no: u32, g: &str, lot: &str, quantity: i64) -> ShipLineRequest {
    ShipLineRequest {
        line_no,
        gtin: g.into(),
        lot: lot.into(),
        quantity,
        serials: vec![],
        udis: vec![],
    }
}

pub(crate) fn shipment(
    id: ShipmentId,
    order: OrderId,
    shipped_on: &str,
    lines: Vec<ShipLineRequest>,
) -> ShipOrder {
    ShipOrder {
        shipment_id: id,
        order_id: order,
        shipped_on: d(shipped_on),
        ship_to: "Ward 3".into(),
        lines,
    }
}

/// Ships all 10 units of O1's line 1 from lot L1 on 2026-01-10.
pub(crate) fn ship_s1() -> ShipOrder {
    shipment(S1, O1, "2026-01-10", vec![ship_line(1, GTIN_A, "L1", 10)])
}

pub(crate) fn accept(id: ShipmentId, on: &str) -> Command {
    Command::AcceptDelivery(AcceptDelivery {
        shipment_id: id,
        accepted_on: d(on),
        accepted_by: "Head nurse Li".into(),
    })
}

pub(crate) fn bill(
    shipment_id: ShipmentId,
    line_no: u32,
    amount: Decimal,
    tax: Decimal,
) -> InvoiceLineRequest {
    InvoiceLineRequest {
        shipment_id: Some(shipment_id),
        line_no: Some(line_no),
        quantity: None,
        description: None,
        amount,
        tax,
    }
}

pub(crate) fn bill_units(
    shipment_id: ShipmentId,
    line_no: u32,
    quantity: i64,
) -> InvoiceLineRequest {
    InvoiceLineRequest {
        quantity: Some(quantity),
        ..bill(
            shipment_id,
            line_no,
            Decimal::from(quantity) * dec!(100.00),
            Decimal::ZERO,
        )
    }
}

pub(crate) fn service(description: &str, amount: Decimal) -> InvoiceLineRequest {
    InvoiceLineRequest {
        shipment_id: None,
        line_no: None,
        quantity: None,
        description: Some(description.into()),
        amount,
        tax: Decimal::ZERO,
    }
}

pub(crate) fn invoice(
    id: InvoiceId,
    number: &str,
    customer: CustomerId,
    invoice_date: &str,
    lines: Vec<InvoiceLineRequest>,
) -> IssueInvoice {
    IssueInvoice {
        invoice_id: id,
        number: number.into(),
        customer_id: customer,
        invoice_date: d(invoice_date),
        currency: "USD".into(),
        terms: None,
        lines,
        contract_id: None,
    }
}

/// A service-only invoice of `amount` under explicit `terms`.
pub(crate) fn service_invoice(
    id: InvoiceId,
    customer: CustomerId,
    invoice_date: &str,
    amount: Decimal,
    terms: PaymentTerms,
) -> IssueInvoice {
    IssueInvoice {
        terms: Some(terms),
        ..invoice(
            id,
            &format!("INV-{id}"),
            customer,
            invoice_date,
            vec![service("Training", amount)],
        )
    }
}

/// Bills S1 line 1 (10 units): 1 000.00 + 130.00 tax, customer's net 30.
pub(crate) fn issue_i1() -> IssueInvoice {
    invoice(
        I1,
        "INV-1",
        HOSPITAL,
        "2026-01-15",
        vec![bill(S1, 1, dec!(1000.00), dec!(130.00))],
    )
}

pub(crate) fn with_terms(command: IssueInvoice, terms: PaymentTerms) -> IssueInvoice {
    IssueInvoice {
        terms: Some(terms),
        ..command
    }
}

pub(crate) fn payment(id: PaymentId, customer: CustomerId, amount: Decimal) -> ReceivePayment {
    ReceivePayment {
        payment_id: id,
        customer_id: customer,
        amount,
        currency: "USD".into(),
        received_on: d("2026-02-01"),
        method: PaymentMethod::BankTransfer,
        bank_reference: Some("TX-001".into()),
        auto_allocate: false,
    }
}

pub(crate) fn allocate(payment: PaymentId, invoice: InvoiceId, amount: Decimal) -> AllocatePayment {
    AllocatePayment {
        payment_id: payment,
        invoice_id: invoice,
        amount,
        installment_no: None,
    }
}

pub(crate) fn reverse(id: PaymentId) -> ReversePayment {
    ReversePayment {
        payment_id: id,
        reason: "transfer bounced".into(),
        reversed_on: d("2026-02-05"),
    }
}

pub(crate) fn credit_note(
    id: CreditNoteId,
    invoice: InvoiceId,
    amount: Decimal,
) -> IssueCreditNote {
    IssueCreditNote {
        credit_note_id: id,
        invoice_id: invoice,
        amount,
        reason: CreditReason::Return,
        issued_on: d("2026-01-20"),
    }
}

pub(crate) fn write_off(invoice: InvoiceId, amount: Decimal) -> WriteOffInvoice {
    WriteOffInvoice {
        invoice_id: invoice,
        amount,
        reason: "customer insolvent".into(),
        written_off_on: d("2026-06-30"),
    }
}

pub(crate) fn recover(invoice: InvoiceId, amount: Decimal) -> RecoverWriteOff {
    RecoverWriteOff {
        invoice_id: invoice,
        amount,
        recovered_on: d("2026-09-30"),
    }
}

pub(crate) fn open_dispute(invoice: InvoiceId, amount: Decimal) -> OpenDispute {
    OpenDispute {
        invoice_id: invoice,
        amount,
        reason: "two units damaged".into(),
        opened_on: d("2026-01-20"),
    }
}

pub(crate) fn resolve_dispute(invoice: InvoiceId) -> ResolveDispute {
    ResolveDispute {
        invoice_id: invoice,
        outcome: "credit note agreed".into(),
        resolved_on: d("2026-01-25"),
    }
}

pub(crate) fn collection(
    customer: CustomerId,
    invoices: Vec<InvoiceId>,
) -> RecordCollectionActivity {
    RecordCollectionActivity {
        customer_id: customer,
        invoice_ids: invoices,
        channel: CollectionChannel::Call,
        outcome: "promised to pay".into(),
        promised_pay_date: Some(d("2026-03-10")),
        on: d("2026-03-01"),
    }
}

pub(crate) fn recall(id: RecallId, g: &str, lots: &[&str]) -> IssueRecall {
    IssueRecall {
        recall_id: id,
        gtin: g.into(),
        lots: lots.iter().map(|l| l.to_string()).collect(),
        serials: vec![],
        class: RiskClass::II,
        reason: "seal may leak".into(),
        issued_on: d("2026-03-01"),
    }
}

pub(crate) fn acknowledge(id: RecallId, customer: CustomerId) -> AcknowledgeRecall {
    AcknowledgeRecall {
        recall_id: id,
        customer_id: customer,
        acknowledged_on: d("2026-03-02"),
    }
}

pub(crate) fn recall_return(
    id: RecallId,
    customer: CustomerId,
    quantity: i64,
) -> RecordRecallReturn {
    RecordRecallReturn {
        recall_id: id,
        customer_id: customer,
        quantity,
        returned_on: d("2026-03-05"),
    }
}
