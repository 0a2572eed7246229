//! Screens: the annotator's full-size views. Each has its state, update, view and hints;
//! the app routes messages to the one shown. The screens are registered here, in one
//! place: a new screen is a module, a variant of [`Screen`] and its arms below.

pub mod annotate;
pub mod review;
pub mod table;
pub mod task_list;

use super::action::Action;
use super::app::{App, Effect};
use super::keymap::Ctx;
use super::msg::LayoutFacts;
use super::strings;
use ratatui::Frame;
use ratatui::layout::Rect;

/// The screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Screen {
    /// Annotating one task.
    #[default]
    Task,
    /// The task list.
    List,
    /// Reviewing annotations.
    Review,
    /// The data table.
    Table,
}

impl Screen {
    /// The keymap contexts live on the screen, most specific first.
    pub fn contexts(self, app: &App) -> Vec<Ctx> {
        match self {
            Screen::List => vec![Ctx::List],
            Screen::Review => vec![Ctx::Review],
            Screen::Table => vec![Ctx::Table],
            Screen::Task => {
                let mut v = Vec::new();
                if let Some(c) = app.focus_ctx() {
                    v.push(c);
                }
                v.push(Ctx::Task);
                v
            }
        }
    }

    /// The mode named in the status line.
    pub fn mode(self, app: &App) -> &'static str {
        match self {
            Screen::List => "list",
            Screen::Review => "review",
            Screen::Table => "table",
            Screen::Task => app.focus_ctx().map_or("task", Ctx::name),
        }
    }

    /// The hint line shown when there is no message.
    pub fn hint_line(self, app: &App) -> String {
        let km = &app.keymap;
        match self {
            Screen::List => strings::list_hint(km),
            Screen::Review => strings::review_hint(km),
            Screen::Table => strings::table_hint(km),
            Screen::Task => match app.focus_ctx() {
                Some(Ctx::Text) => strings::text_hint(km),
                Some(Ctx::Image) => strings::image_hint(km),
                Some(Ctx::Timeseries) => strings::timeseries_hint(km),
                Some(Ctx::Pairwise) => strings::pairwise_hint(km),
                Some(Ctx::Ranker) => strings::ranker_hint(km),
                Some(Ctx::Video) => strings::video_hint(km),
                Some(Ctx::Audio) => strings::audio_hint(km),
                Some(Ctx::Chat) => strings::chat_hint(km),
                _ => strings::task_hint(km),
            },
        }
    }

    /// (key, what it does) for the screen's main keys.
    pub fn hints(self, app: &App) -> Vec<(String, String)> {
        match self {
            Screen::List => app.list.hints(&app.keymap),
            Screen::Review => review::hints(&app.keymap),
            Screen::Table => app.table.hints(&app.keymap),
            Screen::Task => annotate::hints(&app.keymap, app.focus_ctx()),
        }
    }

    /// Draws the screen into `area`; what it learns goes into `facts`.
    pub fn view(self, f: &mut Frame, app: &App, area: Rect, facts: &mut LayoutFacts) {
        match self {
            Screen::Task => annotate::view::draw(f, app, area, facts),
            Screen::List => facts.list_height = app.list.view(f, &app.theme, area),
            Screen::Review => review::view(f, app, area),
            Screen::Table => {
                facts.table_size = app
                    .table
                    .view(f, &app.theme, area)
                    .map(|(h, w)| (h.min(u16::MAX as usize) as u16, w))
            }
        }
    }
}

/// Routes an action to the screen shown.
pub fn update(app: &mut App, a: Action) -> Vec<Effect> {
    if a == Action::DataTable && app.screen != Screen::Table {
        return app.open_table();
    }
    // Picking a task another way leaves the table's order.
    if app.screen == Screen::Task && matches!(a, Action::TaskList | Action::JumpToTask) {
        app.table.follow = false;
    }
    match app.screen {
        Screen::Task => app.task_screen_action(a),
        Screen::List if a == Action::Review => app.open_review(),
        Screen::List => app.list_action(a),
        Screen::Review => app.review_action(a),
        Screen::Table => app.table_action(a),
    }
}
