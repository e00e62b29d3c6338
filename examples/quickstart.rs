//! The quickstart tour: workspaces, a first query, a dataset from an upload, a query over it, a query in the
//! background and its stored result.
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//!
//! With `HOTDATA_API_KEY` (and `HOTDATA_WORKSPACE_ID`, or a profile in `~/.hotdata/config.yml`) it runs against
//! the Hotdata API; without, against an embedded local server started in this process.

mod common;

use hotdata::prelude::*;
use hotdata::types::DataFormat;

#[tokio::main(flavor = "current_thread")]
#[allow(deprecated)] // drives seed-era operations, still served by hotdata-local and older servers
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = common::connect()?;
    let client = &env.client;

    // 1. Which workspaces the key can see.
    let workspaces = client.list_workspaces().send().await?;
    println!("\n1. workspaces ({}):", workspaces.workspaces.len());
    for ws in &workspaces.workspaces {
        println!("  {} {}", ws.public_id, ws.name);
    }

    // 2. The first query: rows come back inline.
    let rows = client.query("SELECT 1 AS ok").await?;
    println!("\n2. SELECT 1 AS ok (run {}):", rows.query_run_id().unwrap_or("-"));
    common::print_rows(&rows);

    // 3. A dataset from an upload: CSV bytes sent through a presigned upload session, then published as a table.
    let csv = hotdata_local::fixtures::orders_csv();
    let options = hotdata::UploadOptions::new()
        .content_type("text/csv")
        .size(csv.len() as u64);
    let upload = client.upload(std::io::Cursor::new(csv), options).await?;
    let label = format!("quickstart orders {}", std::process::id());
    let dataset = client
        .create_dataset_from_upload(&label, &upload.upload_id, Some(DataFormat::Csv))
        .await?;
    println!(
        "\n3. uploaded {} ({} bytes) and created dataset {} as datasets.main.{}",
        upload.upload_id, upload.size_bytes, dataset.id, dataset.table_name
    );

    // 4. A query over it.
    let sql = format!(
        "SELECT region, count(*) AS orders, sum(amount) AS total \
         FROM datasets.main.{} GROUP BY region ORDER BY region",
        dataset.table_name
    );
    let rows = client.query(&sql).await?;
    println!("\n4. {sql}:");
    common::print_rows(&rows);

    // 5. The same query in the background: submit, wait for the run, read its stored result.
    let run = client.query(&sql).submit().await?;
    println!("\n5. submitted as run {}", run.id());
    let finished = run.wait().await?;
    println!(
        "  run {} {} in {} ms, {} row(s), result {}",
        finished.id,
        finished.status,
        finished.execution_time_ms.unwrap_or_default(),
        finished.row_count.unwrap_or_default(),
        finished.result_id.as_deref().unwrap_or("-")
    );
    if let Some(result_id) = finished.result_id.as_deref() {
        let stored = client.result(result_id).await?;
        println!("  result {result_id}:");
        common::print_rows(&stored);
    }

    // Tidy up what the tour created.
    client.delete_dataset().id(&dataset.id).send().await?;
    println!("\ndeleted dataset {}; done.", dataset.id);
    Ok(())
}
