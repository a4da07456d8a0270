//! Identifiers: one newtype per entity, so an invoice id can never be passed
//! where a payment id is expected. Parsed at the boundary.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub struct $name(pub Uuid);

        impl $name {
            /// The raw UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                $name(id)
            }
        }
    )*};
}

id_type! {
    /// A customer (hospital, clinic, distributor, dealer).
    CustomerId;
    /// A sales order.
    OrderId;
    /// A shipment against an order.
    ShipmentId;
    /// An invoice.
    InvoiceId;
    /// A credit note against an invoice.
    CreditNoteId;
    /// A received payment.
    PaymentId;
    /// A recall.
    RecallId;
    /// A client-supplied command id (idempotency key).
    CommandId;
    /// An event's own id.
    EventId;
    /// A stream (one entity's history).
    StreamId;
}

/// Namespace for stream ids derived from natural keys (GTIN, GTIN + lot).
const STREAM_NAMESPACE: Uuid = Uuid::from_u128(0x6172_6c65_6467_6572_0000_0000_0000_0001);

impl StreamId {
    /// The stream of a product, keyed by its GTIN.
    pub fn of_product(gtin: &crate::domain::Gtin) -> StreamId {
        StreamId(Uuid::new_v5(
            &STREAM_NAMESPACE,
            format!("product/{}", gtin.as_str()).as_bytes(),
        ))
    }

    /// The stream of a lot, keyed by GTIN and lot number.
    pub fn of_lot(gtin: &crate::domain::Gtin, lot: &str) -> StreamId {
        StreamId(Uuid::new_v5(
            &STREAM_NAMESPACE,
            format!("lot/{}/{}", gtin.as_str(), lot).as_bytes(),
        ))
    }
}

macro_rules! stream_of {
    ($($name:ident),*) => {$(
        impl From<$name> for StreamId {
            fn from(id: $name) -> StreamId {
                StreamId(id.0)
            }
        }
    )*};
}
stream_of!(CustomerId, OrderId, InvoiceId, PaymentId, RecallId);
