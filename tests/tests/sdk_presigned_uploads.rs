//! End to end: the SDK's presigned uploads against hotdata-local over loopback HTTP. Sessions are opened on
//! the API, the bytes go to the server's own storage endpoint (which answers `400` to a request carrying
//! `Authorization` and `403` to one carrying an API header, so every successful upload here also proves the
//! storage `PUT`s were bare), the upload is finalized once, loaded into a managed table and queried.

mod sdk;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hotdata::prelude::*;
use hotdata::types::{DataFormat, LoadMode};
use hotdata::{Error, ManagedTable, UploadOptions};
use hotdata_local::fixtures::numbered_csv as csv;
use hotdata_local::{Config, UploadSessions};
use sdk::{Sdk, table};
use tokio::io::AsyncWriteExt as _;

/// Small limits so a few hundred bytes make a multipart upload of 100-byte parts. The upload flow is the same
/// under both contracts; the checks load into a workspace connection and query it without a database, which the
/// seed-era contract allows, so these servers run it (as `Sdk::start` does).
fn small_parts(url_ttl: Duration) -> Config {
    Config {
        uploads: hotdata_local::fixtures::small_upload_parts(url_ttl),
        ..sdk::seed_config()
    }
}

/// Loads a CSV upload into `shop.public.<table>` and returns `count(*)` and `max(name)`.
async fn load_csv_and_count(sdk: &Sdk, connection: &str, table_name: &str, upload_id: &str) -> Vec<Vec<String>> {
    let loaded = sdk
        .client
        .load_managed_table()
        .connection_id(connection)
        .schema("public")
        .table(table_name)
        .body_map(|b| {
            b.mode(LoadMode::Replace)
                .upload_id(upload_id.to_owned())
                .format(DataFormat::Csv)
        })
        .send_outcome()
        .await
        .expect("load");
    assert!(
        matches!(loaded.into_inner(), hotdata::outcomes::LoadManagedTableOutcome::Ok(_)),
        "a small load finishes at once"
    );
    let rows = sdk
        .client
        .query(format!(
            "SELECT count(*) AS n, max(name) AS last FROM shop.public.{table_name}"
        ))
        .await
        .expect("query");
    table(&rows)
}

fn hits(sdk: &Sdk) -> [u64; 4] {
    [
        sdk.server.hits("create_upload_session_handler"),
        sdk.server.hits("create_upload_sessions_batch_handler"),
        sdk.server.hits("mint_upload_parts_handler"),
        sdk.server.hits("finalize_upload_handler"),
    ]
}

#[tokio::test]
async fn a_file_goes_up_in_one_put_then_loads_and_queries() {
    let sdk = Sdk::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders.parquet");
    let bytes = hotdata_local::fixtures::orders_parquet();
    std::fs::write(&path, &bytes).unwrap();

    let upload = sdk.client.upload_file(&path).await.expect("upload");
    assert_eq!(upload.size_bytes, bytes.len() as u64);
    assert_eq!(upload.status, "ready");
    assert_eq!(hits(&sdk), [1, 0, 0, 1], "one session, no mint, one finalize");

    let conn = sdk.managed_connection("shop").await;
    let loaded = sdk
        .client
        .load_upload(
            &upload.upload_id,
            &ManagedTable::in_connection(&conn.id, "public", "orders"),
            LoadMode::Replace,
        )
        .await
        .expect("load");
    assert_eq!(loaded.row_count, 6);
    let rows = sdk
        .client
        .query("SELECT customer, amount FROM shop.public.orders ORDER BY id LIMIT 2")
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert!(!rows.row(0).unwrap().get::<String>("customer").unwrap().is_empty());
    sdk.finish();
}

/// reqwest adds a client's default headers to every request it sends. An injected API client that keeps a
/// credential there would hand it to storage (which refuses a request carrying `Authorization`), unless storage
/// is given a client of its own.
#[tokio::test]
async fn storage_gets_its_own_client_when_the_api_client_has_default_headers() {
    let sdk = Sdk::start().await;
    let mut defaults = reqwest::header::HeaderMap::new();
    let mut bearer = reqwest::header::HeaderValue::try_from(format!("Bearer {}", sdk.server.api_key())).unwrap();
    bearer.set_sensitive(true);
    defaults.insert(reqwest::header::AUTHORIZATION, bearer);
    let api_http = || {
        reqwest::Client::builder()
            .default_headers(defaults.clone())
            .build()
            .unwrap()
    };
    let bytes = hotdata_local::fixtures::orders_parquet();
    let size = bytes.len() as u64;
    let upload = |client: hotdata::Client| {
        let reader = std::io::Cursor::new(bytes.clone());
        async move { client.upload(reader, UploadOptions::new().size(size)).await }
    };

    // Through the API's client, the default `Authorization` reaches storage and the part is refused.
    let shared = sdk::builder(&sdk.server).http_client(api_http()).build().unwrap();
    let err = upload(shared)
        .await
        .expect_err("storage refuses a request with Authorization");
    assert!(
        matches!(&err, Error::Api(api) if api.status == 400 && api.operation == hotdata::upload::STORAGE_PUT),
        "{err:?}"
    );
    assert_eq!(
        sdk.server.hits("finalize_upload_handler"),
        0,
        "a refused part is never finalized"
    );

    // With a storage client of its own, the same upload goes up bare and finalizes.
    let separate = sdk::builder(&sdk.server)
        .http_client(api_http())
        .storage_http_client(reqwest::Client::new())
        .build()
        .unwrap();
    let uploaded = upload(separate).await.expect("upload");
    assert_eq!(uploaded.size_bytes, size);
    assert_eq!(sdk.server.hits("finalize_upload_handler"), 1);
    sdk.finish();
}

#[tokio::test]
async fn a_multipart_file_with_a_checksum_reports_progress_and_loads() {
    let sdk = Sdk::with(small_parts(Duration::from_secs(60))).await;
    let data = csv(12);
    assert!(data.len() > 200 && data.len() <= 300, "three parts: {}", data.len());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("items.csv");
    std::fs::write(&path, &data).unwrap();

    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let options = UploadOptions::new()
        .compute_sha256()
        .concurrency(2)
        .progress(move |done, total| log.lock().unwrap().push((done, total)));
    let upload = sdk.client.upload_file_with(&path, options).await.expect("upload");
    assert_eq!(upload.size_bytes, data.len() as u64);
    assert_eq!(upload.content_type.as_deref(), Some("text/csv"));
    assert_eq!(hits(&sdk), [1, 0, 0, 1]);

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3, "one report per part: {seen:?}");
    assert!(seen.windows(2).all(|w| w[0].0 < w[1].0), "{seen:?}");
    assert_eq!(seen.last(), Some(&(data.len() as u64, Some(data.len() as u64))));

    let conn = sdk.managed_connection("shop").await;
    assert_eq!(
        load_csv_and_count(&sdk, &conn.id, "items", &upload.upload_id).await,
        [["12", "item number 0012"]]
    );
    sdk.finish();
}

#[tokio::test]
async fn a_reader_of_unknown_size_mints_its_parts_and_loads() {
    let sdk = Sdk::with(small_parts(Duration::from_secs(60))).await;
    let data = csv(10);
    let (mut tx, rx) = tokio::io::duplex(37);
    let feed = data.clone();
    tokio::spawn(async move {
        for chunk in feed.chunks(23) {
            tx.write_all(chunk).await.unwrap();
        }
    });
    let upload = sdk
        .client
        .upload(rx, UploadOptions::new().content_type("text/csv"))
        .await
        .expect("upload");
    assert_eq!(upload.size_bytes, data.len() as u64);
    let [sessions, _, mints, finalizes] = hits(&sdk);
    assert_eq!((sessions, finalizes), (1, 1));
    assert!(mints >= 1, "part URLs of a streaming session are minted");

    let conn = sdk.managed_connection("shop").await;
    assert_eq!(
        load_csv_and_count(&sdk, &conn.id, "streamed", &upload.upload_id).await,
        [["10", "item number 0010"]]
    );
    sdk.finish();
}

#[tokio::test]
async fn a_part_url_that_expired_is_minted_again() {
    let sdk = Sdk::with(small_parts(Duration::from_secs(1))).await;
    let data = csv(12);
    let len = data.len() as u64;
    // The first part arrives at once; the rest only after every URL handed out with the session expired.
    let (mut tx, rx) = tokio::io::duplex(1024);
    let feed = data.clone();
    tokio::spawn(async move {
        tx.write_all(&feed[..100]).await.unwrap();
        tokio::time::sleep(Duration::from_millis(1600)).await;
        tx.write_all(&feed[100..]).await.unwrap();
    });
    let upload = sdk
        .client
        .upload(
            rx,
            UploadOptions::new().size(len).content_type("text/csv").concurrency(1),
        )
        .await
        .expect("upload");
    assert_eq!(upload.size_bytes, len);
    let [_, _, mints, finalizes] = hits(&sdk);
    assert!(mints >= 1, "the expired URLs were minted again");
    assert_eq!(finalizes, 1);
    let conn = sdk.managed_connection("shop").await;
    assert_eq!(
        load_csv_and_count(&sdk, &conn.id, "late", &upload.upload_id).await,
        [["12", "item number 0012"]]
    );
    sdk.finish();
}

#[tokio::test]
async fn a_wrong_checksum_is_refused_and_the_finalize_is_not_repeated() {
    let sdk = Sdk::with(small_parts(Duration::from_secs(60))).await;
    let data = csv(12);
    let err = sdk
        .client
        .upload(
            &data[..],
            UploadOptions::new().size(data.len() as u64).sha256("00".repeat(32)),
        )
        .await
        .expect_err("the stored bytes do not match the declared digest");
    assert_eq!(err.status(), Some(400), "{err:?}");
    assert_eq!(err.operation(), Some("finalize_upload_handler"));
    assert_eq!(hits(&sdk), [1, 0, 0, 1], "refused once, not retried");
    sdk.finish();
}

#[tokio::test]
async fn many_files_share_one_batch_of_sessions() {
    let sdk = Sdk::with(small_parts(Duration::from_secs(60))).await;
    let dir = tempfile::tempdir().unwrap();
    let sizes = [3usize, 12, 7];
    let paths: Vec<_> = sizes
        .iter()
        .enumerate()
        .map(|(i, rows)| {
            let p = dir.path().join(format!("part{i}.csv"));
            std::fs::write(&p, csv(*rows)).unwrap();
            p
        })
        .collect();
    let total: u64 = sizes.iter().map(|r| csv(*r).len() as u64).sum();
    let last = Arc::new(Mutex::new(None));
    let log = Arc::clone(&last);
    let uploads = sdk
        .client
        .upload_files_with(
            &paths,
            UploadOptions::new()
                .concurrency(2)
                .progress(move |done, total| *log.lock().unwrap() = Some((done, total))),
        )
        .await
        .expect("batch");
    assert_eq!(uploads.len(), 3);
    assert_eq!(*last.lock().unwrap(), Some((total, Some(total))));
    assert_eq!(hits(&sdk), [0, 1, 0, 3], "one batch, one finalize per file");

    let conn = sdk.managed_connection("shop").await;
    for (i, (upload, rows)) in uploads.iter().zip(sizes).enumerate() {
        assert_eq!(upload.size_bytes, csv(rows).len() as u64, "in request order");
        let got = load_csv_and_count(&sdk, &conn.id, &format!("t{i}"), &upload.upload_id).await;
        assert_eq!(got, [[rows.to_string(), format!("item number {rows:04}")]]);
    }
    sdk.finish();
}

#[tokio::test]
#[allow(deprecated)] // the legacy method is the documented way out
async fn a_server_without_presigned_uploads_points_to_the_legacy_method() {
    let sdk = Sdk::with(Config {
        uploads: UploadSessions {
            enabled: false,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let data = csv(2);
    let err = sdk
        .client
        .upload(&data[..], UploadOptions::new().size(data.len() as u64))
        .await
        .expect_err("no sessions here");
    assert!(hotdata::upload::is_presign_unsupported(&err), "{err:?}");
    assert_eq!((err.status(), err.code()), (Some(501), Some("PRESIGN_UNSUPPORTED")));
    assert!(err.to_string().contains("upload_legacy"), "{err}");

    let legacy = sdk
        .client
        .upload_legacy(
            std::io::Cursor::new(data),
            UploadOptions::new().content_type("text/csv"),
        )
        .await
        .expect("the seed-era endpoint still takes it");
    assert!(!legacy.id.is_empty());
    assert!(!matches!(err, Error::Transport { .. }));
    sdk.finish();
}

#[tokio::test]
async fn dropping_the_upload_stops_it_before_finalize() {
    let sdk = Sdk::with(small_parts(Duration::from_secs(60))).await;
    let data = csv(12);
    let len = data.len() as u64;
    let (mut tx, rx) = tokio::io::duplex(1024);
    let feed = data.clone();
    let writer = tokio::spawn(async move {
        tx.write_all(&feed[..150]).await.unwrap();
        // Stall: the rest never comes while the upload runs.
        tokio::time::sleep(Duration::from_secs(30)).await;
        tx.write_all(&feed[150..]).await
    });
    let upload = sdk.client.upload(rx, UploadOptions::new().size(len).concurrency(1));
    assert!(
        tokio::time::timeout(Duration::from_millis(500), upload).await.is_err(),
        "still waiting for the stalled source"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(hits(&sdk), [1, 0, 0, 0], "no finalize after the drop");
    writer.abort();
    sdk.finish();
}
