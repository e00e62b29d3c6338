//! The hand-written client over the generated one: where requests go and who
//! they are sent as.

use std::fmt;
use std::ops::Deref;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue, USER_AGENT};

use crate::error::Error;
use crate::generated;

/// Where the Hotdata API lives unless told otherwise.
pub const DEFAULT_BASE_URL: &str = "https://api.hotdata.dev";

/// The `User-Agent` this SDK sends: `hotdata-rust/<version>`.
pub const USER_AGENT_VALUE: &str = concat!("hotdata-rust/", env!("CARGO_PKG_VERSION"));

/// The header naming the workspace a request acts on.
pub const WORKSPACE_HEADER: &str = "x-workspace-id";

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

/// A Hotdata client: configuration plus the generated operations.
///
/// Every operation of the API is a builder method reached through this
/// client once [`prelude`](crate::prelude) is in scope:
///
/// ```no_run
/// use hotdata::prelude::*;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = hotdata::Client::builder()
///     .api_key("hd_live_123")
///     .workspace_id("ws_abc123")
///     .build()?;
/// let datasets = client.list_datasets().limit(10).send().await?;
/// for d in &datasets.datasets {
///     println!("{} {}", d.id, d.label);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    api: generated::Client,
    workspace_id: Option<String>,
}

impl Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
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
            .field("api_key", &"<redacted>")
            .finish()
    }
}

/// Configures a [`Client`].
///
/// ```
/// let client = hotdata::Client::builder()
///     .api_key("hd_live_123")
///     .workspace_id("ws_abc123")
///     .base_url("http://127.0.0.1:4680")
///     .timeout(std::time::Duration::from_secs(30))
///     .build()
///     .expect("valid configuration");
/// assert_eq!(client.base_url(), "http://127.0.0.1:4680");
/// ```
// `Debug` is derived: `ApiKey` redacts itself.
#[derive(Default, Clone, Debug)]
pub struct ClientBuilder {
    api_key: Option<ApiKey>,
    workspace_id: Option<String>,
    base_url: Option<String>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
}

impl ClientBuilder {
    /// The API key, sent as `Authorization: Bearer <key>`. Required.
    pub fn api_key(mut self, key: impl Into<ApiKey>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The workspace, sent as `X-Workspace-Id`. Required by every operation
    /// except the workspace ones.
    pub fn workspace_id(mut self, id: impl Into<String>) -> Self {
        self.workspace_id = Some(id.into());
        self
    }

    /// Where the API lives; defaults to [`DEFAULT_BASE_URL`]. A trailing `/`
    /// or `/v1` is accepted and removed, since operation paths start with `/v1`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Limit on a whole request, from connecting to the last body byte.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Limit on establishing a connection.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Checks the configuration and builds the client.
    pub fn build(self) -> Result<Client, Error> {
        let key = self
            .api_key
            .ok_or_else(|| Error::config("no API key: call `.api_key(..)` on the client builder"))?;
        let base_url = normalise_base_url(self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))?;

        let mut headers = HeaderMap::new();
        let mut auth = HeaderValue::try_from(format!("Bearer {}", key.expose()))
            .map_err(|_| Error::config("the API key contains characters that cannot be sent in a header"))?;
        auth.set_sensitive(true);
        headers.insert(AUTHORIZATION, auth);
        if let Some(ws) = &self.workspace_id {
            let value = HeaderValue::try_from(ws.as_str())
                .map_err(|_| Error::config("the workspace id contains characters that cannot be sent in a header"))?;
            headers.insert(HeaderName::from_static(WORKSPACE_HEADER), value);
        }
        headers.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));

        crate::tls::install_default_provider();
        let mut http = reqwest::Client::builder().default_headers(headers);
        if let Some(t) = self.timeout {
            http = http.timeout(t);
        }
        if let Some(t) = self.connect_timeout {
            http = http.connect_timeout(t);
        }
        let http = http
            .build()
            .map_err(|e| Error::config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client {
            api: generated::Client::new_with_client(&base_url, http),
            workspace_id: self.workspace_id,
        })
    }
}

/// Validates a base URL and strips a trailing `/` and `/v1`.
fn normalise_base_url(raw: &str) -> Result<String, Error> {
    let url =
        reqwest::Url::parse(raw.trim()).map_err(|e| Error::config(format!("base URL {raw:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::config(format!(
            "base URL {raw:?} must be an http(s) URL with a host"
        )));
    }
    let mut text = url.as_str().trim_end_matches('/').to_owned();
    if let Some(stripped) = text.strip_suffix("/v1") {
        text = stripped.to_owned();
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        for bad in ["", "api.hotdata.dev", "ftp://x", "http://"] {
            assert!(normalise_base_url(bad).is_err(), "{bad}");
        }
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
