//! Finance through the real router, on SQLite and PostgreSQL: customers' personal details
//! never reach a finance user, an owner's reveal is audited, drafts are made from the form's
//! indexed line fields, issued invoices refuse edits, and other tenants' invoices are not found.

#[path = "../../app/tests/support/mod.rs"]
mod support;

mod web;

use http::StatusCode;
use web::{app, events, get, post, sign_in};

/// Every raw customer name, email and phone number of the organization called `slug`.
async fn customer_details(t: &support::TestDb, slug: &str) -> Vec<String> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT c.name, c.email, c.phone FROM customers c JOIN organizations o ON o.id = c.org_id WHERE o.slug = $1",
    )
    .bind(slug)
    .fetch_all(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap();
    rows.into_iter().flat_map(|(name, email, phone)| [name, email, phone]).collect()
}

async fn first_invoice(t: &support::TestDb, slug: &str, status: &str) -> (String, String) {
    sqlx::query_as(
        "SELECT i.id, i.customer_id FROM invoices i JOIN organizations o ON o.id = i.org_id \
         WHERE o.slug = $1 AND i.status = $2 ORDER BY i.created_at, i.id LIMIT 1",
    )
    .bind(slug)
    .bind(status)
    .fetch_one(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap()
}

db_test!(no_answer_to_a_finance_user_holds_a_customers_raw_details, |t| {
    let app = app(t).await;
    let details = customer_details(t, "acme-retail").await;
    assert!(details.len() >= 300, "the demo has Acme's customers");
    let finance = sign_in(&app, t, "finance@acme.test").await;
    let (invoice, customer) = first_invoice(t, "acme-retail", "issued").await;
    // An invoice with a proposed edit: both versions' customers are shown.
    let edited: String = sqlx::query_scalar(
        "SELECT e.invoice_id FROM invoice_edits e JOIN organizations o ON o.id = e.org_id \
         WHERE o.slug = 'acme-retail' ORDER BY e.id LIMIT 1",
    )
    .fetch_one(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap();
    let answers = [
        get(&app, "/finance/invoices", Some(&finance)).await,
        get(&app, "/finance/customers", Some(&finance)).await,
        get(&app, &format!("/finance/invoices/{invoice}"), Some(&finance)).await,
        get(&app, "/finance/invoices/new", Some(&finance)).await,
        post(&app, "/api/finance/customers", "", Some(&finance)).await,
        post(&app, "/api/finance/invoices", "", Some(&finance)).await,
        post(&app, "/api/finance/invoice", &format!("invoice_id={invoice}"), Some(&finance)).await,
        post(&app, "/api/finance/customers/reveal", &format!("customer_id={customer}"), Some(&finance)).await,
        get(&app, &format!("/finance/customers/{customer}"), Some(&finance)).await,
        get(&app, "/finance/refunds", Some(&finance)).await,
        get(&app, "/finance/payments", Some(&finance)).await,
        get(&app, &format!("/finance/invoices/{edited}"), Some(&finance)).await,
        get(&app, &format!("/finance/invoices/{edited}/edit"), Some(&finance)).await,
        post(&app, "/api/finance/payments", "", Some(&finance)).await,
        post(&app, "/api/finance/refunds", "", Some(&finance)).await,
        post(&app, "/api/finance/invoice", &format!("invoice_id={edited}"), Some(&finance)).await,
    ];
    for (n, answer) in answers.iter().enumerate() {
        assert!(answer.status.is_success() || answer.status == StatusCode::FORBIDDEN, "answer {n}: {}", answer.status);
        for detail in &details {
            assert!(!answer.body.contains(detail.as_str()), "answer {n} holds {detail}");
        }
    }
    assert!(answers[0].body.contains("***"), "names are masked in the list");
    assert!(answers[11].body.contains("Proposed edits"), "the edit is shown, masked");
    // The reveals were refused, and those refusals (not a reveal) are what the log holds.
    assert_eq!(answers[7].status, StatusCode::FORBIDDEN);
    assert_eq!(answers[8].status, StatusCode::FORBIDDEN);
    assert_eq!(events(t, "action = 'customers.pii_reveal'").await, 0);
});

db_test!(an_owner_reveals_one_customer_and_the_look_is_audited, |t| {
    let app = app(t).await;
    let owner = sign_in(&app, t, "owner@acme.test").await;
    let (invoice, customer) = first_invoice(t, "acme-retail", "issued").await;
    let email: String = sqlx::query_scalar("SELECT email FROM customers WHERE id = $1")
        .bind(&customer)
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    // The invoice shows the name but not the contact details until asked.
    let page = get(&app, &format!("/finance/invoices/{invoice}"), Some(&owner)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains(&email));
    let r = post(&app, "/api/finance/customers/reveal", &format!("customer_id={customer}"), Some(&owner)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["email"], email.as_str());
    let condition = format!("action = 'customers.pii_reveal' AND target_id = '{customer}' AND outcome = 'allowed'");
    assert_eq!(events(t, &condition).await, 1);
    // Opening the customer's page is a reveal too: one view, one event.
    let page = get(&app, &format!("/finance/customers/{customer}"), Some(&owner)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&email));
    assert_eq!(events(t, &condition).await, 2);
});

db_test!(a_draft_from_the_form_is_issued_once_and_then_refuses_edits, |t| {
    let app = app(t).await;
    let finance = sign_in(&app, t, "finance@acme.test").await;
    let (_, customer) = first_invoice(t, "acme-retail", "issued").await;
    let lines = "description%5B0%5D=Setup&quantity%5B0%5D=2&unit_price%5B0%5D=1%2C250.50&tax_rate%5B0%5D=18\
                 &description%5B1%5D=&quantity%5B1%5D=&unit_price%5B1%5D=&tax_rate%5B1%5D=";
    let form = format!("customer_id={customer}&due_on=2030-01-31&{lines}");
    let r = post(&app, "/api/finance/invoices/create", &form, Some(&finance)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let location = r.header(http::header::LOCATION).to_string();
    let id = location.trim_start_matches("/finance/invoices/").split('?').next().unwrap().to_string();
    let (total, status): (i64, String) = sqlx::query_as("SELECT total, status FROM invoices WHERE id = $1")
        .bind(&id)
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    // 2 × 1,250.50 = 2,501.00, plus 18 % = 450.18.
    assert_eq!((total, status.as_str()), (295_118, "draft"));

    // Bad input changes nothing and names the field.
    let bad = format!("customer_id={customer}&due_on=31.01.2030&{lines}");
    let r = post(&app, "/api/finance/invoices/create", &bad, Some(&finance)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["field"], "due_on");

    let r = post(&app, "/api/finance/invoices/issue", &format!("invoice_id={id}"), Some(&finance)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let again = post(&app, "/api/finance/invoices/issue", &format!("invoice_id={id}"), Some(&finance)).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.json()["code"], "invoice_issued");
    let edit = format!("invoice_id={id}&{form}");
    let r = post(&app, "/api/finance/invoices/update", &edit, Some(&finance)).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // Finance may not void; the finance admin may.
    let r = post(&app, "/api/finance/invoices/void", &format!("invoice_id={id}&reason=typo"), Some(&finance)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(events(t, &format!("action = 'invoice.issue' AND target_id = '{id}'")).await, 1);
});

db_test!(other_tenants_and_other_roles_get_nothing, |t| {
    let app = app(t).await;
    let (invoice, _) = first_invoice(t, "acme-retail", "issued").await;
    let globex = sign_in(&app, t, "owner@globex.test").await;
    let r = post(&app, "/api/finance/invoice", &format!("invoice_id={invoice}"), Some(&globex)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let page = get(&app, &format!("/finance/invoices/{invoice}"), Some(&globex)).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let viewer = sign_in(&app, t, "viewer@acme.test").await;
    assert_eq!(get(&app, "/finance/invoices", Some(&viewer)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(post(&app, "/api/finance/invoices", "", Some(&viewer)).await.status, StatusCode::FORBIDDEN);
});

db_test!(a_transfer_confirmed_twice_counts_once_and_nobody_approves_their_own_refund, |t| {
    let app = app(t).await;
    let owner = sign_in(&app, t, "owner@acme.test").await;
    // The demo's bank transfer awaiting confirmation.
    let (payment, invoice, amount): (String, String, i64) = sqlx::query_as(
        "SELECT p.id, p.invoice_id, p.amount FROM payments p JOIN organizations o ON o.id = p.org_id \
         WHERE o.slug = 'acme-retail' AND p.status = 'awaiting_confirmation'",
    )
    .fetch_one(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap();
    let paid = || async {
        sqlx::query_as::<_, (i64, i64, String)>("SELECT paid, refunded, status FROM invoices WHERE id = $1")
            .bind(&invoice)
            .fetch_one(&mut *t.db.conn().await.unwrap())
            .await
            .unwrap()
    };
    let before = paid().await;
    let queue = get(&app, "/finance/payments?awaiting=1", Some(&owner)).await;
    assert_eq!(queue.status, StatusCode::OK);
    assert_eq!(queue.body.matches("Confirm it arrived").count(), 1, "the transfer awaits confirmation");
    let first = post(&app, "/api/finance/payments/confirm", &format!("payment_id={payment}"), Some(&owner)).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.json()["already"], false);
    let second = post(&app, "/api/finance/payments/confirm", &format!("payment_id={payment}"), Some(&owner)).await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(
        (second.json()["already"].clone(), second.json()["confirmed_by"].clone()),
        (true.into(), "Asha Owner".into())
    );
    assert_eq!(second.json()["confirmed_at"], first.json()["confirmed_at"]);
    let after = paid().await;
    assert_eq!((after.0, after.2.as_str()), (before.0 + amount, "paid"));
    assert_eq!(events(t, &format!("action = 'payment.confirm' AND target_id = '{payment}'")).await, 1);
    assert_eq!(events(t, &format!("action = 'payment.confirm_duplicate' AND target_id = '{payment}'")).await, 1);

    let queue = get(&app, "/finance/payments?awaiting=1", Some(&owner)).await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(!queue.body.contains("Confirm it arrived"), "nothing awaits confirmation any more");

    // The owner holds both refund permissions; their own request still needs someone else.
    let r = post(
        &app,
        "/api/finance/refunds/request",
        &format!("invoice_id={invoice}&amount=10&reason=Goodwill"),
        Some(&owner),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let refund: String = sqlx::query_scalar("SELECT id FROM refunds WHERE invoice_id = $1 AND status = 'requested'")
        .bind(&invoice)
        .fetch_one(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    let r = post(&app, "/api/finance/refunds/approve", &format!("refund_id={refund}"), Some(&owner)).await;
    assert_eq!((r.status, r.json()["code"].as_str()), (StatusCode::FORBIDDEN, Some("own_request")));
    assert_eq!(paid().await.1, before.1, "nothing was refunded");
    // The attempt is in the log, once, as refused.
    let refused = format!(
        "action = 'refund.approve' AND target_id = '{refund}' AND outcome = 'denied' AND reason = 'own_request'"
    );
    assert_eq!(events(t, &refused).await, 1);
    // Finance asks for refunds but never approves them.
    let finance = sign_in(&app, t, "finance@acme.test").await;
    let r = post(&app, "/api/finance/refunds/approve", &format!("refund_id={refund}"), Some(&finance)).await;
    assert_eq!((r.status, r.json()["code"].as_str()), (StatusCode::FORBIDDEN, Some("permission_required")));
    // The approval queue shows the request with the owner's own note, not the buttons.
    let page = get(&app, "/finance/refunds", Some(&owner)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Your request: another approver decides it."));
});

db_test!(the_invoice_export_is_masked_per_permission_formula_safe_and_audited, |t| {
    let app = app(t).await;
    let details = customer_details(t, "acme-retail").await;
    // A customer whose name a spreadsheet would run as a formula.
    sqlx::query(
        "UPDATE customers SET name = '=HYPERLINK(\"http://evil.example\")' WHERE id = \
         (SELECT customer_id FROM invoices WHERE number IS NOT NULL ORDER BY number LIMIT 1)",
    )
    .execute(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap();
    let finance = sign_in(&app, t, "finance@acme.test").await;
    let r = post(&app, "/api/finance/invoices/export", "status=", Some(&finance)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.header(http::header::CONTENT_TYPE).starts_with("text/csv"));
    assert!(r.header(http::header::CONTENT_DISPOSITION).contains("gatehouse-invoices-acme-retail-"));
    let mut lines = r.body.split("\r\n");
    assert_eq!(
        lines.next(),
        Some("number,customer,status,overdue,issued_on,due_on,currency,subtotal,tax,total,paid,refunded,open")
    );
    assert_eq!(r.body.split("\r\n").filter(|l| !l.is_empty()).count(), 1 + 1_200);
    for detail in &details {
        assert!(!r.body.contains(detail.as_str()), "the export holds {detail}");
    }
    // Amounts stay plain numbers; names are masked for finance.
    let row = r.body.split("\r\n").skip(1).find(|l| l.contains(",paid,")).unwrap().to_string();
    let cells: Vec<&str> = row.split(',').collect();
    assert!(cells[1].contains('*'), "{row}");
    assert!(cells[9].parse::<f64>().is_ok(), "{row}");
    assert_eq!(events(t, "action = 'finance.export'").await, 1);
    // The owner sees names; the formula is defused with a leading apostrophe.
    let owner = sign_in(&app, t, "owner@acme.test").await;
    let r = post(&app, "/api/finance/invoices/export", "status=", Some(&owner)).await;
    assert!(r.body.contains("\"'=HYPERLINK(\"\"http://evil.example\"\")\""), "the formula cell is neutralized");
    assert!(!r.body.contains(",=HYPERLINK"));
    // Bad input: 400 naming the field, nothing exported.
    let r = post(&app, "/api/finance/invoices/export", "status=lost", Some(&owner)).await;
    assert_eq!((r.status, r.json()["field"].as_str()), (StatusCode::BAD_REQUEST, Some("status")));
    assert_eq!(events(t, "action = 'finance.export'").await, 2);
    // Viewers export nothing.
    let viewer = sign_in(&app, t, "viewer@acme.test").await;
    assert_eq!(post(&app, "/api/finance/invoices/export", "", Some(&viewer)).await.status, StatusCode::FORBIDDEN);
});

db_test!(the_dashboard_adds_up_what_is_owed_and_what_came_in, |t| {
    let app = app(t).await;
    let owner = sign_in(&app, t, "owner@acme.test").await;
    let r = post(&app, "/api/finance/summary", "", Some(&owner)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let s = r.json();
    let one = |sql: &'static str| async move {
        sqlx::query_scalar::<_, i64>(sql).fetch_one(&mut *t.db.conn().await.unwrap()).await.unwrap()
    };
    let owed =
        one("SELECT CAST(SUM(i.total - i.paid) AS BIGINT) FROM invoices i JOIN organizations o ON o.id = i.org_id \
                    WHERE o.slug = 'acme-retail' AND i.status IN ('issued', 'partially_paid')")
        .await;
    assert_eq!(s["outstanding"], owed);
    assert!(s["overdue"].as_i64().unwrap() > 0 && s["overdue"].as_i64().unwrap() <= owed);
    assert_eq!(s["refunds_awaiting"], 2);
    assert_eq!(s["transfers_awaiting"], 1);
    assert_eq!(s["months"].as_array().unwrap().len(), 12);
    let collected: i64 = s["months"].as_array().unwrap().iter().map(|m| m["collected"].as_i64().unwrap()).sum();
    let all = one("SELECT CAST(SUM(p.amount) AS BIGINT) FROM payments p JOIN organizations o ON o.id = p.org_id \
                   WHERE o.slug = 'acme-retail' AND p.status = 'confirmed'")
    .await;
    // A year of payments, all but the ones older than the twelve local months.
    assert!(collected > 0 && collected <= all, "{collected} of {all}");
    assert!(s["chart"].as_str().unwrap().starts_with("<svg"));
    let page = get(&app, "/finance", Some(&owner)).await;
    assert_eq!(page.status, StatusCode::OK);
    for text in
        ["Outstanding", "Overdue", "Collected this month", "Refunds awaiting approval", "<svg", "<th scope=\"row\">"]
    {
        assert!(page.body.contains(text), "the dashboard lacks {text}");
    }
});
