//! Word lists quotation finding relies on: the cue lexicon (English, French,
//! German, Spanish, Persian) and the small closed classes around it (auxiliaries,
//! pronouns, roles, honorifics, title markers, outlet words).
//!
//! Must not: hold anything page-specific; everything here is a constant.
//! Main entry: [`match_cue`], which finds the longest cue starting at a token.
//!
//! The English verb forms start from the `GenderGapTracker` quote-verb allow-list
//! (`sfu-discourse-lab/GenderGapTracker`, `nlp/english/rules/quote_verb_list.txt`,
//! MIT License, Copyright (c) 2018-2023 Maite Taboada): we kept the speech verbs,
//! dropped forms that are rarely a quote cue in news prose ("accept",
//! "convince", "ensure", "finding", "present", "release", bare "point"), and
//! added phrasal cues ("pointed out", "went on") and more verbs of saying. The
//! French forms are a hand-picked subset of the same project's French list.

use std::collections::HashMap;
use std::sync::LazyLock;

/// How a cue relates to its speaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CueClass {
    /// A verb of saying: the speaker is its subject, before it ("S said") or
    /// after it in inversion ("said S").
    Verb,
    /// A source preposition ("according to S", "selon S", "به گفته S"): the
    /// speaker always follows.
    Source,
}

/// English cue forms (lower case, space-separated words).
static ENGLISH: LazyLock<Vec<&'static str>> = LazyLock::new(|| data_lines(include_str!("lexicon/en/cues.txt")));

/// French cues: present and passé composé forms of the commonest verbs of saying.
static FRENCH: LazyLock<Vec<&'static str>> = LazyLock::new(|| data_lines(include_str!("lexicon/fr/cues.txt")));

/// German cues.
static GERMAN: LazyLock<Vec<&'static str>> = LazyLock::new(|| data_lines(include_str!("lexicon/de/cues.txt")));

/// Spanish cues.
static SPANISH: LazyLock<Vec<&'static str>> = LazyLock::new(|| data_lines(include_str!("lexicon/es/cues.txt")));

/// Persian cues (several are light-verb compounds written as two words).
static PERSIAN: LazyLock<Vec<&'static str>> = LazyLock::new(|| data_lines(include_str!("lexicon/fa/cues.txt")));

/// Cues whose speaker follows them.
const SOURCE_CUES: &[&str] = &["according to", "selon", "d'après", "laut", "zufolge", "según", "به گفته"];

/// Entries keyed by their first word; each value lists (words, class), longest first.
type CueIndex = HashMap<&'static str, Vec<(Vec<&'static str>, CueClass)>>;

static CUES: LazyLock<CueIndex> = LazyLock::new(|| {
    let mut index: CueIndex = HashMap::new();
    let extra = data_lines(include_str!("lexicon/en/cues-more.txt"));
    for entry in ENGLISH
        .iter()
        .chain(extra.iter())
        .chain(FRENCH.iter())
        .chain(GERMAN.iter())
        .chain(SPANISH.iter())
        .chain(PERSIAN.iter())
    {
        let words: Vec<&'static str> = entry.split(' ').collect();
        let class = if SOURCE_CUES.contains(entry) { CueClass::Source } else { CueClass::Verb };
        if let Some(first) = words.first() {
            let entries = index.entry(first).or_default();
            if !entries.iter().any(|(w, _)| *w == words) {
                entries.push((words, class));
            }
        }
    }
    for entries in index.values_mut() {
        entries.sort_by_key(|(words, _)| std::cmp::Reverse(words.len()));
    }
    index
});

/// Number of cue forms in the lexicon (all languages).
pub fn cue_count() -> (usize, usize) {
    (ENGLISH.len(), FRENCH.len() + GERMAN.len() + SPANISH.len() + PERSIAN.len())
}

/// The longest cue starting at `words[0]`: its length in words and class.
/// `words` are lower-cased word tokens.
pub fn match_cue(words: &[&str]) -> Option<(usize, CueClass)> {
    let first = words.first()?;
    let entries = CUES.get(first)?;
    entries.iter().find(|(entry, _)| words.len() >= entry.len() && entry.iter().zip(words).all(|(a, b)| a == b)).map(
        |(entry, class)| {
            // "added that": keep "that" out of the cue as written.
            let len = if entry.last() == Some(&"that") || entry.last() == Some(&"in") {
                entry.len() - 1
            } else {
                entry.len()
            };
            (len, *class)
        },
    )
}

/// Abbreviated titles written with a full stop before a name, from
/// `lexicon/en/titles.txt`.
static TITLE_ABBREVIATIONS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| data_lines(include_str!("lexicon/en/titles.txt")));

/// The entries of a lexicon data file: one a line, `#` comments and blank lines skipped.
fn data_lines(text: &'static str) -> Vec<&'static str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect()
}

/// Whether `word` (as written, without its full stop) is an abbreviated title ("Sen", "Gov").
pub fn is_title_abbreviation(word: &str) -> bool {
    TITLE_ABBREVIATIONS.contains(&word)
}

/// Auxiliaries and adverbs that may sit between a subject and its cue ("has said", "a-t-il dit").
pub static AUXILIARIES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| data_lines(include_str!("lexicon/shared/auxiliaries.txt")));

/// Personal pronouns a cue's subject may be.
pub fn pronoun_gender(word: &str) -> Option<Gender> {
    Some(match word {
        "he" | "il" | "er" | "él" => Gender::Male,
        "she" | "elle" | "ella" => Gender::Female,
        "او" | "وی" | "ایشان" => Gender::Unknown,
        _ => return None,
    })
}

/// What a pronoun or a name tells about its referent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    Male,
    Female,
    Unknown,
}

impl Gender {
    /// Whether a referent of gender `self` may be called `pronoun`.
    pub fn fits(self, pronoun: Gender) -> bool {
        self == Gender::Unknown || pronoun == Gender::Unknown || self == pronoun
    }
}

/// Honorifics: dropped from a name, and they tell its gender.
pub fn honorific_gender(word: &str) -> Option<Gender> {
    Some(match word.trim_end_matches('.') {
        "Mr" | "Sir" | "Lord" | "King" | "M" | "Monsieur" | "Herr" | "Señor" | "Sr" | "آقای" => Gender::Male,
        "Ms" | "Mrs" | "Miss" | "Dame" | "Lady" | "Queen" | "Mme" | "Madame" | "Frau" | "Señora" | "Sra" | "خانم" => {
            Gender::Female
        }
        "Dr" | "Prof" | "Professor" | "دکتر" | "مهندس" => Gender::Unknown,
        _ => return None,
    })
}

/// A few common given names, so "she said" skips a nearer male name. Not a
/// census: a name missing here simply has unknown gender.
static MALE_NAMES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| data_lines(include_str!("lexicon/shared/male-given-names.txt")));

static FEMALE_NAMES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| data_lines(include_str!("lexicon/shared/female-given-names.txt")));

/// Gender suggested by a given name.
pub fn given_name_gender(word: &str) -> Gender {
    if MALE_NAMES.contains(&word) {
        Gender::Male
    } else if FEMALE_NAMES.contains(&word) {
        Gender::Female
    } else {
        Gender::Unknown
    }
}

/// Capitalized words that are not names when they start a run ("The", "Yesterday").
pub static STOP_CAPS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| data_lines(include_str!("lexicon/shared/stop-caps.txt")));

/// Words of a role or title that precede a name ("Prime Minister Jacinda Ardern")
/// or describe a speaker ("the minister said"); compared lower-cased.
pub static ROLES: LazyLock<Vec<&'static str>> = LazyLock::new(|| data_lines(include_str!("lexicon/shared/roles.txt")));

/// Lower-case nouns that make a description speaker ("the ministry said", "police said").
pub static DESCRIPTION_NOUNS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| data_lines(include_str!("lexicon/shared/description-nouns.txt")));

/// Words right before an opening mark that make the quoted words a title,
/// name or term rather than speech ("the film “Dune”", "dubbed “the Beast”").
pub static TERM_MARKERS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| data_lines(include_str!("lexicon/shared/term-markers.txt")));

/// Term markers that name a kind of work ("the film", "the book"): they mark a
/// title, and titles start with a capital.
pub fn is_work_noun(word: &str) -> bool {
    matches!(
        word,
        "film"
            | "movie"
            | "book"
            | "novel"
            | "song"
            | "album"
            | "show"
            | "series"
            | "play"
            | "opera"
            | "documentary"
            | "podcast"
            | "essay"
            | "episode"
            | "poem"
            | "column"
            | "blog"
            | "programme"
            | "program"
            | "película"
            | "libro"
    )
}

/// Words that make a capitalized run an outlet ("The Guardian", "Le Monde", "BBC Radio").
pub static OUTLET_WORDS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| data_lines(include_str!("lexicon/shared/outlet-words.txt")));

/// Words that make a capitalized run an organisation rather than a person.
pub static ORG_WORDS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| data_lines(include_str!("lexicon/shared/org-words.txt")));

/// Relay cues: the words after them name the outlet the speaker spoke to.
pub const VIA_CUES: &[&[&str]] = &[
    &["told"],
    &["tells"],
    &["telling"],
    &["interview", "with"],
    &["speaking", "to"],
    &["speaking", "with"],
    &["talking", "to"],
    &["published", "by"],
    &["published", "in"],
    &["writing", "in"],
    &["wrote", "in"],
    &["said", "on"],
    &["appearing", "on"],
    &["entretien", "au"],
    &["entretien", "à"],
    &["entretien", "avec"],
    &["interview", "au"],
    &["interview", "à"],
    &["déclaré", "au"],
    &["déclaré", "à"],
    &["confié", "au"],
    &["confié", "à"],
    &["dit", "au"],
    &["sagte", "der"],
    &["sagte", "dem"],
    &["dijo", "a"],
    &["گفت‌وگو", "با"],
    &["به", "خبرگزاری"],
    &["به", "روزنامه"],
    &["به", "شبکه"],
];

/// Persian words that end a speaker's name before the cue (time, place, "also").
pub static PERSIAN_STOPS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| data_lines(include_str!("lexicon/fa/stops.txt")));

/// Nouns that tell the gender of the person they describe ("her brother,
/// Mateo …", "spokeswoman Karen …", "l'actrice …"); compared lower-cased.
pub fn noun_gender(word: &str) -> Option<Gender> {
    Some(match word {
        "brother" | "father" | "husband" | "grandson" | "grandfather" | "uncle" | "nephew" | "boyfriend"
        | "widower" | "man" | "spokesman" | "chairman" | "businessman" | "congressman" | "policeman" | "actor"
        | "frère" | "fils" | "père" | "mari" | "époux" | "oncle" | "neveu" | "acteur" | "directeur" | "président"
        | "député" | "avocat" | "réalisateur" | "homme" => Gender::Male,
        "sister" | "daughter" | "mother" | "wife" | "granddaughter" | "grandmother" | "aunt" | "niece"
        | "girlfriend" | "widow" | "woman" | "spokeswoman" | "chairwoman" | "businesswoman" | "congresswoman"
        | "policewoman" | "actress" | "sœur" | "soeur" | "fille" | "mère" | "épouse" | "tante" | "nièce"
        | "actrice" | "directrice" | "présidente" | "députée" | "avocate" | "réalisatrice" | "femme" | "sage-femme" => {
            Gender::Female
        }
        _ => return None,
    })
}

/// Persian nouns that open a role phrase in apposition ("سخنگوی وزارت نیرو",
/// "ناشر کتاب"), so the name beside them is the speaker, not the role.
pub static PERSIAN_ROLES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| data_lines(include_str!("lexicon/fa/roles.txt")));

/// Persian words that make a subject indefinite ("یکی از مادران", "یک کارشناس"):
/// someone the article does not name.
pub const PERSIAN_INDEFINITES: &[&str] = &["یک", "یکی", "برخی", "چند", "بسیاری", "تعدادی", "شماری"];

/// Persian nouns that head an organisation's name ("وزارت بهداشت").
pub const PERSIAN_ORG_HEADS: &[&str] = &[
    "وزارت",
    "سازمان",
    "شرکت",
    "بانک",
    "دانشگاه",
    "اداره",
    "شورای",
    "مجلس",
    "ستاد",
    "انجمن",
    "اتاق",
    "فدراسیون",
    "باشگاه",
    "دادگاه",
    "پلیس",
    "بنیاد",
    "خبرگزاری",
    "دولت",
    "شهرداری",
    "استانداری",
];

/// A Persian description's head as its organisation's name starts ("وزارتخانه" → "وزارت").
pub fn persian_org_head(word: &str) -> Option<&'static str> {
    Some(match word {
        "وزارتخانه" | "وزارت" => "وزارت",
        "سازمان" => "سازمان",
        "شرکت" => "شرکت",
        "بانک" => "بانک",
        "دانشگاه" => "دانشگاه",
        "اداره" => "اداره",
        "شورا" | "شورای" => "شورای",
        "باشگاه" => "باشگاه",
        "دادگاه" => "دادگاه",
        "فدراسیون" => "فدراسیون",
        "انجمن" => "انجمن",
        "بنیاد" => "بنیاد",
        "شهرداری" => "شهرداری",
        _ => return None,
    })
}

/// Common Persian given names, so a surname alone ("فرهادی گفت") merges to the
/// article's full name. Not a census: a missing name just stays unmerged.
pub static PERSIAN_GIVEN_NAMES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| data_lines(include_str!("lexicon/fa/given-names.txt")));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_lexicon_has_at_least_150_forms() {
        assert!(cue_count().0 >= 150, "{}", cue_count().0);
    }

    #[test]
    fn longest_cue_wins() {
        assert_eq!(match_cue(&["pointed", "out", "that"]), Some((2, CueClass::Verb)));
        assert_eq!(match_cue(&["according", "to", "x"]), Some((2, CueClass::Source)));
        assert_eq!(match_cue(&["تصریح", "کرد"]), Some((2, CueClass::Verb)));
        assert_eq!(match_cue(&["added", "that"]), Some((1, CueClass::Verb)));
        assert_eq!(match_cue(&["table"]), None);
    }
}
