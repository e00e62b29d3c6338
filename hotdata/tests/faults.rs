//! Fault tests against loopback stubs: resets, 429 and 503 storms, POSTs
//! that reached the server, truncated and malformed bodies, slow responses,
//! redirects. Each counts the attempts that reached the wire.

mod support;

use std::time::{Duration, Instant};

use hotdata::prelude::*;
use serde_json::json;
use support::{Canned, Stub};

fn jobs_page() -> Canned {
    Canned::json(200, json!({"jobs": []}))
}

fn query_ok() -> Canned {
    Canned::json(
        200,
        json!({"columns": ["ok"], "rows": [[1]], "row_count": 1, "execution_time_ms": 1,
               "query_run_id": "qr_1", "result_id": null, "nullable": [false]}),
    )
}

async fn post_query(client: &hotdata::Client) -> Result<(), hotdata::Error> {
    client
        .api()
        .query()
        .body_map(|b| b.sql("SELECT 1"))
        .send_outcome()
        .await
        .map(|_| ())
}

#[tokio::test]
async fn connection_reset_is_retried_for_a_get() {
    let stub = Stub::start().await;
    stub.reply([Canned::reset(), Canned::reset(), jobs_page()]);
    let jobs = stub.client().list_jobs().send().await.expect("third attempt succeeds");
    assert!(jobs.jobs.is_empty());
    assert_eq!(stub.count(), 3);
}

#[tokio::test]
async fn a_post_that_reached_the_server_is_not_retried() {
    let stub = Stub::start().await;
    stub.reply([Canned::reset(), query_ok()]);
    let err = post_query(&stub.client()).await.expect_err("reset");
    assert!(matches!(err, hotdata::Error::Transport { .. }), "{err:?}");
    assert_eq!(err.operation(), Some("query"));
    assert_eq!(
        stub.count(),
        1,
        "the POST reached the server once and was not sent again"
    );

    let stub = Stub::start().await;
    stub.reply([Canned::json(503, json!({"message": "busy", "status": 503}))]);
    let err = post_query(&stub.client()).await.expect_err("503");
    assert_eq!(err.status(), Some(503));
    assert_eq!(stub.count(), 1);
}

#[tokio::test]
async fn a_429_storm_honours_retry_after_for_every_method() {
    let stub = Stub::start().await;
    let limited = || Canned::json(429, json!({"message": "slow down", "status": 429})).header("retry-after", "0");
    stub.reply([limited(), limited(), limited(), jobs_page()]);
    stub.client().list_jobs().send().await.expect("fourth attempt succeeds");
    assert_eq!(stub.count(), 4);

    // 429 means "not processed", so a POST is retried too, after the
    // delay the server asked for (seconds, then an HTTP date in the past).
    let stub = Stub::start().await;
    stub.reply([
        Canned::json(429, json!({})).header("retry-after", "1"),
        Canned::json(429, json!({})).header("retry-after", "Tue, 14 Nov 2023 22:00:00 GMT"),
        query_ok(),
    ]);
    let started = Instant::now();
    post_query(&stub.client()).await.expect("retried POST succeeds");
    assert_eq!(stub.count(), 3);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_429_storm_ends_at_the_cap_with_the_servers_answer() {
    let stub = Stub::start().await;
    let limited = |wait: &str| {
        Canned::json(429, json!({"message": "slow down", "status": 429}))
            .header("retry-after", wait)
            .header("x-request-id", "req_429")
    };
    stub.reply((0..10).map(|_| limited("0")));
    let err = stub.client().list_jobs().send().await.expect_err("storm");
    assert_eq!(stub.count(), 4, "default policy: 4 attempts");
    assert_eq!(err.status(), Some(429));
    assert_eq!(err.request_id(), Some("req_429"));
    assert_eq!(err.retry_after(), Some(Duration::ZERO));
    assert!(err.is_retryable());

    // A Retry-After beyond the time budget ends the retries at once.
    let stub = Stub::start().await;
    stub.reply([limited("3600"), jobs_page()]);
    let started = Instant::now();
    let err = stub.client().list_jobs().send().await.expect_err("too long to wait");
    assert_eq!(err.status(), Some(429));
    assert_eq!(stub.count(), 1);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_503_storm_stops_at_the_attempt_cap_and_at_the_time_cap() {
    let stub = Stub::start().await;
    stub.reply((0..20).map(|_| Canned::json(503, json!({"message": "unavailable", "status": 503}))));
    let client = stub
        .builder()
        .retry(support::fast_retries().max_attempts(3))
        .build()
        .expect("client");
    let err = client.list_jobs().send().await.expect_err("storm");
    assert_eq!(err.status(), Some(503));
    assert_eq!(err.to_string(), "list_jobs: HTTP 503: unavailable");
    assert_eq!(stub.count(), 3);

    let stub = Stub::start().await;
    stub.reply((0..100).map(|_| Canned::empty(502)));
    let policy = hotdata::RetryPolicy::default()
        .max_attempts(100)
        .initial_backoff(Duration::from_millis(40))
        .max_backoff(Duration::from_millis(40))
        .max_elapsed(Duration::from_millis(300));
    let client = stub.builder().retry(policy).build().expect("client");
    let started = Instant::now();
    let err = client.list_jobs().send().await.expect_err("storm");
    assert_eq!(err.status(), Some(502));
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    let n = stub.count();
    assert!((2..=16).contains(&n), "{n} attempts within 300 ms");
}

#[tokio::test]
async fn retry_policy_can_be_changed_per_call() {
    let stub = Stub::start().await;
    stub.reply([Canned::empty(503), jobs_page()]);
    let client = stub.client();
    let err = client
        .with_retry(hotdata::RetryPolicy::none())
        .list_jobs()
        .send()
        .await
        .expect_err("no retry");
    assert_eq!(err.status(), Some(503));
    assert_eq!(stub.count(), 1);
    assert_eq!(
        client.retry_policy(),
        support::fast_retries(),
        "the original handle is unchanged"
    );
    client.list_jobs().send().await.expect("the original retries");
}

#[tokio::test]
async fn connection_refused_is_a_retryable_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let client = hotdata::Client::builder()
        .api_key("test-key")
        .base_url(url)
        .retry(support::fast_retries())
        .build()
        .expect("client");
    let err = post_query(&client).await.expect_err("refused");
    assert!(matches!(err, hotdata::Error::Transport { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert!(err.to_string().starts_with("query: transport error"), "{err}");
}

#[tokio::test]
async fn a_truncated_body_is_a_transport_error() {
    let stub = Stub::start().await;
    let body = serde_json::to_vec(&json!({"jobs": [{"id": "job_1", "status": "running"}]})).expect("json");
    stub.reply([Canned::raw(200, "application/json", body).truncated()]);
    let err = stub.client().list_jobs().send().await.expect_err("truncated");
    assert!(matches!(err, hotdata::Error::Transport { .. }), "{err:?}");
    assert_eq!(err.operation(), Some("list_jobs"));
}

#[tokio::test]
async fn a_malformed_body_is_a_decode_error_with_path_status_and_request_id() {
    let stub = Stub::start().await;
    stub.reply([
        Canned::json(200, json!({"jobs": [{"id": 5}]})).header("x-request-id", "req_bad"),
        Canned::raw(200, "application/json", "<html>oops</html>"),
    ]);
    let client = stub.client();
    let err = client.list_jobs().send().await.expect_err("malformed");
    let hotdata::Error::Decode(d) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(d.operation, "list_jobs");
    assert_eq!(d.status, Some(200));
    assert!(d.path.starts_with("jobs[0]"), "{}", d.path);
    assert_eq!(d.request_id.as_deref(), Some("req_bad"));
    assert!(d.body_excerpt.contains("\"id\":5"));
    assert_eq!(err.request_id(), Some("req_bad"));

    let err = client.list_jobs().send().await.expect_err("not json");
    assert!(
        matches!(&err, hotdata::Error::Decode(d) if d.body_excerpt == "<html>oops</html>"),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_undecodable_error_body_keeps_status_and_request_id() {
    let stub = Stub::start().await;
    stub.reply([Canned::raw(500, "text/html", "<html>upstream exploded</html>").header("x-trace-id", "tr_9")]);
    let err = stub.client().get_job().id("job_1").send().await.expect_err("500");
    let hotdata::Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.status, 500);
    assert_eq!(api.operation, "get_job");
    assert_eq!(api.message, "Internal Server Error");
    assert_eq!(api.request_id.as_deref(), Some("tr_9"));
    assert_eq!(api.body_excerpt, "<html>upstream exploded</html>");
    assert_eq!(stub.count(), 1, "500 is not retried");
}

#[tokio::test]
async fn a_missing_argument_is_refused_before_sending() {
    let stub = Stub::start().await;
    let err = stub.client().get_job().send().await.expect_err("no id");
    assert!(
        matches!(&err, hotdata::Error::InvalidArgument { operation, argument, .. } if operation == "get_job" && argument == "id"),
        "{err:?}"
    );
    assert_eq!(stub.count(), 0);
}

#[tokio::test]
async fn a_slow_response_is_a_timeout_and_not_retried() {
    let stub = Stub::start().await;
    stub.reply([jobs_page().delayed(Duration::from_secs(3)), jobs_page()]);
    let client = stub
        .builder()
        .timeout(Duration::from_millis(200))
        .build()
        .expect("client");
    let started = Instant::now();
    let err = client.list_jobs().send().await.expect_err("slow");
    assert!(matches!(err, hotdata::Error::Timeout { .. }), "{err:?}");
    assert_eq!(err.operation(), Some("list_jobs"));
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(stub.count(), 1);
}

#[tokio::test]
async fn a_redirect_to_another_origin_is_not_followed() {
    let target = Stub::start().await;
    let origin = Stub::start().await;
    origin.reply([Canned::empty(307).header("location", &format!("{}/v1/jobs", target.base_url))]);
    let err = origin.client().list_jobs().send().await.expect_err("not followed");
    assert_eq!(err.status(), Some(307));
    assert_eq!(target.count(), 0, "nothing reached the other origin");

    // Within the origin, redirects are followed with the key.
    origin.reply([Canned::empty(308).header("location", "/v1/jobs?moved=1"), jobs_page()]);
    origin.client().list_jobs().send().await.expect("followed");
    let last = origin.received().pop().expect("request");
    assert_eq!(last.target, "/v1/jobs?moved=1");
    assert_eq!(last.header("authorization"), Some("Bearer test-key"));
}

#[tokio::test]
async fn an_injected_client_is_used_as_given_and_never_leaks_the_key_on_redirect() {
    let target = Stub::start().await;
    let origin = Stub::start().await;
    origin.reply([Canned::empty(307).header("location", &format!("{}/v1/jobs", target.base_url))]);
    target.reply([jobs_page()]);
    hotdata::install_tls_provider();
    let http = reqwest::Client::builder().build().expect("reqwest");
    let client = hotdata::Client::builder()
        .api_key("test-key")
        .workspace_id("ws_test")
        .user_agent_suffix("my-app/2")
        .base_url(&origin.base_url)
        .http_client(http)
        .build()
        .expect("client");
    client
        .list_jobs()
        .send()
        .await
        .expect("the injected client follows redirects");
    let first = origin.only();
    assert_eq!(first.header("authorization"), Some("Bearer test-key"));
    assert_eq!(
        first.header("user-agent"),
        Some(format!("{} my-app/2", hotdata::USER_AGENT_VALUE).as_str())
    );
    let moved = target.only();
    assert_eq!(
        moved.header("authorization"),
        None,
        "reqwest drops the key across origins"
    );

    let err = hotdata::Client::builder()
        .api_key("k")
        .http_client(reqwest::Client::new())
        .connect_timeout(Duration::from_secs(1))
        .build()
        .expect_err("cannot reconfigure");
    assert!(err.to_string().contains("connect_timeout"), "{err}");
}

#[tokio::test]
async fn the_default_database_goes_only_where_the_spec_declares_it() {
    let stub = Stub::start().await;
    stub.reply([query_ok(), jobs_page(), query_ok()]);
    let client = stub.builder().database_id("db_default").build().expect("client");
    post_query(&client).await.expect("query");
    client.list_jobs().send().await.expect("jobs");
    client
        .api()
        .query()
        .x_database_id("db_explicit")
        .body_map(|b| b.sql("SELECT 1"))
        .send_outcome()
        .await
        .expect("query");
    let got = stub.received();
    assert_eq!(got[0].header("x-database-id"), Some("db_default"));
    assert_eq!(got[1].header("x-database-id"), None);
    assert_eq!(got[2].header("x-database-id"), Some("db_explicit"));
}

#[tokio::test]
async fn gzip_responses_are_decompressed() {
    // A gzip member holding `{"jobs":[]}`, written by hand (stored block).
    let plain = br#"{"jobs":[]}"#;
    let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 1];
    let len = u16::try_from(plain.len()).expect("short");
    gz.extend_from_slice(&len.to_le_bytes());
    gz.extend_from_slice(&(!len).to_le_bytes());
    gz.extend_from_slice(plain);
    gz.extend_from_slice(&crc32(plain).to_le_bytes());
    gz.extend_from_slice(&u32::try_from(plain.len()).expect("short").to_le_bytes());
    let stub = Stub::start().await;
    stub.reply([Canned::raw(200, "application/json", gz).header("content-encoding", "gzip")]);
    let jobs = stub.client().list_jobs().send().await.expect("decompressed");
    assert!(jobs.jobs.is_empty());
    assert!(
        stub.only()
            .header("accept-encoding")
            .is_some_and(|v| v.contains("gzip"))
    );
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[tokio::test]
async fn a_host_name_that_does_not_resolve_is_not_retried() {
    let attempts = support::Attempts::default();
    let _counting = attempts.install();
    let client = hotdata::Client::builder()
        .api_key("test-key")
        .base_url("http://nonexistent.invalid")
        .allow_insecure_http(true)
        .retry(support::fast_retries())
        .build()
        .expect("client");
    let err = client.list_jobs().send().await.expect_err("no such host");
    assert!(matches!(err, hotdata::Error::Transport { .. }), "{err:?}");
    assert!(!err.is_retryable(), "{err:?}");
    assert_eq!(attempts.count(), 1, "a DNS failure fails the same way again");
    let err = post_query(&client).await.expect_err("no such host");
    assert!(!err.is_retryable(), "{err:?}");
    assert_eq!(attempts.count(), 2);
}

#[tokio::test]
async fn a_failed_tls_handshake_is_not_retried() {
    // A server that answers the TLS hello with plain HTTP, then waits for
    // the client to hang up.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = std::sync::Arc::clone(&accepted);
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        while let Ok((mut socket, _)) = listener.accept().await {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(async move {
                let mut hello = [0u8; 4096];
                let _ = socket.read(&mut hello).await;
                let _ = socket
                    .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                    .await;
                let mut rest = Vec::new();
                let _ = socket.read_to_end(&mut rest).await;
            });
        }
    });
    let client = hotdata::Client::builder()
        .api_key("test-key")
        .base_url(format!("https://{addr}"))
        .retry(support::fast_retries())
        .build()
        .expect("client");
    let err = client.list_jobs().send().await.expect_err("not TLS");
    assert!(matches!(err, hotdata::Error::Transport { .. }), "{err:?}");
    assert!(!err.is_retryable(), "{err:?}");
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_refused_connection_is_retried_up_to_the_cap() {
    let attempts = support::Attempts::default();
    let _counting = attempts.install();
    let client = hotdata::Client::builder()
        .api_key("test-key")
        .base_url(format!("http://{}", support::refused_addr()))
        .retry(support::fast_retries().max_attempts(3))
        .build()
        .expect("client");
    let err = post_query(&client).await.expect_err("refused");
    assert!(err.is_retryable(), "{err:?}");
    assert_eq!(attempts.count(), 3, "nothing was sent, so even a POST is tried again");
}

#[tokio::test]
async fn a_request_that_cannot_be_built_is_its_own_kind_and_not_retried() {
    let stub = Stub::start().await;
    let client = stub.client();
    // A header value reqwest refuses.
    let err = client
        .query("SELECT 1")
        .database("db\nwith a newline")
        .await
        .expect_err("bad header");
    assert!(
        matches!(&err, hotdata::Error::RequestBuild { operation, .. } if operation == "query"),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    assert!(std::error::Error::source(&err).is_some());
    let err = client
        .api()
        .query()
        .x_database_id("db\nwith a newline")
        .body_map(|b| b.sql("SELECT 1"))
        .send_outcome()
        .await
        .expect_err("bad header");
    // The generated builders check header values themselves, before reqwest.
    assert!(matches!(err, hotdata::Error::InvalidArgument { .. }), "{err:?}");
    assert!(!err.is_retryable());
    assert_eq!(stub.count(), 0, "nothing was sent");
}

#[tokio::test]
async fn a_response_that_goes_quiet_ends_at_the_read_timeout() {
    let (base_url, accepted) = support::silent().await;
    let client = hotdata::Client::builder()
        .api_key("test-key")
        .base_url(base_url)
        .read_timeout(Duration::from_millis(300))
        .retry(hotdata::RetryPolicy::none())
        .build()
        .expect("client");
    let started = Instant::now();
    let err = client.list_jobs().send().await.expect_err("quiet");
    assert!(matches!(err, hotdata::Error::Timeout { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
}
