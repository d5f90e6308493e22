//! Compile-fail: a misspelt line: E0101 points at it, with a did-you-mean.
rio_macros::protocol! {
    protocol P(nodes n, node s) {
        in  v: u64 at s
        out o[i]: u64 at i
        sent = broadcast(v) from s
        for i in nodes {
            o[i] = snet[i]
        }
    }
}

fn main() {}
