//! The annotator: `labelterm start`. A keyboard-first labeling UI over a project store.
//!
//! Flow: terminal key → keymap → [`action::Action`] → [`app::App::update`] (pure) →
//! [`app::Effect`]s → [`Session`] carries them out (SQLite writes, worker loads) → draw.
//! Every change is written to SQLite before the next frame shows it.

pub mod action;
pub mod app;
pub mod image_view;
pub mod input;
pub mod keymap;
pub mod media;
pub mod result;
pub mod terminal;
pub mod text;
pub mod theme;
pub mod view;

use crate::config::LabelConfig;
use crate::error::{Error, Result};
use crate::store::annotate::SubmitKind;
use crate::store::browse::PageKey;
use crate::store::{Sampling, Store};
use app::{App, Effect};
use crossterm::event::{Event, KeyEventKind};
use media::{Loaded, Loader};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::time::Duration;

/// Rows per task-list page.
pub const PAGE: usize = 100;

#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    pub project: PathBuf,
    pub user: String,
    pub theme: Option<String>,
    pub sampling: Option<Sampling>,
    /// `--media-root`: relative media paths not in the task's import folder resolve here.
    pub media_root: Option<PathBuf>,
    /// `--local-files-root` (else the environment, else the media root).
    pub local_files_root: Option<PathBuf>,
    pub upload_dir: Option<PathBuf>,
    /// `--allow-path`: more folders media may be read from.
    pub allow_paths: Vec<PathBuf>,
    pub keymap: Option<PathBuf>,
    pub no_color: bool,
}

impl StartOptions {
    /// The folders the annotator may read media from, besides each task's import folder.
    pub fn media_roots(&self) -> crate::media::Roots {
        crate::media::Roots {
            media_root: self.media_root.clone(),
            local_files_root: self
                .local_files_root
                .clone()
                .or_else(crate::media::Roots::local_files_root_from_env)
                .or_else(|| self.media_root.clone()),
            upload_dir: self.upload_dir.clone(),
            allow: self.allow_paths.clone(),
        }
    }
}

/// The annotator without a terminal: state, store and loader. Tests and the benchmark
/// drive it with keys.
pub struct Session {
    pub app: App,
    pub store: Store,
    loader: Loader,
    seed: u64,
}

impl Session {
    pub fn open(opts: &StartOptions, ls_keys: bool, loader: Loader) -> Result<Session> {
        let store = Store::open(&opts.project)?;
        let project = store.project()?;
        let config = LabelConfig::parse(&project.label_config).map_err(|error| Error::Config {
            file: format!("{} (stored label config)", opts.project.display()),
            error,
        })?;
        if let Some(s) = opts.sampling
            && s != project.sampling
        {
            store.set_sampling(s)?;
        }
        let theme = theme::Theme::load(opts.theme.as_deref(), opts.no_color)
            .map_err(|e| Error::Usage(e.to_string()))?;
        let mut keymap = keymap::Keymap::default_map(ls_keys);
        let user_keymap = opts.keymap.clone().or_else(|| {
            theme::config_dir()
                .map(|d| d.join("keymap.json"))
                .filter(|p| p.is_file())
        });
        if let Some(p) = user_keymap {
            keymap
                .apply_file(&p)
                .map_err(|e| Error::Usage(e.to_string()))?;
        }
        let user_id = store.user_id(&opts.user)?;
        let app = App::new(
            project.title.clone(),
            opts.project.display().to_string(),
            opts.user.clone(),
            user_id,
            opts.sampling.unwrap_or(project.sampling),
            config,
            theme,
            keymap,
            media::annotator_resolver(opts.media_roots()),
        );
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
            | 1;
        Ok(Session {
            app,
            store,
            loader,
            seed,
        })
    }

    /// Opens the first task: the user's latest draft, else the next task of the stream.
    pub fn start(&mut self) -> Vec<Effect> {
        match self.store.progress(self.app.user_id) {
            Ok(p) => self.app.progress = p,
            Err(e) => self.app.warn(format!("cannot count tasks: {e}")),
        }
        let first = match self.store.latest_draft_task(self.app.user_id) {
            Ok(Some(id)) => Effect::OpenTask(id),
            _ => Effect::NextTask { exclude: None },
        };
        self.run(vec![first])
    }

    fn next_seed(&mut self) -> u64 {
        let mut x = self.seed;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.seed = x;
        x
    }

    /// A terminal key: update, then carry out the effects. Returns the effects that need
    /// the terminal (editor, full image, player) or end the session.
    pub fn key(&mut self, ev: crossterm::event::KeyEvent) -> Vec<Effect> {
        let effects = self.app.key(ev);
        self.run(effects)
    }

    pub fn action(&mut self, a: action::Action) -> Vec<Effect> {
        let effects = self.app.update(a);
        self.run(effects)
    }

    pub fn loaded(&mut self, l: Loaded) {
        self.app.loaded(l);
    }

    /// After a frame: ask for images at the size they were drawn. Returns how many
    /// loads were asked for.
    pub fn after_draw(&mut self) -> usize {
        let e = self.app.image_requests();
        let n = e.len();
        self.run(e);
        n
    }

    fn open_task(&mut self, id: i64) -> Vec<Effect> {
        match self.store.task_full(id) {
            Ok(Some(full)) => {
                let draft = self.store.draft(id, self.app.user_id).unwrap_or(None);
                let from_history = self.app.history.get(self.app.hist_pos) == Some(&id);
                self.app.open_task(full, draft, from_history)
            }
            Ok(None) => {
                self.app.warn(format!("there is no task {id}"));
                Vec::new()
            }
            Err(e) => {
                self.app.message = Some((app::Level::Error, format!("cannot read task {id}: {e}")));
                Vec::new()
            }
        }
    }

    /// Carries out effects; returns those the caller must handle.
    pub fn run(&mut self, effects: Vec<Effect>) -> Vec<Effect> {
        let mut out = Vec::new();
        let mut queue: std::collections::VecDeque<Effect> = effects.into();
        while let Some(e) = queue.pop_front() {
            match e {
                Effect::SaveDraft {
                    task_id,
                    annotation_id,
                    result,
                    lead_time,
                } => {
                    let r = self
                        .store
                        .save_draft(task_id, self.app.user_id, annotation_id, &result, lead_time)
                        .map_err(|e| e.to_string());
                    self.app.draft_saved(r);
                }
                Effect::Save {
                    task_id,
                    result,
                    lead_time,
                    kind,
                    parent_prediction,
                } => {
                    let uid = self.app.user_id;
                    let (was_labeled, had_mine, others_done) =
                        self.app.task.as_ref().map_or((false, false, false), |t| {
                            (
                                t.full.task.is_labeled,
                                t.full
                                    .annotations
                                    .iter()
                                    .any(|a| a.completed_by == Some(uid)),
                                t.full
                                    .annotations
                                    .iter()
                                    .any(|a| a.completed_by != Some(uid) && !a.was_cancelled),
                            )
                        });
                    match self.store.save_annotation(
                        task_id,
                        uid,
                        &result,
                        lead_time,
                        kind,
                        parent_prediction,
                    ) {
                        Ok(_) => {
                            let now = kind == SubmitKind::Submit || others_done;
                            self.app.saved(
                                kind,
                                task_id,
                                now as i64 - was_labeled as i64,
                                i64::from(!had_mine),
                            );
                            queue.push_back(Effect::NextTask {
                                exclude: Some(task_id),
                            });
                        }
                        Err(e) => {
                            self.app.save = app::SaveState::Failed(e.to_string());
                            self.app.message = Some((app::Level::Error, format!("not saved: {e}")));
                        }
                    }
                }
                Effect::OpenTask(id) => queue.extend(self.open_task(id)),
                Effect::NextTask { exclude } => {
                    let seed = self.next_seed();
                    match self
                        .store
                        .next_task(self.app.user_id, self.app.sampling, exclude, seed)
                    {
                        Ok(Some(id)) => queue.extend(self.open_task(id)),
                        Ok(None) => {
                            let msg = self.app.message.clone();
                            self.app.no_task();
                            if let Some((app::Level::Ok, m)) = msg {
                                self.app.message = Some((
                                    app::Level::Ok,
                                    format!(
                                        "{m}. All tasks are done for you; t lists them, q quits."
                                    ),
                                ));
                            }
                        }
                        Err(e) => self.app.message = Some((app::Level::Error, e.to_string())),
                    }
                }
                Effect::ListPage {
                    key,
                    forward,
                    reset,
                } => {
                    let l = &self.app.list;
                    match self.store.list_page(
                        self.app.user_id,
                        l.filter,
                        l.sort,
                        key,
                        forward,
                        PAGE,
                    ) {
                        Ok(rows) => {
                            self.app.list_loaded(rows, forward, reset, PAGE);
                            if reset && self.app.list.count.is_none() {
                                self.app.list.count =
                                    self.store.list_count(self.app.list.filter).ok();
                            }
                        }
                        Err(e) => self.app.message = Some((app::Level::Error, e.to_string())),
                    }
                }
                Effect::ListJump(id) => self.list_jump(id),
                Effect::Load(req) => self.loader.request(req),
                other => out.push(other),
            }
        }
        out
    }

    fn list_jump(&mut self, id: i64) {
        let key = match self.store.list_key(id) {
            Ok(Some(k)) => k,
            _ => {
                self.app.warn(format!("there is no task {id}"));
                return;
            }
        };
        self.app.screen = app::Screen::List;
        let uid = self.app.user_id;
        let (filter, sort) = (self.app.list.filter, self.app.list.sort);
        let back = self
            .store
            .list_page(uid, filter, sort, Some(key), false, 20)
            .unwrap_or_default();
        let from: Option<PageKey> = back.last().map(|r| r.key());
        let fwd = self
            .store
            .list_page(uid, filter, sort, from, true, PAGE)
            .unwrap_or_default();
        let l = &mut self.app.list;
        l.at_start = back.len() < 20;
        l.at_end = fwd.len() < PAGE;
        l.cursor = back
            .len()
            .min(back.len() + fwd.len())
            .min((back.len() + fwd.len()).saturating_sub(1));
        l.rows = back;
        l.rows.extend(fwd);
        if l.count.is_none() {
            l.count = self.store.list_count(filter).ok();
        }
    }
}

/// `labelterm start`: runs the annotator until the user quits.
pub fn start(opts: StartOptions) -> Result<()> {
    // Open everything first so that errors print plainly, before the screen changes.
    let (tx, rx) = channel::<Msg>();
    let sink_tx = std::sync::Mutex::new(tx.clone());
    let loader = Loader::spawn(
        2,
        Arc::new(move |l: Loaded| {
            if let Ok(t) = sink_tx.lock() {
                let _ = t.send(Msg::Loaded(l));
            }
        }),
    );
    let mut session = Session::open(&opts, false, loader)?;
    let (mut term, _guard, enhanced) =
        terminal::enter(true).map_err(|e| Error::Other(format!("terminal: {e}")))?;
    session.app.keymap.ls_keys = enhanced;
    let paused = Arc::new(AtomicBool::new(false));
    let idle = Arc::new(AtomicBool::new(false));
    spawn_input(tx, paused.clone(), idle.clone());
    let mut pending = session.start();
    let io = |e: std::io::Error| Error::Other(format!("terminal: {e}"));
    loop {
        for e in std::mem::take(&mut pending) {
            match e {
                Effect::Quit => return Ok(()),
                Effect::ExternalEditor {
                    control,
                    entry,
                    text,
                } => {
                    pause(&paused, &idle);
                    let edited =
                        terminal::suspended(&mut term, || run_editor(&text)).map_err(io)?;
                    paused.store(false, Ordering::SeqCst);
                    match edited {
                        Ok(t) => {
                            let e = session.app.external_text(&control, entry, t);
                            pending.extend(session.run(e));
                        }
                        Err(m) => session.app.warn(m),
                    }
                }
                Effect::FullImage { source, regions } => {
                    pause(&paused, &idle);
                    let r = terminal::suspended(&mut term, || show_image(&source, &regions))
                        .map_err(io)?;
                    paused.store(false, Ordering::SeqCst);
                    if let Err(m) = r {
                        session.app.warn(m);
                    }
                }
                Effect::Play(path) => match std::env::var("LABELTERM_PLAYER") {
                    Ok(player) if !player.trim().is_empty() => {
                        let mut parts = player.split_whitespace();
                        let prog = parts.next().unwrap_or_default();
                        let spawned = std::process::Command::new(prog)
                            .args(parts)
                            .arg(&path)
                            .stdin(std::process::Stdio::null())
                            .stdout(std::process::Stdio::null())
                            .stderr(std::process::Stdio::null())
                            .spawn();
                        match spawned {
                            Ok(_) => session.app.info(format!("playing with {prog}")),
                            Err(e) => session.app.warn(format!("cannot run {prog}: {e}")),
                        }
                    }
                    _ => session
                        .app
                        .info("set LABELTERM_PLAYER to a player command (e.g. mpv) to play media"),
                },
                _ => {}
            }
        }
        if session.app.quit {
            return Ok(());
        }
        term.draw(|f| view::draw(f, &session.app)).map_err(io)?;
        session.after_draw();
        let Ok(msg) = rx.recv() else { return Ok(()) };
        let mut batch = vec![msg];
        // Drain what else arrived, so a burst of keys draws once.
        while let Ok(m) = rx.try_recv() {
            batch.push(m);
            if batch.len() > 64 {
                break;
            }
        }
        for msg in batch {
            match msg {
                Msg::Term(Event::Key(k)) if k.kind != KeyEventKind::Release => {
                    pending.extend(session.key(k));
                }
                Msg::Term(Event::Resize(..)) => {
                    let _ = term.autoresize();
                }
                Msg::Loaded(l) => session.loaded(l),
                Msg::Term(_) => {}
            }
            if !pending.is_empty() || session.app.quit {
                break;
            }
        }
    }
}

enum Msg {
    Term(Event),
    Loaded(Loaded),
}

fn spawn_input(tx: Sender<Msg>, paused: Arc<AtomicBool>, idle: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        loop {
            if paused.load(Ordering::SeqCst) {
                idle.store(true, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
            idle.store(false, Ordering::SeqCst);
            match crossterm::event::poll(Duration::from_millis(50)) {
                Ok(true) => match crossterm::event::read() {
                    Ok(ev) => {
                        if tx.send(Msg::Term(ev)).is_err() {
                            return;
                        }
                    }
                    Err(_) => return,
                },
                Ok(false) => {}
                Err(_) => return,
            }
        }
    });
}

/// Stops the input thread from reading the terminal (while another program owns it).
fn pause(paused: &AtomicBool, idle: &AtomicBool) {
    paused.store(true, Ordering::SeqCst);
    for _ in 0..100 {
        if idle.load(Ordering::SeqCst) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Edits text in `$VISUAL`/`$EDITOR` (else `vi`) through a temporary file.
fn run_editor(text: &str) -> std::result::Result<String, String> {
    let editor = std::env::var("VISUAL")
        .or_else(|_| std::env::var("EDITOR"))
        .unwrap_or_else(|_| "vi".into());
    // Removed on return; one left by a killed annotator is removed by the next edit.
    let staging = crate::staging::Staging::claim(&std::env::temp_dir(), "labelterm-editor")
        .map_err(|e| e.to_string())?;
    let dir = staging.path();
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let path = dir.join("textarea.txt");
    std::fs::write(&path, text).map_err(|e| e.to_string())?;
    let mut parts = editor.split_whitespace();
    let prog = parts.next().unwrap_or("vi");
    let status = std::process::Command::new(prog)
        .args(parts)
        .arg(&path)
        .status()
        .map_err(|e| format!("cannot run {prog}: {e}"))?;
    let out = std::fs::read_to_string(&path).map_err(|e| e.to_string());
    drop(staging);
    if !status.success() {
        return Err(format!("{prog} exited with {status}; text not changed"));
    }
    out
}

/// Prints the image with its regions burned in through viuer, then waits for Enter.
fn show_image(
    source: &media::Source,
    regions: &[serde_json::Value],
) -> std::result::Result<(), String> {
    let bytes = media::fetch(source)?;
    let mut img = image::load_from_memory(&bytes)
        .map_err(|e| format!("cannot decode image: {e}"))?
        .to_rgb8();
    let (w, h) = img.dimensions();
    for r in regions {
        let v = &r["value"];
        let g = |k: &str| v.get(k).and_then(serde_json::Value::as_f64);
        if let (Some(x), Some(y), Some(rw), Some(rh)) = (g("x"), g("y"), g("width"), g("height")) {
            let x0 = (x / 100.0 * w as f64) as u32;
            let y0 = (y / 100.0 * h as f64) as u32;
            let x1 = (((x + rw) / 100.0 * w as f64) as u32).min(w.saturating_sub(1));
            let y1 = (((y + rh) / 100.0 * h as f64) as u32).min(h.saturating_sub(1));
            for px in x0.min(x1)..=x1 {
                for py in [y0.min(h - 1), y1] {
                    img.put_pixel(px, py, image::Rgb([255, 255, 0]));
                }
            }
            for py in y0.min(y1)..=y1 {
                for px in [x0.min(w - 1), x1] {
                    img.put_pixel(px, py, image::Rgb([255, 255, 0]));
                }
            }
        }
    }
    let (cols, rows) = crossterm::terminal::size().unwrap_or((80, 24));
    let conf = viuer::Config {
        absolute_offset: false,
        width: Some(cols as u32),
        height: Some(rows.saturating_sub(2) as u32),
        ..Default::default()
    };
    println!();
    viuer::print(&image::DynamicImage::ImageRgb8(img), &conf)
        .map_err(|e| format!("cannot show image: {e}"))?;
    println!(
        "\n{} — press Enter to go back",
        crate::util::sanitize(&source.describe(), false)
    );
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    Ok(())
}

/// `labelterm start`'s arguments.
#[derive(clap::Args, Debug)]
pub struct StartArgs {
    /// The project file (SQLite); with --init, the one to create.
    pub project: PathBuf,
    /// Who is annotating (default: $USER); annotations record it.
    #[arg(long)]
    pub user: Option<String>,
    /// Theme: dark, light, high-contrast, colorblind, or a JSON file.
    #[arg(long)]
    pub theme: Option<String>,
    /// Next-task order: sequential, uniform, prediction-score-min, prediction-score-max
    /// (saved in the project).
    #[arg(long, value_parser = parse_sampling)]
    pub sampling: Option<Sampling>,
    /// Folder where relative media paths (images, audio, text) are looked up when they are
    /// not in the folder the task was imported from; also the local-files root when none
    /// is given.
    #[arg(long = "media-root", alias = "image-root", value_name = "DIR")]
    pub media_root: Option<PathBuf>,
    /// Label Studio's LOCAL_FILES_DOCUMENT_ROOT: /data/local-files/?d=<path> is read under
    /// it (default: that environment variable, else the media root).
    #[arg(long = "local-files-root", value_name = "DIR")]
    pub local_files_root: Option<PathBuf>,
    /// Label Studio's media upload directory: /data/upload/1/x.png is read as DIR/1/x.png.
    #[arg(long = "upload-dir", value_name = "DIR")]
    pub upload_dir: Option<PathBuf>,
    /// Also read media from this folder (repeatable). Media is otherwise read only from
    /// the task's import folder, --media-root, --local-files-root and --upload-dir.
    #[arg(long = "allow-path", value_name = "DIR")]
    pub allow_path: Vec<PathBuf>,
    /// A keymap file that rebinds keys (default: keymap.json in the config directory).
    #[arg(long, value_name = "FILE")]
    pub keymap: Option<PathBuf>,
    /// Create the project first (with --label-config and --input-path).
    #[arg(long)]
    pub init: bool,
    #[arg(long = "label-config", value_name = "CONFIG.xml", requires = "init")]
    pub label_config: Option<PathBuf>,
    #[command(flatten)]
    pub input: crate::cli::InputArgs,
}

fn parse_sampling(s: &str) -> std::result::Result<Sampling, String> {
    Sampling::parse(s).ok_or_else(|| {
        format!(
            "unknown sampling {s:?}; use one of: {}",
            Sampling::NAMES.join(", ")
        )
    })
}

/// The `start` command.
pub fn run_cli(args: StartArgs) -> Result<std::process::ExitCode> {
    let user = args.user.clone().unwrap_or_else(crate::cli::default_user);
    if args.init {
        let config = args
            .label_config
            .as_ref()
            .ok_or_else(|| Error::Usage("--init needs --label-config".into()))?;
        let (_, report) = crate::cli::init_project(
            &args.project,
            config,
            &args.input,
            args.sampling.unwrap_or(Sampling::Sequential),
            None,
            &user,
        )?;
        eout!(
            "created {} ({} task(s))",
            args.project.display(),
            report.tasks()
        );
    } else if !args.input.input_path.is_empty() {
        return Err(Error::Usage(
            "--input-path with start needs --init (or use `labelterm import`)".into(),
        ));
    }
    let dirs = [
        ("--media-root", args.media_root.as_ref()),
        ("--local-files-root", args.local_files_root.as_ref()),
        ("--upload-dir", args.upload_dir.as_ref()),
    ];
    for (flag, dir) in dirs
        .into_iter()
        .chain(args.allow_path.iter().map(|d| ("--allow-path", Some(d))))
    {
        if let Some(dir) = dir
            && !dir.is_dir()
        {
            return Err(Error::Usage(format!(
                "{flag} {}: not a directory",
                dir.display()
            )));
        }
    }
    start(StartOptions {
        project: args.project,
        user,
        theme: args.theme,
        sampling: args.sampling,
        media_root: args.media_root,
        local_files_root: args.local_files_root,
        upload_dir: args.upload_dir,
        allow_paths: args.allow_path,
        keymap: args.keymap,
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
    })?;
    Ok(std::process::ExitCode::SUCCESS)
}
