//! What `arledger dso`, `exposure` and `alerts` share: the read models
//! caught up from their stored checkpoints (with a progress bar), today's
//! date, the point named in JSON, and tables and CSV with their own
//! columns. The output formats are `aging`'s ([`Format`]); a missing
//! figure is [`NONE`] in a table and an empty cell in CSV.

use std::io::Write;

use anyhow::Context;
use arledger::server::state::{ReadModels, start_read_models};
use arledger_core::log::Ledger;
use arledger_projections::credit::Credit;
use arledger_projections::engine::Handle;
use arledger_projections::receivables::Receivables;
use arledger_replay::Point;
use chrono::{NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

pub use crate::aging_format::Format;
use crate::shared;

/// How a table shows a figure that is undefined (null in JSON).
pub const NONE: &str = "—";

/// Where a column's cells go in a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// Labels.
    Left,
    /// Numbers.
    Right,
}

/// A column: its header and its alignment in a table.
pub type Column = (&'static str, Align);

/// Today's date (UTC), the default business date.
pub fn today() -> NaiveDate {
    #[allow(clippy::disallowed_methods)] // a binary may read the wall clock
    Utc::now().date_naive()
}

/// The receivables and credit projections, caught up to the ledger's head
/// (with a progress bar named `what` while they catch up). The engine is
/// stopped before this returns, which stores both with their checkpoints:
/// the next command starts from there.
pub fn caught_up(ledger: &Ledger, what: &'static str) -> anyhow::Result<Models> {
    let mut bar = shared::Progress::start(what);
    let ReadModels {
        engine,
        receivables,
        credit,
        ..
    } = start_read_models(ledger, |applied, head| bar.update(applied, head))
        .context("catching up the read models")?;
    bar.finish();
    drop(engine);
    Ok(Models {
        receivables,
        credit,
    })
}

/// The read models the reports read, caught up.
pub struct Models {
    /// Receivable items, DSO, what is overdue.
    pub receivables: Handle<Receivables>,
    /// Exposure, grades, held orders, promises to pay.
    pub credit: Handle<Credit>,
}

/// `value` (an object) with the point it was answered at: the position
/// (a string, as `aging` and the GraphQL contract write it) and its hash.
pub fn with_point(mut value: Value, point: &Point) -> Value {
    if let Some(object) = value.as_object_mut() {
        object.insert("knownAtPosition".into(), point.position.to_string().into());
        object.insert("knownAtHash".into(), point.hash_hex().into());
    }
    value
}

/// Prints `value` as pretty JSON, one document.
pub fn print_json(value: &Value) -> anyhow::Result<()> {
    let out = &mut std::io::stdout().lock();
    writeln!(out, "{}", serde_json::to_string_pretty(value)?)?;
    Ok(())
}

/// A figure that may be undefined: [`NONE`] in a table, empty in CSV.
pub fn optional(value: Option<Decimal>, format: Format) -> String {
    match (value, format) {
        (Some(v), _) => v.to_string(),
        (None, Format::Csv) => String::new(),
        (None, _) => NONE.to_string(),
    }
}

/// Writes `title` (a table only), the header of `columns` and `rows` as
/// aligned columns or CSV; a table with no rows says `empty` instead.
pub fn write_rows(
    out: &mut dyn Write,
    title: &str,
    columns: &[Column],
    rows: &[Vec<String>],
    format: Format,
    empty: &str,
) -> anyhow::Result<()> {
    let header: Vec<String> = columns.iter().map(|(name, _)| name.to_string()).collect();
    if format == Format::Csv {
        for line in std::iter::once(&header).chain(rows) {
            let cells: Vec<String> = line.iter().map(|c| csv_cell(c)).collect();
            writeln!(out, "{}", cells.join(","))?;
        }
        return Ok(());
    }
    writeln!(out, "{title}")?;
    if rows.is_empty() {
        writeln!(out, "{empty}")?;
        return Ok(());
    }
    let widths: Vec<usize> = (0..columns.len())
        .map(|c| {
            std::iter::once(&header)
                .chain(rows)
                .map(|l| l.get(c).map_or(0, |s| s.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    for line in std::iter::once(&header).chain(rows) {
        writeln!(out, "{}", aligned(line, columns, &widths))?;
    }
    Ok(())
}

/// One line of a table: each cell padded to its column's width.
fn aligned(line: &[String], columns: &[Column], widths: &[usize]) -> String {
    let cells: Vec<String> = line
        .iter()
        .zip(columns.iter().zip(widths))
        .map(|(cell, ((_, align), &width))| {
            // `format!`'s width counts chars, as `widths` does.
            match align {
                Align::Left => format!("{cell:<width$}"),
                Align::Right => format!("{cell:>width$}"),
            }
        })
        .collect();
    cells.join("  ").trim_end().to_string()
}

/// A CSV cell, quoted when it holds a comma, a quote or a line break.
pub fn csv_cell(cell: &str) -> String {
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_only_when_needed() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a, b"), "\"a, b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn a_table_aligns_labels_left_and_numbers_right() {
        let columns = [("name", Align::Left), ("amount", Align::Right)];
        let rows = vec![
            vec!["Acme".to_string(), "5.00".to_string()],
            vec!["Bo".to_string(), "100.00".to_string()],
        ];
        let mut out = Vec::new();
        write_rows(&mut out, "Title", &columns, &rows, Format::Table, "none").unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text, "Title\nname  amount\nAcme    5.00\nBo    100.00\n",
            "{text}"
        );
        let mut out = Vec::new();
        write_rows(&mut out, "Title", &columns, &[], Format::Table, "none").unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "Title\nnone\n");
        let mut out = Vec::new();
        write_rows(&mut out, "Title", &columns, &rows, Format::Csv, "none").unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "name,amount\nAcme,5.00\nBo,100.00\n"
        );
    }

    #[test]
    fn an_undefined_figure_is_a_dash_in_a_table_and_empty_in_csv() {
        assert_eq!(optional(None, Format::Table), NONE);
        assert_eq!(optional(None, Format::Csv), "");
        assert_eq!(optional(Some(Decimal::new(1234, 2)), Format::Csv), "12.34");
    }
}
