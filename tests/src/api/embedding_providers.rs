//! `embedding_providers`: services or local models that compute embeddings (metadata only here).

use std::sync::Arc;

use serde_json::{Value, json};

use super::missing;
use crate::app::{App, Ctx};
use crate::reply::{ApiError, ApiResult, Reply};
use crate::state::{EmbeddingProvider, Secret, now};

fn provider_json(p: &EmbeddingProvider) -> Value {
    json!({"id": p.id, "name": p.name, "provider_type": p.provider_type, "config": p.config,
           "has_secret": p.secret_name.is_some(), "source": p.source, "created_at": p.created_at,
           "updated_at": p.updated_at})
}

/// `POST /v1/embedding-providers`.
pub(crate) fn create(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let name = ctx.required("name")?.to_string();
    let provider_type = ctx.required("provider_type")?.to_string();
    let api_key = ctx.s("api_key").map(str::to_string);
    let secret_name = ctx.s("secret_name").map(str::to_string);
    if api_key.is_some() && secret_name.is_some() {
        return Err(ApiError::bad_request("give either api_key or secret_name, not both"));
    }
    let config = ctx.body.get("config").cloned().unwrap_or(Value::Null);
    let p = app.with_ws(&ctx.ws, |w, ids| {
        if w.embedding_providers.values().any(|p| p.name == name) {
            return Err(ApiError::conflict(format!(
                "an embedding provider named `{name}` already exists"
            )));
        }
        if let Some(s) = &secret_name
            && !w.secrets.contains_key(s)
        {
            return Err(ApiError::bad_request(format!("secret `{s}` does not exist")));
        }
        let at = now();
        let secret = match api_key {
            Some(key) => {
                let sname = format!("embedding_{name}_api_key");
                w.secrets.insert(
                    sname.clone(),
                    Secret {
                        id: ids.id("secr"),
                        name: sname.clone(),
                        value: key,
                        created_at: at.clone(),
                        updated_at: at.clone(),
                    },
                );
                Some(sname)
            }
            None => secret_name,
        };
        let p = EmbeddingProvider {
            id: ids.id("emb"),
            name,
            provider_type,
            config,
            secret_name: secret,
            source: "user".into(),
            created_at: at.clone(),
            updated_at: at,
        };
        w.embedding_providers.insert(p.id.clone(), p.clone());
        Ok(p)
    })??;
    Ok(Reply::json(
        201,
        &json!({"id": p.id, "name": p.name, "provider_type": p.provider_type, "config": p.config,
                "created_at": p.created_at}),
    ))
}

/// `GET /v1/embedding-providers`.
pub(crate) fn list(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let list = app.read_ws(&ctx.ws, |w| {
        w.embedding_providers.values().map(provider_json).collect::<Vec<_>>()
    })?;
    Ok(Reply::json(200, &json!({"embedding_providers": list})))
}

/// `GET /v1/embedding-providers/{id}`.
pub(crate) fn get(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let id = ctx.p("id");
    let p = app
        .read_ws(&ctx.ws, |w| w.embedding_providers.get(id).cloned())?
        .ok_or_else(|| missing("embedding provider", id))?;
    Ok(Reply::json(200, &provider_json(&p)))
}

/// `PUT /v1/embedding-providers/{id}`.
pub(crate) fn update(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let id = ctx.p("id").to_string();
    let body = ctx.body.clone();
    let p = app
        .with_ws(&ctx.ws, |w, ids| {
            let at = now();
            let mut new_secret = None;
            if let Some(key) = body.get("api_key").and_then(Value::as_str) {
                let name = w.embedding_providers.get(&id)?.name.clone();
                let sname = format!("embedding_{name}_api_key");
                let entry = w.secrets.entry(sname.clone()).or_insert_with(|| Secret {
                    id: ids.id("secr"),
                    name: sname.clone(),
                    value: String::new(),
                    created_at: at.clone(),
                    updated_at: at.clone(),
                });
                entry.value = key.to_string();
                entry.updated_at = at.clone();
                new_secret = Some(sname);
            }
            let p = w.embedding_providers.get_mut(&id)?;
            if let Some(n) = body.get("name").and_then(Value::as_str) {
                p.name = n.to_string();
            }
            if let Some(c) = body.get("config") {
                p.config = c.clone();
            }
            match body.get("secret_name") {
                Some(Value::Null) => p.secret_name = None,
                Some(Value::String(s)) => p.secret_name = Some(s.clone()),
                _ => {}
            }
            if new_secret.is_some() {
                p.secret_name = new_secret;
            }
            p.updated_at = at;
            Some(p.clone())
        })?
        .ok_or_else(|| missing("embedding provider", &id))?;
    Ok(Reply::json(
        200,
        &json!({"id": p.id, "name": p.name, "updated_at": p.updated_at}),
    ))
}

/// `DELETE /v1/embedding-providers/{id}`.
pub(crate) fn delete(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let id = ctx.p("id").to_string();
    app.with_ws(&ctx.ws, |w, _| w.embedding_providers.remove(&id))?
        .ok_or_else(|| missing("embedding provider", &id))?;
    Ok(Reply::no_content())
}
