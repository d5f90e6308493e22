//! `rio-compiler`: projection of a checked protocol onto its nodes, Rust
//! code generation, the [`cost`] report and the build-script [`Builder`].
//! The `rio` CLI, the build-script API and the `protocol!` proc-macro are
//! thin shells over [`generate`].

mod builder;
pub mod codegen;
pub mod cost;
pub mod ir;
pub mod wiring;

pub use builder::{BuildError, Builder};
pub use rio_lang::{Checked, Diagnostic};

/// Parses and checks a source text (the front end, re-exported for shells).
pub fn check(src: &str) -> Checked {
    rio_lang::check_source(src)
}

/// The output of compiling one source text.
#[derive(Debug)]
pub struct Compiled {
    /// One module per protocol, as tokens.
    pub tokens: proc_macro2::TokenStream,
    /// Warnings from the checker.
    pub warnings: Vec<Diagnostic>,
}

impl Compiled {
    /// The generated code, formatted by prettyplease.
    pub fn formatted(&self) -> String {
        format_tokens(&self.tokens)
    }
}

/// Formats generated tokens as a Rust file.
pub fn format_tokens(tokens: &proc_macro2::TokenStream) -> String {
    match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => prettyplease::unparse(&file),
        Err(_) => tokens.to_string(),
    }
}

/// Checks `src` and generates one module per protocol in it. `runtime` is
/// the path generated code uses for `rio-runtime` (e.g. `::rio_runtime`);
/// generated code names no other crate.
pub fn generate(src: &str, runtime: &syn::Path) -> Result<Compiled, Vec<Diagnostic>> {
    let checked = rio_lang::check_source(src);
    let Some(program) = checked.program else {
        return Err(checked.diagnostics);
    };
    let mut tokens = proc_macro2::TokenStream::new();
    let mut errors = Vec::new();
    for c in &program.components {
        if c.decl.kind != rio_lang::ast::ComponentKind::Protocol {
            continue;
        }
        let generated = ir::build(&program, src, &c.decl.name.name).and_then(|p| {
            codegen::generate(&p, runtime).map_err(|errs| {
                // Diagnostics without a statement to point at point at the
                // protocol's name.
                errs.into_iter()
                    .map(|mut d| {
                        if d.label.span == rio_lang::ast::Span::default() {
                            d.label.span = c.decl.name.span;
                        }
                        d
                    })
                    .collect()
            })
        });
        match generated {
            // The generated module must parse as Rust: anything else is a
            // compiler bug, reported rather than handed to rustc.
            Ok(t) if syn::parse2::<syn::File>(t.clone()).is_err() => {
                errors.push(
                    Diagnostic::new(
                        rio_lang::Code::CompilerBug,
                        c.decl.name.span,
                        "the generated module does not parse",
                    )
                    .label("generating this protocol")
                    .help("this is a bug in rio-compiler, not in your protocol; please report it with this file"),
                );
            }
            Ok(t) => tokens.extend(t),
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(Compiled {
            tokens,
            warnings: checked.diagnostics,
        })
    } else {
        Err(errors)
    }
}
