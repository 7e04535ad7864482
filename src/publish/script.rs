//! Writing direction and attribution frames by language, so a Persian entry
//! reads right to left with Persian punctuation while an English one beside
//! it does not change.
//!
//! Pure: a language tag in, markup or a direction out. The digest's own
//! words around a quote ("Speaker, in Outlet: “…”") take the punctuation
//! and quotation marks of the quote's language; the speaker and outlet are
//! wrapped in `<bdi>` (HTML §4.5.24) so a Latin outlet name inside a Persian
//! sentence, or a Persian name inside an English one, cannot reorder the
//! text around it. Main entry points: [`direction`], [`Frame`].

use crate::sanitize::escape_text;

/// The primary subtag of a BCP 47 tag, lower-cased ("fa-IR" → "fa").
fn primary(lang: &str) -> String {
    lang.trim().split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase()
}

/// Languages written in the Arabic script (ISO 639-1/-3 codes). Kurdish
/// (`ku`) is left out: its Kurmanji majority writes in Latin letters.
const ARABIC_SCRIPT: [&str; 11] = ["ar", "fa", "ur", "ps", "ckb", "sd", "ug", "prs", "azb", "ks", "pnb"];
/// Other right-to-left scripts: Hebrew, Yiddish, Thaana.
const OTHER_RTL: [&str; 3] = ["he", "yi", "dv"];

/// Whether `lang` is written in the Arabic script.
pub fn is_arabic_script(lang: &str) -> bool {
    ARABIC_SCRIPT.contains(&primary(lang).as_str())
}

/// The `dir` attribute for text in `lang`: `rtl` for right-to-left scripts,
/// else `auto` (the browser decides from the first strong character, which
/// is right for unknown languages and mixed text too).
pub fn direction(lang: Option<&str>) -> &'static str {
    match lang.map(primary) {
        Some(p) if ARABIC_SCRIPT.contains(&p.as_str()) || OTHER_RTL.contains(&p.as_str()) => "rtl",
        _ => "auto",
    }
}

/// The words and marks the digest puts around a quote in one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    /// Between speaker and "in Outlet".
    pub comma: &'static str,
    /// "in" after the speaker.
    pub in_word: &'static str,
    /// "In" opening the attribution when there is no speaker.
    pub in_capital: &'static str,
    pub via_word: &'static str,
    pub via_capital: &'static str,
    pub open: &'static str,
    pub close: &'static str,
}

const ENGLISH: Frame =
    Frame {
        comma: ", ", in_word: "in", in_capital: "In", via_word: "via", via_capital: "Via", open: "“", close: "”"
    };
/// Persian: the Arabic comma, «guillemets», "در" (in) and "به نقل از" (as relayed by).
const PERSIAN: Frame = Frame {
    comma: "، ",
    in_word: "در",
    in_capital: "در",
    via_word: "به نقل از",
    via_capital: "به نقل از",
    open: "«",
    close: "»",
};
/// Arabic: the Arabic comma, «guillemets», "في" (in) and "عبر" (via).
const ARABIC: Frame =
    Frame {
        comma: "، ", in_word: "في", in_capital: "في", via_word: "عبر", via_capital: "عبر", open: "«", close: "»"
    };

impl Frame {
    /// The frame for a quote in `lang`: Persian and Arabic have their own;
    /// every other language keeps the digest's English frame.
    pub fn for_language(lang: Option<&str>) -> Self {
        match lang.map(primary).as_deref() {
            Some("fa" | "prs") => PERSIAN,
            Some(p) if is_arabic_script(p) => ARABIC,
            _ => ENGLISH,
        }
    }

    /// The attribution as markup ("<bdi>Speaker</bdi>, in <bdi>Outlet</bdi>"),
    /// every name escaped; empty when nothing is known. The same shapes as
    /// [`super::compose::attribution`].
    pub fn attribution_html(&self, speaker: Option<&str>, outlet: Option<&str>, via: Option<&str>) -> String {
        let (speaker, outlet, via) = (non_blank(speaker), non_blank(outlet), non_blank(via));
        let bdi = |name: &str| format!("<bdi>{}</bdi>", escape_text(name));
        let mut out = match (speaker, outlet) {
            (Some(s), Some(o)) => format!("{}{}{} {}", bdi(s), self.comma, self.in_word, bdi(o)),
            (None, Some(o)) => format!("{} {}", self.in_capital, bdi(o)),
            (Some(s), None) => bdi(s),
            (None, None) => String::new(),
        };
        if let Some(via) = via.filter(|v| Some(*v) != outlet) {
            out = if out.is_empty() {
                format!("{} {}", self.via_capital, bdi(via))
            } else {
                format!("{out} ({} {})", self.via_word, bdi(via))
            };
        }
        out
    }
}

fn non_blank(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_script_languages_are_rtl_others_auto() {
        assert_eq!(direction(Some("fa")), "rtl");
        assert_eq!(direction(Some("fa-IR")), "rtl");
        assert_eq!(direction(Some("AR")), "rtl");
        assert_eq!(direction(Some("ur")), "rtl");
        assert_eq!(direction(Some("he")), "rtl");
        assert_eq!(direction(Some("fr")), "auto");
        assert_eq!(direction(Some("ku")), "auto");
        assert_eq!(direction(None), "auto");
    }

    #[test]
    fn persian_attribution_uses_the_persian_comma_and_bdi() {
        let frame = Frame::for_language(Some("fa"));
        assert_eq!(
            frame.attribution_html(Some("سارا کریمی"), Some("خبرنامه شهر"), None),
            "<bdi>سارا کریمی</bdi>، در <bdi>خبرنامه شهر</bdi>"
        );
        assert_eq!((frame.open, frame.close), ("«", "»"));
    }

    #[test]
    fn english_attribution_matches_the_plain_shapes_with_names_isolated_and_escaped() {
        let frame = Frame::for_language(Some("en"));
        assert_eq!(
            frame.attribution_html(Some("A <b>"), Some("BBC"), Some("AP")),
            "<bdi>A &lt;b&gt;</bdi>, in <bdi>BBC</bdi> (via <bdi>AP</bdi>)"
        );
        assert_eq!(frame.attribution_html(None, Some("BBC"), Some("BBC")), "In <bdi>BBC</bdi>");
        assert_eq!(frame.attribution_html(None, None, Some("AP")), "Via <bdi>AP</bdi>");
        assert_eq!(frame.attribution_html(Some(" "), None, None), "");
    }
}
