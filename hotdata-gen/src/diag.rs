//! Diagnostics: every problem the generator reports names where it is and how
//! to fix it, instead of surfacing as a panic deep inside progenitor.

use std::fmt;

/// One problem found in a spec, with enough context to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The `operationId` concerned, when the problem sits inside an operation.
    pub operation: Option<String>,
    /// RFC 6901 JSON pointer into the document as written (before lowering).
    pub pointer: String,
    /// What is wrong.
    pub message: String,
    /// What to change in the spec to make it right.
    pub fix: String,
}

impl Diagnostic {
    pub(crate) fn new(pointer: impl Into<String>, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Diagnostic {
            operation: None,
            pointer: pointer.into(),
            message: message.into(),
            fix: fix.into(),
        }
    }

    pub(crate) fn in_operation(mut self, operation: Option<&str>) -> Self {
        self.operation = operation.map(str::to_owned);
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.operation {
            Some(op) => write!(f, "operation `{op}` at {}: {}", self.pointer, self.message)?,
            None => write!(f, "at {}: {}", self.pointer, self.message)?,
        }
        write!(f, "\n  fix: {}", self.fix)
    }
}

/// Everything that can stop generation.
#[derive(Debug)]
#[non_exhaustive]
pub enum GenError {
    /// The text is neither valid YAML nor JSON.
    Parse(String),
    /// The document breaks one or more rules; all of them are listed.
    Lint(Vec<Diagnostic>),
    /// progenitor refused the (already linted) document.
    Progenitor(String),
    /// The emitted code did not parse as Rust (a generator bug).
    Emit(String),
    /// progenitor wrote a `send()` in a shape the rewrite does not know
    /// (typically after a progenitor upgrade).
    UnexpectedShape {
        /// The operation whose `send()` it is (`(unknown)` when not found).
        operation: String,
        /// The builder type the `send()` belongs to.
        builder: String,
        /// What the rewrite looks for.
        expected: String,
        /// What it found instead, as tokens (`none` when absent).
        found: String,
    },
}

impl fmt::Display for GenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GenError::Parse(m) => write!(f, "cannot read the spec: {m}"),
            GenError::Lint(diags) => {
                writeln!(f, "the spec has {} problem(s):", diags.len())?;
                for d in diags {
                    writeln!(f, "- {d}")?;
                }
                Ok(())
            }
            GenError::Progenitor(m) => write!(f, "progenitor rejected the spec: {m}"),
            GenError::Emit(m) => write!(f, "generated code is not valid Rust: {m}"),
            GenError::UnexpectedShape {
                operation,
                builder,
                expected,
                found,
            } => write!(
                f,
                "unexpected progenitor output in `{builder}::send()` of operation `{operation}`: \
                 expected {expected}, found {found} (teach hotdata-gen/src/send.rs the new shape)"
            ),
        }
    }
}

impl std::error::Error for GenError {}

/// Escape one reference token for a JSON pointer (RFC 6901).
pub(crate) fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Build a pointer from tokens.
pub(crate) fn pointer<I, S>(tokens: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut out = String::new();
    for t in tokens {
        out.push('/');
        out.push_str(&escape(t.as_ref()));
    }
    out
}
