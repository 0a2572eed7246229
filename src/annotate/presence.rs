//! Who this annotator is among the others on the same project file, and whether another
//! one still runs. A claim dies with its process: on the same machine a gone process is
//! seen at once (its pid is free, or now belongs to a process that started later); on
//! another machine the claim lapses when it stops being renewed.

use crate::store::claims::{SessionId, SessionRow};
use std::time::{SystemTime, UNIX_EPOCH};

/// Unix seconds now.
pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// This machine's name.
pub fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname writes at most that much.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    let name = if rc == 0 {
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        String::new()
    };
    if name.is_empty() {
        "localhost".into()
    } else {
        name
    }
}

/// A process's state letter (`R`, `S`, `Z` ...) and when it started, in clock ticks
/// since boot (`/proc/PID/stat`, fields 3 and 22), where the system tells.
fn stat(pid: u32) -> Option<(String, Option<i64>)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count from the
    // last ')'. Field 3 is the first after it, so field 22 is the 20th.
    let mut rest = stat[stat.rfind(')')? + 1..].split_whitespace();
    let state = rest.next()?.to_string();
    Some((state, rest.nth(18).and_then(|t| t.parse().ok())))
}

/// When a process started, in clock ticks since boot, where the system tells.
pub fn process_start(pid: u32) -> Option<i64> {
    stat(pid)?.1
}

/// This process, as the user's running annotator.
pub fn this_process(user_id: i64) -> SessionId {
    let pid = std::process::id();
    let host = host_name();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    SessionId {
        id: format!("{host}:{pid}:{nanos:x}"),
        user_id,
        host,
        pid,
        process_start: process_start(pid),
    }
}

/// Whether the process of a session on this machine still runs: it exists, is the one
/// that registered (a pid can be reused), and is not a zombie (killed, and not yet reaped
/// by its parent: a terminal multiplexer may take its time).
pub fn alive(s: &SessionRow) -> bool {
    let pid = s.pid as libc::pid_t;
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    let exists = unsafe { libc::kill(pid, 0) } == 0
        || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    if !exists {
        return false;
    }
    match stat(s.pid) {
        Some((state, _)) if state == "Z" => false,
        Some((_, Some(now))) => s.process_start.is_none_or(|then| then == now),
        _ => true,
    }
}

/// Whether a registered annotator still works: on this machine its process must run; on
/// another, its registration must not have lapsed.
pub fn is_working(s: &SessionRow, this_host: &str, now: f64) -> bool {
    s.expires_at >= now && (s.host != this_host || alive(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pid: u32, process_start: Option<i64>) -> SessionRow {
        SessionRow {
            id: "x".into(),
            user_id: 1,
            user: None,
            host: host_name(),
            pid,
            process_start,
            started_at: 0.0,
            seen_at: 0.0,
            expires_at: 0.0,
            task_id: None,
            task_since: None,
        }
    }

    #[test]
    fn this_process_is_alive_and_a_finished_one_is_not() {
        let me = this_process(1);
        assert!(alive(&row(me.pid, me.process_start)));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(!alive(&row(pid, None)), "a reaped child is gone");
        if me.process_start.is_some() {
            assert!(
                !alive(&row(me.pid, me.process_start.map(|t| t + 1))),
                "the same pid with another start time is another process"
            );
        }
    }

    #[test]
    fn a_killed_process_not_yet_reaped_is_not_alive() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let pid = child.id();
        let start = process_start(pid);
        assert!(alive(&row(pid, start)));
        child.kill().unwrap();
        // Not reaped yet: it is a zombie until `wait`.
        let t = std::time::Instant::now();
        while stat(pid).is_none_or(|(state, _)| state != "Z")
            && t.elapsed() < std::time::Duration::from_secs(5)
        {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        // SAFETY: signal 0 only checks that the process exists.
        assert_eq!(
            unsafe { libc::kill(pid as libc::pid_t, 0) },
            0,
            "a zombie still exists"
        );
        assert!(!alive(&row(pid, start)));
        child.wait().unwrap();
    }
}
