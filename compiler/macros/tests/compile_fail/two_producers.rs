//! Compile-fail: a line produced twice: E0201 points at the second producer.
rio_macros::protocol! {
    protocol P(nodes n, node s) {
        in  v: u64 at s
        out o[i]: u64 at i
        sent = broadcast(v) from s
        for i in nodes {
            o[i] = sent[i]
            o[i] = sent[i]
        }
    }
}

fn main() {}
