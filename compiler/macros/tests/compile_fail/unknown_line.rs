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
