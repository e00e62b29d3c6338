//! Waiting for query runs and jobs: polling until a terminal status, typed
//! failures, unknown statuses, deadlines, resuming from a stored id.

mod support;

use std::time::Duration;

use serde_json::json;
use support::{Canned, Stub};

fn run(status: &str) -> Canned {
    Canned::json(
        200,
        json!({"id": "qr_7", "status": status, "created_at": "2026-05-01T10:00:00Z", "snapshot_id": "s",
               "sql_hash": "h", "sql_text": "SELECT 1", "result_id": if status == "succeeded" { json!("res_7") } else { json!(null) },
               "error_message": if status == "failed" { json!("division by zero") } else { json!(null) }}),
    )
}

fn job(status: &str) -> Canned {
    Canned::json(
        200,
        json!({"id": "job_3", "status": status, "job_type": "noop", "attempts": 1,
               "created_at": "2026-05-01T10:00:00Z",
               "error_message": if status == "succeeded" || status == "running" { json!(null) } else { json!("2 of 3 failed") }}),
    )
}

fn fast() -> hotdata::WaitOptions {
    hotdata::WaitOptions::default()
        .initial_interval(Duration::from_millis(5))
        .max_interval(Duration::from_millis(20))
        .deadline(Duration::from_secs(5))
}

#[tokio::test]
async fn a_run_is_polled_until_it_succeeds() {
    let stub = Stub::start().await;
    stub.reply([run("running"), run("running"), run("running"), run("succeeded")]);
    // Resumed from a stored id, through a fresh client.
    let handle = stub.client().query_run("qr_7");
    assert_eq!(handle.id(), "qr_7");
    let done = handle.wait_with(fast()).await.expect("succeeded");
    assert_eq!(done.result_id.as_deref(), Some("res_7"));
    let got = stub.received();
    assert_eq!(got.len(), 4);
    assert!(
        got.iter()
            .all(|r| r.method == "GET" && r.path() == "/v1/query-runs/qr_7")
    );
}

#[tokio::test]
async fn a_failed_run_is_a_typed_failure() {
    let stub = Stub::start().await;
    stub.reply([run("running"), run("failed")]);
    let err = stub
        .client()
        .query_run("qr_7")
        .wait_with(fast())
        .await
        .expect_err("failed");
    let hotdata::Error::Failed(f) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (f.kind, f.id.as_str(), f.status.as_str()),
        ("query run", "qr_7", "failed")
    );
    assert_eq!(f.message.as_deref(), Some("division by zero"));
    assert_eq!(
        err.to_string(),
        "query run qr_7 ended with status failed: division by zero"
    );
}

#[tokio::test]
async fn a_deadline_ends_the_wait_with_a_timeout_naming_the_run() {
    let stub = Stub::start().await;
    stub.reply((0..200).map(|_| run("running")));
    let opts = fast().deadline(Duration::from_millis(150));
    let err = stub
        .client()
        .query_run("qr_7")
        .wait_with(opts)
        .await
        .expect_err("deadline");
    let hotdata::Error::Timeout { operation, after, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(operation.contains("qr_7"), "{operation}");
    assert!(after.is_some_and(|a| a >= Duration::from_millis(150)));
}

#[tokio::test]
async fn a_wait_on_a_stalled_connection_ends_at_its_deadline() {
    // The server accepts and never answers; the client's own timeouts are
    // far longer than the wait.
    let (base_url, accepted) = support::silent().await;
    let client = hotdata::Client::builder()
        .allow_unscoped(true)
        .api_key("test-key")
        .base_url(base_url)
        .build()
        .expect("client");
    let opts = fast().deadline(Duration::from_secs(1));
    let started = std::time::Instant::now();
    let err = client.query_run("qr_7").wait_with(opts).await.expect_err("stalled");
    let waited = started.elapsed();
    assert!(
        matches!(&err, hotdata::Error::Timeout { operation, .. } if operation.contains("qr_7")),
        "{err:?}"
    );
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    let started = std::time::Instant::now();
    let err = client.job("job_3").wait_with(opts).await.expect_err("stalled");
    assert!(matches!(err, hotdata::Error::Timeout { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_wait_that_runs_out_of_time_keeps_the_last_error_as_its_source() {
    let stub = Stub::start().await;
    stub.reply([run("running")]);
    stub.reply((0..200).map(|_| Canned::json(503, json!({"message": "unavailable", "status": 503}))));
    let client = stub
        .builder()
        .retry(hotdata::RetryPolicy::none())
        .build()
        .expect("client");
    let err = client
        .query_run("qr_7")
        .wait_with(fast().deadline(Duration::from_millis(300)))
        .await
        .expect_err("deadline");
    assert!(matches!(err, hotdata::Error::Timeout { .. }), "{err:?}");
    let cause = std::error::Error::source(&err)
        .and_then(|s| s.downcast_ref::<hotdata::Error>())
        .unwrap_or_else(|| panic!("no source: {err:?}"));
    assert_eq!(cause.status(), Some(503));
    assert_eq!(cause.operation(), Some("get_query_run"));
    assert!(err.to_string().contains("last error: get_query_run: HTTP 503"), "{err}");

    // Connection failures are kept the same way.
    let addr = support::refused_addr();
    let client = hotdata::Client::builder()
        .allow_unscoped(true)
        .api_key("test-key")
        .base_url(format!("http://{addr}"))
        .retry(hotdata::RetryPolicy::none())
        .build()
        .expect("client");
    let err = client
        .job("job_3")
        .wait_with(fast().deadline(Duration::from_millis(200)))
        .await
        .expect_err("refused");
    let cause = std::error::Error::source(&err).and_then(|s| s.downcast_ref::<hotdata::Error>());
    assert!(matches!(cause, Some(hotdata::Error::Transport { .. })), "{err:?}");
}

#[tokio::test]
async fn an_unknown_status_ends_the_wait_with_the_raw_status() {
    let stub = Stub::start().await;
    stub.reply([run("running"), run("exploded")]);
    stub.reply((0..50).map(|_| run("running")));
    let client = stub.client();
    let err = client
        .query_run("qr_7")
        .wait_with(fast())
        .await
        .expect_err("unknown status");
    let hotdata::Error::UnknownStatus(f) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (f.kind, f.id.as_str(), f.status.as_str()),
        ("query run", "qr_7", "exploded")
    );
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("`exploded`"), "{err}");
    assert_eq!(stub.count(), 2, "not polled past the unknown status");

    let stub = Stub::start().await;
    stub.reply([job("exploded")]);
    let err = stub.client().job("job_3").wait_with(fast()).await.expect_err("unknown");
    assert!(
        matches!(&err, hotdata::Error::UnknownStatus(f) if f.kind == "job" && f.status == "exploded"),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_interrupted_run_is_a_failure_not_a_wait_until_the_deadline() {
    let stub = Stub::start().await;
    stub.reply([run("interrupted")]);
    let err = stub
        .client()
        .query_run("qr_7")
        .wait_with(fast())
        .await
        .expect_err("interrupted");
    assert!(
        matches!(&err, hotdata::Error::Failed(f) if f.status == "interrupted"),
        "{err:?}"
    );
    assert_eq!(stub.count(), 1);
}

#[tokio::test]
async fn a_retryable_poll_failure_does_not_end_the_wait_but_a_404_does() {
    let stub = Stub::start().await;
    stub.reply([run("running"), Canned::empty(503), run("succeeded")]);
    let client = stub
        .builder()
        .retry(hotdata::RetryPolicy::none())
        .build()
        .expect("client");
    client
        .query_run("qr_7")
        .wait_with(fast())
        .await
        .expect("survives a 503");

    stub.reply([Canned::json(
        404,
        json!({"error": {"code": "NOT_FOUND", "message": "no run"}}),
    )]);
    let err = client.query_run("qr_x").wait_with(fast()).await.expect_err("404");
    assert!(err.is_not_found());
}

#[tokio::test]
async fn a_job_wait_accepts_partial_success_and_types_failure() {
    let stub = Stub::start().await;
    stub.reply([job("pending"), job("running"), job("partially_succeeded")]);
    let client = stub.client();
    let done = client
        .job("job_3")
        .wait_with(fast())
        .await
        .expect("partial success is an end");
    assert_eq!(done.error_message.as_deref(), Some("2 of 3 failed"));
    assert_eq!(stub.received()[0].path(), "/v1/jobs/job_3");

    stub.reply([job("failed")]);
    let err = client.job("job_3").wait_with(fast()).await.expect_err("failed");
    assert!(
        matches!(&err, hotdata::Error::Failed(f) if f.kind == "job" && f.status == "failed"),
        "{err:?}"
    );

    stub.reply([job("succeeded")]);
    assert_eq!(client.job("job_3").get().await.expect("get").id, "job_3");
}
