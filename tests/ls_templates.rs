//! The template suite: every labeling template an installed Label Studio ships, with the
//! sample task Label Studio itself makes for it, opened in the annotator.
//!
//! `tests/templates/make_samples.py` writes the templates and sample tasks with Label
//! Studio's own code; `LABELTERM_LS_PYTHON` names the Python that has `label-studio`
//! installed (`.ci/run` sets it up). Without it the suite is skipped.
//!
//! For each template: the project is made and the task imported through the library, the
//! annotator opens it, and frames are drawn while the focus moves through every pane as
//! the focus key moves it. Every control must be named on screen when it has the focus
//! (and be more than a placeholder), every object pane must be drawn, nothing may panic,
//! and the export formats offered must be Label Studio's. All failures are reported
//! together, one line each.

#[path = "annotator/mod.rs"]
mod common;

use common::{Driver, key_event};
use labelterm::config::{ControlKind, LabelConfig, ObjectKind};
use labelterm::export::{ExportType, supported_formats};
use labelterm::project::NewProject;
use labelterm::tui::action::Action;
use labelterm::tui::app::Focus;
use labelterm::tui::keymap::Ctx;
use labelterm::tui::{Session, StartOptions, media};
use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::Command;

const ENV: &str = "LABELTERM_LS_PYTHON";
const WIDE: (u16, u16) = (120, 40);
const SMALL: (u16, u16) = (80, 24);

#[test]
fn every_label_studio_template_opens_with_every_control_drawn() {
    let Some(python) = std::env::var_os(ENV).filter(|p| !p.is_empty()) else {
        eprintln!(
            "skipped: {ENV} is not set (it names a Python with label-studio installed; .ci/run sets it up)"
        );
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/templates/make_samples.py");
    let run = Command::new(&python)
        .arg(&script)
        .arg(out.path())
        .output()
        .unwrap_or_else(|e| panic!("{ENV}={python:?} does not run: {e}"));
    assert!(
        run.status.success(),
        "make_samples.py failed:\n{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let mut templates: Vec<PathBuf> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("config.xml").is_file())
        .collect();
    templates.sort();
    assert!(
        templates.len() >= 60,
        "Label Studio ships more templates than {}",
        templates.len()
    );
    let mut failures = Vec::new();
    for dir in &templates {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let found = catch_unwind(AssertUnwindSafe(|| check_template(dir)))
            .unwrap_or_else(|p| vec![format!("panicked: {}", panic_text(&p))]);
        failures.extend(found.into_iter().map(|f| format!("{name}: {f}")));
    }
    let failed: BTreeSet<&str> = failures
        .iter()
        .filter_map(|f| f.split(':').next())
        .collect();
    eprintln!(
        "{} of {} templates pass",
        templates.len() - failed.len(),
        templates.len()
    );
    assert!(
        failures.is_empty(),
        "{} template(s) fail:\n{}",
        failed.len(),
        failures.join("\n")
    );
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "(no message)".into())
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// One template's problems, one line each.
fn check_template(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let config_path = dir.join("config.xml");
    let source = std::fs::read_to_string(&config_path).unwrap();
    let config = match LabelConfig::parse(&source) {
        Ok(c) => c,
        Err(e) => return vec![format!("config does not parse: {e}")],
    };
    out.extend(check_formats(dir, &config));

    let db = dir.join("p.db");
    let new = NewProject {
        inputs: vec![dir.join("task.json").display().to_string()],
        ..NewProject::new(&config_path, "importer")
    };
    if let Err(e) = labelterm::project::create(&db, &new) {
        out.push(format!("project init or import fails: {e}"));
        return out;
    }
    let opts = StartOptions {
        project: db,
        user: "ann".into(),
        media_root: Some(dir.to_path_buf()),
        no_prelabel: true,
        ..Default::default()
    };
    let (loader, loads) = media::channel_loader(1);
    let mut s = match Session::open(&opts, false, loader) {
        Ok(s) => s,
        Err(e) => {
            out.push(format!("annotator does not open: {e}"));
            return out;
        }
    };
    s.start();
    let mut d = Driver { s, loads };
    d.settle();
    let Some(t) = d.s.app.annotate.task.as_ref() else {
        out.push(format!("no task opened: {}", d.message()));
        return out;
    };
    // The config as opened for this task (Repeaters expanded).
    let config = t.config.clone();
    let focusables = t.focusables.clone();
    let data = t.data.clone();
    let next_keys = d.s.app.keymap.keys_for(Ctx::Task, Action::FocusNext);
    assert!(!next_keys.is_empty(), "a key moves the focus");

    // Every focus stop, drawn as the user sees it when the focus arrives there.
    let mut frames: Vec<(Option<Focus>, String)> = Vec::new();
    for _ in 0..=focusables.len() {
        let focus_now = |d: &Driver| {
            d.s.app
                .annotate
                .task
                .as_ref()
                .map(|t| (t.focus, t.focusables.get(t.focus).copied()))
        };
        let before = focus_now(&d);
        let (screen, _) = d.frame(WIDE.0, WIDE.1);
        frames.push((before.and_then(|b| b.1), screen));
        if focusables.len() < 2 {
            break;
        }
        // The first focus key that moves the focus from here, as a user tries them: the
        // focused pane may take some of them for itself.
        let moved = next_keys.iter().any(|k| {
            d.s.key(key_event(k));
            focus_now(&d) != before
        });
        if !moved {
            out.push(format!(
                "no focus key ({}) moves the focus on from {:?}",
                next_keys.join(", "),
                before.and_then(|b| b.1)
            ));
            break;
        }
    }
    let (small, _) = d.frame(SMALL.0, SMALL.1);
    frames.push((None, small));

    let focused_frame = |f: Focus| {
        frames
            .iter()
            .find(|(at, _)| *at == Some(f))
            .map(|(_, s)| s.as_str())
    };
    let anywhere = |text: &str| frames.iter().any(|(_, s)| s.contains(text));
    for (ci, c) in config.controls.iter().enumerate() {
        if c.kind == ControlKind::Relations {
            continue;
        }
        let what = format!("control {} ({})", c.name, c.tag);
        if focusables.contains(&Focus::Control(ci)) {
            match focused_frame(Focus::Control(ci)) {
                None => out.push(format!("{what}: the focus key never reaches it")),
                Some(screen) if !screen.contains(c.name.as_str()) => {
                    out.push(format!("{what}: not named on screen when focused"))
                }
                Some(screen) if screen.contains(&format!("{} is shown but not edited", c.tag)) => {
                    out.push(format!("{what}: drawn as a placeholder, not editable"))
                }
                Some(screen) => {
                    if let Some(option) = first_option(c, &data)
                        && !screen.contains(&option)
                    {
                        out.push(format!(
                            "{what}: its first option {option:?} is not shown when focused"
                        ));
                    }
                }
            }
        } else {
            // A control drawn inside its object's pane: the pane or the control is named.
            let named = anywhere(&c.name)
                || c.to_name
                    .iter()
                    .any(|o| config.object(o).is_some() && anywhere(&format!(" {o} (")));
            if !named {
                out.push(format!("{what}: neither it nor its object's pane is drawn"));
            }
        }
    }
    for o in &config.objects {
        if o.kind == ObjectKind::Header {
            continue;
        }
        if !anywhere(&format!(" {} ({}) ", o.name, o.tag)) {
            out.push(format!(
                "object {} ({}): its pane is never drawn",
                o.name, o.tag
            ));
        }
    }
    out
}

/// The export formats offered for the config are Label Studio's, among those this build
/// writes.
fn check_formats(dir: &Path, config: &LabelConfig) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(dir.join("formats.json")) else {
        return vec!["formats.json missing".into()];
    };
    let theirs: Vec<String> = serde_json::from_str(&text).unwrap();
    let written: BTreeSet<&str> = ExportType::ALL.iter().map(|t| t.name()).collect();
    let theirs: BTreeSet<&str> = theirs
        .iter()
        .map(String::as_str)
        .filter(|n| written.contains(n))
        .collect();
    let ours: BTreeSet<&str> = supported_formats(config).iter().map(|t| t.name()).collect();
    if ours == theirs {
        Vec::new()
    } else {
        vec![format!(
            "export formats differ: Label Studio offers {theirs:?}, labelterm {ours:?}"
        )]
    }
}

/// The start of the first option a control offers (its first Choice or Label, else the
/// first of the options its task data gives), as a panel lists it; `None` for controls
/// without a list of options.
fn first_option(c: &labelterm::config::ControlTag, data: &serde_json::Value) -> Option<String> {
    if !(c.kind == ControlKind::Choices || c.kind.makes_regions()) {
        return None;
    }
    // An option with `html` shows that (as text), as Label Studio's editor does.
    let shown = |value: &str, html: Option<&str>| match html {
        Some(h) if !labelterm::tui::text::html_label(h).is_empty() => {
            labelterm::tui::text::html_label(h)
        }
        _ => value.to_string(),
    };
    let value = match (c.labels.first(), c.dynamic_labels.as_deref()) {
        (Some(l), _) => shown(&l.value, l.html.as_deref()),
        (None, Some(key)) => match data.get(key)?.as_array()?.first()? {
            serde_json::Value::String(s) => s.clone(),
            o => shown(
                o.get("value")?.as_str()?,
                o.get("html").and_then(|h| h.as_str()),
            ),
        },
        (None, None) => return None,
    };
    // Panels cut long options to their width: the start is enough to find it.
    let start: String = value.trim().chars().take(12).collect();
    (!start.is_empty()).then_some(start)
}
