//! `cargo xtask regen`, `check`, `msrv`, `examples`, `seed-flows`, `ci` and `build-time`.

use std::process::{Command, ExitCode};

mod conformance;
mod seed_flows;

use xtask::{GENERATED, MODELS_GENERATED, SPEC, drift, generate, line_count, report, workspace_root, write};

const USAGE: &str =
    "usage: cargo xtask <regen|report|check|msrv|examples|conformance|seed-flows|ci|build-time> [--base <file|rev>]
  regen   rewrite hotdata/src/generated/ and the insta snapshots from spec/openapi.yaml,
          then print what the spec change does to users (against --base, default HEAD)
  report  only print that report, ready to paste into CHANGELOG.md
  check   fail with a diff if anything generated or snapshotted is stale
  msrv    fail if a crate a package builds or tests with declares a newer rust-version than the package
  examples  run every example (examples/) offline against its embedded hotdata-local (a step of ci)
  conformance  run schemathesis against a freshly started hotdata-local (a step of ci)
  seed-flows  run Hotdata's Python client hotdata==0.2.6 (from PyPI) through every seed-era flow
          against hotdata-local --contract 2026-05 (tests/python/seed_flows.py)
  ci      everything CI runs: fmt, clippy, the msrv gate, spec validation, check, tests, every
          example offline, schemathesis against hotdata-local, the seed-era flows, docs
  build-time  time clean release builds of hello worlds on hotdata, on its floor (reqwest, rustls with
          ring, tokio) and on the vendor crate hotdata 0.20.0; `cargo xtask build-time --help` for options";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = args.first().cloned().unwrap_or_default();
    if task == "build-time" {
        return finish(xtask::build_time::run(
            args.get(1..).unwrap_or_default(),
            &cargo(),
            &workspace_root(),
        ));
    }
    let base = match args.get(1..).unwrap_or_default() {
        [] => Ok(None),
        [flag, base] if flag == "--base" && matches!(task.as_str(), "regen" | "report") => Ok(Some(base.clone())),
        _ => Err(USAGE.to_owned()),
    };
    let result = base.and_then(|base| match task.as_str() {
        "regen" => regen(base.as_deref()),
        "report" => report(base.as_deref()).map(|text| print!("{text}")),
        "check" => check(),
        "seed-flows" => seed_flows::run(),
        "conformance" => conformance::schemathesis(&workspace_root(), &cargo()),
        "ci" => ci(),
        "msrv" => check_rust_versions(&cargo()).map(|()| println!("every rust-version promise holds")),
        "examples" => run_examples(&cargo()),
        _ => Err(USAGE.to_owned()),
    });
    finish(result)
}

fn finish(result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn regen(base: Option<&str>) -> Result<(), String> {
    let root = workspace_root();
    let (out, took) = generate(&root.join(SPEC))?;
    write(&out, &root)?;
    println!(
        "generated {} operations into {GENERATED} and {MODELS_GENERATED} ({} files, {} lines) in {:.2?}",
        out.plan.operations.len(),
        out.files.len() + out.models.len(),
        line_count(&out),
        took
    );
    snapshots("always")?;
    println!("snapshots rewritten; review them with `git diff`");
    match report(base) {
        Ok(text) => println!("\n{text}"),
        Err(e) => println!("\nno report of the spec change: {e}"),
    }
    Ok(())
}

fn check() -> Result<(), String> {
    check_generated()?;
    snapshots("no").map_err(|e| format!("{e}\nsnapshots are stale: run `cargo xtask regen` and review the diff"))?;
    println!("generated code and snapshots match {SPEC}");
    Ok(())
}

/// The committed generated code is what the spec produces.
fn check_generated() -> Result<(), String> {
    let root = workspace_root();
    let (out, _) = generate(&root.join(SPEC))?;
    drift(&out, &root).map_err(|diff| {
        format!(
            "{diff}\nthe generated client is stale relative to {SPEC}: run `cargo xtask regen` and commit the result"
        )
    })
}

/// Runs the generator's snapshot tests with the given `INSTA_UPDATE` mode.
fn snapshots(mode: &str) -> Result<(), String> {
    let force = if mode == "always" { "1" } else { "0" };
    run(
        "snapshot tests",
        &cargo(),
        &["test", "--quiet", "-p", "hotdata-gen", "--tests"],
        &[("INSTA_UPDATE", mode), ("INSTA_FORCE_PASS", force)],
    )
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Runs `program args` at the workspace root with extra environment.
fn run(name: &str, program: &str, args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    let status = Command::new(program)
        .current_dir(workspace_root())
        .args(args)
        .envs(env.iter().copied())
        .status()
        .map_err(|e| format!("{name}: cannot run `{program}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{name} failed ({status})"))
    }
}

/// Runs `cargo metadata` (every platform's dependencies) and fails when a crate that a workspace package builds
/// or tests with declares a newer `rust-version` than the package does ([`xtask::msrv`]).
fn check_rust_versions(cargo: &str) -> Result<(), String> {
    let metadata = xtask::cargo_metadata(cargo, &workspace_root(), &[])?;
    let violations = xtask::msrv::check(&metadata)?;
    if violations.is_empty() {
        return Ok(());
    }
    for v in &violations {
        eprintln!("  {v}");
    }
    Err(format!("{} rust-version promise(s) broken", violations.len()))
}

/// Runs every example of the `hotdata-examples` package (`examples/`) with `HOTDATA_API_KEY` removed, so each
/// starts its own embedded `hotdata-local`. An example fails the step when it exits non-zero or when the server
/// reports traffic that breaks the spec (the examples' server records violations and prints them on stderr).
fn run_examples(cargo: &str) -> Result<(), String> {
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps", "--locked"])
        .current_dir(workspace_root())
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let metadata: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("cargo metadata printed no JSON: {e}"))?;
    let examples: Vec<String> = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["name"] == "hotdata-examples")
        .flat_map(|p| p["targets"].as_array().into_iter().flatten())
        .filter(|t| t["kind"].as_array().is_some_and(|k| k.iter().any(|k| k == "example")))
        .filter_map(|t| t["name"].as_str().map(str::to_owned))
        .collect();
    if examples.is_empty() {
        return Err("cargo metadata lists no examples in the hotdata-examples package".to_owned());
    }
    for name in &examples {
        // The command the README documents, from the workspace root (cargo finds the package by the example).
        let out = Command::new(cargo)
            .args(["run", "--quiet", "--locked", "--example", name])
            .current_dir(workspace_root())
            .env_remove("HOTDATA_API_KEY")
            .output()
            .map_err(|e| format!("example {name}: cannot run cargo: {e}"))?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() || stderr.contains("spec violation") {
            print!("{}", String::from_utf8_lossy(&out.stdout));
            eprint!("{stderr}");
            return Err(format!("example {name} failed ({})", out.status));
        }
        println!("    {name}: ok");
    }
    Ok(())
}

/// Every gate CI applies, in order of speed; stops at the first failure.
fn ci() -> Result<(), String> {
    let cargo = cargo();
    let step = |name: &str, program: &str, args: &[&str], env: &[(&str, &str)]| {
        println!("==> {name}");
        run(name, program, args, env)
    };
    step("rustfmt", &cargo, &["fmt", "--all", "--check"], &[])?;
    step(
        "clippy",
        &cargo,
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ],
        &[],
    )?;
    // The TLS backends are cfg-selected, so the builds without rustls are
    // linted too (CI's other steps run with every feature on).
    for features in [
        &["--no-default-features"][..],
        &["--no-default-features", "--features", "native-tls"],
    ] {
        let mut args = vec!["clippy", "-p", "hotdata", "--lib"];
        args.extend_from_slice(features);
        args.extend_from_slice(&["--", "-D", "warnings"]);
        step(&format!("clippy (hotdata {})", features.join(" ")), &cargo, &args, &[])?;
    }
    // Every other step turns on every feature, `serde-round-trip` and `native-tls` (which wins over rustls)
    // included. The SDK's own targets, tests and doc examples are checked here as users build them: each model
    // derives only the serde direction the SDK uses it in, and TLS is rustls with no provider until the SDK (or
    // `install_tls_provider`) installs one.
    let as_users_build = "hotdata/arrow,hotdata/blocking,hotdata/checksum,hotdata/chrono,hotdata/schemars";
    step(
        "clippy (hotdata and hotdata-models, every feature but serde-round-trip and native-tls)",
        &cargo,
        &[
            "clippy",
            "-p",
            "hotdata",
            "-p",
            "hotdata-models",
            "--all-targets",
            "--features",
            as_users_build,
            "--",
            "-D",
            "warnings",
        ],
        &[],
    )?;
    step(
        "tests and doc examples (hotdata and hotdata-models, every feature but serde-round-trip and native-tls)",
        &cargo,
        &[
            "test",
            "-p",
            "hotdata",
            "-p",
            "hotdata-models",
            "--features",
            as_users_build,
        ],
        &[("INSTA_UPDATE", "no"), ("CI", "true")],
    )?;
    println!("==> rust-version promises hold for every dependency");
    check_rust_versions(&cargo)?;
    step(
        "OpenAPI 3.1 validation (openapi-spec-validator; `pip install openapi-spec-validator`)",
        "openapi-spec-validator",
        &[SPEC],
        &[],
    )?;
    step(
        "vendor comparison self-test",
        "python3",
        &["-m", "unittest", "--quiet", "xtask/test_vendor_compare.py"],
        &[],
    )?;
    // Fetches Hotdata's Python client from PyPI; every difference from it
    // must carry a reason in spec/vendor-differences.yaml.
    step(
        "spec against the vendor's Python client (xtask/vendor_compare.py)",
        "python3",
        &["xtask/vendor_compare.py", "--strict"],
        &[],
    )?;
    // Snapshots are checked by the test step below (INSTA_UPDATE=no), so
    // only the generated files are compared here.
    println!("==> generated code is current");
    check_generated()?;
    step(
        "tests",
        &cargo,
        &["test", "--workspace", "--all-features"],
        &[("INSTA_UPDATE", "no"), ("CI", "true")],
    )?;
    println!("==> every example, offline against its embedded hotdata-local (HOTDATA_API_KEY unset)");
    run_examples(&cargo)?;
    println!(
        "==> conformance: schemathesis {} against the standalone hotdata-local",
        conformance::SCHEMATHESIS_VERSION
    );
    conformance::schemathesis(&workspace_root(), &cargo)?;
    // Needs python3 with pip and network access to PyPI (installs the client into target/).
    println!("==> seed-era flows: hotdata==0.2.6 (Python) against hotdata-local --contract 2026-05");
    seed_flows::run()?;
    step(
        "docs",
        &cargo,
        &["doc", "--workspace", "--no-deps", "--all-features"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    println!("all checks passed");
    Ok(())
}
