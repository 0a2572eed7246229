//! Everything a user can ask the annotator to do. Keys map to these (see `keymap`), and
//! `App::update` turns them into state changes plus effects. The names are the ones a
//! keymap file uses.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Quit,
    Help,
    Submit,
    Skip,
    Undo,
    Redo,
    NextTask,
    PrevTask,
    TaskList,
    FocusNext,
    FocusPrev,
    Up,
    Down,
    Left,
    Right,
    /// Start of the next word (a count repeats it).
    WordNext,
    /// Start of the current or previous word.
    WordPrev,
    /// End of the current or next word (vim `e`).
    WordEnd,
    /// Start of the next sentence.
    SentenceNext,
    /// Start of the current or previous sentence.
    SentencePrev,
    LineStart,
    LineEnd,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// Start or drop a text selection at the cursor.
    Select,
    /// Move the selected span's left edge one unit (of the object's granularity) left.
    SpanGrowLeft,
    /// Move the selected span's left edge one unit right.
    SpanShrinkLeft,
    /// Move the selected span's right edge one unit right.
    SpanGrowRight,
    /// Move the selected span's right edge one unit left.
    SpanShrinkRight,
    /// Open or apply the focused thing (edit a field, open the taxonomy picker, open a task).
    Activate,
    /// Toggle the option under the cursor.
    Toggle,
    /// Clear the focused field or entry.
    Clear,
    /// Leave the current selection, popup or editor.
    Cancel,
    NextRegion,
    PrevRegion,
    DeleteRegion,
    DeleteAllRegions,
    NewRect,
    GrowWidth,
    ShrinkWidth,
    GrowHeight,
    ShrinkHeight,
    AcceptPrediction,
    AcceptRegion,
    RejectRegion,
    CycleSource,
    TogglePredictions,
    Diff,
    FullImage,
    PlayMedia,
    ExternalEditor,
    JumpToTask,
    CycleFilter,
    ToggleSort,
    Search,
    /// Chart: show half as many points around the cursor.
    ZoomIn,
    /// Chart: show twice as many points around the cursor.
    ZoomOut,
    /// Chart: show the whole series.
    ZoomAll,
    /// Move the selected time region one point back.
    RegionBack,
    /// Move the selected time region one point forward.
    RegionForward,
    /// Move the selected time region's start one point back.
    RegionStartBack,
    /// Move the selected time region's start one point forward.
    RegionStartForward,
    /// Move the selected time region's end one point back.
    RegionEndBack,
    /// Move the selected time region's end one point forward.
    RegionEndForward,
    AcceptControl,
    /// Image: a coarse step (a tenth of the image) left.
    CoarseLeft,
    CoarseRight,
    CoarseUp,
    CoarseDown,
    /// Image: to the image edge on the left.
    EdgeLeft,
    EdgeRight,
    EdgeUp,
    EdgeDown,
    /// Image: begin a keynav-style jump (then cell keys pick a ninth).
    JumpBegin,
    /// Image: add a polygon point at the cursor.
    AddPoint,
    /// Image: remove the open polygon's last point.
    RemovePoint,
    /// Image: close the open polygon (with the last-used label).
    ClosePolygon,
    /// Image: drop a keypoint at the cursor (with the last-used label).
    DropKeypoint,
    /// Image: cycle what movement keys do to the selected region (move, edges, corners, vertices, off).
    CycleEdit,
    /// Image: cancel the box, polygon or jump being drawn, else as Cancel.
    StopDrawing,
    /// Store my held answer over my newer annotation from another window.
    Overwrite,
    /// Keep my annotation from another window; the held answer goes to undo.
    KeepStored,
    /// Pairwise: choose the left object (again: clear the choice).
    PickLeft,
    /// Pairwise: choose the right object (again: clear the choice).
    PickRight,
    /// Ranker: move the item under the cursor one place up.
    MoveItemUp,
    /// Ranker: move the item under the cursor one place down.
    MoveItemDown,
    /// Ranker: move the item under the cursor to the previous column (bucket).
    MoveItemLeft,
    /// Ranker: move the item under the cursor to the next column (bucket).
    MoveItemRight,
    /// Video: go to a frame number (asked for).
    JumpFrame,
    /// Video: set the frame count when the file cannot be probed (asked for).
    SetFrames,
    /// Video: add a keyframe to the selected track on the current frame.
    AddKeyframe,
    /// Video: remove the selected track's keyframe on the current frame.
    RemoveKeyframe,
    /// Video: end the selected track at its keyframe on or before the current frame (or resume it).
    ToggleLifespan,
    /// Video: to the selected track's previous keyframe.
    PrevKeyframe,
    /// Video: to the selected track's next keyframe.
    NextKeyframe,
    /// Start a relation at the selected region, or end it at the selected one.
    Relation,
    /// Select the next relation.
    NextRelation,
    /// Cycle the selected relation's direction (right, bi, left).
    RelationDirection,
    /// Cycle the selected relation's label through the Relation values.
    RelationLabel,
    /// Chat: write a new message.
    NewMessage,
    /// Chat: the role of the next new message.
    CycleRole,
    /// Open the review screen.
    Review,
    /// Review: accept the annotation.
    ReviewAccept,
    /// Review: reject the annotation (with a comment).
    ReviewReject,
    /// Review: fix the annotation in the annotator, then accept it.
    ReviewFix,
    /// Review: star (or unstar) the annotation as the task's ground truth.
    GroundTruth,
    /// Review: the next order of the annotations.
    CycleOrder,
    /// Open the data table of all tasks.
    DataTable,
    /// Table: mark every task the filters match.
    MarkMatching,
    /// Table: clear the marks.
    ClearMarks,
    /// Table: the frequency table of the focused column.
    Frequency,
    /// Table: count, distinct values, missing, types and ranges of the focused column.
    Describe,
    /// Table: the histogram of prediction scores.
    Histogram,
    /// Table: the filter editor.
    Filters,
    /// Table: choose, order and size the columns.
    Columns,
    /// Table: saved views.
    Views,
    /// Table: bulk actions on the marked tasks.
    BulkActions,
    /// Filters: join them with and, or with or.
    ToggleJoin,
    /// Saved views: save the table as a view.
    SaveView,
    /// Open the JSON tree of the task (as Label Studio exports it).
    JsonTree,
    /// Open the side-by-side comparison of the task's annotations and predictions.
    Compare,
    /// JSON tree: open every node.
    ExpandAll,
    /// JSON tree: close every node.
    CollapseAll,
    /// JSON tree: open the node under the cursor and everything below it.
    ExpandSubtree,
    /// Copy the value under the cursor to the clipboard.
    YankValue,
    /// Copy the path (jq syntax) under the cursor to the clipboard.
    YankPath,
    /// The next match of the search.
    SearchNext,
    /// The previous match of the search.
    SearchPrev,
    /// Compare: the next source on the left.
    CompareLeft,
    /// Compare: the next source on the right.
    CompareRight,
    /// Compare: swap the two sides.
    SwapSides,
}

impl Action {
    pub const ALL: &'static [Action] = &[
        Action::Quit,
        Action::Help,
        Action::Submit,
        Action::Skip,
        Action::Undo,
        Action::Redo,
        Action::NextTask,
        Action::PrevTask,
        Action::TaskList,
        Action::FocusNext,
        Action::FocusPrev,
        Action::Up,
        Action::Down,
        Action::Left,
        Action::Right,
        Action::WordNext,
        Action::WordPrev,
        Action::WordEnd,
        Action::SentenceNext,
        Action::SentencePrev,
        Action::LineStart,
        Action::LineEnd,
        Action::PageUp,
        Action::PageDown,
        Action::Top,
        Action::Bottom,
        Action::Select,
        Action::SpanGrowLeft,
        Action::SpanShrinkLeft,
        Action::SpanGrowRight,
        Action::SpanShrinkRight,
        Action::Activate,
        Action::Toggle,
        Action::Clear,
        Action::Cancel,
        Action::NextRegion,
        Action::PrevRegion,
        Action::DeleteRegion,
        Action::DeleteAllRegions,
        Action::NewRect,
        Action::GrowWidth,
        Action::ShrinkWidth,
        Action::GrowHeight,
        Action::ShrinkHeight,
        Action::AcceptPrediction,
        Action::AcceptRegion,
        Action::RejectRegion,
        Action::CycleSource,
        Action::TogglePredictions,
        Action::Diff,
        Action::FullImage,
        Action::PlayMedia,
        Action::ExternalEditor,
        Action::JumpToTask,
        Action::CycleFilter,
        Action::ToggleSort,
        Action::Search,
        Action::ZoomIn,
        Action::ZoomOut,
        Action::ZoomAll,
        Action::RegionBack,
        Action::RegionForward,
        Action::RegionStartBack,
        Action::RegionStartForward,
        Action::RegionEndBack,
        Action::RegionEndForward,
        Action::AcceptControl,
        Action::CoarseLeft,
        Action::CoarseRight,
        Action::CoarseUp,
        Action::CoarseDown,
        Action::EdgeLeft,
        Action::EdgeRight,
        Action::EdgeUp,
        Action::EdgeDown,
        Action::JumpBegin,
        Action::AddPoint,
        Action::RemovePoint,
        Action::ClosePolygon,
        Action::DropKeypoint,
        Action::CycleEdit,
        Action::StopDrawing,
        Action::Overwrite,
        Action::KeepStored,
        Action::PickLeft,
        Action::PickRight,
        Action::MoveItemUp,
        Action::MoveItemDown,
        Action::MoveItemLeft,
        Action::MoveItemRight,
        Action::JumpFrame,
        Action::SetFrames,
        Action::AddKeyframe,
        Action::RemoveKeyframe,
        Action::ToggleLifespan,
        Action::PrevKeyframe,
        Action::NextKeyframe,
        Action::Relation,
        Action::NextRelation,
        Action::RelationDirection,
        Action::RelationLabel,
        Action::NewMessage,
        Action::CycleRole,
        Action::Review,
        Action::ReviewAccept,
        Action::ReviewReject,
        Action::ReviewFix,
        Action::GroundTruth,
        Action::CycleOrder,
        Action::DataTable,
        Action::MarkMatching,
        Action::ClearMarks,
        Action::Frequency,
        Action::Describe,
        Action::Histogram,
        Action::Filters,
        Action::Columns,
        Action::Views,
        Action::BulkActions,
        Action::ToggleJoin,
        Action::SaveView,
        Action::JsonTree,
        Action::Compare,
        Action::ExpandAll,
        Action::CollapseAll,
        Action::ExpandSubtree,
        Action::YankValue,
        Action::YankPath,
        Action::SearchNext,
        Action::SearchPrev,
        Action::CompareLeft,
        Action::CompareRight,
        Action::SwapSides,
    ];

    /// The name used in keymap files.
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    pub fn from_name(name: &str) -> Option<Action> {
        serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
    }
}
