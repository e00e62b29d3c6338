//! Stored results: wait until ready, read as rows, page through, stream.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{Stream, StreamExt as _};
use serde::de::DeserializeOwned;

use crate::client::Client;
use crate::data::rows::{ColumnIndex, Decoded, Meta, Row, Rows, Value, decode};
use crate::flows::follow::{Chunks, ResultLimits};
use crate::generated::operations::{GET_RESULT, headers};
use crate::generated::types::{self, ResultFormat};
use crate::runtime::error::Error;
use crate::runtime::http;
use crate::runtime::transport::DATABASE_HEADER;

pub(crate) const OPERATION: &str = GET_RESULT.id;
/// How long a fetch waits for a pending result unless told otherwise.
pub const DEFAULT_RESULT_WAIT: Duration = Duration::from_secs(300);
/// Rows per request for [`ResultRequest::pages`] and
/// [`ResultRequest::stream`] unless told otherwise.
pub const DEFAULT_PAGE_SIZE: u64 = 10_000;
/// The response header with the row count of the whole stored result.
const TOTAL_ROW_COUNT_HEADER: &str = headers::X_TOTAL_ROW_COUNT;
/// Pause between polls when a pending answer gives no `Retry-After`.
const FIRST_POLL_DELAY: Duration = Duration::from_millis(250);
const MAX_POLL_DELAY: Duration = Duration::from_secs(5);
/// The shortest pause between polls, whatever `Retry-After` says: a server
/// answering `Retry-After: 0` to every poll does not get a busy loop.
const MIN_POLL_DELAY: Duration = Duration::from_millis(25);

impl Client {
    /// A stored result (`GET /v1/results/{id}`), e.g. the
    /// [`result_id`](Rows::result_id) of an earlier query.
    ///
    /// Every read waits while the server answers `202` (result still being
    /// written) or a retryable error, sleeping as long as its `Retry-After`
    /// asks, for up to [`DEFAULT_RESULT_WAIT`]
    /// ([`wait_timeout`](ResultRequest::wait_timeout) changes it; running out
    /// is [`Error::Timeout`], with the last error met as its source). A
    /// result that failed is [`Error::Failed`].
    ///
    /// ```no_run
    /// use futures::TryStreamExt as _;
    /// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
    /// // Small result: all rows at once.
    /// let rows = client.result("res_123").await?;
    /// println!("{} rows", rows.len());
    ///
    /// // Any size: one streamed response, a chunk of rows in memory at a time.
    /// let mut rows = client.result("res_123").stream();
    /// while let Some(row) = rows.try_next().await? {
    ///     println!("{}", row.get::<String>(0)?);
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// The list of stored results is the generated, lazily paged
    /// `client.list_results().stream()` (and `.pages()`).
    pub fn result(&self, id: impl Into<String>) -> ResultRequest<'_> {
        ResultRequest {
            client: self,
            id: id.into(),
            offset: None,
            limit: None,
            wait: DEFAULT_RESULT_WAIT,
            database: None,
            limits: None,
        }
    }
}

/// A stored result being read; see [`Client::result`].
#[derive(Debug, Clone)]
#[must_use = "a result request does nothing until awaited or streamed"]
pub struct ResultRequest<'a> {
    pub(crate) client: &'a Client,
    pub(crate) id: String,
    pub(crate) offset: Option<u64>,
    pub(crate) limit: Option<u64>,
    pub(crate) wait: Duration,
    pub(crate) database: Option<String>,
    pub(crate) limits: Option<ResultLimits>,
}

/// One slice of a stored result, with where the next one is.
#[derive(Debug)]
pub struct ResultPage {
    rows: Rows,
    total_row_count: Option<u64>,
    next: Option<reqwest::Url>,
}

impl ResultPage {
    /// This slice's rows.
    pub fn rows(&self) -> &Rows {
        &self.rows
    }

    /// This slice's rows, owned.
    pub fn into_rows(self) -> Rows {
        self.rows
    }

    /// Rows in the whole stored result (`X-Total-Row-Count`), whatever the
    /// offset and limit of this slice.
    pub fn total_row_count(&self) -> Option<u64> {
        self.total_row_count
    }

    /// The next slice (`Link: <..>; rel="next"`); `None` on the last one.
    pub fn next_url(&self) -> Option<&reqwest::Url> {
        self.next.as_ref()
    }
}

impl<'a> ResultRequest<'a> {
    /// Skip this many leading rows.
    pub fn offset(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }

    /// Return at most this many rows.
    pub fn limit(mut self, limit: u64) -> Self {
        self.limit = Some(limit);
        self
    }

    /// The database the result belongs to (sent as `X-Database-Id`), when it
    /// is not the client's default. The live API finds a result only in the
    /// database its query ran in; rows from [`Client::query`] say which one
    /// ([`Rows::database_id`]).
    pub fn database(mut self, database_id: impl Into<String>) -> Self {
        self.database = Some(database_id.into());
        self
    }

    /// The guards on [`rows`](Self::rows) for this read, instead of the
    /// client's ([`ClientBuilder::result_limits`](crate::ClientBuilder::result_limits)).
    pub fn limits(mut self, limits: ResultLimits) -> Self {
        self.limits = Some(limits);
        self
    }

    /// How long to keep polling a result that is still being written (or
    /// whose reads fail with a retryable error), each poll's request
    /// included: an unanswered poll is abandoned when the time is up.
    /// `Duration::ZERO` sends one request, bounded by the client's own
    /// timeouts, and fails at once with [`Error::Timeout`] when the result is
    /// not ready.
    pub fn wait_timeout(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// The rows (of the slice set by [`offset`](Self::offset) and
    /// [`limit`](Self::limit), else all of them), in one JSON response.
    /// Same as awaiting the request.
    ///
    /// A result too large for the server to send as JSON (`413
    /// RESULT_TOO_LARGE`) is read again in the client's
    /// [`StreamedFormat`](crate::StreamedFormat). The whole result is held
    /// to the [`ResultLimits`] in force: crossing one is
    /// [`Error::TooLarge`]. For a result of any size, use
    /// [`stream`](Self::stream).
    pub async fn rows(self) -> Result<Rows, Error> {
        let whole = self.offset.is_none() && self.limit.is_none();
        let limits = self.limits.unwrap_or_else(|| self.client.result_limits());
        let id = self.id.clone();
        let page = self.page().await?;
        if whole {
            let rows = &page.rows;
            limits.check(OPERATION, &id, rows.len(), rows.text_len(), page.total_row_count)?;
        }
        Ok(page.into_rows())
    }

    /// One JSON slice of rows (set by [`offset`](Self::offset) and
    /// [`limit`](Self::limit)) with the total row count and the next slice's
    /// link. Slices come in no guaranteed order: to read a whole result use
    /// [`rows`](Self::rows) or [`stream`](Self::stream).
    ///
    /// A slice too large for the server to encode as JSON (`413
    /// RESULT_TOO_LARGE`) is read again in a streamed format, with the same
    /// offset and limit, under the guards of [`ResultLimits`].
    pub async fn page(self) -> Result<ResultPage, Error> {
        let database = self.scope()?;
        let (client, id, wait) = (self.client, self.id.clone(), self.wait);
        let query = self.query(None);
        let db = database.as_deref();
        let first = fetch_page(client, &id, wait, &|| {
            Ok(with_scope(client.request(&GET_RESULT, &[&id])?.query(&query), db))
        })
        .await;
        match first {
            Err(Error::Api(e)) if e.status == 413 => {
                tracing::debug!(result = %id, "JSON slice too large; reading it streamed");
                let limits = self.limits.unwrap_or_else(|| client.result_limits());
                let (chunks, total) = self.open_streamed(db, None).await?;
                let meta = Meta {
                    result_id: Some(id.clone()),
                    database_id: database.clone(),
                    ..Meta::default()
                };
                let mut rows = chunks.collect(limits, &id, total, meta).await?;
                rows.meta_mut().total_row_count = total;
                Ok(ResultPage {
                    rows,
                    total_row_count: total,
                    next: None,
                })
            }
            other => other.map(|mut page| {
                page.rows.meta_mut().database_id = database;
                page
            }),
        }
    }

    /// Every JSON slice of the result, `page_size` rows per request,
    /// following each answer's `Link: rel="next"`. For callers that want
    /// pages: the live API returns slices in no guaranteed order, so rows can
    /// repeat or go missing across them. [`stream`](Self::stream) reads the
    /// whole result exactly once.
    #[inline]
    pub fn pages(self, page_size: u64) -> impl Stream<Item = Result<ResultPage, Error>> + Send + Unpin + 'a {
        enum Next {
            First,
            Url(reqwest::Url),
        }
        let client = self.client;
        let id = self.id.clone();
        let wait = self.wait;
        let query = self.query(Some(page_size.max(1)));
        let database = match self.scope() {
            Ok(db) => db,
            Err(e) => return futures::stream::iter([Err(e)]).boxed(),
        };
        futures::stream::try_unfold(Some(Next::First), move |state| {
            let (id, query, database) = (id.clone(), query.clone(), database.clone());
            async move {
                let db = database.as_deref();
                let page = match state {
                    None => return Ok(None),
                    Some(Next::First) => {
                        fetch_page(client, &id, wait, &|| {
                            Ok(with_scope(client.request(&GET_RESULT, &[&id])?.query(&query), db))
                        })
                        .await?
                    }
                    Some(Next::Url(url)) => {
                        fetch_page(client, &id, wait, &|| {
                            Ok(with_scope(request_url(client, OPERATION, &url)?, db))
                        })
                        .await?
                    }
                };
                let next = match &page.next {
                    Some(url) if !page.rows.is_empty() => Some(Next::Url(url.clone())),
                    _ => None,
                };
                Ok(Some((page, next)))
            }
        })
        .boxed()
    }

    /// Every row of the result (or of the slice set by
    /// [`offset`](Self::offset) and [`limit`](Self::limit)), read from one
    /// streamed response and decoded as it arrives: memory holds one chunk
    /// of rows, whatever the result's size.
    ///
    /// The response is in the client's [`StreamedFormat`](crate::StreamedFormat):
    /// an Arrow IPC stream with the `arrow` feature, where every value is
    /// exact, else CSV.
    ///
    /// ```no_run
    /// use futures::TryStreamExt as _;
    /// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
    /// let mut rows = client.result("res_123").database("db_abc").stream();
    /// let mut n = 0u64;
    /// while let Some(row) = rows.try_next().await? {
    ///     n += row.get::<u64>("amount")?;
    /// }
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn stream(self) -> impl Stream<Item = Result<SharedRow, Error>> + Send + Unpin + 'a {
        Box::pin(
            futures::stream::once(async move {
                let database = self.scope()?;
                let (chunks, _) = self.open_streamed(database.as_deref(), None).await?;
                Ok::<_, Error>(chunks.rows())
            })
            .map(|opened| -> futures::stream::BoxStream<'a, Result<SharedRow, Error>> {
                match opened {
                    Ok(rows) => rows.boxed(),
                    Err(e) => futures::stream::iter([Err(e)]).boxed(),
                }
            })
            .flatten(),
        )
    }

    /// Every row as `T` (columns matched to fields by name), as
    /// [`stream`](Self::stream) reads them.
    pub fn stream_as<T: DeserializeOwned + 'a>(self) -> impl Stream<Item = Result<T, Error>> + Send + Unpin + 'a {
        self.stream().map(|row| row.and_then(|row| row.deserialize()))
    }

    /// Writes the result in `format` (CSV, Parquet, Arrow IPC, Markdown or
    /// JSON) to `writer` as its bytes arrive, waiting for a result that is
    /// still being written; memory holds one network chunk. Returns the
    /// bytes written and the server's row count.
    ///
    /// ```no_run
    /// use hotdata::types::ResultFormat;
    /// # async fn run(client: hotdata::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let mut file = tokio::fs::File::create("orders.parquet").await?;
    /// let done = client.result("res_123").download(ResultFormat::Parquet, &mut file).await?;
    /// println!("{} bytes", done.bytes);
    /// # Ok(()) }
    /// ```
    pub async fn download<W>(self, format: ResultFormat, writer: &mut W) -> Result<Download, Error>
    where
        W: tokio::io::AsyncWrite + Unpin + ?Sized,
    {
        use tokio::io::AsyncWriteExt as _;
        if let ResultFormat::Other(other) = &format {
            return Err(Error::invalid_argument(
                OPERATION,
                "format",
                format!("`{}` is not a format this SDK knows", other.as_str()),
            ));
        }
        let database = self.scope()?;
        let response = self.open(database.as_deref(), &format).await?;
        let total_row_count = total_row_count(response.headers());
        let mut body = response.bytes_stream();
        let mut bytes = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| Error::from_reqwest(OPERATION, e))?;
            writer.write_all(&chunk).await.map_err(io_error)?;
            bytes = bytes.saturating_add(u64::try_from(chunk.len()).unwrap_or(u64::MAX));
        }
        writer.flush().await.map_err(io_error)?;
        Ok(Download { bytes, total_row_count })
    }

    /// The database this read goes to; see [`Client::scope`].
    pub(crate) fn scope(&self) -> Result<Option<String>, Error> {
        self.client.scope(OPERATION, self.database.as_deref())
    }

    /// Waits until the result is ready and opens it in `format` (with this
    /// request's offset and limit).
    pub(crate) async fn open(&self, database: Option<&str>, format: &ResultFormat) -> Result<reqwest::Response, Error> {
        let client = self.client;
        let mut query = vec![("format", format.as_str().to_owned())];
        query.extend(self.query(None));
        let accept = media_type(format);
        fetch_ready(client, &self.id, self.wait, &|| {
            let mut request = with_scope(client.request(&GET_RESULT, &[&self.id])?.query(&query), database);
            if let Some(accept) = accept {
                request = request.header(reqwest::header::ACCEPT, accept);
            }
            Ok(request)
        })
        .await
    }

    /// Opens the result in the streamed format of this build and returns its
    /// rows as they will arrive, with the server's total row count.
    pub(crate) async fn open_streamed(
        &self,
        database: Option<&str>,
        hints: Option<&Rows>,
    ) -> Result<(Chunks, Option<u64>), Error> {
        match self.client.streamed_format() {
            #[cfg(feature = "arrow")]
            crate::StreamedFormat::Arrow => {
                let response = self.open(database, &ResultFormat::Arrow).await?;
                let total = total_row_count(response.headers());
                Ok((
                    Chunks::arrow(OPERATION, crate::data::arrow::decode(OPERATION, response)),
                    total,
                ))
            }
            _ => {
                let owned;
                let hints = match hints {
                    Some(rows) => Some(rows),
                    None => {
                        owned = self.hints(database).await?;
                        Some(&owned)
                    }
                };
                let response = self.open(database, &ResultFormat::Csv).await?;
                let total = total_row_count(response.headers());
                Ok((Chunks::csv(OPERATION, response, hints), total))
            }
        }
    }

    /// A few rows of the result as JSON, to learn its column kinds for CSV.
    async fn hints(&self, database: Option<&str>) -> Result<Rows, Error> {
        let (client, id) = (self.client, &self.id);
        let query = [("limit", HINT_ROWS.to_string())];
        let page = fetch_page(client, id, self.wait, &|| {
            Ok(with_scope(client.request(&GET_RESULT, &[id])?.query(&query), database))
        })
        .await?;
        Ok(page.rows)
    }

    /// The query string: offset, and `limit` unless a page size replaces it.
    fn query(&self, page_size: Option<u64>) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        if let Some(o) = self.offset {
            q.push(("offset", o.to_string()));
        }
        if let Some(l) = page_size.or(self.limit) {
            q.push(("limit", l.to_string()));
        }
        q
    }
}

/// Rows of the JSON slice a CSV read learns its column kinds from.
const HINT_ROWS: u64 = 64;

/// What [`ResultRequest::download`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Download {
    /// Bytes written.
    pub bytes: u64,
    /// Rows in the result (`X-Total-Row-Count`), when the server said.
    pub total_row_count: Option<u64>,
}

/// Adds the database header when there is a database.
pub(crate) fn with_scope(request: reqwest::RequestBuilder, database: Option<&str>) -> reqwest::RequestBuilder {
    match database {
        Some(db) => request.header(DATABASE_HEADER, db),
        None => request,
    }
}

/// The media type to ask for `format` in, so a proxy that keys on `Accept`
/// agrees with `?format=`.
fn media_type(format: &ResultFormat) -> Option<&'static str> {
    Some(match format {
        ResultFormat::Arrow => ARROW_STREAM,
        ResultFormat::Csv => "text/csv",
        ResultFormat::Json => "application/json",
        ResultFormat::Md => "text/markdown",
        ResultFormat::Parquet => "application/vnd.apache.parquet",
        _ => return None,
    })
}

/// The media type of an Arrow IPC stream.
pub(crate) const ARROW_STREAM: &str = "application/vnd.apache.arrow.stream";

/// `X-Total-Row-Count`, when present and a number.
pub(crate) fn total_row_count(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    headers
        .get(TOTAL_ROW_COUNT_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// A failure of the caller's writer: a transport error whose source is the
/// `io::Error`, which [`Error::is_retryable`] does not call retryable.
fn io_error(e: std::io::Error) -> Error {
    Error::Transport {
        operation: OPERATION.into(),
        source: Box::new(e),
    }
}

impl<'a> IntoFuture for ResultRequest<'a> {
    type Output = Result<Rows, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<Rows, Error>> + Send + 'a>>;

    #[inline]
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.rows())
    }
}

/// A row of a streamed result. It shares its page with the other rows of
/// that page, so holding it keeps the page alive.
#[derive(Debug, Clone)]
pub struct SharedRow {
    rows: Arc<Rows>,
    index: usize,
}

impl SharedRow {
    pub(crate) fn new(rows: Arc<Rows>, index: usize) -> SharedRow {
        SharedRow { rows, index }
    }

    /// The row, borrowed, with every accessor of [`Row`].
    pub fn row(&self) -> Row<'_> {
        // `index` came from `0..rows.len()`.
        self.rows
            .row(self.index)
            .unwrap_or_else(|| unreachable!("row index within its page"))
    }

    /// The page this row belongs to.
    pub fn page(&self) -> &Rows {
        &self.rows
    }

    /// See [`Row::get`].
    pub fn get<'s, T: serde::Deserialize<'s>>(&'s self, col: impl ColumnIndex) -> Result<T, Error> {
        self.row().get(col)
    }

    /// See [`Row::value`].
    pub fn value(&self, col: impl ColumnIndex) -> Option<Value<'_>> {
        self.row().value(col)
    }

    /// See [`Row::deserialize`].
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, Error> {
        self.row().deserialize()
    }
}

/// Builds one poll's request. A trait object, not a type parameter: the polling loop is then compiled once
/// rather than once for every caller's closure.
pub(crate) type BuildRequest<'a> = dyn Fn() -> Result<reqwest::RequestBuilder, Error> + Send + Sync + 'a;

/// Sends the request built by `build` until the result is ready, waiting
/// out `202` answers and retryable failures for at most `wait`. Each poll
/// (its request and a pending answer's body) is bounded by the time left,
/// so a stalled connection cannot hold the wait past it; the one exception
/// is a zero `wait`, whose single request is bounded by the client's own
/// timeouts. Running out is [`Error::Timeout`] with the last failure a poll
/// met as its source.
pub(crate) async fn fetch_ready(
    client: &Client,
    id: &str,
    wait: Duration,
    build: &BuildRequest<'_>,
) -> Result<reqwest::Response, Error> {
    /// What one poll got.
    enum Polled {
        Ready(reqwest::Response),
        /// `202`, with its `Retry-After` and its (small) body.
        Pending(Option<Duration>, Vec<u8>),
    }
    let started = Instant::now();
    let mut fallback = FIRST_POLL_DELAY;
    let mut last: Option<Error> = None;
    let mut first = true;
    loop {
        let poll = async {
            let response = client.execute_ok(OPERATION, build()?).await?;
            if response.status().as_u16() != 202 {
                return Ok(Polled::Ready(response));
            }
            let hint = crate::runtime::error::retry_after(response.headers(), std::time::SystemTime::now());
            let body = http::read_body(OPERATION, response).await?;
            Ok::<_, Error>(Polled::Pending(hint, body))
        };
        let left = wait.saturating_sub(started.elapsed());
        let polled = if first && wait.is_zero() {
            poll.await
        } else {
            match tokio::time::timeout(left, poll).await {
                Ok(polled) => polled,
                Err(_) => return Err(Error::wait_timeout(OPERATION, started.elapsed(), last)),
            }
        };
        first = false;
        let delay = match polled {
            Ok(Polled::Ready(response)) => return Ok(response),
            Ok(Polled::Pending(hint, body)) => {
                // The pending body may say the result failed.
                if let Ok(pending) = serde_json::from_slice::<types::GetResultResponse>(&body)
                    && pending.status == types::ResultStatus::Failed
                {
                    return Err(Error::failed("result", id, failed_status(), pending.error_message));
                }
                hint.unwrap_or(fallback)
            }
            Err(Error::Api(e)) if e.status == 409 => {
                return Err(Error::failed("result", id, failed_status(), Some(e.message)));
            }
            Err(e) if e.is_retryable() => {
                tracing::debug!(error = %e, result = id, "result poll failed; still waiting");
                let delay = e.retry_after().unwrap_or(fallback);
                last = Some(e);
                delay
            }
            Err(e) => return Err(e),
        };
        let delay = delay.max(MIN_POLL_DELAY);
        fallback = fallback.saturating_mul(2).min(MAX_POLL_DELAY);
        let waited = started.elapsed();
        if waited.saturating_add(delay) > wait {
            return Err(Error::wait_timeout(OPERATION, waited, last));
        }
        tokio::time::sleep(delay).await;
    }
}

/// The status a failed result reports, as the spec spells it.
fn failed_status() -> String {
    types::ResultStatus::Failed.as_str().to_owned()
}

async fn fetch_page(client: &Client, id: &str, wait: Duration, build: &BuildRequest<'_>) -> Result<ResultPage, Error> {
    let response = fetch_ready(client, id, wait, build).await?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let total_row_count = total_row_count(&headers);
    let next = headers
        .get_all(reqwest::header::LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(next_link)
        .map(|link| response.url().join(link))
        .transpose()
        .map_err(|e| {
            Error::decode(
                OPERATION,
                Some(status),
                Some(&headers),
                headers::LINK,
                e.to_string(),
                b"",
            )
        })?;
    let body = http::read_body(OPERATION, response).await?;
    match decode(OPERATION, Some(status), Some(&headers), body)? {
        Decoded { rows: Some(rows), .. } => Ok(ResultPage {
            rows,
            total_row_count,
            next,
        }),
        Decoded {
            status: Some(s),
            error_message,
            ..
        } if s == types::ResultStatus::Failed.as_str() => Err(Error::failed("result", id, s, error_message)),
        Decoded { body, .. } => Err(Error::decode(
            OPERATION,
            Some(status),
            Some(&headers),
            "rows",
            "the result is marked ready but has no `rows`",
            body.as_bytes(),
        )),
    }
}

/// The target of the `rel="next"` entry of an RFC 8288 `Link` header.
pub(crate) fn next_link(header: &str) -> Option<&str> {
    let mut rest = header;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let close = after.find('>')?;
        let target = &after[..close];
        let tail = &after[close + 1..];
        let params = &tail[..tail.find('<').unwrap_or(tail.len())];
        let is_next = params.split(';').any(|p| {
            let Some((name, value)) = p.split_once('=') else {
                return false;
            };
            name.trim().eq_ignore_ascii_case("rel")
                && value
                    .trim()
                    .trim_end_matches(',')
                    .trim()
                    .trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("next"))
        });
        if is_next {
            return Some(target);
        }
        rest = tail;
    }
    None
}

#[cfg(feature = "arrow")]
impl ResultRequest<'_> {
    /// The result as an Arrow IPC stream, decoded batch by batch as the bytes
    /// arrive: peak memory is about one batch, whatever the result's size.
    ///
    /// A result still being written is waited for as with every read (see
    /// [`wait_timeout`](ResultRequest::wait_timeout); `Duration::ZERO` makes
    /// a pending result fail at once with [`Error::Timeout`]).
    ///
    /// ```no_run
    /// use futures::TryStreamExt as _;
    /// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
    /// let mut batches = client.result("res_123").arrow_stream().await?;
    /// while let Some(batch) = batches.try_next().await? {
    ///     println!("{} rows", batch.num_rows());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn arrow_stream(self) -> Result<crate::data::arrow::RecordBatchStream, Error> {
        let database = self.scope()?;
        let response = self.open(database.as_deref(), &ResultFormat::Arrow).await?;
        Ok(crate::data::arrow::decode(OPERATION, response))
    }

    /// Every batch of the result, collected; for results small enough to
    /// hold whole.
    pub async fn arrow_collect(self) -> Result<Vec<arrow_array::RecordBatch>, Error> {
        futures::TryStreamExt::try_collect(self.arrow_stream().await?).await
    }
}

/// Starts a request to an absolute URL the server handed out (a `Link`), but
/// only on the client's own origin: the API key never leaves for another host.
pub(crate) fn request_url(
    client: &Client,
    operation: &'static str,
    url: &reqwest::Url,
) -> Result<reqwest::RequestBuilder, Error> {
    if url.origin() != client.api().inner.base().origin() {
        return Err(Error::CrossOriginLink {
            operation: operation.into(),
            origin: url.origin().ascii_serialization(),
        });
    }
    let http = progenitor_client::ClientInfo::client(client.api());
    Ok(http.get(url.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_headers() {
        assert_eq!(
            next_link(r#"</v1/results/r?offset=10&limit=10>; rel="next""#),
            Some("/v1/results/r?offset=10&limit=10")
        );
        assert_eq!(next_link(r#"<a>; rel="prev", <b>; rel="next""#), Some("b"));
        assert_eq!(next_link(r#"<a>; rel=next"#), Some("a"));
        assert_eq!(next_link(r#"<a>; rel="prev next""#), Some("a"));
        assert_eq!(next_link(r#"<a>; rel="prev""#), None);
        assert_eq!(next_link(""), None);
    }
}
