//! Login, logout, sessions and CSRF.
//!
//! Sessions live in memory (a restart logs everyone out, which is fine for a
//! small team and keeps secrets out of the store); each has a random id (the
//! cookie: `HttpOnly`, `SameSite=Strict`, `Secure` when configured), an
//! absolute expiry, a random CSRF token that every POST must echo (field
//! `csrf` or header `X-CSRF-Token`), and one-shot flash messages for
//! POST-redirect-GET. The login form, having no session yet, uses a
//! double-submit token: a short-lived cookie whose value the form repeats.
//!
//! Login attempts are rate-limited per client address and user name, per
//! address and per name; an attempt is counted *before* its password is
//! checked, in one step with the check of every budget, so a burst of
//! parallel requests cannot all pass the limit before any is recorded. The
//! password check itself is `Editorial::verify_user` (argon2id, 19 MiB each):
//! at most `UiOptions::password_checks` run at once, and a login that cannot
//! get a slot soon is refused with 429 rather than queued without bound.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

use super::form::{Fields, MAX_FORM_BYTES, local_path};
use super::{UiError, UiState, blocking};
use crate::editorial::EditorialError;
use crate::model::Role;

/// The session cookie.
pub(crate) const SESSION_COOKIE: &str = "gleaner_session";
/// The login form's double-submit cookie (scoped to `/login`).
const LOGIN_COOKIE: &str = "gleaner_login";
/// How long a login form stays usable.
const LOGIN_FORM_TTL: Duration = Duration::from_secs(3600);

/// The logged-in editor, as handlers see it (put in request extensions by
/// [`require_session`]).
#[derive(Debug, Clone)]
pub(crate) struct Editor {
    pub(crate) name: String,
    pub(crate) csrf: String,
    session: String,
}

#[derive(Debug)]
struct Session {
    user: String,
    /// The user's role when last seen: a lower one in the store ends the
    /// session (`None` until the first request looks).
    role: Option<Role>,
    csrf: String,
    expires: Instant,
    flash: Vec<String>,
}

/// Every live session, and the login attempt counters.
pub struct Sessions {
    ttl: Duration,
    max_attempts: usize,
    window: Duration,
    live: Mutex<HashMap<String, Session>>,
    attempts: Mutex<Attempts>,
}

/// One address may try a few names (a team behind one proxy shares an
/// address) and one name may be tried from a few addresses (an editor on
/// the move): each gets this many times the per-pair budget, which still
/// stops spraying names from one address or one name from many.
const SPREAD: usize = 4;

/// Longer than any real user name; see [`Sessions::take_attempt`].
const MAX_NAME_KEY_CHARS: usize = 128;

/// Times of recent login attempts, under three keys at once.
#[derive(Default)]
struct Attempts {
    /// (client address, lower-cased name).
    pair: HashMap<(String, String), Vec<Instant>>,
    address: HashMap<String, Vec<Instant>>,
    name: HashMap<String, Vec<Instant>>,
}

/// A login attempt that was counted; handed back to refund it.
#[derive(Debug, Clone)]
pub(crate) struct Attempt {
    address: String,
    name: String,
    at: Instant,
}

/// Room left under `limit` once times outside `window` are dropped.
fn has_room(times: Option<&mut Vec<Instant>>, now: Instant, window: Duration, limit: usize) -> bool {
    times.is_none_or(|times| {
        times.retain(|t| now.duration_since(*t) < window);
        times.len() < limit
    })
}

/// Removes one recorded time (a refunded attempt).
fn remove_time(times: Option<&mut Vec<Instant>>, at: Instant) {
    if let Some(times) = times
        && let Some(position) = times.iter().position(|t| *t == at)
    {
        times.swap_remove(position);
    }
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions").field("ttl", &self.ttl).finish_non_exhaustive()
    }
}

/// A lock whose holder panicked still guards consistent data here (every
/// update is a single insert or remove), so keep going rather than fail
/// every later request.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Sessions {
    pub fn new(ttl: Duration, max_attempts: usize, window: Duration) -> Self {
        Self { ttl, max_attempts, window, live: Mutex::default(), attempts: Mutex::default() }
    }

    /// Starts a session for `user`; returns (session id, CSRF token). The
    /// login handler calls this after checking the password.
    pub fn create(&self, user: &str) -> (String, String) {
        self.create_as(user, None)
    }

    /// [`Sessions::create`] for a user whose role is known.
    pub(crate) fn create_as(&self, user: &str, role: Option<Role>) -> (String, String) {
        let (id, csrf) = (random_token(), random_token());
        let now = Instant::now();
        let mut live = lock(&self.live);
        // Expired sessions are dropped here rather than by a timer task.
        live.retain(|_, s| s.expires > now);
        live.insert(
            id.clone(),
            Session { user: user.to_owned(), role, csrf: csrf.clone(), expires: now + self.ttl, flash: Vec::new() },
        );
        (id, csrf)
    }

    fn editor(&self, id: &str) -> Option<Editor> {
        let live = lock(&self.live);
        let session = live.get(id).filter(|s| s.expires > Instant::now())?;
        Some(Editor { name: session.user.clone(), csrf: session.csrf.clone(), session: id.to_owned() })
    }

    fn end(&self, id: &str) {
        lock(&self.live).remove(id);
    }

    /// Ends every session of `user` (removed on the admin page).
    pub(crate) fn end_user(&self, user: &str) {
        lock(&self.live).retain(|_, s| s.user != user);
    }

    /// Whether the session may go on, given its user's role in the store
    /// now (`None`: the user is gone). A removed user's or a demoted one's
    /// session ends here, however the change was made (admin page, API,
    /// CLI through the service): the store is the one place they all write.
    fn still_valid(&self, id: &str, now_role: Option<Role>) -> bool {
        let mut live = lock(&self.live);
        let Some(session) = live.get_mut(id) else { return false };
        match now_role {
            Some(role) if session.role.is_none_or(|was| role >= was) => {
                session.role = Some(role);
                true
            }
            _ => {
                live.remove(id);
                false
            }
        }
    }

    /// Queues a message for the next page the editor sees.
    pub(crate) fn flash(&self, editor: &Editor, message: String) {
        if let Some(session) = lock(&self.live).get_mut(&editor.session) {
            session.flash.push(message);
        }
    }

    /// The queued messages, removed.
    pub(crate) fn take_flash(&self, editor: &Editor) -> Vec<String> {
        lock(&self.live).get_mut(&editor.session).map(|s| std::mem::take(&mut s.flash)).unwrap_or_default()
    }

    /// Counts a login attempt by `address` for `name` if every budget has
    /// room; `None` when one is used up. Check and record happen under one
    /// lock: parallel attempts see each other.
    pub(crate) fn take_attempt(&self, address: &str, name: &str) -> Option<Attempt> {
        let now = Instant::now();
        // Names are the attacker's text, up to a whole form: as map keys they
        // are cut short, or ten thousand of them would hold gigabytes.
        let name: String = name.to_lowercase().chars().take(MAX_NAME_KEY_CHARS).collect();
        let pair = (address.to_owned(), name.clone());
        let mut attempts = lock(&self.attempts);
        let Attempts { pair: pairs, address: addresses, name: names } = &mut *attempts;
        // Bounded memory under a spray of names: forget idle keys.
        if pairs.len() + addresses.len() + names.len() > 10_000 {
            let window = self.window;
            pairs.retain(|_, times| times.iter().any(|t| now.duration_since(*t) < window));
            addresses.retain(|_, times| times.iter().any(|t| now.duration_since(*t) < window));
            names.retain(|_, times| times.iter().any(|t| now.duration_since(*t) < window));
        }
        let wide = self.max_attempts.saturating_mul(SPREAD);
        let room = has_room(pairs.get_mut(&pair), now, self.window, self.max_attempts)
            && has_room(addresses.get_mut(address), now, self.window, wide)
            && has_room(names.get_mut(&name), now, self.window, wide);
        if !room {
            return None;
        }
        pairs.entry(pair).or_default().push(now);
        addresses.entry(address.to_owned()).or_default().push(now);
        names.entry(name.clone()).or_default().push(now);
        Some(Attempt { address: address.to_owned(), name, at: now })
    }

    /// Gives an attempt back: its password was never checked (the server
    /// was busy), or it was right. A right password also forgives the
    /// pair's earlier typos.
    pub(crate) fn refund(&self, attempt: &Attempt, succeeded: bool) {
        let mut attempts = lock(&self.attempts);
        let pair = (attempt.address.clone(), attempt.name.clone());
        if succeeded {
            attempts.pair.remove(&pair);
        } else {
            remove_time(attempts.pair.get_mut(&pair), attempt.at);
        }
        remove_time(attempts.address.get_mut(&attempt.address), attempt.at);
        remove_time(attempts.name.get_mut(&attempt.name), attempt.at);
    }
}

/// 32 random bytes as hex, from the operating system's CSPRNG.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // Without OS randomness no session could be safe; there is no fallback worth having.
    getrandom::fill(&mut bytes).expect("the operating system provides random bytes");
    bytes.iter().fold(String::with_capacity(64), |mut out, b| {
        use std::fmt::Write as _;
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// Equal without telling an attacker, through timing, how much of a guess matched.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The value of cookie `name` in the request's `Cookie` headers (RFC 6265 §5.4).
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim_matches('"'))
}

fn set_cookie(name: &str, value: &str, path: &str, max_age: Duration, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!("{name}={value}; Path={path}; Max-Age={}; HttpOnly; SameSite=Strict{secure}", max_age.as_secs());
    // Names and values are ours: ASCII letters, digits and `=; -`.
    HeaderValue::from_str(&text).expect("cookie text is ASCII")
}

/// Every protected route goes through here: without a live session a GET is
/// sent to `/login` (remembering where it was going) and a POST too; with
/// one, a POST must carry the session's CSRF token or gets 403.
pub(crate) async fn require_session(State(state): State<UiState>, request: Request, next: Next) -> Response {
    let mut editor = cookie(request.headers(), SESSION_COOKIE).and_then(|id| state.inner.sessions.editor(id));
    if let Some(found) = &editor {
        let name = found.name.clone();
        let role = blocking(&state, move |ui| match ui.editorial.user(&name) {
            Ok(user) => Ok(Some(user.role)),
            Err(EditorialError::NoSuch { .. }) => Ok(None),
            Err(other) => Err(other.into()),
        })
        .await;
        match role {
            Ok(role) if state.inner.sessions.still_valid(&found.session, role) => {}
            Ok(_) => {
                tracing::info!(user = %found.name, "session ended: the user was removed or lost a role");
                editor = None;
            }
            Err(e) => return e.into_response(),
        }
    }
    let Some(editor) = editor else {
        let target = request.uri().path_and_query().map_or("/", |p| p.as_str());
        let login = if request.method() == Method::GET {
            let next: String = url::form_urlencoded::byte_serialize(target.as_bytes()).collect();
            format!("/login?next={next}")
        } else {
            "/login".to_owned()
        };
        return Redirect::to(&login).into_response();
    };
    let mut request = request;
    if request.method() == Method::POST {
        let (parts, body) = request.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
            return UiError::BadRequest("form too large".into()).into_response();
        };
        let header_token = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let sent = header_token.or_else(|| Fields::parse(&bytes).get("csrf").map(str::to_owned));
        if !sent.is_some_and(|token| same_secret(&token, &editor.csrf)) {
            tracing::warn!(user = %editor.name, path = %parts.uri.path(), "POST without a valid CSRF token");
            return UiError::Csrf.into_response();
        }
        request = Request::from_parts(parts, Body::from(bytes));
    }
    request.extensions_mut().insert(editor);
    next.run(request).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct LoginQuery {
    next: Option<String>,
}

/// GET /login: the form, with a fresh double-submit token.
pub(crate) async fn login_page(State(state): State<UiState>, Query(query): Query<LoginQuery>) -> Response {
    render_login(&state, query.next.as_deref(), "", None, StatusCode::OK)
}

fn render_login(state: &UiState, next: Option<&str>, name: &str, error: Option<&str>, status: StatusCode) -> Response {
    let token = random_token();
    let next = local_path(next, "/queue");
    let page = state.inner.pages.render(
        "login.html.j2",
        context! { csrf => &token, next => next, name => name, error => error, user => None::<String> },
    );
    match page {
        Ok(html) => {
            let cookie = set_cookie(LOGIN_COOKIE, &token, "/login", LOGIN_FORM_TTL, state.inner.options.secure_cookies);
            (status, [(header::SET_COOKIE, cookie)], html).into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// The client's address when the server was started with connect info;
/// else one shared bucket (the UI binds loopback by default anyway).
fn client_address(request_extensions: &axum::http::Extensions) -> String {
    request_extensions.get::<ConnectInfo<SocketAddr>>().map_or_else(|| "-".to_owned(), |c| c.0.ip().to_string())
}

/// POST /login.
pub(crate) async fn login(State(state): State<UiState>, request: Request) -> Response {
    let address = client_address(request.extensions());
    let sent_cookie = cookie(request.headers(), LOGIN_COOKIE).map(str::to_owned);
    let Ok(bytes) = axum::body::to_bytes(request.into_body(), MAX_FORM_BYTES).await else {
        return UiError::BadRequest("form too large".into()).into_response();
    };
    let fields = Fields::parse(&bytes);
    let form_token = fields.get("csrf").unwrap_or_default();
    if !sent_cookie.is_some_and(|c| !c.is_empty() && same_secret(&c, form_token)) {
        return UiError::Csrf.into_response();
    }
    let name = fields.get("name").unwrap_or_default().trim().to_owned();
    let password = fields.get("password").unwrap_or_default().to_owned();
    let next = fields.get("next").map(str::to_owned);
    let sessions = &state.inner.sessions;
    let Some(attempt) = sessions.take_attempt(&address, &name) else {
        tracing::warn!(user = %name, client = %address, "login refused: too many attempts");
        let message = UiError::TooManyAttempts.to_string();
        return render_login(&state, next.as_deref(), &name, Some(&message), StatusCode::TOO_MANY_REQUESTS);
    };
    // Each check holds 19 MiB for tens of milliseconds: without a bound, a
    // few hundred parallel logins took the server to gigabytes.
    let slots = Arc::clone(&state.inner.password_checks);
    let Ok(Ok(slot)) = tokio::time::timeout(state.inner.options.password_wait, slots.acquire_owned()).await else {
        sessions.refund(&attempt, false);
        tracing::warn!(user = %name, client = %address, "login refused: password checks busy");
        let message = UiError::Busy.to_string();
        let mut page = render_login(&state, next.as_deref(), &name, Some(&message), StatusCode::TOO_MANY_REQUESTS);
        page.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return page;
    };
    let check_name = name.clone();
    let verified = blocking(&state, move |ui| {
        // The slot goes with the work: a client that hangs up does not
        // free it while the check still runs.
        let _slot = slot;
        if !ui.editorial.verify_user(&check_name, &password)? {
            return Ok(None);
        }
        Ok(Some(ui.editorial.user(&check_name)?.role))
    })
    .await;
    match verified {
        Ok(Some(role)) => {
            sessions.refund(&attempt, true);
            let (id, _csrf) = sessions.create_as(&name, Some(role));
            tracing::info!(user = %name, "logged in");
            let options = &state.inner.options;
            let cookie = set_cookie(SESSION_COOKIE, &id, "/", options.session_ttl, options.secure_cookies);
            let gone = set_cookie(LOGIN_COOKIE, "", "/login", Duration::ZERO, options.secure_cookies);
            let target = local_path(next.as_deref(), "/queue");
            let mut response = Redirect::to(&target).into_response();
            response.headers_mut().append(header::SET_COOKIE, cookie);
            response.headers_mut().append(header::SET_COOKIE, gone);
            response
        }
        Ok(None) => {
            tracing::info!(user = %name, "login failed");
            render_login(&state, next.as_deref(), &name, Some("Wrong name or password."), StatusCode::UNAUTHORIZED)
        }
        Err(e) => e.into_response(),
    }
}

/// POST /logout.
pub(crate) async fn logout(State(state): State<UiState>, axum::Extension(editor): axum::Extension<Editor>) -> Response {
    state.inner.sessions.end(&editor.session);
    let gone = set_cookie(SESSION_COOKIE, "", "/", Duration::ZERO, state.inner.options.secure_cookies);
    ([(header::SET_COOKIE, gone)], Redirect::to("/login")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; gleaner_session=abc; b=2"));
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, "missing"), None);
    }

    #[test]
    fn session_cookie_is_http_only_strict_and_secure_when_asked() {
        let plain = set_cookie(SESSION_COOKIE, "x", "/", Duration::from_secs(60), false);
        let plain = plain.to_str().expect("ascii");
        assert!(plain.contains("HttpOnly") && plain.contains("SameSite=Strict") && !plain.contains("Secure;"));
        assert!(!plain.ends_with("Secure"));
        let secure = set_cookie(SESSION_COOKIE, "x", "/", Duration::from_secs(60), true);
        assert!(secure.to_str().expect("ascii").ends_with("; Secure"));
    }

    #[test]
    fn attempts_are_limited_per_pair_address_and_name() {
        let sessions = Sessions::new(Duration::from_secs(60), 2, Duration::from_secs(60));
        let first = sessions.take_attempt("127.0.0.1", "ann").expect("room");
        assert!(sessions.take_attempt("127.0.0.1", "Ann").is_some(), "names compare without case");
        assert!(sessions.take_attempt("127.0.0.1", "ann").is_none(), "pair budget used up");
        assert!(sessions.take_attempt("10.0.0.1", "ann").is_some(), "another address has its own pair budget");
        sessions.refund(&first, true);
        assert!(sessions.take_attempt("127.0.0.1", "ann").is_some(), "a right password clears the pair");
        // Spraying names from one address runs into the address budget (2 × SPREAD).
        let sprayed = (0..20).filter(|n| sessions.take_attempt("192.0.2.9", &format!("user{n}")).is_some()).count();
        assert_eq!(sprayed, 2 * SPREAD);
        // And one name from many addresses into the name budget.
        let spread = (0..20).filter(|n| sessions.take_attempt(&format!("198.51.100.{n}"), "bob").is_some()).count();
        assert_eq!(spread, 2 * SPREAD);
    }

    #[test]
    fn huge_names_share_one_short_key() {
        let sessions = Sessions::new(Duration::from_secs(60), 1, Duration::from_secs(60));
        let long = "a".repeat(1 << 20);
        assert!(sessions.take_attempt("127.0.0.1", &format!("{long}x")).is_some());
        assert!(sessions.take_attempt("127.0.0.1", &format!("{long}y")).is_none(), "same first 128 characters");
        let attempts = lock(&sessions.attempts);
        assert!(attempts.name.keys().all(|k| k.chars().count() <= MAX_NAME_KEY_CHARS));
    }

    #[test]
    fn a_refund_gives_back_exactly_one_attempt() {
        let sessions = Sessions::new(Duration::from_secs(60), 1, Duration::from_secs(60));
        let attempt = sessions.take_attempt("127.0.0.1", "ann").expect("room");
        assert!(sessions.take_attempt("127.0.0.1", "ann").is_none());
        sessions.refund(&attempt, false);
        assert!(sessions.take_attempt("127.0.0.1", "ann").is_some());
    }

    #[test]
    fn tokens_are_random_and_compared_whole() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(same_secret(&a, &a.clone()));
        assert!(!same_secret(&a, &b));
        assert!(!same_secret(&a, &a[..63]));
    }
}
