//! Headless Chromium for the tests and benchmarks that look at pages in a
//! real browser (the trace viewer, the sequence diagrams). `.ci/run`
//! installs Chromium from the distribution's packages.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The Chromium binary on `PATH` (`chromium`, `chromium-browser` or
/// `google-chrome`), or a message that says how to install it.
pub fn chromium() -> Result<&'static str, String> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| {
            Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .ok_or_else(|| {
            "Chromium is required: apt-get install chromium (.ci/run installs it)".to_string()
        })
}

/// Flags for a headless run on a machine without network access: no
/// sandbox (CI runs as root), no GPU, and none of Chromium's own background
/// connections.
fn headless(dir: &Path) -> Vec<String> {
    [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([format!("--user-data-dir={}", dir.join("profile").display())])
    .collect()
}

/// A scratch directory for one page.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rio-{name}-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// Loads `page` (written to a scratch file) in a `width` x `height` window,
/// lets its scripts run for up to `budget_ms` of virtual time, and returns
/// the DOM as serialized after that.
pub fn dump_dom(
    name: &str,
    page: &str,
    (width, height): (u32, u32),
    budget_ms: u32,
) -> Result<String, String> {
    let chromium = chromium()?;
    let dir = scratch(name);
    let file = dir.join(format!("{name}.html"));
    std::fs::write(&file, page).map_err(|e| format!("write {}: {e}", file.display()))?;
    let out = Command::new(chromium)
        .args(headless(&dir))
        .arg(format!("--window-size={width},{height}"))
        .arg(format!("--virtual-time-budget={budget_ms}"))
        .arg("--dump-dom")
        .arg(format!("file://{}", file.display()))
        .output()
        .map_err(|e| format!("run {chromium}: {e}"))?;
    // The browser profile and the page are scratch: a 100,000-event page
    // is 17 MB, and every test run would leave them behind.
    let _ = std::fs::remove_dir_all(&dir);
    if !out.status.success() {
        return Err(format!(
            "{chromium} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Takes a screenshot of `page` as a PNG file, returning its path.
pub fn screenshot(name: &str, page: &str, (width, height): (u32, u32)) -> Result<PathBuf, String> {
    let chromium = chromium()?;
    let dir = scratch(name);
    let file = dir.join(format!("{name}.html"));
    let png = dir.join(format!("{name}.png"));
    std::fs::write(&file, page).map_err(|e| format!("write {}: {e}", file.display()))?;
    let out = Command::new(chromium)
        .args(headless(&dir))
        .arg(format!("--window-size={width},{height}"))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", file.display()))
        .output()
        .map_err(|e| format!("run {chromium}: {e}"))?;
    let _ = std::fs::remove_dir_all(dir.join("profile"));
    if !out.status.success() {
        return Err(format!(
            "{chromium} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(png)
}

/// Appends `script` to `page` (before `</body>`): a test or benchmark
/// driving the page from inside, the way a user's clicks would.
pub fn with_script(page: &str, script: &str) -> String {
    let tag = format!("<script>\n{script}\n</script>\n");
    match page.rfind("</body>") {
        Some(at) => format!("{}{tag}{}", &page[..at], &page[at..]),
        None => format!("{page}{tag}"),
    }
}

/// The text of the element `<pre id="ID">` in a dumped DOM (the channel a
/// page script reports through), with HTML entities decoded.
pub fn element_text(dom: &str, id: &str) -> Option<String> {
    let open = format!("<pre id=\"{id}\">");
    let start = dom.find(&open)? + open.len();
    let end = start + dom.get(start..)?.find("</pre>")?;
    Some(
        dom.get(start..end)?
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&amp;", "&"),
    )
}

/// Helpers for scripts that check the trace viewer from inside the page:
/// `snapshot()` (labels, their overlaps and those cut off, SVG elements),
/// `change(id, value)` (a control changed as a user would), `frame()`,
/// `report(out)` (the result, read back with [`element_text`] under
/// `rio-test-result`).
pub const PROBE: &str = r#"
const $ = (id) => document.getElementById(id);
// Headless Chromium under a virtual-time budget runs animation frames
// while timers are pending (awaiting a frame itself may never resolve).
const frame = () => new Promise((r) => setTimeout(r, 100));
const boxes = (sel) => [...document.querySelectorAll(sel)].map((t) => {
  const b = t.getBoundingClientRect();
  return { x: b.left, y: b.top, w: b.width, h: b.height, text: t.textContent };
});
function overlaps(bs) {
  const hits = [];
  for (let i = 0; i < bs.length; i++)
    for (let j = i + 1; j < bs.length; j++) {
      const a = bs[i], b = bs[j];
      if (a.x < b.x + b.w - 0.5 && b.x < a.x + a.w - 0.5 && a.y < b.y + b.h - 0.5 && b.y < a.y + a.h - 0.5)
        hits.push([a.text, b.text]);
    }
  return hits;
}
function snapshot() {
  const labels = boxes('#rio-svg text.label');
  return {
    count: $('rio-count').textContent,
    labels: labels.length,
    overlaps: overlaps(labels).slice(0, 5),
    texts: labels.map((b) => b.text),
    elements: document.querySelectorAll('#rio-svg *').length,
    // Labels that stick out of the drawing (cut off by its edge).
    outside: (() => {
      const svg = $('rio-svg').getBoundingClientRect();
      return labels.filter((b) => b.x < svg.left - 0.5 || b.x + b.w > svg.right + 0.5).map((b) => b.text);
    })(),
  };
}
function change(id, value) {
  const x = $(id);
  if (x.type === 'checkbox') x.checked = value; else x.value = value;
  x.dispatchEvent(new Event(x.tagName === 'INPUT' && x.type !== 'checkbox' ? 'input' : 'change'));
}
function report(out) {
  const pre = document.createElement('pre');
  pre.id = 'rio-test-result';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
}
"#;

/// Loads `page` with [`PROBE`] and `script` appended, and returns what the
/// script passed to `report(..)`.
pub fn check_page(
    name: &str,
    page: &str,
    script: &str,
    size: (u32, u32),
) -> Result<serde_json::Value, String> {
    let page = with_script(page, &format!("{PROBE}\n{script}"));
    let dom = dump_dom(name, &page, size, 20_000)?;
    let text = element_text(&dom, "rio-test-result")
        .ok_or("the page script reported nothing (a script error?)")?;
    serde_json::from_str(&text).map_err(|e| format!("the page's report is not JSON: {e}"))
}
