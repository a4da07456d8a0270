//! The facts the credit projection keeps and stores: what an event changes
//! about a customer's exposure (domain.md 6), its limit and grade, its held
//! orders and its promises to pay. Entities are named by their index (the
//! order their first fact was added); stored like the receivables' facts
//! (append-only, keyed by position and sequence, in chunks).

use arledger_core::domain::date_serde;
use arledger_core::domain::types::{HoldReason, RiskGrade};
use arledger_core::ids::{CustomerId, InvoiceId, OrderId, PaymentId, ShipmentId};
use arledger_core::money::Currency;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::stored::compact_decimal;

/// The first byte of every fact's key.
pub(super) const FACT_TAG: u8 = b'c';

/// One fact about credit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) enum Fact {
    /// A customer was registered.
    Customer {
        id: CustomerId,
        name: String,
        salesperson: String,
    },
    /// A customer's name or salesperson changed (`None`: unchanged).
    CustomerChanged {
        customer: u32,
        name: Option<String>,
        salesperson: Option<String>,
    },
    /// A credit limit and grade were set.
    Limit {
        customer: u32,
        #[serde(with = "compact_decimal")]
        limit: Decimal,
        currency: Currency,
        grade: RiskGrade,
    },
    /// An order was placed.
    Ordered(OrderFact),
    /// Order number `order` was held at placement.
    Held {
        order: u32,
        reasons: Vec<HoldReason>,
    },
    /// A held order was released.
    Released { order: u32 },
    /// A held order was rejected.
    Rejected { order: u32 },
    /// An order's unshipped rest was cancelled.
    Cancelled { order: u32 },
    /// Goods of order number `order` shipped: (order line, units).
    Shipped {
        id: ShipmentId,
        order: u32,
        lines: Vec<(u32, u64)>,
    },
    /// An invoice: its total, and the shipment lines it bills
    /// (shipment, order line, units).
    Invoiced {
        id: InvoiceId,
        customer: u32,
        currency: Currency,
        #[serde(with = "compact_decimal")]
        total: Decimal,
        billed: Vec<(u32, u32, u64)>,
    },
    /// A credit note or write-off reduced invoice number `invoice`.
    Reduced {
        invoice: u32,
        #[serde(with = "compact_decimal")]
        amount: Decimal,
    },
    /// A payment was received.
    Paid {
        id: PaymentId,
        customer: u32,
        currency: Currency,
        #[serde(with = "compact_decimal")]
        amount: Decimal,
    },
    /// Payment number `payment` was allocated to invoice number `invoice`.
    Allocated {
        payment: u32,
        invoice: u32,
        #[serde(with = "compact_decimal")]
        amount: Decimal,
    },
    /// Payment number `payment` was reversed.
    Reversed { payment: u32 },
    /// A collection activity with a promise to pay.
    Promised {
        customer: u32,
        #[serde(with = "date_serde")]
        on: NaiveDate,
        #[serde(with = "date_serde")]
        promised: NaiveDate,
    },
}

/// An order placed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct OrderFact {
    pub id: OrderId,
    pub number: String,
    pub customer: u32,
    pub currency: Currency,
    #[serde(with = "date_serde")]
    pub placed_on: NaiveDate,
    pub lines: Vec<OrderLineFact>,
}

/// An order line: its number, units and unit price.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct OrderLineFact {
    pub line_no: u32,
    pub quantity: u64,
    #[serde(with = "compact_decimal")]
    pub unit_price: Decimal,
}
