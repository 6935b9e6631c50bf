//! Subscriptions in the database (server only): reading them, bank transfers submitted and
//! confirmed, suspension, and the lapse of trials and periods.

use super::{Plan, Status, Suspension, Transfer};
use crate::db::{Conn, Db, Locked, lock_row, new_id};
use crate::error::{AppError, Result};
use crate::time::format_local;

/// How long a confirmed month of a bank transfer extends the paid period.
pub const MONTH_SECS: i64 = 30 * 86_400;

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct SubscriptionRow {
    pub plan: String,
    pub status: String,
    pub payment_method: Option<String>,
    pub trial_ends_at: Option<i64>,
    pub current_period_end: Option<i64>,
    pub suspended_at: Option<i64>,
    pub suspended_reason: Option<String>,
    /// The operator who suspended it (their address).
    pub suspended_by: Option<String>,
}

impl SubscriptionRow {
    pub fn plan(&self) -> Plan {
        Plan::parse(&self.plan).unwrap_or(Plan::Trial)
    }

    /// The stored status, with a trial or period that has run out counted as past due (as
    /// the tenant gate counts it).
    pub fn status(&self, now: i64) -> Status {
        status_at(&self.status, self.trial_ends_at, self.current_period_end, now)
    }

    /// When the trial or the paid period ends.
    pub fn period_end(&self) -> Option<i64> {
        if self.status == "trialing" { self.trial_ends_at } else { self.current_period_end }
    }

    pub fn suspension(&self, tz: &str) -> Option<Suspension> {
        (self.status == "suspended").then(|| Suspension {
            since: self.suspended_at.map(|at| format_local(at, tz)).unwrap_or_default(),
            reason: self.suspended_reason.clone().unwrap_or_default(),
            by: self.suspended_by.clone().unwrap_or_else(|| "Gatehouse".into()),
        })
    }
}

/// The status `stored` at `now`: a trial or paid period that has ended is past due (as the
/// tenant gate counts it, before the lapse task writes it down).
pub fn status_at(stored: &str, trial_ends_at: Option<i64>, period_end: Option<i64>, now: i64) -> Status {
    let ended = |end: Option<i64>| end.is_some_and(|end| end <= now);
    match Status::parse(stored).unwrap_or(Status::PastDue) {
        Status::Trialing if ended(trial_ends_at) => Status::PastDue,
        Status::Active if ended(period_end) => Status::PastDue,
        other => other,
    }
}

const SUBSCRIPTION_COLUMNS: &str = "s.plan, s.status, s.payment_method, s.trial_ends_at, s.current_period_end, \
     s.suspended_at, s.suspended_reason, u.email AS suspended_by";

/// The organization's subscription (every organization has one; 404 otherwise).
pub async fn find(conn: &mut Conn, org_id: &str) -> Result<SubscriptionRow> {
    sqlx::query_as(&format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions s LEFT JOIN users u ON u.id = s.suspended_by \
         WHERE s.org_id = $1"
    ))
    .bind(org_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)
}

/// The seats of the organization's plan, `None` when it has no subscription (organizations
/// made by sign-up all have one).
pub async fn seats(conn: &mut Conn, org_id: &str) -> Result<Option<i64>> {
    let plan: Option<String> = sqlx::query_scalar("SELECT plan FROM subscriptions WHERE org_id = $1")
        .bind(org_id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(plan.map(|p| Plan::parse(&p).unwrap_or(Plan::Trial).limits().seats))
}

/// Seats taken: members, and open invitations (each holds the seat it would fill).
pub async fn seats_taken(conn: &mut Conn, org_id: &str, now: i64) -> Result<i64> {
    let members = seats_used(conn, org_id).await?;
    let invited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM invitations WHERE org_id = $1 AND status = 'pending' AND expires_at > $2",
    )
    .bind(org_id)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(members + invited)
}

/// Members of the organization (seats in use).
pub async fn seats_used(conn: &mut Conn, org_id: &str) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE org_id = $1")
        .bind(org_id)
        .fetch_one(&mut *conn)
        .await?)
}

#[derive(sqlx::FromRow)]
struct TransferRow {
    id: String,
    reference: String,
    status: String,
    amount_minor: Option<i64>,
    currency: Option<String>,
    payer: Option<String>,
    proof_url: Option<String>,
    submitted_at: i64,
    confirmed_at: Option<i64>,
    confirmed_by_email: Option<String>,
}

impl TransferRow {
    fn view(self, tz: &str) -> Transfer {
        let amount = match (self.amount_minor, self.currency.as_deref()) {
            (Some(amount), Some(currency)) => Some(crate::finance::policy::format_money(amount, currency)),
            _ => None,
        };
        Transfer {
            id: self.id,
            reference: self.reference,
            confirmed: self.status == "confirmed",
            amount,
            payer: self.payer,
            proof_url: self.proof_url,
            submitted: format_local(self.submitted_at, tz),
            confirmed_at: self.confirmed_at.map(|at| format_local(at, tz)),
            confirmed_by: self.confirmed_by_email,
        }
    }
}

const TRANSFER_COLUMNS: &str = "id, reference, status, amount_minor, currency, payer, proof_url, submitted_at, \
     confirmed_at, confirmed_by_email";

/// The organization's newest bank transfers, times in `tz`.
pub async fn transfers(conn: &mut Conn, org_id: &str, tz: &str, limit: i64) -> Result<Vec<Transfer>> {
    let rows: Vec<TransferRow> = sqlx::query_as(&format!(
        "SELECT {TRANSFER_COLUMNS} FROM bank_transfers WHERE org_id = $1 ORDER BY submitted_at DESC, id LIMIT $2"
    ))
    .bind(org_id)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.view(tz)).collect())
}

/// A bank transfer as someone reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferInput {
    pub reference: String,
    /// Minor units and currency, when an amount was given.
    pub amount: Option<(i64, String)>,
    pub payer: Option<String>,
    pub proof_url: Option<String>,
}

impl TransferInput {
    /// Reads the form of a transfer: the bank's reference (4–64 letters, digits, `-`, `/`,
    /// `.`, upper-cased), an optional amount in `currency`, payer and proof link (https).
    pub fn parse(reference: &str, amount: &str, currency: &str, payer: &str, proof_url: &str) -> Result<TransferInput> {
        let reference = reference.trim().to_ascii_uppercase();
        let well_formed = (4..=64).contains(&reference.len())
            && reference.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'/' | b'.'));
        if !well_formed {
            return Err(AppError::invalid(
                "reference",
                "Enter the bank's transfer reference: 4 to 64 letters, digits, '-', '/' or '.'.",
            ));
        }
        let amount = match amount.trim() {
            "" => None,
            raw => {
                let currency = currency.trim().to_ascii_uppercase();
                if !crate::orgs::CURRENCIES.iter().any(|c| c.code == currency) {
                    return Err(AppError::invalid("currency", "Choose a currency from the list."));
                }
                let minor = crate::finance::policy::parse_decimal(raw, crate::orgs::minor_units(&currency))
                    .filter(|m| *m > 0)
                    .ok_or_else(|| AppError::invalid("amount", "Enter a positive amount, e.g. 99.00."))?;
                Some((minor, currency))
            }
        };
        let payer = crate::input::text("payer", payer.trim(), 120, false)?;
        let proof_url = proof_url.trim();
        let link =
            proof_url.starts_with("https://") && proof_url.len() <= 500 && !proof_url.contains(char::is_whitespace);
        if !proof_url.is_empty() && !link {
            return Err(AppError::invalid("proof_url", "Give the proof as an https:// link (at most 500 characters)."));
        }
        Ok(TransferInput {
            reference,
            amount,
            payer: (!payer.is_empty()).then_some(payer),
            proof_url: (!proof_url.is_empty()).then(|| proof_url.to_string()),
        })
    }
}

/// Records a transfer the tenant says it made (pending until platform staff confirm it) and
/// makes bank transfer the subscription's payment method. A reference already recorded
/// (here or anywhere) is refused with 409.
pub async fn submit_transfer(
    tx: &mut Conn,
    org_id: &str,
    user_id: &str,
    input: &TransferInput,
    now: i64,
) -> Result<String> {
    let id = new_id();
    let (amount, currency) = input.amount.clone().unzip();
    let inserted: Option<String> = sqlx::query_scalar(
        "INSERT INTO bank_transfers (id, org_id, reference, status, amount_minor, currency, payer, proof_url, \
         submitted_by, submitted_at) VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (reference) DO NOTHING RETURNING id",
    )
    .bind(&id)
    .bind(org_id)
    .bind(&input.reference)
    .bind(amount)
    .bind(currency)
    .bind(&input.payer)
    .bind(&input.proof_url)
    .bind(user_id)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    if inserted.is_none() {
        return Err(AppError::conflict(
            "transfer_reference_taken",
            "A transfer with this reference is already recorded.",
        ));
    }
    sqlx::query(
        "UPDATE subscriptions SET payment_method = 'bank_transfer', \
         external_payment_id = CASE WHEN payment_method = 'bank_transfer' THEN external_payment_id END, \
         updated_at = $2 WHERE org_id = $1",
    )
    .bind(org_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(id)
}

/// Who confirms, and for how long the transfer pays.
#[derive(Clone, Debug)]
pub struct Confirm<'a> {
    pub transfer: &'a TransferInput,
    /// Whole months paid (1–24).
    pub months: i64,
    /// The plan paid for (`None`: keep the current one; a trial becomes Starter).
    pub plan: Option<Plan>,
    pub staff_id: &'a str,
    pub staff_email: &'a str,
}

/// What came of a confirmation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confirmation {
    pub transfer_id: String,
    /// `false`: the reference was confirmed before; nothing changed.
    pub fresh: bool,
    pub confirmed_at: i64,
    pub confirmed_by: String,
    /// The paid period's end after this confirmation.
    pub period_end: Option<i64>,
    pub plan: Plan,
}

/// A transfer already recorded under a reference.
#[derive(sqlx::FromRow)]
struct Recorded {
    id: String,
    org_id: String,
    status: String,
    confirmed_at: Option<i64>,
    confirmed_by_email: Option<String>,
}

/// The transfer recorded under `reference`, anywhere.
async fn recorded(tx: &mut Conn, reference: &str) -> Result<Option<Recorded>> {
    Ok(sqlx::query_as(
        "SELECT id, org_id, status, confirmed_at, confirmed_by_email FROM bank_transfers WHERE reference = $1",
    )
    .bind(reference)
    .fetch_optional(&mut *tx)
    .await?)
}

/// Confirms the bank transfer `reference` for `org_id`, once: the first confirmation marks
/// it confirmed (recording it if the tenant had not), activates the subscription and extends
/// its period by the months paid; any later one — the same operator again or another at the
/// same moment — changes nothing and answers when and by whom it was confirmed. Serialized
/// per organization by its row lock; a reference of another organization is a 409.
pub async fn confirm_transfer(tx: &mut Conn, org_id: &str, confirm: &Confirm<'_>, now: i64) -> Result<Confirmation> {
    if !lock_row(tx, Locked::Organization, org_id).await? {
        return Err(AppError::NotFound);
    }
    let input = confirm.transfer;
    let subscription = find(tx, org_id).await?;
    // The transfer as recorded, or recorded now. A tenant's own submission of the same
    // reference can land between the look and the insert (it takes no lock): then it is read
    // again, as if it had been there first.
    let mut existing = recorded(tx, &input.reference).await?;
    if existing.is_none() {
        sqlx::query(
            "INSERT INTO bank_transfers (id, org_id, reference, status, submitted_at) \
             VALUES ($1, $2, $3, 'pending', $4) ON CONFLICT (reference) DO NOTHING",
        )
        .bind(new_id())
        .bind(org_id)
        .bind(&input.reference)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        // Inserted now or by that submission: the row is there either way.
        existing = recorded(tx, &input.reference).await?;
    }
    let transfer_id = match existing {
        Some(recorded) if recorded.org_id != org_id => {
            return Err(AppError::conflict(
                "transfer_reference_taken",
                "This reference belongs to a transfer of another organization.",
            ));
        }
        Some(recorded) if recorded.status == "confirmed" => {
            return Ok(Confirmation {
                transfer_id: recorded.id,
                fresh: false,
                confirmed_at: recorded.confirmed_at.unwrap_or_default(),
                confirmed_by: recorded.confirmed_by_email.unwrap_or_default(),
                period_end: subscription.current_period_end,
                plan: subscription.plan(),
            });
        }
        Some(recorded) => recorded.id,
        None => return Err(AppError::conflict("transfer_changed", "The transfer changed meanwhile; try again.")),
    };
    let period_start = subscription.current_period_end.filter(|end| *end > now).unwrap_or(now);
    let period_end = period_start + confirm.months * MONTH_SECS;
    let plan = confirm.plan.unwrap_or(match subscription.plan() {
        Plan::Trial => Plan::Starter,
        other => other,
    });
    let (amount, currency) = input.amount.clone().unzip();
    // Conditional: of two confirmations racing past the lock (there is none on SQLite's
    // side to race), only one finds the transfer pending.
    let changed = sqlx::query(
        "UPDATE bank_transfers SET status = 'confirmed', confirmed_by = $2, confirmed_by_email = $3, \
         confirmed_at = $4, period_end = $5, amount_minor = COALESCE($6, amount_minor), \
         currency = COALESCE($7, currency), payer = COALESCE($8, payer), proof_url = COALESCE($9, proof_url) \
         WHERE id = $1 AND status = 'pending'",
    )
    .bind(&transfer_id)
    .bind(confirm.staff_id)
    .bind(confirm.staff_email)
    .bind(now)
    .bind(period_end)
    .bind(amount)
    .bind(currency)
    .bind(&input.payer)
    .bind(&input.proof_url)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed != 1 {
        return Err(AppError::conflict("transfer_changed", "The transfer changed meanwhile; try again."));
    }
    // A suspension is lifted only by reactivation, never by a payment.
    sqlx::query(
        "UPDATE subscriptions SET status = CASE WHEN status = 'suspended' THEN status ELSE 'active' END, \
         plan = $2, payment_method = 'bank_transfer', external_payment_id = $3, current_period_end = $4, \
         updated_at = $5 WHERE org_id = $1",
    )
    .bind(org_id)
    .bind(plan.key())
    .bind(&input.reference)
    .bind(period_end)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(Confirmation {
        transfer_id,
        fresh: true,
        confirmed_at: now,
        confirmed_by: confirm.staff_email.to_string(),
        period_end: Some(period_end),
        plan,
    })
}

/// Suspends the organization with `reason`. Already suspended: 409.
pub async fn suspend(tx: &mut Conn, org_id: &str, staff_id: &str, reason: &str, now: i64) -> Result<()> {
    let changed = sqlx::query(
        "UPDATE subscriptions SET status = 'suspended', suspended_at = $2, suspended_by = $3, \
         suspended_reason = $4, updated_at = $2 WHERE org_id = $1 AND status <> 'suspended'",
    )
    .bind(org_id)
    .bind(now)
    .bind(staff_id)
    .bind(reason)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    match changed {
        1 => Ok(()),
        _ => Err(suspension_conflict(tx, org_id, "already_suspended", "This organization is already suspended.").await),
    }
}

/// Lifts a suspension: active while the paid period runs, trialing while the trial runs,
/// past due otherwise. Not suspended: 409.
pub async fn reactivate(tx: &mut Conn, org_id: &str, now: i64) -> Result<Status> {
    let status: Option<String> = sqlx::query_scalar(
        "UPDATE subscriptions SET status = CASE \
           WHEN current_period_end > $2 THEN 'active' \
           WHEN plan = 'trial' AND trial_ends_at > $2 THEN 'trialing' \
           ELSE 'past_due' END, \
         suspended_at = NULL, suspended_by = NULL, suspended_reason = NULL, updated_at = $2 \
         WHERE org_id = $1 AND status = 'suspended' RETURNING status",
    )
    .bind(org_id)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    match status.as_deref().and_then(Status::parse) {
        Some(status) => Ok(status),
        None => Err(suspension_conflict(tx, org_id, "not_suspended", "This organization is not suspended.").await),
    }
}

/// 404 for an organization without a subscription, else the 409 `code`.
async fn suspension_conflict(tx: &mut Conn, org_id: &str, code: &str, message: &str) -> AppError {
    match find(tx, org_id).await {
        Ok(_) => AppError::conflict(code, message),
        Err(error) => error,
    }
}

/// Moves trials and paid periods that have ended to `past_due`, each with a system event on
/// the tenant's chain, and returns how many it moved. Each move is a conditional update, so
/// two servers running this at once move (and audit) each subscription once.
pub async fn lapse(db: &Db, now: i64) -> Result<usize> {
    let due: Vec<(String, String)> = {
        let mut conn = db.conn().await?;
        sqlx::query_as(
            "SELECT org_id, status FROM subscriptions \
             WHERE (status = 'trialing' AND trial_ends_at <= $1) OR (status = 'active' AND current_period_end <= $1) \
             ORDER BY org_id LIMIT 500",
        )
        .bind(now)
        .fetch_all(&mut *conn)
        .await?
    };
    let mut moved = 0;
    for (org_id, from) in due {
        let mut tx = db.begin().await?;
        let changed = sqlx::query(
            "UPDATE subscriptions SET status = 'past_due', updated_at = $2 WHERE org_id = $1 AND \
             ((status = 'trialing' AND trial_ends_at <= $2) OR (status = 'active' AND current_period_end <= $2))",
        )
        .bind(&org_id)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 1 {
            let event = crate::audit::Event::new(
                "subscription.past_due",
                crate::audit::Actor::System,
                crate::audit::Outcome::Allowed,
            )
            .org(Some(&org_id))
            .target("organization", &org_id)
            .reason(if from == "trialing" { "trial_ended" } else { "period_ended" })
            .metadata(serde_json::json!({ "from": from }));
            crate::audit::record(&mut tx, &event, now).await?;
            moved += 1;
        }
        tx.commit().await?;
    }
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfer_forms_are_read_strictly() {
        let t = TransferInput::parse(" gb-2026/0042 ", "99.00", "usd", "Acme Ltd", "https://bank.example/p/1").unwrap();
        assert_eq!(t.reference, "GB-2026/0042");
        assert_eq!(t.amount, Some((9_900, "USD".into())));
        assert_eq!(t.payer.as_deref(), Some("Acme Ltd"));
        let bare = TransferInput::parse("ABCD", "", "", "", "").unwrap();
        assert_eq!((bare.amount, bare.payer, bare.proof_url), (None, None, None));
        let field = |r: Result<TransferInput>| r.unwrap_err().field().map(str::to_string);
        assert_eq!(field(TransferInput::parse("AB", "", "", "", "")).as_deref(), Some("reference"));
        assert_eq!(field(TransferInput::parse("ABCD EFGH", "", "", "", "")).as_deref(), Some("reference"));
        assert_eq!(field(TransferInput::parse("ABCD", "-5", "USD", "", "")).as_deref(), Some("amount"));
        assert_eq!(field(TransferInput::parse("ABCD", "5", "XXX", "", "")).as_deref(), Some("currency"));
        assert_eq!(field(TransferInput::parse("ABCD", "", "", "", "http://x.test")).as_deref(), Some("proof_url"));
        assert_eq!(field(TransferInput::parse("ABCD", "", "", "a\u{7}b", "")).as_deref(), Some("payer"));
    }

    #[test]
    fn a_subscription_that_ran_out_reads_past_due() {
        let row = SubscriptionRow {
            plan: "trial".into(),
            status: "trialing".into(),
            payment_method: None,
            trial_ends_at: Some(100),
            current_period_end: None,
            suspended_at: None,
            suspended_reason: None,
            suspended_by: None,
        };
        assert_eq!(row.status(99), Status::Trialing);
        assert_eq!(row.status(100), Status::PastDue);
        assert_eq!(row.period_end(), Some(100));
    }
}
