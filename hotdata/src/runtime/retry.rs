//! When a failed request is sent again, and how long to wait first.

use std::time::Duration;
use std::time::SystemTime;

use reqwest::Method;

use crate::runtime::error;

/// How failed requests are retried.
///
/// What is retried:
/// - `429 Too Many Requests`, for every method: the server says it did not
///   process the request. The wait is the response's `Retry-After` (delay
///   seconds or an HTTP date) when it has one.
/// - `502`, `503` and `504`, and a connection reset or closed before the
///   response, only for requests that are safe to repeat: the idempotent
///   methods (`GET`, `HEAD`, `PUT`, `DELETE`, `OPTIONS`), and a `POST` whose
///   JSON body carries a non-null `idempotency_key` (the server acts at most
///   once per key, and every retry resends the same bytes, so the same key).
///   Any other `POST` that may have reached the server may have taken
///   effect, so it is never sent twice. `503` honours `Retry-After` too.
/// - A connection that could not be opened for a reason that may pass
///   (refused, reset or timed out while connecting), for every method: the
///   request provably never left the client.
/// - `401 Unauthorized`, once per call and at once, for every method, only
///   when the token came from a [`BearerProvider`](crate::BearerProvider):
///   the provider is told the token was refused and asked for another. The
///   provider is asked before every attempt, whatever the reason for it.
///
/// What is not: any other status; a host name that does not resolve, a
/// failed TLS handshake, a request that could not be built (they fail the
/// same way again); a request timeout (the timeout is the caller's whole
/// budget for the call); and a request whose body is a stream (it cannot be
/// replayed).
///
/// Waits grow exponentially from [`initial_backoff`](Self::initial_backoff)
/// up to [`max_backoff`](Self::max_backoff), with jitter (each wait is drawn
/// between half and all of the nominal value). Retrying stops after
/// [`max_attempts`](Self::max_attempts) attempts in all, or when the next wait
/// would end after [`max_elapsed`](Self::max_elapsed) from the first attempt;
/// the last response or error is then returned as is.
///
/// ```
/// use std::time::Duration;
/// let policy = hotdata::RetryPolicy::default()
///     .max_attempts(5)
///     .initial_backoff(Duration::from_millis(100))
///     .max_elapsed(Duration::from_secs(20));
/// assert_eq!(policy.get_max_attempts(), 5);
/// assert_eq!(hotdata::RetryPolicy::none().get_max_attempts(), 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_elapsed: Duration,
}

impl Default for RetryPolicy {
    /// 4 attempts in all, waits from 200 ms up to 5 s, at most 30 s in all.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Never retry: every request is sent once.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Attempts in all, counting the first; at least 1.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The nominal wait before the first retry; doubled for each later one.
    pub fn initial_backoff(mut self, wait: Duration) -> Self {
        self.initial_backoff = wait;
        self
    }

    /// The longest nominal wait between two attempts.
    pub fn max_backoff(mut self, wait: Duration) -> Self {
        self.max_backoff = wait;
        self
    }

    /// No retry starts after this much time from the first attempt, waits
    /// included; a `Retry-After` longer than what is left ends the retries.
    pub fn max_elapsed(mut self, limit: Duration) -> Self {
        self.max_elapsed = limit;
        self
    }

    /// Attempts in all, counting the first.
    pub fn get_max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The overall time limit for retrying.
    pub fn get_max_elapsed(&self) -> Duration {
        self.max_elapsed
    }

    /// The jittered wait after failed attempt number `attempt` (1-based).
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(20));
        let nominal = self.initial_backoff.saturating_mul(factor).min(self.max_backoff);
        let half = nominal / 2;
        let jitter_ns = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        half + Duration::from_nanos(fastrand::u64(0..=jitter_ns))
    }
}

// ---------------------------------------------------------------------------
// Which failures may be sent again: by method, status and transport error,
// and for a POST, whether it provably never reached the server or carries an
// idempotency key.

pub(crate) fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}

/// `None`: do not retry. `Some(wait)`: retry, after `wait` if the server said.
pub(crate) fn classify_response(response: &reqwest::Response, idempotent: bool) -> Option<Option<Duration>> {
    let status = response.status().as_u16();
    let hint = || error::retry_after(response.headers(), SystemTime::now());
    match status {
        429 => Some(hint()),
        503 if idempotent => Some(hint()),
        502 | 504 if idempotent => Some(None),
        _ => None,
    }
}

pub(crate) fn classify_error(err: &reqwest::Error, idempotent: bool) -> Option<Option<Duration>> {
    match reach(err) {
        // Nothing was sent: safe for every method.
        Reach::NotSent => Some(None),
        // Reset or closed once connected: the request may have arrived, so
        // only a request that is safe to repeat is sent again.
        Reach::MaybeSent if idempotent => Some(None),
        Reach::MaybeSent | Reach::Hopeless | Reach::TimedOut => None,
    }
}

/// What a failed attempt says about the request: whether it can have
/// reached the server, and whether trying again can help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reach {
    /// No connection was made, for a reason that may pass (refused, reset
    /// or timed out while connecting): not a byte of the request was sent.
    NotSent,
    /// Trying again cannot help: the request could not be built, the host
    /// name does not resolve, or the TLS handshake failed.
    Hopeless,
    /// The request ran out of time; the caller's budget is spent.
    TimedOut,
    /// The connection failed after the request may have been written.
    MaybeSent,
}

/// Classifies a `reqwest` failure; see [`Reach`].
pub(crate) fn reach(err: &reqwest::Error) -> Reach {
    if err.is_builder() {
        return Reach::Hopeless;
    }
    if err.is_connect() {
        if err.is_dns() {
            return Reach::Hopeless;
        }
        // Only the connect failures known to pass are worth another try;
        // the rest (a TLS handshake refused, a certificate not trusted, a
        // proxy that says no) fail the same way again.
        if err.is_timeout() || connect_failure_may_pass(err) {
            return Reach::NotSent;
        }
        return Reach::Hopeless;
    }
    if err.is_timeout() {
        return Reach::TimedOut;
    }
    Reach::MaybeSent
}

/// Whether the cause of a connect failure is an I/O error that a later
/// attempt may not meet: refused, reset, aborted, timed out, unreachable.
pub(crate) fn connect_failure_may_pass(err: &(dyn std::error::Error + 'static)) -> bool {
    use std::io::ErrorKind as K;
    let mut source = Some(err);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                K::ConnectionRefused
                    | K::ConnectionReset
                    | K::ConnectionAborted
                    | K::NotConnected
                    | K::TimedOut
                    | K::AddrNotAvailable
                    | K::HostUnreachable
                    | K::NetworkUnreachable
                    | K::NetworkDown
            )
        {
            return true;
        }
        source = cause.source();
    }
    false
}

/// The request body field that makes a `POST` safe to send again: the spec
/// gives it to the bodies whose operations promise to act at most once per
/// key (`LoadManagedTableRequest`, `BulkCreateDatabasesRequest`). A unit
/// test checks the generated models still spell it so.
pub(crate) const IDEMPOTENCY_KEY_FIELD: &str = "idempotency_key";

/// Whether a request's body is a JSON object with a non-null
/// [`IDEMPOTENCY_KEY_FIELD`] at its top level. Streamed bodies never are
/// (they cannot be replayed anyway). The body is scanned for the name
/// first, so a body without one costs one pass over its bytes; one that has
/// it is parsed without copying its values.
pub(crate) fn carries_idempotency_key(request: &reqwest::Request) -> bool {
    let Some(body) = request.body().and_then(reqwest::Body::as_bytes) else {
        return false;
    };
    let needle = IDEMPOTENCY_KEY_FIELD.as_bytes();
    if !body.windows(needle.len()).any(|w| w == needle) {
        return false;
    }
    type Fields<'a> = std::collections::HashMap<std::borrow::Cow<'a, str>, &'a serde_json::value::RawValue>;
    serde_json::from_slice::<Fields<'_>>(body)
        .ok()
        .and_then(|fields| fields.get(IDEMPOTENCY_KEY_FIELD).map(|v| v.get().starts_with('"')))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated;

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let p = RetryPolicy::default()
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(1000));
        for _ in 0..100 {
            let first = p.backoff(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = p.backoff(3);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
            let late = p.backoff(40);
            assert!(late >= Duration::from_millis(500) && late <= Duration::from_millis(1000));
        }
        assert_eq!(RetryPolicy::default().max_attempts(0).get_max_attempts(), 1);
    }
    #[test]
    fn a_post_with_an_idempotency_key_is_safe_to_repeat() {
        crate::install_tls_provider();
        let http = reqwest::Client::new();
        let post = |body: &str| {
            http.post("http://127.0.0.1:1/v1/x")
                .body(body.to_owned())
                .build()
                .expect("request")
        };
        assert!(carries_idempotency_key(&post(
            r#"{"mode":"append","data":"a\n1","idempotency_key":"k1"}"#
        )));
        for body in [
            r#"{"mode":"append","idempotency_key":null}"#,
            r#"{"mode":"append"}"#,
            r#"{"mode":"append","data":"idempotency_key\n1"}"#,
            r#"{"nested":{"idempotency_key":"k"}}"#,
            "not json, idempotency_key",
        ] {
            assert!(!carries_idempotency_key(&post(body)), "{body}");
        }
        // The generated models write the field as the transport looks for it.
        let bulk: generated::types::BulkCreateDatabasesRequest =
            generated::types::BulkCreateDatabasesRequest::builder()
                .count(std::num::NonZeroU64::new(2).expect("non-zero"))
                .idempotency_key("k2".to_owned())
                .try_into()
                .expect("bulk body");
        let key: generated::types::LoadManagedTableRequestIdempotencyKey = "k3".parse().expect("a key");
        let load: generated::types::LoadManagedTableRequest = generated::types::LoadManagedTableRequest::builder()
            .mode(generated::types::LoadMode::Append)
            .data("a\n1".to_owned())
            .idempotency_key(key)
            .try_into()
            .expect("load body");
        for body in [serde_json::to_vec(&bulk), serde_json::to_vec(&load)] {
            let body = body.expect("encodes");
            assert!(
                carries_idempotency_key(&post(std::str::from_utf8(&body).expect("utf-8"))),
                "{}",
                String::from_utf8_lossy(&body)
            );
        }
    }

    #[test]
    fn idempotent_methods() {
        assert!(is_idempotent(&Method::GET));
        assert!(is_idempotent(&Method::DELETE));
        assert!(!is_idempotent(&Method::POST));
        assert!(!is_idempotent(&Method::PATCH));
    }
}
