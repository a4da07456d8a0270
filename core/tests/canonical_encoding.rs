//! `docs/canonical-encoding.md`, kept true to the code.
//!
//! The document specifies the canonical bytes of every event for an auditor
//! who reads no Rust. Its sections between `<!-- generated: NAME -->` and
//! `<!-- end generated -->` are generated here: event type names and schema
//! versions, role names, the fields of every payload and nested type in
//! order (traced from the `Serialize` impls with serde-reflection), every
//! enum's variant numbers, decimal and date examples and the worked example.
//! A section that differs from what the code gives fails the test;
//! `UPDATE_GOLDEN=1 cargo test -p arledger-core --test canonical_encoding`
//! rewrites the sections (review the diff as for the golden files).
//!
//! The rules themselves are checked by encoding again: every sample event is
//! re-encoded from its traced fields by this file's own encoder, which
//! follows only the document's rules, and the worked example is rebuilt by
//! hand from its field values; both must equal the crate's bytes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;

use arledger_core::domain::events::*;
use arledger_core::domain::terms::{Installment, InstallmentTerms, PaymentTerms, TermsBase};
use arledger_core::domain::types::*;
use arledger_core::ids::*;
use arledger_core::log::codec::{StoredEvent, chain_hash};
use arledger_core::money::{Currency, Money};
use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_reflection::{
    ContainerFormat, Format, Named, Registry, Samples, Tracer, TracerConfig, Value, VariantFormat,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

// ---------------------------------------------------------------------------
// Sample events: one of every type with every option present and every
// sequence non-empty (so tracing sees every field's full format), and the
// same with options absent and sequences empty.

const GTIN: &str = "09504000059118";

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn customer() -> CustomerId {
    CustomerId(id(1))
}

fn order() -> OrderId {
    OrderId(id(2))
}

fn shipment() -> ShipmentId {
    ShipmentId(id(3))
}

fn invoice() -> InvoiceId {
    InvoiceId(id(4))
}

fn payment() -> PaymentId {
    PaymentId(id(5))
}

fn recall() -> RecallId {
    RecallId(id(6))
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn gtin() -> Gtin {
    Gtin::parse(GTIN).unwrap()
}

fn money(amount: &str, code: &str) -> Money {
    Money::new(amount.parse().unwrap(), Currency::parse(code).unwrap()).unwrap()
}

fn terms(share_percent: &str, days: u32, base: TermsBase) -> InstallmentTerms {
    InstallmentTerms {
        share_percent: share_percent.parse().unwrap(),
        days,
        base,
    }
}

fn samples() -> Vec<Event> {
    let mut events = master_data_samples();
    events.extend(order_samples());
    events.extend(receivable_samples());
    events.extend(recall_samples());
    events
}

fn master_data_samples() -> Vec<Event> {
    vec![
        Event::CustomerRegistered(CustomerRegistered {
            customer_id: customer(),
            name: "Ruijin Hospital".into(),
            kind: CustomerKind::Hospital,
            region: "East".into(),
            salesperson_id: "s-1".into(),
            tax_id: Some("91310000MA1FL0000X".into()),
        }),
        Event::CustomerUpdated(CustomerUpdated {
            customer_id: customer(),
            name: Some("Ruijin Hospital North".into()),
            kind: Some(CustomerKind::Clinic),
            region: Some("North".into()),
            salesperson_id: Some("s-2".into()),
            tax_id: Some("91310000MA1FL0001X".into()),
        }),
        Event::CreditLimitSet(CreditLimitSet {
            customer_id: customer(),
            limit: money("100000.00", "CNY"),
            grade: RiskGrade::B,
            reason: "annual review".into(),
            approved_by: "admin".into(),
        }),
        Event::PaymentTermsSet(PaymentTermsSet {
            customer_id: customer(),
            contract_id: Some("C-7".into()),
            terms: PaymentTerms {
                installments: vec![
                    terms("30", 30, TermsBase::Invoice),
                    terms("70", 60, TermsBase::Acceptance),
                ],
            },
        }),
        Event::ProductRegistered(ProductRegistered {
            gtin: gtin(),
            name: "Infusion pump".into(),
            model: Some("IP-200".into()),
            risk_class: RiskClass::II,
            registration_no: Some("NMPA-2026-001".into()),
            company_prefix_len: 7,
        }),
        Event::LotReleased(LotReleased {
            gtin: gtin(),
            lot: "L1".into(),
            manufactured_on: day("2026-01-02"),
            expires_on: day("2030-01-01"),
            quantity: 100,
        }),
    ]
}

fn order_samples() -> Vec<Event> {
    vec![
        Event::OrderPlaced(OrderPlaced {
            order_id: order(),
            number: "SO-1".into(),
            customer_id: customer(),
            currency: Currency::CNY,
            placed_on: day("2026-02-01"),
            lines: vec![OrderLine {
                line_no: 1,
                gtin: gtin(),
                quantity: 10,
                unit_price: "1500.00".parse().unwrap(),
            }],
        }),
        Event::OrderHeld(OrderHeld {
            order_id: order(),
            reasons: vec![HoldReason::CreditLimitExceeded, HoldReason::GradeD],
            exposure: money("115000.00", "CNY"),
            limit: money("100000.00", "CNY"),
        }),
        Event::OrderReleased(OrderReleased {
            order_id: order(),
            by: "admin".into(),
            note: Some("ok".into()),
        }),
        Event::OrderRejected(OrderRejected {
            order_id: order(),
            by: "admin".into(),
            note: Some("no".into()),
        }),
        Event::OrderCancelled(OrderCancelled {
            order_id: order(),
            reason: "customer".into(),
        }),
        Event::OrderShipped(OrderShipped {
            shipment_id: shipment(),
            order_id: order(),
            shipped_on: day("2026-02-03"),
            ship_to: "Ward 3".into(),
            lines: vec![ShipmentLine {
                line_no: 1,
                gtin: gtin(),
                lot: "L1".into(),
                expires_on: day("2030-01-01"),
                serials: vec!["SN1".into(), "SN2".into()],
                quantity: 2,
                udis: vec!["(01)09504000059118(17)300101(10)L1(21)SN1".into()],
            }],
        }),
        Event::DeliveryAccepted(DeliveryAccepted {
            shipment_id: shipment(),
            order_id: order(),
            accepted_on: day("2026-02-05"),
            accepted_by: "Head nurse".into(),
        }),
    ]
}

fn receivable_samples() -> Vec<Event> {
    vec![
        worked_example_event(),
        Event::CreditNoteIssued(CreditNoteIssued {
            credit_note_id: CreditNoteId(id(7)),
            invoice_id: invoice(),
            amount: money("90.00", "CNY"),
            reason: CreditReason::PriceAdjustment,
            issued_on: day("2026-02-07"),
        }),
        Event::PaymentReceived(PaymentReceived {
            payment_id: payment(),
            customer_id: customer(),
            amount: money("1000.00", "CNY"),
            received_on: day("2026-02-08"),
            method: PaymentMethod::BankTransfer,
            bank_reference: Some("REF".into()),
        }),
        Event::PaymentAllocated(PaymentAllocated {
            payment_id: payment(),
            invoice_id: invoice(),
            installment_no: Some(1),
            amount: money("800.00", "CNY"),
        }),
        Event::PaymentReversed(PaymentReversed {
            payment_id: payment(),
            reason: "bounced".into(),
            reversed_on: day("2026-02-15"),
        }),
        Event::InvoiceWrittenOff(InvoiceWrittenOff {
            invoice_id: invoice(),
            amount: money("50.00", "CNY"),
            reason: "small balance".into(),
            approved_by: "admin".into(),
            written_off_on: day("2026-02-13"),
        }),
        Event::WriteOffRecovered(WriteOffRecovered {
            invoice_id: invoice(),
            amount: money("20.00", "CNY"),
            recovered_on: day("2026-02-14"),
        }),
        Event::DisputeOpened(DisputeOpened {
            invoice_id: invoice(),
            amount: money("100.00", "CNY"),
            reason: "damaged box".into(),
            opened_on: day("2026-02-10"),
            recall_id: Some(recall()),
        }),
        Event::DisputeResolved(DisputeResolved {
            invoice_id: invoice(),
            outcome: "accepted as is".into(),
            resolved_on: day("2026-02-11"),
        }),
    ]
}

fn recall_samples() -> Vec<Event> {
    vec![
        Event::CollectionActivityRecorded(CollectionActivityRecorded {
            customer_id: customer(),
            invoice_ids: vec![invoice()],
            channel: CollectionChannel::Call,
            outcome: "promised".into(),
            promised_pay_date: Some(day("2026-03-01")),
            on: day("2026-02-12"),
            by: "admin".into(),
        }),
        Event::RecallIssued(RecallIssued {
            recall_id: recall(),
            gtin: gtin(),
            lots: vec!["L1".into()],
            serials: vec!["SN1".into()],
            class: RiskClass::II,
            reason: "battery".into(),
            issued_on: day("2026-02-16"),
            disputes: vec![RecallDispute {
                invoice_id: invoice(),
                amount: money("300.00", "CNY"),
            }],
        }),
        Event::RecallNoticeAcknowledged(RecallNoticeAcknowledged {
            recall_id: recall(),
            customer_id: customer(),
            acknowledged_on: day("2026-02-17"),
        }),
        Event::RecallUnitsReturned(RecallUnitsReturned {
            recall_id: recall(),
            customer_id: customer(),
            quantity: 2,
            returned_on: day("2026-02-18"),
            settles: vec![RecallDispute {
                invoice_id: invoice(),
                amount: money("150.00", "CNY"),
            }],
        }),
    ]
}

/// The same event with its options absent and its sequences empty (where
/// it has any), for the other branch of each option and sequence.
fn sparse(event: Event) -> Event {
    match event {
        Event::CustomerRegistered(e) => {
            Event::CustomerRegistered(CustomerRegistered { tax_id: None, ..e })
        }
        Event::CustomerUpdated(e) => Event::CustomerUpdated(CustomerUpdated {
            customer_id: e.customer_id,
            name: None,
            kind: None,
            region: None,
            salesperson_id: None,
            tax_id: None,
        }),
        Event::PaymentTermsSet(e) => Event::PaymentTermsSet(PaymentTermsSet {
            contract_id: None,
            ..e
        }),
        Event::ProductRegistered(e) => Event::ProductRegistered(ProductRegistered {
            model: None,
            registration_no: None,
            ..e
        }),
        Event::OrderReleased(e) => Event::OrderReleased(OrderReleased { note: None, ..e }),
        Event::OrderShipped(e) => Event::OrderShipped(OrderShipped {
            lines: Vec::new(),
            ..e
        }),
        Event::InvoiceIssued(e) => Event::InvoiceIssued(sparse_invoice(e)),
        Event::PaymentReceived(e) => Event::PaymentReceived(PaymentReceived {
            bank_reference: None,
            ..e
        }),
        Event::PaymentAllocated(e) => Event::PaymentAllocated(PaymentAllocated {
            installment_no: None,
            ..e
        }),
        Event::CollectionActivityRecorded(e) => {
            Event::CollectionActivityRecorded(CollectionActivityRecorded {
                invoice_ids: Vec::new(),
                promised_pay_date: None,
                ..e
            })
        }
        Event::RecallIssued(e) => Event::RecallIssued(RecallIssued {
            serials: Vec::new(),
            ..e
        }),
        other => other,
    }
}

fn sparse_invoice(e: InvoiceIssued) -> InvoiceIssued {
    let lines = e.lines.iter().map(|l| InvoiceLine {
        shipment_line: None,
        ..l.clone()
    });
    let installments = e.installments.iter().map(|i| Installment {
        due_on: None,
        ..i.clone()
    });
    InvoiceIssued {
        lines: lines.collect(),
        installments: installments.collect(),
        ..e
    }
}

// ---------------------------------------------------------------------------
// Tracing: the registry of every container in the payloads, with fields in
// order and enum variants with their numbers.

struct Traced {
    registry: Registry,
    /// Each sample event with its traced value.
    payloads: Vec<(Event, Format, Value)>,
}

fn trace() -> Traced {
    let mut tracer = Tracer::new(TracerConfig::default());
    let enums = trace_enums(&mut tracer);
    let mut recorded = Samples::new();
    let mut payloads = Vec::new();
    for event in samples().into_iter().flat_map(|e| [e.clone(), sparse(e)]) {
        let (format, value) = trace_payload(&mut tracer, &mut recorded, &event);
        payloads.push((event, format, value));
    }
    let registry = tracer.registry().unwrap();
    for (name, container) in &registry {
        if matches!(container, ContainerFormat::Enum(_)) {
            assert!(
                enums.contains(name.as_str()),
                "enum {name} is in a payload but not traced with all its variants: add it to trace_enums"
            );
        }
    }
    Traced { registry, payloads }
}

/// Traces every enum of the payloads with all its variants (serialising
/// samples would only show the variants the samples use).
fn trace_enums(tracer: &mut Tracer) -> BTreeSet<&'static str> {
    macro_rules! all_variants {
        ($($t:ty),*) => {{
            $(tracer.trace_simple_type::<$t>().unwrap();)*
            BTreeSet::from([$(stringify!($t)),*])
        }};
    }
    all_variants!(
        CustomerKind,
        RiskGrade,
        RiskClass,
        HoldReason,
        CreditReason,
        PaymentMethod,
        CollectionChannel,
        TermsBase
    )
}

fn trace_payload(tracer: &mut Tracer, samples: &mut Samples, event: &Event) -> (Format, Value) {
    let traced = match event {
        Event::CustomerRegistered(e) => tracer.trace_value(samples, e),
        Event::CustomerUpdated(e) => tracer.trace_value(samples, e),
        Event::CreditLimitSet(e) => tracer.trace_value(samples, e),
        Event::PaymentTermsSet(e) => tracer.trace_value(samples, e),
        Event::ProductRegistered(e) => tracer.trace_value(samples, e),
        Event::LotReleased(e) => tracer.trace_value(samples, e),
        Event::OrderPlaced(e) => tracer.trace_value(samples, e),
        Event::OrderHeld(e) => tracer.trace_value(samples, e),
        Event::OrderReleased(e) => tracer.trace_value(samples, e),
        Event::OrderRejected(e) => tracer.trace_value(samples, e),
        Event::OrderCancelled(e) => tracer.trace_value(samples, e),
        Event::OrderShipped(e) => tracer.trace_value(samples, e),
        Event::DeliveryAccepted(e) => tracer.trace_value(samples, e),
        Event::InvoiceIssued(e) => tracer.trace_value(samples, e),
        Event::CreditNoteIssued(e) => tracer.trace_value(samples, e),
        Event::PaymentReceived(e) => tracer.trace_value(samples, e),
        Event::PaymentAllocated(e) => tracer.trace_value(samples, e),
        Event::PaymentReversed(e) => tracer.trace_value(samples, e),
        Event::InvoiceWrittenOff(e) => tracer.trace_value(samples, e),
        Event::WriteOffRecovered(e) => tracer.trace_value(samples, e),
        Event::DisputeOpened(e) => tracer.trace_value(samples, e),
        Event::DisputeResolved(e) => tracer.trace_value(samples, e),
        Event::CollectionActivityRecorded(e) => tracer.trace_value(samples, e),
        Event::RecallIssued(e) => tracer.trace_value(samples, e),
        Event::RecallNoticeAcknowledged(e) => tracer.trace_value(samples, e),
        Event::RecallUnitsReturned(e) => tracer.trace_value(samples, e),
    };
    traced.unwrap()
}

impl Traced {
    fn container(&self, name: &str) -> &ContainerFormat {
        self.registry
            .get(name)
            .unwrap_or_else(|| panic!("{name} was not traced"))
    }

    fn fields(&self, name: &str) -> &[Named<Format>] {
        match self.container(name) {
            ContainerFormat::Struct(fields) => fields,
            other => panic!("{name} is not a struct with named fields: {other:?}"),
        }
    }

    /// The (complete) sample of an event type.
    fn sample_of(&self, type_name: &str) -> &(Event, Format, Value) {
        self.payloads
            .iter()
            .find(|(e, _, _)| e.type_name() == type_name)
            .unwrap_or_else(|| panic!("no sample of {type_name}"))
    }
}

// ---------------------------------------------------------------------------
// The document's rules for payloads, as an encoder of traced values. It
// knows nothing of bincode: only what the document says.

struct RuleEncoder<'a> {
    registry: &'a Registry,
    out: Vec<u8>,
}

impl RuleEncoder<'_> {
    fn length(&mut self, n: usize) {
        self.out
            .extend_from_slice(&u64::try_from(n).unwrap().to_le_bytes());
    }

    fn value(&mut self, format: &Format, value: &Value) {
        match (format, value) {
            (Format::TypeName(name), v) => self.container(name, v),
            (Format::U8, Value::U8(n)) => self.out.push(*n),
            (Format::U32, Value::U32(n)) => self.out.extend_from_slice(&n.to_le_bytes()),
            (Format::U64, Value::U64(n)) => self.out.extend_from_slice(&n.to_le_bytes()),
            (Format::I32, Value::I32(n)) => self.out.extend_from_slice(&n.to_le_bytes()),
            (Format::U128, Value::U128(n)) => self.out.extend_from_slice(&n.to_le_bytes()),
            (Format::Str, Value::Str(s)) => self.bytes(s.as_bytes()),
            (Format::Bytes, Value::Bytes(b)) => self.bytes(b),
            (Format::Option(_), Value::Option(None)) => self.out.push(0),
            (Format::Option(f), Value::Option(Some(v))) => {
                self.out.push(1);
                self.value(f, v);
            }
            (Format::Seq(f), Value::Seq(items)) => {
                self.length(items.len());
                items.iter().for_each(|item| self.value(f, item));
            }
            (Format::TupleArray { content, .. }, Value::Seq(items)) => {
                items.iter().for_each(|item| self.value(content, item));
            }
            other => panic!("the document has no rule for {other:?}"),
        }
    }

    fn bytes(&mut self, bytes: &[u8]) {
        self.length(bytes.len());
        self.out.extend_from_slice(bytes);
    }

    fn container(&mut self, name: &str, value: &Value) {
        match (&self.registry[name], value) {
            (ContainerFormat::NewTypeStruct(f), v) => self.value(f, v),
            (ContainerFormat::Struct(fields), Value::Seq(values)) => {
                assert_eq!(fields.len(), values.len(), "{name}");
                for (field, v) in fields.iter().zip(values) {
                    self.value(&field.value, v);
                }
            }
            (ContainerFormat::Enum(variants), Value::Variant(number, inner)) => {
                assert_eq!(variants[number].value, VariantFormat::Unit, "{name}");
                assert_eq!(**inner, Value::Unit, "{name}");
                self.out.extend_from_slice(&number.to_le_bytes());
            }
            other => panic!("the document has no rule for {name}: {other:?}"),
        }
    }
}

fn encode_by_the_rules(registry: &Registry, format: &Format, value: &Value) -> Vec<u8> {
    let mut encoder = RuleEncoder {
        registry,
        out: Vec::new(),
    };
    encoder.value(format, value);
    encoder.out
}

fn payload_of(event: &Event) -> Vec<u8> {
    let mut out = Vec::new();
    event.encode_payload(&mut out).unwrap();
    out
}

#[test]
fn every_sample_event_re_encoded_by_the_documents_rules_equals_its_payload() {
    let traced = trace();
    for name in EVENT_TYPES {
        let sampled = traced
            .payloads
            .iter()
            .any(|(e, _, _)| e.type_name() == *name);
        assert!(sampled, "no sample of {name}");
    }
    for (event, format, value) in &traced.payloads {
        assert_eq!(
            hex(&encode_by_the_rules(&traced.registry, format, value)),
            hex(&payload_of(event)),
            "{event:?}"
        );
    }
}

/// The payload tables call every u128 a decimal and every i32 a date: true
/// only while no other field has those types.
#[test]
fn every_u128_in_a_payload_is_a_decimal_and_every_i32_a_date() {
    let traced = trace();
    for (container, format) in &traced.registry {
        let ContainerFormat::Struct(fields) = format else {
            continue;
        };
        for field in fields {
            let date_named =
                field.name == "on" || field.name.ends_with("_on") || field.name.ends_with("_date");
            assert_eq!(
                mentions_primitive(&field.value, &Format::I32),
                date_named,
                "{container}.{}: an i32 must be a date named `on`, `*_on` or `*_date`",
                field.name
            );
        }
    }
    for (_, _, value) in &traced.payloads {
        for n in u128s(value) {
            let flags = u32::from_le_bytes(n.to_le_bytes()[..4].try_into().unwrap());
            assert_eq!(flags & !0x80ff_0000, 0, "{n:#x} is not a decimal");
            assert!((flags >> 16) & 0xff <= 28, "{n:#x} is not a decimal");
        }
    }
}

fn mentions_primitive(format: &Format, primitive: &Format) -> bool {
    match format {
        Format::Option(f) | Format::Seq(f) => mentions_primitive(f, primitive),
        f => f == primitive,
    }
}

fn u128s(value: &Value) -> Vec<u128> {
    match value {
        Value::U128(n) => vec![*n],
        Value::Seq(items) => items.iter().flat_map(u128s).collect(),
        Value::Option(Some(v)) | Value::Variant(_, v) => u128s(v),
        _ => Vec::new(),
    }
}

// ---------------------------------------------------------------------------
// Rendering the generated sections.

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn anchor(name: &str) -> String {
    format!("[{name}](#{})", name.to_lowercase())
}

/// How the document names a field's encoding.
fn describe(traced: &Traced, format: &Format) -> String {
    match format {
        Format::TypeName(name) => describe_container(traced, name),
        Format::Str => "string".into(),
        Format::U8 => "u8".into(),
        Format::U32 => "u32".into(),
        Format::U64 => "u64".into(),
        Format::U128 => "decimal".into(),
        Format::I32 => "date".into(),
        Format::Option(f) => format!("option of {}", describe(traced, f)),
        Format::Seq(f) => format!("sequence of {}", describe(traced, f)),
        other => panic!("the document names no encoding {other:?}"),
    }
}

fn describe_container(traced: &Traced, name: &str) -> String {
    match traced.container(name) {
        ContainerFormat::NewTypeStruct(inner) => match (name, &**inner) {
            (n, Format::Bytes) if n.ends_with("Id") => "UUID".into(),
            ("Gtin", Format::Str) => "GTIN".into(),
            ("Currency", Format::TupleArray { .. }) => "currency".into(),
            other => panic!("the document names no encoding for {other:?}"),
        },
        ContainerFormat::Enum(_) => format!("enum {}", anchor(name)),
        ContainerFormat::Struct(_) => anchor(name),
        other => panic!("the document names no encoding for {name}: {other:?}"),
    }
}

/// The field's size in bytes when it is the same for every value.
fn fixed_size(traced: &Traced, format: &Format) -> Option<usize> {
    match format {
        Format::TypeName(name) => match traced.container(name) {
            ContainerFormat::NewTypeStruct(inner) => match (name.as_str(), &**inner) {
                (_, Format::Bytes) => Some(8 + 16),
                ("Gtin", Format::Str) => Some(8 + 14),
                (_, Format::TupleArray { size, .. }) => Some(*size),
                _ => None,
            },
            ContainerFormat::Enum(_) => Some(4),
            ContainerFormat::Struct(fields) => {
                fields.iter().map(|f| fixed_size(traced, &f.value)).sum()
            }
            _ => None,
        },
        Format::U8 => Some(1),
        Format::U32 | Format::I32 => Some(4),
        Format::U64 => Some(8),
        Format::U128 => Some(16),
        _ => None,
    }
}

fn field_table(traced: &Traced, name: &str) -> String {
    let mut out = String::from("| # | field | encoding | bytes |\n|---|---|---|---|\n");
    for (i, field) in traced.fields(name).iter().enumerate() {
        let size = fixed_size(traced, &field.value).map_or("varies".into(), |n| n.to_string());
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {size} |",
            i + 1,
            field.name,
            describe(traced, &field.value)
        );
    }
    out
}

fn event_types_section(traced: &Traced) -> String {
    let mut out = String::from(
        "| event type (its name, in ASCII) | length byte | schema version: u16 big-endian | stream id |\n|---|---|---|---|\n",
    );
    for name in EVENT_TYPES {
        let version = Event::current_version_of(name).unwrap();
        let _ = writeln!(
            out,
            "| {} | `{:02x}` ({}) | {version}: `{}` | {} |",
            anchor(name),
            name.len(),
            name.len(),
            hex(&version.to_be_bytes()),
            stream_field(traced, name)
        );
    }
    out
}

/// Which payload field the event's stream id is, or how it is derived.
fn stream_field(traced: &Traced, type_name: &str) -> String {
    let (event, _, value) = traced.sample_of(type_name);
    let stream = event.stream_id().0;
    let Value::Seq(values) = value else {
        panic!("{type_name} is not a struct")
    };
    let field = traced
        .fields(type_name)
        .iter()
        .zip(values)
        .find(|(_, v)| **v == Value::Bytes(stream.as_bytes().to_vec()));
    match (field, event) {
        (Some((f, _)), _) => format!("`{}`", f.name),
        (None, Event::ProductRegistered(_)) => {
            "derived from `gtin`: see [Stream ids](#stream-ids)".into()
        }
        (None, Event::LotReleased(_)) => {
            "derived from `gtin` and `lot`: see [Stream ids](#stream-ids)".into()
        }
        (None, _) => panic!("the stream id of {type_name} is none of its fields"),
    }
}

fn roles_section() -> String {
    let mut out = String::from("| role | bytes in the envelope: length, then ASCII |\n|---|---|\n");
    for role in Role::ALL {
        let name = role.name();
        let mut bytes = vec![u8::try_from(name.len()).unwrap()];
        bytes.extend_from_slice(name.as_bytes());
        let _ = writeln!(out, "| `{name}` | `{}` |", hex(&bytes));
    }
    out
}

fn payload_fields_section(traced: &Traced) -> String {
    let mut out = String::new();
    for name in EVENT_TYPES {
        let version = Event::current_version_of(name).unwrap();
        let _ = write!(
            out,
            "#### {name}\n\nSchema version {version}.\n\n{}\n",
            field_table(traced, name)
        );
    }
    out
}

fn nested_types_section(traced: &Traced) -> String {
    let mut out = String::new();
    for (name, container) in &traced.registry {
        if matches!(container, ContainerFormat::Struct(_)) && !EVENT_TYPES.contains(&name.as_str())
        {
            let _ = write!(
                out,
                "#### {name}\n\nUsed by: {}.\n\n{}\n",
                used_by(traced, name),
                field_table(traced, name)
            );
        }
    }
    out
}

/// The fields that hold a container, as `Type.field` links.
fn used_by(traced: &Traced, target: &str) -> String {
    let mut uses = Vec::new();
    for (name, container) in &traced.registry {
        let ContainerFormat::Struct(fields) = container else {
            continue;
        };
        for field in fields.iter().filter(|f| holds(&f.value, target)) {
            uses.push(format!("{} `{}`", anchor(name), field.name));
        }
    }
    uses.join(", ")
}

fn holds(format: &Format, target: &str) -> bool {
    match format {
        Format::Option(f) | Format::Seq(f) => holds(f, target),
        Format::TypeName(name) => name == target,
        _ => false,
    }
}

fn enums_section(traced: &Traced) -> String {
    let mut out = String::new();
    for (name, container) in &traced.registry {
        let ContainerFormat::Enum(variants) = container else {
            continue;
        };
        let _ = write!(
            out,
            "#### {name}\n\nUsed by: {}.\n\n| variant | number | bytes (u32 little-endian) |\n|---|---|---|\n",
            used_by(traced, name)
        );
        for (number, variant) in variants {
            assert_eq!(
                variant.value,
                VariantFormat::Unit,
                "{name}::{}",
                variant.name
            );
            let _ = writeln!(
                out,
                "| `{}` | {number} | `{}` |",
                variant.name,
                hex(&number.to_le_bytes())
            );
        }
        out.push('\n');
    }
    out
}

// ---------------------------------------------------------------------------
// Decimals and dates, by the document's rules.

/// The 16 bytes of a decimal written as text ("-1234.50"), by the document:
/// flags (scale in bits 16-23, sign in bit 31), then the mantissa's low,
/// middle and high 32-bit words, each little-endian.
fn decimal_by_the_rules(text: &str) -> [u8; 16] {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let scale = u32::try_from(fraction.len()).unwrap();
    let mantissa: u128 = format!("{whole}{fraction}").parse().unwrap();
    let flags = (scale << 16) | (u32::from(negative) << 31);
    let word = |shift: u32| u32::try_from((mantissa >> shift) & 0xffff_ffff).unwrap();
    let mut bytes = [0u8; 16];
    for (i, w) in [flags, word(0), word(32), word(64)].iter().enumerate() {
        bytes[4 * i..4 * i + 4].copy_from_slice(&w.to_le_bytes());
    }
    bytes
}

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
fn unix_days(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The document's day number: 0001-01-01 is day 1, 1970-01-01 day 719163.
fn day_number(year: i64, month: i64, day: i64) -> i32 {
    i32::try_from(unix_days(year, month, day) + 719_163).unwrap()
}

const DECIMAL_EXAMPLES: &[(&str, &str)] = &[
    ("1234.50", "CNY"),
    ("-1234.50", "CNY"),
    ("100.00", "USD"),
    ("100", "JPY"),
    ("100.000", "KWD"),
    ("0.00", "USD"),
    ("1000000000000000.00", "CNY"),
    ("100", "a percent share"),
    ("33.33", "a percent share"),
];

const DATE_EXAMPLES: &[(i64, i64, i64)] = &[
    (1, 1, 1),
    (1970, 1, 1),
    (2000, 2, 29),
    (2026, 2, 6),
    (2026, 3, 8),
    (9999, 12, 31),
];

fn decimal_examples_section() -> String {
    let mut out = String::from(
        "| value | of | scale | sign | mantissa | flags | low word | middle word | high word |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    for (text, of) in DECIMAL_EXAMPLES {
        let bytes = decimal_by_the_rules(text);
        let value: Decimal = text.parse().unwrap();
        let _ = writeln!(
            out,
            "| {text} | {of} | {} | {} | {} | `{}` | `{}` | `{}` | `{}` |",
            value.scale(),
            if value.is_sign_negative() { "-" } else { "+" },
            value.mantissa().unsigned_abs(),
            hex(&bytes[..4]),
            hex(&bytes[4..8]),
            hex(&bytes[8..12]),
            hex(&bytes[12..])
        );
    }
    out
}

fn date_examples_section() -> String {
    let mut out =
        String::from("| date | day number | 4 bytes (i32 little-endian) |\n|---|---|---|\n");
    for (y, m, d) in DATE_EXAMPLES {
        let n = day_number(*y, *m, *d);
        let _ = writeln!(
            out,
            "| {y:04}-{m:02}-{d:02} | {n} | `{}` |",
            hex(&n.to_le_bytes())
        );
    }
    out
}

#[test]
fn decimals_follow_the_documents_flags_and_mantissa_words() {
    for (text, _) in DECIMAL_EXAMPLES
        .iter()
        .chain([&("-0.001", ""), &("7.9228162514264337593543950335", "")])
    {
        let value: Decimal = text.parse().unwrap();
        assert_eq!(decimal_by_the_rules(text), value.serialize(), "{text}");
        let in_money = Money {
            amount: value,
            currency: Currency::USD,
        };
        let encoded = bincode::serialize(&in_money).unwrap();
        assert_eq!(encoded[..16], decimal_by_the_rules(text), "{text}");
    }
}

#[test]
fn dates_are_day_numbers_where_0001_01_01_is_day_1() {
    let mut date = NaiveDate::from_ymd_opt(1, 1, 1).unwrap();
    while let Some(next) = date.checked_add_days(chrono::Days::new(997)) {
        let by_rule = day_number(
            i64::from(date.year()),
            i64::from(date.month()),
            i64::from(date.day()),
        );
        assert_eq!(by_rule, date.num_days_from_ce(), "{date}");
        date = next;
    }
    assert_eq!(day_number(1, 1, 1), 1);
}

// ---------------------------------------------------------------------------
// The worked example: an InvoiceIssued with one line and one installment.

const INVOICE: &str = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
const CUSTOMER: &str = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";
const SHIPMENT: &str = "6f9619ff-8b86-4011-b42d-00c04fc964ff";
const EVENT: &str = "9b2d7c1e-5a4f-4c3b-8e6d-1f0a2b3c4d5e";
const COMMAND: &str = "c0ffee00-1234-4abc-8def-0123456789ab";
const CORRELATION: &str = "5d4c3b2a-1908-4765-a432-10fedcba9876";
const POSITION: u64 = 42;
/// hash(41), given.
const PREV_HASH: &str = "8d1f6e0b3c2a49587e6f1d2c3b4a59687d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a";

fn uuid(text: &str) -> Uuid {
    Uuid::parse_str(text).unwrap()
}

fn worked_example_event() -> Event {
    let net_30 = terms("100", 30, TermsBase::Invoice);
    Event::InvoiceIssued(InvoiceIssued {
        invoice_id: InvoiceId(uuid(INVOICE)),
        number: "INV-2026-0042".into(),
        customer_id: CustomerId(uuid(CUSTOMER)),
        invoice_date: day("2026-02-06"),
        currency: Currency::CNY,
        lines: vec![InvoiceLine {
            shipment_line: Some(ShipmentLineRef {
                shipment_id: ShipmentId(uuid(SHIPMENT)),
                line_no: 1,
            }),
            quantity: 2,
            description: "Infusion pump IP-200".into(),
            amount: "1234.50".parse().unwrap(),
            tax: "160.49".parse().unwrap(),
        }],
        terms: PaymentTerms {
            installments: vec![net_30.clone()],
        },
        installments: vec![Installment {
            no: 1,
            amount: money("1394.99", "CNY"),
            terms: net_30,
            due_on: Some(day("2026-03-08")),
        }],
    })
}

/// The worked example as the crate stores it. The clock read 09:30:15
/// and 123456789 ns; the canonical bytes keep whole microseconds.
fn worked_example_stored() -> StoredEvent {
    let event = worked_example_event();
    let recorded_at = Utc.with_ymd_and_hms(2026, 2, 6, 9, 30, 15).unwrap()
        + chrono::Duration::nanoseconds(123_456_789);
    StoredEvent {
        position: POSITION,
        stream_id: event.stream_id(),
        stream_version: 1,
        event_id: EventId(uuid(EVENT)),
        event_type: event.type_name(),
        schema_version: event.schema_version(),
        recorded_at,
        command_id: CommandId(uuid(COMMAND)),
        actor: Actor {
            user_id: "li.wei".into(),
            role: Role::Finance,
        },
        correlation_id: Some(uuid(CORRELATION)),
        payload: payload_of(&event),
        hash: [0; 32],
    }
}

/// Bytes pushed by hand, each run with the field it encodes and what it means.
#[derive(Default)]
struct Dump {
    rows: Vec<(String, String, Vec<u8>)>,
}

impl Dump {
    fn push(&mut self, field: &str, meaning: impl Into<String>, bytes: &[u8]) {
        self.rows
            .push((field.into(), meaning.into(), bytes.to_vec()));
    }

    fn bytes(&self) -> Vec<u8> {
        self.rows.iter().flat_map(|(_, _, b)| b.clone()).collect()
    }

    /// A UUID's 16 bytes: the 32 hex digits of its usual form, in order.
    fn uuid(&mut self, field: &str, text: &str) {
        let digits = text.replace('-', "");
        let bytes: Vec<u8> = (0..16)
            .map(|i| u8::from_str_radix(&digits[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        self.push(field, format!("UUID `{text}`"), &bytes);
    }

    /// Envelope text: a length byte, then the bytes.
    fn short(&mut self, field: &str, text: &str) {
        let mut bytes = vec![u8::try_from(text.len()).unwrap()];
        bytes.extend_from_slice(text.as_bytes());
        self.push(
            field,
            format!("length {}, then \"{text}\"", text.len()),
            &bytes,
        );
    }

    fn length(&mut self, field: &str, n: u64) {
        self.push(
            field,
            format!("length {n} (u64 little-endian)"),
            &n.to_le_bytes(),
        );
    }

    fn payload_uuid(&mut self, field: &str, text: &str) {
        self.length(field, 16);
        self.uuid(field, text);
    }

    fn text(&mut self, field: &str, text: &str) {
        self.length(field, u64::try_from(text.len()).unwrap());
        self.push(field, format!("\"{text}\" (UTF-8)"), text.as_bytes());
    }

    fn u32(&mut self, field: &str, n: u32) {
        self.push(field, format!("{n} (u32 little-endian)"), &n.to_le_bytes());
    }

    fn u64(&mut self, field: &str, n: u64) {
        self.push(field, format!("{n} (u64 little-endian)"), &n.to_le_bytes());
    }

    fn some(&mut self, field: &str) {
        self.push(field, "option tag 1: present", &[1]);
    }

    fn decimal(&mut self, field: &str, text: &str) {
        let bytes = decimal_by_the_rules(text);
        let scale = text.split_once('.').map_or(0, |(_, f)| f.len());
        let digits = text.replace(['.', '-'], "");
        let mantissa = match digits.trim_start_matches('0') {
            "" => "0",
            m => m,
        };
        let meaning = format!("decimal {text}: scale {scale}, mantissa {mantissa}");
        self.push(field, meaning, &bytes);
    }

    fn date(&mut self, field: &str, (y, m, d): (i64, i64, i64)) {
        let n = day_number(y, m, d);
        let meaning = format!("{y:04}-{m:02}-{d:02}: day {n} (i32 little-endian)");
        self.push(field, meaning, &n.to_le_bytes());
    }

    fn currency(&mut self, field: &str, code: &str) {
        self.push(field, format!("currency {code} (ASCII)"), code.as_bytes());
    }

    fn variant(&mut self, field: &str, number: u32, name: &str) {
        let meaning = format!("variant {number}, {name} (u32 little-endian)");
        self.push(field, meaning, &number.to_le_bytes());
    }
}

/// The payload of the worked example, field by field in the document's order.
fn payload_by_hand() -> Dump {
    let mut d = Dump::default();
    d.payload_uuid("invoice_id", INVOICE);
    d.text("number", "INV-2026-0042");
    d.payload_uuid("customer_id", CUSTOMER);
    d.date("invoice_date", (2026, 2, 6));
    d.currency("currency", "CNY");
    d.length("lines", 1);
    d.some("lines[0].shipment_line");
    d.payload_uuid("lines[0].shipment_line.shipment_id", SHIPMENT);
    d.u32("lines[0].shipment_line.line_no", 1);
    d.u64("lines[0].quantity", 2);
    d.text("lines[0].description", "Infusion pump IP-200");
    d.decimal("lines[0].amount", "1234.50");
    d.decimal("lines[0].tax", "160.49");
    d.length("terms.installments", 1);
    installment_terms_by_hand(&mut d, "terms.installments[0]");
    d.length("installments", 1);
    d.u32("installments[0].no", 1);
    d.decimal("installments[0].amount.amount", "1394.99");
    d.currency("installments[0].amount.currency", "CNY");
    installment_terms_by_hand(&mut d, "installments[0].terms");
    d.some("installments[0].due_on");
    d.date("installments[0].due_on", (2026, 3, 8));
    d
}

fn installment_terms_by_hand(d: &mut Dump, at: &str) {
    d.decimal(&format!("{at}.share_percent"), "100");
    d.u32(&format!("{at}.days"), 30);
    d.variant(&format!("{at}.base"), 0, "Invoice");
}

/// recorded_at by hand: 2026-02-06T09:30:15.123456Z in microseconds.
fn recorded_at_micros_by_hand() -> i64 {
    let seconds = unix_days(2026, 2, 6) * 86_400 + 9 * 3_600 + 30 * 60 + 15;
    seconds * 1_000_000 + 123_456
}

/// The envelope of the worked example, field by field.
fn envelope_by_hand(payload_len: usize) -> Dump {
    let mut d = Dump::default();
    d.push("format", "1", &[1]);
    let position = format!("{POSITION} (u64 big-endian)");
    d.push("position", position, &POSITION.to_be_bytes());
    d.uuid("stream id (the invoice's id)", INVOICE);
    d.push("stream version", "1 (u64 big-endian)", &1u64.to_be_bytes());
    d.uuid("event id", EVENT);
    d.short("event type", "InvoiceIssued");
    d.push("schema version", "1 (u16 big-endian)", &1u16.to_be_bytes());
    let micros = recorded_at_micros_by_hand();
    let meaning = format!("2026-02-06T09:30:15.123456Z: {micros} µs (i64 big-endian)");
    d.push("recorded_at", meaning, &micros.to_be_bytes());
    d.uuid("command id", COMMAND);
    d.short("actor user id", "li.wei");
    d.short("actor role", "finance");
    d.push("correlation id", "1: present", &[1]);
    d.uuid("correlation id", CORRELATION);
    let len = u32::try_from(payload_len).unwrap();
    let meaning = format!("{len} (u32 big-endian)");
    d.push("payload length", meaning, &len.to_be_bytes());
    d
}

fn worked_example_by_hand() -> (Dump, Dump) {
    let payload = payload_by_hand();
    (envelope_by_hand(payload.bytes().len()), payload)
}

/// The rows of a dump as a table; payload field names are set as code.
fn rows_table(dump: &Dump, first_offset: usize, code: &str) -> String {
    let mut out = String::from("| offset | bytes | field | meaning |\n|---|---|---|---|\n");
    let mut offset = first_offset;
    for (field, meaning, bytes) in &dump.rows {
        let field = format!("{code}{field}{code}");
        let _ = writeln!(out, "| {offset} | `{}` | {field} | {meaning} |", hex(bytes));
        offset += bytes.len();
    }
    out
}

fn worked_example_bytes_section() -> String {
    let (envelope, payload) = worked_example_by_hand();
    let envelope_len = envelope.bytes().len();
    format!(
        "Envelope ({envelope_len} bytes):\n\n{}\nPayload (InvoiceIssued, schema version 1, {} bytes, from offset {envelope_len}):\n\n{}",
        rows_table(&envelope, 0, ""),
        payload.bytes().len(),
        rows_table(&payload, envelope_len, "`")
    )
}

fn prev_hash() -> [u8; 32] {
    hex::decode(PREV_HASH).unwrap().try_into().unwrap()
}

/// The canonical bytes by hand, their content hash and chain hash by SHA-256.
fn worked_example_hashes() -> (Vec<u8>, [u8; 32], [u8; 32]) {
    let (envelope, payload) = worked_example_by_hand();
    let mut canonical = envelope.bytes();
    canonical.extend(payload.bytes());
    let content: [u8; 32] = Sha256::digest(&canonical).into();
    let mut link = prev_hash().to_vec();
    link.extend_from_slice(&POSITION.to_be_bytes());
    link.extend_from_slice(&content);
    (canonical, content, Sha256::digest(&link).into())
}

fn worked_example_hashes_section() -> String {
    let (canonical, content, hash) = worked_example_hashes();
    let mut dump = String::new();
    for (i, line) in canonical.chunks(16).enumerate() {
        let _ = writeln!(dump, "{:04x}  {}", i * 16, hex(line));
    }
    format!(
        "Canonical bytes ({} bytes; offset in hex, then 16 bytes a line):\n\n```text\n{dump}```\n\n\
         content_hash(42) = SHA-256 of these bytes:\n\n```text\n{}\n```\n\n\
         hash(41), given:\n\n```text\n{}\n```\n\n\
         hash(42) = SHA-256(hash(41) ‖ `{}` ‖ content_hash(42)):\n\n```text\n{}\n```\n",
        canonical.len(),
        hex(&content),
        hex(&prev_hash()),
        hex(&POSITION.to_be_bytes()),
        hex(&hash)
    )
}

#[test]
fn the_worked_example_rebuilt_by_hand_equals_the_crates_bytes_and_hashes() {
    let stored = worked_example_stored();
    let (envelope, payload) = worked_example_by_hand();
    assert_eq!(hex(&payload.bytes()), hex(&stored.payload), "payload");
    let (canonical, content, hash) = worked_example_hashes();
    assert_eq!(canonical[..envelope.bytes().len()], envelope.bytes());
    assert_eq!(hex(&canonical), hex(&stored.canonical_bytes()), "canonical");
    assert_eq!(content, stored.content_hash(), "content hash");
    assert_eq!(
        hash,
        chain_hash(&prev_hash(), POSITION, &stored.content_hash())
    );
    assert_eq!(stored.event().unwrap(), worked_example_event());
}

/// recorded_at keeps whole microseconds: the rest is dropped, not rounded.
#[test]
fn recorded_at_is_whole_microseconds_with_the_rest_dropped() {
    let mut stored = worked_example_stored();
    let at = envelope_by_hand(0).rows[..7]
        .iter()
        .map(|(_, _, b)| b.len())
        .sum::<usize>();
    for (nanos, micros) in [(123_456_789, 123_456), (999, 0), (999_999_999, 999_999)] {
        stored.recorded_at = Utc.with_ymd_and_hms(2026, 2, 6, 9, 30, 15).unwrap()
            + chrono::Duration::nanoseconds(nanos);
        let expected = (recorded_at_micros_by_hand() - 123_456 + micros).to_be_bytes();
        assert_eq!(stored.canonical_bytes()[at..at + 8], expected, "{nanos} ns");
    }
}

// ---------------------------------------------------------------------------
// Hand-written parts of the document that the code must still agree with.

fn doc_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/canonical-encoding.md")
}

fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

/// The field names of the first table after `heading` in the document.
fn doc_table_fields(doc: &str, heading: &str) -> Vec<String> {
    let start = doc
        .find(heading)
        .unwrap_or_else(|| panic!("the document has no {heading:?}"));
    doc[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| l.split('`').nth(1).map(String::from))
        .collect()
}

/// ProductRegistered v1 as the document lists it, re-encoded by the rules
/// from an upcast v1 payload of the golden files, gives that payload back.
#[test]
fn a_version_1_product_registration_is_the_documented_fields_in_order() {
    let doc = std::fs::read_to_string(doc_path()).unwrap();
    let v1_fields = doc_table_fields(&doc, "### ProductRegistered version 1");
    let traced = trace();
    let v2 = traced.fields("ProductRegistered");
    let upcast = std::fs::read_to_string(golden_path("upcast.txt")).unwrap();
    let stored = upcast
        .lines()
        .find_map(|l| l.strip_prefix("ProductRegistered v1 "))
        .map(|h| hex::decode(h).unwrap())
        .unwrap();
    let event = Event::decode("ProductRegistered", 1, &stored).unwrap();
    let Event::ProductRegistered(product) = &event else {
        panic!("{event:?}")
    };
    let (_, Value::Seq(values)) = Tracer::new(TracerConfig::default())
        .trace_value(&mut Samples::new(), product)
        .unwrap()
    else {
        panic!("not a struct")
    };
    let mut encoder = RuleEncoder {
        registry: &traced.registry,
        out: Vec::new(),
    };
    for name in &v1_fields {
        let i = v2.iter().position(|f| &f.name == name).unwrap();
        encoder.value(&v2[i].value, &values[i]);
    }
    assert_eq!(encoder.out, stored);
}

/// An event stored at an older schema version can only be rebuilt from the
/// document if that version has its section there.
#[test]
fn every_older_schema_version_has_its_section_in_the_document() {
    let doc = std::fs::read_to_string(doc_path()).unwrap();
    for name in EVENT_TYPES {
        for version in 1..Event::current_version_of(name).unwrap() {
            let heading = format!("\n### {name} version {version}\n");
            assert!(doc.contains(&heading), "the document lacks {heading:?}");
        }
    }
}

/// Stream ids of products and lots are UUID v5 in the documented namespace.
#[test]
fn product_and_lot_stream_ids_are_the_documented_uuid_v5() {
    let namespace = uuid("61726c65-6467-6572-0000-000000000001");
    let doc = std::fs::read_to_string(doc_path()).unwrap();
    assert!(doc.contains(&namespace.to_string()));
    let product = Uuid::new_v5(&namespace, format!("product/{GTIN}").as_bytes());
    let lot = Uuid::new_v5(&namespace, format!("lot/{GTIN}/L1").as_bytes());
    assert_eq!(StreamId::of_product(&gtin()).0, product);
    assert_eq!(StreamId::of_lot(&gtin(), "L1").0, lot);
}

// ---------------------------------------------------------------------------
// The generated sections.

const BEGIN: &str = "<!-- generated: ";
const END: &str = "<!-- end generated -->";

fn sections() -> Vec<(&'static str, String)> {
    let traced = trace();
    vec![
        ("event-types", event_types_section(&traced)),
        ("roles", roles_section()),
        ("decimal-examples", decimal_examples_section()),
        ("date-examples", date_examples_section()),
        ("payload-fields", payload_fields_section(&traced)),
        ("nested-types", nested_types_section(&traced)),
        ("enums", enums_section(&traced)),
        ("worked-example-bytes", worked_example_bytes_section()),
        ("worked-example-hashes", worked_example_hashes_section()),
    ]
}

/// The text between a section's markers, and where it lies.
fn section_range(doc: &str, name: &str) -> std::ops::Range<usize> {
    let begin = format!("{BEGIN}{name} -->\n");
    let start = doc
        .find(&begin)
        .unwrap_or_else(|| panic!("docs/canonical-encoding.md has no section {name}"))
        + begin.len();
    let end = start + doc[start..].find(END).unwrap();
    start..end
}

/// The first line where the document and the code differ.
fn first_difference(document: &str, code: &str) -> String {
    let mut doc_lines = document.lines();
    let mut code_lines = code.lines();
    loop {
        match (doc_lines.next(), code_lines.next()) {
            (Some(d), Some(c)) if d == c => continue,
            (d, c) => {
                let (d, c) = (d.unwrap_or("(end)"), c.unwrap_or("(end)"));
                return format!("document: {d}\ncode:     {c}");
            }
        }
    }
}

/// Compares each generated section with the document, or rewrites them all
/// under UPDATE_GOLDEN (through a temporary file, so no test reads half).
#[test]
fn the_documents_generated_sections_agree_with_the_code() {
    let path = doc_path();
    let doc = std::fs::read_to_string(&path).unwrap();
    let mut updated = doc.clone();
    for (name, body) in sections() {
        let body = format!("\n{}\n\n", body.trim_end());
        let range = section_range(&updated, name);
        if std::env::var_os("UPDATE_GOLDEN").is_none() && updated[range.clone()] != body {
            panic!(
                "section {name} of docs/canonical-encoding.md differs from the code; \
                 review it, or regenerate with UPDATE_GOLDEN=1:\n{}",
                first_difference(&updated[range], &body)
            );
        }
        updated.replace_range(section_range(&updated, name), &body);
    }
    if updated != doc {
        let temporary = path.with_extension("md.new");
        std::fs::write(&temporary, &updated).unwrap();
        std::fs::rename(&temporary, &path).unwrap();
    }
}
