//! Reading an error response: status, request id and `Retry-After` from the
//! headers, code and message from whichever body shape the server used.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use hotdata_models::Timestamp;
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
        let when = http_date(raw, now)?;
        when.duration_since(now).unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// An HTTP date (RFC 9110, section 5.6.7) in any of the three forms a
/// recipient must read: `Sun, 06 Nov 1994 08:49:37 GMT`, the obsolete
/// `Sunday, 06-Nov-94 08:49:37 GMT` and `Sun Nov  6 08:49:37 1994`. The
/// parts are rewritten as RFC 3339 text for [`Timestamp`], which checks the
/// ranges (the weekday is not checked). A two-digit year is the latest one
/// with those digits that is not more than 50 years after `now`.
fn http_date(raw: &str, now: SystemTime) -> Option<SystemTime> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let digits = |s: &str, lengths: std::ops::RangeInclusive<usize>| -> Option<u32> {
        (lengths.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
    };
    let words: Vec<&str> = raw.split_ascii_whitespace().collect();
    let (day, month, year, time) = match words.as_slice() {
        [_, day, month, year, time, "GMT"] => (*day, *month, digits(year, 4..=4)?, *time),
        [_, date, time, "GMT"] => {
            let mut parts = date.split('-');
            let (day, month, short) = (parts.next()?, parts.next()?, digits(parts.next()?, 2..=2)?);
            if parts.next().is_some() {
                return None;
            }
            let this_year: u32 = Timestamp::try_from(now).ok()?.to_string().get(..4)?.parse().ok()?;
            let mut year = this_year - this_year % 100 + short;
            if year > this_year + 50 {
                // A clock in the first half of the first century has no earlier century to go back to.
                year = year.checked_sub(100)?;
            }
            (day, month, year, *time)
        }
        [_, month, day, time, year] => (*day, *month, digits(year, 4..=4)?, *time),
        _ => return None,
    };
    let day = digits(day, 1..=2)?;
    let month = MONTHS.iter().position(|m| *m == month)? + 1;
    if time.len() != 8 {
        return None;
    }
    Timestamp::parse(&format!("{year:04}-{month:02}-{day:02}T{time}Z"))
        .ok()?
        .to_system_time()
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
        let h = headers(&[("retry-after", "Tue Nov  4 22:13:50 2023")]);
        assert_eq!(
            retry_after(&h, now),
            Some(Duration::ZERO),
            "a one-digit day, space-padded"
        );
        // A two-digit year more than 50 years ahead is a year of the past century.
        let h = headers(&[("retry-after", "Friday, 14-Nov-80 22:13:50 GMT")]);
        assert_eq!(retry_after(&h, now), Some(Duration::ZERO));
        // One 50 years ahead or less is of this century: 2070, so the cap.
        let h = headers(&[("retry-after", "Friday, 14-Nov-70 22:13:50 GMT")]);
        assert_eq!(retry_after(&h, now), Some(MAX_RETRY_AFTER));
        // A clock in year 0020 cannot put `99` a century back: the date is not read, nothing underflows.
        let early = Timestamp::parse("0020-01-01T00:00:00Z")
            .unwrap()
            .to_system_time()
            .unwrap();
        let h = headers(&[("retry-after", "Friday, 14-Nov-99 22:13:50 GMT")]);
        assert_eq!(retry_after(&h, early), None);
        for bad in [
            "Tue, 31 Nov 2023 22:13:50 GMT",
            "Tue, 14 Nov 2023 24:00:00 GMT",
            "Tue, 14 Nov 2023 22:13:50 CET",
            "Tue, 14 Nov 2023 22:13:50.5 GMT",
            "Tue, 14 Nov 23 22:13:50 GMT",
            "Tue, 14 Nov +023 22:13:50 GMT",
            "Tue, 14 nov 2023 22:13:50 GMT",
            "Tue, 14-Nov-2023 22:13:50 GMT",
            "Tue, 14-Nov-23-1 22:13:50 GMT",
            "Tue Nov 14 22:13:50",
            "Tue, 14 Nov 2023 22:13:50 GMT extra",
            "Tue, 145 Nov 2023 22:13:50 GMT",
        ] {
            let h = headers(&[("retry-after", bad)]);
            assert_eq!(retry_after(&h, now), None, "{bad}");
        }
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
