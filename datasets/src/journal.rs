//! Append-only JSON-lines journals: each record is one line, written and flushed as soon as it is
//! known, so a build killed at any moment leaves every finished record on disk and at most one torn
//! last line, which reading ignores.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A journal open for appending.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
}

impl Journal {
    /// Opens (creating if needed) the journal at `path`. A torn last line left by a killed
    /// writer is cut off first, so new records start on a line of their own.
    pub fn open(path: &Path) -> io::Result<Journal> {
        if let Ok(bytes) = std::fs::read(path)
            && !bytes.is_empty()
            && !bytes.ends_with(b"\n")
        {
            let keep = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            OpenOptions::new().write(true).open(path)?.set_len(keep as u64)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Journal { path: path.to_path_buf(), file })
    }

    /// Appends one record as one line and flushes it to the OS.
    pub fn append(&mut self, record: &impl Serialize) -> io::Result<()> {
        let mut line = serde_json::to_string(record).map_err(io::Error::other)?;
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", self.path.display())))
    }
}

/// Reads every record of the journal at `path` (none if it does not exist). A last line that
/// does not parse is a torn write and is skipped; any other bad line is an error naming it.
pub fn read<T: DeserializeOwned>(path: &Path) -> io::Result<Vec<T>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let lines: Vec<String> = BufReader::new(file).lines().collect::<io::Result<_>>()?;
    let mut out = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(line) {
            Ok(r) => out.push(r),
            Err(_) if i + 1 == lines.len() => {}
            Err(e) => {
                return Err(io::Error::new(io::ErrorKind::InvalidData, format!("{}:{}: {e}", path.display(), i + 1)));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torn_last_line_is_ignored_and_cut_before_appending() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let mut j = Journal::open(&path).unwrap();
        j.append(&(1, "a")).unwrap();
        j.append(&(2, "b")).unwrap();
        drop(j);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend_from_slice(b"[3,\"c");
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(read::<(u32, String)>(&path).unwrap(), [(1, "a".into()), (2, "b".into())]);
        let mut j = Journal::open(&path).unwrap();
        j.append(&(3, "c")).unwrap();
        assert_eq!(read::<(u32, String)>(&path).unwrap().len(), 3);
        std::fs::write(&path, "[1,\"a\"]\nnot json\n[2,\"b\"]\n").unwrap();
        let err = read::<(u32, String)>(&path).unwrap_err().to_string();
        assert!(err.contains("j.jsonl:2"), "{err}");
        assert!(read::<(u32, String)>(&dir.path().join("none")).unwrap().is_empty());
    }
}
