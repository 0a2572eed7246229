//! Progress of long commands (import, export) on standard error: a bar with the rate and
//! the time left when the total is known, a counter with the rate otherwise. Shown only
//! when standard error is a terminal, only once the work has run for a second (short
//! commands print nothing more than before), and never with `--quiet`.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

static QUIET: AtomicBool = AtomicBool::new(false);

/// `--quiet`: no progress for the rest of the process.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// How long work runs before its progress appears.
const DELAY: Duration = Duration::from_secs(1);

/// A line of status on standard error for a step that cannot show progress (one long
/// statement), under the same conditions as progress: a terminal, and no `--quiet`.
pub fn status(what: &str) {
    if !QUIET.load(Ordering::Relaxed) && std::io::stderr().is_terminal() {
        eprintln!("{}", crate::term_safe::term_safe(what));
    }
}

/// What the position counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Bytes,
    Tasks,
}

/// One piece of work's progress; cleared when dropped.
pub struct Progress {
    bar: Option<ProgressBar>,
    start: Instant,
    shown: Arc<AtomicBool>,
}

impl Progress {
    /// Progress of `what` (e.g. "importing"), out of `total` if known.
    pub fn new(what: &str, total: Option<u64>, unit: Unit) -> Progress {
        let enabled = !QUIET.load(Ordering::Relaxed) && std::io::stderr().is_terminal();
        Progress::with(enabled, what, total, unit)
    }

    fn with(enabled: bool, what: &str, total: Option<u64>, unit: Unit) -> Progress {
        let bar = enabled.then(|| {
            let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::hidden());
            let (pos, rate) = match unit {
                Unit::Bytes => ("{bytes}/{total_bytes}", "{bytes_per_sec}"),
                Unit::Tasks if total.is_some() => ("{human_pos}/{human_len} tasks", "{rate}"),
                Unit::Tasks => ("{human_pos} tasks", "{rate}"),
            };
            let template = if total.is_some() {
                format!("{{msg}} [{{bar:30}}] {pos} {rate}, {{eta}} left")
            } else {
                format!("{{spinner}} {{msg}} {pos} {rate}")
            };
            if let Ok(style) = ProgressStyle::with_template(&template) {
                // Whole tasks a second (indicatif's own rate shows three decimals).
                let style = style.with_key(
                    "rate",
                    |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{:.0}/s", state.per_sec());
                    },
                );
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(crate::term_safe::term_safe(what).into_owned());
            bar
        });
        Progress {
            bar,
            start: Instant::now(),
            shown: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Progress of work that reports nothing while it runs (one long SQL statement): a
    /// spinner that appears by itself once the work has run a second.
    pub fn waiting(what: &str) -> Progress {
        let enabled = !QUIET.load(Ordering::Relaxed) && std::io::stderr().is_terminal();
        Progress::waiting_with(enabled, what)
    }

    fn waiting_with(enabled: bool, what: &str) -> Progress {
        let p = Progress::with(enabled, what, None, Unit::Tasks);
        if let Some(bar) = &p.bar {
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            let (bar, shown) = (bar.clone(), p.shown.clone());
            std::thread::spawn(move || {
                std::thread::sleep(DELAY);
                if !bar.is_finished() && !shown.swap(true, Ordering::Relaxed) {
                    bar.set_draw_target(ProgressDrawTarget::stderr());
                    bar.enable_steady_tick(Duration::from_millis(200));
                }
            });
        }
        p
    }

    /// Moves the position to `pos` (at most the total).
    pub fn set(&self, pos: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(bar.length().map_or(pos, |l| pos.min(l)));
            self.show_when_due(bar);
        }
    }

    /// Moves the position on by `n`.
    pub fn inc(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
            self.show_when_due(bar);
        }
    }

    /// Says what the work is doing now (a last step such as building an index).
    pub fn message(&self, what: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(crate::term_safe::term_safe(what).into_owned());
            self.show_when_due(bar);
        }
    }

    fn show_when_due(&self, bar: &ProgressBar) {
        if !self.shown.load(Ordering::Relaxed) && self.start.elapsed() >= DELAY {
            self.shown.store(true, Ordering::Relaxed);
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.enable_steady_tick(Duration::from_millis(200));
        }
    }

    /// Clears the progress now (before the command prints its result).
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }

    /// Whether the progress is drawn (it is due and allowed).
    pub fn is_shown(&self) -> bool {
        self.shown.load(Ordering::Relaxed)
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spinner_appears_by_itself_after_a_second_unless_finished() {
        let running = Progress::waiting_with(true, "querying");
        let mut quick = Progress::waiting_with(true, "querying");
        quick.finish();
        std::thread::sleep(DELAY + Duration::from_millis(300));
        assert!(running.is_shown());
        assert!(!quick.is_shown());
        assert!(!Progress::waiting_with(false, "querying").is_shown());
    }

    #[test]
    fn nothing_is_drawn_before_a_second_or_when_not_allowed() {
        let p = Progress::with(true, "importing", Some(100), Unit::Tasks);
        p.inc(10);
        assert!(!p.is_shown());
        let off = Progress::with(false, "importing", Some(100), Unit::Tasks);
        std::thread::sleep(DELAY);
        off.inc(10);
        assert!(!off.is_shown());
        assert!(off.bar.is_none());
        p.set(1_000);
        assert!(p.is_shown());
        // Never past the total.
        assert_eq!(p.bar.as_ref().unwrap().position(), 100);
    }
}
