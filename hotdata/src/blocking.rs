//! A client for programs without an async runtime (feature `blocking`).
//!
//! [`Client`] wraps the async [`crate::Client`] and a private current-thread
//! tokio runtime that runs each call to completion.
//!
//! Where it may be called:
//! - A thread without a tokio runtime (a plain `main`, a thread of your
//!   own): the call runs on the calling thread.
//! - A thread where blocking is allowed although a runtime is around, such
//!   as a closure given to `tokio::task::spawn_blocking`: the call runs on a
//!   short-lived helper thread while the calling thread waits, since tokio
//!   does not let a runtime be driven from a thread that belongs to another.
//! - Not the body of a `block_on` (a `#[tokio::main]` function and what it
//!   calls directly): there blocking would stall the runtime, so the methods
//!   that return a `Result` fail with [`Error::Config`], and
//!   [`Client::block_on`] panics, each saying to use the async client
//!   instead. Inside a task started with `tokio::spawn`, tokio gives no way
//!   to tell it from a `spawn_blocking` thread, so the call works there but
//!   blocks that worker thread for its whole duration: use the async client
//!   in async code.
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
//!     let rows = client.query("SELECT 1 AS ok").rows()?;
//!     println!("{}", rows.row(0).and_then(|r| r.value("ok")).unwrap());
//!     Ok(())
//! }
//! ```

use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;

use std::path::Path;
use std::pin::Pin;
use std::time::Duration;

use futures::{Stream, StreamExt as _};
use serde::de::DeserializeOwned;

use crate::error::Error;
use crate::results::{ResultPage, SharedRow};
use crate::retry::RetryPolicy;
use crate::rows::Rows;
use crate::runs::WaitOptions;
use crate::types::{self, JobStatusResponse, QueryRunInfo};
use crate::upload::{ManagedTable, UploadOptions};

const IN_ASYNC: &str = "hotdata::blocking::Client was called from inside an async runtime, where blocking the thread \
     would stall other tasks: use the async hotdata::Client there (or call this one inside \
     tokio::task::spawn_blocking)";

/// Owns the runtime; shuts it down without blocking, so dropping the client
/// is safe anywhere.
struct Runtime(Option<tokio::runtime::Runtime>);

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Runtime")
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

impl Runtime {
    /// Runs `fut` to completion on this runtime; see the module docs for
    /// where that may happen.
    fn block_on<F>(&self, fut: F) -> Result<F::Output, Error>
    where
        F: Future + Send,
        F::Output: Send,
    {
        let Some(rt) = &self.0 else {
            return Err(Error::config("the blocking client's runtime is shut down"));
        };
        if tokio::runtime::Handle::try_current().is_err() {
            // No runtime on this thread: drive ours here.
            return Ok(rt.block_on(fut));
        }
        // A runtime is around. In the body of its `block_on` no task is
        // running: refuse. A task is running when this is a
        // `spawn_blocking` closure (or, undetectably, an async task): tokio
        // refuses to drive a second runtime from such a thread, so a helper
        // thread drives ours while this one waits.
        if tokio::task::try_id().is_none() {
            return Err(Error::config(IN_ASYNC));
        }
        std::thread::scope(|scope| {
            let helper = std::thread::Builder::new()
                .name("hotdata-blocking".to_owned())
                .spawn_scoped(scope, || rt.block_on(fut))
                .map_err(|e| Error::config(format!("cannot start the blocking client's helper thread: {e}")))?;
            // A panic in the call surfaces here, as it would on this thread.
            Ok(helper.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
        })
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
    /// When called where blocking would stall an async runtime (see the
    /// [module docs](self)).
    pub fn block_on<F>(&self, fut: F) -> F::Output
    where
        F: Future + Send,
        F::Output: Send,
    {
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

    /// A SQL query; see [`crate::Client::query`].
    ///
    /// ```no_run
    /// # fn run(client: hotdata::blocking::Client) -> Result<(), hotdata::Error> {
    /// let rows = client.query("SELECT 40 + 2 AS answer").rows()?;
    /// let answer: i64 = rows.row(0).expect("one row").get("answer")?;
    /// assert_eq!(answer, 42);
    /// # Ok(()) }
    /// ```
    pub fn query(&self, sql: impl Into<String>) -> Query<'_> {
        Query {
            inner: self.client.query(sql),
            rt: &self.rt,
        }
    }

    /// Runs a saved query; see [`crate::Client::execute_saved_query`].
    ///
    /// ```no_run
    /// # fn run(client: hotdata::blocking::Client) -> Result<(), hotdata::Error> {
    /// let rows = client.execute_saved_query("sq_abc123").version(2).rows()?;
    /// println!("{} rows", rows.len());
    /// # Ok(()) }
    /// ```
    pub fn execute_saved_query(&self, id: impl Into<String>) -> SavedQueryExecution<'_> {
        SavedQueryExecution {
            inner: self.client.execute_saved_query(id),
            rt: &self.rt,
        }
    }

    /// A stored result; see [`crate::Client::result`].
    pub fn result(&self, id: impl Into<String>) -> ResultRequest<'_> {
        ResultRequest {
            inner: self.client.result(id),
            rt: &self.rt,
        }
    }

    /// Uploads a file, streamed from disk; see [`crate::Client::upload_file`].
    pub fn upload_file(&self, path: impl AsRef<Path>) -> Result<types::FinalizeUploadResponse, Error> {
        let path = path.as_ref().to_path_buf();
        self.rt.block_on(self.client.upload_file(path))?
    }

    /// [`upload_file`](Self::upload_file) with options; see
    /// [`crate::Client::upload_file_with`].
    pub fn upload_file_with(
        &self,
        path: impl AsRef<Path>,
        options: UploadOptions,
    ) -> Result<types::FinalizeUploadResponse, Error> {
        let path = path.as_ref().to_path_buf();
        self.rt.block_on(self.client.upload_file_with(path, options))?
    }

    /// Loads an upload into a managed table; see [`crate::Client::load_upload`].
    pub fn load_upload(
        &self,
        upload_id: &str,
        target: &ManagedTable,
        mode: types::LoadMode,
    ) -> Result<types::LoadManagedTableResponse, Error> {
        self.rt.block_on(self.client.load_upload(upload_id, target, mode))?
    }

    /// Creates a dataset from an upload; see
    /// [`crate::Client::create_dataset_from_upload`].
    #[deprecated(
        note = "since 2026-06-19: datasets left the public API; seed-era and local servers still serve them. Load into a managed database table instead"
    )]
    #[allow(deprecated)]
    pub fn create_dataset_from_upload(
        &self,
        label: &str,
        upload_id: &str,
        format: Option<types::DataFormat>,
    ) -> Result<types::CreateDatasetResponse, Error> {
        self.rt
            .block_on(self.client.create_dataset_from_upload(label, upload_id, format))?
    }
}

/// The blocking form of [`crate::Query`].
#[derive(Debug)]
#[must_use = "a query does nothing until run"]
pub struct Query<'a> {
    inner: crate::Query<'a>,
    rt: &'a Arc<Runtime>,
}

/// What [`Query::async_after`] came back with.
#[derive(Debug)]
pub enum QueryOutcome {
    /// The query finished in time; here are its rows.
    Rows(Rows),
    /// The query went on in the background as this run.
    Running(QueryRunHandle),
}

impl<'a> Query<'a> {
    /// Scopes the query to one managed database.
    pub fn database(self, database_id: impl Into<String>) -> Self {
        Query {
            inner: self.inner.database(database_id),
            rt: self.rt,
        }
    }

    /// The catalog unqualified table names resolve in.
    pub fn default_catalog(self, catalog: impl Into<String>) -> Self {
        Query {
            inner: self.inner.default_catalog(catalog),
            rt: self.rt,
        }
    }

    /// The schema unqualified table names resolve in.
    pub fn default_schema(self, schema: impl Into<String>) -> Self {
        Query {
            inner: self.inner.default_schema(schema),
            rt: self.rt,
        }
    }

    /// The guards on following a truncated answer; see [`crate::Query::limits`].
    pub fn limits(self, limits: crate::ResultLimits) -> Self {
        Query {
            inner: self.inner.limits(limits),
            rt: self.rt,
        }
    }

    /// Runs the query and returns all of its rows; see [`crate::Query::rows`].
    pub fn rows(self) -> Result<Rows, Error> {
        self.rt.block_on(self.inner.rows())?
    }

    /// The server's first answer as it is; see [`crate::Query::preview`].
    pub fn preview(self) -> Result<Rows, Error> {
        self.rt.block_on(self.inner.preview())?
    }

    /// Starts the query in the background and returns its run at once.
    pub fn submit(self) -> Result<QueryRunHandle, Error> {
        let rt = Arc::clone(self.rt);
        let inner = self.rt.block_on(self.inner.submit())??;
        Ok(QueryRunHandle { inner, rt })
    }

    /// Waits up to `wait` for rows, then hands back the run instead.
    pub fn async_after(self, wait: Duration) -> Result<QueryOutcome, Error> {
        let rt = Arc::clone(self.rt);
        Ok(match self.rt.block_on(self.inner.async_after(wait))?? {
            crate::QueryOutcome::Rows(rows) => QueryOutcome::Rows(rows),
            crate::QueryOutcome::Running(inner) => QueryOutcome::Running(QueryRunHandle { inner, rt }),
        })
    }
}

/// The blocking form of [`crate::SavedQueryExecution`].
#[derive(Debug)]
#[must_use = "a saved query does nothing until run"]
pub struct SavedQueryExecution<'a> {
    inner: crate::SavedQueryExecution<'a>,
    rt: &'a Arc<Runtime>,
}

impl SavedQueryExecution<'_> {
    /// Runs this version of the saved query instead of the newest one.
    pub fn version(self, version: i64) -> Self {
        SavedQueryExecution {
            inner: self.inner.version(version),
            rt: self.rt,
        }
    }

    /// Runs the saved query and returns its rows.
    pub fn rows(self) -> Result<Rows, Error> {
        self.rt.block_on(self.inner.rows())?
    }
}

/// The blocking form of [`crate::ResultRequest`].
#[derive(Debug)]
#[must_use = "a result request does nothing until run"]
pub struct ResultRequest<'a> {
    inner: crate::ResultRequest<'a>,
    rt: &'a Arc<Runtime>,
}

impl<'a> ResultRequest<'a> {
    /// Skips this many rows.
    pub fn offset(self, offset: u64) -> Self {
        ResultRequest {
            inner: self.inner.offset(offset),
            rt: self.rt,
        }
    }

    /// Returns at most this many rows.
    pub fn limit(self, limit: u64) -> Self {
        ResultRequest {
            inner: self.inner.limit(limit),
            rt: self.rt,
        }
    }

    /// How long to wait for a pending result.
    pub fn wait_timeout(self, wait: Duration) -> Self {
        ResultRequest {
            inner: self.inner.wait_timeout(wait),
            rt: self.rt,
        }
    }

    /// The rows (of the slice, when `offset`/`limit` are set).
    pub fn rows(self) -> Result<Rows, Error> {
        self.rt.block_on(self.inner.rows())?
    }

    /// One slice, with the total row count and the next page's link.
    pub fn page(self) -> Result<ResultPage, Error> {
        self.rt.block_on(self.inner.page())?
    }

    /// Every slice, `page_size` rows per request, fetched as iterated.
    pub fn pages(self, page_size: u64) -> Iter<'a, ResultPage> {
        Iter {
            stream: Box::pin(self.inner.pages(page_size)),
            rt: self.rt,
        }
    }

    /// Every row, read from one streamed response as iterated.
    pub fn iter(self) -> Iter<'a, SharedRow> {
        Iter {
            stream: Box::pin(self.inner.stream()),
            rt: self.rt,
        }
    }

    /// Every row as a `T`, mapped by column name, read as iterated.
    pub fn iter_as<T: DeserializeOwned + Send + 'a>(self) -> Iter<'a, T> {
        Iter {
            stream: Box::pin(self.inner.stream_as::<T>()),
            rt: self.rt,
        }
    }

    /// The database the result belongs to; see [`crate::ResultRequest::database`].
    pub fn database(self, database_id: impl Into<String>) -> Self {
        ResultRequest {
            inner: self.inner.database(database_id),
            rt: self.rt,
        }
    }

    /// The guards on [`rows`](Self::rows); see [`crate::ResultRequest::limits`].
    pub fn limits(self, limits: crate::ResultLimits) -> Self {
        ResultRequest {
            inner: self.inner.limits(limits),
            rt: self.rt,
        }
    }

    /// The whole result as Arrow record batches (feature `arrow`).
    #[cfg(feature = "arrow")]
    pub fn arrow_collect(self) -> Result<Vec<arrow_array::RecordBatch>, Error> {
        self.rt.block_on(self.inner.arrow_collect())?
    }
}

/// A blocking iterator over a paged stream: each `next()` may fetch a page.
#[must_use = "iterators are lazy"]
pub struct Iter<'a, T> {
    stream: Pin<Box<dyn Stream<Item = Result<T, Error>> + Send + 'a>>,
    rt: &'a Runtime,
}

impl<T> fmt::Debug for Iter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("blocking::Iter")
    }
}

impl<T: Send> Iterator for Iter<'_, T> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.rt.block_on(self.stream.next()) {
            Ok(item) => item,
            Err(e) => Some(Err(e)),
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
