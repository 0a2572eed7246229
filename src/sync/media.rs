//! Task media on their way to a Label Studio server (`link --media file|post`).
//!
//! Only the data keys the label config shows as media are touched: those of `Image`,
//! `Audio`, `Video`, `PDF` and `TimeSeries` (unless `valueType="json"`), and of any other
//! object tag with `valueType="url"` (`Text`, `HyperText`, `Paragraphs`...). A value there
//! is a string or a list of strings; text stays text, and other values go as they are.
//!
//! - URLs go as they are under every method: `http(s)://`, `s3://`, `gs://`, any other
//!   `scheme://` but `file://`, `data:`, and the server's own `/data/upload/...`.
//! - `file`: a local path (relative to the task's import folder or `--media-root`,
//!   absolute, or a `file://` URL) or a `/data/local-files/?d=` URL becomes
//!   `/data/local-files/?d=PATH`, `PATH` relative to the server's
//!   `LOCAL_FILES_DOCUMENT_ROOT`. Label Studio serves such a file only from a folder of a
//!   local-files storage of the project (never the document root itself), so the project
//!   gets one for each group of files no storage of it covers yet: the deepest folder that
//!   holds them all (one group per folder right under the document root).
//! - `post`: a local path's file is uploaded (the import API with `commit_to_project=false`
//!   keeps the file and makes no task) and the task carries the server's
//!   `/data/upload/...` address. Uploads are recorded by content: no file goes twice.
//!   `/data/local-files/?d=` URLs go as they are (the server's own files).
//!
//! Every local value is resolved by [`crate::media`], as the annotator resolves it: a file
//! is used only when, after `..` and every symbolic link, it lies in the task's import
//! folder, `--media-root`, the local-files root or an `--allow-path` folder. Under `file`
//! it must also lie below the document root, since the server reads it from there.

use super::link::MediaMethod;
use super::{Client, SyncError};
use crate::config::{LabelConfig, ObjectKind, ObjectTag};
use crate::media::{Media, Origin, Resolver, Roots};
use crate::store::{PushTask, ServerLink, Store, StoreError};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// File name extensions Label Studio's upload takes (`SUPPORTED_EXTENSIONS`).
pub const UPLOAD_EXTENSIONS: &[&str] = &[
    "bmp", "csv", "flac", "gif", "htm", "html", "jpg", "jpeg", "json", "m4a", "mp3", "ogg", "png",
    "svg", "tsv", "txt", "wav", "xml", "mp4", "webm", "webp", "pdf",
];

/// Title of the local-files storages made for a project's media.
const STORAGE_TITLE: &str = "labelterm media";

/// At most this many values are listed in one error.
const LISTED: usize = 20;

/// One media value that cannot go to the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub task: i64,
    pub field: String,
    pub value: String,
    pub reason: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "task {}, field {}, file {}: {}",
            self.task,
            self.field,
            crate::media::shown(&self.value),
            self.reason
        )
    }
}

fn problem_list(problems: &[Problem]) -> String {
    let mut lines: Vec<String> = problems
        .iter()
        .take(LISTED)
        .map(|p| format!("  {p}"))
        .collect();
    if problems.len() > LISTED {
        lines.push(format!("  ... and {} more", problems.len() - LISTED));
    }
    lines.join("\n")
}

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("{} media value(s) cannot go to the server; nothing of these tasks was sent:\n{}", .0.len(), problem_list(.0))]
    Values(Vec<Problem>),
    #[error(
        "--media file needs the server's LOCAL_FILES_DOCUMENT_ROOT: pass --document-root DIR or set LOCAL_FILES_DOCUMENT_ROOT"
    )]
    NoDocumentRoot,
    #[error("document root {path}: {message}")]
    BadDocumentRoot { path: String, message: String },
    #[error(
        "the Label Studio server at {url} does not serve local files: start it with LOCAL_FILES_SERVING_ENABLED=true and LOCAL_FILES_DOCUMENT_ROOT set to the folder that holds the media (or use --media post)"
    )]
    ServingOff { url: String },
    #[error(
        "the project's label config reads no media (no Image, Audio, Video, PDF or TimeSeries, and no valueType=\"url\"): use --media url"
    )]
    NoMediaKeys,
    #[error("the project's label config does not parse: {0}")]
    Config(String),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn is_media_object(o: &ObjectTag) -> bool {
    let value_type = o.value_type.as_deref().map(str::to_ascii_lowercase);
    match o.kind {
        ObjectKind::Image | ObjectKind::Audio | ObjectKind::Video | ObjectKind::Pdf => true,
        ObjectKind::TimeSeries => value_type.as_deref() != Some("json"),
        ObjectKind::Text
        | ObjectKind::HyperText
        | ObjectKind::Paragraphs
        | ObjectKind::Markdown
        | ObjectKind::Table
        | ObjectKind::Chat
        | ObjectKind::List => value_type.as_deref() == Some("url"),
        ObjectKind::Header | ObjectKind::Other => false,
    }
}

/// The data keys (this project's names) whose values are media. Only top-level keys:
/// nested ones (`$item.url`, a repeater's `$images[{{idx}}]`) go as they are.
pub fn media_keys(config: &LabelConfig) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for o in config.objects.iter().filter(|o| is_media_object(o)) {
        for v in [o.value.as_deref(), o.value_list.as_deref()]
            .into_iter()
            .flatten()
        {
            if let Some(k) = crate::config::keys::key_of_value(v)
                && !k.is_empty()
                && !k.contains(['.', '[', '{'])
                && !keys.contains(&k)
            {
                keys.push(k);
            }
        }
    }
    keys
}

/// What a media value is, as far as sending it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// Sent as it is (a URL, an upload of the server, empty).
    AsIs,
    /// `/data/local-files/?d=...`: a file under the local-files root.
    LocalFiles,
    /// A path or a `file:` URL.
    Local,
}

pub fn form(value: &str) -> Form {
    let v = value.trim();
    if v.is_empty() {
        return Form::AsIs;
    }
    let lower = v.get(..16).unwrap_or(v).to_ascii_lowercase();
    if lower.starts_with("data:") || v.starts_with("/data/upload/") {
        return Form::AsIs;
    }
    for scheme in ["s3:", "gs:", "gcs:", "azure-blob:", "azure:"] {
        if lower.starts_with(scheme) {
            return Form::AsIs;
        }
    }
    if let Some((scheme, _)) = v.split_once("://")
        && !scheme.eq_ignore_ascii_case("file")
        && crate::media::has_scheme(scheme)
    {
        return Form::AsIs;
    }
    if v.starts_with("/data/") && v.contains("?d=") {
        return Form::LocalFiles;
    }
    Form::Local
}

/// Percent-encodes a path as Python's `urllib.parse.quote` does (`/` kept), the way Label
/// Studio writes local-files URLs.
pub fn quote_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The server's document root: as given (the server compares storage paths with its
/// setting as written) and with every link resolved (to place files in it).
#[derive(Debug, Clone)]
pub struct DocumentRoot {
    pub given: PathBuf,
    pub real: PathBuf,
}

impl DocumentRoot {
    /// Checks a document root: an existing folder, not `/`. `given` is made absolute.
    pub fn new(given: &Path) -> Result<DocumentRoot, MediaError> {
        let bad = |message: &str| MediaError::BadDocumentRoot {
            path: given.display().to_string(),
            message: message.to_string(),
        };
        let abs = crate::media::lexical(given);
        let real = abs
            .canonicalize()
            .map_err(|e| bad(&format!("cannot be read: {e}")))?;
        if !real.is_dir() {
            return Err(bad("not a folder"));
        }
        if real.parent().is_none() {
            return Err(bad(
                "the server would serve every file of the machine; give it a folder that holds the media",
            ));
        }
        Ok(DocumentRoot { given: abs, real })
    }

    /// The path of a resolved file relative to the root, `/`-separated, when the server can
    /// serve it: below the root, in a folder of it.
    pub fn relative(&self, file: &Path) -> Result<String, String> {
        let rel = file.strip_prefix(&self.real).map_err(|_| {
            format!(
                "outside the document root {}; Label Studio serves local files only below its LOCAL_FILES_DOCUMENT_ROOT",
                self.given.display()
            )
        })?;
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if parts.len() < 2 {
            return Err(format!(
                "directly in the document root {}; Label Studio serves local files only from a folder below it",
                self.given.display()
            ));
        }
        Ok(parts.join("/"))
    }

    /// The storage path the server is given for a folder relative to the root.
    pub fn server_path(&self, rel_dir: &str) -> String {
        self.given.join(rel_dir).display().to_string()
    }
}

/// The local-files URL of a path relative to the document root.
pub fn local_files_url(rel: &str) -> String {
    format!("/data/local-files/?d={}", quote_path(rel))
}

/// Whether the server storage `storage` (a path) covers the folder `dir` (a path): Label
/// Studio's own test (`_is_within_storage`).
pub fn covers(storage: &str, dir: &str) -> bool {
    let root = storage.trim_end_matches('/');
    dir == root || dir.starts_with(&format!("{root}/"))
}

/// The folders (relative to the document root, `/`-separated) to make storages for, so that
/// every folder of `dirs` is covered: one per folder right under the root, the deepest
/// folder holding all of that group.
pub fn storage_folders(dirs: &[String]) -> Vec<String> {
    let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
    for d in dirs {
        let top = d.split('/').next().unwrap_or("").to_string();
        let common = match groups.iter_mut().find(|(t, _)| *t == top) {
            Some((_, c)) => c,
            None => {
                groups.push((top, d.split('/').collect()));
                continue;
            }
        };
        let parts: Vec<&str> = d.split('/').collect();
        let n = common
            .iter()
            .zip(&parts)
            .take_while(|(a, b)| a == b)
            .count();
        common.truncate(n);
    }
    let mut out: Vec<String> = groups.into_iter().map(|(_, c)| c.join("/")).collect();
    out.sort();
    out
}

/// Where one local value goes.
#[derive(Debug, Clone, PartialEq)]
enum Planned {
    /// `file`: the path relative to the document root.
    LocalFile(String),
    /// `post`: the resolved file to upload.
    Upload(PathBuf),
}

/// Applies `f` to each string media value of `data` (a string, or a list's strings), with
/// the key; a `Some` replaces the value.
fn each_value(data: &mut Value, keys: &[String], f: &mut dyn FnMut(&str, &str) -> Option<String>) {
    let Value::Object(m) = data else { return };
    for key in keys {
        match m.get_mut(key) {
            Some(Value::String(s)) => {
                if let Some(new) = f(key, s) {
                    *s = new;
                }
            }
            Some(Value::Array(items)) => {
                for item in items {
                    if let Value::String(s) = item
                        && let Some(new) = f(key, s)
                    {
                        *s = new;
                    }
                }
            }
            _ => {}
        }
    }
}

/// Sends a link's task media in the server's form.
pub struct Sender {
    method: MediaMethod,
    keys: Vec<String>,
    resolver: Resolver,
    document_root: Option<DocumentRoot>,
    project_id: i64,
    /// The paths of the project's local-files storages, read when first needed.
    storages: Option<Vec<String>>,
}

impl Sender {
    /// The sender of a method; None for `url` (values go as they are). `roots`: the
    /// folders media may be read from besides each task's import folder; under `file`, the
    /// document root takes the place of the local-files root.
    pub fn new(
        method: MediaMethod,
        config: &LabelConfig,
        mut roots: Roots,
        document_root: Option<DocumentRoot>,
        project_id: i64,
    ) -> Result<Option<Sender>, MediaError> {
        if method == MediaMethod::Url {
            return Ok(None);
        }
        let keys = media_keys(config);
        if keys.is_empty() {
            return Err(MediaError::NoMediaKeys);
        }
        if method == MediaMethod::File {
            let root = document_root.as_ref().ok_or(MediaError::NoDocumentRoot)?;
            roots.local_files_root = Some(root.given.clone());
        }
        // Uploads are read whole, under the media cap.
        let resolver = Resolver::new(roots, false);
        Ok(Some(Sender {
            method,
            keys,
            resolver,
            document_root,
            project_id,
            storages: None,
        }))
    }

    /// The sender of a linked project, for `push`: its config, the link's method and
    /// document root, and the client's media roots (else the annotator's defaults).
    pub fn for_link(
        store: &Store,
        client: &Client,
        link: &ServerLink,
    ) -> Result<Option<Sender>, MediaError> {
        let method = MediaMethod::parse(&link.media).unwrap_or(MediaMethod::Url);
        if method == MediaMethod::Url {
            return Ok(None);
        }
        let project = store.project()?;
        let config = LabelConfig::parse(&project.label_config)
            .map_err(|e| MediaError::Config(e.to_string()))?;
        let roots = client.media_roots().cloned().unwrap_or_else(|| Roots {
            local_files_root: Roots::local_files_root_from_env(),
            ..Roots::default()
        });
        let document_root = match (&link.document_root, method) {
            (Some(d), MediaMethod::File) => Some(DocumentRoot::new(Path::new(d))?),
            _ => None,
        };
        Sender::new(method, &config, roots, document_root, link.project_id)
    }

    /// The server project the storages and uploads are for.
    pub fn set_project(&mut self, project_id: i64) {
        if project_id != self.project_id {
            self.project_id = project_id;
            self.storages = None;
        }
    }

    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    /// Where each local media value of `tasks` goes: (task, value) to its plan, or every
    /// value that cannot go.
    fn plan(&self, tasks: &[PushTask]) -> Result<HashMap<(i64, String), Planned>, Vec<Problem>> {
        let mut plans = HashMap::new();
        let mut problems = Vec::new();
        for t in tasks {
            let mut data: Value = serde_json::from_str(&t.data).unwrap_or(Value::Null);
            let task = t.id.to_string();
            let origin = Origin {
                task: &task,
                base_dir: t.base_dir.as_deref().map(Path::new),
            };
            each_value(&mut data, &self.keys, &mut |key, value| {
                if plans.contains_key(&(t.id, value.to_string())) {
                    return None;
                }
                // URLs go as they are; under `post`, so do the server's local files.
                let as_is = matches!(
                    (form(value), self.method),
                    (Form::AsIs, _) | (Form::LocalFiles, MediaMethod::Post) | (_, MediaMethod::Url)
                );
                if as_is {
                    return None;
                }
                match self.plan_value(&origin, value) {
                    Ok(p) => {
                        plans.insert((t.id, value.to_string()), p);
                    }
                    Err(reason) => problems.push(Problem {
                        task: t.id,
                        field: key.to_string(),
                        value: value.to_string(),
                        reason,
                    }),
                }
                None
            });
        }
        if problems.is_empty() {
            Ok(plans)
        } else {
            Err(problems)
        }
    }

    fn plan_value(&self, origin: &Origin, value: &str) -> Result<Planned, String> {
        let file = match self.resolver.resolve(origin, value) {
            Ok(Media::File(p)) => p,
            Ok(_) => return Err("not a local file".into()),
            Err(e) => return Err(e.reason()),
        };
        match self.method {
            MediaMethod::File => {
                let root = self.document_root.as_ref().expect("checked in new");
                root.relative(&file).map(Planned::LocalFile)
            }
            MediaMethod::Post => {
                let ext = file
                    .extension()
                    .map(|e| e.to_string_lossy().to_ascii_lowercase())
                    .unwrap_or_default();
                if !UPLOAD_EXTENSIONS.contains(&ext.as_str()) {
                    return Err(format!(
                        "Label Studio's upload takes only .{} files",
                        UPLOAD_EXTENSIONS.join(", .")
                    ));
                }
                Ok(Planned::Upload(file))
            }
            MediaMethod::Url => unreachable!("no sender for url"),
        }
    }

    /// Checks the media of the project's tasks not sent yet (at `link`): every value that
    /// cannot go is listed. Under `file`, returns the folders (relative to the document
    /// root) holding their files.
    pub fn check_store(&self, store: &Store) -> Result<Vec<String>, MediaError> {
        let mut dirs = BTreeSet::new();
        let mut problems = Vec::new();
        let mut after = 0;
        loop {
            let tasks = store.unsent_task_data(after, 2000)?;
            let Some(last) = tasks.last().map(|t| t.id) else {
                break;
            };
            match self.plan(&tasks) {
                Ok(plans) => dirs.extend(plans.values().filter_map(folder_of)),
                Err(p) => problems.extend(p),
            }
            after = last;
        }
        if problems.is_empty() {
            Ok(dirs.into_iter().collect())
        } else {
            Err(MediaError::Values(problems))
        }
    }

    /// Under `file`: makes the local-files storages the project lacks for files in `dirs`
    /// (relative to the document root); returns the paths of those made.
    pub fn ensure_storages(
        &mut self,
        client: &Client,
        dirs: &[String],
    ) -> Result<Vec<String>, MediaError> {
        let Some(root) = self.document_root.clone() else {
            return Ok(Vec::new());
        };
        if dirs.is_empty() {
            return Ok(Vec::new());
        }
        if self.storages.is_none() {
            #[derive(serde::Deserialize)]
            struct Storage {
                #[serde(default)]
                path: Option<String>,
            }
            let list: Vec<Storage> = client.get(
                &format!("/api/storages/localfiles?project={}", self.project_id),
                &format!(
                    "listing the local-files storages of project {}",
                    self.project_id
                ),
            )?;
            self.storages = Some(list.into_iter().filter_map(|s| s.path).collect());
        }
        let known = self.storages.as_mut().expect("just read");
        let uncovered: Vec<String> = dirs
            .iter()
            .filter(|d| {
                let dir = root.server_path(d);
                !known.iter().any(|s| covers(s, &dir))
            })
            .cloned()
            .collect();
        let mut made = Vec::new();
        for folder in storage_folders(&uncovered) {
            let path = root.server_path(&folder);
            let _: Value = client
                .post(
                    "/api/storages/localfiles",
                    &serde_json::json!({
                        "project": self.project_id,
                        "path": path,
                        "title": STORAGE_TITLE,
                        "description": "media of tasks sent by labelterm (--media file)",
                        "use_blob_urls": true,
                    }),
                    &format!(
                        "making a local-files storage for {path} on project {} (the server's LOCAL_FILES_DOCUMENT_ROOT must be {})",
                        self.project_id,
                        root.given.display()
                    ),
                )
                .map_err(|e| serving_off(e, client))?;
            known.push(path.clone());
            made.push(path);
        }
        Ok(made)
    }

    /// Rewrites the media values of `tasks` (their data, this project's keys) into the
    /// server's form, after making the storages (`file`) or uploading the files (`post`)
    /// they need. Nothing is changed when a value cannot go: every such value is listed.
    pub fn prepare(
        &mut self,
        store: &Store,
        client: &Client,
        tasks: &mut [PushTask],
    ) -> Result<(), MediaError> {
        let plans = self.plan(tasks).map_err(MediaError::Values)?;
        if plans.is_empty() {
            return Ok(());
        }
        let mut urls: HashMap<(i64, String), String> = HashMap::new();
        match self.method {
            MediaMethod::File => {
                let dirs: BTreeSet<String> = plans.values().filter_map(folder_of).collect();
                self.ensure_storages(client, &dirs.into_iter().collect::<Vec<_>>())?;
                for (k, p) in &plans {
                    if let Planned::LocalFile(rel) = p {
                        urls.insert(k.clone(), local_files_url(rel));
                    }
                }
            }
            MediaMethod::Post => {
                let mut ordered: Vec<(&(i64, String), &Planned)> = plans.iter().collect();
                ordered.sort_by(|a, b| a.0.cmp(b.0));
                for ((task, value), p) in ordered {
                    if let Planned::Upload(file) = p {
                        let field = self.field_of(tasks, *task, value);
                        let url = self.upload(store, client, *task, &field, value, file)?;
                        urls.insert((*task, value.clone()), url);
                    }
                }
            }
            MediaMethod::Url => {}
        }
        self.rewrite(tasks, &urls);
        Ok(())
    }

    /// Puts each (task, value)'s server address in place of the value.
    fn rewrite(&self, tasks: &mut [PushTask], urls: &HashMap<(i64, String), String>) {
        for t in tasks.iter_mut() {
            let mut data: Value = match serde_json::from_str(&t.data) {
                Ok(v) => v,
                Err(_) => continue,
            };
            let mut changed = false;
            each_value(&mut data, &self.keys, &mut |_, value| {
                let new = urls.get(&(t.id, value.to_string())).cloned();
                changed |= new.is_some();
                new
            });
            if changed {
                t.data = data.to_string();
            }
        }
    }

    /// The key of a task that holds `value` (for messages).
    fn field_of(&self, tasks: &[PushTask], task: i64, value: &str) -> String {
        let mut field = String::new();
        if let Some(t) = tasks.iter().find(|t| t.id == task) {
            let mut data: Value = serde_json::from_str(&t.data).unwrap_or(Value::Null);
            each_value(&mut data, &self.keys, &mut |k, v| {
                if field.is_empty() && v == value {
                    field = k.to_string();
                }
                None
            });
        }
        field
    }

    /// Uploads one file (unless a file with the same content went already) and returns
    /// its server address.
    fn upload(
        &self,
        store: &Store,
        client: &Client,
        task: i64,
        field: &str,
        value: &str,
        file: &Path,
    ) -> Result<String, MediaError> {
        let task_s = task.to_string();
        let origin = Origin {
            task: &task_s,
            base_dir: None,
        };
        let bytes = self
            .resolver
            .read(&origin, value, &Media::File(file.to_path_buf()))
            .map_err(|e| {
                MediaError::Values(vec![Problem {
                    task,
                    field: field.to_string(),
                    value: value.to_string(),
                    reason: e.reason(),
                }])
            })?;
        let sha = crate::util::sha256_hex(&[&bytes]);
        if let Some(url) = store.server_upload(&sha)? {
            return Ok(url);
        }
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let action = format!(
            "task {task}, field {field}, file {}: uploading",
            crate::media::shown(value)
        );
        #[derive(serde::Deserialize)]
        struct Imported {
            #[serde(default)]
            file_upload_ids: Vec<i64>,
        }
        let imported: Imported = client.post_file(
            &format!(
                "/api/projects/{}/import?commit_to_project=false",
                self.project_id
            ),
            &name,
            &bytes,
            &action,
        )?;
        let [id] = imported.file_upload_ids[..] else {
            return Err(SyncError::BadAnswer {
                action,
                message: format!(
                    "{} file upload(s) made instead of one",
                    imported.file_upload_ids.len()
                ),
            }
            .into());
        };
        #[derive(serde::Deserialize)]
        struct FileUpload {
            id: i64,
            file: String,
        }
        let listed: Vec<FileUpload> = client.get(
            &format!(
                "/api/projects/{}/file-uploads?ids={}",
                self.project_id,
                super::client::encode(&format!("[{id}]"))
            ),
            &format!("{action}: reading the address of file upload {id}"),
        )?;
        let Some(f) = listed.into_iter().find(|f| f.id == id) else {
            return Err(SyncError::BadAnswer {
                action,
                message: format!("file upload {id} is not listed"),
            }
            .into());
        };
        // Label Studio's MEDIA_URL is `/data/`; `file` is the name under its media folder.
        let url = format!("/data/{}", f.file.trim_start_matches('/'));
        store.record_upload(&sha, &url)?;
        Ok(url)
    }
}

fn folder_of(p: &Planned) -> Option<String> {
    match p {
        Planned::LocalFile(rel) => rel.rsplit_once('/').map(|(dir, _)| dir.to_string()),
        Planned::Upload(_) => None,
    }
}

/// A refusal that says local-files serving is off, told as such.
fn serving_off(e: SyncError, client: &Client) -> MediaError {
    match &e {
        SyncError::Refused { detail, .. } if detail.contains("LOCAL_FILES_SERVING_ENABLED") => {
            MediaError::ServingOff {
                url: client.base_url().to_string(),
            }
        }
        _ => MediaError::Sync(e),
    }
}

/// Asks the server whether it serves local files at all (`--media file`): Label Studio
/// answers a local-files URL with 403 when LOCAL_FILES_SERVING_ENABLED is off, 404 for a
/// file it does not have.
pub fn check_serving(client: &Client) -> Result<(), MediaError> {
    match client.send(
        crate::net::Method::Get,
        "/data/local-files/?d=labelterm-serving-check",
        None,
        "asking whether the server serves local files",
    ) {
        Ok(_) | Err(SyncError::Refused { status: 404, .. }) => Ok(()),
        Err(SyncError::Refused { status: 403, .. }) => Err(MediaError::ServingOff {
            url: client.base_url().to_string(),
        }),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests;
