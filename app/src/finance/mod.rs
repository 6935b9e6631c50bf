//! Finance (DESIGN §7): customers with masked personal details, invoices from draft to
//! issued under one set of rules ([`policy`]) that the server enforces and the pages mirror.

pub mod api;
pub mod components;
pub mod policy;
#[cfg(feature = "ssr")]
pub mod server;
pub mod types;
