//! Two-factor authentication (DESIGN §5): TOTP enrollment and sign-in, recovery codes, the
//! analytics step-up (TOTP, PIN or emailed code) and its lockout.

pub mod api;
pub mod components;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod totp;

use crate::error::AppError;

/// How long a step-up unlock lasts.
pub const STEP_UP_SECS: i64 = 24 * 3600;
/// Failed step-up attempts before step-up locks…
pub const STEP_UP_MAX_FAILURES: i64 = 5;
/// …for this long.
pub const STEP_UP_LOCK_SECS: i64 = 30 * 60;
/// An owner whose MFA sign-in is younger than this needs no step-up.
pub const OWNER_EXEMPT_SECS: i64 = 8 * 3600;
/// A password accepted waits this long for its second factor.
pub const CHALLENGE_SECS: i64 = 5 * 60;
/// Wrong codes one pending sign-in may take before it is dropped.
pub const CHALLENGE_MAX_ATTEMPTS: i64 = 5;
/// An emailed step-up code is good for this long.
pub const EMAIL_CODE_SECS: i64 = 10 * 60;
pub const RECOVERY_CODES: usize = 10;

/// What the person typed as their second factor.
#[derive(Clone, PartialEq, Eq)]
pub enum SecondFactor {
    /// Six digits from the authenticator app.
    Totp(String),
    /// A recovery code, normalized (lower case, no separators).
    Recovery(String),
}

// Codes are credentials: never printed.
impl std::fmt::Debug for SecondFactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SecondFactor::Totp(_) => "Totp(<redacted>)",
            SecondFactor::Recovery(_) => "Recovery(<redacted>)",
        })
    }
}

/// How a session unlocks step-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepUpMethod {
    /// A code from the authenticator app.
    Totp,
    /// The analytics PIN.
    Pin,
    /// A code sent by email.
    Email,
}

impl StepUpMethod {
    /// `totp`, `pin` or `email`; anything else is a 400 naming the field.
    pub fn parse(text: &str) -> Result<StepUpMethod, AppError> {
        match text {
            "totp" => Ok(StepUpMethod::Totp),
            "pin" => Ok(StepUpMethod::Pin),
            "email" => Ok(StepUpMethod::Email),
            _ => Err(AppError::invalid("method", "Choose the authenticator app, your PIN or an emailed code.")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StepUpMethod::Totp => "totp",
            StepUpMethod::Pin => "pin",
            StepUpMethod::Email => "email",
        }
    }
}

const CODE_HINT: &str = "Enter the 6-digit code from your authenticator app, or one of your recovery codes.";

/// Reads an authentication code or a recovery code; spaces and dashes are ignored.
pub fn parse_second_factor(input: &str) -> Result<SecondFactor, AppError> {
    let compact: String = input.chars().filter(|c| !c.is_whitespace() && *c != '-').collect::<String>().to_lowercase();
    if compact.len() == 6 && compact.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(SecondFactor::Totp(compact));
    }
    if compact.len() == 10 && compact.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Ok(SecondFactor::Recovery(compact));
    }
    Err(AppError::invalid("code", CODE_HINT))
}

/// Reads a 6-digit authenticator code (no recovery codes accepted).
pub fn parse_totp_code(input: &str) -> Result<String, AppError> {
    match parse_second_factor(input) {
        Ok(SecondFactor::Totp(code)) => Ok(code),
        _ => Err(AppError::invalid("code", "Enter the 6-digit code from your authenticator app.")),
    }
}

/// An analytics PIN: 6 to 12 digits, not all the same, not a straight run up or down.
/// (The server also refuses PINs on the common-password list.)
pub fn check_pin_shape(pin: &str) -> Result<(), AppError> {
    let invalid = |m: &str| Err(AppError::invalid("pin", m));
    if !(6..=12).contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return invalid("A PIN is 6 to 12 digits.");
    }
    let digits: Vec<i16> = pin.bytes().map(|b| i16::from(b - b'0')).collect();
    let steps: Vec<i16> = digits.windows(2).map(|w| w[1] - w[0]).collect();
    if steps.iter().all(|s| *s == 0) || steps.iter().all(|s| *s == 1) || steps.iter().all(|s| *s == -1) {
        return invalid("That PIN is too easy to guess: avoid repeated digits and runs like 123456.");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_factors_are_read_leniently_but_strictly_shaped() {
        assert_eq!(parse_second_factor(" 123 456 ").unwrap(), SecondFactor::Totp("123456".into()));
        assert_eq!(parse_second_factor("ABCDE-FGH23").unwrap(), SecondFactor::Recovery("abcdefgh23".into()));
        for bad in ["", "12345", "1234567", "12a456", "abcde-fghi", "' OR 1=1", "１２３４５６"] {
            assert_eq!(parse_second_factor(bad).unwrap_err().field(), Some("code"), "{bad:?}");
        }
        assert!(parse_totp_code("abcde-fgh23").is_err());
        assert!(!format!("{:?}", parse_second_factor("123456").unwrap()).contains("123456"));
    }

    #[test]
    fn pins_are_digits_and_not_trivial() {
        assert!(check_pin_shape("482913").is_ok());
        for bad in ["12345", "1234567890123", "12a456", "111111", "123456", "987654", "3456789"] {
            assert_eq!(check_pin_shape(bad).unwrap_err().field(), Some("pin"), "{bad}");
        }
    }
}
