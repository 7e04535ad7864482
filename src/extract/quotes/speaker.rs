//! Attribution inside one paragraph: the cue governing a quote and the
//! subject of that cue (a name, a pronoun, or a description), plus the outlet a
//! quote was relayed through.
//!
//! Frames are read from the words around the quote, outside any quote: first
//! after it (`Q, said S`; `Q, S said`; `Q, <role> S told …`), then before it
//! (`S said: Q`; `according to S, Q`), then the subject the quote's own
//! sentence opens on (`S issued a statement, Q`), then the next sentence. Resolving
//! pronouns and surnames needs the whole article and happens in the parent
//! module. Must not: look beyond its paragraph. Main type: [`Frame`].

use super::lexicon::{
    AUXILIARIES, CueClass, DESCRIPTION_NOUNS, ROLES, is_title_abbreviation, match_cue, pronoun_gender,
};
use super::lexicon::{Gender, STOP_CAPS};
use super::names::{Name, Subject, read_name, run_left, run_right};
use super::persian::{persian_coordinated, persian_left, persian_name};
use super::text::{Token, ends_sentence};
use super::via::find_via;

/// A cue and its subject, found around a quote.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub subject: Subject,
    pub cue: String,
    pub via: Option<String>,
    /// How sure the frame is (adjacent frames highest).
    pub confidence: f32,
    /// True when the frame touches the quote (only punctuation or a short
    /// subject between them), which alone makes a short span speech.
    pub adjacent: bool,
    /// Where the frame was read: what calibrates its confidence.
    pub kind: FrameKind,
}

/// Where a frame was found, relative to its quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    /// A cue after the quote in its sentence (`Q, said S`).
    After,
    /// A cue before it (`S said: Q`, `according to S, Q`).
    Before,
    /// A participle cue taking the sentence's subject (`S …, saying Q`).
    Participle,
    /// A name and a colon, no verb (`Jane Doe: Q`).
    Colon,
    /// The subject of a clause ending in a colon (`S apologized: Q`).
    ColonSubject,
    /// A viewpoint opening the sentence (`For Jane Doe, Q`).
    Topic,
    /// A cue without a subject.
    Weak,
    /// The sentence after the quote's.
    NextSentence,
    /// The sentence before the quote's.
    PreviousSentence,
    /// The previous paragraph ending in a colon.
    ColonIntro,
    /// The last sentence of a previous paragraph that quotes nobody.
    PreviousParagraph,
    /// The subject the quote's own sentence opens on, when no cue there
    /// has a subject of its own (`S issued a statement, Q`).
    SentenceSubject,
}

/// Determiners skipped before a description or a name.
const DETERMINERS: &[&str] = &[
    "the", "a", "an", "his", "her", "its", "their", "le", "la", "les", "l", "un", "une", "der", "die", "das", "dem",
    "den", "el", "los", "las", "this", "that", "one",
];

/// Words that stop a rightward search for the subject ("said on Monday").
const STOPS: &[&str] = &[
    "on", "in", "at", "to", "that", "when", "after", "before", "during", "while", "as", "with", "from", "by", "than",
    "if", "because", "but", "and", "which", "who", "it", "que", "qui", "dans", "lors", "dass", "que", "en", "لا",
];

/// A cue found in a window: token range and class.
pub(super) struct Cue {
    pub(super) start: usize,
    end: usize,
    class: CueClass,
}

/// The first cue in `[lo, hi)` (or the last when `last`), outside quotes.
pub(super) fn find_cue(tokens: &[Token], lo: usize, hi: usize, last: bool) -> Option<Cue> {
    let mut found = None;
    let mut i = lo;
    while i < hi {
        let t = &tokens[i];
        if t.is_word() && t.quote.is_none() && !capitalized_mid_sentence(tokens, i) {
            let words: Vec<&str> = tokens[i..hi]
                .iter()
                .take(4)
                .take_while(|t| t.is_word() && t.quote.is_none())
                .map(|t| t.lower.as_str())
                .collect();
            if let Some((len, class)) = match_cue(&words) {
                let cue = Cue { start: i, end: i + len, class };
                if !last {
                    return Some(cue);
                }
                i += len;
                found = Some(cue);
                continue;
            }
        }
        i += 1;
    }
    found
}

/// A capitalized word inside a sentence is a name or a noun, not a verb of
/// saying ("the United States", "Buckeye State", "the Report"); German
/// capitalizes nouns, never its verbs, so this holds there too.
fn capitalized_mid_sentence(tokens: &[Token], i: usize) -> bool {
    let starts = i == 0 || {
        let prev = &tokens[i - 1];
        !prev.is_word() && (ends_sentence(tokens, i - 1) || prev.is_punct(':') || prev.quote.is_some())
            || prev.kind == super::text::TokenKind::Mark
    };
    tokens[i].is_capitalized() && !starts
}

/// The cue as written, with a French auxiliary kept ("a déclaré").
pub(super) fn cue_text(tokens: &[Token], cue: &Cue) -> String {
    let mut words: Vec<&str> = tokens[cue.start..cue.end].iter().map(|t| t.text.as_str()).collect();
    let aux = cue.start.checked_sub(1).and_then(|p| tokens.get(p)).map(|t| t.lower.as_str());
    let aux_before_pronoun = cue.start.checked_sub(2).and_then(|p| tokens.get(p)).map(|t| t.lower.as_str());
    let participle = words.len() == 1 && words[0].ends_with('é');
    if participle && (aux == Some("a") || (matches!(aux, Some("il" | "elle")) && aux_before_pronoun == Some("a"))) {
        words.insert(0, "a");
    }
    words.join(" ")
}

/// The subject to the right of a cue ("said Jane Doe", "said the ministry").
fn subject_right(tokens: &[Token], from: usize, hi: usize) -> Option<Subject> {
    let first = tokens.get(from).filter(|_| from < hi)?;
    if first.quote.is_some() {
        return None;
    }
    if first.is_arabic_script() {
        return persian_name(tokens, from, hi);
    }
    if let Some(gender) = pronoun_gender(&first.lower) {
        return Some(Subject::Pronoun(gender));
    }
    let mut head = None;
    // A name read as a modifier, kept when nothing better follows ("said
    // one Trump confidant" credits Trump rather than nobody).
    let mut modifier_name = None;
    let mut i = from;
    while i < hi && i < from + 7 {
        let t = &tokens[i];
        if t.quote.is_some() || (!t.is_word() && !t.is_punct(',')) {
            break;
        }
        if t.is_capitalized() && !DETERMINERS.contains(&t.lower.as_str()) {
            let end = run_right(tokens, i, hi).max(i + 1);
            let possessive = tokens[end - 1].text.ends_with("'s") || tokens[end - 1].text.ends_with("’s");
            // "said Conservative candidate Edward Lyle", "said Judicial Watch
            // president Tom Fitton": a capitalized modifier (a party, an
            // organisation) before a role noun and the name proper.
            let role_gap = |k: usize| {
                tokens[end..k].iter().all(|n| {
                    n.is_word()
                        && !n.is_capitalized()
                        && !STOPS.contains(&n.lower.as_str())
                        && !DETERMINERS.contains(&n.lower.as_str())
                        && !matches!(n.lower.as_str(), "of" | "for" | "de" | "du" | "des")
                })
            };
            let modifier = tokens.get(end).is_some_and(|n| n.is_word() && !n.is_capitalized())
                && (end + 1..hi.min(end + 4))
                    .any(|k| tokens[k].is_capitalized() && role_gap(k) && run_right(tokens, k, hi) >= k + 2);
            // "posted a Twitter comment", "a tweet about the Orlando
            // tragedy": after a determiner, a name followed by a common
            // noun modifies a thing; people's names take no article. (A
            // speaking noun, "the Obama campaign", keeps the name.)
            let determined = i > from && DETERMINERS.contains(&tokens[i - 1].lower.as_str());
            let noun_after = tokens.get(end).is_some_and(|n| {
                end < hi
                    && n.is_word()
                    && !n.is_capitalized()
                    && n.quote.is_none()
                    && !STOPS.contains(&n.lower.as_str())
                    && !DESCRIPTION_NOUNS.contains(&n.lower.as_str())
                    && !ROLES.contains(&n.lower.as_str())
                    && !["er", "or", "ist", "ian", "man", "woman", "ess"].iter().any(|x| n.lower.ends_with(x))
            });
            // "said former Pennsylvania Gov. and party Chairman Ed Rendell":
            // titles joined by "and" share the one name after the last.
            let after_title = end + usize::from(tokens.get(end).is_some_and(|t| t.is_punct('.')));
            let last = &tokens[end - 1];
            let titled = is_title_abbreviation(&last.text)
                || ROLES.contains(&last.lower.as_str()) && DESCRIPTION_NOUNS.contains(&last.lower.as_str());
            if titled
                && tokens.get(after_title).is_some_and(|t| t.lower == "and" && t.quote.is_none())
                && tokens.get(after_title + 1).is_some_and(|t| after_title + 1 < hi && t.is_word())
            {
                i = after_title + 1;
                continue;
            }
            if possessive || modifier || (determined && noun_after) {
                if determined && noun_after && modifier_name.is_none() {
                    modifier_name = read_name(tokens, i, end);
                }
                i = end;
                continue;
            }
            return read_name(tokens, i, end).map(Subject::Name).or_else(|| described(tokens, from, head));
        }
        if STOPS.contains(&t.lower.as_str()) {
            break;
        }
        if DESCRIPTION_NOUNS.contains(&t.lower.as_str()) && head.is_none() {
            head = Some(i);
        }
        let skippable = t.is_punct(',')
            || DETERMINERS.contains(&t.lower.as_str())
            || ROLES.contains(&t.lower.as_str())
            || t.is_word();
        if !skippable {
            break;
        }
        i += 1;
    }
    described(tokens, from, head).or_else(|| modifier_name.map(Subject::Name))
}

/// The description whose head noun is token `head`, its phrase read from
/// `from` through an "of" complement ("un porte-parole de la préfecture",
/// "a spokesman for the port").
fn described(tokens: &[Token], from: usize, head: Option<usize>) -> Option<Subject> {
    let head = head?;
    let mut end = head + 1;
    let complement = |t: &Token| matches!(t.lower.as_str(), "of" | "for" | "de" | "du" | "des" | "d" | "der");
    if tokens.get(end).is_some_and(|t| t.quote.is_none() && complement(t)) {
        let stop = (end + 1..tokens.len().min(end + 5))
            .find(|&k| !tokens[k].is_word() || tokens[k].quote.is_some() || STOPS.contains(&tokens[k].lower.as_str()))
            .unwrap_or(tokens.len().min(end + 5));
        if stop > end + 1 {
            end = stop;
        }
    } else if let Some(stop) = relation_complement(tokens, end) {
        end = stop;
    }
    Some(Subject::Description(tokens[head].lower.clone(), phrase(tokens, from, end)))
}

/// Adjectives that relate a person to someone else by "to" or "with"
/// ("a person close to the mayor", "a source familiar with the talks").
const RELATION_ADJECTIVES: &[&str] = &["close", "closest", "familiar", "loyal", "allied", "aligned", "near"];

/// Where the complement saying whose a description's person is ends, when
/// one starts at token `at`: "to" ("an adviser to the governor"), or a
/// relating adjective and "to"/"with" ("close to the Lindqvists"). Without
/// it "a person" tells an editor nothing. Runs through names with their
/// initials ("to Governor Ann B. Moss"), up to six words.
fn relation_complement(tokens: &[Token], at: usize) -> Option<usize> {
    let word = |k: usize| tokens.get(k).filter(|t| t.is_word() && t.quote.is_none());
    let mut k = at;
    if word(k).is_some_and(|t| RELATION_ADJECTIVES.contains(&t.lower.as_str())) {
        k += 1;
        if !word(k).is_some_and(|t| matches!(t.lower.as_str(), "to" | "with")) {
            return None;
        }
    } else if word(k).is_none_or(|t| t.lower != "to") {
        return None;
    }
    let from = k + 1;
    k = from;
    while k < from + 6 {
        let Some(t) = word(k) else { break };
        if t.is_capitalized() {
            k = run_right(tokens, k, tokens.len()).max(k + 1);
        } else if STOPS.contains(&t.lower.as_str()) || match_cue(&[t.lower.as_str()]).is_some() {
            break;
        } else {
            k += 1;
        }
    }
    // "to" with no object, or before a verb ("a spokesman to say"), relates nobody.
    let object = (from..k).any(|j| tokens[j].is_capitalized() || DETERMINERS.contains(&tokens[j].lower.as_str()))
        || k > from + 1;
    (k > from && object).then_some(k)
}

/// The words of `[from, to)` as written, punctuation left out.
fn phrase(tokens: &[Token], from: usize, to: usize) -> String {
    tokens[from..to].iter().filter(|t| t.is_word()).map(|t| t.text.as_str()).collect::<Vec<_>>().join(" ")
}

/// The subject to the left of a cue ("Jane Doe said", "Jane Doe, the minister, said").
fn subject_left(tokens: &[Token], lo: usize, cue_start: usize) -> Option<Subject> {
    let mut j = cue_start;
    while j > lo && AUXILIARIES.contains(&tokens[j - 1].lower.as_str()) && tokens[j - 1].quote.is_none() {
        j -= 1;
    }
    if j == lo {
        return None;
    }
    // "Rep. Jim McDermott (D-Wash.) said": a parenthesis after the name is an aside.
    if tokens[j - 1].is_punct(')') && tokens[j - 1].quote.is_none() {
        let open = (j.saturating_sub(10).max(lo)..j - 1).rev().find(|&k| tokens[k].is_punct('('));
        if let Some(open) = open
            && open > lo
        {
            j = open;
        }
    }
    let last = &tokens[j - 1];
    if last.quote.is_some() {
        return None;
    }
    if last.is_arabic_script()
        || (last.is_punct('،') && cue_start > lo)
        || tokens[lo..cue_start].iter().any(Token::is_arabic_script)
    {
        return persian_left(tokens, lo, cue_start);
    }
    if last.is_punct(',') {
        // "Trump, the 2016 GOP frontrunner …, said", "Katie Packer, who is
        // chairman of …, said": the sentence opens on the subject and its
        // first comma opens the apposition, however long.
        // A subject that is not a person's full name yields to an apposition
        // naming one ("La CGT, par la voix de son délégué Karim Belkacem, a dénoncé").
        if let Some(subject) = opening_subject(tokens, lo, j - 1) {
            let full = matches!(&subject, Subject::Pronoun(_))
                || matches!(&subject, Subject::Name(name) if name.is_full_person());
            let commas: Vec<usize> = (lo..j).filter(|&k| tokens[k].is_punct(',')).collect();
            let named = commas.windows(2).any(|w| apposition_name(tokens, w[0] + 1, w[1]).is_some());
            if full || !named {
                return Some(subject);
            }
        }
        // "Here in Columbia, Sanders stepped up …, saying": before a
        // participle the commas close a clause, not an apposition; the
        // participle's own rule reads the sentence's subject.
        if tokens[cue_start].lower.ends_with("ing") {
            return None;
        }
        // An apposition: look for its opening comma.
        let back = (j - 1).saturating_sub(12).max(lo);
        let open = (back..j - 1).rev().find(|&k| tokens[k].is_punct(','))?;
        let outer = subject_left_at(tokens, lo, open);
        // "The lead actor, Jonas Hald, described", "La CGT, par la voix de son
        // délégué Karim Belkacem, a dénoncé": the apposition names the person
        // the subject only describes.
        let outer_is_person = matches!(&outer, Some(Subject::Name(n)) if n.is_full_person());
        if !outer_is_person && let Some(name) = apposition_name(tokens, open + 1, j - 1) {
            return Some(Subject::Name(name));
        }
        return outer;
    }
    subject_left_at(tokens, lo, j)
}

/// The subject a sentence opens on, when a comma closes it: a pronoun, or a
/// name run (roles and titles included) that starts the sentence, within
/// `[lo, end)`. "Later on Sunday, Carson shared …": one leading adverbial
/// phrase of up to six words is passed over.
fn opening_subject(tokens: &[Token], lo: usize, end: usize) -> Option<Subject> {
    let mut start = lo;
    // "As Jane Doe, professor of law at …, put it, “…”": the clause's subject.
    if tokens.get(start).is_some_and(|t| start < end && t.text == "As") {
        start += 1;
    }
    for _ in 0..2 {
        while start < end && !tokens[start].is_word() {
            if tokens[start].quote.is_some() {
                return None;
            }
            start += 1;
        }
        let first = tokens.get(start).filter(|_| start < end)?;
        if first.quote.is_some() {
            return None;
        }
        let comma = (start..end).find(|&k| tokens[k].is_punct(',') || tokens[k].quote.is_some());
        if let Some(gender) = pronoun_gender(&first.lower) {
            return Some(Subject::Pronoun(gender));
        }
        if first.is_capitalized() {
            let run = run_right(tokens, start, end);
            if comma == Some(run)
                && let Some(name) = read_name(tokens, start, run)
                && (name.is_full_person() || !name.roles.is_empty() || name.words.len() == 1 && !name.is_org())
            {
                return Some(Subject::Name(name));
            }
        }
        // A leading adverbial ("Later on Sunday,", "In a statement,").
        let c = comma.filter(|&c| c > start && c - start <= 6 && tokens[c].is_punct(','))?;
        start = c + 1;
    }
    None
}

/// The subject of a participle cue after a comma ("Huma Abedin … emailed
/// supporters, telling them, “…”", "Trump then appears in a clip, saying"):
/// the subject the sentence opens on.
fn participle_subject(tokens: &[Token], lo: usize, cue: &Cue) -> Option<Subject> {
    let verb = &tokens[cue.start];
    let after_comma = cue.start.checked_sub(1).is_some_and(|k| k >= lo && tokens[k].is_punct(','));
    if !verb.lower.ends_with("ing") || !after_comma {
        return None;
    }
    let start = sentence_start(tokens, lo);
    opening_subject(tokens, start, cue.start - 1)
        .or_else(|| {
            // No comma after the subject: the name the sentence opens on ("Carson
            // shared a syllabus on his Facebook page, writing").
            leading_name(tokens, start, cue.start).or_else(|| {
                let first = (start..cue.start).find(|&k| tokens[k].is_word())?;
                tokens[first]
                    .is_capitalized()
                    .then(|| first_person(tokens, first, cue.start))
                    .flatten()
                    .map(Subject::Name)
            })
        })
        .or_else(|| leading_description(tokens, start, cue.start))
}

/// The pronoun or person's name (an organisation's too when possessive:
/// "Clinton's response was") that the sentence `[start, end)` opens on,
/// followed by a lower-case word (its verb or noun).
pub(super) fn leading_name(tokens: &[Token], start: usize, end: usize) -> Option<Subject> {
    let mut first = (start..end).find(|&k| tokens[k].is_word())?;
    if tokens[start..=first].iter().any(|t| t.quote.is_some()) {
        return None;
    }
    first = past_sentence_opener(tokens, first, end);
    let t = tokens.get(first).filter(|_| first < end)?;
    if t.quote.is_some() {
        return None;
    }
    if let Some(gender) = pronoun_gender(&t.lower) {
        return Some(Subject::Pronoun(gender));
    }
    if !t.is_capitalized() {
        return None;
    }
    let run = run_right(tokens, first, end);
    let followed = tokens.get(run).is_some_and(|n| run < end && n.is_word() && !n.is_capitalized());
    if let Some(name) = role_then_name(tokens, run, end) {
        return Some(Subject::Name(name));
    }
    read_name(tokens, first, run).filter(|n| !n.is_org() && followed).map(Subject::Name)
}

/// "Republican pollster Dana Shore told …", "Band member Kit wrote …": after
/// a capitalized modifier ending at `run`, a lower-case role noun and the
/// name proper, which the subject is; the modifier (a party, a group) only
/// says whose role it is.
fn role_then_name(tokens: &[Token], run: usize, end: usize) -> Option<Name> {
    // Up to three lower-case words, the last a role ("presidential candidate").
    let lower =
        |k: usize| tokens.get(k).is_some_and(|t| k < end && t.is_word() && t.quote.is_none() && !t.is_capitalized());
    let start = (run..end.min(run + 4)).find(|&k| !lower(k))?;
    let role = &tokens.get(start.checked_sub(1)?)?.lower;
    if start == run || !(ROLES.contains(&role.as_str()) || DESCRIPTION_NOUNS.contains(&role.as_str())) {
        return None;
    }
    if !tokens[start].is_capitalized() || tokens[start].quote.is_some() {
        return None;
    }
    let stop = run_right(tokens, start, end);
    let followed =
        tokens.get(stop).is_some_and(|n| stop < end && (n.is_word() && !n.is_capitalized() || n.is_punct(',')));
    read_name(tokens, start, stop).filter(|n| !n.is_org() && followed)
}

/// Articles: a phrase opening on one is a noun phrase.
const ARTICLES: &[&str] = &["the", "a", "an", "another"];

/// A description the sentence `[start, end)` opens on ("The spokesman
/// refused …", "Another child responded"): an article, at most three
/// modifiers and a speaking noun, then a lower-case word or a comma.
fn leading_description(tokens: &[Token], start: usize, end: usize) -> Option<Subject> {
    let first = (start..end).find(|&k| tokens[k].is_word())?;
    let first = past_sentence_opener(tokens, first, end);
    if !tokens.get(first).is_some_and(|t| first < end && ARTICLES.contains(&t.lower.as_str())) {
        return None;
    }
    let mut k = first + 1;
    while k < end.min(first + 5) && tokens[k].is_word() && tokens[k].quote.is_none() {
        let next = tokens.get(k + 1).filter(|_| k + 1 < end)?;
        let closes = next.is_punct(',') || next.is_word() && !next.is_capitalized() && next.lower != "of";
        if DESCRIPTION_NOUNS.contains(&tokens[k].lower.as_str()) && closes && next.quote.is_none() {
            return Some(Subject::Description(tokens[k].lower.clone(), phrase(tokens, first, k + 1)));
        }
        k += 1;
    }
    None
}

/// Where the subject of a sentence whose first word is token `first` starts:
/// after a short adverbial closed by a comma ("Back in 1999, Trump …",
/// "Here in Columbia, Sanders …"), then after a connective and one adverb
/// ("And then Trump went …"). A name closed by the comma ("Trump, 70, …")
/// is the subject itself.
fn past_sentence_opener(tokens: &[Token], first: usize, end: usize) -> usize {
    let mut at = first;
    if pronoun_gender(&tokens[at].lower).is_some() {
        return at;
    }
    let comma = (at..end.min(at + 7)).find(|&k| !tokens[k].is_word() || tokens[k].quote.is_some());
    // "The Clinton campaign, in a statement, …": a phrase opening on an
    // article is a noun phrase, the subject itself, not an adverbial.
    let article = ARTICLES.contains(&tokens[at].lower.as_str());
    // "Jane Doe defended the plan, …", "Doe subsequently defended it, …": a
    // person's full name, or a name and an adverb, open a clause; an
    // adverbial ("Back in 1999,") opens on neither.
    let run = run_right(tokens, at, end);
    let clause = tokens[at].is_capitalized()
        && !STOP_CAPS.contains(&tokens[at].text.as_str())
        && tokens.get(run).is_some_and(|n| run < end && n.is_word() && !n.is_capitalized() && n.quote.is_none())
        && (n_words_person(tokens, at, run) || tokens[run].lower.ends_with("ly"));
    if let Some(c) = comma.filter(|&c| tokens[c].is_punct(',') && tokens[c].quote.is_none() && !article && !clause)
        && !(tokens[at].is_capitalized()
            && run_right(tokens, at, end) == c
            && !STOP_CAPS.contains(&tokens[at].text.as_str()))
        && let Some(next) = (c + 1..end).find(|&k| tokens[k].is_word())
    {
        at = next;
    }
    let opener = |t: &Token| {
        STOP_CAPS.contains(&t.text.as_str())
            && !DETERMINERS.contains(&t.lower.as_str())
            && pronoun_gender(&t.lower).is_none()
    };
    if tokens.get(at).is_some_and(|t| at < end && opener(t)) {
        at += 1;
        if tokens.get(at).is_some_and(|t| at < end && t.is_word() && !t.is_capitalized() && t.quote.is_none()) {
            at += 1;
        }
    }
    at
}

/// Whether `[from, to)` reads as a person's full name.
fn n_words_person(tokens: &[Token], from: usize, to: usize) -> bool {
    read_name(tokens, from, to).is_some_and(|n| n.is_full_person())
}

/// The start of the sentence holding token `lo`, reading back over no quote
/// and at most [`WINDOW_LIMIT`] tokens.
fn sentence_start(tokens: &[Token], lo: usize) -> usize {
    let floor = lo.saturating_sub(WINDOW_LIMIT);
    let mut start = lo;
    while start > floor && !ends_sentence(tokens, start - 1) && tokens[start - 1].quote.is_none() {
        start -= 1;
    }
    start
}

/// Words that open a clause: a description read back from a cue stops there.
const CLAUSE: &[&str] = &["that", "which", "who", "whom", "when", "while", "because", "and", "but", "or", "if"];

/// Relative pronouns that open a clause, not an apposition.
const RELATIVES: &[&str] = &["who", "which", "whose", "whom", "where", "qui", "que", "dont", "où", "که"];

/// A person's full name closing the apposition `[a, b)` ("the lead actor,
/// Jonas Hald,"), unless it is a relative clause ("who met Jane Doe").
fn apposition_name(tokens: &[Token], a: usize, b: usize) -> Option<Name> {
    let first = tokens.get(a).filter(|_| a < b)?;
    if RELATIVES.contains(&first.lower.as_str()) || tokens[a..b].iter().any(|t| t.quote.is_some()) {
        return None;
    }
    let start = run_left(tokens, a, b);
    if start >= b || run_right(tokens, start, b) != b {
        return None;
    }
    read_name(tokens, start, b).filter(Name::is_full_person)
}

/// The subject ending just before token `end`.
fn subject_left_at(tokens: &[Token], lo: usize, end: usize) -> Option<Subject> {
    let last = tokens.get(end.checked_sub(1)?)?;
    if end <= lo || last.quote.is_some() || !last.is_word() {
        return None;
    }
    if let Some(gender) = pronoun_gender(&last.lower) {
        return Some(Subject::Pronoun(gender));
    }
    if matches!(last.lower.as_str(), "it" | "i" | "we" | "they" | "you" | "ils" | "elles" | "on" | "je" | "nous") {
        return Some(Subject::Unknown);
    }
    if last.is_capitalized() {
        let start = run_left(tokens, lo, end);
        // "Police said" at a sentence start.
        if start + 1 == end && DESCRIPTION_NOUNS.contains(&last.lower.as_str()) {
            return Some(Subject::Description(last.lower.clone(), last.text.clone()));
        }
        if start < end {
            if let Some(name) = read_name(tokens, start, end) {
                if name.is_org()
                    && let Some(person) = affiliated_person(tokens, lo, start)
                {
                    return Some(Subject::Name(person));
                }
                return Some(Subject::Name(name));
            }
        }
        return None;
    }
    // A description: up to six words back ("the health ministry said", "the
    // presumptive Republican presidential nominee wrote").
    // "A spokesperson for the city's main hospital said": up to eight, back
    // to a word that opens a clause.
    let back = end.saturating_sub(8).max(lo);
    let mut start = end;
    while start > back
        && tokens[start - 1].is_word()
        && tokens[start - 1].quote.is_none()
        && !CLAUSE.contains(&tokens[start - 1].lower.as_str())
    {
        start -= 1;
    }
    // "… appeared to assert his plans by saying": a phrase ending on a
    // preposition is that preposition's object cut short, not a subject.
    if PREPOSITIONS.contains(&last.lower.as_str()) {
        return None;
    }
    let head = (start..end).rev().find(|&k| DESCRIPTION_NOUNS.contains(&tokens[k].lower.as_str()))?;
    // The phrase runs to the cue: "for the city's main hospital" belongs to "A spokesperson".
    Some(Subject::Description(tokens[head].lower.clone(), phrase(tokens, start, end)))
}

/// Prepositions a noun phrase does not end on.
const PREPOSITIONS: &[&str] = &[
    "by", "for", "with", "of", "to", "from", "in", "on", "at", "about", "into", "through", "via", "par", "pour",
    "avec", "von", "mit", "für", "por", "con", "para",
];

/// Nouns of a written or spoken text ("the statement said", "her email
/// read"): a text speaks for whoever owns it.
const TEXT_NOUNS: &[&str] = &["statement", "email", "ad", "letter", "memo", "report", "tweet", "post", "remarks"];

/// The owner of a text a description names ("her statement" → she,
/// "Doe's letter" → Doe), who is the speaker: the text only carries the words.
pub(super) fn text_owner(head: &str, phrase: &str) -> Option<Subject> {
    if !TEXT_NOUNS.contains(&head) {
        return None;
    }
    let words: Vec<&str> = phrase.split_whitespace().collect();
    let possessive_pronoun = |w: &str| match w.to_lowercase().as_str() {
        "his" => Some(Gender::Male),
        "her" => Some(Gender::Female),
        _ => None,
    };
    let owner = words.iter().position(|w| possessive_pronoun(w).is_some() || w.ends_with("'s") || w.ends_with("’s"))?;
    let word = words[owner];
    if let Some(bare) = word.strip_suffix("'s").or_else(|| word.strip_suffix("’s")) {
        // The name is the capitalized run ending at the possessive.
        let from = words[..owner].iter().rposition(|w| !w.starts_with(char::is_uppercase)).map_or(0, |k| k + 1);
        // Titles before it are not the name ("Mayor Jane Doe's").
        let from = (from..owner)
            .find(|&k| !ROLES.contains(&words[k].to_lowercase().as_str()) && !is_title_abbreviation(words[k]))
            .unwrap_or(owner);
        let mut name: Vec<String> = words[from..owner].iter().map(|w| (*w).to_string()).collect();
        name.push(bare.to_string());
        return bare
            .starts_with(char::is_uppercase)
            .then(|| Subject::Name(Name { words: name, roles: Vec::new(), gender: Gender::Unknown }));
    }
    possessive_pronoun(word).map(Subject::Pronoun)
}

/// "Kwame Asante of the University of Bristol": the person before an
/// organisation joined by "of/at/from (the)", when the organisation starts at `org`.
fn affiliated_person(tokens: &[Token], lo: usize, org: usize) -> Option<Name> {
    let mut k = org;
    if k > lo && matches!(tokens[k - 1].lower.as_str(), "the" | "la" | "le" | "l") {
        k -= 1;
    }
    if k == lo || !matches!(tokens[k - 1].lower.as_str(), "of" | "at" | "from" | "de" | "du") {
        return None;
    }
    let end = k - 1;
    let start = run_left(tokens, lo, end);
    read_name(tokens, start, end).filter(Name::is_full_person)
}

/// "X called the plan “reckless” and said it would …": a cue after a
/// coordinator shares the subject of the sentence's first cue.
fn coordinated_subject(tokens: &[Token], lo: usize, cue: &Cue) -> Option<Subject> {
    let before = tokens.get(cue.start.checked_sub(1)?)?;
    if !matches!(before.lower.as_str(), "and" | "but" | "et" | "mais" | "y" | "und" | "و") || lo == 0 {
        return None;
    }
    // The sentence start, reading through earlier quotes.
    let floor = lo.saturating_sub(WINDOW_LIMIT);
    let mut start = lo;
    while start > floor && !ends_sentence(tokens, start - 1) {
        start -= 1;
    }
    if tokens[cue.start].is_arabic_script() {
        // "S … «Q1» خواند و تصریح کرد": the clause's subject, before any quote.
        let limit = (start..cue.start).find(|&k| tokens[k].quote.is_some()).unwrap_or(cue.start);
        return persian_left(tokens, start, limit);
    }
    let first = find_cue(tokens, start, before_index(cue), false)?;
    subject_left(tokens, start, first.start)
}

/// English cues whose object is the hearer: "told", "tells".
fn is_tell(word: &str) -> bool {
    matches!(word, "told" | "tells" | "tell" | "telling")
}

fn before_index(cue: &Cue) -> usize {
    cue.start.saturating_sub(1)
}

/// Where a run of roles and modifiers before a name starts (lower-case role
/// words included: "Green candidate Chloe Barnes"), so a colon frame needs
/// nothing else before it.
fn pre_lo_words(tokens: &[Token], lo: usize, start: usize) -> usize {
    let mut k = start;
    while k > lo && tokens[k - 1].is_word() && tokens[k - 1].quote.is_none() && start - k < 4 {
        k -= 1;
    }
    if k == lo { start } else { usize::MAX }
}

/// The subject of `cue` within `[lo, hi)`.
pub(super) fn subject_of(tokens: &[Token], lo: usize, hi: usize, cue: &Cue) -> Option<Subject> {
    match cue.class {
        CueClass::Source => subject_right(tokens, cue.end, hi),
        // "told the court": who is told follows the verb, never who tells.
        CueClass::Verb if is_tell(&tokens[cue.start].lower) => subject_left(tokens, lo, cue.start),
        CueClass::Verb => subject_left(tokens, lo, cue.start)
            .or_else(|| subject_right(tokens, cue.end, hi).filter(|_| !complement_clause(tokens, cue.end, hi))),
    }
}

/// The most tokens a frame window reaches from its quote. Real sentences
/// are shorter; the bound keeps a page of thousands of adjacent quotes (no
/// sentence end between them) linear rather than quadratic.
pub const WINDOW_LIMIT: usize = 120;

/// Auxiliaries and modals that make the words after a cue a clause of their
/// own ("saying Clinton would …"); a role noun after a name ("said Clinton
/// ally James Carville") does not.
const FINITE_VERBS: &[&str] = &[
    "would", "will", "could", "should", "might", "may", "must", "can", "was", "is", "were", "are", "has", "had",
    "have", "did", "does", "do", "wants", "wanted", "needs", "knew", "knows", "lied", "lies", "thinks", "thought",
];

/// Whether the words after a verb cue open a clause of their own ("saying
/// Clinton would …", "said he will …") rather than an inverted subject
/// ("said Jane Doe, the …", "said he."): the name or pronoun there is
/// followed by a lower-case word that is not a preposition or conjunction.
fn complement_clause(tokens: &[Token], from: usize, hi: usize) -> bool {
    let mut k = from;
    while k < hi && tokens[k].is_word() && DETERMINERS.contains(&tokens[k].lower.as_str()) {
        k += 1;
    }
    let Some(first) = tokens.get(k).filter(|t| k < hi && t.is_word() && t.quote.is_none()) else { return false };
    let end = if pronoun_gender(&first.lower).is_some() {
        k + 1
    } else if first.is_capitalized() {
        run_right(tokens, k, hi).max(k + 1)
    } else {
        return false;
    };
    tokens.get(end).is_some_and(|t| {
        end < hi
            && t.is_word()
            && t.quote.is_none()
            && !first.is_arabic_script()
            && (FINITE_VERBS.contains(&t.lower.as_str())
                || (t.lower.ends_with("ed") && !t.is_capitalized())
                || match_cue(&[t.lower.as_str()]).is_some())
    })
}

/// The window of one sentence around tokens `[qa, qb)`: from the previous
/// sentence end or quote to the next, at most [`WINDOW_LIMIT`] tokens.
pub(super) fn window_before(tokens: &[Token], qa: usize) -> usize {
    let floor = qa.saturating_sub(WINDOW_LIMIT);
    let mut lo = qa;
    while lo > floor {
        let t = &tokens[lo - 1];
        if ends_sentence(tokens, lo - 1) {
            break;
        }
        if t.quote.is_some() {
            // A short title or term inside the sentence ("Hald, known for the
            // series “Dark Harbour”, said") does not end the frame's window.
            match short_term_start(tokens, lo - 1) {
                Some(start) => {
                    lo = start;
                    continue;
                }
                None => break,
            }
        }
        lo -= 1;
    }
    lo
}

/// Where the quote ending at token `last` starts, when it is a short term
/// (at most four words, no sentence punctuation inside) rather than speech.
fn short_term_start(tokens: &[Token], last: usize) -> Option<usize> {
    let q = tokens[last].quote?;
    let mut start = last;
    while start > 0 && tokens[start - 1].quote == Some(q) {
        start -= 1;
    }
    let inner = &tokens[start..=last];
    let words = inner.iter().filter(|t| t.is_word()).count();
    let punct = inner.iter().any(|t| t.kind == super::text::TokenKind::Punct && !t.is_punct('-'));
    (words <= 4 && !punct && start > 0).then_some(start)
}

fn window_after(tokens: &[Token], qb: usize) -> usize {
    let ceiling = tokens.len().min(qb + WINDOW_LIMIT);
    let mut hi = qb;
    while hi < ceiling && tokens[hi].quote.is_none() && !ends_sentence(tokens, hi) {
        hi += 1;
    }
    hi
}

/// The tokens a frame of the quote at `[qa, qb)` may read: its sentence
/// windows and the next sentence. What [`frame`] costs, for the step budget.
pub fn reach(tokens: &[Token], qa: usize, qb: usize) -> (usize, usize) {
    let hi = window_after(tokens, qb);
    (window_before(tokens, qa), window_after(tokens, (hi + 1).min(tokens.len())))
}

/// The frame around the quote at tokens `[qa, qb)`: after it, then before it,
/// then in the next sentence.
pub fn frame(tokens: &[Token], qa: usize, qb: usize) -> Option<Frame> {
    let pre_lo = window_before(tokens, qa);
    let post_hi = window_after(tokens, qb);
    let via = find_via(tokens, pre_lo, qa).or_else(|| find_via(tokens, qb, post_hi));
    let mut weak: Option<Frame> = None;
    if let Some(cue) = find_cue(tokens, qb, post_hi, false) {
        let near = tokens[qb..cue.start].iter().filter(|t| t.is_word()).count() <= 5;
        let confidence = if near { 0.95 } else { 0.8 };
        // Persian is verb-final: in "S … «Q» توصیف کرد" the subject opens the
        // clause before the quote (after a comma, «Q»، S گفت, it follows).
        let verb_final = tokens[cue.start].is_arabic_script()
            && pre_lo < qa
            && !tokens.get(qb).is_some_and(|t| t.is_punct('،') || t.is_punct(','));
        let subject = if verb_final { persian_left(tokens, pre_lo, qa) } else { None };
        match subject.or_else(|| subject_of(tokens, qb, post_hi, &cue)) {
            Some(subject) => {
                return Some(Frame {
                    subject,
                    cue: cue_text(tokens, &cue),
                    via,
                    confidence,
                    adjacent: near,
                    kind: FrameKind::After,
                });
            }
            None => {
                weak = Some(Frame {
                    subject: Subject::Unknown,
                    cue: cue_text(tokens, &cue),
                    via: via.clone(),
                    confidence: 0.3,
                    adjacent: near,
                    kind: FrameKind::Weak,
                });
            }
        }
    }
    // Before the quote, the cue nearest it that has a subject ("He went on to say that").
    let mut hi = qa;
    let mut participle = None;
    while let Some(cue) = find_cue(tokens, pre_lo, hi, true) {
        let gap = tokens[cue.end..qa].iter().filter(|t| t.is_word()).count();
        let near = gap <= 4;
        let confidence = if near { 0.9 } else { 0.8 };
        if participle.is_none() {
            participle = Some((cue.start, cue.end, cue.class, near, confidence));
        }
        let subject = if persian_coordinated(tokens, cue.start) {
            coordinated_subject(tokens, pre_lo, &cue).or_else(|| subject_of(tokens, pre_lo, qa, &cue))
        } else {
            subject_of(tokens, pre_lo, qa, &cue).or_else(|| coordinated_subject(tokens, pre_lo, &cue))
        };
        if let Some(subject) = subject {
            return Some(Frame {
                subject,
                cue: cue_text(tokens, &cue),
                via,
                confidence,
                adjacent: near,
                kind: FrameKind::Before,
            });
        }
        hi = cue.start;
    }
    // No cue before the quote has a subject of its own: the nearest one, a
    // participle after a comma, takes the subject the sentence opens on
    // (after any earlier cue's subject was tried: "Nefzi said, adding, “…”").
    if let Some((start, end, class, near, confidence)) = participle {
        let cue = Cue { start, end, class };
        if let Some(subject) = participle_subject(tokens, pre_lo, &cue) {
            return Some(Frame {
                subject,
                cue: cue_text(tokens, &cue),
                via,
                confidence,
                adjacent: near,
                kind: FrameKind::Participle,
            });
        }
    }
    if let Some(frame) = colon_frame(tokens, pre_lo, qa, via.as_ref()) {
        return Some(frame);
    }
    if let Some(subject) = topic_source(tokens, pre_lo, qa) {
        return Some(Frame {
            subject,
            cue: String::new(),
            via,
            confidence: 0.8,
            adjacent: false,
            kind: FrameKind::Topic,
        });
    }
    let before = participle.map(|(start, end, class, ..)| Cue { start, end, class });
    if let Some(frame) = sentence_subject_frame(tokens, qa, before.as_ref(), weak.as_ref(), via.as_ref()) {
        return Some(frame);
    }
    if weak.is_some() {
        return weak;
    }
    next_sentence_frame(tokens, post_hi, via)
}

/// A frame crediting the subject of the quote's own sentence, with the
/// nearest cue before the quote (else the subjectless one after it) as its cue.
fn sentence_subject_frame(
    tokens: &[Token],
    qa: usize,
    cue: Option<&Cue>,
    weak: Option<&Frame>,
    via: Option<&String>,
) -> Option<Frame> {
    let subject = sentence_opening(tokens, qa)?;
    let cue = cue.map(|c| cue_text(tokens, c)).or_else(|| weak.map(|w| w.cue.clone())).unwrap_or_default();
    Some(Frame { subject, cue, via: via.cloned(), confidence: 0.6, adjacent: false, kind: FrameKind::SentenceSubject })
}

/// The subject the sentence holding the quote at `qa` opens on, when the
/// quote sits inside that sentence and no cue there names anyone else
/// ("Trump issued a statement, “…”", "Mr. Trump was prompted to say, “…”",
/// "Nordhaus, co-founder of …, welcomed “…”"): news prose quotes a
/// sentence's subject unless it names another speaker.
fn sentence_opening(tokens: &[Token], qa: usize) -> Option<Subject> {
    let lo = window_before(tokens, qa);
    if lo >= qa {
        return None;
    }
    opening_subject(tokens, lo, qa)
        .or_else(|| leading_name(tokens, lo, qa))
        .or_else(|| leading_description(tokens, lo, qa))
}

/// A frame in the sentence after the quote's (which ends at `post_hi`),
/// when that sentence has no quote of its own.
fn next_sentence_frame(tokens: &[Token], post_hi: usize, via: Option<String>) -> Option<Frame> {
    if post_hi < tokens.len() && tokens[post_hi].quote.is_none() {
        let lo = post_hi + 1;
        let hi = window_after(tokens, lo);
        if hi < tokens.len() && tokens[hi].quote.is_some() || lo >= hi {
            return None;
        }
        // A description there ("Police said they were investigating") is
        // too often about something else to credit the quote to.
        if let Some(cue) = find_cue(tokens, lo, hi, false)
            && let Some(subject) = subject_of(tokens, lo, hi, &cue)
            && matches!(subject, Subject::Name(_) | Subject::Pronoun(_))
        {
            let via = find_via(tokens, lo, hi).or(via);
            return Some(Frame {
                subject,
                cue: cue_text(tokens, &cue),
                via,
                confidence: 0.65,
                adjacent: false,
                kind: FrameKind::NextSentence,
            });
        }
    }
    None
}

/// A frame with no verb, ending in a colon right before the quote at `qa`:
/// a name alone ("Green candidate Chloe Barnes: “…”"), or a clause whose
/// subject introduces the quote ("Clinton has since apologized: “…”").
fn colon_frame(tokens: &[Token], pre_lo: usize, qa: usize, via: Option<&String>) -> Option<Frame> {
    // "Green candidate Chloe Barnes: “…”": a name and a colon, no verb.
    if qa >= 2 && tokens[qa - 1].is_punct(':') {
        let start = run_left(tokens, pre_lo, qa - 1);
        // "HEADLINE - Mark Blumenthal and Jon Cohen: “…”": a dash sets the name off.
        let mut first = start;
        if first >= pre_lo + 2 && tokens[first - 1].lower == "and" && tokens[first - 2].is_capitalized() {
            first = run_left(tokens, pre_lo, first - 1);
        }
        let dashed = first > pre_lo
            && tokens[first - 1].kind == super::text::TokenKind::Punct
            && tokens[first - 1].text.starts_with(['-', '—', '–']);
        // "Priebus later told Fox News: “…”": a verb of saying before the
        // name makes it the hearer, not a heading.
        if start < qa - 1
            && (start == pre_lo_words(tokens, pre_lo, start) && find_cue(tokens, pre_lo, start, false).is_none()
                || dashed)
            && let Some(name) = read_name(tokens, start, qa - 1)
        {
            return Some(Frame {
                subject: Subject::Name(name),
                cue: String::new(),
                via: via.cloned(),
                confidence: 0.75,
                adjacent: true,
                kind: FrameKind::Colon,
            });
        }
    }
    // "Clinton has since apologized for what happened: “…”": a sentence
    // whose clause ends in a colon introduces the quote as its subject's.
    if qa >= 2
        && tokens[qa - 1].is_punct(':')
        && let Some(subject) = opening_subject(tokens, pre_lo, qa - 1)
            .or_else(|| leading_name(tokens, pre_lo, qa - 1))
            .or_else(|| leading_description(tokens, pre_lo, qa - 1))
    {
        return Some(Frame {
            subject,
            cue: String::new(),
            via: via.cloned(),
            confidence: 0.7,
            adjacent: false,
            kind: FrameKind::ColonSubject,
        });
    }
    None
}

/// "Pour le géologue Vincent Arrighi, …", "For Dr Jane Doe, …": a sentence
/// opening on a named person's viewpoint attributes what it quotes to them.
fn topic_source(tokens: &[Token], lo: usize, qa: usize) -> Option<Subject> {
    let first = tokens.get(lo).filter(|t| lo < qa && t.is_capitalized())?;
    if !matches!(first.lower.as_str(), "pour" | "for" | "para" | "für") {
        return None;
    }
    let comma = (lo + 1..qa).find(|&k| tokens[k].is_punct(','))?;
    match subject_right(tokens, lo + 1, comma)? {
        Subject::Name(name) if name.is_full_person() => Some(Subject::Name(name)),
        _ => None,
    }
}

/// The first person's full name in `[lo, hi)`.
pub(super) fn first_person(tokens: &[Token], lo: usize, hi: usize) -> Option<Name> {
    let mut i = lo;
    while i < hi {
        if tokens[i].is_capitalized() && tokens[i].quote.is_none() {
            let run_end = run_right(tokens, i, hi).max(i + 1);
            if let Some(name) = read_name(tokens, i, run_end).filter(Name::is_full_person) {
                return Some(name);
            }
            i = run_end;
        } else {
            i += 1;
        }
    }
    None
}
