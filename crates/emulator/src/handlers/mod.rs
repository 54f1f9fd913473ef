//! Key Vault operations, dispatched by operation id from the models crate's table.

mod backup;
mod deleted;
mod secrets;

use crate::app::App;
use crate::error::ApiError;
use crate::vault::Ctx;
use azkv_models::{OperationId, RouteMatch};
use http::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A handler's successful answer: its body only. The status is the operation table's
/// (`success_status`), added by [`dispatch`], so the two can never disagree.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) body: Option<Vec<u8>>,
}

impl Reply {
    pub(crate) fn json<T: Serialize>(value: &T) -> Self {
        Self { body: Some(serde_json::to_vec(value).unwrap_or_default()) }
    }

    pub(crate) fn empty() -> Self {
        Self { body: None }
    }
}

/// Parses a JSON request body into a model, answering 400 `BadParameter` when it does not fit.
pub(crate) fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_parameter("The request body is missing."));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::bad_parameter(format!("The request body is invalid: {e}")))
}

/// The `secret-name` path parameter, checked against the naming rule.
pub(crate) fn name_param(route: &RouteMatch) -> Result<String, ApiError> {
    let name = route.param("secret-name").unwrap_or_default();
    if crate::names::is_valid_name(name) {
        Ok(name.to_owned())
    } else {
        Err(ApiError::bad_parameter(format!(
            "The request URI contains an invalid name: {name:?}. Secret names must match ^[0-9a-zA-Z-]{{1,127}}$."
        )))
    }
}

/// Runs the operation `route` names, answering with the table's success status. Blocking: writes may fsync.
///
/// The `match` is exhaustive: an operation added to `api/secrets.toml` fails to compile here until
/// the emulator serves it.
pub(crate) fn dispatch(app: &App, ctx: &Ctx, route: &RouteMatch, body: &[u8]) -> Result<(StatusCode, Reply), ApiError> {
    let reply = match route.operation.id {
        OperationId::SetSecret => secrets::set(app, ctx, route, body),
        OperationId::GetSecret => secrets::get(app, ctx, route),
        OperationId::UpdateSecret => secrets::update(app, ctx, route, body),
        OperationId::DeleteSecret => secrets::delete(app, ctx, route),
        OperationId::GetSecrets => secrets::list(app, ctx),
        OperationId::GetSecretVersions => secrets::versions(app, ctx, route),
        OperationId::GetDeletedSecret => deleted::get(app, ctx, route),
        OperationId::GetDeletedSecrets => deleted::list(app, ctx),
        OperationId::RecoverDeletedSecret => deleted::recover(app, ctx, route),
        OperationId::PurgeDeletedSecret => deleted::purge(app, ctx, route),
        OperationId::BackupSecret => backup::backup(app, ctx, route),
        OperationId::RestoreSecret => backup::restore(app, ctx, body),
    }?;
    Ok((success_status(route.operation), reply))
}

/// The status an operation answers with when it succeeds, from the table.
fn success_status(operation: &azkv_models::operations::Operation) -> StatusCode {
    // A code `StatusCode` could not hold would fall back to 200; the test below checks the
    // generated table has none.
    StatusCode::from_u16(operation.success_status).unwrap_or(StatusCode::OK)
}

#[cfg(test)]
mod tests {
    use azkv_models::operations::OPERATIONS;

    #[test]
    fn every_success_status_in_the_table_is_a_2xx_status() {
        for operation in OPERATIONS {
            let status = http::StatusCode::from_u16(operation.success_status);
            assert!(status.is_ok_and(|s| s.is_success()), "{:?}: {}", operation.id, operation.success_status);
            assert_eq!(super::success_status(operation).as_u16(), operation.success_status);
        }
    }
}
