//! What markup says about an element before any text is counted: its role in
//! the layout (block, inline, never content) and what its class, id and tag
//! hint (boilerplate, caption, pull quote, embedded post).

use scraper::node::Element;

use super::Flags;

/// What the class, id and tag say about an element.
// Independent facts read from one name; an enum would forbid the combinations
// real pages have (an embed inside a caption box).
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Hints {
    /// ±25 per positive/negative hint, as Readability weighs them.
    pub(super) weight: i32,
    /// Boilerplate by its name (comments, share bar, cookie banner ...).
    pub(super) unlikely: bool,
    /// Of the unlikely ones, boilerplate whatever it holds: comments,
    /// sharing, sign-ups, consent, ads, menus, sidebars (see [`HARD`]).
    pub(super) hard: bool,
    pub(super) caption: bool,
    pub(super) pull_quote: bool,
    pub(super) embed: bool,
    /// Named as a comment thread.
    pub(super) comments: bool,
    /// Named as a header (`site-header`, `PageSection_header`).
    pub(super) header: bool,
}

pub(super) fn is_block(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "body"
            | "caption"
            | "center"
            | "dd"
            | "details"
            | "div"
            | "dl"
            | "dt"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "header"
            | "hgroup"
            | "hr"
            | "html"
            | "li"
            | "main"
            | "menu"
            | "nav"
            | "ol"
            | "p"
            | "pre"
            | "section"
            | "summary"
            | "table"
            | "tbody"
            | "td"
            | "tfoot"
            | "th"
            | "thead"
            | "tr"
            | "ul"
    )
}

/// Tags whose subtree is never article text.
pub(super) fn never_content(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "noscript"
            | "template"
            | "svg"
            | "math"
            | "iframe"
            | "object"
            | "embed"
            | "canvas"
            | "video"
            | "audio"
            | "map"
            | "select"
            | "textarea"
            | "input"
            | "button"
            | "nav"
            | "footer"
            | "head"
            | "title"
            | "meta"
            | "link"
            | "dialog"
            | "header"
            | "label"
            | "menu"
    )
}

/// ARIA roles of boilerplate landmarks.
pub(super) fn boilerplate_role(role: &str) -> bool {
    matches!(
        role.trim().to_ascii_lowercase().as_str(),
        "navigation"
            | "menu"
            | "menubar"
            | "complementary"
            | "dialog"
            | "alertdialog"
            | "alert"
            | "banner"
            | "contentinfo"
            | "search"
    )
}

/// How an element takes part in the layout of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// Never content: its subtree is not read at all.
    Skip,
    /// Starts and ends a block of text.
    Block,
    /// Runs inside the surrounding block.
    Inline,
}

/// Where an element sits, as far as its role depends on it.
// Independent facts about one position (a `<noscript>` inside a section that
// holds `<main>`); an enum would forbid the combinations real pages have.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Place {
    /// The document's first element.
    pub(super) root: bool,
    /// It encloses the page's `<main>` (or `[role=main]`): a page that lost
    /// its closing `</aside>` or `</header>` puts the body inside it, and
    /// the body is never boilerplate.
    pub(super) holds_main: bool,
    /// A `<noscript>` whose content was parsed as markup (the page was read
    /// with scripting off because it keeps its body there for crawlers).
    pub(super) markup: bool,
    /// Inside a `<section>`.
    pub(super) in_section: bool,
}

pub(super) fn role_of(element: &Element, name: &str, hints: Hints, flags: Flags, place: Place) -> Role {
    if place.root || matches!(name, "html" | "body") {
        return Role::Block;
    }
    if name == "noscript" && place.markup {
        return Role::Block;
    }
    if place.holds_main && !never_content(name) && !hidden(element) {
        return if is_block(name) { Role::Block } else { Role::Inline };
    }
    if place.holds_main && matches!(name, "header" | "footer" | "nav") {
        return Role::Block;
    }
    let keep = hints.pull_quote || hints.embed || hints.caption;
    if never_content(name) || (name == "aside" && !keep) {
        return Role::Skip;
    }
    if hidden(element) || element.attr("role").is_some_and(boilerplate_role) {
        return Role::Skip;
    }
    if flags.skip_comments && hints.comments && !matches!(name, "article" | "main" | "body") {
        return Role::Skip;
    }
    if flags.strip_unlikely && hints.unlikely && !keep && !matches!(name, "article" | "main" | "a") {
        return Role::Skip;
    }
    if is_block(name) { Role::Block } else { Role::Inline }
}

/// Hidden from readers: the `hidden` attribute, `aria-hidden`, or an inline
/// style that hides it. React's streaming renderer is the exception: it sends
/// server-rendered content as `<div hidden id="S:0">` islands that a script
/// moves into place, so they are the page's content, not hidden furniture.
pub(super) fn hidden(element: &Element) -> bool {
    if element.attr("hidden").is_some() && !element.id().is_some_and(|id| id.starts_with("S:")) {
        return true;
    }
    if element.attr("aria-hidden").is_some_and(|v| v.trim().eq_ignore_ascii_case("true")) {
        return true;
    }
    element.attr("style").is_some_and(|style| {
        let compact: String = style.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
        // Not `visibility:hidden`, as Readability.js does not: sites hide the
        // whole page that way until their styles load (a flash-of-unstyled-
        // content guard), and a menu hidden so is read and scored away anyway.
        compact.contains("display:none")
    })
}

/// Blanks `overflow-hidden`, `overflow-x-hidden` and `overflow-y-hidden`
/// in place (same length), so that only boxes named hidden read as hidden.
fn blank_overflow_hidden(buf: &mut String) {
    let mut from = 0;
    while let Some(found) = buf[from..].find("overflow-") {
        let start = from + found;
        let mut end = start + "overflow-".len();
        if buf[end..].starts_with("x-") || buf[end..].starts_with("y-") {
            end += 2;
        }
        if buf[end..].starts_with("hidden") {
            end += "hidden".len();
            buf.replace_range(start..end, &"_".repeat(end - start));
        }
        from = end;
    }
}

/// A semantic container of the main content: `<main>`, `<article>`,
/// `[role=main]`, or schema.org's `articleBody`/`text` properties.
pub(super) fn landmark(element: &Element, name: &str) -> bool {
    matches!(name, "main" | "article")
        || element.attr("role").is_some_and(|r| r.trim().eq_ignore_ascii_case("main"))
        || element.attr("itemprop").is_some_and(|p| {
            p.split_ascii_whitespace().any(|w| matches!(w, "articleBody" | "text" | "reviewBody" | "mainEntity"))
        })
}

/// Words in class or id that mark boilerplate less surely than [`HARD`]'s:
/// a box so named is read, and kept only with a body's worth of prose.
/// Matched, like [`HARD`]'s, as substrings of the lower-cased `class id` text.
pub(super) const SOFT: &[&str] = &[
    "banner",
    "masthead",
    "skyscraper",
    "shoutbox",
    "byline",
    "dateline",
    "timestamp",
    "toolbar",
    "trending",
    "most-popular",
    "mostpopular",
    "more-stories",
    "read-more",
    "readmore",
    "widget",
    "header",
    "author-bio",
    "author-info",
    "community",
    "supplemental",
    "rss",
    "tags",
    // Layout wrappers are named for the sidebar they hold beside the body
    // (`sidebar-container`, `page-with-sidebar`): read, kept when they hold it.
    "sidebar",
];

/// Class or id words that make an element boilerplate even when it holds
/// paragraphs of prose: a comment thread or a newsletter pitch is prose too.
/// Other unlikely names (`header`, `byline`, `widget`, `meta` ...) are read,
/// and kept only when they hold a body's worth of prose.
pub(super) const HARD: &[&str] = &[
    "comment",
    "disqus",
    "replies",
    "remark",
    "related",
    "recommend",
    "newsletter",
    "subscribe",
    "signup",
    "sign-up",
    "cookie",
    "consent",
    "gdpr",
    "share",
    "sharing",
    "social",
    "promo",
    "sponsor",
    "advert",
    "outbrain",
    "taboola",
    "popup",
    "modal",
    "paywall",
    "agegate",
    "footer",
    "menu",
    "navbar",
    "navigation",
    "breadcrumb",
    "pagination",
    "pager",
    "sr-only",
    "visually-hidden",
    "visuallyhidden",
    "print-only",
];

/// Words that keep an element despite an unlikely word ("article-header" is not a page header).
pub(super) const MAYBE: &[&str] = &["article", "body", "content", "main", "story", "column", "entry"];

pub(super) const POSITIVE: &[&str] =
    &["article", "body", "content", "entry", "hentry", "h-entry", "main", "page", "post", "text", "blog", "story"];

pub(super) const NEGATIVE: &[&str] = &[
    "hidden",
    "banner",
    "combx",
    "comment",
    "com-",
    "contact",
    "footer",
    "gdpr",
    "masthead",
    "media",
    "meta",
    "outbrain",
    "promo",
    "related",
    "scroll",
    "share",
    "shoutbox",
    "sidebar",
    "skyscraper",
    "sponsor",
    "shopping",
    "tags",
    // Layout wrappers are named for the sidebar they hold beside the body
    // (`sidebar-container`, `page-with-sidebar`): read, kept when they hold it.
    "sidebar",
    "widget",
    "byline",
    "author",
    "newsletter",
    "cookie",
    "social",
    "caption",
    "credit",
];

/// Whole words (between separators) of class or id that mark boilerplate.
pub(super) const UNLIKELY_WORDS: &[&str] =
    &["ad", "ads", "nav", "hide", "hidden", "meta", "date", "author", "credit", "tag", "topics"];

pub(super) const EMBED_CLASSES: &[&str] = &[
    "twitter-tweet",
    "twitter-video",
    "instagram-media",
    "tiktok-embed",
    "fb-post",
    "fb-xfbml",
    "reddit-card",
    "reddit-embed",
    "bluesky-embed",
    "mastodon-embed",
    "text-post-media",
];

pub(super) fn hints(element: &Element, name: &str, buf: &mut String, thread: bool) -> Hints {
    let class = element.attr("class").unwrap_or_default();
    let id = element.attr("id").unwrap_or_default();
    if class.is_empty() && id.is_empty() {
        return Hints { caption: matches!(name, "figcaption" | "caption"), ..Hints::default() };
    }
    buf.clear();
    buf.push_str(class);
    buf.push(' ');
    buf.push_str(id);
    buf.make_ascii_lowercase();
    // Drupal marks every field whose label is not shown `field--label-hidden`:
    // the label is hidden, not the field (often the article body itself).
    // Blanked in place, so the class and id slices below keep their lengths.
    while let Some(at) = buf.find("label-hidden") {
        buf.replace_range(at..at + "label-hidden".len(), "label_______");
    }
    // Utility classes (`overflow-hidden`, `overflow-x-hidden`) clip a box's
    // overflow; they do not hide the box.
    blank_overflow_hidden(buf);
    // Bootstrap's `hidden-print` and Foundation's `hide-for-print` hide a box
    // on paper only; on screen it is there (a thread's replies, a byline).
    for print_only in ["hidden-print", "hide-for-print"] {
        while let Some(at) = buf.find(print_only) {
            buf.replace_range(at..at + print_only.len(), &"_".repeat(print_only.len()));
        }
    }
    // On a discussion page the comment thread is the content: its boxes'
    // names say nothing against them.
    if thread {
        for word in ["comment", "replies"] {
            while let Some(at) = buf.find(word) {
                buf.replace_range(at..at + word.len(), &"_".repeat(word.len()));
            }
        }
    }
    let text = buf.as_str();
    let mut hints = Hints::default();
    // The lower-cased class and id, without allocating each again.
    for lower in [&text[..class.len()], &text[class.len() + 1..]] {
        if lower.is_empty() {
            continue;
        }
        if POSITIVE.iter().any(|w| lower.contains(w)) {
            hints.weight += 25;
        }
        if NEGATIVE.iter().any(|w| lower.contains(w)) {
            hints.weight -= 25;
        }
    }
    let words = || text.split(|c: char| !c.is_ascii_alphanumeric());
    let unlikely_word = words().any(|w| UNLIKELY_WORDS.contains(&w));
    let hard_name = HARD.iter().any(|w| text.contains(w));
    let unlikely = hard_name || SOFT.iter().any(|w| text.contains(w)) || unlikely_word;
    hints.unlikely = unlikely && !MAYBE.iter().any(|w| text.contains(w));
    // Words that mark boilerplate even inside an "article-…" name.
    if [
        "comment",
        "share",
        "social",
        "related",
        "newsletter",
        "cookie",
        "consent",
        "byline",
        "subscribe",
        "outbrain",
        "taboola",
    ]
    .iter()
    .any(|w| text.contains(w))
        || unlikely_word
    {
        hints.unlikely = true;
    }
    hints.hard = hard_name || words().any(|w| matches!(w, "ad" | "ads" | "nav" | "hide" | "hidden"));
    hints.comments = ["comment", "disqus", "replies"].iter().any(|w| text.contains(w));
    hints.header = text.contains("header");
    hints.embed = EMBED_CLASSES.iter().any(|w| text.contains(w));
    hints.pull_quote = text.contains("pullquote") || text.contains("pull-quote") || text.contains("pull_quote");
    hints.caption = matches!(name, "figcaption" | "caption")
        || words().any(|w| w == "caption" || w.ends_with("caption") || w == "credit" || w.ends_with("credits"))
        || text.contains("caption-text")
        || text.contains("wp-caption");
    if hints.caption && matches!(name, "figure" | "body" | "article" | "main") {
        hints.caption = false;
    }
    hints
}
