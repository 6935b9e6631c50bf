//! `POST /api/analytics/import`: a CSV file of orders, sent by the import form as
//! `multipart/form-data` (`orders.write`). The good orders are imported, each bad line is
//! reported; the answer sends the browser to the import's report.

use app::access::authorize;
use app::analytics::api::{IMPORT_PATH, ORDERS_WRITE};
use app::error::AppError;
use app::request::RequestMeta;
use app::state::AppState;
use axum::extract::{ConnectInfo, FromRequest, Multipart, Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use std::net::SocketAddr;

pub async fn orders_csv(State(state): State<AppState>, request: Request) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let answer = async {
        let meta = RequestMeta::from_headers(request.headers(), peer, &state.config);
        let cx = authorize(state.clone(), meta, IMPORT_PATH, &ORDERS_WRITE).await?.in_org()?;
        let unreadable = || AppError::invalid("file", "Send the file from the import form (multipart/form-data).");
        let mut form = Multipart::from_request(request, &state).await.map_err(|_| unreadable())?;
        let mut file = None;
        while let Some(field) = form.next_field().await.map_err(|_| unreadable())? {
            if field.name() == Some("file") {
                let name = field.file_name().unwrap_or("orders.csv").to_string();
                file = Some((name, field.bytes().await.map_err(|_| unreadable())?));
            }
        }
        let (name, bytes) = file.ok_or_else(|| AppError::invalid("file", "Choose a CSV file to import."))?;
        let text = String::from_utf8(bytes.to_vec())
            .map_err(|_| AppError::invalid("file", "The file is not UTF-8 text; save it as CSV (UTF-8)."))?;
        let id = app::analytics::import::run(&cx, &name, &text).await?;
        Ok::<_, AppError>(Redirect::to(&format!("/analytics/import?report={id}")).into_response())
    };
    answer.await.unwrap_or_else(IntoResponse::into_response)
}
