//! Files the emulator writes: private directories (0700), private files (0600) created with
//! `O_EXCL` so that a planted file or symlink is never followed, atomic replacement, a fresh
//! private temporary directory, and the exclusive lock on a data directory.

use crate::Error;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Mode of every file the emulator creates (secret values, keys, the CA).
pub(crate) const FILE_MODE: u32 = 0o600;

/// Creates `dir` and its missing parents with mode 0700 (an existing directory keeps its mode).
pub(crate) fn create_private_dir_all(dir: &Path) -> io::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

/// Creates `path`, which must not exist (`O_CREAT | O_EXCL`: a symlink planted there is not followed),
/// with mode `mode`, writes `bytes` and syncs them.
pub(crate) fn write_new(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = o.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Opens an existing file for appending, or creates it as [`write_new`] does (mode 0600, never through a symlink).
pub(crate) fn open_append(path: &Path) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(FILE_MODE).custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    }
    o.open(path)
}

/// A random suffix for temporary names.
fn random_suffix() -> String {
    crate::names::new_version()[..16].to_owned()
}

/// Replaces `path` atomically with a new file holding `bytes`: written under a fresh name in the same
/// directory (created exclusively, mode `mode`), synced, then renamed over `path` (a rename replaces a
/// symlink, it never writes through one).
pub(crate) fn replace(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| io::Error::other("not a file path"))?;
    let tmp = dir.join(format!(".{}.{}.tmp", name.to_string_lossy(), random_suffix()));
    write_new(&tmp, bytes, mode)?;
    if let Err(e) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(dir);
    Ok(())
}

/// Makes a rename in `dir` durable; not every platform can open a directory.
pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Reads `path`, `None` when it does not exist.
pub(crate) fn read_optional(path: &Path) -> io::Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// A fresh directory under the temp directory, mode 0700, with an unpredictable name; removed on drop.
#[derive(Debug)]
pub(crate) struct PrivateTempDir(PathBuf);

impl PrivateTempDir {
    /// Creates one; a name that already exists (planted or not) is never reused.
    pub(crate) fn new() -> io::Result<Self> {
        let base = std::env::temp_dir();
        let mut last = None;
        for _ in 0..8 {
            let dir = base.join(format!("azkv-emulator-{}", random_suffix()));
            let mut b = fs::DirBuilder::new();
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
            match b.create(&dir) {
                Ok(()) => return Ok(Self(dir)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("cannot create a private temporary directory")))
    }

    /// The directory.
    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for PrivateTempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The exclusive lock on a data directory, held for the emulator's lifetime (released on drop).
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: File,
}

/// Name of the lock file inside a data directory.
const LOCK_FILE: &str = ".lock";

impl DirLock {
    /// Creates `dir` (0700) if needed and takes its lock without waiting.
    ///
    /// # Errors
    ///
    /// [`Error::Locked`] when another emulator holds it, [`Error::Persistence`] for I/O errors.
    pub(crate) fn acquire(dir: &Path) -> crate::Result<Self> {
        let perr = |what: &str, e: io::Error| Error::Persistence(format!("{what} {}: {e}", dir.display()));
        create_private_dir_all(dir).map_err(|e| perr("cannot create the data directory", e))?;
        let file = open_append(&dir.join(LOCK_FILE)).map_err(|e| perr("cannot open the lock file in", e))?;
        #[cfg(unix)]
        match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => {}
            Err(rustix::io::Errno::WOULDBLOCK) => return Err(Error::Locked(dir.to_path_buf())),
            Err(e) => return Err(perr("cannot lock the data directory", e.into())),
        }
        Ok(Self { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mode(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn private_files_and_directories() {
        let tmp = PrivateTempDir::new().unwrap();
        let dir = tmp.path().join("a/b");
        create_private_dir_all(&dir).unwrap();
        let f = dir.join("f");
        write_new(&f, b"1", FILE_MODE).unwrap();
        assert_eq!(write_new(&f, b"2", FILE_MODE).unwrap_err().kind(), io::ErrorKind::AlreadyExists);
        replace(&f, b"3", FILE_MODE).unwrap();
        assert_eq!(fs::read(&f).unwrap(), b"3");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1, "no temporary file is left behind");
        #[cfg(unix)]
        {
            assert_eq!(mode(tmp.path()), 0o700);
            assert_eq!(mode(&dir), 0o700);
            assert_eq!(mode(&f), 0o600);
            // A planted symlink is neither followed by an exclusive create nor by an append.
            let target = tmp.path().join("target");
            let link = tmp.path().join("link");
            std::os::unix::fs::symlink(&target, &link).unwrap();
            assert!(write_new(&link, b"x", FILE_MODE).is_err());
            assert!(open_append(&link).is_err());
            assert!(!target.exists());
        }
        let path = tmp.path().to_path_buf();
        drop(tmp);
        assert!(!path.exists(), "removed on drop");
    }

    #[test]
    fn a_second_lock_on_the_same_directory_is_refused() {
        let tmp = PrivateTempDir::new().unwrap();
        let first = DirLock::acquire(tmp.path()).unwrap();
        let e = DirLock::acquire(tmp.path()).unwrap_err();
        assert!(matches!(&e, Error::Locked(d) if d == tmp.path()), "{e}");
        drop(first);
        DirLock::acquire(tmp.path()).unwrap();
    }
}
