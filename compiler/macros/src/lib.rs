//! `protocol! { ... }`: a Rio protocol written inside Rust code.
//!
//! The macro is a thin shell over the compiler core: it rebuilds the Rio
//! source text from the token stream, remembering each token's byte range
//! and span, calls `rio_compiler::generate`, and maps every diagnostic back
//! to the token it falls in, so errors point at the right tokens on stable
//! Rust. On errors it emits `compile_error!`s and nothing else.
//!
//! ```text
//! rio_macros::protocol! {
//!     protocol Echo(nodes n, node s) {
//!         in  v: u64 at s
//!         out got[i]: u64 at i
//!         sent = broadcast(v) from s
//!         for i in nodes { got[i] = sent[i] }
//!     }
//! }
//! // defines `mod echo { pub struct Node, Params, Message, Input, Output }`
//! ```

use proc_macro2::{Delimiter, Spacing, Span, TokenStream, TokenTree};
use quote::quote_spanned;

/// Compiles the Rio protocols written inside into Rust modules.
#[proc_macro]
pub fn protocol(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    expand(input.into()).into()
}

/// Source text rebuilt from tokens, with each token's byte range.
struct Source {
    text: String,
    spans: Vec<(usize, usize, Span)>,
}

impl Source {
    fn push(&mut self, s: &str, span: Span, glue: bool) {
        if !glue && !self.text.is_empty() {
            self.text.push(' ');
        }
        let start = self.text.len();
        self.text.push_str(s);
        self.spans.push((start, self.text.len(), span));
    }

    fn tokens(&mut self, ts: TokenStream) {
        let mut glue = false;
        for tt in ts {
            match tt {
                TokenTree::Group(g) => {
                    let (open, close) = match g.delimiter() {
                        Delimiter::Parenthesis => ("(", ")"),
                        Delimiter::Brace => ("{", "}"),
                        Delimiter::Bracket => ("[", "]"),
                        Delimiter::None => ("", ""),
                    };
                    self.push(open, g.span_open(), glue);
                    self.tokens(g.stream());
                    self.push(close, g.span_close(), false);
                    glue = false;
                }
                TokenTree::Punct(p) => {
                    self.push(&p.as_char().to_string(), p.span(), glue);
                    glue = p.spacing() == Spacing::Joint;
                }
                TokenTree::Ident(i) => {
                    self.push(&i.to_string(), i.span(), glue);
                    glue = false;
                }
                TokenTree::Literal(l) => {
                    self.push(&l.to_string(), l.span(), glue);
                    glue = false;
                }
            }
        }
    }

    /// The span of the token at or after byte `offset`.
    fn span_at(&self, offset: usize) -> Span {
        self.spans
            .iter()
            .find(|(s, e, _)| *s <= offset && offset < *e)
            .or_else(|| self.spans.iter().find(|(s, _, _)| *s >= offset))
            .or_else(|| self.spans.last())
            .map_or_else(Span::call_site, |(_, _, sp)| *sp)
    }
}

fn runtime_path() -> syn::Path {
    use proc_macro_crate::{crate_name, FoundCrate};
    let name = match crate_name("rio-runtime") {
        Ok(FoundCrate::Name(n)) => n,
        _ => "rio_runtime".to_string(),
    };
    syn::parse_str(&format!("::{name}")).unwrap_or_else(|_| syn::parse_quote!(::rio_runtime))
}

fn expand(input: TokenStream) -> TokenStream {
    let mut src = Source {
        text: String::new(),
        spans: Vec::new(),
    };
    src.tokens(input);
    match rio_compiler::generate(&src.text, &runtime_path()) {
        Ok(out) => out.tokens,
        Err(diags) => {
            let mut errors = TokenStream::new();
            for d in diags.iter().filter(|d| d.is_error()) {
                let span = src.span_at(d.label.span.start);
                let mut msg = format!("{} {}: {}", d.code.as_str(), d.code.title(), d.message);
                if !d.label.message.is_empty() {
                    msg.push_str(&format!("\n  {}", d.label.message));
                }
                if !d.help.is_empty() {
                    msg.push_str(&format!("\n  help: {}", d.help));
                }
                errors.extend(quote_spanned!(span=> ::core::compile_error!(#msg);));
            }
            errors
        }
    }
}
