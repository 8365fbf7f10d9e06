//! The `safetensors` crate (a dev-dependency) as the oracle of constnet's weight files: what its
//! reader accepts and what its writer writes. Shared by the weight-file tests
//! (`tests/it/safetensors*.rs`) and the mutation fuzzer (`examples/fuzz.rs`, which includes this
//! file by path).

use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// A tensor of a file: name, dtype name, shape, data.
pub type Tensor = (String, String, Vec<usize>, Vec<u8>);

/// The tensors of `bytes`, sorted by name, if the crate's reader accepts the file; `None` if it
/// refuses it, with an error or a panic (its `buffer_end + 8 + n` overflows on offsets near
/// `usize::MAX`; without overflow checks the sum wraps and slicing the data panics).
pub fn crate_reads(bytes: &[u8]) -> Option<Vec<Tensor>> {
    catch_unwind(AssertUnwindSafe(|| {
        let st = SafeTensors::deserialize(bytes).ok()?;
        let mut tensors: Vec<Tensor> = st
            .tensors()
            .into_iter()
            .map(|(k, t)| {
                (
                    k,
                    t.dtype().to_string(),
                    t.shape().to_vec(),
                    t.data().to_vec(),
                )
            })
            .collect();
        tensors.sort();
        Some(tensors)
    }))
    .ok()
    .flatten()
}

/// `tensors` as the crate's writer writes them (`safetensors::serialize(…, None)`), or its
/// error message.
pub fn crate_writes(tensors: &[Tensor]) -> Result<Vec<u8>, String> {
    let views: Vec<(&str, TensorView<'_>)> = tensors
        .iter()
        .map(|(k, d, s, b)| {
            let dtype: Dtype = serde_json::from_str(&format!("\"{d}\"")).expect("a dtype name");
            let view = TensorView::new(dtype, s.clone(), b).expect("data of the shape's size");
            (k.as_str(), view)
        })
        .collect();
    safetensors::serialize(views.iter().map(|(k, v)| (*k, v)), None).map_err(|e| e.to_string())
}

/// Checks constnet's verdict on `bytes` against the crate's reader: constnet must refuse as
/// malformed exactly the files the crate refuses. `malformed` is constnet's reason when it
/// refused the file as malformed (`None` when it loaded it, or refused it for the model's sake:
/// a missing key, a shape...).
///
/// The one known difference: a tensor name twice in the header, which constnet refuses and the
/// crate accepts when the last of the two tiles the data (it keeps the last).
pub fn check_verdict(bytes: &[u8], malformed: Option<&str>) -> Result<(), String> {
    match (crate_reads(bytes), malformed) {
        (Some(_), None) | (None, Some(_)) => Ok(()),
        (Some(_), Some(r)) if r.starts_with("a tensor name appears twice") => Ok(()),
        (Some(_), Some(r)) => Err(format!(
            "constnet refuses a file the safetensors crate reads: {r}"
        )),
        (None, None) => Err("constnet reads a file the safetensors crate refuses".into()),
    }
}

/// Checks that a model that loaded `bytes` holds every tensor of the file as the crate reads
/// it: `saved` is the model saved after the load.
pub fn check_loaded(bytes: &[u8], saved: &[u8]) -> Result<(), String> {
    let file = crate_reads(bytes).ok_or("the crate refuses the loaded file")?;
    let model = crate_reads(saved).ok_or("the crate refuses the saved model")?;
    match file.iter().find(|t| !model.contains(t)) {
        None => Ok(()),
        Some(t) => Err(format!("tensor `{}` loaded other values", t.0)),
    }
}
