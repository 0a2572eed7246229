//! `labelterm link` and `labelterm unlink`: a project's link to a Label Studio server.

use crate::error::{Error, Result};
use crate::store::{ServerLink, Store};
use crate::sync::link::{LinkError, LinkRequest, MediaMethod, Target};
use crate::sync::{Client, credentials};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
#[command(group = clap::ArgGroup::new("target").required(true).args(["project_id", "create"]))]
pub struct LinkArgs {
    /// The project file (SQLite; `.db` may be left off).
    #[arg(value_parser = super::project_path)]
    pub project: PathBuf,
    /// The Label Studio server (default: $LABEL_STUDIO_URL, else `url` in the
    /// [label-studio] section of the user's config file). The API key comes from
    /// $LABEL_STUDIO_API_KEY or that section's `api_key`, never from a flag.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Link to this existing server project; its label config must match the project's.
    #[arg(long = "project-id", value_name = "N")]
    pub project_id: Option<i64>,
    /// Make a new server project from the project's label config.
    #[arg(long)]
    pub create: bool,
    /// Title of the new server project (default: the project's title).
    #[arg(long, requires = "create")]
    pub title: Option<String>,
    /// The server project's data field FIELD holds this project's data key COLUMN
    /// (repeatable).
    #[arg(long = "map", value_name = "FIELD=COLUMN", value_parser = super::parse_map)]
    pub map: Vec<(String, String)>,
    /// How task media (the values of Image, Audio, Video... and valueType="url" tags) reach
    /// the server: `url` sends them as they are (URLs the server can reach); `file` sends
    /// local files as /data/local-files/?d= URLs under the server's document root (a
    /// server on this machine with LOCAL_FILES_SERVING_ENABLED=true; the project gets a
    /// local-files storage for them); `post` uploads each local file to the server (a
    /// config with one data field). URLs go as they are under every method.
    #[arg(long, value_name = "METHOD", default_value = "url", value_parser = ["url", "file", "post"])]
    pub media: String,
    /// With --media file: the server's LOCAL_FILES_DOCUMENT_ROOT (default: that
    /// environment variable). Media files must lie in a folder below it.
    #[arg(long = "document-root", value_name = "DIR")]
    pub document_root: Option<PathBuf>,
    #[command(flatten)]
    pub roots: MediaRootArgs,
}

/// Where local media files may be read from (`--media file|post`).
#[derive(Args, Debug, Clone, Default)]
pub struct MediaRootArgs {
    /// Folder where relative media paths are looked up when they are not in the folder the
    /// task was imported from (with --media file or post).
    #[arg(long = "media-root", value_name = "DIR")]
    pub media_root: Option<PathBuf>,
    /// Also read media from this folder (repeatable). Media files are otherwise read only
    /// from the task's import folder, --media-root and the local-files root
    /// (LOCAL_FILES_DOCUMENT_ROOT; with --media file, the document root of the link).
    #[arg(long = "allow-path", value_name = "DIR")]
    pub allow_path: Vec<PathBuf>,
}

impl MediaRootArgs {
    /// The roots, with the local-files root from the environment (as the annotator's).
    fn roots(&self) -> crate::media::Roots {
        crate::media::Roots {
            media_root: self.media_root.clone(),
            local_files_root: crate::media::Roots::local_files_root_from_env(),
            upload_dir: None,
            allow: self.allow_path.clone(),
        }
    }
}

/// The project's link and a client for its server, or a usage error saying to link first
/// (`or` adds another way).
fn linked(store: &Store, project: &std::path::Path, or: &str) -> Result<(ServerLink, Client)> {
    let Some(link) = store.server_link()? else {
        return Err(Error::Usage(format!(
            "{} is not linked to a Label Studio server: run `labelterm link` first{or}",
            project.display()
        )));
    };
    let client = crate::sync::client_for(&link).map_err(|e| Error::Usage(e.to_string()))?;
    Ok((link, client))
}

fn link_error(e: LinkError) -> Error {
    match e {
        LinkError::Store(s) => Error::Store(s),
        other => Error::Other(other.to_string()),
    }
}

pub fn run(args: LinkArgs) -> Result<ExitCode> {
    let mut store = Store::open(&args.project)?;
    let creds = credentials::from_environment(args.url.as_deref())
        .map_err(|e| Error::Usage(e.to_string()))?;
    let client = Client::new(&creds);
    let request = LinkRequest {
        target: match args.project_id {
            Some(id) => Target::Existing(id),
            None => Target::Create { title: args.title },
        },
        mapping: args.map,
        media: MediaMethod::parse(&args.media).expect("clap checks the value"),
        document_root: args
            .document_root
            .or_else(crate::media::Roots::local_files_root_from_env),
        media_roots: args.roots.roots(),
    };
    let linked = crate::sync::link::link(&mut store, &client, &request).map_err(link_error)?;
    let l = &linked.link;
    let how = if linked.created {
        "made and linked"
    } else if linked.already {
        "still linked"
    } else {
        "linked"
    };
    crate::out!(
        "{}: {how} to project {} \"{}\" on {} (media: {})",
        args.project.display(),
        l.project_id,
        l.title,
        l.url,
        l.media
    );
    for path in &linked.storages {
        crate::out!("made a local-files storage for {path} on the server project");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn unlink(project: PathBuf) -> Result<ExitCode> {
    let mut store = Store::open(&project)?;
    match store.server_link()? {
        Some(l) => {
            store.remove_server_link()?;
            crate::out!(
                "{}: no longer linked to project {} on {} (the server project is left as it is)",
                project.display(),
                l.project_id,
                l.url
            );
        }
        None => crate::out!("{}: not linked to a server", project.display()),
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Args, Debug)]
pub struct PushArgs {
    /// The project file (SQLite; `.db` may be left off).
    #[arg(value_parser = super::project_path)]
    pub project: PathBuf,
    /// One JSON object instead of lines.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub roots: MediaRootArgs,
}

pub fn push(args: PushArgs) -> Result<ExitCode> {
    let mut store = Store::open(&args.project)?;
    let (link, client) = linked(&store, &args.project, "")?;
    let client = client.with_media_roots(args.roots.roots());
    let total = store.counts()?.tasks as u64;
    let bar = crate::progress::Progress::new("pushing", Some(total), crate::progress::Unit::Tasks);
    let result = crate::sync::push::push(&mut store, &client, &mut |n| bar.set(n));
    drop(bar);
    let report = result.map_err(|e| Error::Other(e.to_string()))?;
    if args.json {
        crate::out!(
            "{}",
            serde_json::to_string(&report).expect("reports serialise")
        );
    } else {
        if report.recovered > 0 {
            crate::out!(
                "found {} task(s) on the server that an interrupted push had sent",
                report.recovered
            );
        }
        crate::out!(
            "pushed {} task(s), {} annotation(s), {} prediction(s), {} updated annotation(s) to project {} on {}",
            report.tasks,
            report.annotations,
            report.predictions,
            report.updated,
            link.project_id,
            link.url
        );
        for u in &report.users_made {
            crate::out!("made user {u} on the server");
        }
        if report.credited_to_key_owner > 0 {
            crate::out!(
                "{} annotation(s) by annotators without an email were credited to the API key's owner",
                report.credited_to_key_owner
            );
        }
        for c in &report.conflicts {
            crate::out!("conflict: {c}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Args, Debug)]
pub struct PullArgs {
    /// The project file (SQLite; `.db` may be left off). With --project-id and a file that
    /// does not exist yet, the server project is cloned into it.
    #[arg(value_parser = super::project_path)]
    pub project: PathBuf,
    /// The server to clone from (default: $LABEL_STUDIO_URL, else the user's config file).
    #[arg(long, value_name = "URL", requires = "project_id")]
    pub url: Option<String>,
    /// Clone this server project into a new project file.
    #[arg(long = "project-id", value_name = "N")]
    pub project_id: Option<i64>,
    /// One JSON object instead of lines.
    #[arg(long)]
    pub json: bool,
}

/// Makes a new project from a server project and links it (for a clone).
fn clone_project(path: &std::path::Path, client: &Client, id: i64) -> Result<Store> {
    use crate::sync::link::ServerProject;
    let p: ServerProject = client
        .get(
            &format!("/api/projects/{id}"),
            &format!("reading project {id}"),
        )
        .map_err(|e| Error::Other(e.to_string()))?;
    crate::config::LabelConfig::parse(&p.label_config).map_err(|e| {
        Error::Other(format!(
            "project {id} on the server: its label config does not parse here: {e}"
        ))
    })?;
    let mut store = Store::create(
        path,
        &crate::store::Project {
            title: p.title.clone(),
            label_config: p.label_config.clone(),
            sampling: crate::store::Sampling::Sequential,
            model_version: None,
            created_at: crate::util::now(),
        },
    )?;
    let request = LinkRequest {
        target: Target::Existing(id),
        mapping: Vec::new(),
        media: MediaMethod::Url,
        document_root: None,
        media_roots: crate::media::Roots::default(),
    };
    crate::sync::link::link(&mut store, client, &request).map_err(link_error)?;
    Ok(store)
}

fn remove_project_files(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    // Nobody else can hold the lock of a file that is gone.
    let _ = std::fs::remove_file(crate::sync::lock::lock_path(path));
}

pub fn pull(args: PullArgs) -> Result<ExitCode> {
    let cloning = args.project_id.is_some() && !args.project.exists();
    let (mut store, client) = if cloning {
        let creds = credentials::from_environment(args.url.as_deref())
            .map_err(|e| Error::Usage(e.to_string()))?;
        let client = Client::new(&creds);
        let id = args.project_id.expect("checked above");
        match clone_project(&args.project, &client, id) {
            Ok(store) => (store, client),
            Err(e) => {
                remove_project_files(&args.project);
                return Err(e);
            }
        }
    } else {
        let store = Store::open(&args.project)?;
        let (link, client) = linked(
            &store,
            &args.project,
            ", or clone a server project into a new file with --project-id",
        )?;
        if let Some(id) = args.project_id.filter(|id| *id != link.project_id) {
            return Err(Error::Usage(format!(
                "{} is linked to project {} on {}, not {id}",
                args.project.display(),
                link.project_id,
                link.url
            )));
        }
        (store, client)
    };
    let bar = crate::progress::Progress::new("pulling", None, crate::progress::Unit::Tasks);
    let result = crate::sync::pull::pull(&mut store, &client, &mut |n| bar.set(n));
    drop(bar);
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            if cloning && store.counts().map(|c| c.tasks == 0).unwrap_or(true) {
                drop(store);
                remove_project_files(&args.project);
            }
            return Err(Error::Other(e.to_string()));
        }
    };
    let link = store.server_link()?.expect("linked above");
    if args.json {
        crate::out!(
            "{}",
            serde_json::to_string(&report).expect("reports serialise")
        );
    } else {
        if cloning {
            crate::out!(
                "cloned project {} \"{}\" on {} into {}",
                link.project_id,
                link.title,
                link.url,
                args.project.display()
            );
        }
        crate::out!(
            "pulled from project {} on {}: {} new task(s), {} changed, {} deleted; {} new annotation(s), {} updated, {} deleted; {} new prediction(s)",
            link.project_id,
            link.url,
            report.tasks_new,
            report.tasks_changed,
            report.tasks_deleted,
            report.annotations_new,
            report.annotations_updated,
            report.annotations_deleted,
            report.predictions_new
        );
        for c in &report.conflicts {
            crate::out!("conflict: {c}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Args, Debug)]
pub struct StatusArgs {
    /// The project file (SQLite; `.db` may be left off).
    #[arg(value_parser = super::project_path)]
    pub project: PathBuf,
    /// One JSON object instead of lines.
    #[arg(long)]
    pub json: bool,
}

pub fn status(args: StatusArgs) -> Result<ExitCode> {
    let store = Store::open(&args.project)?;
    let (link, client) = linked(&store, &args.project, "")?;
    let waiting = crate::progress::Progress::waiting("reading the server");
    let st =
        crate::sync::status::status(&store, &client).map_err(|e| Error::Other(e.to_string()))?;
    drop(waiting);
    if args.json {
        crate::out!(
            "{}",
            serde_json::to_string(&st).expect("statuses serialise")
        );
        return Ok(ExitCode::SUCCESS);
    }
    let (l, s) = (&st.local, &st.server);
    crate::out!(
        "{}: linked to project {} \"{}\" on {}",
        args.project.display(),
        st.project_id,
        link.title,
        st.url
    );
    crate::out!(
        "only here (push sends):   {} of {} task(s), {} annotation(s), {} changed annotation(s), {} prediction(s)",
        l.tasks_only_here,
        l.tasks,
        l.annotations_only_here,
        l.annotations_changed_here,
        l.predictions_only_here
    );
    crate::out!(
        "only there (pull brings): {} of {} task(s), {} annotation(s), {} changed annotation(s); deleted there: {} task(s), {} annotation(s)",
        s.tasks_only_there,
        s.tasks,
        s.annotations_only_there,
        s.annotations_changed_there,
        s.tasks_deleted_there,
        s.annotations_deleted_there
    );
    crate::out!(
        "changed on both sides:    {} annotation(s) (pull keeps both)",
        st.changed_on_both
    );
    Ok(ExitCode::SUCCESS)
}
