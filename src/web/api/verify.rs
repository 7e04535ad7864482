//! `POST /api/v1/verify`: chosen quotes checked against their pages now
//! (`gleaner verify` through a running service), one item's or a
//! published issue's; the answer is each entry with its checks.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use chrono::Utc;

use super::wire::VerifyBody;
use super::{ApiError, ApiState, Caller, body, ok};
use crate::model::ItemId;
use crate::verify::VerifyError;

fn verify_error(error: VerifyError) -> ApiError {
    match error {
        VerifyError::NoItem { .. } | VerifyError::NoIssue { .. } => ApiError::NotFound(error.to_string()),
        VerifyError::Editorial(e) => ApiError::Editorial(Box::new(e)),
    }
}

/// POST /api/v1/verify: `[EntryChecks]`.
pub(crate) async fn verify(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let request: VerifyBody = body(&bytes)?;
    let actor = caller.actor(request.actor.as_deref())?;
    let verifier = &state.inner.verifier;
    let checks = match (request.item, request.issue) {
        (Some(id), None) => {
            let id = ItemId::parse(&id).ok_or_else(|| ApiError::BadRequest(format!("{id:?} is not an item id")))?;
            vec![verifier.verify_item(&id, &actor, Utc::now()).await.map_err(verify_error)?]
        }
        (None, Some(number)) => verifier.verify_issue(number, &actor, Utc::now()).await.map_err(verify_error)?,
        _ => return Err(ApiError::BadRequest("name either `item` or `issue`".to_owned())),
    };
    Ok(ok(&checks))
}
