//! Reading request input at the boundary, before it goes anywhere near the database: ids,
//! link tokens, free text and form flags. Every server function runs its arguments through
//! these first (DESIGN §11: bad input gets a clear 4xx and changes nothing).

use crate::error::AppError;

/// An id from a request: one of ours is a UUID (`db::new_id`). Anything else cannot name a
/// row, so it answers 404 exactly as an unknown id does (and never reaches a query).
pub fn id(raw: &str) -> Result<String, AppError> {
    uuid::Uuid::try_parse(raw.trim())
        .ok()
        .filter(|id| id.get_version_num() == 4)
        .map(|id| id.hyphenated().to_string())
        .ok_or(AppError::NotFound)
}

/// An optional id: empty means none.
pub fn optional_id(raw: Option<&str>) -> Result<Option<String>, AppError> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        Some(raw) => id(raw).map(Some),
        None => Ok(None),
    }
}

/// A link token (256 random bits, base64url without padding: 43 characters). Anything else
/// is an unknown link: 404.
pub fn token(raw: &str) -> Result<&str, AppError> {
    let token = raw.trim();
    let well_formed = token.len() == 43 && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if well_formed { Ok(token) } else { Err(AppError::NotFound) }
}

/// Free text of `field`: no control characters (line breaks only where `multiline`), at most
/// `max` characters; refused with a 400 naming the field.
pub fn text(field: &str, raw: &str, max: usize, multiline: bool) -> Result<String, AppError> {
    let allowed = |c: char| !c.is_control() || (multiline && matches!(c, '\n' | '\r' | '\t'));
    if !raw.chars().all(allowed) {
        return Err(AppError::invalid(field, "Remove the control characters from this field."));
    }
    if raw.chars().count() > max {
        return Err(AppError::invalid(field, format!("Use at most {max} characters.")));
    }
    Ok(raw.to_string())
}

/// A yes/no form value: exactly `true` or `false`; anything else is a 400 (never "anything
/// else means no").
pub fn flag(field: &str, raw: &str) -> Result<bool, AppError> {
    match raw {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(AppError::invalid(field, "Expected true or false.")),
    }
}

/// A checkbox: absent is unchecked; checked sends `on` (or `true`); anything else is a 400.
pub fn checkbox(field: &str, raw: Option<&str>) -> Result<bool, AppError> {
    match raw {
        None => Ok(false),
        Some("on" | "true") => Ok(true),
        Some(_) => Err(AppError::invalid(field, "Expected a checked box or nothing.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_uuids_and_anything_else_is_not_found() {
        let fresh = crate::db::new_id();
        assert_eq!(id(&fresh).unwrap(), fresh);
        assert_eq!(id(&fresh.to_uppercase()).unwrap(), fresh, "one spelling per id");
        for bad in
            ["", "\0", "no-such-member", "00000000-0000-0000-0000-000000000000", "' OR 1=1 --", &format!("{fresh}\0")]
        {
            assert_eq!(id(bad), Err(AppError::NotFound), "{bad:?}");
        }
        assert_eq!(optional_id(Some("")).unwrap(), None);
        assert_eq!(optional_id(None).unwrap(), None);
    }

    #[test]
    fn tokens_have_one_shape() {
        let (token, _) = crate::auth::session::new_token();
        assert_eq!(self::token(&token).unwrap(), token);
        assert_eq!(self::token("short"), Err(AppError::NotFound));
        assert_eq!(self::token(&format!("{}\0", &token[..42])), Err(AppError::NotFound));
    }

    #[test]
    fn text_refuses_control_characters_and_names_the_field() {
        assert_eq!(text("name", "Acme Retail", 80, false).unwrap(), "Acme Retail");
        assert_eq!(text("name", "a\0b", 80, false).unwrap_err().field(), Some("name"));
        assert_eq!(text("message", "line\nline", 80, false).unwrap_err().field(), Some("message"));
        assert!(text("message", "line\nline", 80, true).is_ok());
        assert_eq!(text("name", &"x".repeat(81), 80, false).unwrap_err().field(), Some("name"));
    }

    #[test]
    fn flags_are_strict() {
        assert!(flag("accept", "true").unwrap());
        assert!(!flag("accept", "false").unwrap());
        for bad in ["", "yes", "True", "1", "no"] {
            assert_eq!(flag("accept", bad).unwrap_err().field(), Some("accept"), "{bad:?}");
        }
        assert!(checkbox("end", Some("on")).unwrap());
        assert!(!checkbox("end", None).unwrap());
        assert_eq!(checkbox("end", Some("off")).unwrap_err().field(), Some("end"));
    }
}
