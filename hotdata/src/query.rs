//! Running SQL: rows inline, in the background, or whichever comes first.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

use crate::client::Client;
use crate::error::{Error, MovedToBackground};
use crate::generated::operations::{EXECUTE_SAVED_QUERY, Operation, QUERY};
use crate::generated::types;
use crate::http;
use crate::rows::{Rows, decode};
use crate::runs::QueryRunHandle;
use crate::transport::{self, DATABASE_HEADER};

const OPERATION: &str = QUERY.id;
/// The smallest `async_after` the API accepts.
pub const MIN_ASYNC_AFTER: Duration = Duration::from_millis(1000);

impl Client {
    /// Starts a SQL query. Await it (or call [`rows`](Query::rows)) for the
    /// rows inline, call [`submit`](Query::submit) to run it in the
    /// background, or [`async_after`](Query::async_after) to wait a while
    /// and then fall back to the background.
    ///
    /// ```no_run
    /// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
    /// let rows = client.query("SELECT id, amount FROM default.public.orders LIMIT 10")
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
    /// Limits the query to one managed database (sent as `X-Database-Id`), so
    /// only its `default` catalog and attached catalogs are visible.
    pub fn database(mut self, database_id: impl Into<String>) -> Self {
        self.database = Some(database_id.into());
        self
    }

    /// The catalog unqualified table names resolve in; needs
    /// [`database`](Query::database).
    pub fn default_catalog(mut self, catalog: impl Into<String>) -> Self {
        self.default_catalog = Some(catalog.into());
        self
    }

    /// The schema unqualified table names resolve in; needs
    /// [`database`](Query::database).
    pub fn default_schema(mut self, schema: impl Into<String>) -> Self {
        self.default_schema = Some(schema.into());
        self
    }

    /// Runs the query and returns its rows inline. Same as awaiting the query.
    ///
    /// When the server moves the query to the background instead (`202`),
    /// this is [`Error::MovedToBackground`], which carries the run's id (and
    /// the database the query was scoped to) to wait on.
    pub async fn rows(self) -> Result<Rows, Error> {
        let database = self
            .database
            .clone()
            .or_else(|| self.client.database_id().map(str::to_owned));
        match self.dispatch(None).await? {
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
                Some(id) => Ok(client.query_run(id)),
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
        self.send(Some(Some(ms))).await
    }

    /// Sends the query: `background` is `None` for a synchronous query, else
    /// `Some(async_after_ms)`.
    async fn send(self, background: Option<Option<i64>>) -> Result<QueryOutcome, Error> {
        let client = self.client;
        Ok(match self.dispatch(background).await? {
            Sent::Rows(rows) => QueryOutcome::Rows(rows),
            Sent::Accepted(accepted) => {
                QueryOutcome::Running(QueryRunHandle::new(client.clone(), accepted.query_run_id))
            }
        })
    }

    /// Sends the query and reads the answer: rows, or the run it went on as.
    async fn dispatch(self, background: Option<Option<i64>>) -> Result<Sent, Error> {
        let body = types::QueryRequest {
            async_: background.map(|_| true),
            async_after_ms: background.flatten().into(),
            database_id: None.into(),
            dialect: crate::nullable::Nullable::Unset,
            default_catalog: self.default_catalog.into(),
            default_schema: self.default_schema.into(),
            sql: self.sql,
        };
        let mut request = self.client.request(&QUERY, &[])?.json(&body);
        if let Some(db) = &self.database {
            request = request.header(DATABASE_HEADER, db);
        }
        let mut response = self.client.execute_ok(OPERATION, request).await?;
        let status_code = response.status();
        if status_code.as_u16() == 202 {
            let headers = std::mem::take(response.headers_mut());
            let body = http::read_body(OPERATION, response).await?;
            let accepted: types::AsyncQueryResponse = transport::decode_slice(OPERATION, status_code, &headers, &body)?;
            return Ok(Sent::Accepted(accepted));
        }
        read_rows(OPERATION, response).await.map(Sent::Rows)
    }
}

/// What the query operation answered.
enum Sent {
    Rows(Rows),
    Accepted(types::AsyncQueryResponse),
}

impl<'a> IntoFuture for Query<'a> {
    type Output = Result<Rows, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<Rows, Error>> + Send + 'a>>;

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
        crate::rows::Decoded { rows: Some(rows), .. } => Ok(rows),
        crate::rows::Decoded { body, .. } => Err(Error::decode(
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
}

impl<'a> SavedQueryExecution<'a> {
    /// Runs this version of the saved query instead of the newest one.
    pub fn version(mut self, version: i64) -> Self {
        self.version = Some(version);
        self
    }

    /// Runs the saved query and returns its rows. Same as awaiting it.
    pub async fn rows(self) -> Result<Rows, Error> {
        let body = types::ExecuteSavedQueryRequest {
            version: self.version.into(),
        };
        let request = self.client.request(SAVED, &[&self.id])?.json(&body);
        let response = self.client.execute_ok(SAVED_OPERATION, request).await?;
        read_rows(SAVED_OPERATION, response).await
    }
}

impl<'a> IntoFuture for SavedQueryExecution<'a> {
    type Output = Result<Rows, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<Rows, Error>> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.rows())
    }
}
