//! Issue 15.5: the review UI's admin page (users, roles, API tokens), for
//! admins only, through the router (`oneshot`) with real sessions and CSRF.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::Utc;
use gleaner::editorial::Editorial;
use gleaner::model::Role;
use gleaner::store::Store;
use gleaner::web::review::{self, UiOptions};
use tower::ServiceExt as _;

use crate::ui::{fixture, ui_state};

struct Session {
    cookie: String,
    csrf: String,
}

async fn send(
    router: &Router,
    method: Method,
    path: &str,
    session: &Session,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let mut body = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in fields {
        body.append_pair(name, value);
    }
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::COOKIE, &session.cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.finish()))
        .expect("request");
    let response = router.clone().oneshot(request).await.expect("infallible router");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 24).await.expect("body");
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn only_admins_manage_users_and_tokens_on_the_admin_page() {
    let fx = fixture();
    let store: Arc<dyn Store> = Arc::clone(&fx.store);
    let editorial = Editorial::without_queue(Arc::clone(&store));
    editorial.add_user_as("ann", "ann's password", Some(Role::Admin), Utc::now()).expect("ann");
    editorial.add_user_as("bob", "bob's password", Some(Role::Editor), Utc::now()).expect("bob");
    let state = ui_state(&store, UiOptions::default());
    let session = |name: &str| {
        let (id, csrf) = state.sessions().create(name);
        Session { cookie: format!("gleaner_session={id}"), csrf }
    };
    let (ann, bob) = (session("ann"), session("bob"));
    let router = review::routes(state.clone());

    let (status, _) = send(&router, Method::GET, "/admin", &bob, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an editor is refused");
    let (status, _) = send(
        &router,
        Method::POST,
        "/admin/users/role",
        &bob,
        &[("csrf", &bob.csrf), ("name", "bob"), ("role", "admin")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an editor cannot make themself admin");
    assert_eq!(editorial.user("bob").expect("bob").role, Role::Editor);

    let (status, page) = send(&router, Method::GET, "/admin", &ann, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("data-name=\"ann\"") && page.contains("data-name=\"bob\""), "{page}");

    // Without the session's CSRF token nothing happens.
    let (status, _) = send(&router, Method::POST, "/admin/tokens", &ann, &[("name", "ci"), ("scope", "edit")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(editorial.tokens().expect("tokens").is_empty());

    let (status, _) =
        send(&router, Method::POST, "/admin/tokens", &ann, &[("csrf", &ann.csrf), ("name", "ci"), ("scope", "edit")])
            .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = send(&router, Method::GET, "/admin", &ann, &[]).await;
    let token = page.split_whitespace().find(|w| w.starts_with("glt_")).expect("the token is shown once").to_owned();
    let token = token.trim_end_matches(|c: char| !c.is_ascii_hexdigit());
    let record = editorial.authenticate_token(token, Utc::now()).expect("read").expect("the shown token works");
    assert_eq!(record.name, "ci");
    let (_, again) = send(&router, Method::GET, "/admin", &ann, &[]).await;
    assert!(!again.contains(token), "shown only once");

    let (status, _) =
        send(&router, Method::POST, "/admin/users/remove", &ann, &[("csrf", &ann.csrf), ("name", "ann")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = send(&router, Method::GET, "/admin", &ann, &[]).await;
    assert!(page.contains("last admin"), "the last admin stays: {page}");
    for (path, fields) in [
        ("/admin/users/role", vec![("name", "bob"), ("role", "admin")]),
        ("/admin/users", vec![("name", "cy"), ("password", "cy's long password"), ("role", "editor")]),
        ("/admin/tokens/revoke", vec![("name", "ci")]),
        ("/admin/users/remove", vec![("name", "ann")]),
    ] {
        let mut all = vec![("csrf", ann.csrf.as_str())];
        all.extend(fields);
        let (status, body) = send(&router, Method::POST, path, &ann, &all).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{path}: {body}");
    }
    assert_eq!(editorial.user("bob").expect("bob").role, Role::Admin);
    assert_eq!(editorial.user("cy").expect("cy").role, Role::Editor);
    assert!(editorial.user("ann").is_err(), "removed");
    assert!(editorial.tokens().expect("tokens").is_empty(), "revoked");
    let (status, _) = send(&router, Method::GET, "/admin", &ann, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "a removed user's sessions end at once (to the login page)");
}
