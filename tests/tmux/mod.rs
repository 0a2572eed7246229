//! The real binary inside tmux, for end-to-end tests: start a session on its own socket,
//! send keys, wait for text on screen. Each test file that needs it says `mod tmux;`.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    pub socket: String,
}

impl Tmux {
    /// Starts `labelterm start DB --init ... --no-prelabel` (tasks start empty) as user
    /// tmuxer in a 100×30 session on its own socket.
    pub fn start(socket: &str, db: &Path, config: &Path, tasks: &Path) -> Tmux {
        let args = [
            "start".to_string(),
            db.display().to_string(),
            "--init".into(),
            "--label-config".into(),
            config.display().to_string(),
            "--input-path".into(),
            tasks.display().to_string(),
            "--user".into(),
            "tmuxer".into(),
            "--no-prelabel".into(),
        ];
        Tmux::run(socket, &args, (100, 30), &[])
    }

    /// Starts `labelterm ARGS...` in a session of `size` (columns, rows) on its own socket,
    /// with `env` (NAME=VALUE) set; colours off.
    pub fn run(socket: &str, args: &[String], size: (u16, u16), env: &[&str]) -> Tmux {
        Tmux::session(socket, size, env, &Tmux::command_line(args))
    }

    /// Starts a plain shell in a session of `size` on its own socket, for running
    /// labelterm from it and seeing the terminal it leaves behind.
    pub fn shell(socket: &str, size: (u16, u16)) -> Tmux {
        Tmux::session(socket, size, &["PS1=$ "], "sh")
    }

    /// Starts `command` in a session of `size` on its own socket, with `env` set; colours off.
    fn session(socket: &str, size: (u16, u16), env: &[&str], command: &str) -> Tmux {
        let tmux = Tmux {
            socket: format!("{socket}-{}", std::process::id()),
        };
        let (cols, rows) = (size.0.to_string(), size.1.to_string());
        let mut cmd = vec![
            "new-session",
            "-d",
            "-s",
            "lt",
            "-x",
            &cols,
            "-y",
            &rows,
            "-e",
            "NO_COLOR=",
        ];
        for e in env {
            cmd.push("-e");
            cmd.push(e);
        }
        cmd.push(command);
        let out = tmux.cmd(&cmd);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        tmux
    }

    /// The command line that runs labelterm with `args`, for typing into a shell.
    pub fn command_line(args: &[String]) -> String {
        let mut command = format!("'{}'", env!("CARGO_BIN_EXE_labelterm"));
        for a in args {
            command.push_str(&format!(" '{}'", a.replace('\'', "'\\''")));
        }
        command
    }

    /// A tmux format of the pane (`#{alternate_on}`, `#{mouse_any_flag}`...).
    pub fn display(&self, format: &str) -> String {
        let out = self.cmd(&["display-message", "-p", "-t", "lt", format]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    pub fn cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("tmux runs")
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "lt"]).stdout).into_owned()
    }

    /// Polls the screen until it shows `text` (no fixed sleeps).
    pub fn wait_for(&self, text: &str) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(text) {
                return s;
            }
            if start.elapsed() > Duration::from_secs(30) {
                panic!("timed out waiting for {text:?}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "lt"];
        args.extend_from_slice(keys);
        assert!(self.cmd(&args).status.success());
    }

    /// Waits (at most 10 s) for labelterm to exit; `what` says what should have ended it.
    pub fn wait_exit(&self, what: &str) {
        let start = Instant::now();
        while self.running() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "{what} did not quit labelterm"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn running(&self) -> bool {
        self.cmd(&["has-session", "-t", "lt"]).status.success()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

/// Whether tmux is missing (then the test is skipped, except in CI).
pub fn no_tmux() -> bool {
    if Command::new("tmux").arg("-V").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "tmux is required in CI (.ci/run installs it)"
        );
        eprintln!("tmux is not installed; skipping the end-to-end test");
        return true;
    }
    false
}

/// Every row of a query on a project file, its columns joined by `|` (NULL as `NULL`).
pub fn rows(db: &Path, sql: &str) -> Vec<String> {
    let c = rusqlite::Connection::open(db).unwrap();
    let mut st = c.prepare(sql).unwrap();
    let n = st.column_count();
    st.query_map([], |r| {
        Ok((0..n)
            .map(|i| {
                let v: rusqlite::types::Value = r.get(i)?;
                Ok(match v {
                    rusqlite::types::Value::Null => "NULL".into(),
                    rusqlite::types::Value::Integer(i) => i.to_string(),
                    rusqlite::types::Value::Real(f) => f.to_string(),
                    rusqlite::types::Value::Text(t) => t,
                    rusqlite::types::Value::Blob(_) => "<blob>".into(),
                })
            })
            .collect::<rusqlite::Result<Vec<String>>>()?
            .join("|"))
    })
    .unwrap()
    .collect::<rusqlite::Result<Vec<_>>>()
    .unwrap()
}
