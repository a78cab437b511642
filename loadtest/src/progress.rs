//! Progress display with indicatif, on stderr; hidden with `--quiet` and in child processes.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A bar that fills over a fixed duration and shows a live status line.
pub struct TimedBar {
    bar: ProgressBar,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TimedBar {
    /// `status` is called a few times a second for the message (counters so far).
    pub fn start(quiet: bool, label: &str, duration: Duration, status: Arc<dyn Fn() -> String + Send + Sync>) -> Self {
        let total_ms = duration.as_millis().max(1) as u64;
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::with_draw_target(Some(total_ms), ProgressDrawTarget::stderr())
        };
        bar.set_style(
            ProgressStyle::with_template("{prefix:>9} [{bar:30}] {elapsed:>4}/{duration:4} {msg}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_prefix(label.to_owned());
        let b = bar.clone();
        let started = Instant::now();
        let task = (!quiet).then(|| {
            tokio::spawn(async move {
                loop {
                    b.set_position((started.elapsed().as_millis() as u64).min(total_ms));
                    b.set_message(status());
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            })
        });
        TimedBar { bar, task }
    }

    /// A bar counting items up to `total` (connections opened, users created).
    pub fn counter(quiet: bool, label: &str, total: u64) -> ProgressBar {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
        };
        bar.set_style(
            ProgressStyle::with_template("{prefix:>9} [{bar:30}] {pos}/{len} {per_sec} {msg}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_prefix(label.to_owned());
        bar
    }

    pub fn finish(mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
        self.bar.finish_and_clear();
    }
}

impl Drop for TimedBar {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}
