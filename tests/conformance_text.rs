//! Conformance: `labelterm convert` on every case in `tests/conformance/` must write what
//! Label Studio's converter (label-studio-sdk 2.1.2) wrote, byte for byte, for the text
//! formats. Normalised only where `tests/conformance/README.md` says the converter's output
//! depends on the run (DOCLANG archives are compared member by member), plus the deliberate
//! differences listed in `docs/compatibility.md`, each asserted explicitly.

use labelterm::export::{ExportType, exporter};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The formats this file checks. `every_listed_format_is_checked` reads this list from every
/// `tests/conformance_*.rs`.
const FORMATS_UNDER_TEST: &[&str] = &[
    "JSON",
    "JSON_MIN",
    "CSV",
    "TSV",
    "CONLL2003",
    "ASR_MANIFEST",
    "DOCLANG",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/conformance")
}

/// The shared cases, then labelterm's own (`tests/converter_cases/`, made the same way with
/// label-studio-sdk 2.1.2: data keys named like controls, several TextArea regions, agreement,
/// history, annotators as dict/int/text, tasks without annotations; Pairwise and Ranker
/// results; video tracks and timeline ranges; OCR regions with their labels apart,
/// perRegion texts and relations).
fn cases() -> Vec<PathBuf> {
    let own = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/converter_cases");
    let mut v: Vec<PathBuf> = [root(), own]
        .iter()
        .flat_map(|r| std::fs::read_dir(r).expect("cases directory"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("expected/FORMATS.txt").is_file())
        .collect();
    v.sort();
    assert!(v.len() >= 7, "conformance cases missing: {v:?}");
    v
}

struct Formats {
    supported: Vec<String>,
    run: Vec<String>,
    options: serde_json::Value,
}

fn formats(case: &Path) -> Formats {
    let text = std::fs::read_to_string(case.join("expected/FORMATS.txt")).expect("FORMATS.txt");
    let v: serde_json::Value = serde_json::from_str(&text).expect("FORMATS.txt is JSON");
    let list = |k: &str| -> Vec<String> {
        v[k].as_array()
            .expect(k)
            .iter()
            .map(|s| s.as_str().expect("format name").to_string())
            .collect()
    };
    Formats {
        supported: list("supported_formats"),
        run: list("formats_run"),
        options: v["options"].clone(),
    }
}

fn labelterm() -> Command {
    Command::new(env!("CARGO_BIN_EXE_labelterm"))
}

/// Runs `labelterm convert` for one case and format into `out`.
fn convert(case: &Path, format: &str, download: bool, out: &Path) -> Result<(), String> {
    let mut cmd = labelterm();
    cmd.arg("convert")
        .arg("--label-config")
        .arg(case.join("config.xml"))
        .arg("--input-path")
        .arg(case.join("tasks.json"))
        .arg("--export-type")
        .arg(format)
        .arg("--export-path")
        .arg(format!("{}/", out.display()));
    if case.join("upload").is_dir() {
        cmd.arg("--upload-dir").arg(case.join("upload"));
    }
    if download {
        cmd.arg("--download-resources");
    }
    let o = cmd.output().expect("run labelterm");
    if !o.status.success() {
        return Err(format!(
            "{} {format}: convert failed: {}",
            case.display(),
            String::from_utf8_lossy(&o.stderr)
        ));
    }
    Ok(())
}

/// Every entry under `dir`, relative, directories ending in `/`.
fn entries(dir: &Path) -> BTreeSet<String> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            let rel = p
                .strip_prefix(base)
                .expect("under base")
                .to_string_lossy()
                .replace('\\', "/");
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

fn expected_entries(case: &Path, format: &str) -> BTreeSet<String> {
    std::fs::read_to_string(case.join(format!("expected/{format}.files")))
        .expect(".files")
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// The members of a zip archive, in archive order, with their bytes.
fn zip_members(path: &Path) -> Vec<(String, Vec<u8>)> {
    use std::io::Read;
    let f = std::fs::File::open(path).expect("archive");
    let mut z = zip::ZipArchive::new(f).expect("zip");
    (0..z.len())
        .map(|i| {
            let mut m = z.by_index(i).expect("member");
            let mut bytes = Vec::new();
            m.read_to_end(&mut bytes).expect("read member");
            (m.name().expect("member name").to_string(), bytes)
        })
        .collect()
}

/// The expected members of a DOCLANG archive, in the converter's order (paths sorted by
/// their components, as `sorted(Path.rglob("*"))`).
fn unzipped(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<String> = entries(dir)
        .into_iter()
        .filter(|e| !e.ends_with('/'))
        .collect();
    files.sort_by(|a, b| a.split('/').cmp(b.split('/')));
    files
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(dir.join(&f)).expect("member");
            (f, bytes)
        })
        .collect()
}

/// ASR_MANIFEST: the converter gives a task without a transcript the previous item's text
/// (a bug); labelterm writes an empty transcript. The expected lines are rewritten
/// accordingly, and the test checks the rewrite happened where `docs/compatibility.md`
/// says.
fn asr_expected(case: &Path, bytes: Vec<u8>) -> Vec<u8> {
    let tasks: serde_json::Value =
        serde_json::from_slice(&std::fs::read(case.join("tasks.json")).unwrap()).unwrap();
    let unannotated: Vec<String> = tasks
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["annotations"].as_array().is_some_and(|a| a.is_empty()))
        .filter_map(|t| t["data"]["audio"].as_str())
        .map(|a| {
            format!(
                "\"audio_filepath\": \"audio/{}\"",
                a.rsplit('/').next().unwrap()
            )
        })
        .collect();
    let text = String::from_utf8(bytes).unwrap();
    let mut rewritten = 0;
    let lines: Vec<String> = text
        .split_inclusive('\n')
        .map(|line| {
            if unannotated.iter().any(|u| line.contains(u.as_str())) {
                let start = line.find("\"text\": \"").expect("text") + 9;
                let end = start + line[start..].find("\", \"annotator\"").expect("annotator");
                rewritten += 1;
                format!("{}{}", &line[..start], &line[end..])
            } else {
                line.to_string()
            }
        })
        .collect();
    assert!(
        rewritten > 0 || unannotated.is_empty(),
        "{}: expected an inherited transcript to rewrite",
        case.display()
    );
    lines.concat().into_bytes()
}

fn check(case: &Path, format: &str, download: bool) -> Result<(), String> {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join(format);
    convert(case, format, download, &out)?;
    let name = case.file_name().unwrap().to_string_lossy().to_string();
    let expected_dir = case.join("expected").join(format);
    let want = expected_entries(case, format);
    let got = entries(&out);
    if want != got {
        return Err(format!(
            "{name} {format}: files differ\n  expected {want:?}\n  got      {got:?}"
        ));
    }
    for entry in want.iter().filter(|e| !e.ends_with('/')) {
        let ours = std::fs::read(out.join(entry)).unwrap();
        if format == "DOCLANG" {
            let members = zip_members(&out.join(entry));
            let expected = unzipped(&case.join("expected/DOCLANG.unzipped").join(entry));
            if members != expected {
                let names =
                    |v: &[(String, Vec<u8>)]| v.iter().map(|m| m.0.clone()).collect::<Vec<_>>();
                return Err(format!(
                    "{name} {format}/{entry}: archive members differ: expected {:?}, got {:?}",
                    names(&expected),
                    names(&members)
                ));
            }
            continue;
        }
        let mut theirs = std::fs::read(expected_dir.join(entry)).unwrap();
        if format == "ASR_MANIFEST" && entry == "manifest.json" {
            theirs = asr_expected(case, theirs);
        }
        if ours != theirs {
            let (o, t) = (
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&theirs),
            );
            let line = o
                .lines()
                .zip(t.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(o.lines().count().min(t.lines().count()));
            return Err(format!(
                "{name} {format}/{entry}: differs at line {}\n  expected: {:?}\n  got:      {:?}",
                line + 1,
                t.lines().nth(line).unwrap_or("<end>"),
                o.lines().nth(line).unwrap_or("<end>")
            ));
        }
    }
    Ok(())
}

#[test]
fn text_formats_match_the_converter() {
    let mut failures = Vec::new();
    let mut passed = Vec::new();
    for case in cases() {
        let f = formats(&case);
        for format in f
            .run
            .iter()
            .filter(|x| FORMATS_UNDER_TEST.contains(&x.as_str()))
        {
            let download = f.options[format]["download_resources"]
                .as_bool()
                .unwrap_or(false);
            match check(&case, format, download) {
                Ok(()) => passed.push(format!(
                    "{}/{format}",
                    case.file_name().unwrap().to_string_lossy()
                )),
                Err(e) => failures.push(e),
            }
        }
    }
    eprintln!(
        "{} case/format pairs match: {}",
        passed.len(),
        passed.join(" ")
    );
    assert!(passed.len() >= 25, "too few pairs ran: {passed:?}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The formats this build writes.
fn registered() -> Vec<&'static str> {
    ExportType::ALL
        .iter()
        .filter(|t| exporter(**t).is_some())
        .map(|t| t.name())
        .collect()
}

#[test]
fn list_formats_matches_the_converter() {
    let registered = registered();
    for case in cases() {
        let f = formats(&case);
        // Label Studio's formats in its order, then labelterm's own.
        let want: Vec<&str> = f
            .supported
            .iter()
            .map(String::as_str)
            .filter(|s| *s != "CSV_OLD" && registered.contains(s))
            .chain(ExportType::OURS.iter().map(|t| t.name()))
            .collect();
        let tmp = tempfile::tempdir().unwrap();
        let db = tmp.path().join("p.db");
        let o = labelterm()
            .arg("init")
            .arg(&db)
            .arg("--label-config")
            .arg(case.join("config.xml"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let o = labelterm()
            .arg("export")
            .arg(&db)
            .arg("--list-formats")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let stdout = String::from_utf8(o.stdout).unwrap();
        let got: Vec<&str> = stdout.lines().collect();
        assert_eq!(got, want, "{}", case.display());
    }
}

/// Every format this build registers that some case lists must be checked by a conformance
/// test: each `tests/conformance_*.rs` names its formats in a `FORMATS_UNDER_TEST` line.
#[test]
fn every_listed_format_is_checked() {
    let tests_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut checked: BTreeSet<String> = BTreeSet::new();
    for e in std::fs::read_dir(&tests_dir).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if !(name.starts_with("conformance_") && name.ends_with(".rs")) {
            continue;
        }
        let src = std::fs::read_to_string(e.path()).unwrap();
        let start = src
            .find("const FORMATS_UNDER_TEST")
            .unwrap_or_else(|| panic!("{name} has no FORMATS_UNDER_TEST list"));
        let list = &src[start..start + src[start..].find("];").expect("end of the list")];
        for part in list.split('"').skip(1).step_by(2) {
            checked.insert(part.to_string());
        }
    }
    let registered = registered();
    for case in cases() {
        for format in formats(&case).run {
            if registered.contains(&format.as_str()) {
                assert!(
                    checked.contains(&format),
                    "{format} is registered and listed by {} but no conformance test checks it",
                    case.display()
                );
            }
        }
    }
}
