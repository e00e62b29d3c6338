//! `jobs`: background work handed off by other endpoints (`async: true`).

use std::future::Future;
use std::sync::Arc;

use serde_json::{Value, json};

use super::missing;
use crate::app::{App, Ctx};
use crate::reply::{ApiResult, Reply};
use crate::state::{Job, now};

fn job_json(j: &Job) -> Value {
    json!({"id": j.id, "job_type": j.job_type, "status": j.status, "attempts": j.attempts,
           "created_at": j.created_at, "completed_at": j.completed_at, "error_message": j.error_message,
           "result": j.result})
}

/// Records a pending job, runs `work` in the background (`running`, then `succeeded` with its result or `failed`
/// with its message) and returns the `SubmitJobResponse` body.
pub(crate) fn submit<F>(app: &Arc<App>, ws: &str, job_type: &str, work: F) -> Result<Value, crate::reply::ApiError>
where
    F: Future<Output = Result<Value, String>> + Send + 'static,
{
    let id = app.with_ws(ws, |w, ids| {
        let id = ids.id("job");
        w.jobs.insert(
            id.clone(),
            Job {
                id: id.clone(),
                job_type: job_type.to_string(),
                status: "pending".into(),
                attempts: 0,
                created_at: now(),
                completed_at: None,
                error_message: None,
                result: Value::Null,
            },
        );
        id
    })?;
    let app2 = app.clone();
    let ws2 = ws.to_string();
    let id2 = id.clone();
    tokio::spawn(async move {
        let _ = app2.with_ws(&ws2, |w, _| {
            if let Some(j) = w.jobs.get_mut(&id2) {
                j.status = "running".into();
                j.attempts = 1;
            }
        });
        let out = work.await;
        let _ = app2.with_ws(&ws2, |w, _| {
            if let Some(j) = w.jobs.get_mut(&id2) {
                j.completed_at = Some(now());
                match out {
                    Ok(v) => {
                        j.status = "succeeded".into();
                        j.result = v;
                    }
                    Err(e) => {
                        j.status = "failed".into();
                        j.error_message = Some(e);
                    }
                }
            }
        });
    });
    Ok(json!({"id": id, "status": "pending", "status_url": format!("/v1/jobs/{id}")}))
}

/// `GET /v1/jobs`.
pub(crate) fn list(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let job_type = ctx.q("job_type").map(str::to_string);
    let statuses: Option<Vec<String>> = ctx.q("status").map(|s| {
        s.split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect()
    });
    let all = app.read_ws(&ctx.ws, |w| {
        w.jobs
            .values()
            .rev()
            .filter(|j| job_type.as_deref().is_none_or(|t| j.job_type == t))
            .filter(|j| statuses.as_ref().is_none_or(|s| s.contains(&j.status)))
            .cloned()
            .collect::<Vec<_>>()
    })?;
    let (page, ..) = super::offset_page(&ctx, &all, 50, 1000)?;
    let jobs: Vec<Value> = page.iter().map(job_json).collect();
    Ok(Reply::json(200, &json!({"jobs": jobs})))
}

/// `GET /v1/jobs/{id}`.
pub(crate) fn get(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let id = ctx.p("id");
    let j = app
        .read_ws(&ctx.ws, |w| w.jobs.get(id).cloned())?
        .ok_or_else(|| missing("job", id))?;
    Ok(Reply::json(200, &job_json(&j)))
}
