//! Invitation queries and rules (server only), scoped by the session's organization.

use super::types::{BatchProblem, InvitationInfo, InvitationList, InvitationState, InvitationView};
use super::{DAILY_INVITATIONS, MAX_BATCH, MAX_DAYS, MAX_MESSAGE_CHARS};
use crate::access::{Access, PermissionSet, stored_role};
use crate::auth::session::{hash_token, new_token};
use crate::auth::validate_email;
use crate::db::{Conn, new_id};
use crate::error::{AppError, Result};
use crate::mail;
use crate::time::format_local;

/// The addresses of a pasted list: separated by commas, semicolons or white space.
pub fn split_emails(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Days from the form: 1–30, empty for the default.
pub fn parse_days(text: &str) -> Result<i64> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(super::DEFAULT_DAYS);
    }
    match text.parse::<i64>() {
        Ok(days) if (1..=MAX_DAYS).contains(&days) => Ok(days),
        _ => Err(AppError::invalid("expires_in_days", format!("An invitation lasts 1 to {MAX_DAYS} days."))),
    }
}

pub fn check_message(text: &str) -> Result<String> {
    let text = text.trim();
    if text.chars().count() > MAX_MESSAGE_CHARS {
        return Err(AppError::invalid("message", format!("Keep the message under {MAX_MESSAGE_CHARS} characters.")));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(AppError::invalid("message", "The message holds characters that cannot be sent."));
    }
    Ok(text.to_string())
}

/// Who sends, from where: what the email says.
pub struct Sender<'a> {
    pub org_id: &'a str,
    pub org_name: &'a str,
    pub inviter: &'a Access,
    pub public_origin: &'a str,
    /// Seals the link in the outbox (see [`mail`]).
    pub key: &'a crate::config::SecretKey,
}

/// One invitation sent: its id, address and link token (the token goes only into the email).
#[derive(Clone)]
pub struct Sent {
    pub id: String,
    pub email: String,
    pub role_key: String,
    pub expires_at: i64,
    pub token: String,
}

// The token never reaches a log.
impl std::fmt::Debug for Sent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sent").field("id", &self.id).field("email", &self.email).finish_non_exhaustive()
    }
}

#[derive(Debug)]
pub struct Batch {
    pub sent: Vec<Sent>,
    pub problems: Vec<BatchProblem>,
}

struct Role {
    id: String,
    key: String,
    name: String,
    permissions: PermissionSet,
}

async fn role(conn: &mut Conn, org_id: &str, role_id: &str) -> Result<Role> {
    let row: Option<(String, String, String, i64, String)> =
        sqlx::query_as("SELECT id, role_key, name, builtin, permissions FROM roles WHERE id = $1 AND org_id = $2")
            .bind(role_id)
            .bind(org_id)
            .fetch_optional(&mut *conn)
            .await?;
    let (id, key, name, builtin, stored) =
        row.ok_or_else(|| AppError::invalid("role_id", "Choose one of the organization's roles."))?;
    let (_, permissions, _) = stored_role(builtin != 0, &key, &stored);
    Ok(Role { id, key, name, permissions })
}

/// The invitation email to `to` with the link of `token` until `expires_at`, the link sealed
/// in the outbox.
async fn send_invitation(
    conn: &mut Conn,
    sender: &Sender<'_>,
    to: &str,
    (role_name, message): (&str, &str),
    (token, expires_at): (&str, i64),
    now: i64,
) -> Result<()> {
    let (subject, body) = email_text(sender, role_name, message, token, expires_at);
    let link = format!("{}/invite/{token}", sender.public_origin);
    let mail = mail::Mail {
        kind: mail::Kind::Invitation,
        org_id: Some(sender.org_id),
        to,
        subject,
        body,
        secret: Some((&link, expires_at)),
    };
    mail::enqueue(conn, sender.key, &mail, now).await?;
    Ok(())
}

fn email_text(sender: &Sender<'_>, role_name: &str, message: &str, token: &str, expires_at: i64) -> (String, String) {
    let subject = format!("{} invited you to {} on Gatehouse", sender.inviter.name, sender.org_name);
    let note =
        if message.is_empty() { String::new() } else { format!("\n{} wrote:\n\n{message}\n", sender.inviter.name) };
    let body = format!(
        "{} ({}) invited you to join {} on Gatehouse as {role_name}.\n{note}\n\
         Accept the invitation here (the link works once, until {} UTC):\n\n{}/invite/{token}\n\n\
         If you did not expect this, ignore this email.\n",
        sender.inviter.name,
        sender.inviter.email,
        sender.org_name,
        format_local(expires_at, "UTC"),
        sender.public_origin,
    );
    (subject, body)
}

/// Refuses an invitation with a role holding permissions the inviter may not give.
fn may_invite_with(inviter: &Access, role: &Role) -> Result<()> {
    if inviter.beyond_delegable(role.permissions).is_empty() {
        return Ok(());
    }
    Err(AppError::conflict(
        "role_exceeds_yours",
        format!("You can only invite with roles whose permissions you hold yourself; {} has more.", role.name),
    ))
}

/// Refuses sending `more` invitation emails when the organization would pass its daily cap
/// (call under the organization's lock).
async fn within_daily_cap(conn: &mut Conn, org_id: &str, more: i64, now: i64) -> Result<()> {
    let sent: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM outbox WHERE org_id = $1 AND kind = 'invitation' AND created_at > $2",
    )
    .bind(org_id)
    .bind(now - 86_400)
    .fetch_one(&mut *conn)
    .await?;
    if sent + more <= DAILY_INVITATIONS {
        return Ok(());
    }
    Err(AppError::conflict(
        "daily_invitation_cap",
        format!(
            "An organization can send {DAILY_INVITATIONS} invitations a day; {} are left for today.",
            (DAILY_INVITATIONS - sent).max(0)
        ),
    ))
}

/// Invites every valid address of `emails` with `role_id`, in one transaction: each valid one
/// gets its invitation and email, each bad one is named with the reason. Refused outright:
/// an empty or oversized list, or a role holding permissions the inviter does not hold.
pub async fn invite(
    conn: &mut Conn,
    sender: &Sender<'_>,
    emails: &[String],
    role_id: &str,
    message: &str,
    days: i64,
    now: i64,
) -> Result<Batch> {
    if emails.is_empty() {
        return Err(AppError::invalid("emails", "Enter at least one email address."));
    }
    if emails.len() > MAX_BATCH {
        return Err(AppError::invalid(
            "emails",
            format!("Invite at most {MAX_BATCH} people at once; this list has {}.", emails.len()),
        ));
    }
    // Under the organization's lock: two batches at once neither invite one address twice
    // nor pass the daily cap together.
    crate::db::lock_row(conn, crate::db::Locked::Organization, sender.org_id).await?;
    within_daily_cap(conn, sender.org_id, emails.len() as i64, now).await?;
    let role = role(conn, sender.org_id, role_id).await?;
    may_invite_with(sender.inviter, &role)?;
    // The plan's seats: members and open invitations each hold one (counted under the lock,
    // so two batches at once cannot both take the last seat).
    let seats = crate::billing::server::seats(conn, sender.org_id).await?;
    let mut taken = crate::billing::server::seats_taken(conn, sender.org_id, now).await?;
    let mut batch = Batch { sent: Vec::new(), problems: Vec::new() };
    let mut seen = std::collections::HashSet::new();
    for raw in emails {
        let problem = |reason: &str| BatchProblem { email: raw.clone(), reason: reason.to_string() };
        let Ok(email) = validate_email(raw) else {
            batch.problems.push(problem("not a valid email address"));
            continue;
        };
        if !seen.insert(email.clone()) {
            batch.problems.push(problem("listed more than once"));
            continue;
        }
        let member: Option<String> = sqlx::query_scalar(
            "SELECT m.id FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 AND u.email = $2",
        )
        .bind(sender.org_id)
        .bind(&email)
        .fetch_optional(&mut *conn)
        .await?;
        if member.is_some() {
            batch.problems.push(problem("already a member"));
            continue;
        }
        let pending: Option<(String, i64)> = sqlx::query_as(
            "SELECT id, expires_at FROM invitations WHERE org_id = $1 AND email = $2 AND status = 'pending'",
        )
        .bind(sender.org_id)
        .bind(&email)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some((_, expires)) = &pending
            && *expires > now
        {
            batch.problems.push(problem("already invited: resend the pending invitation instead"));
            continue;
        }
        if seats.is_some_and(|seats| taken >= seats) {
            batch.problems.push(problem("no seat left on the plan: remove someone or change the plan first"));
            continue;
        }
        taken += 1;
        let (token, token_hash) = new_token();
        let expires_at = now + days * 86_400;
        let id = match pending {
            // An expired invitation to the same address is renewed with the new terms.
            Some((id, _)) => {
                sqlx::query(
                    "UPDATE invitations SET role_id = $1, message = $2, token_hash = $3, invited_by = $4, \
                     days_valid = $5, expires_at = $6, sent_count = sent_count + 1, updated_at = $7 WHERE id = $8",
                )
                .bind(&role.id)
                .bind(message)
                .bind(&token_hash)
                .bind(&sender.inviter.user_id)
                .bind(days)
                .bind(expires_at)
                .bind(now)
                .bind(&id)
                .execute(&mut *conn)
                .await?;
                id
            }
            None => {
                let id = new_id();
                sqlx::query(
                    "INSERT INTO invitations (id, org_id, email, role_id, message, token_hash, invited_by, \
                     days_valid, expires_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
                )
                .bind(&id)
                .bind(sender.org_id)
                .bind(&email)
                .bind(&role.id)
                .bind(message)
                .bind(&token_hash)
                .bind(&sender.inviter.user_id)
                .bind(days)
                .bind(expires_at)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                id
            }
        };
        send_invitation(conn, sender, &email, (&role.name, message), (&token, expires_at), now).await?;
        batch.sent.push(Sent { id, email, role_key: role.key.clone(), expires_at, token });
    }
    Ok(batch)
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    email: String,
    role_name: String,
    invited_by: Option<String>,
    status: String,
    message: String,
    expires_at: i64,
    sent_count: i64,
    updated_at: i64,
}

fn state(status: &str, expires_at: i64, now: i64) -> InvitationState {
    match status {
        "accepted" => InvitationState::Accepted,
        "revoked" => InvitationState::Revoked,
        _ if expires_at <= now => InvitationState::Expired,
        _ => InvitationState::Pending,
    }
}

/// The organization's invitations, newest first, with counts by state.
pub async fn list(conn: &mut Conn, org_id: &str, tz: &str, now: i64) -> Result<InvitationList> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT i.id, i.email, r.name AS role_name, u.name AS invited_by, i.status, i.message, i.expires_at, \
         i.sent_count, i.updated_at FROM invitations i JOIN roles r ON r.id = i.role_id \
         LEFT JOIN users u ON u.id = i.invited_by WHERE i.org_id = $1 ORDER BY i.updated_at DESC, i.email LIMIT 500",
    )
    .bind(org_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut list = InvitationList::default();
    for r in rows {
        let state = state(&r.status, r.expires_at, now);
        match state {
            InvitationState::Pending => list.pending += 1,
            InvitationState::Expired => list.expired += 1,
            InvitationState::Accepted => list.accepted += 1,
            InvitationState::Revoked => list.revoked += 1,
        }
        list.items.push(InvitationView {
            id: r.id,
            email: r.email,
            role_name: r.role_name,
            invited_by: r.invited_by,
            state,
            message: r.message,
            sent: format_local(r.updated_at, tz),
            sent_count: r.sent_count,
            expires: format_local(r.expires_at, tz),
        });
    }
    Ok(list)
}

#[derive(sqlx::FromRow)]
struct Pending {
    email: String,
    status: String,
    message: String,
    days_valid: i64,
    role_id: String,
    expires_at: i64,
}

async fn pending(conn: &mut Conn, org_id: &str, id: &str) -> Result<Pending> {
    let row: Pending = sqlx::query_as(
        "SELECT email, status, message, days_valid, role_id, expires_at FROM invitations WHERE id = $1 AND org_id = $2",
    )
    .bind(id)
    .bind(org_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)?;
    if row.status != "pending" {
        return Err(AppError::conflict("invitation_closed", format!("That invitation was already {}.", row.status)));
    }
    Ok(row)
}

/// Sends a pending (or expired) invitation again: a fresh link (the old one stops working)
/// and a fresh expiry of the same length.
pub async fn resend(conn: &mut Conn, sender: &Sender<'_>, id: &str, now: i64) -> Result<Sent> {
    crate::db::lock_row(conn, crate::db::Locked::Organization, sender.org_id).await?;
    let p = pending(conn, sender.org_id, id).await?;
    let role = role(conn, sender.org_id, &p.role_id).await?;
    // A fresh link is a fresh offer of the role: the resender must be able to give it now.
    may_invite_with(sender.inviter, &role)?;
    within_daily_cap(conn, sender.org_id, 1, now).await?;
    // An expired invitation holds no seat: sending it again takes one, if one is left.
    if p.expires_at <= now
        && let Some(seats) = crate::billing::server::seats(conn, sender.org_id).await?
        && crate::billing::server::seats_taken(conn, sender.org_id, now).await? >= seats
    {
        return Err(AppError::conflict(
            "seats_full",
            "Every seat of the plan is taken (members and open invitations): remove someone or change the plan first.",
        ));
    }
    let (token, token_hash) = new_token();
    let expires_at = now + p.days_valid * 86_400;
    sqlx::query(
        "UPDATE invitations SET token_hash = $1, expires_at = $2, sent_count = sent_count + 1, updated_at = $3 \
         WHERE id = $4 AND org_id = $5",
    )
    .bind(&token_hash)
    .bind(expires_at)
    .bind(now)
    .bind(id)
    .bind(sender.org_id)
    .execute(&mut *conn)
    .await?;
    send_invitation(conn, sender, &p.email, (&role.name, &p.message), (&token, expires_at), now).await?;
    Ok(Sent { id: id.to_string(), email: p.email, role_key: role.key, expires_at, token })
}

/// Revokes a pending invitation: its link stops working. Returns the address.
pub async fn revoke(conn: &mut Conn, org_id: &str, id: &str, now: i64) -> Result<String> {
    let p = pending(conn, org_id, id).await?;
    sqlx::query("UPDATE invitations SET status = 'revoked', updated_at = $1 WHERE id = $2 AND org_id = $3")
        .bind(now)
        .bind(id)
        .bind(org_id)
        .execute(&mut *conn)
        .await?;
    Ok(p.email)
}

/// An invitation as its link finds it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ByToken {
    pub id: String,
    pub org_id: String,
    pub org_name: String,
    pub email: String,
    pub role_id: String,
    pub role_name: String,
    pub inviter: Option<String>,
    pub message: String,
    pub status: String,
    pub expires_at: i64,
    role_key: String,
    role_builtin: i64,
    role_permissions: String,
}

pub async fn by_token(conn: &mut Conn, token: &str) -> Result<ByToken> {
    if token.is_empty() || token.len() > 100 {
        return Err(AppError::NotFound);
    }
    sqlx::query_as(
        "SELECT i.id, i.org_id, o.name AS org_name, i.email, i.role_id, r.name AS role_name, u.name AS inviter, \
         i.message, i.status, i.expires_at, r.role_key, r.builtin AS role_builtin, r.permissions AS role_permissions \
         FROM invitations i JOIN organizations o ON o.id = i.org_id \
         JOIN roles r ON r.id = i.role_id LEFT JOIN users u ON u.id = i.invited_by WHERE i.token_hash = $1",
    )
    .bind(hash_token(token))
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound)
}

impl ByToken {
    /// The invited role requires two-factor authentication.
    pub fn role_requires_mfa(&self) -> bool {
        let (builtin, permissions, _) = stored_role(self.role_builtin != 0, &self.role_key, &self.role_permissions);
        crate::access::role_requires_mfa(builtin, permissions)
    }

    pub fn info(&self, signed_in_as: Option<String>, now: i64) -> InvitationInfo {
        InvitationInfo {
            org_name: self.org_name.clone(),
            email: self.email.clone(),
            role_name: self.role_name.clone(),
            inviter: self.inviter.clone(),
            message: self.message.clone(),
            state: state(&self.status, self.expires_at, now),
            expires: format_local(self.expires_at, "UTC") + " UTC",
            signed_in_as,
        }
    }

    /// Refuses an invitation that is no longer open, with a message saying why.
    pub fn check_open(&self, now: i64) -> Result<()> {
        match state(&self.status, self.expires_at, now) {
            InvitationState::Pending => Ok(()),
            InvitationState::Expired => Err(AppError::conflict(
                "invitation_expired",
                "This invitation has expired. Ask whoever invited you to send a new one.",
            )),
            InvitationState::Revoked => Err(AppError::conflict("invitation_revoked", "This invitation was withdrawn.")),
            InvitationState::Accepted => {
                Err(AppError::conflict("invitation_used", "This invitation was already accepted; it works once."))
            }
        }
    }
}

/// Makes user `user_id` (whose address is `email`) a member with the invitation's role and
/// closes the invitation. The address must be the invited one.
pub async fn accept(conn: &mut Conn, invitation: &ByToken, user_id: &str, email: &str, now: i64) -> Result<()> {
    invitation.check_open(now)?;
    if !email.eq_ignore_ascii_case(&invitation.email) {
        return Err(AppError::conflict(
            "invitation_other_email",
            format!(
                "This invitation is for {}, but you are signed in as {email}. Sign out, then open the link again.",
                invitation.email
            ),
        ));
    }
    // Under the organization's lock: the seats counted here are still the seats when the
    // member is added. The invitation holds a seat of its own, so only a plan made smaller
    // since it was sent leaves it without one.
    crate::db::lock_row(conn, crate::db::Locked::Organization, &invitation.org_id).await?;
    if let Some(seats) = crate::billing::server::seats(conn, &invitation.org_id).await?
        && crate::billing::server::seats_used(conn, &invitation.org_id).await? >= seats
    {
        return Err(AppError::conflict(
            "seats_full",
            "Every seat of this organization's plan is taken. Ask its owner to free one or change the plan.",
        ));
    }
    // Closed first, only if still pending: two tabs accepting at once cannot both win.
    let closed = sqlx::query(
        "UPDATE invitations SET status = 'accepted', accepted_by = $1, accepted_at = $2, updated_at = $2 \
         WHERE id = $3 AND status = 'pending'",
    )
    .bind(user_id)
    .bind(now)
    .bind(&invitation.id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if closed == 0 {
        return Err(AppError::conflict("invitation_used", "This invitation was already accepted; it works once."));
    }
    let added = sqlx::query(
        "INSERT INTO memberships (id, org_id, user_id, role_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (org_id, user_id) DO NOTHING",
    )
    .bind(new_id())
    .bind(&invitation.org_id)
    .bind(user_id)
    .bind(&invitation.role_id)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if added == 0 {
        return Err(AppError::conflict("already_member", "You are already a member of this organization."));
    }
    Ok(())
}
