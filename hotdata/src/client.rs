//! The hand-written client over the generated one: where requests go, who
//! they are sent as, and how they are retried.

use std::fmt;
use std::ops::Deref;
use std::time::Duration;

use crate::config::builder::ClientBuilder;
use crate::flows::follow::{ResultLimits, StreamedFormat};
use crate::flows::runs::{JobHandle, QueryRunHandle};
use crate::generated;
use crate::generated::operations::Operation;
use crate::runtime::error::Error;
use crate::runtime::retry::RetryPolicy;

/// Where the Hotdata API lives unless told otherwise.
pub const DEFAULT_BASE_URL: &str = "https://api.hotdata.dev";

/// The `User-Agent` this SDK sends: `hotdata-rust/<version>`.
pub const USER_AGENT_VALUE: &str = concat!("hotdata-rust/", env!("CARGO_PKG_VERSION"));

/// How long the client the builder makes waits for a connection to open,
/// unless [`ClientBuilder::connect_timeout`] says otherwise.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the client the builder makes waits for the next bytes of a
/// response (its head, or the next chunk of its body) before giving up,
/// unless [`ClientBuilder::read_timeout`] says otherwise. Long enough for a
/// synchronous query that computes for a while before answering; a stalled
/// connection ends after it.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(120);

/// A Hotdata client: configuration plus the generated operations.
///
/// Every operation of the API is a builder method reached through this
/// client once [`prelude`](crate::prelude) is in scope, and `send()` returns
/// a [`crate::Error`] on failure:
///
/// ```no_run
/// use hotdata::prelude::*;
///
/// async fn names(client: &hotdata::Client) -> Result<Vec<String>, hotdata::Error> {
///     let datasets = client.list_datasets().limit(10).send().await?;
///     Ok(datasets.datasets.iter().map(|d| d.label.clone()).collect())
/// }
/// ```
///
/// Cloning is cheap and clones share one connection pool.
#[derive(Clone)]
pub struct Client {
    // Set by `ClientBuilder::build` (config/builder.rs), the only constructor.
    pub(crate) api: generated::Client,
    pub(crate) workspace_id: Option<String>,
    pub(crate) database_id: Option<String>,
    pub(crate) allow_unscoped: bool,
    pub(crate) limits: ResultLimits,
    pub(crate) streamed: StreamedFormat,
    /// Sends the `PUT`s of presigned uploads when set
    /// ([`ClientBuilder::storage_http_client`]); the API's client otherwise.
    pub(crate) storage_http: Option<reqwest::Client>,
}

impl Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from the environment and the CLI's profile file;
    /// see [`ClientBuilder::from_env`].
    ///
    /// ```no_run
    /// let client = hotdata::Client::from_env()?;
    /// # Ok::<(), hotdata::Error>(())
    /// ```
    pub fn from_env() -> Result<Client, Error> {
        ClientBuilder::from_env().build()
    }

    /// The generated client, for every operation as the spec describes it.
    pub fn api(&self) -> &generated::Client {
        &self.api
    }

    /// The base URL requests are sent to (without a trailing `/` or `/v1`).
    pub fn base_url(&self) -> &str {
        progenitor_client::ClientInfo::baseurl(&self.api)
    }

    /// The workspace requests act on, if one was set.
    pub fn workspace_id(&self) -> Option<&str> {
        self.workspace_id.as_deref()
    }

    /// The database queries are scoped to by default, if one was set.
    pub fn database_id(&self) -> Option<&str> {
        self.database_id.as_deref()
    }

    /// The retry policy requests made through this handle use.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.api.inner.retry()
    }

    /// The same client with another retry policy, for the calls made through
    /// the returned handle; the original is unchanged and the connection pool
    /// is shared.
    ///
    /// ```no_run
    /// use hotdata::prelude::*;
    /// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
    /// // Fail fast on this one call.
    /// let jobs = client.with_retry(hotdata::RetryPolicy::none()).list_jobs().send().await?;
    /// # Ok(()) }
    /// ```
    pub fn with_retry(&self, policy: RetryPolicy) -> Client {
        let api = generated::Client::new_with_client(
            self.base_url(),
            self.api.client.clone(),
            self.api.inner.with_retry(policy),
        );
        Client {
            api,
            workspace_id: self.workspace_id.clone(),
            database_id: self.database_id.clone(),
            allow_unscoped: self.allow_unscoped,
            limits: self.limits,
            streamed: self.streamed,
            storage_http: self.storage_http.clone(),
        }
    }

    /// The format whole results are read in; see
    /// [`ClientBuilder::streamed_format`].
    pub fn streamed_format(&self) -> StreamedFormat {
        self.streamed
    }

    /// The guards on reading a whole result into memory that calls made
    /// through this client use unless a call sets its own; see
    /// [`ClientBuilder::result_limits`].
    pub fn result_limits(&self) -> ResultLimits {
        self.limits
    }

    /// Whether queries, result reads and run waits may go out without a
    /// database; see [`ClientBuilder::allow_unscoped`].
    pub fn allows_unscoped(&self) -> bool {
        self.allow_unscoped
    }

    /// The database a scoped call goes to: the call's own, else the
    /// client's default. With neither, an [`Error::InvalidArgument`] that
    /// says how to set one, unless the client allows unscoped calls.
    pub(crate) fn scope(&self, operation: &'static str, per_call: Option<&str>) -> Result<Option<String>, Error> {
        if let Some(db) = per_call.or(self.database_id.as_deref()) {
            return Ok(Some(db.to_owned()));
        }
        if self.allow_unscoped {
            return Ok(None);
        }
        Err(Error::invalid_argument(
            operation,
            "database",
            "no database to scope this call to: pass one with `.database(id)` on the call, set a default with \
             `ClientBuilder::database_id`, the HOTDATA_DATABASE variable or `database` in the CLI profile, or call \
             `ClientBuilder::allow_unscoped(true)` for a server of the May 2026 contract",
        ))
    }

    /// A handle on a query run, by id: poll it, or wait for it to finish.
    /// The id may come from an earlier process.
    ///
    /// ```no_run
    /// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
    /// let run = client.query_run("qr_123").wait().await?;
    /// println!("{:?}", run.result_id);
    /// # Ok(()) }
    /// ```
    pub fn query_run(&self, id: impl Into<String>) -> QueryRunHandle {
        QueryRunHandle::new(self.clone(), id.into())
    }

    /// A handle on a background job, by id: poll it, or wait for it to finish.
    ///
    /// ```no_run
    /// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
    /// let job = client.job("job_123").wait().await?;
    /// println!("{}", job.status);
    /// # Ok(()) }
    /// ```
    pub fn job(&self, id: impl Into<String>) -> JobHandle {
        JobHandle::new(self.clone(), id.into())
    }

    /// A request for the operation `op`, with the method and path template
    /// the spec gives it and `args` as its path parameters (in path order),
    /// on the base URL, built with the shared HTTP client. Send it with
    /// [`execute`](Self::execute). A path parameter that is empty, `.` or
    /// `..` is an [`Error::InvalidArgument`].
    pub(crate) fn request(&self, op: &'static Operation, args: &[&str]) -> Result<reqwest::RequestBuilder, Error> {
        let invalid = |message: String| {
            crate::runtime::send::request_error(op.id, progenitor_client::Error::InvalidRequest(message))
        };
        let method = reqwest::Method::from_bytes(op.method.as_bytes()).map_err(|e| invalid(e.to_string()))?;
        let url = self.api.inner.operation_url(op, args).map_err(invalid)?;
        Ok(self.api.client.request(method, url))
    }

    /// Sends a hand-written request through the same path as the generated
    /// operations: credentials, workspace, user agent, default database (when
    /// `operation` declares `X-Database-Id` in the spec), default timeout,
    /// retries and tracing. Returns the response whatever its status; turn an
    /// error status into an error with [`Error::from_response`].
    pub(crate) async fn execute(
        &self,
        operation: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, Error> {
        let mut request = request.build().map_err(|e| Error::from_reqwest(operation, e))?;
        let transport = &self.api.inner;
        transport.prepare(&mut request, operation);
        transport
            .execute(&self.api.client, operation, request)
            .await
            .map_err(|e| Error::from_reqwest(operation, e))
    }

    /// [`execute`](Self::execute), with an error status turned into
    /// [`Error::Api`].
    pub(crate) async fn execute_ok(
        &self,
        operation: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, Error> {
        let response = self.execute(operation, request).await?;
        if response.status().is_success() {
            Ok(response)
        } else {
            Err(Error::from_response(operation, response).await)
        }
    }
}

impl Deref for Client {
    type Target = generated::Client;

    fn deref(&self) -> &generated::Client {
        &self.api
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url())
            .field("workspace_id", &self.workspace_id)
            .field("database_id", &self.database_id)
            .field("allow_unscoped", &self.allow_unscoped)
            .field("limits", &self.limits)
            .field("retry", &self.retry_policy())
            .field(
                "storage_http",
                &self.storage_http.as_ref().map(|_| "<own reqwest::Client>"),
            )
            .field("api_key", &"<redacted>")
            .finish()
    }
}
