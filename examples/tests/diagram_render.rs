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
    let dir = std::env::temp_dir().join(format!("rio-diagram-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let page = dir.join("bracha.html");
    let png = dir.join("bracha.png");
    let html = rio_sim::diagram::html(
        "Bracha, equivocating sender",
        4,
        &report.trace,
        Default::default(),
    );
    std::fs::write(&page, html).expect("write page");
    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| {
            std::process::Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("Chromium is required for this test: apt-get install chromium (.ci/run does)");
    let out = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1000,1000",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
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
