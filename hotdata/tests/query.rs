//! The query flow against a stub: scope, the retried `503 PERSISTENCE_UNAVAILABLE`, previews, and a truncated
//! answer followed through its stored result.

mod support;

use hotdata::{Error, StreamedFormat};
use serde_json::json;
use support::{Canned, Stub};

fn answer(rows: &[i64], truncated: bool) -> Canned {
    let body: Vec<_> = rows.iter().map(|n| json!([n])).collect();
    Canned::json(
        200,
        json!({"columns": ["n"], "nullable": [false], "rows": body, "row_count": rows.len(),
               "truncated": truncated, "preview_row_count": rows.len(),
               "total_row_count": if truncated { serde_json::Value::Null } else { json!(rows.len()) },
               "execution_time_ms": 1, "query_run_id": "qrun_1",
               "result_id": if truncated || !rows.is_empty() { json!("res_1") } else { serde_json::Value::Null }}),
    )
}

fn unavailable() -> Canned {
    Canned::json(
        503,
        json!({"error": {"code": "PERSISTENCE_UNAVAILABLE", "message": "the result could not be saved"}}),
    )
    .header("retry-after", "0")
}

#[tokio::test]
async fn a_scoped_call_without_a_database_sends_nothing() {
    let stub = Stub::start().await;
    let client = stub.builder().allow_unscoped(false).build().unwrap();
    let err = client.query("SELECT 1").await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidArgument { argument, .. } if argument == "database"),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    let err = client.result("res_1").await.unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    assert_eq!(stub.count(), 0);
}

#[tokio::test]
async fn the_query_and_what_follows_it_carry_its_database() {
    let stub = Stub::start().await;
    stub.reply([
        Canned::json(202, json!({"query_run_id": "qrun_1", "status": "running", "status_url": "/v1/query-runs/qrun_1"})),
        Canned::json(200, json!({"id": "qrun_1", "status": "succeeded", "result_id": "res_1", "sql_text": "SELECT 1", "snapshot_id": "snap_1",
                                 "sql_hash": "h", "created_at": "2026-01-01T00:00:00Z"})),
        answer(&[1], false),
    ]);
    let client = stub
        .builder()
        .database_id("db_default")
        .allow_unscoped(false)
        .build()
        .unwrap();
    let run = client.query("SELECT 1").database("db_call").submit().await.unwrap();
    assert_eq!(run.database_id(), Some("db_call"));
    let rows = run.rows().await.unwrap();
    assert_eq!(rows.database_id(), Some("db_call"));
    let got = stub.received();
    assert_eq!(got.len(), 3);
    for r in &got {
        assert_eq!(r.header("x-database-id"), Some("db_call"), "{} {}", r.method, r.target);
    }
}

#[tokio::test]
async fn a_persistence_failure_is_run_again_and_other_503s_on_a_query_are_not() {
    let stub = Stub::start().await;
    stub.reply([unavailable(), unavailable(), answer(&[1, 2], false)]);
    let rows = stub.client().query("SELECT n").await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(stub.count(), 3);

    let stub = Stub::start().await;
    stub.reply([
        Canned::json(503, json!({"error": {"code": "UNAVAILABLE", "message": "down"}})),
        answer(&[1], false),
    ]);
    let err = stub.client().query("SELECT n").await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(stub.count(), 1, "a query is not resent on any 503");

    let stub = Stub::start().await;
    stub.reply((0..10).map(|_| unavailable()));
    let err = stub
        .client()
        .with_retry(hotdata::RetryPolicy::none())
        .query("SELECT n")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("PERSISTENCE_UNAVAILABLE"));
    assert_eq!(stub.count(), 1, "the retry policy bounds it");
}

#[tokio::test]
async fn a_preview_is_returned_as_sent_and_a_truncated_answer_is_followed() {
    let stub = Stub::start().await;
    stub.reply([answer(&[1, 2], true)]);
    let preview = stub.client().query("SELECT n").preview().await.unwrap();
    assert!(preview.is_truncated());
    assert_eq!((preview.len(), preview.total_row_count()), (2, None));
    assert_eq!(stub.count(), 1);

    // Followed: the stored result in one CSV response (typed by the preview), after a 202.
    let stub = Stub::start().await;
    stub.reply([
        answer(&[1, 2], true),
        Canned::json(202, json!({"result_id": "res_1", "status": "processing"})).header("retry-after", "0"),
        Canned::raw(200, "text/csv", "n\n1\n2\n3\n4\n").header("x-total-row-count", "4"),
    ]);
    let client = stub.builder().streamed_format(StreamedFormat::Csv).build().unwrap();
    let rows = client.query("SELECT n").await.unwrap();
    assert!(!rows.is_truncated());
    assert_eq!(
        rows.iter().map(|r| r.get::<i64>(0).unwrap()).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    assert_eq!((rows.total_row_count(), rows.result_id()), (Some(4), Some("res_1")));
    assert!(matches!(
        rows.row(0).unwrap().value(0),
        Some(hotdata::Value::Number("1"))
    ));
    let got = stub.received();
    assert_eq!(got[1].target, "/v1/results/res_1?format=csv");
    assert_eq!(got[2].target, "/v1/results/res_1?format=csv");

    // The announced total over the guard: refused before the rows are read.
    let stub = Stub::start().await;
    let mut big = answer(&[1], true);
    big.body = serde_json::to_vec(&json!({"columns": ["n"], "rows": [[1]], "truncated": true,
        "total_row_count": 5_000_000, "result_id": "res_1", "query_run_id": "qrun_1"}))
    .unwrap();
    stub.reply([big]);
    let err = stub.client().query("SELECT n").await.unwrap_err();
    match err {
        Error::TooLarge(t) => {
            assert_eq!(
                (t.guard, t.limit, t.reached),
                (hotdata::Guard::Rows, 1_000_000, 5_000_000)
            );
            assert_eq!(t.total_row_count, Some(5_000_000));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(stub.count(), 1);

    // A truncated preview that names no stored result cannot be followed: a typed error, not a partial answer.
    let stub = Stub::start().await;
    let mut orphan = answer(&[1], true);
    orphan.body = serde_json::to_vec(&json!({"columns": ["n"], "rows": [[1]], "truncated": true})).unwrap();
    stub.reply([orphan]);
    let err = stub.client().query("SELECT n").await.unwrap_err();
    assert!(matches!(err, Error::Decode(_)), "{err:?}");
}
