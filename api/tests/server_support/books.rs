//! Commands as the API takes them (a mutation's name and its arguments,
//! sent as variables), the queries the tests read with, and a small set
//! of books: a customer with credit, a product and its lot, an order,
//! part of it shipped and invoiced.

use serde_json::{Value, json};
use uuid::Uuid;

use super::client::{Api, Reply, position};
use super::{OWN_REP, user_of};
use arledger_core::domain::Role;

/// A product with a valid GTIN-14 check digit.
pub const GTIN: &str = "09504000059118";
/// The lot every order ships from.
pub const LOT: &str = "L-MAIN";
/// A lot only recalls name (so shipments from `LOT` stay possible).
pub const RECALL_LOT: &str = "L-RECALL";
/// The books' currency.
pub const USD: &str = "USD";

/// One command: a mutation and its arguments (a fresh `commandId` each).
#[derive(Clone, Debug)]
pub struct Cmd {
    /// The mutation's name.
    pub mutation: &'static str,
    /// Its arguments.
    pub args: Value,
}

impl Cmd {
    /// A mutation taking `input: <Type>Input!`.
    pub fn input(mutation: &'static str, mut input: Value) -> Cmd {
        input["commandId"] = json!(Uuid::new_v4());
        Cmd {
            mutation,
            args: json!({ "input": input }),
        }
    }

    /// A mutation taking plain arguments.
    pub fn args(mutation: &'static str, mut args: Value) -> Cmd {
        args["commandId"] = json!(Uuid::new_v4());
        Cmd { mutation, args }
    }

    /// The same command with `key` (of its input, or of its arguments) set.
    pub fn with(mut self, key: &str, value: Value) -> Cmd {
        match self.args.get_mut("input") {
            Some(input) => input[key] = value,
            None => self.args[key] = value,
        }
        self
    }

    /// Its command id.
    pub fn command_id(&self) -> Uuid {
        let id = self.args.get("input").unwrap_or(&self.args)["commandId"].clone();
        serde_json::from_value(id).expect("a command id")
    }

    /// The GraphQL document: every argument a variable.
    pub fn document(&self) -> String {
        let args = self.args.as_object().expect("arguments are an object");
        let params: Vec<String> = (args.keys())
            .map(|k| format!("${k}: {}", arg_type(self.mutation, k)))
            .collect();
        let pass: Vec<String> = args.keys().map(|k| format!("{k}: ${k}")).collect();
        let selection = match self.mutation {
            "placeOrder" => "position eventIds duplicate status holdReason",
            _ => "position eventIds duplicate",
        };
        format!(
            "mutation({}) {{ {}({}) {{ {selection} }} }}",
            params.join(", "),
            self.mutation,
            pass.join(", ")
        )
    }
}

/// The GraphQL type of a mutation's argument.
fn arg_type(mutation: &str, arg: &str) -> String {
    let t = match arg {
        "input" => return input_type(mutation),
        "note" | "acceptedBy" => "String",
        "reason" | "outcome" => "String!",
        "amount" => "Decimal!",
        "quantity" => "Int!",
        a if a.ends_with("Id") => "UUID!",
        a if a.ends_with("On") => "Date!",
        a => panic!("no type known for argument {a} of {mutation}"),
    };
    t.to_string()
}

fn input_type(mutation: &str) -> String {
    match mutation {
        "writeOffInvoice" => "WriteOffInput!".into(),
        "recordCollectionActivity" => "CollectionActivityInput!".into(),
        m => format!("{}{}Input!", m[..1].to_uppercase(), &m[1..]),
    }
}

impl Api {
    /// Sends a command as `token`.
    pub fn run(&self, token: &str, cmd: &Cmd) -> Reply {
        self.post(Some(token), &cmd.document(), cmd.args.clone())
    }

    /// Sends a command; its answer, or the transport error.
    pub fn try_run(&self, token: &str, cmd: &Cmd) -> reqwest::Result<Reply> {
        let body = json!({ "query": cmd.document(), "variables": cmd.args });
        self.try_send(Some(token), serde_json::to_vec(&body).expect("a JSON body"))
    }

    /// Sends a command that must be accepted; its result.
    pub fn ok(&self, token: &str, cmd: &Cmd) -> Value {
        self.run(token, cmd).field().clone()
    }

    /// The aging report by customer at `position` and 2026-12-31.
    pub fn aging(&self, token: &str, position: u64) -> Reply {
        let query = "query($p: Position) { aging(knownAtPosition: $p, asOfDate: \"2026-12-31\") {
            asOfDate knownAtPosition basis buckets { label fromDays toDays }
            rows { key name currency amounts total unallocated disputed net }
            totals { currency amounts total unallocated disputed net } } }";
        self.post(Some(token), query, json!({ "p": position.to_string() }))
    }

    /// A customer's open items at `position` and 2026-12-31.
    pub fn items(&self, token: &str, customer: Uuid, position: u64) -> Reply {
        let query = "query($c: UUID!, $p: Position) {
            receivableItems(customerId: $c, knownAtPosition: $p, asOfDate: \"2026-12-31\") {
            invoiceId invoiceNumber customerId currency installmentNo dueDate days bucket amount open disputed } }";
        self.post(
            Some(token),
            query,
            json!({ "c": customer, "p": position.to_string() }),
        )
    }

    /// A page of events.
    pub fn events(&self, token: &str, from: u64, first: i64, stream: Option<Uuid>) -> Reply {
        let query = "query($from: Position, $first: Int!, $stream: UUID) {
            events(fromPosition: $from, first: $first, streamId: $stream) {
            nodes { position streamId streamVersion eventType recordedAt actor commandId payload hash prevHash }
            endCursor hasNextPage } }";
        let variables = json!({ "from": from.to_string(), "first": first, "stream": stream });
        self.post(Some(token), query, variables)
    }

    /// Every event of the log, page by page.
    pub fn all_events(&self, token: &str) -> Vec<Value> {
        let mut all = Vec::new();
        let mut from = 1;
        loop {
            let reply = self.events(token, from, 1_000, None);
            let page = &reply.data()["events"];
            all.extend(page["nodes"].as_array().expect("nodes").iter().cloned());
            if !page["hasNextPage"].as_bool().expect("hasNextPage") {
                return all;
            }
            from = position(&page["endCursor"]) + 1;
        }
    }
}

/// The open amount of a customer's items, summed, as a string.
pub fn open_total(items: &Reply) -> rust_decimal::Decimal {
    (items.field().as_array().expect("items").iter())
        .map(|i| decimal(&i["open"]))
        .sum()
}

/// A `Decimal` of an answer.
pub fn decimal(value: &Value) -> rust_decimal::Decimal {
    (value.as_str())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{value} is not a Decimal"))
}

/// The actor every event of `role`'s test token records.
pub fn actor_of(role: Role) -> String {
    format!("{} ({})", user_of(role), role.name())
}

/// A short document number from an id.
fn number(prefix: &str, id: Uuid) -> String {
    format!("{prefix}-{}", &id.simple().to_string()[..12])
}

/// The commands, one constructor each, with business dates in 2026.
pub mod cmd {
    use super::*;

    pub fn register_customer(customer: Uuid, salesperson: &str) -> Cmd {
        Cmd::input(
            "registerCustomer",
            json!({ "customerId": customer, "name": number("Hospital", customer), "kind": "HOSPITAL",
                    "region": "east", "salespersonId": salesperson, "taxId": "TAX-1" }),
        )
    }

    pub fn update_customer(customer: Uuid, region: &str) -> Cmd {
        Cmd::input(
            "updateCustomer",
            json!({ "customerId": customer, "region": region }),
        )
    }

    pub fn set_credit_limit(customer: Uuid, limit: &str) -> Cmd {
        Cmd::input(
            "setCreditLimit",
            json!({ "customerId": customer, "limit": limit, "currency": USD, "grade": "A", "reason": "annual review" }),
        )
    }

    pub fn set_payment_terms(customer: Uuid, days: i32) -> Cmd {
        Cmd::input(
            "setPaymentTerms",
            json!({ "customerId": customer, "terms": net(days) }),
        )
    }

    pub fn register_product() -> Cmd {
        Cmd::input(
            "registerProduct",
            json!({ "gtin": GTIN, "name": "Infusion pump", "model": "IP-2", "riskClass": "II", "registrationNo": "REG-1" }),
        )
    }

    pub fn release_lot(lot: &str, expires_on: &str, quantity: i64) -> Cmd {
        Cmd::input(
            "releaseLot",
            json!({ "gtin": GTIN, "lot": lot, "manufacturedOn": "2026-01-01", "expiresOn": expires_on, "quantity": quantity }),
        )
    }

    pub fn place_order(order: Uuid, customer: Uuid, quantity: i64, unit_price: &str) -> Cmd {
        Cmd::input(
            "placeOrder",
            json!({ "orderId": order, "number": number("SO", order), "customerId": customer, "currency": USD,
                    "placedOn": "2026-06-01",
                    "lines": [{ "lineNo": 1, "gtin": GTIN, "quantity": quantity, "unitPrice": unit_price }] }),
        )
    }

    pub fn release_order(order: Uuid) -> Cmd {
        Cmd::args(
            "releaseOrder",
            json!({ "orderId": order, "note": "paid up" }),
        )
    }

    pub fn reject_order(order: Uuid) -> Cmd {
        Cmd::args("rejectOrder", json!({ "orderId": order, "note": "no" }))
    }

    pub fn cancel_order(order: Uuid) -> Cmd {
        Cmd::args(
            "cancelOrder",
            json!({ "orderId": order, "reason": "customer withdrew" }),
        )
    }

    pub fn ship_order(shipment: Uuid, order: Uuid, lot: &str, quantity: i64) -> Cmd {
        Cmd::input(
            "shipOrder",
            json!({ "shipmentId": shipment, "orderId": order, "shippedOn": "2026-06-02",
                    "lines": [{ "lineNo": 1, "gtin": GTIN, "lot": lot, "quantity": quantity }] }),
        )
    }

    pub fn accept_delivery(shipment: Uuid) -> Cmd {
        Cmd::args(
            "acceptDelivery",
            json!({ "shipmentId": shipment, "acceptedOn": "2026-06-05" }),
        )
    }

    /// An invoice of `amount` on 2026-06-03, net 30: for `quantity` units of
    /// the shipment's line 1, or a service when no shipment is named.
    pub fn issue_invoice(
        invoice: Uuid,
        customer: Uuid,
        shipment: Option<(Uuid, i64)>,
        amount: &str,
    ) -> Cmd {
        let line = match shipment {
            Some((shipment, quantity)) => {
                json!({ "shipmentId": shipment, "lineNo": 1, "quantity": quantity, "amount": amount })
            }
            None => json!({ "description": "Training", "amount": amount }),
        };
        Cmd::input(
            "issueInvoice",
            json!({ "invoiceId": invoice, "number": number("INV", invoice), "customerId": customer,
                    "invoiceDate": "2026-06-03", "currency": USD, "terms": net(30), "lines": [line] }),
        )
    }

    pub fn issue_credit_note(invoice: Uuid, amount: &str) -> Cmd {
        Cmd::input(
            "issueCreditNote",
            json!({ "creditNoteId": Uuid::new_v4(), "invoiceId": invoice, "amount": amount,
                    "reason": "RETURN", "issuedOn": "2026-06-10" }),
        )
    }

    pub fn receive_payment(payment: Uuid, customer: Uuid, amount: &str) -> Cmd {
        Cmd::input(
            "receivePayment",
            json!({ "paymentId": payment, "customerId": customer, "amount": amount, "currency": USD,
                    "receivedOn": "2026-07-01", "method": "BANK_TRANSFER", "bankReference": "REF-1" }),
        )
    }

    pub fn allocate_payment(payment: Uuid, invoice: Uuid, amount: &str) -> Cmd {
        Cmd::input(
            "allocatePayment",
            json!({ "paymentId": payment, "invoiceId": invoice, "amount": amount }),
        )
    }

    pub fn reverse_payment(payment: Uuid) -> Cmd {
        Cmd::args(
            "reversePayment",
            json!({ "paymentId": payment, "reason": "bounced", "reversedOn": "2026-07-03" }),
        )
    }

    pub fn write_off_invoice(invoice: Uuid, amount: &str) -> Cmd {
        Cmd::input(
            "writeOffInvoice",
            json!({ "invoiceId": invoice, "amount": amount, "reason": "uncollectible", "writtenOffOn": "2026-09-01" }),
        )
    }

    pub fn recover_write_off(invoice: Uuid, amount: &str) -> Cmd {
        Cmd::args(
            "recoverWriteOff",
            json!({ "invoiceId": invoice, "amount": amount, "recoveredOn": "2026-10-01" }),
        )
    }

    pub fn open_dispute(invoice: Uuid, amount: &str) -> Cmd {
        Cmd::args(
            "openDispute",
            json!({ "invoiceId": invoice, "amount": amount, "reason": "damaged", "openedOn": "2026-06-20" }),
        )
    }

    pub fn resolve_dispute(invoice: Uuid) -> Cmd {
        Cmd::args(
            "resolveDispute",
            json!({ "invoiceId": invoice, "outcome": "settled", "resolvedOn": "2026-06-25" }),
        )
    }

    pub fn record_collection_activity(customer: Uuid) -> Cmd {
        Cmd::input(
            "recordCollectionActivity",
            json!({ "customerId": customer, "channel": "CALL", "outcome": "promised",
                    "promisedPayDate": "2026-08-01", "on": "2026-07-15" }),
        )
    }

    pub fn issue_recall(recall: Uuid, lot: &str) -> Cmd {
        Cmd::input(
            "issueRecall",
            json!({ "recallId": recall, "gtin": GTIN, "lots": [lot], "class": "II",
                    "reason": "battery fault", "issuedOn": "2026-08-01" }),
        )
    }

    pub fn acknowledge_recall(recall: Uuid, customer: Uuid) -> Cmd {
        Cmd::args(
            "acknowledgeRecall",
            json!({ "recallId": recall, "customerId": customer, "acknowledgedOn": "2026-08-05" }),
        )
    }

    pub fn record_recall_return(recall: Uuid, customer: Uuid, quantity: i64) -> Cmd {
        Cmd::args(
            "recordRecallReturn",
            json!({ "recallId": recall, "customerId": customer, "quantity": quantity, "returnedOn": "2026-08-10" }),
        )
    }

    /// Net `days` after the invoice date, one installment.
    pub fn net(days: i32) -> Value {
        json!({ "installments": [{ "sharePercent": "100", "days": days, "after": "INVOICE" }] })
    }
}

/// Books a test starts from: the product, lots `LOT` (10,000 units, until
/// 2030) and `RECALL_LOT`, a customer of `rep-own` with a 1,000,000.00 USD
/// limit, an open order of 100 units at 10.00, 10 of them shipped and
/// invoiced for 100.00.
#[derive(Clone, Debug)]
pub struct Books {
    /// `rep-own`'s customer.
    pub customer: Uuid,
    /// The order (100 units, 10 shipped).
    pub order: Uuid,
    /// The shipment of 10 units.
    pub shipment: Uuid,
    /// The invoice of the shipment, 100.00 USD.
    pub invoice: Uuid,
    /// The head after the books were opened.
    pub head: u64,
}

impl Books {
    /// Opens the books through the API as the admin `token`.
    pub fn open(api: &Api, token: &str) -> Books {
        let customer = Uuid::new_v4();
        let (order, shipment, invoice) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let commands = [
            cmd::register_product(),
            cmd::release_lot(LOT, "2030-01-01", 10_000),
            cmd::release_lot(RECALL_LOT, "2030-01-01", 100),
            cmd::register_customer(customer, OWN_REP),
            cmd::set_credit_limit(customer, "1000000.00"),
            cmd::place_order(order, customer, 100, "10.00"),
            cmd::ship_order(shipment, order, LOT, 10),
            cmd::issue_invoice(invoice, customer, Some((shipment, 10)), "100.00"),
        ];
        let head = (commands.iter())
            .map(|c| position(&api.ok(token, c)["position"]))
            .max()
            .unwrap_or_default();
        Books {
            customer,
            order,
            shipment,
            invoice,
            head,
        }
    }

    /// Registers another customer (of `salesperson`, with a limit); its id.
    pub fn another_customer(api: &Api, token: &str, salesperson: &str) -> Uuid {
        let customer = Uuid::new_v4();
        api.ok(token, &cmd::register_customer(customer, salesperson));
        api.ok(token, &cmd::set_credit_limit(customer, "1000000.00"));
        customer
    }
}

/// The events of a page, as a list.
pub fn nodes(reply: &Reply) -> Vec<Value> {
    reply.field()["nodes"].as_array().expect("nodes").clone()
}
