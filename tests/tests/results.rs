//! Results: status lifecycle, formats, slicing with Link and X-Total-Row-Count, exact numbers.

mod support;

use std::time::Duration;

use datafusion::arrow::ipc::reader::StreamReader;
use hotdata_local::Config;
use serde_json::json;
use support::Local;

#[tokio::test]
async fn big_integers_and_decimals_are_exact_in_json() {
    let local = Local::start().await;
    let sql = "SELECT CAST('99999999999999999999.99' AS DECIMAL(38,2)) AS d, CAST(18446744073709551615 AS BIGINT UNSIGNED) AS u, \
               CAST(-9223372036854775808 AS BIGINT) AS i, 0.1 AS f";
    let resp = local.post("/v1/query", json!({"sql": sql})).await;
    let text = resp.text().await.unwrap();
    assert!(
        text.contains("[99999999999999999999.99,18446744073709551615,-9223372036854775808,0.1]"),
        "{text}"
    );
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    let id = body["result_id"].as_str().unwrap();
    let text = local.get(&format!("/v1/results/{id}")).await.text().await.unwrap();
    assert!(text.contains("99999999999999999999.99,18446744073709551615"), "{text}");
}

#[tokio::test]
async fn slices_carry_link_and_total_count_in_every_format() {
    let local = Local::start().await;
    let body = local
        .sql("SELECT value AS n FROM generate_series(1, 25) AS t(value) ORDER BY n")
        .await;
    let id = body["result_id"].as_str().unwrap().to_string();

    let resp = local.get(&format!("/v1/results/{id}?offset=10&limit=10")).await;
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["x-total-row-count"], "25");
    let link = resp.headers()["link"].to_str().unwrap().to_string();
    assert!(link.contains("offset=20") && link.contains("rel=\"next\""), "{link}");
    let page: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(page["row_count"], 10);
    assert_eq!(page["rows"][0], json!([11]));
    assert_eq!(page["status"], "ready");

    let last = local.get(&format!("/v1/results/{id}?offset=20&limit=10")).await;
    assert!(last.headers().get("link").is_none());

    let csv = local.get(&format!("/v1/results/{id}?format=csv&limit=3")).await;
    assert_eq!(csv.headers()["content-type"], "text/csv");
    assert_eq!(csv.text().await.unwrap(), "n\n1\n2\n3\n");

    let md = local.get(&format!("/v1/results/{id}?format=md&limit=2")).await;
    assert_eq!(md.text().await.unwrap(), "| n |\n|---|\n| 1 |\n| 2 |\n");

    let arrow = local
        .req(reqwest::Method::GET, &format!("/v1/results/{id}?offset=5"))
        .header("Accept", "application/vnd.apache.arrow.stream")
        .send()
        .await
        .unwrap();
    assert_eq!(arrow.headers()["content-type"], "application/vnd.apache.arrow.stream");
    let bytes = arrow.bytes().await.unwrap();
    let reader = StreamReader::try_new(std::io::Cursor::new(bytes), None).unwrap();
    let rows: usize = reader.map(|b| b.unwrap().num_rows()).sum();
    assert_eq!(rows, 20);

    let parquet = local.get(&format!("/v1/results/{id}?format=parquet&limit=1")).await;
    let bytes = parquet.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1"));

    let (status, err) = local.get_json(&format!("/v1/results/{id}?format=xml")).await;
    assert_eq!(status, 400, "{err}");
    local.server.take_violations(); // the unknown format value is itself outside the spec
}

#[tokio::test]
async fn pending_results_answer_202_with_retry_after() {
    let local = Local::with(Config {
        result_ready_delay: Duration::from_millis(400),
        contract: hotdata_local::Contract::Seed2026_05,
        ..Config::default()
    })
    .await;
    let body = local.sql("SELECT 1 AS x").await;
    let id = body["result_id"].as_str().unwrap().to_string();
    let resp = local.get(&format!("/v1/results/{id}")).await;
    assert_eq!(resp.status().as_u16(), 202);
    assert!(resp.headers().get("retry-after").is_some());
    let pending: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(pending["status"], "processing");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (status, ready) = local.get_json(&format!("/v1/results/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(ready["rows"], json!([[1]]));
}

#[tokio::test]
async fn async_queries_run_in_the_background_and_failures_answer_409() {
    let local = Local::start().await;
    let resp = local
        .post("/v1/query", json!({"sql": "SELECT 42 AS answer", "async": true}))
        .await;
    assert_eq!(resp.status().as_u16(), 202);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let accepted: serde_json::Value = resp.json().await.unwrap();
    let run_id = accepted["query_run_id"].as_str().unwrap().to_string();
    assert!(location.ends_with(&format!("/v1/query-runs/{run_id}")));
    let mut run = serde_json::Value::Null;
    for _ in 0..100 {
        run = local.get_json(&format!("/v1/query-runs/{run_id}")).await.1;
        if run["status"] != "running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["row_count"], 1);
    assert_eq!(run["sql_text"], "SELECT 42 AS answer");
    assert_eq!(run["sql_hash"].as_str().unwrap().len(), 64);
    let rid = run["result_id"].as_str().unwrap();
    assert_eq!(
        local.get_json(&format!("/v1/results/{rid}")).await.1["rows"],
        json!([[42]])
    );

    // async_after_ms: a quick query still answers synchronously.
    let (status, quick) = local
        .post_json(
            "/v1/query",
            json!({"sql": "SELECT 1 AS a", "async": true, "async_after_ms": 5000}),
        )
        .await;
    assert_eq!(status, 200, "{quick}");

    // A failing background query: the run fails and its result answers 409 with the generic body.
    let (_, accepted) = local
        .post_json(
            "/v1/query",
            json!({"sql": "SELECT CAST('x' AS INT) AS bad", "async": true}),
        )
        .await;
    let run_id = accepted["query_run_id"].as_str().unwrap().to_string();
    for _ in 0..100 {
        run = local.get_json(&format!("/v1/query-runs/{run_id}")).await.1;
        if run["status"] != "running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(run["status"], "failed");
    assert!(run["error_message"].is_string());
    let (status, err) = local
        .get_json(&format!("/v1/results/{}", run["result_id"].as_str().unwrap()))
        .await;
    assert_eq!(status, 409);
    // The result's own state, as the live contract declares it.
    assert_eq!(err["status"], "failed");
    assert_eq!(err["result_id"], run["result_id"]);
    assert!(err["error_message"].is_string(), "{err}");

    // A bad query synchronously: the documented 400 body.
    let (status, err) = local
        .post_json("/v1/query", json!({"sql": "SELECT * FROM nowhere"}))
        .await;
    assert_eq!(status, 400);
    assert!(err["error"]["message"].as_str().unwrap().contains("nowhere"), "{err}");

    // Runs page by cursor, newest first.
    let (_, page) = local.get_json("/v1/query-runs?limit=2").await;
    assert_eq!(page["count"], 2);
    assert_eq!(page["has_more"], true);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, next) = local.get_json(&format!("/v1/query-runs?limit=2&cursor={cursor}")).await;
    assert_ne!(next["query_runs"][0]["id"], page["query_runs"][0]["id"]);
    let (_, failed) = local.get_json("/v1/query-runs?status=failed").await;
    assert!(
        failed["query_runs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "failed")
    );
}

#[tokio::test]
async fn large_answers_stream_without_losing_rows() {
    let local = Local::start().await;
    let body = local
        .sql("SELECT value AS n FROM generate_series(1, 30000) AS t(value)")
        .await;
    assert_eq!(body["row_count"], 30000);
    assert_eq!(body["rows"].as_array().unwrap().len(), 30000);
    let id = body["result_id"].as_str().unwrap();
    let (status, page) = local
        .get_json(&format!("/v1/results/{id}?offset=5000&limit=20000"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(page["row_count"], 20000);
    let rows = page["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 20000);
    assert_eq!(rows[0], json!([5001]));
    assert_eq!(rows[19999], json!([25000]));
}
