//! Validates `[[source]]` tables into [`Source`]s.
//!
//! Checks every key of every source and reports all problems; a source with
//! any error is left out of the result (the caller returns the errors anyway).

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use regex::{Regex, RegexBuilder};
use scraper::Selector;
use toml::de::{DeTable, DeValue};
use url::Url;

use super::doc::{Diag, Section};
use super::doc::{language_tag, normalize, schedule, selector_reason};
use crate::model::{PageSelectors, Schedule, Source, SourceKind, TextFilter};

pub(super) const SOURCE_KEYS: &[&str] = &[
    "id",
    "name",
    "url",
    "kind",
    "section",
    "language",
    "schedule",
    "follow",
    "enabled",
    "include",
    "exclude",
    "selectors",
    "public_url",
    "content",
    "strip",
    "follow_next",
    "user_agent",
    "headers",
    "cookie_file",
];
const SELECTOR_KEYS: &[&str] = &["item", "title", "link", "date", "summary"];

/// Source ids seen so far (across files), with where each was first defined.
pub(super) type SeenIds = HashMap<String, String>;

/// Validates the `source` key of a document (absent is fine: no sources there).
pub(super) fn validate(
    diag: &mut Diag<'_>,
    doc: &DeTable<'_>,
    default_schedule: &Schedule,
    seen: &mut SeenIds,
) -> Vec<Source> {
    let Some(value) = doc.get("source") else { return Vec::new() };
    let tables: Vec<_> = match value.get_ref() {
        DeValue::Array(items) => items.iter().collect(),
        DeValue::Table(_) => {
            diag.error(&value.span(), "`source` must be an array of tables: write [[source]], not [source]");
            return Vec::new();
        }
        other => {
            diag.error(
                &value.span(),
                format!("`source` must be an array of tables ([[source]]), found {}", other.type_str()),
            );
            return Vec::new();
        }
    };
    let base = diag.base_dir();
    let mut sources = Vec::new();
    for item in tables {
        let DeValue::Table(table) = item.get_ref() else {
            diag.error(&item.span(), format!("each source must be a table, found {}", item.get_ref().type_str()));
            continue;
        };
        if let Some(source) = one(diag, table, &item.span(), &base, default_schedule, seen) {
            sources.push(source);
        }
    }
    sources
}

/// Validates one `[[source]]` table; `None` when anything in it was wrong.
fn one(
    diag: &mut Diag<'_>,
    table: &DeTable<'_>,
    header: &Range<usize>,
    base: &Path,
    default_schedule: &Schedule,
    seen: &mut SeenIds,
) -> Option<Source> {
    let errors_before = diag.errors.len();
    let section = Section::new(table, "source");
    section.check_keys(diag, SOURCE_KEYS, &[]);

    let id = section.string(diag, "id");
    if let Some((id, span)) = &id {
        check_id(diag, id, span, seen);
    } else if section.get("id").is_none() {
        diag.missing(header, "source is missing required key `id`");
    }
    let label = id.as_ref().map_or_else(|| "this source".to_owned(), |(id, _)| format!("source `{id}`"));

    let url = if let Some((text, span)) = section.string(diag, "url") {
        source_url(diag, text, &span, base)
    } else {
        if section.get("url").is_none() {
            diag.missing(header, format!("{label} is missing required key `url`"));
        }
        None
    };

    let kind = match section.string(diag, "kind") {
        None | Some(("feed", _)) => SourceKind::Feed,
        Some(("page", _)) => SourceKind::Page,
        Some((other, span)) => {
            diag.error(&span, format!("unknown source kind {other:?}: expected \"feed\" or \"page\""));
            SourceKind::Feed
        }
    };
    let name = section.string(diag, "name").map(|(s, _)| s.to_owned());
    let section_name = section.string(diag, "section").map(|(s, _)| s.to_owned());
    let language = section.string(diag, "language").and_then(|(text, span)| language_tag(diag, text, &span));
    let source_schedule = match section.string(diag, "schedule") {
        Some((text, span)) => schedule(diag, text, &span),
        None => Some(default_schedule.clone()),
    };
    let follow = section.boolean(diag, "follow").unwrap_or(false);
    let public_url = section.string(diag, "public_url").and_then(|(text, span)| {
        let parsed = Url::parse(text).ok().filter(|u| matches!(u.scheme(), "http" | "https"));
        if parsed.is_none() {
            diag.error(&span, format!("{label}: public_url {text:?} is not an absolute http(s) URL"));
        } else if url.as_ref().is_some_and(|u| u.scheme() != "file") {
            diag.error(
                &span,
                format!("{label}: public_url applies only to a `file` source (its URL is already public)"),
            );
        }
        parsed
    });
    let enabled = section.boolean(diag, "enabled").unwrap_or(true);
    let filter =
        TextFilter { include: patterns(diag, &section, "include"), exclude: patterns(diag, &section, "exclude") };

    let selectors = match (section.table(diag, "selectors"), kind) {
        (Some((table, span)), SourceKind::Page) => selectors(diag, table, &span, &label),
        (Some(_), SourceKind::Feed) => {
            let key_span = table.get_key_value("selectors").map_or_else(|| header.clone(), |(k, _)| k.span());
            diag.error(
                &key_span,
                format!("{label} has [source.selectors] but is a feed; selectors apply only to kind = \"page\""),
            );
            None
        }
        (None, SourceKind::Page) => {
            if section.get("selectors").is_none() {
                let at = section.get("kind").map_or_else(|| header.clone(), toml::Spanned::span);
                diag.missing(
                    &at,
                    format!(
                        "{label} is a page source but has no [source.selectors] table (at least `item` is required)"
                    ),
                );
            }
            None
        }
        (None, SourceKind::Feed) => None,
    };

    let rules = super::source_rules::rules(diag, &section, &label);
    let fetch = super::source_rules::fetch(diag, &section, &label, base);

    if diag.errors.len() > errors_before {
        return None;
    }
    let (id, _) = id?;
    Some(Source {
        id: id.to_owned(),
        name: name.unwrap_or_else(|| id.to_owned()),
        url: url?,
        kind,
        section: section_name,
        language,
        schedule: source_schedule?,
        follow,
        selectors,
        filter,
        enabled,
        public_url,
        rules,
        fetch,
    })
}

fn check_id(diag: &mut Diag<'_>, id: &str, span: &Range<usize>, seen: &mut SeenIds) {
    let slug =
        !id.is_empty() && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !slug {
        diag.error(span, format!("bad source id {id:?}: use only lower-case letters a-z, digits, `-` and `_`"));
        return;
    }
    if [crate::model::MANUAL_SOURCE, crate::model::NOTE_SOURCE].contains(&id) {
        diag.error(span, format!("source id `{id}` is reserved: Gleaner's own `{id}` source holds items editors add"));
        return;
    }
    if let Some(first) = seen.get(id) {
        diag.error(span, format!("duplicate source id `{id}` (first defined at {first})"));
    } else {
        seen.insert(id.to_owned(), diag.location(span));
    }
}

/// http(s) URLs as they are; `file:` URLs and bare paths become absolute
/// `file://` URLs, relative ones resolved against the config file's folder.
fn source_url(diag: &mut Diag<'_>, text: &str, span: &Range<usize>, base: &Path) -> Option<Url> {
    let text = text.trim();
    if text.is_empty() {
        diag.error(span, "`source.url` must not be empty");
        return None;
    }
    let path_text = match Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => {
            if url.host_str().is_none_or(str::is_empty) {
                diag.error(span, format!("bad URL {text:?}: no host"));
                return None;
            }
            return Some(url);
        }
        // `file:///abs` is already absolute; `file:rel` and `file://rel` (not
        // standard, but what operators write) are paths relative to the file.
        Ok(url) if url.scheme() == "file" => {
            let rest = &text["file:".len()..];
            let rest = rest.strip_prefix("//").unwrap_or(rest);
            let rest = rest.strip_prefix("localhost").filter(|r| r.starts_with('/')).unwrap_or(rest);
            if rest.starts_with('/') {
                return Some(url);
            }
            rest
        }
        Ok(url) => {
            diag.error(
                span,
                format!("unsupported URL scheme `{}` in {text:?}: use http, https, file or a file path", url.scheme()),
            );
            return None;
        }
        // `htps//example.org/feed.xml` is a mistyped URL, not a file in a
        // folder named `htps`: a word then `//` (or `:/`) at the start is never
        // how a relative path is written by hand.
        Err(url::ParseError::RelativeUrlWithoutBase) if looks_like_mistyped_url(text) => {
            diag.error(span, format!("bad URL {text:?}: looks like a mistyped http(s) URL (`https://host/path`)"));
            return None;
        }
        Err(url::ParseError::RelativeUrlWithoutBase) => text,
        Err(e) => {
            diag.error(span, format!("bad URL {text:?}: {e}"));
            return None;
        }
    };
    let path = normalize(&base.join(path_text));
    if let Ok(url) = Url::from_file_path(&path) {
        Some(url)
    } else {
        diag.error(
            span,
            format!(
                "cannot turn {text:?} into a file URL: {} is not an absolute path \
                 (load the config through its absolute path)",
                path.display()
            ),
        );
        None
    }
}

/// A scheme-like word followed by `//` or `:/` at the start (`htps//x`, `http//x`, `https:/x`).
fn looks_like_mistyped_url(text: &str) -> bool {
    let word_end = text.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'))).unwrap_or(0);
    let (word, rest) = text.split_at(word_end);
    !word.is_empty()
        && word.starts_with(|c: char| c.is_ascii_alphabetic())
        && !word.contains('.')
        && (rest.starts_with("//") || rest.starts_with(":/") || rest.starts_with("///"))
}

/// Case-insensitive include/exclude patterns.
fn patterns(diag: &mut Diag<'_>, section: &Section<'_, '_>, key: &str) -> Vec<Regex> {
    section
        .strings(diag, key)
        .into_iter()
        .filter_map(|(pattern, span)| match RegexBuilder::new(pattern).case_insensitive(true).build() {
            Ok(re) => Some(re),
            Err(e) => {
                diag.error(
                    &span,
                    format!("bad regular expression {pattern:?} in `source.{key}`: {}", regex_reason(&e)),
                );
                None
            }
        })
        .collect()
}

/// The regex crate's message is several lines with a caret drawing; keep the
/// `error: ...` line so each config error stays on one line.
fn regex_reason(e: &regex::Error) -> String {
    let text = e.to_string();
    text.lines()
        .find_map(|line| line.trim().strip_prefix("error: "))
        .map_or_else(|| text.lines().last().unwrap_or("invalid pattern").trim().to_owned(), str::to_owned)
}

fn selectors(diag: &mut Diag<'_>, table: &DeTable<'_>, span: &Range<usize>, label: &str) -> Option<PageSelectors> {
    let section = Section::new(table, "source.selectors");
    section.check_keys(diag, SELECTOR_KEYS, &[]);
    // `Some(None)`: absent (fine for all but `item`); `None`: wrong, already reported.
    let mut compile = |key: &str| -> Option<Option<Selector>> {
        let Some((text, span)) = section.string(diag, key) else {
            return if section.get(key).is_none() { Some(None) } else { None };
        };
        match Selector::parse(text) {
            Ok(selector) => Some(Some(selector)),
            Err(e) => {
                diag.error(
                    &span,
                    format!("bad CSS selector {text:?} in `source.selectors.{key}`: {}", selector_reason(&e)),
                );
                None
            }
        }
    };
    let item = compile("item");
    let title = compile("title");
    let link = compile("link");
    let date = compile("date");
    let summary = compile("summary");
    let item = match item {
        Some(Some(item)) => Some(item),
        Some(None) => {
            diag.missing(
                span,
                format!("{label}: [source.selectors] needs `item`, the selector matching one entry each"),
            );
            None
        }
        None => None,
    };
    Some(PageSelectors { item: item?, title: title?, link: link?, date: date?, summary: summary? })
}
