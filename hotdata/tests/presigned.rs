//! Presigned uploads against a stub that plays both the API and the storage endpoint, for the exact requests
//! and the faults a real server does not produce on demand: part 5xx and resets retried, a storage `403`
//! answered by minting the part's URL again, a lost finalize answer never followed by a second finalize,
//! and a dropped future that sends nothing more. End-to-end runs against hotdata-local are in
//! `tests/tests/sdk_presigned_uploads.rs`.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hotdata::{Error, UploadOptions};
use serde_json::{Value, json};
use support::{Canned, Recorded, Stub};

const TOKEN: &str = "fin-secret-token";

fn url(stub: &Stub, part: u64, tag: &str) -> String {
    format!("{}/_s/up_1/{part}?sig=secret-{tag}", stub.base_url)
}

fn session(stub: &Stub, mode: &str, part_size: Option<u64>, urls: Option<Vec<String>>) -> Canned {
    let mut body = json!({"upload_id": "up_1", "mode": mode, "headers": {}, "finalize_token": TOKEN});
    if mode == "single" {
        body["url"] = json!(url(stub, 1, "single"));
    }
    if let Some(p) = part_size {
        body["part_size"] = json!(p);
    }
    if let Some(u) = urls {
        body["part_urls"] = json!(u);
    }
    Canned::json(201, body)
}

fn stored(etag: &str) -> Canned {
    Canned::empty(200).header("etag", &format!("\"{etag}\""))
}

fn finalized(size: u64) -> Canned {
    Canned::json(
        200,
        json!({"upload_id": "up_1", "size_bytes": size, "status": "ready", "created_at": "2026-10-01T10:00:00Z"}),
    )
}

fn storage_error(status: u16, code: &str) -> Canned {
    Canned::raw(
        status,
        "application/xml",
        format!("<Error><Code>{code}</Code><Message>refused by storage</Message><RequestId>r1</RequestId></Error>"),
    )
}

/// Storage requests carry nothing of the SDK: no bearer, no workspace, no user agent, no finalize token.
fn assert_bare(put: &Recorded) {
    assert_eq!(put.method, "PUT");
    for name in [
        "authorization",
        "x-workspace-id",
        "x-database-id",
        "user-agent",
        "x-upload-finalize-token",
    ] {
        assert_eq!(put.header(name), None, "storage PUT carried {name}: {put:?}");
    }
}

fn paths(got: &[Recorded]) -> Vec<String> {
    got.iter().map(|r| format!("{} {}", r.method, r.path())).collect()
}

#[tokio::test]
async fn a_single_put_carries_no_sdk_headers_and_is_finalized_once() {
    let stub = Stub::start().await;
    let data = b"id,name\n1,ada\n2,bob\n".to_vec();
    stub.reply([
        session(&stub, "single", None, None),
        stored("e1"),
        finalized(data.len() as u64),
    ]);
    let up = stub
        .client()
        .upload(
            &data[..],
            UploadOptions::new()
                .content_type("text/csv")
                .size(data.len() as u64)
                .filename("people.csv")
                .sha256("abc123"),
        )
        .await
        .expect("uploaded");
    assert_eq!((up.upload_id.as_str(), up.size_bytes), ("up_1", data.len() as u64));

    let got = stub.received();
    assert_eq!(
        paths(&got),
        ["POST /v1/uploads", "PUT /_s/up_1/1", "POST /v1/uploads/up_1/finalize"]
    );
    assert_eq!(
        got[0].json(),
        json!({"declared_size_bytes": data.len(), "content_type": "text/csv", "filename": "people.csv",
               "checksum_algo": "sha256", "checksum_value": "abc123"})
    );
    assert_eq!(got[0].header("authorization"), Some("Bearer test-key"));
    assert_bare(&got[1]);
    assert_eq!(got[1].query(), "sig=secret-single");
    assert_eq!(got[1].body, data);
    assert_eq!(got[2].header("x-upload-finalize-token"), Some(TOKEN));
    assert_eq!(got[2].json(), json!({}), "a single-PUT finalize lists no parts");
}

#[tokio::test]
async fn multipart_parts_are_retried_reminted_and_listed_in_order() {
    let stub = Stub::start().await;
    let data: Vec<u8> = (0..25u8).collect();
    let urls: Vec<String> = (1..=3).map(|n| url(&stub, n, "a")).collect();
    stub.reply([
        session(&stub, "multipart", Some(10), Some(urls)),
        // Part 1: a 500, then stored.
        storage_error(500, "InternalError"),
        stored("e1"),
        // Part 2: its URL expired; a fresh one is minted and used.
        storage_error(403, "AccessDenied"),
        Canned::json(200, json!({"parts": [{"part_number": 2, "url": url(&stub, 2, "b")}]})),
        stored("e2"),
        // Part 3: the connection drops, then stored.
        Canned::reset(),
        stored("e3"),
        finalized(25),
    ]);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let up = stub
        .client()
        .upload(
            &data[..],
            UploadOptions::new()
                .size(25)
                .concurrency(1)
                .progress(move |done, total| log.lock().unwrap().push((done, total))),
        )
        .await
        .expect("uploaded");
    assert_eq!(up.size_bytes, 25);

    let got = stub.received();
    assert_eq!(
        paths(&got),
        [
            "POST /v1/uploads",
            "PUT /_s/up_1/1",
            "PUT /_s/up_1/1",
            "PUT /_s/up_1/2",
            "POST /v1/uploads/up_1/parts",
            "PUT /_s/up_1/2",
            "PUT /_s/up_1/3",
            "PUT /_s/up_1/3",
            "POST /v1/uploads/up_1/finalize",
        ]
    );
    for put in got.iter().filter(|r| r.method == "PUT") {
        assert_bare(put);
    }
    assert_eq!(got[1].body, &data[..10]);
    assert_eq!(got[2].body, &data[..10]);
    assert_eq!(got[3].query(), "sig=secret-a");
    assert_eq!(got[4].json(), json!({"part_numbers": [2]}));
    assert_eq!(got[4].header("x-upload-finalize-token"), Some(TOKEN));
    assert_eq!(got[5].query(), "sig=secret-b", "the re-minted URL is used");
    assert_eq!(got[5].body, &data[10..20]);
    assert_eq!(got[7].body, &data[20..]);
    assert_eq!(
        got[8].json(),
        json!({"parts": [{"part_number": 1, "e_tag": "\"e1\""}, {"part_number": 2, "e_tag": "\"e2\""},
                         {"part_number": 3, "e_tag": "\"e3\""}]})
    );
    assert_eq!(*seen.lock().unwrap(), [(10, Some(25)), (20, Some(25)), (25, Some(25))]);
}

#[tokio::test]
async fn storage_puts_never_ask_the_bearer_provider() {
    let stub = Stub::start().await;
    let data: Vec<u8> = (0..25u8).collect();
    let urls: Vec<String> = (1..=3).map(|n| url(&stub, n, "a")).collect();
    stub.reply([
        session(&stub, "multipart", Some(10), Some(urls)),
        storage_error(503, "SlowDown"),
        stored("e1"),
        storage_error(403, "AccessDenied"),
        Canned::json(200, json!({"parts": [{"part_number": 2, "url": url(&stub, 2, "b")}]})),
        stored("e2"),
        Canned::reset(),
        stored("e3"),
        finalized(25),
    ]);
    let asked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = Arc::clone(&asked);
    let client = hotdata::Client::builder()
        .bearer_provider(move || {
            let n = count.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            async move { Ok::<_, hotdata::BoxError>(format!("tok-{n}")) }
        })
        .workspace_id("ws_test")
        .base_url(&stub.base_url)
        .retry(support::fast_retries())
        .build()
        .expect("client");
    client
        .upload(&data[..], UploadOptions::new().size(25).concurrency(1))
        .await
        .expect("uploaded");

    let got = stub.received();
    let api: Vec<(String, Option<&str>)> = got
        .iter()
        .filter(|r| r.method == "POST")
        .map(|r| (r.path().to_owned(), r.header("authorization")))
        .collect();
    assert_eq!(
        api,
        [
            ("/v1/uploads".to_owned(), Some("Bearer tok-1")),
            ("/v1/uploads/up_1/parts".to_owned(), Some("Bearer tok-2")),
            ("/v1/uploads/up_1/finalize".to_owned(), Some("Bearer tok-3")),
        ]
    );
    let puts: Vec<&Recorded> = got.iter().filter(|r| r.method == "PUT").collect();
    assert_eq!(puts.len(), 6, "every part, its retries and its re-minted URL");
    for put in puts {
        assert_bare(put);
    }
    assert_eq!(
        asked.load(std::sync::atomic::Ordering::SeqCst),
        3,
        "asked for the three API requests only, never for a storage PUT"
    );
}

#[tokio::test]
async fn a_reader_of_unknown_size_mints_part_urls_as_it_goes() {
    let stub = Stub::start().await;
    let minted: Vec<Value> = (1..=4)
        .map(|n| json!({"part_number": n, "url": url(&stub, n, "m")}))
        .collect();
    stub.reply([
        session(&stub, "multipart", Some(4), None),
        Canned::json(200, json!({ "parts": minted })),
        stored("e1"),
        stored("e2"),
        stored("e3"),
        finalized(10),
    ]);
    let (mut tx, rx) = tokio::io::duplex(3);
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt as _;
        for chunk in [&b"abc"[..], b"defgh", b"ij"] {
            tx.write_all(chunk).await.unwrap();
        }
    });
    stub.client()
        .upload(rx, UploadOptions::new().concurrency(1))
        .await
        .expect("uploaded");
    let got = stub.received();
    assert_eq!(got[0].json(), json!({}), "no size declared");
    assert_eq!(got[1].path(), "/v1/uploads/up_1/parts");
    assert_eq!(got[1].json(), json!({"part_numbers": [1, 2, 3, 4]}));
    let bodies: Vec<&[u8]> = got[2..5].iter().map(|r| &r.body[..]).collect();
    assert_eq!(bodies, [&b"abcd"[..], b"efgh", b"ij"]);
    assert_eq!(got[5].json()["parts"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn a_lost_finalize_answer_is_reported_and_never_resent() {
    let stub = Stub::start().await;
    stub.reply([session(&stub, "single", None, None), stored("e1"), Canned::reset()]);
    let err = stub
        .client()
        .upload(&b"a,b\n1,2\n"[..], UploadOptions::new().size(8))
        .await
        .expect_err("the finalize answer was lost");
    let finalizes = stub
        .received()
        .iter()
        .filter(|r| r.path().ends_with("/finalize"))
        .count();
    assert_eq!(finalizes, 1, "a finalize that may have landed is not sent again");
    assert_eq!(err.operation(), Some("finalize_upload_handler"));
    let unclear = std::error::Error::source(&err)
        .and_then(|s| s.downcast_ref::<hotdata::upload::FinalizeUnclear>())
        .unwrap_or_else(|| panic!("a FinalizeUnclear source: {err:?}"));
    assert_eq!(unclear.upload_id, "up_1");
    assert!(err.to_string().contains("may have landed"), "{err}");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(TOKEN) && !shown.contains("secret-"), "{shown}");
}

#[tokio::test]
async fn storage_refusals_are_typed_without_leaking_the_url() {
    let stub = Stub::start().await;
    stub.reply([
        session(&stub, "single", None, None),
        storage_error(400, "EntityTooLarge"),
    ]);
    let err = stub
        .client()
        .upload(&b"12345"[..], UploadOptions::new().size(5))
        .await
        .expect_err("refused");
    assert_eq!((err.status(), err.code()), (Some(400), Some("EntityTooLarge")));
    assert_eq!(err.operation(), Some(hotdata::upload::STORAGE_PUT));
    assert_eq!(
        stub.count(),
        2,
        "a 400 from storage is not retried, and nothing is finalized"
    );
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("secret-") && !shown.contains(TOKEN), "{shown}");

    // A 403 that persists after the re-mints is an error, not a loop.
    let stub = Stub::start().await;
    let mint = Canned::json(
        200,
        json!({"parts": [{"part_number": 1, "url": url(&stub, 1, "again")}]}),
    );
    stub.reply([session(&stub, "single", None, None)]);
    for _ in 0..3 {
        stub.reply([storage_error(403, "SignatureDoesNotMatch"), mint.clone()]);
    }
    stub.reply([storage_error(403, "SignatureDoesNotMatch")]);
    let err = stub
        .client()
        .upload(&b"12345"[..], UploadOptions::new().size(5))
        .await
        .expect_err("refused");
    assert_eq!(err.code(), Some("SignatureDoesNotMatch"));
    assert_eq!(stub.count(), 1 + 3 * 2 + 1);
}

#[tokio::test]
async fn a_reader_that_breaks_its_declared_size_is_not_finalized() {
    for (declared, data) in [(3u64, &b"12345"[..]), (8, &b"12345"[..])] {
        let stub = Stub::start().await;
        stub.reply([session(&stub, "single", None, None), stored("e1")]);
        let err = stub
            .client()
            .upload(data, UploadOptions::new().size(declared))
            .await
            .expect_err("size mismatch");
        assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
        assert!(
            stub.received().iter().all(|r| !r.path().ends_with("/finalize")),
            "declared {declared}"
        );
    }
}

#[tokio::test]
async fn a_server_without_sessions_names_the_legacy_method() {
    for (status, body) in [
        (
            501,
            json!({"error": {"code": "PRESIGN_UNSUPPORTED", "message": "no presigned URLs here"}}),
        ),
        (404, json!({"error": {"code": "not_found", "message": "no route"}})),
    ] {
        let stub = Stub::start().await;
        stub.reply([Canned::json(status, body)]);
        let err = stub
            .client()
            .upload(&b"x"[..], UploadOptions::new().size(1))
            .await
            .expect_err("unsupported");
        assert!(hotdata::upload::is_presign_unsupported(&err), "{err:?}");
        assert_eq!(err.status(), Some(status));
        assert!(err.to_string().contains("upload_legacy"), "{err}");
        assert_eq!(stub.count(), 1);
    }
    // Other refusals are not mistaken for it.
    let stub = Stub::start().await;
    stub.reply([Canned::json(
        400,
        json!({"error": {"code": "bad_request", "message": "too big"}}),
    )]);
    let err = stub
        .client()
        .upload(&b"x"[..], UploadOptions::new().size(1))
        .await
        .unwrap_err();
    assert!(!hotdata::upload::is_presign_unsupported(&err));
}

#[tokio::test]
async fn dropping_the_future_stops_all_traffic() {
    let stub = Stub::start().await;
    let urls: Vec<String> = (1..=3).map(|n| url(&stub, n, "a")).collect();
    stub.reply([
        session(&stub, "multipart", Some(4), Some(urls)),
        stored("e1").delayed(Duration::from_millis(400)),
        stored("e2").delayed(Duration::from_millis(400)),
    ]);
    let client = stub.client();
    let upload = client.upload(&b"0123456789ab"[..], UploadOptions::new().size(12).concurrency(2));
    let cut = tokio::time::timeout(Duration::from_millis(200), upload).await;
    assert!(cut.is_err(), "the upload was still running when dropped");
    let at_drop = stub.count();
    assert_eq!(at_drop, 3, "the session and the two parts in flight");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(stub.count(), at_drop, "nothing is sent after the future is dropped");
}

#[tokio::test]
async fn compute_sha256_is_refused_for_readers() {
    #[cfg(feature = "checksum")]
    {
        let stub = Stub::start().await;
        let err = stub
            .client()
            .upload(&b"x"[..], UploadOptions::new().compute_sha256())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
        assert_eq!(stub.count(), 0);
    }
}

#[tokio::test]
async fn options_debug_shows_no_callback_and_batch_of_nothing_sends_nothing() {
    let options = UploadOptions::new().progress(|_, _| {}).concurrency(0);
    let shown = format!("{options:?}");
    assert!(
        shown.contains("<callback>") && shown.contains("concurrency: Some(1)"),
        "{shown}"
    );
    let stub = Stub::start().await;
    let none: [&str; 0] = [];
    assert!(stub.client().upload_files(none).await.unwrap().is_empty());
    assert_eq!(stub.count(), 0);
}
