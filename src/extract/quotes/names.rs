//! Names: capitalized runs read as people or organisations, and the article's
//! book of mentions that merges "Ms Ardern" into "Jacinda Ardern" and resolves
//! "she said" to the nearest fitting speaker.
//!
//! Heuristic and cheap (no NER model): a name is a run of capitalized words,
//! roles and honorifics stripped from its front. Persian has no capitals, so
//! Persian speakers enter the book as the speaker finder reads them.
//! Must not: look at quotation marks. Main type: [`NameBook`].

use super::lexicon::{Gender, ORG_WORDS, ROLES, STOP_CAPS, given_name_gender, honorific_gender, match_cue};
use super::text::{Token, TokenKind};

/// Lower-case particles allowed inside a name ("Ursula von der Leyen", "Ministry of Health").
const CONNECTORS: &[&str] = &[
    "de", "van", "von", "der", "den", "al", "bin", "da", "du", "di", "la", "le", "of", "el", "ibn", "del", "y", "for",
];

/// Endings of agent nouns that describe a person before their name.
const AGENT_SUFFIXES: &[&str] =
    &["er", "or", "ist", "ian", "ant", "ent", "man", "woman", "ess", "eur", "euse", "ain", "ive"];

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

    fn is_org(&self) -> bool {
        self.words.iter().any(|w| ORG_WORDS.contains(&w.as_str()))
    }
}

/// Whether tokens `i` may sit inside a name run.
fn in_run(tokens: &[Token], i: usize) -> bool {
    let Some(t) = tokens.get(i) else { return false };
    t.quote.is_none()
        && t.is_word()
        && (t.is_capitalized() || CONNECTORS.contains(&t.lower.as_str()) || is_honorific_dot(tokens, i))
}

/// The full stop of "Mr." or "M." inside a name run.
fn is_honorific_dot(tokens: &[Token], i: usize) -> bool {
    tokens.get(i).is_some_and(|t| t.is_punct('.'))
        && i.checked_sub(1).and_then(|p| tokens.get(p)).is_some_and(|p| honorific_gender(&p.text).is_some())
}

/// The run of name tokens starting at `i`, as an exclusive end index.
pub fn run_right(tokens: &[Token], i: usize, hi: usize) -> usize {
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

/// The run of name tokens ending just before `end`, as its start index.
pub fn run_left(tokens: &[Token], lo: usize, end: usize) -> usize {
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
    let mut from = 0;
    while from < run.len() && STOP_CAPS.contains(&run[from].text.as_str()) {
        from += 1;
    }
    let mut run = &run[from..];
    let mut stripped_role = None;
    // A capitalized common noun heading a longer run is a role ("Coxswain Ian
    // Marsh" at a sentence start, "Betriebsratschefin Anna Keller").
    if run.len() >= 3 && given_name_gender(&run[0].text) == Gender::Unknown {
        let at_sentence_start = start == 0 || {
            let prev = &tokens[start - 1];
            prev.kind != TokenKind::Word || super::text::ends_sentence(tokens, start - 1)
        };
        if from == 0 && at_sentence_start || given_name_gender(&run[1].text) != Gender::Unknown {
            stripped_role = Some(run[0].lower.clone());
            run = &run[1..];
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
    let mut name_from = 0;
    for (k, t) in run.iter().enumerate() {
        if k + 1 < run.len() && (ROLES.contains(&t.lower.as_str()) || honorific_gender(&t.text).is_some()) {
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

/// Every name the article mentions, in order.
#[derive(Debug, Default)]
pub struct NameBook {
    mentions: Vec<Mention>,
}

impl NameBook {
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
                        Some(t) if ROLES.contains(&t.lower.as_str()) => name.roles.push(t.lower.clone()),
                        _ => break,
                    }
                }
                // An apposition after it ("Jane Doe, the foreign minister,").
                if tokens.get(end).is_some_and(|t| t.is_punct(',')) {
                    for t in tokens.iter().skip(end + 1).take(5) {
                        if t.is_punct(',') || !t.is_word() {
                            break;
                        }
                        if ROLES.contains(&t.lower.as_str()) {
                            name.roles.push(t.lower.clone());
                        }
                    }
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
                    self.mentions.push(Mention { pos: base + tokens[i].start, name, person });
                } else if let Some(full) = self.full_person(&name.words) {
                    // A surname alone ("Price said …") is a fresh mention of
                    // that person, so pronouns after it find them.
                    let name = full.clone();
                    self.mentions.push(Mention { pos: base + tokens[i].start, name, person: true });
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
                    self.mentions.push(Mention { pos: base + tokens[start].start, name, person: true });
                }
            }
            if super::text::ends_sentence(tokens, i) || !tokens[i].is_word() {
                start = i + 1;
            }
        }
    }

    /// The first person mentioned in full whose surname is `words`.
    fn full_person(&self, words: &[String]) -> Option<&Name> {
        self.mentions
            .iter()
            .find(|m| m.person && words.len() == 1 && m.name.words.len() > 1 && m.name.words.ends_with(words))
            .map(|m| &m.name)
    }

    /// Records a speaker found by a cue: speakers are people (or bodies) who speak.
    pub fn add_speaker(&mut self, name: &Name, pos: usize) {
        self.mentions.push(Mention { pos, name: name.clone(), person: true });
    }

    /// The article's first full form of `name` ("Ardern" → "Jacinda Ardern").
    pub fn canonical(&self, name: &Name) -> String {
        let words = &name.words;
        self.mentions
            .iter()
            .filter(|m| words.len() == 1 && m.name.words.len() > 1 && m.name.words.ends_with(words) && !m.name.is_org())
            .min_by_key(|m| m.pos)
            .map_or_else(|| name.text(), |m| m.name.text())
    }

    /// Gender of a person, from any mention sharing their surname.
    fn gender_of(&self, name: &Name) -> Gender {
        if name.gender != Gender::Unknown {
            return name.gender;
        }
        let Some(last) = name.words.last() else { return Gender::Unknown };
        self.mentions
            .iter()
            .filter(|m| m.name.words.last() == Some(last))
            .map(|m| m.name.gender)
            .find(|g| *g != Gender::Unknown)
            .unwrap_or(Gender::Unknown)
    }

    /// The nearest person mentioned before `pos` whom `pronoun` may refer to.
    pub fn resolve_pronoun(&self, pronoun: Gender, pos: usize) -> Option<String> {
        let mut people: Vec<&Mention> = self.mentions.iter().filter(|m| m.pos < pos && m.person).collect();
        people.sort_by_key(|m| std::cmp::Reverse(m.pos));
        people.into_iter().find(|m| self.gender_of(&m.name).fits(pronoun)).map(|m| self.canonical(&m.name))
    }

    /// The nearest name before `pos` that a description ("the ministry", "the
    /// minister") fits: its words or roles contain the head noun.
    pub fn resolve_description(&self, head: &str, pos: usize) -> Option<String> {
        self.mentions
            .iter()
            .filter(|m| m.pos < pos)
            .filter(|m| m.name.roles.iter().any(|r| r == head) || m.name.words.iter().any(|w| w.to_lowercase() == head))
            .max_by_key(|m| m.pos)
            .map(|m| self.canonical(&m.name))
    }
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
}
