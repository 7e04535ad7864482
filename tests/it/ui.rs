//! Handler tests of the review UI through the router (`oneshot`, no socket):
//! login and sessions, CSRF on every POST, every state transition, edits,
//! stale revisions (409 with the editor's input kept), the queue's filters
//! and bulk actions, the composer and its preview, hostile feed content
//! rendered inert, and the security headers. Assertions read the HTML with
//! CSS selectors, as a browser would.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use gleaner::config::PublishSettings;
use gleaner::editorial::Editorial;
use gleaner::model::{ItemId, Link, NewItem, ReviewState};
use gleaner::publish::Publisher;
use gleaner::publish::render::Renderer;
use gleaner::store::{Extraction, SledStore, Store};
use gleaner::web::review::{self, Pages, Preview, UiOptions, UiState};
use scraper::{Html, Selector};
use tower::ServiceExt as _;

use crate::support::items::{at, entry, quote};

/// What hostile feeds send: script elements, event handlers, `javascript:`
/// URLs and CSS expressions, in the summary, the title and the links.
pub(crate) const HOSTILE_SUMMARY: &str = r#"<p onclick="steal()">Hi<script>alert('s')</script>
<img src="x.png" onerror="alert('e')"><a href="javascript:alert('j')">click</a>
<span style="width: expression(alert('c'))">css</span><iframe src="https://evil.example/"></iframe></p>"#;

/// Items in the store: `budget` (oldest), `hostile`, `persian`, `rates` (newest).
pub(crate) struct Fixture {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) budget: ItemId,
    pub(crate) hostile: ItemId,
    pub(crate) persian: ItemId,
    pub(crate) rates: ItemId,
}

pub(crate) fn fixture() -> Fixture {
    let store: Arc<dyn Store> = Arc::new(SledStore::temporary().expect("store"));
    let entries = vec![
        entry("wire", "budget", "Budget vote delayed", "<p>The council <b>postponed</b> the vote.</p>", 10, "en"),
        entry("wire", "hostile", "<script>alert('title')</script> Hostile", HOSTILE_SUMMARY, 20, "en"),
        entry("tehran", "persian", "بودجه تصویب شد", "<p>مجلس بودجه را تصویب کرد.</p>", 30, "fa"),
        entry("ledger", "rates", "Rates held steady", "<p>The bank held rates.</p>", 40, "en"),
    ];
    let report = store.upsert_items(&entries).expect("upsert");
    assert_eq!(report.new.len(), 4);
    let ids: Vec<ItemId> = entries.iter().map(NewItem::id).collect();
    let extraction = Extraction {
        content_hash: String::new(),
        text: "The council met.\n\nIt postponed the vote.".to_owned(),
        byline: None,
        outlet: Some("Ledger".to_owned()),
        language: None,
        quotes: vec![
            quote("q1", "We need more time", "Ann Mayor"),
            // Found through a description: below 0.9, marked for checking.
            gleaner::model::Quote {
                speaker_mention: Some("the critic".to_owned()),
                context: "“This is a delay tactic,” the critic said.".to_owned(),
                confidence: 0.6,
                ..quote("q2", "This is a delay tactic", "Bob Critic")
            },
        ],
        links: vec![Link {
            url: "https://example.org/minutes".to_owned(),
            text: "the minutes".to_owned(),
            context: "See the minutes.".to_owned(),
            domain: "example.org".to_owned(),
            external: false,
        }],
        extracted_at: at(200),
        note: None,
    };
    store.put_extraction(&ids[0], &extraction).expect("extraction");
    let hostile_links = Extraction {
        content_hash: String::new(),
        text: String::new(),
        byline: None,
        outlet: None,
        language: None,
        quotes: vec![gleaner::model::Quote {
            speaker_mention: Some("<img src=x onerror=alert(2)>".to_owned()),
            confidence: 0.5,
            ..quote("qh", "<script>alert('quote')</script>", "<img src=x onerror=alert(1)>")
        }],
        links: vec![Link {
            url: "javascript:alert('link')".to_owned(),
            text: "<b>bold</b> link".to_owned(),
            context: String::new(),
            domain: "evil.example".to_owned(),
            external: true,
        }],
        extracted_at: at(200),
        note: None,
    };
    store.put_extraction(&ids[1], &hostile_links).expect("extraction");
    Fixture { store, budget: ids[0].clone(), hostile: ids[1].clone(), persian: ids[2].clone(), rates: ids[3].clone() }
}

/// The UI over `store`, with sections "World" and "Iran".
pub(crate) fn ui_state(store: &Arc<dyn Store>, options: UiOptions) -> UiState {
    let editorial = Editorial::new(Arc::clone(store)).expect("editorial");
    let dir = std::env::temp_dir();
    let mut settings = PublishSettings::defaults(&dir);
    settings.sections = vec!["World".to_owned(), "Iran".to_owned()];
    let preview = Preview::new(Arc::new(Publisher::new(settings, Renderer::builtin(), &[])), Arc::clone(store));
    UiState::new(editorial, Pages::builtin(), preview, options)
}

/// A session for "ann", stored as a user first (a session of a user the
/// store does not hold ends at its first request).
pub(crate) fn ann_session(state: &UiState, store: &Arc<dyn Store>) -> (String, String) {
    let editorial = Editorial::new(Arc::clone(store)).expect("editorial");
    editorial.add_user("ann", "correct horse battery", at(0)).expect("add ann");
    state.sessions().create("ann")
}

/// A router with a logged-in session for "ann".
pub(crate) struct Ui {
    router: Router,
    pub(crate) fx: Fixture,
    cookie: String,
    csrf: String,
}

pub(crate) struct Page {
    pub(crate) status: StatusCode,
    headers: HeaderMap,
    pub(crate) body: String,
}

impl Page {
    pub(crate) fn html(&self) -> Html {
        Html::parse_document(&self.body)
    }

    pub(crate) fn select(&self, css: &str) -> Vec<String> {
        let selector = Selector::parse(css).expect("valid selector");
        self.html().select(&selector).map(|e| e.html()).collect()
    }

    pub(crate) fn texts(&self, css: &str) -> Vec<String> {
        let selector = Selector::parse(css).expect("valid selector");
        self.html().select(&selector).map(|e| e.text().collect::<String>().trim().to_owned()).collect()
    }

    pub(crate) fn attr(&self, css: &str, name: &str) -> Option<String> {
        let selector = Selector::parse(css).expect("valid selector");
        self.html().select(&selector).next().and_then(|e| e.value().attr(name)).map(str::to_owned)
    }

    pub(crate) fn location(&self) -> &str {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }
}

async fn send(router: &Router, request: Request<Body>) -> Page {
    let response = router.clone().oneshot(request).await.expect("infallible router");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 24).await.expect("body");
    Page { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

fn form_body(fields: &[(&str, &str)]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in fields {
        out.append_pair(name, value);
    }
    out.finish()
}

impl Ui {
    pub(crate) fn new() -> Self {
        let fx = fixture();
        let state = ui_state(&fx.store, UiOptions::default());
        let (session, csrf) = ann_session(&state, &fx.store);
        Self { router: review::routes(state), fx, cookie: format!("gleaner_session={session}"), csrf }
    }

    pub(crate) async fn get(&self, path: &str) -> Page {
        let request = Request::get(path).header(header::COOKIE, &self.cookie).body(Body::empty()).expect("request");
        send(&self.router, request).await
    }

    /// POST with the session's CSRF token added.
    pub(crate) async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all, true).await
    }

    async fn post_raw(&self, path: &str, fields: &[(&str, &str)], with_session: bool) -> Page {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if with_session {
            request = request.header(header::COOKIE, &self.cookie);
        }
        send(&self.router, request.body(Body::from(form_body(fields))).expect("request")).await
    }

    pub(crate) fn item(&self, id: &ItemId) -> gleaner::model::Item {
        self.fx.store.item(id).expect("read").expect("stored")
    }

    pub(crate) fn target(&self, id: &ItemId) -> String {
        format!("{id}:{}", self.item(id).revision)
    }

    pub(crate) async fn act(&self, id: &ItemId, action: &str) -> Page {
        let revision = self.item(id).revision.to_string();
        self.post(&format!("/items/{id}/act"), &[("revision", &revision), ("do", action), ("back", "/queue")]).await
    }
}

/// Every protected route, with the method it answers.
fn protected_routes(id: &ItemId) -> Vec<(Method, String)> {
    vec![
        (Method::GET, "/".to_owned()),
        (Method::GET, "/queue".to_owned()),
        (Method::GET, "/queue?state=new&q=vote".to_owned()),
        (Method::POST, "/queue/bulk".to_owned()),
        (Method::GET, format!("/items/{id}")),
        (Method::POST, format!("/items/{id}")),
        (Method::POST, format!("/items/{id}/act")),
        (Method::GET, "/composer".to_owned()),
        (Method::POST, "/composer/reorder".to_owned()),
        (Method::POST, "/composer/remove".to_owned()),
        (Method::GET, "/composer/preview".to_owned()),
        (Method::POST, "/logout".to_owned()),
    ]
}

#[tokio::test]
async fn every_review_route_without_a_session_redirects_to_login() {
    let ui = Ui::new();
    for (method, path) in protected_routes(&ui.fx.budget) {
        for cookie in [None, Some("gleaner_session=forged")] {
            let mut request = Request::builder().method(method.clone()).uri(&path);
            if let Some(cookie) = cookie {
                request = request.header(header::COOKIE, cookie);
            }
            let page = send(&ui.router, request.body(Body::empty()).expect("request")).await;
            assert_eq!(page.status, StatusCode::SEE_OTHER, "{method} {path}");
            assert!(page.location().starts_with("/login"), "{method} {path} → {}", page.location());
        }
    }
    let page = send(&ui.router, Request::get("/queue?state=new").body(Body::empty()).expect("request")).await;
    assert_eq!(page.location(), "/login?next=%2Fqueue%3Fstate%3Dnew", "GETs remember where they were going");
}

#[tokio::test]
async fn public_feed_routes_never_need_a_login() {
    let fx = fixture();
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("digest.xml"), "<rss version=\"2.0\"/>").expect("write");
    let router = gleaner::web::router(gleaner::web::WebState::new(dir.path()))
        .merge(review::routes(ui_state(&fx.store, UiOptions::default())));
    for path in ["/feeds/digest.xml", "/healthz"] {
        let page = send(&router, Request::get(path).body(Body::empty()).expect("request")).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
    }
    let page = send(&router, Request::get("/queue").body(Body::empty()).expect("request")).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn posts_without_or_with_a_wrong_csrf_token_are_403_and_change_nothing() {
    let ui = Ui::new();
    let id = ui.fx.budget.clone();
    let before = ui.item(&id);
    let target = ui.target(&id);
    for (_, path) in protected_routes(&id).into_iter().filter(|(m, _)| *m == Method::POST) {
        let fields = [("revision", "0"), ("do", "approve"), ("sel", target.as_str()), ("remove", target.as_str())];
        let missing = ui.post_raw(&path, &fields, true).await;
        assert_eq!(missing.status, StatusCode::FORBIDDEN, "no token: {path}");
        let mut wrong = vec![("csrf", "0".repeat(64).leak() as &str)];
        wrong.extend_from_slice(&fields);
        let page = ui.post_raw(&path, &wrong, true).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "wrong token: {path}");
        assert!(!page.select("main .error-message").is_empty(), "the error page says why: {path}");
    }
    assert_eq!(ui.item(&id), before);
    // Still logged in: the 403s did not end the session.
    assert_eq!(ui.get("/queue").await.status, StatusCode::OK);
}

#[tokio::test]
async fn every_state_transition_goes_through_a_post() {
    let ui = Ui::new();
    let id = ui.fx.budget.clone();
    for (action, state) in [
        ("shortlist", ReviewState::Shortlisted),
        ("approve", ReviewState::Approved),
        ("reject", ReviewState::Rejected),
        ("reset", ReviewState::New),
        ("approve", ReviewState::Approved),
        ("shortlist", ReviewState::Shortlisted),
        ("reject", ReviewState::Rejected),
        ("reset", ReviewState::New),
        ("reject", ReviewState::Rejected),
    ] {
        let page = ui.act(&id, action).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{action}: {}", page.body);
        assert_eq!(page.location(), "/queue");
        assert_eq!(ui.item(&id).state, state, "after {action}");
    }
    // Illegal: a rejected item comes back only through new.
    let page = ui.act(&id, "approve").await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.texts(".error-message").concat().contains("reset it to new first"), "{}", page.body);
    // The item page's buttons do the same, saving first.
    let revision = ui.item(&id).revision.to_string();
    let page = ui.post(&format!("/items/{id}"), &[("revision", &revision), ("do", "reset")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(ui.item(&id).state, ReviewState::New);
    let trail = ui.get(&format!("/items/{id}")).await;
    let actions = trail.texts(".audit tbody tr td:nth-child(3)");
    assert!(actions.iter().any(|a| a.starts_with("approve")), "{actions:?}");
    assert!(trail.texts(".audit tbody td:nth-child(2)").iter().all(|who| who == "ann"));
}

#[tokio::test]
async fn quotes_below_ninety_percent_say_check_the_speaker_with_the_mention_in_context() {
    let ui = Ui::new();
    let page = ui.get(&format!("/items/{}", ui.fx.budget)).await;
    let checks = page.texts("li.quote .check-speaker strong");
    // q1 (0.9) is not marked; q2 (0.6) is, once.
    assert_eq!(checks, ["check the speaker"]);
    let flagged = page.texts("li.quote .check-speaker");
    assert!(flagged[0].contains("named as “the critic”") && flagged[0].contains("cue “said”"), "{flagged:?}");
    assert_eq!(page.texts("li.quote .check-speaker mark"), ["This is a delay tactic"]);
    assert!(page.texts("li.quote .check-speaker .in-context")[0].ends_with(",” the critic said."));
}

#[tokio::test]
async fn edits_are_saved_and_shown_with_the_audit_trail() {
    let ui = Ui::new();
    let id = ui.fx.budget.clone();
    let revision = ui.item(&id).revision.to_string();
    let page = ui
        .post(
            &format!("/items/{id}"),
            &[
                ("revision", &revision),
                ("headline", "Council delays the budget"),
                ("commentary", "A telling delay.\n\nMore next week."),
                ("section", "Iran"),
                ("quote", "q2"),
                ("speaker.q1", "Ann Mayor"),
                ("outlet.q1", "Ledger"),
                ("speaker.q2", "Robert Critic"),
                ("outlet.q2", "Ledger"),
                ("do", "approve"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let item = ui.item(&id);
    assert_eq!(item.state, ReviewState::Approved);
    assert_eq!(item.editor.headline.as_deref(), Some("Council delays the budget"));
    assert_eq!(item.editor.section.as_deref(), Some("Iran"));
    assert_eq!(item.editor.quote_ids, ["q2"]);
    // Only a real correction is stored: q1's fields equal what extraction found.
    assert_eq!(item.editor.quote_overrides.keys().collect::<Vec<_>>(), ["q2"]);
    assert_eq!(item.editor.quote_overrides["q2"].speaker.as_deref(), Some("Robert Critic"));

    let page = ui.get(&format!("/items/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.attr("input[name=headline]", "value").as_deref(), Some("Council delays the budget"));
    assert_eq!(page.texts("textarea[name=commentary]"), ["A telling delay.\n\nMore next week."]);
    assert_eq!(page.attr("select[name=section] option[selected]", "value").as_deref(), Some("Iran"));
    assert_eq!(page.attr("input[name=quote][checked]", "value").as_deref(), Some("q2"));
    assert_eq!(page.attr("input[name='speaker.q2']", "value").as_deref(), Some("Robert Critic"));
    assert_eq!(page.attr("input[name=revision]", "value"), Some(item.revision.to_string()));
    assert!(page.texts(".flash li").concat().contains("Saved"), "flash after the redirect");
    assert!(page.texts(".audit td").iter().any(|t| t.starts_with("edit")), "{:?}", page.texts(".audit td"));
    // The flash is shown once.
    assert!(ui.get(&format!("/items/{id}")).await.select(".flash").is_empty());
}

#[tokio::test]
async fn a_stale_revision_is_409_with_who_changed_it_and_the_input_kept() {
    let ui = Ui::new();
    let id = ui.fx.budget.clone();
    let seen = ui.item(&id).revision;
    // Someone else shortlists meanwhile.
    assert_eq!(ui.act(&id, "shortlist").await.status, StatusCode::SEE_OTHER);
    let page = ui
        .post(
            &format!("/items/{id}"),
            &[
                ("revision", &seen.to_string()),
                ("headline", "My unsaved headline"),
                ("commentary", "Paragraphs I typed for ten minutes"),
                ("quote", "q1"),
                ("do", "approve"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    let message = page.texts("p.error").concat();
    assert!(message.contains("ann") && message.contains("shortlist"), "who changed what: {message}");
    assert_eq!(page.attr("input[name=headline]", "value").as_deref(), Some("My unsaved headline"));
    assert_eq!(page.texts("textarea[name=commentary]"), ["Paragraphs I typed for ten minutes"]);
    assert_eq!(page.attr("input[name=quote][checked]", "value").as_deref(), Some("q1"));
    let current = ui.item(&id);
    assert_eq!(page.attr("input[name=revision]", "value"), Some(current.revision.to_string()), "resubmit applies");
    assert_eq!(current.editor.headline, None, "nothing was written");
    assert_eq!(current.state, ReviewState::Shortlisted);
    // A stale single action is refused too.
    let page = ui.post(&format!("/items/{id}/act"), &[("revision", &seen.to_string()), ("do", "reject")]).await;
    assert_eq!(page.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn an_invalid_edit_is_422_with_the_input_kept() {
    let ui = Ui::new();
    let id = ui.fx.budget.clone();
    let revision = ui.item(&id).revision.to_string();
    let long = "x".repeat(400);
    let page = ui.post(&format!("/items/{id}"), &[("revision", &revision), ("headline", &long)]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.texts("p.error").concat().contains("headline"));
    assert_eq!(page.attr("input[name=headline]", "value"), Some(long));
}

#[tokio::test]
async fn the_queue_filters_counts_pages_and_lists_newest_first() {
    let ui = Ui::new();
    let page = ui.get("/queue").await;
    assert_eq!(page.status, StatusCode::OK);
    let titles = page.texts(".rows .title");
    assert_eq!(titles[0], "Rates held steady", "newest first: {titles:?}");
    assert_eq!(titles.len(), 4);
    assert!(page.texts(".states .state-new .count").contains(&"4".to_owned()));
    assert_eq!(page.attr(".rows .title", "dir").as_deref(), Some("auto"));

    assert_eq!(ui.act(&ui.fx.rates, "approve").await.status, StatusCode::SEE_OTHER);
    let approved = ui.get("/queue?state=approved").await;
    assert_eq!(approved.texts(".rows .title"), ["Rates held steady"]);
    assert_eq!(approved.texts(".states .current .count"), ["1"]);
    for (query, expected) in [
        ("q=postponed", vec!["Budget vote delayed"]),
        ("language=fa", vec!["بودجه تصویب شد"]),
        ("source=ledger&state=all", vec!["Rates held steady"]),
        // The default view is the work still to do: the approved item has left it.
        ("source=ledger", vec![]),
        ("from=2027-01-16", vec![]),
        ("to=2027-01-14", vec![]),
        ("from=2027-01-15&to=2027-01-15&q=rates&state=all", vec!["Rates held steady"]),
        ("state=bogus&q=budget", vec!["Budget vote delayed"]),
    ] {
        let page = ui.get(&format!("/queue?{query}")).await;
        assert_eq!(page.status, StatusCode::OK, "{query}");
        assert_eq!(page.texts(".rows .title"), expected, "{query}");
    }
    // The filter form shows what was asked.
    let page = ui.get("/queue?q=postponed&language=en").await;
    assert_eq!(page.attr("input[name=q]", "value").as_deref(), Some("postponed"));
    // Source, section and language are dropdowns of the values items have.
    assert_eq!(page.texts("select[name=language] option"), ["any", "en", "fa"]);
    assert_eq!(page.attr("select[name=language] option[selected]", "value").as_deref(), Some("en"));
    let sources = page.texts("select[name=source] option");
    assert!(["any", "ledger", "tehran", "wire"].iter().all(|s| sources.contains(&(*s).to_owned())), "{sources:?}");
    assert!(page.texts("select[name=section] option").contains(&"World".to_owned()));
}

#[tokio::test]
async fn the_queue_pages_through_many_items() {
    let store: Arc<dyn Store> = Arc::new(SledStore::temporary().expect("store"));
    let entries: Vec<NewItem> =
        (0..120).map(|n| entry("wire", &format!("n{n}"), &format!("Story {n}"), "<p>x</p>", n, "en")).collect();
    store.upsert_items(&entries).expect("upsert");
    let state = ui_state(&store, UiOptions::default());
    let (session, _) = ann_session(&state, &store);
    let router = review::routes(state);
    let get = |path: &'static str| {
        let router = router.clone();
        let cookie = format!("gleaner_session={session}");
        async move {
            send(&router, Request::get(path).header(header::COOKIE, cookie).body(Body::empty()).expect("request")).await
        }
    };
    let first = get("/queue").await;
    assert_eq!(first.texts(".rows .title").len(), 50);
    assert_eq!(first.texts(".rows .title")[0], "Story 119");
    assert_eq!(first.attr(".pager a[rel=next]", "href").as_deref(), Some("/queue?page=2"));
    let last = get("/queue?page=3").await;
    assert_eq!(last.texts(".rows .title").len(), 20);
    assert_eq!(last.attr(".pager a[rel=prev]", "href").as_deref(), Some("/queue?page=2"));
    assert!(last.select(".pager a[rel=next]").is_empty());
}

#[tokio::test]
async fn bulk_actions_apply_to_the_checked_rows() {
    let ui = Ui::new();
    let (a, b) = (ui.fx.budget.clone(), ui.fx.rates.clone());
    let (ta, tb) = (ui.target(&a), ui.target(&b));
    let page =
        ui.post("/queue/bulk", &[("back", "/queue?state=new"), ("sel", &ta), ("sel", &tb), ("do", "approve")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/queue?state=new");
    assert_eq!(ui.item(&a).state, ReviewState::Approved);
    assert_eq!(ui.item(&b).state, ReviewState::Approved);
    let queue = ui.get("/queue").await;
    assert!(queue.texts(".flash li").concat().contains("Approved 2 of 2"), "{:?}", queue.texts(".flash li"));

    // A stale row fails alone; the others go through.
    let stale = format!("{a}:0");
    let fresh = ui.target(&ui.fx.persian);
    let page = ui.post("/queue/bulk", &[("sel", &stale), ("sel", &fresh), ("do", "reject")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(ui.item(&a).state, ReviewState::Approved);
    assert_eq!(ui.item(&ui.fx.persian).state, ReviewState::Rejected);
    let flash = ui.get("/queue").await.texts(".flash li");
    assert!(flash.iter().any(|m| m.contains("Rejected 1 of 2")), "{flash:?}");
    assert!(flash.iter().any(|m| m.contains("since you loaded revision 0")), "{flash:?}");
    // An open redirect through `back` is refused.
    let page = ui.post("/queue/bulk", &[("back", "//evil.example/"), ("do", "approve")]).await;
    assert_eq!(page.location(), "/queue");
}

#[tokio::test]
async fn hostile_feed_content_is_rendered_inert() {
    let ui = Ui::new();
    let id = ui.fx.hostile.clone();
    for path in [format!("/items/{id}"), "/queue".to_owned()] {
        let page = ui.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let html = page.html();
        let scripts: Vec<_> = html.select(&Selector::parse("script").expect("css")).collect();
        assert_eq!(scripts.len(), 1, "{path}: only our own app.js");
        assert!(scripts[0].value().attr("src").is_some_and(|s| s.starts_with("/static/")));
        for element in html.root_element().descendent_elements() {
            for (name, value) in element.value().attrs() {
                assert!(!name.starts_with("on"), "{path}: event handler {name}={value}");
                let value = value.trim().to_ascii_lowercase();
                assert!(!value.starts_with("javascript:"), "{path}: {name}={value}");
                assert!(!value.contains("expression("), "{path}: {name}={value}");
            }
            assert!(!matches!(element.value().name(), "iframe" | "object" | "embed"), "{path}");
        }
        // The hostile text is still visible to the editor, as text.
        let shown = page.texts("h1, .rows .title").concat();
        assert!(shown.contains("<script>alert('title')</script> Hostile"), "{path}: {shown}");
    }
    let page = ui.get(&format!("/items/{id}")).await;
    assert_eq!(page.texts(".summary a"), ["click"], "the link text survives, its javascript: href does not");
    assert!(page.attr(".summary a", "href").is_none());
    assert!(page.texts(".quotes blockquote").concat().contains("<script>alert('quote')</script>"));
    assert!(page.select(".links a").is_empty(), "a javascript: link is not a link");
    assert!(page.texts(".links li").concat().contains("<b>bold</b> link"));
}

#[tokio::test]
async fn right_to_left_text_gets_dir_auto() {
    let ui = Ui::new();
    let page = ui.get(&format!("/items/{}", ui.fx.persian)).await;
    assert_eq!(page.attr("h1", "dir").as_deref(), Some("auto"));
    assert_eq!(page.attr("textarea[name=commentary]", "dir").as_deref(), Some("auto"));
    assert_eq!(page.attr(".summary", "dir").as_deref(), Some("auto"));
    assert_eq!(page.attr("meta[name=viewport]", "content").as_deref(), Some("width=device-width, initial-scale=1"));
}

#[tokio::test]
async fn the_original_link_opens_without_opener() {
    let ui = Ui::new();
    let page = ui.get(&format!("/items/{}", ui.fx.budget)).await;
    assert_eq!(page.attr("a.original", "href").as_deref(), Some("https://example.org/budget"));
    assert!(page.attr("a.original", "rel").is_some_and(|r| r.contains("noopener")));
    assert_eq!(page.texts(".text > p"), ["The council met.", "It postponed the vote."]);
    assert_eq!(page.texts(".links a"), ["the minutes"]);
}

#[tokio::test]
async fn the_composer_reorders_removes_and_previews() {
    let ui = Ui::new();
    let (a, b) = (ui.fx.budget.clone(), ui.fx.rates.clone());
    let revision = ui.item(&a).revision.to_string();
    let page = ui
        .post(
            &format!("/items/{a}"),
            &[("revision", &revision), ("commentary", "Why it matters."), ("quote", "q1"), ("do", "approve")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(ui.act(&b, "approve").await.status, StatusCode::SEE_OTHER);

    let page = ui.get("/composer").await;
    assert_eq!(page.status, StatusCode::OK);
    // Unpositioned items in publication order: budget (older) first.
    assert_eq!(page.texts(".draft-item .headline"), ["Budget vote delayed", "Rates held steady"]);
    let section = page.attr("form.reorder input[name=section]", "value").expect("section field");
    let (ta, tb) = (ui.target(&a), ui.target(&b));
    let page = ui
        .post(
            "/composer/reorder",
            &[("section", &section), ("order", &ta), ("order", &tb), ("move", &format!("up:{b}"))],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = ui.get("/composer").await;
    assert_eq!(page.texts(".draft-item .headline"), ["Rates held steady", "Budget vote delayed"]);

    // A reorder based on what another editor has since changed is refused whole.
    let page = ui
        .post(
            "/composer/reorder",
            &[("section", &section), ("order", &ta), ("order", &tb), ("move", &format!("up:{a}"))],
        )
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.texts("p.error").concat().contains("Nothing was changed"));
    assert_eq!(page.texts(".draft-item .headline"), ["Rates held steady", "Budget vote delayed"]);

    let preview = ui.get("/composer/preview").await;
    assert_eq!(preview.status, StatusCode::OK);
    let body = &preview.body;
    let (rates, budget) = (body.find("Rates held steady"), body.find("Budget vote delayed"));
    assert!(rates.is_some() && budget.is_some() && rates < budget, "preview in composer order");
    assert!(body.contains("Why it matters.") && body.contains("We need more time"), "commentary and chosen quote");
    let csp = preview.headers.get(header::CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()).unwrap_or("");
    assert!(csp.contains("script-src 'none'") && csp.contains("frame-ancestors 'none'"), "{csp}");

    let target = ui.target(&b);
    let page = ui.post("/composer/remove", &[("remove", &target)]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(ui.item(&b).state, ReviewState::Shortlisted);
    assert_eq!(ui.get("/composer").await.texts(".draft-item .headline"), ["Budget vote delayed"]);
}

#[tokio::test]
async fn every_page_carries_the_security_headers() {
    let ui = Ui::new();
    for path in ["/queue".to_owned(), format!("/items/{}", ui.fx.budget), "/composer".to_owned(), "/login".to_owned()] {
        let page = ui.get(&path).await;
        let header = |name| page.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let csp = header(header::CONTENT_SECURITY_POLICY);
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline'; img"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(header(header::X_CONTENT_TYPE_OPTIONS), "nosniff", "{path}");
        assert!(!header(header::REFERRER_POLICY).is_empty(), "{path}");
        assert_eq!(header(header::CACHE_CONTROL), "no-store", "{path}");
        // No inline script anywhere: every <script> has a src.
        assert!(page.select("script:not([src])").is_empty(), "{path}");
    }
}

#[tokio::test]
async fn static_files_are_versioned_and_cached_long() {
    let ui = Ui::new();
    let page = ui.get("/queue").await;
    let css = page.attr("link[rel=stylesheet]", "href").expect("stylesheet");
    let js = page.attr("script[src]", "src").expect("script");
    for (url, kind) in [(css, "text/css"), (js, "text/javascript")] {
        let file = send(&ui.router, Request::get(&url).body(Body::empty()).expect("request")).await;
        assert_eq!(file.status, StatusCode::OK, "{url}");
        let header = |name| file.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        assert!(header(header::CONTENT_TYPE).starts_with(kind));
        assert!(header(header::CACHE_CONTROL).contains("immutable"), "{url}");
    }
    let missing = send(&ui.router, Request::get("/static/x/nope.js").body(Body::empty()).expect("request")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn login_sets_a_strict_http_only_cookie_and_is_rate_limited() {
    let fx = fixture();
    let editorial = Editorial::new(Arc::clone(&fx.store)).expect("editorial");
    editorial.add_user("ann", "correct horse battery", at(0)).expect("add user");
    let options = UiOptions { login_attempts: 2, login_window: Duration::from_secs(60), ..UiOptions::default() };
    let router = review::routes(ui_state(&fx.store, options));
    let login_page = send(&router, Request::get("/login?next=%2Fcomposer").body(Body::empty()).expect("r")).await;
    assert_eq!(login_page.status, StatusCode::OK);
    let set = login_page.headers.get(header::SET_COOKIE).and_then(|v| v.to_str().ok()).expect("login cookie");
    let token = set.split(';').next().and_then(|c| c.split_once('=')).map(|(_, v)| v.to_owned()).expect("token");
    assert_eq!(login_page.attr("input[name=csrf]", "value"), Some(token.clone()));
    let attempt = |password: &str, with_cookie: bool| {
        let body = form_body(&[("csrf", &token), ("name", "ann"), ("password", password), ("next", "/composer")]);
        let mut request = Request::post("/login").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if with_cookie {
            request = request.header(header::COOKIE, format!("gleaner_login={token}"));
        }
        let router = router.clone();
        let request = request.body(Body::from(body)).expect("request");
        async move { send(&router, request).await }
    };
    assert_eq!(attempt("correct horse battery", false).await.status, StatusCode::FORBIDDEN, "login CSRF");
    let ok = attempt("correct horse battery", true).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.location(), "/composer");
    let cookie = ok
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("gleaner_session="))
        .expect("session cookie")
        .to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && !cookie.contains("Secure"));
    let session = cookie.split(';').next().expect("pair").to_owned();
    let queue = send(&router, Request::get("/queue").header(header::COOKIE, &session).body(Body::empty()).expect("r"));
    assert_eq!(queue.await.status, StatusCode::OK);

    for _ in 0..2 {
        let wrong = attempt("wrong password", true).await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert!(wrong.texts("p.error").concat().contains("Wrong name or password"));
    }
    let limited = attempt("correct horse battery", true).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS, "even the right password waits");

    // Logout ends the session.
    let page = send(&router, Request::get("/queue").header(header::COOKIE, &session).body(Body::empty()).expect("r"));
    let html = page.await;
    let csrf = html.attr("form.logout input[name=csrf]", "value").expect("logout form");
    let logout = Request::post("/logout")
        .header(header::COOKIE, &session)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form_body(&[("csrf", &csrf)])))
        .expect("request");
    let out = send(&router, logout).await;
    assert_eq!(out.location(), "/login");
    let after = send(&router, Request::get("/queue").header(header::COOKIE, &session).body(Body::empty()).expect("r"));
    assert_eq!(after.await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn cookies_are_secure_when_configured_behind_https() {
    let fx = fixture();
    let router = review::routes(ui_state(&fx.store, UiOptions { secure_cookies: true, ..UiOptions::default() }));
    let page = send(&router, Request::get("/login").body(Body::empty()).expect("request")).await;
    let cookie = page.headers.get(header::SET_COOKIE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(cookie.ends_with("; Secure"), "{cookie}");
}

#[tokio::test]
async fn the_sources_page_shows_the_webhook_delivery_log() {
    let ui = Ui::new();
    let empty = ui.get("/sources").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.body.contains("No webhook deliveries"), "{}", empty.body);
    let now = chrono::Utc::now();
    let delivery = |id: &str, state: gleaner::model::DeliveryState, result: &str| gleaner::model::Delivery {
        id: id.to_owned(),
        url: "https://hooks.example.net/in".to_owned(),
        event: gleaner::model::WebhookEvent::IssuePublished,
        body: "{}".to_owned(),
        created_at: now,
        after_issue: None,
        state,
        attempts: 2,
        next_attempt_at: now,
        last_result: Some(result.to_owned()),
        delivered_at: None,
    };
    let queued = [
        delivery("msg_a", gleaner::model::DeliveryState::Delivered, "HTTP 204"),
        delivery("msg_b", gleaner::model::DeliveryState::Pending, "HTTP 500"),
    ];
    assert_eq!(gleaner::store::OutboxStore::enqueue_deliveries(ui.fx.store.as_ref(), &queued).expect("enqueue"), 2);
    let page = ui.get("/sources").await;
    let rows = page.texts("table.deliveries tbody tr");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(page.texts("tr.state-delivered td").iter().any(|t| t == "HTTP 204"));
    assert!(page.texts("tr.state-pending td").iter().any(|t| t == "HTTP 500"));
    assert!(page.body.contains("msg_b") && page.body.contains("issue.published"));
}
