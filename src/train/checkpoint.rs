//! Checkpoints: the model, the optimizer state, the epoch count and the history in one
//! safetensors file, written with [`crate::io`].
//!
//! Keys (all `F32` but the `I64` counters):
//!
//! | key | what |
//! |---|---|
//! | `epoch` (counter) | epochs completed |
//! | `model.<name>` | the model's `state_dict` (`model.0.weight`, ...) |
//! | `model.<name>.state.hi`, `.lo` (counters) | the upper and lower 32 bits of a random generator's state (dropout's), which weight files do not hold |
//! | `optimizer.<name>` | the optimizer's state (`optimizer.step`, `optimizer.exp_avg.0.weight`, ... — see the optimizer's `Module` implementation) |
//! | `history.<column>` (`[epoch]`) | `lr`, `train_loss`, `train_accuracy`, `test_loss`, `test_accuracy`, `seconds`, `train_seconds` of each epoch |
//! | `history.train_samples.<i>` (counter) | training samples of epoch `i` |

use super::{EpochStats, History, TrainError};
use crate::visit::{Module, Path, TensorInfo, Visitor, parts};
use std::path::{Path as FsPath, PathBuf};

/// The file name of the checkpoint written after `epochs` completed epochs: `epoch-0003.safetensors`.
pub fn checkpoint_name(epochs: usize) -> String {
    format!("epoch-{epochs:04}.safetensors")
}

/// The checkpoint in `dir` with the most completed epochs (by file name), if any.
///
/// # Errors
/// [`TrainError::Io`] if `dir` cannot be read.
pub fn latest_checkpoint(dir: impl AsRef<FsPath>) -> Result<Option<PathBuf>, TrainError> {
    let dir = dir.as_ref();
    let io = |source| TrainError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut best: Option<(usize, PathBuf)> = None;
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        let epoch = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("epoch-"))
            .and_then(|n| n.strip_suffix(".safetensors"))
            .and_then(|n| n.parse::<usize>().ok());
        if let Some(e) = epoch
            && best.as_ref().is_none_or(|(b, _)| e > *b)
        {
            best = Some((e, path));
        }
    }
    Ok(best.map(|(_, p)| p))
}

/// The history as columns, the form the file stores.
#[derive(Default)]
struct Columns {
    f32s: [Vec<f32>; 7],
    samples: Vec<u64>,
}

const COLUMNS: [&str; 7] = [
    "lr",
    "train_loss",
    "train_accuracy",
    "test_loss",
    "test_accuracy",
    "seconds",
    "train_seconds",
];

impl Columns {
    fn with_len(n: usize) -> Self {
        Columns {
            f32s: core::array::from_fn(|_| vec![0.0; n]),
            samples: vec![0; n],
        }
    }
    fn of(h: &History) -> Self {
        let mut c = Columns::default();
        for e in &h.epochs {
            let v = [
                e.lr,
                e.train_loss,
                e.train_accuracy,
                e.test_loss,
                e.test_accuracy,
                e.seconds,
                e.train_seconds,
            ];
            for (col, v) in c.f32s.iter_mut().zip(v) {
                col.push(v);
            }
            c.samples.push(e.train_samples as u64);
        }
        c
    }
    fn history(&self) -> History {
        let epochs = (0..self.samples.len())
            .map(|i| {
                let v = |k: usize| self.f32s[k][i];
                EpochStats {
                    epoch: i,
                    lr: v(0),
                    train_loss: v(1),
                    train_accuracy: v(2),
                    test_loss: v(3),
                    test_accuracy: v(4),
                    seconds: v(5),
                    train_seconds: v(6),
                    train_samples: usize::try_from(self.samples[i]).unwrap_or(usize::MAX),
                }
            })
            .collect();
        History { epochs }
    }
}

/// What a checkpoint file holds, as one [`Module`] so that [`crate::io`] saves and loads it.
struct Checkpoint<'a, L, O> {
    epoch: u64,
    model: &'a mut L,
    optimizer: &'a mut O,
    history: Columns,
}

impl<L: Module<f32>, O: Module<f32>> Module<f32> for Checkpoint<'_, L, O> {
    fn visit<V: Visitor<f32, K>, const K: usize>(
        mut cs: [&mut Self; K],
        path: &Path<'_>,
        visitor: &mut V,
    ) {
        let p = path.field("epoch");
        visitor.counter(&p, parts(&mut cs, |c| &mut c.epoch));
        let p = path.field("model");
        L::visit(
            parts(&mut cs, |c| &mut *c.model),
            &p,
            &mut WithGenerators(&mut *visitor),
        );
        let p = path.field("optimizer");
        O::visit(parts(&mut cs, |c| &mut *c.optimizer), &p, visitor);
        let h = path.field("history");
        // The first history tensor visited is `history.lr`: `load` learns the length from it.
        for (k, name) in COLUMNS.iter().enumerate() {
            let p = h.field(name);
            let shape = [cs[0].history.f32s[k].len()];
            visitor.tensor(
                TensorInfo::buffer(&p, &shape, 0.0),
                cs.each_mut().map(|c| &mut c.history.f32s[k][..]),
            );
        }
        let s = h.field("train_samples");
        for i in 0..cs[0].history.samples.len() {
            let p = s.index(i);
            visitor.counter(&p, cs.each_mut().map(|c| &mut c.history.samples[i]));
        }
    }
}

/// Passes everything to `V` and reports each generator state as two counters, its upper and
/// lower 32 bits (a counter of a weight file is a non-negative `i64`, a state any `u64`).
struct WithGenerators<'v, V>(&'v mut V);

impl<V: Visitor<f32, K>, const K: usize> Visitor<f32, K> for WithGenerators<'_, V> {
    fn tensor(&mut self, info: TensorInfo<'_>, values: [&mut [f32]; K]) {
        self.0.tensor(info, values);
    }
    fn counter(&mut self, path: &Path<'_>, values: [&mut u64; K]) {
        self.0.counter(path, values);
    }
    fn generator(&mut self, path: &Path<'_>, mut states: [&mut u64; K]) {
        let mut hi = states.each_ref().map(|s| **s >> 32);
        let mut lo = states.each_ref().map(|s| **s & 0xffff_ffff);
        self.0.counter(&path.field("hi"), hi.each_mut());
        self.0.counter(&path.field("lo"), lo.each_mut());
        // Halves read from a file (`save` writes none above 32 bits; any `u64` is a state).
        for ((s, h), l) in states.iter_mut().zip(hi).zip(lo) {
            **s = (h << 32) | (l & 0xffff_ffff);
        }
    }
}

/// Write the checkpoint after `history.len()` epochs to `dir`
/// ([`checkpoint_name`]); returns its path. The file is written under a temporary name and
/// renamed, so an interrupted write never leaves a truncated checkpoint.
pub(super) fn save<L: Module<f32>, O: Module<f32>>(
    dir: &FsPath,
    model: &mut L,
    optimizer: &mut O,
    history: &History,
) -> Result<PathBuf, TrainError> {
    let path = dir.join(checkpoint_name(history.len()));
    let mut c = Checkpoint {
        epoch: history.len() as u64,
        model,
        optimizer,
        history: Columns::of(history),
    };
    let bytes = crate::io::to_bytes(&mut c).map_err(|source| TrainError::Weights {
        path: path.clone(),
        source,
    })?;
    let tmp = path.with_extension("safetensors.tmp");
    let io = |p: &FsPath| {
        let p = p.to_path_buf();
        move |source| TrainError::Io { path: p, source }
    };
    std::fs::write(&tmp, bytes).map_err(io(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(io(&path))?;
    Ok(path)
}

/// Load a checkpoint into `model` and `optimizer` and return its history. On a
/// [`TrainError::Io`] or [`TrainError::Weights`] error both are unchanged (the weight file is
/// checked completely before anything is written); a [`TrainError::Checkpoint`] error (a valid
/// file whose epoch counter contradicts its history) is reported after loading.
pub(super) fn load<L: Module<f32>, O: Module<f32>>(
    path: &FsPath,
    model: &mut L,
    optimizer: &mut O,
) -> Result<History, TrainError> {
    let bytes = std::fs::read(path).map_err(|source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let weights = |source| TrainError::Weights {
        path: path.to_path_buf(),
        source,
    };
    // The history's length is not known before reading the file: try length 0 first; a
    // checkpoint of k epochs then fails, before anything is written, on the shape of its
    // first history tensor, which names k.
    let mut len = 0;
    let columns = loop {
        let mut c = Checkpoint {
            epoch: u64::MAX,
            model: &mut *model,
            optimizer: &mut *optimizer,
            history: Columns::with_len(len),
        };
        match crate::io::from_bytes(&mut c, &bytes) {
            Ok(()) => {
                if c.epoch != len as u64 {
                    let reason = if c.epoch == u64::MAX {
                        "it has no `epoch` counter".to_owned()
                    } else {
                        format!(
                            "its epoch counter ({}) does not match its history ({len} epochs)",
                            c.epoch
                        )
                    };
                    return Err(TrainError::Checkpoint {
                        path: path.to_path_buf(),
                        reason,
                    });
                }
                break c.history;
            }
            Err(crate::io::Error::WrongShape { key, found, .. })
                if len == 0 && key == "history.lr" && found.len() == 1 && found[0] > 0 =>
            {
                len = found[0];
            }
            Err(e) => return Err(weights(e)),
        }
    };
    Ok(columns.history())
}
