//! Fault injection: make the next requests fail the way real networks and gateways do.

use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One kind of injected failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer `429` with a `Retry-After` header of this many seconds and the spec's rate-limit body.
    TooManyRequests {
        /// Value of the `Retry-After` header.
        retry_after_secs: u64,
    },
    /// Answer with this status and a `{"message", "status"}` body, for example `503`.
    Status(u16),
    /// Wait this long, then handle the request normally.
    Delay(Duration),
    /// Close the connection without sending a response.
    Reset,
    /// Handle the request to the end (its effects are stored), then close the connection without sending the
    /// response: the answer is lost after the server acted, as when a proxy or the network drops it.
    ResetAfterHandling,
    /// Handle the request, declare the full `Content-Length`, send only half the body, then close.
    TruncatedBody,
    /// Answer `200` with a JSON content type and a body that is not JSON.
    MalformedBody,
    /// Handle the request normally, but if it reads a stored result (`GET /v1/results/{id}` in any format but
    /// parquet), serve the result's rows in a fresh random order before applying `offset`/`limit`. The live
    /// contract promises no row order for result reads, so two reads of the same page can differ in order and in
    /// content, and offset pages can overlap or miss rows; a read of the whole result still has every row once.
    /// The permuted read holds the whole result in memory. On other requests this fault does nothing (the use is
    /// still taken), so give it a `path_prefix` such as `/v1/results`.
    UnorderedPages,
}

#[derive(Debug, Clone)]
struct Rule {
    fault: Fault,
    remaining: u32,
    path_prefix: Option<String>,
}

/// The queue of pending faults of one server. Rules are tried in the order they were pushed; each request under
/// `/v1` consumes one use of the first rule whose path prefix matches.
///
/// ```
/// use hotdata_local::{Fault, Server, Config};
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let server = Server::start(Config::default()).await.unwrap();
/// server.faults().push(Fault::Status(503), 2);
/// server.faults().push_for("/v1/query", Fault::TooManyRequests { retry_after_secs: 1 }, 1);
/// server.faults().clear();
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Faults {
    rules: Arc<Mutex<Vec<Rule>>>,
}

impl Faults {
    /// Applies `fault` to the next `times` requests, whatever their path.
    pub fn push(&self, fault: Fault, times: u32) {
        self.add(fault, times, None);
    }

    /// Applies `fault` to the next `times` requests whose path starts with `path_prefix` (for example
    /// `/v1/query`).
    pub fn push_for(&self, path_prefix: &str, fault: Fault, times: u32) {
        self.add(fault, times, Some(path_prefix.to_string()));
    }

    fn add(&self, fault: Fault, times: u32, path_prefix: Option<String>) {
        if times == 0 {
            return;
        }
        self.lock().push(Rule {
            fault,
            remaining: times,
            path_prefix,
        });
    }

    /// Drops every pending fault.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// How many injected failures are still pending, capped at `u32::MAX` (rules pushed with large counts do not
    /// overflow the total).
    pub fn pending(&self) -> u32 {
        self.lock()
            .iter()
            .fold(0u32, |total, r| total.saturating_add(r.remaining))
    }

    /// Takes one use of the first rule matching `path`.
    pub(crate) fn take(&self, path: &str) -> Option<Fault> {
        let mut rules = self.lock();
        let idx = rules
            .iter()
            .position(|r| r.remaining > 0 && r.path_prefix.as_deref().is_none_or(|p| path.starts_with(p)))?;
        let rule = &mut rules[idx];
        rule.remaining = rule.remaining.saturating_sub(1);
        let fault = rule.fault.clone();
        if rule.remaining == 0 {
            rules.remove(idx);
        }
        Some(fault)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Rule>> {
        self.rules.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::{Fault, Faults};

    #[test]
    fn pending_saturates_instead_of_overflowing() {
        let faults = Faults::default();
        faults.push(Fault::Status(503), u32::MAX);
        faults.push_for("/v1/query", Fault::Reset, u32::MAX);
        faults.push(Fault::MalformedBody, 7);
        assert_eq!(faults.pending(), u32::MAX);
    }

    #[test]
    fn a_rule_of_u32_max_uses_counts_down_and_keeps_its_order() {
        let faults = Faults::default();
        faults.push_for("/v1/query", Fault::Status(503), u32::MAX);
        faults.push(Fault::Status(429), 1);
        for _ in 0..3 {
            assert_eq!(faults.take("/v1/query"), Some(Fault::Status(503)));
        }
        // The query rule is still first for its prefix; other paths reach the second rule.
        assert_eq!(faults.take("/v1/results"), Some(Fault::Status(429)));
        assert_eq!(faults.take("/v1/results"), None);
        assert_eq!(faults.pending(), u32::MAX - 3);
    }
}
