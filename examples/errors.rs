//! Error handling: matching on `hotdata::Error`, the request id to quote to support, arguments refused before
//! sending, and the retry policy (per client and per call).
//!
//! ```sh
//! cargo run --example errors
//! ```

mod common;

use std::time::Duration;

use hotdata::prelude::*;
use hotdata::{Error, RetryPolicy};

/// What a caller might do with each kind of failure.
fn explain(err: &Error) -> String {
    match err {
        Error::Api(api) if api.status == 404 => format!("not found: {}", api.message),
        Error::Api(api) => format!(
            "API error {} {}: {} (request id {})",
            api.status,
            api.code.as_deref().unwrap_or("-"),
            api.message,
            api.request_id.as_deref().unwrap_or("-")
        ),
        Error::Timeout { operation, .. } => format!("{operation} timed out; try again or raise the timeout"),
        Error::Transport { operation, .. } => format!("{operation} could not reach the server"),
        Error::InvalidArgument { argument, message, .. } => format!("refused before sending: {argument} {message}"),
        Error::Failed(failure) => format!("{} {} ended {}", failure.kind, failure.id, failure.status),
        other => format!("other error: {other}"),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = common::connect()?;
    let client = &env.client;

    // A query over a table that does not exist: the server's 400, with its code, message and request id.
    let err = client
        .query("SELECT * FROM missing_table")
        .await
        .expect_err("missing_table does not exist");
    println!("{}", explain(&err));
    println!("  Display: {err}");
    println!(
        "  status {:?}, code {:?}, request id {:?}, retryable {}",
        err.status(),
        err.code(),
        err.request_id(),
        err.is_retryable()
    );

    // A missing resource through a generated operation.
    let err = client
        .get_saved_query()
        .id("sq_does_not_exist")
        .send()
        .await
        .expect_err("no such saved query");
    println!("{} (is_not_found: {})", explain(&err), err.is_not_found());

    // Arguments the API would refuse are refused before anything is sent.
    let err = client
        .query("SELECT 1")
        .async_after(Duration::from_millis(10))
        .await
        .expect_err("under a second");
    println!("{}", explain(&err));

    // A wrong key: 401, not retried.
    let wrong = hotdata::Client::builder()
        .base_url(client.base_url())
        .api_key("not-a-valid-key")
        .workspace_id(client.workspace_id().unwrap_or_default())
        .build()?;
    let err = wrong.list_jobs().send().await.expect_err("bad key");
    println!("{}", explain(&err));

    // Retries: 429 (honouring Retry-After) for every method; 502/503/504 and resets for idempotent ones.
    // Configure on the client, or per call with `with_retry`.
    println!("default retry policy: {:?}", client.retry_policy());
    let patient = client.with_retry(
        RetryPolicy::default()
            .max_attempts(6)
            .initial_backoff(Duration::from_millis(100))
            .max_elapsed(Duration::from_secs(20)),
    );
    if let Some(server) = &env.local {
        // The embedded server can misbehave on request: two 503s, then the real answer.
        server.reset_hits();
        server
            .faults()
            .push_for("/v1/jobs", hotdata_local::Fault::Status(503), 2);
        let page = patient.list_jobs().send().await?;
        println!(
            "after two injected 503s the list succeeded ({} job(s)); {} request(s) reached the server",
            page.jobs.len(),
            server.hits("list_jobs")
        );
        server
            .faults()
            .push_for("/v1/jobs", hotdata_local::Fault::Status(503), 1);
        let err = client
            .with_retry(RetryPolicy::none())
            .list_jobs()
            .send()
            .await
            .expect_err("no retries");
        println!("with RetryPolicy::none(): {}", explain(&err));
    } else {
        let page = patient.list_jobs().send().await?;
        println!("listed {} job(s) with a patient retry policy", page.jobs.len());
    }
    Ok(())
}
