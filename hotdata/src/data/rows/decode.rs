//! Decoding a JSON query or result body into [`Rows`] in one pass that
//! records where each cell's text is, copying none of them.

use std::fmt;

use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::runtime::error::Error;

use super::*;

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
            spans: super::Spans::Pairs(state.spans),
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
    if at < crate::runtime::error::BODY_EXCERPT_LIMIT - BEFORE {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_on_lines() {
        let text = "ab\ncd\nef";
        assert_eq!(byte_offset(text, 1, 1), 0);
        assert_eq!(byte_offset(text, 2, 2), 4);
        assert_eq!(byte_offset(text, 3, 1), 6);
    }
}
