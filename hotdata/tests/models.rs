//! Properties of the generated models that hold for every instance of a
//! pattern, not one type: lossless row cells, open enums, tri-state request
//! fields.

mod support;

use hotdata::prelude::*;
use hotdata::types;
use hotdata::{Cell, Nullable};
use serde_json::json;
use support::{Canned, Stub};

const WIDE: &str = "99999999999999999999.99";
const BIG: &str = "12345678901234567890123";

// ---- lossless cells -------------------------------------------------------

#[tokio::test]
async fn get_result_keeps_wide_numbers_exactly() {
    let stub = Stub::start().await;
    let body = format!(
        r#"{{"result_id":"res_1","status":"ready","columns":["amount","id","name","ok","none","nested"],
            "nullable":[false,false,true,true,true,true],"row_count":1,
            "rows":[[{WIDE},{BIG},"a\"b",true,null,{{"k":[1,2.50]}}]]}}"#
    );
    stub.reply([Canned::raw(200, "application/json", body)]);
    let result = stub
        .client()
        .api()
        .get_result()
        .id("res_1")
        .send()
        .await
        .expect("ok")
        .into_inner();
    let rows = result.rows.expect("rows");
    let row = &rows[0];
    assert_eq!(row[0].json(), WIDE);
    assert_eq!(row[0].value().as_decimal_str(), Some(WIDE));
    assert_eq!(
        row[1].get::<u128>().expect("u128"),
        BIG.parse::<u128>().expect("parses")
    );
    assert_eq!(row[2].get::<String>().expect("string"), "a\"b");
    assert_eq!(row[2].value().as_str(), Some("a\"b"));
    assert!(row[3].get::<bool>().expect("bool"));
    assert!(row[4].is_null());
    assert_eq!(row[5].json(), r#"{"k":[1,2.50]}"#);
    // Serialising gives back the very same text.
    assert_eq!(
        serde_json::to_string(row).expect("serialises"),
        format!(r#"[{WIDE},{BIG},"a\"b",true,null,{{"k":[1,2.50]}}]"#)
    );
    assert_eq!(format!("{}", row[0]), WIDE);
}

#[test]
fn query_response_rows_round_trip_byte_for_byte() {
    let rows = format!(r#"[[{WIDE},-0.000000000000000000001,1e400],[null,"x",false]]"#);
    let text = format!(
        r#"{{"columns":["a","b","c"],"execution_time_ms":1,"nullable":[true,true,true],"query_run_id":"qrun_1","row_count":2,"rows":{rows}}}"#
    );
    let parsed: types::QueryResponse = serde_json::from_str(&text).expect("decodes");
    assert_eq!(parsed.rows[0][0].json(), WIDE);
    assert_eq!(parsed.rows[0][2].json(), "1e400");
    assert_eq!(serde_json::to_string(&parsed.rows).expect("serialises"), rows);
    // A cell made from a `serde_json::Value` or from text is the same cell.
    assert_eq!(Cell::from(json!(1)), Cell::from_json("1").expect("valid"));
    assert_eq!(parsed.rows[1], [json!(null), json!("x"), json!(false)]);
    assert!(Cell::from_json("1 2").is_err());
}

// ---- open enums -----------------------------------------------------------

/// Wire values no enum knows, some of them close to known ones.
fn unknown_variants_of(known: &str) -> Vec<String> {
    let mut out = vec![
        known.to_uppercase(),
        format!(" {known}"),
        format!("{known} "),
        format!("{known}_v2"),
        known.replace('_', "-"),
        String::new(),
        "other".to_owned(),
        "Other".to_owned(),
    ];
    // A few pseudo-random strings, reproducible.
    let mut rng = fastrand::Rng::with_seed(known.len() as u64);
    for _ in 0..16 {
        let len = rng.usize(1..12);
        out.push((0..len).map(|_| rng.alphanumeric().to_ascii_lowercase()).collect());
    }
    out
}

/// Checks one open enum over every known value and many unknown ones.
fn check_open_enum<T>(name: &str, known: &[&str])
where
    T: std::str::FromStr<Err = std::convert::Infallible>
        + for<'a> From<&'a str>
        + From<String>
        + serde::Serialize
        + serde::de::DeserializeOwned
        + std::fmt::Display
        + std::fmt::Debug
        + PartialEq
        + Clone,
    T: AsStr,
{
    assert!(!known.is_empty(), "{name} has no values");
    let known_values: Vec<T> = known.iter().map(|v| T::from(*v)).collect();
    for (value, parsed) in known.iter().zip(&known_values) {
        // Every way in gives the known variant.
        assert!(parsed.is_known(), "{name}: {value:?} decoded as Other");
        assert_eq!(parsed.as_str(), *value);
        assert_eq!(&value.parse::<T>().expect("infallible"), parsed);
        assert_eq!(&T::from((*value).to_owned()), parsed);
        let decoded: T = serde_json::from_value(json!(value)).expect("decodes");
        assert_eq!(&decoded, parsed);
        assert_eq!(serde_json::to_value(parsed).expect("encodes"), json!(value));
        assert_eq!(parsed.to_string(), *value);
    }
    // Distinct values are distinct variants.
    for (i, a) in known_values.iter().enumerate() {
        for (j, b) in known_values.iter().enumerate() {
            assert_eq!(i == j, a == b, "{name}: {a:?} vs {b:?}");
        }
    }
    let mut unknown: Vec<String> = known.iter().flat_map(|v| unknown_variants_of(v)).collect();
    unknown.retain(|u| !known.contains(&u.as_str()));
    for value in unknown {
        let parsed: T = serde_json::from_value(json!(value)).expect("an unknown value still decodes");
        assert!(!parsed.is_known(), "{name}: {value:?} decoded as a known variant");
        assert_eq!(parsed.as_str(), value);
        assert_eq!(serde_json::to_value(&parsed).expect("encodes"), json!(value));
        assert_eq!(value.parse::<T>().expect("infallible"), parsed);
        // `Other` never equals a known variant.
        assert!(known_values.iter().all(|k| k != &parsed), "{name}: {value:?}");
    }
}

/// What the generated enums offer beyond std traits.
trait AsStr {
    fn as_str(&self) -> &str;
    fn is_known(&self) -> bool;
}

/// Runs [`check_open_enum`] on each listed enum; the list must name every
/// open enum the generator emitted.
macro_rules! open_enums {
    ($($ty:ident),* $(,)?) => {
        $(
            impl AsStr for types::$ty {
                fn as_str(&self) -> &str {
                    types::$ty::as_str(self)
                }
                fn is_known(&self) -> bool {
                    types::$ty::is_known(self)
                }
            }
        )*

        #[test]
        fn every_open_enum_decodes_known_values_as_variants_and_keeps_unknown_ones() {
            let listed = [$(stringify!($ty)),*];
            assert_eq!(
                &listed[..],
                hotdata::generated::operations::OPEN_ENUMS,
                "list every open enum of the generated OPEN_ENUMS here, sorted"
            );
            $( check_open_enum::<types::$ty>(stringify!($ty), types::$ty::KNOWN); )*
        }
    };
}

open_enums!(
    DataFormat,
    DiscoveryStatus,
    EmbeddingProviderType,
    IndexStatus,
    IndexType,
    JobStatus,
    JobType,
    LoadMode,
    NullsPlacement,
    PartitionTransform,
    ProvisionStatus,
    QueryCategory,
    QueryRunStatus,
    ResultFormat,
    ResultStatus,
    SortDirection,
    SqlDialect,
    UploadChecksumAlgorithm,
    UploadMode,
    UploadStatus,
    VectorIndexAlgorithm,
    VectorMetric,
    VectorPrecision,
);

// ---- explicit null --------------------------------------------------------

#[tokio::test]
#[allow(deprecated)] // drives seed-era operations, still served by hotdata-local and older servers
async fn unpin_dataset_sends_an_explicit_null() {
    let stub = Stub::start().await;
    let dataset = json!({"id": "ds_1", "label": "sales", "latest_version": 2, "pinned_version": null,
                         "table_name": "sales", "updated_at": "2026-05-01T10:00:00Z"});
    stub.reply([Canned::json(200, dataset.clone()), Canned::json(200, dataset)]);
    let client = stub.client();
    let unpinned = client.unpin_dataset("ds_1").await.expect("ok");
    assert_eq!(unpinned.pinned_version, None);
    // Leaving the field unset leaves it out; `None` does too.
    client
        .update_dataset()
        .id("ds_1")
        .body_map(|b| b.label("sales".to_owned()).pinned_version(None::<i64>))
        .send()
        .await
        .expect("ok");
    let sent = stub.received();
    assert_eq!(sent[0].method, "PUT");
    assert_eq!(sent[0].path(), "/v1/datasets/ds_1");
    assert_eq!(sent[0].json(), json!({"pinned_version": null}));
    assert_eq!(sent[1].json(), json!({"label": "sales"}));
}

#[test]
fn nullable_fields_serialise_as_absent_null_or_value() {
    let body = |b: types::builder::UpdateDatasetRequest| {
        serde_json::to_value(types::UpdateDatasetRequest::try_from(b).expect("valid")).expect("encodes")
    };
    let b = types::UpdateDatasetRequest::builder;
    assert_eq!(body(b()), json!({}));
    assert_eq!(
        body(b().pinned_version(Nullable::Null)),
        json!({"pinned_version": null})
    );
    assert_eq!(body(b().pinned_version(3)), json!({"pinned_version": 3}));
    assert_eq!(body(b().pinned_version(Some(4))), json!({"pinned_version": 4}));
    assert_eq!(
        body(b().table_name(Nullable::<String>::Null)),
        json!({"table_name": null})
    );
}

/// With `serde-round-trip` (request models then decode too), decoding tells the three apart as well.
#[cfg(feature = "serde-round-trip")]
#[test]
fn nullable_fields_decode_as_absent_null_or_value() {
    let read = |v: serde_json::Value| -> types::UpdateDatasetRequest { serde_json::from_value(v).expect("decodes") };
    assert_eq!(read(json!({})).pinned_version, Nullable::Unset);
    assert_eq!(read(json!({"pinned_version": null})).pinned_version, Nullable::Null);
    assert_eq!(read(json!({"pinned_version": 5})).pinned_version, Nullable::Value(5));
}
