//! The build-script API, in the manner of `prost-build`:
//!
//! ```no_run
//! // In build.rs, inside `fn main`:
//! rio_compiler::Builder::new()
//!     .file("protocols/bracha.rio")
//!     .compile_or_exit();
//! ```
//!
//! and in the crate: `rio_runtime::include_protocol!("bracha");`. Each file
//! `NAME.rio` becomes `$OUT_DIR/NAME.rs`. Warnings are shown by cargo
//! (`cargo:warning`, one line each, with file, line and column). Errors are
//! reported **once**, rendered with their source: `compile_or_exit` writes
//! them to the build script's stderr and exits with code 1 (no panic, no
//! backtrace); `compile` returns them for callers that handle errors
//! themselves.

use rio_lang::diagnostic::{line_col, render};
use std::fmt;
use std::path::{Path, PathBuf};

/// Compiles `.rio` files from a build script.
#[derive(Clone, Debug)]
pub struct Builder {
    files: Vec<PathBuf>,
    out_dir: Option<PathBuf>,
    runtime: String,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

/// Why a build failed: the rendered diagnostics, or an I/O error.
#[derive(Debug)]
pub struct BuildError {
    pub message: String,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for BuildError {}

impl Builder {
    pub fn new() -> Self {
        Builder {
            files: Vec::new(),
            out_dir: None,
            runtime: "::rio_runtime".into(),
        }
    }

    /// Adds a `.rio` file (relative to the crate root in a build script).
    pub fn file(mut self, path: impl AsRef<Path>) -> Self {
        self.files.push(path.as_ref().to_path_buf());
        self
    }

    /// Where to write the generated files (default: `$OUT_DIR`).
    pub fn out_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.out_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// The path generated code uses for `rio-runtime` (default
    /// `::rio_runtime`), e.g. `::my_facade::runtime` for a re-export.
    pub fn runtime_path(mut self, path: &str) -> Self {
        self.runtime = path.to_string();
        self
    }

    /// Compiles every file; on errors, writes the rendered diagnostics to
    /// stderr once and exits with code 1 (what a build script wants).
    pub fn compile_or_exit(self) {
        if let Err(e) = self.compile() {
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "{e}");
            std::process::exit(1);
        }
    }

    /// Compiles every file. Warnings go to cargo (`cargo:warning` lines);
    /// errors are returned, rendered, and not printed.
    pub fn compile(self) -> Result<(), BuildError> {
        self.compile_to(&mut std::io::stdout())
    }

    /// [`Builder::compile`], writing cargo's instructions to `out`.
    pub fn compile_to(self, out: &mut dyn std::io::Write) -> Result<(), BuildError> {
        let out_dir = match self
            .out_dir
            .clone()
            .or_else(|| std::env::var_os("OUT_DIR").map(PathBuf::from))
        {
            Some(d) => d,
            None => {
                return Err(BuildError {
                    message: "OUT_DIR is not set: call compile() from build.rs or set out_dir()"
                        .into(),
                })
            }
        };
        let runtime: syn::Path = syn::parse_str(&self.runtime).map_err(|e| BuildError {
            message: format!("runtime path `{}` is not a Rust path: {e}", self.runtime),
        })?;
        let mut failures = String::new();
        for file in &self.files {
            let _ = writeln!(out, "cargo:rerun-if-changed={}", file.display());
            let name = file.display().to_string();
            let src = std::fs::read_to_string(file).map_err(|e| BuildError {
                message: format!("cannot read {name}: {e}"),
            })?;
            match crate::generate(&src, &runtime) {
                Ok(compiled) => {
                    print_cargo_lines(out, &name, &src, &compiled.warnings);
                    let stem = file
                        .file_stem()
                        .map_or_else(|| "protocol".into(), |s| s.to_string_lossy().to_string());
                    let out = out_dir.join(format!("{stem}.rs"));
                    std::fs::write(&out, compiled.formatted()).map_err(|e| BuildError {
                        message: format!("cannot write {}: {e}", out.display()),
                    })?;
                }
                Err(diags) => {
                    // Reported once, by the caller: not as cargo warnings too.
                    failures.push_str(&render(&name, &src, &diags));
                }
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(BuildError { message: failures })
        }
    }
}

/// One `cargo:warning=FILE:LINE:COL: CODE title: message` line per
/// diagnostic, so cargo shows where each one is.
fn print_cargo_lines(
    out: &mut dyn std::io::Write,
    name: &str,
    src: &str,
    diags: &[rio_lang::Diagnostic],
) {
    for d in diags {
        let lc = line_col(src, d.label.span.start);
        let _ = writeln!(
            out,
            "cargo:warning={name}:{}:{}: {} {}: {}",
            lc.line,
            lc.column,
            d.code.as_str(),
            d.code.title(),
            d.message
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error is returned once, rendered, and not also printed as a
    /// cargo warning; a warning is one cargo line.
    #[test]
    fn errors_are_reported_once_and_warnings_as_cargo_lines() {
        let dir = std::env::temp_dir().join(format!("rio-builder-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let bad = dir.join("bad.rio");
        std::fs::write(
            &bad,
            "protocol P(nodes n, node s) {\n    out got[i]: u64 at i\n}\n",
        )
        .expect("write");
        let mut out = Vec::new();
        let err = Builder::new()
            .file(&bad)
            .out_dir(&dir)
            .compile_to(&mut out)
            .expect_err("an error");
        let printed = String::from_utf8_lossy(&out);
        assert!(!printed.contains("cargo:warning"), "{printed}");
        assert_eq!(err.message.matches("E0204").count(), 1, "{}", err.message);
        let warn = dir.join("warn.rio");
        std::fs::write(
            &warn,
            "protocol W(nodes n, node s) {\n    in v: u64 at s\n    in unused: u64 at s\n    out got[i]: u64 at i\n    x = broadcast(v) from s\n    for i in nodes { got[i] = x[i] at i }\n}\n",
        )
        .expect("write");
        let mut out = Vec::new();
        Builder::new()
            .file(&warn)
            .out_dir(&dir)
            .compile_to(&mut out)
            .expect("warnings do not fail");
        let printed = String::from_utf8_lossy(&out);
        assert_eq!(printed.matches("cargo:warning=").count(), 1, "{printed}");
        assert!(printed.contains("W0203"), "{printed}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
