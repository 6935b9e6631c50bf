//! Organizations (tenants, DESIGN §2): creation with an owner, settings (name, IANA
//! timezone, currency), the onboarding gate, and switching the session's active organization.

pub mod api;
pub mod components;
mod currency;
#[cfg(feature = "ssr")]
pub mod server;

pub use currency::{CURRENCIES, Currency, minor_units};

use crate::error::AppError;

pub const DEFAULT_TIMEZONE: &str = "Asia/Kolkata";
pub const DEFAULT_CURRENCY: &str = "INR";
pub const TRIAL_DAYS: i64 = 14;

/// A trimmed organization name of 2–80 characters, without control characters.
pub fn validate_org_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    let chars = name.chars().count();
    if chars < 2 {
        return Err(AppError::invalid("name", "Give the organization a name of at least 2 characters."));
    }
    if chars > 80 {
        return Err(AppError::invalid("name", "Keep the organization name to 80 characters or fewer."));
    }
    if name.chars().any(char::is_control) {
        return Err(AppError::invalid("name", "The name cannot contain control characters."));
    }
    Ok(name.to_string())
}

/// A supported currency code, upper-cased.
pub fn validate_currency(code: &str) -> Result<&'static Currency, AppError> {
    let code = code.trim().to_ascii_uppercase();
    CURRENCIES
        .iter()
        .find(|c| c.code == code)
        .ok_or_else(|| AppError::invalid("currency", "Choose one of the supported currencies."))
}

/// The URL-safe slug of a name: lowercase ASCII letters and digits joined by dashes.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug: String = slug.trim_end_matches('-').chars().take(40).collect();
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() { "org".to_string() } else { slug.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(validate_org_name("  Acme Retail ").unwrap(), "Acme Retail");
        assert_eq!(validate_org_name("A").unwrap_err().field(), Some("name"));
        assert!(validate_org_name(&"x".repeat(81)).is_err());
        assert!(validate_org_name("Acme\u{0}Corp").is_err());
        assert_eq!(validate_org_name("Ünïcødé GmbH").unwrap(), "Ünïcødé GmbH");
    }

    #[test]
    fn slugs_are_url_safe() {
        assert_eq!(slugify("Acme Retail"), "acme-retail");
        assert_eq!(slugify("  Globex, Inc.  "), "globex-inc");
        assert_eq!(slugify("Ünïcødé"), "n-c-d");
        assert_eq!(slugify("日本"), "org");
        assert_eq!(slugify("'; DROP TABLE organizations; --"), "drop-table-organizations");
        assert!(slugify(&"a".repeat(100)).len() <= 40);
    }

    #[test]
    fn currencies_are_checked_against_the_list() {
        assert_eq!(validate_currency("inr").unwrap().code, "INR");
        assert_eq!(validate_currency("EUR").unwrap().minor_units, 2);
        assert_eq!(validate_currency("JPY").unwrap().minor_units, 0);
        assert_eq!(validate_currency("XYZ").unwrap_err().field(), Some("currency"));
    }
}
