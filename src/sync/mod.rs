//! The link to a Label Studio server: where it is and the key to it ([`credentials`]), its
//! API ([`client`]), and linking a project to a server project ([`link`]). UI-free: the
//! CLI and the annotator both call it.

pub mod client;
pub mod credentials;
pub mod link;
pub mod pull;
pub mod push;
pub mod status;
// Task media in the server's form (`--media file|post`).
pub mod media;

pub use client::{Client, SyncError};
pub use credentials::{Credentials, Secret};
