//! How `arledger aging` prints: a readable table (the default), JSON (the
//! report as the GraphQL contract shapes it, with the position's hash), or
//! CSV. In the table and CSV, payments on account are a negative column,
//! as read-models.md shows them; `net = total - unallocated`.

use std::io::Write;

use arledger_projections::receivables::{AgingQuery, AgingReport, ReceivableItem};
use arledger_replay::Point;
use rust_decimal::Decimal;

use crate::aging::describe;

/// Output formats.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns for people.
    Table,
    /// The report as JSON.
    Json,
    /// Comma-separated values, one header line.
    Csv,
}

/// Prints an aging report.
pub fn print_report(report: &AgingReport, point: &Point, format: Format) -> anyhow::Result<()> {
    let out = &mut std::io::stdout().lock();
    if format == Format::Json {
        let mut value = serde_json::to_value(report)?;
        if let Some(object) = value.as_object_mut() {
            object.insert("knownAtHash".into(), point.hash_hex().into());
        }
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
        return Ok(());
    }
    let mut lines = vec![report_header(report)];
    for row in &report.rows {
        let name = row.name.clone().unwrap_or_default();
        lines.push(row_cells(
            &[&row.key, &name, row.currency.code()],
            &row.amounts,
            [row.total, row.unallocated, row.disputed, row.net],
        ));
    }
    for total in &report.totals {
        lines.push(row_cells(
            &["TOTAL", "", total.currency.code()],
            &total.amounts,
            [total.total, total.unallocated, total.disputed, total.net],
        ));
    }
    if format == Format::Table {
        writeln!(
            out,
            "Aging as of {}, as known at {}, {} basis",
            report.as_of_date,
            describe(point),
            basis_name(report)
        )?;
    }
    write_lines(out, &lines, format)
}

/// Prints a customer's receivable items.
pub fn print_items(
    items: &[ReceivableItem],
    query: &AgingQuery,
    point: &Point,
    format: Format,
) -> anyhow::Result<()> {
    let out = &mut std::io::stdout().lock();
    if format == Format::Json {
        let value = serde_json::json!({
            "asOfDate": query.as_of,
            "knownAtPosition": point.position.to_string(),
            "knownAtHash": point.hash_hex(),
            "items": items,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
        return Ok(());
    }
    let header = [
        "invoice",
        "number",
        "inst",
        "currency",
        "invoice date",
        "due date",
        "days",
        "bucket",
        "amount",
        "open",
        "disputed",
    ];
    let mut lines = vec![header.iter().map(|h| h.to_string()).collect::<Vec<_>>()];
    lines.extend(items.iter().map(item_cells));
    if format == Format::Table {
        writeln!(
            out,
            "Receivable items as of {}, as known at {}",
            query.as_of,
            describe(point)
        )?;
    }
    write_lines(out, &lines, format)
}

fn item_cells(item: &ReceivableItem) -> Vec<String> {
    vec![
        item.invoice_id.to_string(),
        item.invoice_number.clone(),
        item.installment_no.to_string(),
        item.currency.to_string(),
        item.invoice_date.to_string(),
        item.due_date
            .map_or("awaiting acceptance".into(), |d| d.to_string()),
        item.days.map_or(String::new(), |d| d.to_string()),
        item.bucket.to_string(),
        item.amount.to_string(),
        item.open.to_string(),
        if item.disputed { "yes" } else { "" }.to_string(),
    ]
}

fn basis_name(report: &AgingReport) -> &'static str {
    match report.basis {
        arledger_projections::receivables::AgingBasis::DueDate => "due-date",
        arledger_projections::receivables::AgingBasis::InvoiceDate => "invoice-date",
    }
}

fn report_header(report: &AgingReport) -> Vec<String> {
    let mut header = vec!["key".to_string(), "name".into(), "currency".into()];
    header.extend(report.buckets.iter().map(|b| b.label.clone()));
    header.extend(["total", "unallocated", "disputed", "net"].map(String::from));
    header
}

/// One line: its labels, its bucket amounts, then total, unallocated
/// (negative: money on account), disputed and net.
fn row_cells(labels: &[&str], amounts: &[Decimal], sums: [Decimal; 4]) -> Vec<String> {
    let [total, unallocated, disputed, net] = sums;
    let mut cells: Vec<String> = labels.iter().map(|l| l.to_string()).collect();
    cells.extend(amounts.iter().map(Decimal::to_string));
    let on_account = if unallocated.is_zero() {
        unallocated
    } else {
        -unallocated
    };
    cells.extend([total, on_account, disputed, net].map(|d| d.to_string()));
    cells
}

/// Writes `lines` (the first is the header) as aligned columns or CSV.
fn write_lines(out: &mut dyn Write, lines: &[Vec<String>], format: Format) -> anyhow::Result<()> {
    if format == Format::Csv {
        for line in lines {
            let cells: Vec<String> = line.iter().map(|c| csv_cell(c)).collect();
            writeln!(out, "{}", cells.join(","))?;
        }
        return Ok(());
    }
    let columns = lines.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            lines
                .iter()
                .map(|l| l.get(c).map_or(0, |s| s.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    for line in lines {
        let cells: Vec<String> = line
            .iter()
            .zip(&widths)
            .enumerate()
            // Labels to the left, numbers to the right.
            .map(|(i, (cell, width))| match i {
                0..=2 => format!("{cell:<width$}"),
                _ => format!("{cell:>width$}"),
            })
            .collect();
        writeln!(out, "{}", cells.join("  ").trim_end())?;
    }
    Ok(())
}

/// A CSV cell, quoted when it holds a comma, a quote or a line break.
fn csv_cell(cell: &str) -> String {
    if cell.contains([',', '"', '\n']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_string()
    }
}
