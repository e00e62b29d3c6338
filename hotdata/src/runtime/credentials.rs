//! Who requests are sent as: a fixed API key, or a [`BearerProvider`] asked
//! for a token before every attempt.
//!
//! A fixed key is turned into its `Authorization` header once, when the
//! client is built, and every request carries a clone of it. A provider is
//! asked again for each attempt, retries included, so a token that expires
//! in the middle of a call (a retry after a `401` or a dropped connection) is
//! replaced by whatever the provider returns next. Requests to object
//! storage (the presigned `PUT`s of an upload) never ask it: they carry no
//! credentials of the SDK.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use reqwest::header::HeaderValue;

/// An API key. It is sent only in the `Authorization` header, marked
/// sensitive, and never shown by `Debug` or `Display`.
///
/// ```
/// let key = hotdata::ApiKey::new("hd_live_123");
/// assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into())
    }

    /// The key itself, for the rare caller that must forward it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl<S: Into<String>> From<S> for ApiKey {
    fn from(key: S) -> Self {
        ApiKey::new(key)
    }
}

/// The error a [`BearerProvider`] returns: any error, boxed.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A bearer token as a provider hands it over: sent as
/// `Authorization: Bearer <token>`, marked sensitive, never shown by `Debug`.
///
/// The header is built once, when the token is made, so a provider that
/// keeps a `BearerToken` and returns clones of it costs no allocation per
/// request.
///
/// ```
/// let token = hotdata::BearerToken::new("eyJhbGciOi...");
/// assert_eq!(format!("{token:?}"), "BearerToken(<redacted>)");
/// // Strings and API keys convert into it.
/// let from_string: hotdata::BearerToken = String::from("tok").into();
/// let from_key = hotdata::BearerToken::from(hotdata::ApiKey::new("hd_live_123"));
/// # drop((from_string, from_key));
/// ```
#[derive(Clone)]
pub struct BearerToken(Result<HeaderValue, InvalidToken>);

/// Why a token cannot be sent; never holds the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InvalidToken {
    Empty,
    NotAHeader,
}

impl BearerToken {
    /// Wraps a token. A token that cannot be sent in a header (empty, or
    /// with control characters or line breaks) is accepted here and refused
    /// when a request would carry it, as [`Error::Credentials`](crate::Error::Credentials).
    pub fn new(token: impl AsRef<str>) -> BearerToken {
        let token = token.as_ref();
        if token.is_empty() {
            return BearerToken(Err(InvalidToken::Empty));
        }
        let mut value = String::with_capacity(7 + token.len());
        value.push_str("Bearer ");
        value.push_str(token);
        BearerToken(
            HeaderValue::try_from(value)
                .map(|mut v| {
                    v.set_sensitive(true);
                    v
                })
                .map_err(|_| InvalidToken::NotAHeader),
        )
    }

    /// The `Authorization` header value, or why there is none.
    pub(crate) fn header(&self) -> Result<HeaderValue, BoxError> {
        match &self.0 {
            Ok(value) => Ok(value.clone()),
            Err(InvalidToken::Empty) => Err("the bearer provider returned an empty token".into()),
            Err(InvalidToken::NotAHeader) => Err(
                "the bearer provider returned a token that cannot be sent in a header (control characters or line breaks)"
                    .into(),
            ),
        }
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerToken(<redacted>)")
    }
}

impl From<String> for BearerToken {
    fn from(token: String) -> Self {
        BearerToken::new(token)
    }
}

impl From<&str> for BearerToken {
    fn from(token: &str) -> Self {
        BearerToken::new(token)
    }
}

impl From<&String> for BearerToken {
    fn from(token: &String) -> Self {
        BearerToken::new(token)
    }
}

/// Two tokens are equal when they send the same header: how a provider
/// tells whether the token the server refused is the one it still caches.
impl PartialEq for BearerToken {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Ok(a), Ok(b)) => a == b,
            (Err(a), Err(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for BearerToken {}

impl From<ApiKey> for BearerToken {
    fn from(key: ApiKey) -> Self {
        BearerToken::new(key.expose())
    }
}

/// Supplies the bearer token for each request attempt; set it with
/// [`ClientBuilder::bearer_provider`](crate::ClientBuilder::bearer_provider).
///
/// The client asks before every attempt, retries included, and sends the
/// token returned for that attempt. Cache the token in the provider and
/// refresh it when it nears expiry: the client keeps nothing between
/// attempts. Requests to object storage (presigned upload `PUT`s) never ask.
///
/// When the server answers `401 Unauthorized` to a token the provider
/// returned, the client tells the provider ([`token_rejected`](Self::token_rejected))
/// and sends the request once more with the token it returns next, whatever
/// the method (a `401` was not acted on); a second `401` in the same call is
/// returned as the error. A fixed [`ApiKey`] is never retried after a `401`.
///
/// An error ends the call with [`Error::Credentials`](crate::Error::Credentials)
/// (not retried: the provider decides itself whether to try again before
/// giving up). The time the provider takes is not bounded by the request
/// timeout; drop the call's future to give up on it.
///
/// A closure returning a future is a provider (the future must be `Send`;
/// the token may be a `String`, a `&'static str`, an [`ApiKey`] or a
/// [`BearerToken`], the error anything that converts into [`BoxError`]):
///
/// ```
/// let client = hotdata::Client::builder()
///     .bearer_provider(|| async { Ok::<_, std::io::Error>("short-lived-token") })
///     .workspace_id("ws_abc123")
///     .build()
///     .expect("configured");
/// # drop(client);
/// ```
///
/// So is a type of your own, with an `async fn`:
///
/// ```
/// use std::sync::Mutex;
/// use std::time::{Duration, Instant};
///
/// /// Keeps the token until shortly before it expires.
/// struct Refreshing {
///     cached: Mutex<Option<(hotdata::BearerToken, Instant)>>,
/// }
///
/// impl Refreshing {
///     async fn fetch(&self) -> Result<(String, Duration), std::io::Error> {
///         // Ask your identity provider here.
///         Ok(("fresh-token".to_owned(), Duration::from_secs(300)))
///     }
/// }
///
/// impl hotdata::BearerProvider for Refreshing {
///     async fn bearer_token(&self) -> Result<hotdata::BearerToken, hotdata::BoxError> {
///         if let Some((token, until)) = &*self.cached.lock().unwrap() {
///             if Instant::now() < *until {
///                 return Ok(token.clone()); // no allocation
///             }
///         }
///         let (token, lifetime) = self.fetch().await?;
///         let token = hotdata::BearerToken::new(token);
///         let until = Instant::now() + lifetime - Duration::from_secs(30);
///         *self.cached.lock().unwrap() = Some((token.clone(), until));
///         Ok(token)
///     }
///
///     fn token_rejected(&self, rejected: &hotdata::BearerToken) {
///         // Forget it, unless another request has already replaced it.
///         let mut cached = self.cached.lock().unwrap();
///         if cached.as_ref().is_some_and(|(token, _)| token == rejected) {
///             *cached = None;
///         }
///     }
/// }
///
/// let client = hotdata::Client::builder()
///     .bearer_provider(Refreshing { cached: Mutex::new(None) })
///     .build()
///     .expect("configured");
/// # drop(client);
/// ```
pub trait BearerProvider: Send + Sync + 'static {
    /// The token for the next attempt.
    fn bearer_token(&self) -> impl Future<Output = Result<BearerToken, BoxError>> + Send;

    /// The server refused `token` (`401 Unauthorized`); the client is about
    /// to ask [`bearer_token`](Self::bearer_token) again for its one retry.
    /// Drop a cached token here (if it still is `token`: another request may
    /// have replaced it already) so that the retry gets a fresh one. Does
    /// nothing unless implemented.
    fn token_rejected(&self, token: &BearerToken) {
        let _ = token;
    }
}

impl<F, Fut, T, E> BearerProvider for F
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, E>> + Send,
    T: Into<BearerToken>,
    E: Into<BoxError>,
{
    async fn bearer_token(&self) -> Result<BearerToken, BoxError> {
        match self().await {
            Ok(token) => Ok(token.into()),
            Err(e) => Err(e.into()),
        }
    }
}

type TokenFuture<'a> = Pin<Box<dyn Future<Output = Result<BearerToken, BoxError>> + Send + 'a>>;

/// [`BearerProvider`] behind a pointer: its future boxed.
pub(crate) trait DynProvider: Send + Sync {
    fn token(&self) -> TokenFuture<'_>;
    fn rejected(&self, token: &BearerToken);
}

impl<P: BearerProvider> DynProvider for P {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(self.bearer_token())
    }

    fn rejected(&self, token: &BearerToken) {
        self.token_rejected(token);
    }
}

/// The credential a client was built with.
#[derive(Clone)]
pub(crate) enum Credential {
    /// A fixed key, as the header every request carries.
    Fixed(HeaderValue),
    /// Asked for a token before every attempt.
    Provider(Arc<dyn DynProvider>),
}

impl Credential {
    pub(crate) fn provider(provider: impl BearerProvider) -> Credential {
        Credential::Provider(Arc::new(provider))
    }

    /// Asks the provider (when there is one) and sets the `Authorization`
    /// header of `request` to what it returned; returns that token, to be
    /// passed to [`rejected`](Self::rejected) if the server refuses it. A failure comes back as a
    /// `reqwest::Error` that carries it (see [`carry`]), since that is all
    /// the transport's callers accept; [`Error::from_reqwest`](crate::Error)
    /// turns it into [`Error::Credentials`](crate::Error::Credentials).
    pub(crate) async fn authorize(&self, request: &mut reqwest::Request) -> reqwest::Result<Option<BearerToken>> {
        let Credential::Provider(provider) = self else {
            return Ok(None);
        };
        let token = match provider.token().await {
            Ok(token) => token,
            Err(e) => return Err(no_token(e).await),
        };
        match token.header() {
            Ok(value) => {
                request.headers_mut().insert(reqwest::header::AUTHORIZATION, value);
                Ok(Some(token))
            }
            Err(e) => Err(no_token(e).await),
        }
    }

    /// Tells the provider the server refused `token`.
    pub(crate) fn rejected(&self, token: &BearerToken) {
        if let Credential::Provider(provider) = self {
            provider.rejected(token);
        }
    }
}

/// The `reqwest::Error` for a provider that gave no usable token. The
/// provider's error is the caller's to see; the log line says only that it
/// happened. Boxed, so that only a failure pays for the size of the future.
fn no_token(e: BoxError) -> Pin<Box<dyn Future<Output = reqwest::Error> + Send>> {
    tracing::debug!("the bearer provider gave no usable token; not sending");
    Box::pin(carry(e))
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Fixed(_) => f.write_str("ApiKey(<redacted>)"),
            Credential::Provider(_) => f.write_str("BearerProvider"),
        }
    }
}

/// A provider's failure, inside the `reqwest::Error` that carries it out of
/// the transport. The error is taken out once, by [`take_carried`].
struct Carried(Mutex<Option<BoxError>>);

impl fmt::Debug for Carried {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Carried")
    }
}

impl fmt::Display for Carried {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the bearer provider gave no token")
    }
}

impl std::error::Error for Carried {}

/// A `reqwest::Error` whose source chain holds `error`: the failure of a
/// body read in memory, the one way to make a `reqwest::Error` around an
/// error of one's own. Nothing touches the network.
async fn carry(error: BoxError) -> reqwest::Error {
    let carried = Carried(Mutex::new(Some(error)));
    let body = reqwest::Body::wrap_stream(futures::stream::once(
        async move { Err::<bytes::Bytes, Carried>(carried) },
    ));
    let response = reqwest::Response::from(http::Response::new(body));
    match response.bytes().await {
        Err(e) => e,
        // Not an input of any kind: the body's only frame is the error.
        Ok(_) => unreachable!("a body whose only frame is an error reads as that error"),
    }
}

/// The provider failure `err` carries, taken out of it; `None` when `err`
/// is an ordinary transport failure.
pub(crate) fn take_carried(err: &reqwest::Error) -> Option<BoxError> {
    if !err.is_decode() && !err.is_body() {
        return None;
    }
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(carried) = cause.downcast_ref::<Carried>() {
            let taken = carried.0.lock().ok().and_then(|mut slot| slot.take());
            return Some(taken.unwrap_or_else(|| "the bearer provider gave no token".into()));
        }
        source = cause.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_carried_failure_comes_back_out_whole() {
        #[derive(Debug)]
        struct Mine;
        impl fmt::Display for Mine {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("identity service down")
            }
        }
        impl std::error::Error for Mine {}
        let err = carry(Box::new(Mine)).await;
        let back = take_carried(&err).expect("carried");
        assert!(back.downcast_ref::<Mine>().is_some(), "{back:?}");
        // An ordinary decode failure carries nothing.
        let plain = reqwest::Response::from(http::Response::new(reqwest::Body::wrap_stream(futures::stream::once(
            async { Err::<bytes::Bytes, std::io::Error>(std::io::Error::other("x")) },
        ))))
        .bytes()
        .await
        .expect_err("fails");
        assert!(take_carried(&plain).is_none());
    }

    #[test]
    fn tokens_that_cannot_be_sent_are_refused_without_being_shown() {
        for bad in ["", "SEKRIT\r\nx-evil: 1", "SEKRIT\0"] {
            let err = BearerToken::new(bad).header().expect_err(bad);
            assert!(
                !err.to_string().contains("SEKRIT") && !err.to_string().contains("evil"),
                "{err}"
            );
        }
        let ok = BearerToken::new("t0k").header().expect("sendable");
        assert_eq!(ok, "Bearer t0k");
        assert!(ok.is_sensitive());
    }
}
