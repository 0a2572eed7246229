//! The task screen at small and large sizes, label hotkeys against built-in keys, the
//! mouse, and region text with joined emoji.

#[path = "annotator/mod.rs"]
mod common;

use common::*;
use serde_json::json;

fn focused_control(d: &Driver) -> Option<String> {
    let t = d.s.app.annotate.task.as_ref().unwrap();
    match t.focusables.get(t.focus) {
        Some(labelterm::tui::screens::annotate::Focus::Control(ci)) => {
            Some(t.config.controls[*ci].name.clone())
        }
        _ => None,
    }
}

fn focus_control(d: &mut Driver, name: &str) {
    for _ in 0..20 {
        if focused_control(d).as_deref() == Some(name) {
            return;
        }
        d.keys("J");
    }
    panic!("no focus on {name}");
}

#[test]
fn config_hotkey_that_clashes_is_told_and_wins_in_its_panel() {
    let f = sample_project("multi_control");
    let mut d = open(&f, ".");
    // `x` of "Spam" is also delete-region: told once, at start.
    let msg = d.message();
    assert!(
        msg.contains("hotkey x of \"Spam\"") && msg.contains("delete the selected region"),
        "{msg}"
    );
    assert!(msg.contains("\"relevance\""), "{msg}");
    // Where its panel has focus, the config hotkey works.
    focus_control(&mut d, "relevance");
    d.keys("x");
    assert_eq!(
        d.result()[0]["value"],
        json!({"choices": ["Spam"]}),
        "x in the focused panel picks Spam"
    );
    // Elsewhere the built-in key wins: x does not touch the choices.
    focus_control(&mut d, "clarity");
    d.keys("x");
    assert_eq!(d.result()[0]["value"], json!({"choices": ["Spam"]}));
    // `o` clashes with nothing on the task screen and works anywhere.
    d.keys("o");
    assert_eq!(
        d.result()[0]["value"],
        json!({"choices": ["Spam", "On topic"]})
    );
    // Told once: the next task does not repeat it.
    d.keys("]");
    assert!(!d.message().contains("hotkey x"), "{}", d.message());
}

#[test]
fn a_config_hotkey_a_pane_of_this_task_uses_is_told() {
    // `f` goes to a frame in a Video pane: a label whose hotkey is `f` is shadowed there.
    let f = project(
        r#"<View><Labels name="who" toName="clip"><Label value="Fox" hotkey="f"/></Labels>
        <Video name="clip" value="$video"/><VideoRectangle name="box" toName="clip"/></View>"#,
        r#"[{"video": "clip.mp4"}]"#,
    );
    let d = open(&f, ".");
    let msg = d.message();
    assert!(
        msg.contains("hotkey f of \"Fox\"") && msg.contains("go to a frame number"),
        "{msg}"
    );
    // Without a Video pane, `f` clashes with nothing.
    let f = project(
        r#"<View><Labels name="who" toName="t"><Label value="Fox" hotkey="f"/></Labels><Text name="t" value="$t"/></View>"#,
        r#"[{"t": "a fox"}]"#,
    );
    let d = open(&f, ".");
    assert!(!d.message().contains("hotkey f"), "{}", d.message());
}

/// The screen as a terminal shows it: a cluster drawn wide covers the cells after it, so
/// those are left out rather than read as blanks; a stray cell shows as a space.
fn cells_as_shown(d: &mut Driver, w: u16, h: u16) -> String {
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    d.s.draw(&mut term).unwrap();
    let buf = term.backend().buffer();
    let mut s = String::new();
    for y in 0..h {
        let mut x = 0;
        while x < w {
            let sym = buf[(x, y)].symbol();
            s.push_str(sym);
            x += labelterm::term_safe::display_width(sym).max(1) as u16;
        }
        s.push('\n');
    }
    s
}

#[test]
fn region_list_shows_joined_emoji_and_flags_whole() {
    let text = "We 👨‍👩‍👧 love 🇫🇷 food";
    // Offsets in code points, as Label Studio counts them.
    let cp = |s: &str| s.chars().count();
    let fam = "👨‍👩‍👧";
    let fam_at = cp("We ");
    let flag_at = cp("We 👨‍👩‍👧 love ");
    let region = |id: &str, start: usize, t: &str| {
        json!({"id": id, "from_name": "label", "to_name": "text", "type": "labels",
               "value": {"start": start, "end": start + cp(t), "text": t, "labels": ["LOC"]}})
    };
    let tasks = json!([{
        "data": {"text": text},
        "predictions": [{"model_version": "m", "result": [
            region("a", fam_at, fam),
            region("b", flag_at, "🇫🇷"),
        ]}]
    }]);
    let config = std::fs::read_to_string(sample("ner").join("config.xml")).unwrap();
    let f = project(&config, &tasks.to_string());
    let mut d = open(&f, ".");
    d.keys("A");
    assert_eq!(d.result().as_array().unwrap().len(), 2);
    for (w, h) in [(120, 40), (80, 24)] {
        d.screen(w, h);
        let screen = cells_as_shown(&mut d, w, h);
        assert!(!screen.contains("\\u{"), "escapes in\n{screen}");
        let fam_row = screen
            .lines()
            .find(|l| l.contains("label: LOC") && l.contains(fam))
            .unwrap_or_else(|| panic!("family region not listed whole\n{screen}"));
        assert!(fam_row.contains(&format!("\"{fam}\"")), "{fam_row}");
        // The flag is one two-column cluster: the closing quote follows it directly,
        // with no stray cell between.
        let flag_row = screen
            .lines()
            .find(|l| l.contains("label: LOC") && l.contains("🇫🇷"))
            .unwrap_or_else(|| panic!("flag region not listed whole\n{screen}"));
        assert!(flag_row.contains("\"🇫🇷\""), "{flag_row}");
    }
}

const SAMPLES: [&str; 7] = [
    "audio_transcription",
    "dialogue",
    "image_bbox",
    "multi_control",
    "ner",
    "sentiment",
    "timeseries",
];

/// Every control of the sample is drawn (its name on screen) or named by a marker; the
/// object the focus belongs with is drawn; the focused control is drawn framed.
fn check_layout(name: &str, w: u16, h: u16, d: &mut Driver) -> String {
    // Media were loaded by the first drawing at this size; later frames need not wait.
    let (screen, _) = d.frame(w, h);
    let t = d.s.app.annotate.task.as_ref().unwrap();
    for c in &t.config.controls {
        if c.kind == labelterm::config::ControlKind::Relations {
            continue;
        }
        assert!(
            screen.contains(&c.name),
            "{name} at {w}x{h}: control {} neither shown nor named\n{screen}",
            c.name
        );
    }
    match t.focusables.get(t.focus) {
        Some(labelterm::tui::screens::annotate::Focus::Control(ci)) => {
            let c = &t.config.controls[*ci];
            let title = format!("┌ {} ({}", c.name, c.tag);
            assert!(
                screen.contains(&title),
                "{name} at {w}x{h}: focused control {} not framed\n{screen}",
                c.name
            );
            if let Some(obj) = c.to_name.first() {
                assert!(
                    screen.contains(&format!("┌ {obj} (")),
                    "{name} at {w}x{h}: object {obj} not shown\n{screen}"
                );
            }
        }
        Some(labelterm::tui::screens::annotate::Focus::Object(oi)) => {
            let o = &t.config.objects[*oi];
            assert!(
                screen.contains(&format!("┌ {} (", o.name)),
                "{name} at {w}x{h}: focused object {} not shown\n{screen}",
                o.name
            );
        }
        None => {}
    }
    screen
}

#[test]
fn every_sample_shows_its_object_focused_control_and_names_the_rest() {
    for name in SAMPLES {
        let f = sample_project(name);
        let root = sample(name).display().to_string();
        let mut d = open(&f, &root);
        let stops = d.s.app.annotate.task.as_ref().unwrap().focusables.len();
        d.screen(80, 24);
        for (w, h) in [(80, 24), (120, 40)] {
            // Every focus stop, so that each control is once the focused one.
            for _ in 0..stops {
                check_layout(name, w, h, &mut d);
                d.keys("J");
            }
        }
    }
}

#[test]
fn one_line_of_text_takes_a_few_rows_not_half_the_screen() {
    let f = sample_project("multi_control");
    let mut d = open(&f, ".");
    let screen = d.screen(80, 24);
    let top = screen
        .lines()
        .position(|l| l.contains("┌ question (Text)"))
        .unwrap();
    let bottom = screen
        .lines()
        .skip(top)
        .position(|l| l.starts_with('└'))
        .unwrap();
    assert!(bottom <= 4, "text pane of {bottom} rows\n{screen}");
}

fn mouse(d: &mut Driver, kind: crossterm::event::MouseEventKind, column: u16, row: u16) {
    d.s.feed(labelterm::tui::msg::Msg::Mouse(
        crossterm::event::MouseEvent {
            kind,
            column,
            row,
            modifiers: crossterm::event::KeyModifiers::NONE,
        },
    ));
}

/// Where `text` is on the screen: (column, row) of its first character.
fn find(screen: &str, text: &str) -> (u16, u16) {
    for (y, line) in screen.lines().enumerate() {
        if let Some(i) = line.find(text) {
            return (line[..i].chars().count() as u16, y as u16);
        }
    }
    panic!("{text} not on screen\n{screen}");
}

#[test]
fn mouse_clicks_toggle_choices_and_focus_panels_and_the_wheel_moves_through_them() {
    use crossterm::event::{MouseButton, MouseEventKind};
    let f = sample_project("multi_control");
    let mut d = open(&f, ".");
    for (w, h) in [(80, 24), (120, 40)] {
        let (screen, _) = d.frame(w, h);
        let (x, y) = find(&screen, "Spam");
        mouse(&mut d, MouseEventKind::Down(MouseButton::Left), x, y);
        assert_eq!(
            d.result()[0]["value"],
            json!({"choices": ["Spam"]}),
            "click on Spam at {w}x{h}"
        );
        assert_eq!(focused_control(&d).as_deref(), Some("relevance"));
        let (screen, _) = d.frame(w, h);
        let (x, y) = find(&screen, "Spam");
        mouse(&mut d, MouseEventKind::Down(MouseButton::Left), x, y);
        assert_eq!(d.result(), json!([]), "a second click takes it back");
        // A click anywhere on a panel focuses it.
        let (screen, _) = d.frame(w, h);
        let (x, y) = find(&screen, "clarity");
        mouse(&mut d, MouseEventKind::Down(MouseButton::Left), x, y);
        assert_eq!(focused_control(&d).as_deref(), Some("clarity"));
        // The wheel over the panels moves down and up through them.
        let (screen, _) = d.frame(w, h);
        let (x, y) = find(&screen, "clarity");
        mouse(&mut d, MouseEventKind::ScrollDown, x, y);
        assert_eq!(focused_control(&d).as_deref(), Some("priority"));
        mouse(&mut d, MouseEventKind::ScrollUp, x, y);
        mouse(&mut d, MouseEventKind::ScrollUp, x, y);
        assert_eq!(focused_control(&d).as_deref(), Some("category"));
    }
}

#[test]
fn the_pane_marker_names_the_next_hidden_pane() {
    let long = "word ".repeat(400);
    let mut config = String::from("<View>");
    for i in 0..9 {
        config.push_str(&format!("<Text name=\"part{i}\" value=\"$t\"/>"));
    }
    config.push_str("<Choices name=\"c\" toName=\"part0\"><Choice value=\"a\"/></Choices></View>");
    let f = project(&config, &json!([{"data": {"t": long}}]).to_string());
    let mut d = open(&f, ".");
    let (screen, _) = d.frame(80, 24);
    assert!(screen.contains("next: part"), "{screen}");
    assert!(screen.contains("more below"), "{screen}");
}

#[test]
fn a_prediction_line_wider_than_its_panel_ends_in_an_ellipsis() {
    // At 120 columns the panel is narrower than "ⓟ sentiment-bert-v2 · score 0.97 · 1
    // result(s)": the line used to stop at "1 result(", as if the text were broken.
    let f = sample_project("sentiment");
    let mut d = open(&f, ".");
    let screen = d.screen(120, 40);
    let line = screen
        .lines()
        .find(|l| l.contains("ⓟ sentiment-bert-v2"))
        .unwrap_or_else(|| panic!("no prediction line:\n{screen}"));
    let inner = line.rsplit('│').nth(1).expect("a bordered line");
    assert!(inner.trim_end().ends_with('…'), "{line}");
    assert!(!line.contains("result(│"), "{line}");
}

#[test]
fn at_80_columns_the_key_hint_and_a_long_message_are_not_cut_mid_word() {
    use labelterm::tui::app::Level;
    let f = sample_project("ner");
    let mut d = open(&f, ".");
    // The hint: wider than 80 columns, it keeps the help key, which used to fall off.
    d.s.app.message = None;
    let screen = d.screen(80, 24);
    let hint = screen
        .lines()
        .last()
        .unwrap_or_default()
        .trim_end()
        .to_string();
    assert!(hint.ends_with("? help"), "{hint:?}\n{screen}");
    let status_row = |screen: &str| screen.lines().position(|l| l.contains("│ task #1 │"));
    assert_eq!(status_row(&screen), Some(22), "{screen}");
    // A message wider than the terminal is wrapped between words over the rows it needs,
    // up to three; the screen above gives them up. It used to be cut at the 80th column.
    let words: Vec<String> = (1..=20).map(|i| format!("word{i}")).collect();
    d.s.app.message = Some((Level::Warn, words.join(" ")));
    let screen = d.screen(80, 24);
    assert_eq!(status_row(&screen), Some(21), "{screen}");
    let shown: Vec<&str> = screen
        .lines()
        .skip(22)
        .flat_map(|l| l.split_whitespace())
        .collect();
    assert_eq!(shown, words, "{screen}");
    // Longer than three rows: the third ends in an ellipsis.
    d.s.app.message = Some((Level::Warn, "word ".repeat(60).trim_end().to_string()));
    let screen = d.screen(80, 24);
    assert_eq!(status_row(&screen), Some(20), "{screen}");
    let last = screen
        .lines()
        .last()
        .unwrap_or_default()
        .trim_end()
        .to_string();
    assert!(last.ends_with('…'), "{last:?}");
    // A short terminal keeps one row for it.
    let screen = d.screen(80, 12);
    assert_eq!(status_row(&screen), Some(10), "{screen}");
    let last = screen
        .lines()
        .last()
        .unwrap_or_default()
        .trim_end()
        .to_string();
    assert!(last.ends_with('…'), "{last:?}");
}
