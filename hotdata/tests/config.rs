//! Configuration from explicit arguments, the environment and the CLI's
//! profile file. The environment is injected (`from_env_with`), so these
//! tests never touch the process environment and cannot race.

use std::collections::HashMap;

use hotdata::ClientBuilder;

/// A fresh folder holding `config.yml` with `text`, removed when dropped.
fn config_dir(text: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("hotdata-config-")
        .tempdir()
        .expect("temp dir");
    std::fs::write(dir.path().join("config.yml"), text).expect("write config");
    dir
}

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + Send + Sync + 'static {
    let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    move |name| map.get(name).cloned()
}

const FILE: &str = r#"
profiles:
  default:
    api_key: file-key
    workspaces:
      - public_id: ws_file
        name: Analytics
      - public_id: ws_other
        name: Other
  staging:
    api_key: staging-key
    api_url: http://127.0.0.1:9999/v1
    workspace_id: ws_staging
    database: db_staging
    some_future_key: true
"#;

#[test]
fn the_profile_file_is_read_when_nothing_else_is_set() {
    let dir = config_dir(FILE);
    let client = ClientBuilder::from_env_with(env(&[("HOTDATA_CONFIG_DIR", dir.path().to_str().expect("utf8"))]))
        .build()
        .expect("configured from the file");
    assert_eq!(client.workspace_id(), Some("ws_file"), "first workspace of the profile");
    assert_eq!(client.base_url(), hotdata::DEFAULT_BASE_URL);
    assert_eq!(client.database_id(), None);
}

#[test]
fn a_named_profile_is_read_by_argument_or_variable() {
    let dir = config_dir(FILE);
    let dir = dir.path().to_str().expect("utf8");
    for builder in [
        ClientBuilder::from_env_with(env(&[("HOTDATA_CONFIG_DIR", dir)])).profile("staging"),
        ClientBuilder::from_env_with(env(&[("HOTDATA_CONFIG_DIR", dir), ("HOTDATA_PROFILE", "staging")])),
    ] {
        let client = builder.build().expect("staging");
        assert_eq!(client.workspace_id(), Some("ws_staging"));
        assert_eq!(client.base_url(), "http://127.0.0.1:9999", "`/v1` is stripped");
        assert_eq!(client.database_id(), Some("db_staging"));
    }
    let err = ClientBuilder::from_env_with(env(&[("HOTDATA_CONFIG_DIR", dir)]))
        .profile("prod")
        .build()
        .expect_err("no such profile");
    let msg = err.to_string();
    assert!(msg.contains("`prod`") && msg.contains("default, staging"), "{msg}");
}

#[test]
fn environment_beats_file_and_arguments_beat_environment() {
    let dir = config_dir(FILE);
    let vars = [
        ("HOTDATA_CONFIG_DIR", dir.path().to_str().expect("utf8")),
        ("HOTDATA_API_KEY", "env-key"),
        ("HOTDATA_WORKSPACE_ID", "ws_env"),
        ("HOTDATA_API_URL", "https://env.example.com/v1/"),
        ("HOTDATA_DATABASE", "db_env"),
    ];
    let client = ClientBuilder::from_env_with(env(&vars)).build().expect("env");
    assert_eq!(client.workspace_id(), Some("ws_env"));
    assert_eq!(client.base_url(), "https://env.example.com");
    assert_eq!(client.database_id(), Some("db_env"));

    let client = ClientBuilder::from_env_with(env(&vars))
        .workspace_id("ws_arg")
        .base_url("https://arg.example.com")
        .database_id("db_arg")
        .build()
        .expect("args");
    assert_eq!(client.workspace_id(), Some("ws_arg"));
    assert_eq!(client.base_url(), "https://arg.example.com");
    assert_eq!(client.database_id(), Some("db_arg"));
}

#[test]
fn home_is_the_default_folder() {
    let home = tempfile::Builder::new()
        .prefix("hotdata-home-")
        .tempdir()
        .expect("temp dir");
    std::fs::create_dir_all(home.path().join(".hotdata")).expect("dir");
    std::fs::write(home.path().join(".hotdata/config.yml"), FILE).expect("write");
    let client = ClientBuilder::from_env_with(env(&[("HOME", home.path().to_str().expect("utf8"))]))
        .build()
        .expect("from ~/.hotdata");
    assert_eq!(client.workspace_id(), Some("ws_file"));
}

#[test]
fn a_missing_key_names_the_variable_and_the_file_entry() {
    let dir = config_dir("profiles:\n  default:\n    workspaces: []\n");
    let err = ClientBuilder::from_env_with(env(&[("HOTDATA_CONFIG_DIR", dir.path().to_str().expect("utf8"))]))
        .build()
        .expect_err("no key");
    assert!(matches!(err, hotdata::Error::Config { .. }));
    let msg = err.to_string();
    assert!(msg.contains("HOTDATA_API_KEY"), "{msg}");
    assert!(msg.contains("api_key") && msg.contains("profiles.default"), "{msg}");
    assert!(msg.contains("config.yml"), "{msg}");

    let err = ClientBuilder::from_env_with(env(&[("HOTDATA_CONFIG_DIR", "/nonexistent-hotdata")]))
        .build()
        .expect_err("no file, no key");
    assert!(err.to_string().contains("HOTDATA_API_KEY"), "{err}");
}

#[test]
fn a_malformed_file_is_a_config_error_that_does_not_quote_the_file() {
    let dir = config_dir("profiles:\n  default:\n    api_key: [hd_secret_in_file\n");
    let err = ClientBuilder::from_env_with(env(&[("HOTDATA_CONFIG_DIR", dir.path().to_str().expect("utf8"))]))
        .build()
        .expect_err("malformed");
    let msg = err.to_string();
    assert!(msg.contains("cannot parse") && msg.contains("line"), "{msg}");
    assert!(!msg.contains("hd_secret_in_file") && !format!("{err:?}").contains("hd_secret_in_file"));
}

#[test]
fn plain_http_is_refused_off_loopback() {
    let err = hotdata::Client::builder()
        .api_key("k")
        .base_url("http://api.example.com")
        .build()
        .expect_err("insecure");
    assert!(err.to_string().contains("allow_insecure_http"), "{err}");
    hotdata::Client::builder()
        .api_key("k")
        .base_url("http://api.example.com")
        .allow_insecure_http(true)
        .build()
        .expect("opted in");
    hotdata::Client::builder()
        .api_key("k")
        .base_url("http://localhost:8080/v1")
        .build()
        .expect("loopback");
}

#[test]
fn hotdata_workspace_is_read_and_hotdata_workspace_id_wins_over_it() {
    let dir = config_dir(FILE);
    let dir = dir.path().to_str().expect("utf8");
    let workspace = |vars: &[(&str, &str)]| {
        let mut all = vec![("HOTDATA_CONFIG_DIR", dir), ("HOTDATA_API_KEY", "k")];
        all.extend_from_slice(vars);
        ClientBuilder::from_env_with(env(&all))
            .build()
            .expect("configured")
            .workspace_id()
            .map(str::to_owned)
    };
    // The CLI's and the Python client's name, over the profile file.
    assert_eq!(workspace(&[("HOTDATA_WORKSPACE", "ws_cli")]).as_deref(), Some("ws_cli"));
    // Both set: HOTDATA_WORKSPACE_ID, whichever order they come in.
    assert_eq!(
        workspace(&[("HOTDATA_WORKSPACE", "ws_cli"), ("HOTDATA_WORKSPACE_ID", "ws_id")]).as_deref(),
        Some("ws_id")
    );
    assert_eq!(
        workspace(&[("HOTDATA_WORKSPACE_ID", "ws_id"), ("HOTDATA_WORKSPACE", "ws_cli")]).as_deref(),
        Some("ws_id")
    );
    // An empty variable counts as unset.
    assert_eq!(
        workspace(&[("HOTDATA_WORKSPACE_ID", ""), ("HOTDATA_WORKSPACE", "ws_cli")]).as_deref(),
        Some("ws_cli")
    );
    assert_eq!(workspace(&[("HOTDATA_WORKSPACE", "")]).as_deref(), Some("ws_file"));
    // An explicit workspace wins over both.
    let client = ClientBuilder::from_env_with(env(&[
        ("HOTDATA_CONFIG_DIR", dir),
        ("HOTDATA_API_KEY", "k"),
        ("HOTDATA_WORKSPACE", "ws_cli"),
        ("HOTDATA_WORKSPACE_ID", "ws_id"),
    ]))
    .workspace_id("ws_arg")
    .build()
    .expect("configured");
    assert_eq!(client.workspace_id(), Some("ws_arg"));
    assert_eq!(hotdata::config::env::WORKSPACE, "HOTDATA_WORKSPACE");
}
