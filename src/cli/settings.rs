//! Project settings on the command line: the flags `init` and `settings` share, and the
//! `settings` command, which prints every setting or changes the ones named.

use super::parse_sampling;
use crate::error::Result;
use crate::project::{self, SettingsChange};
use crate::store::Sampling;
use crate::store::settings::{Settings, SkipQueue};
use std::path::PathBuf;
use std::process::ExitCode;

/// The settings flags; a flag not given leaves its setting as it is (on `init`: the
/// default).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct SettingsArgs {
    /// Next-task order, by Label Studio's names: sequential (by id), uniform (random),
    /// prediction-score-min (also `uncertainty`), prediction-score-max (default
    /// sequential).
    #[arg(long, value_name = "MODE", value_parser = parse_sampling)]
    pub sampling: Option<Sampling>,
    /// Annotations each task gets, from different annotators (Label Studio's overlap;
    /// default 1).
    #[arg(long = "maximum-annotations", value_name = "N", value_parser = parse_maximum, allow_negative_numbers = true)]
    pub maximum_annotations: Option<u32>,
    /// Percent of tasks that get --maximum-annotations; the others get one (default 100).
    #[arg(long = "overlap-cohort", value_name = "PCT", value_parser = parse_cohort, allow_negative_numbers = true)]
    pub overlap_cohort: Option<u32>,
    /// What a skip does: requeue-for-others (default), requeue-for-me, ignore-skipped.
    #[arg(long = "skip-queue", value_name = "RULE", value_parser = parse_skip_queue)]
    pub skip_queue: Option<SkipQueue>,
    /// Tasks with a ground-truth annotation come first (=false turns it off again).
    #[arg(
        long = "show-ground-truth-first",
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_parser = parse_switch
    )]
    pub show_ground_truth_first: Option<bool>,
    /// Seconds a task stays claimed by an annotator that stopped renewing its claim (a
    /// lost connection, a stopped process); from 5 to 604800 (default 120).
    #[arg(long = "lock-ttl", value_name = "SECONDS", value_parser = parse_lock_ttl, allow_negative_numbers = true)]
    pub lock_ttl: Option<u32>,
    /// Whether tasks start from their predictions: on (default) or off.
    #[arg(long = "prelabel", value_name = "on|off", value_parser = parse_switch)]
    pub prelabel: Option<bool>,
}

impl SettingsArgs {
    pub fn change(&self) -> SettingsChange {
        SettingsChange {
            sampling: self.sampling,
            maximum_annotations: self.maximum_annotations,
            overlap_cohort: self.overlap_cohort,
            skip_queue: self.skip_queue,
            show_ground_truth_first: self.show_ground_truth_first,
            lock_ttl: self.lock_ttl,
            prelabel: self.prelabel,
        }
    }
}

fn parse_number(s: &str) -> std::result::Result<u32, String> {
    s.trim().parse().map_err(|_| {
        format!(
            "expected a whole number, got {}",
            crate::term_safe::quoted(s)
        )
    })
}

fn parse_maximum(s: &str) -> std::result::Result<u32, String> {
    match parse_number(s)? {
        0 => Err("must be at least 1".into()),
        n => Ok(n),
    }
}

fn parse_cohort(s: &str) -> std::result::Result<u32, String> {
    let n = parse_number(s.trim().trim_end_matches('%'))?;
    if (1..=100).contains(&n) {
        Ok(n)
    } else {
        Err(format!("a percentage from 1 to 100, got {n}"))
    }
}

fn parse_lock_ttl(s: &str) -> std::result::Result<u32, String> {
    let n = parse_number(s)?;
    if (5..=604_800).contains(&n) {
        Ok(n)
    } else {
        Err(format!("seconds from 5 to 604800 (a week), got {n}"))
    }
}

fn parse_skip_queue(s: &str) -> std::result::Result<SkipQueue, String> {
    SkipQueue::parse(s).ok_or_else(|| format!("use one of: {}", SkipQueue::NAMES.join(", ")))
}

/// on/off, true/false, yes/no, 1/0.
pub(crate) fn parse_switch(s: &str) -> std::result::Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" | "1" => Ok(true),
        "off" | "false" | "no" | "0" => Ok(false),
        _ => Err("use on or off (true or false)".into()),
    }
}

fn on_off(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

/// Each setting as the flag that changes it and its value, in the order `settings` shows.
fn rows(s: &Settings) -> Vec<(&'static str, String)> {
    vec![
        ("maximum-annotations", s.maximum_annotations.to_string()),
        ("overlap-cohort", format!("{}%", s.overlap_cohort)),
        ("skip-queue", s.skip_queue.name().to_string()),
        (
            "show-ground-truth-first",
            on_off(s.show_ground_truth_first).into(),
        ),
        ("lock-ttl", format!("{} s", s.lock_ttl)),
        ("sampling", s.sampling.name().to_string()),
        ("prelabel", on_off(s.prelabel).into()),
    ]
}

pub fn to_json(s: &Settings) -> serde_json::Value {
    serde_json::json!({
        "maximum_annotations": s.maximum_annotations,
        "overlap_cohort": s.overlap_cohort,
        "skip_queue": s.skip_queue.name(),
        "show_ground_truth_first": s.show_ground_truth_first,
        "lock_ttl": s.lock_ttl,
        "sampling": s.sampling.name(),
        "prelabel": s.prelabel,
    })
}

/// The settings, one a line, values aligned; a changed one says what it was.
pub fn lines(s: &Settings, old: Option<&Settings>) -> Vec<String> {
    let now = rows(s);
    let before = old.map(rows);
    let width = now.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    now.iter()
        .enumerate()
        .map(|(i, (k, v))| {
            let was = before
                .as_ref()
                .map(|b| &b[i].1)
                .filter(|w| *w != v)
                .map_or(String::new(), |w| format!("  (was {w})"));
            format!("{k:<width$}  {v}{was}")
        })
        .collect()
}

/// `labelterm settings PROJECT.db [flags] [--json]`.
pub fn run(project: PathBuf, args: SettingsArgs, json: bool) -> Result<ExitCode> {
    let (mut store, _) = project::open_to_write(&project)?;
    let change = args.change();
    let (old, new) = if change.is_empty() {
        let s = store.settings()?;
        (None, s)
    } else {
        let (old, new) = project::change_settings(&mut store, &change)?;
        (Some(old), new)
    };
    if json {
        let text = serde_json::to_string_pretty(&to_json(&new)).expect("JSON serialises");
        out!("{text}");
    } else {
        for line in lines(&new, old.as_ref()) {
            out!("{line}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked_where_they_are_parsed() {
        assert_eq!(parse_maximum("3"), Ok(3));
        assert!(parse_maximum("0").is_err());
        assert!(parse_maximum("-1").is_err());
        assert_eq!(parse_cohort("50%"), Ok(50));
        assert!(parse_cohort("101").is_err());
        assert!(parse_lock_ttl("4").is_err());
        assert_eq!(parse_lock_ttl("604800"), Ok(604_800));
        assert_eq!(parse_switch("OFF"), Ok(false));
        assert!(parse_switch("maybe").is_err());
        assert_eq!(
            parse_skip_queue("requeue_for_me"),
            Ok(SkipQueue::RequeueForMe)
        );
    }

    #[test]
    fn a_changed_setting_says_what_it_was() {
        let old = Settings::default();
        let new = Settings {
            lock_ttl: 30,
            ..old
        };
        let l = lines(&new, Some(&old));
        assert_eq!(l.len(), 7);
        assert!(
            l.iter()
                .any(|l| l.ends_with("lock-ttl                 30 s  (was 120 s)")),
            "{l:?}"
        );
        assert_eq!(l.iter().filter(|l| l.contains("(was")).count(), 1);
    }
}
