//! `hotdata-local`: serve the local Hotdata-compatible API on a port until interrupted.

use std::path::PathBuf;

use hotdata_local::{Config, Server, Validation};

const USAGE: &str = "usage: hotdata-local [--port PORT] [--data-dir DIR] [--api-key KEY] [--workspace-id ID]
                     [--max-upload-bytes N] [--upload-url-ttl SECS] [--validation off|record|strict]
                     [--spec PATH] [--contract live|2026-05] [--preview-rows N]
                     [--json-fetch-budget BYTES] [--json-total-budget BYTES] [--result-ready-delay-ms MS]

Serves the Hotdata API described by spec/openapi.yaml on 127.0.0.1. Without --data-dir, state lives in a
temporary directory and is gone when the server stops. Spec violations are printed to stderr (--validation
record, the default here).";

fn parse(args: &[String]) -> Result<Config, String> {
    let mut config = Config {
        port: Some(4680),
        validation: Validation::Record,
        ..Config::default()
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().cloned().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--port" => config.port = Some(value()?.parse().map_err(|_| "--port needs a number".to_string())?),
            "--data-dir" => config.data_dir = Some(PathBuf::from(value()?)),
            "--api-key" => config.api_key = value()?,
            "--workspace-id" => config.workspace_id = value()?,
            "--spec" => config.spec_path = Some(PathBuf::from(value()?)),
            "--contract" => config.contract = value()?.parse()?,
            "--max-upload-bytes" => {
                config.max_upload_bytes = value()?
                    .parse()
                    .map_err(|_| "--max-upload-bytes needs a number".to_string())?
            }
            "--preview-rows" => config.preview_rows = number(flag, &value()?)?,
            "--json-fetch-budget" => config.json_fetch_budget_bytes = number(flag, &value()?)?,
            "--json-total-budget" => config.json_total_budget_bytes = number(flag, &value()?)?,
            "--result-ready-delay-ms" => {
                config.result_ready_delay = std::time::Duration::from_millis(number(flag, &value()?)?)
            }
            "--upload-url-ttl" => {
                let secs: u64 = value()?
                    .parse()
                    .map_err(|_| "--upload-url-ttl needs a number of seconds".to_string())?;
                config.uploads.url_ttl = std::time::Duration::from_secs(secs);
            }
            "--validation" => {
                config.validation = match value()?.as_str() {
                    "off" => Validation::Off,
                    "record" => Validation::Record,
                    "strict" => Validation::Strict,
                    other => return Err(format!("unknown validation mode `{other}`")),
                }
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(config)
}

fn number(flag: &str, value: &str) -> Result<u64, String> {
    value
        .parse()
        .map_err(|_| format!("{flag} needs a non-negative whole number"))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match parse(&args) {
        Ok(c) => c,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("hotdata-local: {msg}");
            }
            eprintln!("{USAGE}");
            std::process::exit(if msg.is_empty() { 0 } else { 2 });
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("hotdata-local: cannot start a runtime: {e}");
            std::process::exit(1);
        }
    };
    let contract = config.contract;
    runtime.block_on(async move {
        let server = match Server::start(config).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        };
        println!(
            "hotdata-local listening on {} (contract {})",
            server.base_url(),
            contract.as_str()
        );
        println!("HOTDATA_API_URL={}", server.base_url());
        println!("HOTDATA_API_KEY={}", server.api_key());
        println!("HOTDATA_WORKSPACE_ID={}", server.workspace_id());
        println!("data directory: {}", server.data_dir().display());
        std::future::pending::<()>().await;
    });
}
