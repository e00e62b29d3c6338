//! A presigned upload: a CSV file goes straight to storage through an upload session (one `PUT`, or parts in
//! parallel for a large file), is finalized, loaded into a table of a managed database, and queried.
//!
//! ```sh
//! cargo run --example presigned_upload
//! ```

mod common;

use hotdata::UploadOptions;
use hotdata::outcomes::LoadManagedTableOutcome;
use hotdata::prelude::*;
use hotdata::types::{DataFormat, LoadMode};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = common::connect()?;
    let client = &env.client;

    // A CSV file on disk, as a user's would be.
    let dir = common::tempfile_dir::Dir::new()?;
    let path = dir.path().join("orders.csv");
    std::fs::write(&path, hotdata_local::fixtures::orders_csv())?;

    // Upload it: a session is opened, the bytes are PUT to the presigned URL(s) without any Hotdata
    // credentials, and the session is finalized once with its one-time token.
    let options = UploadOptions::new()
        .concurrency(4)
        .progress(|done, total| println!("  stored {done} of {} bytes", total.unwrap_or_default()));
    let upload = client.upload_file_with(&path, options).await?;
    println!(
        "uploaded {} as {} ({} bytes, {})",
        path.display(),
        upload.upload_id,
        upload.size_bytes,
        upload.status
    );

    // Load it into a table of a new managed database, through the database's default connection.
    let database = client
        .create_database()
        .body_map(|b| {
            b.name(Some("presigned-example".to_owned()))
                .expires_at(Some("1h".to_owned()))
        })
        .send()
        .await?;
    let detail = client.get_database().database_id(&database.id).send().await?;
    let upload_id = upload.upload_id.clone();
    let loaded = client
        .api()
        .load_managed_table()
        .connection_id(&detail.default_connection_id)
        .schema("public")
        .table("orders")
        .body_map(|b| b.mode(LoadMode::Replace).upload_id(upload_id).format(DataFormat::Csv))
        .send_outcome()
        .await?
        .into_inner();
    match loaded {
        LoadManagedTableOutcome::Ok(l) => println!("loaded {} row(s) into {}", l.row_count, l.table_name),
        LoadManagedTableOutcome::Accepted(job) => {
            let job = client.job(job.id).wait().await?;
            println!("loaded in the background by job {}", job.id);
        }
    }

    // Query it, scoped to the database.
    let rows = client
        .query(
            "SELECT region, count(*) AS orders, sum(amount) AS total \
             FROM default.public.orders GROUP BY region ORDER BY region",
        )
        .database(&database.id)
        .await?;
    common::print_rows(&rows);

    client.delete_database().database_id(&database.id).send().await?;
    Ok(())
}
