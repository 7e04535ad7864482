//! `/api/v1/users` and `/api/v1/tokens`: review users with their roles, and
//! API tokens (admin scope only).

use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;

use super::wire::{CreatedToken, NewToken, NewUser, PasswordBody, RoleBody, TokenLine, UserLine};
use super::{ApiError, ApiState, Caller, blocking, body, json_response, ok};

fn name(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    path.map(|Path(name)| name).map_err(|e| ApiError::BadRequest(e.body_text()))
}

/// GET /api/v1/users.
pub(crate) async fn users(State(state): State<ApiState>) -> Result<Response, ApiError> {
    let users = blocking(&state, |api| Ok(api.editorial.users()?)).await?;
    Ok(ok(&users.iter().map(UserLine::from).collect::<Vec<_>>()))
}

/// POST /api/v1/users: 201 with the user as listed.
pub(crate) async fn add_user(State(state): State<ApiState>, bytes: Bytes) -> Result<Response, ApiError> {
    let request: NewUser = body(&bytes)?;
    let user = blocking(&state, move |api| {
        api.editorial.add_user_as(&request.name, &request.password, request.role, Utc::now())?;
        Ok(api.editorial.user(&request.name)?)
    })
    .await?;
    Ok(json_response(StatusCode::CREATED, &UserLine::from(&user)))
}

/// DELETE /api/v1/users/{name}.
pub(crate) async fn remove_user(
    State(state): State<ApiState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let name = name(path)?;
    blocking(&state, move |api| Ok(api.editorial.remove_user(&name)?)).await?;
    Ok(ok(&serde_json::json!({ "removed": true })))
}

/// PUT /api/v1/users/{name}/password.
pub(crate) async fn set_password(
    State(state): State<ApiState>,
    path: Result<Path<String>, PathRejection>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let name = name(path)?;
    let request: PasswordBody = body(&bytes)?;
    let user = blocking(&state, move |api| {
        api.editorial.set_password(&name, &request.password)?;
        Ok(api.editorial.user(&name)?)
    })
    .await?;
    Ok(ok(&UserLine::from(&user)))
}

/// PUT /api/v1/users/{name}/role.
pub(crate) async fn set_role(
    State(state): State<ApiState>,
    path: Result<Path<String>, PathRejection>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let name = name(path)?;
    let request: RoleBody = body(&bytes)?;
    let user = blocking(&state, move |api| Ok(api.editorial.set_role(&name, request.role)?)).await?;
    Ok(ok(&UserLine::from(&user)))
}

/// GET /api/v1/tokens.
pub(crate) async fn tokens(State(state): State<ApiState>) -> Result<Response, ApiError> {
    let tokens = blocking(&state, |api| Ok(api.editorial.tokens()?)).await?;
    Ok(ok(&tokens.iter().map(TokenLine::from).collect::<Vec<_>>()))
}

/// POST /api/v1/tokens: 201 with the token, shown this once.
pub(crate) async fn create_token(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let request: NewToken = body(&bytes)?;
    // A user's token mints only that user's tokens: none outlives their removal.
    let inherited = caller.token.and_then(|t| t.owner);
    let owner = match (inherited, request.owner) {
        (Some(theirs), Some(named)) if theirs != named => {
            return Err(ApiError::BadRequest(format!(
                "this token is {theirs}'s: the tokens it creates are {theirs}'s too, not {named}'s"
            )));
        }
        (inherited, named) => inherited.or(named),
    };
    let (token, record) = blocking(&state, move |api| {
        Ok(api.editorial.create_token_for(&request.name, request.scope, owner.as_deref(), Utc::now())?)
    })
    .await?;
    Ok(json_response(StatusCode::CREATED, &CreatedToken { token, line: TokenLine::from(&record) }))
}

/// DELETE /api/v1/tokens/{name}.
pub(crate) async fn revoke_token(
    State(state): State<ApiState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let name = name(path)?;
    blocking(&state, move |api| Ok(api.editorial.revoke_token(&name)?)).await?;
    Ok(ok(&serde_json::json!({ "revoked": true })))
}
