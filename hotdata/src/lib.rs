//! Typed Rust client for the [Hotdata](https://www.hotdata.dev) HTTP API.
//!
//! ```no_run
//! use hotdata::prelude::*;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = hotdata::Client::builder()
//!     .api_key(std::env::var("HOTDATA_API_KEY")?)
//!     .workspace_id(std::env::var("HOTDATA_WORKSPACE_ID")?)
//!     .database_id(std::env::var("HOTDATA_DATABASE")?)
//!     .build()?;
//!
//! let rows = client.query("SELECT 1 AS ok").await?;
//! for row in &rows {
//!     println!("{}", row.get::<i64>("ok")?);
//! }
//! # Ok(()) }
//! ```
//!
//! The operations, models and builders in [`generated`] are emitted from
//! `spec/openapi.yaml` by `cargo xtask regen`; the rest of the crate is
//! written by hand around them. Models a request can send also have a
//! builder ([`types::builder`], `X::builder()`) whose setters convert and
//! check each field; models that only arrive in responses have none.
//!
//! # Configuration
//!
//! [`Client::builder`] takes every setting explicitly; [`Client::from_env`]
//! and [`ClientBuilder::from_env`] fall back to `HOTDATA_API_KEY`,
//! `HOTDATA_WORKSPACE_ID` (or `HOTDATA_WORKSPACE`), `HOTDATA_API_URL`,
//! `HOTDATA_DATABASE` and then to the profile file of Hotdata's CLI
//! (`~/.hotdata/config.yml`; see [`config`]). An explicit setting wins over
//! the environment, which wins over the file. The workspace variable is read
//! under both names its tools use: `HOTDATA_WORKSPACE_ID` (this crate and
//! Hotdata's Rust client) wins over `HOTDATA_WORKSPACE` (Hotdata's CLI and
//! Python client) when both are set. An `http://` base URL is refused unless
//! it is loopback or [`ClientBuilder::allow_insecure_http`] is set, and the
//! key never follows a redirect to another origin.
//!
//! The credential is either a fixed API key ([`ClientBuilder::api_key`], or
//! `HOTDATA_API_KEY`) or a [`BearerProvider`]
//! ([`ClientBuilder::bearer_provider`]) asked for a token before every
//! attempt, retries included, for short-lived tokens; exactly one is used.
//! Neither is ever sent to object storage (presigned upload `PUT`s).
//!
//! # Errors, retries, tracing
//!
//! Every operation's `send()` returns [`Error`], which names the operation and
//! carries the status, error code, message, request id, `Retry-After` and a
//! body excerpt. Requests are retried by the client's [`RetryPolicy`]
//! (override per call with [`Client::with_retry`]), and each attempt is a
//! `tracing` span named `hotdata.request` with the operation id, method, path
//! template, attempt, status, duration and request id. The API key, and any
//! token a [`BearerProvider`] returns, is in no log line, `Debug` or
//! `Display`.
//!
//! A write is never sent twice: a `POST` is retried after a connection
//! failure only when it never left the client or carries an idempotency key
//! (see [`RetryPolicy`]). The client the builder makes has connect and read
//! timeouts ([`DEFAULT_CONNECT_TIMEOUT`], [`DEFAULT_READ_TIMEOUT`]); waits for
//! runs, jobs and results bound every poll by their own deadline, and a wait
//! that runs out is [`Error::Timeout`] with the last error it met as its
//! source. [`Error::is_retryable`] says whether a failure may pass (not a
//! DNS failure, a TLS handshake or a request that could not be built).
//!
//! ```no_run
//! use hotdata::prelude::*;
//!
//! async fn first_job(client: &hotdata::Client) -> Result<Option<String>, hotdata::Error> {
//!     let page = client.list_jobs().limit(1).send().await?;
//!     Ok(page.jobs.first().map(|j| j.id.clone()))
//! }
//! ```
//!
//! # Open enums
//!
//! Every string enum of the API (such as [`types::JobStatus`]) is open: a
//! value the API adds after this SDK was released decodes as `Other(..)`
//! instead of failing, and the enums are `#[non_exhaustive]`, so a later
//! version of the SDK can give that value a variant of its own without
//! breaking your build. Match them with a wildcard arm, or on the wire text:
//!
//! ```
//! use hotdata::types::JobStatus;
//!
//! fn describe(status: &JobStatus) -> String {
//!     match status {
//!         JobStatus::Running => "still going".to_owned(),
//!         JobStatus::Succeeded => "done".to_owned(),
//!         // Known values this code does not handle, and values the SDK does not know yet.
//!         other => format!("status {}", other.as_str()),
//!     }
//! }
//!
//! let known: JobStatus = "running".parse().unwrap();
//! assert_eq!(known, JobStatus::Running); // a known value never decodes as `Other`
//! let new: JobStatus = "paused_by_operator".parse().unwrap();
//! assert!(!new.is_known());
//! assert_eq!(describe(&new), "status paused_by_operator");
//! ```
//!
//! `Other` holds an [`UnknownValue`](types::UnknownValue), which only the
//! SDK can make and only from a value no variant stands for, so `Other`
//! never equals a known variant.
//!
//! # Lossless rows, explicit nulls, secrets, deprecations
//!
//! - Rows of arbitrary JSON values in the generated models (`rows` of
//!   [`types::QueryResponse`] and [`types::GetResultResponse`]) hold
//!   [`Cell`]s, which keep each value's JSON text: a `DECIMAL(38,2)` of
//!   `99999999999999999999.99` stays exact.
//! - An optional, nullable field of a request body is a [`Nullable`]: leave
//!   it [`Unset`](Nullable::Unset) to keep the current value, or set
//!   [`Null`](Nullable::Null) to send `null`.
//! - Every `date-time` field is a [`Timestamp`]: the instant and the UTC
//!   offset it was written in, read strictly (a date that does not exist is
//!   a decode error naming the field) and written back in that offset. With
//!   the `chrono` feature it converts to and from `chrono::DateTime`.
//!
//!   ```
//!   use hotdata::{Timestamp, types::WorkspaceContextEntry};
//!
//!   let entry: WorkspaceContextEntry = serde_json::from_str(
//!       r#"{"name": "notes", "content": "", "updated_at": "2026-11-30T10:15:00+01:00"}"#,
//!   )?;
//!   assert_eq!(entry.updated_at, Timestamp::parse("2026-11-30T09:15:00Z")?);
//!   assert_eq!(entry.updated_at.to_string(), "2026-11-30T10:15:00+01:00");
//!   assert!(entry.updated_at.to_system_time().is_some());
//!   let bad = r#"{"name": "notes", "content": "", "updated_at": "2026-02-30T00:00:00Z"}"#;
//!   assert!(serde_json::from_str::<WorkspaceContextEntry>(bad).is_err());
//!   # Ok::<(), Box<dyn std::error::Error>>(())
//!   ```
//! - Fields the spec marks `format: password` (secret values, provider API
//!   keys) print as `"***"` in every generated model's and builder's `Debug`.
//! - Operations, fields and parameters the spec deprecates are
//!   `#[deprecated]`, with the API's note.
//!
//! # Database scope and whole answers
//!
//! The live API runs every query in one database and keeps its runs and
//! stored results there. [`Client::query`], [`Client::result`],
//! [`Client::query_run`] and [`Client::execute_saved_query`] send the call's
//! database (`.database(id)`), else the client's default
//! ([`ClientBuilder::database_id`], `HOTDATA_DATABASE`, the profile's
//! `database`); with neither, the call is an [`Error::InvalidArgument`]
//! before anything is sent, unless [`ClientBuilder::allow_unscoped`] (for
//! servers of the May 2026 contract). What follows a query inherits its
//! database: the run of [`Query::submit`], the read of a followed answer,
//! [`QueryRunHandle::rows`]; [`Rows::database_id`] says which it was.
//!
//! An answer too large to send whole arrives as a truncated preview.
//! [`Client::query`] follows it to every row, reading the stored result in
//! one streamed response ([`StreamedFormat`]: Arrow with the `arrow`
//! feature, else CSV) and never in offset pages, whose rows the API returns
//! in no guaranteed order. The read is held to [`ResultLimits`]; crossing a
//! guard is [`Error::TooLarge`], never part of the rows.
//! [`Query::preview`] returns the preview itself. [`ResultRequest::stream`]
//! reads a stored result of any size in one response, a chunk in memory at
//! a time, and [`ResultRequest::download`] writes it in any format.
//!
//! # Long operations
//!
//! [`Client::query_run`] and [`Client::job`] return handles that poll until
//! the run or job ends, under a deadline ([`WaitOptions`]); the id can be
//! stored and the wait resumed later.
//!
//! # Without an async runtime
//!
//! `hotdata::blocking::Client` (feature `blocking`) runs any call of this
//! client to its end: `client.run(client.query(sql).database(db).rows())`,
//! `client.iter(client.result(id).stream())`. It has no copy of each method,
//! so everything here works there, with the same options.
//!
//! # Loads and databases
//!
//! [`Client::load`] writes a managed table from an upload, a stored result or
//! inline CSV in one of five modes ([`loads`] module: modes, keys, retries).
//! [`Client::database`] gives a [`Database`] handle that queries, loads,
//! forks and describes one database.
//!
//! # One name, one meaning
//!
//! Every operation of the spec is a method of the generated client, reached
//! on [`Client`] through `Deref` under its spec name. A hand-written flow
//! either takes a name no operation has ([`Client::result`],
//! [`Client::load`], [`Client::database`], [`Client::upload_file`], ...), or
//! takes the name of the one operation it replaces ([`Client::query`],
//! [`Client::execute_saved_query`]); that operation is then reached only as
//! `client.api().query()`, so `client.query` means one thing. The raw
//! operations next to a flow keep their spec names and their spec behaviour
//! (`get_result` returns one JSON body as the spec describes it, `result`
//! waits, follows and streams).
//!
//! # How the crate is built
//!
//! The source is laid out in layers, each a folder of `src/`:
//!
//! | layer | folder | what is there |
//! |---|---|---|
//! | models | crate `hotdata-models` | every model of the spec (written by `cargo xtask regen`), with [`Cell`], [`Value`], [`Nullable`] and [`Timestamp`]; re-exported as [`types`] and at the root |
//! | emitted code | `generated/` | every operation of the spec, written by `cargo xtask regen`; never edited by hand |
//! | the seam | `contract.rs` | the only items the emitted code may call |
//! | runtime | `runtime/` | transport (headers, timeouts, the retry loop), retry policy, errors, credentials, TLS, body reading |
//! | data | `data/` | lossless [`Rows`], Arrow batches, the CSV reader |
//! | flows | `flows/` | queries, results, runs and jobs, uploads, loads, databases |
//! | configuration | `client.rs`, `config/` | [`Client`], [`ClientBuilder`], the environment and the CLI's profile file |
//! | blocking | `blocking.rs` | the same client without an async runtime |
//!
//! Dependencies point down the table, never up: `runtime` knows nothing of
//! rows, flows or the client (it uses only the emitted operation table);
//! `data` uses only `runtime`; `flows` use both and [`Client`]. A test
//! (`tests/layers.rs`) reads the sources and fails on an upward `use`.
//!
//! The models are a crate of their own because they need serde and
//! serde_json but nothing of the HTTP stack: in a clean build they compile
//! beside reqwest and rustls, and only the rest of `hotdata` waits for those.
//! Their `date-time` fields are [`Timestamp`]s, so no date library is built
//! before them.
//!
//! Public paths do not follow the folders: [`results`], [`query`],
//! [`loads`], [`upload`], [`rows`] and [`transport`] stay where users find
//! them, and the common types are re-exported at the root.
//!
//! # Features
//!
//! - `rustls` (default): TLS through rustls with the `ring` provider.
//! - `gzip` (default): decompress gzip responses.
//! - `native-tls`: the platform's TLS (OpenSSL, SChannel, Security.framework);
//!   wins over `rustls` when both are on. With `default-features = false` and
//!   this feature, rustls and ring are not built at all.
//! - `arrow`: results as Arrow record batches ([`arrow`] module).
//! - `blocking`: `hotdata::blocking::Client`.
//! - `schemars`: `schemars::JsonSchema` on every model.
//! - `serde-round-trip`: both `Serialize` and `Deserialize` on every model, for programs that store responses
//!   as JSON or read requests from it. Without it a model derives the direction the SDK uses it in:
//!   `Serialize` for what requests carry, `Deserialize` for what responses carry, both for what both carry.
//!   The unused direction is about a fifth of the models' compile time.
//! - `chrono`: [`Timestamp`] to and from `chrono::DateTime` (`From`, `TryFrom`).
//!
//! With `rustls`, reqwest is built without a TLS provider of its own: the clients the SDK builds install
//! `ring`, and a program that builds its own `reqwest::Client` (for
//! [`ClientBuilder::http_client`]) calls [`install_tls_provider`] first.
//!
//! A build with neither TLS feature can still reach `http://` loopback
//! servers (such as `hotdata-local`); it refuses an `https://` base URL when
//! the client is built.

// The layers, from the wire up (see "How the crate is built" above).
//
// The emitted code: every model and operation of the spec, written by
// `cargo xtask regen` and formatted by the generator itself.
#[rustfmt::skip]
pub mod generated;
// The seam between the emitted code and the rest: all it may call.
mod contract;
// The runtime under every request: transport, retries, errors, credentials,
// TLS and body reading.
mod runtime;
// What answers decode into: lossless rows, Arrow batches, CSV, nullable fields.
mod data;
// The hand-written flows: queries, results, runs and jobs, uploads, loads,
// databases.
mod flows;
// Configuration: the client, its builder, and where settings come from.
mod client;
pub mod config;
// The same client without an async runtime.
#[cfg(feature = "blocking")]
pub mod blocking;

// Modules whose paths are public (`hotdata::results::ResultPage`, ...).
#[cfg(feature = "arrow")]
pub use data::arrow;
pub use data::rows;
pub use flows::{loads, query, results, upload};
pub use runtime::transport;

pub use client::{Client, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT, USER_AGENT_VALUE};
pub use config::builder::ClientBuilder;
#[cfg(feature = "arrow")]
pub use data::arrow::{ArrowAnswer, RecordBatchStream};
pub use data::rows::{Cell, Column, ColumnIndex, Row, RowIter, Rows, Value};
pub use flows::databases::{BatchCreate, Database, DatabaseBatch, Fork, Forked};
pub use flows::follow::{DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS, ResultLimits, StreamedFormat};
pub use flows::query::{Query, QueryOutcome, SavedQueryExecution};
pub use flows::results::{DEFAULT_RESULT_WAIT, Download, ResultPage, ResultRequest, SharedRow};
pub use flows::runs::{JobHandle, QueryRunHandle, WaitOptions};
pub use flows::upload::{ManagedTable, UploadOptions};
pub use generated::{builder, outcomes, types};
pub use hotdata_models::{Nullable, Timestamp, TimestampError};
pub use runtime::credentials::{ApiKey, BearerProvider, BearerToken, BoxError};
pub use runtime::error::{
    ApiError, BODY_EXCERPT_LIMIT, DecodeError, Error, Failure, Guard, MAX_RETRY_AFTER, MovedToBackground,
    REQUEST_ID_HEADERS, TooLarge,
};
pub use runtime::retry::RetryPolicy;
pub use runtime::tls::install_tls_provider;
pub use runtime::transport::WORKSPACE_HEADER;

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// Brings every operation into scope on [`Client`].
pub mod prelude {
    pub use crate::generated::prelude::*;
    // Named explicitly so it shadows the generated `Client` of the glob.
    pub use crate::Client;
}
