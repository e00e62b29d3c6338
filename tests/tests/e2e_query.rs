//! End to end, tags `query`, `query_runs` and `results`: the SDK's query modes, runs, lossless rows, paging and
//! Arrow against the local server over loopback HTTP.

mod sdk;

use std::time::Duration;

use futures::TryStreamExt as _;
use hotdata::QueryOutcome;
use hotdata::prelude::*;
use hotdata::types::{QueryRunStatus, ResultStatus};
use hotdata_local::Config;
use sdk::{Sdk, columns, expect, quick_wait, table};

const EXACT_SQL: &str = "SELECT CAST('99999999999999999999.99' AS DECIMAL(38,2)) AS amount, \
                         CAST(18446744073709551615 AS BIGINT UNSIGNED) AS big, \
                         CAST(-9223372036854775808 AS BIGINT) AS small, 'x' AS label";

#[derive(Debug, serde::Deserialize, PartialEq)]
struct Exact {
    amount: String,
    big: u64,
    small: i64,
    label: String,
}

#[tokio::test]
async fn sync_query_returns_rows_inline_with_run_and_result_ids() {
    let sdk = Sdk::start().await;
    let rows = sdk.client.query("SELECT 1 AS ok, 'two' AS word").await.unwrap();
    assert_eq!(columns(&rows), ["ok", "word"]);
    assert_eq!(table(&rows), expect(&[&["1", "two"]]));
    assert_eq!(rows.row(0).unwrap().get::<i64>("ok").unwrap(), 1);
    assert_eq!(rows.reported_row_count(), Some(1));
    let run_id = rows.query_run_id().expect("run id").to_owned();
    assert!(run_id.starts_with("qrun"), "{run_id}");
    assert!(rows.result_id().is_some());
    assert_eq!(sdk.server.hits("query"), 1);

    let run = sdk.client.query_run(&run_id).get().await.unwrap();
    assert_eq!(run.status, QueryRunStatus::Succeeded);
    assert_eq!(run.sql_text, "SELECT 1 AS ok, 'two' AS word");
    assert_eq!(run.row_count, Some(1));
    assert_eq!(run.result_id.as_deref(), rows.result_id());
    sdk.finish();
}

#[tokio::test]
async fn decimals_and_twenty_digit_integers_are_exact_inline_and_stored() {
    let sdk = Sdk::start().await;
    let rows = sdk.client.query(EXACT_SQL).await.unwrap();
    let row = rows.row(0).unwrap();
    assert_eq!(row.raw("amount"), Some("99999999999999999999.99"));
    assert_eq!(
        row.value("amount").unwrap().as_decimal_str(),
        Some("99999999999999999999.99")
    );
    assert_eq!(row.get::<u64>("big").unwrap(), u64::MAX);
    assert_eq!(row.value("big").unwrap().as_i128(), Some(18_446_744_073_709_551_615));
    assert_eq!(row.get::<i64>("small").unwrap(), i64::MIN);
    let typed: Vec<Exact> = rows.rows_as().unwrap();
    let want = Exact {
        amount: "99999999999999999999.99".into(),
        big: u64::MAX,
        small: i64::MIN,
        label: "x".into(),
    };
    assert_eq!(typed, [want]);

    // The stored copy reads back just as exactly.
    let stored = sdk.client.result(rows.result_id().unwrap()).await.unwrap();
    assert_eq!(stored.row(0).unwrap().raw("amount"), Some("99999999999999999999.99"));
    assert_eq!(stored.rows_as::<Exact>().unwrap()[0].big, u64::MAX);
    sdk.finish();
}

#[tokio::test]
async fn submit_wait_and_resume_by_id() {
    let sdk = Sdk::start().await;
    let handle = sdk.client.query("SELECT 42 AS answer").submit().await.unwrap();
    let id = handle.id().to_owned();
    drop(handle);
    let run = sdk.client.query_run(&id).wait_with(quick_wait()).await.unwrap();
    assert_eq!(run.id, id);
    assert_eq!(run.status, QueryRunStatus::Succeeded);
    assert_eq!(run.sql_hash.len(), 64);
    let rows = sdk.client.result(run.result_id.unwrap()).await.unwrap();
    assert_eq!(table(&rows), expect(&[&["42"]]));

    // A query that fails in the background ends the wait with a typed failure.
    let bad = sdk
        .client
        .query("SELECT CAST('x' AS INT) AS bad")
        .submit()
        .await
        .unwrap();
    match bad.wait_with(quick_wait()).await {
        Err(hotdata::Error::Failed(f)) => {
            assert_eq!(f.kind, "query run");
            assert_eq!(f.id, bad.id());
            assert_eq!(f.status, "failed");
            assert!(f.message.is_some());
        }
        other => panic!("expected a failed run, got {other:?}"),
    }
    let failed = bad.get().await.unwrap();
    let err = sdk
        .client
        .result(failed.result_id.unwrap())
        .await
        .expect_err("the result of a failed run is not readable");
    assert!(
        matches!(err, hotdata::Error::Failed(_)) || err.status() == Some(409),
        "{err:?}"
    );
    sdk.finish();
}

#[tokio::test]
async fn async_after_returns_rows_when_quick_and_refuses_short_waits() {
    let sdk = Sdk::start().await;
    match sdk
        .client
        .query("SELECT 7 AS n")
        .async_after(Duration::from_secs(5))
        .await
        .unwrap()
    {
        QueryOutcome::Rows(rows) => assert_eq!(table(&rows), expect(&[&["7"]])),
        QueryOutcome::Running(run) => panic!("a trivial query should finish in time, went to {}", run.id()),
    }
    let err = sdk
        .client
        .query("SELECT 1")
        .async_after(Duration::from_millis(999))
        .await
        .unwrap_err();
    assert!(matches!(err, hotdata::Error::InvalidArgument { .. }), "{err:?}");
    assert_eq!(sdk.server.hits("query"), 1, "the short wait never reached the wire");
    sdk.finish();
}

#[tokio::test]
async fn results_page_with_link_and_total_row_count() {
    let sdk = Sdk::start().await;
    let rows = sdk
        .client
        .query("SELECT g AS n FROM generate_series(1, 25) AS t(g) ORDER BY g")
        .await
        .unwrap();
    let id = rows.result_id().unwrap().to_owned();

    let page = sdk.client.result(&id).offset(10).limit(10).page().await.unwrap();
    assert_eq!(page.total_row_count(), Some(25));
    assert_eq!(page.rows().len(), 10);
    assert_eq!(page.rows().row(0).unwrap().get::<i64>("n").unwrap(), 11);
    let next = page.next_url().expect("a next link").to_string();
    assert!(next.contains("offset=20"), "{next}");

    let last = sdk.client.result(&id).offset(20).limit(10).page().await.unwrap();
    assert_eq!(last.rows().len(), 5);
    assert!(last.next_url().is_none());

    sdk.server.reset_hits();
    let sizes: Vec<usize> = sdk
        .client
        .result(&id)
        .pages(10)
        .map_ok(|p| p.rows().len())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(sizes, [10, 10, 5]);
    assert_eq!(
        sdk.server.hits("get_result"),
        3,
        "pages are fetched lazily, one request each"
    );

    let all: Vec<i64> = sdk
        .client
        .result(&id)
        .stream()
        .map_ok(|row| row.get::<i64>("n").unwrap())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all, (1..=25).collect::<Vec<_>>());

    #[derive(serde::Deserialize)]
    struct N {
        n: u32,
    }
    let typed: Vec<N> = sdk.client.result(&id).stream_as::<N>().try_collect().await.unwrap();
    assert_eq!(typed.iter().map(|r| r.n).sum::<u32>(), 325);
    sdk.finish();
}

#[tokio::test]
async fn pending_results_are_waited_for() {
    let sdk = Sdk::with(Config {
        result_ready_delay: Duration::from_millis(300),
        contract: hotdata_local::Contract::Seed2026_05,
        ..Config::default()
    })
    .await;
    let rows = sdk.client.query("SELECT 5 AS five").await.unwrap();
    let id = rows.result_id().unwrap().to_owned();
    let err = sdk
        .client
        .result(&id)
        .wait_timeout(Duration::ZERO)
        .await
        .expect_err("not ready yet");
    assert!(matches!(err, hotdata::Error::Timeout { .. }), "{err:?}");
    let stored = sdk.client.result(&id).await.unwrap();
    assert_eq!(table(&stored), expect(&[&["5"]]));
    assert!(sdk.server.hits("get_result") >= 3, "polled while processing");
    sdk.finish();
}

#[tokio::test]
async fn arrow_stream_and_collect() {
    use datafusion::arrow::array::AsArray as _;
    use datafusion::arrow::datatypes::{Decimal128Type, Int64Type};

    let sdk = Sdk::start().await;
    let rows = sdk
        .client
        .query(
            "SELECT g AS n, CAST(g AS DECIMAL(38,2)) * 1000000000000000000 AS big \
             FROM generate_series(1, 20000) AS t(g) ORDER BY g",
        )
        .await
        .unwrap();
    let id = rows.result_id().unwrap().to_owned();

    let mut stream = sdk.client.result(&id).arrow_stream().await.unwrap();
    let (mut batches, mut count, mut sum) = (0, 0usize, 0i64);
    while let Some(batch) = stream.try_next().await.unwrap() {
        batches += 1;
        count += batch.num_rows();
        sum += batch
            .column(0)
            .as_primitive::<Int64Type>()
            .iter()
            .flatten()
            .sum::<i64>();
    }
    assert_eq!(count, 20_000);
    assert_eq!(sum, 20_000 * 20_001 / 2);
    assert!(batches >= 1);

    let slice = sdk
        .client
        .result(&id)
        .offset(19_999)
        .limit(5)
        .arrow_collect()
        .await
        .unwrap();
    assert_eq!(slice.iter().map(|b| b.num_rows()).sum::<usize>(), 1);
    let big = slice[0].column(1).as_primitive::<Decimal128Type>();
    assert_eq!(big.value_as_string(0), "20000000000000000000000.00");
    assert_eq!(big.len(), 1);
    sdk.finish();
}

#[tokio::test]
async fn run_and_result_lists_stream_lazily() {
    let sdk = Sdk::start().await;
    for i in 0..5 {
        sdk.client.query(format!("SELECT {i} AS i")).await.unwrap();
    }
    sdk.client.query("SELECT nope FROM nowhere").await.unwrap_err();

    let runs: Vec<_> = sdk
        .client
        .list_query_runs()
        .limit(2)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(runs.len(), 6);
    assert_eq!(runs[0].sql_text, "SELECT nope FROM nowhere", "newest first");
    assert_eq!(runs[0].status, QueryRunStatus::Failed);
    assert_eq!(runs[5].sql_text, "SELECT 0 AS i");
    let failed = sdk.client.list_query_runs().status("failed").send().await.unwrap();
    assert_eq!(failed.query_runs.len(), 1);

    let pages: Vec<usize> = sdk
        .client
        .list_results()
        .limit(2)
        .pages()
        .map_ok(|p| p.results.len())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages, [2, 2, 2], "five stored results and the failed query's");
    let results: Vec<_> = sdk.client.list_results().stream().try_collect().await.unwrap();
    let ready = results.iter().filter(|r| r.status == ResultStatus::Ready).count();
    let failed: Vec<_> = results.iter().filter(|r| r.status == ResultStatus::Failed).collect();
    assert_eq!((ready, failed.len()), (5, 1), "{results:?}");
    assert!(
        failed[0]
            .error_message
            .as_deref()
            .unwrap_or_default()
            .contains("nowhere")
    );
    sdk.finish();
}

#[tokio::test]
async fn scoped_queries_with_default_schema_need_a_database() {
    let sdk = Sdk::start().await;
    let err = sdk
        .client
        .query("SELECT 1")
        .database("db_missing")
        .await
        .expect_err("no such database");
    assert_eq!(err.status(), Some(404));
    let err = sdk
        .client
        .query("SELECT 1")
        .default_schema("public")
        .await
        .expect_err("default_schema without a database");
    assert_eq!(err.status(), Some(400));
    sdk.finish();
}
