//! `gatehouse`: serve the app, apply migrations, seed the demo data.

use app::config::Config;
use app::db::{self, Db};
use app::state::AppState;
use clap::{Parser, Subcommand};
use leptos::config::get_configuration;
use server::{demo, routes, telemetry};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(name = "gatehouse", version, about = "Gatehouse: multi-tenant workspace with precise access control")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply migrations, then serve the app (the default).
    Serve,
    /// Apply the database migrations and exit.
    Migrate,
    /// Apply migrations and create the demo organizations and users (idempotent).
    SeedDemo,
    /// Print the privilege matrix (roles × endpoints) as Markdown.
    Privileges,
    /// Add generated invoices (with lines and payments) to a seeded organization, for the
    /// finance benchmark.
    GenerateInvoices {
        /// The organization's slug, e.g. `acme-retail`.
        #[arg(long)]
        org: String,
        #[arg(long)]
        invoices: usize,
        /// How many of them (the newest) are left as drafts.
        #[arg(long, default_value_t = 0)]
        drafts: usize,
        /// Spread over this many days before now.
        #[arg(long, default_value_t = 365)]
        days: i64,
    },
    /// Add generated orders (with items, from its catalog) to a seeded organization, a
    /// thousand per transaction with their rollups, for the analytics benchmark.
    GenerateOrders {
        /// The organization's slug, e.g. `acme-retail`.
        #[arg(long)]
        org: String,
        /// About this many (the day-to-day shape rounds it).
        #[arg(long)]
        orders: u64,
        /// Spread over this many days up to now.
        #[arg(long, default_value_t = 365)]
        days: i64,
    },
    /// Time analytics read from the rollups beside the same answers computed from the raw
    /// orders, and a full rebuild of the rollups (the analytics benchmark).
    BenchAnalytics {
        /// The organization's slug, e.g. `acme-retail`.
        #[arg(long)]
        org: String,
        /// Timed runs of each rollup read.
        #[arg(long, default_value_t = 200)]
        runs: usize,
        /// Timed runs of each raw query (slow at scale).
        #[arg(long, default_value_t = 5)]
        raw_runs: usize,
    },
    /// Make an API key for a member (printed once; the same rules as `/settings/api-keys`).
    ApiKeys {
        #[command(subcommand)]
        action: ApiKeysCommand,
    },
    /// Time the rate-limit check of an API request (two counters in one transaction), one at
    /// a time and from concurrent tasks.
    BenchRatelimit {
        #[arg(long, default_value_t = 20_000)]
        runs: usize,
        #[arg(long, default_value_t = 32)]
        tasks: usize,
    },
    /// Serve a fixed HTML page of `--bytes` from a bare axum handler (no middleware, session
    /// or database): the yardstick of `bench/ssr.sh`. Needs no configuration.
    BenchBare {
        #[arg(long, default_value = "127.0.0.1:3199")]
        addr: SocketAddr,
        #[arg(long, default_value_t = 16_384)]
        bytes: usize,
    },
    /// Check the audit log's hash chains and report the first broken link of each.
    VerifyAudit {
        /// Only this organization's chain (its id), or `platform`.
        #[arg(long)]
        chain: Option<String>,
        /// A signed checkpoint downloaded earlier: also prove the log still extends it
        /// (catches a cut-off end, which the chain alone cannot show).
        #[arg(long)]
        checkpoint: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum ApiKeysCommand {
    /// Make a key acting for `--user` in `--org`; prints it once.
    Create {
        /// The organization's slug, e.g. `acme-retail`.
        #[arg(long)]
        org: String,
        /// The member the key acts for (its scopes stay within their role).
        #[arg(long)]
        user: String,
        #[arg(long)]
        name: String,
        /// Comma-separated scopes, e.g. `orders.read,analytics.view`.
        #[arg(long)]
        scopes: String,
        /// Lifetime in days (at most 366).
        #[arg(long, default_value_t = 90)]
        days: i64,
    },
}

/// jemalloc, not glibc's malloc: a page view allocates and frees thousands of small objects
/// (the rendering's reactive owners, strings, rows) on the tokio workers. Under glibc, malloc
/// and free took 28 % of the server's CPU on the home page (perf), much of it consolidating
/// free lists and waiting for an arena's lock; jemalloc's per-thread caches serve most of them
/// without a lock: 7 % under jemalloc, and the home page served 1.5 to 2 times as many
/// requests a second in alternating runs (README, benchmarks). Only Rust's allocations:
/// SQLite keeps glibc's (jemalloc for it too, by `LD_PRELOAD`, was no faster and peaked at
/// 100 MiB).
/// Tuned, when needed, by `_RJEM_MALLOC_CONF` (jemalloc's `MALLOC_CONF`).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options unless `_RJEM_MALLOC_CONF` says otherwise (it is read after this): two
/// arenas, and freed pages given back after a second, not ten. With jemalloc's defaults (eight
/// arenas on two cores) a whole bench/ssr.sh run on SQLite peaked at 66.5 MiB; with these,
/// 62.8 MiB at the same rates (README, benchmarks).
// SAFETY: the symbol jemalloc reads (a weak `const char *` in its library, which this
// definition replaces): a pointer to a NUL-terminated string that lives as long as the program.
#[unsafe(export_name = "_rjem_malloc_conf")]
static MALLOC_CONF: Option<&std::ffi::c_char> = Some(unsafe { &*c"narenas:2,dirty_decay_ms:1000".as_ptr() });

fn main() -> ExitCode {
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime.block_on(gatehouse()),
        Err(error) => {
            eprintln!("gatehouse: could not start the runtime: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn gatehouse() -> ExitCode {
    let cli = Cli::parse();
    // The matrix needs no configuration, database or key.
    if let Some(Command::Privileges) = cli.command {
        print!("{}", app::endpoints::privilege_matrix_markdown());
        return ExitCode::SUCCESS;
    }
    if let Some(Command::BenchBare { addr, bytes }) = cli.command {
        return match server::bench_bare::serve(addr, bytes).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("gatehouse: {error}");
                ExitCode::FAILURE
            }
        };
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("gatehouse: {error}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(config.log_json);
    match run(cli.command.unwrap_or(Command::Serve), config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            eprintln!("gatehouse: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let db = Db::connect(&config.database_url, config.db_max_connections).await?;
    db.migrate().await?;
    tracing::info!(backend = db.backend().name(), database = %db::redact(&config.database_url), "database ready");
    match command {
        Command::Migrate => Ok(()),
        Command::GenerateInvoices { org, invoices, drafts, days } => {
            let started = std::time::Instant::now();
            let (written, payments) =
                server::demo_finance::generate_invoices(&db, &org, invoices, drafts, days.max(1), db::now()).await?;
            println!(
                "{written} invoices and {payments} payments added to {org} in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::GenerateOrders { org, orders, days } => {
            let started = std::time::Instant::now();
            let bar = indicatif::ProgressBar::new(orders);
            let written = server::demo_analytics::generate_orders(&db, &org, orders, days, db::now(), |n| {
                bar.set_position(n as u64)
            })
            .await?;
            bar.finish_and_clear();
            let seconds = started.elapsed().as_secs_f64();
            println!(
                "{written} orders added to {org} in {seconds:.1} s ({:.0} orders/s, rollups included)",
                written as f64 / seconds.max(0.001)
            );
            Ok(())
        }
        Command::BenchRatelimit { runs, tasks } => {
            server::bench_ratelimit::run(&db, runs, tasks, |line| println!("{line}")).await?;
            Ok(())
        }
        Command::BenchAnalytics { org, runs, raw_runs } => {
            server::bench_analytics::run(&db, &org, runs, raw_runs, |line| println!("{line}")).await?;
            Ok(())
        }
        Command::SeedDemo => {
            let hasher = app::auth::PasswordHasher::new(config.hash_concurrency);
            let report = demo::seed(&db, &hasher, &config.secret_key, db::now()).await?;
            println!(
                "demo data: {} users, {} organizations, {} memberships, {} TOTP enrollments, {} grants, \
                 {} custom roles, {} invitations, {} customers, {} invoices, {} payments, {} refunds, \
                 {} proposed invoice edits, {} products, {} orders created (password: {}, TOTP secret: {})",
                report.users,
                report.organizations,
                report.memberships,
                report.totp_enrollments,
                report.grants,
                report.custom_roles,
                report.invitations,
                report.customers,
                report.invoices,
                report.payments,
                report.refunds,
                report.invoice_edits,
                report.products,
                report.orders,
                demo::DEMO_PASSWORD,
                demo::DEMO_TOTP_SECRET
            );
            Ok(())
        }
        Command::Serve => serve(db, config).await,
        Command::ApiKeys { action: ApiKeysCommand::Create { org, user, name, scopes, days } } => {
            let (key, _) = app::api_keys::server::create_for_member(
                &db,
                &org,
                &user,
                &name,
                &scopes,
                &days.to_string(),
                db::now(),
            )
            .await?;
            eprintln!(
                "API key “{}” for {user} in {org}, scopes {}, expires {}:",
                key.name,
                key.scopes.join(","),
                key.expires
            );
            println!("{}", key.secret);
            Ok(())
        }
        Command::VerifyAudit { chain, checkpoint } => {
            let mut conn = db.conn().await?;
            let checkpoint = match checkpoint {
                Some(path) => {
                    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                    let signed: app::audit::retention::SignedCheckpoint = serde_json::from_str(&text)
                        .map_err(|e| format!("{}: not a checkpoint ({e})", path.display()))?;
                    Some(signed)
                }
                None => None,
            };
            let chain = chain.or_else(|| checkpoint.as_ref().map(|c| c.chain.clone()));
            if let Some(signed) = &checkpoint {
                use app::audit::retention::{CheckpointCheck, check_checkpoint};
                match check_checkpoint(&mut conn, &config.secret_key, signed).await? {
                    CheckpointCheck::Extends => println!("the log still holds event {} of the checkpoint", signed.seq),
                    CheckpointCheck::Pruned => {
                        println!("event {} of the checkpoint was pruned under retention, as recorded", signed.seq)
                    }
                    CheckpointCheck::BadSignature => {
                        return Err("the checkpoint's signature does not hold: not ours, or edited".into());
                    }
                    CheckpointCheck::Truncated { log_ends_at } => {
                        return Err(format!(
                            "BROKEN chain {}: the log ends at event {log_ends_at}, but the checkpoint saw event {}",
                            signed.chain, signed.seq
                        )
                        .into());
                    }
                    CheckpointCheck::Replaced => {
                        return Err(format!(
                            "BROKEN chain {}: event {} is not the one the checkpoint saw",
                            signed.chain, signed.seq
                        )
                        .into());
                    }
                }
            }
            let report = app::audit::server::verify(&mut conn, chain.as_deref()).await?;
            println!("checked {} events in {} chains", report.events, report.chains);
            if report.broken.is_empty() {
                println!("every chain holds");
                return Ok(());
            }
            for b in &report.broken {
                println!(
                    "BROKEN chain {} at event {}{}: {}",
                    b.chain,
                    b.seq,
                    b.event_id.as_deref().map(|id| format!(" ({id})")).unwrap_or_default(),
                    b.problem
                );
            }
            Err(format!("{} chain(s) broken", report.broken.len()).into())
        }
        Command::Privileges | Command::BenchBare { .. } => Ok(()),
    }
}

async fn serve(db: Db, config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let leptos = get_configuration(None)?.leptos_options;
    let addr = leptos.site_addr;
    let relay = match (&config.smtp_url, &config.mail_dir) {
        (Some(url), _) => Some(
            app::mail::Relay::smtp(url, &config.mail_from, &config.secret_key)
                .map_err(|e| format!("GATEHOUSE_SMTP_URL: {e}"))?,
        ),
        (None, Some(dir)) => Some(
            app::mail::Relay::folder(dir, &config.mail_from, &config.secret_key)
                .map_err(|e| format!("GATEHOUSE_MAIL_DIR: {e}"))?,
        ),
        (None, None) => None,
    };
    let pkg = std::path::Path::new(&*leptos.site_root).join(&*leptos.site_pkg_dir);
    match routes::drop_stale_copies(&pkg) {
        Ok(0) => {}
        Ok(dropped) => {
            tracing::warn!(dropped, dir = %pkg.display(), "removed compressed bundles older than their builds")
        }
        Err(error) => tracing::warn!(%error, dir = %pkg.display(), "could not check the compressed bundles"),
    }
    let state = AppState::new(leptos, db.clone(), config);
    tokio::spawn(housekeeping(db.clone()));
    tokio::spawn(flush_anonymous_denials(db.clone()));
    tokio::spawn(rebuild_analytics(db.clone()));
    tokio::spawn(lapse_subscriptions(db.clone()));
    if let Some(relay) = relay {
        tokio::spawn(relay_mail(db.clone(), relay));
    }
    let app = routes::router(state);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("listening on http://{addr}");
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    db.close().await;
    Ok(())
}

/// Drops expired sessions, stale throttle entries, expired sign-up requests, the sealed
/// copies of mailed secrets that expired unsent, rate-limit counts of past windows and
/// idempotent answers older than a day, and expires refund requests nobody decided in 14
/// days, every ten minutes.
async fn housekeeping(db: Db) {
    let mut every = tokio::time::interval(Duration::from_secs(600));
    loop {
        every.tick().await;
        let now = db::now();
        let result = async {
            let mut conn = db.conn().await?;
            let sessions = app::auth::session::purge_expired(&mut conn, now).await?;
            let throttles = app::auth::throttle::purge(&mut conn, now).await?;
            let signups = app::auth::server::purge_expired_signups(&mut conn, now).await?;
            let secrets = app::mail::purge_expired_secrets(&mut conn, now).await?;
            drop(conn);
            let pruned = app::audit::retention::prune_all(&db, now).await?;
            let refunds_expired = app::finance::money::expire_refunds(&db, now).await?;
            let counters = app::ratelimit::purge(&db, now).await?;
            let replays = app::api_keys::server::purge_idempotency(&db, now).await?;
            Ok::<_, app::error::AppError>((
                sessions,
                throttles,
                signups,
                secrets,
                pruned,
                refunds_expired,
                counters,
                replays,
            ))
        }
        .await;
        match result {
            Ok((sessions, throttles, signups, secrets, pruned, refunds_expired, counters, replays)) => {
                tracing::debug!(
                    sessions,
                    throttles,
                    signups,
                    secrets,
                    pruned,
                    refunds_expired,
                    counters,
                    replays,
                    "housekeeping"
                )
            }
            Err(error) => tracing::warn!(%error, "housekeeping failed"),
        }
    }
}

/// Writes each finished minute's count of anonymous refusals into the audit log.
async fn flush_anonymous_denials(db: Db) {
    let mut every = tokio::time::interval(Duration::from_secs(60));
    loop {
        every.tick().await;
        if let Err(error) = app::audit::retention::flush_anonymous_denials(&db, db::now()).await {
            tracing::warn!(%error, "flushing anonymous refusals failed");
        }
    }
}

/// Rebuilds analytics after a change of timezone: chunk after chunk while there is work (a
/// short pause between chunks lets the organization's writers in), a look every second when
/// there is none.
async fn rebuild_analytics(db: Db) {
    loop {
        let pause = match app::analytics::rebuild::step(&db, app::analytics::rebuild::CHUNK, db::now()).await {
            Ok(true) => Duration::from_millis(20),
            Ok(false) => Duration::from_secs(1),
            Err(error) => {
                tracing::warn!(%error, "analytics rebuild step failed");
                Duration::from_secs(5)
            }
        };
        tokio::time::sleep(pause).await;
    }
}

/// Moves trials and paid periods that ended to past due, once a minute (the tenant gate
/// already counts them past due at once; this writes it down and audits it).
async fn lapse_subscriptions(db: Db) {
    let mut every = tokio::time::interval(Duration::from_secs(60));
    loop {
        every.tick().await;
        match app::billing::server::lapse(&db, db::now()).await {
            Ok(0) => {}
            Ok(moved) => tracing::info!(moved, "subscriptions moved to past due"),
            Err(error) => tracing::warn!(%error, "moving lapsed subscriptions failed"),
        }
    }
}

/// Delivers the outbox every two seconds (with `GATEHOUSE_SMTP_URL` or `GATEHOUSE_MAIL_DIR`).
async fn relay_mail(db: Db, relay: app::mail::Relay) {
    let mut every = tokio::time::interval(Duration::from_secs(2));
    loop {
        every.tick().await;
        if let Err(error) = relay.send_pending(&db, db::now()).await {
            tracing::warn!(%error, "mail relay round failed");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
