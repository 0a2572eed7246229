//! Where the Label Studio server is and the key to it, found as Label Studio's SDK and
//! Pixeltable find them: `LABEL_STUDIO_URL` and `LABEL_STUDIO_API_KEY`, else the
//! `[label-studio]` section of the user's config file (`url`, `api_key`). A URL given on
//! the command line wins over both. The key is kept in a [`Secret`], which never prints.

use super::SyncError;
use std::path::{Path, PathBuf};

/// An API key. Its `Debug` and `Display` hide it, so it cannot reach a log or a message.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(key: impl Into<String>) -> Secret {
        Secret(key.into())
    }

    /// The key itself, for the one header that carries it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("Secret(hidden)")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("(hidden)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The server's base URL, without a trailing `/`.
    pub url: String,
    pub key: Secret,
}

/// The user's config file: `labelterm/config.toml` in the config directory.
pub fn config_file() -> Option<PathBuf> {
    crate::util::config_dir().map(|d| d.join("config.toml"))
}

/// The `[label-studio]` section of a config file.
#[derive(Debug, Default, serde::Deserialize)]
struct FileSection {
    url: Option<String>,
    api_key: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
struct ConfigFile {
    #[serde(rename = "label-studio", alias = "label_studio", default)]
    label_studio: FileSection,
}

fn read_file(path: &Path) -> Result<FileSection, SyncError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileSection::default()),
        Err(e) => {
            return Err(SyncError::Config {
                path: path.display().to_string(),
                message: e.to_string(),
            });
        }
    };
    let file: ConfigFile = toml::from_str(&text).map_err(|e| SyncError::Config {
        path: path.display().to_string(),
        // The message quotes the offending line, which may be the key: only its position.
        message: match e.span() {
            Some(span) => {
                let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                format!("not valid TOML at line {line}")
            }
            None => "not valid TOML".to_string(),
        },
    })?;
    Ok(file.label_studio)
}

/// Finds the server and key: `url_flag`, then the environment (`env`), then the config
/// file at `file`.
pub fn resolve(
    url_flag: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
    file: Option<&Path>,
) -> Result<Credentials, SyncError> {
    let nonempty = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let url = nonempty(url_flag.map(str::to_string)).or_else(|| nonempty(env("LABEL_STUDIO_URL")));
    let key = nonempty(env("LABEL_STUDIO_API_KEY"));
    // The file is read only for what the flag and the environment left open.
    let section = match file {
        Some(f) if url.is_none() || key.is_none() => read_file(f)?,
        _ => FileSection::default(),
    };
    let shown = || {
        file.map(|f| f.display().to_string())
            .unwrap_or_else(|| "the config file".into())
    };
    let url = url
        .or_else(|| nonempty(section.url))
        .ok_or_else(|| SyncError::NoUrl { config: shown() })?;
    let key = key
        .or_else(|| nonempty(section.api_key))
        .ok_or_else(|| SyncError::NoKey { config: shown() })?;
    Ok(Credentials {
        url: normalize_url(&url)?,
        key: Secret::new(key),
    })
}

/// The credentials from this process's environment and the user's config file.
pub fn from_environment(url_flag: Option<&str>) -> Result<Credentials, SyncError> {
    let file = config_file();
    resolve(url_flag, &|k| std::env::var(k).ok(), file.as_deref())
}

/// An http(s) URL without a trailing `/` (and without credentials in it, which would then
/// be printed in every message).
pub fn normalize_url(url: &str) -> Result<String, SyncError> {
    let u = url.trim().trim_end_matches('/');
    let lower = u.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("http://")
        .or_else(|| lower.strip_prefix("https://"));
    let Some(rest) = rest.filter(|r| !r.is_empty()) else {
        return Err(SyncError::BadUrl {
            url: crate::term_safe::term_safe(u).into_owned(),
            message: "a Label Studio URL starts with http:// or https://".into(),
        });
    };
    if rest
        .split('/')
        .next()
        .is_some_and(|host| host.contains('@'))
    {
        return Err(SyncError::BadUrl {
            url: "(not shown: it holds a user name or password)".into(),
            message: "put the API key in LABEL_STUDIO_API_KEY, not in the URL".into(),
        });
    }
    Ok(u.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn flag_then_environment_then_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config.toml");
        std::fs::write(
            &f,
            "[label-studio]\nurl = \"http://file:8080/\"\napi_key = \"filekey\"\n",
        )
        .unwrap();
        let c = resolve(None, &env(&[]), Some(&f)).unwrap();
        assert_eq!(
            (c.url.as_str(), c.key.expose()),
            ("http://file:8080", "filekey")
        );
        let c = resolve(
            None,
            &env(&[
                ("LABEL_STUDIO_URL", "https://env"),
                ("LABEL_STUDIO_API_KEY", "envkey"),
            ]),
            Some(&f),
        )
        .unwrap();
        assert_eq!((c.url.as_str(), c.key.expose()), ("https://env", "envkey"));
        let c = resolve(Some("http://flag:1"), &env(&[]), Some(&f)).unwrap();
        assert_eq!(
            (c.url.as_str(), c.key.expose()),
            ("http://flag:1", "filekey")
        );
        // Pixeltable's spelling of the section works too.
        std::fs::write(&f, "[label_studio]\nurl = \"http://u\"\napi_key = \"k\"\n").unwrap();
        assert_eq!(resolve(None, &env(&[]), Some(&f)).unwrap().url, "http://u");
    }

    #[test]
    fn missing_and_bad_settings_say_where_to_put_them_and_never_show_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config.toml");
        let e = resolve(None, &env(&[]), Some(&f)).unwrap_err().to_string();
        assert!(
            e.contains("LABEL_STUDIO_URL") && e.contains("config.toml"),
            "{e}"
        );
        let e = resolve(Some("http://x"), &env(&[]), Some(&f))
            .unwrap_err()
            .to_string();
        assert!(e.contains("LABEL_STUDIO_API_KEY"), "{e}");
        std::fs::write(&f, "[label-studio]\napi_key = \"sekrit-123\nurl=").unwrap();
        let e = resolve(None, &env(&[]), Some(&f)).unwrap_err().to_string();
        assert!(
            e.contains("not valid TOML at line 2") && !e.contains("sekrit"),
            "{e}"
        );
        let e = resolve(
            Some("ftp://x"),
            &env(&[("LABEL_STUDIO_API_KEY", "k")]),
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("http://"), "{e}");
        let e = resolve(
            Some("https://me:pw@host/"),
            &env(&[("LABEL_STUDIO_API_KEY", "k")]),
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(!e.contains("pw"), "{e}");
        let key = Secret::new("abc123");
        assert!(!format!("{key:?} {key}").contains("abc123"));
    }
}
