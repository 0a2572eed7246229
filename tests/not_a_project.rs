//! Commands that read a project never write to a file that is not one: an empty file, a
//! text file or another program's SQLite database stays byte for byte as it was, and the
//! command says what the file is and exits non-zero.

mod common;
use common::*;

/// A SQLite database of another program (no labelterm application id), in rollback
/// journal mode.
fn foreign_sqlite(path: &str) {
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('keep me');")
        .unwrap();
}

#[test]
fn reading_commands_leave_files_that_are_not_projects_untouched() {
    let dir = tmp();
    let empty = write(dir.path(), "empty.db", "");
    let text = write(dir.path(), "notes.db", "just some text, not a database\n");
    let foreign = path(dir.path(), "other.sqlite");
    foreign_sqlite(&foreign);
    let out = path(dir.path(), "out.json");
    for file in [&empty, &text, &foreign] {
        let before = std::fs::read(file).unwrap();
        for args in [
            vec!["stats", file.as_str()],
            vec!["stats", file.as_str(), "--json"],
            vec![
                "export",
                file.as_str(),
                "--export-type",
                "JSON",
                "--export-path",
                &out,
            ],
            vec!["query", file.as_str(), "--count"],
            vec!["agreement", file.as_str()],
            vec!["start", file.as_str()],
        ] {
            let r = labelterm(&args);
            r.failed(1);
            assert!(
                r.all().contains("not a labelterm project"),
                "{args:?}: {}",
                r.all()
            );
            assert_eq!(
                std::fs::read(file).unwrap(),
                before,
                "{args:?} changed {file}"
            );
            assert!(
                !std::path::Path::new(&out).exists(),
                "{args:?} wrote an export"
            );
        }
        // No journal or WAL files were left beside it either.
        for suffix in ["-wal", "-shm", "-journal"] {
            assert!(
                !std::path::Path::new(&format!("{file}{suffix}")).exists(),
                "{file}{suffix} was created"
            );
        }
    }
}
