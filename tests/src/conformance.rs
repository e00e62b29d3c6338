//! Recorded mismatches between traffic and the spec.

use std::fmt;
use std::sync::{Arc, Mutex};

/// Which side of an exchange broke the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The client sent something the spec does not allow.
    Request,
    /// The server answered with something the spec does not declare.
    Response,
}

/// One mismatch between traffic and `spec/openapi.yaml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// `operationId` of the operation concerned (or the method and path when no operation matched).
    pub operation_id: String,
    /// Request or response.
    pub direction: Direction,
    /// HTTP status of the response, for response violations.
    pub status: Option<u16>,
    /// JSON pointer of the offending field within the body (empty for the whole body), or a name such as
    /// `query:limit` or `header:Content-Type` for things outside the body.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = match self.direction {
            Direction::Request => "request".to_string(),
            Direction::Response => format!("response {}", self.status.unwrap_or(0)),
        };
        let at = if self.pointer.is_empty() {
            "(body)"
        } else {
            self.pointer.as_str()
        };
        write!(f, "{} {side} at {at}: {}", self.operation_id, self.message)
    }
}

/// The shared list of violations of one server.
#[derive(Debug, Clone, Default)]
pub(crate) struct Violations(Arc<Mutex<Vec<Violation>>>);

impl Violations {
    pub(crate) fn record(&self, v: Violation) {
        eprintln!("hotdata-local: spec violation: {v}");
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(v);
    }
    pub(crate) fn snapshot(&self) -> Vec<Violation> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
    pub(crate) fn take(&self) -> Vec<Violation> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}
