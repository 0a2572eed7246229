//! Table files (Parquet, Arrow, spreadsheets, Hugging Face datasets) are decoded in a child
//! process. Their decoders trust sizes written in the file: a damaged or hostile file can
//! make one ask for terabytes, which ends the process without unwinding (no `catch_unwind`
//! can stop it). In a child, that ends only the child, and the import reports the file as
//! damaged.
//!
//! The child is the same binary (`labelterm decode-table`, hidden), which runs the reader
//! and writes what it hands over to standard output, one line each:
//! - `I <record> <file> <data>`: an item (tab-separated; `file` a JSON string, `data` the
//!   task data as one line of JSON);
//! - `W <problem>` a warning, `E <problem>` the reader's error (problems as JSON);
//! - `B <bytes>`: bytes read so far, for the progress bar.
//!
//! Library callers (tests, benchmarks) decode in their own process unless [`enable`] is
//! called; the binary calls it at start.

use super::{Flow, ImportOptions, InputFormat, ItemSink, RawItem, RawMap, TaskReader};
use crate::error::{Location, Problem};
use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Decode table files in a child process from now on (the binary's choice).
pub fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
}

/// The reader of a table format: in a child process when enabled, else here.
pub struct Isolated {
    pub format: InputFormat,
    pub sheet: Option<String>,
    pub splits: Vec<String>,
}

impl Isolated {
    pub fn new(format: InputFormat, opts: &ImportOptions) -> Isolated {
        Isolated {
            format,
            sheet: opts.sheet.clone(),
            splits: opts.splits.clone(),
        }
    }

    /// The reader that does the decoding.
    fn direct(&self) -> Box<dyn TaskReader> {
        match self.format {
            InputFormat::Parquet => Box::new(super::parquet::ParquetReader),
            InputFormat::Arrow => Box::new(super::arrow_ipc::ArrowReader),
            InputFormat::Excel => Box::new(super::excel::ExcelReader {
                sheet: self.sheet.clone(),
            }),
            InputFormat::HfDataset => Box::new(super::hf::HfDatasetReader {
                splits: self.splits.clone(),
            }),
            other => unreachable!("{} is not a table format", other.name()),
        }
    }

    /// The child's command line.
    fn args(&self, path: &Path, name: &str) -> Vec<std::ffi::OsString> {
        let mut args: Vec<std::ffi::OsString> = vec![
            "decode-table".into(),
            "--format".into(),
            self.format.name().into(),
        ];
        if let Some(sheet) = &self.sheet {
            args.extend(["--sheet".into(), sheet.into()]);
        }
        if !self.splits.is_empty() {
            args.extend(["--split".into(), self.splits.join(",").into()]);
        }
        args.extend([path.as_os_str().to_owned(), name.into()]);
        args
    }
}

impl TaskReader for Isolated {
    fn read(&self, path: &Path, name: &str, sink: &mut dyn ItemSink) -> Result<(), Problem> {
        if !ENABLED.load(Ordering::Relaxed) {
            return self.direct().read(path, name, sink);
        }
        let problem = |m: String| Problem::new(Location::file(name), m);
        let exe = std::env::current_exe()
            .map_err(|e| problem(format!("cannot start the table reader: {e}")))?;
        let mut child = std::process::Command::new(exe)
            .args(self.args(path, name))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| problem(format!("cannot start the table reader: {e}")))?;
        let stdout = child.stdout.take().expect("piped");
        let outcome = relay(std::io::BufReader::with_capacity(1 << 16, stdout), sink);
        // Stopped early (the sink had enough, or a reply was unreadable): the child is
        // not needed any more.
        if !matches!(outcome, Relayed::End) {
            let _ = child.kill();
        }
        let status = child
            .wait()
            .map_err(|e| problem(format!("the table reader failed: {e}")))?;
        match outcome {
            Relayed::Stopped => Ok(()),
            Relayed::Failed(p) => Err(p),
            Relayed::End if status.success() => Ok(()),
            Relayed::End => {
                use std::os::unix::process::ExitStatusExt;
                let how = match status.signal() {
                    Some(sig) => format!("signal {sig}"),
                    None => format!("exit code {}", status.code().unwrap_or(-1)),
                };
                Err(problem(format!(
                    "the file is damaged: its decoder stopped ({how}), most likely on a size \
                     the file states that cannot be right, or needing more memory than a \
                     table import may take (half of this machine's, at most 8 GiB)"
                )))
            }
        }
    }
}

enum Relayed {
    /// The child finished writing.
    End,
    /// The sink asked to stop.
    Stopped,
    /// The reader's own error, or a line that could not be read.
    Failed(Problem),
}

/// Hands the child's lines to `sink`.
fn relay(mut lines: impl BufRead, sink: &mut dyn ItemSink) -> Relayed {
    let mut line = String::new();
    let mut bytes_seen = 0u64;
    loop {
        line.clear();
        match lines.read_line(&mut line) {
            Ok(0) | Err(_) => return Relayed::End,
            Ok(_) => {}
        }
        let text = line.trim_end_matches('\n');
        let Some((kind, rest)) = text.split_once('\t') else {
            continue;
        };
        match kind {
            "I" => {
                let mut parts = rest.splitn(3, '\t');
                let (Some(record), Some(file), Some(data)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    continue;
                };
                let file: String = serde_json::from_str(file).unwrap_or_default();
                let Ok(data) = serde_json::from_str::<RawMap>(data) else {
                    return Relayed::Failed(Problem::new(
                        Location::file(file),
                        "the table reader sent a row that is not JSON",
                    ));
                };
                let loc = Location {
                    record: record.parse().ok(),
                    ..Location::file(file)
                };
                if let Flow::Stop = sink.item(RawItem::data(data, loc)) {
                    return Relayed::Stopped;
                }
            }
            "W" | "E" => {
                let Ok(p) = serde_json::from_str::<Problem>(rest) else {
                    continue;
                };
                if kind == "W" {
                    sink.warn(p);
                } else {
                    return Relayed::Failed(p);
                }
            }
            "B" => {
                if let Ok(total) = rest.parse::<u64>() {
                    super::BYTES_READ.fetch_add(
                        total.saturating_sub(bytes_seen),
                        std::sync::atomic::Ordering::Relaxed,
                    );
                    bytes_seen = bytes_seen.max(total);
                }
            }
            _ => {}
        }
    }
}

/// The child's side (`labelterm decode-table`): reads the file and writes the lines.
pub fn serve(
    format: InputFormat,
    sheet: Option<String>,
    splits: Vec<String>,
    path: &Path,
    name: &str,
) -> std::process::ExitCode {
    limit_memory();
    let reader = Isolated {
        format,
        sheet,
        splits,
    };
    let out = std::io::stdout();
    let mut sink = LineSink {
        out: std::io::BufWriter::with_capacity(1 << 16, out.lock()),
        items: 0,
        broken: false,
    };
    let result = reader.direct().read(path, name, &mut sink);
    if let Err(p) = &result {
        sink.line('E', &serde_json::to_string(p).unwrap_or_default());
    }
    sink.bytes();
    let _ = sink.out.flush();
    std::process::ExitCode::SUCCESS
}

/// The most address space a decoding child may take: far more than any row group or sheet
/// needs, far less than a stated size can ask for.
const MEMORY_CAP: u64 = 8 << 30;

/// Caps the child's address space at half the machine's memory, at most [`MEMORY_CAP`]: a
/// decoder that sizes a buffer as a damaged file says (a sheet of billions of cells) then
/// fails inside the child instead of pushing the machine into its out-of-memory killer.
fn limit_memory() {
    // SAFETY: sysconf and setrlimit only read and set process limits.
    let (pages, page) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    if pages <= 0 || page <= 0 {
        return;
    }
    let limit = ((pages as u64).saturating_mul(page as u64) / 2).clamp(1 << 30, MEMORY_CAP);
    let cap = libc::rlimit {
        rlim_cur: limit,
        rlim_max: limit,
    };
    // SAFETY: a valid rlimit for this process; failure leaves the limit as it was.
    unsafe {
        libc::setrlimit(libc::RLIMIT_AS, &cap);
    }
}

struct LineSink<W: Write> {
    out: W,
    items: u64,
    /// The parent stopped reading.
    broken: bool,
}

impl<W: Write> LineSink<W> {
    fn line(&mut self, kind: char, rest: &str) {
        if writeln!(self.out, "{kind}\t{rest}").is_err() {
            self.broken = true;
        }
    }

    fn bytes(&mut self) {
        let n = super::BYTES_READ.load(std::sync::atomic::Ordering::Relaxed);
        self.line('B', &n.to_string());
    }
}

impl<W: Write> ItemSink for LineSink<W> {
    fn item(&mut self, item: RawItem) -> Flow {
        let super::Payload::Data(data) = &item.payload else {
            return Flow::Continue;
        };
        let file = serde_json::to_string(&item.loc.file).unwrap_or_default();
        let data = serde_json::to_string(data).unwrap_or_default();
        let record = item.loc.record.unwrap_or(0);
        if writeln!(self.out, "I\t{record}\t{file}\t{data}").is_err() {
            self.broken = true;
        }
        self.items += 1;
        if self.items.is_multiple_of(1024) {
            self.bytes();
        }
        if self.broken {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }

    fn warn(&mut self, problem: Problem) {
        self.line('W', &serde_json::to_string(&problem).unwrap_or_default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Keep(Vec<RawItem>, Vec<Problem>);

    impl ItemSink for Keep {
        fn item(&mut self, item: RawItem) -> Flow {
            self.0.push(item);
            Flow::Continue
        }
        fn warn(&mut self, problem: Problem) {
            self.1.push(problem);
        }
    }

    /// What the child writes, the parent reads back as the same items and problems.
    #[test]
    fn lines_carry_items_warnings_and_errors() {
        let mut out = Vec::new();
        let mut child = LineSink {
            out: &mut out,
            items: 0,
            broken: false,
        };
        let data: RawMap =
            serde_json::from_str(r#"{"text":"tab\there\nnewline","n":1,"nested":{"a":[1,2]}}"#)
                .unwrap();
        let loc = Location {
            record: Some(7),
            ..Location::file("dir/part\t1.parquet")
        };
        child.item(RawItem::data(data, loc));
        child.warn(Problem::new(
            Location::file("x.xlsx"),
            "3 cell(s) hold an error",
        ));
        child.line(
            'E',
            &serde_json::to_string(&Problem::new(Location::file("x.xlsx"), "no sheet")).unwrap(),
        );
        let mut sink = Keep(Vec::new(), Vec::new());
        let Relayed::Failed(p) = relay(&out[..], &mut sink) else {
            panic!("the error ends the relay");
        };
        assert_eq!(p.message, "no sheet");
        assert_eq!(sink.0.len(), 1);
        assert_eq!(sink.0[0].loc.file, "dir/part\t1.parquet");
        assert_eq!(sink.0[0].loc.record, Some(7));
        let super::super::Payload::Data(d) = &sink.0[0].payload else {
            panic!("data");
        };
        assert_eq!(d["text"].get(), r#""tab\there\nnewline""#);
        assert_eq!(d["nested"].get(), r#"{"a":[1,2]}"#);
        assert_eq!(sink.1[0].message, "3 cell(s) hold an error");
    }
}
