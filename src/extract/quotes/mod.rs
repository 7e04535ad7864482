//! Direct quotations: finds them in an article's blocks, tells speech from
//! scare quotes and titles, and attributes each to a speaker, cue and outlet.
//!
//! Pure and total: blocks in, quotes out; no I/O, no clock, no panic on any
//! input. Stages, each linear in the text:
//! 1. `marks` finds the outermost quoted spans of each block (and `<q>` spans);
//! 2. spans join across paragraphs (a quote whose closing mark waits for the
//!    last paragraph) and across split frames (“A,” she said, “B.”);
//! 3. `speaker` reads the frame around each span (`Q, said S`, `S said: Q`,
//!    `according to S`), and `classify` keeps speech, drops titles and scare
//!    quotes, and keeps short fragments a cue governs as partial quotes;
//! 4. `names` resolves pronouns, descriptions and surnames article-wide;
//!    quotes without a frame inherit from the quote before them in the
//!    paragraph, a colon introduction, or the previous paragraph's speaker.
//!
//! Offsets are characters in the article text: the texts of all non-caption
//! blocks joined with a blank line. Captions are skipped (not speech), and so
//! are headings (headlines quote loosely).
//!
//! Main entry: [`find_quotes`].

mod confidence;
mod credit;
mod layout;
mod lexicon;
mod marks;
mod names;
mod nearby;
mod persian;
mod speaker;
mod text;
mod via;

use self::confidence::{Basis, Mention, calibrated};
use self::credit::{credit_of, credited, strip_marks, trailing_attribution};
use self::layout::{Para, is_running_text, layout};
use std::collections::{HashMap, HashSet};

use crate::model::{Quote, QuoteKind};

use super::{Block, BlockKind, PageFacts};
use lexicon::TERM_MARKERS;
use names::{Name, NameBook, Subject};
use speaker::Frame;
use text::{Token, ends_sentence};

pub use lexicon::cue_count;

/// Quotes of at least this many words are speech even without a cue (titles
/// and scare quotes are short).
const LONG_QUOTE_WORDS: usize = 8;

/// Confidence when no speaker was found (the words are a quote; who said them is not known).
const UNKNOWN_CONFIDENCE: f32 = 0.2;

/// Steps one page may spend attributing quotes: a step is a token a frame
/// window or a context reads. An ordinary article spends a few thousand; a
/// hostile page of tens of thousands of quotes ends here, with a note,
/// rather than running on.
const STEP_BUDGET: usize = 4_000_000;

/// The note of a page whose quotes were cut short by [`STEP_BUDGET`].
pub const BUDGET_NOTE: &str = "quote finding stopped at its step budget; later quotes not read";

/// Quotes of a page and what finding them cost.
#[derive(Debug, Clone, Default)]
pub struct QuoteReport {
    pub quotes: Vec<Quote>,
    /// Steps spent (tokens read by frame windows and contexts).
    pub steps: usize,
    /// [`BUDGET_NOTE`] when the budget ran out.
    pub note: Option<&'static str>,
}

/// What is left of [`STEP_BUDGET`].
#[derive(Debug)]
struct Budget {
    spent: usize,
    limit: usize,
    exhausted: bool,
}

impl Budget {
    /// Charges `steps`; false (and exhausted from then on) when over the limit.
    fn spend(&mut self, steps: usize) -> bool {
        self.spent += steps;
        if self.spent > self.limit {
            self.exhausted = true;
        }
        !self.exhausted
    }
}

/// A candidate quotation: one or more spans (paragraph index, span index).
#[derive(Debug, Clone)]
struct Candidate {
    parts: Vec<(usize, usize)>,
    /// The parts are split by a frame in one paragraph (joined with a space)
    /// rather than running over paragraphs (joined with a blank line).
    split: bool,
}

/// Lower case, letters and digits only, single spaces: what a quote id and
/// quote comparison see.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.extend(c.to_lowercase());
        } else if c.is_whitespace() || c == '\u{200c}' || !c.is_alphanumeric() {
            space = true;
        }
    }
    out
}

/// Stable id of a quote: blake3 of its normalized text, 16 hex digits.
pub fn quote_id(text: &str) -> String {
    let hash = blake3::hash(normalize(text).as_bytes());
    hash.to_hex().as_str().chars().take(16).collect()
}

/// Candidates in text order, multi-paragraph quotes joined.
fn candidates(paras: &[Para]) -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut consumed: HashSet<(usize, usize)> = HashSet::new();
    for (p, para) in paras.iter().enumerate() {
        for (s, _) in para.spans.iter().enumerate() {
            if consumed.contains(&(p, s)) {
                continue;
            }
            let mut spans_of_quote = vec![(p, s)];
            let (mut at_para, mut at_span) = (p, s);
            // A quote left open continues when the next paragraph opens with a mark.
            while !paras[at_para].spans[at_span].closed && at_span + 1 == paras[at_para].spans.len() {
                let Some(next) = paras.get(at_para + 1) else { break };
                let first_char = next.chars.iter().position(|c| !c.is_whitespace());
                let Some(first_span) = next.spans.first() else { break };
                if !is_running_text(next.block.kind)
                    || first_char != Some(first_span.outer_start)
                    || first_span.mark.is_none()
                {
                    break;
                }
                at_para += 1;
                at_span = 0;
                spans_of_quote.push((at_para, at_span));
                consumed.insert((at_para, at_span));
            }
            out.push(Candidate { parts: spans_of_quote, split: false });
        }
    }
    out
}

/// Joins “A,” she said, “B.” into one candidate: the two spans sit in one
/// paragraph, the words between them are a short frame with a cue ending in
/// a comma.
fn join_splits(paras: &[Para], cands: Vec<Candidate>) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::with_capacity(cands.len());
    for cand in cands {
        if let Some(prev) = out.last_mut()
            && let (Some(&(p1, s1)), Some(&(p2, s2))) = (prev.parts.last(), cand.parts.first())
            && p1 == p2
            && s2 == s1 + 1
            && cand.parts.len() == 1
        {
            let para = &paras[p1];
            if para.spans[s2].joins_prev {
                prev.parts.push((p2, s2));
                prev.split = true;
                continue;
            }
            let (_, qb) = para.token_range(s1);
            let (qa, _) = para.token_range(s2);
            let gap = &para.tokens[qb.min(qa)..qa];
            let words = gap.iter().filter(|t| t.is_word()).count();
            let ends_comma = gap.last().is_some_and(|t| t.is_punct(',') || t.is_punct('،'));
            let no_stop = !(qb..qa).any(|i| ends_sentence(&para.tokens, i));
            let has_cue = speaker::frame(&para.tokens, qb.saturating_sub(1), qb).is_some_and(|f| !f.cue.is_empty())
                || has_cue_in(gap);
            if (1..=8).contains(&words) && ends_comma && no_stop && has_cue {
                prev.parts.push((p2, s2));
                prev.split = true;
                continue;
            }
        }
        out.push(cand);
    }
    out
}

fn has_cue_in(tokens: &[Token]) -> bool {
    (0..tokens.len()).any(|i| {
        let words: Vec<&str> =
            tokens[i..].iter().take(4).take_while(|t| t.is_word()).map(|t| t.lower.as_str()).collect();
        lexicon::match_cue(&words).is_some()
    })
}

/// What a candidate is, before attribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Speech,
    /// Only speech if a cue with a speaker governs it.
    Fragment,
    Drop,
}

/// Speech, fragment or not speech, from the span and the words around it.
fn classify(paras: &[Para], cand: &Candidate, text: &str, frame: Option<&Frame>) -> Verdict {
    let (p, s) = cand.parts[0];
    let para = &paras[p];
    let span = &para.spans[s];
    if cand.parts.len() == 1 && para.links.iter().any(|l| span.start >= l.start && span.end <= l.end) {
        return Verdict::Drop;
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    // Chinese and Japanese run words together: count two characters a word.
    let cjk = text.chars().filter(|c| matches!(*c as u32, 0x3040..=0x30ff | 0x4e00..=0x9fff)).count();
    let word_count = words.len().max(cjk / 2);
    if word_count >= LONG_QUOTE_WORDS || cand.parts.len() > 1 {
        return Verdict::Speech;
    }
    let (qa, _) = para.token_range(s);
    let before =
        |k: usize| qa.checked_sub(k).and_then(|i| para.tokens.get(i)).filter(|t| t.is_word()).map(|t| t.lower.as_str());
    // A work's title is capitalized: "read the book “three or four times”" quotes words.
    let lower_start = text.chars().find(|c| c.is_alphabetic()).is_some_and(char::is_lowercase);
    let marked = before(1).is_some_and(|w| TERM_MARKERS.contains(&w) && !(lower_start && lexicon::is_work_noun(w)))
        || matches!(
            (before(2), before(1)),
            (Some("known" | "referred" | "connu" | "appelé"), Some("as" | "to" | "comme" | "sous"))
        )
        || matches!((before(2), before(1)), (Some("به" | "موسوم"), Some("اصطلاح" | "به")));
    let adjacent = frame.is_some_and(|f| f.adjacent && f.subject != Subject::Unknown);
    let last = text.trim_end().chars().last();
    let after_comma = para.tokens.get(para.token_range(s).1).is_some_and(|t| t.is_punct(',') || t.is_punct('،'));
    let ends_punct =
        last.is_some_and(|c| matches!(c, '.' | ',' | '!' | '?' | '…' | '؟' | '،' | ';' | '。' | '！' | '？'));
    let first = text.chars().find(|c| c.is_alphanumeric());
    let starts_upper = first.is_some_and(|c| c.is_uppercase() || !c.is_lowercase());
    let small =
        ["a", "an", "the", "of", "and", "or", "in", "on", "at", "to", "for", "de", "la", "le", "du", "des", "et"];
    let title_case = !words.is_empty()
        && !ends_punct
        && first.is_some_and(char::is_uppercase)
        && words.iter().all(|w| {
            small.contains(w)
                || w.chars().find(|c| c.is_alphanumeric()).is_none_or(|c| c.is_uppercase() || c.is_numeric())
        });
    if marked || (title_case && !adjacent) || attributive(para, s, word_count) {
        return Verdict::Drop;
    }
    // "S said: Q" introduces speech, whatever its length.
    let after_colon = qa.checked_sub(1).and_then(|i| para.tokens.get(i)).is_some_and(|t| t.is_punct(':'));
    let framed = frame.is_some_and(|f| f.subject != Subject::Unknown);
    if (starts_upper && ends_punct && word_count >= 2)
        || (adjacent && (ends_punct || after_comma))
        || (after_colon && framed)
    {
        return Verdict::Speech;
    }
    Verdict::Fragment
}

/// A short quote modifying a noun between a determiner and that noun (the
/// festival's “must-see” title, a “zero-tolerance” policy): a term, not speech.
fn attributive(para: &Para, s: usize, word_count: usize) -> bool {
    const DETERMINERS: &[&str] = &[
        "a", "an", "the", "this", "that", "its", "his", "her", "their", "our", "un", "une", "le", "la", "les", "ce",
        "cette",
    ];
    const LINKS: &[&str] = &[
        "and", "or", "but", "of", "for", "to", "in", "on", "at", "by", "with", "from", "that", "than", "as", "et",
        "ou", "mais", "de", "à", "pour", "par", "en", "dans", "sur", "du", "des", "was", "is", "were", "are",
    ];
    if word_count > 3 {
        return false;
    }
    let (qa, qb) = para.token_range(s);
    let before = qa.checked_sub(1).and_then(|i| para.tokens.get(i)).filter(|t| t.is_word());
    let after = para.tokens.get(qb).filter(|t| t.is_word() && !t.is_capitalized());
    let determined = before
        .is_some_and(|t| DETERMINERS.contains(&t.lower.as_str()) || t.lower.ends_with("'s") || t.lower.ends_with("’s"));
    determined && after.is_some_and(|t| !LINKS.contains(&t.lower.as_str()))
}

/// Text of a candidate's words.
fn candidate_text(paras: &[Para], cand: &Candidate) -> String {
    let joiner = if cand.split { " " } else { "\n\n" };
    cand.parts
        .iter()
        .map(|&(p, s)| {
            let span = &paras[p].spans[s];
            paras[p].slice(span.start, span.end)
        })
        .collect::<Vec<_>>()
        .join(joiner)
}

/// The sentence around tokens `[qa, qb)`, as characters of the paragraph.
fn context(para: &Para, qa: usize, qb: usize) -> String {
    let tokens = &para.tokens;
    let floor = qa.saturating_sub(speaker::WINDOW_LIMIT);
    let mut lo = qa;
    while lo > floor && !(tokens[lo - 1].quote.is_none() && ends_sentence(tokens, lo - 1)) {
        lo -= 1;
    }
    let ceiling = tokens.len().min(qb + speaker::WINDOW_LIMIT);
    let mut hi = qb;
    while hi < ceiling && !(tokens[hi].quote.is_none() && ends_sentence(tokens, hi)) {
        hi += 1;
    }
    let start = tokens.get(lo).map_or(0, |t| t.start);
    let end = tokens.get(hi).or_else(|| tokens.last()).map_or(para.chars.len(), |t| t.end);
    para.slice(start, end.max(start))
}

/// A speaker and how it was found.
#[derive(Debug, Clone)]
struct Attribution {
    speaker: Option<String>,
    /// The words that named the speaker, as written (not for pronouns).
    mention_text: Option<String>,
    mention: Mention,
    cue: Option<String>,
    via: Option<String>,
    confidence: f32,
}

fn resolve(book: &mut NameBook, frame: &Frame, pos: usize) -> Attribution {
    // "her statement said": the text's owner speaks.
    let owner = match &frame.subject {
        Subject::Description(head, phrase) => speaker::text_owner(head, phrase),
        _ => None,
    };
    let (speaker, mention_text, mention) = match owner.as_ref().unwrap_or(&frame.subject) {
        Subject::Name(name) => {
            let canonical = book.canonical(name);
            let words: Vec<String> = canonical.split_whitespace().map(str::to_string).collect();
            book.add_speaker(&Name { words, roles: name.roles.clone(), gender: name.gender }, pos);
            let mention = if name.words.len() > 1 { Mention::FullName } else { Mention::OneWord };
            (Some(canonical), Some(name.text()), mention)
        }
        Subject::Pronoun(gender) => {
            let found = book.resolve_pronoun(*gender, pos);
            if let Some(speaker) = &found {
                book.learn_gender(speaker, *gender, pos);
            }
            (found, None, Mention::Pronoun)
        }
        // A role or group nobody named before ("a senior official said", "the
        // Illinois Board of Elections") is credited as written: an editor can
        // publish "a White House spokesman" but not a blank.
        // An indefinite description ("one Clinton aide", "a senior official")
        // brings in someone new: only a definite one ("the senator") points
        // back to a person named before.
        Subject::Description(head, phrase) => match book.resolve_description(head, pos).filter(|_| !indefinite(phrase))
        {
            Some(found) => (Some(found), described_as(phrase), Mention::Described),
            None => (described_as(phrase), described_as(phrase), Mention::Phrase),
        },
        Subject::Unknown => (None, None, Mention::Phrase),
    };
    let confidence = if speaker.is_some() {
        calibrated(Basis::Frame(frame.kind, frame.adjacent), mention)
    } else {
        UNKNOWN_CONFIDENCE
    };
    Attribution {
        speaker,
        mention_text,
        mention,
        cue: Some(frame.cue.clone()).filter(|c| !c.is_empty()),
        via: frame.via.clone(),
        confidence,
    }
}

/// `a` carried over to another quote by `basis` (no cue of its own).
fn carried(a: Attribution, basis: Basis) -> Attribution {
    // Never surer than the attribution it carries.
    let confidence = calibrated(basis, a.mention).min(a.confidence);
    Attribution { cue: None, confidence, ..a }
}

/// Words a description phrase does not start with: what precedes its
/// determiner in the four words the frame read back ("and then the ministry").
const PHRASE_LEADS: &[&str] = &[
    "the", "a", "an", "one", "another", "this", "that", "his", "her", "its", "their", "our", "le", "la", "les", "un",
    "une", "der", "die", "das", "el", "los", "las",
];

/// A description phrase as a speaker: from its first determiner on ("then
/// the ministry" → "the ministry"); `None` for a phrase of no word.
fn described_as(phrase: &str) -> Option<String> {
    let words: Vec<&str> = phrase.split_whitespace().collect();
    let from = words.iter().position(|w| PHRASE_LEADS.contains(&w.to_lowercase().as_str())).unwrap_or(0);
    let kept = words.get(from..).filter(|w| !w.is_empty())?;
    Some(kept.join(" "))
}

/// Determiners that introduce a new referent rather than point back to one.
const INDEFINITES: &[&str] =
    &["a", "an", "one", "another", "un", "une", "ein", "eine", "einer", "einen", "einem", "uno", "una", "otro", "otra"];

/// Whether a description phrase opens on an indefinite determiner ("one
/// longtime adviser", "another source"), read from its first determiner.
fn indefinite(phrase: &str) -> bool {
    described_as(phrase)
        .and_then(|p| p.split_whitespace().next().map(str::to_lowercase))
        .is_some_and(|first| INDEFINITES.contains(&first.as_str()))
}

/// Whether `a` repeats `b`: equal, contained, or sharing ≥ 80% of `a`'s words.
fn repeats(a: &str, b: &str) -> bool {
    let (a, b) = (normalize(a), normalize(b));
    if a.is_empty() {
        return false;
    }
    if b.contains(&a) || a.contains(&b) && !b.is_empty() {
        return true;
    }
    let bw: Vec<&str> = b.split(' ').collect();
    let aw: Vec<&str> = a.split(' ').collect();
    let shared = aw.iter().filter(|w| bw.contains(w)).count();
    shared * 5 >= aw.len() * 4
}

/// Finds the direct quotations of an article's blocks and attributes them.
/// See the module documentation for the stages.
pub fn find_quotes(blocks: &[Block], facts: &PageFacts) -> Vec<Quote> {
    find_quotes_report(blocks, facts).quotes
}

/// [`find_quotes`] with its cost: the steps spent and, when the page's
/// [`STEP_BUDGET`] ran out, the note to carry.
pub fn find_quotes_report(blocks: &[Block], facts: &PageFacts) -> QuoteReport {
    find_within(blocks, facts, STEP_BUDGET)
}

fn find_within(blocks: &[Block], facts: &PageFacts, limit: usize) -> QuoteReport {
    let paras = layout(blocks, facts);
    let mut book = NameBook::default();
    for para in &paras {
        if matches!(para.block.kind, BlockKind::Paragraph | BlockKind::ListItem | BlockKind::Blockquote) {
            book.add_paragraph(&para.tokens, para.base);
            book.add_persian_appositions(&para.tokens, para.base);
            book.add_persian_names(&para.tokens, para.base);
        }
    }
    let cands = join_splits(&paras, candidates(&paras));
    let mut finder = Finder {
        paras: &paras,
        blocks,
        facts,
        book,
        last_speaker: vec![None; paras.len()],
        quotes: Vec::new(),
        seen: HashMap::new(),
        budget: Budget { spent: 0, limit, exhausted: false },
    };
    let mut cand_iter = cands.into_iter().peekable();
    for (p, para) in paras.iter().enumerate() {
        if finder.budget.exhausted {
            break;
        }
        match para.block.kind {
            BlockKind::Embed => finder.embed(para),
            BlockKind::Blockquote => finder.blockquote(p),
            _ => {
                while let Some(cand) = cand_iter.next_if(|c| c.parts[0].0 == p) {
                    if finder.budget.exhausted {
                        break;
                    }
                    finder.candidate(&cand);
                }
            }
        }
    }
    finder.pull_quotes();
    let note = finder.budget.exhausted.then_some(BUDGET_NOTE);
    QuoteReport { quotes: finder.quotes, steps: finder.budget.spent, note }
}

/// The article-wide state of one run: names seen, each paragraph's last
/// speaker (for continuation), the quotes so far.
struct Finder<'p, 'b> {
    paras: &'p [Para<'b>],
    blocks: &'b [Block],
    facts: &'p PageFacts,
    book: NameBook,
    last_speaker: Vec<Option<Attribution>>,
    quotes: Vec<Quote>,
    /// Ids of the quotes so far, with their index: a repeated quote is kept once.
    seen: HashMap<String, usize>,
    budget: Budget,
}

impl Finder<'_, '_> {
    /// An embedded post: a quote by its account.
    fn embed(&mut self, para: &Para) {
        let text = para.block.text.trim();
        if !text.is_empty() {
            let speaker = para.block.account.clone().filter(|a| !a.trim().is_empty());
            let confidence =
                if speaker.is_some() { calibrated(Basis::Embed, Mention::FullName) } else { UNKNOWN_CONFIDENCE };
            let mut quote = block_quote(para, text, speaker.clone(), QuoteKind::Embed, confidence);
            quote.speaker_mention = speaker;
            self.push(quote);
        }
    }

    /// A block quote: by its trailing "— Name" or credit line, else the paragraph before.
    fn blockquote(&mut self, p: usize) {
        let para = &self.paras[p];
        if credit_of(self.paras, p).is_some() {
            return;
        }
        let (text, dash) = trailing_attribution(&para.block.text);
        let text = strip_marks(&text).to_string();
        if text.is_empty() {
            return;
        }
        let dash = dash.or_else(|| credited(self.paras, self.blocks, p));
        let attribution = match dash {
            Some(name) => Some(credit(name)),
            None => inherit(self.paras, &mut self.book, &self.last_speaker, p, true),
        };
        let mut quote = block_quote(para, &text, None, QuoteKind::Block, UNKNOWN_CONFIDENCE);
        if let Some(a) = attribution.filter(|a| a.speaker.is_some()) {
            a.fill(&mut quote);
            self.last_speaker[p] = Some(a);
        }
        self.push(quote);
    }

    /// A candidate from quotation marks or `<q>`: classify, attribute, keep.
    fn candidate(&mut self, cand: &Candidate) {
        let paras = self.paras;
        let (p, s) = cand.parts[0];
        let para = &paras[p];
        let text = candidate_text(paras, cand);
        let &(lp, ls) = cand.parts.last().unwrap_or(&(p, s));
        let (qa, qb) = para.token_range(s);
        let (lo, hi) = speaker::reach(&para.tokens, qa, qb);
        if !self.budget.spend(1 + hi - lo) {
            return;
        }
        let start = para.base + para.spans[s].start;
        let mut frame = speaker::frame(&para.tokens, qa, qb);
        if frame.is_none() && (lp, ls) != (p, s) {
            let (la, lb) = paras[lp].token_range(ls);
            frame = speaker::frame(&paras[lp].tokens, la, lb);
        }
        let verdict = classify(paras, cand, &text, frame.as_ref());
        let first_span = &para.spans[s];
        let end = paras[lp].base + paras[lp].spans[ls].end;
        let attribution = frame.as_ref().map(|f| resolve(&mut self.book, f, start));
        let kind = match verdict {
            Verdict::Drop => return,
            Verdict::Fragment => {
                // A description governs too ("critics called it “a miracle”"),
                // though it names nobody.
                let named =
                    matches!(frame.as_ref().map(|f| &f.subject), Some(Subject::Description(..) | Subject::Name(_)))
                        || attribution.as_ref().is_some_and(|a| a.speaker.is_some());
                if !(frame.as_ref().is_some_and(|f| f.confidence >= 0.8) && named) {
                    return;
                }
                QuoteKind::Partial
            }
            Verdict::Speech => {
                let wholly = !cand.split && cand.parts.iter().all(|&(pp, ss)| paras[pp].wholly(&paras[pp].spans[ss]));
                if wholly { QuoteKind::Block } else { QuoteKind::Inline }
            }
        };
        let kind = if first_span.mark.is_none() { QuoteKind::Q } else { kind };
        let adjacent = frame.as_ref().is_some_and(|f| f.adjacent);
        let attribution = match attribution {
            Some(a) if a.speaker.is_some() || a.cue.is_some() && adjacent => Some(a),
            _ => {
                // No frame: the sentence before it, the quote before it in
                // this paragraph, a colon introduction, or the previous
                // paragraph's speaker.
                let wholly = para.wholly(first_span);
                nearby::previous_sentence(&para.tokens, qa)
                    .map(|f| resolve(&mut self.book, &f, start))
                    .filter(|a| a.speaker.is_some())
                    .map(|a| Attribution { cue: None, ..a })
                    .or_else(|| self.last_speaker[p].clone().map(|a| carried(a, Basis::SameParagraph)))
                    .or_else(|| {
                        (first_span.start <= 1 || wholly)
                            .then(|| inherit(paras, &mut self.book, &self.last_speaker, p, wholly))
                            .flatten()
                    })
            }
        };
        let mut quote = Quote {
            id: quote_id(&text),
            text,
            speaker: None,
            speaker_mention: None,
            cue: None,
            outlet: None,
            via: None,
            kind,
            start,
            end,
            context: context(para, qa, qb),
            confidence: UNKNOWN_CONFIDENCE,
        };
        if let Some(a) = attribution {
            // A cue with no speaker still says how the words were said.
            quote.cue.clone_from(&a.cue);
            quote.via.clone_from(&a.via);
            if a.speaker.is_some() {
                a.fill(&mut quote);
                self.last_speaker[lp] = Some(a);
            }
        }
        self.push(quote);
    }
}

impl Finder<'_, '_> {
    fn push(&mut self, mut quote: Quote) {
        if quote.text.trim().is_empty() {
            return;
        }
        if let Some(&k) = self.seen.get(&quote.id) {
            // The same words printed twice (a pull quote set in the body, a
            // summary repeating a quote) are one utterance: the copy kept
            // takes the surer attribution of the two.
            let kept = &mut self.quotes[k];
            if quote.speaker.is_some() && (kept.speaker.is_none() || quote.confidence > kept.confidence) {
                kept.speaker = quote.speaker;
                kept.speaker_mention = quote.speaker_mention;
                kept.cue = quote.cue;
                kept.via = quote.via;
                kept.confidence = quote.confidence.clamp(0.0, 1.0);
            }
            return;
        }
        self.seen.insert(quote.id.clone(), self.quotes.len());
        quote.outlet.clone_from(&self.facts.outlet);
        quote.confidence = quote.confidence.clamp(0.0, 1.0);
        self.quotes.push(quote);
    }

    /// Pull quotes, kept only when they do not repeat a body quote.
    fn pull_quotes(&mut self) {
        let paras = self.paras;
        for (index, para) in paras.iter().enumerate().filter(|(_, p)| p.block.kind == BlockKind::PullQuote) {
            if !self.budget.spend(1 + self.quotes.len()) {
                return;
            }
            if credit_of(paras, index).is_some() {
                continue;
            }
            let (text, dash) = trailing_attribution(&para.block.text);
            let text = strip_marks(&text).to_string();
            if text.is_empty() || self.quotes.iter().any(|q| q.kind != QuoteKind::Embed && repeats(&text, &q.text)) {
                continue;
            }
            let dash = dash.or_else(|| credited(paras, self.blocks, index));
            let mut quote = block_quote(para, &text, None, QuoteKind::Block, UNKNOWN_CONFIDENCE);
            if let Some(name) = dash {
                credit(name).fill(&mut quote);
            }
            self.push(quote);
        }
    }
}

impl Attribution {
    /// Writes the speaker, its mention, cue, via and confidence into `quote`.
    fn fill(&self, quote: &mut Quote) {
        quote.speaker.clone_from(&self.speaker);
        quote.speaker_mention.clone_from(&self.mention_text);
        quote.cue.clone_from(&self.cue);
        quote.via.clone_from(&self.via);
        quote.confidence = self.confidence;
    }
}

/// The person a block quote's credit line or "— Name" names.
fn credit(name: String) -> Attribution {
    let mention = if name.split_whitespace().count() > 1 { Mention::FullName } else { Mention::OneWord };
    Attribution {
        speaker: Some(name.clone()),
        mention_text: Some(name),
        mention,
        cue: None,
        via: None,
        confidence: calibrated(Basis::Credit, mention),
    }
}

/// Attribution for a quote with no frame of its own, from the paragraph
/// before: its colon introduction, else (for a paragraph wholly a quote) its last speaker.
fn inherit(
    paras: &[Para],
    book: &mut NameBook,
    last: &[Option<Attribution>],
    p: usize,
    wholly: bool,
) -> Option<Attribution> {
    let prev = p.checked_sub(1)?;
    if let Some(frame) = nearby::colon_intro(&paras[prev].tokens) {
        let a = resolve(book, &frame, paras[p].base);
        if a.speaker.is_some() {
            return Some(a);
        }
    }
    if wholly {
        if let Some(a) = &last[prev] {
            return Some(carried(a.clone(), Basis::Continuation));
        }
        // A paragraph that quotes nobody introduces the speaker of the
        // quote standing alone after it.
        // A lone capitalized word opening the sentence must be a person the
        // article already named ("Graffiti appeared overnight." introduces nobody).
        if is_running_text(paras[prev].block.kind)
            && let Some((frame, ambiguous)) = nearby::closing_subject(&paras[prev].tokens)
            && !(ambiguous && matches!(&frame.subject, Subject::Name(n) if !book.knows(n, paras[p].base)))
        {
            let a = resolve(book, &frame, paras[p].base);
            if a.speaker.is_some() {
                return Some(Attribution { cue: None, ..a });
            }
        }
    }
    None
}

/// A quote covering a whole block (embed, block quote, pull quote).
fn block_quote(para: &Para, text: &str, speaker: Option<String>, kind: QuoteKind, confidence: f32) -> Quote {
    let offset = para.block.text.find(text).map_or(0, |b| para.block.text[..b].chars().count());
    let start = para.base + offset;
    Quote {
        id: quote_id(text),
        text: text.to_string(),
        speaker,
        speaker_mention: None,
        cue: None,
        outlet: None,
        via: None,
        kind,
        start,
        end: start + text.chars().count(),
        context: para.block.text.clone(),
        confidence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paragraph(text: String) -> Block {
        Block { kind: BlockKind::Paragraph, text, link_spans: Vec::new(), q_spans: Vec::new(), account: None }
    }

    /// Each quote's text and speaker, for an article of these paragraphs.
    fn speakers(paragraphs: &[&str]) -> Vec<(String, Option<String>)> {
        let blocks: Vec<Block> = paragraphs.iter().map(|p| paragraph((*p).to_string())).collect();
        find_quotes(&blocks, &PageFacts::default()).into_iter().map(|q| (q.text, q.speaker)).collect()
    }

    fn speaker_of(paragraphs: &[&str], quote_start: &str) -> Option<String> {
        let all = speakers(paragraphs);
        all.iter()
            .find(|(t, _)| t.starts_with(quote_start))
            .unwrap_or_else(|| panic!("no quote {quote_start}: {all:?}"))
            .1
            .clone()
    }

    #[test]
    fn a_participle_takes_the_subject_after_an_opening_adverbial() {
        let text = "Back in the spring, Mayor Ellen Roark toured the flooded streets, saying, “We will rebuild every house on this road.”";
        assert_eq!(speaker_of(&[text], "We will rebuild").as_deref(), Some("Ellen Roark"));
        let place =
            "Here in Lowmoor, Roark stepped up her attack on the insurers, saying, “They have abandoned this town.”";
        assert_eq!(speaker_of(&["Ellen Roark is the mayor.", place], "They have").as_deref(), Some("Ellen Roark"));
    }

    #[test]
    fn a_participle_takes_the_subject_after_a_connective() {
        let text =
            "And then Roark went fully on the attack, saying, “Nobody in this town will pay for their mistakes.”";
        assert_eq!(speaker_of(&["Mayor Ellen Roark spoke first.", text], "Nobody").as_deref(), Some("Ellen Roark"));
    }

    #[test]
    fn an_affiliation_after_the_name_is_not_the_speaker() {
        let text = "“The data leave no doubt,” said Tomas Brenner of the Northern Institute of Hydrology.";
        assert_eq!(speaker_of(&[text], "The data").as_deref(), Some("Tomas Brenner"));
    }

    #[test]
    fn the_hearer_before_a_colon_is_not_the_speaker() {
        let text = "Brenner later on Friday told Radio Nord: “The river will rise again before the winter.”";
        assert_eq!(speaker_of(&["Tomas Brenner studies rivers.", text], "The river").as_deref(), Some("Tomas Brenner"));
    }

    #[test]
    fn a_bare_quote_paragraph_takes_the_person_the_paragraph_before_introduces() {
        let intro = "Councillor Ines Varga is confident about the vote, partly because she sees the mayor as an ally.";
        let paragraphs = [intro, "“We will win this one comfortably.”", "“And then we start on the housing plan.”"];
        assert_eq!(speaker_of(&paragraphs, "We will win").as_deref(), Some("Ines Varga"));
        assert_eq!(speaker_of(&paragraphs, "And then").as_deref(), Some("Ines Varga"));
        // A word or two ("Pause.") introduces nobody; nor does a possessive,
        // or a capitalized word opening the sentence that names no one.
        assert_eq!(speaker_of(&["Pause.", "“Thank you all for coming tonight.”"], "Thank you"), None);
        assert_eq!(speaker_of(&["Graffiti appeared on the bridge.", "“Nothing here is for sale.”"], "Nothing"), None);
        // Nor a description: "Police said …" is about something else.
        assert_eq!(
            speaker_of(&["Police said they were looking into it.", "“Nothing here is for sale.”"], "Nothing"),
            None
        );
        let possessive = "Varga’s plans for the bridge do not change the fact that the budget is short.";
        assert_eq!(speaker_of(&[possessive, "“The council must find the money somewhere.”"], "The council"), None);
    }

    #[test]
    fn a_repeated_quote_takes_the_speaker_of_its_attributed_copy() {
        let paragraphs = [
            "“Rents will rise again next year, and faster than wages.”",
            "The city published its housing figures on Monday.",
            "“Rents will rise again next year, and faster than wages,” said the economist Pavel Kroll.",
        ];
        let all = speakers(&paragraphs);
        assert_eq!(all.len(), 1, "{all:?}");
        assert_eq!(all[0].1.as_deref(), Some("Pavel Kroll"));
    }

    #[test]
    fn a_quote_inside_a_sentence_without_a_cue_is_its_subjects() {
        let statement = "Mayor Ellen Roark issued a statement on Friday, “We will rebuild every house on this road.”";
        assert_eq!(speaker_of(&[statement], "We will rebuild").as_deref(), Some("Ellen Roark"));
        // A cue with no subject of its own ("to say") takes the sentence's.
        let prompted =
            "Councillor Ines Varga was prompted to say, “So far this has been the calmest meeting of the year.”";
        assert_eq!(speaker_of(&[prompted], "So far").as_deref(), Some("Ines Varga"));
        let apposed = "Tomas Brenner, who founded the river trust, welcomed “the first honest plan for the valley in twenty years.”";
        assert_eq!(speaker_of(&[apposed], "the first honest").as_deref(), Some("Tomas Brenner"));
    }

    #[test]
    fn a_description_keeps_whose_person_it_is() {
        let close = "“We have the votes,” said a person close to the Lindqvists.";
        assert_eq!(speaker_of(&[close], "We have").as_deref(), Some("a person close to the Lindqvists"));
        let adviser = "“It is over,” said one longtime adviser to Governor Ann B. Moss, who asked not to be named.";
        assert_eq!(
            speaker_of(&[adviser], "It is over").as_deref(),
            Some("one longtime adviser to Governor Ann B Moss")
        );
        let familiar = "“No deal before June,” said a source familiar with the talks on Friday.";
        assert_eq!(speaker_of(&[familiar], "No deal").as_deref(), Some("a source familiar with the talks"));
    }

    #[test]
    fn a_modifier_and_a_role_before_the_name_leave_the_name_as_subject() {
        let pollster =
            "Republican pollster Dana Shore shared the figures on Monday, writing, “The gap is closing fast.”";
        assert_eq!(speaker_of(&[pollster], "The gap").as_deref(), Some("Dana Shore"));
        let member = "Band member Kit shared the news last week, writing “We play for the river trust in May.”";
        assert_eq!(speaker_of(&[member], "We play").as_deref(), Some("Kit"));
        let candidate = "Green presidential candidate Mia Torvald closed the rally, saying, “This is our year.”";
        assert_eq!(speaker_of(&[candidate], "This is").as_deref(), Some("Mia Torvald"));
    }

    #[test]
    fn a_texts_owner_speaks_for_it() {
        let her = ["Mayor Ellen Roark spoke after the vote.", "“We will rebuild,” her statement said."];
        assert_eq!(speaker_of(&her, "We will").as_deref(), Some("Ellen Roark"));
        let named = ["“We will rebuild,” Mayor Ellen Roark's statement said."];
        assert_eq!(speaker_of(&named, "We will").as_deref(), Some("Ellen Roark"));
    }

    #[test]
    fn a_phrase_ending_on_a_preposition_is_no_subject() {
        let text = "The spokesman appeared to defend the housing plans by saying, “Nobody will lose a home.”";
        assert_eq!(speaker_of(&[text], "Nobody").as_deref(), Some("The spokesman"));
    }

    #[test]
    fn remembering_and_blogging_are_ways_of_saying() {
        let remembered = "“It was a different town then,” remembered Ada Quist, who ran the bakery for forty years.";
        assert_eq!(speaker_of(&[remembered], "It was").as_deref(), Some("Ada Quist"));
        let blogged = "Ada Quist said it best when she blogged: “Nobody here asked for a motorway.”";
        assert_eq!(speaker_of(&[blogged], "Nobody here").as_deref(), Some("Ada Quist"));
    }

    #[test]
    fn a_clause_opening_on_a_name_is_no_adverbial() {
        let adverb = "Roark subsequently defended the plan, calling her critics “people who have never once read a budget and never will, whatever the papers say about them.”";
        assert_eq!(speaker_of(&["Ellen Roark is the mayor.", adverb], "people who").as_deref(), Some("Ellen Roark"));
        let full = "Ellen Roark defended the plan, calling her critics “people who have never once read a budget and never will, whatever the papers say about them.”";
        assert_eq!(speaker_of(&[full], "people who").as_deref(), Some("Ellen Roark"));
    }

    #[test]
    fn an_indefinite_description_is_not_a_person_named_before() {
        let paragraphs = [
            "Pavel Kroll, a senior adviser to the mayor, spoke to the council on Monday.",
            "“Nobody in the building believes these numbers,” said one adviser.",
        ];
        assert_eq!(speaker_of(&paragraphs, "Nobody").as_deref(), Some("one adviser"));
    }

    #[test]
    fn titles_joined_by_and_share_the_name_after_them() {
        let lower = "“Turnout decides this one,” said former Lowmoor Gov. and party Chairman Ed Rennick.";
        assert_eq!(speaker_of(&[lower], "Turnout").as_deref(), Some("Ed Rennick"));
    }

    #[test]
    fn a_sentence_opening_on_an_article_has_a_description_for_subject() {
        let adding = "The spokeswoman declined to name a date, adding: “The board will decide in the spring.”";
        assert_eq!(speaker_of(&[adding], "The board").as_deref(), Some("The spokeswoman"));
        // The comma after an article's phrase closes the subject, not an adverbial.
        let colon = "The campaign, in a note to its donors, put it plainly: “We need every volunteer we can find.”";
        assert_eq!(speaker_of(&[colon], "We need").as_deref(), Some("The campaign"));
    }

    #[test]
    fn as_the_speaker_put_it_credits_the_clauses_subject() {
        let long = "As Tomas Brenner, who has studied the river for thirty years and written two books about its floods, put it, “The water always comes back.”";
        assert_eq!(speaker_of(&[long], "The water").as_deref(), Some("Tomas Brenner"));
        let written =
            "As the columnist Mara Quell had written a year earlier, “Nobody reads the small print until it bites.”";
        assert_eq!(speaker_of(&[written], "Nobody reads").as_deref(), Some("Mara Quell"));
    }

    #[test]
    fn a_page_over_the_step_budget_ends_in_a_note() {
        let blocks = [paragraph("“a” ".repeat(2000))];
        let report = find_within(&blocks, &PageFacts::default(), 20_000);
        assert_eq!(report.note, Some(BUDGET_NOTE));
        // The budget stops the run within one candidate's window of its limit.
        assert!(report.steps <= 20_000 + 4 * speaker::WINDOW_LIMIT, "{} steps", report.steps);
        let within = find_within(&[paragraph("“a” ".repeat(20))], &PageFacts::default(), 20_000);
        assert_eq!(within.note, None);
    }
}
