//! Demo finance data (DESIGN §10): customers and recent invoices for each demo
//! organization, the same on every run (a fixed pseudo-random sequence), and only into an
//! organization that has no customers yet.

use app::db::{Conn, new_id};
use app::error::Result;
use app::finance::policy::{self, Line};
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
}

pub const ACME_FINANCE: FinancePlan = FinancePlan {
    customers: 200,
    invoices: 120,
    days: 90,
    tax_bp: 1_800,
    people: (
        &["Riya", "Arjun", "Priya", "Vikram", "Ananya", "Rahul", "Sneha", "Karan", "Meera", "Rohan", "Divya", "Aditya"],
        &["Sharma", "Iyer", "Patel", "Reddy", "Nair", "Gupta", "Menon", "Singh", "Rao", "Das", "Kulkarni", "Bose"],
    ),
    phone_prefix: "+91 98",
    city: "Bengaluru 560001\nIndia",
};

pub const GLOBEX_FINANCE: FinancePlan = FinancePlan {
    customers: 40,
    invoices: 30,
    days: 90,
    tax_bp: 1_900,
    people: (
        &["Lena", "Jonas", "Mia", "Felix", "Hannah", "Paul", "Emma", "Lukas"],
        &["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Wagner", "Hoffmann"],
    ),
    phone_prefix: "+49 30",
    city: "10115 Berlin\nGermany",
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
struct Sequence(u64);

impl Sequence {
    fn next(&mut self, below: u64) -> u64 {
        // SplitMix64.
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % below.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.next(items.len() as u64) as usize]
    }
}

/// Seeds `plan` into the organization unless it has customers; returns the customers and
/// invoices created.
pub async fn seed_finance(
    tx: &mut Conn,
    org_id: &str,
    currency: &str,
    tz: &str,
    creator: &str,
    plan: &FinancePlan,
    now: i64,
) -> Result<(usize, usize)> {
    // One seeding at a time per organization: the count below decides.
    app::db::lock_row(tx, app::db::Locked::Organization, org_id).await?;
    let existing: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM customers WHERE org_id = $1")
        .bind(org_id)
        .fetch_one(&mut *tx)
        .await?;
    if existing > 0 {
        return Ok((0, 0));
    }
    // Seeded by the plan, not the organization's (random) id: every database gets the same data.
    let mut seq = Sequence(plan.city.bytes().fold(7, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b))));
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
    let mut numbers: BTreeMap<i64, i64> = BTreeMap::new();
    for n in 0..plan.invoices {
        let created = now - plan.days * 86_400 + (n as i64) * plan.days * 86_400 / plan.invoices as i64;
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
        let draft = n + 6 >= plan.invoices;
        let issued_at = created + 3_600;
        let (issue_day, year) = finance::local_day_and_year(issued_at, tz);
        let due_day = issue_day + 30;
        let (status, number, issued, voided, reason) = if draft {
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
        sqlx::query(
            "INSERT INTO invoices (id, org_id, customer_id, number, status, currency, due_day, subtotal, tax, total, \
                                   created_by, created_at, issued_at, voided_at, void_reason, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $12)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(seq.pick(&customers))
        .bind(number)
        .bind(status)
        .bind(currency)
        .bind(due_day)
        .bind(totals.subtotal)
        .bind(totals.tax)
        .bind(totals.total)
        .bind(creator)
        .bind(created)
        .bind(issued)
        .bind(voided)
        .bind(reason)
        .execute(&mut *tx)
        .await?;
        finance::write_lines(tx, &id, 1, &lines).await?;
    }
    // The counters continue after the seeded numbers.
    for (year, last) in numbers {
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
    Ok((plan.customers, plan.invoices))
}
