//! Names: capitalized runs read as people or organisations, and the article's
//! book of mentions that merges "Ms Ardern" into "Jacinda Ardern" and resolves
//! "she said" to the nearest fitting speaker.
//!
//! Heuristic and cheap (no NER model): a name is a run of capitalized words,
//! roles and honorifics stripped from its front. Persian has no capitals, so
//! Persian speakers enter the book as the speaker finder reads them.
//! Must not: look at quotation marks. Main type: [`NameBook`].

use super::lexicon::{
    DESCRIPTION_NOUNS, Gender, ORG_WORDS, PERSIAN_GIVEN_NAMES, PERSIAN_ORG_HEADS, PERSIAN_STOPS, ROLES, STOP_CAPS,
    given_name_gender, honorific_gender, is_title_abbreviation, match_cue, noun_gender,
};
use super::text::{Token, TokenKind};
use std::collections::HashMap;

/// Who a cue's subject is, before resolution.
#[derive(Debug, Clone, PartialEq)]
pub enum Subject {
    Name(Name),
    Pronoun(Gender),
    /// A description's head noun and the phrase as written ("ministry" and
    /// "the health ministry" from "the health ministry said").
    Description(String, String),
    /// A subject we cannot name ("it said", "I said", "this official said").
    Unknown,
}

/// How many mentions before a quote a pronoun or description looks back
/// through: antecedents sit within a few paragraphs, and the bound keeps a
/// page of thousands of names and quotes linear.
const LOOKBACK: usize = 200;

/// Lower-case particles allowed inside a name ("Ursula von der Leyen", "Ministry of Health").
const CONNECTORS: &[&str] = &[
    "de", "van", "von", "der", "den", "al", "bin", "da", "du", "di", "la", "le", "of", "el", "ibn", "del", "y", "for",
];

/// Endings of agent nouns that describe a person before their name.
const AGENT_SUFFIXES: &[&str] =
    &["er", "or", "ist", "ian", "ant", "ent", "man", "woman", "ess", "eur", "euse", "ain", "ive"];

/// A lower-case noun naming what someone is: a role, a description head, or a
/// gendered noun ("minister", "company", "brother").
fn is_role_noun(word: &str) -> bool {
    ROLES.contains(&word) || DESCRIPTION_NOUNS.contains(&word) || noun_gender(word).is_some()
}

/// Role nouns of the phrase ending at the comma `comma` ("her brother,",
/// "Le ministre de l'Industrie,"): lower-case words back to a capital or
/// punctuation, kept when the phrase ends in a role noun or a role noun
/// governs it through "of"/"de".
fn roles_before_comma(tokens: &[Token], comma: usize) -> Vec<String> {
    let mut words = Vec::new();
    let mut k = comma;
    while k > 0 && words.len() < 5 {
        let t = &tokens[k - 1];
        if !t.is_word() || t.quote.is_some() || super::text::ends_sentence(tokens, k - 1) {
            break;
        }
        words.push(t);
        k -= 1;
    }
    // Words from the comma backwards: the phrase's head is the last word, or
    // the word before "of"/"de".
    let mut head_at = 0;
    while head_at < words.len() && words[head_at].is_capitalized() {
        head_at += 1;
    }
    if let Some(of) = words.iter().position(|t| matches!(t.lower.as_str(), "of" | "de" | "du" | "des" | "d")) {
        head_at = of + 1;
    }
    // French puts adjectives after the noun ("directeur général").
    if words.get(head_at).is_some_and(|t| !is_role_noun(&t.lower))
        && words.get(head_at + 1).is_some_and(|t| !t.is_capitalized() && is_role_noun(&t.lower))
    {
        head_at += 1;
    }
    let Some(head) = words.get(head_at) else { return Vec::new() };
    if head.is_capitalized() && !STOP_CAPS.contains(&head.text.as_str()) || !is_role_noun(&head.lower) {
        return Vec::new();
    }
    words[head_at..]
        .iter()
        .take_while(|t| {
            !t.is_capitalized() || STOP_CAPS.contains(&t.text.as_str()) || ROLES.contains(&t.lower.as_str())
        })
        .filter(|t| is_role_noun(&t.lower))
        .map(|t| t.lower.clone())
        .collect()
}

/// A name read from a run of tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct Name {
    pub words: Vec<String>,
    /// Role and honorific words stripped from its front, lower case.
    pub roles: Vec<String>,
    pub gender: Gender,
}

impl Name {
    pub fn text(&self) -> String {
        self.words.join(" ")
    }

    pub fn is_org(&self) -> bool {
        self.words.iter().any(|w| ORG_WORDS.contains(&w.as_str()))
    }

    /// Two or more words and no organisation word: reads as a person's full name.
    pub fn is_full_person(&self) -> bool {
        self.words.len() > 1 && !self.is_org()
    }
}

/// Whether tokens `i` may sit inside a name run.
fn in_run(tokens: &[Token], i: usize) -> bool {
    let Some(t) = tokens.get(i) else { return false };
    t.quote.is_none()
        && t.is_word()
        && (t.is_capitalized() || CONNECTORS.contains(&t.lower.as_str()) || is_honorific_dot(tokens, i))
}

/// The full stop of "Mr.", "Sen." or an initial ("James B. Cunningham")
/// inside a name run: it touches its word and a capitalized word follows.
fn is_honorific_dot(tokens: &[Token], i: usize) -> bool {
    let Some(dot) = tokens.get(i).filter(|t| t.is_punct('.')) else { return false };
    let Some(prev) = i.checked_sub(1).and_then(|p| tokens.get(p)).filter(|p| p.is_word() && p.end == dot.start) else {
        return false;
    };
    if honorific_gender(&prev.text).is_some() {
        return true;
    }
    // "B." and "J.J." (the tokenizer keeps "J.J" whole): initials.
    let letters = prev.text.split('.').collect::<Vec<_>>();
    let initial =
        letters.len() <= 3 && letters.iter().all(|l| l.chars().count() == 1 && l.chars().all(char::is_uppercase));
    (initial || is_title_abbreviation(&prev.text)) && tokens.get(i + 1).is_some_and(Token::is_capitalized)
}

/// Whether word token `i` is an abbreviated title written with its full stop ("Sen.").
fn is_dotted_title(tokens: &[Token], i: usize) -> bool {
    is_title_abbreviation(&tokens[i].text) && is_honorific_dot(tokens, i + 1)
}

/// Whether `[start, end)` holds an organisation word ("Center", "Department").
fn has_org_word(tokens: &[Token], start: usize, end: usize) -> bool {
    tokens.get(start..end).is_some_and(|run| run.iter().any(|t| ORG_WORDS.contains(&t.text.as_str())))
}

/// "and" or "&" joining two capitalized runs.
fn is_and(t: &Token) -> bool {
    t.quote.is_none() && matches!(t.lower.as_str(), "and" | "&" | "et")
}

/// The run of name tokens starting at `i`, as an exclusive end index. An
/// organisation's name runs on over "and" ("Department of Health and Social
/// Care", "National Snow and Ice Data Center"); two people's names do not.
pub fn run_right(tokens: &[Token], i: usize, hi: usize) -> usize {
    let mut end = simple_run_right(tokens, i, hi);
    while end > i && end + 1 < hi && is_and(&tokens[end]) && tokens[end + 1].is_capitalized() {
        let next = simple_run_right(tokens, end + 1, hi);
        if next <= end + 1 || !has_org_word(tokens, i, next) {
            break;
        }
        end = next;
    }
    end
}

fn simple_run_right(tokens: &[Token], i: usize, hi: usize) -> usize {
    let mut end = i;
    while end < hi && (in_run(tokens, end) || (end < hi && tokens[end].is_punct('.') && is_honorific_dot(tokens, end)))
    {
        end += 1;
    }
    // Particles do not end a name.
    while end > i && !tokens[end - 1].is_capitalized() {
        end -= 1;
    }
    end
}

/// The run of name tokens ending just before `end`, as its start index; over
/// "and" inside an organisation's name, as [`run_right`].
pub fn run_left(tokens: &[Token], lo: usize, end: usize) -> usize {
    let mut start = simple_run_left(tokens, lo, end);
    while start < end && start >= lo + 2 && is_and(&tokens[start - 1]) && tokens[start - 2].is_capitalized() {
        let prev = simple_run_left(tokens, lo, start - 1);
        if prev >= start - 1 || !has_org_word(tokens, prev, end) {
            break;
        }
        start = prev;
    }
    start
}

fn simple_run_left(tokens: &[Token], lo: usize, end: usize) -> usize {
    let mut start = end;
    while start > lo && (in_run(tokens, start - 1) || is_honorific_dot(tokens, start - 1)) {
        start -= 1;
    }
    while start < end && !tokens[start].is_capitalized() {
        start += 1;
    }
    start
}

/// Reads the tokens `[start, end)` as a name: stop-words, roles and
/// honorifics dropped from the front, a possessive dropped from the end.
pub fn read_name(tokens: &[Token], start: usize, end: usize) -> Option<Name> {
    let run: Vec<&Token> = tokens.get(start..end)?.iter().filter(|t| t.is_word()).collect();
    let titled: Vec<bool> = (start..end).filter(|&k| tokens[k].is_word()).map(|k| is_dotted_title(tokens, k)).collect();
    let mut from = 0;
    while from < run.len() && STOP_CAPS.contains(&run[from].text.as_str()) {
        from += 1;
    }
    let mut run = &run[from..];
    let mut titled = &titled[from..];
    let mut stripped_role = None;
    // A capitalized common noun heading a longer run is a role ("Coxswain Ian
    // Marsh" at a sentence start, "Betriebsratschefin Anna Keller").
    // Not before a middle initial: "Marcus T. Whitfield" is a given name, an
    // initial and a surname.
    let initial_next = run.get(1).is_some_and(|t| t.text.chars().count() == 1 && t.is_capitalized());
    if run.len() >= 3 && given_name_gender(&run[0].text) == Gender::Unknown && !initial_next {
        let at_sentence_start = start == 0 || {
            let prev = &tokens[start - 1];
            prev.kind != TokenKind::Word || super::text::ends_sentence(tokens, start - 1)
        };
        if from == 0 && at_sentence_start || given_name_gender(&run[1].text) != Gender::Unknown {
            stripped_role = Some(run[0].lower.clone());
            run = &run[1..];
            titled = &titled[1..];
        }
    }
    // "Rebecca Lin of Harbour Capital": a person's affiliation is not their name.
    if let Some(k) = run.iter().position(|t| t.lower == "of" || t.lower == "for")
        && k >= 2
        && !run[..k].iter().any(|t| ORG_WORDS.contains(&t.text.as_str()))
    {
        run = &run[..k];
    }
    // The last role word before the name proper ("Prime Minister Jacinda Ardern").
    // Not inside an organisation's name ("Department of Health and Social Care").
    let org_at = run.iter().position(|t| ORG_WORDS.contains(&t.text.as_str())).unwrap_or(run.len());
    let mut name_from = 0;
    for (k, t) in run.iter().enumerate().take(org_at) {
        let role = ROLES.contains(&t.lower.as_str()) || honorific_gender(&t.text).is_some() || titled[k];
        if k + 1 < run.len() && role {
            name_from = k + 1;
        }
    }
    let roles: Vec<String> =
        stripped_role.into_iter().chain(run[..name_from].iter().map(|t| t.lower.clone())).collect();
    let mut words: Vec<String> = run[name_from..].iter().map(|t| t.text.clone()).collect();
    if let Some(last) = words.last_mut() {
        for suffix in ["'s", "’s"] {
            if let Some(stripped) = last.strip_suffix(suffix) {
                *last = stripped.to_string();
            }
        }
    }
    if words.is_empty()
        || words.iter().all(|w| STOP_CAPS.contains(&w.as_str()))
        || words.iter().any(|w| w.chars().any(|c| c.is_ascii_digit()))
    {
        return None;
    }
    let mut gender = run[..name_from].iter().find_map(|t| honorific_gender(&t.text)).unwrap_or(Gender::Unknown);
    if gender == Gender::Unknown && words.len() > 1 {
        gender = given_name_gender(&words[0]);
    }
    Some(Name { words, roles, gender })
}

/// One mention of a name in the article.
#[derive(Debug, Clone)]
struct Mention {
    /// Character offset in the article text.
    pos: usize,
    name: Name,
    /// Known to be a person: honorific, role, given name, or speaker.
    person: bool,
}

/// Every name the article mentions, by position, with indices so that each
/// question costs a hash look-up or a bounded look-back, not a scan.
#[derive(Debug, Default)]
pub struct NameBook {
    /// Mentions read from the text, by position.
    mentions: Vec<Mention>,
    /// Speakers and genders learnt while attributing, by position.
    spoken: Vec<Mention>,
    /// The earliest full name (not an organisation) per last word.
    by_surname: HashMap<String, (usize, Vec<String>)>,
    /// The first full name per first word, and whether another one differs.
    by_given: HashMap<String, (Vec<String>, bool)>,
    /// The first full name known to be a person, per last word.
    person_by_surname: HashMap<String, Name>,
    /// Names of known gender per last word, first learnt first.
    genders: HashMap<String, Vec<(Vec<String>, Gender)>>,
}

impl NameBook {
    /// Records one mention: in its list by position, and in the indices.
    fn insert(&mut self, mention: Mention, spoken: bool) {
        let name = &mention.name;
        if let Some(last) = name.words.last() {
            if name.words.len() > 1 && !name.is_org() {
                let earliest = self.by_surname.entry(last.clone()).or_insert((mention.pos, name.words.clone()));
                if mention.pos < earliest.0 {
                    *earliest = (mention.pos, name.words.clone());
                }
                let given = self.by_given.entry(name.words[0].clone()).or_insert((name.words.clone(), false));
                if given.0 != name.words {
                    given.1 = true;
                }
            }
            if mention.person && name.words.len() > 1 {
                self.person_by_surname.entry(last.clone()).or_insert_with(|| name.clone());
            }
            if name.gender != Gender::Unknown {
                let known = self.genders.entry(last.clone()).or_default();
                if !known.iter().any(|(w, _)| *w == name.words) {
                    known.push((name.words.clone(), name.gender));
                }
            }
        }
        let list = if spoken { &mut self.spoken } else { &mut self.mentions };
        // Mentions arrive nearly in order: the insertion point is at or near the end.
        let at = list.partition_point(|m| m.pos <= mention.pos);
        list.insert(at, mention);
    }

    /// The mentions before `pos`, nearest first, at most [`LOOKBACK`].
    fn before(&self, pos: usize) -> impl Iterator<Item = &Mention> {
        let text = &self.mentions[..self.mentions.partition_point(|m| m.pos < pos)];
        let spoken = &self.spoken[..self.spoken.partition_point(|m| m.pos < pos)];
        let mut a = text.iter().rev().peekable();
        let mut b = spoken.iter().rev().peekable();
        std::iter::from_fn(move || match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if x.pos >= y.pos => a.next(),
            (_, Some(_)) => b.next(),
            (Some(_), None) => a.next(),
            (None, None) => None,
        })
        .take(LOOKBACK)
    }

    /// Adds the names of one paragraph's tokens outside quotes; `base` is the
    /// paragraph's offset in the article text.
    pub fn add_paragraph(&mut self, tokens: &[Token], base: usize) {
        let mut i = 0;
        while i < tokens.len() {
            if !in_run(tokens, i) || !tokens[i].is_capitalized() {
                i += 1;
                continue;
            }
            let end = run_right(tokens, i, tokens.len()).max(i + 1);
            if let Some(mut name) = read_name(tokens, i, end) {
                // Lower-case roles just before the run ("the health minister Jane Doe").
                for back in 1..=3 {
                    match i.checked_sub(back).and_then(|p| tokens.get(p)) {
                        Some(t) if is_role_noun(&t.lower) => name.roles.push(t.lower.clone()),
                        _ => break,
                    }
                }
                // An apposition before it ("the minister of industry, Julien Delorme,").
                if i >= 2 && tokens[i - 1].is_punct(',') {
                    name.roles.extend(roles_before_comma(tokens, i - 1));
                }
                // An apposition after it ("Jane Doe, the foreign minister,",
                // "Nimbus Cloud, the hosting company based in Dublin").
                if tokens.get(end).is_some_and(|t| t.is_punct(',')) {
                    for t in tokens.iter().skip(end + 1).take(5) {
                        if t.is_punct(',') || !t.is_word() {
                            break;
                        }
                        if is_role_noun(&t.lower) {
                            name.roles.push(t.lower.clone());
                        }
                    }
                }
                if name.gender == Gender::Unknown {
                    name.gender = name.roles.iter().find_map(|r| noun_gender(r)).unwrap_or(Gender::Unknown);
                }
                // An apposition ("the registrar, Colin Hart, was") or a verb of
                // saying right after the name also marks a person.
                let apposition = i.checked_sub(1).is_some_and(|p| tokens[p].is_punct(','))
                    || tokens.get(end).is_some_and(|t| t.is_punct(','));
                let speaks = tokens.get(end).is_some_and(|t| match_cue(&[t.lower.as_str()]).is_some());
                // "farmer Owen Price", "prosecutor Gareth Lloyd": an agent noun before the name.
                let described = i.checked_sub(1).and_then(|p| tokens.get(p)).is_some_and(|t| {
                    t.is_word() && !t.is_capitalized() && AGENT_SUFFIXES.iter().any(|s| t.lower.ends_with(s))
                });
                let person = !name.is_org()
                    && (!name.roles.is_empty() || name.gender != Gender::Unknown || apposition || speaks || described)
                    && (name.words.len() > 1 || !name.roles.is_empty());
                if name.words.len() > 1 || !name.roles.is_empty() {
                    self.insert(Mention { pos: base + tokens[i].start, name, person }, false);
                } else if let Some(full) = self.full_person(&name.words) {
                    // A surname alone ("Price said …") is a fresh mention of
                    // that person, so pronouns after it find them.
                    let name = full.clone();
                    self.insert(Mention { pos: base + tokens[i].start, name, person: true }, false);
                }
            }
            i = end;
        }
    }

    /// Adds Persian appositions: a sentence opening with two or three words and
    /// a comma ("علی کریمی، رئیس اتاق بازرگانی، …") names a person.
    pub fn add_persian_appositions(&mut self, tokens: &[Token], base: usize) {
        let mut start = 0;
        for i in 0..tokens.len() {
            if tokens[i].is_punct('،') && (2..=3).contains(&(i - start)) {
                let run = &tokens[start..i];
                if run.iter().all(|t| t.is_word() && t.is_arabic_script() && t.quote.is_none()) {
                    let words = run.iter().map(|t| t.text.clone()).collect();
                    let name = Name { words, roles: Vec::new(), gender: Gender::Unknown };
                    self.insert(Mention { pos: base + tokens[start].start, name, person: true }, false);
                }
            }
            if super::text::ends_sentence(tokens, i) || !tokens[i].is_word() {
                start = i + 1;
            }
        }
    }

    /// The first person mentioned in full whose surname is `words`.
    fn full_person(&self, words: &[String]) -> Option<&Name> {
        match words {
            [surname] => self.person_by_surname.get(surname),
            _ => None,
        }
    }

    /// Records a speaker found by a cue: speakers are people (or bodies) who speak.
    pub fn add_speaker(&mut self, name: &Name, pos: usize) {
        self.insert(Mention { pos, name: name.clone(), person: true }, true);
    }

    /// The article's first full form of `name`: a surname ("Ardern" →
    /// "Jacinda Ardern"), else a given name that only one full name starts
    /// with ("Margaret" → "Margaret Ellison").
    pub fn canonical(&self, name: &Name) -> String {
        let words = &name.words;
        if words.len() != 1 {
            return name.text();
        }
        if let Some((_, full)) = self.by_surname.get(&words[0]) {
            return full.join(" ");
        }
        if let Some((first, false)) = self.by_given.get(&words[0]) {
            return first.join(" ");
        }
        name.text()
    }

    /// Whether `name` is known before `pos` as a person: the surname of a
    /// full name, or a speaker already credited under these words.
    pub fn knows(&self, name: &Name, pos: usize) -> bool {
        name.words.last().is_some_and(|last| self.by_surname.contains_key(last))
            || self.before(pos).any(|m| m.person && m.name.words == name.words)
    }

    /// Whether mentions `a` and `b` may be one person: the same words, or one
    /// is the other's surname alone.
    fn same_person_words(a: &[String], b: &[String]) -> bool {
        a == b || (a.len() == 1 && b.last() == a.first()) || (b.len() == 1 && a.last() == b.first())
    }

    /// Gender of a person, from any mention of them ("Ms Okafor", "her brother, Mateo Delgado").
    fn gender_of(&self, name: &Name) -> Gender {
        if name.gender != Gender::Unknown {
            return name.gender;
        }
        let Some(last) = name.words.last() else { return Gender::Unknown };
        self.genders
            .get(last)
            .and_then(|known| known.iter().find(|(words, _)| Self::same_person_words(words, &name.words)))
            .map_or(Gender::Unknown, |(_, g)| *g)
    }

    /// Records that `speaker` (a canonical name) was called `pronoun`: "she
    /// recalled" makes Rosa Delgado a woman for the pronouns after.
    pub fn learn_gender(&mut self, speaker: &str, pronoun: Gender, pos: usize) {
        if pronoun == Gender::Unknown {
            return;
        }
        let words: Vec<String> = speaker.split_whitespace().map(str::to_string).collect();
        self.insert(Mention { pos, name: Name { words, roles: Vec::new(), gender: pronoun }, person: true }, true);
    }

    /// The nearest person mentioned before `pos` whom `pronoun` may refer to.
    pub fn resolve_pronoun(&self, pronoun: Gender, pos: usize) -> Option<String> {
        if let Some(m) = self.before(pos).filter(|m| m.person).find(|m| self.gender_of(&m.name).fits(pronoun)) {
            return Some(self.canonical(&m.name));
        }
        // No known person fits: the nearest full name that is not an
        // organisation ("Rosa Delgado and her brother, Mateo …; she said").
        self.before(pos)
            .find(|m| m.name.is_full_person() && self.gender_of(&m.name).fits(pronoun))
            .map(|m| self.canonical(&m.name))
    }

    /// The nearest name before `pos` that a description ("the ministry", "the
    /// minister", "the centre") fits: its words or roles contain the head noun,
    /// spelling variants allowed ("centre" fits "Center").
    pub fn resolve_description(&self, head: &str, pos: usize) -> Option<String> {
        self.before(pos)
            .find(|m| {
                m.name.roles.iter().any(|r| same_noun(r, head))
                    || m.name.words.iter().any(|w| same_noun(&w.to_lowercase(), head))
            })
            .map(|m| self.canonical(&m.name))
    }

    /// Adds Persian names the speaker finder may meet by surname alone: a
    /// common given name and the word after it ("نسرین فرهادی"), and an
    /// organisation's head noun with its next words ("وزارت بهداشت").
    pub fn add_persian_names(&mut self, tokens: &[Token], base: usize) {
        let arabic_word = |k: usize| {
            tokens.get(k).filter(|t| {
                t.is_word() && t.is_arabic_script() && t.quote.is_none() && !PERSIAN_STOPS.contains(&t.text.as_str())
            })
        };
        let mut i = 0;
        while i < tokens.len() {
            let Some(t) = arabic_word(i) else {
                i += 1;
                continue;
            };
            if PERSIAN_GIVEN_NAMES.contains(&t.text.as_str())
                && let Some(next) = arabic_word(i + 1)
                && !PERSIAN_GIVEN_NAMES.contains(&next.text.as_str())
                && match_cue(&[next.text.as_str()]).is_none()
            {
                let words = vec![t.text.clone(), next.text.clone()];
                let name = Name { words, roles: Vec::new(), gender: Gender::Unknown };
                self.insert(Mention { pos: base + t.start, name, person: true }, false);
                i += 2;
                continue;
            }
            if PERSIAN_ORG_HEADS.contains(&t.text.as_str()) && !ends_clause(tokens, i) {
                let mut words = vec![t.text.clone()];
                let mut k = i + 1;
                while words.len() < 3
                    && let Some(w) = arabic_word(k)
                {
                    if match_cue(&[w.text.as_str()]).is_some() {
                        break;
                    }
                    words.push(w.text.clone());
                    k += 1;
                }
                if words.len() > 1 {
                    let name = Name { words, roles: Vec::new(), gender: Gender::Unknown };
                    self.insert(Mention { pos: base + t.start, name, person: false }, false);
                }
                i = k;
                continue;
            }
            i += 1;
        }
    }
}

/// Whether token `i` is followed by punctuation (a one-word phrase).
fn ends_clause(tokens: &[Token], i: usize) -> bool {
    tokens.get(i + 1).is_none_or(|t| !t.is_word())
}

/// Equal nouns, allowing British and American spelling ("centre", "center").
fn same_noun(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let variant = |x: &str, y: &str| {
        x.strip_suffix("re").is_some_and(|stem| y.strip_suffix("er") == Some(stem) && !stem.is_empty())
    };
    variant(a, b) || variant(b, a)
}

#[cfg(test)]
mod tests {
    use super::super::text::tokenize;
    use super::*;

    fn book(text: &str) -> NameBook {
        let chars: Vec<char> = text.chars().collect();
        let mut book = NameBook::default();
        book.add_paragraph(&tokenize(&chars), 0);
        book
    }

    fn name(words: &[&str]) -> Name {
        Name { words: words.iter().map(ToString::to_string).collect(), roles: vec![], gender: Gender::Unknown }
    }

    #[test]
    fn surname_merges_to_first_full_name() {
        let book = book("Prime Minister Jacinda Ardern met Joe Biden in Washington.");
        assert_eq!(book.canonical(&name(&["Ardern"])), "Jacinda Ardern");
        assert_eq!(book.canonical(&name(&["Smith"])), "Smith");
    }

    #[test]
    fn pronoun_skips_a_nearer_name_of_the_other_gender() {
        let book = book("Jacinda Ardern met Joe Biden on Monday.");
        assert_eq!(book.resolve_pronoun(Gender::Female, 1000).as_deref(), Some("Jacinda Ardern"));
        assert_eq!(book.resolve_pronoun(Gender::Male, 1000).as_deref(), Some("Joe Biden"));
    }

    #[test]
    fn description_resolves_to_a_role() {
        let book = book("The health minister Ayesha Verrall spoke. The Ministry of Health agreed.");
        assert_eq!(book.resolve_description("minister", 1000).as_deref(), Some("Ayesha Verrall"));
        assert_eq!(book.resolve_description("ministry", 1000).as_deref(), Some("Ministry of Health"));
    }

    #[test]
    fn organisation_run_spans_and_but_two_people_do_not() {
        let chars: Vec<char> = "Department of Health and Social Care; Jane Doe and Joe Bloggs".chars().collect();
        let tokens = tokenize(&chars);
        assert_eq!(run_right(&tokens, 0, tokens.len()), 6);
        let jane = tokens.iter().position(|t| t.text == "Jane").unwrap_or(0);
        assert_eq!(run_right(&tokens, jane, tokens.len()), jane + 2);
    }

    #[test]
    fn spelling_variants_are_the_same_noun() {
        assert!(same_noun("centre", "center"));
        assert!(same_noun("theater", "theatre"));
        assert!(!same_noun("centre", "centrist"));
    }

    #[test]
    fn a_pronoun_teaches_the_gender_of_its_referent() {
        let mut book = book("Sam Rivers and Alex Moor met.");
        assert_eq!(book.resolve_pronoun(Gender::Female, 1000).as_deref(), Some("Alex Moor"));
        book.learn_gender("Alex Moor", Gender::Female, 1001);
        assert_eq!(book.resolve_pronoun(Gender::Male, 1002).as_deref(), Some("Sam Rivers"));
    }
}
