//! Typed Rust client for the [Hotdata](https://www.hotdata.dev) HTTP API.
//!
//! ```no_run
//! use hotdata::prelude::*;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = hotdata::Client::builder()
//!     .api_key(std::env::var("HOTDATA_API_KEY")?)
//!     .workspace_id(std::env::var("HOTDATA_WORKSPACE_ID")?)
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
//! written by hand around them.

#[cfg(feature = "arrow")]
pub mod arrow;
mod client;
mod error;
mod http;
pub mod query;
pub mod results;
pub mod rows;
pub mod runs;
mod tls;
pub mod upload;

// Emitted by `cargo xtask regen` and formatted by the generator itself.
#[rustfmt::skip]
pub mod generated;

#[cfg(feature = "arrow")]
pub use arrow::RecordBatchStream;
pub use client::{ApiKey, Client, ClientBuilder, DEFAULT_BASE_URL, USER_AGENT_VALUE, WORKSPACE_HEADER};
pub use error::{ApiError, BODY_EXCERPT_LIMIT, DecodeError, Error, Failure, REQUEST_ID_HEADERS};
pub use generated::{builder, outcomes, types};
pub use query::{Query, QueryOutcome};
pub use results::{ResultPage, ResultRequest, SharedRow};
pub use rows::{Column, ColumnIndex, Row, RowIter, Rows, Value};
pub use runs::QueryRunHandle;
pub use upload::{ManagedTable, UploadOptions};

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
