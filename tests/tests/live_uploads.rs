//! Presigned upload sessions of the October 2026 contract, over HTTP: open a session, PUT the bytes to the
//! server's own storage endpoint (no API credentials, the URL's signature is the authorization), finalize with the
//! one-time token, then load the upload like one from the seed-era `POST /v1/files`.

mod support;

use std::time::Duration;

use hotdata_local::fixtures::numbered_csv as csv;
use hotdata_local::{Config, UploadSessions};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Digest as _;
use support::{Local, json_of, parquet_from_sql};

/// Small limits so a few hundred bytes make a multipart upload. These flows query connections and datasets
/// without a database, as the seed era allows.
fn small_parts(url_ttl: Duration) -> Config {
    Config {
        uploads: hotdata_local::fixtures::small_upload_parts(url_ttl),
        contract: hotdata_local::Contract::Seed2026_05,
        ..Default::default()
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A bare storage `PUT`, as a client must send it: no bearer, no workspace header.
async fn put(local: &Local, url: &str, bytes: Vec<u8>) -> reqwest::Response {
    local.http.put(url).body(bytes).send().await.expect("storage PUT")
}

/// PUTs and returns the ETag, asserting success.
async fn put_ok(local: &Local, url: &str, bytes: Vec<u8>) -> String {
    let resp = put(local, url, bytes).await;
    assert_eq!(resp.status().as_u16(), 200, "{}", resp.text().await.unwrap_or_default());
    resp.headers()["etag"].to_str().unwrap().to_string()
}

async fn open(local: &Local, body: Value) -> Value {
    let (status, v) = local.post_json("/v1/uploads", body).await;
    assert_eq!(status, 201, "{v}");
    v
}

async fn finalize(local: &Local, session: &Value, body: Option<Value>) -> (u16, Value) {
    finalize_with(
        local,
        session["upload_id"].as_str().unwrap(),
        session["finalize_token"].as_str().unwrap(),
        body,
    )
    .await
}

async fn finalize_with(local: &Local, id: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = local
        .req(Method::POST, &format!("/v1/uploads/{id}/finalize"))
        .header("X-Upload-Finalize-Token", token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    json_of(req.send().await.expect("finalize")).await
}

async fn mint(local: &Local, session: &Value, parts: &[u64]) -> (u16, Value) {
    let id = session["upload_id"].as_str().unwrap();
    let req = local
        .req(Method::POST, &format!("/v1/uploads/{id}/parts"))
        .header("X-Upload-Finalize-Token", session["finalize_token"].as_str().unwrap())
        .json(&json!({"part_numbers": parts}));
    json_of(req.send().await.expect("mint")).await
}

fn parts_body(etags: &[String]) -> Value {
    let parts: Vec<Value> = etags
        .iter()
        .enumerate()
        .map(|(i, e)| json!({"part_number": i + 1, "e_tag": e}))
        .collect();
    json!({ "parts": parts })
}

async fn managed_connection(local: &Local, name: &str) -> String {
    let (status, c) = local
        .post_json(
            "/v1/connections",
            json!({"name": name, "source_type": "managed", "config": {}}),
        )
        .await;
    assert_eq!(status, 201, "{c}");
    c["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_single_put_upload_is_finalized_loaded_and_queried() {
    let local = Local::start().await;
    let parquet = parquet_from_sql(
        &local,
        "SELECT * FROM (VALUES (1, 'apple'), (2, 'pear'), (3, 'plum')) AS t(id, name)",
    )
    .await;
    let session = open(
        &local,
        json!({"declared_size_bytes": parquet.len(), "content_type": "application/vnd.apache.parquet",
               "filename": "fruit.parquet", "checksum_algo": "sha256", "checksum_value": sha256_hex(&parquet)}),
    )
    .await;
    assert_eq!(session["mode"], "single");
    assert_eq!(session["headers"], json!({}));
    assert!(session.get("part_urls").is_none() && session.get("part_size").is_none());
    let url = session["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/_storage/", local.server.base_url())),
        "{url}"
    );

    // A single-PUT session has one part; its URL can be minted again.
    let (status, v) = mint(&local, &session, &[2]).await;
    assert_eq!(status, 400, "{v}");
    let (status, minted) = mint(&local, &session, &[1]).await;
    assert_eq!(status, 200, "{minted}");
    assert_eq!(minted["parts"][0]["part_number"], 1);
    let url = minted["parts"][0]["url"].as_str().unwrap();

    let etag = put_ok(&local, url, parquet.clone()).await;
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && etag.len() == 34,
        "{etag}"
    );
    let id = session["upload_id"].as_str().unwrap();
    let (status, done) = finalize(&local, &session, None).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["upload_id"], id);
    assert_eq!(done["size_bytes"], parquet.len());
    assert_eq!(done["status"], "ready");
    assert_eq!(done["content_type"], "application/vnd.apache.parquet");

    // The finalized upload shares the seed-era upload records.
    let (_, files) = local.get_json("/v1/files?status=pending").await;
    assert!(
        files["uploads"].as_array().unwrap().iter().any(|u| u["id"] == id),
        "{files}"
    );

    let conn = managed_connection(&local, "shop").await;
    let (status, load) = local
        .post_json(
            &format!("/v1/connections/{conn}/schemas/public/tables/fruit/loads"),
            json!({"upload_id": id, "mode": "replace"}),
        )
        .await;
    assert_eq!(status, 200, "{load}");
    assert_eq!(load["row_count"], 3);
    let q = local.sql("SELECT id, name FROM shop.public.fruit ORDER BY id").await;
    assert_eq!(q["rows"], json!([[1, "apple"], [2, "pear"], [3, "plum"]]));
}

#[tokio::test]
async fn a_multipart_upload_of_three_parts_becomes_a_dataset() {
    let local = Local::with(small_parts(Duration::from_secs(60))).await;
    let data = csv(12);
    assert!(data.len() > 200 && data.len() <= 300, "{}", data.len());
    let session = open(
        &local,
        json!({"declared_size_bytes": data.len(), "content_type": "text/csv",
               "checksum_algo": "sha256", "checksum_value": sha256_hex(&data)}),
    )
    .await;
    assert_eq!(session["mode"], "multipart");
    assert_eq!(session["part_size"], 100);
    assert!(session.get("url").is_none());
    let urls: Vec<String> = session["part_urls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap().to_string())
        .collect();
    assert_eq!(urls.len(), 3);

    let mut etags = Vec::new();
    for (url, chunk) in urls.iter().zip(data.chunks(100)) {
        etags.push(put_ok(&local, url, chunk.to_vec()).await);
    }
    let (status, done) = finalize(&local, &session, Some(parts_body(&etags))).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["size_bytes"], data.len());

    let (status, ds) = local
        .post_json(
            "/v1/datasets",
            json!({"label": "Items", "table_name": "items",
                   "source": {"type": "upload", "upload_id": done["upload_id"], "format": "csv"}}),
        )
        .await;
    assert_eq!(status, 201, "{ds}");
    let q = local
        .sql("SELECT count(*) AS n, max(name) AS last FROM datasets.main.items")
        .await;
    assert_eq!(q["rows"], json!([[12, "item number 0012"]]));
}

#[tokio::test]
async fn storage_refuses_credentials_and_altered_urls() {
    let local = Local::start().await;
    let session = open(&local, json!({"declared_size_bytes": 5})).await;
    let url = session["url"].as_str().unwrap().to_string();

    // The API's bearer must not be sent to storage.
    let resp = local
        .http
        .put(&url)
        .bearer_auth(local.server.api_key())
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    assert_eq!(resp.headers()["content-type"], "application/xml");
    let text = resp.text().await.unwrap();
    assert!(text.contains("<Code>InvalidArgument</Code>"), "{text}");

    // Nor the workspace header (or any other header of the API): the URL signs none.
    let resp = local
        .http
        .put(&url)
        .header("X-Workspace-Id", local.server.workspace_id())
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    let text = resp.text().await.unwrap();
    assert!(
        text.contains("<Code>SignatureDoesNotMatch</Code>") && text.contains("x-workspace-id"),
        "{text}"
    );

    // A changed signature, a changed expiry or a changed path breaks the signature.
    let last = url.chars().last().unwrap();
    let flipped = format!("{}{}", &url[..url.len() - 1], if last == '0' { '1' } else { '0' });
    let (head, expires_and_sig) = url.split_once("X-Local-Expires=").unwrap();
    let (expires, sig) = expires_and_sig.split_once('&').unwrap();
    let later = format!(
        "{head}X-Local-Expires={}&{sig}",
        expires.parse::<u64>().unwrap() + 60_000
    );
    let other_part = url.replacen("/1?", "/2?", 1);
    for bad in [flipped, later, other_part] {
        let resp = put(&local, &bad, b"hello".to_vec()).await;
        assert_eq!(resp.status().as_u16(), 403, "{bad}");
        let text = resp.text().await.unwrap();
        assert!(text.contains("<Code>SignatureDoesNotMatch</Code>"), "{text}");
    }
    let unsigned = url.split('?').next().unwrap().to_string();
    let resp = put(&local, &unsigned, b"hello".to_vec()).await;
    assert_eq!(resp.status().as_u16(), 403);
    assert!(resp.text().await.unwrap().contains("<Code>AccessDenied</Code>"));
    let resp = local.http.get(&url).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 405);

    // Nothing refused was stored, so there is nothing to finalize yet; the genuine URL still works.
    let (status, v) = finalize(&local, &session, None).await;
    assert_eq!(status, 400, "{v}");
    put_ok(&local, &url, b"hello".to_vec()).await;
    let (status, v) = finalize(&local, &session, None).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["size_bytes"], 5);

    // Storage traffic is not an API operation: it is neither counted nor checked against the spec.
    assert!(local.server.violations().is_empty());
}

#[tokio::test]
async fn an_expired_url_is_refused_and_a_minted_one_is_accepted() {
    let local = Local::with(small_parts(Duration::from_secs(2))).await;
    let data = csv(6);
    assert!(data.len() > 100 && data.len() <= 200);
    let session = open(&local, json!({"declared_size_bytes": data.len()})).await;
    let urls = session["part_urls"].as_array().unwrap().clone();
    assert_eq!(urls.len(), 2);
    let first = put_ok(&local, urls[0].as_str().unwrap(), data[..100].to_vec()).await;

    tokio::time::sleep(Duration::from_millis(2300)).await;
    let resp = put(&local, urls[1].as_str().unwrap(), data[100..].to_vec()).await;
    assert_eq!(resp.status().as_u16(), 403);
    let text = resp.text().await.unwrap();
    assert!(
        text.contains("<Code>AccessDenied</Code>") && text.contains("expired"),
        "{text}"
    );

    // Minting answers in ascending order without repeats; only the missing part is sent again.
    let (status, minted) = mint(&local, &session, &[2, 1, 2]).await;
    assert_eq!(status, 200, "{minted}");
    let numbers: Vec<u64> = minted["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["part_number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [1, 2]);
    let second = put_ok(
        &local,
        minted["parts"][1]["url"].as_str().unwrap(),
        data[100..].to_vec(),
    )
    .await;
    let (status, v) = mint(&local, &session, &[3]).await;
    assert_eq!(status, 400, "a known-size upload has no part 3: {v}");

    let (status, v) = finalize(&local, &session, Some(parts_body(&[first, second]))).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["size_bytes"], data.len());
}

#[tokio::test]
async fn a_streaming_upload_mints_its_part_urls() {
    let local = Local::with(small_parts(Duration::from_secs(60))).await;
    let data = csv(10);
    let session = open(&local, json!({"content_type": "text/csv", "part_size": 128})).await;
    assert_eq!(session["mode"], "multipart");
    assert_eq!(session["part_size"], 128);
    assert!(session.get("part_urls").is_none());
    let chunks: Vec<&[u8]> = data.chunks(128).collect();
    let numbers: Vec<u64> = (1..=chunks.len() as u64).collect();
    let (status, minted) = mint(&local, &session, &numbers).await;
    assert_eq!(status, 200, "{minted}");
    let mut etags = Vec::new();
    for (p, chunk) in minted["parts"].as_array().unwrap().iter().zip(&chunks) {
        etags.push(put_ok(&local, p["url"].as_str().unwrap(), chunk.to_vec()).await);
    }
    let (status, v) = finalize(&local, &session, Some(parts_body(&etags))).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["size_bytes"], data.len());
}

#[tokio::test]
async fn finalize_refuses_wrong_tokens_etags_sizes_and_checksums_and_happens_once() {
    let local = Local::with(small_parts(Duration::from_secs(60))).await;
    let data = csv(12);
    let session = open(
        &local,
        json!({"declared_size_bytes": data.len(), "checksum_algo": "sha256", "checksum_value": sha256_hex(&data)}),
    )
    .await;
    let id = session["upload_id"].as_str().unwrap().to_string();
    let urls: Vec<String> = session["part_urls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap().to_string())
        .collect();
    let chunks: Vec<Vec<u8>> = data.chunks(100).map(<[u8]>::to_vec).collect();
    let mut etags = Vec::new();
    for (url, chunk) in urls.iter().zip(&chunks) {
        etags.push(put_ok(&local, url, chunk.clone()).await);
    }

    let (status, v) = finalize_with(&local, &id, "uft_not_the_token", Some(parts_body(&etags))).await;
    assert_eq!(status, 403, "{v}");
    let (status, v) = finalize(&local, &session, None).await;
    assert_eq!(status, 400, "multipart needs its parts listed: {v}");
    let mut wrong = etags.clone();
    wrong[1] = "\"00000000000000000000000000000000\"".into();
    let (status, v) = finalize(&local, &session, Some(parts_body(&wrong))).await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"]["code"], "invalid_parts");
    let (status, v) = finalize(&local, &session, Some(parts_body(&etags[..2]))).await;
    assert_eq!(status, 400, "a part is missing: {v}");
    let shuffled = json!({"parts": [{"part_number": 2, "e_tag": etags[1]}, {"part_number": 1, "e_tag": etags[0]},
                                    {"part_number": 3, "e_tag": etags[2]}]});
    let (status, v) = finalize(&local, &session, Some(shuffled)).await;
    assert_eq!(status, 400, "parts out of order: {v}");

    // A short last part: the stored size differs from the declared one.
    let short = chunks[2][..chunks[2].len() - 1].to_vec();
    let short_etag = put_ok(&local, &urls[2], short).await;
    let (status, v) = finalize(
        &local,
        &session,
        Some(parts_body(&[etags[0].clone(), etags[1].clone(), short_etag])),
    )
    .await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"]["code"], "size_mismatch");

    // Right size, wrong bytes: the declared SHA-256 does not match.
    let mut flipped = chunks[2].clone();
    flipped[0] ^= 1;
    let flipped_etag = put_ok(&local, &urls[2], flipped).await;
    let (status, v) = finalize(
        &local,
        &session,
        Some(parts_body(&[etags[0].clone(), etags[1].clone(), flipped_etag])),
    )
    .await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"]["code"], "checksum_mismatch");

    // None of the refusals used up the finalize: resend the right part and finalize for real.
    let good = put_ok(&local, &urls[2], chunks[2].clone()).await;
    assert_eq!(good, etags[2], "the ETag depends on the bytes only");
    let (status, v) = finalize(&local, &session, Some(parts_body(&etags))).await;
    assert_eq!(status, 200, "{v}");

    // Finalize happens once; afterwards the session takes no parts and mints no URLs.
    let (status, v) = finalize(&local, &session, Some(parts_body(&etags))).await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"]["code"], "upload_already_finalized");
    let (status, v) = mint(&local, &session, &[1]).await;
    assert_eq!(status, 400, "{v}");
    let resp = put(&local, &urls[0], chunks[0].clone()).await;
    assert_eq!(resp.status().as_u16(), 404);
    assert!(resp.text().await.unwrap().contains("<Code>NoSuchUpload</Code>"));
    let (status, _) = finalize_with(&local, "upl_unknown", "x", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn sessions_open_in_batches_all_or_nothing() {
    let local = Local::with(small_parts(Duration::from_secs(60))).await;
    let (status, v) = local
        .post_json(
            "/v1/uploads/batch",
            json!({"uploads": [{"declared_size_bytes": 10}, {"declared_size_bytes": 250}, {}]}),
        )
        .await;
    assert_eq!(status, 201, "{v}");
    let modes: Vec<&str> = v["uploads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["mode"].as_str().unwrap())
        .collect();
    assert_eq!(modes, ["single", "multipart", "multipart"]);
    assert_eq!(v["uploads"][1]["part_urls"].as_array().unwrap().len(), 3);
    let single = v["uploads"][0].clone();
    put_ok(&local, single["url"].as_str().unwrap(), b"0123456789".to_vec()).await;
    let (status, done) = finalize(&local, &single, None).await;
    assert_eq!(status, 200, "{done}");

    let (status, v) = local
        .post_json(
            "/v1/uploads/batch",
            json!({"uploads": [{"declared_size_bytes": 10}, {"checksum_algo": "sha256"}]}),
        )
        .await;
    assert_eq!(status, 400, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("uploads[1]"), "{v}");
}

#[tokio::test]
async fn oversized_declarations_and_disabled_presigning_are_refused() {
    let local = Local::with(Config {
        uploads: UploadSessions {
            max_file_bytes: 1000,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let (status, v) = local
        .post_json("/v1/uploads", json!({"declared_size_bytes": 1001}))
        .await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"]["code"], "upload_too_large");

    let local = Local::with(Config {
        uploads: UploadSessions {
            enabled: false,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let (status, v) = local.post_json("/v1/uploads", json!({})).await;
    assert_eq!(status, 501, "{v}");
    assert_eq!(v["error"]["code"], "PRESIGN_UNSUPPORTED");
}

#[tokio::test]
async fn the_seed_era_upload_endpoint_still_works_beside_sessions() {
    let local = Local::start().await;
    let parquet = parquet_from_sql(&local, "SELECT * FROM (VALUES (7, 'x')) AS t(id, name)").await;
    let id = local.upload(parquet, "application/octet-stream").await;
    let conn = managed_connection(&local, "old").await;
    let (status, load) = local
        .post_json(
            &format!("/v1/connections/{conn}/schemas/public/tables/t/loads"),
            json!({"upload_id": id, "mode": "replace"}),
        )
        .await;
    assert_eq!(status, 200, "{load}");
    let q = local.sql("SELECT id, name FROM old.public.t").await;
    assert_eq!(q["rows"], json!([[7, "x"]]));
    // A seed-era upload has no session: it cannot be finalized.
    let (status, _) = finalize_with(&local, &id, "x", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn sessions_survive_a_restart_but_their_urls_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let config = || Config {
        data_dir: Some(dir.path().to_path_buf()),
        ..small_parts(Duration::from_secs(60))
    };
    let data = csv(6);
    let local = Local::with(config()).await;
    let session = open(&local, json!({"declared_size_bytes": data.len()})).await;
    let urls = session["part_urls"].as_array().unwrap().clone();
    let first = put_ok(&local, urls[0].as_str().unwrap(), data[..100].to_vec()).await;
    let old_base = local.server.base_url().to_string();
    drop(local);

    // The signing key is new for every start: old URLs (moved to the new address) no longer verify.
    let local = Local::with(config()).await;
    let moved = urls[1]
        .as_str()
        .unwrap()
        .replacen(&old_base, local.server.base_url(), 1);
    let resp = put(&local, &moved, data[100..].to_vec()).await;
    assert_eq!(resp.status().as_u16(), 403);
    assert!(resp.text().await.unwrap().contains("SignatureDoesNotMatch"));

    // The token and the stored part survived: mint the rest and finalize.
    let (status, minted) = mint(&local, &session, &[2]).await;
    assert_eq!(status, 200, "{minted}");
    let second = put_ok(
        &local,
        minted["parts"][0]["url"].as_str().unwrap(),
        data[100..].to_vec(),
    )
    .await;
    let (status, v) = finalize(&local, &session, Some(parts_body(&[first, second]))).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["size_bytes"], data.len());
}
