//! Exports read media only from the allowed roots: the folder a task was imported from,
//! --media-root, --local-files-root, --upload-dir and --allow-path. A value that leads
//! elsewhere (an absolute path, `..`, a link to a file or a folder outside) is refused with
//! a warning naming the task and the value, and nothing of it reaches the output.

mod common;

use common::labelterm_in;
use serde_json::{Value, json};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

fn case_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/conformance")
        .join(rel)
}

/// Every file under `dir` (relative path, bytes).
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).unwrap().display().to_string();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A project folder with the task file, and a secret folder beside it (outside every
/// root) holding `secret` (the bytes of `secret_bytes`).
struct Layout {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    proj: PathBuf,
    secret_dir: PathBuf,
}

fn layout(secret_name: &str, secret_bytes: &[u8]) -> Layout {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().canonicalize().unwrap();
    let proj = dir.join("proj");
    let secret_dir = dir.join("secret");
    std::fs::create_dir_all(&proj).unwrap();
    std::fs::create_dir_all(&secret_dir).unwrap();
    std::fs::write(secret_dir.join(secret_name), secret_bytes).unwrap();
    symlink(
        secret_dir.join(secret_name),
        proj.join(format!("link-{secret_name}")),
    )
    .unwrap();
    symlink(&secret_dir, proj.join("linkdir")).unwrap();
    Layout {
        _tmp: tmp,
        dir,
        proj,
        secret_dir,
    }
}

/// The values that lead to the secret: absolute, `..`, a link, a linked folder, `file://`.
fn escapes(l: &Layout, name: &str) -> Vec<String> {
    let abs = l.secret_dir.join(name).display().to_string();
    vec![
        abs.clone(),
        format!("../secret/{name}"),
        format!("link-{name}"),
        format!("linkdir/{name}"),
        format!("file://{abs}"),
    ]
}

fn warned_for(stderr: &str, task: usize, value: &str) -> bool {
    stderr.lines().any(|l| {
        l.contains(&format!("task {task}"))
            && l.contains(&format!("{value:?}"))
            && l.contains("outside the allowed roots")
    })
}

#[test]
fn asr_manifest_copies_nothing_from_outside() {
    let secret = std::fs::read(case_file("audio_transcription/upload/1/world.wav")).unwrap();
    let l = layout("s.wav", &secret);
    std::fs::copy(
        case_file("audio_transcription/upload/1/hello.wav"),
        l.proj.join("ok.wav"),
    )
    .unwrap();
    let values = escapes(&l, "s.wav");
    let ann = json!([{"completed_by": 1, "result": [{"from_name": "transcription", "to_name": "audio", "type": "textarea", "value": {"text": ["t"]}}]}]);
    let mut tasks: Vec<Value> = values
        .iter()
        .map(|v| json!({"data": {"audio": v}, "annotations": ann}))
        .collect();
    tasks.push(json!({"data": {"audio": "ok.wav"}, "annotations": ann}));
    std::fs::write(l.proj.join("tasks.json"), Value::Array(tasks).to_string()).unwrap();
    let db = l.dir.join("p.db").display().to_string();
    let config = case_file("audio_transcription/config.xml");
    labelterm_in(
        &l.dir,
        &[
            "init",
            &db,
            "--label-config",
            config.to_str().unwrap(),
            "--input-path",
            l.proj.join("tasks.json").to_str().unwrap(),
        ],
    )
    .ok();
    let run = labelterm_in(
        &l.dir,
        &[
            "export",
            &db,
            "--export-type",
            "ASR_MANIFEST",
            "--export-path",
            "out/",
        ],
    );
    run.ok();
    for (i, v) in values.iter().enumerate() {
        assert!(warned_for(&run.stderr, i + 1, v), "{v}\n{}", run.stderr);
    }
    let out = files(&l.dir.join("out"));
    let names: Vec<&str> = out.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["audio/ok.wav", "manifest.json"]);
    for (name, bytes) in &out {
        assert!(!contains(bytes, &secret[44..]), "{name} holds the secret");
    }
    let manifest = String::from_utf8(out[1].1.clone()).unwrap();
    assert_eq!(manifest.lines().count(), 1, "{manifest}");
    // The secret's duration (1.25 s) is not told either.
    assert!(!manifest.contains("1.25"), "{manifest}");
}

/// A 1×1 PNG whose pixel is the marker colour.
fn png_bytes(rgb: [u8; 3]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, 1, 1);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().unwrap();
        w.write_image_data(&rgb).unwrap();
    }
    out
}

#[test]
fn doclang_pages_copy_nothing_from_outside() {
    let secret = png_bytes([1, 2, 3]);
    let l = layout("s.png", &secret);
    let values = escapes(&l, "s.png");
    let doc = "<doclang><text>x</text></doclang>";
    let tasks: Vec<Value> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            json!({"id": i + 1, "data": {"image": v}, "annotations": [{"id": 100 + i, "result": [
                {"from_name": "doclang", "to_name": "page", "type": "textarea", "value": {"text": [doc]}}
            ]}]})
        })
        .collect();
    std::fs::write(l.proj.join("tasks.json"), Value::Array(tasks).to_string()).unwrap();
    let run = labelterm_in(
        &l.dir,
        &[
            "convert",
            "--label-config",
            case_file("doclang/config.xml").to_str().unwrap(),
            "--input-path",
            l.proj.join("tasks.json").to_str().unwrap(),
            "--export-type",
            "DOCLANG",
            "--export-path",
            "out/",
        ],
    );
    run.ok();
    for (i, v) in values.iter().enumerate() {
        assert!(warned_for(&run.stderr, i + 1, v), "{v}\n{}", run.stderr);
    }
    let out = files(&l.dir.join("out"));
    assert_eq!(out.len(), values.len());
    for (name, bytes) in &out {
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let members: Vec<String> = (0..z.len())
            .map(|i| z.by_index(i).unwrap().name().unwrap().to_string())
            .collect();
        assert_eq!(
            members,
            ["[Content_Types].xml", "_rels/.rels", "document.xml"],
            "{name}"
        );
    }
}

const BOXES: &str = r#"<View><Image name="image" value="$image"/>
<RectangleLabels name="label" toName="image"><Label value="Car"/></RectangleLabels></View>"#;

fn box_task(id: usize, image: &str) -> Value {
    json!({"id": id, "data": {"image": image}, "annotations": [{"id": id, "completed_by": 1, "result": [
        {"id": "r", "from_name": "label", "to_name": "image", "type": "rectanglelabels",
         "original_width": 10, "original_height": 10,
         "value": {"x": 1.0, "y": 2.0, "width": 3.0, "height": 4.0, "rotation": 0, "rectanglelabels": ["Car"]}}
    ]}]})
}

/// Links under --local-files-root that lead out of it, to a file or through a folder, are
/// not followed by COCO_WITH_IMAGES nor VOC --download-resources: nothing is copied, and
/// the image's size and channels are not read.
#[test]
fn local_files_links_are_not_followed() {
    let secret = {
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, 7, 5);
        enc.set_color(png::ColorType::GrayscaleAlpha);
        enc.set_depth(png::BitDepth::Eight);
        enc.write_header()
            .unwrap()
            .write_image_data(&[9u8; 7 * 5 * 2])
            .unwrap();
        out
    };
    let l = layout("s.png", &secret);
    let lf = l.proj.join("lf");
    std::fs::create_dir_all(&lf).unwrap();
    symlink(l.secret_dir.join("s.png"), lf.join("link.png")).unwrap();
    symlink(&l.secret_dir, lf.join("dir")).unwrap();
    std::fs::write(lf.join("ok.png"), png_bytes([4, 5, 6])).unwrap();
    let values = [
        "/data/local-files/?d=link.png",
        "/data/local-files/?d=dir/s.png",
        "/data/local-files/?d=../../secret/s.png",
    ];
    let mut tasks: Vec<Value> = values
        .iter()
        .enumerate()
        .map(|(i, v)| box_task(i + 1, v))
        .collect();
    tasks.push(box_task(4, "/data/local-files/?d=ok.png"));
    std::fs::write(l.proj.join("config.xml"), BOXES).unwrap();
    std::fs::write(l.proj.join("tasks.json"), Value::Array(tasks).to_string()).unwrap();
    let convert = |format: &str, extra: &[&str]| {
        let mut args = vec![
            "convert",
            "--label-config",
            "config.xml",
            "--input-path",
            "tasks.json",
            "--local-files-root",
            "lf",
            "--export-type",
            format,
            "--export-path",
        ];
        args.push(format);
        args.extend_from_slice(extra);
        let run = labelterm_in(&l.proj, &args);
        run.ok();
        for (i, v) in values.iter().enumerate() {
            assert!(
                warned_for(&run.stderr, i + 1, v),
                "{format} {v}\n{}",
                run.stderr
            );
        }
        files(&l.proj.join(format))
    };
    let coco = convert("COCO_WITH_IMAGES", &[]);
    let images: Vec<&str> = coco
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| n.starts_with("images/"))
        .collect();
    assert_eq!(images.len(), 1, "{images:?}");
    assert!(images[0].ends_with("__ok.png"));
    let result: Value =
        serde_json::from_slice(&coco.iter().find(|(n, _)| n == "result.json").unwrap().1).unwrap();
    for img in result["images"].as_array().unwrap() {
        assert_ne!(
            img["width"],
            json!(7),
            "the secret's size is not read: {img}"
        );
    }
    for (name, bytes) in &coco {
        assert!(bytes != &secret, "{name} is the secret");
    }
    let voc = convert("VOC", &["--download-resources"]);
    for (name, bytes) in &voc {
        assert!(bytes != &secret, "{name} is the secret");
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains("<depth>2</depth>"), "{name}: {text}");
    }
    assert_eq!(
        voc.iter().filter(|(n, _)| n.starts_with("images/")).count(),
        1
    );
}

/// `--allow-path` widens the roots on purpose; `--media-root` (and its old name
/// `--image-root`) finds relative paths that are not in the import folder.
#[test]
fn allow_path_and_media_root() {
    let secret = png_bytes([7, 7, 7]);
    let l = layout("s.png", &secret);
    let media = l.dir.join("media");
    std::fs::create_dir_all(&media).unwrap();
    std::fs::write(media.join("m.png"), png_bytes([1, 1, 1])).unwrap();
    std::fs::write(l.proj.join("config.xml"), BOXES).unwrap();
    let abs = l.secret_dir.join("s.png").display().to_string();
    std::fs::write(
        l.proj.join("tasks.json"),
        json!([box_task(1, &abs), box_task(2, "m.png")]).to_string(),
    )
    .unwrap();
    let base = [
        "convert",
        "--label-config",
        "config.xml",
        "--input-path",
        "tasks.json",
        "--export-type",
        "COCO_WITH_IMAGES",
        "--export-path",
    ];
    let secret_dir = l.secret_dir.display().to_string();
    let media_dir = media.display().to_string();
    let mut args = base.to_vec();
    args.extend(["a", "--allow-path", &secret_dir, "--media-root", &media_dir]);
    labelterm_in(&l.proj, &args).ok();
    let copied = files(&l.proj.join("a/images"));
    assert_eq!(
        copied.len(),
        2,
        "{:?}",
        copied.iter().map(|c| &c.0).collect::<Vec<_>>()
    );
    let mut args = base.to_vec();
    args.extend(["b", "--image-root", &media_dir]);
    let run = labelterm_in(&l.proj, &args);
    run.ok();
    assert!(warned_for(&run.stderr, 1, &abs), "{}", run.stderr);
    let copied = files(&l.proj.join("b/images"));
    assert_eq!(copied.len(), 1);
    assert!(copied[0].0.ends_with("__m.png"));
}
