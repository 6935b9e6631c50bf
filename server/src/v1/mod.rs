//! The public JSON API under `/v1`, for programs holding an API key.
//!
//! Every request passes, in order: a key in the query string is refused (400, never logged);
//! the key is read from `Authorization: Bearer` only and checked (401; requests without a
//! good key count against their client address, so guessing is slow); the key's and the
//! organization's per-minute limits are counted in the database (429 with `Retry-After`);
//! the same tenant gate as for people (past due: reads only, 402; suspended: 403); a POST
//! with an `Idempotency-Key` is answered once and replayed after. Each handler then checks
//! its requirement with the same `decide` as the server functions, and every refusal and
//! every change is audited with the key as the actor. Errors are RFC 9457
//! `application/problem+json` with the stable codes of [`AppError`]. The OpenAPI 3.1
//! document is generated from the handlers (utoipa) at `/v1/openapi.json`; `/docs/api`
//! renders it.

mod docs;
mod handlers;

use app::access::{Ctx, Denial, Effect, Requirement, decide, tenant_gate};
use app::api_keys::server::{self as keys, Idempotency};
use app::audit::{self, Outcome};
use app::error::AppError;
use app::ratelimit::{self, Count};
use app::request::RequestMeta;
use app::state::AppState;
use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::{self, HeaderName, HeaderValue};
use http::{Method, StatusCode};
use serde::Serialize;
use std::net::SocketAddr;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub use docs::api_docs_page;

/// The document's frame; the paths come from the handlers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gatehouse API",
        version = "1",
        description = "Orders, customers, invoices and analytics of one organization, for programs. \
            Authenticate with an API key made on /settings/api-keys, sent as `Authorization: Bearer gth_…` \
            (never in the query string). Limits per key and organization come from the plan; every answer \
            carries `RateLimit-Policy` and `RateLimit` headers. Errors are `application/problem+json`."
    ),
    modifiers(&BearerAuth),
    components(schemas(Problem)),
    tags(
        (name = "customers", description = "Customers; personal details need customers.pii.read"),
        (name = "orders", description = "Orders (orders.read, orders.write)"),
        (name = "invoices", description = "Invoices (invoices.read)"),
        (name = "analytics", description = "Daily analytics in the organization's timezone (analytics scopes)"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
        openapi.security = Some(vec![SecurityRequirement::new("bearer", Vec::<String>::new())]);
    }
}

/// The `/v1` routes and their OpenAPI document.
fn split() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi()).merge(handlers::routes()).split_for_parts()
}

/// The OpenAPI document of `/v1`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    split().1
}

/// `/v1`: the API behind its gate, and its document (open to anyone).
pub fn router(state: AppState) -> Router<AppState> {
    let (api, document) = split();
    let json = document.to_pretty_json().unwrap_or_else(|_| "{}".into());
    Router::new()
        .route(
            "/v1/openapi.json",
            axum::routing::get(move || async move { ([(header::CONTENT_TYPE, "application/json")], json) }),
        )
        .merge(api.layer(axum::middleware::from_fn_with_state(state, gate)))
}

/// An RFC 9457 problem: what went wrong, with the stable `code` clients match on.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (`…/problems/<code>`).
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The stable error code (`invalid_input`, `permission_required`, `rate_limited`…).
    pub code: String,
    /// The request field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Seconds to wait, for 429.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

/// An error of the API, answered as a problem.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(error: AppError) -> ApiError {
        ApiError(error)
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> ApiError {
        ApiError(AppError::from(error))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let error = self.0;
        let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let code = match &error {
            AppError::Throttled { .. } => "rate_limited".to_string(),
            other => other.code().to_string(),
        };
        let retry_after = match error {
            AppError::Throttled { retry_after } => Some(retry_after),
            _ => None,
        };
        let problem = Problem {
            kind: format!("https://gatehouse.dev/problems/{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: error.to_string(),
            field: error.field().map(str::to_string),
            code,
            retry_after,
        };
        let mut response = (status, axum::Json(problem)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(seconds) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"gatehouse\""));
        }
        response
    }
}

/// Query parameters whose bad form is answered as a problem (400 naming the parameter).
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str(query)
            .map(ApiQuery)
            .map_err(|e| ApiError(AppError::bad_request(format!("The query could not be read: {e}"))))
    }
}

/// A JSON body whose bad form is answered as a problem (400).
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(ApiError(AppError::bad_request(rejection.body_text()))),
        }
    }
}

/// The caller's context, put there by [`gate`].
pub struct Caller(pub Ctx);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Ctx>().cloned().map(Caller).ok_or(ApiError(AppError::Internal))
    }
}

/// The handler's own check, first line of every handler: `decide` against the key's access;
/// a refusal is audited with the key as the actor and the permission it lacked.
pub async fn permit(cx: &Ctx, requirement: &Requirement, route: &str) -> Result<(), ApiError> {
    match decide(Some(&cx.access), requirement) {
        Ok(()) => Ok(()),
        Err(denial) => {
            refuse(cx, route, denial).await;
            Err(ApiError(AppError::Denied(denial)))
        }
    }
}

/// Records a refusal of the key's request (failing to write it is logged; the answer stays a
/// refusal).
async fn refuse(cx: &Ctx, route: &str, denial: Denial) {
    let permission = match denial {
        Denial::PermissionRequired { permission } => Some(permission.key().to_string()),
        Denial::AnyPermissionRequired { permissions } => Some(permissions.to_keys()),
        _ => None,
    };
    let event = cx
        .event("access.denied", Outcome::Denied)
        .target("endpoint", route)
        .reason(denial.code())
        .metadata(serde_json::json!({ "permission": permission }));
    let result = async {
        let mut tx = cx.state.db.begin().await?;
        audit::record(&mut tx, &event, cx.now).await?;
        tx.commit().await
    }
    .await;
    if let Err(error) = result {
        tracing::error!(%error, route, "could not audit a refused API request");
    }
}

/// Query parameters that carry a credential by name.
const CREDENTIAL_PARAMS: [&str; 6] = ["api_key", "apikey", "key", "token", "access_token", "authorization"];

/// Whether the query string holds something that looks like a key (by name or by form).
fn key_in_query(query: &str) -> bool {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query).map_or(query.contains("gth_"), |pairs| {
        pairs.iter().any(|(name, value)| {
            CREDENTIAL_PARAMS.contains(&name.to_ascii_lowercase().as_str()) || value.contains("gth_")
        })
    })
}

/// Requests a client address may make a minute without a good key (so guessing keys is slow,
/// and these answers carry the limit's headers too).
pub const ANONYMOUS_PER_MINUTE: i64 = 60;

/// The gate in front of every `/v1` handler (see the module's documentation).
async fn gate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let mut meta = RequestMeta::from_headers(request.headers(), peer, &state.config);
    // A key is not a session: nothing here reads the cookie.
    meta.session_token = None;
    let now = app::db::now();
    if request.uri().query().is_some_and(key_in_query) {
        let error =
            AppError::invalid("query", "Send the API key in the Authorization header (Bearer), never in the address.");
        return anonymous(&state, &meta, now, error).await;
    }
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|v| v.trim().to_string());
    let Some(bearer) = bearer else {
        let error = AppError::Unauthenticated {
            code: "api_key_required".into(),
            message: "Send an API key as `Authorization: Bearer gth_…`.".into(),
        };
        return anonymous(&state, &meta, now, error).await;
    };
    let caller = match keys::authenticate(&state.db, &bearer, meta.ip.as_deref(), now).await {
        Ok(caller) => caller,
        Err(error @ AppError::Unauthenticated { .. }) => return anonymous(&state, &meta, now, error).await,
        Err(error) => return ApiError(error).into_response(),
    };
    let cx = caller.into_ctx(state.clone(), meta, now);
    let limits = app::billing::Plan::parse(&cx.org.plan).unwrap_or(app::billing::Plan::Trial).limits();
    let counts = match count(&cx, limits.api_per_minute).await {
        Ok(counts) => counts,
        Err(error) => return ApiError(error).into_response(),
    };
    let mut response = if let Some(retry_after) = ratelimit::retry_after(&counts) {
        ApiError(AppError::Throttled { retry_after }).into_response()
    } else {
        serve(cx, request, next).await
    };
    with_limit_headers(&mut response, &counts);
    response
}

/// `RateLimit-Policy` and `RateLimit` for `counts`.
fn with_limit_headers(response: &mut Response, counts: &[Count]) {
    let headers = response.headers_mut();
    for (name, value) in
        [("ratelimit-policy", ratelimit::policy_header(counts)), ("ratelimit", ratelimit::state_header(counts))]
    {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
}

/// The answer to a request without a good key (`error`), counted against its client
/// address: over [`ANONYMOUS_PER_MINUTE`] it is a 429 instead.
async fn anonymous(state: &AppState, meta: &RequestMeta, now: i64, error: AppError) -> Response {
    let bucket = format!("ip:{}", meta.ip.as_deref().unwrap_or("unknown"));
    let counts = match ratelimit::hit(&state.db, &[(&bucket, "address", ANONYMOUS_PER_MINUTE)], now).await {
        Ok(counts) => counts,
        Err(error) => return ApiError(error).into_response(),
    };
    let mut response = match ratelimit::retry_after(&counts) {
        Some(retry_after) => ApiError(AppError::Throttled { retry_after }).into_response(),
        None => ApiError(error).into_response(),
    };
    with_limit_headers(&mut response, &counts);
    response
}

/// Counts the request against the key's and the organization's limits.
async fn count(cx: &Ctx, per_minute: i64) -> Result<[Count; 2], AppError> {
    let key_id = match &cx.api_key {
        Some(audit::Actor::ApiKey { id, .. }) => id.clone(),
        _ => return Err(AppError::Internal),
    };
    let (key, org) = (format!("key:{key_id}"), format!("org:{}", cx.org_id()));
    let counts = ratelimit::hit(&cx.state.db, &[(&key, "key", per_minute), (&org, "org", per_minute)], cx.now).await?;
    match counts[..] {
        [key, org] => Ok([key, org]),
        _ => Err(AppError::Internal),
    }
}

/// The tenant gate by method, then the handler — once per `Idempotency-Key`.
async fn serve(cx: Ctx, mut request: Request, next: Next) -> Response {
    let route = request.uri().path().to_string();
    let effect = if matches!(*request.method(), Method::GET | Method::HEAD) { Effect::Read } else { Effect::Write };
    if let Err(denial) = tenant_gate(&cx.org, effect) {
        refuse(&cx, &route, denial).await;
        return ApiError(AppError::Denied(denial)).into_response();
    }
    let idempotency_key = request.headers().get("idempotency-key").map(|v| v.to_str().map(str::to_string));
    let key_id = match &cx.api_key {
        Some(audit::Actor::ApiKey { id, .. }) => id.clone(),
        _ => String::new(),
    };
    let db = cx.state.db.clone();
    request.extensions_mut().insert(cx.clone());
    let Some(idempotency_key) = idempotency_key.filter(|_| request.method() == Method::POST) else {
        return next.run(request).await;
    };
    let idempotency_key = match idempotency_key {
        Ok(k) if (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()) => k,
        _ => {
            return ApiError(AppError::invalid(
                "Idempotency-Key",
                "An Idempotency-Key is 1 to 255 visible ASCII characters.",
            ))
            .into_response();
        }
    };
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, app::config::MAX_BODY_BYTES).await else {
        return ApiError(AppError::PayloadTooLarge).into_response();
    };
    let hash = keys::request_hash(parts.method.as_str(), parts.uri.path(), &bytes);
    match keys::reserve(&db, &key_id, &idempotency_key, &hash, cx.now).await {
        Err(error) => ApiError(error).into_response(),
        Ok(Idempotency::Mismatch) => ApiError(AppError::Unprocessable {
            code: "idempotency_key_reused".into(),
            message: "This Idempotency-Key was used for another request.".into(),
        })
        .into_response(),
        Ok(Idempotency::InProgress) => ApiError(AppError::conflict(
            "idempotency_key_in_progress",
            "A request with this Idempotency-Key is still being served; try again shortly.",
        ))
        .into_response(),
        Ok(Idempotency::Replay { status, body }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let content_type = if status.is_success() { "application/json" } else { "application/problem+json" };
            let mut response = (status, [(header::CONTENT_TYPE, content_type)], body).into_response();
            response.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
            response
        }
        Ok(Idempotency::Reserved) => {
            let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
            let status = response.status();
            if status.is_server_error() {
                if let Err(error) = keys::release(&db, &key_id, &idempotency_key).await {
                    tracing::error!(%error, "could not release an idempotency key");
                }
                return response;
            }
            let (parts, body) = response.into_parts();
            let Ok(bytes) = to_bytes(body, 16 * 1024 * 1024).await else {
                return ApiError(AppError::Internal).into_response();
            };
            let text = String::from_utf8_lossy(&bytes);
            if let Err(error) = keys::complete(&db, &key_id, &idempotency_key, status.as_u16(), &text).await {
                tracing::error!(%error, "could not store an idempotent answer");
            }
            Response::from_parts(parts, Body::from(bytes))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_in_the_query_are_recognized() {
        assert!(key_in_query("api_key=abc"));
        assert!(key_in_query("limit=5&Access_Token=x"));
        assert!(key_in_query("q=gth_0123"));
        assert!(key_in_query("%zz=gth_"));
        assert!(!key_in_query("limit=5&after=abc"));
        assert!(!key_in_query(""));
    }
}
