//! The table inside the app: opening it, routing its actions, popups and replies, and
//! "label tasks as displayed" (the annotator's next task follows the table's order).

use super::spec::Conjunction;
use super::{PopupWanted, Table, TableCmd, TableReply, TableRequest};
use crate::tui::action::Action;
use crate::tui::app::{App, Effect, Level};
use crate::tui::keymap::{Ctx, Keymap};
use crate::tui::popups::columns::{ColumnChooser, ColumnsReply};
use crate::tui::popups::confirm::{BulkMenu, BulkReply};
use crate::tui::popups::filter::{FilterEditor, FilterReply};
use crate::tui::popups::freq::{FreqPopup, FreqReply, Summary};
use crate::tui::popups::views::{ViewsPopup, ViewsReply};
use crate::tui::popups::{Help, Popup, hints_of};
use crate::tui::screens::Screen;
use crate::tui::strings;
use crossterm::event::KeyEvent;

impl Table {
    pub fn hints(&self, km: &Keymap) -> Vec<(String, String)> {
        hints_of(
            km,
            Ctx::Table,
            &[
                (Action::Down, "move"),
                (Action::ToggleSort, "sort"),
                (Action::Filters, "filter"),
                (Action::Search, "search"),
                (Action::Toggle, "mark"),
                (Action::Frequency, "frequencies"),
                (Action::BulkActions, "bulk"),
                (Action::Activate, "label"),
                (Action::Help, "help"),
            ],
        )
    }

    /// The fields a filter or a frequency table can read: the columns known, then the
    /// multi-valued ones (annotators, models, each control's labels).
    pub fn filter_fields(&self) -> Vec<String> {
        let mut out: Vec<String> = self.columns.all.iter().map(|c| c.field.clone()).collect();
        for c in &self.controls {
            out.push(format!("label:{c}"));
            out.push(format!("prediction:{c}"));
        }
        out
    }

    /// What the frequency popup cycles through: the focused column first.
    fn freq_sources(&self) -> Vec<String> {
        let focused = self.focused_field();
        let mut out = vec![focused.clone()];
        for f in ["annotators", "model"] {
            if f != focused {
                out.push(f.to_string());
            }
        }
        for c in &self.controls {
            out.push(format!("label:{c}"));
            out.push(format!("label:{c} by annotator"));
            out.push(format!("prediction:{c} by model"));
        }
        out
    }
}

impl App {
    /// Shows the data table; the first time, asks for the project's fields and the rows.
    pub(in crate::tui) fn open_table(&mut self) -> Vec<Effect> {
        self.screen = Screen::Table;
        self.table.follow = false;
        self.table.from_task = self.annotate.task.is_some() || self.annotate.finished;
        // Annotations submitted since the figures were last computed: computed again.
        let mut out = vec![Effect::RefreshAgreement];
        if self.table.controls.is_empty() {
            self.table.controls = self
                .base_config
                .controls
                .iter()
                .map(|c| c.name.clone())
                .collect();
        }
        if self.table.generation == 0 {
            out.push(Effect::Table(TableRequest::Fields));
            let cmds = self.table.requery();
            out.extend(self.table_cmds(cmds));
        } else {
            // Back from labelling: the values shown may have changed, and the cursor goes
            // to the task on the annotator when the table has it.
            let cmds = self.table.reread();
            out.extend(self.table_cmds(cmds));
            if let Some(id) = self.annotate.task.as_ref().map(|t| t.full.task.id) {
                out.push(Effect::Table(TableRequest::Locate {
                    generation: self.table.generation,
                    query: self.table.query.clone(),
                    id,
                    quiet: true,
                }));
            }
        }
        out
    }

    pub(in crate::tui) fn table_action(&mut self, a: Action) -> Vec<Effect> {
        let cmds = self.table.update(a);
        self.table_cmds(cmds)
    }

    /// Another process changed the project: the rows on screen are read again.
    pub(in crate::tui) fn table_store_changed(&mut self) -> Vec<Effect> {
        if self.screen != Screen::Table || self.popup.is_some() {
            return Vec::new();
        }
        let cmds = self.table.reread();
        self.table_cmds(cmds)
    }

    /// The body's size as drawn: rows beyond those held are asked for.
    pub(in crate::tui) fn table_resized(&mut self, height: usize, width: u16) -> Vec<Effect> {
        let changed = (self.table.height, self.table.width) != (height, width);
        self.table.height = height;
        self.table.width = width;
        if !changed || self.screen != Screen::Table {
            return Vec::new();
        }
        let cmds = self.table.ensure_rows();
        self.table_cmds(cmds)
    }

    /// Carries out what the table asks for.
    fn table_cmds(&mut self, cmds: Vec<TableCmd>) -> Vec<Effect> {
        let mut out = Vec::new();
        for c in cmds {
            match c {
                TableCmd::Request(r) => out.push(Effect::Table(r)),
                TableCmd::Label(id) => {
                    self.table.follow = true;
                    self.screen = Screen::Task;
                    self.info(strings::labelling_in_table_order(id));
                    out.push(Effect::OpenTask(id));
                }
                TableCmd::Inspect(id, view) => out.push(Effect::InspectTask { id, view }),
                TableCmd::Back => self.screen = Screen::Task,
                TableCmd::Help => self.popup = Some(Popup::Help(Help::default())),
                TableCmd::Quit => {
                    self.quit = true;
                    out.push(Effect::Quit);
                }
                TableCmd::Popup(p) => out.extend(self.open_table_popup(p)),
                TableCmd::Info(m) => self.info(m),
                TableCmd::Warn(m) => self.warn(m),
            }
        }
        out
    }

    fn open_table_popup(&mut self, p: PopupWanted) -> Vec<Effect> {
        let t = &self.table;
        match p {
            PopupWanted::Filters => {
                self.popup = Some(Popup::Filter(FilterEditor::new(
                    t.query.filters.clone(),
                    t.query.conjunction,
                    t.filter_fields(),
                    &t.focused_field(),
                )));
                Vec::new()
            }
            PopupWanted::Columns => {
                self.popup = Some(Popup::Columns(ColumnChooser::new(t.columns.clone())));
                Vec::new()
            }
            PopupWanted::Views => {
                self.popup = Some(Popup::Views(ViewsPopup {
                    loading: true,
                    ..ViewsPopup::default()
                }));
                vec![Effect::Table(TableRequest::Views)]
            }
            PopupWanted::Bulk => {
                let formats = crate::export::formats_for(&self.base_config)
                    .iter()
                    .map(|f| f.name().to_string())
                    .collect();
                self.popup = Some(Popup::Bulk(BulkMenu::new(t.marks.len(), formats)));
                Vec::new()
            }
        }
    }

    /// Keys that are text for the table's prompt or a popup's text field; `None` when no
    /// text is being typed (the key is then looked up in the keymap).
    pub(in crate::tui) fn table_text_key(&mut self, ev: KeyEvent) -> Option<Vec<Effect>> {
        match &mut self.popup {
            Some(Popup::Filter(p)) if p.typing => {
                let r = p.text_key(ev);
                Some(self.filter_reply(r))
            }
            Some(Popup::Views(p)) if p.naming.is_some() => {
                let r = p.text_key(ev);
                Some(self.views_reply(r))
            }
            Some(Popup::Bulk(p)) if p.typing => {
                let r = p.text_key(ev);
                Some(self.bulk_reply(r))
            }
            None if self.screen == Screen::Table && self.table.prompt.is_some() => {
                let cmds = self.table.prompt_key(ev);
                Some(self.table_cmds(cmds))
            }
            _ => None,
        }
    }

    /// An action on one of the table's popups.
    pub(in crate::tui) fn table_popup_action(&mut self, a: Action) -> Vec<Effect> {
        match &mut self.popup {
            Some(Popup::Filter(p)) => {
                let r = p.update(a);
                self.filter_reply(r)
            }
            Some(Popup::Columns(p)) => {
                let r = p.update(a);
                let cols = p.columns.clone();
                match r {
                    ColumnsReply::Keep => Vec::new(),
                    ColumnsReply::Close => {
                        self.popup = None;
                        Vec::new()
                    }
                    ColumnsReply::Changed => {
                        let before = self.table.fields();
                        self.table.columns = cols;
                        let n = self.table.columns.shown().len();
                        self.table.col = self.table.col.min(n.saturating_sub(1));
                        self.table.first_col = self.table.first_col.min(n.saturating_sub(1));
                        if self.table.fields() != before {
                            let cmds = self.table.reread();
                            self.table_cmds(cmds)
                        } else {
                            Vec::new()
                        }
                    }
                }
            }
            Some(Popup::Freq(p)) => {
                let r = p.update(a);
                match r {
                    FreqReply::Keep => Vec::new(),
                    FreqReply::Close => {
                        self.popup = None;
                        Vec::new()
                    }
                    FreqReply::Count(field) => vec![Effect::Table(TableRequest::Freq {
                        query: self.table.query.clone(),
                        field,
                    })],
                    FreqReply::Drill(filters) => {
                        let q = &mut self.table.query;
                        if q.conjunction == Conjunction::Or && !q.filters.is_empty() {
                            self.warn(strings::drill_needs_and());
                            return Vec::new();
                        }
                        q.filters.extend(filters);
                        self.popup = None;
                        let cmds = self.table.requery();
                        self.table_cmds(cmds)
                    }
                }
            }
            Some(Popup::Views(p)) => {
                let r = p.update(a);
                self.views_reply(r)
            }
            Some(Popup::Bulk(p)) => {
                let r = p.update(a);
                self.bulk_reply(r)
            }
            _ => Vec::new(),
        }
    }

    fn filter_reply(&mut self, r: FilterReply) -> Vec<Effect> {
        let Some(Popup::Filter(p)) = &self.popup else {
            return Vec::new();
        };
        match r {
            FilterReply::Keep => Vec::new(),
            FilterReply::Close => {
                self.popup = None;
                Vec::new()
            }
            FilterReply::Changed => {
                self.table.query.filters = p.filters.clone();
                self.table.query.conjunction = p.join;
                let cmds = self.table.requery();
                self.table_cmds(cmds)
            }
        }
    }

    fn views_reply(&mut self, r: ViewsReply) -> Vec<Effect> {
        match r {
            ViewsReply::Keep => Vec::new(),
            ViewsReply::Close => {
                self.popup = None;
                Vec::new()
            }
            ViewsReply::Load(name) => vec![Effect::Table(TableRequest::LoadView { name })],
            ViewsReply::Save(name) => {
                let spec = self.table.view_spec();
                vec![Effect::Table(TableRequest::SaveView { name, spec })]
            }
            ViewsReply::Delete(name) => vec![Effect::Table(TableRequest::DeleteView { name })],
        }
    }

    fn bulk_reply(&mut self, r: BulkReply) -> Vec<Effect> {
        match r {
            BulkReply::Keep => Vec::new(),
            BulkReply::Close => {
                self.popup = None;
                Vec::new()
            }
            BulkReply::Run(action) => {
                self.popup = None;
                vec![Effect::Table(TableRequest::Bulk {
                    action,
                    ids: self.table.marked(),
                    user_id: self.user_id,
                })]
            }
            BulkReply::Export { format, path } => {
                self.popup = None;
                vec![Effect::Table(TableRequest::Export {
                    ids: self.table.marked(),
                    format,
                    path,
                })]
            }
        }
    }

    /// A reply of the store to the table.
    pub(in crate::tui) fn table_reply(&mut self, r: TableReply) -> Vec<Effect> {
        let cmds = match r {
            TableReply::Fields {
                data_keys,
                controls,
            } => {
                let before = self.table.fields();
                self.table.columns.learn(&data_keys);
                self.table.controls = controls;
                if self.table.fields() != before {
                    self.table.reread()
                } else {
                    Vec::new()
                }
            }
            TableReply::Page {
                generation,
                offset,
                rows,
                count,
            } => self.table.page_arrived(generation, offset, rows, count),
            TableReply::Located {
                generation,
                id,
                position,
                found,
                quiet,
            } => self.table.located(generation, id, position, found, quiet),
            TableReply::Freq { field, buckets } => {
                let sources = match &self.popup {
                    Some(Popup::Freq(p)) if !p.sources.is_empty() => p.sources.clone(),
                    _ => self.table.freq_sources(),
                };
                self.popup = Some(Popup::Freq(FreqPopup::new(
                    Summary::Freq { field, buckets },
                    sources,
                )));
                Vec::new()
            }
            TableReply::Describe { field, lines } => {
                self.popup = Some(Popup::Freq(FreqPopup::new(
                    Summary::Describe { field, lines },
                    Vec::new(),
                )));
                Vec::new()
            }
            TableReply::Histogram { field, bins } => {
                self.popup = Some(Popup::Freq(FreqPopup::new(
                    Summary::Histogram { field, bins },
                    Vec::new(),
                )));
                Vec::new()
            }
            TableReply::Marked { ids } => {
                let before = self.table.marks.len();
                self.table.marks.extend(ids);
                let total = self.table.marks.len();
                vec![TableCmd::Info(strings::marked_all(total - before, total))]
            }
            TableReply::Views { names } => {
                if let Some(Popup::Views(p)) = &mut self.popup {
                    p.names = names;
                    p.loading = false;
                    p.cursor = p.cursor.min(p.names.len().saturating_sub(1));
                }
                Vec::new()
            }
            TableReply::ViewDeleted { text, names } => {
                if let Some(Popup::Views(p)) = &mut self.popup {
                    p.names = names;
                    p.cursor = p.cursor.min(p.names.len().saturating_sub(1));
                }
                vec![TableCmd::Info(text)]
            }
            TableReply::ViewLoaded { name, spec } => {
                self.popup = None;
                self.table.apply_view(&spec);
                let mut cmds = self.table.requery();
                cmds.push(TableCmd::Info(strings::view_loaded(&name)));
                cmds
            }
            TableReply::Done { text, changed } => {
                // A saved view: the popup's list takes it.
                if !changed && let Some(Popup::Views(_)) = &self.popup {
                    self.popup = None;
                }
                let mut cmds = vec![TableCmd::Info(text)];
                if changed {
                    self.table.marks.clear();
                    cmds.extend(self.table.refresh());
                    return self
                        .table_cmds(cmds)
                        .into_iter()
                        .chain([Effect::Counts])
                        .collect();
                }
                cmds
            }
            TableReply::Next { id: Some(id) } => {
                return vec![Effect::OpenTask(id)];
            }
            TableReply::Next { id: None } => {
                // Past the table's last row (or the task is no longer in it): the stream
                // goes on as usual.
                self.table.follow = false;
                // Kept beside what was just saved, in front of the next task.
                let end = strings::end_of_table(&self.keymap);
                self.message = Some(match self.message.take() {
                    Some((Level::Ok, saved)) => (Level::Ok, format!("{saved} · {end}")),
                    _ => (Level::Ok, end),
                });
                let exclude = self.annotate.task.as_ref().map(|t| t.full.task.id);
                return vec![Effect::NextTask { exclude }];
            }
            TableReply::Failed { error } => {
                self.table.loading = None;
                self.message = Some((Level::Error, strings::table_failed(&error)));
                Vec::new()
            }
        };
        self.table_cmds(cmds)
    }

    /// While labelling from the table, the annotator's next task is the table's next row
    /// (opened, and claimed, as a task opened from the task list is) rather than the
    /// stream's.
    pub(in crate::tui) fn follow_table(&mut self, effects: Vec<Effect>) -> Vec<Effect> {
        if !self.table.follow {
            return effects;
        }
        let current = self.annotate.task.as_ref().map(|t| t.full.task.id);
        effects
            .into_iter()
            .map(|e| match e {
                Effect::NextTask { exclude } => match exclude.or(current) {
                    Some(after) => Effect::Table(TableRequest::NextInOrder {
                        generation: self.table.generation,
                        query: self.table.query.clone(),
                        after,
                    }),
                    None => Effect::NextTask { exclude },
                },
                e => e,
            })
            .collect()
    }
}

impl Table {
    /// The table as a saved view keeps it.
    pub fn view_spec(&self) -> super::spec::ViewSpec {
        super::spec::ViewSpec {
            query: self.query.clone(),
            columns: self.columns.spec(),
        }
    }

    pub fn apply_view(&mut self, spec: &super::spec::ViewSpec) {
        self.query = spec.query.clone();
        self.columns.apply(&spec.columns);
        self.col = 0;
        self.first_col = 1;
    }

    /// The same rows read again (the cursor stays): the columns or values changed.
    pub fn reread(&mut self) -> Vec<TableCmd> {
        self.rows.clear();
        self.loading = None;
        self.ensure_rows()
    }
}
