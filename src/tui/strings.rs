//! The annotator's messages in one place. A message that names a key takes the key from
//! the keymap, so a remap never makes it wrong.

use super::action::Action;
use super::keymap::{Ctx, KeySpec, Keymap};

/// The key for an action in the task view (else in any context), as shown to the user;
/// the action's keymap name when no key is bound to it.
pub fn key(km: &Keymap, action: Action) -> String {
    std::iter::once(Ctx::Task)
        .chain(Ctx::ALL)
        .find_map(|c| km.key_for(c, action))
        .unwrap_or_else(|| format!("<{}>", action.name()))
}

/// The key for an action in one context.
pub fn key_in(km: &Keymap, ctx: Ctx, action: Action) -> String {
    km.key_for(ctx, action).unwrap_or_else(|| key(km, action))
}

/// The key for an action in one context, `preferred` while it is still bound to it (an
/// action with several keys is named by its usual one).
pub fn key_pref(km: &Keymap, ctx: Ctx, action: Action, preferred: &str) -> String {
    match KeySpec::parse(preferred) {
        Some(spec) if km.lookup(ctx, &spec) == Some(action) => spec.display(),
        _ => key_in(km, ctx, action),
    }
}

pub fn all_done(km: &Keymap) -> String {
    format!(
        "All tasks are done for you. {} opens the task list; {} quits.",
        key(km, Action::TaskList),
        key(km, Action::Quit)
    )
}

/// After a save that emptied the stream: what was saved, then what is left to do.
pub fn done_after(saved: &str, km: &Keymap) -> String {
    format!(
        "{saved}. All tasks are done for you; {} lists them, {} quits.",
        key(km, Action::TaskList),
        key(km, Action::Quit)
    )
}

pub fn nothing_left(km: &Keymap) -> String {
    format!(
        "Nothing left to label for you.\n\n{} opens the task list · {} quits",
        key(km, Action::TaskList),
        key(km, Action::Quit)
    )
}

pub fn editing_annotation(id: i64, km: &Keymap) -> String {
    format!(
        "task {id}: editing your annotation; {} updates it",
        key(km, Action::Submit)
    )
}

pub fn read_only(km: &Keymap) -> String {
    format!(
        "this is read-only; {} goes back to your annotation, {} accepts it",
        key(km, Action::CycleSource),
        key(km, Action::AcceptPrediction)
    )
}

pub fn prediction_shown(km: &Keymap) -> String {
    format!(
        "{} accepts it, {} + {} one region, {} rejects",
        key(km, Action::AcceptPrediction),
        key(km, Action::NextRegion),
        key(km, Action::AcceptRegion),
        key(km, Action::RejectRegion)
    )
}

/// How to reach a prediction region and act on it (`action`: accept or reject).
pub fn how_to_region(km: &Keymap, action: Action, verb: &str) -> String {
    format!(
        "{} shows a prediction, {} selects a region, then {} {verb} it",
        key(km, Action::CycleSource),
        key(km, Action::NextRegion),
        key(km, action)
    )
}

fn focus_keys(km: &Keymap) -> String {
    format!(
        "{}/{}",
        key(km, Action::FocusNext),
        key(km, Action::FocusPrev)
    )
}

pub fn focus_textarea(km: &Keymap) -> String {
    format!(
        "focus a TextArea ({}), then {} edits it in $EDITOR",
        focus_keys(km),
        key(km, Action::ExternalEditor)
    )
}

pub fn edits_textarea(km: &Keymap) -> String {
    format!("{} edits a TextArea", key(km, Action::ExternalEditor))
}

pub fn focus_span(label_key: &str, names: &str, km: &Keymap) -> String {
    format!(
        "{label_key}: focus {names} ({}) and select a span, or {} to a region",
        focus_keys(km),
        key(km, Action::NextRegion)
    )
}

/// An edge key with no span to move.
pub fn no_span_selected(km: &Keymap) -> String {
    format!(
        "no span selected: {} starts a selection, {} selects a span",
        key(km, Action::Select),
        key(km, Action::NextRegion)
    )
}

/// The status line's note of a count being typed.
pub fn count_pending(n: usize) -> String {
    format!("count {n}")
}

/// The tail of the marker under a scrolled stack of panes.
pub fn move_panes(km: &Keymap) -> String {
    format!("{} move", focus_keys(km))
}

/// The status hint of the task list.
pub fn list_hint(km: &Keymap) -> String {
    let k = |a| key_in(km, Ctx::List, a);
    format!(
        "{}/{} move · {} open · {} filter · {} sort · {} go to id · {} back · {} help",
        k(Action::Down),
        k(Action::Up),
        k(Action::Activate),
        k(Action::CycleFilter),
        k(Action::ToggleSort),
        k(Action::JumpToTask),
        k(Action::TaskList),
        k(Action::Help)
    )
}

/// The status hint of the task screen with a text pane focused.
pub fn text_hint(km: &Keymap) -> String {
    let k = |a| key_in(km, Ctx::Text, a);
    format!(
        "{}/{}/{}/{} move · {} select · label key → span · {} regions · {} submit · {} skip · {} undo · {} help",
        k(Action::Left),
        k(Action::Right),
        k(Action::WordNext),
        k(Action::WordPrev),
        k(Action::Select),
        key(km, Action::NextRegion),
        key(km, Action::Submit),
        key(km, Action::Skip),
        key(km, Action::Undo),
        key(km, Action::Help)
    )
}

/// The status hint of the task screen with a TimeSeries chart focused.
pub fn timeseries_hint(km: &Keymap) -> String {
    let k = |a| key_in(km, Ctx::Timeseries, a);
    format!(
        "{}{} time · {} select · label key labels · {}{} zoom · {}{} move · {}{} {}{} edges · {} submit · {} help",
        k(Action::Left),
        k(Action::Right),
        k(Action::Select),
        k(Action::ZoomIn),
        k(Action::ZoomOut),
        k(Action::RegionBack),
        k(Action::RegionForward),
        k(Action::RegionStartBack),
        k(Action::RegionStartForward),
        k(Action::RegionEndBack),
        k(Action::RegionEndForward),
        key(km, Action::Submit),
        key(km, Action::Help)
    )
}

/// The status hint of the task screen with an image pane focused.
pub fn image_hint(km: &Keymap) -> String {
    let k = |a| key_in(km, Ctx::Image, a);
    format!(
        "{}{}{}{} cursor · {} jump · {} box, label key ends it · {} point · {} edit · {} region · {} submit · {} help",
        k(Action::Left),
        k(Action::Down),
        k(Action::Up),
        k(Action::Right),
        k(Action::JumpBegin),
        k(Action::NewRect),
        k(Action::AddPoint),
        k(Action::CycleEdit),
        key(km, Action::NextRegion),
        key(km, Action::Submit),
        key(km, Action::Help)
    )
}

/// The status hint of the task screen with a Pairwise focused.
pub fn pairwise_hint(km: &Keymap) -> String {
    let k = |a| key_in(km, Ctx::Pairwise, a);
    format!(
        "{} left · {} right (again clears) · {}{} scroll · {} focus · {} submit · {} help",
        k(Action::PickLeft),
        k(Action::PickRight),
        k(Action::Down),
        k(Action::Up),
        focus_keys(km),
        key(km, Action::Submit),
        key(km, Action::Help)
    )
}

/// The status hint of the task screen with a Ranker or a List focused.
pub fn ranker_hint(km: &Keymap) -> String {
    let k = |a| key_in(km, Ctx::Ranker, a);
    format!(
        "{}{}{}{} cursor · {}/{} move item · {}/{} to bucket · drag with the mouse · {} submit · {} help",
        k(Action::Left),
        k(Action::Down),
        k(Action::Up),
        k(Action::Right),
        k(Action::MoveItemUp),
        k(Action::MoveItemDown),
        k(Action::MoveItemLeft),
        k(Action::MoveItemRight),
        key(km, Action::Submit),
        key(km, Action::Help)
    )
}

/// Said when a key would change a List that no Ranker ranks.
pub const LIST_READ_ONLY: &str = "this List has no Ranker: its items are shown, not ranked";

/// Said when a key or drag would change a Ranker marked `readonly="true"`.
pub fn rank_read_only(name: &str) -> String {
    format!(
        "{} is read-only (readonly=\"true\"): its order is shown, not changed",
        crate::util::sanitize(name, false)
    )
}

/// The title of a column of a Ranker board.
pub fn rank_column_title(title: &str, key: &str, count: usize) -> String {
    if title.is_empty() {
        format!(" {key} ({count}) ")
    } else {
        format!(" {title} ({count}) ")
    }
}

/// The mark of the chosen side of a Pairwise.
pub const PAIR_CHOSEN: &str = "✓ chosen";

/// The status hint of the task screen otherwise.
pub fn task_hint(km: &Keymap) -> String {
    format!(
        "label keys choose · {} focus · {} edit · {} submit · {} skip · {} undo · {} tasks · {} help",
        focus_keys(km),
        key_in(km, Ctx::Panel, Action::Activate),
        key(km, Action::Submit),
        key(km, Action::Skip),
        key(km, Action::Undo),
        key(km, Action::TaskList),
        key(km, Action::Help)
    )
}

pub fn help_title(km: &Keymap) -> String {
    format!(
        " Help — {}/{} scroll · {} close ",
        key_in(km, Ctx::Help, Action::Down),
        key_in(km, Ctx::Help, Action::Up),
        key_in(km, Ctx::Help, Action::Cancel)
    )
}

pub fn diff_title(km: &Keymap) -> String {
    format!(
        " Annotation vs prediction — {} close ",
        key_in(km, Ctx::Diff, Action::Cancel)
    )
}

pub fn picker_hint(km: &Keymap) -> String {
    let k = |a| key_in(km, Ctx::Picker, a);
    format!(
        "{} select · {}/{} open/close · {} search · {} close",
        k(Action::Toggle),
        k(Action::Right),
        k(Action::Left),
        k(Action::Search),
        key_pref(km, Ctx::Picker, Action::Cancel, "esc")
    )
}

pub fn no_such_task(id: i64) -> String {
    format!("there is no task {id}")
}

pub fn cannot_read_task(id: i64, e: &str) -> String {
    format!("cannot read task {id}: {e}")
}

pub const TEMPORARY_PROJECT: &str =
    "a temporary project: it is removed when you quit (import the files to keep labels)";

pub fn cannot_refresh_agreement(e: &str) -> String {
    format!("cannot compute agreement figures: {e}")
}

pub fn cannot_count(e: &str) -> String {
    format!("cannot count tasks: {e}")
}

/// A write failed and is being retried; the answer stays on screen.
pub fn not_saved_retrying(reason: &str) -> String {
    let reason = reason.strip_prefix("not saved yet, ").unwrap_or(reason);
    format!("not saved, retrying: {reason}")
}

/// `s` (or skip) in a read-only view: nothing is stored; how to go back or take it over.
pub fn read_only_submit(km: &Keymap, what: &str) -> String {
    format!(
        "not submitted: you are viewing {what} (read-only); {} goes back to your annotation, {} makes it yours",
        key_in(km, Ctx::Task, Action::Cancel),
        key(km, Action::AcceptPrediction)
    )
}

/// After taking the prediction's value for one control.
pub fn accepted_control(name: &str, km: &Keymap) -> String {
    format!(
        "{}: took the prediction's value; {} undoes it",
        crate::util::sanitize(name, false),
        key(km, Action::Undo)
    )
}

pub fn focus_control_to_accept(km: &Keymap) -> String {
    format!(
        "focus a control ({}), then {} takes the prediction's value for it",
        focus_keys(km),
        key_in(km, Ctx::Panel, Action::AcceptControl)
    )
}

/// A task opened with the top prediction as its starting result.
pub fn prelabelled(id: i64, model: &str, score: Option<f64>, km: &Keymap) -> String {
    format!(
        "task {id}: starts from prediction {} (score {}); {} submits it as it is",
        crate::util::sanitize(model, false),
        score.map_or("-".into(), |s| format!("{s:.2}")),
        key(km, Action::Submit)
    )
}

/// After taking over a whole prediction (or another's annotation).
pub fn accepted(n: usize, km: &Keymap) -> String {
    format!(
        "accepted {n} result(s) as your annotation; {} undoes it",
        key(km, Action::Undo)
    )
}

pub fn playing(prog: &str) -> String {
    format!("playing with {prog}")
}

pub const NO_PLAYER: &str = "set LABELTERM_PLAYER to a player command (e.g. mpv) to play media";

/// A label hotkey that a built-in key shadows, and where it still works.
pub fn hotkey_clash(
    key: &str,
    label: &str,
    shadows: &str,
    control: &str,
    labels_objects: bool,
) -> String {
    let label = crate::term_safe::quoted(label);
    let control = crate::term_safe::quoted(control);
    let place = if labels_objects {
        format!("{control} and its pane")
    } else {
        control.clone()
    };
    // Short enough for an 80-column message line with the usual names.
    format!("hotkey {key} of {label} is \"{shadows}\" except in {place}")
}

/// The keys that step a Rating or Number down and up.
fn panel_step(km: &Keymap) -> String {
    format!(
        "{}/{}",
        key_in(km, Ctx::Panel, Action::Left),
        key_in(km, Ctx::Panel, Action::Right)
    )
}

/// Beside a Rating's stars.
pub fn rating_keys(km: &Keymap) -> String {
    format!("{} change", panel_step(km))
}

/// Beside a Number's or DateTime's value.
pub fn field_keys(km: &Keymap, steps: bool) -> String {
    let edit = key_in(km, Ctx::Panel, Action::Activate);
    if steps {
        format!("  {edit} edit · {} step", panel_step(km))
    } else {
        format!("  {edit} edit")
    }
}

/// The last line of a TextArea panel, where a new entry is added.
pub fn textarea_add(km: &Keymap, placeholder: &str) -> String {
    format!(
        "+ {placeholder} ({}; {} for $EDITOR)",
        key_in(km, Ctx::Panel, Action::Activate),
        key_in(km, Ctx::Task, Action::ExternalEditor)
    )
}

/// In a per-region control's panel while no region is selected.
pub fn select_region_first(km: &Keymap) -> String {
    format!(
        "select a region ({}) to fill this in",
        key_in(km, Ctx::Task, Action::NextRegion)
    )
}

/// The last line of the predictions and annotations panel.
pub fn sources_keys(km: &Keymap) -> String {
    let k = |a| key_in(km, Ctx::Task, a);
    format!(
        "{} cycle · {} accept · {} diff · {} overlay",
        k(Action::CycleSource),
        k(Action::AcceptPrediction),
        k(Action::Diff),
        k(Action::TogglePredictions)
    )
}

// ----------------------------------------------------------------- JSON tree and compare

pub const JSON_TREE: &str = "Task JSON";

pub fn json_tree_task(id: &str) -> String {
    format!("Task #{id} JSON")
}

pub fn json_tree_title(km: &Keymap, title: &str) -> String {
    let k = |a| key_in(km, Ctx::Json, a);
    format!(
        " {title} — {} open/close · {} search · {} copy value · {} copy path · {} close ",
        k(Action::Toggle),
        k(Action::Search),
        k(Action::YankValue),
        k(Action::YankPath),
        k(Action::Cancel)
    )
}

pub fn yanked_value(path: &str) -> String {
    format!("the value at {path}")
}

pub fn yanked_path(path: &str) -> String {
    format!("the path {path}")
}

/// The status line after a copy: what was copied, and its start.
pub fn copied(what: &str, text: &str) -> String {
    let start: String = text.chars().take(60).collect();
    let more = if start.len() < text.len() { "…" } else { "" };
    format!(
        "copied {what} ({} chars): {}{more}",
        text.chars().count(),
        start.replace('\n', " ")
    )
}

pub fn no_match(query: &str) -> String {
    format!("  no match for {query}")
}

pub const COMPARE_ONE_SOURCE: &str = "only one result: nothing to compare it with";

pub fn compare_title(km: &Keymap) -> String {
    let k = |a| key_in(km, Ctx::Compare, a);
    format!(
        " Compare — {} left · {} right · {} swap · {} close ",
        k(Action::CompareLeft),
        k(Action::CompareRight),
        k(Action::SwapSides),
        k(Action::Cancel)
    )
}

pub fn compare_left(label: &str) -> String {
    format!("left: {label}")
}

pub fn compare_right(label: &str) -> String {
    format!("right: {label}")
}

pub fn compare_summary(same: usize, changed: usize, only_left: usize, only_right: usize) -> String {
    format!("{same} same · {changed} changed · {only_left} only left · {only_right} only right")
}

/// `ann #3 alice@x.org`, `(skipped)` after one that was.
pub fn annotation_source(id: i64, who: &str, skipped: bool) -> String {
    let skipped = if skipped { " (skipped)" } else { "" };
    format!("ann #{id} {who}{skipped}")
}

/// `pred #5 model-v2 0.87`.
pub fn prediction_source(id: i64, model: &str, score: Option<f64>) -> String {
    let score = score.map_or(String::new(), |s| format!(" {s:.2}"));
    format!("pred #{id} {model}{score}")
}

/// My answer as it is on screen, among the sources to compare.
pub fn my_answer(user: &str) -> String {
    format!("mine ({user}, on screen)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_keys_read_as_before() {
        let km = Keymap::default_map(false);
        assert_eq!(
            all_done(&km),
            "All tasks are done for you. t opens the task list; q quits."
        );
        assert_eq!(
            read_only(&km),
            "this is read-only; O goes back to your annotation, A accepts it"
        );
        assert_eq!(
            prediction_shown(&km),
            "A accepts it, Tab + Y one region, X rejects"
        );
        assert_eq!(
            how_to_region(&km, Action::AcceptRegion, "accepts"),
            "O shows a prediction, Tab selects a region, then Y accepts it"
        );
        assert_eq!(
            focus_textarea(&km),
            "focus a TextArea (J/K), then E edits it in $EDITOR"
        );
        assert_eq!(move_panes(&km), "J/K move");
        assert_eq!(help_title(&km), " Help — j/k scroll · Esc close ");
        assert_eq!(diff_title(&km), " Annotation vs prediction — Esc close ");
        assert_eq!(
            picker_hint(&km),
            "Space select · l/h open/close · / search · Esc close"
        );
        assert_eq!(
            list_hint(&km),
            "j/k move · Enter open · f filter · o sort · : go to id · t back · ? help"
        );
        assert_eq!(
            text_hint(&km),
            "h/l/w/b move · v select · label key → span · Tab regions · s submit · S skip · u undo · ? help"
        );
        assert_eq!(
            image_hint(&km),
            "hjkl cursor · ; jump · v box, label key ends it · p point · e edit · Tab region · s submit · ? help"
        );
        assert_eq!(
            task_hint(&km),
            "label keys choose · J/K focus · Enter edit · s submit · S skip · u undo · t tasks · ? help"
        );
        assert_eq!(
            editing_annotation(7, &km),
            "task 7: editing your annotation; s updates it"
        );
    }

    #[test]
    fn a_remapped_key_is_named_in_messages() {
        let dir = std::env::temp_dir().join(format!("labelterm-strings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("keymap.json");
        std::fs::write(&p, r#"{"task": {"ctrl-s": "submit", "s": null}}"#).unwrap();
        let mut km = Keymap::default_map(false);
        km.apply_file(&p).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            editing_annotation(3, &km),
            "task 3: editing your annotation; Ctrl-s updates it"
        );
    }
}

// ----------------------------------------------------------------- many annotators

/// A stored timestamp (`2026-12-01T05:23:41.123456Z`) as people read it: the time of
/// day when it is today, else the date too.
pub fn stored_time(ts: &str) -> String {
    stored_time_on(ts, &crate::util::now())
}

fn stored_time_on(ts: &str, now: &str) -> String {
    let safe = crate::util::sanitize(ts, false);
    match (safe.get(..10), safe.get(11..19)) {
        (Some(day), Some(time)) if safe.as_bytes().get(10) == Some(&b'T') => {
            if now.get(..10) == Some(day) {
                format!("{time} UTC")
            } else {
                format!("{day} {time} UTC")
            }
        }
        _ => safe,
    }
}

pub const CONFLICT_TITLE: &str = " Submitted in another window ";

pub fn conflict_headline(task: i64, kind: crate::annotate::SaveKind, updated_at: &str) -> String {
    let what = match kind {
        crate::annotate::SaveKind::Skip => "This skip is not saved yet.",
        _ => "This answer is not saved yet.",
    };
    format!(
        "You submitted task {task} in another window at {}. {what}",
        stored_time(updated_at)
    )
}

pub fn conflict_overwrite(key: &str) -> String {
    format!("{key}  overwrite: store this answer in place of that one")
}

pub fn conflict_keep(key: &str, undo: &str) -> String {
    format!("{key}  keep that one: show it here; this answer stays one undo ({undo}) back")
}

pub fn conflict_later(key: &str) -> String {
    format!("{key}  decide later: this answer stays on screen and in the draft, not submitted")
}

/// The status line after "decide later".
pub fn conflict_pending(task: i64, km: &Keymap) -> String {
    format!(
        "task {task} NOT SAVED (also submitted in another window): {} to decide",
        key_in(km, Ctx::Task, Action::Submit)
    )
}

/// A held answer left on quit because the user never decided.
pub fn conflict_left(task: i64) -> String {
    format!(
        "task {task}: you submitted it in another window and did not choose which answer stays; this one is kept as your draft"
    )
}

/// After "keep that one".
pub fn kept_stored(task: i64, undo: &str) -> String {
    format!("task {task}: the other window's answer; yours is one undo ({undo}) back")
}

/// My annotation of the open task changed in another window.
pub fn changed_elsewhere(task: i64, updated_at: &str) -> String {
    format!(
        "task {task}: you submitted it in another window at {}; this answer stays",
        stored_time(updated_at)
    )
}

/// Others hold the task just opened.
pub fn held_by(task: i64, users: &[String], me: &str) -> String {
    let mut names: Vec<String> = Vec::new();
    for u in users {
        let name = if u == me {
            "you in another window".to_string()
        } else {
            crate::util::sanitize(u, false)
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    format!("task {task} is also open by {}", names.join(", "))
}

/// With nothing left for me: tasks others are working on, which come back if given up.
pub fn open_by_others(n: usize) -> String {
    let tasks = if n == 1 { "task is" } else { "tasks are" };
    format!("{n} more {tasks} open by others; one they give up comes here.")
}

pub fn cannot_claim(e: &str) -> String {
    format!("cannot claim a task: {e}")
}

#[cfg(test)]
mod multi_tests {
    use super::*;

    #[test]
    fn stored_times_drop_the_date_of_today_and_names_are_made_safe() {
        let ts = "2026-12-01T05:23:41.123456Z";
        assert_eq!(
            stored_time_on(ts, "2026-12-01T09:00:00.000000Z"),
            "05:23:41 UTC"
        );
        assert_eq!(
            stored_time_on(ts, "2026-12-02T00:00:00.000000Z"),
            "2026-12-01 05:23:41 UTC"
        );
        assert_eq!(stored_time_on("soon\x07", ""), "soon\\x07");
        assert_eq!(
            held_by(3, &["ann".into(), "bo\x1bb".into(), "ann".into()], "ann"),
            "task 3 is also open by you in another window, bo\\eb"
        );
    }
}

/// Why a control without `toName` holds nothing: Label Studio's editor cannot store a
/// result that names no object, so what it shows there is lost on submit.
pub const UNBOUND_CONTROL: &str =
    "not saved: no toName, and Label Studio cannot store a result without one";
/// The status hint of the task screen with a Video pane focused.
pub fn video_hint(km: &Keymap) -> String {
    let k = |a| key_in(km, Ctx::Video, a);
    format!(
        "{}{} frame · {}{} ±10 · {} go to · {} box · {} type box · {}{} keyframe · {} end/resume · {} range · {} track · {} submit",
        k(Action::Left),
        k(Action::Right),
        k(Action::CoarseLeft),
        k(Action::CoarseRight),
        k(Action::JumpFrame),
        k(Action::NewRect),
        k(Action::Activate),
        k(Action::AddKeyframe),
        k(Action::RemoveKeyframe),
        k(Action::ToggleLifespan),
        k(Action::Select),
        key(km, Action::NextRegion),
        key(km, Action::Submit),
    )
}

/// The status hint of the task screen with an Audio pane (segments) focused.
pub fn audio_hint(km: &Keymap) -> String {
    let k = |a| key_in(km, Ctx::Audio, a);
    format!(
        "{}{} ±0.1 s · {}{} ±1 s · {}{} ends · {} range, label key labels it · {} segment · {} delete · {} submit",
        k(Action::Left),
        k(Action::Right),
        k(Action::CoarseLeft),
        k(Action::CoarseRight),
        k(Action::LineStart),
        k(Action::LineEnd),
        k(Action::Select),
        key(km, Action::NextRegion),
        key(km, Action::DeleteRegion),
        key(km, Action::Submit),
    )
}

pub const AUDIO_LENGTH_UNKNOWN: &str =
    "the length of this audio is not known: step with the cursor keys";
pub const AUDIO_LENGTH_UNKNOWN_SHORT: &str = " / length unknown";
pub const AUDIO_RANGE_DROPPED: &str = "range dropped";
pub const AUDIO_RANGE_EMPTY: &str = "the range is empty: move the cursor, then press the label key";

/// A time range just opened on an audio.
pub fn audio_range_started(at: f64) -> String {
    format!("range from {at:.2} s: move, then a label key labels it")
}

/// A label key on an audio with no range open.
pub fn audio_needs_range(select: &str, label: &str) -> String {
    format!("{select} starts a time range first, then {label} labels it")
}

/// A segment just made.
pub fn audio_segment_made(label: &str, start: f64, end: f64) -> String {
    format!(
        "{} on {start:.2}–{end:.2} s",
        crate::term_safe::tui_safe(label, false)
    )
}

/// The audio file could not be read.
pub fn audio_not_readable(e: &str) -> String {
    format!("not readable: {}", crate::term_safe::tui_safe(e, false))
}

/// The note under an audio's timeline.
pub fn audio_note(select: &str, segments: usize) -> String {
    match segments {
        0 => format!("no segments yet: {select} starts a time range, a label key labels it"),
        1 => format!("1 segment · {select} starts a time range, a label key labels it"),
        n => format!("{n} segments · {select} starts a time range, a label key labels it"),
    }
}

/// What a relation in progress waits for.
pub fn relation_started(from: &str, km: &Keymap) -> String {
    format!(
        "relation from {from}: select the other region ({}), then {} ends it (Esc drops it)",
        key(km, Action::NextRegion),
        key(km, Action::Relation)
    )
}

/// How to reach the selected relation's settings.
pub fn relation_made(km: &Keymap) -> String {
    format!(
        "relation made: {} direction · {} label · {} deletes it",
        key(km, Action::RelationDirection),
        key(km, Action::RelationLabel),
        key(km, Action::DeleteRegion)
    )
}

/// Why an OcrLabels (or PdfLabels) control is shown but not edited: two lines.
pub const ENTERPRISE_LABELS_NOTE: [&str; 2] = [
    "Enterprise-only tag (labels on PDF text)",
    "its results are kept, not edited here",
];

// ----------------------------------------------------------------- chat

/// A chat's title after its name: how many messages it holds, and needs.
pub fn chat_count(n: usize, min: Option<usize>, max: Option<usize>) -> String {
    let limits = match (min, max) {
        (Some(a), Some(b)) => format!(" · {a}–{b} needed"),
        (Some(a), None) => format!(" · at least {a}"),
        (None, Some(b)) => format!(" · at most {b}"),
        (None, None) => String::new(),
    };
    format!("{n} message{}{limits}", if n == 1 { "" } else { "s" })
}

pub const CHAT_NO_MESSAGES: &str = "no messages yet";
/// Marks a message of the task data (read-only).
pub const CHAT_FROM_DATA: &str = " · task data";
/// Marks my message that per-message controls apply to.
pub const CHAT_SELECTED: &str = " · selected";
/// Shown for a message without a role.
pub const CHAT_NO_ROLE: &str = "—";

/// The inline editor's title for a chat message.
pub fn chat_editor_title(chat: &str, role: &str, new: bool) -> String {
    let chat = crate::term_safe::tui_safe(chat, false);
    let role = crate::term_safe::tui_safe(role, false);
    if new {
        format!(" {chat}: new {role} message ")
    } else {
        format!(" {chat}: edit {role} message ")
    }
}

/// The hint line while a chat has the focus.
pub fn chat_hint(km: &Keymap) -> String {
    let k = |a| key_in(km, Ctx::Chat, a);
    format!(
        "{}/{} messages · {} new message · {} role · {} edit · {} delete · {} submit · {} help",
        k(Action::Up),
        k(Action::Down),
        k(Action::NewMessage),
        k(Action::CycleRole),
        k(Action::Activate),
        k(Action::Clear),
        key(km, Action::Submit),
        key(km, Action::Help),
    )
}

/// The chat's last line: how to add a message, as which role.
pub fn chat_new_line(km: &Keymap, role: &str, roles: usize) -> String {
    let role = crate::term_safe::tui_safe(role, false);
    let cycle = if roles > 1 {
        format!(
            " · {} changes the role",
            key_in(km, Ctx::Chat, Action::CycleRole)
        )
    } else {
        String::new()
    };
    format!(
        "+ new {role} message ({}){cycle}",
        key_in(km, Ctx::Chat, Action::NewMessage)
    )
}

/// The chat's last line when it holds as many messages as it allows.
pub fn chat_full(max: usize) -> String {
    format!("this chat holds its most messages ({max})")
}

/// Said when the role of the next message changes.
pub fn chat_next_role(role: &str) -> String {
    format!("next message: {}", crate::term_safe::tui_safe(role, false))
}

pub const CHAT_DATA_READ_ONLY: &str =
    "messages from the task data are read-only (only messages you add can be edited or evaluated)";

pub fn chat_not_editable(role: &str) -> String {
    format!(
        "{} messages are not editable in this chat (editable); delete it and write it again",
        crate::term_safe::tui_safe(role, false)
    )
}

pub const CHAT_EMPTY_MESSAGE: &str = "an empty message is not added";
pub const CHAT_EMPTY_EDIT: &str = "a message cannot be emptied: delete it instead";

/// Said once a chat with a model is focused: no model is asked from the terminal.
pub fn chat_no_llm(model: &str) -> String {
    format!(
        "replies from {} are not requested here: write them yourself",
        crate::term_safe::tui_safe(model, false)
    )
}

/// A per-message control used on a message of a role it is not for (`whenRole`).
pub fn chat_wrong_role(control: &str, roles: &[String], role: &str) -> String {
    format!(
        "{} is for {} messages, not {}",
        crate::term_safe::tui_safe(control, false),
        crate::term_safe::tui_safe(&roles.join("/"), false),
        crate::term_safe::tui_safe(if role.is_empty() { "?" } else { role }, false)
    )
}

/// The one-line form of [`UNBOUND_CONTROL`], for a panel shrunk to a line.
pub const UNBOUND_CONTROL_SHORT: &str = "not saved, no toName";

/// A control whose options come from the task, when the task gives none.
pub const NO_OPTIONS: &str = "no options";

/// How a control without `toName` that is not a Rating is drawn.
pub fn shown_only(tag: &str) -> String {
    format!("{tag} is shown here only")
}

/// What the panel of a drawing tool without labels of its own (a bare Rectangle, Polygon,
/// KeyPoint, Ellipse, Brush or VideoRectangle) says: where and how its regions are drawn.
pub fn bare_tool_hint(km: &Keymap, kind: crate::config::ControlKind, objects: &str) -> String {
    use crate::config::ControlKind as K;
    let objects = crate::term_safe::tui_safe(objects, false);
    let how = match kind {
        K::Rectangle | K::Ellipse => format!(
            "{} box, label key or {} ends it",
            key_in(km, Ctx::Image, Action::NewRect),
            key_in(km, Ctx::Image, Action::ClosePolygon)
        ),
        K::Polygon => format!(
            "{} points, label key or {} closes",
            key_in(km, Ctx::Image, Action::AddPoint),
            key_in(km, Ctx::Image, Action::ClosePolygon)
        ),
        K::KeyPoint => format!(
            "{} drops a point",
            key_in(km, Ctx::Image, Action::DropKeypoint)
        ),
        K::VideoRectangle => format!(
            "label key: new track, {}: its box",
            key_in(km, Ctx::Video, Action::Activate)
        ),
        _ => "drawn there".to_string(),
    };
    format!("on {objects}: {how}")
}

// ----------------------------------------------------------------- review

/// The status hint of the review screen.
pub fn review_hint(km: &Keymap) -> String {
    let k = |a| key_in(km, Ctx::Review, a);
    format!(
        "{}/{} annotation · {}/{} task · {} accept · {} reject · {} fix · {} ground truth · {} order · {} help",
        k(Action::Down),
        k(Action::Up),
        k(Action::NextTask),
        k(Action::PrevTask),
        k(Action::ReviewAccept),
        k(Action::ReviewReject),
        k(Action::ReviewFix),
        k(Action::GroundTruth),
        k(Action::CycleOrder),
        k(Action::Help)
    )
}

pub fn review_comment_title(annotation_id: i64) -> String {
    format!(" reject annotation {annotation_id}: why? ")
}

/// Said when the annotator opens an annotation for the reviewer to fix.
pub fn review_fixing(km: &Keymap, annotation_id: i64, annotator: &str) -> String {
    format!(
        "fixing annotation {annotation_id} by {annotator}: {} stores the fix and accepts it · {} leaves it as it was",
        key(km, Action::Submit),
        key(km, Action::Skip)
    )
}

pub fn review_fix_dropped(annotation_id: i64) -> String {
    format!("annotation {annotation_id} left as it was (no fix stored)")
}

/// A decision or star is stored.
pub fn review_saved(what: &str, annotation_id: i64) -> String {
    format!("annotation {annotation_id} {what} · saved")
}

pub fn review_not_saved(reason: &str) -> String {
    format!("review not saved, retrying: {reason}")
}

/// Quit asked while review decisions wait for the store.
pub fn review_quit_unsaved(km: &Keymap, n: usize) -> String {
    format!(
        "{n} decision(s) not saved yet (retrying); {} again quits without them",
        key_in(km, Ctx::Review, Action::Quit)
    )
}

pub const REVIEW_NOTHING: &str = "no submitted annotations to review";
pub const REVIEW_LOADING: &str = "reading the annotations…";
pub const REVIEW_WAIT_FIX: &str = "a decision on this annotation is still being saved";

pub fn review_order(name: &str) -> String {
    format!("order: {name}")
}

// ----------------------------------------------------------------- data table

pub const TABLE_TITLE: &str = "Data table";
pub const TABLE_COUNTING: &str = "counting…";
pub const TABLE_EMPTY: &str = "no task matches the filters";
pub const TABLE_JUMP_PROMPT: &str = "go to task id: ";
pub const TABLE_NO_SEARCH: &str = "no search yet: / searches the task text";
pub const TABLE_OPENING: &str = "opening the data table…";

pub fn table_count(n: usize) -> String {
    format!("{n} task(s)")
}

pub fn table_marked(n: usize) -> String {
    format!("{n} marked")
}

pub fn marks_cleared(n: usize) -> String {
    format!("{n} mark(s) cleared")
}

pub fn marked_all(added: usize, total: usize) -> String {
    format!("{added} task(s) marked; {total} marked in all")
}

pub fn not_a_task_id(text: &str) -> String {
    format!("not a task id: {:?}", crate::util::sanitize(text, false))
}

pub fn no_more_matches(text: &str) -> String {
    format!(
        "no more tasks hold {:?} in this direction",
        crate::util::sanitize(text, false)
    )
}

pub fn not_in_table(id: i64) -> String {
    format!("task {id} is not in the table (no such task, or the filters leave it out)")
}

pub fn table_failed(e: &str) -> String {
    format!("data table: {e}")
}

pub fn end_of_table(km: &Keymap) -> String {
    format!(
        "that was the last task of the data table ({} opens it); on with the next task",
        key_in(km, Ctx::Task, Action::DataTable)
    )
}

pub fn labelling_in_table_order(id: i64) -> String {
    format!("task {id}: the next tasks follow the order of the data table")
}

pub fn drill_needs_and() -> String {
    "the filters are joined with or: join them with and to narrow them to a bucket".to_string()
}

/// The status hint of the data table.
pub fn table_hint(km: &Keymap) -> String {
    let k = |a| key_in(km, Ctx::Table, a);
    format!(
        "{} sort · {} filter · {} search · {} mark · {} freq · {} columns · {} views · {} bulk · {} label · {} help",
        k(Action::ToggleSort),
        k(Action::Filters),
        k(Action::Search),
        k(Action::Toggle),
        k(Action::Frequency),
        k(Action::Columns),
        k(Action::Views),
        k(Action::BulkActions),
        k(Action::Activate),
        k(Action::Help)
    )
}

pub fn filter_title(join: &str) -> String {
    format!(" Filters (joined with {join}) ")
}

pub const NO_FILTERS: &str = "no filter: every task is shown";
pub const NEW_FILTER: &str = "new: ";

pub fn filter_value_hint(empty_op: bool) -> String {
    if empty_op {
        "true".into()
    } else {
        "value…".into()
    }
}

pub fn filter_keys(km: &Keymap) -> String {
    let k = |a| key_in(km, Ctx::Filter, a);
    format!(
        "{} part · {}/{} choose · {} add · {} remove · {} and/or · {} close",
        k(Action::FocusNext),
        k(Action::Left),
        k(Action::Right),
        k(Action::Activate),
        k(Action::Clear),
        k(Action::ToggleJoin),
        k(Action::Cancel)
    )
}

pub const COLUMNS_TITLE: &str = " Columns: shown, order, width ";

pub fn freq_title(field: &str) -> String {
    format!(
        " Frequencies of {} ",
        crate::term_safe::tui_safe(field, false)
    )
}

pub fn describe_title(field: &str) -> String {
    format!(" Describe {} ", crate::term_safe::tui_safe(field, false))
}

pub fn histogram_title(field: &str) -> String {
    format!(
        " Histogram of {} ",
        crate::term_safe::tui_safe(field, false)
    )
}
pub const NOTHING_TO_COUNT: &str = "no values";
pub const NO_SCORES: &str = "no prediction scores";

pub const VIEWS_TITLE: &str = " Saved views ";
pub const LOADING: &str = "loading…";
pub const NO_VIEWS: &str = "no saved view yet";
pub const VIEW_NAME_PROMPT: &str = "save as: ";

pub fn views_keys(km: &Keymap) -> String {
    let k = |a| key_in(km, Ctx::Views, a);
    format!(
        "{} load · {} save as · {} delete · {} close",
        k(Action::Activate),
        k(Action::SaveView),
        k(Action::Clear),
        k(Action::Cancel)
    )
}

pub fn view_saved(name: &str) -> String {
    format!("view {:?} saved", crate::util::sanitize(name, false))
}

pub fn view_loaded(name: &str) -> String {
    format!("view {:?} loaded", crate::util::sanitize(name, false))
}

pub fn no_such_view(name: &str) -> String {
    format!("no saved view {:?}", crate::util::sanitize(name, false))
}

pub fn view_deleted(name: &str) -> String {
    format!("view {:?} deleted", crate::util::sanitize(name, false))
}

pub fn bulk_title(marked: usize) -> String {
    format!(" {marked} marked task(s) ")
}

pub fn nothing_marked(km: &Keymap) -> String {
    format!(
        "nothing marked: {} marks a task, {} every task the filters match",
        key_in(km, Ctx::Table, Action::Toggle),
        key_in(km, Ctx::Table, Action::MarkMatching)
    )
}

pub fn bulk_item(item: crate::tui::popups::confirm::BulkItem) -> &'static str {
    use crate::tui::popups::confirm::BulkItem as I;
    use crate::tui::screens::table::Bulk as B;
    match item {
        I::Export => "export them…",
        I::Run(B::DeleteTasks) => "delete the tasks",
        I::Run(B::DeleteAnnotations) => "delete their annotations",
        I::Run(B::DeletePredictions) => "delete their predictions",
        I::Run(B::PredictionsToAnnotations) => "turn their predictions into annotations",
    }
}

pub fn bulk_confirm(b: crate::tui::screens::table::Bulk, n: usize) -> String {
    use crate::tui::screens::table::Bulk as B;
    match b {
        B::DeleteTasks => format!(
            "Delete {n} task(s) with their annotations, drafts and predictions? This cannot be undone."
        ),
        B::DeleteAnnotations => {
            format!("Delete every annotation of {n} task(s)? This cannot be undone.")
        }
        B::DeletePredictions => {
            format!("Delete every prediction of {n} task(s)? This cannot be undone.")
        }
        B::PredictionsToAnnotations => {
            format!("Add an annotation (yours) made of each prediction of {n} task(s)?")
        }
    }
}

pub fn confirm_keys(km: &Keymap) -> String {
    format!(
        "{} confirm · {} back",
        key_in(km, Ctx::Confirm, Action::Activate),
        key_in(km, Ctx::Confirm, Action::Cancel)
    )
}

pub fn export_marked(n: usize) -> String {
    format!("Export {n} task(s)")
}

pub const FORMAT_LABEL: &str = "format: ";
pub const PATH_LABEL: &str = "path:   ";

pub fn exported(n: usize, path: &str) -> String {
    format!(
        "{n} task(s) exported to {}",
        crate::util::sanitize(path, false)
    )
}

// ----------------------------------------------------------------- sending to the server

/// The status line's part before the first push of a session ended.
pub const SYNC_IDLE: &str = "server: linked";
pub const SYNC_SENDING: &str = "server: sending";
pub const SYNC_BUSY: &str = "server: another push runs";

/// After a push: everything stored when it began is on the server (sent by this
/// annotator's push or by another's).
pub const SYNC_ALL_SENT: &str = "server: all sent";
pub const SYNC_RETRYING: &str = "server: NOT SENT, retrying";

pub fn sync_failed(error: &str, retry_in: std::time::Duration) -> String {
    format!(
        "not sent to the server (kept here; tried again in {} s): {error}",
        retry_in.as_secs()
    )
}

pub fn sync_back(server: &str) -> String {
    format!("sent to {server} again")
}

pub fn sync_conflict(first: &str, n: usize) -> String {
    if n > 1 {
        format!("server conflict ({n}): {first}")
    } else {
        format!("server conflict: {first}")
    }
}

pub fn sync_cannot_open(e: &str) -> String {
    format!("cannot open the project to send it: {e}")
}

/// What the last push of a session did, said after the annotator closed; `None` when
/// there is nothing to say (nothing was waiting).
pub fn sync_at_exit(f: &super::sync::Finished, project: &str) -> Option<String> {
    use super::sync::Finished;
    match f {
        Finished::Sent(r) if r.annotations + r.updated + r.tasks + r.predictions == 0 => None,
        Finished::Sent(r) => Some(format!(
            "sent to the server: {} annotation(s), {} updated",
            r.annotations, r.updated
        )),
        Finished::Failed(e) => Some(format!(
            "not sent to the server: {e}\nyour work is stored here; `labelterm push {project}` sends it"
        )),
        Finished::Unfinished => Some(format!(
            "still sending to the server when the annotator closed; `labelterm push {project}` sends what did not arrive"
        )),
    }
}
