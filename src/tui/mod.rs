//! The annotator: `labelterm start`. A keyboard-first labeling UI over a project store.
//!
//! Flow: every outcome (a key, a store reply, loaded media, the last frame's layout) is a
//! [`msg::Msg`] → [`app::App::update`] (the only state changer) → [`app::Effect`]s →
//! [`runtime`] carries them out (SQLite writes, jobs, worker loads) and feeds what came of
//! them back as messages → draw (pure; it returns the layout facts it learned).
//! Every change is written to SQLite before the next frame shows it.

pub mod action;
pub mod app;
pub mod chart;
pub mod image_view;
pub mod input;
pub mod jobs;
pub mod keymap;
pub mod media;
pub mod msg;
pub mod popups;
pub mod result;
pub mod runtime;
pub mod screens;
pub mod shared;
pub mod strings;
pub mod sync;
pub mod terminal;
pub mod text;
pub mod theme;
pub mod view;
pub mod widgets;

use crate::store::Sampling;
pub use runtime::{Session, start};
use std::path::PathBuf;

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
    /// `--no-prelabel`: this run does not start tasks from their predictions, whatever
    /// the project's setting.
    pub no_prelabel: bool,
    /// `--no-mouse`: leave the mouse to the terminal (its own selection and scrolling).
    pub no_mouse: bool,
    /// The screen to open on: the next task to label (`start`), the review (`--review`),
    /// or another.
    pub first_screen: screens::Screen,
    /// The project goes when the session ends (`inspect`): the screen says so, so nobody
    /// labels there thinking the work is kept.
    pub temporary: bool,
    /// `--sync`: each submit and skip is sent to the linked Label Studio server.
    pub sync: bool,
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
