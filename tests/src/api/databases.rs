//! `databases`: managed databases, each with a hidden managed `default` connection, plus attached catalogs.

use std::sync::Arc;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::json;

use super::{missing, opt};
use crate::app::{App, Ctx};
use crate::reply::{ApiError, ApiResult, Reply};
use crate::state::{Connection, Database, Table, now, table_key};

/// Parses `expires_at`: RFC 3339, or a number followed by `h`, `m` or `d`.
fn parse_expiry(s: &str) -> Result<String, ApiError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc).to_rfc3339_opts(SecondsFormat::Secs, true));
    }
    let bad = || {
        ApiError::bad_request(format!(
            "expires_at `{s}` is neither RFC 3339 nor a duration like 24h, 90m, 7d"
        ))
    };
    let unit = s.chars().last().ok_or_else(bad)?;
    let n: i64 = s[..s.len() - unit.len_utf8()].parse().map_err(|_| bad())?;
    if n <= 0 {
        return Err(bad());
    }
    let d = match unit {
        'h' => Duration::try_hours(n),
        'm' => Duration::try_minutes(n),
        'd' => Duration::try_days(n),
        _ => None,
    }
    .ok_or_else(bad)?;
    let at = Utc::now().checked_add_signed(d).ok_or_else(bad)?;
    Ok(at.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// `POST /v1/databases`.
pub(crate) fn create(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let name = ctx.s("name").or_else(|| ctx.s("description")).map(str::to_string);
    let expires_at = parse_expiry(ctx.s("expires_at").unwrap_or("24h"))?;
    let mut declared = Vec::new();
    if let Some(schemas) = ctx.body.get("schemas").and_then(|v| v.as_array()) {
        for s in schemas {
            let sname = s.get("name").and_then(|v| v.as_str()).unwrap_or_default();
            if !super::valid_name(sname) {
                return Err(ApiError::bad_request(format!("`{sname}` is not a valid schema name")));
            }
            for t in s.get("tables").and_then(|v| v.as_array()).into_iter().flatten() {
                let tname = t.get("name").and_then(|v| v.as_str()).unwrap_or_default();
                if !super::valid_name(tname) {
                    return Err(ApiError::bad_request(format!("`{tname}` is not a valid table name")));
                }
                declared.push((sname.to_string(), tname.to_string()));
            }
        }
    }
    let db = app.with_ws(&ctx.ws, |w, ids| {
        let id = ids.id("db");
        let conn_id = ids.id("conn");
        let mut tables = std::collections::BTreeMap::new();
        for (s, t) in &declared {
            tables.insert(table_key(s, t), Table::declared(s, t));
        }
        w.connections.insert(
            conn_id.clone(),
            Connection {
                id: conn_id.clone(),
                name: format!("{id}_default"),
                source_type: "managed".into(),
                config: json!({}),
                secret_name: None,
                created_at: now(),
                database_id: Some(id.clone()),
                health_error: None,
                tables,
            },
        );
        let db = Database {
            id: id.clone(),
            name,
            expires_at: Some(expires_at),
            default_connection_id: conn_id,
            attachments: Vec::new(),
            contexts: Default::default(),
            created_at: now(),
        };
        w.databases.insert(id, db.clone());
        db
    })?;
    Ok(Reply::json(
        201,
        &json!({"id": db.id, "name": opt(&db.name), "default_connection_id": db.default_connection_id,
                "expires_at": opt(&db.expires_at)}),
    ))
}

/// `GET /v1/databases`.
pub(crate) fn list(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let list = app.read_ws(&ctx.ws, |w| {
        w.databases
            .values()
            .map(|d| json!({"id": d.id, "name": opt(&d.name), "expires_at": opt(&d.expires_at)}))
            .collect::<Vec<_>>()
    })?;
    Ok(Reply::json(200, &json!({"databases": list})))
}

/// `GET /v1/databases/{database_id}`.
pub(crate) fn get(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let id = ctx.p("database_id");
    let d = app
        .read_ws(&ctx.ws, |w| w.databases.get(id).cloned())?
        .ok_or_else(|| missing("database", id))?;
    let attachments: Vec<_> = d
        .attachments
        .iter()
        .map(|(c, a)| json!({"connection_id": c, "alias": opt(a)}))
        .collect();
    Ok(Reply::json(
        200,
        &json!({"id": d.id, "name": opt(&d.name), "default_connection_id": d.default_connection_id,
                "expires_at": opt(&d.expires_at), "attachments": attachments}),
    ))
}

/// `DELETE /v1/databases/{database_id}`: drops the database and its `default` catalog; attached connections stay.
pub(crate) fn delete(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let id = ctx.p("database_id").to_string();
    let d = app
        .with_ws(&ctx.ws, |w, _| {
            let d = w.databases.remove(&id)?;
            w.connections.remove(&d.default_connection_id);
            Some(d)
        })?
        .ok_or_else(|| missing("database", &id))?;
    let _ = std::fs::remove_dir_all(app.dirs.abs(&format!("tables/{}/{}", ctx.ws, d.default_connection_id)));
    Ok(Reply::no_content())
}

/// `POST /v1/databases/{database_id}/catalogs`.
pub(crate) fn attach(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let id = ctx.p("database_id").to_string();
    let conn_id = ctx.required("connection_id")?.to_string();
    let alias = ctx.s("alias").map(str::to_string);
    if let Some(a) = &alias
        && (!super::valid_name(a) || a == "default")
    {
        return Err(ApiError::bad_request(format!(
            "`{a}` cannot be used as a catalog alias"
        )));
    }
    app.with_ws(&ctx.ws, |w, _| {
        let conn_name = w
            .user_connection(&conn_id)
            .map(|c| c.name.clone())
            .ok_or_else(|| missing("connection", &conn_id))?;
        let names: Vec<String> = {
            let d = w.databases.get(&id).ok_or_else(|| missing("database", &id))?;
            d.attachments
                .iter()
                .map(|(c, a)| {
                    a.clone()
                        .unwrap_or_else(|| w.connections.get(c).map(|c| c.name.clone()).unwrap_or_default())
                })
                .collect()
        };
        let d = w.databases.get_mut(&id).ok_or_else(|| missing("database", &id))?;
        if d.attachments.iter().any(|(c, _)| c == &conn_id) {
            return Err(ApiError::conflict(format!(
                "connection `{conn_id}` is already attached"
            )));
        }
        let visible = alias.clone().unwrap_or(conn_name);
        if names.contains(&visible) {
            return Err(ApiError::conflict(format!(
                "a catalog named `{visible}` is already attached"
            )));
        }
        d.attachments.push((conn_id.clone(), alias));
        Ok(())
    })??;
    Ok(Reply::no_content())
}

/// `DELETE /v1/databases/{database_id}/catalogs/{connection_id}`.
pub(crate) fn detach(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let id = ctx.p("database_id").to_string();
    let conn_id = ctx.p("connection_id").to_string();
    app.with_ws(&ctx.ws, |w, _| {
        let d = w.databases.get_mut(&id).ok_or_else(|| missing("database", &id))?;
        let before = d.attachments.len();
        d.attachments.retain(|(c, _)| c != &conn_id);
        if d.attachments.len() == before {
            return Err(missing("attached catalog", &conn_id));
        }
        Ok(())
    })??;
    Ok(Reply::no_content())
}
