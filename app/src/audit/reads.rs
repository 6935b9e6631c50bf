//! Audited reads, written together. A read that is audited (the log itself, an analytics
//! view or query, a customer's reveal, the outbox, a tenant's detail) changes nothing but
//! the log, so its event
//! needs no transaction of its own: every request hands its event to one writer per process
//! and waits until it is committed, and the writer commits all the events handed to it while
//! the previous batch was being written in one transaction ("group commit"). One event per
//! read as before, committed before the read's answer is made; but a burst of views takes
//! the database's write lock (SQLite) or the chain's head row (PostgreSQL) once per batch,
//! not once per view, and commits once (on PostgreSQL, by a few statements per chain).

use super::record::{Event, record, record_all};
use crate::db::{Backend, Db};
use crate::error::{AppError, Result};
use std::sync::OnceLock;
use tokio::sync::{mpsc, oneshot};

/// The most events one transaction writes.
const BATCH: usize = 64;

/// The writer of audited reads (see the module): kept in the application state, started by
/// the first read recorded.
#[derive(Debug)]
pub struct ReadRecords {
    db: Db,
    queue: OnceLock<mpsc::UnboundedSender<Pending>>,
}

/// One event waiting for its batch, and who waits for it.
struct Pending {
    event: Event,
    now: i64,
    written: oneshot::Sender<bool>,
}

impl ReadRecords {
    /// The writer of audited reads into `db` (its task starts with the first read).
    pub fn new(db: Db) -> ReadRecords {
        ReadRecords { db, queue: OnceLock::new() }
    }

    /// Records `event` (at `now`) and returns once it is committed; an error when it could
    /// not be (the read must then not be answered).
    pub async fn record(&self, event: Event, now: i64) -> Result<()> {
        let queue = self.queue.get_or_init(|| {
            let (queue, pending) = mpsc::unbounded_channel();
            tokio::spawn(write(self.db.clone(), pending));
            queue
        });
        let (written, done) = oneshot::channel();
        queue.send(Pending { event, now, written }).map_err(|_| AppError::Internal)?;
        match done.await {
            Ok(true) => Ok(()),
            _ => Err(AppError::Internal),
        }
    }
}

/// The writer: takes what is waiting (at most [`BATCH`]), commits it in one transaction and
/// answers each waiting read; until the state is dropped.
async fn write(db: Db, mut pending: mpsc::UnboundedReceiver<Pending>) {
    let mut batch = Vec::with_capacity(BATCH);
    while pending.recv_many(&mut batch, BATCH).await > 0 {
        let (written, refused) = match commit(&db, &batch).await {
            Ok(()) => (true, false),
            Err(error) => {
                tracing::error!(%error, events = batch.len(), "audited reads: a batch was not written");
                (false, matches!(error, sqlx::Error::Database(_)))
            }
        };
        if refused && batch.len() > 1 {
            // One event the database refuses must not cost the others theirs: each is tried
            // alone. (A database out of reach fails them all at once: tried one by one, each
            // would wait for the pool's timeout in turn.)
            for one in batch.drain(..) {
                let written = commit(&db, std::slice::from_ref(&one)).await.is_ok();
                let _ = one.written.send(written);
            }
        }
        for one in batch.drain(..) {
            // A reader that has left waits no more; its event is written all the same.
            let _ = one.written.send(written);
        }
    }
}

/// Writes `batch` in one transaction, in the order the reads came. (The commit, outside any
/// request, leaves every request's memo of its caller's access as it is.)
///
/// On PostgreSQL every statement is a round trip, made while the batch holds its chains' head
/// rows: the batch goes in by a few statements per chain ([`record_all`]; `/analytics` served
/// 27–51 % more views a second than with two statements per event, in alternating runs). On
/// SQLite a statement is a call to the connection's thread: the multi-row inserts served about
/// as many views as writing the events one by one (within the noise), and the server's peak
/// memory under the bench's pages rose by 3–4 MiB with them (on PostgreSQL it did not): there
/// they go in one by one.
async fn commit(db: &Db, batch: &[Pending]) -> std::result::Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    match db.backend() {
        Backend::Postgres => {
            let events: Vec<_> = batch.iter().map(|p| (&p.event, p.now)).collect();
            record_all(&mut tx, &events).await?;
        }
        Backend::Sqlite => {
            for Pending { event, now, .. } in batch {
                record(&mut tx, event, *now).await?;
            }
        }
    }
    tx.commit().await
}
