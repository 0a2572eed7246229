//! `labelterm link` and `labelterm unlink`: a project's link to a Label Studio server.

use crate::error::{Error, Result};
use crate::store::Store;
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
    /// How task media reach the server: `url` sends the values as they are (URLs the
    /// server can reach).
    /// (`url` is the one method so far.)
    #[arg(long, value_name = "METHOD", default_value = "url", value_parser = ["url"])]
    pub media: String,
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
}

pub fn push(args: PushArgs) -> Result<ExitCode> {
    let mut store = Store::open(&args.project)?;
    let Some(link) = store.server_link()? else {
        return Err(Error::Usage(format!(
            "{} is not linked to a Label Studio server: run `labelterm link` first",
            args.project.display()
        )));
    };
    let creds =
        credentials::from_environment(Some(&link.url)).map_err(|e| Error::Usage(e.to_string()))?;
    let client = Client::new(&creds);
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
