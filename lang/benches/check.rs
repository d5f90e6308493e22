//! Parse + check throughput on large generated protocols.
//!
//! Run: `cargo bench -p rio-lang --bench check`. The generated file is a
//! sequence of components, each a consistent broadcast followed by a chain
//! of local Rust-function steps, instantiated by one protocol; sizes 1k, 5k
//! and 20k lines show whether growth is linear.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

/// A valid protocol of roughly `lines` lines.
pub fn generate(lines: usize) -> String {
    let mut s = String::from("fn step(v: u64) -> u64;\n");
    let per = 20;
    let comps = (lines / per).max(1);
    for c in 0..comps {
        s.push_str(&format!(
            "component C{c}(nodes n, faults f, node s) where n > 3 * f {{\n    in  value: u64 at s\n    out output[i]: u64 at i\n    send = broadcast(value) from s\n    for i in nodes {{\n        echo[i] = broadcast(send[i]) from i\n        got = quorum(n - f, echo[*][i]) at i\n        x0 = step(got) at i\n"
        ));
        for k in 1..10 {
            s.push_str(&format!("        x{k} = step(x{}) at i\n", k - 1));
        }
        s.push_str("        output[i] = def(x9)\n    }\n}\n");
    }
    s.push_str("protocol Main(nodes n, faults f, node s) where n > 3 * f {\n    in  v: u64 at s\n    out o[i]: u64 at i\n");
    s.push_str(
        "    c0 = C0(n, f, s) { value = v }\n    for i in nodes { o[i] = c0.output[i] }\n}\n",
    );
    s
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse_and_check");
    for size in [1_000, 5_000, 20_000] {
        let src = generate(size);
        let lines = src.lines().count() as u64;
        let out = rio_lang::check_source(&src);
        assert!(!out.has_errors(), "{:?}", out.diagnostics.first());
        group.throughput(Throughput::Elements(lines));
        group.bench_with_input(BenchmarkId::from_parameter(lines), &src, |b, src| {
            b.iter(|| rio_lang::check_source(std::hint::black_box(src)))
        });
    }
    group.finish();
    let mut group = c.benchmark_group("parse_only");
    let src = generate(5_000);
    group.throughput(Throughput::Elements(src.lines().count() as u64));
    group.bench_function("5k", |b| {
        b.iter(|| rio_lang::parse::parse_file(std::hint::black_box(&src)))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(4));
    targets = bench
}
criterion_main!(benches);
