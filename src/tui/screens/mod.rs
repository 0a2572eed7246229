//! Screens: the annotator's full-size views. Each has its state, update, view and hints;
//! the app routes messages to the one shown. A new screen is a module here plus its
//! variant below.

/// The screens, registered in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// Annotating one task.
    Task,
    /// The task list.
    List,
}

pub mod annotate;
pub mod task_list;
