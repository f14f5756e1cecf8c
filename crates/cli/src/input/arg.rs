//! What an input argument may name: a regular file, or `-` for stdin.
//!
//! The importer reads every input at least twice (it checks all of it before it sends
//! anything), so an input must be a file it can open again. Stdin is therefore copied once,
//! as it streams in, to a temporary file that the passes read (and that is removed when the
//! run ends); the readers then apply their caps to it as to any file. A directory, a named
//! pipe, a device or a socket is refused with a message that says what it is.

use std::io::{self, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tempfile::NamedTempFile;

use super::lines::Input;

/// The argument that names stdin.
pub(super) const STDIN_ARG: &str = "-";
/// How stdin is named in problems and reports.
pub(super) const STDIN_NAME: &str = "stdin";

/// Where an input is read from, each time it is opened: a regular file, or the copy of
/// stdin (removed when the last clone is dropped).
#[derive(Debug, Clone)]
pub(super) struct InputPath {
    /// How problems and reports name the input: as given, or `stdin`.
    pub(super) name: String,
    path: PathBuf,
    _spool: Option<Arc<NamedTempFile>>,
}

impl InputPath {
    /// The input the argument `arg` names: `-` copies stdin ([`spool_stdin`]); any other
    /// must be a regular file ([`check_regular_file`]). Else the reason, naming `arg`.
    pub(super) fn new(arg: &Path) -> Result<Self, String> {
        if arg.as_os_str() == STDIN_ARG {
            let spool = spool_stdin().map_err(|m| format!("{STDIN_NAME}: {m}"))?;
            return Ok(Self {
                name: STDIN_NAME.to_owned(),
                path: spool.path().to_owned(),
                _spool: Some(Arc::new(spool)),
            });
        }
        let name = arg.display().to_string();
        check_regular_file(arg).map_err(|m| format!("{name}: {m}"))?;
        Ok(Self {
            name,
            path: arg.to_owned(),
            _spool: None,
        })
    }

    /// The path to open (for stdin, its copy's, whose extension tells the format it shows).
    pub(super) fn path(&self) -> &Path {
        &self.path
    }
}

/// Whether stdin was taken by an argument already (it can be read only once).
static STDIN_TAKEN: AtomicBool = AtomicBool::new(false);

/// Why `path` cannot be read as an input file, if it cannot: it is missing, unreadable, or
/// not a regular file.
pub(super) fn check_regular_file(path: &Path) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => "no such file".to_owned(),
        _ => format!("cannot open it: {e}"),
    })?;
    let kind = meta.file_type();
    if kind.is_file() {
        return Ok(());
    }
    Err(if kind.is_dir() {
        "is a directory; give the path of a file".to_owned()
    } else {
        format!("{}; give the path of a regular file", special_kind(&kind))
    })
}

/// What a file that is neither a regular file nor a directory is.
#[cfg(unix)]
fn special_kind(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "is a named pipe, which can be read only once while an import reads its input twice; \
         pipe it into stdin (give - as the file) instead"
    } else if kind.is_char_device() || kind.is_block_device() {
        "is a device, not a file"
    } else if kind.is_socket() {
        "is a socket, not a file"
    } else {
        "is not a regular file"
    }
}

/// What a file that is neither a regular file nor a directory is.
#[cfg(not(unix))]
fn special_kind(_: &std::fs::FileType) -> &'static str {
    "is not a regular file"
}

/// Stdin, copied as it streams in to a temporary file named after the format its first line shows
/// (`stdin….jsonl` when it is a JSON object, `stdin….csv` when it holds a comma, no
/// extension otherwise), removed when dropped.
fn spool_stdin() -> Result<NamedTempFile, String> {
    if STDIN_TAKEN.swap(true, Ordering::SeqCst) {
        return Err("stdin (-) can be given as one input only".to_owned());
    }
    let stdin = io::stdin();
    if stdin.is_terminal() {
        return Err(
            "stdin is a terminal; pipe the file in (… | okta-idsrc import -) or give its path"
                .to_owned(),
        );
    }
    spool(stdin.lock())
}

/// [`spool_stdin`] of any reader.
fn spool(reader: impl Read) -> Result<NamedTempFile, String> {
    let mut input = Input::new(reader);
    let cannot_read = |e: io::Error| format!("cannot read it: {e}");
    let first = input.fill_buf().map_err(cannot_read)?;
    let suffix = match sniff(first) {
        Some(super::Format::JsonLines) => ".jsonl",
        Some(super::Format::Csv) if first_line_has(first, b'\t') => ".tsv",
        Some(super::Format::Csv) => ".csv",
        None => "",
    };
    let cannot_write = |e: io::Error| format!("cannot copy it to a temporary file: {e}");
    let mut spool = tempfile::Builder::new()
        .prefix("okta-idsrc-stdin-")
        .suffix(suffix)
        .tempfile()
        .map_err(cannot_write)?;
    loop {
        let chunk = input.fill_buf().map_err(cannot_read)?;
        if chunk.is_empty() {
            break;
        }
        let n = chunk.len();
        io::Write::write_all(spool.as_file_mut(), chunk).map_err(cannot_write)?;
        input.consume(n);
    }
    spool.as_file_mut().sync_data().map_err(cannot_write)?;
    Ok(spool)
}

/// The format the start of an input shows: JSON Lines when its first non-blank byte opens
/// an object, CSV when its first line holds a comma.
fn sniff(start: &[u8]) -> Option<super::Format> {
    let start = start.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(start);
    let text = start.trim_ascii_start();
    if text.first() == Some(&b'{') {
        return Some(super::Format::JsonLines);
    }
    let first_line = text.split(|b| *b == b'\n').next().unwrap_or_default();
    (first_line.contains(&b',') || first_line.contains(&b'\t')).then_some(super::Format::Csv)
}

/// Whether the first line of `start` holds `byte` and no comma (a tab-separated file).
fn first_line_has(start: &[u8], byte: u8) -> bool {
    let first = start.split(|b| *b == b'\n').next().unwrap_or_default();
    first.contains(&byte) && !first.contains(&b',')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Format;

    #[test]
    fn kinds_of_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("users.csv");
        std::fs::write(&file, "externalId\n").expect("write");
        assert_eq!(check_regular_file(&file), Ok(()));
        assert_eq!(
            check_regular_file(&dir.path().join("missing.csv")),
            Err("no such file".to_owned())
        );
        assert_eq!(
            check_regular_file(dir.path()),
            Err("is a directory; give the path of a file".to_owned())
        );
        #[cfg(unix)]
        {
            let e = check_regular_file(Path::new("/dev/null")).unwrap_err();
            assert!(e.starts_with("is a device, not a file"), "{e}");
            let fifo = dir.path().join("fifo.csv");
            let made = std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .expect("mkfifo");
            assert!(made.success());
            let e = check_regular_file(&fifo).unwrap_err();
            assert!(e.starts_with("is a named pipe"), "{e}");
            assert!(e.contains("give - as the file"), "{e}");
        }
    }

    #[test]
    fn stdin_is_spooled_under_the_format_it_shows() {
        for (text, format) in [
            (
                "\u{feff}  {\"externalId\":\"u1\"}\n",
                Some(Format::JsonLines),
            ),
            ("externalId,email\nu1,a@example.com\n", Some(Format::Csv)),
            ("u1\nu2,x\n", None),
            ("", None),
        ] {
            let spooled = spool(text.as_bytes()).expect("spooled");
            assert_eq!(Format::from_path(spooled.path()).ok(), format, "{text:?}");
            let mut copy = String::new();
            std::fs::File::open(spooled.path())
                .expect("open again")
                .read_to_string(&mut copy)
                .expect("read");
            assert_eq!(copy, text);
        }
        let big = "x".repeat(1 << 20);
        let spooled = spool(big.as_bytes()).expect("spooled");
        assert_eq!(
            std::fs::metadata(spooled.path()).expect("meta").len(),
            1 << 20
        );
    }
}
