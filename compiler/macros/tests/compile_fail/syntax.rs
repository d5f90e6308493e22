//! Compile-fail: a missing = : E0001 points at the unexpected token.
rio_macros::protocol! {
    protocol P(nodes n, node s) {
        in  v: u64 at s
        out o[i]: u64 at i
        for i in nodes {
            o[i] sent[i]
        }
    }
}

fn main() {}
