//! The full-text index: a tantivy index in a folder beside the store, its
//! schema, and the translation of a parsed [`SearchQuery`] into a tantivy
//! query. The one file that knows tantivy's index (the analyzer is in
//! `tokenizer.rs`).
//!
//! Texts are indexed, not stored: a hit is the item id (and the stamp of the
//! version indexed); titles, text and snippets come from the store, which
//! keeps the index small (see the size figure in the notes).
//!
//! Must not read the store or decide when to update: that is `Search`
//! (`mod.rs`).

use std::collections::HashMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use tantivy::collector::{Count, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, RangeQuery, TermQuery};
use tantivy::schema::{
    Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term};

use super::doc::{NO_SECTION, SearchDoc};
use super::query::{SearchQuery, Term as Clause};
use super::tokenizer::{ANALYZER, analyzer, words};
use crate::model::ItemId;

/// Bumped when the schema or the analyzer changes: an index of another
/// version is rebuilt from the store at open.
pub const INDEX_VERSION: u32 = 2;

/// The writer's indexing arena: tantivy's minimum for one thread. Updates
/// are a poll's or an edit's worth of items, committed at once.
const WRITER_ARENA_BYTES: usize = 15_000_000;

/// Characters of article text around the best match in a snippet.
const SNIPPET_CHARS: usize = 220;

/// Why the index failed.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// Tantivy failed (opening, writing, committing or searching).
    #[error("search index at {path}: {reason}")]
    Tantivy { path: String, reason: String },
    /// A file of the index folder could not be read or written.
    #[error("search index at {path}: {source}")]
    Io { path: String, source: std::io::Error },
}

/// The fields, looked up once.
#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    stamp: Field,
    title: Field,
    body: Field,
    quotes: Field,
    speakers: Field,
    outlets: Field,
    commentary: Field,
    source: Field,
    lang: Field,
    state: Field,
    section: Field,
    tag: Field,
    published: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(ANALYZER).set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = Fields {
        id: builder.add_text_field("id", STRING | STORED),
        stamp: builder.add_u64_field("stamp", STORED),
        title: builder.add_text_field("title", text.clone()),
        body: builder.add_text_field("body", text.clone()),
        quotes: builder.add_text_field("quotes", text.clone()),
        speakers: builder.add_text_field("speakers", text.clone()),
        outlets: builder.add_text_field("outlets", text.clone()),
        commentary: builder.add_text_field("commentary", text),
        source: builder.add_text_field("source", STRING),
        lang: builder.add_text_field("lang", STRING),
        state: builder.add_text_field("state", STRING),
        section: builder.add_text_field("section", STRING),
        tag: builder.add_text_field("tag", STRING),
        published: builder.add_date_field("published", INDEXED | tantivy::schema::FAST),
    };
    (builder.build(), fields)
}

/// One match: the item and how well it matched (0 for unranked queries).
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub id: ItemId,
    pub score: f32,
}

/// A piece of text with the byte ranges that matched the query.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Snippet {
    pub text: String,
    pub highlights: Vec<(usize, usize)>,
}

/// Changes to the index not committed yet (see [`SearchIndex::stage`]).
/// Dropped without a commit, they are committed with the next one: each is
/// a current version of its item, so that is never wrong.
pub struct Staged<'a> {
    index: &'a SearchIndex,
    writer: std::sync::MutexGuard<'a, IndexWriter>,
}

impl Staged<'_> {
    /// Replaces the documents of these items.
    pub fn add(&mut self, docs: &[SearchDoc]) -> Result<(), IndexError> {
        let id = self.index.fields.id;
        for doc in docs {
            self.writer.delete_term(Term::from_field_text(id, doc.id.as_str()));
            self.writer.add_document(self.index.document(doc)).map_err(|e| self.index.error(&e))?;
        }
        Ok(())
    }

    /// Removes the documents of these items.
    pub fn remove(&mut self, ids: &[ItemId]) {
        for id in ids {
            self.writer.delete_term(Term::from_field_text(self.index.fields.id, id.as_str()));
        }
    }

    /// Commits every staged change at once and makes them visible to searches.
    pub fn commit(mut self) -> Result<(), IndexError> {
        self.writer.commit().map_err(|e| self.index.error(&e))?;
        drop(self.writer);
        self.index.reader.reload().map_err(|e| self.index.error(&e))
    }
}

/// An open index with its one writer.
pub struct SearchIndex {
    path: PathBuf,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").field("path", &self.path).finish_non_exhaustive()
    }
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it if there is none. Takes the
    /// index's writer lock (one process writes at a time, as with the store).
    pub fn open(dir: &Path) -> Result<Self, IndexError> {
        let error =
            |e: &dyn std::fmt::Display| IndexError::Tantivy { path: dir.display().to_string(), reason: e.to_string() };
        std::fs::create_dir_all(dir).map_err(|source| IndexError::Io { path: dir.display().to_string(), source })?;
        let (schema, fields) = schema();
        let directory = MmapDirectory::open(dir).map_err(|e| error(&e))?;
        let index = Index::open_or_create(directory, schema).map_err(|e| error(&e))?;
        index.tokenizers().register(ANALYZER, analyzer());
        let writer = index.writer_with_num_threads(1, WRITER_ARENA_BYTES).map_err(|e| error(&e))?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into().map_err(|e| error(&e))?;
        Ok(Self { path: dir.to_path_buf(), reader, writer: Mutex::new(writer), fields })
    }

    fn error(&self, e: &dyn std::fmt::Display) -> IndexError {
        IndexError::Tantivy { path: self.path.display().to_string(), reason: e.to_string() }
    }

    /// Replaces the documents of `docs` and removes those of `removed`, in
    /// one commit (atomic: a crash leaves the previous commit or this one),
    /// then makes them visible to searches.
    pub fn apply(&self, docs: &[SearchDoc], removed: &[ItemId]) -> Result<(), IndexError> {
        let mut staged = self.stage();
        staged.remove(removed);
        staged.add(docs)?;
        staged.commit()
    }

    /// Takes the writer for changes added a part at a time and committed
    /// once ([`Staged::commit`]): a poll's thousands of items need not be
    /// documents in memory all at once. Other writers wait until the commit,
    /// so what a caller reads from the store while holding it is not
    /// overtaken by an older version written after it.
    pub fn stage(&self) -> Staged<'_> {
        Staged { index: self, writer: self.writer.lock().unwrap_or_else(PoisonError::into_inner) }
    }

    /// Removes every document (a rebuild starts from nothing), in one commit.
    pub fn clear(&self) -> Result<(), IndexError> {
        let mut writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        writer.delete_all_documents().map_err(|e| self.error(&e))?;
        writer.commit().map_err(|e| self.error(&e))?;
        drop(writer);
        self.reader.reload().map_err(|e| self.error(&e))
    }

    fn document(&self, doc: &SearchDoc) -> TantivyDocument {
        let f = self.fields;
        let mut out = TantivyDocument::default();
        out.add_text(f.id, doc.id.as_str());
        out.add_u64(f.stamp, doc.stamp);
        for title in &doc.title {
            out.add_text(f.title, title);
        }
        out.add_text(f.body, &doc.body);
        for (field, values) in [(f.quotes, &doc.quotes), (f.speakers, &doc.speakers), (f.outlets, &doc.outlets)] {
            for value in values {
                out.add_text(field, value);
            }
        }
        out.add_text(f.commentary, &doc.commentary);
        for source in &doc.sources {
            out.add_text(f.source, source);
        }
        if let Some(language) = &doc.language {
            out.add_text(f.lang, language);
        }
        out.add_text(f.state, doc.state);
        out.add_text(f.section, &doc.section);
        for tag in &doc.tags {
            out.add_text(f.tag, tag);
        }
        out.add_date(f.published, tantivy::DateTime::from_timestamp_micros(doc.published.timestamp_micros()));
        out
    }

    /// Every indexed item with the stamp of the version indexed.
    pub fn stamps(&self) -> Result<HashMap<ItemId, u64>, IndexError> {
        let searcher = self.reader.searcher();
        let mut out = HashMap::new();
        for segment in searcher.segment_readers() {
            let store = segment.get_store_reader(1).map_err(|e| self.error(&e))?;
            for doc in store.iter::<TantivyDocument>(segment.alive_bitset()) {
                let doc = doc.map_err(|e| self.error(&e))?;
                let id = doc.get_first(self.fields.id).and_then(|v| v.as_str()).and_then(ItemId::parse);
                let stamp = doc.get_first(self.fields.stamp).and_then(|v| v.as_u64());
                if let (Some(id), Some(stamp)) = (id, stamp) {
                    out.insert(id, stamp);
                }
            }
        }
        Ok(out)
    }

    /// How many items are indexed.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The best `limit` matches (newest first when the query has no text to
    /// rank by) and how many there are in all. `sections` maps a source id
    /// to its configured section, for `section:` on items whose editor chose none.
    pub fn search(
        &self,
        query: &SearchQuery,
        sections: &HashMap<String, String>,
        speakers: &HashMap<String, Vec<String>>,
        limit: usize,
    ) -> Result<(Vec<Hit>, usize), IndexError> {
        let compiled = self.compile(query, sections, speakers);
        let searcher = self.reader.searcher();
        let limit = limit.max(1);
        let (addresses, total): (Vec<(f32, DocAddress)>, usize) = if query.is_ranked() {
            searcher.search(&compiled, &(TopDocs::with_limit(limit), Count)).map_err(|e| self.error(&e))?
        } else {
            let collector =
                TopDocs::with_limit(limit).order_by_fast_field::<tantivy::DateTime>("published", Order::Desc);
            let (top, total) = searcher.search(&compiled, &(collector, Count)).map_err(|e| self.error(&e))?;
            (top.into_iter().map(|(_, address)| (0.0, address)).collect(), total)
        };
        let mut hits = Vec::with_capacity(addresses.len());
        for (score, address) in addresses {
            let doc: TantivyDocument = searcher.doc(address).map_err(|e| self.error(&e))?;
            if let Some(id) = doc.get_first(self.fields.id).and_then(|v| v.as_str()) {
                if let Some(id) = ItemId::parse(id) {
                    hits.push(Hit { id, score });
                }
            }
        }
        Ok((hits, total))
    }

    /// Highlights for `query`'s matches in an item's texts.
    pub fn highlighter(&self, query: &SearchQuery) -> Result<Highlighter, IndexError> {
        // What to mark: the positive text clauses, a speaker's or outlet's
        // name included (it shows in the text that credits them).
        let marked = SearchQuery {
            clauses: query
                .clauses
                .iter()
                .filter(|c| !c.negated && c.term.is_text())
                .map(|c| match &c.term {
                    Clause::Speaker(name) | Clause::Outlet(name) => {
                        super::query::Clause { negated: false, term: Clause::Phrase(name.clone()) }
                    }
                    _ => c.clone(),
                })
                .collect(),
            warnings: Vec::new(),
        };
        let compiled = self.compile(&marked, &HashMap::new(), &HashMap::new());
        let searcher = self.reader.searcher();
        let mut generators = Vec::new();
        for field in [self.fields.body, self.fields.quotes, self.fields.title, self.fields.commentary] {
            let mut generator = SnippetGenerator::create(&searcher, &compiled, field).map_err(|e| self.error(&e))?;
            generator.set_max_num_chars(SNIPPET_CHARS);
            generators.push(generator);
        }
        Ok(Highlighter { generators })
    }

    /// `speakers` maps a merged speaker's id to the names of everyone merged
    /// with them (`SpeakerMap::search_groups`): `speaker:` matches any of them.
    fn compile(
        &self,
        query: &SearchQuery,
        sections: &HashMap<String, String>,
        speakers: &HashMap<String, Vec<String>>,
    ) -> Box<dyn Query> {
        let f = self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for clause in &query.clauses {
            let compiled = match &clause.term {
                Clause::Word(text) | Clause::Phrase(text) => text_query(
                    &[
                        (f.title, 3.0),
                        (f.quotes, 1.5),
                        (f.speakers, 1.5),
                        (f.commentary, 1.5),
                        (f.body, 1.0),
                        (f.outlets, 1.0),
                    ],
                    text,
                ),
                Clause::Speaker(text) => match crate::speakers::speaker_id(text).and_then(|id| speakers.get(&id)) {
                    Some(names) => {
                        let any: Vec<(Occur, Box<dyn Query>)> = names
                            .iter()
                            .filter_map(|name| text_query(&[(f.speakers, 1.0)], name))
                            .map(|q| (Occur::Should, q))
                            .collect();
                        (!any.is_empty()).then(|| Box::new(BooleanQuery::new(any)) as Box<dyn Query>)
                    }
                    None => text_query(&[(f.speakers, 1.0)], text),
                },
                Clause::Outlet(text) => text_query(&[(f.outlets, 1.0)], text),
                Clause::Source(id) => Some(raw(f.source, id)),
                Clause::Language(language) => Some(raw(f.lang, language)),
                Clause::State(state) => Some(raw(f.state, state.as_str())),
                Clause::Section(name) => Some(section_query(f, name, sections)),
                Clause::Tag(tag) => Some(raw(f.tag, tag)),
                Clause::Since(day) => Some(date_range(f.published, Bound::Included(start_of(*day)), Bound::Unbounded)),
                Clause::Until(day) => {
                    Some(date_range(f.published, Bound::Unbounded, Bound::Excluded(start_of(*day) + Duration::days(1))))
                }
            };
            // A clause with no indexable word ("-", an emoji) asks for nothing.
            let Some(compiled) = compiled else { continue };
            clauses.push((if clause.negated { Occur::MustNot } else { Occur::Must }, compiled));
        }
        if !clauses.iter().any(|(occur, _)| *occur == Occur::Must) {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        Box::new(BooleanQuery::new(clauses))
    }
}

/// The texts a snippet may come from, best first.
pub struct Highlighter {
    generators: Vec<SnippetGenerator>,
}

impl Highlighter {
    /// The best snippet of the first text with a match (article text,
    /// quotes, title, commentary, in that order); the text's start when none matches.
    pub fn snippet(&self, body: &str, quotes: &str, title: &str, commentary: &str) -> Snippet {
        for (generator, text) in self.generators.iter().zip([body, quotes, title, commentary]) {
            let snippet = generator.snippet(text);
            if !snippet.highlighted().is_empty() {
                return Snippet {
                    text: snippet.fragment().to_owned(),
                    highlights: snippet.highlighted().iter().map(|r| (r.start, r.end)).collect(),
                };
            }
        }
        let end = body.char_indices().nth(SNIPPET_CHARS).map_or(body.len(), |(at, _)| at);
        Snippet { text: body[..end].to_owned(), highlights: Vec::new() }
    }
}

fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}

fn date_range(field: Field, lower: Bound<DateTime<Utc>>, upper: Bound<DateTime<Utc>>) -> Box<dyn Query> {
    let term = |at: DateTime<Utc>| {
        Term::from_field_date_for_search(field, tantivy::DateTime::from_timestamp_micros(at.timestamp_micros()))
    };
    Box::new(RangeQuery::new(lower.map(term), upper.map(term)))
}

fn raw(field: Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic))
}

/// `section:NAME`: the editor's section, or no editor's section and a
/// source whose configured section it is.
fn section_query(f: Fields, name: &str, sections: &HashMap<String, String>) -> Box<dyn Query> {
    let wanted = name.trim().to_lowercase();
    let sources: Vec<(Occur, Box<dyn Query>)> = sections
        .iter()
        .filter(|(_, section)| section.trim().to_lowercase() == wanted)
        .map(|(source, _)| (Occur::Should, raw(f.source, source)))
        .collect();
    let mut either: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Should, raw(f.section, &wanted))];
    if !sources.is_empty() {
        let by_source = BooleanQuery::new(vec![
            (Occur::Must, raw(f.section, NO_SECTION)),
            (Occur::Must, Box::new(BooleanQuery::new(sources))),
        ]);
        either.push((Occur::Should, Box::new(by_source)));
    }
    Box::new(BooleanQuery::new(either))
}

/// `text`'s words in any of `fields` (in order, when there are several),
/// each field's match weighted by its boost.
fn text_query(fields: &[(Field, f32)], text: &str) -> Option<Box<dyn Query>> {
    let words = words(text);
    if words.is_empty() {
        return None;
    }
    let per_field = fields
        .iter()
        .map(|(field, boost)| {
            let query: Box<dyn Query> = if let [word] = words.as_slice() {
                Box::new(TermQuery::new(Term::from_field_text(*field, word), IndexRecordOption::WithFreqs))
            } else {
                Box::new(PhraseQuery::new(words.iter().map(|w| Term::from_field_text(*field, w)).collect()))
            };
            let query: Box<dyn Query> =
                if (*boost - 1.0).abs() > f32::EPSILON { Box::new(BoostQuery::new(query, *boost)) } else { query };
            (Occur::Should, query)
        })
        .collect();
    Some(Box::new(BooleanQuery::new(per_field)))
}
