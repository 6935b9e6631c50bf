//! Finance queries and changes (server only), scoped by the session's organization: a row of
//! another organization is not found. Every change checks the invoice's state with
//! [`policy::check`] inside the transaction that makes it, on the row it changes.

use super::ledger::{self, Figure};
use super::policy::{self, InvoiceAction, InvoiceStatus, Line, Totals};
use super::types::{CustomerView, InvoiceDetail, InvoiceList, InvoiceRow};
use crate::db::{Conn, new_id};
use crate::error::{AppError, Result};
use std::collections::BTreeMap;

/// Rows per page of a list.
pub const PAGE_SIZE: i64 = 50;

#[derive(sqlx::FromRow)]
struct CustomerRow {
    id: String,
    name: String,
    email: String,
    phone: String,
    address: String,
    marketing_consent: i64,
}

/// How much of a customer's personal details an answer carries. The raw values never
/// leave the server otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    /// Everything masked: callers without `customers.pii.read`.
    Masked,
    /// The name, the rest masked: holders of `customers.pii.read` in lists and on invoices.
    Name,
    /// Everything: a holder's audited reveal of one record.
    All,
}

impl Shown {
    pub fn names(pii: bool) -> Shown {
        if pii { Shown::Name } else { Shown::Masked }
    }
}

impl CustomerRow {
    fn view(self, shown: Shown) -> CustomerView {
        let all = shown == Shown::All;
        CustomerView {
            name: if shown == Shown::Masked { policy::mask_name(&self.name) } else { self.name },
            email: if all { self.email } else { policy::mask_email(&self.email) },
            phone: if all { self.phone } else { policy::mask_phone(&self.phone) },
            address: if all { self.address } else { policy::mask_address(&self.address) },
            id: self.id,
            marketing_consent: self.marketing_consent != 0,
            masked: !all,
        }
    }
}

const CUSTOMER: &str = "SELECT id, name, email, phone, address, marketing_consent FROM customers";

/// The organization's customers by name.
pub async fn customers(conn: &mut Conn, org_id: &str, shown: Shown) -> Result<Vec<CustomerView>> {
    // At most 1,000: enough for the draft form's picker today; a search comes with larger customer lists.
    let rows: Vec<CustomerRow> = sqlx::query_as(&format!("{CUSTOMER} WHERE org_id = $1 ORDER BY name, id LIMIT 1000"))
        .bind(org_id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.into_iter().map(|r| r.view(shown)).collect())
}

/// Up to `limit` customers by id after the id `after` (for the API's pages).
pub async fn customers_after(
    conn: &mut Conn,
    org_id: &str,
    shown: Shown,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<CustomerView>> {
    let rows: Vec<CustomerRow> =
        sqlx::query_as(&format!("{CUSTOMER} WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3"))
            .bind(org_id)
            .bind(after.unwrap_or_default())
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows.into_iter().map(|r| r.view(shown)).collect())
}

/// One customer.
pub async fn customer(conn: &mut Conn, org_id: &str, id: &str, shown: Shown) -> Result<CustomerView> {
    let row: CustomerRow = sqlx::query_as(&format!("{CUSTOMER} WHERE id = $1 AND org_id = $2"))
        .bind(id)
        .bind(org_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(row.view(shown))
}

/// A new customer's details, checked.
pub struct NewCustomer {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub address: String,
    pub marketing_consent: bool,
}

impl NewCustomer {
    pub fn parse(name: &str, email: &str, phone: &str, address: &str, consent: bool) -> Result<NewCustomer> {
        let name = crate::input::text("name", name.trim(), 100, false)?;
        if name.is_empty() {
            return Err(AppError::invalid("name", "Give the customer's name."));
        }
        let email = crate::auth::validate_email(email)?;
        let phone = crate::input::text("phone", phone.trim(), 30, false)?;
        if !phone.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')')) {
            return Err(AppError::invalid("phone", "Use digits, spaces, + - and brackets only."));
        }
        let address = crate::input::text("address", address.trim(), 500, true)?;
        Ok(NewCustomer { name, email, phone, address, marketing_consent: consent })
    }
}

pub async fn create_customer(conn: &mut Conn, org_id: &str, c: &NewCustomer, now: i64) -> Result<String> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO customers (id, org_id, name, email, phone, address, marketing_consent, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(&id)
    .bind(org_id)
    .bind(&c.name)
    .bind(&c.email)
    .bind(&c.phone)
    .bind(&c.address)
    .bind(crate::db::flag(c.marketing_consent))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

pub use crate::time::{EPOCH_CE, day_string, local_day_and_year, parse_day, today};

fn overdue(status: InvoiceStatus, due_day: i64, today: i64) -> bool {
    matches!(status, InvoiceStatus::Issued | InvoiceStatus::PartiallyPaid) && due_day < today
}

pub(super) fn status_of(key: &str) -> Result<InvoiceStatus> {
    InvoiceStatus::from_key(key).ok_or(AppError::Internal)
}

/// Parses a list's keyset cursor `at:id` (the sort time and id of the last row shown).
pub(super) fn keyset_cursor(after: Option<&str>) -> Result<Option<(i64, String)>> {
    let bad = || AppError::invalid("after", "Not a page cursor.");
    after
        .map(|raw| {
            let (at, id) = raw.split_once(':').ok_or_else(bad)?;
            Ok((at.parse().map_err(|_| bad())?, crate::input::id(id).map_err(|_| bad())?))
        })
        .transpose()
}

#[derive(sqlx::FromRow)]
struct ListRow {
    id: String,
    number: Option<String>,
    customer: String,
    status: String,
    currency: String,
    total: i64,
    paid: i64,
    due_day: i64,
    created_at: i64,
}

/// A page of invoices, newest first, after the keyset cursor `after` (`created_at:id` of the
/// last row of the page before), optionally of one status.
pub async fn invoices(
    conn: &mut Conn,
    org_id: &str,
    tz: &str,
    now: i64,
    shown: Shown,
    status: Option<InvoiceStatus>,
    after: Option<&str>,
) -> Result<InvoiceList> {
    let cursor = keyset_cursor(after)?;
    // Written so the index (org_id[, status], created_at, id) seeks straight to the page,
    // however deep. Without a cursor, everything before i64::MAX (no row is that late).
    let (at, id) = cursor.unwrap_or((i64::MAX, String::new()));
    let state = if status.is_some() { "i.status = $2" } else { "$2 = ''" };
    let rows: Vec<ListRow> = sqlx::query_as(&format!(
        "SELECT i.id, i.number, c.name AS customer, i.status, i.currency, i.total, i.paid, i.due_day, i.created_at \
         FROM invoices i JOIN customers c ON c.id = i.customer_id \
         WHERE i.org_id = $1 AND {state} AND i.created_at <= $3 AND (i.created_at < $3 OR i.id < $4) \
         ORDER BY i.created_at DESC, i.id DESC LIMIT $5"
    ))
    .bind(org_id)
    .bind(status.map(InvoiceStatus::key).unwrap_or_default())
    .bind(at)
    .bind(&id)
    .bind(PAGE_SIZE + 1)
    .fetch_all(&mut *conn)
    .await?;
    let today = today(now, tz);
    let more = rows.len() as i64 > PAGE_SIZE;
    let mut out = Vec::with_capacity(rows.len());
    let mut last = None;
    for row in rows.into_iter().take(PAGE_SIZE as usize) {
        let status = status_of(&row.status)?;
        last = Some(format!("{}:{}", row.created_at, row.id));
        out.push(InvoiceRow {
            overdue: overdue(status, row.due_day, today),
            customer: if shown == Shown::Masked { policy::mask_name(&row.customer) } else { row.customer },
            id: row.id,
            number: row.number,
            status,
            currency: row.currency,
            total: row.total,
            paid: row.paid,
            due_on: day_string(row.due_day),
        });
    }
    Ok(InvoiceList { rows: out, next: if more { last } else { None } })
}

#[derive(sqlx::FromRow)]
pub(super) struct InvoiceRecord {
    pub id: String,
    pub customer_id: String,
    pub number: Option<String>,
    pub status: String,
    pub currency: String,
    pub due_day: i64,
    pub version: i64,
    pub subtotal: i64,
    pub tax: i64,
    pub total: i64,
    pub paid: i64,
    pub refunded: i64,
    creator: Option<String>,
    created_at: i64,
    pub issued_at: Option<i64>,
    voided_at: Option<i64>,
    void_reason: Option<String>,
}

pub(super) async fn record(conn: &mut Conn, org_id: &str, id: &str) -> Result<InvoiceRecord> {
    sqlx::query_as(
        "SELECT i.id, i.customer_id, i.number, i.status, i.currency, i.due_day, i.version, i.subtotal, \
                i.tax, i.total, i.paid, i.refunded, u.name AS creator, i.created_at, i.issued_at, i.voided_at, i.void_reason \
         FROM invoices i LEFT JOIN users u ON u.id = i.created_by WHERE i.id = $1 AND i.org_id = $2",
    )
    .bind(id)
    .bind(org_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)
}

#[derive(sqlx::FromRow)]
struct LineRow {
    version: i64,
    description: String,
    quantity: i64,
    unit_price: i64,
    tax_bp: i64,
}

/// The lines of every version of an invoice, by version, in one statement (the invoice page
/// shows the current ones, the history and each edit's base).
pub(super) async fn versions(conn: &mut Conn, invoice_id: &str) -> Result<BTreeMap<i64, Vec<Line>>> {
    let rows: Vec<LineRow> = sqlx::query_as(
        "SELECT version, description, quantity, unit_price, tax_bp FROM invoice_lines \
         WHERE invoice_id = $1 ORDER BY version, position",
    )
    .bind(invoice_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut versions: BTreeMap<i64, Vec<Line>> = BTreeMap::new();
    for r in rows {
        let line =
            Line { description: r.description, quantity: r.quantity, unit_price: r.unit_price, tax_bp: r.tax_bp };
        versions.entry(r.version).or_default().push(line);
    }
    Ok(versions)
}

/// Who is looking, from where and when: what every finance answer is shaped by.
#[derive(Clone, Copy, Debug)]
pub struct Viewer<'a> {
    pub org_id: &'a str,
    pub user_id: &'a str,
    /// The organization's timezone, for local days and times.
    pub tz: &'a str,
    pub now: i64,
    pub shown: Shown,
}

impl Viewer<'_> {
    pub fn time(&self, t: i64) -> String {
        crate::time::format_local(t, self.tz)
    }

    /// A person's name for "by whom" (a removed account is "a former member").
    pub fn person(name: Option<String>) -> String {
        name.unwrap_or_else(|| "a former member".into())
    }
}

/// One invoice with its current lines, its history, proposed edits, payments and refunds.
pub async fn invoice(conn: &mut Conn, v: Viewer<'_>, id: &str) -> Result<InvoiceDetail> {
    let r = record(conn, v.org_id, id).await?;
    let versions = versions(conn, &r.id).await?;
    let lines = versions.get(&r.version).cloned().unwrap_or_default();
    let status = status_of(&r.status)?;
    let customer = customer(conn, v.org_id, &r.customer_id, v.shown).await?;
    Ok(InvoiceDetail {
        overdue: overdue(status, r.due_day, today(v.now, v.tz)),
        history: super::edits::history(&versions, r.version),
        edits: super::edits::of_invoice(conn, v, &r, &versions, &customer.name).await?,
        customer,
        payments: super::money::payments_of(conn, v, &r.id).await?,
        refunds: super::money::refunds_of(conn, v, &r.id).await?,
        number: r.number,
        status,
        currency: r.currency,
        due_on: day_string(r.due_day),
        lines,
        totals: Totals { subtotal: r.subtotal, tax: r.tax, total: r.total },
        paid: r.paid,
        refunded: r.refunded,
        version: r.version,
        created_by: Viewer::person(r.creator),
        created: v.time(r.created_at),
        issued: r.issued_at.map(|t| v.time(t)),
        voided: r.voided_at.map(|t| v.time(t)),
        void_reason: r.void_reason,
        id: r.id,
    })
}

/// A draft's content, checked: the customer exists here, the lines are sound and their
/// totals fit.
pub struct Draft {
    pub customer_id: String,
    pub due_day: i64,
    pub lines: Vec<Line>,
    pub totals: Totals,
}

impl Draft {
    /// The draft with its totals, worked out once here; refused when they do not fit.
    pub fn new(customer_id: String, due_day: i64, lines: Vec<Line>) -> Result<Draft> {
        let totals = policy::totals(&lines)
            .ok_or_else(|| AppError::invalid("unit_price", "These amounts are too large to add up."))?;
        Ok(Draft { customer_id, due_day, lines, totals })
    }
}

/// Checks the typed lines of a draft form (`unit_price` and `tax_rate` as decimals in the
/// currency and in percent); rows left entirely blank are skipped.
pub fn parse_lines(
    minor_units: u8,
    description: &[String],
    quantity: &[String],
    unit_price: &[String],
    tax_rate: &[String],
) -> Result<Vec<Line>> {
    let get = |v: &[String], i: usize| v.get(i).map(|s| s.trim().to_string()).unwrap_or_default();
    let rows = description.len().max(quantity.len()).max(unit_price.len()).max(tax_rate.len());
    let mut lines = Vec::new();
    for i in 0..rows {
        let (d, q, p, t) = (get(description, i), get(quantity, i), get(unit_price, i), get(tax_rate, i));
        if d.is_empty() && q.is_empty() && p.is_empty() && t.is_empty() {
            continue;
        }
        let n = i + 1;
        let description = crate::input::text("description", &d, 200, false)?;
        if description.is_empty() {
            return Err(AppError::invalid("description", format!("Line {n} needs a description.")));
        }
        let quantity = q.parse::<i64>().ok().filter(|q| (1..=policy::MAX_QUANTITY).contains(q)).ok_or_else(|| {
            AppError::invalid("quantity", format!("Line {n}: the quantity is a whole number from 1."))
        })?;
        let unit_price = policy::parse_decimal(&p, minor_units).ok_or_else(|| {
            AppError::invalid("unit_price", format!("Line {n}: the unit price is an amount like 1,250.00."))
        })?;
        let tax_bp = if t.is_empty() { Some(0) } else { policy::parse_decimal(&t, 2) }
            .filter(|bp| *bp <= policy::MAX_TAX_BP)
            .ok_or_else(|| {
                AppError::invalid("tax_rate", format!("Line {n}: the tax rate is a percentage from 0 to 100."))
            })?;
        lines.push(Line { description, quantity, unit_price, tax_bp });
    }
    if lines.is_empty() {
        return Err(AppError::invalid("description", "Add at least one line."));
    }
    if lines.len() > policy::MAX_LINES {
        return Err(AppError::invalid("description", format!("An invoice has at most {} lines.", policy::MAX_LINES)));
    }
    Ok(lines)
}

/// Writes `lines` as version `version` of the invoice's lines, replacing what that version had.
pub async fn write_lines(conn: &mut Conn, invoice_id: &str, version: i64, lines: &[Line]) -> Result<()> {
    sqlx::query("DELETE FROM invoice_lines WHERE invoice_id = $1 AND version = $2")
        .bind(invoice_id)
        .bind(version)
        .execute(&mut *conn)
        .await?;
    for (position, line) in lines.iter().enumerate() {
        sqlx::query(
            "INSERT INTO invoice_lines (invoice_id, version, position, description, quantity, unit_price, tax_bp) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(invoice_id)
        .bind(version)
        .bind(position as i64)
        .bind(&line.description)
        .bind(line.quantity)
        .bind(line.unit_price)
        .bind(line.tax_bp)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub(super) async fn check_customer(conn: &mut Conn, org_id: &str, customer_id: &str) -> Result<()> {
    let found: Option<String> = sqlx::query_scalar("SELECT id FROM customers WHERE id = $1 AND org_id = $2")
        .bind(customer_id)
        .bind(org_id)
        .fetch_optional(&mut *conn)
        .await?;
    // Another organization's customer is not found, like every row of another tenant.
    found.map(|_| ()).ok_or(AppError::NotFound)
}

/// Creates a draft in the organization's currency; returns its id.
pub async fn create_draft(
    conn: &mut Conn,
    org_id: &str,
    currency: &str,
    user_id: &str,
    draft: &Draft,
    now: i64,
) -> Result<String> {
    check_customer(conn, org_id, &draft.customer_id).await?;
    let totals = draft.totals;
    let id = new_id();
    sqlx::query(
        "INSERT INTO invoices (id, org_id, customer_id, currency, due_day, subtotal, tax, total, created_by, \
                               created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
    )
    .bind(&id)
    .bind(org_id)
    .bind(&draft.customer_id)
    .bind(currency)
    .bind(draft.due_day)
    .bind(totals.subtotal)
    .bind(totals.tax)
    .bind(totals.total)
    .bind(user_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    write_lines(conn, &id, 1, &draft.lines).await?;
    Ok(id)
}

/// Locks the invoice row for the rest of the transaction (an invoice of another
/// organization is not found).
pub(super) async fn lock_invoice(conn: &mut Conn, org_id: &str, id: &str) -> Result<()> {
    let locked = sqlx::query("UPDATE invoices SET updated_at = updated_at WHERE id = $1 AND org_id = $2")
        .bind(id)
        .bind(org_id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if locked == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// Locks the invoice row for the rest of the transaction and checks that its state allows
/// `action`.
pub(super) async fn lock_for(conn: &mut Conn, org_id: &str, id: &str, action: InvoiceAction) -> Result<InvoiceRecord> {
    lock_invoice(conn, org_id, id).await?;
    let r = record(conn, org_id, id).await?;
    policy::check(status_of(&r.status)?, r.paid, action).map_err(|x| AppError::conflict(x.code, x.message))?;
    Ok(r)
}

/// Replaces a draft's customer, due date and lines, in `currency` (the organization's now,
/// which its amounts were read in). Returns the totals before and after.
pub async fn update_draft(
    conn: &mut Conn,
    org_id: &str,
    currency: &str,
    id: &str,
    draft: &Draft,
    now: i64,
) -> Result<(i64, i64)> {
    let r = lock_for(conn, org_id, id, InvoiceAction::EditDraft).await?;
    check_customer(conn, org_id, &draft.customer_id).await?;
    let totals = draft.totals;
    sqlx::query(
        "UPDATE invoices SET customer_id = $1, due_day = $2, subtotal = $3, tax = $4, total = $5, updated_at = $6, \
         currency = $7 WHERE id = $8 AND org_id = $9",
    )
    .bind(&draft.customer_id)
    .bind(draft.due_day)
    .bind(totals.subtotal)
    .bind(totals.tax)
    .bind(totals.total)
    .bind(now)
    .bind(currency)
    .bind(id)
    .bind(org_id)
    .execute(&mut *conn)
    .await?;
    write_lines(conn, id, r.version, &draft.lines).await?;
    Ok((r.total, totals.total))
}

/// Deletes a draft (its lines go with it).
pub async fn delete_draft(conn: &mut Conn, org_id: &str, id: &str) -> Result<()> {
    lock_for(conn, org_id, id, InvoiceAction::DeleteDraft).await?;
    sqlx::query("DELETE FROM invoices WHERE id = $1 AND org_id = $2").bind(id).bind(org_id).execute(&mut *conn).await?;
    Ok(())
}

/// Issues a draft: takes the organization's next number of the year (local, in `tz`) from
/// the counter, whose row stays locked until the transaction ends, so concurrent issues get
/// consecutive numbers and a rolled-back issue gives its number back. Returns the number.
pub async fn issue(conn: &mut Conn, org_id: &str, tz: &str, id: &str, now: i64) -> Result<String> {
    let draft = lock_for(conn, org_id, id, InvoiceAction::Issue).await?;
    let (_, year) = local_day_and_year(now, tz);
    let number: i64 = sqlx::query_scalar(
        "INSERT INTO invoice_counters (org_id, year, next_number) VALUES ($1, $2, 2) \
         ON CONFLICT (org_id, year) DO UPDATE SET next_number = invoice_counters.next_number + 1 \
         RETURNING next_number - 1",
    )
    .bind(org_id)
    .bind(year)
    .fetch_one(&mut *conn)
    .await?;
    let number = policy::invoice_number(year, number);
    sqlx::query(
        "UPDATE invoices SET status = 'issued', number = $1, issued_at = $2, updated_at = $2 \
         WHERE id = $3 AND org_id = $4",
    )
    .bind(&number)
    .bind(now)
    .bind(id)
    .bind(org_id)
    .execute(&mut *conn)
    .await?;
    ledger::add(conn, org_id, Figure::Invoiced, now, draft.total).await?;
    ledger::owed(conn, org_id, draft.due_day, draft.total, 1).await?;
    Ok(number)
}

/// Voids an issued invoice nobody has paid anything on. Returns its number.
pub async fn void(conn: &mut Conn, org_id: &str, id: &str, reason: &str, now: i64) -> Result<Option<String>> {
    let r = lock_for(conn, org_id, id, InvoiceAction::Void).await?;
    sqlx::query(
        "UPDATE invoices SET status = 'void', voided_at = $1, void_reason = $2, updated_at = $1 \
         WHERE id = $3 AND org_id = $4",
    )
    .bind(now)
    .bind(reason)
    .bind(id)
    .bind(org_id)
    .execute(&mut *conn)
    .await?;
    // No longer invoiced: taken back on the day it was issued.
    if let Some(issued_at) = r.issued_at {
        ledger::add(conn, org_id, Figure::Invoiced, issued_at, -r.total).await?;
    }
    ledger::owed(conn, org_id, r.due_day, -(r.total - r.paid), -1).await?;
    Ok(r.number)
}

/// The most invoices one export holds.
pub const EXPORT_LIMIT: i64 = 100_000;

/// The organization's invoices (of one status, or all), newest first, as RFC 4180 CSV: the
/// customer's name masked as in the list, amounts as plain numbers in the currency's major
/// units (a negative number stays a number), text cells kept from being read as formulas.
/// Returns the file and its number of rows.
pub async fn export_csv(conn: &mut Conn, v: Viewer<'_>, status: Option<InvoiceStatus>) -> Result<(String, usize)> {
    #[derive(sqlx::FromRow)]
    struct Row {
        number: Option<String>,
        customer: String,
        status: String,
        currency: String,
        due_day: i64,
        issued_at: Option<i64>,
        subtotal: i64,
        tax: i64,
        total: i64,
        paid: i64,
        refunded: i64,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT i.number, c.name AS customer, i.status, i.currency, i.due_day, i.issued_at, i.subtotal, i.tax, \
                i.total, i.paid, i.refunded \
         FROM invoices i JOIN customers c ON c.id = i.customer_id \
         WHERE i.org_id = $1 AND ($2 = '' OR i.status = $2) ORDER BY i.created_at DESC, i.id DESC LIMIT $3",
    )
    .bind(v.org_id)
    .bind(status.map(InvoiceStatus::key).unwrap_or_default())
    .bind(EXPORT_LIMIT)
    .fetch_all(&mut *conn)
    .await?;
    let today = today(v.now, v.tz);
    let safe = crate::audit::server::spreadsheet_safe;
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    let csv_error = |error: csv::Error| {
        tracing::error!(%error, "invoice export: CSV writing failed");
        AppError::Internal
    };
    writer
        .write_record([
            "number",
            "customer",
            "status",
            "overdue",
            "issued_on",
            "due_on",
            "currency",
            "subtotal",
            "tax",
            "total",
            "paid",
            "refunded",
            "open",
        ])
        .map_err(csv_error)?;
    let count = rows.len();
    for r in rows {
        let state = status_of(&r.status)?;
        let units = crate::orgs::minor_units(&r.currency);
        let amount = |minor: i64| policy::plain_amount(minor, units);
        let customer = if v.shown == Shown::Masked { policy::mask_name(&r.customer) } else { r.customer };
        writer
            .write_record([
                safe(&r.number.unwrap_or_default()),
                safe(&customer),
                state.key().to_string(),
                overdue(state, r.due_day, today).to_string(),
                r.issued_at.map(|t| day_string(local_day_and_year(t, v.tz).0)).unwrap_or_default(),
                day_string(r.due_day),
                r.currency,
                amount(r.subtotal),
                amount(r.tax),
                amount(r.total),
                amount(r.paid),
                amount(r.refunded),
                amount(r.total - r.paid),
            ])
            .map_err(csv_error)?;
    }
    let bytes = writer.into_inner().map_err(|_| AppError::Internal)?;
    Ok((String::from_utf8(bytes).map_err(|_| AppError::Internal)?, count))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip() {
        assert_eq!(parse_day("due_on", "1970-01-02").unwrap(), 1);
        assert_eq!(day_string(parse_day("due_on", "2026-11-26").unwrap()), "2026-11-26");
        assert!(parse_day("due_on", "26/11/2026").is_err());
        // 2026-01-01 18:45 UTC is already 2 January in India.
        assert_eq!(day_string(today(1_767_293_100, "Asia/Kolkata")), "2026-01-02");
        assert_eq!(day_string(today(1_767_293_100, "Europe/Berlin")), "2026-01-01");
    }

    #[test]
    fn draft_lines_are_checked() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let lines =
            parse_lines(2, &s(&["Widget", "", ""]), &s(&["3", "", ""]), &s(&["19.99", "", ""]), &s(&["18", "", ""]))
                .unwrap();
        assert_eq!(lines, vec![Line { description: "Widget".into(), quantity: 3, unit_price: 1_999, tax_bp: 1_800 }]);
        let err = |d: &[&str], q: &[&str], p: &[&str], t: &[&str]| {
            parse_lines(2, &s(d), &s(q), &s(p), &s(t)).unwrap_err().field().map(str::to_string)
        };
        assert_eq!(err(&[""], &[""], &[""], &[""]).as_deref(), Some("description"));
        assert_eq!(err(&["x"], &["0"], &["1"], &[""]).as_deref(), Some("quantity"));
        assert_eq!(err(&["x"], &["1"], &["1.001"], &[""]).as_deref(), Some("unit_price"));
        assert_eq!(err(&["x"], &["1"], &["1"], &["101"]).as_deref(), Some("tax_rate"));
        assert_eq!(err(&["x\u{0}"], &["1"], &["1"], &[""]).as_deref(), Some("description"));
    }
}
