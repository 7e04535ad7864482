//! Evaluation of main-text extraction on the article-extraction benchmark
//! (scrapinghub/article-extraction-benchmark, used by path, never bundled).
//!
//! `gleaner eval articles DIR` reads `DIR/ground-truth.json` (`{id:
//! {"articleBody", "url"}}`) and `DIR/html/<id>.html.gz`, runs
//! [`crate::extract::extract`] on each page and scores its `text` against the
//! `articleBody` exactly as the benchmark's `evaluate.py` does, so our figure is
//! comparable with the published ones (trafilatura 0.958, Readability.js 0.947):
//! - tokens are `\w+` runs (Unicode word characters);
//! - shingles are 4-token windows, kept as multisets; a text shorter than four
//!   tokens gives one shorter shingle, an empty text none;
//! - per page, tp/fp/fn are the multiset intersection and differences;
//! - precision is averaged over pages that predicted something (tp + fp > 0),
//!   recall over pages whose truth has something (tp + fn > 0), and F1 is
//!   computed from the two averages.
//!
//! A driver: reads files; must not be called from the pure core. Main type:
//! [`ExtractBenchReport`] (`Display` for people, `Serialize` for scripts).

use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use serde::Serialize;
use serde_json::Value;
use url::Url;

use crate::extract::extract;

/// Pages listed in the report as the worst ones: enough to see patterns.
const WORST: usize = 15;

/// Shingle length of the benchmark.
const SHINGLE: usize = 4;

/// The score of one page.
#[derive(Debug, Clone, Serialize)]
pub struct PageScore {
    pub id: String,
    pub url: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

/// What a benchmark run found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ExtractBenchReport {
    pub dir: String,
    /// Pages in the ground truth.
    pub pages: usize,
    /// Pages whose HTML could not be read (scored as an empty prediction).
    pub unreadable: Vec<String>,
    /// Pages where extraction found no text.
    pub empty: usize,
    /// Pages where extraction panicked (must be 0; scored as empty).
    pub panics: usize,
    /// Mean per-page precision over pages that predicted something.
    pub precision: f64,
    /// Mean per-page recall over pages with a non-empty truth.
    pub recall: f64,
    /// Harmonic mean of the two averages.
    pub f1: f64,
    /// Share of pages whose token sequence is exactly the truth's.
    pub accuracy: f64,
    /// The lowest-F1 pages, worst first.
    pub worst: Vec<PageScore>,
    /// Why the run could not start (missing folder or ground truth).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Scores extraction over the benchmark folder `dir`.
pub fn article_benchmark(dir: &Path) -> ExtractBenchReport {
    let mut report = ExtractBenchReport { dir: dir.display().to_string(), ..ExtractBenchReport::default() };
    let truth = match read_truth(dir) {
        Ok(truth) => truth,
        Err(error) => {
            report.error = Some(error);
            return report;
        }
    };
    report.pages = truth.len();
    let mut counts = Vec::with_capacity(truth.len());
    let mut exact = 0usize;
    let mut scores = Vec::with_capacity(truth.len());
    for (id, url, body) in &truth {
        let predicted = if let Some(html) = read_page(dir, id) {
            let base = Url::parse(url).ok();
            if let Ok(article) = catch_unwind(AssertUnwindSafe(|| extract(&html, base.as_ref(), None))) {
                article.text
            } else {
                report.panics += 1;
                String::new()
            }
        } else {
            report.unreadable.push(id.clone());
            String::new()
        };
        if predicted.trim().is_empty() {
            report.empty += 1;
        }
        if tokenize(body) == tokenize(&predicted) {
            exact += 1;
        }
        let matched = shingle_match(body, &predicted);
        let (p, r) = (precision(matched), recall(matched));
        scores.push(PageScore { id: id.clone(), url: url.clone(), precision: p, recall: r, f1: harmonic(p, r) });
        counts.push(matched);
    }
    let (p, r) = averages(&counts);
    report.precision = p;
    report.recall = r;
    report.f1 = harmonic(p, r);
    report.accuracy = ratio(exact, truth.len());
    scores.sort_by(|a, b| a.f1.total_cmp(&b.f1));
    scores.truncate(WORST);
    report.worst = scores;
    report
}

/// `(id, url, articleBody)` for every page, in id order so runs are comparable.
fn read_truth(dir: &Path) -> Result<Vec<(String, String, String)>, String> {
    let path = dir.join("ground-truth.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let value: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let Value::Object(map) = value else {
        return Err(format!("{}: not a JSON object", path.display()));
    };
    let mut out: Vec<_> = map
        .into_iter()
        .map(|(id, entry)| {
            let field = |name: &str| entry.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
            (id, field("url"), field("articleBody"))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// The decoded HTML of one page (`html/<id>.html.gz`); charset sniffed from the bytes.
pub fn read_page(dir: &Path, id: &str) -> Option<String> {
    let file = std::fs::File::open(dir.join("html").join(format!("{id}.html.gz"))).ok()?;
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(file).read_to_end(&mut bytes).ok()?;
    Some(crate::parse::decode(&bytes, None).0)
}

/// True positives, false positives, false negatives of one page, normalized
/// to sum to 1 as `evaluate.py` does (the ratios are unchanged by it).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Matched {
    tp: f64,
    fp: f64,
    fn_: f64,
}

/// `evaluate.py`'s `_tokenize`: Python's `\w` is a letter, digit or `_`.
fn tokenize(text: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let mut start = None;
    for (at, c) in text.char_indices() {
        let word = c.is_alphanumeric() || c == '_';
        match (word, start) {
            (true, None) => start = Some(at),
            (false, Some(from)) => {
                tokens.push(&text[from..at]);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(from) = start {
        tokens.push(&text[from..]);
    }
    tokens
}

/// `evaluate.py`'s `_all_shingles`: a multiset of 4-token windows.
fn shingles(text: &str) -> HashMap<Vec<&str>, u32> {
    let tokens = tokenize(text);
    let mut out: HashMap<Vec<&str>, u32> = HashMap::new();
    for start in 0..tokens.len().saturating_sub(SHINGLE - 1).max(1) {
        let window = &tokens[start.min(tokens.len())..(start + SHINGLE).min(tokens.len())];
        if !window.is_empty() {
            *out.entry(window.to_vec()).or_default() += 1;
        }
    }
    out
}

/// `evaluate.py`'s `string_shingle_matching`.
fn shingle_match(truth: &str, predicted: &str) -> Matched {
    let truth = shingles(truth);
    let predicted = shingles(predicted);
    let (mut tp, mut fp, mut fn_) = (0u64, 0u64, 0u64);
    for (key, &want) in &truth {
        let got = predicted.get(key).copied().unwrap_or(0);
        tp += u64::from(want.min(got));
        fn_ += u64::from(want.saturating_sub(got));
    }
    for (key, &got) in &predicted {
        let want = truth.get(key).copied().unwrap_or(0);
        fp += u64::from(got.saturating_sub(want));
    }
    #[allow(clippy::cast_precision_loss)] // counts far below 2^52
    let (tp, fp, fn_) = (tp as f64, fp as f64, fn_ as f64);
    let sum = tp + fp + fn_;
    if sum > 0.0 { Matched { tp: tp / sum, fp: fp / sum, fn_: fn_ / sum } } else { Matched { tp, fp, fn_ } }
}

fn precision(m: Matched) -> f64 {
    if m.fp == 0.0 && m.fn_ == 0.0 {
        1.0
    } else if m.tp == 0.0 && m.fp == 0.0 {
        0.0
    } else {
        m.tp / (m.tp + m.fp)
    }
}

fn recall(m: Matched) -> f64 {
    if m.fp == 0.0 && m.fn_ == 0.0 {
        1.0
    } else if m.tp == 0.0 && m.fn_ == 0.0 {
        0.0
    } else {
        m.tp / (m.tp + m.fn_)
    }
}

/// `evaluate.py`'s `metrics_from_tp_fp_fns`: precision over pages that
/// predicted something, recall over pages whose truth has something.
fn averages(counts: &[Matched]) -> (f64, f64) {
    let mean = |values: Vec<f64>| {
        #[allow(clippy::cast_precision_loss)] // a few hundred pages
        let n = values.len() as f64;
        if values.is_empty() { 0.0 } else { values.iter().sum::<f64>() / n }
    };
    let p = mean(counts.iter().filter(|m| m.tp + m.fp > 0.0).map(|&m| precision(m)).collect());
    let r = mean(counts.iter().filter(|m| m.tp + m.fn_ > 0.0).map(|&m| recall(m)).collect());
    (p, r)
}

fn harmonic(p: f64, r: f64) -> f64 {
    if p + r > 0.0 { 2.0 * p * r / (p + r) } else { 0.0 }
}

fn ratio(part: usize, whole: usize) -> f64 {
    #[allow(clippy::cast_precision_loss)] // a few hundred pages
    if whole == 0 { 0.0 } else { part as f64 / whole as f64 }
}

impl fmt::Display for ExtractBenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(error) = &self.error {
            return writeln!(f, "article benchmark {}: {error}", self.dir);
        }
        writeln!(f, "article benchmark {} ({} pages)", self.dir, self.pages)?;
        writeln!(
            f,
            "  shingle F1 {:.3}  precision {:.3}  recall {:.3}  exact {:.3}",
            self.f1, self.precision, self.recall, self.accuracy
        )?;
        writeln!(f, "  empty {}  unreadable {}  panics {}", self.empty, self.unreadable.len(), self.panics)?;
        writeln!(f, "  worst pages:")?;
        for page in &self.worst {
            writeln!(
                f,
                "    F1 {:.3} P {:.3} R {:.3}  {}  {}",
                page.f1, page.precision, page.recall, page.id, page.url
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_python_word_runs() {
        assert_eq!(tokenize("Don't stop—now, 3.5 «café» a_b"), ["Don", "t", "stop", "now", "3", "5", "café", "a_b"]);
        assert!(tokenize(" ,. ").is_empty());
    }

    #[test]
    fn short_texts_give_one_short_shingle_and_empty_none() {
        assert_eq!(shingles("one two").len(), 1);
        assert!(shingles("").is_empty());
        assert_eq!(shingles("a b c d e").len(), 2);
    }

    #[test]
    fn matching_counts_multisets() {
        let m = shingle_match("a b c d a b c d", "a b c d");
        // truth windows: abcd, bcda, cdab, dabc, abcd → 5; predicted: abcd → 1.
        assert!((m.tp - 1.0 / 5.0).abs() < 1e-9);
        assert!((m.fn_ - 4.0 / 5.0).abs() < 1e-9);
        assert!(m.fp.abs() < 1e-9);
        assert!((precision(m) - 1.0).abs() < 1e-9);
        assert!((recall(m) - 0.2).abs() < 1e-9);
    }

    #[test]
    fn empty_predictions_count_for_recall_only() {
        let counts = [shingle_match("a b c d", ""), shingle_match("a b c d", "a b c d")];
        let (p, r) = averages(&counts);
        assert!((p - 1.0).abs() < 1e-9);
        assert!((r - 0.5).abs() < 1e-9);
    }

    #[test]
    fn missing_folder_is_reported_not_panicked() {
        let report = article_benchmark(Path::new("/nonexistent/benchmark"));
        assert!(report.error.is_some());
        assert!(report.to_string().contains("nonexistent"));
    }
}
