//! Deleted secrets: get, list, recover and purge.

use super::secrets::pending;
use super::{Reply, name_param};
use crate::app::App;
use crate::error::ApiError;
use crate::paging;
use crate::store::{Deleted, Mutation, State, key};
use crate::vault::Ctx;
use crate::wire;
use azkv_models::{DeletedSecretListResult, RouteMatch};
use http::StatusCode;

fn being_deleted(name: &str) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "Conflict", format!("Secret {name} is currently being deleted."))
        .with_inner("ObjectIsBeingDeleted")
}

/// Whether the deletion of `k` is still hidden by a configured delay (without counting a poll).
fn deletion_hidden(state: &State, ctx: &Ctx, k: &str) -> bool {
    state.pending_delete.get(&(ctx.vault.clone(), k.to_owned())).is_some_and(|p| p.hidden(ctx.now))
}

/// The deleted secret `k` (named `name`) of the context's vault, or "deleted secret not found".
fn deleted_entry<'s>(state: &'s State, ctx: &Ctx, k: &str, name: &str) -> Result<&'s Deleted, ApiError> {
    state
        .data
        .vaults
        .get(&ctx.vault)
        .and_then(|v| v.deleted.get(k))
        .ok_or_else(|| ApiError::deleted_secret_not_found(name))
}

/// `GET /deletedsecrets/{name}`.
pub(super) fn get(app: &App, ctx: &Ctx, route: &RouteMatch) -> Result<Reply, ApiError> {
    let name = name_param(route)?;
    let k = key(&name);
    app.store.read(ctx.now, |state| {
        let slot = (ctx.vault.clone(), k.clone());
        if let Some(p) = state.pending_delete.get_mut(&slot) {
            if p.poll(ctx.now) {
                return Err(ApiError::deleted_secret_not_found(&name));
            }
            state.pending_delete.remove(&slot);
        }
        let d = deleted_entry(state, ctx, &k, &name)?;
        let body = wire::deleted_bundle(&ctx.base, d, &app.policy).ok_or_else(|| ApiError::internal("empty secret"))?;
        Ok(Reply::json(&body))
    })
}

/// `GET /deletedsecrets`: one page of deleted secrets.
pub(super) fn list(app: &App, ctx: &Ctx) -> Result<Reply, ApiError> {
    let max = paging::max_results(ctx)?;
    let after = paging::skip_after(ctx)?;
    app.store.read(ctx.now, |state| {
        let Some(vault) = state.data.vaults.get(&ctx.vault) else {
            return Ok(Reply::json(&DeletedSecretListResult::default()));
        };
        let items = vault
            .deleted
            .range::<str, _>(paging::after_key(after.as_deref()))
            .filter(|(k, _)| !deletion_hidden(state, ctx, k))
            .filter_map(|(k, d)| Some((k.clone(), wire::deleted_item(&ctx.base, d, &app.policy)?)));
        let (value, next) = paging::page(items, max);
        let next_link = next.map(|k| paging::next_link(ctx, "/deletedsecrets", &k));
        Ok(Reply::json(&DeletedSecretListResult { value, next_link }))
    })
}

/// `POST /deletedsecrets/{name}/recover`.
pub(super) fn recover(app: &App, ctx: &Ctx, route: &RouteMatch) -> Result<Reply, ApiError> {
    let name = name_param(route)?;
    let k = key(&name);
    let delay = pending(app, ctx.now);
    app.store.write(ctx.now, |state| {
        if deletion_hidden(state, ctx, &k) {
            return Err(being_deleted(&name));
        }
        let d = deleted_entry(state, ctx, &k, &name)?;
        let latest = d.secret.latest().ok_or_else(|| ApiError::internal("empty secret"))?;
        let reply = Reply::json(&wire::bundle(&ctx.base, &d.secret.name, latest, &app.policy, false));
        if let Some(p) = delay {
            state.pending_recover.insert((ctx.vault.clone(), k.clone()), p);
        }
        Ok((Some(Mutation::Recover { vault: ctx.vault.clone(), key: k }), reply))
    })
}

/// `DELETE /deletedsecrets/{name}`: purge (204), refused under purge protection.
pub(super) fn purge(app: &App, ctx: &Ctx, route: &RouteMatch) -> Result<Reply, ApiError> {
    let name = name_param(route)?;
    let k = key(&name);
    app.store.write(ctx.now, |state| {
        if deletion_hidden(state, ctx, &k) {
            return Err(being_deleted(&name));
        }
        if !state.data.vaults.get(&ctx.vault).is_some_and(|v| v.deleted.contains_key(&k)) {
            return Err(ApiError::deleted_secret_not_found(&name));
        }
        if app.policy.purge_protection {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "Forbidden",
                "Operation \"purge\" is not allowed because purge protection is enabled for this vault. Key Vault \
                 service will automatically purge it after the retention period has passed.",
            ));
        }
        Ok((Some(Mutation::Purge { vault: ctx.vault.clone(), key: k }), Reply::empty()))
    })
}
