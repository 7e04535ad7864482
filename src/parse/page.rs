//! Plain web pages read with a source's CSS selectors → [`ParsedFeed`].
//!
//! For sites without a feed: each `item` match becomes an entry; its link is
//! resolved against `<base href>` or the page URL (HTML §4.2.3), its summary
//! sanitized like a feed's. Entries without a usable link are skipped with a
//! warning (an item must point somewhere to be read). Pure: the selectors were
//! validated at config load, so nothing here can fail on them.

use std::sync::LazyLock;

use scraper::{ElementRef, Html, Selector};
use url::Url;

use super::{ParseError, ParseInput, ParsedFeed, ParsedItem, charset, date};
use crate::model::PageSelectors;
use crate::sanitize::{Sanitizer, html_to_text};

static ANCHOR: LazyLock<Selector> = LazyLock::new(|| Selector::parse("a[href]").expect("static selector is valid"));
static TIME: LazyLock<Selector> = LazyLock::new(|| Selector::parse("time").expect("static selector is valid"));
static BASE: LazyLock<Selector> = LazyLock::new(|| Selector::parse("base[href]").expect("static selector is valid"));
static TITLE: LazyLock<Selector> = LazyLock::new(|| Selector::parse("title").expect("static selector is valid"));

/// Parses a listing page with `selectors`. Fails only on an empty body.
pub fn parse_page(bytes: &[u8], selectors: &PageSelectors, input: &ParseInput<'_>) -> Result<ParsedFeed, ParseError> {
    let (text, _) = charset::decode(bytes, input.content_type);
    if text.trim().is_empty() {
        return Err(ParseError::Empty);
    }
    // Bounded first: html5ever is quadratic on deep nesting and attribute floods.
    let bounded = crate::sanitize::bound_markup(&text);
    let document = Html::parse_document(&bounded.html);
    let base = document
        .select(&BASE)
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|href| Url::options().base_url(input.url).parse(href.trim()).ok())
        .or_else(|| input.url.cloned());
    let sanitizer = Sanitizer::new(base.as_ref());
    let mut items = Vec::new();
    let mut warnings: Vec<String> = bounded.note().into_iter().collect();
    for (index, element) in document.select(&selectors.item).enumerate() {
        match read_item(element, selectors, base.as_ref(), &sanitizer, input, &mut warnings) {
            Some(item) => items.push(item),
            None => warnings.push(format!("item {} has no usable link; skipped", index + 1)),
        }
    }
    if items.is_empty() && !bounded.changed() && warnings.is_empty() {
        warnings.push("the item selector matched nothing".to_owned());
    }
    let root = document.root_element();
    Ok(ParsedFeed {
        format: "html".to_owned(),
        title: document.select(&TITLE).next().map(|t| html_to_text(&t.inner_html())).filter(|t| !t.is_empty()),
        link: input.url.map(ToString::to_string),
        language: root.value().attr("lang").map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned),
        items,
        warnings,
    })
}

fn read_item(
    element: ElementRef<'_>,
    selectors: &PageSelectors,
    base: Option<&Url>,
    sanitizer: &Sanitizer,
    input: &ParseInput<'_>,
    warnings: &mut Vec<String>,
) -> Option<ParsedItem> {
    let link_element = match &selectors.link {
        Some(selector) => element.select(selector).next(),
        None if element.value().name() == "a" && element.value().attr("href").is_some() => Some(element),
        None => element.select(&ANCHOR).next(),
    }?;
    // A link selector may land on a wrapper (`h2.title`); its first anchor is meant.
    let href = link_element
        .value()
        .attr("href")
        .or_else(|| link_element.select(&ANCHOR).next().and_then(|a| a.value().attr("href")))?;
    let url = super::item_link(href, base)?;
    let title = selectors
        .title
        .as_ref()
        .and_then(|s| element.select(s).next())
        .map(|t| text_of(t))
        .filter(|t| !t.is_empty())
        .or_else(|| Some(text_of(link_element)).filter(|t| !t.is_empty()))
        .or_else(|| link_element.value().attr("title").map(|t| t.trim().to_owned()))
        .unwrap_or_default();
    let date_element = match &selectors.date {
        Some(selector) => element.select(selector).next(),
        None => element.select(&TIME).next(),
    };
    let published = date_element.and_then(|d| {
        let raw = d.value().attr("datetime").map_or_else(|| text_of(d), |v| v.trim().to_owned());
        let parsed = date::parse_date(&raw);
        if parsed.is_none() && !raw.is_empty() {
            warnings.push(format!("unparseable date {:?}", raw.chars().take(80).collect::<String>()));
        }
        parsed
    });
    let summary = selectors
        .summary
        .as_ref()
        .and_then(|s| element.select(s).next())
        .map(|s| sanitizer.clean(&s.inner_html()))
        .unwrap_or_default();
    Some(ParsedItem {
        guid: None,
        url: Some(url),
        title,
        authors: Vec::new(),
        published: published.unwrap_or(input.fetched_at),
        updated: None,
        summary,
        content: String::new(),
        published_is_fetch_time: published.is_none(),
    })
}

fn text_of(element: ElementRef<'_>) -> String {
    element.text().collect::<Vec<_>>().join(" ").split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn selectors(
        item: &str,
        title: Option<&str>,
        link: Option<&str>,
        date: Option<&str>,
        summary: Option<&str>,
    ) -> PageSelectors {
        let s = |x: &str| Selector::parse(x).expect("valid selector");
        PageSelectors {
            item: s(item),
            title: title.map(s),
            link: link.map(s),
            date: date.map(s),
            summary: summary.map(s),
        }
    }

    #[test]
    fn reads_items_with_base_href_and_defaults() {
        let html = r#"<html lang="en"><head><title>News</title><base href="/articles/"></head><body>
            <article><h2><a href="one.html?utm_source=x">First &amp; best</a></h2>
              <time datetime="2024-02-03T04:05:06Z">Feb 3</time><p class="s">Sum <script>x()</script></p></article>
            <article><h2>No link here</h2></article></body></html>"#;
        let url = Url::parse("https://site.example/news/").expect("valid");
        let input = ParseInput { url: Some(&url), content_type: None, fetched_at: Utc::now() };
        let feed =
            parse_page(html.as_bytes(), &selectors("article", None, None, None, Some("p.s")), &input).expect("parses");
        assert_eq!(feed.format, "html");
        assert_eq!(feed.title.as_deref(), Some("News"));
        assert_eq!(feed.language.as_deref(), Some("en"));
        assert_eq!(feed.items.len(), 1);
        let item = &feed.items[0];
        assert_eq!(item.url.as_deref(), Some("https://site.example/articles/one.html"));
        assert_eq!(item.title, "First & best");
        assert_eq!(item.published, Utc.with_ymd_and_hms(2024, 2, 3, 4, 5, 6).single().expect("valid"));
        assert_eq!(item.summary, "Sum");
        assert_eq!(feed.warnings, ["item 2 has no usable link; skipped"]);
    }

    #[test]
    fn explicit_selectors_and_text_dates() {
        let html = r#"<ul><li><span class="t">Title</span><span class="l"><a href="https://e.org/x">more</a></span>
            <span class="d">Mon, 05 Feb 2024 10:00:00 GMT</span></li></ul>"#;
        let input = ParseInput { url: None, content_type: None, fetched_at: Utc::now() };
        let feed = parse_page(html.as_bytes(), &selectors("li", Some(".t"), Some(".l"), Some(".d"), None), &input)
            .expect("ok");
        assert_eq!(feed.items[0].title, "Title");
        assert_eq!(feed.items[0].url.as_deref(), Some("https://e.org/x"));
        assert!(!feed.items[0].published_is_fetch_time);
    }
}
