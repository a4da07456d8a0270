//! `arledger trace`: the chains regulators ask for (traceability.md
//! "Chains regulators ask for") from the command line, each as known at
//! `--known-at` (a moment) or `--known-at-position`, or now:
//! - `trace lot --gtin G --lot L [--serial S]`: every shipment of a lot
//!   (narrowed to a serial), with what was released and is in stock;
//! - `trace udi <UDI>`: a UDI in any GS1 form, parsed with today's date
//!   (UTC) as the reference of its two-digit years, and its lot's chain
//!   narrowed to its serial (the serial's lot when the UDI names none);
//! - `trace customer --customer ID`: every lot and serial it received;
//! - `trace recall --recall ID`: every consignee with quantities,
//!   acknowledgement, returns and what the invoices carrying the recalled
//!   goods have open (per currency, at today's business date).
//!
//! Formats: a table for people, JSON (the projection's report with the
//! point's position and hash), CSV (one line per shipment, or per
//! consignee of a recall; serials and ids separated by spaces). A table
//! shows at most [`SERIALS_SHOWN`] serials of a shipment; JSON and CSV
//! list them all. An unknown lot, customer or recall, or an invalid UDI
//! (the parser's message names the AI and what is wrong), ends in one
//! sentence on stderr and exit status 2.

use std::process::ExitCode;

use anyhow::{Context, anyhow};
use arledger::server::state::{ReadModels, start_read_models};
use arledger_core::domain::types::Gtin;
use arledger_core::ids::{CustomerId, InvoiceId, RecallId};
use arledger_core::log::Ledger;
use arledger_core::udi::{self, Udi, UdiForm};
use arledger_projections::engine::Handle;
use arledger_projections::receivables::Receivables;
use arledger_projections::trace::{
    CustomerTrace, LotTrace, OpenAmount, RecallCustomer, RecallImpact, ShipmentTrace, Trace,
};
use arledger_replay::{Point, resolve_point};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::aging::describe;
use crate::report_format::{self, Align, Column, Format, NONE, with_point};
use crate::shared::{self, DataDir};

/// Serials of one shipment a table shows; JSON and CSV list them all.
pub const SERIALS_SHOWN: usize = 3;

/// `arledger trace (lot | udi | customer | recall) ...`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    what: What,
}

#[derive(clap::Subcommand, Debug)]
enum What {
    /// Every shipment of a lot (or of one of its serials): consignee,
    /// date, quantity, serials, order and invoices.
    Lot(LotArgs),
    /// A UDI (human-readable, element string or GS1 Digital Link) parsed,
    /// and its lot's chain narrowed to its serial.
    Udi(UdiArgs),
    /// Every lot and serial a customer received.
    Customer(CustomerArgs),
    /// A recall's consignees: quantities, acknowledgements, returns and
    /// open invoice amounts.
    Recall(RecallArgs),
}

/// What every `trace` subcommand takes.
#[derive(clap::Args, Debug)]
pub struct PointArgs {
    #[command(flatten)]
    pub data: DataDir,
    /// Only what the ledger had recorded by this moment (RFC 3339).
    #[arg(long, value_name = "T", conflicts_with = "known_at_position")]
    pub known_at: Option<DateTime<Utc>>,
    /// Only the log up to this position.
    #[arg(long, value_name = "P")]
    pub known_at_position: Option<u64>,
}

#[derive(clap::Args, Debug)]
struct LotArgs {
    /// The product's GTIN (8, 12, 13 or 14 digits).
    #[arg(long, value_name = "G")]
    gtin: String,
    /// The lot.
    #[arg(long, value_name = "L")]
    lot: String,
    /// Only this serial's shipment.
    #[arg(long, value_name = "S")]
    serial: Option<String>,
    #[command(flatten)]
    point: PointArgs,
    /// How to print it.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(clap::Args, Debug)]
struct UdiArgs {
    /// The UDI, e.g. '(01)09504000059118(17)300101(10)L1(21)SN-1'.
    #[arg(value_name = "UDI")]
    udi: String,
    #[command(flatten)]
    point: PointArgs,
    /// How to print it.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(clap::Args, Debug)]
struct CustomerArgs {
    /// The customer.
    #[arg(long, value_name = "UUID")]
    customer: uuid::Uuid,
    #[command(flatten)]
    point: PointArgs,
    /// How to print it.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(clap::Args, Debug)]
struct RecallArgs {
    /// The recall.
    #[arg(long, value_name = "UUID")]
    recall: uuid::Uuid,
    #[command(flatten)]
    point: PointArgs,
    /// How to print it.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

/// Runs the command.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    match &args.what {
        What::Lot(a) => run_lot(a)?,
        What::Udi(a) => run_udi(a)?,
        What::Customer(a) => run_customer(a)?,
        What::Recall(a) => run_recall(a)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The read models a trace reads, caught up to the ledger's head.
pub struct TraceModels {
    /// What invoices have open.
    pub receivables: Handle<Receivables>,
    /// The chains.
    pub trace: Handle<Trace>,
}

/// The ledger opened, the point resolved, and the read models caught up
/// (with a progress bar named `what`). The engine is stopped before this
/// returns, which stores the projections with their checkpoints.
pub fn open_at(
    args: &PointArgs,
    what: &'static str,
) -> anyhow::Result<(Ledger, Point, TraceModels)> {
    let ledger = shared::open_ledger(&args.data.path)?;
    let point = resolve_point(&ledger, args.known_at, args.known_at_position)?;
    let mut bar = shared::Progress::start(what);
    let ReadModels {
        engine,
        receivables,
        trace,
        ..
    } = start_read_models(&ledger, |applied, head| bar.update(applied, head))
        .context("catching up the read models")?;
    bar.finish();
    drop(engine);
    let models = TraceModels { receivables, trace };
    Ok((ledger, point, models))
}

/// A GTIN given on the command line.
pub fn gtin_arg(text: &str) -> anyhow::Result<Gtin> {
    Gtin::parse(text).map_err(|e| anyhow!("--gtin: {e}"))
}

/// "lot L of GTIN G is not known at log position P".
pub fn unknown_lot(gtin: &Gtin, lot: &str, point: &Point) -> anyhow::Error {
    anyhow!(
        "lot {lot:?} of GTIN {gtin} is not known at log position {}",
        point.position
    )
}

/// "recall R is not known at log position P", naming the recalls that are.
pub fn unknown_recall(trace: &Trace, recall: RecallId, point: &Point) -> anyhow::Error {
    let known: Vec<String> = (trace.recalls(point.position).iter())
        .map(|r| r.recall_id.to_string())
        .collect();
    let hint = match known.as_slice() {
        [] => "no recall is".to_string(),
        [one] => format!("the one recall issued by then is {one}"),
        many => format!("the recalls issued by then are {}", many.join(", ")),
    };
    anyhow!(
        "recall {recall} is not known at log position {}: {hint}",
        point.position
    )
}

fn run_lot(args: &LotArgs) -> anyhow::Result<()> {
    let gtin = gtin_arg(&args.gtin)?;
    let (_ledger, point, models) = open_at(&args.point, "trace")?;
    let serial = args.serial.as_deref();
    let lot = (models.trace.read())
        .lot(&gtin, &args.lot, serial, point.position)
        .ok_or_else(|| unknown_lot(&gtin, &args.lot, &point))?;
    if let Some(s) = serial
        && lot.shipments.is_empty()
    {
        return Err(anyhow!(
            "serial {s:?} of lot {:?} of GTIN {gtin} has not shipped by log position {}",
            args.lot,
            point.position
        ));
    }
    match args.format {
        Format::Json => report_format::print_json(&with_point(serde_json::to_value(&lot)?, &point)),
        Format::Csv => print_shipments(&[], &shipment_rows(&lot), Format::Csv, true),
        Format::Table => print_shipments(
            &lot_lines(&lot, &point),
            &shipment_rows(&lot),
            Format::Table,
            false,
        ),
    }
}

fn run_udi(args: &UdiArgs) -> anyhow::Result<()> {
    let parsed =
        udi::parse(&args.udi, report_format::today()).map_err(|e| anyhow!("invalid UDI: {e}"))?;
    let (_ledger, point, models) = open_at(&args.point, "trace")?;
    let trace = models.trace.read();
    let serial = parsed.serial.as_deref();
    let p = point.position;
    let lot_name = (parsed.lot.clone())
        .or_else(|| serial.and_then(|s| trace.lot_of_serial(&parsed.gtin, s, p)));
    let Some(lot_name) = lot_name else {
        return Err(anyhow!(
            "the UDI names no lot, and serial {:?} of GTIN {} has not shipped by log position {p}",
            serial.unwrap_or_default(),
            parsed.gtin
        ));
    };
    let lot = (trace.lot(&parsed.gtin, &lot_name, serial, p))
        .ok_or_else(|| unknown_lot(&parsed.gtin, &lot_name, &point))?;
    drop(trace);
    match args.format {
        Format::Json => {
            let value = json!({ "fields": udi_fields(&parsed), "lot": lot });
            report_format::print_json(&with_point(value, &point))
        }
        Format::Csv => print_shipments(&[], &shipment_rows(&lot), Format::Csv, true),
        Format::Table => {
            let mut lines = vec![udi_line(&parsed)];
            lines.extend(lot_lines(&lot, &point));
            if serial.is_some() && lot.shipments.is_empty() {
                lines.push(format!(
                    "Serial {}: no shipment recorded",
                    serial.unwrap_or_default()
                ));
            }
            print_shipments(&lines, &shipment_rows(&lot), Format::Table, false)
        }
    }
}

fn run_customer(args: &CustomerArgs) -> anyhow::Result<()> {
    let id = CustomerId(args.customer);
    let (_ledger, point, models) = open_at(&args.point, "trace")?;
    let received = (models.trace.read())
        .customer(id, point.position)
        .ok_or_else(|| {
            anyhow!(
                "customer {id} is not known at log position {}",
                point.position
            )
        })?;
    let rows: Vec<Row> = (received.received.iter())
        .map(|(gtin, lot, s)| Row { gtin, lot, s })
        .collect();
    match args.format {
        Format::Json => report_format::print_json(&with_point(customer_json(&received)?, &point)),
        Format::Csv => print_shipments(&[], &rows, Format::Csv, true),
        Format::Table => {
            let title = format!(
                "What {} ({id}) received, as known at {}",
                received.name.as_deref().unwrap_or("(no name)"),
                describe(&point)
            );
            print_shipments(&[title], &rows, Format::Table, true)
        }
    }
}

/// A customer's trace as JSON: each received line an object, the
/// shipment's fields after its `gtin` and `lot`.
fn customer_json(received: &CustomerTrace) -> anyhow::Result<Value> {
    let mut lines = Vec::with_capacity(received.received.len());
    for (gtin, lot, s) in &received.received {
        let mut line = serde_json::Map::new();
        line.insert("gtin".into(), gtin.to_string().into());
        line.insert("lot".into(), lot.clone().into());
        if let Value::Object(fields) = serde_json::to_value(s)? {
            line.extend(fields);
        }
        lines.push(Value::Object(line));
    }
    Ok(json!({
        "customerId": received.customer_id,
        "name": received.name,
        "received": lines,
    }))
}

fn run_recall(args: &RecallArgs) -> anyhow::Result<()> {
    let recall = RecallId(args.recall);
    let (_ledger, point, models) = open_at(&args.point, "trace")?;
    let open = (models.receivables.read()).open_by_invoice(report_format::today(), point.position);
    let trace = models.trace.read();
    let impact = trace
        .recall_impact(recall, point.position, &|i| open.get(&i).copied())
        .ok_or_else(|| unknown_recall(&trace, recall, &point))?;
    drop(trace);
    match args.format {
        Format::Json => {
            report_format::print_json(&with_point(serde_json::to_value(&impact)?, &point))
        }
        format => print_recall(&impact, &point, format),
    }
}

/// A parsed UDI's fields, for JSON.
fn udi_fields(u: &Udi) -> Value {
    json!({
        "gtin": u.gtin,
        "lot": u.lot,
        "serial": u.serial,
        "expiry": u.expiry,
        "expiryTime": u.expiry_time,
        "productionDate": u.production,
        "count": u.count,
        "additionalId": u.additional_id,
        "ais": u.ais,
        "form": match u.form {
            UdiForm::HumanReadable => "humanReadable",
            UdiForm::ElementString => "elementString",
            UdiForm::DigitalLink => "digitalLink",
        },
    })
}

/// A parsed UDI in one line.
fn udi_line(u: &Udi) -> String {
    let mut parts = vec![format!("GTIN {}", u.gtin)];
    let mut add = |label: &str, value: Option<String>| {
        if let Some(v) = value {
            parts.push(format!("{label} {v}"));
        }
    };
    add("lot", u.lot.clone());
    add("serial", u.serial.clone());
    add("expiry", u.expiry.map(|d| d.to_string()));
    add("production date", u.production.map(|d| d.to_string()));
    add("count", u.count.map(|c| c.to_string()));
    format!("UDI: {} (AIs {})", parts.join(", "), u.ais.join(", "))
}

/// The lines above a lot's shipments in a table.
fn lot_lines(lot: &LotTrace, point: &Point) -> Vec<String> {
    let narrowed = lot
        .serial
        .as_ref()
        .map_or(String::new(), |s| format!(", serial {s}"));
    let recalls: Vec<String> = lot.recalls.iter().map(ToString::to_string).collect();
    vec![
        format!(
            "Lot {} of {} ({}){narrowed}, as known at {}",
            lot.lot,
            lot.gtin,
            lot.product_name.as_deref().unwrap_or("no product name"),
            describe(point)
        ),
        format!(
            "Manufactured {}, expires {}; released {}, shipped {}, in stock {}",
            lot.manufactured_on,
            lot.expiry,
            lot.released_quantity,
            lot.shipped_quantity,
            lot.in_stock
        ),
        format!(
            "Recalls: {}",
            if recalls.is_empty() {
                "none".to_string()
            } else {
                recalls.join(", ")
            }
        ),
    ]
}

/// A shipment line with its product and lot.
struct Row<'a> {
    gtin: &'a Gtin,
    lot: &'a str,
    s: &'a ShipmentTrace,
}

fn shipment_rows(lot: &LotTrace) -> Vec<Row<'_>> {
    (lot.shipments.iter())
        .map(|s| Row {
            gtin: &lot.gtin,
            lot: &lot.lot,
            s,
        })
        .collect()
}

/// The shipment columns of a table.
const TABLE_COLUMNS: [Column; 11] = [
    ("shippedOn", Align::Left),
    ("gtin", Align::Left),
    ("lot", Align::Left),
    ("customer", Align::Left),
    ("region", Align::Left),
    ("quantity", Align::Right),
    ("serials", Align::Left),
    ("order", Align::Left),
    ("invoices", Align::Left),
    ("acceptedOn", Align::Left),
    ("shipmentId", Align::Left),
];

/// The shipment columns of CSV, named as in JSON.
const CSV_COLUMNS: [Column; 16] = [
    ("gtin", Align::Left),
    ("lot", Align::Left),
    ("shipmentId", Align::Left),
    ("shippedOn", Align::Left),
    ("customerId", Align::Left),
    ("customerName", Align::Left),
    ("region", Align::Left),
    ("shipTo", Align::Left),
    ("quantity", Align::Right),
    ("serials", Align::Left),
    ("orderId", Align::Left),
    ("orderNumber", Align::Left),
    ("invoiceIds", Align::Left),
    ("invoiceNumbers", Align::Left),
    ("acceptedOn", Align::Left),
    ("position", Align::Right),
];

/// Prints `rows` as a table under `lines` (with a product and a lot column
/// when `product`), or as CSV (`lines` unused).
fn print_shipments(
    lines: &[String],
    rows: &[Row<'_>],
    format: Format,
    product: bool,
) -> anyhow::Result<()> {
    let out = &mut std::io::stdout().lock();
    if format == Format::Csv {
        let cells: Vec<Vec<String>> = rows.iter().map(csv_row).collect();
        return report_format::write_rows(out, "", &CSV_COLUMNS, &cells, Format::Csv, "");
    }
    // A lot's table names its product and lot above; a customer's has
    // them in each line.
    let keep = |i: &usize| product || !PRODUCT_CELLS.contains(i);
    let columns: Vec<Column> = (TABLE_COLUMNS.iter().enumerate())
        .filter(|(i, _)| keep(i))
        .map(|(_, c)| *c)
        .collect();
    let cells: Vec<Vec<String>> = (rows.iter())
        .map(|r| {
            (table_row(r).into_iter().enumerate())
                .filter(|(i, _)| keep(i))
                .map(|(_, c)| c)
                .collect()
        })
        .collect();
    let title = lines.join("\n");
    report_format::write_rows(
        out,
        &title,
        &columns,
        &cells,
        Format::Table,
        "No shipments.",
    )
}

/// The table cells naming the product and the lot.
const PRODUCT_CELLS: [usize; 2] = [1, 2];

fn table_row(r: &Row<'_>) -> Vec<String> {
    let s = r.s;
    vec![
        s.shipped_on.to_string(),
        r.gtin.to_string(),
        r.lot.to_string(),
        s.customer_name
            .clone()
            .unwrap_or_else(|| s.customer_id.to_string()),
        s.region.clone().unwrap_or_else(|| NONE.to_string()),
        s.quantity.to_string(),
        serials_shown(&s.serials),
        s.order_number.clone(),
        if s.invoice_numbers.is_empty() {
            NONE.to_string()
        } else {
            s.invoice_numbers.join(" ")
        },
        s.accepted_on.map_or(NONE.to_string(), |d| d.to_string()),
        s.shipment_id.to_string(),
    ]
}

fn csv_row(r: &Row<'_>) -> Vec<String> {
    let s = r.s;
    let ids = |ids: &[InvoiceId]| {
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        ids.join(" ")
    };
    vec![
        r.gtin.to_string(),
        r.lot.to_string(),
        s.shipment_id.to_string(),
        s.shipped_on.to_string(),
        s.customer_id.to_string(),
        s.customer_name.clone().unwrap_or_default(),
        s.region.clone().unwrap_or_default(),
        s.ship_to.clone(),
        s.quantity.to_string(),
        s.serials.join(" "),
        s.order_id.to_string(),
        s.order_number.clone(),
        ids(&s.invoice_ids),
        s.invoice_numbers.join(" "),
        s.accepted_on.map_or(String::new(), |d| d.to_string()),
        s.position.to_string(),
    ]
}

/// Up to [`SERIALS_SHOWN`] serials, and how many more.
fn serials_shown(serials: &[String]) -> String {
    match serials.len() {
        0 => NONE.to_string(),
        n if n <= SERIALS_SHOWN => serials.join(" "),
        n => format!(
            "{} … (+{} more)",
            serials.get(..SERIALS_SHOWN).unwrap_or_default().join(" "),
            n - SERIALS_SHOWN
        ),
    }
}

/// The consignee columns (table and CSV).
const RECALL_COLUMNS: [Column; 8] = [
    ("customerId", Align::Left),
    ("name", Align::Left),
    ("quantityShipped", Align::Right),
    ("quantityReturned", Align::Right),
    ("acknowledgedOn", Align::Left),
    ("shipments", Align::Right),
    ("openInvoiceAmounts", Align::Right),
    ("shipmentIds", Align::Left),
];

/// A table leaves out the shipment ids (CSV's last column).
const TABLE_RECALL_COLUMNS: usize = 7;

/// A recall's impact as a table or CSV (one line per consignee).
fn print_recall(impact: &RecallImpact, point: &Point, format: Format) -> anyhow::Result<()> {
    let out = &mut std::io::stdout().lock();
    let rows: Vec<Vec<String>> = (impact.customers.iter())
        .map(|c| recall_row(c, format))
        .collect();
    if format == Format::Csv {
        return report_format::write_rows(out, "", &RECALL_COLUMNS, &rows, format, "");
    }
    let serials = if impact.serials.is_empty() {
        String::new()
    } else {
        format!(", serials {}", impact.serials.join(" "))
    };
    let title = [
        format!(
            "Recall {} (class {:?}, issued {}), as known at {}",
            impact.recall_id,
            impact.class,
            impact.issued_on,
            describe(point)
        ),
        format!(
            "GTIN {}, lots {}{serials}",
            impact.gtin,
            impact.lots.join(", ")
        ),
        format!("Reason: {}", impact.reason),
        format!(
            "{} consignees; shipped {}, returned {}; share acknowledged {}",
            impact.customers.len(),
            impact.total_shipped,
            impact.total_returned,
            impact.completion
        ),
    ]
    .join("\n");
    let columns = RECALL_COLUMNS
        .get(..TABLE_RECALL_COLUMNS)
        .unwrap_or(&RECALL_COLUMNS);
    report_format::write_rows(out, &title, columns, &rows, format, "No consignees.")
}

fn recall_row(c: &RecallCustomer, format: Format) -> Vec<String> {
    let absent = if format == Format::Csv { "" } else { NONE };
    let ids: Vec<String> = (c.shipments.iter())
        .map(|s| s.shipment_id.to_string())
        .collect();
    let mut row = vec![
        c.customer_id.to_string(),
        c.name.clone().unwrap_or_default(),
        c.quantity_shipped.to_string(),
        c.quantity_returned.to_string(),
        c.acknowledged_on
            .map_or(absent.to_string(), |d| d.to_string()),
        c.shipments.len().to_string(),
        amounts(&c.open_invoice_amounts, absent),
        ids.join(" "),
    ];
    if format != Format::Csv {
        row.truncate(TABLE_RECALL_COLUMNS);
    }
    row
}

/// "1000.00 USD 20.00 CNY"; `absent` when nothing is open.
fn amounts(open: &[OpenAmount], absent: &str) -> String {
    if open.is_empty() {
        return absent.to_string();
    }
    let parts: Vec<String> = (open.iter())
        .map(|a| format!("{} {}", a.amount, a.currency.code()))
        .collect();
    parts.join(" ")
}
