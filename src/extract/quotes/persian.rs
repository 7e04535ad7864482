//! Persian subjects: the speaker of a cue in Persian word order (subject
//! first, verb last, names after honorifics, organisations by their head).

use super::lexicon::{Gender, PERSIAN_INDEFINITES, PERSIAN_ROLES, PERSIAN_STOPS, persian_org_head, pronoun_gender};
use super::names::{Name, Subject};
use super::text::Token;

pub(super) const PERSIAN_CONNECTORS: &[&str] = &["و", "اما", "همچنین", "سپس", "ولی"];

pub(super) const PERSIAN_HONORIFICS: &[&str] = &["آقای", "خانم", "دکتر", "مهندس"];

/// A Persian subject: the clause's first noun phrase, up to its comma or a
/// time/place word ("محمد رضایی، سخنگوی دولت، روز دوشنبه گفت").
pub(super) fn persian_left(tokens: &[Token], lo: usize, cue_start: usize) -> Option<Subject> {
    let clause = &tokens[lo..cue_start];
    let mut k = 0;
    while k < clause.len() && (!clause[k].is_word() || PERSIAN_CONNECTORS.contains(&clause[k].text.as_str())) {
        k += 1;
    }
    if k < clause.len() && clause[k].quote.is_some() {
        return None;
    }
    persian_subject(tokens, lo + k, cue_start)
}

/// The subject among a Persian clause's comma-separated opening phrases: an
/// adverbial ("در مقابل،") and a role ("ناشر کتاب،") are passed over for the
/// name beside them; an indefinite ("یکی از مادران") names nobody.
pub(super) fn persian_subject(tokens: &[Token], from: usize, hi: usize) -> Option<Subject> {
    let mut at = from;
    let mut role = None;
    for _ in 0..4 {
        let first = tokens.get(at).filter(|t| at < hi && t.is_word() && t.quote.is_none())?;
        let comma = (at..hi).find(|&k| tokens[k].is_punct('،') || tokens[k].quote.is_some());
        let next = comma.filter(|&c| tokens[c].is_punct('،')).map(|c| c + 1);
        let adverbial = PERSIAN_STOPS.contains(&first.text.as_str()) && next.is_some();
        let is_role = PERSIAN_ROLES.contains(&first.text.as_str());
        match next {
            Some(n) if adverbial || (is_role && role.is_none()) => {
                if is_role {
                    role = Some(at);
                }
                at = n;
            }
            _ if is_role => return role.map_or_else(|| persian_name(tokens, at, hi), |r| persian_name(tokens, r, hi)),
            _ => return persian_name(tokens, at, hi),
        }
    }
    role.and_then(|r| persian_name(tokens, r, hi))
}

/// A Persian name starting at `from`, ending at a comma, a stop word or `hi`.
pub(super) fn persian_name(tokens: &[Token], from: usize, hi: usize) -> Option<Subject> {
    let first = tokens.get(from).filter(|_| from < hi)?;
    if let Some(gender) = pronoun_gender(&first.lower) {
        return Some(Subject::Pronoun(gender));
    }
    if PERSIAN_INDEFINITES.contains(&first.text.as_str()) {
        return Some(Subject::Unknown);
    }
    // "این وزارتخانه": this ministry, named before.
    if matches!(first.text.as_str(), "این" | "آن")
        && let Some(head) = tokens.get(from + 1).filter(|_| from + 1 < hi).and_then(|t| persian_org_head(&t.text))
    {
        return Some(Subject::Description(head.to_string(), head.to_string()));
    }
    let mut words = Vec::new();
    let mut roles = Vec::new();
    for t in &tokens[from..hi] {
        if !t.is_word() || t.quote.is_some() || PERSIAN_STOPS.contains(&t.text.as_str()) || words.len() >= 5 {
            break;
        }
        if words.is_empty() && PERSIAN_HONORIFICS.contains(&t.text.as_str()) {
            roles.push(t.text.clone());
            continue;
        }
        words.push(t.text.clone());
    }
    if words.is_empty() {
        return Some(Subject::Unknown);
    }
    let gender = roles.first().and_then(|r| super::lexicon::honorific_gender(r)).unwrap_or(Gender::Unknown);
    Some(Subject::Name(Name { words, roles, gender }))
}

/// A Persian cue after "و" (a second verb sharing the clause's subject).
pub(super) fn persian_coordinated(tokens: &[Token], cue_start: usize) -> bool {
    tokens[cue_start].is_arabic_script()
        && cue_start.checked_sub(1).and_then(|k| tokens.get(k)).is_some_and(|t| t.text == "و" && t.quote.is_none())
}
