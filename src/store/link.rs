//! The link to a Label Studio server project (see `crate::sync::link`).

use super::{Result, Store};
use rusqlite::OptionalExtension;

/// A project's link to a server project, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerLink {
    pub url: String,
    pub project_id: i64,
    pub title: String,
    /// `post`, `file` or `url`.
    pub media: String,
    /// (server field, local data key) pairs.
    pub mapping: Vec<(String, String)>,
    pub linked_at: String,
}

impl Store {
    pub fn server_link(&self) -> Result<Option<ServerLink>> {
        Ok(self
            .conn
            .query_row(
                "SELECT url, project_id, title, media, mapping, linked_at FROM server_link WHERE id = 1",
                [],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                    ))
                },
            )
            .optional()?
            .map(|(url, project_id, title, media, mapping, linked_at)| ServerLink {
                url,
                project_id,
                title,
                media,
                // Written by `set_server_link` only.
                mapping: serde_json::from_str(&mapping).unwrap_or_default(),
                linked_at,
            }))
    }

    /// Records (or replaces) the link.
    pub fn set_server_link(&self, link: &ServerLink) -> Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO server_link (id, url, project_id, title, media, mapping, linked_at)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)",
            rusqlite::params![
                link.url,
                link.project_id,
                link.title,
                link.media,
                serde_json::to_string(&link.mapping).expect("strings serialise"),
                link.linked_at,
            ],
        )?;
        Ok(())
    }

    pub fn remove_server_link(&self) -> Result<bool> {
        Ok(self.conn.execute("DELETE FROM server_link", [])? > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_stored_replaced_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            Store::create(&dir.path().join("p.db"), &crate::store::tests::project()).unwrap();
        assert_eq!(store.server_link().unwrap(), None);
        let mut link = ServerLink {
            url: "http://127.0.0.1:8080".into(),
            project_id: 3,
            title: "Reviews".into(),
            media: "url".into(),
            mapping: vec![("text".into(), "review".into())],
            linked_at: "2026-01-01T00:00:00Z".into(),
        };
        store.set_server_link(&link).unwrap();
        assert_eq!(store.server_link().unwrap().as_ref(), Some(&link));
        link.project_id = 4;
        store.set_server_link(&link).unwrap();
        assert_eq!(store.server_link().unwrap().unwrap().project_id, 4);
        assert!(store.remove_server_link().unwrap());
        assert_eq!(store.server_link().unwrap(), None);
    }
}
