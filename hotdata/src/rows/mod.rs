//! Lossless result rows.
//!
//! A JSON result is kept as the text the server sent plus, for every cell,
//! where its JSON text starts and ends. Nothing is converted until asked
//! for, so a `DECIMAL(38,2)` of `99999999999999999999.99` or a 20-digit
//! integer reads back exactly, and there is never a second copy of the whole
//! result in memory.

use std::borrow::Cow;
use std::fmt;

use reqwest::header::HeaderMap;
use serde::de::{self, DeserializeSeed, IntoDeserializer as _, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::value::RawValue;

use crate::error::Error;

mod build;
pub(crate) use build::RowsBuilder;

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
    /// The whole response body, checked to be UTF-8.
    text: String,
    /// Two offsets into `text` per cell: start and end of its JSON text.
    spans: Vec<u32>,
    len: usize,
    columns: Vec<Column>,
    meta: Meta,
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
        spans: Vec<u32>,
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
        let at = (row * self.columns.len() + col) * 2;
        let (start, end) = (self.spans[at] as usize, self.spans[at + 1] as usize);
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

/// One cell, read from its JSON text without loss.
///
/// Numbers stay text ([`Value::Number`]); convert them with
/// [`as_i64`](Value::as_i64), [`as_u64`](Value::as_u64),
/// [`as_i128`](Value::as_i128) or [`as_decimal_str`](Value::as_decimal_str),
/// or lossily with [`as_f64`](Value::as_f64).
///
/// ```
/// use hotdata::Value;
/// let big = Value::Number("99999999999999999999.99");
/// assert_eq!(big.as_decimal_str(), Some("99999999999999999999.99"));
/// assert_eq!(big.as_i64(), None);
/// assert_eq!(Value::Number("-42").as_i64(), Some(-42));
/// assert_eq!(Value::String("x".into()).as_str(), Some("x"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Value<'a> {
    /// SQL NULL.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number, as its exact JSON text.
    Number(&'a str),
    /// A string, unescaped (borrowed unless it had escapes).
    String(Cow<'a, str>),
    /// A nested array or object, as its JSON text.
    Json(&'a str),
}

impl<'a> Value<'a> {
    /// Reads one cell's JSON text. Text that is not a valid JSON value
    /// (which the decoder never produces) reads as [`Value::Json`].
    pub fn parse(raw: &'a str) -> Value<'a> {
        match raw.as_bytes().first() {
            Some(b'n') => Value::Null,
            Some(b't') => Value::Bool(true),
            Some(b'f') => Value::Bool(false),
            Some(b'"') => Value::String(unescape(raw)),
            Some(b'-' | b'0'..=b'9') => Value::Number(raw),
            _ => Value::Json(raw),
        }
    }

    /// Whether the cell is NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The boolean, for a boolean cell.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The string, for a string cell.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The exact decimal text of a number cell, or of a string cell that
    /// holds a decimal number (some engines send wide decimals as strings).
    pub fn as_decimal_str(&self) -> Option<&str> {
        match self {
            Value::Number(n) => Some(n),
            Value::String(s) if is_decimal(s) => Some(s),
            _ => None,
        }
    }

    /// The number as an `i64`, when it is an integer that fits.
    pub fn as_i64(&self) -> Option<i64> {
        self.as_decimal_str()?.parse().ok()
    }

    /// The number as a `u64`, when it is a non-negative integer that fits.
    pub fn as_u64(&self) -> Option<u64> {
        self.as_decimal_str()?.parse().ok()
    }

    /// The number as an `i128`, when it is an integer that fits.
    pub fn as_i128(&self) -> Option<i128> {
        self.as_decimal_str()?.parse().ok()
    }

    /// The number as the nearest `f64`. This may round; prefer
    /// [`as_decimal_str`](Value::as_decimal_str) for exact values.
    pub fn as_f64(&self) -> Option<f64> {
        self.as_decimal_str()?.parse().ok()
    }
}

impl fmt::Display for Value<'_> {
    /// Strings without quotes, numbers exactly, NULL as `null`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) | Value::Json(n) => f.write_str(n),
            Value::String(s) => f.write_str(s),
        }
    }
}

/// One cell of a row inside a generated model (`rows` of
/// [`QueryResponse`](crate::types::QueryResponse),
/// [`GetResultResponse`](crate::types::GetResultResponse) and any model with
/// rows of arbitrary JSON values), kept as the JSON text the server sent.
///
/// `serde_json::Value` would turn `99999999999999999999.99` into `1e20`; a
/// `Cell` keeps the text, serialises back to exactly the same JSON, and reads
/// it through the same lossless [`Value`] that [`Rows`] uses.
///
/// ```
/// use hotdata::Cell;
/// let cell: Cell = serde_json::from_str("99999999999999999999.99")?;
/// assert_eq!(cell.json(), "99999999999999999999.99");
/// assert_eq!(cell.value().as_decimal_str(), Some("99999999999999999999.99"));
/// assert_eq!(serde_json::to_string(&cell)?, "99999999999999999999.99");
/// let id: u64 = serde_json::from_str::<Cell>("12345678901234567890")?.get()?;
/// assert_eq!(id, 12345678901234567890);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone)]
pub struct Cell(Box<RawValue>);

impl Cell {
    /// A cell from JSON text, checked to be one JSON value.
    pub fn from_json(text: impl Into<String>) -> Result<Cell, serde_json::Error> {
        RawValue::from_string(text.into()).map(Cell)
    }

    /// The JSON text, exactly as received.
    pub fn json(&self) -> &str {
        self.0.get()
    }

    /// The cell read without loss: numbers stay text.
    pub fn value(&self) -> Value<'_> {
        Value::parse(self.0.get())
    }

    /// Whether the cell is `null`.
    pub fn is_null(&self) -> bool {
        self.value().is_null()
    }

    /// Decodes the cell as `T` (`u64`, `String`, `Option<i128>`, your own
    /// type, ...) from its JSON text.
    pub fn get<'a, T: Deserialize<'a>>(&'a self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.0.get())
    }
}

impl fmt::Debug for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.get())
    }
}

impl fmt::Display for Cell {
    /// Like [`Value`]'s: strings without quotes, numbers exactly.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.value(), f)
    }
}

impl PartialEq for Cell {
    /// Equal JSON text.
    fn eq(&self, other: &Self) -> bool {
        self.0.get() == other.0.get()
    }
}

impl Eq for Cell {}

impl PartialEq<serde_json::Value> for Cell {
    /// Whether the cell reads as that value (through `serde_json::Value`,
    /// so wide numbers compare as `serde_json` rounds them).
    fn eq(&self, other: &serde_json::Value) -> bool {
        serde_json::from_str::<serde_json::Value>(self.0.get()).is_ok_and(|v| v == *other)
    }
}

impl From<serde_json::Value> for Cell {
    fn from(value: serde_json::Value) -> Self {
        // Serialising a `serde_json::Value` cannot fail, and gives one JSON value.
        let text = value.to_string();
        Cell(RawValue::from_string(text).unwrap_or_else(|_| RawValue::NULL.to_owned()))
    }
}

impl serde::Serialize for Cell {
    /// Writes the JSON text unchanged (with `serde_json`).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Cell {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(deserializer).map(Cell)
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for Cell {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("Cell")
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Any JSON value (string, number, boolean or null), kept as its exact text."
        })
    }
}

/// Whether `s` reads as a decimal number: optional sign, digits, optional
/// fraction, optional exponent.
fn is_decimal(s: &str) -> bool {
    let b = s.strip_prefix('-').unwrap_or(s).as_bytes();
    let int = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if int == 0 {
        return false;
    }
    let mut rest = &b[int..];
    if let Some(r) = rest.strip_prefix(b".") {
        let frac = r.iter().take_while(|c| c.is_ascii_digit()).count();
        if frac == 0 {
            return false;
        }
        rest = &r[frac..];
    }
    if let Some(r) = rest.strip_prefix(b"e").or_else(|| rest.strip_prefix(b"E")) {
        let r = r.strip_prefix(b"+").or_else(|| r.strip_prefix(b"-")).unwrap_or(r);
        let exp = r.iter().take_while(|c| c.is_ascii_digit()).count();
        return exp > 0 && exp == r.len();
    }
    rest.is_empty()
}

/// A JSON string literal's content, borrowed when it has no escapes.
fn unescape(raw: &str) -> Cow<'_, str> {
    let inner = raw.get(1..raw.len().saturating_sub(1)).unwrap_or_default();
    if !inner.contains('\\') {
        return Cow::Borrowed(inner);
    }
    match serde_json::from_str::<String>(raw) {
        Ok(s) => Cow::Owned(s),
        Err(_) => Cow::Borrowed(inner),
    }
}

// ---------------------------------------------------------------------------
// Decoding a body into rows.

/// What a JSON query or result body held.
pub(crate) struct Decoded {
    /// The rows, when the body had `rows` (ready results, query responses).
    pub(crate) rows: Option<Rows>,
    /// `status`, for stored results.
    pub(crate) status: Option<String>,
    /// `error_message`, for failed stored results.
    pub(crate) error_message: Option<String>,
    /// The body, when there were no rows (kept for error excerpts).
    pub(crate) body: String,
}

/// Where the decoder was when it stopped.
#[derive(Default)]
struct State {
    base: usize,
    spans: Vec<u32>,
    field: &'static str,
    row: Option<usize>,
    cell: Option<usize>,
    rows_seen: usize,
    width: Option<usize>,
}

impl State {
    fn path(&self) -> String {
        match (self.row, self.cell) {
            (Some(r), Some(c)) => format!("rows[{r}][{c}]"),
            (Some(r), None) => format!("rows[{r}]"),
            _ => self.field.to_owned(),
        }
    }
}

/// Decodes a query or result body in one pass that records where each cell
/// is, without copying any of them.
pub(crate) fn decode(
    operation: &'static str,
    status: Option<u16>,
    headers: Option<&HeaderMap>,
    body: Vec<u8>,
) -> Result<Decoded, Error> {
    let fail = |path: &str, message: String, body: &[u8], at: usize| {
        Error::decode(operation, status, headers, path, message, excerpt_window(body, at))
    };
    if body.len() > u32::MAX as usize {
        return Err(fail(
            "",
            "a JSON body over 4 GiB cannot be held as rows; page through it with `limit` or use the Arrow stream"
                .into(),
            &body,
            0,
        ));
    }
    let text = match String::from_utf8(body) {
        Ok(text) => text,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let body = e.into_bytes();
            return Err(fail("", format!("the body is not UTF-8 (byte {at})"), &body, at));
        }
    };
    let mut state = State {
        base: text.as_ptr() as usize,
        ..State::default()
    };
    let mut de = serde_json::Deserializer::from_str(&text);
    let parsed = EnvelopeSeed { state: &mut state }
        .deserialize(&mut de)
        .and_then(|f| de.end().map(|()| f));
    let fields = match parsed {
        Ok(fields) => fields,
        Err(e) => {
            let at = byte_offset(&text, e.line(), e.column());
            let message = e.to_string();
            return Err(fail(&state.path(), message, text.as_bytes(), at));
        }
    };
    let Envelope {
        columns,
        nullable,
        rows_present,
        meta,
        status: result_status,
        error_message,
    } = fields;
    if !rows_present {
        return Ok(Decoded {
            rows: None,
            status: result_status,
            error_message,
            body: text,
        });
    }
    let Some(columns) = columns else {
        return Err(fail(
            "columns",
            "the body has `rows` but no `columns`".into(),
            text.as_bytes(),
            0,
        ));
    };
    if let Some(width) = state.width
        && state.rows_seen > 0
        && width != columns.len()
    {
        return Err(fail(
            "rows[0]",
            format!("rows have {width} cells but there are {} columns", columns.len()),
            text.as_bytes(),
            0,
        ));
    }
    if let Some(n) = &nullable
        && n.len() != columns.len()
    {
        return Err(fail(
            "nullable",
            format!("{} entries for {} columns", n.len(), columns.len()),
            text.as_bytes(),
            0,
        ));
    }
    let columns = columns
        .into_iter()
        .enumerate()
        .map(|(i, name)| Column {
            name,
            nullable: nullable.as_ref().map(|n| n[i]),
        })
        .collect();
    Ok(Decoded {
        rows: Some(Rows {
            operation,
            text,
            spans: state.spans,
            len: state.rows_seen,
            columns,
            meta,
        }),
        status: result_status,
        error_message,
        body: String::new(),
    })
}

/// The byte offset of a 1-based line and column in `text`.
fn byte_offset(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (line_start + column.saturating_sub(1)).min(text.len())
}

/// The part of a body worth quoting for a failure at byte `at`: the start
/// when the failure is near it, else a window that begins shortly before it.
fn excerpt_window(body: &[u8], at: usize) -> &[u8] {
    const BEFORE: usize = 200;
    if at < crate::error::BODY_EXCERPT_LIMIT - BEFORE {
        body
    } else {
        &body[(at - BEFORE).min(body.len())..]
    }
}

struct Envelope {
    columns: Option<Vec<String>>,
    nullable: Option<Vec<bool>>,
    rows_present: bool,
    meta: Meta,
    status: Option<String>,
    error_message: Option<String>,
}

struct EnvelopeSeed<'s> {
    state: &'s mut State,
}

impl<'de> DeserializeSeed<'de> for EnvelopeSeed<'_> {
    type Value = Envelope;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Envelope, D::Error> {
        d.deserialize_map(self)
    }
}

/// The members of a query or result body the decoder reads.
enum Field {
    Columns,
    Nullable,
    Rows,
    RowCount,
    ResultId,
    QueryRunId,
    ExecutionTimeMs,
    Warning,
    Truncated,
    PreviewRowCount,
    TotalRowCount,
    Status,
    ErrorMessage,
    Other,
}

impl Field {
    fn name(&self) -> &'static str {
        match self {
            Field::Columns => "columns",
            Field::Nullable => "nullable",
            Field::Rows => "rows",
            Field::RowCount => "row_count",
            Field::ResultId => "result_id",
            Field::QueryRunId => "query_run_id",
            Field::ExecutionTimeMs => "execution_time_ms",
            Field::Warning => "warning",
            Field::Truncated => "truncated",
            Field::PreviewRowCount => "preview_row_count",
            Field::TotalRowCount => "total_row_count",
            Field::Status => "status",
            Field::ErrorMessage => "error_message",
            Field::Other => "",
        }
    }
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Field, D::Error> {
        struct FieldVisitor;
        impl Visitor<'_> for FieldVisitor {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Field, E> {
                Ok(match v {
                    "columns" => Field::Columns,
                    "nullable" => Field::Nullable,
                    "rows" => Field::Rows,
                    "row_count" => Field::RowCount,
                    "result_id" => Field::ResultId,
                    "query_run_id" => Field::QueryRunId,
                    "execution_time_ms" => Field::ExecutionTimeMs,
                    "warning" => Field::Warning,
                    "truncated" => Field::Truncated,
                    "preview_row_count" => Field::PreviewRowCount,
                    "total_row_count" => Field::TotalRowCount,
                    "status" => Field::Status,
                    "error_message" => Field::ErrorMessage,
                    _ => Field::Other,
                })
            }
        }
        d.deserialize_identifier(FieldVisitor)
    }
}

impl<'de> Visitor<'de> for EnvelopeSeed<'_> {
    type Value = Envelope;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object with `columns` and `rows`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Envelope, A::Error> {
        let mut out = Envelope {
            columns: None,
            nullable: None,
            rows_present: false,
            meta: Meta::default(),
            status: None,
            error_message: None,
        };
        let mut rows_seen_member = false;
        while let Some(field) = map.next_key::<Field>()? {
            self.state.field = field.name();
            match field {
                Field::Columns => out.columns = map.next_value()?,
                Field::Nullable => out.nullable = map.next_value()?,
                Field::Rows => {
                    if rows_seen_member {
                        return Err(de::Error::duplicate_field("rows"));
                    }
                    rows_seen_member = true;
                    out.rows_present = map.next_value_seed(RowsSeed {
                        state: &mut *self.state,
                    })?;
                }
                Field::RowCount => out.meta.row_count = map.next_value()?,
                Field::ResultId => out.meta.result_id = map.next_value()?,
                Field::QueryRunId => out.meta.query_run_id = map.next_value()?,
                Field::ExecutionTimeMs => out.meta.execution_time_ms = map.next_value()?,
                Field::Warning => out.meta.warning = map.next_value()?,
                Field::Truncated => out.meta.truncated = map.next_value()?,
                Field::PreviewRowCount => out.meta.preview_row_count = map.next_value()?,
                Field::TotalRowCount => out.meta.total_row_count = map.next_value()?,
                Field::Status => out.status = map.next_value()?,
                Field::ErrorMessage => out.error_message = map.next_value()?,
                Field::Other => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        self.state.field = "";
        Ok(out)
    }
}

/// `rows`: `null` or an array of rows. Answers whether it was an array.
struct RowsSeed<'s> {
    state: &'s mut State,
}

impl<'de> DeserializeSeed<'de> for RowsSeed<'_> {
    type Value = bool;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for RowsSeed<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of rows, or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let mut index = 0;
        loop {
            self.state.row = Some(index);
            self.state.cell = None;
            if seq.next_element_seed(RowSeed { state: self.state })?.is_none() {
                break;
            }
            index += 1;
        }
        self.state.row = None;
        self.state.rows_seen = index;
        Ok(true)
    }
}

/// One row: an array of cells whose spans are recorded.
struct RowSeed<'s> {
    state: &'s mut State,
}

impl<'de> DeserializeSeed<'de> for RowSeed<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a row (an array of cells)")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let state = self.state;
        let mut n = 0;
        loop {
            state.cell = Some(n);
            let Some(cell) = seq.next_element::<&'de RawValue>()? else {
                break;
            };
            let text = cell.get();
            let start = text.as_ptr() as usize - state.base;
            // `decode` refused bodies over u32::MAX bytes, so these fit.
            state.spans.push(start as u32);
            state.spans.push((start + text.len()) as u32);
            n += 1;
        }
        state.cell = None;
        match state.width {
            Some(w) if w != n => Err(de::Error::custom(format!(
                "this row has {n} cells but the rows before it have {w}"
            ))),
            Some(_) => Ok(()),
            None => {
                state.width = Some(n);
                Ok(())
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Reading cells and rows into user types.

/// Why a cell or row did not convert.
#[derive(Debug)]
pub(crate) struct CellError(String);

impl fmt::Display for CellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CellError {}

impl de::Error for CellError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        CellError(msg.to_string())
    }
}

impl From<serde_json::Error> for CellError {
    fn from(e: serde_json::Error) -> Self {
        CellError(e.to_string())
    }
}

/// A serde deserializer over one cell's JSON text that never rounds.
struct CellDeserializer<'a> {
    raw: &'a str,
}

impl<'a> CellDeserializer<'a> {
    /// The text a number-like request reads: a number's text, or the content
    /// of a string cell.
    fn numeric_text(&self) -> Cow<'a, str> {
        match Value::parse(self.raw) {
            Value::String(s) => s,
            _ => Cow::Borrowed(self.raw),
        }
    }

    fn parse_number<T: std::str::FromStr>(&self, what: &str) -> Result<T, CellError>
    where
        T::Err: fmt::Display,
    {
        let text = self.numeric_text();
        text.trim().parse::<T>().map_err(|e| {
            CellError(format!(
                "cannot read {} as {what}: {e}",
                crate::error::excerpt(self.raw.as_bytes())
            ))
        })
    }
}

macro_rules! exact_number {
    ($($method:ident => $ty:ty, $visit:ident;)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CellError> {
                if matches!(Value::parse(self.raw), Value::Number(_) | Value::String(_)) {
                    let n: $ty = self.parse_number::<$ty>(stringify!($ty))?;
                    visitor.$visit(n)
                } else {
                    self.deserialize_any(visitor)
                }
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for CellDeserializer<'de> {
    type Error = CellError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CellError> {
        match Value::parse(self.raw) {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::String(Cow::Borrowed(s)) => visitor.visit_borrowed_str(s),
            Value::String(Cow::Owned(s)) => visitor.visit_string(s),
            Value::Number(n) => {
                let integer = !n.contains(['.', 'e', 'E']);
                if integer {
                    if let Ok(v) = n.parse::<u64>() {
                        return visitor.visit_u64(v);
                    }
                    if let Ok(v) = n.parse::<i64>() {
                        return visitor.visit_i64(v);
                    }
                    if let Ok(v) = n.parse::<u128>() {
                        return visitor.visit_u128(v);
                    }
                    if let Ok(v) = n.parse::<i128>() {
                        return visitor.visit_i128(v);
                    }
                }
                // A fraction, or an integer wider than 128 bits: hand over
                // the exact text rather than a rounded float.
                visitor.visit_borrowed_str(n)
            }
            Value::Json(j) => Ok(serde_json::Deserializer::from_str(j).deserialize_any(visitor)?),
        }
    }

    exact_number! {
        deserialize_i8 => i8, visit_i8;
        deserialize_i16 => i16, visit_i16;
        deserialize_i32 => i32, visit_i32;
        deserialize_i64 => i64, visit_i64;
        deserialize_i128 => i128, visit_i128;
        deserialize_u8 => u8, visit_u8;
        deserialize_u16 => u16, visit_u16;
        deserialize_u32 => u32, visit_u32;
        deserialize_u64 => u64, visit_u64;
        deserialize_u128 => u128, visit_u128;
        deserialize_f32 => f32, visit_f32;
        deserialize_f64 => f64, visit_f64;
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CellError> {
        match Value::parse(self.raw) {
            Value::Number(n) => visitor.visit_borrowed_str(n),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CellError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CellError> {
        match Value::parse(self.raw) {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, CellError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, CellError> {
        match Value::parse(self.raw) {
            Value::String(s) => visitor.visit_enum(s.into_owned().into_deserializer()),
            _ => Ok(serde_json::Deserializer::from_str(self.raw).deserialize_any(visitor)?),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CellError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool char bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

/// A serde deserializer over one row: a map from column names to cells, or
/// a sequence of cells.
struct RowDeserializer<'a, 's> {
    row: Row<'a>,
    at: &'s std::cell::Cell<Option<usize>>,
}

impl<'de> de::Deserializer<'de> for RowDeserializer<'de, '_> {
    type Error = CellError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CellError> {
        visitor.visit_map(RowAccess {
            row: self.row,
            next: 0,
            at: self.at,
        })
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CellError> {
        visitor.visit_seq(RowAccess {
            row: self.row,
            next: 0,
            at: self.at,
        })
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, CellError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, CellError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, CellError> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct map struct enum identifier ignored_any
    }
}

struct RowAccess<'a, 's> {
    row: Row<'a>,
    next: usize,
    at: &'s std::cell::Cell<Option<usize>>,
}

impl<'de> MapAccess<'de> for RowAccess<'de, '_> {
    type Error = CellError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, CellError> {
        let Some(column) = self.row.rows.columns.get(self.next) else {
            self.at.set(None);
            return Ok(None);
        };
        let name: &'de str = &column.name;
        seed.deserialize(de::value::BorrowedStrDeserializer::new(name))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, CellError> {
        let col = self.next;
        self.next += 1;
        self.at.set(Some(col));
        let value = seed.deserialize(CellDeserializer {
            raw: self.row.rows.cell(self.row.index, col),
        })?;
        self.at.set(None);
        Ok(value)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.row.rows.columns.len() - self.next)
    }
}

impl<'de> SeqAccess<'de> for RowAccess<'de, '_> {
    type Error = CellError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, CellError> {
        if self.next >= self.row.rows.columns.len() {
            self.at.set(None);
            return Ok(None);
        }
        self.next_value_seed(seed).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.row.rows.columns.len() - self.next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_recognised() {
        for ok in ["0", "-1", "1.5", "99999999999999999999.99", "1e10", "-2.5E-3"] {
            assert!(is_decimal(ok), "{ok}");
        }
        for bad in ["", "-", "1.", ".5", "1e", "abc", "1.2.3", "NaN"] {
            assert!(!is_decimal(bad), "{bad}");
        }
    }

    #[test]
    fn offsets_on_lines() {
        let text = "ab\ncd\nef";
        assert_eq!(byte_offset(text, 1, 1), 0);
        assert_eq!(byte_offset(text, 2, 2), 4);
        assert_eq!(byte_offset(text, 3, 1), 6);
    }
}
