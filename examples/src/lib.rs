//! Example protocols for Rio, with end-to-end tests.
//!
//! [`handwritten`] holds plain-Rust state machines written by hand against
//! the runtime's sans-I/O trait: the baselines generated nodes are measured
//! against.

pub mod handwritten;
