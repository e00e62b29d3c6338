//! The bearer provider: asked before every attempt, retries included, each
//! attempt carrying the token returned for it; a failure typed, final and
//! sent nowhere; a fixed key and a provider never both. Storage `PUT`s never
//! ask it (`presigned.rs`); it never shows in logs or `Debug` (`secrets.rs`).

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use hotdata::prelude::*;
use hotdata::{BearerProvider, BearerToken, BoxError, Error};
use serde_json::json;
use support::{Canned, Stub};

/// Hands out `tok-1`, `tok-2`, ... and counts how often it was asked; keeps
/// the tokens the server refused.
#[derive(Clone, Default)]
struct Numbered {
    asked: Arc<AtomicUsize>,
    rejected: Arc<std::sync::Mutex<Vec<BearerToken>>>,
}

impl Numbered {
    fn asked(&self) -> usize {
        self.asked.load(Ordering::SeqCst)
    }
}

impl BearerProvider for Numbered {
    async fn bearer_token(&self) -> Result<BearerToken, BoxError> {
        let n = self.asked.fetch_add(1, Ordering::SeqCst) + 1;
        // A real provider may wait on the network here.
        tokio::task::yield_now().await;
        Ok(BearerToken::new(format!("tok-{n}")))
    }

    fn token_rejected(&self, token: &BearerToken) {
        self.rejected.lock().expect("lock").push(token.clone());
    }
}

fn with_provider(stub: &Stub, provider: impl BearerProvider) -> hotdata::Client {
    hotdata::Client::builder()
        .bearer_provider(provider)
        .workspace_id("ws_test")
        // Queries are scoped to a database.
        .database_id("db_test")
        .base_url(&stub.base_url)
        .retry(support::fast_retries())
        .build()
        .expect("client")
}

fn bearers(stub: &Stub) -> Vec<String> {
    stub.received()
        .iter()
        .map(|r| r.header("authorization").unwrap_or("<none>").to_owned())
        .collect()
}

fn jobs_page() -> Canned {
    Canned::json(200, json!({"jobs": []}))
}

fn busy() -> Canned {
    Canned::json(503, json!({"message": "busy", "status": 503}))
}

#[tokio::test]
async fn every_attempt_asks_the_provider_and_carries_its_token() {
    let stub = Stub::start().await;
    let provider = Numbered::default();
    let client = with_provider(&stub, provider.clone());
    // A generated operation: a 503, a reset connection, then success.
    stub.reply([busy(), Canned::reset(), jobs_page()]);
    client.list_jobs().send().await.expect("third attempt succeeds");
    assert_eq!(provider.asked(), 3, "once per attempt");
    assert_eq!(bearers(&stub), ["Bearer tok-1", "Bearer tok-2", "Bearer tok-3"]);

    // A hand-written flow (the query POST), refused once with 429.
    stub.reply([
        Canned::json(429, json!({"message": "slow down", "status": 429})).header("retry-after", "0"),
        Canned::json(
            200,
            json!({"columns": ["ok"], "rows": [[1]], "row_count": 1, "execution_time_ms": 1,
                   "query_run_id": "qr_1", "result_id": null, "nullable": [false]}),
        ),
    ]);
    let rows = client.query("SELECT 1 AS ok").rows().await.expect("rows");
    assert_eq!(rows.len(), 1);
    assert_eq!(provider.asked(), 5);
    assert_eq!(&bearers(&stub)[3..], ["Bearer tok-4", "Bearer tok-5"]);
}

fn unauthorized() -> Canned {
    Canned::json(401, json!({"message": "token expired", "status": 401}))
}

#[tokio::test]
async fn a_refused_token_is_reported_and_replaced_once_per_call() {
    let stub = Stub::start().await;
    let provider = Numbered::default();
    let client = with_provider(&stub, provider.clone());
    // A GET: refused, then sent again at once with the next token.
    stub.reply([unauthorized(), jobs_page()]);
    client.list_jobs().send().await.expect("the fresh token is accepted");
    assert_eq!(bearers(&stub), ["Bearer tok-1", "Bearer tok-2"]);
    assert_eq!(*provider.rejected.lock().unwrap(), [BearerToken::new("tok-1")]);

    // A POST without an idempotency key too: a 401 was not acted on.
    stub.reply([
        unauthorized(),
        Canned::json(
            200,
            json!({"columns": ["ok"], "rows": [[1]], "row_count": 1, "execution_time_ms": 1,
                   "query_run_id": "qr_1", "result_id": null, "nullable": [false]}),
        ),
    ]);
    client.query("SELECT 1 AS ok").rows().await.expect("rows");
    assert_eq!(&bearers(&stub)[2..], ["Bearer tok-3", "Bearer tok-4"]);

    // Only once per call: a second 401 is the answer, even after a 503 in
    // between (a fourth attempt would meet the stub's default `{}`).
    stub.reply([unauthorized(), busy(), unauthorized()]);
    let err = client.list_jobs().send().await.expect_err("refused twice");
    assert_eq!(err.status(), Some(401));
    assert_eq!(&bearers(&stub)[4..], ["Bearer tok-5", "Bearer tok-6", "Bearer tok-7"]);
    assert_eq!(provider.rejected.lock().unwrap().len(), 3);
    let leftover = stub.count();

    // No retries wanted: no retry after a 401 either.
    stub.reply([unauthorized(), jobs_page()]);
    let err = client
        .with_retry(hotdata::RetryPolicy::none())
        .list_jobs()
        .send()
        .await
        .expect_err("not retried");
    assert_eq!(err.status(), Some(401));
    assert_eq!(stub.count(), leftover + 1);
}

#[tokio::test]
async fn a_fixed_key_is_not_sent_again_after_a_401() {
    let stub = Stub::start().await;
    stub.reply([unauthorized(), jobs_page()]);
    let err = stub.client().list_jobs().send().await.expect_err("401");
    assert_eq!(err.status(), Some(401));
    assert_eq!(stub.count(), 1);
}

#[tokio::test]
async fn a_closure_is_a_provider_and_a_fixed_key_is_sent_unchanged() {
    let stub = Stub::start().await;
    let asked = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&asked);
    let client = with_provider(&stub, move || {
        let n = count.fetch_add(1, Ordering::SeqCst) + 1;
        async move { Ok::<_, std::io::Error>(format!("closure-{n}")) }
    });
    stub.reply([busy(), jobs_page()]);
    client.list_jobs().send().await.expect("retried");
    assert_eq!(asked.load(Ordering::SeqCst), 2);
    assert_eq!(bearers(&stub), ["Bearer closure-1", "Bearer closure-2"]);

    // The fixed key: the same header on every attempt.
    let stub = Stub::start().await;
    stub.reply([busy(), Canned::reset(), jobs_page()]);
    stub.client().list_jobs().send().await.expect("retried");
    assert_eq!(bearers(&stub), ["Bearer test-key"; 3]);
}

#[derive(Debug)]
struct Down;

impl std::fmt::Display for Down {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("identity service down")
    }
}

impl std::error::Error for Down {}

#[tokio::test]
async fn a_provider_error_is_typed_final_and_nothing_is_sent() {
    let stub = Stub::start().await;
    let asked = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&asked);
    let client = with_provider(&stub, move || {
        count.fetch_add(1, Ordering::SeqCst);
        async { Err::<String, _>(Down) }
    });
    let err = client.list_jobs().send().await.expect_err("no token");
    let Error::Credentials { operation, source } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(operation, "list_jobs");
    assert!(source.downcast_ref::<Down>().is_some(), "{source:?}");
    assert!(err.to_string().contains("identity service down"), "{err}");
    assert!(!err.is_retryable());
    assert_eq!(err.operation(), Some("list_jobs"));
    assert_eq!(asked.load(Ordering::SeqCst), 1, "asked once, not retried");
    // The hand-written path reports it the same way.
    let err = client.query("SELECT 1").rows().await.expect_err("no token");
    assert!(
        matches!(&err, Error::Credentials { operation, .. } if operation == "query"),
        "{err:?}"
    );
    assert_eq!(stub.count(), 0, "nothing reached the server");
}

#[tokio::test]
async fn a_provider_that_fails_before_a_retry_ends_the_call_there() {
    let stub = Stub::start().await;
    let asked = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&asked);
    let client = with_provider(&stub, move || {
        let n = count.fetch_add(1, Ordering::SeqCst);
        async move {
            if n == 0 {
                Ok("first".to_owned())
            } else {
                Err(BoxError::from("token endpoint said no"))
            }
        }
    });
    stub.reply([busy(), jobs_page()]);
    let err = client.list_jobs().send().await.expect_err("the retry has no token");
    assert!(matches!(err, Error::Credentials { .. }), "{err:?}");
    assert_eq!(asked.load(Ordering::SeqCst), 2);
    assert_eq!(bearers(&stub), ["Bearer first"], "the retry was never sent");
}

#[tokio::test]
async fn a_token_that_cannot_be_sent_is_refused_without_showing_it() {
    let stub = Stub::start().await;
    for bad in ["", "tok-\r\nx-injected: 1"] {
        let client = with_provider(&stub, move || async move { Ok::<_, BoxError>(bad) });
        let err = client.list_jobs().send().await.expect_err("unsendable");
        assert!(matches!(err, Error::Credentials { .. }), "{err:?}");
        let text = format!("{err} {err:?}");
        assert!(!text.contains("tok-") && !text.contains("injected"), "{text}");
    }
    assert_eq!(stub.count(), 0);
}

#[test]
fn exactly_one_credential_is_required() {
    let err = hotdata::Client::builder()
        .api_key("k")
        .bearer_provider(|| async { Ok::<_, BoxError>("t") })
        .build()
        .expect_err("both");
    assert!(matches!(err, Error::Config { .. }), "{err:?}");
    assert!(err.to_string().contains("only one"), "{err}");

    let err = hotdata::Client::builder().build().expect_err("neither");
    assert!(matches!(err, Error::Config { .. }), "{err:?}");
    assert!(err.to_string().contains("bearer_provider"), "{err}");

    // A key from the environment does not compete with an explicit provider.
    hotdata::ClientBuilder::from_env_with(|name| match name {
        "HOTDATA_API_KEY" => Some("env-key".to_owned()),
        "HOTDATA_CONFIG_DIR" => Some("/nonexistent".to_owned()),
        _ => None,
    })
    .bearer_provider(|| async { Ok::<_, BoxError>("t") })
    .build()
    .expect("the provider is used");
}

#[tokio::test]
async fn the_environment_key_is_not_sent_when_a_provider_is_set() {
    let stub = Stub::start().await;
    let base = stub.base_url.clone();
    let client = hotdata::ClientBuilder::from_env_with(move |name| match name {
        "HOTDATA_API_KEY" => Some("env-key".to_owned()),
        "HOTDATA_API_URL" => Some(base.clone()),
        "HOTDATA_CONFIG_DIR" => Some("/nonexistent".to_owned()),
        _ => None,
    })
    .bearer_provider(|| async { Ok::<_, BoxError>("from-provider") })
    .build()
    .expect("client");
    stub.reply([jobs_page()]);
    client.list_jobs().send().await.expect("ok");
    assert_eq!(bearers(&stub), ["Bearer from-provider"]);
}
