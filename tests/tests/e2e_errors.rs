//! End to end: errors as the SDK reports them (404 after delete, 401, missing workspace, SQL errors), and
//! retries against the server's fault injection (429 with Retry-After, 503 storms, resets, truncated bodies,
//! slow responses); plus the blocking client.

mod sdk;

use std::time::{Duration, Instant};

use hotdata::prelude::*;
use hotdata::{Error, RetryPolicy};
use hotdata_local::Fault;
use sdk::{Sdk, builder, expect, table};

#[tokio::test]
#[allow(deprecated)] // drives seed-era operations, still served by hotdata-local and older servers
async fn not_found_after_delete_carries_code_message_and_request_id() {
    let sdk = Sdk::start().await;
    let saved = sdk
        .client
        .create_saved_query()
        .body_map(|b| b.name("doomed").sql("SELECT 1"))
        .send()
        .await
        .unwrap();
    sdk.client.get_saved_query().id(&saved.id).send().await.unwrap();
    sdk.client.delete_saved_query().id(&saved.id).send().await.unwrap();
    let err = sdk
        .client
        .get_saved_query()
        .id(&saved.id)
        .send()
        .await
        .expect_err("deleted");
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(err.code(), Some("not_found"));
    assert_eq!(err.operation(), Some("get_saved_query"));
    let Error::Api(api) = &err else { panic!("{err:?}") };
    assert!(api.message.contains(&saved.id), "{}", api.message);
    let request_id = err.request_id().expect("the server sends x-request-id");
    assert!(!request_id.is_empty());
    assert!(err.to_string().contains("get_saved_query"), "{err}");
    assert!(!err.is_retryable());
    assert_eq!(sdk.server.hits("get_saved_query"), 2, "a 404 is not retried");

    // Sandboxes document the generic error shape for 404: status and message still come through.
    let err = sdk
        .client
        .get_sandbox()
        .public_id("sbx_missing")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
    let Error::Api(api) = &err else { panic!("{err:?}") };
    assert!(!api.message.is_empty());
    sdk.finish();
}

#[tokio::test]
#[allow(deprecated)] // drives seed-era operations, still served by hotdata-local and older servers
async fn wrong_key_and_missing_or_unknown_workspace() {
    let sdk = Sdk::start().await;
    let wrong = builder(&sdk.server).api_key("not-the-key").build().unwrap();
    let err = wrong.list_datasets().send().await.expect_err("401");
    assert_eq!(err.status(), Some(401));
    assert!(!err.is_retryable());
    assert!(!format!("{err} {err:?}").contains("not-the-key"), "the key never shows");
    assert_eq!(sdk.server.hits("list_datasets"), 1);

    let no_workspace = hotdata::Client::builder()
        .base_url(sdk.server.base_url())
        .api_key(sdk.server.api_key())
        .build()
        .unwrap();
    let err = no_workspace.list_datasets().send().await.expect_err("403");
    assert_eq!(err.status(), Some(403));
    // Workspace operations need only the key.
    let ws = no_workspace.list_workspaces().send().await.unwrap();
    assert!(ws.workspaces.iter().any(|w| w.public_id == sdk.server.workspace_id()));

    let unknown = builder(&sdk.server).workspace_id("ws_nope").build().unwrap();
    let err = unknown.query("SELECT 1").await.expect_err("403");
    assert_eq!(err.status(), Some(403));
    sdk.finish();
}

#[tokio::test]
async fn sql_errors_are_api_errors_with_the_message() {
    let sdk = Sdk::start().await;
    let err = sdk
        .client
        .query("SELECT * FROM missing_table")
        .await
        .expect_err("no such table");
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.operation(), Some("query"));
    let Error::Api(api) = &err else { panic!("{err:?}") };
    assert!(api.message.contains("missing_table"), "{}", api.message);
    assert!(api.code.is_some());
    assert!(err.request_id().is_some());
    assert_eq!(sdk.server.hits("query"), 1, "a 400 is not retried");
    sdk.finish();
}

#[tokio::test]
#[allow(deprecated)] // drives seed-era operations, still served by hotdata-local and older servers
async fn too_many_requests_with_retry_after_then_success() {
    let sdk = Sdk::start().await;
    sdk.server
        .faults()
        .push_for("/v1/query", Fault::TooManyRequests { retry_after_secs: 1 }, 2);
    let started = Instant::now();
    // A POST is retried on 429: the server said it did not process it.
    let rows = sdk.client.query("SELECT 3 AS n").await.unwrap();
    assert_eq!(table(&rows), expect(&[&["3"]]));
    assert_eq!(sdk.server.hits("query"), 3, "two 429s, then the answer");
    assert!(
        started.elapsed() >= Duration::from_millis(1900),
        "Retry-After honoured: {:?}",
        started.elapsed()
    );

    // When the storm outlasts the attempts, the last 429 comes back with its Retry-After.
    sdk.server.reset_hits();
    sdk.server
        .faults()
        .push_for("/v1/secrets", Fault::TooManyRequests { retry_after_secs: 0 }, 10);
    let err = sdk
        .client
        .with_retry(sdk::fast_retries().max_attempts(3))
        .list_secrets()
        .send()
        .await
        .expect_err("still limited");
    assert_eq!(err.status(), Some(429));
    assert_eq!(err.retry_after(), Some(Duration::ZERO));
    assert_eq!(sdk.server.hits("list_secrets"), 3);
    sdk.server.faults().clear();
    sdk.finish();
}

#[tokio::test]
async fn a_503_storm_exhausts_the_retries_and_a_post_is_not_retried() {
    let sdk = Sdk::start().await;
    sdk.server.faults().push_for("/v1/connections", Fault::Status(503), 100);
    let err = sdk.client.list_connections().send().await.expect_err("storm");
    assert_eq!(err.status(), Some(503));
    assert!(err.is_retryable());
    assert_eq!(
        sdk.server.hits("list_connections"),
        4,
        "the default policy makes 4 attempts"
    );

    sdk.server.faults().clear();
    sdk.server.faults().push_for("/v1/query", Fault::Status(503), 1);
    let err = sdk.client.query("SELECT 1").await.expect_err("503 on a POST");
    assert_eq!(err.status(), Some(503));
    assert_eq!(
        sdk.server.hits("query"),
        1,
        "a POST that reached the server is not retried"
    );

    // Recovery once the storm is over; a per-call policy of none sends once.
    sdk.server.faults().push_for("/v1/connections", Fault::Status(503), 1);
    let err = sdk
        .client
        .with_retry(RetryPolicy::none())
        .list_connections()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    sdk.client.list_connections().send().await.unwrap();
    sdk.finish();
}

#[tokio::test]
#[allow(deprecated)] // drives seed-era operations, still served by hotdata-local and older servers
async fn resets_are_retried_for_gets() {
    let sdk = Sdk::start().await;
    sdk.server.faults().push_for("/v1/secrets", Fault::Reset, 2);
    let page = sdk.client.list_secrets().send().await.unwrap();
    assert!(page.secrets.is_empty());
    assert_eq!(sdk.server.hits("list_secrets"), 3);

    sdk.server.faults().push_for("/v1/secrets", Fault::Reset, 10);
    let err = sdk
        .client
        .with_retry(sdk::fast_retries().max_attempts(2))
        .list_secrets()
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.is_retryable());
    sdk.server.faults().clear();
    sdk.finish();
}

#[tokio::test]
#[allow(deprecated)] // drives seed-era operations, still served by hotdata-local and older servers
async fn truncated_and_malformed_bodies_are_typed_errors() {
    let sdk = Sdk::start().await;
    sdk.server
        .faults()
        .push_for("/v1/connection-types", Fault::TruncatedBody, 1);
    let err = sdk
        .client
        .with_retry(RetryPolicy::none())
        .list_connection_types()
        .send()
        .await
        .expect_err("cut short");
    assert!(matches!(err, Error::Transport { .. } | Error::Decode(_)), "{err:?}");
    assert_eq!(err.operation(), Some("list_connection_types"));

    sdk.server
        .faults()
        .push_for("/v1/connection-types", Fault::MalformedBody, 1);
    let err = sdk.client.list_connection_types().send().await.expect_err("not json");
    let Error::Decode(d) = &err else { panic!("{err:?}") };
    assert_eq!(d.status, Some(200));
    assert!(!d.body_excerpt.is_empty());

    // A truncated result body on the SDK's own row decoder.
    let rows = sdk.client.query("SELECT 1 AS a").await.unwrap();
    sdk.server.faults().push_for("/v1/results", Fault::TruncatedBody, 1);
    let err = sdk
        .client
        .with_retry(RetryPolicy::none())
        .result(rows.result_id().unwrap())
        .await
        .expect_err("cut short");
    assert!(matches!(err, Error::Transport { .. } | Error::Decode(_)), "{err:?}");
    sdk.finish();
}

#[tokio::test]
async fn slow_responses_time_out() {
    let sdk = Sdk::start().await;
    let impatient = builder(&sdk.server)
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    sdk.server
        .faults()
        .push_for("/v1/jobs", Fault::Delay(Duration::from_millis(1500)), 1);
    let started = Instant::now();
    let err = impatient.list_jobs().send().await.expect_err("slow");
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(err.operation(), Some("list_jobs"));
    assert!(started.elapsed() < Duration::from_millis(1400));
    assert_eq!(sdk.server.hits("list_jobs"), 1, "a timeout is not retried");
    // The next call, without the delay, goes through.
    impatient.list_jobs().send().await.unwrap();
    sdk.finish();
}

#[test]
#[allow(deprecated)] // drives seed-era operations, still served by hotdata-local and older servers
fn blocking_client_flow() {
    let server = hotdata_local::Server::start_background(sdk::seed_config()).unwrap();
    let client = builder(&server).build_blocking().unwrap();
    let rows = client
        .run(client.query("SELECT 10 AS ten, 'b' AS letter").rows())
        .unwrap();
    assert_eq!(table(&rows), expect(&[&["10", "b"]]));

    let run = client.run(client.query("SELECT 11 AS eleven").submit()).unwrap();
    let info = client.run(run.wait_with(sdk::quick_wait())).unwrap();
    let result_id = info.result_id.unwrap();
    let stored = client.run(client.result(&result_id).rows()).unwrap();
    assert_eq!(table(&stored), expect(&[&["11"]]));

    let many = client
        .run(
            client
                .query("SELECT g AS n FROM generate_series(1, 30) AS t(g) ORDER BY g")
                .rows(),
        )
        .unwrap();
    let total: i64 = client
        .iter(client.result(many.result_id().unwrap()).stream())
        .map(|r| r.unwrap().get::<i64>("n").unwrap())
        .sum();
    assert_eq!(total, 465);
    let pages: Vec<usize> = client
        .iter(client.result(many.result_id().unwrap()).pages(8))
        .map(|p| p.unwrap().rows().len())
        .collect();
    assert_eq!(pages, [8, 8, 8, 6]);
    let batches = client.run(client.result(&result_id).arrow_collect()).unwrap();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 1);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders.csv");
    std::fs::write(&path, hotdata_local::fixtures::orders_csv()).unwrap();
    let upload = client.run(client.upload_file(&path)).unwrap();
    let ds = client
        .run(client.create_dataset_from_upload("blocking orders", &upload.upload_id, None))
        .unwrap();
    let rows = client
        .run(
            client
                .query(format!("SELECT count(*) AS n FROM datasets.main.{}", ds.table_name))
                .rows(),
        )
        .unwrap();
    assert_eq!(table(&rows), expect(&[&["6"]]));

    let saved = client
        .run(
            client
                .create_saved_query()
                .body_map(|b| b.name("blocking").sql("SELECT 7 AS seven"))
                .send(),
        )
        .unwrap()
        .into_inner();
    let rows = client
        .run(client.execute_saved_query(&saved.id).version(1).rows())
        .unwrap();
    assert_eq!(table(&rows), expect(&[&["7"]]));

    // The generated operations through the blocking client's runtime.
    let err = client
        .run(client.get_dataset().id("ds_missing").send())
        .expect_err("missing");
    assert!(err.is_not_found());
    server.assert_conformant();
}
