//! Word lists quotation finding relies on: the cue lexicon (English, French,
//! German, Spanish, Persian) and the small closed classes around it (auxiliaries,
//! pronouns, roles, honorifics, title markers, outlet words).
//!
//! Must not: hold anything page-specific; everything here is a constant.
//! Main entry: [`match_cue`], which finds the longest cue starting at a token.
//!
//! The English verb forms start from the GenderGapTracker quote-verb allow-list
//! (sfu-discourse-lab/GenderGapTracker, `nlp/english/rules/quote_verb_list.txt`,
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
const ENGLISH: &[&str] = &[
    // From the GenderGapTracker list (speech verbs kept).
    "acknowledge", "acknowledged", "acknowledges", "acknowledging", "add", "added", "adding", "adds", "admit",
    "admits", "admitted", "admitting", "advise", "advised", "advises", "advising", "announce", "announced",
    "announces", "announcing", "argue", "argued", "argues", "arguing", "assert", "asserted", "asserting", "asserts",
    "assure", "assured", "assures", "assuring", "claim", "claimed", "claiming", "claims", "clarified", "clarifies",
    "clarify", "clarifying", "comment", "commented", "commenting", "comments", "conclude", "concluded", "concludes",
    "concluding", "confirm", "confirmed", "confirming", "confirms", "continue", "continued", "continues",
    "continuing", "criticize", "criticized", "criticizes", "criticizing", "declare", "declared", "declares",
    "declaring", "decried", "decries", "decry", "decrying", "describe", "described", "describes", "describing",
    "exclaim", "exclaimed", "exclaiming", "exclaims", "explain", "explained", "explaining", "explains", "highlight",
    "highlighted", "highlighting", "highlights", "indicate", "indicated", "indicates", "indicating", "insist",
    "insisted", "insisting", "insists", "mention", "mentioned", "mentioning", "mentions", "note", "noted", "notes",
    "noting", "predict", "predicted", "predicting", "predicts", "proclaim", "proclaimed", "proclaiming", "proclaims",
    "reassure", "reassured", "reassures", "reassuring", "reckon", "reckoned", "reckons", "remind", "reminded",
    "reminds", "replied", "replies", "reply", "replying", "report", "reported", "reports", "respond", "responded",
    "responding", "responds", "restate", "restated", "restates", "said", "say", "saying", "says", "state", "stated",
    "states", "stating", "suggest", "suggested", "suggesting", "suggests", "tell", "telling", "tells", "told",
    "testified", "testifies", "testify", "testifying", "tweet", "tweeted", "tweeting", "tweets", "warn", "warned",
    "warning", "warns", "write", "writes", "writing", "wrote",
    // Added: phrasal cues and further verbs of saying.
    "pointed out", "points out", "pointing out", "point out", "went on", "goes on", "go on", "going on",
    "added that", "summed up", "sums up", "spelled out", "put it", "puts it", "shot back", "fired back",
    "hit back", "stressed", "stresses", "stressing", "emphasised", "emphasized", "emphasises", "emphasizes",
    "underlined", "underscored", "observed", "observes", "remarked", "remarks", "recalled", "recalls", "quipped",
    "joked", "jokes", "shouted", "yelled", "whispered", "cried", "muttered", "answered", "answers", "asked", "asks",
    "wondered", "wonders", "urged", "urges", "pleaded", "vowed", "vows", "promised", "promises", "pledged",
    "conceded", "concedes", "complained", "complains", "lamented", "laments", "cautioned", "cautions", "posted",
    "reiterated", "reiterates", "maintained", "maintains", "contended", "contends", "countered", "counters",
    "retorted", "boasted", "charged", "alleged", "accused", "blasted", "slammed", "criticised", "criticises",
    "called", "calls", "recounted", "recounts", "disclosed", "revealed", "reveals", "acknowledged that", "agreed",
    "agrees", "objected", "protested", "predicted that", "echoed", "thundered", "snapped", "sighed", "mused",
    "explained that", "wrote in", "according to",
];

/// French cues: present and passé composé forms of the commonest verbs of saying.
const FRENCH: &[&str] = &[
    "a dit", "dit", "disent", "a déclaré", "déclaré", "déclare", "a affirmé", "affirmé", "affirme", "a estimé",
    "estimé", "estime", "a ajouté", "ajouté", "ajoute", "a expliqué", "expliqué", "explique", "a souligné",
    "souligné", "souligne", "a indiqué", "indiqué", "indique", "a précisé", "précisé", "précise", "a assuré",
    "assuré", "assure", "a confié", "confié", "confie", "a lancé", "lancé", "lance", "a averti", "averti",
    "avertit", "a martelé", "martelé", "martèle", "a insisté", "insisté", "insiste", "a reconnu", "reconnu",
    "reconnaît", "a rappelé", "rappelé", "rappelle", "a annoncé", "annoncé", "annonce", "a répondu", "répondu",
    "répond", "a poursuivi", "poursuivi", "poursuit", "a dénoncé", "dénoncé", "dénonce", "a jugé", "jugé", "juge",
    "a regretté", "regretté", "regrette", "a commenté", "commenté", "a écrit", "écrit", "selon", "d'après",
];

/// German cues.
const GERMAN: &[&str] = &[
    "sagte", "sagt", "sagten", "erklärte", "erklärt", "betonte", "betont", "meinte", "meint", "fügte", "warnte",
    "warnt", "kritisierte", "schrieb", "schreibt", "laut", "zufolge",
];

/// Spanish cues.
const SPANISH: &[&str] = &[
    "dijo", "dice", "afirmó", "afirma", "explicó", "explica", "señaló", "señala", "añadió", "añade", "aseguró",
    "asegura", "declaró", "declara", "indicó", "indica", "subrayó", "advirtió", "según",
];

/// Persian cues (several are light-verb compounds written as two words).
const PERSIAN: &[&str] = &[
    "گفت", "گفته است", "گفته بود", "می‌گوید", "میگوید", "افزود", "تصریح کرد", "اظهار داشت", "اظهار کرد", "به گفته",
    "اعلام کرد", "تاکید کرد", "تأکید کرد", "خاطرنشان کرد", "یادآور شد", "ادامه داد", "توضیح داد", "هشدار داد",
    "عنوان کرد", "بیان کرد", "اضافه کرد", "نوشت", "پاسخ داد",
];

/// Cues whose speaker follows them.
const SOURCE_CUES: &[&str] = &["according to", "selon", "d'après", "laut", "zufolge", "según", "به گفته"];

/// Entries keyed by their first word; each value lists (words, class), longest first.
type CueIndex = HashMap<&'static str, Vec<(Vec<&'static str>, CueClass)>>;

static CUES: LazyLock<CueIndex> = LazyLock::new(|| {
    let mut index: CueIndex = HashMap::new();
    for entry in ENGLISH.iter().chain(FRENCH).chain(GERMAN).chain(SPANISH).chain(PERSIAN) {
        let words: Vec<&'static str> = entry.split(' ').collect();
        let class = if SOURCE_CUES.contains(entry) { CueClass::Source } else { CueClass::Verb };
        if let Some(first) = words.first() {
            index.entry(first).or_default().push((words, class));
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
            let len = if entry.last() == Some(&"that") || entry.last() == Some(&"in") { entry.len() - 1 } else { entry.len() };
            (len, *class)
        },
    )
}

/// Auxiliaries and adverbs that may sit between a subject and its cue ("has said", "a-t-il dit").
pub const AUXILIARIES: &[&str] = &[
    "has", "had", "have", "was", "is", "were", "will", "would", "also", "later", "then", "previously", "further",
    "again", "once", "recently", "earlier", "simply", "reportedly", "flatly", "bluntly", "repeatedly", "has also",
    "a", "ont", "avait", "avaient", "aussi", "encore", "hat", "hatte", "haben", "auch", "ha", "había", "también",
    "نیز", "همچنین", "هم",
];

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
const MALE_NAMES: &[&str] = &[
    "James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph", "Thomas", "Charles", "Daniel",
    "Matthew", "Mark", "Paul", "Peter", "George", "Steven", "Andrew", "Kevin", "Brian", "Edward", "Tom", "Joe",
    "Ben", "Sam", "Chris", "Tony", "Nick", "Ahmed", "Mohammed", "Ali", "Hassan", "Reza", "Javad", "Massoud",
    "Emmanuel", "Jean", "Pierre", "François", "Olaf", "Friedrich", "Pedro", "Carlos", "Luis", "Omar", "Raj", "Ivan",
    "Hamid", "Hossein", "Mahmoud", "Olivier", "Marc", "Luc", "Simon", "Oliver", "Harry", "Jack", "Liam", "Noah",
];

const FEMALE_NAMES: &[&str] = &[
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah", "Karen", "Nancy",
    "Lisa", "Emma", "Olivia", "Anna", "Maria", "Jacinda", "Angela", "Ursula", "Kamala", "Hillary", "Fatima",
    "Maryam", "Zahra", "Leila", "Sophie", "Marie", "Claire", "Julie", "Isabelle", "Ana", "Carmen", "Laura", "Priya",
    "Aisha", "Helen", "Rachel", "Rebecca", "Grace", "Alice", "Nadia", "Amina", "Sara", "Elena", "Catherine",
    "Margaret", "Jane", "Ruth", "Chloe", "Amelie", "Ingrid", "Greta",
];

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
pub const STOP_CAPS: &[&str] = &[
    "The", "A", "An", "But", "And", "Or", "So", "In", "On", "At", "By", "For", "From", "With", "Without", "To",
    "Of", "It", "Its", "This", "That", "These", "Those", "He", "She", "They", "We", "I", "You", "His", "Her",
    "Their", "Our", "My", "Your", "Yesterday", "Today", "Tomorrow", "Later", "Earlier", "However", "Meanwhile",
    "Also", "Speaking", "Asked", "After", "Before", "When", "While", "Then", "Last", "Next", "If", "As", "Still",
    "Yet", "There", "Here", "What", "Why", "How", "Who", "Where", "Some", "Many", "Most", "Both", "Each", "Every",
    "Such", "Despite", "Although", "Though", "Because", "Since", "Under", "Over", "Monday", "Tuesday", "Wednesday",
    "Thursday", "Friday", "Saturday", "Sunday", "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December", "Le", "La", "Les", "Un", "Une", "Il", "Elle", "Ils",
    "Elles", "Mais", "Et", "Pour", "Dans", "Selon", "Der", "Die", "Das", "Ein", "Eine", "Er", "Sie", "Es", "El",
    "Los", "Las", "Según", "Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche", "Interviewed",
    "Writing", "Addressing", "Responding", "According",
];

/// Words of a role or title that precede a name ("Prime Minister Jacinda Ardern")
/// or describe a speaker ("the minister said"); compared lower-cased.
pub const ROLES: &[&str] = &[
    "mr", "ms", "mrs", "miss", "dr", "prof", "professor", "sir", "dame", "lord", "lady", "president", "vice",
    "prime", "minister", "ministre", "secretary", "foreign", "health", "finance", "interior", "defence", "defense",
    "education", "justice", "deputy", "chief", "executive", "senator", "sen", "rep", "representative",
    "congressman", "congresswoman", "governor", "mayor", "judge", "general", "gen", "ambassador", "chancellor",
    "king", "queen", "pope", "coach", "captain", "officer", "director", "spokesperson", "spokesman", "spokeswoman",
    "premier", "commissioner", "inspector", "sergeant", "detective", "chairman", "chairwoman", "chair", "ceo",
    "founder", "leader", "opposition", "state", "labour", "labor", "party", "mp", "economist", "analyst", "lawyer",
    "attorney", "councillor", "councilor", "head", "manager", "researcher", "scientist", "author", "activist",
    "président", "présidente", "porte-parole", "député", "députée", "maire", "m", "mme", "herr", "frau",
    "präsident", "präsidentin", "bundeskanzler", "bundeskanzlerin", "kanzler", "kanzlerin", "ministerin",
    "presidente", "ministra", "portavoz", "señor", "señora", "monsieur", "madame", "premier", "first",
];

/// Lower-case nouns that make a description speaker ("the ministry said", "police said").
pub const DESCRIPTION_NOUNS: &[&str] = &[
    "ministry", "minister", "spokesperson", "spokesman", "spokeswoman", "police", "company", "firm",
    "government", "official", "officials", "authorities", "department", "agency", "statement", "council",
    "president", "prime", "mayor", "governor", "source", "sources", "group", "union", "court", "commission",
    "ministère", "ministre", "gouvernement", "porte-parole", "ministerium", "regierung", "ministerio", "gobierno",
    "organisation", "organization", "board", "party", "campaign", "team", "club", "school", "university",
    "hospital", "embassy", "army", "military", "researchers", "experts", "critics", "residents", "witnesses",
];

/// Words right before an opening mark that make the quoted words a title,
/// name or term rather than speech ("the film “Dune”", "dubbed “the Beast”").
pub const TERM_MARKERS: &[&str] = &[
    "so-called", "dubbed", "called", "nicknamed", "named", "titled", "entitled", "film", "movie", "book", "novel",
    "song", "album", "show", "series", "play", "opera", "documentary", "podcast", "essay", "headline", "slogan",
    "hashtag", "term", "word", "words", "phrase", "label", "labelled", "labeled", "branded", "episode", "poem",
    "campaign", "programme", "program", "operation", "motto", "banner", "sign", "column", "blog", "letter",
    "baptisé", "baptisée", "surnommé", "surnommée", "intitulé", "intitulée", "prétendue", "prétendu", "soi-disant",
    "sogenannte", "sogenannten", "sogenannter", "llamado", "llamada", "denominado", "denominada", "película",
    "libro", "فیلم", "کتاب", "موسوم", "اصطلاح", "عنوان", "شعار", "هشتگ", "سریال",
];

/// Words that make a capitalized run an outlet ("The Guardian", "Le Monde", "BBC Radio").
pub const OUTLET_WORDS: &[&str] = &[
    "Times", "Post", "News", "Journal", "Guardian", "Monde", "Radio", "TV", "Television", "Press", "Reuters",
    "Agency", "Figaro", "Herald", "Telegraph", "Magazine", "Daily", "Tribune", "Gazette", "Observer", "Review",
    "Independent", "Mail", "Express", "Chronicle", "Standard", "Spiegel", "Zeitung", "País", "Libération",
    "Parisien", "Bloomberg", "Iranian", "Statecraft", "Economist", "Atlantic", "Network", "Channel", "Podcast",
];

/// Words that make a capitalized run an organisation rather than a person.
pub const ORG_WORDS: &[&str] = &[
    "Ministry", "Department", "University", "Party", "Company", "Inc", "Corp", "Council", "Agency", "Bank",
    "Court", "Commission", "Association", "Institute", "Union", "Committee", "Office", "Police", "Group", "Service",
    "Foundation", "Organisation", "Organization", "Board", "Authority", "Government", "Ministère", "Ministerium",
    "Ministerio", "Federation", "League", "Club", "Hospital", "School", "Embassy", "Army", "Times", "News",
];

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
