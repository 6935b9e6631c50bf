//! Finance rules (DESIGN §7) on SQLite and PostgreSQL: gapless invoice numbers under
//! concurrent issuing, issued invoices that no longer change, organization scoping and
//! masked customer details.

mod support;

use app::error::AppError;
use app::finance::money::{self, NewPayment};
use app::finance::policy::{Approval, Line, PaymentMethod, RefundStatus};
use app::finance::server::{self as finance, Draft, NewCustomer, Shown, Viewer};
use app::finance::{edits, ledger, types::EditStatus};
use app::orgs::server::{self as orgs, SettingsInput};
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

/// `USER` looking at `org_id`'s finance in `tz` at `now`.
fn viewer<'a>(org_id: &'a str, tz: &'a str, now: i64, shown: Shown) -> Viewer<'a> {
    Viewer { org_id, user_id: USER, tz, now, shown }
}

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

/// Issues all of `drafts` at the same moment, one task each.
async fn issue_at_once(t: &TestDb, org_id: &str, drafts: &[String]) -> Vec<Result<String, AppError>> {
    let barrier = tokio::sync::Barrier::new(drafts.len());
    let issues = drafts.iter().map(|id| {
        let barrier = &barrier;
        async move {
            barrier.wait().await;
            issue(t, org_id, id).await
        }
    });
    futures::future::join_all(issues).await
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
    let mut numbers: Vec<String> = issue_at_once(t, &acme, &drafts).await.into_iter().map(Result::unwrap).collect();
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
    let shown = finance::invoice(&mut conn, viewer(&acme, "Asia/Kolkata", NOW, Shown::Masked), &other).await.unwrap();
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
    let found = finance::invoice(&mut conn, viewer(&globex, "UTC", NOW, Shown::All), &id).await;
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
    let still = finance::invoice(&mut conn, viewer(&acme, "UTC", NOW, Shown::All), &id).await.unwrap();
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
    let before =
        finance::invoice(&mut conn, viewer(&acme, "Asia/Kolkata", at("2027-02-14T18:29:00Z"), Shown::Name), &id).await;
    assert!(!before.unwrap().overdue);
    let after =
        finance::invoice(&mut conn, viewer(&acme, "Asia/Kolkata", at("2027-02-14T18:31:00Z"), Shown::Name), &id).await;
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
    let shown = finance::invoice(&mut conn, viewer(&acme, "UTC", NOW, Shown::Name), &id).await.unwrap();
    assert_eq!(shown.lines, lines);
    assert_eq!((shown.totals.subtotal, shown.totals.tax, shown.totals.total), (8_000, 300, 8_300));
    assert_eq!((shown.currency.as_str(), shown.due_on.as_str()), ("EUR", "2027-03-01"));
    drop(conn);

    let mut tx = t.db.begin().await.unwrap();
    finance::delete_draft(&mut tx, &acme, &id).await.unwrap();
    tx.commit().await.unwrap();
    let mut conn = t.db.conn().await.unwrap();
    let gone = finance::invoice(&mut conn, viewer(&acme, "UTC", NOW, Shown::Name), &id).await;
    assert!(matches!(gone, Err(AppError::NotFound)), "{gone:?}");
    let left: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM invoice_lines WHERE invoice_id = $1")
        .bind(&id)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(left, 0);
});

/// Another member of the organization's finance team (approvers, in these tests).
async fn person(t: &TestDb, id: &str) -> &'static str {
    sqlx::query(
        "INSERT INTO users (id, email, name, password_hash, created_at, updated_at) \
         VALUES ($1, $1, $1, 'x', 0, 0) ON CONFLICT (id) DO NOTHING",
    )
    .bind(id)
    .execute(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap();
    Box::leak(id.to_string().into_boxed_str())
}

fn as_user<'a>(org_id: &'a str, user_id: &'a str) -> Viewer<'a> {
    Viewer { org_id, user_id, tz: "Asia/Kolkata", now: NOW, shown: Shown::Name }
}

/// An issued invoice of 3,540.00 INR (354,000 minor units).
async fn issued(t: &TestDb, org_id: &str) -> String {
    let c = customer(t, org_id).await;
    let id = draft(t, org_id, &c).await;
    issue(t, org_id, &id).await.unwrap();
    id
}

async fn pay(
    t: &TestDb,
    v: Viewer<'_>,
    invoice_id: &str,
    method: PaymentMethod,
    amount: i64,
    reference: Option<&str>,
) -> Result<String, AppError> {
    let p = NewPayment { method, amount, reference: reference.map(str::to_string) };
    let mut tx = t.db.begin().await?;
    let (id, _) = money::record_payment(&mut tx, v, invoice_id, &p).await?;
    tx.commit().await?;
    Ok(id)
}

async fn status_and_paid(t: &TestDb, org_id: &str, id: &str) -> (String, i64, i64) {
    sqlx::query_as("SELECT status, paid, refunded FROM invoices WHERE id = $1 AND org_id = $2")
        .bind(id)
        .bind(org_id)
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap()
}

db_test!(a_bank_transfer_confirmed_by_two_people_at_once_is_one_payment, |t| {
    let acme = org(t, "Acme").await;
    let (a, b) = (person(t, "admin-a").await, person(t, "admin-b").await);
    let id = issued(t, &acme).await;
    let transfer =
        pay(t, as_user(&acme, USER), &id, PaymentMethod::BankTransfer, 100_000, Some("NEFT-1")).await.unwrap();
    // Announced, not yet counted.
    assert_eq!(status_and_paid(t, &acme, &id).await, ("issued".into(), 0, 0));
    let barrier = tokio::sync::Barrier::new(2);
    let confirmations = [a, b].map(|who| {
        let (acme, transfer, barrier) = (&acme, &transfer, &barrier);
        async move {
            barrier.wait().await;
            let mut tx = t.db.begin().await.unwrap();
            let answer = money::confirm(&mut tx, as_user(acme, who), transfer).await.unwrap().0;
            tx.commit().await.unwrap();
            (who, answer)
        }
    });
    let answers = futures::future::join_all(confirmations).await;
    let first: Vec<_> = answers.iter().filter(|(_, a)| !a.already).collect();
    assert_eq!(first.len(), 1, "exactly one confirmation counts");
    let (winner, _) = first[0];
    for (_, answer) in &answers {
        assert_eq!(answer.confirmed_by, *winner, "both answers say who confirmed it");
    }
    assert_eq!(status_and_paid(t, &acme, &id).await, ("partially_paid".into(), 100_000, 0));
    // Again, later: nothing changes, and the answer says when and by whom.
    let mut tx = t.db.begin().await.unwrap();
    let (again, _, _) = money::confirm(&mut tx, as_user(&acme, a), &transfer).await.unwrap();
    tx.commit().await.unwrap();
    assert!(again.already && !again.confirmed_at.is_empty());
    assert_eq!(support::count(&t.db, "payments").await, 1);
    // The same reference recorded again is refused; a card payment counts at once.
    let dup = pay(t, as_user(&acme, USER), &id, PaymentMethod::BankTransfer, 100_000, Some("NEFT-1")).await;
    assert_eq!(code(dup), "payment_duplicate");
    pay(t, as_user(&acme, USER), &id, PaymentMethod::Card, 254_000, Some("ch_1")).await.unwrap();
    assert_eq!(status_and_paid(t, &acme, &id).await, ("paid".into(), 354_000, 0));
    let over = pay(t, as_user(&acme, USER), &id, PaymentMethod::Card, 1, Some("ch_2")).await;
    assert_eq!(code(over), "invoice_paid");
});

db_test!(the_same_reference_recorded_at_once_is_one_payment, |t| {
    let acme = org(t, "Acme").await;
    let id = issued(t, &acme).await;
    let barrier = tokio::sync::Barrier::new(4);
    let attempts = (0..4).map(|_| {
        let (acme, id, barrier) = (&acme, &id, &barrier);
        async move {
            barrier.wait().await;
            pay(t, as_user(acme, USER), id, PaymentMethod::Paypal, 10_000, Some("PAYID-7")).await
        }
    });
    let results = futures::future::join_all(attempts).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    for refused in results.into_iter().filter(Result::is_err) {
        assert_eq!(code(refused), "payment_duplicate");
    }
    assert_eq!(status_and_paid(t, &acme, &id).await.1, 10_000);
});

async fn request(t: &TestDb, v: Viewer<'_>, invoice_id: &str, amount: i64) -> Result<String, AppError> {
    let mut tx = t.db.begin().await?;
    let (id, _, _) = money::request_refund(&mut tx, v, invoice_id, amount, "Damaged goods").await?;
    tx.commit().await?;
    Ok(id)
}

async fn approve(t: &TestDb, v: Viewer<'_>, refund_id: &str) -> Result<money::RefundDecision, AppError> {
    let mut tx = t.db.begin().await?;
    let d = money::decide(&mut tx, v, refund_id, true, None).await?;
    tx.commit().await?;
    Ok(d)
}

db_test!(concurrent_approvals_never_refund_more_than_was_paid, |t| {
    let acme = org(t, "Acme").await;
    let (a, b) = (person(t, "admin-a").await, person(t, "admin-b").await);
    let id = issued(t, &acme).await;
    pay(t, as_user(&acme, USER), &id, PaymentMethod::Card, 100_000, Some("ch_1")).await.unwrap();
    // Two requests of 60,000 each fit one by one, but not together.
    let first = request(t, as_user(&acme, USER), &id, 60_000).await.unwrap();
    let second = request(t, as_user(&acme, USER), &id, 60_000).await.unwrap();
    assert_eq!(code(request(t, as_user(&acme, USER), &id, 100_001).await), "refund_exceeds_paid");
    let barrier = tokio::sync::Barrier::new(2);
    let approvals = [(a, &first), (b, &second)].map(|(who, refund)| {
        let (acme, barrier) = (&acme, &barrier);
        async move {
            barrier.wait().await;
            approve(t, as_user(acme, who), refund).await
        }
    });
    let results = futures::future::join_all(approvals).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    assert_eq!(code(results.into_iter().find(Result::is_err).unwrap()), "refund_exceeds_paid");
    assert_eq!(status_and_paid(t, &acme, &id).await, ("partially_paid".into(), 100_000, 60_000));
});

db_test!(nobody_decides_their_own_refund_and_big_ones_need_two_approvers, |t| {
    let acme = org(t, "Acme").await;
    let owner = person(t, "owner").await;
    let (a, b) = (person(t, "admin-a").await, person(t, "admin-b").await);
    let id = issued(t, &acme).await;
    pay(t, as_user(&acme, USER), &id, PaymentMethod::Card, 354_000, Some("ch_1")).await.unwrap();
    // The owner holds both permissions; their own request is still someone else's to decide.
    let own = request(t, as_user(&acme, owner), &id, 1_000).await.unwrap();
    let refused = approve(t, as_user(&acme, owner), &own).await;
    assert!(matches!(refused, Err(AppError::Refused { .. })), "{refused:?}");
    assert_eq!(code(refused), "own_request");
    assert_eq!(approve(t, as_user(&acme, a), &own).await.unwrap().approval, Some(Approval::Final));
    // Above the threshold: two different approvers, neither the requester.
    let mut tx = t.db.begin().await.unwrap();
    money::set_two_approvals_above(&mut tx, &acme, Some(50_000), NOW).await.unwrap();
    tx.commit().await.unwrap();
    let big = request(t, as_user(&acme, USER), &id, 200_000).await.unwrap();
    assert_eq!(approve(t, as_user(&acme, a), &big).await.unwrap().approval, Some(Approval::First));
    assert_eq!(code(approve(t, as_user(&acme, a), &big).await), "already_approved");
    assert_eq!(code(approve(t, as_user(&acme, USER), &big).await), "own_request");
    assert_eq!(status_and_paid(t, &acme, &id).await.2, 1_000, "not refunded after one approval");
    assert_eq!(approve(t, as_user(&acme, b), &big).await.unwrap().approval, Some(Approval::Final));
    assert_eq!(status_and_paid(t, &acme, &id).await.2, 201_000);
    assert_eq!(code(approve(t, as_user(&acme, b), &big).await), "refund_decided");
    // Executed once the money went back, with who and when.
    let mut tx = t.db.begin().await.unwrap();
    money::execute(&mut tx, as_user(&acme, USER), &big, Some("rf_1")).await.unwrap();
    tx.commit().await.unwrap();
    let mut conn = t.db.conn().await.unwrap();
    let refunds = money::refunds_of(&mut conn, as_user(&acme, USER), &id).await.unwrap();
    let big = refunds.iter().find(|r| r.id == big).unwrap();
    assert_eq!(big.status, RefundStatus::Executed);
    assert_eq!((big.first_approved_by.as_deref(), big.approved_by.as_deref()), (Some("admin-a"), Some("admin-b")));
    assert_eq!(big.executed_by.as_deref(), Some("Fin Ance"));
});

db_test!(refund_requests_expire_after_fourteen_days, |t| {
    let acme = org(t, "Acme").await;
    let a = person(t, "admin-a").await;
    let id = issued(t, &acme).await;
    pay(t, as_user(&acme, USER), &id, PaymentMethod::Card, 10_000, Some("ch_1")).await.unwrap();
    let refund = request(t, as_user(&acme, USER), &id, 5_000).await.unwrap();
    let late = Viewer { now: NOW + 14 * 86_400, ..as_user(&acme, a) };
    let d = approve(t, late, &refund).await.unwrap();
    assert!(d.expired && d.approval.is_none());
    assert_eq!(code(approve(t, late, &refund).await), "refund_decided");
    assert_eq!(status_and_paid(t, &acme, &id).await.2, 0);
    // The sweep expires the rest, each with its own event.
    let other = request(t, as_user(&acme, USER), &id, 5_000).await.unwrap();
    assert_eq!(money::expire_refunds(&t.db, NOW + 13 * 86_400).await.unwrap(), 0);
    assert_eq!(money::expire_refunds(&t.db, NOW + 15 * 86_400).await.unwrap(), 1);
    let events: i64 =
        sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events WHERE action = 'refund.expire'")
            .fetch_one(&mut *t.db.conn().await.unwrap())
            .await
            .unwrap();
    assert_eq!(events, 1);
    let mut conn = t.db.conn().await.unwrap();
    let refunds = money::refunds_of(&mut conn, as_user(&acme, USER), &id).await.unwrap();
    assert!(refunds.iter().all(|r| r.status == RefundStatus::Expired), "{other}");
});

fn proposal(customer_id: &str, unit_price: i64) -> Draft {
    Draft::new(
        customer_id.to_string(),
        finance::parse_day("due_on", "2027-03-01").unwrap(),
        vec![Line { description: "Consulting".into(), quantity: 2, unit_price, tax_bp: 1_800 }],
    )
    .unwrap()
}

async fn propose(t: &TestDb, v: Viewer<'_>, id: &str, version: i64, d: &Draft) -> Result<String, AppError> {
    let mut tx = t.db.begin().await?;
    let (edit, _) = edits::propose(&mut tx, v, id, version, d, "Rate agreed in the call").await?;
    tx.commit().await?;
    Ok(edit)
}

db_test!(edits_of_issued_invoices_wait_for_another_approver_and_stale_ones_are_superseded, |t| {
    let acme = org(t, "Acme").await;
    let a = person(t, "admin-a").await;
    let id = issued(t, &acme).await;
    let c: String = sqlx::query_scalar("SELECT customer_id FROM invoices WHERE id = $1")
        .bind(&id)
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    let cheaper = propose(t, as_user(&acme, USER), &id, 1, &proposal(&c, 100_000)).await.unwrap();
    let dearer = propose(t, as_user(&acme, USER), &id, 1, &proposal(&c, 200_000)).await.unwrap();
    // Nothing changed yet; the author cannot approve.
    assert_eq!(status_and_paid(t, &acme, &id).await.0, "issued");
    let mut tx = t.db.begin().await.unwrap();
    assert_eq!(code(edits::approve(&mut tx, as_user(&acme, USER), &cheaper).await), "own_request");
    drop(tx);
    let mut tx = t.db.begin().await.unwrap();
    let d = edits::approve(&mut tx, as_user(&acme, a), &cheaper).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!((d.before, d.after), ((1, 354_000), (2, 236_000)));
    assert_eq!(status_and_paid(t, &acme, &id).await.0, "issued", "nothing was paid: still issued");
    // The other edit was based on version 1: superseded, and so is a new one based on it.
    let mut tx = t.db.begin().await.unwrap();
    assert_eq!(code(edits::approve(&mut tx, as_user(&acme, a), &dearer).await), "edit_superseded");
    drop(tx);
    assert_eq!(code(propose(t, as_user(&acme, USER), &id, 1, &proposal(&c, 1)).await), "edit_superseded");
    // Version 1 is history, shown beside version 2.
    let mut conn = t.db.conn().await.unwrap();
    let shown = finance::invoice(&mut conn, as_user(&acme, a), &id).await.unwrap();
    assert_eq!((shown.version, shown.totals.total), (2, 236_000));
    assert_eq!(shown.history.len(), 1);
    assert_eq!(shown.history[0].totals.total, 354_000);
    assert!(shown.history[0].changes[0].changed());
    let states: Vec<_> = shown.edits.iter().map(|e| (e.id.clone(), e.status)).collect();
    assert!(
        states.contains(&(cheaper.clone(), EditStatus::Approved)) && states.contains(&(dearer, EditStatus::Superseded))
    );
    drop(conn);
    // An edit can never take the total below what was paid.
    pay(t, as_user(&acme, USER), &id, PaymentMethod::Card, 200_000, Some("ch_1")).await.unwrap();
    assert_eq!(code(propose(t, as_user(&acme, USER), &id, 2, &proposal(&c, 50_000)).await), "total_below_paid");
    // Rejected with a reason; another organization's edit is not found.
    let edit = propose(t, as_user(&acme, USER), &id, 2, &proposal(&c, 150_000)).await.unwrap();
    let globex = org(t, "Globex").await;
    let mut tx = t.db.begin().await.unwrap();
    assert_eq!(code(edits::reject(&mut tx, as_user(&globex, a), &edit, "no").await), "not_found");
    edits::reject(&mut tx, as_user(&acme, a), &edit, "Not what the customer signed").await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = t.db.begin().await.unwrap();
    assert_eq!(code(edits::approve(&mut tx, as_user(&acme, a), &edit).await), "edit_decided");
});

db_test!(competing_edits_approved_at_once_make_one_new_version, |t| {
    let acme = org(t, "Acme").await;
    let (a, b) = (person(t, "admin-a").await, person(t, "admin-b").await);
    let id = issued(t, &acme).await;
    let c: String = sqlx::query_scalar("SELECT customer_id FROM invoices WHERE id = $1")
        .bind(&id)
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    let first = propose(t, as_user(&acme, USER), &id, 1, &proposal(&c, 100_000)).await.unwrap();
    let second = propose(t, as_user(&acme, USER), &id, 1, &proposal(&c, 200_000)).await.unwrap();
    let barrier = tokio::sync::Barrier::new(2);
    let approvals = [(a, &first), (b, &second)].map(|(who, edit)| {
        let (acme, barrier) = (&acme, &barrier);
        async move {
            barrier.wait().await;
            let mut tx = t.db.begin().await?;
            let decided = edits::approve(&mut tx, as_user(acme, who), edit).await?;
            tx.commit().await?;
            Ok::<_, AppError>(decided)
        }
    });
    let results = futures::future::join_all(approvals).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    assert_eq!(code(results.into_iter().find(Result::is_err).unwrap()), "edit_superseded");
    let version: i64 = sqlx::query_scalar("SELECT version FROM invoices WHERE id = $1")
        .bind(&id)
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    assert_eq!(version, 2);
    assert_eq!(support::count(&t.db, "invoice_lines").await, 2, "one line for each of the two versions");
});

db_test!(payments_recorded_at_once_never_exceed_the_total, |t| {
    let acme = org(t, "Acme").await;
    let id = issued(t, &acme).await;
    // Four card payments of 60 % each, different references, at once: one fits.
    let barrier = tokio::sync::Barrier::new(4);
    let attempts = (0..4).map(|n| {
        let (acme, id, barrier) = (&acme, &id, &barrier);
        async move {
            barrier.wait().await;
            pay(t, as_user(acme, USER), id, PaymentMethod::Card, 212_400, Some(&format!("ch_{n}"))).await
        }
    });
    let results = futures::future::join_all(attempts).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    for refused in results.into_iter().filter(Result::is_err) {
        assert_eq!(code(refused), "payment_exceeds_balance");
    }
    assert_eq!(status_and_paid(t, &acme, &id).await, ("partially_paid".into(), 212_400, 0));
    assert_eq!(support::count(&t.db, "payments").await, 1);
});

/// The rollup's rows of `org_id`: day, invoiced, collected, refunded.
async fn rollup(t: &TestDb, org_id: &str) -> Vec<(i64, i64, i64, i64)> {
    let mut conn = t.db.conn().await.unwrap();
    ledger::days(&mut conn, org_id, i64::MIN, i64::MAX).await.unwrap()
}

/// What is owed per due day, as kept by the writers and as the invoices say: the same.
async fn owed_agrees(t: &TestDb, org_id: &str) {
    let mut conn = t.db.conn().await.unwrap();
    let kept: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT due_day, open_amount, open_invoices FROM finance_due \
         WHERE org_id = $1 AND (open_amount <> 0 OR open_invoices <> 0) ORDER BY due_day",
    )
    .bind(org_id)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let invoices: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT due_day, CAST(SUM(total - paid) AS BIGINT), CAST(COUNT(*) AS BIGINT) FROM invoices \
         WHERE org_id = $1 AND status IN ('issued', 'partially_paid') GROUP BY due_day ORDER BY due_day",
    )
    .bind(org_id)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    assert_eq!(kept, invoices, "what is owed per due day");
}

db_test!(the_daily_rollup_follows_every_movement_of_money_even_in_bursts, |t| {
    let acme = org(t, "Acme").await;
    let (a, b) = (person(t, "admin-a").await, person(t, "admin-b").await);
    let c = customer(t, &acme).await;
    let mut drafts = Vec::new();
    for _ in 0..8 {
        drafts.push(draft(t, &acme, &c).await);
    }
    // Eight issued at once: all eight counted on the local day, none twice.
    for issued in issue_at_once(t, &acme, &drafts).await {
        issued.unwrap();
    }
    // 2027-01-15 13:30 in Kolkata: local day 20,833.
    let day = finance::parse_day("day", "2027-01-15").unwrap();
    assert_eq!(rollup(t, &acme).await, vec![(day, 8 * 354_000, 0, 0)]);
    owed_agrees(t, &acme).await;

    // Card payments on four invoices at once, and one transfer confirmed by two people at once.
    let barrier = tokio::sync::Barrier::new(4);
    let payments = drafts[..4].iter().enumerate().map(|(n, id)| {
        let (acme, barrier) = (&acme, &barrier);
        async move {
            barrier.wait().await;
            pay(t, as_user(acme, USER), id, PaymentMethod::Card, 354_000, Some(&format!("ch_{n}"))).await
        }
    });
    for paid in futures::future::join_all(payments).await {
        paid.unwrap();
    }
    let transfer =
        pay(t, as_user(&acme, USER), &drafts[4], PaymentMethod::BankTransfer, 50_000, Some("NEFT-9")).await.unwrap();
    let barrier = tokio::sync::Barrier::new(2);
    let confirmations = [a, b].map(|who| {
        let (acme, transfer, barrier) = (&acme, &transfer, &barrier);
        async move {
            barrier.wait().await;
            let mut tx = t.db.begin().await.unwrap();
            money::confirm(&mut tx, as_user(acme, who), transfer).await.unwrap();
            tx.commit().await.unwrap();
        }
    });
    futures::future::join_all(confirmations).await;
    assert_eq!(rollup(t, &acme).await, vec![(day, 8 * 354_000, 4 * 354_000 + 50_000, 0)]);
    owed_agrees(t, &acme).await;

    // Two refunds approved at once; a void; an approved edit of an issued invoice.
    let refunds = [
        request(t, as_user(&acme, USER), &drafts[0], 10_000).await.unwrap(),
        request(t, as_user(&acme, USER), &drafts[1], 20_000).await.unwrap(),
    ];
    let barrier = tokio::sync::Barrier::new(2);
    let approvals = refunds.iter().zip([a, b]).map(|(refund, who)| {
        let (acme, barrier) = (&acme, &barrier);
        async move {
            barrier.wait().await;
            approve(t, as_user(acme, who), refund).await
        }
    });
    for approved in futures::future::join_all(approvals).await {
        assert_eq!(approved.unwrap().approval, Some(Approval::Final));
    }
    let mut tx = t.db.begin().await.unwrap();
    finance::void(&mut tx, &acme, &drafts[7], "Sent twice", NOW).await.unwrap();
    tx.commit().await.unwrap();
    let edit = propose(t, as_user(&acme, USER), &drafts[6], 1, &proposal(&c, 100_000)).await.unwrap();
    let mut tx = t.db.begin().await.unwrap();
    edits::approve(&mut tx, as_user(&acme, a), &edit).await.unwrap();
    tx.commit().await.unwrap();
    // 354,000 less for the void, 118,000 less for the edit (236,000 instead of 354,000).
    let kept = vec![(day, 6 * 354_000 + 236_000, 4 * 354_000 + 50_000, 30_000)];
    assert_eq!(rollup(t, &acme).await, kept);
    owed_agrees(t, &acme).await;
    // Owed: two invoices paid in full, one voided, one partly paid, one edited down.
    let mut conn = t.db.conn().await.unwrap();
    let (owed, open, _, _) = ledger::open(&mut conn, &acme, day).await.unwrap();
    drop(conn);
    assert_eq!((owed, open), (354_000 - 50_000 + 236_000 + 354_000, 3));

    // Built afresh from the invoices, payments and refunds: the same rows.
    let mut tx = t.db.begin().await.unwrap();
    assert_eq!(ledger::rebuild(&mut tx, &acme, "Asia/Kolkata").await.unwrap(), 1);
    tx.commit().await.unwrap();
    assert_eq!(rollup(t, &acme).await, kept);

    // In Honolulu (UTC-10) the same instant is still 14 January: a change of timezone moves
    // every figure to the day it falls on there.
    let input = SettingsInput::parse("Acme", "Pacific/Honolulu", "INR").unwrap();
    let mut tx = t.db.begin().await.unwrap();
    orgs::update_settings(&mut tx, &acme, &input, false, NOW).await.unwrap();
    tx.commit().await.unwrap();
    let moved: Vec<_> = kept.iter().map(|(d, i, c, r)| (d - 1, *i, *c, *r)).collect();
    assert_eq!(rollup(t, &acme).await, moved);
});
