//! The router: Leptos pages and server functions (`/api/…`), static files, the health
//! check, and the middleware stack every request passes.

use crate::middleware;
use app::state::AppState;
use app::{App, shell};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use leptos::prelude::*;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use std::sync::OnceLock;

/// Builds the whole application for `state`.
pub fn router(state: AppState) -> Router {
    let routes = page_routes();
    let page_state = state.clone();
    let fallback_state = state.clone();
    let options = state.leptos_options.clone();
    // The wasm, JS and CSS bundles: the brotli or gzip copy made at build time when the
    // browser takes it (`cargo leptos build --release --precompress`), conditional requests
    // answered with 304 (see `middleware::security_headers` for their cache policy). The
    // Leptos fallback below would render a page for anything but a 200.
    let pkg = format!("{}/{}", options.site_root, options.site_pkg_dir);
    let bundles = tower_http::services::ServeDir::new(pkg).precompressed_br().precompressed_gzip();
    Router::new()
        .route("/healthz", get(health))
        .nest_service(&format!("/{}", options.site_pkg_dir), bundles)
        .route(app::audit::api::EXPORT_PATH, post(crate::export::audit_csv))
        .route(app::audit::api::CHECKPOINT_PATH, post(crate::export::audit_checkpoint))
        .route(app::finance::api::EXPORT_PATH, post(crate::export::invoices_csv))
        .route(app::analytics::api::EXPORT_PATH, post(crate::export::analytics_file))
        .route(app::analytics::api::IMPORT_PATH, post(crate::import::orders_csv))
        .merge(crate::v1::router(state.clone()))
        .route("/docs/api", get(crate::v1::api_docs_page))
        .leptos_routes_with_context(
            &state,
            routes,
            // Every request (page or server function) gets its own memo of the caller's access
            // and reads through its own connection (`middleware::request_connection`).
            move || {
                provide_context(page_state.clone());
                app::access::provide_request_memo();
                app::db::RequestConn::provide();
            },
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            move || {
                provide_context(fallback_state.clone());
                app::access::provide_request_memo();
                app::db::RequestConn::provide();
            },
            shell,
        ))
        // Layers run outside-in in the reverse of this order: the last one added sees the
        // request first.
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::request_connection))
        .layer(axum::middleware::from_fn(middleware::server_fn_error_status))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::same_origin_writes))
        .layer(axum::middleware::from_fn(middleware::limit_body))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::security_headers))
        .layer(crate::telemetry::http_trace_layer())
        .with_state(state)
}

/// Removes the brotli and gzip copies in `dir` that are older than the file they compress:
/// a later build without `--precompress` leaves the previous build's copies behind, and
/// browsers that take them would get the old bundle beside the new pages. Returns how many.
pub fn drop_stale_copies(dir: &std::path::Path) -> std::io::Result<usize> {
    let mut dropped = 0;
    for entry in std::fs::read_dir(dir)? {
        let copy = entry?.path();
        let Some(original) = ["br", "gz"]
            .iter()
            .find(|ext| copy.extension().is_some_and(|e| e == **ext))
            .map(|_| copy.with_extension(""))
        else {
            continue;
        };
        let modified = |path: &std::path::Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
        let stale = match (modified(&copy), modified(&original)) {
            (Some(copy), Some(original)) => copy < original,
            // A copy of nothing would be served for a file that is not there.
            (_, None) => true,
            (None, Some(_)) => false,
        };
        if stale {
            std::fs::remove_file(&copy)?;
            dropped += 1;
        }
    }
    Ok(dropped)
}

/// The page routes, found once per process. Finding them renders the app with every resource
/// load suppressed through a process-wide flag (leptos_server's `SuppressResourceLoad`): a
/// page rendered by another router at that moment (the tests build one per test, in
/// parallel) would wait forever on a resource that never loads (leptos-rs/leptos#4773).
fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// `GET /healthz`: 200 when the database answers, 503 otherwise (for load balancers).
async fn health(State(state): State<AppState>) -> StatusCode {
    let answered = async { sqlx::query_scalar::<_, i64>("SELECT 1").fetch_one(&mut *state.db.conn().await?).await };
    match answered.await {
        Ok(_) => StatusCode::OK,
        Err(error) => {
            tracing::error!(%error, "health check: database unreachable");
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}
