//! Where a task's image is, as the converter's `get_local_path` decides it, and what is in it.
//!
//! A value in task data is resolved in this order:
//! - an existing local file (absolute, or relative to the directory the task was imported
//!   from, else the current directory) is used as written;
//! - `upload/...`, `/upload/...` and `/data/upload/<digits>/<file>` name a file in the upload
//!   directory (Label Studio's `media/upload`), when one is given and the file is there;
//! - `/data/local-files/?d=<path>` names a file under the local-files root (Label Studio's
//!   `LOCAL_FILES_DOCUMENT_ROOT`), when one is given; the path may not leave the root;
//! - cloud URIs (`s3:`, `gs:`, `azure-blob:`), the storage proxy and unresolved Label Studio
//!   paths would need a Label Studio server: the raw value is kept;
//! - anything else (an `http(s)://` URL, or a path that does not exist) gets the converter's
//!   cache name `images/<md5(value)[:8]>__<basename>`; http(s) is fetched only when allowed.
//!
//! With `materialize` (the `*_WITH_IMAGES` formats, VOC with `--download-resources`) local
//! files are copied into `images/` and the returned name points at the copy.

use super::ExportContext;
use super::pyval::{basename, relpath};
use crate::error::Result;
use crate::media::{Media, MediaError, Origin, Resolver};
use md5::{Digest, Md5};
use std::path::{Path, PathBuf};

/// How media is looked up for one export.
pub struct MediaResolver<'a> {
    pub out_dir: &'a Path,
    /// Copy (and, when the resolver fetches, download) images into `images/`.
    pub materialize: bool,
    /// Every file read, copied or probed goes through its confinement check.
    pub media: Resolver,
}

/// Where a value led.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// The path the converter writes (COCO `file_name`, the base of YOLO/VOC file names),
    /// relative to the output directory when the file is (or would be) inside it.
    pub name: String,
    /// A file that can be read for the image's size, when there is one.
    pub file: Option<PathBuf>,
    /// A cloud URI that could not be resolved.
    pub unresolved_cloud: bool,
}

/// The first 8 hex digits of the MD5 of a text: the converter's cache-name prefix.
pub fn md5_prefix(s: &str) -> String {
    let digest = Md5::digest(s.as_bytes());
    digest[..4].iter().map(|b| format!("{b:02x}")).collect()
}

/// `urlparse(v).path`: without scheme and host, query, fragment and `;params` of the last segment.
fn url_path(v: &str) -> &str {
    let mut rest = v;
    // scheme: letters, digits, + - . before ':'
    if let Some(i) = rest.find(':') {
        let scheme = &rest[..i];
        if crate::media::has_scheme(scheme) {
            rest = &rest[i + 1..];
        }
    }
    if let Some(after) = rest.strip_prefix("//") {
        rest = match after.find(['/', '?', '#']) {
            Some(i) => &after[i..],
            None => "",
        };
    }
    if let Some(i) = rest.find('#') {
        rest = &rest[..i];
    }
    if let Some(i) = rest.find('?') {
        rest = &rest[..i];
    }
    let last = rest.rfind('/').map_or(0, |i| i);
    if let Some(i) = rest[last..].find(';') {
        rest = &rest[..last + i];
    }
    rest
}

/// `posixpath.normpath(p).lstrip("/")`, then joined to `root`; `None` when it would leave it.
fn inside(root: &Path, rel: &str) -> Option<PathBuf> {
    let mut parts: Vec<&str> = Vec::new();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    let mut out = super::pyval::abspath(root);
    for p in parts {
        out.push(p);
    }
    Some(out)
}

impl<'a> MediaResolver<'a> {
    /// The resolver of an export: `fetch` allows downloading http(s) images.
    pub fn new(
        ctx: &ExportContext,
        out_dir: &'a Path,
        materialize: bool,
        fetch: bool,
    ) -> MediaResolver<'a> {
        MediaResolver {
            out_dir,
            materialize,
            media: ctx.options.resolver(fetch),
        }
    }

    fn images_dir(&self) -> PathBuf {
        self.out_dir.join("images")
    }

    /// Copies a confined file (or downloads a URL) into `images/` under `name`.
    fn copy_into_images(
        &self,
        o: &Origin,
        value: &str,
        from: &Media,
        name: &str,
    ) -> Result<PathBuf> {
        let target = self.images_dir().join(name);
        if !target.exists() {
            super::regions::make_dir(&self.images_dir())?;
            self.media
                .copy(o, value, from, &target)
                .map_err(|e| crate::Error::Other(format!("copying into the export: {e}")))?;
        }
        Ok(target)
    }

    /// A file found inside the allowed roots: with `materialize` copied into `images/` under
    /// `copy_name`, else named `shown`. Both names are built only when needed.
    fn found(
        &self,
        o: &Origin,
        value: &str,
        file: PathBuf,
        copy_name: impl FnOnce() -> String,
        shown: impl FnOnce() -> String,
    ) -> Result<Resolved> {
        if self.materialize {
            let name = copy_name();
            let copy = self.copy_into_images(o, value, &Media::File(file), &name)?;
            return Ok(Resolved {
                name: format!("images/{name}"),
                file: Some(copy),
                unresolved_cloud: false,
            });
        }
        Ok(Resolved {
            name: shown(),
            file: Some(file),
            unresolved_cloud: false,
        })
    }

    fn raw(value: &str, cloud: bool) -> Resolved {
        Resolved {
            name: value.to_string(),
            file: None,
            unresolved_cloud: cloud,
        }
    }

    /// A refused value keeps its name as written and nothing is read from it.
    fn refused(e: &MediaError, value: &str) -> Resolved {
        super::warn(format!("{e}; not read"));
        Self::raw(value, false)
    }

    /// Resolves one value of task `task`. `base_dir` is the folder the task was imported
    /// from, where relative paths are looked up first.
    pub fn resolve(&self, task: &str, value: &str, base_dir: Option<&Path>) -> Result<Resolved> {
        let o = Origin { task, base_dir };
        let url = if value.starts_with("upload") || value.starts_with("/upload") {
            format!(
                "/data{}{value}",
                if value.starts_with('/') { "" } else { "/" }
            )
        } else {
            value.to_string()
        };
        let ls_path = url.starts_with("/data/");
        let scheme = value
            .split_once(':')
            .map(|(s, _)| s)
            .filter(|s| crate::media::has_scheme(s));
        // An existing local file is used as written (the converter's first rule).
        if !value.is_empty()
            && (scheme.is_none() || scheme.is_some_and(|s| s.eq_ignore_ascii_case("file")))
        {
            let found = match scheme {
                Some(_) => self.media.resolve(&o, value).map(|m| match m {
                    Media::File(f) => Some(f),
                    _ => None,
                }),
                None => self.media.file(&o, value, value).map(Some),
            };
            match found {
                Ok(Some(file)) => {
                    return self.found(
                        &o,
                        value,
                        file,
                        || format!("{}__{}", md5_prefix(value), basename(value)),
                        || value.to_string(),
                    );
                }
                // `/data/...` and `upload/...` are Label Studio's paths, looked up below.
                Err(e) if e.is_refused() && !ls_path => return Ok(Self::refused(&e, value)),
                _ => {}
            }
        }
        let is_upload = url.starts_with("/data/upload");
        let is_local_storage = ls_path && url.contains("?d=");
        let is_cloud =
            url.starts_with("s3:") || url.starts_with("gs:") || url.starts_with("azure-blob:");
        let path = url_path(&url);
        let is_storage_proxy =
            path.starts_with("/storage-data/uploaded") || path.starts_with("storage-data/uploaded");

        if is_local_storage {
            if let (Some(root), Some(rel)) = (
                self.media.roots().local_files_root.as_deref(),
                crate::media::query_d(&url),
            ) && !rel.is_empty()
                && let Some(file) = inside(root, &rel)
            {
                match self.media.confine(&o, value, &file) {
                    Ok(real) => {
                        return self.found(
                            &o,
                            value,
                            real,
                            || {
                                format!(
                                    "{}__{}",
                                    md5_prefix(&url),
                                    basename(&file.to_string_lossy())
                                )
                            },
                            || relpath(&file, self.out_dir),
                        );
                    }
                    Err(e) if e.is_refused() => return Ok(Self::refused(&e, value)),
                    Err(_) => {}
                }
            }
            // A path that climbs out of the root is refused, and said so.
            if let (Some(root), Some(rel)) = (
                self.media.roots().local_files_root.as_deref(),
                crate::media::query_d(&url),
            ) && let Err(e) = self.media.confine(&o, value, &root.join(rel))
                && e.is_refused()
            {
                return Ok(Self::refused(&e, value));
            }
            return Ok(Self::raw(value, false));
        }
        if is_upload {
            let segs: Vec<&str> = url.split('/').collect();
            let project = segs.len().checked_sub(2).map(|i| segs[i]).unwrap_or("");
            if let Some(dir) = self.media.roots().upload_dir.as_deref()
                && !project.is_empty()
                && project.chars().all(|c| c.is_ascii_digit())
                && dir.exists()
            {
                let file = dir.join(project).join(basename(&url));
                match self.media.confine(&o, value, &file) {
                    Ok(real) => {
                        return self.found(
                            &o,
                            value,
                            real,
                            || basename(&url).to_string(),
                            || relpath(&file, self.out_dir),
                        );
                    }
                    Err(e) if e.is_refused() => return Ok(Self::refused(&e, value)),
                    Err(_) => {}
                }
            }
            // Would be fetched from a Label Studio server.
            return Ok(Self::raw(value, false));
        }
        if is_cloud || is_storage_proxy {
            return Ok(Self::raw(value, is_cloud));
        }
        let cache_name = format!("{}__{}", md5_prefix(&url), basename(path));
        let cache = self.images_dir().join(&cache_name);
        let cached = Resolved {
            name: format!("images/{cache_name}"),
            file: Some(cache.clone()),
            unresolved_cloud: false,
        };
        if cache.exists() || !self.materialize {
            return Ok(cached);
        }
        if !crate::net::is_http(&url) {
            // The converter's download of a non-URL fails; it keeps the raw value.
            return Ok(Self::raw(value, false));
        }
        if !self.media.fetches() {
            // Not fetched: the name the image would have.
            return Ok(cached);
        }
        super::regions::make_dir(&self.images_dir())?;
        match self
            .media
            .copy(&o, value, &Media::Http(url.clone()), &cache)
        {
            Ok(()) => Ok(cached),
            Err(e) => {
                super::warn(format!("{e}; the URL is kept"));
                Ok(Self::raw(value, false))
            }
        }
    }
}

/// What reading an image's header tells: size and channel count (as Pillow counts bands).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageInfo {
    pub width: u32,
    pub height: u32,
    pub channels: u32,
}

/// Reads an image's size and channels from its header; `None` if it is not a readable image.
pub fn image_info(path: &Path) -> Option<ImageInfo> {
    let file = std::fs::File::open(path).ok()?;
    let mut reader = std::io::BufReader::new(file);
    let mut magic = [0u8; 8];
    {
        use std::io::{Read, Seek};
        reader.read_exact(&mut magic).ok()?;
        reader.seek(std::io::SeekFrom::Start(0)).ok()?;
    }
    if magic == *b"\x89PNG\r\n\x1a\n" {
        let decoder = png::Decoder::new(reader);
        let r = decoder.read_info().ok()?;
        let info = r.info();
        let channels = match info.color_type {
            png::ColorType::Grayscale | png::ColorType::Indexed => 1,
            png::ColorType::GrayscaleAlpha => 2,
            png::ColorType::Rgb => 3,
            png::ColorType::Rgba => 4,
        };
        return Some(ImageInfo {
            width: info.width,
            height: info.height,
            channels,
        });
    }
    let r = image::ImageReader::new(reader).with_guessed_format().ok()?;
    let format = r.format()?;
    let decoder = r.into_decoder().ok()?;
    use image::ImageDecoder;
    let (width, height) = decoder.dimensions();
    let channels = if format == image::ImageFormat::Gif {
        // Pillow opens GIFs as palette images: one band.
        1
    } else {
        u32::from(decoder.color_type().channel_count())
    };
    Some(ImageInfo {
        width,
        height,
        channels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_names_like_the_converter() {
        assert_eq!(md5_prefix("http://127.0.0.1:8765/img1.png"), "2e054dc2");
        assert_eq!(url_path("http://h:1/a/b%20c.png?x=1#f"), "/a/b%20c.png");
        assert_eq!(url_path("dir/x.png"), "dir/x.png");
        assert_eq!(url_path("a/b;p.png"), "a/b");
        assert_eq!(
            crate::media::query_d("/data/local-files/?d=a%2Fb/c.png&d=x/y.png"),
            Some("x/y.png".into())
        );
    }

    #[test]
    fn local_files_stay_inside_the_root() {
        let root = Path::new("/srv/media");
        assert_eq!(
            inside(root, "a/../b.png"),
            Some(PathBuf::from("/srv/media/b.png"))
        );
        assert_eq!(
            inside(root, "/a.png"),
            Some(PathBuf::from("/srv/media/a.png"))
        );
        assert_eq!(inside(root, "../x.png"), None);
    }

    #[test]
    fn resolution_order() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let out = root.join("out");
        std::fs::create_dir_all(&out).unwrap();
        let base = root.join("src");
        std::fs::create_dir_all(base.join("up/3")).unwrap();
        std::fs::write(base.join("a.png"), b"x").unwrap();
        std::fs::write(base.join("up/3/u.png"), b"y").unwrap();
        let roots = |local_files_root: Option<PathBuf>| crate::media::Roots {
            upload_dir: Some(base.join("up")),
            local_files_root,
            ..Default::default()
        };
        let r = MediaResolver {
            out_dir: &out,
            materialize: false,
            media: Resolver::new(roots(None), false),
        };
        let local = r.resolve("1", "a.png", Some(&base)).unwrap();
        assert_eq!(local.name, "a.png");
        assert_eq!(local.file, Some(base.join("a.png")));
        let up = r.resolve("1", "/data/upload/3/u.png", None).unwrap();
        assert_eq!(up.name, "../src/up/3/u.png");
        let missing_up = r.resolve("1", "/data/upload/4/u.png", None).unwrap();
        assert_eq!(missing_up.name, "/data/upload/4/u.png");
        let http = r
            .resolve("1", "http://127.0.0.1:8765/img1.png", None)
            .unwrap();
        assert_eq!(http.name, "images/2e054dc2__img1.png");
        let cloud = r.resolve("1", "s3://b/k.png", None).unwrap();
        assert!(cloud.unresolved_cloud);
        assert_eq!(cloud.name, "s3://b/k.png");
        let gone = r.resolve("1", "nope/x.png", Some(&base)).unwrap();
        assert_eq!(
            gone.name,
            format!("images/{}__x.png", md5_prefix("nope/x.png"))
        );
        let lf = r.resolve("1", "/data/local-files/?d=a.png", None).unwrap();
        assert_eq!(lf.name, "/data/local-files/?d=a.png");

        let m = MediaResolver {
            out_dir: &out,
            materialize: true,
            media: Resolver::new(roots(Some(base.clone())), false),
        };
        let copied = m.resolve("1", "a.png", Some(&base)).unwrap();
        assert_eq!(
            copied.name,
            format!("images/{}__a.png", md5_prefix("a.png"))
        );
        assert!(out.join(&copied.name).is_file());
        let up = m.resolve("1", "/data/upload/3/u.png", None).unwrap();
        assert_eq!(up.name, "images/u.png");
        let lf = m.resolve("1", "/data/local-files/?d=a.png", None).unwrap();
        assert_eq!(
            lf.name,
            format!("images/{}__a.png", md5_prefix("/data/local-files/?d=a.png"))
        );
        let escape = m
            .resolve("1", "/data/local-files/?d=../src/a.png", None)
            .unwrap();
        assert_eq!(escape.file, None);
        // Not a URL and not a file: the converter's failed download keeps the raw value.
        assert_eq!(
            m.resolve("1", "nope/x.png", Some(&base)).unwrap().name,
            "nope/x.png"
        );
    }
}

#[cfg(test)]
mod image_tests {
    use super::*;

    fn write(path: &Path, format: image::ImageFormat, img: image::DynamicImage) {
        img.save_with_format(path, format).unwrap();
    }

    /// Sizes and Pillow's band counts for the formats the exporters read.
    #[test]
    fn sizes_and_channels() {
        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| dir.path().join(n);
        write(
            &p("a.png"),
            image::ImageFormat::Png,
            image::DynamicImage::new_luma_a8(7, 5),
        );
        write(
            &p("b.jpg"),
            image::ImageFormat::Jpeg,
            image::DynamicImage::new_rgb8(9, 4),
        );
        write(
            &p("c.bmp"),
            image::ImageFormat::Bmp,
            image::DynamicImage::new_rgb8(3, 2),
        );
        write(
            &p("d.gif"),
            image::ImageFormat::Gif,
            image::DynamicImage::new_rgba8(6, 6),
        );
        let info = |n: &str| image_info(&p(n)).map(|i| (i.width, i.height, i.channels));
        assert_eq!(info("a.png"), Some((7, 5, 2)));
        assert_eq!(info("b.jpg"), Some((9, 4, 3)));
        assert_eq!(info("c.bmp"), Some((3, 2, 3)));
        assert_eq!(info("d.gif"), Some((6, 6, 1)));
        // A palette PNG has one band in Pillow.
        {
            let f = std::fs::File::create(p("e.png")).unwrap();
            let mut enc = png::Encoder::new(f, 2, 2);
            enc.set_color(png::ColorType::Indexed);
            enc.set_depth(png::BitDepth::Eight);
            enc.set_palette(vec![0, 0, 0, 255, 255, 255]);
            enc.write_header()
                .unwrap()
                .write_image_data(&[0, 1, 1, 0])
                .unwrap();
        }
        assert_eq!(info("e.png"), Some((2, 2, 1)));
        std::fs::write(p("f.png"), b"not an image").unwrap();
        assert_eq!(info("f.png"), None);
        assert_eq!(info("missing.png"), None);
    }
}
