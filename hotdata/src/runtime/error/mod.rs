//! The crate's one error type; `response` reads it out of error responses.
//!
//! Every fallible call in the hand-written layer returns [`Error`]. It says
//! which operation failed and carries what the server said: status, error
//! code, message, the request id to quote to support, `Retry-After`, and a
//! short excerpt of the body. The API key never appears in any of it.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use reqwest::header::HeaderMap;

mod response;

pub use response::MAX_RETRY_AFTER;
pub(crate) use response::{excerpt, request_id, retry_after};

/// How many bytes of a response body an error keeps, at most.
pub const BODY_EXCERPT_LIMIT: usize = 512;

/// The response headers that may carry a request or trace id, in the order
/// they are consulted: the one the spec declares, then those proxies and
/// tracing add.
pub const REQUEST_ID_HEADERS: [&str; 4] = [
    crate::generated::operations::headers::X_REQUEST_ID,
    "x-trace-id",
    "x-amzn-requestid",
    "traceparent",
];

/// Everything that can go wrong in this crate.
///
/// Match on the variant for the kind of failure, or use the accessors
/// ([`status`](Error::status), [`request_id`](Error::request_id),
/// [`retry_after`](Error::retry_after), ...) that work on all of them.
///
/// ```
/// let err = hotdata::Client::builder().build().unwrap_err();
/// assert!(matches!(err, hotdata::Error::Config { .. }));
/// assert_eq!(err.status(), None);
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with an error status.
    Api(Box<ApiError>),
    /// The request, or a wait for a run, result or job, ran out of time.
    Timeout {
        /// The operation that timed out.
        operation: Cow<'static, str>,
        /// How long was waited, when known.
        after: Option<Duration>,
        /// What kept it from finishing, when known: for a wait, the last
        /// error its polls met (a `503`, a refused connection) before the
        /// deadline passed; for a request, the transport's timeout error.
        /// Also what [`std::error::Error::source`] returns.
        source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    },
    /// The request could not be sent or its response could not be read
    /// (connection refused or reset, TLS, DNS, a body cut short).
    /// [`is_retryable`](Error::is_retryable) tells the failures that may pass
    /// (refused, reset) from those that will not (DNS, TLS).
    Transport {
        /// The operation that failed.
        operation: Cow<'static, str>,
        /// The underlying failure.
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// A response arrived but its body is not what the spec promises.
    Decode(Box<DecodeError>),
    /// An argument was refused before anything was sent.
    InvalidArgument {
        /// The operation the argument was for.
        operation: Cow<'static, str>,
        /// The argument's name.
        argument: Cow<'static, str>,
        /// What is wrong with it and what is accepted.
        message: String,
    },
    /// A query run, result or job finished, but in failure.
    Failed(Box<Failure>),
    /// The client configuration is incomplete or invalid; nothing was sent.
    Config {
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The HTTP request could not be built (reqwest refused a header value
    /// or the URL); nothing was sent, and sending it again cannot help.
    RequestBuild {
        /// The operation the request was for.
        operation: Cow<'static, str>,
        /// What reqwest said.
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// A next-page `Link` pointed at another origin than the client's base
    /// URL. It was not followed, so the API key never left for that host.
    CrossOriginLink {
        /// The operation whose response carried the link.
        operation: Cow<'static, str>,
        /// The origin the link pointed at (`https://elsewhere.example`).
        origin: String,
    },
    /// Rows were asked for, but the server moved the query to the
    /// background (`202`). The query goes on: wait for its run with
    /// [`Client::query_run`](crate::Client::query_run) and the
    /// [`run_id`](MovedToBackground::run_id) this error carries.
    MovedToBackground(Box<MovedToBackground>),
    /// A run or job reported a status this version of the SDK does not
    /// know. The wait stops instead of polling until its deadline: the status
    /// may be final, and only a newer SDK can tell. The raw status is in
    /// [`Failure::status`]; read the run or job again for its full state.
    UnknownStatus(Box<Failure>),
    /// Reading a whole result into memory stopped at a guard on its rows or
    /// bytes ([`ResultLimits`](crate::ResultLimits)). Nothing partial is
    /// returned: raise the guard for this call or the client, or stream the
    /// result instead.
    TooLarge(Box<TooLarge>),
    /// The [`BearerProvider`](crate::BearerProvider) failed, or returned a
    /// token that cannot be sent, so the attempt it was asked for was never
    /// sent. Not retried: the provider decides itself whether to try again
    /// before giving up. The source is the provider's own error (a token
    /// the provider puts into its own error message is the one thing this
    /// crate cannot keep out of the text).
    Credentials {
        /// The operation the token was for.
        operation: Cow<'static, str>,
        /// What the provider returned instead of a token.
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
}

/// Which guard of [`ResultLimits`](crate::ResultLimits) a read crossed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Guard {
    /// [`ResultLimits::max_rows`](crate::ResultLimits::max_rows).
    Rows,
    /// [`ResultLimits::max_bytes`](crate::ResultLimits::max_bytes).
    Bytes,
}

impl fmt::Display for Guard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Guard::Rows => "max_rows",
            Guard::Bytes => "max_bytes",
        })
    }
}

/// A result too large for the guard it met; see [`Error::TooLarge`].
///
/// ```
/// # fn check(err: hotdata::Error) {
/// if let hotdata::Error::TooLarge(big) = &err {
///     eprintln!("{} stopped at {} (limit {}); {:?} rows in all",
///         big.guard, big.reached, big.limit, big.total_row_count);
/// }
/// # }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TooLarge {
    /// The operation that was reading.
    pub operation: Cow<'static, str>,
    /// The stored result being read, when it has an id.
    pub result_id: Option<String>,
    /// The guard that stopped the read.
    pub guard: Guard,
    /// The guard's value.
    pub limit: u64,
    /// What the read had reached when it stopped (rows or bytes, by
    /// [`guard`](Self::guard)); over `limit`, or the server's announced total.
    pub reached: u64,
    /// Rows in the whole result, when the server said.
    pub total_row_count: Option<u64>,
}

impl fmt::Display for TooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.guard {
            Guard::Rows => "rows",
            Guard::Bytes => "bytes",
        };
        write!(f, "{}: ", self.operation)?;
        match &self.result_id {
            Some(id) => write!(f, "result {id}")?,
            None => f.write_str("the result")?,
        }
        write!(
            f,
            " is larger than {} allows: {} {what} reached, the limit is {}",
            self.guard, self.reached, self.limit
        )?;
        if let Some(total) = self.total_row_count {
            write!(f, " ({total} rows in all)")?;
        }
        f.write_str("; raise the limit for this call or the client (ResultLimits), or stream the result")
    }
}

/// A query the server moved to the background; see
/// [`Error::MovedToBackground`].
///
/// ```no_run
/// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
/// let rows = match client.query("SELECT * FROM big_table").rows().await {
///     Ok(rows) => rows,
///     Err(hotdata::Error::MovedToBackground(moved)) => {
///         let run = client.query_run(moved.run_id.clone()).wait().await?;
///         client.result(run.result_id.unwrap_or_default()).await?
///     }
///     Err(e) => return Err(e),
/// };
/// # let _ = rows;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MovedToBackground {
    /// The operation that was answered `202` (`query`).
    pub operation: Cow<'static, str>,
    /// The query run that goes on in the background.
    pub run_id: String,
    /// The stored result the run writes, when the answer named it.
    pub result_id: Option<String>,
    /// The database the query was scoped to, when it was scoped: a wait on
    /// the run and a read of its result need the same scope.
    pub database_id: Option<String>,
    /// Why the server moved the query, when it said.
    pub reason: Option<String>,
}

/// An error status from the server, with everything it said about it.
///
/// ```
/// use reqwest::header::HeaderMap;
/// let mut headers = HeaderMap::new();
/// headers.insert("x-request-id", "req_42".parse().unwrap());
/// let body = br#"{"error":{"code":"NOT_FOUND","message":"no dataset ds_1"}}"#;
/// let err = hotdata::ApiError::from_parts("get_dataset", 404, &headers, body);
/// assert_eq!(err.code.as_deref(), Some("NOT_FOUND"));
/// assert_eq!(err.message, "no dataset ds_1");
/// assert_eq!(err.request_id.as_deref(), Some("req_42"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// The operation id, as in the spec (`get_dataset`).
    pub operation: Cow<'static, str>,
    /// The HTTP status.
    pub status: u16,
    /// The machine-readable error code, when the body has one (`NOT_FOUND`).
    pub code: Option<String>,
    /// The human-readable message; the status text when the body has none.
    pub message: String,
    /// The request or trace id from the response headers.
    pub request_id: Option<String>,
    /// How long the server asked the client to wait, from `Retry-After`.
    pub retry_after: Option<Duration>,
    /// The start of the body, at most [`BODY_EXCERPT_LIMIT`] bytes, lossily
    /// decoded as UTF-8.
    pub body_excerpt: String,
}

/// A response body that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeError {
    /// The operation whose response it was.
    pub operation: Cow<'static, str>,
    /// The HTTP status of the response, when known.
    pub status: Option<u16>,
    /// Where in the body decoding failed, as a path (`rows[3][1]`, `columns`);
    /// empty when the failure is at the top.
    pub path: String,
    /// What went wrong.
    pub message: String,
    /// The request or trace id from the response headers.
    pub request_id: Option<String>,
    /// The start of the body, at most [`BODY_EXCERPT_LIMIT`] bytes.
    pub body_excerpt: String,
}

/// A query run, result or job that reached a failed state, or (in
/// [`Error::UnknownStatus`]) a status this SDK does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Failure {
    /// What failed: `"query run"`, `"result"` or `"job"`.
    pub kind: &'static str,
    /// Its id.
    pub id: String,
    /// The status it ended in, as the server spelled it.
    pub status: String,
    /// The server's explanation, when it gave one.
    pub message: Option<String>,
}

// Some constructors serve layers (transport, waits) still being built.
#[allow(dead_code)]
impl Error {
    /// A configuration error; nothing was sent.
    pub(crate) fn config(message: impl Into<String>) -> Self {
        Error::Config {
            message: message.into(),
        }
    }

    /// An argument refused before sending.
    pub(crate) fn invalid_argument(
        operation: impl Into<Cow<'static, str>>,
        argument: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Error::InvalidArgument {
            operation: operation.into(),
            argument: argument.into(),
            message: message.into(),
        }
    }

    /// Classifies a `reqwest` failure: a request that could not be built
    /// becomes [`Error::RequestBuild`], timeouts [`Error::Timeout`], the rest
    /// [`Error::Transport`].
    pub(crate) fn from_reqwest(operation: impl Into<Cow<'static, str>>, err: reqwest::Error) -> Self {
        let operation = operation.into();
        if let Some(source) = crate::runtime::credentials::take_carried(&err) {
            return Error::Credentials { operation, source };
        }
        // Strip the URL: it never holds the key, but it may hold ids the
        // caller would rather keep out of logs, and it adds nothing the
        // operation name doesn't say.
        if err.is_builder() {
            return Error::RequestBuild {
                operation,
                source: Box::new(err.without_url()),
            };
        }
        if err.is_timeout() {
            return Error::Timeout {
                operation,
                after: None,
                source: Some(Box::new(err.without_url())),
            };
        }
        Error::Transport {
            operation,
            source: Box::new(err.without_url()),
        }
    }

    /// A wait that passed its deadline; `last` is the last error its polls
    /// met, kept as the source.
    pub(crate) fn wait_timeout(operation: impl Into<Cow<'static, str>>, after: Duration, last: Option<Error>) -> Self {
        Error::Timeout {
            operation: operation.into(),
            after: Some(after),
            source: last.map(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>),
        }
    }

    /// A body that did not decode; `path` says where.
    pub(crate) fn decode(
        operation: impl Into<Cow<'static, str>>,
        status: Option<u16>,
        headers: Option<&HeaderMap>,
        path: impl Into<String>,
        message: impl Into<String>,
        body: &[u8],
    ) -> Self {
        Error::Decode(Box::new(DecodeError {
            operation: operation.into(),
            status,
            path: path.into(),
            message: message.into(),
            request_id: headers.and_then(request_id),
            body_excerpt: excerpt(body),
        }))
    }

    /// A run, result or job that ended in failure.
    pub(crate) fn failed(
        kind: &'static str,
        id: impl Into<String>,
        status: impl Into<String>,
        message: Option<String>,
    ) -> Self {
        Error::Failed(Box::new(Failure {
            kind,
            id: id.into(),
            status: status.into(),
            message,
        }))
    }

    /// The operation that failed, when the error is tied to one.
    pub fn operation(&self) -> Option<&str> {
        match self {
            Error::Api(e) => Some(&e.operation),
            Error::Decode(e) => Some(&e.operation),
            Error::MovedToBackground(e) => Some(&e.operation),
            Error::TooLarge(e) => Some(&e.operation),
            Error::Timeout { operation, .. }
            | Error::Transport { operation, .. }
            | Error::InvalidArgument { operation, .. }
            | Error::RequestBuild { operation, .. }
            | Error::Credentials { operation, .. }
            | Error::CrossOriginLink { operation, .. } => Some(operation),
            Error::Failed(_) | Error::UnknownStatus(_) | Error::Config { .. } => None,
        }
    }

    /// The HTTP status the server answered with, when it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::Decode(e) => e.status,
            // Answered `202 Accepted`: the run goes on.
            Error::MovedToBackground(_) => Some(202),
            _ => None,
        }
    }

    /// The server's error code (`NOT_FOUND`, `CONFLICT`, ...), when it sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.code.as_deref(),
            _ => None,
        }
    }

    /// The request or trace id to quote when asking for support.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.request_id.as_deref(),
            Error::Decode(e) => e.request_id.as_deref(),
            _ => None,
        }
    }

    /// How long the server asked the client to wait before trying again.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api(e) => e.retry_after,
            _ => None,
        }
    }

    /// Whether this is a `404 Not Found` from the server.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// Whether trying the same call again later may succeed: rate limits,
    /// gateway errors, timeouts, and connections refused, reset or closed.
    /// Not a host name that does not resolve, a failed TLS handshake, nor a
    /// request that could not be built: those fail the same way again.
    ///
    /// This says whether the failure may pass, not whether resending is
    /// safe: a `POST` that may have reached the server is not resent by the
    /// client (see [`RetryPolicy`](crate::RetryPolicy)).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(e) => matches!(e.status, 429 | 502 | 503 | 504),
            Error::Timeout { .. } => true,
            Error::Transport { source, .. } => match source.downcast_ref::<reqwest::Error>() {
                Some(err) => crate::runtime::retry::reach(err) != crate::runtime::retry::Reach::Hopeless,
                // A local writer's failure (a download's destination) does not pass by retrying.
                None => !source.is::<std::io::Error>(),
            },
            _ => false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Api(e) => fmt::Display::fmt(e, f),
            Error::Decode(e) => fmt::Display::fmt(e, f),
            Error::Failed(e) => fmt::Display::fmt(e, f),
            Error::Timeout {
                operation,
                after,
                source,
            } => {
                write!(f, "{operation}: timed out")?;
                if let Some(after) = after {
                    write!(f, " after {:.1}s", after.as_secs_f64())?;
                }
                // A wait's last error says why it never finished; a
                // request's own timeout error adds nothing.
                if let Some(last) = source.as_deref().and_then(|s| s.downcast_ref::<Error>()) {
                    write!(f, "; last error: {last}")?;
                }
                Ok(())
            }
            Error::RequestBuild { operation, source } => {
                write!(f, "{operation}: the request could not be built: {source}")
            }
            Error::CrossOriginLink { operation, origin } => write!(
                f,
                "{operation}: the next-page link points at another origin ({origin}); \
                 not followed, so the API key was not sent there"
            ),
            Error::MovedToBackground(e) => fmt::Display::fmt(e, f),
            Error::UnknownStatus(e) => {
                write!(
                    f,
                    "{} {} reported status `{}`, which this SDK does not know; waiting stopped",
                    e.kind, e.id, e.status
                )?;
                if let Some(message) = &e.message {
                    write!(f, ": {message}")?;
                }
                Ok(())
            }
            Error::Transport { operation, source } => write!(f, "{operation}: transport error: {source}"),
            Error::Credentials { operation, source } => {
                write!(f, "{operation}: no bearer token, nothing sent: {source}")
            }
            Error::InvalidArgument {
                operation,
                argument,
                message,
            } => write!(f, "{operation}: invalid argument `{argument}`: {message}"),
            Error::Config { message } => write!(f, "invalid client configuration: {message}"),
            Error::TooLarge(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: HTTP {}", self.operation, self.status)?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        if let Some(wait) = self.retry_after {
            write!(f, " (retry after {}s)", wait.as_secs())?;
        }
        Ok(())
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: cannot decode the response", self.operation)?;
        if let Some(status) = self.status {
            write!(f, " (HTTP {status})")?;
        }
        if !self.path.is_empty() {
            write!(f, " at `{}`", self.path)?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl fmt::Display for MovedToBackground {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: the server moved the query to the background as run {}",
            self.operation, self.run_id
        )?;
        if let Some(db) = &self.database_id {
            write!(f, " (database {db})")?;
        }
        if let Some(reason) = &self.reason {
            write!(f, ": {reason}")?;
        }
        f.write_str("; wait for it with `client.query_run(id)`, or use `submit()` or `async_after(..)` for queries that may run long")
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ended with status {}", self.kind, self.id, self.status)?;
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Transport { source, .. }
            | Error::RequestBuild { source, .. }
            | Error::Credentials { source, .. } => Some(source.as_ref()),
            Error::Timeout { source, .. } => source.as_deref().map(|s| s as &(dyn std::error::Error + 'static)),
            _ => None,
        }
    }
}

impl std::error::Error for ApiError {}
impl std::error::Error for DecodeError {}
impl std::error::Error for Failure {}
impl std::error::Error for MovedToBackground {}
impl std::error::Error for TooLarge {}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Api(Box::new(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A header map of `pairs` (shared with `response`'s tests).
    pub(super) fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, v.parse().expect("header value"));
        }
        map
    }

    #[test]
    fn display_names_the_operation_and_request_id() {
        let h = headers(&[("x-request-id", "req_1"), ("retry-after", "3")]);
        let e = Error::from(ApiError::from_parts(
            "list_datasets",
            429,
            &h,
            br#"{"message":"slow down","status":429}"#,
        ));
        assert_eq!(
            e.to_string(),
            "list_datasets: HTTP 429: slow down (request id req_1) (retry after 3s)"
        );
        assert!(e.is_retryable());
        assert_eq!(e.retry_after(), Some(Duration::from_secs(3)));
    }
}
