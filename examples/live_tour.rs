//! The live service in one tour: a managed database, a CSV sent by presigned upload and loaded into a table, a
//! query whose answer is too large to send whole (a truncated preview, followed to every row), the same answer as
//! Arrow batches, a fork with its lineage, and a stored result downloaded as Parquet.
//!
//! ```sh
//! cargo run --example live_tour
//! ```
//!
//! Without `HOTDATA_API_KEY` it runs against an embedded local server that follows the live contract and cuts
//! answers over 1,000 rows down to a preview.

mod common;

use futures::TryStreamExt as _;
use hotdata::loads::LoadMode;
use hotdata::prelude::*;
use hotdata::types::{DataFormat, ResultFormat};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = common::connect_live(1_000)?;
    let client = &env.client;

    // 1. A managed database, removed by the service after an hour; every query below runs in it.
    let created = client
        .create_database()
        .body_map(|b| {
            b.name(Some(format!("live-tour-{}", std::process::id())))
                .expires_at(Some("1h".to_owned()))
        })
        .send()
        .await?;
    let db = client.database(&created.id);
    println!("1. database {}", db.id());

    // 2. A CSV of 5,000 readings, sent straight to storage by presigned upload, then loaded as a table.
    let mut csv = String::from("sensor,reading,at\n");
    for i in 0..5_000u32 {
        csv.push_str(&format!(
            "s{},{}.{:02},2026-11-{:02}\n",
            i % 7,
            i / 3,
            i % 100,
            1 + i % 28
        ));
    }
    let upload = client
        .upload(
            std::io::Cursor::new(csv.into_bytes()),
            hotdata::UploadOptions::new().content_type("text/csv"),
        )
        .await?;
    let loaded = db
        .load("public", "readings")
        .from_upload(&upload.upload_id)
        .format(DataFormat::Csv)
        .mode(LoadMode::Replace)
        .await?;
    println!(
        "2. uploaded {} bytes as {}; loaded {} rows",
        upload.size_bytes, upload.upload_id, loaded.row_count
    );

    // 3. Every row, although the service sends only a preview: the SDK reads the stored rest in one stream.
    let sql = "SELECT sensor, reading, at FROM public.readings ORDER BY at, sensor, reading";
    let preview = db.query(sql).preview().await?;
    println!(
        "3. the first answer: {} rows, truncated: {}, result {}",
        preview.len(),
        preview.is_truncated(),
        preview.result_id().unwrap_or("-")
    );
    let all = db.query(sql).await?;
    println!(
        "   followed in full: {} rows (total {:?})",
        all.len(),
        all.total_row_count()
    );
    let last = all.row(all.len() - 1).expect("rows");
    println!(
        "   last: {} {} {}",
        last.get::<String>("sensor")?,
        last.get::<String>("reading")?,
        last.get::<String>("at")?
    );

    // 4. The same query as Arrow record batches, decoded as they arrive.
    let mut answer = db.query(sql).arrow().await?;
    let total = answer.total_row_count();
    let (mut batches, mut rows) = (0, 0);
    while let Some(batch) = answer.try_next().await? {
        batches += 1;
        rows += batch.num_rows();
    }
    println!("4. as Arrow: {rows} rows in {batches} batch(es) (the service said {total:?})");

    // 5. A fork: its own copy to change, while the original stays as it was; the lineage links them.
    let fork = db
        .fork()
        .description("what-if: a reading from sensor s9")
        .send()
        .await?
        .database;
    fork.load("public", "readings")
        .from_csv("sensor,reading,at\ns9,1.00,2026-12-01\n")
        .mode(LoadMode::Append)
        .await?;
    let count = |rows: hotdata::Rows| rows.row(0).map(|r| r.get::<i64>(0)).transpose();
    let in_fork = count(fork.query("SELECT count(*) FROM public.readings").await?)?;
    let in_db = count(db.query("SELECT count(*) FROM public.readings").await?)?;
    println!("5. fork {}: {in_fork:?} rows; original: {in_db:?} rows", fork.id());
    let lineage = fork.lineage().await?;
    for ancestor in &lineage.ancestors {
        println!("   forked from {} at {:?}", ancestor.database_id, ancestor.forked_at);
    }

    // 6. The stored result of step 3, downloaded as Parquet as it streams in.
    let result_id = all.result_id().expect("stored");
    let mut parquet = Vec::new();
    let done = db
        .client()
        .result(result_id)
        .database(db.id())
        .download(ResultFormat::Parquet, &mut parquet)
        .await?;
    println!(
        "6. result {result_id} as Parquet: {} bytes, {:?} rows",
        done.bytes, done.total_row_count
    );

    fork.delete().await?;
    db.delete().await?;
    Ok(())
}
