//! Set, get, update, delete and list secrets and their versions.

use super::{Reply, name_param, parse_body};
use crate::app::App;
use crate::error::ApiError;
use crate::paging;
use crate::store::{Mutation, Pending, Secret, Snapshot, Version, key};
use crate::vault::Ctx;
use crate::wire;
use azkv_models::validation;
use azkv_models::{RouteMatch, SecretAttributes, SecretListResult, SecretSetParameters, SecretUpdateParameters};
use std::collections::BTreeMap;

fn limits(tags: Option<&BTreeMap<String, String>>, content_type: Option<&str>) -> Result<(), ApiError> {
    if let Some(tags) = tags {
        validation::validate_tags(tags).map_err(|e| ApiError::bad_parameter(e.to_string()))?;
    }
    if let Some(ct) = content_type {
        validation::validate_content_type(ct).map_err(|e| ApiError::bad_parameter(e.to_string()))?;
    }
    Ok(())
}

fn secs(t: Option<time::OffsetDateTime>) -> Option<i64> {
    t.map(|t| t.unix_timestamp())
}

/// The delay, if one is configured, before a deletion or recovery becomes visible.
pub(super) fn pending(app: &App, now: i64) -> Option<Pending> {
    app.controls.delay().map(|d| Pending { until: d.secs.map(|s| now.saturating_add(s)), polls: d.polls })
}

/// `PUT /secrets/{name}`: adds a version.
pub(super) fn set(app: &App, ctx: &Ctx, route: &RouteMatch, body: &[u8]) -> Result<Reply, ApiError> {
    let name = name_param(route)?;
    let params: SecretSetParameters = parse_body(body)?;
    validation::validate_secret_value(&params.value).map_err(|e| ApiError::bad_parameter(e.to_string()))?;
    limits(params.tags.as_ref(), params.content_type.as_deref())?;
    let attrs = params.attributes.unwrap_or_default();
    let k = key(&name);
    app.store.write(ctx.now, |state| {
        let vault = state.data.vaults.get(&ctx.vault);
        if vault.is_some_and(|v| v.deleted.contains_key(&k)) {
            return Err(ApiError::deleted_but_recoverable(&name));
        }
        let display = vault.and_then(|v| v.secrets.get(&k)).map_or(name.clone(), |s| s.name.clone());
        let seq = vault.map_or(0, |v| v.next_seq);
        if seq >= crate::store::MAX_SEQ {
            return Err(ApiError::internal("the vault has used every version sequence number"));
        }
        let version = Version {
            version: crate::names::new_version(),
            seq,
            value: params.value,
            content_type: params.content_type,
            tags: params.tags,
            enabled: attrs.enabled.unwrap_or(true),
            nbf: secs(attrs.not_before),
            exp: secs(attrs.expires),
            created: ctx.now,
            updated: ctx.now,
        };
        let reply = Reply::json(&wire::bundle(&ctx.base, &display, &version, &app.policy, true));
        Ok((Some(Mutation::SetVersion { vault: ctx.vault.clone(), name: display, version }), reply))
    })
}

/// Secret `name` in the request's vault and its version `wanted` (empty: the latest).
fn find_version<'a>(
    data: &'a Snapshot,
    ctx: &Ctx,
    name: &str,
    wanted: &str,
) -> Result<(&'a Secret, &'a Version), ApiError> {
    let secret = data
        .vaults
        .get(&ctx.vault)
        .and_then(|v| v.secrets.get(&key(name)))
        .ok_or_else(|| ApiError::secret_not_found(name))?;
    let version = if wanted.is_empty() { secret.latest() } else { secret.version(wanted) }
        .ok_or_else(|| ApiError::secret_not_found(&format!("{name}/{wanted}")))?;
    Ok((secret, version))
}

/// `GET /secrets/{name}[/{version}]`: one version with its value.
pub(super) fn get(app: &App, ctx: &Ctx, route: &RouteMatch) -> Result<Reply, ApiError> {
    let name = name_param(route)?;
    let wanted = route.param("secret-version").unwrap_or_default().to_owned();
    let out_ct = ctx.query("outContentType").map(str::to_owned);
    let k = key(&name);
    app.store.read(ctx.now, |state| {
        let slot = (ctx.vault.clone(), k.clone());
        if let Some(p) = state.pending_recover.get_mut(&slot) {
            if p.poll(ctx.now) {
                return Err(ApiError::secret_not_found(&name));
            }
            state.pending_recover.remove(&slot);
        }
        let (secret, version) = find_version(&state.data, ctx, &name, &wanted)?;
        if !version.enabled {
            return Err(ApiError::disabled());
        }
        // Only a secret that backs a certificate can be converted, and the emulator holds none: the
        // service refuses such a conversion with 400 BadParameter.
        if let Some(ct) = out_ct {
            return Err(ApiError::bad_parameter(format!(
                "outContentType {ct:?} is not supported for secret {}: only secrets that back a certificate can be \
                 converted.",
                secret.name
            )));
        }
        Ok(Reply::json(&wire::bundle(&ctx.base, &secret.name, version, &app.policy, true)))
    })
}

/// `PATCH /secrets/{name}[/{version}]`: changes metadata; the value stays.
pub(super) fn update(app: &App, ctx: &Ctx, route: &RouteMatch, body: &[u8]) -> Result<Reply, ApiError> {
    let name = name_param(route)?;
    let wanted = route.param("secret-version").unwrap_or_default().to_owned();
    let params: SecretUpdateParameters = parse_body(body)?;
    limits(params.tags.as_ref(), params.content_type.as_deref())?;
    let k = key(&name);
    app.store.write(ctx.now, |state| {
        let (secret, current) = find_version(&state.data, ctx, &name, &wanted)?;
        let mut version = current.clone();
        let SecretAttributes { enabled, not_before, expires, .. } = params.attributes.unwrap_or_default();
        if let Some(e) = enabled {
            version.enabled = e;
        }
        if not_before.is_some() {
            version.nbf = secs(not_before);
        }
        if expires.is_some() {
            version.exp = secs(expires);
        }
        if params.content_type.is_some() {
            version.content_type = params.content_type;
        }
        if params.tags.is_some() {
            version.tags = params.tags;
        }
        version.updated = ctx.now;
        let reply = Reply::json(&wire::bundle(&ctx.base, &secret.name, &version, &app.policy, false));
        Ok((Some(Mutation::UpdateVersion { vault: ctx.vault.clone(), key: k, version }), reply))
    })
}

/// `DELETE /secrets/{name}`: soft delete.
pub(super) fn delete(app: &App, ctx: &Ctx, route: &RouteMatch) -> Result<Reply, ApiError> {
    let name = name_param(route)?;
    let k = key(&name);
    let delay = pending(app, ctx.now);
    app.store.write(ctx.now, |state| {
        let secret = state
            .data
            .vaults
            .get(&ctx.vault)
            .and_then(|v| v.secrets.get(&k))
            .ok_or_else(|| ApiError::secret_not_found(&name))?;
        let deleted = crate::store::Deleted {
            secret: secret.clone(),
            deleted_date: ctx.now,
            scheduled_purge_date: ctx.now.saturating_add(i64::from(app.policy.recoverable_days) * 86_400),
        };
        let body = wire::deleted_bundle(&ctx.base, &deleted, &app.policy);
        if let Some(p) = delay {
            state.pending_delete.insert((ctx.vault.clone(), k.clone()), p);
        }
        let m = Mutation::Delete {
            vault: ctx.vault.clone(),
            key: k,
            deleted_date: deleted.deleted_date,
            scheduled_purge_date: deleted.scheduled_purge_date,
        };
        Ok((Some(m), Reply::json(&body)))
    })
}

/// `GET /secrets`: one page of secrets (latest version's metadata, no values).
pub(super) fn list(app: &App, ctx: &Ctx) -> Result<Reply, ApiError> {
    let max = paging::max_results(ctx)?;
    let after = paging::skip_after(ctx)?;
    app.store.read(ctx.now, |state| {
        let Some(vault) = state.data.vaults.get(&ctx.vault) else {
            return Ok(Reply::json(&SecretListResult::default()));
        };
        let hidden =
            |k: &String| state.pending_recover.get(&(ctx.vault.clone(), k.clone())).is_some_and(|p| p.hidden(ctx.now));
        let items = vault
            .secrets
            .range::<str, _>(paging::after_key(after.as_deref()))
            .filter(|(k, _)| !hidden(k))
            .filter_map(|(k, s)| Some((k.clone(), wire::item(&ctx.base, s, &app.policy)?)));
        let (value, next) = paging::page(items, max);
        let next_link = next.map(|k| paging::next_link(ctx, "/secrets", &k));
        Ok(Reply::json(&SecretListResult { value, next_link }))
    })
}

/// `GET /secrets/{name}/versions`: one page of versions, oldest first.
pub(super) fn versions(app: &App, ctx: &Ctx, route: &RouteMatch) -> Result<Reply, ApiError> {
    let name = name_param(route)?;
    let max = paging::max_results(ctx)?;
    let after = paging::after_seq(paging::skip_after(ctx)?.as_deref())?;
    let k = key(&name);
    app.store.read(ctx.now, |state| {
        let hidden = state.pending_recover.get(&(ctx.vault.clone(), k.clone())).is_some_and(|p| p.hidden(ctx.now));
        let Some(secret) = state.data.vaults.get(&ctx.vault).and_then(|v| v.secrets.get(&k)).filter(|_| !hidden) else {
            return Ok(Reply::json(&SecretListResult::default()));
        };
        // Versions are in increasing seq order (validated on import): seek by binary search.
        let start = after.map_or(0, |a| secret.versions.partition_point(|v| v.seq <= a));
        let items = secret.versions[start..]
            .iter()
            .map(|v| (paging::seq_key(v.seq), wire::version_item(&ctx.base, &secret.name, v, &app.policy)));
        let (value, next) = paging::page(items, max);
        let path = format!("/secrets/{}/versions", secret.name);
        let next_link = next.map(|k| paging::next_link(ctx, &path, &k));
        Ok(Reply::json(&SecretListResult { value, next_link }))
    })
}
