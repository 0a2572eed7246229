//! Saved views of the data table: a name and a spec (filters, sort, columns, search) kept
//! in the project. The spec's shape belongs to the query model; here it is JSON, stored as
//! text and handed back as it was given.

use super::{Result, Store, StoreError};
use rusqlite::{OptionalExtension, params};
use serde_json::Value;

/// One saved view.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedView {
    pub id: i64,
    pub name: String,
    pub spec: Value,
    pub created_at: String,
    pub updated_at: String,
}

fn check_name(name: &str) -> Result<&str> {
    let name = name.trim();
    if name.is_empty() {
        return Err(StoreError::Invalid("a view needs a name".into()));
    }
    Ok(name)
}

fn view_row(r: &rusqlite::Row) -> rusqlite::Result<(i64, String, String, String, String)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn to_view(
    (id, name, spec, created_at, updated_at): (i64, String, String, String, String),
) -> SavedView {
    SavedView {
        id,
        name,
        // Written by `save_view` from a JSON value; text changed by hand that no longer
        // parses is handed back as a string rather than lost.
        spec: serde_json::from_str(&spec).unwrap_or(Value::String(spec)),
        created_at,
        updated_at,
    }
}

const COLUMNS: &str = "id, name, spec, created_at, updated_at";

impl Store {
    /// Saves a view under `name` (trimmed), replacing the spec of a view of that name and
    /// keeping its id and creation time. Returns the view's id.
    pub fn save_view(&self, name: &str, spec: &Value) -> Result<i64> {
        let name = check_name(name)?;
        let now = crate::util::now();
        let text = spec.to_string();
        Ok(self.conn().query_row(
            "INSERT INTO saved_views (name, spec, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)
             ON CONFLICT (name) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at
             RETURNING id",
            params![name, text, now],
            |r| r.get(0),
        )?)
    }

    /// Every saved view, by name.
    pub fn views(&self) -> Result<Vec<SavedView>> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {COLUMNS} FROM saved_views ORDER BY name COLLATE NOCASE, name"
        ))?;
        let rows = stmt.query_map([], view_row)?;
        let mut out = Vec::new();
        for r in rows {
            out.push(to_view(r?));
        }
        Ok(out)
    }

    /// The view named `name`, if there is one.
    pub fn view(&self, name: &str) -> Result<Option<SavedView>> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM saved_views WHERE name = ?1"),
                [name.trim()],
                view_row,
            )
            .optional()?
            .map(to_view))
    }

    /// Renames a view. Fails with `NotFound` when there is no view `from`, and with
    /// `Invalid` when another view is already called `to`.
    pub fn rename_view(&self, from: &str, to: &str) -> Result<()> {
        let to = check_name(to)?;
        let from = from.trim();
        if from == to {
            return match self.view(from)? {
                Some(_) => Ok(()),
                None => Err(StoreError::NotFound(format!("no saved view {from:?}"))),
            };
        }
        if self.view(to)?.is_some() {
            return Err(StoreError::Invalid(format!(
                "a saved view is already called {to:?}"
            )));
        }
        let n = self.conn().execute(
            "UPDATE saved_views SET name = ?2, updated_at = ?3 WHERE name = ?1",
            params![from, to, crate::util::now()],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("no saved view {from:?}")));
        }
        Ok(())
    }

    /// Deletes a view; returns whether there was one.
    pub fn delete_view(&self, name: &str) -> Result<bool> {
        Ok(self
            .conn()
            .execute("DELETE FROM saved_views WHERE name = ?1", [name.trim()])?
            > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn save_list_load_rename_delete() {
        let (_d, s) = crate::store::tests::with_tasks(0);
        assert!(s.views().unwrap().is_empty());
        let spec = json!({"filters": [{"field": "data.lang", "op": "equal", "value": "en"}],
                          "conjunction": "and", "sort": "-id", "columns": ["id", "data.text"], "search": "cat"});
        let id = s.save_view(" english ", &spec).unwrap();
        let b = s.save_view("Beta", &json!({"sort": "id"})).unwrap();
        assert_ne!(id, b);
        let names: Vec<String> = s.views().unwrap().into_iter().map(|v| v.name).collect();
        assert_eq!(names, ["Beta", "english"]);
        let v = s.view("english").unwrap().unwrap();
        assert_eq!((v.id, &v.spec), (id, &spec));

        // Saving again under the same name replaces the spec and keeps the id.
        let again = s
            .save_view("english", &json!({"sort": "-agreement"}))
            .unwrap();
        assert_eq!(again, id);
        let v = s.view("english").unwrap().unwrap();
        assert_eq!(v.spec, json!({"sort": "-agreement"}));
        assert_eq!(s.views().unwrap().len(), 2);

        s.rename_view("english", "English only").unwrap();
        assert!(s.view("english").unwrap().is_none());
        assert_eq!(s.view("English only").unwrap().unwrap().id, id);
        assert!(matches!(
            s.rename_view("English only", "Beta"),
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            s.rename_view("nope", "x"),
            Err(StoreError::NotFound(_))
        ));
        assert!(matches!(
            s.save_view("  ", &spec),
            Err(StoreError::Invalid(_))
        ));

        assert!(s.delete_view("Beta").unwrap());
        assert!(!s.delete_view("Beta").unwrap());
        let names: Vec<String> = s.views().unwrap().into_iter().map(|v| v.name).collect();
        assert_eq!(names, ["English only"]);
    }
}
