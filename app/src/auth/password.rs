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
    use argon2::password_hash::{Output, ParamsString, PasswordHash, Salt, SaltString};
    use argon2::{Algorithm, Argon2, Block, Params, Version};
    use std::collections::HashSet;
    use std::sync::{Arc, LazyLock, Mutex};
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

    /// argon2id's memory cost (KiB = blocks), time cost and lanes: OWASP's m = 19 MiB, t = 2,
    /// p = 1.
    const M_COST: u32 = 19 * 1024;
    const T_COST: u32 = 2;
    const P_COST: u32 = 1;

    fn argon2_with(params: Params) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    fn owasp_params() -> Params {
        // The parameters are constants inside argon2's accepted ranges.
        Params::new(M_COST, T_COST, P_COST, None).unwrap_or_default()
    }

    /// One hash's working memory (19 MiB), kept for the next hash instead of being freed.
    type Memory = Vec<Block>;

    /// Hashes and verifies passwords on blocking threads, at most `limit` at once, so a
    /// sign-in storm queues instead of starving the async runtime or exhausting memory.
    /// Each hash needs 19 MiB: a fixed set of `limit` buffers is reused, so a storm costs
    /// `limit × 19 MiB` however many threads run it (freed buffers of that size would stay
    /// in each thread's allocator arena, and the process would grow with the thread pool).
    #[derive(Debug)]
    pub struct PasswordHasher {
        permits: Arc<Semaphore>,
        limit: usize,
        buffers: Arc<Mutex<Vec<Memory>>>,
        dummy: OnceCell<String>,
    }

    fn internal(what: &'static str) -> impl FnOnce(argon2::Error) -> AppError {
        move |error| {
            tracing::error!(%error, what, "password hashing failed");
            AppError::Internal
        }
    }

    impl PasswordHasher {
        pub fn new(limit: usize) -> PasswordHasher {
            PasswordHasher {
                permits: Arc::new(Semaphore::new(limit.max(1))),
                limit: limit.max(1),
                buffers: Arc::new(Mutex::new(Vec::new())),
                dummy: OnceCell::new(),
            }
        }

        /// The PHC string of the normalized password.
        pub async fn hash(&self, password: &str) -> Result<String> {
            let password = normalize(password);
            self.blocking(move |memory| {
                let salt = SaltString::generate(&mut rand::rngs::OsRng);
                let mut salt_bytes = [0u8; Salt::RECOMMENDED_LENGTH];
                let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(|_| AppError::Internal)?;
                let params = owasp_params();
                let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
                argon2_with(params.clone())
                    .hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut out, memory)
                    .map_err(internal("hash"))?;
                let output = Output::new(&out).map_err(|_| AppError::Internal)?;
                let phc = PasswordHash {
                    algorithm: argon2::ARGON2ID_IDENT,
                    version: Some(Version::V0x13.into()),
                    params: ParamsString::try_from(&params).map_err(|_| AppError::Internal)?,
                    salt: Some(salt.as_salt()),
                    hash: Some(output),
                };
                Ok(phc.to_string())
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
                .blocking(move |memory| {
                    let unreadable = || {
                        tracing::error!("stored password hash is unreadable");
                        AppError::Internal
                    };
                    let parsed = PasswordHash::new(&phc).map_err(|_| unreadable())?;
                    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else { return Err(unreadable()) };
                    let algorithm = Algorithm::try_from(parsed.algorithm).map_err(|_| unreadable())?;
                    let version = parsed.version.map(Version::try_from).transpose().map_err(|_| unreadable())?;
                    let params = Params::try_from(&parsed).map_err(|_| unreadable())?;
                    let mut salt_bytes = [0u8; Salt::MAX_LENGTH];
                    let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(|_| unreadable())?;
                    let mut out = vec![0u8; expected.len()];
                    let argon2 = Argon2::new(algorithm, version.unwrap_or_default(), params.clone());
                    // A stored hash with more memory than ours (older parameters) gets its own.
                    let mut larger;
                    let memory = if params.block_count() > memory.len() {
                        larger = vec![Block::default(); params.block_count()];
                        &mut larger
                    } else {
                        memory
                    };
                    argon2
                        .hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut out, memory)
                        .map_err(internal("verify"))?;
                    // `Output`'s equality is constant-time.
                    Ok(Output::new(&out).is_ok_and(|computed| computed == expected))
                })
                .await?;
            Ok(known && matches)
        }

        /// How many hashing buffers exist (tests: never more than the limit).
        #[cfg(test)]
        pub(crate) fn buffers_made(&self) -> usize {
            self.buffers.lock().map(|free| free.len()).unwrap_or_default()
        }

        async fn dummy_hash(&self) -> Result<&String> {
            self.dummy.get_or_try_init(|| self.hash("gatehouse-dummy-password-for-timing")).await
        }

        /// Runs `work` on a blocking thread with one of the buffers, once a permit is free.
        /// The permit travels with the work: a caller that goes away (a dropped connection)
        /// does not free its slot while its hash still runs.
        async fn blocking<T: Send + 'static>(
            &self,
            work: impl FnOnce(&mut [Block]) -> Result<T> + Send + 'static,
        ) -> Result<T> {
            let permit = self.permits.clone().acquire_owned().await.map_err(|_| AppError::Internal)?;
            let buffers = self.buffers.clone();
            let limit = self.limit;
            tokio::task::spawn_blocking(move || {
                let _permit = permit;
                // At most `limit` buffers ever exist: one per permit.
                let taken = buffers.lock().ok().and_then(|mut free| free.pop());
                let mut memory = taken.unwrap_or_else(|| vec![Block::default(); owasp_params().block_count()]);
                let result = work(&mut memory);
                if let Ok(mut free) = buffers.lock()
                    && free.len() < limit
                {
                    free.push(memory);
                }
                result
            })
            .await
            .map_err(|error| {
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

    #[cfg(feature = "ssr")]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hashes_made_elsewhere_verify_and_a_storm_reuses_the_same_buffers() {
        use argon2::password_hash::{PasswordHasher as _, SaltString};
        // A hash made by the argon2 crate's own API (as older Gatehouse versions stored them).
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let params = argon2::Params::new(19 * 1024, 2, 1, None).unwrap();
        let reference = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
            .hash_password(b"a reference passphrase", &salt)
            .unwrap()
            .to_string();
        let hasher = std::sync::Arc::new(PasswordHasher::new(2));
        assert!(hasher.verify("a reference passphrase", Some(&reference)).await.unwrap());
        assert!(!hasher.verify("another passphrase", Some(&reference)).await.unwrap());
        // Sixteen at once on two permits: never more than two 19 MiB buffers.
        let mut storm = tokio::task::JoinSet::new();
        for n in 0..16 {
            let hasher = hasher.clone();
            storm.spawn(async move { hasher.hash(&format!("storm passphrase {n}")).await.unwrap() });
        }
        let hashes = storm.join_all().await;
        assert_eq!(hashes.len(), 16);
        assert_eq!(hasher.buffers_made(), 2);
    }
}
