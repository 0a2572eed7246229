//! The image formats where labelterm deliberately differs from Label Studio's converter
//! (each listed in `docs/compatibility.md`), media path resolution for project
//! exports, and failures that name the task and region.

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_labelterm"));
    for var in [
        "LOCAL_FILES_DOCUMENT_ROOT",
        "LABEL_STUDIO_URL",
        "LABEL_STUDIO_API_KEY",
    ] {
        c.env_remove(var);
    }
    c
}

fn png(path: &Path, w: u32, h: u32, color: png::ColorType) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut enc = png::Encoder::new(file, w, h);
    enc.set_color(color);
    enc.set_depth(png::BitDepth::Eight);
    let channels = match color {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        _ => 4,
    };
    let mut wr = enc.write_header().unwrap();
    wr.write_image_data(&vec![7u8; (w * h * channels) as usize])
        .unwrap();
}

const BOXES: &str = r#"<View><Image name="image" value="$image"/>
<RectangleLabels name="label" toName="image"><Label value="Car"/><Label value="Bus"/></RectangleLabels>
<KeyPointLabels name="kp" toName="image"><Label value="Eye"/></KeyPointLabels>
<PolygonLabels name="poly" toName="image"><Label value="Road"/></PolygonLabels></View>"#;

const BRUSH: &str = r#"<View><Image name="image" value="$image"/>
<BrushLabels name="tag" toName="image"><Label value="Cat"/></BrushLabels></View>"#;

struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new(config: &str, tasks: Value) -> Case {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.xml"), config).unwrap();
        std::fs::write(dir.path().join("tasks.json"), tasks.to_string()).unwrap();
        Case { dir }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    fn convert(&self, format: &str, extra: &[&str]) -> Output {
        bin()
            .current_dir(self.dir.path())
            .args([
                "convert",
                "--label-config",
                "config.xml",
                "--input-path",
                "tasks.json",
            ])
            .args(["--export-type", format, "--export-path", format])
            .args(extra)
            .output()
            .unwrap()
    }

    fn ok(&self, format: &str, extra: &[&str]) -> PathBuf {
        let out = self.convert(format, extra);
        assert!(
            out.status.success(),
            "{format} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.path(format)
    }

    fn json(&self, rel: &str) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.path(rel)).unwrap()).unwrap()
    }
}

fn rect(id: &str, x: f64, w: f64, size: Option<(u32, u32)>) -> Value {
    let mut r = json!({"id": id, "from_name": "label", "to_name": "image", "type": "rectanglelabels",
        "value": {"x": x, "y": 10.0, "width": w, "height": 20.0, "rotation": 0, "rectanglelabels": ["Car"]}});
    if let Some((ow, oh)) = size {
        r["original_width"] = json!(ow);
        r["original_height"] = json!(oh);
    }
    r
}

fn task(id: i64, image: &str, result: Vec<Value>) -> Value {
    json!({"id": id, "data": {"image": image}, "annotations": [
        {"id": id * 10, "completed_by": 1, "result": result, "created_at": "2024-01-01T00:00:00Z"}]})
}

/// The converter fails (KeyError) on a rectangle without `original_width` when it could
/// read the image (an absolute path, a download); labelterm uses the image's size.
#[test]
fn coco_rectangle_without_size_uses_the_image_size() {
    let c = Case::new(
        BOXES,
        json!([task(1, "img/a.png", vec![rect("r1", 10.0, 50.0, None)])]),
    );
    png(&c.path("img/a.png"), 200, 100, png::ColorType::Rgb);
    c.ok("COCO", &[]);
    let r = c.json("COCO/result.json");
    assert_eq!(r["images"][0]["width"], json!(200));
    assert_eq!(r["images"][0]["file_name"], json!("img/a.png"));
    assert_eq!(
        r["annotations"][0]["bbox"],
        json!([20.0, 10.0, 100.0, 20.0])
    );
}

/// Without an image and without sizes, the converter skips the region; so do we.
#[test]
fn coco_rectangle_without_any_size_is_skipped() {
    let c = Case::new(
        BOXES,
        json!([task(1, "missing.png", vec![rect("r1", 10.0, 50.0, None)])]),
    );
    c.ok("COCO", &[]);
    let r = c.json("COCO/result.json");
    assert_eq!(r["annotations"], json!([]));
    assert_eq!(r["images"], json!([]));
}

/// The converter opens a relative local image against the output directory (and so never
/// finds it); labelterm reads the file the task names.
#[test]
fn coco_reads_the_size_of_a_relative_local_image() {
    let c = Case::new(
        BOXES,
        json!([json!({"id": 1, "data": {"image": "img/b.png"}, "annotations": []})]),
    );
    png(&c.path("img/b.png"), 31, 17, png::ColorType::Rgba);
    c.ok("COCO", &[]);
    let r = c.json("COCO/result.json");
    assert_eq!(
        r["images"],
        json!([{"width": 31, "height": 17, "id": 0, "file_name": "img/b.png"}])
    );
}

/// A zero-width rotated box makes the converter divide by zero; labelterm rotates it.
#[test]
fn coco_zero_width_rotated_box() {
    let mut r = rect("r1", 10.0, 0.0, Some((100, 100)));
    r["value"]["rotation"] = json!(90);
    let c = Case::new(BOXES, json!([task(1, "x.png", vec![r])]));
    c.ok("COCO", &[]);
    let bbox = c.json("COCO/result.json")["annotations"][0]["bbox"].clone();
    let b: Vec<f64> = bbox
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!((b[2] - 20.0).abs() < 1e-9 && b[3].abs() < 1e-9, "{b:?}");
}

/// Keypoint labels without `model_index`: the converter raises for the whole export;
/// labelterm leaves the keypoint annotation out (as later SDK versions do).
#[test]
fn coco_keypoints_without_model_index_are_left_out() {
    let kp = json!({"id": "k", "from_name": "kp", "to_name": "image", "type": "keypointlabels",
        "original_width": 100, "original_height": 100,
        "value": {"x": 5.0, "y": 5.0, "width": 1.0, "keypointlabels": ["Eye"]}});
    let c = Case::new(
        BOXES,
        json!([task(
            1,
            "x.png",
            vec![rect("r", 1.0, 2.0, Some((100, 100))), kp]
        )]),
    );
    c.ok("COCO", &[]);
    let r = c.json("COCO/result.json");
    assert_eq!(r["annotations"].as_array().unwrap().len(), 1);
    assert_eq!(
        r["categories"].as_array().unwrap().last().unwrap()["name"],
        json!("default")
    );
}

/// A polygon without points is an error that names the task and the region.
#[test]
fn broken_polygon_names_task_and_region() {
    let poly = json!({"id": "pg7", "from_name": "poly", "to_name": "image", "type": "polygonlabels",
        "original_width": 100, "original_height": 100, "value": {"polygonlabels": ["Road"]}});
    let c = Case::new(BOXES, json!([task(42, "x.png", vec![poly])]));
    let out = c.convert("COCO", &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("task 42") && err.contains("\"pg7\"") && err.contains("points"),
        "{err}"
    );
    assert!(!c.path("COCO").exists(), "no partial output");
}

/// `*_WITH_IMAGES` copy local images into images/ (the converter leaves them where they are
/// and writes their path); names and label files follow the copy.
#[test]
fn with_images_copies_local_files() {
    let c = Case::new(
        BOXES,
        json!([task(
            1,
            "img/c.png",
            vec![rect("r", 1.0, 2.0, Some((10, 10)))]
        )]),
    );
    png(&c.path("img/c.png"), 10, 10, png::ColorType::Rgb);
    let name = format!("{}__c", md5_8("img/c.png"));
    c.ok("COCO_WITH_IMAGES", &[]);
    let r = c.json("COCO_WITH_IMAGES/result.json");
    assert_eq!(
        r["images"][0]["file_name"],
        json!(format!("images/{name}.png"))
    );
    assert!(
        c.path(&format!("COCO_WITH_IMAGES/images/{name}.png"))
            .is_file()
    );
    c.ok("YOLO_WITH_IMAGES", &[]);
    assert!(
        c.path(&format!("YOLO_WITH_IMAGES/labels/{name}.txt"))
            .is_file()
    );
    assert!(
        c.path(&format!("YOLO_WITH_IMAGES/images/{name}.png"))
            .is_file()
    );
    // Plain YOLO keeps the converter's name.
    c.ok("YOLO", &[]);
    assert!(c.path("YOLO/labels/c.txt").is_file());
}

/// An uploaded file: the converter's COCO_WITH_IMAGES copies it but names the upload
/// directory in `file_name`; labelterm names the copy.
#[test]
fn with_images_names_the_copy_of_an_upload() {
    let c = Case::new(
        BOXES,
        json!([task(
            1,
            "/data/upload/3/u.png",
            vec![rect("r", 1.0, 2.0, Some((10, 10)))]
        )]),
    );
    png(&c.path("up/3/u.png"), 12, 8, png::ColorType::Rgb);
    c.ok("COCO_WITH_IMAGES", &["--upload-dir", "up"]);
    let r = c.json("COCO_WITH_IMAGES/result.json");
    assert_eq!(r["images"][0]["file_name"], json!("images/u.png"));
    assert_eq!(r["images"][0]["width"], json!(12));
    // Without images, as the converter: the path from the output to the upload.
    c.ok("COCO", &["--upload-dir", "up"]);
    assert_eq!(
        c.json("COCO/result.json")["images"][0]["file_name"],
        json!("../up/3/u.png")
    );
}

/// http(s) images are fetched only with --download-resources (the converter always fetches
/// for *_WITH_IMAGES); without it the names are what the download would be called.
#[test]
fn no_download_without_the_flag() {
    let url = "http://127.0.0.1:9/never.png";
    let c = Case::new(
        BOXES,
        json!([task(1, url, vec![rect("r", 1.0, 2.0, Some((10, 10)))])]),
    );
    c.ok("COCO_WITH_IMAGES", &[]);
    let r = c.json("COCO_WITH_IMAGES/result.json");
    assert_eq!(
        r["images"][0]["file_name"],
        json!(format!("images/{}__never.png", md5_8(url)))
    );
    assert_eq!(
        std::fs::read_dir(c.path("COCO_WITH_IMAGES/images"))
            .unwrap()
            .count(),
        0
    );
}

/// VOC `depth` is the channel count of any image that can be read (the converter reads it
/// only for downloaded images and says 3 otherwise).
#[test]
fn voc_depth_of_a_local_image() {
    let c = Case::new(
        BOXES,
        json!([task(1, "g.png", vec![rect("r", 1.0, 2.0, Some((10, 10)))])]),
    );
    png(&c.path("g.png"), 10, 10, png::ColorType::GrayscaleAlpha);
    c.ok("VOC", &[]);
    let xml = std::fs::read_to_string(c.path("VOC/Annotations/g.xml")).unwrap();
    assert!(xml.contains("<depth>2</depth>"), "{xml}");
    assert!(xml.contains("<filename>g.png</filename>"));
}

/// YOLO_OBB with a zero image size makes the converter divide by zero; the box is skipped.
#[test]
fn yolo_obb_zero_size_is_skipped() {
    let config = r#"<View><Image name="image" value="$image"/>
        <RectangleLabels name="label" toName="image"><Label value="Car"/></RectangleLabels></View>"#;
    let c = Case::new(
        config,
        json!([task(1, "z.png", vec![rect("r", 1.0, 2.0, Some((0, 0)))])]),
    );
    png(&c.path("z.png"), 4, 4, png::ColorType::Rgb);
    c.ok("YOLO_OBB", &[]);
    assert_eq!(
        std::fs::read_to_string(c.path("YOLO_OBB/labels/z.txt")).unwrap(),
        ""
    );
}

fn md5_8(s: &str) -> String {
    labelterm::export::media::md5_prefix(s)
}

/// SDK `mask2rle`-style encoding (literal chunks) of RGBA pixels with the given alpha.
fn rle(alpha: &[u8]) -> Vec<u8> {
    let mut bits: Vec<u8> = Vec::new();
    let mut push = |v: u64, n: usize| {
        for i in (0..n).rev() {
            bits.push(((v >> i) & 1) as u8);
        }
    };
    push(alpha.len() as u64 * 4, 32);
    push(7, 5);
    for s in [3u64, 4, 8, 16] {
        push(s - 1, 4);
    }
    for a in alpha {
        for _ in 0..4 {
            push(0, 3);
            push(0, 3);
            push(u64::from(*a), 8);
        }
    }
    while !bits.len().is_multiple_of(8) {
        bits.push(0);
    }
    bits.chunks(8)
        .map(|c| c.iter().fold(0u8, |a, b| (a << 1) | b))
        .collect()
}

fn brush(id: &str, w: u32, h: u32, data: Vec<u8>) -> Value {
    json!({"id": id, "from_name": "tag", "to_name": "image", "type": "brushlabels",
        "original_width": w, "original_height": h,
        "value": {"format": "rle", "rle": data, "brushlabels": ["Cat"]}})
}

/// A mask that does not decode: the converter drops it silently (BRUSH_TO_COCO) or fails
/// with a Python exception (NUMPY/PNG); labelterm fails and names the task and region.
#[test]
fn malformed_rle_names_task_and_region() {
    let mut data = rle(&[255, 0, 0, 255]);
    data.truncate(data.len() / 2);
    let c = Case::new(
        BRUSH,
        json!([task(5, "m.png", vec![brush("b9", 2, 2, data)])]),
    );
    for f in ["BRUSH_TO_NUMPY", "BRUSH_TO_PNG", "BRUSH_TO_COCO"] {
        let out = c.convert(f, &[]);
        assert!(!out.status.success(), "{f}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("task 5") && err.contains("\"b9\"") && err.contains("RLE"),
            "{f}: {err}"
        );
        assert!(!c.path(f).exists(), "{f}: no partial output");
    }
}

/// Mask file names never carry a path separator (the converter would write outside the
/// output directory for a task id like "../x").
#[test]
fn brush_file_names_stay_inside() {
    let t = json!([{"id": "../evil", "data": {"image": "m.png"}, "annotations": [
        {"id": 1, "completed_by": 1, "result": [brush("b", 2, 1, rle(&[255, 0])), brush("c", 1, 1, rle(&[9]))]}]}]);
    let c = Case::new(BRUSH, t);
    c.ok("BRUSH_TO_NUMPY", &[]);
    let names: Vec<String> = std::fs::read_dir(c.path("BRUSH_TO_NUMPY"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut names = names;
    names.sort();
    assert_eq!(
        names,
        [
            "task-..-evil-annotation-1-by-1-tag-Cat-0.npy",
            "task-..-evil-annotation-1-by-1-tag-Cat-1.npy"
        ]
    );
}

/// BRUSH_TO_COCO category colours are derived from the name, so two exports agree (the
/// converter draws random ones).
#[test]
fn brush_coco_colours_are_stable() {
    let c = Case::new(
        BRUSH,
        json!([task(
            1,
            "m.png",
            vec![brush("b", 2, 2, rle(&[255, 255, 255, 255]))]
        )]),
    );
    c.ok("BRUSH_TO_COCO", &[]);
    let first = c.json("BRUSH_TO_COCO/result_coco.json")["categories"].clone();
    std::fs::remove_dir_all(c.path("BRUSH_TO_COCO")).unwrap();
    c.ok("BRUSH_TO_COCO", &[]);
    assert_eq!(
        c.json("BRUSH_TO_COCO/result_coco.json")["categories"],
        first
    );
    assert_eq!(first[0]["color"], json!(format!("#{}", &md5_8("Cat")[..6])));
    let ann = &c.json("BRUSH_TO_COCO/result_coco.json")["annotations"][0];
    assert_eq!(ann["segmentation"], json!([[0, 0, 0, 1, 1, 1, 1, 0]]));
    assert_eq!(ann["area"], json!(1));
}

/// A project keeps where each task came from: relative image paths resolve against the
/// imported file's directory, not the directory the export runs in.
#[test]
fn project_export_resolves_relative_paths_against_the_import() {
    let c = Case::new(
        BOXES,
        json!([task(
            1,
            "pics/p.png",
            vec![rect("r", 10.0, 50.0, Some((40, 20)))]
        )]),
    );
    png(&c.path("pics/p.png"), 40, 20, png::ColorType::Rgb);
    let db = c.path("proj.db");
    let init = bin()
        .args(["init"])
        .arg(&db)
        .args(["--label-config"])
        .arg(c.path("config.xml"))
        .args(["--input-path"])
        .arg(c.path("tasks.json"))
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let elsewhere = tempfile::tempdir().unwrap();
    let out = bin()
        .current_dir(elsewhere.path())
        .arg("export")
        .arg(&db)
        .args(["--export-type", "COCO_WITH_IMAGES", "--export-path", "out"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_str(
        &std::fs::read_to_string(elsewhere.path().join("out/result.json")).unwrap(),
    )
    .unwrap();
    let name = format!("images/{}__p.png", md5_8("pics/p.png"));
    assert_eq!(r["images"][0]["file_name"], json!(name));
    assert_eq!(r["images"][0]["width"], json!(40));
    assert!(elsewhere.path().join("out").join(&name).is_file());
}

/// Serves `files` (name → bytes) on a free loopback port for `n` requests.
fn serve(files: Vec<(&'static str, Vec<u8>)>, n: usize) -> (u16, std::thread::JoinHandle<()>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        for conn in listener.incoming().take(n) {
            let mut conn = conn.unwrap();
            let mut r = BufReader::new(conn.try_clone().unwrap());
            let mut req = String::new();
            r.read_line(&mut req).unwrap();
            loop {
                let mut l = String::new();
                if r.read_line(&mut l).unwrap() == 0 || l == "\r\n" {
                    break;
                }
            }
            let path = req
                .split_whitespace()
                .nth(1)
                .unwrap_or("")
                .trim_start_matches('/');
            match files.iter().find(|(name, _)| *name == path) {
                Some((_, body)) => {
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    conn.write_all(head.as_bytes()).unwrap();
                    conn.write_all(body).unwrap();
                }
                None => conn
                    .write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    )
                    .unwrap(),
            }
        }
    });
    (port, handle)
}

/// With --download-resources images are fetched into images/ under the converter's cache
/// name and their real size is used; an image that cannot be fetched keeps its URL as
/// `file_name` (as the converter does) and the size comes from the regions.
#[test]
fn downloads_and_failed_downloads() {
    let scratch = tempfile::tempdir().unwrap();
    png(&scratch.path().join("ok.png"), 30, 20, png::ColorType::Rgb);
    let bytes = std::fs::read(scratch.path().join("ok.png")).unwrap();
    let (port, server) = serve(vec![("ok.png", bytes.clone())], 2);
    let ok = format!("http://127.0.0.1:{port}/ok.png");
    let gone = format!("http://127.0.0.1:{port}/gone.png");
    let c = Case::new(
        BOXES,
        json!([
            task(1, &ok, vec![rect("r", 1.0, 2.0, Some((99, 99)))]),
            task(2, &gone, vec![rect("s", 1.0, 2.0, Some((50, 40)))]),
        ]),
    );
    c.ok("COCO_WITH_IMAGES", &["--download-resources"]);
    server.join().unwrap();
    let r = c.json("COCO_WITH_IMAGES/result.json");
    let name = format!("images/{}__ok.png", md5_8(&ok));
    assert_eq!(r["images"][0]["file_name"], json!(name));
    assert_eq!(
        (
            r["images"][0]["width"].clone(),
            r["images"][0]["height"].clone()
        ),
        (json!(30), json!(20))
    );
    assert_eq!(
        std::fs::read(c.path("COCO_WITH_IMAGES").join(&name)).unwrap(),
        bytes
    );
    assert_eq!(r["images"][1]["file_name"], json!(gone));
    assert_eq!(r["images"][1]["width"], json!(50));
    let files: Vec<_> = std::fs::read_dir(c.path("COCO_WITH_IMAGES/images"))
        .unwrap()
        .collect();
    assert_eq!(files.len(), 1, "no partial download left behind");
}

/// File contents are copied into an export only from the directories the user pointed at:
/// a path that leaves the task file's directory (by `..`, an absolute path or a link) keeps
/// its name as written and is not copied.
#[test]
fn with_images_copies_nothing_from_outside() {
    let outside = tempfile::tempdir().unwrap();
    png(
        &outside.path().join("secret.png"),
        5,
        5,
        png::ColorType::Rgb,
    );
    let abs = outside
        .path()
        .join("secret.png")
        .to_string_lossy()
        .into_owned();
    let c = Case::new(BOXES, json!([]));
    std::os::unix::fs::symlink(outside.path().join("secret.png"), c.path("link.png")).unwrap();
    let rel = format!(
        "../{}/secret.png",
        outside.path().file_name().unwrap().to_string_lossy()
    );
    let r = vec![rect("r", 1.0, 2.0, Some((10, 10)))];
    std::fs::write(
        c.path("tasks.json"),
        json!([
            task(1, &abs, r.clone()),
            task(2, "link.png", r.clone()),
            task(3, &rel, r)
        ])
        .to_string(),
    )
    .unwrap();
    c.ok("COCO_WITH_IMAGES", &[]);
    let out = c.json("COCO_WITH_IMAGES/result.json");
    let names: Vec<&str> = out["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["file_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, [abs.as_str(), "link.png", rel.as_str()]);
    assert_eq!(
        std::fs::read_dir(c.path("COCO_WITH_IMAGES/images"))
            .unwrap()
            .count(),
        0
    );
}

/// Cloud URIs need a Label Studio server: YOLO keeps the URI's name, YOLO_WITH_IMAGES
/// leaves the task out rather than write labels without an image (as the converter).
#[test]
fn cloud_uris() {
    let c = Case::new(
        BOXES,
        json!([task(
            1,
            "s3://bucket/dir/a.png",
            vec![rect("r", 1.0, 2.0, Some((10, 10)))]
        )]),
    );
    c.ok("YOLO", &[]);
    assert!(c.path("YOLO/labels/a.txt").is_file());
    c.ok("YOLO_WITH_IMAGES", &["--download-resources"]);
    assert_eq!(
        std::fs::read_dir(c.path("YOLO_WITH_IMAGES/labels"))
            .unwrap()
            .count(),
        0
    );
    c.ok("COCO", &[]);
    assert_eq!(
        c.json("COCO/result.json")["images"][0]["file_name"],
        json!("s3://bucket/dir/a.png")
    );
}
