//! OPML subscription lists in and out: parse OPML 1.0/2.0 into feed outlines,
//! plan which of them become new `[[source]]` tables, write OPML 2.0.
//!
//! Pure (layer 1): callers hand in the document text and the existing
//! sources, and write the results themselves; this module must not read
//! files or validate the config (`config::build` does that on the result).
//! Main types: [`Outline`] (one feed), [`ImportPlan`] (what an import adds
//! and skips, with why).
//!
//! OPML 2.0 (<http://opml.org/spec2.opml>): a feed is an `<outline>` with an
//! `xmlUrl`; its category is the text of the outline it is nested in, else
//! the first path of its `category` attribute.

use std::collections::HashSet;
use std::fmt::Write as _;

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};

/// Why a document is not usable OPML.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpmlError {
    /// The XML is not well-formed; `offset` is the byte position of the error.
    #[error("malformed XML at byte {offset}: {message}")]
    Xml { offset: u64, message: String },
    /// Well-formed XML whose root is not `<opml>`.
    #[error("not an OPML document: the root element is <{root}>")]
    NotOpml { root: String },
}

/// One feed subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outline {
    /// `title`, else `text` (OPML 2.0 requires `text`; readers fill both).
    pub title: String,
    pub xml_url: String,
    pub html_url: Option<String>,
    /// The enclosing outline's text, else the first `category` path.
    pub category: Option<String>,
}

/// A parsed document: its head title and feed outlines in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Opml {
    pub title: Option<String>,
    pub outlines: Vec<Outline>,
    /// Outlines that are neither feeds nor categories (no `xmlUrl`, no children), by title.
    pub ignored: Vec<String>,
}

/// Parses an OPML 1.0 or 2.0 document. Never panics, whatever the input.
pub fn parse(text: &str) -> Result<Opml, OpmlError> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut opml = Opml::default();
    let mut root_seen = false;
    // Open outlines, innermost last: `Some(text)` for those that may be categories.
    let mut open: Vec<Option<String>> = Vec::new();
    let mut in_head_title = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| OpmlError::Xml { offset: reader.error_position(), message: e.to_string() })?;
        match event {
            Event::Start(element) | Event::Empty(element) if !root_seen => {
                root_seen = true;
                let name = element.local_name().as_ref().to_owned();
                if !name.eq_ignore_ascii_case("opml") {
                    return Err(OpmlError::NotOpml { root: name });
                }
            }
            Event::Start(element) => match element.local_name().as_ref() {
                "outline" => {
                    let parent = open.iter().rev().flatten().next().cloned();
                    match outline(&element, parent) {
                        Some(feed) => {
                            opml.outlines.push(feed);
                            // A feed's children (rare) are not in a category named after it.
                            open.push(None);
                        }
                        None => open.push(Some(
                            attribute(&element, "text").or_else(|| attribute(&element, "title")).unwrap_or_default(),
                        )),
                    }
                }
                "title" if open.is_empty() => in_head_title = true,
                _ => {}
            },
            Event::Empty(element) if element.local_name().as_ref() == "outline" => {
                let parent = open.iter().rev().flatten().next().cloned();
                match outline(&element, parent) {
                    Some(feed) => opml.outlines.push(feed),
                    None => opml
                        .ignored
                        .push(attribute(&element, "text").or_else(|| attribute(&element, "title")).unwrap_or_default()),
                }
            }
            Event::Text(text) if in_head_title => {
                opml.title.get_or_insert_with(String::new).push_str(&text.xml10_content());
            }
            // The reader reports `&amp;` and `&#38;` apart from the text around them.
            Event::GeneralRef(reference) if in_head_title => {
                let name = reference.xml10_content();
                if let Ok(text) = quick_xml::escape::unescape(&format!("&{name};")) {
                    opml.title.get_or_insert_with(String::new).push_str(&text);
                }
            }
            Event::End(element) => match element.local_name().as_ref() {
                "outline" => {
                    open.pop();
                }
                "title" => in_head_title = false,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    if !root_seen {
        return Err(OpmlError::NotOpml { root: String::new() });
    }
    opml.title = opml.title.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    Ok(opml)
}

/// A feed outline, or `None` for an outline without `xmlUrl` (a category, or
/// something that is not a feed: OPML also lists links and includes).
fn outline(element: &BytesStart<'_>, parent: Option<String>) -> Option<Outline> {
    let xml_url = attribute(element, "xmlUrl").filter(|u| !u.is_empty())?;
    let title = attribute(element, "title")
        .filter(|t| !t.is_empty())
        .or_else(|| attribute(element, "text"))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| xml_url.clone());
    // OPML 2.0: `category` is comma-separated slash-delimited paths; the last
    // segment of the first one names the section.
    let from_attribute = || {
        attribute(element, "category").and_then(|c| {
            let first = c.split(',').next()?.trim().trim_end_matches('/').to_owned();
            first.rsplit('/').next().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
        })
    };
    let category = parent.filter(|p| !p.is_empty()).or_else(from_attribute);
    Some(Outline { title, xml_url, html_url: attribute(element, "htmlUrl").filter(|u| !u.is_empty()), category })
}

/// An attribute's value, unescaped and trimmed; `None` when absent or not decodable.
fn attribute(element: &BytesStart<'_>, name: &str) -> Option<String> {
    element
        .attributes()
        .flatten()
        // Readers disagree on case (`xmlurl`, `XMLURL`); OPML names are ASCII.
        .find(|a| a.key.local_name().as_ref().eq_ignore_ascii_case(name))
        .and_then(|a| a.normalized_value(XmlVersion::Implicit1_0).ok().map(|v| v.trim().to_owned()))
}

// ---- Writing ----

/// One source as export sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSource {
    pub name: String,
    pub url: String,
    pub html_url: Option<String>,
    pub section: Option<String>,
}

/// OPML 2.0 of `sources`: those without a section at the top, then one
/// parent outline per section, in order of first appearance.
pub fn write(title: &str, sources: &[ExportSource]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n  <head>\n");
    let _ = writeln!(out, "    <title>{}</title>", escape(title));
    out.push_str("  </head>\n  <body>\n");
    for source in sources.iter().filter(|s| s.section.is_none()) {
        feed_outline(&mut out, source, "    ");
    }
    let mut sections: Vec<&str> = Vec::new();
    for section in sources.iter().filter_map(|s| s.section.as_deref()) {
        if !sections.contains(&section) {
            sections.push(section);
        }
    }
    for section in sections {
        let _ = writeln!(out, "    <outline text=\"{0}\" title=\"{0}\">", escape(section));
        for source in sources.iter().filter(|s| s.section.as_deref() == Some(section)) {
            feed_outline(&mut out, source, "      ");
        }
        out.push_str("    </outline>\n");
    }
    out.push_str("  </body>\n</opml>\n");
    out
}

fn feed_outline(out: &mut String, source: &ExportSource, indent: &str) {
    let name = escape(&source.name);
    let _ = write!(
        out,
        "{indent}<outline type=\"rss\" text=\"{name}\" title=\"{name}\" xmlUrl=\"{}\"",
        escape(&source.url)
    );
    if let Some(html) = &source.html_url {
        let _ = write!(out, " htmlUrl=\"{}\"", escape(html));
    }
    out.push_str("/>\n");
}

/// Attribute-safe text: XML's five entities, and whitespace other than a
/// space as character references (a parser would normalize it to spaces).
fn escape(text: &str) -> String {
    quick_xml::escape::escape(text).replace('\n', "&#10;").replace('\r', "&#13;").replace('\t', "&#9;")
}

// ---- Import planning ----

/// A source an import adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSource {
    pub id: String,
    pub name: String,
    pub url: String,
    pub section: Option<String>,
    /// Kept as a comment: sources have no key for it.
    pub html_url: Option<String>,
}

/// An outline an import leaves out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub title: String,
    pub url: String,
    pub reason: String,
}

/// What an import would do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportPlan {
    pub add: Vec<NewSource>,
    pub skipped: Vec<Skipped>,
}

/// An existing source, as far as import cares: its id and URL.
#[derive(Debug, Clone)]
pub struct Existing<'a> {
    pub id: &'a str,
    pub url: &'a str,
}

/// Decides which outlines become sources: a URL already configured (after
/// canonicalization, so tracking parameters or host case do not hide a
/// duplicate) or repeated in the file is skipped, as is one that is not an
/// http(s) or file URL. Ids are slugs of the titles, made unique.
pub fn plan_import(outlines: &[Outline], existing: &[Existing<'_>]) -> ImportPlan {
    let mut plan = ImportPlan::default();
    let mut ids: HashSet<String> = existing.iter().map(|e| e.id.to_owned()).collect();
    let mut urls: std::collections::HashMap<String, String> = existing
        .iter()
        .filter_map(|e| crate::model::canonicalize(e.url, None).map(|u| (u, format!("source `{}`", e.id))))
        .collect();
    for outline in outlines {
        let skip = |reason: String| Skipped { title: outline.title.clone(), url: outline.xml_url.clone(), reason };
        let Some(canonical) = crate::model::canonicalize(&outline.xml_url, None) else {
            plan.skipped.push(skip("not an absolute http(s) or file URL".to_owned()));
            continue;
        };
        if let Some(holder) = urls.get(&canonical) {
            plan.skipped.push(skip(format!("duplicate of {holder}")));
            continue;
        }
        let id = unique_id(&slug(&outline.title, &outline.xml_url), &ids);
        ids.insert(id.clone());
        urls.insert(canonical, format!("`{}` earlier in the file", outline.title));
        plan.add.push(NewSource {
            id,
            name: outline.title.clone(),
            url: outline.xml_url.clone(),
            section: outline.category.clone(),
            html_url: outline.html_url.clone(),
        });
    }
    plan
}

/// Longest slug we make; long titles make unwieldy ids.
const MAX_SLUG: usize = 48;

/// A source id (`a-z`, `0-9`, `-`) from a title; from the URL's host and path
/// when the title has no ASCII letters or digits (e.g. a Persian title).
fn slug(title: &str, url: &str) -> String {
    let make = |text: &str| {
        let mut out = String::new();
        for c in text.chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
            if out.len() >= MAX_SLUG {
                break;
            }
        }
        out.trim_end_matches('-').to_owned()
    };
    let from_title = make(title);
    if !from_title.is_empty() {
        return from_title;
    }
    let without_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let from_url = make(without_scheme.trim_start_matches("www."));
    if from_url.is_empty() { "source".to_owned() } else { from_url }
}

fn unique_id(base: &str, taken: &HashSet<String>) -> String {
    if !taken.contains(base) {
        return base.to_owned();
    }
    // Of `taken.len() + 1` candidates at least one is free (pigeonhole).
    (2..=taken.len() + 2)
        .map(|n| format!("{base}-{n}"))
        .find(|id| !taken.contains(id))
        .expect("one of len + 1 candidates is not taken")
}

/// The `[[source]]` tables to append to a sources file, with a leading comment.
pub fn render_sources(sources: &[NewSource], origin: &str) -> String {
    let quote = |s: &str| toml::Value::String(s.to_owned()).to_string();
    let mut out = format!("\n# Imported from {} by `gleaner opml import`.\n", origin.replace('\n', " "));
    for source in sources {
        out.push_str("\n[[source]]\n");
        let _ = writeln!(out, "id = {}", quote(&source.id));
        let _ = writeln!(out, "name = {}", quote(&source.name));
        if let Some(html) = &source.html_url {
            // No key for a site URL: keep it where the operator can see it.
            let _ = writeln!(out, "# site: {}", html.replace('\n', " "));
        }
        let _ = writeln!(out, "url = {}", quote(&source.url));
        if let Some(section) = &source.section {
            let _ = writeln!(out, "section = {}", quote(section));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn parses_opml_1_and_2_with_categories_from_parents_and_attributes() {
        let text = r#"<?xml version="1.0"?>
<opml version="1.0"><head><title>My &amp; feeds</title></head><body>
  <outline text="News"><outline text="BBC" xmlUrl="https://bbc.example/rss" htmlUrl="https://bbc.example/"/></outline>
  <outline text="Loose" title="Loose one" type="rss" xmlurl="https://l.example/feed" category="/Tech/Rust,/Other"/>
  <outline text="No feed here"/>
</body></opml>"#;
        let opml = parse(text).expect("valid");
        assert_eq!(opml.title.as_deref(), Some("My & feeds"));
        assert_eq!(opml.outlines.len(), 2);
        assert_eq!(opml.outlines[0].category.as_deref(), Some("News"));
        assert_eq!(opml.outlines[0].html_url.as_deref(), Some("https://bbc.example/"));
        assert_eq!(opml.outlines[1].title, "Loose one");
        assert_eq!(opml.outlines[1].category.as_deref(), Some("Rust"));
        assert_eq!(opml.ignored, ["No feed here"]);
    }

    #[test]
    fn rejects_other_xml_and_broken_xml() {
        assert!(matches!(parse("<rss/>"), Err(OpmlError::NotOpml { .. })));
        assert!(matches!(parse("<opml><body><outline></body>"), Err(OpmlError::Xml { .. })));
        assert!(matches!(parse(""), Err(OpmlError::NotOpml { .. })));
    }

    #[test]
    fn slugs_are_ascii_and_unique() {
        let outlines = [
            Outline {
                title: "Le Monde – Int'l".into(),
                xml_url: "https://a.example/f".into(),
                html_url: None,
                category: None,
            },
            Outline {
                title: "Le Monde: Int'l".into(),
                xml_url: "https://b.example/f".into(),
                html_url: None,
                category: None,
            },
            Outline {
                title: "بی بی سی".into(),
                xml_url: "https://www.bbc.example/persian".into(),
                html_url: None,
                category: None,
            },
        ];
        let plan = plan_import(&outlines, &[Existing { id: "le-monde-int-l", url: "https://z.example/" }]);
        let ids: Vec<&str> = plan.add.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["le-monde-int-l-2", "le-monde-int-l-3", "bbc-example-persian"]);
    }

    #[test]
    fn duplicates_by_canonical_url_are_skipped_with_a_reason() {
        let outline = |url: &str| Outline { title: "T".into(), xml_url: url.into(), html_url: None, category: None };
        let outlines = [
            outline("https://A.example/feed?utm_x=1&fbclid=2#top"),
            outline("https://new.example/feed"),
            outline("https://new.example/feed#again"),
            outline("javascript:alert(1)"),
        ];
        let plan = plan_import(&outlines, &[Existing { id: "a", url: "https://a.example/feed?utm_x=1" }]);
        assert_eq!(plan.add.len(), 1);
        let reasons: Vec<&str> = plan.skipped.iter().map(|s| s.reason.as_str()).collect();
        assert_eq!(
            reasons,
            ["duplicate of source `a`", "duplicate of `T` earlier in the file", "not an absolute http(s) or file URL"]
        );
    }

    #[test]
    fn written_opml_parses_back_to_the_same_outlines() {
        let sources = [
            ExportSource {
                name: "A \"quoted\" <name> & co".into(),
                url: "https://a.example/f?x=1&y=2".into(),
                html_url: None,
                section: None,
            },
            ExportSource {
                name: "B".into(),
                url: "https://b.example/f".into(),
                html_url: Some("https://b.example/".into()),
                section: Some("Europe & more".into()),
            },
        ];
        let opml = parse(&write("Gleaner", &sources)).expect("own output parses");
        let back: Vec<ExportSource> = opml
            .outlines
            .into_iter()
            .map(|o| ExportSource { name: o.title, url: o.xml_url, html_url: o.html_url, section: o.category })
            .collect();
        assert_eq!(back, sources);
    }

    proptest! {
        #[test]
        fn the_parser_never_panics(text in "\\PC*") {
            let _ = parse(&text);
        }

        #[test]
        fn the_parser_never_panics_on_outline_soup(
            parts in proptest::collection::vec(prop_oneof![
                Just("<opml>".to_owned()), Just("</opml>".to_owned()), Just("<body>".to_owned()),
                Just("<outline text=\"c\">".to_owned()), Just("</outline>".to_owned()),
                Just("<outline xmlUrl=\"https://e.example/\" category=\"/a/,,/\"/>".to_owned()),
                Just("<title>t&amp;</title>".to_owned()), Just("&#0;".to_owned()), "\\PC{0,8}",
            ], 0..30)
        ) {
            let _ = parse(&parts.concat());
        }
    }
}
