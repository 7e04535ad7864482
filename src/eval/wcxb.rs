//! Evaluation of main-text extraction on WCXB, the Web Content eXtraction
//! Benchmark (used by path, never bundled): pages of seven types (article,
//! forum, product, collection, listing, documentation, service).
//!
//! `gleaner eval wcxb DIR` reads `DIR/ground-truth/<id>.json` and
//! `DIR/html/<id>.html.gz` (DIR may also be the benchmark root holding `dev/`),
//! runs [`crate::extract::extract`] on each page and scores its `text` against
//! `ground_truth.main_content` exactly as WCXB's `evaluate.py` does:
//! - tokens are lower-cased `\w+` runs, kept as multisets;
//! - per page, precision and recall are the multiset overlap over the
//!   predicted and the true token counts; an empty truth scores 1 when the
//!   prediction is empty too, else 0; an empty prediction scores 0;
//! - overall and per-type figures are plain means over pages (F1 is the mean
//!   of per-page F1s, not the F1 of the means);
//! - `with`/`without` snippets: the share found, case-insensitively, in the text.
//!
//! Tuning on every page would overfit, so the pages are split once and for all
//! by a hash of their id: [`Split::Tune`] (~70 %) to look at while changing the
//! extractor, [`Split::Holdout`] (~30 %) only to report.
//!
//! A driver: reads files; must not be called from the pure core. Main type:
//! [`WcxbReport`] (`Display` for people, `Serialize` for scripts).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;
use url::Url;

use crate::extract::extract;

use super::articles::read_page;

/// Pages listed in the report as the worst ones: enough to see patterns.
const WORST: usize = 25;

/// Out of 100 hash buckets, how many go to the tuning half.
const TUNE_BUCKETS: u64 = 70;

/// `evaluate.py`'s page types, in its order.
const TYPES: &[&str] = &["article", "forum", "product", "collection", "listing", "documentation", "service"];

/// Which pages of the corpus an evaluation reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// The ~70 % of pages the extractor may be tuned on.
    Tune,
    /// The ~30 % reported only, never looked at while tuning.
    Holdout,
}

impl Split {
    /// The split a page id belongs to: FNV-1a of the id, so it never changes
    /// between runs, machines or corpus orderings.
    pub fn of(id: &str) -> Split {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in id.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        if hash % 100 < TUNE_BUCKETS { Split::Tune } else { Split::Holdout }
    }
}

impl std::str::FromStr for Split {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "tune" => Ok(Split::Tune),
            "holdout" => Ok(Split::Holdout),
            other => Err(format!("unknown split {other:?}: expected tune or holdout")),
        }
    }
}

/// The score of one page.
#[derive(Debug, Clone, Serialize)]
pub struct WcxbPage {
    pub id: String,
    pub page_type: String,
    pub url: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

/// Mean figures over a set of pages.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WcxbFigures {
    pub pages: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Mean share of the `with` snippets found (higher is better).
    pub with_rate: f64,
    /// Mean share of the `without` snippets found (lower is better).
    pub without_rate: f64,
}

/// What a WCXB run found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WcxbReport {
    pub dir: String,
    /// The half evaluated; `None` for every page.
    pub split: Option<Split>,
    pub overall: WcxbFigures,
    /// Per page type, in `evaluate.py`'s order.
    pub types: BTreeMap<String, WcxbFigures>,
    /// Pages whose truth has words but whose extraction has none.
    pub empty: Vec<String>,
    /// Pages whose HTML could not be read (scored as an empty prediction).
    pub unreadable: Vec<String>,
    /// Pages where extraction panicked (must be 0; scored as empty).
    pub panics: usize,
    /// The lowest-F1 pages, worst first.
    pub worst: Vec<WcxbPage>,
    /// Why the run could not start (missing folder or ground truth).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One page's ground truth.
struct Truth {
    id: String,
    url: String,
    page_type: String,
    main: String,
    with: Vec<String>,
    without: Vec<String>,
}

/// Scores extraction over the WCXB folder `dir`, restricted to `split`.
/// With `predictions`, also writes `{id: text}` there, the input
/// `evaluate.py --results` reads.
pub fn wcxb_benchmark(dir: &Path, split: Option<Split>, predictions: Option<&Path>) -> WcxbReport {
    let dir = resolve(dir);
    let mut report = WcxbReport { dir: dir.display().to_string(), split, ..WcxbReport::default() };
    let truth = match read_truth(&dir) {
        Ok(truth) => truth,
        Err(error) => {
            report.error = Some(error);
            return report;
        }
    };
    let truth: Vec<Truth> = truth.into_iter().filter(|t| split.is_none_or(|s| Split::of(&t.id) == s)).collect();
    let outputs = extract_all(&dir, &truth);
    let mut pages = Vec::with_capacity(truth.len());
    let mut rows: Vec<(&str, [f64; 5])> = Vec::with_capacity(truth.len());
    let mut dump = serde_json::Map::new();
    for (t, output) in truth.iter().zip(outputs) {
        let text = match output {
            Output::Text(text) => text,
            Output::Unreadable => {
                report.unreadable.push(t.id.clone());
                String::new()
            }
            Output::Panic => {
                report.panics += 1;
                String::new()
            }
        };
        let (p, r, f1) = word_f1(&text, &t.main);
        if tokenize(&text).is_empty() && !tokenize(&t.main).is_empty() {
            report.empty.push(t.id.clone());
        }
        let with = snippet_rate(&text, &t.with);
        let without = snippet_rate(&text, &t.without);
        rows.push((t.page_type.as_str(), [p, r, f1, with, without]));
        pages.push(WcxbPage {
            id: t.id.clone(),
            page_type: t.page_type.clone(),
            url: t.url.clone(),
            precision: p,
            recall: r,
            f1,
        });
        if predictions.is_some() {
            dump.insert(t.id.clone(), Value::String(text));
        }
    }
    report.overall = figures(rows.iter().map(|(_, row)| row));
    for kind in TYPES {
        let of_type: Vec<_> = rows.iter().filter(|(k, _)| k == kind).map(|(_, row)| row).collect();
        if !of_type.is_empty() {
            report.types.insert((*kind).to_owned(), figures(of_type.into_iter()));
        }
    }
    pages.sort_by(|a, b| a.f1.total_cmp(&b.f1));
    pages.truncate(WORST);
    report.worst = pages;
    if let Some(path) = predictions {
        let written = serde_json::to_string(&Value::Object(dump))
            .map_err(|e| e.to_string())
            .and_then(|json| std::fs::write(path, json).map_err(|e| format!("{}: {e}", path.display())));
        if let Err(error) = written {
            report.error = Some(error);
        }
    }
    report
}

/// The folder holding `ground-truth/` and `html/`: `dir` itself, or its `dev/`.
fn resolve(dir: &Path) -> PathBuf {
    if !dir.join("ground-truth").is_dir() && dir.join("dev").join("ground-truth").is_dir() {
        dir.join("dev")
    } else {
        dir.to_path_buf()
    }
}

enum Output {
    Text(String),
    Unreadable,
    Panic,
}

/// Extracts every page, on as many threads as there are cores (pages are independent).
fn extract_all(dir: &Path, truth: &[Truth]) -> Vec<Output> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get).max(1);
    let chunk = truth.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = truth
            .chunks(chunk)
            .map(|pages| scope.spawn(move || pages.iter().map(|t| extract_one(dir, t)).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    })
}

fn extract_one(dir: &Path, t: &Truth) -> Output {
    let Some(html) = read_page(dir, &t.id) else { return Output::Unreadable };
    let base = Url::parse(&t.url).ok();
    match catch_unwind(AssertUnwindSafe(|| extract(&html, base.as_ref(), None))) {
        Ok(article) => Output::Text(article.text),
        Err(_) => Output::Panic,
    }
}

/// Every page's truth, in id order so runs are comparable.
fn read_truth(dir: &Path) -> Result<Vec<Truth>, String> {
    let folder = dir.join("ground-truth");
    let entries = std::fs::read_dir(&folder).map_err(|e| format!("{}: {e}", folder.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    let mut out = Vec::with_capacity(paths.len());
    for path in paths {
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let value: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let Some(gt) = value.get("ground_truth").filter(|g| g.is_object()) else { continue };
        let id = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let strings = |name: &str| -> Vec<String> {
            gt.get(name)
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default()
        };
        out.push(Truth {
            id,
            url: value.get("url").and_then(Value::as_str).unwrap_or_default().to_owned(),
            page_type: page_type(&value),
            main: gt.get("main_content").and_then(Value::as_str).unwrap_or_default().to_owned(),
            with: strings("with"),
            without: strings("without"),
        });
    }
    Ok(out)
}

/// `evaluate.py`'s `get_page_type`: `_internal.page_type.primary` (or the
/// field itself when a string), `article` by default, `category` read as
/// `collection`.
fn page_type(value: &Value) -> String {
    let field = value.get("_internal").and_then(|i| i.get("page_type"));
    let kind = match field {
        Some(Value::Object(o)) => o.get("primary").and_then(Value::as_str).unwrap_or("article"),
        Some(Value::String(s)) => s.as_str(),
        _ => "article",
    };
    if kind == "category" { "collection".to_owned() } else { kind.to_owned() }
}

/// `evaluate.py`'s `tokenize`: lower-cased runs of Python's `\w` (a letter,
/// digit or `_`).
fn tokenize(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `evaluate.py`'s `word_f1`: `(precision, recall, f1)` of the token multisets.
fn word_f1(predicted: &str, reference: &str) -> (f64, f64, f64) {
    let predicted = tokenize(predicted);
    let reference = tokenize(reference);
    if reference.is_empty() {
        return if predicted.is_empty() { (1.0, 1.0, 1.0) } else { (0.0, 0.0, 0.0) };
    }
    if predicted.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    let mut counts: HashMap<&str, i64> = HashMap::new();
    for word in &reference {
        *counts.entry(word).or_default() += 1;
    }
    let mut overlap = 0u32;
    for word in &predicted {
        if let Some(left) = counts.get_mut(word.as_str())
            && *left > 0
        {
            *left -= 1;
            overlap += 1;
        }
    }
    #[allow(clippy::cast_precision_loss)] // word counts of one page
    let (overlap, p_len, r_len) = (f64::from(overlap), predicted.len() as f64, reference.len() as f64);
    let (p, r) = (overlap / p_len, overlap / r_len);
    let f1 = if p + r > 0.0 { 2.0 * p * r / (p + r) } else { 0.0 };
    (p, r, f1)
}

/// `evaluate.py`'s `snippet_check`: the share of `snippets` found in `text`,
/// ignoring case; 1 when there are none.
fn snippet_rate(text: &str, snippets: &[String]) -> f64 {
    if snippets.is_empty() {
        return 1.0;
    }
    let lower = text.to_lowercase();
    let found = snippets.iter().filter(|s| lower.contains(&s.to_lowercase())).count();
    #[allow(clippy::cast_precision_loss)] // a handful of snippets
    let rate = found as f64 / snippets.len() as f64;
    rate
}

/// Means of `[precision, recall, f1, with, without]` rows.
fn figures<'a>(rows: impl Iterator<Item = &'a [f64; 5]>) -> WcxbFigures {
    let mut sum = [0.0; 5];
    let mut n = 0usize;
    for row in rows {
        for (total, value) in sum.iter_mut().zip(row) {
            *total += value;
        }
        n += 1;
    }
    #[allow(clippy::cast_precision_loss)] // a few thousand pages
    let mean = |i: usize| if n == 0 { 0.0 } else { sum[i] / n as f64 };
    WcxbFigures {
        pages: n,
        precision: mean(0),
        recall: mean(1),
        f1: mean(2),
        with_rate: mean(3),
        without_rate: mean(4),
    }
}

impl fmt::Display for WcxbReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(error) = &self.error {
            return writeln!(f, "wcxb {}: {error}", self.dir);
        }
        let split = match self.split {
            Some(Split::Tune) => "tune split",
            Some(Split::Holdout) => "holdout split",
            None => "all pages",
        };
        let o = &self.overall;
        writeln!(f, "wcxb {} ({split}, {} pages)", self.dir, o.pages)?;
        writeln!(
            f,
            "  word F1 {:.4}  precision {:.4}  recall {:.4}  with {:.1}%  without {:.1}% (lower is better)",
            o.f1,
            o.precision,
            o.recall,
            o.with_rate * 100.0,
            o.without_rate * 100.0
        )?;
        writeln!(f, "  {:<15} {:>5} {:>7} {:>7} {:>7}", "type", "pages", "F1", "P", "R")?;
        for kind in TYPES {
            if let Some(t) = self.types.get(*kind) {
                writeln!(f, "  {kind:<15} {:>5} {:>7.3} {:>7.3} {:>7.3}", t.pages, t.f1, t.precision, t.recall)?;
            }
        }
        writeln!(f, "  empty {}  unreadable {}  panics {}", self.empty.len(), self.unreadable.len(), self.panics)?;
        writeln!(f, "  worst pages:")?;
        for page in &self.worst {
            writeln!(
                f,
                "    F1 {:.3} P {:.3} R {:.3}  {} {:<13} {}",
                page.f1, page.precision, page.recall, page.id, page.page_type, page.url
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_lowercased_python_word_runs() {
        assert_eq!(tokenize("Don't STOP—now, 3.5 «Café» a_b"), ["don", "t", "stop", "now", "3", "5", "café", "a_b"]);
    }

    #[test]
    fn word_f1_counts_multisets() {
        let (p, r, f1) = word_f1("the cat the cat", "the cat sat");
        assert!((p - 0.5).abs() < 1e-9);
        assert!((r - 2.0 / 3.0).abs() < 1e-9);
        assert!((f1 - 2.0 * 0.5 * (2.0 / 3.0) / (0.5 + 2.0 / 3.0)).abs() < 1e-9);
        assert_eq!(word_f1("", ""), (1.0, 1.0, 1.0));
        assert_eq!(word_f1("words", ""), (0.0, 0.0, 0.0));
        assert_eq!(word_f1("", "words"), (0.0, 0.0, 0.0));
    }

    #[test]
    fn snippets_ignore_case_and_none_count_as_found() {
        assert!((snippet_rate("Hello World", &["hello".into(), "absent".into()]) - 0.5).abs() < 1e-9);
        assert!((snippet_rate("", &[]) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn split_is_stable_and_roughly_seventy_thirty() {
        let ids: Vec<String> = (1..=1000).map(|i| format!("{i:04}")).collect();
        let tune = ids.iter().filter(|id| Split::of(id) == Split::Tune).count();
        assert!((620..=780).contains(&tune), "{tune}");
        assert_eq!(Split::of("0001"), Split::of("0001"));
    }

    #[test]
    fn category_pages_count_as_collections() {
        let value = serde_json::json!({"_internal": {"page_type": {"primary": "category"}}});
        assert_eq!(page_type(&value), "collection");
        assert_eq!(page_type(&serde_json::json!({})), "article");
    }

    #[test]
    fn missing_folder_is_reported_not_panicked() {
        let report = wcxb_benchmark(Path::new("/nonexistent/wcxb"), Some(Split::Tune), None);
        assert!(report.error.is_some());
        assert!(report.to_string().contains("nonexistent"));
    }
}
