//! Reading a stored result in one streamed response: Arrow IPC with the
//! `arrow` feature, CSV without it. Never offset/limit pages, whose rows the
//! API returns in no guaranteed order.
//!
//! The response is decoded chunk by chunk into [`Rows`]: either one page of
//! rows at a time (streams, constant memory) or all of them under the guards
//! of [`ResultLimits`] (a query's answer followed past its preview).

use std::sync::Arc;

use futures::{Stream, StreamExt as _};

use crate::data::rows::{Column, Meta, Rows, RowsBuilder, Value};
use crate::runtime::error::{Error, Guard, TooLarge};

/// Rows [`ResultLimits::default`] lets a read hold: one million, as
/// Hotdata's own clients allow.
pub const DEFAULT_MAX_ROWS: u64 = 1_000_000;
/// Bytes of cell text [`ResultLimits::default`] lets a read hold: 64 MiB,
/// as Hotdata's own clients allow.
pub const DEFAULT_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// Guards on reading a whole result into memory: at most this many rows and
/// this many bytes of cell text (the rows' JSON text, which is what
/// [`Rows`] holds). A read that would cross one stops with
/// [`Error::TooLarge`], naming the guard and the counts; it never returns
/// part of the rows. `None` lifts a guard.
///
/// Set them for a client with
/// [`ClientBuilder::result_limits`](crate::ClientBuilder::result_limits),
/// or for one call with [`Query::limits`](crate::Query::limits) and
/// [`ResultRequest::limits`](crate::ResultRequest::limits). Streams
/// ([`ResultRequest::stream`](crate::ResultRequest::stream)) hold one chunk
/// at a time and have no guard.
///
/// ```
/// use hotdata::ResultLimits;
/// let limits = ResultLimits::default();
/// assert_eq!(limits.get_max_rows(), Some(hotdata::DEFAULT_MAX_ROWS));
/// let wide = limits.max_rows(10_000_000).max_bytes(1 << 30);
/// assert_eq!(wide.get_max_bytes(), Some(1 << 30));
/// assert_eq!(ResultLimits::unlimited().get_max_rows(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResultLimits {
    max_rows: Option<u64>,
    max_bytes: Option<u64>,
}

impl Default for ResultLimits {
    fn default() -> Self {
        ResultLimits {
            max_rows: Some(DEFAULT_MAX_ROWS),
            max_bytes: Some(DEFAULT_MAX_BYTES),
        }
    }
}

impl ResultLimits {
    /// No guard at all: a read holds whatever the result has.
    pub fn unlimited() -> Self {
        ResultLimits {
            max_rows: None,
            max_bytes: None,
        }
    }

    /// At most this many rows (`None`: no limit on rows).
    pub fn max_rows(mut self, rows: impl Into<Option<u64>>) -> Self {
        self.max_rows = rows.into();
        self
    }

    /// At most this many bytes of cell text (`None`: no limit on bytes).
    pub fn max_bytes(mut self, bytes: impl Into<Option<u64>>) -> Self {
        self.max_bytes = bytes.into();
        self
    }

    /// The row guard.
    pub fn get_max_rows(&self) -> Option<u64> {
        self.max_rows
    }

    /// The byte guard.
    pub fn get_max_bytes(&self) -> Option<u64> {
        self.max_bytes
    }

    /// Fails when `total` rows (announced by the server) are over the row
    /// guard, before anything is read.
    pub(crate) fn check_total(
        &self,
        operation: &'static str,
        result_id: &str,
        total: Option<u64>,
    ) -> Result<(), Error> {
        match (self.max_rows, total) {
            (Some(limit), Some(total)) if total > limit => {
                Err(too_large(operation, result_id, Guard::Rows, limit, total, Some(total)))
            }
            _ => Ok(()),
        }
    }

    /// Fails when `rows` rows or `bytes` bytes are over a guard.
    pub(crate) fn check(
        &self,
        operation: &'static str,
        result_id: &str,
        rows: usize,
        bytes: usize,
        total: Option<u64>,
    ) -> Result<(), Error> {
        let rows = u64::try_from(rows).unwrap_or(u64::MAX);
        let bytes = u64::try_from(bytes).unwrap_or(u64::MAX);
        if let Some(limit) = self.max_rows
            && rows > limit
        {
            return Err(too_large(operation, result_id, Guard::Rows, limit, rows, total));
        }
        if let Some(limit) = self.max_bytes
            && bytes > limit
        {
            return Err(too_large(operation, result_id, Guard::Bytes, limit, bytes, total));
        }
        Ok(())
    }
}

fn too_large(
    operation: &'static str,
    result_id: &str,
    guard: Guard,
    limit: u64,
    reached: u64,
    total_row_count: Option<u64>,
) -> Error {
    Error::TooLarge(Box::new(TooLarge {
        operation: operation.into(),
        result_id: Some(result_id.to_owned()),
        guard,
        limit,
        reached,
        total_row_count,
    }))
}

/// The format whole results are read in: one streamed response, never
/// offset pages. Arrow by default when the `arrow` feature is on, else CSV;
/// set it with
/// [`ClientBuilder::streamed_format`](crate::ClientBuilder::streamed_format).
///
/// Arrow carries every value exactly, with its type. CSV carries text: a
/// small JSON slice read first (or a query's preview) says which columns
/// hold numbers and booleans, and an unquoted empty cell reads as `null`
/// unless its column is NOT NULL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamedFormat {
    /// Arrow IPC stream (needs the `arrow` feature).
    Arrow,
    /// CSV, decoded incrementally.
    Csv,
}

impl Default for StreamedFormat {
    fn default() -> Self {
        if cfg!(feature = "arrow") {
            StreamedFormat::Arrow
        } else {
            StreamedFormat::Csv
        }
    }
}

/// What a CSV column holds, learnt from rows read as JSON (a preview or a
/// small sample): CSV itself carries no types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Number,
    Bool,
    Text,
}

/// The kind of each column of `rows`: that of its first non-null cell, text
/// when every cell is null.
pub(crate) fn kinds_of(rows: &Rows) -> Vec<Kind> {
    (0..rows.columns().len())
        .map(|c| {
            rows.iter()
                .filter_map(|row| row.value(c))
                .find(|v| !v.is_null())
                .map_or(Kind::Text, |v| match v {
                    Value::Number(_) => Kind::Number,
                    Value::Bool(_) => Kind::Bool,
                    _ => Kind::Text,
                })
        })
        .collect()
}

/// Rows as they come off one streamed response.
pub(crate) struct Chunks {
    operation: &'static str,
    inner: Inner,
    /// Columns, once the stream has said them.
    columns: Option<Vec<Column>>,
    done: bool,
}

enum Inner {
    #[cfg(feature = "arrow")]
    Arrow(crate::data::arrow::RecordBatchStream),
    Csv(CsvChunks),
}

struct CsvChunks {
    body: futures::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    reader: crate::data::csv::CsvReader,
    /// Column kinds and nullability, when known.
    kinds: Option<Vec<Kind>>,
    nullable: Option<Vec<Option<bool>>>,
}

/// The most columns a CSV record may have.
const MAX_CSV_FIELDS: usize = 100_000;

impl Chunks {
    /// Rows decoded from an Arrow IPC stream.
    #[cfg(feature = "arrow")]
    pub(crate) fn arrow(operation: &'static str, batches: crate::data::arrow::RecordBatchStream) -> Chunks {
        Chunks {
            operation,
            inner: Inner::Arrow(batches),
            columns: None,
            done: false,
        }
    }

    /// Rows decoded from a CSV body with a header record. `hints`, when
    /// given, are rows of the same result read as JSON: their cells say which
    /// columns hold numbers and booleans, and their columns which may hold
    /// NULL. Without hints every cell is text.
    ///
    /// CSV writes NULL and the empty string alike unless the empty string is
    /// quoted: an unquoted empty cell reads as `null` unless its column is
    /// known to be NOT NULL, and then as `""`.
    pub(crate) fn csv(operation: &'static str, response: reqwest::Response, hints: Option<&Rows>) -> Chunks {
        Chunks {
            operation,
            inner: Inner::Csv(CsvChunks {
                body: response.bytes_stream().boxed(),
                reader: crate::data::csv::CsvReader::new(operation, MAX_CSV_FIELDS),
                kinds: hints.map(kinds_of),
                nullable: hints.map(|rows| rows.columns().iter().map(Column::nullable).collect()),
            }),
            columns: None,
            done: false,
        }
    }

    /// The next rows, as one page; `None` at the end.
    pub(crate) async fn next_page(&mut self) -> Option<Result<Rows, Error>> {
        loop {
            let mut builder = match &self.columns {
                Some(columns) => RowsBuilder::new(self.operation, columns.clone()),
                None => RowsBuilder::new(self.operation, Vec::new()),
            };
            match self.fill(&mut builder).await {
                Ok(true) if builder.len() == 0 => continue,
                Ok(true) => return Some(Ok(builder.finish(Meta::default()))),
                Ok(false) if builder.len() > 0 => return Some(Ok(builder.finish(Meta::default()))),
                Ok(false) => return None,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
    }

    /// Decodes the next chunk of the response into `out` (which is rebuilt
    /// with the columns once they are known). `false` once the response
    /// has ended.
    async fn fill(&mut self, out: &mut RowsBuilder) -> Result<bool, Error> {
        if self.done {
            return Ok(false);
        }
        match &mut self.inner {
            #[cfg(feature = "arrow")]
            Inner::Arrow(batches) => {
                let Some(batch) = batches.next().await.transpose()? else {
                    self.done = true;
                    return Ok(false);
                };
                if self.columns.is_none() {
                    let columns = crate::data::arrow::cells::columns(&batch.schema());
                    *out = RowsBuilder::new(self.operation, columns.clone());
                    self.columns = Some(columns);
                }
                crate::data::arrow::cells::append(self.operation, &batch, out)?;
                Ok(true)
            }
            Inner::Csv(csv) => {
                let chunk = match csv.body.next().await {
                    Some(chunk) => Some(chunk.map_err(|e| Error::from_reqwest(self.operation, e))?),
                    None => None,
                };
                let mut sink = CsvSink {
                    operation: self.operation,
                    columns: &mut self.columns,
                    kinds: csv.kinds.as_deref(),
                    nullable: csv.nullable.as_deref(),
                    out,
                };
                let mut record = |fields: &[crate::data::csv::Field<'_>]| sink.record(fields);
                match chunk {
                    Some(bytes) => {
                        csv.reader.feed(&bytes, &mut record)?;
                        Ok(true)
                    }
                    None => {
                        csv.reader.finish(&mut record)?;
                        self.done = true;
                        Ok(false)
                    }
                }
            }
        }
    }

    /// Every row, in one [`Rows`] under `limits`; `meta` is what the rows
    /// are said to be (result id, run, database).
    pub(crate) async fn collect(
        mut self,
        limits: ResultLimits,
        result_id: &str,
        total: Option<u64>,
        mut meta: Meta,
    ) -> Result<Rows, Error> {
        let mut builder = RowsBuilder::new(self.operation, Vec::new());
        let mut reserved = false;
        loop {
            let more = self.fill(&mut builder).await?;
            limits.check(self.operation, result_id, builder.len(), builder.bytes(), total)?;
            if !reserved
                && builder.len() > 0
                && let Some(total) = total
            {
                // Room for the announced rows at the first chunk's density, within the guards.
                reserved = true;
                let rows = total.min(limits.get_max_rows().unwrap_or(total)).min(1 << 24);
                let rows = usize::try_from(rows).unwrap_or(0).saturating_sub(builder.len());
                let text = (builder.bytes() / builder.len()).saturating_mul(rows);
                let cap = limits
                    .get_max_bytes()
                    .map_or(usize::MAX, |b| usize::try_from(b).unwrap_or(usize::MAX));
                builder.reserve(rows, text.min(cap).min(1 << 30));
            }
            if !more {
                break;
            }
        }
        meta.row_count = Some(u64::try_from(builder.len()).unwrap_or(u64::MAX));
        meta.total_row_count = meta.row_count;
        meta.truncated = Some(false);
        Ok(builder.finish(meta))
    }

    /// Every row, one page in memory at a time.
    pub(crate) fn rows(
        self,
    ) -> impl Stream<Item = Result<crate::flows::results::SharedRow, Error>> + Send + Unpin + 'static {
        futures::stream::unfold(self, |mut chunks| async move {
            let page = chunks.next_page().await?;
            Some((page, chunks))
        })
        .map(
            |page| -> Box<dyn Stream<Item = Result<crate::flows::results::SharedRow, Error>> + Send + Unpin> {
                match page {
                    Ok(rows) => {
                        let rows = Arc::new(rows);
                        Box::new(futures::stream::iter((0..rows.len()).map(move |index| {
                            Ok(crate::flows::results::SharedRow::new(Arc::clone(&rows), index))
                        })))
                    }
                    Err(e) => Box::new(futures::stream::iter([Err(e)])),
                }
            },
        )
        .flatten()
        .boxed()
    }
}

/// Turns CSV records into rows: the first record names the columns.
struct CsvSink<'s> {
    operation: &'static str,
    columns: &'s mut Option<Vec<Column>>,
    kinds: Option<&'s [Kind]>,
    nullable: Option<&'s [Option<bool>]>,
    out: &'s mut RowsBuilder,
}

impl CsvSink<'_> {
    fn record(&mut self, fields: &[crate::data::csv::Field<'_>]) -> Result<(), Error> {
        let Some(columns) = self.columns.as_ref() else {
            let columns: Vec<Column> = fields
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let nullable = self.nullable.and_then(|n| n.get(i).copied().flatten());
                    Column::new(f.text.to_owned(), nullable)
                })
                .collect();
            if let Some(kinds) = self.kinds
                && kinds.len() != columns.len()
            {
                return Err(Error::decode(
                    self.operation,
                    Some(200),
                    None,
                    "csv header",
                    format!("{} columns, but the preview had {}", columns.len(), kinds.len()),
                    b"",
                ));
            }
            *self.out = RowsBuilder::new(self.operation, columns.clone());
            *self.columns = Some(columns);
            return Ok(());
        };
        if fields.len() != columns.len() {
            return Err(Error::decode(
                self.operation,
                Some(200),
                None,
                format!("rows[{}]", self.out.len()),
                format!(
                    "a CSV record has {} fields but there are {} columns",
                    fields.len(),
                    columns.len()
                ),
                b"",
            ));
        }
        for (i, field) in fields.iter().enumerate() {
            let kind = self.kinds.map_or(Kind::Text, |k| k[i]);
            let not_null = columns[i].nullable() == Some(false);
            if field.text.is_empty() && !field.quoted && !(not_null && kind == Kind::Text) {
                self.out.null()?;
                continue;
            }
            match kind {
                Kind::Number if crate::data::csv::is_json_number(field.text) => self.out.raw(field.text)?,
                Kind::Bool if matches!(field.text, "true" | "false") => self.out.raw(field.text)?,
                _ => self.out.string(field.text)?,
            }
        }
        self.out.end_row()
    }
}
