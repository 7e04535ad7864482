//! Building the messages Gleaner mails (pure: no I/O, no clock; the date and
//! ids come in as arguments): an issue as multipart text + HTML with the
//! RFC 8058 one-click unsubscribe headers, a double opt-in confirmation, and
//! the operator's test message.

use std::time::SystemTime;

use lettre::Message;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use scraper::{Html, Node};

/// Why a message could not be built (an address or header lettre refused).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the message to {to}: {reason}")]
pub struct MessageError {
    pub to: String,
    pub reason: String,
}

/// `List-Unsubscribe` (RFC 2369): where a mail client's unsubscribe button goes.
#[derive(Clone)]
struct ListUnsubscribe(String);

impl lettre::message::header::Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post` (RFC 8058): the client may unsubscribe with one POST.
#[derive(Clone)]
struct ListUnsubscribePost;

impl lettre::message::header::Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}

/// `List-Id` (RFC 2919): lets clients group and filter the digest.
#[derive(Clone)]
struct ListId(String);

impl lettre::message::header::Header for ListId {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Id")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// One issue as mailed to one subscriber.
pub struct IssueMail<'a> {
    pub from: &'a Mailbox,
    pub to: &'a str,
    pub subject: &'a str,
    /// The issue page with its CSS inlined ([`inline_css`]), the footer added.
    pub html: &'a str,
    pub text: &'a str,
    /// This subscriber's unsubscribe URL (its token in it).
    pub unsubscribe_url: &'a str,
    /// `<issue-N.subscriber-hash@from-domain>`: the same on every attempt,
    /// so a receiving system can tell a retried copy from a new message.
    pub message_id: String,
    pub list_id: &'a str,
    pub date: SystemTime,
}

fn mailbox(to: &str) -> Result<Mailbox, MessageError> {
    to.parse().map_err(|e: lettre::address::AddressError| MessageError { to: to.to_owned(), reason: e.to_string() })
}

fn built(to: &str, result: Result<Message, lettre::error::Error>) -> Result<Message, MessageError> {
    result.map_err(|e| MessageError { to: to.to_owned(), reason: e.to_string() })
}

/// The issue message: `multipart/alternative` with the text part first (the
/// least preferred, RFC 2046), then the HTML.
pub fn issue_message(mail: &IssueMail<'_>) -> Result<Message, MessageError> {
    let to = mailbox(mail.to)?;
    let footer_text = format!("\n\n--\nUnsubscribe: {}\n", mail.unsubscribe_url);
    let html = with_footer(mail.html, mail.unsubscribe_url);
    let body = MultiPart::alternative()
        .singlepart(SinglePart::plain(format!("{}{footer_text}", mail.text)))
        .singlepart(SinglePart::html(html));
    built(
        mail.to,
        Message::builder()
            .from(mail.from.clone())
            .to(to)
            .subject(mail.subject)
            .date(mail.date)
            .message_id(Some(mail.message_id.clone()))
            .header(ListId(mail.list_id.to_owned()))
            .header(ListUnsubscribe(format!("<{}>", mail.unsubscribe_url)))
            .header(ListUnsubscribePost)
            .multipart(body),
    )
}

/// The double opt-in message: a link that confirms the subscription.
pub fn confirmation_message(
    from: &Mailbox,
    to: &str,
    list_title: &str,
    confirm_url: &str,
    expires_hours: i64,
    date: SystemTime,
) -> Result<Message, MessageError> {
    let text = format!(
        "Someone (we hope you) asked to receive {list_title} by email at this address.\n\n\
         To confirm, open this link within {expires_hours} hours:\n{confirm_url}\n\n\
         If it was not you, ignore this message: nothing will be sent without confirmation.\n"
    );
    built(
        to,
        Message::builder()
            .from(from.clone())
            .to(mailbox(to)?)
            .subject(format!("Confirm your subscription to {list_title}"))
            .date(date)
            .header(ContentType::TEXT_PLAIN)
            .body(text),
    )
}

/// `gleaner mail test ADDRESS`.
pub fn test_message(from: &Mailbox, to: &str, date: SystemTime) -> Result<Message, MessageError> {
    built(
        to,
        Message::builder()
            .from(from.clone())
            .to(mailbox(to)?)
            .subject("Gleaner mail test")
            .date(date)
            .header(ContentType::TEXT_PLAIN)
            .body("This is a test message from Gleaner: the [mail] settings work.\n".to_owned()),
    )
}

/// Moves the page's `<style>` rules into `style` attributes: Gmail and
/// Outlook drop or rewrite `<style>` blocks, but keep inline styles.
pub fn inline_css(html: &str) -> String {
    let inliner = css_inline::CSSInliner::options().load_remote_stylesheets(false).keep_style_tags(false).build();
    // The page is ours and well formed; should inlining fail anyway, the page
    // as written (with its <style>) is still a fine message.
    inliner.inline(html).unwrap_or_else(|_| html.to_owned())
}

fn with_footer(html: &str, unsubscribe_url: &str) -> String {
    let url = crate::sanitize::escape_text(unsubscribe_url);
    let footer = format!(
        "<hr><p style=\"font-size:.85rem;color:#666\">You receive this because you subscribed. \
         <a href=\"{url}\">Unsubscribe</a>.</p>"
    );
    match html.rfind("</body>") {
        Some(at) => format!("{}{footer}{}", &html[..at], &html[at..]),
        None => format!("{html}{footer}"),
    }
}

/// The text part: the issue page's visible text with a line per block and
/// each link's address after its text (`title <https://…>`), for clients
/// that show no HTML.
pub fn html_to_mail_text(html: &str) -> String {
    let document = Html::parse_document(html);
    let mut out = String::new();
    walk(document.tree.root(), &mut out);
    let mut text = String::with_capacity(out.len());
    let mut blank = 0;
    for line in out.lines().map(str::trim_end) {
        if line.trim().is_empty() {
            blank += 1;
            if blank == 1 && !text.is_empty() {
                text.push('\n');
            }
            continue;
        }
        blank = 0;
        text.push_str(line.trim_start());
        text.push('\n');
    }
    text.trim_end().to_owned() + "\n"
}

/// One step of the walk over the issue page: entering a node, or leaving
/// an element (where its closing text goes).
enum Step<'a> {
    Enter(ego_tree::NodeRef<'a, Node>),
    Leave(ego_tree::NodeRef<'a, Node>),
}

/// Writes the visible text under `root` into `out`. An explicit stack, not
/// recursion, as every tree walk here: the page is ours, but its commentary
/// is an editor's markup.
fn walk(root: ego_tree::NodeRef<'_, Node>, out: &mut String) {
    // A blockquote's text is gathered in its own buffer, then quoted line by line.
    let mut buffers = vec![std::mem::take(out)];
    let mut steps = vec![Step::Enter(root)];
    while let Some(step) = steps.pop() {
        match step {
            Step::Enter(node) => match node.value() {
                Node::Text(text) => {
                    let collapsed: Vec<&str> = text.split_whitespace().collect();
                    let current = buffers.last_mut().expect("the outermost buffer is never popped");
                    if !collapsed.is_empty() {
                        if text.starts_with(char::is_whitespace)
                            && !current.ends_with([' ', '\n'])
                            && !current.is_empty()
                        {
                            current.push(' ');
                        }
                        current.push_str(&collapsed.join(" "));
                        if text.ends_with(char::is_whitespace) {
                            current.push(' ');
                        }
                    }
                }
                Node::Element(element) => {
                    let name = element.name();
                    if matches!(name, "script" | "style" | "head" | "title") {
                        continue;
                    }
                    if crate::sanitize::is_block(name) {
                        buffers.last_mut().expect("the outermost buffer is never popped").push_str("\n\n");
                    }
                    if name == "blockquote" {
                        buffers.push(String::new());
                    }
                    steps.push(Step::Leave(node));
                    steps.extend(node.children().rev().map(Step::Enter));
                }
                _ => steps.extend(node.children().rev().map(Step::Enter)),
            },
            Step::Leave(node) => {
                let Node::Element(element) = node.value() else { continue };
                let name = element.name();
                if name == "blockquote"
                    && buffers.len() > 1
                    && let Some(inner) = buffers.pop()
                {
                    let current = buffers.last_mut().expect("the outermost buffer is never popped");
                    for line in inner.lines().map(str::trim).filter(|l| !l.is_empty()) {
                        current.push_str("> ");
                        current.push_str(line);
                        current.push('\n');
                    }
                }
                let current = buffers.last_mut().expect("the outermost buffer is never popped");
                if name == "a"
                    && let Some(href) = element.attr("href")
                    && href.starts_with("http")
                {
                    current.push_str(" <");
                    current.push_str(href);
                    current.push('>');
                }
                if crate::sanitize::is_block(name) {
                    current.push_str("\n\n");
                }
            }
        }
    }
    *out = buffers.swap_remove(0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deeply_nested_markup_needs_no_deep_stack() {
        let depth = 100_000;
        let html = format!("{}deep{}", "<span>".repeat(depth), "</span>".repeat(depth));
        // A thread with a small stack: a recursive walk overflows it.
        let text = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || html_to_mail_text(&html))
            .expect("thread")
            .join()
            .expect("no stack overflow");
        assert_eq!(text, "deep\n");
    }

    #[test]
    fn text_part_keeps_blocks_and_link_addresses() {
        let html = "<html><head><style>p{color:red}</style></head><body><h1>Digest 3</h1>\
            <p>First <a href=\"https://example.org/a\">story</a>.</p><blockquote><p>Quoted</p></blockquote></body></html>";
        let text = html_to_mail_text(html);
        assert!(text.contains("Digest 3\n"), "{text}");
        assert!(text.contains("First story <https://example.org/a>."), "{text}");
        assert!(text.contains("\n> Quoted\n"), "{text}");
        assert!(!text.contains("color:red"), "{text}");
    }

    #[test]
    fn inlining_moves_style_rules_into_attributes() {
        let html = "<html><head><style>h1 { color: #a33; }</style></head><body><h1>T</h1></body></html>";
        let inlined = inline_css(html);
        assert!(inlined.contains("style=\"color: #a33;\""), "{inlined}");
        assert!(!inlined.contains("<style>"), "{inlined}");
    }
}
