//! Backup and restore of a secret with all its versions.

use super::{Reply, name_param, parse_body};
use crate::app::App;
use crate::error::ApiError;
use crate::store::{Mutation, key};
use crate::vault::Ctx;
use crate::wire;
use azkv_models::{BackupSecretResult, RouteMatch, SecretRestoreParameters};
use http::StatusCode;

/// The service's message for a backup blob it cannot restore (clients compare this text).
pub(crate) const INVALID_BLOB: &str = "Backup blob contains invalid or corrupt version.";

/// `POST /secrets/{name}/backup`.
pub(super) fn backup(app: &App, ctx: &Ctx, route: &RouteMatch) -> Result<Reply, ApiError> {
    let name = name_param(route)?;
    let k = key(&name);
    app.store.read(ctx.now, |state| {
        let hidden = state.pending_recover.get(&(ctx.vault.clone(), k.clone())).is_some_and(|p| p.hidden(ctx.now));
        let secret = state
            .data
            .vaults
            .get(&ctx.vault)
            .and_then(|v| v.secrets.get(&k))
            .filter(|_| !hidden)
            .ok_or_else(|| ApiError::secret_not_found(&name))?;
        Ok(Reply::json(&BackupSecretResult { value: Some(app.backup_key.seal(secret)) }))
    })
}

/// `POST /secrets/restore`: 409 when the name is taken (live or deleted), 400 for a blob that does not verify.
pub(super) fn restore(app: &App, ctx: &Ctx, body: &[u8]) -> Result<Reply, ApiError> {
    // A `value` string that is not even base64url is a corrupt blob too, in the service's words.
    let params: SecretRestoreParameters = parse_body(body).map_err(|e| {
        let value_is_text = serde_json::from_slice::<serde_json::Value>(body).is_ok_and(|v| v["value"].is_string());
        if value_is_text { ApiError::bad_parameter(INVALID_BLOB) } else { e }
    })?;
    let mut secret = app.backup_key.open(&params.value).ok_or_else(|| ApiError::bad_parameter(INVALID_BLOB))?;
    let k = key(&secret.name);
    app.store.write(ctx.now, |state| {
        let vault = state.data.vaults.get(&ctx.vault);
        if vault.is_some_and(|v| v.deleted.contains_key(&k)) {
            return Err(ApiError::deleted_but_recoverable(&secret.name));
        }
        if vault.is_some_and(|v| v.secrets.contains_key(&k)) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "Conflict",
                format!(
                    "Secret {} already exists in this vault; a backup can only be restored under a free name.",
                    secret.name
                ),
            ));
        }
        let first = vault.map_or(0, |v| v.next_seq);
        let exhausted = || ApiError::internal("the vault has used every version sequence number");
        for (i, v) in secret.versions.iter_mut().enumerate() {
            v.seq = u64::try_from(i)
                .ok()
                .and_then(|i| first.checked_add(i))
                .filter(|s| *s < crate::store::MAX_SEQ)
                .ok_or_else(exhausted)?;
        }
        let latest = secret.latest().ok_or_else(|| ApiError::internal("empty backup"))?;
        let reply = Reply::json(&wire::bundle(&ctx.base, &secret.name, latest, &app.policy, false));
        Ok((Some(Mutation::Restore { vault: ctx.vault.clone(), secret }), reply))
    })
}
