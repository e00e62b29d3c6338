//! `hotdata-local`: a local server that speaks the Hotdata HTTP API as `spec/openapi.yaml` describes it, with real
//! SQL through Apache DataFusion, for tests and offline development.
//!
//! It is a second, independent implementation of the wire contract (it does not depend on the `hotdata` crate):
//! every request it receives and every response it sends can be validated against the spec, read at run time, so
//! the SDK and the server catch each other's mistakes.
//!
//! ```
//! use hotdata_local::{Config, Fault, Server};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = Server::start(Config::default()).await?;
//! // Point a client at `server.base_url()` with `server.api_key()` and `server.workspace_id()`.
//! let url = format!("{}/v1/query", server.base_url());
//! assert!(url.ends_with("/v1/query"));
//! // Make the next request answer 503, then count what reached the wire.
//! server.faults().push(Fault::Status(503), 1);
//! assert_eq!(server.hits("query"), 0);
//! # Ok(()) }
//! ```
//!
//! What is served: all operations of the spec. Tables of `managed` connections and of databases are loaded from
//! parquet uploads; datasets are built from CSV, JSON or parquet uploads, inline data, `file://` URLs or SQL; other
//! connection types are recorded and report that they cannot be reached. Index metadata is kept but queries scan.
//!
//! Test controls outside `/v1` (no auth): `GET /_local/health`, `POST /_local/faults` with
//! `{"fault": "too_many_requests" | "status" | "delay" | "reset" | "truncated_body" | "malformed_body" |
//! "reset_after_handling" | "unordered_pages",
//! "times": N, "path_prefix": "/v1/...", "retry_after_secs": S, "status": CODE, "delay_ms": MS}`,
//! `DELETE /_local/faults`, `GET /_local/hits`, `DELETE /_local/hits`, `GET /_local/violations`.
//!
//! Presigned upload sessions (`POST /v1/uploads` and friends) hand out URLs of the server's own object storage,
//! `PUT /_storage/{workspace}/{upload_id}/{part}?X-Local-Expires=..&X-Local-Signature=..`, which, like S3, takes
//! the URL's HMAC signature as its only authorization, refuses requests that also carry `Authorization`, answers
//! errors as XML and is not checked against the spec; see [`UploadSessions`] for its limits.

mod api;
mod app;
mod classify;
mod config;
mod conformance;
mod engine;
mod faults;
pub mod fixtures;
mod http;
mod persist;
mod presign;
mod reply;
mod results;
mod server;
mod spec;
mod state;
mod storage;

pub use config::{
    Config, Contract, DEFAULT_API_KEY, DEFAULT_JSON_FETCH_BUDGET, DEFAULT_JSON_TOTAL_BUDGET, DEFAULT_PREVIEW_ROWS,
    DEFAULT_WORKSPACE_ID, UploadSessions, Validation,
};
pub use conformance::{Direction, Violation};
pub use faults::{Fault, Faults};
pub use server::{Server, StartError};
