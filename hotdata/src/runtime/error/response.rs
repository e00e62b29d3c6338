//! Reading an error response: status, request id and `Retry-After` from the
//! headers, code and message from whichever body shape the server used.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};

use super::*;

impl Error {
    /// Builds the error for a response with an error status, reading at most
    /// a bounded prefix of its body.
    pub(crate) async fn from_response(operation: impl Into<Cow<'static, str>>, response: reqwest::Response) -> Self {
        let operation = operation.into();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = match read_prefix(response, ERROR_BODY_LIMIT).await {
            Ok(body) => body,
            Err(err) => return Error::from_reqwest(operation, err),
        };
        Error::Api(Box::new(ApiError::from_parts(operation, status, &headers, &body)))
    }
}

impl ApiError {
    /// Reads an error response: the status, the request id and `Retry-After`
    /// from the headers, and the code and message from whichever body shape
    /// the server used (`{"error":{"code","message"}}`,
    /// `{"message","status"}`, `{"error":"..."}`, or plain text).
    pub fn from_parts(
        operation: impl Into<Cow<'static, str>>,
        status: u16,
        headers: &HeaderMap,
        body: &[u8],
    ) -> ApiError {
        let (code, message) = parse_error_body(body);
        let message = message.unwrap_or_else(|| {
            let text = String::from_utf8_lossy(&body[..body.len().min(BODY_EXCERPT_LIMIT)]);
            let text = text.trim();
            if text.is_empty() || text.starts_with('{') || text.starts_with('<') {
                reqwest::StatusCode::from_u16(status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("error")
                    .to_owned()
            } else {
                text.lines().next().unwrap_or_default().to_owned()
            }
        });
        ApiError {
            operation: operation.into(),
            status,
            code,
            message,
            request_id: request_id(headers),
            retry_after: retry_after(headers, SystemTime::now()),
            body_excerpt: excerpt(body),
        }
    }
}

/// Error bodies larger than this are cut; the message is always near the top.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// Reads at most `limit` bytes of a body and drops the rest.
async fn read_prefix(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = limit - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= limit {
            break;
        }
    }
    Ok(body)
}

/// The code and message of an error body, whatever its shape.
fn parse_error_body(body: &[u8]) -> (Option<String>, Option<String>) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return (None, None);
    };
    let text = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).map(str::to_owned);
    match value.get("error") {
        // {"error": {"code": .., "message": ..}}
        Some(detail @ serde_json::Value::Object(_)) => (text(detail.get("code")), text(detail.get("message"))),
        // {"error": "..."}
        Some(serde_json::Value::String(message)) => (text(value.get("code")), Some(message.clone())),
        // {"message": .., "status": ..} and anything else with a message;
        // a failed result's own state (`{status, result_id, error_message}`).
        _ => (
            text(value.get("code")),
            text(value.get("message")).or_else(|| text(value.get("error_message"))),
        ),
    }
}

/// The first request or trace id header present.
pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    REQUEST_ID_HEADERS
        .iter()
        .find_map(|name| headers.get(*name))
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// `Retry-After` as a duration: either delay seconds or an HTTP date,
/// measured from `now`. A date in the past means "now".
/// The header is the server's word, so its value is capped at
/// [`MAX_RETRY_AFTER`]: no arithmetic on it can overflow.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let raw = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let wait = if let Ok(seconds) = raw.parse::<u64>() {
        Duration::from_secs(seconds)
    } else if let Ok(seconds) = raw.parse::<f64>()
        && seconds.is_finite()
        && seconds >= 0.0
    {
        Duration::from_secs_f64(seconds.min(MAX_RETRY_AFTER.as_secs_f64()))
    } else {
        let when = httpdate::parse_http_date(raw).ok()?;
        when.duration_since(now).unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// The longest `Retry-After` taken from a server: one day.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(86_400);

/// The start of a body, lossily decoded, cut on a character boundary.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let cut = &body[..body.len().min(BODY_EXCERPT_LIMIT)];
    let mut text = String::from_utf8_lossy(cut).into_owned();
    if body.len() > BODY_EXCERPT_LIMIT {
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::runtime::error::tests::headers;

    #[test]
    fn reads_every_error_body_shape() {
        let none = HeaderMap::new();
        let cases: [(&[u8], Option<&str>, &str); 6] = [
            (
                br#"{"error":{"code":"CONFLICT","message":"exists"}}"#,
                Some("CONFLICT"),
                "exists",
            ),
            (br#"{"message":"bad key","status":401}"#, None, "bad key"),
            (br#"{"error":"plain string"}"#, None, "plain string"),
            (b"upstream exploded\nstack...", None, "upstream exploded"),
            (b"<html>502</html>", None, "Bad Gateway"),
            (b"", None, "Bad Gateway"),
        ];
        for (body, code, message) in cases {
            let e = ApiError::from_parts("op", 502, &none, body);
            assert_eq!(e.code.as_deref(), code, "{body:?}");
            assert_eq!(e.message, message, "{body:?}");
        }
    }

    #[test]
    fn retry_after_accepts_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let h = headers(&[("retry-after", "7")]);
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(7)));
        // 2023-11-14T22:13:20Z is the epoch second above; ask for 30 s later.
        let h = headers(&[("retry-after", "Tue, 14 Nov 2023 22:13:50 GMT")]);
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(30)));
        let h = headers(&[("retry-after", "Tue, 14 Nov 2023 22:00:00 GMT")]);
        assert_eq!(retry_after(&h, now), Some(Duration::ZERO));
        let h = headers(&[("retry-after", "soon")]);
        assert_eq!(retry_after(&h, now), None);
        // The two obsolete forms HTTP still asks recipients to read (RFC 9110, section 5.6.7).
        let h = headers(&[("retry-after", "Tuesday, 14-Nov-23 22:13:50 GMT")]);
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(30)));
        let h = headers(&[("retry-after", "Tue Nov 14 22:13:50 2023")]);
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(30)));
        for huge in ["18446744073709551615", "1e300", "Fri, 31 Dec 9999 23:59:59 GMT"] {
            let h = headers(&[("retry-after", huge)]);
            assert_eq!(retry_after(&h, now), Some(MAX_RETRY_AFTER), "{huge}");
        }
    }

    #[test]
    fn excerpt_is_bounded_and_lossy() {
        let long = vec![b'a'; 10_000];
        assert_eq!(excerpt(&long).chars().count(), BODY_EXCERPT_LIMIT + 1);
        assert_eq!(excerpt(&[0xff, b'x']), "\u{fffd}x");
    }
}
