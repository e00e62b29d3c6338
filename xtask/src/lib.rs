//! Maintainer tasks: regenerate the client from the spec, and check that the
//! committed output is what the spec produces.

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

/// Where the spec lives, relative to the workspace root.
pub const SPEC: &str = "spec/openapi.yaml";
/// Where the generated module lives, relative to the workspace root.
pub const GENERATED: &str = "hotdata/src/generated";

/// Runs the generator on the spec at `spec`, timing it.
pub fn generate(spec: &Path) -> Result<(Output, Duration), String> {
    let text = std::fs::read_to_string(spec).map_err(|e| format!("cannot read {}: {e}", spec.display()))?;
    let started = Instant::now();
    let out = hotdata_gen::generate(&text, &Settings::default()).map_err(|e| e.to_string())?;
    Ok((out, started.elapsed()))
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

/// Writes `out` into `dir`, removing generated files the spec no longer yields.
pub fn write(out: &Output, dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for name in existing(dir).keys() {
        if !out.files.contains_key(name) {
            std::fs::remove_file(dir.join(name)).map_err(|e| format!("cannot remove {name}: {e}"))?;
        }
    }
    for (name, text) in &out.files {
        let path = dir.join(name);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
    }
    Ok(())
}

/// Compares `out` with the files in `dir`. `Ok` when identical, otherwise a
/// readable unified diff of every stale file.
pub fn drift(out: &Output, dir: &Path) -> Result<(), String> {
    let on_disk = existing(dir);
    let mut report = String::new();
    for (name, want) in &out.files {
        let have = on_disk.get(name).map(String::as_str).unwrap_or("");
        if have != want {
            let diff = similar::TextDiff::from_lines(have, want.as_str());
            let _ = writeln!(
                report,
                "{}",
                diff.unified_diff().context_radius(2).header(
                    &format!("{GENERATED}/{name} (committed)"),
                    &format!("{GENERATED}/{name} (from {SPEC})"),
                )
            );
        }
    }
    for name in on_disk.keys() {
        if !out.files.contains_key(name) {
            let _ = writeln!(
                report,
                "{GENERATED}/{name} is committed but the spec no longer generates it"
            );
        }
    }
    if report.is_empty() { Ok(()) } else { Err(report) }
}

/// Lines of code in the generated files.
pub fn line_count(out: &Output) -> usize {
    out.files.values().map(|t| t.lines().count()).sum()
}
