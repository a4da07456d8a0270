//! Older schema versions of event payloads, as they were stored, and their
//! upcast to the current shape (`Event::decode`). Exported so that readers
//! which show stored bytes as they are (the replay's readable payloads)
//! decode old versions with these very types.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{
    COMPANY_PREFIX_LEN_DEFAULT, DisputeOpened, Event, ProductRegistered, RecallIssued,
    RecallUnitsReturned, payload_options,
};
use crate::domain::types::{Gtin, RiskClass};
use crate::ids::{CustomerId, InvoiceId, RecallId};
use crate::money::Money;
use bincode::Options;

/// `ProductRegistered` version 1: version 2 without `company_prefix_len`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct ProductRegisteredV1 {
    pub gtin: Gtin,
    pub name: String,
    pub model: Option<String>,
    pub risk_class: RiskClass,
    pub registration_no: Option<String>,
}

impl From<ProductRegisteredV1> for Event {
    fn from(v1: ProductRegisteredV1) -> Event {
        Event::ProductRegistered(ProductRegistered {
            gtin: v1.gtin,
            name: v1.name,
            model: v1.model,
            risk_class: v1.risk_class,
            registration_no: v1.registration_no,
            company_prefix_len: COMPANY_PREFIX_LEN_DEFAULT,
        })
    }
}

/// `DisputeOpened` version 1: version 2 without `recall_id` (every dispute
/// was a person's).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct DisputeOpenedV1 {
    pub invoice_id: InvoiceId,
    pub amount: Money,
    pub reason: String,
    #[serde(with = "crate::domain::date_serde")]
    pub opened_on: NaiveDate,
}

impl From<DisputeOpenedV1> for Event {
    fn from(v1: DisputeOpenedV1) -> Event {
        Event::DisputeOpened(DisputeOpened {
            invoice_id: v1.invoice_id,
            amount: v1.amount,
            reason: v1.reason,
            opened_on: v1.opened_on,
            recall_id: None,
        })
    }
}

/// `RecallIssued` version 1: version 2 without `disputes` (a recall opened
/// none).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct RecallIssuedV1 {
    pub recall_id: RecallId,
    pub gtin: Gtin,
    pub lots: Vec<String>,
    pub serials: Vec<String>,
    pub class: RiskClass,
    pub reason: String,
    #[serde(with = "crate::domain::date_serde")]
    pub issued_on: NaiveDate,
}

impl From<RecallIssuedV1> for Event {
    fn from(v1: RecallIssuedV1) -> Event {
        Event::RecallIssued(RecallIssued {
            recall_id: v1.recall_id,
            gtin: v1.gtin,
            lots: v1.lots,
            serials: v1.serials,
            class: v1.class,
            reason: v1.reason,
            issued_on: v1.issued_on,
            disputes: Vec::new(),
        })
    }
}

/// `RecallUnitsReturned` version 1: version 2 without `settles` (a return
/// settled no dispute).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct RecallUnitsReturnedV1 {
    pub recall_id: RecallId,
    pub customer_id: CustomerId,
    pub quantity: u64,
    #[serde(with = "crate::domain::date_serde")]
    pub returned_on: NaiveDate,
}

impl From<RecallUnitsReturnedV1> for Event {
    fn from(v1: RecallUnitsReturnedV1) -> Event {
        Event::RecallUnitsReturned(RecallUnitsReturned {
            recall_id: v1.recall_id,
            customer_id: v1.customer_id,
            quantity: v1.quantity,
            returned_on: v1.returned_on,
            settles: Vec::new(),
        })
    }
}

/// Decodes an old payload as the log stores it and upcasts it.
pub(super) fn upcast<T>(bytes: &[u8]) -> Result<Event, bincode::Error>
where
    T: for<'de> Deserialize<'de> + Into<Event>,
{
    payload_options().deserialize::<T>(bytes).map(Into::into)
}
