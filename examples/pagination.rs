//! Paging: a stored result page by page (`Link` / `X-Total-Row-Count`) or row by row, and the generated lazy
//! streams over list operations (saved queries, query runs, datasets).
//!
//! ```sh
//! cargo run --example pagination
//! ```

mod common;

use futures::{StreamExt as _, TryStreamExt as _};
use hotdata::prelude::*;

#[derive(Debug, serde::Deserialize)]
struct Square {
    n: u64,
    square: u64,
}

#[tokio::main(flavor = "current_thread")]
#[allow(deprecated)] // drives seed-era operations, still served by hotdata-local and older servers
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = common::connect()?;
    let client = &env.client;

    let rows = client
        .query("SELECT g AS n, g * g AS square FROM generate_series(1, 2500) AS t(g) ORDER BY g")
        .await?;
    let result_id = rows.result_id().ok_or("the query names its stored result")?.to_owned();

    // Page by page: each page knows the whole result's row count and where the next page is.
    let mut pages = client.result(&result_id).pages(1000);
    while let Some(page) = pages.try_next().await? {
        println!(
            "page of {} row(s) of {:?}; next: {}",
            page.rows().len(),
            page.total_row_count(),
            page.next_url().map_or("-".to_owned(), |u| u.to_string())
        );
    }

    // Row by row, typed; one page in memory at a time.
    let big: Vec<Square> = client
        .result(&result_id)
        .stream_as::<Square>()
        .try_filter(|s| futures::future::ready(s.n % 1000 == 0))
        .try_collect()
        .await?;
    let pairs: Vec<(u64, u64)> = big.iter().map(|s| (s.n, s.square)).collect();
    println!("every 1000th row (n, square): {pairs:?}");

    // List operations: a few saved queries and datasets to page through.
    for i in 0..5 {
        client
            .create_saved_query()
            .body_map(move |b| {
                b.name(format!("pagination example {i}"))
                    .sql(format!("SELECT {i} AS i"))
            })
            .send()
            .await?;
    }
    let names: Vec<String> = client
        .list_saved_queries()
        .limit(2)
        .stream()
        .map_ok(|q| q.name)
        .try_collect()
        .await?;
    println!("saved queries, fetched 2 per request: {names:?}");

    for i in 0..4 {
        client.query(format!("SELECT {i} AS i")).await?;
    }
    let mut per_page = Vec::new();
    let mut pages = client.list_query_runs().limit(3).pages();
    while let Some(page) = pages.next().await {
        per_page.push(page?.query_runs.len());
    }
    println!("query runs per page (cursor paging): {per_page:?}");

    // Offset paging over datasets: three small ones made from inline CSV.
    let suffix = std::process::id();
    let mut made = Vec::new();
    for name in ["north", "south", "west"] {
        let source = hotdata::types::InlineDatasetSource {
            inline: hotdata::types::InlineData {
                columns: Default::default(),
                content: "region,sales\n{name},1\n".replace("{name}", name),
                format: hotdata::types::DataFormat::Csv,
            },
            type_: hotdata::types::InlineDatasetSourceType::Inline,
        };
        let ds = client
            .create_dataset()
            .body_map(|b| b.label(format!("pagination {name} {suffix}")).source(source))
            .send()
            .await?;
        made.push(ds.id.clone());
    }
    let datasets: Vec<String> = client
        .list_datasets()
        .limit(2)
        .stream()
        .map_ok(|d| d.table_name)
        .try_filter(|t| futures::future::ready(t.ends_with(&suffix.to_string())))
        .try_collect()
        .await?;
    println!("datasets, fetched 2 per request: {datasets:?}");
    for id in &made {
        client.delete_dataset().id(id).send().await?;
    }

    // Clean up the saved queries this example made.
    let mine: Vec<String> = client
        .list_saved_queries()
        .stream()
        .try_filter(|q| futures::future::ready(q.name.starts_with("pagination example ")))
        .map_ok(|q| q.id)
        .try_collect()
        .await?;
    for id in &mine {
        client.delete_saved_query().id(id).send().await?;
    }
    println!("deleted {} saved queries", mine.len());
    Ok(())
}
