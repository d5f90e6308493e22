//! `rio-compiler`: projection of a checked protocol onto its nodes, and Rust
//! code generation. The `rio` CLI and the build-script API are thin shells
//! over the functions here.

pub use rio_lang::Checked;

/// Parses and checks a source text (the front end, re-exported for shells).
pub fn check(src: &str) -> Checked {
    rio_lang::check_source(src)
}
