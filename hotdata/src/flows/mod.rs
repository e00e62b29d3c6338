//! The hand-written flows: what takes more than one request, or more than
//! a typed body, to get right.
//!
//! - [`query`]: running SQL, with a database scope, following a truncated
//!   preview to the whole answer;
//! - [`follow`]: the guards and formats of that follow;
//! - [`results`]: stored results as pages, streams and downloads;
//! - [`runs`]: waiting on query runs and jobs;
//! - [`upload`]: presigned uploads, single and multipart;
//! - [`loads`]: loading managed tables;
//! - [`databases`]: database handles, forks, lineage, batches;
//! - [`datasets`]: the seed-era dataset conveniences.
//!
//! A method that boxes a flow's future or stream (`IntoFuture::into_future`,
//! [`ResultRequest::stream`](results::ResultRequest::stream) and
//! [`pages`](results::ResultRequest::pages)) is `#[inline]`. Boxing turns
//! the flow's `async` body into a vtable entry, so a non-inline method would
//! compile every flow's body, and the serde code it calls, in every build of
//! this crate. Inline, each body is compiled in the program that awaits it,
//! and only if it does: half the crate's LLVM IR (`cargo llvm-lines`).

pub(crate) mod databases;
pub(crate) mod datasets;
pub(crate) mod follow;
pub mod loads;
pub mod query;
pub mod results;
pub(crate) mod runs;
pub mod upload;
