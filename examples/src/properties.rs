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
