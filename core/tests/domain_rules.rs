//! Given/when/then tests of the domain rules (domain.md sections 3-7): for
//! every command, its success and every refusal its `decide` branch can
//! produce, plus the role table, credit control, installment schedules,
//! shipment checks, billing, allocation, credits and recalls.
//!
//! The harness: `given(events)` folds events into a fresh `WriteModel`;
//! `Given::and(command)` runs a command as admin and folds what it produced
//! (so fixtures only ever reach states the rules allow); `when(&given, actor,
//! command)` is the command under test. After a success the produced events
//! are folded with `Given::apply` to check the resulting state.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

use arledger_core::domain::commands::*;
use arledger_core::domain::decide::{LINES_MAX, SERIALS_PER_SHIPMENT_MAX};
use arledger_core::domain::events::*;
use arledger_core::domain::state::{CreditPolicy, Exposure, OrderStatus, WriteModel};
use arledger_core::domain::terms::{Installment, InstallmentTerms, PaymentTerms, TermsBase};
use arledger_core::domain::types::{
    Actor, CollectionChannel, CreditReason, CustomerKind, Gtin, HoldReason, PaymentMethod,
    RiskClass, RiskGrade, Role,
};
use arledger_core::domain::{Command, CommandError, ErrorCode, Event, decide};
use arledger_core::ids::{
    CreditNoteId, CustomerId, InvoiceId, OrderId, PaymentId, RecallId, ShipmentId,
};
use arledger_core::money::{Currency, Money};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use uuid::Uuid;

// ---------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------

/// The state before the command under test.
struct Given(WriteModel);

/// A write model with the default credit policy, folded from `events`.
fn given(events: Vec<Event>) -> Given {
    given_with(CreditPolicy::default(), events)
}

/// A write model with `policy`, folded from `events`.
fn given_with(policy: CreditPolicy, events: Vec<Event>) -> Given {
    let mut g = Given(WriteModel::new(policy));
    g.apply(&events);
    g
}

impl Given {
    /// Runs `command` as admin and folds its events; a refusal is a broken fixture.
    fn and(mut self, command: Command) -> Given {
        let name = command.name();
        let events = match decide(&self.0, &admin(), &command) {
            Ok(events) => events,
            Err(e) => panic!("fixture command {name} was refused: {e}"),
        };
        self.apply(&events);
        self
    }

    /// Folds events (given ones, or the ones a command under test produced).
    fn apply(&mut self, events: &[Event]) {
        for e in events {
            if let Err(err) = self.0.apply(e) {
                panic!("apply {}: {err}", e.type_name());
            }
        }
    }

    fn exposure(&self, customer: CustomerId) -> Exposure {
        self.0.customers[&customer].exposure_in(Currency::USD)
    }

    fn invoice_open(&self, invoice: InvoiceId) -> Decimal {
        self.0.invoices[&invoice].open()
    }

    fn order_status(&self, order: OrderId) -> OrderStatus {
        self.0.orders[&order].status
    }
}

/// The command under test.
fn when(given: &Given, actor: &Actor, command: Command) -> Result<Vec<Event>, CommandError> {
    decide(&given.0, actor, &command)
}

/// The events of a command that must succeed.
fn accepted(result: Result<Vec<Event>, CommandError>) -> Vec<Event> {
    match result {
        Ok(events) => events,
        Err(e) => panic!("expected success, the command was refused: {e} ({e:?})"),
    }
}

/// The error of a command that must be refused.
fn refused<T: std::fmt::Debug>(result: Result<T, CommandError>) -> CommandError {
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

/// Asserts an `InvalidInput` refusal naming `field`.
fn assert_invalid(result: Result<Vec<Event>, CommandError>, field: &str) {
    let err = assert_refused!(result, CommandError::InvalidInput { field: f, .. } if f == field);
    assert_eq!(err.code(), ErrorCode::InvalidInput);
}

/// Asserts a `NotFound` refusal of an `entity`.
fn assert_not_found(result: Result<Vec<Event>, CommandError>, entity: &str) {
    let err = assert_refused!(result, CommandError::NotFound { entity: e, .. } if *e == entity);
    assert_eq!(err.code(), ErrorCode::NotFound);
}

/// Asserts an `AlreadyExists` refusal of an `entity`.
fn assert_exists(result: Result<Vec<Event>, CommandError>, entity: &str) {
    let err =
        assert_refused!(result, CommandError::AlreadyExists { entity: e, .. } if *e == entity);
    assert_eq!(err.code(), ErrorCode::AlreadyExists);
}

/// Asserts an `InvalidState` refusal of an `entity`.
fn assert_invalid_state(result: Result<Vec<Event>, CommandError>, entity: &str) {
    let err = assert_refused!(result, CommandError::InvalidState { entity: e, .. } if *e == entity);
    assert_eq!(err.code(), ErrorCode::InvalidState);
}

/// Asserts a `Forbidden` refusal for `role`.
fn assert_forbidden(result: Result<Vec<Event>, CommandError>, role: Role) {
    let err = assert_refused!(result, CommandError::Forbidden { role: r, .. } if *r == role);
    assert_eq!(err.code(), ErrorCode::Forbidden);
}

// ---------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------

fn actor(user: &str, role: &str) -> Actor {
    match Actor::new(user, role) {
        Ok(a) => a,
        Err(e) => panic!("actor {user}/{role}: {e}"),
    }
}
fn admin() -> Actor {
    actor("ada", "admin")
}
fn finance_manager() -> Actor {
    actor("fiona", "finance_manager")
}
fn finance() -> Actor {
    actor("frank", "finance")
}
fn sales() -> Actor {
    actor("sam", "sales")
}
fn warehouse() -> Actor {
    actor("wanda", "warehouse")
}
fn quality() -> Actor {
    actor("quinn", "quality")
}
fn auditor() -> Actor {
    actor("audrey", "auditor")
}
fn regulator() -> Actor {
    actor("rex", "regulator")
}

fn d(s: &str) -> NaiveDate {
    match s.parse() {
        Ok(date) => date,
        Err(e) => panic!("date {s}: {e}"),
    }
}

fn gtin(s: &str) -> Gtin {
    match Gtin::parse(s) {
        Ok(g) => g,
        Err(e) => panic!("gtin {s}: {e}"),
    }
}

fn money(amount: Decimal, currency: Currency) -> Money {
    match Money::new(amount, currency) {
        Ok(m) => m,
        Err(e) => panic!("money {amount} {currency}: {e}"),
    }
}

fn usd(amount: Decimal) -> Money {
    money(amount, Currency::USD)
}

fn long_text() -> String {
    "x".repeat(1_001)
}

const HOSPITAL: CustomerId = CustomerId(Uuid::from_u128(0xC001));
const CLINIC: CustomerId = CustomerId(Uuid::from_u128(0xC002));
/// Registered, with neither credit limit nor terms.
const DEALER: CustomerId = CustomerId(Uuid::from_u128(0xC003));
const NO_SUCH_CUSTOMER: CustomerId = CustomerId(Uuid::from_u128(0xC0FF));

const O1: OrderId = OrderId(Uuid::from_u128(0x0D01));
const O2: OrderId = OrderId(Uuid::from_u128(0x0D02));
const O3: OrderId = OrderId(Uuid::from_u128(0x0D03));
const NO_SUCH_ORDER: OrderId = OrderId(Uuid::from_u128(0x0DFF));

const S1: ShipmentId = ShipmentId(Uuid::from_u128(0x5001));
const S2: ShipmentId = ShipmentId(Uuid::from_u128(0x5002));
const S3: ShipmentId = ShipmentId(Uuid::from_u128(0x5003));
const NO_SUCH_SHIPMENT: ShipmentId = ShipmentId(Uuid::from_u128(0x50FF));

const I1: InvoiceId = InvoiceId(Uuid::from_u128(0x1001));
const I2: InvoiceId = InvoiceId(Uuid::from_u128(0x1002));
const I3: InvoiceId = InvoiceId(Uuid::from_u128(0x1003));
const NO_SUCH_INVOICE: InvoiceId = InvoiceId(Uuid::from_u128(0x10FF));

const P1: PaymentId = PaymentId(Uuid::from_u128(0x9001));
const P2: PaymentId = PaymentId(Uuid::from_u128(0x9002));
const NO_SUCH_PAYMENT: PaymentId = PaymentId(Uuid::from_u128(0x90FF));

const CN1: CreditNoteId = CreditNoteId(Uuid::from_u128(0xC401));
const CN2: CreditNoteId = CreditNoteId(Uuid::from_u128(0xC402));

const R1: RecallId = RecallId(Uuid::from_u128(0x7001));
const NO_SUCH_RECALL: RecallId = RecallId(Uuid::from_u128(0x70FF));

/// GS1's example GTIN; check digit 2.
const GTIN_A: &str = "09506000134352";
/// Another valid GTIN-14; check digit 8.
const GTIN_B: &str = "09504000059118";
/// Valid, never registered.
const GTIN_UNREGISTERED: &str = "00012345678905";

// ---------------------------------------------------------------------------
// Events for given states
// ---------------------------------------------------------------------------

fn customer_registered(id: CustomerId, name: &str) -> Event {
    Event::CustomerRegistered(CustomerRegistered {
        customer_id: id,
        name: name.into(),
        kind: CustomerKind::Hospital,
        region: "North".into(),
        salesperson_id: "sam".into(),
        tax_id: None,
    })
}

fn credit_limit_set(id: CustomerId, limit: Decimal, grade: RiskGrade) -> Event {
    Event::CreditLimitSet(CreditLimitSet {
        customer_id: id,
        limit: usd(limit),
        grade,
        reason: "annual review".into(),
        approved_by: "fiona".into(),
    })
}

fn terms_set(id: CustomerId, terms: PaymentTerms) -> Event {
    Event::PaymentTermsSet(PaymentTermsSet {
        customer_id: id,
        contract_id: None,
        terms,
    })
}

fn product_registered(g: &str) -> Event {
    Event::ProductRegistered(ProductRegistered {
        gtin: gtin(g),
        name: format!("Device {g}"),
        model: None,
        risk_class: RiskClass::II,
        registration_no: None,
        company_prefix_len: 7,
    })
}

fn lot_released(g: &str, lot: &str, quantity: u64, expires_on: &str) -> Event {
    Event::LotReleased(LotReleased {
        gtin: gtin(g),
        lot: lot.into(),
        manufactured_on: d("2025-01-01"),
        expires_on: d(expires_on),
        quantity,
    })
}

fn net(days: u32) -> PaymentTerms {
    PaymentTerms::single(days, TermsBase::Invoice)
}

fn installment(share_percent: Decimal, days: u32, base: TermsBase) -> InstallmentTerms {
    InstallmentTerms {
        share_percent,
        days,
        base,
    }
}

/// Two customers with a 100 000 USD limit, grade A, net 30; a dealer with
/// neither limit nor terms; two products; four lots.
fn world() -> Given {
    given(world_events())
}

fn world_events() -> Vec<Event> {
    vec![
        customer_registered(HOSPITAL, "St. Mary Hospital"),
        credit_limit_set(HOSPITAL, dec!(100000.00), RiskGrade::A),
        terms_set(HOSPITAL, net(30)),
        customer_registered(CLINIC, "Riverside Clinic"),
        credit_limit_set(CLINIC, dec!(100000.00), RiskGrade::A),
        terms_set(CLINIC, net(30)),
        customer_registered(DEALER, "Northern Dealer"),
        product_registered(GTIN_A),
        product_registered(GTIN_B),
        lot_released(GTIN_A, "L1", 100, "2027-12-31"),
        lot_released(GTIN_A, "L2", 5, "2027-12-31"),
        lot_released(GTIN_A, "OLD", 50, "2026-01-31"),
        lot_released(GTIN_B, "B1", 50, "2028-06-30"),
    ]
}

// ---------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------

fn register_customer(id: CustomerId, name: &str) -> RegisterCustomer {
    RegisterCustomer {
        customer_id: id,
        name: name.into(),
        kind: CustomerKind::Clinic,
        region: "South".into(),
        salesperson_id: "sam".into(),
        tax_id: Some("91310000MA1K".into()),
    }
}

fn update_customer(id: CustomerId) -> UpdateCustomer {
    UpdateCustomer {
        customer_id: id,
        name: None,
        kind: None,
        region: Some("East".into()),
        salesperson_id: None,
        tax_id: None,
    }
}

fn set_credit_limit(id: CustomerId, limit: Decimal, currency: &str) -> SetCreditLimit {
    SetCreditLimit {
        customer_id: id,
        limit,
        currency: currency.into(),
        grade: RiskGrade::B,
        reason: "new contract".into(),
    }
}

/// The customer's default terms.
fn set_payment_terms(id: CustomerId, terms: PaymentTerms) -> SetPaymentTerms {
    SetPaymentTerms {
        customer_id: id,
        contract_id: None,
        terms,
    }
}

/// The terms of one of the customer's contracts.
fn set_contract_terms(id: CustomerId, contract: &str, terms: PaymentTerms) -> SetPaymentTerms {
    SetPaymentTerms {
        contract_id: Some(contract.into()),
        ..set_payment_terms(id, terms)
    }
}

fn register_product(g: &str) -> RegisterProduct {
    RegisterProduct {
        gtin: g.into(),
        name: "Infusion pump".into(),
        model: Some("IP-7".into()),
        risk_class: RiskClass::III,
        registration_no: Some("NMPA-2026-0001".into()),
        company_prefix_len: None,
    }
}

fn release_lot(g: &str, lot: &str, quantity: i64) -> ReleaseLot {
    ReleaseLot {
        gtin: g.into(),
        lot: lot.into(),
        manufactured_on: d("2026-01-01"),
        expires_on: d("2028-01-01"),
        quantity,
    }
}

fn line(line_no: u32, g: &str, quantity: i64, unit_price: Decimal) -> OrderLineRequest {
    OrderLineRequest {
        line_no,
        gtin: g.into(),
        quantity,
        unit_price,
    }
}

fn order(
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
fn place_o1() -> PlaceOrder {
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
fn order_of(id: OrderId, customer: CustomerId, quantity: i64, unit_price: Decimal) -> PlaceOrder {
    order(
        id,
        &format!("SO-{id}"),
        customer,
        "2026-02-01",
        vec![line(1, GTIN_A, quantity, unit_price)],
    )
}

fn release(id: OrderId) -> Command {
    Command::ReleaseOrder(ReleaseOrder {
        order_id: id,
        note: Some("paid in advance".into()),
    })
}

fn reject(id: OrderId) -> Command {
    Command::RejectOrder(RejectOrder {
        order_id: id,
        note: Some("too risky".into()),
    })
}

fn cancel(id: OrderId) -> Command {
    Command::CancelOrder(CancelOrder {
        order_id: id,
        reason: "customer withdrew".into(),
    })
}

fn ship_line(line_no: u32, g: &str, lot: &str, quantity: i64) -> ShipLineRequest {
    ShipLineRequest {
        line_no,
        gtin: g.into(),
        lot: lot.into(),
        quantity,
        serials: vec![],
        udis: vec![],
    }
}

fn shipment(
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
fn ship_s1() -> ShipOrder {
    shipment(S1, O1, "2026-01-10", vec![ship_line(1, GTIN_A, "L1", 10)])
}

fn accept(id: ShipmentId, on: &str) -> Command {
    Command::AcceptDelivery(AcceptDelivery {
        shipment_id: id,
        accepted_on: d(on),
        accepted_by: "Head nurse Li".into(),
    })
}

fn bill(
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

fn bill_units(shipment_id: ShipmentId, line_no: u32, quantity: i64) -> InvoiceLineRequest {
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

fn service(description: &str, amount: Decimal) -> InvoiceLineRequest {
    InvoiceLineRequest {
        shipment_id: None,
        line_no: None,
        quantity: None,
        description: Some(description.into()),
        amount,
        tax: Decimal::ZERO,
    }
}

fn invoice(
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
fn service_invoice(
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
fn issue_i1() -> IssueInvoice {
    invoice(
        I1,
        "INV-1",
        HOSPITAL,
        "2026-01-15",
        vec![bill(S1, 1, dec!(1000.00), dec!(130.00))],
    )
}

fn payment(id: PaymentId, customer: CustomerId, amount: Decimal) -> ReceivePayment {
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

fn allocate(payment: PaymentId, invoice: InvoiceId, amount: Decimal) -> AllocatePayment {
    AllocatePayment {
        payment_id: payment,
        invoice_id: invoice,
        amount,
        installment_no: None,
    }
}

fn reverse(id: PaymentId) -> ReversePayment {
    ReversePayment {
        payment_id: id,
        reason: "transfer bounced".into(),
        reversed_on: d("2026-02-05"),
    }
}

fn credit_note(id: CreditNoteId, invoice: InvoiceId, amount: Decimal) -> IssueCreditNote {
    IssueCreditNote {
        credit_note_id: id,
        invoice_id: invoice,
        amount,
        reason: CreditReason::Return,
        issued_on: d("2026-01-20"),
    }
}

fn write_off(invoice: InvoiceId, amount: Decimal) -> WriteOffInvoice {
    WriteOffInvoice {
        invoice_id: invoice,
        amount,
        reason: "customer insolvent".into(),
        written_off_on: d("2026-06-30"),
    }
}

fn recover(invoice: InvoiceId, amount: Decimal) -> RecoverWriteOff {
    RecoverWriteOff {
        invoice_id: invoice,
        amount,
        recovered_on: d("2026-09-30"),
    }
}

fn open_dispute(invoice: InvoiceId, amount: Decimal) -> OpenDispute {
    OpenDispute {
        invoice_id: invoice,
        amount,
        reason: "two units damaged".into(),
        opened_on: d("2026-01-20"),
    }
}

fn resolve_dispute(invoice: InvoiceId) -> ResolveDispute {
    ResolveDispute {
        invoice_id: invoice,
        outcome: "credit note agreed".into(),
        resolved_on: d("2026-01-25"),
    }
}

fn collection(customer: CustomerId, invoices: Vec<InvoiceId>) -> RecordCollectionActivity {
    RecordCollectionActivity {
        customer_id: customer,
        invoice_ids: invoices,
        channel: CollectionChannel::Call,
        outcome: "promised to pay".into(),
        promised_pay_date: Some(d("2026-03-10")),
        on: d("2026-03-01"),
    }
}

fn recall(id: RecallId, g: &str, lots: &[&str]) -> IssueRecall {
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

fn acknowledge(id: RecallId, customer: CustomerId) -> AcknowledgeRecall {
    AcknowledgeRecall {
        recall_id: id,
        customer_id: customer,
        acknowledged_on: d("2026-03-02"),
    }
}

fn recall_return(id: RecallId, customer: CustomerId, quantity: i64) -> RecordRecallReturn {
    RecordRecallReturn {
        recall_id: id,
        customer_id: customer,
        quantity,
        returned_on: d("2026-03-05"),
    }
}

// Fixture stages along the order-to-cash flow of HOSPITAL.

/// O1 placed (not held: 1 100.00 against 100 000.00).
fn with_order() -> Given {
    world().and(Command::PlaceOrder(place_o1()))
}

/// O1 line 1 shipped in S1 (10 × A from L1); line 2 still open.
fn with_shipment() -> Given {
    with_order().and(Command::ShipOrder(ship_s1()))
}

/// S1 invoiced in I1: 1 130.00 USD due 2026-02-14.
fn with_invoice() -> Given {
    with_shipment().and(Command::IssueInvoice(issue_i1()))
}

/// P1: 500.00 USD received from HOSPITAL, not allocated.
fn with_payment() -> Given {
    with_invoice().and(Command::ReceivePayment(payment(P1, HOSPITAL, dec!(500.00))))
}

/// L1 recalled in R1 after S1 took 10 of its units to HOSPITAL.
fn with_recall() -> Given {
    with_shipment().and(Command::IssueRecall(recall(R1, GTIN_A, &["L1"])))
}

/// DEALER (no credit limit) placed O2, which was held.
fn with_held_order() -> Given {
    world().and(Command::PlaceOrder(order_of(O2, DEALER, 5, dec!(10.00))))
}

/// One command of each variant, valid against `with_payment()` apart from roles.
fn every_command() -> Vec<Command> {
    vec![
        Command::RegisterCustomer(register_customer(NO_SUCH_CUSTOMER, "New Clinic")),
        Command::UpdateCustomer(update_customer(HOSPITAL)),
        Command::SetCreditLimit(set_credit_limit(HOSPITAL, dec!(5000.00), "USD")),
        Command::SetPaymentTerms(set_payment_terms(HOSPITAL, net(60))),
        Command::RegisterProduct(register_product(GTIN_UNREGISTERED)),
        Command::ReleaseLot(release_lot(GTIN_B, "B2", 10)),
        Command::PlaceOrder(order_of(O3, HOSPITAL, 1, dec!(10.00))),
        release(O1),
        reject(O1),
        cancel(O1),
        Command::ShipOrder(shipment(
            S2,
            O1,
            "2026-01-11",
            vec![ship_line(2, GTIN_B, "B1", 5)],
        )),
        accept(S1, "2026-01-12"),
        Command::IssueInvoice(service_invoice(
            I2,
            HOSPITAL,
            "2026-01-20",
            dec!(50.00),
            net(30),
        )),
        Command::IssueCreditNote(credit_note(CN1, I1, dec!(10.00))),
        Command::ReceivePayment(payment(P2, HOSPITAL, dec!(10.00))),
        Command::AllocatePayment(allocate(P1, I1, dec!(100.00))),
        Command::ReversePayment(reverse(P1)),
        Command::WriteOffInvoice(write_off(I1, dec!(10.00))),
        Command::RecoverWriteOff(recover(I1, dec!(10.00))),
        Command::OpenDispute(open_dispute(I1, dec!(10.00))),
        Command::ResolveDispute(resolve_dispute(I1)),
        Command::RecordCollectionActivity(collection(HOSPITAL, vec![I1])),
        Command::IssueRecall(recall(R1, GTIN_A, &["L1"])),
        Command::AcknowledgeRecall(acknowledge(R1, HOSPITAL)),
        Command::RecordRecallReturn(recall_return(R1, HOSPITAL, 1)),
    ]
}

/// An exhaustive match: adding a command variant breaks this until
/// `every_command` (and so the role tests) covers it.
fn variant_index(command: &Command) -> usize {
    match command {
        Command::RegisterCustomer(_) => 0,
        Command::UpdateCustomer(_) => 1,
        Command::SetCreditLimit(_) => 2,
        Command::SetPaymentTerms(_) => 3,
        Command::RegisterProduct(_) => 4,
        Command::ReleaseLot(_) => 5,
        Command::PlaceOrder(_) => 6,
        Command::ReleaseOrder(_) => 7,
        Command::RejectOrder(_) => 8,
        Command::CancelOrder(_) => 9,
        Command::ShipOrder(_) => 10,
        Command::AcceptDelivery(_) => 11,
        Command::IssueInvoice(_) => 12,
        Command::IssueCreditNote(_) => 13,
        Command::ReceivePayment(_) => 14,
        Command::AllocatePayment(_) => 15,
        Command::ReversePayment(_) => 16,
        Command::WriteOffInvoice(_) => 17,
        Command::RecoverWriteOff(_) => 18,
        Command::OpenDispute(_) => 19,
        Command::ResolveDispute(_) => 20,
        Command::RecordCollectionActivity(_) => 21,
        Command::IssueRecall(_) => 22,
        Command::AcknowledgeRecall(_) => 23,
        Command::RecordRecallReturn(_) => 24,
    }
}
const COMMAND_VARIANTS: usize = 25;

// ---------------------------------------------------------------------------
// 7. Roles
// ---------------------------------------------------------------------------

#[test]
fn every_command_variant_is_covered_by_the_role_tests() {
    let mut seen = [false; COMMAND_VARIANTS];
    for c in every_command() {
        seen[variant_index(&c)] = true;
    }
    assert!(seen.iter().all(|s| *s), "missing variants: {seen:?}");
}

#[test]
fn unknown_role_names_are_refused() {
    let err = assert_refused!(
        Actor::new("u", "janitor"),
        CommandError::UnknownRole(name) if name == "janitor"
    );
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(err.to_string().contains("finance_manager"), "{err}");
}

#[test]
fn role_names_are_case_sensitive_as_written_in_domain_md() {
    assert_refused!(Actor::new("u", "Admin"), CommandError::UnknownRole(_));
    assert_refused!(
        Actor::new("u", "finance-manager"),
        CommandError::UnknownRole(_)
    );
}

#[test]
fn every_role_of_domain_md_is_known() {
    for name in [
        "admin",
        "finance_manager",
        "finance",
        "sales",
        "warehouse",
        "quality",
        "auditor",
        "regulator",
    ] {
        assert_eq!(actor("u", name).role.name(), name);
    }
}

#[test]
fn an_actor_without_a_user_id_is_refused() {
    let err = assert_refused!(
        Actor::new("  ", "admin"),
        CommandError::InvalidInput { field, .. } if field == "actor.user_id"
    );
    assert_eq!(err.code(), ErrorCode::InvalidInput);
}

#[test]
fn auditor_may_run_no_command() {
    let g = with_payment();
    for c in every_command() {
        let name = c.name();
        let err = assert_refused!(when(&g, &auditor(), c), CommandError::Forbidden { .. });
        assert!(
            matches!(
                err,
                CommandError::Forbidden {
                    role: Role::Auditor,
                    ..
                }
            ),
            "{name}: {err:?}"
        );
    }
}

#[test]
fn regulator_may_run_no_command() {
    let g = with_payment();
    for c in every_command() {
        assert_forbidden(when(&g, &regulator(), c), Role::Regulator);
    }
}

#[test]
fn admin_and_finance_manager_pass_the_role_check_of_every_command() {
    let g = with_payment();
    for who in [admin(), finance_manager()] {
        for c in every_command() {
            let name = c.name();
            let result = when(&g, &who, c);
            assert!(
                !matches!(result, Err(CommandError::Forbidden { .. })),
                "{} was refused {name}: {result:?}",
                who.role
            );
        }
    }
}

#[test]
fn release_by_finance_role_is_forbidden() {
    let g = with_held_order();
    let err = assert_refused!(
        when(&g, &finance(), release(O2)),
        CommandError::Forbidden { role: Role::Finance, action, needed }
            if *action == "release held orders" && needed == "admin, finance_manager"
    );
    assert_eq!(err.code(), ErrorCode::Forbidden);
    assert!(err.to_string().contains("finance_manager"), "{err}");
    assert_eq!(g.order_status(O2), OrderStatus::Held);
}

#[test]
fn reject_by_finance_or_sales_role_is_forbidden() {
    let g = with_held_order();
    assert_forbidden(when(&g, &finance(), reject(O2)), Role::Finance);
    assert_forbidden(when(&g, &sales(), reject(O2)), Role::Sales);
}

#[test]
fn write_off_by_finance_role_is_forbidden() {
    let g = with_invoice();
    assert_forbidden(
        when(
            &g,
            &finance(),
            Command::WriteOffInvoice(write_off(I1, dec!(10.00))),
        ),
        Role::Finance,
    );
}

#[test]
fn setting_a_credit_limit_needs_a_finance_manager() {
    let g = world();
    let c = || Command::SetCreditLimit(set_credit_limit(HOSPITAL, dec!(1.00), "USD"));
    assert_forbidden(when(&g, &finance(), c()), Role::Finance);
    assert_forbidden(when(&g, &sales(), c()), Role::Sales);
    assert!(when(&g, &finance_manager(), c()).is_ok());
}

#[test]
fn a_refusal_for_the_role_names_the_roles_that_may() {
    let g = with_order();
    let err = assert_refused!(
        when(&g, &quality(), Command::ShipOrder(ship_s1())),
        CommandError::Forbidden { role: Role::Quality, action, needed }
            if *action == "ship orders" && needed == "admin, finance_manager, warehouse"
    );
    assert_eq!(
        err.to_string(),
        "role quality may not ship orders; it needs one of: admin, finance_manager, warehouse"
    );
}

#[test]
fn each_role_is_refused_the_commands_domain_md_does_not_grant_it() {
    let g = with_payment();
    let cases: Vec<(Actor, Command)> = vec![
        // finance: invoices, payments, allocations, credit notes, disputes, collections
        (
            finance(),
            Command::PlaceOrder(order_of(O3, HOSPITAL, 1, dec!(1.00))),
        ),
        (finance(), Command::ShipOrder(ship_s1())),
        (
            finance(),
            Command::RegisterProduct(register_product(GTIN_UNREGISTERED)),
        ),
        (finance(), Command::IssueRecall(recall(R1, GTIN_A, &["L1"]))),
        // sales: place orders, record collection activity
        (sales(), Command::IssueInvoice(issue_i1())),
        (
            sales(),
            Command::ReceivePayment(payment(P2, HOSPITAL, dec!(1.00))),
        ),
        (
            sales(),
            Command::IssueCreditNote(credit_note(CN1, I1, dec!(1.00))),
        ),
        (sales(), Command::ShipOrder(ship_s1())),
        (sales(), release(O1)),
        (sales(), Command::WriteOffInvoice(write_off(I1, dec!(1.00)))),
        // warehouse: ship, record acceptance, lots
        (
            warehouse(),
            Command::PlaceOrder(order_of(O3, HOSPITAL, 1, dec!(1.00))),
        ),
        (warehouse(), Command::IssueInvoice(issue_i1())),
        (
            warehouse(),
            Command::ReceivePayment(payment(P2, HOSPITAL, dec!(1.00))),
        ),
        (
            warehouse(),
            Command::IssueRecall(recall(R1, GTIN_A, &["L1"])),
        ),
        (
            warehouse(),
            Command::RegisterProduct(register_product(GTIN_UNREGISTERED)),
        ),
        // quality: products, lots, recalls, recall acknowledgements
        (quality(), Command::ShipOrder(ship_s1())),
        (
            quality(),
            Command::PlaceOrder(order_of(O3, HOSPITAL, 1, dec!(1.00))),
        ),
        (quality(), Command::IssueInvoice(issue_i1())),
        (
            quality(),
            Command::AllocatePayment(allocate(P1, I1, dec!(1.00))),
        ),
    ];
    for (who, c) in cases {
        let role = who.role;
        assert_forbidden(when(&g, &who, c), role);
    }
}

#[test]
fn each_role_passes_the_role_check_of_the_commands_domain_md_grants_it() {
    let g = with_payment();
    let cases: Vec<(Actor, Command)> = vec![
        (
            finance(),
            Command::IssueInvoice(service_invoice(
                I2,
                HOSPITAL,
                "2026-01-20",
                dec!(5.00),
                net(30),
            )),
        ),
        (
            finance(),
            Command::ReceivePayment(payment(P2, HOSPITAL, dec!(1.00))),
        ),
        (
            finance(),
            Command::AllocatePayment(allocate(P1, I1, dec!(1.00))),
        ),
        (
            finance(),
            Command::IssueCreditNote(credit_note(CN1, I1, dec!(1.00))),
        ),
        (
            finance(),
            Command::OpenDispute(open_dispute(I1, dec!(1.00))),
        ),
        (
            finance(),
            Command::RecordCollectionActivity(collection(HOSPITAL, vec![I1])),
        ),
        (
            sales(),
            Command::PlaceOrder(order_of(O3, HOSPITAL, 1, dec!(1.00))),
        ),
        (
            sales(),
            Command::RecordCollectionActivity(collection(HOSPITAL, vec![I1])),
        ),
        (
            warehouse(),
            Command::ShipOrder(shipment(
                S2,
                O1,
                "2026-01-11",
                vec![ship_line(2, GTIN_B, "B1", 5)],
            )),
        ),
        (warehouse(), accept(S1, "2026-01-12")),
        (
            warehouse(),
            Command::ReleaseLot(release_lot(GTIN_B, "B2", 10)),
        ),
        (
            quality(),
            Command::RegisterProduct(register_product(GTIN_UNREGISTERED)),
        ),
        (
            quality(),
            Command::ReleaseLot(release_lot(GTIN_B, "B2", 10)),
        ),
        (quality(), Command::IssueRecall(recall(R1, GTIN_A, &["L1"]))),
    ];
    for (who, c) in cases {
        let name = c.name();
        let role = who.role;
        let result = when(&g, &who, c);
        assert!(result.is_ok(), "{role} {name}: {result:?}");
    }
}

// ---------------------------------------------------------------------------
// 3. Master data: RegisterCustomer
// ---------------------------------------------------------------------------

const NEW_CUSTOMER: CustomerId = CustomerId(Uuid::from_u128(0xC010));

#[test]
fn registering_a_customer_records_it_with_a_trimmed_name() {
    let mut g = world();
    let events = accepted(when(
        &g,
        &finance(),
        Command::RegisterCustomer(register_customer(NEW_CUSTOMER, "  Lakeside Clinic ")),
    ));
    assert_eq!(
        events,
        vec![Event::CustomerRegistered(CustomerRegistered {
            customer_id: NEW_CUSTOMER,
            name: "Lakeside Clinic".into(),
            kind: CustomerKind::Clinic,
            region: "South".into(),
            salesperson_id: "sam".into(),
            tax_id: Some("91310000MA1K".into()),
        })]
    );
    g.apply(&events);
    let c = &g.0.customers[&NEW_CUSTOMER];
    assert_eq!(c.name, "Lakeside Clinic");
    assert!(c.credit.is_none() && c.terms.is_none());
}

#[test]
fn registering_a_customer_with_an_empty_name_is_refused() {
    let g = world();
    for name in ["", "   "] {
        assert_invalid(
            when(
                &g,
                &finance(),
                Command::RegisterCustomer(register_customer(NEW_CUSTOMER, name)),
            ),
            "name",
        );
    }
}

#[test]
fn registering_a_customer_with_an_overlong_name_is_refused() {
    let g = world();
    assert_invalid(
        when(
            &g,
            &finance(),
            Command::RegisterCustomer(register_customer(NEW_CUSTOMER, &long_text())),
        ),
        "name",
    );
}

#[test]
fn registering_a_customer_without_region_or_salesperson_is_refused() {
    let g = world();
    let c = register_customer(NEW_CUSTOMER, "Lakeside Clinic");
    assert_invalid(
        when(
            &g,
            &finance(),
            Command::RegisterCustomer(RegisterCustomer {
                region: " ".into(),
                ..c.clone()
            }),
        ),
        "region",
    );
    assert_invalid(
        when(
            &g,
            &finance(),
            Command::RegisterCustomer(RegisterCustomer {
                salesperson_id: String::new(),
                ..c
            }),
        ),
        "salesperson_id",
    );
}

#[test]
fn registering_a_customer_with_an_overlong_tax_id_is_refused() {
    let g = world();
    assert_invalid(
        when(
            &g,
            &finance(),
            Command::RegisterCustomer(RegisterCustomer {
                tax_id: Some(long_text()),
                ..register_customer(NEW_CUSTOMER, "Lakeside Clinic")
            }),
        ),
        "tax_id",
    );
}

#[test]
fn registering_a_customer_id_twice_is_refused() {
    let g = world();
    assert_exists(
        when(
            &g,
            &finance(),
            Command::RegisterCustomer(register_customer(HOSPITAL, "Another")),
        ),
        "customer",
    );
}

#[test]
fn warehouse_may_not_register_customers() {
    let g = world();
    assert_forbidden(
        when(
            &g,
            &warehouse(),
            Command::RegisterCustomer(register_customer(NEW_CUSTOMER, "Lakeside Clinic")),
        ),
        Role::Warehouse,
    );
}

/// Customer master data is finance's (domain.md 7 gives sales orders and
/// collection activity only).
#[test]
fn sales_may_not_register_or_update_customers() {
    let g = world();
    assert_forbidden(
        when(
            &g,
            &sales(),
            Command::RegisterCustomer(register_customer(NEW_CUSTOMER, "Lakeside Clinic")),
        ),
        Role::Sales,
    );
}

// UpdateCustomer

#[test]
fn updating_a_customer_changes_only_the_given_fields() {
    let mut g = world();
    let events = accepted(when(
        &g,
        &finance(),
        Command::UpdateCustomer(UpdateCustomer {
            name: Some(" St. Mary General ".into()),
            ..update_customer(HOSPITAL)
        }),
    ));
    assert_eq!(
        events,
        vec![Event::CustomerUpdated(CustomerUpdated {
            customer_id: HOSPITAL,
            name: Some("St. Mary General".into()),
            kind: None,
            region: Some("East".into()),
            salesperson_id: None,
            tax_id: None,
        })]
    );
    g.apply(&events);
    let c = &g.0.customers[&HOSPITAL];
    assert_eq!(
        (
            c.name.as_str(),
            c.region.as_str(),
            c.salesperson_id.as_str()
        ),
        ("St. Mary General", "East", "sam")
    );
}

#[test]
fn updating_an_unknown_customer_is_refused() {
    let g = world();
    assert_not_found(
        when(
            &g,
            &finance(),
            Command::UpdateCustomer(update_customer(NO_SUCH_CUSTOMER)),
        ),
        "customer",
    );
}

#[test]
fn updating_a_customer_to_empty_texts_is_refused() {
    let g = world();
    let base = update_customer(HOSPITAL);
    let cases = [
        (
            UpdateCustomer {
                name: Some(" ".into()),
                ..base.clone()
            },
            "name",
        ),
        (
            UpdateCustomer {
                region: Some(String::new()),
                ..base.clone()
            },
            "region",
        ),
        (
            UpdateCustomer {
                salesperson_id: Some(" ".into()),
                ..base.clone()
            },
            "salesperson_id",
        ),
        (
            UpdateCustomer {
                tax_id: Some(long_text()),
                ..base
            },
            "tax_id",
        ),
    ];
    for (c, field) in cases {
        assert_invalid(when(&g, &finance(), Command::UpdateCustomer(c)), field);
    }
}

#[test]
fn an_update_that_changes_nothing_is_refused() {
    let g = world();
    assert_invalid(
        when(
            &g,
            &finance(),
            Command::UpdateCustomer(UpdateCustomer {
                region: None,
                ..update_customer(HOSPITAL)
            }),
        ),
        "fields",
    );
}

// SetCreditLimit

#[test]
fn setting_a_credit_limit_records_the_approver() {
    let mut g = world();
    let events = accepted(when(
        &g,
        &finance_manager(),
        Command::SetCreditLimit(set_credit_limit(DEALER, dec!(2500.50), "USD")),
    ));
    assert_eq!(
        events,
        vec![Event::CreditLimitSet(CreditLimitSet {
            customer_id: DEALER,
            limit: usd(dec!(2500.50)),
            grade: RiskGrade::B,
            reason: "new contract".into(),
            approved_by: "fiona".into(),
        })]
    );
    g.apply(&events);
    let credit = g.0.customers[&DEALER].credit.clone();
    assert_eq!(
        credit.map(|c| (c.limit, c.grade)),
        Some((usd(dec!(2500.50)), RiskGrade::B))
    );
}

#[test]
fn a_credit_limit_of_zero_is_allowed() {
    let g = world();
    let events = accepted(when(
        &g,
        &finance_manager(),
        Command::SetCreditLimit(set_credit_limit(DEALER, dec!(0), "USD")),
    ));
    assert!(matches!(&events[..], [Event::CreditLimitSet(e)] if e.limit.amount.is_zero()));
}

#[test]
fn a_negative_credit_limit_is_refused() {
    let g = world();
    assert_invalid(
        when(
            &g,
            &finance_manager(),
            Command::SetCreditLimit(set_credit_limit(DEALER, dec!(-0.01), "USD")),
        ),
        "limit",
    );
}

#[test]
fn a_credit_limit_in_an_unknown_currency_is_refused() {
    let g = world();
    assert_invalid(
        when(
            &g,
            &finance_manager(),
            Command::SetCreditLimit(set_credit_limit(DEALER, dec!(100), "XYZ")),
        ),
        "currency",
    );
}

#[test]
fn a_credit_limit_with_more_decimals_than_its_currency_is_refused() {
    let g = world();
    assert_invalid(
        when(
            &g,
            &finance_manager(),
            Command::SetCreditLimit(set_credit_limit(DEALER, dec!(10.005), "USD")),
        ),
        "limit",
    );
    assert_invalid(
        when(
            &g,
            &finance_manager(),
            Command::SetCreditLimit(set_credit_limit(DEALER, dec!(1.5), "JPY")),
        ),
        "limit",
    );
}

#[test]
fn a_credit_limit_with_an_overlong_reason_is_refused() {
    let g = world();
    assert_invalid(
        when(
            &g,
            &finance_manager(),
            Command::SetCreditLimit(SetCreditLimit {
                reason: long_text(),
                ..set_credit_limit(DEALER, dec!(100), "USD")
            }),
        ),
        "reason",
    );
}

#[test]
fn a_credit_limit_for_an_unknown_customer_is_refused() {
    let g = world();
    assert_not_found(
        when(
            &g,
            &finance_manager(),
            Command::SetCreditLimit(set_credit_limit(NO_SUCH_CUSTOMER, dec!(100), "USD")),
        ),
        "customer",
    );
}

#[test]
fn a_credit_limit_cannot_change_the_customers_credit_currency() {
    let g = world();
    let err = assert_refused!(
        when(
            &g,
            &finance_manager(),
            Command::SetCreditLimit(set_credit_limit(HOSPITAL, dec!(100), "EUR")),
        ),
        CommandError::CurrencyMismatch { expected, got } if expected == "USD" && got == "EUR"
    );
    assert_eq!(err.code(), ErrorCode::CurrencyMismatch);
}

// SetPaymentTerms

#[test]
fn setting_payment_terms_records_them() {
    let mut g = world();
    let terms = PaymentTerms {
        installments: vec![
            installment(dec!(30), 0, TermsBase::Invoice),
            installment(dec!(70), 60, TermsBase::Acceptance),
        ],
    };
    let events = accepted(when(
        &g,
        &finance(),
        Command::SetPaymentTerms(set_payment_terms(DEALER, terms.clone())),
    ));
    assert_eq!(
        events,
        vec![Event::PaymentTermsSet(PaymentTermsSet {
            customer_id: DEALER,
            contract_id: None,
            terms: terms.clone(),
        })]
    );
    g.apply(&events);
    assert_eq!(g.0.customers[&DEALER].terms, Some(terms));
}

#[test]
fn terms_set_for_a_contract_are_kept_apart_from_the_default_terms() {
    let mut g = world();
    let events = accepted(when(
        &g,
        &finance(),
        Command::SetPaymentTerms(set_contract_terms(HOSPITAL, "K-2026-01", net(90))),
    ));
    assert_eq!(
        events,
        vec![Event::PaymentTermsSet(PaymentTermsSet {
            customer_id: HOSPITAL,
            contract_id: Some("K-2026-01".into()),
            terms: net(90),
        })]
    );
    g.apply(&events);
    let hospital = &g.0.customers[&HOSPITAL];
    assert_eq!(
        hospital.terms,
        Some(net(30)),
        "the default terms are unchanged"
    );
    assert_eq!(hospital.contract_terms.get("K-2026-01"), Some(&net(90)));
}

#[test]
fn payment_terms_for_an_unknown_customer_are_refused() {
    let g = world();
    assert_not_found(
        when(
            &g,
            &finance(),
            Command::SetPaymentTerms(set_payment_terms(NO_SUCH_CUSTOMER, net(30))),
        ),
        "customer",
    );
}

#[test]
fn payment_terms_whose_shares_do_not_sum_to_one_hundred_are_refused() {
    let g = world();
    for shares in [
        vec![dec!(50), dec!(49.99)],
        vec![dec!(50), dec!(50.01)],
        vec![dec!(100), dec!(1)],
    ] {
        let terms = PaymentTerms {
            installments: shares
                .into_iter()
                .map(|s| installment(s, 30, TermsBase::Invoice))
                .collect(),
        };
        assert_invalid(
            when(
                &g,
                &finance(),
                Command::SetPaymentTerms(set_payment_terms(DEALER, terms)),
            ),
            "terms",
        );
    }
}

#[test]
fn payment_terms_with_no_installment_or_a_non_positive_share_are_refused() {
    let g = world();
    let no_installments = PaymentTerms {
        installments: vec![],
    };
    let zero_share = PaymentTerms {
        installments: vec![
            installment(dec!(0), 10, TermsBase::Invoice),
            installment(dec!(100), 30, TermsBase::Invoice),
        ],
    };
    let negative_share = PaymentTerms {
        installments: vec![
            installment(dec!(-10), 10, TermsBase::Invoice),
            installment(dec!(110), 30, TermsBase::Invoice),
        ],
    };
    for terms in [no_installments, zero_share, negative_share] {
        assert_invalid(
            when(
                &g,
                &finance(),
                Command::SetPaymentTerms(set_payment_terms(DEALER, terms)),
            ),
            "terms",
        );
    }
}

#[test]
fn payment_terms_too_far_out_or_with_too_many_installments_are_refused() {
    let g = world();
    let too_far = PaymentTerms::single(3_651, TermsBase::Invoice);
    let too_many = PaymentTerms {
        installments: (0..61)
            .map(|i| {
                installment(
                    if i == 0 { dec!(40) } else { dec!(1) },
                    30,
                    TermsBase::Invoice,
                )
            })
            .collect(),
    };
    for terms in [too_far, too_many] {
        assert_invalid(
            when(
                &g,
                &finance(),
                Command::SetPaymentTerms(set_payment_terms(DEALER, terms)),
            ),
            "terms",
        );
    }
}

#[test]
fn payment_terms_with_an_overlong_contract_id_are_refused() {
    let g = world();
    assert_invalid(
        when(
            &g,
            &finance(),
            Command::SetPaymentTerms(SetPaymentTerms {
                contract_id: Some(long_text()),
                ..set_payment_terms(DEALER, net(30))
            }),
        ),
        "contract_id",
    );
}

// RegisterProduct

#[test]
fn registering_a_product_pads_its_gtin_to_fourteen_digits() {
    let mut g = world();
    let events = accepted(when(
        &g,
        &quality(),
        Command::RegisterProduct(register_product("4006381333931")),
    ));
    assert_eq!(
        events,
        vec![Event::ProductRegistered(ProductRegistered {
            gtin: gtin("04006381333931"),
            name: "Infusion pump".into(),
            model: Some("IP-7".into()),
            risk_class: RiskClass::III,
            registration_no: Some("NMPA-2026-0001".into()),
            company_prefix_len: 7,
        })]
    );
    g.apply(&events);
    assert!(g.0.products.contains_key(&gtin("04006381333931")));
}

#[test]
fn a_product_keeps_a_given_company_prefix_length() {
    let g = world();
    let events = accepted(when(
        &g,
        &quality(),
        Command::RegisterProduct(RegisterProduct {
            company_prefix_len: Some(9),
            ..register_product(GTIN_UNREGISTERED)
        }),
    ));
    assert!(matches!(&events[..], [Event::ProductRegistered(p)] if p.company_prefix_len == 9));
}

#[test]
fn a_gtin_with_a_wrong_check_digit_is_refused() {
    let g = world();
    assert_invalid(
        when(
            &g,
            &quality(),
            Command::RegisterProduct(register_product("09506000134353")),
        ),
        "gtin",
    );
}

#[test]
fn a_gtin_with_letters_or_a_wrong_length_is_refused() {
    let g = world();
    for text in ["0950600013435A", "123", "095060001343520", ""] {
        assert_invalid(
            when(
                &g,
                &quality(),
                Command::RegisterProduct(register_product(text)),
            ),
            "gtin",
        );
    }
}

#[test]
fn a_product_without_a_name_or_with_overlong_texts_is_refused() {
    let g = world();
    let base = register_product(GTIN_UNREGISTERED);
    let cases = [
        (
            RegisterProduct {
                name: " ".into(),
                ..base.clone()
            },
            "name",
        ),
        (
            RegisterProduct {
                model: Some(long_text()),
                ..base.clone()
            },
            "model",
        ),
        (
            RegisterProduct {
                registration_no: Some(long_text()),
                ..base
            },
            "registration_no",
        ),
    ];
    for (c, field) in cases {
        assert_invalid(when(&g, &quality(), Command::RegisterProduct(c)), field);
    }
}

#[test]
fn a_company_prefix_length_outside_six_to_twelve_is_refused() {
    let g = world();
    for len in [5, 13] {
        assert_invalid(
            when(
                &g,
                &quality(),
                Command::RegisterProduct(RegisterProduct {
                    company_prefix_len: Some(len),
                    ..register_product(GTIN_UNREGISTERED)
                }),
            ),
            "company_prefix_len",
        );
    }
}

#[test]
fn registering_a_gtin_twice_is_refused_even_in_its_short_form() {
    let g = world();
    assert_exists(
        when(
            &g,
            &quality(),
            Command::RegisterProduct(register_product(GTIN_A)),
        ),
        "product",
    );
    let g = g.and(Command::RegisterProduct(register_product("4006381333931")));
    assert_exists(
        when(
            &g,
            &quality(),
            Command::RegisterProduct(register_product("04006381333931")),
        ),
        "product",
    );
}

// ReleaseLot

#[test]
fn releasing_a_lot_records_it() {
    let mut g = world();
    let events = accepted(when(
        &g,
        &warehouse(),
        Command::ReleaseLot(release_lot(GTIN_B, "B2", 40)),
    ));
    assert_eq!(
        events,
        vec![Event::LotReleased(LotReleased {
            gtin: gtin(GTIN_B),
            lot: "B2".into(),
            manufactured_on: d("2026-01-01"),
            expires_on: d("2028-01-01"),
            quantity: 40,
        })]
    );
    g.apply(&events);
    let lot =
        g.0.lot(&gtin(GTIN_B), "B2")
            .map(|l| (l.released, l.shipped));
    assert_eq!(lot, Some((40, 0)));
}

#[test]
fn releasing_a_lot_with_an_invalid_gtin_is_refused() {
    let g = world();
    assert_invalid(
        when(
            &g,
            &quality(),
            Command::ReleaseLot(release_lot("09506000134353", "X1", 1)),
        ),
        "gtin",
    );
}

#[test]
fn a_lot_number_that_is_empty_too_long_or_not_printable_ascii_is_refused() {
    let g = world();
    for lot in ["", "L23456789012345678901", "LOT 7", "LÖT"] {
        assert_invalid(
            when(
                &g,
                &quality(),
                Command::ReleaseLot(release_lot(GTIN_B, lot, 1)),
            ),
            "lot",
        );
    }
}

#[test]
fn releasing_a_lot_of_zero_or_negative_quantity_is_refused() {
    let g = world();
    for quantity in [0, -5, 1_000_000_001] {
        assert_invalid(
            when(
                &g,
                &quality(),
                Command::ReleaseLot(release_lot(GTIN_B, "B2", quantity)),
            ),
            "quantity",
        );
    }
}

#[test]
fn a_lot_that_expires_on_or_before_its_manufacture_is_refused() {
    let g = world();
    for expires_on in ["2026-01-01", "2025-12-31"] {
        assert_invalid(
            when(
                &g,
                &quality(),
                Command::ReleaseLot(ReleaseLot {
                    expires_on: d(expires_on),
                    ..release_lot(GTIN_B, "B2", 1)
                }),
            ),
            "expires_on",
        );
    }
}

#[test]
fn releasing_a_lot_of_an_unknown_product_is_refused() {
    let g = world();
    assert_not_found(
        when(
            &g,
            &quality(),
            Command::ReleaseLot(release_lot(GTIN_UNREGISTERED, "X1", 1)),
        ),
        "product",
    );
}

#[test]
fn releasing_a_lot_number_twice_for_one_gtin_is_refused_but_another_gtin_may_reuse_it() {
    let g = world();
    assert_exists(
        when(
            &g,
            &quality(),
            Command::ReleaseLot(release_lot(GTIN_A, "L1", 1)),
        ),
        "lot",
    );
    assert!(
        when(
            &g,
            &quality(),
            Command::ReleaseLot(release_lot(GTIN_B, "L1", 1))
        )
        .is_ok()
    );
}

// ---------------------------------------------------------------------------
// 4. Orders: PlaceOrder
// ---------------------------------------------------------------------------

#[test]
fn placing_an_order_within_the_limit_records_it_without_a_hold() {
    let mut g = world();
    let events = accepted(when(&g, &sales(), Command::PlaceOrder(place_o1())));
    assert_eq!(
        events,
        vec![Event::OrderPlaced(OrderPlaced {
            order_id: O1,
            number: "SO-1".into(),
            customer_id: HOSPITAL,
            currency: Currency::USD,
            placed_on: d("2026-01-05"),
            lines: vec![
                OrderLine {
                    line_no: 1,
                    gtin: gtin(GTIN_A),
                    quantity: 10,
                    unit_price: dec!(100.00),
                },
                OrderLine {
                    line_no: 2,
                    gtin: gtin(GTIN_B),
                    quantity: 5,
                    unit_price: dec!(20.00),
                },
            ],
        })]
    );
    g.apply(&events);
    assert_eq!(g.order_status(O1), OrderStatus::Open);
    assert_eq!(g.exposure(HOSPITAL).open_orders, dec!(1100.00));
}

#[test]
fn an_order_line_at_price_zero_is_allowed() {
    let g = world();
    let events = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O3, HOSPITAL, 2, dec!(0))),
    ));
    assert!(matches!(&events[..], [Event::OrderPlaced(o)] if o.lines[0].unit_price.is_zero()));
}

#[test]
fn an_order_without_a_number_is_refused() {
    let g = world();
    assert_invalid(
        when(
            &g,
            &sales(),
            Command::PlaceOrder(PlaceOrder {
                number: " ".into(),
                ..place_o1()
            }),
        ),
        "number",
    );
}

#[test]
fn an_order_in_an_unknown_currency_is_refused() {
    let g = world();
    assert_invalid(
        when(
            &g,
            &sales(),
            Command::PlaceOrder(PlaceOrder {
                currency: "XYZ".into(),
                ..place_o1()
            }),
        ),
        "currency",
    );
}

#[test]
fn an_order_for_an_unknown_customer_is_refused() {
    let g = world();
    assert_not_found(
        when(
            &g,
            &sales(),
            Command::PlaceOrder(PlaceOrder {
                customer_id: NO_SUCH_CUSTOMER,
                ..place_o1()
            }),
        ),
        "customer",
    );
}

#[test]
fn an_order_without_lines_or_with_more_than_a_thousand_is_refused() {
    let g = world();
    for lines in [vec![], vec![line(1, GTIN_A, 1, dec!(1.00)); 1_001]] {
        assert_invalid(
            when(
                &g,
                &sales(),
                Command::PlaceOrder(PlaceOrder {
                    lines,
                    ..place_o1()
                }),
            ),
            "lines",
        );
    }
}

#[test]
fn an_order_line_with_an_invalid_gtin_is_refused() {
    let g = world();
    assert_invalid(
        when(
            &g,
            &sales(),
            Command::PlaceOrder(PlaceOrder {
                lines: vec![line(1, "09506000134353", 1, dec!(1.00))],
                ..place_o1()
            }),
        ),
        "gtin",
    );
}

#[test]
fn an_order_line_for_an_unknown_product_is_refused() {
    let g = world();
    assert_not_found(
        when(
            &g,
            &sales(),
            Command::PlaceOrder(PlaceOrder {
                lines: vec![line(1, GTIN_UNREGISTERED, 1, dec!(1.00))],
                ..place_o1()
            }),
        ),
        "product",
    );
}

#[test]
fn an_order_with_a_line_number_twice_is_refused() {
    let g = world();
    assert_invalid(
        when(
            &g,
            &sales(),
            Command::PlaceOrder(PlaceOrder {
                lines: vec![
                    line(1, GTIN_A, 1, dec!(1.00)),
                    line(1, GTIN_B, 1, dec!(1.00)),
                ],
                ..place_o1()
            }),
        ),
        "lines",
    );
}

#[test]
fn an_order_line_of_zero_negative_or_huge_quantity_is_refused() {
    let g = world();
    for quantity in [0, -1, 1_000_000_001] {
        assert_invalid(
            when(
                &g,
                &sales(),
                Command::PlaceOrder(order_of(O3, HOSPITAL, quantity, dec!(1.00))),
            ),
            "quantity",
        );
    }
}

#[test]
fn an_order_line_with_a_negative_price_is_refused() {
    let g = world();
    assert_invalid(
        when(
            &g,
            &sales(),
            Command::PlaceOrder(order_of(O3, HOSPITAL, 1, dec!(-1.00))),
        ),
        "unit_price",
    );
}

#[test]
fn an_order_price_with_more_decimals_than_its_currency_is_refused() {
    let g = world();
    assert_invalid(
        when(
            &g,
            &sales(),
            Command::PlaceOrder(order_of(O3, HOSPITAL, 1, dec!(10.005))),
        ),
        "unit_price",
    );
    assert_invalid(
        when(
            &g,
            &sales(),
            Command::PlaceOrder(PlaceOrder {
                currency: "JPY".into(),
                ..order_of(O3, DEALER, 1, dec!(1.5))
            }),
        ),
        "unit_price",
    );
}

#[test]
fn placing_an_order_id_or_number_twice_is_refused() {
    let g = with_order();
    assert_exists(
        when(
            &g,
            &sales(),
            Command::PlaceOrder(PlaceOrder {
                number: "SO-99".into(),
                ..place_o1()
            }),
        ),
        "order",
    );
    assert_exists(
        when(
            &g,
            &sales(),
            Command::PlaceOrder(PlaceOrder {
                order_id: O3,
                ..place_o1()
            }),
        ),
        "order number",
    );
}

#[test]
fn an_order_in_another_currency_than_the_credit_limit_is_refused() {
    let g = world();
    let err = assert_refused!(
        when(
            &g,
            &sales(),
            Command::PlaceOrder(PlaceOrder {
                currency: "EUR".into(),
                ..place_o1()
            }),
        ),
        CommandError::CurrencyMismatch { expected, got } if expected == "USD" && got == "EUR"
    );
    assert_eq!(err.code(), ErrorCode::CurrencyMismatch);
}

// ---------------------------------------------------------------------------
// 6. Credit control at order placement
// ---------------------------------------------------------------------------

/// The world, with DEALER given `limit` USD and `grade`.
fn dealer_with_limit(limit: Decimal, grade: RiskGrade) -> Given {
    let mut g = world();
    g.apply(&[credit_limit_set(DEALER, limit, grade)]);
    g
}

/// DEALER (limit 1 000.00, grade A) owes 500.00 on I2, due 2026-01-11.
fn dealer_with_overdue_invoice(policy: CreditPolicy) -> Given {
    let mut events = world_events();
    events.push(credit_limit_set(DEALER, dec!(1000.00), RiskGrade::A));
    given_with(policy, events).and(Command::IssueInvoice(service_invoice(
        I2,
        DEALER,
        "2026-01-01",
        dec!(500.00),
        net(10),
    )))
}

fn held(order: OrderId, reasons: Vec<HoldReason>, exposure: Decimal, limit: Decimal) -> Event {
    Event::OrderHeld(OrderHeld {
        order_id: order,
        reasons,
        exposure: usd(exposure),
        limit: usd(limit),
    })
}

fn is_held(events: &[Event]) -> bool {
    events.iter().any(|e| matches!(e, Event::OrderHeld(_)))
}

#[test]
fn an_order_under_the_limit_is_not_held() {
    let g = dealer_with_limit(dec!(1000.00), RiskGrade::A);
    let events = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O2, DEALER, 9, dec!(100.00))),
    ));
    assert_eq!(events.len(), 1);
    assert!(matches!(&events[0], Event::OrderPlaced(_)));
}

#[test]
fn an_order_that_exactly_reaches_the_limit_is_not_held() {
    let g = dealer_with_limit(dec!(1000.00), RiskGrade::A);
    let events = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O2, DEALER, 10, dec!(100.00))),
    ));
    assert!(!is_held(&events), "{events:?}");
}

#[test]
fn an_order_over_the_credit_limit_is_placed_and_held() {
    let mut g = dealer_with_limit(dec!(1000.00), RiskGrade::A);
    let events = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O2, DEALER, 11, dec!(100.00))),
    ));
    assert_eq!(events.len(), 2);
    assert!(matches!(&events[0], Event::OrderPlaced(o) if o.order_id == O2));
    assert_eq!(
        events[1],
        held(
            O2,
            vec![HoldReason::CreditLimitExceeded],
            dec!(1100.00),
            dec!(1000.00)
        )
    );
    g.apply(&events);
    assert_eq!(g.order_status(O2), OrderStatus::Held);
    assert_eq!(g.exposure(DEALER).open_orders, dec!(0));
}

#[test]
fn an_order_is_held_for_an_overdue_balance_above_80_percent_of_the_limit() {
    let g = dealer_with_overdue_invoice(CreditPolicy::default());
    // 500.00 open and overdue + 350.00 = 850.00 > 800.00, within the limit.
    let events = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O2, DEALER, 35, dec!(10.00))),
    ));
    assert_eq!(
        events.get(1),
        Some(&held(
            O2,
            vec![HoldReason::OverdueBalance],
            dec!(850.00),
            dec!(1000.00)
        ))
    );
}

#[test]
fn an_overdue_customer_at_or_below_80_percent_of_the_limit_is_not_held() {
    let g = dealer_with_overdue_invoice(CreditPolicy::default());
    let events = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O2, DEALER, 30, dec!(10.00))),
    ));
    assert!(!is_held(&events), "{events:?}");
}

#[test]
fn a_balance_not_yet_past_its_due_date_does_not_count_as_overdue() {
    let g = dealer_with_overdue_invoice(CreditPolicy::default());
    // Due 2026-01-11: on that day it is not yet overdue.
    let events = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(PlaceOrder {
            placed_on: d("2026-01-11"),
            ..order_of(O2, DEALER, 35, dec!(10.00))
        }),
    ));
    assert!(!is_held(&events), "{events:?}");
}

#[test]
fn a_paid_overdue_invoice_no_longer_holds_orders() {
    let g = dealer_with_overdue_invoice(CreditPolicy::default())
        .and(Command::ReceivePayment(payment(P2, DEALER, dec!(500.00))))
        .and(Command::AllocatePayment(allocate(P2, I2, dec!(500.00))));
    let events = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O2, DEALER, 85, dec!(10.00))),
    ));
    assert!(!is_held(&events), "{events:?}");
}

#[test]
fn the_overdue_threshold_is_configurable() {
    let policy = CreditPolicy {
        overdue_threshold_percent: dec!(50),
    };
    let g = dealer_with_overdue_invoice(policy);
    // 500.00 + 10.00 = 510.00 > 50% of 1 000.00.
    let events = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O2, DEALER, 1, dec!(10.00))),
    ));
    assert_eq!(
        events.get(1),
        Some(&held(
            O2,
            vec![HoldReason::OverdueBalance],
            dec!(510.00),
            dec!(1000.00)
        ))
    );
}

#[test]
fn an_order_over_the_limit_with_an_overdue_balance_names_both_reasons() {
    let g = dealer_with_overdue_invoice(CreditPolicy::default());
    let events = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O2, DEALER, 60, dec!(10.00))),
    ));
    assert_eq!(
        events.get(1),
        Some(&held(
            O2,
            vec![HoldReason::CreditLimitExceeded, HoldReason::OverdueBalance],
            dec!(1100.00),
            dec!(1000.00)
        ))
    );
}

#[test]
fn every_order_of_a_grade_d_customer_is_held() {
    let g = dealer_with_limit(dec!(1000.00), RiskGrade::D);
    let events = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O2, DEALER, 1, dec!(10.00))),
    ));
    assert_eq!(
        events.get(1),
        Some(&held(
            O2,
            vec![HoldReason::GradeD],
            dec!(10.00),
            dec!(1000.00)
        ))
    );
}

#[test]
fn a_grade_d_order_over_the_limit_names_both_reasons() {
    let g = dealer_with_limit(dec!(1000.00), RiskGrade::D);
    let events = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O2, DEALER, 20, dec!(100.00))),
    ));
    assert_eq!(
        events.get(1),
        Some(&held(
            O2,
            vec![HoldReason::CreditLimitExceeded, HoldReason::GradeD],
            dec!(2000.00),
            dec!(1000.00)
        ))
    );
}

#[test]
fn an_order_of_a_customer_without_a_credit_limit_is_held_against_a_limit_of_zero() {
    let g = world();
    let events = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O2, DEALER, 5, dec!(10.00))),
    ));
    assert_eq!(
        events.get(1),
        Some(&held(
            O2,
            vec![HoldReason::CreditLimitExceeded],
            dec!(50.00),
            dec!(0)
        ))
    );
}

/// domain.md 6: "A customer with no credit limit set has limit 0: every order
/// is held until a limit is set or the order is released" — even when money
/// on account makes the exposure after the order zero or negative.
#[test]
fn an_order_of_a_customer_without_a_credit_limit_is_held_even_when_prepaid() {
    let g = world().and(Command::ReceivePayment(payment(P2, DEALER, dec!(1000.00))));
    assert_eq!(g.exposure(DEALER).total(), dec!(-1000.00));
    let events = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O2, DEALER, 5, dec!(10.00))),
    ));
    assert!(
        is_held(&events),
        "a customer without a credit limit had an order accepted unheld: {events:?}"
    );
}

#[test]
fn released_orders_count_in_exposure_and_held_ones_do_not() {
    let mut g = dealer_with_limit(dec!(1000.00), RiskGrade::A);
    let first = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O1, DEALER, 15, dec!(100.00))),
    ));
    assert!(is_held(&first));
    g.apply(&first);
    assert_eq!(g.exposure(DEALER).open_orders, dec!(0));

    // The held 1 500.00 does not count: 900.00 fits the limit.
    let second = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O2, DEALER, 9, dec!(100.00))),
    ));
    assert!(!is_held(&second), "{second:?}");
    g.apply(&second);
    assert_eq!(g.exposure(DEALER).open_orders, dec!(900.00));

    // Once released, the 1 500.00 counts.
    let released = accepted(when(&g, &finance_manager(), release(O1)));
    g.apply(&released);
    assert_eq!(g.exposure(DEALER).open_orders, dec!(2400.00));
    let third = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O3, DEALER, 1, dec!(10.00))),
    ));
    assert_eq!(
        third.get(1),
        Some(&held(
            O3,
            vec![HoldReason::CreditLimitExceeded],
            dec!(2410.00),
            dec!(1000.00)
        ))
    );
}

#[test]
fn rejected_and_cancelled_orders_do_not_count_in_exposure() {
    let g = dealer_with_limit(dec!(1000.00), RiskGrade::A)
        .and(Command::PlaceOrder(order_of(O1, DEALER, 15, dec!(100.00))))
        .and(reject(O1))
        .and(Command::PlaceOrder(order_of(O2, DEALER, 9, dec!(100.00))))
        .and(cancel(O2));
    assert_eq!(g.exposure(DEALER), Exposure::default());
    let events = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O3, DEALER, 10, dec!(100.00))),
    ));
    assert!(!is_held(&events), "{events:?}");
}

#[test]
fn shipped_but_not_invoiced_value_counts_in_exposure() {
    let mut g = with_shipment();
    assert_eq!(
        g.exposure(HOSPITAL),
        Exposure {
            open_receivables: dec!(0),
            shipped_not_invoiced: dec!(1000.00),
            open_orders: dec!(100.00),
            unallocated: dec!(0),
        }
    );
    g.apply(&[credit_limit_set(HOSPITAL, dec!(1100.00), RiskGrade::A)]);
    let events = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O3, HOSPITAL, 1, dec!(0.01))),
    ));
    assert_eq!(
        events.get(1),
        Some(&held(
            O3,
            vec![HoldReason::CreditLimitExceeded],
            dec!(1100.01),
            dec!(1100.00)
        ))
    );
}

#[test]
fn open_receivables_count_and_unallocated_payments_reduce_exposure() {
    let mut g = with_payment();
    assert_eq!(
        g.exposure(HOSPITAL),
        Exposure {
            open_receivables: dec!(1130.00),
            shipped_not_invoiced: dec!(0),
            open_orders: dec!(100.00),
            unallocated: dec!(500.00),
        }
    );
    g.apply(&[credit_limit_set(HOSPITAL, dec!(1000.00), RiskGrade::A)]);
    // 1 130.00 + 100.00 - 500.00 = 730.00; + 270.00 reaches the limit exactly.
    let fits = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O3, HOSPITAL, 27, dec!(10.00))),
    ));
    assert!(!is_held(&fits), "{fits:?}");
    let over = accepted(when(
        &g,
        &sales(),
        Command::PlaceOrder(order_of(O3, HOSPITAL, 28, dec!(10.00))),
    ));
    assert_eq!(
        over.get(1),
        Some(&held(
            O3,
            vec![HoldReason::CreditLimitExceeded],
            dec!(1010.00),
            dec!(1000.00)
        ))
    );
}

// ReleaseOrder / RejectOrder / CancelOrder

#[test]
fn a_finance_manager_releases_a_held_order() {
    let mut g = with_held_order();
    let events = accepted(when(&g, &finance_manager(), release(O2)));
    assert_eq!(
        events,
        vec![Event::OrderReleased(OrderReleased {
            order_id: O2,
            by: "fiona".into(),
            note: Some("paid in advance".into()),
        })]
    );
    g.apply(&events);
    assert_eq!(g.order_status(O2), OrderStatus::Released);
    assert_eq!(g.exposure(DEALER).open_orders, dec!(50.00));
}

#[test]
fn releasing_an_unknown_order_is_refused() {
    let g = world();
    assert_not_found(
        when(&g, &finance_manager(), release(NO_SUCH_ORDER)),
        "order",
    );
}

#[test]
fn only_a_held_order_can_be_released() {
    let g = with_order();
    assert_invalid_state(when(&g, &finance_manager(), release(O1)), "order");
    let g = with_held_order().and(release(O2));
    assert_invalid_state(when(&g, &finance_manager(), release(O2)), "order");
}

#[test]
fn a_finance_manager_rejects_a_held_order() {
    let mut g = with_held_order();
    let events = accepted(when(&g, &finance_manager(), reject(O2)));
    assert_eq!(
        events,
        vec![Event::OrderRejected(OrderRejected {
            order_id: O2,
            by: "fiona".into(),
            note: Some("too risky".into()),
        })]
    );
    g.apply(&events);
    assert_eq!(g.order_status(O2), OrderStatus::Rejected);
    assert_eq!(g.exposure(DEALER).open_orders, dec!(0));
}

#[test]
fn rejecting_an_unknown_order_is_refused() {
    let g = world();
    assert_not_found(when(&g, &finance_manager(), reject(NO_SUCH_ORDER)), "order");
}

#[test]
fn only_a_held_order_can_be_rejected() {
    let g = with_order();
    assert_invalid_state(when(&g, &finance_manager(), reject(O1)), "order");
    let g = with_held_order().and(reject(O2));
    assert_invalid_state(when(&g, &finance_manager(), reject(O2)), "order");
}

#[test]
fn cancelling_an_open_order_removes_it_from_exposure() {
    let mut g = with_order();
    let events = accepted(when(&g, &sales(), cancel(O1)));
    assert_eq!(
        events,
        vec![Event::OrderCancelled(OrderCancelled {
            order_id: O1,
            reason: "customer withdrew".into(),
        })]
    );
    g.apply(&events);
    assert_eq!(g.order_status(O1), OrderStatus::Cancelled);
    assert_eq!(g.exposure(HOSPITAL).open_orders, dec!(0));
}

#[test]
fn cancelling_a_partially_shipped_order_cancels_only_the_unshipped_rest() {
    let mut g = with_shipment();
    let events = accepted(when(&g, &sales(), cancel(O1)));
    g.apply(&events);
    let e = g.exposure(HOSPITAL);
    assert_eq!(
        (e.open_orders, e.shipped_not_invoiced),
        (dec!(0), dec!(1000.00))
    );
    // What shipped can still be invoiced.
    assert!(when(&g, &finance(), Command::IssueInvoice(issue_i1())).is_ok());
}

#[test]
fn a_held_order_can_be_cancelled() {
    let mut g = with_held_order();
    let events = accepted(when(&g, &sales(), cancel(O2)));
    g.apply(&events);
    assert_eq!(g.order_status(O2), OrderStatus::Cancelled);
    assert_eq!(g.exposure(DEALER).open_orders, dec!(0));
}

#[test]
fn cancelling_without_a_reason_is_refused() {
    let g = with_order();
    assert_invalid(
        when(
            &g,
            &sales(),
            Command::CancelOrder(CancelOrder {
                order_id: O1,
                reason: " ".into(),
            }),
        ),
        "reason",
    );
}

#[test]
fn cancelling_an_unknown_order_is_refused() {
    let g = world();
    assert_not_found(when(&g, &sales(), cancel(NO_SUCH_ORDER)), "order");
}

#[test]
fn a_shipped_cancelled_or_rejected_order_cannot_be_cancelled() {
    let shipped = with_shipment().and(Command::ShipOrder(shipment(
        S2,
        O1,
        "2026-01-11",
        vec![ship_line(2, GTIN_B, "B1", 5)],
    )));
    assert_eq!(shipped.order_status(O1), OrderStatus::Shipped);
    assert_invalid_state(when(&shipped, &sales(), cancel(O1)), "order");
    let cancelled = with_order().and(cancel(O1));
    assert_invalid_state(when(&cancelled, &sales(), cancel(O1)), "order");
    let rejected = with_held_order().and(reject(O2));
    assert_invalid_state(when(&rejected, &sales(), cancel(O2)), "order");
}

// ---------------------------------------------------------------------------
// 4. Shipments: ShipOrder
// ---------------------------------------------------------------------------

fn ship(g: &Given, command: ShipOrder) -> Result<Vec<Event>, CommandError> {
    when(g, &warehouse(), Command::ShipOrder(command))
}

fn assert_overshipment(result: Result<Vec<Event>, CommandError>) {
    let err = assert_refused!(result, CommandError::Overshipment { .. });
    assert_eq!(err.code(), ErrorCode::Overshipment);
}

fn assert_not_released(result: Result<Vec<Event>, CommandError>, status: &str) {
    let err = assert_refused!(
        result,
        CommandError::OrderNotReleased { status: s, .. } if *s == status
    );
    assert_eq!(err.code(), ErrorCode::OrderNotReleased);
}

#[test]
fn shipping_records_lot_and_expiry_and_moves_the_value_to_shipped_not_invoiced() {
    let mut g = with_order();
    let events = accepted(ship(&g, ship_s1()));
    assert_eq!(
        events,
        vec![Event::OrderShipped(OrderShipped {
            shipment_id: S1,
            order_id: O1,
            shipped_on: d("2026-01-10"),
            ship_to: "Ward 3".into(),
            lines: vec![ShipmentLine {
                line_no: 1,
                gtin: gtin(GTIN_A),
                lot: "L1".into(),
                expires_on: d("2027-12-31"),
                serials: vec![],
                quantity: 10,
                udis: vec![],
            }],
        })]
    );
    g.apply(&events);
    assert_eq!(g.order_status(O1), OrderStatus::PartiallyShipped);
    let lot =
        g.0.lot(&gtin(GTIN_A), "L1")
            .map(|l| (l.shipped, l.shipped_to.get(&HOSPITAL).copied()));
    assert_eq!(lot, Some((10, Some(10))));
    let e = g.exposure(HOSPITAL);
    assert_eq!(
        (e.open_orders, e.shipped_not_invoiced),
        (dec!(100.00), dec!(1000.00))
    );
}

#[test]
fn shipping_every_line_in_full_marks_the_order_shipped() {
    let mut g = with_order();
    let events = accepted(ship(
        &g,
        shipment(
            S1,
            O1,
            "2026-01-10",
            vec![
                ship_line(1, GTIN_A, "L1", 10),
                ship_line(2, GTIN_B, "B1", 5),
            ],
        ),
    ));
    g.apply(&events);
    assert_eq!(g.order_status(O1), OrderStatus::Shipped);
    assert_eq!(g.exposure(HOSPITAL).open_orders, dec!(0));
}

#[test]
fn one_order_line_may_ship_from_several_lots() {
    let mut g = with_order();
    let events = accepted(ship(
        &g,
        shipment(
            S1,
            O1,
            "2026-01-10",
            vec![ship_line(1, GTIN_A, "L1", 6), ship_line(1, GTIN_A, "L2", 4)],
        ),
    ));
    g.apply(&events);
    assert_eq!(g.0.orders[&O1].lines[0].shipped, 10);
    assert_eq!(g.0.lot(&gtin(GTIN_A), "L2").map(|l| l.shipped), Some(4));
}

#[test]
fn a_released_order_ships() {
    let g = with_held_order().and(release(O2));
    assert!(
        ship(
            &g,
            shipment(S2, O2, "2026-02-02", vec![ship_line(1, GTIN_A, "L1", 5)])
        )
        .is_ok()
    );
}

#[test]
fn shipping_serialised_units_records_their_serials() {
    let mut g = with_order();
    let events = accepted(ship(
        &g,
        shipment(
            S1,
            O1,
            "2026-01-10",
            vec![ShipLineRequest {
                serials: vec!["SN1".into(), "SN2".into()],
                ..ship_line(1, GTIN_A, "L1", 2)
            }],
        ),
    ));
    g.apply(&events);
    let serials = g.0.lot(&gtin(GTIN_A), "L1").map(|l| l.serials.len());
    assert_eq!(serials, Some(2));
}

#[test]
fn shipping_with_an_overlong_ship_to_is_refused() {
    let g = with_order();
    assert_invalid(
        ship(
            &g,
            ShipOrder {
                ship_to: long_text(),
                ..ship_s1()
            },
        ),
        "ship_to",
    );
}

#[test]
fn a_shipment_without_lines_is_refused() {
    let g = with_order();
    assert_invalid(
        ship(
            &g,
            ShipOrder {
                lines: vec![],
                ..ship_s1()
            },
        ),
        "lines",
    );
}

#[test]
fn shipping_an_unknown_order_is_refused() {
    let g = with_order();
    assert_not_found(
        ship(
            &g,
            ShipOrder {
                order_id: NO_SUCH_ORDER,
                ..ship_s1()
            },
        ),
        "order",
    );
}

#[test]
fn shipping_a_held_order_is_refused() {
    let g = with_held_order();
    assert_not_released(
        ship(
            &g,
            shipment(S2, O2, "2026-02-02", vec![ship_line(1, GTIN_A, "L1", 5)]),
        ),
        "HELD",
    );
}

#[test]
fn shipping_a_rejected_or_cancelled_order_is_refused() {
    let rejected = with_held_order().and(reject(O2));
    assert_not_released(
        ship(
            &rejected,
            shipment(S2, O2, "2026-02-02", vec![ship_line(1, GTIN_A, "L1", 5)]),
        ),
        "REJECTED",
    );
    let cancelled = with_order().and(cancel(O1));
    assert_not_released(ship(&cancelled, ship_s1()), "CANCELLED");
}

/// `apply` trusts nothing a log says: a stored shipment taking more of a lot
/// than was released (a log no command could have written) is refused as a
/// broken log, rather than wrapping the lot's remaining count.
#[test]
fn folding_a_shipment_beyond_its_lots_release_is_refused() {
    let mut g = with_order();
    let mut events = accepted(ship(
        &g,
        shipment(S2, O1, "2026-01-11", vec![ship_line(1, GTIN_A, "L2", 5)]),
    ));
    let Some(Event::OrderShipped(shipped)) = events.first_mut() else {
        panic!("expected OrderShipped, got {events:?}");
    };
    shipped.lines[0].quantity = 8; // L2 released 5; O1 line 1 ordered 10.
    let err =
        g.0.apply(&events[0])
            .expect_err("a lot shipped beyond its release");
    assert!(err.to_string().contains("beyond its release"), "{err}");

    // After 5 units of B1 shipped, a count that would wrap around u64 is
    // refused too: it neither panics nor wraps back under the limits.
    let mut g = with_shipment().and(Command::ShipOrder(shipment(
        S2,
        O1,
        "2026-01-11",
        vec![ship_line(2, GTIN_B, "B1", 2)],
    )));
    let mut events = accepted(ship(
        &g,
        shipment(S3, O1, "2026-01-12", vec![ship_line(2, GTIN_B, "B1", 1)]),
    ));
    let Some(Event::OrderShipped(shipped)) = events.first_mut() else {
        panic!("expected OrderShipped, got {events:?}");
    };
    shipped.lines[0].quantity = u64::MAX - 1;
    let err = g.0.apply(&events[0]).expect_err("a count that wraps");
    assert!(err.to_string().contains("overflows"), "{err}");
}

/// A fully shipped order is still released; what refuses more is the
/// quantity rule (shipped <= ordered minus already shipped).
#[test]
fn shipping_a_fully_shipped_order_again_is_an_overshipment() {
    let g = with_shipment().and(Command::ShipOrder(shipment(
        S2,
        O1,
        "2026-01-11",
        vec![ship_line(2, GTIN_B, "B1", 5)],
    )));
    assert_eq!(g.order_status(O1), OrderStatus::Shipped);
    let err = assert_refused!(
        ship(
            &g,
            shipment(S3, O1, "2026-01-12", vec![ship_line(1, GTIN_A, "L1", 1)]),
        ),
        CommandError::Overshipment { detail } if detail.contains("shipped in full")
    );
    assert_eq!(err.code(), ErrorCode::Overshipment);
}

#[test]
fn shipping_under_a_shipment_id_already_used_is_refused() {
    let g = with_shipment();
    assert_exists(
        ship(
            &g,
            shipment(S1, O1, "2026-01-11", vec![ship_line(2, GTIN_B, "B1", 1)]),
        ),
        "shipment",
    );
}

#[test]
fn a_shipment_line_with_an_invalid_gtin_lot_or_quantity_is_refused() {
    let g = with_order();
    let cases = [
        (ship_line(1, "09506000134353", "L1", 1), "gtin"),
        (ship_line(1, GTIN_A, "", 1), "lot"),
        (ship_line(1, GTIN_A, "LOT WITH SPACES", 1), "lot"),
        (ship_line(1, GTIN_A, "L1", 0), "quantity"),
        (ship_line(1, GTIN_A, "L1", -3), "quantity"),
    ];
    for (l, field) in cases {
        assert_invalid(ship(&g, shipment(S1, O1, "2026-01-10", vec![l])), field);
    }
}

#[test]
fn shipping_against_an_unknown_order_line_is_refused() {
    let g = with_order();
    assert_not_found(
        ship(
            &g,
            shipment(S1, O1, "2026-01-10", vec![ship_line(9, GTIN_A, "L1", 1)]),
        ),
        "order line",
    );
}

#[test]
fn shipping_another_product_than_the_order_line_is_refused() {
    let g = with_order();
    assert_invalid(
        ship(
            &g,
            shipment(S1, O1, "2026-01-10", vec![ship_line(1, GTIN_B, "B1", 1)]),
        ),
        "gtin",
    );
}

#[test]
fn shipping_an_unknown_lot_is_refused() {
    let g = with_order();
    assert_not_found(
        ship(
            &g,
            shipment(S1, O1, "2026-01-10", vec![ship_line(1, GTIN_A, "L9", 1)]),
        ),
        "lot",
    );
}

#[test]
fn shipping_a_lot_expired_on_the_ship_date_is_refused() {
    let g = with_order();
    let err = assert_refused!(
        ship(&g, shipment(S1, O1, "2026-02-01", vec![ship_line(1, GTIN_A, "OLD", 1)])),
        CommandError::LotExpired { lot, expires_on, shipped_on, .. }
            if lot == "OLD" && *expires_on == d("2026-01-31") && *shipped_on == d("2026-02-01")
    );
    assert_eq!(err.code(), ErrorCode::LotExpired);
}

#[test]
fn a_lot_may_ship_on_its_expiry_date() {
    let g = with_order();
    assert!(
        ship(
            &g,
            shipment(S1, O1, "2026-01-31", vec![ship_line(1, GTIN_A, "OLD", 1)])
        )
        .is_ok()
    );
}

#[test]
fn shipping_a_recalled_lot_is_refused() {
    let g = with_order().and(Command::IssueRecall(recall(R1, GTIN_A, &["L1"])));
    let err = assert_refused!(
        ship(&g, ship_s1()),
        CommandError::LotRecalled { lot, recall, .. } if lot == "L1" && *recall == R1.to_string()
    );
    assert_eq!(err.code(), ErrorCode::LotRecalled);
    // Another lot of the same product is not affected.
    assert!(
        ship(
            &g,
            shipment(S1, O1, "2026-01-10", vec![ship_line(1, GTIN_A, "L2", 5)])
        )
        .is_ok()
    );
}

#[test]
fn shipping_more_than_the_ordered_quantity_is_refused() {
    let g = with_order();
    assert_overshipment(ship(
        &g,
        shipment(S1, O1, "2026-01-10", vec![ship_line(1, GTIN_A, "L1", 11)]),
    ));
}

#[test]
fn shipping_more_than_ordered_across_several_lots_is_refused() {
    let g = with_order();
    assert_overshipment(ship(
        &g,
        shipment(
            S1,
            O1,
            "2026-01-10",
            vec![ship_line(1, GTIN_A, "L1", 6), ship_line(1, GTIN_A, "L2", 5)],
        ),
    ));
}

#[test]
fn shipping_more_than_ordered_minus_already_shipped_is_refused() {
    let g = with_order().and(Command::ShipOrder(shipment(
        S1,
        O1,
        "2026-01-10",
        vec![ship_line(1, GTIN_A, "L1", 4)],
    )));
    assert_overshipment(ship(
        &g,
        shipment(S2, O1, "2026-01-11", vec![ship_line(1, GTIN_A, "L1", 7)]),
    ));
    assert!(
        ship(
            &g,
            shipment(S2, O1, "2026-01-11", vec![ship_line(1, GTIN_A, "L1", 6)])
        )
        .is_ok()
    );
}

#[test]
fn shipping_more_than_the_lots_released_quantity_is_refused() {
    let g = with_order();
    // L2 released 5 units; the order line has 10.
    assert_overshipment(ship(
        &g,
        shipment(S1, O1, "2026-01-10", vec![ship_line(1, GTIN_A, "L2", 6)]),
    ));
}

#[test]
fn shipping_more_than_the_lot_has_left_after_earlier_shipments_is_refused() {
    let g = with_order()
        .and(Command::ShipOrder(shipment(
            S1,
            O1,
            "2026-01-10",
            vec![ship_line(1, GTIN_A, "L2", 4)],
        )))
        .and(Command::PlaceOrder(order_of(O3, CLINIC, 3, dec!(100.00))));
    assert_overshipment(ship(
        &g,
        shipment(S2, O3, "2026-02-02", vec![ship_line(1, GTIN_A, "L2", 2)]),
    ));
}

#[test]
fn two_order_lines_taking_more_than_one_lot_holds_are_refused() {
    let g = world().and(Command::PlaceOrder(order(
        O3,
        "SO-3",
        HOSPITAL,
        "2026-01-05",
        vec![
            line(1, GTIN_A, 4, dec!(100.00)),
            line(2, GTIN_A, 4, dec!(90.00)),
        ],
    )));
    assert_overshipment(ship(
        &g,
        shipment(
            S1,
            O3,
            "2026-01-10",
            vec![ship_line(1, GTIN_A, "L2", 3), ship_line(2, GTIN_A, "L2", 3)],
        ),
    ));
}

#[test]
fn serials_must_be_one_per_unit_or_none() {
    let g = with_order();
    assert_invalid(
        ship(
            &g,
            shipment(
                S1,
                O1,
                "2026-01-10",
                vec![ShipLineRequest {
                    serials: vec!["SN1".into()],
                    ..ship_line(1, GTIN_A, "L1", 2)
                }],
            ),
        ),
        "serials",
    );
}

#[test]
fn a_serial_that_is_empty_or_not_printable_ascii_is_refused() {
    let g = with_order();
    for serial in ["", "SN 1"] {
        assert_invalid(
            ship(
                &g,
                shipment(
                    S1,
                    O1,
                    "2026-01-10",
                    vec![ShipLineRequest {
                        serials: vec![serial.into()],
                        ..ship_line(1, GTIN_A, "L1", 1)
                    }],
                ),
            ),
            "serials",
        );
    }
}

#[test]
fn a_serial_shipped_twice_is_refused() {
    let serialised = |id, serials: &[&str]| {
        shipment(
            id,
            O1,
            "2026-01-10",
            vec![ShipLineRequest {
                serials: serials.iter().map(|s| s.to_string()).collect(),
                ..ship_line(1, GTIN_A, "L1", i64::try_from(serials.len()).unwrap_or(0))
            }],
        )
    };
    let g = with_order();
    assert_invalid_state(ship(&g, serialised(S1, &["SN1", "SN1"])), "serial");
    let g = g.and(Command::ShipOrder(serialised(S1, &["SN1"])));
    assert_invalid_state(ship(&g, serialised(S2, &["SN2", "SN1"])), "serial");
}

#[test]
fn more_serials_or_udis_than_a_line_may_carry_are_refused() {
    let g = with_order();
    assert_invalid(
        ship(
            &g,
            shipment(
                S1,
                O1,
                "2026-01-10",
                vec![ShipLineRequest {
                    udis: vec!["x".into(); 10_001],
                    ..ship_line(1, GTIN_A, "L1", 1)
                }],
            ),
        ),
        "serials",
    );
}

fn ship_with_udis(udis: &[&str], serials: &[&str]) -> ShipOrder {
    shipment(
        S1,
        O1,
        "2026-01-10",
        vec![ShipLineRequest {
            udis: udis.iter().map(|u| u.to_string()).collect(),
            serials: serials.iter().map(|s| s.to_string()).collect(),
            ..ship_line(1, GTIN_A, "L1", 2)
        }],
    )
}

#[test]
fn a_udi_that_agrees_with_its_line_is_accepted_and_kept_raw() {
    let g = with_order();
    let udis = [
        "(01)09506000134352(17)271231(10)L1(21)SN1",
        "(01)09506000134352(17)271231(10)L1(21)SN2",
    ];
    let events = accepted(ship(&g, ship_with_udis(&udis, &["SN1", "SN2"])));
    assert!(
        matches!(&events[..], [Event::OrderShipped(s)] if s.lines[0].udis == udis),
        "{events:?}"
    );
}

#[test]
fn an_empty_or_overlong_udi_string_is_refused() {
    let g = with_order();
    let overlong = "1".repeat(1_001);
    for udi in ["", overlong.as_str()] {
        let err = assert_refused!(
            ship(&g, ship_with_udis(&[udi], &[])),
            CommandError::UdiInvalid(_)
        );
        assert_eq!(err.code(), ErrorCode::UdiInvalid);
    }
}

// Parsing UDI strings and checking them against the line (UDI_INVALID,
// UDI_MISMATCH) comes with the traceability issue; until then a shipment
// line carries its raw UDIs as scanned.

// AcceptDelivery

#[test]
fn accepting_a_delivery_records_it_on_the_shipment() {
    let mut g = with_shipment();
    let events = accepted(when(&g, &warehouse(), accept(S1, "2026-01-12")));
    assert_eq!(
        events,
        vec![Event::DeliveryAccepted(DeliveryAccepted {
            shipment_id: S1,
            order_id: O1,
            accepted_on: d("2026-01-12"),
            accepted_by: "Head nurse Li".into(),
        })]
    );
    g.apply(&events);
    assert_eq!(g.0.shipments[&S1].accepted_on, Some(d("2026-01-12")));
}

#[test]
fn a_delivery_may_be_accepted_on_its_ship_date() {
    let g = with_shipment();
    assert!(when(&g, &warehouse(), accept(S1, "2026-01-10")).is_ok());
}

#[test]
fn accepting_without_naming_who_accepted_is_refused() {
    let g = with_shipment();
    assert_invalid(
        when(
            &g,
            &warehouse(),
            Command::AcceptDelivery(AcceptDelivery {
                shipment_id: S1,
                accepted_on: d("2026-01-12"),
                accepted_by: " ".into(),
            }),
        ),
        "accepted_by",
    );
}

#[test]
fn accepting_an_unknown_shipment_is_refused() {
    let g = with_shipment();
    assert_not_found(
        when(&g, &warehouse(), accept(NO_SUCH_SHIPMENT, "2026-01-12")),
        "shipment",
    );
}

#[test]
fn a_delivery_is_accepted_once() {
    let g = with_shipment().and(accept(S1, "2026-01-12"));
    assert_invalid_state(when(&g, &warehouse(), accept(S1, "2026-01-13")), "shipment");
}

#[test]
fn accepting_before_the_ship_date_is_refused() {
    let g = with_shipment();
    assert_invalid(
        when(&g, &warehouse(), accept(S1, "2026-01-09")),
        "accepted_on",
    );
}

// ---------------------------------------------------------------------------
// 4. Invoices: IssueInvoice
// ---------------------------------------------------------------------------

fn issue(g: &Given, command: IssueInvoice) -> Result<Vec<Event>, CommandError> {
    when(g, &finance(), Command::IssueInvoice(command))
}

/// The installments of the single `InvoiceIssued` in `events`.
fn installments_of(events: &[Event]) -> Vec<Installment> {
    match events {
        [Event::InvoiceIssued(i)] => i.installments.clone(),
        other => panic!("expected one InvoiceIssued, got {other:?}"),
    }
}

/// Due dates of an invoice's installments as the write model knows them now.
fn due_dates(g: &Given, invoice: InvoiceId) -> Vec<Option<NaiveDate>> {
    g.0.invoices[&invoice]
        .installments
        .iter()
        .map(|i| i.plan.due_on)
        .collect()
}

fn with_terms(command: IssueInvoice, terms: PaymentTerms) -> IssueInvoice {
    IssueInvoice {
        terms: Some(terms),
        ..command
    }
}

#[test]
fn invoicing_a_shipment_line_bills_it_under_the_customers_terms() {
    let mut g = with_shipment();
    let events = accepted(issue(&g, issue_i1()));
    assert_eq!(
        events,
        vec![Event::InvoiceIssued(InvoiceIssued {
            invoice_id: I1,
            number: "INV-1".into(),
            customer_id: HOSPITAL,
            invoice_date: d("2026-01-15"),
            currency: Currency::USD,
            lines: vec![InvoiceLine {
                shipment_line: Some(ShipmentLineRef {
                    shipment_id: S1,
                    line_no: 1,
                }),
                quantity: 10,
                description: String::new(),
                amount: dec!(1000.00),
                tax: dec!(130.00),
            }],
            terms: net(30),
            installments: vec![Installment {
                no: 1,
                amount: usd(dec!(1130.00)),
                terms: installment(dec!(100), 30, TermsBase::Invoice),
                due_on: Some(d("2026-02-14")),
            }],
        })]
    );
    g.apply(&events);
    assert_eq!(g.0.shipments[&S1].lines[0].invoiced, 10);
    assert_eq!(g.invoice_open(I1), dec!(1130.00));
    assert_eq!(g.0.customers[&HOSPITAL].invoices, vec![I1]);
    let e = g.exposure(HOSPITAL);
    assert_eq!(
        (e.open_receivables, e.shipped_not_invoiced),
        (dec!(1130.00), dec!(0))
    );
}

#[test]
fn a_service_may_be_invoiced_without_a_shipment() {
    let g = world();
    let events = accepted(issue(
        &g,
        service_invoice(I2, HOSPITAL, "2026-01-20", dec!(250.00), net(15)),
    ));
    assert!(
        matches!(
            &events[..],
            [Event::InvoiceIssued(i)] if i.lines[0].shipment_line.is_none()
                && i.lines[0].quantity == 1
                && i.lines[0].description == "Training"
                && i.installments[0].due_on == Some(d("2026-02-04"))
        ),
        "{events:?}"
    );
}

#[test]
fn an_invoice_without_a_number_is_refused() {
    let g = with_shipment();
    assert_invalid(
        issue(
            &g,
            IssueInvoice {
                number: String::new(),
                ..issue_i1()
            },
        ),
        "number",
    );
}

#[test]
fn an_invoice_in_an_unknown_currency_is_refused() {
    let g = with_shipment();
    assert_invalid(
        issue(
            &g,
            IssueInvoice {
                currency: "XYZ".into(),
                ..issue_i1()
            },
        ),
        "currency",
    );
}

#[test]
fn an_invoice_for_an_unknown_customer_is_refused() {
    let g = with_shipment();
    assert_not_found(
        issue(
            &g,
            IssueInvoice {
                customer_id: NO_SUCH_CUSTOMER,
                ..issue_i1()
            },
        ),
        "customer",
    );
}

#[test]
fn an_invoice_without_lines_is_refused() {
    let g = with_shipment();
    assert_invalid(
        issue(
            &g,
            IssueInvoice {
                lines: vec![],
                ..issue_i1()
            },
        ),
        "lines",
    );
}

#[test]
fn an_invoice_without_terms_for_a_customer_without_terms_is_refused() {
    let g = world();
    assert_invalid(
        issue(
            &g,
            invoice(
                I2,
                "INV-2",
                DEALER,
                "2026-01-20",
                vec![service("Training", dec!(10.00))],
            ),
        ),
        "terms",
    );
}

#[test]
fn an_invoice_whose_installment_shares_do_not_sum_to_one_hundred_is_refused() {
    let g = with_shipment();
    let terms = PaymentTerms {
        installments: vec![
            installment(dec!(50), 30, TermsBase::Invoice),
            installment(dec!(49.99), 60, TermsBase::Invoice),
        ],
    };
    assert_invalid(issue(&g, with_terms(issue_i1(), terms)), "terms");
}

#[test]
fn an_invoice_line_with_a_negative_amount_or_tax_is_refused() {
    let g = with_shipment();
    assert_invalid(
        issue(
            &g,
            IssueInvoice {
                lines: vec![bill(S1, 1, dec!(-1.00), dec!(0))],
                ..issue_i1()
            },
        ),
        "amount",
    );
    assert_invalid(
        issue(
            &g,
            IssueInvoice {
                lines: vec![bill(S1, 1, dec!(1.00), dec!(-0.01))],
                ..issue_i1()
            },
        ),
        "tax",
    );
}

#[test]
fn an_invoice_amount_with_more_decimals_than_its_currency_is_refused() {
    let g = with_shipment();
    assert_invalid(
        issue(
            &g,
            IssueInvoice {
                lines: vec![bill(S1, 1, dec!(10.005), dec!(0))],
                ..issue_i1()
            },
        ),
        "amount",
    );
    assert_invalid(
        issue(
            &g,
            IssueInvoice {
                currency: "JPY".into(),
                ..service_invoice(I2, HOSPITAL, "2026-01-20", dec!(1.5), net(30))
            },
        ),
        "amount",
    );
}

#[test]
fn an_invoice_line_with_an_overlong_description_is_refused() {
    let g = world();
    assert_invalid(
        issue(
            &g,
            IssueInvoice {
                lines: vec![service(&long_text(), dec!(10.00))],
                ..service_invoice(I2, HOSPITAL, "2026-01-20", dec!(1.00), net(30))
            },
        ),
        "description",
    );
}

#[test]
fn a_service_line_without_a_description_is_refused() {
    let g = world();
    for description in [None, Some(" ".to_string())] {
        assert_invalid(
            issue(
                &g,
                IssueInvoice {
                    lines: vec![InvoiceLineRequest {
                        description,
                        ..service("x", dec!(10.00))
                    }],
                    ..service_invoice(I2, HOSPITAL, "2026-01-20", dec!(1.00), net(30))
                },
            ),
            "description",
        );
    }
}

#[test]
fn a_service_line_of_zero_or_negative_quantity_is_refused() {
    let g = world();
    for quantity in [0, -2] {
        assert_invalid(
            issue(
                &g,
                IssueInvoice {
                    lines: vec![InvoiceLineRequest {
                        quantity: Some(quantity),
                        ..service("Training", dec!(10.00))
                    }],
                    ..service_invoice(I2, HOSPITAL, "2026-01-20", dec!(1.00), net(30))
                },
            ),
            "quantity",
        );
    }
}

#[test]
fn invoicing_an_unknown_shipment_is_refused() {
    let g = with_shipment();
    assert_not_found(
        issue(
            &g,
            IssueInvoice {
                lines: vec![bill(NO_SUCH_SHIPMENT, 1, dec!(1.00), dec!(0))],
                ..issue_i1()
            },
        ),
        "shipment",
    );
}

#[test]
fn invoicing_another_customers_shipment_is_refused() {
    let g = with_shipment();
    assert_invalid(
        issue(
            &g,
            IssueInvoice {
                customer_id: CLINIC,
                ..issue_i1()
            },
        ),
        "shipment_id",
    );
}

#[test]
fn invoicing_a_shipment_in_another_currency_than_its_order_is_refused() {
    let g = with_shipment();
    let err = assert_refused!(
        issue(
            &g,
            IssueInvoice {
                currency: "EUR".into(),
                ..issue_i1()
            },
        ),
        CommandError::CurrencyMismatch { expected, got } if expected == "USD" && got == "EUR"
    );
    assert_eq!(err.code(), ErrorCode::CurrencyMismatch);
}

#[test]
fn invoicing_a_line_the_shipment_does_not_have_is_refused() {
    let g = with_shipment();
    // S1 shipped only order line 1.
    assert_not_found(
        issue(
            &g,
            IssueInvoice {
                lines: vec![bill(S1, 2, dec!(100.00), dec!(0))],
                ..issue_i1()
            },
        ),
        "shipment line",
    );
}

#[test]
fn a_shipment_line_reference_needs_both_shipment_and_line() {
    let g = with_shipment();
    let half = [
        InvoiceLineRequest {
            line_no: None,
            ..bill(S1, 1, dec!(1.00), dec!(0))
        },
        InvoiceLineRequest {
            shipment_id: None,
            ..bill(S1, 1, dec!(1.00), dec!(0))
        },
    ];
    for l in half {
        assert_invalid(
            issue(
                &g,
                IssueInvoice {
                    lines: vec![l],
                    ..issue_i1()
                },
            ),
            "line_no",
        );
    }
}

#[test]
fn an_invoice_totalling_zero_is_refused() {
    let g = with_shipment();
    assert_invalid(
        issue(
            &g,
            IssueInvoice {
                lines: vec![bill(S1, 1, dec!(0), dec!(0))],
                ..issue_i1()
            },
        ),
        "lines",
    );
}

#[test]
fn issuing_an_invoice_id_or_number_twice_is_refused() {
    let g = with_invoice();
    assert_exists(
        issue(
            &g,
            IssueInvoice {
                invoice_id: I1,
                ..service_invoice(I1, HOSPITAL, "2026-01-20", dec!(1.00), net(30))
            },
        ),
        "invoice",
    );
    assert_exists(
        issue(
            &g,
            IssueInvoice {
                number: "INV-1".into(),
                ..service_invoice(I2, HOSPITAL, "2026-01-20", dec!(1.00), net(30))
            },
        ),
        "invoice number",
    );
}

// Double billing

fn assert_double_billing(result: Result<Vec<Event>, CommandError>, remaining: u64, requested: u64) {
    let err = assert_refused!(
        result,
        CommandError::DoubleBilling { remaining: r, requested: q, .. }
            if *r == remaining && *q == requested
    );
    assert_eq!(err.code(), ErrorCode::DoubleBilling);
}

#[test]
fn invoicing_an_already_invoiced_shipment_line_again_is_double_billing() {
    let g = with_invoice();
    assert_double_billing(
        issue(
            &g,
            IssueInvoice {
                invoice_id: I2,
                number: "INV-2".into(),
                ..issue_i1()
            },
        ),
        0,
        0,
    );
    assert_double_billing(
        issue(
            &g,
            invoice(
                I2,
                "INV-2",
                HOSPITAL,
                "2026-01-16",
                vec![bill_units(S1, 1, 1)],
            ),
        ),
        0,
        1,
    );
}

#[test]
fn a_shipment_line_may_be_invoiced_in_parts_up_to_its_quantity() {
    let g = with_shipment()
        .and(Command::IssueInvoice(invoice(
            I1,
            "INV-1",
            HOSPITAL,
            "2026-01-15",
            vec![bill_units(S1, 1, 4)],
        )))
        .and(Command::IssueInvoice(invoice(
            I2,
            "INV-2",
            HOSPITAL,
            "2026-01-16",
            vec![bill_units(S1, 1, 6)],
        )));
    assert_eq!(g.0.shipments[&S1].lines[0].invoiced, 10);
    assert_eq!(g.exposure(HOSPITAL).shipped_not_invoiced, dec!(0));
    assert_double_billing(
        issue(
            &g,
            invoice(
                I3,
                "INV-3",
                HOSPITAL,
                "2026-01-17",
                vec![bill_units(S1, 1, 1)],
            ),
        ),
        0,
        1,
    );
}

#[test]
fn billing_more_than_shipped_within_one_invoice_is_double_billing() {
    let g = with_shipment();
    assert_double_billing(
        issue(
            &g,
            invoice(
                I1,
                "INV-1",
                HOSPITAL,
                "2026-01-15",
                vec![bill_units(S1, 1, 6), bill_units(S1, 1, 6)],
            ),
        ),
        4,
        6,
    );
    assert_double_billing(
        issue(
            &g,
            invoice(
                I1,
                "INV-1",
                HOSPITAL,
                "2026-01-15",
                vec![bill_units(S1, 1, 11)],
            ),
        ),
        10,
        11,
    );
}

#[test]
fn an_explicit_zero_quantity_on_a_shipment_line_is_refused() {
    let g = with_shipment();
    assert_invalid(
        issue(
            &g,
            invoice(
                I1,
                "INV-1",
                HOSPITAL,
                "2026-01-15",
                vec![bill_units(S1, 1, 0)],
            ),
        ),
        "quantity",
    );
}

// ---------------------------------------------------------------------------
// 5. Payment terms: installment schedules
// ---------------------------------------------------------------------------

#[test]
fn explicit_invoice_terms_override_the_customers_terms() {
    let g = with_shipment();
    let events = accepted(issue(&g, with_terms(issue_i1(), net(60))));
    assert_eq!(installments_of(&events)[0].due_on, Some(d("2026-03-16")));
}

/// Business dates run from 1900-01-01 to 9999-12-31 (the API's `Date` has
/// four-digit years); outside, a command is refused naming the field, so
/// that no due date is ever beyond what a date can hold (which would read
/// as "awaiting acceptance").
#[test]
fn business_dates_outside_1900_to_9999_are_refused_naming_the_field() {
    let g = with_payment();
    let year = |y: i32, m: u32, day: u32| NaiveDate::from_ymd_opt(y, m, day).unwrap();
    let cases: Vec<(Command, &str)> = vec![
        (
            Command::IssueInvoice(IssueInvoice {
                invoice_date: year(262_142, 12, 20),
                ..service_invoice(I2, HOSPITAL, "2026-01-15", dec!(10.00), net(30))
            }),
            "invoice_date",
        ),
        (
            Command::ReceivePayment(ReceivePayment {
                received_on: year(1899, 12, 31),
                ..payment(P2, HOSPITAL, dec!(1.00))
            }),
            "received_on",
        ),
        (
            Command::ReleaseLot(ReleaseLot {
                expires_on: year(10_000, 1, 1),
                ..release_lot(GTIN_B, "B9", 10)
            }),
            "expires_on",
        ),
        (
            Command::RecordCollectionActivity(RecordCollectionActivity {
                promised_pay_date: Some(year(10_000, 1, 1)),
                ..collection(HOSPITAL, vec![I1])
            }),
            "promised_pay_date",
        ),
    ];
    for (command, field) in cases {
        let name = command.name();
        let err = refused(when(&g, &admin(), command));
        assert!(
            matches!(&err, CommandError::InvalidInput { field: f, .. } if f == field),
            "{name}: {err:?}"
        );
    }
    let last_day = accepted(when(
        &g,
        &finance(),
        Command::IssueInvoice(IssueInvoice {
            invoice_date: year(9_999, 12, 31),
            ..service_invoice(I2, HOSPITAL, "2026-01-15", dec!(10.00), net(30))
        }),
    ));
    assert_eq!(
        installments_of(&last_day)[0].due_on,
        Some(year(10_000, 1, 30))
    );
    accepted(when(
        &g,
        &finance(),
        Command::ReceivePayment(ReceivePayment {
            received_on: year(1900, 1, 1),
            ..payment(P2, HOSPITAL, dec!(1.00))
        }),
    ));
}

/// Contract terms apply to the invoices naming the contract only; the
/// others keep the customer's default terms (net 30 for HOSPITAL).
#[test]
fn an_invoice_naming_a_contract_takes_its_terms_and_the_others_do_not() {
    let g = with_shipment().and(Command::SetPaymentTerms(set_contract_terms(
        HOSPITAL,
        "K-9",
        net(90),
    )));
    let plain = accepted(issue(&g, issue_i1()));
    assert_eq!(installments_of(&plain)[0].due_on, Some(d("2026-02-14")));
    let under_contract = accepted(issue(
        &g,
        IssueInvoice {
            contract_id: Some("K-9".into()),
            ..issue_i1()
        },
    ));
    assert_eq!(
        installments_of(&under_contract)[0].due_on,
        Some(d("2026-04-15"))
    );
    let explicit = accepted(issue(
        &g,
        IssueInvoice {
            contract_id: Some("K-9".into()),
            ..with_terms(issue_i1(), net(60))
        },
    ));
    assert_eq!(
        installments_of(&explicit)[0].due_on,
        Some(d("2026-03-16")),
        "terms given on the invoice still come first"
    );
}

#[test]
fn an_invoice_naming_a_contract_without_terms_is_refused() {
    let g = with_shipment().and(Command::SetPaymentTerms(set_contract_terms(
        CLINIC,
        "K-9",
        net(90),
    )));
    // K-9 is CLINIC's contract, not HOSPITAL's.
    assert_not_found(
        issue(
            &g,
            IssueInvoice {
                contract_id: Some("K-9".into()),
                ..issue_i1()
            },
        ),
        "contract",
    );
    assert_invalid(
        issue(
            &g,
            IssueInvoice {
                contract_id: Some(long_text()),
                ..issue_i1()
            },
        ),
        "contract_id",
    );
}

#[test]
fn days_after_shipment_count_from_the_latest_ship_date() {
    let g = with_shipment().and(Command::ShipOrder(shipment(
        S2,
        O1,
        "2026-01-13",
        vec![ship_line(2, GTIN_B, "B1", 5)],
    )));
    let one = accepted(issue(
        &g,
        with_terms(issue_i1(), PaymentTerms::single(20, TermsBase::Shipment)),
    ));
    assert_eq!(installments_of(&one)[0].due_on, Some(d("2026-01-30")));
    let both = accepted(issue(
        &g,
        IssueInvoice {
            lines: vec![
                bill(S1, 1, dec!(1000.00), dec!(0)),
                bill(S2, 2, dec!(100.00), dec!(0)),
            ],
            ..with_terms(issue_i1(), PaymentTerms::single(20, TermsBase::Shipment))
        },
    ));
    assert_eq!(installments_of(&both)[0].due_on, Some(d("2026-02-02")));
}

#[test]
fn an_acceptance_based_due_date_becomes_known_when_the_delivery_is_accepted() {
    let mut g = with_shipment();
    let events = accepted(issue(
        &g,
        with_terms(issue_i1(), PaymentTerms::single(30, TermsBase::Acceptance)),
    ));
    assert_eq!(installments_of(&events)[0].due_on, None);
    g.apply(&events);
    assert_eq!(due_dates(&g, I1), vec![None]);
    // Awaiting acceptance is never overdue.
    assert!(!g.0.invoices[&I1].overdue_on(d("2030-01-01")));

    let accepted_events = accepted(when(&g, &warehouse(), accept(S1, "2026-01-12")));
    g.apply(&accepted_events);
    assert_eq!(due_dates(&g, I1), vec![Some(d("2026-02-11"))]);
    assert!(g.0.invoices[&I1].overdue_on(d("2026-02-12")));
}

#[test]
fn an_invoice_issued_after_acceptance_knows_its_acceptance_based_due_date() {
    let g = with_shipment().and(accept(S1, "2026-01-12"));
    let events = accepted(issue(
        &g,
        with_terms(issue_i1(), PaymentTerms::single(30, TermsBase::Acceptance)),
    ));
    assert_eq!(installments_of(&events)[0].due_on, Some(d("2026-02-11")));
}

#[test]
fn an_acceptance_based_due_date_waits_for_every_billed_shipment_and_counts_from_the_last() {
    let mut g = with_shipment()
        .and(Command::ShipOrder(shipment(
            S2,
            O1,
            "2026-01-11",
            vec![ship_line(2, GTIN_B, "B1", 5)],
        )))
        .and(Command::IssueInvoice(IssueInvoice {
            lines: vec![
                bill(S1, 1, dec!(1000.00), dec!(0)),
                bill(S2, 2, dec!(100.00), dec!(0)),
            ],
            ..with_terms(issue_i1(), PaymentTerms::single(30, TermsBase::Acceptance))
        }));
    let first = accepted(when(&g, &warehouse(), accept(S2, "2026-01-20")));
    g.apply(&first);
    assert_eq!(due_dates(&g, I1), vec![None]);
    let second = accepted(when(&g, &warehouse(), accept(S1, "2026-01-14")));
    g.apply(&second);
    assert_eq!(due_dates(&g, I1), vec![Some(d("2026-02-19"))]);
}

#[test]
fn end_of_month_terms_count_from_the_last_day_of_the_invoice_month() {
    let g = with_shipment();
    let events = accepted(issue(
        &g,
        with_terms(issue_i1(), PaymentTerms::single(30, TermsBase::EndOfMonth)),
    ));
    assert_eq!(installments_of(&events)[0].due_on, Some(d("2026-03-02")));
    let events = accepted(issue(
        &g,
        IssueInvoice {
            invoice_date: d("2028-02-03"),
            ..with_terms(issue_i1(), PaymentTerms::single(0, TermsBase::EndOfMonth))
        },
    ));
    assert_eq!(installments_of(&events)[0].due_on, Some(d("2028-02-29")));
}

#[test]
fn a_service_only_invoice_counts_shipment_and_acceptance_terms_from_the_invoice_date() {
    let g = world();
    for base in [TermsBase::Shipment, TermsBase::Acceptance] {
        let events = accepted(issue(
            &g,
            service_invoice(
                I2,
                HOSPITAL,
                "2026-01-20",
                dec!(10.00),
                PaymentTerms::single(10, base),
            ),
        ));
        assert_eq!(installments_of(&events)[0].due_on, Some(d("2026-01-30")));
    }
}

#[test]
fn each_installment_of_a_split_schedule_has_its_own_base() {
    let mut g = with_shipment();
    let terms = PaymentTerms {
        installments: vec![
            installment(dec!(30), 0, TermsBase::Invoice),
            installment(dec!(70), 60, TermsBase::Acceptance),
        ],
    };
    let events = accepted(issue(&g, with_terms(issue_i1(), terms.clone())));
    assert_eq!(
        installments_of(&events),
        vec![
            Installment {
                no: 1,
                amount: usd(dec!(339.00)),
                terms: terms.installments[0].clone(),
                due_on: Some(d("2026-01-15")),
            },
            Installment {
                no: 2,
                amount: usd(dec!(791.00)),
                terms: terms.installments[1].clone(),
                due_on: None,
            },
        ]
    );
    g.apply(&events);
    let accepted_events = accepted(when(&g, &warehouse(), accept(S1, "2026-01-12")));
    g.apply(&accepted_events);
    assert_eq!(
        due_dates(&g, I1),
        vec![Some(d("2026-01-15")), Some(d("2026-03-13"))]
    );
}

#[test]
fn installment_rounding_differences_go_to_the_last_installment() {
    let g = world();
    let thirds = PaymentTerms {
        installments: vec![
            installment(dec!(33.33), 30, TermsBase::Invoice),
            installment(dec!(33.33), 60, TermsBase::Invoice),
            installment(dec!(33.34), 90, TermsBase::Invoice),
        ],
    };
    let events = accepted(issue(
        &g,
        service_invoice(I2, HOSPITAL, "2026-01-20", dec!(100.01), thirds.clone()),
    ));
    let amounts: Vec<Decimal> = installments_of(&events)
        .iter()
        .map(|i| i.amount.amount)
        .collect();
    assert_eq!(amounts, vec![dec!(33.33), dec!(33.33), dec!(33.35)]);
    assert_eq!(amounts.iter().sum::<Decimal>(), dec!(100.01));

    let yen = accepted(issue(
        &g,
        IssueInvoice {
            currency: "JPY".into(),
            ..service_invoice(I2, HOSPITAL, "2026-01-20", dec!(1000), thirds)
        },
    ));
    let amounts: Vec<Money> = installments_of(&yen).iter().map(|i| i.amount).collect();
    assert_eq!(
        amounts,
        vec![
            money(dec!(333), Currency::JPY),
            money(dec!(333), Currency::JPY),
            money(dec!(334), Currency::JPY),
        ]
    );
}

// ---------------------------------------------------------------------------
// 4. Credit notes: IssueCreditNote
// ---------------------------------------------------------------------------

fn assert_over_credit(result: Result<Vec<Event>, CommandError>) {
    let err = assert_refused!(result, CommandError::OverCredit(_));
    assert_eq!(err.code(), ErrorCode::OverCredit);
}

#[test]
fn a_credit_note_reduces_the_invoice_and_the_exposure() {
    let mut g = with_invoice();
    let events = accepted(when(
        &g,
        &finance(),
        Command::IssueCreditNote(credit_note(CN1, I1, dec!(130.00))),
    ));
    assert_eq!(
        events,
        vec![Event::CreditNoteIssued(CreditNoteIssued {
            credit_note_id: CN1,
            invoice_id: I1,
            amount: usd(dec!(130.00)),
            reason: CreditReason::Return,
            issued_on: d("2026-01-20"),
        })]
    );
    g.apply(&events);
    assert_eq!(g.invoice_open(I1), dec!(1000.00));
    assert_eq!(g.exposure(HOSPITAL).open_receivables, dec!(1000.00));
}

#[test]
fn a_credit_note_may_clear_the_whole_open_amount() {
    let mut g = with_invoice();
    let events = accepted(when(
        &g,
        &finance(),
        Command::IssueCreditNote(credit_note(CN1, I1, dec!(1130.00))),
    ));
    g.apply(&events);
    assert_eq!(g.invoice_open(I1), dec!(0));
}

#[test]
fn a_credit_note_on_an_unknown_invoice_is_refused() {
    let g = with_invoice();
    assert_not_found(
        when(
            &g,
            &finance(),
            Command::IssueCreditNote(credit_note(CN1, NO_SUCH_INVOICE, dec!(1.00))),
        ),
        "invoice",
    );
}

#[test]
fn a_credit_note_of_zero_negative_or_too_precise_an_amount_is_refused() {
    let g = with_invoice();
    for amount in [dec!(0), dec!(-1.00), dec!(10.005)] {
        assert_invalid(
            when(
                &g,
                &finance(),
                Command::IssueCreditNote(credit_note(CN1, I1, amount)),
            ),
            "amount",
        );
    }
}

#[test]
fn a_credit_note_over_the_open_amount_is_refused() {
    let g = with_invoice();
    assert_over_credit(when(
        &g,
        &finance(),
        Command::IssueCreditNote(credit_note(CN1, I1, dec!(1130.01))),
    ));
    // What was paid is no longer open.
    let g = with_payment().and(Command::AllocatePayment(allocate(P1, I1, dec!(500.00))));
    assert_over_credit(when(
        &g,
        &finance(),
        Command::IssueCreditNote(credit_note(CN1, I1, dec!(630.01))),
    ));
    assert!(
        when(
            &g,
            &finance(),
            Command::IssueCreditNote(credit_note(CN1, I1, dec!(630.00))),
        )
        .is_ok()
    );
}

#[test]
fn issuing_a_credit_note_id_twice_is_refused() {
    let g = with_invoice().and(Command::IssueCreditNote(credit_note(CN1, I1, dec!(10.00))));
    assert_exists(
        when(
            &g,
            &finance(),
            Command::IssueCreditNote(credit_note(CN1, I1, dec!(10.00))),
        ),
        "credit note",
    );
    assert!(
        when(
            &g,
            &finance(),
            Command::IssueCreditNote(credit_note(CN2, I1, dec!(10.00))),
        )
        .is_ok()
    );
}

// ---------------------------------------------------------------------------
// 4. Payments: ReceivePayment (and auto-allocation)
// ---------------------------------------------------------------------------

fn receive(g: &Given, command: ReceivePayment) -> Result<Vec<Event>, CommandError> {
    when(g, &finance(), Command::ReceivePayment(command))
}

fn allocated(
    payment: PaymentId,
    invoice: InvoiceId,
    installment_no: Option<u32>,
    amount: Decimal,
) -> Event {
    Event::PaymentAllocated(PaymentAllocated {
        payment_id: payment,
        invoice_id: invoice,
        installment_no,
        amount: usd(amount),
    })
}

#[test]
fn receiving_a_payment_puts_it_on_account() {
    let mut g = with_invoice();
    let events = accepted(receive(&g, payment(P1, HOSPITAL, dec!(500.00))));
    assert_eq!(
        events,
        vec![Event::PaymentReceived(PaymentReceived {
            payment_id: P1,
            customer_id: HOSPITAL,
            amount: usd(dec!(500.00)),
            received_on: d("2026-02-01"),
            method: PaymentMethod::BankTransfer,
            bank_reference: Some("TX-001".into()),
        })]
    );
    g.apply(&events);
    assert_eq!(g.0.payments[&P1].unallocated(), dec!(500.00));
    assert_eq!(g.exposure(HOSPITAL).unallocated, dec!(500.00));
    assert_eq!(g.invoice_open(I1), dec!(1130.00));
}

#[test]
fn a_payment_in_an_unknown_currency_is_refused() {
    let g = with_invoice();
    assert_invalid(
        receive(
            &g,
            ReceivePayment {
                currency: "XYZ".into(),
                ..payment(P1, HOSPITAL, dec!(1.00))
            },
        ),
        "currency",
    );
}

#[test]
fn a_payment_of_zero_or_a_negative_amount_is_refused() {
    let g = with_invoice();
    for amount in [dec!(0), dec!(-0.01)] {
        assert_invalid(receive(&g, payment(P1, HOSPITAL, amount)), "amount");
    }
}

#[test]
fn a_payment_with_more_decimals_than_its_currency_is_refused() {
    let g = with_invoice();
    assert_invalid(receive(&g, payment(P1, HOSPITAL, dec!(10.005))), "amount");
    assert_invalid(
        receive(
            &g,
            ReceivePayment {
                currency: "JPY".into(),
                ..payment(P1, HOSPITAL, dec!(1.5))
            },
        ),
        "amount",
    );
    // Trailing zeros are not extra precision.
    assert!(receive(&g, payment(P1, HOSPITAL, dec!(10.500))).is_ok());
}

#[test]
fn a_payment_with_an_overlong_bank_reference_is_refused() {
    let g = with_invoice();
    assert_invalid(
        receive(
            &g,
            ReceivePayment {
                bank_reference: Some(long_text()),
                ..payment(P1, HOSPITAL, dec!(1.00))
            },
        ),
        "bank_reference",
    );
}

#[test]
fn a_payment_from_an_unknown_customer_is_refused() {
    let g = with_invoice();
    assert_not_found(
        receive(&g, payment(P1, NO_SUCH_CUSTOMER, dec!(1.00))),
        "customer",
    );
}

#[test]
fn receiving_a_payment_id_twice_is_refused() {
    let g = with_payment();
    assert_exists(receive(&g, payment(P1, HOSPITAL, dec!(1.00))), "payment");
}

/// HOSPITAL owes I1 (300.00, due 01-31), I2 (200.00, due 01-20, issued later)
/// and I3 (100.00 EUR, due 01-06).
fn with_three_open_invoices() -> Given {
    world()
        .and(Command::IssueInvoice(service_invoice(
            I1,
            HOSPITAL,
            "2026-01-01",
            dec!(300.00),
            net(30),
        )))
        .and(Command::IssueInvoice(service_invoice(
            I2,
            HOSPITAL,
            "2026-01-10",
            dec!(200.00),
            net(10),
        )))
        .and(Command::IssueInvoice(IssueInvoice {
            currency: "EUR".into(),
            ..service_invoice(I3, HOSPITAL, "2026-01-01", dec!(100.00), net(5))
        }))
}

fn auto(command: ReceivePayment) -> ReceivePayment {
    ReceivePayment {
        auto_allocate: true,
        ..command
    }
}

#[test]
fn auto_allocation_pays_the_oldest_due_date_first_and_leaves_the_rest_on_account() {
    let mut g = with_three_open_invoices();
    let events = accepted(receive(&g, auto(payment(P1, HOSPITAL, dec!(600.00)))));
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(matches!(&events[0], Event::PaymentReceived(p) if p.payment_id == P1));
    // I2 is the newer invoice but falls due first; the EUR invoice is skipped.
    assert_eq!(
        events[1..],
        [
            allocated(P1, I2, Some(1), dec!(200.00)),
            allocated(P1, I1, Some(1), dec!(300.00)),
        ]
    );
    g.apply(&events);
    assert_eq!(g.0.payments[&P1].unallocated(), dec!(100.00));
    assert_eq!((g.invoice_open(I1), g.invoice_open(I2)), (dec!(0), dec!(0)));
    assert_eq!(g.invoice_open(I3), dec!(100.00));
    let e = g.exposure(HOSPITAL);
    assert_eq!((e.open_receivables, e.unallocated), (dec!(0), dec!(100.00)));
}

#[test]
fn auto_allocation_stops_when_the_payment_is_used_up() {
    let mut g = with_three_open_invoices();
    let events = accepted(receive(&g, auto(payment(P1, HOSPITAL, dec!(250.00)))));
    assert_eq!(
        events[1..],
        [
            allocated(P1, I2, Some(1), dec!(200.00)),
            allocated(P1, I1, Some(1), dec!(50.00)),
        ]
    );
    g.apply(&events);
    assert_eq!(g.0.payments[&P1].unallocated(), dec!(0));
    assert_eq!(g.invoice_open(I1), dec!(250.00));
}

#[test]
fn auto_allocation_orders_installments_across_invoices_by_due_date() {
    let halves = PaymentTerms {
        installments: vec![
            installment(dec!(50), 10, TermsBase::Invoice),
            installment(dec!(50), 40, TermsBase::Invoice),
        ],
    };
    let g = world()
        .and(Command::IssueInvoice(service_invoice(
            I1,
            HOSPITAL,
            "2026-01-01",
            dec!(200.00),
            halves,
        )))
        .and(Command::IssueInvoice(service_invoice(
            I2,
            HOSPITAL,
            "2026-01-05",
            dec!(100.00),
            net(30),
        )));
    // Due: I1#1 01-11, I2#1 02-04, I1#2 02-10.
    let events = accepted(receive(&g, auto(payment(P1, HOSPITAL, dec!(1000.00)))));
    assert_eq!(
        events[1..],
        [
            allocated(P1, I1, Some(1), dec!(100.00)),
            allocated(P1, I2, Some(1), dec!(100.00)),
            allocated(P1, I1, Some(2), dec!(100.00)),
        ]
    );
}

#[test]
fn auto_allocation_pays_installments_awaiting_acceptance_last() {
    let g = with_shipment()
        .and(Command::IssueInvoice(with_terms(
            issue_i1(),
            PaymentTerms::single(30, TermsBase::Acceptance),
        )))
        .and(Command::IssueInvoice(service_invoice(
            I2,
            HOSPITAL,
            "2026-01-20",
            dec!(100.00),
            net(30),
        )));
    let events = accepted(receive(&g, auto(payment(P1, HOSPITAL, dec!(200.00)))));
    assert_eq!(
        events[1..],
        [
            allocated(P1, I2, Some(1), dec!(100.00)),
            allocated(P1, I1, Some(1), dec!(100.00)),
        ]
    );
}

#[test]
fn auto_allocation_with_nothing_open_leaves_the_whole_payment_on_account() {
    let mut g = world();
    let events = accepted(receive(&g, auto(payment(P1, HOSPITAL, dec!(75.00)))));
    assert_eq!(events.len(), 1);
    g.apply(&events);
    assert_eq!(g.0.payments[&P1].unallocated(), dec!(75.00));
}

// AllocatePayment

fn allocate_as_finance(g: &Given, command: AllocatePayment) -> Result<Vec<Event>, CommandError> {
    when(g, &finance(), Command::AllocatePayment(command))
}

fn assert_overallocation(result: Result<Vec<Event>, CommandError>) {
    let err = assert_refused!(result, CommandError::Overallocation(_));
    assert_eq!(err.code(), ErrorCode::Overallocation);
}

/// I1 split 50/50 (565.00 due 02-14, 565.00 due 03-16), P1 of 500.00 on account.
fn with_split_invoice_and_payment() -> Given {
    let halves = PaymentTerms {
        installments: vec![
            installment(dec!(50), 30, TermsBase::Invoice),
            installment(dec!(50), 60, TermsBase::Invoice),
        ],
    };
    with_shipment()
        .and(Command::IssueInvoice(with_terms(issue_i1(), halves)))
        .and(Command::ReceivePayment(payment(P1, HOSPITAL, dec!(500.00))))
}

#[test]
fn allocating_a_payment_reduces_the_invoice_and_the_money_on_account() {
    let mut g = with_payment();
    let events = accepted(allocate_as_finance(&g, allocate(P1, I1, dec!(300.00))));
    assert_eq!(events, vec![allocated(P1, I1, None, dec!(300.00))]);
    g.apply(&events);
    assert_eq!(g.invoice_open(I1), dec!(830.00));
    assert_eq!(g.0.payments[&P1].unallocated(), dec!(200.00));
    let e = g.exposure(HOSPITAL);
    assert_eq!(
        (e.open_receivables, e.unallocated),
        (dec!(830.00), dec!(200.00))
    );
}

#[test]
fn allocating_to_a_named_installment_reduces_only_that_installment() {
    let mut g = with_split_invoice_and_payment();
    let events = accepted(allocate_as_finance(
        &g,
        AllocatePayment {
            installment_no: Some(2),
            ..allocate(P1, I1, dec!(400.00))
        },
    ));
    assert_eq!(events, vec![allocated(P1, I1, Some(2), dec!(400.00))]);
    g.apply(&events);
    let open: Vec<Decimal> = g.0.invoices[&I1]
        .installments
        .iter()
        .map(|i| i.open)
        .collect();
    assert_eq!(open, vec![dec!(565.00), dec!(165.00)]);
}

#[test]
fn allocating_an_unknown_payment_is_refused() {
    let g = with_payment();
    assert_not_found(
        allocate_as_finance(&g, allocate(NO_SUCH_PAYMENT, I1, dec!(1.00))),
        "payment",
    );
}

#[test]
fn allocating_a_reversed_payment_is_refused() {
    let g = with_payment().and(Command::ReversePayment(reverse(P1)));
    assert_invalid_state(
        allocate_as_finance(&g, allocate(P1, I1, dec!(1.00))),
        "payment",
    );
}

#[test]
fn allocating_to_an_unknown_invoice_is_refused() {
    let g = with_payment();
    assert_not_found(
        allocate_as_finance(&g, allocate(P1, NO_SUCH_INVOICE, dec!(1.00))),
        "invoice",
    );
}

#[test]
fn allocating_to_another_customers_invoice_is_refused() {
    let g = with_payment().and(Command::IssueInvoice(service_invoice(
        I2,
        CLINIC,
        "2026-01-20",
        dec!(100.00),
        net(30),
    )));
    assert_invalid_state(
        allocate_as_finance(&g, allocate(P1, I2, dec!(1.00))),
        "payment",
    );
}

#[test]
fn allocating_to_an_invoice_in_another_currency_is_refused() {
    let g = with_payment().and(Command::IssueInvoice(IssueInvoice {
        currency: "EUR".into(),
        ..service_invoice(I2, HOSPITAL, "2026-01-20", dec!(100.00), net(30))
    }));
    let err = assert_refused!(
        allocate_as_finance(&g, allocate(P1, I2, dec!(1.00))),
        CommandError::CurrencyMismatch { expected, got } if expected == "EUR" && got == "USD"
    );
    assert_eq!(err.code(), ErrorCode::CurrencyMismatch);
}

#[test]
fn allocating_zero_a_negative_or_too_precise_an_amount_is_refused() {
    let g = with_payment();
    for amount in [dec!(0), dec!(-5.00), dec!(10.005)] {
        assert_invalid(allocate_as_finance(&g, allocate(P1, I1, amount)), "amount");
    }
}

#[test]
fn allocating_beyond_the_payments_unallocated_rest_is_refused() {
    let g = with_payment();
    assert_overallocation(allocate_as_finance(&g, allocate(P1, I1, dec!(500.01))));
    let g = g.and(Command::AllocatePayment(allocate(P1, I1, dec!(300.00))));
    assert_overallocation(allocate_as_finance(&g, allocate(P1, I1, dec!(200.01))));
    assert!(allocate_as_finance(&g, allocate(P1, I1, dec!(200.00))).is_ok());
}

#[test]
fn allocating_beyond_the_invoices_open_amount_is_refused() {
    let g = with_invoice()
        .and(Command::IssueCreditNote(credit_note(CN1, I1, dec!(130.00))))
        .and(Command::ReceivePayment(payment(
            P1,
            HOSPITAL,
            dec!(2000.00),
        )));
    assert_overallocation(allocate_as_finance(&g, allocate(P1, I1, dec!(1000.01))));
    assert!(allocate_as_finance(&g, allocate(P1, I1, dec!(1000.00))).is_ok());
}

#[test]
fn allocating_beyond_a_named_installments_open_amount_is_refused() {
    let g = with_shipment()
        .and(Command::IssueInvoice(with_terms(
            issue_i1(),
            PaymentTerms {
                installments: vec![
                    installment(dec!(10), 0, TermsBase::Invoice),
                    installment(dec!(90), 30, TermsBase::Invoice),
                ],
            },
        )))
        .and(Command::ReceivePayment(payment(P1, HOSPITAL, dec!(500.00))));
    // Installment 1 has 113.00 open; the payment and the invoice have more.
    assert_overallocation(allocate_as_finance(
        &g,
        AllocatePayment {
            installment_no: Some(1),
            ..allocate(P1, I1, dec!(113.01))
        },
    ));
    assert!(
        allocate_as_finance(
            &g,
            AllocatePayment {
                installment_no: Some(1),
                ..allocate(P1, I1, dec!(113.00))
            },
        )
        .is_ok()
    );
}

#[test]
fn allocating_to_an_installment_the_invoice_does_not_have_is_refused() {
    let g = with_payment();
    assert_not_found(
        allocate_as_finance(
            &g,
            AllocatePayment {
                installment_no: Some(2),
                ..allocate(P1, I1, dec!(1.00))
            },
        ),
        "installment",
    );
}

// ReversePayment

#[test]
fn reversing_a_payment_restores_the_open_amounts_it_paid() {
    let mut g = with_payment().and(Command::AllocatePayment(allocate(P1, I1, dec!(300.00))));
    assert_eq!(g.invoice_open(I1), dec!(830.00));
    let events = accepted(when(&g, &finance(), Command::ReversePayment(reverse(P1))));
    assert_eq!(
        events,
        vec![Event::PaymentReversed(PaymentReversed {
            payment_id: P1,
            reason: "transfer bounced".into(),
            reversed_on: d("2026-02-05"),
        })]
    );
    g.apply(&events);
    assert_eq!(g.invoice_open(I1), dec!(1130.00));
    assert!(g.0.payments[&P1].reversed);
    assert_eq!(
        g.exposure(HOSPITAL),
        Exposure {
            open_receivables: dec!(1130.00),
            shipped_not_invoiced: dec!(0),
            open_orders: dec!(100.00),
            unallocated: dec!(0),
        }
    );
}

#[test]
fn reversing_an_auto_allocated_payment_restores_every_installment_it_paid() {
    let mut g = with_three_open_invoices().and(Command::ReceivePayment(auto(payment(
        P1,
        HOSPITAL,
        dec!(250.00),
    ))));
    let events = accepted(when(&g, &finance(), Command::ReversePayment(reverse(P1))));
    g.apply(&events);
    assert_eq!(
        (g.invoice_open(I1), g.invoice_open(I2)),
        (dec!(300.00), dec!(200.00))
    );
    let e = g.exposure(HOSPITAL);
    assert_eq!((e.open_receivables, e.unallocated), (dec!(500.00), dec!(0)));
}

#[test]
fn reversing_without_a_reason_is_refused() {
    let g = with_payment();
    assert_invalid(
        when(
            &g,
            &finance(),
            Command::ReversePayment(ReversePayment {
                reason: String::new(),
                ..reverse(P1)
            }),
        ),
        "reason",
    );
}

#[test]
fn reversing_an_unknown_payment_is_refused() {
    let g = with_payment();
    assert_not_found(
        when(
            &g,
            &finance(),
            Command::ReversePayment(reverse(NO_SUCH_PAYMENT)),
        ),
        "payment",
    );
}

#[test]
fn a_payment_is_reversed_once() {
    let g = with_payment().and(Command::ReversePayment(reverse(P1)));
    assert_invalid_state(
        when(&g, &finance(), Command::ReversePayment(reverse(P1))),
        "payment",
    );
}

// ---------------------------------------------------------------------------
// 4. Write-offs and recoveries
// ---------------------------------------------------------------------------

#[test]
fn a_finance_manager_writes_off_part_of_an_invoice() {
    let mut g = with_invoice();
    let events = accepted(when(
        &g,
        &finance_manager(),
        Command::WriteOffInvoice(write_off(I1, dec!(130.00))),
    ));
    assert_eq!(
        events,
        vec![Event::InvoiceWrittenOff(InvoiceWrittenOff {
            invoice_id: I1,
            amount: usd(dec!(130.00)),
            reason: "customer insolvent".into(),
            approved_by: "fiona".into(),
            written_off_on: d("2026-06-30"),
        })]
    );
    g.apply(&events);
    assert_eq!(g.invoice_open(I1), dec!(1000.00));
    assert_eq!(g.0.invoices[&I1].written_off, dec!(130.00));
    assert_eq!(g.exposure(HOSPITAL).open_receivables, dec!(1000.00));
}

#[test]
fn writing_off_without_a_reason_is_refused() {
    let g = with_invoice();
    assert_invalid(
        when(
            &g,
            &finance_manager(),
            Command::WriteOffInvoice(WriteOffInvoice {
                reason: " ".into(),
                ..write_off(I1, dec!(1.00))
            }),
        ),
        "reason",
    );
}

#[test]
fn writing_off_an_unknown_invoice_is_refused() {
    let g = with_invoice();
    assert_not_found(
        when(
            &g,
            &finance_manager(),
            Command::WriteOffInvoice(write_off(NO_SUCH_INVOICE, dec!(1.00))),
        ),
        "invoice",
    );
}

#[test]
fn writing_off_zero_or_too_precise_an_amount_is_refused() {
    let g = with_invoice();
    for amount in [dec!(0), dec!(-1.00), dec!(1.001)] {
        assert_invalid(
            when(
                &g,
                &finance_manager(),
                Command::WriteOffInvoice(write_off(I1, amount)),
            ),
            "amount",
        );
    }
}

#[test]
fn writing_off_more_than_the_open_amount_is_refused() {
    let g = with_invoice();
    assert_over_credit(when(
        &g,
        &finance_manager(),
        Command::WriteOffInvoice(write_off(I1, dec!(1130.01))),
    ));
    let g = g.and(Command::IssueCreditNote(credit_note(
        CN1,
        I1,
        dec!(1000.00),
    )));
    assert_over_credit(when(
        &g,
        &finance_manager(),
        Command::WriteOffInvoice(write_off(I1, dec!(130.01))),
    ));
}

fn with_write_off(amount: Decimal) -> Given {
    with_invoice().and(Command::WriteOffInvoice(write_off(I1, amount)))
}

#[test]
fn a_recovery_on_a_written_off_invoice_is_recorded() {
    let mut g = with_write_off(dec!(500.00));
    let events = accepted(when(
        &g,
        &finance(),
        Command::RecoverWriteOff(recover(I1, dec!(200.00))),
    ));
    assert_eq!(
        events,
        vec![Event::WriteOffRecovered(WriteOffRecovered {
            invoice_id: I1,
            amount: usd(dec!(200.00)),
            recovered_on: d("2026-09-30"),
        })]
    );
    g.apply(&events);
    assert_eq!(g.0.invoices[&I1].recovered, dec!(200.00));
}

#[test]
fn a_recovery_on_an_unknown_invoice_is_refused() {
    let g = with_write_off(dec!(500.00));
    assert_not_found(
        when(
            &g,
            &finance(),
            Command::RecoverWriteOff(recover(NO_SUCH_INVOICE, dec!(1.00))),
        ),
        "invoice",
    );
}

#[test]
fn a_recovery_of_zero_or_too_precise_an_amount_is_refused() {
    let g = with_write_off(dec!(500.00));
    for amount in [dec!(0), dec!(-1.00), dec!(1.001)] {
        assert_invalid(
            when(
                &g,
                &finance(),
                Command::RecoverWriteOff(recover(I1, amount)),
            ),
            "amount",
        );
    }
}

#[test]
fn recovering_on_an_invoice_never_written_off_is_refused() {
    let g = with_invoice();
    assert_over_credit(when(
        &g,
        &finance(),
        Command::RecoverWriteOff(recover(I1, dec!(0.01))),
    ));
}

#[test]
fn recovering_more_than_written_off_and_not_yet_recovered_is_refused() {
    let g = with_write_off(dec!(500.00));
    assert_over_credit(when(
        &g,
        &finance(),
        Command::RecoverWriteOff(recover(I1, dec!(500.01))),
    ));
    let g = g.and(Command::RecoverWriteOff(recover(I1, dec!(300.00))));
    assert_over_credit(when(
        &g,
        &finance(),
        Command::RecoverWriteOff(recover(I1, dec!(200.01))),
    ));
    assert!(
        when(
            &g,
            &finance(),
            Command::RecoverWriteOff(recover(I1, dec!(200.00)))
        )
        .is_ok()
    );
}

// ---------------------------------------------------------------------------
// 4. Disputes
// ---------------------------------------------------------------------------

#[test]
fn opening_a_dispute_flags_the_amount_but_keeps_it_open() {
    let mut g = with_invoice();
    let events = accepted(when(
        &g,
        &finance(),
        Command::OpenDispute(open_dispute(I1, dec!(200.00))),
    ));
    assert_eq!(
        events,
        vec![Event::DisputeOpened(DisputeOpened {
            invoice_id: I1,
            amount: usd(dec!(200.00)),
            reason: "two units damaged".into(),
            opened_on: d("2026-01-20"),
        })]
    );
    g.apply(&events);
    assert_eq!(g.0.invoices[&I1].disputed, Some(dec!(200.00)));
    assert_eq!(g.invoice_open(I1), dec!(1130.00));
}

#[test]
fn a_dispute_without_a_reason_is_refused() {
    let g = with_invoice();
    assert_invalid(
        when(
            &g,
            &finance(),
            Command::OpenDispute(OpenDispute {
                reason: String::new(),
                ..open_dispute(I1, dec!(1.00))
            }),
        ),
        "reason",
    );
}

#[test]
fn a_dispute_on_an_unknown_invoice_is_refused() {
    let g = with_invoice();
    assert_not_found(
        when(
            &g,
            &finance(),
            Command::OpenDispute(open_dispute(NO_SUCH_INVOICE, dec!(1.00))),
        ),
        "invoice",
    );
}

#[test]
fn a_dispute_of_zero_or_too_precise_an_amount_is_refused() {
    let g = with_invoice();
    for amount in [dec!(0), dec!(-1.00), dec!(1.001)] {
        assert_invalid(
            when(
                &g,
                &finance(),
                Command::OpenDispute(open_dispute(I1, amount)),
            ),
            "amount",
        );
    }
}

#[test]
fn a_second_dispute_while_one_is_open_is_refused() {
    let g = with_invoice().and(Command::OpenDispute(open_dispute(I1, dec!(200.00))));
    assert_invalid_state(
        when(
            &g,
            &finance(),
            Command::OpenDispute(open_dispute(I1, dec!(10.00))),
        ),
        "invoice",
    );
    let g = g.and(Command::ResolveDispute(resolve_dispute(I1)));
    assert!(
        when(
            &g,
            &finance(),
            Command::OpenDispute(open_dispute(I1, dec!(10.00)))
        )
        .is_ok()
    );
}

#[test]
fn disputing_more_than_the_open_amount_is_refused() {
    let g = with_invoice();
    assert_invalid(
        when(
            &g,
            &finance(),
            Command::OpenDispute(open_dispute(I1, dec!(1130.01))),
        ),
        "amount",
    );
}

#[test]
fn resolving_a_dispute_clears_the_flag() {
    let mut g = with_invoice().and(Command::OpenDispute(open_dispute(I1, dec!(200.00))));
    let events = accepted(when(
        &g,
        &finance(),
        Command::ResolveDispute(resolve_dispute(I1)),
    ));
    assert_eq!(
        events,
        vec![Event::DisputeResolved(DisputeResolved {
            invoice_id: I1,
            outcome: "credit note agreed".into(),
            resolved_on: d("2026-01-25"),
        })]
    );
    g.apply(&events);
    assert_eq!(g.0.invoices[&I1].disputed, None);
}

#[test]
fn resolving_without_an_outcome_is_refused() {
    let g = with_invoice().and(Command::OpenDispute(open_dispute(I1, dec!(200.00))));
    assert_invalid(
        when(
            &g,
            &finance(),
            Command::ResolveDispute(ResolveDispute {
                outcome: " ".into(),
                ..resolve_dispute(I1)
            }),
        ),
        "outcome",
    );
}

#[test]
fn resolving_a_dispute_on_an_unknown_invoice_is_refused() {
    let g = with_invoice();
    assert_not_found(
        when(
            &g,
            &finance(),
            Command::ResolveDispute(resolve_dispute(NO_SUCH_INVOICE)),
        ),
        "invoice",
    );
}

#[test]
fn resolving_when_no_dispute_is_open_is_refused() {
    let g = with_invoice();
    assert_invalid_state(
        when(&g, &finance(), Command::ResolveDispute(resolve_dispute(I1))),
        "invoice",
    );
}

// ---------------------------------------------------------------------------
// 4. Collections
// ---------------------------------------------------------------------------

fn record(g: &Given, command: RecordCollectionActivity) -> Result<Vec<Event>, CommandError> {
    when(g, &sales(), Command::RecordCollectionActivity(command))
}

#[test]
fn a_collection_activity_records_who_chased_whom() {
    let g = with_invoice();
    let events = accepted(record(&g, collection(HOSPITAL, vec![I1])));
    assert_eq!(
        events,
        vec![Event::CollectionActivityRecorded(
            CollectionActivityRecorded {
                customer_id: HOSPITAL,
                invoice_ids: vec![I1],
                channel: CollectionChannel::Call,
                outcome: "promised to pay".into(),
                promised_pay_date: Some(d("2026-03-10")),
                on: d("2026-03-01"),
                by: "sam".into(),
            }
        )]
    );
}

#[test]
fn a_collection_activity_may_name_no_invoice_and_no_promise() {
    let g = with_invoice();
    assert!(
        record(
            &g,
            RecordCollectionActivity {
                promised_pay_date: None,
                ..collection(HOSPITAL, vec![])
            },
        )
        .is_ok()
    );
}

#[test]
fn a_collection_activity_without_an_outcome_is_refused() {
    let g = with_invoice();
    assert_invalid(
        record(
            &g,
            RecordCollectionActivity {
                outcome: String::new(),
                ..collection(HOSPITAL, vec![I1])
            },
        ),
        "outcome",
    );
}

#[test]
fn a_collection_activity_for_an_unknown_customer_is_refused() {
    let g = with_invoice();
    assert_not_found(record(&g, collection(NO_SUCH_CUSTOMER, vec![])), "customer");
}

#[test]
fn a_collection_activity_naming_too_many_invoices_is_refused() {
    let g = with_invoice();
    assert_invalid(
        record(&g, collection(HOSPITAL, vec![I1; 1_001])),
        "invoice_ids",
    );
}

#[test]
fn a_collection_activity_naming_an_unknown_invoice_is_refused() {
    let g = with_invoice();
    assert_not_found(
        record(&g, collection(HOSPITAL, vec![I1, NO_SUCH_INVOICE])),
        "invoice",
    );
}

#[test]
fn a_collection_activity_naming_another_customers_invoice_is_refused() {
    let g = with_invoice();
    assert_invalid(record(&g, collection(CLINIC, vec![I1])), "invoice_ids");
}

#[test]
fn a_promised_pay_date_before_the_activity_is_refused() {
    let g = with_invoice();
    assert_invalid(
        record(
            &g,
            RecordCollectionActivity {
                promised_pay_date: Some(d("2026-02-28")),
                ..collection(HOSPITAL, vec![I1])
            },
        ),
        "promised_pay_date",
    );
}

// ---------------------------------------------------------------------------
// 4. Recalls
// ---------------------------------------------------------------------------

#[test]
fn issuing_a_recall_blocks_its_lots() {
    let mut g = with_shipment();
    let events = accepted(when(
        &g,
        &quality(),
        Command::IssueRecall(recall(R1, GTIN_A, &["L1", "L2"])),
    ));
    assert_eq!(
        events,
        vec![Event::RecallIssued(RecallIssued {
            recall_id: R1,
            gtin: gtin(GTIN_A),
            lots: vec!["L1".into(), "L2".into()],
            serials: vec![],
            class: RiskClass::II,
            reason: "seal may leak".into(),
            issued_on: d("2026-03-01"),
        })]
    );
    g.apply(&events);
    for lot in ["L1", "L2"] {
        assert_eq!(
            g.0.lot(&gtin(GTIN_A), lot).and_then(|l| l.recalled_by),
            Some(R1)
        );
    }
    assert_eq!(
        g.0.lot(&gtin(GTIN_A), "OLD").and_then(|l| l.recalled_by),
        None
    );
}

#[test]
fn a_recall_with_an_invalid_gtin_is_refused() {
    let g = with_shipment();
    assert_invalid(
        when(
            &g,
            &quality(),
            Command::IssueRecall(recall(R1, "09506000134353", &["L1"])),
        ),
        "gtin",
    );
}

#[test]
fn a_recall_without_a_reason_is_refused() {
    let g = with_shipment();
    assert_invalid(
        when(
            &g,
            &quality(),
            Command::IssueRecall(IssueRecall {
                reason: " ".into(),
                ..recall(R1, GTIN_A, &["L1"])
            }),
        ),
        "reason",
    );
}

#[test]
fn a_recall_naming_no_lot_is_refused() {
    let g = with_shipment();
    assert_invalid(
        when(
            &g,
            &quality(),
            Command::IssueRecall(recall(R1, GTIN_A, &[])),
        ),
        "lots",
    );
}

#[test]
fn a_recall_naming_too_many_lots_or_serials_is_refused() {
    let g = with_shipment();
    let lots: Vec<String> = (0..=LINES_MAX).map(|i| format!("L{i}")).collect();
    let lots: Vec<&str> = lots.iter().map(String::as_str).collect();
    assert_invalid(
        when(
            &g,
            &quality(),
            Command::IssueRecall(recall(R1, GTIN_A, &lots)),
        ),
        "lots",
    );
    assert_invalid(
        when(
            &g,
            &quality(),
            Command::IssueRecall(IssueRecall {
                serials: (0..=SERIALS_PER_SHIPMENT_MAX)
                    .map(|i| format!("SN{i}"))
                    .collect(),
                ..recall(R1, GTIN_A, &["L1"])
            }),
        ),
        "serials",
    );
}

#[test]
fn a_recall_of_an_unknown_product_is_refused() {
    let g = with_shipment();
    assert_not_found(
        when(
            &g,
            &quality(),
            Command::IssueRecall(recall(R1, GTIN_UNREGISTERED, &["L1"])),
        ),
        "product",
    );
}

#[test]
fn a_recall_of_an_unknown_lot_is_refused() {
    let g = with_shipment();
    // B1 is a lot of another product.
    for lot in ["L9", "B1"] {
        assert_not_found(
            when(
                &g,
                &quality(),
                Command::IssueRecall(recall(R1, GTIN_A, &["L1", lot])),
            ),
            "lot",
        );
    }
}

#[test]
fn issuing_a_recall_id_twice_is_refused() {
    let g = with_recall();
    assert_exists(
        when(
            &g,
            &quality(),
            Command::IssueRecall(recall(R1, GTIN_A, &["L2"])),
        ),
        "recall",
    );
}

// AcknowledgeRecall

#[test]
fn a_customer_that_received_an_affected_lot_acknowledges_the_recall() {
    let mut g = with_recall();
    let events = accepted(when(
        &g,
        &quality(),
        Command::AcknowledgeRecall(acknowledge(R1, HOSPITAL)),
    ));
    assert_eq!(
        events,
        vec![Event::RecallNoticeAcknowledged(RecallNoticeAcknowledged {
            recall_id: R1,
            customer_id: HOSPITAL,
            acknowledged_on: d("2026-03-02"),
        })]
    );
    g.apply(&events);
    assert!(g.0.recalls[&R1].acknowledged.contains(&HOSPITAL));
}

#[test]
fn acknowledging_an_unknown_recall_is_refused() {
    let g = with_recall();
    assert_not_found(
        when(
            &g,
            &quality(),
            Command::AcknowledgeRecall(acknowledge(NO_SUCH_RECALL, HOSPITAL)),
        ),
        "recall",
    );
}

#[test]
fn acknowledging_for_an_unknown_customer_is_refused() {
    let g = with_recall();
    assert_not_found(
        when(
            &g,
            &quality(),
            Command::AcknowledgeRecall(acknowledge(R1, NO_SUCH_CUSTOMER)),
        ),
        "customer",
    );
}

#[test]
fn a_customer_that_received_no_affected_lot_cannot_acknowledge() {
    let g = with_recall();
    assert_invalid_state(
        when(
            &g,
            &quality(),
            Command::AcknowledgeRecall(acknowledge(R1, CLINIC)),
        ),
        "recall",
    );
}

#[test]
fn a_recall_is_acknowledged_once_per_customer() {
    let g = with_recall().and(Command::AcknowledgeRecall(acknowledge(R1, HOSPITAL)));
    assert_invalid_state(
        when(
            &g,
            &quality(),
            Command::AcknowledgeRecall(acknowledge(R1, HOSPITAL)),
        ),
        "recall",
    );
}

// RecordRecallReturn

fn record_return(g: &Given, command: RecordRecallReturn) -> Result<Vec<Event>, CommandError> {
    when(g, &warehouse(), Command::RecordRecallReturn(command))
}

#[test]
fn returned_recalled_units_are_recorded_per_customer() {
    let mut g = with_recall();
    let events = accepted(record_return(&g, recall_return(R1, HOSPITAL, 4)));
    assert_eq!(
        events,
        vec![Event::RecallUnitsReturned(RecallUnitsReturned {
            recall_id: R1,
            customer_id: HOSPITAL,
            quantity: 4,
            returned_on: d("2026-03-05"),
        })]
    );
    g.apply(&events);
    assert_eq!(g.0.recalls[&R1].returned.get(&HOSPITAL).copied(), Some(4));
    // The remaining six may come back too.
    assert!(record_return(&g, recall_return(R1, HOSPITAL, 6)).is_ok());
}

#[test]
fn a_return_of_zero_or_negative_units_is_refused() {
    let g = with_recall();
    for quantity in [0, -1] {
        assert_invalid(
            record_return(&g, recall_return(R1, HOSPITAL, quantity)),
            "quantity",
        );
    }
}

#[test]
fn a_return_under_an_unknown_recall_is_refused() {
    let g = with_recall();
    assert_not_found(
        record_return(&g, recall_return(NO_SUCH_RECALL, HOSPITAL, 1)),
        "recall",
    );
}

#[test]
fn a_return_from_an_unknown_customer_is_refused() {
    let g = with_recall();
    assert_not_found(
        record_return(&g, recall_return(R1, NO_SUCH_CUSTOMER, 1)),
        "customer",
    );
}

/// RecallUnitsReturned: at most what was shipped to that customer. Not an
/// overshipment (nothing ships): the recall's state forbids it.
#[test]
fn returning_more_than_was_shipped_to_the_customer_is_refused() {
    let g = with_recall();
    assert_invalid_state(record_return(&g, recall_return(R1, HOSPITAL, 11)), "recall");
    assert_invalid_state(record_return(&g, recall_return(R1, CLINIC, 1)), "recall");
    let g = g.and(Command::RecordRecallReturn(recall_return(R1, HOSPITAL, 6)));
    assert_invalid_state(record_return(&g, recall_return(R1, HOSPITAL, 5)), "recall");
}
