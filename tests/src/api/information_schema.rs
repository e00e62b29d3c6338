//! `information_schema`: tables and columns across the workspace's connections, with `%` patterns and cursor
//! paging.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::app::{App, Ctx};
use crate::reply::{ApiError, ApiResult, Reply};

/// SQL `LIKE`-style match where `%` is any run of characters and `_` any one character (case-insensitive).
pub(crate) fn like(pattern: &str, text: &str) -> bool {
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
            let included = match &conn_filter {
                Some(id) => &c.id == id,
                None => c.database_id.is_none(),
            };
            if !included {
                continue;
            }
            for t in c.tables.values() {
                if schema_pat.as_deref().is_some_and(|p| !like(p, &t.schema))
                    || table_pat.as_deref().is_some_and(|p| !like(p, &t.table))
                {
                    continue;
                }
                let key = format!("{}\u{1}{}\u{1}{}", c.name, t.schema, t.table);
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

    #[test]
    fn percent_wildcards() {
        assert!(like("ord%", "orders"));
        assert!(like("%der%", "orders"));
        assert!(like("o_ders", "orders"));
        assert!(!like("cust%", "orders"));
        assert!(like("%", ""));
    }
}
