//! What a server function or page knows about the HTTP request it serves.

use crate::config::Config;
use axum::extract::ConnectInfo;
use http::HeaderMap;
use leptos::prelude::*;
use std::net::{IpAddr, SocketAddr};

/// The longest user agent kept (for the audit log and the session list).
const MAX_USER_AGENT: usize = 512;

/// Client address, user agent and the session cookie's token of the current request.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct RequestMeta {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub session_token: Option<String>,
}

// The token is a credential: never print it.
impl std::fmt::Debug for RequestMeta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestMeta")
            .field("ip", &self.ip)
            .field("user_agent", &self.user_agent)
            .field("session_token", &self.session_token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl RequestMeta {
    /// The meta of the request being served (from the Leptos context).
    pub fn current(config: &Config) -> RequestMeta {
        match use_context::<http::request::Parts>() {
            Some(parts) => RequestMeta::from_headers(
                &parts.headers,
                parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0),
                config,
            ),
            None => RequestMeta::default(),
        }
    }

    pub fn from_headers(headers: &HeaderMap, peer: Option<SocketAddr>, config: &Config) -> RequestMeta {
        let forwarded = forwarded_client(headers, config.trusted_proxies);
        let ip = forwarded.or(peer.map(|p| p.ip())).map(|ip| ip.to_string());
        let user_agent = headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(MAX_USER_AGENT).collect());
        let session_token = crate::auth::session_token_from(headers, config);
        RequestMeta { ip, user_agent, session_token }
    }
}

/// The client address according to the `trusted` proxies in front of us: each appends the
/// address it received the request from, so the client is `trusted` entries from the right of
/// `X-Forwarded-For` (all lines of it, in order). Anything to the left of that is whatever the
/// client sent. Fewer entries than proxies, or an unreadable one: `None` (the peer counts).
fn forwarded_client(headers: &HeaderMap, trusted: usize) -> Option<IpAddr> {
    if trusted == 0 {
        return None;
    }
    // Bytes, not text: whatever the client wrote on the left (even bytes that are not ASCII)
    // must not decide anything; only the entry the proxies vouch for is read.
    let mut entries: Vec<&[u8]> = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        entries.extend(value.as_bytes().split(|b| *b == b','));
    }
    let entry = entries.len().checked_sub(trusted).map(|i| entries[i])?;
    std::str::from_utf8(entry).ok()?.trim().parse().ok()
}

/// What a request does when the caller's access may have changed in it: set once per request
/// by the guard's memo ([`crate::access::provide_request_memo`]), so that a guard later in the
/// same request loads the access again instead of reusing the earlier load.
#[derive(Clone)]
pub struct OnAccessChange(pub std::sync::Arc<dyn Fn() + Send + Sync>);

/// Tells the current request that the caller's access may have changed: called when a write
/// transaction commits (a sign-in, an organization switch, a role change, a step-up all do)
/// and when a session cookie is set. Outside a request it does nothing.
pub fn access_changed() {
    if let Some(OnAccessChange(forget)) = use_context::<OnAccessChange>() {
        forget();
    }
}

/// Appends a header to the response of the current server function or page.
pub fn append_response_header(name: http::HeaderName, value: http::HeaderValue) {
    if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
        options.append_header(name, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(proxies: usize) -> Config {
        crate::config::test_config(&[("GATEHOUSE_TRUSTED_PROXIES", &proxies.to_string())])
    }

    fn ip(forwarded: &[&str], proxies: usize) -> Option<String> {
        let mut headers = HeaderMap::new();
        for value in forwarded {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        let peer = Some("10.0.0.1:5000".parse().unwrap());
        RequestMeta::from_headers(&headers, peer, &config(proxies)).ip
    }

    #[test]
    fn the_client_address_is_counted_from_the_right() {
        // No proxy: the header is the client's own words.
        assert_eq!(ip(&["203.0.113.9"], 0).as_deref(), Some("10.0.0.1"));
        // One proxy appended what it saw; the client's forged entry is to its left.
        assert_eq!(ip(&["6.6.6.6, 203.0.113.9"], 1).as_deref(), Some("203.0.113.9"));
        // Two proxies: the outer one's entry, then the inner one's.
        assert_eq!(ip(&["6.6.6.6, 203.0.113.9, 10.0.0.2"], 2).as_deref(), Some("203.0.113.9"));
        // Several header lines count as one list, in order.
        assert_eq!(ip(&["6.6.6.6", "203.0.113.9, 10.0.0.2"], 2).as_deref(), Some("203.0.113.9"));
        // Bytes that are not text to the left of the vouched entry change nothing.
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", http::HeaderValue::from_bytes(b"\xff\xfe, 203.0.113.9").unwrap());
        let peer = Some("10.0.0.1:5000".parse().unwrap());
        assert_eq!(RequestMeta::from_headers(&headers, peer, &config(1)).ip.as_deref(), Some("203.0.113.9"));
        // Fewer entries than proxies, or garbage where the client should be: the peer.
        assert_eq!(ip(&["203.0.113.9"], 2).as_deref(), Some("10.0.0.1"));
        assert_eq!(ip(&["6.6.6.6, not-an-ip"], 1).as_deref(), Some("10.0.0.1"));
        assert_eq!(ip(&[], 1).as_deref(), Some("10.0.0.1"));
    }

    #[test]
    fn user_agent_is_bounded_and_token_never_printed() {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::USER_AGENT, "x".repeat(2000).parse().unwrap());
        let token = "s3cret-t0ken-value-s3cret-t0ken-value-abcde";
        assert_eq!(token.len(), 43);
        headers.insert(http::header::COOKIE, format!("gh_session={token}").parse().unwrap());
        let meta = RequestMeta::from_headers(&headers, None, &config(0));
        assert_eq!(meta.user_agent.as_ref().map(String::len), Some(MAX_USER_AGENT));
        assert_eq!(meta.session_token.as_deref(), Some(token));
        assert!(!format!("{meta:?}").contains(token));
    }
}
