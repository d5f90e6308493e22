//! Compile-fail: a quorum of f + 1 is not unique under n > 3f: E0501 points at the threshold.
rio_macros::protocol! {
    protocol P<T>(nodes n, faults f, node s) where n > 3 * f {
        in  v: T at s
        out o[i]: T at i
        sent = broadcast(v) from s
        for i in nodes {
            echo[i] = broadcast(sent[i]) from i
            o[i] = quorum(f + 1, echo[*][i]) at i
        }
    }
}

fn main() {}
