//! [`ApiError`]: every failure of an API request, answered as JSON with a
//! stable `code` (see [`super::wire::ErrorBody`]) and the right status.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::wire::ErrorBody;
use crate::editorial::EditorialError;
use crate::model::Scope;

/// Why an API request failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No token, or one that is unknown or revoked (401, `unauthorized`).
    #[error("{0}")]
    Unauthorized(&'static str),
    /// The token's scope is too narrow for the route (403, `forbidden`).
    #[error("this route needs a token with the {needed} scope; this one has {has}")]
    Forbidden { needed: Scope, has: Scope },
    /// No such route under `/api/v1/` (404, `no_route`).
    #[error("no such API route; see /api/v1/openapi.json")]
    NoRoute,
    /// A known route, another method (405, `method_not_allowed`).
    #[error("this route does not take that method; see /api/v1/openapi.json")]
    MethodNotAllowed,
    /// No such item, issue or source (404, `not_found`).
    #[error("{0}")]
    NotFound(String),
    /// The request cannot be done in the present state of things (409, `conflict`).
    #[error("{0}")]
    Conflict(String),
    /// A malformed path, query or body (400, `bad_request`).
    #[error("{0}")]
    BadRequest(String),
    /// The review rules or the accounts refused (see [`ErrorBody::from_editorial`]).
    #[error(transparent)]
    Editorial(Box<EditorialError>),
    /// A use-case refused or failed in a way the caller should read (an
    /// unusable URL or address, a failed fetch, send or correction): its
    /// own `code`, and the whole chain of causes as the message, so the CLI
    /// prints what it prints offline.
    #[error("{message}")]
    Failed { status: StatusCode, code: &'static str, message: String },
    /// Ours, not the caller's: logged, never shown (500, `internal`).
    #[error("internal: {0}")]
    Internal(String),
}

impl From<EditorialError> for ApiError {
    fn from(error: EditorialError) -> Self {
        Self::Editorial(Box::new(error))
    }
}

impl ApiError {
    /// [`ApiError::Failed`] with `error` and its causes, joined as `anyhow` prints them (`{:#}`).
    pub fn failed(status: StatusCode, code: &'static str, error: &dyn std::error::Error) -> Self {
        let mut message = error.to_string();
        let mut cause = error.source();
        while let Some(e) = cause {
            message.push_str(": ");
            message.push_str(&e.to_string());
            cause = e.source();
        }
        Self::Failed { status, code, message }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NoRoute | Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Editorial(e) => crate::web::review::editorial_status(e),
            Self::Failed { status, .. } => *status,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn body(&self) -> ErrorBody {
        match self {
            Self::Unauthorized(_) => ErrorBody::new("unauthorized", self.to_string()),
            Self::Forbidden { .. } => ErrorBody::new("forbidden", self.to_string()),
            Self::NoRoute => ErrorBody::new("no_route", self.to_string()),
            Self::MethodNotAllowed => ErrorBody::new("method_not_allowed", self.to_string()),
            Self::NotFound(_) => ErrorBody::new("not_found", self.to_string()),
            Self::BadRequest(_) => ErrorBody::new("bad_request", self.to_string()),
            Self::Conflict(_) => ErrorBody::new("conflict", self.to_string()),
            Self::Editorial(e) => ErrorBody::from_editorial(e),
            Self::Failed { code, message, .. } => ErrorBody::new(code, message.clone()),
            Self::Internal(_) => ErrorBody::new("internal", "internal error; the service logged it"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "API request failed");
        }
        let mut response = super::json_response(status, &self.body());
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_code_and_the_status_it_promises() {
        let cases = [
            (ApiError::Unauthorized("x"), 401, "unauthorized"),
            (ApiError::Forbidden { needed: Scope::Edit, has: Scope::Read }, 403, "forbidden"),
            (ApiError::NoRoute, 404, "no_route"),
            (ApiError::MethodNotAllowed, 405, "method_not_allowed"),
            (ApiError::BadRequest("x".into()), 400, "bad_request"),
            (ApiError::Internal("secret detail".into()), 500, "internal"),
        ];
        for (error, status, code) in cases {
            assert_eq!(error.status().as_u16(), status);
            let body = error.body();
            assert_eq!(body.code, code);
            assert!(!body.message.contains("secret"), "internals are never shown");
        }
    }
}
