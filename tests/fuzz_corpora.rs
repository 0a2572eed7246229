//! Replays every committed fuzz corpus file through the same entry points the fuzz targets
//! call, on stable: inputs that once crashed, hung or exhausted memory stay fixed.

use std::path::{Path, PathBuf};

fn corpus_files(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus {} is missing: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("corpus entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "corpus {} is empty", dir.display());
    files
}

fn replay(target: &str, run: fn(&[u8])) {
    for file in corpus_files(target) {
        let data = std::fs::read(&file).expect("corpus file reads");
        let result = std::panic::catch_unwind(|| run(&data));
        assert!(result.is_ok(), "{target} panicked on {}", file.display());
    }
}

macro_rules! corpus_tests {
    ($($target:ident),* $(,)?) => {
        $(
            #[test]
            fn $target() {
                replay(stringify!($target), labelterm::fuzzing::$target);
            }
        )*

        /// Every fuzz target has a corpus test, and every corpus a target.
        #[test]
        fn every_corpus_is_replayed() {
            let known = [$(stringify!($target)),*];
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
            for entry in std::fs::read_dir(&dir).expect("fuzz/corpus exists") {
                let name = entry.expect("corpus dir entry").file_name();
                let name = name.to_string_lossy();
                assert!(known.contains(&name.as_ref()), "corpus {name} has no replay test");
            }
            let targets = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/fuzz_targets");
            for entry in std::fs::read_dir(&targets).expect("fuzz/fuzz_targets exists") {
                let path = entry.expect("fuzz target entry").path();
                let stem = path.file_stem().unwrap_or_default().to_string_lossy().into_owned();
                assert!(known.contains(&stem.as_str()), "fuzz target {stem} has no replay test");
            }
        }
    };
}

corpus_tests!(
    label_config,
    import_json,
    import_jsonl,
    import_csv,
    import_text,
    import_timeseries,
    brush_rle,
    keymap,
    theme,
);
