//! The admin page: review users with their roles, and API tokens (the same
//! operations as `gleaner user …` and `gleaner token …`, through the same
//! editorial use-case). Admins only; every POST goes through the session's
//! CSRF check like the rest of the UI. Template: `admin.html.j2`.

use axum::Extension;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use minijinja::context;
use serde::Serialize;

use super::auth::Editor;
use super::form::Fields;
use super::{UiError, UiState, blocking, editorial_status};
use crate::editorial::EditorialError;
use crate::model::{Role, Scope};

#[derive(Serialize)]
struct UserRow {
    name: String,
    role: &'static str,
    created: String,
}

#[derive(Serialize)]
struct TokenRow {
    name: String,
    scope: &'static str,
    created: String,
    last_used: String,
}

fn when(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Refuses anyone but an admin (the role is read at each request, so a
/// demotion applies at once).
async fn require_admin(state: &UiState, editor: &Editor) -> Result<(), UiError> {
    let name = editor.name.clone();
    let role = blocking(state, move |ui| match ui.editorial.user(&name) {
        Ok(user) => Ok(Some(user.role)),
        Err(EditorialError::NoSuch { .. }) => Ok(None),
        Err(other) => Err(other.into()),
    })
    .await?;
    if role == Some(Role::Admin) {
        Ok(())
    } else {
        Err(UiError::Forbidden("the admin page is for admins (`gleaner user role NAME admin`)".to_owned()))
    }
}

/// GET /admin.
pub(crate) async fn show(
    State(state): State<UiState>,
    Extension(editor): Extension<Editor>,
) -> Result<Response, UiError> {
    require_admin(&state, &editor).await?;
    let (users, tokens) = blocking(&state, |ui| Ok((ui.editorial.users()?, ui.editorial.tokens()?))).await?;
    let users: Vec<UserRow> = users
        .iter()
        .map(|u| UserRow { name: u.name.clone(), role: u.role.as_str(), created: when(u.created_at) })
        .collect();
    let tokens: Vec<TokenRow> = tokens
        .iter()
        .map(|t| TokenRow {
            name: t.name.clone(),
            scope: t.scope.as_str(),
            created: when(t.created_at),
            last_used: t.last_used.map_or_else(|| "never".to_owned(), when),
        })
        .collect();
    let flash = state.inner.sessions.take_flash(&editor);
    let page = state.inner.pages.render(
        "admin.html.j2",
        context! {
            user => &editor.name,
            csrf => &editor.csrf,
            flash => flash,
            users => users,
            tokens => tokens,
            roles => Role::ALL.map(Role::as_str),
            scopes => Scope::ALL.map(Scope::as_str),
        },
    )?;
    Ok(Html(page.0).into_response())
}

/// One admin change: done, or refused with the reason; either way back to the page.
async fn change(
    state: &UiState,
    editor: &Editor,
    work: impl FnOnce(&crate::editorial::Editorial) -> Result<String, EditorialError> + Send + 'static,
) -> Result<Response, UiError> {
    require_admin(state, editor).await?;
    let result = blocking(state, move |ui| Ok(work(&ui.editorial))).await?;
    let message = match result {
        Ok(done) => done,
        Err(error) if !editorial_status(&error).is_server_error() => format!("Refused: {error}"),
        Err(error) => return Err(error.into()),
    };
    state.inner.sessions.flash(editor, message);
    Ok(Redirect::to("/admin").into_response())
}

fn role(fields: &Fields) -> Result<Role, UiError> {
    let text = fields.need("role")?;
    Role::parse(text).ok_or_else(|| UiError::BadRequest(format!("unknown role {text:?}")))
}

/// POST /admin/users: add a user.
pub(crate) async fn add_user(
    State(state): State<UiState>,
    Extension(editor): Extension<Editor>,
    fields: Fields,
) -> Result<Response, UiError> {
    let (name, password, role) =
        (fields.need("name")?.trim().to_owned(), fields.need("password")?.to_owned(), role(&fields)?);
    change(&state, &editor, move |e| {
        e.add_user_as(&name, &password, Some(role), Utc::now()).map(|role| format!("Added {name} ({role})."))
    })
    .await
}

/// POST /admin/users/role.
pub(crate) async fn set_role(
    State(state): State<UiState>,
    Extension(editor): Extension<Editor>,
    fields: Fields,
) -> Result<Response, UiError> {
    let (name, role) = (fields.need("name")?.to_owned(), role(&fields)?);
    change(&state, &editor, move |e| e.set_role(&name, role).map(|_| format!("{name} is now {role}."))).await
}

/// POST /admin/users/remove.
pub(crate) async fn remove_user(
    State(state): State<UiState>,
    Extension(editor): Extension<Editor>,
    fields: Fields,
) -> Result<Response, UiError> {
    let name = fields.need("name")?.to_owned();
    let removed = name.clone();
    let response = change(&state, &editor, move |e| e.remove_user(&name).map(|()| format!("Removed {name}."))).await?;
    if state.inner.editorial.user(&removed).is_err() {
        // Logged out at once, not when their session would expire.
        state.inner.sessions.end_user(&removed);
    }
    Ok(response)
}

/// POST /admin/tokens: create a token, shown once in the flash message.
pub(crate) async fn create_token(
    State(state): State<UiState>,
    Extension(editor): Extension<Editor>,
    fields: Fields,
) -> Result<Response, UiError> {
    let name = fields.need("name")?.trim().to_owned();
    let text = fields.need("scope")?;
    let scope = Scope::parse(text).ok_or_else(|| UiError::BadRequest(format!("unknown scope {text:?}")))?;
    // The admin's own: it goes when they are removed or demoted.
    let owner = editor.name.clone();
    change(&state, &editor, move |e| {
        e.create_token_for(&name, scope, Some(&owner), Utc::now())
            .map(|(token, _)| format!("Token {name} ({scope}) created; copy it now, it is not shown again: {token}"))
    })
    .await
}

/// POST /admin/tokens/revoke.
pub(crate) async fn revoke_token(
    State(state): State<UiState>,
    Extension(editor): Extension<Editor>,
    fields: Fields,
) -> Result<Response, UiError> {
    let name = fields.need("name")?.to_owned();
    change(&state, &editor, move |e| e.revoke_token(&name).map(|()| format!("Revoked token {name}."))).await
}
