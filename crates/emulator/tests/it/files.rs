//! Files and locking: a data directory is 0700 and everything in it 0600; a second emulator on the
//! same directory is refused at once, naming it; without a data directory the CA goes to a fresh
//! private temp directory.

use crate::common::{builder, start_with};
use azkv_emulator::Error;
use std::path::PathBuf;

/// A fresh, unique directory path (not created) under the temp directory.
pub(crate) fn fresh_dir(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    std::env::temp_dir().join(format!("azkv-emu-it-{tag}-{}-{nanos}", std::process::id()))
}

#[cfg(unix)]
fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())).permissions().mode() & 0o777
}

#[tokio::test]
async fn data_directory_files_are_private_and_locked() {
    let dir = fresh_dir("files").join("nested");
    let kv = start_with(builder().data_dir(&dir)).await;
    kv.set("s", "v").await;
    let r = kv.post("/secrets/s/backup", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(kv.emu.ca_path(), Some(dir.join("ca.pem").as_path()));

    let e = builder().data_dir(&dir).start().await.unwrap_err();
    assert!(matches!(&e, Error::Locked(d) if *d == dir), "{e}");
    let message = e.to_string();
    assert!(message.contains(&dir.display().to_string()) && !message.contains('\n'), "{message}");
    assert!(kv.get("/secrets/s").await.status == 200, "the first one still serves");

    #[cfg(unix)]
    {
        assert_eq!(mode(&dir), 0o700);
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
        for name in ["secrets.log", "backup.key", "ca.pem"] {
            assert!(dir.join(name).exists(), "{name}");
        }
    }
    kv.emu.shutdown().await;
    // Released with the emulator.
    let again = builder().data_dir(&dir).start().await.unwrap();
    again.shutdown().await;
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
}

#[tokio::test]
async fn without_a_data_directory_the_ca_goes_to_a_fresh_private_directory() {
    let a = builder().ca_temp_dir(true).start().await.unwrap();
    let b = builder().ca_temp_dir(true).start().await.unwrap();
    let (pa, pb) = (a.ca_path().unwrap().to_path_buf(), b.ca_path().unwrap().to_path_buf());
    assert_ne!(pa.parent(), pb.parent(), "a fresh directory each time");
    assert_eq!(std::fs::read_to_string(&pa).unwrap(), a.ca_pem().unwrap());
    #[cfg(unix)]
    {
        assert_eq!(mode(pa.parent().unwrap()), 0o700);
        assert_eq!(mode(&pa), 0o600);
    }
    assert!(!pa.to_string_lossy().contains(&a.addr().port().to_string()), "not named after the port");
    a.shutdown().await;
    assert!(!pa.exists(), "removed with the emulator");
    drop(b);
    assert!(!pb.exists());
    assert!(builder().start().await.unwrap().ca_path().is_none(), "written only when asked");
}

#[cfg(unix)]
#[tokio::test]
async fn ca_out_replaces_a_planted_symlink_instead_of_following_it() {
    let dir = fresh_dir("plant");
    std::fs::create_dir_all(&dir).unwrap();
    let target = dir.join("victim");
    std::fs::write(&target, "untouched").unwrap();
    let out = dir.join("ca.pem");
    std::os::unix::fs::symlink(&target, &out).unwrap();
    let emu = builder().ca_out(&out).start().await.unwrap();
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "untouched");
    assert!(!std::fs::symlink_metadata(&out).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read_to_string(&out).unwrap(), emu.ca_pem().unwrap());
    emu.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
