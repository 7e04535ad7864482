//! Rendering issues into every published format: the issue body and pages
//! (minijinja templates), RSS 2.0 (the `rss` crate), Atom 1.0 (a template)
//! and JSON Feed 1.1 (`serde_json`).
//!
//! Pure: templates arrive as text ([`Templates`]: the defaults compiled in,
//! with any operator overrides the caller read from disk); output is
//! `String`s. Dates come from the issue records, never from the clock, so
//! rendering the same issues twice gives the same bytes (which is what lets
//! an interrupted publish be completed without changing what readers saw,
//! and keeps the server's `ETag`s stable). Main type: [`Renderer`].
//!
//! Escaping: every template whose name ends in `.html.j2` or `.xml.j2` is
//! autoescaped; the only pre-escaped values handed in are the sanitized
//! commentary and the rendered body, marked safe here rather than with
//! `|safe` in templates, so an override cannot forget it and double-escape,
//! nor add it somewhere unsafe.

use std::fmt;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use minijinja::{Environment, UndefinedBehavior, Value};
use serde::Serialize;

use super::compose::{Composition, Entry, QuoteView, SectionView};
use super::feed::{self, FeedEntry, FeedMeta, rfc3339, xml_chars};
use crate::config::PublishSettings;
use crate::model::{Correction, Issue, ItemId, Period};

/// The body of one issue (sections and items): feeds carry it as HTML content.
pub const BODY: &str = "issue_body.html.j2";
/// `issues/{number}.html`: the body inside a page.
pub const ISSUE_PAGE: &str = "issue.html.j2";
/// `index.html`: every issue, newest first.
pub const INDEX: &str = "index.html.j2";
/// `digest.atom`.
pub const ATOM: &str = "atom.xml.j2";
/// The archive pages' stylesheet, included inline by the issue page and the index.
pub const STYLE: &str = "digest.css.j2";

/// Every template an operator may override, by file name.
pub const TEMPLATE_NAMES: [&str; 5] = [BODY, ISSUE_PAGE, INDEX, ATOM, STYLE];

const BUILTIN: [(&str, &str); 5] = [
    (BODY, include_str!("templates/issue_body.html.j2")),
    (ISSUE_PAGE, include_str!("templates/issue.html.j2")),
    (INDEX, include_str!("templates/index.html.j2")),
    (ATOM, include_str!("templates/atom.xml.j2")),
    (STYLE, include_str!("templates/digest.css.j2")),
];

/// Output file names inside `publish.output_dir`.
pub const RSS_FILE: &str = "digest.xml";
pub const ATOM_FILE: &str = "digest.atom";
pub const JSON_FILE: &str = "digest.json";
pub const INDEX_FILE: &str = "index.html";

/// `issues/{number}.html`, relative to the output folder.
pub fn issue_file(number: u32) -> String {
    format!("issues/{number}.html")
}

/// A template that does not compile or render, at `file:line`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct TemplateError {
    /// The override file, or `(built-in) NAME` for a compiled-in default.
    pub file: PathBuf,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

/// One template's text and where it came from.
#[derive(Debug, Clone)]
struct Source {
    name: &'static str,
    text: String,
    /// The override file; `None` for the built-in default.
    origin: Option<PathBuf>,
}

/// The template texts to compile: built-in defaults, some replaced by overrides.
#[derive(Debug, Clone)]
pub struct Templates {
    sources: Vec<Source>,
}

impl Default for Templates {
    fn default() -> Self {
        Self::builtin()
    }
}

impl Templates {
    /// The defaults compiled into the binary.
    pub fn builtin() -> Self {
        Self {
            sources: BUILTIN
                .iter()
                .map(|(name, text)| Source { name, text: (*text).to_owned(), origin: None })
                .collect(),
        }
    }

    /// Replaces the template `file_name` with an operator's `text` read from `origin`.
    /// An unknown name is an error (a typo would otherwise be silently ignored).
    pub fn set_override(&mut self, file_name: &str, text: String, origin: PathBuf) -> Result<(), TemplateError> {
        let Some(source) = self.sources.iter_mut().find(|s| s.name == file_name) else {
            return Err(TemplateError {
                file: origin,
                line: 1,
                message: format!("unknown template {file_name:?}; the templates are {}", TEMPLATE_NAMES.join(", ")),
            });
        };
        source.text = text;
        source.origin = Some(origin);
        Ok(())
    }

    fn origin(&self, name: &str) -> PathBuf {
        match self.sources.iter().find(|s| s.name == name).and_then(|s| s.origin.clone()) {
            Some(path) => path,
            None => PathBuf::from(format!("(built-in) {name}")),
        }
    }
}

/// Compiled templates plus where each came from, for error messages.
pub struct Renderer {
    env: Environment<'static>,
    templates: Templates,
}

impl fmt::Debug for Renderer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Renderer").finish_non_exhaustive()
    }
}

impl Renderer {
    /// Compiles every template and renders a sample issue through each, so a
    /// syntax error, an unknown filter or a misspelt variable (undefined
    /// values are errors) shows at `check` time rather than at publish time.
    /// Returns every problem found, not just the first.
    pub fn new(templates: Templates) -> Result<Self, Vec<TemplateError>> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_formatter(xml_escape_formatter);
        let mut errors = Vec::new();
        for source in &templates.sources {
            if let Err(e) = env.add_template_owned(source.name, source.text.clone()) {
                errors.push(template_error(&templates, source.name, &e));
            }
        }
        let renderer = Self { env, templates };
        if errors.is_empty() {
            errors.extend(renderer.sample_errors());
        }
        if errors.is_empty() { Ok(renderer) } else { Err(errors) }
    }

    /// The built-in templates only (they are tested, so this cannot fail).
    pub fn builtin() -> Self {
        Self::new(Templates::builtin()).expect("the built-in templates compile and render the sample issue")
    }

    fn sample_errors(&self) -> Vec<TemplateError> {
        let mut settings = PublishSettings::defaults(std::path::Path::new("/"));
        settings.base_url = url::Url::parse("https://example.org/digest/").ok();
        settings.websub_hub = url::Url::parse("https://hub.example.org/").ok();
        settings.language = Some("en".to_owned());
        "Sample".clone_into(&mut settings.description);
        let composition = sample_composition(&settings);
        // A correction too, so a template that mishandles one fails here.
        let correction =
            Correction { at: composition.created_at, note: "Sample note.".to_owned(), by: "sample".to_owned() };
        let mut errors = Vec::new();
        let body = match self.corrected_body(&composition, std::slice::from_ref(&correction), &settings) {
            Ok(body) => body,
            Err(e) => {
                errors.push(e);
                String::new()
            }
        };
        let mut issue = composition.into_draft(body);
        issue.corrections.push(correction);
        let issues = [&issue];
        for result in
            [self.issue_page(&issue, &settings), self.index(&issues, &settings), self.atom(&issues, &settings)]
        {
            if let Err(e) = result {
                errors.push(e);
            }
        }
        errors
    }

    fn render(&self, name: &str, context: &Value) -> Result<String, TemplateError> {
        let template = self.env.get_template(name).map_err(|e| template_error(&self.templates, name, &e))?;
        let text = template.render(context).map_err(|e| template_error(&self.templates, name, &e))?;
        Ok(xml_chars(&text).into_owned())
    }

    /// The issue body: sections and items, sanitized commentary, attributed quotes.
    pub fn body(&self, composition: &Composition, settings: &PublishSettings) -> Result<String, TemplateError> {
        self.corrected_body(composition, &[], settings)
    }

    /// The body of a corrected issue: [`Renderer::body`] with a note for
    /// each correction ("Corrected on DATE: TEXT") after the entries.
    pub fn corrected_body(
        &self,
        composition: &Composition,
        corrections: &[Correction],
        settings: &PublishSettings,
    ) -> Result<String, TemplateError> {
        let sections: Vec<SectionContext<'_>> = composition.sections.iter().map(SectionContext::from).collect();
        let corrections: Vec<Value> = corrections
            .iter()
            .map(|c| minijinja::context! { at => rfc3339(c.at), day => day(c.at), note => c.note.trim() })
            .collect();
        let context = minijinja::context! {
            marker => settings.item_marker.as_str(),
            quote_checks => settings.quote_checks,
            sections => Value::from_serialize(&sections),
            issue => minijinja::context! { number => composition.number, title => composition.title.as_str() },
            corrections => corrections,
        };
        Ok(self.render(BODY, &context)?.trim().to_owned())
    }

    /// `issues/{number}.html`.
    pub fn issue_page(&self, issue: &Issue, settings: &PublishSettings) -> Result<String, TemplateError> {
        // Without a base URL, links from issues/N.html go up one folder.
        let site = digest_meta(settings, "../", &[issue]);
        let context = minijinja::context! {
            site => Value::from_serialize(&site),
            issue => minijinja::context! {
                number => issue.number,
                title => issue.title.as_str(),
                period_start => rfc3339(issue.period.start),
                period_end => rfc3339(issue.period.end),
                period_start_day => day(issue.period.start),
                period_end_day => day(issue.period.end),
                published => rfc3339(issue.created_at),
                body => Value::from_safe_string(issue.html.clone()),
            },
        };
        self.render(ISSUE_PAGE, &context)
    }

    /// `index.html`: `issues` newest first.
    pub fn index(&self, issues: &[&Issue], settings: &PublishSettings) -> Result<String, TemplateError> {
        let site = digest_meta(settings, "", issues);
        let list: Vec<IssueContext<'_>> = issues.iter().map(|i| IssueContext::new(i, settings, "")).collect();
        let context =
            minijinja::context! { site => Value::from_serialize(&site), issues => Value::from_serialize(&list) };
        self.render(INDEX, &context)
    }

    /// `digest.atom` (Atom 1.0, RFC 4287): `issues` newest first.
    pub fn atom(&self, issues: &[&Issue], settings: &PublishSettings) -> Result<String, TemplateError> {
        self.atom_feed(&digest_meta(settings, "", issues), &issue_entries(issues, settings))
    }

    /// Any feed as Atom 1.0 through the one Atom template: `site` is the
    /// feed's metadata and `entries` its entries (also as `issues`, the
    /// name overrides written before speaker feeds existed use).
    pub fn atom_feed(&self, meta: &FeedMeta, entries: &[FeedEntry]) -> Result<String, TemplateError> {
        let list: Vec<feed::EntryContext<'_>> = entries.iter().map(feed::EntryContext::from).collect();
        let list = Value::from_serialize(&list);
        let context =
            minijinja::context! { site => Value::from_serialize(meta), entries => list.clone(), issues => list };
        self.render(ATOM, &context)
    }
}

/// minijinja's HTML escaping also turns `/` into `&#x2f;`, which is valid but
/// makes every URL in the output unreadable; escaping the five XML specials
/// is all HTML (and XML) need in text and quoted attributes.
fn xml_escape_formatter(
    out: &mut minijinja::Output<'_>,
    state: &minijinja::State<'_, '_>,
    value: &Value,
) -> Result<(), minijinja::Error> {
    match value.as_str() {
        Some(text) if state.auto_escape() != minijinja::AutoEscape::None && !value.is_safe() => {
            let mut start = 0;
            for (at, c) in text.char_indices() {
                let entity = match c {
                    '&' => "&amp;",
                    '<' => "&lt;",
                    '>' => "&gt;",
                    '"' => "&quot;",
                    '\'' => "&#39;",
                    _ => continue,
                };
                out.write_str(&text[start..at]).map_err(minijinja::Error::from)?;
                out.write_str(entity).map_err(minijinja::Error::from)?;
                start = at + 1;
            }
            out.write_str(&text[start..]).map_err(minijinja::Error::from)
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

fn template_error(templates: &Templates, name: &str, error: &minijinja::Error) -> TemplateError {
    // Errors raised inside an included template name that one.
    let at = error.name().unwrap_or(name);
    let mut message = error.kind().to_string();
    if let Some(detail) = error.detail() {
        message = format!("{message}: {detail}");
    }
    TemplateError { file: templates.origin(at), line: error.line().unwrap_or(1), message }
}

/// What every page and feed says about the digest as a whole.
/// `relative_root` is how to reach the output folder from the page when
/// there is no base URL.
pub fn digest_meta(settings: &PublishSettings, relative_root: &str, issues: &[&Issue]) -> FeedMeta {
    let root = root(settings, relative_root);
    FeedMeta {
        title: settings.title.clone(),
        description: settings.description.clone(),
        language: settings.language.clone(),
        index_url: format!("{root}{INDEX_FILE}"),
        rss_url: format!("{root}{RSS_FILE}"),
        atom_url: format!("{root}{ATOM_FILE}"),
        json_url: format!("{root}{JSON_FILE}"),
        feed_id: settings
            .base_url
            .as_ref()
            .map_or_else(|| "urn:gleaner:digest".to_owned(), |b| format!("{b}{ATOM_FILE}")),
        hub: settings.websub_hub.as_ref().map(url::Url::to_string),
        // The newest change to any listed issue: the newest issue, or a
        // later correction of an older one.
        updated: feed::newest(issues.iter().map(|i| i.updated())),
    }
}

/// The output folder's URL: the base URL, else `relative_root`.
pub(super) fn root(settings: &PublishSettings, relative_root: &str) -> String {
    settings.base_url.as_ref().map_or_else(|| relative_root.to_owned(), |b| b.as_str().to_owned())
}

/// The digest's feed entries: one per issue, in the order given.
pub fn issue_entries(issues: &[&Issue], settings: &PublishSettings) -> Vec<FeedEntry> {
    let root = root(settings, "");
    issues
        .iter()
        .map(|issue| FeedEntry {
            id: issue_id(settings, issue.number),
            title: issue.title.clone(),
            url: format!("{root}{}", issue_file(issue.number)),
            summary: issue.summary.clone(),
            html: issue.html.clone(),
            published: issue.created_at,
            modified: (!issue.corrections.is_empty()).then(|| issue.updated()),
        })
        .collect()
}

/// The stable identifier of an issue in every feed (RSS guid, Atom id,
/// JSON Feed id): its page URL when the base URL is known, else a URN.
pub fn issue_id(settings: &PublishSettings, number: u32) -> String {
    match &settings.base_url {
        Some(base) => format!("{base}{}", issue_file(number)),
        None => format!("urn:gleaner:issue:{number}"),
    }
}

/// One issue as the index lists it.
#[derive(Serialize)]
struct IssueContext<'a> {
    number: u32,
    id: String,
    title: &'a str,
    url: String,
    published: String,
    published_day: String,
    /// RFC 3339: the last correction's date, else `published` (Atom `updated`).
    updated: String,
    /// Whether the issue was corrected after it went out.
    corrected: bool,
    summary: &'a str,
    /// The body, for an index override that shows it.
    html: &'a str,
    item_count: usize,
}

impl<'a> IssueContext<'a> {
    fn new(issue: &'a Issue, settings: &PublishSettings, relative_root: &str) -> Self {
        Self {
            number: issue.number,
            id: issue_id(settings, issue.number),
            title: &issue.title,
            url: format!("{}{}", root(settings, relative_root), issue_file(issue.number)),
            published: rfc3339(issue.created_at),
            published_day: day(issue.created_at),
            updated: rfc3339(issue.updated()),
            corrected: !issue.corrections.is_empty(),
            summary: &issue.summary,
            html: &issue.html,
            item_count: issue.item_count(),
        }
    }
}

#[derive(Serialize)]
struct SectionContext<'a> {
    name: &'a str,
    entries: Vec<EntryContext<'a>>,
}

impl<'a> From<&'a SectionView> for SectionContext<'a> {
    fn from(section: &'a SectionView) -> Self {
        Self { name: &section.name, entries: section.entries.iter().map(EntryContext::from).collect() }
    }
}

#[derive(Serialize)]
struct EntryContext<'a> {
    headline: &'a str,
    /// Sanitized in `compose`; a safe string so templates need no `|safe`.
    commentary_html: Value,
    quotes: Vec<QuoteContext<'a>>,
    url: Option<&'a str>,
    outlet: Option<&'a str>,
    also: &'a [super::compose::ArticleView],
    lang: Option<&'a str>,
    dir: &'static str,
}

impl<'a> From<&'a Entry> for EntryContext<'a> {
    fn from(entry: &'a Entry) -> Self {
        Self {
            headline: &entry.headline,
            commentary_html: Value::from_safe_string(entry.commentary_html.clone()),
            quotes: entry.quotes.iter().map(QuoteContext::from).collect(),
            url: entry.url.as_deref(),
            outlet: entry.outlet.as_deref(),
            also: &entry.also,
            lang: entry.lang.as_deref(),
            dir: entry.dir,
        }
    }
}

#[derive(Serialize)]
struct QuoteContext<'a> {
    text: &'a str,
    speaker: Option<&'a str>,
    outlet: Option<&'a str>,
    via: Option<&'a str>,
    /// Plain text ("Speaker, in Outlet").
    attribution: &'a str,
    /// Built from escaped names in `compose`; a safe string (names in `<bdi>`).
    attribution_html: Value,
    lang: Option<&'a str>,
    dir: &'static str,
    open: &'static str,
    close: &'static str,
    /// RFC 3339 and day of the last check that found the words verbatim on
    /// their page; absent when none did ("quote checked on DATE").
    checked: Option<String>,
    checked_day: Option<String>,
}

impl<'a> From<&'a QuoteView> for QuoteContext<'a> {
    fn from(quote: &'a QuoteView) -> Self {
        Self {
            text: &quote.text,
            speaker: quote.speaker.as_deref(),
            outlet: quote.outlet.as_deref(),
            via: quote.via.as_deref(),
            attribution: &quote.attribution,
            attribution_html: Value::from_safe_string(quote.attribution_html.clone()),
            lang: quote.lang.as_deref(),
            dir: quote.dir,
            open: quote.open,
            close: quote.close,
            checked: quote.checked.map(rfc3339),
            checked_day: quote.checked.map(day),
        }
    }
}

fn day(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d").to_string()
}

/// `digest.xml`: RSS 2.0 with `issues` newest first.
pub fn rss(issues: &[&Issue], settings: &PublishSettings) -> String {
    feed::rss(&digest_meta(settings, "", issues), &issue_entries(issues, settings))
}

/// `digest.json`: JSON Feed 1.1 with `issues` newest first.
pub fn json_feed(issues: &[&Issue], settings: &PublishSettings) -> String {
    feed::json(&digest_meta(settings, "", issues), &issue_entries(issues, settings))
}

/// A small issue exercising every field, for checking templates.
fn sample_composition(settings: &PublishSettings) -> Composition {
    let at = DateTime::from_timestamp(1_767_225_600, 0).unwrap_or(DateTime::UNIX_EPOCH);
    let quote = |speaker: Option<&str>, via: Option<&str>, lang: Option<&str>| {
        let frame = super::script::Frame::for_language(lang);
        QuoteView {
            text: "Sample words.".to_owned(),
            speaker: speaker.map(str::to_owned),
            outlet: Some("Outlet".to_owned()),
            via: via.map(str::to_owned),
            attribution: super::compose::attribution(speaker, Some("Outlet"), via),
            attribution_html: frame.attribution_html(speaker, Some("Outlet"), via),
            lang: lang.map(str::to_owned),
            dir: super::script::direction(lang),
            open: frame.open,
            close: frame.close,
            checked: Some(at),
            id: "sample".to_owned(),
            article: Some("https://example.org/a".to_owned()),
        }
    };
    let entry = Entry {
        id: ItemId::derive("sample", "1"),
        headline: "Sample headline".to_owned(),
        commentary_html: "<p>Sample commentary.</p>".to_owned(),
        quotes: vec![quote(Some("A Speaker"), None, Some("en")), quote(None, Some("Relay"), Some("fa"))],
        url: Some("https://example.org/a".to_owned()),
        outlet: Some("Outlet".to_owned()),
        also: vec![super::compose::ArticleView {
            url: "https://example.org/b".to_owned(),
            outlet: Some("Other Outlet".to_owned()),
            title: "Another telling".to_owned(),
        }],
        lang: Some("en".to_owned()),
        dir: "auto",
    };
    let bare = Entry {
        quotes: Vec::new(),
        url: None,
        outlet: None,
        commentary_html: String::new(),
        also: Vec::new(),
        lang: None,
        ..entry.clone()
    };
    Composition {
        number: 1,
        title: settings.issue_title(1),
        period: Period { start: at, end: at },
        sections: vec![
            SectionView { name: String::new(), entries: vec![entry] },
            SectionView { name: "Other".to_owned(), entries: vec![bare] },
        ],
        created_at: at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_templates_compile_and_render_the_sample() {
        let _ = Renderer::builtin();
    }

    #[test]
    fn broken_override_is_reported_at_file_and_line() {
        let mut templates = Templates::builtin();
        templates
            .set_override(BODY, "line one\n{% for x in %}\n".to_owned(), PathBuf::from("/t/issue_body.html.j2"))
            .expect("known name");
        let errors = Renderer::new(templates).expect_err("broken");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].to_string().starts_with("/t/issue_body.html.j2:2: syntax error"), "{}", errors[0]);
    }

    #[test]
    fn misspelt_variable_in_override_is_caught_by_the_sample_render() {
        let mut templates = Templates::builtin();
        templates
            .set_override(INDEX, "a\nb {{ site.titel }}".to_owned(), PathBuf::from("/t/index.html.j2"))
            .expect("known");
        let errors = Renderer::new(templates).expect_err("undefined");
        assert!(errors[0].to_string().starts_with("/t/index.html.j2:2: "), "{}", errors[0]);
    }

    #[test]
    fn unknown_override_name_is_refused() {
        let mut templates = Templates::builtin();
        let error = templates.set_override("isue.html.j2", String::new(), PathBuf::from("/t/isue.html.j2"));
        assert!(error.is_err_and(|e| e.message.contains("unknown template")));
    }
}
