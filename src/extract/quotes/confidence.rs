//! Calibrated confidence: how often an attribution found this way names the
//! right speaker. Each quote's attribution falls in one cell of where its
//! frame was found ([`Basis`]) by what kind of mention named the speaker
//! ([`Mention`]); the cell's confidence is the share of right speakers in it
//! on the `PolNeAR` training split (smoothed toward a prior, see [`TABLE`]),
//! measured with the `PolNeAR` scorer (README, "Evaluation and benchmarks") and refitted when the rules
//! change. Fitted numbers, no text: the table is the whole model.
//!
//! Must not: find speakers; it only scores what the finder found.
//! Main entry: [`calibrated`].

use super::speaker::FrameKind;

/// How an attribution was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// A frame around the quote; `adjacent` when it touches the quote.
    Frame(FrameKind, bool),
    /// The speaker of the quote before it in the same paragraph.
    SameParagraph,
    /// The last speaker of the previous paragraph (a paragraph wholly a quote).
    Continuation,
    /// A block quote's `<cite>`, caption or "— Name" line.
    Credit,
    /// An embedded post's account.
    Embed,
}

/// What kind of words named the speaker in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mention {
    /// A name of two or more words ("Jane Doe", "Sen. Tom Carper").
    FullName,
    /// One word ("Trump"), resolved to the article's fullest form.
    OneWord,
    /// A pronoun resolved to an earlier name.
    Pronoun,
    /// A description resolved to an earlier name ("the senator").
    Described,
    /// A description credited as written ("a White House spokesman").
    Phrase,
}

impl Basis {
    fn row(self) -> usize {
        match self {
            Basis::Frame(kind, adjacent) => match kind {
                FrameKind::After => usize::from(!adjacent),
                FrameKind::Before => 2 + usize::from(!adjacent),
                FrameKind::Participle => 4,
                FrameKind::Colon => 5,
                FrameKind::ColonSubject => 6,
                FrameKind::Topic => 7,
                FrameKind::NextSentence => 8,
                FrameKind::PreviousSentence => 9,
                FrameKind::ColonIntro => 10,
                FrameKind::Weak => 15,
                FrameKind::PreviousParagraph => 16,
                FrameKind::SentenceSubject => 17,
            },
            Basis::SameParagraph => 11,
            Basis::Continuation => 12,
            Basis::Credit => 13,
            Basis::Embed => 14,
        }
    }
}

impl Mention {
    fn column(self) -> usize {
        match self {
            Mention::FullName => 0,
            Mention::OneWord => 1,
            Mention::Pronoun => 2,
            Mention::Described => 3,
            Mention::Phrase => 4,
        }
    }
}

/// Confidence per [`Basis`] row and [`Mention`] column (full name, one
/// word, pronoun, resolved description, phrase). Fitted on the `PolNeAR`
/// training split's 585-article tune half as `(right + 4p) / (n + 4)` with a
/// column prior `p` (0.85, 0.85, 0.7, 0.4, 0.75); a cell measured on fewer
/// than 20 quotes stays below 0.9, so "0.9 or more" is only claimed where the
/// evidence is. The tune counts (n, right) per cell are in the comments.
/// Pronouns are rarely scored there (`PolNeAR`'s source is the pronoun itself),
/// so their column is mostly the prior. Rows 13 and 14 are set, not fitted:
/// a credit line or an embed's account is declared by the page's markup.
/// A carried attribution (same paragraph, continuation) is never surer than
/// the one it carries: the caller takes the lower of the two.
const TABLE: [[f32; 5]; 18] = [
    [0.97, 0.99, 0.61, 0.15, 0.81], // after, adjacent: (475,462) (976,964) (12,7) (7,0) (23,19)
    [0.89, 0.79, 0.70, 0.52, 0.67], // after, far: (56,50) (13,10) - (1,1) (5,3)
    [0.86, 0.94, 0.47, 0.22, 0.89], // before, near: (50,43) (110,104) (2,0) (8,1) (16,15)
    [0.74, 0.89, 0.56, 0.40, 0.80], // before, far: (10,7) (19,17) (1,0) - (1,1)
    [0.68, 0.89, 0.70, 0.40, 0.75], // participle: (1,0) (14,13)
    [0.89, 0.89, 0.70, 0.40, 0.75], // name and colon: (6,6) (4,4)
    [0.89, 0.83, 0.70, 0.40, 0.75], // colon clause subject: (2,2) (11,9)
    [0.85, 0.85, 0.70, 0.40, 0.75], // topic: no cases
    [0.65, 0.65, 0.60, 0.40, 0.60], // next sentence: no cases; below "previous"'s peers
    [0.68, 0.57, 0.60, 0.40, 0.60], // previous sentence: (1,0) (1,0)
    [0.89, 0.89, 0.70, 0.40, 0.75], // previous paragraph's colon: (5,5) (5,5)
    [0.97, 0.99, 0.80, 0.27, 0.80], // same paragraph's previous quote: (260,252) (476,474) (2,2) (2,0) (11,9)
    [0.89, 0.95, 0.56, 0.40, 0.75], // continuation paragraph: (9,9) (31,30) (1,0)
    [0.92, 0.85, 0.70, 0.40, 0.75], // credit line (set)
    [0.95, 0.95, 0.95, 0.95, 0.95], // embed account (set)
    [0.30, 0.30, 0.30, 0.30, 0.30], // a cue without a subject: never credits anyone
    [0.75, 0.80, 0.60, 0.40, 0.60], // closing sentence of the paragraph before: - (4,3); unfitted cells below its peers
    [0.60, 0.60, 0.60, 0.40, 0.60], // the quote's own sentence's subject (set): the tune 0.6 band it joins is right 30 of 47
];

/// The confidence of a speaker found by `basis` through `mention`.
pub fn calibrated(basis: Basis, mention: Mention) -> f32 {
    TABLE[basis.row()][mention.column()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_adjacent_named_frame_outranks_an_inherited_or_described_one() {
        let named = calibrated(Basis::Frame(FrameKind::After, true), Mention::OneWord);
        assert!(named >= 0.9);
        assert!(calibrated(Basis::Frame(FrameKind::After, false), Mention::OneWord) < named);
        assert!(calibrated(Basis::Frame(FrameKind::PreviousSentence, false), Mention::FullName) < 0.9);
        // A sentence's subject taken for a quote with no cue of its own is a guess.
        assert!(calibrated(Basis::Frame(FrameKind::SentenceSubject, false), Mention::FullName) < 0.9);
        assert!(calibrated(Basis::Frame(FrameKind::After, true), Mention::Pronoun) < 0.9);
        assert!(calibrated(Basis::Frame(FrameKind::After, true), Mention::Phrase) < 0.9);
    }

    #[test]
    fn every_cell_is_a_probability() {
        assert!(TABLE.iter().flatten().all(|c| (0.0..=1.0).contains(c)));
    }
}
