//! One cell: [`Value`], borrowed from a row, and [`Cell`], an owned cell
//! kept as its JSON text.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde_json::value::RawValue;

/// One cell, read from its JSON text without loss.
///
/// Numbers stay text ([`Value::Number`]); convert them with
/// [`as_i64`](Value::as_i64), [`as_u64`](Value::as_u64),
/// [`as_i128`](Value::as_i128) or [`as_decimal_str`](Value::as_decimal_str),
/// or lossily with [`as_f64`](Value::as_f64).
///
/// ```
/// # use hotdata_models as hotdata;
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
/// it through the same lossless [`Value`] that `hotdata::Rows` uses.
///
/// ```
/// # use hotdata_models as hotdata;
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
}
