//! Compiles the example protocols from `.rio` to Rust at build time.

fn main() {
    rio_compiler::Builder::new()
        .file("../spec/examples/bracha.rio")
        .file("../spec/examples/bracha_composed.rio")
        .file("protocols/slots.rio")
        .file("protocols/keywords.rio")
        .file("protocols/chain.rio")
        .file("../spec/examples/tendermint.rio")
        .compile()
        .unwrap_or_else(|e| panic!("{e}"));
}
