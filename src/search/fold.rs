//! How search sees a character: the spelling variants that one language
//! writes two ways folded to one, so a query finds every spelling.
//!
//! Persian text arrives with Arabic yeh and kaf (ي ك, from Arabic keyboards
//! and some agencies) as often as with Persian yeh and keheh (ی ک), with or
//! without the zero-width non-joiner between a word's parts (می‌گوید and
//! میگوید), with tatweel stretching and short-vowel marks, and with
//! Arabic-Indic or Persian digits. Latin accents are folded after this step
//! by the index's analyzer (tantivy's ASCII folding filter, which knows every
//! Latin letter); combining accents are dropped here, so a decomposed "é"
//! folds like a precomposed one.
//!
//! Pure: no I/O. Used by the index's tokenizer and by the query parser, so
//! both sides of a match fold alike.

/// Characters that belong to a word but carry no letter of their own: they
/// join or decorate, and dropping them is what makes spellings meet.
pub fn is_silent(c: char) -> bool {
    matches!(c,
        '\u{200C}' | '\u{200D}'     // zero-width non-joiner, joiner
        | '\u{00AD}'                // soft hyphen
        | '\u{0640}'                // tatweel
        | '\u{064B}'..='\u{065F}'   // Arabic short vowels, shadda, sukun
        | '\u{0670}'                // superscript alef
        | '\u{0300}'..='\u{036F}'   // combining Latin accents
    )
}

/// Whether `c` is part of a word: a letter or digit, or a silent joiner/mark.
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_silent(c)
}

/// Appends `c` as search compares it: silent characters dropped, Arabic-script
/// variants and digits folded, everything lower-cased.
pub fn push_folded(c: char, out: &mut String) {
    match c {
        c if is_silent(c) => {}
        // Arabic yeh and alef maksura → Persian yeh; Arabic kaf → keheh.
        '\u{064A}' | '\u{0649}' => out.push('\u{06CC}'),
        '\u{0643}' => out.push('\u{06A9}'),
        // Arabic-Indic and Persian digits → ASCII, so "۱۴۰۳" finds "1403".
        '\u{0660}'..='\u{0669}' => out.push(char::from(b'0' + digit(c, 0x0660))),
        '\u{06F0}'..='\u{06F9}' => out.push(char::from(b'0' + digit(c, 0x06F0))),
        c => out.extend(c.to_lowercase()),
    }
}

fn digit(c: char, zero: u32) -> u8 {
    u8::try_from(u32::from(c) - zero).expect("the match arm bounds the digit to 0..=9")
}

/// A whole string folded ([`push_folded`] on each character).
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_folded(c, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persian_spellings_meet() {
        assert_eq!(fold("ميگويد"), fold("می‌گوید"));
        assert_eq!(fold("كتاب"), fold("کتاب"));
        assert_eq!(fold("مـــجلس"), fold("مجلس"), "tatweel");
        assert_eq!(fold("مُحَمَّد"), fold("محمد"), "short vowels");
        assert_eq!(fold("۱۴۰۳ و ١٤٠٣"), "1403 و 1403");
    }

    #[test]
    fn case_and_combining_accents_fold() {
        assert_eq!(fold("Tehran"), "tehran");
        assert_eq!(fold("Cafe\u{301}"), "cafe", "a decomposed accent is dropped");
    }

    #[test]
    fn joiners_are_word_characters() {
        assert!(is_word_char('\u{200C}'));
        assert!(is_word_char('ی'));
        assert!(!is_word_char('-'));
        assert!(!is_word_char(' '));
    }
}
