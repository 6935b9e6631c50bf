//! The application state shared by routes and server functions.

use crate::auth::PasswordHasher;
use crate::config::Config;
use crate::db::Db;
use crate::error::{AppError, Result};
use axum::extract::FromRef;
use leptos::prelude::*;
use std::sync::Arc;

/// Provided to axum as router state and to every server function and page as context.
#[derive(Clone, Debug, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub config: Arc<Config>,
    pub hasher: Arc<PasswordHasher>,
}

impl AppState {
    pub fn new(leptos_options: LeptosOptions, db: Db, config: Config) -> AppState {
        let hasher = Arc::new(PasswordHasher::new(config.hash_concurrency));
        AppState { leptos_options, db, config: Arc::new(config), hasher }
    }
}

/// The state, from the Leptos context of the current request.
pub fn app_state() -> Result<AppState> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the request context");
        AppError::Internal
    })
}
