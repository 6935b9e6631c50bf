//! Analytics on SQLite and PostgreSQL: orders land on their local day (half-hour offsets,
//! 23- and 25-hour days), the rollups written with the orders agree with the orders, also
//! under concurrent writers, and a change of timezone moves the same orders to their new days.

mod support;

use app::analytics::rebuild;
use app::analytics::server::{
    self as analytics, NewItem, NewOrder, OrderStatus, RAW_DAILY, RAW_PRODUCTS, Range, Shown, create_product,
    record_orders,
};
use app::orgs::server::{self as orgs, SettingsInput};
use app::time::{day_string, parse_day};
use support::TestDb;

async fn org(t: &TestDb, name: &str, tz: &str) -> String {
    let id = format!("org-{name}");
    sqlx::query(
        "INSERT INTO organizations (id, name, slug, timezone, currency, onboarding_state, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'INR', 'complete', 0, 0)",
    )
    .bind(&id)
    .bind(name)
    .bind(name.to_lowercase())
    .bind(tz)
    .execute(&mut *t.db.conn().await.unwrap())
    .await
    .unwrap();
    id
}

async fn product(t: &TestDb, org_id: &str, sku: &str) -> String {
    let mut tx = t.db.begin().await.unwrap();
    let id = create_product(&mut tx, org_id, sku, "Cotton kurta", 50_000, 0).await.unwrap();
    tx.commit().await.unwrap();
    id
}

/// A paid order of `quantity` × 500.00 placed at `placed_at`.
fn order(product_id: &str, placed_at: i64, quantity: i64, status: OrderStatus) -> NewOrder {
    NewOrder {
        customer_id: None,
        placed_at,
        status,
        items: vec![NewItem { product_id: product_id.to_string(), quantity, unit_price: 50_000 }],
    }
}

async fn record(t: &TestDb, org_id: &str, orders: &[NewOrder]) -> Vec<String> {
    let mut tx = t.db.begin().await.unwrap();
    let ids = record_orders(&mut tx, org_id, "INR", orders, 0).await.unwrap();
    tx.commit().await.unwrap();
    ids
}

/// Unix seconds of `YYYY-MM-DD HH:MM:SS` UTC.
fn utc(at: &str) -> i64 {
    chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M:%S").unwrap().and_utc().timestamp()
}

/// Paid orders per day over `start`..=`end`, from the rollup, with the labels.
async fn orders_per_day(t: &TestDb, org_id: &str, start: &str, end: &str) -> Vec<(String, i64)> {
    let range = Range::parse(Some(start), Some(end), 0).unwrap();
    let mut conn = t.db.conn().await.unwrap();
    let s = analytics::series(&mut conn, org_id, range, &[("orders", 0)]).await.unwrap();
    s.labels.into_iter().zip(s.series["orders"].clone()).collect()
}

/// The rollups as stored, and as computed afresh from the orders: they must agree.
async fn rollups_agree(t: &TestDb, org_id: &str) {
    let mut conn = t.db.conn().await.unwrap();
    let stored: Vec<(String, i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT org_id, day, orders, items, revenue, refunds FROM analytics_daily \
         WHERE org_id = $1 AND (orders <> 0 OR refunds <> 0) ORDER BY day",
    )
    .bind(org_id)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let mut raw: Vec<(String, i64, i64, i64, i64, i64)> =
        sqlx::query_as(RAW_DAILY).bind(org_id).bind(i64::MIN).bind(i64::MAX).fetch_all(&mut *conn).await.unwrap();
    raw.retain(|r| r.2 != 0 || r.5 != 0);
    raw.sort_by_key(|r| r.1);
    assert_eq!(stored, raw, "the daily rollup");
    let stored: Vec<(String, i64, String, i64, i64)> = sqlx::query_as(
        "SELECT org_id, day, product_id, quantity, revenue FROM analytics_daily_product \
         WHERE org_id = $1 ORDER BY day, product_id",
    )
    .bind(org_id)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let mut raw: Vec<(String, i64, String, i64, i64)> =
        sqlx::query_as(RAW_PRODUCTS).bind(org_id).bind(i64::MIN).bind(i64::MAX).fetch_all(&mut *conn).await.unwrap();
    raw.sort_by(|a, b| (a.1, &a.2).cmp(&(b.1, &b.2)));
    assert_eq!(stored, raw, "the per-product rollup");
}

db_test!(kolkata_orders_at_midnight_land_on_their_local_days, |t| {
    let acme = org(t, "Acme", "Asia/Kolkata").await;
    let p = product(t, &acme, "ACM-1").await;
    // 23:59:59 on 25 November in India is 18:29:59 UTC; one second later it is 26 November.
    record(
        t,
        &acme,
        &[
            order(&p, utc("2026-11-25 18:29:59"), 1, OrderStatus::Paid),
            order(&p, utc("2026-11-25 18:30:00"), 1, OrderStatus::Paid),
            order(&p, utc("2026-11-25 18:30:01"), 1, OrderStatus::Paid),
        ],
    )
    .await;
    assert_eq!(
        orders_per_day(t, &acme, "2026-11-24", "2026-11-27").await,
        vec![("2026-11-24".into(), 0), ("2026-11-25".into(), 1), ("2026-11-26".into(), 2), ("2026-11-27".into(), 0)]
    );
    let days: Vec<i64> = sqlx::query_scalar("SELECT local_day FROM orders WHERE org_id = $1 ORDER BY placed_at")
        .bind(&acme)
        .fetch_all(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    assert_eq!(days.iter().map(|d| day_string(*d)).collect::<Vec<_>>(), ["2026-11-25", "2026-11-26", "2026-11-26"]);
});

db_test!(berlin_days_of_23_and_25_hours_hold_their_orders, |t| {
    let globex = org(t, "Globex", "Europe/Berlin").await;
    let p = product(t, &globex, "GLX-1").await;
    record(
        t,
        &globex,
        &[
            // 29 March 2026 has 23 hours: 00:30 CET is 23:30 UTC the day before, 23:30 CEST 21:30 UTC.
            order(&p, utc("2026-03-28 22:59:59"), 1, OrderStatus::Paid),
            order(&p, utc("2026-03-28 23:00:00"), 1, OrderStatus::Paid),
            order(&p, utc("2026-03-29 21:59:59"), 1, OrderStatus::Paid),
            order(&p, utc("2026-03-29 22:00:00"), 1, OrderStatus::Paid),
            // 25 October 2026 has 25 hours; 02:30 happens twice (00:30 and 01:30 UTC).
            order(&p, utc("2026-10-24 22:00:00"), 1, OrderStatus::Paid),
            order(&p, utc("2026-10-25 00:30:00"), 1, OrderStatus::Paid),
            order(&p, utc("2026-10-25 01:30:00"), 1, OrderStatus::Paid),
            order(&p, utc("2026-10-25 22:59:59"), 1, OrderStatus::Paid),
            order(&p, utc("2026-10-25 23:00:00"), 1, OrderStatus::Paid),
        ],
    )
    .await;
    let march = orders_per_day(t, &globex, "2026-03-27", "2026-03-31").await;
    assert_eq!(
        march,
        vec![
            ("2026-03-27".into(), 0),
            ("2026-03-28".into(), 1),
            ("2026-03-29".into(), 2),
            ("2026-03-30".into(), 1),
            ("2026-03-31".into(), 0),
        ]
    );
    let october = orders_per_day(t, &globex, "2026-10-24", "2026-10-26").await;
    assert_eq!(october, vec![("2026-10-24".into(), 0), ("2026-10-25".into(), 4), ("2026-10-26".into(), 1)]);
    // A range across both changes has one label per day, each day once.
    let year = Range::parse(Some("2026-03-01"), Some("2026-11-30"), 0).unwrap();
    let labels = year.labels();
    assert_eq!(labels.len(), 275);
    assert!(labels.windows(2).all(|w| parse_day("d", &w[1]).unwrap() == parse_day("d", &w[0]).unwrap() + 1));
    rollups_agree(t, &globex).await;
});

db_test!(rollups_agree_with_the_orders_under_concurrent_writers, |t| {
    let acme = org(t, "Acme", "Asia/Kolkata").await;
    let (a, b) = (product(t, &acme, "ACM-1").await, product(t, &acme, "ACM-2").await);
    let base = utc("2026-11-20 12:00:00");
    // Eight writers at once, each a batch over the same few days: every upsert hits rows the
    // others hit too.
    let barrier = tokio::sync::Barrier::new(8);
    let writers = (0..8i64).map(|w| {
        let (acme, a, b, barrier) = (&acme, &a, &b, &barrier);
        async move {
            let orders: Vec<NewOrder> = (0..50i64)
                .map(|n| {
                    let status = match n % 10 {
                        0 => OrderStatus::Refunded,
                        1 => OrderStatus::Cancelled,
                        _ => OrderStatus::Paid,
                    };
                    let mut o =
                        order(if n % 3 == 0 { b } else { a }, base + (n % 4) * 86_400 + w * 60, 1 + n % 3, status);
                    if n % 5 == 0 {
                        o.items.push(NewItem { product_id: b.clone(), quantity: 2, unit_price: 12_345 });
                    }
                    o
                })
                .collect();
            barrier.wait().await;
            let mut tx = t.db.begin().await.unwrap();
            record_orders(&mut tx, acme, "INR", &orders, 0).await.unwrap();
            tx.commit().await.unwrap();
        }
    });
    futures::future::join_all(writers).await;
    rollups_agree(t, &acme).await;
    let range = Range::parse(Some("2026-11-20"), Some("2026-11-23"), 0).unwrap();
    let mut conn = t.db.conn().await.unwrap();
    let days = analytics::daily(&mut conn, &acme, range).await.unwrap();
    let totals = analytics::totals(&days, Shown { revenue: true, sales: true });
    // Per writer: 40 paid of 50, 5 refunded, 5 cancelled.
    assert_eq!(totals.orders, Some(8 * 40));
    let products = analytics::products_sold(&mut conn, &acme, range, false).await.unwrap();
    assert_eq!(products.top.len(), 2);
    assert!(products.top.iter().all(|p| p.revenue.is_none()), "revenue absent when not shown");
    let per_day: i64 = products.series.values().flatten().sum();
    assert_eq!(per_day, products.top.iter().map(|p| p.quantity).sum::<i64>());
});

db_test!(a_timezone_change_moves_the_same_orders_to_their_new_days, |t| {
    let acme = org(t, "Acme", "Asia/Kolkata").await;
    let p = product(t, &acme, "ACM-1").await;
    // 20:00 UTC on the 25th is already the 26th in India, still the 25th in Honolulu.
    record(
        t,
        &acme,
        &[
            order(&p, utc("2026-11-25 20:00:00"), 2, OrderStatus::Paid),
            order(&p, utc("2026-11-25 08:00:00"), 1, OrderStatus::Paid),
            order(&p, utc("2026-06-01 09:00:00"), 1, OrderStatus::Refunded),
        ],
    )
    .await;
    assert_eq!(
        orders_per_day(t, &acme, "2026-11-24", "2026-11-26").await,
        vec![("2026-11-24".into(), 0), ("2026-11-25".into(), 1), ("2026-11-26".into(), 1)]
    );
    let input = SettingsInput::parse("Acme", "Pacific/Honolulu", "INR").unwrap();
    let mut tx = t.db.begin().await.unwrap();
    orgs::update_settings(&mut tx, &acme, &input, false, 0).await.unwrap();
    tx.commit().await.unwrap();
    // The rebuild is queued: until it runs, the days are Kolkata's, and said to be.
    let current = rebuild::state(&mut t.db.conn().await.unwrap(), &acme).await.unwrap();
    assert_eq!(current.zone, "Asia/Kolkata");
    let progress = current.rebuilding.unwrap();
    assert_eq!((progress.to.as_str(), progress.done, progress.total), ("Pacific/Honolulu", 0, 3));
    assert_eq!(
        orders_per_day(t, &acme, "2026-11-24", "2026-11-26").await,
        vec![("2026-11-24".into(), 0), ("2026-11-25".into(), 1), ("2026-11-26".into(), 1)]
    );
    assert!(rebuild::finish(&t.db, rebuild::CHUNK).await.unwrap() >= 1);
    let current = rebuild::state(&mut t.db.conn().await.unwrap(), &acme).await.unwrap();
    assert_eq!((current.zone.as_str(), current.rebuilding), ("Pacific/Honolulu", None));
    // 08:00 UTC is 22:00 on the 24th in Honolulu; 20:00 UTC is 10:00 on the 25th.
    assert_eq!(
        orders_per_day(t, &acme, "2026-11-24", "2026-11-26").await,
        vec![("2026-11-24".into(), 1), ("2026-11-25".into(), 1), ("2026-11-26".into(), 0)]
    );
    rollups_agree(t, &acme).await;
    // Orders written after the change land in the new zone too.
    record(t, &acme, &[order(&p, utc("2026-11-26 09:59:59"), 1, OrderStatus::Paid)]).await;
    assert_eq!(orders_per_day(t, &acme, "2026-11-25", "2026-11-25").await, vec![("2026-11-25".into(), 2)]);
    rollups_agree(t, &acme).await;
});

/// Changes the organization's timezone as the settings page does.
async fn change_timezone(t: &TestDb, org_id: &str, tz: &str) {
    let input = SettingsInput::parse("Acme", tz, "INR").unwrap();
    let mut tx = t.db.begin().await.unwrap();
    orgs::update_settings(&mut tx, org_id, &input, false, 0).await.unwrap();
    tx.commit().await.unwrap();
}

/// Orders over `days` days from `base`, an hour before and after each UTC midnight (so most
/// change day with the zone), with a second product on some.
fn spread(a: &str, b: &str, base: i64, days: i64, salt: i64) -> Vec<NewOrder> {
    (0..days * 2)
        .map(|n| {
            let at = base + (n / 2) * 86_400 + if n % 2 == 0 { -3_600 } else { 3_600 } + salt;
            let status = if n % 7 == 3 { OrderStatus::Refunded } else { OrderStatus::Paid };
            let mut o = order(a, at, 1 + n % 3, status);
            if n % 4 == 0 {
                o.items.push(NewItem { product_id: b.to_string(), quantity: 2, unit_price: 1_234 });
            }
            o
        })
        .collect()
}

db_test!(a_background_rebuild_serves_the_old_days_and_misses_no_order_written_meanwhile, |t| {
    let acme = org(t, "Acme", "Asia/Kolkata").await;
    let (a, b) = (product(t, &acme, "ACM-1").await, product(t, &acme, "ACM-2").await);
    let base = utc("2026-01-01 00:00:00");
    record(t, &acme, &spread(&a, &b, base, 60, 0)).await;
    let before = orders_per_day(t, &acme, "2025-12-31", "2026-03-01").await;
    change_timezone(t, &acme, "America/New_York").await;
    // A few chunks in: the old days are still served, whatever the rebuild has done.
    for _ in 0..3 {
        assert!(rebuild::step(&t.db, 25, 0).await.unwrap());
    }
    let progress = rebuild::state(&mut t.db.conn().await.unwrap(), &acme).await.unwrap().rebuilding.unwrap();
    assert_eq!((progress.done, progress.total), (75, 120));
    assert_eq!(orders_per_day(t, &acme, "2025-12-31", "2026-03-01").await, before, "the old buckets, unchanged");
    // Writers meanwhile, at once: orders before the cursor (the rebuild has passed them) and
    // after it, each a batch, while the rebuild goes on.
    let writers = (0..4i64).map(|w| {
        let (acme, a, b) = (&acme, &a, &b);
        async move {
            let orders = spread(a, b, base + w * 20 * 86_400, 10, 60 * (w + 1));
            let mut tx = t.db.begin().await.unwrap();
            record_orders(&mut tx, acme, "INR", &orders, 0).await.unwrap();
            tx.commit().await.unwrap();
        }
    });
    let rebuilding = async { while rebuild::step(&t.db, 25, 0).await.unwrap() {} };
    futures::future::join(futures::future::join_all(writers), rebuilding).await;
    rebuild::finish(&t.db, 25).await.unwrap();
    let current = rebuild::state(&mut t.db.conn().await.unwrap(), &acme).await.unwrap();
    assert_eq!((current.zone.as_str(), current.rebuilding), ("America/New_York", None));
    // Every order, old and new, is counted once, on its New York day.
    rollups_agree(t, &acme).await;
    let days: Vec<(i64, i64)> = sqlx::query_as("SELECT placed_at, local_day FROM orders WHERE org_id = $1")
        .bind(&acme)
        .fetch_all(&mut *t.db.conn().await.unwrap())
        .await
        .unwrap();
    assert_eq!(days.len(), 120 + 4 * 20);
    for (placed_at, day) in days {
        assert_eq!(day, app::time::local_day_and_year(placed_at, "America/New_York").0, "{placed_at}");
    }
    // Changed again and back before the rebuild ran: nothing to rebuild, the days stay.
    change_timezone(t, &acme, "Asia/Tokyo").await;
    change_timezone(t, &acme, "America/New_York").await;
    let current = rebuild::state(&mut t.db.conn().await.unwrap(), &acme).await.unwrap();
    assert_eq!((current.zone.as_str(), current.rebuilding), ("America/New_York", None));
    assert!(!rebuild::step(&t.db, 25, 0).await.unwrap());
    rollups_agree(t, &acme).await;
});

db_test!(orders_name_only_their_own_products_and_a_sku_is_taken_once, |t| {
    let acme = org(t, "Acme", "Asia/Kolkata").await;
    let globex = org(t, "Globex", "Europe/Berlin").await;
    let theirs = product(t, &globex, "GLX-1").await;
    let mut tx = t.db.begin().await.unwrap();
    let refused = record_orders(&mut tx, &acme, "INR", &[order(&theirs, 0, 1, OrderStatus::Paid)], 0).await;
    assert!(matches!(refused, Err(app::error::AppError::NotFound)), "{refused:?}");
    drop(tx);
    // One SKU added by four at once: one product, three refusals; in another organization
    // the same SKU is fine.
    let barrier = tokio::sync::Barrier::new(4);
    let adds = (0..4).map(|_| {
        let (globex, barrier) = (&globex, &barrier);
        async move {
            barrier.wait().await;
            let mut tx = t.db.begin().await?;
            let id = create_product(&mut tx, globex, "GLX-2", "Burst", 1, 0).await?;
            tx.commit().await?;
            Ok::<_, app::error::AppError>(id)
        }
    });
    let results = futures::future::join_all(adds).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    assert!(results.iter().filter_map(|r| r.as_ref().err()).all(|e| e.code() == "sku_taken"), "{results:?}");
    let mut tx = t.db.begin().await.unwrap();
    let again = create_product(&mut tx, &globex, "GLX-1", "Again", 1, 0).await;
    assert_eq!(again.unwrap_err().code(), "sku_taken");
    drop(tx);
    product(t, &acme, "GLX-1").await;
    assert_eq!(support::count(&t.db, "orders").await, 0);
});
