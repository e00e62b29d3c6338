//! The validator catches traffic that breaks the spec, names the operation and field, and fails the test.

mod support;

use std::panic::AssertUnwindSafe;

use hotdata_local::{Config, Direction, Validation};
use serde_json::json;
use support::Local;

/// A copy of the spec where `QueryResponse` requires a field the server never sends.
fn stricter_spec(dir: &std::path::Path) -> std::path::PathBuf {
    let original = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/openapi.yaml")).unwrap();
    let start = original
        .find("    QueryResponse:\n")
        .expect("QueryResponse in the spec");
    let required =
        start + original[start..].find("      required:\n").expect("its required list") + "      required:\n".len();
    let changed = format!(
        "{}      - made_up_field\n{}",
        &original[..required],
        &original[required..]
    );
    let path = dir.join("openapi.yaml");
    std::fs::write(&path, changed).unwrap();
    path
}

#[tokio::test]
async fn a_wrong_response_is_recorded_and_fails_on_drop() {
    let dir = tempfile::tempdir().unwrap();
    let spec = stricter_spec(dir.path());
    let local = Local::with(Config {
        spec_path: Some(spec),
        validation: Validation::Strict,
        contract: hotdata_local::Contract::Seed2026_05,
        ..Config::default()
    })
    .await;
    local.sql("SELECT 1 AS ok").await;
    let v = local.server.violations();
    assert!(!v.is_empty(), "the stricter spec must reject the real response");
    assert_eq!(v[0].operation_id, "query");
    assert_eq!(v[0].direction, Direction::Response);
    assert_eq!(v[0].status, Some(200));
    assert!(v[0].message.contains("made_up_field"), "{}", v[0].message);
    let Local { server, .. } = local;
    let dropped = std::panic::catch_unwind(AssertUnwindSafe(move || drop(server)));
    assert!(dropped.is_err(), "dropping a strict server with violations must panic");
}

#[tokio::test]
async fn a_wrong_request_gets_the_documented_400_and_is_recorded() {
    let local = Local::start().await;
    let (status, body) = local.post_json("/v1/query", json!({"sql": 5})).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["code"].is_string() && body["error"]["message"].is_string(),
        "{body}"
    );
    let v = local.server.take_violations();
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].operation_id, "query");
    assert_eq!(v[0].direction, Direction::Request);
    assert_eq!(v[0].pointer, "/sql");

    // Malformed JSON: a 400 in the same shape, never a panic.
    let resp = local
        .req(reqwest::Method::POST, "/v1/query")
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("not valid JSON"));
    assert!(!local.server.take_violations().is_empty());

    // A bad query parameter value is caught against the parameter schema.
    let (status, _) = local.get_json("/v1/datasets?limit=0").await;
    assert_eq!(status, 400);
    let v = local.server.take_violations();
    assert_eq!(v[0].pointer, "query:limit");
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let local = Local::start().await;
    for resp in [
        local.get("/v1/connections").await,
        local.get("/v1/datasets/ds_missing").await,
        local.http.get(local.url("/v1/connections")).send().await.unwrap(),
    ] {
        assert!(resp.headers().get("x-request-id").is_some());
    }
}
