use super::*;
use std::os::unix::fs::symlink;

const SECRET: &str = "top secret text";

/// A folder per root kind, each with an inside file, a link to a file outside and a link
/// to a folder outside; the secret lives beside them, outside every root.
struct Layout {
    _dir: tempfile::TempDir,
    base: PathBuf,
    import: PathBuf,
    secret: PathBuf,
}

fn layout() -> Layout {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().canonicalize().unwrap();
    std::fs::create_dir_all(base.join("secret")).unwrap();
    std::fs::write(base.join("secret/s.txt"), SECRET).unwrap();
    for root in ["import", "media", "lf", "up"] {
        let r = base.join(root);
        std::fs::create_dir_all(r.join("1")).unwrap();
        std::fs::write(r.join("in.txt"), root).unwrap();
        std::fs::write(r.join("1/in.txt"), root).unwrap();
        symlink(base.join("secret/s.txt"), r.join("link_out")).unwrap();
        symlink(base.join("secret"), r.join("linkdir")).unwrap();
        // A link that stays inside is fine.
        symlink(r.join("in.txt"), r.join("link_in")).unwrap();
    }
    Layout {
        import: base.join("import"),
        secret: base.join("secret/s.txt"),
        base,
        _dir: dir,
    }
}

fn resolver(l: &Layout) -> Resolver {
    Resolver::new(
        Roots {
            media_root: Some(l.base.join("media")),
            local_files_root: Some(l.base.join("lf")),
            upload_dir: Some(l.base.join("up")),
            allow: Vec::new(),
        },
        false,
    )
}

#[test]
fn confinement_table() {
    let l = layout();
    let r = resolver(&l);
    let b = l.base.display().to_string();
    let s = l.secret.display().to_string();
    // (root kind, value, with the import folder, expected file when inside)
    let inside: Vec<(&str, String, bool, PathBuf)> = vec![
        ("import", "in.txt".into(), true, l.import.join("in.txt")),
        (
            "import",
            "./1/../in.txt".into(),
            true,
            l.import.join("in.txt"),
        ),
        (
            "import",
            format!("{b}/import/in.txt"),
            true,
            l.import.join("in.txt"),
        ),
        (
            "import",
            format!("file://{b}/import/1/in.txt"),
            true,
            l.import.join("1/in.txt"),
        ),
        ("import", "link_in".into(), true, l.import.join("in.txt")),
        ("media", "in.txt".into(), false, l.base.join("media/in.txt")),
        (
            "media",
            "1/in.txt".into(),
            false,
            l.base.join("media/1/in.txt"),
        ),
        (
            "media",
            format!("file://{b}/media/in%2Etxt"),
            false,
            l.base.join("media/in.txt"),
        ),
        (
            "media",
            "link_in".into(),
            false,
            l.base.join("media/in.txt"),
        ),
        (
            "local-files",
            "/data/local-files/?d=in.txt".into(),
            false,
            l.base.join("lf/in.txt"),
        ),
        (
            "local-files",
            "/data/local-files/?d=1%2Fin.txt".into(),
            false,
            l.base.join("lf/1/in.txt"),
        ),
        (
            "local-files",
            "/data/local-files/?d=/1/in.txt".into(),
            false,
            l.base.join("lf/1/in.txt"),
        ),
        (
            "local-files",
            "/data/local-files/?d=link_in".into(),
            false,
            l.base.join("lf/in.txt"),
        ),
        (
            "upload",
            "/data/upload/1/in.txt".into(),
            false,
            l.base.join("up/1/in.txt"),
        ),
        (
            "upload",
            "/data/upload/1/../in.txt".into(),
            false,
            l.base.join("up/in.txt"),
        ),
        (
            "upload",
            "/data/upload/link_in".into(),
            false,
            l.base.join("up/in.txt"),
        ),
        // Absolute paths and `file://` into a root are inside too.
        (
            "local-files",
            format!("{b}/lf/1/in.txt"),
            false,
            l.base.join("lf/1/in.txt"),
        ),
        (
            "local-files",
            format!("file://{b}/lf/in.txt"),
            false,
            l.base.join("lf/in.txt"),
        ),
        (
            "upload",
            format!("{b}/up/1/in.txt"),
            false,
            l.base.join("up/1/in.txt"),
        ),
        (
            "upload",
            format!("file://{b}/up/%31/in.txt"),
            false,
            l.base.join("up/1/in.txt"),
        ),
    ];
    for (kind, value, with_import, want) in inside {
        let o = Origin {
            task: "7",
            base_dir: with_import.then_some(l.import.as_path()),
        };
        match r.resolve(&o, &value) {
            Ok(Media::File(p)) => assert_eq!(p, want, "{kind}: {value}"),
            other => panic!("{kind}: {value}: {other:?}"),
        }
    }
    let outside: Vec<(&str, String, bool)> = vec![
        ("import", "../secret/s.txt".into(), true),
        ("import", "1/../../secret/s.txt".into(), true),
        ("import", s.clone(), true),
        ("import", format!("file://{s}"), true),
        (
            "import",
            format!("file://{b}/import/%2e%2e/secret/s.txt"),
            true,
        ),
        (
            "import",
            format!("file://{b}/import/..%2Fsecret%2Fs.txt"),
            true,
        ),
        ("import", "link_out".into(), true),
        ("import", "linkdir/s.txt".into(), true),
        ("import", "linkdir/missing.txt".into(), true),
        ("media", "../secret/s.txt".into(), false),
        ("media", s.clone(), false),
        ("media", format!("file://{s}"), false),
        (
            "media",
            format!("file://{b}/media/%2e%2e/secret/s.txt"),
            false,
        ),
        ("media", "link_out".into(), false),
        ("media", "linkdir/s.txt".into(), false),
        (
            "local-files",
            "/data/local-files/?d=../secret/s.txt".into(),
            false,
        ),
        (
            "local-files",
            "/data/local-files/?d=%2e%2e/secret/s.txt".into(),
            false,
        ),
        (
            "local-files",
            "/data/local-files/?d=%2e%2e%2fsecret%2fs.txt".into(),
            false,
        ),
        (
            "local-files",
            "/data/local-files/?d=1/../../secret/s.txt".into(),
            false,
        ),
        ("local-files", "/data/local-files/?d=link_out".into(), false),
        (
            "local-files",
            "/data/local-files/?d=linkdir/s.txt".into(),
            false,
        ),
        ("upload", "/data/upload/../secret/s.txt".into(), false),
        ("upload", "/data/upload/%2e%2e/secret/s.txt".into(), false),
        (
            "upload",
            "/data/upload/1/%2E%2E/%2e%2e/secret/s.txt".into(),
            false,
        ),
        ("upload", "/data/upload/link_out".into(), false),
        ("upload", "/data/upload/linkdir/s.txt".into(), false),
    ];
    for (kind, value, with_import) in outside {
        let o = Origin {
            task: "7",
            base_dir: with_import.then_some(l.import.as_path()),
        };
        let e = match r.resolve(&o, &value) {
            Err(e) => e,
            Ok(m) => panic!("{kind}: {value}: resolved to {m:?}"),
        };
        assert!(e.is_refused(), "{kind}: {value}: {e}");
        let msg = e.to_string();
        assert!(msg.starts_with("task 7: "), "{msg}");
        assert!(msg.contains(&format!("{value:?}")), "{msg}");
        assert!(msg.contains("outside the allowed roots"), "{msg}");
        assert!(!msg.contains(SECRET), "{msg}");
    }
    // Not traversal where nothing decodes: a folder literally named `%2e%2e` is not there.
    let o = Origin {
        task: "7",
        base_dir: Some(&l.import),
    };
    assert!(matches!(
        r.resolve(&o, "%2e%2e/secret/s.txt"),
        Err(MediaError::NotFound { .. })
    ));
    // An absolute `d=` or upload path is read under its root, as Label Studio joins it.
    for v in [
        format!("/data/local-files/?d={s}"),
        format!("/data/upload/{s}"),
        format!("/data/upload/%2F{}", s.trim_start_matches('/')),
    ] {
        assert!(
            matches!(r.resolve(&o, &v), Err(MediaError::NotFound { .. })),
            "{v}"
        );
    }
    // Outside the upload and local-files roots through their links, with absolute paths.
    for v in [
        format!("{b}/up/link_out"),
        format!("{b}/lf/linkdir/s.txt"),
        format!("file://{b}/up/linkdir/s.txt"),
    ] {
        assert!(r.resolve(&o, &v).unwrap_err().is_refused(), "{v}");
    }
}

/// A missing file outside the roots and an existing one are refused alike.
#[test]
fn refusals_do_not_tell_existence() {
    let l = layout();
    let r = resolver(&l);
    let o = Origin {
        task: "1",
        base_dir: Some(&l.import),
    };
    let msg = |v: &str| r.resolve(&o, v).unwrap_err().reason();
    assert_eq!(msg("../secret/s.txt"), msg("../secret/none.txt"));
    assert_eq!(msg("linkdir/s.txt"), msg("linkdir/none.txt"));
    assert_eq!(msg("link_out"), "refused, outside the allowed roots");
    std::fs::remove_file(&l.secret).unwrap();
    assert_eq!(msg("link_out"), "refused, outside the allowed roots");
}

#[test]
fn allow_path_widens_on_purpose() {
    let l = layout();
    let mut roots = resolver(&l).roots().clone();
    roots.allow.push(l.base.join("secret"));
    let r = Resolver::new(roots, false);
    let o = Origin {
        task: "1",
        base_dir: Some(&l.import),
    };
    for v in ["../secret/s.txt", "link_out", "linkdir/s.txt"] {
        assert_eq!(r.resolve(&o, v), Ok(Media::File(l.secret.clone())), "{v}");
    }
    let read = r
        .read(&o, "link_out", &Media::File(l.secret.clone()))
        .unwrap();
    assert_eq!(read, SECRET.as_bytes());
}

#[test]
fn other_values() {
    let l = layout();
    let r = resolver(&l);
    let o = Origin {
        task: "3",
        base_dir: None,
    };
    assert_eq!(
        r.resolve(&o, "data:text/plain;base64,aGk=\n"),
        Ok(Media::Data {
            mime: "text/plain".into(),
            base64: true,
            bytes: b"hi".to_vec()
        })
    );
    assert_eq!(
        r.resolve(&o, "data:,a%20b"),
        Ok(Media::Data {
            mime: String::new(),
            base64: false,
            bytes: b"a b".to_vec()
        })
    );
    assert_eq!(
        r.resolve(&o, "https://h/x.png"),
        Ok(Media::Http("https://h/x.png".into()))
    );
    let e = r.read(
        &o,
        "https://h/x.png",
        &Media::Http("https://h/x.png".into()),
    );
    assert!(e.unwrap_err().reason().contains("--download-resources"));
    assert!(r.resolve(&o, "s3://b/k.png").is_err());
    let no_roots = Resolver::new(Roots::default(), false);
    let e = no_roots.resolve(&o, "/data/upload/1/x.png").unwrap_err();
    assert!(e.reason().contains("--upload-dir"), "{e}");
    let e = no_roots.resolve(&o, "a.png").unwrap_err();
    assert!(e.reason().contains("--media-root"), "{e}");
    // Without any root, an absolute path is outside them all.
    let e = no_roots
        .resolve(&o, &l.base.join("media/in.txt").display().to_string())
        .unwrap_err();
    assert!(e.is_refused());
}

#[test]
fn copies_are_whole_or_absent() {
    let l = layout();
    let r = resolver(&l).with_max_bytes(4);
    let o = Origin {
        task: "1",
        base_dir: Some(&l.import),
    };
    let out = tempfile::tempdir().unwrap();
    let m = r.resolve(&o, "in.txt").unwrap();
    r.copy(&o, "in.txt", &m, &out.path().join("a")).unwrap_err();
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
    let small = Media::Data {
        mime: String::new(),
        base64: false,
        bytes: b"ok".to_vec(),
    };
    r.copy(&o, "data:,ok", &small, &out.path().join("b"))
        .unwrap();
    assert_eq!(std::fs::read(out.path().join("b")).unwrap(), b"ok");
}
