//! Values the sections share: an actor of each role, dates, GTINs, money,
//! and the constant ids of customers, orders, shipments, invoices, payments,
//! credit notes, recalls and products.

use arledger_core::domain::types::{Actor, Gtin};
use arledger_core::ids::{
    CreditNoteId, CustomerId, InvoiceId, OrderId, PaymentId, RecallId, ShipmentId,
};
use arledger_core::money::{Currency, Money};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use uuid::Uuid;

pub(crate) fn actor(user: &str, role: &str) -> Actor {
    match Actor::new(user, role) {
        Ok(a) => a,
        Err(e) => panic!("actor {user}/{role}: {e}"),
    }
}

pub(crate) fn admin() -> Actor {
    actor("ada", "admin")
}

pub(crate) fn finance_manager() -> Actor {
    actor("fiona", "finance_manager")
}

pub(crate) fn finance() -> Actor {
    actor("frank", "finance")
}

pub(crate) fn sales() -> Actor {
    actor("sam", "sales")
}

pub(crate) fn warehouse() -> Actor {
    actor("wanda", "warehouse")
}

pub(crate) fn quality() -> Actor {
    actor("quinn", "quality")
}

pub(crate) fn auditor() -> Actor {
    actor("audrey", "auditor")
}

pub(crate) fn regulator() -> Actor {
    actor("rex", "regulator")
}

pub(crate) fn d(s: &str) -> NaiveDate {
    match s.parse() {
        Ok(date) => date,
        Err(e) => panic!("date {s}: {e}"),
    }
}

pub(crate) fn gtin(s: &str) -> Gtin {
    match Gtin::parse(s) {
        Ok(g) => g,
        Err(e) => panic!("gtin {s}: {e}"),
    }
}

pub(crate) fn money(amount: Decimal, currency: Currency) -> Money {
    match Money::new(amount, currency) {
        Ok(m) => m,
        Err(e) => panic!("money {amount} {currency}: {e}"),
    }
}

pub(crate) fn usd(amount: Decimal) -> Money {
    money(amount, Currency::USD)
}

pub(crate) fn long_text() -> String {
    "x".repeat(1_001)
}

pub(crate) const HOSPITAL: CustomerId = CustomerId(Uuid::from_u128(0xC001));

pub(crate) const CLINIC: CustomerId = CustomerId(Uuid::from_u128(0xC002));

/// Registered, with neither credit limit nor terms.
pub(crate) const DEALER: CustomerId = CustomerId(Uuid::from_u128(0xC003));

pub(crate) const NO_SUCH_CUSTOMER: CustomerId = CustomerId(Uuid::from_u128(0xC0FF));

/// Not in the world: the customer the registration tests register.
pub(crate) const NEW_CUSTOMER: CustomerId = CustomerId(Uuid::from_u128(0xC010));

pub(crate) const O1: OrderId = OrderId(Uuid::from_u128(0x0D01));

pub(crate) const O2: OrderId = OrderId(Uuid::from_u128(0x0D02));

pub(crate) const O3: OrderId = OrderId(Uuid::from_u128(0x0D03));

pub(crate) const NO_SUCH_ORDER: OrderId = OrderId(Uuid::from_u128(0x0DFF));

pub(crate) const S1: ShipmentId = ShipmentId(Uuid::from_u128(0x5001));

pub(crate) const S2: ShipmentId = ShipmentId(Uuid::from_u128(0x5002));

pub(crate) const S3: ShipmentId = ShipmentId(Uuid::from_u128(0x5003));

pub(crate) const NO_SUCH_SHIPMENT: ShipmentId = ShipmentId(Uuid::from_u128(0x50FF));

pub(crate) const I1: InvoiceId = InvoiceId(Uuid::from_u128(0x1001));

pub(crate) const I2: InvoiceId = InvoiceId(Uuid::from_u128(0x1002));

pub(crate) const I3: InvoiceId = InvoiceId(Uuid::from_u128(0x1003));

pub(crate) const NO_SUCH_INVOICE: InvoiceId = InvoiceId(Uuid::from_u128(0x10FF));

pub(crate) const P1: PaymentId = PaymentId(Uuid::from_u128(0x9001));

pub(crate) const P2: PaymentId = PaymentId(Uuid::from_u128(0x9002));

pub(crate) const NO_SUCH_PAYMENT: PaymentId = PaymentId(Uuid::from_u128(0x90FF));

pub(crate) const CN1: CreditNoteId = CreditNoteId(Uuid::from_u128(0xC401));

pub(crate) const CN2: CreditNoteId = CreditNoteId(Uuid::from_u128(0xC402));

pub(crate) const R1: RecallId = RecallId(Uuid::from_u128(0x7001));

pub(crate) const NO_SUCH_RECALL: RecallId = RecallId(Uuid::from_u128(0x70FF));

/// GS1's example GTIN; check digit 2.
pub(crate) const GTIN_A: &str = "09506000134352";

/// Another valid GTIN-14; check digit 8.
pub(crate) const GTIN_B: &str = "09504000059118";

/// Valid, never registered.
pub(crate) const GTIN_UNREGISTERED: &str = "00012345678905";
