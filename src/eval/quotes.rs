//! Quote quality, measured on our own gold set (`tests/fixtures/quotes/`):
//! `gleaner eval quotes DIR`.
//!
//! Each article is a pair: `NAME.txt` in a small block format (below) that
//! turns into [`Block`]s without the HTML extractor, and `NAME.json`, the
//! expected quotes. A driver: reads files, no clock; the scoring itself is in
//! pure functions ([`parse_fixture`], [`score_article`]).
//!
//! The block format, one block per group of non-blank lines:
//! - `#! outlet: …`, `#! title: …`, `#! lang: …` header lines (page facts);
//! - `[heading] …`, `> …` (block quote), `[pull] …` (pull quote),
//!   `[embed @account] …`, `[caption] …`, `[li] …`; anything else is a paragraph;
//! - inline `[link]…[/link]` and `[q]…[/q]` mark link and `<q>` spans.
//!
//! The expected file is a JSON list of `{text, speaker, cue, kind, styles}`;
//! `"speech": false` marks a trap (a scare quote, a title) that must not come
//! out as a quote.
//!
//! Matching: a predicted quote matches a gold one when their normalized texts
//! (lower case, letters and digits, single spaces) are equal, or when they
//! share at least 80% of their tokens, counted as a multiset over the longer of
//! the two. Each gold quote takes its best unmatched prediction. Precision is
//! matched / predicted, recall matched / gold, F1 their harmonic mean. Speaker
//! accuracy is over matched quotes: the normalized speaker equals the gold
//! one, and an expected unknown speaker is correct only when predicted unknown.
//!
//! Main type: [`QuoteEvalReport`] (`Display` for people, `Serialize` for scripts).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::extract::quotes::{find_quotes, normalize};
use crate::extract::{Block, BlockKind, PageFacts};
use crate::model::{Quote, QuoteKind};

/// Share of tokens two quote texts must share to match.
pub const MATCH_OVERLAP: f64 = 0.8;
/// Samples kept per list in the report.
const SAMPLES: usize = 40;

/// One expected quote (or trap) of a gold article.
#[derive(Debug, Clone, Deserialize)]
pub struct GoldQuote {
    pub text: String,
    #[serde(default)]
    pub speaker: Option<String>,
    #[serde(default)]
    pub cue: Option<String>,
    #[serde(default)]
    pub kind: Option<QuoteKind>,
    #[serde(default)]
    pub styles: Vec<String>,
    /// False for a trap: quoted words that are not speech.
    #[serde(default = "yes")]
    pub speech: bool,
}

fn yes() -> bool {
    true
}

/// Tallies for one style tag.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StyleTally {
    /// Gold quotes with this tag.
    pub gold: usize,
    pub found: usize,
    pub recall: f64,
    pub speaker_correct: usize,
    pub speaker_accuracy: f64,
    /// Traps with this tag, and how many came out as quotes anyway.
    pub traps: usize,
    pub traps_kept: usize,
}

/// A quote that went wrong, for reading.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    pub article: String,
    pub text: String,
    pub detail: String,
}

/// What a gold-set run found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct QuoteEvalReport {
    pub dir: String,
    pub articles: usize,
    pub gold: usize,
    pub traps: usize,
    pub predicted: usize,
    pub matched: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Matched quotes whose speaker is right (unknown expected and predicted counts).
    pub speaker_correct: usize,
    pub speaker_accuracy: f64,
    /// Matched quotes with an unknown gold speaker, and how many were left unknown.
    pub unknown_gold: usize,
    pub unknown_correct: usize,
    /// Over matched quotes whose gold names a cue / a kind.
    pub cue_scored: usize,
    pub cue_correct: usize,
    pub kind_scored: usize,
    pub kind_correct: usize,
    pub by_style: BTreeMap<String, StyleTally>,
    pub missed: Vec<Sample>,
    pub false_positives: Vec<Sample>,
    pub wrong_speakers: Vec<Sample>,
    /// Articles that could not be read.
    pub errors: Vec<String>,
}

/// Page facts and blocks of one article in the gold block format.
pub fn parse_fixture(source: &str) -> (Vec<Block>, PageFacts) {
    let mut facts = PageFacts::default();
    let mut blocks = Vec::new();
    let mut group: Vec<&str> = Vec::new();
    let flush = |group: &mut Vec<&str>, blocks: &mut Vec<Block>| {
        if !group.is_empty() {
            blocks.push(parse_block(&group.join(" ")));
            group.clear();
        }
    };
    for line in source.lines() {
        if let Some(header) = line.strip_prefix("#!") {
            if let Some((key, value)) = header.split_once(':') {
                let value = Some(value.trim().to_string());
                match key.trim() {
                    "outlet" => facts.outlet = value,
                    "title" => facts.title = value,
                    "lang" => facts.language = value,
                    _ => {}
                }
            }
        } else if line.trim().is_empty() {
            flush(&mut group, &mut blocks);
        } else {
            group.push(line.trim());
        }
    }
    flush(&mut group, &mut blocks);
    (blocks, facts)
}

fn parse_block(line: &str) -> Block {
    let mut kind = BlockKind::Paragraph;
    let mut account = None;
    let mut rest = line;
    for (prefix, k) in [
        ("[heading] ", BlockKind::Heading),
        ("> ", BlockKind::Blockquote),
        ("[pull] ", BlockKind::PullQuote),
        ("[caption] ", BlockKind::Caption),
        ("[li] ", BlockKind::ListItem),
    ] {
        if let Some(r) = line.strip_prefix(prefix) {
            kind = k;
            rest = r;
        }
    }
    if let Some(r) = line.strip_prefix("[embed")
        && let Some((who, text)) = r.split_once(']')
    {
        kind = BlockKind::Embed;
        account = Some(who.trim().to_string()).filter(|a| !a.is_empty());
        rest = text.trim_start();
    }
    let (text, link_spans, q_spans) = inline_spans(rest);
    Block { kind, text, link_spans, q_spans, account }
}

/// Strips `[link]…[/link]` and `[q]…[/q]`, returning their byte ranges in the stripped text.
type Spans = Vec<std::ops::Range<usize>>;
fn inline_spans(source: &str) -> (String, Spans, Spans) {
    let mut text = String::with_capacity(source.len());
    let (mut links, mut qs) = (Vec::new(), Vec::new());
    let (mut link_open, mut q_open) = (None, None);
    let mut rest = source;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("[link]") {
            link_open = Some(text.len());
            rest = r;
        } else if let Some(r) = rest.strip_prefix("[/link]") {
            if let Some(start) = link_open.take() {
                links.push(start..text.len());
            }
            rest = r;
        } else if let Some(r) = rest.strip_prefix("[q]") {
            q_open = Some(text.len());
            rest = r;
        } else if let Some(r) = rest.strip_prefix("[/q]") {
            if let Some(start) = q_open.take() {
                qs.push(start..text.len());
            }
            rest = r;
        } else if let Some(c) = rest.chars().next() {
            text.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    (text, links, qs)
}

/// Token overlap of two normalized texts, over the longer one.
fn overlap(a: &str, b: &str) -> f64 {
    if a == b {
        return 1.0;
    }
    let aw: Vec<&str> = a.split(' ').filter(|w| !w.is_empty()).collect();
    let mut bw: Vec<&str> = b.split(' ').filter(|w| !w.is_empty()).collect();
    let longer = aw.len().max(bw.len());
    if longer == 0 {
        return 0.0;
    }
    let mut shared = 0usize;
    for w in &aw {
        if let Some(at) = bw.iter().position(|x| x == w) {
            bw.swap_remove(at);
            shared += 1;
        }
    }
    ratio(shared, longer)
}

#[allow(clippy::cast_precision_loss)] // counts are small
fn ratio(n: usize, d: usize) -> f64 {
    if d == 0 { 0.0 } else { n as f64 / d as f64 }
}

fn same_speaker(predicted: Option<&str>, gold: Option<&str>) -> bool {
    match (predicted, gold) {
        (None, None) => true,
        (Some(p), Some(g)) => normalize(p) == normalize(g),
        _ => false,
    }
}

/// Scores one article's predicted quotes against its gold, into `report`.
pub fn score_article(name: &str, predicted: &[Quote], gold: &[GoldQuote], report: &mut QuoteEvalReport) {
    let norm_pred: Vec<String> = predicted.iter().map(|q| normalize(&q.text)).collect();
    let mut taken = vec![false; predicted.len()];
    report.articles += 1;
    report.predicted += predicted.len();
    for g in gold.iter().filter(|g| g.speech) {
        report.gold += 1;
        let ng = normalize(&g.text);
        let best = (0..predicted.len())
            .filter(|&i| !taken[i])
            .map(|i| (i, overlap(&ng, &norm_pred[i])))
            .filter(|&(_, o)| o >= MATCH_OVERLAP)
            .max_by(|a, b| a.1.total_cmp(&b.1));
        let Some((i, _)) = best else {
            for s in &g.styles {
                report.by_style.entry(s.clone()).or_default().gold += 1;
            }
            push_sample(&mut report.missed, name, &g.text, "not found".into());
            continue;
        };
        taken[i] = true;
        report.matched += 1;
        let q = &predicted[i];
        let speaker_ok = same_speaker(q.speaker.as_deref(), g.speaker.as_deref());
        for s in &g.styles {
            let t = report.by_style.entry(s.clone()).or_default();
            t.gold += 1;
            t.found += 1;
            t.speaker_correct += usize::from(speaker_ok);
        }
        report.speaker_correct += usize::from(speaker_ok);
        if g.speaker.is_none() {
            report.unknown_gold += 1;
            report.unknown_correct += usize::from(q.speaker.is_none());
        }
        if !speaker_ok {
            let detail = format!("speaker {:?}, expected {:?}", q.speaker, g.speaker);
            push_sample(&mut report.wrong_speakers, name, &g.text, detail);
        }
        if let Some(cue) = &g.cue {
            report.cue_scored += 1;
            report.cue_correct += usize::from(q.cue.as_deref().is_some_and(|c| c.to_lowercase() == cue.to_lowercase()));
        }
        if let Some(kind) = g.kind {
            report.kind_scored += 1;
            report.kind_correct += usize::from(q.kind == kind);
        }
    }
    for g in gold.iter().filter(|g| !g.speech) {
        report.traps += 1;
        let ng = normalize(&g.text);
        let kept = norm_pred.iter().enumerate().any(|(i, p)| !taken[i] && overlap(&ng, p) >= MATCH_OVERLAP);
        for s in &g.styles {
            let t = report.by_style.entry(s.clone()).or_default();
            t.traps += 1;
            t.traps_kept += usize::from(kept);
        }
    }
    for (q, _) in predicted.iter().zip(&taken).filter(|(_, taken)| !**taken) {
        let detail = format!("kind {:?}, speaker {:?}", q.kind, q.speaker);
        push_sample(&mut report.false_positives, name, &q.text, detail);
    }
}

fn push_sample(list: &mut Vec<Sample>, article: &str, text: &str, detail: String) {
    if list.len() < SAMPLES {
        list.push(Sample { article: article.to_string(), text: text.chars().take(120).collect(), detail });
    }
}

impl QuoteEvalReport {
    /// Fills the ratios from the counts.
    fn finish(&mut self) {
        self.precision = ratio(self.matched, self.predicted);
        self.recall = ratio(self.matched, self.gold);
        let sum = self.precision + self.recall;
        self.f1 = if sum > 0.0 { 2.0 * self.precision * self.recall / sum } else { 0.0 };
        self.speaker_accuracy = ratio(self.speaker_correct, self.matched);
        for t in self.by_style.values_mut() {
            t.recall = ratio(t.found, t.gold);
            t.speaker_accuracy = ratio(t.speaker_correct, t.found);
        }
    }
}

/// Runs quotation finding over every `*.txt` with a `*.json` beside it in `dir`.
pub fn quote_gold(dir: &Path) -> QuoteEvalReport {
    let mut report = QuoteEvalReport { dir: dir.display().to_string(), ..QuoteEvalReport::default() };
    let mut files: Vec<_> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "txt"))
            .collect(),
        Err(err) => {
            report.errors.push(format!("{}: {err}", dir.display()));
            return report;
        }
    };
    files.sort();
    for txt in files {
        let name = txt.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let json = txt.with_extension("json");
        let source = std::fs::read_to_string(&txt);
        let expected = std::fs::read_to_string(&json);
        let (source, expected) = match (source, expected) {
            (Ok(s), Ok(e)) => (s, e),
            (Err(err), _) => {
                report.errors.push(format!("{}: {err}", txt.display()));
                continue;
            }
            (_, Err(err)) => {
                report.errors.push(format!("{}: {err}", json.display()));
                continue;
            }
        };
        let gold: Vec<GoldQuote> = match serde_json::from_str(&expected) {
            Ok(g) => g,
            Err(err) => {
                report.errors.push(format!("{}: {err}", json.display()));
                continue;
            }
        };
        let (blocks, facts) = parse_fixture(&source);
        let quotes = find_quotes(&blocks, &facts);
        score_article(&name, &quotes, &gold, &mut report);
    }
    report.finish();
    report
}

impl fmt::Display for QuoteEvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "quote gold set: {} ({} articles)", self.dir, self.articles)?;
        writeln!(
            f,
            "  gold quotes {}, traps {}, predicted {}, matched {}",
            self.gold, self.traps, self.predicted, self.matched
        )?;
        writeln!(f, "  span precision {:.3}  recall {:.3}  F1 {:.3}", self.precision, self.recall, self.f1)?;
        writeln!(
            f,
            "  speaker accuracy {:.3} ({}/{}; unknown kept unknown {}/{})",
            self.speaker_accuracy, self.speaker_correct, self.matched, self.unknown_correct, self.unknown_gold
        )?;
        writeln!(
            f,
            "  cue accuracy {:.3} ({}/{}), kind accuracy {:.3} ({}/{})",
            ratio(self.cue_correct, self.cue_scored),
            self.cue_correct,
            self.cue_scored,
            ratio(self.kind_correct, self.kind_scored),
            self.kind_correct,
            self.kind_scored
        )?;
        writeln!(f, "  {:<16} {:>5} {:>7} {:>8} {:>7}", "style", "gold", "recall", "speaker", "traps")?;
        for (style, t) in &self.by_style {
            let recall = if t.gold > 0 { format!("{:.3}", t.recall) } else { "-".into() };
            let speaker = if t.found > 0 { format!("{:.3}", t.speaker_accuracy) } else { "-".into() };
            let traps = if t.traps > 0 { format!("{}/{} kept", t.traps_kept, t.traps) } else { String::new() };
            writeln!(f, "  {style:<16} {:>5} {recall:>7} {speaker:>8} {traps}", t.gold)?;
        }
        for (title, list) in [
            ("missed", &self.missed),
            ("false positives", &self.false_positives),
            ("wrong speakers", &self.wrong_speakers),
        ] {
            if !list.is_empty() {
                writeln!(f, "  {title}:")?;
                for s in list {
                    writeln!(f, "    {}: {:?} ({})", s.article, s.text, s.detail)?;
                }
            }
        }
        for e in &self.errors {
            writeln!(f, "  error: {e}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixture_format_reads_blocks_and_spans() {
        let (blocks, facts) = parse_fixture(
            "#! outlet: Daily\n[heading] Head\n\nA [link]“B”[/link] and [q]C[/q].\n\n> D\n\n[embed @x] E\n",
        );
        assert_eq!(facts.outlet.as_deref(), Some("Daily"));
        assert_eq!(blocks.len(), 4);
        assert_eq!(blocks[1].text, "A “B” and C.");
        assert_eq!(&blocks[1].text[blocks[1].link_spans[0].clone()], "“B”");
        assert_eq!(&blocks[1].text[blocks[1].q_spans[0].clone()], "C");
        assert_eq!(blocks[3].account.as_deref(), Some("@x"));
    }

    #[test]
    fn overlap_counts_shared_tokens_over_the_longer() {
        assert!((overlap("a b c d e", "a b c d") - 0.8).abs() < 1e-9);
        assert!(overlap("a b", "c d") < 0.1);
    }
}
