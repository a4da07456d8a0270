//! The read-side reports beyond aging as the tests ask for them: `dso`,
//! `dsoTrend`, `creditExposure`, `creditExposures` and `alerts`, each with
//! every field of its answer; arguments are given as variables (only the
//! ones named), and a few commands the reports' books need.

use serde_json::{Value, json};

use super::books::{Cmd, cmd};
use super::client::{Api, Reply, position};

/// Every field of a `DsoReport`.
pub const DSO_FIELDS: &str = "asOfDate periodDays currency receivables creditSales notDue dso
    countbackDso bestPossibleDso averageDaysDelinquent cei knownAtPosition";

/// Every field of a `CreditExposure`, its payment behaviour included.
pub const EXPOSURE_FIELDS: &str = "customerId name currency openReceivables shippedNotInvoiced
    openOrders unallocatedPayments exposure creditLimit available utilization overdue
    oldestOverdueDays grade heldOrders
    paymentBehaviour { installments onTimeShare averageDaysLate suggestedGrade }";

/// Every field of an `Alert`.
pub const ALERT_FIELDS: &str =
    "id customerId invoiceId level assigneeRole reasonCode reason dueDate amount currency";

/// The alerts subscription, every field of each alert.
pub const ALERTS_SUBSCRIPTION: &str = "subscription { alerts { id customerId invoiceId level
    assigneeRole reasonCode reason dueDate amount currency } }";

/// The selection of a report field.
fn selection(field: &str) -> String {
    match field {
        "dso" | "dsoTrend" => DSO_FIELDS.to_string(),
        "creditExposure" => EXPOSURE_FIELDS.to_string(),
        "creditExposures" => format!("nodes {{ {EXPOSURE_FIELDS} }} endCursor hasNextPage"),
        "alerts" => format!("nodes {{ {ALERT_FIELDS} }} endCursor hasNextPage"),
        f => panic!("no report {f}"),
    }
}

/// The GraphQL type of a report's argument.
fn report_arg_type(field: &str, arg: &str) -> &'static str {
    match (field, arg) {
        ("creditExposure", "customerId") => "UUID!",
        (_, "customerId") => "UUID",
        (_, "currency") => "String!",
        (_, "asOfDate") => "Date",
        (_, "knownAt") => "DateTime",
        (_, "knownAtPosition") => "Position",
        (_, "periodDays" | "months" | "first") => "Int",
        (_, "minUtilization") => "Decimal",
        (_, "region" | "salespersonId" | "after") => "String",
        (f, a) => panic!("no type known for argument {a} of {f}"),
    }
}

/// The query document of report `field` with the arguments `args` names.
pub fn report_document(field: &str, args: &Value) -> String {
    let args = args.as_object().expect("arguments are an object");
    let params: Vec<String> = (args.keys())
        .map(|k| format!("${k}: {}", report_arg_type(field, k)))
        .collect();
    let pass: Vec<String> = args.keys().map(|k| format!("{k}: ${k}")).collect();
    let (params, pass) = if args.is_empty() {
        (String::new(), String::new())
    } else {
        (
            format!("({})", params.join(", ")),
            format!("({})", pass.join(", ")),
        )
    };
    format!(
        "query{params} {{ {field}{pass} {{ {} }} }}",
        selection(field)
    )
}

impl Api {
    /// Report `field` (`dso`, `dsoTrend`, `creditExposure`,
    /// `creditExposures`, `alerts`) with `args` (an object of its
    /// arguments) as `token`.
    pub fn report(&self, token: &str, field: &str, args: Value) -> Reply {
        self.post(Some(token), &report_document(field, &args), args)
    }

    /// Sends commands that must be accepted; the last one's position.
    pub fn all_ok(&self, token: &str, commands: &[Cmd]) -> u64 {
        (commands.iter())
            .map(|c| position(&self.ok(token, c)["position"]))
            .max()
            .expect("at least one command")
    }
}

/// A `Position` argument.
pub fn at(position: u64) -> Value {
    json!(position.to_string())
}

/// Commands the reports' books need beyond `books::cmd`.
pub mod more {
    use super::*;
    use uuid::Uuid;

    /// A service invoice of `amount` USD on `date`, net 30.
    pub fn service_invoice(invoice: Uuid, customer: Uuid, amount: &str, date: &str) -> Cmd {
        cmd::issue_invoice(invoice, customer, None, amount).with("invoiceDate", json!(date))
    }

    /// A credit limit of `limit` USD with `grade`.
    pub fn limit(customer: Uuid, limit: &str, grade: &str) -> Cmd {
        cmd::set_credit_limit(customer, limit).with("grade", json!(grade))
    }

    /// A payment of `amount` USD received on `date`.
    pub fn payment(payment: Uuid, customer: Uuid, amount: &str, date: &str) -> Cmd {
        cmd::receive_payment(payment, customer, amount).with("receivedOn", json!(date))
    }

    /// A promise to pay on `promised`, recorded on `on`.
    pub fn promise(customer: Uuid, on: &str, promised: &str) -> Cmd {
        cmd::record_collection_activity(customer)
            .with("on", json!(on))
            .with("promisedPayDate", json!(promised))
    }
}
