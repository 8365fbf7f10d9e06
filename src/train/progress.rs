//! Progress output: a bar per epoch on a terminal, one line per epoch otherwise.

use super::EpochStats;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// How a run reports its progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Progress {
    /// A progress bar when standard output is a terminal, otherwise one line per epoch (logs,
    /// CI, pipes).
    #[default]
    Auto,
    /// A progress bar per epoch on standard output (with loss and throughput), then a summary
    /// line.
    Bar,
    /// One summary line per epoch.
    Lines,
    /// Nothing.
    Quiet,
}

/// The summary line of an epoch.
pub fn epoch_line(s: &EpochStats, epochs: usize) -> String {
    format!(
        "epoch {:>w$}/{epochs}  lr {:.2e}  train loss {:.4} acc {:6.2}%  test loss {:.4} acc {:6.2}%  {:>7.0} samples/s  {:.1} s (training {:.1} s)",
        s.epoch + 1,
        s.lr,
        s.train_loss,
        100.0 * s.train_accuracy,
        s.test_loss,
        100.0 * s.test_accuracy,
        s.samples_per_second(),
        s.seconds,
        s.train_seconds,
        w = epochs.to_string().len(),
    )
}

/// Draws the progress of a run.
pub(super) struct Reporter {
    mode: Progress,
    bar: Option<ProgressBar>,
    epochs: usize,
}

impl Reporter {
    pub(super) fn new(mode: Progress, epochs: usize) -> Self {
        let mode = match mode {
            Progress::Auto if std::io::stdout().is_terminal() => Progress::Bar,
            Progress::Auto => Progress::Lines,
            m => m,
        };
        Reporter {
            mode,
            bar: None,
            epochs,
        }
    }

    /// Print a line (above the bar, if one is drawn).
    pub(super) fn println(&self, line: &str) {
        match (&self.bar, self.mode) {
            (_, Progress::Quiet) => {}
            (Some(bar), _) => bar.println(line),
            (None, _) => println!("{line}"),
        }
    }

    pub(super) fn start_epoch(&mut self, epoch: usize, samples: usize) {
        if self.mode != Progress::Bar {
            return;
        }
        let style = ProgressStyle::with_template(
            "{prefix} [{wide_bar:.cyan/blue}] {pos:>6}/{len:6} {msg} eta {eta:>3}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        let bar = ProgressBar::with_draw_target(Some(samples as u64), ProgressDrawTarget::stdout())
            .with_style(style)
            .with_prefix(format!(
                "epoch {:>w$}/{}",
                epoch + 1,
                self.epochs,
                w = self.epochs.to_string().len()
            ));
        self.bar = Some(bar);
    }

    /// `samples` done in this epoch, their mean loss, and samples per second of training.
    pub(super) fn update(&mut self, samples: usize, loss: f64, per_second: f64) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("loss {loss:.4} {per_second:>6.0} samples/s"));
            bar.set_position(samples as u64);
        }
    }

    pub(super) fn end_epoch(&mut self, stats: &EpochStats) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        self.println(&epoch_line(stats, self.epochs));
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        // A run that stopped with an error leaves its bar where it stopped.
        if let Some(bar) = self.bar.take() {
            bar.abandon();
        }
    }
}
