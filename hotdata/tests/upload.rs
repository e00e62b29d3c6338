//! The seed-era streamed uploads (`POST /v1/files`, now `upload_legacy`) and the flows built on uploads, against
//! a stub. Presigned uploads are in `presigned.rs`.
#![allow(deprecated)] // the legacy upload methods are deprecated on purpose

mod support;

use std::sync::{Arc, Mutex};

use hotdata::types::{DataFormat, LoadMode};
use hotdata::{Error, ManagedTable, UploadOptions};
use serde_json::json;
use support::{Canned, Stub};

fn created(size: usize) -> Canned {
    Canned::json(
        201,
        json!({"id": "upl_1", "created_at": "2026-05-01T10:00:00Z", "size_bytes": size, "status": "pending"}),
    )
}

#[tokio::test]
async fn files_stream_with_inferred_type_and_progress() {
    let dir = std::env::temp_dir().join(format!("hotdata-upload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("orders.parquet");
    // Several chunks' worth, so progress is reported more than once.
    let data: Vec<u8> = (0..(hotdata::upload::UPLOAD_CHUNK_SIZE * 3 + 17))
        .map(|i| (i % 251) as u8)
        .collect();
    std::fs::write(&path, &data).unwrap();

    let stub = Stub::start().await;
    stub.reply([created(data.len())]);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let up = stub
        .client()
        .upload_file_legacy(
            &path,
            UploadOptions::new().progress(move |sent, total| log.lock().unwrap().push((sent, total))),
        )
        .await
        .expect("uploaded");
    assert_eq!(up.id, "upl_1");

    let r = stub.only();
    assert_eq!((r.method.as_str(), r.path()), ("POST", "/v1/files"));
    assert_eq!(r.header("content-type"), Some("application/parquet"));
    assert_eq!(r.header("content-length"), Some(data.len().to_string().as_str()));
    assert_eq!(r.body, data);

    let seen = seen.lock().unwrap().clone();
    assert!(seen.len() >= 2, "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0].0 < w[1].0), "monotonic: {seen:?}");
    assert_eq!(seen.last(), Some(&(data.len() as u64, Some(data.len() as u64))));

    // Without a known extension the type is octet-stream; an explicit one wins.
    let csv = dir.join("data.bin");
    std::fs::write(&csv, b"a,b\n1,2\n").unwrap();
    stub.reply([created(8), created(8)]);
    stub.client()
        .upload_file_legacy(&csv, UploadOptions::new())
        .await
        .unwrap();
    stub.client()
        .upload_file_legacy(&csv, UploadOptions::new().content_type("text/csv"))
        .await
        .unwrap();
    let types: Vec<_> = stub.received()[1..]
        .iter()
        .map(|r| r.header("content-type").unwrap().to_owned())
        .collect();
    assert_eq!(types, ["application/octet-stream", "text/csv"]);
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn readers_of_unknown_size_stream_chunked() {
    let stub = Stub::start().await;
    stub.reply([created(11)]);
    let (mut tx, rx) = tokio::io::duplex(64);
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt as _;
        tx.write_all(b"{\"a\": 1}\n").await.unwrap();
        tx.write_all(b"{}").await.unwrap();
    });
    stub.client()
        .upload_legacy(rx, UploadOptions::new().content_type("application/json"))
        .await
        .unwrap();
    let r = stub.only();
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    assert_eq!(r.body, b"{\"a\": 1}\n{}");
}

#[tokio::test]
async fn missing_files_are_argument_errors() {
    let stub = Stub::start().await;
    let err = stub.client().upload_file("/definitely/not/here.csv").await.unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    let err = stub
        .client()
        .upload_file_legacy("/definitely/not/here.csv", UploadOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    assert!(stub.received().is_empty());
}

#[tokio::test]
async fn load_into_a_database_table_and_create_a_dataset() {
    let stub = Stub::start().await;
    stub.reply([
        Canned::json(
            200,
            json!({"id": "db_1", "default_connection_id": "conn_9", "attachments": [], "name": null}),
        ),
        Canned::json(
            200,
            json!({"arrow_schema_json": "{}", "connection_id": "conn_9", "row_count": 42,
                   "schema_name": "public", "table_name": "orders"}),
        ),
        Canned::json(
            201,
            json!({"id": "ds_1", "label": "customers", "table_name": "customers", "schema_name": "main",
                   "status": "ready", "created_at": "2026-05-01T10:00:00Z"}),
        ),
        Canned::json(
            409,
            json!({"error": {"code": "CONFLICT", "message": "upload already claimed"}}),
        ),
    ]);
    let client = stub.client();
    let loaded = client
        .load_upload(
            "upl_1",
            &ManagedTable::in_database("db_1", "public", "orders"),
            LoadMode::Replace,
        )
        .await
        .unwrap();
    assert_eq!(loaded.row_count, 42);
    let ds = client
        .create_dataset_from_upload("customers", "upl_2", Some(DataFormat::Csv))
        .await
        .unwrap();
    assert_eq!(ds.table_name, "customers");
    let err = client
        .load_upload(
            "upl_1",
            &ManagedTable::in_connection("conn_9", "public", "orders"),
            LoadMode::Replace,
        )
        .await
        .unwrap_err();
    assert_eq!((err.status(), err.code()), (Some(409), Some("CONFLICT")));

    let got = stub.received();
    assert_eq!(got[0].path(), "/v1/databases/db_1");
    assert_eq!(
        got[1].path(),
        "/v1/connections/conn_9/schemas/public/tables/orders/loads"
    );
    assert_eq!(got[1].json(), json!({"mode": "replace", "upload_id": "upl_1"}));
    assert_eq!(got[2].path(), "/v1/datasets");
    assert_eq!(
        got[2].json(),
        json!({"label": "customers", "source": {"type": "upload", "upload_id": "upl_2", "format": "csv"}})
    );
}
