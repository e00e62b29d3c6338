//! An incremental CSV reader (RFC 4180: `,` between fields, `"` quoting with
//! `""` for a quote, records ended by `\n`, `\r\n` or `\r`), fed the body's
//! chunks as they arrive. It keeps only the record being read, and tells a
//! quoted field from an unquoted one, which is how an empty string (`""`)
//! differs from a missing value.

use crate::runtime::error::Error;

/// One field of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Field<'a> {
    pub(crate) text: &'a str,
    /// Whether the field was written in quotes.
    pub(crate) quoted: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a field.
    Start,
    /// Inside an unquoted field.
    Plain,
    /// Inside a quoted field.
    Quoted,
    /// Just read a `"` inside a quoted field: a second one is a literal
    /// quote, anything else ends the quoted part.
    QuoteInQuoted,
    /// Read a record's `\r`: a `\n` right after it belongs to the same end.
    AfterCr,
}

/// The reader's state between chunks.
#[derive(Debug)]
pub(crate) struct CsvReader {
    operation: &'static str,
    state: State,
    /// The bytes of the current record's fields, back to back.
    buf: Vec<u8>,
    /// Where each field of the current record ends in `buf`, and whether it was quoted.
    ends: Vec<(usize, bool)>,
    quoted: bool,
    /// Records completed so far, for error paths.
    records: u64,
    /// The most fields a record may have.
    max_fields: usize,
}

impl CsvReader {
    pub(crate) fn new(operation: &'static str, max_fields: usize) -> CsvReader {
        CsvReader {
            operation,
            state: State::Start,
            buf: Vec::new(),
            ends: Vec::new(),
            quoted: false,
            records: 0,
            max_fields,
        }
    }

    /// Reads `chunk`, calling `record` for every record it completes.
    pub(crate) fn feed(
        &mut self,
        chunk: &[u8],
        record: &mut dyn FnMut(&[Field<'_>]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut i = 0;
        while i < chunk.len() {
            let b = chunk[i];
            match self.state {
                State::AfterCr => {
                    self.state = State::Start;
                    if b == b'\n' {
                        i += 1;
                        continue;
                    }
                    // Anything else starts the next record: read it again in `Start`.
                    continue;
                }
                State::Start => match b {
                    b'"' => {
                        self.quoted = true;
                        self.state = State::Quoted;
                    }
                    b',' => self.end_field()?,
                    b'\n' | b'\r' => self.end_record(b, record)?,
                    _ => {
                        self.buf.push(b);
                        self.state = State::Plain;
                    }
                },
                State::Plain => {
                    // Copy the run of ordinary bytes at once.
                    let run = chunk[i..]
                        .iter()
                        .position(|&c| matches!(c, b',' | b'\n' | b'\r' | b'"'))
                        .unwrap_or(chunk.len() - i);
                    self.buf.extend_from_slice(&chunk[i..i + run]);
                    i += run;
                    let Some(&b) = chunk.get(i) else { break };
                    match b {
                        b',' => self.end_field()?,
                        b'\n' | b'\r' => self.end_record(b, record)?,
                        // A quote inside an unquoted field is kept as it is.
                        _ => self.buf.push(b),
                    }
                }
                State::Quoted => {
                    let run = chunk[i..].iter().position(|&c| c == b'"').unwrap_or(chunk.len() - i);
                    self.buf.extend_from_slice(&chunk[i..i + run]);
                    i += run;
                    if i < chunk.len() {
                        self.state = State::QuoteInQuoted;
                    } else {
                        break;
                    }
                }
                State::QuoteInQuoted => match b {
                    b'"' => {
                        self.buf.push(b'"');
                        self.state = State::Quoted;
                    }
                    b',' => self.end_field()?,
                    b'\n' | b'\r' => self.end_record(b, record)?,
                    _ => {
                        return Err(self.error(format!("unexpected byte {:?} after a closing quote", char::from(b))));
                    }
                },
            }
            i += 1;
        }
        Ok(())
    }

    /// Ends the input: a last record without a line end is completed; a
    /// quoted field left open is an error.
    pub(crate) fn finish(&mut self, record: &mut dyn FnMut(&[Field<'_>]) -> Result<(), Error>) -> Result<(), Error> {
        match self.state {
            State::Quoted => Err(self.error("the body ends inside a quoted field".into())),
            State::Start if self.ends.is_empty() => Ok(()),
            State::AfterCr => Ok(()),
            _ => self.end_record(b'\n', record),
        }
    }

    fn end_field(&mut self) -> Result<(), Error> {
        if self.ends.len() >= self.max_fields {
            return Err(self.error(format!("a record has more than {} fields", self.max_fields)));
        }
        self.ends.push((self.buf.len(), self.quoted));
        self.quoted = false;
        self.state = State::Start;
        Ok(())
    }

    fn end_record(
        &mut self,
        terminator: u8,
        record: &mut dyn FnMut(&[Field<'_>]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.end_field()?;
        let mut fields = Vec::with_capacity(self.ends.len());
        let mut start = 0;
        for &(end, quoted) in &self.ends {
            let text = std::str::from_utf8(&self.buf[start..end])
                .map_err(|_| self.error(format!("field {} is not UTF-8", fields.len())))?;
            fields.push(Field { text, quoted });
            start = end;
        }
        record(&fields)?;
        self.records = self.records.saturating_add(1);
        self.buf.clear();
        self.ends.clear();
        self.state = if terminator == b'\r' {
            State::AfterCr
        } else {
            State::Start
        };
        Ok(())
    }

    fn error(&self, message: String) -> Error {
        Error::decode(
            self.operation,
            Some(200),
            None,
            format!("csv record {}", self.records),
            message,
            b"",
        )
    }
}

/// Whether `s` is a JSON number literal (so it can be kept as a number's
/// exact text).
pub(crate) fn is_json_number(s: &str) -> bool {
    let b = s.strip_prefix('-').unwrap_or(s).as_bytes();
    let digits = |b: &[u8]| b.iter().take_while(|c| c.is_ascii_digit()).count();
    let int = digits(b);
    if int == 0 || (int > 1 && b[0] == b'0') {
        return false;
    }
    let mut rest = &b[int..];
    if let Some(r) = rest.strip_prefix(b".") {
        let n = digits(r);
        if n == 0 {
            return false;
        }
        rest = &r[n..];
    }
    if let Some(r) = rest.strip_prefix(b"e").or_else(|| rest.strip_prefix(b"E")) {
        let r = r.strip_prefix(b"+").or_else(|| r.strip_prefix(b"-")).unwrap_or(r);
        let n = digits(r);
        return n > 0 && n == r.len();
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(chunks: &[&[u8]]) -> Result<Vec<Vec<(String, bool)>>, Error> {
        let mut out = Vec::new();
        let mut reader = CsvReader::new("t", 100);
        let mut push = |fields: &[Field<'_>]| {
            out.push(fields.iter().map(|f| (f.text.to_owned(), f.quoted)).collect());
            Ok(())
        };
        for chunk in chunks {
            reader.feed(chunk, &mut push)?;
        }
        reader.finish(&mut push)?;
        Ok(out)
    }

    fn plain(fields: &[&str]) -> Vec<(String, bool)> {
        fields.iter().map(|f| (f.to_string(), false)).collect()
    }

    #[test]
    fn records_quotes_and_line_ends() {
        let body: &[u8] = b"a,b\r\n1,\"x,\"\"y\"\"\nz\"\n,\"\"\n";
        let want = vec![
            plain(&["a", "b"]),
            vec![("1".into(), false), ("x,\"y\"\nz".into(), true)],
            vec![(String::new(), false), (String::new(), true)],
        ];
        assert_eq!(parse(&[body]).unwrap(), want);
        // Every split of the body gives the same records.
        for at in 0..body.len() {
            assert_eq!(parse(&[&body[..at], &body[at..]]).unwrap(), want, "split at {at}");
        }
        let bytes: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(parse(&bytes).unwrap(), want);
    }

    #[test]
    fn last_record_without_newline_and_single_empty_column() {
        assert_eq!(
            parse(&[b"n\n1\n\n2"]).unwrap(),
            vec![plain(&["n"]), plain(&["1"]), plain(&[""]), plain(&["2"])]
        );
        assert_eq!(
            parse(&[b"a\r\r\nb\r"]).unwrap(),
            vec![plain(&["a"]), plain(&[""]), plain(&["b"])]
        );
    }

    #[test]
    fn malformed_bodies_are_typed_errors() {
        assert!(matches!(parse(&[b"a,\"open"]), Err(Error::Decode(_))));
        assert!(matches!(parse(&[b"\"x\"y\n"]), Err(Error::Decode(_))));
        assert!(matches!(parse(&[b"\xff\xfe\n"]), Err(Error::Decode(_))));
        let wide = ",".repeat(200);
        assert!(matches!(parse(&[wide.as_bytes()]), Err(Error::Decode(_))));
    }

    #[test]
    fn json_numbers() {
        for ok in ["0", "-1", "99999999999999999999.99", "1e5", "-0.5E-3"] {
            assert!(is_json_number(ok), "{ok}");
        }
        for bad in ["", "-", "01", "1.", ".5", "1e", "NaN", "inf", "1,5", " 1"] {
            assert!(!is_json_number(bad), "{bad}");
        }
    }
}
