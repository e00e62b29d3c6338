//! The flows of the Python SDK's documentation page, written in Rust against the local server: quickstart,
//! executing SQL (sync, async, async-after), managed databases and a parquet load, Arrow results, workspaces,
//! query run history and error handling.

mod sdk;

use std::time::Duration;

use futures::TryStreamExt as _;
use hotdata::prelude::*;
use hotdata::types::{self, LoadMode, QueryRunStatus};
use hotdata::{Error, QueryOutcome};
use hotdata_local::{Config, fixtures};
use sdk::{Sdk, columns, expect, quick_wait, table};

#[tokio::test]
async fn quickstart() {
    let sdk = Sdk::start().await;
    let rows = sdk.client.query("SELECT 1 AS ok").await.unwrap();
    assert_eq!(columns(&rows), ["ok"]);
    assert_eq!(rows.row(0).unwrap().get::<i64>("ok").unwrap(), 1);
    sdk.finish();
}

#[tokio::test]
async fn execute_sql_sync_async_and_async_after() {
    let sdk = Sdk::start().await;
    let orders = sdk.csv_dataset("orders", fixtures::orders_csv()).await;
    assert_eq!(orders.table_name, "orders");

    // Synchronous.
    let rows = sdk.client.query("SELECT * FROM orders LIMIT 10").await.unwrap();
    assert_eq!(rows.len(), 6);
    assert_eq!(columns(&rows), ["id", "customer", "region", "amount"]);

    // Asynchronous: a run id to poll.
    let run = sdk
        .client
        .query("SELECT customer, count(*) AS n FROM orders GROUP BY customer ORDER BY customer")
        .submit()
        .await
        .unwrap();
    let info = run.wait_with(quick_wait()).await.unwrap();
    assert_eq!(info.status, QueryRunStatus::Succeeded);
    let result = sdk.client.result(info.result_id.unwrap()).await.unwrap();
    assert_eq!(
        table(&result),
        expect(&[&["ada", "2"], &["bob", "2"], &["cy", "1"], &["dee", "1"]])
    );

    // Sync first, async after three seconds.
    match sdk
        .client
        .query("SELECT * FROM orders")
        .async_after(Duration::from_secs(3))
        .await
        .unwrap()
    {
        QueryOutcome::Rows(rows) => assert_eq!(rows.len(), 6),
        QueryOutcome::Running(run) => {
            let info = run.wait_with(quick_wait()).await.unwrap();
            assert_eq!(info.row_count, Some(6));
        }
    }
    sdk.finish();
}

#[tokio::test]
async fn managed_databases_and_a_parquet_load() {
    let sdk = Sdk::start().await;
    let schemas = vec![types::DatabaseDefaultSchemaDecl {
        name: "public".into(),
        tables: vec![
            types::DatabaseDefaultTableDecl::builder()
                .name("orders")
                .try_into()
                .unwrap(),
            types::DatabaseDefaultTableDecl::builder()
                .name("customers")
                .try_into()
                .unwrap(),
        ],
    }];
    let created = sdk
        .client
        .create_database()
        .body_map(|b| {
            b.name(Some("sales".into()))
                .expires_at(Some("24h".into()))
                .schemas(schemas)
        })
        .send()
        .await
        .unwrap();
    assert!(created.id.starts_with("db"), "{}", created.id);

    let listing = sdk.client.list_databases().send().await.unwrap();
    assert_eq!(
        listing.databases.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        [created.id.as_str()]
    );
    let detail = sdk.client.get_database().database_id(&created.id).send().await.unwrap();

    // Upload the file, then load it into the declared table through the database's default connection.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders.parquet");
    std::fs::write(&path, fixtures::orders_parquet()).unwrap();
    let upload = sdk.client.upload_file(&path).await.unwrap();
    let result = sdk
        .client
        .load_managed_table()
        .connection_id(&detail.default_connection_id)
        .schema("public")
        .table("orders")
        .body_map(|b| b.mode(LoadMode::Replace).upload_id(upload.upload_id.clone()))
        .send_outcome()
        .await
        .unwrap()
        .into_inner();
    let hotdata::outcomes::LoadManagedTableOutcome::Ok(result) = result else {
        panic!("a small load finishes at once: {result:?}")
    };
    assert_eq!((result.row_count, result.table_name.as_str()), (6, "orders"));

    // Scope a query to the database.
    let rows = sdk
        .client
        .query("SELECT * FROM default.public.orders ORDER BY id LIMIT 5")
        .database(&created.id)
        .await
        .unwrap();
    assert_eq!(rows.len(), 5);
    assert_eq!(rows.row(4).unwrap().get::<String>("customer").unwrap(), "dee");
    assert_eq!(rows.row(2).unwrap().raw("amount"), Some("1200.00"));

    sdk.client
        .delete_database()
        .database_id(&created.id)
        .send()
        .await
        .unwrap();
    assert!(sdk.client.list_databases().send().await.unwrap().databases.is_empty());
    sdk.finish();
}

#[tokio::test]
async fn arrow_results_buffered_streamed_and_not_ready() {
    let sdk = Sdk::with(Config {
        result_ready_delay: Duration::from_millis(300),
        contract: hotdata_local::Contract::Seed2026_05,
        ..Config::default()
    })
    .await;
    let rows = sdk
        .client
        .query("SELECT g AS n FROM generate_series(1, 1000) AS t(g)")
        .await
        .unwrap();
    let result_id = rows.result_id().unwrap().to_owned();

    // Still pending: a typed not-ready error when told not to wait.
    let err = sdk
        .client
        .result(&result_id)
        .wait_timeout(Duration::ZERO)
        .arrow_stream()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");

    // Buffered (waits until ready), with offset and limit.
    let table = sdk
        .client
        .result(&result_id)
        .offset(100)
        .limit(50)
        .arrow_collect()
        .await
        .unwrap();
    assert_eq!(table.iter().map(|b| b.num_rows()).sum::<usize>(), 50);

    // Streaming.
    let mut reader = sdk.client.result(&result_id).arrow_stream().await.unwrap();
    let mut total = 0;
    while let Some(batch) = reader.try_next().await.unwrap() {
        assert_eq!(batch.schema().field(0).name(), "n");
        total += batch.num_rows();
    }
    assert_eq!(total, 1000);
    sdk.finish();
}

#[tokio::test]
async fn workspaces_and_query_run_history() {
    let sdk = Sdk::start().await;
    let listing = sdk.client.list_workspaces().send().await.unwrap();
    assert_eq!(listing.workspaces[0].public_id, sdk.server.workspace_id());
    assert!(!listing.workspaces[0].name.is_empty());

    for i in 0..3 {
        sdk.client.query(format!("SELECT {i} AS i")).await.unwrap();
    }
    let listing = sdk.client.list_query_runs().limit(20).send().await.unwrap();
    assert_eq!(listing.query_runs.len(), 3);
    for run in &listing.query_runs {
        assert_eq!(run.status, QueryRunStatus::Succeeded);
        assert!(run.execution_time_ms.is_some());
    }
    let newest = &listing.query_runs[0];
    assert_eq!(newest.sql_text, "SELECT 2 AS i");
    let result = sdk.client.result(newest.result_id.clone().unwrap()).await.unwrap();
    assert_eq!(table(&result), expect(&[&["2"]]));
    sdk.finish();
}

#[tokio::test]
async fn error_handling() {
    let sdk = Sdk::start().await;
    match sdk.client.query("SELECT * FROM missing_table").await {
        Err(Error::Api(e)) => {
            assert_eq!(e.status, 400);
            assert!(e.message.contains("missing_table"), "{}", e.message);
            assert!(e.body_excerpt.contains("missing_table"), "{}", e.body_excerpt);
            assert!(e.request_id.is_some());
        }
        other => panic!("expected an API error, got {other:?}"),
    }
    sdk.finish();
}
