//! Downloads: `POST /api/audit/export` (the audit log as CSV), `POST /api/audit/checkpoint`
//! (a signed checkpoint of its head, JSON), `POST /api/finance/invoices/export` (invoices as
//! CSV) and `POST /api/analytics/export` (analytics as CSV, JSON or SVG). Plain routes rather
//! than server functions, so a normal form post makes the browser download the answer.

use app::access::authorize;
use app::analytics::api as analytics;
use app::audit::api::{AUDIT_EXPORT, AuditFilter, CHECKPOINT_PATH, EXPORT_PATH};
use app::audit::server::{ParsedFilter, export_csv};
use app::audit::{self, Outcome};
use app::error::AppError;
use app::finance::api as finance;
use app::request::RequestMeta;
use app::state::AppState;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, FromRequest, Request, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, header};
use std::net::SocketAddr;

/// Where a download's request came from, and its form, read as it is (judged after the guard).
async fn read_form<T: serde::de::DeserializeOwned>(
    state: &AppState,
    request: Request,
) -> (RequestMeta, Result<Form<T>, FormRejection>) {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let meta = RequestMeta::from_headers(request.headers(), peer, &state.config);
    (meta, Form::<T>::from_request(request, state).await)
}

pub async fn audit_csv(State(state): State<AppState>, request: Request) -> Response {
    let (meta, form) = read_form::<AuditFilter>(&state, request).await;
    match export(state, meta, form).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn export(
    state: AppState,
    meta: RequestMeta,
    form: Result<Form<AuditFilter>, FormRejection>,
) -> Result<Response, AppError> {
    let cx = authorize(state, meta, EXPORT_PATH, &AUDIT_EXPORT).await?.in_org()?;
    let Form(filter) = form.map_err(|_| AppError::bad_request("The export form could not be read."))?;
    let parsed = ParsedFilter::parse(&filter, &cx.org.timezone)?;
    let mut tx = cx.state.db.begin().await?;
    let (csv, rows) = export_csv(&mut tx, cx.org_id(), &cx.org.timezone, &parsed).await?;
    let event =
        cx.event("audit.export", Outcome::Allowed).metadata(serde_json::json!({ "filter": filter, "rows": rows }));
    audit::record(&mut tx, &event, cx.now).await?;
    tx.commit().await?;
    let filename = format!("gatehouse-audit-{}-{}.csv", cx.org.slug, chrono_date(cx.now));
    Ok(download(csv, "text/csv; charset=utf-8", &filename))
}

fn chrono_date(unix: i64) -> String {
    app::time::format_local(unix, "UTC").chars().take(10).collect()
}

/// A signed checkpoint of the organization's audit chain head (`audit.export`, audited):
/// kept outside Gatehouse, it later proves with `gatehouse verify-audit --checkpoint` that
/// the log still holds everything up to it.
pub async fn audit_checkpoint(State(state): State<AppState>, request: Request) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let meta = RequestMeta::from_headers(request.headers(), peer, &state.config);
    match checkpoint(state, meta).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn checkpoint(state: AppState, meta: RequestMeta) -> Result<Response, AppError> {
    let cx = authorize(state, meta, CHECKPOINT_PATH, &AUDIT_EXPORT).await?.in_org()?;
    let mut tx = cx.state.db.begin().await?;
    // Recorded first, so the checkpoint covers its own download.
    audit::record(&mut tx, &cx.event("audit.checkpoint", Outcome::Allowed), cx.now).await?;
    let signed = app::audit::retention::sign_head(&mut tx, &cx.state.config.secret_key, cx.org_id(), cx.now).await?;
    tx.commit().await?;
    let body = serde_json::to_string_pretty(&signed).map_err(|_| AppError::Internal)?;
    let filename = format!("gatehouse-audit-checkpoint-{}-{}.json", cx.org.slug, signed.seq);
    Ok(download(body, "application/json", &filename))
}

#[derive(serde::Deserialize)]
pub struct InvoiceFilter {
    #[serde(default)]
    status: Option<String>,
}

/// `POST /api/finance/invoices/export`: the organization's invoices as a CSV download,
/// customer names masked unless the caller holds `customers.pii.read` (audited).
pub async fn invoices_csv(State(state): State<AppState>, request: Request) -> Response {
    let (meta, form) = read_form::<InvoiceFilter>(&state, request).await;
    let answer = async {
        let cx = authorize(state, meta, finance::EXPORT_PATH, &finance::INVOICES_READ).await?.in_org()?;
        let Form(filter) = form.map_err(|_| AppError::bad_request("The export form could not be read."))?;
        let status = finance::parse_status(filter.status.as_deref())?;
        let (csv, rows) = finance::export_invoices(&cx, status).await?;
        let event = cx.event("finance.export", Outcome::Allowed).metadata(serde_json::json!({
            "what": "invoices", "status": status.map(|s| s.key()), "rows": rows, "customers_masked": finance::masked(&cx)
        }));
        let mut tx = cx.state.db.begin().await?;
        audit::record(&mut tx, &event, cx.now).await?;
        tx.commit().await?;
        Ok::<_, AppError>(download(
            csv,
            "text/csv; charset=utf-8",
            &format!("gatehouse-invoices-{}-{}.csv", cx.org.slug, chrono_date(cx.now)),
        ))
    };
    answer.await.unwrap_or_else(IntoResponse::into_response)
}

/// The analytics export form: what, as which format, over which local days.
#[derive(serde::Deserialize)]
pub struct AnalyticsExportForm {
    #[serde(default)]
    what: String,
    #[serde(default)]
    format: String,
    #[serde(default)]
    start: Option<String>,
    #[serde(default)]
    end: Option<String>,
}

/// `POST /api/analytics/export`: a series, the top products or the consenting customers of a
/// range as a watermarked CSV, JSON or SVG download (`analytics.export`, with what is
/// exported's own permission and a live step-up; audited with the file's `export_id`).
pub async fn analytics_file(State(state): State<AppState>, request: Request) -> Response {
    let (meta, form) = read_form::<AnalyticsExportForm>(&state, request).await;
    let answer = async {
        // The requirement of what is asked for; anything unreadable is judged by the
        // requirement every export shares, then refused as bad input.
        let what = form.as_ref().ok().and_then(|Form(f)| analytics::Dataset::from_key(&f.what));
        let requirement = what.map_or(&analytics::EXPORT, analytics::Dataset::requirement);
        let cx = authorize(state, meta, analytics::EXPORT_PATH, requirement).await?.in_org()?;
        let Form(form) = form.map_err(|_| AppError::bad_request("The export form could not be read."))?;
        let what = what.ok_or_else(|| AppError::invalid("what", "Choose revenue, sales, products or customers."))?;
        let format = analytics::ExportFormat::from_key(&form.format)
            .ok_or_else(|| AppError::invalid("format", "Choose CSV, JSON or SVG."))?;
        let file = app::analytics::export::export(&cx, what, format, form.start, form.end).await?;
        Ok::<_, AppError>(download(file.body, file.content_type, &file.filename))
    };
    answer.await.unwrap_or_else(IntoResponse::into_response)
}

/// `body` as a download called `filename`.
fn download(body: String, content_type: &'static str, filename: &str) -> Response {
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
