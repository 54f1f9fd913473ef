//! The one list of the client's operations: each is declared here once, with its
//! [`OperationId`](azkv_models::OperationId) and signature.
//!
//! From this list come the [`SecretClientApi`](crate::SecretClientApi) trait, its forwarding
//! impl for [`SecretClient`](crate::SecretClient), and the blocking face
//! (`blocking::SecretClient`). The hand-written async methods on `SecretClient` keep what is
//! really hand-written: option handling, validation, paging, pollers and typed results.
//!
//! A compile-time check below refuses a list that leaves out an operation of the API
//! description, so an operation added to `api/secrets.toml` fails to compile here (and in the
//! emulator's exhaustive dispatch) until it is handled. See `docs/adr/0002-one-declaration-per-operation.md`.

/// Calls `$callback!` with every operation, in two groups:
/// - `calls`: `Id => method(arg: [Type], ...) -> [T];` for an `async fn` returning `Result<T>`;
/// - `lists`: `Id => method(arg: [Type], ...) -> [T];` for a `fn` returning `Pager<T>`.
///
/// Types sit in brackets so that callbacks receive plain tokens (mockall cannot read the
/// opaque groups a `$ty:ty` fragment becomes).
///
/// Type names in the list resolve where the callback expands, so the blocking face's own
/// `Poller` stands in for the async one there.
macro_rules! with_operations {
    ($callback:ident) => {
        $callback! {
            calls {
                SetSecret => set_secret(
                    name: [&str], value: [&str], options: [Option<SetSecretOptions>]
                ) -> [KeyVaultSecret];
                GetSecret => get_secret(name: [&str]) -> [KeyVaultSecret];
                GetSecret => get_secret_version<'a>(
                    name: [&str], version: [Option<&'a str>], out_content_type: [Option<&'a str>]
                ) -> [KeyVaultSecret];
                UpdateSecret => update_secret_properties<'a>(
                    name: [&str], version: [Option<&'a str>], changes: [UpdateSecretProperties]
                ) -> [SecretProperties];
                DeleteSecret => begin_delete_secret(name: [&str]) -> [Poller<DeletedSecret>];
                RecoverDeletedSecret => begin_recover_deleted_secret(name: [&str]) -> [Poller<SecretProperties>];
                GetDeletedSecret => get_deleted_secret(name: [&str]) -> [DeletedSecret];
                PurgeDeletedSecret => purge_deleted_secret(name: [&str]) -> [()];
                BackupSecret => backup_secret(name: [&str]) -> [Vec<u8>];
                RestoreSecret => restore_secret_backup(backup: [&[u8]]) -> [SecretProperties];
            }
            lists {
                GetSecrets => list_properties_of_secrets(options: [Option<ListOptions>]) -> [SecretProperties];
                GetSecretVersions => list_properties_of_secret_versions(
                    name: [&str], options: [Option<ListOptions>]
                ) -> [SecretProperties];
                GetDeletedSecrets => list_deleted_secrets(options: [Option<ListOptions>]) -> [DeletedSecret];
            }
        }
    };
}
pub(crate) use with_operations;

/// Whether `listed` names every operation of the API description.
const fn covers_every_operation(listed: &[azkv_models::OperationId]) -> bool {
    let all = azkv_models::OperationId::ALL;
    let mut i = 0;
    while i < all.len() {
        let mut found = false;
        let mut j = 0;
        while j < listed.len() {
            if listed[j] as u8 == all[i] as u8 {
                found = true;
            }
            j += 1;
        }
        if !found {
            return false;
        }
        i += 1;
    }
    true
}

macro_rules! assert_covered {
    (
        calls {
            $($id:ident => $name:ident $(<$lt:lifetime>)? ($($arg:ident: [$($ty:tt)*]),* $(,)?) -> [$($ret:tt)*];)*
        }
        lists {
            $($lid:ident => $lname:ident ($($larg:ident: [$($lty:tt)*]),* $(,)?) -> [$($lret:tt)*];)*
        }
    ) => {
        const _: () = assert!(
            covers_every_operation(&[$(azkv_models::OperationId::$id,)* $(azkv_models::OperationId::$lid,)*]),
            "an operation of api/secrets.toml is missing from with_operations! (crates/secrets/src/operations.rs)"
        );
    };
}
with_operations!(assert_covered);

#[cfg(test)]
mod tests {
    use super::covers_every_operation;
    use azkv_models::OperationId;

    #[test]
    fn the_check_refuses_a_list_without_an_operation() {
        assert!(covers_every_operation(OperationId::ALL));
        let without_restore: Vec<OperationId> =
            OperationId::ALL.iter().copied().filter(|id| *id != OperationId::RestoreSecret).collect();
        assert!(!covers_every_operation(&without_restore));
        assert!(!covers_every_operation(&[]));
    }
}
