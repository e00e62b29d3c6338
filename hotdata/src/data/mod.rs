//! What answers decode into, apart from the generated models.
//!
//! - [`rows`]: lossless rows, each cell kept as the JSON text it came as;
//! - [`arrow`] (feature `arrow`): Arrow record batches off the socket, and
//!   their cells as the JSON text the server would have sent;
//! - [`csv`]: an incremental RFC 4180 reader for streamed CSV results;

#[cfg(feature = "arrow")]
pub mod arrow;
pub(crate) mod csv;
pub mod rows;
