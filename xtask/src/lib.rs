//! Maintainer tasks: regenerate the client from the spec, and check that the
//! committed output is what the spec produces.

pub mod build_time;
pub mod msrv;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hotdata_gen::{Output, Settings};

/// The workspace root (the parent of this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// `cargo metadata --format-version 1 --locked` in `dir`, plus `extra` arguments (such as `--no-deps`), parsed.
pub fn cargo_metadata(cargo: &str, dir: &Path, extra: &[&str]) -> Result<serde_json::Value, String> {
    let out = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .args(extra)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("cargo metadata printed no JSON: {e}"))
}

/// Where the spec lives, relative to the workspace root.
pub const SPEC: &str = "spec/openapi.yaml";
/// Where the generated module lives, relative to the workspace root.
pub const GENERATED: &str = "hotdata/src/generated";
/// Where the generated models live, relative to the workspace root: the crate `hotdata-models`.
pub const MODELS_GENERATED: &str = "hotdata-models/src/generated";
/// The models crate, as the generated root re-exports it.
pub const MODELS_CRATE: &str = "hotdata_models";

/// Runs the generator on the spec at `spec`, timing it.
pub fn generate(spec: &Path) -> Result<(Output, Duration), String> {
    let text = std::fs::read_to_string(spec).map_err(|e| format!("cannot read {}: {e}", spec.display()))?;
    let started = Instant::now();
    let settings = Settings {
        models_crate: Some(MODELS_CRATE.into()),
        ..Settings::default()
    };
    let out = hotdata_gen::generate(&text, &settings).map_err(|e| e.to_string())?;
    Ok((out, started.elapsed()))
}

/// Each generated directory, relative to the workspace root, with the files the generator wrote for it.
pub fn outputs(out: &Output) -> [(&'static str, &BTreeMap<String, String>); 2] {
    [(GENERATED, &out.files), (MODELS_GENERATED, &out.models)]
}

/// The `.rs` files currently in `dir`, by file name.
fn existing(dir: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".rs") {
                files.insert(name, std::fs::read_to_string(e.path()).unwrap_or_default());
            }
        }
    }
    files
}

/// Writes `out` into its directories under `root`, removing generated files the spec no longer yields.
pub fn write(out: &Output, root: &Path) -> Result<(), String> {
    for (rel, files) in outputs(out) {
        let dir = root.join(rel);
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        for name in existing(&dir).keys() {
            if !files.contains_key(name) {
                std::fs::remove_file(dir.join(name)).map_err(|e| format!("cannot remove {rel}/{name}: {e}"))?;
            }
        }
        for (name, text) in files {
            let path = dir.join(name);
            if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            }
        }
    }
    Ok(())
}

/// Compares `out` with the files in its directories under `root`. `Ok` when identical, otherwise a readable
/// unified diff of every stale file.
pub fn drift(out: &Output, root: &Path) -> Result<(), String> {
    let mut report = String::new();
    for (rel, files) in outputs(out) {
        let on_disk = existing(&root.join(rel));
        for (name, want) in files {
            let have = on_disk.get(name).map(String::as_str).unwrap_or("");
            if have != want {
                let diff = similar::TextDiff::from_lines(have, want.as_str());
                let _ = writeln!(
                    report,
                    "{}",
                    diff.unified_diff().context_radius(2).header(
                        &format!("{rel}/{name} (committed)"),
                        &format!("{rel}/{name} (from {SPEC})"),
                    )
                );
            }
        }
        for name in on_disk.keys() {
            if !files.contains_key(name) {
                let _ = writeln!(report, "{rel}/{name} is committed but the spec no longer generates it");
            }
        }
    }
    if report.is_empty() { Ok(()) } else { Err(report) }
}

/// The spec to compare against: the file at `base` when one exists, else
/// `spec/openapi.yaml` at the git revision `base` (`HEAD` when `None`).
pub fn base_spec(base: Option<&str>) -> Result<String, String> {
    let root = workspace_root();
    let base = base.unwrap_or("HEAD");
    let file = root.join(base);
    if Path::new(base).is_file() || file.is_file() {
        let path = if Path::new(base).is_file() {
            PathBuf::from(base)
        } else {
            file
        };
        return std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()));
    }
    let output = std::process::Command::new("git")
        .current_dir(&root)
        .args(["show", &format!("{base}:{SPEC}")])
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{base:?} is neither a file nor a git revision with {SPEC}: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    String::from_utf8(output.stdout).map_err(|e| format!("{SPEC} at {base} is not UTF-8: {e}"))
}

/// What the working spec changes for users relative to `base` (see
/// [`base_spec`]), as Markdown for `CHANGELOG.md`.
pub fn report(base: Option<&str>) -> Result<String, String> {
    let before = base_spec(base)?;
    let path = workspace_root().join(SPEC);
    let after = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    hotdata_gen::report::render(&before, &after).map_err(|e| e.to_string())
}

/// Lines of code in the generated files.
pub fn line_count(out: &Output) -> usize {
    outputs(out)
        .iter()
        .flat_map(|(_, files)| files.values())
        .map(|t| t.lines().count())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_file_is_read_and_the_same_spec_reports_nothing() {
        let text = base_spec(Some(SPEC)).expect("the spec is a file");
        assert!(text.contains("openapi:"));
        let report = report(Some(SPEC)).expect("report");
        assert!(report.contains("- none visible to users"), "{report}");
    }

    #[test]
    fn an_unknown_base_is_an_error_naming_it() {
        let err = base_spec(Some("no-such-rev-or-file")).expect_err("unknown");
        assert!(
            err.contains("\"no-such-rev-or-file\" is neither a file nor a git revision"),
            "{err}"
        );
    }
}
