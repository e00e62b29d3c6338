//! The crate's error type.

use std::fmt;

/// Everything that can go wrong in this crate.
///
/// ```
/// let err = hotdata::Client::builder().build().unwrap_err();
/// assert!(matches!(err, hotdata::Error::Config { .. }));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The client configuration is incomplete or invalid; nothing was sent.
    Config {
        /// What is wrong and how to fix it.
        message: String,
    },
}

impl Error {
    pub(crate) fn config(message: impl Into<String>) -> Self {
        Error::Config {
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config { message } => write!(f, "invalid client configuration: {message}"),
        }
    }
}

impl std::error::Error for Error {}
