//! When a failed request is sent again, and how long to wait first.

use std::time::Duration;

/// How failed requests are retried.
///
/// What is retried:
/// - `429 Too Many Requests`, for every method: the server says it did not
///   process the request. The wait is the response's `Retry-After` (delay
///   seconds or an HTTP date) when it has one.
/// - `502`, `503` and `504`, and a connection reset or closed before the
///   response, only for requests that are safe to repeat: the idempotent
///   methods (`GET`, `HEAD`, `PUT`, `DELETE`, `OPTIONS`), and a `POST` whose
///   JSON body carries a non-null `idempotency_key` (the server acts at most
///   once per key, and every retry resends the same bytes, so the same key).
///   Any other `POST` that may have reached the server may have taken
///   effect, so it is never sent twice. `503` honours `Retry-After` too.
/// - A connection that could not be opened for a reason that may pass
///   (refused, reset or timed out while connecting), for every method: the
///   request provably never left the client.
/// - `401 Unauthorized`, once per call and at once, for every method, only
///   when the token came from a [`BearerProvider`](crate::BearerProvider):
///   the provider is told the token was refused and asked for another. The
///   provider is asked before every attempt, whatever the reason for it.
///
/// What is not: any other status; a host name that does not resolve, a
/// failed TLS handshake, a request that could not be built (they fail the
/// same way again); a request timeout (the timeout is the caller's whole
/// budget for the call); and a request whose body is a stream (it cannot be
/// replayed).
///
/// Waits grow exponentially from [`initial_backoff`](Self::initial_backoff)
/// up to [`max_backoff`](Self::max_backoff), with jitter (each wait is drawn
/// between half and all of the nominal value). Retrying stops after
/// [`max_attempts`](Self::max_attempts) attempts in all, or when the next wait
/// would end after [`max_elapsed`](Self::max_elapsed) from the first attempt;
/// the last response or error is then returned as is.
///
/// ```
/// use std::time::Duration;
/// let policy = hotdata::RetryPolicy::default()
///     .max_attempts(5)
///     .initial_backoff(Duration::from_millis(100))
///     .max_elapsed(Duration::from_secs(20));
/// assert_eq!(policy.get_max_attempts(), 5);
/// assert_eq!(hotdata::RetryPolicy::none().get_max_attempts(), 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_elapsed: Duration,
}

impl Default for RetryPolicy {
    /// 4 attempts in all, waits from 200 ms up to 5 s, at most 30 s in all.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Never retry: every request is sent once.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Attempts in all, counting the first; at least 1.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The nominal wait before the first retry; doubled for each later one.
    pub fn initial_backoff(mut self, wait: Duration) -> Self {
        self.initial_backoff = wait;
        self
    }

    /// The longest nominal wait between two attempts.
    pub fn max_backoff(mut self, wait: Duration) -> Self {
        self.max_backoff = wait;
        self
    }

    /// No retry starts after this much time from the first attempt, waits
    /// included; a `Retry-After` longer than what is left ends the retries.
    pub fn max_elapsed(mut self, limit: Duration) -> Self {
        self.max_elapsed = limit;
        self
    }

    /// Attempts in all, counting the first.
    pub fn get_max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The overall time limit for retrying.
    pub fn get_max_elapsed(&self) -> Duration {
        self.max_elapsed
    }

    /// The jittered wait after failed attempt number `attempt` (1-based).
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(20));
        let nominal = self.initial_backoff.saturating_mul(factor).min(self.max_backoff);
        let half = nominal / 2;
        let jitter_ns = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        half + Duration::from_nanos(fastrand::u64(0..=jitter_ns))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let p = RetryPolicy::default()
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(1000));
        for _ in 0..100 {
            let first = p.backoff(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = p.backoff(3);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
            let late = p.backoff(40);
            assert!(late >= Duration::from_millis(500) && late <= Duration::from_millis(1000));
        }
        assert_eq!(RetryPolicy::default().max_attempts(0).get_max_attempts(), 1);
    }
}
