//! The API key appears in no `Debug`, `Display`, error message or tracing
//! field: every line a test subscriber captures, and every error and client
//! formatted both ways, is scanned for it. The same capture checks what the
//! request spans say.
//!
//! Every generated model with a `format: password` field (the generator
//! lists them in `operations::SENSITIVE_MODELS`) is built with a secret in
//! each such field and `Debug`-formatted, as are its model builder and the
//! operation builders that send it: the secret never shows.

mod support;

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hotdata::prelude::*;
use serde_json::json;
use support::{Canned, Stub};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

const KEY: &str = "hd_live_SECRET_4f9c2a";

/// Records every span, field update and event as one text line.
#[derive(Clone, Default)]
struct Capture {
    lines: Arc<Mutex<Vec<String>>>,
    next: Arc<AtomicU64>,
}

struct Line<'a>(&'a mut String);

impl Visit for Line<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
}

impl Capture {
    fn push(&self, line: String) {
        self.lines.lock().expect("lock").push(line);
    }

    fn lines(&self) -> Vec<String> {
        self.lines.lock().expect("lock").clone()
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let mut line = format!("span#{id} {}", attrs.metadata().name());
        attrs.record(&mut Line(&mut line));
        self.push(line);
        Id::from_u64(id)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut line = format!("record#{}", span.into_u64());
        values.record(&mut Line(&mut line));
        self.push(line);
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut line = format!("event {}", event.metadata().target());
        event.record(&mut Line(&mut line));
        self.push(line);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

#[tokio::test]
async fn the_key_is_in_no_log_line_debug_display_or_error() {
    let capture = Capture::default();
    let _guard = tracing::dispatcher::set_default(&tracing::Dispatch::new(capture.clone()));

    let stub = Stub::start().await;
    let builder = hotdata::Client::builder()
        .allow_unscoped(true)
        .api_key(KEY)
        .workspace_id("ws_test")
        .base_url(&stub.base_url)
        .retry(support::fast_retries())
        .timeout(Duration::from_millis(300));
    let mut shown = vec![format!("{builder:?}")];
    let client = builder.build().expect("client");
    shown.push(format!("{client:?}"));
    shown.push(format!("{:?}", client.api()));
    shown.push(format!("{:?}", client.query_run("qr_1")));

    stub.reply([
        // A retried 429, then success.
        Canned::json(429, json!({"message": "slow down", "status": 429}))
            .header("retry-after", "0")
            .header("x-request-id", "req_a"),
        Canned::json(200, json!({"jobs": []})).header("x-request-id", "req_b"),
        // Errors of each kind.
        Canned::json(401, json!({"message": "invalid token", "status": 401})),
        Canned::json(200, json!({"jobs": [{"id": 1}]})),
        Canned::json(200, json!({"jobs": []})).delayed(Duration::from_secs(2)),
        Canned::reset(),
        Canned::reset(),
        Canned::reset(),
        Canned::reset(),
    ]);
    client.list_jobs().send().await.expect("retried");
    let mut errors = Vec::new();
    for _ in 0..4 {
        errors.push(client.list_jobs().send().await.expect_err("error"));
    }
    errors.push(client.get_job().send().await.expect_err("invalid argument"));
    errors.push(
        hotdata::ClientBuilder::from_env_with(|_| None)
            .build()
            .expect_err("config"),
    );
    // A failed wait.
    stub.reply([Canned::json(
        200,
        json!({"id": "qr_1", "status": "failed", "created_at": "2026-05-01T10:00:00Z", "snapshot_id": "s",
               "sql_hash": "h", "sql_text": "SELECT 1", "error_message": "boom"}),
    )]);
    errors.push(client.query_run("qr_1").wait().await.expect_err("failed"));

    let kinds: Vec<&str> = errors
        .iter()
        .map(|e| match e {
            hotdata::Error::Api(_) => "api",
            hotdata::Error::Decode(_) => "decode",
            hotdata::Error::Timeout { .. } => "timeout",
            hotdata::Error::Transport { .. } => "transport",
            hotdata::Error::InvalidArgument { .. } => "invalid",
            hotdata::Error::Config { .. } => "config",
            hotdata::Error::Failed(_) => "failed",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        ["api", "decode", "timeout", "transport", "invalid", "config", "failed"]
    );
    for e in &errors {
        shown.push(format!("{e}"));
        shown.push(format!("{e:?}"));
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            shown.push(format!("{s} {s:?}"));
            source = s.source();
        }
    }

    let lines = capture.lines();
    assert!(!lines.is_empty());
    for line in lines.iter().chain(&shown) {
        assert!(!line.contains(KEY), "the key leaked: {line}");
        assert!(!line.contains("SECRET"), "part of the key leaked: {line}");
    }

    // What the spans say about the retried call.
    let spans: Vec<&String> = lines.iter().filter(|l| l.contains("hotdata.request")).collect();
    let first = spans.first().expect("a request span");
    for want in ["operation=\"list_jobs\"", "method=GET", "path=/v1/jobs", "attempt=1"] {
        assert!(first.contains(want), "{want} missing from {first}");
    }
    assert!(spans.iter().any(|l| l.contains("attempt=2")), "{spans:?}");
    for want in [
        "status=429",
        "request_id=\"req_a\"",
        "status=200",
        "request_id=\"req_b\"",
        "duration_ms=",
    ] {
        assert!(
            lines.iter().any(|l| l.contains(want)),
            "{want} never recorded: {lines:#?}"
        );
    }
    assert!(lines.iter().any(|l| l.contains("retrying")), "{lines:#?}");
}

const PROVIDED: &str = "eyJ_provided_TOKEN_77b1";

#[tokio::test]
async fn a_provided_token_is_in_no_log_line_debug_display_or_error() {
    let capture = Capture::default();
    let _guard = tracing::dispatcher::set_default(&tracing::Dispatch::new(capture.clone()));

    let stub = Stub::start().await;
    let token = hotdata::BearerToken::new(PROVIDED);
    let mut shown = vec![format!("{token:?}"), format!("{token:#?}")];
    let builder = hotdata::Client::builder()
        .bearer_provider(move || {
            let token = token.clone();
            async move { Ok::<_, hotdata::BoxError>(token) }
        })
        .workspace_id("ws_test")
        .base_url(&stub.base_url)
        .retry(support::fast_retries());
    shown.push(format!("{builder:?}"));
    let client = builder.build().expect("client");
    shown.push(format!("{client:?}"));
    shown.push(format!("{:?}", client.api()));

    stub.reply([
        Canned::json(429, json!({"message": "slow down", "status": 429})).header("retry-after", "0"),
        Canned::json(200, json!({"jobs": []})),
        Canned::json(401, json!({"message": "token expired", "status": 401})),
        Canned::reset(),
        Canned::reset(),
        Canned::reset(),
        Canned::reset(),
    ]);
    client.list_jobs().send().await.expect("retried");
    let mut errors = vec![
        client.list_jobs().send().await.expect_err("401"),
        client.list_jobs().send().await.expect_err("resets"),
    ];
    // Tokens the provider cannot send, and a provider that fails.
    for bad in [format!("{PROVIDED}\r\nx: 1"), format!("{PROVIDED}\0")] {
        let client = hotdata::Client::builder()
            .bearer_provider(move || {
                let bad = bad.clone();
                async move { Ok::<_, hotdata::BoxError>(bad) }
            })
            .base_url(&stub.base_url)
            .build()
            .expect("client");
        errors.push(client.list_jobs().send().await.expect_err("unsendable"));
    }
    let failing = hotdata::Client::builder()
        .bearer_provider(|| async { Err::<String, _>(std::io::Error::other("refresh refused")) })
        .base_url(&stub.base_url)
        .build()
        .expect("client");
    errors.push(failing.list_jobs().send().await.expect_err("no token"));
    let kinds: Vec<bool> = errors
        .iter()
        .map(|e| matches!(e, hotdata::Error::Credentials { .. }))
        .collect();
    assert_eq!(kinds, [false, false, true, true, true]);
    for e in &errors {
        shown.push(format!("{e}"));
        shown.push(format!("{e:?}"));
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            shown.push(format!("{s} {s:?}"));
            source = s.source();
        }
    }

    let lines = capture.lines();
    assert!(lines.iter().any(|l| l.contains("hotdata.request")), "{lines:#?}");
    for line in lines.iter().chain(&shown) {
        assert!(!line.contains(PROVIDED), "the token leaked: {line}");
        assert!(!line.contains("TOKEN_77"), "part of the token leaked: {line}");
    }
}

/// Every model that can hold a secret, built from JSON and written back to it: request models then need
/// `Deserialize` and response models `Serialize`, which both exist only with `serde-round-trip` (CI's tests run
/// with every feature).
#[cfg(feature = "serde-round-trip")]
mod password_fields {
    use super::*;

    const SECRET_VALUE: &str = "s3cr3t-VALUE-do-not-print";

    /// The model named in `SENSITIVE_MODELS`, from its required fields with
    /// every sensitive field holding [`SECRET_VALUE`]: as a string, or as a list
    /// of it where the field is a list of secrets.
    fn with_secrets<T: serde::de::DeserializeOwned>(name: &str, mut required: serde_json::Value) -> T {
        let (_, fields) = hotdata::generated::operations::SENSITIVE_MODELS
            .iter()
            .find(|(model, _)| *model == name)
            .unwrap_or_else(|| panic!("{name} is not a sensitive model"));
        for field in *fields {
            required[*field] = json!(SECRET_VALUE);
        }
        for field in *fields {
            if serde_json::from_value::<T>(required.clone()).is_ok() {
                break;
            }
            required[*field] = json!([SECRET_VALUE]);
            if serde_json::from_value::<T>(required.clone()).is_err() {
                required[*field] = json!(SECRET_VALUE);
            }
        }
        serde_json::from_value(required).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// The `Debug` renderings of a sent model's builder, alone and inside an `Ok` (as operation builders hold a
    /// body). A model that is only received has no builder.
    macro_rules! builder_shown {
        (sent, $model:ident, $value:expr, $shown:expr) => {{
            let builder = hotdata::types::builder::$model::from($value.clone());
            $shown.push((stringify!($model), format!("{builder:?}")));
            $shown.push((stringify!($model), format!("{:?}", Ok::<_, String>(builder))));
        }};
        (received, $model:ident, $value:expr, $shown:expr) => {};
    }

    /// Every `Debug` rendering of each listed model that could hold its secret:
    /// the model, and for a model a request sends, its model builder alone and
    /// inside an `Ok`. The list must name exactly the models the generator reports
    /// as sensitive, so a new one cannot be forgotten.
    macro_rules! sensitive_models {
        ($($model:ident ($way:ident) => $required:expr),* $(,)?) => {{
            let listed: Vec<&str> = vec![$(stringify!($model)),*];
            let generated: Vec<&str> =
                hotdata::generated::operations::SENSITIVE_MODELS.iter().map(|(name, _)| *name).collect();
            assert_eq!(listed, generated, "list every model of SENSITIVE_MODELS here, sorted");
            let mut shown: Vec<(&str, String)> = Vec::new();
            $(
                let model: hotdata::types::$model = with_secrets(stringify!($model), $required);
                // The secret really is in the value: only `Debug` hides it.
                assert!(serde_json::to_string(&model).expect("serialises").contains(SECRET_VALUE));
                shown.push((stringify!($model), format!("{model:?}")));
                shown.push((stringify!($model), format!("{model:#?}")));
                builder_shown!($way, $model, model, shown);
            )*
            shown
        }};
    }

    #[tokio::test]
    #[allow(deprecated)] // drives seed-era operations, still served by hotdata-local and older servers
    async fn password_fields_never_show_in_debug() {
        let mut shown = sensitive_models! {
            CreateEmbeddingProviderRequest (sent) => json!({"name": "p", "provider_type": "service"}),
            CreateSecretRequest (sent) => json!({"name": "warehouse_pw"}),
            MintedUploadPartResponse (received) => json!({"part_number": 1}),
            UpdateEmbeddingProviderRequest (sent) => json!({}),
            UpdateSecretRequest (sent) => json!({}),
            UploadSessionResponse (received) => json!({"upload_id": "upl_1", "mode": "multipart", "headers": {}}),
        };

        // The operation builders that carry those bodies.
        let stub = Stub::start().await;
        let client = stub.client();
        let create: hotdata::types::CreateSecretRequest = with_secrets("CreateSecretRequest", json!({"name": "n"}));
        shown.push(("create_secret", format!("{:?}", client.create_secret().body(create))));
        let update: hotdata::types::UpdateSecretRequest = with_secrets("UpdateSecretRequest", json!({}));
        shown.push((
            "update_secret",
            format!("{:?}", client.update_secret().name("n").body(update)),
        ));
        shown.push((
            "create_embedding_provider",
            format!(
                "{:?}",
                client
                    .create_embedding_provider()
                    .body_map(|b| b.name("p").provider_type("service").api_key(SECRET_VALUE.to_owned()))
            ),
        ));
        shown.push((
            "update_embedding_provider",
            format!(
                "{:?}",
                client
                    .update_embedding_provider()
                    .id("ep_1")
                    .body_map(|b| b.api_key(SECRET_VALUE.to_owned()))
            ),
        ));

        for (what, text) in &shown {
            assert!(!text.contains(SECRET_VALUE), "{what} printed its secret: {text}");
            assert!(
                !text.contains("VALUE-do-not"),
                "{what} printed part of its secret: {text}"
            );
            assert!(text.contains("***"), "{what} does not show where the secret is: {text}");
        }
    }
}
