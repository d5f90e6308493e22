//! The sequence diagram renders in a real browser: headless Chromium takes a
//! screenshot of the HTML page, which must be a non-trivial PNG. (`.ci/run`
//! installs Chromium from the distribution's packages.)

use rio_examples::generated::bracha::{Input, Node, Params};
use rio_runtime::NodeId;
use rio_sim::{Byzantine, Config, Fault, Sim};

#[test]
fn diagram_renders_in_headless_chromium() {
    let params = Params {
        n: 4,
        f: 1,
        sender: NodeId(0),
    };
    let cfg = Config::new(3)
        .latency(1, 8)
        .fault(NodeId(0), Fault::Byzantine(Byzantine::Equivocate));
    let mut sim = Sim::new(4, cfg, move |id| {
        Node::<u64>::new(id, params.clone()).expect("params")
    });
    sim.input_at(0, NodeId(0), Input::Bc(1));
    let report = sim.run();
    let html = rio_sim::diagram::html(
        "Bracha, equivocating sender",
        4,
        &report.trace,
        Default::default(),
    );
    let png = rio_examples::browser::screenshot("diagram", &html, (1000, 1000))
        .unwrap_or_else(|e| panic!("{e}"));
    let bytes = std::fs::read(&png).expect("screenshot written");
    assert_eq!(
        bytes.get(..8),
        Some(&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a][..]),
        "a PNG"
    );
    assert!(
        bytes.len() > 10_000,
        "a blank page would be tiny: {} bytes",
        bytes.len()
    );
    let _ = std::fs::copy(&png, std::env::temp_dir().join("rio-bracha-diagram.png"));
}
