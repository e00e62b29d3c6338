//! [`Timestamp`]: an instant as the API writes it (RFC 3339), with the UTC offset it was written in.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds from the Unix epoch to `0000-01-01T00:00:00Z`, the earliest instant four year digits can write.
const MIN_SECONDS: i64 = -62_167_219_200;
/// Seconds from the Unix epoch to `9999-12-31T23:59:59Z`, the latest whole second four year digits can write.
const MAX_SECONDS: i64 = 253_402_300_799;
const SECONDS_PER_DAY: i64 = 86_400;

/// A point in time, as every `date-time` field of the API carries it: RFC 3339 text such as
/// `2026-11-30T09:15:00.25Z` or `2026-11-30T10:15:00.25+01:00`.
///
/// It holds the instant and the UTC offset it was written with, in 16 bytes and without allocating, and
/// it is `Copy`. [`Display`](fmt::Display) and serialization write it back in that offset, with as many
/// fraction digits as the instant needs; [`unix_seconds`](Self::unix_seconds),
/// [`subsec_nanos`](Self::subsec_nanos) and [`to_system_time`](Self::to_system_time) give the instant.
/// Equality, ordering and hashing compare instants: the two examples above are equal.
///
/// Reading is strict about the shape and lenient where RFC 3339 is: `T`, `t` or a space between date and
/// time, `Z` or `z` for UTC, any number of fraction digits (nanoseconds are kept, further digits dropped),
/// and `-00:00` read as UTC. A date that does not exist (`2026-02-30`), an hour past 23 or an offset past
/// `±23:59` is refused with a [`TimestampError`]; decoding a model that holds one fails with the field's
/// path. A leap second (`23:59:60`) is read as the first instant of the next minute, since Unix time has
/// no leap seconds. Years run from 0000 to 9999, the ones four digits can write.
///
/// With the `chrono` feature a `Timestamp` converts to and from `chrono::DateTime`.
///
/// ```
/// # use hotdata_models as hotdata;
/// use hotdata::Timestamp;
///
/// let t: Timestamp = "2026-11-30T10:15:00.250+01:00".parse()?;
/// assert_eq!(t.to_string(), "2026-11-30T10:15:00.25+01:00");
/// assert_eq!((t.unix_seconds(), t.subsec_nanos()), (1_796_030_100, 250_000_000));
/// assert_eq!(t, "2026-11-30T09:15:00.25Z".parse::<Timestamp>()?);
///
/// let made = Timestamp::from_unix(1_796_030_100, 0).expect("within years 0000-9999");
/// assert_eq!(made.to_string(), "2026-11-30T09:15:00Z");
/// assert!("2026-02-30T00:00:00Z".parse::<Timestamp>().is_err());
/// # Ok::<(), hotdata::TimestampError>(())
/// ```
#[derive(Clone, Copy)]
pub struct Timestamp {
    /// Seconds since the Unix epoch, in UTC.
    seconds: i64,
    nanos: u32,
    /// Minutes east of UTC the text was written in (`-1439..=1439`).
    offset: i16,
}

/// Why a text is not an RFC 3339 timestamp, or an instant cannot be one (outside years 0000 to 9999).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimestampError {
    reason: &'static str,
}

impl TimestampError {
    const fn new(reason: &'static str) -> Self {
        TimestampError { reason }
    }
}

impl fmt::Display for TimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not an RFC 3339 timestamp: {}", self.reason)
    }
}

impl std::error::Error for TimestampError {}

impl Timestamp {
    /// Reads RFC 3339 text (see the type's documentation for what is accepted).
    ///
    /// ```
    /// # use hotdata_models as hotdata;
    /// # use hotdata::Timestamp;
    /// let t = Timestamp::parse("1969-12-31T23:59:59.5Z")?;
    /// assert_eq!((t.unix_seconds(), t.subsec_nanos()), (-1, 500_000_000));
    /// let e = Timestamp::parse("2026-11-30 09:15").unwrap_err();
    /// assert!(e.to_string().starts_with("not an RFC 3339 timestamp"));
    /// # Ok::<(), hotdata::TimestampError>(())
    /// ```
    pub fn parse(text: &str) -> Result<Timestamp, TimestampError> {
        let (seconds, nanos, offset) = read(text.as_bytes())?;
        Ok(Timestamp { seconds, nanos, offset })
    }

    /// The instant `seconds` and `nanos` after the Unix epoch (`seconds` negative before it), written in UTC
    /// with as many fraction digits as it needs; `None` outside years 0000 to 9999 or when `nanos` is a
    /// whole second or more.
    ///
    /// ```
    /// # use hotdata_models as hotdata;
    /// # use hotdata::Timestamp;
    /// assert_eq!(Timestamp::from_unix(0, 1_000).unwrap().to_string(), "1970-01-01T00:00:00.000001Z");
    /// assert!(Timestamp::from_unix(i64::MAX, 0).is_none());
    /// ```
    pub fn from_unix(seconds: i64, nanos: u32) -> Option<Timestamp> {
        if !(MIN_SECONDS..=MAX_SECONDS).contains(&seconds) || nanos >= 1_000_000_000 {
            return None;
        }
        Some(Timestamp {
            seconds,
            nanos,
            offset: 0,
        })
    }

    /// The current time of the system clock, held to years 0000 to 9999.
    ///
    /// ```
    /// # use hotdata_models as hotdata;
    /// # use hotdata::Timestamp;
    /// assert!(Timestamp::now() > Timestamp::parse("2020-01-01T00:00:00Z")?);
    /// # Ok::<(), hotdata::TimestampError>(())
    /// ```
    pub fn now() -> Timestamp {
        let (seconds, nanos) = unix_parts(SystemTime::now());
        if seconds > MAX_SECONDS {
            return Timestamp {
                seconds: MAX_SECONDS,
                nanos: 999_999_999,
                offset: 0,
            };
        }
        Timestamp {
            seconds: seconds.max(MIN_SECONDS),
            nanos,
            offset: 0,
        }
    }

    /// The UTC offset the text was written in, in minutes east of UTC (`0` for `Z`, `60` for `+01:00`).
    pub fn offset_minutes(&self) -> i16 {
        self.offset
    }

    /// Whole seconds since the Unix epoch, negative before it (the fraction is [`subsec_nanos`](Self::subsec_nanos),
    /// always counted forward: `-0.5` s is `-1` and `500_000_000`).
    pub fn unix_seconds(&self) -> i64 {
        self.seconds
    }

    /// The fraction of the second, in nanoseconds (`0..1_000_000_000`).
    pub fn subsec_nanos(&self) -> u32 {
        self.nanos
    }

    /// The instant as a [`SystemTime`]; `None` where the platform's clock cannot represent it (such as years
    /// before 1601 on Windows).
    ///
    /// ```
    /// # use hotdata_models as hotdata;
    /// # use hotdata::Timestamp;
    /// use std::time::{Duration, UNIX_EPOCH};
    /// let t = Timestamp::parse("1970-01-01T00:01:00Z")?;
    /// assert_eq!(t.to_system_time(), Some(UNIX_EPOCH + Duration::from_secs(60)));
    /// # Ok::<(), hotdata::TimestampError>(())
    /// ```
    pub fn to_system_time(&self) -> Option<SystemTime> {
        let nanos = Duration::from_nanos(u64::from(self.nanos));
        if self.seconds >= 0 {
            UNIX_EPOCH
                .checked_add(Duration::from_secs(self.seconds.unsigned_abs()))?
                .checked_add(nanos)
        } else {
            UNIX_EPOCH
                .checked_sub(Duration::from_secs(self.seconds.unsigned_abs()))?
                .checked_add(nanos)
        }
    }
}

/// `(seconds, nanos)` since the epoch of a system time, the seconds negative before it and the fraction
/// always counted forward; seconds saturate at the ends of `i64`.
fn unix_parts(time: SystemTime) -> (i64, u32) {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => (i64::try_from(after.as_secs()).unwrap_or(i64::MAX), after.subsec_nanos()),
        Err(before) => {
            let before = before.duration();
            let whole = i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
            match before.subsec_nanos() {
                0 => (whole.saturating_neg(), 0),
                n => (whole.saturating_neg().saturating_sub(1), 1_000_000_000 - n),
            }
        }
    }
}

impl TryFrom<SystemTime> for Timestamp {
    type Error = TimestampError;

    /// The instant in UTC; refused outside years 0000 to 9999.
    fn try_from(time: SystemTime) -> Result<Timestamp, TimestampError> {
        let (seconds, nanos) = unix_parts(time);
        Timestamp::from_unix(seconds, nanos).ok_or(TimestampError::new("outside years 0000 to 9999"))
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;
    fn from_str(text: &str) -> Result<Timestamp, TimestampError> {
        Timestamp::parse(text)
    }
}

impl TryFrom<&str> for Timestamp {
    type Error = TimestampError;
    fn try_from(text: &str) -> Result<Timestamp, TimestampError> {
        Timestamp::parse(text)
    }
}

impl TryFrom<String> for Timestamp {
    type Error = TimestampError;
    fn try_from(text: String) -> Result<Timestamp, TimestampError> {
        Timestamp::parse(&text)
    }
}

impl PartialEq for Timestamp {
    fn eq(&self, other: &Timestamp) -> bool {
        (self.seconds, self.nanos) == (other.seconds, other.nanos)
    }
}

impl Eq for Timestamp {}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Timestamp) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timestamp {
    fn cmp(&self, other: &Timestamp) -> Ordering {
        (self.seconds, self.nanos).cmp(&(other.seconds, other.nanos))
    }
}

impl Hash for Timestamp {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self.seconds, self.nanos).hash(state);
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in the offset the instant was written in, with the fraction's trailing zeros left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let local = self.seconds + i64::from(self.offset) * 60;
        let days = local.div_euclid(SECONDS_PER_DAY);
        let of_day = local.rem_euclid(SECONDS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            of_day / 3600,
            of_day / 60 % 60,
            of_day % 60
        )?;
        if self.nanos > 0 {
            let mut digits = 9;
            let mut fraction = self.nanos;
            while fraction.is_multiple_of(10) {
                fraction /= 10;
                digits -= 1;
            }
            write!(f, ".{fraction:0digits$}")?;
        }
        match self.offset {
            0 => f.write_str("Z"),
            east => {
                let sign = if east < 0 { '-' } else { '+' };
                let east = east.unsigned_abs();
                write!(f, "{sign}{:02}:{:02}", east / 60, east % 60)
            }
        }
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({self})")
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        struct Text;
        impl serde::de::Visitor<'_> for Text {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 timestamp")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Timestamp, E> {
                Timestamp::parse(text).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Text)
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for Timestamp {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Timestamp".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "format": "date-time" })
    }
}

#[cfg(feature = "chrono")]
impl From<Timestamp> for chrono::DateTime<chrono::Utc> {
    /// The same instant (every year a `Timestamp` holds is one chrono can).
    fn from(t: Timestamp) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp(t.seconds, t.nanos).unwrap_or(chrono::DateTime::<chrono::Utc>::UNIX_EPOCH)
    }
}

#[cfg(feature = "chrono")]
impl<Tz: chrono::TimeZone> TryFrom<chrono::DateTime<Tz>> for Timestamp {
    type Error = TimestampError;

    /// The same instant, written in UTC; refused outside years 0000 to 9999 (and for a leap second, which
    /// chrono counts as a fraction past 999,999,999 ns).
    fn try_from(t: chrono::DateTime<Tz>) -> Result<Timestamp, TimestampError> {
        Timestamp::from_unix(t.timestamp(), t.timestamp_subsec_nanos())
            .ok_or(TimestampError::new("outside years 0000 to 9999"))
    }
}

/// `(seconds, nanos)` since the epoch of RFC 3339 text, and its offset in minutes east of UTC.
fn read(b: &[u8]) -> Result<(i64, u32, i16), TimestampError> {
    let digits = |at: usize, n: usize, what: &'static str| -> Result<i64, TimestampError> {
        let part = b.get(at..at + n).ok_or(TimestampError::new(what))?;
        part.iter().try_fold(0i64, |acc, &c| match c {
            b'0'..=b'9' => Ok(acc * 10 + i64::from(c - b'0')),
            _ => Err(TimestampError::new(what)),
        })
    };
    let byte = |at: usize, allowed: &[u8], what: &'static str| -> Result<u8, TimestampError> {
        b.get(at)
            .copied()
            .filter(|c| allowed.contains(c))
            .ok_or(TimestampError::new(what))
    };
    let year = digits(0, 4, "expected a four-digit year")?;
    byte(4, b"-", "expected `-` after the year")?;
    let month = digits(5, 2, "expected a two-digit month")?;
    byte(7, b"-", "expected `-` after the month")?;
    let day = digits(8, 2, "expected a two-digit day")?;
    byte(10, b"Tt ", "expected `T` between date and time")?;
    let hour = digits(11, 2, "expected a two-digit hour")?;
    byte(13, b":", "expected `:` after the hour")?;
    let minute = digits(14, 2, "expected two-digit minutes")?;
    byte(16, b":", "expected `:` after the minutes")?;
    let second = digits(17, 2, "expected two-digit seconds")?;

    let mut at = 19;
    let mut nanos = 0u32;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while let Some(c @ b'0'..=b'9') = b.get(at).copied() {
            if at - start < 9 {
                nanos = nanos * 10 + u32::from(c - b'0');
            }
            at += 1;
        }
        if at == start {
            return Err(TimestampError::new("expected digits after the decimal point"));
        }
        for _ in (at - start).min(9)..9 {
            nanos *= 10;
        }
    }
    let offset = match b.get(at) {
        Some(b'Z' | b'z') => {
            at += 1;
            0
        }
        Some(sign @ (b'+' | b'-')) => {
            let hours = digits(at + 1, 2, "expected a two-digit offset hour")?;
            byte(at + 3, b":", "expected `:` in the offset")?;
            let minutes = digits(at + 4, 2, "expected two-digit offset minutes")?;
            if hours > 23 || minutes > 59 {
                return Err(TimestampError::new("offset out of range"));
            }
            at += 6;
            let east = hours * 60 + minutes;
            if *sign == b'-' { -east } else { east }
        }
        _ => return Err(TimestampError::new("expected `Z` or an offset such as `+01:00`")),
    };
    if at != b.len() {
        return Err(TimestampError::new("unexpected text after the offset"));
    }
    if !(1..=12).contains(&month) {
        return Err(TimestampError::new("month out of range"));
    }
    if day < 1 || day > days_in_month(year, month) {
        return Err(TimestampError::new("day out of range for its month"));
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err(TimestampError::new("time of day out of range"));
    }
    let local = days_from_civil(year, month, day) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second;
    // Within ±23:59 by the check above.
    let east = i16::try_from(offset).map_err(|_| TimestampError::new("offset out of range"))?;
    Ok((local - offset * 60, nanos, east))
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given date of the proleptic Gregorian calendar. Years are counted from March,
/// so that the leap day ends a year, in eras of 400 years (146,097 days each).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y.rem_euclid(400);
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of the day `days` after 1970-01-01: the inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instant(text: &str) -> (i64, u32) {
        let t = Timestamp::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        (t.unix_seconds(), t.subsec_nanos())
    }

    #[test]
    fn reads_what_rfc_3339_allows() {
        assert_eq!(instant("1970-01-01T00:00:00Z"), (0, 0));
        assert_eq!(instant("1970-01-01t00:00:00z"), (0, 0));
        assert_eq!(instant("1970-01-01 00:00:00Z"), (0, 0));
        assert_eq!(instant("1970-01-01T00:00:00-00:00"), (0, 0));
        assert_eq!(instant("1970-01-01T01:00:00+01:00"), (0, 0));
        assert_eq!(instant("1969-12-31T19:00:00-05:00"), (0, 0));
        assert_eq!(instant("1970-01-01T00:00:00.1Z"), (0, 100_000_000));
        assert_eq!(instant("1970-01-01T00:00:00.123456789Z"), (0, 123_456_789));
        assert_eq!(instant("1970-01-01T00:00:00.1234567891234Z"), (0, 123_456_789));
        assert_eq!(instant("2000-02-29T12:00:00Z"), (951_825_600, 0));
        assert_eq!(instant("0000-01-01T00:00:00Z"), (MIN_SECONDS, 0));
        assert_eq!(instant("9999-12-31T23:59:59.999999999Z"), (MAX_SECONDS, 999_999_999));
        // A leap second is the first instant of the next minute.
        assert_eq!(instant("2016-12-31T23:59:60Z"), instant("2017-01-01T00:00:00Z"));
    }

    #[test]
    fn refuses_what_it_does_not_name_and_never_panics() {
        for bad in [
            "",
            "2026",
            "2026-11-30",
            "2026-11-30T09:15",
            "2026-11-30T09:15:00",
            "2026-11-30T09:15:00+01",
            "2026-11-30T09:15:00+0100",
            "2026-11-30T09:15:00.Z",
            "2026-11-30T09:15:00ZZ",
            "2026-11-30T09:15:00Z ",
            " 2026-11-30T09:15:00Z",
            "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-11-00T00:00:00Z",
            "2026-11-30T24:00:00Z",
            "2026-11-30T23:60:00Z",
            "2026-11-30T23:59:61Z",
            "2026-11-30T23:59:59+24:00",
            "2026-11-30T23:59:59+23:60",
            "+2026-11-30T23:59:59Z",
            "2026-11-30X23:59:59Z",
            "２０２６-11-30T23:59:59Z",
            "2026-11-30T23:59:59.１Z",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad:?} was accepted");
        }
        // Every prefix of a valid text, and every single-byte change of it, is handled without a panic.
        let good = "2026-11-30T09:15:00.123456789+01:00";
        for end in 0..good.len() {
            let _ = Timestamp::parse(&good[..end]);
        }
        for at in 0..good.len() {
            for byte in [b'0', b'9', b':', b'-', b'+', b'.', b'Z', b'x', 0xff] {
                let mut bytes = good.as_bytes().to_vec();
                bytes[at] = byte;
                if let Ok(text) = String::from_utf8(bytes) {
                    let _ = Timestamp::parse(&text);
                }
            }
        }
    }

    #[test]
    fn agrees_with_chrono_on_random_instants() {
        let mut rng = fastrand::Rng::with_seed(20261201);
        for _ in 0..20_000 {
            let seconds = rng.i64(MIN_SECONDS..=MAX_SECONDS);
            let nanos = if rng.bool() { 0 } else { rng.u32(0..1_000_000_000) };
            let ours = Timestamp::from_unix(seconds, nanos).expect("in range");
            // What we write, chrono reads as the same instant.
            let read = chrono::DateTime::parse_from_rfc3339(&ours.to_string()).expect("chrono reads it");
            assert_eq!(
                (read.timestamp(), read.timestamp_subsec_nanos()),
                (seconds, nanos),
                "{ours:?}"
            );
            // What chrono writes at any offset, we read as the same instant.
            let theirs = chrono::DateTime::from_timestamp(seconds, nanos).expect("in chrono's range");
            let east = rng.i32(-(23 * 60 + 59)..=23 * 60 + 59) * 60;
            let offset = chrono::FixedOffset::east_opt(east).expect("within a day");
            let text = theirs
                .with_timezone(&offset)
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, rng.bool());
            match Timestamp::parse(&text) {
                Ok(t) => {
                    assert_eq!(t, ours, "{text}");
                    // Written back in the same offset, it names the same instant for chrono too.
                    assert_eq!(i32::from(t.offset_minutes()) * 60, east, "{text}");
                    let again = chrono::DateTime::parse_from_rfc3339(&t.to_string()).expect("chrono reads it");
                    assert_eq!(again, theirs, "{text} -> {t}");
                    assert_eq!(again.offset().local_minus_utc(), east, "{text} -> {t}");
                }
                // Only a shift across year 0000 or 9999 leaves four digits.
                Err(_) => assert!(
                    text.starts_with('-') || text.starts_with('+') || text.len() > 35,
                    "{text}"
                ),
            }
        }
    }

    #[test]
    fn writes_back_in_its_offset_and_compares_instants() {
        let a = Timestamp::parse("2026-11-30T10:15:00.250+01:00").unwrap();
        let b = Timestamp::parse("2026-11-30T09:15:00.25z").unwrap();
        assert_eq!(a, b);
        assert_eq!((a.offset_minutes(), b.offset_minutes()), (60, 0));
        assert_eq!(a.to_string(), "2026-11-30T10:15:00.25+01:00");
        assert_eq!(b.to_string(), "2026-11-30T09:15:00.25Z");
        assert_eq!(
            Timestamp::parse("2026-11-30 04:45:00.000000001-04:30")
                .unwrap()
                .to_string(),
            "2026-11-30T04:45:00.000000001-04:30"
        );
        assert_eq!(
            Timestamp::parse("2026-11-30T09:15:00-00:00").unwrap().to_string(),
            "2026-11-30T09:15:00Z"
        );
        assert_eq!(format!("{b:?}"), "Timestamp(2026-11-30T09:15:00.25Z)");
        assert!(Timestamp::parse("2026-11-30T09:15:00.251Z").unwrap() > a);
        let mut set = std::collections::HashSet::new();
        set.insert(a);
        assert!(set.contains(&b));
        assert_eq!(serde_json::to_string(&a).unwrap(), r#""2026-11-30T10:15:00.25+01:00""#);
        let back: Timestamp = serde_json::from_str(r#""2026-11-30T10:15:00.25+01:00""#).unwrap();
        assert_eq!((back, back.offset_minutes()), (a, 60));
        // An escaped string is decoded before it is read.
        let escaped: Timestamp = serde_json::from_str(r#""2026-11-30T09:15:00.25\u005a""#).unwrap();
        assert_eq!(escaped, b);
        let e = serde_json::from_str::<Timestamp>(r#""2026-11-31T00:00:00Z""#).unwrap_err();
        assert!(e.to_string().contains("day out of range"), "{e}");
        assert!(serde_json::from_str::<Timestamp>("17").is_err());
        assert_eq!(std::mem::size_of::<Timestamp>(), 16);
    }

    #[test]
    fn converts_to_and_from_system_time() {
        for (seconds, nanos) in [
            (0, 0),
            (1_795_770_900, 250_000_000),
            (-1, 500_000_000),
            (-86_400 * 365, 1),
        ] {
            let t = Timestamp::from_unix(seconds, nanos).unwrap();
            let system = t.to_system_time().expect("representable here");
            assert_eq!(Timestamp::try_from(system).unwrap(), t);
        }
        let now = Timestamp::now();
        let back = Timestamp::try_from(now.to_system_time().unwrap()).unwrap();
        assert_eq!(back, now);
        assert!(Timestamp::from_unix(MAX_SECONDS + 1, 0).is_none());
        assert!(Timestamp::from_unix(MIN_SECONDS - 1, 0).is_none());
        assert!(Timestamp::from_unix(0, 1_000_000_000).is_none());
    }

    #[test]
    fn civil_dates_round_trip_over_every_day_of_the_range() {
        let first = days_from_civil(0, 1, 1);
        let last = days_from_civil(9999, 12, 31);
        assert_eq!(
            (first * SECONDS_PER_DAY, last * SECONDS_PER_DAY + SECONDS_PER_DAY - 1),
            (MIN_SECONDS, MAX_SECONDS)
        );
        let mut expected = (0, 1, 1);
        for days in first..=last {
            assert_eq!(civil_from_days(days), expected);
            assert_eq!(days_from_civil(expected.0, expected.1, expected.2), days);
            expected = if expected.2 < days_in_month(expected.0, expected.1) {
                (expected.0, expected.1, expected.2 + 1)
            } else if expected.1 < 12 {
                (expected.0, expected.1 + 1, 1)
            } else {
                (expected.0 + 1, 1, 1)
            };
        }
    }
}
