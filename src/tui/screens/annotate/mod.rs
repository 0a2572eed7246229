//! The annotate screen: one task, its panes and panels.

pub mod panels;
pub mod view;
