//! Export benchmark. Builds (once, cached in `bench-data/`) three projects from generated
//! tasks and times every format each project supports, reading from SQLite:
//! - `text`: text classification (a Choices control, plus a Labels control so CONLL2003
//!   applies), one prediction and one annotation per task — 1,000,000 tasks;
//! - `ner`: spans on text with a prediction and an annotation — 100,000 tasks;
//! - `image`: rectangles on images with a prediction and an annotation — 100,000 tasks.
//!
//! `cargo bench --bench export` runs all three; `-- text=200000 ner=50000` picks projects and
//! sizes; `-- --prepare text=100000` only builds the projects (used by
//! `scripts/compare_converter.py`); `-- --repeat 3` runs each format several times;
//! `-- --format CSV` times one format.

mod common;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use common::{Rng, sentence};
use labelterm::config::LabelConfig;
use labelterm::export::{ExportContext, ExportOptions, ProjectSource, run, supported_formats};
use labelterm::import::{ImportOptions, import_into_store};
use labelterm::store::{Project, Sampling, Store};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

const TEXT_CONFIG: &str = r#"<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" choice="single">
    <Choice value="Positive"/>
    <Choice value="Negative"/>
    <Choice value="Neutral"/>
  </Choices>
  <Labels name="aspect" toName="text">
    <Label value="Product"/>
    <Label value="Service"/>
  </Labels>
</View>"#;

const NER_CONFIG: &str = r#"<View>
  <Labels name="label" toName="text">
    <Label value="PER"/>
    <Label value="ORG"/>
    <Label value="LOC"/>
    <Label value="MISC"/>
  </Labels>
  <Text name="text" value="$text"/>
</View>"#;

const IMAGE_CONFIG: &str = r#"<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="label" toName="image">
    <Label value="Car"/>
    <Label value="Person"/>
    <Label value="Bike"/>
  </RectangleLabels>
</View>"#;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Text,
    Ner,
    Image,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Ner => "ner",
            Kind::Image => "image",
        }
    }
    fn config(self) -> &'static str {
        match self {
            Kind::Text => TEXT_CONFIG,
            Kind::Ner => NER_CONFIG,
            Kind::Image => IMAGE_CONFIG,
        }
    }
}

const NAMES: &[&str] = &[
    "Anna Berg",
    "Tokyo",
    "Acme Corp",
    "São Paulo",
    "Müller GmbH",
    "Jean-Luc",
    "New York",
];

fn annotation(i: usize, result: &str) -> String {
    format!(
        r#"{{"completed_by": {{"id": {u}, "email": "annotator{u}@example.com"}}, "lead_time": {lt}, "created_at": "2024-01-{d:02}T10:00:00.000000Z", "updated_at": "2024-01-{d:02}T10:00:00.000000Z", "result": [{result}]}}"#,
        u = i % 5 + 1,
        lt = (i % 97) as f64 / 4.0,
        d = i % 28 + 1,
    )
}

/// Writes `n` tasks of a kind as a Label Studio JSON list.
fn write_tasks(kind: Kind, path: &Path, n: usize) -> std::io::Result<()> {
    let mut rng = Rng::new(42);
    let f = std::fs::File::create(path)?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
    w.write_all(b"[\n")?;
    for i in 0..n {
        if i > 0 {
            w.write_all(b",\n")?;
        }
        let score = (rng.next_u64() % 1000) as f64 / 1000.0;
        match kind {
            Kind::Text => {
                let text = sentence(&mut rng, 28);
                let labels = ["Positive", "Negative", "Neutral"];
                let p = labels[(rng.next_u64() % 3) as usize];
                let a = labels[(rng.next_u64() % 3) as usize];
                let choice = |l: &str| {
                    format!(
                        r#"{{"id": "c{i}", "from_name": "sentiment", "to_name": "text", "type": "choices", "value": {{"choices": ["{l}"]}}}}"#
                    )
                };
                let end = text.find(' ').unwrap_or(text.len());
                let span = format!(
                    r#"{{"id": "s{i}", "from_name": "aspect", "to_name": "text", "type": "labels", "value": {{"start": 0, "end": {end}, "text": "{}", "labels": ["Product"]}}}}"#,
                    &text[..end]
                );
                write!(
                    w,
                    r#"{{"data": {{"text": "{text}", "review_id": "r{i:07}"}}, "predictions": [{{"model_version": "bench-v1", "score": {score}, "result": [{}]}}], "annotations": [{}]}}"#,
                    choice(p),
                    annotation(i, &format!("{}, {span}", choice(a)))
                )?;
            }
            Kind::Ner => {
                let a = NAMES[(rng.next_u64() % NAMES.len() as u64) as usize];
                let b = NAMES[(rng.next_u64() % NAMES.len() as u64) as usize];
                let mid = sentence(&mut rng, 12);
                let text = format!("{a} met {b}: {mid}, at 10:30 (report #{i}).");
                let chars = |s: &str| s.chars().count();
                let b_start = chars(a) + 5;
                let spans = format!(
                    r#"{{"id": "a{i}", "from_name": "label", "to_name": "text", "type": "labels", "value": {{"start": 0, "end": {}, "text": "{a}", "labels": ["PER"]}}}}, {{"id": "b{i}", "from_name": "label", "to_name": "text", "type": "labels", "value": {{"start": {b_start}, "end": {}, "text": "{b}", "labels": ["ORG"]}}}}"#,
                    chars(a),
                    b_start + chars(b)
                );
                write!(
                    w,
                    r#"{{"data": {{"text": "{text}"}}, "predictions": [{{"model_version": "ner-v1", "score": {score}, "result": [{spans}]}}], "annotations": [{}]}}"#,
                    annotation(i, &spans)
                )?;
            }
            Kind::Image => {
                let labels = ["Car", "Person", "Bike"];
                let mut regions = Vec::new();
                for r in 0..3 {
                    let x = (rng.next_u64() % 6000) as f64 / 100.0;
                    let y = (rng.next_u64() % 6000) as f64 / 100.0;
                    let wd = (rng.next_u64() % 3000) as f64 / 100.0 + 1.0;
                    let ht = (rng.next_u64() % 3000) as f64 / 100.0 + 1.0;
                    let l = labels[(rng.next_u64() % 3) as usize];
                    regions.push(format!(
                        r#"{{"id": "r{i}_{r}", "from_name": "label", "to_name": "image", "type": "rectanglelabels", "original_width": 640, "original_height": 480, "image_rotation": 0, "value": {{"x": {x}, "y": {y}, "width": {wd}, "height": {ht}, "rotation": 0, "rectanglelabels": ["{l}"]}}}}"#
                    ));
                }
                let regions = regions.join(", ");
                write!(
                    w,
                    r#"{{"data": {{"image": "/data/upload/1/img{i:07}.jpg"}}, "predictions": [{{"model_version": "det-v1", "score": {score}, "result": [{regions}]}}], "annotations": [{}]}}"#,
                    annotation(i, &regions)
                )?;
            }
        }
    }
    w.write_all(b"\n]\n")?;
    w.flush()
}

/// The project of a kind and size, built once.
fn project(kind: Kind, n: usize) -> PathBuf {
    let dir = common::bench_dir();
    let db = dir.join(format!("export-{}-{n}.db", kind.name()));
    if db.exists() {
        return db;
    }
    let tasks = dir.join(format!("export-{}-{n}.json", kind.name()));
    let start = Instant::now();
    write_tasks(kind, &tasks, n).expect("generate tasks");
    let config = LabelConfig::parse(kind.config()).expect("config");
    let tmp = dir.join(format!(".export-{}-{n}.db.tmp", kind.name()));
    let _ = std::fs::remove_file(&tmp);
    let mut store = Store::create(
        &tmp,
        &Project {
            title: format!("bench {}", kind.name()),
            label_config: config.source.clone(),
            sampling: Sampling::Sequential,
            model_version: None,
            created_at: labelterm::util::now(),
        },
    )
    .expect("store");
    import_into_store(
        &mut store,
        &config,
        &[tasks.display().to_string()],
        &ImportOptions::default(),
        "bench",
    )
    .expect("import");
    drop(store);
    std::fs::rename(&tmp, &db).expect("project in place");
    let _ = std::fs::remove_file(&tasks);
    eprintln!(
        "built {} ({n} tasks) in {:.1} s",
        db.display(),
        start.elapsed().as_secs_f64()
    );
    db
}

fn dir_size(p: &Path) -> u64 {
    if p.is_file() {
        return std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    }
    std::fs::read_dir(p)
        .map(|rd| rd.flatten().map(|e| dir_size(&e.path())).sum())
        .unwrap_or(0)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let mut prepare_only = false;
    // `--format JSON_MIN` times one format only.
    let mut only: Option<String> = None;
    let mut repeat = 1;
    let mut wanted: Vec<(Kind, usize)> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--prepare" => prepare_only = true,
            "--repeat" => repeat = args.next().and_then(|r| r.parse().ok()).unwrap_or(1),
            "--bench" => {}
            "--format" => only = args.next(),
            other => {
                if let Some((k, n)) = other.split_once('=') {
                    let kind = match k {
                        "text" => Kind::Text,
                        "ner" => Kind::Ner,
                        "image" => Kind::Image,
                        _ => panic!("unknown project kind {k}"),
                    };
                    wanted.push((kind, n.replace('_', "").parse().expect("task count")));
                }
            }
        }
    }
    if wanted.is_empty() {
        wanted = vec![
            (Kind::Text, 1_000_000),
            (Kind::Ner, 100_000),
            (Kind::Image, 100_000),
        ];
    }
    for &(kind, n) in &wanted {
        let db = project(kind, n);
        println!("{}", db.display());
        if prepare_only {
            continue;
        }
        let store = Store::open(&db).expect("open project");
        let config = LabelConfig::parse(kind.config()).expect("config");
        let opts = ExportOptions::default();
        let out_root = common::bench_dir().join("export-out");
        let _ = std::fs::remove_dir_all(&out_root);
        std::fs::create_dir_all(&out_root).expect("output dir");
        println!(
            "{:<6} {:>9}  {:<22} {:>8} {:>8}  {:>9}  {:>10}",
            "project", "tasks", "format", "min s", "median s", "MB out", "peak MiB"
        );
        for format in supported_formats(&config) {
            if only.as_deref().is_some_and(|o| o != format.name()) {
                continue;
            }
            let mut times = Vec::new();
            let mut peak: f64 = 0.0;
            let mut size = 0;
            for _ in 0..repeat {
                let out = out_root.join(format.name());
                let _ = std::fs::remove_dir_all(&out);
                common::reset_peak_rss();
                let start = Instant::now();
                let ctx = ExportContext {
                    config: &config,
                    options: &opts,
                    input_file: None,
                };
                let mut source = ProjectSource::new(&store, &opts);
                run(format, &ctx, &mut source, &out).expect("export");
                times.push(start.elapsed().as_secs_f64());
                peak = peak.max(common::peak_rss_mib());
                size = dir_size(&out);
                let _ = std::fs::remove_dir_all(&out);
            }
            let min = times.iter().cloned().fold(f64::INFINITY, f64::min);
            println!(
                "{:<6} {:>9}  {:<22} {:>8.2} {:>8.2}  {:>9.1}  {:>10.1}",
                kind.name(),
                n,
                format.name(),
                min,
                median(&mut times),
                size as f64 / 1e6,
                peak
            );
        }
    }
}
