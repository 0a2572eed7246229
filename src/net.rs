//! The one HTTP client: every fetch (import `--input-path https://...`, export
//! `--download-resources`, media shown by the annotator) goes through a shared agent with
//! time limits, and every body is read under a size cap, so a server that stalls or sends
//! without end cannot hang or exhaust the program.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

/// Time to establish a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest silence while reading a response.
pub const READ_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest a whole request may take, body included.
pub const OVERALL_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// Media files (images, audio, text by URL) larger than this are refused.
pub const MAX_MEDIA_BYTES: u64 = 1 << 30;
/// Task files downloaded for import larger than this are refused.
pub const MAX_IMPORT_BYTES: u64 = 16 << 30;

#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("{url}: {message}")]
    Request { url: String, message: String },
    #[error("{url}: larger than {limit} bytes; refused")]
    TooLarge { url: String, limit: u64 },
    #[error("{url}: cannot store the download in {path}: {source}")]
    Store {
        url: String,
        path: String,
        source: std::io::Error,
    },
}

/// A downloaded body.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub content_type: Option<String>,
}

/// The shared agent (connections are reused across fetches).
fn agent() -> &'static ureq::Agent {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    AGENT.get_or_init(|| {
        ureq::Agent::config_builder()
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_recv_response(Some(READ_TIMEOUT))
            .timeout_per_read(Some(READ_TIMEOUT))
            .timeout_global(Some(OVERALL_TIMEOUT))
            .build()
            .into()
    })
}

pub fn is_http(s: &str) -> bool {
    let l = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    l.starts_with("http://") || l.starts_with("https://")
}

fn request_error(url: &str, e: impl std::fmt::Display) -> NetError {
    NetError::Request {
        url: url.to_string(),
        message: e.to_string(),
    }
}

/// Opens `url` and hands the body, read under `max_bytes`, to `sink`.
fn with_body<T>(
    url: &str,
    max_bytes: u64,
    sink: impl FnOnce(&mut dyn Read, Option<String>) -> Result<T, NetError>,
) -> Result<T, NetError> {
    let mut resp = agent().get(url).call().map_err(|e| request_error(url, e))?;
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let declared = resp
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > max_bytes) {
        return Err(NetError::TooLarge {
            url: url.to_string(),
            limit: max_bytes,
        });
    }
    // One byte over the cap is read so that "exactly the cap" and "more" can be told apart.
    let mut body = resp
        .body_mut()
        .with_config()
        .limit(u64::MAX)
        .reader()
        .take(max_bytes + 1);
    sink(&mut body, content_type)
}

/// An HTTP method of an API call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Patch,
    Delete,
}

impl Method {
    /// Whether the server may have acted on a request that got no answer (a retry could
    /// then do it twice).
    pub fn changes_state(self) -> bool {
        !matches!(self, Method::Get)
    }
}

/// How an API call failed before any status came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// No connection was made (refused, unknown host): the request was never sent.
    Connect,
    /// The server did not answer in time: it may have acted on the request.
    Timeout,
    /// Anything else (TLS, a broken response, a body over the cap).
    Other,
}

/// A failed API call, with the URL (never the headers, which may hold a key).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{url}: {message}")]
pub struct CallError {
    pub url: String,
    pub failure: Failure,
    pub message: String,
}

/// An API call's answer, whatever its status.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// Sends one API request with `headers` and an optional JSON body, and reads the answer
/// (any status) under `max_bytes`.
pub fn call(
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
    json: Option<&[u8]>,
    max_bytes: u64,
) -> Result<Answer, CallError> {
    call_with(
        method,
        url,
        headers,
        json.map(|b| (b, "application/json")),
        max_bytes,
    )
}

/// [`call`] with a body of any content type: (bytes, content type).
pub fn call_with(
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<(&[u8], &str)>,
    max_bytes: u64,
) -> Result<Answer, CallError> {
    let fail = |failure, e: &dyn std::fmt::Display| CallError {
        url: url.to_string(),
        failure,
        message: e.to_string(),
    };
    let classify = |e: ureq::Error| {
        let failure = match &e {
            ureq::Error::Timeout(_) => Failure::Timeout,
            ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => Failure::Connect,
            ureq::Error::Io(io)
                if matches!(
                    io.kind(),
                    std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::NotFound
                ) =>
            {
                Failure::Connect
            }
            ureq::Error::Io(io)
                if matches!(
                    io.kind(),
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
                ) =>
            {
                Failure::Timeout
            }
            _ => Failure::Other,
        };
        fail(failure, &e)
    };
    macro_rules! with_headers {
        ($req:expr) => {{
            let mut r = $req.config().http_status_as_error(false).build();
            for (k, v) in headers {
                r = r.header(*k, *v);
            }
            r
        }};
    }
    let a = agent();
    let sent = match (method, body) {
        (Method::Get, _) => with_headers!(a.get(url)).call(),
        (Method::Delete, _) => with_headers!(a.delete(url)).call(),
        (Method::Post, Some((b, t))) => with_headers!(a.post(url)).content_type(t).send(b),
        (Method::Post, None) => with_headers!(a.post(url)).send_empty(),
        (Method::Patch, Some((b, t))) => with_headers!(a.patch(url)).content_type(t).send(b),
        (Method::Patch, None) => with_headers!(a.patch(url)).send_empty(),
    };
    let mut resp = sent.map_err(classify)?;
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut body = Vec::new();
    resp.body_mut()
        .with_config()
        .limit(u64::MAX)
        .reader()
        .take(max_bytes + 1)
        .read_to_end(&mut body)
        .map_err(|e| {
            let kind = if e.kind() == std::io::ErrorKind::TimedOut {
                Failure::Timeout
            } else {
                Failure::Other
            };
            fail(kind, &e)
        })?;
    if body.len() as u64 > max_bytes {
        return Err(fail(
            Failure::Other,
            &format!("the answer is larger than {max_bytes} bytes; refused"),
        ));
    }
    Ok(Answer {
        status,
        content_type,
        body,
    })
}

/// Fetches a whole body into memory.
pub fn get(url: &str, max_bytes: u64) -> Result<Fetched, NetError> {
    with_body(url, max_bytes, |body, content_type| {
        let mut bytes = Vec::new();
        body.read_to_end(&mut bytes)
            .map_err(|e| request_error(url, e))?;
        if bytes.len() as u64 > max_bytes {
            return Err(NetError::TooLarge {
                url: url.to_string(),
                limit: max_bytes,
            });
        }
        Ok(Fetched {
            bytes,
            content_type,
        })
    })
}

/// Streams a body into `target` through a temporary file beside it, renamed into place
/// only when complete: a failed download leaves nothing behind. Returns the Content-Type.
pub fn download(url: &str, target: &Path, max_bytes: u64) -> Result<Option<String>, NetError> {
    let store = |path: &Path, source: std::io::Error| NetError::Store {
        url: url.to_string(),
        path: path.display().to_string(),
        source,
    };
    let tmp = target.with_file_name(format!(
        ".{}.part",
        target.file_name().unwrap_or_default().to_string_lossy()
    ));
    let result = with_body(url, max_bytes, |body, content_type| {
        let mut out = std::fs::File::create(&tmp).map_err(|e| store(&tmp, e))?;
        let n = std::io::copy(body, &mut out).map_err(|e| request_error(url, e))?;
        if n > max_bytes {
            return Err(NetError::TooLarge {
                url: url.to_string(),
                limit: max_bytes,
            });
        }
        out.flush().map_err(|e| store(&tmp, e))?;
        Ok(content_type)
    });
    match result {
        Ok(ct) => {
            std::fs::rename(&tmp, target).map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                store(target, e)
            })?;
            Ok(ct)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// Answers one request with `body` (and its length), on 127.0.0.1.
    fn serve_once(body: Vec<u8>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            if let Ok((mut conn, _)) = listener.accept() {
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf);
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = conn.write_all(head.as_bytes());
                let _ = conn.write_all(&body);
            }
        });
        format!("http://127.0.0.1:{port}/x.txt")
    }

    #[test]
    fn bodies_are_capped() {
        let url = serve_once(b"hello".to_vec());
        let got = get(&url, 5).unwrap();
        assert_eq!(got.bytes, b"hello");
        assert_eq!(got.content_type.as_deref(), Some("text/plain"));
        let url = serve_once(b"hello!".to_vec());
        assert!(matches!(get(&url, 5), Err(NetError::TooLarge { .. })));
    }

    #[test]
    fn failed_downloads_leave_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let url = serve_once(vec![7; 100]);
        let target = dir.path().join("t.bin");
        assert!(matches!(
            download(&url, &target, 10),
            Err(NetError::TooLarge { .. })
        ));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let url = serve_once(vec![7; 100]);
        download(&url, &target, 100).unwrap();
        assert_eq!(std::fs::read(&target).unwrap().len(), 100);
    }
}
