//! A client for programs without an async runtime (feature `blocking`).
//!
//! [`Client`] wraps the async [`crate::Client`] and a private current-thread
//! tokio runtime that runs each call to completion on the calling thread.
//! It must not be used from inside an async runtime (a `#[tokio::main]`
//! function, a spawned task): there, the methods that return a `Result` fail
//! with [`Error::Config`], and [`Client::block_on`] panics, each with a
//! message saying to use the async client instead.
//!
//! ```no_run
//! use hotdata::prelude::*;
//!
//! fn main() -> Result<(), hotdata::Error> {
//!     let client = hotdata::blocking::Client::from_env()?;
//!     // Any generated operation: build it on the async client, run it here.
//!     let jobs = client.block_on(client.list_jobs().send())?;
//!     println!("{} jobs", jobs.jobs.len());
//!     let run = client.query_run("qr_123").wait()?;
//!     println!("{}", run.status);
//!     Ok(())
//! }
//! ```

use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;

use crate::error::Error;
use crate::retry::RetryPolicy;
use crate::runs::WaitOptions;
use crate::types::{JobStatusResponse, QueryRunInfo};

const IN_ASYNC: &str = "hotdata::blocking::Client was called from inside an async runtime, where blocking the thread \
     would stall other tasks: use the async hotdata::Client there";

/// Owns the runtime; shuts it down without blocking, so dropping the client
/// is safe anywhere.
struct Runtime(Option<tokio::runtime::Runtime>);

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

impl Runtime {
    fn block_on<F: Future>(&self, fut: F) -> Result<F::Output, Error> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::config(IN_ASYNC));
        }
        match &self.0 {
            Some(rt) => Ok(rt.block_on(fut)),
            None => Err(Error::config("the blocking client's runtime is shut down")),
        }
    }
}

/// A blocking Hotdata client: the methods of [`crate::Client`], each
/// returning when the call has finished. Cloning is cheap; clones share the
/// runtime and the connection pool.
///
/// Generated operations are reached through `Deref` to the async client and
/// run with [`block_on`](Self::block_on).
#[derive(Clone)]
pub struct Client {
    client: crate::Client,
    rt: Arc<Runtime>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::Client")
            .field("client", &self.client)
            .finish()
    }
}

impl Client {
    /// Starts configuring a client; finish with
    /// [`ClientBuilder::build_blocking`](crate::ClientBuilder::build_blocking).
    ///
    /// ```
    /// let client = hotdata::blocking::Client::builder()
    ///     .api_key("hd_live_123")
    ///     .workspace_id("ws_abc123")
    ///     .build_blocking()
    ///     .expect("configured");
    /// assert_eq!(client.workspace_id(), Some("ws_abc123"));
    /// ```
    pub fn builder() -> crate::ClientBuilder {
        crate::ClientBuilder::default()
    }

    /// A client configured from the environment and the CLI's profile file,
    /// as [`crate::ClientBuilder::from_env`].
    pub fn from_env() -> Result<Client, Error> {
        crate::ClientBuilder::from_env().build_blocking()
    }

    /// Wraps an async client.
    pub fn new(client: crate::Client) -> Result<Client, Error> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::config(format!("cannot start the blocking client's runtime: {e}")))?;
        Ok(Client {
            client,
            rt: Arc::new(Runtime(Some(rt))),
        })
    }

    /// Runs a future (any operation of the async client) to completion.
    ///
    /// # Panics
    ///
    /// When called from inside an async runtime.
    pub fn block_on<F: Future>(&self, fut: F) -> F::Output {
        match self.rt.block_on(fut) {
            Ok(output) => output,
            Err(e) => panic!("{e}"),
        }
    }

    /// The async client this one wraps.
    pub fn as_async(&self) -> &crate::Client {
        &self.client
    }

    /// The base URL requests are sent to.
    pub fn base_url(&self) -> &str {
        self.client.base_url()
    }

    /// The workspace requests act on, if one was set.
    pub fn workspace_id(&self) -> Option<&str> {
        self.client.workspace_id()
    }

    /// The database queries are scoped to by default, if one was set.
    pub fn database_id(&self) -> Option<&str> {
        self.client.database_id()
    }

    /// The retry policy in force.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.client.retry_policy()
    }

    /// The same client with another retry policy; see [`crate::Client::with_retry`].
    pub fn with_retry(&self, policy: RetryPolicy) -> Client {
        Client {
            client: self.client.with_retry(policy),
            rt: Arc::clone(&self.rt),
        }
    }

    /// A handle on a query run; see [`crate::Client::query_run`].
    pub fn query_run(&self, id: impl Into<String>) -> QueryRunHandle {
        QueryRunHandle {
            inner: self.client.query_run(id),
            rt: Arc::clone(&self.rt),
        }
    }

    /// A handle on a background job; see [`crate::Client::job`].
    pub fn job(&self, id: impl Into<String>) -> JobHandle {
        JobHandle {
            inner: self.client.job(id),
            rt: Arc::clone(&self.rt),
        }
    }
}

impl Deref for Client {
    type Target = crate::Client;

    fn deref(&self) -> &crate::Client {
        &self.client
    }
}

impl crate::ClientBuilder {
    /// Builds a [`blocking::Client`](Client) (feature `blocking`).
    pub fn build_blocking(self) -> Result<Client, Error> {
        Client::new(self.build()?)
    }
}

/// The blocking form of [`crate::QueryRunHandle`].
#[derive(Clone)]
pub struct QueryRunHandle {
    inner: crate::QueryRunHandle,
    rt: Arc<Runtime>,
}

impl fmt::Debug for QueryRunHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::QueryRunHandle")
            .field("id", &self.id())
            .finish()
    }
}

impl QueryRunHandle {
    /// The run's id.
    pub fn id(&self) -> &str {
        self.inner.id()
    }

    /// The run's current state.
    pub fn get(&self) -> Result<QueryRunInfo, Error> {
        self.rt.block_on(self.inner.get())?
    }

    /// Waits with [`WaitOptions::default`] until the run succeeds.
    pub fn wait(&self) -> Result<QueryRunInfo, Error> {
        self.rt.block_on(self.inner.wait())?
    }

    /// Waits until the run succeeds, with `opts`.
    pub fn wait_with(&self, opts: WaitOptions) -> Result<QueryRunInfo, Error> {
        self.rt.block_on(self.inner.wait_with(opts))?
    }
}

/// The blocking form of [`crate::JobHandle`].
#[derive(Clone)]
pub struct JobHandle {
    inner: crate::JobHandle,
    rt: Arc<Runtime>,
}

impl fmt::Debug for JobHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::JobHandle").field("id", &self.id()).finish()
    }
}

impl JobHandle {
    /// The job's id.
    pub fn id(&self) -> &str {
        self.inner.id()
    }

    /// The job's current state.
    pub fn get(&self) -> Result<JobStatusResponse, Error> {
        self.rt.block_on(self.inner.get())?
    }

    /// Waits with [`WaitOptions::default`] until the job ends.
    pub fn wait(&self) -> Result<JobStatusResponse, Error> {
        self.rt.block_on(self.inner.wait())?
    }

    /// Waits until the job ends, with `opts`.
    pub fn wait_with(&self, opts: WaitOptions) -> Result<JobStatusResponse, Error> {
        self.rt.block_on(self.inner.wait_with(opts))?
    }
}
