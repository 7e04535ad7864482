//! `gleaner user add|list|passwd|remove|role` and `token create|list|revoke`:
//! review users with their roles, and API tokens. Like every store command
//! they go through the running service when one holds the store.

use std::io::{IsTerminal, Write};

use anyhow::Context;
use clap::Subcommand;

use super::backend::Backend;
use super::items::editorial_failure;
use super::output::{json_line, optional_time, short_time, table};
use super::{CmdResult, Failure};
use crate::model::{Role, Scope};

#[derive(Debug, Subcommand)]
pub(super) enum UserCommand {
    /// Add a review user; the password is read from standard input (first line).
    Add {
        name: String,
        /// `editor` or `admin` (default: admin for the first user, else editor).
        #[arg(long, value_parser = parse_role)]
        role: Option<Role>,
    },
    /// Every review user with their role.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Set a user's password, read from standard input (first line).
    Passwd { name: String },
    /// Remove a user (the last admin stays).
    Remove { name: String },
    /// Set a user's role: `editor` or `admin` (users, tokens, sources).
    Role {
        name: String,
        #[arg(value_parser = parse_role)]
        role: Role,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum TokenCommand {
    /// Create an API token and print it (the only time it is shown).
    Create {
        name: String,
        /// `read` (GET routes), `edit` (review, edit, publish) or `admin` (users, tokens, sources).
        #[arg(long, default_value = "read", value_parser = parse_scope)]
        scope: Scope,
        /// The review user it is for: removing them or lowering their role revokes it.
        #[arg(long, value_name = "NAME")]
        user: Option<String>,
    },
    /// Every token with its scope, creation and last use (never the token).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token: requests with it get 401 from now on.
    Revoke { name: String },
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| format!("expected editor or admin, not {text:?}"))
}

fn parse_scope(text: &str) -> Result<Scope, String> {
    Scope::parse(text).ok_or_else(|| format!("expected read, edit or admin, not {text:?}"))
}

/// The first line of standard input, prompting on a terminal.
fn read_password(name: &str, command: &str) -> Result<String, Failure> {
    let mut stdin = std::io::stdin().lock();
    if stdin.is_terminal() {
        // No echo suppression without a terminal crate: say so rather than surprise.
        eprint!("password for {name} (shown as typed; pipe it in to avoid that): ");
        std::io::stderr().flush().context("writing prompt")?;
    }
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdin, &mut line).context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']);
    if password.is_empty() {
        eprintln!("no password on standard input (e.g. `printf '%s\\n' \"$PASS\" | gleaner user {command} {name}`)");
        return Err(Failure::Usage);
    }
    Ok(password.to_owned())
}

pub(super) fn user(backend: &Backend, what: UserCommand) -> CmdResult {
    match what {
        UserCommand::Add { name, role } => {
            let password = read_password(&name, "add")?;
            let role = backend.add_user(&name, &password, role).map_err(editorial_failure)?;
            outln!("added user {name} ({role})");
        }
        UserCommand::List { json } => {
            let users = backend.users().map_err(editorial_failure)?;
            if json {
                for user in &users {
                    json_line(user)?;
                }
                return Ok(());
            }
            let mut table = table(["user", "role", "created"]);
            for user in &users {
                table.add_row([user.name.clone(), user.role.to_string(), short_time(user.created_at)]);
            }
            outln!("{table}\n{} users", users.len());
        }
        UserCommand::Passwd { name } => {
            let password = read_password(&name, "passwd")?;
            backend.set_password(&name, &password).map_err(editorial_failure)?;
            outln!("password of {name} changed");
        }
        UserCommand::Remove { name } => {
            backend.remove_user(&name).map_err(editorial_failure)?;
            outln!("removed user {name}");
        }
        UserCommand::Role { name, role } => {
            backend.set_role(&name, role).map_err(editorial_failure)?;
            outln!("{name} is now {role}");
        }
    }
    Ok(())
}

pub(super) fn token(backend: &Backend, what: TokenCommand) -> CmdResult {
    match what {
        TokenCommand::Create { name, scope, user } => {
            let created = backend.create_token(&name, scope, user.as_deref()).map_err(editorial_failure)?;
            eprintln!("token {name} ({scope}) created; it is shown only now, so keep it somewhere safe:");
            outln!("{}", created.token);
        }
        TokenCommand::List { json } => {
            let tokens = backend.tokens().map_err(editorial_failure)?;
            if json {
                for token in &tokens {
                    json_line(token)?;
                }
                return Ok(());
            }
            let mut table = table(["token", "scope", "user", "created", "last used"]);
            for token in &tokens {
                table.add_row([
                    token.name.clone(),
                    token.scope.to_string(),
                    token.owner.clone().unwrap_or_else(|| "-".to_owned()),
                    short_time(token.created_at),
                    optional_time(token.last_used),
                ]);
            }
            outln!("{table}\n{} tokens", tokens.len());
        }
        TokenCommand::Revoke { name } => {
            backend.revoke_token(&name).map_err(editorial_failure)?;
            outln!("revoked token {name}");
        }
    }
    Ok(())
}
