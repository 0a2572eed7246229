//! labelterm: label data and inspect datasets in Label Studio's formats, in the terminal.
//!
//! Data flows one way: files → [`import`] → [`store`] (SQLite) → tui / [`export`] → files.

// Problems carry file, position, task and field; they are returned on cold paths only.
#![allow(clippy::result_large_err)]

// First, so that every module can print through `out!`/`eout!`.
#[macro_use]
pub mod term_safe;

pub mod annotate;
pub mod cli;
pub mod config;
pub mod error;
pub mod export;
#[doc(hidden)]
pub mod fuzzing;
pub mod import;
pub mod inspect;
pub mod media;
pub mod net;
pub mod progress;
pub mod project;
pub mod review;
pub mod staging;
pub mod stats;
pub mod store;
pub mod sync;
pub mod task;
pub mod tui;
pub mod util;

pub use error::{Error, Result};
