//! The models of the Hotdata API, generated from `spec/openapi.yaml`, and the hand-written types they hold.
//!
//! Use them through the `hotdata` crate (`hotdata::types`, `hotdata::Cell`, `hotdata::Value`,
//! `hotdata::Nullable`, `hotdata::Timestamp`): this crate exists so that the models, which need serde and
//! serde_json but no HTTP, compile beside reqwest and rustls in a clean build instead of after them.
//!
//! - [`types`]: every request and response body (`cargo xtask regen` writes `src/generated/types.rs`; never edit
//!   it by hand). Models a request can send have a builder in [`types::builder`]. Each model derives the serde
//!   direction the SDK uses it in (`Serialize` for what requests carry, `Deserialize` for what responses carry);
//!   the feature `serde-round-trip` gives every model both.
//! - [`Cell`] and [`Value`]: a row cell kept as its exact JSON text, and the borrowed view of one.
//! - [`Nullable`]: a request field that can be left out, sent as `null`, or sent with a value.
//! - [`Timestamp`]: every `date-time` field, the instant with the UTC offset its RFC 3339 text was written in.
//!
//! ```
//! # use hotdata_models as hotdata;
//! use hotdata::{Cell, types::QueryRunStatus};
//!
//! let cell: Cell = serde_json::from_str("99999999999999999999.99")?;
//! assert_eq!(cell.value().as_decimal_str(), Some("99999999999999999999.99"));
//! let status: QueryRunStatus = serde_json::from_str(r#""succeeded""#)?;
//! assert_eq!(status.as_str(), "succeeded");
//! # Ok::<(), serde_json::Error>(())
//! ```

mod cell;
mod nullable;
mod timestamp;

// Written by `cargo xtask regen` and formatted by the generator itself.
#[rustfmt::skip]
#[path = "generated/types.rs"]
pub mod types;

pub use cell::{Cell, Value};
pub use nullable::Nullable;
pub use timestamp::{Timestamp, TimestampError};
