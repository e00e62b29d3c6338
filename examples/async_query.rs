//! Queries in the background: submit and wait, resume a wait from a stored run id, and `async_after` (rows if
//! the query is quick, a run to wait for if not). Ends with the query run history.
//!
//! ```sh
//! cargo run --example async_query
//! ```

mod common;

use std::time::Duration;

use futures::TryStreamExt as _;
use hotdata::prelude::*;
use hotdata::{QueryOutcome, WaitOptions};

const SQL: &str = "SELECT g AS n, g * g AS square FROM generate_series(1, 5) AS t(g) ORDER BY g";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = common::connect()?;
    let client = &env.client;

    // Submit: returns at once with the run's id.
    let run = client.query(SQL).submit().await?;
    println!("submitted run {}", run.id());

    // The id is all a later process needs to pick the wait up again.
    let stored_id = run.id().to_owned();
    drop(run);
    let resumed = client.query_run(&stored_id);
    let info = resumed
        .wait_with(WaitOptions::default().deadline(Duration::from_secs(120)))
        .await?;
    println!(
        "run {} {}: {} row(s) in {} ms, sql hash {}",
        info.id,
        info.status,
        info.row_count.unwrap_or_default(),
        info.execution_time_ms.unwrap_or_default(),
        info.sql_hash
    );
    let result_id = info.result_id.ok_or("a succeeded run names its result")?;
    let rows = client.result(&result_id).await?;
    println!("result {result_id}:");
    common::print_rows(&rows);

    // async_after: wait up to three seconds for rows, else carry on in the background.
    match client.query(SQL).async_after(Duration::from_secs(3)).await? {
        QueryOutcome::Rows(rows) => println!("async_after: finished in time with {} row(s)", rows.len()),
        QueryOutcome::Running(run) => {
            println!("async_after: still running as {}; waiting", run.id());
            let info = run.wait().await?;
            println!("  finished: {}", info.status);
        }
    }

    // The run history, newest first, fetched lazily page by page.
    println!("recent runs:");
    let mut runs = client.list_query_runs().limit(2).stream();
    let mut shown = 0;
    while let Some(run) = runs.try_next().await? {
        println!("  {} {} {}", run.id, run.status, run.sql_text);
        shown += 1;
        if shown == 5 {
            break;
        }
    }
    Ok(())
}
