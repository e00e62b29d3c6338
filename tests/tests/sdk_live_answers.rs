//! End to end through the `hotdata` SDK, against the live contract: database scope on queries, runs and results
//! (set per client or per call, inherited by what follows a query, refused before sending when missing);
//! complete answers (a truncated preview followed to every row in Arrow and in CSV, under typed guards);
//! results streamed in one response whatever the page order; Arrow straight from a query; downloads.

mod sdk;

use std::time::Duration;

use futures::TryStreamExt as _;
use hotdata::prelude::*;
use hotdata::{Error, Guard, ResultLimits, StreamedFormat};
use hotdata_local::{Config, Fault};
use sdk::{Sdk, builder};

async fn live(config: Config) -> Sdk {
    Sdk::live(config).await
}

async fn database(sdk: &Sdk, name: &str) -> String {
    sdk.database(name).await
}

/// A client whose default database is `db`, reading whole results in `format`.
fn client(sdk: &Sdk, db: &str, format: StreamedFormat) -> hotdata::Client {
    builder(&sdk.server)
        .database_id(db)
        .streamed_format(format)
        .build()
        .expect("client builds")
}

fn ints(rows: &hotdata::Rows, col: usize) -> Vec<i64> {
    rows.iter().map(|r| r.get::<i64>(col).expect("integer")).collect()
}

/// 1,000 rows: an integer, a decimal, a text, a nullable text (NULL on every 7th row) and a boolean.
const WIDE: &str = "SELECT g AS n, CAST(g AS DECIMAL(20, 2)) / 4 AS quarter, 'row, \"' || g || '\"' AS label, \
                    CASE WHEN g % 7 = 0 THEN NULL ELSE 'x' || g END AS maybe, g % 2 = 0 AS even \
                    FROM generate_series(1, 1000) AS t(g) ORDER BY g";

#[tokio::test]
async fn scoped_calls_without_a_database_are_refused_before_sending() {
    let sdk = live(Config::default()).await;
    let bare = builder(&sdk.server).build().unwrap();
    let before = sdk.server.hits("query");
    for err in [
        bare.query("SELECT 1").await.unwrap_err(),
        bare.query("SELECT 1").preview().await.unwrap_err(),
        bare.result("res_x").await.unwrap_err(),
        bare.query_run("qrun_x").get().await.unwrap_err(),
        bare.execute_saved_query("sq_x").await.unwrap_err(),
    ] {
        match &err {
            Error::InvalidArgument { argument, message, .. } => {
                assert_eq!(argument, "database");
                assert!(
                    message.contains(".database(id)") && message.contains("HOTDATA_DATABASE"),
                    "{message}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(sdk.server.hits("query"), before, "nothing was sent");
    assert_eq!(sdk.server.hits("get_result") + sdk.server.hits("get_query_run"), 0);
    sdk.finish();
}

#[tokio::test]
async fn follow_ups_inherit_the_scope_of_the_query_they_follow() {
    let sdk = live(Config::default()).await;
    let a = database(&sdk, "a").await;
    let b = database(&sdk, "b").await;
    let in_a = client(&sdk, &a, StreamedFormat::default());

    // The default database: the query, its rows, and reads of its result.
    let rows = in_a.query("SELECT 41 + 1 AS n").await.unwrap();
    assert_eq!((ints(&rows, 0), rows.database_id()), (vec![42], Some(a.as_str())));
    assert_eq!(ints(&in_a.result(rows.result_id().unwrap()).await.unwrap(), 0), [42]);

    // A per-call database wins, and the run and result that follow go there too: database a knows neither.
    let run = in_a.query("SELECT 7 AS n").database(&b).submit().await.unwrap();
    assert_eq!(run.database_id(), Some(b.as_str()));
    let all = run.rows().await.unwrap();
    assert_eq!(ints(&all, 0), [7]);
    let result_id = run.get().await.unwrap().result_id.unwrap();
    let err = in_a.result(&result_id).await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");
    let err = in_a.query_run(run.id()).get().await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");
    assert_eq!(ints(&in_a.result(&result_id).database(&b).await.unwrap(), 0), [7]);
    sdk.finish();
}

#[tokio::test]
async fn a_truncated_answer_is_followed_to_every_row_in_arrow_and_in_csv() {
    let sdk = live(Config {
        preview_rows: 100,
        result_ready_delay: Duration::from_millis(300),
        ..Config::default()
    })
    .await;
    let a = database(&sdk, "a").await;
    for format in [StreamedFormat::Arrow, StreamedFormat::Csv] {
        let in_a = client(&sdk, &a, format);
        let preview = in_a.query(WIDE).preview().await.unwrap();
        assert!(preview.is_truncated(), "{format:?}");
        assert_eq!((preview.len(), preview.preview_row_count()), (100, Some(100)));

        let before = sdk.server.hits("get_result");
        let rows = in_a.query(WIDE).await.unwrap();
        assert!(sdk.server.hits("get_result") > before, "the stored result was read");
        assert!(!rows.is_truncated());
        assert_eq!((rows.len(), rows.total_row_count()), (1000, Some(1000)), "{format:?}");
        assert_eq!(rows.database_id(), Some(a.as_str()));
        // Row for row what the stored result holds as JSON, cell text included.
        let json = in_a.result(rows.result_id().unwrap()).await.unwrap();
        for (got, want) in rows.iter().zip(json.iter()) {
            let got: Vec<String> = got.values().map(|v| format!("{v:?}")).collect();
            let want: Vec<String> = want.values().map(|v| format!("{v:?}")).collect();
            assert_eq!(got, want, "{format:?}");
        }
        let third = rows.row(2).unwrap();
        assert_eq!(
            third.get::<String>("quarter").unwrap(),
            "0.750000",
            "a decimal keeps its scale"
        );
        assert_eq!(third.get::<String>("label").unwrap(), "row, \"3\"");
        assert_eq!(rows.row(6).unwrap().get::<Option<String>>("maybe").unwrap(), None);
        assert!(rows.row(1).unwrap().get::<bool>("even").unwrap());
        assert_eq!(ints(&rows, 0), (1..=1000).collect::<Vec<_>>());
    }
    sdk.finish();
}

#[tokio::test]
async fn guards_stop_a_follow_with_a_typed_error_and_no_rows() {
    let sdk = live(Config {
        preview_rows: 100,
        ..Config::default()
    })
    .await;
    let a = database(&sdk, "a").await;
    for format in [StreamedFormat::Arrow, StreamedFormat::Csv] {
        let in_a = builder(&sdk.server)
            .database_id(&a)
            .streamed_format(format)
            .result_limits(ResultLimits::default().max_rows(500))
            .build()
            .unwrap();
        let big = match in_a.query(WIDE).await.unwrap_err() {
            Error::TooLarge(big) => big,
            other => panic!("{other:?}"),
        };
        assert_eq!((big.guard, big.limit), (Guard::Rows, 500));
        assert!(big.reached > 500, "{big:?}");
        assert!(big.result_id.is_some());
        let text = Error::TooLarge(big).to_string();
        assert!(text.contains("max_rows") && text.contains("500"), "{text}");

        // Per call: a byte guard, and lifting the guards.
        let err = in_a
            .query(WIDE)
            .limits(ResultLimits::unlimited().max_bytes(4096))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::TooLarge(b) if b.guard == Guard::Bytes && b.reached > 4096),
            "{err:?}"
        );
        let rows = in_a.query(WIDE).limits(ResultLimits::unlimited()).await.unwrap();
        assert_eq!(rows.len(), 1000);
    }
    sdk.finish();
}

#[tokio::test]
async fn a_result_streams_in_one_response_whatever_the_page_order() {
    let sdk = live(Config::default()).await;
    let a = database(&sdk, "a").await;
    for format in [StreamedFormat::Arrow, StreamedFormat::Csv] {
        let in_a = client(&sdk, &a, format);
        let rows = in_a
            .query("SELECT g AS n, 'v' || g AS v FROM generate_series(1, 5000) AS t(g) ORDER BY g")
            .await
            .unwrap();
        let id = rows.result_id().unwrap().to_owned();
        // Pages come in no guaranteed order: a stream does not page.
        sdk.server.faults().push_for("/v1/results", Fault::UnorderedPages, 1);
        let _ = in_a.result(&id).limit(10).await.unwrap();
        let before = sdk.server.hits("get_result");
        let streamed: Vec<i64> = in_a
            .result(&id)
            .stream()
            .map_ok(|row| row.get::<i64>("n").unwrap())
            .try_collect()
            .await
            .unwrap();
        assert_eq!(streamed, (1..=5000).collect::<Vec<_>>(), "{format:?}");
        let requests = sdk.server.hits("get_result") - before;
        let expected = if format == StreamedFormat::Csv { 2 } else { 1 };
        assert_eq!(requests, expected, "one streamed read (CSV adds a small typed sample)");

        #[derive(serde::Deserialize)]
        struct Line {
            n: u32,
            v: String,
        }
        let typed: Vec<Line> = in_a.result(&id).stream_as::<Line>().try_collect().await.unwrap();
        assert_eq!(typed.len(), 5000);
        assert!(typed.iter().all(|l| l.v == format!("v{}", l.n)));
    }
    sdk.finish();
}

#[tokio::test]
async fn a_json_read_over_the_server_budget_switches_to_a_streamed_format() {
    let sdk = live(Config {
        json_fetch_budget_bytes: 4096,
        ..Config::default()
    })
    .await;
    let a = database(&sdk, "a").await;
    let in_a = client(&sdk, &a, StreamedFormat::default());
    let rows = in_a
        .query("SELECT g AS n FROM generate_series(1, 10000) AS t(g) ORDER BY g")
        .await
        .unwrap();
    let id = rows.result_id().unwrap().to_owned();
    let raw = in_a
        .api()
        .get_result()
        .id(&id)
        .x_database_id(&a)
        .send()
        .await
        .unwrap_err();
    assert_eq!((raw.status(), raw.code()), (Some(413), Some("RESULT_TOO_LARGE")));
    let all = in_a.result(&id).await.unwrap();
    assert_eq!(ints(&all, 0), (1..=10000).collect::<Vec<_>>());
    sdk.finish();
}

#[tokio::test]
async fn arrow_queries_decode_off_the_socket_or_follow_a_202() {
    let sdk = live(Config {
        preview_rows: 100,
        ..Config::default()
    })
    .await;
    let a = database(&sdk, "a").await;
    let in_a = client(&sdk, &a, StreamedFormat::default());
    let before = sdk.server.hits("get_result");
    let small = in_a
        .query("SELECT g AS n FROM generate_series(1, 50) AS t(g) ORDER BY g")
        .arrow()
        .await
        .unwrap();
    assert_eq!(small.total_row_count(), Some(50));
    assert!(small.query_run_id().unwrap().starts_with("qrun"));
    assert!(small.execution_time_ms().is_some());
    assert_eq!(small.database_id(), Some(a.as_str()));
    let batches = small.collect().await.unwrap();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 50);
    assert_eq!(sdk.server.hits("get_result"), before, "a 200 is the stream itself");

    let big = in_a
        .query("SELECT g AS n FROM generate_series(1, 500) AS t(g) ORDER BY g")
        .arrow()
        .await
        .unwrap();
    assert!(big.result_id().is_some());
    assert_eq!(big.total_row_count(), Some(500));
    let batches = big.collect().await.unwrap();
    let mut n = Vec::new();
    for b in &batches {
        let col = b
            .column(0)
            .as_any()
            .downcast_ref::<datafusion::arrow::array::Int64Array>()
            .unwrap();
        n.extend(col.values().iter().copied());
    }
    assert_eq!(
        n,
        (1..=500).collect::<Vec<i64>>(),
        "the 202 was followed to the stored result"
    );
    sdk.finish();
}

#[tokio::test]
async fn downloads_write_every_format_as_it_arrives() {
    let sdk = live(Config::default()).await;
    let a = database(&sdk, "a").await;
    let in_a = client(&sdk, &a, StreamedFormat::default());
    let rows = in_a
        .query("SELECT g AS n FROM generate_series(1, 2000) AS t(g) ORDER BY g")
        .await
        .unwrap();
    let id = rows.result_id().unwrap().to_owned();
    use hotdata::types::ResultFormat;
    let mut csv = Vec::new();
    let done = in_a.result(&id).download(ResultFormat::Csv, &mut csv).await.unwrap();
    assert_eq!(done.bytes, csv.len() as u64);
    assert_eq!(done.total_row_count, Some(2000));
    let text = String::from_utf8(csv).unwrap();
    assert_eq!(text.lines().count(), 2001);
    assert_eq!(text.lines().nth(2000), Some("2000"));

    let mut parquet = Vec::new();
    in_a.result(&id)
        .download(ResultFormat::Parquet, &mut parquet)
        .await
        .unwrap();
    assert!(parquet.starts_with(b"PAR1") && parquet.ends_with(b"PAR1"));

    let mut md = Vec::new();
    in_a.result(&id).download(ResultFormat::Md, &mut md).await.unwrap();
    assert!(String::from_utf8(md).unwrap().starts_with("| n |"));

    let mut file = tokio::fs::File::create(sdk.server.data_dir().join("out.arrow"))
        .await
        .unwrap();
    let done = in_a.result(&id).download(ResultFormat::Arrow, &mut file).await.unwrap();
    assert!(done.bytes > 2000 * 8);

    let err = in_a
        .result(&id)
        .download(ResultFormat::from("xml"), &mut Vec::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    sdk.finish();
}
