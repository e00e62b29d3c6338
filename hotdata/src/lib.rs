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
//! let body = hotdata::types::QueryRequest::builder().sql("SELECT 1 AS ok");
//! match client.query().body(body).send_outcome().await?.into_inner() {
//!     hotdata::outcomes::QueryOutcome::Ok(rows) => println!("{:?}", rows.rows),
//!     hotdata::outcomes::QueryOutcome::Accepted(run) => println!("running as {}", run.query_run_id),
//! }
//! # Ok(()) }
//! ```
//!
//! The operations, models and builders in [`generated`] are emitted from
//! `spec/openapi.yaml` by `cargo xtask regen`; the rest of the crate is
//! written by hand around them.

#[cfg(feature = "blocking")]
pub mod blocking;
mod client;
pub mod config;
mod error;
mod retry;
mod runs;
mod tls;
pub mod transport;

// Emitted by `cargo xtask regen` and formatted by the generator itself.
#[rustfmt::skip]
pub mod generated;

pub use client::{ApiKey, Client, ClientBuilder, DEFAULT_BASE_URL, USER_AGENT_VALUE, WORKSPACE_HEADER};
pub use error::{ApiError, BODY_EXCERPT_LIMIT, DecodeError, Error, Failure, REQUEST_ID_HEADERS};
pub use generated::{builder, outcomes, types};
pub use retry::RetryPolicy;
pub use runs::{JobHandle, QueryRunHandle, WaitOptions};

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
