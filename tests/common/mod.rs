//! Helpers for the integration tests: run the real binary, make files, read the store.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn ok(&self) -> &Self {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
    pub fn failed(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "expected exit {code}\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

pub fn labelterm(args: &[&str]) -> Run {
    labelterm_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

pub fn labelterm_in(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_labelterm"))
        .args(args)
        .current_dir(dir)
        .env("USER", "tester")
        .env_remove("NO_COLOR")
        .output()
        .expect("run labelterm");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn sample(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(rel)
        .display()
        .to_string()
}

pub fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> String {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, content).unwrap();
    p.display().to_string()
}

pub fn stats(project: &str) -> serde_json::Value {
    let r = labelterm(&["stats", project, "--json"]);
    r.ok();
    serde_json::from_str(&r.stdout).expect("stats --json prints one JSON object")
}

/// Everything a project holds, as text, to show that a failed command changed nothing.
pub fn dump(project: &str) -> String {
    let conn = rusqlite::Connection::open(project).unwrap();
    let mut out = String::new();
    for table in [
        "project",
        "users",
        "imports",
        "tasks",
        "annotations",
        "predictions",
        "drafts",
    ] {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY 1"))
            .unwrap();
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                let mut line = Vec::new();
                for i in 0..n {
                    let v: rusqlite::types::Value = r.get(i)?;
                    line.push(format!("{v:?}"));
                }
                Ok(line.join("|"))
            })
            .unwrap();
        out.push_str(&format!("== {table}\n"));
        for r in rows {
            out.push_str(&r.unwrap());
            out.push('\n');
        }
    }
    out
}

pub fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

pub fn path(dir: &Path, name: &str) -> String {
    PathBuf::from(dir).join(name).display().to_string()
}
