//! What every example shares: a client for the real Hotdata API when `HOTDATA_API_KEY` is set, otherwise one for
//! an embedded local server started in this process (`hotdata-local`: real SQL, no network, no credentials).
//!
//! Each example starts with `let env = common::connect()?;` and keeps `env` alive for as long as it uses
//! `env.client` (dropping it stops the embedded server).

#![allow(dead_code)]

/// The client an example uses, and the embedded server behind it when there is one.
pub struct Env {
    /// The SDK client.
    pub client: hotdata::Client,
    /// The embedded server, when `HOTDATA_API_KEY` is unset.
    pub local: Option<hotdata_local::Server>,
}

impl Env {
    /// Whether the example talks to the embedded server rather than the Hotdata API.
    pub fn is_local(&self) -> bool {
        self.local.is_some()
    }
}

/// Connects to the Hotdata API (`HOTDATA_API_KEY` set: configuration through [`hotdata::Client::from_env`]) or
/// starts an embedded local server, and prints which as the first line of output.
pub fn connect() -> Result<Env, Box<dyn std::error::Error>> {
    if std::env::var_os("HOTDATA_API_KEY").is_some_and(|k| !k.is_empty()) {
        let client = hotdata::Client::from_env()?;
        println!(
            "HOTDATA_API_KEY is set: running against the Hotdata API at {}",
            client.base_url()
        );
        return Ok(Env { client, local: None });
    }
    // On its own thread and runtime, so it serves whichever runtime (or none) the example uses. Traffic that
    // breaks the API description is reported on stderr rather than failing the example.
    // The examples run unscoped queries as the seed-era service allowed (the live service wants a database).
    let config = hotdata_local::Config {
        validation: hotdata_local::Validation::Record,
        contract: hotdata_local::Contract::Seed2026_05,
        ..Default::default()
    };
    let server = hotdata_local::Server::start_background(config)?;
    println!(
        "HOTDATA_API_KEY is not set: running against an embedded local Hotdata server at {} \
         (no network, no credentials)",
        server.base_url()
    );
    let client = hotdata::Client::builder()
        .base_url(server.base_url())
        .api_key(server.api_key())
        .workspace_id(server.workspace_id())
        .allow_unscoped(true)
        .build()?;
    Ok(Env {
        client,
        local: Some(server),
    })
}

/// Like [`connect`], but an embedded server follows the live contract (every query names a database) and cuts
/// answers over `preview_rows` rows down to a truncated preview, as the Hotdata service does for large answers.
pub fn connect_live(preview_rows: u64) -> Result<Env, Box<dyn std::error::Error>> {
    if std::env::var_os("HOTDATA_API_KEY").is_some_and(|k| !k.is_empty()) {
        return connect();
    }
    let config = hotdata_local::Config {
        validation: hotdata_local::Validation::Record,
        contract: hotdata_local::Contract::Live,
        preview_rows,
        ..Default::default()
    };
    let server = hotdata_local::Server::start_background(config)?;
    println!(
        "HOTDATA_API_KEY is not set: running against an embedded local Hotdata server at {} \
         (live contract, previews of {preview_rows} rows; no network, no credentials)",
        server.base_url()
    );
    let client = hotdata::Client::builder()
        .base_url(server.base_url())
        .api_key(server.api_key())
        .workspace_id(server.workspace_id())
        .build()?;
    Ok(Env {
        client,
        local: Some(server),
    })
}

/// Prints rows as a small tab-separated table.
pub fn print_rows(rows: &hotdata::Rows) {
    let names: Vec<&str> = rows.columns().iter().map(|c| c.name()).collect();
    println!("  {}", names.join("\t"));
    for row in rows {
        let cells: Vec<String> = row.values().map(|v| v.to_string()).collect();
        println!("  {}", cells.join("\t"));
    }
}

/// A parquet file of orders for the examples that need one: the `hotdata-local` fixture, written to a temporary
/// directory so it can be uploaded from a path as a user's file would be.
pub fn orders_parquet_file() -> Result<(tempfile_dir::Dir, std::path::PathBuf), Box<dyn std::error::Error>> {
    let dir = tempfile_dir::Dir::new()?;
    let path = dir.path().join("orders.parquet");
    std::fs::write(&path, hotdata_local::fixtures::orders_parquet())?;
    Ok((dir, path))
}

/// A throwaway directory removed on drop (std only, so the examples need no extra dependency).
pub mod tempfile_dir {
    use std::path::{Path, PathBuf};

    /// A directory under the system's temporary folder, removed with its contents on drop.
    #[derive(Debug)]
    pub struct Dir(PathBuf);

    impl Dir {
        /// Creates a fresh directory.
        pub fn new() -> std::io::Result<Dir> {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            let path = std::env::temp_dir().join(format!("hotdata-example-{}-{nanos}", std::process::id()));
            std::fs::create_dir_all(&path)?;
            Ok(Dir(path))
        }

        /// Its path.
        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
