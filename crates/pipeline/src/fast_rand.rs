//! A per-thread, non-cryptographic random source for jitter and request ids.
//!
//! Seeded once per thread from the OS (through `uuid`'s v4 generator), then a xorshift64*
//! step per number: no system call on the request path. Nothing here may be used for secrets.

use std::cell::Cell;

thread_local! {
    static STATE: Cell<u64> = Cell::new(seed());
}

fn seed() -> u64 {
    let bits = uuid::Uuid::new_v4().as_u128();
    ((bits >> 64) as u64 ^ bits as u64) | 1
}

/// The next pseudo-random `u64` of this thread.
pub(crate) fn next_u64() -> u64 {
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        s.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    })
}

/// A uniform `f64` in [0, 1).
pub(crate) fn unit_f64() -> f64 {
    (next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// A random (version 4) UUID for correlation, not for secrets.
pub(crate) fn request_uuid() -> uuid::Uuid {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&next_u64().to_le_bytes());
    bytes[8..].copy_from_slice(&next_u64().to_le_bytes());
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_version_4_and_distinct() {
        let ids: std::collections::HashSet<_> = (0..10_000).map(|_| request_uuid()).collect();
        assert_eq!(ids.len(), 10_000);
        assert!(ids.iter().all(|id| id.get_version_num() == 4));
    }

    #[test]
    fn unit_values_stay_in_range() {
        assert!((0..10_000).map(|_| unit_f64()).all(|u| (0.0..1.0).contains(&u)));
    }
}
