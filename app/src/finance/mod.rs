//! Finance (DESIGN §7): customers with masked personal details, invoices from draft to
//! issued and changed only through approved edits, payments confirmed once, refunds under
//! maker-checker — under one set of rules ([`policy`]) that the server enforces and the
//! pages mirror.

pub mod api;
#[cfg(feature = "ssr")]
pub mod chart;
pub mod components;
#[cfg(feature = "ssr")]
pub mod dashboard;
#[cfg(feature = "ssr")]
pub mod edits;
#[cfg(feature = "ssr")]
pub mod ledger;
#[cfg(feature = "ssr")]
pub mod money;
pub mod overview;
pub mod policy;
pub mod queues;
pub mod sections;
#[cfg(feature = "ssr")]
pub mod server;
pub mod types;
