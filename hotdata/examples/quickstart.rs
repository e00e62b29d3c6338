//! The quickstart: run one query and print the rows.
//!
//! ```sh
//! HOTDATA_API_KEY=... HOTDATA_WORKSPACE_ID=... cargo run -p hotdata --example quickstart
//! ```
//!
//! `HOTDATA_API_URL` points it at another deployment.

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

    let rows = client.query("SELECT 1 AS ok").await?;
    let names: Vec<&str> = rows.columns().iter().map(|c| c.name()).collect();
    println!("{}", names.join("\t"));
    for row in &rows {
        let cells: Vec<String> = row.values().map(|v| v.to_string()).collect();
        println!("{}", cells.join("\t"));
    }
    println!("({} row(s), run {})", rows.len(), rows.query_run_id().unwrap_or("-"));
    Ok(())
}
