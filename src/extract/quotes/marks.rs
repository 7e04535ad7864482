//! Quotation marks: finds the outermost quoted spans of one block of text.
//!
//! One left-to-right pass with a stack of open marks, so nested quotes ride
//! inside their outer quote and the cost is linear in the block. Straight and
//! single marks double as apostrophes (don't, '90s, students'); the tests for
//! that live here. Must not: decide whether a span is speech (that needs the
//! words around it, see `classify` in the parent module).
//!
//! Main type: [`MarkSpan`].

/// One outermost quoted span of a block, in character indices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkSpan {
    /// Index of the opening mark.
    pub open: usize,
    /// The quoted words, marks and inner padding excluded.
    pub start: usize,
    pub end: usize,
    /// Index of the closing mark; `None` when the block ends first (a quote
    /// running on into the next paragraph).
    pub close: Option<usize>,
    /// The opening mark.
    pub mark: char,
}

/// Characters that open a quotation, and what may close each.
fn closers(open: char) -> Option<&'static [char]> {
    Some(match open {
        // Typographers mix curly and straight marks (“… ," and "… ”): the
        // other style closes too, when it stands in a closing position.
        // A second “ after the words, before a space (“It's unusual,“
        // said …), is a mistyped closing mark.
        '“' => &['”', '"', '“'],
        // German „…“ and Polish/Hungarian „…”.
        '„' => &['“', '”'],
        '‘' => &['’'],
        '‚' => &['‘', '’'],
        '«' => &['»'],
        // German »…« and Danish.
        '»' => &['«'],
        '‹' => &['›'],
        '›' => &['‹'],
        '「' => &['」'],
        '『' => &['』'],
        '"' => &['"', '”'],
        '\'' => &['\''],
        _ => return None,
    })
}

/// Marks that double as apostrophes.
fn is_apostrophe_like(c: char) -> bool {
    matches!(c, '\'' | '’' | '‘')
}

/// French and Persian put a space inside guillemets; other marks hug their words.
fn is_guillemet(c: char) -> bool {
    matches!(c, '«' | '»' | '‹' | '›')
}

fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{a0}' || c == '\u{202f}'
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric()
}

/// Words an apostrophe shortens at their start ('em, 'til, 'n').
const ELISIONS: &[&str] = &["em", "til", "cause", "tis", "twas", "n", "round", "bout", "cos", "nuff"];

/// Whether the mark at `i` begins an elided word ('90s, 'em) rather than a quote.
fn is_elision(chars: &[char], i: usize) -> bool {
    let rest = chars.get(i + 1..).unwrap_or(&[]);
    if rest.first().is_some_and(char::is_ascii_digit) {
        return true;
    }
    let word: String = rest.iter().take_while(|c| c.is_alphabetic()).collect::<String>().to_lowercase();
    let after = rest.get(word.chars().count()).copied();
    ELISIONS.contains(&word.as_str()) && after.is_none_or(|c| !c.is_alphabetic())
}

fn opening_position(chars: &[char], i: usize, mark: char) -> bool {
    let prev = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
    let next = chars.get(i + 1).copied();
    let prev_ok = prev.is_none_or(|c| !is_word(c) && !matches!(c, '.' | ','));
    let next_ok = next.is_some_and(|c| !is_space(c) || is_guillemet(mark));
    prev_ok && next_ok
}

fn closing_position(chars: &[char], i: usize, mark: char) -> bool {
    let prev = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
    let next = chars.get(i + 1).copied();
    let prev_ok = prev.is_some_and(|c| !is_space(c) || is_guillemet(mark));
    let next_ok = next.is_none_or(|c| !is_word(c));
    prev_ok && next_ok
}

/// A closing single mark after an `s` followed by a word is a plural
/// possessive ("the students' union") when the quote can still close later.
fn is_possessive(chars: &[char], i: usize, mark: char) -> bool {
    let prev = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
    if !matches!(prev, Some('s' | 'S')) {
        return false;
    }
    let rest = chars.get(i + 1..).unwrap_or(&[]);
    let next_word = rest.iter().find(|c| !is_space(**c));
    if !next_word.is_some_and(|c| c.is_alphabetic()) {
        return false;
    }
    // Bounded look-ahead keeps a paragraph full of possessives linear.
    (i + 1..chars.len().min(i + 400)).any(|j| chars[j] == mark && closing_position(chars, j, mark))
}

/// The outermost quoted spans of `chars`, in order.
pub fn scan(chars: &[char]) -> Vec<MarkSpan> {
    // (opening mark, its index)
    let mut stack: Vec<(char, usize)> = Vec::new();
    let mut spans = Vec::new();
    for (i, &c) in chars.iter().enumerate() {
        let between_letters = i.checked_sub(1).and_then(|p| chars.get(p)).is_some_and(|p| is_word(*p))
            && chars.get(i + 1).is_some_and(|n| is_word(*n));
        // The second mark of "rock 'n' roll" closes an elision, not a quote.
        let ends_elision = i >= 2 && chars[i - 1] == 'n' && is_apostrophe_like(chars[i - 2]);
        if is_apostrophe_like(c) && (between_letters || ends_elision) {
            continue;
        }
        let open_index = stack.iter().rposition(|(open, _)| closers(*open).is_some_and(|closing| closing.contains(&c)));
        if let Some(depth) = open_index {
            let closes = match c {
                '\'' | '’' => closing_position(chars, i, c) && !is_possessive(chars, i, c),
                // The other style closes only from a closing position.
                '"' if stack[depth].0 != '"' => closing_position(chars, i, c) && !opening_position(chars, i, c),
                '“' if stack[depth].0 == '“' => {
                    closing_position(chars, i, c)
                        && !opening_position(chars, i, c)
                        && chars.get(i + 1).is_none_or(|n| is_space(*n))
                }
                '”' if stack[depth].0 == '"' => closing_position(chars, i, c),
                '"' => !(opening_position(chars, i, c) && !closing_position(chars, i, c) && stack.len() > depth + 1),
                _ => true,
            };
            if closes {
                let (mark, open) = stack[depth];
                stack.truncate(depth);
                if depth == 0 {
                    push_span(chars, &mut spans, mark, open, i, Some(i));
                }
                continue;
            }
        }
        if closers(c).is_some() && opening_position(chars, i, c) {
            if is_apostrophe_like(c) && is_elision(chars, i) {
                continue;
            }
            stack.push((c, i));
        }
    }
    if let Some(&(mark, open)) = stack.first() {
        // A straight single mark left open is an apostrophe we misread.
        if mark != '\'' {
            push_span(chars, &mut spans, mark, open, chars.len(), None);
        }
    }
    spans
}

fn push_span(chars: &[char], spans: &mut Vec<MarkSpan>, mark: char, open: usize, end: usize, close: Option<usize>) {
    let mut start = open + 1;
    let mut end = end.min(chars.len());
    while start < end && is_space(chars[start]) {
        start += 1;
    }
    while end > start && is_space(chars[end - 1]) {
        end -= 1;
    }
    if start < end {
        spans.push(MarkSpan { open, start, end, close, mark });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(text: &str) -> Vec<String> {
        let chars: Vec<char> = text.chars().collect();
        scan(&chars).iter().map(|s| chars[s.start..s.end].iter().collect()).collect()
    }

    #[test]
    fn straight_quotes_told_from_apostrophes() {
        assert_eq!(quoted("\"I don't know,\" she said of the '90s."), ["I don't know,"]);
        assert_eq!(quoted("'We back the students' union,' he said."), ["We back the students' union,"]);
        assert_eq!(quoted("It's rock 'n' roll, 'em all."), Vec::<String>::new());
        assert_eq!(quoted("'It is over,' she said."), ["It is over,"]);
    }

    #[test]
    fn a_mistyped_opening_mark_after_the_words_closes() {
        assert_eq!(quoted("“It is odd,“ said Ana Ruiz. “Very odd.”"), ["It is odd,", "Very odd."]);
    }

    #[test]
    fn every_mark_style() {
        assert_eq!(quoted("“A” ‘B’ «C» « D » „E“ ‚F‘ »G« 「H」 『I』"), ["A", "B", "C", "D", "E", "F", "G", "H", "I"]);
    }

    #[test]
    fn nested_quotes_stay_inside_the_outer() {
        assert_eq!(quoted("“He told me ‘never’, then left,” she said."), ["He told me ‘never’, then left,"]);
        assert_eq!(quoted("\"He said 'no' twice,\" she said."), ["He said 'no' twice,"]);
    }

    #[test]
    fn unclosed_quote_runs_to_the_end() {
        let chars: Vec<char> = "She said: “We will go on".chars().collect();
        let spans = scan(&chars);
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].close, None);
    }

    #[test]
    fn mixed_curly_and_straight_marks_close_each_other() {
        assert_eq!(
            quoted("“We will win so much,\" he said. \"You will be happy.”"),
            ["We will win so much,", "You will be happy."]
        );
        assert_eq!(quoted("“He said \"no\" twice,” she said."), ["He said \"no\" twice,"]);
    }

    #[test]
    fn curly_apostrophes_are_not_marks() {
        assert_eq!(quoted("It’s the ’90s and the workers’ pay."), Vec::<String>::new());
    }
}
