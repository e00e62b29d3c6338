//! The one path every request takes, generated or hand-written: credentials
//! and scope headers, the request timeout, retries, and a `tracing` span per
//! attempt. Which failures may be resent is decided in `retry`; how a
//! response becomes a value or an [`Error`](crate::Error), in `send`.
//!
//! The generated client carries a [`Transport`] as its inner value and calls
//! the hooks implemented here for every operation:
//! `pre` adds the headers, `exec` runs the retry loop.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue, USER_AGENT};

use crate::runtime::credentials::Credential;
use reqwest::{StatusCode, Url};
use tracing::Instrument as _;

use crate::generated;
use crate::generated::operations::{Operation, Segment};
use crate::runtime::error::request_id;
use crate::runtime::retry::{RetryPolicy, carries_idempotency_key, classify_error, classify_response, is_idempotent};

/// The header naming the workspace a request acts on.
pub const WORKSPACE_HEADER: &str = generated::operations::headers::X_WORKSPACE_ID;

/// The header that scopes a query to one database (from the spec).
pub const DATABASE_HEADER: &str = generated::operations::headers::X_DATABASE_ID;

/// Who requests are sent as and how they are retried: the inner value of the
/// generated client. Built by [`ClientBuilder`](crate::ClientBuilder); cheap
/// to clone. Its `Debug` never shows the API key nor a provider's token.
#[derive(Clone)]
pub struct Transport {
    shared: Arc<Shared>,
    retry: RetryPolicy,
}

struct Shared {
    /// The base URL, parsed once: request URLs are this with another path,
    /// so no request parses a host again.
    base: Url,
    /// The base URL's path without its trailing `/` (`""` or `/prefix`).
    prefix: String,
    credential: Credential,
    workspace: Option<HeaderValue>,
    database: Option<HeaderValue>,
    user_agent: HeaderValue,
    timeout: Option<Duration>,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("base", &self.shared.base.as_str())
            .field("authorization", &self.shared.credential)
            .field("workspace", &self.shared.workspace)
            .field("database", &self.shared.database)
            .field("user_agent", &self.shared.user_agent)
            .field("timeout", &self.shared.timeout)
            .field("retry", &self.retry)
            .finish()
    }
}

impl Transport {
    pub(crate) fn new(
        base: Url,
        credential: Credential,
        workspace: Option<HeaderValue>,
        database: Option<HeaderValue>,
        user_agent: HeaderValue,
        timeout: Option<Duration>,
        retry: RetryPolicy,
    ) -> Transport {
        let prefix = base.path().trim_end_matches('/').to_owned();
        Transport {
            shared: Arc::new(Shared {
                base,
                prefix,
                credential,
                workspace,
                database,
                user_agent,
                timeout,
            }),
            retry,
        }
    }

    /// The same transport with another retry policy.
    pub(crate) fn with_retry(&self, retry: RetryPolicy) -> Transport {
        Transport {
            shared: Arc::clone(&self.shared),
            retry,
        }
    }

    /// The retry policy in force.
    pub(crate) fn retry(&self) -> RetryPolicy {
        self.retry
    }

    /// The base URL, as parsed when the client was built.
    pub(crate) fn base(&self) -> &Url {
        &self.shared.base
    }

    /// The URL of an operation: the base URL's path followed by `pieces`,
    /// each path parameter percent-encoded as one segment. The base URL was
    /// parsed when the client was built; only the path is set here, so the
    /// host is not parsed again for every request (with IDNA mapping, that
    /// is most of what building a URL from text costs).
    ///
    /// Fails, naming the parameter, when a path parameter is empty, `.` or
    /// `..`: such a value would silently address another resource (an empty
    /// id turns `/v1/results/{id}` into the list of results).
    pub(crate) fn url(&self, pieces: &[Piece<'_>]) -> std::result::Result<Url, String> {
        self.with_path(|path| {
            for piece in pieces {
                match *piece {
                    Piece::Fixed(text) => path.push_str(text),
                    Piece::Param(name, value) => push_segment(path, name, value)?,
                }
            }
            Ok(())
        })
    }

    /// The URL of `op` (its path template from the spec) with `args` as its
    /// path parameters, in path order; checked like [`url`](Self::url).
    /// Fails when `args` does not have one value per path parameter.
    pub(crate) fn operation_url(&self, op: &Operation, args: &[&str]) -> std::result::Result<Url, String> {
        let wanted = op.path_params().count();
        if wanted != args.len() {
            return Err(format!(
                "{} takes {wanted} path parameter(s) ({}), got {}",
                op.path,
                op.path_params().collect::<Vec<_>>().join(", "),
                args.len()
            ));
        }
        self.with_path(|path| {
            let mut args = args.iter();
            for segment in op.segments {
                match *segment {
                    Segment::Fixed(text) => path.push_str(text),
                    Segment::Param(name) => push_segment(path, name, args.next().copied().unwrap_or_default())?,
                }
            }
            Ok(())
        })
    }

    /// The base URL with the path `fill` appends to the base URL's own path.
    fn with_path(
        &self,
        fill: impl FnOnce(&mut String) -> std::result::Result<(), String>,
    ) -> std::result::Result<Url, String> {
        let shared = &self.shared;
        let mut path = String::with_capacity(shared.prefix.len() + 48);
        path.push_str(&shared.prefix);
        fill(&mut path)?;
        let mut url = shared.base.clone();
        url.set_path(&path);
        Ok(url)
    }

    /// Adds credentials, scope and user agent to a request, and the default
    /// timeout when the request has none. Headers the caller already set
    /// (a per-call `X-Database-Id`, say) are kept. A fixed key goes in here;
    /// a [`BearerProvider`](crate::BearerProvider)'s token is set by
    /// [`execute`](Self::execute), before each attempt.
    pub(crate) fn prepare(&self, request: &mut reqwest::Request, operation: &str) {
        let shared = &self.shared;
        if let Some(t) = shared.timeout
            && request.timeout().is_none()
        {
            *request.timeout_mut() = Some(t);
        }
        let headers = request.headers_mut();
        if let Credential::Fixed(authorization) = &shared.credential {
            headers.insert(AUTHORIZATION, authorization.clone());
        }
        headers.insert(USER_AGENT, shared.user_agent.clone());
        if let Some(ws) = &shared.workspace {
            headers
                .entry(HeaderName::from_static(WORKSPACE_HEADER))
                .or_insert_with(|| ws.clone());
        }
        if let Some(db) = &shared.database
            && generated::operations::find(operation).is_some_and(|op| op.headers.contains(&DATABASE_HEADER))
        {
            headers
                .entry(HeaderName::from_static(DATABASE_HEADER))
                .or_insert_with(|| db.clone());
        }
    }

    /// Sends a prepared request, retrying as the policy says, one `tracing`
    /// span per attempt. Returns the last response whatever its status.
    ///
    /// Kept small on purpose, because every request awaits it: this is a
    /// plain function that hands the request to reqwest before returning
    /// (an `async fn` would keep its by-value arguments, the 264-byte
    /// request among them, in its future for its whole life), and the
    /// retry loop (timer, further attempts) is a boxed future entered only
    /// when a retry happens. A client with a bearer provider takes a boxed
    /// path of its own, which asks the provider before every attempt; the
    /// fixed-key path stays as it was.
    pub(crate) fn execute<'a>(
        &'a self,
        http: &'a reqwest::Client,
        operation: &'static str,
        request: reqwest::Request,
    ) -> impl Future<Output = reqwest::Result<reqwest::Response>> + Send + 'a {
        if let Credential::Provider(_) = &self.shared.credential {
            return futures::future::Either::Right(Box::pin(self.execute_with_provider(http, operation, request)));
        }
        let started = Instant::now();
        let idempotent = is_idempotent(request.method()) || carries_idempotency_key(&request);
        let replay = if self.retry.get_max_attempts() > 1 {
            request.try_clone()
        } else {
            None
        };
        let first = attempt(http, operation, request, 1, idempotent);
        futures::future::Either::Left(async move {
            let first = first.await;
            match (first.verdict, replay) {
                (Some(hint), Some(next)) => {
                    let retries =
                        Box::pin(self.retry_loop(http, operation, next, idempotent, hint, started, first, false));
                    retries.await
                }
                _ => first.result,
            }
        })
    }

    /// [`execute`](Self::execute) for a client with a bearer provider: the
    /// provider is asked before the first attempt and, in
    /// [`retry_loop`](Self::retry_loop), before every retry. A provider
    /// failure ends the call (see [`Credential::authorize`]). The first `401`
    /// of a call is retried at once with a fresh token (see
    /// [`retry_unauthorized`]).
    async fn execute_with_provider(
        &self,
        http: &reqwest::Client,
        operation: &'static str,
        mut request: reqwest::Request,
    ) -> reqwest::Result<reqwest::Response> {
        let started = Instant::now();
        let idempotent = is_idempotent(request.method()) || carries_idempotency_key(&request);
        let token = self.shared.credential.authorize(&mut request).await?;
        let replay = if self.retry.get_max_attempts() > 1 {
            request.try_clone()
        } else {
            None
        };
        let mut first = attempt(http, operation, request, 1, idempotent).await;
        let refreshed = retry_unauthorized(&self.shared.credential, &mut first, token.as_ref(), false);
        match (first.verdict, replay) {
            (Some(hint), Some(next)) => {
                self.retry_loop(http, operation, next, idempotent, hint, started, first, refreshed)
                    .await
            }
            _ => first.result,
        }
    }

    /// Waits and sends again until an attempt needs no retry, the attempts
    /// run out, or the next wait would pass the time limit. `refreshed`: a
    /// `401` was already retried in this call.
    #[allow(clippy::too_many_arguments)]
    async fn retry_loop(
        &self,
        http: &reqwest::Client,
        operation: &'static str,
        mut request: reqwest::Request,
        idempotent: bool,
        mut hint: Option<Duration>,
        started: Instant,
        mut last: Attempt,
        mut refreshed: bool,
    ) -> reqwest::Result<reqwest::Response> {
        let policy = self.retry;
        let mut number: u32 = 1;
        loop {
            let wait = hint.unwrap_or_else(|| policy.backoff(number));
            if started.elapsed().saturating_add(wait) > policy.get_max_elapsed() {
                tracing::debug!(parent: &last.span, wait_ms = millis(wait), "not retrying: the retry time limit would pass");
                return last.result;
            }
            tracing::debug!(parent: &last.span, wait_ms = millis(wait), "retrying");
            drop(last);
            tokio::time::sleep(wait).await;
            number += 1;
            let replay = if number < policy.get_max_attempts() {
                request.try_clone()
            } else {
                None
            };
            // A fixed key is already in the request; a provider is asked
            // again, so the retry carries the token it returns now.
            let token = self.shared.credential.authorize(&mut request).await?;
            last = attempt(http, operation, request, number, idempotent).await;
            refreshed = retry_unauthorized(&self.shared.credential, &mut last, token.as_ref(), refreshed);
            match (last.verdict, replay) {
                (Some(next_hint), Some(next)) => {
                    hint = next_hint;
                    request = next;
                }
                _ => return last.result,
            }
        }
    }
}

/// One piece of an operation's path: text from the spec's path template, or
/// the value of a path parameter (with the parameter's name, for errors).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Piece<'a> {
    /// Sent as written, `/` included.
    Fixed(&'static str),
    /// Percent-encoded into exactly one path segment.
    Param(&'static str, &'a str),
}

/// Appends `value` as one path segment: every byte but the unreserved ones
/// (`A-Z a-z 0-9 - . _ ~`) is percent-encoded, `/`, `%`, `?` and `#`
/// included, so the value can neither add a segment nor start a query.
fn push_segment(path: &mut String, name: &str, value: &str) -> std::result::Result<(), String> {
    if matches!(value, "" | "." | "..") {
        return Err(format!(
            "path segment for {name} must not be empty, \".\" or \"..\" (got {value:?})"
        ));
    }
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            path.push(char::from(b));
        } else {
            path.push('%');
            path.push(char::from(HEX[usize::from(b >> 4)]));
            path.push(char::from(HEX[usize::from(b & 0xF)]));
        }
    }
    Ok(())
}

/// Makes the first `401` of a call retryable at once when its token came
/// from a provider, after telling the provider the token was refused: a
/// short-lived token may have expired on the way, and a `401` was not acted
/// on, so any method may be sent again. A fixed key (`token` is `None`) or a
/// second `401` is left as it is. Returns whether a `401` has been retried.
fn retry_unauthorized(
    credential: &Credential,
    last: &mut Attempt,
    token: Option<&crate::runtime::credentials::BearerToken>,
    refreshed: bool,
) -> bool {
    let Some(token) = token else { return refreshed };
    if refreshed || last.verdict.is_some() {
        return refreshed;
    }
    if !matches!(&last.result, Ok(response) if response.status() == StatusCode::UNAUTHORIZED) {
        return refreshed;
    }
    tracing::debug!(parent: &last.span, "the server refused the provided token; asking the provider again");
    credential.rejected(token);
    last.verdict = Some(Some(Duration::ZERO));
    true
}

/// What one attempt got, and whether (and after how long) to retry it.
struct Attempt {
    result: reqwest::Result<reqwest::Response>,
    /// `Some(hint)`: retryable, after `hint` if the server said how long.
    verdict: Option<Option<Duration>>,
    span: tracing::Span,
}

/// Sends once, inside this attempt's span, and classifies the outcome. A
/// plain function for the same reason as [`Transport::execute`]: the
/// request goes to reqwest before the future is returned.
fn attempt(
    http: &reqwest::Client,
    operation: &'static str,
    request: reqwest::Request,
    number: u32,
    idempotent: bool,
) -> impl Future<Output = Attempt> + Send + use<> {
    // Field values are only evaluated when the span is enabled.
    let span = tracing::debug_span!(
        "hotdata.request",
        operation,
        method = %request.method(),
        path = %span_path(operation, &request),
        attempt = number,
        status = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
        request_id = tracing::field::Empty,
    );
    let pending = http.execute(request).instrument(span.clone());
    async move {
        let sent = Instant::now();
        let result = pending.await;
        let elapsed_ms = u64::try_from(sent.elapsed().as_millis()).unwrap_or(u64::MAX);
        span.record("duration_ms", elapsed_ms);
        let verdict = match &result {
            Ok(response) => {
                span.record("status", response.status().as_u16());
                if !span.is_disabled()
                    && let Some(id) = request_id(response.headers())
                {
                    span.record("request_id", id.as_str());
                }
                tracing::debug!(parent: &span, status = response.status().as_u16(), "response");
                classify_response(response, idempotent)
            }
            Err(err) => {
                tracing::debug!(parent: &span, error = %DisplayTransport(err), "request failed");
                classify_error(err, idempotent)
            }
        };
        Attempt { result, verdict, span }
    }
}

/// The operation's path template (`/v1/results/{id}`), never the filled-in
/// path, which can carry ids; the request's path for an unknown operation.
fn span_path<'a>(operation: &str, request: &'a reqwest::Request) -> &'a str {
    match generated::operations::find(operation) {
        Some(op) => op.path,
        None => request.url().path(),
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A `reqwest` error without its URL, for logs.
struct DisplayTransport<'a>(&'a reqwest::Error);

impl fmt::Display for DisplayTransport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut source: Option<&dyn std::error::Error> = Some(self.0);
        let mut first = true;
        while let Some(err) = source {
            if !first {
                f.write_str(": ")?;
            }
            // reqwest's own Display names the URL; its kind is enough.
            if first {
                if self.0.is_connect() {
                    f.write_str("cannot connect")?;
                } else if self.0.is_timeout() {
                    f.write_str("timed out")?;
                } else {
                    f.write_str("request failed")?;
                }
            } else {
                write!(f, "{err}")?;
            }
            first = false;
            source = err.source();
        }
        Ok(())
    }
}

impl ClientHooks<Transport> for generated::Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> std::result::Result<(), progenitor_client::Error<E>> {
        self.inner.prepare(request, info.operation_id);
        Ok(())
    }

    // Not `async`: returns the transport's future as it is, instead of a
    // future that holds the request and then that one.
    fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> impl Future<Output = reqwest::Result<reqwest::Response>> {
        self.inner.execute(&self.client, info.operation_id, request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::error::Error;
    use crate::runtime::send::request_error;

    fn transport(base: &str) -> Transport {
        Transport::new(
            Url::parse(base).expect("base"),
            Credential::Fixed(HeaderValue::from_static("Bearer k")),
            None,
            None,
            HeaderValue::from_static("ua"),
            None,
            RetryPolicy::default(),
        )
    }

    #[test]
    fn urls_keep_the_base_path_and_encode_each_parameter_as_one_segment() {
        let pieces = |id| {
            [
                Piece::Fixed("/v1/queries/"),
                Piece::Param("id", id),
                Piece::Fixed("/execute"),
            ]
        };
        for (base, id, want) in [
            (
                "http://127.0.0.1:4680",
                "q_1",
                "http://127.0.0.1:4680/v1/queries/q_1/execute",
            ),
            (
                "https://h.example/prefix",
                "q.1~",
                "https://h.example/prefix/v1/queries/q.1~/execute",
            ),
            (
                "https://h.example/prefix/",
                "a/b",
                "https://h.example/prefix/v1/queries/a%2Fb/execute",
            ),
            (
                "https://h.example",
                "50%?x#y",
                "https://h.example/v1/queries/50%25%3Fx%23y/execute",
            ),
            (
                "https://h.example",
                "a b\\c",
                "https://h.example/v1/queries/a%20b%5Cc/execute",
            ),
            (
                "https://h.example",
                "r\u{e9}sum\u{e9}",
                "https://h.example/v1/queries/r%C3%A9sum%C3%A9/execute",
            ),
            ("https://h.example", "...", "https://h.example/v1/queries/.../execute"),
        ] {
            let url = transport(base).url(&pieces(id)).expect(id);
            assert_eq!(url.as_str(), want, "{base} {id:?}");
            // What went out parses back to the same URL: nothing was
            // normalised away.
            assert_eq!(Url::parse(url.as_str()).expect("reparses"), url);
        }
    }

    #[test]
    fn a_parameter_that_would_address_another_resource_is_refused() {
        let t = transport("https://h.example");
        for id in ["", ".", ".."] {
            let message = t
                .url(&[Piece::Fixed("/v1/results/"), Piece::Param("id", id)])
                .expect_err(id);
            let err = request_error("get_result", progenitor_client::Error::InvalidRequest(message));
            assert!(
                matches!(&err, Error::InvalidArgument { argument, .. } if argument == "id"),
                "{id:?}: {err:?}"
            );
        }
    }

    #[test]
    fn operation_urls_come_from_the_spec_template() {
        use crate::generated::operations::{EXECUTE_SAVED_QUERY, QUERY};
        let t = transport("https://h.example/prefix/");
        let url = t.operation_url(&EXECUTE_SAVED_QUERY, &["q 1"]).expect("one parameter");
        assert_eq!(
            url.path(),
            format!("/prefix{}", EXECUTE_SAVED_QUERY.path.replace("{id}", "q%201"))
        );
        assert_eq!(
            t.operation_url(&QUERY, &[]).expect("none").path(),
            format!("/prefix{}", QUERY.path)
        );
        let err = t.operation_url(&EXECUTE_SAVED_QUERY, &[]).expect_err("missing");
        assert!(err.contains("takes 1 path parameter(s) (id), got 0"), "{err}");
        assert!(t.operation_url(&EXECUTE_SAVED_QUERY, &[".."]).is_err());
    }
}
