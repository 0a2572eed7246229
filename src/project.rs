//! Projects: create one from a label config (and tasks), open one, read and change its
//! settings. Nothing here prints; the command line reports what these return.

use crate::config::{Element, LabelConfig, Node};
use crate::error::Error;
use crate::import::{ImportOptions, ImportReport};
use crate::store::claims::Throughput;
use crate::store::settings::{Settings as StoreSettings, SkipQueue};
use crate::store::{Project, Sampling, Store};
use std::path::{Path, PathBuf};

/// What a new project is made of.
#[derive(Debug, Clone)]
pub struct NewProject {
    /// The label config file.
    pub label_config: PathBuf,
    /// Task files, directories or URLs imported into the new project.
    pub inputs: Vec<String>,
    pub import: ImportOptions,
    pub sampling: Sampling,
    /// Default: the project file's stem.
    pub title: Option<String>,
    /// Credited with imported annotations that name nobody.
    pub user: String,
    /// Whether the annotator starts tasks from their predictions (Label Studio's default).
    pub prelabel: bool,
    /// The other settings (overlap, skip queue...), applied over `sampling` and `prelabel`
    /// before anything is imported, so imported tasks get the overlap at once.
    pub settings: SettingsChange,
}

impl NewProject {
    pub fn new(label_config: impl Into<PathBuf>, user: impl Into<String>) -> Self {
        NewProject {
            label_config: label_config.into(),
            inputs: Vec::new(),
            import: ImportOptions::default(),
            sampling: Sampling::Sequential,
            title: None,
            user: user.into(),
            prelabel: true,
            settings: SettingsChange::default(),
        }
    }
}

/// The user credited by default: `$USER`, else "labelterm".
pub fn default_user() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "labelterm".into())
}

/// Reads and parses a label config file.
pub fn load_config(path: &Path) -> Result<LabelConfig, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    LabelConfig::parse(&text).map_err(|error| Error::Config {
        file: path.display().to_string(),
        error,
    })
}

/// Opens a project and parses its stored label config.
pub fn open(path: &Path) -> Result<(Store, LabelConfig), Error> {
    let store = Store::open(path)?;
    let project = store.project()?;
    let config = LabelConfig::parse(&project.label_config).map_err(|error| Error::Config {
        file: format!("{} (stored label config)", path.display()),
        error,
    })?;
    Ok((store, config))
}

/// How long a command that writes once (import, settings) waits for the annotators'
/// writes: they are short, but eight of them in a row under load can take seconds.
pub const COMMAND_WRITE_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Opens a project for a command that writes once: as [`open`], waiting up to
/// [`COMMAND_WRITE_WAIT`] for other writers instead of failing as busy.
pub fn open_to_write(path: &Path) -> Result<(Store, LabelConfig), Error> {
    let (store, config) = open(path)?;
    store.set_busy_timeout(COMMAND_WRITE_WAIT)?;
    Ok((store, config))
}

/// What [`create_or_open`] did.
#[derive(Debug)]
pub enum Created {
    /// A new project, and what was imported into it.
    New {
        config: LabelConfig,
        report: ImportReport,
    },
    /// The project was already there with the same label config; it was left as it was
    /// and nothing was imported.
    Existing { config: LabelConfig },
}

/// Creates a new project; a file already at `project` is never touched. The error then
/// says what to do instead, which depends on whether its label config is the one given.
pub fn create(project: &Path, new: &NewProject) -> Result<(LabelConfig, ImportReport), Error> {
    match create_or_open(project, new)? {
        Created::New { config, report } => Ok((config, report)),
        Created::Existing { .. } => Err(Error::Other(format!(
            "{p} already exists with this label config; add tasks with `labelterm import {p}`, \
             or label with `labelterm start {p}`",
            p = project.display()
        ))),
    }
}

/// Creates a new project, or, when a project with the same label config (compared as
/// parsed trees, so layout whitespace and attribute order do not matter) is already
/// there, leaves it as it is: the quick start can be run again. A project with another
/// label config is an error, and so is a file that is not a project.
///
/// The new project is made at a temporary name and linked into place only when the
/// config and every input were accepted: a failed create leaves no project file, and a
/// project created meanwhile by someone else is never replaced.
pub fn create_or_open(project: &Path, new: &NewProject) -> Result<Created, Error> {
    let dir = project
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = project
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("project.db");
    // Removed on return; a killed create's is removed by the next one.
    let staging = crate::staging::Staging::claim(dir, &format!(".{name}.init"))?;
    let tmp = staging.path();
    let config = load_config(&new.label_config)?;
    if project.exists() {
        return existing(project, &config);
    }
    let mut store = Store::create(
        tmp,
        &Project {
            title: new.title.clone().unwrap_or_else(|| {
                project
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or("project")
                    .to_string()
            }),
            label_config: config.source.clone(),
            sampling: new.sampling,
            model_version: None,
            created_at: crate::util::now(),
        },
    )?;
    let settings = new.settings.apply(StoreSettings {
        sampling: new.sampling,
        prelabel: new.prelabel,
        ..StoreSettings::default()
    });
    settings.check().map_err(|e| Error::Usage(e.to_string()))?;
    if settings != StoreSettings::default() {
        store.set_settings(&settings)?;
    }
    let report = if new.inputs.is_empty() {
        store.user_id(&new.user)?;
        ImportReport::default()
    } else {
        crate::import::import_into_store(&mut store, &config, &new.inputs, &new.import, &new.user)?
    };
    // Closing the last connection checkpoints the WAL into the file.
    drop(store);
    match place_no_replace(tmp, project) {
        Ok(()) => Ok(Created::New { config, report }),
        // Created by someone else meanwhile: theirs stays, and is judged like any other.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => existing(project, &config),
        Err(e) => Err(Error::io(project, e)),
    }
}

/// The project already at `project`, if its label config is `config`.
fn existing(project: &Path, config: &LabelConfig) -> Result<Created, Error> {
    let p = project.display();
    let (_, stored) = open(project).map_err(|e| {
        Error::Other(format!(
            "{p} already exists and is not a project labelterm can open ({e}); choose a new file"
        ))
    })?;
    if same_config(&stored, config) {
        Ok(Created::Existing { config: stored })
    } else {
        Err(Error::Other(format!(
            "{p} already exists with a different label config; run `labelterm start {p}` \
             to continue it, or choose a new file"
        )))
    }
}

/// Whether two label configs describe the same interface: the same elements, attributes
/// and text, whatever the indentation, attribute order or comments.
pub fn same_config(a: &LabelConfig, b: &LabelConfig) -> bool {
    normalized(&a.root) == normalized(&b.root)
}

#[derive(Debug, PartialEq)]
enum Norm<'a> {
    Element {
        tag: &'a str,
        attrs: Vec<(&'a str, &'a str)>,
        children: Vec<Norm<'a>>,
    },
    Text(&'a str),
}

fn normalized(el: &Element) -> Norm<'_> {
    let mut attrs: Vec<(&str, &str)> = el
        .attrs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    attrs.sort_unstable();
    let children = el
        .children
        .iter()
        .filter_map(|n| match n {
            Node::Element(e) => Some(normalized(e)),
            Node::Text(t) if !t.trim().is_empty() => Some(Norm::Text(t.trim())),
            Node::Text(_) | Node::Comment(_) => None,
        })
        .collect();
    Norm::Element {
        tag: &el.tag,
        attrs,
        children,
    }
}

/// Gives `tmp`'s content the name `target`, failing with `AlreadyExists` rather than
/// replacing a file there (which `rename` would do). `tmp` stays for the caller to remove.
pub fn place_no_replace(tmp: &Path, target: &Path) -> std::io::Result<()> {
    match std::fs::hard_link(tmp, target) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(e),
        // Filesystems without hard links: an exclusive create, then a copy.
        Err(_) => {
            let mut out = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(target)?;
            let copied = std::fs::File::open(tmp)
                .and_then(|mut from| std::io::copy(&mut from, &mut out))
                .and_then(|_| out.sync_all());
            if let Err(e) = copied {
                drop(out);
                let _ = std::fs::remove_file(target);
                return Err(e);
            }
            Ok(())
        }
    }
}

/// A project's settings, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub title: String,
    pub sampling: Sampling,
    /// Whether the annotator starts a task from its predictions.
    pub prelabel: bool,
}

pub fn settings(store: &Store) -> Result<Settings, Error> {
    let p = store.project()?;
    Ok(Settings {
        title: p.title,
        sampling: p.sampling,
        prelabel: store.prelabel()?,
    })
}

pub fn set_prelabel(store: &Store, on: bool) -> Result<(), Error> {
    store.set_prelabel(on)?;
    Ok(())
}

pub fn set_sampling(store: &Store, sampling: Sampling) -> Result<(), Error> {
    store.set_sampling(sampling)?;
    Ok(())
}

/// Changes to a project's settings; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SettingsChange {
    pub sampling: Option<Sampling>,
    pub maximum_annotations: Option<u32>,
    pub overlap_cohort: Option<u32>,
    pub skip_queue: Option<SkipQueue>,
    pub show_ground_truth_first: Option<bool>,
    pub lock_ttl: Option<u32>,
    pub prelabel: Option<bool>,
}

impl SettingsChange {
    pub fn is_empty(&self) -> bool {
        *self == SettingsChange::default()
    }

    /// `s` with these changes made.
    pub fn apply(&self, s: StoreSettings) -> StoreSettings {
        StoreSettings {
            sampling: self.sampling.unwrap_or(s.sampling),
            maximum_annotations: self.maximum_annotations.unwrap_or(s.maximum_annotations),
            overlap_cohort: self.overlap_cohort.unwrap_or(s.overlap_cohort),
            skip_queue: self.skip_queue.unwrap_or(s.skip_queue),
            show_ground_truth_first: self
                .show_ground_truth_first
                .unwrap_or(s.show_ground_truth_first),
            lock_ttl: self.lock_ttl.unwrap_or(s.lock_ttl),
            prelabel: self.prelabel.unwrap_or(s.prelabel),
        }
    }
}

/// Changes a project's settings; returns them before and after. A value out of range
/// changes nothing.
pub fn change_settings(
    store: &mut Store,
    change: &SettingsChange,
) -> Result<(StoreSettings, StoreSettings), Error> {
    let old = store.settings()?;
    let new = change.apply(old);
    new.check().map_err(|e| Error::Usage(e.to_string()))?;
    if new != old {
        store.set_settings(&new)?;
    }
    Ok((old, new))
}

/// One annotator at work now, as `who` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Working {
    pub user: String,
    pub host: String,
    pub pid: u32,
    /// The task it holds, and for how many seconds.
    pub task_id: Option<i64>,
    pub on_task: Option<f64>,
    /// Seconds since it started.
    pub working: f64,
    /// Seconds since it last claimed, opened, answered or renewed anything.
    pub idle: f64,
}

/// One annotator's work today.
#[derive(Debug, Clone, PartialEq)]
pub struct DayWork {
    pub user: String,
    pub submitted: i64,
    pub skipped: i64,
    /// Mean seconds per answer (submit or skip).
    pub mean_lead_time: Option<f64>,
    /// Answers per hour of the time spent on them (the sum of their lead times).
    pub per_hour: Option<f64>,
}

/// Who works on a project now, and what each did today.
#[derive(Debug, Clone, PartialEq)]
pub struct Who {
    pub working: Vec<Working>,
    /// Since when `today` counts (a stored timestamp: local midnight, in UTC).
    pub since: String,
    pub today: Vec<DayWork>,
}

/// The stored timestamp of the last local midnight.
pub fn local_midnight() -> String {
    use chrono::{Local, TimeZone};
    let today = Local::now().date_naive();
    let midnight = today.and_hms_opt(0, 0, 0).expect("midnight exists");
    // On a day that begins with a clock change, the earliest instant that day.
    let start = Local
        .from_local_datetime(&midnight)
        .earliest()
        .map_or_else(|| Local::now().timestamp(), |t| t.timestamp());
    crate::util::timestamp(
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(start.max(0) as u64),
    )
}

/// Who works on the project now (dead and lapsed annotators left out) and each user's
/// work since `since`.
pub fn who(store: &Store, now: f64, since: &str) -> Result<Who, Error> {
    let host = crate::annotate::presence::host_name();
    let working = store
        .sessions()?
        .into_iter()
        .filter(|s| crate::annotate::presence::is_working(s, &host, now))
        .map(|s| Working {
            user: s.user.unwrap_or_else(|| format!("#{}", s.user_id)),
            host: s.host,
            pid: s.pid,
            task_id: s.task_id,
            on_task: s.task_id.and(s.task_since).map(|t| (now - t).max(0.0)),
            working: (now - s.started_at).max(0.0),
            idle: (now - s.seen_at.max(s.task_since.unwrap_or(0.0))).max(0.0),
        })
        .collect();
    let today = store
        .throughput_since(since)?
        .into_iter()
        .map(day_work)
        .collect();
    Ok(Who {
        working,
        since: since.to_string(),
        today,
    })
}

fn day_work(t: Throughput) -> DayWork {
    let answers = t.submitted + t.skipped;
    DayWork {
        mean_lead_time: (answers > 0).then(|| t.lead_time / answers as f64),
        per_hour: (t.lead_time > 0.0).then(|| answers as f64 * 3600.0 / t.lead_time),
        user: t.user,
        submitted: t.submitted,
        skipped: t.skipped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(xml: &str) -> LabelConfig {
        LabelConfig::parse(xml).unwrap()
    }

    #[test]
    fn configs_compare_as_trees() {
        let a = config(
            r#"<View>
  <Header value="Pick one"/>
  <Text name="t" value="$text"/>
  <Choices name="c" toName="t"><Choice value="A"/><Choice value="B"/></Choices>
</View>"#,
        );
        let same = config(
            r#"<View><!-- a comment -->  <Header value="Pick one"/><Text value="$text" name="t"/>
<Choices toName="t" name="c">
    <Choice value="A"/>
    <Choice value="B"/>
</Choices></View>"#,
        );
        assert!(same_config(&a, &same));
        let other_value = config(
            r#"<View><Header value="Pick two"/><Text name="t" value="$text"/>
<Choices name="c" toName="t"><Choice value="A"/><Choice value="B"/></Choices></View>"#,
        );
        assert!(!same_config(&a, &other_value));
        let other_order = config(
            r#"<View><Header value="Pick one"/><Text name="t" value="$text"/>
<Choices name="c" toName="t"><Choice value="B"/><Choice value="A"/></Choices></View>"#,
        );
        assert!(!same_config(&a, &other_order));
    }

    #[test]
    fn settings_change_only_what_is_named_and_refuse_bad_values() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("c.xml");
        std::fs::write(&cfg, "<View><Text name=\"t\" value=\"$t\"/></View>").unwrap();
        let path = dir.path().join("p.db");
        let new = NewProject {
            settings: SettingsChange {
                maximum_annotations: Some(2),
                ..SettingsChange::default()
            },
            ..NewProject::new(&cfg, "u")
        };
        create(&path, &new).unwrap();
        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.settings().unwrap().maximum_annotations, 2);
        let (old, now) = change_settings(
            &mut store,
            &SettingsChange {
                lock_ttl: Some(30),
                skip_queue: Some(SkipQueue::RequeueForMe),
                ..SettingsChange::default()
            },
        )
        .unwrap();
        assert_eq!(old.lock_ttl, 120);
        assert_eq!(
            now,
            StoreSettings {
                maximum_annotations: 2,
                lock_ttl: 30,
                skip_queue: SkipQueue::RequeueForMe,
                ..StoreSettings::default()
            }
        );
        assert_eq!(store.settings().unwrap(), now);
        let bad = SettingsChange {
            overlap_cohort: Some(0),
            lock_ttl: Some(60),
            ..SettingsChange::default()
        };
        assert!(matches!(
            change_settings(&mut store, &bad),
            Err(Error::Usage(m)) if m.contains("overlap cohort")
        ));
        assert_eq!(
            store.settings().unwrap(),
            now,
            "a refused change changes nothing"
        );
    }

    #[test]
    fn day_work_is_per_hour_of_lead_time() {
        let d = day_work(Throughput {
            user: "a".into(),
            submitted: 9,
            skipped: 1,
            lead_time: 600.0,
        });
        assert_eq!(d.mean_lead_time, Some(60.0));
        assert_eq!(d.per_hour, Some(60.0));
        let none = day_work(Throughput {
            user: "b".into(),
            submitted: 0,
            skipped: 0,
            lead_time: 0.0,
        });
        assert_eq!((none.mean_lead_time, none.per_hour), (None, None));
        assert!(local_midnight().ends_with('Z'));
    }
}
