//! Running SQL: all of an answer's rows, a preview, Arrow batches, or a run
//! in the background.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::{Duration, Instant};

use crate::client::Client;
use crate::data::rows::{Rows, decode};
use crate::flows::follow::ResultLimits;
use crate::flows::results::{DEFAULT_RESULT_WAIT, with_scope};
use crate::flows::runs::QueryRunHandle;
use crate::generated::operations::{EXECUTE_SAVED_QUERY, Operation, QUERY};
use crate::generated::types;
use crate::runtime::error::{Error, MovedToBackground};
use crate::runtime::http;
use crate::runtime::send;

const OPERATION: &str = QUERY.id;
/// The smallest `async_after` the API accepts.
pub const MIN_ASYNC_AFTER: Duration = Duration::from_millis(1000);
/// The error code of a `503` that means the answer was too large to send
/// whole and could not be stored either; the query can simply run again.
const PERSISTENCE_UNAVAILABLE: &str = "PERSISTENCE_UNAVAILABLE";

impl Client {
    /// Starts a SQL query. Await it (or call [`rows`](Query::rows)) for all
    /// of its rows, call [`preview`](Query::preview) for the server's
    /// bounded first answer, [`submit`](Query::submit) to run it in the
    /// background, or [`async_after`](Query::async_after) to wait a while
    /// and then fall back to the background.
    ///
    /// The query runs in one database: the call's own
    /// ([`database`](Query::database)), else the client's default
    /// ([`ClientBuilder::database_id`](crate::ClientBuilder::database_id),
    /// `HOTDATA_DATABASE`, the profile's `database`). With neither, the call
    /// is an [`Error::InvalidArgument`] before anything is sent, unless the
    /// client [allows unscoped queries](crate::ClientBuilder::allow_unscoped).
    ///
    /// ```no_run
    /// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
    /// let rows = client.query("SELECT id, amount FROM default.public.orders")
    ///     .database("db_abc123")
    ///     .await?;
    /// for row in &rows {
    ///     println!("{} {}", row.get::<i64>("id")?, row.get::<String>("amount")?);
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// The generated operation is still at `client.api().query()`.
    pub fn query(&self, sql: impl Into<String>) -> Query<'_> {
        Query {
            client: self,
            sql: sql.into(),
            database: None,
            default_catalog: None,
            default_schema: None,
            limits: None,
            result_wait: DEFAULT_RESULT_WAIT,
        }
    }
}

/// A SQL query being configured; see [`Client::query`].
#[derive(Debug, Clone)]
#[must_use = "a query does nothing until awaited or sent"]
pub struct Query<'a> {
    client: &'a Client,
    sql: String,
    database: Option<String>,
    default_catalog: Option<String>,
    default_schema: Option<String>,
    limits: Option<ResultLimits>,
    result_wait: Duration,
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
    /// Runs the query in this managed database (sent as `X-Database-Id`)
    /// instead of the client's default: only its `default` catalog and the
    /// catalogs attached to it are visible. Reads that follow the query (its
    /// stored result, its run) go to the same database.
    pub fn database(mut self, database_id: impl Into<String>) -> Self {
        self.database = Some(database_id.into());
        self
    }

    /// The catalog unqualified table names resolve in.
    pub fn default_catalog(mut self, catalog: impl Into<String>) -> Self {
        self.default_catalog = Some(catalog.into());
        self
    }

    /// The schema unqualified table names resolve in.
    pub fn default_schema(mut self, schema: impl Into<String>) -> Self {
        self.default_schema = Some(schema.into());
        self
    }

    /// The guards on following a truncated answer for this call, instead of
    /// the client's ([`ClientBuilder::result_limits`](crate::ClientBuilder::result_limits)).
    ///
    /// ```no_run
    /// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
    /// let all = client.query("SELECT * FROM events")
    ///     .limits(hotdata::ResultLimits::default().max_rows(20_000_000).max_bytes(None))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn limits(mut self, limits: ResultLimits) -> Self {
        self.limits = Some(limits);
        self
    }

    /// How long following a truncated answer waits for its stored result to
    /// be written ([`DEFAULT_RESULT_WAIT`] unless set).
    pub fn result_wait(mut self, wait: Duration) -> Self {
        self.result_wait = wait;
        self
    }

    /// Runs the query and returns all of its rows. Same as awaiting the query.
    ///
    /// An answer too large to send whole comes back as a truncated preview
    /// with the id of its stored result; this reads that result in one
    /// streamed response (Arrow with the `arrow` feature, else CSV), waiting
    /// while it is still being written, and returns every row. The read is
    /// held to the [`ResultLimits`] in force: crossing one is
    /// [`Error::TooLarge`], never part of the rows.
    ///
    /// A `503 PERSISTENCE_UNAVAILABLE` (the answer could be neither sent
    /// whole nor stored) is retried under the client's retry policy.
    ///
    /// When the server moves the query to the background instead (`202`),
    /// this is [`Error::MovedToBackground`], which carries the run's id and
    /// the database the query was scoped to.
    pub async fn rows(self) -> Result<Rows, Error> {
        let client = self.client;
        let limits = self.limits.unwrap_or_else(|| client.result_limits());
        let wait = self.result_wait;
        let rows = self.preview().await?;
        if !rows.is_truncated() {
            return Ok(rows);
        }
        follow(client, rows, limits, wait).await
    }

    /// Runs the query and returns the server's first answer as it is: all
    /// the rows when they fit, else a bounded preview with
    /// [`is_truncated`](Rows::is_truncated), the
    /// [`total_row_count`](Rows::total_row_count) when already known, and the
    /// [`result_id`](Rows::result_id) to read the rest from.
    ///
    /// ```no_run
    /// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
    /// let first = client.query("SELECT * FROM events").preview().await?;
    /// if first.is_truncated() {
    ///     println!("{} of {:?} rows", first.len(), first.total_row_count());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn preview(self) -> Result<Rows, Error> {
        let database = self.client.scope(OPERATION, self.database.as_deref())?;
        match self.dispatch(None, database.as_deref()).await? {
            Sent::Rows(rows) => Ok(rows),
            Sent::Accepted(accepted) => Err(Error::MovedToBackground(Box::new(MovedToBackground {
                operation: OPERATION.into(),
                run_id: accepted.query_run_id,
                result_id: None,
                database_id: database,
                reason: accepted.reason,
            }))),
        }
    }

    /// Runs the query and returns its answer as Arrow record batches,
    /// decoded off the socket as they arrive (feature `arrow`).
    ///
    /// The query is sent with `Accept: application/vnd.apache.arrow.stream`.
    /// An answer that fits comes back as the stream itself, with the run id,
    /// result id, row count and execution time from the response headers.
    /// One too large to send inline (`202`) is read from its stored result
    /// in Arrow, in the query's database, waiting while it is written; so is
    /// a JSON answer from a server that does not send Arrow. Either way the
    /// batches hold every row, in constant memory.
    ///
    /// ```no_run
    /// use futures::TryStreamExt as _;
    /// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
    /// let mut answer = client.query("SELECT * FROM events").database("db_1").arrow().await?;
    /// println!("run {:?}, {:?} rows", answer.query_run_id(), answer.total_row_count());
    /// while let Some(batch) = answer.try_next().await? {
    ///     println!("{} rows", batch.num_rows());
    /// }
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "arrow")]
    pub async fn arrow(self) -> Result<crate::data::arrow::ArrowAnswer, Error> {
        use crate::flows::results::ARROW_STREAM;
        use crate::generated::operations::headers;
        let client = self.client;
        let database = client.scope(OPERATION, self.database.as_deref())?;
        let wait = self.result_wait;
        let body = self.body(None);
        let db = database.as_deref();
        let response = send_retrying_persistence(client, || {
            Ok(with_scope(client.request(&QUERY, &[])?.json(&body), db).header(reqwest::header::ACCEPT, ARROW_STREAM))
        })
        .await?;
        let text = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.trim().to_owned())
        };
        let is_arrow = text(reqwest::header::CONTENT_TYPE.as_str())
            .is_some_and(|t| t.to_ascii_lowercase().starts_with(ARROW_STREAM));
        let status = response.status().as_u16();
        if status == 200 && is_arrow {
            let answer = crate::data::arrow::ArrowAnswer {
                query_run_id: text(headers::X_QUERY_RUN_ID),
                result_id: text(headers::X_RESULT_ID),
                total_row_count: crate::flows::results::total_row_count(response.headers()),
                execution_time_ms: text(headers::X_EXECUTION_TIME_MS).and_then(|v| v.parse().ok()),
                warning: text(headers::X_QUERY_WARNING),
                database_id: database,
                batches: crate::data::arrow::decode(OPERATION, response),
            };
            return Ok(answer);
        }
        // Not the stream itself: read the stored result instead.
        let (run_id, result_id, warning) = if status == 202 {
            let result_id = text(headers::X_RESULT_ID);
            let accepted = read_accepted(response).await?;
            (Some(accepted.query_run_id), result_id, None)
        } else {
            let rows = read_rows(OPERATION, response).await?;
            (
                rows.query_run_id().map(str::to_owned),
                rows.result_id().map(str::to_owned),
                rows.warning().map(str::to_owned),
            )
        };
        let result_id = match (result_id, &run_id) {
            (Some(id), _) => id,
            (None, Some(run)) => {
                let info = QueryRunHandle::scoped(client.clone(), run.clone(), database.clone())
                    .wait()
                    .await?;
                info.result_id.ok_or_else(|| {
                    Error::decode(
                        OPERATION,
                        Some(status),
                        None,
                        "result_id",
                        "the run names no stored result",
                        b"",
                    )
                })?
            }
            (None, None) => {
                return Err(Error::decode(
                    OPERATION,
                    Some(status),
                    None,
                    "result_id",
                    "the server answered without Arrow and stored no result to read as Arrow",
                    b"",
                ));
            }
        };
        let mut request = client.result(result_id.clone()).wait_timeout(wait);
        request.database = database.clone();
        let response = request.open(database.as_deref(), &types::ResultFormat::Arrow).await?;
        Ok(crate::data::arrow::ArrowAnswer {
            query_run_id: run_id,
            result_id: Some(result_id),
            total_row_count: crate::flows::results::total_row_count(response.headers()),
            execution_time_ms: None,
            warning,
            database_id: database,
            batches: crate::data::arrow::decode(crate::flows::results::OPERATION, response),
        })
    }

    /// Starts the query in the background and returns its run at once.
    ///
    /// ```no_run
    /// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
    /// let run = client.query("SELECT * FROM big_table").submit().await?;
    /// println!("running as {}", run.id());
    /// # Ok(()) }
    /// ```
    pub async fn submit(self) -> Result<QueryRunHandle, Error> {
        let client = self.client.clone();
        match self.send(Some(None)).await? {
            QueryOutcome::Running(run) => Ok(run),
            // Finished before the server answered; the run exists all the same.
            QueryOutcome::Rows(rows) => match rows.query_run_id() {
                Some(id) => Ok(QueryRunHandle::scoped(
                    client,
                    id.to_owned(),
                    rows.database_id().map(str::to_owned),
                )),
                None => Err(Error::decode(
                    OPERATION,
                    Some(200),
                    None,
                    "query_run_id",
                    "the response names no query run",
                    b"",
                )),
            },
        }
    }

    /// Waits up to `wait` for the rows, then lets the query go on in the
    /// background. `wait` must be at least one second
    /// ([`MIN_ASYNC_AFTER`]); a shorter one is refused before anything is sent.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use hotdata::QueryOutcome;
    /// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
    /// match client.query("SELECT * FROM orders").async_after(Duration::from_secs(3)).await? {
    ///     QueryOutcome::Rows(rows) => println!("{} rows", rows.len()),
    ///     QueryOutcome::Running(run) => println!("still running as {}", run.id()),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn async_after(self, wait: Duration) -> Result<QueryOutcome, Error> {
        if wait < MIN_ASYNC_AFTER {
            return Err(Error::invalid_argument(
                OPERATION,
                "async_after",
                format!("must be at least 1000 ms, got {} ms", wait.as_millis()),
            ));
        }
        let ms = i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
        let client = self.client;
        let limits = self.limits.unwrap_or_else(|| client.result_limits());
        let result_wait = self.result_wait;
        match self.send(Some(Some(ms))).await? {
            QueryOutcome::Rows(rows) if rows.is_truncated() => {
                follow(client, rows, limits, result_wait).await.map(QueryOutcome::Rows)
            }
            other => Ok(other),
        }
    }

    /// Sends the query: `background` is `None` for a synchronous query, else
    /// `Some(async_after_ms)`.
    async fn send(self, background: Option<Option<i64>>) -> Result<QueryOutcome, Error> {
        let client = self.client;
        let database = client.scope(OPERATION, self.database.as_deref())?;
        Ok(match self.dispatch(background, database.as_deref()).await? {
            Sent::Rows(rows) => QueryOutcome::Rows(rows),
            Sent::Accepted(accepted) => {
                QueryOutcome::Running(QueryRunHandle::scoped(client.clone(), accepted.query_run_id, database))
            }
        })
    }

    fn body(&self, background: Option<Option<i64>>) -> types::QueryRequest {
        types::QueryRequest {
            async_: background.map(|_| true),
            async_after_ms: background.flatten().into(),
            database_id: None.into(),
            dialect: crate::Nullable::Unset,
            default_catalog: self.default_catalog.clone().into(),
            default_schema: self.default_schema.clone().into(),
            sql: self.sql.clone(),
        }
    }

    /// Sends the query and reads the answer: rows, or the run it went on as.
    /// A `503 PERSISTENCE_UNAVAILABLE` is sent again, as the retry policy allows.
    async fn dispatch(self, background: Option<Option<i64>>, database: Option<&str>) -> Result<Sent, Error> {
        let body = self.body(background);
        let client = self.client;
        let response = send_retrying_persistence(client, || {
            Ok(with_scope(client.request(&QUERY, &[])?.json(&body), database))
        })
        .await?;
        let status_code = response.status();
        if status_code.as_u16() == 202 {
            let accepted = read_accepted(response).await?;
            return Ok(Sent::Accepted(accepted));
        }
        let mut rows = read_rows(OPERATION, response).await?;
        let len = u64::try_from(rows.len()).unwrap_or(u64::MAX);
        let meta = rows.meta_mut();
        meta.database_id = database.map(str::to_owned);
        if meta.truncated != Some(true) && meta.total_row_count.is_none() {
            meta.total_row_count = Some(len);
        }
        Ok(Sent::Rows(rows))
    }
}

/// Reads a `202` answer's ticket.
async fn read_accepted(mut response: reqwest::Response) -> Result<types::AsyncQueryResponse, Error> {
    let status_code = response.status();
    let headers = std::mem::take(response.headers_mut());
    let body = http::read_body(OPERATION, response).await?;
    send::decode_slice(OPERATION, status_code, &headers, &body)
}

/// Sends the request `build` makes; a `503` whose code is
/// `PERSISTENCE_UNAVAILABLE` is sent again after its `Retry-After` (else the
/// policy's backoff), within the client's retry policy.
async fn send_retrying_persistence(
    client: &Client,
    build: impl Fn() -> Result<reqwest::RequestBuilder, Error>,
) -> Result<reqwest::Response, Error> {
    let policy = client.retry_policy();
    let started = Instant::now();
    let mut attempt: u32 = 1;
    loop {
        match client.execute_ok(OPERATION, build()?).await {
            Err(Error::Api(e))
                if e.status == 503
                    && e.code.as_deref() == Some(PERSISTENCE_UNAVAILABLE)
                    && attempt < policy.get_max_attempts() =>
            {
                let wait = e.retry_after.unwrap_or_else(|| policy.backoff(attempt));
                if started.elapsed().saturating_add(wait) > policy.get_max_elapsed() {
                    return Err(Error::Api(e));
                }
                tracing::debug!(
                    wait_ms = wait.as_millis() as u64,
                    "answer could not be stored; running the query again"
                );
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Reads a truncated preview's stored result in full, under `limits`.
async fn follow(client: &Client, preview: Rows, limits: ResultLimits, wait: Duration) -> Result<Rows, Error> {
    let Some(result_id) = preview.result_id().map(str::to_owned) else {
        return Err(Error::decode(
            OPERATION,
            Some(200),
            None,
            "result_id",
            "the answer is a truncated preview but names no stored result to read the rest from",
            b"",
        ));
    };
    limits.check_total(OPERATION, &result_id, preview.total_row_count())?;
    let database = preview.database_id().map(str::to_owned);
    let mut request = client.result(result_id.clone()).wait_timeout(wait);
    request.database = database.clone();
    tracing::debug!(result = %result_id, preview = preview.len(), "answer truncated; reading the stored result");
    let (chunks, total) = request.open_streamed(database.as_deref(), Some(&preview)).await?;
    limits.check_total(OPERATION, &result_id, total)?;
    let meta = preview.meta().clone();
    drop(preview);
    chunks.collect(limits, &result_id, total, meta).await
}

/// What the query operation answered.
enum Sent {
    Rows(Rows),
    Accepted(types::AsyncQueryResponse),
}

impl<'a> IntoFuture for Query<'a> {
    type Output = Result<Rows, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<Rows, Error>> + Send + 'a>>;

    #[inline]
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.rows())
    }
}

/// Reads a `QueryResponse` body into lossless [`Rows`].
async fn read_rows(operation: &'static str, mut response: reqwest::Response) -> Result<Rows, Error> {
    let status = response.status().as_u16();
    let headers = std::mem::take(response.headers_mut());
    let body = http::read_body(operation, response).await?;
    match decode(operation, Some(status), Some(&headers), body)? {
        crate::data::rows::Decoded { rows: Some(rows), .. } => Ok(rows),
        crate::data::rows::Decoded { body, .. } => Err(Error::decode(
            operation,
            Some(status),
            Some(&headers),
            "rows",
            "the response has no `rows`",
            body.as_bytes(),
        )),
    }
}

const SAVED: &Operation = &EXECUTE_SAVED_QUERY;
const SAVED_OPERATION: &str = SAVED.id;

impl Client {
    /// Runs a saved query's SQL and returns its rows, as exactly as
    /// [`query`](Client::query) does: its newest version, unless
    /// [`version`](SavedQueryExecution::version) names an earlier one.
    ///
    /// ```no_run
    /// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
    /// let rows = client.execute_saved_query("sq_abc123").await?;
    /// let first = client.execute_saved_query("sq_abc123").version(1).await?;
    /// println!("{} rows now, {} in version 1", rows.len(), first.len());
    /// # Ok(()) }
    /// ```
    ///
    /// The generated operation, which decodes cells as `serde_json::Value`
    /// (rounding large numbers), is still at `client.api().execute_saved_query()`.
    pub fn execute_saved_query(&self, id: impl Into<String>) -> SavedQueryExecution<'_> {
        SavedQueryExecution {
            client: self,
            id: id.into(),
            version: None,
            database: None,
            limits: None,
        }
    }
}

/// A saved query about to run; see [`Client::execute_saved_query`]. Await it
/// (or call [`rows`](SavedQueryExecution::rows)) to run it.
#[derive(Debug, Clone)]
#[must_use = "a saved query does nothing until awaited"]
pub struct SavedQueryExecution<'a> {
    client: &'a Client,
    id: String,
    version: Option<i64>,
    database: Option<String>,
    limits: Option<ResultLimits>,
}

impl<'a> SavedQueryExecution<'a> {
    /// Runs this version of the saved query instead of the newest one.
    pub fn version(mut self, version: i64) -> Self {
        self.version = Some(version);
        self
    }

    /// Runs the saved query in this database instead of the client's
    /// default; see [`Query::database`].
    pub fn database(mut self, database_id: impl Into<String>) -> Self {
        self.database = Some(database_id.into());
        self
    }

    /// The guards on following a truncated answer; see [`Query::limits`].
    pub fn limits(mut self, limits: ResultLimits) -> Self {
        self.limits = Some(limits);
        self
    }

    /// Runs the saved query and returns all of its rows, following a
    /// truncated answer as [`Query::rows`] does. Same as awaiting it.
    pub async fn rows(self) -> Result<Rows, Error> {
        let client = self.client;
        let database = client.scope(SAVED_OPERATION, self.database.as_deref())?;
        let limits = self.limits.unwrap_or_else(|| client.result_limits());
        let body = types::ExecuteSavedQueryRequest {
            version: self.version.into(),
        };
        let request = with_scope(client.request(SAVED, &[&self.id])?.json(&body), database.as_deref());
        let response = client.execute_ok(SAVED_OPERATION, request).await?;
        let mut rows = read_rows(SAVED_OPERATION, response).await?;
        rows.meta_mut().database_id = database;
        if rows.is_truncated() {
            return follow(client, rows, limits, DEFAULT_RESULT_WAIT).await;
        }
        Ok(rows)
    }
}

impl<'a> IntoFuture for SavedQueryExecution<'a> {
    type Output = Result<Rows, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<Rows, Error>> + Send + 'a>>;

    #[inline]
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.rows())
    }
}
