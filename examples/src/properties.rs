//! Properties shared by the examples' simulations, written over outputs'
//! `Debug` text so they apply to any protocol.

use rio_runtime::Node;
use rio_sim::View;

/// Agreement: no two correct nodes output different values.
pub fn agreement<N: Node>(v: &View<'_, N>) -> Result<(), String> {
    agree(v.correct_outputs().map(|(_, o)| o))
}

/// Totality: if one correct node output, every correct node did.
pub fn totality<N: Node>(v: &View<'_, N>) -> Result<(), String> {
    total(
        v.correct_outputs().map(|(id, _)| id.0),
        v.correct_nodes().count(),
    )
}

/// Agreement over the correct nodes' outputs, by their printed form.
fn agree<O: std::fmt::Debug>(outputs: impl Iterator<Item = O>) -> Result<(), String> {
    let values: std::collections::BTreeSet<String> = outputs.map(|o| format!("{o:?}")).collect();
    if values.len() <= 1 {
        Ok(())
    } else {
        Err(format!("correct nodes output {values:?}"))
    }
}

/// Totality over the nodes that output, of `correct` correct nodes.
fn total(output: impl Iterator<Item = u32>, correct: usize) -> Result<(), String> {
    let done: std::collections::BTreeSet<u32> = output.collect();
    if done.is_empty() || done.len() == correct {
        Ok(())
    } else {
        Err(format!("{} of {correct} correct nodes output", done.len()))
    }
}

/// The same properties over the model checker's view (`rio_check::View`).
pub mod checker {
    use rio_check::View;

    /// Agreement: no two correct nodes output different values.
    pub fn agreement<O: std::fmt::Debug>(v: &View<'_, O>) -> Result<(), String> {
        super::agree(v.correct_outputs().map(|(_, o)| o))
    }

    /// Totality (at a final state): if one correct node output, every
    /// correct node did.
    pub fn totality<O>(v: &View<'_, O>) -> Result<(), String> {
        super::total(
            v.correct_outputs().map(|(id, _)| id.0),
            v.correct_nodes().count(),
        )
    }
}
