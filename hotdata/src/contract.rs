//! The runtime contract: everything the generated code (`crate::generated`)
//! calls in the hand-written crate, and nothing else.
//!
//! `hotdata-gen` points `Settings::runtime_path` here, so the generated
//! files name no other `crate::` module; a test in `hotdata-gen` scans the
//! generated output to keep it that way. Changing what is re-exported here
//! is changing the contract: the generator and this list move together.
//!
//! - [`Transport`]: the generated client's inner value (its hooks add the
//!   headers and run the retry loop).
//! - [`Error`]: what every generated `send()` returns.
//! - [`Piece`]: one piece of a request path, for `Transport::url`.
//! - [`QuerySome`]: adds an optional query parameter only when it is set.
//! - [`send_json`], [`send_with`]: the future a `send()` returns once it
//!   has built its request: they send it through the hooks and turn the
//!   response, or a failure before one, into a value or an error.
//! - [`collect_body`], [`decode_slice`], [`unexpected_status`]: how a typed
//!   outcome decodes its body by status.

pub(crate) use crate::runtime::error::Error;
pub(crate) use crate::runtime::send::{QuerySome, collect_body, decode_slice, send_json, send_with, unexpected_status};
pub(crate) use crate::runtime::transport::{Piece, Transport};
