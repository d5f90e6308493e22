//! Diagnostics as data, and the one place they are rendered.
//!
//! Every phase returns its result plus a list of [`Diagnostic`]s; nothing in
//! the front end panics on user input. A diagnostic has a stable [`Code`], a
//! primary span with a label, optional secondary labels (e.g. the other
//! producer of a doubly-defined line) and a help line that names the fix.

use crate::ast::Span;
use serde::Serialize;

/// Severity of a diagnostic. Errors stop compilation; warnings do not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

macro_rules! codes {
    ($($variant:ident = $code:literal, $sev:ident, $title:literal;)*) => {
        /// The stable code of every diagnostic Rio emits. Codes never change
        /// meaning; `spec/diagnostics.md` lists them with examples.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
        pub enum Code { $($variant,)* }

        impl Code {
            /// The stable code, e.g. `E0201`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }
            /// A short title shared by every instance of the code.
            pub fn title(self) -> &'static str {
                match self { $(Code::$variant => $title,)* }
            }
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$sev,)* }
            }
            /// Every code, in order (for the spec and its test).
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];
        }
    };
}

codes! {
    Syntax = "E0001", Error, "syntax error";
    BadRustType = "E0002", Error, "invalid Rust type";
    BadRustExpr = "E0003", Error, "invalid Rust expression";
    TooDeep = "E0004", Error, "input too deeply nested or too large";
    UnknownName = "E0101", Error, "unknown name";
    Duplicate = "E0102", Error, "duplicate definition";
    Arity = "E0103", Error, "wrong number of arguments";
    TypeMismatch = "E0104", Error, "mismatched types";
    WrongKind = "E0105", Error, "wrong kind of argument";
    IndexCount = "E0106", Error, "indices do not match the dimensions";
    BadTarget = "E0107", Error, "invalid definition target";
    CannotInfer = "E0108", Error, "cannot infer the type of a line";
    NonLinear = "E0109", Error, "non-linear arithmetic";
    ComponentName = "E0110", Error, "component name must start with an uppercase letter";
    ReservedName = "E0111", Error, "reserved name";
    ArithOverflow = "E0112", Error, "arithmetic overflow or division by zero";
    TwoProducers = "E0201", Error, "line has two producers";
    NeverProduced = "E0202", Error, "line read but never produced";
    NeverConsumed = "W0203", Warning, "line produced but never consumed";
    OutputUnconnected = "E0204", Error, "output never produced";
    AssignInput = "E0205", Error, "input assigned inside the component";
    NoOutputReached = "W0206", Warning, "line does not contribute to any output";
    DomainMismatch = "E0301", Error, "value used outside its domain";
    AtMismatch = "E0302", Error, "domain annotation does not hold";
    SpreadVotes = "E0303", Error, "votes are spread across nodes";
    NoDomain = "E0304", Error, "line has no domain";
    CausalDeadlock = "E0401", Error, "causal deadlock";
    QuorumNotUnique = "E0501", Error, "quorum may pick different values";
    QuorumNotPositive = "E0502", Error, "quorum threshold may be zero";
    QuorumTooLarge = "E0503", Error, "quorum threshold may exceed the number of nodes";
    QuorumNotLive = "W0504", Warning, "quorum may never be reached when faulty nodes are silent";
    QuorumNeedlessChoice = "W0505", Warning, "quorum is unique: the choice marker is not needed";
    ConstraintNotImplied = "E0506", Error, "resilience constraint not implied";
    SelectNeedsChoice = "E0601", Error, "`select` is a choice and needs `?`";
    StrayUnspecified = "E0602", Error, "`?` used outside a choice";
    CollectNeedsChoice = "E0603", Error, "`collect` is a choice and needs `?`";
    GatherNeedsChoice = "E0604", Error, "`gather` is a choice and needs `?`";
    MissingBinding = "E0701", Error, "component input not bound";
    Unsupported = "E0801", Error, "not supported by code generation";
    NameClash = "E0802", Error, "two lines map to the same Rust name";
    Runaway = "E0803", Error, "forward loop that never waits";
    CompilerBug = "E0900", Error, "internal compiler error";
}

/// A labelled span.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    /// One sentence saying what is wrong here (the title says what kind).
    pub message: String,
    /// The primary label, at the span the problem is.
    pub label: Label,
    /// Other places involved (the other producer, the declaration).
    pub secondary: Vec<Label>,
    /// How to fix it.
    pub help: String,
}

impl Diagnostic {
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Self {
        let message = message.into();
        Diagnostic {
            code,
            severity: code.severity(),
            label: Label {
                span,
                message: String::new(),
            },
            message,
            secondary: Vec::new(),
            help: String::new(),
        }
    }
    pub fn label(mut self, text: impl Into<String>) -> Self {
        self.label.message = text.into();
        self
    }
    pub fn also(mut self, span: Span, text: impl Into<String>) -> Self {
        self.secondary.push(Label {
            span,
            message: text.into(),
        });
        self
    }
    pub fn help(mut self, text: impl Into<String>) -> Self {
        self.help = text.into();
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
    pub fn span(&self) -> Span {
        self.label.span
    }
}

/// Collected diagnostics of one phase.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    list: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.list.push(d);
    }
    pub fn has_errors(&self) -> bool {
        self.list.iter().any(Diagnostic::is_error)
    }
    pub fn into_vec(mut self) -> Vec<Diagnostic> {
        self.list
            .sort_by_key(|d| (d.label.span.start, d.code.as_str()));
        self.list.dedup();
        self.list
    }
    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.list.extend(other);
    }
    pub fn len(&self) -> usize {
        self.list.len()
    }
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// Names longer than this get no "did you mean" hint (the edit distance
/// takes time and memory proportional to the product of the lengths).
const MAX_HINT_LEN: usize = 64;

/// The closest of `candidates` to `name`, for "did you mean" hints.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    if name.len() > MAX_HINT_LEN {
        return None;
    }
    candidates
        .into_iter()
        .filter(|c| {
            c.len() <= MAX_HINT_LEN
                && c.len().abs_diff(name.len()) <= name.len().max(c.len()) / 3 + 1
        })
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, c)| *d <= (name.len().max(c.len()) / 3).max(1) && *d > 0)
        .min()
        .map(|(_, c)| c)
}

/// Optimal-string-alignment distance: insertions, deletions, substitutions
/// and adjacent transpositions (`snet` → `sent` is one edit).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    let at = |i: usize, j: usize| i * w + j;
    for i in 0..=a.len() {
        if let Some(x) = d.get_mut(at(i, 0)) {
            *x = i;
        }
    }
    for j in 0..=b.len() {
        if let Some(x) = d.get_mut(at(0, j)) {
            *x = j;
        }
    }
    let get =
        |d: &Vec<usize>, i: usize, j: usize| d.get(at(i, j)).copied().unwrap_or(usize::MAX / 2);
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let (ca, cb) = (a.get(i - 1), b.get(j - 1));
            let cost = usize::from(ca != cb);
            let mut best = (get(&d, i - 1, j) + 1)
                .min(get(&d, i, j - 1) + 1)
                .min(get(&d, i - 1, j - 1) + cost);
            if i > 1 && j > 1 && ca == b.get(j - 2) && a.get(i - 2) == cb {
                best = best.min(get(&d, i - 2, j - 2) + 1);
            }
            if let Some(x) = d.get_mut(at(i, j)) {
                *x = best;
            }
        }
    }
    get(&d, a.len(), b.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_rendering_names_code_position_and_help() {
        let src = "protocol P(nodes n) {\n  x = y at i\n}\n";
        let d = Diagnostic::new(Code::UnknownName, Span::new(28, 29), "no line `y`")
            .label("not declared")
            .help("declare it");
        let text = render_plain("p.rio", src, &[d]);
        assert_eq!(
            text,
            "error[E0101]: unknown name: no line `y`\n  --> p.rio:2:7: not declared\n  help: declare it\n"
        );
    }
    #[test]
    fn transpositions_count_once() {
        assert_eq!(super::edit_distance("snet", "sent"), 1);
        assert_eq!(super::edit_distance("echo", "ecko"), 1);
        assert_eq!(super::did_you_mean("snet", ["sent", "send"]), Some("sent"));
    }
}

// ---- Rendering: the one place diagnostics become text -----------------------

/// A miette view of one diagnostic over its source.
#[cfg(feature = "fancy")]
#[derive(Debug)]
struct Report<'a> {
    diag: &'a Diagnostic,
    src: miette::NamedSource<String>,
}

#[cfg(feature = "fancy")]
impl std::fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.diag.code.title(), self.diag.message)
    }
}

#[cfg(feature = "fancy")]
impl std::error::Error for Report<'_> {}

#[cfg(feature = "fancy")]
impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        Some(Box::new(self.diag.code.as_str()))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diag.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        (!self.diag.help.is_empty())
            .then(|| Box::new(&self.diag.help) as Box<dyn std::fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.src)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let to = |l: &Label, primary: bool| {
            let span = miette::SourceSpan::new(l.span.start.into(), l.span.len());
            let text = (!l.message.is_empty()).then(|| l.message.clone());
            if primary {
                miette::LabeledSpan::new_primary_with_span(text, span)
            } else {
                miette::LabeledSpan::new_with_span(text, span)
            }
        };
        let labels = std::iter::once(to(&self.diag.label, true))
            .chain(self.diag.secondary.iter().map(move |l| to(l, false)));
        Some(Box::new(labels))
    }
}

/// Renders diagnostics in miette's graphical style (no colours, so output is
/// stable for snapshots and logs); without the `fancy` feature, as compact
/// text (see [`render_plain`]).
pub fn render(file_name: &str, src: &str, diags: &[Diagnostic]) -> String {
    render_with(file_name, src, diags, false)
}

/// Renders diagnostics, with ANSI colours when `color` is set (terminals).
#[cfg(feature = "fancy")]
pub fn render_with(file_name: &str, src: &str, diags: &[Diagnostic], color: bool) -> String {
    let theme = if color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    for diag in diags {
        let report = Report {
            diag,
            src: miette::NamedSource::new(file_name, src.to_string()),
        };
        if handler.render_report(&mut out, &report).is_err() {
            out.push_str(&format!("{}: {}\n", diag.code.as_str(), report));
        }
    }
    out
}

/// Without the `fancy` feature: compact text, colours ignored.
#[cfg(not(feature = "fancy"))]
pub fn render_with(file_name: &str, src: &str, diags: &[Diagnostic], _color: bool) -> String {
    render_plain(file_name, src, diags)
}

/// Renders diagnostics as compact text, one block per diagnostic:
///
/// ```text
/// error[E0501]: quorum may pick different values: ...
///   --> bracha.rio:14:16: label
///   --> bracha.rio:3:5: secondary label
///   help: ...
/// ```
pub fn render_plain(file_name: &str, src: &str, diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let sev = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        out.push_str(&format!(
            "{sev}[{}]: {}: {}\n",
            d.code.as_str(),
            d.code.title(),
            d.message
        ));
        for l in std::iter::once(&d.label).chain(&d.secondary) {
            let at = line_col(src, l.span.start);
            out.push_str(&format!(
                "  --> {file_name}:{}:{}: {}\n",
                at.line, at.column, l.message
            ));
        }
        if !d.help.is_empty() {
            out.push_str(&format!("  help: {}\n", d.help));
        }
    }
    out
}

/// A line/column position, 1-based, for JSON output and build-script errors.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

pub fn line_col(src: &str, offset: usize) -> LineCol {
    let offset = offset.min(src.len());
    let before = src.get(..offset).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    LineCol { line, column }
}

/// Renders diagnostics as JSON lines for tools: one object per diagnostic.
pub fn render_json(file_name: &str, src: &str, diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let value = serde_json::json!({
            "file": file_name,
            "code": d.code.as_str(),
            "severity": d.severity,
            "title": d.code.title(),
            "message": d.message,
            "span": { "start": d.label.span.start, "end": d.label.span.end },
            "start": line_col(src, d.label.span.start),
            "end": line_col(src, d.label.span.end),
            "label": d.label.message,
            "secondary": d.secondary.iter().map(|l| serde_json::json!({
                "span": { "start": l.span.start, "end": l.span.end },
                "start": line_col(src, l.span.start),
                "label": l.message,
            })).collect::<Vec<_>>(),
            "help": d.help,
        });
        out.push_str(&value.to_string());
        out.push('\n');
    }
    out
}
