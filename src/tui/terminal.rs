//! The terminal: raw mode and the alternate screen, restored on every way out (normal exit,
//! panic, SIGTERM, SIGHUP), and suspended around `$EDITOR`, the full-screen image and the
//! media player.

use crossterm::event::{
    KeyboardEnhancementFlags, PopKeyboardEnhancementFlags, PushKeyboardEnhancementFlags,
};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{Stdout, stdout};
use std::sync::atomic::{AtomicBool, Ordering};

static ACTIVE: AtomicBool = AtomicBool::new(false);
static ENHANCED: AtomicBool = AtomicBool::new(false);

pub type Term = Terminal<CrosstermBackend<Stdout>>;

fn enter_modes(enhance: bool) -> std::io::Result<()> {
    enable_raw_mode()?;
    execute!(stdout(), EnterAlternateScreen, cursor::Hide)?;
    if enhance {
        execute!(
            stdout(),
            PushKeyboardEnhancementFlags(KeyboardEnhancementFlags::DISAMBIGUATE_ESCAPE_CODES)
        )?;
        ENHANCED.store(true, Ordering::SeqCst);
    }
    ACTIVE.store(true, Ordering::SeqCst);
    Ok(())
}

/// Leaves raw mode and the alternate screen. Safe to call more than once, from any thread.
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = stdout();
    if ENHANCED.swap(false, Ordering::SeqCst) {
        let _ = execute!(out, PopKeyboardEnhancementFlags);
    }
    let _ = execute!(out, LeaveAlternateScreen, cursor::Show);
    let _ = disable_raw_mode();
}

/// Restores the terminal when dropped (unless a panic already did, so the message stays).
pub struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

/// Enters the UI: panic hook and signal handlers first, then raw mode. Returns the
/// terminal, the guard, and whether the kitty keyboard protocol is on.
pub fn enter() -> std::io::Result<(Term, Guard, bool)> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
    install_signal_handlers();
    let enhance = crossterm::terminal::supports_keyboard_enhancement().unwrap_or(false);
    enter_modes(enhance)?;
    let mut term = Terminal::new(CrosstermBackend::new(stdout()))?;
    term.clear()?;
    Ok((term, Guard, enhance))
}

/// SIGTERM and SIGHUP (a dropped SSH connection) restore the terminal and exit; every
/// change is already in SQLite.
fn install_signal_handlers() {
    use signal_hook::consts::{SIGHUP, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            restore();
            std::process::exit(128 + sig);
        }
    });
}

/// Runs `f` with the terminal in its normal state, then takes the UI back and repaints.
pub fn suspended<T>(term: &mut Term, f: impl FnOnce() -> T) -> std::io::Result<T> {
    let enhance = ENHANCED.load(Ordering::SeqCst);
    restore();
    let out = f();
    enter_modes(enhance)?;
    term.clear()?;
    Ok(out)
}
