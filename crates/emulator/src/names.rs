//! Secret name and version syntax, and new version ids.

/// Whether `name` matches `^[0-9a-zA-Z-]{1,127}$` (the models crate's rule).
pub(crate) fn is_valid_name(name: &str) -> bool {
    azkv_models::validation::is_valid_secret_name(name)
}

/// Whether `version` has the shape of the versions this emulator mints: 32 hex characters.
pub(crate) fn is_valid_version(version: &str) -> bool {
    version.len() == 32 && version.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A new random version id: 32 lowercase hex characters (also each response's
/// `x-ms-request-id`).
pub(crate) fn new_version() -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = random_16();
    let mut id = String::with_capacity(32);
    for b in bytes {
        id.push(char::from(HEX[usize::from(b >> 4)]));
        id.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    id
}

/// 16 bytes from the system's CSPRNG, drawn 4 KiB at a time per thread: one system call per 256
/// ids rather than one per id (two per write, one on every response).
fn random_16() -> [u8; 16] {
    use std::cell::RefCell;
    const POOL: usize = 4096;
    thread_local!(static POOLED: RefCell<(Box<[u8; POOL]>, usize)> = RefCell::new((Box::new([0; POOL]), POOL)));
    POOLED.with_borrow_mut(|(pool, used)| {
        if *used == POOL {
            ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut pool[..])
                .expect("the system RNG works");
            *used = 0;
        }
        let mut out = [0u8; 16];
        out.copy_from_slice(&pool[*used..*used + 16]);
        // What was handed out is not kept.
        pool[*used..*used + 16].fill(0);
        *used += 16;
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_versions() {
        assert!(is_valid_name("a-B-9"));
        assert!(is_valid_name(&"a".repeat(127)));
        assert!(!is_valid_name(&"a".repeat(128)));
        assert!(!is_valid_name(""));
        assert!(!is_valid_name("a_b"));
        let v = new_version();
        assert!(is_valid_version(&v));
        assert_eq!(v, v.to_ascii_lowercase());
        assert_ne!(v, new_version());
        assert!(!is_valid_version("0123456789abcdef0123456789abcde"));
        // Across a refill of the per-thread pool, no id repeats.
        let ids: std::collections::HashSet<String> = (0..600).map(|_| new_version()).collect();
        assert_eq!(ids.len(), 600);
        assert!(ids.iter().all(|v| is_valid_version(v)));
    }
}
