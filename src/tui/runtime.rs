//! The runtime: carries out [`Effect`]s (store reads and writes, jobs, media loads, the
//! terminal) and turns every outcome, errors included, into a [`Msg`] fed back through
//! [`App::update`]. It never writes the state itself.

use super::app::{App, Effect};
use super::jobs::{Job, Jobs, Lease, SharedLease, Watch};
use super::media::{self, Loaded, Loader};
use super::msg::{Failure, LayoutFacts, Msg, Note};
use super::{StartOptions, keymap, strings, terminal, theme, view};
use crate::annotate::claim::{self, Annotator};
use crate::annotate::presence;
use crate::annotate::{PendingSave, SaveKind, SaveOutcome, Saving};
use crate::config::LabelConfig;
use crate::error::{Error, Result};
use crate::store::{Store, StoreErrorKind};
use crossterm::event::{Event, KeyEventKind};
use ratatui::Terminal;
use ratatui::backend::Backend;
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};

/// How long a write waits for another writer's lock before it is retried later.
pub const WRITE_WAIT: Duration = Duration::from_millis(250);

/// How long a held write that needs the user's decision waits: until they decide.
const UNTIL_DECIDED: Duration = Duration::from_secs(365 * 24 * 3600);

/// A write the store has not taken yet.
struct Held {
    saving: Saving,
    /// When to try it again.
    due: Instant,
    /// My annotation it would replace (id, revision): it waits for the user's decision
    /// and is not retried by itself.
    conflict: Option<(i64, i64)>,
}

/// The annotator without a terminal: state, store, jobs and loader. Tests and the
/// benchmark drive it with keys (jobs run inline there).
pub struct Session {
    pub app: App,
    pub store: Store,
    loader: Loader,
    jobs: Jobs,
    seed: u64,
    held: Vec<Held>,
    /// This process as an annotator of the project: its claim, renewed while it runs.
    lease: SharedLease,
    /// Other processes' commits, looked for by [`Session::poll`] when jobs run inline.
    watch: Watch,
    /// `--sync`: the worker that sends to the linked server.
    sync: Option<super::sync::SyncWorker>,
}

impl Session {
    /// Opens the project with jobs run inline.
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
        let mut app = app;
        app.annotate.prelabel = !opts.no_prelabel && store.prelabel()?;
        // A locked file is waited for briefly, then the write is held and retried with
        // back-off, so the screen never freezes behind another writer.
        store.set_busy_timeout(WRITE_WAIT)?;
        // A file that cannot be written now still opens: the claims are made again with
        // the first task claimed, and until then others may be offered the same tasks.
        let registered = Annotator::register(&store, user_id);
        let annotator = match &registered {
            Ok(a) => a.clone(),
            Err(_) => Annotator {
                session: presence::this_process(user_id),
            },
        };
        let lease = Lease::shared(annotator, claim::renew_every(store.settings()?.lock_ttl));
        let mut watch = Watch::default();
        watch.changed(&store);
        let mut app = app;
        app.first_screen = opts.first_screen;
        if opts.temporary {
            app.warn(strings::TEMPORARY_PROJECT.to_string());
        }
        if let Err(e) = registered {
            app.warn(strings::cannot_claim(&e.to_string()));
        }
        Ok(Session {
            app,
            store,
            loader,
            jobs: Jobs::Inline,
            seed,
            held: Vec::new(),
            lease,
            watch,
            sync: None,
        })
    }

    /// Sends each submit and skip to the linked server through `worker` from now on.
    pub fn with_sync(mut self, server: String, worker: super::sync::SyncWorker) -> Session {
        self.app.sync = Some(super::sync::SyncState::new(server));
        self.sync = Some(worker);
        self
    }

    /// The sync worker, handed over for the last push when the session ends.
    pub fn take_sync(&mut self) -> Option<super::sync::SyncWorker> {
        self.sync.take()
    }

    /// Runs jobs on a worker thread from now on; its replies go to `sink`.
    pub fn with_jobs(mut self, jobs: Jobs) -> Session {
        self.jobs = jobs;
        self
    }

    /// The claim this session renews (the job worker renews it in the terminal).
    pub fn lease(&self) -> SharedLease {
        self.lease.clone()
    }

    /// This process as an annotator of the project.
    pub fn annotator(&self) -> Annotator {
        self.lease.annotator.clone()
    }

    /// Notes which task this session holds, for the renewals.
    fn set_held(&mut self, task: Option<i64>) {
        self.lease.set_task(task);
    }

    /// With inline jobs (tests, the benchmark), what the job worker does on its own in
    /// the terminal: renews the claim when due and, when another connection committed,
    /// reads counts, the list and the open task again.
    pub fn poll(&mut self) -> Vec<Effect> {
        if !self.jobs.is_inline() {
            return Vec::new();
        }
        self.lease.renew_due(&self.store, false);
        if self.watch.changed(&self.store) {
            self.feed(Msg::StoreChanged)
        } else {
            Vec::new()
        }
    }

    /// Renews the claim now, whatever the time (tests of lapsed claims).
    pub fn renew_now(&mut self) -> bool {
        self.lease.renew_due(&self.store, true)
    }

    /// Leaves the project: the claim goes back to the pool at once and no renewal
    /// follows. Held writes are not waited for (see [`Session::close`]).
    pub fn leave(&mut self) -> Result<()> {
        self.lease.leave(&self.store)?;
        Ok(())
    }

    /// Quitting: held writes get up to `limit`, then the session leaves. Returns the
    /// reasons of the writes still not stored.
    pub fn close(&mut self, limit: Duration) -> Vec<String> {
        let left = self.flush(limit);
        // A busy file: once more after a short wait; a claim left behind lapses anyway
        // (its process is gone).
        if self.leave().is_err() {
            std::thread::sleep(Duration::from_millis(100));
            let _ = self.leave();
        }
        left
    }

    /// Counts the tasks and opens the first one: the user's latest draft, else the next
    /// task of the stream.
    pub fn start(&mut self) -> Vec<Effect> {
        self.feed(Msg::Start)
    }

    /// A message through the update, then its effects carried out. Returns the effects
    /// that need the terminal (editor, full image, player) or end the session.
    pub fn feed(&mut self, msg: Msg) -> Vec<Effect> {
        let effects = self.app.update(msg);
        self.run(effects)
    }

    pub fn key(&mut self, ev: crossterm::event::KeyEvent) -> Vec<Effect> {
        self.feed(Msg::Key(ev))
    }

    pub fn action(&mut self, a: super::action::Action) -> Vec<Effect> {
        self.feed(Msg::Action(a))
    }

    pub fn loaded(&mut self, l: Loaded) {
        let rest = self.feed(Msg::Loaded(l));
        debug_assert!(rest.is_empty(), "{rest:?}");
    }

    /// After a frame: what drawing learned goes back through the update, which asks for
    /// images at the size they were drawn. Returns how many loads were asked for.
    pub fn after_draw(&mut self, facts: LayoutFacts) -> usize {
        let effects = self.app.update(Msg::Layout(facts));
        let n = effects
            .iter()
            .filter(|e| matches!(e, Effect::Load(_)))
            .count();
        self.run(effects);
        n
    }

    /// Draws a frame and feeds its layout facts back; returns how many loads were asked
    /// for.
    pub fn draw<B: Backend>(&mut self, term: &mut Terminal<B>) -> std::io::Result<usize> {
        let mut facts = LayoutFacts::default();
        term.draw(|f| facts = view::draw(f, &self.app))
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(self.after_draw(facts))
    }

    /// How long one write waits for a locked project file before it is held for a retry.
    pub fn set_write_wait(&mut self, wait: Duration) -> Result<()> {
        self.store.set_busy_timeout(wait)?;
        Ok(())
    }

    /// When the loop must wake up next: a held write to retry or a message to clear.
    pub fn next_due(&self) -> Option<Instant> {
        self.held
            .iter()
            .filter(|h| h.conflict.is_none())
            .map(|h| h.due)
            .chain(self.app.message_due())
            .chain(self.app.review.due())
            .min()
    }

    /// Whether a write waits for the store.
    pub fn has_held_saves(&self) -> bool {
        !self.held.is_empty()
    }

    /// Time passed: retries the held writes that are due, clears old messages.
    pub fn tick(&mut self) -> Vec<Effect> {
        self.tick_at(Instant::now())
    }

    pub fn tick_at(&mut self, now: Instant) -> Vec<Effect> {
        let mut msgs = Vec::new();
        let mut i = 0;
        while i < self.held.len() {
            if self.held[i].conflict.is_none() && self.held[i].due <= now {
                let (m, kept) = self.attempt(i);
                msgs.push(m);
                if kept {
                    i += 1;
                }
            } else {
                i += 1;
            }
        }
        let mut out = Vec::new();
        for m in msgs {
            let e = self.app.update(m);
            out.extend(self.run(e));
        }
        out.extend(self.feed(Msg::Tick(now)));
        out
    }

    /// Before quitting: tries the held writes until they are stored or `limit` is over
    /// (one waiting for the user's decision is not tried: its answer is in the draft).
    /// Returns the reasons of those still not stored.
    pub fn flush(&mut self, limit: Duration) -> Vec<String> {
        let end = Instant::now() + limit;
        let retrying = |s: &Session| s.held.iter().any(|h| h.conflict.is_none());
        while retrying(self) && Instant::now() < end {
            let wait = self
                .held
                .iter()
                .filter(|h| h.conflict.is_none())
                .map(|h| h.due)
                .min()
                .map_or(Duration::ZERO, |d| {
                    d.saturating_duration_since(Instant::now())
                })
                .min(end.saturating_duration_since(Instant::now()));
            std::thread::sleep(wait);
            for h in &mut self.held {
                h.due = h.due.min(Instant::now());
            }
            self.tick();
        }
        self.held
            .iter()
            .map(|h| match h.conflict {
                Some(_) => strings::conflict_left(h.saving.pending().task_id),
                None => h.saving.last_reason().unwrap_or("not stored").to_string(),
            })
            .collect()
    }

    /// Takes a write: it replaces a held one it supersedes (a newer draft, a submit over
    /// its draft), else waits beside them. A new write is tried now; one that replaces a
    /// write in back-off keeps its turn, so typing against a locked file stays quick.
    fn hold(&mut self, p: PendingSave) -> Option<Msg> {
        let now = Instant::now();
        // A submit or skip ends this session's claim on the task with the same write.
        let p = match p.kind {
            SaveKind::Draft => p,
            _ => {
                let expect = p.expect;
                self.annotator().answer(p, expect)
            }
        };
        let superseded = self
            .held
            .iter_mut()
            .position(|h| h.saving.supersede(p.clone()));
        match superseded {
            // Submitted again over a write waiting for a decision: ask again now.
            Some(i) if self.held[i].conflict.is_some() => {
                self.held[i].conflict = None;
                Some(self.attempt(i).0)
            }
            Some(i) if self.held[i].saving.failures() > 0 && self.held[i].due > now => None,
            Some(i) => Some(self.attempt(i).0),
            None => {
                self.held.push(Held {
                    saving: Saving::new(p),
                    due: now,
                    conflict: None,
                });
                Some(self.attempt(self.held.len() - 1).0)
            }
        }
    }

    /// The held submit or skip of `task_id` that waits for the user's decision.
    fn conflicted(&self, task_id: i64) -> Option<usize> {
        self.held
            .iter()
            .position(|h| h.conflict.is_some() && h.saving.pending().task_id == task_id)
    }

    /// My annotation of a task as stored now: (id, revision).
    fn my_annotation(&self, task_id: i64, id: Option<i64>) -> Option<(i64, i64)> {
        let full = self.store.task_full(task_id).ok()??;
        full.annotations
            .iter()
            .find(|a| Some(a.id) == id)
            .map(|a| (a.id, a.revision))
    }

    /// Tries held write `i`; returns what came of it and whether it is still held.
    fn attempt(&mut self, i: usize) -> (Msg, bool) {
        let outcome = self.held[i].saving.attempt(&mut self.store);
        let p = self.held[i].saving.pending();
        let (task_id, kind, revision) = (p.task_id, p.kind, p.revision);
        match outcome {
            SaveOutcome::Saved { annotation_id } => {
                self.held.remove(i);
                let msg = match kind {
                    SaveKind::Draft => Msg::DraftSaved { task_id, revision },
                    kind => {
                        // The claim on it ended with the write.
                        if self.lease.task() == Some(task_id) {
                            self.set_held(None);
                        }
                        Msg::Saved {
                            kind,
                            task_id,
                            annotation: self.my_annotation(task_id, annotation_id),
                        }
                    }
                };
                (msg, false)
            }
            SaveOutcome::Conflict {
                annotation_id,
                revision,
                updated_at,
            } => {
                // Held, not retried: only the user can say which answer stays.
                self.held[i].due = Instant::now() + UNTIL_DECIDED;
                self.held[i].conflict = Some((annotation_id, revision));
                (
                    Msg::SaveConflict {
                        kind,
                        task_id,
                        annotation_id,
                        revision,
                        updated_at,
                    },
                    true,
                )
            }
            SaveOutcome::Retry { after, reason } => {
                self.held[i].due = Instant::now() + after;
                (
                    Msg::SaveRetry {
                        kind,
                        task_id,
                        reason,
                    },
                    true,
                )
            }
        }
    }

    fn next_seed(&mut self) -> u64 {
        let mut x = self.seed;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.seed = x;
        x
    }

    /// Reads a task and the user's draft of it.
    fn open_task(&self, id: i64) -> Msg {
        match self.store.task_full(id) {
            Ok(Some(full)) => match self.store.draft(id, self.app.user_id) {
                Ok(draft) => Msg::TaskOpened {
                    full: Box::new(full),
                    draft,
                },
                // Opening it without the draft would show (and then save) less than is
                // stored.
                Err(e) => Failure::error(strings::cannot_read_task(id, &e.to_string())),
            },
            Ok(None) => Msg::NoSuchTask(id),
            Err(e) => Failure::error(strings::cannot_read_task(id, &e.to_string())),
        }
    }

    /// Claims the next task of the stream (giving up the one held) and reads it. A busy
    /// file is tried again a few times: each try already waits [`WRITE_WAIT`].
    fn next_task(&mut self, exclude: Option<i64>) -> Vec<Msg> {
        let seed = self.next_seed();
        let annotator = self.annotator();
        let mut tries = 0;
        loop {
            match annotator.next(&mut self.store, exclude, seed) {
                Ok(Some(id)) => {
                    self.set_held(Some(id));
                    return vec![self.open_task(id)];
                }
                Ok(None) => {
                    self.set_held(None);
                    return vec![Msg::NoTaskLeft {
                        open_by_others: self.open_by_others(),
                    }];
                }
                Err(e) if e.kind() == StoreErrorKind::Busy && tries < 3 => tries += 1,
                // Not writable (read-only, full, locked for long): go on labelling the
                // task the rules pick, unclaimed, and say so.
                Err(e) => {
                    let pick =
                        self.store
                            .next_task(self.app.user_id, self.app.sampling, exclude, seed);
                    let opened = match pick {
                        Ok(Some(id)) => self.open_task(id),
                        Ok(None) => Msg::NoTaskLeft {
                            open_by_others: self.open_by_others(),
                        },
                        Err(_) => {
                            return vec![Failure::error(strings::cannot_claim(&e.to_string()))];
                        }
                    };
                    return vec![opened, Failure::warn(strings::cannot_claim(&e.to_string()))];
                }
            }
        }
    }

    /// How many tasks other running annotators hold now.
    fn open_by_others(&self) -> usize {
        let me = self.annotator().session;
        let now = presence::now();
        let mut tasks: Vec<i64> = self
            .store
            .sessions()
            .unwrap_or_default()
            .iter()
            .filter(|s| s.id != me.id && presence::is_working(s, &me.host, now))
            .filter_map(|s| s.task_id)
            .collect();
        tasks.sort_unstable();
        tasks.dedup();
        tasks.len()
    }

    /// Whether another running annotator of this user holds `task`.
    fn held_by_my_other_window(&self, task: i64) -> bool {
        let me = self.annotator().session;
        let now = presence::now();
        self.store.sessions().is_ok_and(|all| {
            all.iter().any(|s| {
                s.id != me.id
                    && s.user_id == me.user_id
                    && s.task_id == Some(task)
                    && presence::is_working(s, &me.host, now)
            })
        })
    }

    /// Reads a task opened by itself (the list, a jump, the history, a draft) and claims
    /// it; says who else holds it.
    fn open_claimed(&mut self, id: i64) -> Vec<Msg> {
        let opened = self.open_task(id);
        if !matches!(opened, Msg::TaskOpened { .. }) {
            return vec![opened];
        }
        let annotator = self.annotator();
        match annotator.open(&mut self.store, id) {
            Ok(users) => {
                self.set_held(Some(id));
                let mut out = vec![opened];
                if !users.is_empty() {
                    out.push(Msg::HeldBy { task_id: id, users });
                }
                out
            }
            // Working on it needs no claim; others may be offered it meanwhile.
            Err(e) => vec![opened, Failure::warn(strings::cannot_claim(&e.to_string()))],
        }
    }

    /// Carries out one effect; returns what came of it, or gives the effect back when
    /// the caller (the terminal loop) must carry it out.
    fn execute(&mut self, effect: Effect) -> std::result::Result<Vec<Msg>, Effect> {
        let uid = self.app.user_id;
        let msgs = match effect {
            Effect::SaveDraft(p) | Effect::Save(p) => self.hold(p).into_iter().collect(),
            Effect::OpenTask(id) => self.open_claimed(id),
            Effect::NextTask { exclude } => self.next_task(exclude),
            // A count over many tasks must never hold up a key: the worker does it.
            Effect::RefreshAgreement => self
                .jobs
                .submit(&mut self.store, Job::RefreshAgreement)
                .into_iter()
                .collect(),
            Effect::Counts => self
                .jobs
                .submit(&mut self.store, Job::Counts { user_id: uid })
                .into_iter()
                .collect(),
            // A read first: finished annotators that claimed on every change would wake
            // each other up for ever.
            Effect::NextIfFree => {
                let seed = self.next_seed();
                match self.store.next_task(uid, self.app.sampling, None, seed) {
                    Ok(Some(_)) => self.next_task(None),
                    Ok(None) | Err(_) => Vec::new(),
                }
            }
            Effect::InspectTask { id, view } => match self.store.task_full(id) {
                Ok(full) => vec![Msg::TaskInspected {
                    id,
                    view,
                    full: full.map(Box::new),
                }],
                Err(e) => vec![Failure::error(strings::cannot_read_task(
                    id,
                    &e.to_string(),
                ))],
            },
            Effect::RefreshTask(id) => self
                .jobs
                .submit(&mut self.store, Job::Task { id })
                .into_iter()
                .collect(),
            Effect::Overwrite { task_id } => match self.conflicted(task_id) {
                Some(i) => {
                    let (id, revision) = self.held[i].conflict.take().expect("conflict");
                    self.held[i].saving.overwrite(id, revision);
                    vec![self.attempt(i).0]
                }
                None => Vec::new(),
            },
            Effect::KeepStored { task_id } => {
                self.held.retain(|h| {
                    let p = h.saving.pending();
                    p.task_id != task_id || p.kind == SaveKind::Draft
                });
                // The draft began from the answer given up: the one shown next begins
                // from the stored annotation.
                // (Should that fail, the draft keeps its older base, and its submit
                // asks again: nothing is replaced unasked.)
                let _ = self.store.delete_draft(task_id, uid);
                match self.store.task_full(task_id) {
                    Ok(full) => vec![Msg::TaskRefreshed {
                        id: task_id,
                        full: full.map(Box::new),
                        adopt: true,
                    }],
                    Err(e) => vec![Failure::error(strings::cannot_read_task(
                        task_id,
                        &e.to_string(),
                    ))],
                }
            }
            Effect::Resume => match self.store.latest_draft_task(uid) {
                // My other window is on it: that draft is its answer in the making.
                Ok(Some(id)) if self.held_by_my_other_window(id) => self.next_task(None),
                Ok(Some(id)) => self.open_claimed(id),
                Ok(None) => self.next_task(None),
                // Go on with the stream, and say why the draft was not resumed.
                Err(e) => {
                    let mut out = self.next_task(None);
                    out.push(Failure::error(format!("cannot look up your drafts: {e}")));
                    out
                }
            },
            Effect::ListPage {
                generation,
                key,
                forward,
                reset,
                count,
            } => {
                let job = Job::ListPage {
                    generation,
                    user_id: uid,
                    filter: self.app.list.filter,
                    sort: self.app.list.sort,
                    key,
                    forward,
                    reset,
                    count,
                };
                self.jobs.submit(&mut self.store, job).into_iter().collect()
            }
            Effect::ListJump {
                generation,
                id,
                count,
            } => {
                let job = Job::ListJump {
                    generation,
                    user_id: uid,
                    filter: self.app.list.filter,
                    sort: self.app.list.sort,
                    id,
                    count,
                };
                self.jobs.submit(&mut self.store, job).into_iter().collect()
            }
            Effect::Load(req) => {
                self.loader.request(req);
                Vec::new()
            }
            Effect::Review(super::screens::review::ReviewEffect::Queue { generation, order }) => {
                self.jobs
                    .submit(&mut self.store, Job::ReviewQueue { generation, order })
                    .into_iter()
                    .collect()
            }
            Effect::Review(e) => vec![super::screens::review::carry_out(&mut self.store, e)],
            Effect::Table(r) => self
                .jobs
                .submit(&mut self.store, Job::Table(r))
                .into_iter()
                .collect(),
            Effect::Sync => {
                if let Some(w) = &self.sync {
                    w.request();
                }
                Vec::new()
            }
            other => return Err(other),
        };
        Ok(msgs)
    }

    /// Carries out effects, feeding what comes of them back through the update; returns
    /// those the caller must handle.
    pub fn run(&mut self, effects: Vec<Effect>) -> Vec<Effect> {
        let mut out = Vec::new();
        let mut queue: VecDeque<Effect> = effects.into();
        while let Some(e) = queue.pop_front() {
            match self.execute(e) {
                Ok(msgs) => {
                    for m in msgs {
                        queue.extend(self.app.update(m));
                    }
                }
                Err(e) => out.push(e),
            }
        }
        out
    }
}

/// What reaches the terminal loop from its threads.
enum Incoming {
    Term(Event),
    /// Boxed: layout facts make messages much larger than terminal events.
    Msg(Box<Msg>),
    /// SIGHUP or SIGTERM, or the terminal is gone: leave now.
    Hangup,
}

/// How long held writes get when the terminal hung up or a signal asked to stop: short,
/// as whoever sent it waits (the drafts hold every answer anyway).
const HANGUP_FLUSH: Duration = Duration::from_secs(2);
/// How long held writes get on a quit the user asked for.
const QUIT_FLUSH: Duration = Duration::from_secs(5);
/// How long the last push gets on a quit the user asked for (what it does not send,
/// `labelterm push` does).
const SYNC_FLUSH: Duration = Duration::from_secs(15);

/// `--sync`: the linked server as the screen names it, and the push that sends to it.
fn sync_push(store: &Store, opts: &StartOptions) -> Result<(String, super::sync::PushFn)> {
    let link = store.server_link()?.ok_or_else(|| {
        Error::Usage(format!(
            "--sync: {} is not linked to a Label Studio server: run `labelterm link` first",
            opts.project.display()
        ))
    })?;
    // Media are read from where the annotator reads them (`--media-root`, `--allow-path`...).
    let client = crate::sync::client_for(&link)
        .map_err(|e| Error::Usage(e.to_string()))?
        .with_media_roots(opts.media_roots());
    let server = format!("project {} on {}", link.project_id, link.url);
    let push: super::sync::PushFn =
        Box::new(move |store: &mut Store| crate::sync::push::push(store, &client, &mut |_| {}));
    Ok((server, push))
}

/// `labelterm start`: runs the annotator until the user quits.
pub fn start(opts: StartOptions) -> Result<()> {
    // Open everything first so that errors print plainly, before the screen changes.
    let (tx, rx) = channel::<Incoming>();
    let sink = |tx: Sender<Incoming>| {
        let tx = std::sync::Mutex::new(tx);
        move |m: Msg| {
            if let Ok(t) = tx.lock() {
                let _ = t.send(Incoming::Msg(Box::new(m)));
            }
        }
    };
    let loaded = sink(tx.clone());
    let loader = Loader::spawn(2, Arc::new(move |l: Loaded| loaded(Msg::Loaded(l))));
    let mut session = Session::open(&opts, false, loader)?;
    let jobs = Jobs::watching(&opts.project, sink(tx.clone()), Some(session.lease()));
    session = session.with_jobs(jobs);
    if opts.sync {
        let (server, push) = sync_push(&session.store, &opts)?;
        let worker = super::sync::SyncWorker::spawn(
            opts.project.clone(),
            push,
            sink(tx.clone()),
            &super::sync::RETRY_WAITS,
        );
        session = session.with_sync(server, worker);
    }
    let hangup = std::sync::Mutex::new(tx.clone());
    let entered = terminal::enter(!opts.no_mouse, move || {
        if let Ok(t) = hangup.lock() {
            let _ = t.send(Incoming::Hangup);
        }
    });
    let (mut term, _guard, enhanced) = match entered {
        Ok(t) => t,
        Err(e) => {
            let _ = session.leave();
            return Err(Error::Other(format!("terminal: {e}")));
        }
    };
    session.app.keymap.ls_keys = enhanced;
    let paused = Arc::new(AtomicBool::new(false));
    let idle = Arc::new(AtomicBool::new(false));
    let term_tx = tx.clone();
    let reader = super::input::spawn_reader(
        move |ev| term_tx.send(Incoming::Term(ev)).is_ok(),
        paused.clone(),
        idle.clone(),
    )
    .map_err(|e| Error::Other(format!("terminal: {e}")))?;
    // The reader stops at the end of the terminal's input (a hangup): then leave, as
    // on SIGHUP, rather than wait for keys that cannot come.
    std::thread::spawn(move || {
        let _ = reader.join();
        let _ = tx.send(Incoming::Hangup);
    });
    let mut pending = session.start();
    let io = |e: std::io::Error| Error::Other(format!("terminal: {e}"));
    let mut limit = QUIT_FLUSH;
    loop {
        for e in std::mem::take(&mut pending) {
            let outcome = match e {
                Effect::Quit => return quit(&mut session, term, _guard, limit),
                Effect::ExternalEditor {
                    control,
                    entry,
                    text,
                } => {
                    pause(&paused, &idle);
                    let edited = match terminal::suspended(&mut term, || run_editor(&text)) {
                        Ok(edited) => edited,
                        Err(e) => return failed(&mut session, io(e)),
                    };
                    paused.store(false, Ordering::SeqCst);
                    match edited {
                        Ok(text) => Msg::EditorText {
                            control,
                            entry,
                            text,
                        },
                        Err(m) => Failure::warn(m),
                    }
                }
                Effect::FullImage { source, regions } => {
                    pause(&paused, &idle);
                    let r = match terminal::suspended(&mut term, || show_image(&source, &regions)) {
                        Ok(r) => r,
                        Err(e) => return failed(&mut session, io(e)),
                    };
                    paused.store(false, Ordering::SeqCst);
                    match r {
                        Ok(()) => continue,
                        Err(m) => Failure::warn(m),
                    }
                }
                Effect::Play(path) => play(&path),
                Effect::Clipboard(text) => {
                    if let Err(e) = terminal::copy_to_clipboard(&text) {
                        Failure::warn(e.to_string())
                    } else {
                        continue;
                    }
                }
                _ => continue,
            };
            pending.extend(session.feed(outcome));
        }
        if session.app.quit {
            return quit(&mut session, term, _guard, limit);
        }
        if let Err(e) = session.draw(&mut term) {
            // A terminal gone away cannot be drawn on: leave as on a hangup.
            if limit == HANGUP_FLUSH {
                return quit(&mut session, term, _guard, limit);
            }
            return failed(&mut session, io(e));
        }
        // Wake up for a held write's retry or a message to clear, else wait for input.
        let first = match session.next_due() {
            Some(due) => match rx.recv_timeout(due.saturating_duration_since(Instant::now())) {
                Ok(m) => m,
                Err(RecvTimeoutError::Timeout) => {
                    pending.extend(session.tick());
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return quit(&mut session, term, _guard, limit);
                }
            },
            None => match rx.recv() {
                Ok(m) => m,
                Err(_) => return quit(&mut session, term, _guard, limit),
            },
        };
        let mut batch = vec![first];
        // Drain what else arrived, so a burst of keys draws once.
        while let Ok(m) = rx.try_recv() {
            batch.push(m);
            if batch.len() > 64 {
                break;
            }
        }
        for incoming in batch {
            let msg = match incoming {
                Incoming::Term(Event::Key(k)) if k.kind != KeyEventKind::Release => Msg::Key(k),
                Incoming::Term(Event::Mouse(m)) => Msg::Mouse(m),
                Incoming::Term(Event::Resize(w, h)) => match term.autoresize() {
                    Ok(()) => Msg::Resize(w, h),
                    Err(e) => Failure::warn(format!("terminal: {e}")),
                },
                Incoming::Term(_) => continue,
                Incoming::Msg(m) => *m,
                Incoming::Hangup => {
                    limit = HANGUP_FLUSH;
                    Msg::Hangup
                }
            };
            pending.extend(session.feed(msg));
            if !pending.is_empty() || session.app.quit {
                break;
            }
        }
    }
}

/// Leaves: held writes get a last few seconds (`limit`), the claim goes back to the
/// pool; what still is not stored is said on the plain terminal (its draft is in memory
/// only, so the annotator must know).
fn quit<B: Backend, G>(
    session: &mut Session,
    term: Terminal<B>,
    guard: G,
    limit: Duration,
) -> Result<()> {
    let left = session.close(limit);
    drop(term);
    drop(guard);
    // After the last writes are stored: they go too.
    if let Some(worker) = session.take_sync() {
        let wait = if limit == HANGUP_FLUSH {
            HANGUP_FLUSH
        } else {
            SYNC_FLUSH
        };
        let project = session.app.project_path.clone();
        let finished = worker.finish(wait);
        if let Some(line) = strings::sync_at_exit(&finished, &project) {
            crate::eout!("{line}");
        }
    }
    if left.is_empty() {
        Ok(())
    } else {
        Err(Error::Other(format!(
            "{} answer(s) not saved: {}",
            left.len(),
            left.join("; ")
        )))
    }
}

/// The terminal failed under the loop: the claim goes back to the pool before the error
/// is told (every answer is in the draft already).
fn failed(session: &mut Session, e: Error) -> Result<()> {
    session.close(Duration::from_secs(1));
    Err(e)
}

/// Starts `$LABELTERM_PLAYER` on a media file; says what happened.
fn play(path: &str) -> Msg {
    match std::env::var("LABELTERM_PLAYER") {
        Ok(player) if !player.trim().is_empty() => {
            let mut parts = player.split_whitespace();
            let prog = parts.next().unwrap_or_default();
            let spawned = std::process::Command::new(prog)
                .args(parts)
                .arg(path)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn();
            match spawned {
                Ok(_) => Msg::Note(Note::Playing(prog.to_string())),
                Err(e) => Failure::warn(format!("cannot run {prog}: {e}")),
            }
        }
        _ => Msg::Note(Note::NoPlayer),
    }
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
