//! Reading cells and rows into user types through serde, without rounding
//! a number on the way.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer as _, MapAccess, SeqAccess, Visitor};

use super::*;

/// Why a cell or row did not convert.
#[derive(Debug)]
pub(crate) struct CellError(pub(super) String);

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
pub(super) struct CellDeserializer<'a> {
    pub(super) raw: &'a str,
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
                crate::runtime::error::excerpt(self.raw.as_bytes())
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
            // A nested array or object (`Value::Json`), or a kind `Value` (`#[non_exhaustive]`) adds later: its JSON
            // text read as serde_json reads it.
            _ => Ok(serde_json::Deserializer::from_str(self.raw).deserialize_any(visitor)?),
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
pub(super) struct RowDeserializer<'a, 's> {
    pub(super) row: Row<'a>,
    pub(super) at: &'s std::cell::Cell<Option<usize>>,
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
