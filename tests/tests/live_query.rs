//! End to end, the live contract's query and result core: a query names exactly one database, runs and results
//! are read in their database's scope, large answers are truncated previews whose stored result is followed in
//! full, Arrow answers to `POST /v1/query`, the JSON read budgets (413 and 429), and the unordered-pages fault.
//! The seed-era contract (`--contract 2026-05`) is checked beside it where the two differ.

mod sdk;

use std::time::Duration;

use datafusion::arrow::array::{AsArray as _, RecordBatch};
use datafusion::arrow::datatypes::Int64Type;
use datafusion::arrow::ipc::reader::StreamReader;
use hotdata::prelude::*;
use hotdata_local::{Config, Contract, Fault};
use sdk::{Sdk, builder};
use serde_json::{Value, json};

async fn live(config: Config) -> Sdk {
    Sdk::live(config).await
}

async fn database(sdk: &Sdk, name: &str) -> String {
    sdk.database(name).await
}

/// An SDK client whose calls carry `X-Database-Id: db` wherever the spec declares the header.
fn client_in(sdk: &Sdk, db: &str) -> hotdata::Client {
    builder(&sdk.server).database_id(db).build().expect("client builds")
}

/// A client that sends calls with no database as they are, so the server's own answer to them can be checked
/// (the SDK refuses them before sending unless told to allow them).
fn unscoped(sdk: &Sdk) -> hotdata::Client {
    builder(&sdk.server)
        .allow_unscoped(true)
        .build()
        .expect("client builds")
}

/// Raw HTTP, for wire details the SDK does not expose (Arrow answer headers, `Retry-After`).
fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

fn raw(sdk: &Sdk, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    http()
        .request(method, format!("{}{path}", sdk.server.base_url()))
        .bearer_auth(sdk.server.api_key())
        .header("X-Workspace-Id", sdk.server.workspace_id())
}

/// The first column of `rows` as integers.
fn ints(rows: &hotdata::Rows) -> Vec<i64> {
    rows.iter().map(|r| r.get::<i64>(0).expect("integer cell")).collect()
}

/// The first column of Arrow batches as integers.
fn arrow_ints(batches: &[RecordBatch]) -> Vec<i64> {
    batches
        .iter()
        .flat_map(|b| {
            let col = b.column(0).as_primitive::<Int64Type>();
            (0..col.len()).map(|i| col.value(i)).collect::<Vec<_>>()
        })
        .collect()
}

fn status_of(run: &hotdata::types::QueryRunInfo) -> String {
    serde_json::to_value(&run.status).unwrap().as_str().unwrap().to_owned()
}

#[tokio::test]
#[allow(deprecated)] // saved queries are a seed-era resource that the live service still runs
async fn a_live_query_names_exactly_one_database() {
    let sdk = live(Config::default()).await;
    let err = sdk.client.query("SELECT 1 AS one").await.expect_err("no database");
    assert!(
        matches!(err, hotdata::Error::InvalidArgument { .. }),
        "refused before sending: {err:?}"
    );
    let err = unscoped(&sdk).query("SELECT 1 AS one").await.expect_err("no database");
    assert_eq!(err.status(), Some(400), "{err:?}");
    let a = database(&sdk, "a").await;
    let b = database(&sdk, "b").await;

    let rows = sdk.client.query("SELECT 1 AS one").database(&a).await.unwrap();
    assert_eq!(ints(&rows), [1]);

    // The body field alone names the database as well as the header does.
    let by_field = sdk
        .client
        .api()
        .query()
        .body_map(|q| q.sql("SELECT 2 AS two").database_id(a.clone()))
        .send_outcome()
        .await
        .unwrap()
        .into_inner();
    let hotdata::outcomes::QueryOutcome::Ok(by_field) = by_field else {
        panic!("{by_field:?}")
    };
    assert_eq!(by_field.truncated, Some(false));

    // Both, naming different databases: 400; both naming the same one: fine.
    let err = sdk
        .client
        .api()
        .query()
        .x_database_id(&b)
        .body_map(|q| q.sql("SELECT 3").database_id(a.clone()))
        .send_outcome()
        .await
        .expect_err("two databases");
    assert_eq!(err.status(), Some(400), "{err:?}");
    assert_eq!(err.code(), Some("bad_request"));
    sdk.client
        .api()
        .query()
        .x_database_id(&a)
        .body_map(|q| q.sql("SELECT 4").database_id(a.clone()))
        .send_outcome()
        .await
        .unwrap();

    // An unknown database is a 404.
    let err = sdk.client.query("SELECT 5").database("db_nowhere").await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");

    // A saved query runs only with X-Database-Id.
    let saved = sdk
        .client
        .create_saved_query()
        .body_map(|s| s.name("six").sql("SELECT 6 AS six"))
        .send()
        .await
        .unwrap();
    let err = unscoped(&sdk).execute_saved_query(&saved.id).await.unwrap_err();
    assert_eq!(err.status(), Some(400), "{err:?}");
    let rows = client_in(&sdk, &a).execute_saved_query(&saved.id).await.unwrap();
    assert_eq!(ints(&rows), [6]);
    sdk.finish();
}

#[tokio::test]
async fn runs_and_results_are_read_in_their_database() {
    let sdk = live(Config::default()).await;
    let a = database(&sdk, "a").await;
    let b = database(&sdk, "b").await;
    let in_a = client_in(&sdk, &a);
    let in_b = client_in(&sdk, &b);
    let rows = in_a
        .query("SELECT g AS n FROM generate_series(1, 5) AS t(g) ORDER BY g")
        .await
        .unwrap();
    let result_id = rows.result_id().unwrap().to_owned();
    let run_id = rows.query_run_id().unwrap().to_owned();

    // Without the header: 400; with another database's: 404; with its own: the rows.
    let err = unscoped(&sdk).result(&result_id).await.unwrap_err();
    assert_eq!(err.status(), Some(400), "{err:?}");
    let err = in_b.result(&result_id).await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");
    assert_eq!(ints(&in_a.result(&result_id).await.unwrap()), [1, 2, 3, 4, 5]);

    let err = sdk.client.get_query_run().id(&run_id).send().await.unwrap_err();
    assert_eq!(err.status(), Some(400), "{err:?}");
    let err = in_b.get_query_run().id(&run_id).send().await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");
    let run = in_a.get_query_run().id(&run_id).send().await.unwrap();
    assert_eq!(status_of(&run), "succeeded");
    assert_eq!(run.result_id.as_deref(), Some(result_id.as_str()));

    // An unknown ID: the header is asked for first (400), then the lookup fails (404).
    let err = unscoped(&sdk).result("rslt_nowhere").await.unwrap_err();
    assert_eq!(err.status(), Some(400), "{err:?}");
    let err = in_a.result("rslt_nowhere").await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");

    // A background run is polled and read in its database.
    let run = in_a.query("SELECT 42 AS answer").submit().await.unwrap();
    let info = run.wait_with(sdk::quick_wait()).await.unwrap();
    let stored = in_a.result(info.result_id.as_deref().unwrap()).await.unwrap();
    assert_eq!(ints(&stored), [42]);
    let err = in_b.get_query_run().id(run.id()).send().await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");

    // Lists need the header and show only that database's records.
    let err = sdk.client.list_results().send().await.unwrap_err();
    assert_eq!(err.status(), Some(400), "{err:?}");
    let err = sdk.client.list_query_runs().send().await.unwrap_err();
    assert_eq!(err.status(), Some(400), "{err:?}");
    let listed = in_a.list_results().send().await.unwrap();
    assert_eq!(listed.results.len(), 2);
    assert!(listed.results.iter().any(|r| r.id == result_id));
    assert!(in_b.list_results().send().await.unwrap().results.is_empty());
    let runs = in_a.list_query_runs().send().await.unwrap();
    assert_eq!(runs.query_runs.len(), 2);
    assert!(runs.query_runs.iter().any(|r| r.id == run_id));
    assert!(in_b.list_query_runs().send().await.unwrap().query_runs.is_empty());
    sdk.finish();
}

#[tokio::test]
async fn the_seed_era_contract_queries_and_reads_without_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let seed = Config {
        contract: Contract::Seed2026_05,
        data_dir: Some(dir.path().to_path_buf()),
        ..Config::default()
    };
    let unscoped_result;
    {
        let sdk = Sdk::with(seed.clone()).await;
        let rows = sdk.client.query("SELECT 7 AS seven").await.unwrap();
        unscoped_result = rows.result_id().unwrap().to_owned();
        let run_id = rows.query_run_id().unwrap().to_owned();
        assert_eq!(ints(&sdk.client.result(&unscoped_result).await.unwrap()), [7]);
        sdk.client.get_query_run().id(&run_id).send().await.unwrap();
        let listed = sdk.client.list_results().send().await.unwrap();
        assert_eq!(listed.results.len(), 1);

        // A query made in a database is still read without the header in this era.
        let db = database(&sdk, "d").await;
        let rows = sdk.client.query("SELECT 8 AS eight").database(&db).await.unwrap();
        assert_eq!(ints(&sdk.client.result(rows.result_id().unwrap()).await.unwrap()), [8]);

        // The seed-era answer carries none of the live counts and never truncates.
        let answer = sdk
            .client
            .api()
            .query()
            .body_map(|q| q.sql("SELECT g FROM generate_series(1, 20000) AS t(g)"))
            .send_outcome()
            .await
            .unwrap()
            .into_inner();
        let hotdata::outcomes::QueryOutcome::Ok(answer) = answer else {
            panic!("{answer:?}")
        };
        assert_eq!(
            (answer.truncated, answer.preview_row_count, answer.total_row_count),
            (None, None, None)
        );
        assert_eq!(answer.rows.len(), 20_000);
        sdk.finish();
    }
    // The same data under the live contract: the unscoped result is still read without the header.
    let sdk = live(seed).await;
    assert_eq!(ints(&unscoped(&sdk).result(&unscoped_result).await.unwrap()), [7]);
    sdk.finish();
}

#[tokio::test]
#[allow(deprecated)] // checks that the deprecated `row_count` keeps equal to `preview_row_count`
async fn a_truncated_answer_is_followed_to_every_row() {
    let sdk = live(Config {
        preview_rows: 100,
        result_ready_delay: Duration::from_millis(500),
        ..Config::default()
    })
    .await;
    let a = database(&sdk, "a").await;
    let in_a = client_in(&sdk, &a);
    let sql = "SELECT g AS n, g * 3 AS triple, 'row ' || g AS label FROM generate_series(1, 1000) AS t(g) ORDER BY g";
    let answer = in_a
        .api()
        .query()
        .body_map(|q| q.sql(sql))
        .send_outcome()
        .await
        .unwrap()
        .into_inner();
    let hotdata::outcomes::QueryOutcome::Ok(answer) = answer else {
        panic!("{answer:?}")
    };
    assert_eq!(answer.truncated, Some(true));
    assert_eq!(answer.preview_row_count, Some(100));
    assert_eq!(answer.row_count, 100);
    assert_eq!(answer.total_row_count, None, "null while the result is being written");
    assert_eq!(answer.rows.len(), 100);
    let result_id = answer.result_id.clone().expect("a truncated answer has a result");

    // Being written: the stored result answers 202 (a read told not to wait times out) and the run is running.
    let err = in_a.result(&result_id).wait_timeout(Duration::ZERO).await.unwrap_err();
    assert!(matches!(err, hotdata::Error::Timeout { .. }), "{err:?}");
    let run = in_a.get_query_run().id(&answer.query_run_id).send().await.unwrap();
    assert_eq!(status_of(&run), "running");
    assert_eq!(run.row_count, Some(1000));

    // Then every row, equal row for row to what the SQL gives, the preview being its first 100.
    let full = in_a.result(&result_id).await.unwrap();
    assert_eq!(full.len(), 1000);
    for (i, row) in full.iter().enumerate() {
        let n = i as i64 + 1;
        assert_eq!(row.get::<i64>(0).unwrap(), n);
        assert_eq!(row.get::<i64>(1).unwrap(), n * 3);
        assert_eq!(row.get::<String>(2).unwrap(), format!("row {n}"));
    }
    for (i, preview) in answer.rows.iter().enumerate() {
        assert_eq!(
            serde_json::to_value(preview).unwrap(),
            json!([i + 1, 3 * (i + 1), format!("row {}", i + 1)])
        );
    }
    let run = in_a
        .query_run(&answer.query_run_id)
        .wait_with(sdk::quick_wait())
        .await
        .unwrap();
    assert_eq!(status_of(&run), "succeeded");

    // An answer within the limit is whole and says so.
    let small = in_a
        .api()
        .query()
        .body_map(|q| q.sql("SELECT g FROM generate_series(1, 100) AS t(g)"))
        .send_outcome()
        .await
        .unwrap()
        .into_inner();
    let hotdata::outcomes::QueryOutcome::Ok(small) = small else {
        panic!("{small:?}")
    };
    assert_eq!(small.truncated, Some(false));
    assert_eq!(
        (small.preview_row_count, small.total_row_count, small.row_count),
        (Some(100), Some(100), 100)
    );
    sdk.finish();
}

#[tokio::test]
async fn arrow_answers_stream_with_headers_or_answer_202() {
    let sdk = live(Config {
        preview_rows: 100,
        ..Config::default()
    })
    .await;
    let a = database(&sdk, "a").await;
    let ask = |sql: &str| {
        raw(&sdk, reqwest::Method::POST, "/v1/query")
            .header("Accept", "application/vnd.apache.arrow.stream")
            .header("X-Database-Id", &a)
            .json(&json!({ "sql": sql }))
            .send()
    };
    let resp = ask("SELECT g AS n FROM generate_series(1, 50) AS t(g) ORDER BY g")
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let h = resp.headers().clone();
    assert_eq!(h["content-type"], "application/vnd.apache.arrow.stream");
    assert_eq!(h["x-total-row-count"], "50");
    assert!(h["x-query-run-id"].to_str().unwrap().starts_with("qrun"));
    h["x-execution-time-ms"].to_str().unwrap().parse::<u64>().unwrap();
    assert!(h.get("x-query-warning").is_none());
    let result_id = h["x-result-id"].to_str().unwrap().to_owned();
    let bytes = resp.bytes().await.unwrap();
    let batches: Vec<RecordBatch> = StreamReader::try_new(std::io::Cursor::new(bytes), None)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(arrow_ints(&batches), (1..=50).collect::<Vec<i64>>());
    let in_a = client_in(&sdk, &a);
    assert_eq!(in_a.result(&result_id).await.unwrap().len(), 50);

    // Over the inline limit: 202 with the run, the result in X-Result-Id, read in full as Arrow.
    let resp = ask("SELECT g AS n FROM generate_series(1, 500) AS t(g) ORDER BY g")
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 202);
    assert!(resp.headers().get("location").is_some());
    let result_id = resp.headers()["x-result-id"].to_str().unwrap().to_owned();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "succeeded");
    assert!(body["query_run_id"].as_str().unwrap().starts_with("qrun"));
    let batches = in_a.result(&result_id).arrow_collect().await.unwrap();
    assert_eq!(arrow_ints(&batches), (1..=500).collect::<Vec<i64>>());
    sdk.finish();
}

#[tokio::test]
async fn json_reads_over_the_per_read_budget_get_413_and_other_formats_stream() {
    let sdk = live(Config {
        json_fetch_budget_bytes: 4096,
        ..Config::default()
    })
    .await;
    let a = database(&sdk, "a").await;
    let in_a = client_in(&sdk, &a);
    let rows = in_a
        .query("SELECT g AS n FROM generate_series(1, 10000) AS t(g) ORDER BY g")
        .await
        .unwrap();
    let id = rows.result_id().unwrap().to_owned();
    let err = in_a.get_result().id(&id).send().await.unwrap_err();
    assert_eq!(err.status(), Some(413), "{err:?}");
    assert_eq!(err.code(), Some("RESULT_TOO_LARGE"));
    // The SDK's read switches to a streamed format (`sdk_live_answers.rs` checks it row for row).
    assert_eq!(in_a.result(&id).await.unwrap().len(), 10_000);
    // A slice within the budget is served; Arrow and CSV have no limit.
    assert_eq!(
        ints(&in_a.result(&id).offset(20).limit(10).await.unwrap()),
        (21..=30).collect::<Vec<_>>()
    );
    let batches = in_a.result(&id).arrow_collect().await.unwrap();
    assert_eq!(arrow_ints(&batches).len(), 10_000);
    let csv = raw(&sdk, reqwest::Method::GET, &format!("/v1/results/{id}?format=csv"))
        .header("X-Database-Id", &a)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status().as_u16(), 200);
    assert_eq!(csv.text().await.unwrap().lines().count(), 10_001);
    sdk.finish();

    // A read larger than the whole in-flight total could never be admitted: 413 too, not an endless 429.
    let sdk = live(Config {
        json_total_budget_bytes: 4096,
        ..Config::default()
    })
    .await;
    let a = database(&sdk, "a").await;
    let in_a = client_in(&sdk, &a);
    let rows = in_a
        .query("SELECT g AS n FROM generate_series(1, 10000) AS t(g)")
        .await
        .unwrap();
    let err = in_a
        .get_result()
        .id(rows.result_id().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(413), "{err:?}");
    sdk.finish();
}

#[tokio::test]
async fn concurrent_json_reads_over_the_total_budget_get_429() {
    // One full read of this result is an estimated ~34 MB (300,000 rows of a number and 100 characters): it fits
    // in the 40 MiB total alone, not twice.
    let sdk = live(Config {
        json_total_budget_bytes: 40 * 1024 * 1024,
        ..Config::default()
    })
    .await;
    let a = database(&sdk, "a").await;
    let in_a = client_in(&sdk, &a);
    let rows = in_a
        .query("SELECT g AS n, repeat('x', 100) AS pad FROM generate_series(1, 300000) AS t(g)")
        .await
        .unwrap();
    let id = rows.result_id().unwrap().to_owned();
    let path = format!("/v1/results/{id}");

    // A slow reader: the body is far larger than the socket buffers and is not read, so the read stays in flight.
    let slow = raw(&sdk, reqwest::Method::GET, &path)
        .header("X-Database-Id", &a)
        .send()
        .await
        .unwrap();
    assert_eq!(slow.status().as_u16(), 200);

    let refused = raw(&sdk, reqwest::Method::GET, &path)
        .header("X-Database-Id", &a)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 429);
    assert_eq!(refused.headers()["retry-after"], "1");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "OVERLOADED");
    let no_retries = builder(&sdk.server)
        .database_id(&a)
        .retry(hotdata::RetryPolicy::none())
        .build()
        .unwrap();
    // A result read waits through retryable answers for as long as its wait allows; a 429 whose Retry-After
    // outlasts that ends it, with the 429 kept as the cause.
    let err = no_retries
        .result(&id)
        .wait_timeout(Duration::from_millis(500))
        .await
        .unwrap_err();
    assert!(matches!(err, hotdata::Error::Timeout { .. }), "{err:?}");
    let cause = std::error::Error::source(&err)
        .and_then(|s| s.downcast_ref::<hotdata::Error>())
        .unwrap_or_else(|| panic!("no cause: {err:?}"));
    assert_eq!(cause.status(), Some(429), "{cause:?}");
    assert_eq!(cause.retry_after(), Some(Duration::from_secs(1)));
    // The budget is a sum, not a count: a small read still fits beside the slow one, and Arrow is not counted.
    assert_eq!(in_a.result(&id).limit(10).await.unwrap().len(), 10);
    let arrow = raw(&sdk, reqwest::Method::GET, &format!("{path}?format=arrow&limit=5"))
        .header("X-Database-Id", &a)
        .send()
        .await
        .unwrap();
    assert_eq!(arrow.status().as_u16(), 200);

    // Once the slow reader goes away its share comes back.
    drop(slow);
    let mut admitted = false;
    for _ in 0..100 {
        match no_retries.result(&id).limit(250_000).await {
            Ok(rows) => {
                assert_eq!(rows.len(), 250_000);
                admitted = true;
                break;
            }
            Err(e) if e.status() == Some(429) => tokio::time::sleep(Duration::from_millis(50)).await,
            Err(e) => panic!("{e:?}"),
        }
    }
    assert!(admitted, "the slow reader's share was never given back");
    sdk.finish();
}

#[tokio::test]
async fn unordered_pages_differ_on_every_read_but_keep_every_row() {
    let sdk = live(Config::default()).await;
    let a = database(&sdk, "a").await;
    let in_a = client_in(&sdk, &a);
    let rows = in_a
        .query("SELECT g AS n FROM generate_series(1, 1000) AS t(g) ORDER BY g")
        .await
        .unwrap();
    let id = rows.result_id().unwrap().to_owned();
    let in_order: Vec<i64> = (1..=100).collect();
    assert_eq!(ints(&in_a.result(&id).limit(100).await.unwrap()), in_order);

    sdk.server.faults().push_for("/v1/results", Fault::UnorderedPages, 3);
    let first = ints(&in_a.result(&id).limit(100).await.unwrap());
    let second = ints(&in_a.result(&id).limit(100).await.unwrap());
    assert_eq!((first.len(), second.len()), (100, 100));
    assert_ne!(first, second, "the same page twice, in another order");
    assert_ne!(first, in_order);
    let mut all = arrow_ints(&in_a.result(&id).arrow_collect().await.unwrap());
    assert_eq!(all.len(), 1000);
    assert_ne!(all, (1..=1000).collect::<Vec<i64>>(), "a whole read is shuffled too");
    all.sort_unstable();
    assert_eq!(all, (1..=1000).collect::<Vec<i64>>(), "and still has every row once");

    // The control endpoint knows the fault by its JSON kind.
    let resp = http()
        .post(format!("{}/_local/faults", sdk.server.base_url()))
        .json(&json!({"fault": "unordered_pages", "times": 1, "path_prefix": "/v1/results"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_ne!(ints(&in_a.result(&id).limit(100).await.unwrap()), in_order);
    // Used up: pages are in stored order again.
    assert_eq!(ints(&in_a.result(&id).limit(100).await.unwrap()), in_order);
    sdk.finish();
}

#[tokio::test]
async fn a_live_result_page_names_the_whole_results_row_count() {
    let sdk = live(Config::default()).await;
    let a = database(&sdk, "a").await;
    let in_a = client_in(&sdk, &a);
    let rows = in_a
        .query("SELECT * FROM generate_series(1, 30) AS t(n)")
        .await
        .expect("query");
    let id = rows.result_id().expect("a stored result").to_owned();
    let page = in_a
        .api()
        .get_result()
        .id(&id)
        .offset(10u64)
        .limit(5u64)
        .x_database_id(&a)
        .send()
        .await
        .expect("page")
        .into_inner();
    assert_eq!(page.row_count, Some(5), "{page:?}");
    assert_eq!(page.total_row_count, Some(30), "the body names the whole result");
    sdk.finish();

    // The seed-era contract sent the total only as the X-Total-Row-Count header.
    let seed = Sdk::with(Config {
        contract: Contract::Seed2026_05,
        ..Config::default()
    })
    .await;
    let rows = seed.client.query("SELECT 1 AS n").await.expect("query");
    let id = rows.result_id().expect("a stored result").to_owned();
    let page = seed
        .client
        .api()
        .get_result()
        .id(&id)
        .send()
        .await
        .expect("page")
        .into_inner();
    assert_eq!(page.total_row_count, None);
    seed.finish();
}
