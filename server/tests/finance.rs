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
    ];
    for (n, answer) in answers.iter().enumerate() {
        assert!(answer.status.is_success() || answer.status == StatusCode::FORBIDDEN, "answer {n}: {}", answer.status);
        for detail in &details {
            assert!(!answer.body.contains(detail.as_str()), "answer {n} holds {detail}");
        }
    }
    assert!(answers[0].body.contains("***"), "names are masked in the list");
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
