//! GS1 EPCIS 2.0 JSON-LD export of a lot's or a recall's chain
//! (traceability.md "EPCIS 2.0 export"):
//! - lot release → ObjectEvent ADD, bizStep commissioning, disposition
//!   active, with the lot and expiry as ILMD;
//! - shipment → ObjectEvent OBSERVE, shipping, in_transit, LGTIN classes in
//!   `quantityList` (or SGTINs in `epcList` for serials), the consignee in
//!   `destinationList`, the order and invoices as business transactions;
//! - acceptance → ObjectEvent OBSERVE, receiving, in_progress;
//! - recall → ObjectEvent OBSERVE, disposition recalled.
//!
//! `eventTime` is the business date (midnight UTC, offset +00:00),
//! `recordTime` when the ledger recorded the event; each `eventID` is a
//! UUID v5 of the event's kind and log position, so the same chain at the
//! same position exports the same bytes. Consignees, orders and invoices
//! are named by `urn:uuid:` URIs.

use arledger_core::domain::types::Gtin;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::Trace;
use super::query::{LotTrace, ShipmentTrace};
use super::state::{Lot, Recall};

/// The JSON-LD context of every document.
pub const EPCIS_CONTEXT: &str = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";

/// Namespace of the event ids.
const EVENT_NAMESPACE: Uuid = Uuid::from_u128(0x6172_6c65_6467_6572_2d65_7063_6973_0001);

/// Characters EPC URIs take as they are in a lot or serial (GS1 TDS
/// 2.0, table of URI-safe characters); others are %-escaped.
fn epc_escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'A'..='Z'
            | 'a'..='z'
            | '0'..='9'
            | '-'
            | '.'
            | '_'
            | '\''
            | '('
            | ')'
            | '*'
            | '!'
            | ','
            | ':'
            | ';'
            | '=' => c.to_string(),
            _ => {
                let mut buf = [0u8; 4];
                c.encode_utf8(&mut buf)
                    .bytes()
                    .map(|b| format!("%{b:02X}"))
                    .collect()
            }
        })
        .collect()
}

/// `<company prefix>.<indicator><item reference>` of a GTIN-14 for a
/// company prefix of `prefix_len` digits (6 to 12; 7 when out of range).
fn epc_pair(gtin: &Gtin, prefix_len: u8) -> String {
    let digits = gtin.as_str();
    let len = usize::from(if (6..=12).contains(&prefix_len) {
        prefix_len
    } else {
        7
    });
    let indicator = digits.get(..1).unwrap_or("0");
    let prefix = digits.get(1..1 + len).unwrap_or("");
    let item = digits.get(1 + len..13).unwrap_or("");
    format!("{prefix}.{indicator}{item}")
}

/// `urn:epc:class:lgtin:…` of a lot.
pub fn lgtin(gtin: &Gtin, prefix_len: u8, lot: &str) -> String {
    format!(
        "urn:epc:class:lgtin:{}.{}",
        epc_pair(gtin, prefix_len),
        epc_escape(lot)
    )
}

/// `urn:epc:id:sgtin:…` of a serial.
pub fn sgtin(gtin: &Gtin, prefix_len: u8, serial: &str) -> String {
    format!(
        "urn:epc:id:sgtin:{}.{}",
        epc_pair(gtin, prefix_len),
        epc_escape(serial)
    )
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn business_time(date: NaiveDate) -> String {
    time(date.and_time(chrono::NaiveTime::MIN).and_utc())
}

fn event_id(kind: &str, position: u64) -> String {
    let name = format!("{kind}:{position}");
    format!(
        "urn:uuid:{}",
        Uuid::new_v5(&EVENT_NAMESPACE, name.as_bytes())
    )
}

/// An ObjectEvent with what every one has.
fn object_event(
    kind: &str,
    position: u64,
    on: NaiveDate,
    recorded: DateTime<Utc>,
) -> serde_json::Map<String, Value> {
    let mut e = serde_json::Map::new();
    e.insert("type".into(), json!("ObjectEvent"));
    e.insert("eventID".into(), json!(event_id(kind, position)));
    e.insert("eventTime".into(), json!(business_time(on)));
    e.insert("eventTimeZoneOffset".into(), json!("+00:00"));
    e.insert("recordTime".into(), json!(time(recorded)));
    e
}

/// The document around `events`, created at `created`.
fn document(events: Vec<Value>, created: DateTime<Utc>) -> Value {
    json!({
        "@context": [EPCIS_CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": time(created),
        "epcisBody": { "eventList": events },
    })
}

impl Trace {
    /// The EPCIS document of lot `lot` of `gtin` as known at `p`
    /// (`created`: the moment p was recorded); `None` when the lot is
    /// unknown at p.
    pub fn lot_epcis(
        &self,
        gtin: &Gtin,
        lot: &str,
        p: u64,
        created: DateTime<Utc>,
    ) -> Option<Value> {
        let trace = self.lot(gtin, lot, None, p)?;
        let record = self.state.lots.get(&(gtin.clone(), lot.to_string()))?;
        let mut events = vec![release_event(&trace, record)];
        for s in &trace.shipments {
            events.extend(self.shipment_events(&trace, s, s.serials.clone(), p));
        }
        for recall in trace
            .recalls
            .iter()
            .filter_map(|r| self.state.recalls.get(r))
        {
            events.push(recall_event(
                recall,
                &[(trace.lot.clone(), trace.company_prefix_len)],
                gtin,
            ));
        }
        Some(document(events, created))
    }

    /// The EPCIS document of a recall's chain as known at `p`: each
    /// recalled lot's release, the shipments of recalled goods and their
    /// acceptances, and the recall; `None` when unknown at p.
    pub fn recall_epcis(
        &self,
        recall: arledger_core::ids::RecallId,
        p: u64,
        created: DateTime<Utc>,
    ) -> Option<Value> {
        let r = self
            .state
            .recalls
            .get(&recall)
            .filter(|r| r.position <= p)?;
        let gtin = &r.issued.gtin;
        let mut events = Vec::new();
        let mut lots = Vec::new();
        for lot in &r.issued.lots {
            let (Some(trace), Some(record)) = (
                self.lot(gtin, lot, None, p),
                self.state.lots.get(&(gtin.clone(), lot.clone())),
            ) else {
                continue;
            };
            events.push(release_event(&trace, record));
            for s in &trace.shipments {
                events.extend(self.recalled_shipment_events(r, &trace, s, p));
            }
            lots.push((lot.clone(), trace.company_prefix_len));
        }
        events.push(recall_event(r, &lots, gtin));
        Some(document(events, created))
    }

    /// The events of a shipment that carried a recall's goods (its
    /// recalled serials only, when the recall names serials).
    fn recalled_shipment_events(
        &self,
        r: &Recall,
        lot: &LotTrace,
        s: &ShipmentTrace,
        p: u64,
    ) -> Vec<Value> {
        if r.issued.serials.is_empty() {
            return self.shipment_events(lot, s, s.serials.clone(), p);
        }
        let serials: Vec<String> = (s.serials.iter())
            .filter(|x| r.issued.serials.contains(x))
            .cloned()
            .collect();
        if serials.is_empty() {
            return Vec::new();
        }
        self.shipment_events(lot, s, serials, p)
    }

    /// A shipment's event, and its acceptance's when recorded by p.
    fn shipment_events(
        &self,
        lot: &LotTrace,
        s: &ShipmentTrace,
        serials: Vec<String>,
        p: u64,
    ) -> Vec<Value> {
        let Some(shipment) = (self.state.shipment_index.get(&s.shipment_id))
            .and_then(|&i| self.state.shipments.get(usize::try_from(i).ok()?))
        else {
            return Vec::new();
        };
        let what = goods(lot, &serials, s.quantity);
        let mut e = object_event(
            "shipping",
            shipment.position,
            s.shipped_on,
            shipment.recorded_at,
        );
        e.insert("action".into(), json!("OBSERVE"));
        e.insert("bizStep".into(), json!("shipping"));
        e.insert("disposition".into(), json!("in_transit"));
        e.extend(what.clone());
        let mut transactions =
            vec![json!({"type": "po", "bizTransaction": format!("urn:uuid:{}", s.order_id)})];
        transactions.extend(
            s.invoice_ids
                .iter()
                .map(|i| json!({"type": "inv", "bizTransaction": format!("urn:uuid:{i}")})),
        );
        e.insert("bizTransactionList".into(), json!(transactions));
        let consignee = format!("urn:uuid:{}", s.customer_id);
        e.insert(
            "destinationList".into(),
            json!([{"type": "owning_party", "destination": consignee}]),
        );
        let mut out = vec![Value::Object(e)];
        if let Some((on, at, recorded)) = shipment.accepted.filter(|(_, at, _)| *at <= p) {
            let mut r = object_event("receiving", at, on, recorded);
            r.insert("action".into(), json!("OBSERVE"));
            r.insert("bizStep".into(), json!("receiving"));
            r.insert("disposition".into(), json!("in_progress"));
            r.extend(what);
            out.push(Value::Object(r));
        }
        out
    }
}

/// `epcList` of SGTINs when serials are known, else `quantityList` of the
/// lot's LGTIN class.
fn goods(lot: &LotTrace, serials: &[String], quantity: u64) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    if serials.is_empty() {
        let class = lgtin(&lot.gtin, lot.company_prefix_len, &lot.lot);
        m.insert(
            "quantityList".into(),
            json!([{"epcClass": class, "quantity": quantity}]),
        );
    } else {
        let epcs: Vec<String> = serials
            .iter()
            .map(|s| sgtin(&lot.gtin, lot.company_prefix_len, s))
            .collect();
        m.insert("epcList".into(), json!(epcs));
    }
    m
}

fn release_event(lot: &LotTrace, record: &Lot) -> Value {
    let mut e = object_event(
        "commissioning",
        record.position,
        record.manufactured_on,
        record.recorded_at,
    );
    e.insert("action".into(), json!("ADD"));
    e.insert("bizStep".into(), json!("commissioning"));
    e.insert("disposition".into(), json!("active"));
    let class = lgtin(&lot.gtin, lot.company_prefix_len, &lot.lot);
    e.insert(
        "quantityList".into(),
        json!([{"epcClass": class, "quantity": lot.released_quantity}]),
    );
    e.insert(
        "ilmd".into(),
        json!({"cbvmda:lotNumber": lot.lot, "cbvmda:itemExpirationDate": lot.expiry.to_string()}),
    );
    Value::Object(e)
}

fn recall_event(r: &Recall, lots: &[(String, u8)], gtin: &Gtin) -> Value {
    let mut e = object_event("recall", r.position, r.issued.issued_on, r.recorded_at);
    e.insert("action".into(), json!("OBSERVE"));
    e.insert("disposition".into(), json!("recalled"));
    let prefix_len = lots.first().map_or(7, |(_, l)| *l);
    if r.issued.serials.is_empty() {
        let classes: Vec<Value> = (lots.iter())
            .map(|(lot, len)| json!({"epcClass": lgtin(gtin, *len, lot)}))
            .collect();
        e.insert("quantityList".into(), json!(classes));
    } else {
        let epcs: Vec<String> = r
            .issued
            .serials
            .iter()
            .map(|s| sgtin(gtin, prefix_len, s))
            .collect();
        e.insert("epcList".into(), json!(epcs));
    }
    Value::Object(e)
}
