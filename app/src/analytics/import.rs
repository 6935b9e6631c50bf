//! Orders imported from a CSV file (`/analytics/import`, `orders.write`). One line per order
//! line; lines with the same `order` reference make one order. Every bad line is reported by
//! its line number and its order is left out; the good orders go in by batches of 1,000, each
//! batch with its rollups in one transaction. The import — file name, counts, the rejected
//! lines — is kept for its report and recorded in the audit log.

use super::api::IMPORT_COLUMNS;
use super::server::{MAX_ITEMS, NewItem, NewOrder, OrderStatus, record_orders};
use super::types::LineError;
use crate::access::Ctx;
use crate::audit::Outcome;
use crate::db::Conn;
use crate::error::{AppError, Result};
use crate::finance::policy::parse_decimal;
use std::collections::HashMap;

/// The earliest time an order may have: 2000-01-01 00:00 UTC.
pub const EARLIEST: i64 = 946_684_800;

/// Orders written per transaction.
pub const BATCH: usize = 1_000;
/// Rejected lines kept for the report (all are counted).
pub const KEPT_ERRORS: usize = 1_000;
/// The columns a file must have ([`IMPORT_COLUMNS`] lists them all; `customer_email`,
/// `status` and `unit_price` may be left out or empty: no customer, paid, the list price).
const REQUIRED: [&str; 4] = ["order", "placed_at", "sku", "quantity"];

/// What the file refers to: products by SKU (id, list price) and customers by lowercase email.
pub struct Lookup {
    pub products: HashMap<String, (String, i64)>,
    pub customers: HashMap<String, String>,
}

impl Lookup {
    pub async fn load(conn: &mut Conn, org_id: &str) -> Result<Lookup> {
        let products: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT sku, id, price FROM products WHERE org_id = $1")
                .bind(org_id)
                .fetch_all(&mut *conn)
                .await?;
        let customers: Vec<(String, String)> = sqlx::query_as("SELECT email, id FROM customers WHERE org_id = $1")
            .bind(org_id)
            .fetch_all(&mut *conn)
            .await?;
        Ok(Lookup {
            products: products.into_iter().map(|(sku, id, price)| (sku, (id, price))).collect(),
            customers: customers.into_iter().map(|(email, id)| (email.trim().to_lowercase(), id)).collect(),
        })
    }
}

/// A file read: its orders (in the order of their first line), the rejected lines, and how
/// many lines of data it had.
#[derive(Debug, Default)]
pub struct Parsed {
    pub orders: Vec<NewOrder>,
    pub errors: Vec<LineError>,
    pub rejected_lines: i64,
    pub lines: i64,
}

/// An order being read: its reference, its first line, and whether a line of it was bad.
struct Pending {
    first_line: u64,
    order: NewOrder,
    bad: bool,
    /// Lines taken into the order so far (rejected with it if it turns out bad).
    accepted: i64,
}

/// Reads `text` (CSV with a header line) for an organization in `tz` whose money has
/// `units` decimals, at `now`. A file without the needed columns is refused as a whole (400
/// naming `file`).
pub fn parse(text: &str, tz: &str, units: u8, now: i64, lookup: &Lookup) -> Result<Parsed> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let header = reader.headers().map_err(|_| AppError::invalid("file", "The file is not CSV."))?.clone();
    let column = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
    if let Some(missing) = REQUIRED.iter().find(|name| column(name).is_none()) {
        return Err(AppError::invalid(
            "file",
            format!("The first line names the columns; \"{missing}\" is missing (needed: {}).", REQUIRED.join(", ")),
        ));
    }
    let at: HashMap<&str, Option<usize>> = IMPORT_COLUMNS.iter().map(|(name, _)| (*name, column(name))).collect();
    let zone: chrono_tz::Tz = tz.parse().unwrap_or(chrono_tz::UTC);
    let mut parsed = Parsed::default();
    let mut pending: Vec<Pending> = Vec::new();
    let mut by_reference: HashMap<String, usize> = HashMap::new();
    let mut lines = LineNumbers::new(text);
    for record in reader.records() {
        parsed.lines += 1;
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map_or(0, |p| lines.at(p.byte()));
                reject(&mut parsed, line, "The line is not valid CSV (check its quotes).".into());
                continue;
            }
        };
        let line = record.position().map_or(0, |p| lines.at(p.byte()));
        if record.iter().all(str::is_empty) {
            parsed.lines -= 1;
            continue;
        }
        let cell = |name: &str| at[name].and_then(|i| record.get(i)).unwrap_or_default();
        let reference = cell("order");
        let read = read_line(&cell, &zone, units, now, lookup);
        let slot = match by_reference.get(reference) {
            Some(&slot) => Some(slot),
            None if reference.is_empty() || reference.len() > 100 => None,
            None => {
                by_reference.insert(reference.to_string(), pending.len());
                match &read {
                    Ok((head, _)) => {
                        pending.push(Pending { first_line: line, order: head.clone(), bad: false, accepted: 0 })
                    }
                    Err(_) => pending.push(Pending {
                        first_line: line,
                        order: NewOrder { customer_id: None, placed_at: 0, status: OrderStatus::Paid, items: vec![] },
                        bad: true,
                        accepted: 0,
                    }),
                }
                Some(pending.len() - 1)
            }
        };
        let Some(slot) = slot else {
            reject(&mut parsed, line, "Give each line an order reference of at most 100 characters.".into());
            continue;
        };
        let order = &mut pending[slot];
        match read {
            Err(message) => {
                order.bad = true;
                reject(&mut parsed, line, format!("{message} Order {reference} is not imported."));
            }
            Ok((head, item)) if !order.bad => {
                let o = &order.order;
                if head.placed_at != o.placed_at || head.status != o.status || head.customer_id != o.customer_id {
                    order.bad = true;
                    reject(
                        &mut parsed,
                        line,
                        format!(
                            "Order {reference} has another time, status or customer on line {}. It is not imported.",
                            order.first_line
                        ),
                    );
                } else if o.items.len() == MAX_ITEMS {
                    order.bad = true;
                    reject(
                        &mut parsed,
                        line,
                        format!("Order {reference} has more than {MAX_ITEMS} lines. It is not imported."),
                    );
                } else {
                    order.order.items.push(item);
                    order.accepted += 1;
                }
            }
            // A line of an order already refused: counted with it.
            Ok(_) => reject(&mut parsed, line, format!("Order {reference} has a bad line above; it is not imported.")),
        }
    }
    for p in pending {
        if p.bad {
            parsed.rejected_lines += p.accepted;
            continue;
        }
        if let Err(error) = p.order.total("order") {
            let message = match error {
                AppError::Invalid { message, .. } => message,
                _ => "The order cannot be read.".into(),
            };
            parsed.rejected_lines += p.accepted - 1;
            reject(&mut parsed, p.first_line, message);
            continue;
        }
        parsed.orders.push(p.order);
    }
    parsed.errors.sort_by_key(|e| e.line);
    Ok(parsed)
}

/// Line numbers of byte offsets, read forward. (The CSV reader's own count is one short
/// after a CRLF line end: it starts the next record before the LF.)
struct LineNumbers<'t> {
    text: &'t [u8],
    at: usize,
    line: u64,
}

impl<'t> LineNumbers<'t> {
    fn new(text: &'t str) -> LineNumbers<'t> {
        LineNumbers { text: text.as_bytes(), at: 0, line: 1 }
    }

    /// The line where the record starting at `byte` (or at the line ends after it) begins.
    fn at(&mut self, byte: u64) -> u64 {
        let mut start = usize::try_from(byte).unwrap_or(usize::MAX).min(self.text.len());
        while self.text.get(start).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            start += 1;
        }
        if start >= self.at {
            self.line += self.text[self.at..start].iter().filter(|b| **b == b'\n').count() as u64;
            self.at = start;
        }
        self.line
    }
}

/// Counts a rejected line and keeps its reason for the report (the first [`KEPT_ERRORS`]).
fn reject(parsed: &mut Parsed, line: u64, message: String) {
    parsed.rejected_lines += 1;
    if parsed.errors.len() < KEPT_ERRORS {
        parsed.errors.push(LineError { line, message });
    }
}

/// One line: its order's head (time, status, customer) and its item, or what is wrong.
fn read_line<'r>(
    cell: &dyn Fn(&str) -> &'r str,
    zone: &chrono_tz::Tz,
    units: u8,
    now: i64,
    lookup: &Lookup,
) -> std::result::Result<(NewOrder, NewItem), String> {
    let placed_at = placed_at(cell("placed_at"), zone)?;
    if placed_at > now + 60 {
        return Err("The order is placed in the future.".into());
    }
    // Days are counted from 1970 by plain division; older orders are not this shop's.
    if placed_at < EARLIEST {
        return Err("The order is placed before 2000.".into());
    }
    let status = match cell("status") {
        "" => OrderStatus::Paid,
        raw => OrderStatus::from_key(&raw.to_lowercase()).ok_or("The status is paid, refunded or cancelled.")?,
    };
    let sku = cell("sku");
    let (product_id, list_price) =
        lookup.products.get(sku).ok_or_else(|| format!("There is no product with SKU {sku:?}."))?;
    let quantity: i64 = cell("quantity")
        .parse()
        .ok()
        .filter(|q| (1..=1_000_000).contains(q))
        .ok_or("The quantity is a whole number from 1 to 1,000,000.")?;
    let unit_price = match cell("unit_price") {
        "" => *list_price,
        raw => parse_decimal(raw, units)
            .ok_or_else(|| format!("The unit price is an amount with at most {units} decimals."))?,
    };
    let customer_id = match cell("customer_email") {
        "" => None,
        email => Some(
            lookup
                .customers
                .get(&email.to_lowercase())
                .cloned()
                .ok_or_else(|| format!("No customer has the address {email}."))?,
        ),
    };
    let item = NewItem { product_id: product_id.clone(), quantity, unit_price };
    Ok((NewOrder { customer_id, placed_at, status, items: vec![] }, item))
}

/// `2026-11-20T18:30:00+05:30` (any offset, or `Z`), or a local time in the organization's
/// zone: `2026-11-20 18:30[:00]`.
fn placed_at(raw: &str, zone: &chrono_tz::Tz) -> std::result::Result<i64, String> {
    use chrono::TimeZone;
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(raw) {
        return Ok(t.timestamp());
    }
    let local = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(raw, f).ok())
        .ok_or("The time is 2026-11-20 18:30 (the organization's time) or 2026-11-20T13:00:00Z.")?;
    match zone.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => Ok(t.timestamp()),
        // A time the clocks pass twice: the first.
        chrono::LocalResult::Ambiguous(first, _) => Ok(first.timestamp()),
        chrono::LocalResult::None => Err(format!("{raw} does not exist in {zone}: the clocks skip it.")),
    }
}

/// Imports `text` (the file `filename`) into the caller's organization: reads it, writes the
/// good orders by batches, keeps the report and audits the import. Returns the report's id.
pub async fn run(cx: &Ctx, filename: &str, text: &str) -> Result<String> {
    let lookup = Lookup::load(&mut *cx.state.db.conn().await?, cx.org_id()).await?;
    let units = crate::orgs::minor_units(&cx.org.currency);
    let parsed = parse(text, &cx.org.timezone, units, cx.now, &lookup)?;
    let filename: String = filename.chars().filter(|c| !c.is_control()).take(200).collect();
    let id = crate::db::new_id();
    let batches: Vec<&[NewOrder]> = parsed.orders.chunks(BATCH).collect();
    let mut imported = 0usize;
    for (n, batch) in batches.iter().enumerate() {
        let written = async {
            let mut tx = cx.state.db.begin().await?;
            record_orders(&mut tx, cx.org_id(), &cx.org.currency, batch, cx.now).await?;
            if n + 1 == batches.len() {
                // The last batch commits with the report and its audit event.
                finish(&mut tx, cx, &id, &filename, &parsed).await?;
            }
            tx.commit().await?;
            Ok::<_, AppError>(())
        };
        if let Err(error) = written.await {
            // What went in stays in, and the log says so.
            let event =
                cx.event("orders.import", Outcome::Failed).target("order_import", &id).metadata(serde_json::json!({
                    "filename": filename, "lines": parsed.lines, "orders_imported": imported,
                    "orders_not_imported": parsed.orders.len() - imported,
                }));
            let mut tx = cx.state.db.begin().await?;
            crate::audit::record(&mut tx, &event, cx.now).await?;
            tx.commit().await?;
            return Err(error);
        }
        imported += batch.len();
    }
    if batches.is_empty() {
        let mut tx = cx.state.db.begin().await?;
        finish(&mut tx, cx, &id, &filename, &parsed).await?;
        tx.commit().await?;
    }
    Ok(id)
}

async fn finish(tx: &mut Conn, cx: &Ctx, id: &str, filename: &str, parsed: &Parsed) -> Result<()> {
    let errors = serde_json::to_string(&parsed.errors).map_err(|_| AppError::Internal)?;
    sqlx::query(
        "INSERT INTO order_imports (id, org_id, user_id, filename, lines, orders, rejected_lines, errors, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(cx.org_id())
    .bind(cx.user_id())
    .bind(filename)
    .bind(parsed.lines)
    .bind(parsed.orders.len() as i64)
    .bind(parsed.rejected_lines)
    .bind(errors)
    .bind(cx.now)
    .execute(&mut *tx)
    .await?;
    cx.audit(
        tx,
        "orders.import",
        ("order_import", id),
        serde_json::json!({
            "filename": filename,
            "lines": parsed.lines,
            "orders": parsed.orders.len(),
            "rejected_lines": parsed.rejected_lines,
        }),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup() -> Lookup {
        Lookup {
            products: [("MUG-1".to_string(), ("p1".to_string(), 1250)), ("TEA-2".to_string(), ("p2".to_string(), 499))]
                .into_iter()
                .collect(),
            customers: [("asha@example.test".to_string(), "c1".to_string())].into_iter().collect(),
        }
    }

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn good_lines_make_orders_and_bad_ones_are_named_by_line() {
        let file = "\u{feff}order,placed_at,sku,quantity,unit_price,status,customer_email\n\
                    A-1,2026-03-01 23:59:59,MUG-1,2,,paid,Asha@Example.test\n\
                    A-1,2026-03-01 23:59:59,TEA-2,1,4.50,paid,asha@example.test\n\
                    A-2,2026-03-02T00:00:00+05:30,NOPE,1,,,\n\
                    A-2,2026-03-02T00:00:00+05:30,MUG-1,1,,,\n\
                    A-3,yesterday,MUG-1,1,,,\n\
                    A-4,2026-03-02 10:00,MUG-1,0,,,\n\
                    A-5,2026-03-02 10:00,TEA-2,3,,refunded,\n\
                    A-6,2026-03-02 10:00,TEA-2,1,,paid,nobody@example.test\n\
                    A-7,2030-01-01 00:00,TEA-2,1,,,\n\
                    A-8,2026-03-29 02:30,TEA-2,1,,,\n\
                    A-5,2026-03-02 11:00,TEA-2,1,,refunded,\n\
                    A-9,1999-12-31T23:59:59Z,TEA-2,1,,,\n";
        let p = parse(file, "Asia/Kolkata", 2, NOW, &lookup()).unwrap();
        assert_eq!(p.lines, 12);
        assert_eq!(p.orders.len(), 2, "{:?}", p.errors);
        let a1 = &p.orders[0];
        assert_eq!(a1.customer_id.as_deref(), Some("c1"));
        assert_eq!(a1.items.len(), 2);
        assert_eq!((a1.items[0].unit_price, a1.items[1].unit_price), (1250, 450), "list price, then the file's");
        // 23:59:59 in Kolkata is 18:29:59 UTC.
        assert_eq!(a1.placed_at % 86_400, 18 * 3600 + 29 * 60 + 59);
        let lines: Vec<u64> = p.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![4, 5, 6, 7, 9, 10, 12, 13], "{:?}", p.errors);
        assert!(p.errors[0].message.contains("NOPE") && p.errors[0].message.contains("A-2 is not imported"));
        assert!(p.errors[1].message.contains("bad line above"));
        assert!(p.errors[4].message.contains("nobody@example.test"));
        assert!(p.errors[5].message.contains("future"));
        assert!(p.errors[6].message.contains("line 8"), "A-5's second line disagrees on the time: {:?}", p.errors[6]);
        assert!(p.errors[7].message.contains("before 2000"));
        assert_eq!(p.rejected_lines, 9, "every line but A-1's two and A-8's");
        // A-8 at 02:30 exists in Kolkata (no clock change there); A-5 was refused.
        assert_eq!(p.orders[1].items[0].product_id, "p2");
    }

    #[test]
    fn line_numbers_hold_with_windows_line_ends() {
        let file =
            "order,placed_at,sku,quantity\r\nC-1,2026-03-01 10:00,MUG-1,1\r\n\r\nC-2,2026-03-01 10:00,NOPE,1\r\n";
        let p = parse(file, "UTC", 2, NOW, &lookup()).unwrap();
        assert_eq!(p.errors.iter().map(|e| e.line).collect::<Vec<_>>(), vec![4]);
        assert_eq!((p.lines, p.orders.len()), (2, 1));
    }

    #[test]
    fn a_time_the_clocks_skip_is_refused() {
        let file = "order,placed_at,sku,quantity\nB-1,2026-03-29 02:30,TEA-2,1\nB-2,2026-10-25 02:30,TEA-2,1\n";
        let p = parse(file, "Europe/Berlin", 2, NOW, &lookup()).unwrap();
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].line, 2);
        assert!(p.errors[0].message.contains("does not exist in Europe/Berlin"));
        assert_eq!(p.orders.len(), 1, "02:30 on the night clocks go back is the first of the two");
        assert_eq!(p.orders[0].placed_at, 1_792_888_200);
    }

    #[test]
    fn a_file_without_the_columns_is_refused_whole() {
        let error = parse("order,when,sku,quantity\nA,2026-01-01,MUG-1,1\n", "UTC", 2, NOW, &lookup()).unwrap_err();
        assert!(
            matches!(&error, AppError::Invalid { field: Some(field), message } if field == "file" && message.contains("placed_at"))
        );
    }
}
