//! Capacity check: 100 concurrent queries served without error, then a 1,000,000-row result paged out through JSON
//! and streamed as Arrow. Prints times and the peak resident memory of this process (client and server together).
//!
//! Run with `cargo bench -p hotdata-local --bench capacity`.

mod common;

use std::time::{Duration, Instant};

use hotdata_local::{Config, Server, Validation};
use serde_json::{Value, json};

use common::proc_status_mib;

const CONCURRENT: usize = 100;
const BIG_ROWS: u64 = 1_000_000;
const PAGE: u64 = 100_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let server = Server::start_background(Config {
        validation: Validation::Record,
        // The mix runs unscoped seed-era queries.
        contract: hotdata_local::Contract::Seed2026_05,
        ..Config::default()
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run(&server))?;
    let violations = server.violations();
    println!("spec violations recorded: {}", violations.len());
    for v in violations.iter().take(5) {
        println!("  {v}");
    }
    println!(
        "peak RSS (VmHWM, client + server): {:.1} MiB",
        proc_status_mib("VmHWM:")
    );
    Ok(())
}

async fn run(server: &Server) -> Result<(), Box<dyn std::error::Error>> {
    let http = reqwest::Client::builder().pool_max_idle_per_host(CONCURRENT).build()?;
    let base = server.base_url().to_string();
    let key = server.api_key().to_string();
    let ws = server.workspace_id().to_string();
    let post = |path: &str, body: Value| {
        http.post(format!("{base}{path}"))
            .bearer_auth(&key)
            .header("X-Workspace-Id", &ws)
            .json(&body)
    };
    let get = |path: &str| {
        http.get(format!("{base}{path}"))
            .bearer_auth(&key)
            .header("X-Workspace-Id", &ws)
    };

    // 1. One hundred queries at once.
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..CONCURRENT {
        let req = post(
            "/v1/query",
            json!({"sql": format!("SELECT {i} AS k, count(*) AS n, sum(value) AS s FROM generate_series(1, 20000) AS t(value)")}),
        );
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let resp = req.send().await.map_err(|e| e.to_string())?;
            let status = resp.status().as_u16();
            let body: Value = resp.json().await.map_err(|e| e.to_string())?;
            if status != 200 || body["rows"][0][0] != json!(i) || body["rows"][0][1] != json!(20000) {
                return Err(format!("query {i}: status {status}, body {body}"));
            }
            Ok::<Duration, String>(t.elapsed())
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for t in tasks {
        match t.await? {
            Ok(d) => latencies.push(d),
            Err(e) => {
                errors += 1;
                eprintln!("{e}");
            }
        }
    }
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or_default()
    };
    println!(
        "{CONCURRENT} concurrent queries: {} ok, {errors} errors, wall {:.2?}, latency p50 {:.2?} p99 {:.2?}",
        latencies.len(),
        started.elapsed(),
        pct(0.5),
        pct(0.99)
    );
    if errors > 0 {
        return Err(format!("{errors} concurrent queries failed").into());
    }

    // 2. A 1,000,000-row result.
    let started = Instant::now();
    let sql = format!(
        "SELECT value AS id, value * 1000000007 AS big, CAST(value AS DECIMAL(20,2)) / 3 AS price, \
         concat('row-', CAST(value AS VARCHAR)) AS label FROM generate_series(1, {BIG_ROWS}) AS t(value)"
    );
    let accepted: Value = post("/v1/query", json!({"sql": sql, "async": true}))
        .send()
        .await?
        .json()
        .await?;
    let run_id = accepted["query_run_id"].as_str().ok_or("no run id")?.to_string();
    let result_id = loop {
        let run: Value = get(&format!("/v1/query-runs/{run_id}")).send().await?.json().await?;
        match run["status"].as_str() {
            Some("succeeded") => break run["result_id"].as_str().ok_or("no result id")?.to_string(),
            Some("failed") => return Err(format!("the big query failed: {run}").into()),
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    };
    println!("{BIG_ROWS}-row query executed and stored in {:.2?}", started.elapsed());

    let started = Instant::now();
    let mut rows = 0u64;
    let mut bytes = 0usize;
    let mut next = Some(format!("/v1/results/{result_id}?offset=0&limit={PAGE}"));
    let mut pages = 0;
    while let Some(path) = next.take() {
        let resp = get(&path).send().await?;
        let total = resp
            .headers()
            .get("x-total-row-count")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        if total != BIG_ROWS.to_string() {
            return Err(format!("X-Total-Row-Count was `{total}`").into());
        }
        next = resp
            .headers()
            .get("link")
            .and_then(|v| v.to_str().ok())
            .and_then(|l| {
                l.split_once('<')
                    .and_then(|(_, r)| r.split_once('>'))
                    .map(|(u, _)| u.to_string())
            })
            .map(|u| u.trim_start_matches(&base).to_string());
        let body = resp.bytes().await?;
        bytes += body.len();
        let page: Value = serde_json::from_slice(&body)?;
        rows += page["rows"].as_array().map_or(0, |r| r.len() as u64);
        pages += 1;
    }
    if rows != BIG_ROWS {
        return Err(format!("JSON paging returned {rows} rows").into());
    }
    println!(
        "JSON: {rows} rows in {pages} pages of {PAGE}, {:.1} MiB, {:.2?}",
        bytes as f64 / 1048576.0,
        started.elapsed()
    );

    let started = Instant::now();
    let resp = get(&format!("/v1/results/{result_id}?format=arrow")).send().await?;
    let body = resp.bytes().await?;
    let reader = datafusion::arrow::ipc::reader::StreamReader::try_new(std::io::Cursor::new(&body), None)?;
    let mut arrow_rows = 0usize;
    for batch in reader {
        arrow_rows += batch?.num_rows();
    }
    if arrow_rows as u64 != BIG_ROWS {
        return Err(format!("Arrow returned {arrow_rows} rows").into());
    }
    println!(
        "Arrow: {arrow_rows} rows in one stream, {:.1} MiB, {:.2?}",
        body.len() as f64 / 1048576.0,
        started.elapsed()
    );
    Ok(())
}
