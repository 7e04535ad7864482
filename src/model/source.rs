//! A source as the operator configured it, validated and ready to use.

use regex::Regex;
use scraper::Selector;
use url::Url;

use super::Schedule;

/// What a source's URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// RSS 0.9x/1.0/2.0, Atom 0.3/1.0 or JSON Feed 1.x.
    Feed,
    /// A plain web page read with CSS selectors.
    Page,
}

/// Compiled CSS selectors for a `page` source. The raw text is kept for display.
#[derive(Debug, Clone)]
pub struct PageSelectors {
    /// One match per item on the page.
    pub item: Selector,
    /// Inside an item: the element whose text is the title (default: the link).
    pub title: Option<Selector>,
    /// Inside an item: the `<a href>` of the item (default: the first `a[href]`).
    pub link: Option<Selector>,
    /// Inside an item: a `<time datetime>` or an element whose text is a date.
    pub date: Option<Selector>,
    /// Inside an item: the summary element.
    pub summary: Option<Selector>,
}

/// Include/exclude patterns: case-insensitive regular expressions matched
/// against an item's title, URL and summary text.
#[derive(Debug, Clone, Default)]
pub struct TextFilter {
    pub include: Vec<Regex>,
    pub exclude: Vec<Regex>,
}

impl TextFilter {
    /// An item is kept when it matches any include pattern (or there are none)
    /// and no exclude pattern.
    pub fn accepts(&self, haystacks: &[&str]) -> bool {
        let hit = |re: &Regex| haystacks.iter().any(|h| re.is_match(h));
        (self.include.is_empty() || self.include.iter().any(hit)) && !self.exclude.iter().any(hit)
    }
}

/// One entry of the operators' source list.
#[derive(Debug, Clone)]
pub struct Source {
    /// Stable slug; items and fetch state are keyed by it.
    pub id: String,
    pub name: String,
    /// http, https or file (already resolved against the config file's folder).
    pub url: Url,
    pub kind: SourceKind,
    pub section: Option<String>,
    /// BCP 47 tag the operator asserts, used when the feed says nothing.
    pub language: Option<String>,
    pub schedule: Schedule,
    /// Fetch each item's article page for extraction.
    pub follow: bool,
    /// Present exactly when `kind == Page`.
    pub selectors: Option<PageSelectors>,
    pub filter: TextFilter,
    pub enabled: bool,
    /// For a `file` source only: the public address the file stands for (the
    /// offline demo's `https://example.org/...`). Its relative links resolve
    /// against this, so items carry public links, and an article link under
    /// it is read from the matching local file ([`Source::local_page`]).
    pub public_url: Option<Url>,
    /// How the body of this source's article pages is chosen.
    pub rules: ExtractRules,
    /// Fetch settings for this source's requests only.
    pub fetch: FetchOverrides,
}

/// Per-source extraction rules, as Miniflux's scraper rules and `FiveFilters`'
/// site configs give them: they replace the automatic choice of the body.
#[derive(Debug, Clone, Default)]
pub struct ExtractRules {
    /// Selects the body; every match, in document order, is the article text.
    /// Empty: the automatic extractor chooses, after `strip`.
    pub content: Vec<Selector>,
    /// Removed from the page before anything else (ads, "read more" boxes).
    pub strip: Vec<Selector>,
    /// The "next page" link of an article split over several pages.
    pub follow_next: Option<Selector>,
}

impl ExtractRules {
    pub fn is_empty(&self) -> bool {
        self.content.is_empty() && self.strip.is_empty() && self.follow_next.is_none()
    }
}

/// Per-source fetch settings for sites that refuse a default client. They
/// override `[fetch]` for this source's requests only, and are sent only to
/// the host each request started at: never after a redirect to another.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchOverrides {
    pub user_agent: Option<String>,
    /// Extra request headers (name, value), checked to be valid HTTP.
    pub headers: Vec<(String, String)>,
    /// A cookie file (Netscape `cookies.txt`, as curl and browser add-ons
    /// export it, or one `name=value; name2=value2` line), read at each fetch
    /// so a refreshed file needs no reload.
    pub cookie_file: Option<std::path::PathBuf>,
}

impl FetchOverrides {
    pub fn is_empty(&self) -> bool {
        self.user_agent.is_none() && self.headers.is_empty() && self.cookie_file.is_none()
    }
}

impl Source {
    /// The local file an article `link` stands for, when this is a `file`
    /// source with a `public_url` and `link` lies on the same site: the
    /// link's path relative to `public_url`, applied to the source's file URL.
    pub fn local_page(&self, link: &Url) -> Option<Url> {
        let public = self.public_url.as_ref()?;
        if self.url.scheme() != "file" || public.origin() != link.origin() {
            return None;
        }
        let relative = public.make_relative(link)?;
        self.url.join(&relative).ok().filter(|local| local.scheme() == "file")
    }
}
