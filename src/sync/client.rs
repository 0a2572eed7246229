//! Label Studio's REST API over the program's one HTTP client ([`crate::net::call`]).
//!
//! Two kinds of key work, as in Label Studio's SDK: a legacy token (`Authorization: Token
//! KEY`) and a personal access token, which is a JWT refresh token traded at
//! `/api/token/refresh` for short-lived access tokens (`Authorization: Bearer ACCESS`).
//! Transient failures are retried with back-off; a request that may have changed
//! something on the server is never sent twice unless the server cannot have acted on it
//! (no connection, or 429/502/503). No message carries the key.

use super::credentials::{Credentials, Secret};
use crate::net::{self, Answer, Failure, Method};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Mutex;
use std::time::Duration;

/// API answers larger than this are refused (a page of tasks is far smaller).
pub const MAX_ANSWER_BYTES: u64 = 1 << 30;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(
        "no Label Studio server given: set LABEL_STUDIO_URL, pass --url, or set url in the [label-studio] section of {config}"
    )]
    NoUrl { config: String },
    #[error(
        "no Label Studio API key: set LABEL_STUDIO_API_KEY, or api_key in the [label-studio] section of {config} (in Label Studio: Account & Settings, then Personal Access Token or Legacy Token)"
    )]
    NoKey { config: String },
    #[error("{path}: {message}")]
    Config { path: String, message: String },
    #[error("{url}: {message}")]
    BadUrl { url: String, message: String },
    #[error("cannot reach the Label Studio server at {url} ({tries} tries): {message}")]
    Unreachable {
        url: String,
        tries: u32,
        message: String,
    },
    #[error(
        "the Label Studio server at {url} refused the API key (HTTP {status}: {detail}); check LABEL_STUDIO_API_KEY (a legacy token works only where the organization allows legacy tokens)"
    )]
    Auth {
        url: String,
        status: u16,
        detail: String,
    },
    #[error("{action}: the server answered HTTP {status}: {detail}")]
    Refused {
        action: String,
        status: u16,
        detail: String,
    },
    #[error(
        "{action}: no answer from the server in time, so it may or may not have been done: {message}"
    )]
    NoAnswer { action: String, message: String },
    #[error("{action}: the server's answer is not Label Studio's: {message}")]
    BadAnswer { action: String, message: String },
}

impl SyncError {
    /// The HTTP status the server gave, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            SyncError::Auth { status, .. } | SyncError::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }
}

enum Auth {
    Legacy(Secret),
    /// A personal access token and the access token last traded for it.
    Personal {
        refresh: Secret,
        access: Mutex<Option<Secret>>,
    },
}

/// Whether a key has a JWT's shape (three base64url parts, a JSON header): a personal
/// access token. Legacy tokens are 40 hex digits.
fn is_jwt(key: &str) -> bool {
    let parts: Vec<&str> = key.split('.').collect();
    parts.len() == 3
        && key.starts_with("eyJ")
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

pub struct Client {
    base: String,
    auth: Auth,
    /// Tries per request for transient failures, and the first wait (doubled each time).
    tries: u32,
    first_wait: Duration,
    /// The local folders task media may be read from when they go to the server (`push
    /// --media-root/--allow-path`); None: the task's import folder and the local-files root
    /// from the environment, as the annotator reads them.
    media_roots: Option<crate::media::Roots>,
}

impl Client {
    pub fn new(creds: &Credentials) -> Client {
        let auth = if is_jwt(creds.key.expose()) {
            Auth::Personal {
                refresh: creds.key.clone(),
                access: Mutex::new(None),
            }
        } else {
            Auth::Legacy(creds.key.clone())
        };
        Client {
            base: creds.url.clone(),
            auth,
            tries: 5,
            first_wait: Duration::from_millis(500),
            media_roots: None,
        }
    }

    /// The same client reading task media from `roots` (besides each task's import folder).
    pub fn with_media_roots(mut self, roots: crate::media::Roots) -> Client {
        self.media_roots = Some(roots);
        self
    }

    pub fn media_roots(&self) -> Option<&crate::media::Roots> {
        self.media_roots.as_ref()
    }

    /// The same client with another retry schedule (tests use short waits).
    pub fn with_retries(mut self, tries: u32, first_wait: Duration) -> Client {
        self.tries = tries.max(1);
        self.first_wait = first_wait;
        self
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn authorization(&self) -> Result<String, SyncError> {
        match &self.auth {
            Auth::Legacy(key) => Ok(format!("Token {}", key.expose())),
            Auth::Personal { refresh, access } => {
                let mut slot = access.lock().unwrap_or_else(|p| p.into_inner());
                if slot.is_none() {
                    *slot = Some(self.trade(refresh)?);
                }
                Ok(format!(
                    "Bearer {}",
                    slot.as_ref().expect("just set").expose()
                ))
            }
        }
    }

    /// Trades a personal access token for an access token.
    fn trade(&self, refresh: &Secret) -> Result<Secret, SyncError> {
        #[derive(serde::Deserialize)]
        struct Access {
            access: String,
        }
        let body = serde_json::json!({ "refresh": refresh.expose() }).to_string();
        let answer = self.send_with(
            Method::Post,
            "/api/token/refresh",
            Some((body.as_bytes(), "application/json")),
            "trading the personal access token",
            None,
        )?;
        let a: Access = parse(&answer, "trading the personal access token")?;
        Ok(Secret::new(a.access))
    }

    fn forget_access(&self) -> bool {
        match &self.auth {
            Auth::Personal { access, .. } => {
                access.lock().unwrap_or_else(|p| p.into_inner()).take();
                true
            }
            Auth::Legacy(_) => false,
        }
    }

    /// Sends a request with a body (bytes, content type); `authorization` None sends none
    /// (the token trade).
    fn send_with(
        &self,
        method: Method,
        path: &str,
        body: Option<(&[u8], &str)>,
        action: &str,
        authorization: Option<&str>,
    ) -> Result<Answer, SyncError> {
        let url = format!("{}{path}", self.base);
        let mut headers = vec![("Accept", "application/json")];
        if let Some(a) = authorization {
            headers.push(("Authorization", a));
        }
        let mut tries = 0;
        loop {
            tries += 1;
            let last = tries >= self.tries;
            let wait = self.first_wait * 2u32.saturating_pow(tries - 1);
            match net::call_with(method, &url, &headers, body, MAX_ANSWER_BYTES) {
                Err(e) => {
                    let retry = match e.failure {
                        Failure::Connect => true,
                        Failure::Timeout => !method.changes_state(),
                        Failure::Other => false,
                    };
                    if retry && !last {
                        std::thread::sleep(wait);
                        continue;
                    }
                    return Err(match e.failure {
                        Failure::Timeout if method.changes_state() => SyncError::NoAnswer {
                            action: action.to_string(),
                            message: e.message,
                        },
                        Failure::Connect | Failure::Timeout => SyncError::Unreachable {
                            url: self.base.clone(),
                            tries,
                            message: e.message,
                        },
                        Failure::Other => SyncError::BadAnswer {
                            action: action.to_string(),
                            message: e.message,
                        },
                    });
                }
                Ok(a) => {
                    // The server did not act on these: busy, or a proxy without a backend.
                    let transient = matches!(a.status, 429 | 502 | 503)
                        || (a.status == 504 && !method.changes_state());
                    if transient && !last {
                        std::thread::sleep(wait);
                        continue;
                    }
                    return match a.status {
                        200..=299 => Ok(a),
                        401 if authorization.is_some() => Err(SyncError::Auth {
                            url: self.base.clone(),
                            status: a.status,
                            detail: detail(&a),
                        }),
                        status => Err(SyncError::Refused {
                            action: action.to_string(),
                            status,
                            detail: detail(&a),
                        }),
                    };
                }
            }
        }
    }

    /// Sends an authorised request. An access token the server no longer takes is traded
    /// again once.
    pub fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        action: &str,
    ) -> Result<Answer, SyncError> {
        let bytes = body.map(|b| serde_json::to_vec(b).expect("JSON values serialise"));
        self.send_bytes(
            method,
            path,
            bytes.as_deref().map(|b| (b, "application/json")),
            action,
        )
    }

    /// [`Client::send`] with a body of any content type: (bytes, content type).
    fn send_bytes(
        &self,
        method: Method,
        path: &str,
        body: Option<(&[u8], &str)>,
        action: &str,
    ) -> Result<Answer, SyncError> {
        let auth = self.authorization()?;
        match self.send_with(method, path, body, action, Some(&auth)) {
            Err(SyncError::Auth { .. }) if self.forget_access() => {
                let auth = self.authorization()?;
                self.send_with(method, path, body, action, Some(&auth))
            }
            other => other,
        }
    }

    /// Posts one file as `multipart/form-data` (the part `file`, named `filename`).
    pub fn post_file<T: DeserializeOwned>(
        &self,
        path: &str,
        filename: &str,
        bytes: &[u8],
        action: &str,
    ) -> Result<T, SyncError> {
        let (body, content_type) = multipart(filename, bytes);
        parse(
            &self.send_bytes(Method::Post, path, Some((&body, &content_type)), action)?,
            action,
        )
    }

    pub fn get<T: DeserializeOwned>(&self, path: &str, action: &str) -> Result<T, SyncError> {
        parse(&self.send(Method::Get, path, None, action)?, action)
    }

    pub fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &Value,
        action: &str,
    ) -> Result<T, SyncError> {
        parse(&self.send(Method::Post, path, Some(body), action)?, action)
    }

    pub fn patch<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &Value,
        action: &str,
    ) -> Result<T, SyncError> {
        parse(&self.send(Method::Patch, path, Some(body), action)?, action)
    }

    pub fn delete(&self, path: &str, action: &str) -> Result<(), SyncError> {
        self.send(Method::Delete, path, None, action).map(|_| ())
    }

    /// Reads a server project's tasks `page_size` at a time, in the order and selection of
    /// the data manager `query`, handing each page to `f`. `fields` is the task list's
    /// `all` (annotations and predictions included) or `task_only` (cheaper).
    pub fn each_task_page<T: DeserializeOwned, E: From<SyncError>>(
        &self,
        project: i64,
        fields: TaskFields,
        query: &Value,
        page_size: usize,
        mut f: impl FnMut(Vec<T>) -> Result<(), E>,
    ) -> Result<(), E> {
        #[derive(serde::Deserialize)]
        #[serde(bound = "T: DeserializeOwned")]
        struct Page<T> {
            #[serde(default = "Vec::new")]
            tasks: Vec<T>,
        }
        let query = encode(&query.to_string());
        let fields = fields.query();
        for page in 1.. {
            let path = format!(
                "/api/tasks?project={project}&fields={fields}&page={page}&page_size={page_size}&query={query}"
            );
            let tasks =
                match self.get::<Page<T>>(&path, &format!("reading tasks of project {project}")) {
                    Ok(p) => p.tasks,
                    // Label Studio answers a page past the end with 404 "Invalid page.".
                    Err(SyncError::Refused { status: 404, .. }) if page > 1 => Vec::new(),
                    Err(e) => return Err(e.into()),
                };
            let n = tasks.len();
            f(tasks)?;
            if n < page_size {
                break;
            }
        }
        Ok(())
    }

    /// Every task of a server project in id order, a page of `page_size` at a time, as
    /// Label Studio's export API gives them (annotations in full, predictions as ids): the
    /// ids from id-only pages of the task list, the tasks themselves from the export API.
    pub fn each_exported_page<T: DeserializeOwned, E: From<SyncError>>(
        &self,
        project: i64,
        page_size: usize,
        mut f: impl FnMut(Vec<T>) -> Result<(), E>,
    ) -> Result<(), E> {
        #[derive(serde::Deserialize)]
        struct TaskId {
            id: i64,
        }
        let query = serde_json::json!({"ordering": ["tasks:id"]});
        self.each_task_page(
            project,
            TaskFields::Ids,
            &query,
            page_size,
            |page: Vec<TaskId>| {
                let ids: Vec<i64> = page.iter().map(|t| t.id).collect();
                f(self.export_tasks(project, &ids)?)
            },
        )
    }

    /// The tasks `ids` of a server project through its export API (Label Studio's JSON
    /// export: annotations in full, predictions as ids), 500 a request.
    pub fn export_tasks<T: DeserializeOwned>(
        &self,
        project: i64,
        ids: &[i64],
    ) -> Result<Vec<T>, SyncError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let mut path =
                format!("/api/projects/{project}/export?exportType=JSON&download_all_tasks=true");
            for id in chunk {
                path.push_str(&format!("&ids%5B%5D={id}"));
            }
            let tasks: Vec<T> = self.get(
                &path,
                &format!("reading back {} task(s) of project {project}", chunk.len()),
            )?;
            out.extend(tasks);
        }
        Ok(out)
    }
}

/// A `multipart/form-data` body with one file part `file`, and its content type. The
/// file name is reduced to characters that need no quoting (others become `_`).
fn multipart(filename: &str, bytes: &[u8]) -> (Vec<u8>, String) {
    let name: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let name = if name.is_empty() || name.starts_with('.') {
        format!("file{name}")
    } else {
        name
    };
    // A boundary that the content does not hold.
    let mut n: u64 = 0;
    let boundary = loop {
        let b = format!("labelterm-{n:016x}");
        if !bytes.windows(b.len()).any(|w| w == b.as_bytes()) {
            break b;
        }
        n += 1;
    };
    let mut body = Vec::with_capacity(bytes.len() + 256);
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (body, format!("multipart/form-data; boundary={boundary}"))
}

/// What a page of the data manager's task list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskFields {
    /// Tasks with their annotations and predictions in full (the dearest read).
    All,
    /// Only the ids (`include=id`): a third to a half of the cost of `task_only`, for
    /// walking a project whose tasks are then read through the export API.
    Ids,
}

impl TaskFields {
    fn query(self) -> &'static str {
        match self {
            TaskFields::All => "all",
            TaskFields::Ids => "task_only&include=id",
        }
    }
}

/// Percent-encodes a query parameter value.
pub fn encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn parse<T: DeserializeOwned>(a: &Answer, action: &str) -> Result<T, SyncError> {
    serde_json::from_slice(&a.body).map_err(|e| SyncError::BadAnswer {
        action: action.to_string(),
        message: if looks_like_html(a) {
            "an HTML page instead of JSON: is the URL the Label Studio server's?".to_string()
        } else {
            format!("{e}")
        },
    })
}

fn looks_like_html(a: &Answer) -> bool {
    a.content_type
        .as_deref()
        .is_some_and(|t| t.to_ascii_lowercase().contains("html"))
        || a.body.trim_ascii_start().starts_with(b"<")
}

/// What an error answer says, in one line: Label Studio's `detail` and each field's
/// validation messages (or Django REST framework's plain `{field: [messages]}`).
pub fn detail(a: &Answer) -> String {
    const MAX: usize = 600;
    let text = match serde_json::from_slice::<Value>(&a.body) {
        Ok(Value::Object(m)) => {
            let mut parts = Vec::new();
            if let Some(d) = m.get("detail").and_then(Value::as_str) {
                parts.push(d.to_string());
            }
            let fields = match m.get("validation_errors") {
                Some(Value::Object(v)) => Some(v.clone()),
                _ if !m.contains_key("detail") => Some(m.clone()),
                _ => None,
            };
            for (field, msgs) in fields.iter().flatten() {
                let msgs = match msgs {
                    Value::Array(list) => list
                        .iter()
                        .map(|v| v.as_str().map(str::to_string).unwrap_or(v.to_string()))
                        .collect::<Vec<_>>()
                        .join(" "),
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                parts.push(format!("{field}: {msgs}"));
            }
            if parts.is_empty() {
                Value::Object(m).to_string()
            } else {
                parts.join("; ")
            }
        }
        Ok(Value::Array(list)) => list
            .iter()
            .map(|v| v.as_str().map(str::to_string).unwrap_or(v.to_string()))
            .collect::<Vec<_>>()
            .join("; "),
        Ok(other) => other.to_string(),
        Err(_) if looks_like_html(a) => "an HTML page instead of an API answer".to_string(),
        Err(_) if a.body.is_empty() => "no details".to_string(),
        Err(_) => String::from_utf8_lossy(&a.body).trim().to_string(),
    };
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}...", &one_line[..i]),
        None => one_line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;
    use std::sync::{Arc, Mutex as StdMutex};

    /// What the scripted server saw of one request.
    #[derive(Debug, Clone)]
    struct Seen {
        method: String,
        path: String,
        authorization: Option<String>,
        body: String,
    }

    /// A server on 127.0.0.1 that answers each request with the next scripted
    /// (status, content type, body), closing the connection after each.
    fn server(
        script: Vec<(u16, &'static str, &'static str)>,
    ) -> (String, Arc<StdMutex<Vec<Seen>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(StdMutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for (status, ctype, body) in script {
                let Ok((stream, _)) = listener.accept() else {
                    return;
                };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut head = Vec::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    head.push(line.trim_end().to_string());
                }
                let header = |name: &str| {
                    head.iter().find_map(|h| {
                        let (k, v) = h.split_once(':')?;
                        k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
                    })
                };
                let len: usize = header("content-length")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                let mut buf = vec![0; len];
                reader.read_exact(&mut buf).unwrap();
                let mut parts = head[0].split(' ');
                log.lock().unwrap().push(Seen {
                    method: parts.next().unwrap().to_string(),
                    path: parts.next().unwrap().to_string(),
                    authorization: header("authorization"),
                    body: String::from_utf8_lossy(&buf).into_owned(),
                });
                let mut s = stream;
                let _ = write!(
                    s,
                    "HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        (url, seen)
    }

    fn client(url: &str, key: &str) -> Client {
        Client::new(&Credentials {
            url: url.to_string(),
            key: Secret::new(key),
        })
        .with_retries(3, Duration::from_millis(10))
    }

    const JSON: &str = "application/json";
    const PAT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCJ9.c2lnbmF0dXJl";

    #[test]
    fn a_legacy_token_goes_in_a_token_header() {
        let (url, seen) = server(vec![(
            200,
            JSON,
            r#"{"id": 1, "title": "abc", "label_config": "<View/>"}"#,
        )]);
        let p: crate::sync::link::ServerProject = client(&url, "0123abcd")
            .get("/api/projects/1", "reading")
            .unwrap();
        assert_eq!(p.id, 1);
        let seen = seen.lock().unwrap();
        assert_eq!(seen[0].path, "/api/projects/1");
        assert_eq!(seen[0].authorization.as_deref(), Some("Token 0123abcd"));
    }

    #[test]
    fn a_personal_access_token_is_traded_and_traded_again_when_refused() {
        let (url, seen) = server(vec![
            (200, JSON, r#"{"access": "first"}"#),
            (200, JSON, "[]"),
            (401, JSON, r#"{"detail": "Token is expired"}"#),
            (200, JSON, r#"{"access": "second"}"#),
            (200, JSON, "[]"),
        ]);
        let c = client(&url, PAT);
        let _: Value = c.get("/api/users", "listing").unwrap();
        let _: Value = c.get("/api/users", "listing").unwrap();
        let seen = seen.lock().unwrap();
        let shown: Vec<(&str, Option<&str>)> = seen
            .iter()
            .map(|s| (s.path.as_str(), s.authorization.as_deref()))
            .collect();
        assert_eq!(
            shown,
            vec![
                ("/api/token/refresh", None),
                ("/api/users", Some("Bearer first")),
                ("/api/users", Some("Bearer first")),
                ("/api/token/refresh", None),
                ("/api/users", Some("Bearer second")),
            ]
        );
        assert_eq!(seen[0].method, "POST");
        assert_eq!(seen[0].body, format!(r#"{{"refresh":"{PAT}"}}"#));
    }

    #[test]
    fn busy_servers_are_tried_again_and_refusals_say_why_without_the_key() {
        let (url, seen) = server(vec![
            (503, "text/html", "<html>busy</html>"),
            (502, "text/html", "<html>bad gateway</html>"),
            (
                200,
                JSON,
                r#"{"id": 7, "title": "abc", "label_config": "<View/>"}"#,
            ),
            (
                400,
                JSON,
                r#"{"id": "x", "status_code": 400, "detail": "Validation error", "validation_errors": {"title": ["Ensure this field has at least 3 characters."]}}"#,
            ),
            (404, "text/html", "<!doctype html><html>not found</html>"),
            (401, JSON, r#"{"detail": "Invalid token."}"#),
        ]);
        let c = client(&url, "sekrit-key-42");
        let p: crate::sync::link::ServerProject = c
            .post("/api/projects", &serde_json::json!({}), "making")
            .unwrap();
        assert_eq!(p.id, 7);
        let e = c
            .post::<Value>(
                "/api/projects",
                &serde_json::json!({}),
                "making the project",
            )
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "making the project: the server answered HTTP 400: Validation error; title: Ensure this field has at least 3 characters."
        );
        let e = c
            .get::<Value>("/api/projects/9/import", "importing")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "importing: the server answered HTTP 404: an HTML page instead of an API answer"
        );
        let e = c.get::<Value>("/api/users", "listing").unwrap_err();
        assert!(matches!(e, SyncError::Auth { status: 401, .. }), "{e:?}");
        assert!(e.to_string().contains("Invalid token."), "{e}");
        assert_eq!(seen.lock().unwrap().len(), 6);
        for s in seen.lock().unwrap().iter() {
            assert_eq!(s.authorization.as_deref(), Some("Token sekrit-key-42"));
        }
        assert!(!format!("{e} {e:?}").contains("sekrit"));
    }

    #[test]
    fn a_file_goes_as_one_multipart_part_with_a_plain_name() {
        let (url, seen) = server(vec![(201, JSON, r#"{"file_upload_ids": [4]}"#)]);
        let bytes = b"\x89PNG\r\n--labelterm-0000000000000000 in the content";
        let answer: Value = client(&url, "k")
            .post_file(
                "/api/projects/1/import?commit_to_project=false",
                "a \"b\"\r\n\u{e9}.png",
                bytes,
                "uploading",
            )
            .unwrap();
        assert_eq!(answer["file_upload_ids"][0], 4);
        let seen = seen.lock().unwrap();
        assert_eq!(seen[0].method, "POST");
        let body = &seen[0].body;
        // The boundary is not in the content.
        let boundary = "labelterm-0000000000000001";
        assert_eq!(
            *body,
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a__b____.png\"\r\nContent-Type: application/octet-stream\r\n\r\n{}\r\n--{boundary}--\r\n",
                String::from_utf8_lossy(bytes)
            )
        );
        assert_eq!(
            multipart(".png", b"")
                .0
                .windows(10)
                .filter(|w| w == b"file.png\"\r")
                .count(),
            1
        );
    }

    #[test]
    fn a_server_that_is_not_there_is_named_after_the_tries() {
        // A port that was free a moment ago: nothing listens there.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let c = client(&format!("http://127.0.0.1:{port}"), "k");
        let e = c.get::<Value>("/api/projects", "listing").unwrap_err();
        assert!(
            matches!(e, SyncError::Unreachable { tries: 3, .. }),
            "{e:?}"
        );
        assert!(e.to_string().starts_with(&format!(
            "cannot reach the Label Studio server at http://127.0.0.1:{port} (3 tries)"
        )));
    }
}
