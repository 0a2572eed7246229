//! Terminal input: a pure decoder from the bytes a terminal sends to crossterm `Event`s, and a
//! reader thread that feeds it from the tty.
//!
//! crossterm's own parser drops xterm's modifyOtherKeys form (`CSI 27 ; mod ; code ~`), which
//! is how xterm and tmux report Ctrl+Enter, Ctrl+Space and friends; this decoder reads it, the
//! CSI-u/kitty form, the legacy forms, SGR mouse and bracketed paste.

use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers, MediaKeyCode,
    ModifierKeyCode, MouseButton, MouseEvent, MouseEventKind,
};
use std::fs::File;
use std::io::{IsTerminal, Read};
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long a lone ESC (or any unfinished sequence) waits for the rest before it counts as
/// typed: sequences arrive in one write, so silence this long means a key press.
pub const ESC_TIMEOUT: Duration = Duration::from_millis(50);
/// How long a bracketed paste may stall before what has arrived is delivered.
pub const PASTE_TIMEOUT: Duration = Duration::from_millis(1000);
/// Escape sequences longer than this are garbage and dropped rather than waited on.
const MAX_SEQUENCE: usize = 256;
/// Terminal replies (OSC, DCS, APC strings) longer than this are dropped.
const MAX_STRING: usize = 64 * 1024;
const PASTE_END: &[u8] = b"\x1b[201~";

/// Decodes terminal input. Feed it bytes as they arrive; call [`Decoder::timeout`] when
/// [`Decoder::pending_timeout`] has passed with no new bytes.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
    /// Inside a bracketed paste: the bytes so far.
    paste: Option<Vec<u8>>,
}

/// What the bytes at the front of the buffer are.
#[derive(Debug, PartialEq)]
enum Step {
    /// More bytes are needed to decide.
    Incomplete,
    /// The first `n` bytes make this event, or nothing (replies, garbage).
    Done(usize, Option<Event>),
    /// The first `n` bytes open a bracketed paste.
    PasteStart(usize),
}

impl Decoder {
    pub fn new() -> Decoder {
        Decoder::default()
    }

    /// Decodes what `bytes` complete; an unfinished sequence waits for the next call.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Event> {
        self.buf.extend_from_slice(bytes);
        let mut out = Vec::new();
        self.run(false, &mut out);
        out
    }

    /// No more bytes came in time: a pending ESC is the Esc key, an unfinished sequence is
    /// resolved or dropped, a stalled paste is delivered as it is.
    pub fn timeout(&mut self) -> Vec<Event> {
        let mut out = Vec::new();
        self.run(true, &mut out);
        out
    }

    /// How long to wait for more bytes before calling [`Decoder::timeout`]; `None` when
    /// nothing is pending.
    pub fn pending_timeout(&self) -> Option<Duration> {
        if self.paste.is_some() {
            Some(PASTE_TIMEOUT)
        } else if self.buf.is_empty() {
            None
        } else {
            Some(ESC_TIMEOUT)
        }
    }

    fn run(&mut self, eof: bool, out: &mut Vec<Event>) {
        let mut pos = 0;
        loop {
            if let Some(paste) = &mut self.paste {
                // The end marker may straddle two reads: search from just before the new bytes.
                let from = paste.len().saturating_sub(PASTE_END.len() - 1);
                paste.extend_from_slice(&self.buf[pos..]);
                pos = self.buf.len();
                if let Some(i) = find(&paste[from..], PASTE_END) {
                    let end = from + i;
                    let rest = paste.split_off(end + PASTE_END.len());
                    paste.truncate(end);
                    out.push(Event::Paste(String::from_utf8_lossy(paste).into_owned()));
                    self.paste = None;
                    self.buf = rest;
                    pos = 0;
                    continue;
                }
                if eof {
                    out.push(Event::Paste(String::from_utf8_lossy(paste).into_owned()));
                    self.paste = None;
                }
                break;
            }
            if pos >= self.buf.len() {
                break;
            }
            match step(&self.buf[pos..], eof) {
                Step::Incomplete if eof => pos += 1, // every parser resolves at eof; never stall
                Step::Incomplete => break,
                Step::Done(n, ev) => {
                    pos += n.max(1);
                    out.extend(ev);
                }
                Step::PasteStart(n) => {
                    pos += n;
                    self.paste = Some(Vec::new());
                }
            }
        }
        self.buf.drain(..pos.min(self.buf.len()));
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn key(code: KeyCode, modifiers: KeyModifiers) -> Event {
    Event::Key(KeyEvent::new(code, modifiers))
}

/// A typed character; an uppercase letter carries SHIFT, as crossterm reports it.
fn char_key(c: char) -> Event {
    let m = if c.is_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    key(KeyCode::Char(c), m)
}

/// A C0 control byte or DEL.
fn control(c: u8) -> Event {
    match c {
        b'\r' => key(KeyCode::Enter, KeyModifiers::NONE),
        b'\t' => key(KeyCode::Tab, KeyModifiers::NONE),
        // 0x08 is Backspace on terminals set to send ^H; treating it as Ctrl+Backspace would
        // turn a plain Backspace there into "delete all regions".
        0x7f | 0x08 => key(KeyCode::Backspace, KeyModifiers::NONE),
        0x1b => key(KeyCode::Esc, KeyModifiers::NONE),
        0 => key(KeyCode::Char(' '), KeyModifiers::CONTROL),
        c @ 1..=26 => key(KeyCode::Char((b'a' + c - 1) as char), KeyModifiers::CONTROL),
        // Ctrl+\ ] ^ _ are also Ctrl+4..7 on xterm-like keyboards; crossterm names them so.
        c => key(
            KeyCode::Char((b'4' + (c - 0x1c)) as char),
            KeyModifiers::CONTROL,
        ),
    }
}

fn step(b: &[u8], eof: bool) -> Step {
    match b[0] {
        0x1b => escape(b, eof),
        c if c < 0x20 || c == 0x7f => Step::Done(1, Some(control(c))),
        c if c < 0x80 => Step::Done(1, Some(char_key(c as char))),
        _ => utf8(b, eof),
    }
}

fn utf8(b: &[u8], eof: bool) -> Step {
    let need = match b[0] {
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return Step::Done(1, None),
    };
    let have = b.len().min(need);
    if b[1..have].iter().any(|&c| c & 0xc0 != 0x80) {
        return Step::Done(1, None);
    }
    if have < need {
        return if eof {
            Step::Done(have, None)
        } else {
            Step::Incomplete
        };
    }
    match std::str::from_utf8(&b[..need]) {
        Ok(s) => Step::Done(need, s.chars().next().map(char_key)),
        Err(_) => Step::Done(1, None),
    }
}

fn with_alt(ev: Event) -> Event {
    match ev {
        Event::Key(mut k) => {
            k.modifiers |= KeyModifiers::ALT;
            Event::Key(k)
        }
        other => other,
    }
}

fn escape(b: &[u8], eof: bool) -> Step {
    let esc = || Some(key(KeyCode::Esc, KeyModifiers::NONE));
    if b.len() == 1 {
        return if eof {
            Step::Done(1, esc())
        } else {
            Step::Incomplete
        };
    }
    match b[1] {
        b'[' => csi(b, eof),
        b'O' => ss3(b, eof),
        // Esc pressed twice: the first is a key, the second starts over.
        0x1b => Step::Done(1, esc()),
        b']' | b'P' | b'_' | b'^' | b'X' => string(b, eof),
        _ => match step(&b[1..], eof) {
            Step::Incomplete => Step::Incomplete,
            Step::Done(n, Some(ev @ Event::Key(_))) => Step::Done(n + 1, Some(with_alt(ev))),
            _ => Step::Done(1, esc()),
        },
    }
}

/// OSC, DCS, APC, PM and SOS strings: terminal replies, never keys. Alone, `ESC P` is Alt+P.
fn string(b: &[u8], eof: bool) -> Step {
    let osc = b[1] == b']';
    let mut i = 2;
    while i < b.len() {
        match b[i] {
            0x07 if osc => return Step::Done(i + 1, None),
            0x1b => {
                return match b.get(i + 1) {
                    Some(b'\\') => Step::Done(i + 2, None),
                    Some(_) => Step::Done(i, None), // cancelled by a new sequence
                    None if eof => Step::Done(i + 1, None),
                    None => Step::Incomplete,
                };
            }
            _ => i += 1,
        }
    }
    if b.len() == 2 && eof {
        return Step::Done(2, Some(with_alt(char_key(b[1] as char))));
    }
    if eof || b.len() > MAX_STRING {
        Step::Done(b.len(), None)
    } else {
        Step::Incomplete
    }
}

/// `ESC O x`: cursor and F1-F4 keys in application mode, the keypad.
fn ss3(b: &[u8], eof: bool) -> Step {
    let alt_o = || Some(with_alt(char_key('O')));
    let mut i = 2;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b';') {
        i += 1;
    }
    let Some(&fin) = b.get(i) else {
        return if eof {
            if b.len() == 2 {
                Step::Done(2, alt_o())
            } else {
                Step::Done(b.len(), None)
            }
        } else if b.len() > MAX_SEQUENCE {
            Step::Done(b.len(), None)
        } else {
            Step::Incomplete
        };
    };
    if !(0x40..=0x7e).contains(&fin) {
        return Step::Done(2, alt_o());
    }
    let mods = std::str::from_utf8(&b[2..i])
        .ok()
        .and_then(|s| s.rsplit(';').next())
        .and_then(|s| s.parse::<u32>().ok())
        .unwrap_or(1);
    let (modifiers, _) = modifiers(mods);
    let code = match fin {
        b'A' => KeyCode::Up,
        b'B' => KeyCode::Down,
        b'C' => KeyCode::Right,
        b'D' => KeyCode::Left,
        b'H' => KeyCode::Home,
        b'F' => KeyCode::End,
        b'E' => KeyCode::KeypadBegin,
        b'P'..=b'S' => KeyCode::F(1 + fin - b'P'),
        b'M' => KeyCode::Enter,
        b'X' => KeyCode::Char('='),
        b'j' => KeyCode::Char('*'),
        b'k' => KeyCode::Char('+'),
        b'l' => KeyCode::Char(','),
        b'm' => KeyCode::Char('-'),
        b'n' => KeyCode::Char('.'),
        b'o' => KeyCode::Char('/'),
        b'p'..=b'y' => KeyCode::Char((b'0' + fin - b'p') as char),
        _ => return Step::Done(i + 1, None),
    };
    Step::Done(i + 1, Some(key(code, modifiers)))
}

fn csi(b: &[u8], eof: bool) -> Step {
    if b.len() == 2 {
        return if eof {
            Step::Done(2, Some(with_alt(char_key('['))))
        } else {
            Step::Incomplete
        };
    }
    if b[2] == b'M' {
        return x10_mouse(b, eof);
    }
    let mut i = 2;
    while i < b.len() {
        let c = b[i];
        match c {
            0x40..=0x7e => {
                let params = &b[2..i];
                if params == b"200" && c == b'~' {
                    return Step::PasteStart(i + 1);
                }
                return Step::Done(i + 1, csi_event(params, c));
            }
            0x20..=0x3f => i += 1,
            // Not part of a CSI: drop what came before and read this byte afresh.
            _ => return Step::Done(i, None),
        }
        if i > MAX_SEQUENCE {
            // Garbage: skip the rest of its parameters and its final byte when present.
            while i < b.len() && (0x20..=0x3f).contains(&b[i]) {
                i += 1;
            }
            if i < b.len() && (0x40..=0x7e).contains(&b[i]) {
                i += 1;
            }
            return Step::Done(i, None);
        }
    }
    if eof {
        Step::Done(b.len(), None)
    } else {
        Step::Incomplete
    }
}

/// Numeric parameters: `;`-separated fields of `:`-separated numbers; empty is `None`.
fn params(p: &[u8]) -> Option<Vec<Vec<Option<u32>>>> {
    let s = std::str::from_utf8(p).ok()?;
    s.split(';')
        .map(|field| {
            field
                .split(':')
                .map(|n| {
                    if n.is_empty() {
                        Ok(None)
                    } else {
                        n.parse::<u32>().map(Some)
                    }
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<Vec<_>, _>>()
        .ok()
}

fn param(p: &[Vec<Option<u32>>], field: usize, sub: usize) -> Option<u32> {
    p.get(field)?.get(sub).copied().flatten()
}

/// The xterm modifier parameter (1 + bits) and the lock state kitty adds to it.
fn modifiers(m: u32) -> (KeyModifiers, KeyEventState) {
    let bits = m.saturating_sub(1);
    let mut mods = KeyModifiers::NONE;
    for (bit, flag) in [
        (1, KeyModifiers::SHIFT),
        (2, KeyModifiers::ALT),
        (4, KeyModifiers::CONTROL),
        (8, KeyModifiers::SUPER),
        (16, KeyModifiers::HYPER),
        (32, KeyModifiers::META),
    ] {
        if bits & bit != 0 {
            mods |= flag;
        }
    }
    let mut state = KeyEventState::NONE;
    if bits & 64 != 0 {
        state |= KeyEventState::CAPS_LOCK;
    }
    if bits & 128 != 0 {
        state |= KeyEventState::NUM_LOCK;
    }
    (mods, state)
}

fn kind(k: Option<u32>) -> KeyEventKind {
    match k {
        Some(2) => KeyEventKind::Repeat,
        Some(3) => KeyEventKind::Release,
        _ => KeyEventKind::Press,
    }
}

fn full_key(code: KeyCode, mods: KeyModifiers, k: KeyEventKind, state: KeyEventState) -> Event {
    Event::Key(KeyEvent::new_with_kind_and_state(code, mods, k, state))
}

fn csi_event(p: &[u8], fin: u8) -> Option<Event> {
    match p.first() {
        Some(b'<') => return sgr_mouse(&p[1..], fin),
        // Replies to queries (`CSI ? flags u`, device attributes): not input.
        Some(b'?' | b'>' | b'=') => return None,
        _ => {}
    }
    if p.iter().any(|&c| (0x20..=0x2f).contains(&c)) {
        return None;
    }
    let ps = params(p)?;
    let (mods, state) = modifiers(param(&ps, 1, 0).unwrap_or(1));
    let ev_kind = kind(param(&ps, 1, 1));
    let code = match fin {
        b'A' => KeyCode::Up,
        b'B' => KeyCode::Down,
        b'C' => KeyCode::Right,
        b'D' => KeyCode::Left,
        b'H' => KeyCode::Home,
        b'F' => KeyCode::End,
        b'E' => KeyCode::KeypadBegin,
        b'P' => KeyCode::F(1),
        b'Q' => KeyCode::F(2),
        // Also a cursor position report, but nothing here asks for one.
        b'R' => KeyCode::F(3),
        b'S' => KeyCode::F(4),
        b'Z' => {
            return Some(full_key(
                KeyCode::BackTab,
                mods | KeyModifiers::SHIFT,
                ev_kind,
                state,
            ));
        }
        b'I' if p.is_empty() => return Some(Event::FocusGained),
        b'O' if p.is_empty() => return Some(Event::FocusLost),
        b'u' => return csi_u(&ps),
        b'~' => return tilde(&ps),
        b'M' => return urxvt_mouse(&ps),
        _ => return None,
    };
    Some(full_key(code, mods, ev_kind, state))
}

/// `CSI n ; mod ~`: editing and function keys, and xterm's modifyOtherKeys
/// `CSI 27 ; mod ; code ~`.
fn tilde(ps: &[Vec<Option<u32>>]) -> Option<Event> {
    let first = param(ps, 0, 0)?;
    if first == 27 {
        let (mods, state) = modifiers(param(ps, 1, 0).unwrap_or(1));
        return codepoint_event(param(ps, 2, 0)?, mods, KeyEventKind::Press, state, None);
    }
    let (mods, state) = modifiers(param(ps, 1, 0).unwrap_or(1));
    let code = match first {
        1 | 7 => KeyCode::Home,
        2 => KeyCode::Insert,
        3 => KeyCode::Delete,
        4 | 8 => KeyCode::End,
        5 => KeyCode::PageUp,
        6 => KeyCode::PageDown,
        v @ 11..=15 => KeyCode::F((v - 10) as u8),
        v @ 17..=21 => KeyCode::F((v - 11) as u8),
        v @ 23..=26 => KeyCode::F((v - 12) as u8),
        v @ 28..=29 => KeyCode::F((v - 15) as u8),
        v @ 31..=34 => KeyCode::F((v - 17) as u8),
        57427 => KeyCode::KeypadBegin,
        _ => return None,
    };
    Some(full_key(code, mods, kind(param(ps, 1, 1)), state))
}

/// `CSI code[:shifted[:base]] ; mod[:event] ; text u`: kitty and fixterms (tmux's csi-u).
fn csi_u(ps: &[Vec<Option<u32>>]) -> Option<Event> {
    let code = param(ps, 0, 0)?;
    let (mut mods, state) = modifiers(param(ps, 1, 0).unwrap_or(1));
    let shifted = if mods.contains(KeyModifiers::SHIFT) {
        param(ps, 0, 1).and_then(char::from_u32)
    } else {
        None
    };
    // Associated text, when the terminal reports it, is what the key typed.
    let text = ps
        .get(2)
        .and_then(|t| t.first().copied().flatten())
        .and_then(char::from_u32)
        .filter(|c| !c.is_control());
    if let Some(m) = modifier_key(code) {
        mods |= m;
    }
    codepoint_event(code, mods, kind(param(ps, 1, 1)), state, text.or(shifted))
}

fn modifier_key(code: u32) -> Option<KeyModifiers> {
    Some(match code {
        57441 | 57447 => KeyModifiers::SHIFT,
        57442 | 57448 => KeyModifiers::CONTROL,
        57443 | 57449 => KeyModifiers::ALT,
        57444 | 57450 => KeyModifiers::SUPER,
        57445 | 57451 => KeyModifiers::HYPER,
        57446 | 57452 => KeyModifiers::META,
        _ => return None,
    })
}

/// A key named by its Unicode code point (or kitty's private-use numbers for keys without
/// one).
fn codepoint_event(
    code: u32,
    mut mods: KeyModifiers,
    k: KeyEventKind,
    mut state: KeyEventState,
    typed: Option<char>,
) -> Option<Event> {
    let key_code = match code {
        13 => KeyCode::Enter,
        9 if mods.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
        9 => KeyCode::Tab,
        27 => KeyCode::Esc,
        8 | 127 => KeyCode::Backspace,
        57344.. => {
            let (c, keypad) = functional_key(code)?;
            if keypad {
                state |= KeyEventState::KEYPAD;
            }
            c
        }
        c => {
            let c = char::from_u32(c).filter(|c| !c.is_control())?;
            let c = typed.unwrap_or(c);
            // Shift is in the character when it has a shifted form, as in legacy input.
            if mods.contains(KeyModifiers::SHIFT) && c.is_ascii_lowercase() {
                KeyCode::Char(c.to_ascii_uppercase())
            } else {
                if c.is_uppercase() {
                    mods |= KeyModifiers::SHIFT;
                }
                KeyCode::Char(c)
            }
        }
    };
    Some(full_key(key_code, mods, k, state))
}

/// kitty's numbers for keys that have no code point; `true` for keypad keys.
fn functional_key(code: u32) -> Option<(KeyCode, bool)> {
    let keypad = |c: KeyCode| Some((c, true));
    match code {
        57358 => Some((KeyCode::CapsLock, false)),
        57359 => Some((KeyCode::ScrollLock, false)),
        57360 => Some((KeyCode::NumLock, false)),
        57361 => Some((KeyCode::PrintScreen, false)),
        57362 => Some((KeyCode::Pause, false)),
        57363 => Some((KeyCode::Menu, false)),
        v @ 57376..=57398 => Some((KeyCode::F((v - 57376 + 13) as u8), false)),
        v @ 57399..=57408 => keypad(KeyCode::Char(char::from(b'0' + (v - 57399) as u8))),
        57409 => keypad(KeyCode::Char('.')),
        57410 => keypad(KeyCode::Char('/')),
        57411 => keypad(KeyCode::Char('*')),
        57412 => keypad(KeyCode::Char('-')),
        57413 => keypad(KeyCode::Char('+')),
        57414 => keypad(KeyCode::Enter),
        57415 => keypad(KeyCode::Char('=')),
        57416 => keypad(KeyCode::Char(',')),
        57417 => keypad(KeyCode::Left),
        57418 => keypad(KeyCode::Right),
        57419 => keypad(KeyCode::Up),
        57420 => keypad(KeyCode::Down),
        57421 => keypad(KeyCode::PageUp),
        57422 => keypad(KeyCode::PageDown),
        57423 => keypad(KeyCode::Home),
        57424 => keypad(KeyCode::End),
        57425 => keypad(KeyCode::Insert),
        57426 => keypad(KeyCode::Delete),
        57427 => keypad(KeyCode::KeypadBegin),
        v @ 57428..=57440 => {
            use MediaKeyCode as M;
            let media = [
                M::Play,
                M::Pause,
                M::PlayPause,
                M::Reverse,
                M::Stop,
                M::FastForward,
                M::Rewind,
                M::TrackNext,
                M::TrackPrevious,
                M::Record,
                M::LowerVolume,
                M::RaiseVolume,
                M::MuteVolume,
            ];
            Some((KeyCode::Media(media[(v - 57428) as usize]), false))
        }
        v @ 57441..=57454 => {
            use ModifierKeyCode as K;
            let keys = [
                K::LeftShift,
                K::LeftControl,
                K::LeftAlt,
                K::LeftSuper,
                K::LeftHyper,
                K::LeftMeta,
                K::RightShift,
                K::RightControl,
                K::RightAlt,
                K::RightSuper,
                K::RightHyper,
                K::RightMeta,
                K::IsoLevel3Shift,
                K::IsoLevel5Shift,
            ];
            Some((KeyCode::Modifier(keys[(v - 57441) as usize]), false))
        }
        _ => None,
    }
}

/// The button byte of every mouse encoding: button number, modifiers, motion.
fn mouse_event(cb: u32, x: u32, y: u32, release: bool) -> Option<Event> {
    let button = (cb & 0b11) | ((cb & 0b1100_0000) >> 4);
    let motion = cb & 0b10_0000 != 0;
    let mut modifiers = KeyModifiers::NONE;
    if cb & 4 != 0 {
        modifiers |= KeyModifiers::SHIFT;
    }
    if cb & 8 != 0 {
        modifiers |= KeyModifiers::ALT;
    }
    if cb & 16 != 0 {
        modifiers |= KeyModifiers::CONTROL;
    }
    let b = |n| match n {
        0 => MouseButton::Left,
        1 => MouseButton::Middle,
        _ => MouseButton::Right,
    };
    let kind = match (button, motion, release) {
        (0..=2, false, false) => MouseEventKind::Down(b(button)),
        (0..=2, false, true) => MouseEventKind::Up(b(button)),
        (0..=2, true, _) => MouseEventKind::Drag(b(button)),
        (3, true, _) => MouseEventKind::Moved,
        // The legacy encodings release with button 3 and do not say which one.
        (3, false, _) => MouseEventKind::Up(MouseButton::Left),
        (4, false, false) => MouseEventKind::ScrollUp,
        (5, false, false) => MouseEventKind::ScrollDown,
        (6, false, false) => MouseEventKind::ScrollLeft,
        (7, false, false) => MouseEventKind::ScrollRight,
        _ => return None,
    };
    let cell = |v: u32| u16::try_from(v.saturating_sub(1)).unwrap_or(u16::MAX);
    Some(Event::Mouse(MouseEvent {
        kind,
        column: cell(x),
        row: cell(y),
        modifiers,
    }))
}

/// `CSI < b ; x ; y M` (press, drag, wheel) or `m` (release); 1-based cells.
fn sgr_mouse(p: &[u8], fin: u8) -> Option<Event> {
    if fin != b'M' && fin != b'm' {
        return None;
    }
    let ps = params(p)?;
    mouse_event(
        param(&ps, 0, 0)?,
        param(&ps, 1, 0)?,
        param(&ps, 2, 0)?,
        fin == b'm',
    )
}

/// urxvt's `CSI b ; x ; y M` (button byte offset by 32).
fn urxvt_mouse(ps: &[Vec<Option<u32>>]) -> Option<Event> {
    let cb = param(ps, 0, 0)?.checked_sub(32)?;
    mouse_event(cb, param(ps, 1, 0)?, param(ps, 2, 0)?, false)
}

/// X10 `CSI M b x y`, each byte offset by 32: what a terminal without SGR mode sends.
fn x10_mouse(b: &[u8], eof: bool) -> Step {
    if b.len() < 6 {
        return if eof {
            Step::Done(b.len(), None)
        } else {
            Step::Incomplete
        };
    }
    let v = |i: usize| u32::from(b[i].saturating_sub(32));
    Step::Done(6, mouse_event(v(3), v(4), v(5), false))
}

/// How often the reader looks at the pause flag while the terminal is quiet.
const IDLE_POLL: Duration = Duration::from_millis(50);

/// Starts the thread that reads the terminal (stdin when it is a tty, else `/dev/tty`),
/// decodes it and hands each event to `sink`, plus `Event::Resize` on SIGWINCH. The thread
/// ends when `sink` returns `false` or the terminal closes.
///
/// While `paused` is set the thread does not read, so another program can own the terminal;
/// it sets `idle` once it has stopped reading.
pub fn spawn_reader<F>(
    sink: F,
    paused: Arc<AtomicBool>,
    idle: Arc<AtomicBool>,
) -> std::io::Result<std::thread::JoinHandle<()>>
where
    F: FnMut(Event) -> bool + Send + 'static,
{
    let tty = open_tty()?;
    spawn_reader_on(tty, sink, paused, idle)
}

fn open_tty() -> std::io::Result<File> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        // A duplicate of fd 0, read without std's buffering so `poll` sees every byte.
        Ok(File::from(stdin.as_fd().try_clone_to_owned()?))
    } else {
        File::open("/dev/tty")
    }
}

/// The reader loop on any readable file (a tty in use; a socket in tests).
fn spawn_reader_on<F>(
    mut tty: File,
    mut sink: F,
    paused: Arc<AtomicBool>,
    idle: Arc<AtomicBool>,
) -> std::io::Result<std::thread::JoinHandle<()>>
where
    F: FnMut(Event) -> bool + Send + 'static,
{
    use signal_hook::consts::SIGWINCH;
    // SIGWINCH writes a byte to this socket, so one poll waits for input and resizes.
    let (mut winch, winch_write) = UnixStream::pair()?;
    winch.set_nonblocking(true)?;
    let winch_id = signal_hook::low_level::pipe::register(SIGWINCH, winch_write)?;
    let handle = std::thread::spawn(move || {
        let mut decoder = Decoder::new();
        let mut last_input = Instant::now();
        let mut buf = [0u8; 8192];
        loop {
            if paused.load(Ordering::SeqCst) {
                if decoder.pending_timeout().is_some() && !deliver(decoder.timeout(), &mut sink) {
                    break;
                }
                idle.store(true, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
            idle.store(false, Ordering::SeqCst);
            // Checked again after clearing `idle`, so a pause never sees a stale idle flag.
            if paused.load(Ordering::SeqCst) {
                continue;
            }
            let wait = decoder
                .pending_timeout()
                .map_or(IDLE_POLL, |t| t.saturating_sub(last_input.elapsed()))
                .min(IDLE_POLL);
            let Ok([input, resized]) = wait_readable([tty.as_raw_fd(), winch.as_raw_fd()], wait)
            else {
                break;
            };
            if resized {
                let mut drain = [0u8; 64];
                while matches!(winch.read(&mut drain), Ok(n) if n > 0) {}
                if let Ok((w, h)) = crossterm::terminal::size()
                    && !sink(Event::Resize(w, h))
                {
                    break;
                }
            }
            if input {
                match tty.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        last_input = Instant::now();
                        if !deliver(decoder.feed(&buf[..n]), &mut sink) {
                            break;
                        }
                    }
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::Interrupted | std::io::ErrorKind::WouldBlock
                        ) => {}
                    Err(_) => break,
                }
            }
            if let Some(t) = decoder.pending_timeout()
                && last_input.elapsed() >= t
                && !deliver(decoder.timeout(), &mut sink)
            {
                break;
            }
        }
        signal_hook::low_level::unregister(winch_id);
        idle.store(true, Ordering::SeqCst);
    });
    Ok(handle)
}

/// Hands events to the sink in order; `false` once it wants no more.
fn deliver<F: FnMut(Event) -> bool>(events: Vec<Event>, sink: &mut F) -> bool {
    events.into_iter().all(sink)
}

/// Waits until one of two descriptors is readable (or closed), or `timeout` passes.
fn wait_readable(fds: [RawFd; 2], timeout: Duration) -> std::io::Result<[bool; 2]> {
    let mut pfds = fds.map(|fd| libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    });
    // Round up, so a wait of a fraction of a millisecond does not spin.
    let ms = timeout.as_micros().div_ceil(1000).min(i32::MAX as u128) as libc::c_int;
    // SAFETY: `pfds` is a live array of two pollfd structs for the whole call.
    let r = unsafe { libc::poll(pfds.as_mut_ptr(), 2, ms) };
    if r < 0 {
        let e = std::io::Error::last_os_error();
        return if e.kind() == std::io::ErrorKind::Interrupted {
            Ok([false, false])
        } else {
            Err(e)
        };
    }
    Ok(pfds.map(|p| p.revents != 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reader on the far end of a pseudo-terminal whose near end is closed, as after
    /// a hangup: reads fail (EIO) and the thread must end, not spin.
    #[test]
    fn the_reader_ends_when_its_terminal_hangs_up() {
        use std::ffi::CStr;
        use std::os::fd::FromRawFd;
        // SAFETY: plain libc calls on descriptors this test owns; ptsname_r writes at most
        // the buffer's length.
        let (master, slave) = unsafe {
            let m = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
            assert!(m >= 0);
            assert_eq!(libc::grantpt(m), 0);
            assert_eq!(libc::unlockpt(m), 0);
            let mut name = [0 as libc::c_char; 128];
            assert_eq!(libc::ptsname_r(m, name.as_mut_ptr(), name.len()), 0);
            let path = CStr::from_ptr(name.as_ptr()).to_owned();
            let s = libc::open(path.as_ptr(), libc::O_RDWR | libc::O_NOCTTY);
            assert!(s >= 0);
            (File::from_raw_fd(m), File::from_raw_fd(s))
        };
        let (tx, rx) = std::sync::mpsc::channel();
        let handle = spawn_reader_on(
            slave,
            move |ev| tx.send(ev).is_ok(),
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicBool::new(false)),
        )
        .unwrap();
        let mut m = master;
        std::io::Write::write_all(&mut m, b"x\n").unwrap();
        let ev = rx.recv_timeout(Duration::from_secs(2)).unwrap();
        assert_eq!(ev, key(KeyCode::Char('x'), KeyModifiers::NONE));
        drop(m);
        let t = Instant::now();
        while !handle.is_finished() {
            assert!(t.elapsed() < Duration::from_secs(2), "the reader goes on");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn feed(bytes: &[u8]) -> Vec<Event> {
        let mut d = Decoder::new();
        let mut out = d.feed(bytes);
        out.extend(d.timeout());
        out
    }

    fn k(code: KeyCode, m: KeyModifiers) -> Event {
        key(code, m)
    }

    fn one(bytes: &[u8]) -> Event {
        let evs = feed(bytes);
        assert_eq!(evs.len(), 1, "{bytes:?} gave {evs:?}");
        evs.into_iter().next().unwrap()
    }

    const C: KeyModifiers = KeyModifiers::CONTROL;
    const A: KeyModifiers = KeyModifiers::ALT;
    const S: KeyModifiers = KeyModifiers::SHIFT;
    const N: KeyModifiers = KeyModifiers::NONE;

    #[test]
    fn utf8_text_is_characters() {
        assert_eq!(
            feed("aZé漢🙂".as_bytes()),
            vec![
                k(KeyCode::Char('a'), N),
                k(KeyCode::Char('Z'), S),
                k(KeyCode::Char('é'), N),
                k(KeyCode::Char('漢'), N),
                k(KeyCode::Char('🙂'), N),
            ]
        );
    }

    #[test]
    fn utf8_split_across_reads_waits() {
        let mut d = Decoder::new();
        let bytes = "漢".as_bytes();
        assert!(d.feed(&bytes[..1]).is_empty());
        assert!(d.feed(&bytes[1..2]).is_empty());
        assert_eq!(d.feed(&bytes[2..]), vec![k(KeyCode::Char('漢'), N)]);
        assert_eq!(d.pending_timeout(), None);
    }

    #[test]
    fn c0_controls() {
        assert_eq!(one(b"\x01"), k(KeyCode::Char('a'), C));
        assert_eq!(one(b"\x1a"), k(KeyCode::Char('z'), C));
        assert_eq!(one(b"\t"), k(KeyCode::Tab, N));
        assert_eq!(one(b"\r"), k(KeyCode::Enter, N));
        assert_eq!(one(b"\x7f"), k(KeyCode::Backspace, N));
        assert_eq!(one(b"\x08"), k(KeyCode::Backspace, N));
        assert_eq!(one(b"\x00"), k(KeyCode::Char(' '), C));
        assert_eq!(one(b"\x1c"), k(KeyCode::Char('4'), C));
    }

    #[test]
    fn lone_esc_is_esc_only_after_timeout() {
        let mut d = Decoder::new();
        assert!(d.feed(b"\x1b").is_empty());
        assert_eq!(d.pending_timeout(), Some(ESC_TIMEOUT));
        assert_eq!(d.timeout(), vec![k(KeyCode::Esc, N)]);
        assert_eq!(d.pending_timeout(), None);
        assert_eq!(feed(b"\x1b\x1b"), vec![k(KeyCode::Esc, N); 2]);
    }

    #[test]
    fn esc_prefix_is_alt() {
        assert_eq!(one(b"\x1b."), k(KeyCode::Char('.'), A));
        assert_eq!(one(b"\x1bx"), k(KeyCode::Char('x'), A));
        assert_eq!(one(b"\x1bH"), k(KeyCode::Char('H'), A | S));
        assert_eq!(one(b"\x1b\r"), k(KeyCode::Enter, A));
        assert_eq!(one(b"\x1b\x7f"), k(KeyCode::Backspace, A));
        assert_eq!(one(b"\x1b\x01"), k(KeyCode::Char('a'), A | C));
        assert_eq!(one("\x1bé".as_bytes()), k(KeyCode::Char('é'), A));
        // ESC [ and ESC O that never finish are Alt+[ and Alt+O.
        assert_eq!(one(b"\x1b["), k(KeyCode::Char('['), A));
        assert_eq!(one(b"\x1bO"), k(KeyCode::Char('O'), A | S));
    }

    #[test]
    fn cursor_keys_with_modifiers() {
        assert_eq!(one(b"\x1b[A"), k(KeyCode::Up, N));
        assert_eq!(one(b"\x1b[1;5A"), k(KeyCode::Up, C));
        assert_eq!(one(b"\x1b[1;2D"), k(KeyCode::Left, S));
        assert_eq!(one(b"\x1b[1;3C"), k(KeyCode::Right, A));
        assert_eq!(one(b"\x1b[H"), k(KeyCode::Home, N));
        assert_eq!(one(b"\x1b[F"), k(KeyCode::End, N));
        assert_eq!(one(b"\x1b[Z"), k(KeyCode::BackTab, S));
    }

    #[test]
    fn tilde_keys() {
        assert_eq!(one(b"\x1b[3~"), k(KeyCode::Delete, N));
        assert_eq!(one(b"\x1b[5;2~"), k(KeyCode::PageUp, S));
        assert_eq!(one(b"\x1b[6~"), k(KeyCode::PageDown, N));
        assert_eq!(one(b"\x1b[2~"), k(KeyCode::Insert, N));
        assert_eq!(one(b"\x1b[15~"), k(KeyCode::F(5), N));
        assert_eq!(one(b"\x1b[24;5~"), k(KeyCode::F(12), C));
    }

    #[test]
    fn ss3_keys() {
        assert_eq!(one(b"\x1bOP"), k(KeyCode::F(1), N));
        assert_eq!(one(b"\x1bOS"), k(KeyCode::F(4), N));
        assert_eq!(one(b"\x1bOA"), k(KeyCode::Up, N));
        assert_eq!(one(b"\x1bOM"), k(KeyCode::Enter, N));
        assert_eq!(one(b"\x1bO5D"), k(KeyCode::Left, C));
        assert_eq!(one(b"\x1b[1;5P"), k(KeyCode::F(1), C));
    }

    #[test]
    fn modify_other_keys_label_studio_keys() {
        assert_eq!(one(b"\x1b[27;5;13~"), k(KeyCode::Enter, C));
        assert_eq!(one(b"\x1b[27;5;32~"), k(KeyCode::Char(' '), C));
        assert_eq!(one(b"\x1b[27;5;127~"), k(KeyCode::Backspace, C));
        assert_eq!(one(b"\x1b[27;5;8~"), k(KeyCode::Backspace, C));
        assert_eq!(one(b"\x1b[27;3;46~"), k(KeyCode::Char('.'), A));
        assert_eq!(one(b"\x1b[27;5;122~"), k(KeyCode::Char('z'), C));
        assert_eq!(one(b"\x1b[27;6;90~"), k(KeyCode::Char('Z'), C | S));
        assert_eq!(one(b"\x1b[27;6;122~"), k(KeyCode::Char('Z'), C | S));
        assert_eq!(one(b"\x1b[27;3;13~"), k(KeyCode::Enter, A));
        assert_eq!(one(b"\x1b[27;2;9~"), k(KeyCode::BackTab, S));
        assert_eq!(one(b"\x1b[27;5;27~"), k(KeyCode::Esc, C));
    }

    #[test]
    fn csi_u_keys() {
        assert_eq!(one(b"\x1b[13;5u"), k(KeyCode::Enter, C));
        assert_eq!(one(b"\x1b[32;5u"), k(KeyCode::Char(' '), C));
        assert_eq!(one(b"\x1b[127;5u"), k(KeyCode::Backspace, C));
        assert_eq!(one(b"\x1b[46;3u"), k(KeyCode::Char('.'), A));
        assert_eq!(one(b"\x1b[122;5u"), k(KeyCode::Char('z'), C));
        assert_eq!(one(b"\x1b[27u"), k(KeyCode::Esc, N));
        assert_eq!(one(b"\x1b[9;2u"), k(KeyCode::BackTab, S));
        assert_eq!(one(b"\x1b[57399u"), {
            let ev = KeyEvent::new_with_kind_and_state(
                KeyCode::Char('0'),
                N,
                KeyEventKind::Press,
                KeyEventState::KEYPAD,
            );
            Event::Key(ev)
        });
    }

    #[test]
    fn kitty_event_types_alternates_and_text() {
        let ev = |code, m, kind| {
            Event::Key(KeyEvent::new_with_kind_and_state(
                code,
                m,
                kind,
                KeyEventState::NONE,
            ))
        };
        assert_eq!(
            one(b"\x1b[13;5:3u"),
            ev(KeyCode::Enter, C, KeyEventKind::Release)
        );
        assert_eq!(
            one(b"\x1b[97;1:2u"),
            ev(KeyCode::Char('a'), N, KeyEventKind::Repeat)
        );
        // Shift+1 with the shifted key reported, and with associated text.
        assert_eq!(
            one(b"\x1b[49:33;2u"),
            ev(KeyCode::Char('!'), S, KeyEventKind::Press)
        );
        assert_eq!(
            one(b"\x1b[97;2;65u"),
            ev(KeyCode::Char('A'), S, KeyEventKind::Press)
        );
        // A modifier key press carries its own modifier.
        assert_eq!(
            one(b"\x1b[57442;5u"),
            ev(
                KeyCode::Modifier(ModifierKeyCode::LeftControl),
                C,
                KeyEventKind::Press
            )
        );
    }

    fn mouse(kind: MouseEventKind, column: u16, row: u16, modifiers: KeyModifiers) -> Event {
        Event::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers,
        })
    }

    #[test]
    fn sgr_mouse_press_drag_release() {
        let left = MouseButton::Left;
        assert_eq!(
            feed(b"\x1b[<0;10;5M\x1b[<32;12;6M\x1b[<32;14;6M\x1b[<0;14;6m"),
            vec![
                mouse(MouseEventKind::Down(left), 9, 4, N),
                mouse(MouseEventKind::Drag(left), 11, 5, N),
                mouse(MouseEventKind::Drag(left), 13, 5, N),
                mouse(MouseEventKind::Up(left), 13, 5, N),
            ]
        );
        assert_eq!(
            one(b"\x1b[<2;1;1M"),
            mouse(MouseEventKind::Down(MouseButton::Right), 0, 0, N)
        );
        assert_eq!(
            one(b"\x1b[<20;3;4M"),
            mouse(MouseEventKind::Down(left), 2, 3, C | S)
        );
        assert_eq!(one(b"\x1b[<35;7;8M"), mouse(MouseEventKind::Moved, 6, 7, N));
    }

    #[test]
    fn sgr_mouse_wheel() {
        assert_eq!(
            one(b"\x1b[<64;40;20M"),
            mouse(MouseEventKind::ScrollUp, 39, 19, N)
        );
        assert_eq!(
            one(b"\x1b[<65;40;20M"),
            mouse(MouseEventKind::ScrollDown, 39, 19, N)
        );
        assert_eq!(
            one(b"\x1b[<73;1;300M"),
            mouse(MouseEventKind::ScrollDown, 0, 299, A)
        );
        // Extra buttons (8+) are not reported.
        assert!(feed(b"\x1b[<128;1;1M").is_empty());
    }

    #[test]
    fn legacy_mouse_encodings() {
        assert_eq!(
            one(b"\x1b[M !!"),
            mouse(MouseEventKind::Down(MouseButton::Left), 0, 0, N)
        );
        assert_eq!(
            one(b"\x1b[M#*%"),
            mouse(MouseEventKind::Up(MouseButton::Left), 9, 4, N)
        );
        assert_eq!(
            one(b"\x1b[96;10;5M"),
            mouse(MouseEventKind::ScrollUp, 9, 4, N)
        );
    }

    #[test]
    fn bracketed_paste_is_data() {
        assert_eq!(
            feed(b"x\x1b[200~a\x1b[Ab\x03\r\x1b\x1b[27;5;13~c\x1b[201~y"),
            vec![
                k(KeyCode::Char('x'), N),
                Event::Paste("a\x1b[Ab\x03\r\x1b\x1b[27;5;13~c".into()),
                k(KeyCode::Char('y'), N),
            ]
        );
    }

    #[test]
    fn paste_split_anywhere_is_one_paste() {
        let input = "\x1b[200~héllo\x1b[201~".as_bytes();
        for cut in 1..input.len() {
            let mut d = Decoder::new();
            let mut evs = d.feed(&input[..cut]);
            if cut >= 6 {
                assert_eq!(d.pending_timeout(), Some(PASTE_TIMEOUT), "cut {cut}");
            }
            evs.extend(d.feed(&input[cut..]));
            assert_eq!(evs, vec![Event::Paste("héllo".into())], "cut {cut}");
        }
    }

    #[test]
    fn stalled_paste_is_delivered_on_timeout() {
        let mut d = Decoder::new();
        assert!(d.feed(b"\x1b[200~abc").is_empty());
        assert_eq!(d.timeout(), vec![Event::Paste("abc".into())]);
        assert_eq!(d.pending_timeout(), None);
        // The late end marker is dropped, not typed.
        assert_eq!(d.feed(b"\x1b[201~q"), vec![k(KeyCode::Char('q'), N)]);
    }

    #[test]
    fn focus_events() {
        assert_eq!(
            feed(b"\x1b[I\x1b[O"),
            vec![Event::FocusGained, Event::FocusLost]
        );
    }

    #[test]
    fn terminal_replies_are_not_keys() {
        assert_eq!(
            feed(b"\x1b[?1u\x1b[?62;22c\x1b]11;rgb:0000/0000/0000\x07\x1bP1$r0m\x1b\\\x1b_Gi=1;OK\x1b\\a"),
            vec![k(KeyCode::Char('a'), N)]
        );
        // Alone, ESC P is Alt+P.
        assert_eq!(one(b"\x1bP"), k(KeyCode::Char('P'), A | S));
    }

    #[test]
    fn every_split_of_a_sequence_decodes_the_same() {
        let input = b"\x1b[27;5;13~\x1b[<0;10;5M\x1b[1;5A\x1bOP\x1b.z";
        let whole = feed(input);
        assert_eq!(whole.len(), 6);
        for cut in 1..input.len() {
            let mut d = Decoder::new();
            let mut evs = d.feed(&input[..cut]);
            evs.extend(d.feed(&input[cut..]));
            evs.extend(d.timeout());
            assert_eq!(evs, whole, "cut {cut}");
        }
    }

    #[test]
    fn garbage_is_dropped_and_decoding_goes_on() {
        assert_eq!(
            feed(b"\x1b[99;99;99X\x1b[12;\x01q"),
            vec![k(KeyCode::Char('a'), C), k(KeyCode::Char('q'), N)]
        );
        assert_eq!(feed(b"\xff\xc3a"), vec![k(KeyCode::Char('a'), N)]);
        // An endless parameter list is dropped instead of waited on.
        let mut long = b"\x1b[".to_vec();
        long.extend(std::iter::repeat_n(b'1', 1000));
        long.extend(b"xq");
        let mut d = Decoder::new();
        let evs = d.feed(&long);
        assert_eq!(evs, vec![k(KeyCode::Char('q'), N)]);
    }

    /// Random bytes in random chunks: never panics, and a timeout always empties the decoder.
    #[test]
    fn random_bytes_never_panic_or_stall() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let alphabet = b"\x1b[O;:<~uMm0123456789200201Pq\x07\\\xc3\xa9\xe6\xbc\xa2\x00\x7fa";
        for _ in 0..3000 {
            let mut d = Decoder::new();
            let len = (next() % 64) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    let r = next();
                    if r % 4 == 0 {
                        (r >> 8) as u8
                    } else {
                        alphabet[(r >> 8) as usize % alphabet.len()]
                    }
                })
                .collect();
            let mut i = 0;
            while i < bytes.len() {
                let n = 1 + (next() % 8) as usize;
                let end = (i + n).min(bytes.len());
                d.feed(&bytes[i..end]);
                i = end;
            }
            d.timeout();
            assert_eq!(d.pending_timeout(), None, "{bytes:?}");
        }
    }

    /// What tmux 3.3 (`extended-keys on`) wrote to a pane that asked for modifyOtherKeys and
    /// bracketed paste, for `send-keys C-Enter C-Space C-BSpace M-. C-z`, a `paste-buffer -p`
    /// and `send-keys C-S-z M-Enter C-Left`.
    #[test]
    fn bytes_tmux_sends() {
        assert_eq!(
            feed(b"\x1b[13;5u\x00\x1b[127;5u\x1b.\x1a"),
            vec![
                k(KeyCode::Enter, C),
                k(KeyCode::Char(' '), C),
                k(KeyCode::Backspace, C),
                k(KeyCode::Char('.'), A),
                k(KeyCode::Char('z'), C),
            ]
        );
        assert_eq!(
            feed(b"\x1b[200~x\x1b[Ay\x1b[201~\x1b[90;6u\x1b\r\x1b[1;5D"),
            vec![
                Event::Paste("x\x1b[Ay".into()),
                k(KeyCode::Char('Z'), C | S),
                k(KeyCode::Enter, A),
                k(KeyCode::Left, C),
            ]
        );
    }

    #[test]
    fn reader_decodes_times_out_esc_and_pauses() {
        use std::io::Write;
        use std::sync::mpsc::channel;
        let (ours, mut theirs) = UnixStream::pair().unwrap();
        let tty = File::from(std::os::fd::OwnedFd::from(ours));
        let (tx, rx) = channel();
        let paused = Arc::new(AtomicBool::new(false));
        let idle = Arc::new(AtomicBool::new(false));
        let handle = spawn_reader_on(
            tty,
            move |ev| tx.send(ev).is_ok(),
            paused.clone(),
            idle.clone(),
        )
        .unwrap();
        let recv = || rx.recv_timeout(Duration::from_secs(5)).unwrap();
        theirs.write_all(b"\x1b[27;5;13~").unwrap();
        assert_eq!(recv(), k(KeyCode::Enter, C));
        // A lone ESC becomes Esc after the timeout, with nothing else sent.
        theirs.write_all(b"\x1b").unwrap();
        assert_eq!(recv(), k(KeyCode::Esc, N));
        // Paused: the bytes stay unread until the pause ends.
        paused.store(true, Ordering::SeqCst);
        while !idle.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(5));
        }
        theirs.write_all(b"q").unwrap();
        assert!(rx.recv_timeout(Duration::from_millis(150)).is_err());
        paused.store(false, Ordering::SeqCst);
        assert_eq!(recv(), k(KeyCode::Char('q'), N));
        // The terminal closing ends the thread.
        drop(theirs);
        handle.join().unwrap();
    }
}
