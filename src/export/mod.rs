//! Export: the project leaves labelterm in Label Studio's formats. Output is written to a
//! temporary place beside the target and moved into place only when complete, so a
//! failed export leaves nothing half-written.

pub mod json;

use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Label Studio's export type names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportType {
    Json,
    JsonMin,
    Csv,
    Tsv,
    Conll2003,
    Coco,
    CocoWithImages,
    Yolo,
    YoloWithImages,
    YoloObb,
    YoloObbWithImages,
    Voc,
    BrushToNumpy,
    BrushToPng,
    BrushToCoco,
    AsrManifest,
    Doclang,
}

impl ExportType {
    pub const ALL: &'static [ExportType] = &[
        ExportType::Json,
        ExportType::JsonMin,
        ExportType::Csv,
        ExportType::Tsv,
        ExportType::Conll2003,
        ExportType::Coco,
        ExportType::CocoWithImages,
        ExportType::Yolo,
        ExportType::YoloWithImages,
        ExportType::YoloObb,
        ExportType::YoloObbWithImages,
        ExportType::Voc,
        ExportType::BrushToNumpy,
        ExportType::BrushToPng,
        ExportType::BrushToCoco,
        ExportType::AsrManifest,
        ExportType::Doclang,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ExportType::Json => "JSON",
            ExportType::JsonMin => "JSON_MIN",
            ExportType::Csv => "CSV",
            ExportType::Tsv => "TSV",
            ExportType::Conll2003 => "CONLL2003",
            ExportType::Coco => "COCO",
            ExportType::CocoWithImages => "COCO_WITH_IMAGES",
            ExportType::Yolo => "YOLO",
            ExportType::YoloWithImages => "YOLO_WITH_IMAGES",
            ExportType::YoloObb => "YOLO_OBB",
            ExportType::YoloObbWithImages => "YOLO_OBB_WITH_IMAGES",
            ExportType::Voc => "VOC",
            ExportType::BrushToNumpy => "BRUSH_TO_NUMPY",
            ExportType::BrushToPng => "BRUSH_TO_PNG",
            ExportType::BrushToCoco => "BRUSH_TO_COCO",
            ExportType::AsrManifest => "ASR_MANIFEST",
            ExportType::Doclang => "DOCLANG",
        }
    }

    pub fn parse(s: &str) -> Option<ExportType> {
        let up = s.trim().to_ascii_uppercase().replace('-', "_");
        ExportType::ALL.iter().copied().find(|t| t.name() == up)
    }
}

#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// Include tasks without annotations (Label Studio's `download_all_tasks`).
    pub download_all_tasks: bool,
}

/// A file written under a temporary name and renamed onto its target on `commit`.
/// Dropped without commit, the temporary file is removed.
pub struct AtomicFile {
    target: PathBuf,
    tmp: PathBuf,
    file: Option<std::io::BufWriter<std::fs::File>>,
}

impl AtomicFile {
    pub fn create(target: &Path) -> Result<AtomicFile> {
        let dir = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !dir.is_dir() {
            return Err(Error::io(
                dir,
                std::io::Error::new(std::io::ErrorKind::NotFound, "directory does not exist"),
            ));
        }
        let name = target
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("export");
        let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        let file = std::fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        Ok(AtomicFile {
            target: target.to_path_buf(),
            tmp,
            file: Some(std::io::BufWriter::with_capacity(1 << 20, file)),
        })
    }

    pub fn writer(&mut self) -> &mut std::io::BufWriter<std::fs::File> {
        self.file.as_mut().expect("open until commit")
    }

    pub fn commit(mut self) -> Result<()> {
        let mut w = self.file.take().expect("open until commit");
        w.flush().map_err(|e| Error::io(&self.tmp, e))?;
        let f = w
            .into_inner()
            .map_err(|e| Error::io(&self.tmp, e.into_error()))?;
        f.sync_all().map_err(|e| Error::io(&self.tmp, e))?;
        drop(f);
        std::fs::rename(&self.tmp, &self.target).map_err(|e| Error::io(&self.target, e))
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.is_some() {
            self.file = None;
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// The file a single-file export writes: the path itself, or `<dir>/<default_name>` when
/// the path is a directory (the converter's layout).
pub fn single_file_target(path: &Path, default_name: &str) -> PathBuf {
    if path.is_dir() {
        path.join(default_name)
    } else {
        path.to_path_buf()
    }
}
