use super::*;
use serde_json::json;

const IMAGE: &str = r#"<View>
  <Image name="img" value="$image"/>
  <Text name="caption" value="$caption"/>
  <Choices name="c" toName="img"><Choice value="A"/></Choices>
</View>"#;

fn config(xml: &str) -> LabelConfig {
    LabelConfig::parse(xml).unwrap()
}

fn task(id: i64, data: Value, base_dir: Option<&Path>) -> PushTask {
    PushTask {
        id,
        data: data.to_string(),
        meta: "{}".into(),
        base_dir: base_dir.map(|p| p.display().to_string()),
        annotations: Vec::new(),
        predictions: Vec::new(),
    }
}

/// A folder layout: `root` (the document root) holding the import folder `root/ds` with
/// `img/a.png` and `img/b.png`, a file directly in `root`, and outside `root` a file in
/// `outside/` and one in `other/` (an allowed folder).
struct Layout {
    _dir: tempfile::TempDir,
    base: PathBuf,
    root: PathBuf,
    import: PathBuf,
}

fn layout() -> Layout {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().canonicalize().unwrap();
    let root = base.join("root");
    let import = root.join("ds");
    std::fs::create_dir_all(import.join("img")).unwrap();
    std::fs::create_dir_all(base.join("outside")).unwrap();
    std::fs::create_dir_all(base.join("other")).unwrap();
    for f in [
        import.join("img/a.png"),
        import.join("img/b c.png"),
        root.join("top.png"),
        base.join("outside/secret.png"),
        base.join("other/o.png"),
        import.join("img/notes.exe"),
    ] {
        std::fs::write(&f, b"\x89PNG").unwrap();
    }
    Layout {
        _dir: dir,
        base,
        root,
        import,
    }
}

fn sender(method: MediaMethod, l: &Layout, roots: Roots) -> Sender {
    let doc = (method == MediaMethod::File).then(|| DocumentRoot::new(&l.root).unwrap());
    Sender::new(method, &config(IMAGE), roots, doc, 7)
        .unwrap()
        .unwrap()
}

/// The tasks' data as `--media file` sends them, or the values that cannot go.
fn as_file_urls(s: &Sender, mut tasks: Vec<PushTask>) -> Result<Vec<Value>, Vec<Problem>> {
    let plans = s.plan(&tasks)?;
    let urls = plans
        .into_iter()
        .map(|(k, p)| match p {
            Planned::LocalFile(rel) => (k, local_files_url(&rel)),
            Planned::Upload(_) => panic!("no uploads under file"),
        })
        .collect();
    s.rewrite(&mut tasks, &urls);
    Ok(tasks
        .iter()
        .map(|t| serde_json::from_str(&t.data).unwrap())
        .collect())
}

fn reasons(problems: &[Problem]) -> Vec<(i64, String, String)> {
    problems
        .iter()
        .map(|p| (p.task, p.field.clone(), p.reason.clone()))
        .collect()
}

#[test]
fn media_keys_are_the_values_of_media_objects_and_url_valued_text() {
    let c = config(
        r#"<View>
      <Image name="i" value="$image" valueList="$pages"/>
      <Text name="t" value="$text"/>
      <HyperText name="h" value="$page" valueType="url"/>
      <Text name="u" value="$doc" valueType="url"/>
      <Audio name="a" value="$audio"/>
      <TimeSeries name="ts" value="$ts" valueType="json"><Channel column="v"/></TimeSeries>
      <TimeSeries name="tu" value="$csv"><Channel column="v"/></TimeSeries>
      <Video name="v" value="$item.url"/>
      <Header value="$title"/>
      <Choices name="c" toName="t"><Choice value="A"/></Choices>
    </View>"#,
    );
    assert_eq!(
        media_keys(&c),
        vec!["image", "pages", "page", "doc", "audio", "csv"]
    );
    assert!(media_keys(&config(CONFIG_TEXT)).is_empty());
}

const CONFIG_TEXT: &str = r#"<View><Text name="t" value="$text"/>
  <Choices name="c" toName="t"><Choice value="A"/></Choices></View>"#;

#[test]
fn urls_go_as_they_are_and_paths_are_local() {
    for v in [
        "http://example.com/a.png",
        "HTTPS://example.com/a.png",
        "s3://bucket/a.png",
        "gs://bucket/a.png",
        "azure-blob://c/a.png",
        "ftp://host/a.png",
        "data:image/png;base64,iVBORw0KGgo=",
        "/data/upload/3/abcd-a.png",
        "",
        "  ",
    ] {
        assert_eq!(form(v), Form::AsIs, "{v}");
    }
    for v in [
        "/data/local-files/?d=ds/img/a.png",
        "/data/local-files?d=ds/a.png",
    ] {
        assert_eq!(form(v), Form::LocalFiles, "{v}");
    }
    for v in [
        "img/a.png",
        "/abs/a.png",
        "../a.png",
        "file:///abs/a.png",
        "file:img/a.png",
        "a:b.png",
        "://x",
    ] {
        assert_eq!(form(v), Form::Local, "{v}");
    }
}

#[test]
fn local_files_urls_quote_as_label_studio_does() {
    assert_eq!(
        local_files_url("ds/img/a b+é&x=1.png"),
        "/data/local-files/?d=ds/img/a%20b%2B%C3%A9%26x%3D1.png"
    );
    assert_eq!(quote_path("a-b_c.d~e/f"), "a-b_c.d~e/f");
}

#[test]
fn storages_cover_folders_as_label_studio_checks_them() {
    assert!(covers("/r/ds", "/r/ds"));
    assert!(covers("/r/ds/", "/r/ds/img"));
    assert!(!covers("/r/ds", "/r/ds-private"));
    assert!(!covers("/r/ds/img", "/r/ds"));
    assert_eq!(
        storage_folders(&[
            "a/b/c".into(),
            "a/b/d/e".into(),
            "x/y".into(),
            "a/b/c".into()
        ]),
        vec!["a/b".to_string(), "x/y".to_string()]
    );
    assert_eq!(
        storage_folders(&["a/b/c".into()]),
        vec!["a/b/c".to_string()]
    );
    assert_eq!(
        storage_folders(&["a/b".into(), "a/c".into()]),
        vec!["a".to_string()]
    );
    assert!(storage_folders(&[]).is_empty());
}

#[test]
fn a_document_root_is_an_existing_folder_other_than_slash() {
    let l = layout();
    assert!(DocumentRoot::new(&l.root).is_ok());
    for (p, says) in [
        (PathBuf::from("/"), "every file of the machine"),
        (l.base.join("missing"), "cannot be read"),
        (l.root.join("top.png"), "not a folder"),
    ] {
        let e = DocumentRoot::new(&p).unwrap_err().to_string();
        assert!(e.contains(says), "{e}");
        assert!(e.contains(&p.display().to_string()), "{e}");
    }
    // Given with `..`: the server is told the path made plain, not its links resolved.
    let d = DocumentRoot::new(&l.import.join("..")).unwrap();
    assert_eq!(d.given, l.root);
    assert_eq!(
        d.server_path("ds/img"),
        l.root.join("ds/img").display().to_string()
    );
}

#[test]
fn file_sends_local_paths_as_local_files_urls_below_the_document_root() {
    let l = layout();
    let s = sender(MediaMethod::File, &l, Roots::default());
    let abs = l.import.join("img/a.png").display().to_string();
    let tasks = vec![
        task(
            1,
            json!({"image": "img/a.png", "caption": "img/a.png"}),
            Some(&l.import),
        ),
        task(2, json!({"image": abs}), None),
        task(
            3,
            json!({"image": "/data/local-files/?d=ds/img/b%20c.png"}),
            None,
        ),
        task(4, json!({"image": format!("file://{abs}")}), None),
        task(
            5,
            json!({"image": "https://example.com/x.png", "caption": "text"}),
            None,
        ),
        task(
            6,
            json!({"image": ["img/a.png", "img/b c.png"]}),
            Some(&l.import),
        ),
        task(
            7,
            json!({"image": 3, "other": "img/a.png"}),
            Some(&l.import),
        ),
    ];
    let out = as_file_urls(&s, tasks).unwrap();
    let a = "/data/local-files/?d=ds/img/a.png";
    let b = "/data/local-files/?d=ds/img/b%20c.png";
    assert_eq!(out[0], json!({"image": a, "caption": "img/a.png"}));
    assert_eq!(out[1], json!({"image": a}));
    assert_eq!(out[2], json!({"image": b}));
    assert_eq!(out[3], json!({"image": a}));
    assert_eq!(
        out[4],
        json!({"image": "https://example.com/x.png", "caption": "text"})
    );
    assert_eq!(out[5], json!({"image": [a, b]}));
    assert_eq!(out[6], json!({"image": 3, "other": "img/a.png"}));
    // The folders that need a storage.
    let tasks = vec![task(1, json!({"image": "img/a.png"}), Some(&l.import))];
    let plans = s.plan(&tasks).unwrap();
    let dirs: Vec<String> = plans.values().filter_map(folder_of).collect();
    assert_eq!(dirs, vec!["ds/img".to_string()]);
}

#[test]
fn file_refuses_what_lies_outside_the_roots_or_the_document_root() {
    let l = layout();
    std::os::unix::fs::symlink(
        l.base.join("outside/secret.png"),
        l.import.join("img/link.png"),
    )
    .unwrap();
    std::os::unix::fs::symlink(l.base.join("other/o.png"), l.import.join("img/other.png")).unwrap();
    let s = sender(
        MediaMethod::File,
        &l,
        Roots {
            allow: vec![l.base.join("other")],
            ..Roots::default()
        },
    );
    let secret = l.base.join("outside/secret.png").display().to_string();
    let tasks = vec![
        task(
            1,
            json!({"image": "../../outside/secret.png"}),
            Some(&l.import),
        ),
        task(2, json!({"image": secret}), Some(&l.import)),
        task(3, json!({"image": "img/link.png"}), Some(&l.import)),
        task(
            4,
            json!({"image": "/data/local-files/?d=../outside/secret.png"}),
            None,
        ),
        task(5, json!({"image": "../top.png"}), Some(&l.import)),
        task(
            6,
            json!({"image": l.base.join("other/o.png").display().to_string()}),
            None,
        ),
        task(7, json!({"image": "img/other.png"}), Some(&l.import)),
        task(8, json!({"image": "img/missing.png"}), Some(&l.import)),
        task(9, json!({"image": "img/a.png"}), Some(&l.import)),
    ];
    let problems = as_file_urls(&s, tasks).unwrap_err();
    let outside_roots = "refused, outside the allowed roots".to_string();
    let got = reasons(&problems);
    assert_eq!(got.len(), 8, "{got:?}");
    for (i, id) in [1, 2, 3, 4].into_iter().enumerate() {
        assert_eq!(got[i], (id, "image".into(), outside_roots.clone()));
    }
    assert!(
        got[4].2.starts_with("directly in the document root"),
        "{got:?}"
    );
    // Allowed, but the server could not serve it: not below its document root.
    assert!(got[5].2.starts_with("outside the document root"), "{got:?}");
    assert!(got[6].2.starts_with("outside the document root"), "{got:?}");
    assert_eq!(got[7].2, "not found in the allowed roots");
    // Messages name task, field and file.
    let e = MediaError::Values(problems).to_string();
    assert!(
        e.starts_with("8 media value(s) cannot go to the server"),
        "{e}"
    );
    assert!(
        e.contains(
            "task 1, field image, file \"../../outside/secret.png\": refused, outside the allowed roots"
        ),
        "{e}"
    );
}

#[test]
fn post_uploads_confined_files_of_a_kind_label_studio_takes() {
    let l = layout();
    let s = sender(MediaMethod::Post, &l, Roots::default());
    let tasks = vec![
        task(
            1,
            json!({"image": "img/a.png", "caption": "x"}),
            Some(&l.import),
        ),
        task(
            2,
            json!({"image": "/data/local-files/?d=ds/img/a.png"}),
            None,
        ),
        task(3, json!({"image": "/data/upload/1/x.png"}), None),
        task(4, json!({"image": "http://example.com/a.png"}), None),
    ];
    let plans = s.plan(&tasks).unwrap();
    assert_eq!(plans.len(), 1);
    assert_eq!(
        plans[&(1, "img/a.png".to_string())],
        Planned::Upload(l.import.join("img/a.png"))
    );
    std::os::unix::fs::symlink(
        l.base.join("outside/secret.png"),
        l.import.join("img/link.png"),
    )
    .unwrap();
    let tasks = vec![
        task(
            1,
            json!({"image": "../../outside/secret.png"}),
            Some(&l.import),
        ),
        task(2, json!({"image": "img/link.png"}), Some(&l.import)),
        task(3, json!({"image": "img/notes.exe"}), Some(&l.import)),
        task(4, json!({"image": "img/a.png"}), None),
    ];
    let got = reasons(&s.plan(&tasks).unwrap_err());
    assert_eq!(got[0].2, "refused, outside the allowed roots");
    assert_eq!(got[1].2, "refused, outside the allowed roots");
    assert!(
        got[2]
            .2
            .starts_with("Label Studio's upload takes only .bmp"),
        "{got:?}"
    );
    assert!(
        got[3]
            .2
            .contains("needs the folder the task was imported from"),
        "{got:?}"
    );
    // --media-root and --allow-path widen what may be read, as for the annotator.
    let s = sender(
        MediaMethod::Post,
        &l,
        Roots {
            media_root: Some(l.import.clone()),
            allow: vec![l.base.join("outside")],
            ..Roots::default()
        },
    );
    let tasks = vec![
        task(1, json!({"image": "img/a.png"}), None),
        task(2, json!({"image": "img/link.png"}), Some(&l.import)),
    ];
    assert_eq!(s.plan(&tasks).unwrap().len(), 2);
}

#[test]
fn methods_need_media_and_file_needs_a_document_root() {
    let c = config(IMAGE);
    assert!(
        Sender::new(MediaMethod::Url, &c, Roots::default(), None, 1)
            .unwrap()
            .is_none()
    );
    let e = Sender::new(MediaMethod::File, &c, Roots::default(), None, 1)
        .err()
        .unwrap();
    assert!(e.to_string().contains("--document-root"), "{e}");
    let e = Sender::new(
        MediaMethod::Post,
        &config(CONFIG_TEXT),
        Roots::default(),
        None,
        1,
    )
    .err()
    .unwrap();
    assert!(e.to_string().contains("reads no media"), "{e}");
}
