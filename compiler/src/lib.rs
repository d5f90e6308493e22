//! `rio-compiler`: what the compiler derives from a checked protocol. Today
//! that is the [`cost`] report; projection and Rust code generation come
//! next. The `rio` CLI and (later) the build-script API and the proc-macro
//! are thin shells over the functions here.

pub mod cost;

pub use rio_lang::Checked;

/// Parses and checks a source text (the front end, re-exported for shells).
pub fn check(src: &str) -> Checked {
    rio_lang::check_source(src)
}
