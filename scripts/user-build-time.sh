#!/usr/bin/env bash
# Clean build time of a small user crate with one `.rio` file compiled from
# build.rs (what a new user's first `cargo build` costs), against the Rio
# checkout at $1 (default: this one). Prints the wall-clock seconds.
#
#   scripts/user-build-time.sh            # this checkout
#   scripts/user-build-time.sh /path/to/older/checkout
set -euo pipefail
root=$(cd "${1:-$(dirname "$0")/..}" && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/src" "$dir/protocols"
cp "$root/spec/examples/bracha.rio" "$dir/protocols/"
cp "$root/Cargo.lock" "$dir/Cargo.lock"
cat > "$dir/Cargo.toml" <<TOML
[package]
name = "usercrate"
version = "0.1.0"
edition = "2021"

[workspace]

[dependencies]
rio-runtime = { path = "$root/runtime" }

[build-dependencies]
rio-compiler = { path = "$root/compiler" }
TOML
cat > "$dir/build.rs" <<'RS'
fn main() {
    rio_compiler::Builder::new()
        .file("protocols/bracha.rio")
        .compile()
        .unwrap_or_else(|e| panic!("{e}"));
}
RS
cat > "$dir/src/main.rs" <<'RS'
rio_runtime::include_protocol!("bracha");

fn main() {
    use rio_runtime::{Effects, Node as _, NodeId};
    let params = bracha::Params { n: 4, f: 1, sender: NodeId(0) };
    let mut node = bracha::Node::<u64>::new(NodeId(0), params).expect("params");
    let mut fx: Effects<bracha::Message<u64>, bracha::Output<u64>> = Effects::default();
    node.on_input(bracha::Input::Bc(7), &mut fx);
    println!("{} sends", fx.sends.len());
}
RS
cd "$dir"
cargo fetch -q
start=$(date +%s.%N)
cargo build -q --offline
end=$(date +%s.%N)
echo "clean build of a one-protocol user crate against $root: $(echo "$end - $start" | bc) s"
cargo run -q --offline
