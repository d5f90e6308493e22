//! Properties shared by the examples' simulations, written over outputs'
//! `Debug` text so they apply to any protocol.

use rio_runtime::Node;
use rio_sim::View;

/// Agreement: no two correct nodes output different values.
pub fn agreement<N: Node>(v: &View<'_, N>) -> Result<(), String> {
    let values: std::collections::BTreeSet<String> =
        v.correct_outputs().map(|(_, o)| format!("{o:?}")).collect();
    if values.len() <= 1 {
        Ok(())
    } else {
        Err(format!("correct nodes output {values:?}"))
    }
}

/// Totality: if one correct node output, every correct node did.
pub fn totality<N: Node>(v: &View<'_, N>) -> Result<(), String> {
    let delivered: std::collections::BTreeSet<u32> =
        v.correct_outputs().map(|(id, _)| id.0).collect();
    let correct = v.correct_nodes().count();
    if delivered.is_empty() || delivered.len() == correct {
        Ok(())
    } else {
        Err(format!(
            "{} of {correct} correct nodes output",
            delivered.len()
        ))
    }
}

/// The same properties over the model checker's view (`rio_check::View`).
pub mod checker {
    use rio_check::View;

    /// Agreement: no two correct nodes output different values.
    pub fn agreement<O: std::fmt::Debug>(v: &View<'_, O>) -> Result<(), String> {
        let values: std::collections::BTreeSet<String> =
            v.correct_outputs().map(|(_, o)| format!("{o:?}")).collect();
        if values.len() <= 1 {
            Ok(())
        } else {
            Err(format!("correct nodes output {values:?}"))
        }
    }

    /// Totality (at a final state): if one correct node output, every
    /// correct node did.
    pub fn totality<O>(v: &View<'_, O>) -> Result<(), String> {
        let done: std::collections::BTreeSet<u32> =
            v.correct_outputs().map(|(id, _)| id.0).collect();
        let correct = v.correct_nodes().count();
        if done.is_empty() || done.len() == correct {
            Ok(())
        } else {
            Err(format!("{} of {correct} correct nodes output", done.len()))
        }
    }
}
