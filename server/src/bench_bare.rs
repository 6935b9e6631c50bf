//! `gatehouse bench-bare`: the yardstick of `bench/ssr.sh` — a bare axum handler answering
//! every GET with a fixed HTML page of a given size, on the same runtime, allocator and
//! build as Gatehouse, with no middleware, session or database. What Gatehouse's pages do
//! beyond this is the price of their work.

use axum::Router;
use axum::body::Bytes;
use axum::response::Html;
use axum::routing::get;
use std::net::SocketAddr;

/// An HTML page of exactly `bytes` bytes (at least the frame around the filler).
pub fn page(bytes: usize) -> Bytes {
    const HEAD: &str =
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>bare</title></head><body><p>";
    const TAIL: &str = "</p></body></html>";
    let filler = bytes.saturating_sub(HEAD.len() + TAIL.len());
    let mut page = String::with_capacity(HEAD.len() + filler + TAIL.len());
    page.push_str(HEAD);
    page.extend(std::iter::repeat_n('x', filler));
    page.push_str(TAIL);
    Bytes::from(page)
}

/// Serves [`page`] on `addr` until the process ends.
pub async fn serve(addr: SocketAddr, bytes: usize) -> std::io::Result<()> {
    let body = page(bytes);
    let app = Router::new().fallback(get(move || {
        let body = body.clone();
        async move { Html(body) }
    }));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, app).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_page_has_the_size_asked_for() {
        assert_eq!(super::page(20_000).len(), 20_000);
        assert!(std::str::from_utf8(&super::page(5_000)).unwrap().ends_with("</html>"));
    }
}
