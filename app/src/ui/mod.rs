//! Shared UI: the session context, the page frame and its gate, and the status pages.

mod forms;
mod gate;
mod islands;
mod layout;
mod session;
mod status;

pub use forms::{DoneNote, ErrorAlert, FormAction, PostForm, Submitted, SuccessNote, field_error, form_action};
pub use gate::{Loaded, Page, WhenAllowed, allowed, gated};
pub use islands::HydrationMarker;
pub use session::{CurrentSession, SessionCtx, current_session, provide_session, use_session};
pub use status::{AccessDenied, ErrorPanel, NotFound};

/// Percent-encodes a path for use as a query value (`/login?next=…`).
pub fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_values_are_encoded() {
        assert_eq!(super::encode_query_value("/settings/team?x=1&y"), "/settings/team%3Fx%3D1%26y");
    }
}
