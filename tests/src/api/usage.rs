//! `usage`: query runs and bytes read since a point in time, and the bytes the workspace stores now, all
//! computed from the server's records and files.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, TimeZone, Utc};
use serde_json::json;

use crate::app::{App, Ctx};
use crate::reply::ApiResult;
use crate::reply::Reply;

/// Reads `since` as RFC 3339 or a plain date; anything else (and no value) means the start of this month in UTC.
fn period_start(since: Option<&str>) -> DateTime<Utc> {
    let parsed = since.and_then(|s| {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .ok()
            .or_else(|| {
                NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .ok()
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map(|d| Utc.from_utc_datetime(&d))
            })
    });
    parsed.unwrap_or_else(|| {
        let now = Utc::now();
        Utc.with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
            .single()
            .unwrap_or(now)
    })
}

/// A file's identity, so hard-linked copies (forks) are counted once.
fn identity(meta: &std::fs::Metadata, path: &std::path::Path) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let _ = path;
        format!("{}:{}", meta.dev(), meta.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        path.display().to_string()
    }
}

/// `GET /v1/usage`.
pub(crate) async fn get(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let since = period_start(ctx.q("since"));
    let (query_count, bytes_scanned, files) = app.read_ws(&ctx.ws, |w| {
        let mut count = 0u64;
        let mut scanned = 0u64;
        for r in w.query_runs.values() {
            let at = DateTime::parse_from_rfc3339(&r.created_at).map(|t| t.with_timezone(&Utc));
            if at.is_ok_and(|t| t >= since) {
                count = count.saturating_add(1);
                scanned = scanned.saturating_add(r.bytes_scanned.unwrap_or(0));
            }
        }
        let mut files: Vec<String> = Vec::new();
        for c in w.connections.values().filter(|c| c.is_managed()) {
            for t in c.tables.values() {
                files.extend(t.files.iter().cloned());
            }
        }
        for d in w.datasets.values() {
            files.extend(d.versions.iter().map(|v| v.file.clone()));
        }
        files.extend(
            w.uploads
                .values()
                .filter(|u| u.status != "consumed")
                .map(|u| u.file.clone()),
        );
        (count, scanned, files)
    })?;
    let mut seen = BTreeSet::new();
    let mut stored = 0u64;
    for rel in files {
        let path = app.dirs.abs(&rel);
        if let Ok(meta) = tokio::fs::metadata(&path).await
            && seen.insert(identity(&meta, &path))
        {
            stored = stored.saturating_add(meta.len());
        }
    }
    Ok(Reply::json(
        200,
        &json!({
            "since": since.to_rfc3339_opts(SecondsFormat::Secs, true),
            "query_count": query_count,
            "bytes_scanned": bytes_scanned,
            "storage_bytes": stored,
            "storage_captured_at": crate::state::now(),
        }),
    ))
}
