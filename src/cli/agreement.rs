//! `labelterm agreement`: agreement between annotators and the quality of predictions.
//! Stale task figures are refreshed in the project first (other screens sort by them),
//! then every figure is computed task by task; `--json` streams the tasks as it goes, so
//! a project of any size prints in flat memory.

use crate::error::Result;
use crate::project;
use crate::review::agreement::{self, TaskAgreement};
use crate::term_safe::json_term_safe;
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// How many of the lowest tasks the text report names.
const LOWEST: usize = 10;

pub fn run(path: PathBuf, json: bool) -> Result<ExitCode> {
    let (mut store, config) = project::open_to_write(&path)?;
    // The stored figures are a cache for the table and review screens; a project that
    // cannot be written now (read-only file) still gets its report.
    if let Err(e) = agreement::refresh_agreement(&mut store, &config) {
        eout!("note: the stored agreement figures were not updated: {e}");
    }
    if !json {
        let report = agreement::report(&store, &config, LOWEST, |_| {})?;
        for line in report.to_text().lines() {
            out!("{line}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let stdout = std::io::stdout();
    let mut o = std::io::BufWriter::new(stdout.lock());
    // Write errors (a closed pipe) end the output but not the command, as `out!` does.
    let _ = write!(o, "{{\"tasks\": [");
    let mut first = true;
    let report = agreement::report(&store, &config, 0, |t: &TaskAgreement| {
        let line = json!({"id": t.id, "agreement": t.agreement, "annotators": t.annotators});
        let sep = if first { "\n  " } else { ",\n  " };
        first = false;
        let _ = write!(o, "{sep}{}", json_term_safe(&line.to_string()));
    })?;
    let rest = serde_json::to_string_pretty(&report.to_json()).expect("JSON serialises");
    // `rest` is an object with keys; its opening brace gives way to the tasks' comma.
    let _ = writeln!(o, "\n],{}", json_term_safe(&rest[1..]));
    let _ = o.flush();
    Ok(ExitCode::SUCCESS)
}
