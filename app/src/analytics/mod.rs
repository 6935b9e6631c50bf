//! Analytics (DESIGN §8). Every analytics answer sits behind `analytics.view` and a live
//! step-up unlock of the session; revenue figures additionally need `analytics.view_revenue`,
//! sales `analytics.view_sales`, products `analytics.view_products`. Answers are read from
//! per-day rollups in the organization's timezone ([`server`]), never from raw orders.

pub mod api;
#[cfg(feature = "ssr")]
pub mod chart;
pub mod components;
#[cfg(feature = "ssr")]
pub mod export;
#[cfg(feature = "ssr")]
pub mod figures;
#[cfg(feature = "ssr")]
pub mod import;
#[cfg(feature = "ssr")]
pub mod rebuild;
#[cfg(feature = "ssr")]
pub mod server;
pub mod types;
