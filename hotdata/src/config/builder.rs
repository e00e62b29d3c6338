//! [`ClientBuilder`]: every setting of a [`Client`], from code, the
//! environment or the CLI's profile file, checked when the client is built.

use std::fmt;
use std::time::Duration;

use reqwest::header::HeaderValue;

use crate::client::{Client, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT, USER_AGENT_VALUE};
use crate::config::{self, EnvSource};
use crate::flows::follow::{ResultLimits, StreamedFormat};
use crate::generated;
use crate::runtime::credentials::ApiKey;
use crate::runtime::credentials::{BearerProvider, Credential};
use crate::runtime::error::Error;
use crate::runtime::retry::RetryPolicy;
use crate::runtime::transport::Transport;

/// Configures a [`Client`].
///
/// ```
/// use std::time::Duration;
/// let client = hotdata::Client::builder()
///     .api_key("hd_live_123")
///     .workspace_id("ws_abc123")
///     .database_id("db_42")
///     .base_url("http://127.0.0.1:4680")
///     .timeout(Duration::from_secs(30))
///     .connect_timeout(Duration::from_secs(5))
///     .read_timeout(Duration::from_secs(300))
///     .user_agent_suffix("my-app/1.2")
///     .retry(hotdata::RetryPolicy::default().max_attempts(6))
///     .build()
///     .expect("valid configuration");
/// assert_eq!(client.base_url(), "http://127.0.0.1:4680");
/// assert_eq!(client.database_id(), Some("db_42"));
/// ```
///
/// Explicit settings win over the environment, which wins over the profile
/// file; see [`from_env`](Self::from_env).
#[derive(Default, Clone)]
pub struct ClientBuilder {
    api_key: Option<ApiKey>,
    bearer_provider: Option<Credential>,
    workspace_id: Option<String>,
    database_id: Option<String>,
    base_url: Option<String>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    read_timeout: Option<Duration>,
    user_agent_suffix: Option<String>,
    retry: Option<RetryPolicy>,
    http: Option<reqwest::Client>,
    storage_http: Option<reqwest::Client>,
    allow_insecure_http: bool,
    env: Option<EnvSource>,
    profile: Option<String>,
    allow_unscoped: bool,
    limits: Option<ResultLimits>,
    streamed: Option<StreamedFormat>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_key", &self.api_key)
            .field("bearer_provider", &self.bearer_provider.as_ref().map(|_| "<provider>"))
            .field("workspace_id", &self.workspace_id)
            .field("database_id", &self.database_id)
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("user_agent_suffix", &self.user_agent_suffix)
            .field("retry", &self.retry)
            .field("http", &self.http.as_ref().map(|_| "<injected reqwest::Client>"))
            .field(
                "storage_http",
                &self.storage_http.as_ref().map(|_| "<injected reqwest::Client>"),
            )
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("from_env", &self.env.is_some())
            .field("profile", &self.profile)
            .field("allow_unscoped", &self.allow_unscoped)
            .field("limits", &self.limits)
            .field("streamed", &self.streamed)
            .finish()
    }
}

impl ClientBuilder {
    /// A builder that falls back to the environment and then to the profile
    /// file of Hotdata's CLI for every setting not given explicitly:
    ///
    /// | setting | variable | file entry (`profiles.<profile>.`) |
    /// |---|---|---|
    /// | API key | `HOTDATA_API_KEY` | `api_key` |
    /// | workspace | `HOTDATA_WORKSPACE_ID`, else `HOTDATA_WORKSPACE` | `workspace_id`, else the first `workspaces[].public_id` |
    /// | base URL (with or without `/v1`) | `HOTDATA_API_URL` | `api_url` |
    /// | default database | `HOTDATA_DATABASE` | `database` |
    ///
    /// The workspace variable has two names: `HOTDATA_WORKSPACE_ID` (this
    /// crate's, and Hotdata's Rust client's) and `HOTDATA_WORKSPACE` (Hotdata's
    /// CLI's and Python client's). When both are set, `HOTDATA_WORKSPACE_ID`
    /// wins, and a warning is logged if they differ.
    ///
    /// With [`bearer_provider`](Self::bearer_provider) set, no API key is read
    /// from the environment or the file.
    ///
    /// The file is `config.yml` in `HOTDATA_CONFIG_DIR`, else in `~/.hotdata`;
    /// the profile is the one named with [`profile`](Self::profile), else
    /// `HOTDATA_PROFILE`, else `default`. A missing file is fine; a profile
    /// named explicitly must exist. See [`config`](crate::config) for the layout.
    ///
    /// ```no_run
    /// let client = hotdata::ClientBuilder::from_env()
    ///     .profile("staging")
    ///     .timeout(std::time::Duration::from_secs(60))
    ///     .build()?;
    /// # Ok::<(), hotdata::Error>(())
    /// ```
    pub fn from_env() -> Self {
        ClientBuilder {
            env: Some(EnvSource::process()),
            ..ClientBuilder::default()
        }
    }

    /// [`from_env`](Self::from_env) with variables looked up through `lookup`
    /// instead of the process environment: for tests, or for settings kept
    /// elsewhere. `HOME` is looked up the same way.
    ///
    /// ```
    /// let client = hotdata::ClientBuilder::from_env_with(|name| match name {
    ///     "HOTDATA_API_KEY" => Some("hd_live_123".to_owned()),
    ///     "HOTDATA_CONFIG_DIR" => Some("/nonexistent".to_owned()),
    ///     _ => None,
    /// })
    /// .build()
    /// .expect("configured");
    /// assert_eq!(client.base_url(), hotdata::DEFAULT_BASE_URL);
    /// ```
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        ClientBuilder {
            env: Some(EnvSource::from_fn(lookup)),
            ..ClientBuilder::default()
        }
    }

    /// The profile of the CLI's `config.yml` to read (with
    /// [`from_env`](Self::from_env)); it must exist.
    pub fn profile(mut self, name: impl Into<String>) -> Self {
        self.profile = Some(name.into());
        self
    }

    /// The API key, sent as `Authorization: Bearer <key>` on every request.
    /// A client needs either this or a
    /// [`bearer_provider`](Self::bearer_provider), not both; with
    /// [`from_env`](Self::from_env), `HOTDATA_API_KEY` or the profile's
    /// `api_key` stands in for it when neither is set.
    pub fn api_key(mut self, key: impl Into<ApiKey>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Asks `provider` for the bearer token before every request attempt,
    /// retries included, instead of sending a fixed
    /// [`api_key`](Self::api_key): for short-lived tokens that must be
    /// refreshed, even in the middle of a call. Requests to object storage
    /// (presigned upload `PUT`s) never ask it. A provider error ends the call
    /// with [`Error::Credentials`]. See [`BearerProvider`] for a provider of
    /// your own type.
    ///
    /// Setting both this and [`api_key`](Self::api_key) is a
    /// [`Error::Config`] at [`build`](Self::build); a key from the
    /// environment or the profile file is not used when a provider is set.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// // Any shared source of the current token; here a value another task refreshes.
    /// let current = Arc::new(std::sync::RwLock::new(hotdata::BearerToken::new("first-token")));
    /// let source = Arc::clone(&current);
    /// let client = hotdata::Client::builder()
    ///     .bearer_provider(move || {
    ///         // Read now: the future must not hold the lock's guard.
    ///         let token = source.read().map(|t| t.clone()).map_err(|_| "token lock poisoned");
    ///         async move { token }
    ///     })
    ///     .workspace_id("ws_abc123")
    ///     .build()
    ///     .expect("configured");
    /// *current.write().unwrap() = hotdata::BearerToken::new("second-token");
    /// # drop(client);
    /// ```
    pub fn bearer_provider(mut self, provider: impl BearerProvider) -> Self {
        self.bearer_provider = Some(Credential::provider(provider));
        self
    }

    /// The workspace, sent as `X-Workspace-Id`. Required by every operation
    /// except the workspace ones.
    pub fn workspace_id(mut self, id: impl Into<String>) -> Self {
        self.workspace_id = Some(id.into());
        self
    }

    /// The database that queries are scoped to unless a call says otherwise:
    /// sent as `X-Database-Id` on the operations whose spec declares that
    /// header (`query`), when the call does not set it itself.
    pub fn database_id(mut self, id: impl Into<String>) -> Self {
        self.database_id = Some(id.into());
        self
    }

    /// Where the API lives; defaults to [`DEFAULT_BASE_URL`]. A trailing `/`
    /// or `/v1` is accepted and removed, since operation paths start with `/v1`.
    /// `http://` is refused unless the host is loopback or
    /// [`allow_insecure_http`](Self::allow_insecure_http) is set.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Accept an `http://` base URL on a host other than loopback. The API key
    /// then crosses the network in clear text.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Limit on each request attempt, from sending to the last body byte.
    /// Applied per request, so it also holds with an injected HTTP client.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Limit on establishing a connection (TCP and TLS);
    /// [`DEFAULT_CONNECT_TIMEOUT`] unless set. Cannot be combined with
    /// [`http_client`](Self::http_client): set it on that client instead.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Limit on waiting for the next bytes of a response, its head or the
    /// next chunk of its body; [`DEFAULT_READ_TIMEOUT`] unless set. Unlike
    /// [`timeout`](Self::timeout) it does not cap a long download that keeps
    /// arriving, only a connection that went quiet. Running out is
    /// [`Error::Timeout`]. Cannot be combined with
    /// [`http_client`](Self::http_client): set it on that client instead.
    ///
    /// ```
    /// use std::time::Duration;
    /// let client = hotdata::Client::builder()
    ///     .api_key("hd_live_123")
    ///     .connect_timeout(Duration::from_secs(3))
    ///     .read_timeout(Duration::from_secs(600)) // queries that think for minutes
    ///     .build()
    ///     .expect("valid configuration");
    /// # drop(client);
    /// ```
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = Some(timeout);
        self
    }

    /// Appended to the `User-Agent`: `hotdata-rust/<version> <suffix>`.
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// How failed requests are retried; [`RetryPolicy::default`] unless set.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Sends every request with this client, used as given: the SDK adds its
    /// headers to each request and never changes the client's settings (its
    /// proxy, TLS, pool, redirect policy and timeouts stay as built; the
    /// defaults [`DEFAULT_CONNECT_TIMEOUT`] and [`DEFAULT_READ_TIMEOUT`] apply
    /// only to the client the builder makes itself, so give yours the
    /// timeouts you want). reqwest drops the `Authorization` header on any
    /// redirect to another host. [`timeout`](Self::timeout) still applies,
    /// per request.
    ///
    /// The client also sends the `PUT`s of presigned uploads to object
    /// storage, unless [`storage_http_client`](Self::storage_http_client)
    /// gives storage a client of its own. The SDK adds none of its headers to
    /// those, but reqwest adds the client's own default headers to every
    /// request it sends: a client built with `default_headers` holding a
    /// credential would hand it to storage, so give storage another client.
    ///
    /// With the default `rustls` feature, call [`install_tls_provider`](crate::install_tls_provider) before
    /// building the client: reqwest is built without a TLS provider of its own, and panics without one.
    ///
    /// ```
    /// hotdata::install_tls_provider();
    /// let http = reqwest::Client::builder().pool_max_idle_per_host(4).build().expect("client");
    /// let client = hotdata::Client::builder().api_key("hd_live_123").http_client(http).build().expect("ok");
    /// # drop(client);
    /// ```
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Sends the `PUT`s of presigned uploads, which go to object storage
    /// rather than to the API, with this client. Without it they go through
    /// the API's client: the one given to [`http_client`](Self::http_client),
    /// or else the one the builder makes.
    ///
    /// Give storage its own client when the API's client carries default
    /// headers that must stay with the API (reqwest adds them to every
    /// request, storage ones included), or when storage is reached through
    /// another proxy or with other TLS roots. The SDK sends these requests
    /// as the upload session asks, with no bearer and no workspace header,
    /// and never changes the client's settings.
    ///
    /// ```
    /// use reqwest::header::{HeaderMap, HeaderValue};
    ///
    /// hotdata::install_tls_provider();
    /// // A gateway in front of the API wants its own header on every request...
    /// let mut gateway = HeaderMap::new();
    /// gateway.insert("x-gateway-key", HeaderValue::from_static("gw-secret"));
    /// let api_http = reqwest::Client::builder().default_headers(gateway).build().expect("client");
    /// // ...which must not reach object storage.
    /// let storage_http = reqwest::Client::new();
    /// let client = hotdata::Client::builder()
    ///     .api_key("hd_live_123")
    ///     .http_client(api_http)
    ///     .storage_http_client(storage_http)
    ///     .build()
    ///     .expect("ok");
    /// # drop(client);
    /// ```
    pub fn storage_http_client(mut self, client: reqwest::Client) -> Self {
        self.storage_http = Some(client);
        self
    }

    /// The connect and read timeouts the client the builder makes gets.
    fn network_timeouts(&self) -> (Duration, Duration) {
        (
            self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
            self.read_timeout.unwrap_or(DEFAULT_READ_TIMEOUT),
        )
    }

    /// Lets queries, result reads and run waits go out with no database.
    ///
    /// The live API scopes every query, stored result and query run to one
    /// database (`X-Database-Id`), so by default the client refuses such a
    /// call that has no database, per call or by default
    /// ([`database_id`](Self::database_id)), with
    /// [`Error::InvalidArgument`] before anything is sent. Servers of the
    /// May 2026 contract (`hotdata-local --contract 2026-05`) run unscoped
    /// queries over every connection; set this for them.
    ///
    /// ```
    /// let client = hotdata::Client::builder()
    ///     .api_key("hd_live_123")
    ///     .base_url("http://127.0.0.1:4680")
    ///     .allow_unscoped(true)
    ///     .build()?;
    /// assert!(client.allows_unscoped());
    /// # Ok::<(), hotdata::Error>(())
    /// ```
    pub fn allow_unscoped(mut self, allow: bool) -> Self {
        self.allow_unscoped = allow;
        self
    }

    /// The guards on reading a whole result into memory (a query's answer
    /// followed past its preview, a stored result read as rows), unless a
    /// call sets its own. [`ResultLimits::default`] is the default.
    ///
    /// ```
    /// let client = hotdata::Client::builder()
    ///     .api_key("hd_live_123")
    ///     .result_limits(hotdata::ResultLimits::default().max_rows(5_000_000).max_bytes(None))
    ///     .build()?;
    /// assert_eq!(client.result_limits().get_max_rows(), Some(5_000_000));
    /// # Ok::<(), hotdata::Error>(())
    /// ```
    pub fn result_limits(mut self, limits: ResultLimits) -> Self {
        self.limits = Some(limits);
        self
    }

    /// The format whole results are read in (a query's answer followed past
    /// its preview, [`ResultRequest::rows`](crate::ResultRequest::rows) and
    /// [`stream`](crate::ResultRequest::stream)): Arrow by default with the
    /// `arrow` feature, else CSV. Choosing Arrow in a build without that
    /// feature is an [`Error::Config`] from [`build`](Self::build).
    ///
    /// ```
    /// let client = hotdata::Client::builder()
    ///     .api_key("hd_live_123")
    ///     .streamed_format(hotdata::StreamedFormat::Csv)
    ///     .build()?;
    /// assert_eq!(client.streamed_format(), hotdata::StreamedFormat::Csv);
    /// # Ok::<(), hotdata::Error>(())
    /// ```
    pub fn streamed_format(mut self, format: StreamedFormat) -> Self {
        self.streamed = Some(format);
        self
    }

    /// Checks the configuration and builds the client.
    pub fn build(self) -> Result<Client, Error> {
        if self.streamed == Some(StreamedFormat::Arrow) && !cfg!(feature = "arrow") {
            return Err(Error::config(
                "StreamedFormat::Arrow needs the `arrow` feature of hotdata; enable it or choose StreamedFormat::Csv",
            ));
        }
        let (connect_timeout, read_timeout) = self.network_timeouts();
        let resolved = match &self.env {
            Some(env) => Some(config::resolve(env, self.profile.as_deref())?),
            None => None,
        };
        let (mut env_key, mut env_ws, mut env_url, mut env_db) = (None, None, None, None);
        if let Some(r) = &resolved {
            env_key = r.api_key.clone();
            env_ws = r.workspace_id.clone();
            env_url = r.base_url.clone();
            env_db = r.database_id.clone();
        }
        let credential = match (self.api_key, self.bearer_provider) {
            (Some(_), Some(_)) => {
                return Err(Error::config(
                    "both an API key and a bearer provider were set: call only one of `.api_key(..)` and \
                     `.bearer_provider(..)`",
                ));
            }
            (None, Some(provider)) => provider,
            (key, None) => {
                let key = key.or(env_key).ok_or_else(|| match &resolved {
                    Some(r) => Error::config(format!(
                        "no API key: call `.api_key(..)` or `.bearer_provider(..)`, set {}, or add `api_key` \
                         under `profiles.{}` in {}",
                        config::env::API_KEY,
                        r.profile,
                        r.file.display()
                    )),
                    None => Error::config(
                        "no API key: call `.api_key(..)` or `.bearer_provider(..)` on the client builder, or start \
                         from `ClientBuilder::from_env()` to read HOTDATA_API_KEY",
                    ),
                })?;
                let mut authorization = HeaderValue::try_from(format!("Bearer {}", key.expose()))
                    .map_err(|_| Error::config("the API key contains characters that cannot be sent in a header"))?;
                authorization.set_sensitive(true);
                Credential::Fixed(authorization)
            }
        };
        let workspace_id = self.workspace_id.or(env_ws);
        let database_id = self.database_id.or(env_db);
        let raw_url = self.base_url.or(env_url);
        let base_url = normalise_base_url(raw_url.as_deref().unwrap_or(DEFAULT_BASE_URL))?;
        check_scheme(&base_url, self.allow_insecure_http)?;

        let header = |what: &str, value: &Option<String>| -> Result<Option<HeaderValue>, Error> {
            value
                .as_deref()
                .map(|v| {
                    HeaderValue::try_from(v).map_err(|_| {
                        Error::config(format!(
                            "the {what} contains characters that cannot be sent in a header"
                        ))
                    })
                })
                .transpose()
        };
        let workspace = header("workspace id", &workspace_id)?;
        let database = header("database id", &database_id)?;
        let user_agent = match &self.user_agent_suffix {
            Some(suffix) => HeaderValue::try_from(format!("{USER_AGENT_VALUE} {suffix}")).map_err(|_| {
                Error::config("the user-agent suffix contains characters that cannot be sent in a header")
            })?,
            None => HeaderValue::from_static(USER_AGENT_VALUE),
        };

        let http = match self.http {
            Some(http) => {
                if self.connect_timeout.is_some() {
                    return Err(Error::config(
                        "connect_timeout cannot be applied to an injected reqwest::Client: set it on that client",
                    ));
                }
                if self.read_timeout.is_some() {
                    return Err(Error::config(
                        "read_timeout cannot be applied to an injected reqwest::Client: set it on that client",
                    ));
                }
                http
            }
            None => {
                check_tls_available(&base_url, crate::runtime::tls::AVAILABLE)?;
                crate::runtime::tls::install_tls_provider();
                let origin = base_url.clone();
                let mut http = reqwest::Client::builder().redirect(same_origin_redirects(origin));
                #[cfg(feature = "native-tls")]
                {
                    http = http.tls_backend_native();
                }
                http = http.connect_timeout(connect_timeout).read_timeout(read_timeout);
                http.build()
                    .map_err(|e| Error::config(format!("cannot build the HTTP client: {e}")))?
            }
        };
        let base = reqwest::Url::parse(&base_url).map_err(|e| Error::config(format!("base URL {base_url:?}: {e}")))?;
        let transport = Transport::new(
            base,
            credential,
            workspace,
            database,
            user_agent,
            self.timeout,
            self.retry.unwrap_or_default(),
        );
        Ok(Client {
            api: generated::Client::new_with_client(&base_url, http, transport),
            workspace_id,
            database_id,
            allow_unscoped: self.allow_unscoped,
            limits: self.limits.unwrap_or_default(),
            streamed: self.streamed.unwrap_or_default(),
            storage_http: self.storage_http,
        })
    }
}

/// Follows redirects only within the base URL's origin (at most 5); a
/// redirect elsewhere is not followed and its 3xx is returned as an error, so
/// the key never travels to another origin.
/// Refuses an `https://` base URL when this build has no TLS backend, so the
/// mistake shows at build time instead of as a connect error on first use.
fn check_tls_available(base_url: &str, tls_available: bool) -> Result<(), Error> {
    if base_url.starts_with("https:") && !tls_available {
        return Err(Error::config(
            "this build of hotdata has no TLS: enable the `rustls` or `native-tls` feature, \
             or inject a reqwest::Client that has TLS",
        ));
    }
    Ok(())
}

fn same_origin_redirects(base_url: String) -> reqwest::redirect::Policy {
    let origin = reqwest::Url::parse(&base_url).ok().map(|u| u.origin());
    reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= 5 {
            attempt.stop()
        } else if origin.as_ref() == Some(&attempt.url().origin()) {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

/// `http://` only to loopback, unless allowed.
fn check_scheme(base_url: &str, allow_insecure: bool) -> Result<(), Error> {
    let url = reqwest::Url::parse(base_url).map_err(|e| Error::config(format!("base URL {base_url:?}: {e}")))?;
    if url.scheme() == "https" || allow_insecure {
        return Ok(());
    }
    let host = url.host_str().unwrap_or_default();
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback {
        Ok(())
    } else {
        Err(Error::config(format!(
            "base URL {base_url} uses http:// on a host that is not loopback, which would send the API key \
             in clear text: use https://, or call `.allow_insecure_http(true)`"
        )))
    }
}

/// Validates a base URL and strips a trailing `/` and `/v1`.
fn normalise_base_url(raw: &str) -> Result<String, Error> {
    let url =
        reqwest::Url::parse(raw.trim()).map_err(|e| Error::config(format!("base URL {raw:?} is not a URL: {e}")))?;
    // Checked first, and the URL is not quoted: it would carry the password
    // into the error, and a kept base URL would carry it into `Debug`.
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::config(
            "the base URL must not hold a user name or password (`https://user:pass@host`); \
             the API key is the only credential the client sends",
        ));
    }
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::config(format!(
            "base URL {raw:?} must be an http(s) URL with a host"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::config(format!(
            "base URL {raw:?} must not have a query or a fragment"
        )));
    }
    let mut text = url.as_str().trim_end_matches('/').to_owned();
    let prefix = crate::generated::operations::PATH_PREFIX;
    if let Some(stripped) = text.strip_suffix(prefix)
        && !prefix.is_empty()
    {
        text = stripped.to_owned();
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_without_tls_refuses_https_but_not_http() {
        let err = check_tls_available("https://api.hotdata.dev", false).unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{err:?}");
        assert!(err.to_string().contains("`rustls` or `native-tls`"), "{err}");
        check_tls_available("http://127.0.0.1:4680", false).unwrap();
        check_tls_available("https://api.hotdata.dev", true).unwrap();
    }

    #[test]
    fn base_url_is_normalised() {
        for (raw, want) in [
            ("https://api.hotdata.dev", "https://api.hotdata.dev"),
            ("https://api.hotdata.dev/", "https://api.hotdata.dev"),
            ("https://api.hotdata.dev/v1", "https://api.hotdata.dev"),
            ("https://api.hotdata.dev/v1/", "https://api.hotdata.dev"),
            ("http://127.0.0.1:4680/prefix", "http://127.0.0.1:4680/prefix"),
        ] {
            assert_eq!(normalise_base_url(raw).expect(raw), want);
        }
        for bad in [
            "",
            "api.hotdata.dev",
            "ftp://x",
            "http://",
            "https://h/?a=1",
            "https://h/#top",
        ] {
            assert!(normalise_base_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn base_urls_with_credentials_are_refused_without_echoing_them() {
        for raw in [
            "https://user:hd_pw_secret@api.hotdata.dev",
            "https://hd_pw_secret@api.hotdata.dev",
            "https://:hd_pw_secret@api.hotdata.dev/v1?x=1",
        ] {
            let err = normalise_base_url(raw).expect_err(raw);
            assert!(matches!(err, Error::Config { .. }), "{err:?}");
            assert!(!err.to_string().contains("hd_pw_secret"), "{err}");
            assert!(!format!("{err:?}").contains("hd_pw_secret"), "{err:?}");
            let built = Client::builder().api_key("k").workspace_id("ws").base_url(raw).build();
            assert!(built.is_err(), "{raw}");
        }
    }

    #[test]
    fn plain_http_only_to_loopback() {
        for ok in [
            "http://127.0.0.1:1",
            "http://localhost:1",
            "http://[::1]:1",
            "https://example.com",
        ] {
            assert!(check_scheme(ok, false).is_ok(), "{ok}");
        }
        let err = check_scheme("http://example.com", false).expect_err("insecure");
        assert!(err.to_string().contains("allow_insecure_http"), "{err}");
        assert!(check_scheme("http://example.com", true).is_ok());
    }

    #[test]
    fn the_built_client_has_connect_and_read_timeouts_unless_told_otherwise() {
        let builder = Client::builder().api_key("k");
        assert_eq!(
            builder.network_timeouts(),
            (DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT)
        );
        let builder = builder
            .connect_timeout(Duration::from_secs(1))
            .read_timeout(Duration::from_secs(2));
        assert_eq!(
            builder.network_timeouts(),
            (Duration::from_secs(1), Duration::from_secs(2))
        );
        crate::install_tls_provider();
        let err = Client::builder()
            .api_key("k")
            .http_client(reqwest::Client::new())
            .read_timeout(Duration::from_secs(1))
            .build()
            .expect_err("cannot reconfigure an injected client");
        assert!(err.to_string().contains("read_timeout"), "{err}");
    }

    #[test]
    fn missing_key_is_a_config_error() {
        let err = Client::builder().build().expect_err("no key");
        assert!(err.to_string().contains("api_key"), "{err}");
    }

    #[test]
    fn debug_never_shows_the_key() {
        let builder = Client::builder().api_key("hd_secret_value").workspace_id("ws_1");
        assert!(!format!("{builder:?}").contains("hd_secret_value"));
        let client = builder.build().expect("builds");
        assert!(!format!("{client:?}").contains("hd_secret_value"));
        assert!(!format!("{:?}", client.api()).contains("hd_secret_value"));
    }
}
