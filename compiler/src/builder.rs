//! The build-script API, in the manner of `prost-build`:
//!
//! ```no_run
//! // In build.rs, inside `fn main`:
//! rio_compiler::Builder::new()
//!     .file("protocols/bracha.rio")
//!     .compile()
//!     .unwrap_or_else(|e| panic!("{e}"));
//! ```
//!
//! and in the crate: `rio_runtime::include_protocol!("bracha");`. Each file
//! `NAME.rio` becomes `$OUT_DIR/NAME.rs`; diagnostics are printed with file,
//! line and column (warnings as `cargo:warning`), and errors fail the build.

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

    /// Compiles every file. On errors, prints them and returns them.
    pub fn compile(self) -> Result<(), BuildError> {
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
            println!("cargo:rerun-if-changed={}", file.display());
            let name = file.display().to_string();
            let src = std::fs::read_to_string(file).map_err(|e| BuildError {
                message: format!("cannot read {name}: {e}"),
            })?;
            match crate::generate(&src, &runtime) {
                Ok(compiled) => {
                    print_cargo_lines(&name, &src, &compiled.warnings);
                    let stem = file
                        .file_stem()
                        .map_or_else(|| "protocol".into(), |s| s.to_string_lossy().to_string());
                    let out = out_dir.join(format!("{stem}.rs"));
                    std::fs::write(&out, compiled.formatted()).map_err(|e| BuildError {
                        message: format!("cannot write {}: {e}", out.display()),
                    })?;
                }
                Err(diags) => {
                    print_cargo_lines(&name, &src, &diags);
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
fn print_cargo_lines(name: &str, src: &str, diags: &[rio_lang::Diagnostic]) {
    for d in diags {
        let lc = line_col(src, d.label.span.start);
        println!(
            "cargo:warning={name}:{}:{}: {} {}: {}",
            lc.line,
            lc.column,
            d.code.as_str(),
            d.code.title(),
            d.message
        );
    }
}
