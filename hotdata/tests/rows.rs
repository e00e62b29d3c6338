//! Queries and lossless rows against a loopback stub.

mod support;

use std::time::Duration;

use hotdata::{Error, QueryOutcome, Value};
use serde_json::json;
use support::{Canned, Stub};

/// A body whose numbers JSON floats cannot hold.
const EXACT: &str = r#"{"columns":["id","amount","label","flag"],"nullable":[false,true,true,false],
"rows":[[18446744073709551615,99999999999999999999.99,"caf\u00e9 \"x\"",true],
        [-9223372036854775808,null,"plain",false],
        [123456789012345678901234567890,0.10,null,true]],
"row_count":3,"execution_time_ms":4,"query_run_id":"qrun_1","result_id":"res_1","warning":null}"#;

fn raw(status: u16, body: &str) -> Canned {
    Canned::raw(status, "application/json", body.as_bytes())
}

#[tokio::test]
async fn query_returns_exact_decimals_and_wide_integers() {
    let stub = Stub::start().await;
    stub.reply([raw(200, EXACT)]);
    let rows = stub
        .client()
        .query("SELECT * FROM t")
        .database("db_1")
        .default_schema("public")
        .await
        .expect("rows");

    let r = stub.only();
    assert_eq!((r.method.as_str(), r.path()), ("POST", "/v1/query"));
    assert_eq!(r.header("x-database-id"), Some("db_1"));
    assert_eq!(r.json(), json!({"sql": "SELECT * FROM t", "default_schema": "public"}));

    assert_eq!(rows.len(), 3);
    assert_eq!(rows.query_run_id(), Some("qrun_1"));
    assert_eq!(rows.result_id(), Some("res_1"));
    assert_eq!(rows.execution_time_ms(), Some(4));
    let names: Vec<&str> = rows.columns().iter().map(|c| c.name()).collect();
    assert_eq!(names, ["id", "amount", "label", "flag"]);
    assert_eq!(rows.columns()[1].nullable(), Some(true));

    let first = rows.row(0).unwrap();
    assert_eq!(first.get::<u64>("id").unwrap(), u64::MAX);
    assert_eq!(first.get::<String>("amount").unwrap(), "99999999999999999999.99");
    assert_eq!(first.value("amount"), Some(Value::Number("99999999999999999999.99")));
    assert_eq!(first.raw(1), Some("99999999999999999999.99"));
    assert_eq!(first.get::<String>(2).unwrap(), "café \"x\"");
    assert_eq!(first.get::<&str>("flag").ok(), None, "a bool is not a string");
    assert!(first.get::<bool>("flag").unwrap());

    let second = rows.row(1).unwrap();
    assert_eq!(second.get::<i64>("id").unwrap(), i64::MIN);
    assert_eq!(second.get::<Option<String>>("amount").unwrap(), None);
    assert_eq!(
        second.get::<&str>("label").unwrap(),
        "plain",
        "unescaped strings are borrowed"
    );

    let third = rows.row(2).unwrap();
    assert_eq!(third.get::<u128>("id").unwrap(), 123456789012345678901234567890);
    assert_eq!(
        third.value("id").unwrap().as_decimal_str(),
        Some("123456789012345678901234567890")
    );
    assert_eq!(third.get::<String>("amount").unwrap(), "0.10", "trailing zeros kept");

    // A value that does not fit is an error with the cell's path, not a wrap.
    match third.get::<i64>("id").unwrap_err() {
        Error::Decode(d) => {
            assert_eq!(d.path, "rows[2][0]");
            assert!(d.message.contains("`id`"), "{}", d.message);
            assert!(d.body_excerpt.contains("1234567890"), "{}", d.body_excerpt);
        }
        other => panic!("{other:?}"),
    }
    // Unknown columns are an argument error.
    assert!(matches!(third.get::<i64>("nope"), Err(Error::InvalidArgument { .. })));
}

#[tokio::test]
async fn rows_as_maps_columns_to_fields_by_name() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Line {
        flag: bool,
        amount: Option<String>,
        id: i128,
        label: Option<String>,
    }
    let rows = hotdata::Rows::from_json(EXACT.as_bytes().to_vec()).unwrap();
    let lines: Vec<Line> = rows.rows_as().unwrap();
    assert_eq!(
        lines[0],
        Line {
            flag: true,
            amount: Some("99999999999999999999.99".into()),
            id: u64::MAX as i128,
            label: Some("café \"x\"".into()),
        }
    );
    assert_eq!(lines[1].amount, None);
    assert_eq!(lines[2].label, None);

    // Tuples take cells by position; borrowing works through iter_as.
    let tuples: Vec<(String, Option<String>)> = rows
        .iter_as::<(String, Option<String>, Option<String>, bool)>()
        .map(|r| r.map(|(id, _, label, _)| (id, label)))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(tuples[0].0, "18446744073709551615");

    // A field that does not fit names the row and column.
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Narrow {
        id: i64,
    }
    match rows.rows_as::<Narrow>().unwrap_err() {
        Error::Decode(d) => assert_eq!(d.path, "rows[0][0]"),
        other => panic!("{other:?}"),
    }
    // A missing column names the row.
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Missing {
        nope: i64,
    }
    match rows.rows_as::<Missing>().unwrap_err() {
        Error::Decode(d) => {
            assert_eq!(d.path, "rows[0]");
            assert!(d.message.contains("nope"), "{}", d.message);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn iteration_borrows_and_values_print_exactly() {
    let rows = hotdata::Rows::from_json(EXACT.as_bytes().to_vec()).unwrap();
    let texts: Vec<String> = rows
        .iter()
        .map(|r| r.values().map(|v| v.to_string()).collect::<Vec<_>>().join("|"))
        .collect();
    assert_eq!(texts[0], "18446744073709551615|99999999999999999999.99|café \"x\"|true");
    assert_eq!(texts[1], "-9223372036854775808|null|plain|false");
    assert_eq!(rows.iter().len(), 3);
    assert_eq!(rows.iter().next_back().unwrap().index(), 2);
}

fn decode_error(body: &str) -> hotdata::DecodeError {
    match hotdata::Rows::from_json(body.as_bytes().to_vec()) {
        Err(Error::Decode(d)) => *d,
        other => panic!("expected a decode error for {body:?}, got {other:?}"),
    }
}

#[test]
fn malformed_and_truncated_bodies_name_the_path() {
    let cases = [
        (r#"{"columns":["a","b"],"rows":[[1,2],[3,4],[5,6],[7,"#, "rows[3][1]"),
        (
            r#"{"columns":["a","b"],"rows":[[1,2],[3,4],[5,6],[7,x]]}"#,
            "rows[3][1]",
        ),
        (r#"{"columns":["a","b"],"rows":[[1,2],[3]]}"#, "rows[1]"),
        (r#"{"columns":["a","b"],"rows":[[1,2],{"a":1}]}"#, "rows[1]"),
        (r#"{"columns":["a"],"rows":[[1,2]]}"#, "rows[0]"),
        (r#"{"columns":["a",3],"rows":[]}"#, "columns"),
        (r#"{"columns":["a"],"nullable":[true,false],"rows":[]}"#, "nullable"),
        (r#"{"rows":[[1]]}"#, "columns"),
        (r#"[1,2]"#, ""),
        (r#"{"columns":["a"],"rows":[[1]]} trailing"#, ""),
        ("", ""),
    ];
    for (body, path) in cases {
        let d = decode_error(body);
        assert_eq!(d.path, path, "{body:?}: {}", d.message);
        assert!(!d.message.is_empty());
    }
    let d = decode_error(r#"{"columns":["a","b"],"rows":[[1,2],[3,4],[5,6],[7,"#);
    assert!(d.body_excerpt.starts_with(r#"{"columns""#), "{}", d.body_excerpt);
    // Invalid UTF-8 is a decode error too.
    assert!(matches!(
        hotdata::Rows::from_json(vec![b'{', 0xff, b'}']),
        Err(Error::Decode(_))
    ));
}

#[test]
fn errors_deep_in_a_large_body_quote_the_surroundings() {
    let mut body = String::from(r#"{"columns":["a"],"rows":["#);
    for i in 0..10_000 {
        body.push_str(&format!("[{i}],"));
    }
    body.push_str("[oops]]}");
    let d = decode_error(&body);
    assert_eq!(d.path, "rows[10000][0]");
    assert!(d.body_excerpt.contains("oops"), "{}", d.body_excerpt);
}

#[tokio::test]
async fn truncated_http_body_is_a_decode_error() {
    let stub = Stub::start().await;
    stub.reply([raw(200, r#"{"columns":["a"],"rows":[[1],[2"#)]);
    match stub.client().query("SELECT a").rows().await {
        Err(Error::Decode(d)) => {
            // The body ends where the row's second cell (or its `]`) should be.
            assert_eq!(d.path, "rows[1][1]");
            assert_eq!(d.status, Some(200));
            assert_eq!(d.operation, "query");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn submit_returns_the_run_without_waiting() {
    let stub = Stub::start().await;
    stub.reply([Canned::json(
        202,
        json!({"query_run_id": "qrun_9", "status": "running", "status_url": "/v1/query-runs/qrun_9"}),
    )]);
    let run = stub.client().query("SELECT 1").submit().await.expect("run");
    assert_eq!(run.id(), "qrun_9");
    assert_eq!(stub.only().json(), json!({"sql": "SELECT 1", "async": true}));
}

#[tokio::test]
async fn async_after_gives_rows_or_a_run() {
    let stub = Stub::start().await;
    stub.reply([
        raw(200, EXACT),
        Canned::json(
            202,
            json!({"query_run_id": "qrun_2", "status": "running", "status_url": "/v1/query-runs/qrun_2"}),
        ),
    ]);
    let client = stub.client();
    match client.query("q1").async_after(Duration::from_secs(3)).await.unwrap() {
        QueryOutcome::Rows(rows) => assert_eq!(rows.len(), 3),
        other => panic!("{other:?}"),
    }
    match client
        .query("q2")
        .async_after(Duration::from_millis(1000))
        .await
        .unwrap()
    {
        QueryOutcome::Running(run) => assert_eq!(run.id(), "qrun_2"),
        other => panic!("{other:?}"),
    }
    let sent: Vec<_> = stub.received().iter().map(|r| r.json()).collect();
    assert_eq!(sent[0], json!({"sql": "q1", "async": true, "async_after_ms": 3000}));
    assert_eq!(sent[1], json!({"sql": "q2", "async": true, "async_after_ms": 1000}));
}

#[tokio::test]
async fn async_after_under_a_second_is_refused_before_sending() {
    let stub = Stub::start().await;
    let err = stub
        .client()
        .query("SELECT 1")
        .async_after(Duration::from_millis(999))
        .await
        .unwrap_err();
    match &err {
        Error::InvalidArgument { argument, .. } => assert_eq!(argument, "async_after"),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("1000 ms"), "{err}");
    assert!(stub.received().is_empty(), "nothing may reach the wire");
}

#[tokio::test]
async fn api_errors_keep_their_details() {
    let stub = Stub::start().await;
    stub.reply([Canned::raw(
        400,
        "application/json",
        br#"{"error":{"code":"BAD_SQL","message":"syntax error at 'SELEC'"}}"#.as_slice(),
    )
    .header("x-request-id", "req_7")]);
    let err = stub.client().query("SELEC 1").await.unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.code(), Some("BAD_SQL"));
    assert_eq!(err.request_id(), Some("req_7"));
    assert_eq!(err.operation(), Some("query"));
}
