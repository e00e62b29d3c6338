//! Stored results: waiting, failures, slices and streams, against a stub.

mod support;

use std::time::{Duration, Instant};

use futures::{StreamExt as _, TryStreamExt as _};
use hotdata::Error;
use serde_json::json;
use support::{Canned, Stub};

fn page(rows: &[i64], headers: &[(&str, &str)]) -> Canned {
    let rows: Vec<_> = rows.iter().map(|n| json!([n, format!("{n}.00")])).collect();
    let mut c = Canned::json(
        200,
        json!({"result_id": "res_1", "status": "ready", "columns": ["n", "amount"],
               "nullable": [false, false], "row_count": rows.len(), "rows": rows}),
    );
    c.headers
        .extend(headers.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    c
}

fn pending(retry_after: &str) -> Canned {
    let mut c = Canned::json(202, json!({"result_id": "res_1", "status": "processing"}));
    c.headers.push(("retry-after".into(), retry_after.into()));
    c
}

#[tokio::test]
async fn pending_results_are_polled_as_retry_after_asks() {
    let stub = Stub::start().await;
    stub.reply([pending("1"), pending("0"), page(&[1, 2], &[("x-total-row-count", "2")])]);
    let started = Instant::now();
    let rows = stub.client().result("res_1").await.expect("ready");
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(rows.row(1).unwrap().get::<String>("amount").unwrap(), "2.00");
    let got = stub.received();
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|r| r.method == "GET" && r.path() == "/v1/results/res_1"));
}

#[tokio::test]
async fn an_absurd_retry_after_is_capped_not_a_panic() {
    // u64::MAX seconds, and a date thousands of years away: taken as given,
    // the first overflows `elapsed + delay` once a second has passed.
    for hint in ["18446744073709551615", "Fri, 31 Dec 9999 23:59:59 GMT"] {
        let stub = Stub::start().await;
        stub.reply([pending(hint).delayed(Duration::from_millis(1100))]);
        let err = stub
            .client()
            .result("res_1")
            .wait_timeout(Duration::from_secs(3))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Timeout { .. }), "{hint}: {err:?}");
        assert_eq!(stub.received().len(), 1, "{hint}: no sleep past the deadline");
    }
}

#[tokio::test]
async fn waiting_is_bounded() {
    let stub = Stub::start().await;
    stub.reply([pending("30")]);
    let err = stub
        .client()
        .result("res_1")
        .wait_timeout(Duration::from_secs(2))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(stub.received().len(), 1, "no sleep past the deadline");

    stub.reply([pending("0")]);
    let err = stub
        .client()
        .result("res_1")
        .wait_timeout(Duration::ZERO)
        .rows()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
}

#[tokio::test]
async fn failed_results_are_failures() {
    let stub = Stub::start().await;
    stub.reply([Canned::json(
        409,
        json!({"message": "persisting the result failed: disk full", "status": 409}),
    )]);
    match stub.client().result("res_1").await.unwrap_err() {
        Error::Failed(f) => {
            assert_eq!(
                (f.kind, f.id.as_str(), f.status.as_str()),
                ("result", "res_1", "failed")
            );
            assert_eq!(f.message.as_deref(), Some("persisting the result failed: disk full"));
        }
        other => panic!("{other:?}"),
    }
    // A 202 body that already says `failed` stops the wait too.
    stub.reply([Canned::json(
        202,
        json!({"result_id": "res_1", "status": "failed", "error_message": "boom"}),
    )]);
    assert!(matches!(stub.client().result("res_1").await, Err(Error::Failed(_))));
    // Other statuses stay API errors.
    stub.reply([Canned::json(
        404,
        json!({"error": {"code": "NOT_FOUND", "message": "no result res_2"}}),
    )]);
    let err = stub.client().result("res_2").await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}

#[tokio::test]
async fn a_page_reports_total_and_next() {
    let stub = Stub::start().await;
    stub.reply([page(
        &[10, 11],
        &[
            ("x-total-row-count", "5"),
            ("link", r#"</v1/results/res_1?offset=12&limit=2>; rel="next""#),
        ],
    )]);
    let p = stub.client().result("res_1").offset(10).limit(2).page().await.unwrap();
    assert_eq!(p.total_row_count(), Some(5));
    assert_eq!(p.rows().len(), 2);
    let next = p.next_url().unwrap();
    assert_eq!(
        next.as_str(),
        format!("{}/v1/results/res_1?offset=12&limit=2", stub.base_url)
    );
    assert_eq!(stub.only().query(), "offset=10&limit=2");
}

#[tokio::test]
async fn streams_follow_link_until_it_stops() {
    let stub = Stub::start().await;
    stub.reply([
        page(
            &[0, 1],
            &[("link", r#"</v1/results/res_1?offset=2&limit=2>; rel="next""#)],
        ),
        pending("0"),
        page(&[2, 3], &[("link", r#"<?offset=4&limit=2>; rel="next""#)]),
        page(&[4], &[]),
    ]);
    let client = stub.client();
    let numbers: Vec<i64> = client
        .result("res_1")
        .pages(2)
        .map_ok(|page| {
            page.rows()
                .iter()
                .map(|r| r.get::<i64>("n").unwrap())
                .collect::<Vec<_>>()
        })
        .try_concat()
        .await
        .unwrap();
    assert_eq!(numbers, [0, 1, 2, 3, 4]);
    let targets: Vec<String> = stub.received().iter().map(|r| r.target.clone()).collect();
    assert_eq!(
        targets,
        [
            "/v1/results/res_1?limit=2",
            "/v1/results/res_1?offset=2&limit=2",
            "/v1/results/res_1?offset=2&limit=2",
            "/v1/results/res_1?offset=4&limit=2",
        ]
    );

    #[derive(serde::Deserialize)]
    struct Line {
        amount: String,
    }
    stub.reply([page(&[7], &[])]);
    let lines: Vec<Line> = client
        .result("res_1")
        .pages(100)
        .map_ok(|p| p.rows().rows_as::<Line>().unwrap())
        .try_concat()
        .await
        .unwrap();
    assert_eq!(lines[0].amount, "7.00");
}

/// A CSV body for the streamed reads: a header and `rows` records.
fn csv(body: &str) -> Canned {
    Canned::raw(200, "text/csv; charset=utf-8", body.as_bytes().to_vec()).header("x-total-row-count", "3")
}

#[tokio::test]
async fn a_csv_stream_is_one_request_typed_by_a_json_sample() {
    let stub = Stub::start().await;
    let sample = Canned::json(
        200,
        json!({"result_id": "res_1", "status": "ready", "columns": ["n", "amount", "ok", "note"],
               "nullable": [false, false, true, true], "row_count": 1,
               "rows": [[1, "1.00", true, null]]}),
    );
    stub.reply([
        sample,
        pending("0"),
        csv(concat!(
            "n,amount,ok,note\n",
            "1,1.00,true,\n",
            "2,\"2,5\",false,\"\"\r\n",
            r#"12345678901234567890,99999999999999999999.99,,"say ""hi""""#,
            "\n"
        )),
    ]);
    let client = stub
        .builder()
        .streamed_format(hotdata::StreamedFormat::Csv)
        .build()
        .unwrap();
    let rows: Vec<hotdata::SharedRow> = client
        .result("res_1")
        .database("db_1")
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
    let raw: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.row().values().map(|v| v.to_string()).collect())
        .collect();
    assert_eq!(raw[0], ["1", "1.00", "true", "null"]);
    use hotdata::Value;
    assert!(
        matches!(rows[0].value("n"), Some(Value::Number("1"))),
        "numbers stay numbers"
    );
    assert!(
        matches!(rows[0].value("amount"), Some(Value::String(_))),
        "text stays text"
    );
    assert!(matches!(rows[0].value("ok"), Some(Value::Bool(true))));
    assert!(
        matches!(rows[0].value("note"), Some(Value::Null)),
        "an unquoted empty cell is NULL"
    );
    assert_eq!(
        raw[1],
        ["2", "2,5", "false", ""],
        "a quoted empty cell is an empty string"
    );
    assert_eq!(rows[2].get::<u64>("n").unwrap(), 12345678901234567890);
    assert_eq!(rows[2].get::<String>("amount").unwrap(), "99999999999999999999.99");
    assert_eq!(rows[2].get::<Option<bool>>("ok").unwrap(), None);
    assert_eq!(rows[2].get::<String>("note").unwrap(), "say \"hi\"");
    let got = stub.received();
    assert_eq!(got.len(), 3, "sample, a pending poll, one streamed read");
    assert_eq!(got[0].query(), "limit=64");
    assert_eq!(got[2].query(), "format=csv");
    assert_eq!(got[2].header("accept"), Some("text/csv"));
    assert!(
        got.iter().all(|r| r.header("x-database-id") == Some("db_1")),
        "every read is scoped"
    );
}

#[tokio::test]
async fn a_malformed_csv_stream_is_a_decode_error() {
    let stub = Stub::start().await;
    let sample = Canned::json(200, json!({"columns": ["n"], "rows": [[1]]}));
    stub.reply([sample, csv("n\n1\n\"open")]);
    let client = stub
        .builder()
        .streamed_format(hotdata::StreamedFormat::Csv)
        .build()
        .unwrap();
    let got: Vec<_> = client.result("res_1").stream().collect::<Vec<_>>().await;
    assert!(got[0].is_ok());
    assert!(matches!(got.last(), Some(Err(Error::Decode(_)))), "{got:?}");
}

#[tokio::test]
async fn next_links_to_other_origins_are_refused() {
    let stub = Stub::start().await;
    stub.reply([page(&[0], &[("link", r#"<https://evil.example/steal>; rel="next""#)])]);
    let err = stub
        .client()
        .result("res_1")
        .pages(1)
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    match &err {
        Error::CrossOriginLink { operation, origin } => {
            assert_eq!(
                (operation.as_ref(), origin.as_str()),
                ("get_result", "https://evil.example")
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("another origin"), "{err}");
    assert_eq!(stub.received().len(), 1);
}

#[tokio::test]
async fn a_read_on_a_stalled_connection_ends_at_its_wait_deadline() {
    let (base_url, accepted) = support::silent().await;
    let client = hotdata::Client::builder()
        .allow_unscoped(true)
        .api_key("test-key")
        .base_url(base_url)
        .build()
        .expect("client");
    let started = Instant::now();
    let err = client
        .result("res_1")
        .wait_timeout(Duration::from_secs(1))
        .await
        .expect_err("stalled");
    let waited = started.elapsed();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_read_that_runs_out_of_time_keeps_the_last_error_as_its_source() {
    let stub = Stub::start().await;
    stub.reply((0..200).map(|_| {
        Canned::json(503, json!({"message": "persistence unavailable", "status": 503})).header("retry-after", "0")
    }));
    let client = stub
        .builder()
        .retry(hotdata::RetryPolicy::none())
        .build()
        .expect("client");
    let err = client
        .result("res_1")
        .wait_timeout(Duration::from_millis(300))
        .await
        .expect_err("503s until the deadline");
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    let cause = std::error::Error::source(&err)
        .and_then(|s| s.downcast_ref::<Error>())
        .unwrap_or_else(|| panic!("no source: {err:?}"));
    assert_eq!(cause.status(), Some(503));
    assert!(err.to_string().contains("persistence unavailable"), "{err}");
    assert!(stub.count() > 1, "the 503s were polled through");
}

#[tokio::test]
async fn list_results_pages_lazily() {
    use hotdata::prelude::*;
    let stub = Stub::start().await;
    let item = |id: &str| json!({"id": id, "status": "ready", "created_at": "2026-05-01T00:00:00Z"});
    stub.reply([
        Canned::json(
            200,
            json!({"count": 1, "has_more": true, "limit": 1, "offset": 0, "results": [item("r1")]}),
        ),
        Canned::json(
            200,
            json!({"count": 1, "has_more": false, "limit": 1, "offset": 1, "results": [item("r2")]}),
        ),
    ]);
    let ids: Vec<String> = stub
        .client()
        .list_results()
        .limit(1)
        .stream()
        .map_ok(|r| r.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, ["r1", "r2"]);
}
