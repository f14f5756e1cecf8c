//! One sync per state file at a time: an advisory lock on `<state>.lock`, held for the whole
//! run, with who holds it written inside so that a second run can name the first.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::SyncError;

/// The lock of one state file; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct StateLock {
    _file: File,
    path: PathBuf,
}

impl StateLock {
    /// Takes the lock of the state file `state` at once, recording `holder` (the command,
    /// the process id, the start time) in it; fails naming the holder when another process
    /// has it.
    pub fn acquire(state: &Path, holder: &str) -> Result<Self, SyncError> {
        let mut name = state.as_os_str().to_owned();
        name.push(".lock");
        let path = PathBuf::from(name);
        let io = |e: std::io::Error| SyncError::Lock {
            path: path.clone(),
            message: format!("cannot open the lock file: {e}"),
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut who = String::new();
                let _ = file.read_to_string(&mut who);
                let who: String = who.trim().chars().take(300).collect();
                return Err(SyncError::Lock {
                    path,
                    message: format!(
                        "another sync holds this state file: {}",
                        if who.is_empty() { "(unknown)" } else { &who }
                    ),
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.write_all(holder.as_bytes()).map_err(io)?;
        file.flush().map_err(io)?;
        Ok(Self { _file: file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.db");
        let first = StateLock::acquire(&state, "sync run (pid 1)").unwrap();
        let e = StateLock::acquire(&state, "sync run (pid 2)").unwrap_err();
        assert!(e.to_string().contains("sync run (pid 1)"), "{e}");
        drop(first);
        let _again = StateLock::acquire(&state, "sync run (pid 3)").unwrap();
    }
}
