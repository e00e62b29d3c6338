//! Uploads: a file streamed from disk with a progress callback, bytes from any `AsyncRead`, and the three
//! dataset formats (parquet, CSV, JSON) each published as a dataset and queried.
//!
//! ```sh
//! cargo run --example uploads
//! ```

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use hotdata::UploadOptions;
use hotdata::prelude::*;
use hotdata::types::DataFormat;

#[tokio::main(flavor = "current_thread")]
#[allow(deprecated)] // drives seed-era operations, still served by hotdata-local and older servers
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = common::connect()?;
    let client = &env.client;
    let suffix = std::process::id();

    // A file from disk: streamed in chunks, content type from the extension, progress as chunks go out.
    let (_dir, path) = common::orders_parquet_file()?;
    let calls = Arc::new(AtomicU64::new(0));
    let seen = Arc::clone(&calls);
    let options = UploadOptions::new().progress(move |sent, total| {
        seen.fetch_add(1, Ordering::Relaxed);
        let total = total.map_or("?".to_owned(), |t| t.to_string());
        println!("  progress: {sent} of {total} bytes");
    });
    let parquet = client.upload_file_with(&path, options).await?;
    println!(
        "uploaded {} as {} ({} bytes, {} progress call(s))",
        path.display(),
        parquet.upload_id,
        parquet.size_bytes,
        calls.load(Ordering::Relaxed)
    );

    // Bytes from any reader: say the content type (and the size, when known).
    let csv = hotdata_local::fixtures::orders_csv();
    let csv_upload = client
        .upload(
            std::io::Cursor::new(csv.clone()),
            UploadOptions::new().content_type("text/csv").size(csv.len() as u64),
        )
        .await?;
    let json = hotdata_local::fixtures::orders_json();
    let json_upload = client
        .upload(
            std::io::Cursor::new(json),
            UploadOptions::new().content_type("application/json"),
        )
        .await?;

    let pending = client.list_uploads().status("pending").send().await?;
    println!("{} upload(s) pending", pending.uploads.len());

    // Each upload becomes a dataset, queryable as datasets.main.<table_name>.
    let sources = [
        ("parquet", parquet.upload_id, Some(DataFormat::Parquet)),
        ("csv", csv_upload.upload_id, Some(DataFormat::Csv)),
        ("json", json_upload.upload_id, None),
    ];
    for (kind, upload_id, format) in sources {
        let label = format!("orders from {kind} {suffix}");
        let ds = client.create_dataset_from_upload(&label, &upload_id, format).await?;
        let rows = client
            .query(format!(
                "SELECT count(*) AS orders, count(DISTINCT customer) AS customers FROM datasets.main.{}",
                ds.table_name
            ))
            .await?;
        let row = rows.row(0).ok_or("one row")?;
        println!(
            "{kind:<7} -> datasets.main.{}: {} orders, {} customers",
            ds.table_name,
            row.get::<u64>("orders")?,
            row.get::<u64>("customers")?
        );
        client.delete_dataset().id(&ds.id).send().await?;
    }
    Ok(())
}
