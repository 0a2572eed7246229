//! The terminal: raw mode, the alternate screen, bracketed paste, enhanced keys (kitty
//! keyboard protocol and xterm's modifyOtherKeys) and mouse reporting, restored on every way
//! out (normal exit, panic, SIGTERM, SIGHUP), and suspended around `$EDITOR`, the full-screen
//! image and the media player.

use crossterm::event::{
    DisableBracketedPaste, EnableBracketedPaste, KeyboardEnhancementFlags,
    PopKeyboardEnhancementFlags, PushKeyboardEnhancementFlags,
};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{Stdout, Write, stdout};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

static ACTIVE: AtomicBool = AtomicBool::new(false);
static ENHANCED: AtomicBool = AtomicBool::new(false);
static MOUSE: AtomicBool = AtomicBool::new(false);

pub type Term = Terminal<CrosstermBackend<Stdout>>;

/// xterm's modifyOtherKeys level 2: Ctrl+Enter, Ctrl+Space... arrive as `CSI 27;mod;code~`
/// (tmux with `extended-keys on` honours it too).
const MODIFY_OTHER_KEYS_ON: &[u8] = b"\x1b[>4;2m";
/// Off, then back to the terminal's configured default; then a plain SGR reset, in case a
/// terminal that does not know the `>` form read it as a colour change.
const MODIFY_OTHER_KEYS_OFF: &[u8] = b"\x1b[>4;0m\x1b[>4m\x1b[0m";
/// Button presses, drags and the wheel (1000, 1002), reported in SGR form (1006) so that
/// columns past 223 work; no plain motion, which would flood a slow link.
const MOUSE_ON: &[u8] = b"\x1b[?1000h\x1b[?1002h\x1b[?1006h";
const MOUSE_OFF: &[u8] = b"\x1b[?1006l\x1b[?1002l\x1b[?1000l";

/// Puts `text` on the clipboard of the terminal (and of the machine it runs on, over
/// SSH) with OSC 52; tmux passes it on with `set -g set-clipboard on`.
pub fn copy_to_clipboard(text: &str) -> std::io::Result<()> {
    write_raw(&osc52(text))
}

/// The OSC 52 sequence that sets the clipboard to `text`: base64 holds no byte a
/// terminal could read as the end of the sequence or as another sequence.
pub fn osc52(text: &str) -> Vec<u8> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let mut out = Vec::with_capacity(b64.len() + 8);
    out.extend_from_slice(b"\x1b]52;c;");
    out.extend_from_slice(b64.as_bytes());
    out.push(0x07);
    out
}

fn write_raw(bytes: &[u8]) -> std::io::Result<()> {
    let mut out = stdout();
    out.write_all(bytes)?;
    out.flush()
}

fn enter_modes(kitty: bool, mouse: bool) -> std::io::Result<()> {
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    execute!(
        stdout(),
        EnterAlternateScreen,
        cursor::Hide,
        EnableBracketedPaste
    )?;
    if kitty {
        execute!(
            stdout(),
            PushKeyboardEnhancementFlags(KeyboardEnhancementFlags::DISAMBIGUATE_ESCAPE_CODES)
        )?;
        ENHANCED.store(true, Ordering::SeqCst);
    }
    write_raw(MODIFY_OTHER_KEYS_ON)?;
    if mouse {
        MOUSE.store(true, Ordering::SeqCst);
        write_raw(MOUSE_ON)?;
    }
    Ok(())
}

/// Undoes every mode `enter` set, in reverse order. Safe to call more than once, from any
/// thread.
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = stdout();
    if MOUSE.swap(false, Ordering::SeqCst) {
        let _ = write_raw(MOUSE_OFF);
    }
    let _ = write_raw(MODIFY_OTHER_KEYS_OFF);
    if ENHANCED.swap(false, Ordering::SeqCst) {
        let _ = execute!(out, PopKeyboardEnhancementFlags);
    }
    let _ = execute!(
        out,
        DisableBracketedPaste,
        cursor::Show,
        LeaveAlternateScreen
    );
    let _ = disable_raw_mode();
}

/// Restores the terminal when dropped (unless a panic already did, so the message stays).
pub struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

/// Whether Label Studio's modified keys (Ctrl+Enter, Ctrl+Space, Alt+.) can reach us: the
/// kitty protocol says so itself; modifyOtherKeys gives no answer, so trust it where it is
/// spoken (xterm and its kin, tmux, screen).
pub fn label_studio_keys(kitty: bool, modify_other_keys: bool, term: Option<&str>) -> bool {
    if kitty {
        return true;
    }
    let term = term.unwrap_or_default();
    modify_other_keys && ["xterm", "tmux", "screen"].iter().any(|t| term.contains(t))
}

/// Enters the UI: panic hook and signal handlers first, then raw mode, enhanced keys and,
/// when `mouse`, mouse reporting. SIGTERM and SIGHUP call `on_signal`, which must make
/// the loop leave (see [`install_signal_handlers`]). Returns the terminal, the guard, and
/// whether Label Studio's keys are on (see [`label_studio_keys`]).
pub fn enter(
    mouse: bool,
    on_signal: impl Fn() + Send + 'static,
) -> std::io::Result<(Term, Guard, bool)> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
    install_signal_handlers(on_signal);
    let kitty = crossterm::terminal::supports_keyboard_enhancement().unwrap_or(false);
    enter_modes(kitty, mouse)?;
    let mut term = Terminal::new(CrosstermBackend::new(stdout()))?;
    term.clear()?;
    let term_name = std::env::var("TERM").ok();
    let ls_keys = label_studio_keys(kitty, true, term_name.as_deref());
    Ok((term, Guard, ls_keys))
}

/// How long the loop has to leave by itself after SIGTERM or SIGHUP before the process
/// exits anyway (it may be outside the loop, in `$EDITOR`).
pub const SIGNAL_GRACE: Duration = Duration::from_secs(5);

/// SIGTERM and SIGHUP (a dropped SSH connection): `on_signal` tells the loop, which
/// stores held writes, gives up the claim and restores the terminal. Should it not be done
/// within [`SIGNAL_GRACE`], or at a second signal, the terminal is restored here and the
/// process exits; every edit is already in the draft.
fn install_signal_handlers(on_signal: impl Fn() + Send + 'static) {
    use signal_hook::consts::{SIGHUP, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP]) else {
        return;
    };
    std::thread::spawn(move || {
        let mut told = false;
        for sig in signals.forever() {
            if told {
                restore();
                std::process::exit(128 + sig);
            }
            told = true;
            on_signal();
            std::thread::spawn(move || {
                std::thread::sleep(SIGNAL_GRACE);
                restore();
                std::process::exit(128 + sig);
            });
        }
    });
}

/// Runs `f` with the terminal in its normal state, then takes the UI back (with the same
/// modes) and repaints.
pub fn suspended<T>(term: &mut Term, f: impl FnOnce() -> T) -> std::io::Result<T> {
    let kitty = ENHANCED.load(Ordering::SeqCst);
    let mouse = MOUSE.load(Ordering::SeqCst);
    restore();
    let out = f();
    enter_modes(kitty, mouse)?;
    term.clear()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_studio_keys_with_kitty_anywhere() {
        assert!(label_studio_keys(true, false, None));
        assert!(label_studio_keys(true, true, Some("linux")));
    }

    #[test]
    fn label_studio_keys_with_modify_other_keys_on_xterm_like_terminals() {
        for term in [
            "xterm-256color",
            "tmux-256color",
            "screen-256color",
            "xterm",
        ] {
            assert!(label_studio_keys(false, true, Some(term)), "{term}");
        }
        for term in [Some("linux"), Some("dumb"), Some("vt100"), None] {
            assert!(!label_studio_keys(false, true, term), "{term:?}");
        }
        assert!(!label_studio_keys(false, false, Some("xterm-256color")));
    }

    #[test]
    fn leave_sequences_undo_enter_sequences() {
        // Each mode the mouse turns on is turned off, innermost (last set) first.
        let on: Vec<&str> = std::str::from_utf8(MOUSE_ON)
            .unwrap()
            .split('\x1b')
            .filter(|s| !s.is_empty())
            .collect();
        let off: Vec<String> = std::str::from_utf8(MOUSE_OFF)
            .unwrap()
            .split('\x1b')
            .filter(|s| !s.is_empty())
            .map(|s| s.replace('l', "h"))
            .collect();
        let reversed: Vec<String> = on.iter().rev().map(|s| s.to_string()).collect();
        assert_eq!(off, reversed);
        assert!(MODIFY_OTHER_KEYS_OFF.starts_with(b"\x1b[>4;0m"));
    }
}
