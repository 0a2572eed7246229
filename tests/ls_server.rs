//! Against a real Label Studio server: `link` and `unlink` with a legacy token and a
//! personal access token, a server project made from the local config, one attached to
//! with a matching config (and with `--map`), and the refusals; `push` (idempotence, later
//! annotations, updates, a conflict, an interrupted batch, a server that is gone); `pull`
//! and cloning (changes, additions, conflicts kept on both sides, deletions, unsent work
//! kept); `status`; task media sent as local-files URLs (`--media file`, a server started
//! with local-files serving on) and as uploads (`--media post`).
//!
//! Runs when `LABELTERM_LS_SERVER` names Label Studio's `label-studio` program (`.ci/run`
//! installs it into a virtual environment and sets it). The server starts on 127.0.0.1
//! with a throwaway data directory and a known token, and is stopped at the end.

mod common;
mod tmux;

use labelterm::net::{self, Method};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "5f1e0c0d7a9b4c3e8f2a6b1d0c9e8f7a6b5c4d3e";

/// A running server, stopped (with everything it started) when dropped.
struct Server {
    url: String,
    child: Child,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        // The server was started as the leader of its own process group.
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.child.id())])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.wait();
    }
}

/// Starts a server; `env`: more variables for it (local-files serving).
fn start(program: &str, env: &[(&str, &str)]) -> Server {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = dir.path().join("server.log");
    let out = std::fs::File::create(&log).unwrap();
    let data = dir.path().join("data");
    let child = Command::new(program)
        .args([
            "start",
            "--no-browser",
            "--host",
            "127.0.0.1",
            "--internal-host",
            "127.0.0.1",
        ])
        .args(["--port", &port.to_string()])
        .args([
            "--username",
            "admin@example.com",
            "--password",
            "admin-pass-123",
        ])
        .args(["--user-token", TOKEN, "--enable-legacy-api-token"])
        .arg("--data-dir")
        .arg(&data)
        .env("LABEL_STUDIO_BASE_DATA_DIR", &data)
        .env("LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK", "false")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .process_group(0)
        .spawn()
        .expect("start Label Studio");
    let mut server = Server {
        url: format!("http://127.0.0.1:{port}"),
        child,
        log,
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(400);
    loop {
        let health = net::call(
            Method::Get,
            &format!("{}/health", server.url),
            &[],
            None,
            1 << 20,
        );
        if health.is_ok_and(|a| a.status == 200) {
            return server;
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!("Label Studio stopped ({status}):\n{}", server.log_text());
        }
        assert!(
            Instant::now() < deadline,
            "Label Studio did not answer in 400 s:\n{}",
            server.log_text()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

impl Server {
    fn log_text(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(40).collect();
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    }

    /// An API call with the legacy token.
    fn api(
        &self,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> serde_json::Value {
        let body = body.map(|b| b.to_string());
        let a = net::call(
            method,
            &format!("{}{path}", self.url),
            &[("Authorization", &format!("Token {TOKEN}"))],
            body.as_deref().map(str::as_bytes),
            1 << 26,
        )
        .unwrap();
        assert!(
            (200..300).contains(&a.status),
            "{path}: {} {}",
            a.status,
            String::from_utf8_lossy(&a.body)
        );
        serde_json::from_slice(&a.body).unwrap_or(serde_json::Value::Null)
    }
}

/// A new project from a config and a task file.
fn init(project: &str, config: &str, tasks: &str) {
    common::labelterm(&[
        "init",
        "-q",
        "--label-config",
        config,
        "--input-path",
        tasks,
        project,
    ])
    .ok();
}

/// Runs labelterm with the server's address and `key`, and no user config file.
fn run(home: &Path, url: &str, key: &str, args: &[&str]) -> common::Run {
    run_with(home, url, key, &[], args)
}

/// [`run`] with more environment variables.
fn run_with(home: &Path, url: &str, key: &str, env: &[(&str, &str)], args: &[&str]) -> common::Run {
    let out = Command::new(env!("CARGO_BIN_EXE_labelterm"))
        .args(args)
        .envs(env.iter().copied())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("LABEL_STUDIO_URL", url)
        .env("LABEL_STUDIO_API_KEY", key)
        .output()
        .unwrap();
    common::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

const CONFIG: &str = r#"<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text">
    <Choice value="Positive"/><Choice value="Negative"/>
  </Choices>
</View>"#;

#[test]
fn link_push_pull_and_status_against_a_real_server() {
    let Ok(program) = std::env::var("LABELTERM_LS_SERVER") else {
        eprintln!(
            "skipped: LABELTERM_LS_SERVER is not set (.ci/run installs Label Studio and sets it)"
        );
        return;
    };
    let server = start(&program, &[]);
    let dir = common::tmp();
    let home = dir.path();
    let config = common::write(home, "config.xml", CONFIG);
    let tasks = common::write(home, "tasks.json", r#"[{"text": "good"}, {"text": "bad"}]"#);
    let project = common::path(home, "p.db");
    init(&project, &config, &tasks);
    let url = server.url.as_str();

    // A wrong key: refused, named, never shown.
    let r = run(
        home,
        url,
        "0000wrongkey0000",
        &["link", &project, "--create"],
    );
    r.failed(1);
    assert!(
        r.stderr.contains("refused the API key (HTTP 401"),
        "{}",
        r.stderr
    );
    assert!(!r.all().contains("0000wrongkey0000"));
    // A title Label Studio refuses: its message.
    let r = run(
        home,
        url,
        TOKEN,
        &["link", &project, "--create", "--title", "ab"],
    );
    r.failed(1);
    assert!(
        r.stderr
            .contains("title: Ensure this field has at least 3 characters."),
        "{}",
        r.stderr
    );

    // Made from the local config.
    let r = run(
        home,
        url,
        TOKEN,
        &["link", &project, "--create", "--title", "Reviews"],
    );
    r.ok();
    let id: i64 = r
        .stdout
        .split("project ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let made = server.api(Method::Get, &format!("/api/projects/{id}"), None);
    assert_eq!(made["title"], "Reviews");
    assert_eq!(made["label_config"].as_str().unwrap().trim(), CONFIG.trim());
    let r = run(
        home,
        url,
        TOKEN,
        &["link", &project, "--project-id", &id.to_string()],
    );
    assert!(r.ok().stdout.contains("still linked"), "{}", r.stdout);
    let r = run(home, url, TOKEN, &["link", &project, "--create"]);
    r.failed(1);
    assert!(
        r.stderr
            .contains(&format!("linked to project {id} on {url} already")),
        "{}",
        r.stderr
    );

    // Another project whose config reads $review attaches to it with --map, and a
    // personal access token works as well as the legacy token.
    let other_config = common::write(home, "other.xml", CONFIG.replace("$text", "$review"));
    let other_tasks = common::write(home, "other.json", r#"[{"review": "fine"}]"#);
    let other = common::path(home, "other.db");
    init(&other, &other_config, &other_tasks);
    let r = run(
        home,
        url,
        TOKEN,
        &["link", &other, "--project-id", &id.to_string()],
    );
    r.failed(1);
    assert!(
        r.stderr.contains("another label config (2 difference(s))"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains(r#"only on the server: <Text name="text" value="$text">"#),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains(r#"only here:          <Text name="text" value="$review">"#),
        "{}",
        r.stderr
    );
    let pat = server.api(Method::Post, "/api/token/", None)["token"]
        .as_str()
        .unwrap()
        .to_string();
    let r = run(
        home,
        url,
        &pat,
        &[
            "link",
            &other,
            "--project-id",
            &id.to_string(),
            "--map",
            "text=review",
        ],
    );
    assert!(
        r.ok()
            .stdout
            .contains(&format!("linked to project {id} \"Reviews\"")),
        "{}",
        r.stdout
    );
    let r = run(
        home,
        url,
        TOKEN,
        &["link", &other, "--project-id", "999999"],
    );
    r.failed(1);

    // A project that is not there, and one unlinked.
    let r = run(home, url, TOKEN, &["unlink", &other]);
    assert!(r.ok().stdout.contains("no longer linked"), "{}", r.stdout);
    let r = run(
        home,
        url,
        TOKEN,
        &[
            "link",
            &other,
            "--project-id",
            "999999",
            "--map",
            "text=review",
        ],
    );
    r.failed(1);
    assert!(
        r.stderr
            .contains("reading project 999999: the server answered HTTP 404"),
        "{}",
        r.stderr
    );

    // This server does not serve local files: --media file says so, and links nothing.
    let images = common::write(home, "image.xml", IMAGE_CONFIG);
    let root = home.join("media-root");
    std::fs::create_dir_all(root.join("ds")).unwrap();
    let image_tasks = common::write(&root.join("ds"), "tasks.json", r#"[{"image": "a.png"}]"#);
    std::fs::write(root.join("ds/a.png"), png([1, 2, 3])).unwrap();
    let media = common::path(home, "media.db");
    init(&media, &images, &image_tasks);
    let before = server.api(Method::Get, "/api/projects", None)["count"].clone();
    let r = run(
        home,
        url,
        TOKEN,
        &[
            "link",
            &media,
            "--create",
            "--media",
            "file",
            "--document-root",
            root.to_str().unwrap(),
        ],
    );
    r.failed(1);
    assert!(
        r.stderr
            .contains(&format!("the Label Studio server at {url} does not serve local files: start it with LOCAL_FILES_SERVING_ENABLED=true")),
        "{}",
        r.stderr
    );
    assert_eq!(
        server.api(Method::Get, "/api/projects", None)["count"],
        before
    );
    run(home, url, TOKEN, &["status", &media]).failed(2);

    push(&server, home);
    pull(&server, home);
    sync_on_submit(&server, home);
    drop(server);
}

/// `start --sync` in tmux: the start pushes the tasks, each submit and skip reaches the
/// server as it is stored, and a push after quitting has nothing left to send.
fn sync_on_submit(server: &Server, home: &Path) {
    if tmux::no_tmux() {
        return;
    }
    let url = server.url.as_str();
    let tasks = common::write(
        home,
        "sync.json",
        r#"[{"text": "sync one"}, {"text": "sync two"}, {"text": "sync three"}]"#,
    );
    let project = common::path(home, "sync.db");
    init(&project, &common::path(home, "config.xml"), &tasks);
    let id = link_new(home, url, &project, "Synced");
    // Not linked: refused before the screen changes.
    let unlinked = common::path(home, "unlinked.db");
    init(&unlinked, &common::path(home, "config.xml"), &tasks);
    let r = run(home, url, TOKEN, &["start", &unlinked, "--sync"]);
    r.failed(2);
    assert!(
        r.stderr.contains("is not linked to a Label Studio server"),
        "{}",
        r.stderr
    );

    let shell = tmux::Tmux::shell("lt-sync", (120, 40));
    let command = format!(
        "LABEL_STUDIO_URL={url} LABEL_STUDIO_API_KEY={TOKEN} XDG_CONFIG_HOME={} {}",
        home.join("config").display(),
        tmux::Tmux::command_line(&[
            "start".into(),
            project.clone(),
            "--sync".into(),
            "--no-prelabel".into(),
            "--user".into(),
            "sync@example.com".into(),
        ])
    );
    shell.keys(&[&command, "Enter"]);
    shell.wait_for("server: all sent");
    assert_eq!(server_tasks(server, id).len(), 3);
    shell.keys(&["1"]);
    shell.keys(&["s"]);
    // Each submit reaches the server while the annotator goes on (no key waits for it).
    let on_server = until_server(server, id, |tasks| !tasks[0]["annotations"][0].is_null());
    let first = &on_server[0]["annotations"][0];
    assert_eq!(
        first["result"][0]["value"]["choices"],
        serde_json::json!(["Positive"])
    );
    assert_eq!(first["was_cancelled"], false);
    let author = first["completed_by"].as_i64().unwrap();
    let user = server.api(Method::Get, &format!("/api/users/{author}"), None);
    assert_eq!(user["email"], "sync@example.com");
    shell.keys(&["S"]);
    let on_server = until_server(server, id, |tasks| !tasks[1]["annotations"][0].is_null());
    assert_eq!(on_server[1]["annotations"][0]["was_cancelled"], true);
    shell.wait_for("server: all sent");
    shell.keys(&["q"]);
    // The last push runs after the screen is restored: wait for the process to end.
    let quit = Instant::now();
    while shell.display("#{pane_current_command}") != "sh" {
        assert!(
            quit.elapsed() < Duration::from_secs(60),
            "{}",
            shell.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    shell.keys(&["echo exit-$?", "Enter"]);
    let after = shell.wait_for("exit-0");
    assert!(!after.contains("not sent"), "{after}");
    nothing_left_to_push(home, url, &project);

    // The same work as a file, named by email, is credited to the same server user when
    // uploaded through Label Studio's import API (this project's user ids would not be).
    let file = common::path(home, "by-email.json");
    run(
        home,
        url,
        TOKEN,
        &[
            "export",
            &project,
            "--export-type",
            "JSON",
            "--export-path",
            &file,
            "--completed-by",
            "email",
        ],
    )
    .ok();
    let tasks: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let made = server.api(
        Method::Post,
        "/api/projects",
        Some(serde_json::json!({"title": "Uploaded", "label_config": CONFIG})),
    );
    let upload = made["id"].as_i64().unwrap();
    server.api(
        Method::Post,
        &format!("/api/projects/{upload}/import"),
        Some(tasks),
    );
    let uploaded = server_tasks(server, upload);
    let authors: Vec<i64> = uploaded
        .iter()
        .flat_map(|t| t["annotations"].as_array().unwrap())
        .map(|a| a["completed_by"].as_i64().unwrap())
        .collect();
    assert_eq!(authors, [author, author], "{uploaded:?}");
    two_annotators_sending(server, home);
}

/// Two annotators with `--sync` on one project, submitting at once: every annotation
/// reaches the server once (the pushes take turns through the project's sync lock).
fn two_annotators_sending(server: &Server, home: &Path) {
    let url = server.url.as_str();
    let tasks = common::write(
        home,
        "pair.json",
        r#"[{"text": "p1"}, {"text": "p2"}, {"text": "p3"}, {"text": "p4"}, {"text": "p5"}, {"text": "p6"}]"#,
    );
    let project = common::path(home, "pair.db");
    init(&project, &common::path(home, "config.xml"), &tasks);
    let id = link_new(home, url, &project, "Pair");
    let annotator = |name: &str| {
        let args: Vec<String> = ["start", &project, "--sync", "--no-prelabel", "--user", name]
            .iter()
            .map(|a| a.to_string())
            .collect();
        tmux::Tmux::run(
            &format!("lt-pair-{}", &name[..3]),
            &args,
            (120, 40),
            &[
                &format!("LABEL_STUDIO_URL={url}"),
                &format!("LABEL_STUDIO_API_KEY={TOKEN}"),
                &format!("XDG_CONFIG_HOME={}", home.join("config").display()),
            ],
        )
    };
    let ann = annotator("ann@example.com");
    let bob = annotator("bob@example.com");
    ann.wait_for("server: all sent");
    bob.wait_for("server: all sent");
    // Each answers the next task only once the last submit is stored (as an annotator
    // sees it): a save held while the other's push writes keeps its task on screen.
    for k in 1..=3 {
        ann.keys(&["1"]);
        bob.keys(&["2"]);
        ann.keys(&["s"]);
        bob.keys(&["s"]);
        ann.wait_for(&format!("(you {k})"));
        bob.wait_for(&format!("(you {k})"));
    }
    let on_server = until_server(server, id, |tasks| {
        tasks
            .iter()
            .map(|t| t["annotations"].as_array().map_or(0, Vec::len))
            .sum::<usize>()
            >= 6
    });
    ann.keys(&["q"]);
    bob.keys(&["q"]);
    ann.wait_exit("q");
    bob.wait_exit("q");
    let on_server_after = server_tasks(server, id);
    assert_eq!(on_server_after.len(), 6, "{on_server:?}");
    let mut import_ids: Vec<i64> = on_server_after
        .iter()
        .flat_map(|t| t["annotations"].as_array().unwrap())
        .map(|a| a["import_id"].as_i64().unwrap())
        .collect();
    import_ids.sort_unstable();
    assert_eq!(import_ids, [1, 2, 3, 4, 5, 6], "{on_server_after:?}");
    nothing_left_to_push(home, url, &project);
}

const IMAGE_CONFIG: &str = r#"<View>
  <Image name="img" value="$image"/>
  <Choices name="kind" toName="img">
    <Choice value="Cat"/><Choice value="Dog"/>
  </Choices>
</View>"#;

/// A small PNG of one colour.
fn png(rgb: [u8; 3]) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(3, 2, image::Rgb(rgb));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// The server project's tasks once `done` holds of them (read every 200 ms, 30 s at most).
fn until_server(
    server: &Server,
    project: i64,
    done: impl Fn(&[serde_json::Value]) -> bool,
) -> Vec<serde_json::Value> {
    let start = Instant::now();
    loop {
        let tasks = server_tasks(server, project);
        if done(&tasks) {
            return tasks;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the server did not get it: {tasks:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn choice(c: &str) -> String {
    format!(
        r#"[{{"from_name":"sentiment","to_name":"text","type":"choices","value":{{"choices":["{c}"]}}}}]"#
    )
}

/// A server project's tasks in id order, as the API lists them.
fn server_tasks(server: &Server, project: i64) -> Vec<serde_json::Value> {
    let page = server.api(
        Method::Get,
        &format!("/api/tasks?project={project}&fields=all&page_size=1000"),
        None,
    );
    page["tasks"].as_array().unwrap().clone()
}

/// A push of `project` finds everything on the server already.
fn nothing_left_to_push(home: &Path, url: &str, project: &str) {
    let r = run(home, url, TOKEN, &["push", project]);
    assert!(
        r.ok()
            .stdout
            .contains("pushed 0 task(s), 0 annotation(s), 0 prediction(s), 0 updated"),
        "{}",
        r.stdout
    );
}

/// Links `project` to a new server project titled `title`; returns its id.
fn link_new(home: &Path, url: &str, project: &str, title: &str) -> i64 {
    let r = run(
        home,
        url,
        TOKEN,
        &["link", project, "--create", "--title", title],
    );
    project_id(&r.ok().stdout)
}

fn project_id(stdout: &str) -> i64 {
    stdout
        .split("project ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

fn push(server: &Server, home: &Path) {
    use labelterm::store::Store;
    use labelterm::store::annotate::SubmitKind;
    let url = server.url.as_str();
    let tasks = common::write(
        home,
        "push.json",
        format!(
            r#"[{{"data": {{"text": "one"}}, "annotations": [{{"result": {}, "completed_by": {{"email": "ann@example.com"}}, "lead_time": 2.5}}],
                "predictions": [{{"result": {}, "score": 0.25, "model_version": "m1"}}]}},
               {{"data": {{"text": "two"}}}}, {{"data": {{"text": "three"}}, "meta": {{"source": "x"}}}}]"#,
            choice("Positive"),
            choice("Negative")
        ),
    );
    let config = common::path(home, "config.xml");
    let project = common::path(home, "push.db");
    init(&project, &config, &tasks);
    let r = run(home, url, TOKEN, &["push", &project]);
    r.failed(2);
    assert!(
        r.stderr.contains("not linked to a Label Studio server"),
        "{}",
        r.stderr
    );
    let id = link_new(home, url, &project, "Push");

    let r = run(home, url, TOKEN, &["push", &project]);
    assert!(
        r.ok()
            .stdout
            .contains("pushed 3 task(s), 1 annotation(s), 1 prediction(s)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("made user ann@example.com on the server"),
        "{}",
        r.stdout
    );
    let on_server = server_tasks(server, id);
    assert_eq!(on_server.len(), 3);
    assert_eq!(on_server[0]["data"]["text"], "one");
    assert_eq!(
        on_server[0]["annotations"][0]["result"][0]["value"]["choices"][0],
        "Positive"
    );
    assert_eq!(on_server[0]["annotations"][0]["lead_time"], 2.5);
    assert!(
        on_server[0]["annotations"][0]["created_username"]
            .as_str()
            .unwrap()
            .contains("ann@example.com")
    );
    assert_eq!(on_server[0]["predictions"][0]["model_version"], "m1");
    assert_eq!(on_server[0]["predictions"][0]["score"], 0.25);
    assert_eq!(on_server[2]["meta"]["source"], "x");
    assert_eq!(on_server[2]["meta"]["labelterm"]["task"], 3);
    // A second push sends nothing.
    let r = run(home, url, TOKEN, &["push", &project, "--json"]);
    let report: serde_json::Value = serde_json::from_str(&r.ok().stdout).unwrap();
    assert_eq!(
        (report["tasks"].as_u64(), report["annotations"].as_u64()),
        (Some(0), Some(0))
    );

    // An annotation made here later, then changed here: sent, then updated.
    let mut store = Store::open(Path::new(&project)).unwrap();
    let carol = store.user_id("carol@example.com").unwrap();
    let a = store
        .save_annotation(2, carol, &choice("Negative"), 3.0, SubmitKind::Submit, None)
        .unwrap();
    let r = run(home, url, TOKEN, &["push", &project]);
    assert!(
        r.ok()
            .stdout
            .contains("pushed 0 task(s), 1 annotation(s), 0 prediction(s), 0 updated"),
        "{}",
        r.stdout
    );
    store
        .save_annotation(2, carol, &choice("Positive"), 4.0, SubmitKind::Submit, None)
        .unwrap();
    let r = run(home, url, TOKEN, &["push", &project]);
    assert!(
        r.ok()
            .stdout
            .contains("0 annotation(s), 0 prediction(s), 1 updated"),
        "{}",
        r.stdout
    );
    let on_server = server_tasks(server, id);
    let theirs = &on_server[1]["annotations"][0];
    assert_eq!(theirs["result"][0]["value"]["choices"][0], "Positive");
    assert_eq!(theirs["import_id"], a);
    assert!(
        theirs["created_username"]
            .as_str()
            .unwrap()
            .contains("carol@example.com")
    );

    // Changed on both sides: reported, and the server's change is not overwritten.
    let server_id = theirs["id"].as_i64().unwrap();
    let negative: serde_json::Value = serde_json::from_str(&choice("Negative")).unwrap();
    server.api(
        Method::Patch,
        &format!("/api/annotations/{server_id}"),
        Some(serde_json::json!({ "result": negative })),
    );
    store
        .save_annotation(2, carol, &choice("Positive"), 5.0, SubmitKind::Submit, None)
        .unwrap();
    let r = run(home, url, TOKEN, &["push", &project]);
    assert!(
        r.ok().stdout.contains(&format!(
            "conflict: annotation {a} (server annotation {server_id}"
        )),
        "{}",
        r.stdout
    );
    assert_eq!(
        server_tasks(server, id)[1]["annotations"][0]["result"][0]["value"]["choices"][0],
        "Negative"
    );

    // Cut off after the server took a batch: the next push finds it instead of sending
    // it again. (The store is put back to before the push and marked as in flight.)
    let more = common::write(home, "more.json", r#"[{"text": "four"}, {"text": "five"}]"#);
    common::labelterm(&["import", "-q", &project, "--input-path", &more]).ok();
    drop(store);
    let before = std::fs::read(&project).unwrap();
    let r = run(home, url, TOKEN, &["push", &project]);
    assert!(r.ok().stdout.contains("pushed 2 task(s)"), "{}", r.stdout);
    std::fs::write(&project, before).unwrap();
    Store::open(Path::new(&project))
        .unwrap()
        .set_push_in_flight(true)
        .unwrap();
    let r = run(home, url, TOKEN, &["push", &project]);
    assert!(
        r.ok()
            .stdout
            .contains("found 2 task(s) on the server that an interrupted push had sent"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("pushed 0 task(s)"), "{}", r.stdout);
    assert_eq!(server_tasks(server, id).len(), 5);

    // A server that is gone: said so, with what was sent before.
    let more = common::write(home, "more2.json", r#"[{"text": "six"}]"#);
    common::labelterm(&["import", "-q", &project, "--input-path", &more]).ok();
    let mut store = Store::open(Path::new(&project)).unwrap();
    let mut link = store.server_link().unwrap().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    link.url = format!("http://127.0.0.1:{port}");
    store.set_server_link(&link).unwrap();
    drop(store);
    let r = run(home, url, TOKEN, &["push", &project]);
    r.failed(1);
    assert!(
        r.stderr.contains(&format!(
            "cannot reach the Label Studio server at http://127.0.0.1:{port}"
        )),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("sent before this: 0 task(s)"),
        "{}",
        r.stderr
    );
}

fn counts(project: &str) -> (i64, i64, i64) {
    let s = common::stats(project);
    (
        s["tasks"].as_i64().unwrap(),
        s["annotations"].as_i64().unwrap(),
        s["predictions"].as_i64().unwrap(),
    )
}

fn pull(server: &Server, home: &Path) {
    use labelterm::store::Store;
    use labelterm::store::annotate::SubmitKind;
    let url = server.url.as_str();
    let tasks = common::write(
        home,
        "pull.json",
        format!(
            r#"[{{"data": {{"text": "alpha"}}, "annotations": [{{"result": {}, "completed_by": {{"email": "ann@example.com"}}}}],
                "predictions": [{{"result": {}, "score": 0.5, "model_version": "m1"}}]}},
               {{"data": {{"text": "beta"}}}}]"#,
            choice("Positive"),
            choice("Negative")
        ),
    );
    let config = common::path(home, "config.xml");
    let a = common::path(home, "pull-a.db");
    init(&a, &config, &tasks);
    let id = link_new(home, url, &a, "Pull");
    run(home, url, TOKEN, &["push", &a]).ok();

    // A clone: the config, the tasks, the annotation by its author's email, the prediction.
    let clone = common::path(home, "clone.db");
    let r = run(
        home,
        url,
        TOKEN,
        &["pull", &clone, "--project-id", &id.to_string()],
    );
    assert!(
        r.ok()
            .stdout
            .contains(&format!("cloned project {id} \"Pull\"")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("2 new task(s)")
            && r.stdout.contains("1 new annotation(s)")
            && r.stdout.contains("1 new prediction(s)"),
        "{}",
        r.stdout
    );
    assert_eq!(counts(&clone), (2, 1, 1));
    assert!(common::dump(&clone).contains("ann@example.com"));
    let listed = |p: &str| -> String {
        let c = rusqlite::Connection::open(p).unwrap();
        let mut st = c
            .prepare("SELECT data FROM task_data ORDER BY task_id")
            .unwrap();
        let rows: Vec<String> = st
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        rows.join("\n")
    };
    let again = |p: &str| {
        let r = run(home, url, TOKEN, &["pull", p, "--json"]);
        let v: serde_json::Value = serde_json::from_str(&r.ok().stdout).unwrap();
        v
    };
    let nothing = serde_json::json!({"tasks_new": 0, "tasks_changed": 0, "tasks_deleted": 0,
        "annotations_new": 0, "annotations_updated": 0, "annotations_deleted": 0,
        "predictions_new": 0, "conflicts": []});
    assert_eq!(again(&clone), nothing);
    assert_eq!(again(&a), nothing);
    // A clone that cannot be made leaves no file.
    let bad = common::path(home, "bad-clone.db");
    run(home, url, TOKEN, &["pull", &bad, "--project-id", "999999"]).failed(1);
    assert!(!Path::new(&bad).exists());

    // Changes on the server: an annotation changed, one added, a task added.
    let on_server = server_tasks(server, id);
    let (t1, t2) = (
        on_server[0]["id"].as_i64().unwrap(),
        on_server[1]["id"].as_i64().unwrap(),
    );
    let ann1 = on_server[0]["annotations"][0]["id"].as_i64().unwrap();
    let negative: serde_json::Value = serde_json::from_str(&choice("Negative")).unwrap();
    server.api(
        Method::Patch,
        &format!("/api/annotations/{ann1}"),
        Some(serde_json::json!({"result": negative})),
    );
    server.api(
        Method::Post,
        &format!("/api/tasks/{t2}/annotations"),
        Some(serde_json::json!({"result": negative})),
    );
    server.api(
        Method::Post,
        &format!("/api/projects/{id}/import"),
        Some(serde_json::json!([{"text": "gamma"}])),
    );
    // status says what pull would bring, and changes nothing.
    let status = |p: &str| -> serde_json::Value {
        serde_json::from_str(&run(home, url, TOKEN, &["status", p, "--json"]).ok().stdout).unwrap()
    };
    let st = status(&a);
    assert_eq!(st["server"]["tasks_only_there"], 1, "{st}");
    assert_eq!(st["server"]["annotations_only_there"], 1, "{st}");
    assert_eq!(st["server"]["annotations_changed_there"], 1, "{st}");
    assert_eq!(
        (
            st["local"]["tasks_only_here"].as_u64(),
            st["changed_on_both"].as_u64()
        ),
        (Some(0), Some(0)),
        "{st}"
    );
    assert_eq!(status(&a), st);
    let r = run(home, url, TOKEN, &["pull", &a]);
    assert!(
        r.ok().stdout.contains(
            "1 new task(s), 0 changed, 0 deleted; 1 new annotation(s), 1 updated, 0 deleted"
        ),
        "{}",
        r.stdout
    );
    assert_eq!(counts(&a), (3, 2, 1));
    assert!(listed(&a).contains("gamma"), "{}", listed(&a));
    assert_eq!(again(&a), nothing);

    // Changed on both sides: both kept, reported; push then sends the local one as new.
    let mut store = Store::open(Path::new(&a)).unwrap();
    let ann = store.user_id("ann@example.com").unwrap();
    store
        .save_annotation(1, ann, &choice("Positive"), 1.0, SubmitKind::Submit, None)
        .unwrap();
    drop(store);
    let positive: serde_json::Value = serde_json::from_str(&choice("Positive")).unwrap();
    server.api(
        Method::Patch,
        &format!("/api/annotations/{ann1}"),
        Some(serde_json::json!({"result": positive, "lead_time": 9.0})),
    );
    assert_eq!(status(&a)["changed_on_both"], 1);
    let r = run(home, url, TOKEN, &["pull", &a]);
    assert!(r.ok().stdout.contains("conflict: task 1"), "{}", r.stdout);
    assert_eq!(status(&a)["local"]["annotations_only_here"], 1);
    assert_eq!(counts(&a).1, 3);
    let r = run(home, url, TOKEN, &["push", &a]);
    assert!(
        r.ok().stdout.contains("pushed 0 task(s), 1 annotation(s)"),
        "{}",
        r.stdout
    );
    assert_eq!(
        server_tasks(server, id)[0]["annotations"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(again(&a), nothing);

    // A task deleted on the server goes here too; one with unsent work stays.
    server.api(Method::Delete, &format!("/api/tasks/{t1}"), None);
    let r = run(home, url, TOKEN, &["pull", &clone]);
    assert!(r.ok().stdout.contains("1 deleted;"), "{}", r.stdout);
    let mut store = Store::open(Path::new(&clone)).unwrap();
    let bob = store.user_id("bob@example.com").unwrap();
    let clone_t2 = 2;
    store
        .save_annotation(
            clone_t2,
            bob,
            &choice("Positive"),
            1.0,
            SubmitKind::Submit,
            None,
        )
        .unwrap();
    drop(store);
    server.api(Method::Delete, &format!("/api/tasks/{t2}"), None);
    let r = run(home, url, TOKEN, &["pull", &clone]);
    assert!(
        r.ok()
            .stdout
            .contains("was deleted on the server and holds work not sent yet"),
        "{}",
        r.stdout
    );
    assert_eq!(counts(&clone).0, 2);
}

/// GETs a server address with the token: (status, body).
fn fetch(server: &Server, path: &str) -> (u16, Vec<u8>) {
    let a = net::call(
        Method::Get,
        &format!("{}{path}", server.url),
        &[("Authorization", &format!("Token {TOKEN}"))],
        None,
        1 << 26,
    )
    .unwrap();
    (a.status, a.body)
}

/// A project file's task data in task order.
fn local_data(project: &str) -> Vec<serde_json::Value> {
    let c = rusqlite::Connection::open(project).unwrap();
    let mut st = c
        .prepare("SELECT data FROM task_data ORDER BY task_id")
        .unwrap();
    st.query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|d| serde_json::from_str(&d.unwrap()).unwrap())
        .collect()
}

#[test]
fn media_go_as_local_files_urls_and_as_uploads() {
    let Ok(program) = std::env::var("LABELTERM_LS_SERVER") else {
        eprintln!(
            "skipped: LABELTERM_LS_SERVER is not set (.ci/run installs Label Studio and sets it)"
        );
        return;
    };
    let dir = common::tmp();
    let home = dir.path();
    // The server's document root holds the images in ds/img; outside it, a secret that a
    // symbolic link in ds/img points at.
    let root = home.join("root");
    let img = root.join("ds/img");
    std::fs::create_dir_all(&img).unwrap();
    std::fs::create_dir_all(home.join("outside")).unwrap();
    let (a, b) = (png([200, 0, 0]), png([0, 200, 0]));
    std::fs::write(img.join("a.png"), &a).unwrap();
    std::fs::write(img.join("b.png"), &b).unwrap();
    std::fs::write(home.join("outside/secret.png"), png([0, 0, 200])).unwrap();
    std::os::unix::fs::symlink(home.join("outside/secret.png"), img.join("link.png")).unwrap();
    let root_s = root.to_str().unwrap().to_string();
    let server = start(
        &program,
        &[
            ("LOCAL_FILES_SERVING_ENABLED", "true"),
            ("LOCAL_FILES_DOCUMENT_ROOT", &root_s),
        ],
    );
    let url = server.url.as_str();
    let config = common::write(home, "image.xml", IMAGE_CONFIG);
    let kind = r#"[{"from_name": "kind", "to_name": "img", "type": "choices", "value": {"choices": ["Cat"]}}]"#;
    // Paths relative to the import folder (root/ds), one absolute, one URL.
    let tasks = common::write(
        &root.join("ds"),
        "tasks.json",
        format!(
            r#"[{{"data": {{"image": "img/a.png"}}, "annotations": [{{"result": {kind}, "completed_by": {{"email": "ann@example.com"}}}}],
                 "predictions": [{{"result": {kind}, "score": 0.5, "model_version": "m1"}}]}},
                {{"data": {{"image": "{}"}}, "meta": {{"source": "scan"}}}},
                {{"data": {{"image": "img/a.png"}}}},
                {{"data": {{"image": "https://example.com/cat.png"}}}}]"#,
            img.join("b.png").display()
        ),
    );
    let before_file = |p: &str| {
        let file = common::path(home, p);
        init(&file, &config, &tasks);
        file
    };

    // A task whose image leads out of the allowed folders: refused, named, nothing made.
    let bad_tasks = common::write(
        &root.join("ds"),
        "bad.json",
        r#"[{"image": "img/a.png"}, {"image": "img/link.png"}, {"image": "../../outside/secret.png"}]"#,
    );
    let bad = common::path(home, "bad.db");
    init(&bad, &config, &bad_tasks);
    let projects = server.api(Method::Get, "/api/projects", None)["count"].clone();
    for method in ["file", "post"] {
        let r = run(
            home,
            url,
            TOKEN,
            &[
                "link",
                &bad,
                "--create",
                "--media",
                method,
                "--document-root",
                &root_s,
            ],
        );
        r.failed(1);
        assert!(
            r.stderr
                .contains("2 media value(s) cannot go to the server")
                && r.stderr.contains(
                    "task 2, field image, file \"img/link.png\": refused, outside the allowed roots"
                )
                && r.stderr.contains(
                    "task 3, field image, file \"../../outside/secret.png\": refused, outside the allowed roots"
                ),
            "{}",
            r.stderr
        );
    }
    assert_eq!(
        server.api(Method::Get, "/api/projects", None)["count"],
        projects
    );
    // --media post takes one data field.
    let two = common::write(
        home,
        "two.xml",
        IMAGE_CONFIG.replace(
            "<Choices",
            "<Text name=\"caption\" value=\"$caption\"/><Choices",
        ),
    );
    let two_tasks = common::write(
        &root.join("ds"),
        "two.json",
        r#"[{"image": "img/a.png", "caption": "a cat"}]"#,
    );
    let two_db = common::path(home, "two.db");
    init(&two_db, &two, &two_tasks);
    let r = run(
        home,
        url,
        TOKEN,
        &["link", &two_db, "--create", "--media", "post"],
    );
    r.failed(1);
    assert!(
        r.stderr
            .contains("--media post uploads each task's one media file, so it needs a config with one data field; this config reads $image, $caption"),
        "{}",
        r.stderr
    );

    // --media file: local-files URLs below the document root (LOCAL_FILES_DOCUMENT_ROOT
    // when --document-root is not given), and a storage for ds/img.
    let file = before_file("file.db");
    let r = run_with(
        home,
        url,
        TOKEN,
        &[("LOCAL_FILES_DOCUMENT_ROOT", &root_s)],
        &[
            "link", &file, "--create", "--title", "Files", "--media", "file",
        ],
    );
    r.ok();
    assert!(
        r.stdout.contains(&format!(
            "made a local-files storage for {} on the server project",
            img.display()
        )),
        "{}",
        r.stdout
    );
    let file_id = project_id(&r.stdout);
    let storages = server.api(
        Method::Get,
        &format!("/api/storages/localfiles?project={file_id}"),
        None,
    );
    assert_eq!(storages.as_array().unwrap().len(), 1);
    assert_eq!(storages[0]["path"], img.display().to_string());
    let r = run(home, url, TOKEN, &["push", &file]);
    assert!(
        r.ok()
            .stdout
            .contains("pushed 4 task(s), 1 annotation(s), 1 prediction(s)"),
        "{}",
        r.stdout
    );
    let sent = server_tasks(&server, file_id);
    let images: Vec<&str> = sent
        .iter()
        .map(|t| t["data"]["image"].as_str().unwrap())
        .collect();
    assert_eq!(
        images,
        vec![
            "/data/local-files/?d=ds/img/a.png",
            "/data/local-files/?d=ds/img/b.png",
            "/data/local-files/?d=ds/img/a.png",
            "https://example.com/cat.png"
        ]
    );
    assert_eq!(sent[0]["annotations"].as_array().unwrap().len(), 1);
    assert_eq!(sent[0]["predictions"].as_array().unwrap().len(), 1);
    assert_eq!(sent[1]["meta"]["source"], "scan");
    assert_eq!(sent[1]["meta"]["labelterm"]["task"], 2);
    assert_eq!(fetch(&server, images[0]), (200, a.clone()));
    assert_eq!(fetch(&server, images[1]), (200, b.clone()));
    // Idempotent; pull leaves the local paths as they are.
    let r = run(home, url, TOKEN, &["push", &file]);
    assert!(
        r.ok()
            .stdout
            .contains("pushed 0 task(s), 0 annotation(s), 0 prediction(s)"),
        "{}",
        r.stdout
    );
    let here = local_data(&file);
    let r = run(home, url, TOKEN, &["pull", &file]);
    assert!(
        r.ok()
            .stdout
            .contains("0 new task(s), 0 changed, 0 deleted"),
        "{}",
        r.stdout
    );
    assert_eq!(local_data(&file), here);
    assert_eq!(here[0], serde_json::json!({"image": "img/a.png"}));
    // A task added later, in a folder no storage covers: push makes one for it.
    std::fs::create_dir_all(root.join("more")).unwrap();
    let c = png([9, 9, 9]);
    std::fs::write(root.join("more/c.png"), &c).unwrap();
    let more = common::write(&root.join("more"), "more.json", r#"[{"image": "c.png"}]"#);
    common::labelterm(&["import", &file, "--input-path", &more]).ok();
    let r = run(home, url, TOKEN, &["push", &file]);
    assert!(r.ok().stdout.contains("pushed 1 task(s)"), "{}", r.stdout);
    let sent = server_tasks(&server, file_id);
    assert_eq!(sent[4]["data"]["image"], "/data/local-files/?d=more/c.png");
    assert_eq!(fetch(&server, "/data/local-files/?d=more/c.png"), (200, c));
    let storages = server.api(
        Method::Get,
        &format!("/api/storages/localfiles?project={file_id}"),
        None,
    );
    assert_eq!(storages.as_array().unwrap().len(), 2);
    // A change of the data on the server is still followed.
    server.api(
        Method::Patch,
        &format!("/api/tasks/{}", sent[3]["id"]),
        Some(serde_json::json!({"data": {"image": "https://example.com/dog.png"}})),
    );
    let r = run(home, url, TOKEN, &["pull", &file]);
    assert!(
        r.ok().stdout.contains("0 new task(s), 1 changed"),
        "{}",
        r.stdout
    );
    let now = local_data(&file);
    assert_eq!(
        now[3],
        serde_json::json!({"image": "https://example.com/dog.png"})
    );
    assert_eq!(now[..3], here[..3]);

    // --media post: each file uploaded once, the task holding the server's address.
    let post = before_file("post.db");
    let r = run(
        home,
        url,
        TOKEN,
        &[
            "link", &post, "--create", "--title", "Uploads", "--media", "post",
        ],
    );
    let post_id = project_id(&r.ok().stdout);
    let r = run(home, url, TOKEN, &["push", &post]);
    assert!(
        r.ok()
            .stdout
            .contains("pushed 4 task(s), 1 annotation(s), 1 prediction(s)"),
        "{}",
        r.stdout
    );
    let sent = server_tasks(&server, post_id);
    let images: Vec<String> = sent
        .iter()
        .map(|t| t["data"]["image"].as_str().unwrap().to_string())
        .collect();
    let prefix = format!("/data/upload/{post_id}/");
    assert!(
        images[0].starts_with(&prefix) && images[0].ends_with("-a.png"),
        "{images:?}"
    );
    assert!(
        images[1].starts_with(&prefix) && images[1].ends_with("-b.png"),
        "{images:?}"
    );
    assert_eq!(images[2], images[0], "the same file goes once");
    assert_eq!(images[3], "https://example.com/cat.png");
    assert_eq!(fetch(&server, &images[0]), (200, a.clone()));
    assert_eq!(fetch(&server, &images[1]), (200, b.clone()));
    assert_eq!(sent[0]["annotations"].as_array().unwrap().len(), 1);
    assert_eq!(sent[0]["predictions"].as_array().unwrap().len(), 1);
    assert_eq!(sent[1]["meta"]["source"], "scan");
    let uploads = |id: i64| {
        server
            .api(
                Method::Get,
                &format!("/api/projects/{id}/file-uploads?all=true"),
                None,
            )
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(uploads(post_id), 2);
    let r = run(home, url, TOKEN, &["push", &post]);
    assert!(
        r.ok()
            .stdout
            .contains("pushed 0 task(s), 0 annotation(s), 0 prediction(s)"),
        "{}",
        r.stdout
    );
    assert_eq!(uploads(post_id), 2);
    let here = local_data(&post);
    let r = run(home, url, TOKEN, &["pull", &post]);
    assert!(
        r.ok()
            .stdout
            .contains("0 new task(s), 0 changed, 0 deleted"),
        "{}",
        r.stdout
    );
    assert_eq!(local_data(&post), here);
    assert_eq!(here[1]["image"], img.join("b.png").display().to_string());
    // A clone holds the server's addresses, and pulls again without change.
    let clone = common::path(home, "uploads-clone.db");
    run(
        home,
        url,
        TOKEN,
        &["pull", &clone, "--project-id", &post_id.to_string()],
    )
    .ok();
    assert_eq!(local_data(&clone)[0]["image"], images[0]);
    let r = run(home, url, TOKEN, &["pull", &clone]);
    assert!(
        r.ok()
            .stdout
            .contains("0 new task(s), 0 changed, 0 deleted"),
        "{}",
        r.stdout
    );
    drop(server);
}
