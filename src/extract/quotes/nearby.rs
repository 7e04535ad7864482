//! Frames from the sentences around a quote that has none of its own: the
//! sentence before it in its paragraph, a previous paragraph ending in a
//! colon ("Jane Doe said:"), or the last sentence of a previous paragraph
//! that quotes nobody ("Jane Doe is upbeat about the vote.").
//!
//! Must not: look beyond the paragraph it is given. Main entries:
//! [`previous_sentence`], [`colon_intro`], [`closing_subject`].

use super::names::{Subject, read_name, run_left, run_right};
use super::speaker::{
    Frame, FrameKind, WINDOW_LIMIT, cue_text, find_cue, first_person, leading_name, subject_of, window_before,
};
use super::text::{Token, ends_sentence};
use super::via::find_via;

/// A quote opening a sentence with no frame of its own, read from the
/// sentence before it in the paragraph: "Jane Doe said the union would
/// appeal. “…”" (a cue's subject), or "Asked about it, Margaret laughs. “…”"
/// (the one person that sentence names).
pub fn previous_sentence(tokens: &[Token], qa: usize) -> Option<Frame> {
    let lo = window_before(tokens, qa);
    if lo != qa || lo == 0 || !ends_sentence(tokens, lo - 1) {
        return None;
    }
    let end = lo - 1;
    let floor = end.saturating_sub(WINDOW_LIMIT);
    let mut start = end;
    while start > floor && !ends_sentence(tokens, start - 1) {
        start -= 1;
    }
    if tokens[start..end].iter().any(|t| t.quote.is_some()) || start == end {
        return None;
    }
    let frame = |subject| Frame {
        subject,
        cue: String::new(),
        via: None,
        confidence: 0.6,
        adjacent: false,
        kind: FrameKind::PreviousSentence,
    };
    sentence_subject(tokens, start, end).map(frame)
}

/// Who the sentence `[start, end)` is about: its cue's subject, else the
/// only person it names.
fn sentence_subject(tokens: &[Token], start: usize, end: usize) -> Option<Subject> {
    let mut hi = end;
    while let Some(cue) = find_cue(tokens, start, hi, true) {
        if let Some(subject) = subject_of(tokens, start, end, &cue) {
            return (subject != Subject::Unknown).then_some(subject);
        }
        hi = cue.start;
    }
    // No cue: the only person the sentence names.
    let mut names = Vec::new();
    let mut i = start;
    while i < end {
        if tokens[i].is_capitalized() {
            let run_end = run_right(tokens, i, end).max(i + 1);
            if let Some(name) = read_name(tokens, i, run_end).filter(|n| !n.is_org()) {
                names.push(name);
            }
            i = run_end;
        } else {
            i += 1;
        }
    }
    match names.as_slice() {
        [only] => Some(Subject::Name(only.clone())),
        _ => None,
    }
}

/// Most words a quote inside a sentence may have and still be read as a
/// term ("what “go after them” means") rather than speech of its own.
const TERM_WORDS: usize = 4;

/// The speaker of a paragraph wholly a quote, read from the last sentence
/// of the paragraph before it when that paragraph quotes nobody: the
/// person the sentence opens on ("Jane Doe is upbeat about the vote."),
/// its cue's subject, or the only person it names ("… since Doe spoke
/// only in generalities."). Journalists introduce a speaker and then let
/// the quote stand alone. The flag is true when the subject is one
/// capitalized word opening the sentence, which may be a common noun
/// ("Graffiti appeared overnight."): the caller checks it is a known name.
pub fn closing_subject(tokens: &[Token]) -> Option<(Frame, bool)> {
    let mut end = tokens.len();
    while end > 0 && !tokens[end - 1].is_word() && tokens[end - 1].quote.is_none() {
        end -= 1;
    }
    let floor = end.saturating_sub(WINDOW_LIMIT);
    let mut start = end;
    while start > floor && !ends_sentence(tokens, start - 1) {
        start -= 1;
    }
    // A sentence of a word or two ("Pause.") is a stage direction or a
    // heading, not an introduction.
    let words = tokens[start..end].iter().filter(|t| t.is_word() && t.quote.is_none()).count();
    if words < 3 || tokens[start..end].iter().filter(|t| t.quote.is_some() && t.is_word()).count() > TERM_WORDS {
        return None;
    }
    // "Doe's reversals do not …": a possessive opens on what is said
    // about a person, not on its speaker.
    let possessive = |s: &Subject| match s {
        Subject::Name(name) => {
            let last = name.words.last().map_or("", String::as_str);
            tokens[start..end]
                .iter()
                .any(|t| t.is_word() && (t.text == format!("{last}'s") || t.text == format!("{last}’s")))
        }
        _ => false,
    };
    let leading = leading_name(tokens, start, end)
        .filter(|s| matches!(s, Subject::Name(_) | Subject::Pronoun(_)) && !possessive(s));
    let opens = |s: &Subject| {
        matches!(s, Subject::Name(n) if n.words.len() == 1
            && tokens[start..end].iter().find(|t| t.is_word()).is_some_and(|t| t.text == n.words[0]))
    };
    // As after a quote: a description ("Police said they were
    // investigating") is too often about something else to credit.
    let subject = leading.or_else(|| {
        sentence_subject(tokens, start, end)
            .filter(|s| matches!(s, Subject::Name(_) | Subject::Pronoun(_)) && !possessive(s))
    })?;
    let ambiguous = opens(&subject);
    let frame = Frame {
        subject,
        cue: String::new(),
        via: None,
        confidence: 0.6,
        adjacent: false,
        kind: FrameKind::PreviousParagraph,
    };
    Some((frame, ambiguous))
}

/// The speaker a paragraph ending in a colon introduces ("Jane Doe said:"),
/// read from its last sentence.
pub fn colon_intro(tokens: &[Token]) -> Option<Frame> {
    if !tokens.last().is_some_and(|t| t.is_punct(':')) {
        return None;
    }
    let end = tokens.len() - 1;
    let lo = window_before(tokens, end);
    if let Some(cue) = find_cue(tokens, lo, end, true)
        && let Some(subject) = subject_of(tokens, lo, end, &cue)
    {
        return Some(Frame {
            subject,
            cue: cue_text(tokens, &cue),
            via: find_via(tokens, lo, end),
            confidence: 0.75,
            adjacent: false,
            kind: FrameKind::ColonIntro,
        });
    }
    // No cue: the last name of the sentence ("The reply came from Jane Doe:"),
    // else its first person's full name, the subject ("Councillor Jane Doe
    // set out her objections:").
    let start = run_left(tokens, lo, end);
    let name = read_name(tokens, start, end).or_else(|| first_person(tokens, lo, end))?;
    Some(Frame {
        subject: Subject::Name(name),
        cue: String::new(),
        via: None,
        confidence: 0.6,
        adjacent: false,
        kind: FrameKind::ColonIntro,
    })
}
