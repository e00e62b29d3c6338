//! `query_runs`: the history of executed queries, newest first, cursor-paged.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{missing, opt};
use crate::app::{App, Ctx};
use crate::reply::{ApiResult, Reply};
use crate::state::QueryRun;

pub(crate) fn run_json(r: &QueryRun) -> Value {
    json!({
        "id": r.id,
        "status": r.status,
        "sql_text": r.sql_text,
        "sql_hash": r.sql_hash,
        "created_at": r.created_at,
        "completed_at": opt(&r.completed_at),
        "execution_time_ms": r.execution_time_ms,
        "server_processing_ms": r.server_processing_ms,
        "row_count": r.row_count,
        "result_id": opt(&r.result_id),
        "error_message": opt(&r.error_message),
        "saved_query_id": opt(&r.saved_query_id),
        "saved_query_version": r.saved_query_version,
        "snapshot_id": r.snapshot_id,
        "trace_id": opt(&r.trace_id),
        "user_public_id": opt(&r.user_public_id),
        "warning_message": null,
        "bytes_scanned": r.bytes_scanned,
    })
}

/// `GET /v1/query-runs`: the cursor is the ID of the last run of the previous page.
pub(crate) fn list(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let limit = ctx.q_u64("limit")?.unwrap_or(100).clamp(1, 1000) as usize;
    let cursor = ctx.q("cursor").map(str::to_string);
    let statuses: Option<Vec<String>> = ctx.q("status").map(|s| {
        s.split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect()
    });
    let saved = ctx.q("saved_query_id").map(str::to_string);
    let database = super::db_scope::list_database(app, &ctx, "query runs")?;
    let runs = app.read_ws(&ctx.ws, |w| {
        w.query_runs
            .values()
            .rev()
            .filter(|r| database.is_none() || r.database_id == database)
            .filter(|r| cursor.as_deref().is_none_or(|c| r.id.as_str() < c))
            .filter(|r| statuses.as_ref().is_none_or(|s| s.contains(&r.status)))
            .filter(|r| saved.as_deref().is_none_or(|s| r.saved_query_id.as_deref() == Some(s)))
            .take(limit + 1)
            .cloned()
            .collect::<Vec<_>>()
    })?;
    let has_more = runs.len() > limit;
    let page: Vec<&QueryRun> = runs.iter().take(limit).collect();
    let next_cursor = if has_more {
        page.last().map(|r| json!(r.id))
    } else {
        None
    };
    let items: Vec<Value> = page.iter().map(|r| run_json(r)).collect();
    Ok(Reply::json(
        200,
        &json!({"query_runs": items, "count": items.len(), "has_more": has_more, "limit": limit,
                "next_cursor": next_cursor.unwrap_or(Value::Null)}),
    ))
}

/// `GET /v1/query-runs/{id}`.
pub(crate) fn get(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let id = ctx.p("id");
    let run = app.read_ws(&ctx.ws, |w| w.query_runs.get(id).cloned())?;
    let owner = run.as_ref().map(|r| r.database_id.as_deref());
    super::db_scope::check_read(app, &ctx, owner, "query run", id)?;
    let run = run.ok_or_else(|| missing("query run", id))?;
    Ok(Reply::json(200, &run_json(&run)))
}
