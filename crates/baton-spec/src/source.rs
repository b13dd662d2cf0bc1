//! Reads one spec file's text, refusing what is not a plain, modest text file:
//! `venue.yaml` pointed at `/dev/zero` must not fill the memory, and a FIFO
//! must not hang `baton check`.

use std::io::Read;
use std::path::Path;

/// Largest spec file read, in bytes. The example's largest file is about
/// 30 KiB; a schedule of thousands of sessions stays under a few MiB.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Why a spec file could not be read: the message, and the line and column
/// (1-based) when the problem has a place, as for a byte that is not UTF-8.
#[derive(Debug)]
pub(crate) struct ReadError {
    pub at: (u64, u64),
    pub message: String,
    pub not_found: bool,
}

impl ReadError {
    fn whole(message: String) -> ReadError {
        ReadError {
            at: (0, 0),
            message,
            not_found: false,
        }
    }
}

/// The text of `path`: a regular file (a symlink to one is fine) of at most
/// [`MAX_FILE_BYTES`], in UTF-8.
pub(crate) fn read_text(path: &Path) -> Result<String, ReadError> {
    // Check the kind before opening: opening a FIFO blocks until a writer comes.
    let meta = std::fs::metadata(path).map_err(|e| ReadError {
        not_found: e.kind() == std::io::ErrorKind::NotFound,
        ..ReadError::whole(format!("cannot read {}: {e}", path.display()))
    })?;
    if !meta.is_file() {
        return Err(ReadError::whole(format!(
            "{} is not a regular file (a {}); spec files must be plain files",
            path.display(),
            kind(&meta)
        )));
    }
    let file = std::fs::File::open(path)
        .map_err(|e| ReadError::whole(format!("cannot read {}: {e}", path.display())))?;
    // The file may have changed since the check; `take` bounds the read anyway.
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ReadError::whole(format!("cannot read {}: {e}", path.display())))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ReadError::whole(format!(
            "{} is larger than {MAX_FILE_BYTES} bytes, the limit for a spec file",
            path.display()
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        let bad = e.utf8_error().valid_up_to();
        let valid = &e.as_bytes()[..bad];
        // The prefix is valid UTF-8 by definition of `valid_up_to`.
        let before = std::str::from_utf8(valid).unwrap_or("");
        let line = before.matches('\n').count() as u64 + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u64 + 1;
        ReadError {
            at: (line, column),
            message: format!(
                "{} is not UTF-8: byte 0x{:02x} at line {line}, column {column}",
                path.display(),
                e.as_bytes()[bad]
            ),
            not_found: false,
        }
    })
}

fn kind(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_char_device() || t.is_block_device() {
            return "device";
        }
        if t.is_fifo() {
            return "named pipe";
        }
        if t.is_socket() {
            return "socket";
        }
    }
    "special file"
}
