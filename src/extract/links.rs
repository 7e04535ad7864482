//! Outbound links of an article: the anchors inside its main content, with
//! canonical URL, anchor text, the sentence around them, domain and whether
//! they leave the site.
//!
//! Only anchors that survived boilerplate removal are seen, so navigation,
//! footers and share bars are mostly gone already; what is left out here is
//! what looks like furniture anyway: share intents, tag/category/author pages
//! (by `rel` or path), in-page `#fragments`, non-web schemes, links in
//! captions (photo credits) and links back to the page itself. One entry per
//! canonical URL, the first occurrence. Pure; must not panic on any input.

use std::collections::HashSet;
use std::ops::Range;

use url::Url;

use super::content::Content;
use super::{Block, BlockKind};
use crate::model::Link;
use crate::model::canonicalize;

/// Path segments of listing pages rather than articles.
const LISTING_SEGMENTS: &[&str] =
    &["tag", "tags", "category", "categories", "author", "authors", "topic", "topics", "section"];

/// `host/path-prefix` of share intents.
const SHARE_INTENTS: &[&str] = &[
    "facebook.com/sharer",
    "facebook.com/share",
    "facebook.com/dialog/share",
    "twitter.com/intent",
    "twitter.com/share",
    "x.com/intent",
    "x.com/share",
    "linkedin.com/sharearticle",
    "linkedin.com/shareArticle",
    "linkedin.com/cws/share",
    "reddit.com/submit",
    "pinterest.com/pin/create",
    "api.whatsapp.com/send",
    "web.whatsapp.com/send",
    "wa.me/",
    "t.me/share",
    "telegram.me/share",
    "news.ycombinator.com/submitlink",
    "tumblr.com/share",
    "bsky.app/intent",
];

/// The outbound links of `content`; `page` is the article's own URL (for
/// internal/external and self-links), `base` resolves relative hrefs.
pub(crate) fn outbound_links(content: &Content<'_>, base: Option<&Url>, page: Option<&Url>) -> Vec<Link> {
    let page_host = page.and_then(Url::host_str).map(bare_host);
    let page_canonical = page.map(|p| crate::model::canonical_url(p).to_string());
    let mut seen = HashSet::new();
    let mut links = Vec::new();
    for anchor in &content.anchors {
        let Some(block) = content.blocks.get(anchor.block) else { continue };
        if block.kind == BlockKind::Caption {
            continue;
        }
        let href = anchor.href.trim();
        if href.is_empty() || href.starts_with('#') {
            continue;
        }
        if anchor.rel.is_some_and(|rel| {
            rel.split_ascii_whitespace().any(|r| r.eq_ignore_ascii_case("tag") || r.eq_ignore_ascii_case("author"))
        }) {
            continue;
        }
        let Some(url) = canonicalize(href, base) else { continue };
        let Ok(parsed) = Url::parse(&url) else { continue };
        if !matches!(parsed.scheme(), "http" | "https") || is_share_intent(&parsed) || is_listing(&parsed) {
            continue;
        }
        if block.kind == BlockKind::Embed && !is_post_link(&parsed) {
            continue;
        }
        if page_canonical.as_deref() == Some(url.as_str()) || !seen.insert(url.clone()) {
            continue;
        }
        let domain = parsed.host_str().map(bare_host).unwrap_or_default().to_owned();
        let external = page_host.is_none_or(|host| !host.eq_ignore_ascii_case(&domain));
        let text = block.text.get(anchor.span.clone()).unwrap_or_default().to_owned();
        links.push(Link { url, text, context: sentence_around(block, &anchor.span), domain, external });
    }
    links
}

/// A host without its leading `www.`, so `www.example.com` and `example.com` are one site.
fn bare_host(host: &str) -> &str {
    host.strip_prefix("www.").unwrap_or(host)
}

fn is_share_intent(url: &Url) -> bool {
    let host = bare_host(url.host_str().unwrap_or_default());
    let host = host.strip_prefix("m.").unwrap_or(host);
    let joined = format!("{host}{}", url.path()).to_ascii_lowercase();
    SHARE_INTENTS.iter().any(|intent| joined.starts_with(&intent.to_ascii_lowercase()))
}

/// Tag, category, topic and author pages: `/tag/x`, `/category/x/`, `/author/jane`.
fn is_listing(url: &Url) -> bool {
    let Some(mut segments) = url.path_segments() else { return false };
    let segments: Vec<&str> = segments.by_ref().filter(|s| !s.is_empty()).collect();
    // `/tag/x` or `/news/tag/x`, not an article slug that happens to be "section".
    segments.len() >= 2
        && segments.iter().rev().skip(1).take(2).any(|s| LISTING_SEGMENTS.contains(&s.to_ascii_lowercase().as_str()))
}

/// In an embedded post, only the link to the post itself names a source.
fn is_post_link(url: &Url) -> bool {
    let path = url.path();
    path.contains("/status/")
        || path.starts_with("/p/")
        || path.starts_with("/reel/")
        || path.contains("/video/")
        || path.contains("/post/")
}

/// The sentence of `block` that contains `span`: from the end of the previous
/// sentence (terminator followed by a space) to the end of the next.
fn sentence_around(block: &Block, span: &Range<usize>) -> String {
    let text = &block.text;
    let start = span.start.min(text.len());
    let end = span.end.min(text.len()).max(start);
    let is_end = |c: char| matches!(c, '.' | '!' | '?' | '。' | '！' | '？' | '؟' | '…');
    let mut from = 0;
    let before = text.get(..start).unwrap_or_default();
    let mut previous: Option<char> = None;
    for (at, c) in before.char_indices().rev() {
        if c.is_whitespace() && previous.is_some_and(|p| !p.is_whitespace()) {
            // `at` is a space; a terminator before it ends the previous sentence.
            if before[..at].chars().next_back().is_some_and(is_end) {
                from = at + c.len_utf8();
                break;
            }
        }
        previous = Some(c);
    }
    let mut to = text.len();
    let after = text.get(end..).unwrap_or_default();
    let mut chars = after.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if is_end(c) && chars.peek().is_none_or(|&(_, next)| next.is_whitespace()) {
            to = end + at + c.len_utf8();
            break;
        }
    }
    text.get(from..to).unwrap_or(text).trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::content::Anchor;

    fn content(text: &str, anchors: &[(&'static str, &str)]) -> Content<'static> {
        let mut out = Content {
            blocks: vec![Block {
                kind: BlockKind::Paragraph,
                text: text.to_owned(),
                link_spans: vec![],
                q_spans: vec![],
                account: None,
            }],
            anchors: vec![],
        };
        for (href, words) in anchors {
            let start = text.find(words).expect("anchor text in block");
            out.anchors.push(Anchor { block: 0, span: start..start + words.len(), href, rel: None });
        }
        out
    }

    #[test]
    fn resolves_dedupes_and_classifies() {
        let page = Url::parse("https://www.example.com/news/a.html").expect("valid");
        let c = content(
            "First sentence here. The report by the agency was damning. Later the agency replied.",
            &[
                ("../data/report.pdf?utm_source=x", "report"),
                ("https://other.org/x", "agency"),
                ("/data/report.pdf", "replied"),
            ],
        );
        let links = outbound_links(&c, Some(&page), Some(&page));
        assert_eq!(links.len(), 2);
        assert_eq!(links[0].url, "https://www.example.com/data/report.pdf");
        assert_eq!(links[0].context, "The report by the agency was damning.");
        assert!(!links[0].external);
        assert_eq!(links[0].domain, "example.com");
        assert!(links[1].external);
        assert_eq!(links[1].domain, "other.org");
    }

    #[test]
    fn leaves_out_furniture_links() {
        let page = Url::parse("https://example.com/a").expect("valid");
        let c = content(
            "Share on Facebook or Twitter, see tag, by author, jump, mail, script, self.",
            &[
                ("https://www.facebook.com/sharer/sharer.php?u=x", "Facebook"),
                ("https://twitter.com/intent/tweet?text=x", "Twitter"),
                ("/tag/politics", "tag"),
                ("/author/jane-doe", "author"),
                ("#section-2", "jump"),
                ("mailto:a@b.c", "mail"),
                ("javascript:void(0)", "script"),
                ("https://example.com/a#top", "self"),
            ],
        );
        assert!(outbound_links(&c, Some(&page), Some(&page)).is_empty());
    }

    #[test]
    fn sentence_of_a_link_at_the_start_or_end() {
        let block = Block {
            kind: BlockKind::Paragraph,
            text: "One. Two three".into(),
            link_spans: vec![],
            q_spans: vec![],
            account: None,
        };
        assert_eq!(sentence_around(&block, &(0..3)), "One.");
        assert_eq!(sentence_around(&block, &(9..14)), "Two three");
    }
}
