//! The link to a Label Studio server: where it is and the key to it ([`credentials`]), its
//! API ([`client`]), and linking a project to a server project ([`link`]). UI-free: the
//! CLI and the annotator both call it.

pub mod client;
pub mod credentials;
pub mod link;
pub mod lock;
pub mod pull;
pub mod push;
pub mod status;
// Task media in the server's form (`--media file|post`).
pub mod media;

pub use client::{Client, SyncError};
pub use credentials::{Credentials, Secret};

/// A client of the server a project is linked to, with the key from the environment or
/// the user's config file (never from the store).
pub fn client_for(link: &crate::store::ServerLink) -> Result<Client, SyncError> {
    Ok(Client::new(&credentials::from_environment(Some(
        &link.url,
    ))?))
}
