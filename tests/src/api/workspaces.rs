//! `workspaces`: list, create and delete workspaces (bearer auth only; no `X-Workspace-Id`).

use std::sync::Arc;

use serde_json::json;

use crate::app::{App, Ctx};
use crate::reply::{ApiError, ApiResult, Reply};
use crate::state::Workspace;

/// The only organization the local server knows.
const ORGANIZATION: &str = "org_local";

fn check_org(ctx: &Ctx, from_body: bool) -> Result<(), ApiError> {
    let org = if from_body {
        ctx.s("organization_public_id")
    } else {
        ctx.q("organization_public_id")
    };
    match org {
        Some(o) if o != ORGANIZATION => Err(ApiError::not_found(format!("organization `{o}` not found"))),
        _ => Ok(()),
    }
}

/// `GET /v1/workspaces`.
pub(crate) fn list(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    check_org(&ctx, false)?;
    let active = app.config.workspace_id.clone();
    let list = app.read_store(|s| {
        s.workspaces
            .values()
            .map(|w| {
                json!({"public_id": w.public_id, "name": w.name, "active": w.public_id == active,
                       "favorite": false, "provision_status": "provisioned",
                       "namespace": format!("workspace-{}", w.public_id)})
            })
            .collect::<Vec<_>>()
    });
    Ok(Reply::json(200, &json!({"ok": true, "workspaces": list})))
}

/// `POST /v1/workspaces`.
pub(crate) fn create(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    check_org(&ctx, true)?;
    let name = ctx.s("name").unwrap_or_default().trim().to_string();
    if name.is_empty() {
        return Err(ApiError::new(422, "validation_error", "name is required"));
    }
    let id = app.with_store(|s| {
        s.seq = s.seq.saturating_add(1);
        let id = format!("ws_{:08x}", s.seq);
        s.workspaces.insert(id.clone(), Workspace::new(&id, &name));
        id
    });
    Ok(Reply::json(
        201,
        &json!({"ok": true, "workspace": {"public_id": id, "name": name, "provision_status": "provisioned",
                                          "namespace": format!("workspace-{id}")}}),
    ))
}

/// The data directories that hold a workspace's files, each as `<kind>/<workspace id>/`.
const WORKSPACE_DIRS: [&str; 4] = ["datasets", "results", "tables", "uploads"];

/// `DELETE /v1/workspaces/{public_id}`: forgets the workspace, then removes its files (datasets, stored results,
/// managed tables, uploads) so a deleted workspace leaves nothing on disk.
pub(crate) async fn delete(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let id = ctx.p("public_id").to_string();
    app.with_store(|s| s.workspaces.remove(&id))
        .ok_or_else(|| ApiError::not_found(format!("workspace `{id}` not found")))?;
    for kind in WORKSPACE_DIRS {
        // A workspace that never wrote a kind of file has no directory for it.
        app.remove_data_dir(&format!("{kind}/{id}")).await;
    }
    Ok(Reply::no_content())
}
