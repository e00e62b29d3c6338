//! Authentication like the real API, and the fault injection controls.

mod support;

use std::time::{Duration, Instant};

use hotdata_local::Fault;
use serde_json::json;
use support::Local;

#[tokio::test]
async fn missing_or_wrong_credentials() {
    let local = Local::start().await;
    let no_auth = local.http.get(local.url("/v1/connections")).send().await.unwrap();
    assert_eq!(no_auth.status().as_u16(), 401);
    let body: serde_json::Value = no_auth.json().await.unwrap();
    assert_eq!(body["status"], 401);
    assert!(body["message"].is_string());

    let wrong = local
        .http
        .get(local.url("/v1/connections"))
        .bearer_auth("nope")
        .header("X-Workspace-Id", "ws_local")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);

    let no_ws = local
        .http
        .get(local.url("/v1/connections"))
        .bearer_auth(local.server.api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(no_ws.status().as_u16(), 403);
    let unknown_ws = local
        .http
        .get(local.url("/v1/connections"))
        .bearer_auth(local.server.api_key())
        .header("X-Workspace-Id", "ws_nope")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_ws.status().as_u16(), 403);
    let body: serde_json::Value = unknown_ws.json().await.unwrap();
    assert_eq!(body["status"], 403);

    // Workspace operations need only the bearer token.
    let list = local
        .http
        .get(local.url("/v1/workspaces"))
        .bearer_auth(local.server.api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(list.status().as_u16(), 200);
}

#[tokio::test]
async fn workspaces_are_isolated() {
    let local = Local::start().await;
    local
        .post_json("/v1/secrets", json!({"name": "only_here", "value": "v"}))
        .await;
    let (_, ws) = local.post_json("/v1/workspaces", json!({"name": "other"})).await;
    let other = ws["workspace"]["public_id"].as_str().unwrap();
    let resp = local
        .http
        .get(local.url("/v1/secrets"))
        .bearer_auth(local.server.api_key())
        .header("X-Workspace-Id", other)
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["secrets"], json!([]));
}

#[tokio::test]
async fn injected_faults_then_recovery() {
    let local = Local::start().await;
    local
        .server
        .faults()
        .push_for("/v1/query", Fault::TooManyRequests { retry_after_secs: 7 }, 1);
    local.server.faults().push_for("/v1/query", Fault::Status(503), 1);
    let r = local.post("/v1/query", json!({"sql": "SELECT 1"})).await;
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(r.headers()["retry-after"], "7");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "RATE_LIMITED");
    let r = local.post("/v1/query", json!({"sql": "SELECT 1"})).await;
    assert_eq!(r.status().as_u16(), 503);
    let r = local.post("/v1/query", json!({"sql": "SELECT 1"})).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(local.server.hits("query"), 3, "faulted attempts count as hits");

    local.server.faults().push(Fault::Reset, 1);
    let reset = local.req(reqwest::Method::GET, "/v1/secrets").send().await;
    assert!(reset.is_err(), "a reset connection gives the client an error");

    local.server.faults().push(Fault::TruncatedBody, 1);
    let resp = local
        .req(reqwest::Method::GET, "/v1/connection-types")
        .send()
        .await
        .unwrap();
    assert!(resp.bytes().await.is_err(), "a truncated body fails to read");

    local.server.faults().push(Fault::MalformedBody, 1);
    let resp = local
        .req(reqwest::Method::GET, "/v1/connection-types")
        .send()
        .await
        .unwrap();
    assert!(resp.json::<serde_json::Value>().await.is_err());

    local.server.faults().push(Fault::Delay(Duration::from_millis(300)), 1);
    let started = Instant::now();
    assert_eq!(local.get("/v1/secrets").await.status().as_u16(), 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(local.server.faults().pending(), 0);
}

#[tokio::test]
async fn faults_over_the_control_endpoint() {
    let local = Local::start().await;
    let r = local
        .http
        .post(local.url("/_local/faults"))
        .json(&json!({"fault": "status", "status": 502, "times": 2, "path_prefix": "/v1/secrets"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(local.get("/v1/connections").await.status().as_u16(), 200);
    assert_eq!(local.get("/v1/secrets").await.status().as_u16(), 502);
    assert_eq!(local.get("/v1/secrets").await.status().as_u16(), 502);
    assert_eq!(local.get("/v1/secrets").await.status().as_u16(), 200);
    let hits: serde_json::Value = local
        .http
        .get(local.url("/_local/hits"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(hits["hits"]["list_secrets"], 3);
}
