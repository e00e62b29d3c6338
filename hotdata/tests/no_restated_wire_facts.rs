//! The hand-written layer builds requests from what the generator emitted
//! (`generated::operations`): it restates no path of the API and no header
//! name the spec declares. Tests may spell out concrete URLs (they check the
//! result against an independent truth), so `#[cfg(test)] mod tests` blocks
//! and comments are not scanned.

use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every hand-written `.rs` file under `src/`, `generated/` excluded.
fn hand_written(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "generated") {
                hand_written(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The lines of `text` that are code: before its unit-test module, without
/// comment lines.
fn code_lines(text: &str) -> Vec<(usize, &str)> {
    let mut lines = Vec::new();
    let mut previous = "";
    for (number, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if previous == "#[cfg(test)]" && trimmed.starts_with("mod tests") {
            break;
        }
        previous = trimmed;
        if !trimmed.starts_with("//") {
            lines.push((number + 1, line));
        }
    }
    lines
}

/// The header names the generated `operations::headers` module declares.
fn spec_headers() -> Vec<String> {
    let text = std::fs::read_to_string(src().join("generated/operations.rs")).expect("operations.rs");
    let module = text.split("pub mod headers").nth(1).expect("a headers module");
    module
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub const "))
        .filter_map(|l| l.split('"').nth(1))
        .map(str::to_ascii_lowercase)
        .collect()
}

#[test]
fn hand_written_code_restates_no_path_or_header_name() {
    let headers = spec_headers();
    assert!(headers.iter().any(|h| h == "x-database-id"), "{headers:?}");
    let mut files = Vec::new();
    hand_written(&src(), &mut files);
    assert!(files.len() > 10, "found only {files:?}");
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable");
        for (number, line) in code_lines(&text) {
            let lower = line.to_ascii_lowercase();
            let path = lower.contains("\"/v1");
            let header = headers.iter().find(|h| lower.contains(&format!("\"{h}\"")));
            if path || header.is_some() {
                found.push(format!("{}:{number}: {}", file.display(), line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "hand-written code restates wire facts the spec holds; use `generated::operations` \
         (the operation constants, `PATH_PREFIX`, `headers::*`) instead:\n{}",
        found.join("\n")
    );
}
