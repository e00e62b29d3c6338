//! Where settings come from when they are not passed explicitly: the
//! environment, then the profile file Hotdata's CLI writes.
//!
//! The file is `config.yml` in `HOTDATA_CONFIG_DIR`, or in `~/.hotdata` when
//! that is unset. The layout accepted is the CLI's:
//!
//! ```yaml
//! profiles:
//!   default:
//!     api_key: hd_live_...
//!     workspaces:            # the first entry is the default workspace
//!       - public_id: ws_abc123
//!         name: Analytics
//!     api_url: https://api.hotdata.dev/v1   # optional
//!     workspace_id: ws_abc123              # optional, wins over `workspaces`
//!     database: db_123                     # optional (`database_id` also accepted)
//!   staging:
//!     api_key: hd_test_...
//! ```
//!
//! Unknown keys are ignored, so files written by newer CLIs still load.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::runtime::credentials::ApiKey;
use crate::runtime::error::Error;

pub(crate) mod builder;
mod yaml;

/// The environment variables read by [`ClientBuilder::from_env`](crate::ClientBuilder::from_env).
pub mod env {
    /// The API key.
    pub const API_KEY: &str = "HOTDATA_API_KEY";
    /// The workspace id, as this crate and Hotdata's Rust client name it.
    /// Wins over [`WORKSPACE`] when both are set.
    pub const WORKSPACE_ID: &str = "HOTDATA_WORKSPACE_ID";
    /// The workspace id, as Hotdata's CLI and Python client name it; read
    /// when [`WORKSPACE_ID`] is unset.
    pub const WORKSPACE: &str = "HOTDATA_WORKSPACE";
    /// The base URL, with or without a trailing `/v1`.
    pub const API_URL: &str = "HOTDATA_API_URL";
    /// The default database id, sent as `X-Database-Id` where the API takes it.
    pub const DATABASE: &str = "HOTDATA_DATABASE";
    /// The folder holding `config.yml` (default `~/.hotdata`).
    pub const CONFIG_DIR: &str = "HOTDATA_CONFIG_DIR";
    /// The profile to read from `config.yml` (default `default`).
    pub const PROFILE: &str = "HOTDATA_PROFILE";
}

/// The profile read when none is named.
pub const DEFAULT_PROFILE: &str = "default";

/// A way to look up environment variables; the process environment unless a
/// test or an embedding program supplies another.
#[derive(Clone)]
pub(crate) struct EnvSource(Arc<Lookup>);

type Lookup = dyn Fn(&str) -> Option<String> + Send + Sync;

impl EnvSource {
    pub(crate) fn process() -> Self {
        EnvSource(Arc::new(|name| std::env::var(name).ok().filter(|v| !v.is_empty())))
    }

    pub(crate) fn from_fn(f: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        EnvSource(Arc::new(move |name| f(name).filter(|v| !v.is_empty())))
    }

    pub(crate) fn get(&self, name: &str) -> Option<String> {
        (self.0)(name)
    }
}

impl fmt::Debug for EnvSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EnvSource")
    }
}

/// One profile of the file, as far as this crate reads it.
#[derive(Default)]
pub(crate) struct FileProfile {
    api_key: Option<String>,
    api_url: Option<String>,
    workspace_id: Option<String>,
    workspaces: Vec<String>,
    database: Option<String>,
}

impl FileProfile {
    fn from_node(node: &yaml::Node) -> FileProfile {
        let text = |key: &str| node.get(key).and_then(yaml::Node::as_str).map(str::to_owned);
        let workspaces = match node.get("workspaces") {
            Some(yaml::Node::Seq(items)) => items
                .iter()
                .filter_map(|w| w.get("public_id").and_then(yaml::Node::as_str).map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        FileProfile {
            api_key: text("api_key"),
            api_url: text("api_url"),
            workspace_id: text("workspace_id"),
            workspaces,
            database: text("database").or_else(|| text("database_id")),
        }
    }
}

/// What the environment and the file say, already merged (environment first).
#[derive(Debug, Default)]
pub(crate) struct Resolved {
    pub(crate) api_key: Option<ApiKey>,
    pub(crate) workspace_id: Option<String>,
    pub(crate) base_url: Option<String>,
    pub(crate) database_id: Option<String>,
    /// Where the key would be looked up, for the error when it is missing.
    pub(crate) file: PathBuf,
    pub(crate) profile: String,
}

/// Reads the environment and the profile file. `profile` is the explicitly
/// named profile, if any.
pub(crate) fn resolve(env: &EnvSource, profile: Option<&str>) -> Result<Resolved, Error> {
    let named = profile.map(str::to_owned).or_else(|| env.get(env::PROFILE));
    let profile = named.clone().unwrap_or_else(|| DEFAULT_PROFILE.to_owned());
    let dir = match env.get(env::CONFIG_DIR) {
        Some(dir) => PathBuf::from(dir),
        None => match env.get("HOME").or_else(|| env.get("USERPROFILE")) {
            Some(home) => PathBuf::from(home).join(".hotdata"),
            None => PathBuf::from(".hotdata"),
        },
    };
    let file = dir.join("config.yml");
    let from_file = read_profile(&file, &profile, named.is_some())?;
    let workspace_from_file = from_file
        .workspace_id
        .or_else(|| from_file.workspaces.into_iter().next());
    Ok(Resolved {
        api_key: env.get(env::API_KEY).or(from_file.api_key).map(ApiKey::new),
        workspace_id: workspace_from_env(env).or(workspace_from_file),
        base_url: env.get(env::API_URL).or(from_file.api_url),
        database_id: env.get(env::DATABASE).or(from_file.database),
        file,
        profile,
    })
}

/// The workspace the environment names: `HOTDATA_WORKSPACE_ID`, else
/// `HOTDATA_WORKSPACE`. Two different values are logged (the first is used):
/// they most likely come from two tools' setups that disagree.
fn workspace_from_env(env: &EnvSource) -> Option<String> {
    let by_id = env.get(env::WORKSPACE_ID);
    let by_name = env.get(env::WORKSPACE);
    if let (Some(id), Some(other)) = (&by_id, &by_name)
        && id != other
    {
        tracing::warn!(
            used = %id,
            ignored = %other,
            "{} and {} name different workspaces; using {}",
            env::WORKSPACE_ID,
            env::WORKSPACE,
            env::WORKSPACE_ID
        );
    }
    by_id.or(by_name)
}

/// One profile of the file; nothing when the file does not exist. A profile
/// that was asked for by name must exist.
fn read_profile(file: &std::path::Path, profile: &str, named: bool) -> Result<FileProfile, Error> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if named {
                return Err(Error::config(format!(
                    "profile `{profile}` was asked for, but {} does not exist",
                    file.display()
                )));
            }
            return Ok(FileProfile::default());
        }
        Err(e) => return Err(Error::config(format!("cannot read {}: {e}", file.display()))),
    };
    // Say only where parsing failed: the file holds keys.
    let root = yaml::parse(&text).map_err(|e| {
        Error::config(format!(
            "cannot parse {} ({e}): expected `profiles: {{<name>: {{api_key: .., workspaces: [{{public_id: ..}}]}}}}`",
            file.display()
        ))
    })?;
    let profiles = match root.get("profiles") {
        Some(yaml::Node::Map(entries)) => entries.as_slice(),
        _ => &[],
    };
    match profiles.iter().find(|(name, _)| name == profile) {
        Some((_, node)) => Ok(FileProfile::from_node(node)),
        None if named => Err(Error::config(format!(
            "profile `{profile}` is not in {} (profiles there: {})",
            file.display(),
            profiles
                .iter()
                .map(|(name, _)| name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
        None => Ok(FileProfile::default()),
    }
}
