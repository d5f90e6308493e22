//! Mutations of example protocols for the generation fuzz: shared by
//! `compiler/tests/fuzz_gen.rs` and `examples/build.rs` (which compiles a
//! sample of the mutants that generate code, warning-free).

/// Replacements that keep a protocol well-formed often enough to reach the
/// back end: thresholds, names, indices, domains, built-ins.
pub const SWAPS: &[(&str, &str)] = &[
    ("n - f", "2 * f + 1"),
    ("n - f", "f + 2 / 2"),
    ("n - f", "n"),
    ("f + 1", "n - f"),
    ("quorum(?, ", "quorum("),
    ("quorum(", "quorum(?, "),
    ("[s]", "[s + 1]"),
    ("[r + 1]", "[r]"),
    ("[h]", "[h + 1]"),
    ("broadcast", "def"),
    ("at i", "at leader(0)"),
    ("from i", "from leader(1)"),
    ("select(?, ", "select(?, timer(start, 7), "),
    ("echo", "match"),
    ("ready", "type"),
    ("vote", "loop"),
    ("3000", "0"),
    ("100", "18446744073709551615"),
    ("n > 3 * f", "n > 2 * f"),
    ("sync(", "pair("),
];

pub fn mutate(src: &str, picks: &[(usize, usize)]) -> String {
    let mut s = src.to_string();
    for (swap, nth) in picks {
        let Some((from, to)) = SWAPS.get(swap % SWAPS.len()) else {
            continue;
        };
        let hits: Vec<usize> = s.match_indices(from).map(|(k, _)| k).collect();
        if hits.is_empty() {
            continue;
        }
        let Some(at) = hits.get(nth % hits.len()).copied() else {
            continue;
        };
        s.replace_range(at..at + from.len(), to);
    }
    s
}
