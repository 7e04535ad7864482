//! Frames from the sentences around a quote that has none of its own: the
//! sentence before it in its paragraph, or a previous paragraph ending in a
//! colon ("Jane Doe said:").
//!
//! Must not: look beyond the paragraph it is given. Main entries:
//! [`previous_sentence`], [`colon_intro`].

use super::names::{Subject, read_name, run_left, run_right};
use super::speaker::{Frame, FrameKind, WINDOW_LIMIT, cue_text, find_cue, first_person, subject_of, window_before};
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
    let mut hi = end;
    while let Some(cue) = find_cue(tokens, start, hi, true) {
        if let Some(subject) = subject_of(tokens, start, end, &cue) {
            return (subject != Subject::Unknown).then(|| frame(subject));
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
        [only] => Some(frame(Subject::Name(only.clone()))),
        _ => None,
    }
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
