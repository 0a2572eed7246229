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

/// When a process started, in clock ticks since boot (`/proc/PID/stat`, field 22), where
/// the system tells.
pub fn process_start(pid: u32) -> Option<i64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count from the
    // last ')'. Field 3 is the first after it, so field 22 is the 20th.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
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

/// Whether the process of a session on this machine still runs.
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
    // A pid can be reused: the process must be the one that registered.
    match (s.process_start, process_start(s.pid)) {
        (Some(then), Some(now)) => then == now,
        _ => true,
    }
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
}
