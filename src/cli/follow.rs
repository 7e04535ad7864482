//! `gleaner follow speaker ID | query "…"`, `gleaner follow --list` and
//! `gleaner unfollow ID`: editors' watchlists (issue 16.5), here or through
//! the running service. Matches show in the queue's Followed tab.

use reqwest::Method;

use super::CmdResult;
use super::backend::Backend;
use super::items::{cli_actor, editorial_failure};
use super::output::{json_line, short_time, table, truncate};
use super::remote::encode;
use crate::editorial::EditorialError;
use crate::model::{Watch, WatchList, WatchTarget};
use crate::web::api::wire::FollowBody;

/// What `gleaner follow` follows.
#[derive(Debug, clap::Subcommand)]
pub enum FollowCommand {
    /// Follow a speaker (an id from `gleaner speakers`, or a name): their new quotes.
    Speaker {
        id: String,
        #[arg(long, value_name = "NAME")]
        editor: Option<String>,
        /// The `[[webhook]]` name told of each new match (event `quote.followed`).
        #[arg(long, value_name = "TARGET")]
        notify: Option<String>,
    },
    /// Follow a query in the search syntax (`gleaner search`): new matching items.
    Query {
        query: String,
        #[arg(long, value_name = "NAME")]
        editor: Option<String>,
        #[arg(long, value_name = "TARGET")]
        notify: Option<String>,
    },
}

impl Backend {
    fn follow(&self, editor: &str, target: WatchTarget, notify: Option<String>) -> Result<Watch, EditorialError> {
        match self {
            Self::Local(app) => app.editorial.follow(editor, target, notify.as_deref(), chrono::Utc::now()),
            Self::Remote { remote, .. } => {
                let (kind, target) = match target {
                    WatchTarget::Speaker { id } => ("speaker", id),
                    WatchTarget::Query { query } => ("query", query),
                };
                let body = FollowBody { kind: kind.to_owned(), target, editor: Some(editor.to_owned()), notify };
                remote.call(Method::POST, "/api/v1/watches", Some(&body))
            }
        }
    }

    fn watchlist(&self, editor: &str) -> Result<WatchList, EditorialError> {
        match self {
            Self::Local(app) => app.editorial.watchlist(editor),
            Self::Remote { remote, .. } => remote.get(&format!("/api/v1/watches?editor={}", encode(editor))),
        }
    }

    fn unfollow(&self, editor: Option<&str>, id: &str) -> Result<Watch, EditorialError> {
        match self {
            Self::Local(app) => app.editorial.unfollow(editor, id),
            Self::Remote { remote, .. } => {
                let editor = editor.map(|e| format!("?editor={}", encode(e))).unwrap_or_default();
                remote.call(Method::DELETE, &format!("/api/v1/watches/{}{editor}", encode(id)), None::<&()>)
            }
        }
    }
}

fn print_watch(watch: &Watch, json: bool) -> CmdResult {
    if json {
        return json_line(watch);
    }
    outln!("{}\t{}", watch.id, watch.target.describe());
    Ok(())
}

/// `gleaner follow speaker|query …`: prints the watch's id and what it follows.
pub(super) fn follow(backend: &Backend, what: FollowCommand, json: bool) -> CmdResult {
    let (target, editor, notify) = match what {
        FollowCommand::Speaker { id, editor, notify } => (WatchTarget::Speaker { id }, editor, notify),
        FollowCommand::Query { query, editor, notify } => (WatchTarget::Query { query }, editor, notify),
    };
    let editor = cli_actor(editor.as_deref())?;
    let watch = backend.follow(&editor, target, notify).map_err(editorial_failure)?;
    print_watch(&watch, json)
}

/// `gleaner follow --list`: the editor's watches, oldest first.
pub(super) fn list(backend: &Backend, editor: Option<&str>, json: bool) -> CmdResult {
    let editor = cli_actor(editor)?;
    let list = backend.watchlist(&editor).map_err(editorial_failure)?;
    if json {
        for watch in &list.watches {
            json_line(watch)?;
        }
        return Ok(());
    }
    let mut table = table(["id", "follows", "since", "notify"]);
    for w in &list.watches {
        table.add_row([
            w.id.clone(),
            truncate(&w.target.describe(), 70),
            short_time(w.created_at),
            w.notify.clone().unwrap_or_default(),
        ]);
    }
    outln!("{table}");
    Ok(())
}

/// `gleaner unfollow ID`: from the named editor's list, else whoever's holds it.
pub(super) fn unfollow(backend: &Backend, id: &str, editor: Option<&str>, json: bool) -> CmdResult {
    let watch = backend.unfollow(editor, id).map_err(editorial_failure)?;
    if json {
        return json_line(&watch);
    }
    outln!("unfollowed {}\t{}", watch.id, watch.target.describe());
    Ok(())
}
