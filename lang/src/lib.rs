//! `rio-lang`: the Rio language front end.
//!
//! Text → [`ast`] (pest grammar, [`parse`]) → checked wiring graph
//! ([`graph`], built by the checker) or [`diagnostic`]s. Nothing here knows
//! about Rust code generation or the runtime.
//!
//! ```
//! let out = rio_lang::check_source(r#"
//!     protocol Echo(nodes n, node s) {
//!         in  v: u64 at s
//!         out got[i]: u64 at i
//!         sent = broadcast(v) from s
//!         for i in nodes { got[i] = sent[i] }
//!     }
//! "#);
//! assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
//! ```

#![deny(clippy::unwrap_used, clippy::indexing_slicing)]

// pest without its `std` feature (see parse.rs) generates `::alloc` paths.
extern crate alloc;

pub mod arith;
pub mod ast;
pub mod builtins;
mod check;
pub mod diagnostic;
pub mod fmt;
pub mod graph;
pub mod ide;
pub mod parse;

pub use builtins::Builtin;
pub use check::{check_file, RESERVED_NAMES};
pub use diagnostic::{Code, Diagnostic, Severity};

/// The result of checking one source text.
#[derive(Debug)]
pub struct Checked {
    /// The AST, unless the text has a syntax error.
    pub file: Option<ast::File>,
    /// The checked program, unless there are errors.
    pub program: Option<graph::Program>,
    /// Errors and warnings, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses and checks one `.rio` source text. Never panics.
pub fn check_source(src: &str) -> Checked {
    let (file, parse_diags) = parse::parse_file(src);
    let Some(file) = file else {
        return Checked {
            file: None,
            program: None,
            diagnostics: parse_diags.into_vec(),
        };
    };
    if parse_diags.has_errors() {
        return Checked {
            file: Some(file),
            program: None,
            diagnostics: parse_diags.into_vec(),
        };
    }
    let (program, mut diags) = check_file(&file);
    diags.extend(parse_diags.into_vec());
    let has_errors = diags.has_errors();
    Checked {
        file: Some(file),
        program: (!has_errors).then_some(program),
        diagnostics: diags.into_vec(),
    }
}
