//! Small data files for tests and examples: the same `orders` table as parquet, CSV and JSON bytes.
//!
//! ```
//! let parquet = hotdata_local::fixtures::orders_parquet();
//! assert_eq!(&parquet[..4], b"PAR1");
//! let csv = hotdata_local::fixtures::orders_csv();
//! assert!(csv.starts_with(b"id,customer,region,amount\n"));
//! ```

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Decimal128Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::parquet::arrow::ArrowWriter;

/// One row of the `orders` fixture: id, customer, region, amount in cents.
pub const ORDERS: [(i64, &str, &str, i128); 6] = [
    (1, "ada", "emea", 1_250),
    (2, "bob", "amer", 9_999),
    (3, "cy", "apac", 120_000),
    (4, "ada", "emea", 75),
    (5, "dee", "amer", 43_210),
    (6, "bob", "amer", 500),
];

/// Sum of the fixture's amounts, as the SQL `DECIMAL(12,2)` text it reads back as.
pub const ORDERS_TOTAL: &str = "1750.34";

/// The fixture's schema: `id BIGINT NOT NULL, customer VARCHAR, region VARCHAR, amount DECIMAL(12,2)`.
pub fn orders_schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("customer", DataType::Utf8, true),
        Field::new("region", DataType::Utf8, true),
        Field::new("amount", DataType::Decimal128(12, 2), true),
    ]))
}

/// The fixture as one Arrow record batch.
pub fn orders_batch() -> RecordBatch {
    let ids: Vec<i64> = ORDERS.iter().map(|o| o.0).collect();
    let customers: Vec<&str> = ORDERS.iter().map(|o| o.1).collect();
    let regions: Vec<&str> = ORDERS.iter().map(|o| o.2).collect();
    let amounts = Decimal128Array::from(ORDERS.iter().map(|o| o.3).collect::<Vec<_>>())
        .with_precision_and_scale(12, 2)
        .expect("valid decimal precision");
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(ids)),
        Arc::new(StringArray::from(customers)),
        Arc::new(StringArray::from(regions)),
        Arc::new(amounts),
    ];
    RecordBatch::try_new(orders_schema(), columns).expect("columns match the schema")
}

/// The fixture as a parquet file.
pub fn orders_parquet() -> Vec<u8> {
    let batch = orders_batch();
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, batch.schema(), None).expect("parquet writer");
    writer.write(&batch).expect("parquet write");
    writer.close().expect("parquet close");
    out
}

/// The fixture as CSV with a header line.
pub fn orders_csv() -> Vec<u8> {
    let mut s = String::from("id,customer,region,amount\n");
    for (id, customer, region, cents) in ORDERS {
        s.push_str(&format!("{id},{customer},{region},{}\n", cents_text(cents)));
    }
    s.into_bytes()
}

/// The fixture as a JSON array of objects (amounts as numbers).
pub fn orders_json() -> Vec<u8> {
    let rows: Vec<String> = ORDERS
        .iter()
        .map(|(id, customer, region, cents)| {
            format!(
                r#"{{"id": {id}, "customer": "{customer}", "region": "{region}", "amount": {}}}"#,
                cents_text(*cents)
            )
        })
        .collect();
    format!("[{}]", rows.join(", ")).into_bytes()
}

/// `1250` cents as `"12.50"`.
pub fn cents_text(cents: i128) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// Upload limits small enough that a few hundred bytes make a multipart upload: one `PUT` up to 64 bytes, then
/// parts of 100 bytes (at least 16), with part URLs valid for `url_ttl`.
///
/// ```
/// let uploads = hotdata_local::fixtures::small_upload_parts(std::time::Duration::from_secs(60));
/// assert_eq!(uploads.part_size, 100);
/// ```
pub fn small_upload_parts(url_ttl: std::time::Duration) -> crate::UploadSessions {
    crate::UploadSessions {
        single_put_max_bytes: 64,
        min_part_size: 16,
        part_size: 100,
        url_ttl,
        ..Default::default()
    }
}

/// A CSV with an `id,name` header and `rows` numbered rows (`1,item number 0001`, ...).
///
/// ```
/// assert_eq!(hotdata_local::fixtures::numbered_csv(1), b"id,name\n1,item number 0001\n");
/// ```
pub fn numbered_csv(rows: usize) -> Vec<u8> {
    let mut s = String::from("id,name\n");
    for i in 1..=rows {
        s.push_str(&format!("{i},item number {i:04}\n"));
    }
    s.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn total_matches_the_rows() {
        let cents: i128 = ORDERS.iter().map(|o| o.3).sum();
        assert_eq!(cents_text(cents), ORDERS_TOTAL);
        assert!(String::from_utf8(orders_json()).unwrap().contains(r#""amount": 0.75"#));
    }
}
