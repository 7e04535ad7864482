//! Accounts: review users with their roles, and API tokens with their scopes.
//!
//! Passwords are argon2id (`users.rs`); API tokens are 256 random bits shown
//! once and stored as their BLAKE3 hash: a token cannot be guessed from a
//! dictionary, so a slow hash would only slow every API request down.

use chrono::{DateTime, Duration, Utc};

use super::users::{self, MIN_PASSWORD_CHARS};
use super::{Editorial, EditorialError};
use crate::model::{ApiToken, Role, Scope, User};

/// Prefix of every API token: tells a reader (and secret scanners) what it is.
pub const TOKEN_PREFIX: &str = "glt_";

/// `last_used` is written at most this often per token.
const LAST_USED_EVERY: Duration = Duration::seconds(60);

/// BLAKE3 of a presented token, hex: the key it is stored under.
pub fn token_hash(token: &str) -> String {
    blake3::hash(token.as_bytes()).to_hex().to_string()
}

/// A fresh token: the prefix and 256 bits from the OS RNG, hex.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    // Without OS randomness no token could be safe; there is no fallback worth having.
    getrandom::fill(&mut bytes).expect("the operating system provides random bytes");
    bytes.iter().fold(String::from(TOKEN_PREFIX), |mut out, b| {
        use std::fmt::Write as _;
        let _ = write!(out, "{b:02x}");
        out
    })
}

impl Editorial {
    /// Adds a review user with an argon2id hash of `password` and `role`;
    /// without one, the first user is an admin (someone must be able to
    /// manage the rest) and later ones editors. Returns the role given.
    pub fn add_user_as(
        &self,
        name: &str,
        password: &str,
        role: Option<Role>,
        now: DateTime<Utc>,
    ) -> Result<Role, EditorialError> {
        if let Some(problem) = users::name_problem(name) {
            return Err(EditorialError::Invalid { message: problem });
        }
        let password_hash = hash_checked(password)?;
        let role = match role {
            Some(role) => role,
            None if self.store.users()?.is_empty() => Role::Admin,
            None => Role::Editor,
        };
        let user = User { name: name.to_owned(), password_hash, created_at: now, role };
        if !self.store.insert_user(&user)? {
            return Err(EditorialError::UserExists { name: name.to_owned() });
        }
        self.store.flush()?;
        Ok(role)
    }

    /// Every review user, by name.
    pub fn users(&self) -> Result<Vec<User>, EditorialError> {
        Ok(self.store.users()?)
    }

    /// One review user.
    pub fn user(&self, name: &str) -> Result<User, EditorialError> {
        self.store.user(name)?.ok_or_else(|| no_such("user", name))
    }

    /// Sets a new password (argon2id, fresh salt). Sessions already open stay
    /// open until they expire or the service restarts.
    pub fn set_password(&self, name: &str, password: &str) -> Result<(), EditorialError> {
        let mut user = self.user(name)?;
        user.password_hash = hash_checked(password)?;
        self.store.put_user(&user)?;
        self.store.flush()?;
        Ok(())
    }

    /// Changes a user's role; the last admin cannot stop being one. A
    /// lower role revokes the user's API tokens (made under the old one);
    /// the review UI ends their sessions at their next request.
    pub fn set_role(&self, name: &str, role: Role) -> Result<User, EditorialError> {
        let mut user = self.user(name)?;
        if user.role == Role::Admin && role != Role::Admin {
            self.keep_an_admin(name)?;
        }
        let lowered = role < user.role;
        user.role = role;
        self.store.put_user(&user)?;
        if lowered {
            self.revoke_tokens_of(name)?;
        }
        self.store.flush()?;
        Ok(user)
    }

    /// Removes a user (their audit entries stay: the trail names people by
    /// name, and history must not change); the last admin cannot be removed.
    pub fn remove_user(&self, name: &str) -> Result<(), EditorialError> {
        let user = self.user(name)?;
        if user.role == Role::Admin {
            self.keep_an_admin(name)?;
        }
        if !self.store.remove_user(name)? {
            return Err(no_such("user", name));
        }
        // Their sessions end at their next request (the UI checks the user each time).
        self.revoke_tokens_of(name)?;
        self.store.flush()?;
        Ok(())
    }

    /// Revokes every API token made for `user`; how many there were. Not flushed.
    fn revoke_tokens_of(&self, user: &str) -> Result<usize, EditorialError> {
        let theirs: Vec<ApiToken> =
            self.store.tokens()?.into_iter().filter(|t| t.owner.as_deref() == Some(user)).collect();
        for token in &theirs {
            self.store.remove_token(&token.hash)?;
        }
        Ok(theirs.len())
    }

    /// Refuses when `name` is the only admin left.
    fn keep_an_admin(&self, name: &str) -> Result<(), EditorialError> {
        let others = self.store.users()?.into_iter().filter(|u| u.role == Role::Admin && u.name != name).count();
        if others == 0 {
            return Err(EditorialError::Invalid {
                message: format!("{name} is the last admin: make another user admin first"),
            });
        }
        Ok(())
    }

    /// Creates an API token; returns it (the only time it is ever shown)
    /// with its record.
    pub fn create_token(
        &self,
        name: &str,
        scope: Scope,
        now: DateTime<Utc>,
    ) -> Result<(String, ApiToken), EditorialError> {
        self.create_token_for(name, scope, None, now)
    }

    /// [`Editorial::create_token`] for review user `owner`, whose removal
    /// or demotion revokes it.
    pub fn create_token_for(
        &self,
        name: &str,
        scope: Scope,
        owner: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(String, ApiToken), EditorialError> {
        if let Some(owner) = owner {
            self.user(owner)?;
        }
        if let Some(problem) = users::name_problem(name) {
            return Err(EditorialError::Invalid { message: problem.replace("user name", "token name") });
        }
        if self.store.tokens()?.iter().any(|t| t.name == name) {
            return Err(EditorialError::Invalid { message: format!("a token named {name:?} already exists") });
        }
        let token = new_token();
        let record = ApiToken {
            name: name.to_owned(),
            hash: token_hash(&token),
            scope,
            created_at: now,
            last_used: None,
            owner: owner.map(str::to_owned),
        };
        self.store.put_token(&record)?;
        self.store.flush()?;
        Ok((token, record))
    }

    /// Every API token (never the tokens themselves), by name.
    pub fn tokens(&self) -> Result<Vec<ApiToken>, EditorialError> {
        let mut tokens = self.store.tokens()?;
        tokens.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(tokens)
    }

    /// Revokes the token named `name`: the next request with it gets 401.
    pub fn revoke_token(&self, name: &str) -> Result<(), EditorialError> {
        let token = self.store.tokens()?.into_iter().find(|t| t.name == name).ok_or_else(|| no_such("token", name))?;
        self.store.remove_token(&token.hash)?;
        self.store.flush()?;
        Ok(())
    }

    /// The stored token that `presented` is, with its use recorded; `None`
    /// for an unknown or revoked one.
    pub fn authenticate_token(&self, presented: &str, now: DateTime<Utc>) -> Result<Option<ApiToken>, EditorialError> {
        let Some(mut token) = self.store.token(&token_hash(presented))? else { return Ok(None) };
        if token.last_used.is_none_or(|at| now - at >= LAST_USED_EVERY) {
            token.last_used = Some(now);
            // Not flushed: a lost last-used time after a crash is harmless.
            self.store.put_token(&token)?;
        }
        Ok(Some(token))
    }
}

fn hash_checked(password: &str) -> Result<String, EditorialError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(EditorialError::Invalid {
            message: format!("password too short: at least {MIN_PASSWORD_CHARS} characters"),
        });
    }
    users::hash_password(password).map_err(|e| EditorialError::Invalid { message: format!("cannot hash: {e}") })
}

fn no_such(what: &'static str, name: &str) -> EditorialError {
    EditorialError::NoSuch { what, name: name.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_prefixed_256_bit_hex_and_hash_stably() {
        let (one, two) = (new_token(), new_token());
        assert!(one.starts_with(TOKEN_PREFIX) && one.len() == TOKEN_PREFIX.len() + 64, "{one}");
        assert_ne!(one, two);
        assert_eq!(token_hash(&one), token_hash(&one));
        assert_ne!(token_hash(&one), token_hash(&two));
        assert_eq!(token_hash(&one).len(), 64);
    }
}
