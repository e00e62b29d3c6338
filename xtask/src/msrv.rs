//! The `rust-version` gate: a package's declared minimum Rust version must not be lower than that of any crate
//! it builds or tests with.
//!
//! CI cannot install a second toolchain (no network beyond the package registries), so it never compiles with
//! the declared minimum itself. What it does check: clippy's `incompatible_msrv` lint (on by default, denied
//! with `-D warnings`) refuses standard-library items newer than `rust-version` in this workspace's code, and
//! this gate compares declared `rust-version`s: for every workspace member, each crate in the normal and build
//! dependency closure of its normal, build and dev dependencies must declare no newer `rust-version` than the
//! member (crates that declare none pass). A dependency needing more would make the promise false for every
//! user; a dev-dependency needing more would mean the package's own tests cannot run on the version it
//! promises. Dev-dependencies of dependencies are not followed: cargo never builds them.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// A dependency that needs a newer compiler than the package that builds with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The workspace package whose promise is broken.
    pub package: String,
    /// Its declared `rust-version`.
    pub promised: String,
    /// The dependency (name and version) that needs more.
    pub dependency: String,
    /// The dependency's declared `rust-version`.
    pub needs: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} promises Rust {}, but its dependency {} needs {}",
            self.package, self.promised, self.dependency, self.needs
        )
    }
}

fn version(text: &str) -> Option<(u64, u64, u64)> {
    let mut parts = text.trim().split('.').map(|p| p.parse::<u64>().ok());
    let major = parts.next()??;
    let minor = parts.next().unwrap_or(Some(0))?;
    let patch = parts.next().unwrap_or(Some(0))?;
    Some((major, minor, patch))
}

/// Checks every workspace member of `cargo metadata --format-version 1` output against the `rust-version` of
/// each crate its normal, build and dev dependencies pull in through their normal and build dependencies.
/// Members without a `rust-version` are skipped.
pub fn check(metadata: &Value) -> Result<Vec<Violation>, String> {
    let bad = |what: &str| format!("cargo metadata: {what}");
    let packages = metadata["packages"].as_array().ok_or_else(|| bad("no `packages`"))?;
    let by_id: BTreeMap<&str, &Value> = packages.iter().filter_map(|p| Some((p["id"].as_str()?, p))).collect();
    let nodes = metadata["resolve"]["nodes"]
        .as_array()
        .ok_or_else(|| bad("no `resolve.nodes`"))?;
    // The dependencies of each node, by whether they are dev-dependencies (`kind: "dev"`) or not (normal, build).
    let edges = |dev: bool| -> BTreeMap<&str, Vec<&str>> {
        nodes
            .iter()
            .filter_map(|n| {
                let id = n["id"].as_str()?;
                let list = n["deps"]
                    .as_array()?
                    .iter()
                    .filter(|d| {
                        d["dep_kinds"]
                            .as_array()
                            .is_some_and(|kinds| kinds.iter().any(|k| (k["kind"].as_str() == Some("dev")) == dev))
                    })
                    .filter_map(|d| d["pkg"].as_str())
                    .collect();
                Some((id, list))
            })
            .collect()
    };
    let deps = edges(false);
    let dev_deps = edges(true);
    let members = metadata["workspace_members"]
        .as_array()
        .ok_or_else(|| bad("no `workspace_members`"))?;
    let mut out = Vec::new();
    for member in members.iter().filter_map(Value::as_str) {
        let Some(package) = by_id.get(member) else { continue };
        let Some(promised) = package["rust_version"].as_str() else {
            continue;
        };
        let promised_v = version(promised).ok_or_else(|| bad(&format!("unreadable rust-version `{promised}`")))?;
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&str> = deps
            .get(member)
            .into_iter()
            .chain(dev_deps.get(member))
            .flatten()
            .copied()
            .collect();
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            stack.extend(deps.get(id).into_iter().flatten().copied());
            let Some(dep) = by_id.get(id) else { continue };
            let Some(needs) = dep["rust_version"].as_str() else {
                continue;
            };
            let needs_v = version(needs).ok_or_else(|| bad(&format!("unreadable rust-version `{needs}` of {id}")))?;
            if needs_v > promised_v {
                out.push(Violation {
                    package: package["name"].as_str().unwrap_or("?").to_string(),
                    promised: promised.to_string(),
                    dependency: format!(
                        "{} {}",
                        dep["name"].as_str().unwrap_or("?"),
                        dep["version"].as_str().unwrap_or("?")
                    ),
                    needs: needs.to_string(),
                });
            }
        }
    }
    out.sort_by(|a, b| (&a.package, &a.dependency).cmp(&(&b.package, &b.dependency)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `app` (a member, 1.88) depends on `mid`, which build-depends on `leaf`, and dev-depends on `tester`, which
    /// depends on `helper`. `mid` itself dev-depends on `devonly` (1.99), which cargo never builds for `app`.
    fn metadata(dep_rust_version: &str, helper_rust_version: &str) -> Value {
        json!({
            "packages": [
                {"id": "a", "name": "app", "version": "0.1.0", "rust_version": "1.88"},
                {"id": "b", "name": "mid", "version": "1.0.0", "rust_version": null},
                {"id": "c", "name": "leaf", "version": "2.0.0", "rust_version": dep_rust_version},
                {"id": "d", "name": "devonly", "version": "3.0.0", "rust_version": "1.99"},
                {"id": "t", "name": "tester", "version": "0.5.0", "rust_version": "1.80"},
                {"id": "h", "name": "helper", "version": "0.6.0", "rust_version": helper_rust_version}
            ],
            "workspace_members": ["a"],
            "resolve": {"nodes": [
                {"id": "a", "deps": [
                    {"pkg": "b", "dep_kinds": [{"kind": null}]},
                    {"pkg": "t", "dep_kinds": [{"kind": "dev"}]}
                ]},
                {"id": "b", "deps": [
                    {"pkg": "c", "dep_kinds": [{"kind": "build"}]},
                    {"pkg": "d", "dep_kinds": [{"kind": "dev"}]}
                ]},
                {"id": "c", "deps": []},
                {"id": "d", "deps": []},
                {"id": "t", "deps": [{"pkg": "h", "dep_kinds": [{"kind": null}]}]},
                {"id": "h", "deps": []}
            ]}
        })
    }

    #[test]
    fn a_transitive_dependency_needing_more_is_reported_but_not_a_dependency_s_dev_dependency() {
        let found = check(&metadata("1.90", "1.88")).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].dependency, "leaf 2.0.0");
        assert_eq!(
            found[0].to_string(),
            "app promises Rust 1.88, but its dependency leaf 2.0.0 needs 1.90"
        );
    }

    #[test]
    fn what_the_member_s_own_dev_dependencies_pull_in_is_checked_too() {
        let found = check(&metadata("1.88", "1.94")).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].dependency, "helper 0.6.0");
        assert_eq!(found[0].needs, "1.94");
    }

    #[test]
    fn equal_or_older_requirements_pass() {
        assert!(check(&metadata("1.88", "1.88")).unwrap().is_empty());
        assert!(check(&metadata("1.70.1", "1.0")).unwrap().is_empty());
    }

    #[test]
    fn malformed_metadata_is_an_error_not_a_pass() {
        assert!(check(&json!({})).is_err());
        let err = check(&metadata("one point ninety", "1.88")).unwrap_err();
        assert!(err.contains("one point ninety"), "{err}");
    }
}
