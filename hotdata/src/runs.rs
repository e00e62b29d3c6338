//! Handles on query runs.
//!
//! A minimal stand-in: it names a run. Waiting for it (`wait()`) comes with
//! the shared run and job handles.

use crate::client::Client;

/// A query run started on the server, named by its id (`qrun_...`).
///
/// ```
/// let client = hotdata::Client::builder().api_key("k").build()?;
/// let run = hotdata::QueryRunHandle::new(client, "qrun_1");
/// assert_eq!(run.id(), "qrun_1");
/// # Ok::<(), hotdata::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct QueryRunHandle {
    #[allow(dead_code)]
    client: Client,
    id: String,
}

impl QueryRunHandle {
    /// A handle on the run `id`, e.g. one stored from an earlier `submit()`.
    pub fn new(client: Client, id: impl Into<String>) -> Self {
        QueryRunHandle { client, id: id.into() }
    }

    /// The run's id.
    pub fn id(&self) -> &str {
        &self.id
    }
}
