//! The audit log's integrity and queries, on SQLite and PostgreSQL.

mod support;

use app::audit::api::AuditFilter;
use app::audit::server::{ParsedFilter, export_csv, page, verify};
use app::audit::{self, Actor, Event, Outcome};
use app::db::{Backend, Db};
use sqlx::Executor;
use support::TestDb;

const ORG: &str = "org-audit";

async fn org(db: &Db) {
    sqlx::query(
        "INSERT INTO organizations (id, name, slug, created_at, updated_at) VALUES ($1, 'Audit Org', 'audit-org', 0, 0)",
    )
    .bind(ORG)
    .execute(db.pool())
    .await
    .unwrap();
}

async fn write(db: &Db, action: &str, who: &str, outcome: Outcome, at: i64) {
    let mut tx = db.begin().await.unwrap();
    audit::record(&mut tx, &Event::new(action, Actor::user("u", who), outcome).org(Some(ORG)), at).await.unwrap();
    tx.commit().await.unwrap();
}

async fn seed_events(db: &Db) {
    org(db).await;
    for i in 0..10 {
        let who = if i % 2 == 0 { "ann@example.test" } else { "bob@example.test" };
        let outcome = if i % 3 == 0 { Outcome::Denied } else { Outcome::Allowed };
        write(db, &format!("test.event{i}"), who, outcome, 1_700_000_000 + i * 86_400).await;
    }
}

/// Lets the test tamper the way someone with database access could.
async fn drop_append_only_triggers(t: &TestDb) {
    let sql = match t.backend {
        Backend::Sqlite => "DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;",
        Backend::Postgres => "DROP TRIGGER audit_events_no_update ON audit_events;",
    };
    t.db.pool().execute(sql).await.unwrap();
}

db_test!(an_intact_log_verifies, |t| {
    seed_events(&t.db).await;
    let mut conn = t.db.conn().await.unwrap();
    let report = verify(&mut conn, None).await.unwrap();
    assert_eq!((report.chains, report.events), (1, 10));
    assert!(report.broken.is_empty(), "{:?}", report.broken);
});

db_test!(an_edited_event_is_found, |t| {
    seed_events(&t.db).await;
    drop_append_only_triggers(t).await;
    sqlx::query("UPDATE audit_events SET outcome = 'allowed' WHERE chain = $1 AND seq = 4")
        .bind(ORG)
        .execute(t.db.pool())
        .await
        .unwrap();
    let mut conn = t.db.conn().await.unwrap();
    let report = verify(&mut conn, Some(ORG)).await.unwrap();
    assert_eq!(report.broken.len(), 1);
    assert_eq!(report.broken[0].seq, 4);
    assert!(report.broken[0].problem.contains("edited"), "{:?}", report.broken);
});

db_test!(a_deleted_event_is_found, |t| {
    seed_events(&t.db).await;
    drop_append_only_triggers(t).await;
    sqlx::query("DELETE FROM audit_events WHERE chain = $1 AND seq = 6").bind(ORG).execute(t.db.pool()).await.unwrap();
    let mut conn = t.db.conn().await.unwrap();
    let broken = verify(&mut conn, None).await.unwrap().broken;
    assert_eq!((broken.len(), broken[0].seq), (1, 7), "{broken:?}");
    assert!(broken[0].problem.contains("missing"));
});

db_test!(a_truncated_log_is_found, |t| {
    seed_events(&t.db).await;
    drop_append_only_triggers(t).await;
    sqlx::query("DELETE FROM audit_events WHERE chain = $1 AND seq = 10").bind(ORG).execute(t.db.pool()).await.unwrap();
    let mut conn = t.db.conn().await.unwrap();
    let broken = verify(&mut conn, None).await.unwrap().broken;
    assert_eq!(broken.len(), 1);
    assert!(broken[0].problem.contains("chain head"), "{broken:?}");
});

db_test!(a_rewritten_chain_is_found_by_its_links, |t| {
    seed_events(&t.db).await;
    drop_append_only_triggers(t).await;
    // A forged back-link is caught as a broken link before any hash is recomputed.
    sqlx::query("UPDATE audit_events SET prev_hash = 'forged' WHERE chain = $1 AND seq = 3")
        .bind(ORG)
        .execute(t.db.pool())
        .await
        .unwrap();
    let mut conn = t.db.conn().await.unwrap();
    let broken = verify(&mut conn, None).await.unwrap().broken;
    assert_eq!(broken[0].seq, 3);
    assert!(broken[0].problem.contains("link"), "{broken:?}");
});

db_test!(concurrent_writers_keep_one_unbroken_chain, |t| {
    org(&t.db).await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let db = t.db.clone();
        tasks.push(tokio::spawn(async move {
            write(&db, &format!("race.{i}"), "r@example.test", Outcome::Allowed, i).await
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let mut conn = t.db.conn().await.unwrap();
    let report = verify(&mut conn, Some(ORG)).await.unwrap();
    assert_eq!(report.events, 20);
    assert!(report.broken.is_empty(), "{:?}", report.broken);
});

db_test!(filters_and_paging, |t| {
    seed_events(&t.db).await;
    let mut conn = t.db.conn().await.unwrap();
    let parse = |f: AuditFilter| ParsedFilter::parse(&f, "UTC").unwrap();
    let all = page(&mut conn, ORG, "UTC", &parse(AuditFilter::default()), None, 4).await.unwrap();
    assert_eq!(all.events.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![10, 9, 8, 7]);
    let next = page(&mut conn, ORG, "UTC", &parse(AuditFilter::default()), all.next_before, 4).await.unwrap();
    assert_eq!(next.events.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![6, 5, 4, 3]);
    let last = page(&mut conn, ORG, "UTC", &parse(AuditFilter::default()), next.next_before, 4).await.unwrap();
    assert_eq!((last.events.len(), last.next_before), (2, None));

    let bob = page(&mut conn, ORG, "UTC", &parse(AuditFilter { actor: "BOB".into(), ..Default::default() }), None, 50)
        .await
        .unwrap();
    assert_eq!(bob.events.len(), 5);
    let denied =
        page(&mut conn, ORG, "UTC", &parse(AuditFilter { outcome: "denied".into(), ..Default::default() }), None, 50)
            .await
            .unwrap();
    assert_eq!(denied.events.len(), 4); // events 0, 3, 6, 9
    // Days: 1_700_000_000 is 2023-11-14 UTC; the third and fourth events fall on the 16th–17th.
    let range = AuditFilter { from: "2023-11-16".into(), to: "2023-11-17".into(), ..Default::default() };
    let days = page(&mut conn, ORG, "UTC", &parse(range), None, 50).await.unwrap();
    assert_eq!(days.events.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), vec!["test.event3", "test.event2"]);
    // LIKE metacharacters in the filter are literal.
    let wild = page(&mut conn, ORG, "UTC", &parse(AuditFilter { actor: "%".into(), ..Default::default() }), None, 50)
        .await
        .unwrap();
    assert!(wild.events.is_empty());
    let prefix = page(
        &mut conn,
        ORG,
        "UTC",
        &parse(AuditFilter { action: "test.event1".into(), ..Default::default() }),
        None,
        50,
    )
    .await
    .unwrap();
    assert_eq!(prefix.events.len(), 1);
    // Another organization's log is out of reach.
    let other = page(&mut conn, "someone-else", "UTC", &parse(AuditFilter::default()), None, 50).await.unwrap();
    assert!(other.events.is_empty());
});

db_test!(exports_are_rfc4180_and_formula_safe, |t| {
    org(&t.db).await;
    let mut tx = t.db.begin().await.unwrap();
    let event = Event::new(
        "org.settings.update",
        Actor::Anonymous { label: "=HYPERLINK(\"http://evil\")".into() },
        Outcome::Failed,
    )
    .org(Some(ORG))
    .reason("quote \" and, comma\nnewline");
    audit::record(&mut tx, &event, 1_700_000_000).await.unwrap();
    tx.commit().await.unwrap();
    let mut conn = t.db.conn().await.unwrap();
    let (csv, rows) = export_csv(&mut conn, ORG, "Asia/Kolkata", &ParsedFilter::default()).await.unwrap();
    assert_eq!(rows, 1);
    assert!(csv.contains("\"'=HYPERLINK(\"\"http://evil\"\")\""), "{csv}");
    assert!(csv.contains("\"quote \"\" and, comma\nnewline\""), "{csv}");
    assert!(csv.contains("2023-11-14T22:13:20Z,2023-11-15 03:43"), "{csv}");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(reader.records().count(), 1);
});
