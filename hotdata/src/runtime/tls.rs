//! TLS set-up for the clients this crate builds itself.
//!
//! Feature `rustls` (default) uses rustls with the `ring` provider, which
//! builds far faster than rustls' aws-lc default; feature `native-tls` uses
//! the platform's library and wins when both are on. An injected
//! `reqwest::Client` is used as given either way.

/// Makes `ring` the process-wide rustls crypto provider, unless the program
/// installed one already, so that a `reqwest::Client` the program builds
/// itself can open TLS connections.
///
/// The `rustls` feature (on by default) builds reqwest without a provider of
/// its own, and reqwest panics when a client is built before one is
/// installed. The clients the SDK builds install it themselves; call this
/// before building one to give [`ClientBuilder::http_client`] or
/// [`ClientBuilder::storage_http_client`]. It does nothing when a provider
/// is already installed, or when the build uses `native-tls` (which wins
/// over `rustls`) or no TLS at all. Calling it more than once is harmless.
///
/// [`ClientBuilder::http_client`]: crate::ClientBuilder::http_client
/// [`ClientBuilder::storage_http_client`]: crate::ClientBuilder::storage_http_client
///
/// ```
/// hotdata::install_tls_provider();
/// let http = reqwest::Client::builder().pool_max_idle_per_host(4).build().expect("client");
/// # drop(http);
/// ```
pub fn install_tls_provider() {
    #[cfg(all(feature = "rustls", not(feature = "native-tls")))]
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing the race to another installer is fine: a provider is set.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// Whether this build can open `https://` connections on its own.
pub(crate) const AVAILABLE: bool = cfg!(any(feature = "rustls", feature = "native-tls"));
