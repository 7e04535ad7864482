//! Near-duplicate detection: is this article the same story as that one?
//!
//! Two outlets that run one wire story rewrite it a little (a new headline,
//! a trimmed paragraph, a local sentence added); two different stories on the
//! same topic share names and vocabulary but few runs of words. So the test
//! is the Jaccard similarity of word 3-shingles (runs of three words) of
//! title and main text, estimated with `MinHash`: a [`Signature`] of
//! [`HASHES`] minima is computed once per item, stored beside it (256 bytes,
//! [`Signature::to_bytes`]) and compared in nanoseconds, without the text.
//!
//! Which items to compare is found without comparing: [`Signature::bands`]
//! cuts the signature into [`BANDS`] bands of [`BAND_ROWS`] minima (LSH
//! banding), and only items that share a whole band are candidates, whose
//! full signatures then decide. The banding is sized for our low threshold:
//! a pair at the threshold (24 of 128 minima equal) shares a band with
//! probability 0.93, at 32 equal minima (0.25) 0.995, and every same-story
//! pair of our test set (0.38 and up) all but surely; unrelated texts
//! (similarity 0.01) collide in 0.6 % of pairs. Fewer, longer bands miss the
//! threshold (32 bands of 4 find a pair at 0.18 in 3 % of cases); one-minimum
//! bands find everything but put every text that shares a common phrase
//! ("said in a statement") in one bucket.
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

use crate::model::Item;

/// Words per shingle. Two-word shingles make same-topic stories look alike
/// ("supreme leader", "nuclear talks"); four-word ones let light rewording
/// break too many of a rewrite's shingles.
pub const SHINGLE_WORDS: usize = 3;

/// Minima per signature: the estimate's standard error is about
/// `sqrt(J(1-J)/HASHES)`, 0.04 at J = 0.5.
pub const HASHES: usize = 128;

/// Minima per band (see the module docs for the choice).
pub const BAND_ROWS: usize = 2;

/// Bands per signature: every minimum is in exactly one band.
pub const BANDS: usize = HASHES / BAND_ROWS;

/// Estimated similarity at and above which two items are one story.
pub const SAME_STORY: f32 = 0.18;

/// Fewer shingles than this and a text says too little to match anything
/// (a headline alone): such an item stays a story of its own.
pub const MIN_SHINGLES: usize = 12;

/// Most main-text characters shingled per item: a story shows in its first
/// paragraphs, and a cap keeps one huge page from costing milliseconds.
pub const MAX_TEXT_CHARS: usize = 6_000;

/// The first byte of [`Signature::to_bytes`]: the hashing scheme. A stored
/// signature of another scheme is not comparable and is made again.
pub const SCHEME: u8 = 2;

/// Length of [`Signature::to_bytes`]: scheme, shingle count, minima.
pub const ENCODED_LEN: usize = 1 + 4 + 2 * HASHES;

/// The `MinHash` signature of one text.
///
/// Each minimum is kept to its low 16 bits (b-bit minwise hashing, Li and
/// König 2010): two different minima then agree by chance once in 65,536
/// slots, which moves an estimate by 0.00002, and a signature takes half the
/// memory and store space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    minima: Box<[u16; HASHES]>,
    /// How many distinct shingles the text had.
    shingles: u32,
}

impl Signature {
    /// The signature of an article: its title and main text (or summary).
    pub fn of(title: &str, text: &str) -> Self {
        let mut shingles = Vec::with_capacity((title.len() + text.len()) / 5);
        let mut recent = [0u64; SHINGLE_WORDS];
        let mut words = 0usize;
        let mut push = |word: u64| {
            recent.rotate_left(1);
            recent[SHINGLE_WORDS - 1] = word;
            words += 1;
            if words >= SHINGLE_WORDS {
                shingles.push(shingle_hash(&recent));
            }
        };
        for_each_word(title, &mut push);
        for_each_word(text, &mut push);
        // Duplicates change no minimum; dropping them first saves their
        // HASHES remixes and counts the distinct shingles.
        shingles.sort_unstable();
        shingles.dedup();
        let mut minima = [u32::MAX; HASHES];
        for &shingle in &shingles {
            for (slot, minimum) in minima.iter_mut().enumerate() {
                *minimum = (*minimum).min(permute(shingle, slot));
            }
        }
        #[allow(clippy::cast_possible_truncation)] // b-bit minima: the low 16 bits, by design
        let minima = Box::new(minima.map(|m| m as u16));
        Self { minima, shingles: u32::try_from(shingles.len()).unwrap_or(u32::MAX) }
    }

    /// What a stored item's signature reads: its title and main text, else
    /// its summary as text, the text cut at [`MAX_TEXT_CHARS`].
    pub fn of_item(item: &Item) -> Self {
        let summary;
        let text = if item.text.trim().is_empty() {
            summary = crate::sanitize::html_to_text(&item.summary);
            summary.as_str()
        } else {
            item.text.as_str()
        };
        let end = text.char_indices().nth(MAX_TEXT_CHARS).map_or(text.len(), |(at, _)| at);
        Self::of(&item.title, &text[..end])
    }

    /// Whether the text is long enough to be matched at all.
    pub fn is_matchable(&self) -> bool {
        self.shingles as usize >= MIN_SHINGLES
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

    /// The signature's [`BANDS`] band keys, band by band: two signatures
    /// that share a band have the same key at the same position. Empty for
    /// a text too short to match anything.
    pub fn bands(&self) -> impl Iterator<Item = u32> + '_ {
        let rows = if self.is_matchable() { self.minima.as_slice() } else { &[] };
        rows.chunks_exact(BAND_ROWS)
            .map(|band| band.iter().fold(0u32, |key, &minimum| (key << 16) | u32::from(minimum)))
    }

    /// The stored form: [`SCHEME`], the shingle count, the minima (big-endian).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(ENCODED_LEN);
        bytes.push(SCHEME);
        bytes.extend_from_slice(&self.shingles.to_be_bytes());
        for minimum in self.minima.iter() {
            bytes.extend_from_slice(&minimum.to_be_bytes());
        }
        bytes
    }

    /// Reads [`Signature::to_bytes`] back; `None` for another length or scheme
    /// (the caller makes the signature again from the item).
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != ENCODED_LEN || bytes[0] != SCHEME {
            return None;
        }
        let shingles = u32::from_be_bytes(bytes[1..5].try_into().ok()?);
        let mut minima = Box::new([0u16; HASHES]);
        for (minimum, pair) in minima.iter_mut().zip(bytes[5..].chunks_exact(2)) {
            *minimum = u16::from_be_bytes([pair[0], pair[1]]);
        }
        Some(Self { minima, shingles })
    }
}

/// Calls `f` with the hash of each lower-cased word of letters and digits,
/// in order; punctuation and case carry no story, and typographic quotes
/// differ between outlets' style guides. Hashes the characters as they come
/// (FNV-1a over code points): no word is built as a string.
fn for_each_word(text: &str, f: &mut impl FnMut(u64)) {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0100_0000_01b3;
    let mut hash = OFFSET;
    let mut in_word = false;
    for c in text.chars() {
        if !c.is_alphanumeric() {
            if in_word {
                f(mix(hash));
                hash = OFFSET;
                in_word = false;
            }
            continue;
        }
        in_word = true;
        if c.is_ascii() {
            hash = (hash ^ u64::from(c.to_ascii_lowercase())).wrapping_mul(PRIME);
        } else {
            for lower in c.to_lowercase() {
                hash = (hash ^ u64::from(lower)).wrapping_mul(PRIME);
            }
        }
    }
    if in_word {
        f(mix(hash));
    }
}

/// One hash for a run of word hashes, order-sensitive ("rates held steady"
/// is not "steady rates held").
fn shingle_hash(words: &[u64; SHINGLE_WORDS]) -> u64 {
    words.iter().fold(0x51_7cc1_b727_220a_u64, |hash, &word| mix(hash.rotate_left(23) ^ word))
}

/// `SplitMix64`'s finalizer: every input bit moves every output bit.
const fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Per-slot multipliers (odd) and increments of [`permute`], drawn once from
/// `SplitMix64`'s sequence.
const PERMUTATIONS: [(u64, u64); HASHES] = {
    let mut table = [(0u64, 0u64); HASHES];
    let mut slot = 0;
    while slot < HASHES {
        let seed = (slot as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        table[slot] = (mix(seed) | 1, mix(seed ^ 0xD6E8_FEB8_6659_FD93));
        slot += 1;
    }
    table
};

/// The `slot`-th hash of a shingle: the high half of `a·x + b` (mod 2^64), a
/// multiply-add-shift family (Dietzfelbinger) over a shingle hash that is
/// already well mixed, at one multiplication per slot where a strong remix
/// per slot cost three. Kept to 32 bits before the minimum is taken.
fn permute(shingle: u64, slot: usize) -> u32 {
    let (a, b) = PERMUTATIONS[slot];
    #[allow(clippy::cast_possible_truncation)] // the high half is the hash
    let high = (a.wrapping_mul(shingle).wrapping_add(b) >> 32) as u32;
    high
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
    fn a_rewrite_shares_a_band_and_a_short_text_has_none() {
        let rewrite = WIRE.replace("on Thursday", "this week").replace("told reporters", "said");
        let (a, b) = (Signature::of("Bank holds rates", WIRE), Signature::of("Rates unchanged", &rewrite));
        assert_eq!(a.bands().count(), BANDS);
        assert!(a.bands().zip(b.bands()).any(|(x, y)| x == y));
        assert_eq!(Signature::of("Bank holds rates", "").bands().count(), 0);
    }

    /// Two texts of `words` words that share runs of `kept` words out of
    /// every `kept + changed`: Jaccard near 0.2 for 5 and 3.
    fn pair(n: usize, words: usize, kept: usize, changed: usize) -> (String, String) {
        let a: Vec<String> = (0..words).map(|i| format!("p{n}w{i}")).collect();
        let b: Vec<String> = (0..words)
            .map(|i| if (i + n) % (kept + changed) < kept { a[i].clone() } else { format!("p{n}x{i}") })
            .collect();
        (a.join(" "), b.join(" "))
    }

    #[test]
    fn pairs_at_the_threshold_are_found_through_the_bands() {
        let (mut at_threshold, mut found) = (0, 0);
        for n in 0..300 {
            let (a, b) = pair(n, 240, 5, 3);
            let (a, b) = (Signature::of("", &a), Signature::of("", &b));
            if a.same_story(&b) {
                at_threshold += 1;
                found += usize::from(a.bands().zip(b.bands()).any(|(x, y)| x == y));
            }
        }
        // Banding finds a pair at 0.18 to 0.25 in 93 to 99.5 % of cases (module docs).
        assert!(at_threshold >= 100, "{at_threshold}");
        assert!(found * 100 >= at_threshold * 93, "{found} of {at_threshold}");
    }

    #[test]
    fn unrelated_texts_rarely_share_a_band() {
        let shared = (0..300)
            .filter(|&n| {
                let (a, b) = pair(n, 240, 1, 7);
                let (a, b) = (Signature::of("", &a), Signature::of("", &b));
                a.bands().zip(b.bands()).any(|(x, y)| x == y)
            })
            .count();
        assert!(shared <= 3, "{shared} of 300 candidates");
    }

    #[test]
    fn the_stored_form_round_trips_and_another_scheme_is_refused() {
        let a = Signature::of("Bank holds rates", WIRE);
        let bytes = a.to_bytes();
        assert_eq!(bytes.len(), ENCODED_LEN);
        assert_eq!(Signature::from_bytes(&bytes), Some(a));
        let mut other = bytes.clone();
        other[0] = SCHEME + 1;
        assert_eq!(Signature::from_bytes(&other), None);
        assert_eq!(Signature::from_bytes(&bytes[1..]), None);
    }

    #[test]
    fn case_and_punctuation_do_not_matter() {
        let a = Signature::of("", WIRE);
        let b = Signature::of("", &WIRE.to_uppercase().replace(',', ""));
        assert_eq!(a, b);
    }
}
