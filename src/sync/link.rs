//! Linking a project to a Label Studio server project (`labelterm link`): a new server
//! project made from the local config, or an existing one whose config matches (with
//! `--map FIELD=COLUMN` for data keys named differently on the server). The link is
//! recorded in the store; the key is not.

use super::media::{self, DocumentRoot, MediaError};
use super::{Client, SyncError};
use crate::config::{ChoiceMode, LabelConfig};
use crate::store::{ServerLink, Store, StoreError};
use std::path::PathBuf;

/// How task media reach the server (Pixeltable's `media_import_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaMethod {
    /// Local files are uploaded through the import API (one data field only).
    Post,
    /// Local files are referred to as local-files URLs (a server on the same host).
    File,
    /// Values are sent as they are (URLs the server can reach).
    Url,
}

impl MediaMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaMethod::Post => "post",
            MediaMethod::File => "file",
            MediaMethod::Url => "url",
        }
    }

    pub fn parse(s: &str) -> Option<MediaMethod> {
        match s {
            "post" => Some(MediaMethod::Post),
            "file" => Some(MediaMethod::File),
            "url" => Some(MediaMethod::Url),
            _ => None,
        }
    }
}

/// Which server project to link to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Existing(i64),
    Create { title: Option<String> },
}

#[derive(Debug, Clone)]
pub struct LinkRequest {
    pub target: Target,
    /// (server field, local data key) pairs.
    pub mapping: Vec<(String, String)>,
    pub media: MediaMethod,
    /// `--media file`: the server's LOCAL_FILES_DOCUMENT_ROOT.
    pub document_root: Option<PathBuf>,
    /// Folders task media may be read from besides each task's import folder.
    pub media_roots: crate::media::Roots,
}

#[derive(Debug, Clone)]
pub struct Linked {
    pub link: ServerLink,
    /// A new server project was made.
    pub created: bool,
    /// The project was linked to it already.
    pub already: bool,
    /// Local-files storages made on the server project (their paths; `--media file`).
    pub storages: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "the project is linked to project {project_id} on {url} already; remove that link first (`labelterm unlink`)"
    )]
    AlreadyLinked { url: String, project_id: i64 },
    #[error(
        "project {project_id} on the server has another label config ({count} difference(s)); link to a project with the same config, map data keys with --map FIELD=COLUMN, or use --create:\n{differences}"
    )]
    ConfigDiffers {
        project_id: i64,
        count: usize,
        differences: String,
    },
    #[error("the server's label config for project {project_id} does not parse: {message}")]
    ServerConfig { project_id: i64, message: String },
    #[error("--map {field}={column}: {message}")]
    BadMap {
        field: String,
        column: String,
        message: String,
    },
    #[error(
        "--media post uploads each task's one media file, so it needs a config with one data field; this config reads {keys}: use --media file or --media url"
    )]
    PostNeedsOneField { keys: String },
    #[error(
        "{source} (project {project_id} was made on the server: link to it with --project-id {project_id})"
    )]
    CreatedNotRecorded {
        project_id: i64,
        #[source]
        source: StoreError,
    },
    #[error(transparent)]
    Media(#[from] MediaError),
    #[error(
        "{source} (project {project_id} was made on the server and could not be removed: {removal})"
    )]
    MediaNotSetUp {
        project_id: i64,
        #[source]
        source: MediaError,
        removal: String,
    },
}

/// A server project as the API describes it (the fields used here).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ServerProject {
    pub id: i64,
    pub title: String,
    pub label_config: String,
}

/// One line per object and control tag: what must agree for tasks and results to mean
/// the same on both sides. `rename` turns a data key into the server's name for it.
fn outline(config: &LabelConfig, rename: &dyn Fn(&str) -> String) -> Vec<String> {
    let mut lines = Vec::new();
    for o in &config.objects {
        let value = o
            .value
            .as_deref()
            .map(|v| match v.strip_prefix('$') {
                Some(key) => format!("${}", rename(key)),
                None => v.to_string(),
            })
            .unwrap_or_default();
        lines.push(format!("<{} name=\"{}\" value=\"{value}\">", o.tag, o.name));
    }
    for c in &config.controls {
        let labels: Vec<&str> = c.labels.iter().map(|l| l.key.as_str()).collect();
        let multiple = if c.choice == ChoiceMode::Multiple {
            " choice=\"multiple\""
        } else {
            ""
        };
        let dynamic = c
            .dynamic_labels
            .as_deref()
            .map(|v| format!(" value=\"${}\"", rename(v.trim_start_matches('$'))))
            .unwrap_or_default();
        lines.push(format!(
            "<{} name=\"{}\" toName=\"{}\"{multiple}{dynamic}> {}",
            c.tag,
            c.name,
            c.to_name.join(","),
            labels.join(", ")
        ));
    }
    lines
}

/// What differs between the local config and the server's, as lines for the user; empty
/// when they agree.
pub fn config_differences(
    local: &LabelConfig,
    server: &LabelConfig,
    mapping: &[(String, String)],
) -> Vec<String> {
    let rename = |key: &str| {
        mapping
            .iter()
            .find(|(_, column)| column == key)
            .map(|(field, _)| field.clone())
            .unwrap_or_else(|| key.to_string())
    };
    let here = outline(local, &rename);
    let there = outline(server, &|k: &str| k.to_string());
    let mut out = Vec::new();
    for l in &there {
        if !here.contains(l) {
            out.push(format!("  only on the server: {l}"));
        }
    }
    for l in &here {
        if !there.contains(l) {
            out.push(format!("  only here:          {l}"));
        }
    }
    out
}

fn key_list(config: &LabelConfig) -> String {
    let keys: Vec<String> = config
        .data_keys
        .iter()
        .map(|k| format!("${}", k.key))
        .collect();
    if keys.is_empty() {
        "no data".into()
    } else {
        keys.join(", ")
    }
}

/// Links the project in `store` to a server project and records the link.
pub fn link(store: &mut Store, client: &Client, req: &LinkRequest) -> Result<Linked, LinkError> {
    let project = store.project()?;
    let local = LabelConfig::parse(&project.label_config).map_err(|e| {
        StoreError::Invalid(format!("the project's label config does not parse: {e}"))
    })?;
    for (field, column) in &req.mapping {
        if !local.data_keys.iter().any(|k| k.key == *column) {
            return Err(LinkError::BadMap {
                field: field.clone(),
                column: column.clone(),
                message: format!(
                    "the local config reads no ${column}; it reads {}",
                    key_list(&local)
                ),
            });
        }
    }
    if req.media == MediaMethod::Post && local.data_keys.len() > 1 {
        return Err(LinkError::PostNeedsOneField {
            keys: key_list(&local),
        });
    }
    if let Some(existing) = store.server_link()? {
        let same = existing.url == client.base_url()
            && match &req.target {
                Target::Existing(id) => *id == existing.project_id,
                Target::Create { .. } => false,
            };
        if !same {
            return Err(LinkError::AlreadyLinked {
                url: existing.url,
                project_id: existing.project_id,
            });
        }
    }
    // Media are checked before anything is made on the server.
    let document_root = match req.media {
        MediaMethod::File => Some(DocumentRoot::new(
            req.document_root
                .as_deref()
                .ok_or(MediaError::NoDocumentRoot)?,
        )?),
        _ => None,
    };
    let mut sender = media::Sender::new(
        req.media,
        &local,
        req.media_roots.clone(),
        document_root.clone(),
        0,
    )?;
    let folders = match &sender {
        Some(s) => s.check_store(store)?,
        None => Vec::new(),
    };
    if req.media == MediaMethod::File {
        media::check_serving(client)?;
    }
    let (server, created) = match &req.target {
        Target::Existing(id) => {
            let p: ServerProject = client.get(
                &format!("/api/projects/{id}"),
                &format!("reading project {id}"),
            )?;
            let theirs =
                LabelConfig::parse(&p.label_config).map_err(|e| LinkError::ServerConfig {
                    project_id: p.id,
                    message: e.to_string(),
                })?;
            for (field, column) in &req.mapping {
                if !theirs.data_keys.iter().any(|k| k.key == *field) {
                    return Err(LinkError::BadMap {
                        field: field.clone(),
                        column: column.clone(),
                        message: format!(
                            "project {id} on the server reads no ${field}; it reads {}",
                            key_list(&theirs)
                        ),
                    });
                }
            }
            let diff = config_differences(&local, &theirs, &req.mapping);
            if !diff.is_empty() {
                return Err(LinkError::ConfigDiffers {
                    project_id: p.id,
                    count: diff.len(),
                    differences: diff.join("\n"),
                });
            }
            (p, false)
        }
        Target::Create { title } => {
            let title = title.clone().unwrap_or_else(|| project.title.clone());
            let p: ServerProject = client.post(
                "/api/projects",
                &serde_json::json!({"title": title, "label_config": project.label_config}),
                "making the project on the server",
            )?;
            (p, true)
        }
    };
    let mut storages = Vec::new();
    if let Some(s) = sender.as_mut() {
        s.set_project(server.id);
        match s.ensure_storages(client, &folders) {
            Ok(made) => storages = made,
            Err(e) => {
                if !created {
                    return Err(e.into());
                }
                // A project made a moment ago that cannot serve its media goes again.
                return Err(
                    match client.delete(
                        &format!("/api/projects/{}", server.id),
                        &format!("removing project {}", server.id),
                    ) {
                        Ok(()) => LinkError::Media(e),
                        Err(d) => LinkError::MediaNotSetUp {
                            project_id: server.id,
                            source: e,
                            removal: d.to_string(),
                        },
                    },
                );
            }
        }
    }
    let before = store
        .server_link()?
        .filter(|l| l.url == client.base_url() && l.project_id == server.id);
    let already = before.is_some();
    let linked_at = crate::util::now();
    let local_key = match before {
        Some(l) => l.local_key,
        // Unique to this project and link: it tells our tasks from anyone else's.
        None => crate::util::sha256_hex(&[
            store.path().display().to_string().as_bytes(),
            linked_at.as_bytes(),
            &std::process::id().to_le_bytes(),
            &server.id.to_le_bytes(),
        ])[..20]
            .to_string(),
    };
    let link = ServerLink {
        url: client.base_url().to_string(),
        project_id: server.id,
        title: server.title,
        media: req.media.as_str().to_string(),
        mapping: req.mapping.clone(),
        linked_at,
        local_key,
        document_root: document_root.map(|d| d.given.display().to_string()),
    };
    store.set_server_link(&link).map_err(|source| {
        if created {
            LinkError::CreatedNotRecorded {
                project_id: link.project_id,
                source,
            }
        } else {
            LinkError::Store(source)
        }
    })?;
    Ok(Linked {
        link,
        created,
        already,
        storages,
    })
}
