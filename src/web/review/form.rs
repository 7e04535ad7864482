//! Reading `application/x-www-form-urlencoded` bodies as ordered name/value
//! pairs. Forms here repeat names (`sel`, `quote`, `order`), which serde's
//! flat form structs cannot express, so handlers look fields up by name.
//! Also: the local-path check for `next`/`back` redirect targets.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};

use super::UiError;
use crate::editorial::rules::Action;
use crate::model::ItemId;

/// A form body this large is not ours (the biggest is an item page with
/// commentary and a few hundred quote fields).
pub(crate) const MAX_FORM_BYTES: usize = 1 << 20;

/// A submitted form, fields in document order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fields(pub(crate) Vec<(String, String)>);

impl Fields {
    pub(crate) fn parse(body: &[u8]) -> Self {
        Self(url::form_urlencoded::parse(body).into_owned().collect())
    }

    /// The first value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Every value of `name`, in order.
    pub(crate) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// A required field.
    pub(crate) fn need(&self, name: &str) -> Result<&str, UiError> {
        self.get(name).ok_or_else(|| UiError::BadRequest(format!("missing field {name}")))
    }

    /// The `revision` every editing form carries.
    pub(crate) fn revision(&self) -> Result<u64, UiError> {
        self.need("revision")?.trim().parse().map_err(|_| UiError::BadRequest("revision is not a number".into()))
    }
}

impl<S: Send + Sync> FromRequest<S> for Fields {
    type Rejection = UiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let body = Bytes::from_request(request, state).await.map_err(|e| UiError::BadRequest(e.to_string()))?;
        Ok(Self::parse(&body))
    }
}

/// `ID:REVISION`, as checkboxes and reorder fields carry an item.
pub(crate) fn parse_target(text: &str) -> Result<(ItemId, u64), UiError> {
    let bad = || UiError::BadRequest(format!("not an item and revision: {text:?}"));
    let (id, revision) = text.split_once(':').ok_or_else(bad)?;
    Ok((ItemId::parse(id).ok_or_else(bad)?, revision.parse().map_err(|_| bad())?))
}

/// The `do` field of an action button.
pub(crate) fn parse_action(text: &str) -> Result<Action, UiError> {
    match text {
        "shortlist" => Ok(Action::Shortlist),
        "approve" => Ok(Action::Approve),
        "reject" => Ok(Action::Reject),
        "reset" => Ok(Action::Reset),
        other => Err(UiError::BadRequest(format!("unknown action {other:?}"))),
    }
}

/// What a flash message says was done.
pub(crate) fn action_past(action: Action) -> &'static str {
    match action {
        Action::Shortlist => "Shortlisted",
        Action::Approve => "Approved",
        Action::Reject => "Rejected",
        Action::Reset => "Reset to new",
    }
}

/// Where redirect targets are resolved: any origin works as long as a
/// target naming another site cannot match it (`.invalid` is reserved, RFC 2606).
const SITE: &str = "http://gleaner.invalid/";

/// `target` if it is a path on this site, else `fallback`: a `next` or
/// `back` field must not turn the UI into an open redirect.
///
/// The target is resolved the way a browser resolves a `Location`, so
/// every trick browsers undo lands on the other site and is refused: tab
/// and newline are stripped (`/\t/evil.org` is `//evil.org`), `\` is `/`,
/// leading spaces and controls are trimmed. What comes back is the
/// re-serialized path, query and fragment, percent-encoded, so it is always
/// a valid header value.
pub(crate) fn local_path(target: Option<&str>, fallback: &str) -> String {
    let site = url::Url::parse(SITE).expect("SITE is a valid URL");
    let resolved = target.filter(|t| t.starts_with('/')).and_then(|t| site.join(t).ok());
    match resolved {
        Some(url) if url.origin() == site.origin() => url[url::Position::BeforePath..].to_owned(),
        _ => fallback.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_fields_keep_their_order() {
        let fields = Fields::parse(b"sel=a&do=approve&sel=b&text=caf%C3%A9+au+lait");
        assert_eq!(fields.all("sel").collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(fields.get("text"), Some("café au lait"));
        assert!(fields.need("missing").is_err());
    }

    #[test]
    fn only_local_paths_are_redirect_targets() {
        assert_eq!(local_path(Some("/queue?state=new"), "/"), "/queue?state=new");
        for bad in [
            "//evil.org",
            "https://evil.org",
            "/\\evil.org",
            "queue",
            "",
            "/\t/evil.org",
            "/\n/evil.org",
            "\t//evil.org",
            " //evil.org",
            "/\\/evil.org",
        ] {
            assert_eq!(local_path(Some(bad), "/queue"), "/queue", "{bad:?}");
        }
        // Controls inside a local path are encoded, never a broken header.
        assert_eq!(local_path(Some("/items/\u{1}x\u{7f}"), "/queue"), "/items/%01x%7F");
    }

    #[test]
    fn targets_are_id_and_revision() {
        let id = "0123456789abcdef0123456789abcdef";
        let (parsed, revision) = parse_target(&format!("{id}:7")).expect("valid");
        assert_eq!((parsed.as_str(), revision), (id, 7));
        assert!(parse_target("nope:1").is_err());
        assert!(parse_target(&format!("{id}:x")).is_err());
    }
}
