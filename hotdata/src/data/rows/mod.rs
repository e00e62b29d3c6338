//! Lossless result rows.
//!
//! A JSON result is kept as the text the server sent plus, for every cell,
//! where its JSON text starts and ends. Nothing is converted until asked
//! for, so a `DECIMAL(38,2)` of `99999999999999999999.99` or a 20-digit
//! integer reads back exactly, and there is never a second copy of the whole
//! result in memory.

use std::fmt;

use serde::{Deserialize, de::DeserializeOwned};

use crate::runtime::error::Error;

mod build;
mod decode;
mod deserialize;

pub(crate) use build::RowsBuilder;
pub(crate) use decode::{Decoded, decode};
pub(crate) use deserialize::CellError;
use deserialize::{CellDeserializer, RowDeserializer};
pub use hotdata_models::{Cell, Value};

/// One column of a result: its name and whether it may hold NULL.
///
/// The JSON encoding of a result names its columns and their nullability
/// only; column types travel in the Arrow encoding (feature `arrow`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    name: String,
    nullable: Option<bool>,
}

impl Column {
    pub(crate) fn new(name: String, nullable: Option<bool>) -> Column {
        Column { name, nullable }
    }

    /// The column's name, as the query produced it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `Some(true)` when the column may hold NULL, `Some(false)` when it is
    /// NOT NULL, `None` when the server did not say.
    pub fn nullable(&self) -> Option<bool> {
        self.nullable
    }
}

/// The rows of a query or stored result, exactly as the server sent them.
///
/// ```
/// let body = br#"{"columns":["id","amount"],"nullable":[false,true],
///     "rows":[[12345678901234567890,99999999999999999999.99],[2,null]],
///     "row_count":2,"execution_time_ms":1,"query_run_id":"qrun_1","result_id":"res_1"}"#;
/// let rows = hotdata::Rows::from_json(body.to_vec())?;
/// assert_eq!(rows.len(), 2);
/// let first = rows.row(0).unwrap();
/// assert_eq!(first.get::<u64>("id")?, 12345678901234567890);
/// assert_eq!(first.get::<String>("amount")?, "99999999999999999999.99");
/// assert_eq!(first.value(1).unwrap().as_decimal_str(), Some("99999999999999999999.99"));
/// assert_eq!(rows.row(1).unwrap().get::<Option<String>>("amount")?, None);
/// assert_eq!(rows.result_id(), Some("res_1"));
/// # Ok::<(), hotdata::Error>(())
/// ```
pub struct Rows {
    operation: &'static str,
    /// The whole response body, checked to be UTF-8, or the cell texts of a
    /// streamed read written back to back.
    text: String,
    /// Where each cell's JSON text lies in `text`.
    spans: Spans,
    len: usize,
    columns: Vec<Column>,
    meta: Meta,
}

/// Where each cell's text lies in a [`Rows`]' text, cells numbered row by
/// row.
#[derive(Debug, Clone)]
pub(crate) enum Spans {
    /// The start and the end of every cell: in a JSON body the cells sit
    /// between brackets and commas.
    Pairs(Vec<u32>),
    /// The end of every cell, for cells written back to back (rows built
    /// from a streamed read): each starts where the one before ends, the
    /// first at 0. Half the offsets of `Pairs`, which is a third of the
    /// memory a large streamed result holds.
    Ends(Vec<u32>),
}

impl Spans {
    /// The start and end of cell `at`.
    #[inline]
    fn get(&self, at: usize) -> (usize, usize) {
        match self {
            Spans::Pairs(pairs) => (pairs[2 * at] as usize, pairs[2 * at + 1] as usize),
            Spans::Ends(ends) => {
                let start = if at == 0 { 0 } else { ends[at - 1] };
                (start as usize, ends[at] as usize)
            }
        }
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Meta {
    pub(crate) result_id: Option<String>,
    pub(crate) query_run_id: Option<String>,
    pub(crate) execution_time_ms: Option<u64>,
    pub(crate) warning: Option<String>,
    pub(crate) row_count: Option<u64>,
    pub(crate) truncated: Option<bool>,
    pub(crate) preview_row_count: Option<u64>,
    pub(crate) total_row_count: Option<u64>,
    /// The database the rows were read in; set by the flows, never decoded.
    pub(crate) database_id: Option<String>,
}

impl fmt::Debug for Rows {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rows")
            .field("columns", &self.columns)
            .field("len", &self.len)
            .field("result_id", &self.meta.result_id)
            .field("query_run_id", &self.meta.query_run_id)
            .finish()
    }
}

impl Rows {
    /// Decodes a JSON body shaped like the API's query or result responses
    /// (`columns`, `nullable`, `rows`, ...). Useful in tests and for bodies
    /// saved earlier; the client calls it for you.
    pub fn from_json(body: Vec<u8>) -> Result<Rows, Error> {
        match decode("rows", None, None, body)? {
            Decoded { rows: Some(rows), .. } => Ok(rows),
            Decoded { body, .. } => Err(Error::decode(
                "rows",
                None,
                None,
                "rows",
                "the body has no rows",
                body.as_bytes(),
            )),
        }
    }

    /// The columns, in output order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The position of the column called `name`, if there is one.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// How many rows there are.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The row at `index`, if there is one.
    pub fn row(&self, index: usize) -> Option<Row<'_>> {
        (index < self.len).then_some(Row { rows: self, index })
    }

    /// Every row in order, borrowed: nothing is copied.
    pub fn iter(&self) -> RowIter<'_> {
        RowIter {
            rows: self,
            next: 0,
            end: self.len,
        }
    }

    /// Maps every row to `T`, matching columns to struct fields by name
    /// (or, for tuples and sequences, by position).
    ///
    /// Numbers are never rounded on the way: an integer field receives the
    /// exact integer, a `String` field receives a number's exact text, and
    /// only `f32`/`f64` fields ask for a float.
    ///
    /// ```
    /// #[derive(serde::Deserialize)]
    /// struct Order { id: u64, amount: String, note: Option<String> }
    ///
    /// let rows = hotdata::Rows::from_json(
    ///     br#"{"columns":["amount","id","note"],"rows":[[1.10,7,null]]}"#.to_vec(),
    /// )?;
    /// let orders: Vec<Order> = rows.rows_as()?;
    /// assert_eq!((orders[0].id, orders[0].amount.as_str()), (7, "1.10"));
    /// # Ok::<(), hotdata::Error>(())
    /// ```
    pub fn rows_as<T: DeserializeOwned>(&self) -> Result<Vec<T>, Error> {
        self.iter().map(|row| row.deserialize()).collect()
    }

    /// Like [`rows_as`](Rows::rows_as), one row at a time, and `T` may
    /// borrow strings from the rows.
    pub fn iter_as<'a, T: Deserialize<'a>>(&'a self) -> impl Iterator<Item = Result<T, Error>> + 'a {
        self.iter().map(|row| row.deserialize())
    }

    /// The id under which the result is stored (`GET /v1/results/{id}`),
    /// when the server persisted it.
    pub fn result_id(&self) -> Option<&str> {
        self.meta.result_id.as_deref()
    }

    /// The query run that produced these rows, for query responses.
    pub fn query_run_id(&self) -> Option<&str> {
        self.meta.query_run_id.as_deref()
    }

    /// How long the query took on the server, for query responses.
    pub fn execution_time_ms(&self) -> Option<u64> {
        self.meta.execution_time_ms
    }

    /// The server's warning, e.g. that the result could not be persisted.
    pub fn warning(&self) -> Option<&str> {
        self.meta.warning.as_deref()
    }

    /// The `row_count` the server reported for this response.
    pub fn reported_row_count(&self) -> Option<u64> {
        self.meta.row_count
    }

    /// Whether these rows are a preview: the first rows of a larger answer
    /// the server cut short (`truncated` in a query response).
    /// [`Client::query`](crate::Client::query) follows a truncated answer to
    /// all of its rows, so this is `true` only for
    /// [`Query::preview`](crate::Query::preview).
    pub fn is_truncated(&self) -> bool {
        self.meta.truncated == Some(true)
    }

    /// Rows in the whole answer, when known: the server's count, or, for a
    /// followed answer, the rows read.
    pub fn total_row_count(&self) -> Option<u64> {
        self.meta.total_row_count
    }

    /// Rows the server put in a truncated preview (`preview_row_count`).
    pub fn preview_row_count(&self) -> Option<u64> {
        self.meta.preview_row_count
    }

    /// The database these rows were read in, when the call was scoped to one;
    /// read their stored result with the same scope.
    pub fn database_id(&self) -> Option<&str> {
        self.meta.database_id.as_deref()
    }

    /// Parts for the flows that fill in what the body could not say.
    pub(crate) fn meta_mut(&mut self) -> &mut Meta {
        &mut self.meta
    }

    /// Bytes of JSON text held (cells and what surrounds them).
    pub(crate) fn text_len(&self) -> usize {
        self.text.len()
    }

    pub(crate) fn meta(&self) -> &Meta {
        &self.meta
    }

    /// Rows built from cell text gathered elsewhere (a streamed read).
    pub(crate) fn from_parts(
        operation: &'static str,
        text: String,
        spans: Spans,
        len: usize,
        columns: Vec<Column>,
        meta: Meta,
    ) -> Rows {
        Rows {
            operation,
            text,
            spans,
            len,
            columns,
            meta,
        }
    }

    /// The JSON text of every cell of row `index`, in column order.
    #[cfg(test)]
    pub(crate) fn raw_row(&self, index: usize) -> impl Iterator<Item = &str> + '_ {
        (0..self.columns.len()).map(move |c| self.cell(index, c))
    }

    fn cell(&self, row: usize, col: usize) -> &str {
        let (start, end) = self.spans.get(row * self.columns.len() + col);
        &self.text[start..end]
    }

    fn resolve(&self, col: &impl ColumnIndex) -> Result<usize, Error> {
        col.index_in(&self.columns).ok_or_else(|| {
            let names: Vec<&str> = self.columns.iter().map(|c| c.name.as_str()).collect();
            Error::invalid_argument(
                self.operation,
                "column",
                format!(
                    "there is no column {}; the columns are [{}]",
                    col.describe(),
                    names.join(", ")
                ),
            )
        })
    }
}

impl<'a> IntoIterator for &'a Rows {
    type Item = Row<'a>;
    type IntoIter = RowIter<'a>;

    fn into_iter(self) -> RowIter<'a> {
        self.iter()
    }
}

/// Iterator over the rows of a [`Rows`]; see [`Rows::iter`].
#[derive(Debug, Clone)]
pub struct RowIter<'a> {
    rows: &'a Rows,
    next: usize,
    end: usize,
}

impl<'a> Iterator for RowIter<'a> {
    type Item = Row<'a>;

    fn next(&mut self) -> Option<Row<'a>> {
        if self.next >= self.end {
            return None;
        }
        let row = Row {
            rows: self.rows,
            index: self.next,
        };
        self.next += 1;
        Some(row)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end - self.next;
        (n, Some(n))
    }
}

impl ExactSizeIterator for RowIter<'_> {}

impl DoubleEndedIterator for RowIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.next >= self.end {
            return None;
        }
        self.end -= 1;
        Some(Row {
            rows: self.rows,
            index: self.end,
        })
    }
}

/// A column named or numbered: `usize` for a position, `&str` for a name.
pub trait ColumnIndex {
    /// The position of the column among `columns`, if it is there.
    fn index_in(&self, columns: &[Column]) -> Option<usize>;
    /// How to name the column in an error message.
    fn describe(&self) -> String;
}

impl ColumnIndex for usize {
    fn index_in(&self, columns: &[Column]) -> Option<usize> {
        (*self < columns.len()).then_some(*self)
    }
    fn describe(&self) -> String {
        format!("at position {self}")
    }
}

impl ColumnIndex for &str {
    fn index_in(&self, columns: &[Column]) -> Option<usize> {
        columns.iter().position(|c| c.name == *self)
    }
    fn describe(&self) -> String {
        format!("named `{self}`")
    }
}

impl ColumnIndex for String {
    fn index_in(&self, columns: &[Column]) -> Option<usize> {
        self.as_str().index_in(columns)
    }
    fn describe(&self) -> String {
        self.as_str().describe()
    }
}

impl ColumnIndex for &String {
    fn index_in(&self, columns: &[Column]) -> Option<usize> {
        self.as_str().index_in(columns)
    }
    fn describe(&self) -> String {
        self.as_str().describe()
    }
}

/// One row of a [`Rows`], borrowed from it.
#[derive(Clone, Copy)]
pub struct Row<'a> {
    rows: &'a Rows,
    index: usize,
}

impl fmt::Debug for Row<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.values()).finish()
    }
}

impl<'a> Row<'a> {
    /// The row's position in its [`Rows`].
    pub fn index(&self) -> usize {
        self.index
    }

    /// How many cells the row has (the number of columns).
    pub fn len(&self) -> usize {
        self.rows.columns.len()
    }

    /// Whether the row has no cells.
    pub fn is_empty(&self) -> bool {
        self.rows.columns.is_empty()
    }

    /// The cell in column `col` (a position or a name), or `None` when
    /// there is no such column.
    pub fn value(&self, col: impl ColumnIndex) -> Option<Value<'a>> {
        self.raw(col).map(Value::parse)
    }

    /// The JSON text of the cell in column `col`, exactly as sent.
    pub fn raw(&self, col: impl ColumnIndex) -> Option<&'a str> {
        let col = col.index_in(&self.rows.columns)?;
        Some(self.rows.cell(self.index, col))
    }

    /// Every cell in column order.
    pub fn values(&self) -> impl Iterator<Item = Value<'a>> + 'a {
        let (rows, index) = (self.rows, self.index);
        (0..rows.columns.len()).map(move |c| Value::parse(rows.cell(index, c)))
    }

    /// The cell in column `col`, converted to `T` without rounding: integer
    /// types get the exact integer (or an error when it does not fit),
    /// `String` gets a string's content or a number's exact text,
    /// `Option<T>` is `None` for NULL, and only `f32`/`f64` parse a float.
    /// `&str` borrows a string without escapes; use `String` (or `Cow<str>`)
    /// when a string may hold escapes. Types that ask serde for "any" value
    /// (`serde_json::Value`, untagged enums, decimal crates) receive an
    /// integer when it fits 128 bits and the exact text otherwise.
    ///
    /// ```
    /// let rows = hotdata::Rows::from_json(
    ///     br#"{"columns":["n","big","label"],"rows":[[1,123456789012345678901234567890,"a\"b"]]}"#.to_vec(),
    /// )?;
    /// let row = rows.row(0).unwrap();
    /// assert_eq!(row.get::<i32>(0)?, 1);
    /// assert_eq!(row.get::<String>("big")?, "123456789012345678901234567890");
    /// assert_eq!(row.get::<String>("label")?, "a\"b");
    /// assert!(row.get::<u8>("big").is_err());
    /// # Ok::<(), hotdata::Error>(())
    /// ```
    pub fn get<T: Deserialize<'a>>(&self, col: impl ColumnIndex) -> Result<T, Error> {
        let c = self.rows.resolve(&col)?;
        let raw = self.rows.cell(self.index, c);
        T::deserialize(CellDeserializer { raw }).map_err(|e| self.cell_error(c, e))
    }

    /// The whole row as `T`: a struct takes its fields from the columns of
    /// the same name, a tuple or sequence takes the cells in order.
    pub fn deserialize<T: Deserialize<'a>>(&self) -> Result<T, Error> {
        let at = std::cell::Cell::new(None);
        let de = RowDeserializer { row: *self, at: &at };
        T::deserialize(de).map_err(|e| match at.get() {
            Some(c) => self.cell_error(c, e),
            None => Error::decode(
                self.rows.operation,
                None,
                None,
                format!("rows[{}]", self.index),
                e.0,
                b"",
            ),
        })
    }

    fn cell_error(&self, col: usize, e: CellError) -> Error {
        let raw = self.rows.cell(self.index, col);
        Error::decode(
            self.rows.operation,
            None,
            None,
            format!("rows[{}][{}]", self.index, col),
            format!("column `{}`: {}", self.rows.columns[col].name, e.0),
            raw.as_bytes(),
        )
    }
}
