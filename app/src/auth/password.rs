//! Password rules (DESIGN §5) and, on the server, argon2id hashing off the async threads.
//!
//! Rules follow NIST SP 800-63B: 8–128 characters counted after Unicode NFKC normalization,
//! any characters but control characters, no composition rules, and a refusal with a reason
//! for common or context-derived passwords.

use serde::{Deserialize, Serialize};

pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Why a new password is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PasswordProblem {
    TooShort,
    TooLong,
    ControlCharacter,
    Common,
    ContainsEmail,
}

impl PasswordProblem {
    pub fn message(self) -> String {
        match self {
            PasswordProblem::TooShort => {
                format!("Use at least {MIN_PASSWORD_CHARS} characters.")
            }
            PasswordProblem::TooLong => format!("Use at most {MAX_PASSWORD_CHARS} characters."),
            PasswordProblem::ControlCharacter => {
                "Passwords cannot contain control characters such as tabs or line breaks.".into()
            }
            PasswordProblem::Common => {
                "This password is one of the most commonly used, so it is easy to guess. Choose another.".into()
            }
            PasswordProblem::ContainsEmail => "Your password must not contain your email address.".into(),
        }
    }
}

/// The rules that need no word list; the browser checks these before sending.
pub fn check_shape(password: &str, email: &str) -> Result<(), PasswordProblem> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(PasswordProblem::TooShort);
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(PasswordProblem::TooLong);
    }
    if password.chars().any(char::is_control) {
        return Err(PasswordProblem::ControlCharacter);
    }
    let email = email.trim().to_lowercase();
    if !email.is_empty() && password.to_lowercase().contains(&email) {
        return Err(PasswordProblem::ContainsEmail);
    }
    Ok(())
}

#[cfg(feature = "ssr")]
pub use ssr::*;

#[cfg(feature = "ssr")]
mod ssr {
    use super::*;
    use crate::error::{AppError, Result};
    use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
    use argon2::{Algorithm, Argon2, Params, Version};
    use std::collections::HashSet;
    use std::sync::{Arc, LazyLock};
    use tokio::sync::{OnceCell, Semaphore};
    use unicode_normalization::UnicodeNormalization;

    static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
        include_str!("common-passwords.txt").lines().filter(|line| !line.starts_with('#') && !line.is_empty()).collect()
    });

    /// The form a password is checked and hashed in: Unicode NFKC, so the same password
    /// typed on different keyboards (composed or decomposed accents) is the same password.
    pub fn normalize(password: &str) -> String {
        password.nfkc().collect()
    }

    /// Whether `text` (lower-cased) is on the common-password list.
    pub fn is_common(text: &str) -> bool {
        COMMON.contains(normalize(text).to_lowercase().as_str())
    }

    /// Every rule for a new password, the word list included. Takes the raw input.
    pub fn check_new_password(password: &str, email: &str) -> Result<(), PasswordProblem> {
        let normalized = normalize(password);
        check_shape(&normalized, email)?;
        if is_common(&normalized) {
            return Err(PasswordProblem::Common);
        }
        Ok(())
    }

    /// argon2id with the OWASP parameters: m = 19 MiB, t = 2, p = 1.
    fn argon2() -> Argon2<'static> {
        // The parameters are constants inside argon2's accepted ranges.
        let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    /// Hashes and verifies passwords on blocking threads, at most `limit` at once, so a
    /// sign-in storm queues instead of starving the async runtime or exhausting memory
    /// (each hash holds 19 MiB).
    #[derive(Debug)]
    pub struct PasswordHasher {
        permits: Arc<Semaphore>,
        dummy: OnceCell<String>,
    }

    impl PasswordHasher {
        pub fn new(limit: usize) -> PasswordHasher {
            PasswordHasher { permits: Arc::new(Semaphore::new(limit.max(1))), dummy: OnceCell::new() }
        }

        /// The PHC string of the normalized password.
        pub async fn hash(&self, password: &str) -> Result<String> {
            let password = normalize(password);
            self.blocking(move || {
                let salt = SaltString::generate(&mut rand::rngs::OsRng);
                argon2().hash_password(password.as_bytes(), &salt).map(|hash| hash.to_string()).map_err(|error| {
                    tracing::error!(%error, "password hashing failed");
                    AppError::Internal
                })
            })
            .await
        }

        /// Checks `password` against `phc`. With no hash (unknown email) it checks against a
        /// dummy hash, so an unknown email costs the same time as a wrong password.
        pub async fn verify(&self, password: &str, phc: Option<&str>) -> Result<bool> {
            let known = phc.is_some();
            let phc = match phc {
                Some(phc) => phc.to_string(),
                None => self.dummy_hash().await?.clone(),
            };
            let password = normalize(password);
            let matches = self
                .blocking(move || {
                    let parsed = PasswordHash::new(&phc).map_err(|error| {
                        tracing::error!(%error, "stored password hash is unreadable");
                        AppError::Internal
                    })?;
                    Ok(argon2().verify_password(password.as_bytes(), &parsed).is_ok())
                })
                .await?;
            Ok(known && matches)
        }

        async fn dummy_hash(&self) -> Result<&String> {
            self.dummy.get_or_try_init(|| self.hash("gatehouse-dummy-password-for-timing")).await
        }

        async fn blocking<T: Send + 'static>(&self, work: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
            let _permit = self.permits.acquire().await.map_err(|_| AppError::Internal)?;
            tokio::task::spawn_blocking(work).await.map_err(|error| {
                tracing::error!(%error, "password hashing task failed");
                AppError::Internal
            })?
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_counted_in_characters() {
        assert_eq!(check_shape("short", ""), Err(PasswordProblem::TooShort));
        // Eight characters, sixteen bytes: allowed.
        assert_eq!(check_shape("пароль12", ""), Ok(()));
        assert_eq!(check_shape("ééééééé", ""), Err(PasswordProblem::TooShort));
        assert_eq!(check_shape(&"a".repeat(128), ""), Ok(()));
        assert_eq!(check_shape(&"a".repeat(129), ""), Err(PasswordProblem::TooLong));
        assert_eq!(check_shape(&"🔒".repeat(128), ""), Ok(()));
    }

    #[test]
    fn no_composition_rules_but_no_control_characters() {
        assert_eq!(check_shape("all lowercase words here", ""), Ok(()));
        assert_eq!(check_shape("tab\tinside pass", ""), Err(PasswordProblem::ControlCharacter));
        assert_eq!(check_shape("nul\0inside pass", ""), Err(PasswordProblem::ControlCharacter));
    }

    #[test]
    fn email_inside_password_is_refused() {
        assert_eq!(check_shape("Ann@Example.test!!", "ann@example.test"), Err(PasswordProblem::ContainsEmail));
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn common_passwords_are_refused_with_a_reason() {
        assert_eq!(check_new_password("password", ""), Err(PasswordProblem::Common));
        assert_eq!(check_new_password("PassWord1", ""), Err(PasswordProblem::Common));
        assert_eq!(check_new_password("iloveyou", ""), Err(PasswordProblem::Common));
        assert_eq!(check_new_password("correct-horse-battery-staple", ""), Ok(()));
        assert!(PasswordProblem::Common.message().contains("commonly used"));
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn normalization_makes_equivalent_input_equal() {
        // "é" precomposed vs "e" + combining acute accent.
        assert_eq!(normalize("caf\u{e9}-latte-2024"), normalize("cafe\u{301}-latte-2024"));
    }

    #[cfg(feature = "ssr")]
    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let hasher = PasswordHasher::new(2);
        let phc = hasher.hash("correct-horse-battery-staple").await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(hasher.verify("correct-horse-battery-staple", Some(&phc)).await.unwrap());
        assert!(!hasher.verify("correct-horse-battery-stapler", Some(&phc)).await.unwrap());
        // Unknown account: still runs a full verification, and never succeeds.
        assert!(!hasher.verify("gatehouse-dummy-password-for-timing", None).await.unwrap());
        // Composed and decomposed forms of the same password verify alike.
        let phc = hasher.hash("caf\u{e9}-latte-2024").await.unwrap();
        assert!(hasher.verify("cafe\u{301}-latte-2024", Some(&phc)).await.unwrap());
    }
}
