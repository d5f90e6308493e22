//! Generated Bracha node vs the hand-written one, same in-memory driver:
//! messages handled per second for one broadcast among n nodes
//! (n + 2n^2 deliveries). Run: `cargo bench -p rio-examples --bench bracha`.

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use rio_examples::generated::bracha as gen;
use rio_examples::handwritten::bracha::Bracha;
use rio_runtime::driver::Cluster;
use rio_runtime::NodeId;

fn generated(n: usize) -> Cluster<gen::Node<u64>> {
    let params = gen::Params {
        n,
        f: (n - 1) / 3,
        sender: NodeId(0),
    };
    Cluster::new(
        (0..n)
            .map(|k| gen::Node::new(NodeId(k as u32), params.clone()).expect("params"))
            .collect(),
    )
}

fn handwritten(n: usize) -> Cluster<Bracha<u64>> {
    Cluster::new(
        (0..n)
            .map(|k| Bracha::new(NodeId(k as u32), n, (n - 1) / 3, NodeId(0)))
            .collect(),
    )
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("bracha_broadcast");
    for n in [4usize, 16, 64] {
        let msgs = (n + 2 * n * n) as u64;
        group.throughput(Throughput::Elements(msgs));
        group.bench_with_input(BenchmarkId::new("generated", n), &n, |b, &n| {
            b.iter_batched(
                || generated(n),
                |mut c| {
                    let mut honest = Cluster::<gen::Node<u64>>::honest();
                    c.input(NodeId(0), gen::Input::Bc(1), &mut honest);
                    c.run(u64::MAX, &mut honest);
                    assert_eq!(c.delivered, msgs);
                    c
                },
                BatchSize::LargeInput,
            )
        });
        group.bench_with_input(BenchmarkId::new("handwritten", n), &n, |b, &n| {
            b.iter_batched(
                || handwritten(n),
                |mut c| {
                    let mut honest = Cluster::<Bracha<u64>>::honest();
                    c.input(NodeId(0), 1, &mut honest);
                    c.run(u64::MAX, &mut honest);
                    assert_eq!(c.delivered, msgs);
                    c
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
