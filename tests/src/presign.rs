//! Signing of the storage URLs handed out by upload sessions: HMAC-SHA256 (RFC 2104, built on `sha2`) over the
//! method, the path and the expiry, keyed by a random secret that lives as long as the server process.

use std::hash::{BuildHasher as _, Hasher as _};
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest as _, Sha256};

/// The prefix of every storage path; requests under it are served by [`crate::storage`].
pub(crate) const STORAGE_PREFIX: &str = "/_storage/";

/// Query parameter holding the expiry, in milliseconds since the Unix epoch.
pub(crate) const EXPIRES_PARAM: &str = "X-Local-Expires";
/// Query parameter holding the hex HMAC.
pub(crate) const SIGNATURE_PARAM: &str = "X-Local-Signature";

const BLOCK: usize = 64;

/// HMAC-SHA256 of `message` under `key`.
pub(crate) fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(message);
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner);
    outer.finalize().into()
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two byte strings in time that depends only on their lengths.
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// 32 bytes nobody can predict: the OS's random device where there is one, mixed with the per-process random
/// seeds of the standard library's hash maps, the clock and a counter.
pub(crate) fn random_bytes() -> [u8; 32] {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = Sha256::new();
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let mut buf = [0u8; 32];
        if std::io::Read::read_exact(&mut f, &mut buf).is_ok() {
            h.update(buf);
        }
    }
    for i in 0..4u64 {
        let mut s = std::collections::hash_map::RandomState::new().build_hasher();
        s.write_u64(i);
        h.update(s.finish().to_le_bytes());
    }
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    h.update(nanos.to_le_bytes());
    h.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    h.finalize().into()
}

/// Percent-encodes one path segment (everything but RFC 3986 unreserved characters).
pub(crate) fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The signing key of one server.
#[derive(Clone)]
pub(crate) struct Signer {
    key: [u8; 32],
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(..)")
    }
}

impl Signer {
    /// A signer with a fresh random key.
    pub(crate) fn random() -> Signer {
        Signer { key: random_bytes() }
    }

    fn signature(&self, method: &str, path: &str, expires: u64) -> [u8; 32] {
        let text = format!("{method}\n{path}\n{expires}");
        hmac_sha256(&self.key, text.as_bytes())
    }

    /// `path?X-Local-Expires=..&X-Local-Signature=..` for a `method` request valid until `expires` (ms).
    pub(crate) fn sign(&self, method: &str, path: &str, expires: u64) -> String {
        let sig = hex(&self.signature(method, path, expires));
        format!("{path}?{EXPIRES_PARAM}={expires}&{SIGNATURE_PARAM}={sig}")
    }

    /// Whether `signature` (hex) is the one this server made for `method`, `path` and `expires`.
    pub(crate) fn verify(&self, method: &str, path: &str, expires: u64, signature: &str) -> bool {
        let expected = hex(&self.signature(method, path, expires));
        same(expected.as_bytes(), signature.to_ascii_lowercase().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2 of RFC 4231.
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block is hashed first.
        let mac = hmac_sha256(&[0xaa; 131], b"Test Using Larger Than Block-Size Key - Hash Key First");
        assert_eq!(
            hex(&mac),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn signatures_bind_method_path_and_expiry() {
        let s = Signer::random();
        let url = s.sign("PUT", "/_storage/ws/upl_1/1", 1000);
        let sig = url.rsplit('=').next().unwrap();
        assert!(s.verify("PUT", "/_storage/ws/upl_1/1", 1000, sig));
        assert!(!s.verify("PUT", "/_storage/ws/upl_1/2", 1000, sig));
        assert!(!s.verify("PUT", "/_storage/ws/upl_1/1", 1001, sig));
        assert!(!s.verify("GET", "/_storage/ws/upl_1/1", 1000, sig));
        assert!(!Signer::random().verify("PUT", "/_storage/ws/upl_1/1", 1000, sig));
        assert_ne!(random_bytes(), random_bytes());
    }

    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(encode_segment("ws_local-1.x~"), "ws_local-1.x~");
        assert_eq!(encode_segment("a b/c"), "a%20b%2Fc");
    }
}
