//! The layers of `src/` (see the crate docs, "How the crate is built") only
//! depend downwards: the runtime knows nothing of rows, flows or the client,
//! and the data layer nothing of flows or the client. Doc comments may link
//! anywhere; code may not.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, recursively.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The lines of the layer in `folder` that name one of `above` in code.
fn upward_uses(folder: &str, above: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(folder);
    let files = sources(&root);
    assert!(!files.is_empty(), "no sources under {}", root.display());
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("source file");
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            // A trailing comment is not code either.
            let code = code.split("//").next().unwrap_or_default();
            for module in above {
                if code.contains(&format!("crate::{module}")) {
                    found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                }
            }
        }
    }
    found
}

#[test]
fn the_runtime_uses_nothing_above_it() {
    let found = upward_uses("runtime", &["data", "flows", "client", "config", "blocking"]);
    assert!(found.is_empty(), "the runtime reaches up:\n{}", found.join("\n"));
}

#[test]
fn the_data_layer_uses_only_the_runtime() {
    let found = upward_uses("data", &["flows", "client", "config", "blocking"]);
    assert!(found.is_empty(), "the data layer reaches up:\n{}", found.join("\n"));
}

#[test]
fn the_scan_sees_an_upward_use() {
    // The check itself: a known downward use is found when asked about.
    assert!(!upward_uses("flows", &["runtime"]).is_empty());
}
