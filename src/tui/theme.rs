//! Themes are data: JSON files in `themes/`, built into the binary, and a user file
//! (`--theme PATH`, or `NAME.json` in the config directory) that overrides what it names.
//! `NO_COLOR` turns every colour off; emphasis then comes from bold, underline and reverse.

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The themes shipped with labelterm: (name, JSON).
pub const BUILTIN: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.json")),
    ("light", include_str!("../../themes/light.json")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.json"),
    ),
    ("colorblind", include_str!("../../themes/colorblind.json")),
];

/// A theme file: every field optional, so a user file can change a few colours only.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThemeFile {
    pub name: Option<String>,
    /// Start from this built-in theme (user files; default `dark`).
    pub base: Option<String>,
    pub fg: Option<String>,
    pub bg: Option<String>,
    pub dim: Option<String>,
    pub accent: Option<String>,
    pub border: Option<String>,
    pub focus: Option<String>,
    pub cursor_fg: Option<String>,
    pub cursor_bg: Option<String>,
    pub selection_bg: Option<String>,
    pub status_fg: Option<String>,
    pub status_bg: Option<String>,
    pub ok: Option<String>,
    pub warn: Option<String>,
    pub error: Option<String>,
    pub prediction: Option<String>,
    pub selected_region: Option<String>,
    /// Label colours, used in order for labels without a `background` in the config.
    pub labels: Option<Vec<String>>,
    /// Use the palette even when the config gives a label `background` (colour-blind safety).
    pub prefer_palette: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub fg: Color,
    pub bg: Color,
    pub dim: Color,
    pub accent: Color,
    pub border: Color,
    pub focus: Color,
    pub cursor_fg: Color,
    pub cursor_bg: Color,
    pub selection_bg: Color,
    pub status_fg: Color,
    pub status_bg: Color,
    pub ok: Color,
    pub warn: Color,
    pub error: Color,
    pub prediction: Color,
    pub selected_region: Color,
    pub labels: Vec<Color>,
    pub prefer_palette: bool,
    /// `NO_COLOR`: no colours at all.
    pub mono: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error(
        "theme {0:?} not found; built-in themes: dark, light, high-contrast, colorblind (or give a .json path)"
    )]
    Unknown(String),
    #[error("{path}: {message}")]
    Bad { path: String, message: String },
}

impl Theme {
    /// The default theme (dark), which cannot fail.
    pub fn dark() -> Theme {
        Self::builtin("dark").expect("the built-in dark theme parses")
    }

    pub fn builtin(name: &str) -> Result<Theme, ThemeError> {
        let (_, text) = BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| ThemeError::Unknown(name.to_string()))?;
        let file: ThemeFile = serde_json::from_str(text).map_err(|e| ThemeError::Bad {
            path: format!("themes/{name}.json"),
            message: e.to_string(),
        })?;
        let mut t = Theme::blank();
        t.apply(&file, &format!("themes/{name}.json"))?;
        Ok(t)
    }

    fn blank() -> Theme {
        Theme {
            name: String::new(),
            fg: Color::Reset,
            bg: Color::Reset,
            dim: Color::Gray,
            accent: Color::Cyan,
            border: Color::DarkGray,
            focus: Color::Yellow,
            cursor_fg: Color::Black,
            cursor_bg: Color::Yellow,
            selection_bg: Color::Blue,
            status_fg: Color::Black,
            status_bg: Color::Cyan,
            ok: Color::Green,
            warn: Color::Yellow,
            error: Color::Red,
            prediction: Color::Magenta,
            selected_region: Color::White,
            labels: vec![Color::Red, Color::Blue, Color::Green],
            prefer_palette: false,
            mono: false,
        }
    }

    fn apply(&mut self, f: &ThemeFile, path: &str) -> Result<(), ThemeError> {
        let bad = |m: String| ThemeError::Bad {
            path: path.to_string(),
            message: m,
        };
        let col = |v: &Option<String>, field: &str, slot: &mut Color| -> Result<(), ThemeError> {
            if let Some(s) = v {
                *slot =
                    parse_color(s).ok_or_else(|| bad(format!("{field}: not a colour: {s:?}")))?;
            }
            Ok(())
        };
        if let Some(n) = &f.name {
            self.name = n.clone();
        }
        col(&f.fg, "fg", &mut self.fg)?;
        col(&f.bg, "bg", &mut self.bg)?;
        col(&f.dim, "dim", &mut self.dim)?;
        col(&f.accent, "accent", &mut self.accent)?;
        col(&f.border, "border", &mut self.border)?;
        col(&f.focus, "focus", &mut self.focus)?;
        col(&f.cursor_fg, "cursor_fg", &mut self.cursor_fg)?;
        col(&f.cursor_bg, "cursor_bg", &mut self.cursor_bg)?;
        col(&f.selection_bg, "selection_bg", &mut self.selection_bg)?;
        col(&f.status_fg, "status_fg", &mut self.status_fg)?;
        col(&f.status_bg, "status_bg", &mut self.status_bg)?;
        col(&f.ok, "ok", &mut self.ok)?;
        col(&f.warn, "warn", &mut self.warn)?;
        col(&f.error, "error", &mut self.error)?;
        col(&f.prediction, "prediction", &mut self.prediction)?;
        col(
            &f.selected_region,
            "selected_region",
            &mut self.selected_region,
        )?;
        if let Some(labels) = &f.labels {
            let mut out = Vec::new();
            for l in labels {
                out.push(
                    parse_color(l).ok_or_else(|| bad(format!("labels: not a colour: {l:?}")))?,
                );
            }
            if out.is_empty() {
                return Err(bad("labels: needs at least one colour".into()));
            }
            self.labels = out;
        }
        if let Some(p) = f.prefer_palette {
            self.prefer_palette = p;
        }
        Ok(())
    }

    /// Loads a theme by built-in name or file path. A name that is not built in is looked
    /// for as `NAME.json` in the user's config directory. `no_color` (from `NO_COLOR`)
    /// switches every colour off.
    pub fn load(name_or_path: Option<&str>, no_color: bool) -> Result<Theme, ThemeError> {
        let mut theme = match name_or_path {
            None => Theme::dark(),
            Some(n) if BUILTIN.iter().any(|(b, _)| *b == n) => Theme::builtin(n)?,
            Some(n) => {
                let path = if n.ends_with(".json") || n.contains('/') {
                    PathBuf::from(n)
                } else {
                    match config_dir() {
                        Some(d) => d.join("themes").join(format!("{n}.json")),
                        None => return Err(ThemeError::Unknown(n.to_string())),
                    }
                };
                if !path.is_file() {
                    return Err(ThemeError::Unknown(n.to_string()));
                }
                Theme::from_file(&path)?
            }
        };
        if no_color {
            theme.mono = true;
        }
        Ok(theme)
    }

    pub fn from_file(path: &Path) -> Result<Theme, ThemeError> {
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ThemeError::Bad {
            path: p.clone(),
            message: e.to_string(),
        })?;
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("custom");
        Theme::from_text(&text, &p, stem)
    }

    /// A theme from the text of a theme file; `origin` names the file in errors and
    /// `stem` is the theme's name when the file gives none.
    pub fn from_text(text: &str, origin: &str, stem: &str) -> Result<Theme, ThemeError> {
        let file: ThemeFile = serde_json::from_str(text).map_err(|e| ThemeError::Bad {
            path: origin.to_string(),
            message: e.to_string(),
        })?;
        let mut theme = Theme::builtin(file.base.as_deref().unwrap_or("dark"))?;
        theme.apply(&file, origin)?;
        if file.name.is_none() {
            theme.name = stem.to_string();
        }
        Ok(theme)
    }

    fn c(&self, c: Color) -> Color {
        if self.mono { Color::Reset } else { c }
    }

    pub fn base(&self) -> Style {
        Style::default().fg(self.c(self.fg)).bg(self.c(self.bg))
    }
    pub fn dim(&self) -> Style {
        if self.mono {
            Style::default().add_modifier(Modifier::DIM)
        } else {
            Style::default().fg(self.dim)
        }
    }
    pub fn accent(&self) -> Style {
        if self.mono {
            Style::default().add_modifier(Modifier::BOLD)
        } else {
            Style::default().fg(self.accent)
        }
    }
    pub fn border(&self, focused: bool) -> Style {
        match (self.mono, focused) {
            (true, true) => Style::default().add_modifier(Modifier::BOLD),
            (true, false) => Style::default(),
            (false, true) => Style::default().fg(self.focus),
            (false, false) => Style::default().fg(self.border),
        }
    }
    pub fn cursor(&self) -> Style {
        if self.mono {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default().fg(self.cursor_fg).bg(self.cursor_bg)
        }
    }
    pub fn selection(&self) -> Style {
        if self.mono {
            Style::default().add_modifier(Modifier::UNDERLINED | Modifier::BOLD)
        } else {
            Style::default().bg(self.selection_bg)
        }
    }
    pub fn status(&self) -> Style {
        if self.mono {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default().fg(self.status_fg).bg(self.status_bg)
        }
    }
    pub fn ok(&self) -> Style {
        Style::default().fg(self.c(self.ok))
    }
    pub fn warn(&self) -> Style {
        Style::default()
            .fg(self.c(self.warn))
            .add_modifier(Modifier::BOLD)
    }
    pub fn error(&self) -> Style {
        Style::default()
            .fg(self.c(self.error))
            .add_modifier(Modifier::BOLD)
    }
    pub fn prediction(&self) -> Style {
        if self.mono {
            Style::default().add_modifier(Modifier::ITALIC)
        } else {
            Style::default().fg(self.prediction)
        }
    }

    /// The colour of a label: the config's `background` when set (unless the theme prefers
    /// its palette), else the palette colour for the label's position.
    pub fn label_color(&self, background: Option<&str>, index: usize) -> Color {
        if self.mono {
            return Color::Reset;
        }
        if !self.prefer_palette
            && let Some(c) = background.and_then(parse_color)
        {
            return c;
        }
        self.labels[index % self.labels.len()]
    }

    /// A region highlight on text: label colour behind, readable text in front.
    pub fn region_style(&self, color: Color, prediction: bool) -> Style {
        if self.mono {
            return if prediction {
                Style::default().add_modifier(Modifier::UNDERLINED | Modifier::ITALIC)
            } else {
                Style::default().add_modifier(Modifier::UNDERLINED | Modifier::BOLD)
            };
        }
        if prediction {
            Style::default()
                .fg(color)
                .add_modifier(Modifier::UNDERLINED)
        } else {
            Style::default().bg(color).fg(readable_on(color))
        }
    }

    /// A label chip (`[1] PER`).
    pub fn chip(&self, color: Color) -> Style {
        if self.mono {
            Style::default().add_modifier(Modifier::BOLD)
        } else {
            Style::default().fg(color).add_modifier(Modifier::BOLD)
        }
    }
}

/// Black or white, whichever reads better on `c`.
pub fn readable_on(c: Color) -> Color {
    match c {
        Color::Rgb(r, g, b) => {
            let l = 0.299 * r as f64 + 0.587 * g as f64 + 0.114 * b as f64;
            if l > 140.0 {
                Color::Black
            } else {
                Color::White
            }
        }
        Color::Yellow
        | Color::LightYellow
        | Color::White
        | Color::LightGreen
        | Color::LightCyan => Color::Black,
        _ => Color::White,
    }
}

pub use crate::util::config_dir;

/// Parses the colours label configs use: `#rgb`, `#rrggbb`, `#rrggbbaa`, `rgb(...)`,
/// `rgba(...)`, CSS names, and `reset`.
pub fn parse_color(s: &str) -> Option<Color> {
    let s = s.trim();
    let lower = s.to_ascii_lowercase();
    if lower == "reset" || lower == "default" {
        return Some(Color::Reset);
    }
    if let Some(hex) = s.strip_prefix('#') {
        // Hex digits only, so that the byte slices below fall on characters.
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let v = |h: &str| u8::from_str_radix(h, 16).ok();
        return match hex.len() {
            3 | 4 => {
                let d: Vec<u8> = hex
                    .chars()
                    .take(3)
                    .map(|c| v(&format!("{c}{c}")))
                    .collect::<Option<_>>()?;
                Some(Color::Rgb(d[0], d[1], d[2]))
            }
            6 | 8 => Some(Color::Rgb(v(&hex[0..2])?, v(&hex[2..4])?, v(&hex[4..6])?)),
            _ => None,
        };
    }
    if let Some(inner) = lower
        .strip_prefix("rgba(")
        .or_else(|| lower.strip_prefix("rgb("))
        .and_then(|r| r.strip_suffix(')'))
    {
        let parts: Vec<u8> = inner
            .split(',')
            .take(3)
            .map(|p| {
                p.trim()
                    .parse::<f64>()
                    .ok()
                    .map(|x| x.clamp(0.0, 255.0) as u8)
            })
            .collect::<Option<_>>()?;
        return (parts.len() == 3).then(|| Color::Rgb(parts[0], parts[1], parts[2]));
    }
    let rgb = match lower.as_str() {
        "black" => (0, 0, 0),
        "white" => (255, 255, 255),
        "red" => (255, 0, 0),
        "green" => (0, 128, 0),
        "lime" => (0, 255, 0),
        "blue" => (0, 0, 255),
        "yellow" => (255, 255, 0),
        "orange" => (255, 165, 0),
        "purple" => (128, 0, 128),
        "magenta" | "fuchsia" => (255, 0, 255),
        "cyan" | "aqua" => (0, 255, 255),
        "pink" => (255, 192, 203),
        "brown" => (165, 42, 42),
        "gray" | "grey" => (128, 128, 128),
        "darkgray" | "darkgrey" => (169, 169, 169),
        "lightgray" | "lightgrey" => (211, 211, 211),
        "navy" => (0, 0, 128),
        "teal" => (0, 128, 128),
        "olive" => (128, 128, 0),
        "maroon" => (128, 0, 0),
        "gold" => (255, 215, 0),
        "violet" => (238, 130, 238),
        "indigo" => (75, 0, 130),
        "salmon" => (250, 128, 114),
        "coral" => (255, 127, 80),
        "tomato" => (255, 99, 71),
        "crimson" => (220, 20, 60),
        "darkgreen" => (0, 100, 0),
        "darkblue" => (0, 0, 139),
        "darkred" => (139, 0, 0),
        "darkorange" => (255, 140, 0),
        "lightblue" => (173, 216, 230),
        "lightgreen" => (144, 238, 144),
        "skyblue" => (135, 206, 235),
        "steelblue" => (70, 130, 180),
        "royalblue" => (65, 105, 225),
        "turquoise" => (64, 224, 208),
        "khaki" => (240, 230, 140),
        "plum" => (221, 160, 221),
        "orchid" => (218, 112, 214),
        "chocolate" => (210, 105, 30),
        "tan" => (210, 180, 140),
        "silver" => (192, 192, 192),
        _ => return None,
    };
    Some(Color::Rgb(rgb.0, rgb.1, rgb.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_parse_and_colours_read() {
        for (name, _) in BUILTIN {
            let t = Theme::builtin(name).unwrap();
            assert_eq!(&t.name, name);
            assert!(!t.labels.is_empty());
        }
        assert_eq!(parse_color("#e5484d"), Some(Color::Rgb(0xe5, 0x48, 0x4d)));
        assert_eq!(parse_color("#fff"), Some(Color::Rgb(255, 255, 255)));
        assert_eq!(
            parse_color("rgba(10, 20, 30, 0.5)"),
            Some(Color::Rgb(10, 20, 30))
        );
        assert_eq!(parse_color("Green"), Some(Color::Rgb(0, 128, 0)));
        assert_eq!(parse_color("nope"), None);
    }

    #[test]
    fn label_colours_and_overrides() {
        let t = Theme::dark();
        assert_eq!(t.label_color(Some("#010203"), 0), Color::Rgb(1, 2, 3));
        assert_eq!(t.label_color(None, 1), t.labels[1]);
        let cb = Theme::builtin("colorblind").unwrap();
        assert_eq!(cb.label_color(Some("red"), 0), cb.labels[0], "palette wins");
        let mono = Theme::load(Some("light"), true).unwrap();
        assert_eq!(mono.label_color(Some("red"), 0), Color::Reset);

        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("mine.json");
        std::fs::write(&p, r##"{"base": "light", "focus": "#123456"}"##).unwrap();
        let t = Theme::load(Some(p.to_str().unwrap()), false).unwrap();
        assert_eq!(t.focus, Color::Rgb(0x12, 0x34, 0x56));
        assert_eq!(t.accent, Theme::builtin("light").unwrap().accent);
        assert_eq!(t.name, "mine");
        std::fs::write(&p, r##"{"focus": "blurple"}"##).unwrap();
        let e = Theme::load(Some(p.to_str().unwrap()), false).unwrap_err();
        assert!(e.to_string().contains("focus: not a colour"), "{e}");
        assert!(Theme::load(Some("nosuch"), false).is_err());
    }

    #[test]
    fn non_hex_colours_are_refused_not_sliced() {
        // Found by fuzzing: a six-byte value with a two-byte character was cut inside it.
        assert_eq!(parse_color("#aéaaa"), None);
        assert_eq!(parse_color("#ééé"), None);
        assert_eq!(parse_color("#12345g"), None);
        assert_eq!(parse_color("#+1+2+3"), None);
        let e = Theme::from_text(r##"{"accent": "#aéaaa"}"##, "t.json", "t").unwrap_err();
        assert!(e.to_string().contains("accent: not a colour"), "{e}");
        assert_eq!(
            Theme::dark().label_color(Some("#aéaaa"), 0),
            Theme::dark().labels[0]
        );
    }
}
