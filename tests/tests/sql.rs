//! SQL through the query endpoint: sync, async, async_after_ms, runs and results.

mod support;

use serde_json::json;
use support::Local;

#[tokio::test]
async fn select_one() {
    let local = Local::start().await;
    let body = local.sql("SELECT 1 AS ok").await;
    assert_eq!(body["columns"], json!(["ok"]));
    assert_eq!(body["rows"], json!([[1]]));
    assert_eq!(body["row_count"], 1);
    assert!(body["query_run_id"].as_str().unwrap().starts_with("qrun"));
    assert_eq!(local.server.hits("query"), 1);
}
