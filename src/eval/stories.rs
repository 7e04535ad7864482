//! Near-duplicate detection, measured on our own test set
//! (`tests/fixtures/stories/pairs.toml`): `gleaner eval stories FILE`.
//!
//! The file lists stories, each with the versions different outlets ran
//! (see its header). Every pair of versions is scored with
//! [`crate::story::Signature::same_story`]: a pair of one story is a
//! positive, a pair of two stories (same topic or not) a negative.
//! Precision is true positives over predicted positives, recall true
//! positives over positives. A driver: reads one file; the scoring
//! ([`score`]) is pure.
//!
//! Main type: [`StoryEvalReport`] (`Display` for people, `Serialize` for scripts).

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::story::{SAME_STORY, Signature};

/// The test set as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorySet {
    pub story: Vec<GoldStory>,
}

/// One event with the versions outlets ran of it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoldStory {
    pub id: String,
    /// Stories sharing a topic are the hard negatives.
    pub topic: String,
    pub version: Vec<Version>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Version {
    pub outlet: String,
    pub title: String,
    pub text: String,
}

/// One pair the detector got wrong.
#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub a: String,
    pub b: String,
    pub similarity: f32,
}

/// The scores over every pair of versions.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StoryEvalReport {
    pub file: String,
    pub stories: usize,
    pub versions: usize,
    pub positives: usize,
    pub negatives: usize,
    /// Negatives between stories of the same topic (the hard ones).
    pub same_topic_negatives: usize,
    pub true_positives: usize,
    pub false_positives: usize,
    pub precision: f64,
    pub recall: f64,
    pub threshold: f32,
    /// Lowest similarity of a positive pair, highest of a negative one.
    pub lowest_positive: f32,
    pub highest_negative: f32,
    pub false_negatives: Vec<Miss>,
    pub false_positive_pairs: Vec<Miss>,
    pub errors: Vec<String>,
}

/// Reads and scores the test set at `file`; an unreadable or malformed file
/// is reported in `errors` (with the line and column TOML gives).
pub fn story_pairs(file: &Path) -> StoryEvalReport {
    let shown = file.display().to_string();
    let parsed = std::fs::read_to_string(file)
        .map_err(|e| format!("{shown}: {e}"))
        .and_then(|text| toml::from_str::<StorySet>(&text).map_err(|e| format!("{shown}: {e}")));
    match parsed {
        Ok(set) => StoryEvalReport { file: shown, ..score(&set) },
        Err(error) => StoryEvalReport { file: shown, errors: vec![error], ..StoryEvalReport::default() },
    }
}

/// Scores every pair of versions in `set`.
pub fn score(set: &StorySet) -> StoryEvalReport {
    let versions: Vec<(&GoldStory, &Version, Signature)> = set
        .story
        .iter()
        .flat_map(|s| s.version.iter().map(move |v| (s, v, Signature::of(&v.title, &v.text))))
        .collect();
    let mut report = StoryEvalReport {
        stories: set.story.len(),
        versions: versions.len(),
        threshold: SAME_STORY,
        lowest_positive: 1.0,
        ..StoryEvalReport::default()
    };
    let name = |(story, version, _): &(&GoldStory, &Version, Signature)| format!("{}@{}", story.id, version.outlet);
    for (i, a) in versions.iter().enumerate() {
        for b in &versions[i + 1..] {
            let similarity = a.2.similarity(&b.2);
            let predicted = a.2.same_story(&b.2);
            let miss = || Miss { a: name(a), b: name(b), similarity };
            if a.0.id == b.0.id {
                report.positives += 1;
                report.lowest_positive = report.lowest_positive.min(similarity);
                if predicted {
                    report.true_positives += 1;
                } else {
                    report.false_negatives.push(miss());
                }
            } else {
                report.negatives += 1;
                report.same_topic_negatives += usize::from(a.0.topic == b.0.topic);
                report.highest_negative = report.highest_negative.max(similarity);
                if predicted {
                    report.false_positives += 1;
                    report.false_positive_pairs.push(miss());
                }
            }
        }
    }
    #[allow(clippy::cast_precision_loss)] // pair counts are far below 2^52
    let ratio = |num: usize, den: usize| if den == 0 { 1.0 } else { num as f64 / den as f64 };
    report.precision = ratio(report.true_positives, report.true_positives + report.false_positives);
    report.recall = ratio(report.true_positives, report.positives);
    report
}

impl fmt::Display for StoryEvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "stories: {} ({} versions) from {}", self.stories, self.versions, self.file)?;
        writeln!(
            f,
            "pairs: {} same-story, {} different ({} of them same topic)",
            self.positives, self.negatives, self.same_topic_negatives
        )?;
        writeln!(
            f,
            "precision {:.3} ({} of {} joined pairs right), recall {:.3} ({} of {} same-story pairs found)",
            self.precision,
            self.true_positives,
            self.true_positives + self.false_positives,
            self.recall,
            self.true_positives,
            self.positives
        )?;
        writeln!(
            f,
            "threshold {:.2}; lowest same-story similarity {:.2}, highest different-story {:.2}",
            self.threshold, self.lowest_positive, self.highest_negative
        )?;
        for miss in &self.false_negatives {
            writeln!(f, "missed: {} ~ {} ({:.2})", miss.a, miss.b, miss.similarity)?;
        }
        for miss in &self.false_positive_pairs {
            writeln!(f, "wrongly joined: {} ~ {} ({:.2})", miss.a, miss.b, miss.similarity)?;
        }
        for error in &self.errors {
            writeln!(f, "error: {error}")?;
        }
        Ok(())
    }
}
