//! labelterm: label data and inspect datasets in Label Studio's formats, in the terminal.
//!
//! Data flows one way: files → [`import`] → [`store`] (SQLite) → tui / [`export`] → files.

pub mod config;
pub mod error;
pub mod import;
pub mod store;
pub mod task;
pub mod util;

pub use error::{Error, Result};
