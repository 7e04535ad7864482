//! The fetch progress bar, and the log writer that prints log lines above it
//! instead of through it: a WARN line written to stderr while the bar is
//! drawn lands in the middle of the bar's line, and the next redraw leaves
//! half of each on screen.

use std::io::Write;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The bar on screen, if any: [`LogWriter`] consults it for every log line.
static SHOWN: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// A progress bar over a poll's sources that also counts article pages
/// fetched (a poll that follows links spends most of its time there: one
/// seen by a user sat at "2/5 sources" through an 11 s fetch of 15 pages).
/// Shown only on a terminal; while it is shown, log lines go above it.
pub(super) struct PollProgress {
    bar: ProgressBar,
}

impl PollProgress {
    /// A bar for `sources` sources, hidden unless `visible`.
    pub(super) fn new(sources: usize, visible: bool) -> Self {
        let target = if visible { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
        let bar = ProgressBar::with_draw_target(Some(sources as u64), target);
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} sources, {prefix} articles, {elapsed} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_prefix("0");
        if visible {
            // Redraws the elapsed time and the article count while no source finishes.
            bar.enable_steady_tick(Duration::from_millis(200));
            *SHOWN.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(bar.clone());
        }
        Self { bar }
    }

    /// A source finished.
    pub(super) fn source_done(&self, source: &str) {
        self.bar.set_message(source.to_owned());
        self.bar.inc(1);
    }

    /// Article pages fetched so far in this poll.
    pub(super) fn set_articles(&self, fetched: usize) {
        self.bar.set_prefix(fetched.to_string());
    }
}

impl Drop for PollProgress {
    fn drop(&mut self) {
        *SHOWN.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        self.bar.finish_and_clear();
    }
}

/// The log writer of every command (`tracing_subscriber`'s `MakeWriter`):
/// standard error, or above the progress bar while one is shown.
#[derive(Clone, Copy, Default)]
pub(super) struct LogWriter;

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LogLine;

    fn make_writer(&'a self) -> Self::Writer {
        LogLine
    }
}

/// One log event's output. The formatter writes an event in one
/// `write_all`, so a suspended bar is redrawn once per line.
pub(super) struct LogLine;

impl Write for LogLine {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let shown = SHOWN.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        match shown {
            // Clears the bar, writes the line where the bar was, redraws the bar below it.
            Some(bar) => bar.suspend(|| std::io::stderr().write_all(buf))?,
            None => std::io::stderr().write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}
