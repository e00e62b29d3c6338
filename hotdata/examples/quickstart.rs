//! The quickstart: run one query and print the rows.
//!
//! ```sh
//! HOTDATA_API_KEY=... HOTDATA_WORKSPACE_ID=... cargo run -p hotdata --example quickstart
//! ```
//!
//! `HOTDATA_API_URL` points it at another deployment.

use hotdata::outcomes::QueryOutcome;
use hotdata::prelude::*;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Ok(key) = std::env::var("HOTDATA_API_KEY") else {
        eprintln!(
            "HOTDATA_API_KEY is not set: export it (and HOTDATA_WORKSPACE_ID) to run the quickstart \
             against the Hotdata API."
        );
        std::process::exit(2);
    };
    let mut builder = hotdata::Client::builder().api_key(key);
    if let Ok(ws) = std::env::var("HOTDATA_WORKSPACE_ID") {
        builder = builder.workspace_id(ws);
    }
    if let Ok(url) = std::env::var("HOTDATA_API_URL") {
        builder = builder.base_url(url);
    }
    let client = builder.build()?;
    println!("querying {}", client.base_url());

    let answer = client
        .query()
        .body_map(|b| b.sql("SELECT 1 AS ok"))
        .send_outcome()
        .await?;
    match answer.into_inner() {
        QueryOutcome::Ok(result) => {
            println!("{}", result.columns.join("\t"));
            for row in &result.rows {
                let cells: Vec<String> = row.iter().map(|v| v.to_string()).collect();
                println!("{}", cells.join("\t"));
            }
            println!("({} row(s), run {})", result.row_count, result.query_run_id);
        }
        QueryOutcome::Accepted(run) => println!("still running as {} ({})", run.query_run_id, run.status),
    }
    Ok(())
}
