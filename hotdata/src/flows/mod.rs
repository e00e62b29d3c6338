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

pub(crate) mod databases;
pub(crate) mod datasets;
pub(crate) mod follow;
pub mod loads;
pub mod query;
pub mod results;
pub(crate) mod runs;
pub mod upload;
