//! `uploads` of the October 2026 contract: presigned upload sessions. Opening a session plans the transfer and
//! hands out signed URLs of the server's own storage endpoint (`/_storage/...`, see [`crate::storage`]); the
//! bytes go there, and a finalize with the session's one-time token checks the parts and assembles the file into
//! an ordinary upload, which loads and datasets consume like one from `POST /v1/files`.

use std::sync::Arc;

use serde_json::{Map, Value, json};
use sha2::Digest as _;
use tokio::io::AsyncWriteExt as _;

use crate::app::{App, Ctx, IdGen};
use crate::config::UploadSessions;
use crate::presign::{STORAGE_PREFIX, encode_segment, hex, now_millis, random_bytes, same};
use crate::reply::{ApiError, ApiResult, Reply};
use crate::state::{StoredPart, Upload, UploadSession, Workspace, now, sha256_hex};

/// The header carrying the finalize token.
const TOKEN_HEADER: &str = "x-upload-finalize-token";

fn unsupported() -> ApiError {
    ApiError::new(
        501,
        "PRESIGN_UNSUPPORTED",
        "this server hands out no presigned upload URLs; send the data inline instead",
    )
}

/// What one `CreateUploadRequest` asks for, checked and fitted to the limits.
#[derive(Debug)]
struct Plan {
    mode: &'static str,
    declared: Option<u64>,
    part_size: Option<u64>,
    content_type: Option<String>,
    content_encoding: Option<String>,
    filename: Option<String>,
    sha256: Option<String>,
}

fn field_u64(entry: &Value, name: &str, at: &str) -> Result<Option<u64>, ApiError> {
    match entry.get(name) {
        None | Some(Value::Null) => Ok(None),
        // JSON Schema's `integer` admits `5.0`, so an integral float is the same number.
        Some(v) => v
            .as_u64()
            .or_else(|| {
                v.as_f64()
                    .filter(|f| f.fract() == 0.0 && (0.0..=u64::MAX as f64).contains(f))
                    .map(|f| f as u64)
            })
            .map(Some)
            .ok_or_else(|| ApiError::bad_request(format!("{at}`{name}` must be a non-negative integer"))),
    }
}

fn field_str(entry: &Value, name: &str) -> Option<String> {
    entry.get(name).and_then(Value::as_str).map(str::to_string)
}

/// Decodes standard base64 (with or without padding).
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0u32;
    for c in s.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// The declared SHA-256 as lowercase hex; accepts hex or base64 (as S3's checksum headers use).
fn parse_sha256(value: &str, at: &str) -> Result<String, ApiError> {
    let v = value.trim();
    if v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(v.to_ascii_lowercase());
    }
    match base64_decode(v) {
        Some(bytes) if bytes.len() == 32 => Ok(hex(&bytes)),
        _ => Err(ApiError::bad_request(format!(
            "{at}`checksum_value` must be a SHA-256 digest in hex (64 digits) or base64"
        ))),
    }
}

/// A part size within the configured range and part-count limit for a file of `size` bytes (if known).
fn fit_part_size(cfg: &UploadSessions, hint: Option<u64>, size: Option<u64>) -> u64 {
    let lo = cfg.min_part_size.max(1);
    let hi = cfg.max_part_size.max(lo);
    let mut ps = hint.filter(|h| *h > 0).unwrap_or(cfg.part_size).clamp(lo, hi);
    if let Some(size) = size {
        let needed = size.div_ceil(u64::from(cfg.max_parts.max(1)));
        if ps < needed {
            ps = needed.min(hi);
        }
    }
    ps
}

fn plan(cfg: &UploadSessions, entry: &Value, at: &str) -> Result<Plan, ApiError> {
    let declared = field_u64(entry, "declared_size_bytes", at)?;
    let hint = field_u64(entry, "part_size", at)?;
    if declared == Some(0) {
        return Err(ApiError::bad_request(format!(
            "{at}`declared_size_bytes` must be at least 1: an upload cannot be empty"
        )));
    }
    if let Some(d) = declared
        && d > cfg.max_file_bytes
    {
        return Err(ApiError::new(
            400,
            "upload_too_large",
            format!(
                "{at}the file of {d} bytes exceeds the limit of {} bytes",
                cfg.max_file_bytes
            ),
        ));
    }
    let algo = field_str(entry, "checksum_algo");
    let value = field_str(entry, "checksum_value");
    let sha256 = match (algo.as_deref(), value.as_deref()) {
        (None, None) => None,
        (Some("sha256"), Some(v)) => Some(parse_sha256(v, at)?),
        (Some(other), Some(_)) => {
            return Err(ApiError::bad_request(format!(
                "{at}checksum algorithm `{other}` is not supported; use `sha256`"
            )));
        }
        _ => {
            return Err(ApiError::bad_request(format!(
                "{at}`checksum_algo` and `checksum_value` go together"
            )));
        }
    };
    let (mode, part_size) = match declared {
        Some(d) if d <= cfg.single_put_max_bytes => ("single", None),
        _ => {
            let ps = fit_part_size(cfg, hint, declared);
            if let Some(d) = declared
                && d.div_ceil(ps) > u64::from(cfg.max_parts)
            {
                return Err(ApiError::new(
                    400,
                    "upload_too_large",
                    format!(
                        "{at}the file of {d} bytes needs more than {} parts of at most {ps} bytes",
                        cfg.max_parts
                    ),
                ));
            }
            ("multipart", Some(ps))
        }
    };
    Ok(Plan {
        mode,
        declared,
        part_size,
        content_type: field_str(entry, "content_type"),
        content_encoding: field_str(entry, "content_encoding"),
        filename: field_str(entry, "filename"),
        sha256,
    })
}

/// A presigned storage URL for one part of an upload, valid for the configured time from now.
pub(crate) fn part_url(app: &App, ws: &str, upload_id: &str, part: u64) -> String {
    let path = format!(
        "{STORAGE_PREFIX}{}/{}/{part}",
        encode_segment(ws),
        encode_segment(upload_id)
    );
    let ttl = u64::try_from(app.config.uploads.url_ttl.as_millis()).unwrap_or(u64::MAX);
    let expires = now_millis().saturating_add(ttl);
    format!("{}{}", app.base_url, app.signer.sign("PUT", &path, expires))
}

/// Records a session for `plan` and returns its `UploadSessionResponse`.
fn open(app: &App, ws: &str, w: &mut Workspace, ids: &mut IdGen<'_>, plan: Plan) -> Value {
    let id = ids.id("upl");
    let token = format!("uft_{}", hex(&random_bytes()));
    let session = UploadSession {
        id: id.clone(),
        mode: plan.mode.to_string(),
        declared_size: plan.declared,
        part_size: plan.part_size,
        content_type: plan.content_type,
        content_encoding: plan.content_encoding,
        filename: plan.filename,
        sha256: plan.sha256,
        token_hash: sha256_hex(&token),
        created_at: now(),
        state: "open".into(),
        parts: Default::default(),
    };
    let mut out = Map::new();
    out.insert("upload_id".into(), json!(id));
    out.insert("mode".into(), json!(plan.mode));
    out.insert("headers".into(), json!({}));
    out.insert("finalize_token".into(), json!(token));
    if plan.mode == "single" {
        out.insert("url".into(), json!(part_url(app, ws, &id, 1)));
    } else {
        out.insert("part_size".into(), json!(plan.part_size));
        if let Some(n) = session.part_count() {
            let urls: Vec<String> = (1..=n).map(|p| part_url(app, ws, &id, p)).collect();
            out.insert("part_urls".into(), json!(urls));
        }
    }
    w.upload_sessions.insert(id, session);
    Value::Object(out)
}

/// `POST /v1/uploads`.
pub(crate) fn create(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    if !app.config.uploads.enabled {
        return Err(unsupported());
    }
    let plan = plan(&app.config.uploads, &ctx.body, "")?;
    let session = app.with_ws(&ctx.ws, |w, ids| open(app, &ctx.ws, w, ids, plan))?;
    Ok(Reply::json(201, &session))
}

/// `POST /v1/uploads/batch`: every entry is planned before any session opens, so one refusal opens none.
pub(crate) fn create_batch(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    if !app.config.uploads.enabled {
        return Err(unsupported());
    }
    let entries = ctx
        .body
        .get("uploads")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::bad_request("field `uploads` is required and must be an array"))?;
    let plans = entries
        .iter()
        .enumerate()
        .map(|(i, e)| plan(&app.config.uploads, e, &format!("uploads[{i}]: ")))
        .collect::<Result<Vec<_>, _>>()?;
    let sessions = app.with_ws(&ctx.ws, |w, ids| {
        plans
            .into_iter()
            .map(|p| open(app, &ctx.ws, w, ids, p))
            .collect::<Vec<_>>()
    })?;
    Ok(Reply::json(201, &json!({"uploads": sessions})))
}

/// Checks the `X-Upload-Finalize-Token` header against the session.
fn check_token(ctx: &Ctx, session: &UploadSession) -> Result<(), ApiError> {
    let given = ctx.header(TOKEN_HEADER).unwrap_or_default();
    if same(sha256_hex(given).as_bytes(), session.token_hash.as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::new(
            403,
            "forbidden",
            format!("the finalize token does not belong to upload `{}`", session.id),
        ))
    }
}

fn session_of(app: &App, ctx: &Ctx) -> Result<UploadSession, ApiError> {
    let id = ctx.p("upload_id");
    app.read_ws(&ctx.ws, |w| w.upload_sessions.get(id).cloned())?
        .ok_or_else(|| super::missing("upload session", id))
}

/// `POST /v1/uploads/{upload_id}/parts`.
pub(crate) fn mint(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    if !app.config.uploads.enabled {
        return Err(unsupported());
    }
    let session = session_of(app, &ctx)?;
    check_token(&ctx, &session)?;
    if session.state != "open" {
        return Err(ApiError::new(
            400,
            "upload_finalized",
            format!("upload `{}` is already finalized; its parts cannot change", session.id),
        ));
    }
    let mut numbers = ctx
        .body
        .get("part_numbers")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|v| v.as_u64().unwrap_or(0)).collect::<Vec<_>>())
        .unwrap_or_default();
    numbers.sort_unstable();
    numbers.dedup();
    if numbers.is_empty() || numbers[0] == 0 {
        return Err(ApiError::bad_request(
            "`part_numbers` must list at least one part number, counting from 1",
        ));
    }
    let limit = session.part_count().unwrap_or(u64::from(app.config.uploads.max_parts));
    if let Some(n) = numbers.iter().find(|n| **n > limit) {
        let what = if session.mode == "single" {
            "a single-PUT upload has only part 1".to_string()
        } else {
            format!("this upload has parts 1 to {limit}")
        };
        return Err(ApiError::bad_request(format!("part {n} does not exist: {what}")));
    }
    let parts: Vec<Value> = numbers
        .iter()
        .map(|n| json!({"part_number": n, "url": part_url(app, &ctx.ws, &session.id, *n)}))
        .collect();
    Ok(Reply::json(200, &json!({"parts": parts})))
}

fn invalid_parts(message: impl Into<String>) -> ApiError {
    ApiError::new(400, "invalid_parts", message)
}

/// Strips the quotes and weak marker around an `ETag` value.
fn bare_etag(s: &str) -> String {
    s.trim().trim_start_matches("W/").trim_matches('"').to_ascii_lowercase()
}

/// The stored parts a finalize assembles, in order, after checking the request's list against them.
fn parts_to_assemble(
    cfg: &UploadSessions,
    session: &UploadSession,
    listed: Option<&Vec<Value>>,
) -> Result<Vec<StoredPart>, ApiError> {
    let listed: Vec<(u64, String)> = listed
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p.get("part_number").and_then(Value::as_u64).unwrap_or(0),
                p.get("e_tag").and_then(Value::as_str).unwrap_or_default().to_string(),
            )
        })
        .collect();
    if listed.is_empty() && session.mode == "multipart" {
        return Err(invalid_parts(
            "a multipart upload is finalized with `parts`, every part number with its ETag",
        ));
    }
    let mut out = Vec::new();
    if listed.is_empty() {
        let part = session.parts.get(&1).ok_or_else(|| {
            invalid_parts(format!(
                "nothing was stored for upload `{}`: PUT the file to the session's URL first",
                session.id
            ))
        })?;
        out.push(part.clone());
    } else {
        for (i, (number, etag)) in listed.iter().enumerate() {
            if *number != i as u64 + 1 {
                return Err(invalid_parts(
                    "`parts` must list the part numbers in ascending order from 1, without gaps or repeats",
                ));
            }
            let part = session.parts.get(&(*number as u32)).ok_or_else(|| {
                invalid_parts(format!(
                    "part {number} was not uploaded (or was replaced and not yet resent)"
                ))
            })?;
            if bare_etag(etag) != bare_etag(&part.etag) {
                return Err(invalid_parts(format!(
                    "the ETag given for part {number} does not match the stored part ({})",
                    part.etag
                )));
            }
            out.push(part.clone());
        }
    }
    if let Some(count) = session.part_count()
        && out.len() as u64 != count
    {
        return Err(invalid_parts(format!(
            "upload `{}` has {count} part(s), but {} were listed",
            session.id,
            out.len()
        )));
    }
    if let Some(ps) = session.part_size {
        let last = out.len().saturating_sub(1);
        if let Some((i, p)) = out.iter().enumerate().find(|(i, p)| *i < last && p.size != ps) {
            return Err(invalid_parts(format!(
                "part {} holds {} bytes, but every part but the last must hold exactly {ps}",
                i + 1,
                p.size
            )));
        }
        if let Some(p) = out.last()
            && p.size > ps
        {
            return Err(invalid_parts(format!(
                "the last part holds {} bytes, more than the part size {ps}",
                p.size
            )));
        }
    }
    let total: u64 = out.iter().map(|p| p.size).sum();
    match session.declared_size {
        Some(d) if d != total => {
            return Err(ApiError::new(
                400,
                "size_mismatch",
                format!("the stored file holds {total} bytes, but {d} were declared"),
            ));
        }
        _ if total == 0 => return Err(ApiError::new(400, "size_mismatch", "the stored file is empty")),
        _ if total > cfg.max_file_bytes => {
            return Err(ApiError::new(
                400,
                "upload_too_large",
                format!(
                    "the file of {total} bytes exceeds the limit of {} bytes",
                    cfg.max_file_bytes
                ),
            ));
        }
        _ => {}
    }
    Ok(out)
}

/// Concatenates `parts` into `dest`, streaming; returns the hex SHA-256 of the whole.
async fn assemble(app: &App, parts: &[StoredPart], dest: &std::path::Path) -> std::io::Result<String> {
    let mut out = crate::state::private_file_async().open(dest).await?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    for p in parts {
        let mut f = tokio::fs::File::open(app.dirs.abs(&p.file)).await?;
        loop {
            let n = tokio::io::AsyncReadExt::read(&mut f, &mut buf).await?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n]).await?;
        }
    }
    out.flush().await?;
    Ok(hex(&hasher.finalize()))
}

/// `POST /v1/uploads/{upload_id}/finalize`.
pub(crate) async fn finalize(app: &Arc<App>, ctx: Ctx) -> ApiResult {
    let id = ctx.p("upload_id").to_string();
    let ws = ctx.ws.clone();
    let cfg = app.config.uploads.clone();
    // Check everything and mark the session `finalizing` in one step, so concurrent finalizes and part PUTs
    // cannot interleave with the assembly.
    let (session, parts) = app.with_ws(&ws, |w, _| {
        let s = w
            .upload_sessions
            .get_mut(&id)
            .ok_or_else(|| super::missing("upload session", &id))?;
        check_token(&ctx, s)?;
        match s.state.as_str() {
            "finalized" => {
                return Err(ApiError::new(
                    400,
                    "upload_already_finalized",
                    format!("upload `{id}` was already finalized; a finalize happens once"),
                ));
            }
            "finalizing" => {
                return Err(ApiError::new(
                    400,
                    "upload_finalize_in_progress",
                    format!("another finalize of upload `{id}` is in progress"),
                ));
            }
            _ => {}
        }
        let parts = parts_to_assemble(&cfg, s, ctx.body.get("parts").and_then(Value::as_array))?;
        s.state = "finalizing".into();
        Ok((s.clone(), parts))
    })??;
    let reopen = |app: &App| {
        let _ = app.with_ws(&ws, |w, _| {
            if let Some(s) = w.upload_sessions.get_mut(&id) {
                s.state = "open".into();
            }
        });
    };
    let rel = format!("uploads/{ws}/{id}");
    let outcome: Result<(), ApiError> = async {
        let dest = app.dirs.prepare(&rel).map_err(|e| ApiError::internal(e.to_string()))?;
        let digest = if let [only] = parts.as_slice() {
            only.sha256.clone()
        } else {
            let staging = dest.with_extension("assembling");
            let digest = assemble(app, &parts, &staging).await;
            let digest = match digest {
                Ok(d) => d,
                Err(e) => {
                    let _ = tokio::fs::remove_file(&staging).await;
                    return Err(ApiError::internal(format!("cannot assemble the upload: {e}")));
                }
            };
            if session.sha256.as_ref().is_some_and(|want| *want != digest) {
                let _ = tokio::fs::remove_file(&staging).await;
            } else {
                tokio::fs::rename(&staging, &dest)
                    .await
                    .map_err(|e| ApiError::internal(e.to_string()))?;
            }
            digest
        };
        if let Some(want) = &session.sha256
            && *want != digest
        {
            return Err(ApiError::new(
                400,
                "checksum_mismatch",
                format!("the stored file has SHA-256 {digest}, not the declared {want}"),
            ));
        }
        if let [only] = parts.as_slice() {
            tokio::fs::rename(app.dirs.abs(&only.file), &dest)
                .await
                .map_err(|e| ApiError::internal(e.to_string()))?;
        }
        Ok(())
    }
    .await;
    if let Err(e) = outcome {
        reopen(app);
        return Err(e);
    }
    let size: u64 = parts.iter().map(|p| p.size).sum();
    let created_at = session.created_at.clone();
    let upload = Upload {
        id: id.clone(),
        size_bytes: size,
        content_type: session.content_type.clone(),
        status: "pending".into(),
        created_at: created_at.clone(),
        file: rel,
    };
    app.with_ws(&ws, |w, _| {
        if let Some(s) = w.upload_sessions.get_mut(&id) {
            s.state = "finalized".into();
            s.parts.clear();
        }
        w.uploads.insert(id.clone(), upload);
    })?;
    let _ = tokio::fs::remove_dir_all(app.dirs.abs(&format!("uploads/{ws}/{id}.parts"))).await;
    Ok(Reply::json(
        200,
        &json!({"upload_id": id, "size_bytes": size, "status": "ready",
                "content_type": session.content_type, "created_at": created_at}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_sizes_are_fitted_to_the_limits() {
        let cfg = UploadSessions::default();
        let mib = 1024 * 1024;
        assert_eq!(fit_part_size(&cfg, None, Some(100 * mib)), 16 * mib);
        assert_eq!(fit_part_size(&cfg, Some(1), Some(100 * mib)), 5 * mib);
        assert_eq!(fit_part_size(&cfg, Some(u64::MAX), None), 5 * 1024 * mib);
        // 100,000 MiB in at most 10,000 parts needs parts of 10 MiB, whatever the hint.
        assert_eq!(fit_part_size(&cfg, Some(5 * mib), Some(100_000 * mib)), 10 * mib);
    }

    #[test]
    fn plans_follow_the_declared_size() {
        let cfg = UploadSessions {
            single_put_max_bytes: 100,
            min_part_size: 10,
            part_size: 40,
            ..Default::default()
        };
        let p = plan(&cfg, &json!({"declared_size_bytes": 100}), "").unwrap();
        assert_eq!((p.mode, p.part_size), ("single", None));
        let p = plan(&cfg, &json!({"declared_size_bytes": 101}), "").unwrap();
        assert_eq!((p.mode, p.part_size), ("multipart", Some(40)));
        let p = plan(&cfg, &json!({}), "").unwrap();
        assert_eq!((p.mode, p.declared), ("multipart", None));
        assert!(plan(&cfg, &json!({"declared_size_bytes": 0}), "").is_err());
        assert!(plan(&cfg, &json!({"checksum_algo": "sha256"}), "").is_err());
        let digest = "ab".repeat(32);
        let p = plan(
            &cfg,
            &json!({"checksum_algo": "sha256", "checksum_value": digest.to_uppercase()}),
            "",
        )
        .unwrap();
        assert_eq!(p.sha256.as_deref(), Some(digest.as_str()));
    }

    #[test]
    fn base64_digests_are_accepted() {
        // SHA-256 of the empty string, in base64 and hex.
        let b64 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
        assert_eq!(
            parse_sha256(b64, "").unwrap(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert!(parse_sha256("nope", "").is_err());
    }
}
