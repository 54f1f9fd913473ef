//! Secret name and version syntax, and new version ids.

/// Whether `name` matches `^[0-9a-zA-Z-]{1,127}$` (the models crate's rule).
pub(crate) fn is_valid_name(name: &str) -> bool {
    azkv_models::validation::is_valid_secret_name(name)
}

/// Whether `version` has the shape of the versions this emulator mints: 32 hex characters.
pub(crate) fn is_valid_version(version: &str) -> bool {
    version.len() == 32 && version.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A new random version id: 32 lowercase hex characters.
pub(crate) fn new_version() -> String {
    let mut bytes = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).expect("the system RNG works");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
    }
}
