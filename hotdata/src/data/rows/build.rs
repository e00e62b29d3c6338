//! Building [`Rows`] cell by cell, for results read in a streamed format
//! (Arrow or CSV) rather than as one JSON body.

use std::fmt::Write as _;

use super::{Column, Meta, Rows, Spans};
use crate::runtime::error::Error;

/// Cell texts written one after another into one string, with the end of
/// each ([`Spans::Ends`]), which is how [`Rows`] finds them again. Each cell
/// is valid JSON text; the writers below are the only way in, so that holds
/// by construction.
#[derive(Debug)]
pub(crate) struct RowsBuilder {
    operation: &'static str,
    columns: Vec<Column>,
    text: String,
    /// The end of every cell in `text`.
    ends: Vec<u32>,
    len: usize,
    /// Cells written in the row being built.
    in_row: usize,
}

impl RowsBuilder {
    pub(crate) fn new(operation: &'static str, columns: Vec<Column>) -> RowsBuilder {
        RowsBuilder {
            operation,
            columns,
            text: String::new(),
            ends: Vec::new(),
            len: 0,
            in_row: 0,
        }
    }

    /// The columns rows are built for.
    #[cfg_attr(not(feature = "arrow"), allow(dead_code))]
    pub(crate) fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Complete rows so far.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Bytes of cell text held so far.
    pub(crate) fn bytes(&self) -> usize {
        self.text.len()
    }

    /// Room for `rows` more rows and `text` more bytes of cell text.
    pub(crate) fn reserve(&mut self, rows: usize, text: usize) {
        self.ends.reserve(rows.saturating_mul(self.columns.len()));
        self.text.reserve(text);
    }

    /// Writes one cell with `write`, which appends its JSON text.
    pub(crate) fn cell(&mut self, write: impl FnOnce(&mut String)) -> Result<(), Error> {
        write(&mut self.text);
        let end = self.offset()?;
        self.ends.push(end);
        self.in_row += 1;
        Ok(())
    }

    /// `null`.
    pub(crate) fn null(&mut self) -> Result<(), Error> {
        self.cell(|t| t.push_str("null"))
    }

    /// A JSON string holding `value`.
    pub(crate) fn string(&mut self, value: &str) -> Result<(), Error> {
        self.cell(|t| push_json_string(t, value))
    }

    /// Text already known to be one JSON value (a number literal, `true`).
    pub(crate) fn raw(&mut self, json: &str) -> Result<(), Error> {
        self.cell(|t| t.push_str(json))
    }

    /// A value written with its `Display` (integers).
    #[cfg_attr(not(feature = "arrow"), allow(dead_code))]
    pub(crate) fn display(&mut self, value: impl std::fmt::Display) -> Result<(), Error> {
        self.cell(|t| {
            // Writing to a String cannot fail.
            let _ = write!(t, "{value}");
        })
    }

    /// Ends the row being built; it must have one cell per column.
    pub(crate) fn end_row(&mut self) -> Result<(), Error> {
        if self.in_row != self.columns.len() {
            let cells = self.in_row;
            return Err(Error::decode(
                self.operation,
                None,
                None,
                format!("rows[{}]", self.len),
                format!("a row has {cells} cells but there are {} columns", self.columns.len()),
                b"",
            ));
        }
        self.in_row = 0;
        self.len += 1;
        Ok(())
    }

    /// The rows built, with `meta`.
    pub(crate) fn finish(self, meta: Meta) -> Rows {
        Rows::from_parts(
            self.operation,
            self.text,
            Spans::Ends(self.ends),
            self.len,
            self.columns,
            meta,
        )
    }

    fn offset(&self) -> Result<u32, Error> {
        u32::try_from(self.text.len()).map_err(|_| {
            Error::decode(
                self.operation,
                None,
                None,
                "",
                "rows over 4 GiB of cell text cannot be held at once; stream them instead",
                b"",
            )
        })
    }
}

/// Appends `value` as a JSON string literal.
pub(crate) fn push_json_string(out: &mut String, value: &str) {
    out.push('"');
    let mut plain = 0;
    for (i, c) in value.char_indices() {
        let escape = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            c if (c as u32) < 0x20 => "",
            _ => continue,
        };
        out.push_str(&value[plain..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push_str(escape);
        }
        plain = i + c.len_utf8();
    }
    out.push_str(&value[plain..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_round_trip_through_json() {
        for s in [
            "",
            "plain",
            "quote \" and \\ back",
            "line\nbreak\ttab\r",
            "\u{1}\u{1f}",
            "ünïcødé 🎉",
        ] {
            let mut out = String::new();
            push_json_string(&mut out, s);
            let back: String = serde_json::from_str(&out).unwrap();
            assert_eq!(back, s);
        }
    }

    #[test]
    fn rows_read_back_what_was_written() {
        let columns = vec![Column::new("a".into(), None), Column::new("b".into(), Some(true))];
        let mut b = RowsBuilder::new("t", columns);
        b.display(12345678901234567890u64).unwrap();
        b.null().unwrap();
        b.end_row().unwrap();
        b.raw("99999999999999999999.99").unwrap();
        b.string("x\"y").unwrap();
        b.end_row().unwrap();
        b.raw("1").unwrap();
        assert!(b.end_row().is_err(), "a short row is refused");
        let rows = RowsBuilder::new("t", rows_columns()).finish(Meta::default());
        assert!(rows.is_empty());
    }

    #[test]
    fn every_cell_reads_back_from_the_end_offsets() {
        let mut b = RowsBuilder::new("t", vec![Column::new("a".into(), None), Column::new("b".into(), None)]);
        b.display(1).unwrap();
        b.string("").unwrap();
        b.end_row().unwrap();
        b.null().unwrap();
        b.raw("true").unwrap();
        b.end_row().unwrap();
        // Cells of a row never ended are not part of the rows.
        b.raw("7").unwrap();
        let rows = b.finish(Meta::default());
        assert_eq!(rows.len(), 2);
        let cells: Vec<Vec<&str>> = (0..rows.len()).map(|i| rows.raw_row(i).collect()).collect();
        assert_eq!(cells, [vec!["1", "\"\""], vec!["null", "true"]]);
    }

    fn rows_columns() -> Vec<Column> {
        vec![Column::new("only".into(), None)]
    }

    #[test]
    fn finished_rows_decode_lossless() {
        let mut b = RowsBuilder::new("t", vec![Column::new("n".into(), None), Column::new("s".into(), None)]);
        b.display(12345678901234567890u64).unwrap();
        b.string("a,b").unwrap();
        b.end_row().unwrap();
        let rows = b.finish(Meta::default());
        let row = rows.row(0).unwrap();
        assert_eq!(row.get::<u64>("n").unwrap(), 12345678901234567890);
        assert_eq!(row.get::<String>("s").unwrap(), "a,b");
    }
}
