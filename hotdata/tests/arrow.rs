//! Arrow IPC results decoded off the socket (feature `arrow`).
#![cfg(feature = "arrow")]

mod support;

use std::sync::Arc;
use std::time::Duration;

use arrow_array::{Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use futures::TryStreamExt as _;
use hotdata::Error;
use support::{Canned, Stub};

fn ipc(batches: usize, rows: usize) -> Vec<u8> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("n", DataType::Int64, false),
        Field::new("s", DataType::Utf8, true),
    ]));
    let mut out = Vec::new();
    let mut w = arrow_ipc::writer::StreamWriter::try_new(&mut out, &schema).unwrap();
    for b in 0..batches {
        let start = (b * rows) as i64;
        let n = Int64Array::from_iter_values(start..start + rows as i64);
        let s = StringArray::from_iter((0..rows).map(|i| (i % 3 != 0).then(|| format!("v{i}"))));
        w.write(&RecordBatch::try_new(schema.clone(), vec![Arc::new(n), Arc::new(s)]).unwrap())
            .unwrap();
    }
    w.finish().unwrap();
    drop(w);
    out
}

fn arrow_reply(body: Vec<u8>) -> Canned {
    Canned::raw(200, "application/vnd.apache.arrow.stream", body)
}

#[tokio::test]
async fn batches_stream_in_order() {
    let stub = Stub::start().await;
    stub.reply([arrow_reply(ipc(3, 1000))]);
    let batches = stub.client().result("res_1").limit(3000).arrow_collect().await.unwrap();
    assert_eq!(batches.len(), 3);
    let total: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(total, 3000);
    let last = batches[2].column(0).as_any().downcast_ref::<Int64Array>().unwrap();
    assert_eq!(last.value(999), 2999);
    assert_eq!(batches[0].schema().field(1).name(), "s");
    let r = stub.only();
    assert_eq!(r.path(), "/v1/results/res_1");
    assert_eq!(r.query(), "format=arrow&limit=3000");
    assert_eq!(r.header("accept"), Some("application/vnd.apache.arrow.stream"));
}

#[tokio::test]
async fn pending_then_ready_and_not_ready() {
    let stub = Stub::start().await;
    let mut pending = Canned::json(202, serde_json::json!({"result_id": "res_1", "status": "processing"}));
    pending.headers.push(("retry-after".into(), "0".into()));
    stub.reply([pending.clone(), arrow_reply(ipc(1, 10))]);
    let mut stream = stub.client().result("res_1").arrow_stream().await.unwrap();
    assert_eq!(stream.try_next().await.unwrap().unwrap().num_rows(), 10);
    assert!(stream.try_next().await.unwrap().is_none());

    stub.reply([pending]);
    let err = stub
        .client()
        .result("res_1")
        .wait_timeout(Duration::ZERO)
        .arrow_stream()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
}

#[tokio::test]
async fn truncated_and_garbage_streams_are_decode_errors() {
    let stub = Stub::start().await;
    let mut body = ipc(2, 100);
    body.truncate(body.len() - 50);
    stub.reply([
        arrow_reply(body),
        arrow_reply(b"this is not arrow at all, just text".to_vec()),
    ]);
    let client = stub.client();
    let err = client.result("res_1").arrow_collect().await.unwrap_err();
    assert!(matches!(err, Error::Decode(_)), "{err:?}");
    let err = client.result("res_1").arrow_collect().await.unwrap_err();
    assert!(matches!(err, Error::Decode(_)), "{err:?}");
}
