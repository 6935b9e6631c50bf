//! Test support shared by the database and HTTP tests: a fresh database per test on each
//! backend, and `db_test!`, which turns one test body into a SQLite and a PostgreSQL test.
//!
//! PostgreSQL is reached at `GATEHOUSE_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); each test creates its own database there
//! and drops it afterwards.
#![allow(dead_code)]

use app::config::Config;
use app::db::{Backend, Db};

/// The encryption key of test configurations (tests only).
pub const TEST_SECRET_KEY: &str = "aW50ZWdyYXRpb24tdGVzdHMtb25seS1rZXktMDEyMzQ=";

/// [`TEST_SECRET_KEY`], parsed.
pub static SECRET_KEY: std::sync::LazyLock<app::config::SecretKey> =
    std::sync::LazyLock::new(|| app::config::SecretKey::parse(TEST_SECRET_KEY).unwrap());

/// The longest a database test may take.
pub const TEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

pub struct TestDb {
    pub db: Db,
    pub backend: Backend,
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    File(std::path::PathBuf),
    Database { admin_url: String, name: String },
}

pub fn postgres_admin_url() -> String {
    std::env::var("GATEHOUSE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => TestDb::sqlite().await,
            Backend::Postgres => TestDb::postgres().await,
        }
    }

    pub async fn sqlite() -> TestDb {
        let dir = std::env::temp_dir().join("gatehouse-tests");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{}.db", uuid_like()));
        let url = format!("sqlite://{}", path.display());
        let db = Db::connect(&url, 5).await.unwrap();
        db.migrate().await.unwrap();
        TestDb { db, backend: Backend::Sqlite, url, cleanup: Cleanup::File(path) }
    }

    pub async fn postgres() -> TestDb {
        let admin_url = postgres_admin_url();
        let name = format!("gh_test_{}", uuid_like().replace('-', ""));
        let admin = Db::connect(&admin_url, 1)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL is not reachable at {admin_url} ({e}); the test command starts it"));
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut *admin.conn().await.unwrap()).await.unwrap();
        admin.close().await;
        let (base, _) = admin_url.rsplit_once('/').unwrap();
        let url = format!("{base}/{name}");
        let db = Db::connect(&url, 5).await.unwrap();
        db.migrate().await.unwrap();
        TestDb { db, backend: Backend::Postgres, url, cleanup: Cleanup::Database { admin_url, name } }
    }

    pub fn config(&self) -> Config {
        let url = self.url.clone();
        Config::from_lookup(move |name| match name {
            "DATABASE_URL" => Some(url.clone()),
            "GATEHOUSE_HASH_CONCURRENCY" => Some("4".into()),
            "GATEHOUSE_SECRET_KEY" => Some(TEST_SECRET_KEY.into()),
            _ => None,
        })
        .unwrap()
    }

    pub async fn cleanup(self) {
        self.cleanup_ref().await;
    }

    /// Closes the pool and drops the database (or deletes the file).
    pub async fn cleanup_ref(&self) {
        self.db.close().await;
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Database { admin_url, name } => {
                if let Ok(admin) = Db::connect(admin_url, 1).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut *admin.conn().await.unwrap())
                        .await;
                    admin.close().await;
                }
            }
        }
    }
}

fn uuid_like() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The newest mail to `to` as its recipient reads it: the full text, its secret included.
pub async fn mail_to(t: &TestDb, to: &str) -> String {
    let (id, body, sealed): (String, String, Option<String>) = sqlx::query_as(
        "SELECT id, body, sealed_body FROM outbox WHERE to_addr = $1 ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(to)
    .fetch_one(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap_or_else(|e| panic!("no mail to {to}: {e}"));
    match sealed {
        Some(sealed) => app::mail::open_sealed(&t.config().secret_key, &id, &sealed).expect("the sealed body opens"),
        None => body,
    }
}

/// The token of the link to `{origin}{path}<token>` in the newest mail to `to`.
pub async fn mailed_token(t: &TestDb, to: &str, path: &str) -> String {
    let body = mail_to(t, to).await;
    let start = body.find(path).unwrap_or_else(|| panic!("no {path} link in the mail to {to}: {body}")) + path.len();
    body[start..].split_whitespace().next().unwrap_or_default().to_string()
}

/// Counts the rows of `table` (a fixed table name from the test, never input).
pub async fn count(db: &Db, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM {table}"))
        .fetch_one(&mut *db.conn().await.unwrap())
        .await
        .unwrap()
}

/// Runs a test body on `t`: a hang fails the test by name instead of stalling the whole run,
/// and the test database is dropped whether the body passes, fails or hangs.
pub async fn run(t: &TestDb, body: impl std::future::Future<Output = ()>) {
    use futures::FutureExt;
    let outcome = std::panic::AssertUnwindSafe(tokio::time::timeout(TEST_TIMEOUT, body)).catch_unwind().await;
    if outcome.as_ref().map_or(true, Result::is_err) {
        t.cleanup_ref().await;
    }
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(_)) => panic!("timed out after {TEST_TIMEOUT:?}"),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// `db_test!(name, |t| { … })`: the body runs once on SQLite (`name::sqlite`) and once on
/// PostgreSQL (`name::postgres`), each on a fresh, migrated database bound to `t`.
#[macro_export]
macro_rules! db_test {
    ($name:ident, |$t:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let owned = $crate::support::TestDb::new(app::db::Backend::Sqlite).await;
                let body = async {
                    let $t = &owned;
                    $body
                };
                $crate::support::run(&owned, body).await;
                owned.cleanup().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let owned = $crate::support::TestDb::new(app::db::Backend::Postgres).await;
                let body = async {
                    let $t = &owned;
                    $body
                };
                $crate::support::run(&owned, body).await;
                owned.cleanup().await;
            }
        }
    };
}
