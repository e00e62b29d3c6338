//! Stored results: reading the Arrow IPC file back, slicing by offset and limit, and encoding as JSON (numbers
//! written exactly from Arrow), Arrow IPC stream, CSV, Markdown or parquet, batch by batch.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use datafusion::arrow::array::{Array, ArrayRef, AsArray as _, RecordBatch};
use datafusion::arrow::datatypes::{
    DataType, Float16Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, SchemaRef, UInt8Type,
    UInt16Type, UInt32Type, UInt64Type,
};
use datafusion::arrow::ipc::reader::FileReader;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use tokio::sync::mpsc;

/// Output encodings of `GET /v1/results/{id}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Arrow,
    Csv,
    Markdown,
    Parquet,
}

impl Format {
    /// Parses the `format` query value.
    pub(crate) fn parse(s: &str) -> Option<Format> {
        match s {
            "json" => Some(Format::Json),
            "arrow" => Some(Format::Arrow),
            "csv" => Some(Format::Csv),
            "md" | "markdown" => Some(Format::Markdown),
            "parquet" => Some(Format::Parquet),
            _ => None,
        }
    }

    /// Picks a format from an `Accept` header (JSON when nothing better matches).
    pub(crate) fn from_accept(accept: &str) -> Format {
        let a = accept.to_ascii_lowercase();
        if a.contains("application/vnd.apache.arrow.stream") {
            Format::Arrow
        } else if a.contains("text/csv") {
            Format::Csv
        } else if a.contains("text/markdown") {
            Format::Markdown
        } else if a.contains("application/vnd.apache.parquet") {
            Format::Parquet
        } else {
            Format::Json
        }
    }

    pub(crate) fn media_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Arrow => "application/vnd.apache.arrow.stream",
            Format::Csv => "text/csv",
            Format::Markdown => "text/markdown",
            Format::Parquet => "application/vnd.apache.parquet",
        }
    }
}

/// Which rows of a stored result to send, and how.
#[derive(Debug, Clone)]
pub(crate) struct Slice {
    pub(crate) file: PathBuf,
    /// Rows per stored batch.
    pub(crate) batch_rows: Vec<u64>,
    pub(crate) offset: u64,
    pub(crate) limit: Option<u64>,
    pub(crate) format: Format,
    /// For JSON: the object text before the rows (ending in `"rows":[`); `]}` is appended after them.
    pub(crate) json_prefix: String,
    /// When set (the `UnorderedPages` fault), the rows are put in a random order drawn from this seed before
    /// `offset` and `limit` apply. Ignored for parquet.
    pub(crate) shuffle: Option<u64>,
}

/// The shared total of the estimated sizes of the JSON result reads in flight.
#[derive(Debug, Default)]
pub(crate) struct ReadBudget {
    in_flight: Arc<AtomicU64>,
}

/// One JSON read's share of a [`ReadBudget`]; given back when dropped.
#[derive(Debug)]
pub(crate) struct ReadPermit {
    in_flight: Arc<AtomicU64>,
    bytes: u64,
}

impl ReadBudget {
    /// Takes `bytes` of the budget if the reads in flight plus `bytes` stay within `total`.
    pub(crate) fn try_acquire(&self, bytes: u64, total: u64) -> Option<ReadPermit> {
        self.in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |current| {
                current.checked_add(bytes).filter(|sum| *sum <= total)
            })
            .ok()?;
        Some(ReadPermit {
            in_flight: self.in_flight.clone(),
            bytes,
        })
    }
}

impl Drop for ReadPermit {
    fn drop(&mut self) {
        let bytes = self.bytes;
        let _ = self
            .in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |current| {
                Some(current.saturating_sub(bytes))
            });
    }
}

/// A `Write` that hands chunks to an async channel (used from a blocking thread).
struct ChannelWriter {
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
}

impl Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.tx
            .blocking_send(Ok(Bytes::copy_from_slice(buf)))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Encodes the slice on a blocking thread, returning the chunk receiver (bounded: the encoder waits for the client).
pub(crate) fn stream(slice: Slice) -> mpsc::Receiver<Result<Bytes, std::io::Error>> {
    stream_holding(slice, ())
}

/// Like [`stream`], keeping `hold` alive until the encoder has finished or the client went away (used to keep a
/// JSON read's share of the read budget for as long as its body is being produced).
pub(crate) fn stream_holding(slice: Slice, hold: impl Send + 'static) -> mpsc::Receiver<Result<Bytes, std::io::Error>> {
    let (tx, rx) = mpsc::channel(8);
    tokio::task::spawn_blocking(move || {
        let _hold = hold;
        let err_tx = tx.clone();
        let w = BufWriter::with_capacity(256 * 1024, ChannelWriter { tx });
        if let Err(e) = encode(&slice, w) {
            let _ = err_tx.blocking_send(Err(e));
        }
    });
    rx
}

/// Encodes the slice into memory (for small answers that get validated).
pub(crate) async fn to_vec(slice: Slice) -> std::io::Result<Vec<u8>> {
    tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        encode(&slice, &mut out)?;
        Ok(out)
    })
    .await
    .map_err(std::io::Error::other)?
}

fn io_err(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// A stream of record batches read back from a stored result.
type Batches = Box<dyn Iterator<Item = std::io::Result<RecordBatch>>>;

/// The stored batches that overlap `[offset, offset + limit)`, each cut to the overlap; or, with
/// [`Slice::shuffle`], that window of a random permutation of all rows, as one batch.
fn batches(slice: &Slice) -> std::io::Result<(SchemaRef, Batches)> {
    let f = BufReader::new(File::open(&slice.file)?);
    let mut reader = FileReader::try_new(f, None).map_err(io_err)?;
    let schema = reader.schema();
    if let Some(seed) = slice.shuffle {
        let all = reader.collect::<Result<Vec<_>, _>>().map_err(io_err)?;
        let whole = datafusion::arrow::compute::concat_batches(&schema, &all).map_err(io_err)?;
        drop(all);
        let n = whole.num_rows();
        let mut order: Vec<u64> = (0..n as u64).collect();
        let mut rng = SplitMix64(seed);
        for i in (1..n).rev() {
            let j = (rng.next() % (i as u64 + 1)) as usize;
            order.swap(i, j);
        }
        let start = usize::try_from(slice.offset).unwrap_or(usize::MAX).min(n);
        let end = match slice.limit {
            Some(l) => start.saturating_add(usize::try_from(l).unwrap_or(usize::MAX)).min(n),
            None => n,
        };
        let indices = datafusion::arrow::array::UInt64Array::from(order[start..end].to_vec());
        let picked = datafusion::arrow::compute::take_record_batch(&whole, &indices).map_err(io_err)?;
        return Ok((schema, Box::new(std::iter::once(Ok(picked)))));
    }
    let end = slice.limit.map(|l| slice.offset.saturating_add(l)).unwrap_or(u64::MAX);
    // Skip whole batches before the offset without decoding them.
    let mut first = 0usize;
    let mut start_row = 0u64;
    while first < slice.batch_rows.len() && start_row + slice.batch_rows[first] <= slice.offset {
        start_row += slice.batch_rows[first];
        first += 1;
    }
    if first > 0 && first < reader.num_batches() {
        reader.set_index(first).map_err(io_err)?;
    }
    let skip_all = first >= reader.num_batches();
    let offset = slice.offset;
    let mut pos = start_row;
    let iter = reader.take_while(move |_| !skip_all).map_while(move |b| {
        if pos >= end {
            return None;
        }
        let b = match b {
            Ok(b) => b,
            Err(e) => return Some(Err(io_err(e))),
        };
        let n = b.num_rows() as u64;
        let lo = offset.saturating_sub(pos).min(n);
        let hi = end.saturating_sub(pos).min(n);
        pos += n;
        Some(Ok(b.slice(lo as usize, (hi - lo) as usize)))
    });
    Ok((schema, Box::new(iter)))
}

/// A fresh seed for [`Slice::shuffle`], different on every call.
pub(crate) fn fresh_seed() -> u64 {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let n = CALLS.fetch_add(1, Ordering::Relaxed);
    let nanos = u64::from(chrono::Utc::now().timestamp_subsec_nanos());
    SplitMix64(nanos ^ n.wrapping_mul(0xD6E8_FEB8_6659_FD93)).next()
}

/// A small, fast pseudo-random generator (SplitMix64); enough to shuffle rows for a fault, not for secrets.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn encode<W: Write + Send>(slice: &Slice, mut w: W) -> std::io::Result<()> {
    match slice.format {
        Format::Parquet => {
            let all = Slice {
                offset: 0,
                limit: None,
                shuffle: None,
                ..slice.clone()
            };
            let (schema, it) = batches(&all)?;
            let mut writer = datafusion::parquet::arrow::ArrowWriter::try_new(w, schema, None).map_err(io_err)?;
            for b in it {
                writer.write(&b?).map_err(io_err)?;
            }
            writer.close().map_err(io_err)?;
            Ok(())
        }
        Format::Arrow => {
            let (schema, it) = batches(slice)?;
            let mut writer = datafusion::arrow::ipc::writer::StreamWriter::try_new(w, &schema).map_err(io_err)?;
            for b in it {
                let b = b?;
                if b.num_rows() > 0 {
                    writer.write(&b).map_err(io_err)?;
                }
            }
            writer.finish().map_err(io_err)?;
            writer.into_inner().map_err(io_err)?.flush()
        }
        Format::Csv => {
            let (schema, it) = batches(slice)?;
            let mut writer = datafusion::arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(&mut w);
            let mut wrote = false;
            for b in it {
                let b = b?;
                writer.write(&b).map_err(io_err)?;
                wrote = true;
            }
            drop(writer);
            if !wrote {
                let names: Vec<String> = schema.fields().iter().map(|f| csv_field(f.name())).collect();
                writeln!(w, "{}", names.join(","))?;
            }
            w.flush()
        }
        Format::Markdown => {
            let (schema, it) = batches(slice)?;
            let names: Vec<String> = schema.fields().iter().map(|f| md_cell(f.name())).collect();
            writeln!(w, "| {} |", names.join(" | "))?;
            writeln!(w, "|{}|", vec!["---"; names.len()].join("|"))?;
            let opts = FormatOptions::default().with_null("NULL");
            for b in it {
                let b = b?;
                let fmts: Vec<ArrayFormatter<'_>> = b
                    .columns()
                    .iter()
                    .map(|c| ArrayFormatter::try_new(c.as_ref(), &opts))
                    .collect::<Result<_, _>>()
                    .map_err(io_err)?;
                for row in 0..b.num_rows() {
                    let cells: Vec<String> = fmts.iter().map(|f| md_cell(&f.value(row).to_string())).collect();
                    writeln!(w, "| {} |", cells.join(" | "))?;
                }
            }
            w.flush()
        }
        Format::Json => {
            let (_, it) = batches(slice)?;
            w.write_all(slice.json_prefix.as_bytes())?;
            let mut first = true;
            let mut line = Vec::with_capacity(256);
            for b in it {
                let b = b?;
                let cols: Vec<JsonColumn<'_>> = b.columns().iter().map(JsonColumn::new).collect::<Result<_, _>>()?;
                for row in 0..b.num_rows() {
                    line.clear();
                    if !first {
                        line.push(b',');
                    }
                    first = false;
                    line.push(b'[');
                    for (i, c) in cols.iter().enumerate() {
                        if i > 0 {
                            line.push(b',');
                        }
                        c.write(row, &mut line)?;
                    }
                    line.push(b']');
                    w.write_all(&line)?;
                }
            }
            w.write_all(b"]}")?;
            w.flush()
        }
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// One column, ready to write cells as JSON text.
struct JsonColumn<'a> {
    array: &'a ArrayRef,
    formatter: ArrayFormatter<'a>,
}

impl<'a> JsonColumn<'a> {
    fn new(array: &'a ArrayRef) -> std::io::Result<JsonColumn<'a>> {
        let formatter = ArrayFormatter::try_new(array.as_ref(), &FormatOptions::default()).map_err(io_err)?;
        Ok(JsonColumn { array, formatter })
    }

    /// Appends the cell at `row` as JSON: integers and decimals as exact number text, floats in shortest
    /// round-trip form (non-finite ones as `null`), booleans, strings, and everything else as its display string.
    fn write(&self, row: usize, out: &mut Vec<u8>) -> std::io::Result<()> {
        let a = self.array;
        if a.is_null(row) {
            out.extend_from_slice(b"null");
            return Ok(());
        }
        macro_rules! int {
            ($t:ty) => {{
                let v = a.as_primitive::<$t>().value(row);
                out.extend_from_slice(v.to_string().as_bytes());
            }};
        }
        macro_rules! float {
            ($t:ty) => {{
                let v = f64::from(a.as_primitive::<$t>().value(row));
                if v.is_finite() {
                    out.extend_from_slice(a.as_primitive::<$t>().value(row).to_string().as_bytes());
                } else {
                    out.extend_from_slice(b"null");
                }
            }};
        }
        match a.data_type() {
            DataType::Int8 => int!(Int8Type),
            DataType::Int16 => int!(Int16Type),
            DataType::Int32 => int!(Int32Type),
            DataType::Int64 => int!(Int64Type),
            DataType::UInt8 => int!(UInt8Type),
            DataType::UInt16 => int!(UInt16Type),
            DataType::UInt32 => int!(UInt32Type),
            DataType::UInt64 => int!(UInt64Type),
            DataType::Float16 => {
                let v = a.as_primitive::<Float16Type>().value(row).to_f64();
                if v.is_finite() {
                    out.extend_from_slice(v.to_string().as_bytes());
                } else {
                    out.extend_from_slice(b"null");
                }
            }
            DataType::Float32 => float!(Float32Type),
            DataType::Float64 => float!(Float64Type),
            DataType::Decimal32(..) | DataType::Decimal64(..) | DataType::Decimal128(..) | DataType::Decimal256(..) => {
                let text = self.formatter.value(row).to_string();
                if is_json_number(&text) {
                    out.extend_from_slice(text.as_bytes());
                } else {
                    serde_json::to_writer(&mut *out, &text).map_err(io_err)?;
                }
            }
            DataType::Boolean => {
                out.extend_from_slice(if a.as_boolean().value(row) { b"true" } else { b"false" });
            }
            DataType::Utf8 => serde_json::to_writer(&mut *out, a.as_string::<i32>().value(row)).map_err(io_err)?,
            DataType::LargeUtf8 => serde_json::to_writer(&mut *out, a.as_string::<i64>().value(row)).map_err(io_err)?,
            DataType::Utf8View => serde_json::to_writer(&mut *out, a.as_string_view().value(row)).map_err(io_err)?,
            _ => serde_json::to_writer(&mut *out, &self.formatter.value(row).to_string()).map_err(io_err)?,
        }
        Ok(())
    }
}

/// Whether `s` is a JSON number literal: optional `-`, an integer part
/// without leading zeros, optional fraction, optional exponent.
fn is_json_number(s: &str) -> bool {
    let digits = |b: &[u8]| b.iter().take_while(|c| c.is_ascii_digit()).count();
    let b = s.strip_prefix('-').unwrap_or(s).as_bytes();
    let int = digits(b);
    if int == 0 || (b[0] == b'0' && int > 1) {
        return false;
    }
    let mut rest = &b[int..];
    if let Some(r) = rest.strip_prefix(b".") {
        let frac = digits(r);
        if frac == 0 {
            return false;
        }
        rest = &r[frac..];
    }
    if let Some(r) = rest.strip_prefix(b"e").or_else(|| rest.strip_prefix(b"E")) {
        let r = r.strip_prefix(b"+").or_else(|| r.strip_prefix(b"-")).unwrap_or(r);
        let exp = digits(r);
        return exp > 0 && exp == r.len();
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::{ReadBudget, is_json_number};

    #[test]
    fn read_budget_sums_shares_and_gives_them_back() {
        let budget = ReadBudget::default();
        let a = budget.try_acquire(60, 100).expect("fits alone");
        assert!(budget.try_acquire(50, 100).is_none(), "60 + 50 is over 100");
        let b = budget.try_acquire(40, 100).expect("60 + 40 fits");
        assert!(budget.try_acquire(1, 100).is_none());
        drop(a);
        let c = budget.try_acquire(60, 100).expect("a's share is back");
        drop((b, c));
        assert!(budget.try_acquire(u64::MAX, 100).is_none(), "no overflow");
        budget.try_acquire(100, 100).expect("everything is back");
    }

    #[test]
    fn json_number_literals() {
        for ok in [
            "0",
            "-1",
            "99999999999999999999.99",
            "1e5",
            "-0.5E-3",
            "18446744073709551615",
        ] {
            assert!(is_json_number(ok), "{ok}");
        }
        for bad in ["", "-", "01", "1.", ".5", "1e", "NaN", "inf"] {
            assert!(!is_json_number(bad), "{bad}");
        }
    }
}
