//! Demo finance data (DESIGN §10): customers and a year of invoices with their payments for
//! each demo organization, proposed edits waiting for approval, refunds in every state and a
//! bank transfer awaiting confirmation; the same on every run (a fixed pseudo-random
//! sequence), and only into an organization that has no customers yet.

use app::db::{Conn, Value, new_id};
use app::error::Result;
use app::finance::policy::{self, Line, PaymentMethod, RefundStatus};
use app::finance::server::{self as finance, NewCustomer};
use std::collections::BTreeMap;

/// How much finance data an organization gets.
pub struct FinancePlan {
    pub customers: usize,
    pub invoices: usize,
    /// Over how many days before now the invoices were drafted.
    pub days: i64,
    pub tax_bp: i64,
    pub people: (&'static [&'static str], &'static [&'static str]),
    pub phone_prefix: &'static str,
    pub city: &'static str,
    /// Refunds above this many minor units need two approvers.
    pub two_approvals_above: Option<i64>,
    /// Proposed edits left waiting for an approver (with more than one, refunds in every state).
    pub pending_edits: usize,
    /// The newest this many invoices are still drafts.
    pub drafts: usize,
}

pub const ACME_FINANCE: FinancePlan = FinancePlan {
    customers: 200,
    invoices: 1_200,
    days: 365,
    tax_bp: 1_800,
    people: (
        &["Riya", "Arjun", "Priya", "Vikram", "Ananya", "Rahul", "Sneha", "Karan", "Meera", "Rohan", "Divya", "Aditya"],
        &["Sharma", "Iyer", "Patel", "Reddy", "Nair", "Gupta", "Menon", "Singh", "Rao", "Das", "Kulkarni", "Bose"],
    ),
    phone_prefix: "+91 98",
    city: "Bengaluru 560001\nIndia",
    // 50,000.00 INR.
    two_approvals_above: Some(5_000_000),
    pending_edits: 2,
    drafts: 6,
};

pub const GLOBEX_FINANCE: FinancePlan = FinancePlan {
    customers: 40,
    invoices: 120,
    days: 365,
    tax_bp: 1_900,
    people: (
        &["Lena", "Jonas", "Mia", "Felix", "Hannah", "Paul", "Emma", "Lukas"],
        &["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Wagner", "Hoffmann"],
    ),
    phone_prefix: "+49 30",
    city: "10115 Berlin\nGermany",
    // 1,000.00 EUR.
    two_approvals_above: Some(100_000),
    pending_edits: 1,
    drafts: 6,
};

const ITEMS: &[(&str, i64)] = &[
    ("Point-of-sale licence (monthly)", 249_900),
    ("Store setup and training", 1_500_000),
    ("Receipt printer", 899_900),
    ("Barcode scanner", 349_900),
    ("Support plan (quarterly)", 599_900),
    ("Inventory integration", 1_200_000),
];

/// A small fixed-sequence generator (demo data only: reproducible, not random).
pub(crate) struct Sequence(u64);

impl Sequence {
    /// A sequence seeded by `seed`'s text: the same data on every database and run.
    pub(crate) fn new(seed: &str) -> Sequence {
        Sequence(seed.bytes().fold(7, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b))))
    }

    pub(crate) fn next(&mut self, below: u64) -> u64 {
        // SplitMix64.
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % below.max(1)
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.next(items.len() as u64) as usize]
    }
}

/// Who does the finance work in a demo organization (user ids; the owner where the
/// organization has no finance team).
pub struct Team {
    pub owner: String,
    pub finance: String,
    pub finance_admin: String,
}

/// What [`seed_finance`] created.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FinanceReport {
    pub customers: usize,
    pub invoices: usize,
    pub payments: usize,
    pub refunds: usize,
    pub edits: usize,
}

fn text(s: impl Into<String>) -> Value {
    Value::Text(Some(s.into()))
}

/// Inserts `rows` into `head` (`INSERT INTO t (a, b, …)`), many to a statement: a year of
/// demo invoices is a few dozen statements, not thousands.
async fn insert_rows(tx: &mut Conn, head: &str, rows: Vec<Vec<Value>>) -> Result<()> {
    app::db::insert_rows(tx, head, &rows, "").await?;
    Ok(())
}

/// A generated invoice the special cases below pick from.
struct Seeded {
    id: String,
    status: &'static str,
    total: i64,
    paid: i64,
    lines: Vec<Line>,
    customer: String,
    due_day: i64,
}

/// Writes `count` invoices of `plan`'s shape over its days before `w.now` (the newest few
/// drafts, one in twenty void, most paid), numbered after `numbers` (the last number of each
/// year, advanced here), with their lines and payments, a hundred rows per statement.
#[allow(clippy::too_many_arguments)]
async fn write_invoices(
    tx: &mut Conn,
    w: &Work<'_>,
    tz: &str,
    plan: &FinancePlan,
    customers: &[String],
    count: usize,
    numbers: &mut BTreeMap<i64, i64>,
    seq: &mut Sequence,
) -> Result<(Vec<Seeded>, usize)> {
    let (org_id, currency, team, now) = (w.org_id, w.currency, w.team, w.now);
    let (mut invoice_rows, mut line_rows, mut payment_rows) = (Vec::new(), Vec::new(), Vec::new());
    let mut seeded = Vec::with_capacity(count);
    for n in 0..count {
        let created = now - plan.days * 86_400 + (n as i64) * plan.days * 86_400 / count as i64;
        let lines: Vec<Line> = (0..1 + seq.next(3))
            .map(|_| {
                let (description, price) = *seq.pick(ITEMS);
                Line {
                    description: description.into(),
                    quantity: 1 + seq.next(5) as i64,
                    unit_price: price,
                    tax_bp: plan.tax_bp,
                }
            })
            .collect();
        let totals = policy::totals(&lines).unwrap_or_default();
        // The newest few are drafts; one in twenty of the rest was voided.
        let draft = n + plan.drafts >= count;
        let issued_at = created + 3_600;
        let (issue_day, year) = finance::local_day_and_year(issued_at, tz);
        let due_day = issue_day + 30;
        let (mut status, number, issued, voided, reason) = if draft {
            ("draft", None, None, None, None)
        } else {
            let next = numbers.entry(year).or_insert(0);
            *next += 1;
            let number = Some(policy::invoice_number(year, *next));
            if seq.next(20) == 0 {
                ("void", number, Some(issued_at), Some(issued_at + 86_400), Some("Sent to the wrong customer"))
            } else {
                ("issued", number, Some(issued_at), None, None)
            }
        };
        let id = new_id();
        // Most customers pay within the month; some pay half, some not yet (overdue once due).
        let mut paid = 0;
        if status == "issued" {
            let age_days = (now - issued_at) / 86_400;
            let roll = seq.next(100);
            let (full, half) = if age_days > 45 { (85, 92) } else { (40, 50) };
            let amount = if roll < full {
                totals.total
            } else if roll < half {
                totals.total / 2
            } else {
                0
            };
            let paid_at = (issued_at + (2 + seq.next(35) as i64) * 86_400).min(now - 3_600);
            if amount > 0 && paid_at > issued_at {
                let method = *seq.pick(&[
                    PaymentMethod::Card,
                    PaymentMethod::Card,
                    PaymentMethod::BankTransfer,
                    PaymentMethod::Paypal,
                ]);
                let reference = match method {
                    PaymentMethod::Card => format!("ch_{}_{n:06}", w.tag.to_lowercase()),
                    PaymentMethod::BankTransfer => format!("TRF-{}-{n:06}", w.tag),
                    PaymentMethod::Paypal => format!("PAYID-{}-{n:06}", w.tag),
                };
                let confirmer = method.needs_confirmation().then(|| team.finance_admin.clone());
                payment_rows.push(vec![
                    text(new_id()),
                    text(org_id),
                    text(&id),
                    text(method.key()),
                    text(reference),
                    Value::Int(Some(amount)),
                    text(currency),
                    text("confirmed"),
                    text(&team.finance),
                    Value::Int(Some(paid_at)),
                    Value::Text(Some(confirmer.unwrap_or_else(|| team.finance.clone()))),
                    Value::Int(Some(paid_at + if method.needs_confirmation() { 86_400 } else { 0 })),
                ]);
                paid = amount;
                status = policy::status_after_payment(totals.total, paid).key();
            }
        }
        invoice_rows.push(vec![
            text(&id),
            text(org_id),
            text(seq.pick(customers).clone()),
            Value::Text(number),
            text(status),
            text(currency),
            Value::Int(Some(due_day)),
            Value::Int(Some(totals.subtotal)),
            Value::Int(Some(totals.tax)),
            Value::Int(Some(totals.total)),
            Value::Int(Some(paid)),
            text(&team.finance),
            Value::Int(Some(created)),
            Value::Int(issued),
            Value::Int(voided),
            Value::Text(reason.map(str::to_string)),
            Value::Int(Some(created)),
        ]);
        for (position, line) in lines.iter().enumerate() {
            line_rows.push(vec![
                text(&id),
                Value::Int(Some(1)),
                Value::Int(Some(position as i64)),
                text(&line.description),
                Value::Int(Some(line.quantity)),
                Value::Int(Some(line.unit_price)),
                Value::Int(Some(line.tax_bp)),
            ]);
        }
        let customer = match &invoice_rows.last().map(|r| &r[2]) {
            Some(Value::Text(Some(c))) => c.clone(),
            _ => String::new(),
        };
        seeded.push(Seeded { id, status, total: totals.total, paid, lines, customer, due_day });
    }
    let payments = payment_rows.len();
    insert_rows(
        tx,
        "INSERT INTO invoices (id, org_id, customer_id, number, status, currency, due_day, subtotal, tax, total, paid, \
                               created_by, created_at, issued_at, voided_at, void_reason, updated_at)",
        invoice_rows,
    )
    .await?;
    insert_rows(
        tx,
        "INSERT INTO invoice_lines (invoice_id, version, position, description, quantity, unit_price, tax_bp)",
        line_rows,
    )
    .await?;
    insert_rows(
        tx,
        "INSERT INTO payments (id, org_id, invoice_id, method, external_reference, amount, currency, status, \
                               recorded_by, recorded_at, confirmed_by, confirmed_at)",
        payment_rows,
    )
    .await?;
    // The counters continue after the numbers written.
    for (year, last) in numbers.iter() {
        sqlx::query(
            "INSERT INTO invoice_counters (org_id, year, next_number) VALUES ($1, $2, $3) \
             ON CONFLICT (org_id, year) DO UPDATE SET next_number = excluded.next_number",
        )
        .bind(org_id)
        .bind(year)
        .bind(last + 1)
        .execute(&mut *tx)
        .await?;
    }
    Ok((seeded, payments))
}

/// Adds `count` invoices over the last `days` to the organization called `slug`, the newest
/// `drafts` of them drafts, made by its owner (the benchmark's data: `gatehouse generate-invoices`). Returns how many invoices and
/// payments were written.
pub async fn generate_invoices(
    db: &app::db::Db,
    slug: &str,
    count: usize,
    drafts: usize,
    days: i64,
    now: i64,
) -> Result<(usize, usize)> {
    let mut tx = db.begin().await?;
    let (org_id, currency, tz): (String, String, String) =
        sqlx::query_as("SELECT id, currency, timezone FROM organizations WHERE slug = $1")
            .bind(slug)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(app::error::AppError::NotFound)?;
    let owner: String = sqlx::query_scalar(
        "SELECT m.user_id FROM memberships m JOIN roles r ON r.id = m.role_id \
         WHERE m.org_id = $1 AND r.role_key = 'owner' ORDER BY m.user_id LIMIT 1",
    )
    .bind(&org_id)
    .fetch_one(&mut *tx)
    .await?;
    let customers: Vec<String> = sqlx::query_scalar("SELECT id FROM customers WHERE org_id = $1 ORDER BY id")
        .bind(&org_id)
        .fetch_all(&mut *tx)
        .await?;
    if customers.is_empty() {
        return Err(app::error::AppError::conflict(
            "no_customers",
            "Seed the demo first: the organization has no customers.",
        ));
    }
    let counters: Vec<(i64, i64)> =
        sqlx::query_as("SELECT year, next_number - 1 FROM invoice_counters WHERE org_id = $1")
            .bind(&org_id)
            .fetch_all(&mut *tx)
            .await?;
    let mut numbers: BTreeMap<i64, i64> = counters.into_iter().collect();
    let team = Team { owner: owner.clone(), finance: owner.clone(), finance_admin: owner };
    let plan = FinancePlan { invoices: count, days, drafts, ..ACME_FINANCE };
    let tag = format!("GEN{now}");
    let w = Work { tag: &tag, org_id: &org_id, currency: &currency, team: &team, now };
    let mut seq = Sequence(count as u64);
    let (_, payments) = write_invoices(&mut tx, &w, &tz, &plan, &customers, count, &mut numbers, &mut seq).await?;
    app::db::lock_row(&mut tx, app::db::Locked::Organization, &org_id).await?;
    app::finance::ledger::rebuild(&mut tx, &org_id, &tz).await?;
    tx.commit().await?;
    Ok((count, payments))
}

/// Seeds `plan` into the organization unless it has customers.
#[allow(clippy::too_many_arguments)]
pub async fn seed_finance(
    tx: &mut Conn,
    org_id: &str,
    currency: &str,
    tz: &str,
    team: &Team,
    plan: &FinancePlan,
    now: i64,
) -> Result<FinanceReport> {
    // One seeding at a time per organization: the count below decides.
    app::db::lock_row(tx, app::db::Locked::Organization, org_id).await?;
    let existing: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM customers WHERE org_id = $1")
        .bind(org_id)
        .fetch_one(&mut *tx)
        .await?;
    if existing > 0 {
        return Ok(FinanceReport::default());
    }
    // Seeded by the plan, not the organization's (random) id: every database gets the same data.
    let mut seq = Sequence::new(plan.city);
    let mut customers = Vec::with_capacity(plan.customers);
    for n in 0..plan.customers {
        let (first, last) = (seq.pick(plan.people.0), seq.pick(plan.people.1));
        let customer = NewCustomer {
            name: format!("{first} {last}"),
            email: format!("{}.{}{n}@example.com", first.to_lowercase(), last.to_lowercase()),
            phone: format!("{}{:03} {:05}", plan.phone_prefix, seq.next(1_000), seq.next(100_000)),
            address: format!("{} Market Street\n{}", 1 + seq.next(200), plan.city),
            marketing_consent: seq.next(3) == 0,
        };
        let id = finance::create_customer(tx, org_id, &customer, now - plan.days * 86_400 - 86_400).await?;
        customers.push(id);
    }
    sqlx::query("UPDATE organizations SET refund_two_approvals_above = $1 WHERE id = $2")
        .bind(plan.two_approvals_above)
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
    let w = Work { tag: "DEMO", org_id, currency, team, now };
    let mut numbers: BTreeMap<i64, i64> = BTreeMap::new();
    let (seeded, payments) =
        write_invoices(tx, &w, tz, plan, &customers, plan.invoices, &mut numbers, &mut seq).await?;
    let mut report =
        FinanceReport { customers: plan.customers, invoices: plan.invoices, payments, ..Default::default() };
    let cx = w;
    // The newest unpaid invoice: its bank transfer arrived, and waits for confirmation.
    let unpaid: Vec<&Seeded> = seeded.iter().rev().filter(|i| i.status == "issued").collect();
    if let Some(invoice) = unpaid.first() {
        cx.transfer_awaiting(tx, invoice).await?;
        report.payments += 1;
    }
    // Edits proposed on unpaid invoices, waiting for an approver.
    let proposals = [
        ("Customer asked for one more unit on the first line.", 1, 100),
        ("Discount of 10 % agreed on the phone.", 0, 90),
    ];
    for ((reason, extra, percent), invoice) in proposals.iter().take(plan.pending_edits).zip(unpaid.iter().skip(1)) {
        cx.pending_edit(tx, invoice, reason, *extra, *percent).await?;
        report.edits += 1;
    }
    // Refunds in every state, on invoices paid in full (the largest one above the
    // two-approver threshold).
    let mut paid: Vec<&Seeded> = seeded.iter().filter(|i| i.status == "paid").collect();
    paid.sort_by_key(|i| std::cmp::Reverse(i.total));
    let states: &[RefundStatus] = if plan.pending_edits > 1 {
        &[
            RefundStatus::Requested,
            RefundStatus::Requested,
            RefundStatus::Approved,
            RefundStatus::Rejected,
            RefundStatus::Expired,
            RefundStatus::Executed,
        ]
    } else {
        &[RefundStatus::Requested]
    };
    for (n, (state, invoice)) in states.iter().zip(paid.iter()).enumerate() {
        // The first goes back in full (above the threshold); the others in part.
        let amount = if n == 0 { invoice.total } else { invoice.total / 4 };
        let needed = policy::approvals_needed(amount, plan.two_approvals_above);
        cx.refund(tx, invoice, *state, amount, needed, n as i64).await?;
        report.refunds += 1;
    }
    app::finance::ledger::rebuild(tx, org_id, tz).await?;
    Ok(report)
}

/// The organization and people the special cases are made by.
struct Work<'a> {
    /// Marks the payment references of one generation run (`DEMO` for the demo seed).
    tag: &'a str,
    org_id: &'a str,
    currency: &'a str,
    team: &'a Team,
    now: i64,
}

impl Work<'_> {
    async fn transfer_awaiting(&self, tx: &mut Conn, invoice: &Seeded) -> Result<()> {
        sqlx::query(
            "INSERT INTO payments (id, org_id, invoice_id, method, external_reference, amount, currency, status, \
                                   recorded_by, recorded_at) \
             VALUES ($1, $2, $3, 'bank_transfer', 'TRF-DEMO-AWAITING', $4, $5, 'awaiting_confirmation', $6, $7)",
        )
        .bind(new_id())
        .bind(self.org_id)
        .bind(&invoice.id)
        .bind(invoice.total - invoice.paid)
        .bind(self.currency)
        .bind(&self.team.finance)
        .bind(self.now - 2 * 3_600)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    async fn pending_edit(
        &self,
        tx: &mut Conn,
        invoice: &Seeded,
        reason: &str,
        extra: i64,
        percent: i64,
    ) -> Result<()> {
        let mut lines = invoice.lines.clone();
        if let Some(first) = lines.first_mut() {
            first.quantity += extra;
        }
        for line in &mut lines {
            line.unit_price = line.unit_price * percent / 100;
        }
        let totals = policy::totals(&lines).unwrap_or_default();
        sqlx::query(
            "INSERT INTO invoice_edits (id, org_id, invoice_id, base_version, customer_id, due_day, lines, subtotal, \
                                        tax, total, reason, requested_by, requested_at) \
             VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(new_id())
        .bind(self.org_id)
        .bind(&invoice.id)
        .bind(&invoice.customer)
        .bind(invoice.due_day)
        .bind(serde_json::to_string(&lines).unwrap_or_default())
        .bind(totals.subtotal)
        .bind(totals.tax)
        .bind(totals.total)
        .bind(reason)
        .bind(&self.team.finance)
        .bind(self.now - 5 * 3_600)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    async fn refund(
        &self,
        tx: &mut Conn,
        invoice: &Seeded,
        state: RefundStatus,
        amount: i64,
        needed: i64,
        n: i64,
    ) -> Result<()> {
        let team = self.team;
        // The expired request was asked 20 days ago; the others in the last days.
        let asked = if state == RefundStatus::Expired { self.now - 20 * 86_400 } else { self.now - (n + 1) * 86_400 };
        let decided = asked + 3_600;
        let approved = matches!(state, RefundStatus::Approved | RefundStatus::Executed);
        let (first, approver) = match (approved, needed) {
            (true, 2) => (Some(&team.owner), Some(&team.finance_admin)),
            (true, _) => (None, Some(&team.finance_admin)),
            // Above the threshold and still requested: the owner gave the first approval.
            (false, 2) if state == RefundStatus::Requested => (Some(&team.owner), None),
            _ => (None, None),
        };
        let rejected = state == RefundStatus::Rejected;
        sqlx::query(
            "INSERT INTO refunds (id, org_id, invoice_id, amount, currency, reason, status, approvals_needed, \
                                  requested_by, requested_at, expires_at, first_approved_by, first_approved_at, \
                                  approved_by, approved_at, rejected_by, rejected_at, reject_reason, expired_at, \
                                  executed_by, executed_at, external_reference) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)",
        )
        .bind(new_id())
        .bind(self.org_id)
        .bind(&invoice.id)
        .bind(amount)
        .bind(self.currency)
        .bind(["Order returned unopened.", "Service not delivered in time.", "Charged twice by mistake."][n as usize % 3])
        .bind(state.key())
        .bind(needed)
        .bind(&team.finance)
        .bind(asked)
        .bind(asked + policy::REFUND_EXPIRY_DAYS * 86_400)
        .bind(first)
        .bind(first.map(|_| decided))
        .bind(approver)
        .bind(approver.map(|_| decided + 60))
        .bind(rejected.then_some(&team.finance_admin))
        .bind(rejected.then_some(decided))
        .bind(rejected.then_some("The customer kept the goods."))
        .bind((state == RefundStatus::Expired).then_some(asked + policy::REFUND_EXPIRY_DAYS * 86_400))
        .bind((state == RefundStatus::Executed).then_some(&team.finance))
        .bind((state == RefundStatus::Executed).then_some(decided + 86_400))
        .bind((state == RefundStatus::Executed).then_some(format!("RF-DEMO-{n}")))
        .execute(&mut *tx)
        .await?;
        if approved {
            sqlx::query("UPDATE invoices SET refunded = refunded + $1 WHERE id = $2")
                .bind(amount)
                .bind(&invoice.id)
                .execute(&mut *tx)
                .await?;
        }
        Ok(())
    }
}
