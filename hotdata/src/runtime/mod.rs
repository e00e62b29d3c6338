//! The runtime every request goes through, generated or hand-written.
//!
//! - [`transport`]: the HTTP client, its headers and timeouts, and the retry
//!   loop run around each attempt;
//! - [`retry`]: the retry policy, its backoff, and which failures may be
//!   sent again;
//! - [`send`]: what the generated `send()` methods call to build requests
//!   and read responses;
//! - [`error`]: the error kinds and how responses and failures become them;
//! - [`credentials`]: the API key and the bearer-provider hook;
//! - [`http`]: reading bodies and following links of hand-written requests;
//! - [`json_path`]: where in a body a decode failed;
//! - [`tls`]: the TLS set-up of the clients this crate builds.

pub(crate) mod credentials;
pub(crate) mod error;
pub(crate) mod http;
pub(crate) mod json_path;
pub(crate) mod retry;
pub(crate) mod send;
pub(crate) mod tls;
pub mod transport;
