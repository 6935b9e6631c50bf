//! The application state shared by routes and server functions.

use crate::analytics::figures::FiguresCache;
use crate::audit::ReadRecords;
use crate::auth::PasswordHasher;
use crate::config::Config;
use crate::db::Db;
use crate::error::{AppError, Result};
use axum::extract::FromRef;
use leptos::prelude::*;
use std::sync::Arc;

/// Provided to axum as router state and to every server function and page as context. One
/// shared allocation: every request and every guard takes a copy (a count, not a clone of the
/// Leptos options' strings and the pool's handles, which cost a twentieth of a page view).
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] shares; reached through it (`state.db`).
#[derive(Debug)]
pub struct Shared {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub config: Arc<Config>,
    pub hasher: Arc<PasswordHasher>,
    /// Analytics figures already read, by rollup version.
    pub figures: FiguresCache,
    /// The writer of audited reads (their events are committed in batches).
    pub reads: ReadRecords,
}

impl AppState {
    pub fn new(leptos_options: LeptosOptions, db: Db, config: Config) -> AppState {
        let hasher = Arc::new(PasswordHasher::new(config.hash_concurrency));
        let reads = ReadRecords::new(db.clone());
        AppState(Arc::new(Shared {
            leptos_options,
            db,
            config: Arc::new(config),
            hasher,
            figures: FiguresCache::default(),
            reads,
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// Leptos' handlers find their options in the router's state.
impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> LeptosOptions {
        state.leptos_options.clone()
    }
}

/// The state, from the Leptos context of the current request.
pub fn app_state() -> Result<AppState> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the request context");
        AppError::Internal
    })
}
