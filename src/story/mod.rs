//! Near-duplicate detection: is this article the same story as that one?
//!
//! Two outlets that run one wire story rewrite it a little (a new headline,
//! a trimmed paragraph, a local sentence added); two different stories on the
//! same topic share names and vocabulary but few runs of words. So the test
//! is the Jaccard similarity of word 3-shingles (runs of three words) of
//! title and main text, estimated with `MinHash`: a [`Signature`] of
//! [`HASHES`] minima is computed once per item and compared in
//! microseconds, without keeping the text.
//!
//! Hand-written rather than a crate: no maintained `MinHash` crate is in our
//! dependency tree (the ones on crates.io bring LSH frameworks and their own
//! hashing stacks), and the whole algorithm is a hash per shingle and a
//! minimum per slot. Pure: no I/O, no clock; the caller decides which items
//! to compare (see `editorial::stories`).
//!
//! The threshold and shingle size are measured on our own test set
//! (`tests/fixtures/stories/pairs.toml`, `gleaner eval stories FILE`): every
//! same-story pair there scores at least 0.38, every other pair at most 0.06;
//! the threshold sits low in that gap because real rewrites cut deeper than
//! ours, while unrelated texts hardly share a three-word run.

/// Words per shingle. Two-word shingles make same-topic stories look alike
/// ("supreme leader", "nuclear talks"); four-word ones let light rewording
/// break too many of a rewrite's shingles.
pub const SHINGLE_WORDS: usize = 3;

/// Minima per signature: the estimate's standard error is about
/// `sqrt(J(1-J)/HASHES)`, 0.04 at J = 0.5.
pub const HASHES: usize = 128;

/// Estimated similarity at and above which two items are one story.
pub const SAME_STORY: f32 = 0.18;

/// Fewer shingles than this and a text says too little to match anything
/// (a headline alone): such an item stays a story of its own.
pub const MIN_SHINGLES: usize = 12;

/// The `MinHash` signature of one text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    minima: Box<[u32; HASHES]>,
    /// How many distinct shingles the text had.
    shingles: usize,
}

impl Signature {
    /// The signature of an article: its title and main text (or summary).
    pub fn of(title: &str, text: &str) -> Self {
        let words = words(title).chain(words(text)).collect::<Vec<_>>();
        let mut minima = Box::new([u32::MAX; HASHES]);
        let mut seen = std::collections::HashSet::new();
        for window in words.windows(SHINGLE_WORDS) {
            let base = shingle_hash(window);
            if !seen.insert(base) {
                continue;
            }
            for (slot, minimum) in minima.iter_mut().enumerate() {
                let value = permute(base, slot);
                if value < *minimum {
                    *minimum = value;
                }
            }
        }
        Self { minima, shingles: seen.len() }
    }

    /// Whether the text is long enough to be matched at all.
    pub fn is_matchable(&self) -> bool {
        self.shingles >= MIN_SHINGLES
    }

    /// Estimated Jaccard similarity of the two texts' shingle sets, 0..=1
    /// (0 when either text is too short to say).
    pub fn similarity(&self, other: &Self) -> f32 {
        if !self.is_matchable() || !other.is_matchable() {
            return 0.0;
        }
        let equal = self.minima.iter().zip(other.minima.iter()).filter(|(a, b)| a == b).count();
        #[allow(clippy::cast_precision_loss)] // both at most HASHES
        let similarity = equal as f32 / HASHES as f32;
        similarity
    }

    /// Whether the two texts are one story.
    pub fn same_story(&self, other: &Self) -> bool {
        self.similarity(other) >= SAME_STORY
    }
}

/// Lower-cased words of letters and digits; punctuation and case carry no
/// story, and typographic quotes differ between outlets' style guides.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase)
}

fn shingle_hash(words: &[String]) -> u64 {
    let mut hasher = blake3::Hasher::new();
    for word in words {
        hasher.update(word.as_bytes());
        hasher.update(&[0]);
    }
    let bytes = hasher.finalize();
    u64::from_le_bytes(bytes.as_bytes()[..8].try_into().expect("a BLAKE3 hash has 32 bytes"))
}

/// The `slot`-th hash of a shingle: one strong hash per shingle, then a cheap
/// independent-looking remix per slot (`SplitMix64`'s finalizer over the hash
/// xor a per-slot constant), instead of `HASHES` strong hashes per shingle.
/// Kept to 32 bits: half the memory of a signature, and a chance collision
/// (2^-32 per slot) moves no estimate.
fn permute(base: u64, slot: usize) -> u32 {
    let mut x = base ^ (slot as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    #[allow(clippy::cast_possible_truncation)] // the low half is the hash
    let low = (x ^ (x >> 31)) as u32;
    low
}

#[cfg(test)]
mod tests {
    use super::*;

    const WIRE: &str = "The central bank held its benchmark interest rate at 4.5 percent on Thursday, \
        saying inflation had eased but remained above its target. Governor Maria Lopez told reporters \
        that the board would watch wage growth closely before any cut. Markets had expected the decision, \
        and the currency was little changed after the announcement.";

    #[test]
    fn a_text_is_its_own_story() {
        let a = Signature::of("Bank holds rates", WIRE);
        assert!((a.similarity(&a) - 1.0).abs() < f32::EPSILON);
    }

    #[test]
    fn a_light_rewrite_is_the_same_story() {
        let rewrite = WIRE.replace("on Thursday", "this week").replace("told reporters", "said");
        let (a, b) = (Signature::of("Bank holds rates", WIRE), Signature::of("Rates unchanged", &rewrite));
        assert!(a.same_story(&b), "{}", a.similarity(&b));
    }

    #[test]
    fn a_headline_alone_matches_nothing() {
        let a = Signature::of("Bank holds rates", "");
        assert!(!a.is_matchable());
        assert!((a.similarity(&a)).abs() < f32::EPSILON);
    }

    #[test]
    fn case_and_punctuation_do_not_matter() {
        let a = Signature::of("", WIRE);
        let b = Signature::of("", &WIRE.to_uppercase().replace(',', ""));
        assert_eq!(a, b);
    }
}
