//! Arrow record batches turned into lossless [`Rows`](crate::Rows): each
//! value becomes the JSON text the API's JSON encoding gives it, so rows
//! read as Arrow and rows read as JSON look the same to the caller.
//!
//! Integers and decimals keep their exact digits, floats their shortest
//! round-trip text (a non-finite float, which JSON cannot hold, is `null`,
//! as in the API's JSON), booleans and strings are themselves, and every
//! other type (dates, timestamps, intervals, lists, ...) is the string
//! Arrow's display gives it.

use std::fmt::Write as _;

use arrow_array::cast::AsArray as _;
use arrow_array::types::{
    Float16Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use arrow_array::{Array, RecordBatch};
use arrow_cast::display::{ArrayFormatter, FormatOptions};
use arrow_schema::{DataType, Schema};

use crate::data::csv::is_json_number;
use crate::data::rows::{Column, RowsBuilder};
use crate::runtime::error::Error;

/// The columns of rows read from batches of `schema`.
pub(crate) fn columns(schema: &Schema) -> Vec<Column> {
    schema
        .fields()
        .iter()
        .map(|f| Column::new(f.name().clone(), Some(f.is_nullable())))
        .collect()
}

/// Appends every row of `batch` to `out`.
pub(crate) fn append(operation: &'static str, batch: &RecordBatch, out: &mut RowsBuilder) -> Result<(), Error> {
    if batch.num_columns() != out.columns().len() {
        return Err(Error::decode(
            operation,
            Some(200),
            None,
            "",
            format!(
                "a record batch has {} columns, the stream's schema {}",
                batch.num_columns(),
                out.columns().len()
            ),
            b"",
        ));
    }
    let options = FormatOptions::default();
    let writers = batch
        .columns()
        .iter()
        .map(|array| CellWriter::new(array.as_ref(), &options))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::decode(operation, Some(200), None, "", e.to_string(), b""))?;
    let rows = batch.num_rows();
    let guess = writers.iter().map(CellWriter::width_guess).sum::<usize>();
    out.reserve(rows, rows.saturating_mul(guess));
    for row in 0..rows {
        for w in &writers {
            w.write(row, out)?;
        }
        out.end_row()?;
    }
    Ok(())
}

/// Writes the cells of one column.
struct CellWriter<'a> {
    array: &'a dyn Array,
    /// For the types written as display text (and decimals).
    display: Option<ArrayFormatter<'a>>,
}

impl<'a> CellWriter<'a> {
    fn new(array: &'a dyn Array, options: &FormatOptions<'a>) -> Result<CellWriter<'a>, arrow_schema::ArrowError> {
        let display = if direct(array.data_type()) {
            None
        } else {
            Some(ArrayFormatter::try_new(array, options)?)
        };
        Ok(CellWriter { array, display })
    }

    /// About how many bytes a cell of this column takes, to size buffers.
    fn width_guess(&self) -> usize {
        match self.array.data_type() {
            DataType::Boolean => 5,
            DataType::Int8 | DataType::UInt8 | DataType::Int16 | DataType::UInt16 => 4,
            DataType::Int32 | DataType::UInt32 | DataType::Float16 | DataType::Float32 => 8,
            _ => 16,
        }
    }

    fn write(&self, row: usize, out: &mut RowsBuilder) -> Result<(), Error> {
        let a = self.array;
        if a.is_null(row) {
            return out.null();
        }
        macro_rules! int {
            ($t:ty) => {
                out.display(a.as_primitive::<$t>().value(row))
            };
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
            DataType::Float16 => float(out, a.as_primitive::<Float16Type>().value(row).to_f64()),
            DataType::Float32 => {
                let v = a.as_primitive::<Float32Type>().value(row);
                if v.is_finite() { out.display(v) } else { out.null() }
            }
            DataType::Float64 => float(out, a.as_primitive::<Float64Type>().value(row)),
            DataType::Boolean => out.raw(if a.as_boolean().value(row) { "true" } else { "false" }),
            DataType::Utf8 => out.string(a.as_string::<i32>().value(row)),
            DataType::LargeUtf8 => out.string(a.as_string::<i64>().value(row)),
            DataType::Utf8View => out.string(a.as_string_view().value(row)),
            other => {
                let Some(display) = &self.display else {
                    unreachable!("{other} is not written directly, so it has a formatter")
                };
                let mut text = String::new();
                let _ = write!(text, "{}", display.value(row));
                if is_decimal(other) && is_json_number(&text) {
                    out.raw(&text)
                } else {
                    out.string(&text)
                }
            }
        }
    }
}

fn float(out: &mut RowsBuilder, v: f64) -> Result<(), Error> {
    if v.is_finite() { out.display(v) } else { out.null() }
}

/// Types whose cells are written without Arrow's display formatter.
fn direct(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
            | DataType::Float16
            | DataType::Float32
            | DataType::Float64
            | DataType::Boolean
            | DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Utf8View
    )
}

fn is_decimal(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Decimal32(..) | DataType::Decimal64(..) | DataType::Decimal128(..) | DataType::Decimal256(..)
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{BooleanArray, Decimal128Array, Float64Array, Int64Array, StringArray, UInt64Array};
    use arrow_schema::Field;

    use super::*;
    use crate::data::rows::Rows;

    fn rows_of(batch: &RecordBatch) -> Rows {
        let mut b = RowsBuilder::new("t", columns(&batch.schema()));
        append("t", batch, &mut b).unwrap();
        b.finish(Default::default())
    }

    #[test]
    fn values_keep_their_exact_text() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("i", DataType::Int64, true),
            Field::new("u", DataType::UInt64, false),
            Field::new("d", DataType::Decimal128(22, 2), true),
            Field::new("f", DataType::Float64, true),
            Field::new("b", DataType::Boolean, true),
            Field::new("s", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(vec![Some(-9_223_372_036_854_775_808), None])),
                Arc::new(UInt64Array::from(vec![18_446_744_073_709_551_615, 0])),
                Arc::new(
                    Decimal128Array::from(vec![Some(9_999_999_999_999_999_999_999), None])
                        .with_precision_and_scale(22, 2)
                        .unwrap(),
                ),
                Arc::new(Float64Array::from(vec![Some(0.1), Some(f64::NAN)])),
                Arc::new(BooleanArray::from(vec![Some(true), None])),
                Arc::new(StringArray::from(vec![Some("a\"b\n"), Some("")])),
            ],
        )
        .unwrap();
        let rows = rows_of(&batch);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows.columns()[1].nullable(), Some(false));
        let first: Vec<&str> = rows.raw_row(0).collect();
        assert_eq!(
            first,
            [
                "-9223372036854775808",
                "18446744073709551615",
                "99999999999999999999.99",
                "0.1",
                "true",
                "\"a\\\"b\\n\""
            ]
        );
        let second: Vec<&str> = rows.raw_row(1).collect();
        assert_eq!(second, ["null", "0", "null", "null", "null", "\"\""]);
        assert_eq!(rows.row(0).unwrap().get::<u64>("u").unwrap(), u64::MAX);
    }
}
