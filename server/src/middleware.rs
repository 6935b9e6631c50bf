//! Request-wide security policy: same-origin writes (CSRF), body limits, security headers,
//! and HTTP statuses for server-function errors.

use app::config::MAX_BODY_BYTES;
use app::error::{AppError, ErrorBody};
use app::state::AppState;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};

/// Bodies over [`MAX_BODY_BYTES`] are refused with 413: at once when `Content-Length`
/// announces it (nothing is read), otherwise as soon as the stream passes the limit.
/// Server functions read whole bodies anyway, so buffering here costs nothing extra.
pub async fn limit_body(request: Request, next: Next) -> Response {
    let announced =
        request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|len| len > MAX_BODY_BYTES as u64) {
        return AppError::PayloadTooLarge.into_response();
    }
    let (parts, body) = request.into_parts();
    match to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        Err(_) => AppError::PayloadTooLarge.into_response(),
    }
}

/// What the request says about where it came from.
#[derive(Debug, PartialEq, Eq)]
pub enum Provenance {
    SameOrigin,
    CrossOrigin,
    /// Neither `Origin` nor `Referer`: not a browser form or fetch from another site
    /// (browsers always send `Origin` on cross-origin POSTs).
    Unknown,
}

/// Compares `Origin` (or, failing that, `Referer`) with the public origin and the `Host`
/// the request was sent to.
pub fn provenance(headers: &HeaderMap, public_origin: &str) -> Provenance {
    let claimed =
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()).filter(|v| *v != "null").map(str::to_string).or_else(
            || {
                let referer = headers.get(header::REFERER)?.to_str().ok()?;
                let uri: http::Uri = referer.parse().ok()?;
                Some(format!("{}://{}", uri.scheme_str()?, uri.authority()?.as_str()))
            },
        );
    let null_origin = headers.get(header::ORIGIN).is_some_and(|v| v == "null");
    let Some(claimed) = claimed else {
        return if null_origin { Provenance::CrossOrigin } else { Provenance::Unknown };
    };
    let claimed = claimed.to_ascii_lowercase();
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).map(str::to_ascii_lowercase);
    let claimed_authority = claimed.split_once("://").map(|(_, a)| a);
    if claimed == public_origin || (host.is_some() && claimed_authority == host.as_deref()) {
        Provenance::SameOrigin
    } else {
        Provenance::CrossOrigin
    }
}

/// CSRF protection: every state-changing request must come from our own origin. One that
/// names no origin at all is let through only when it carries no session cookie (nothing
/// ambient to abuse); a cross-origin one is refused with 403 and changes nothing.
pub async fn same_origin_writes(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE);
    if !safe {
        let headers = request.headers();
        let refused = match provenance(headers, &state.config.public_origin) {
            Provenance::SameOrigin => false,
            Provenance::CrossOrigin => true,
            Provenance::Unknown => app::auth::session_token_from(headers, &state.config).is_some(),
        };
        if refused {
            tracing::warn!(
                method = %request.method(),
                origin = ?headers.get(header::ORIGIN),
                "refused a state-changing request from another origin"
            );
            return AppError::CrossOrigin.into_response();
        }
    }
    next.run(request).await
}

/// Lends every request one database connection for its reads, given back to the pool when
/// the response is made (see `app::db::RequestConn`).
pub async fn request_connection(State(state): State<AppState>, request: Request, next: Next) -> Response {
    app::db::RequestConn::serve(&state.db, request, next).await
}

/// Leptos answers every server-function error with 500. Our errors carry their status in
/// their JSON body; this puts it on the response, so a denial is a 403, bad input a 400.
pub async fn server_fn_error_status(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key(server_fn::error::SERVER_FN_ERROR_HEADER)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match to_bytes(body, 64 * 1024).await {
        Ok(bytes) => bytes,
        Err(_) => return AppError::Internal.into_response(),
    };
    if let Ok(error) = serde_json::from_slice::<ErrorBody>(&bytes) {
        if let Ok(status) = StatusCode::from_u16(error.status) {
            parts.status = status;
        }
        if let Some(seconds) = error.retry_after {
            parts.headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Security headers on every response; `Cache-Control: no-store` on everything but the
/// static bundles (pages and API answers are per-user). The bundles are kept by the browser
/// but revalidated before each use (`no-cache`, answered 304 while unchanged): a returning
/// browser downloads nothing, and a new build is picked up at once (their names carry no hash).
pub async fn security_headers(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let is_static = request.uri().path().starts_with("/pkg/");
    // Every response that may be a page gets a fresh nonce; the page's scripts carry it.
    let nonce = (!is_static).then(app::CspNonce::new);
    if let Some(nonce) = &nonce {
        request.extensions_mut().insert(nonce.clone());
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let is_html =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"));
    if let (true, Some(nonce)) = (is_html, &nonce)
        && let Ok(policy) = HeaderValue::from_str(&app::page_csp(&nonce.0))
    {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    let set = |headers: &mut HeaderMap, name: HeaderName, value: &'static str| {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::REFERRER_POLICY, "same-origin");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, HeaderName::from_static("permissions-policy"), "camera=(), microphone=(), geolocation=()");
    set(headers, HeaderName::from_static("cross-origin-opener-policy"), "same-origin");
    // Pages have their nonce policy (above); everything else gets the strictest one.
    set(headers, header::CONTENT_SECURITY_POLICY, "default-src 'none'; frame-ancestors 'none'");
    if is_static {
        set(headers, header::CACHE_CONTROL, "no-cache");
        // The same path answers brotli, gzip or plain bytes by the request's Accept-Encoding.
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    } else {
        set(headers, header::CACHE_CONTROL, "no-store");
    }
    if state.config.secure_cookies {
        set(headers, header::STRICT_TRANSPORT_SECURITY, "max-age=31536000; includeSubDomains");
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(name.clone(), value.parse().unwrap());
        }
        map
    }

    const PUBLIC: &str = "http://127.0.0.1:3000";

    #[test]
    fn own_origin_passes() {
        let h = headers(&[(header::ORIGIN, "http://127.0.0.1:3000")]);
        assert_eq!(provenance(&h, PUBLIC), Provenance::SameOrigin);
        // Reached under another name of the same server (Origin matches Host).
        let h = headers(&[(header::ORIGIN, "http://localhost:3000"), (header::HOST, "localhost:3000")]);
        assert_eq!(provenance(&h, PUBLIC), Provenance::SameOrigin);
        let h = headers(&[(header::REFERER, "http://127.0.0.1:3000/login?next=/")]);
        assert_eq!(provenance(&h, PUBLIC), Provenance::SameOrigin);
    }

    #[test]
    fn other_origins_are_cross_origin() {
        let h = headers(&[(header::ORIGIN, "https://evil.test"), (header::HOST, "127.0.0.1:3000")]);
        assert_eq!(provenance(&h, PUBLIC), Provenance::CrossOrigin);
        let h = headers(&[(header::ORIGIN, "null")]);
        assert_eq!(provenance(&h, PUBLIC), Provenance::CrossOrigin);
        let h = headers(&[(header::REFERER, "https://evil.test/form.html")]);
        assert_eq!(provenance(&h, PUBLIC), Provenance::CrossOrigin);
        // A look-alike host is not ours.
        let h = headers(&[(header::ORIGIN, "http://127.0.0.1:3000.evil.test"), (header::HOST, "127.0.0.1:3000")]);
        assert_eq!(provenance(&h, PUBLIC), Provenance::CrossOrigin);
    }

    #[test]
    fn no_provenance_is_unknown() {
        assert_eq!(provenance(&HeaderMap::new(), PUBLIC), Provenance::Unknown);
    }
}
