//! `databases`: managed databases, each with a hidden managed `default` connection, plus attached catalogs.

use std::sync::Arc;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::{missing, opt};
use crate::app::{App, Ctx, IdGen};
use crate::reply::{ApiError, ApiResult, Reply};
use crate::state::{Batch, Connection, Database, ForkRecord, Table, Workspace, now, table_key};

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

/// Checks a catalog or schema name given at creation: lower-case letters, digits and `_`, not starting with a digit.
fn check_identifier(what: &str, s: &str) -> Result<(), ApiError> {
    let ok = !s.is_empty()
        && s.len() <= 128
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit());
    if !ok {
        return Err(ApiError::bad_request(format!("`{s}` is not a valid {what} name")));
    }
    Ok(())
}

/// Whether two database names are the same: surrounding whitespace and the case of ASCII letters do not count.
fn same_name(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// Whether `name` contains `text`, ignoring the case of ASCII letters.
fn name_contains(name: Option<&str>, text: &str) -> bool {
    name.is_some_and(|n| n.to_ascii_lowercase().contains(&text.to_ascii_lowercase()))
}

/// What a new database is made from: one create, or the template of a bulk create.
#[derive(Debug, Clone)]
struct Template {
    expires_at: Option<String>,
    default_catalog: String,
    default_schema: String,
    schemas: Vec<String>,
    tables: Vec<Table>,
}

fn parse_template(body: &Value, default_expiry: Option<&str>) -> Result<Template, ApiError> {
    let expires_at = match body.get("expires_at").and_then(Value::as_str).or(default_expiry) {
        Some("") | None => None,
        Some(s) => Some(parse_expiry(s)?),
    };
    let default_catalog = match body.get("default_catalog").and_then(Value::as_str) {
        Some(c) => {
            check_identifier("catalog", c)?;
            if c == "hotdata" || c == "information_schema" {
                return Err(ApiError::bad_request(format!("catalog name `{c}` is reserved")));
            }
            c.to_string()
        }
        None => "default".to_string(),
    };
    let mut schemas = Vec::new();
    let mut tables: Vec<Table> = Vec::new();
    for s in body.get("schemas").and_then(Value::as_array).into_iter().flatten() {
        let sname = s.get("name").and_then(Value::as_str).unwrap_or_default();
        if !super::valid_name(sname) {
            return Err(ApiError::bad_request(format!("`{sname}` is not a valid schema name")));
        }
        if schemas.iter().any(|x| x == sname) {
            return Err(ApiError::bad_request(format!("schema `{sname}` is declared twice")));
        }
        schemas.push(sname.to_string());
        for t in s.get("tables").and_then(Value::as_array).into_iter().flatten() {
            let t = super::managed::table_from_decl(sname, t, false)?;
            if tables.iter().any(|x| x.schema == t.schema && x.table == t.table) {
                return Err(ApiError::bad_request(format!(
                    "table `{sname}.{}` is declared twice",
                    t.table
                )));
            }
            tables.push(t);
        }
    }
    let default_schema = match body.get("default_schema").and_then(Value::as_str) {
        Some(s) => {
            check_identifier("schema", s)?;
            s.to_string()
        }
        None if schemas.len() == 1 => schemas[0].clone(),
        None => "main".to_string(),
    };
    Ok(Template {
        expires_at,
        default_catalog,
        default_schema,
        schemas,
        tables,
    })
}

/// Creates a database and its default connection from `t`.
fn insert_database(
    w: &mut Workspace,
    ids: &mut IdGen,
    t: &Template,
    name: Option<String>,
    batch: Option<&str>,
) -> Database {
    let id = ids.id("db");
    let conn_id = ids.id("conn");
    insert_database_with_id(w, id, conn_id, t, name, batch)
}

/// Records database `id` with its default connection `conn_id`, both allocated by the caller.
fn insert_database_with_id(
    w: &mut Workspace,
    id: String,
    conn_id: String,
    t: &Template,
    name: Option<String>,
    batch: Option<&str>,
) -> Database {
    let tables = t
        .tables
        .iter()
        .map(|x| (table_key(&x.schema, &x.table), x.clone()))
        .collect();
    let mut schemas: std::collections::BTreeSet<String> = t.schemas.iter().cloned().collect();
    schemas.insert("main".into());
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
            schemas,
        },
    );
    let db = Database {
        id: id.clone(),
        name,
        expires_at: t.expires_at.clone(),
        default_connection_id: conn_id,
        attachments: Vec::new(),
        contexts: Default::default(),
        created_at: now(),
        default_catalog: t.default_catalog.clone(),
        default_schema: t.default_schema.clone(),
        batch_id: batch.map(str::to_string),
    };
    w.databases.insert(id, db.clone());
    db
}

fn forked_from(w: &Workspace, id: &str) -> Value {
    w.forks.iter().find(|r| r.fork_id == id).map_or(Value::Null, |r| {
        json!({"database_id": r.source_id, "name": opt(&r.source_name), "description": opt(&r.description),
               "forked_at": r.forked_at, "snapshot_id": r.snapshot_id})
    })
}

/// `DatabaseSummary`.
fn summary_json(w: &Workspace, d: &Database) -> Value {
    json!({"id": d.id, "name": opt(&d.name), "expires_at": opt(&d.expires_at), "created_at": d.created_at,
           "default_catalog": d.default_catalog, "default_schema": d.default_schema,
           "forked_from": forked_from(w, &d.id)})
}

/// `CreateDatabaseResponse`.
fn created_json(w: &Workspace, d: &Database, created: bool) -> Value {
    let mut v = summary_json(w, d);
    v["default_connection_id"] = json!(d.default_connection_id);
    v["created"] = json!(created);
    v
}

/// `DatabaseDetailResponse`.
fn detail_json(w: &Workspace, d: &Database) -> Value {
    let mut v = summary_json(w, d);
    v["default_connection_id"] = json!(d.default_connection_id);
    v["attachments"] = d
        .attachments
        .iter()
        .map(|(c, a)| json!({"connection_id": c, "alias": opt(a)}))
        .collect();
    v
}

/// `POST /v1/databases`.
pub(crate) fn create(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let name = ctx.s("name").or_else(|| ctx.s("description")).map(str::to_string);
    // Seed-era servers gave databases a day when no expiry was asked for; this one still does.
    let template = parse_template(&ctx.body, Some("24h"))?;
    let if_not_exists = ctx.flag("if_not_exists");
    if if_not_exists && name.as_deref().is_none_or(|n| n.trim().is_empty()) {
        return Err(ApiError::bad_request("if_not_exists needs a name"));
    }
    let (status, body) = app.with_ws(&ctx.ws, |w, ids| {
        if if_not_exists {
            let wanted = name.as_deref().unwrap_or_default();
            let found: Vec<&Database> = w
                .databases
                .values()
                .filter(|d| d.name.as_deref().is_some_and(|n| same_name(n, wanted)))
                .collect();
            match found.as_slice() {
                [d] => return Ok((200, created_json(w, d, false))),
                [] => {}
                _ => {
                    return Err(ApiError::conflict(format!(
                        "{} databases are named `{wanted}`",
                        found.len()
                    )));
                }
            }
        }
        let db = insert_database(w, ids, &template, name.clone(), None);
        Ok((201, created_json(w, &db, true)))
    })??;
    Ok(Reply::json(status, &body))
}

/// The databases that `search` and `batch` select, in listing order: newest first, or by ID within a batch.
fn selected(w: &Workspace, ctx: &Ctx) -> Vec<Database> {
    let search = ctx.q("search").filter(|s| !s.is_empty());
    let batch = ctx.q("batch");
    let mut out: Vec<Database> = w
        .databases
        .values()
        .filter(|d| search.is_none_or(|s| name_contains(d.name.as_deref(), s)))
        .filter(|d| batch.is_none_or(|b| d.batch_id.as_deref() == Some(b)))
        .cloned()
        .collect();
    if batch.is_none() {
        out.reverse();
    }
    out
}

/// `GET /v1/databases`: the cursor is the ID of the last database of the previous page.
pub(crate) fn list(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let limit = ctx.q_u64("limit")?.unwrap_or(100).clamp(1, 100) as usize;
    let cursor = ctx.q("cursor").filter(|c| !c.is_empty()).map(str::to_string);
    let by_id = ctx.q("batch").is_some();
    let (page, has_more) = app.read_ws(&ctx.ws, |w| {
        let all = selected(w, &ctx);
        let rest: Vec<&Database> = all
            .iter()
            .filter(|d| match &cursor {
                None => true,
                Some(c) if by_id => d.id.as_str() > c.as_str(),
                Some(c) => d.id.as_str() < c.as_str(),
            })
            .collect();
        let has_more = rest.len() > limit;
        let page: Vec<(String, Value)> = rest
            .into_iter()
            .take(limit)
            .map(|d| (d.id.clone(), summary_json(w, d)))
            .collect();
        (page, has_more)
    })?;
    let mut body = json!({
        "databases": page.iter().map(|(_, v)| v.clone()).collect::<Vec<_>>(),
        "count": page.len(),
        "has_more": has_more,
        "limit": limit,
    });
    if has_more && let Some((last, _)) = page.last() {
        body["next_cursor"] = json!(last);
    }
    Ok(Reply::json(200, &body))
}

/// `GET /v1/databases/count`.
pub(crate) fn count(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let total = app.read_ws(&ctx.ws, |w| selected(w, &ctx).len())?;
    Ok(Reply::json(200, &json!({ "total": total })))
}

/// `GET /v1/databases/by-name`.
pub(crate) fn lookup(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let name = ctx.q("name").unwrap_or_default().to_string();
    // Only an absent or empty name is malformed: a name of blanks is a name like any other
    // (matched exactly, so usually a 404).
    if name.is_empty() {
        return Err(ApiError::bad_request("name must not be empty"));
    }
    let body = app.read_ws(&ctx.ws, |w| {
        let found: Vec<&Database> = w
            .databases
            .values()
            .filter(|d| d.name.as_deref().is_some_and(|n| same_name(n, &name)))
            .collect();
        match found.as_slice() {
            [d] => Ok(detail_json(w, d)),
            [] => Err(ApiError::not_found(format!("no database is named `{name}`"))),
            _ => Err(ApiError::conflict(format!(
                "{} databases are named `{name}`; address them by ID",
                found.len()
            ))),
        }
    })??;
    Ok(Reply::json(200, &body))
}

/// `GET /v1/databases/{database_id}`.
pub(crate) fn get(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let id = ctx.p("database_id");
    let body = app
        .read_ws(&ctx.ws, |w| w.databases.get(id).map(|d| detail_json(w, d)))?
        .ok_or_else(|| missing("database", id))?;
    Ok(Reply::json(200, &body))
}

/// `DELETE /v1/databases/{database_id}`: drops the database and its `default` catalog; attached connections stay.
pub(crate) async fn delete(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let id = ctx.p("database_id").to_string();
    let d = app.with_ws(&ctx.ws, |w, _| {
        let d = w.databases.get(&id).cloned().ok_or_else(|| missing("database", &id))?;
        let expired = d
            .expires_at
            .as_deref()
            .and_then(|e| DateTime::parse_from_rfc3339(e).ok())
            .is_some_and(|t| t <= Utc::now());
        let holder = w
            .databases
            .values()
            .find(|o| o.id != id && o.attachments.iter().any(|(c, _)| c == &d.default_connection_id));
        if let Some(o) = holder
            && !expired
        {
            return Err(ApiError::conflict(format!(
                "database `{}` has this database's catalog attached; detach it there first",
                o.id
            )));
        }
        for o in w.databases.values_mut() {
            o.attachments.retain(|(c, _)| c != &d.default_connection_id);
        }
        w.databases.remove(&id);
        w.connections.remove(&d.default_connection_id);
        Ok(d)
    })??;
    app.remove_data_dir(&format!("tables/{}/{}", ctx.ws, d.default_connection_id))
        .await;
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
        // A connection, or another database's default connection (its whole default catalog).
        let owner = w.connections.get(&conn_id).map(|c| c.database_id.clone());
        match owner {
            None => return Err(missing("connection", &conn_id)),
            Some(Some(other)) if other == id => {
                return Err(ApiError::bad_request(
                    "a database's own default catalog is always attached",
                ));
            }
            Some(_) => {}
        }
        let conn_name = w
            .catalog_name(&conn_id)
            .ok_or_else(|| missing("connection", &conn_id))?;
        let names: Vec<String> = {
            let d = w.databases.get(&id).ok_or_else(|| missing("database", &id))?;
            let mut names: Vec<String> = d
                .attachments
                .iter()
                .map(|(c, a)| a.clone().unwrap_or_else(|| w.catalog_name(c).unwrap_or_default()))
                .collect();
            names.push(d.default_catalog.clone());
            names
        };
        let visible = alias.clone().unwrap_or(conn_name);
        if ["default", "hotdata", "information_schema"].contains(&visible.as_str()) {
            return Err(ApiError::bad_request(format!(
                "the catalog would answer to `{visible}`, which is reserved; give an alias"
            )));
        }
        let d = w.databases.get_mut(&id).ok_or_else(|| missing("database", &id))?;
        if d.attachments.iter().any(|(c, _)| c == &conn_id) {
            return Err(ApiError::conflict(format!(
                "connection `{conn_id}` is already attached"
            )));
        }
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

/// Checks and trims a fork's `description`: at most 4096 bytes, no control characters but line breaks and tabs.
fn fork_description(raw: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(d) = raw.map(str::trim).filter(|d| !d.is_empty()) else {
        return Ok(None);
    };
    if d.len() > 4096 {
        return Err(ApiError::bad_request("description is longer than 4096 bytes"));
    }
    if d.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(ApiError::bad_request("description holds control characters"));
    }
    Ok(Some(d.to_string()))
}

/// Links (or, across file systems, copies) a stored data file to a new place.
fn share_file(app: &App, from: &str, to: &str) -> Result<(), ApiError> {
    let src = app.dirs.abs(from);
    let dest = app.dirs.prepare(to).map_err(|e| ApiError::internal(e.to_string()))?;
    if std::fs::hard_link(&src, &dest).is_err() {
        std::fs::copy(&src, &dest).map_err(|e| ApiError::internal(e.to_string()))?;
    }
    Ok(())
}

/// `POST /v1/databases/{database_id}/fork`: a new database whose default catalog holds the source's tables as they
/// are now. Data files are hard-linked: loads never change a file in place, they add files or start a new
/// generation directory, so neither side sees the other's later writes.
///
/// The store is locked twice, briefly: once to read the source and pin its files (so no load retires them while
/// they are linked), once to record the fork. The linking (a copy across file systems) runs between the two, on
/// a blocking thread, so a large fork holds up no other request; if it fails, nothing is recorded and the linked
/// files are removed.
pub(crate) async fn fork(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let src_id = ctx.p("database_id").to_string();
    let description = fork_description(ctx.s("description"))?;
    let name = ctx
        .s("name")
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string);
    let expires_at = match ctx.s("expires_at").filter(|s| !s.is_empty()) {
        Some(s) => Some(parse_expiry(s)?),
        None => None,
    };
    let ws = ctx.ws.clone();
    let (src, src_conn, id, conn_id, pins) = app.with_ws(&ctx.ws, |w, ids| {
        let src = w
            .databases
            .get(&src_id)
            .cloned()
            .ok_or_else(|| missing("database", &src_id))?;
        let src_conn = w
            .connections
            .get(&src.default_connection_id)
            .cloned()
            .ok_or_else(|| missing("connection", &src.default_connection_id))?;
        let generations = src_conn
            .tables
            .values()
            .filter_map(|t| t.files.first())
            .filter_map(|f| app.dirs.abs(f).parent().map(std::path::Path::to_path_buf))
            .collect();
        let pins = app.pin_reads(generations);
        Ok::<_, ApiError>((src, src_conn, ids.id("db"), ids.id("conn"), pins))
    })??;

    // The fork's tables, with the paths their files are linked to.
    let mut tables = std::collections::BTreeMap::new();
    let mut links = Vec::new();
    for (key, t) in &src_conn.tables {
        let mut copy = t.clone();
        copy.files = Vec::new();
        for f in &t.files {
            let file_name = f.rsplit('/').next().unwrap_or("part-0000.parquet");
            let rel = format!(
                "tables/{ws}/{conn_id}/{}/{}/g{}/{file_name}",
                t.schema, t.table, t.generation
            );
            links.push((f.clone(), rel.clone()));
            copy.files.push(rel);
        }
        copy.indexes.retain(|_, i| i.status == "ready");
        tables.insert(key.clone(), copy);
    }
    let linker = app.clone();
    let linked =
        tokio::task::spawn_blocking(move || links.iter().try_for_each(|(from, to)| share_file(&linker, from, to)))
            .await
            .unwrap_or_else(|e| Err(ApiError::internal(format!("linking the fork's files stopped: {e}"))));
    drop(pins);
    let fork_dir = format!("tables/{ws}/{conn_id}");
    if let Err(e) = linked {
        app.remove_data_dir(&fork_dir).await;
        return Err(e);
    }

    let recorded = app.with_ws(&ctx.ws, |w, _| {
        let suffix = &id[id.len().saturating_sub(6)..];
        let name = name.unwrap_or_else(|| match src.name.as_deref().map(str::trim) {
            Some(n) if !n.is_empty() => format!("{n}-{suffix}"),
            _ => format!("fork-{suffix}"),
        });
        let expires_at = expires_at.or_else(|| {
            src.expires_at
                .clone()
                .filter(|e| DateTime::parse_from_rfc3339(e).is_ok_and(|t| t > Utc::now()))
        });
        let template = Template {
            expires_at,
            default_catalog: src.default_catalog.clone(),
            default_schema: src.default_schema.clone(),
            schemas: src_conn.schemas.iter().cloned().collect(),
            tables: Vec::new(),
        };
        let db = insert_database_with_id(w, id.clone(), conn_id.clone(), &template, Some(name), None);
        if let Some(c) = w.connections.get_mut(&conn_id) {
            c.tables = tables;
        }
        if let Some(d) = w.databases.get_mut(&id) {
            d.attachments = src.attachments.clone();
        }
        w.forks.push(ForkRecord {
            source_id: src.id.clone(),
            source_name: src.name.clone(),
            fork_id: id.clone(),
            description,
            forked_at: now(),
            snapshot_id: Utc::now().timestamp_micros(),
        });
        let db = w.databases.get(&id).cloned().unwrap_or(db);
        created_json(w, &db, true)
    });
    match recorded {
        Ok(body) => Ok(Reply::json(201, &body)),
        Err(e) => {
            // The workspace went away while the files were linked.
            app.remove_data_dir(&fork_dir).await;
            Err(e)
        }
    }
}

/// Longest ancestor chain one lineage answer lists.
const MAX_ANCESTORS: usize = 100;

/// `GET /v1/databases/{database_id}/lineage`.
pub(crate) fn lineage(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let id = ctx.p("database_id").to_string();
    let forks_limit = ctx.q_u64("forks_limit")?.unwrap_or(25).clamp(1, 100) as usize;
    let body = app.read_ws(&ctx.ws, |w| {
        if !w.databases.contains_key(&id) {
            return Err(missing("database", &id));
        }
        let label = |db: &str, recorded: &Option<String>| match w.databases.get(db) {
            Some(d) => opt(&d.name),
            None => opt(recorded),
        };
        let mut ancestors = Vec::new();
        let mut current = id.clone();
        let mut seen = std::collections::BTreeSet::from([id.clone()]);
        while let Some(r) = w.forks.iter().find(|r| r.fork_id == current) {
            ancestors.push(json!({
                "database_id": r.source_id, "exists": w.databases.contains_key(&r.source_id),
                "name": label(&r.source_id, &r.source_name), "description": opt(&r.description),
                "forked_at": r.forked_at, "snapshot_id": r.snapshot_id,
            }));
            current = r.source_id.clone();
            if !seen.insert(current.clone()) {
                break;
            }
        }
        let truncated = ancestors.len() > MAX_ANCESTORS;
        ancestors.truncate(MAX_ANCESTORS);
        let direct: Vec<&ForkRecord> = w.forks.iter().filter(|r| r.source_id == id).collect();
        let forks: Vec<Value> = direct
            .iter()
            .rev()
            .take(forks_limit)
            .map(|r| {
                json!({
                    "database_id": r.fork_id, "exists": w.databases.contains_key(&r.fork_id),
                    "name": w.databases.get(&r.fork_id).map_or(Value::Null, |d| opt(&d.name)),
                    "description": opt(&r.description), "forked_at": r.forked_at, "snapshot_id": r.snapshot_id,
                })
            })
            .collect();
        Ok(json!({
            "database_id": id, "root_id": current, "ancestors": ancestors, "ancestors_truncated": truncated,
            "forks": forks, "fork_count": direct.len(),
        }))
    })??;
    Ok(Reply::json(200, &body))
}

/// `DatabaseBatchResponse`.
fn batch_json(w: &Workspace, b: &Batch) -> Value {
    let created = w
        .databases
        .values()
        .filter(|d| d.batch_id.as_deref() == Some(b.id.as_str()))
        .count();
    json!({"batch_id": b.id, "cancel_requested": b.cancel_requested, "count": b.count, "created_count": created,
           "expires_at": opt(&b.expires_at), "job_id": opt(&b.job_id),
           "status_url": b.job_id.as_ref().map(|j| format!("/v1/jobs/{j}"))})
}

/// The label of database `index` of a batch: the template with `{index}` zero-padded to the width of the largest
/// index, plus the batch's suffix.
fn batch_label(template: &str, index: u64, count: u64, batch_id: &str) -> String {
    let width = count.saturating_sub(1).to_string().len();
    let suffix = &batch_id[batch_id.len().saturating_sub(6)..];
    format!("{}-{suffix}", template.replace("{index}", &format!("{index:0width$}")))
}

/// Databases a bulk-creation job makes per store update.
const BULK_CHUNK: u64 = 25;

/// `POST /v1/databases/bulk`: records the batch and fills it from a background job.
pub(crate) fn bulk_create(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let count = ctx.body.get("count").and_then(Value::as_u64).unwrap_or(0);
    if !(1..=10_000).contains(&count) {
        return Err(ApiError::bad_request("count must be between 1 and 10000"));
    }
    let name_template = ctx.s("name_template").map(str::to_string);
    if let Some(t) = &name_template
        && !t.contains("{index}")
    {
        return Err(ApiError::bad_request("name_template must contain `{index}`"));
    }
    let template = parse_template(&ctx.body, None)?;
    let idempotency_key = ctx.s("idempotency_key").map(str::to_string);
    let (batch_id, earlier) = app.with_ws(&ctx.ws, |w, ids| {
        if let Some(k) = &idempotency_key
            && let Some(b) = w.batches.values().find(|b| b.idempotency_key.as_ref() == Some(k))
        {
            return (b.id.clone(), Some(batch_json(w, b)));
        }
        let id = ids.id("dbb");
        w.batches.insert(
            id.clone(),
            Batch {
                id: id.clone(),
                count,
                expires_at: template.expires_at.clone(),
                job_id: None,
                cancel_requested: false,
                idempotency_key: idempotency_key.clone(),
            },
        );
        (id, None)
    })?;
    if let Some(body) = earlier {
        return Ok(Reply::json(202, &body));
    }
    let work = {
        let app = app.clone();
        let ws = ctx.ws.clone();
        let batch_id = batch_id.clone();
        async move {
            let mut made = 0u64;
            let mut cancelled = false;
            // A few databases per store update, so a large batch does not rewrite the state file per database.
            while made < count && !cancelled {
                let upto = (made + BULK_CHUNK).min(count);
                let created = app
                    .with_ws(&ws, |w, ids| {
                        let mut n = 0;
                        for index in made..upto {
                            if w.batches.get(&batch_id).is_none_or(|b| b.cancel_requested) {
                                break;
                            }
                            let id = ids.id("db");
                            let name = match &name_template {
                                Some(t) => batch_label(t, index, count, &batch_id),
                                None => id.clone(),
                            };
                            let conn_id = ids.id("conn");
                            insert_database_with_id(w, id, conn_id, &template, Some(name), Some(&batch_id));
                            n += 1;
                        }
                        n
                    })
                    .map_err(|e| e.message)?;
                cancelled = made + created < upto;
                made += created;
                tokio::task::yield_now().await;
            }
            Ok(json!({"batch_id": batch_id, "cancelled": cancelled, "created": made, "requested": count}))
        }
    };
    let job = super::jobs::submit(app, &ctx.ws, "bulk_create_databases", work)?;
    let job_id = job["id"].as_str().unwrap_or_default().to_string();
    let body = app.with_ws(&ctx.ws, |w, _| {
        let b = w.batches.get_mut(&batch_id)?;
        b.job_id = Some(job_id);
        let b = b.clone();
        Some(batch_json(w, &b))
    })?;
    let body = body.ok_or_else(|| missing("batch", &batch_id))?;
    Ok(Reply::json(202, &body))
}

/// `GET /v1/databases/bulk/{batch_id}`.
pub(crate) fn get_batch(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let id = ctx.p("batch_id");
    let body = app
        .read_ws(&ctx.ws, |w| w.batches.get(id).map(|b| batch_json(w, b)))?
        .ok_or_else(|| missing("batch", id))?;
    Ok(Reply::json(200, &body))
}

/// `DELETE /v1/databases/bulk/{batch_id}`: stops the filling job and removes the batch's databases, unless one of
/// them holds loaded data.
pub(crate) async fn delete_batch(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let id = ctx.p("batch_id").to_string();
    let removed = app.with_ws(&ctx.ws, |w, _| {
        if !w.batches.contains_key(&id) {
            return Err(missing("batch", &id));
        }
        let members: Vec<Database> = w
            .databases
            .values()
            .filter(|d| d.batch_id.as_deref() == Some(id.as_str()))
            .cloned()
            .collect();
        let loaded = members.iter().find(|d| {
            w.connections
                .get(&d.default_connection_id)
                .is_some_and(|c| c.tables.values().any(|t| !t.files.is_empty()))
        });
        if let Some(d) = loaded {
            return Err(ApiError::conflict(format!(
                "database `{}` of the batch holds loaded data; delete the batch's databases one by one",
                d.id
            )));
        }
        for d in &members {
            w.databases.remove(&d.id);
            w.connections.remove(&d.default_connection_id);
        }
        w.batches.remove(&id);
        Ok(members)
    })??;
    for d in &removed {
        app.remove_data_dir(&format!("tables/{}/{}", ctx.ws, d.default_connection_id))
            .await;
    }
    Ok(Reply::json(
        200,
        &json!({"batch_id": id, "deleted_count": removed.len()}),
    ))
}

/// The default connection of database `id`.
fn default_connection(app: &App, ctx: &Ctx) -> Result<String, ApiError> {
    let id = ctx.p("database_id");
    app.read_ws(&ctx.ws, |w| {
        w.databases.get(id).map(|d| d.default_connection_id.clone())
    })?
    .ok_or_else(|| missing("database", id))
}

/// `POST /v1/databases/{database_id}/schemas`.
pub(crate) fn add_schema(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let conn = default_connection(app, &ctx)?;
    super::managed::add_schema(app, &ctx, &conn)
}

/// `POST /v1/databases/{database_id}/schemas/{schema}/tables`.
pub(crate) fn add_table(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let conn = default_connection(app, &ctx)?;
    let schema = ctx.p("schema").to_string();
    super::managed::add_table(app, &ctx, &conn, &schema)
}

/// `POST /v1/databases/{database_id}/schemas/{schema}/tables/{table}/loads`.
pub(crate) async fn load_table(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let conn = default_connection(app, &ctx)?;
    let (schema, table) = (ctx.p("schema").to_string(), ctx.p("table").to_string());
    super::managed::load(app, &ctx, &conn, &schema, &table).await
}

/// `PUT /v1/databases/{database_id}/schemas/{schema}/tables/{table}/constant-per-key`.
pub(crate) fn set_constant_per_key(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let conn = default_connection(app, &ctx)?;
    let (schema, table) = (ctx.p("schema").to_string(), ctx.p("table").to_string());
    super::managed::set_constant_per_key(app, &ctx, &conn, &schema, &table)
}

#[cfg(test)]
mod tests {
    use super::{batch_label, fork_description, same_name};

    #[test]
    fn batch_labels_pad_to_the_largest_index() {
        assert_eq!(batch_label("t-{index}", 0, 100, "dbb_0000abcdef"), "t-00-abcdef");
        assert_eq!(batch_label("t-{index}", 99, 100, "dbb_0000abcdef"), "t-99-abcdef");
        assert_eq!(batch_label("{index}", 7, 1, "dbb_x"), "7-dbb_x");
    }

    #[test]
    fn fork_descriptions_are_trimmed_and_checked() {
        assert_eq!(fork_description(Some("  why \n ")).unwrap(), Some("why".into()));
        assert_eq!(fork_description(Some("   ")).unwrap(), None);
        assert_eq!(fork_description(Some("a\tb\nc")).unwrap(), Some("a\tb\nc".into()));
        assert!(fork_description(Some("bell\u{7}")).is_err());
        assert!(fork_description(Some(&"x".repeat(4097))).is_err());
    }

    #[test]
    fn names_match_ignoring_ascii_case_and_outer_space() {
        assert!(same_name(" Sales ", "sales"));
        assert!(!same_name("Café", "CAFÉ"));
        assert!(!same_name("sales", "sale"));
    }
}
