//! TLS set-up for the clients this crate builds itself.
//!
//! Feature `rustls` (default) uses rustls with the `ring` provider, which
//! builds far faster than rustls' aws-lc default; feature `native-tls` uses
//! the platform's library and wins when both are on. An injected
//! `reqwest::Client` is used as given either way.

/// Makes `ring` the process-wide rustls provider unless one is installed.
#[cfg(all(feature = "rustls", not(feature = "native-tls")))]
pub(crate) fn install_default_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing the race to another installer is fine: a provider is set.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// Whether this build can open `https://` connections on its own.
pub(crate) const AVAILABLE: bool = cfg!(any(feature = "rustls", feature = "native-tls"));
