//! Where in a JSON body a typed decode failed, as a path such as `items[1].id`.
//!
//! Bodies are decoded once, by serde_json's own deserializer. When that fails, serde_json's error carries the
//! line and column it stopped at, and [`path_at`] walks the body's text up to there to name the value it was
//! reading. Tracking the path during the decode instead (a wrapping deserializer) would make the compiler build
//! every model's decoder a second time, for a second deserializer type, only for the error path: that was a
//! large share of this crate's build.
//!
//! The walk reads structure only (brackets, commas, colons and strings), so it is linear in the bytes before
//! the error and allocates only the keys on the path.

/// The path of the value that a decode error at `line` and `column` (serde_json's positions: lines from 1,
/// columns counted in bytes) of `body` was reading, in the form `items[1].id`; empty for the whole body.
///
/// serde_json reports a type error just past the first byte of the offending value, and an error about a
/// whole object or array (a missing field, a wrong length) just past its closing bracket. The bracket at the
/// reported position is therefore not taken as entered or left, and a closing bracket there names the
/// container itself rather than its last member. An extra element in a fixed-length array is named by its own
/// index, where it stopped the decode.
pub(crate) fn path_at(body: &[u8], line: usize, column: usize) -> String {
    let Some(end) = offset_of(body, line, column) else {
        return String::new();
    };
    // The byte just before the reported position is the one serde_json had peeked or last consumed.
    let last = end.saturating_sub(1);
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < last {
        match body[i] {
            b'{' => stack.push(Frame::Object {
                key: None,
                want_key: true,
            }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array { index }) => *index = index.saturating_add(1),
                Some(Frame::Object { want_key, .. }) => *want_key = true,
                None => {}
            },
            b':' => {
                if let Some(Frame::Object { want_key, .. }) = stack.last_mut() {
                    *want_key = false;
                }
            }
            b'"' => {
                let Some(close) = string_end(body, i) else { break };
                if close >= last {
                    // The error is inside this string (a bad escape, say) or right at its end: the path
                    // is that of the string's own value.
                    break;
                }
                if let Some(Frame::Object {
                    key,
                    want_key: want @ true,
                }) = stack.last_mut()
                {
                    *key = Some(key_text(&body[i..=close]));
                    *want = false;
                }
                i = close + 1;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    // At a closing bracket the error is about the container, not about its last member.
    if matches!(body.get(last), Some(b'}' | b']')) {
        match stack.last_mut() {
            Some(Frame::Object { key, .. }) => *key = None,
            Some(Frame::Array { .. }) => {
                stack.pop();
            }
            None => {}
        }
    }
    render(&stack)
}

/// One level of nesting on the way to the failing value.
enum Frame {
    /// An object, with the key of the member being read once one was.
    Object { key: Option<String>, want_key: bool },
    /// An array, with the index of the element being read.
    Array { index: usize },
}

/// The byte offset of a serde_json position, if the body has that line.
fn offset_of(body: &[u8], line: usize, column: usize) -> Option<usize> {
    if line == 0 {
        return None;
    }
    let mut start = 0;
    for _ in 1..line {
        start += body.get(start..)?.iter().position(|&b| b == b'\n')? + 1;
    }
    Some(start.saturating_add(column).min(body.len()))
}

/// The index of the quote that closes the string opening at `open`.
fn string_end(body: &[u8], open: usize) -> Option<usize> {
    let mut i = open + 1;
    while i < body.len() {
        match body[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// A key's text with its escapes resolved, or as written when they do not resolve.
fn key_text(quoted: &[u8]) -> String {
    serde_json::from_slice::<String>(quoted)
        .unwrap_or_else(|_| String::from_utf8_lossy(&quoted[1..quoted.len() - 1]).into_owned())
}

fn render(stack: &[Frame]) -> String {
    let mut path = String::new();
    for frame in stack {
        match frame {
            Frame::Object { key: Some(key), .. } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            // A member not reached yet: the path ends at this object.
            Frame::Object { key: None, .. } => break,
            Frame::Array { index } => {
                path.push('[');
                path.push_str(&index.to_string());
                path.push(']');
            }
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use std::collections::BTreeMap;

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Page {
        items: Vec<Item>,
        #[serde(default)]
        meta: Option<Meta>,
    }
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Item {
        id: String,
        #[serde(default)]
        kind: Option<Kind>,
        #[serde(default)]
        size: Option<u32>,
        #[serde(default)]
        pair: Option<(u8, u8)>,
        #[serde(default)]
        tags: BTreeMap<String, u16>,
    }
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Table,
        View,
    }
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Meta {
        total: u64,
        next: Option<String>,
    }

    /// The path this module names, next to the one a decode that tracks its path (serde_path_to_error) names.
    fn both(body: &str) -> (String, String) {
        let err = serde_json::from_str::<Page>(body).expect_err(body);
        let ours = path_at(body.as_bytes(), err.line(), err.column());
        let mut de = serde_json::Deserializer::from_str(body);
        let tracked = match serde_path_to_error::deserialize::<_, Page>(&mut de) {
            Err(e) => e.path().to_string(),
            Ok(_) => de
                .end()
                .map(|()| "<decoded>".to_owned())
                .unwrap_or_else(|_| ".".to_owned()),
        };
        let tracked = if tracked == "." { String::new() } else { tracked };
        (ours, tracked)
    }

    #[test]
    fn names_the_same_path_as_a_tracking_decode() {
        let bodies = [
            r#"{"items":[{"id":"a"},{"id":7}]}"#,
            r#"{"items":[{"id":"a"},{"id":"b","size":"big"}]}"#,
            r#"{"items":[{"id":"a","kind":"table"},{"id":"b","kind":"garage"}]}"#,
            r#"{"items":[{"id":"a"},{"size":3}]}"#,
            r#"{"items":[{"id":"a","tags":{"x":1,"y":-2}}]}"#,
            r#"{"items":[{"id":"a","tags":{"x":1,"y":70000}}]}"#,
            r#"{"items":[{"id":"a","pair":[1]}]}"#,
            r#"{"items":[{"id":"a","pair":[1,300]}]}"#,
            r#"{"items":{"id":"a"}}"#,
            r#"{"items":[],"meta":{"total":"many"}}"#,
            r#"{"items":[],"meta":{"next":null}}"#,
            r#"{"items":[],"meta":{"total":1,"next":5}}"#,
            r#"{"meta":{"total":1}}"#,
            r#"[1,2]"#,
            r#"7"#,
            "{\n  \"items\": [\n    {\"id\": \"a\"},\n    {\"id\": \"b\", \"size\": true}\n  ]\n}",
            r#"{"items":[{"id":"a,]}[{\"","size":"x"}]}"#,
            r#"{"it\u0065ms":[{"id":"a"}],"meta":{"total":-1}}"#,
            r#"{"items":[{"id":"a"} , { "id" : "b" , "kind" : "chair" } ]}"#,
        ];
        let wrong: Vec<String> = bodies
            .iter()
            .filter_map(|body| {
                let (ours, tracked) = both(body);
                (ours != tracked).then(|| format!("{body}: ours {ours:?}, tracked {tracked:?}"))
            })
            .collect();
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    #[test]
    fn an_element_past_a_fixed_length_names_that_element() {
        // serde_json stops at the first extra element; a tracking decode names the array, this names the
        // element that should not be there.
        let (ours, tracked) = both(r#"{"items":[{"id":"a","pair":[1,2,3]}]}"#);
        assert_eq!((ours.as_str(), tracked.as_str()), ("items[0].pair[2]", "items[0].pair"));
    }

    #[test]
    fn syntax_errors_and_odd_positions_do_not_panic() {
        for body in [
            "",
            "{",
            "[",
            "{\"items\":[",
            "{\"items\":[{\"id\":\"a",
            "{\"items\":[{\"id\":\"a\\",
            "}}}",
            "]]",
            "\"",
            "{\"a\":1}x",
            "\n\n\n",
        ] {
            if let Err(err) = serde_json::from_str::<Page>(body) {
                let _ = path_at(body.as_bytes(), err.line(), err.column());
            }
            for line in 0..5 {
                for column in [0, 1, 2, 100, usize::MAX] {
                    let _ = path_at(body.as_bytes(), line, column);
                }
            }
        }
        assert_eq!(path_at(b"{\"items\":[", 1, 10), "items");
    }
}
