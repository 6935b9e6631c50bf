//! Structured logs. Request spans carry the method and the matched route template, never
//! the raw path or query (they can hold tokens), and never headers or bodies.

use axum::extract::MatchedPath;
use http::Request;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::{DefaultOnResponse, MakeSpan, TraceLayer};
use tracing::{Level, Span};
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber: `RUST_LOG` filters (default `info`), text or JSON, on
/// standard error (standard output is the commands' own: a key printed once, a report).
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_writer(std::io::stderr);
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}

#[derive(Clone, Copy, Debug)]
pub struct RouteSpan;

impl<B> MakeSpan<B> for RouteSpan {
    fn make_span(&mut self, request: &Request<B>) -> Span {
        let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string());
        let route = route.unwrap_or_else(|| {
            // Static bundles are safe to name; any other unmatched path is not logged.
            let path = request.uri().path();
            if path.starts_with("/pkg/") { path.to_string() } else { "<unmatched>".to_string() }
        });
        tracing::info_span!("request", method = %request.method(), route = %route)
    }
}

pub fn http_trace_layer() -> TraceLayer<SharedClassifier<ServerErrorsAsFailures>, RouteSpan, (), DefaultOnResponse> {
    TraceLayer::new_for_http()
        .make_span_with(RouteSpan)
        .on_request(())
        .on_response(DefaultOnResponse::new().level(Level::INFO))
}
