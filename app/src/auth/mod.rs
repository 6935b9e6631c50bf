//! Authentication (DESIGN §5): sign-up, sign-in, sign-out, sessions, passwords and login
//! throttling. MFA plugs into the sign-in flow as a second step.

pub mod api;
pub mod components;
pub mod password;
pub mod session;
pub mod throttle;

#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "ssr")]
pub use password::PasswordHasher;
pub use password::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, PasswordProblem};
#[cfg(feature = "ssr")]
pub use session::{challenge_token_from, session_token_from};

use crate::error::AppError;

/// The longest email address (RFC 5321 path limit).
pub const MAX_EMAIL_CHARS: usize = 254;

/// A trimmed, lower-cased, syntactically valid email address.
pub fn validate_email(raw: &str) -> Result<String, AppError> {
    let email = raw.trim().to_lowercase();
    let invalid = || AppError::invalid("email", "Enter a valid email address, like name@example.com.");
    if email.is_empty() || email.chars().count() > MAX_EMAIL_CHARS {
        return Err(invalid());
    }
    let (local, domain) = email.rsplit_once('@').ok_or_else(invalid)?;
    let plausible = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if !plausible || !is_rfc_email(&email) {
        return Err(invalid());
    }
    Ok(email)
}

#[cfg(feature = "ssr")]
fn is_rfc_email(email: &str) -> bool {
    email_address::EmailAddress::is_valid(email)
}

// The browser only pre-checks; the server's full check decides.
#[cfg(not(feature = "ssr"))]
fn is_rfc_email(_email: &str) -> bool {
    true
}

/// A person's display name: trimmed, 1–100 characters, no control characters.
pub fn validate_person_name(raw: &str) -> Result<String, AppError> {
    let name = raw.trim();
    let chars = name.chars().count();
    if chars == 0 {
        return Err(AppError::invalid("name", "Enter your name."));
    }
    if chars > 100 || name.chars().any(char::is_control) {
        return Err(AppError::invalid("name", "Use at most 100 characters, without control characters."));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(validate_email("  Owner@Acme.TEST ").unwrap(), "owner@acme.test");
        for bad in [
            "",
            "owner",
            "owner@",
            "@acme.test",
            "owner@acme",
            "a b@acme.test",
            "owner@.test",
            "x' OR '1'='1",
            "owner@acme\n.test",
        ] {
            assert_eq!(validate_email(bad).unwrap_err().field(), Some("email"), "{bad:?}");
        }
        let long = format!("{}@acme.test", "a".repeat(250));
        assert!(validate_email(&long).is_err());
    }

    #[test]
    fn names_are_bounded() {
        assert_eq!(validate_person_name(" Ada Lovelace ").unwrap(), "Ada Lovelace");
        assert!(validate_person_name("   ").is_err());
        assert!(validate_person_name(&"x".repeat(101)).is_err());
        assert_eq!(validate_person_name("Zoë Ñúñez 山田").unwrap(), "Zoë Ñúñez 山田");
    }
}
