//! `information_schema`: tables and columns across the workspace's connections, with `%` patterns and cursor
//! paging.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::app::{App, Ctx};
use crate::reply::{ApiError, ApiResult, Reply};

/// SQL `LIKE`-style match where `%` is any run of characters and `_` any one character (ASCII case-insensitive;
/// there is no escape character).
///
/// Greedy, with one backtracking point: the most recent `%`. When a literal fails to match, the text that `%`
/// swallowed grows by one character and matching resumes after it. Earlier `%`s never need revisiting (what a
/// later `%` can absorb covers every choice they could make), so the work is at most `O(pattern × text)` and
/// usually linear, whatever the number of `%`.
pub(crate) fn like(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    // Pattern position just after the last `%` seen, and the text position that `%` currently stops at.
    let mut resume: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('%') => {
                pi += 1;
                resume = Some((pi, ti));
            }
            Some(c) if *c == '_' || c.eq_ignore_ascii_case(&t[ti]) => {
                pi += 1;
                ti += 1;
            }
            _ => match resume {
                Some((after, stop)) => {
                    pi = after;
                    ti = stop + 1;
                    resume = Some((after, stop + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == '%')
}

pub(crate) fn encode_cursor(key: &str) -> String {
    key.bytes().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn decode_cursor(c: &str) -> Result<String, ApiError> {
    let bad = || ApiError::new(404, "invalid_cursor", "the cursor is not valid");
    if !c.len().is_multiple_of(2) || !c.is_ascii() {
        return Err(bad());
    }
    let bytes: Result<Vec<u8>, _> = (0..c.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&c[i..i + 2], 16))
        .collect();
    String::from_utf8(bytes.map_err(|_| bad())?).map_err(|_| bad())
}

/// `GET /v1/information_schema`.
pub(crate) fn list(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let conn_filter = ctx.q("connection_id").map(str::to_string);
    let schema_pat = ctx.q("schema").map(str::to_string);
    let table_pat = ctx.q("table").map(str::to_string);
    let include_columns = ctx.q("include_columns") == Some("true");
    let limit = ctx.q_u64("limit")?.unwrap_or(100).clamp(1, 1000) as usize;
    let after = ctx.q("cursor").map(decode_cursor).transpose()?;
    let rows = app.read_ws(&ctx.ws, |w| {
        if let Some(id) = &conn_filter
            && !w.connections.contains_key(id)
        {
            return Err(super::missing("connection", id));
        }
        let mut rows: Vec<(String, Value)> = Vec::new();
        for c in w.connections.values() {
            // Without a filter every table the workspace holds is listed: user connections' and the default
            // catalogs of managed databases alike.
            if conn_filter.as_ref().is_some_and(|id| &c.id != id) {
                continue;
            }
            for t in c.tables.values() {
                if schema_pat.as_deref().is_some_and(|p| !like(p, &t.schema))
                    || table_pat.as_deref().is_some_and(|p| !like(p, &t.table))
                {
                    continue;
                }
                // The connection ID last keeps keys (and so cursors) unique even if two connections share a name.
                let key = format!("{}\u{1}{}\u{1}{}\u{1}{}", c.name, t.schema, t.table, c.id);
                let columns = if include_columns {
                    json!(
                        t.columns
                            .iter()
                            .map(|c| json!({"name": c.name, "data_type": c.data_type, "nullable": c.nullable}))
                            .collect::<Vec<_>>()
                    )
                } else {
                    Value::Null
                };
                rows.push((
                    key,
                    json!({"connection": c.name, "schema": t.schema, "table": t.table, "synced": !t.files.is_empty(),
                           "last_sync": t.synced_at, "columns": columns, "partition_by": t.partition_by,
                           "sorted_by": t.sorted_by, "constant_per_key": t.constant_per_key}),
                ));
            }
        }
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(rows)
    })??;
    let rest: Vec<&(String, Value)> = rows
        .iter()
        .filter(|(k, _)| after.as_deref().is_none_or(|a| k.as_str() > a))
        .collect();
    let has_more = rest.len() > limit;
    let page: Vec<&(String, Value)> = rest.into_iter().take(limit).collect();
    let next = if has_more {
        page.last().map(|(k, _)| json!(encode_cursor(k)))
    } else {
        None
    };
    let tables: Vec<Value> = page.iter().map(|(_, v)| v.clone()).collect();
    Ok(Reply::json(
        200,
        &json!({"tables": tables, "count": tables.len(), "has_more": has_more, "limit": limit,
                "next_cursor": next.unwrap_or(Value::Null)}),
    ))
}

#[cfg(test)]
mod tests {
    use super::like;

    /// The former implementation (exponential in the number of `%`), kept as the specification of the results.
    fn like_by_recursion(pattern: &str, text: &str) -> bool {
        fn go(p: &[char], t: &[char]) -> bool {
            match p.split_first() {
                None => t.is_empty(),
                Some(('%', rest)) => (0..=t.len()).any(|i| go(rest, &t[i..])),
                Some(('_', rest)) => !t.is_empty() && go(rest, &t[1..]),
                Some((c, rest)) => t.first().is_some_and(|x| x.eq_ignore_ascii_case(c)) && go(rest, &t[1..]),
            }
        }
        let p: Vec<char> = pattern.chars().collect();
        let t: Vec<char> = text.chars().collect();
        go(&p, &t)
    }

    #[test]
    fn percent_wildcards() {
        assert!(like("ord%", "orders"));
        assert!(like("%der%", "orders"));
        assert!(like("o_ders", "orders"));
        assert!(!like("cust%", "orders"));
        assert!(like("%", ""));
    }

    #[test]
    fn edges_of_underscore_case_and_unicode() {
        assert!(like("", ""));
        assert!(!like("", "a"));
        assert!(!like("_", ""));
        assert!(like("%%", ""));
        assert!(like("%_", "x"));
        assert!(!like("%_", ""));
        assert!(like("ORD%", "orders"));
        assert!(like("%S", "orders"));
        assert!(like("caf_", "café"));
        assert!(like("%é", "café"));
        assert!(!like("%a%b", "ba"));
        assert!(like("a%b%c", "a_x_b_y_c"));
        assert!(!like("a%b%c", "a_x_c_y_b"));
        assert!(like("%aab", "aaab"));
        assert!(like("_%_%_", "abc"));
        assert!(!like("_%_%_", "ab"));
    }

    /// Every pattern and text of a small alphabet agrees with the recursive definition.
    #[test]
    fn agrees_with_the_recursive_definition() {
        const PATTERN_CHARS: [char; 5] = ['a', 'B', '%', '_', 'b'];
        const TEXT_CHARS: [char; 3] = ['a', 'b', 'A'];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        for _ in 0..20_000 {
            let p: String = (0..next(8)).map(|_| PATTERN_CHARS[next(5)]).collect();
            let t: String = (0..next(9)).map(|_| TEXT_CHARS[next(3)]).collect();
            assert_eq!(like(&p, &t), like_by_recursion(&p, &t), "pattern {p:?} text {t:?}");
        }
    }

    /// Thirty `%` against ten thousand characters that never match: the recursive version would try on the order
    /// of 10,000^30 splits and never finish; this one answers at once.
    #[test]
    fn many_percents_on_a_long_text_finish() {
        let pattern = format!("{}b", "%a".repeat(30));
        assert_eq!(pattern.matches('%').count(), 30);
        let text = "a".repeat(10_000);
        assert!(!like(&pattern, &text));
        let matching = format!("{text}b");
        assert!(like(&pattern, &matching));
        let underscores = format!("{}z", "%_".repeat(30));
        assert!(!like(&underscores, &text));
        assert!(like(&underscores, &format!("{text}Z")));
    }
}
