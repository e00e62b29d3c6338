//! TLS set-up: rustls with the `ring` provider, which builds far faster than
//! the aws-lc default.

/// Makes `ring` the process-wide rustls provider unless one is installed.
pub(crate) fn install_default_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing the race to another installer is fine: a provider is set.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}
