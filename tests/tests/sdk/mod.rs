//! Shared by the end-to-end suites: a local server with strict spec validation and a `hotdata` SDK client
//! pointed at it over loopback HTTP.

#![allow(dead_code)]

use std::time::Duration;

use hotdata_local::{Config, Server};

/// The default configuration with the seed-era contract (`--contract 2026-05`): queries may name no database.
pub fn seed_config() -> Config {
    Config {
        contract: hotdata_local::Contract::Seed2026_05,
        ..Config::default()
    }
}

/// A started server and an SDK client for it.
pub struct Sdk {
    pub server: Server,
    pub client: hotdata::Client,
}

impl Sdk {
    /// A server with the seed-era contract (the suites using it run unscoped seed-era queries) and otherwise the
    /// default configuration (strict validation, ephemeral port, temporary data).
    pub async fn start() -> Sdk {
        Sdk::with(seed_config()).await
    }

    /// A server with `config` (validation forced to strict) and a client with quick retries.
    pub async fn with(config: Config) -> Sdk {
        let config = Config {
            validation: hotdata_local::Validation::Strict,
            ..config
        };
        let server = Server::start(config).await.expect("server starts");
        let client = builder(&server).build().expect("client builds");
        Sdk { server, client }
    }

    /// A blocking SDK client for the same server.
    pub fn blocking(&self) -> hotdata::blocking::Client {
        builder(&self.server).build_blocking().expect("blocking client builds")
    }

    /// Uploads `csv` and creates a dataset from it, queryable as `datasets.main.<table_name>`.
    #[allow(deprecated)] // drives seed-era operations, still served by hotdata-local and older servers
    pub async fn csv_dataset(&self, label: &str, csv: impl Into<Vec<u8>>) -> hotdata::types::CreateDatasetResponse {
        let upload = self
            .client
            .upload(
                std::io::Cursor::new(csv.into()),
                hotdata::UploadOptions::new().content_type("text/csv"),
            )
            .await
            .expect("upload");
        self.client
            .create_dataset_from_upload(label, &upload.upload_id, None)
            .await
            .expect("dataset from upload")
    }

    /// Creates a managed connection (tables are loaded into it from parquet uploads).
    pub async fn managed_connection(&self, name: &str) -> hotdata::types::CreateConnectionResponse {
        use hotdata::prelude::*;
        let name = name.to_owned();
        self.client
            .create_connection()
            .body_map(|b| b.name(name).source_type("managed").config(serde_json::Map::new()))
            .send()
            .await
            .expect("managed connection")
            .into_inner()
    }

    /// Uploads the orders fixture as parquet, with its size and content type given; returns the upload id.
    pub async fn upload_orders(&self) -> String {
        let bytes = hotdata_local::fixtures::orders_parquet();
        let options = hotdata::UploadOptions::new()
            .content_type("application/octet-stream")
            .size(bytes.len() as u64);
        self.client
            .upload(std::io::Cursor::new(bytes), options)
            .await
            .expect("upload")
            .upload_id
    }

    /// Ends a test: every request and response so far matched the spec, or the test fails listing each
    /// mismatch with its operation and field.
    pub fn finish(self) {
        self.server.assert_conformant();
    }
}

impl Sdk {
    /// A server with the live contract and `config`'s other settings.
    pub async fn live(config: Config) -> Sdk {
        Sdk::with(Config {
            contract: hotdata_local::Contract::Live,
            ..config
        })
        .await
    }

    /// Creates an empty managed database named `name` and returns its ID.
    pub async fn database(&self, name: &str) -> String {
        use hotdata::prelude::*;
        let name = name.to_owned();
        self.client
            .create_database()
            .body_map(|b| b.name(Some(name)))
            .send()
            .await
            .expect("database")
            .into_inner()
            .id
    }
}

/// A client builder for `server`, with retries fast enough for tests. Under the seed-era contract the client
/// allows unscoped queries and reads, as that contract does.
pub fn builder(server: &Server) -> hotdata::ClientBuilder {
    hotdata::Client::builder()
        .allow_unscoped(server.contract() == hotdata_local::Contract::Seed2026_05)
        .base_url(server.base_url())
        .api_key(server.api_key())
        .workspace_id(server.workspace_id())
        .retry(fast_retries())
}

/// The default number of attempts, with short waits.
pub fn fast_retries() -> hotdata::RetryPolicy {
    hotdata::RetryPolicy::default()
        .initial_backoff(Duration::from_millis(10))
        .max_backoff(Duration::from_millis(50))
}

/// Wait options for tests: quick polls, a deadline generous for a loaded machine.
pub fn quick_wait() -> hotdata::WaitOptions {
    hotdata::WaitOptions::default()
        .deadline(Duration::from_secs(30))
        .initial_interval(Duration::from_millis(10))
        .max_interval(Duration::from_millis(100))
}

/// Rows of a result as their cells' display text, for compact assertions.
pub fn table(rows: &hotdata::Rows) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.values().map(|v| v.to_string()).collect())
        .collect()
}

/// `[["a", "b"], ...]` from string literals.
pub fn expect(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
}

/// The column names of `rows`.
pub fn columns(rows: &hotdata::Rows) -> Vec<String> {
    rows.columns().iter().map(|c| c.name().to_owned()).collect()
}
