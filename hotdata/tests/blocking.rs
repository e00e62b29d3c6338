//! The blocking client: any call of the async client run through its
//! adapters without an async runtime, and a clear refusal inside one.

#![cfg(feature = "blocking")]

mod support;

use std::time::Duration;

use hotdata::prelude::*;
use serde_json::json;
use support::{Canned, Stub};

fn run(status: &str) -> Canned {
    Canned::json(
        200,
        json!({"id": "qr_7", "status": status, "created_at": "2026-05-01T10:00:00Z", "snapshot_id": "s",
               "sql_hash": "h", "sql_text": "SELECT 1"}),
    )
}

#[test]
fn the_blocking_client_runs_operations_and_waits() {
    // The stub lives on its own runtime; this thread has none.
    let server = tokio::runtime::Runtime::new().expect("runtime");
    let stub = server.block_on(Stub::start());
    stub.reply([Canned::json(200, json!({"jobs": []})), run("running"), run("succeeded")]);
    let client = hotdata::blocking::Client::builder()
        .allow_unscoped(true)
        .api_key("test-key")
        .workspace_id("ws_test")
        .base_url(&stub.base_url)
        .build_blocking()
        .expect("client");
    let jobs = client.run(client.list_jobs().send()).expect("jobs");
    assert!(jobs.jobs.is_empty());
    let opts = hotdata::WaitOptions::default().initial_interval(Duration::from_millis(5));
    let done = client.run(client.query_run("qr_7").wait_with(opts)).expect("succeeded");
    assert_eq!(done.id, "qr_7");
    assert_eq!(stub.count(), 3);
    assert_eq!(
        client
            .with_retry(hotdata::RetryPolicy::none())
            .retry_policy()
            .get_max_attempts(),
        1
    );
}

#[test]
fn inside_an_async_runtime_it_refuses_with_a_clear_error() {
    let client = hotdata::blocking::Client::builder()
        .allow_unscoped(true)
        .api_key("test-key")
        .base_url("http://127.0.0.1:9")
        .build_blocking()
        .expect("client");
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    let err = rt
        .block_on(async { client.run(client.query_run("qr_1").get()) })
        .expect_err("refused");
    assert!(matches!(err, hotdata::Error::Config { .. }));
    assert!(err.to_string().contains("use the async hotdata::Client"), "{err}");
    // An iterator says so once, then ends.
    let items: Vec<_> = rt.block_on(async { client.iter(client.result("res_1").stream()).collect() });
    assert_eq!(items.len(), 1, "one refusal, then the end");
    let refusal = items.into_iter().next().expect("one item").expect_err("refused");
    assert!(matches!(refusal, hotdata::Error::Config { .. }), "{refusal}");
    // `block_on` can only panic there; the message says what to do.
    let panic = rt
        .block_on(async { std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| client.block_on(async { 1 }))) })
        .expect_err("panics");
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("use the async hotdata::Client"), "{message}");
    // Dropping it inside a runtime is fine.
    rt.block_on(async move { drop(client) });
}

#[test]
fn it_works_on_spawn_blocking_threads_where_blocking_is_allowed() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let stub = rt.block_on(Stub::start());
    stub.reply([run("running"), run("succeeded"), Canned::json(200, json!({"jobs": []}))]);
    let client = hotdata::blocking::Client::builder()
        .allow_unscoped(true)
        .api_key("test-key")
        .workspace_id("ws_test")
        .base_url(&stub.base_url)
        .build_blocking()
        .expect("client");
    let task = rt.spawn_blocking(move || {
        let opts = hotdata::WaitOptions::default().initial_interval(Duration::from_millis(5));
        let run = client.run(client.query_run("qr_7").wait_with(opts))?;
        let jobs = client.run(client.list_jobs().send())?;
        Ok::<_, hotdata::Error>((run, jobs.into_inner(), client))
    });
    let done = rt.block_on(task).expect("the blocking task ran");
    let (run, jobs, client) = done.expect("works on a spawn_blocking thread");
    assert_eq!(run.id, "qr_7");
    assert!(jobs.jobs.is_empty());
    assert_eq!(stub.count(), 3);
    // Dropping it on a runtime's thread is fine too.
    rt.block_on(async move { drop(client) });
}

fn result_page(rows: &[i64], next: Option<&str>) -> Canned {
    let rows: Vec<_> = rows.iter().map(|n| json!([n, "99999999999999999999.99"])).collect();
    let c = Canned::json(
        200,
        json!({"result_id": "res_1", "status": "ready", "columns": ["n", "amount"],
               "nullable": [false, false], "row_count": rows.len(), "rows": rows}),
    );
    match next {
        Some(link) => c.header("link", &format!("<{link}>; rel=\"next\"")),
        None => c,
    }
}

#[test]
fn the_blocking_client_queries_and_iterates_result_pages() {
    let server = tokio::runtime::Runtime::new().expect("runtime");
    let stub = server.block_on(Stub::start());
    stub.reply([
        Canned::json(
            200,
            json!({"columns": ["ok"], "nullable": [false], "rows": [[1]], "row_count": 1,
                   "execution_time_ms": 1, "query_run_id": "qr_1", "result_id": "res_1"}),
        ),
        result_page(&[0, 1], Some("/v1/results/res_1?offset=2&limit=2")),
        result_page(&[2], None),
    ]);
    let client = hotdata::blocking::Client::builder()
        .allow_unscoped(true)
        .api_key("test-key")
        .workspace_id("ws_test")
        .base_url(&stub.base_url)
        .database_id("db_1")
        .build_blocking()
        .expect("client");

    let rows = client.run(client.query("SELECT 1 AS ok").rows()).expect("rows");
    let ok: i64 = rows.row(0).expect("one row").get("ok").expect("ok");
    assert_eq!(ok, 1);

    #[derive(serde::Deserialize)]
    struct Line {
        n: i64,
        amount: String,
    }
    let lines: Vec<Line> = client
        .iter(client.result("res_1").pages(2))
        .map(|page| page.map(|p| p.rows().rows_as::<Line>().expect("lines")))
        .collect::<Result<Vec<_>, _>>()
        .expect("every page")
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(lines.iter().map(|l| l.n).collect::<Vec<_>>(), [0, 1, 2]);
    assert!(lines.iter().all(|l| l.amount == "99999999999999999999.99"));
    assert_eq!(stub.count(), 3);
    let received = stub.received();
    assert!(
        received.iter().all(|r| r.header("x-database-id") == Some("db_1")),
        "the default database goes with the query and every read of its result"
    );
}

#[test]
fn the_blocking_client_asks_the_bearer_provider_before_every_attempt() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let server = tokio::runtime::Runtime::new().expect("runtime");
    let stub = server.block_on(Stub::start());
    stub.reply([
        Canned::json(503, json!({"message": "busy", "status": 503})),
        Canned::reset(),
        Canned::json(200, json!({"jobs": []})),
    ]);
    let asked = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&asked);
    let client = hotdata::blocking::Client::builder()
        .bearer_provider(move || {
            let n = count.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                // The provider runs on the blocking client's runtime, timers included.
                tokio::time::sleep(Duration::from_millis(1)).await;
                Ok::<_, hotdata::BoxError>(format!("tok-{n}"))
            }
        })
        .workspace_id("ws_test")
        .base_url(&stub.base_url)
        .retry(support::fast_retries())
        .build_blocking()
        .expect("client");
    client.run(client.list_jobs().send()).expect("third attempt succeeds");
    assert_eq!(asked.load(Ordering::SeqCst), 3);
    let sent: Vec<String> = stub
        .received()
        .iter()
        .map(|r| r.header("authorization").unwrap_or_default().to_owned())
        .collect();
    assert_eq!(sent, ["Bearer tok-1", "Bearer tok-2", "Bearer tok-3"]);
}
