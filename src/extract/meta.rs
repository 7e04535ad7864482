//! Page metadata: title, byline, publication date, canonical URL, outlet,
//! language and the base URL for relative links.
//!
//! Sources in order of trust, per field: Open Graph / `article:` meta tags
//! (what publishers curate for sharing), schema.org JSON-LD (`@graph` and
//! arrays handled), then the visible page (`<h1>`, `<title>`, `<time>`,
//! `.byline`, `rel=author`). Language: `<html lang>`, `og:locale`, JSON-LD
//! `inLanguage`, else [`guess_language`] from the script of the text. One walk
//! over the document; pure; must not panic on any input.

use chrono::{DateTime, Utc};
use scraper::{Html, Node};
use serde_json::Value;
use url::Url;

use crate::model::canonicalize;
use crate::parse::parse_date;

/// Longest byline kept: longer "bylines" are paragraphs picked up by mistake.
const MAX_BYLINE: usize = 120;

/// What the page says about itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Meta {
    pub title: Option<String>,
    pub byline: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub canonical_url: Option<String>,
    pub outlet: Option<String>,
    /// Primary language subtag, lower-case (`en`, `fa`), from the markup.
    pub language: Option<String>,
    /// Where relative links resolve: `<base href>` against the page URL, else the page URL.
    pub base: Option<Url>,
}

/// Everything gathered in the walk, before choosing.
#[derive(Default)]
struct Found {
    og_title: Option<String>,
    og_site: Option<String>,
    og_url: Option<String>,
    og_locale: Option<String>,
    html_lang: Option<String>,
    meta_author: Option<String>,
    meta_published: Option<String>,
    canonical: Option<String>,
    base_href: Option<String>,
    title_tag: Option<String>,
    /// The alt text of the site's logo image.
    logo_alt: Option<String>,
    h1: Option<String>,
    rel_author: Option<String>,
    byline_el: Option<String>,
    time: Option<String>,
    time_is_published: bool,
    ld: Ld,
}

/// The fields read from JSON-LD article objects (first found wins).
#[derive(Default)]
struct Ld {
    headline: Option<String>,
    author: Option<String>,
    published: Option<String>,
    publisher: Option<String>,
    url: Option<String>,
    language: Option<String>,
}

/// Reads the metadata of `doc`, fetched from `page_url`.
pub(crate) fn read_meta(doc: &Html, page_url: Option<&Url>) -> Meta {
    let found = walk(doc);
    let base = found
        .base_href
        .as_deref()
        .and_then(|href| Url::options().base_url(page_url).parse(href.trim()).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https" | "file"))
        .or_else(|| page_url.cloned());
    let outlet = clean(found.og_site.as_deref())
        .or_else(|| clean(found.ld.publisher.as_deref()))
        .or_else(|| found.title_tag.as_deref().and_then(title_outlet))
        .or_else(|| found.logo_alt.as_deref().and_then(logo_outlet));
    let title = clean(found.og_title.as_deref())
        .or_else(|| clean(found.ld.headline.as_deref()))
        .or_else(|| clean(found.h1.as_deref()))
        .or_else(|| clean(found.title_tag.as_deref()))
        .map(|t| strip_site_suffix(&t, outlet.as_deref()));
    let byline = [&found.meta_author, &found.ld.author, &found.rel_author, &found.byline_el]
        .into_iter()
        .find_map(|candidate| candidate.as_deref().and_then(clean_byline));
    let published = [&found.meta_published, &found.ld.published, &found.time]
        .into_iter()
        .find_map(|candidate| candidate.as_deref().and_then(parse_date));
    let canonical_url = [&found.canonical, &found.og_url, &found.ld.url]
        .into_iter()
        .find_map(|candidate| candidate.as_deref().and_then(|raw| canonicalize(raw, base.as_ref())));
    let language = [&found.html_lang, &found.og_locale, &found.ld.language]
        .into_iter()
        .find_map(|candidate| candidate.as_deref().and_then(primary_subtag));
    Meta { title, byline, published, canonical_url, outlet, language, base }
}

fn walk(doc: &Html) -> Found {
    let mut found = Found::default();
    for node in doc.tree.root().descendants() {
        let Node::Element(element) = node.value() else { continue };
        let attr = |name: &str| element.attr(name);
        match element.name() {
            "html" => set(&mut found.html_lang, attr("lang").or_else(|| attr("xml:lang"))),
            "meta" => {
                let key = attr("property").or_else(|| attr("name")).or_else(|| attr("itemprop")).unwrap_or_default();
                let content = attr("content").or_else(|| attr("datetime"));
                match key.to_ascii_lowercase().as_str() {
                    "og:title" | "twitter:title" => set(&mut found.og_title, content),
                    "og:site_name" | "application-name" => set(&mut found.og_site, content),
                    "og:url" => set(&mut found.og_url, content),
                    "og:locale" | "language" | "content-language" => set(&mut found.og_locale, content),
                    "author" | "byl" | "dc.creator" | "sailthru.author" | "parsely-author" | "article:author" => {
                        set(&mut found.meta_author, content.filter(|c| !c.contains("://")));
                    }
                    "article:published_time"
                    | "datepublished"
                    | "pubdate"
                    | "publishdate"
                    | "date"
                    | "dc.date"
                    | "dc.date.issued"
                    | "sailthru.date"
                    | "parsely-pub-date"
                    | "og:published_time"
                    | "article.published" => {
                        set(&mut found.meta_published, content);
                    }
                    _ => {}
                }
                if attr("http-equiv").is_some_and(|h| h.eq_ignore_ascii_case("content-language")) {
                    set(&mut found.og_locale, content);
                }
            }
            "link" | "a" => {
                let rel = attr("rel").unwrap_or_default();
                let rels = || rel.split_ascii_whitespace();
                if element.name() == "link" && rels().any(|r| r.eq_ignore_ascii_case("canonical")) {
                    set(&mut found.canonical, attr("href"));
                }
                if element.name() == "a"
                    && rels().any(|r| r.eq_ignore_ascii_case("author"))
                    && found.rel_author.is_none()
                {
                    found.rel_author = Some(text_of(node));
                }
            }
            "base" => set(&mut found.base_href, attr("href")),
            "title" if found.title_tag.is_none() && !in_svg(node) => found.title_tag = Some(text_of(node)),
            "h1" if found.h1.is_none() => found.h1 = Some(text_of(node)),
            "img" if found.logo_alt.is_none() && is_logo(node) => set(&mut found.logo_alt, attr("alt")),
            "time" => {
                let published = attr("itemprop").is_some_and(|p| p.eq_ignore_ascii_case("datePublished"))
                    || attr("class").is_some_and(|c| c.to_ascii_lowercase().contains("publish"));
                // The first `<time>`, unless a later one says it is the publication date.
                if let Some(datetime) = attr("datetime")
                    && (found.time.is_none() || (published && !found.time_is_published))
                {
                    found.time = Some(datetime.to_owned());
                    found.time_is_published = published;
                }
            }
            "script" if attr("type").is_some_and(|t| t.trim().eq_ignore_ascii_case("application/ld+json")) => {
                if let Ok(value) = serde_json::from_str::<Value>(&text_of_raw(node)) {
                    read_ld(&value, &mut found.ld, 0);
                }
            }
            _ => {
                if found.byline_el.is_none()
                    && attr("class")
                        .is_some_and(|c| c.to_ascii_lowercase().split_ascii_whitespace().any(|w| w.contains("byline")))
                {
                    let text = text_of(node);
                    if !text.is_empty() {
                        found.byline_el = Some(text);
                    }
                }
            }
        }
    }
    found
}

/// An image that is the site's logo: it, or one of its three nearest
/// ancestors (the header link around it), says "logo" in its class or id.
fn is_logo(node: ego_tree::NodeRef<'_, Node>) -> bool {
    let own_src = node.value().as_element().and_then(|e| e.attr("src")).is_some_and(|src| {
        let file = src.rsplit('/').next().unwrap_or_default();
        file.to_ascii_lowercase().contains("logo")
    });
    own_src
        || std::iter::once(node).chain(node.ancestors()).take(4).filter_map(|n| n.value().as_element()).any(|e| {
            [e.attr("class"), e.attr("id")].into_iter().flatten().any(|v| v.to_ascii_lowercase().contains("logo"))
        })
}

/// The outlet a logo's alt text names: "Example News logo" → "Example
/// News"; words that describe the image rather than name the site give none.
fn logo_outlet(alt: &str) -> Option<String> {
    let text = clean(Some(alt))?;
    // "Catch it Kansas - Content - News": the site's name leads.
    let text = [" | ", " - ", " – ", " — "]
        .iter()
        .fold(text.as_str(), |t, separator| t.split(separator).next().unwrap_or(t))
        .trim()
        .to_owned();
    let lower = text.to_lowercase();
    let name = ["logo", "home", "homepage", "home page"]
        .iter()
        .fold(text.as_str(), |t, w| {
            let cut = t.len().saturating_sub(w.len());
            match t.get(cut..) {
                Some(tail) if tail.eq_ignore_ascii_case(w) => t[..cut].trim_end_matches([' ', '-', '–', '|']),
                _ => t,
            }
        })
        .trim();
    let words = name.split_whitespace().count();
    let generic = matches!(lower.as_str(), "logo" | "home" | "site logo" | "homepage" | "image");
    ((1..=6).contains(&words) && !generic).then(|| name.to_owned())
}

fn set(slot: &mut Option<String>, value: Option<&str>) {
    if slot.is_none()
        && let Some(value) = value.map(str::trim).filter(|v| !v.is_empty())
    {
        *slot = Some(value.to_owned());
    }
}

fn in_svg(node: ego_tree::NodeRef<'_, Node>) -> bool {
    node.ancestors().any(|a| a.value().as_element().is_some_and(|e| e.name() == "svg"))
}

/// Visible text of an element, whitespace collapsed.
fn text_of(node: ego_tree::NodeRef<'_, Node>) -> String {
    let mut out = String::new();
    for text in node.descendants().filter_map(|n| n.value().as_text()) {
        for word in text.split_whitespace() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
    }
    out
}

/// Raw text of a script element (JSON-LD), untouched.
fn text_of_raw(node: ego_tree::NodeRef<'_, Node>) -> String {
    node.children().filter_map(|n| n.value().as_text()).map(|t| &**t).collect()
}

/// Reads article fields from a JSON-LD value: an object, an array, or an `@graph`.
fn read_ld(value: &Value, ld: &mut Ld, depth: usize) {
    // Real pages nest a few levels; the cap keeps hostile input cheap.
    if depth > 6 {
        return;
    }
    match value {
        Value::Array(items) => items.iter().for_each(|item| read_ld(item, ld, depth + 1)),
        Value::Object(map) => {
            if let Some(graph) = map.get("@graph") {
                read_ld(graph, ld, depth + 1);
            }
            if !is_article_type(map.get("@type")) {
                return;
            }
            set(&mut ld.headline, map.get("headline").or_else(|| map.get("name")).and_then(Value::as_str));
            if ld.author.is_none() {
                ld.author = map.get("author").and_then(names);
            }
            set(&mut ld.published, map.get("datePublished").or_else(|| map.get("dateCreated")).and_then(Value::as_str));
            if ld.publisher.is_none() {
                ld.publisher = map.get("publisher").and_then(names);
            }
            set(&mut ld.url, map.get("url").and_then(Value::as_str));
            if ld.url.is_none() {
                let entity = map.get("mainEntityOfPage");
                set(
                    &mut ld.url,
                    entity
                        .and_then(Value::as_str)
                        .or_else(|| entity.and_then(|e| e.get("@id")).and_then(Value::as_str)),
                );
            }
            set(&mut ld.language, map.get("inLanguage").and_then(Value::as_str));
        }
        _ => {}
    }
}

fn is_article_type(kind: Option<&Value>) -> bool {
    let is = |s: &str| {
        s.ends_with("Article")
            || matches!(s, "BlogPosting" | "Report" | "LiveBlogPosting" | "OpinionNewsArticle" | "Blog")
    };
    match kind {
        Some(Value::String(s)) => is(s),
        Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).any(is),
        _ => false,
    }
}

/// A name, or the names of a list of people or organizations, joined.
fn names(value: &Value) -> Option<String> {
    let one = |v: &Value| match v {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Object(map) => map.get("name").and_then(Value::as_str).map(|s| s.trim().to_owned()),
        _ => None,
    };
    let list: Vec<String> = match value {
        Value::Array(items) => items.iter().filter_map(one).collect(),
        other => one(other).into_iter().collect(),
    };
    let list: Vec<String> = list.into_iter().filter(|s| !s.is_empty() && !s.contains("://")).collect();
    match list.len() {
        0 => None,
        1 => list.into_iter().next(),
        _ => Some(list.join(", ")),
    }
}

fn clean(value: Option<&str>) -> Option<String> {
    let value = value?;
    let collapsed = value.split_whitespace().collect::<Vec<_>>().join(" ");
    let decoded = crate::sanitize::decode_entities(&collapsed);
    (!decoded.is_empty()).then_some(decoded)
}

/// "By Jane Doe and John Roe" → "Jane Doe and John Roe"; URLs and paragraphs are no bylines.
fn clean_byline(raw: &str) -> Option<String> {
    let text = clean(Some(raw))?;
    let lower = text.to_lowercase();
    let text = if lower.starts_with("by ") { text[3..].trim().to_owned() } else { text };
    if text.is_empty() || text.len() > MAX_BYLINE || text.contains("://") {
        return None;
    }
    Some(text)
}

/// The site a `<title>` names after its last separator ("Story title |
/// Outlet", "Story title – Outlet"): a short segment written as a name (its
/// first letter not lower case, so "Roundup – latest stories" names no
/// outlet) after a headline of three words or more.
fn title_outlet(title: &str) -> Option<String> {
    // The rightmost separator of any kind: "Opinion | Headline - Outlet".
    let last = [" | ", " – ", " — ", " - "]
        .into_iter()
        .filter_map(|separator| title.rfind(separator).map(|at| (at, separator)))
        .max_by_key(|&(at, _)| at);
    let (at, separator) = last?;
    let (head, tail) = (&title[..at], title[at + separator.len()..].trim());
    let words = tail.split_whitespace().count();
    // A site's domain is its name too ("— www.wday.ru").
    let domain = words == 1 && tail.contains('.') && !tail.ends_with('.');
    let named = domain || tail.chars().find(|c| c.is_alphanumeric()).is_some_and(|c| !c.is_lowercase());
    ((1..=5).contains(&words) && head.split_whitespace().count() >= 3 && named && !tail.ends_with(['.', '?', '!']))
        .then(|| tail.to_owned())
}

/// "Story title | Outlet" → "Story title", when the suffix is the outlet or the
/// title is long enough that the last segment is clearly a site name.
fn strip_site_suffix(title: &str, outlet: Option<&str>) -> String {
    for separator in [" | ", " - ", " – ", " — ", " :: ", " « ", " » "] {
        if let Some((head, tail)) = title.rsplit_once(separator) {
            let tail = tail.trim();
            let is_outlet = outlet.is_some_and(|o| tail.eq_ignore_ascii_case(o.trim()));
            let short_tail = tail.split_whitespace().count() <= 4 && head.split_whitespace().count() >= 3;
            if is_outlet || (separator == " | " && short_tail) {
                return head.trim().to_owned();
            }
        }
    }
    title.to_owned()
}

/// `en-US`, `fa_IR`, `EN` → `en`, `fa`, `en`.
fn primary_subtag(tag: &str) -> Option<String> {
    let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    (primary.len() >= 2 && primary.len() <= 3 && primary.chars().all(|c| c.is_ascii_alphabetic())).then_some(primary)
}

/// A cheap language guess from the writing system, with a few function words
/// to tell the common Latin-script languages apart. `None` when unsure.
pub fn guess_language(text: &str) -> Option<&'static str> {
    let mut counts = [0u32; 10];
    let mut persian = 0u32;
    for c in text.chars().take(20_000) {
        let slot = match c {
            'a'..='z' | 'A'..='Z' | '\u{c0}'..='\u{24f}' => 0,
            '\u{600}'..='\u{6ff}' | '\u{750}'..='\u{77f}' | '\u{fb50}'..='\u{fdff}' | '\u{fe70}'..='\u{feff}' => {
                // Letters Persian has and Arabic does not (pe, che, zhe, gaf), and Persian yeh/keheh.
                persian += u32::from(matches!(c, 'پ' | 'چ' | 'ژ' | 'گ' | 'ی' | 'ک'));
                1
            }
            '\u{400}'..='\u{4ff}' => 2,
            '\u{590}'..='\u{5ff}' => 3,
            '\u{370}'..='\u{3ff}' => 4,
            '\u{3040}'..='\u{30ff}' => 5,
            '\u{ac00}'..='\u{d7af}' | '\u{1100}'..='\u{11ff}' => 6,
            '\u{4e00}'..='\u{9fff}' => 7,
            '\u{e00}'..='\u{e7f}' => 8,
            '\u{900}'..='\u{97f}' => 9,
            _ => continue,
        };
        counts[slot] += 1;
    }
    let (slot, &count) = counts.iter().enumerate().max_by_key(|&(_, c)| *c)?;
    if count < 20 {
        return None;
    }
    match slot {
        0 => guess_latin(text),
        1 => Some(if persian * 50 >= count { "fa" } else { "ar" }),
        2 => Some(if text.contains('і') || text.contains('ї') || text.contains('є') { "uk" } else { "ru" }),
        3 => Some("he"),
        4 => Some("el"),
        // Japanese text mixes kana with kanji; kana alone decides.
        5 => Some("ja"),
        6 => Some("ko"),
        7 => Some(if counts[5] > 0 { "ja" } else { "zh" }),
        8 => Some("th"),
        _ => Some("hi"),
    }
}

/// The Latin-script language whose commonest words occur most often.
fn guess_latin(text: &str) -> Option<&'static str> {
    const WORDS: &[(&str, &[&str])] = &[
        ("en", &["the", "and", "of", "to", "is", "that", "with", "was", "for", "said"]),
        ("fr", &["le", "la", "les", "et", "des", "est", "une", "dans", "pour", "que", "du"]),
        ("de", &["der", "die", "und", "das", "ist", "nicht", "mit", "sich", "ein", "den", "auf"]),
        ("es", &["el", "los", "las", "y", "es", "del", "una", "por", "con", "para", "que"]),
        ("it", &["il", "di", "che", "della", "per", "sono", "una", "gli", "non", "nel"]),
        ("pt", &["o", "os", "da", "do", "em", "não", "uma", "para", "com", "que", "dos"]),
        ("nl", &["de", "het", "een", "van", "en", "niet", "op", "dat", "zijn", "voor"]),
    ];
    let mut scores = [0u32; WORDS.len()];
    for word in text.split(|c: char| !c.is_alphabetic()).take(5_000) {
        if word.is_empty() || word.len() > 8 {
            continue;
        }
        let lower = word.to_lowercase();
        for (i, (_, list)) in WORDS.iter().enumerate() {
            if list.contains(&lower.as_str()) {
                scores[i] += 1;
            }
        }
    }
    let (best, &score) = scores.iter().enumerate().max_by_key(|&(_, s)| *s)?;
    let second = scores.iter().enumerate().filter(|&(i, _)| i != best).map(|(_, s)| *s).max().unwrap_or(0);
    (score >= 5 && score >= second + second / 2).then(|| WORDS[best].0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(html: &str) -> Meta {
        let url = Url::parse("https://www.example.com/news/story.html").expect("valid");
        read_meta(&Html::parse_document(html), Some(&url))
    }

    #[test]
    fn the_rightmost_title_separator_and_a_domain_name_the_outlet() {
        assert_eq!(
            title_outlet("Opinion | Republicans Are Following Him - The Daily Ledger").as_deref(),
            Some("The Daily Ledger")
        );
        assert_eq!(title_outlet("A long story about the harbour — www.example.ru").as_deref(), Some("www.example.ru"));
        assert_eq!(title_outlet("Roundup – latest stories"), None);
    }

    #[test]
    fn a_logo_alt_names_the_outlet_when_nothing_before_it_does() {
        let m = meta(
            r#"<html><head><title>Home</title></head><body><header><a class="site-logo" href="/">
            <img src="l.png" alt="Riverton Ledger logo"></a></header><img src="x.png" alt="A bridge"></body></html>"#,
        );
        assert_eq!(m.outlet.as_deref(), Some("Riverton Ledger"));
        let plain = meta(r#"<html><body><img class="hero" src="x.png" alt="A bridge at dusk"></body></html>"#);
        assert_eq!(plain.outlet, None);
        let generic = meta(r#"<html><body><img id="logo" src="x.png" alt="logo"></body></html>"#);
        assert_eq!(generic.outlet, None);
        let site = meta(
            r#"<html><head><meta property="og:site_name" content="OG Name"></head>
            <body><img class="logo" alt="Other"></body></html>"#,
        );
        assert_eq!(site.outlet.as_deref(), Some("OG Name"));
        let by_src = meta(
            r#"<html><body><img src="/images/logo-tsr.gif" alt="The Harbour Review - Home - News"></body></html>"#,
        );
        assert_eq!(by_src.outlet.as_deref(), Some("The Harbour Review"));
    }

    #[test]
    fn title_suffix_names_the_outlet_when_nothing_else_does() {
        let m = meta("<title>Main Street bike lanes stay, with loading zones | Riverton Ledger</title>");
        assert_eq!(m.outlet.as_deref(), Some("Riverton Ledger"));
        let listing = meta("<title>Regional News Roundup – latest stories</title>");
        assert_eq!(listing.outlet, None);
        let short = meta("<title>Budget – Council</title>");
        assert_eq!(short.outlet, None);
    }

    #[test]
    fn open_graph_beats_json_ld_beats_page() {
        let m = meta(
            r#"<html lang="en-GB"><head><title>Story | Example News</title>
            <meta property="og:title" content="OG headline"><meta property="og:site_name" content="Example News">
            <script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"WebSite"},
              {"@type":"NewsArticle","headline":"LD headline","author":[{"@type":"Person","name":"Jane Doe"},{"name":"John Roe"}],
               "datePublished":"2024-03-05T10:00:00+01:00","publisher":{"name":"Example Publisher"}}]}</script>
            <link rel="canonical" href="/news/story.html?utm_source=x#top"></head><body><h1>H1</h1></body></html>"#,
        );
        assert_eq!(m.title.as_deref(), Some("OG headline"));
        assert_eq!(m.outlet.as_deref(), Some("Example News"));
        assert_eq!(m.byline.as_deref(), Some("Jane Doe, John Roe"));
        assert_eq!(m.published.map(|d| d.to_rfc3339()).as_deref(), Some("2024-03-05T09:00:00+00:00"));
        assert_eq!(m.canonical_url.as_deref(), Some("https://www.example.com/news/story.html"));
        assert_eq!(m.language.as_deref(), Some("en"));
    }

    #[test]
    fn falls_back_to_visible_page() {
        let m = meta(
            r#"<html><head><title>Council votes to expand bus program | City Paper</title></head><body>
            <p class="byline">By  Sam Lee</p><time datetime="2024-01-02">Jan 2</time></body></html>"#,
        );
        assert_eq!(m.title.as_deref(), Some("Council votes to expand bus program"));
        assert_eq!(m.byline.as_deref(), Some("Sam Lee"));
        assert!(m.published.is_some());
        assert_eq!(m.language, None);
    }

    #[test]
    fn base_href_changes_where_links_resolve() {
        let m = meta(r#"<html><head><base href="https://cdn.example.net/a/"></head></html>"#);
        assert_eq!(m.base.map(String::from).as_deref(), Some("https://cdn.example.net/a/"));
    }

    #[test]
    fn broken_json_ld_is_ignored() {
        let m =
            meta(r#"<script type="application/ld+json">{"@type": "NewsArticle", "headline": </script><h1>Plain</h1>"#);
        assert_eq!(m.title.as_deref(), Some("Plain"));
    }

    #[test]
    fn guesses_language_by_script() {
        assert_eq!(guess_language("دولت ایران روز گذشته اعلام کرد که برنامه جدیدی برای اقتصاد کشور دارد"), Some("fa"));
        assert_eq!(guess_language("قالت الحكومة المصرية اليوم إنها ستعلن عن خطة جديدة للاقتصاد الوطني"), Some("ar"));
        assert_eq!(
            guess_language("The council said that the plan is ready and the vote was held with the mayor of the town"),
            Some("en")
        );
        assert_eq!(
            guess_language("Le conseil a dit que le plan est prêt et que la ville et les habitants sont dans la joie"),
            Some("fr")
        );
        assert_eq!(guess_language("ok"), None);
    }
}
