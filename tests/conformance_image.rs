//! Conformance of the image formats with Label Studio's converter (label-studio-sdk 2.1.2).
//!
//! For every case in `tests/conformance/<case>/` and every image format its
//! `expected/FORMATS.txt` lists as run, `labelterm convert` runs in the case directory
//! (as the converter did) and its output is compared with `expected/<FORMAT>/` and
//! `expected/<FORMAT>.files`. Only what the cases' README lists as run-dependent is
//! normalised: COCO `info.year`/`info.date_created`, notes.json `info.year`, BRUSH_TO_COCO
//! colours, PNG masks compared as decoded pixels, `.npy` compared as header fields + data.
//! The `*_WITH_IMAGES` goldens fetched their images from `http://127.0.0.1:8765/<file>`:
//! while those formats run, this test serves the case's `media/` there.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const FORMATS_UNDER_TEST: &[&str] = &[
    "COCO",
    "COCO_WITH_IMAGES",
    "YOLO",
    "YOLO_WITH_IMAGES",
    "YOLO_OBB",
    "YOLO_OBB_WITH_IMAGES",
    "VOC",
    "BRUSH_TO_NUMPY",
    "BRUSH_TO_PNG",
    "BRUSH_TO_COCO",
];

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance")
}

/// Only one media server at a time: they all listen on the port the goldens name.
static SERVER_LOCK: Mutex<()> = Mutex::new(());

/// A tiny HTTP/1.1 file server for `root` on 127.0.0.1:8765, stopped on drop.
struct MediaServer {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl MediaServer {
    fn start(root: PathBuf) -> MediaServer {
        let deadline = Instant::now() + Duration::from_secs(120);
        let listener = loop {
            match TcpListener::bind("127.0.0.1:8765") {
                Ok(l) => break l,
                Err(e) if Instant::now() < deadline => {
                    eprintln!("port 8765 busy ({e}); waiting");
                    std::thread::sleep(Duration::from_millis(500));
                }
                Err(e) => panic!("cannot listen on 127.0.0.1:8765: {e}"),
            }
        };
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(conn) = conn {
                    serve(conn, &root);
                }
            }
        });
        MediaServer {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for MediaServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect("127.0.0.1:8765");
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(mut conn: TcpStream, root: &Path) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(conn.try_clone().expect("clone stream"));
    let mut request = String::new();
    if reader.read_line(&mut request).is_err() {
        return;
    }
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => {}
        }
    }
    let path = request.split_whitespace().nth(1).unwrap_or("/");
    let name = path.trim_start_matches('/');
    let file = (!name.is_empty() && !name.contains('/') && !name.contains(".."))
        .then(|| root.join(name))
        .and_then(|p| std::fs::read(p).ok());
    let _ = match file {
        Some(body) => conn
            .write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                )
                .as_bytes(),
            )
            .and_then(|_| conn.write_all(&body)),
        None => conn.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        ),
    };
    let _ = conn.flush();
}

/// Every entry under `dir`, relative, directories ending in `/`, sorted.
fn listing(dir: &Path) -> BTreeSet<String> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        for e in std::fs::read_dir(dir).expect("read output dir") {
            let p = e.expect("dir entry").path();
            let rel = p
                .strip_prefix(base)
                .expect("inside")
                .to_string_lossy()
                .into_owned();
            if p.is_dir() {
                out.insert(format!("{rel}/"));
                walk(base, &p, out);
            } else {
                out.insert(rel);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
}

/// Replaces the value of `"key": ...` (a number or a string) on every line that has it.
fn blank_field(text: &str, key: &str) -> String {
    let needle = format!("\"{key}\": ");
    text.lines()
        .map(|l| match l.find(&needle) {
            Some(i) => {
                let rest = &l[i + needle.len()..];
                let tail = if rest.ends_with(',') { "," } else { "" };
                format!("{}{needle}<{key}>{tail}", &l[..i])
            }
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn normalise(format: &str, rel: &str, bytes: &[u8]) -> Vec<u8> {
    let text = || String::from_utf8(bytes.to_vec()).expect("UTF-8 output");
    let keys: &[&str] = match (format, rel) {
        (f, "result.json") if f.starts_with("COCO") => &["year", "date_created"],
        (f, "notes.json") if f.starts_with("YOLO") => &["year"],
        ("BRUSH_TO_COCO", "result_coco.json") => &["year", "date_created", "color"],
        _ => return bytes.to_vec(),
    };
    let mut t = text();
    for k in keys {
        t = blank_field(&t, k);
    }
    t.into_bytes()
}

fn png_pixels(bytes: &[u8]) -> (u32, u32, png::ColorType, png::BitDepth, Vec<u8>) {
    let dec = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut r = dec.read_info().expect("PNG header");
    let mut buf = vec![0; r.output_buffer_size().expect("PNG size")];
    let info = r.next_frame(&mut buf).expect("PNG data");
    buf.truncate(info.buffer_size());
    (
        info.width,
        info.height,
        info.color_type,
        info.bit_depth,
        buf,
    )
}

/// (header fields without padding, data) of an `.npy` file.
fn npy_parts(bytes: &[u8]) -> (String, Vec<u8>) {
    assert!(
        bytes.starts_with(b"\x93NUMPY\x01\x00"),
        "npy magic and version 1.0"
    );
    let hlen = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let header = String::from_utf8_lossy(&bytes[10..10 + hlen]);
    (header.trim_end().to_string(), bytes[10 + hlen..].to_vec())
}

/// Compares one produced file with the golden; returns a description of the difference.
fn compare_file(format: &str, rel: &str, got: &[u8], want: &[u8]) -> Option<String> {
    if rel.ends_with(".png") && format == "BRUSH_TO_PNG" {
        let (g, w) = (png_pixels(got), png_pixels(want));
        return (g != w).then(|| {
            format!(
                "{rel}: pixels differ ({}x{} {:?} vs {}x{} {:?})",
                g.0, g.1, g.2, w.0, w.1, w.2
            )
        });
    }
    if rel.ends_with(".npy") {
        let (g, w) = (npy_parts(got), npy_parts(want));
        if g.0 != w.0 {
            return Some(format!("{rel}: npy header {:?} vs {:?}", g.0, w.0));
        }
        return (g.1 != w.1).then(|| format!("{rel}: npy data differs"));
    }
    let (g, w) = (normalise(format, rel, got), normalise(format, rel, want));
    if g == w {
        return None;
    }
    let (gs, ws) = (String::from_utf8_lossy(&g), String::from_utf8_lossy(&w));
    let line = gs
        .lines()
        .zip(ws.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| gs.lines().count().min(ws.lines().count()));
    Some(format!(
        "{rel}: differs at line {}:\n   got: {:?}\n  want: {:?}",
        line + 1,
        gs.lines().nth(line).unwrap_or("<end>"),
        ws.lines().nth(line).unwrap_or("<end>")
    ))
}

struct Run {
    format: String,
    download_resources: bool,
}

fn formats_of(case: &Path) -> Vec<Run> {
    let text = std::fs::read_to_string(case.join("expected/FORMATS.txt")).expect("FORMATS.txt");
    let v: serde_json::Value = serde_json::from_str(&text).expect("FORMATS.txt is JSON");
    v["formats_run"]
        .as_array()
        .expect("formats_run")
        .iter()
        .filter_map(|f| f.as_str())
        .filter(|f| FORMATS_UNDER_TEST.contains(f))
        .map(|f| Run {
            format: f.to_string(),
            download_resources: v["options"][f]["download_resources"]
                .as_bool()
                .unwrap_or(false),
        })
        .collect()
}

/// Runs one case's image formats; returns every difference found.
fn run_case(case: &Path) -> (usize, Vec<String>) {
    let name = case
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let case = case.to_path_buf();
    let runs = formats_of(&case);
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut problems = Vec::new();
    for run in &runs {
        let f = &run.format;
        let out = tmp.path().join(f);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_labelterm"));
        cmd.current_dir(&case)
            .args([
                "convert",
                "--label-config",
                "config.xml",
                "--input-path",
                "tasks.json",
            ])
            .args(["--export-type", f])
            .arg("--export-path")
            .arg(&out);
        for var in [
            "LOCAL_FILES_DOCUMENT_ROOT",
            "LABEL_STUDIO_URL",
            "LABEL_STUDIO_HOST",
            "LABEL_STUDIO_API_KEY",
            "LABEL_STUDIO_ACCESS_TOKEN",
        ] {
            cmd.env_remove(var);
        }
        if case.join("upload").is_dir() {
            cmd.args(["--upload-dir", "upload"]);
        }
        let output = if run.download_resources {
            cmd.arg("--download-resources");
            let _guard = SERVER_LOCK.lock().unwrap_or_else(|e| e.into_inner());
            let _server = MediaServer::start(case.join("media"));
            cmd.output().expect("run labelterm")
        } else {
            cmd.output().expect("run labelterm")
        };
        if !output.status.success() {
            problems.push(format!(
                "{name} {f}: labelterm failed: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
            continue;
        }
        let want_list: BTreeSet<String> =
            std::fs::read_to_string(case.join(format!("expected/{f}.files")))
                .expect(".files")
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect();
        let got_list = listing(&out);
        if got_list != want_list {
            problems.push(format!(
                "{name} {f}: entries differ\n   got: {got_list:?}\n  want: {want_list:?}"
            ));
        }
        for rel in want_list.iter().filter(|r| !r.ends_with('/')) {
            let want = std::fs::read(case.join("expected").join(f).join(rel));
            let got = std::fs::read(out.join(rel));
            match (got, want) {
                (Ok(g), Ok(w)) => {
                    if let Some(d) = compare_file(f, rel, &g, &w) {
                        problems.push(format!("{name} {f}: {d}"));
                    }
                }
                (Err(e), _) => problems.push(format!("{name} {f}: {rel} not written: {e}")),
                (_, Err(e)) => problems.push(format!("{name} {f}: golden {rel} unreadable: {e}")),
            }
        }
    }
    (runs.len(), problems)
}

fn check(name: &str, expected_runs: usize) {
    check_case(&cases_dir().join(name), expected_runs);
}

fn check_case(case: &Path, expected_runs: usize) {
    let name = case.display();
    let (n, problems) = run_case(case);
    assert_eq!(
        n, expected_runs,
        "{name}: image formats listed in FORMATS.txt"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn image_bbox() {
    check("image_bbox", 7);
}

#[test]
fn image_keypoints() {
    check("image_keypoints", 7);
}

#[test]
fn brush_mask() {
    check("brush_mask", 3);
}

/// Extra cases made with the same converter (tests/conformance_extra/make_cases.py):
/// polygons, explicit `category` ids, labels missing from the config, rotations, several
/// annotators, keypoints without parents, many masks.
fn extra(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/conformance_extra")
        .join(name)
}

#[test]
fn extra_polygons() {
    check_case(&extra("extra_polygons"), 4);
}

#[test]
fn extra_keypoints() {
    check_case(&extra("extra_keypoints"), 4);
}

#[test]
fn extra_brush() {
    check_case(&extra("extra_brush"), 3);
}

/// The cases without image formats stay without them (a new image case needs a test here).
#[test]
fn every_case_with_image_formats_is_checked() {
    let mut with_images: Vec<String> = std::fs::read_dir(cases_dir())
        .expect("cases")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("expected/FORMATS.txt").is_file())
        .filter(|e| !formats_of(&e.path()).is_empty())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    with_images.sort();
    assert_eq!(with_images, ["brush_mask", "image_bbox", "image_keypoints"]);
}

#[test]
fn normalising_only_touches_run_dependent_fields() {
    let text = "{\n  \"a\": 1,\n  \"year\": 2026,\n  \"date_created\": \"x\"\n}";
    assert_eq!(
        normalise("COCO", "result.json", text.as_bytes()),
        b"{\n  \"a\": 1,\n  \"year\": <year>,\n  \"date_created\": <date_created>\n}".to_vec()
    );
    assert_eq!(normalise("YOLO", "classes.txt", b"year"), b"year".to_vec());
}
