//! The data layer: one `sqlx::Any` pool on SQLite (default) or PostgreSQL (`DATABASE_URL`),
//! one set of `$n` queries for both.
//!
//! Portable-schema conventions (see the README): flags are `BIGINT` 0/1, instants are unix
//! seconds in `BIGINT` (UTC), money is integer minor units, sums are `CAST(… AS BIGINT)`, and
//! keys are made by the application (random UUIDs, never guessable).

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Connection as _, Executor};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// How long a request waits for a pooled connection (or a SQLite writer's turn).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a pooled connection may have been idle and still be handed out without a ping.
const TRUSTED_IDLE: Duration = Duration::from_secs(1);

pub use sqlx::AnyConnection as Conn;

/// A transaction that writes (see [`Db::begin`]). It derefs to the connection, so it is
/// passed wherever a `&mut Conn` is taken; it rolls back when dropped without a commit.
pub struct Tx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    /// This process's SQLite writer turn, held until the transaction ends (dropped after `tx`).
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Tx {
    /// Commits; whatever the request loaded of the caller's access before is then loaded
    /// again by the next guard (the transaction may have changed it).
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        let committed = self.tx.commit().await;
        crate::request::access_changed();
        committed
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl std::ops::Deref for Tx {
    type Target = Conn;

    fn deref(&self) -> &Conn {
        &self.tx
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.tx
    }
}

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("DATABASE_URL must start with sqlite: or postgres:, got `{0}`")]
    UnsupportedUrl(String),
    #[error("could not create the database folder {path}: {source}")]
    Folder { path: String, source: std::io::Error },
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// The pool and the backend it talks to. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// SQLite lets one transaction write at a time. Its own wait for the lock (the busy
    /// timeout) polls with growing sleeps, so under a burst some writers are passed over again
    /// and again; this process's writers queue here instead, first come first served, and
    /// each begins the moment the one before it ends. `None` on PostgreSQL, which locks rows.
    writers: Option<Arc<tokio::sync::Mutex<()>>>,
    /// Permits to keep a connection for one request's reads ([`RequestConn`]): half the pool,
    /// so the other half always circulates (see [`Db::conn`]). Also tells pools apart.
    lending: Arc<tokio::sync::Semaphore>,
    /// The permits `lending` started with.
    lendable: usize,
}

type PoolConnection = sqlx::pool::PoolConnection<sqlx::Any>;

/// A connection from [`Db::conn`]; derefs to the connection.
pub struct PooledConn(Pooled);

enum Pooled {
    Own(PoolConnection),
    Lent(tokio::sync::OwnedMappedMutexGuard<Slot, PoolConnection>),
}

/// What a request keeps for its reads.
#[derive(Default)]
enum Slot {
    /// Nothing yet (or given back before a write).
    #[default]
    Empty,
    Lent(Lent),
    /// The response is made: nothing more is kept (a load after it uses the pool).
    Closed,
}

/// A connection kept for one request, with its permit ([`Db::lending`]).
struct Lent {
    conn: PoolConnection,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl std::ops::Deref for PooledConn {
    type Target = Conn;

    fn deref(&self) -> &Conn {
        match &self.0 {
            Pooled::Own(conn) => conn,
            Pooled::Lent(conn) => conn,
        }
    }
}

impl std::ops::DerefMut for PooledConn {
    fn deref_mut(&mut self) -> &mut Conn {
        match &mut self.0 {
            Pooled::Own(conn) => conn,
            Pooled::Lent(conn) => conn,
        }
    }
}

/// One HTTP request's connection for reads (see [`Db::conn`]): made for each request by
/// [`RequestConn::serve`], given to the request's pages and server functions as context by
/// [`RequestConn::provide`], and given back to the pool when the response is made.
#[derive(Clone)]
pub struct RequestConn {
    slot: Arc<tokio::sync::Mutex<Slot>>,
    lending: Arc<tokio::sync::Semaphore>,
}

impl RequestConn {
    /// An empty slot for a request served from `db`.
    pub fn new(db: &Db) -> RequestConn {
        RequestConn { slot: Arc::default(), lending: db.lending.clone() }
    }

    /// Serves `request` with a connection slot for reads from `db`, emptied (its connection
    /// given back to the pool) as soon as the response is made.
    pub async fn serve(
        db: &Db,
        mut request: axum::extract::Request,
        next: axum::middleware::Next,
    ) -> axum::response::Response {
        let lent = RequestConn::new(db);
        request.extensions_mut().insert(lent.clone());
        let response = next.run(request).await;
        *lent.slot.lock().await = Slot::Closed;
        response
    }

    /// Makes the current request's slot (set by [`RequestConn::serve`]) the one
    /// [`Db::conn`] uses; called by the router for every page and server function.
    pub fn provide() {
        // Read in place: `use_context` would clone the whole request head.
        let lent = leptos::prelude::with_context::<http::request::Parts, _>(|parts| {
            parts.extensions.get::<RequestConn>().cloned()
        });
        if let Some(lent) = lent.flatten() {
            leptos::prelude::provide_context(lent);
        }
    }
}

impl Db {
    /// Connects to `url`. For SQLite the file (and its folder) is created when missing, and
    /// every connection gets foreign keys, a busy timeout and `synchronous = NORMAL` (WAL).
    /// (No memory map: SQLite unmaps the whole file whenever another connection wrote since
    /// the last read, and under `/analytics` load, which writes an audit event per view, the
    /// `munmap`s cost more CPU than the `pread`s they saved.)
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url).ok_or_else(|| DbError::UnsupportedUrl(redact(url)))?;
        let url = match backend {
            Backend::Sqlite => prepare_sqlite_url(url)?,
            Backend::Postgres => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let memory = url.contains(":memory:");
        let pool = AnyPoolOptions::new()
            // An in-memory SQLite database lives in one connection.
            .max_connections(if memory { 1 } else { max_connections })
            .acquire_timeout(ACQUIRE_TIMEOUT)
            // No ping before handing out a connection that came back lately: sqlx pings every
            // connection given back to the pool (and closes one that fails), so a connection
            // idle for less than a second is known to be good, and a ping per acquire cost a
            // hop to SQLite's connection thread, or a round trip to PostgreSQL, per request.
            // On PostgreSQL one idle for longer is pinged first: a connection the server
            // dropped while idle (a restart, a failover, an idle cut by a proxy) is replaced
            // before a request gets it. A connection to a local SQLite file does not go away.
            .test_before_acquire(false)
            .before_acquire(move |conn, meta| {
                Box::pin(async move {
                    if backend == Backend::Postgres && meta.idle_for >= TRUSTED_IDLE {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            })
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(
                            "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
                             PRAGMA synchronous = NORMAL;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let writers = (backend == Backend::Sqlite).then(|| Arc::new(tokio::sync::Mutex::new(())));
        // An in-memory database has one connection: nothing to lend.
        let lendable = if memory { 0 } else { max_connections as usize / 2 };
        let lending = Arc::new(tokio::sync::Semaphore::new(lendable));
        Ok(Db { pool, backend, writers, lending, lendable })
    }

    /// Applies the backend's migrations (a no-op when they are all applied). On SQLite it
    /// also switches the file to WAL once; the mode is stored in the file.
    pub async fn migrate(&self) -> Result<(), DbError> {
        match self.backend {
            Backend::Sqlite => {
                let mut conn = self.pool.acquire().await?;
                let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut *conn).await?;
                if mode != "memory" && mode != "wal" {
                    sqlx::query_scalar::<_, String>("PRAGMA journal_mode = WAL").fetch_one(&mut *conn).await?;
                }
                drop(conn);
                SQLITE_MIGRATIONS.run(&self.pool).await?;
            }
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool's open connections and how many of them are idle (for tests).
    pub fn pool_state(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }

    /// The most connections the pool opens.
    pub fn max_connections(&self) -> u32 {
        self.pool.options().get_max_connections()
    }

    /// How many connections requests keep for their reads now (see [`Db::conn`]).
    pub fn kept_connections(&self) -> usize {
        self.lendable.saturating_sub(self.lending.available_permits())
    }

    /// A connection for reads. Within an HTTP request it is usually the request's own (see
    /// [`RequestConn`]): taken from the pool by the request's first read and kept until the
    /// response is made, so the request's reads do not each take one and give it back (on
    /// SQLite every return is a hop to the connection's thread and back, on PostgreSQL a
    /// round trip each way). At most half the pool is kept by requests at a time
    /// ([`Db::lending`]); a request that finds no permit, a second load of a request while its
    /// connection is in use, and anything outside a request take one from the pool for the
    /// call. So the other half always circulates among calls that give it back when done, and
    /// a request's load that waits for the pool while its request keeps one idle is served
    /// by those.
    pub async fn conn(&self) -> Result<PooledConn, sqlx::Error> {
        if let Some(slot) = self.request_slot()
            && let Ok(mut held) = slot.try_lock_owned()
        {
            if matches!(*held, Slot::Empty)
                && let Ok(permit) = self.lending.clone().try_acquire_owned()
            {
                *held = Slot::Lent(Lent { conn: self.pool.acquire().await?, _permit: permit });
            }
            let lent = tokio::sync::OwnedMutexGuard::try_map(held, |slot| match slot {
                Slot::Lent(lent) => Some(&mut lent.conn),
                Slot::Empty | Slot::Closed => None,
            });
            if let Ok(lent) = lent {
                return Ok(PooledConn(Pooled::Lent(lent)));
            }
        }
        Ok(PooledConn(Pooled::Own(self.pool.acquire().await?)))
    }

    /// The current request's connection slot, when the request is served from this pool.
    fn request_slot(&self) -> Option<Arc<tokio::sync::Mutex<Slot>>> {
        let RequestConn { slot, lending } = leptos::prelude::use_context::<RequestConn>()?;
        Arc::ptr_eq(&lending, &self.lending).then_some(slot)
    }

    /// Gives the current request's idle connection back to the pool before it waits for
    /// another one to write with.
    fn return_request_conn(&self) {
        if let Some(slot) = self.request_slot()
            && let Ok(mut held) = slot.try_lock()
            && matches!(*held, Slot::Lent(_))
        {
            *held = Slot::Empty;
        }
    }

    /// A transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads first and writes later fails
    /// with `SQLITE_BUSY` instead of waiting when another writer got there in between.
    /// Writers of this process take their turn in arrival order first (see `writers`); a turn
    /// not given within the pool's acquire timeout fails like a pool timeout.
    ///
    /// The transaction is begun by a task of its own, which a caller that goes away (a
    /// request whose client left) does not take down with it: sqlx's SQLite driver, dropped
    /// after its `BEGIN` ran but before it made the `Transaction`, gives the connection back
    /// to the pool inside that transaction, holding the write lock for good. Begun to the
    /// end, a transaction nobody waits for any more is dropped with the task's output, which
    /// rolls it back and ends its turn.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        self.return_request_conn();
        let turn = match &self.writers {
            Some(writers) => Some(
                tokio::time::timeout(ACQUIRE_TIMEOUT, writers.clone().lock_owned())
                    .await
                    .map_err(|_| sqlx::Error::PoolTimedOut)?,
            ),
            None => None,
        };
        let (pool, backend) = (self.pool.clone(), self.backend);
        let begun = tokio::spawn(async move {
            let tx = match backend {
                Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
                Backend::Postgres => pool.begin().await,
            };
            tx.map(|tx| Tx { tx, _turn: turn })
        });
        match begun.await {
            Ok(tx) => tx,
            Err(failed) if failed.is_panic() => std::panic::resume_unwind(failed.into_panic()),
            // Only a runtime shutting down cancels the task.
            Err(_) => Err(sqlx::Error::PoolClosed),
        }
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Creates the folder of a SQLite file and asks the driver to create the file (`mode=rwc`).
fn prepare_sqlite_url(url: &str) -> Result<String, DbError> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path.contains(":memory:") {
        return Ok(url.to_string());
    }
    if let Some(parent) = std::path::Path::new(path).parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|source| DbError::Folder { path: parent.display().to_string(), source })?;
    }
    if query.contains("mode=") {
        Ok(url.to_string())
    } else if query.is_empty() {
        Ok(format!("{url}?mode=rwc"))
    } else {
        Ok(format!("{url}&mode=rwc"))
    }
}

/// A database URL with any password replaced, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// The tables whose rows [`lock_row`] can lock (a closed list: table names are never input;
/// each has an `updated_at`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Locked {
    Organization,
    User,
}

impl Locked {
    fn table(self) -> &'static str {
        match self {
            Locked::Organization => "organizations",
            Locked::User => "users",
        }
    }
}

/// Locks the row `id` of `table` until the end of the transaction `conn`, so that checks
/// and changes made under it happen one request after another: "read, decide, write"
/// becomes atomic. On PostgreSQL the no-op `UPDATE` takes the row lock; on SQLite the
/// `BEGIN IMMEDIATE` of [`Db::begin`] already holds the database's write lock. Returns
/// whether the row exists.
pub async fn lock_row(conn: &mut Conn, table: Locked, id: &str) -> Result<bool, sqlx::Error> {
    // A no-op on a column that no foreign key references: no key checks, the weakest row lock
    // that still serializes writers.
    let sql = format!("UPDATE {} SET updated_at = updated_at WHERE id = $1", table.table());
    Ok(sqlx::query(&sql).bind(id).execute(&mut *conn).await?.rows_affected() == 1)
}

/// A value of a row written by [`insert_rows`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Text(Option<String>),
    Int(Option<i64>),
}

/// The most values bound to one statement by [`insert_rows`] (PostgreSQL takes 65,535,
/// SQLite 32,766).
const VALUES_PER_STATEMENT: usize = 8_000;

/// Inserts `rows` (each as wide as the column list of `head`, `INSERT INTO t (a, b, …)`) as
/// few statements as the bound-value limit allows, each followed by `tail` (an `ON CONFLICT`
/// clause, or empty). Returns the rows written.
///
/// On SQLite the values are bound to anonymous `?` placeholders: binding looks up each
/// placeholder's name, and SQLite finds a named one (`$7`) by walking the statement's list of
/// names — quadratic in the number of values, most of the time of a bulk insert.
pub async fn insert_rows(conn: &mut Conn, head: &str, rows: &[Vec<Value>], tail: &str) -> Result<u64, sqlx::Error> {
    let width = rows.first().map_or(1, Vec::len).max(1);
    let anonymous = conn.backend_name() == "SQLite";
    let mark = |n: usize| if anonymous { "?".to_string() } else { format!("${n}") };
    let mut written = 0;
    for chunk in rows.chunks((VALUES_PER_STATEMENT / width).max(1)) {
        let tuples: Vec<String> = (0..chunk.len())
            .map(|r| format!("({})", (1..=width).map(|c| mark(r * width + c)).collect::<Vec<_>>().join(", ")))
            .collect();
        let sql = format!("{head} VALUES {} {tail}", tuples.join(", "));
        let mut query = sqlx::query(&sql);
        for value in chunk.iter().flatten() {
            query = match value {
                Value::Text(t) => query.bind(t.clone()),
                Value::Int(i) => query.bind(*i),
            };
        }
        written += query.execute(&mut *conn).await?.rows_affected();
    }
    Ok(written)
}

/// The current time in unix seconds (UTC).
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A new random, unguessable key (UUID v4: 122 random bits).
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A new random key that sorts by creation time (UUID v7: 48 bits of milliseconds, 74 random
/// bits), for rows written in bulk: each lands at the end of the primary key's index.
pub fn new_ordered_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A `BIGINT` 0/1 flag.
pub fn flag(value: bool) -> i64 {
    i64::from(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_comes_from_the_url() {
        assert_eq!(Backend::of_url("sqlite://data/x.db"), Some(Backend::Sqlite));
        assert_eq!(Backend::of_url("sqlite::memory:"), Some(Backend::Sqlite));
        assert_eq!(Backend::of_url("postgres://u@h/db"), Some(Backend::Postgres));
        assert_eq!(Backend::of_url("postgresql://u@h/db"), Some(Backend::Postgres));
        assert_eq!(Backend::of_url("mysql://u@h/db"), None);
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://app:s3cret@db:5432/gh"), "postgres://app:***@db:5432/gh");
        assert_eq!(redact("postgres://app@db/gh"), "postgres://app@db/gh");
        assert_eq!(redact("sqlite://data/gatehouse.db"), "sqlite://data/gatehouse.db");
    }

    #[test]
    fn sqlite_urls_create_the_file() {
        let dir = std::env::temp_dir().join(format!("gh-url-{}", new_id()));
        let url = format!("sqlite://{}/sub/x.db", dir.display());
        assert_eq!(prepare_sqlite_url(&url).unwrap(), format!("{url}?mode=rwc"));
        assert!(dir.join("sub").is_dir());
        assert_eq!(prepare_sqlite_url("sqlite::memory:").unwrap(), "sqlite::memory:");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
