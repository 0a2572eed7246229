//! The review screen: walks the project's submitted annotations in the order the reviewer
//! picks (task, annotator, lowest agreement, lowest prediction score) and records a
//! decision on each: accept, fix and accept (in the annotator), or reject with a comment;
//! one annotation of a task can be starred as its ground truth. Every write is held until
//! the store has it (see [`crate::review::decision`]); the screen says "saved" only then.

use crate::review::decision::{self, HeldReview, ReviewOp, ReviewOutcome};
use crate::store::annotate::DraftRow;
use crate::store::{AnnotationRow, Decision, QueueItem, ReviewOrder, Store, TaskFull};
use crate::term_safe::tui_safe;
use crate::tui::action::Action;
use crate::tui::app::{App, EditTarget, Effect, Help, Level, Popup};
use crate::tui::keymap::{Ctx, Keymap};
use crate::tui::msg::Msg;
use crate::tui::popups::hints_of;
use crate::tui::screens::Screen;
use crate::tui::strings;
use crate::tui::widgets::block;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use serde_json::Value;
use std::time::Instant;

/// The review screen's state.
#[derive(Debug, Clone, Default)]
pub struct Review {
    pub order: ReviewOrder,
    /// The annotations to walk, in order; `None` until read.
    pub queue: Option<Vec<QueueItem>>,
    /// The annotation shown: an index into the queue.
    pub cursor: usize,
    /// The task of the annotation shown, once read, and its agreement figure.
    pub task: Option<(TaskFull, Option<f64>)>,
    /// Bumped by every new queue query: older replies are dropped.
    pub generation: u64,
    /// After a new order: the annotation to stay on when the queue arrives.
    keep: Option<i64>,
    /// Writes the store has not taken yet, oldest first, each with when to try again.
    pub held: Vec<(HeldReview, Instant)>,
    /// A write is on its way or waits for a retry.
    pub saving: bool,
    /// The last write failed with this reason (it is retried).
    pub failed: Option<String>,
    /// Quit was asked while writes are held: the next quit leaves without them.
    quit_asked: bool,
    /// The annotation the reviewer is fixing in the annotator.
    pub fixing: Option<i64>,
    /// First detail line shown.
    pub scroll: usize,
    /// What the details say about the annotation shown, made when it changes so that a
    /// frame only draws the lines it shows.
    pub lines: Vec<(Tone, String)>,
}

/// How a detail line is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Head,
    Base,
    Dim,
    Ok,
    Warn,
}

/// What the review screen asks of the store.
#[derive(Debug, Clone, PartialEq)]
pub enum ReviewEffect {
    Queue { generation: u64, order: ReviewOrder },
    Task { task_id: i64 },
    Write(HeldReview),
}

/// The store's replies.
#[derive(Debug)]
pub enum ReviewMsg {
    Queue {
        generation: u64,
        items: Result<Vec<QueueItem>, String>,
    },
    Task {
        task_id: i64,
        full: Result<Option<Box<TaskFull>>, String>,
        agreement: Option<f64>,
    },
    Written {
        held: HeldReview,
        outcome: ReviewOutcome,
    },
}

/// Carries out a review effect on the store (the runtime calls this).
pub fn carry_out(store: &mut Store, e: ReviewEffect) -> Msg {
    Msg::Review(match e {
        ReviewEffect::Queue { generation, order } => ReviewMsg::Queue {
            generation,
            items: store.review_queue(order).map_err(|e| e.to_string()),
        },
        ReviewEffect::Task { task_id } => ReviewMsg::Task {
            task_id,
            full: store
                .task_full(task_id)
                .map(|t| t.map(Box::new))
                .map_err(|e| e.to_string()),
            agreement: store.task_agreement(task_id).ok().flatten(),
        },
        ReviewEffect::Write(mut held) => {
            let outcome = held.attempt(store);
            ReviewMsg::Written { held, outcome }
        }
    })
}

impl Review {
    /// When a held write is due again.
    pub fn due(&self) -> Option<Instant> {
        self.held.iter().map(|(_, due)| *due).min()
    }

    /// The queue item shown.
    pub fn current(&self) -> Option<QueueItem> {
        self.queue.as_ref()?.get(self.cursor).copied()
    }

    /// The annotation shown, once its task is read.
    pub fn annotation(&self) -> Option<&AnnotationRow> {
        let item = self.current()?;
        let (full, _) = self.task.as_ref()?;
        (full.task.id == item.task_id)
            .then(|| full.annotations.iter().find(|a| a.id == item.annotation_id))
            .flatten()
    }

    fn len(&self) -> usize {
        self.queue.as_ref().map_or(0, Vec::len)
    }

    /// Moves to queue index `i`; reads its task when it is another one.
    fn go(&mut self, i: usize) -> Vec<Effect> {
        let Some(q) = &self.queue else {
            return Vec::new();
        };
        if q.is_empty() {
            return Vec::new();
        }
        let i = i.min(q.len() - 1);
        let changed_task = self
            .task
            .as_ref()
            .is_none_or(|(t, _)| t.task.id != q[i].task_id);
        self.cursor = i;
        self.scroll = 0;
        if changed_task {
            vec![Effect::Review(ReviewEffect::Task {
                task_id: q[i].task_id,
            })]
        } else {
            Vec::new()
        }
    }

    /// The first queue index of the next (`forward`) or previous task.
    fn task_step(&self, forward: bool) -> usize {
        let Some(q) = &self.queue else {
            return 0;
        };
        let Some(here) = q.get(self.cursor) else {
            return 0;
        };
        if forward {
            q.iter()
                .skip(self.cursor)
                .position(|x| x.task_id != here.task_id)
                .map_or(self.cursor, |p| self.cursor + p)
        } else {
            // The start of this task's run, then the start of the run before it.
            let start = |mut i: usize| {
                while i > 0 && q[i - 1].task_id == q[i].task_id {
                    i -= 1;
                }
                i
            };
            let mine = start(self.cursor);
            if mine == 0 { 0 } else { start(mine - 1) }
        }
    }
}

/// (key, what it does) for the review screen.
pub fn hints(km: &Keymap) -> Vec<(String, String)> {
    hints_of(
        km,
        Ctx::Review,
        &[
            (Action::Down, "next"),
            (Action::ReviewAccept, "accept"),
            (Action::ReviewReject, "reject"),
            (Action::ReviewFix, "fix"),
            (Action::GroundTruth, "ground truth"),
            (Action::CycleOrder, "order"),
            (Action::Help, "help"),
        ],
    )
}

fn who(a: &AnnotationRow) -> String {
    match (&a.completed_by_email, a.completed_by) {
        (Some(e), _) => e.clone(),
        (None, Some(id)) => format!("user {id}"),
        (None, None) => "unknown".into(),
    }
}

fn parse(text: &str) -> Vec<Value> {
    serde_json::from_str(text).unwrap_or_default()
}

fn decision_word(d: Decision) -> &'static str {
    match d {
        Decision::Accepted => "accepted",
        Decision::Fixed => "fixed and accepted",
        Decision::Rejected => "rejected",
    }
}

impl App {
    /// Opens the review screen and reads the annotations to walk.
    pub(in crate::tui) fn open_review(&mut self) -> Vec<Effect> {
        // A fix left by way of the task list stores nothing.
        if let Some(id) = self.review.fixing.take() {
            self.annotate.task = None;
            self.annotate.submitting = None;
            self.info(strings::review_fix_dropped(id));
        }
        self.screen = Screen::Review;
        // The figures the agreement order sorts by are computed before the queue is read.
        let mut out = vec![Effect::RefreshAgreement];
        out.extend(self.review_requery());
        out
    }

    fn review_requery(&mut self) -> Vec<Effect> {
        let r = &mut self.review;
        r.generation += 1;
        r.keep = r.current().map(|q| q.annotation_id);
        vec![Effect::Review(ReviewEffect::Queue {
            generation: r.generation,
            order: r.order,
        })]
    }

    /// An action on the review screen.
    pub(in crate::tui) fn review_action(&mut self, a: Action) -> Vec<Effect> {
        let r = &mut self.review;
        let page = 10;
        if a != Action::Quit {
            r.quit_asked = false;
        }
        match a {
            // Held decisions live only here: quitting drops them, so it is asked twice.
            Action::Quit if !r.held.is_empty() && !r.quit_asked => {
                r.quit_asked = true;
                let n = r.held.len();
                self.warn(strings::review_quit_unsaved(&self.keymap, n));
                Vec::new()
            }
            Action::Quit => {
                self.quit = true;
                vec![Effect::Quit]
            }
            Action::Help => {
                self.popup = Some(Popup::Help(Help::default()));
                Vec::new()
            }
            Action::TaskList | Action::Cancel => self.open_list(),
            Action::Down => {
                let e = r.go(r.cursor + 1);
                self.review_lines();
                e
            }
            Action::Up => {
                let e = r.go(r.cursor.saturating_sub(1));
                self.review_lines();
                e
            }
            Action::NextTask | Action::PrevTask => {
                let i = r.task_step(a == Action::NextTask);
                let e = r.go(i);
                self.review_lines();
                e
            }
            Action::Top => {
                let e = r.go(0);
                self.review_lines();
                e
            }
            Action::Bottom => {
                let e = r.go(r.len().saturating_sub(1));
                self.review_lines();
                e
            }
            Action::PageDown => {
                r.scroll = (r.scroll + page).min(r.lines.len().saturating_sub(1));
                Vec::new()
            }
            Action::PageUp => {
                r.scroll = r.scroll.saturating_sub(page);
                Vec::new()
            }
            Action::CycleOrder => {
                r.order = r.order.next();
                self.info(strings::review_order(self.review.order.name()));
                self.review_requery()
            }
            Action::ReviewAccept => match self.review.annotation().map(|a| a.id) {
                Some(id) => self.review_write(ReviewOp::accept(id, self.user_id)),
                None => Vec::new(),
            },
            Action::ReviewReject => {
                if let Some(id) = self.review.annotation().map(|a| a.id) {
                    self.start_editor(EditTarget::ReviewComment(id), String::new());
                }
                Vec::new()
            }
            Action::GroundTruth => match self.review.annotation() {
                Some(a) => {
                    let op = ReviewOp::Star {
                        annotation_id: a.id,
                        on: !a.ground_truth,
                    };
                    self.review_write(op)
                }
                None => Vec::new(),
            },
            Action::ReviewFix => self.review_fix(),
            _ => Vec::new(),
        }
    }

    /// The comment is in: reject the annotation with it.
    pub(in crate::tui) fn review_reject(
        &mut self,
        annotation_id: i64,
        comment: String,
    ) -> Vec<Effect> {
        self.review_write(ReviewOp::reject(annotation_id, self.user_id, comment))
    }

    /// Sends a write; it is held (and shown as not saved) until the store has it.
    fn review_write(&mut self, op: ReviewOp) -> Vec<Effect> {
        self.review.saving = true;
        vec![Effect::Review(ReviewEffect::Write(HeldReview::new(op)))]
    }

    /// Opens the annotation shown in the annotator for the reviewer to fix: its result
    /// is the starting point, and nothing is drafted or submitted as the reviewer's own
    /// (see [`App::review_intercept`]).
    fn review_fix(&mut self) -> Vec<Effect> {
        let Some(a) = self.review.annotation().cloned() else {
            return Vec::new();
        };
        if self
            .review
            .held
            .iter()
            .any(|(h, _)| h.op.annotation_id() == a.id)
        {
            self.warn(strings::REVIEW_WAIT_FIX);
            return Vec::new();
        }
        let Some((full, _)) = self.review.task.clone() else {
            return Vec::new();
        };
        let draft = DraftRow {
            id: 0,
            task_id: full.task.id,
            user_id: self.user_id,
            annotation_id: None,
            result: a.result.clone(),
            lead_time: a.lead_time,
            base_revision: None,
            created_at: String::new(),
            updated_at: String::new(),
        };
        self.review.fixing = Some(a.id);
        self.screen = Screen::Task;
        let effects = self.open_task(full, Some(draft));
        let note = strings::review_fixing(&self.keymap, a.id, &who(&a));
        self.info(note);
        effects
    }

    /// While the reviewer fixes an annotation, the annotator's writes are not theirs: a
    /// submit becomes the fix (stored over the annotation, then accepted), a skip leaves
    /// the annotation as it was, drafts and moves to other tasks are dropped.
    pub(in crate::tui) fn review_intercept(&mut self, effects: Vec<Effect>) -> Vec<Effect> {
        let Some(annotation_id) = self.review.fixing else {
            return effects;
        };
        let mut out = Vec::new();
        for e in effects {
            match e {
                Effect::Save(p) => {
                    self.review.fixing = None;
                    self.annotate.submitting = None;
                    self.annotate.task = None;
                    self.screen = Screen::Review;
                    if p.kind == crate::annotate::SaveKind::Submit {
                        out.extend(self.review_write(ReviewOp::fix(
                            annotation_id,
                            self.user_id,
                            p.result,
                        )));
                    } else {
                        self.info(strings::review_fix_dropped(annotation_id));
                    }
                }
                Effect::SaveDraft(_)
                | Effect::NextTask { .. }
                | Effect::OpenTask(_)
                | Effect::Resume
                | Effect::NextIfFree => {}
                other => out.push(other),
            }
        }
        out
    }

    /// Another process wrote to the project: the task shown is read again.
    pub(in crate::tui) fn review_store_changed(&mut self) -> Vec<Effect> {
        match self.review.current() {
            Some(q) if self.screen == Screen::Review => {
                vec![Effect::Review(ReviewEffect::Task { task_id: q.task_id })]
            }
            _ => Vec::new(),
        }
    }

    /// Time passed: held writes that are due are tried again.
    pub(in crate::tui) fn review_tick(&mut self, now: Instant) -> Vec<Effect> {
        let (due, wait): (Vec<_>, Vec<_>) = std::mem::take(&mut self.review.held)
            .into_iter()
            .partition(|(_, at)| *at <= now);
        self.review.held = wait;
        due.into_iter()
            .map(|(h, _)| Effect::Review(ReviewEffect::Write(h)))
            .collect()
    }

    /// A reply from the store.
    pub(in crate::tui) fn review_msg(&mut self, m: ReviewMsg) -> Vec<Effect> {
        match m {
            ReviewMsg::Queue { generation, items } => {
                if generation != self.review.generation {
                    return Vec::new();
                }
                match items {
                    Ok(items) => {
                        let keep = self.review.keep.take();
                        let at = keep
                            .and_then(|id| items.iter().position(|q| q.annotation_id == id))
                            .unwrap_or(0);
                        if items.is_empty() {
                            self.info(strings::REVIEW_NOTHING);
                        }
                        self.review.queue = Some(items);
                        self.review.task = None;
                        let e = self.review.go(at);
                        self.review_lines();
                        e
                    }
                    Err(e) => {
                        self.message = Some((Level::Error, e));
                        Vec::new()
                    }
                }
            }
            ReviewMsg::Task {
                task_id,
                full,
                agreement,
            } => {
                if self.review.current().map(|q| q.task_id) != Some(task_id) {
                    return Vec::new();
                }
                match full {
                    Ok(Some(full)) => self.review.task = Some((*full, agreement)),
                    Ok(None) => self.warn(strings::no_such_task(task_id)),
                    Err(e) => self.message = Some((Level::Error, e)),
                }
                self.review_lines();
                Vec::new()
            }
            ReviewMsg::Written { held, outcome } => match outcome {
                ReviewOutcome::Saved => {
                    let r = &mut self.review;
                    r.failed = None;
                    r.saving = !r.held.is_empty();
                    let id = held.op.annotation_id();
                    let what = match &held.op {
                        ReviewOp::Decide(w) => decision_word(w.decision),
                        ReviewOp::Star { on: true, .. } => "starred as ground truth",
                        ReviewOp::Star { on: false, .. } => "no longer ground truth",
                    };
                    self.message = Some((Level::Ok, strings::review_saved(what, id)));
                    // A decision moves on to the next annotation; the task is read
                    // again either way, so what is shown is what is stored.
                    let on_it = r.current().is_some_and(|q| q.annotation_id == id);
                    if on_it && matches!(held.op, ReviewOp::Decide(_)) && r.cursor + 1 < r.len() {
                        r.cursor += 1;
                        r.scroll = 0;
                    }
                    self.review_lines();
                    match self.review.current() {
                        Some(q) => vec![Effect::Review(ReviewEffect::Task { task_id: q.task_id })],
                        None => Vec::new(),
                    }
                }
                ReviewOutcome::Retry { after, reason } => {
                    self.message = Some((Level::Warn, strings::review_not_saved(&reason)));
                    self.review.failed = Some(reason);
                    self.review.saving = true;
                    self.review.held.push((held, Instant::now() + after));
                    Vec::new()
                }
            },
        }
    }

    /// Makes the detail lines of the annotation shown.
    fn review_lines(&mut self) {
        let lines = self.review_detail();
        let r = &mut self.review;
        r.scroll = r.scroll.min(lines.len().saturating_sub(1));
        r.lines = lines;
    }

    fn review_detail(&self) -> Vec<(Tone, String)> {
        let r = &self.review;
        let mut out: Vec<(Tone, String)> = Vec::new();
        let Some(item) = r.current() else {
            let empty = r.queue.as_ref().is_some_and(Vec::is_empty);
            out.push((
                Tone::Dim,
                if empty {
                    strings::REVIEW_NOTHING
                } else {
                    strings::REVIEW_LOADING
                }
                .into(),
            ));
            return out;
        };
        let Some((full, _)) = r.task.as_ref().filter(|(t, _)| t.task.id == item.task_id) else {
            out.push((Tone::Dim, strings::REVIEW_LOADING.into()));
            return out;
        };
        let Some(a) = full.annotations.iter().find(|a| a.id == item.annotation_id) else {
            out.push((
                Tone::Warn,
                format!("annotation {} is gone", item.annotation_id),
            ));
            return out;
        };
        let safe = |s: &str| tui_safe(s, false).into_owned();
        let data: Value = serde_json::from_str(&full.task.data).unwrap_or(Value::Null);
        let config = self.base_config.expand_for_task(&data);
        let mine = parse(&a.result);
        out.push((
            Tone::Head,
            format!(
                "annotation {} by {} · {} · lead time {}",
                a.id,
                safe(&who(a)),
                safe(&a.updated_at),
                a.lead_time.map_or("-".into(), |t| format!("{t:.1}s"))
            ),
        ));
        if mine.is_empty() {
            out.push((Tone::Dim, "  (empty result)".into()));
        }
        for res in &mine {
            out.push((
                Tone::Base,
                format!("  {}", crate::review::describe(&config, res)),
            ));
        }
        // Decisions so far, oldest first.
        let history: Vec<_> = full
            .reviews
            .iter()
            .filter(|v| v.annotation_id == a.id)
            .collect();
        if !history.is_empty() {
            out.push((Tone::Head, "decisions".into()));
            for v in history {
                let tone = if v.decision.accepts() {
                    Tone::Ok
                } else {
                    Tone::Warn
                };
                let comment = if v.comment.is_empty() {
                    String::new()
                } else {
                    format!(": {}", safe(&v.comment.replace('\n', " ")))
                };
                out.push((
                    tone,
                    format!(
                        "  {} by {} at {}{}",
                        decision_word(v.decision),
                        safe(v.reviewer_email.as_deref().unwrap_or("?")),
                        safe(&v.created_at),
                        comment
                    ),
                ));
            }
        }
        // How the other annotations of the task differ from this one.
        for other in full
            .annotations
            .iter()
            .filter(|o| o.id != a.id && !o.was_cancelled)
        {
            let d = crate::review::diff(&mine, &parse(&other.result));
            let n = d.differences();
            out.push((
                Tone::Head,
                if n == 0 {
                    format!("vs {} ({}): same", safe(&who(other)), other.id)
                } else {
                    format!("vs {} ({}): {n} difference(s)", safe(&who(other)), other.id)
                },
            ));
            for e in d.entries.iter().filter(|e| e.is_difference()) {
                let side = |v: &Option<Value>| {
                    v.as_ref().map_or("—".into(), |v| {
                        crate::review::describe::value_text(&config, v)
                    })
                };
                out.push((
                    Tone::Dim,
                    safe(&format!(
                        "  {}: {} → {}",
                        e.control,
                        side(&e.before),
                        side(&e.after)
                    )),
                ));
            }
        }
        // The task's text, for reading the labels against it.
        out.push((Tone::Head, format!("task {} data", full.task.id)));
        if let Value::Object(m) = &data {
            for (k, v) in m {
                let text = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let mut lines = text.lines();
                if let Some(first) = lines.next() {
                    out.push((Tone::Base, format!("  {}: {}", safe(k), safe(first))));
                }
                for l in lines.take(20) {
                    out.push((Tone::Base, format!("    {}", safe(l))));
                }
            }
        }
        out
    }
}

/// The status line's task and save state on the review screen.
pub fn status(app: &App) -> (String, String) {
    let r = &app.review;
    let task = r
        .current()
        .map_or("no task".to_string(), |q| format!("task #{}", q.task_id));
    let save = match (&r.failed, r.saving) {
        (Some(e), _) => format!("NOT SAVED: {e}"),
        (None, true) => "saving…".to_string(),
        (None, false) => "saved".to_string(),
    };
    (task, save)
}

/// Draws the review screen: the task's annotations, then the details of the one shown.
pub fn view(f: &mut Frame, app: &App, area: Rect) {
    let th = &app.theme;
    let r = &app.review;
    let state = match (&r.failed, r.saving) {
        (Some(_), _) => "NOT SAVED, retrying".to_string(),
        (None, true) => "saving…".to_string(),
        (None, false) => "saved".to_string(),
    };
    let place = match (r.current(), &r.queue) {
        (Some(q), Some(all)) => format!(
            " · annotation {}/{} · task #{}",
            r.cursor + 1,
            all.len(),
            q.task_id
        ),
        _ => String::new(),
    };
    let agreement = r
        .task
        .as_ref()
        .and_then(|(_, a)| *a)
        .map_or(String::new(), |a| format!(" · agreement {a:.2}"));
    let title = format!(
        " Review · order: {}{place}{agreement} · {state} ",
        r.order.name()
    );
    let b = block(th, title, true);
    let inner = b.inner(area);
    f.render_widget(b, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let width = inner.width as usize;
    let mut lines: Vec<Line> = Vec::new();
    // The annotations of the task shown, the current one marked.
    let anns: Vec<&AnnotationRow> = match (&r.task, r.current()) {
        (Some((t, _)), Some(q)) if t.task.id == q.task_id => t.annotations.iter().collect(),
        _ => Vec::new(),
    };
    let list_rows = anns.len().min((inner.height as usize / 3).max(1));
    if !anns.is_empty() {
        let here = r.current().map(|q| q.annotation_id);
        let at = anns.iter().position(|a| Some(a.id) == here).unwrap_or(0);
        let start = at.saturating_sub(list_rows.saturating_sub(1));
        for a in anns.iter().skip(start).take(list_rows) {
            let full = &r.task.as_ref().expect("task shown").0;
            let state = decision::state(&full.reviews, a.id)
                .map_or("not reviewed", |v| decision_word(v.decision));
            let row = format!(
                "{} {:>6} {:<24} {:<20} {}{}",
                if Some(a.id) == here { "▶" } else { " " },
                a.id,
                clip(&tui_safe(&who(a), false), 24),
                if a.ground_truth {
                    "★ ground truth"
                } else {
                    ""
                },
                state,
                if a.was_cancelled { " (skipped)" } else { "" },
            );
            let style = if Some(a.id) == here {
                th.cursor()
            } else {
                th.base()
            };
            lines.push(Line::from(Span::styled(clip(&row, width), style)));
        }
    }
    let room = (inner.height as usize).saturating_sub(lines.len());
    for (tone, text) in r.lines.iter().skip(r.scroll).take(room) {
        let style = match tone {
            Tone::Head => th.accent().add_modifier(Modifier::BOLD),
            Tone::Base => th.base(),
            Tone::Dim => th.dim(),
            Tone::Ok => th.ok(),
            Tone::Warn => th.warn(),
        };
        lines.push(Line::from(Span::styled(clip(text, width), style)));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// The text cut to `w` columns, with `…` when cut.
fn clip(s: &str, w: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut out = String::new();
    let mut col = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if col + cw > w {
            out.pop();
            out.push('…');
            return out;
        }
        col += cw;
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(tasks: &[i64], cursor: usize) -> Review {
        Review {
            queue: Some(
                tasks
                    .iter()
                    .enumerate()
                    .map(|(i, t)| QueueItem {
                        annotation_id: i as i64 + 1,
                        task_id: *t,
                    })
                    .collect(),
            ),
            cursor,
            ..Review::default()
        }
    }

    #[test]
    fn task_steps_go_to_the_first_annotation_of_the_next_or_previous_task() {
        let tasks = [1, 1, 2, 3, 3, 3, 1];
        assert_eq!(at(&tasks, 0).task_step(true), 2);
        assert_eq!(at(&tasks, 2).task_step(true), 3);
        assert_eq!(at(&tasks, 3).task_step(true), 6);
        assert_eq!(
            at(&tasks, 5).task_step(true),
            6,
            "task 1 again, later in the order"
        );
        assert_eq!(at(&tasks, 6).task_step(true), 6, "nothing after the last");
        assert_eq!(
            at(&tasks, 5).task_step(false),
            2,
            "from inside a run: the run before"
        );
        assert_eq!(at(&tasks, 2).task_step(false), 0);
        assert_eq!(at(&tasks, 1).task_step(false), 0);
        assert_eq!(at(&[], 0).task_step(true), 0);
    }

    #[test]
    fn moving_reads_a_task_only_when_it_changes() {
        let mut r = at(&[1, 1, 2], 0);
        assert_eq!(
            r.go(1),
            vec![Effect::Review(ReviewEffect::Task { task_id: 1 })],
            "no task read yet"
        );
        let (dir, store) = crate::store::tests::with_tasks(2);
        r.task = Some((store.task_full(1).unwrap().unwrap(), None));
        drop(dir);
        assert!(r.go(0).is_empty(), "the same task");
        assert_eq!(
            r.go(9),
            vec![Effect::Review(ReviewEffect::Task { task_id: 2 })],
            "past the end: the last"
        );
        assert_eq!(r.cursor, 2);
    }
}
