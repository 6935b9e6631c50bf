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
    .execute(&mut *db.conn().await.unwrap())
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
    (&mut *t.db.conn().await.unwrap()).execute(sql).await.unwrap();
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
        .execute(&mut *t.db.conn().await.unwrap())
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
    sqlx::query("DELETE FROM audit_events WHERE chain = $1 AND seq = 6")
        .bind(ORG)
        .execute(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    let mut conn = t.db.conn().await.unwrap();
    let broken = verify(&mut conn, None).await.unwrap().broken;
    assert_eq!((broken.len(), broken[0].seq), (1, 7), "{broken:?}");
    assert!(broken[0].problem.contains("missing"));
});

db_test!(a_truncated_log_is_found, |t| {
    seed_events(&t.db).await;
    drop_append_only_triggers(t).await;
    sqlx::query("DELETE FROM audit_events WHERE chain = $1 AND seq = 10")
        .bind(ORG)
        .execute(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
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
        .execute(&mut *t.db.conn().await.unwrap())
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

db_test!(audited_reads_written_together_keep_one_event_each_and_one_chain, |t| {
    org(&t.db).await;
    // The database refuses one of them (a trigger, as a full disk or a constraint would).
    let refuse = match t.backend {
        Backend::Sqlite => {
            "CREATE TRIGGER refuse_one BEFORE INSERT ON audit_events WHEN NEW.action = 'read.refused' \
             BEGIN SELECT RAISE(ABORT, 'refused'); END"
        }
        Backend::Postgres => {
            "CREATE FUNCTION refuse_one() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN IF NEW.action = 'read.refused' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$; \
             CREATE TRIGGER refuse_one BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_one()"
        }
    };
    (&mut *t.db.conn().await.unwrap()).execute(refuse).await.unwrap();
    let reads = std::sync::Arc::new(audit::ReadRecords::new(t.db.clone()));
    // A burst of reads, with ordinary writers to the same chain among them.
    let mut tasks = Vec::new();
    for i in 0..40 {
        let (db, reads) = (t.db.clone(), reads.clone());
        tasks.push(tokio::spawn(async move {
            let action = if i == 17 { "read.refused".to_string() } else { format!("read.{i}") };
            if i % 10 == 5 {
                write(&db, &format!("write.{i}"), "w@example.test", Outcome::Allowed, i).await;
            }
            let event = Event::new(&action, Actor::user("u", "r@example.test"), Outcome::Allowed).org(Some(ORG));
            (action, reads.record(event, i).await.is_ok())
        }));
    }
    let mut refused = Vec::new();
    for task in tasks {
        let (action, recorded) = task.await.unwrap();
        if !recorded {
            refused.push(action);
        }
    }
    assert_eq!(refused, ["read.refused"], "only the refused read fails");
    let mut conn = t.db.conn().await.unwrap();
    let report = verify(&mut conn, Some(ORG)).await.unwrap();
    assert_eq!(report.events, 39 + 4, "39 reads and 4 writes, each once");
    assert!(report.broken.is_empty(), "{:?}", report.broken);
    let once: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(DISTINCT action) AS BIGINT) FROM audit_events WHERE chain = $1 AND action LIKE 'read.%'",
    )
    .bind(ORG)
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(once, 39);
});

db_test!(events_written_together_go_each_to_its_own_chain_in_order, |t| {
    org(&t.db).await;
    sqlx::query(
        "INSERT INTO organizations (id, name, slug, created_at, updated_at) VALUES ('org-other', 'Other', 'other', 0, 0)",
    )
    .execute(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap();
    // One chain with a head already, two without one (their first events create them).
    write(&t.db, "first", "a@example.test", Outcome::Allowed, 1).await;
    let event = |action: &str, org: Option<&str>| {
        Event::new(action, Actor::user("u", "b@example.test"), Outcome::Allowed).org(org)
    };
    let batch = [
        event("a", Some(ORG)),
        event("b", Some("org-other")),
        event("c", None),
        event("d", Some(ORG)),
        event("e", Some("org-other")),
        event("f", Some(ORG)),
    ];
    let events: Vec<_> = batch.iter().enumerate().map(|(i, e)| (e, 10 + i as i64)).collect();
    let mut tx = t.db.begin().await.unwrap();
    audit::record_all(&mut tx, &events).await.unwrap();
    tx.commit().await.unwrap();
    // A batch of 21 (inserts of 16, 4 and 1 rows), then an event written alone, follow on.
    let many: Vec<_> = (0..21).map(|i| event(&format!("m{i}"), Some(ORG))).collect();
    let events: Vec<_> = many.iter().map(|e| (e, 16)).collect();
    let mut tx = t.db.begin().await.unwrap();
    audit::record_all(&mut tx, &events).await.unwrap();
    tx.commit().await.unwrap();
    write(&t.db, "last", "a@example.test", Outcome::Allowed, 20).await;

    let mut conn = t.db.conn().await.unwrap();
    let report = verify(&mut conn, None).await.unwrap();
    assert!(report.broken.is_empty(), "{:?}", report.broken);
    assert_eq!((report.chains, report.events), (3, 29));
    let chain = |chain: &'static str| {
        sqlx::query_as::<_, (i64, String, i64)>(
            "SELECT seq, action, created_at FROM audit_events WHERE chain = $1 ORDER BY seq",
        )
        .bind(chain)
    };
    let ours = chain(ORG).fetch_all(&mut *conn).await.unwrap();
    let mut expected = vec![(1, "first".to_string(), 1), (2, "a".into(), 10), (3, "d".into(), 13), (4, "f".into(), 15)];
    expected.extend((0..21).map(|i| (5 + i, format!("m{i}"), 16)));
    expected.push((26, "last".into(), 20));
    assert_eq!(ours, expected);
    let other = chain("org-other").fetch_all(&mut *conn).await.unwrap();
    assert_eq!(other, [(1, "b".into(), 11), (2, "e".into(), 14)]);
    let platform = chain(audit::PLATFORM_CHAIN).fetch_all(&mut *conn).await.unwrap();
    assert_eq!(platform, [(1, "c".into(), 12)]);
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

const DAY: i64 = 86_400;

db_test!(pruning_keeps_the_chain_verifiable_and_nothing_else_can_delete, |t| {
    use app::audit::retention::{PRUNED, latest_prune, prune_chain};
    seed_events(&t.db).await; // ten events, a day apart from 1_700_000_000
    let now = 1_700_000_000 + 100 * DAY;
    // Keep 98 days: the first two days' events go.
    let pruned = prune_chain(&t.db, ORG, Some(ORG), 98, now).await.unwrap().unwrap();
    assert_eq!((pruned.through_seq, pruned.events), (2, 2));
    let mut conn = t.db.conn().await.unwrap();
    let report = verify(&mut conn, Some(ORG)).await.unwrap();
    assert!(report.broken.is_empty(), "{:?}", report.broken);
    assert_eq!(report.events, 9, "eight left and the checkpoint");
    assert_eq!(latest_prune(&mut conn, ORG).await.unwrap(), Some((pruned.clone(), now)));
    let checkpoint_action: String =
        sqlx::query_scalar("SELECT action FROM audit_events WHERE chain = $1 ORDER BY seq DESC LIMIT 1")
            .bind(ORG)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_eq!(checkpoint_action, PRUNED);
    // A second prune moves the start on; the chain still holds.
    prune_chain(&t.db, ORG, Some(ORG), 90, now + 5 * DAY).await.unwrap().unwrap();
    assert!(verify(&mut conn, Some(ORG)).await.unwrap().broken.is_empty());
    // Without a permit nothing can delete or change an event, and PostgreSQL refuses TRUNCATE.
    let delete = sqlx::query("DELETE FROM audit_events WHERE chain = $1").bind(ORG).execute(&mut *conn).await;
    assert!(delete.is_err(), "delete without a permit");
    if t.backend == Backend::Postgres {
        assert!(conn.execute("TRUNCATE audit_events").await.is_err(), "truncate");
    }
    // A signed checkpoint of a recent event is not explained away by a "prune" of it (one run
    // by someone with database access, with no retention to speak of).
    let key = &support::SECRET_KEY;
    write(&t.db, "test.recent", "ann@example.test", Outcome::Allowed, now + 10 * DAY).await;
    let mut conn = t.db.conn().await.unwrap();
    let recent = app::audit::retention::sign_head(&mut conn, key, ORG, now + 10 * DAY).await.unwrap();
    drop(conn);
    prune_chain(&t.db, ORG, Some(ORG), 0, now + 10 * DAY + 60).await.unwrap().unwrap();
    let mut conn = t.db.conn().await.unwrap();
    assert_eq!(
        app::audit::retention::check_checkpoint(&mut conn, key, &recent).await.unwrap(),
        app::audit::retention::CheckpointCheck::Replaced
    );
    // Deleting the start by hand (a permit forged by someone with database access) without the
    // prune's checkpoint is found.
    drop(conn);
    drop_append_only_triggers(t).await;
    sqlx::query("DELETE FROM audit_events WHERE chain = $1 AND action = $2")
        .bind(ORG)
        .bind(PRUNED)
        .execute(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    let mut conn = t.db.conn().await.unwrap();
    assert!(!verify(&mut conn, Some(ORG)).await.unwrap().broken.is_empty());
});

db_test!(a_signed_checkpoint_catches_a_cut_off_end_that_the_chain_alone_misses, |t| {
    use app::audit::retention::{CheckpointCheck, check_checkpoint, sign_head};
    seed_events(&t.db).await;
    let key = &support::SECRET_KEY;
    let mut conn = t.db.conn().await.unwrap();
    let checkpoint = sign_head(&mut conn, key, ORG, 1_800_000_000).await.unwrap();
    assert_eq!(checkpoint.seq, 10);
    assert_eq!(check_checkpoint(&mut conn, key, &checkpoint).await.unwrap(), CheckpointCheck::Extends);
    // Later events do not matter; an edited checkpoint or another key's does.
    drop(conn);
    write(&t.db, "test.later", "ann@example.test", Outcome::Allowed, 1_800_000_100).await;
    let mut conn = t.db.conn().await.unwrap();
    assert_eq!(check_checkpoint(&mut conn, key, &checkpoint).await.unwrap(), CheckpointCheck::Extends);
    let mut edited = checkpoint.clone();
    edited.seq = 3;
    assert_eq!(check_checkpoint(&mut conn, key, &edited).await.unwrap(), CheckpointCheck::BadSignature);
    let other = app::config::SecretKey([9; 32]);
    assert_eq!(check_checkpoint(&mut conn, &other, &checkpoint).await.unwrap(), CheckpointCheck::BadSignature);
    drop(conn);
    // Someone with database access cuts the last events off and rewinds the chain head: the
    // chain alone still verifies…
    drop_append_only_triggers(t).await;
    sqlx::query("DELETE FROM audit_events WHERE chain = $1 AND seq >= 8")
        .bind(ORG)
        .execute(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    sqlx::query(
        "UPDATE audit_chains SET seq = 7, last_hash = (SELECT hash FROM audit_events WHERE chain = $1 AND seq = 7) \
         WHERE chain = $1",
    )
    .bind(ORG)
    .execute(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap();
    let mut conn = t.db.conn().await.unwrap();
    assert!(verify(&mut conn, Some(ORG)).await.unwrap().broken.is_empty(), "the blind spot");
    // …but not against the checkpoint.
    assert_eq!(
        check_checkpoint(&mut conn, key, &checkpoint).await.unwrap(),
        CheckpointCheck::Truncated { log_ends_at: 7 }
    );
});

db_test!(anonymous_refusals_become_one_event_per_address_and_minute, |t| {
    use app::audit::retention::{count_anonymous_denial, flush_anonymous_denials};
    let minute = 1_800_000_000; // the start of a minute
    for n in 0..1_000 {
        let at = minute + n % 60;
        count_anonymous_denial(&t.db, Some("203.0.113.5"), "endpoint:/api/team/members", "sign_in_required", at)
            .await
            .unwrap();
    }
    count_anonymous_denial(&t.db, Some("198.51.100.1"), "page:/settings/team", "sign_in_required", minute)
        .await
        .unwrap();
    // Nothing is written while the minute lasts…
    assert_eq!(flush_anonymous_denials(&t.db, minute + 59).await.unwrap(), 0);
    assert_eq!(support::count(&t.db, "audit_events").await, 0);
    // …then one event per address, with the count.
    assert_eq!(flush_anonymous_denials(&t.db, minute + 60).await.unwrap(), 2);
    let (attempts, target): (String, String) = sqlx::query_as(
        "SELECT metadata, target_id FROM audit_events WHERE ip = '203.0.113.5' AND action = 'access.denied'",
    )
    .fetch_one(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap();
    assert!(attempts.contains("\"attempts\":1000"), "{attempts}");
    assert_eq!(target, "/api/team/members");
    assert_eq!(flush_anonymous_denials(&t.db, minute + 120).await.unwrap(), 0, "flushed once");
});
