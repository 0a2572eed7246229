//! The table formats read from files made by pyarrow, pandas and Hugging Face `datasets`
//! (`scripts/make_table_fixtures.py`), checked value by value.

use super::*;
use crate::task::TaskItem;

struct Collect(Vec<TaskItem>);

impl TaskSink for Collect {
    fn begin(&mut self, _: &str, _: InputFormat, _: Option<&Path>) -> Result<()> {
        Ok(())
    }
    fn tasks(&mut self, batch: Vec<TaskItem>) -> Result<()> {
        self.0.extend(batch);
        Ok(())
    }
    fn end(&mut self, _: &str, _: u64, _: &[String]) -> Result<()> {
        Ok(())
    }
}

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/tables/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// The data key the config of a fixture shows (one without nulls: Label Studio refuses a
/// null where the config shows a value).
fn shown_key(name: &str) -> &'static str {
    if name.starts_with("reviews.x") || name.starts_with("reviews.o") || name == "hf_text" {
        "text"
    } else if name == "hf_images" {
        "image"
    } else {
        "review_id"
    }
}

fn read(name: &str, opts: ImportOptions) -> Result<(Vec<Value>, ImportReport)> {
    let key = shown_key(name);
    let config =
        LabelConfig::parse(&format!(r#"<View><Text name="t" value="${key}"/></View>"#)).unwrap();
    let mut sink = Collect(Vec::new());
    let report = read_sources(&config, &[fixture(name)], &opts, &mut sink)?;
    let data = sink
        .0
        .iter()
        .map(|t| serde_json::from_str(&t.data).unwrap())
        .collect();
    Ok((data, report))
}

fn rows(name: &str) -> Vec<Value> {
    read(name, ImportOptions::default()).unwrap().0
}

/// What every file of the pyarrow table must give: types kept, nested values as JSON.
fn assert_reviews(name: &str, data: &[Value]) {
    assert_eq!(data.len(), 4, "{name}");
    assert_eq!(
        data[0],
        serde_json::json!({
            "review_id": 101,
            "text": "Battery lasts two days",
            "rating": 4.5,
            "verified": true,
            "tags": ["battery"],
            "meta": {"lang": "en", "votes": 3},
            "posted": "2024-05-01T12:30:00",
            "store": "web",
        }),
        "{name}"
    );
    // Nulls stay null, empty lists stay lists, and text is kept exactly.
    assert_eq!(data[2]["text"], Value::Null, "{name}");
    assert_eq!(data[2]["tags"], serde_json::json!([]), "{name}");
    assert_eq!(data[2]["meta"], Value::Null, "{name}");
    assert_eq!(data[3]["rating"], Value::Null, "{name}");
    assert_eq!(
        data[3]["text"], "\u{e9}t\u{e9} \u{6f22}\u{5b57} \u{1F600}",
        "{name}"
    );
    assert_eq!(data[3]["posted"], "2024-06-30T23:59:59", "{name}");
    // Key order is the column order.
    let keys: Vec<&String> = data[1].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "review_id",
            "text",
            "rating",
            "verified",
            "tags",
            "meta",
            "posted",
            "store"
        ],
        "{name}"
    );
}

#[test]
fn parquet_feather_and_arrow_streams_keep_column_types() {
    for name in [
        "reviews.parquet",
        "reviews_parts",
        "reviews.feather",
        "reviews.arrows",
    ] {
        assert_reviews(name, &rows(name));
    }
}

#[test]
fn the_formats_are_told_by_extension_and_by_directory_content() {
    let d = |n: &str| detect(Path::new(&fixture(n)), n, None).unwrap();
    assert_eq!(d("reviews.parquet"), InputFormat::Parquet);
    assert_eq!(d("reviews_parts"), InputFormat::Parquet);
    assert_eq!(d("reviews.feather"), InputFormat::Arrow);
    assert_eq!(d("reviews.xlsx"), InputFormat::Excel);
    assert_eq!(d("reviews.ods"), InputFormat::Excel);
    assert_eq!(d("reviews.xls"), InputFormat::Excel);
    assert_eq!(d("hf_text"), InputFormat::HfDataset);
    assert_eq!(d("hf_text/train"), InputFormat::HfDataset);
}

#[test]
fn spreadsheets_read_the_first_sheet_with_types() {
    for name in ["reviews.xlsx", "reviews.ods", "reviews.xls"] {
        let data = rows(name);
        assert_eq!(data.len(), 3, "{name}");
        assert_eq!(
            data[0],
            serde_json::json!({
                "text": "Great phone", "score": 5, "zip": "007", "checked": true, "when": "2024-01-05",
            }),
            "{name}"
        );
        assert_eq!(data[2]["score"], 3.5, "{name}");
        if name != "reviews.xls" {
            // xlwt writes the cell with a date-only format; the others keep the time.
            assert_eq!(data[1]["when"], "2024-01-06T08:15:00", "{name}");
        }
    }
}

#[test]
fn a_sheet_is_chosen_by_name_or_index_and_a_wrong_one_is_named() {
    for sheet in ["Other", "1"] {
        let opts = ImportOptions {
            sheet: Some(sheet.into()),
            ..Default::default()
        };
        let (data, _) = read("reviews.xlsx", opts).unwrap();
        assert_eq!(data, [serde_json::json!({"text": "second sheet", "n": 1})]);
    }
    let opts = ImportOptions {
        sheet: Some("Summary".into()),
        ..Default::default()
    };
    let e = read("reviews.xlsx", opts).unwrap_err().to_string();
    assert!(
        e.contains("reviews.xlsx")
            && e.contains(r#"no sheet "Summary""#)
            && e.contains(r#"0: "Reviews""#),
        "{e}"
    );
}

#[test]
fn hugging_face_datasets_read_every_split_or_the_chosen_ones() {
    let all = rows("hf_text");
    let texts: Vec<&str> = all.iter().map(|d| d["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["first train", "second train", "only test"]);
    assert_eq!(all[0]["label"], 1);
    let opts = ImportOptions {
        splits: vec!["test".into()],
        ..Default::default()
    };
    assert_eq!(
        read("hf_text", opts).unwrap().0,
        [serde_json::json!({"text": "only test", "label": 1})]
    );
    let opts = ImportOptions {
        splits: vec!["validation".into()],
        ..Default::default()
    };
    let e = read("hf_text", opts).unwrap_err().to_string();
    assert!(
        e.contains(r#"no split "validation"; the dataset has train, test"#),
        "{e}"
    );
}

#[test]
fn hugging_face_images_become_data_urls_the_annotator_can_show() {
    let data = rows("hf_images");
    assert_eq!(data.len(), 2);
    let url = data[0]["image"].as_str().unwrap();
    assert!(
        url.starts_with("data:image/png;base64,iVBORw0KGgo"),
        "{url}"
    );
    assert_eq!(data[1]["label"], 1);
}

#[test]
fn a_damaged_table_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(fixture("reviews.parquet")).unwrap();
    for (name, content) in [
        ("cut.parquet", &bytes[..bytes.len() / 2]),
        ("text.parquet", &b"review_id,text\n1,a\n"[..]),
        ("empty.feather", &b""[..]),
        ("junk.xlsx", &b"PK\x03\x04 not a workbook"[..]),
    ] {
        let p = dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        let config = LabelConfig::parse(r#"<View><Text name="t" value="$text"/></View>"#).unwrap();
        let e = read_sources(
            &config,
            &[p.display().to_string()],
            &ImportOptions::default(),
            &mut Collect(Vec::new()),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains(name), "{name}: {e}");
    }
}

#[test]
fn media_types_are_read_from_signatures() {
    use super::arrow_rows::media_type;
    assert_eq!(media_type(b"\x89PNG\r\n\x1a\n...."), "image/png");
    assert_eq!(media_type(b"\xff\xd8\xff\xe0"), "image/jpeg");
    assert_eq!(media_type(b"RIFF\0\0\0\0WAVEfmt "), "audio/wav");
    assert_eq!(media_type(b"fLaC"), "audio/flac");
    assert_eq!(media_type(b"hello"), "application/octet-stream");
}

#[test]
fn a_decoder_panic_becomes_a_problem_naming_the_file() {
    let r = super::arrow_rows::guarded("broken.parquet", || panic!("index out of bounds"));
    let p = r.unwrap_err();
    assert_eq!(p.location.file, "broken.parquet");
    assert!(
        p.message.contains("damaged") && p.message.contains("index out of bounds"),
        "{}",
        p.message
    );
}

/// Damaged copies of every table fixture (cut short, bytes flipped) give an error or
/// tasks, never a crash.
#[test]
fn damaged_table_files_never_crash_the_import() {
    let dir = tempfile::tempdir().unwrap();
    let config = LabelConfig::parse(r#"<View><Text name="t" value="$review_id"/></View>"#).unwrap();
    for name in [
        "reviews.parquet",
        "reviews.feather",
        "reviews.arrows",
        "reviews.xlsx",
        "reviews.ods",
        "reviews.xls",
    ] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        let ext = name.rsplit('.').next().unwrap();
        let mut variants: Vec<Vec<u8>> = Vec::new();
        for i in 1..24 {
            variants.push(bytes[..bytes.len() * i / 24].to_vec());
            let mut flipped = bytes.clone();
            let at = (bytes.len() * i / 24 + 7 * i) % bytes.len();
            flipped[at] ^= 0x5a;
            flipped[(at * 31 + 11) % bytes.len()] = 0xff;
            variants.push(flipped);
        }
        for (n, v) in variants.iter().enumerate() {
            let p = dir.path().join(format!("v{n}.{ext}"));
            std::fs::write(&p, v).unwrap();
            let shown = p.display().to_string();
            if let Err(e) = read_sources(
                &config,
                std::slice::from_ref(&shown),
                &ImportOptions::default(),
                &mut Collect(Vec::new()),
            ) {
                assert!(
                    e.to_string().contains(&format!("v{n}.{ext}")),
                    "{name} {n}: {e}"
                );
            }
        }
    }
}
