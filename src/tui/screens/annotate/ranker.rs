//! The annotate screen's Ranker boards and Lists: a List's items drawn as a list, a
//! Ranker's items in columns (its buckets and the unsorted pool) or in stacked sections
//! when the pane is narrow; moving items by key and by mouse drag; the result Label
//! Studio writes for an untouched Ranker on submit.

use super::panels::more_title;
use super::view::{Item, focused_is};
use super::{Content, Focus};
use crate::annotate::ranking::{self, Board, ListItem};
use crate::config::{ControlKind, LabelConfig, ObjectKind, ObjectTag};
use crate::term_safe::tui_safe;
use crate::tui::action::Action;
use crate::tui::app::{App, Effect};
use crate::tui::msg::{Hit, HitTarget, TaskLayout};
use crate::tui::strings;
use crate::tui::widgets::{block, clip};
use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use std::collections::{HashMap, HashSet};

/// Narrower columns than this are stacked as sections instead.
const MIN_COLUMN_WIDTH: u16 = 24;
/// Body lines of an item, and of the item under the cursor.
const BODY_LINES: usize = 2;
const BODY_LINES_CURSOR: usize = 8;

/// Cursors and the mouse drag of the task's Ranker boards and Lists.
#[derive(Debug, Clone, Default)]
pub struct RankState {
    /// Per List object name: its items, parsed when its content arrives.
    pub lists: HashMap<String, Result<std::sync::Arc<ranking::ListItems>, String>>,
    /// Per Ranker (or List) name: the cursor as (board column, row).
    pub cursor: HashMap<String, (usize, usize)>,
    /// A drag in progress: (Ranker control, column, row) where it started.
    pub drag: Option<(usize, usize, usize)>,
}

/// Parses a List object's items again after its content changed (`contents[name]`).
pub(super) fn sync_list(t: &mut super::TaskState, name: &str) {
    let is_list = t
        .config
        .object(name)
        .is_some_and(|o| o.kind == ObjectKind::List);
    match t.contents.get(name) {
        Some(Content::Data(v)) if is_list => {
            let parsed = ranking::ListItems::parse(v).map(std::sync::Arc::new);
            t.ranking.lists.insert(name.to_string(), parsed);
        }
        _ => {
            t.ranking.lists.remove(name);
        }
    }
}

/// What a board belongs to: a Ranker (control index) or a List no Ranker ranks (object
/// index), which is shown read-only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Ranker(usize),
    List(usize),
}

/// A board as shown now: its columns, the list's items by id, and the name its cursor
/// is kept under.
pub struct Shown {
    pub board: Board,
    pub items: std::sync::Arc<ranking::ListItems>,
    pub name: String,
}

/// The List a Ranker ranks: the object its whole `toName` names, when that is a List (as
/// Label Studio looks it up).
pub fn ranked_list(config: &LabelConfig, ci: usize) -> Option<&ObjectTag> {
    let c = config.controls.get(ci)?;
    config
        .object(&c.to_name.join(","))
        .filter(|o| o.kind == ObjectKind::List)
}

/// Puts Rankers and Pairwise comparisons in the places of what they show: a Ranker in its
/// List's place, a Pairwise in the place of its first object (the second one joins it).
/// A Ranker or Pairwise whose targets are not there stays a side panel, which says why.
pub(super) fn combine_items(config: &LabelConfig, out: &mut Vec<Item>) {
    let mut ranked: HashMap<String, usize> = HashMap::new();
    let mut paired: HashMap<String, usize> = HashMap::new();
    for (ci, c) in config.controls.iter().enumerate() {
        match c.kind {
            ControlKind::Ranker => {
                if let Some(o) = ranked_list(config, ci) {
                    ranked.entry(o.name.clone()).or_insert(ci);
                }
            }
            ControlKind::Pairwise => {
                if let Ok((a, b)) = ranking::pair_names(&c.to_name)
                    && config.object(a).is_some()
                    && config.object(b).is_some()
                    && !paired.contains_key(a)
                    && !paired.contains_key(b)
                {
                    paired.insert(a.to_string(), ci);
                    paired.insert(b.to_string(), ci);
                }
            }
            _ => {}
        }
    }
    if ranked.is_empty() && paired.is_empty() {
        return;
    }
    let drawn: HashSet<usize> = ranked.values().chain(paired.values()).copied().collect();
    let mut pairs_placed = HashSet::new();
    let old = std::mem::take(out);
    for item in old {
        match item {
            Item::Object(o) if ranked.contains_key(&o.name) => {
                out.push(Item::Ranker(ranked[&o.name]));
            }
            Item::Object(o) if paired.contains_key(&o.name) => {
                let ci = paired[&o.name];
                if pairs_placed.insert(ci) {
                    out.push(Item::Pair(ci));
                }
            }
            Item::Control(ci) if drawn.contains(&ci) => {}
            other => out.push(other),
        }
    }
}

/// The text of an item's `html`: images become `[image: file]`, tags go, entities are
/// decoded (as the text panes read HTML).
pub fn html_text(html: &str) -> String {
    static IMG: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let img = IMG.get_or_init(|| {
        regex::Regex::new(r#"(?is)<img\b[^>]*?\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))[^>]*>"#)
            .expect("the image pattern compiles")
    });
    let with_names = img.replace_all(html, |c: &regex::Captures| {
        let src = c
            .get(1)
            .or(c.get(2))
            .or(c.get(3))
            .map_or("", |m| m.as_str());
        let file = src
            .rsplit(['/', '\\'])
            .next()
            .filter(|f| !f.is_empty())
            .unwrap_or(src);
        // Angle brackets would read as a tag; the name is text.
        let file = file.replace(['<', '>'], "");
        format!("<span>[image: {file}]</span>")
    });
    crate::tui::text::SpanDoc::html(&with_names)
        .display
        .iter()
        .collect()
}

/// Up to `max` lines of `text` wrapped at `width` columns, and whether some was left out;
/// a text that ends in a newline ends there.
pub fn wrap(text: &str, width: usize, max: usize) -> (Vec<String>, bool) {
    let (mut lines, cut) = crate::tui::widgets::wrap(text, width, max);
    if lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    (lines, cut)
}

/// The lines of one item: its number and title (or id), then its body and html text.
fn item_lines(
    item: Option<&ListItem>,
    id: &str,
    number: usize,
    width: usize,
    body_lines: usize,
) -> Vec<(String, bool)> {
    let Some(item) = item else {
        return vec![(format!("{number:>2}. ? {id} (not in the list)"), true)];
    };
    let head = item
        .title
        .clone()
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| id.to_string());
    let mut out = vec![(clip(&format!("{number:>2}. {}", head.trim()), width), true)];
    let mut text = item.body.clone().unwrap_or_default();
    if let Some(h) = &item.html {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&html_text(h));
    }
    let text = tui_safe(text.trim(), true);
    if body_lines > 0 && !text.is_empty() {
        let (mut lines, cut) = wrap(&text, width.saturating_sub(4), body_lines);
        if cut && let Some(last) = lines.last_mut() {
            let keep = width.saturating_sub(5);
            *last = crate::term_safe::truncate_to_width(last, keep).into_owned();
            last.push('…');
        }
        out.extend(lines.into_iter().map(|l| (format!("    {l}"), false)));
    }
    out
}

/// One row of a drawn board: a column's heading (stacked form) or an item.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Entry {
    Heading(usize),
    Item(usize, usize),
}

impl App {
    /// The board a Ranker or List shows now (for the result shown: mine, a prediction
    /// or another annotation), or why there is none.
    pub(in crate::tui) fn rank_board(&self, target: Target) -> Result<Shown, String> {
        let t = self.annotate.task.as_ref().ok_or("no task")?;
        let (list, name, buckets, value) = match target {
            Target::Ranker(ci) => {
                let c = t.config.controls.get(ci).ok_or("no such control")?;
                let list = ranked_list(&t.config, ci).ok_or_else(|| {
                    format!(
                        "Ranker {} needs a List object named {:?}",
                        c.name,
                        c.to_name.join(",")
                    )
                })?;
                let value = self
                    .shown_result()
                    .into_iter()
                    .find(|r| crate::tui::result::from_name(r) == c.name)
                    .and_then(|r| r.get("value").and_then(|v| v.get("ranker")).cloned());
                (list, c.name.clone(), c.buckets.clone(), value)
            }
            Target::List(oi) => {
                let o = t.config.objects.get(oi).ok_or("no such object")?;
                (o, o.name.clone(), Vec::new(), None)
            }
        };
        let items = match (t.ranking.lists.get(&list.name), t.contents.get(&list.name)) {
            (Some(parsed), Some(Content::Data(_))) => parsed.clone()?,
            (None, Some(Content::Data(v))) => std::sync::Arc::new(ranking::ListItems::parse(v)?),
            (_, Some(Content::Loading)) => return Err("loading…".into()),
            (_, Some(Content::Failed(e))) => return Err(e.clone()),
            _ => return Err("a List needs a list of items {id, title, body, html}".into()),
        };
        let ids: Vec<String> = items.items.iter().map(|i| i.id.clone()).collect();
        let title = list.attr("title").unwrap_or_default();
        let board = ranking::board(&name, &buckets, title, &ids, value.as_ref());
        Ok(Shown { board, items, name })
    }

    /// The focused board, if a Ranker or List has the focus.
    fn focused_board(&self) -> Option<Target> {
        let t = self.annotate.task.as_ref()?;
        match t.focusables.get(t.focus)? {
            Focus::Control(ci) if t.config.controls[*ci].kind == ControlKind::Ranker => {
                Some(Target::Ranker(*ci))
            }
            Focus::Object(oi) if t.config.objects[*oi].kind == ObjectKind::List => {
                Some(Target::List(*oi))
            }
            _ => None,
        }
    }

    /// A key on the focused Ranker or List: the cursor moves, or the item under it does.
    pub(in crate::tui) fn ranker_action(&mut self, a: Action) -> Vec<Effect> {
        let Some(target) = self.focused_board() else {
            return Vec::new();
        };
        let shown = match self.rank_board(target) {
            Ok(s) => s,
            Err(e) => {
                self.warn(e);
                return Vec::new();
            }
        };
        let board = &shown.board;
        let cols = board.shown();
        let t = self.annotate.task.as_ref().expect("task");
        let (c, r) = clamp_cursor(board, t.ranking.cursor.get(&shown.name).copied());
        let len = |c: usize| board.columns[c].ids.len();
        let pos = cols.iter().position(|x| *x == c).unwrap_or(0);
        let next_col = |step: isize| -> Option<usize> {
            let p = pos as isize + step;
            (p >= 0).then(|| cols.get(p as usize).copied()).flatten()
        };
        let cursor = match a {
            Action::Up => Some((c, r.saturating_sub(self.annotate.take_count()))),
            Action::Down => Some((
                c,
                (r + self.annotate.take_count()).min(len(c).saturating_sub(1)),
            )),
            Action::Top => Some((c, 0)),
            Action::Bottom => Some((c, len(c).saturating_sub(1))),
            Action::Left | Action::Right => {
                let nc = next_col(if a == Action::Left { -1 } else { 1 }).unwrap_or(c);
                Some((nc, r.min(len(nc).saturating_sub(1))))
            }
            _ => None,
        };
        if let Some(cur) = cursor {
            let name = shown.name.clone();
            if let Some(t) = &mut self.annotate.task {
                t.ranking.cursor.insert(name, cur);
            }
            return Vec::new();
        }
        let Target::Ranker(ci) = target else {
            if matches!(
                a,
                Action::MoveItemUp
                    | Action::MoveItemDown
                    | Action::MoveItemLeft
                    | Action::MoveItemRight
            ) {
                self.info(strings::LIST_READ_ONLY);
            }
            return Vec::new();
        };
        if len(c) == 0 {
            return Vec::new();
        }
        let to = match a {
            Action::MoveItemUp if r > 0 => (c, r - 1),
            Action::MoveItemDown => (c, r + 1),
            Action::MoveItemLeft | Action::MoveItemRight => {
                match next_col(if a == Action::MoveItemLeft { -1 } else { 1 }) {
                    Some(nc) => (nc, r.min(len(nc))),
                    None => return Vec::new(),
                }
            }
            _ => return Vec::new(),
        };
        self.rank_move(ci, shown, (c, r), to)
    }

    /// Moves an item of Ranker `ci`'s board and stores the board as its result; the
    /// cursor follows the item. A Ranker with `readonly="true"` keeps its order.
    fn rank_move(
        &mut self,
        ci: usize,
        shown: Shown,
        from: (usize, usize),
        to: (usize, usize),
    ) -> Vec<Effect> {
        if let Some(t) = &self.annotate.task
            && let Some(c) = t.config.controls.get(ci)
            && c.attr("readonly")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
        {
            let name = c.name.clone();
            self.info(strings::rank_read_only(&name));
            return Vec::new();
        }
        let mut board = shown.board;
        if !board.move_item(from, to) {
            return Vec::new();
        }
        let landed = (
            to.0,
            to.1.min(board.columns[to.0].ids.len().saturating_sub(1)),
        );
        let t = self.annotate.task.as_ref().expect("task");
        let c = &t.config.controls[ci];
        let (name, list) = (c.name.clone(), c.to_name.join(","));
        let value = match board.value() {
            serde_json::Value::Object(m) => m,
            _ => return Vec::new(),
        };
        let effects = self.edit(move |_, r| {
            ranking::set_result(r, &name, &list, "ranker", Some(value));
            true
        });
        if !effects.is_empty()
            && let Some(t) = &mut self.annotate.task
        {
            t.ranking.cursor.insert(shown.name, landed);
        }
        effects
    }

    /// Before a submit, Label Studio writes the result of every Ranker nobody touched:
    /// all items in the default column. The same is done here, so that the stored answer
    /// is the board on screen.
    pub(in crate::tui) fn rank_defaults(&mut self) {
        let Some(t) = &mut self.annotate.task else {
            return;
        };
        let mut add = Vec::new();
        for ci in 0..t.config.controls.len() {
            let c = &t.config.controls[ci];
            if c.kind != ControlKind::Ranker
                || t.draft
                    .result()
                    .iter()
                    .any(|r| crate::tui::result::from_name(r) == c.name)
            {
                continue;
            }
            let Some(list) = ranked_list(&t.config, ci) else {
                continue;
            };
            let items = match t.contents.get(&list.name) {
                Some(Content::Data(v)) => ranking::list_items(v).unwrap_or_default(),
                _ => Vec::new(),
            };
            let ids: Vec<String> = items.into_iter().map(|i| i.id).collect();
            let title = list.attr("title").unwrap_or_default();
            let board = ranking::board(&c.name, &c.buckets, title, &ids, None);
            if let serde_json::Value::Object(m) = board.value() {
                add.push((c.name.clone(), c.to_name.join(","), m));
            }
        }
        if add.is_empty() {
            return;
        }
        t.draft.apply(&t.config, |_, r| {
            for (name, list, value) in add {
                ranking::set_result(r, &name, &list, "ranker", Some(value));
            }
            true
        });
    }

    /// Whether a mouse event is for a board or a pair: a press on an item or a side, or
    /// the rest of a drag begun on an item.
    pub(in crate::tui) fn ranking_mouse_wanted(&self, m: &MouseEvent) -> bool {
        let Some(t) = &self.annotate.task else {
            return false;
        };
        if t.ranking.drag.is_some()
            && matches!(m.kind, MouseEventKind::Drag(_) | MouseEventKind::Up(_))
        {
            return true;
        }
        matches!(m.kind, MouseEventKind::Down(MouseButton::Left))
            && matches!(
                self.ranking_hit(m),
                Some(HitTarget::RankItem(..) | HitTarget::PairSide(..))
            )
    }

    /// The innermost board or pair target under the mouse.
    fn ranking_hit(&self, m: &MouseEvent) -> Option<HitTarget> {
        let t = self.annotate.task.as_ref()?;
        let at = Position::new(m.column, m.row);
        t.layout
            .hits
            .iter()
            .rev()
            .filter(|h| h.area.contains(at))
            .map(|h| h.target)
            .find(|h| {
                matches!(
                    h,
                    HitTarget::RankItem(..) | HitTarget::RankColumn(..) | HitTarget::PairSide(..)
                )
            })
    }

    /// A press on an item puts the cursor on it and starts a drag; the release on another
    /// item moves the dragged one to its place, on a column to the column's end. A press
    /// on a side of a Pairwise chooses it.
    pub(in crate::tui) fn ranking_mouse(&mut self, m: MouseEvent) -> Vec<Effect> {
        let under = self.ranking_hit(&m);
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) => match under {
                Some(HitTarget::RankItem(ci, c, r)) => {
                    self.focus_control(ci);
                    let name = self
                        .annotate
                        .task
                        .as_ref()
                        .map(|t| t.config.controls[ci].name.clone())
                        .unwrap_or_default();
                    if let Some(t) = &mut self.annotate.task {
                        t.ranking.cursor.insert(name, (c, r));
                        t.ranking.drag = Some((ci, c, r));
                    }
                    Vec::new()
                }
                Some(HitTarget::PairSide(ci, side)) => {
                    self.focus_control(ci);
                    self.pairwise_pick(ci, side)
                }
                _ => Vec::new(),
            },
            MouseEventKind::Up(_) => {
                let Some((ci, c, r)) = self
                    .annotate
                    .task
                    .as_mut()
                    .and_then(|t| t.ranking.drag.take())
                else {
                    return Vec::new();
                };
                let to = match under {
                    Some(HitTarget::RankItem(tc, dc, dr)) if tc == ci => (dc, dr),
                    Some(HitTarget::RankColumn(tc, dc)) if tc == ci => (dc, usize::MAX),
                    _ => return Vec::new(),
                };
                match self.rank_board(Target::Ranker(ci)) {
                    Ok(shown) => self.rank_move(ci, shown, (c, r), to),
                    Err(_) => Vec::new(),
                }
            }
            _ => Vec::new(),
        }
    }

    /// Gives the focus to control `ci`'s pane.
    pub(in crate::tui) fn focus_control(&mut self, ci: usize) {
        if let Some(t) = &mut self.annotate.task
            && let Some(fi) = t.focusables.iter().position(|f| *f == Focus::Control(ci))
        {
            t.focus = fi;
            t.anchor = None;
        }
    }
}

/// The cursor on the board: on a shown column, on an item when the column has any.
fn clamp_cursor(board: &Board, cur: Option<(usize, usize)>) -> (usize, usize) {
    let cols = board.shown();
    let (c, r) = cur.unwrap_or((board.default, 0));
    let c = if cols.contains(&c) {
        c
    } else {
        cols.first().copied().unwrap_or(0)
    };
    let n = board.columns.get(c).map_or(0, |x| x.ids.len());
    (c, r.min(n.saturating_sub(1)))
}

/// Draws Ranker `ci`'s board in its List's place.
pub(super) fn draw(f: &mut Frame, app: &App, ci: usize, area: Rect, lay: &mut TaskLayout) {
    lay.hits.push(Hit {
        area,
        target: HitTarget::Focus(Focus::Control(ci)),
    });
    draw_board(f, app, Target::Ranker(ci), area, lay);
}

/// Draws a List that no Ranker ranks: its items, read-only.
pub(super) fn draw_list(f: &mut Frame, app: &App, o: &ObjectTag, area: Rect, lay: &mut TaskLayout) {
    let Some(t) = &app.annotate.task else { return };
    if let Some(oi) = t.config.objects.iter().position(|x| x.name == o.name) {
        draw_board(f, app, Target::List(oi), area, lay);
    }
}

fn draw_board(f: &mut Frame, app: &App, target: Target, area: Rect, lay: &mut TaskLayout) {
    let t = app.annotate.task.as_ref().expect("task");
    let th = &app.theme;
    let w = usize::from(area.width);
    let (title, focused, ci) = match target {
        Target::Ranker(ci) => {
            let c = &t.config.controls[ci];
            // The List is named as its own pane would be: the board is drawn in its place.
            let list = ranked_list(&t.config, ci);
            (
                format!(
                    " {} (Ranker) · {} ({}) ",
                    clip(&c.name, w / 3),
                    clip(&c.to_name.join(","), w / 3),
                    list.map_or("List", |o| o.tag.as_str())
                ),
                focused_is(app, Focus::Control(ci)),
                Some(ci),
            )
        }
        Target::List(oi) => (
            format!(" {} (List) ", clip(&t.config.objects[oi].name, w / 2)),
            focused_is(app, Focus::Object(oi)),
            None,
        ),
    };
    let b = block(th, title, focused);
    let mut inner = b.inner(area);
    f.render_widget(b, area);
    if inner.width == 0 || inner.height == 0 {
        return;
    }
    let shown = match app.rank_board(target) {
        Ok(s) => s,
        Err(e) => {
            f.render_widget(
                Paragraph::new(tui_safe(&e, false).into_owned())
                    .style(th.error())
                    .wrap(Wrap { trim: false }),
                inner,
            );
            return;
        }
    };
    if let Some(note) = &shown.board.note {
        f.render_widget(
            Paragraph::new(clip(note, usize::from(inner.width))).style(th.warn()),
            Rect { height: 1, ..inner },
        );
        inner.y += 1;
        inner.height -= 1;
    }
    let cols = shown.board.shown();
    if cols.is_empty() || inner.height == 0 {
        return;
    }
    let cursor = clamp_cursor(&shown.board, t.ranking.cursor.get(&shown.name).copied());
    let n = cols.len() as u16;
    let side_by_side = n == 1 || inner.width / n >= MIN_COLUMN_WIDTH;
    let view = BoardView {
        app,
        shown: &shown,
        ci,
        cursor,
        focused,
    };
    if side_by_side && n == 1 {
        let c = cols[0];
        if let Some(ci) = ci {
            lay.hits.push(Hit {
                area: inner,
                target: HitTarget::RankColumn(ci, c),
            });
        }
        let entries: Vec<Entry> = (0..shown.board.columns[c].ids.len())
            .map(|r| Entry::Item(c, r))
            .collect();
        view.draw_entries(f, &entries, inner, &format!("rank:{}:{c}", shown.name), lay);
    } else if side_by_side {
        let each = inner.width / n;
        for (k, c) in cols.iter().enumerate() {
            let x = inner.x + each * k as u16;
            let width = if k as u16 == n - 1 {
                inner.width - each * (n - 1)
            } else {
                each
            };
            let rect = Rect { x, width, ..inner };
            let col = &shown.board.columns[*c];
            let here = focused && cursor.0 == *c;
            let cb = block(
                th,
                strings::rank_column_title(
                    &clip(&col.title, usize::from(width)),
                    &col.key,
                    col.ids.len(),
                ),
                here,
            );
            let col_inner = cb.inner(rect);
            f.render_widget(cb, rect);
            if let Some(ci) = ci {
                lay.hits.push(Hit {
                    area: rect,
                    target: HitTarget::RankColumn(ci, *c),
                });
            }
            let entries: Vec<Entry> = (0..col.ids.len()).map(|r| Entry::Item(*c, r)).collect();
            view.draw_entries(
                f,
                &entries,
                col_inner,
                &format!("rank:{}:{c}", shown.name),
                lay,
            );
        }
    } else {
        let mut entries = Vec::new();
        for c in &cols {
            entries.push(Entry::Heading(*c));
            entries.extend((0..shown.board.columns[*c].ids.len()).map(|r| Entry::Item(*c, r)));
        }
        view.draw_entries(
            f,
            &entries,
            inner,
            &format!("rank:{}:stack", shown.name),
            lay,
        );
    }
}

/// What drawing a board needs at hand.
struct BoardView<'a> {
    app: &'a App,
    shown: &'a Shown,
    ci: Option<usize>,
    cursor: (usize, usize),
    focused: bool,
}

impl BoardView<'_> {
    fn lines(&self, e: Entry, width: usize, cursor_body: usize) -> Vec<(String, bool)> {
        match e {
            Entry::Heading(c) => {
                let col = &self.shown.board.columns[c];
                let name = if col.title.is_empty() {
                    &col.key
                } else {
                    &col.title
                };
                vec![(
                    clip(&format!("── {} ({}) ──", name, col.ids.len()), width),
                    true,
                )]
            }
            Entry::Item(c, r) => {
                let id = &self.shown.board.columns[c].ids[r];
                let body = if (c, r) == self.cursor && self.focused {
                    cursor_body
                } else {
                    BODY_LINES
                };
                item_lines(self.shown.items.get(id), id, r + 1, width, body)
            }
        }
    }

    /// Draws the entries that fit in `area` around the cursor, with a marker line when
    /// some are out of view. Only the entries in view are laid out.
    fn draw_entries(
        &self,
        f: &mut Frame,
        entries: &[Entry],
        area: Rect,
        scroll_key: &str,
        lay: &mut TaskLayout,
    ) {
        let th = &self.app.theme;
        let t = self.app.annotate.task.as_ref().expect("task");
        if area.height == 0 || area.width == 0 {
            return;
        }
        let width = usize::from(area.width);
        if entries.is_empty() {
            f.render_widget(Paragraph::new("(empty)").style(th.dim()), area);
            return;
        }
        let cursor_at = entries
            .iter()
            .position(|e| *e == Entry::Item(self.cursor.0, self.cursor.1));
        let prev = t.layout.scroll.get(scroll_key).copied().unwrap_or(0);
        // The item under the cursor shows more of its text, up to half the rows.
        let cursor_body = (usize::from(area.height) / 2).clamp(BODY_LINES, BODY_LINES_CURSOR);
        let mut cache: HashMap<usize, Vec<(String, bool)>> = HashMap::new();
        let mut height = |i: usize| -> usize {
            cache
                .entry(i)
                .or_insert_with(|| self.lines(entries[i], width, cursor_body))
                .len()
        };
        // First try the whole height; when not all fits, one row goes to the marker.
        let mut rows = usize::from(area.height);
        let mut start = window(entries.len(), rows, cursor_at, prev, &mut height);
        let fits_all = start == 0 && {
            let mut sum = 0;
            (0..entries.len()).all(|i| {
                sum += height(i);
                sum <= rows
            })
        };
        if !fits_all && rows > 1 {
            rows -= 1;
            start = window(entries.len(), rows, cursor_at, prev, &mut height);
        }
        lay.scroll.insert(scroll_key.to_string(), start);
        let mut y = area.y;
        let bottom = area.y + rows as u16;
        let mut end = start;
        while end < entries.len() && y < bottom {
            let e = entries[end];
            let lines = cache
                .remove(&end)
                .unwrap_or_else(|| self.lines(e, width, cursor_body));
            let h = (lines.len() as u16).min(bottom - y);
            let rect = Rect {
                x: area.x,
                y,
                width: area.width,
                height: h,
            };
            let on_cursor = matches!(e, Entry::Item(c, r) if (c, r) == self.cursor);
            let dragged = matches!(e, Entry::Item(c, r)
                if self.ci.is_some_and(|ci| t.ranking.drag == Some((ci, c, r))));
            let unknown = matches!(e, Entry::Item(c, r)
                if !self.shown.items.contains(&self.shown.board.columns[c].ids[r]));
            let out: Vec<Line> = lines
                .into_iter()
                .take(usize::from(h))
                .map(|(text, head)| {
                    let st = if head {
                        match e {
                            Entry::Heading(_) => th.accent().add_modifier(Modifier::BOLD),
                            _ if unknown => th.error(),
                            _ if on_cursor && self.focused => th.cursor(),
                            _ if dragged => th.selection(),
                            _ => th.base().add_modifier(Modifier::BOLD),
                        }
                    } else {
                        th.dim()
                    };
                    Line::from(Span::styled(text, st))
                })
                .collect();
            f.render_widget(Paragraph::new(out), rect);
            if let Some(ci) = self.ci {
                let target = match e {
                    Entry::Item(c, r) => HitTarget::RankItem(ci, c, r),
                    Entry::Heading(c) => HitTarget::RankColumn(ci, c),
                };
                lay.hits.push(Hit { area: rect, target });
            }
            y += h;
            end += 1;
        }
        if !fits_all {
            let items_before = entries[..start]
                .iter()
                .filter(|e| matches!(e, Entry::Item(..)))
                .count();
            let items_after = entries[end.min(entries.len())..]
                .iter()
                .filter(|e| matches!(e, Entry::Item(..)))
                .count();
            let shown_items = entries[start..end.min(entries.len())]
                .iter()
                .filter(|e| matches!(e, Entry::Item(..)))
                .count();
            let text = more_title(
                items_before,
                shown_items,
                items_before + shown_items + items_after,
            )
            .unwrap_or_default();
            f.render_widget(
                Paragraph::new(clip(text.trim(), width)).style(Style::default().patch(th.accent())),
                Rect {
                    y: area.y + area.height - 1,
                    height: 1,
                    ..area
                },
            );
        }
    }
}

/// The first entry to draw in `rows` rows: the one drawn first last time, moved only as
/// far as keeps the cursor's entry in view. Looks at no more entries than fit.
fn window(
    n: usize,
    rows: usize,
    cursor: Option<usize>,
    prev: usize,
    height: &mut impl FnMut(usize) -> usize,
) -> usize {
    let Some(c) = cursor.filter(|c| *c < n) else {
        return prev.min(n.saturating_sub(1));
    };
    let mut start = prev.min(c);
    let mut sum = 0;
    let fits = (start..=c).all(|i| {
        sum += height(i);
        sum <= rows
    });
    if !fits {
        start = c;
        let mut sum = height(c);
        while start > 0 && sum + height(start - 1) <= rows {
            start -= 1;
            sum += height(start);
        }
    }
    start
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_stops_at_the_line_limit() {
        let (lines, cut) = wrap("one two three four five", 9, 2);
        assert_eq!(lines, vec!["one two", "three"]);
        assert!(cut);
        let (lines, cut) = wrap("short", 20, 3);
        assert_eq!(lines, vec!["short"]);
        assert!(!cut);
        let (lines, _) = wrap(&"x".repeat(25), 10, 5);
        assert_eq!(lines, vec!["x".repeat(10), "x".repeat(10), "x".repeat(5)]);
        let huge = "word ".repeat(1_000_000);
        let (lines, cut) = wrap(&huge, 40, 2);
        assert_eq!(lines.len(), 2);
        assert!(cut);
    }

    #[test]
    fn html_items_name_their_images() {
        assert_eq!(
            html_text("<img src='/static/samples/chairs/chair1.png'/>"),
            "[image: chair1.png]"
        );
        assert_eq!(html_text("<p>a &amp; b</p>"), "a & b");
        assert_eq!(
            html_text(r#"<IMG alt="x" SRC="data/c.jpg">"#),
            "[image: c.jpg]"
        );
    }

    #[test]
    fn the_window_keeps_the_cursor_in_view() {
        let mut h = |_: usize| 3;
        assert_eq!(window(100, 10, Some(0), 0, &mut h), 0);
        assert_eq!(window(100, 10, Some(5), 0, &mut h), 3);
        assert_eq!(
            window(100, 10, Some(4), 3, &mut h),
            3,
            "no move while in view"
        );
        assert_eq!(window(100, 10, Some(1), 3, &mut h), 1);
        assert_eq!(window(0, 10, None, 7, &mut h), 0);
        let mut count = 0;
        let mut counted = |_: usize| {
            count += 1;
            2
        };
        window(1_000_000, 10, Some(999_999), 0, &mut counted);
        assert!(
            count < 20,
            "only the entries that fit are measured: {count}"
        );
    }
}
