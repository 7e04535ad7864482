//! `gleaner items`, `show`, `review approve|reject|shortlist|reset|edit|attach|detach` and
//! `user add`: the editors' work from a terminal, through the same editorial
//! use-case (rules, audit trail, optimistic revisions) as the review UI.

use anyhow::{Context, anyhow};
use clap::Subcommand;

use super::backend::Backend;
use super::output::{json_document, json_line, print_links, print_quotes, short_time, table, truncate};
use super::{CmdResult, Failure};
use crate::editorial::rules::Action;
use crate::editorial::{EditChanges, EditorialError, QuoteOverride};
use crate::model::{Item, ItemId, Link, Quote, ReviewState};
use crate::web::api::wire::ItemPage;

pub(super) fn items(
    backend: &Backend,
    state: Option<&str>,
    source: Option<String>,
    limit: Option<usize>,
    json: bool,
) -> CmdResult {
    let state = match state.map(|s| (s, ReviewState::parse(s))) {
        None => None,
        Some((_, Some(state))) => Some(state),
        Some((text, None)) => {
            let known: Vec<_> = ReviewState::ALL.iter().map(|s| s.as_str()).collect();
            eprintln!("unknown state {text:?}; expected one of {}", known.join(", "));
            return Err(Failure::Usage);
        }
    };
    let items = backend.items(state, source, limit).context("listing items")?;
    if json {
        for item in &items {
            json_line(item)?;
        }
        return Ok(());
    }
    let mut table = table(["id", "published", "state", "source", "title"]);
    for item in &items {
        table.add_row([
            item.id.to_string(),
            short_time(item.published),
            item.state.to_string(),
            item.source.clone(),
            truncate(&item.title, 70),
        ]);
    }
    outln!("{table}\n{} items", items.len());
    Ok(())
}

pub(super) fn show(backend: &Backend, id: &str, json: bool) -> CmdResult {
    let Some(id) = ItemId::parse(id) else {
        eprintln!("{id:?} is not an item id (32 hex digits, as `gleaner items` prints)");
        return Err(Failure::Usage);
    };
    let ItemPage { item, quotes, links, .. } = match backend.item_page(&id) {
        Ok(page) => page,
        Err(EditorialError::NotFound { .. }) => return Err(anyhow!("no item {id}").into()),
        Err(other) => return Err(anyhow::Error::new(other).context("reading item").into()),
    };
    if json {
        return json_document(&ShowOutput { item: &item, quotes: &quotes, links: &links });
    }
    outln!("{}", item.title);
    outln!("  id:        {}", item.id);
    outln!("  url:       {}", item.url.as_deref().unwrap_or("-"));
    outln!("  sources:   {}", item.sources.join(", "));
    let estimated = if item.published_is_fetch_time { " (feed gave no date: fetch time)" } else { "" };
    outln!("  published: {}{estimated}", short_time(item.published));
    if !item.authors.is_empty() {
        outln!("  authors:   {}", item.authors.join(", "));
    }
    outln!("  language:  {}", item.language.as_deref().unwrap_or("-"));
    outln!("  state:     {} (revision {})", item.state, item.revision);
    if let Some(headline) = &item.editor.headline {
        outln!("  headline:  {headline}");
    }
    if let Some(outlet) = &item.outlet {
        outln!("  outlet:    {outlet}");
    }
    if let Some(byline) = &item.byline {
        outln!("  byline:    {byline}");
    }
    match item.extracted_at {
        Some(at) => outln!("  extracted: {}", short_time(at)),
        None => outln!("  extracted: not yet"),
    }
    if let Some(note) = &item.extraction_note {
        outln!("  note:      {note}");
    }
    if !item.editor.quote_ids.is_empty() {
        outln!("  chosen quotes: {}", item.editor.quote_ids.join(", "));
    }
    let summary = crate::sanitize::html_to_text(&item.summary);
    if !summary.trim().is_empty() {
        outln!("\n{}", summary.trim());
    }
    print_quotes(&quotes, true)?;
    print_links(&links)?;
    Ok(())
}

/// `show --json`: the stored item with its quotes and links.
#[derive(serde::Serialize)]
pub(super) struct ShowOutput<'a> {
    #[serde(flatten)]
    item: &'a Item,
    quotes: &'a [Quote],
    links: &'a [Link],
}

#[derive(Debug, Subcommand)]
pub(super) enum ReviewCommand {
    /// Approve items for the next issue.
    Approve(ReviewActArgs),
    /// Reject items.
    Reject(ReviewActArgs),
    /// Shortlist items.
    Shortlist(ReviewActArgs),
    /// Put items back to `new`.
    Reset(ReviewActArgs),
    /// Change an item's editor fields; an empty value clears a field.
    Edit(ReviewEditArgs),
    /// Make entry ID cite other items too (their links, and their quotes for --quotes).
    Attach(ReviewCiteArgs),
    /// Stop entry ID citing these items (their chosen quotes go with them).
    Detach(ReviewCiteArgs),
    /// Add and remove an item's tags (search and the queue filter by `tag:NAME`).
    Tag(ReviewTagArgs),
}

#[derive(Debug, clap::Args)]
pub(super) struct ReviewTagArgs {
    #[arg(value_name = "ID")]
    id: String,
    /// A tag to add (repeatable).
    #[arg(long = "add", value_name = "TAG")]
    add: Vec<String>,
    /// A tag to remove (repeatable).
    #[arg(long = "remove", value_name = "TAG")]
    remove: Vec<String>,
    #[arg(long = "as", value_name = "NAME")]
    actor: Option<String>,
    #[arg(long)]
    revision: Option<u64>,
}

/// `gleaner review tag ID --add T --remove T`.
fn review_tag(backend: &Backend, args: &ReviewTagArgs) -> CmdResult {
    if args.add.is_empty() && args.remove.is_empty() {
        eprintln!("nothing to change: give --add TAG or --remove TAG");
        return Err(Failure::Usage);
    }
    let actor = cli_actor(args.actor.as_deref())?;
    let id = parse_item_id(&args.id)?;
    match backend.tag(&id, args.revision, &args.add, &args.remove, &actor) {
        Ok(item) => {
            outln!(
                "{id}: tags {} (revision {})",
                if item.editor.tags.is_empty() { "none".to_owned() } else { item.editor.tags.join(", ") },
                item.revision
            );
            Ok(())
        }
        Err(error) => Err(editorial_failure(error)),
    }
}

#[derive(Debug, clap::Args)]
pub(super) struct ReviewActArgs {
    #[arg(required = true, value_name = "ID")]
    ids: Vec<String>,
    /// Who acts, for the audit trail (default: the OS user).
    #[arg(long = "as", value_name = "NAME")]
    actor: Option<String>,
    /// The revision you looked at (`gleaner show ID`); refused if the item changed since. One ID only.
    #[arg(long)]
    revision: Option<u64>,
}

#[derive(Debug, clap::Args)]
pub(super) struct ReviewEditArgs {
    #[arg(value_name = "ID")]
    id: String,
    #[arg(long)]
    headline: Option<String>,
    #[arg(long)]
    commentary: Option<String>,
    /// Chosen quote ids in order, comma-separated (as `gleaner show ID` prints them;
    /// quotes of items the entry cites, see `review attach`, may be chosen too).
    #[arg(long, value_name = "Q,..")]
    quotes: Option<String>,
    #[arg(long)]
    section: Option<String>,
    /// Position in the next issue's section (`none` or empty clears).
    #[arg(long, value_name = "N")]
    position: Option<String>,
    /// Correct a quote's speaker: `QUOTE_ID=NAME` (an empty NAME drops the correction). Repeatable.
    #[arg(long, value_name = "Q=NAME")]
    speaker: Vec<String>,
    /// Correct a quote's outlet: `QUOTE_ID=OUTLET`. Repeatable.
    #[arg(long, value_name = "Q=OUTLET")]
    outlet: Vec<String>,
    #[arg(long = "as", value_name = "NAME")]
    actor: Option<String>,
    #[arg(long)]
    revision: Option<u64>,
}

/// The audit trail's name for whoever runs the command: `--as`, else the OS user.
pub(super) fn cli_actor(given: Option<&str>) -> Result<String, Failure> {
    if let Some(name) = given.map(str::trim).filter(|n| !n.is_empty()) {
        return Ok(name.to_owned());
    }
    for var in ["USER", "LOGNAME"] {
        if let Some(name) = std::env::var(var).ok().filter(|n| !n.trim().is_empty()) {
            return Ok(name.trim().to_owned());
        }
    }
    let whoami = std::process::Command::new("whoami").output().ok().filter(|o| o.status.success());
    if let Some(name) = whoami.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned()).filter(|n| !n.is_empty()) {
        return Ok(name);
    }
    eprintln!("cannot tell who you are (no $USER, $LOGNAME or `whoami`): pass --as NAME");
    Err(Failure::Usage)
}

pub(super) fn parse_item_id(text: &str) -> Result<ItemId, Failure> {
    ItemId::parse(text.trim()).ok_or_else(|| {
        eprintln!("{text:?} is not an item id (32 hex digits, as `gleaner items` prints)");
        Failure::Usage
    })
}

/// An editorial refusal is the user's to fix (exit 2); a store failure is not (exit 1).
pub(super) fn editorial_failure(error: EditorialError) -> Failure {
    match error {
        EditorialError::Store(e) => Failure::Other(anyhow::Error::new(e).context("store")),
        refused => {
            eprintln!("error: {refused}");
            Failure::Usage
        }
    }
}

pub(super) fn review(backend: &Backend, what: ReviewCommand) -> CmdResult {
    let (action, args) = match what {
        ReviewCommand::Approve(args) => (Action::Approve, args),
        ReviewCommand::Reject(args) => (Action::Reject, args),
        ReviewCommand::Shortlist(args) => (Action::Shortlist, args),
        ReviewCommand::Reset(args) => (Action::Reset, args),
        ReviewCommand::Edit(args) => return review_edit(backend, &args),
        ReviewCommand::Attach(args) => return cite(backend, &args, true),
        ReviewCommand::Detach(args) => return cite(backend, &args, false),
        ReviewCommand::Tag(args) => return review_tag(backend, &args),
    };
    if args.revision.is_some() && args.ids.len() > 1 {
        eprintln!("--revision names one item's revision: give a single ID with it");
        return Err(Failure::Usage);
    }
    let actor = cli_actor(args.actor.as_deref())?;
    let ids = args.ids.iter().map(|id| parse_item_id(id)).collect::<Result<Vec<_>, _>>()?;
    let mut refused = false;
    for id in &ids {
        // Without --revision the operator means "as it is now": the stored
        // revision, so only a write racing this very command is refused.
        let revision = if let Some(revision) = args.revision {
            revision
        } else {
            let Some(item) = backend.item(id).map_err(editorial_failure)? else {
                eprintln!("error: no item with id {id}");
                refused = true;
                continue;
            };
            item.revision
        };
        match backend.act(id, revision, action, &actor) {
            Ok(item) => outln!("{id}: {} (revision {})", item.state, item.revision),
            Err(EditorialError::Store(e)) => return Err(anyhow::Error::new(e).context("store").into()),
            Err(e) => {
                eprintln!("error: {e}");
                refused = true;
            }
        }
    }
    if refused { Err(Failure::Usage) } else { Ok(()) }
}

/// `Q=VALUE` pairs into overrides on top of the stored ones.
pub(super) fn merge_overrides(
    into: &mut crate::editorial::QuoteOverrides,
    pairs: &[String],
    set: fn(&mut QuoteOverride, Option<String>),
) -> Result<(), Failure> {
    for pair in pairs {
        let Some((quote, value)) = pair.split_once('=') else {
            eprintln!("{pair:?}: expected QUOTE_ID=VALUE");
            return Err(Failure::Usage);
        };
        let value = Some(value.trim().to_owned()).filter(|v| !v.is_empty());
        set(into.entry(quote.trim().to_owned()).or_default(), value);
    }
    Ok(())
}

pub(super) fn review_edit(backend: &Backend, args: &ReviewEditArgs) -> CmdResult {
    let actor = cli_actor(args.actor.as_deref())?;
    let id = parse_item_id(&args.id)?;
    let position = match args.position.as_deref().map(str::trim) {
        None => None,
        Some("" | "none") => Some(None),
        Some(text) => {
            let Ok(n) = text.parse::<u32>() else {
                eprintln!("--position {text:?}: expected a number, or `none`");
                return Err(Failure::Usage);
            };
            Some(Some(n))
        }
    };
    let Some(item) = backend.item(&id).map_err(editorial_failure)? else {
        eprintln!("error: no item with id {id}");
        return Err(Failure::Usage);
    };
    let quote_overrides = if args.speaker.is_empty() && args.outlet.is_empty() {
        None
    } else {
        let mut overrides = item.editor.quote_overrides.clone();
        merge_overrides(&mut overrides, &args.speaker, |o, v| o.speaker = v)?;
        merge_overrides(&mut overrides, &args.outlet, |o, v| o.outlet = v)?;
        Some(overrides)
    };
    let changes = EditChanges {
        headline: args.headline.clone().map(Some),
        commentary: args.commentary.clone().map(Some),
        quote_ids: args
            .quotes
            .as_deref()
            .map(|q| q.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()),
        quote_overrides,
        section: args.section.clone().map(Some),
        position,
    };
    if changes.is_empty() {
        eprintln!(
            "nothing to change: give --headline, --commentary, --quotes, --section, --position, --speaker or --outlet"
        );
        return Err(Failure::Usage);
    }
    let revision = args.revision.unwrap_or(item.revision);
    match backend.edit(&id, revision, &changes, &actor) {
        Ok(edited) if edited.revision == item.revision => {
            outln!("{id}: nothing changed (revision {})", edited.revision);
            Ok(())
        }
        Ok(edited) => {
            outln!("{id}: edited (revision {})", edited.revision);
            Ok(())
        }
        Err(error) => {
            let stale_at = if let EditorialError::Stale { found, .. } = &error { Some(*found) } else { None };
            let failure = editorial_failure(error);
            if let Some(found) = stale_at {
                // Nothing is lost: the operator's command line still holds the edit.
                eprintln!("your edit was not applied; see `gleaner show {id}`, then re-run it with --revision {found}");
            }
            Err(failure)
        }
    }
}

/// `review attach|detach ID OTHER...`.
#[derive(Debug, clap::Args)]
pub(super) struct ReviewCiteArgs {
    /// The citing entry.
    #[arg(value_name = "ID")]
    id: String,
    /// The items it cites (or no longer cites).
    #[arg(required = true, value_name = "OTHER")]
    others: Vec<String>,
    #[arg(long = "as", value_name = "NAME")]
    actor: Option<String>,
    #[arg(long)]
    revision: Option<u64>,
}

pub(super) fn cite(backend: &Backend, args: &ReviewCiteArgs, attach: bool) -> CmdResult {
    let actor = cli_actor(args.actor.as_deref())?;
    let id = parse_item_id(&args.id)?;
    let others = args.others.iter().map(|o| parse_item_id(o)).collect::<Result<Vec<_>, _>>()?;
    let Some(item) = backend.item(&id).context("reading item")? else {
        eprintln!("error: no item with id {id}");
        return Err(Failure::Usage);
    };
    let revision = args.revision.unwrap_or(item.revision);
    let edited = backend.cite(&id, revision, &others, &actor, attach).map_err(editorial_failure)?;
    let cited: Vec<String> = edited.editor.cited.iter().map(ToString::to_string).collect();
    outln!(
        "{id}: cites {} (revision {})",
        if cited.is_empty() { "nothing".to_owned() } else { cited.join(", ") },
        edited.revision
    );
    Ok(())
}
