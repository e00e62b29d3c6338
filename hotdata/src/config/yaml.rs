//! A reader for the block-style YAML subset that profile files use.
//!
//! Hotdata's CLI writes `config.yml` as nested block mappings and sequences
//! of plain or quoted scalars. Reading just that keeps a full YAML parser
//! (and its compile time) out of every program that depends on this crate.
//! Anything outside the subset (flow collections with content, block
//! scalars, anchors, tags, several documents) is refused with its line
//! number, never guessed at.

use std::fmt;

/// A parsed node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    /// `~`, `null` or nothing.
    Null,
    /// A scalar, unquoted and unescaped.
    Scalar(String),
    /// A block sequence.
    Seq(Vec<Node>),
    /// A block mapping, in file order.
    Map(Vec<(String, Node)>),
}

impl Node {
    /// The value under `key`, when this is a mapping that has it.
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The text of a scalar.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Node::Scalar(s) => Some(s),
            _ => None,
        }
    }
}

/// Why a file could not be read. It names a line, never quotes it: profile
/// files hold API keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct YamlError {
    pub(crate) line: usize,
    pub(crate) reason: &'static str,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    number: usize,
    indent: usize,
    text: &'a str,
}

/// Parses a document; an empty one is [`Node::Null`].
pub(crate) fn parse(source: &str) -> Result<Node, YamlError> {
    let mut lines = Vec::new();
    for (i, raw) in source.lines().enumerate() {
        let number = i + 1;
        let raw = raw.strip_prefix('\u{feff}').unwrap_or(raw);
        if raw.contains('\t') && raw.trim_start_matches(' ').starts_with('\t') {
            return Err(YamlError {
                line: number,
                reason: "tabs cannot indent YAML",
            });
        }
        let text = strip_comment(raw).trim_end();
        let body = text.trim_start_matches(' ');
        if body.is_empty() || (lines.is_empty() && body == "---") {
            continue;
        }
        if body == "---" || body == "..." {
            return Err(YamlError {
                line: number,
                reason: "only one YAML document is supported",
            });
        }
        lines.push(Line {
            number,
            indent: text.len() - body.len(),
            text: body,
        });
    }
    if lines.is_empty() {
        return Ok(Node::Null);
    }
    let mut parser = Parser { lines, pos: 0 };
    let indent = parser.lines[0].indent;
    let node = parser.block(indent)?;
    if let Some(extra) = parser.lines.get(parser.pos) {
        return Err(YamlError {
            line: extra.number,
            reason: "unexpected indentation",
        });
    }
    Ok(node)
}

struct Parser<'a> {
    lines: Vec<Line<'a>>,
    pos: usize,
}

impl<'a> Parser<'a> {
    /// A mapping or a sequence whose entries sit at exactly `indent`.
    fn block(&mut self, indent: usize) -> Result<Node, YamlError> {
        let first = self.lines[self.pos];
        if is_item(first.text) {
            self.sequence(indent)
        } else {
            self.mapping(indent)
        }
    }

    fn sequence(&mut self, indent: usize) -> Result<Node, YamlError> {
        let mut items = Vec::new();
        while let Some(line) = self.lines.get(self.pos).copied() {
            if line.indent != indent || !is_item(line.text) {
                break;
            }
            let rest = line.text[1..].trim_start_matches(' ');
            if rest.is_empty() {
                // `-` alone: the item is the block below, or null.
                self.pos += 1;
                items.push(self.child(indent)?);
            } else {
                // `- key: value` or `- scalar`: the item's content starts
                // after the dash, as if it were a line of its own.
                let column = indent + (line.text.len() - rest.len());
                self.lines[self.pos] = Line {
                    number: line.number,
                    indent: column,
                    text: rest,
                };
                if split_key(rest).is_some() || is_item(rest) {
                    items.push(self.block(column)?);
                } else {
                    self.pos += 1;
                    items.push(scalar(rest, line.number)?);
                }
            }
        }
        Ok(Node::Seq(items))
    }

    fn mapping(&mut self, indent: usize) -> Result<Node, YamlError> {
        let mut entries: Vec<(String, Node)> = Vec::new();
        while let Some(line) = self.lines.get(self.pos).copied() {
            if line.indent < indent {
                break;
            }
            if line.indent > indent {
                return Err(YamlError {
                    line: line.number,
                    reason: "unexpected indentation",
                });
            }
            if is_item(line.text) {
                break;
            }
            let Some((key, value)) = split_key(line.text) else {
                return Err(YamlError {
                    line: line.number,
                    reason: "expected `key: value`",
                });
            };
            if key.is_empty() {
                return Err(YamlError {
                    line: line.number,
                    reason: "a key must not be empty",
                });
            }
            let key = match scalar(key, line.number)? {
                Node::Scalar(k) => k,
                _ => {
                    return Err(YamlError {
                        line: line.number,
                        reason: "a key must be a scalar",
                    });
                }
            };
            if entries.iter().any(|(k, _)| *k == key) {
                return Err(YamlError {
                    line: line.number,
                    reason: "duplicate key",
                });
            }
            self.pos += 1;
            let node = if value.is_empty() {
                self.child(indent)?
            } else {
                scalar(value, line.number)?
            };
            entries.push((key, node));
        }
        Ok(Node::Map(entries))
    }

    /// The block under a key or a bare `-` at `parent` indentation: deeper
    /// lines, or a sequence at the same indentation (as serializers write
    /// lists under a key), or null when neither follows.
    fn child(&mut self, parent: usize) -> Result<Node, YamlError> {
        match self.lines.get(self.pos).copied() {
            Some(next) if next.indent > parent => self.block(next.indent),
            Some(next) if next.indent == parent && is_item(next.text) => self.sequence(parent),
            _ => Ok(Node::Null),
        }
    }
}

fn is_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

/// Splits `key: value` at the first `:` followed by a space or the end,
/// outside quotes.
fn split_key(text: &str) -> Option<(&str, &str)> {
    let bytes = text.as_bytes();
    let mut quote = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if (b == b'"' || b == b'\'') && i == 0 => quote = Some(b),
            None if b == b':' && (i + 1 == bytes.len() || bytes[i + 1] == b' ') => {
                return Some((text[..i].trim_end(), text[i + 1..].trim()));
            }
            None => {}
        }
        i += 1;
    }
    None
}

/// Removes a `#` comment that is outside quotes and starts a word.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    let mut quote = None;
    for (i, &b) in bytes.iter().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'#' && (i == 0 || bytes[i - 1] == b' ') => return &line[..i],
            None => {}
        }
    }
    line
}

fn scalar(text: &str, line: usize) -> Result<Node, YamlError> {
    let unsupported = |reason| Err(YamlError { line, reason });
    match text {
        "~" | "null" | "Null" | "NULL" => return Ok(Node::Null),
        "[]" => return Ok(Node::Seq(Vec::new())),
        "{}" => return Ok(Node::Map(Vec::new())),
        _ => {}
    }
    let Some(first) = text.as_bytes().first() else {
        return unsupported("expected a value");
    };
    match first {
        b'"' => double_quoted(text, line).map(Node::Scalar),
        b'\'' => match text[1..].strip_suffix('\'') {
            Some(inner) if !inner.replace("''", "").contains('\'') => Ok(Node::Scalar(inner.replace("''", "'"))),
            _ => unsupported("unterminated single-quoted string"),
        },
        b'[' | b'{' => unsupported("flow collections are not supported; use block style"),
        b'|' | b'>' => unsupported("block scalars are not supported"),
        b'&' | b'*' | b'!' => unsupported("anchors, aliases and tags are not supported"),
        _ => Ok(Node::Scalar(text.to_owned())),
    }
}

fn double_quoted(text: &str, line: usize) -> Result<String, YamlError> {
    let err = |reason| YamlError { line, reason };
    let inner = text[1..]
        .strip_suffix('"')
        .ok_or_else(|| err("unterminated double-quoted string"))?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Err(err("unterminated double-quoted string")),
            '\\' => {
                let escaped = match chars.next() {
                    Some('n') => '\n',
                    Some('t') => '\t',
                    Some('r') => '\r',
                    Some('0') => '\0',
                    Some(c @ ('\\' | '"' | '/' | ' ')) => c,
                    Some('u') => {
                        let hex: String = chars.by_ref().take(4).collect();
                        u32::from_str_radix(&hex, 16)
                            .ok()
                            .filter(|_| hex.len() == 4)
                            .and_then(char::from_u32)
                            .ok_or_else(|| err("invalid \\u escape"))?
                    }
                    _ => return Err(err("unsupported escape in double-quoted string")),
                };
                out.push(escaped);
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Node {
        Node::Scalar(v.into())
    }

    #[test]
    fn reads_what_the_cli_writes() {
        let doc = "\
# written by the CLI
profiles:
  default:
    api_key: hd_live_abc # trailing comment
    api_url: \"https://api.hotdata.dev/v1\"
    workspaces:
    - public_id: ws_1
      name: 'Ana''s #1'
    - public_id: ws_2
  staging:
    api_key: ~
    workspaces: []
";
        let root = parse(doc).expect("parses");
        let default = root.get("profiles").and_then(|p| p.get("default")).expect("profile");
        assert_eq!(default.get("api_key"), Some(&s("hd_live_abc")));
        assert_eq!(default.get("api_url"), Some(&s("https://api.hotdata.dev/v1")));
        let Some(Node::Seq(ws)) = default.get("workspaces") else {
            panic!("workspaces is a list: {default:?}")
        };
        assert_eq!(ws.len(), 2);
        assert_eq!(ws[0].get("public_id"), Some(&s("ws_1")));
        assert_eq!(ws[0].get("name"), Some(&s("Ana's #1")));
        assert_eq!(ws[1].get("public_id"), Some(&s("ws_2")));
        let staging = root.get("profiles").and_then(|p| p.get("staging")).expect("profile");
        assert_eq!(staging.get("api_key"), Some(&Node::Null));
        assert_eq!(staging.get("workspaces"), Some(&Node::Seq(vec![])));
    }

    #[test]
    fn indented_sequences_and_nested_items() {
        let doc = "a:\n  - x: 1\n    y:\n      - 2\n      - \"\\u00e9\\n\"\n  -\n    z: 3\n";
        let root = parse(doc).expect("parses");
        let Some(Node::Seq(items)) = root.get("a") else {
            panic!("{root:?}")
        };
        assert_eq!(items[0].get("x"), Some(&s("1")));
        assert_eq!(items[0].get("y"), Some(&Node::Seq(vec![s("2"), s("é\n")])));
        assert_eq!(items[1].get("z"), Some(&s("3")));
    }

    #[test]
    fn refuses_what_it_does_not_read_and_never_quotes_the_line() {
        for (doc, line) in [
            ("a: [1, 2]\n", 1),
            ("a: |\n  text\n", 1),
            ("a: &x 1\n", 1),
            ("a: 1\n  b: 2\n", 2),
            ("a: 1\na: 2\n", 2),
            ("a: \"open\n", 1),
            ("just text\n", 1),
            ("a: 1\n---\nb: 2\n", 2),
            ("\tkey: hd_secret\n", 1),
            (": hd_secret\n", 1),
            ("a:\n  : hd_secret\n", 2),
            ("- : hd_secret\n", 1),
        ] {
            let err = parse(doc).expect_err(doc);
            assert_eq!(err.line, line, "{doc:?}: {err}");
            assert!(!err.to_string().contains("hd_secret"));
        }
        assert_eq!(parse("# only a comment\n\n"), Ok(Node::Null));
    }

    /// Random documents built from the characters the reader gives meaning
    /// to: whatever the text, the reader answers, and never panics.
    #[test]
    fn never_panics_on_arbitrary_text() {
        const ALPHABET: &[char] = &[
            ' ', ' ', ' ', ':', ':', '-', '#', '"', '\'', '\\', 'u', '0', 'a', 'k', '\n', '\n', '\t', '[', '{', '|',
            '>', '&', '*', '!', '~', '.', 'é', '\u{feff}',
        ];
        let mut rng = fastrand::Rng::with_seed(0x5eed_ca11);
        for _ in 0..50_000 {
            let len = rng.usize(0..48);
            let doc: String = (0..len).map(|_| ALPHABET[rng.usize(..ALPHABET.len())]).collect();
            if let Err(err) = parse(&doc) {
                assert!(err.line >= 1, "{doc:?}: {err}");
            }
        }
    }
}
