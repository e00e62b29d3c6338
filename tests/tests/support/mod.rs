//! Helpers shared by the suites: a server plus an HTTP client that sends the credentials.

#![allow(dead_code)]

use hotdata_local::{Config, Server};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;

/// A started server and a client for it.
pub struct Local {
    pub server: Server,
    pub http: reqwest::Client,
}

impl Local {
    /// A server with the seed-era contract (`--contract 2026-05`): the suites using this run unscoped seed-era
    /// queries and read results without `X-Database-Id`. Suites of the live rules use [`Local::with`].
    pub async fn start() -> Local {
        Local::with(Config {
            contract: hotdata_local::Contract::Seed2026_05,
            ..Config::default()
        })
        .await
    }

    pub async fn with(config: Config) -> Local {
        let server = Server::start(config).await.expect("server starts");
        Local { server, http: client() }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base_url())
    }

    /// A request with bearer token and workspace header.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(self.server.api_key())
            .header("X-Workspace-Id", self.server.workspace_id())
    }

    pub async fn get(&self, path: &str) -> Response {
        self.req(Method::GET, path).send().await.expect("request")
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.req(Method::POST, path).json(&body).send().await.expect("request")
    }

    pub async fn put(&self, path: &str, body: Value) -> Response {
        self.req(Method::PUT, path).json(&body).send().await.expect("request")
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.req(Method::DELETE, path).send().await.expect("request")
    }

    /// POSTs and returns `(status, json)`.
    pub async fn post_json(&self, path: &str, body: Value) -> (u16, Value) {
        json_of(self.post(path, body).await).await
    }

    /// GETs and returns `(status, json)`.
    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        json_of(self.get(path).await).await
    }

    /// Runs SQL synchronously and returns the response body, asserting 200.
    pub async fn sql(&self, sql: &str) -> Value {
        let (status, body) = self.post_json("/v1/query", serde_json::json!({ "sql": sql })).await;
        assert_eq!(status, 200, "{sql}: {body}");
        body
    }

    /// Uploads raw bytes and returns the upload ID.
    pub async fn upload(&self, bytes: Vec<u8>, content_type: &str) -> String {
        let resp = self
            .req(Method::POST, "/v1/files")
            .header("Content-Type", content_type)
            .body(bytes)
            .send()
            .await
            .expect("upload");
        let (status, body) = json_of(resp).await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().expect("upload id").to_string()
    }
}

/// An HTTP client (installs a TLS provider first, as the workspace's reqwest brings none).
pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

pub async fn json_of(resp: Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    let v = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, v)
}

/// A small parquet file made by the server itself: runs `sql` and downloads the result as parquet.
pub async fn parquet_from_sql(local: &Local, sql: &str) -> Vec<u8> {
    let body = local.sql(sql).await;
    let id = body["result_id"].as_str().expect("result id").to_string();
    let resp = local.get(&format!("/v1/results/{id}?format=parquet")).await;
    assert_eq!(resp.status().as_u16(), 200);
    resp.bytes().await.expect("bytes").to_vec()
}
