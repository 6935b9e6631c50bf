//! Finance rules (DESIGN §7) on SQLite and PostgreSQL: gapless invoice numbers under
//! concurrent issuing, issued invoices that no longer change, organization scoping and
//! masked customer details.

mod support;

use app::error::AppError;
use app::finance::policy::Line;
use app::finance::server::{self as finance, Draft, NewCustomer, Shown};
use support::TestDb;

/// 2027-01-15 08:00 UTC.
const NOW: i64 = 1_800_000_000;

async fn org(t: &TestDb, name: &str) -> String {
    let id = format!("org-{name}");
    sqlx::query(
        "INSERT INTO organizations (id, name, slug, timezone, currency, onboarding_state, created_at, updated_at) \
         VALUES ($1, $2, $3, 'Asia/Kolkata', 'INR', 'complete', 0, 0)",
    )
    .bind(&id)
    .bind(name)
    .bind(name.to_lowercase())
    .execute(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO users (id, email, name, password_hash, created_at, updated_at) \
         VALUES ($1, $1, 'Fin Ance', 'x', 0, 0) ON CONFLICT (id) DO NOTHING",
    )
    .bind(USER)
    .execute(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap();
    id
}

/// Who drafts in these tests.
const USER: &str = "user-finance";

async fn customer(t: &TestDb, org_id: &str) -> String {
    let c =
        NewCustomer::parse("Riya Sharma", "riya@example.com", "+91 98765 54321", "1 MG Road\nBengaluru", true).unwrap();
    let mut tx = t.db.begin().await.unwrap();
    let id = finance::create_customer(&mut tx, org_id, &c, NOW).await.unwrap();
    tx.commit().await.unwrap();
    id
}

async fn draft(t: &TestDb, org_id: &str, customer_id: &str) -> String {
    let draft = Draft::new(
        customer_id.to_string(),
        finance::parse_day("due_on", "2027-02-14").unwrap(),
        vec![Line { description: "Consulting".into(), quantity: 2, unit_price: 150_000, tax_bp: 1_800 }],
    )
    .unwrap();
    let mut tx = t.db.begin().await.unwrap();
    let id = finance::create_draft(&mut tx, org_id, "INR", USER, &draft, NOW).await.unwrap();
    tx.commit().await.unwrap();
    id
}

async fn issue(t: &TestDb, org_id: &str, id: &str) -> Result<String, AppError> {
    let mut tx = t.db.begin().await?;
    let number = finance::issue(&mut tx, org_id, "Asia/Kolkata", id, NOW).await?;
    tx.commit().await?;
    Ok(number)
}

fn code(result: Result<impl std::fmt::Debug, AppError>) -> String {
    match result {
        Err(e) => e.code().to_string(),
        Ok(v) => panic!("expected a refusal, got {v:?}"),
    }
}

db_test!(twenty_concurrent_issues_take_twenty_consecutive_numbers, |t| {
    let acme = org(t, "Acme").await;
    let c = customer(t, &acme).await;
    let mut drafts = Vec::new();
    for _ in 0..20 {
        drafts.push(draft(t, &acme, &c).await);
    }
    let barrier = tokio::sync::Barrier::new(drafts.len());
    let issues = drafts.iter().map(|id| {
        let (acme, barrier) = (&acme, &barrier);
        async move {
            barrier.wait().await;
            issue(t, acme, id).await
        }
    });
    let mut numbers: Vec<String> = futures::future::join_all(issues).await.into_iter().map(Result::unwrap).collect();
    numbers.sort();
    let expected: Vec<String> = (1..=20).map(|n| format!("INV-2027-{n:06}")).collect();
    assert_eq!(numbers, expected);

    // A number taken by an issue that rolls back is given back: still no gap.
    let next = draft(t, &acme, &c).await;
    let mut tx = t.db.begin().await.unwrap();
    assert_eq!(finance::issue(&mut tx, &acme, "Asia/Kolkata", &next, NOW).await.unwrap(), "INV-2027-000021");
    tx.rollback().await.unwrap();
    assert_eq!(issue(t, &acme, &next).await.unwrap(), "INV-2027-000021");
});

db_test!(one_draft_issued_five_times_at_once_is_issued_once, |t| {
    let acme = org(t, "Acme").await;
    let c = customer(t, &acme).await;
    let id = draft(t, &acme, &c).await;
    let barrier = tokio::sync::Barrier::new(5);
    let attempts = (0..5).map(|_| {
        let (acme, id, barrier) = (&acme, &id, &barrier);
        async move {
            barrier.wait().await;
            issue(t, acme, id).await
        }
    });
    let results = futures::future::join_all(attempts).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    for refused in results.into_iter().filter(Result::is_err) {
        assert_eq!(code(refused), "invoice_issued");
    }
    // Only the one issue took a number: the others were refused, holding none.
    let other = draft(t, &acme, &c).await;
    assert_eq!(issue(t, &acme, &other).await.unwrap(), "INV-2027-000002");
});

db_test!(issued_invoices_no_longer_change_and_void_needs_no_payments, |t| {
    let acme = org(t, "Acme").await;
    let c = customer(t, &acme).await;
    let id = draft(t, &acme, &c).await;
    issue(t, &acme, &id).await.unwrap();
    let changed = Draft::new(c.clone(), 0, vec![]).unwrap();
    let mut tx = t.db.begin().await.unwrap();
    assert_eq!(code(finance::update_draft(&mut tx, &acme, "INR", &id, &changed, NOW).await), "invoice_issued");
    assert_eq!(code(finance::delete_draft(&mut tx, &acme, &id).await), "invoice_issued");
    tx.rollback().await.unwrap();

    // Money received: voiding is refused.
    sqlx::query("UPDATE invoices SET paid = 100, status = 'partially_paid' WHERE id = $1")
        .bind(&id)
        .execute(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    let mut tx = t.db.begin().await.unwrap();
    assert_eq!(code(finance::void(&mut tx, &acme, &id, "duplicate", NOW).await), "invoice_has_payments");
    tx.rollback().await.unwrap();

    // Nothing received: voided once, then refused.
    let other = draft(t, &acme, &c).await;
    issue(t, &acme, &other).await.unwrap();
    let mut tx = t.db.begin().await.unwrap();
    finance::void(&mut tx, &acme, &other, "sent twice", NOW).await.unwrap();
    tx.commit().await.unwrap();
    let mut conn = t.db.conn().await.unwrap();
    let shown = finance::invoice(&mut conn, &acme, "Asia/Kolkata", NOW, &other, Shown::Masked).await.unwrap();
    assert_eq!(shown.void_reason.as_deref(), Some("sent twice"));
    let mut tx = t.db.begin().await.unwrap();
    assert_eq!(code(finance::void(&mut tx, &acme, &other, "again", NOW).await), "invoice_void");
});

db_test!(another_organizations_invoices_and_customers_are_not_found, |t| {
    let acme = org(t, "Acme").await;
    let globex = org(t, "Globex").await;
    let c = customer(t, &acme).await;
    let id = draft(t, &acme, &c).await;
    let mut conn = t.db.conn().await.unwrap();
    let found = finance::invoice(&mut conn, &globex, "UTC", NOW, &id, Shown::All).await;
    assert!(matches!(found, Err(AppError::NotFound)), "{found:?}");
    assert!(matches!(finance::customer(&mut conn, &globex, &c, Shown::All).await, Err(AppError::NotFound)));
    drop(conn);
    assert!(matches!(issue(t, &globex, &id).await, Err(AppError::NotFound)));
    let mut tx = t.db.begin().await.unwrap();
    let edit = Draft::new(c.clone(), 0, vec![]).unwrap();
    assert!(matches!(finance::update_draft(&mut tx, &globex, "INR", &id, &edit, NOW).await, Err(AppError::NotFound)));
    assert!(matches!(finance::delete_draft(&mut tx, &globex, &id).await, Err(AppError::NotFound)));
    assert!(matches!(finance::void(&mut tx, &globex, &id, "x", NOW).await, Err(AppError::NotFound)));
    tx.rollback().await.unwrap();
    // Acme's draft is untouched.
    let mut conn = t.db.conn().await.unwrap();
    let still = finance::invoice(&mut conn, &acme, "UTC", NOW, &id, Shown::All).await.unwrap();
    assert_eq!((still.status, still.lines.len()), (app::finance::policy::InvoiceStatus::Draft, 1));
    drop(conn);
    // A draft for another organization's customer: not found either.
    let stolen = Draft::new(c.clone(), 0, vec![]).unwrap();
    let mut tx = t.db.begin().await.unwrap();
    let refused = finance::create_draft(&mut tx, &globex, "EUR", USER, &stolen, NOW).await;
    assert!(matches!(refused, Err(AppError::NotFound)), "{refused:?}");
});

db_test!(customer_details_are_masked_unless_revealed, |t| {
    let acme = org(t, "Acme").await;
    let c = customer(t, &acme).await;
    let mut conn = t.db.conn().await.unwrap();
    let masked = finance::customers(&mut conn, &acme, Shown::Masked).await.unwrap();
    assert_eq!(
        (masked[0].name.as_str(), masked[0].email.as_str(), masked[0].phone.as_str()),
        ("R*** S*****", "r***@e***.com", "+91 ******4321")
    );
    let names = finance::customers(&mut conn, &acme, Shown::Name).await.unwrap();
    assert_eq!((names[0].name.as_str(), names[0].email.as_str()), ("Riya Sharma", "r***@e***.com"));
    let all = finance::customer(&mut conn, &acme, &c, Shown::All).await.unwrap();
    assert_eq!((all.email.as_str(), all.masked), ("riya@example.com", false));
    let list = finance::invoices(&mut conn, &acme, "Asia/Kolkata", NOW, Shown::Masked, None, None).await.unwrap();
    assert!(list.rows.is_empty());
});

db_test!(the_invoice_list_pages_by_keyset_and_computes_overdue_locally, |t| {
    let acme = org(t, "Acme").await;
    let c = customer(t, &acme).await;
    // Seven distinct times with several invoices each: the page boundary falls inside a run of
    // equal times, so both the time and the id tie-break of the keyset are needed.
    for k in 0..(finance::PAGE_SIZE + 5) {
        let id = draft(t, &acme, &c).await;
        sqlx::query("UPDATE invoices SET created_at = $1 WHERE id = $2")
            .bind(NOW - k % 7)
            .bind(&id)
            .execute(&mut *t.db.conn().await.unwrap())
            .await
            .unwrap();
    }
    let mut conn = t.db.conn().await.unwrap();
    let first = finance::invoices(&mut conn, &acme, "Asia/Kolkata", NOW, Shown::Name, None, None).await.unwrap();
    assert_eq!(first.rows.len() as i64, finance::PAGE_SIZE);
    let second = finance::invoices(&mut conn, &acme, "Asia/Kolkata", NOW, Shown::Name, None, first.next.as_deref())
        .await
        .unwrap();
    assert_eq!(second.rows.len(), 5);
    assert!(second.next.is_none());
    let ids: std::collections::HashSet<_> = first.rows.iter().chain(&second.rows).map(|r| r.id.clone()).collect();
    assert_eq!(ids.len() as i64, finance::PAGE_SIZE + 5);
    drop(conn);

    // Due 2027-02-14: overdue from 2027-02-15 in India, which starts at 18:30 UTC the day before.
    let id = first.rows[0].id.clone();
    issue(t, &acme, &id).await.unwrap();
    let mut conn = t.db.conn().await.unwrap();
    let at = |utc: &str| chrono::DateTime::parse_from_rfc3339(utc).unwrap().timestamp();
    let before = finance::invoice(&mut conn, &acme, "Asia/Kolkata", at("2027-02-14T18:29:00Z"), &id, Shown::Name).await;
    assert!(!before.unwrap().overdue);
    let after = finance::invoice(&mut conn, &acme, "Asia/Kolkata", at("2027-02-14T18:31:00Z"), &id, Shown::Name).await;
    assert!(after.unwrap().overdue);
    let issued = finance::invoices(
        &mut conn,
        &acme,
        "Asia/Kolkata",
        NOW,
        Shown::Name,
        Some(app::finance::policy::InvoiceStatus::Issued),
        None,
    )
    .await
    .unwrap();
    assert_eq!(issued.rows.len(), 1);
});

db_test!(a_draft_is_edited_in_place_and_deleted_with_its_lines, |t| {
    let acme = org(t, "Acme").await;
    let c = customer(t, &acme).await;
    let id = draft(t, &acme, &c).await;
    let lines = vec![
        Line { description: "Setup".into(), quantity: 1, unit_price: 5_000, tax_bp: 0 },
        Line { description: "Scanner".into(), quantity: 3, unit_price: 1_000, tax_bp: 1_000 },
    ];
    let edit = Draft::new(c.clone(), finance::parse_day("due_on", "2027-03-01").unwrap(), lines.clone()).unwrap();
    // The organization now works in EUR: the edited draft becomes a EUR invoice.
    let mut tx = t.db.begin().await.unwrap();
    let (before, after) = finance::update_draft(&mut tx, &acme, "EUR", &id, &edit, NOW).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!((before, after), (354_000, 8_300));
    let mut conn = t.db.conn().await.unwrap();
    let shown = finance::invoice(&mut conn, &acme, "UTC", NOW, &id, Shown::Name).await.unwrap();
    assert_eq!(shown.lines, lines);
    assert_eq!((shown.totals.subtotal, shown.totals.tax, shown.totals.total), (8_000, 300, 8_300));
    assert_eq!((shown.currency.as_str(), shown.due_on.as_str()), ("EUR", "2027-03-01"));
    drop(conn);

    let mut tx = t.db.begin().await.unwrap();
    finance::delete_draft(&mut tx, &acme, &id).await.unwrap();
    tx.commit().await.unwrap();
    let mut conn = t.db.conn().await.unwrap();
    let gone = finance::invoice(&mut conn, &acme, "UTC", NOW, &id, Shown::Name).await;
    assert!(matches!(gone, Err(AppError::NotFound)), "{gone:?}");
    let left: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM invoice_lines WHERE invoice_id = $1")
        .bind(&id)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(left, 0);
});
