//! What answers decode into, apart from the generated models.
//!
//! - [`rows`]: lossless rows, each cell kept as the JSON text it came as;
//! - [`arrow`] (feature `arrow`): Arrow record batches off the socket, and
//!   their cells as the JSON text the server would have sent;
//! - [`csv`]: an incremental RFC 4180 reader for streamed CSV results;
//! - [`nullable`]: request fields that can be left out, `null`, or set.

#[cfg(feature = "arrow")]
pub mod arrow;
pub(crate) mod csv;
pub(crate) mod nullable;
pub mod rows;
