//! `cargo xtask build-time`: clean release builds of three hello-world programs, timed one after another.
//!
//! - `floor`: only what `hotdata`'s default features build on: reqwest with the same version requirement and
//!   features, rustls with the same provider features, and tokio for `main`.
//! - `hotdata`: this workspace's `hotdata` by path, default features.
//! - `vendor`: Hotdata's own crate `hotdata = "=0.20.0"` from crates.io with its `rustls` feature.
//!
//! The floor's dependencies are read from `cargo metadata`, so the floor follows `hotdata/Cargo.toml` and the
//! workspace's `[workspace.dependencies]` when either changes. The floor and `hotdata` projects start from a
//! copy of the workspace's `Cargo.lock`, so both build the same versions of everything they share (checked
//! before any build); the vendor project resolves on its own, as a new user of that crate would.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Largest allowed `hotdata` / floor ratio: above it the command fails.
pub const LIMIT: f64 = 1.25;
/// The ratio the issue aims for; missing it is reported, not failed.
pub const GOAL: f64 = 1.15;

/// The Hotdata crate on crates.io the `vendor` project builds.
pub const VENDOR_VERSION: &str = "0.20.0";

/// Usage of the command.
pub const USAGE: &str = "usage: cargo xtask build-time [--rounds N] [--jobs N] [--timings]
  clean release builds of three hello-world programs (floor: reqwest + rustls/ring + tokio as hotdata's
  default features build them; hotdata: this workspace's crate; vendor: hotdata 0.20.0 from crates.io with
  rustls), one at a time, rounds interleaved; prints the median wall time of each and its ratio to the floor.
  Fails when hotdata / floor > 1.25 or hotdata > vendor; reports whether hotdata / floor <= 1.15.
  --rounds N   builds of each project (default 1); the median is reported
  --jobs N     `cargo build -j N` for every build (default: the number of CPUs)
  --timings    keep cargo's timing report of each project's last build in target/build-time/";

/// Options of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Builds of each project.
    pub rounds: usize,
    /// `-j` of every build.
    pub jobs: usize,
    /// Keep `--timings` reports.
    pub timings: bool,
}

impl Options {
    /// Reads the command's arguments (after `build-time`).
    pub fn parse(args: &[String]) -> Result<Options, String> {
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        let mut options = Options {
            rounds: 1,
            jobs: cpus,
            timings: false,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut number = |name: &str| -> Result<usize, String> {
                let value = args.next().ok_or_else(|| format!("{name} needs a number\n{USAGE}"))?;
                match value.parse::<usize>() {
                    Ok(n) if n > 0 => Ok(n),
                    _ => Err(format!("{name} needs a positive number, not `{value}`\n{USAGE}")),
                }
            };
            match arg.as_str() {
                "--rounds" => options.rounds = number("--rounds")?,
                "--jobs" | "-j" => options.jobs = number("--jobs")?,
                "--timings" => options.timings = true,
                _ => return Err(USAGE.to_owned()),
            }
        }
        Ok(options)
    }
}

/// A dependency line of a generated manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dep {
    /// Package name.
    pub name: String,
    /// Version requirement.
    pub req: String,
    /// Whether the package's default features are on.
    pub default_features: bool,
    /// Features switched on.
    pub features: BTreeSet<String>,
}

impl Dep {
    /// The dependency as a `[dependencies]` line.
    pub fn toml(&self) -> String {
        let features: Vec<String> = self.features.iter().map(|f| format!("{f:?}")).collect();
        format!(
            "{} = {{ version = {:?}, default-features = {}, features = [{}] }}",
            self.name,
            self.req,
            self.default_features,
            features.join(", ")
        )
    }
}

/// The tokio every project's `main` runs on: a current-thread runtime started by `#[tokio::main]`.
pub fn tokio_dep() -> Dep {
    Dep {
        name: "tokio".into(),
        req: "1".into(),
        default_features: false,
        features: ["rt", "macros"].map(String::from).into(),
    }
}

/// From `hotdata`'s entry in `cargo metadata --no-deps`: reqwest, and rustls when the default features turn it
/// on, each with the version requirement and features `hotdata` builds them with by default.
pub fn floor_deps(metadata: &serde_json::Value) -> Result<Vec<Dep>, String> {
    let package = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == "hotdata")
        .ok_or("cargo metadata lists no `hotdata` package")?;
    let (enabled, extra) = default_features(package)?;
    let mut deps = Vec::new();
    for name in ["reqwest", "rustls"] {
        let entry = package["dependencies"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|d| d["name"] == name && d["kind"].is_null())
            .ok_or_else(|| format!("hotdata has no normal dependency on {name}"))?;
        if entry["optional"] == true && !enabled.contains(name) {
            continue;
        }
        let mut features: BTreeSet<String> = entry["features"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f.as_str().map(str::to_owned))
            .collect();
        features.extend(extra.get(name).into_iter().flatten().cloned());
        deps.push(Dep {
            name: name.to_owned(),
            req: entry["req"].as_str().unwrap_or("*").to_owned(),
            default_features: entry["uses_default_features"] != false,
            features,
        });
    }
    Ok(deps)
}

/// Features a feature list adds to each dependency, by dependency name.
type DepFeatures = BTreeMap<String, BTreeSet<String>>;

/// Expands `hotdata`'s `default` feature: the optional dependencies it turns on, and the features of
/// dependencies it adds (`dep/feature`, `dep?/feature`).
fn default_features(package: &serde_json::Value) -> Result<(BTreeSet<String>, DepFeatures), String> {
    let table = package["features"]
        .as_object()
        .ok_or("hotdata's metadata has no feature table")?;
    let mut enabled = BTreeSet::new();
    let mut extra = DepFeatures::new();
    let mut seen = BTreeSet::new();
    let mut todo = vec!["default".to_owned()];
    while let Some(feature) = todo.pop() {
        if !seen.insert(feature.clone()) {
            continue;
        }
        let Some(items) = table.get(&feature).and_then(|v| v.as_array()) else {
            // An optional dependency's implicit feature.
            enabled.insert(feature);
            continue;
        };
        for item in items.iter().filter_map(|i| i.as_str()) {
            if let Some(dep) = item.strip_prefix("dep:") {
                enabled.insert(dep.to_owned());
            } else if let Some((dep, f)) = item.split_once('/') {
                let weak = dep.ends_with('?');
                let dep = dep.trim_end_matches('?');
                if !weak {
                    enabled.insert(dep.to_owned());
                }
                extra.entry(dep.to_owned()).or_default().insert(f.to_owned());
            } else {
                todo.push(item.to_owned());
            }
        }
    }
    Ok((enabled, extra))
}

/// One hello-world project.
#[derive(Debug, Clone)]
pub struct Project {
    /// Name in the table and of the package.
    pub name: &'static str,
    /// `Cargo.toml`.
    pub manifest: String,
    /// `src/main.rs`.
    pub main: String,
    /// Start from the workspace's `Cargo.lock`.
    pub workspace_lock: bool,
}

fn manifest(name: &str, deps: &[String]) -> String {
    format!(
        "[package]\nname = \"build-time-{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         # Not part of any workspace above the temporary folder.\n[workspace]\n\n[dependencies]\n{}\n",
        deps.join("\n")
    )
}

/// The three projects: the floor from `floor` (see [`floor_deps`]), this workspace's `hotdata` at `hotdata_dir`,
/// and the vendor crate.
pub fn projects(floor: &[Dep], hotdata_dir: &Path) -> Vec<Project> {
    let tokio = tokio_dep().toml();
    let mut floor_lines: Vec<String> = floor.iter().map(Dep::toml).collect();
    floor_lines.push(tokio.clone());
    let provider = if floor.iter().any(|d| d.name == "rustls") {
        "    // hotdata installs the same provider before it builds its reqwest client.\n    \
         let _ = rustls::crypto::ring::default_provider().install_default();\n"
    } else {
        ""
    };
    vec![
        Project {
            name: "floor",
            manifest: manifest("floor", &floor_lines),
            main: format!(
                "#[tokio::main(flavor = \"current_thread\")]\nasync fn main() {{\n{provider}    \
                 let client = reqwest::Client::builder().gzip(true).build();\n    \
                 println!(\"{{:?}}\", client.map(|_| ()));\n}}\n"
            ),
            workspace_lock: true,
        },
        Project {
            name: "hotdata",
            manifest: manifest(
                "hotdata",
                &[
                    format!("hotdata = {{ path = {:?} }}", hotdata_dir.display().to_string()),
                    tokio.clone(),
                ],
            ),
            main: "#[tokio::main(flavor = \"current_thread\")]\nasync fn main() {\n    \
                   let client = hotdata::Client::builder().api_key(\"hd_example\").workspace_id(\"ws\").build();\n    \
                   println!(\"{:?}\", client.map(|c| c.base_url().to_owned()));\n}\n"
                .into(),
            workspace_lock: true,
        },
        Project {
            name: "vendor",
            manifest: manifest(
                "vendor",
                &[
                    format!(
                        "hotdata = {{ version = \"={VENDOR_VERSION}\", default-features = false, features = [\"rustls\"] }}"
                    ),
                    tokio,
                ],
            ),
            main: "#[tokio::main(flavor = \"current_thread\")]\nasync fn main() {\n    \
                   let client = hotdata::Client::builder().api_token(\"hd_example\").workspace_id(\"ws\").build();\n    \
                   println!(\"{}\", client.map(|_| \"built\".to_owned()).unwrap_or_else(|e| e.to_string()));\n}\n"
                .into(),
            workspace_lock: false,
        },
    ]
}

/// Versions of each package a `Cargo.lock` holds.
pub fn lock_versions(lock: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut name = None;
    for line in lock.lines() {
        if line == "[[package]]" {
            name = None;
        } else if let Some(n) = line.strip_prefix("name = ") {
            name = Some(n.trim_matches('"').to_owned());
        } else if let (Some(v), Some(n)) = (line.strip_prefix("version = "), name.take()) {
            out.entry(n).or_default().insert(v.trim_matches('"').to_owned());
        }
    }
    out
}

/// Packages two lock files both hold at different versions (the local `hotdata` aside).
pub fn version_mismatches(a: &str, b: &str) -> Vec<String> {
    let (a, b) = (lock_versions(a), lock_versions(b));
    a.iter()
        .filter_map(|(name, va)| {
            let vb = b.get(name)?;
            (va != vb).then(|| format!("{name}: {va:?} vs {vb:?}"))
        })
        .collect()
}

/// The middle of `times` (the mean of the two middle ones for an even count).
pub fn median(times: &[f64]) -> f64 {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// The gates on the medians: report lines, and whether a hard limit is broken.
pub fn gates(floor: f64, hotdata: f64, vendor: f64) -> (Vec<String>, bool) {
    let ratio = hotdata / floor;
    let against_vendor = hotdata / vendor;
    let limit_ok = ratio <= LIMIT;
    let goal_ok = ratio <= GOAL;
    let vendor_ok = hotdata <= vendor;
    let lines = vec![
        format!(
            "hotdata / floor  = {ratio:.2}  limit {LIMIT:.2}: {}",
            if limit_ok { "ok" } else { "FAILED" }
        ),
        format!(
            "hotdata / floor  = {ratio:.2}  goal  {GOAL:.2}: {}",
            if goal_ok { "met" } else { "not met" }
        ),
        format!(
            "hotdata / vendor = {against_vendor:.2}  limit 1.00: {}",
            if vendor_ok { "ok" } else { "FAILED" }
        ),
    ];
    (lines, !(limit_ok && vendor_ok))
}

/// The table of results: project, median `what` time, ratio to the floor, each round.
pub fn table(results: &[(&str, Vec<f64>)], what: &str) -> String {
    let floor = results
        .iter()
        .find(|(name, _)| *name == "floor")
        .map_or(f64::NAN, |(_, t)| median(t));
    let mut out = format!(
        "{:<8} {:>10} {:>8}  {}\n",
        "project",
        format!("{what} (s)"),
        "x floor",
        "rounds (s)"
    );
    for (name, times) in results {
        let m = median(times);
        let rounds: Vec<String> = times.iter().map(|t| format!("{t:.1}")).collect();
        out.push_str(&format!(
            "{name:<8} {m:>10.1} {:>8.2}  {}\n",
            m / floor,
            rounds.join(", ")
        ));
    }
    out
}

/// Removes the temporary folder (and every target in it) when the run ends, however it ends.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the benchmark with `cargo` from the workspace at `root`.
pub fn run(args: &[String], cargo: &str, root: &Path) -> Result<(), String> {
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return Ok(());
    }
    let options = Options::parse(args)?;
    let metadata = crate::cargo_metadata(cargo, root, &["--no-deps"])?;
    let floor = floor_deps(&metadata)?;
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).map_err(|e| format!("cannot read Cargo.lock: {e}"))?;

    let temp = TempDir(std::env::temp_dir().join(format!("hotdata-build-time-{}", std::process::id())));
    let projects = projects(&floor, &root.join("hotdata"));
    for p in &projects {
        let dir = temp.0.join(p.name);
        let write = |path: PathBuf, text: &str| {
            std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
        };
        std::fs::create_dir_all(dir.join("src")).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        write(dir.join("Cargo.toml"), &p.manifest)?;
        write(dir.join("src/main.rs"), &p.main)?;
        if p.workspace_lock {
            write(dir.join("Cargo.lock"), &lock)?;
        }
        // Downloads happen here, before any clock starts; the builds then run --frozen.
        cargo_in(cargo, &dir, &["fetch"], &[])?;
    }
    let read_lock = |name: &str| std::fs::read_to_string(temp.0.join(name).join("Cargo.lock")).unwrap_or_default();
    let mismatches = version_mismatches(&read_lock("floor"), &read_lock("hotdata"));
    if !mismatches.is_empty() {
        return Err(format!(
            "the floor and hotdata projects resolved different versions:\n  {}",
            mismatches.join("\n  ")
        ));
    }
    println!("floor dependencies (from hotdata's default features):");
    for d in &floor {
        println!("  {}", d.toml());
    }
    println!("  {}", tokio_dep().toml());
    println!(
        "{} round(s), cargo build --release -j {}, one build at a time, each with an empty target folder",
        options.rounds, options.jobs
    );

    let keep = root.join("target/build-time");
    let mut times: Vec<(&str, Vec<f64>)> = projects.iter().map(|p| (p.name, Vec::new())).collect();
    let mut cpu = times.clone();
    let ticks = clock_ticks();
    for round in 0..options.rounds {
        // Rotate the order so no project always runs first (or right after the slowest one).
        for i in 0..projects.len() {
            let index = (i + round) % projects.len();
            let p = &projects[index];
            let dir = temp.0.join(p.name);
            let target = dir.join("target");
            let _ = std::fs::remove_dir_all(&target);
            let timings = options.timings && round + 1 == options.rounds;
            let jobs = options.jobs.to_string();
            let mut args = vec!["build", "--release", "--frozen", "-j", jobs.as_str()];
            if timings {
                args.push("--timings");
            }
            let target_env = target.display().to_string();
            let cpu_before = children_cpu(ticks);
            let started = Instant::now();
            cargo_in(cargo, &dir, &args, &[("CARGO_TARGET_DIR", target_env.as_str())])?;
            let took = started.elapsed().as_secs_f64();
            let cpu_took = children_cpu(ticks)
                .zip(cpu_before)
                .map(|(after, before)| after - before);
            let cpu_text = cpu_took.map_or("?".to_owned(), |c| format!("{c:.1}"));
            println!(
                "  round {}/{}: {:<8} {took:>7.1} s wall, {cpu_text:>7} s cpu",
                round + 1,
                options.rounds,
                p.name
            );
            times[index].1.push(took);
            if let Some(c) = cpu_took {
                cpu[index].1.push(c);
            }
            if timings {
                std::fs::create_dir_all(&keep).map_err(|e| format!("cannot create {}: {e}", keep.display()))?;
                let to = keep.join(format!("{}-timing.html", p.name));
                std::fs::copy(target.join("cargo-timings/cargo-timing.html"), &to)
                    .map_err(|e| format!("cannot keep the timing report of {}: {e}", p.name))?;
                println!("    timing report: {}", to.display());
            }
            let _ = std::fs::remove_dir_all(&target);
        }
    }

    println!("\n{}", table(&times, "wall"));
    if cpu.iter().all(|(_, c)| !c.is_empty()) {
        // User + system time of cargo and every compiler it ran: less sensitive than wall time to other work on
        // the machine, so a cross-check when the wall times are noisy (the gates use wall time).
        println!("{}", table(&cpu, "cpu"));
    }
    let median_of = |name: &str| {
        times
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(f64::NAN, |(_, t)| median(t))
    };
    let (lines, failed) = gates(median_of("floor"), median_of("hotdata"), median_of("vendor"));
    for line in &lines {
        println!("{line}");
    }
    println!("(wall times on a shared machine are noisy: compare ratios within one run, and prefer --rounds 3)");
    if failed {
        Err("build-time gate failed".to_owned())
    } else {
        Ok(())
    }
}

/// User + system seconds of every finished child of this process (and their children), from `/proc/self/stat`
/// (`cutime`, `cstime`); `None` where there is no such file.
fn children_cpu(ticks: f64) -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    cutime_cstime(&stat).map(|t| t as f64 / ticks)
}

/// `cutime + cstime` (fields 16 and 17, in clock ticks) of a `/proc/<pid>/stat` line.
pub fn cutime_cstime(stat: &str) -> Option<u64> {
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    field(16)?.checked_add(field(17)?)
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 when that cannot run).
fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|t| t.trim().parse::<f64>().ok())
        .filter(|t| *t > 0.0)
        .unwrap_or(100.0)
}

/// Runs `cargo args` in `dir` with a plain compiler (no wrapper that could serve cached artifacts) and the given
/// environment; prints cargo's output only when it fails.
fn cargo_in(cargo: &str, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    let out = Command::new(cargo)
        .args(args)
        .current_dir(dir)
        .env_remove("RUSTC_WRAPPER")
        .env_remove("CARGO_BUILD_RUSTC_WRAPPER")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .envs(env.iter().copied())
        .output()
        .map_err(|e| format!("cannot run cargo in {}: {e}", dir.display()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`cargo {}` in {} failed ({}):\n{}",
            args.join(" "),
            dir.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn metadata() -> serde_json::Value {
        json!({"packages": [{
            "name": "hotdata",
            "dependencies": [
                {"name": "reqwest", "req": "^0.13.4", "kind": null, "optional": false,
                 "uses_default_features": false, "features": ["json", "query", "stream"]},
                {"name": "rustls", "req": "^0.23", "kind": null, "optional": true,
                 "uses_default_features": false, "features": ["ring", "std", "tls12"]},
                {"name": "tokio", "req": "^1", "kind": "dev", "optional": false,
                 "uses_default_features": false, "features": ["macros"]}
            ],
            "features": {
                "default": ["rustls", "gzip"],
                "rustls": ["dep:rustls", "reqwest/rustls-no-provider"],
                "gzip": ["reqwest/gzip"],
                "native-tls": ["reqwest/native-tls"]
            }
        }]})
    }

    #[test]
    fn the_floor_follows_hotdatas_default_features() {
        let deps = floor_deps(&metadata()).unwrap();
        let lines: Vec<String> = deps.iter().map(Dep::toml).collect();
        assert_eq!(
            lines,
            [
                r#"reqwest = { version = "^0.13.4", default-features = false, features = ["gzip", "json", "query", "rustls-no-provider", "stream"] }"#,
                r#"rustls = { version = "^0.23", default-features = false, features = ["ring", "std", "tls12"] }"#,
            ]
        );
    }

    #[test]
    fn without_rustls_in_the_defaults_the_floor_has_no_rustls() {
        let mut m = metadata();
        m["packages"][0]["features"]["default"] = json!(["gzip"]);
        let deps = floor_deps(&m).unwrap();
        assert_eq!(deps.len(), 1);
        assert!(!deps[0].features.contains("rustls-no-provider"));
        let floor = &projects(&deps, Path::new("/x/hotdata"))[0];
        assert!(!floor.main.contains("rustls::"));
    }

    #[test]
    fn the_floor_of_this_workspace_has_reqwest_rustls_ring_and_gzip() {
        let root = crate::workspace_root();
        let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["metadata", "--format-version", "1", "--no-deps"])
            .current_dir(&root)
            .output()
            .unwrap();
        let deps = floor_deps(&serde_json::from_slice(&out.stdout).unwrap()).unwrap();
        let reqwest = deps.iter().find(|d| d.name == "reqwest").unwrap();
        assert!(reqwest.features.contains("rustls-no-provider") && reqwest.features.contains("gzip"));
        assert!(!reqwest.default_features);
        let rustls = deps.iter().find(|d| d.name == "rustls").unwrap();
        assert!(rustls.features.contains("ring") && !rustls.features.contains("aws_lc_rs"));
    }

    #[test]
    fn lock_versions_and_mismatches() {
        let a = "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\n[[package]]\nname = \"b\"\nversion = \"2.0.0\"\n";
        let b = "[[package]]\nname = \"a\"\nversion = \"1.0.1\"\n\n[[package]]\nname = \"c\"\nversion = \"2.0.0\"\n";
        assert_eq!(lock_versions(a)["b"], BTreeSet::from(["2.0.0".to_owned()]));
        assert_eq!(version_mismatches(a, b), [r#"a: {"1.0.0"} vs {"1.0.1"}"#]);
        assert!(version_mismatches(a, a).is_empty());
    }

    #[test]
    fn median_and_gates() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        let (_, failed) = gates(100.0, 114.0, 150.0);
        assert!(!failed);
        let (lines, failed) = gates(100.0, 120.0, 150.0);
        assert!(!failed && lines[1].ends_with("not met"));
        assert!(gates(100.0, 126.0, 150.0).1, "above 1.25 fails");
        assert!(gates(100.0, 110.0, 105.0).1, "slower than the vendor crate fails");
    }

    #[test]
    fn children_cpu_time_is_read_after_the_command_name() {
        let stat = "4242 (x (y) z) S 1 2 3 4 5 6 7 8 9 10 11 12 300 45 20 0 1";
        assert_eq!(cutime_cstime(stat), Some(345));
        assert_eq!(cutime_cstime("4242 (x) S 1 2"), None);
        assert!(children_cpu(100.0).is_none_or(|s| s >= 0.0));
    }

    #[test]
    fn options() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let o = Options::parse(&args(&["--rounds", "3", "-j", "2", "--timings"])).unwrap();
        assert_eq!((o.rounds, o.jobs, o.timings), (3, 2, true));
        assert!(Options::parse(&args(&["--rounds", "0"])).is_err());
        assert!(Options::parse(&args(&["--rounds"])).is_err());
        assert!(Options::parse(&args(&["--fast"])).is_err());
    }
}
