//! The traceability queries as the tests ask for them (`lot`, `udi`,
//! `recallImpact`, `recalls`, every field of their answers, arguments as
//! variables), the raw text of an answer (to compare answers byte for
//! byte), the commands of lots, serials and recalls with business dates,
//! and the recall books of the issue's replay.

use serde_json::{Value, json};
use uuid::Uuid;

use super::books::{Cmd, GTIN, cmd};
use super::client::{Api, Reply, position};
use super::{Harness, OWN_REP};

/// Every field of a `ShipmentTrace`.
pub const SHIPMENT_FIELDS: &str =
    "shipmentId orderId customerId customerName shippedOn quantity serials invoiceIds";

/// Every field of a `LotTrace`.
pub fn lot_fields() -> String {
    format!(
        "gtin lot productName expiry releasedQuantity shippedQuantity inStock
         shipments {{ {SHIPMENT_FIELDS} }} recalls"
    )
}

/// The fields of a `RecallCustomer` anyone who reads traces may read.
pub const RECALL_CUSTOMER_FIELDS: &str =
    "customerId name quantityShipped quantityReturned acknowledgedOn shipments";

/// The fields of a `RecallCustomer` only who may read amounts reads.
pub const AMOUNT_FIELDS: &str = "openInvoiceAmount openInvoiceAmounts { currency amount }";

/// The `recallImpact` document; `amounts` adds the customers' open
/// invoice amounts.
pub fn recall_impact_document(amounts: bool) -> String {
    let amounts = if amounts { AMOUNT_FIELDS } else { "" };
    format!(
        "query($r: UUID!, $p: Position) {{ recallImpact(recallId: $r, knownAtPosition: $p) {{
         recallId gtin lots class totalShipped totalReturned completion epcis
         customers {{ {RECALL_CUSTOMER_FIELDS} {amounts} }} }} }}"
    )
}

/// The `recalls` document, every field of a page.
pub const RECALLS_DOCUMENT: &str = "query($p: Position) { recalls(knownAtPosition: $p) {
    nodes { recallId gtin lots class issuedOn affectedCustomers completion }
    endCursor hasNextPage } }";

/// A `Position` variable, or null for the head.
fn point(at: Option<u64>) -> Value {
    at.map_or(Value::Null, |p| json!(p.to_string()))
}

impl Api {
    /// `lot(gtin, lot)` as known at `at` (the head when `None`).
    pub fn lot(&self, token: &str, lot: &str, at: Option<u64>) -> Reply {
        let query = format!(
            "query($g: String!, $l: String!, $p: Position) {{
             lot(gtin: $g, lot: $l, knownAtPosition: $p) {{ {} }} }}",
            lot_fields()
        );
        let variables = json!({ "g": GTIN, "l": lot, "p": point(at) });
        self.post(Some(token), &query, variables)
    }

    /// `udi(udi)` as known at `at`, every field.
    pub fn udi(&self, token: &str, udi: &str, at: Option<u64>) -> Reply {
        let query = format!(
            "query($u: String!, $p: Position) {{ udi(udi: $u, knownAtPosition: $p) {{
             fields {{ gtin lot serial expiry productionDate }} lot {{ {} }} }} }}",
            lot_fields()
        );
        self.post(Some(token), &query, json!({ "u": udi, "p": point(at) }))
    }

    /// `recallImpact(recall)` as known at `at`; `amounts` asks for the
    /// open invoice amounts too.
    pub fn recall_impact(
        &self,
        token: &str,
        recall: Uuid,
        at: Option<u64>,
        amounts: bool,
    ) -> Reply {
        let variables = json!({ "r": recall, "p": point(at) });
        self.post(Some(token), &recall_impact_document(amounts), variables)
    }

    /// `recalls` as known at `at`.
    pub fn recalls(&self, token: &str, at: Option<u64>) -> Reply {
        self.post(Some(token), RECALLS_DOCUMENT, json!({ "p": point(at) }))
    }
}

/// The body of an answer exactly as the server sent it (status, text),
/// to compare answers byte for byte.
pub fn raw_answer(base: &str, token: &str, query: &str, variables: &Value) -> (u16, String) {
    let body = json!({ "query": query, "variables": variables });
    let response = reqwest::blocking::Client::new()
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .header("Content-Type", "application/json")
        .body(serde_json::to_vec(&body).expect("a JSON body"))
        .send()
        .expect("the server answers");
    let status = response.status().as_u16();
    (status, response.text().expect("the answer's text"))
}

/// The commands of lots, orders, serials and recalls, with business dates.
pub mod tcmd {
    use super::*;

    /// An order of `quantity` units at 10.00 USD, placed on 2026-02-01.
    pub fn order(order: Uuid, customer: Uuid, quantity: i64) -> Cmd {
        cmd::place_order(order, customer, quantity, "10.00").with("placedOn", json!("2026-02-01"))
    }

    /// `quantity` units of `lot` on order line 1, shipped on `on`.
    pub fn ship(shipment: Uuid, order: Uuid, lot: &str, quantity: i64, on: &str) -> Cmd {
        cmd::ship_order(shipment, order, lot, quantity).with("shippedOn", json!(on))
    }

    /// One unit per serial of `lot` on order line 1, with raw `udis`,
    /// shipped on `on`.
    pub fn ship_serials(
        shipment: Uuid,
        order: Uuid,
        lot: &str,
        serials: &[&str],
        udis: &[String],
        on: &str,
    ) -> Cmd {
        let line = json!({ "lineNo": 1, "gtin": GTIN, "lot": lot,
                           "quantity": serials.len(), "serials": serials, "udis": udis });
        cmd::ship_order(shipment, order, lot, 0)
            .with("shippedOn", json!(on))
            .with("lines", json!([line]))
    }

    /// A recall of `lot` naming only `serials`.
    pub fn recall_serials(recall: Uuid, lot: &str, serials: &[&str]) -> Cmd {
        cmd::issue_recall(recall, lot).with("serials", json!(serials))
    }

    /// An invoice of `quantity` units of `shipment` for `amount` USD.
    pub fn invoice(
        invoice: Uuid,
        customer: Uuid,
        shipment: Uuid,
        quantity: i64,
        amount: &str,
    ) -> Cmd {
        cmd::issue_invoice(invoice, customer, Some((shipment, quantity)), amount)
    }
}

/// A human-readable UDI of the books' product: `(01)GTIN(10)lot(21)serial`.
pub fn human_udi(lot: &str, serial: &str) -> String {
    format!("(01){GTIN}(10){lot}(21){serial}")
}

/// The same as an element string, GS (0x1D) ending the lot.
pub fn element_udi(lot: &str, serial: &str) -> String {
    format!("01{GTIN}10{lot}\u{1d}21{serial}")
}

/// The same as a GS1 Digital Link URI.
pub fn digital_link_udi(lot: &str, serial: &str) -> String {
    format!("https://id.gs1.org/01/{GTIN}/10/{lot}/21/{serial}")
}

/// The recall books of the issue's replay: the product, lots `L1` and
/// `L2` (100 units each, until 2030), hospitals `h1` and `h2`;
/// `s1`: 10 units of L1 to h1 on 2026-03-01 (at `p1`), `s2`: 5 units of
/// L1 to h2 on 2026-03-05 (at `p2`), `s3`: 5 units of L2 to h1 on
/// 2026-03-07; invoices `i1` of s1 (100.00, 30.00 of it paid: 70.00
/// open), `i2` of s2 (50.00) and `i3` of s3 (50.00); then the recall of
/// L1 (at `recalled`).
#[derive(Clone, Debug)]
pub struct RecallBooks {
    pub h1: Uuid,
    pub h2: Uuid,
    pub s1: Uuid,
    pub s2: Uuid,
    pub s3: Uuid,
    pub i1: Uuid,
    pub i2: Uuid,
    pub i3: Uuid,
    pub recall: Uuid,
    /// After s1, before s2.
    pub p1: u64,
    /// After s2.
    pub p2: u64,
    /// Just before the recall.
    pub before_recall: u64,
    /// The recall's position.
    pub recalled: u64,
}

/// The first lot of the recall books, the recalled one.
pub const L1: &str = "L1";
/// The second lot of the recall books.
pub const L2: &str = "L2";

impl RecallBooks {
    /// Opens them through the API as the admin.
    pub fn open(h: &Harness) -> RecallBooks {
        let id = Uuid::new_v4;
        let (h1, h2, o1, o2) = (id(), id(), id(), id());
        let (s1, s2, s3, i1, i2, i3, pay) = (id(), id(), id(), id(), id(), id(), id());
        let recall = id();
        let admin = h.admin();
        h.api.all_ok(
            admin,
            &[
                cmd::register_product(),
                cmd::release_lot(L1, "2030-01-01", 100),
                cmd::release_lot(L2, "2030-01-01", 100),
                cmd::register_customer(h1, OWN_REP),
                cmd::register_customer(h2, OWN_REP),
                cmd::set_credit_limit(h1, "1000000.00"),
                cmd::set_credit_limit(h2, "1000000.00"),
                tcmd::order(o1, h1, 15),
                tcmd::order(o2, h2, 5),
            ],
        );
        let p1 = h
            .api
            .all_ok(admin, &[tcmd::ship(s1, o1, L1, 10, "2026-03-01")]);
        let p2 = h
            .api
            .all_ok(admin, &[tcmd::ship(s2, o2, L1, 5, "2026-03-05")]);
        let before_recall = h.api.all_ok(
            admin,
            &[
                tcmd::ship(s3, o1, L2, 5, "2026-03-07"),
                tcmd::invoice(i1, h1, s1, 10, "100.00"),
                tcmd::invoice(i2, h2, s2, 5, "50.00"),
                tcmd::invoice(i3, h1, s3, 5, "50.00"),
                cmd::receive_payment(pay, h1, "30.00"),
                cmd::allocate_payment(pay, i1, "30.00"),
            ],
        );
        let recalled = position(&h.api.ok(admin, &cmd::issue_recall(recall, L1))["position"]);
        RecallBooks {
            h1,
            h2,
            s1,
            s2,
            s3,
            i1,
            i2,
            i3,
            recall,
            p1,
            p2,
            before_recall,
            recalled,
        }
    }
}

/// The customer `id` of a `recallImpact` answer.
pub fn recall_customer(impact: &Value, id: Uuid) -> Value {
    (impact["customers"].as_array().expect("customers").iter())
        .find(|c| c["customerId"] == id.to_string().as_str())
        .unwrap_or_else(|| panic!("customer {id} in {impact}"))
        .clone()
}
