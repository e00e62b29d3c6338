//! Helpers the benches share: environment knobs and the resident memory from `/proc`.
//!
//! Each bench includes this with `mod common;`; a bench that does not use every helper allows the rest.

#![allow(dead_code)]

/// The whole-number environment variable `name`, or `default` when it is unset or not a number.
pub fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A `kB` field of `/proc/self/status` in MiB (`VmHWM` is the peak resident set, `VmRSS` the current one);
/// NaN where `/proc` is not there.
pub fn proc_status_mib(field: &str) -> f64 {
    status_mib("/proc/self/status", field)
}

/// A `kB` field of `/proc/{pid}/status` in MiB, for a process this one started; NaN when it cannot be read.
pub fn pid_status_mib(pid: u32, field: &str) -> f64 {
    status_mib(&format!("/proc/{pid}/status"), field)
}

fn status_mib(path: &str, field: &str) -> f64 {
    let status = std::fs::read_to_string(path).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}
