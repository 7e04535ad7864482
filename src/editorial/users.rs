//! Password hashing for review users: argon2id (RFC 9106) PHC strings.
//!
//! Only the hash is ever stored; the salt is fresh per user from the OS RNG,
//! and the parameters travel inside the PHC string, so raising them later
//! leaves old hashes verifiable.

use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Shortest accepted password (NIST SP 800-63B's floor for user-chosen secrets).
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest accepted user name.
pub const MAX_NAME_CHARS: usize = 64;

/// argon2id with the `argon2` crate's defaults (19 MiB, 2 passes, 1 lane:
/// OWASP's recommended minimum), spelled out so a crate upgrade cannot
/// silently change what new hashes cost.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string of `password` with a fresh salt.
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    hasher().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// Whether `password` matches the stored `phc` string; a malformed stored
/// hash never matches (and is reported by the caller as a store problem).
pub fn verify_password(password: &str, phc: &str) -> Result<bool, String> {
    let parsed = PasswordHash::new(phc).map_err(|e| e.to_string())?;
    Ok(hasher().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// Spends as long as a real check on an unknown user name, so response
/// times do not tell an attacker which names exist.
pub fn verify_against_dummy(password: &str) {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    if let Some(phc) = DUMMY.get_or_init(|| hash_password("not a real password").ok()) {
        let _ = verify_password(password, phc);
    }
}

/// Why a user name is unusable, if it is.
pub fn name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("user name is empty".to_owned());
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Some(format!("user name is longer than {MAX_NAME_CHARS} characters"));
    }
    if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some(format!("user name {name:?} contains spaces or control characters"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let one = hash_password("correct horse").expect("hash");
        let two = hash_password("correct horse").expect("hash");
        assert!(one.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{one}");
        assert_ne!(one, two, "fresh salt each time");
        assert_eq!(verify_password("correct horse", &one), Ok(true));
        assert_eq!(verify_password("wrong horse", &one), Ok(false));
        assert!(verify_password("x", "not a phc string").is_err());
    }

    #[test]
    fn names_are_one_printable_word() {
        assert!(name_problem("sara").is_none());
        assert!(name_problem("").is_some());
        assert!(name_problem("sara k").is_some());
    }
}
