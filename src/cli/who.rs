//! `labelterm who`: who works on a project now, and what each annotator did today. Names
//! and hosts come from the project file, written by anyone: they are shown escaped.

use crate::error::Result;
use crate::project::{self, Who};
use crate::term_safe::{display_width, fit};
use std::path::PathBuf;
use std::process::ExitCode;

/// A duration as `45s`, `3m05s`, `2h07m`.
pub fn duration(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// Rows of cells as columns two spaces apart, each as wide as its widest cell; numbers
/// (columns in `right`) flush right.
fn table(rows: &[Vec<String>], right: &[usize]) -> Vec<String> {
    let cols = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..cols)
        .map(|c| rows.iter().map(|r| display_width(&r[c])).max().unwrap_or(0))
        .collect();
    rows.iter()
        .map(|r| {
            let cells: Vec<String> = r
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(c, (cell, &w))| {
                    if right.contains(&c) {
                        let shown = fit(cell, display_width(cell));
                        format!("{}{shown}", " ".repeat(w - display_width(cell)))
                    } else {
                        fit(cell, w)
                    }
                })
                .collect();
            format!("  {}", cells.join("  ").trim_end())
        })
        .collect()
}

pub fn lines(w: &Who) -> Vec<String> {
    let mut out = Vec::new();
    if w.working.is_empty() {
        out.push("nobody is working on this project now".to_string());
    } else {
        out.push(format!("working now ({})", w.working.len()));
        let mut rows = vec![
            ["USER", "HOST", "PID", "TASK", "ON TASK", "WORKING", "IDLE"]
                .map(String::from)
                .to_vec(),
        ];
        for a in &w.working {
            rows.push(vec![
                a.user.clone(),
                a.host.clone(),
                a.pid.to_string(),
                a.task_id.map_or("-".into(), |t| t.to_string()),
                a.on_task.map_or("-".into(), duration),
                duration(a.working),
                duration(a.idle),
            ]);
        }
        out.extend(table(&rows, &[2, 3]));
    }
    out.push(String::new());
    if w.today.is_empty() {
        out.push(format!("no annotations today (since {})", w.since));
    } else {
        out.push(format!("today (since {}, local midnight)", w.since));
        let mut rows = vec![
            [
                "USER",
                "SUBMITTED",
                "SKIPPED",
                "MEAN LEAD TIME",
                "TASKS/HOUR",
            ]
            .map(String::from)
            .to_vec(),
        ];
        for d in &w.today {
            rows.push(vec![
                d.user.clone(),
                d.submitted.to_string(),
                d.skipped.to_string(),
                d.mean_lead_time.map_or("-".into(), |t| format!("{t:.1}s")),
                d.per_hour.map_or("-".into(), |h| format!("{h:.1}")),
            ]);
        }
        out.extend(table(&rows, &[1, 2, 3, 4]));
    }
    out
}

pub fn to_json(w: &Who) -> serde_json::Value {
    serde_json::json!({
        "working": w.working.iter().map(|a| serde_json::json!({
            "user": a.user, "host": a.host, "pid": a.pid, "task": a.task_id,
            "on_task_seconds": a.on_task.map(f64::round),
            "working_seconds": a.working.round(),
            "idle_seconds": a.idle.round(),
        })).collect::<Vec<_>>(),
        "today": {
            "since": w.since,
            "annotators": w.today.iter().map(|d| serde_json::json!({
                "user": d.user, "submitted": d.submitted, "skipped": d.skipped,
                "mean_lead_time": d.mean_lead_time,
                "tasks_per_hour": d.per_hour,
            })).collect::<Vec<_>>(),
        },
    })
}

/// `labelterm who PROJECT.db [--json]`.
pub fn run(project: PathBuf, json: bool) -> Result<ExitCode> {
    let (store, _) = project::open(&project)?;
    let who = project::who(
        &store,
        crate::annotate::presence::now(),
        &project::local_midnight(),
    )?;
    if json {
        let text = serde_json::to_string_pretty(&to_json(&who)).expect("JSON serialises");
        out!("{}", crate::term_safe::json_term_safe(&text));
    } else {
        for line in lines(&who) {
            out!("{line}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::{DayWork, Working};

    #[test]
    fn durations_read_at_a_glance() {
        assert_eq!(duration(0.4), "0s");
        assert_eq!(duration(59.0), "59s");
        assert_eq!(duration(185.0), "3m05s");
        assert_eq!(duration(7620.0), "2h07m");
    }

    #[test]
    fn columns_line_up_and_names_are_escaped() {
        let who = Who {
            working: vec![
                Working {
                    user: "a\u{1b}[31m".into(),
                    host: "box".into(),
                    pid: 7,
                    task_id: Some(12),
                    on_task: Some(65.0),
                    working: 4000.0,
                    idle: 2.0,
                },
                Working {
                    user: "b".into(),
                    host: "other-host".into(),
                    pid: 12345,
                    task_id: None,
                    on_task: None,
                    working: 5.0,
                    idle: 5.0,
                },
            ],
            since: "2026-01-01T00:00:00.000000Z".into(),
            today: vec![DayWork {
                user: "ü".into(),
                submitted: 10,
                skipped: 2,
                mean_lead_time: Some(3.25),
                per_hour: Some(1107.7),
            }],
        };
        let l = lines(&who);
        assert_eq!(l[0], "working now (2)");
        assert!(l.iter().all(|l| !l.contains('\u{1b}')), "{l:?}");
        assert!(l[2].starts_with("  a\\e[31m  box  "), "{l:?}");
        // The header and rows put each column at the same place.
        let at = |l: &str, s: &str| l.find(s).unwrap();
        assert_eq!(at(&l[1], "TASK") + 4, at(&l[2], "12") + 2);
        assert_eq!(at(&l[1], "PID") + 3, at(&l[3], "12345") + 5);
        assert!(l[2].contains("1m05s") && l[2].contains("1h06m"), "{l:?}");
        assert!(
            l.iter().any(|l| l.contains("3.2s") && l.contains("1107.7")),
            "{l:?}"
        );
    }
}
