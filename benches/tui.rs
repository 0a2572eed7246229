//! Annotator benchmark on a generated project (default 1,000,000 text tasks with one
//! prediction each, kept in `bench-data/`): time from start to the first frame, key press
//! to the next task drawn (`s` submit and `]` next, p50/p99), and peak memory.
//! `cargo bench --bench tui -- 1000000` (each measurement runs in a fresh process, 5 times;
//! min and median are reported).
//!
//! `cargo bench --bench tui -- layout`: frame times for configs that stretch the layout
//! (a Repeater of 100 panes, 32 Texts, a Rating of 10⁹ stars, 10,000 choices, 1,000
//! controls, 100,000 options from the task, a Ranker of 10,000 items, a Chat of 200,000
//! messages, a video track of 200,000 keyframes): the first frame, and a key press to the
//! next frame (p50/p99); then the JSON tree popup on a task with a 10 MB string and a
//! 100,000-item array (`-- layout json` runs that row alone).

mod common;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use labelterm::tui::{Session, StartOptions, media};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::{Path, PathBuf};
use std::time::Instant;

const RUNS: usize = 5;
const PRESSES: usize = 500;

fn project(n: usize) -> PathBuf {
    common::text_project("tui", n)
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// One measurement in this process: prints `first_ms submit_p50 submit_p99 next_p50 next_p99 rss_mib`.
fn child(db: &Path) {
    let t0 = Instant::now();
    let (loader, _rx) = media::channel_loader(1);
    let mut s = Session::open(
        &StartOptions {
            project: db.to_path_buf(),
            user: format!("bench-{}", std::process::id()),
            ..Default::default()
        },
        false,
        loader,
    )
    .expect("open");
    s.start();
    let mut term = Terminal::new(TestBackend::new(100, 30)).expect("terminal");
    s.draw(&mut term).expect("draw");
    let first = t0.elapsed().as_secs_f64() * 1000.0;
    assert!(s.app.annotate.task.is_some(), "a task is open");
    let mut submit = Vec::new();
    let mut next = Vec::new();
    for i in 0..PRESSES {
        s.key(key(['1', '2', '3'][i % 3]));
        s.draw(&mut term).expect("draw");
        let before = s.app.annotate.task.as_ref().map(|t| t.full.task.id);
        let t = Instant::now();
        s.key(key('s'));
        s.draw(&mut term).expect("draw");
        submit.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_ne!(
            before,
            s.app.annotate.task.as_ref().map(|t| t.full.task.id),
            "moved on"
        );
        let t = Instant::now();
        s.key(key(']'));
        s.draw(&mut term).expect("draw");
        next.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "{first} {} {} {} {} {}",
        pct(&mut submit, 0.5),
        pct(&mut submit, 0.99),
        pct(&mut next, 0.5),
        pct(&mut next, 0.99),
        common::peak_rss_mib()
    );
}

/// The layout configs: (name, config, one task, keys pressed between frames).
fn layout_cases() -> Vec<(&'static str, String, serde_json::Value, &'static [char])> {
    use serde_json::json;
    let items: Vec<serde_json::Value> = (0..100)
        .map(|i| json!({"text": format!("text #{i}")}))
        .collect();
    let texts: serde_json::Map<String, serde_json::Value> = (0..32)
        .map(|i| (format!("t{i}"), json!(format!("body of text {i}"))))
        .collect();
    let choices: String = (0..10_000)
        .map(|i| format!(r#"<Choice value="option {i}"/>"#))
        .collect();
    let options: Vec<serde_json::Value> = (0..100_000)
        .map(|i| json!({"value": format!("option {i}")}))
        .collect();
    let ranked: Vec<serde_json::Value> = (0..10_000)
        .map(|i| json!({"id": format!("i{i}"), "title": format!("item {i}"), "body": "a line of body text"}))
        .collect();
    let messages: Vec<serde_json::Value> = (0..200_000)
        .map(|i| json!({"role": if i % 2 == 0 { "user" } else { "assistant" }, "content": format!("message number {i}")}))
        .collect();
    let keyframes: Vec<serde_json::Value> = (1..=200_000u64)
        .map(|f| json!({"frame": f, "enabled": true, "x": 1, "y": 1, "width": 5, "height": 5, "rotation": 0}))
        .collect();
    let controls: String = (0..1000)
        .map(|i| format!(r#"<Choices name="c{i}" toName="t"><Choice value="a"/><Choice value="b"/></Choices>"#))
        .collect();
    vec![
        (
            "Repeater of 100 panes (J)",
            r#"<View><Repeater on="$items" indexFlag="{{idx}}"><Text name="text_{{idx}}" value="$items[{{idx}}].text"/><Choices name="choice_{{idx}}" toName="text_{{idx}}"><Choice value="yes"/><Choice value="no"/></Choices></Repeater></View>"#.to_string(),
            json!({ "items": items }),
            &['J'],
        ),
        (
            "32 Texts (J)",
            format!(
                "<View>{}</View>",
                (0..32)
                    .map(|i| format!(r#"<Text name="t{i}" value="$t{i}"/>"#))
                    .collect::<String>()
            ),
            serde_json::Value::Object(texts),
            &['J'],
        ),
        (
            "Rating maxRating=10^9 (l)",
            r#"<View><Text name="t" value="$text"/><Rating name="r" toName="t" maxRating="1000000000"/></View>"#.to_string(),
            json!({"text": "rate"}),
            &['l'],
        ),
        (
            "10,000 choices (j)",
            format!(r#"<View><Text name="t" value="$text"/><Choices name="c" toName="t" choice="multiple">{choices}</Choices></View>"#),
            json!({"text": "pick"}),
            &['j'],
        ),
        (
            "1,000 controls (J)",
            format!(r#"<View><Text name="t" value="$text"/>{controls}</View>"#),
            json!({"text": "many"}),
            &['J'],
        ),
        (
            "100,000 options from task (j)",
            r#"<View><Text name="t" value="$text"/><Choices name="c" toName="t" value="$opts" choice="multiple"/></View>"#.to_string(),
            json!({"text": "pick", "opts": options}),
            &['j'],
        ),
        (
            "Ranker of 10,000 items (j)",
            r#"<View><List name="l" value="$items" title="Items"/><Ranker name="r" toName="l"/></View>"#.to_string(),
            json!({"items": ranked}),
            &['j'],
        ),
        (
            "Chat of 200,000 messages (k)",
            r#"<View><Chat name="c" value="$chat" messageroles="user,assistant"/></View>"#.to_string(),
            json!({"chat": messages}),
            &['k'],
        ),
        (
            "Video, 200,000 keyframes (l)",
            r#"<View><Labels name="who" toName="v"><Label value="Man"/></Labels><Video name="v" value="$video"/><VideoRectangle name="box" toName="v"/></View>"#.to_string(),
            json!({"data": {"video": "v.mp4"}, "predictions": [{"result": [{"id": "t1", "from_name": "box", "to_name": "v",
                "type": "videorectangle", "value": {"framesCount": 200_000, "duration": 8000, "sequence": keyframes, "labels": ["Man"]}}]}]}),
            &['l'],
        ),
    ]
}

fn layout() {
    const FRAMES: usize = 300;
    let dir = common::bench_dir().join("layout");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("layout dir");
    println!("annotator layout, 120x40, {FRAMES} key presses each (ms)");
    println!(
        "  {:<28} {:>10} {:>12} {:>10} {:>10}",
        "config", "open", "first frame", "key p50", "key p99"
    );
    for (k, (name, config, task, keys)) in layout_cases().into_iter().enumerate() {
        let cfg = dir.join(format!("{k}.xml"));
        let tasks = dir.join(format!("{k}.json"));
        let db = dir.join(format!("{k}.db"));
        std::fs::write(&cfg, config).expect("config");
        std::fs::write(&tasks, serde_json::json!([task]).to_string()).expect("tasks");
        let new = labelterm::project::NewProject {
            inputs: vec![tasks.display().to_string()],
            ..labelterm::project::NewProject::new(&cfg, "bench")
        };
        labelterm::project::create(&db, &new).expect("init");
        let t0 = Instant::now();
        let (loader, _rx) = media::channel_loader(1);
        let mut s = Session::open(
            &StartOptions {
                project: db.clone(),
                user: "bench".into(),
                ..Default::default()
            },
            false,
            loader,
        )
        .expect("open");
        s.start();
        let open = t0.elapsed().as_secs_f64() * 1000.0;
        let mut term = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
        let t = Instant::now();
        s.draw(&mut term).expect("draw");
        let first = t.elapsed().as_secs_f64() * 1000.0;
        let mut times = Vec::new();
        for i in 0..FRAMES {
            let t = Instant::now();
            s.key(key(keys[i % keys.len()]));
            s.draw(&mut term).expect("draw");
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        println!(
            "  {name:<28} {open:>10.2} {first:>12.3} {:>10.3} {:>10.3}",
            pct(&mut times, 0.5),
            pct(&mut times, 0.99)
        );
    }
    json_tree(&dir);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The JSON tree popup on a task with a 10 MB string and a 100,000-item array: `I` opens
/// it, a search goes to the array and `l` opens it, then `j` and PgDn move through it.
fn json_tree(dir: &Path) {
    use serde_json::json;
    const FRAMES: usize = 300;
    let cfg = dir.join("json.xml");
    let tasks = dir.join("json.json");
    let db = dir.join("json.db");
    std::fs::write(&cfg, r#"<View><Text name="t" value="$title"/></View>"#).expect("config");
    let items: Vec<serde_json::Value> = (0..100_000).map(|i| json!(i)).collect();
    let task = json!({"title": "big", "blob": "x".repeat(10 * 1024 * 1024), "items": items});
    std::fs::write(&tasks, json!([task]).to_string()).expect("tasks");
    let new = labelterm::project::NewProject {
        inputs: vec![tasks.display().to_string()],
        ..labelterm::project::NewProject::new(&cfg, "bench")
    };
    labelterm::project::create(&db, &new).expect("init");
    let (loader, _rx) = media::channel_loader(1);
    let mut s = Session::open(
        &StartOptions {
            project: db.clone(),
            user: "bench".into(),
            ..Default::default()
        },
        false,
        loader,
    )
    .expect("open");
    s.start();
    let mut term = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    s.draw(&mut term).expect("draw");
    let t = Instant::now();
    s.key(key('I'));
    s.draw(&mut term).expect("draw");
    let open = t.elapsed().as_secs_f64() * 1000.0;
    for c in "/items".chars() {
        s.key(key(c));
    }
    let t = Instant::now();
    s.key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    s.draw(&mut term).expect("draw");
    let search = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    s.key(key('l'));
    s.draw(&mut term).expect("draw");
    let expand = t.elapsed().as_secs_f64() * 1000.0;
    let mut times = Vec::new();
    for i in 0..FRAMES {
        let t = Instant::now();
        if i % 10 == 9 {
            s.key(KeyEvent::new(KeyCode::PageDown, KeyModifiers::NONE));
        } else {
            s.key(key('j'));
        }
        s.draw(&mut term).expect("draw");
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "JSON tree, 10 MB string + 100,000 items, 120x40 (ms): open (I) {open:.3}, search {search:.3}, open the array (l) {expand:.3}, key (j, PgDn) p50 {:.3} p99 {:.3}",
        pct(&mut times, 0.5),
        pct(&mut times, 0.99)
    );
}

/// Key to frame on the data table; page reads run inline, so each time holds the read the
/// key caused (in the terminal they run on the job worker, and a frame never waits).
fn table(db: &Path, n: usize) {
    let (loader, _rx) = media::channel_loader(1);
    let t0 = Instant::now();
    let mut s = Session::open(
        &StartOptions {
            project: db.to_path_buf(),
            user: format!("bench-{}", std::process::id()),
            first_screen: labelterm::tui::screens::Screen::Table,
            ..Default::default()
        },
        false,
        loader,
    )
    .expect("open");
    s.start();
    let mut term = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    s.draw(&mut term).expect("draw");
    s.draw(&mut term).expect("draw");
    let first = t0.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(s.app.table.count, Some(n), "every task counted");
    let mut press = |s: &mut Session, ev: KeyEvent, times: usize| -> Vec<f64> {
        (0..times)
            .map(|_| {
                let t = Instant::now();
                s.key(ev);
                s.draw(&mut term).expect("draw");
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect()
    };
    let plain = |c: KeyCode| KeyEvent::new(c, KeyModifiers::NONE);
    let mut down = press(&mut s, key('j'), 2000);
    let mut page = press(&mut s, plain(KeyCode::PageDown), 500);
    assert!(s.app.table.cursor > 2000, "scrolled");
    let mut right = press(&mut s, key('l'), 8);
    let mut bottom = press(&mut s, key('G'), 1);
    assert_eq!(s.app.table.cursor, n - 1);
    let mut up = press(&mut s, key('k'), 500);
    let mut sort = press(&mut s, key('o'), 1);
    println!("data table, {n} tasks (120x40), key → frame drawn, p50 / p99 (ms):");
    println!("  {:<28} {first:>9.2}", "open → first rows drawn");
    for (name, v) in [
        ("j (down)", &mut down),
        ("k (up)", &mut up),
        ("PgDn", &mut page),
        ("l (next column)", &mut right),
        ("G (last row)", &mut bottom),
        ("o (sort by a column)", &mut sort),
    ] {
        println!("  {name:<28} {:>9.3} / {:>9.3}", pct(v, 0.5), pct(v, 0.99));
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(Path::new(&args[i + 1]));
        return;
    }
    if args.iter().any(|a| a == "table") {
        for n in common::sizes(&[1_000_000]) {
            table(&project(n), n);
        }
        return;
    }
    if args.iter().any(|a| a == "layout") {
        if args.iter().any(|a| a == "json") {
            let dir = common::bench_dir().join("layout");
            std::fs::create_dir_all(&dir).expect("layout dir");
            json_tree(&dir);
            let _ = std::fs::remove_dir_all(&dir);
        } else {
            layout();
        }
        return;
    }
    for n in common::sizes(&[1_000_000]) {
        let db = project(n);
        let mut runs: Vec<Vec<f64>> = Vec::new();
        for _ in 0..RUNS {
            let out = std::process::Command::new(std::env::current_exe().expect("exe"))
                .args(["--child", db.to_str().expect("utf-8 path")])
                .output()
                .expect("child");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let line = String::from_utf8_lossy(&out.stdout);
            let nums: Vec<f64> = line
                .split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect();
            assert_eq!(nums.len(), 6, "{line}");
            runs.push(nums);
        }
        let col = |i: usize| -> (f64, f64) {
            let mut v: Vec<f64> = runs.iter().map(|r| r[i]).collect();
            v.sort_by(|a, b| a.total_cmp(b));
            (v[0], v[v.len() / 2])
        };
        let names = [
            "start → first frame (ms)",
            "submit → next task drawn p50 (ms)",
            "submit → next task drawn p99 (ms)",
            "] → next task drawn p50 (ms)",
            "] → next task drawn p99 (ms)",
            "peak RSS (MiB)",
        ];
        println!("annotator, {n} tasks, {RUNS} runs of {PRESSES} presses each: min / median");
        for (i, name) in names.iter().enumerate() {
            let (min, med) = col(i);
            println!("  {name:<36} {min:>8.2} / {med:>8.2}");
        }
    }
}
