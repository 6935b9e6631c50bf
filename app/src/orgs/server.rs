//! Organization queries and policy (server only). Every query binds the organization id it
//! acts on; callers pass the session's organization, never one taken from the request.

use super::{DEFAULT_CURRENCY, DEFAULT_TIMEZONE, TRIAL_DAYS, slugify};
use crate::access::BuiltinRole;
use crate::db::{Conn, flag, new_id};
use crate::error::{AppError, Result};
use rand::Rng;
use std::str::FromStr;

/// A just-created organization.
#[derive(Clone, Debug)]
pub struct NewOrg {
    pub id: String,
    pub slug: String,
    pub owner_membership_id: String,
}

/// Creates an organization with its built-in roles, `user_id` as owner and a trial
/// subscription. Run it inside the caller's transaction: all of it happens, or none.
pub async fn create_with_owner(conn: &mut Conn, user_id: &str, name: &str, now: i64) -> Result<NewOrg> {
    let id = new_id();
    let base = slugify(name);
    let mut slug = base.clone();
    let mut attempt = 0;
    // `ON CONFLICT DO NOTHING` keeps a PostgreSQL transaction usable when the slug is taken.
    loop {
        let inserted = sqlx::query(
            "INSERT INTO organizations (id, name, slug, timezone, currency, onboarding_state, status, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'pending', 'active', $6, $6) \
             ON CONFLICT (slug) DO NOTHING",
        )
        .bind(&id)
        .bind(name)
        .bind(&slug)
        .bind(DEFAULT_TIMEZONE)
        .bind(DEFAULT_CURRENCY)
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if inserted == 1 {
            break;
        }
        attempt += 1;
        if attempt > 8 {
            return Err(AppError::conflict("slug_taken", "Choose a different organization name."));
        }
        let suffix: u32 = rand::thread_rng().gen_range(1000..10000);
        slug = format!("{base}-{suffix}");
    }

    let mut owner_role_id = String::new();
    for role in BuiltinRole::ALL {
        let role_id = new_id();
        sqlx::query(
            "INSERT INTO roles (id, org_id, role_key, name, description, builtin, permissions, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, '', $5, '', $6, $6)",
        )
        .bind(&role_id)
        .bind(&id)
        .bind(role.key())
        .bind(role.name())
        .bind(flag(true))
        .bind(now)
        .execute(&mut *conn)
        .await?;
        if role == BuiltinRole::Owner {
            owner_role_id = role_id;
        }
    }

    let owner_membership_id = new_id();
    sqlx::query(
        "INSERT INTO memberships (id, org_id, user_id, role_id, last_active_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5, $5)",
    )
    .bind(&owner_membership_id)
    .bind(&id)
    .bind(user_id)
    .bind(&owner_role_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;

    sqlx::query(
        "INSERT INTO subscriptions (org_id, plan, status, trial_ends_at, created_at, updated_at) \
         VALUES ($1, 'trial', 'trialing', $2, $3, $3)",
    )
    .bind(&id)
    .bind(now + TRIAL_DAYS * 86_400)
    .bind(now)
    .execute(&mut *conn)
    .await?;

    Ok(NewOrg { id, slug, owner_membership_id })
}

/// An organization's settings row.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct OrgRow {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub timezone: String,
    pub currency: String,
    pub onboarding_state: String,
}

/// Locks the organization's row until the transaction ends and returns its timezone: the
/// zone its rollups are kept in. Writers of a rollup take it, and so does a change of
/// timezone, which rebuilds them: no write lands in a zone the rollup is no longer kept in.
pub async fn lock_timezone(conn: &mut Conn, org_id: &str) -> Result<String> {
    sqlx::query_scalar("UPDATE organizations SET updated_at = updated_at WHERE id = $1 RETURNING timezone")
        .bind(org_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn find(conn: &mut Conn, org_id: &str) -> Result<OrgRow> {
    sqlx::query_as("SELECT id, name, slug, timezone, currency, onboarding_state FROM organizations WHERE id = $1")
        .bind(org_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound)
}

/// A valid IANA timezone name, in its canonical spelling.
pub fn validate_timezone(name: &str) -> Result<String> {
    chrono_tz::Tz::from_str(name.trim()).map(|tz| tz.name().to_string()).map_err(|_| {
        AppError::invalid("timezone", "Choose a timezone from the list (IANA names such as Asia/Kolkata).")
    })
}

/// Every IANA timezone name, sorted.
pub fn timezone_names() -> Vec<String> {
    let mut names: Vec<String> = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name().to_string()).collect();
    names.sort();
    names
}

/// Validated settings input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingsInput {
    pub name: String,
    pub timezone: String,
    pub currency: String,
}

impl SettingsInput {
    pub fn parse(name: &str, timezone: &str, currency: &str) -> Result<SettingsInput> {
        Ok(SettingsInput {
            name: super::validate_org_name(name)?,
            timezone: validate_timezone(timezone)?,
            currency: super::validate_currency(currency)?.code.to_string(),
        })
    }
}

/// Saves the settings of `org_id` (and marks onboarding complete when asked), returning
/// the row before and after for the audit trail.
pub async fn update_settings(
    conn: &mut Conn,
    org_id: &str,
    input: &SettingsInput,
    complete_onboarding: bool,
    now: i64,
) -> Result<(OrgRow, OrgRow)> {
    let before = find(conn, org_id).await?;
    let onboarding = if complete_onboarding { "complete" } else { before.onboarding_state.as_str() };
    sqlx::query(
        "UPDATE organizations SET name = $1, timezone = $2, currency = $3, onboarding_state = $4, \
         updated_at = $5 WHERE id = $6",
    )
    .bind(&input.name)
    .bind(&input.timezone)
    .bind(&input.currency)
    .bind(onboarding)
    .bind(now)
    .bind(org_id)
    .execute(&mut *conn)
    .await?;
    let after = find(conn, org_id).await?;
    // Figures by local day follow the zone, under the row lock the update holds: finance's
    // rebuilt at once, analytics' queued.
    if after.timezone != before.timezone {
        crate::finance::ledger::rebuild(conn, org_id, &after.timezone).await?;
        // Analytics moves in the background: its rollups are far larger.
        crate::analytics::rebuild::start(conn, org_id, &before.timezone, &after.timezone, now).await?;
    }
    Ok((before, after))
}

/// The organizations a user belongs to, with their role in each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MembershipSummary {
    pub org_id: String,
    pub org_name: String,
    pub role_name: String,
    pub membership_id: String,
}

/// The membership id of `user_id` in `org_id`: a user who is not a member gets 404, the
/// same answer as for an organization that does not exist.
pub async fn membership_id(conn: &mut Conn, user_id: &str, org_id: &str) -> Result<String> {
    sqlx::query_scalar("SELECT id FROM memberships WHERE user_id = $1 AND org_id = $2")
        .bind(user_id)
        .bind(org_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn mark_active(conn: &mut Conn, membership_id: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE memberships SET last_active_at = $1 WHERE id = $2")
        .bind(now)
        .bind(membership_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timezones_are_iana_names() {
        assert_eq!(validate_timezone("Asia/Kolkata").unwrap(), "Asia/Kolkata");
        assert_eq!(validate_timezone(" Europe/Berlin ").unwrap(), "Europe/Berlin");
        assert_eq!(validate_timezone("Mars/Olympus").unwrap_err().field(), Some("timezone"));
        assert!(validate_timezone("").is_err());
        let names = timezone_names();
        assert!(names.len() > 300 && names.contains(&"Asia/Kolkata".to_string()));
    }
}
