//! The UI's templates: compiled into the binary, each replaceable by a file
//! of the same name in `{publish.templates_dir}/review/` (a folder of its own,
//! so the digest's template loader never sees names it does not know).
//!
//! Autoescaping is on for every template; outside HTML reaches a template
//! only as a value already through `sanitize` and marked safe in Rust, never
//! with `|safe` in a template. Also: the layer that renders the error page.

use std::path::Path;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value, context};

use super::{ErrorPage, UiError, UiState, assets};
use crate::app::ConfigStatus;
use crate::publish::write::read_template_overrides;

/// Every UI template by file name, with its compiled-in text.
const BUILTIN: [(&str, &str); 11] = [
    ("base.html.j2", include_str!("../templates/base.html.j2")),
    ("login.html.j2", include_str!("../templates/login.html.j2")),
    ("queue.html.j2", include_str!("../templates/queue.html.j2")),
    ("item.html.j2", include_str!("../templates/item.html.j2")),
    ("composer.html.j2", include_str!("../templates/composer.html.j2")),
    ("error.html.j2", include_str!("../templates/error.html.j2")),
    ("sources.html.j2", include_str!("../templates/sources.html.j2")),
    ("admin.html.j2", include_str!("../templates/admin.html.j2")),
    ("speakers.html.j2", include_str!("../templates/speakers.html.j2")),
    ("speaker.html.j2", include_str!("../templates/speaker.html.j2")),
    ("followed.html.j2", include_str!("../templates/followed.html.j2")),
];

/// The compiled UI templates.
pub struct Pages {
    env: Environment<'static>,
    /// Read on every render: a refused config edit is a banner on every page.
    config: ConfigStatus,
}

impl std::fmt::Debug for Pages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages").finish_non_exhaustive()
    }
}

impl Pages {
    /// The compiled-in templates only (tested, so they compile).
    pub fn builtin() -> Self {
        Self::compile(BUILTIN.iter().map(|(n, t)| ((*n).to_owned(), (*t).to_owned(), None)).collect())
            .expect("the built-in review templates compile")
    }

    /// The built-in templates with overrides from `templates_dir/review/`;
    /// every problem is reported as `file: message`, one per line.
    pub fn load(templates_dir: &Path) -> Result<Self, String> {
        let dir = templates_dir.join("review");
        let overrides = read_template_overrides(&dir).map_err(|e| e.to_string())?;
        let mut sources: Vec<(String, String, Option<String>)> =
            BUILTIN.iter().map(|(n, t)| ((*n).to_owned(), (*t).to_owned(), None)).collect();
        let mut errors = Vec::new();
        for file in overrides {
            match sources.iter_mut().find(|(name, _, _)| *name == file.name) {
                Some(source) => *source = (file.name, file.text, Some(file.path.display().to_string())),
                None => errors.push(format!(
                    "{}: unknown template; the review templates are {}",
                    file.path.display(),
                    BUILTIN.map(|(n, _)| n).join(", ")
                )),
            }
        }
        if !errors.is_empty() {
            return Err(errors.join("\n"));
        }
        Self::compile(sources)
    }

    fn compile(sources: Vec<(String, String, Option<String>)>) -> Result<Self, String> {
        let mut env = Environment::new();
        // Every UI template is HTML, whatever an override file is called.
        env.set_auto_escape_callback(|_| AutoEscape::Html);
        // Printing an undefined value is an error (a typo in an override shows
        // up), while `{% if x %}` on a missing one stays false.
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        let mut errors = Vec::new();
        for (name, text, origin) in sources {
            let origin = origin.unwrap_or_else(|| format!("(built-in) {name}"));
            if let Err(e) = env.add_template_owned(name, text) {
                errors.push(format!("{origin}:{}: {e}", e.line().unwrap_or(1)));
            }
        }
        if errors.is_empty() { Ok(Self { env, config: ConfigStatus::default() }) } else { Err(errors.join("\n")) }
    }

    /// Shows `config`'s refused edits on every page from now on.
    #[must_use]
    pub fn with_config_status(self, config: ConfigStatus) -> Self {
        Self { config, ..self }
    }

    /// The config status shown in the banner (and on the sources page).
    pub fn config_status(&self) -> &ConfigStatus {
        &self.config
    }

    /// Renders template `name`; `page` is merged with what every page needs.
    pub(crate) fn render(&self, name: &str, page: Value) -> Result<Html<String>, UiError> {
        let template = self.env.get_template(name).map_err(|e| UiError::Template(e.to_string()))?;
        let assets = context! { css => assets::url("app.css"), js => assets::url("app.js") };
        let context = context! { assets => assets, config_errors => self.config.errors(), ..page };
        template.render(context).map(Html).map_err(|e| UiError::Template(format!("{name}: {e:#}")))
    }
}

/// Turns a [`UiError`] response into the error page (the error cannot reach
/// the templates from `IntoResponse`; this layer can).
pub(crate) async fn render_errors(State(state): State<UiState>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let Some(page) = response.extensions().get::<ErrorPage>().cloned() else { return response };
    let status = response.status();
    let html = state.inner.pages.render(
        "error.html.j2",
        context! { title => page.title, message => &page.message, status => status.as_u16(), user => None::<String> },
    );
    match html {
        Ok(html) => (status, html).into_response(),
        // The error page itself failed (a broken override): plain text still says what happened.
        Err(e) => {
            tracing::error!(error = %e, "error page failed to render");
            (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], page.message).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_text_is_escaped_in_every_template() {
        let pages = Pages::builtin();
        let html = pages
            .render("error.html.j2", context! { title => "x", message => "<script>alert(1)</script>", status => 400 })
            .expect("renders");
        assert!(!html.0.contains("<script>alert"), "{}", html.0);
        assert!(html.0.contains("&lt;script&gt;"));
    }

    #[test]
    fn an_unknown_override_is_an_error_with_its_path() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("review")).expect("mkdir");
        std::fs::write(dir.path().join("review/nope.html.j2"), "x").expect("write");
        let error = Pages::load(dir.path()).expect_err("unknown name");
        assert!(error.contains("nope.html.j2") && error.contains("unknown template"), "{error}");
    }

    #[test]
    fn an_override_replaces_the_builtin() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("review")).expect("mkdir");
        std::fs::write(dir.path().join("review/error.html.j2"), "custom {{ message }}").expect("write");
        let pages = Pages::load(dir.path()).expect("loads");
        let html = pages.render("error.html.j2", context! { message => "m", title => "t", status => 1 }).expect("ok");
        assert_eq!(html.0, "custom m");
    }
}
