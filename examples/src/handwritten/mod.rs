//! Hand-written protocol nodes, the baselines for generated code.

pub mod bracha;
