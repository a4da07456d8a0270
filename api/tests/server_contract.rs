//! The public contract: `tests/golden/contract.graphql` is the project's
//! copy of `../shared/spec/api-contract.graphql` (the two must not drift),
//! and the served schema holds every type, field, argument and enum value
//! of it, with the same types, except what later issues add ([`LATER`]).
//! Both are parsed with `async-graphql-parser`, the server's own parser.
//! Over HTTP: a client may pass the contract's nullable arguments as
//! nullable variables, or null.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

mod server_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use async_graphql_parser::parse_schema;
use async_graphql_parser::types::{
    FieldDefinition, InputValueDefinition, TypeKind, TypeSystemDefinition,
};
use serde_json::{Value, json};
use server_support::Harness;
use server_support::books::{Books, cmd};
use uuid::Uuid;

/// What the contract names and later issues serve: their queries and
/// subscription, and the types only those use.
const LATER: &[&str] = &[
    // DSO (issue: DSO and its trend).
    "Query.dso",
    "Query.dsoTrend",
    "DsoReport",
    // Credit exposure.
    "Query.creditExposure",
    "Query.creditExposures",
    "CreditExposure",
    "CreditExposureConnection",
    // Recalls and traceability (lots, UDIs).
    "Query.recalls",
    "Query.lot",
    "Query.udi",
    "Query.recallImpact",
    "RecallSummary",
    "RecallConnection",
    "RecallImpact",
    "RecallCustomer",
    "LotTrace",
    "ShipmentTrace",
    "UdiTrace",
    "UdiFields",
    // Alerts.
    "Query.alerts",
    "Subscription.alerts",
    "Alert",
    "AlertConnection",
];

fn golden_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/contract.graphql")
}

/// The shared spec beside the workspace (`../shared/spec`).
fn shared_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/spec/api-contract.graphql")
}

/// A schema flattened to what clients depend on: each type (its kind),
/// field and input field (its type), argument (its type and default) and
/// enum value, by a key such as `Query.aging(basis)`.
fn surface(sdl: &str) -> BTreeMap<String, String> {
    let document = parse_schema(sdl).expect("the SDL parses");
    let mut out = BTreeMap::new();
    for definition in document.definitions {
        let TypeSystemDefinition::Type(t) = definition else {
            continue;
        };
        let name = t.node.name.node.to_string();
        let kind = match &t.node.kind {
            TypeKind::Object(o) => {
                o.fields
                    .iter()
                    .for_each(|f| field(&mut out, &name, &f.node));
                "type"
            }
            TypeKind::InputObject(i) => {
                for f in &i.fields {
                    out.insert(format!("{name}.{}", f.node.name.node), input(&f.node));
                }
                "input"
            }
            TypeKind::Enum(e) => {
                for v in &e.values {
                    out.insert(format!("{name}.{}", v.node.value.node), "value".into());
                }
                "enum"
            }
            TypeKind::Scalar => "scalar",
            TypeKind::Interface(_) => "interface",
            TypeKind::Union(_) => "union",
        };
        out.insert(name, kind.into());
    }
    out
}

/// A field's type, and its arguments'.
fn field(out: &mut BTreeMap<String, String>, on: &str, f: &FieldDefinition) {
    let key = format!("{on}.{}", f.name.node);
    for a in &f.arguments {
        out.insert(format!("{key}({})", a.node.name.node), input(&a.node));
    }
    out.insert(key, f.ty.node.to_string());
}

/// An argument's or input field's type, and its default.
fn input(value: &InputValueDefinition) -> String {
    match &value.default_value {
        Some(default) => format!("{} = {}", value.ty.node, default.node),
        None => value.ty.node.to_string(),
    }
}

/// Whether `key` belongs to what later issues add.
fn later(key: &str) -> bool {
    LATER.iter().any(|l| {
        key.strip_prefix(l)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '(']))
    })
}

#[test]
fn the_golden_contract_is_a_verbatim_copy_of_the_shared_spec() {
    let golden = std::fs::read_to_string(golden_path()).unwrap();
    match std::fs::read_to_string(shared_path()) {
        Ok(shared) => assert!(
            golden == shared,
            "{} differs from {}: copy the shared contract over the golden one (and serve what changed)",
            golden_path().display(),
            shared_path().display()
        ),
        Err(_) => eprintln!(
            "no shared contract at {}: only the golden copy is checked",
            shared_path().display()
        ),
    }
}

#[test]
fn the_served_schema_has_everything_the_contract_names_but_what_later_issues_add() {
    let contract = surface(&std::fs::read_to_string(golden_path()).unwrap());
    let served = surface(&arledger::graphql::sdl());
    let mut wrong = Vec::new();
    for (key, expected) in contract.iter().filter(|(k, _)| !later(k)) {
        match served.get(key) {
            None => wrong.push(format!("missing: {key} ({expected})")),
            Some(got) if got != expected => wrong.push(format!(
                "changed: {key}: {expected} in the contract, {got} served"
            )),
            Some(_) => {}
        }
    }
    assert!(
        wrong.is_empty(),
        "the served schema breaks the contract:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn what_later_issues_add_is_named_in_the_contract() {
    // An entry of LATER that the contract does not name hides nothing and
    // should go (or the contract renamed it).
    let contract = surface(&std::fs::read_to_string(golden_path()).unwrap());
    for entry in LATER {
        assert!(
            contract.contains_key(*entry),
            "{entry} is not in the contract"
        );
    }
}

#[test]
fn a_client_may_pass_the_contracts_nullable_arguments_as_nullable_variables_or_null() {
    let h = Harness::start();
    let books = Books::open(&h.api, h.admin());
    let query = "query($first: Int, $basis: AgingBasis, $group: AgingGroup) {
        events(first: $first) { hasNextPage }
        aging(basis: $basis, groupBy: $group, asOfDate: \"2026-12-31\") { basis rows { key } } }";
    let nulls = json!({ "first": null, "basis": null, "group": null });
    let reply = h.api.post(Some(h.admin()), query, nulls);
    assert_eq!(reply.data()["aging"]["basis"], "DUE_DATE"); // the defaults
    assert_eq!(
        reply.data()["aging"]["rows"][0]["key"],
        books.customer.to_string()
    );
    let given = json!({ "first": 2, "basis": "INVOICE_DATE", "group": "CURRENCY" });
    let reply = h.api.post(Some(h.admin()), query, given);
    assert_eq!(reply.data()["events"]["hasNextPage"], true);
    assert_eq!(reply.data()["aging"]["rows"][0]["key"], "USD");
    let payment = cmd::receive_payment(Uuid::new_v4(), books.customer, "5.00");
    h.api
        .ok(h.admin(), &payment.with("autoAllocate", Value::Null));
}
