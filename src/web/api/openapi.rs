//! The `OpenAPI` 3.1 document of the API, built from [`super::endpoints`] (the
//! same table the router and the scope check are built from) and served at
//! `/api/v1/openapi.json`. Request bodies are described by
//! [`body_schemas`], whose property lists a test checks against the wire
//! types' serde names, so neither can drift.

use axum::response::Response;
use serde_json::{Map, Value, json};

use super::{Endpoint, endpoints, ok};

/// GET /api/v1/openapi.json (public: it holds no data, only the shape).
pub(crate) async fn serve() -> Response {
    ok(&document())
}

/// Every request body schema: name, required properties, optional ones.
pub fn body_schemas() -> Vec<(&'static str, &'static [&'static str], &'static [&'static str])> {
    vec![
        (
            "EditBody",
            &["revision"],
            &["actor", "headline", "commentary", "quote_ids", "quote_overrides", "section", "position"],
        ),
        ("ActBody", &[], &["revision", "actor"]),
        ("PublishBody", &[], &["dry_run", "accept_unverified"]),
        ("VerifyBody", &[], &["item", "issue", "actor"]),
        ("TagBody", &[], &["add", "remove", "revision", "actor"]),
        ("NewUser", &["name", "password"], &["role"]),
        ("PasswordBody", &["password"], &[]),
        ("RoleBody", &["role"], &[]),
        ("NewToken", &["name"], &["scope", "owner"]),
        ("EnabledBody", &["enabled"], &[]),
        ("AddBody", &["url"], &["section", "actor"]),
        ("NoteBody", &["section", "commentary"], &["headline", "actor"]),
        ("CiteBody", &["items"], &["revision", "actor"]),
        ("StoriesBody", &[], &["all"]),
        ("CorrectBody", &[], &["note", "actor"]),
        ("NewSubscriber", &["email"], &["confirmed"]),
        ("SubscriberImport", &["csv"], &["confirmed"]),
        ("MailTestBody", &["address"], &[]),
        ("MergeBody", &["into"], &["actor"]),
        ("SplitBody", &["alias"], &["actor"]),
        ("FollowBody", &["kind", "target"], &["editor", "notify"]),
    ]
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for endpoint in endpoints() {
        let entry = paths.entry(endpoint.path.to_owned()).or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(methods) = entry {
            methods.insert(endpoint.method.as_str().to_ascii_lowercase(), operation(&endpoint));
        }
    }
    let mut schemas = Map::new();
    schemas.insert(
        "Error".to_owned(),
        json!({
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "stable: unauthorized, forbidden, no_route, method_not_allowed, not_found, bad_request, conflict, stale_revision, invalid_transition, invalid, exists, internal"},
                "message": {"type": "string"},
            },
        }),
    );
    for (name, required, optional) in body_schemas() {
        let properties: Map<String, Value> =
            required.iter().chain(optional.iter()).map(|p| ((*p).to_owned(), json!({}))).collect();
        schemas.insert(name.to_owned(), json!({"type": "object", "required": required, "properties": properties}));
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Gleaner API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Items, review, issues, sources, users and tokens of a running Gleaner. \
                            Every route needs `Authorization: Bearer TOKEN` (`gleaner token create`); \
                            `x-scope` names the least scope a token needs (read < edit < admin).",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas,
        },
        "security": [{"bearer": []}],
    })
}

fn operation(endpoint: &Endpoint) -> Value {
    let mut parameters: Vec<Value> = endpoint
        .path
        .split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect();
    parameters.extend(endpoint.query.iter().map(|(name, description)| {
        json!({"name": name, "in": "query", "required": false, "description": description, "schema": {"type": "string"}})
    }));
    let error = json!({"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    let mut op = json!({
        "summary": endpoint.summary,
        "operationId": operation_id(endpoint),
        "x-scope": endpoint.scope.as_str(),
        "parameters": parameters,
        "responses": {
            "200": {"description": "JSON", "content": {"application/json": {}}},
            "400": error.clone(),
            "401": error.clone(),
            "403": error.clone(),
            "404": error.clone(),
            "409": error.clone(),
            "422": error,
        },
    });
    if let Some(body) = endpoint.body {
        op["requestBody"] = json!({
            "required": true,
            "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{body}")}}},
        });
    }
    op
}

/// `get_api_v1_items_id`: unique per method and path.
fn operation_id(endpoint: &Endpoint) -> String {
    let path: String = endpoint
        .path
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect::<String>()
        .split('_')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    format!("{}_{path}", endpoint.method.as_str().to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::super::wire::{
        ActBody, AddBody, CiteBody, CorrectBody, EditBody, EnabledBody, FollowBody, MailTestBody, MergeBody,
        NewSubscriber, NewToken, NewUser, NoteBody, PasswordBody, PublishBody, RoleBody, SplitBody, StoriesBody,
        SubscriberImport, TagBody, VerifyBody,
    };
    use super::*;
    use crate::model::{Role, Scope};

    /// Every property name a fully filled value of the body type serializes.
    fn names(value: &impl serde::Serialize) -> BTreeSet<String> {
        serde_json::to_value(value).expect("encodes").as_object().expect("an object").keys().cloned().collect()
    }

    #[test]
    fn body_schemas_name_exactly_the_wire_types_fields() {
        let some = Some(Some("x".to_owned()));
        let full: Vec<(&str, BTreeSet<String>)> = vec![
            (
                "EditBody",
                names(&EditBody {
                    revision: 1,
                    actor: Some("a".into()),
                    headline: some.clone(),
                    commentary: some.clone(),
                    quote_ids: Some(vec![]),
                    quote_overrides: Some(std::collections::BTreeMap::new()),
                    section: some,
                    position: Some(Some(1)),
                }),
            ),
            ("ActBody", names(&ActBody { revision: Some(1), actor: Some("a".into()) })),
            ("PublishBody", names(&PublishBody { dry_run: true, accept_unverified: true })),
            ("VerifyBody", names(&VerifyBody { item: Some("i".into()), issue: Some(1), actor: Some("a".into()) })),
            (
                "TagBody",
                names(&TagBody {
                    add: vec!["a".into()],
                    remove: vec!["r".into()],
                    revision: Some(1),
                    actor: Some("a".into()),
                }),
            ),
            ("NewUser", names(&NewUser { name: "n".into(), password: "p".into(), role: Some(Role::Admin) })),
            ("PasswordBody", names(&PasswordBody { password: "p".into() })),
            ("RoleBody", names(&RoleBody { role: Role::Editor })),
            ("NewToken", names(&NewToken { name: "n".into(), scope: Scope::Read, owner: Some("o".into()) })),
            ("EnabledBody", names(&EnabledBody { enabled: true })),
            ("AddBody", names(&AddBody { url: "u".into(), section: Some("s".into()), actor: Some("a".into()) })),
            (
                "NoteBody",
                names(&NoteBody {
                    section: "s".into(),
                    commentary: "c".into(),
                    headline: Some("h".into()),
                    actor: Some("a".into()),
                }),
            ),
            ("CiteBody", names(&CiteBody { items: vec![], revision: Some(1), actor: Some("a".into()) })),
            ("StoriesBody", names(&StoriesBody { all: true })),
            ("CorrectBody", names(&CorrectBody { note: Some("n".into()), actor: Some("a".into()) })),
            ("NewSubscriber", names(&NewSubscriber { email: "e".into(), confirmed: true })),
            ("SubscriberImport", names(&SubscriberImport { csv: "c".into(), confirmed: true })),
            ("MailTestBody", names(&MailTestBody { address: "a".into() })),
            ("MergeBody", names(&MergeBody { into: "i".into(), actor: Some("a".into()) })),
            ("SplitBody", names(&SplitBody { alias: "s".into(), actor: Some("a".into()) })),
            (
                "FollowBody",
                names(&FollowBody {
                    kind: "speaker".into(),
                    target: "t".into(),
                    editor: Some("e".into()),
                    notify: Some("n".into()),
                }),
            ),
        ];
        let schemas = body_schemas();
        assert_eq!(schemas.len(), full.len(), "every body schema is checked");
        for (name, fields) in full {
            let (_, required, optional) = schemas.iter().find(|(n, ..)| *n == name).expect("schema listed");
            let listed: BTreeSet<String> = required.iter().chain(optional.iter()).map(|s| (*s).to_owned()).collect();
            assert_eq!(listed, fields, "{name}");
        }
        for endpoint in endpoints() {
            if let Some(body) = endpoint.body {
                assert!(schemas.iter().any(|(n, ..)| *n == body), "{} names schema {body}", endpoint.path);
            }
        }
    }

    #[test]
    fn the_document_lists_every_route_with_its_scope_and_unique_ids() {
        let doc = document();
        assert_eq!(doc["openapi"], "3.1.0");
        let mut ids = BTreeSet::new();
        for endpoint in endpoints() {
            let op = &doc["paths"][endpoint.path][endpoint.method.as_str().to_ascii_lowercase()];
            assert_eq!(op["x-scope"], endpoint.scope.as_str(), "{} {}", endpoint.method, endpoint.path);
            assert!(ids.insert(op["operationId"].as_str().expect("id").to_owned()), "duplicate operationId");
        }
    }
}
