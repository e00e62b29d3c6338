//! A stored result as Arrow record batches: streamed off the socket batch by batch, or collected whole.
//!
//! ```sh
//! cargo run --example arrow_stream
//! ```

mod common;

use arrow_array::Array as _;
use arrow_array::cast::AsArray as _;
use arrow_array::types::Int64Type;
use futures::TryStreamExt as _;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = common::connect()?;
    let client = &env.client;

    let rows = client
        .query("SELECT g AS n, g % 7 AS bucket, 'row ' || g AS label FROM generate_series(1, 50000) AS t(g) ORDER BY g")
        .await?;
    let result_id = rows.result_id().ok_or("the query names its stored result")?;
    println!("query returned {} row(s) inline; stored as {result_id}", rows.len());

    // Streaming: one batch in memory at a time.
    let mut batches = client.result(result_id).arrow_stream().await?;
    let (mut batch_count, mut row_count, mut sum) = (0usize, 0usize, 0i64);
    while let Some(batch) = batches.try_next().await? {
        if batch_count == 0 {
            let names: Vec<&str> = batch.schema_ref().fields().iter().map(|f| f.name().as_str()).collect();
            println!("schema: {}", names.join(", "));
        }
        batch_count += 1;
        row_count += batch.num_rows();
        let n = batch.column(0).as_primitive::<Int64Type>();
        sum += n.iter().flatten().sum::<i64>();
    }
    println!("streamed {row_count} row(s) in {batch_count} batch(es); sum of n = {sum}");

    // Buffered, for small slices: offset and limit work as for JSON.
    let slice = client.result(result_id).offset(10).limit(5).arrow_collect().await?;
    let first = slice.first().ok_or("at least one batch")?;
    let labels = first.column(2).as_string::<i32>();
    println!(
        "rows 10..15: {} row(s), labels {:?} .. {:?}",
        slice.iter().map(|b| b.num_rows()).sum::<usize>(),
        labels.value(0),
        labels.value(labels.len() - 1)
    );
    Ok(())
}
