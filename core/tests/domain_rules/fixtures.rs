//! Given states: the events of the world (customers with their credit
//! limits and terms, products, lots), and the fixture stages along
//! HOSPITAL's order-to-cash flow, each reached by commands run as admin.

use arledger_core::domain::events::*;
use arledger_core::domain::terms::{InstallmentTerms, PaymentTerms, TermsBase};
use arledger_core::domain::types::{CustomerKind, RiskClass, RiskGrade};
use arledger_core::domain::{Command, Event};
use arledger_core::ids::CustomerId;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::commands::*;
use crate::harness::*;
use crate::values::*;

// Events for given states

pub(crate) fn customer_registered(id: CustomerId, name: &str) -> Event {
    Event::CustomerRegistered(CustomerRegistered {
        customer_id: id,
        name: name.into(),
        kind: CustomerKind::Hospital,
        region: "North".into(),
        salesperson_id: "sam".into(),
        tax_id: None,
    })
}

pub(crate) fn credit_limit_set(id: CustomerId, limit: Decimal, grade: RiskGrade) -> Event {
    Event::CreditLimitSet(CreditLimitSet {
        customer_id: id,
        limit: usd(limit),
        grade,
        reason: "annual review".into(),
        approved_by: "fiona".into(),
    })
}

pub(crate) fn terms_set(id: CustomerId, terms: PaymentTerms) -> Event {
    Event::PaymentTermsSet(PaymentTermsSet {
        customer_id: id,
        contract_id: None,
        terms,
    })
}

pub(crate) fn product_registered(g: &str) -> Event {
    Event::ProductRegistered(ProductRegistered {
        gtin: gtin(g),
        name: format!("Device {g}"),
        model: None,
        risk_class: RiskClass::II,
        registration_no: None,
        company_prefix_len: 7,
    })
}

pub(crate) fn lot_released(g: &str, lot: &str, quantity: u64, expires_on: &str) -> Event {
    Event::LotReleased(LotReleased {
        gtin: gtin(g),
        lot: lot.into(),
        manufactured_on: d("2025-01-01"),
        expires_on: d(expires_on),
        quantity,
    })
}

pub(crate) fn net(days: u32) -> PaymentTerms {
    PaymentTerms::single(days, TermsBase::Invoice)
}

pub(crate) fn installment(share_percent: Decimal, days: u32, base: TermsBase) -> InstallmentTerms {
    InstallmentTerms {
        share_percent,
        days,
        base,
    }
}

/// Two customers with a 100 000 USD limit, grade A, net 30; a dealer with
/// neither limit nor terms; two products; four lots.
pub(crate) fn world() -> Given {
    given(world_events())
}

pub(crate) fn world_events() -> Vec<Event> {
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

// Fixture stages along the order-to-cash flow of HOSPITAL.

/// O1 placed (not held: 1 100.00 against 100 000.00).
pub(crate) fn with_order() -> Given {
    world().and(Command::PlaceOrder(place_o1()))
}

/// O1 line 1 shipped in S1 (10 × A from L1); line 2 still open.
pub(crate) fn with_shipment() -> Given {
    with_order().and(Command::ShipOrder(ship_s1()))
}

/// S1 invoiced in I1: 1 130.00 USD due 2026-02-14.
pub(crate) fn with_invoice() -> Given {
    with_shipment().and(Command::IssueInvoice(issue_i1()))
}

/// P1: 500.00 USD received from HOSPITAL, not allocated.
pub(crate) fn with_payment() -> Given {
    with_invoice().and(Command::ReceivePayment(payment(P1, HOSPITAL, dec!(500.00))))
}

/// L1 recalled in R1 after S1 took 10 of its units to HOSPITAL.
pub(crate) fn with_recall() -> Given {
    with_shipment().and(Command::IssueRecall(recall(R1, GTIN_A, &["L1"])))
}

/// DEALER (no credit limit) placed O2, which was held.
pub(crate) fn with_held_order() -> Given {
    world().and(Command::PlaceOrder(order_of(O2, DEALER, 5, dec!(10.00))))
}
