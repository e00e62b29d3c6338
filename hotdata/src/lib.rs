#![doc = "Typed Rust client for the Hotdata HTTP API."]

// Emitted by `cargo xtask regen` and formatted by the generator itself.
#[rustfmt::skip]
pub mod generated;
