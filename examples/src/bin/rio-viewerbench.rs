//! Measures the trace viewer on a large trace in headless Chromium: a slot
//! sequence of at least EVENTS events (default 100,000) from the simulator,
//! loaded RUNS times (default 3); prints the page size, the time to the first
//! drawing (parse, preprocessing, first rows), and the median and worst
//! time to redraw after a scroll and to refilter, against the 16.7 ms of
//! one frame at 60 Hz.
//!
//! `cargo run --release -p rio-examples --bin rio-viewerbench [EVENTS] [RUNS]`

use clap::Parser;
use rio_examples::browser;
use rio_sim::TraceEvent;

/// Measure the trace viewer on a large trace in headless Chromium.
#[derive(Parser)]
#[command(name = "rio-viewerbench")]
struct Args {
    /// At least this many trace events.
    #[arg(default_value_t = 100_000)]
    events: usize,
    /// Page loads to measure.
    #[arg(default_value_t = 3)]
    runs: usize,
}

/// Slots, node 1 crashed, run until the trace has `events` events.
fn trace(events: usize) -> Vec<TraceEvent> {
    let mut ms = 10_000u64;
    loop {
        let t = rio_examples::scenarios::slots_crashed_leader(5, u64::MAX, ms).trace;
        if t.len() >= events {
            return t;
        }
        // Events grow about linearly with simulated time.
        let grow = (events as f64 / t.len().max(1) as f64 * 1.02).max(1.05);
        ms = (ms as f64 * grow) as u64;
    }
}

const SCRIPT: &str = r#"
(async () => {
  const out = {};
  try {
    const s = document.getElementById('rio-scroll');
    const svg = document.getElementById('rio-svg');
    const v = window.rioViewer;
    out.ready = v.ready;
    out.rows = v.rows();
    const timed = (f) => {
      const t0 = performance.now();
      f();
      svg.getBoundingClientRect(); // force style and layout
      return performance.now() - t0;
    };
    out.scroll = [];
    for (let i = 0; i < 200; i++) {
      s.scrollTop = Math.floor((i * 7919) % 200 / 200 * s.scrollHeight);
      out.scroll.push(timed(() => v.render()));
    }
    out.filter = [];
    const line = document.getElementById('rio-line');
    for (let i = 0; i < 10; i++) {
      out.filter.push(timed(() => {
        line.value = i % 2 === 0 ? 'vote' : '';
        line.dispatchEvent(new Event('change'));
      }));
    }
    out.elements = document.querySelectorAll('#rio-svg *').length;
  } catch (e) {
    out.error = String(e);
  }
  const pre = document.createElement('pre');
  pre.id = 'rio-bench';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
"#;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn numbers(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .map(|a| a.iter().filter_map(serde_json::Value::as_f64).collect())
        .unwrap_or_default()
}

fn main() {
    let args = Args::parse();
    let trace = trace(args.events);
    let page = rio_sim::viewer::html("viewer benchmark", 4, &trace);
    rio_examples::say!(
        "trace: {} events, page {:.1} MB",
        trace.len(),
        page.len() as f64 / 1e6
    );
    let page = browser::with_script(&page, SCRIPT);
    let (mut ready, mut scroll, mut filter, mut worst) = (vec![], vec![], vec![], 0.0f64);
    for run in 0..args.runs {
        let dom = match browser::dump_dom("viewerbench", &page, (1400, 1000), 60_000) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(1);
            }
        };
        let Some(json) = browser::element_text(&dom, "rio-bench") else {
            eprintln!("error: the page reported nothing");
            std::process::exit(1);
        };
        let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
        if let Some(e) = v["error"].as_str() {
            eprintln!("error in the page: {e}");
            std::process::exit(1);
        }
        let (s, f) = (numbers(&v["scroll"]), numbers(&v["filter"]));
        worst = s.iter().copied().fold(worst, f64::max);
        rio_examples::say!(
            "run {run}: first drawing {:.0} ms, redraw after scroll median {:.2} ms (worst {:.2}), refilter median {:.1} ms, {} SVG elements, {} rows",
            v["ready"].as_f64().unwrap_or(f64::NAN),
            median(s.clone()),
            s.iter().copied().fold(0.0, f64::max),
            median(f.clone()),
            v["elements"],
            v["rows"],
        );
        ready.push(v["ready"].as_f64().unwrap_or(f64::NAN));
        scroll.push(median(s));
        filter.push(median(f));
    }
    rio_examples::say!(
        "median of {} runs: first drawing {:.0} ms, scroll redraw {:.2} ms (worst seen {:.2} ms; one frame is 16.7 ms), refilter {:.1} ms",
        args.runs,
        median(ready),
        median(scroll),
        worst,
        median(filter)
    );
}
