//! What a handler answers, and the errors it can answer with.

use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::spec::{ErrorShape, Operation};

/// A response body.
#[derive(Debug)]
pub(crate) enum Body {
    Empty,
    /// Complete JSON text (written by hand where numbers must stay exact).
    Json(String),
    /// Chunks produced while the response is sent; never validated, used for large results.
    Stream(mpsc::Receiver<Result<Bytes, std::io::Error>>),
}

/// A handler's answer.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) content_type: Option<String>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Body,
}

impl Reply {
    /// A JSON reply from a `serde_json::Value`.
    pub(crate) fn json(status: u16, value: &Value) -> Reply {
        Reply::json_text(status, value.to_string())
    }

    /// A JSON reply from JSON text.
    pub(crate) fn json_text(status: u16, text: String) -> Reply {
        Reply {
            status,
            content_type: Some("application/json".into()),
            headers: Vec::new(),
            body: Body::Json(text),
        }
    }

    /// `204 No Content`.
    pub(crate) fn no_content() -> Reply {
        Reply {
            status: 204,
            content_type: None,
            headers: Vec::new(),
            body: Body::Empty,
        }
    }

    /// Adds a header.
    pub(crate) fn with_header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.to_string(), value.into()));
        self
    }
}

/// An error answer; its body takes the shape the spec declares for the operation and status.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

/// Shorthand for handler results.
pub(crate) type ApiResult = Result<Reply, ApiError>;

impl ApiError {
    pub(crate) fn new(status: u16, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
    pub(crate) fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "bad_request", message)
    }
    pub(crate) fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(404, "not_found", message)
    }
    pub(crate) fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(409, "conflict", message)
    }
    pub(crate) fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(500, "internal_error", message)
    }

    /// Renders the error for `op` (generic shape when the operation is unknown).
    pub(crate) fn into_reply(self, op: Option<&Operation>) -> Reply {
        let shape = op.map(|o| o.error_shape(self.status)).unwrap_or(ErrorShape::Generic);
        let body = match shape {
            ErrorShape::Api => json!({"error": {"code": self.code, "message": self.message}}),
            ErrorShape::Generic => json!({"message": self.message, "status": self.status}),
        };
        Reply::json(self.status, &body)
    }
}
