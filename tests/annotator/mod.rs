//! Helpers for the annotator tests: projects made from the samples, a session driven by
//! keys, and screens drawn into ratatui's TestBackend.
#![allow(dead_code)]

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use labelterm::project::NewProject;
use labelterm::tui::{Session, StartOptions, media};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;
use std::time::Duration;

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
}

pub fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

/// A project from a config text and a task file's text.
pub fn project(config: &str, tasks_json: &str) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.xml");
    std::fs::write(&cfg, config).unwrap();
    let tasks = dir.path().join("tasks.json");
    std::fs::write(&tasks, tasks_json).unwrap();
    make(dir, &cfg, &tasks)
}

/// A project from one of the samples.
pub fn sample_project(name: &str) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    make(
        dir,
        &sample(name).join("config.xml"),
        &sample(name).join("tasks.json"),
    )
}

fn make(dir: tempfile::TempDir, cfg: &Path, tasks: &Path) -> Fixture {
    let db = dir.path().join("p.db");
    let new = NewProject {
        inputs: vec![tasks.display().to_string()],
        ..NewProject::new(cfg, "importer")
    };
    labelterm::project::create(&db, &new).unwrap();
    Fixture { dir, db }
}

pub struct Driver {
    pub s: Session,
    pub loads: Receiver<media::Loaded>,
}

pub fn open(f: &Fixture, image_root: &str) -> Driver {
    open_with(f, image_root, "ann", false)
}

/// A session as a user; these tests start from an empty result (no pre-labelling), the
/// pre-labelling tests open with [`open_opts`].
pub fn open_with(f: &Fixture, image_root: &str, user: &str, no_color: bool) -> Driver {
    open_opts(StartOptions {
        project: f.db.clone(),
        user: user.into(),
        media_root: Some(PathBuf::from(image_root)),
        no_color,
        no_prelabel: true,
        ..Default::default()
    })
}

/// A session on any start options, started and settled.
pub fn open_opts(opts: StartOptions) -> Driver {
    let (loader, loads) = media::channel_loader(1);
    let mut s = Session::open(&opts, false, loader).unwrap();
    let rest = s.start();
    assert!(rest.is_empty(), "{rest:?}");
    let mut d = Driver { s, loads };
    d.settle();
    d
}

impl Driver {
    /// Presses keys written as in a keymap file, space-separated (`j j enter ctrl-r`).
    pub fn keys(&mut self, keys: &str) {
        for k in keys.split(' ').filter(|k| !k.is_empty()) {
            let ev = key_event(k);
            let rest = self.s.key(ev);
            assert!(
                rest.iter()
                    .all(|e| !matches!(e, labelterm::tui::app::Effect::Quit)),
                "unexpected quit"
            );
        }
        self.settle();
    }

    /// Types text into an editor, one key per character.
    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.s
                .key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
    }

    /// Waits for pending loads (text by URL, audio facts) to arrive.
    pub fn settle(&mut self) {
        while let Ok(l) = self.loads.recv_timeout(Duration::from_millis(
            if self.s.app.annotate.task.is_some() {
                60
            } else {
                1
            },
        )) {
            self.s.loaded(l);
        }
    }

    /// Draws into a TestBackend, lets images load at the drawn size, draws again. It waits
    /// long for a first load only when the frame asked for one, so that a screen with
    /// nothing to load costs no more than a short look.
    pub fn screen(&mut self, w: u16, h: u16) -> String {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        let asked = self.s.draw(&mut term).unwrap();
        let mut waited = false;
        while let Ok(l) = self
            .loads
            .recv_timeout(Duration::from_millis(if waited || asked == 0 {
                100
            } else {
                3000
            }))
        {
            self.s.loaded(l);
            waited = true;
        }
        self.s.draw(&mut term).unwrap();
        labelterm::tui::view::buffer_text(term.backend().buffer())
    }

    /// Draws one frame into a TestBackend without waiting for loads; returns the screen
    /// and how long the frame took.
    /// The whole frame, styles included (after loads arrive, as [`Driver::screen`]).
    pub fn buffer(&mut self, w: u16, h: u16) -> ratatui::buffer::Buffer {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        self.screen(w, h);
        self.s.draw(&mut term).unwrap();
        term.backend().buffer().clone()
    }

    pub fn frame(&mut self, w: u16, h: u16) -> (String, Duration) {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        let mut facts = labelterm::tui::msg::LayoutFacts::default();
        let t = std::time::Instant::now();
        term.draw(|f| facts = labelterm::tui::view::draw(f, &self.s.app))
            .unwrap();
        let took = t.elapsed();
        self.s.after_draw(facts);
        (
            labelterm::tui::view::buffer_text(term.backend().buffer()),
            took,
        )
    }

    /// Ends the session as `kill -9` would: nothing more is written, and its claim is
    /// gone the way the next claimer finds a dead process's (the process of these tests
    /// lives on, so its row is removed here).
    pub fn kill(self, db: &Path) {
        let id = self.s.annotator().session.id;
        drop(self);
        rusqlite::Connection::open(db)
            .unwrap()
            .execute("DELETE FROM sessions WHERE id = ?1", [id])
            .unwrap();
    }

    pub fn result(&self) -> serde_json::Value {
        serde_json::Value::Array(
            self.s
                .app
                .annotate
                .task
                .as_ref()
                .unwrap()
                .draft
                .result()
                .to_vec(),
        )
    }

    pub fn task_id(&self) -> i64 {
        self.s.app.annotate.task.as_ref().unwrap().full.task.id
    }

    pub fn message(&self) -> String {
        self.s
            .app
            .message
            .as_ref()
            .map(|m| m.1.clone())
            .unwrap_or_default()
    }
}

pub fn key_event(k: &str) -> KeyEvent {
    let spec = labelterm::tui::keymap::KeySpec::parse(k).unwrap_or_else(|| panic!("key {k}"));
    use labelterm::tui::keymap::KeyCodeOrd as K;
    let code = match spec.code {
        K::Char(c) => KeyCode::Char(c),
        K::Enter => KeyCode::Enter,
        K::Esc => KeyCode::Esc,
        K::Tab => KeyCode::Tab,
        K::BackTab => KeyCode::BackTab,
        K::Backspace => KeyCode::Backspace,
        K::Delete => KeyCode::Delete,
        K::Up => KeyCode::Up,
        K::Down => KeyCode::Down,
        K::Left => KeyCode::Left,
        K::Right => KeyCode::Right,
        K::Home => KeyCode::Home,
        K::End => KeyCode::End,
        K::PageUp => KeyCode::PageUp,
        K::PageDown => KeyCode::PageDown,
        K::F(n) => KeyCode::F(n),
    };
    let mut m = KeyModifiers::NONE;
    if spec.ctrl {
        m |= KeyModifiers::CONTROL;
    }
    if spec.alt {
        m |= KeyModifiers::ALT;
    }
    if spec.shift || matches!(code, KeyCode::Char(c) if c.is_ascii_uppercase()) {
        m |= KeyModifiers::SHIFT;
    }
    KeyEvent::new(code, m)
}

/// Rows of a SQL query on the project, as strings joined by `|`.
pub fn sql(db: &Path, q: &str) -> Vec<String> {
    let c = rusqlite::Connection::open(db).unwrap();
    let mut st = c.prepare(q).unwrap();
    let n = st.column_count();
    st.query_map([], |r| {
        Ok((0..n)
            .map(|i| match r.get_ref(i).unwrap() {
                rusqlite::types::ValueRef::Null => "NULL".to_string(),
                rusqlite::types::ValueRef::Integer(i) => i.to_string(),
                rusqlite::types::ValueRef::Real(f) => f.to_string(),
                rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                rusqlite::types::ValueRef::Blob(_) => "<blob>".into(),
            })
            .collect::<Vec<_>>()
            .join("|"))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}
