//! The Gatehouse server: the axum router with its security middleware, the demo data and
//! the command-line interface around them.

pub mod bench_analytics;
pub mod bench_bare;
pub mod bench_ratelimit;
pub mod demo;
pub mod demo_analytics;
pub mod demo_finance;
pub mod export;
pub mod import;
pub mod middleware;
pub mod routes;
pub mod telemetry;
pub mod v1;
