//! Multi-page articles and the per-source settings article fetches carry.
//!
//! A source's `follow_next` rule names the "next page" link; the pages after
//! the first are fetched one by one, like the first (same guard, same
//! limits, the same per-source settings), until there is no next link, a
//! page repeats, or [`MAX_PAGES`] are read. A page that fails ends the chain
//! with a note: the pages read so far still make the article.

use scraper::Selector;
use url::Url;

use crate::extract;
use crate::fetch::{FetchOutcome, FetchRequest, FetchedBody, Fetcher, Purpose, Validators};
use crate::model::{FetchOverrides, Source};
use crate::parse;

/// Pages of one article read at most, the first included (`FiveFilters` and
/// Miniflux stop at about this many too): a "next" link that never ends
/// (an archive's "older posts") must not fetch a whole site.
pub const MAX_PAGES: usize = 10;

/// The pages after `first` that `next` leads to, and a note when the chain
/// was cut short (a failed fetch, a non-page, or [`MAX_PAGES`] reached).
pub async fn follow_pages(
    fetcher: &Fetcher,
    first: &FetchedBody,
    next: &Selector,
    purpose: Purpose,
    overrides: Option<&FetchOverrides>,
) -> (Vec<FetchedBody>, Option<String>) {
    let mut seen = vec![first.final_url.clone()];
    let mut pages: Vec<FetchedBody> = Vec::new();
    loop {
        let last = pages.last().unwrap_or(first);
        let Some(url) = next_link(last, next) else { return (pages, None) };
        if seen.contains(&url) {
            return (pages, None);
        }
        if seen.len() >= MAX_PAGES {
            return (pages, Some(format!("multi-page article: stopped after {MAX_PAGES} pages")));
        }
        seen.push(url.clone());
        let validators = Validators::default();
        let request = FetchRequest { url: &url, validators: &validators, purpose, overrides };
        match fetcher.fetch(&request).await {
            Ok(FetchOutcome::Fetched(body)) if extract::sniff(&body.bytes, body.content_type.as_deref()).is_none() => {
                pages.push(body);
            }
            Ok(FetchOutcome::Fetched(_)) => {
                return (pages, Some(format!("multi-page article: page {url} is not an HTML page; stopped there")));
            }
            Ok(FetchOutcome::NotModified) => {
                return (pages, Some(format!("multi-page article: page {url} answered 304; stopped there")));
            }
            Err(error) => return (pages, Some(format!("multi-page article: stopped at a page that failed: {error}"))),
        }
    }
}

fn next_link(body: &FetchedBody, next: &Selector) -> Option<Url> {
    let (html, _) = parse::decode(&body.bytes, body.content_type.as_deref());
    extract::next_page(&html, Some(&body.final_url), next)
}

/// The source's fetch settings, when `page` (an item's article link) is on
/// the source's own site: its host, or a host under the same parent domain
/// (`feeds.example.org` and `www.example.org`). A feed links anywhere, and
/// its operator's cookies and headers are for that one site.
pub fn overrides_for<'a>(source: &'a Source, page: &Url) -> Option<&'a FetchOverrides> {
    if source.fetch.is_empty() {
        return None;
    }
    let own = source.url.host_str()?.to_ascii_lowercase();
    let host = page.host_str()?.to_ascii_lowercase();
    let site = match own.split_once('.') {
        Some((_, parent)) if parent.contains('.') => parent,
        _ => own.as_str(),
    };
    let on_site = host == own || host == site || host.ends_with(&format!(".{site}"));
    on_site.then_some(&source.fetch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ExtractRules, Schedule, SourceKind, TextFilter};

    fn source(url: &str) -> Source {
        Source {
            id: "s".into(),
            name: "S".into(),
            url: Url::parse(url).expect("valid url"),
            kind: SourceKind::Feed,
            section: None,
            language: None,
            schedule: Schedule::parse("*/30 * * * *").expect("valid cron"),
            follow: true,
            selectors: None,
            filter: TextFilter::default(),
            enabled: true,
            public_url: None,
            rules: ExtractRules::default(),
            fetch: FetchOverrides { user_agent: Some("Reader/1".into()), ..FetchOverrides::default() },
        }
    }

    #[test]
    fn overrides_go_to_the_sources_own_site_only() {
        let feed = source("https://feeds.example.org/rss");
        let at = |u: &str| overrides_for(&feed, &Url::parse(u).expect("valid url")).is_some();
        assert!(at("https://www.example.org/story"));
        assert!(at("https://example.org/story"));
        assert!(!at("https://example.net/story"));
        assert!(!at("https://notexample.org/story"));
        let bare = source("http://127.0.0.1:8000/feed");
        assert!(overrides_for(&bare, &Url::parse("http://127.0.0.1:9000/a").expect("valid url")).is_some());
        assert!(overrides_for(&bare, &Url::parse("http://localhost:9000/a").expect("valid url")).is_none());
    }
}
