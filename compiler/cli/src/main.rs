//! The `rio` command-line interface: a thin shell over `rio-lang` and
//! `rio-compiler`.

mod lsp;

use clap::{Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::process::ExitCode;

// Output to a closed pipe (`rio check f.rio 2>&1 | head -1`) is not an
// error: write, and ignore failures, instead of `print!` (which panics).
macro_rules! out {
    ($($t:tt)*) => {{
        let _ = std::io::Write::write_fmt(&mut std::io::stdout(), format_args!($($t)*));
    }};
}
macro_rules! err {
    ($($t:tt)*) => {{
        let _ = std::io::Write::write_fmt(&mut std::io::stderr(), format_args!($($t)*));
    }};
}
macro_rules! errln {
    ($($t:tt)*) => {{
        err!($($t)*);
        err!("\n");
    }};
}

#[derive(Parser)]
#[command(name = "rio", version, about = "The Rio protocol compiler")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and check `.rio` files; print diagnostics. Exit code 1 on errors.
    Check {
        /// The files to check.
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
        /// Output format of the diagnostics.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Also print the cost report of every protocol: messages per
        /// instance as a function of n, and causal depth.
        #[arg(long)]
        cost: bool,
    },
    /// Generate the Rust code of every protocol in a `.rio` file (what
    /// `rio_compiler::Builder` writes from build.rs), formatted.
    Gen {
        file: std::path::PathBuf,
        /// The path generated code uses for rio-runtime.
        #[arg(long, default_value = "::rio_runtime")]
        runtime: String,
    },
    /// Format `.rio` files in place in the canonical layout, keeping every
    /// comment. A file with a syntax error is left alone and its
    /// diagnostics printed (exit code 1).
    Fmt {
        /// The files to format.
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
        /// Change nothing: list the files that are not formatted and exit
        /// with code 1 if there are any.
        #[arg(long)]
        check: bool,
    },
    /// Draw the wiring diagram of a protocol: components as boxes, lines as
    /// wires (messages dashed), ports as ellipses, choices in orange. Writes
    /// SVG, laid out by layout-rs, or Graphviz DOT with `--dot`.
    Graph {
        file: std::path::PathBuf,
        /// Where to write the diagram.
        #[arg(short, long)]
        output: std::path::PathBuf,
        /// The protocol to draw, when the file has several.
        #[arg(long)]
        protocol: Option<String>,
        /// Write Graphviz DOT instead of SVG.
        #[arg(long)]
        dot: bool,
    },
    /// Run the language server on stdin/stdout (diagnostics as you type,
    /// hover, go to definition, completion). Editors start it; see
    /// `editors/vscode/`.
    Lsp,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// miette's graphical report.
    Human,
    /// One JSON object per diagnostic, per line.
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Fmt { files, check } => fmt(&files, check),
        Command::Lsp => match lsp::run() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                errln!("error: language server: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Graph {
            file,
            output,
            protocol,
            dot,
        } => graph(&file, &output, protocol.as_deref(), dot),
        Command::Gen { file, runtime } => {
            let name = file.display().to_string();
            let src = match std::fs::read_to_string(&file) {
                Ok(s) => s,
                Err(e) => {
                    errln!("error: cannot read {name}: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let Ok(path) = syn::parse_str::<syn::Path>(&runtime) else {
                errln!("error: `{runtime}` is not a Rust path");
                return ExitCode::FAILURE;
            };
            let color = std::io::stderr().is_terminal();
            match rio_compiler::generate(&src, &path) {
                Ok(out) => {
                    err!(
                        "{}",
                        rio_lang::diagnostic::render_with(&name, &src, &out.warnings, color)
                    );
                    // A closed pipe (`rio gen f.rio | head`) is not an error.
                    let _ = std::io::Write::write_all(
                        &mut std::io::stdout(),
                        out.formatted().as_bytes(),
                    );
                    ExitCode::SUCCESS
                }
                Err(diags) => {
                    err!(
                        "{}",
                        rio_lang::diagnostic::render_with(&name, &src, &diags, color)
                    );
                    ExitCode::FAILURE
                }
            }
        }
        Command::Check {
            files,
            format,
            cost,
        } => {
            let mut failed = false;
            let color = std::io::stderr().is_terminal();
            for path in files {
                let name = path.display().to_string();
                let src = match std::fs::read_to_string(&path) {
                    Ok(s) => s,
                    Err(e) => {
                        errln!("error: cannot read {name}: {e}");
                        failed = true;
                        continue;
                    }
                };
                let out = rio_compiler::check(&src);
                // Then code generation's own refusals (E08xx: what the back
                // end does not support, a forward loop that never waits), so
                // that `check` passes only what `gen` and builds accept.
                let mut diagnostics = out.diagnostics.clone();
                let mut has_errors = out.has_errors();
                if !has_errors {
                    let runtime: syn::Path = syn::parse_quote!(::rio_runtime);
                    if let Err(refused) = rio_compiler::generate(&src, &runtime) {
                        has_errors = true;
                        diagnostics.extend(refused);
                    }
                }
                failed |= has_errors;
                match format {
                    Format::Human => {
                        err!(
                            "{}",
                            rio_lang::diagnostic::render_with(&name, &src, &diagnostics, color)
                        );
                    }
                    Format::Json => out!(
                        "{}",
                        rio_lang::diagnostic::render_json(&name, &src, &diagnostics)
                    ),
                }
                if let (true, Some(program)) = (cost, &out.program) {
                    out!(
                        "{}",
                        rio_compiler::cost::render(&rio_compiler::cost::report(program))
                    );
                }
                if matches!(format, Format::Human) && !has_errors {
                    errln!(
                        "{name}: ok ({} warning{})",
                        out.diagnostics.len(),
                        if out.diagnostics.len() == 1 { "" } else { "s" }
                    );
                }
            }
            if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
    }
}

/// `rio fmt`: formats each file in place (or, with `--check`, lists the
/// ones that would change).
fn fmt(files: &[std::path::PathBuf], check: bool) -> ExitCode {
    let mut failed = false;
    let color = std::io::stderr().is_terminal();
    for path in files {
        let name = path.display().to_string();
        let src = match std::fs::read_to_string(path) {
            Ok(s) => s,
            Err(e) => {
                errln!("error: cannot read {name}: {e}");
                failed = true;
                continue;
            }
        };
        match rio_lang::fmt::format_source(&src) {
            Ok(formatted) if formatted == src => {}
            Ok(_) if check => {
                out!("{name}: not formatted\n");
                failed = true;
            }
            Ok(formatted) => {
                if let Err(e) = std::fs::write(path, formatted) {
                    errln!("error: cannot write {name}: {e}");
                    failed = true;
                }
            }
            Err(diags) => {
                err!(
                    "{}",
                    rio_lang::diagnostic::render_with(&name, &src, &diags, color)
                );
                errln!("{name}: not formatted (syntax errors)");
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// `rio graph`: the wiring diagram of one protocol, as SVG or DOT.
fn graph(
    file: &std::path::Path,
    output: &std::path::Path,
    protocol: Option<&str>,
    dot: bool,
) -> ExitCode {
    let name = file.display().to_string();
    let src = match std::fs::read_to_string(file) {
        Ok(s) => s,
        Err(e) => {
            errln!("error: cannot read {name}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let diagrams = match rio_compiler::wiring::dot_of_source(&src) {
        Ok(d) => d,
        Err(diags) => {
            let color = std::io::stderr().is_terminal();
            err!(
                "{}",
                rio_lang::diagnostic::render_with(&name, &src, &diags, color)
            );
            return ExitCode::FAILURE;
        }
    };
    let names: Vec<&str> = diagrams.iter().map(|(n, _)| n.as_str()).collect();
    let chosen = match (protocol, diagrams.as_slice()) {
        (Some(p), _) => diagrams.iter().find(|(n, _)| n == p),
        (None, [one]) => Some(one),
        (None, _) => None,
    };
    let Some((_, text)) = chosen else {
        errln!("error: {name} has the protocols {names:?}: choose one with --protocol");
        return ExitCode::FAILURE;
    };
    let content = if dot {
        text.clone()
    } else {
        match render_svg(text) {
            Ok(svg) => svg,
            Err(e) => {
                errln!("error: cannot lay out the diagram: {e}");
                return ExitCode::FAILURE;
            }
        }
    };
    if let Err(e) = std::fs::write(output, content) {
        errln!("error: cannot write {}: {e}", output.display());
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// Lays out DOT text with layout-rs and renders it as SVG. A panic inside
/// the layout crate is reported as an error, not passed on.
fn render_svg(dot: &str) -> Result<String, String> {
    let run = || {
        let mut parser = layout::gv::DotParser::new(dot);
        let g = parser.process()?;
        let mut builder = layout::gv::GraphBuilder::new();
        builder.visit_graph(&g);
        let mut graph = builder.get();
        let mut svg = layout::backends::svg::SVGWriter::new();
        graph.do_it(false, false, false, &mut svg);
        Ok::<String, String>(svg.finalize())
    };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(run))
        .map_err(|_| "the layout crate panicked".to_string())?
}
